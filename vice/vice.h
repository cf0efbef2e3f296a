/*
 * vice/vice.h - the server's state and the pieces main() wires together.
 *
 * One struct vice per process; one struct vclient per connection (a
 * client is a connection: its callback promises live and die with it).
 * Everything runs on one libevent loop thread.
 */
#ifndef VICE_VICE_H
#define VICE_VICE_H

#include <stdint.h>
#include <syslog.h>
#include <hesper/rpc.h>
#include "hesper.h"
#include "fidset.h"

/* Who a call is made as: Coda's CPS (current protection subdomain).
 * Filled per call from its token (HS_AUTH_FLAVOR credential); a call
 * without a valid token is anonymous. */
#define VIDENT_MAXCPS 64
struct vident {
	int32_t id;             /* the user's protection id; HS_ID_ANONYMOUS */
	int authenticated;      /* 1: a valid token named id */
	int admin;              /* 1: id is in System:Administrators */
	unsigned ncps;          /* ids in cps */
	int32_t cps[VIDENT_MAXCPS]; /* id, its groups (transitively),
				 * System:AnyUser, System:AuthUser if
				 * authenticated */
};

/* The whole server. */
struct vice {
	struct event_base *base;
	struct vstore *vs;
	struct pdb *pdb;                /* protection database (pdb.h) */
	struct hrpc_tls *tls;
	struct hrpc_listener *lis;
	struct vclient *clients;        /* every connection past TLS */
	hs_server_stats stats;          /* HS_STATS; clients is live */
	struct cb_wait *cur_wait;       /* breaks of the call being run */
	const struct vident *who;       /* caller of the call being run */
	const char *realm;              /* this realm's name (--realm) */
	struct vdump *dump;             /* locks, dumps, restores (voldump.h) */
	struct vldb *vldb;              /* the realm's VLDB (vldb.h) */
	struct vd_flush *flush;         /* group commit (dispatch.c) */
	unsigned sync_delay_ms;         /* --sync delayed: flush at most this
					 * long after a change, replies do not
					 * wait; 0 (always): replies wait */
	struct vstamps *stamps;         /* volume stamps (volstamp.c) */
};

/* One connection (= one client). */
struct vclient {
	struct vclient *prev, *next;
	struct vice *v;
	struct hrpc_conn *conn;
	uint64_t client_id;             /* 0 until HS_CONNECT */
	unsigned features;              /* HS_FEAT_* agreed at HS_CONNECT */
	struct fidset promises;         /* fids this client has callbacks on */
	uint32_t *volp;                 /* volumes it holds a volume promise on */
	unsigned nvolp, capvolp;
	int doomed;                     /* a break failed: close it */
	struct vauth_cache *auth;       /* last token seen (auth_ident.c) */
};

/* ---- log.c: stderr in the foreground, syslog once daemonised ---- */
void vlog_init(int debug);
void vlog_syslog(void);
/* on: stderr is systemd's journal stream (vice -f in vice.service): each
 * line gets sd-daemon(3)'s "<prio>" prefix so the journal keeps the
 * priority. */
