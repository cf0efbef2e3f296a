/*
 * volreg.c - volumes, their servers, and calls routed to them (volreg.h).
 *
 * A volume's server comes from the realm's VLDB (HS_VLDB_LOOKUP), asked of
 * the realm's servers in turn (reachable ones first) and never of another
 * realm's.  Calls to a volume whose server is not known wait for that one
 * lookup.  A vice that does not know HS_VLDB_LOOKUP (it answers
 * PROC_UNAVAIL, which the transport reports as EIO) is taken to serve the
 * volume itself: a one-server realm of an older vice.
 *
 * Every call's arguments are encoded (and their fids made vice's) when
 * vr_call_as is called, and kept so that the call can be sent again after
 * HS_EMOVED (to the server the VLDB names now) or HS_EVBUSY (after a
 * pause of 200 ms, doubling to 1 s), until the call's timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/net/server.h"
#include "venus/net/fidmap.h"
#include "venus/net/realm.h"
#include "venus/net/volreg.h"

#define BUCKETS    1024
/* Volumes venus keeps a location for at once. */
#define VOL_MAX    65536
#define BUSY_FIRST 200     /* ms */
#define BUSY_MAX   1000

/* One server venus has a connection object for. */
struct vsrv {
	struct srv     *s;
	unsigned        realm;
	struct vr_addr  a;
	struct vsrv    *alias;   /* the same vice under another name: use it */
	struct vsrv    *next;
};


/* One call of vr_call_as, from encoding to done. */
struct vcall {
	uint32_t      lvol;
	uid_t         uid;
	uint32_t      proc;
	xdrproc_t     resproc;
	size_t        ressize;
	hrpc_done_fn  done;
	void         *cbarg;
	char         *buf;        /* arguments, XDR, fids as vice's */
	u_int         len;
	struct hrpc_buf *hold;    /* owns buf when it is bulk (a store chunk):
				   * the transport sends it by reference */
	uint64_t      deadline;   /* ms, monotonic */
	unsigned      backoff;    /* ms before the next resend */
	int           moved;      /* HS_EMOVED answers so far */
	struct event *timer;
	struct vcall *next;       /* waiting for the volume's location */
	struct vcall *pnext, *pprev; /* parked: waiting for its timer */
};

struct vol {
	uint32_t      lvol;
	char         *name;       /* NULL until learnt */
	struct vsrv  *vs;         /* NULL: location unknown */
	uint64_t      looked;     /* ms of the last VLDB answer */
	int           locating;
	struct vcall *waiting;
	struct vol   *next;
};

static struct {
	struct vr_hooks h;
	struct vsrv    *srvs;
	struct vol     *vols[BUCKETS];
	unsigned        nvols;
	int             offline;
	int             stopping;
	int             up;
	struct vcall   *parked;   /* calls waiting out HS_EVBUSY/HS_EMOVED */
} R;

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

/* xdr_void's prototype takes no arguments; this one has xdrproc_t's. */
static bool_t xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

/* ---- servers ---- */

/* vs, or the connection it turned out to duplicate. */
static struct vsrv *real(struct vsrv *vs)
{
	while (vs && vs->alias)
		vs = vs->alias;
	return vs;
}

/* vs just connected: if an older connection object of its realm reached
 * the same vice (same server id) under another name -- venus.conf's
 * address and the host name vice publishes in the VLDB, say -- vs
 * becomes an alias of it and stays offline.  vice keeps one connection
 * per client, so two would keep dropping each other.  1 if so. */
static int dedup(struct vsrv *vs)
{
	uint64_t id = srv_server_id(vs->s);

	for (struct vsrv *o = R.srvs; id && o; o = o->next) {
		if (o == vs || o->alias || o->realm != vs->realm ||
		    srv_server_id(o->s) != id)
			continue;
		vlog(LOG_INFO, "vice %s is %s: one connection", srv_name(vs->s),
		     srv_name(o->s));
		vs->alias = o;
		srv_set_offline(vs->s, 1);
		srv_probe_now(o->s);
		return 1;
	}
	return 0;
}

static void h_up(void *arg)
{
	struct vsrv *vs = arg;

	if (dedup(vs))
		return;
	if (R.h.server_up)
		R.h.server_up(R.h.arg, vs->s);
}

