/*
 * ctlclient.h - the client side of venus's control socket, shared by cfs
 * and hoard: connecting, one request/reply exchange (hesper/ctlproto.h),
 * and turning user paths into mount-relative ones.
 */
#ifndef TOOLS_CTLCLIENT_H
#define TOOLS_CTLCLIENT_H

#include <stdio.h>

/* The program name that prefixes messages ("cfs", "hoard"). */
extern const char *ctlc_prog;

/* One connection to venus. */
struct ctlc_link {
	int   fd;
	FILE *in;   /* reply lines */
};

/* Connect to the socket at path.  0, or -1 with errno. */
int ctlc_open(struct ctlc_link *l, const char *path);
void ctlc_close(struct ctlc_link *l);

/* Receives each body line of a reply (chan: CTLP_STDOUT or CTLP_STDERR). */
typedef void (*ctlc_line_fn)(void *arg, int chan, const char *text);

/* Send one request of n words and read its reply, passing body lines to
 * fn.  Returns venus's status (0 or an errno), or -1 after a message if
 * the conversation failed. */
int ctlc_transact(struct ctlc_link *l, int n, const char *const *words,
		  ctlc_line_fn fn, void *arg);

/* A ctlc_line_fn copying lines to stdout or stderr. */
void ctlc_print_line(void *arg, int chan, const char *text);

/* Ask venus where it is mounted: a malloc'd canonical path, or NULL after
 * a message. */
char *ctlc_mountpoint(struct ctlc_link *l);

/* The absolute, symlink-free form of arg, resolving only its directory
 * part (the object itself may be a symlink, or missing).  malloc'd, or
 * NULL with errno. */
char *ctlc_abs_path(const char *arg);

/* The part of abs below mnt, starting with '/' ("/" for mnt itself), or
 * NULL if abs is outside. */
const char *ctlc_below_mount(const char *abs, const char *mnt);

/* Print s to f as a JSON string literal (quotes and escapes, RFC 8259). */
void ctlc_json_str(FILE *f, const char *s);

/* If argv[*i] is "--socket PATH" or "--socket=PATH", store PATH in *sock,
 * advance *i past what it used and return 1; else 0.  The tools' one way
 * to name venus's control socket. */
int ctlc_socket_opt(int argc, char **argv, int *i, const char **sock);

#endif /* TOOLS_CTLCLIENT_H */
