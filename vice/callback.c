/*
 * vice/callback.c - callback promises and their breaks (Coda/AFS style).
 *
 * A client that caches an object holds a promise: vice will tell it
 * before the object changes under it.  When one client changes objects,
 * every other client holding a promise on one of them gets HS_CB_BREAK on
 * its own connection, and the changing call's reply is held back until
 * every break is answered (Coda's order): by the time the writer's close
 * returns, the readers have dropped their stale copies.  A client that
 * does not answer within CB_BREAK_TIMEOUT_MS loses its connection, and
 * with it all its promises, so the writer never waits longer than that.
 * Every change also moves its volume's stamp on and breaks the volume
 * promises on it (volstamp.c), in the same call, before the reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vice.h"

#define CB_BREAK_TIMEOUT_MS 5000

/* A reply held back until the breaks its call caused are answered. */
struct cb_wait {
	unsigned pending;       /* breaks in flight, +1 until armed */
	void   (*fire)(void *arg);
	void    *arg;
};

/* One break in flight. */
struct brk {
	struct cb_wait   *w;
	struct hrpc_conn *conn;
};

struct cb_wait *cb_wait_begin(void)
{
	struct cb_wait *w = calloc(1, sizeof(*w));

	if (w)
		w->pending = 1;
	return w;
}

static void wait_put(struct cb_wait *w)
{
	if (--w->pending)
		return;
	w->fire(w->arg);
	free(w);
}

void cb_wait_end(struct cb_wait *w, void (*fire)(void *arg), void *arg)
{
	if (!w) {
		fire(arg);
		return;
	}
	w->fire = fire;
	w->arg = arg;
	wait_put(w);
}

/* Closing from inside the transport's own timer is not safe: do it from
 * a fresh event. */
static void close_later(evutil_socket_t fd, short what, void *arg)
{
	struct hrpc_conn *conn = arg;

	hrpc_close(conn);
	hrpc_conn_unref(conn);
}

static void break_done(void *arg, int err, void *res)
{
	struct brk *b = arg;

	if (err == ETIMEDOUT) {
		vlog(LOG_WARNING, "%s did not answer a callback break: closing",
		     hrpc_conn_peer(b->conn));
		hrpc_conn_ref(b->conn);
		if (event_base_once(hrpc_conn_base(b->conn), -1, EV_TIMEOUT,
				    close_later, b->conn, NULL))
			hrpc_conn_unref(b->conn);
	} else if (err) {
		vlog(LOG_DEBUG, "callback break: %s", strerror(err));
	}
	hrpc_conn_unref(b->conn);
	if (b->w)
		wait_put(b->w);
	free(b);
}

void cb_grant(struct vclient *c, const hs_fid *fid)
{
	if (!(c->features & HS_FEAT_CALLBACKS))
		return;
	/* Out of memory: no promise, so the client is never told; it
	 * revalidates on its own then.  Nothing better to do. */
	if (fidset_add(&c->promises, fid))
		vlog(LOG_WARNING, "no memory for a callback promise");
}

void cb_send_break(struct vice *v, struct vclient *c, hs_fid *fids,
		       unsigned n)
{
	hs_fidlist list = { { n, fids } };
	struct brk *b = malloc(sizeof(*b));
	int r = -ENOMEM;

	if (b) {
		b->w = v->cur_wait;
		b->conn = c->conn;
		hrpc_conn_ref(c->conn);
		r = hrpc_call(c->conn, HS_CB_PROG, HS_CB_V1, HS_CB_BREAK,
			      (xdrproc_t)xdr_hs_fidlist, &list, NULL, 0,
			      CB_BREAK_TIMEOUT_MS, break_done, b);
		if (r < 0) {
			hrpc_conn_unref(c->conn);
			free(b);
		} else if (b->w) {
			b->w->pending++;
		}
	}
	if (r < 0) {
		/* A client we cannot tell must not keep its cache: drop it. */
		vlog(LOG_INFO, "callback break to %s failed (%s): closing",
		     hrpc_conn_peer(c->conn), strerror(-r));
		c->doomed = 1;
		return;
	}
	v->stats.breaks += n;
}

/* The fids of fids[0..n) c holds, removed from its promises, sent. */
static void break_client(struct vice *v, struct vclient *c,
			 const hs_fid *fids, unsigned n)
{
	hs_fid batch[HS_MAXFIDS < 64 ? HS_MAXFIDS : 64];
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		/* fidset_del also drops duplicates within fids. */
		if (!fidset_del(&c->promises, &fids[i]))
			continue;
		batch[k++] = fids[i];
		if (k == sizeof batch / sizeof batch[0]) {
			cb_send_break(v, c, batch, k);
			k = 0;
		}
	}
	if (k)
		cb_send_break(v, c, batch, k);
}

/* Close the clients a break could not be sent to. */
static void close_doomed(struct vice *v)
{
	struct vclient *c;

	/* Closing frees c and unlinks it (on_closed runs at once), so
	 * start over after each one. */
again:
	for (c = v->clients; c; c = c->next) {
		if (c->doomed) {
			c->doomed = 0;
			hrpc_close(c->conn);
			goto again;
		}
	}
}

void cb_break(struct vice *v, struct vclient *from, const hs_fid *fids,
	      unsigned n)
{
	struct vclient *c;
	unsigned i;

	/* Every volume named moves on (fids of one call share a volume,
	 * mostly: comparing with the previous one is enough, a second
	 * bump of a volume costs nothing). */
	for (i = 0; i < n; i++)
		if (!i || fids[i].volume != fids[i - 1].volume)
			vstamp_changed(v, fids[i].volume);
	for (c = v->clients; c; c = c->next)
		if (c != from && c->promises.n)
			break_client(v, c, fids, n);
	close_doomed(v);
}

void cb_vol_changed(struct vice *v, uint32_t vol)
{
	vstamp_changed(v, vol);
	close_doomed(v);
}

void cb_forget(struct vclient *c)
{
	fidset_clear(&c->promises);
	volp_clear(c);
}

void cb_break_volume(struct vice *v, struct vclient *from, uint32_t id)
{
	struct vclient *o;
	hs_fid *fids = NULL, *more;
	size_t n = 0, cap = 0, i;

	cb_vol_changed(v, id);
	/* Gathered first: breaking changes the sets walked. */
	for (o = v->clients; o; o = o->next)
		for (i = 0; i < o->promises.cap; i++) {
			const hs_fid *f = &o->promises.slot[i];

			if (!f->vnode || f->volume != id)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				if (!(more = realloc(fids, cap * sizeof *fids)))
					goto out;
				fids = more;
			}
			fids[n++] = *f;
		}
out:
	for (i = 0; i < n; i += HS_MAXFIDS)
		cb_break(v, from, fids + i,
			 (unsigned)(n - i < HS_MAXFIDS ? n - i : HS_MAXFIDS));
	free(fids);
}