static void h_down(void *arg)
{
	struct vsrv *vs = arg;

	if (vs->alias)
		return;
	if (R.h.server_down)
		R.h.server_down(R.h.arg, vs->s);
}

static void h_cb_break(void *arg, const hs_fid *fid)
{
	if (R.h.cb_break)
		R.h.cb_break(R.h.arg, fid);
}

static void h_cb_lost(void *arg)
{
	struct vsrv *vs = arg;

	if (R.h.cb_lost)
		R.h.cb_lost(R.h.arg, vs->s);
}

static void h_fence(void *arg, void (*done)(void *done_arg), void *done_arg)
{
	if (R.h.fence)
		R.h.fence(R.h.arg, done, done_arg);
	else
		done(done_arg);
}

/* The connection object for a (of realm), made on first use; NULL when
 * out of memory or TLS cannot be set up (logged). */
static struct vsrv *vsrv_get(unsigned realm, const struct vr_addr *a)
{
	struct srv_hooks hooks = {
		.up = h_up, .down = h_down, .cb_break = h_cb_break,
		.cb_lost = h_cb_lost, .fence = h_fence,
	};
	struct vsrv *vs;
	int err;

	for (vs = R.srvs; vs; vs = vs->next)
		if (vs->realm == realm && vs->a.port == a->port && !strcasecmp(vs->a.host, a->host))
			return real(vs);
	if (!(vs = calloc(1, sizeof *vs)))
		return NULL;
	vs->realm = realm;
	vs->a = *a;
	hooks.arg = vs;
	if (!(vs->s = srv_start(&hooks, a->host, a->port, realm, &err))) {
		free(vs);
		return NULL;
	}
	if (R.offline)
		srv_set_offline(vs->s, 1);
	vs->next = R.srvs;
	R.srvs = vs;
	return vs;
}

/* ---- volumes ---- */

static struct vol **bucket(uint32_t lvol)
{
	return &R.vols[(lvol ^ (lvol >> 11)) % BUCKETS];
}

static struct vol *vol_find(uint32_t lvol)
{
	struct vol *v;

	for (v = *bucket(lvol); v; v = v->next)
		if (v->lvol == lvol)
			return v;
	return NULL;
}

static struct vol *vol_get(uint32_t lvol)
{
	struct vol *v = vol_find(lvol), **b;

	if (v || R.nvols >= VOL_MAX || !(v = calloc(1, sizeof *v)))
		return v;
	b = bucket(lvol);
	v->lvol = lvol;
	v->next = *b;
	*b = v;
	R.nvols++;
	return v;
}

static void vol_set_name(struct vol *v, const char *name)
{
	char *n;

	if (!name || !*name || (v->name && !strcmp(v->name, name)) || !(n = strdup(name)))
		return;
	free(v->name);
	v->name = n;
}

static struct vol *vol_by_name(unsigned realm, const char *name)
{
	for (unsigned i = 0; i < BUCKETS; i++)
		for (struct vol *v = R.vols[i]; v; v = v->next)
			if (vr_realm_of(v->lvol) == realm && v->name && !strcmp(v->name, name))
				return v;
	return NULL;
}

/* ---- the VLDB ---- */

/* What a VLDB lookup found.  id 0: the asked server knows no VLDB (an
 * older vice); it is taken to serve the volume. */
struct where {
	uint32_t       id;
	char           name[HS_MAXNAMELEN + 1];
	struct vsrv   *vs;
};
typedef void (*ask_cb)(void *arg, int err, const struct where *w);

struct ask {
	unsigned      realm;
	hs_vldb_args  a;
	char          name[HS_MAXNAMELEN + 1];
	int           order[VR_MAX_ADDRS];
	int           n, i;
	struct vsrv  *asked;
	ask_cb        cb;
	void         *arg;
};

static void ask_next(struct ask *q);

static void ask_finish(struct ask *q, int err, const struct where *w)
{
	q->cb(q->arg, err, w);
	free(q);
}

/* The entry's first server that is up, else its first. */
static struct vsrv *pick(unsigned realm, const hs_vldb_entry *e)
{
	struct vsrv *first = NULL;

