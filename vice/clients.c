/*
 * vice/clients.c - connections: a client appears after its TLS handshake
 * and vanishes with its connection, taking its promises with it.
 *
 * Its staged stores stay: they belong to its client id, not to the
 * connection, so that a client that reconnects (to reintegrate, say)
 * resumes a store where it stopped (HS_STAGED).  The store layer caps
 * them per client and sweeps them when the client is gone for good.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vice.h"
#include "auth.h"
#include "store.h"

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
	cb_forget(c);
	vauth_conn_gone(c);
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
