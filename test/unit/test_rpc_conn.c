/*
 * test_rpc_conn.c - the transport end to end: a TLS listener and clients on
 * loopback in one event loop (rpc/conn.c, rpc/tls.c).
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "hesper/rpc.h"
#include "hesper.h"
#include "test/unit/testlib.h"

#define NCALLS 100

/* ---- shared fixture: one server, certificates in a temp dir ---- */

static struct {
	struct event_base *base;
	struct event *tick;
	char dir[64], cert[128], key[128], cert2[128], key2[128];
	char fp[HRPC_FP_LEN];
	struct hrpc_tls *stls, *ctls;
	struct hrpc_listener *l;
	int port;
	int s_up, s_closed, s_err;       /* server-side conn events */
	struct hrpc_call *stash;          /* a call left unanswered */
	int fetches;                      /* HS_FETCH calls answered */
	int refused[2];                   /* on_refused: global, per host */
} E;

struct cli {
	struct hrpc_conn *c;
	int up, closed, err, probes;
	char fp[HRPC_FP_LEN];
};

struct slot {
	int done, err;
	unsigned vnode;
};

static void tick_cb(evutil_socket_t fd, short what, void *arg) { }

static long elapsed_ms(const struct timeval *t0)
{
	struct timeval t1;

	gettimeofday(&t1, NULL);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_usec - t0->tv_usec) / 1000;
}

/* Run the loop until cond holds or ms pass (the tick keeps it moving). */
#define RUN_UNTIL(cond, ms) do { \
	struct timeval t0_; \
	gettimeofday(&t0_, NULL); \
	while (!(cond) && elapsed_ms(&t0_) <= (ms)) \
		event_base_loop(E.base, EVLOOP_ONCE); \
} while (0)

#define XNONE TL_XDR_NONE

/* ---- server side ---- */

struct delayed {
	struct hrpc_call *call;
	struct event *ev;
	hs_fid fid;
};

static void delayed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;
	hs_attr_res r;

	memset(&r, 0, sizeof r);
	r.status = 0;
	r.hs_attr_res_u.attr.fid = d->fid;
	r.hs_attr_res_u.attr.type = HS_FREG;
	hrpc_reply(d->call, (xdrproc_t)xdr_hs_attr_res, &r);
	event_free(d->ev);
	free(d);
}

static void reply_later(struct hrpc_call *call, hs_fid fid, unsigned ms)
{
	struct delayed *d = calloc(1, sizeof *d);
	struct timeval tv = { 0, (suseconds_t)ms * 1000 };

	assert_non_null(d);
	d->call = call;
	d->fid = fid;
	d->ev = evtimer_new(E.base, delayed_cb, d);
	evtimer_add(d->ev, &tv);
}

static void probe_done(void *cbarg, int err, void *res)
{
	hs_connect_res r;
	static char realm[] = "";     /* XDR strings may not be NULL */

	memset(&r, 0, sizeof r);
	r.status = err;
	r.hs_connect_res_u.ok.realm = realm;
	hrpc_reply(cbarg, (xdrproc_t)xdr_hs_connect_res, &r);
}

/* ---- test_held: bulk bytes sent by reference (rpc/sendref.c) ---- */

#define HELD_LEN (3u * 1024 * 1024 + 5)   /* not a multiple of 4 */

static unsigned char held_byte(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

/* A malloc'd block of n pattern bytes inside an hrpc_buf. */
static struct hrpc_buf *held_pattern(size_t n, unsigned char **data)
{
	struct hrpc_buf *b;
	size_t i;

	*data = malloc(n);
	assert_non_null(*data);
	for (i = 0; i < n; i++)
		(*data)[i] = held_byte(i);
	b = hrpc_buf_adopt(*data, n);
	assert_non_null(b);
	return b;
}

static int held_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] != held_byte(i))
			return 0;
	return 1;
}

/* Check the chunk, then answer with a held fetch reply of the pattern
 * (status EIO if the chunk was wrong), giving up our count at once. */