	for (u_int i = 0; i < e->servers.servers_len; i++) {
		struct vr_addr a;
		struct vsrv *vs;

		if (!e->servers.servers_val[i].host || e->servers.servers_val[i].port - 1 > 65534)
			continue;
		snprintf(a.host, sizeof a.host, "%s", e->servers.servers_val[i].host);
		a.port = (int)e->servers.servers_val[i].port;
		if (!(vs = vsrv_get(realm, &a)))
			continue;
		if (srv_is_up(vs->s))
			return vs;
		if (!first)
			first = vs;
	}
	return first;
}

static void ask_done(void *arg, int err, void *res)
{
	struct ask *q = arg;
	hs_vldb_res *r = res;
	struct where w = { 0 };

	if (R.stopping) {
		ask_finish(q, ETIMEDOUT, NULL);
		return;
	}
	/* PROC_UNAVAIL: an older vice with no VLDB serves the volume.  A
	 * name the VLDB does not know may still be one the asked server
	 * serves (a vice without a VLDB, a volume it could not publish):
	 * the caller asks that server for the root by name. */
	if (err == EIO || (!err && r->status == ENOENT && !q->a.id)) {
		w.id = q->a.id;
		snprintf(w.name, sizeof w.name, "%s", q->name);
		w.vs = q->asked;
		ask_finish(q, 0, &w);
		return;
	}
	if (err) {
		ask_next(q);
		return;
	}
	if (r->status) {
		ask_finish(q, r->status == HS_EMOVED ? ENOENT : r->status, NULL);
		return;
	}
	w.id = r->hs_vldb_res_u.ent.id;
	snprintf(w.name, sizeof w.name, "%s",
		 r->hs_vldb_res_u.ent.name ? r->hs_vldb_res_u.ent.name : "");
	if (!w.id || w.id > VR_VOLID_MASK || !(w.vs = pick(q->realm, &r->hs_vldb_res_u.ent))) {
		vlog(LOG_WARNING, "VLDB of %s: unusable entry for volume %s", realm_name(q->realm),
		     q->name[0] ? q->name : "?");
		ask_finish(q, EIO, NULL);
		return;
	}
	ask_finish(q, 0, &w);
}

static void ask_next(struct ask *q)
{
	const struct vr_addr *addr;
	int n = realm_addrs(q->realm, &addr);

	while (q->i < q->n) {
		int k = q->order[q->i++];

		if (k >= n || !(q->asked = vsrv_get(q->realm, &addr[k])))
			continue;
		srv_call(q->asked->s, HS_VLDB_LOOKUP, (xdrproc_t)xdr_hs_vldb_args, &q->a,
			 (xdrproc_t)xdr_hs_vldb_res, sizeof(hs_vldb_res), ask_done, q);
		return;
	}
	ask_finish(q, ETIMEDOUT, NULL);
}

/* Order the realm's servers: reachable ones (or never tried) first. */
static void ask_order(struct ask *q)
{
	const struct vr_addr *addr;
	int n = realm_addrs(q->realm, &addr);

	q->n = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < n; k++) {
			struct vsrv *vs;
			int good = 1;

			for (vs = R.srvs; vs; vs = vs->next)
				if (vs->realm == q->realm && vs->a.port == addr[k].port &&
				    !strcasecmp(vs->a.host, addr[k].host))
					good = srv_reachable(vs->s);
			if (good == !pass)
				q->order[q->n++] = k;
		}
	}
}

static void ask_resolved(void *arg, int err)
{
	struct ask *q = arg;

	/* No servers known now (DNS down, too many lookups): unreachable,
	 * not gone -- cached objects of the realm stay usable. */
	if (err) {
		ask_finish(q, ETIMEDOUT, NULL);
		return;
	}
	ask_order(q);
	ask_next(q);
}

/* Where is volume id (or, id 0, name) of realm?  cb runs once. */
static void vldb_ask(unsigned realm, uint32_t id, const char *name, ask_cb cb, void *arg)
{
	struct ask *q = calloc(1, sizeof *q);

	if (!q || R.stopping) {
		free(q);
		cb(arg, q ? ETIMEDOUT : ENOMEM, NULL);
		return;
	}
	q->realm = realm;
	q->a.id = id;
	snprintf(q->name, sizeof q->name, "%s", name ? name : "");
	q->a.name = q->name;
	q->cb = cb;
	q->arg = arg;
	realm_resolve(realm, ask_resolved, q);
}