void vlog_journal(int on);
void vlog(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- clients.c: connection life cycle ---- */
/* The hrpc_conn_ops for the listener (arg: struct vice *). */
extern const struct hrpc_conn_ops vice_conn_ops;
/* Close every client connection (shutdown). */
void vice_clients_close(struct vice *v);
/* hrpc_limits.on_refused: log a refused connection, rate-limited. */
void vice_conn_refused(const char *peer, int per_host, void *arg);

/* ---- dispatch.c: HS_VICE_PROG calls ---- */
void vice_dispatch(struct hrpc_conn *conn, struct hrpc_call *call, void *arg);
/* Event priorities of vice's loop: connections and timers get libevent's
 * default (the middle one); the group commit's flush runs at the lowest,
 * once no read is ready (the end of the turn). */
#define VICE_NPRIO 3
#define VICE_PRIO_FLUSH 2
/* Group commit (vice/store_flush.c): replies of calls that ran while a
 * change was not yet durable wait for one vs_flush at the end of the
 * event-loop turn.  With v->sync_delay_ms set (vice --sync delayed, as
 * OpenAFS's fileserver -sync delayed) they do not wait: the flush runs
 * that many ms after the first change not yet flushed, so a reply means
 * "written" (it survives kill -9 of vice) and a power loss can take the
 * last sync_delay_ms of changes.  Call right after event_base_new(),
 * before any event exists (it sets the base's priorities).  0, or -1
 * and err. */
int vice_flush_init(struct vice *v, char *err, size_t errlen);
/* Flush, send the replies waiting, back to a flush per commit (stop). */
void vice_flush_stop(struct vice *v);

/* ---- callback.c: promises and breaks ---- */
/* c now holds a promise on fid (if it takes callbacks). */
void cb_grant(struct vclient *c, const hs_fid *fid);
/* fids changed by from: every other client holding a promise on one of
 * them is sent HS_CB_BREAK and loses it.  Sent before from's reply. */
void cb_break(struct vice *v, struct vclient *from, const hs_fid *fids,
	      unsigned n);
/* c disconnected: it holds nothing (volume promises included). */
void cb_forget(struct vclient *c);
/* Send HS_CB_BREAK with fids[0..n) (n <= HS_MAXFIDS) to c, as part of
 * the call being run (v->cur_wait); a client that cannot be told is
 * marked doomed (cb_break closes it). */
void cb_send_break(struct vice *v, struct vclient *c, hs_fid *fids,
		   unsigned n);
/* Volume vol changed as a whole (restore, create over an old id): its
 * stamp moves on and its volume promises are broken (vstamp_changed). */
void cb_vol_changed(struct vice *v, uint32_t vol);
/* Volume id left this server (released after a move): every client
 * holding a promise on one of its objects is told now, so that it asks
 * again (and learns HS_EMOVED) instead of serving its cached copy on.
 * (Out of memory for the list: the rest keep theirs.) */
void cb_break_volume(struct vice *v, struct vclient *from, uint32_t id);

/* ---- volstamp.c: volume version stamps, volume promises ---- */
/* Volume vol's stamp now (rpc/hesper.x HS_VOLSTAMPS): never 0 but when
 * out of memory. */
uint64_t vstamp_get(struct vice *v, uint32_t vol);
/* Something in vol changed: its stamp moves on, and every client holding
 * a volume promise on it (the changer too) is sent HS_CB_BREAK with the
 * fid {vol, 0, 0} and loses it.  cb_break calls it. */
void vstamp_changed(struct vice *v, uint32_t vol);
/* Free the stamps (shutdown). */
void vstamp_free(struct vice *v);
/* c holds a volume promise on vol: 0, ENOTSUP (c takes no callbacks) or
 * ENOMEM. */
int volp_add(struct vclient *c, uint32_t vol);
/* 1 if c holds a volume promise on vol. */
int volp_has(const struct vclient *c, uint32_t vol);
/* c holds no volume promise any more. */
void volp_clear(struct vclient *c);

/* Hold a call's reply until the breaks it causes are answered: set
 * v->cur_wait = cb_wait_begin() before running the call, and after it
 * cb_wait_end(w, fire, arg), which runs fire(arg) once every break sent
 * meanwhile was answered, failed or timed out (at once if none was).
 * cb_wait_begin returns NULL when out of memory; cb_wait_end(NULL, ...)
 * fires at once. */
struct cb_wait;
struct cb_wait *cb_wait_begin(void);
void cb_wait_end(struct cb_wait *w, void (*fire)(void *arg), void *arg);

/* ---- tlsinit.c ---- */
/* TLS config from <root>/tls/{cert,key}.pem, made self-signed on first
 * start; fp receives the certificate's fingerprint.  NULL and err on
 * failure. */
struct hrpc_tls *vice_tls_init(const char *root, char fp[HRPC_FP_LEN],
			       char *err, size_t errlen);

/* ---- daemon.c ---- */
/* Fork: the parent waits until the child calls vice_daemon_ready() (exit
 * 0) or exits (exit 1), and never returns.  The child returns a fd to
 * pass to vice_daemon_ready(), or -1 with errno. */
int vice_daemon_start(void);
/* Tell the parent we are up, detach from the terminal. */
void vice_daemon_ready(int fd);

#endif /* VICE_VICE_H */