static void held_store(struct hrpc_call *call)
{
	hs_store_chunk_args a;
	hs_fetch_res r;
	unsigned char *data;
	struct hrpc_buf *b;

	memset(&a, 0, sizeof a);
	if (!hrpc_call_args(call, (xdrproc_t)xdr_hs_store_chunk_args, &a)) {
		hrpc_reply_error(call, GARBAGE_ARGS);
		return;
	}
	memset(&r, 0, sizeof r);
	b = held_pattern(HELD_LEN, &data);
	r.status = a.data.data_len == HELD_LEN &&
		   held_ok(a.data.data_val, HELD_LEN) ? 0 : EIO;
	r.hs_fetch_res_u.ok.data.data_len = HELD_LEN;
	r.hs_fetch_res_u.ok.data.data_val = (char *)data;
	xdr_free((xdrproc_t)xdr_hs_store_chunk_args, &a);
	hrpc_reply_hold(call, (xdrproc_t)xdr_hs_fetch_res, &r, b);
	hrpc_buf_unref(b);
}

static void srv_dispatch(struct hrpc_conn *c, struct hrpc_call *call, void *arg)
{
	hs_fid fid;
	hs_connect_args ca;

	if (hrpc_call_prog(call) != HS_VICE_PROG) {
		hrpc_reply_error(call, PROG_UNAVAIL);
		return;
	}
	switch (hrpc_call_proc(call)) {
	case HS_NULL:      /* also admits the conn (hrpc_limits.admit_ms) */
		hrpc_conn_admit(c);
		hrpc_reply(call, XNONE, NULL);
		break;
	case HS_STORE_CHUNK:   /* test_held: the bytes must be the pattern */
		held_store(call);
		break;
	case HS_FETCH: {   /* a 1 MiB reply, at once */
		static char data[1024 * 1024];
		hs_fetch_res r;

		memset(&r, 0, sizeof r);
		r.hs_fetch_res_u.ok.data.data_len = sizeof data;
		r.hs_fetch_res_u.ok.data.data_val = data;
		E.fetches++;
		hrpc_reply(call, (xdrproc_t)xdr_hs_fetch_res, &r);
		break;
	}
	case HS_GETATTR:
		memset(&fid, 0, sizeof fid);
		if (!hrpc_call_args(call, (xdrproc_t)xdr_hs_fid, &fid)) {
			hrpc_reply_error(call, GARBAGE_ARGS);
			break;
		}
		reply_later(call, fid, (fid.vnode * 37) % 50);
		break;
	case HS_CONNECT:   /* answer only after calling the client back */
		memset(&ca, 0, sizeof ca);
		if (!hrpc_call_args(call, (xdrproc_t)xdr_hs_connect_args, &ca)) {
			hrpc_reply_error(call, GARBAGE_ARGS);
			break;
		}
		xdr_free((xdrproc_t)xdr_hs_connect_args, &ca);
		if (hrpc_call(c, HS_CB_PROG, HS_CB_V1, HS_CB_PROBE, NULL, NULL,
			      NULL, 0, 0, probe_done, call) < 0)
			hrpc_reply_error(call, SYSTEM_ERR);
		break;
	case HS_STATS:     /* never answered by the test's server */
		E.stash = call;
		break;
	case HS_LISTVOL:   /* close under the caller's feet */
		hrpc_close(c);
		hrpc_reply_error(call, SYSTEM_ERR);  /* silently dropped */
		break;
	default:
		hrpc_reply_error(call, PROC_UNAVAIL);
	}
}

static int srv_connected(struct hrpc_conn *c, const char *fp, void *arg)
{
	E.s_up++;
	return 0;
}

static void srv_closed(struct hrpc_conn *c, int err, void *arg)
{
	E.s_closed++;
	E.s_err = err;
}

static const struct hrpc_conn_ops srv_ops = {
	srv_connected, srv_closed, srv_dispatch
};

/* ---- client side ---- */

static int cli_connected(struct hrpc_conn *c, const char *fp, void *arg)
{
	struct cli *k = arg;

	snprintf(k->fp, sizeof k->fp, "%s", fp);
	k->up = 1;
	return 0;
}

static void cli_closed(struct hrpc_conn *c, int err, void *arg)
{
	struct cli *k = arg;

	k->closed = 1;
	k->err = err;
	k->c = NULL;
}

