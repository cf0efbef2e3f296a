/*
 * server.c - the one connection to vice (server.h).
 *
 * Calls made while the connection is down wait in a queue, each with its
 * own timer, while one connection attempt runs; they are sent once
 * HS_CONNECT succeeds and fail with ETIMEDOUT when the attempt fails or
 * their time is up.  Arguments are encoded at srv_call time so that the
 * caller may free them at once, as with hrpc_call.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/net/server.h"
#include "venus/net/token.h"
#include "venus/net/fidmap.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/util/event.h"

/* One call from fsobj, queued or in flight. */
struct qcall {
	uint32_t      proc;
	uid_t         uid;        /* calls as this uid's token; SRV_SELF: none */
	xdrproc_t     resproc;
	size_t        ressize;
	hrpc_done_fn  done;
	void         *cbarg;
	char         *buf;        /* XDR-encoded arguments */
	u_int         len;
	int           borrowed;   /* buf is the caller's (srv_call_enc) */
	struct hrpc_buf *hold;    /* borrowed too: buf's block, or NULL */
	uint64_t      deadline;   /* CLOCK_MONOTONIC ms */
	struct event *timer;      /* while queued */
	struct qcall *next, *prev;
	struct srv   *s;
};

struct srv {
	struct srv_hooks  hooks;     /* upward reports (server.h) */
	char             *host;      /* as given to srv_start */
	int               port;
	unsigned          realm;     /* realm index: callback fids are made local */
	char              peer_realm[HS_MAXNAMELEN + 1]; /* HS_CONNECT's realm */
	struct hrpc_tls  *tls;
	struct hrpc_conn *conn;      /* connecting or up; NULL when down */
	int               up;        /* HS_CONNECT succeeded on conn */
	int               last_err;
	int               stopping;
	char              name[300]; /* host:port */
	char             *known;     /* <cachedir>/known_servers */
	struct qcall      queue;     /* list head: waiting for the connection */
	uint64_t          server_id;
	int               down;      /* the last attempt or call failed */
	int               offline;   /* cfs disconnect: stay away */
	struct event     *probe;     /* serverprobe timer */
	struct event     *hello;     /* sends HS_CONNECT on hello_conn */
	struct hrpc_conn *hello_conn; /* referenced while hello is pending */
	int               probing;   /* an HS_NULL probe is in flight */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned call_timeout(void)
{
	return V->cfg.timeout_ms ? V->cfg.timeout_ms : HRPC_DEFAULT_TIMEOUT_MS;
}

/* Transport errors that mean "vice is not reachable" become ETIMEDOUT, as
 * fsobj.h promises; a refused certificate becomes EACCES. */
static int map_err(int err)
{
	switch (err) {
	case 0:
	case ETIMEDOUT:
	case ENOMEM:
		return err;
	case EPERM:
	case EACCES:
		return EACCES;
	case EPROTO:
	case EBADMSG:
	case EMSGSIZE:
		return EIO;
	default:
		return ETIMEDOUT;
	}
}

/* ---- argument encoding ---- */

/* Passes already-encoded XDR bytes through to the transport's stream. */
static bool_t xdr_raw(XDR *x, void *p)
{
	struct qcall *q = p;

	if (x->x_op == XDR_FREE)
		return TRUE;
	if (x->x_op != XDR_ENCODE)
		return FALSE;
	return q->len ? xdr_opaque(x, q->buf, q->len) : TRUE;
}

static int encode(struct qcall *q, xdrproc_t argproc, const void *args)
{
	XDR x;
	u_long n = xdr_sizeof(argproc, (void *)args);

	q->buf = malloc(n ? n : 1);
	if (!q->buf)
		return ENOMEM;
	xdrmem_create(&x, q->buf, (u_int)n, XDR_ENCODE);
	if (!argproc(&x, (void *)args, 0)) {
		xdr_destroy(&x);
		return EINVAL;
	}
	q->len = xdr_getpos(&x);
	xdr_destroy(&x);
	return 0;
}

/* ---- the queue ---- */

static void q_unlink(struct qcall *q)
{
	if (q->next) {
		q->next->prev = q->prev;
		q->prev->next = q->next;
		q->next = q->prev = NULL;
	}
	if (q->timer) {
		event_free(q->timer);
		q->timer = NULL;
	}
}

static void q_finish(struct qcall *q, int err, void *res)
{
	q_unlink(q);
	q->done(q->cbarg, map_err(err), res);
	if (!q->borrowed)
		free(q->buf);
	free(q);
}

static void q_sent_done(void *arg, int err, void *res)
{
	q_finish(arg, err, res);
}

static void q_send(struct qcall *q)
{
	struct srv *s = q->s;
	uint64_t now = now_ms();
	unsigned left = q->deadline > now ? (unsigned)(q->deadline - now) : 1;
	struct vtoken t;
	struct hrpc_cred cred = { HS_AUTH_FLAVOR, NULL, 0 };
	int rc;

	q_unlink(q);
	db_flush(V->db);   /* vice sees no change venus has not committed */
	/* Looked up at send time: a clog while the call waited counts.
	 * The token is the one for this server's realm (clog user@realm). */
	if (q->uid != SRV_SELF && token_get_idx(q->uid, s->realm, &t) == 0) {
		cred.body = t.tok;
		cred.len = t.len;
	}
	rc = hrpc_call_hold(s->conn, cred.len ? &cred : NULL, q->hold,
			    HS_VICE_PROG, HS_VICE_V1, q->proc,
			    (xdrproc_t)xdr_raw, q, q->resproc, q->ressize,
			    left, q_sent_done, q);
	if (rc)
		q_finish(q, -rc, NULL);
}

static void q_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct qcall *q = arg;
	struct srv *s = q->s;