/* ---- calls ---- */

static void vc_free(struct vcall *c)
{
	if (c->timer)
		event_free(c->timer);
	if (c->hold)
		hrpc_buf_unref(c->hold);   /* the transport may hold buf still */
	else
		free(c->buf);
	free(c);
}

static void vc_finish(struct vcall *c, int err, void *res)
{
	c->done(c->cbarg, err, err ? NULL : res);
	vc_free(c);
}

static void vc_send(struct vcall *c);

static unsigned left_ms(const struct vcall *c)
{
	uint64_t now = now_ms();

	return c->deadline > now ? (unsigned)(c->deadline - now) : 0;
}

static void unpark(struct vcall *c)
{
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		R.parked = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	c->pnext = c->pprev = NULL;
}

static void vc_timer(evutil_socket_t fd, short what, void *arg)
{
	unpark(arg);
	vc_send(arg);
}

/* Send c again after its backoff, if its time allows. */
static void vc_later(struct vcall *c)
{
	unsigned wait = c->backoff;
	struct timeval tv;

	if (R.stopping || left_ms(c) <= wait) {
		vc_finish(c, ETIMEDOUT, NULL);
		return;
	}
	c->backoff = c->backoff * 2 > BUSY_MAX ? BUSY_MAX : c->backoff * 2;
	if (!c->timer && !(c->timer = evtimer_new(V->base, vc_timer, c))) {
		vc_finish(c, ENOMEM, NULL);
		return;
	}
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	c->pnext = R.parked;
	if (R.parked)
		R.parked->pprev = c;
	R.parked = c;
}

static void vc_done(void *arg, int err, void *res)
{
	struct vcall *c = arg;
	unsigned realm = vr_realm_of(c->lvol);
	int status = !err && res && c->ressize >= sizeof(int) ? *(int *)res : 0;
	struct vol *v;

	if (status == HS_EMOVED && !R.stopping) {
		if ((v = vol_find(c->lvol)) && v->vs) {
			vlog(LOG_INFO, "volume %#x moved away from %s", c->lvol, srv_name(v->vs->s));
			v->vs = NULL;
		}
		if (R.h.vol_moved)
			R.h.vol_moved(R.h.arg, c->lvol);
		/* The VLDB may lag the move: ask again at once, then pause. */
		if (!c->moved++)
			vc_send(c);
		else
			vc_later(c);
		return;
	}
	if (status == HS_EVBUSY) {
		vc_later(c);
		return;
	}
	if (!err && realm && (err = vr_map(VR_TO_LOCAL, realm, c->resproc, res)))
		vlog(LOG_ERR, "call %u to volume %#x: a fid beyond volume id %#x in the reply",
		     c->proc, c->lvol, VR_VOLID_MASK);
	vc_finish(c, err, res);
}

static void locate_done(void *arg, int err, const struct where *w);

/* Find v's server; calls waiting on it go once it is known. */
static void vol_locate(struct vol *v)
{
	if (v->locating)
		return;
	v->locating = 1;
	vldb_ask(vr_realm_of(v->lvol), vr_volid_of(v->lvol), NULL, locate_done,
		 (void *)(uintptr_t)v->lvol);
}

static void locate_done(void *arg, int err, const struct where *w)
{
	struct vol *v = vol_find((uint32_t)(uintptr_t)arg);
	struct vcall *c, *next;

	if (!v)
		return;
	v->locating = 0;
	if (!err) {
		v->vs = w->vs;
		v->looked = now_ms();
		vol_set_name(v, w->name);
	}
	c = v->waiting;
	v->waiting = NULL;
	for (; c; c = next) {
		next = c->next;
		c->next = NULL;
		if (err)   /* a volume the VLDB does not know is gone: its fids too */
			vc_finish(c, err == ENOENT ? ESTALE : err, NULL);
		else
			vc_send(c);
	}
}