static void cli_dispatch(struct hrpc_conn *c, struct hrpc_call *call, void *arg)
{
	struct cli *k = arg;

	if (hrpc_call_prog(call) == HS_CB_PROG &&
	    hrpc_call_proc(call) == HS_CB_PROBE) {
		k->probes++;
		hrpc_reply(call, XNONE, NULL);
	} else {
		hrpc_reply_error(call, PROC_UNAVAIL);
	}
}

static const struct hrpc_conn_ops cli_ops = {
	cli_connected, cli_closed, cli_dispatch
};

static void cli_open(struct cli *k, struct hrpc_tls *tls, const char *host)
{
	memset(k, 0, sizeof *k);
	k->c = hrpc_connect(E.base, tls, host, E.port, &cli_ops, k);
	assert_non_null(k->c);
	RUN_UNTIL(k->up || k->closed, 5000);
}

static void cli_close(struct cli *k)
{
	if (k->c)
		hrpc_close(k->c);
	assert_true(k->closed);
}

static void slot_done(void *cbarg, int err, void *res)
{
	struct slot *s = cbarg;
	hs_attr_res *r = res;

	s->done = 1;
	s->err = err;
	if (!err)
		s->vnode = r->hs_attr_res_u.attr.fid.vnode;
}

static void void_done(void *cbarg, int err, void *res)
{
	struct slot *s = cbarg;

	s->done = 1;
	s->err = err;
}

/* A call with no arguments and a void result. */
static int call_null(struct cli *k, struct slot *s, unsigned proc,
		     unsigned timeout_ms)
{
	memset(s, 0, sizeof *s);
	return hrpc_call(k->c, HS_VICE_PROG, HS_VICE_V1, proc, NULL, NULL,
			 NULL, 0, timeout_ms, void_done, s);
}

static void null_works(struct cli *k)
{
	struct slot s;

	assert_int_equal(call_null(k, &s, HS_NULL, 0), 0);
	RUN_UNTIL(s.done, 5000);
	assert_true(s.done);
	assert_int_equal(s.err, 0);
}

/* ---- tests ---- */

static void test_connect_fingerprint(void **state)
{
	struct cli k;
	char fp[HRPC_FP_LEN];

	cli_open(&k, E.ctls, "127.0.0.1");
	assert_true(k.up);
	assert_int_equal(hrpc_tls_cert_fingerprint(E.cert, fp), 0);
	assert_string_equal(k.fp, fp);
	assert_string_equal(k.fp, E.fp);
	assert_int_equal(strlen(fp), HRPC_FP_LEN - 1);
	assert_true(hrpc_conn_is_up(k.c));
	assert_int_equal(strncmp(hrpc_conn_peer(k.c), "127.0.0.1:", 10), 0);
	null_works(&k);
	cli_close(&k);
	assert_int_equal(k.err, 0);
}

static void test_many_calls(void **state)
{
	static struct slot s[NCALLS];
	struct cli k;
	int i, done = 0;

	cli_open(&k, E.ctls, "127.0.0.1");
	assert_true(k.up);
	for (i = 0; i < NCALLS; i++) {
		hs_fid fid = { 1, (unsigned)i, 7 };

		memset(&s[i], 0, sizeof s[i]);
		assert_int_equal(hrpc_call(k.c, HS_VICE_PROG, HS_VICE_V1,
			HS_GETATTR, (xdrproc_t)xdr_hs_fid, &fid,
			(xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), 0,
			slot_done, &s[i]), 0);
	}
	assert_int_equal(hrpc_conn_pending(k.c), NCALLS);
	for (;;) {
		for (done = 0, i = 0; i < NCALLS; i++)
			done += s[i].done;
		if (done == NCALLS)
			break;
		RUN_UNTIL(0, 20);
	}
	for (i = 0; i < NCALLS; i++) {
		assert_int_equal(s[i].err, 0);
		assert_int_equal(s[i].vnode, i);
	}
	assert_int_equal(hrpc_conn_pending(k.c), 0);
	cli_close(&k);
}

static void connect_done(void *cbarg, int err, void *res)
{
	hs_connect_res *r = res;

	assert_int_equal(err, 0);
	assert_int_equal(r->status, 0);
	*(int *)cbarg = 1;
}

