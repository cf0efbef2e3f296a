/*
 * vice/clients.c - connections: a client appears after its TLS handshake
 * and vanishes with its connection, taking its promises and its
 * uncommitted stores with it.
 *
 * Staged stores are not resumable across connections: when a connection
 * closes, the chunks it staged under store ids that never committed are
 * removed, and a client that reconnects resends the whole store (under
 * the same store id, so a commit that did happen is not applied twice).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vice.h"
#include "store.h"

/* Stores one connection may have staged at once (each a temp file). */
#define MAX_STAGED 256

static int on_connected(struct hrpc_conn *conn, const char *fp, void *arg)
{
	struct vice *v = arg;
	struct vclient *c = calloc(1, sizeof *c);

	if (!c)
		return ENOMEM;
	c->v = v;
	c->conn = conn;
	c->next = v->clients;
	if (v->clients)
		v->clients->prev = c;
	v->clients = c;
	hrpc_conn_set_data(conn, c);
	vlog(LOG_DEBUG, "%s: connected", hrpc_conn_peer(conn));
	return 0;
}

static void on_closed(struct hrpc_conn *conn, int err, void *arg)
{
	struct vice *v = arg;
	struct vclient *c = hrpc_conn_get_data(conn);
	unsigned i;

	if (!c)
		return;
	vlog(LOG_DEBUG, "%s: closed (%s)", hrpc_conn_peer(conn),
	     err ? strerror(err) : "clean");
	if (c->prev)
		c->prev->next = c->next;
	else
		v->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->client_id)
		v->stats.clients--;
	for (i = 0; i < c->staged.n; i++)
		vs_stage_drop(v->vs, &c->staged.v[i]);
	free(c->staged.v);
	cb_forget(c);
	hrpc_conn_set_data(conn, NULL);
	free(c);
}

const struct hrpc_conn_ops vice_conn_ops = {
	.on_connected = on_connected,
	.on_closed = on_closed,
	.dispatch = vice_dispatch,
};

void vice_clients_close(struct vice *v)
{
	struct vclient *c;

	while ((c = v->clients)) {
		hrpc_close(c->conn);
		/* on_closed has unlinked c; if not, the conn was already
		 * closing: unlink it ourselves rather than loop. */
		if (v->clients == c)
			on_closed(c->conn, 0, v);
	}
}

static int sid_eq(const hs_storeid *a, const hs_storeid *b)
{
	return a->client == b->client && a->seq == b->seq;
}

int vclient_stage_add(struct vclient *c, const hs_storeid *sid)
{
	struct sidlist *l = &c->staged;
	hs_storeid *nv;
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (sid_eq(&l->v[i], sid))
			return 0;
	if (l->n == MAX_STAGED)
		return EDQUOT;
	if (l->n == l->cap) {
		nv = realloc(l->v, (l->cap ? l->cap * 2 : 8) * sizeof *nv);
		if (!nv)
			return ENOMEM;
		l->v = nv;
		l->cap = l->cap ? l->cap * 2 : 8;
	}
	l->v[l->n++] = *sid;
	return 0;
}

void vclient_stage_del(struct vclient *c, const hs_storeid *sid)
{
	struct sidlist *l = &c->staged;
	unsigned i;

	for (i = 0; i < l->n; i++) {
		if (sid_eq(&l->v[i], sid)) {
			l->v[i] = l->v[--l->n];
			return;
		}
	}
}
