/*
 * rpc/conn.c - RFC 5531 calls and replies on TLS bufferevents (rpc.h).
 *
 * Lifetime: a conn holds one reference while open ("open ref") plus one per
 * owner hrpc_conn_ref, per incoming call awaiting its reply, and per DNS
 * lookup in flight.  Code that runs owner callbacks holds a temporary ref,
 * so an owner may close or unref from any callback.  Closing frees the
 * bufferevent at once; the struct goes when the last ref drops.
 *
 * Flow control: at most HRPC_MAX_INCOMING dispatched calls, holding less
 * than HRPC_MAX_INCOMING_BYTES of records plus the last one, await
 * replies; beyond that reading stops (TCP back-pressure) until replies
 * are sent.
 * On the accepting side reading also stops while more than
 * HRPC_OUTPUT_PAUSE bytes of output wait, until they drain to
 * HRPC_OUTPUT_RESUME (the write watermark): a client that pipelines
 * requests and never reads costs one reply, not a queue.  The connecting
 * side never pauses on output, so two peers sending each other large
 * records cannot both stop reading.  As a backstop hrpc_call fails with
 * -ENOBUFS and a reply closes the conn with ENOBUFS once more than
 * HRPC_MAX_OUTPUT bytes wait.
 *
 * Input holds at most one partial record (hrec_take bounds it by
 * HRPC_MAX_RECORD from its header, and nothing is allocated before it is
 * whole); with hrpc_limits.record_ms it must be whole within that time of
 * its first byte being read, and a peer that made us pause on output must
 * read it down to HRPC_OUTPUT_RESUME within that time, or the conn closes
 * with ETIMEDOUT: a peer cannot hold either buffer for longer.
 */
#include <config.h>

#include <errno.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "rpc/conn_int.h"
#include "rpc/record.h"
#include "rpc/tls.h"

static void conn_process(struct hrpc_conn *c);
static void try_connect(struct hrpc_conn *c);

/* ---- small helpers ---- */

/* "[v6]:port" or "v4:port"; v4-mapped v6 addresses print as v4. */
void conn_format_addr(const struct sockaddr *sa, char *out, size_t n)
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

void conn_destroy(struct hrpc_conn *c)
{
	if (c->bev)
		bufferevent_free(c->bev);
	conn_gate_release(c);
	if (c->rectimer)
		event_free(c->rectimer);
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
	conn_gate_release(c);    /* its fd is closed */
	event_del(c->deadline);
	event_del(c->step);
	event_del(c->rectimer);
	if (c->dnsreq) {
		struct evdns_getaddrinfo_request *r = c->dnsreq;
		c->dnsreq = NULL;
		evdns_getaddrinfo_cancel(r);
	}
	conn_fail_all(c, perr);
	if (tell && c->ops->on_closed)
		c->ops->on_closed(c, cerr, c->arg);
	hrpc_conn_unref(c);   /* the open ref */
	hrpc_conn_unref(c);   /* ours */
}

void conn_fail(struct hrpc_conn *c, int err)
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
int conn_send_msg(struct hrpc_conn *c, xdrproc_t hdrproc, void *hdr,
		  xdrproc_t bodyproc, const void *body)
{
	return conn_send_msg_hold(c, hdrproc, hdr, bodyproc, body, NULL);
}

/* conn_send_msg, with runs of hold's bytes queued by reference. */
int conn_send_msg_hold(struct hrpc_conn *c, xdrproc_t hdrproc, void *hdr,
		       xdrproc_t bodyproc, const void *body,
		       struct hrpc_buf *hold)
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
	if (hold)
		return conn_send_held(out, size, hdrproc, hdr, bodyproc, body,
				      hold);
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

/* Takes rec.  Returns 0 or the errno that closes the conn. */
int conn_handle_record(struct hrpc_conn *c, unsigned char *rec, size_t len)
{
	int err;

	if (len < 8) {
		free(rec);
		return EBADMSG;
	}
	switch (conn_be32(rec + 4)) {
	case CALL:
		return conn_handle_call(c, rec, len);
	case REPLY:
		err = conn_handle_reply(c, rec, len);
		free(rec);
		return err;
	default:
		free(rec);
		return EBADMSG;
	}
}

/* Stop reading if too many calls await replies or, on the accepting
 * side, too many reply bytes await the peer. */
static void maybe_pause(struct hrpc_conn *c)
{
	if (c->nincoming >= HRPC_MAX_INCOMING ||
	    c->inbytes >= HRPC_MAX_INCOMING_BYTES)
		c->paused = 1;
	if (c->server && evbuffer_get_length(bufferevent_get_output(c->bev)) >
			 HRPC_OUTPUT_PAUSE)
		c->out_paused = 1;
	if (c->paused || c->out_paused)
		bufferevent_disable(c->bev, EV_READ);
}

void conn_resume_reading(struct hrpc_conn *c)
{
	if (c->state != C_UP || !c->bev || c->paused || c->out_paused)
		return;
	bufferevent_enable(c->bev, EV_READ);
	event_active(c->step, EV_TIMEOUT, 0);  /* buffered records */
}

/* The record deadline runs while the peer owes us bytes: part of a record
 * is buffered and we are reading, or our replies wait for it to read them
 * (out_paused).  A conn paused at HRPC_MAX_INCOMING waits on us instead. */
