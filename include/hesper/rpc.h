/*
 * hesper/rpc.h - ONC RPC over TLS on libevent: Hesper's transport.
 *
 * One struct hrpc_conn is one TLS 1.3 connection over TCP (IPv4 or IPv6).
 * Either side may call the other on it: venus calls vice's HS_VICE_PROG,
 * vice calls venus's HS_CB_PROG.  Messages are RFC 5531 call/reply messages
 * with RFC 5531 section 11 record marking; bodies are XDR (RFC 4506)
 * encoded by rpcgen's routines (xdrproc_t).  Replies are matched by xid, so
 * any number of calls may be in flight at once.
 *
 * Everything runs on the caller's struct event_base; no function here
 * blocks on the network.  Not thread-safe: use from the loop thread only.
 * The first connection sets SIGPIPE to SIG_IGN if it is still SIG_DFL
 * (OpenSSL writes with write(2); a vanished peer must not kill us).
 *
 * Hostile input: a record longer than HRPC_MAX_RECORD, a fragment chain
 * longer than that in total, a message that does not decode, a reply to an
 * unknown xid, or a TLS error closes that one connection (on_closed with
 * EPROTO or EBADMSG); other connections are not affected.
 */
#ifndef HESPER_RPC_H
#define HESPER_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/rpc.h>
#include <event2/event.h>

/* Largest record accepted: a 4 MiB chunk plus headroom for its header. */
#define HRPC_MAX_RECORD (4u * 1024 * 1024 + 64 * 1024)
/* Default per-call timeout, milliseconds. */
#define HRPC_DEFAULT_TIMEOUT_MS 30000
/* Hex SHA-256 fingerprint: 32 bytes as "AA:BB:..." (uppercase), plus NUL. */
#define HRPC_FP_LEN 96
/* Added: connect (TCP + TLS handshake) must finish within this many ms,
 * else on_closed(ETIMEDOUT).  Applies to accepted connections too. */
#define HRPC_CONNECT_TIMEOUT_MS 30000
/* Added: incoming calls on one conn awaiting hrpc_reply; past this the conn
 * stops reading (TCP back-pressure) until some are answered. */
#define HRPC_MAX_INCOMING 256
/* Added (issue 9): ... and once the records of those calls reach this many
 * bytes (a call answered later, say after callback breaks, keeps its
 * record; a peer could pad small calls to HRPC_MAX_RECORD). */
#define HRPC_MAX_INCOMING_BYTES HRPC_MAX_RECORD
/* Added: bytes of unsent output on one conn beyond which hrpc_call fails
 * with -ENOBUFS and hrpc_reply closes the conn (on_closed(ENOBUFS)): a
 * peer that stops reading cannot make us buffer without bound. */
#define HRPC_MAX_OUTPUT (64u * HRPC_MAX_RECORD)
/* Added (issue 9): an accepted (server-side) conn stops reading requests
 * while more than HRPC_OUTPUT_PAUSE bytes of its replies wait unsent, and
 * reads again once they drained to HRPC_OUTPUT_RESUME: a peer that does not
 * read its replies holds at most one reply more than this.  Only the
 * accepting side pauses, so two peers cannot both wait on each other. */
#define HRPC_OUTPUT_PAUSE (1024u * 1024)
#define HRPC_OUTPUT_RESUME (256u * 1024)
/* Added (issue 9): the most one accepted conn buffers for its peer, in
 * bytes: a partial record being received, the records of calls awaiting
 * replies (HRPC_MAX_INCOMING_BYTES plus the one that crossed it), and
 * output (HRPC_OUTPUT_PAUSE plus the reply that crossed it), plus 1 MiB
 * for TLS and buffer overhead.  A server sizes its connection cap by it. */
#define HRPC_CONN_MAX_BYTES (4u * HRPC_MAX_RECORD + HRPC_OUTPUT_PAUSE + \
			     1024u * 1024)