static void test_both_ways(void **state)
{
	hs_connect_args a = { .proto_version = HS_PROTO_VERSION, .client_id = 42, .client_name = "unit" };
	struct cli k;
	int done = 0;

	cli_open(&k, E.ctls, "127.0.0.1");
	assert_true(k.up);
	assert_int_equal(hrpc_call(k.c, HS_VICE_PROG, HS_VICE_V1, HS_CONNECT,
		(xdrproc_t)xdr_hs_connect_args, &a,
		(xdrproc_t)xdr_hs_connect_res, sizeof(hs_connect_res), 0,
		connect_done, &done), 0);
	RUN_UNTIL(done, 5000);
	assert_int_equal(done, 1);
	assert_int_equal(k.probes, 1);
	assert_int_equal(hrpc_conn_pending(k.c), 0);
	cli_close(&k);
}

static void test_timeout(void **state)
{
	struct cli k;
	struct slot s;

	cli_open(&k, E.ctls, "127.0.0.1");
	E.stash = NULL;
	assert_int_equal(call_null(&k, &s, HS_STATS, 100), 0);
	RUN_UNTIL(s.done, 5000);
	assert_int_equal(s.err, ETIMEDOUT);
	/* A late reply is dropped; the conn keeps serving. */
	assert_non_null(E.stash);
	hrpc_reply(E.stash, XNONE, NULL);
	E.stash = NULL;
	null_works(&k);
	assert_false(k.closed);
	cli_close(&k);
}

static void test_server_close(void **state)
{
	struct cli k;
	struct slot s, s2;

	cli_open(&k, E.ctls, "127.0.0.1");
	assert_int_equal(call_null(&k, &s2, HS_STATS, 0), 0);
	assert_int_equal(call_null(&k, &s, HS_LISTVOL, 0), 0);
	RUN_UNTIL(k.closed, 5000);
	assert_true(s.done && s2.done);
	assert_int_equal(s.err, ECONNRESET);
	assert_int_equal(s2.err, ECONNRESET);
	assert_int_equal(k.err, ECONNRESET);
	/* Replying on a dead conn is a silent no-op. */
	assert_non_null(E.stash);
	assert_int_equal(hrpc_reply(E.stash, XNONE, NULL), 0);
	E.stash = NULL;
}

static int have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

	if (fd < 0)
		return 0;
	a.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

static void test_ipv6_and_names(void **state)
{
	struct cli k;

	if (have_ipv6_loopback()) {
		cli_open(&k, E.ctls, "::1");
		assert_true(k.up);
		assert_int_equal(strncmp(hrpc_conn_peer(k.c), "[::1]:", 6), 0);
		null_works(&k);
		cli_close(&k);
	}
	cli_open(&k, E.ctls, "localhost");
	assert_true(k.up);
	null_works(&k);
	cli_close(&k);

	cli_open(&k, E.ctls, "no-such-host.invalid");
	assert_true(k.closed);
	assert_false(k.up);
	assert_int_not_equal(k.err, 0);
}

struct raw {
	int closed;
};

static void raw_event(struct bufferevent *bev, short what, void *arg)
{
	static const unsigned char bogus[4] = { 0xff, 0xff, 0xff, 0xff };
	struct raw *r = arg;

	if (what & BEV_EVENT_CONNECTED)
		bufferevent_write(bev, bogus, sizeof bogus);
	else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		r->closed = 1;
}

