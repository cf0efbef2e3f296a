/*
 * rpc/conn.c - RFC 5531 calls and replies on TLS bufferevents (rpc.h).
 *
 * Lifetime: a conn holds one reference while open ("open ref") plus one per
 * owner hrpc_conn_ref, per incoming call awaiting its reply, and per DNS
 * lookup in flight.  Code that runs owner callbacks holds a temporary ref,
 * so an owner may close or unref from any callback.  Closing frees the
 * bufferevent at once; the struct goes when the last ref drops.
 *
 * Flow control: at most HRPC_MAX_INCOMING dispatched calls await replies;
 * beyond that reading stops (TCP back-pressure) until replies are sent.
 * Output is not bounded by watermarks (pausing reads on output would let
 * two peers that both send large records deadlock); instead hrpc_call
 * fails with -ENOBUFS and a reply closes the conn with ENOBUFS once more
 * than HRPC_MAX_OUTPUT bytes wait for a peer that does not read.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "hesper/rpc.h"
#include "rpc/record.h"
#include "rpc/tls.h"

#define NBUCKETS 64
#define DEAD_XIDS 256         /* timed-out xids whose late replies we drop */
#define RPC_VERS 2

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
	uint32_t next_xid;
	uint32_t dead[DEAD_XIDS];
	unsigned ndead;
	struct plist buckets[NBUCKETS];
	char peer[INET6_ADDRSTRLEN + 16];
};

struct hrpc_listener {
	struct evconnlistener *lev;
	struct event *retry;     /* re-enable after EMFILE and the like */
	struct event_base *base;
	struct hrpc_tls *tls;
	const struct hrpc_conn_ops *ops;
	void *arg;
};

static void conn_process(struct hrpc_conn *c);
static void try_connect(struct hrpc_conn *c);

/* ---- small helpers ---- */

/* libtirpc declares xdr_void(void); this is its two-argument equivalent. */
static bool_t xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

static xdrproc_t xdr_nothing_proc(void)
{
	return (xdrproc_t)xdr_nothing;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static void ms_to_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* "[v6]:port" or "v4:port"; v4-mapped v6 addresses print as v4. */
static void format_addr(const struct sockaddr *sa, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		snprintf(out, n, "%s:%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof a);
			snprintf(out, n, "%s:%u", a, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
			snprintf(out, n, "[%s]:%u", a, ntohs(s6->sin6_port));
		}
	} else {
		snprintf(out, n, "?");
	}
}

/* ---- lifetime ---- */

static struct hrpc_conn *conn_new(struct event_base *base,
				  struct hrpc_tls *tls,
				  const struct hrpc_conn_ops *ops, void *arg);

static void conn_destroy(struct hrpc_conn *c)
{
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->step)
		event_free(c->step);
	if (c->deadline)
		event_free(c->deadline);
	if (c->ai)
		evutil_freeaddrinfo(c->ai);
	if (c->dns)
		evdns_base_free(c->dns, 0);
	free(c->host);
	free(c);
}

void hrpc_conn_ref(struct hrpc_conn *c)
{
	c->refs++;
}

void hrpc_conn_unref(struct hrpc_conn *c)
{
	if (c && --c->refs == 0)
		conn_destroy(c);
}

static void pending_free(struct pending *p)
{
	LIST_REMOVE(p, link);
	p->c->npending--;
	event_free(p->timer);
	free(p);
}

/* Fail every pending call with err; done callbacks may re-enter. */
static void fail_all(struct hrpc_conn *c, int err)
{
	unsigned i;

	for (i = 0; i < NBUCKETS; i++) {
		struct pending *p;

		while ((p = LIST_FIRST(&c->buckets[i])) != NULL) {
			hrpc_done_fn done = p->done;
			void *cbarg = p->cbarg;

			pending_free(p);
			done(cbarg, err, NULL);
		}
	}
}

