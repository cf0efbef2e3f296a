/*
 * ctl.h - the control socket cfs and hoard talk to.
 *
 * A Unix stream socket (cfg.ctlsocket, mode 0666).  The peer's uid comes
 * from SO_PEERCRED; state-changing commands need uid 0 or the uid that owns
 * the cache.  Protocol: one request line, words separated by spaces, with
 * '%XX' escapes for bytes <= 0x20, '%' and 0x7f.., then the reply: any
 * number of text lines, and a last line "." followed by "status N" where N
 * is 0 or a positive errno; see doc/design.md.
 */
#ifndef VENUS_CTL_H
#define VENUS_CTL_H

/* Bind and listen on path (an old socket file is replaced).  0 or -errno. */
int ctl_start(const char *path);
void ctl_stop(void);

/* ---- between ctl.c (the socket) and ctl_cmds.c (the commands) ---- */

#include <stdint.h>
#include <sys/types.h>

struct ctl_conn;   /* ctl.c's connection */

/* ctl_esc's ring of escaped names per request (below). */
#define CTL_ESC_SLOTS 4
struct evbuffer;

/* One parsed request.  ctl.c fills it and calls ctl_dispatch; the command
 * writes with ctl_printf and ends, now or from a later callback, with
 * exactly one ctl_done, which frees it. */
struct ctl_req {
	const char *cmd;        /* the command word as sent (name or alias) */
	int         argc;       /* arguments after the command */
	char      **argv;       /* unescaped; argv[argc] == NULL */
	int         json;       /* the request began with --json */
	uid_t       uid;        /* peer credentials (SO_PEERCRED) */
	gid_t       gid;        /* the peer's primary gid */
	pid_t       pid;
	void       *state;      /* the command's own; free()d by ctl_done */
	struct ctl_conn *conn;  /* ctl.c: NULL once the client is gone */
	struct evbuffer *out;   /* ctl.c: framed body lines */
	struct evbuffer *pend[3]; /* ctl.c: partial lines per channel */
	char       *line;       /* ctl.c: the request line the words point into */
	char      **words;      /* ctl.c: every word; argv == words + 1 */
	char       *esc[CTL_ESC_SLOTS]; /* ctl.c: ctl_esc's strings */
	unsigned    esc_next;
};

/* Run r (ctl_cmds.c). */
void ctl_dispatch(struct ctl_req *r);
/* Append text to the reply on chan (CTLP_STDOUT or CTLP_STDERR from
 * hesper/ctlproto.h); text may hold several lines, a partial last line is
 * completed by later calls or by ctl_done. */
void ctl_printf(struct ctl_req *r, int chan, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Send the complete lines written so far to the client now (a long
 * command's progress, cfs fr); the reply still ends with ctl_done. */
void ctl_flush(struct ctl_req *r);
/* Append s as a JSON string (quoted, escaped) to stdout. */
void ctl_json_str(struct ctl_req *r, const char *s);
/* Finish r: status is 0 or a positive errno.  Sends the reply if the
 * client is still connected, then frees r. */
void ctl_done(struct ctl_req *r, int status);

/* For a command that streams (ctl_events.c): the client's socket, for
 * noticing input or a hang-up (never read from it; -1 once the client is
 * gone), and the bytes of reply still waiting to be sent to it. */
int ctl_req_fd(const struct ctl_req *r);
size_t ctl_req_queued(const struct ctl_req *r);
/* End every "subscribe" stream (ctl_events.c); before ctl_stop. */
void ctl_events_stop(void);

/* r's text-mode form of a name or path s (tools/escape.h): a string that
 * stays valid until ctl_done or CTL_ESC_SLOTS more calls; s itself in
 * JSON mode (ctl_json_str escapes).  Never NULL. */
const char *ctl_esc(struct ctl_req *r, const char *s);
/* The same escaping only control characters (hs_esc_controls), for text
 * that has its own quoting already (hoard list's command lines). */
const char *ctl_esc_controls(struct ctl_req *r, const char *s);

/* End r with err and a formatted message: a stderr line, or in JSON mode
 * {"error":MSG,"errno":ERR}. */
void ctl_fail(struct ctl_req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CML entries pending reintegration in volume vol, for cfs listvol.  The
 * default in ctl_cmds.c is weak and returns 0; the CML code replaces it
 * with a strong definition when disconnected operation lands. */
unsigned venus_cml_pending(uint32_t vol);

/* Disconnected operation's commands (ctl_cml.c): disconnect, reconnect,
 * writedisconnect, adaptive, strong, forcereintegrate, conflicts,
 * listlocal, checklocal, discardlocal, preservelocal, zonelimit.  The
 * other command files are declared in ctl_int.h. */
void ctl_cml_run(struct ctl_req *r);

/* ---- commands defined outside ctl_cmds.c ---- */

struct ctlp_cmd;

/* A table of further commands (ended by a NULL name) and the function
 * that runs them.  ctl_dispatch applies the same argument-count and
 * privilege checks as to the commands of ctlp_cmds. */
struct ctl_ext {
	const struct ctlp_cmd *cmds;
	void (*run)(struct ctl_req *r, const struct ctlp_cmd *c);
	struct ctl_ext *next;   /* ctl_cmds.c's list */
};
/* Add ext (static storage).  Needs no other set-up, so it may run from a
 * constructor, before main. */
void ctl_register(struct ctl_ext *ext);

#endif /* VENUS_CTL_H */