static void test_garbage_record(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct bufferevent *bev;
	struct raw r = { 0 };
	struct cli k;
	int closed0 = E.s_closed;

	cli_open(&k, E.ctls, "127.0.0.1");
	assert_true(k.up);
	a.sin_port = htons((uint16_t)E.port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bev = bufferevent_openssl_socket_new(E.base, -1, SSL_new(ctx),
		BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, NULL, NULL, raw_event, &r);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	assert_int_equal(bufferevent_socket_connect(bev,
		(struct sockaddr *)&a, sizeof a), 0);
	RUN_UNTIL(r.closed && E.s_closed > closed0, 5000);
	assert_true(r.closed);
	assert_int_equal(E.s_err, EPROTO);
	bufferevent_free(bev);
	SSL_CTX_free(ctx);
	null_works(&k);
	cli_close(&k);
}

static void test_cafile(void **state)
{
	char err[256];
	struct hrpc_tls *good = hrpc_tls_client(E.cert, err, sizeof err);
	struct hrpc_tls *bad = hrpc_tls_client(E.cert2, err, sizeof err);
	struct cli k;

	assert_non_null(good);
	assert_non_null(bad);
	cli_open(&k, good, "localhost");
	assert_true(k.up);
	null_works(&k);
	cli_close(&k);

	cli_open(&k, bad, "localhost");         /* wrong CA */
	assert_false(k.up);
	assert_int_equal(k.err, EPROTO);

	cli_open(&k, good, "127.0.0.1");        /* name does not match */
	assert_false(k.up);
	assert_int_equal(k.err, EPROTO);

	assert_null(hrpc_tls_client("/nonexistent/ca.pem", err, sizeof err));
	assert_true(err[0] != '\0');
	hrpc_tls_free(good);
	hrpc_tls_free(bad);
}

/* ---- hrpc_limits and flow control (issue 9) ---- */

static void on_refused(const char *peer, int per_host, void *arg)
{
	assert_int_equal(strncmp(peer, "127.0.0.1:", 10), 0);
	E.refused[per_host ? 1 : 0]++;
}

static void set_limits(unsigned max, unsigned per_host, unsigned admit_ms,
		       unsigned record_ms)
{
	struct hrpc_limits lim = { max, per_host, admit_ms, record_ms,
				   on_refused };

	hrpc_listener_set_limits(E.l, &lim);
}

/* Wait until the server side saw every client of earlier tests go. */
static void settle(void)
{
	RUN_UNTIL(hrpc_listener_nconns(E.l) == 0, 5000);
	assert_int_equal(hrpc_listener_nconns(E.l), 0);
}

static void test_caps(void **state)
{
	struct cli k[3];
	unsigned long refused0 = hrpc_listener_refused(E.l);

	settle();
	set_limits(0, 2, 0, 0);
	cli_open(&k[0], E.ctls, "127.0.0.1");
	cli_open(&k[1], E.ctls, "127.0.0.1");
	assert_true(k[0].up && k[1].up);
	assert_int_equal(hrpc_listener_nconns(E.l), 2);
	cli_open(&k[2], E.ctls, "127.0.0.1");   /* third from one host */
	RUN_UNTIL(k[2].closed, 5000);
	assert_false(k[2].up);
	assert_true(k[2].closed);
	assert_int_equal(E.refused[1], 1);
	assert_int_equal(hrpc_listener_refused(E.l), refused0 + 1);
	null_works(&k[0]);

	set_limits(3, 0, 0, 0);                 /* global cap */
	cli_open(&k[2], E.ctls, "127.0.0.1");
	assert_true(k[2].up);
	cli_close(&k[2]);
	RUN_UNTIL(hrpc_listener_nconns(E.l) == 2, 5000);
	set_limits(2, 0, 0, 0);
	cli_open(&k[2], E.ctls, "127.0.0.1");
	RUN_UNTIL(k[2].closed, 5000);
	assert_false(k[2].up);
	assert_int_equal(E.refused[0], 1);
	cli_close(&k[0]);
	cli_close(&k[1]);
	settle();                               /* counts drop with the fds */
	set_limits(0, 0, 0, 0);
}

static void test_admit_deadline(void **state)
{
	struct cli k, k2;
	int closed0;

	settle();
	set_limits(0, 0, 300, 0);
	cli_open(&k, E.ctls, "127.0.0.1");      /* TLS up, never admitted */
	assert_true(k.up);
	closed0 = E.s_closed;
	RUN_UNTIL(k.closed && E.s_closed > closed0, 5000);
	assert_true(k.closed);
	assert_int_equal(E.s_err, ETIMEDOUT);

	cli_open(&k2, E.ctls, "127.0.0.1");
	null_works(&k2);                        /* HS_NULL admits it here */
	RUN_UNTIL(0, 600);                      /* twice the deadline */
	assert_false(k2.closed);
	null_works(&k2);
	cli_close(&k2);
	set_limits(0, 0, 0, 0);
}

/* A raw TLS client: sends out once connected, reads only when told. */
struct rawc {
	struct bufferevent *bev;
	const unsigned char *out;
	size_t outlen, got;
	int closed;
};

static void rawc_read(struct bufferevent *bev, void *arg)
{
	struct rawc *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	r->got += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void rawc_event(struct bufferevent *bev, short what, void *arg)
{
	struct rawc *r = arg;

	if (what & BEV_EVENT_CONNECTED)
		bufferevent_write(bev, r->out, r->outlen);
	else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		r->closed = 1;
}

static void rawc_open(struct rawc *r, SSL_CTX *ctx, int reading)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons((uint16_t)E.port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->bev = bufferevent_openssl_socket_new(E.base, -1, SSL_new(ctx),
		BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(r->bev);
	bufferevent_openssl_set_allow_dirty_shutdown(r->bev, 1);
	bufferevent_setcb(r->bev, rawc_read, NULL, rawc_event, r);
	bufferevent_enable(r->bev, reading ? EV_READ | EV_WRITE : EV_WRITE);
	assert_int_equal(bufferevent_socket_connect(r->bev,
		(struct sockaddr *)&a, sizeof a), 0);
}

/* n HS_FETCH calls as records, back to back, into buf; their length. */
static size_t fetch_calls(unsigned char *buf, size_t cap, int n)
{
	hs_fetch_args fa = { { 1, 2, 3 }, 0, HS_CHUNK_MAX };
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct rpc_msg m;
		XDR x;

		memset(&m, 0, sizeof m);
		m.rm_xid = (uint32_t)i + 1;
		m.rm_direction = CALL;
		m.rm_call.cb_rpcvers = 2;
		m.rm_call.cb_prog = HS_VICE_PROG;
		m.rm_call.cb_vers = HS_VICE_V1;
		m.rm_call.cb_proc = HS_FETCH;
		xdrmem_create(&x, (char *)buf + off + 4, (u_int)(cap - off - 4),
			      XDR_ENCODE);
		assert_true(xdr_callmsg(&x, &m) && xdr_hs_fetch_args(&x, &fa));
		buf[off] = 0x80;
		buf[off + 1] = 0;
		buf[off + 2] = (unsigned char)(xdr_getpos(&x) >> 8);
		buf[off + 3] = (unsigned char)xdr_getpos(&x);
		off += 4 + xdr_getpos(&x);
		xdr_destroy(&x);
	}
	return off;
}

static void test_output_pause(void **state)
{
	static unsigned char calls[64 * 128];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct rawc r = { 0 };
	int n = 40, seen;

	settle();
	E.fetches = 0;
	r.out = calls;
	r.outlen = fetch_calls(calls, sizeof calls, n);
	rawc_open(&r, ctx, 0);                  /* never reads, for now */
	RUN_UNTIL(E.fetches > 0, 5000);
	RUN_UNTIL(0, 500);                      /* all 40 would be done */
	seen = E.fetches;
	assert_true(seen > 0);
	/* 1 MiB replies: past HRPC_OUTPUT_PAUSE the server stops reading;
	 * the kernel's socket buffers take a few more. */
	assert_true(seen < n);
	assert_false(r.closed);
	bufferevent_enable(r.bev, EV_READ);     /* now read: it resumes */
	RUN_UNTIL(E.fetches == n && r.got >= (size_t)n << 20, 10000);
	assert_int_equal(E.fetches, n);
	assert_true(r.got >= (size_t)n << 20);
	bufferevent_free(r.bev);
	SSL_CTX_free(ctx);
}

static void held_done(void *cbarg, int err, void *res)
{
	hs_fetch_res *r = res;
	struct slot *sl = cbarg;

	sl->done = 1;
	sl->err = err ? err : r->status;
	if (!sl->err && (r->hs_fetch_res_u.ok.data.data_len != HELD_LEN ||
			 !held_ok(r->hs_fetch_res_u.ok.data.data_val, HELD_LEN)))
		sl->err = EBADMSG;
}

/* A store chunk sent from a held block the caller lets go of at once,
 * answered by a held reply the server lets go of at once: both arrive
 * whole (ASan: nothing freed early, nothing leaked). */
static void test_held(void **state)
{
	hs_store_chunk_args a = { .fid = { 1, 2, 3 }, .offset = 0 };
	struct slot sl = { 0 };
	unsigned char *data;
	struct hrpc_buf *b;
	struct cli k;

	cli_open(&k, E.ctls, "127.0.0.1");
	assert_true(k.up);
	b = held_pattern(HELD_LEN, &data);
	a.data.data_len = HELD_LEN;
	a.data.data_val = (char *)data;
	assert_int_equal(hrpc_call_hold(k.c, NULL, b, HS_VICE_PROG,
		HS_VICE_V1, HS_STORE_CHUNK,
		(xdrproc_t)xdr_hs_store_chunk_args, &a,
		(xdrproc_t)xdr_hs_fetch_res, sizeof(hs_fetch_res), 0,
		held_done, &sl), 0);
	hrpc_buf_unref(b);
	RUN_UNTIL(sl.done, 10000);
	assert_true(sl.done);
	assert_int_equal(sl.err, 0);
	cli_close(&k);
}

static void test_record_deadline(void **state)
{
	static const unsigned char half[14] = { 0x80, 0, 0x03, 0xe8 };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct rawc r = { 0 };
	int closed0;
	struct cli k;

	settle();
	set_limits(0, 0, 0, 300);
	cli_open(&k, E.ctls, "127.0.0.1");      /* idle: not late */
	closed0 = E.s_closed;
	r.out = half;                           /* 10 of 1000 bytes */
	r.outlen = sizeof half;
	rawc_open(&r, ctx, 1);
	RUN_UNTIL(r.closed && E.s_closed > closed0, 5000);
	assert_true(r.closed);
	assert_int_equal(E.s_err, ETIMEDOUT);
	assert_false(k.closed);
	null_works(&k);
	cli_close(&k);
	bufferevent_free(r.bev);
	SSL_CTX_free(ctx);
	set_limits(0, 0, 0, 0);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	char err[256];
	struct timeval tv = { 0, 5000 };

	strcpy(E.dir, "/tmp/hrpc-test-XXXXXX");
	if (!mkdtemp(E.dir))
		return -1;
	snprintf(E.cert, sizeof E.cert, "%s/cert.pem", E.dir);
	snprintf(E.key, sizeof E.key, "%s/key.pem", E.dir);
	snprintf(E.cert2, sizeof E.cert2, "%s/cert2.pem", E.dir);
	snprintf(E.key2, sizeof E.key2, "%s/key2.pem", E.dir);
	if (hrpc_tls_make_selfsigned(E.cert, E.key, "localhost", E.fp) ||
	    hrpc_tls_make_selfsigned(E.cert2, E.key2, "localhost", NULL))
		return -1;
	E.base = event_base_new();
	E.tick = event_new(E.base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(E.tick, &tv);
	E.stls = hrpc_tls_server(E.cert, E.key, err, sizeof err);
	E.ctls = hrpc_tls_client(NULL, err, sizeof err);
	if (!E.stls || !E.ctls)
		return -1;
	E.l = hrpc_listen(E.base, E.stls, NULL, 0, &srv_ops, NULL,
			  err, sizeof err);
	if (!E.l) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	E.port = hrpc_listener_port(E.l);
	return E.port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	/* Let server-side conns see their clients go. */
	RUN_UNTIL(0, 100);
	hrpc_listener_free(E.l);
	hrpc_tls_free(E.stls);
	hrpc_tls_free(E.ctls);
	event_free(E.tick);
	event_base_free(E.base);
	unlink(E.cert);
	unlink(E.key);
	unlink(E.cert2);
	unlink(E.key2);
	rmdir(E.dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_fingerprint),
		cmocka_unit_test(test_many_calls),
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_server_close),
		cmocka_unit_test(test_ipv6_and_names),
		cmocka_unit_test(test_garbage_record),
		cmocka_unit_test(test_cafile),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_admit_deadline),
		cmocka_unit_test(test_output_pause),
		cmocka_unit_test(test_record_deadline),
		cmocka_unit_test(test_held),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
