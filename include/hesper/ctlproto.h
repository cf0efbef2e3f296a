/*
 * hesper/ctlproto.h - the control socket's wire format, shared by venus
 * (venus/ctl/ctl.c) and cfs (tools/cfs.c).
 *
 * Request: one line, at most CTLP_MAX_LINE bytes with its '\n':
 *     [--json] COMMAND ARG...
 * Words are separated by single spaces.  Inside a word every byte <= 0x20,
 * '%' and every byte >= 0x7f is written %XX (two hex digits); %00 is
 * invalid.  Words are never empty.  A trailing '\r' is ignored.
 *
 * Reply: any number of body lines, then a line "." and a line "status N"
 * (N is 0 or a positive errno).  A body line is
 *     !TEXT   a line for stderr (an error message)
 *     .TEXT   a line for stdout whose text begins with '.' or '!'
 *     TEXT    any other line for stdout
 * so the terminator can never be forged by a file name.  In JSON mode the
 * stdout lines form one JSON document.
 *
 * Connections carry any number of requests, answered in order.
 */
#ifndef HESPER_CTLPROTO_H
#define HESPER_CTLPROTO_H

#include <stddef.h>

/* Longest request line, '\n' included; a longer one is refused (E2BIG)
 * and the connection closed. */
#define CTLP_MAX_LINE 8192
/* Most words in one request, the command included. */
#define CTLP_MAX_WORDS 1024
/* Where cfs looks when neither --socket nor $HESPER_CTL says otherwise:
 * venus's default cachedir under configure's --localstatedir. */
#ifdef LOCALSTATEDIR
#define CTLP_DEFAULT_SOCKET LOCALSTATEDIR "/lib/hesper/venus/venus.ctl"
#else
#define CTLP_DEFAULT_SOCKET "/var/lib/hesper/venus/venus.ctl"
#endif
/* The environment variable naming the socket. */
#define CTLP_ENV_SOCKET "HESPER_CTL"

/* Output channels of a reply body line. */
enum { CTLP_STDOUT = 1, CTLP_STDERR = 2 };

/* What a command takes after its name. */
enum ctlp_args {
	CTLP_ARGS_NONE,     /* nothing */
	CTLP_ARGS_PATHS,    /* one or more paths below the mount point */
	CTLP_ARGS_OPTPATH,  /* zero or one path */
	CTLP_ARGS_OPTWORD,  /* zero or one plain word (help COMMAND) */
	CTLP_ARGS_WORDS,    /* any plain words (wd -age 5, zonelimit 80 95) */
	CTLP_ARGS_FLAGPATH, /* '-' flags, then at most one path (discardlocal) */
	CTLP_ARGS_FLAGPATHS,/* '-' options (some take a value, see
			     * ctlp_opt_has_value), then any paths (lv, wd) */
	CTLP_ARGS_CKPT,     /* [PATH [DIR]]: a path below the mount point, then
			     * a local directory outside it (checkpointml) */
	CTLP_ARGS_PATHWORD, /* PATH [WORD]: a path below the mount point, then
			     * at most one plain word (mkmount DIR VOLUME,
			     * setquota DIR BLOCKS) */
};

/* Who may run a command (struct ctlp_cmd.privileged).  Values 0 and 1
 * are what tables outside ctlp_cmds (venus's ctl_ext) write. */
enum ctlp_priv {
	CTLP_PRIV_ANY = 0,   /* every local user; what they see is filtered
			      * to what they may see (doc/cfs.1) */
	CTLP_PRIV_ROOT = 1,  /* changes venus's shared state: uid 0 (or the
			      * uid venus runs as); others get EPERM */
	CTLP_PRIV_OWNER = 2, /* root, or a user acting on records they own
			      * (discardlocal, preservelocal): the command
			      * checks each record */
};

/* One control command; the table is shared so that venus and cfs agree on
 * names, aliases, arguments and privilege. */