static void vc_send(struct vcall *c)
{
	struct vol *v = vol_get(c->lvol);
	unsigned left = left_ms(c);

	if (!v) {
		vc_finish(c, ENOMEM, NULL);
		return;
	}
	if (!left || R.stopping) {
		vc_finish(c, ETIMEDOUT, NULL);
		return;
	}
	if (!v->vs) {
		c->next = v->waiting;
		v->waiting = c;
		vol_locate(v);
		return;
	}
	srv_call_enc(real(v->vs)->s, c->uid, c->proc, c->buf, c->len, c->hold, left, c->resproc,
		     c->ressize, vc_done, c);
}

static int encode(xdrproc_t proc, const void *obj, char **buf, u_int *len)
{
	u_long n = xdr_sizeof(proc, (void *)obj);
	XDR x;

	if (!(*buf = malloc(n ? n : 1)))
		return ENOMEM;
	xdrmem_create(&x, *buf, (u_int)n, XDR_ENCODE);
	if (!proc(&x, (void *)obj, 0)) {
		xdr_destroy(&x);
		free(*buf);
		*buf = NULL;
		return EINVAL;
	}
	*len = xdr_getpos(&x);
	xdr_destroy(&x);
	return 0;
}

/* args encoded with their fids made vice's: a deep copy (decoded from
 * the encoding) is translated and encoded again, the caller's untouched. */
static int encode_wire(unsigned realm, xdrproc_t proc, const void *args, char **buf, u_int *len)
{
	size_t size = vr_map_size(proc);
	char *tmp;
	u_int tlen;
	void *copy;
	XDR x;
	int err;

	if (!realm || !args)
		return encode(proc, args, buf, len);
	if (!size)
		return ENOSYS;
	if ((err = encode(proc, args, &tmp, &tlen)))
		return err;
	if (!(copy = calloc(1, size))) {
		free(tmp);
		return ENOMEM;
	}
	xdrmem_create(&x, tmp, tlen, XDR_DECODE);
	err = proc(&x, copy, 0) ? 0 : EINVAL;
	xdr_destroy(&x);
	free(tmp);
	if (!err)
		err = vr_map(VR_TO_WIRE, realm, proc, copy);
	if (!err)
		err = encode(proc, copy, buf, len);
	xdr_free(proc, copy);
	free(copy);
	return err;
}