/* Close c: pending calls fail with perr, then on_closed(cerr). */
static void conn_fail2(struct hrpc_conn *c, int perr, int cerr)
{
	int tell;

	if (c->state == C_CLOSED)
		return;
	tell = !c->server || c->announced;
	c->state = C_CLOSED;
	hrpc_conn_ref(c);
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	event_del(c->deadline);
	event_del(c->step);
	if (c->dnsreq) {
		struct evdns_getaddrinfo_request *r = c->dnsreq;
		c->dnsreq = NULL;
		evdns_getaddrinfo_cancel(r);
	}
	fail_all(c, perr);
	if (tell && c->ops->on_closed)
		c->ops->on_closed(c, cerr, c->arg);
	hrpc_conn_unref(c);   /* the open ref */
	hrpc_conn_unref(c);   /* ours */
}

static void conn_fail(struct hrpc_conn *c, int err)
{
	conn_fail2(c, err, err);
}

void hrpc_close(struct hrpc_conn *c)
{
	conn_fail2(c, ECONNABORTED, 0);
}

/* ---- accessors ---- */

void hrpc_conn_set_data(struct hrpc_conn *c, void *data) { c->data = data; }
void *hrpc_conn_get_data(const struct hrpc_conn *c) { return c->data; }
const char *hrpc_conn_peer(const struct hrpc_conn *c) { return c->peer; }
int hrpc_conn_is_up(const struct hrpc_conn *c) { return c->state == C_UP; }
struct event_base *hrpc_conn_base(const struct hrpc_conn *c) { return c->base; }
unsigned hrpc_conn_pending(const struct hrpc_conn *c) { return c->npending; }

/* ---- sending ---- */

static void free_cb(const void *data, size_t len, void *arg)
{
	free((void *)data);
}

/* Encode hdrproc(hdr) then, if given, bodyproc(body) as one record. */
static int send_msg(struct hrpc_conn *c, xdrproc_t hdrproc, void *hdr,
		    xdrproc_t bodyproc, const void *body)
{
	unsigned long size = xdr_sizeof(hdrproc, hdr);
	struct evbuffer *out;
	unsigned char *buf;
	XDR x;
	int ok;

	if (bodyproc)
		size += xdr_sizeof(bodyproc, (void *)body);
	if (size > HRPC_MAX_RECORD)
		return -EMSGSIZE;
	if (c->state != C_UP || !c->bev)
		return -ENOTCONN;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) > HRPC_MAX_OUTPUT)
		return -ENOBUFS;
	buf = malloc(4 + size);
	if (!buf)
		return -ENOMEM;
	xdrmem_create(&x, (char *)buf + 4, (u_int)size, XDR_ENCODE);
	ok = hdrproc(&x, hdr) && (!bodyproc || bodyproc(&x, (void *)body));
	size = ok ? xdr_getpos(&x) : 0;
	xdr_destroy(&x);
	if (!ok) {
		free(buf);
		return -EINVAL;
	}
	hrec_put_header(buf, size);
	if (evbuffer_add_reference(out, buf, 4 + size, free_cb, NULL) < 0) {
		free(buf);
		return -ENOMEM;
	}
	return 0;
}

/* ---- outgoing calls ---- */

static struct plist *bucket(struct hrpc_conn *c, uint32_t xid)
{
	return &c->buckets[xid % NBUCKETS];
}

static struct pending *find_pending(struct hrpc_conn *c, uint32_t xid)
{
	struct pending *p;

	LIST_FOREACH(p, bucket(c, xid), link)
		if (p->xid == xid)
			return p;
	return NULL;
}

static int xid_is_dead(const struct hrpc_conn *c, uint32_t xid)
{
	unsigned i, n = c->ndead < DEAD_XIDS ? c->ndead : DEAD_XIDS;

	for (i = 0; i < n; i++)
		if (c->dead[i] == xid)
			return 1;
	return 0;
}

static void call_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct hrpc_conn *c = p->c;
	hrpc_done_fn done = p->done;
	void *cbarg = p->cbarg;

	/* Remember the xid: a late reply is not a protocol error. */
	c->dead[c->ndead++ % DEAD_XIDS] = p->xid;
	hrpc_conn_ref(c);
	pending_free(p);
	done(cbarg, ETIMEDOUT, NULL);
	hrpc_conn_unref(c);
}

