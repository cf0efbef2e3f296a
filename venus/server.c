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

#include "venus/venus.h"
#include "venus/server.h"
#include "venus/fsobj.h"
#include "venus/db.h"
#include "venus/volstate.h"
#include "venus/event.h"

/* One call from fsobj, queued or in flight. */
struct qcall {
	uint32_t      proc;
	xdrproc_t     resproc;
	size_t        ressize;
	hrpc_done_fn  done;
	void         *cbarg;
	char         *buf;        /* XDR-encoded arguments */
	u_int         len;
	uint64_t      deadline;   /* CLOCK_MONOTONIC ms */
	struct event *timer;      /* while queued */
	struct qcall *next, *prev;
};

static struct {
	struct hrpc_tls  *tls;
	struct hrpc_conn *conn;      /* connecting or up; NULL when down */
	int               up;        /* HS_CONNECT succeeded on conn */
	int               last_err;
	int               stopping;
	char              name[300]; /* host:port */
	char             *known;     /* <cachedir>/known_servers */
	struct qcall      queue;     /* list head: waiting for the connection */
	uint64_t          seq_limit; /* store ids below this are reserved */
	uint64_t          server_id;
	int               down;      /* the last attempt or call failed */
	int               offline;   /* cfs disconnect: stay away */
	struct event     *probe;     /* serverprobe timer */
	int               probing;   /* an HS_NULL probe is in flight */
} S;

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
	free(q->buf);
	free(q);
}

static void q_sent_done(void *arg, int err, void *res)
{
	q_finish(arg, err, res);
}

static void q_send(struct qcall *q)
{
	uint64_t now = now_ms();
	unsigned left = q->deadline > now ? (unsigned)(q->deadline - now) : 1;
	int rc;

	q_unlink(q);
	rc = hrpc_call(S.conn, HS_VICE_PROG, HS_VICE_V1, q->proc, (xdrproc_t)xdr_raw, q,
		       q->resproc, q->ressize, left, q_sent_done, q);
	if (rc)
		q_finish(q, -rc, NULL);
}

static void q_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct qcall *q = arg;

	vlog(LOG_DEBUG, "call %u: vice %s not reachable in time", q->proc, S.name);
	q_finish(q, ETIMEDOUT, NULL);
}

/* Fail (err) or send everything queued. */
static void q_flush(int err)
{
	while (S.queue.next != &S.queue) {
		struct qcall *q = S.queue.next;

		if (err)
			q_finish(q, err, NULL);
		else
			q_send(q);
	}
}

/* ---- pinning (trust on first use) ---- */