struct hrpc_tls;   /* TLS configuration (an SSL_CTX and its policy) */
struct hrpc_conn;  /* one connection */
struct hrpc_listener;
struct hrpc_call;  /* one incoming call awaiting its reply */

/* ---- TLS configuration ---- */

/* Server side: load a PEM certificate chain and key.  Returns NULL and a
 * message in err (errlen bytes) on failure.  TLS 1.3 only. */
struct hrpc_tls *hrpc_tls_server(const char *certfile, const char *keyfile,
				 char *err, size_t errlen);

/* Client side.  With cafile, the server's chain must verify against it (and
 * the name given to hrpc_connect must match).  With cafile NULL, any
 * certificate is accepted by TLS and the caller must pin the fingerprint
 * passed to on_connected (trust on first use, as ssh does). */
struct hrpc_tls *hrpc_tls_client(const char *cafile, char *err, size_t errlen);

/* Free a configuration; keep it until connects using it have come up. */
void hrpc_tls_free(struct hrpc_tls *tls);

/* Make a self-signed certificate (EC P-256, 10 years, CN=cn, subjectAltName
 * DNS:cn) and its key, written with mode 0644 / 0600.  If fp is non-NULL it
 * receives the certificate's SHA-256 fingerprint.  Returns 0 or -errno. */
int hrpc_tls_make_selfsigned(const char *certfile, const char *keyfile,
			     const char *cn, char fp[HRPC_FP_LEN]);

/* SHA-256 fingerprint of the PEM certificate in certfile.  0 or -errno. */
int hrpc_tls_cert_fingerprint(const char *certfile, char fp[HRPC_FP_LEN]);

/* ---- connections ---- */

/* Callbacks a connection owner supplies.  All optional except dispatch
 * where the owner serves a program. */
struct hrpc_conn_ops {
	/* TLS handshake done.  fp is the peer certificate's SHA-256
	 * fingerprint.  Return 0 to accept, or an errno to close the
	 * connection (on_closed then follows with that errno). */
	int (*on_connected)(struct hrpc_conn *c, const char *fp, void *arg);
	/* The connection is gone (err: 0 for a clean close, else an errno:
	 * ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPROTO, EBADMSG, ...).  All
	 * calls still pending have already been failed with that errno.  The
	 * conn is freed after this returns unless references remain. */
	void (*on_closed)(struct hrpc_conn *c, int err, void *arg);
	/* An incoming call.  The owner must eventually answer it with
	 * hrpc_reply or hrpc_reply_error (now or later, from the loop). */
	void (*dispatch)(struct hrpc_conn *c, struct hrpc_call *call, void *arg);
};

/* Open a client connection to host:port (a name or a numeric IPv4/IPv6
 * address; names resolve asynchronously).  Returns NULL only on allocation
 * failure; connection errors are reported through ops->on_closed. */
struct hrpc_conn *hrpc_connect(struct event_base *base, struct hrpc_tls *tls,
			       const char *host, int port,
			       const struct hrpc_conn_ops *ops, void *arg);

/* Listen on addr:port (addr NULL or "" means every address, IPv6 and IPv4).
 * Each accepted connection gets ops/arg; on_connected runs after its TLS
 * handshake.  Returns NULL with a message in err on failure. */