void vr_call_as(uint32_t lvol, uid_t uid, uint32_t proc, xdrproc_t argproc,
		const void *args, xdrproc_t resproc, size_t ressize,
		hrpc_done_fn done, void *cbarg)
{
	unsigned realm = vr_realm_of(lvol);
	struct vcall *c;
	int err;

	if (realm >= VR_MAX_REALMS || !realm_name(realm) || !vr_volid_of(lvol)) {
		done(cbarg, realm == VR_LOCAL_REALM ? EINVAL : ESTALE, NULL);
		return;
	}
	if (!(c = calloc(1, sizeof *c))) {
		done(cbarg, ENOMEM, NULL);
		return;
	}
	c->lvol = lvol;
	c->uid = uid;
	c->proc = proc;
	c->resproc = resproc;
	c->ressize = ressize;
	c->done = done;
	c->cbarg = cbarg;
	c->deadline = now_ms() + call_timeout();
	c->backoff = BUSY_FIRST;
	if ((err = encode_wire(realm, argproc, args, &c->buf, &c->len))) {
		if (err == EXDEV || err == ENOSYS)
			vlog(LOG_ERR, "call %u to volume %#x: %s", proc, lvol,
			     err == EXDEV ? "a fid of another realm" : "no fid map for its arguments");
		vc_finish(c, err, NULL);
		return;
	}
	if (c->len >= HRPC_REF_MIN)
		c->hold = hrpc_buf_adopt(c->buf, c->len);  /* NULL: copied */
	vc_send(c);
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

void vr_ping(uint32_t lvol, void (*done)(void *arg, int err), void *arg)
{
	struct ping *p = malloc(sizeof *p);

	if (!p) {
		done(arg, ENOMEM);
		return;
	}
	p->done = done;
	p->arg = arg;
	vr_call_as(lvol, SRV_SELF, HS_NULL, (xdrproc_t)xdr_nothing, NULL,
		   (xdrproc_t)xdr_nothing, sizeof(int), ping_done, p);
}

/* ---- volume roots ---- */

struct rootq {
	unsigned   realm;
	uid_t      uid;
	uint32_t   id;            /* 0: by name */
	char       name[HS_MAXNAMELEN + 1];
	int        drop;          /* forget the realm if this fails */
	struct vsrv *old;         /* an older vice (no VLDB) serving it */
	vr_root_cb cb;
	void      *arg;
};

static void root_finish(struct rootq *q, int err, const hs_fid *root)
{
	if (!err && (err = realm_keep(q->realm)))
		vlog(LOG_ERR, "realm %s: cannot keep its index: %s", realm_name(q->realm),
		     strerror(err));
	if (err && q->drop)
		realm_drop(q->realm);
	q->cb(q->arg, err, err ? NULL : root);
	free(q);
}

static void root_done(void *arg, int err, void *res)
{
	struct rootq *q = arg;
	hs_getroot_res *r = res;
	const hs_fid *root;
	struct vol *v;

	if (!err && r->status)
		err = r->status == HS_EMOVED ? EIO : r->status;
	if (err) {
		root_finish(q, err, NULL);
		return;
	}
	root = &r->hs_getroot_res_u.vol.root;
	if (vr_realm_of(root->volume) != q->realm) {
		root_finish(q, EIO, NULL);
		return;
	}
	if ((v = vol_get(root->volume))) {
		vol_set_name(v, r->hs_getroot_res_u.vol.name);
		if (q->old && !v->vs) {
			v->vs = q->old;
			v->looked = now_ms();
		}
	}
	root_finish(q, 0, root);
}

/* An older vice (no VLDB): ask it for the root and learn the id from it. */
static void old_root_done(void *arg, int err, void *res)
{
	struct rootq *q = arg;
	hs_getroot_res *r = res;

	if (!err && !r->status && vr_map(VR_TO_LOCAL, q->realm, (xdrproc_t)xdr_hs_getroot_res, r))
		err = EIO;
	root_done(q, err, res);
}

static void root_where(void *arg, int err, const struct where *w)
{
	struct rootq *q = arg;
	hs_name name = q->name;
	struct vol *v;

	if (err) {
		root_finish(q, err, NULL);
		return;
	}
	if (w->name[0])
		snprintf(q->name, sizeof q->name, "%s", w->name);
	if (!w->id) {
		q->old = w->vs;
		srv_call_as(real(w->vs)->s, q->uid, HS_GETROOT, (xdrproc_t)xdr_hs_name, &name,
			    (xdrproc_t)xdr_hs_getroot_res, sizeof(hs_getroot_res), old_root_done, q);
		return;
	}
	if (!(v = vol_get((uint32_t)q->realm << VR_REALM_SHIFT | w->id))) {
		root_finish(q, ENOMEM, NULL);
		return;
	}
	v->vs = w->vs;
	v->looked = now_ms();
	vol_set_name(v, w->name);
	vr_call_as(v->lvol, q->uid, HS_GETROOT, (xdrproc_t)xdr_hs_name, &name,
		   (xdrproc_t)xdr_hs_getroot_res, sizeof(hs_getroot_res), root_done, q);
}

/* "123" or "0x7b": a volume id; else 0 (a name). */
static uint32_t volnum(const char *s)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 0);
	return errno || *end || v > VR_VOLID_MASK ? 0 : (uint32_t)v;
}

static void volume_root(unsigned idx, const char *volname, uid_t uid, int drop,
			vr_root_cb cb, void *arg)
{
	struct rootq *q;
	struct vol *v;

	if (!realm_name(idx) || strlen(volname) > HS_MAXNAMELEN) {
		cb(arg, ENOENT, NULL);
		return;
	}
	if (!(q = calloc(1, sizeof *q))) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	q->realm = idx;
	q->uid = uid;
	q->drop = drop;
	q->cb = cb;
	q->arg = arg;
	q->id = volnum(volname);
	snprintf(q->name, sizeof q->name, "%s", *volname ? volname : "root");
	v = q->id ? vol_find(idx << VR_REALM_SHIFT | q->id) : vol_by_name(idx, q->name);
	if (v && v->vs && v->name) {
		struct where w = { .id = vr_volid_of(v->lvol), .vs = v->vs };

		snprintf(w.name, sizeof w.name, "%s", v->name);
		root_where(q, 0, &w);
		return;
	}
	vldb_ask(idx, q->id, q->id ? NULL : q->name, root_where, q);
}

