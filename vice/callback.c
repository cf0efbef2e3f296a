/*
 * vice/callback.c - callback promises and their breaks (Coda/AFS style).
 *
 * A client that caches an object holds a promise: vice will tell it
 * before the object changes under it.  When one client changes objects,
 * every other client holding a promise on one of them gets HS_CB_BREAK on
 * its own connection, queued before the changing call's reply is sent, so
 * by the time the writer's close returns the readers have been told.  The
 * break's reply is not awaited; its promises are dropped at once (a
 * client that missed a break loses its connection and with it all its
 * promises anyway).
 */
#include <stdlib.h>
#include <string.h>
#include "vice.h"

/* Break replies carry nothing; a failure only matters for debugging. */
static void break_done(void *arg, int err, void *res)
{
	if (err)
		vlog(LOG_DEBUG, "callback break: %s", strerror(err));
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

/* Send one HS_CB_BREAK with n (<= HS_MAXFIDS) fids to c. */
static void send_break(struct vice *v, struct vclient *c, hs_fid *fids,
		       unsigned n)
{
	hs_fidlist list = { { n, fids } };
	int r;

	r = hrpc_call(c->conn, HS_CB_PROG, HS_CB_V1, HS_CB_BREAK,
		      (xdrproc_t)xdr_hs_fidlist, &list, NULL, 0,
		      0, break_done, NULL);
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
			send_break(v, c, batch, k);
			k = 0;
		}
	}
	if (k)
		send_break(v, c, batch, k);
}

void cb_break(struct vice *v, struct vclient *from, const hs_fid *fids,
	      unsigned n)
{
	struct vclient *c;

	for (c = v->clients; c; c = c->next)
		if (c != from && c->promises.n)
			break_client(v, c, fids, n);
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

void cb_forget(struct vclient *c)
{
	fidset_clear(&c->promises);
}