int hrpc_call(struct hrpc_conn *c, uint32_t prog, uint32_t vers, uint32_t proc,
	      xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize,
	      unsigned timeout_ms, hrpc_done_fn done, void *cbarg)
{
	struct opaque_auth none = { AUTH_NONE, NULL, 0 };
	struct rpc_msg m;
	struct pending *p;
	struct timeval tv;
	int r;

	if (c->state != C_UP)
		return -ENOTCONN;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->timer = evtimer_new(c->base, call_timeout_cb, p);
	if (!p->timer) {
		free(p);
		return -ENOMEM;
	}
	do
		p->xid = c->next_xid++;
	while (find_pending(c, p->xid));
	memset(&m, 0, sizeof m);
	m.rm_xid = p->xid;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = RPC_VERS;
	m.rm_call.cb_prog = prog;
	m.rm_call.cb_vers = vers;
	m.rm_call.cb_proc = proc;
	m.rm_call.cb_cred = none;
	m.rm_call.cb_verf = none;
	r = send_msg(c, (xdrproc_t)xdr_callmsg, &m,
		     argproc ? argproc : xdr_nothing_proc(), args);
	if (r < 0) {
		event_free(p->timer);
		free(p);
		return r;
	}
	p->c = c;
	p->resproc = resproc ? resproc : xdr_nothing_proc();
	p->ressize = ressize;
	p->done = done;
	p->cbarg = cbarg;
	LIST_INSERT_HEAD(bucket(c, p->xid), p, link);
	c->npending++;
	ms_to_tv(timeout_ms ? timeout_ms : HRPC_DEFAULT_TIMEOUT_MS, &tv);
	evtimer_add(p->timer, &tv);
	return 0;
}

/* A reply arrived: complete its call.  Returns 0 or the errno that closes
 * the conn. */
static int handle_reply(struct hrpc_conn *c, unsigned char *rec, size_t len)
{
	char verf[MAX_AUTH_BYTES];
	struct pending *p = find_pending(c, be32(rec));
	struct rpc_msg m;
	hrpc_done_fn done;
	void *cbarg, *res;
	xdrproc_t resproc;
	int ok, err;
	XDR x;

	if (!p)
		return xid_is_dead(c, be32(rec)) ? 0 : EPROTO;
	done = p->done;
	cbarg = p->cbarg;
	resproc = p->resproc;
	res = calloc(1, p->ressize ? p->ressize : 1);
	pending_free(p);
	if (!res) {
		done(cbarg, ENOMEM, NULL);
		return 0;
	}
	memset(&m, 0, sizeof m);
	m.acpted_rply.ar_verf.oa_base = verf;
	m.acpted_rply.ar_results.where = res;
	m.acpted_rply.ar_results.proc = resproc;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	ok = xdr_replymsg(&x, &m);
	xdr_destroy(&x);
	if (!ok)
		err = EBADMSG;
	else if (m.rm_reply.rp_stat != MSG_ACCEPTED ||
		 m.acpted_rply.ar_stat != SUCCESS)
		err = EPROTO;
	else
		err = 0;
	done(cbarg, err, err ? NULL : res);
	xdr_free(resproc, res);
	free(res);
	return err == EBADMSG ? EBADMSG : 0;
}

/* ---- incoming calls ---- */

/* Skip an opaque_auth, bounded by RFC 5531's MAX_AUTH_BYTES. */
static int skip_auth(XDR *x)
{
	char body[MAX_AUTH_BYTES];
	u_int flavor, n;

	return xdr_u_int(x, &flavor) && xdr_u_int(x, &n) &&
	       n <= MAX_AUTH_BYTES && xdr_opaque(x, body, n);
}

static void call_free(struct hrpc_call *call)
{
	struct hrpc_conn *c = call->c;

	c->nincoming--;
	free(call->rec);
	free(call);
	if (c->paused && c->state == C_UP &&
	    c->nincoming < HRPC_MAX_INCOMING) {
		c->paused = 0;
		bufferevent_enable(c->bev, EV_READ);
		event_active(c->step, EV_TIMEOUT, 0);  /* buffered records */
	}
	hrpc_conn_unref(c);
}

