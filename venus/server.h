/*
 * server.h - venus's connection to vice.
 *
 * One TLS connection (hesper/rpc.h) to the configured server, opened at
 * start and reopened on demand after it drops.  The server's certificate
 * is pinned on first use in <cachedir>/known_servers ("host:port sha256-fp"
 * lines), or verified against cfg.cafile.  vice's callback calls
 * (HS_CB_PROG) arrive on it and are handled in server.c.
 */
#ifndef VENUS_SERVER_H
#define VENUS_SERVER_H

#include <stdint.h>
#include <hesper/rpc.h>
#include "hesper.h"   /* rpcgen: hs_storeid (added) */

/* Connect (asynchronously).  0 or -errno for a configuration error. */
int srv_start(void);
void srv_stop(void);

/* 1 while the connection to vice is up and HS_CONNECT succeeded. */
int srv_is_up(void);
/* "host:port" of the server, for messages. */
const char *srv_name(void);
/* The reason of the last failure to reach vice (an errno), 0 if none. */
int srv_last_error(void);

/* Call an HS_VICE_PROG procedure.  If the connection is down, one
 * reconnect is attempted first; if vice cannot be reached within the call
 * timeout, done runs with ETIMEDOUT (never a hang).  done always runs
 * exactly once, possibly before srv_call returns.  Arguments as for
 * hrpc_call. */
void srv_call(uint32_t proc, xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize, hrpc_done_fn done, void *cbarg);

/* 1 unless vice is known to be unreachable (the last connection attempt
 * or a call timed out, or a probe failed) or cfs disconnect holds (added). */
int srv_reachable(void);
/* cfs disconnect (1): drop the connection and make no calls or probes
 * until srv_set_offline(0) (cfs reconnect) (added). */
void srv_set_offline(int off);
/* Probe now rather than at the next serverprobe tick (added). */
void srv_probe_now(void);

/* A fresh store id: (V->client_id, V->next_seq++), made durable in the db
 * before it is used so a restarted venus never reuses one. */
void srv_new_storeid(hs_storeid *sid);

#endif /* VENUS_SERVER_H */