void vr_volume_root(unsigned idx, const char *volname, uid_t uid,
		    vr_root_cb cb, void *arg)
{
	volume_root(idx, volname, uid, 0, cb, arg);
}

/* A realm name venus may look up: a DNS name's characters, no leading
 * dot (keeps ".Trash", ".hidden" lookups in /coda off the network). */
static int realm_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > HS_MAXHOSTNAME || name[0] == '.' || name[0] == '-')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.-_:[]") == n;
}

struct newrealm {
	unsigned   idx;
	uid_t      uid;
	vr_root_cb cb;
	void      *arg;
};

/* A realm first named now: ENOENT unless it has servers somewhere. */
static void new_resolved(void *arg, int err)
{
	struct newrealm n = *(struct newrealm *)arg;

	free(arg);
	if (err) {
		realm_drop(n.idx);
		n.cb(n.arg, err == EAGAIN ? ETIMEDOUT : ENOENT, NULL);
		return;
	}
	volume_root(n.idx, "root", n.uid, 1, n.cb, n.arg);
}

void vr_realm_root(const char *name, uid_t uid, vr_root_cb cb, void *arg)
{
	int idx = realm_index(name, 0);
	struct newrealm *n;

	if (idx >= 0) {
		volume_root((unsigned)idx, "root", uid, 0, cb, arg);
		return;
	}
	if (!realm_name_ok(name)) {
		cb(arg, ENOENT, NULL);
		return;
	}
	if ((idx = realm_index(name, 1)) < 0 || !(n = malloc(sizeof *n))) {
		if (idx >= 0)
			realm_drop((unsigned)idx);
		cb(arg, idx < 0 ? ENOSPC : ENOMEM, NULL);
		return;
	}
	n->idx = (unsigned)idx;
	n->uid = uid;
	n->cb = cb;
	n->arg = arg;
	realm_resolve((unsigned)idx, new_resolved, n);
}

struct findrealm {
	char        name[HS_MAXHOSTNAME + 1];
	vr_realm_cb cb;
	void       *arg;
};

static void found_root(void *arg, int err, const hs_fid *root)
{
	struct findrealm f = *(struct findrealm *)arg;
	int idx = err ? -1 : realm_index(f.name, 0);

	(void)root;
	free(arg);
	if (!err && idx < 0)
		err = ENOENT;
	f.cb(f.arg, err, err ? 0 : (unsigned)idx);
}

void vr_realm_find(const char *name, uid_t uid, vr_realm_cb cb, void *arg)
{
	struct findrealm *f;

	if (strlen(name) >= sizeof f->name) {
		cb(arg, ENOENT, 0);
		return;
	}
	if (!(f = malloc(sizeof *f))) {
		cb(arg, ENOMEM, 0);
		return;
	}
	snprintf(f->name, sizeof f->name, "%s", name);
	f->cb = cb;
	f->arg = arg;
	vr_realm_root(name, uid, found_root, f);
}

int vr_realm_server(unsigned idx, int i, char *host, size_t n, int *port)
{
	const struct vr_addr *a;
	int cnt = realm_addrs(idx, &a);

	if (i < 0 || i >= cnt)
		return ENOENT;
	snprintf(host, n, "%s", a[i].host);
	*port = a[i].port;
	return 0;
}

/* ---- realms ---- */

const char *vr_realm0(void)
{
	const char *n = realm_name(0);

	return n ? n : V->cfg.realm ? V->cfg.realm : V->cfg.server ? V->cfg.server : "";
}

const char *vr_realm_name(unsigned idx)
{
	return realm_name(idx);
}

int vr_realm_index(const char *name)
{
	return realm_index(name, 0);
}

void vr_realm_foreach(void (*fn)(void *arg, unsigned idx, const char *name),
		      void *arg)
{
	realm_foreach(fn, arg);
}

/* ---- volume state ---- */