static void record_clock(struct hrpc_conn *c)
{
	int owed;

	if (!c->record_ms)
		return;
	owed = c->state == C_UP && !c->paused &&
	       (c->out_paused ||
		evbuffer_get_length(bufferevent_get_input(c->bev)));
	if (!owed) {
		event_del(c->rectimer);
	} else if (!evtimer_pending(c->rectimer, NULL)) {
		struct timeval tv;

		conn_ms_to_tv(c->record_ms, &tv);
		evtimer_add(c->rectimer, &tv);
	}
}

static void conn_process(struct hrpc_conn *c)
{
	hrpc_conn_ref(c);
	while (c->state == C_UP && !c->paused && !c->out_paused) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		unsigned char *rec;
		size_t len;
		int st = hrec_take(in, HRPC_MAX_RECORD, &rec, &len), err;

		if (st == HREC_NEED_MORE)
			break;
		event_del(c->rectimer);  /* what follows is a new record */
		err = st == HREC_OK ? conn_handle_record(c, rec, len)
				    : st == HREC_NOMEM ? ENOMEM : EPROTO;
		if (err) {
			conn_fail(c, err);
			break;
		}
		if (c->state == C_UP)
			maybe_pause(c);
	}
	record_clock(c);
	hrpc_conn_unref(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

/* Output drained to HRPC_OUTPUT_RESUME (server side's write watermark). */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct hrpc_conn *c = arg;

	if (!c->out_paused)
		return;
	c->out_paused = 0;
	event_del(c->rectimer);  /* it read what it owed */
	conn_resume_reading(c);
}

static void record_late_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_fail(arg, ETIMEDOUT);
}

void hrpc_conn_admit(struct hrpc_conn *c)
{
	if (!c->admit_wait)
		return;
	c->admit_wait = 0;
	event_del(c->deadline);
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
	if (!c->admit_wait)
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

/* RPCs are request/reply: Nagle's algorithm would hold a record's last
 * segment until the previous one is acknowledged, and the peer delays
 * that ACK (~40 ms on Linux) because it has nothing to send yet.  A
 * failure only costs speed, so it is ignored (a Unix socket refuses it). */
static void conn_nodelay(evutil_socket_t fd)
{
	int on = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

/* Set up c->bev for a TLS connection on fd (-1 for connecting later). */
int conn_make_bev(struct hrpc_conn *c, evutil_socket_t fd, const char *host)
{
	SSL *ssl = hrpc_tls_new_ssl(c->tls, host);

	if (!ssl)
		return -ENOMEM;
	conn_nodelay(fd);
	c->bev = bufferevent_openssl_socket_new(c->base, fd, ssl,
		c->server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
		BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!c->bev) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_set_max_single_read(c->bev, CONN_MAX_SINGLE_IO);
	bufferevent_set_max_single_write(c->bev, CONN_MAX_SINGLE_IO);
	bufferevent_setcb(c->bev, read_cb, c->server ? write_cb : NULL,
			  event_cb, c);
	if (c->server)
		bufferevent_setwatermark(c->bev, EV_WRITE, HRPC_OUTPUT_RESUME, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

/* ---- client connect ---- */

static void try_connect(struct hrpc_conn *c)
{
	while (c->ai_next) {
		struct evutil_addrinfo *ai = c->ai_next;

		c->ai_next = ai->ai_next;
		if (conn_make_bev(c, -1, c->host) < 0) {
			conn_fail(c, ENOMEM);
			return;
		}
		conn_format_addr(ai->ai_addr, c->peer, sizeof c->peer);
		if (bufferevent_socket_connect(c->bev, ai->ai_addr,
					       (int)ai->ai_addrlen) == 0) {
			conn_nodelay(bufferevent_getfd(c->bev));
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

/* Records are up to HRPC_MAX_RECORD (4 MiB) and each is malloc'd and
 * freed several times on its way (record, decoded opaque, encoding).
 * glibc would hand blocks that size back to the kernel on free (mmap, or
 * trimming the heap's top), so every chunk of a bulk transfer paid page
 * faults on fresh zeroed pages: 8x the CPU of 1 MiB chunks on vice's fetch
 * side (doc/design.md, Bulk data).  Keep them on the heap, and keep a few
 * chunks' worth of free heap mapped.  Process-wide, once, like SIGPIPE. */
static void keep_records_mapped(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	mallopt(M_MMAP_THRESHOLD, (int)(2 * HRPC_MAX_RECORD));
	mallopt(M_TRIM_THRESHOLD, (int)(8 * HRPC_MAX_RECORD));
}

struct hrpc_conn *conn_new(struct event_base *base, struct hrpc_tls *tls,
			   const struct hrpc_conn_ops *ops, void *arg)
{
	struct hrpc_conn *c;
	struct timeval tv;
	unsigned i;

	ignore_sigpipe();
	keep_records_mapped();
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
	c->rectimer = evtimer_new(base, record_late_cb, c);
	if (!c->step || !c->deadline || !c->rectimer) {
		conn_destroy(c);
		return NULL;
	}
	conn_ms_to_tv(HRPC_CONNECT_TIMEOUT_MS, &tv);
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