	vlog(LOG_DEBUG, "call %u: vice %s not reachable in time", q->proc, s->name);
	q_finish(q, ETIMEDOUT, NULL);
}

/* Fail (err) or send everything queued. */
static void q_flush(struct srv *s, int err)
{
	while (s->queue.next != &s->queue) {
		struct qcall *q = s->queue.next;

		if (err)
			q_finish(q, err, NULL);
		else
			q_send(q);
	}
}

/* ---- pinning (trust on first use) ---- */

/* The pinned fingerprint for our host:port, copied to fp; 0 if found. */
static int pin_lookup(struct srv *s, char fp[HRPC_FP_LEN])
{
	FILE *f = fopen(s->known, "r");
	char *line = NULL;
	size_t cap = 0, nl = strlen(s->name);
	int found = -1;

	if (!f)
		return -1;
	while (found && getline(&line, &cap, f) >= 0) {
		char *p;

		if (strncmp(line, s->name, nl) || (line[nl] != ' ' && line[nl] != '\t'))
			continue;
		p = line + nl + strspn(line + nl, " \t");
		p[strcspn(p, " \t\r\n")] = '\0';
		snprintf(fp, HRPC_FP_LEN, "%s", p);
		found = 0;
	}
	free(line);
	fclose(f);
	return found;
}

static int pin_check(struct srv *s, const char *fp)
{
	char pinned[HRPC_FP_LEN];
	FILE *f;

	if (pin_lookup(s, pinned) == 0) {
		if (!strcasecmp(pinned, fp))
			return 0;
		vlog(LOG_CRIT, "@@@ vice %s PRESENTED AN UNKNOWN CERTIFICATE: REFUSING TO CONNECT @@@",
		     s->name);
		vlog(LOG_CRIT, "  pinned fingerprint (%s): %s", s->known, pinned);
		vlog(LOG_CRIT, "  offered fingerprint:      %s", fp);
		vlog(LOG_CRIT, "  if the server's key changed on purpose, remove its line from %s",
		     s->known);
		return EPERM;
	}
	f = fopen(s->known, "a");
	if (!f || fprintf(f, "%s %s\n", s->name, fp) < 0 || fclose(f)) {
		vlog(LOG_ERR, "%s: cannot record the server key: %s", s->known, strerror(errno));
		return EIO;
	}
	vlog(LOG_NOTICE, "first contact with vice %s: pinned certificate fingerprint %s in %s",
	     s->name, fp, s->known);
	return 0;
}