static int send_reply(struct hrpc_call *call, enum accept_stat stat,
		      xdrproc_t resproc, const void *res)
{
	struct rpc_msg m;

	memset(&m, 0, sizeof m);
	m.rm_xid = call->xid;
	m.rm_direction = REPLY;
	m.rm_reply.rp_stat = MSG_ACCEPTED;
	m.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
	m.acpted_rply.ar_stat = stat;
	if (stat == PROG_MISMATCH) {
		m.acpted_rply.ar_vers.low = 1;
		m.acpted_rply.ar_vers.high = 1;
	}
	m.acpted_rply.ar_results.where = (void *)res;
	m.acpted_rply.ar_results.proc = resproc ? resproc : xdr_nothing_proc();
	return send_msg(call->c, (xdrproc_t)xdr_replymsg, &m, NULL, NULL);
}

/* Dead conn: drop silently.  A peer that stopped reading: close. */
static int finish_reply(struct hrpc_call *call, int r)
{
	struct hrpc_conn *c = call->c;

	if (r == -ENOTCONN)
		r = 0;
	else if (r == -ENOBUFS)
		conn_fail(c, ENOBUFS);
	call_free(call);
	return r;
}

int hrpc_reply(struct hrpc_call *call, xdrproc_t resproc, const void *res)
{
	int r = send_reply(call, SUCCESS, resproc, res);

	/* A result that does not encode: the caller still gets an answer. */
	if (r == -EINVAL || r == -EMSGSIZE)
		send_reply(call, SYSTEM_ERR, NULL, NULL);
	return finish_reply(call, r);
}

int hrpc_reply_error(struct hrpc_call *call, enum accept_stat stat)
{
	return finish_reply(call, send_reply(call, stat, NULL, NULL));
}

/* RFC 5531: a call with another rpcvers gets MSG_DENIED / RPC_MISMATCH. */
static void reply_rpc_mismatch(struct hrpc_conn *c, uint32_t xid)
{
	struct rpc_msg m;

	memset(&m, 0, sizeof m);
	m.rm_xid = xid;
	m.rm_direction = REPLY;
	m.rm_reply.rp_stat = MSG_DENIED;
	m.rjcted_rply.rj_stat = RPC_MISMATCH;
	m.rjcted_rply.rj_vers.low = RPC_VERS;
	m.rjcted_rply.rj_vers.high = RPC_VERS;
	send_msg(c, (xdrproc_t)xdr_replymsg, &m, NULL, NULL);
}

/* Takes rec.  Returns 0 or the errno that closes the conn. */
static int handle_call(struct hrpc_conn *c, unsigned char *rec, size_t len)
{
	struct hrpc_call *call;
	u_int xid, mtype, rpcvers, prog, vers, proc;
	size_t off;
	XDR x;
	int ok;

	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	ok = xdr_u_int(&x, &xid) && xdr_u_int(&x, &mtype) &&
	     xdr_u_int(&x, &rpcvers) && xdr_u_int(&x, &prog) &&
	     xdr_u_int(&x, &vers) && xdr_u_int(&x, &proc) &&
	     skip_auth(&x) && skip_auth(&x);
	off = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok) {
		free(rec);
		return EBADMSG;
	}
	if (rpcvers != RPC_VERS) {
		free(rec);
		reply_rpc_mismatch(c, xid);
		return 0;
	}
	call = calloc(1, sizeof *call);
	if (!call) {
		free(rec);
		return ENOMEM;
	}
	*call = (struct hrpc_call){ c, xid, prog, vers, proc, rec, len, off };
	c->nincoming++;
	hrpc_conn_ref(c);
	if (c->ops->dispatch)
		c->ops->dispatch(c, call, c->arg);
	else
		hrpc_reply_error(call, PROG_UNAVAIL);
	return 0;
}

uint32_t hrpc_call_prog(const struct hrpc_call *call) { return call->prog; }
uint32_t hrpc_call_vers(const struct hrpc_call *call) { return call->vers; }
uint32_t hrpc_call_proc(const struct hrpc_call *call) { return call->proc; }
struct hrpc_conn *hrpc_call_conn(const struct hrpc_call *call)
{
	return call->c;
}