struct hrpc_listener *hrpc_listen(struct event_base *base, struct hrpc_tls *tls,
				  const char *addr, int port,
				  const struct hrpc_conn_ops *ops, void *arg,
				  char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int hrpc_listener_port(const struct hrpc_listener *l);
void hrpc_listener_free(struct hrpc_listener *l);

/* Added (issue 9): what a listener allows its peers.  Zero in a field
 * means no limit.  Counts are of accepted conns not yet closed, from TCP
 * accept on (handshaking, admitted and idle alike). */
struct hrpc_limits {
	unsigned max_conns;          /* conns open at once */
	unsigned max_conns_per_host; /* ... from one source address */
	/* ms from accept until the owner calls hrpc_conn_admit (TLS
	 * handshake plus the owner's own hello); past it the conn closes
	 * with ETIMEDOUT.  0: only HRPC_CONNECT_TIMEOUT_MS for TLS. */
	unsigned admit_ms;
	/* ms the peer may owe us bytes: a record from its first byte to
	 * its last, or replies that paused reading (HRPC_OUTPUT_PAUSE) until
	 * it read them down to HRPC_OUTPUT_RESUME.  Past it the conn closes
	 * with ETIMEDOUT.  Not counted while paused at HRPC_MAX_INCOMING. */
	unsigned record_ms;
	/* Over a cap the connection is accepted and closed at once (so the
	 * backlog does not fill) and this is called (may be NULL): peer is
	 * "addr:port", per_host 1 for the per-address cap, 0 for the global
	 * one; arg is the listener's arg. */
	void (*on_refused)(const char *peer, int per_host, void *arg);
};

/* Apply lim (copied) to connections accepted from now on. */
void hrpc_listener_set_limits(struct hrpc_listener *l,
			      const struct hrpc_limits *lim);
/* Conns accepted by l and not yet closed. */
unsigned hrpc_listener_nconns(const struct hrpc_listener *l);
/* Connections refused at a cap since l was made. */
unsigned long hrpc_listener_refused(const struct hrpc_listener *l);

/* Close now: pending calls fail with ECONNABORTED, on_closed(0) follows. */
void hrpc_close(struct hrpc_conn *c);
/* Reference counting; a conn lives while referenced or open. */
void hrpc_conn_ref(struct hrpc_conn *c);
void hrpc_conn_unref(struct hrpc_conn *c);
/* Owner data, free for the owner's use. */
void hrpc_conn_set_data(struct hrpc_conn *c, void *data);
void *hrpc_conn_get_data(const struct hrpc_conn *c);
/* Peer address as text ("[::1]:1234" or "127.0.0.1:1234"). */
const char *hrpc_conn_peer(const struct hrpc_conn *c);
/* The event loop the connection runs on. */
struct event_base *hrpc_conn_base(const struct hrpc_conn *c);
/* 1 once the TLS handshake finished and until the conn closes. */
int hrpc_conn_is_up(const struct hrpc_conn *c);
/* Added (issue 9): the peer has identified itself (vice: HS_CONNECT
 * succeeded); stops the hrpc_limits.admit_ms deadline.  No-op otherwise. */
void hrpc_conn_admit(struct hrpc_conn *c);

/* ---- outgoing calls ---- */

/* Completion of an outgoing call.  err is 0 and res points at the decoded
 * result, or err is an errno (ETIMEDOUT, ECONNRESET, ECONNABORTED,
 * EPROTO: the peer rejected the call, EBADMSG: the result did not decode)
 * and res is NULL.  The transport frees res (xdr_free) after the callback
 * returns: copy out what you keep. */
typedef void (*hrpc_done_fn)(void *cbarg, int err, void *res);

/* Send a call.  args is encoded with argproc now; the caller may free it on
 * return.  res is a zeroed buffer of ressize bytes the transport allocates
 * for resproc.  timeout_ms 0 means HRPC_DEFAULT_TIMEOUT_MS.  Returns 0, or
 * -errno (ENOTCONN, EMSGSIZE for an oversized message, ENOMEM) without
 * calling done. */
int hrpc_call(struct hrpc_conn *c, uint32_t prog, uint32_t vers, uint32_t proc,
	      xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize,
	      unsigned timeout_ms, hrpc_done_fn done, void *cbarg);

/* A call's credential: RFC 5531's opaque_auth (cb_cred).  flavor 0 is
 * AUTH_NONE; the body is at most HRPC_MAX_CRED bytes (MAX_AUTH_BYTES). */
#define HRPC_MAX_CRED 400
struct hrpc_cred {
	uint32_t flavor;
	const void *body;
	unsigned len;
};

/* hrpc_call with a credential (NULL: AUTH_NONE, as hrpc_call).  -EINVAL if
 * cred->len > HRPC_MAX_CRED; otherwise as hrpc_call. */
int hrpc_call_as(struct hrpc_conn *c, const struct hrpc_cred *cred,
		 uint32_t prog, uint32_t vers, uint32_t proc,
		 xdrproc_t argproc, const void *args,
		 xdrproc_t resproc, size_t ressize,
		 unsigned timeout_ms, hrpc_done_fn done, void *cbarg);

/* ---- bulk bytes sent without a copy (rpc/sendref.c) ---- */

/* A counted heap block the transport may queue by reference: a store
 * chunk's encoded arguments, a fetch reply's data.  Encoding a record
 * copies every byte once more before OpenSSL encrypts it; with a hold,
 * any run of at least HRPC_REF_MIN bytes that the XDR routines put from
 * inside the block is queued where it lies (evbuffer_add_reference), and
 * the transport keeps a count until it has been written to the socket
 * or the connection is gone.  So the owner drops its own count whenever
 * it likes (a call that timed out, say) and must not change the bytes
 * after the send. */
#define HRPC_REF_MIN (64u * 1024)
struct hrpc_buf;
/* Wrap data (a malloc'd block of len bytes; free()d with the last count)
 * with one count.  NULL when out of memory; data is then still the
 * caller's. */
struct hrpc_buf *hrpc_buf_adopt(void *data, size_t len);
void hrpc_buf_ref(struct hrpc_buf *b);
/* Drop a count (NULL: nothing); the last frees the block. */
void hrpc_buf_unref(struct hrpc_buf *b);

/* hrpc_call_as, with argproc's runs inside hold (NULL: none) queued by
 * reference (see struct hrpc_buf). */
int hrpc_call_hold(struct hrpc_conn *c, const struct hrpc_cred *cred,
		   struct hrpc_buf *hold, uint32_t prog, uint32_t vers,
		   uint32_t proc, xdrproc_t argproc, const void *args,
		   xdrproc_t resproc, size_t ressize,
		   unsigned timeout_ms, hrpc_done_fn done, void *cbarg);

/* Number of calls sent on c and not yet answered. */
unsigned hrpc_conn_pending(const struct hrpc_conn *c);

/* ---- incoming calls ---- */

uint32_t hrpc_call_prog(const struct hrpc_call *call);
uint32_t hrpc_call_vers(const struct hrpc_call *call);
uint32_t hrpc_call_proc(const struct hrpc_call *call);
/* The connection the call came in on (still referenced by the call). */
struct hrpc_conn *hrpc_call_conn(const struct hrpc_call *call);

/* The call's credential; out->body points into the call's record and
 * stays valid until the call is answered. */
void hrpc_call_cred(const struct hrpc_call *call, struct hrpc_cred *out);

/* Decode the arguments into *args (zeroed by the caller).  Returns 1 on
 * success, 0 if they do not decode (then answer hrpc_reply_error with
 * GARBAGE_ARGS).  Free them with xdr_free(argproc, args) when done. */
int hrpc_call_args(struct hrpc_call *call, xdrproc_t argproc, void *args);

/* Answer with a result and free the call.  If the connection went away
 * meanwhile, the reply is dropped silently.  Returns 0 or -errno (a result
 * that does not encode, -EINVAL/-EMSGSIZE, is answered with SYSTEM_ERR). */
int hrpc_reply(struct hrpc_call *call, xdrproc_t resproc, const void *res);

/* hrpc_reply, with resproc's runs inside hold (NULL: none) queued by
 * reference (see struct hrpc_buf): a fetch reply's data. */
int hrpc_reply_hold(struct hrpc_call *call, xdrproc_t resproc,
		    const void *res, struct hrpc_buf *hold);

/* Answer with an RFC 5531 accept_stat (PROG_UNAVAIL, PROC_UNAVAIL,
 * GARBAGE_ARGS, SYSTEM_ERR, ...) and free the call. */
int hrpc_reply_error(struct hrpc_call *call, enum accept_stat stat);

#endif /* HESPER_RPC_H */