/* ---- callbacks from vice ---- */

/* xdr_void's prototype takes no arguments; this one has xdrproc_t's. */
static bool_t xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

static void cb_break_answer(void *arg)
{
	hrpc_reply(arg, (xdrproc_t)xdr_nothing, NULL);
}

static void cb_break(struct srv *s, struct hrpc_call *call)
{
	hs_fidlist fl;
	u_int i;

	memset(&fl, 0, sizeof(fl));
	if (!hrpc_call_args(call, (xdrproc_t)xdr_hs_fidlist, &fl)) {
		hrpc_reply_error(call, GARBAGE_ARGS);
		return;
	}
	for (i = 0; i < fl.fids.fids_len; i++) {
		hs_fid *f = &fl.fids.fids_val[i];

		/* A fid outside the realm's volume ids names nothing here. */
		if (vr_fid_to_local(s->realm, f)) {
			vlog(LOG_WARNING, "vice %s broke a callback on volume %#x, beyond %#x: ignored",
			     s->name, f->volume, VR_VOLID_MASK);
			continue;
		}
		s->hooks.cb_break(s->hooks.arg, f);
	}
	V->stats.callback_breaks += fl.fids.fids_len;
	xdr_free((xdrproc_t)xdr_hs_fidlist, (char *)&fl);
	/* vice holds the writer's reply until this answer: give it only once
	 * the kernel has dropped what it cached. */
	s->hooks.fence(s->hooks.arg, cb_break_answer, call);
}

static void dispatch(struct hrpc_conn *c, struct hrpc_call *call, void *arg)
{
	if (hrpc_call_prog(call) != HS_CB_PROG || hrpc_call_vers(call) != HS_CB_V1) {
		hrpc_reply_error(call, PROG_UNAVAIL);
		return;
	}
	switch (hrpc_call_proc(call)) {
	case 0:
	case HS_CB_PROBE:
		hrpc_reply(call, (xdrproc_t)xdr_nothing, NULL);
		break;
	case HS_CB_BREAK:
		cb_break(arg, call);
		break;
	default:
		hrpc_reply_error(call, PROC_UNAVAIL);
		break;
	}
}

/* ---- connection life ---- */

static void connect_done(void *arg, int err, void *res)
{
	struct hrpc_conn *c = arg;
	struct srv *s = hrpc_conn_get_data(c);
	hs_connect_res *r = res;

	if (c != s->conn)
		return;
	if (!err && r->status)
		err = r->status;
	if (err) {
		vlog(LOG_ERR, "vice %s refused HS_CONNECT: %s", s->name, strerror(err));
		s->last_err = err;
		hrpc_close(c);
		return;
	}
	s->up = 1;
	s->last_err = 0;
	s->server_id = r->hs_connect_res_u.ok.server_id;
	snprintf(s->peer_realm, sizeof(s->peer_realm), "%s",
		 r->hs_connect_res_u.ok.realm ? r->hs_connect_res_u.ok.realm : "");
	if (!(r->hs_connect_res_u.ok.features & HS_FEAT_CALLBACKS))
		vlog(LOG_WARNING, "vice %s offers no callbacks", s->name);
	vlog(LOG_INFO, "connected to vice %s", s->name);
	event_emit(EVK_CONN, &(struct event_fields){ .peer = s->name, .flag = 1 });
	s->down = 0;
	q_flush(s, 0);
	s->hooks.up(s->hooks.arg);
}

/* Deferred out of on_connected so that the transport has finished its
 * own bookkeeping before the first call.  The event belongs to the srv
 * (not event_base_once) so srv_stop can cancel it and drop its ref. */