/* The pinned fingerprint for our host:port, copied to fp; 0 if found. */
static int pin_lookup(char fp[HRPC_FP_LEN])
{
	FILE *f = fopen(S.known, "r");
	char *line = NULL;
	size_t cap = 0, nl = strlen(S.name);
	int found = -1;

	if (!f)
		return -1;
	while (found && getline(&line, &cap, f) >= 0) {
		char *p;

		if (strncmp(line, S.name, nl) || (line[nl] != ' ' && line[nl] != '\t'))
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

static int pin_check(const char *fp)
{
	char pinned[HRPC_FP_LEN];
	FILE *f;

	if (pin_lookup(pinned) == 0) {
		if (!strcasecmp(pinned, fp))
			return 0;
		vlog(LOG_CRIT, "@@@ vice %s PRESENTED AN UNKNOWN CERTIFICATE: REFUSING TO CONNECT @@@",
		     S.name);
		vlog(LOG_CRIT, "  pinned fingerprint (%s): %s", S.known, pinned);
		vlog(LOG_CRIT, "  offered fingerprint:      %s", fp);
		vlog(LOG_CRIT, "  if the server's key changed on purpose, remove its line from %s",
		     S.known);
		return EPERM;
	}
	f = fopen(S.known, "a");
	if (!f || fprintf(f, "%s %s\n", S.name, fp) < 0 || fclose(f)) {
		vlog(LOG_ERR, "%s: cannot record the server key: %s", S.known, strerror(errno));
		return EIO;
	}
	vlog(LOG_NOTICE, "first contact with vice %s: pinned certificate fingerprint %s in %s",
	     S.name, fp, S.known);
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

static void cb_break(struct hrpc_call *call)
{
	hs_fidlist fl;
	u_int i;

	memset(&fl, 0, sizeof(fl));
	if (!hrpc_call_args(call, (xdrproc_t)xdr_hs_fidlist, &fl)) {
		hrpc_reply_error(call, GARBAGE_ARGS);
		return;
	}
	for (i = 0; i < fl.fids.fids_len; i++)
		fso_cb_break(&fl.fids.fids_val[i]);
	V->stats.callback_breaks += fl.fids.fids_len;
	xdr_free((xdrproc_t)xdr_hs_fidlist, (char *)&fl);
	/* vice holds the writer's reply until this answer: give it only once
	 * the kernel has dropped what it cached. */
	fso_front_fence(cb_break_answer, call);
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
		cb_break(call);
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
	hs_connect_res *r = res;

	if (c != S.conn)
		return;
	if (!err && r->status)
		err = r->status;
	if (err) {
		vlog(LOG_ERR, "vice %s refused HS_CONNECT: %s", S.name, strerror(err));
		S.last_err = err;
		hrpc_close(c);
		return;
	}
	S.up = 1;
	S.last_err = 0;
	S.server_id = r->hs_connect_res_u.ok.server_id;
	if (!(r->hs_connect_res_u.ok.features & HS_FEAT_CALLBACKS))
		vlog(LOG_WARNING, "vice %s offers no callbacks", S.name);
	vlog(LOG_INFO, "connected to vice %s", S.name);
	event_emit(EVK_CONN, &(struct event_fields){ .peer = S.name, .flag = 1 });
	S.down = 0;
	q_flush(0);
	vst_server_up();
}

/* Deferred out of on_connected so that the transport has finished its
 * own bookkeeping before the first call. */
static void send_connect(evutil_socket_t fd, short what, void *arg)
{
	struct hrpc_conn *c = arg;
	hs_connect_args a;
	char host[HS_MAXCLIENTNAME + 1] = "venus";
	int rc;

	if (c != S.conn) {
		hrpc_conn_unref(c);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	memset(&a, 0, sizeof(a));
	a.proto_version = HS_PROTO_VERSION;
	a.client_id = V->client_id;
	a.client_name = host;
	a.features = HS_FEAT_CALLBACKS;
	rc = hrpc_call(c, HS_VICE_PROG, HS_VICE_V1, HS_CONNECT,
		       (xdrproc_t)xdr_hs_connect_args, &a, (xdrproc_t)xdr_hs_connect_res,
		       sizeof(hs_connect_res), call_timeout(), connect_done, c);
	if (rc) {
		S.last_err = -rc;
		hrpc_close(c);
	}
	hrpc_conn_unref(c);
}

static int on_connected(struct hrpc_conn *c, const char *fp, void *arg)
{
	static const struct timeval zero = { 0, 0 };
	int rc = V->cfg.cafile ? 0 : pin_check(fp);

	if (rc) {
		S.last_err = rc;
		return rc;
	}
	hrpc_conn_ref(c);
	if (event_base_once(V->base, -1, EV_TIMEOUT, send_connect, c, &zero)) {
		hrpc_conn_unref(c);
		return ENOMEM;
	}
	return 0;
}

static void on_closed(struct hrpc_conn *c, int err, void *arg)
{
	int was_up = S.up;

	if (c != S.conn)
		return;
	S.conn = NULL;
	S.up = 0;
	if (S.last_err != EPERM || err != EPERM)
		S.last_err = err ? err : ECONNRESET;
	if (was_up && !S.stopping)
		vlog(LOG_WARNING, "lost vice %s: %s", S.name, strerror(S.last_err));
	else if (!S.stopping)
		vlog(LOG_WARNING, "cannot reach vice %s: %s", S.name, strerror(S.last_err));
	/* Promises made on that connection are void now. */
	if (was_up)
		fso_cb_lost();
	q_flush(S.last_err == EPERM ? EPERM : ETIMEDOUT);
	if (!S.stopping) {
		event_emit(EVK_CONN, &(struct event_fields){ .peer = S.name, .err = S.last_err });
		S.down = 1;
		vst_server_down();
	}
}

static const struct hrpc_conn_ops conn_ops = {
	.on_connected = on_connected,
	.on_closed = on_closed,
	.dispatch = dispatch,
};

static void connect_start(void)
{
	if (S.conn || S.stopping || S.offline)
		return;
	vlog(LOG_DEBUG, "connecting to vice %s", S.name);
	S.conn = hrpc_connect(V->base, S.tls, V->cfg.server, V->cfg.port, &conn_ops, NULL);
	if (!S.conn) {
		S.last_err = ENOMEM;
		q_flush(ENOMEM);
	}
}

/* ---- probes (Coda's serverprobe) ---- */

static void probe_done(void *arg, int err, void *res)
{
	S.probing = 0;
	if (err == ETIMEDOUT && S.conn) {
		vlog(LOG_WARNING, "vice %s does not answer probes: disconnecting", S.name);
		hrpc_close(S.conn);
	}
}

/* Up: HS_NULL, whose timeout marks vice unreachable.  Down: try to
 * connect; success starts reintegration (vst_server_up). */
static void probe_tick(evutil_socket_t fd, short what, void *arg)
{
	if (S.offline || S.stopping)
		return;
	if (!S.up) {
		connect_start();
		return;
	}
	if (S.probing)
		return;
	S.probing = 1;
	srv_call(HS_NULL, (xdrproc_t)xdr_nothing, NULL, (xdrproc_t)xdr_nothing, sizeof(int),
		 probe_done, NULL);
}

int srv_reachable(void)
{
	return !S.offline && !S.down;
}

void srv_set_offline(int off)
{
	S.offline = off;
	if (off) {
		S.down = 1;
		if (S.conn)
			hrpc_close(S.conn);   /* on_closed voids the promises */
		vst_server_down();
		return;
	}
	S.down = 0;
	connect_start();
}

void srv_probe_now(void)
{
	probe_tick(-1, 0, NULL);
}

int srv_start(void)
{
	char err[256] = "";
	const char *host = V->cfg.server;

	memset(&S, 0, sizeof(S));
	S.queue.next = S.queue.prev = &S.queue;
	if (strchr(host, ':'))
		snprintf(S.name, sizeof(S.name), "[%s]:%d", host, V->cfg.port);
	else
		snprintf(S.name, sizeof(S.name), "%s:%d", host, V->cfg.port);
	if (asprintf(&S.known, "%s/known_servers", V->cfg.cachedir) < 0) {
		S.known = NULL;
		return -ENOMEM;
	}
	S.tls = hrpc_tls_client(V->cfg.cafile, err, sizeof(err));
	if (!S.tls) {
		vlog(LOG_ERR, "TLS setup: %s", err);
		free(S.known);
		S.known = NULL;
		return -EINVAL;
	}
	S.probe = event_new(V->base, -1, EV_PERSIST, probe_tick, NULL);
	if (S.probe) {
		struct timeval tv = { V->cfg.serverprobe ? V->cfg.serverprobe : 30, 0 };

		evtimer_add(S.probe, &tv);
	}
	connect_start();
	return 0;
}

void srv_stop(void)
{
	S.stopping = 1;
	if (S.probe)
		event_free(S.probe);
	S.probe = NULL;
	if (S.conn)
		hrpc_close(S.conn);
	S.conn = NULL;
	S.up = 0;
	if (S.queue.next)
		q_flush(ETIMEDOUT);
	if (S.tls)
		hrpc_tls_free(S.tls);
	S.tls = NULL;
	free(S.known);
	S.known = NULL;
}

int srv_is_up(void)
{
	return S.up;
}

const char *srv_name(void)
{
	return S.name;
}

int srv_last_error(void)
{
	return S.last_err;
}

void srv_call(uint32_t proc, xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize, hrpc_done_fn done, void *cbarg)
{
	struct qcall *q = calloc(1, sizeof(*q));
	int err;

	if (!q) {
		done(cbarg, ENOMEM, NULL);
		return;
	}
	q->proc = proc;
	q->resproc = resproc;
	q->ressize = ressize;
	q->done = done;
	q->cbarg = cbarg;
	q->deadline = now_ms() + call_timeout();
	err = encode(q, argproc, args);
	if (err || S.stopping || !S.tls || S.offline) {
		q_finish(q, err ? err : ETIMEDOUT, NULL);
		return;
	}
	if (S.up) {
		q_send(q);
		return;
	}
	if (S.down) {
		/* Known unreachable: fail at once (Coda's disconnected misses),
		 * but try again in the background so that a vice that is back
		 * is noticed before the next probe. */
		connect_start();
		q_finish(q, ETIMEDOUT, NULL);
		return;
	}
	/* Wait for the connection, but never past the call timeout. */
	q->timer = evtimer_new(V->base, q_timeout, q);
	if (q->timer) {
		struct timeval tv = { call_timeout() / 1000, (call_timeout() % 1000) * 1000 };

		evtimer_add(q->timer, &tv);
	}
	q->next = &S.queue;
	q->prev = S.queue.prev;
	S.queue.prev->next = q;
	S.queue.prev = q;
	connect_start();
}

void srv_new_storeid(hs_storeid *sid)
{
	/* Reserve in blocks so that most store ids cost no synced commit. */
	if (V->next_seq >= S.seq_limit) {
		uint64_t limit = V->next_seq + 1024;

		if (db_seq_reserve(V->db, limit) == 0)
			S.seq_limit = limit;
		else
			vlog(LOG_ERR, "cannot reserve store ids: a restart may reuse one");
	}
	sid->client = V->client_id;
	sid->seq = V->next_seq++;
}