const char *vr_volume_name(uint32_t lvol)
{
	struct vol *v = vol_find(lvol);

	return v ? v->name : NULL;
}

struct srv *vr_srv_of(uint32_t lvol)
{
	struct vol *v = vol_find(lvol);

	return v && v->vs ? real(v->vs)->s : NULL;
}

int vr_reachable(uint32_t lvol)
{
	struct vol *v = vol_find(lvol);
	unsigned realm = vr_realm_of(lvol);
	int any = 0, good = 0;

	if (R.offline)
		return 0;
	if (v && v->vs)
		return srv_reachable(real(v->vs)->s);
	for (struct vsrv *vs = R.srvs; vs; vs = vs->next) {
		if (vs->realm != realm)
			continue;
		any = 1;
		good |= srv_reachable(vs->s);
	}
	return !any || good;
}

int vr_is_up(uint32_t lvol)
{
	struct srv *s = vr_srv_of(lvol);

	return s && srv_is_up(s);
}

const char *vr_server_name(uint32_t lvol)
{
	struct srv *s = vr_srv_of(lvol);
	const char *r = realm_name(vr_realm_of(lvol));

	return s ? srv_name(s) : r ? r : "?";
}

void vr_forget_location(uint32_t lvol)
{
	struct vol *v = vol_find(lvol);

	if (v)
		v->vs = NULL;
}

void vr_vol_foreach(void (*fn)(void *arg, uint32_t lvol, const char *name, struct srv *s),
		    void *arg)
{
	for (unsigned i = 0; i < BUCKETS; i++)
		for (struct vol *v = R.vols[i]; v; v = v->next)
			fn(arg, v->lvol, v->name, v->vs ? real(v->vs)->s : NULL);
}

/* ---- servers ---- */

struct srv *vr_srv0(void)
{
	const struct vr_addr *a;
	struct vsrv *vs;

	if (!realm_addrs(0, &a) || !(vs = vsrv_get(0, &a[0])))
		return NULL;
	return vs->s;
}

void vr_set_offline(int off)
{
	R.offline = off;
	for (struct vsrv *vs = R.srvs; vs; vs = vs->next)
		if (!vs->alias)
			srv_set_offline(vs->s, off);
}

void vr_probe_now(void)
{
	for (struct vsrv *vs = R.srvs; vs; vs = vs->next)
		if (!vs->alias)
			srv_probe_now(vs->s);
}

void vr_srv_foreach(void (*fn)(void *arg, struct srv *s), void *arg)
{
	for (struct vsrv *vs = R.srvs; vs; vs = vs->next)
		if (!vs->alias)
			fn(arg, vs->s);
}

/* ---- life ---- */

int vr_init(const struct vr_hooks *hooks)
{
	int err;

	memset(&R, 0, sizeof R);
	R.h = *hooks;
	if ((err = realm_init())) {
		realm_fini();
		return err;
	}
	R.up = 1;
	if (!vr_srv0()) {
		vr_fini();
		return EINVAL;
	}
	return 0;
}

void vr_fini(void)
{
	if (!R.up)
		return;
	R.stopping = 1;
	/* Calls still out fail now, while the tables they touch exist. */
	while (R.parked) {
		struct vcall *c = R.parked;

		unpark(c);
		vc_finish(c, ETIMEDOUT, NULL);
	}
	/* All stopped before any is freed: a stop's hooks (promises voided
	 * per object) still ask vr_srv_of about the other servers' volumes. */
	for (struct vsrv *vs = R.srvs; vs; vs = vs->next) {
		srv_stop(vs->s);
		vs->s = NULL;   /* freed: vr_srv_of answers NULL for it now */
	}
	while (R.srvs) {
		struct vsrv *vs = R.srvs;

		R.srvs = vs->next;
		free(vs);
	}
	for (unsigned i = 0; i < BUCKETS; i++) {
		while (R.vols[i]) {
			struct vol *v = R.vols[i];

			R.vols[i] = v->next;
			while (v->waiting) {
				struct vcall *c = v->waiting;

				v->waiting = c->next;
				vc_finish(c, ETIMEDOUT, NULL);
			}
			free(v->name);
			free(v);
		}
	}
	realm_fini();
	memset(&R, 0, sizeof R);
}