int hrpc_call_args(struct hrpc_call *call, xdrproc_t argproc, void *args)
{
	XDR x;
	int ok;

	xdrmem_create(&x, (char *)call->rec + call->argoff,
		      (u_int)(call->len - call->argoff), XDR_DECODE);
	ok = argproc(&x, args);
	xdr_destroy(&x);
	if (!ok)
		xdr_free(argproc, args);  /* partial decode; leaves NULLs */
	return ok ? 1 : 0;
}

/* ---- reading ---- */

/* Takes rec.  Returns 0 or the errno that closes the conn. */
static int handle_record(struct hrpc_conn *c, unsigned char *rec, size_t len)
{
	int err;

	if (len < 8) {
		free(rec);
		return EBADMSG;
	}
	switch (be32(rec + 4)) {
	case CALL:
		return handle_call(c, rec, len);
	case REPLY:
		err = handle_reply(c, rec, len);
		free(rec);
		return err;
	default:
		free(rec);
		return EBADMSG;
	}
}

static void conn_process(struct hrpc_conn *c)
{
	hrpc_conn_ref(c);
	while (c->state == C_UP && !c->paused) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		unsigned char *rec;
		size_t len;
		int st = hrec_take(in, HRPC_MAX_RECORD, &rec, &len), err;

		if (st == HREC_NEED_MORE)
			break;
		err = st == HREC_OK ? handle_record(c, rec, len)
				    : st == HREC_NOMEM ? ENOMEM : EPROTO;
		if (err) {
			conn_fail(c, err);
			break;
		}
		if (c->state == C_UP && c->nincoming >= HRPC_MAX_INCOMING) {
			c->paused = 1;
			bufferevent_disable(c->bev, EV_READ);
		}
	}
	hrpc_conn_unref(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

/* ---- connection events ---- */

static void conn_up(struct hrpc_conn *c)
{
	char fp[HRPC_FP_LEN] = "";
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	X509 *peer = SSL_get1_peer_certificate(ssl);
	int r = 0;

	if (peer) {
		hrpc_tls_x509_fp(peer, fp);
		X509_free(peer);
	}
	event_del(c->deadline);
	c->state = C_UP;
	c->announced = 1;
	hrpc_conn_ref(c);
	if (c->ops->on_connected)
		r = c->ops->on_connected(c, fp, c->arg);
	if (r)
		conn_fail(c, r);
	else
		conn_process(c);  /* records that came with the handshake */
	hrpc_conn_unref(c);
}

/* Errno for a bufferevent error: TLS errors are EPROTO. */
static int bev_errno(struct bufferevent *bev, int dflt)
{
	unsigned long e;
	int tls = 0, err = EVUTIL_SOCKET_ERROR();

	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		tls = 1;
	ERR_clear_error();
	if (tls)
		return EPROTO;
	return err ? err : dflt;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct hrpc_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		conn_up(c);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (c->state == C_CONNECTING && !c->server) {
		int err = (what & BEV_EVENT_ERROR) ?
			  bev_errno(bev, ECONNREFUSED) : ECONNRESET;
		if (err == EPROTO) {
			conn_fail(c, EPROTO);
			return;
		}
		/* TCP failed: try the next address. */
		c->last_err = err;
		bufferevent_free(c->bev);
		c->bev = NULL;
		try_connect(c);
		return;
	}
	conn_fail(c, (what & BEV_EVENT_ERROR) ? bev_errno(bev, ECONNRESET)
					       : ECONNRESET);
}

/* Set up c->bev for a TLS connection on fd (-1 for connecting later). */
static int make_bev(struct hrpc_conn *c, evutil_socket_t fd, const char *host)
{
	SSL *ssl = hrpc_tls_new_ssl(c->tls, host);

	if (!ssl)
		return -ENOMEM;
	c->bev = bufferevent_openssl_socket_new(c->base, fd, ssl,
		c->server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
		BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!c->bev) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

/* ---- client connect ---- */

static void try_connect(struct hrpc_conn *c)
{
	while (c->ai_next) {
		struct evutil_addrinfo *ai = c->ai_next;

		c->ai_next = ai->ai_next;
		if (make_bev(c, -1, c->host) < 0) {
			conn_fail(c, ENOMEM);
			return;
		}
		format_addr(ai->ai_addr, c->peer, sizeof c->peer);
		if (bufferevent_socket_connect(c->bev, ai->ai_addr,
					       (int)ai->ai_addrlen) == 0) {
			c->state = C_CONNECTING;
			return;
		}
		c->last_err = errno ? errno : ECONNREFUSED;
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	conn_fail(c, c->last_err ? c->last_err : EHOSTUNREACH);
}

static void dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct hrpc_conn *c = arg;

	/* Continue from the step event: the resolver may still be on the
	 * stack here, and it must not be freed under itself. */
	c->dnsreq = NULL;
	c->dns_done = 1;
	c->dns_result = result;
	if (c->state == C_CLOSED || result != 0) {
		if (res)
			evutil_freeaddrinfo(res);
	} else {
		c->ai = c->ai_next = res;
	}
	event_active(c->step, EV_TIMEOUT, 0);
}

static void begin_resolve(struct hrpc_conn *c)
{
	struct evutil_addrinfo hints;
	char port[16];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof port, "%d", c->port);
	if (evutil_getaddrinfo(c->host, port, &hints, &c->ai) == 0) {
		c->ai_next = c->ai;
		try_connect(c);
		return;
	}
	c->ai = NULL;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	c->dns = evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!c->dns) {
		conn_fail(c, EHOSTUNREACH);
		return;
	}
	c->state = C_RESOLVING;
	hrpc_conn_ref(c);   /* dropped once the step event saw dns_done */
	c->dnsreq = evdns_getaddrinfo(c->dns, c->host, port, &hints, dns_cb, c);
}

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hrpc_conn *c = arg;

	if (c->dns_done) {
		c->dns_done = 0;
		if (c->state == C_RESOLVING) {
			if (c->ai_next)
				try_connect(c);
			else
				conn_fail(c, EHOSTUNREACH);
		}
		hrpc_conn_unref(c);
	} else if (c->state == C_INIT) {
		begin_resolve(c);
	} else if (c->state == C_UP) {
		conn_process(c);
	}
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_fail(arg, ETIMEDOUT);
}

