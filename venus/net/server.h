/*
 * server.h - venus's connection to vice.
 *
 * One TLS connection (hesper/rpc.h) per vice (host:port), opened at
 * start and reopened on demand after it drops; volreg.c makes one per
 * server of every realm, on first use.  The server's certificate
 * is pinned on first use in <cachedir>/known_servers ("host:port sha256-fp"
 * lines), or verified against cfg.cafile.  vice's callback calls
 * (HS_CB_PROG) arrive on it and are handled in server.c.
 */
#ifndef VENUS_SERVER_H
#define VENUS_SERVER_H

#include <stdint.h>
#include <sys/types.h>
#include <hesper/rpc.h>
#include "hesper.h"   /* rpcgen: hs_fid, hs_storeid */

/* One connection to one vice; opaque.  volreg.c makes the instances
 * (V->srv is realm 0's first server until every caller uses vr_call_as);
 * every call below takes one. */
struct srv;

/* How the connection reports upward (net never calls fsobj or volstate;
 * main.c wires these to them).  All run on the event loop; arg is
 * srv_hooks.arg.  All but down are required. */
struct srv_hooks {
	/* HS_CONNECT succeeded: vice is reachable again. */
	void (*up)(void *arg);
	/* The connection failed or dropped (not at srv_stop); may be NULL. */
	void (*down)(void *arg);
	/* vice broke its callback promise on fid (HS_CB_BREAK); fid is
	 * already local (its volume carries the srv's realm index). */
	void (*cb_break)(void *arg, const hs_fid *fid);
	/* The connection that held the promises is gone: all are void. */
	void (*cb_lost)(void *arg);
	/* Run done(done_arg) once the front end applied the invalidations
	 * cb_break caused; the break is answered only then. */
	void (*fence)(void *arg, void (*done)(void *done_arg), void *done_arg);
	void *arg;
};

/* Connect (asynchronously) to vice at host (name or IP literal) and port,
 * a server of realm index realm (volreg.h): callback fids it sends are
 * made local with that index.  Pinning in known_servers is per
 * "host:port".  The instance, or NULL with *err set to -errno for a
 * configuration error (logged). */
struct srv *srv_start(const struct srv_hooks *hooks, const char *host, int port,
		      unsigned realm, int *err);
/* Close and free s; NULL is fine. */
void srv_stop(struct srv *s);

/* 1 while the connection to vice is up and HS_CONNECT succeeded (0 for
 * a NULL s, as srv_reachable). */
int srv_is_up(const struct srv *s);
/* The server id vice gave at the last HS_CONNECT (0: never connected).
 * Two names of one vice (an address and a host name) give the same id. */
uint64_t srv_server_id(const struct srv *s);
/* "host:port" of the server, for messages. */
const char *srv_name(const struct srv *s);
/* Write "host:port" ("[v6]:port" for an IPv6 literal) into buf. */
void srv_format_name(char *buf, size_t len, const char *host, int port);
/* The realm index s was started with. */
unsigned srv_realm(const struct srv *s);
/* The realm name vice gave in its last HS_CONNECT answer ("" before). */
const char *srv_peer_realm(const struct srv *s);

/* Call an HS_VICE_PROG procedure.  If the connection is down and was not
 * known to be unreachable, the call waits for one connection attempt; if
 * vice is known unreachable (the last attempt or call failed) it fails at
 * once with ETIMEDOUT and a reconnect starts in the background; it never
 * waits past the call timeout.  done always runs exactly once, possibly
 * before srv_call returns.  Arguments as for hrpc_call; errors are
 * mapped: unreachable -> ETIMEDOUT, refused certificate -> EACCES,
 * garbled reply -> EIO. */
void srv_call(struct srv *s, uint32_t proc, xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize, hrpc_done_fn done, void *cbarg);
/* The caller venus names for its own calls (hoard walks, probes): no
 * token, so System:AnyUser's rights. */
#define SRV_SELF ((uid_t)-1)
/* srv_call made as local uid: the call carries uid's token (token.h) as
 * its credential, looked up when it is sent; without a live token it goes
 * as System:AnyUser.  srv_call is srv_call_as(SRV_SELF, ...). */
void srv_call_as(struct srv *s, uid_t uid, uint32_t proc, xdrproc_t argproc,
		 const void *args, xdrproc_t resproc, size_t ressize,
		 hrpc_done_fn done, void *cbarg);
/* srv_call_as with arguments already XDR-encoded (buf, len: borrowed,
 * so they must stay unchanged until done has run) and a time limit of timeout_ms (0 or above the configured call
 * timeout: that timeout).  For volreg.c, which keeps the encoded (and
 * translated) arguments to send a call again after HS_EMOVED/HS_EVBUSY.
 * hold, if not NULL, is the hrpc_buf whose block buf is: the transport
 * then queues the bytes by reference instead of copying them (a store
 * chunk), and keeps its own count on hold while they wait. */
void srv_call_enc(struct srv *s, uid_t uid, uint32_t proc, const char *buf, u_int len,
		  struct hrpc_buf *hold,
		  unsigned timeout_ms, xdrproc_t resproc, size_t ressize,
		  hrpc_done_fn done, void *cbarg);
/* HS_NULL: done(arg, 0) if vice answers within the call timeout, else
 * done(arg, errno) as srv_call maps it.  For hoard walks that want to know
 * before they start. */
void srv_ping(struct srv *s, void (*done)(void *arg, int err), void *arg);

/* 1 unless vice is known to be unreachable (the last connection attempt
 * or a call timed out, or a probe failed) or cfs disconnect holds. */
int srv_reachable(const struct srv *s);
/* cfs disconnect (1): drop the connection and make no calls or probes
 * until srv_set_offline(0) (cfs reconnect). */
void srv_set_offline(struct srv *s, int off);
/* Probe now rather than at the next serverprobe tick. */
void srv_probe_now(struct srv *s);

/* A fresh store id: (V->client_id, V->next_seq++), made durable in the db
 * before it is used so a restarted venus never reuses one.  Store ids are
 * the client's, not a connection's: no instance (usable before srv_start,
 * as fso_log_dirty does). */
void srv_new_storeid(hs_storeid *sid);

#endif /* VENUS_SERVER_H */