struct ctlp_cmd {
	const char    *name;
	const char    *alias;      /* Coda's abbreviation, or NULL */
	enum ctlp_args args;
	int            privileged; /* enum ctlp_priv */
	const char    *usage;      /* arguments, e.g. "PATH..." ("" if none) */
	const char    *summary;    /* one line for help */
};

/* The command table, ended by an entry with name NULL. */
extern const struct ctlp_cmd ctlp_cmds[];

/* Does option opt of command c take the next word as its value ("-age 60"
 * of writedisconnect)?  1 or 0.  Kept out of struct ctlp_cmd so tables
 * elsewhere (ctl_ext) need not name it. */
int ctlp_opt_has_value(const struct ctlp_cmd *c, const char *opt);

/* Why Coda's command called name has no meaning in Hesper (one sentence),
 * or NULL if Hesper implements it.  cfs refuses such a command with this
 * text and exit status 255 (Coda's exit(-1) after a failed pioctl). */
const char *ctlp_no_meaning(const char *name);

/* Why a non-root user may not run c, for messages ("only root may
 * disconnect venus: it changes state every user shares"), or NULL. */
const char *ctlp_priv_text(const struct ctlp_cmd *c);

/* Does argc arguments fit c's kind (enum ctlp_args)?  1 or 0. */
int ctlp_args_ok(const struct ctlp_cmd *c, int argc);

/* Normalise a mount-relative path in place to "a/b" ("" for the root):
 * drops empty and "." components.  0, or EINVAL for a ".." component. */
int ctlp_clean_path(char *p);

/* The command called name (or with that alias); NULL if there is none. */
const struct ctlp_cmd *ctlp_find_cmd(const char *name);

/* Escape len bytes of src into dst (dstsize bytes, NUL-terminated when
 * dstsize > 0).  Returns the length the full escape needs (excluding the
 * NUL), like snprintf. */
size_t ctlp_escape(char *dst, size_t dstsize, const char *src, size_t len);

/* Undo ctlp_escape in place.  Returns the new length, or -1 for a '%' not
 * followed by two hex digits, or %00. */
long ctlp_unescape(char *s);

/* Split a request line (without its '\n'; a trailing '\r' is dropped) in
 * place into at most max words, unescaping each.  Returns the number of
 * words, 0 for a blank line, or -1 with errno EINVAL (bad escape) or E2BIG
 * (more than max words). */
int ctlp_split(char *line, char **words, int max);

/* Build a request line ("w0 w1 ...\n") from n words.  Returns a malloc'd
 * NUL-terminated string, or NULL with errno EINVAL (an empty word), E2BIG
 * (longer than CTLP_MAX_LINE or more than CTLP_MAX_WORDS words) or ENOMEM. */
char *ctlp_build_request(int n, const char *const *words);

/* The prefix ("", "." or "!") a body line of len bytes (no '\n' inside)
 * needs on channel chan. */
const char *ctlp_line_prefix(int chan, const char *line, size_t len);

/* Reply parsing, one line at a time (without its '\n'). */
struct ctlp_reader {
	int seen_dot;   /* the "." terminator has been read */
};
enum ctlp_rstat {
	CTLP_R_LINE,    /* a body line: *chan and *text set */
	CTLP_R_MORE,    /* the terminator; the status line follows */
	CTLP_R_DONE,    /* the status line: *status set */
	CTLP_R_BAD,     /* not the protocol */
};
/* Classify one reply line.  *text points into line. */
enum ctlp_rstat ctlp_read_line(struct ctlp_reader *rd, const char *line,
			       int *chan, const char **text, int *status);

/* Write s as a JSON string with its quotes into dst (dstsize bytes,
 * NUL-terminated when dstsize > 0).  Control characters become \uXXXX;
 * bytes that are not valid UTF-8 become \udcXX (the convention Python's
 * surrogateescape uses, so a file name survives a round trip).  Returns
 * the length needed, excluding the NUL, like snprintf. */
size_t ctlp_json_escape(char *dst, size_t dstsize, const char *s);

#endif /* HESPER_CTLPROTO_H */
