/*
 * tools/volutil.h - volutil(8): volume administration on a vice server
 * (Coda's volutil and createvol_rep).  The subcommands share one
 * connection, struct vu, made by volutil_conn.c: TLS to vice with its
 * certificate pinned from <root>/tls/cert.pem, HS_CONNECT, and every call
 * carrying a System:Administrators token volutil seals itself under the
 * realm key <root>/auth.key (it runs as root on a server of the realm).
 *
 * Each subcommand is an entry point of the dispatch table in volutil.c:
 * argv[0] is the subcommand's name; returns the process's exit status
 * (0 ok, 1 failure, 2 usage) after printing what went wrong on stderr.
 */
#ifndef TOOLS_VOLUTIL_H
#define TOOLS_VOLUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/rpc.h>
#include "hesper.h"

/* One connection to one vice, made on the first vu_call. */
struct vu {
	const char *root;       /* -d: vice's root (auth.key, tls/cert.pem) */
	char host[256];         /* -h HOST[:PORT]; default localhost */
	int port;               /* default 2432 */
	int json;               /* --json: machine-readable output */
	unsigned timeout_ms;    /* per call; 0: the transport's default */
	/* private to volutil_conn.c */
	struct event_base *base;
	struct hrpc_tls *tls;
	struct hrpc_conn *conn;
	char pin[96];           /* expected certificate fingerprint */
	unsigned char token[HS_TOKEN_MAX];
	unsigned toklen;
	int up;                 /* HS_CONNECT answered 0 */
	int err;                /* why the connection stopped (errno) */
};

/* Call procedure proc on c's vice (connecting first if need be) as the
 * realm's administrator, and wait for the answer.  res (ressize bytes,
 * zeroed by vu_call) receives the decoded result; free it with
 * xdr_free(resproc, res).  Returns 0 (then the result's own status says
 * how the call went) or an errno of the transport (ECONNREFUSED,
 * ETIMEDOUT, EPERM: vice's certificate is not the one in ROOT, ...),
 * after printing why on stderr. */
int vu_call(struct vu *c, uint32_t proc, xdrproc_t argproc, const void *args,
	    xdrproc_t resproc, void *res, size_t ressize);
/* Close the connection and free what vu_call made (idempotent). */
void vu_close(struct vu *c);

/* Parse "HOST", "HOST:PORT" or "[V6]:PORT" into c->host/c->port: 0, or
 * EINVAL. */
int vu_set_host(struct vu *c, const char *arg);

/* Print "volutil: <what>: <status's text>" on stderr; status is a wire
 * status (errno, HS_ECONFLICT, HS_EMOVED, HS_EVBUSY).  Returns 1. */
int vu_fail(const char *what, int status);
/* Resolve VOL (a number, 0x hex, or a volume name) to its id through
 * HS_VOL_LIST: 0, or an errno (ENOENT) already reported. */
int vu_volid(struct vu *c, const char *vol, uint32_t *id);

/* Print s on stdout as a JSON string (volume names may hold quotes,
 * backslashes or control bytes). */
void vu_json_str(const char *s);

/* ---- subcommands (volutil.c) ---- */
int vu_cmd_create(struct vu *c, int argc, char **argv);
int vu_cmd_remove(struct vu *c, int argc, char **argv);
int vu_cmd_rename(struct vu *c, int argc, char **argv);
int vu_cmd_list(struct vu *c, int argc, char **argv);
int vu_cmd_setquota(struct vu *c, int argc, char **argv);
int vu_cmd_info(struct vu *c, int argc, char **argv);

/* ---- subcommands of tools/volutil_dump.c (the dump/move work) ----
 * Until that file is linked in they are missing: volutil.c declares them
 * weak and answers "not built in". */
int vu_cmd_dump(struct vu *c, int argc, char **argv);
int vu_cmd_restore(struct vu *c, int argc, char **argv);
int vu_cmd_move(struct vu *c, int argc, char **argv);
int vu_cmd_lock(struct vu *c, int argc, char **argv);
int vu_cmd_unlock(struct vu *c, int argc, char **argv);

#endif /* TOOLS_VOLUTIL_H */
