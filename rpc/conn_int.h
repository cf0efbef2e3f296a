/*
 * rpc/conn_int.h - private to the transport (rpc/conn.c, rpc/call.c,
 * rpc/serve.c, rpc/listen.c): the conn struct and the helpers those files
 * share.  Lifetime and flow-control rules are described in rpc/conn.c.
 */
#ifndef HESPER_RPC_CONN_INT_H
#define HESPER_RPC_CONN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/util.h>
#include <event2/buffer.h>

#include "hesper/rpc.h"

#define NBUCKETS 64
#define DEAD_XIDS 256         /* timed-out xids whose late replies we drop */
#define RPC_VERS 2
/* Bytes a bufferevent moves through TLS per readiness event (libevent's
 * default is 16 KiB: one TLS record, so one trip around the loop per
 * record).  1 MiB lets a store chunk or fetch reply go in a few turns. */
#define CONN_MAX_SINGLE_IO (1024 * 1024)

enum cstate { C_INIT, C_RESOLVING, C_CONNECTING, C_UP, C_CLOSED };

struct pending {
	LIST_ENTRY(pending) link;
	struct hrpc_conn *c;
	uint32_t xid;
	struct event *timer;
	xdrproc_t resproc;
	size_t ressize;
	hrpc_done_fn done;
	void *cbarg;
};
LIST_HEAD(plist, pending);

struct hrpc_call {
	struct hrpc_conn *c;
	uint32_t xid, prog, vers, proc;
	unsigned char *rec;   /* the whole record */
	size_t len, argoff;   /* args are rec[argoff..len) */
	uint32_t cred_flavor; /* the call's credential (RFC 5531 cb_cred): */
	size_t credoff;       /* its body is rec[credoff..credoff+credlen) */
	unsigned credlen;
};

/* A listener's limits and counts, shared by it and the conns it accepted
 * (refcounted: either may go first).  rpc/listen.c. */
#define GATE_BUCKETS 256
struct gate_host;
struct hrpc_gate {
	int refs;
	uint32_t seed;           /* keys the host hash (random) */
	struct hrpc_limits lim;
	unsigned nconns;
	unsigned long refused;
	struct gate_host *hosts[GATE_BUCKETS];
};

struct hrpc_conn {
	struct event_base *base;
	struct hrpc_tls *tls;
	const struct hrpc_conn_ops *ops;
	void *arg, *data;
	struct bufferevent *bev;
	struct event *step;      /* start, DNS continuation, resume reading */
	struct event *deadline;  /* connect + handshake timeout */
	struct evdns_base *dns;
	struct evdns_getaddrinfo_request *dnsreq;
	struct evutil_addrinfo *ai, *ai_next;
	char *host;
	int port;
	int refs;
	enum cstate state;
	int server, announced, paused, dns_done, dns_result, last_err;
	unsigned npending, nincoming;
	size_t inbytes;          /* record bytes of the nincoming calls */
	uint32_t next_xid;
	uint32_t dead[DEAD_XIDS];
	unsigned ndead;
	struct plist buckets[NBUCKETS];
	char peer[INET6_ADDRSTRLEN + 16];
	/* Server side (issue 9): */
	struct hrpc_gate *gate;  /* counted in it while non-NULL */
	unsigned char srckey[16]; /* source address key (rpc/listen.c) */
	int out_paused;          /* replies unread past HRPC_OUTPUT_PAUSE */
	int admit_wait;          /* deadline runs until hrpc_conn_admit */
	unsigned record_ms;      /* hrpc_limits.record_ms */
	struct event *rectimer;  /* the record being received is late */
};

/* ---- small helpers ---- */

/* libtirpc declares xdr_void(void); this is its two-argument equivalent. */
static inline bool_t conn_xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

/* conn_xdr_nothing as an xdrproc_t, for absent args or results. */
static inline xdrproc_t conn_xdr_nothing_proc(void)
{
	return (xdrproc_t)conn_xdr_nothing;
}

/* The big-endian 32-bit word at b (xid, message type). */
static inline uint32_t conn_be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Milliseconds to a struct timeval for evtimer_add. */
static inline void conn_ms_to_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* ---- rpc/conn.c: lifecycle, sending, reading ---- */

/* A new conn holding the open ref, its connect deadline armed. */
struct hrpc_conn *conn_new(struct event_base *base, struct hrpc_tls *tls,
			   const struct hrpc_conn_ops *ops, void *arg);
/* Free c and everything it owns; refs are not consulted. */
void conn_destroy(struct hrpc_conn *c);
/* Close c with err: pending calls fail and on_closed(err) runs. */
void conn_fail(struct hrpc_conn *c, int err);
/* One whole record from the peer: a call or a reply.  Takes rec.  0 or
 * the errno that closes the conn. */
int conn_handle_record(struct hrpc_conn *c, unsigned char *rec, size_t len);
/* Set up c->bev for a TLS connection on fd (-1 for connecting later). */
int conn_make_bev(struct hrpc_conn *c, evutil_socket_t fd, const char *host);
/* "[v6]:port" or "v4:port"; v4-mapped v6 addresses print as v4. */
void conn_format_addr(const struct sockaddr *sa, char *out, size_t n);
/* Encode hdrproc(hdr) then, if given, bodyproc(body) as one record. */
int conn_send_msg(struct hrpc_conn *c, xdrproc_t hdrproc, void *hdr,
		  xdrproc_t bodyproc, const void *body);
/* conn_send_msg where runs of at least HRPC_REF_MIN bytes inside hold
 * (NULL: none) are queued by reference, hold counted until they are sent. */
int conn_send_msg_hold(struct hrpc_conn *c, xdrproc_t hdrproc, void *hdr,
		       xdrproc_t bodyproc, const void *body,
		       struct hrpc_buf *hold);

/* ---- rpc/sendref.c ---- */

/* The held path of conn_send_msg_hold: the record (size bytes after its
 * mark) is appended to out whole, or not at all (-EINVAL, -ENOMEM). */
int conn_send_held(struct evbuffer *out, unsigned long size,
		   xdrproc_t hdrproc, void *hdr, xdrproc_t bodyproc,
		   const void *body, struct hrpc_buf *hold);

/* Reading was paused (HRPC_MAX_INCOMING or output): read again if no
 * reason remains, and process records already buffered. */
void conn_resume_reading(struct hrpc_conn *c);

/* ---- rpc/listen.c: the gate ---- */

/* Drop c from its gate's counts (idempotent). */
void conn_gate_release(struct hrpc_conn *c);

/* ---- rpc/call.c: outgoing calls ---- */

/* Fail every pending call with err; done callbacks may re-enter. */
void conn_fail_all(struct hrpc_conn *c, int err);
/* A reply arrived: complete its call.  Returns 0 or the errno that closes
 * the conn. */
int conn_handle_reply(struct hrpc_conn *c, unsigned char *rec, size_t len);

/* ---- rpc/serve.c: incoming calls ---- */

/* Takes rec.  Returns 0 or the errno that closes the conn. */
int conn_handle_call(struct hrpc_conn *c, unsigned char *rec, size_t len);

#endif