/* OpenSSL writes with write(2): a peer that vanished would raise SIGPIPE
 * and kill the process.  Ignore it unless the program installed a handler. */
static void ignore_sigpipe(void)
{
	static int done;
	struct sigaction sa;

	if (done)
		return;
	done = 1;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

static struct hrpc_conn *conn_new(struct event_base *base,
				  struct hrpc_tls *tls,
				  const struct hrpc_conn_ops *ops, void *arg)
{
	struct hrpc_conn *c;
	struct timeval tv;
	unsigned i;

	ignore_sigpipe();
	c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->base = base;
	c->tls = tls;
	c->ops = ops;
	c->arg = arg;
	c->refs = 1;
	c->server = hrpc_tls_is_server(tls);
	strcpy(c->peer, "?");
	for (i = 0; i < NBUCKETS; i++)
		LIST_INIT(&c->buckets[i]);
	if (RAND_bytes((unsigned char *)&c->next_xid, sizeof c->next_xid) != 1)
		c->next_xid = 1;
	c->step = event_new(base, -1, 0, step_cb, c);
	c->deadline = evtimer_new(base, deadline_cb, c);
	if (!c->step || !c->deadline) {
		conn_destroy(c);
		return NULL;
	}
	ms_to_tv(HRPC_CONNECT_TIMEOUT_MS, &tv);
	evtimer_add(c->deadline, &tv);
	return c;
}

struct hrpc_conn *hrpc_connect(struct event_base *base, struct hrpc_tls *tls,
			       const char *host, int port,
			       const struct hrpc_conn_ops *ops, void *arg)
{
	struct hrpc_conn *c = conn_new(base, tls, ops, arg);

	if (!c)
		return NULL;
	c->host = strdup(host ? host : "");
	if (!c->host) {
		conn_destroy(c);
		return NULL;
	}
	c->port = port;
	/* Start from the loop so no callback runs before we return. */
	event_active(c->step, EV_TIMEOUT, 0);
	return c;
}

/* ---- listener ---- */

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct hrpc_listener *l = arg;
	struct hrpc_conn *c = conn_new(l->base, l->tls, l->ops, l->arg);

	if (!c || make_bev(c, fd, NULL) < 0) {
		evutil_closesocket(fd);
		if (c)
			conn_destroy(c);
		return;
	}
	format_addr(sa, c->peer, sizeof c->peer);
	c->state = C_CONNECTING;
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hrpc_listener *l = arg;

	evconnlistener_enable(l->lev);
}