static void send_connect(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct hrpc_conn *c = s->hello_conn;
	hs_connect_args a;
	char host[HS_MAXCLIENTNAME + 1] = "venus";
	int rc;

	s->hello_conn = NULL;
	if (!c || c != s->conn) {
		hrpc_conn_unref(c);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	memset(&a, 0, sizeof(a));
	a.proto_version = HS_PROTO_VERSION;
	a.client_id = V->client_id;
	a.client_key.client_key_len = HS_CLIENT_KEY;
	a.client_key.client_key_val = (char *)V->client_key;
	a.client_name = host;
	a.features = HS_FEAT_CALLBACKS;
	rc = hrpc_call(c, HS_VICE_PROG, HS_VICE_V1, HS_CONNECT,
		       (xdrproc_t)xdr_hs_connect_args, &a, (xdrproc_t)xdr_hs_connect_res,
		       sizeof(hs_connect_res), call_timeout(), connect_done, c);
	if (rc) {
		s->last_err = -rc;
		hrpc_close(c);
	}
	hrpc_conn_unref(c);
}

static int on_connected(struct hrpc_conn *c, const char *fp, void *arg)
{
	static const struct timeval zero = { 0, 0 };
	struct srv *s = arg;
	int rc = V->cfg.cafile ? 0 : pin_check(s, fp);

	if (rc) {
		s->last_err = rc;
		return rc;
	}
	if (!s->hello && !(s->hello = evtimer_new(V->base, send_connect, s)))
		return ENOMEM;
	hrpc_conn_unref(s->hello_conn);   /* a superseded conn's, if any */
	hrpc_conn_ref(c);
	s->hello_conn = c;
	evtimer_add(s->hello, &zero);
	return 0;
}

static void on_closed(struct hrpc_conn *c, int err, void *arg)
{
	struct srv *s = arg;
	int was_up = s->up;

	if (c != s->conn)
		return;
	s->conn = NULL;
	s->up = 0;
	if (s->last_err != EPERM || err != EPERM)
		s->last_err = err ? err : ECONNRESET;
	if (was_up && !s->stopping)
		vlog(LOG_WARNING, "lost vice %s: %s", s->name, strerror(s->last_err));
	else if (!s->stopping)
		vlog(LOG_WARNING, "cannot reach vice %s: %s", s->name, strerror(s->last_err));
	/* Promises made on that connection are void now. */
	if (was_up)
		s->hooks.cb_lost(s->hooks.arg);
	q_flush(s, s->last_err == EPERM ? EPERM : ETIMEDOUT);
	if (!s->stopping) {
		event_emit(EVK_CONN, &(struct event_fields){ .peer = s->name, .err = s->last_err });
		s->down = 1;
		if (s->hooks.down)
			s->hooks.down(s->hooks.arg);
	}
}

static const struct hrpc_conn_ops conn_ops = {
	.on_connected = on_connected,
	.on_closed = on_closed,
	.dispatch = dispatch,
};

static void connect_start(struct srv *s)
{
	if (s->conn || s->stopping || s->offline)
		return;
	vlog(LOG_DEBUG, "connecting to vice %s", s->name);
	s->conn = hrpc_connect(V->base, s->tls, s->host, s->port, &conn_ops, s);
	if (s->conn)
		hrpc_conn_set_data(s->conn, s);
	else {
		s->last_err = ENOMEM;
		q_flush(s, ENOMEM);
	}
}

/* ---- probes (Coda's serverprobe) ---- */

static void probe_done(void *arg, int err, void *res)
{
	struct srv *s = arg;

	s->probing = 0;
	if (err == ETIMEDOUT && s->conn) {
		vlog(LOG_WARNING, "vice %s does not answer probes: disconnecting", s->name);
		hrpc_close(s->conn);
	}
}

/* Up: HS_NULL, whose timeout marks vice unreachable.  Down: try to
 * connect; success starts reintegration (srv_hooks.up). */
static void probe_tick(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;

	if (s->offline || s->stopping)
		return;
	if (!s->up) {
		connect_start(s);
		return;
	}
	if (s->probing)
		return;
	s->probing = 1;
	srv_call(s, HS_NULL, (xdrproc_t)xdr_nothing, NULL, (xdrproc_t)xdr_nothing, sizeof(int),
		 probe_done, s);
}

int srv_reachable(const struct srv *s)
{
	return s && !s->offline && !s->down;
}

void srv_set_offline(struct srv *s, int off)
{
	s->offline = off;
	if (off) {
		s->down = 1;
		if (s->conn)
			hrpc_close(s->conn);   /* on_closed voids the promises */
		return;
	}
	s->down = 0;
	connect_start(s);
}

void srv_probe_now(struct srv *s)
{
	probe_tick(-1, 0, s);
}

struct srv *srv_start(const struct srv_hooks *hooks, const char *host, int port,
		      unsigned realm, int *errp)
{
	char err[256] = "";
	struct srv *s = calloc(1, sizeof(*s));

	if (!s || !(s->host = strdup(host))) {
		free(s);
		*errp = -ENOMEM;
		return NULL;
	}
	s->hooks = *hooks;
	s->port = port;
	s->realm = realm;
	s->queue.next = s->queue.prev = &s->queue;
	srv_format_name(s->name, sizeof(s->name), host, port);
	if (asprintf(&s->known, "%s/known_servers", V->cfg.cachedir) < 0) {
		free(s->host);
		free(s);
		*errp = -ENOMEM;
		return NULL;
	}
	s->tls = hrpc_tls_client(V->cfg.cafile, err, sizeof(err));
	if (!s->tls) {
		vlog(LOG_ERR, "TLS setup: %s", err);
		free(s->known);
		free(s->host);
		free(s);
		*errp = -EINVAL;
		return NULL;
	}
	s->probe = event_new(V->base, -1, EV_PERSIST, probe_tick, s);
	if (s->probe) {
		struct timeval tv = { V->cfg.serverprobe ? V->cfg.serverprobe : 30, 0 };

		evtimer_add(s->probe, &tv);
	}
	connect_start(s);
	*errp = 0;
	return s;
}

void srv_stop(struct srv *s)
{
	if (!s)
		return;
	s->stopping = 1;
	if (s->probe)
		event_free(s->probe);
	s->probe = NULL;
	if (s->hello)
		event_free(s->hello);
	s->hello = NULL;
	hrpc_conn_unref(s->hello_conn);
	s->hello_conn = NULL;
	if (s->conn)
		hrpc_close(s->conn);
	s->conn = NULL;
	s->up = 0;
	if (s->queue.next)
		q_flush(s, ETIMEDOUT);
	if (s->tls)
		hrpc_tls_free(s->tls);
	s->tls = NULL;
	free(s->known);
	free(s->host);
	free(s);
}

int srv_is_up(const struct srv *s)
{
	return s && s->up;
}

uint64_t srv_server_id(const struct srv *s)
{
	return s ? s->server_id : 0;
}

const char *srv_name(const struct srv *s)
{
	return s ? s->name : "?";
}

void srv_format_name(char *buf, size_t len, const char *host, int port)
{
	if (strchr(host, ':'))
		snprintf(buf, len, "[%s]:%d", host, port);
	else
		snprintf(buf, len, "%s:%d", host, port);
}

unsigned srv_realm(const struct srv *s)
{
	return s->realm;
}

const char *srv_peer_realm(const struct srv *s)
{
	return s->peer_realm;
}

void srv_call(struct srv *s, uint32_t proc, xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize, hrpc_done_fn done, void *cbarg)
{
	srv_call_as(s, SRV_SELF, proc, argproc, args, resproc, ressize, done,
		    cbarg);
}

/* Queue or send q, whose arguments are encoded (err: that failed). */
static void q_start(struct srv *s, struct qcall *q, int err, unsigned timeout)
{
	if (err || s->stopping || !s->tls || s->offline) {
		q_finish(q, err ? err : ETIMEDOUT, NULL);
		return;
	}
	if (s->up) {
		q_send(q);
		return;
	}
	if (s->down) {
		/* Known unreachable: fail at once (Coda's disconnected misses),
		 * but try again in the background so that a vice that is back
		 * is noticed before the next probe. */
		connect_start(s);
		q_finish(q, ETIMEDOUT, NULL);
		return;
	}
	/* Wait for the connection, but never past the call timeout. */
	q->timer = evtimer_new(V->base, q_timeout, q);
	if (q->timer) {
		struct timeval tv = { timeout / 1000, (timeout % 1000) * 1000 };

		evtimer_add(q->timer, &tv);
	}
	q->next = &s->queue;
	q->prev = s->queue.prev;
	s->queue.prev->next = q;
	s->queue.prev = q;
	connect_start(s);
}

static struct qcall *q_new(struct srv *s, uid_t uid, uint32_t proc, xdrproc_t resproc,
			   size_t ressize, hrpc_done_fn done, void *cbarg, unsigned timeout)
{
	struct qcall *q = calloc(1, sizeof(*q));

	if (!q) {
		done(cbarg, ENOMEM, NULL);
		return NULL;
	}
	q->s = s;
	q->uid = uid;
	q->proc = proc;
	q->resproc = resproc;
	q->ressize = ressize;
	q->done = done;
	q->cbarg = cbarg;
	q->deadline = now_ms() + timeout;
	return q;
}

void srv_call_as(struct srv *s, uid_t uid, uint32_t proc, xdrproc_t argproc,
		 const void *args, xdrproc_t resproc, size_t ressize,
		 hrpc_done_fn done, void *cbarg)
{
	struct qcall *q = q_new(s, uid, proc, resproc, ressize, done, cbarg, call_timeout());

	if (q)
		q_start(s, q, encode(q, argproc, args), call_timeout());
}

void srv_call_enc(struct srv *s, uid_t uid, uint32_t proc, const char *buf, u_int len,
		  struct hrpc_buf *hold, unsigned timeout_ms, xdrproc_t resproc, size_t ressize,
		  hrpc_done_fn done, void *cbarg)
{
	unsigned t = timeout_ms && timeout_ms < call_timeout() ? timeout_ms : call_timeout();
	struct qcall *q = q_new(s, uid, proc, resproc, ressize, done, cbarg, t);

	if (!q)
		return;
	/* Not copied: a store chunk is 4 MiB, and every copy of it costs
	 * as much as the TLS encryption (doc/design.md, Bulk data). */
	q->buf = (char *)buf;
	q->borrowed = 1;
	q->hold = hold;
	q->len = len;
	q_start(s, q, 0, t);
}

struct ping {
	void (*done)(void *arg, int err);
	void *arg;
};

static void ping_done(void *arg, int err, void *res)
{
	struct ping p = *(struct ping *)arg;

	free(arg);
	p.done(p.arg, err);
}

void srv_ping(struct srv *s, void (*done)(void *arg, int err), void *arg)
{
	struct ping *p = malloc(sizeof(*p));

	if (!p) {
		done(arg, ENOMEM);
		return;
	}
	p->done = done;
	p->arg = arg;
	srv_call(s, HS_NULL, (xdrproc_t)xdr_nothing, NULL, (xdrproc_t)xdr_nothing, sizeof(int),
		 ping_done, p);
}

void srv_new_storeid(hs_storeid *sid)
{
	/* Reserve in blocks so that most store ids cost no synced commit. */
	if (V->next_seq >= V->seq_limit) {
		uint64_t limit = V->next_seq + 1024;

		if (db_seq_reserve(V->db, limit) == 0)
			V->seq_limit = limit;
		else
			vlog(LOG_ERR, "cannot reserve store ids: a restart may reuse one");
	}
	sid->client = V->client_id;
	sid->seq = V->next_seq++;
}