/* accept failed (EMFILE, ENOBUFS...): pause a second rather than spin. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct hrpc_listener *l = arg;
	struct timeval tv = { 1, 0 };

	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

static struct evconnlistener *bind_one(struct hrpc_listener *l,
				       const struct sockaddr *sa, int len,
				       unsigned extra)
{
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
			 LEV_OPT_REUSEABLE | extra;

	return evconnlistener_new_bind(l->base, accept_cb, l, flags, 128,
				       sa, len);
}

/* "::" with IPV6_V6ONLY off, so IPv4 clients arrive as v4-mapped. */
static struct evconnlistener *bind_dual(struct hrpc_listener *l, int port)
{
	struct sockaddr_in6 s6;
	evutil_socket_t fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK |
					      SOCK_CLOEXEC, 0);
	int off = 0, on = 1, e;
	struct evconnlistener *lev;

	if (fd < 0)
		return NULL;
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons((uint16_t)port);
	s6.sin6_addr = in6addr_any;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    bind(fd, (struct sockaddr *)&s6, sizeof s6) < 0 ||
	    listen(fd, 128) < 0)
		goto fail;
	lev = evconnlistener_new(l->base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE |
				 LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (lev)
		return lev;
fail:
	e = errno;
	evutil_closesocket(fd);
	errno = e;
	return NULL;
}

/* Any address: "::" dual-stack, else 0.0.0.0. */
static struct evconnlistener *bind_any(struct hrpc_listener *l, int port)
{
	struct sockaddr_in s4;
	struct evconnlistener *lev = bind_dual(l, port);

	if (lev)
		return lev;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = htons((uint16_t)port);
	s4.sin_addr.s_addr = htonl(INADDR_ANY);
	return bind_one(l, (struct sockaddr *)&s4, sizeof s4, 0);
}

/* A given address (numeric, or a name looked up once at startup). */
static struct evconnlistener *bind_addr(struct hrpc_listener *l,
					const char *addr, int port)
{
	struct evutil_addrinfo hints, *ai = NULL, *p;
	struct evconnlistener *lev = NULL;
	char ps[16];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(ps, sizeof ps, "%d", port);
	if (evutil_getaddrinfo(addr, ps, &hints, &ai) != 0)
		return NULL;
	for (p = ai; p && !lev; p = p->ai_next)
		lev = bind_one(l, p->ai_addr, (int)p->ai_addrlen,
			       p->ai_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0);
	evutil_freeaddrinfo(ai);
	return lev;
}

struct hrpc_listener *hrpc_listen(struct event_base *base, struct hrpc_tls *tls,
				  const char *addr, int port,
				  const struct hrpc_conn_ops *ops, void *arg,
				  char *err, size_t errlen)
{
	struct hrpc_listener *l = calloc(1, sizeof *l);

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*l = (struct hrpc_listener){ NULL, NULL, base, tls, ops, arg };
	l->retry = evtimer_new(base, retry_cb, l);
	errno = 0;
	if (l->retry)
		l->lev = (addr && *addr) ? bind_addr(l, addr, port)
					 : bind_any(l, port);
	if (!l->lev) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s",
			 (addr && *addr) ? addr : "*", port,
			 errno ? strerror(errno) : "no usable address");
		hrpc_listener_free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	return l;
}

int hrpc_listener_port(const struct hrpc_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(evconnlistener_get_fd(l->lev),
			(struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void hrpc_listener_free(struct hrpc_listener *l)
{
	if (!l)
		return;
	if (l->lev)
		evconnlistener_free(l->lev);
	if (l->retry)
		event_free(l->retry);
	free(l);
}
