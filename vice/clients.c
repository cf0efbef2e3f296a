/*
 * vice/clients.c - connections: a client appears after its TLS handshake
 * and vanishes with its connection, taking its promises with it.
 *
 * Its staged stores stay: they belong to its client id, not to the
 * connection, so that a client that reconnects (to reintegrate, say)
 * resumes a store where it stopped (HS_STAGED).  The store layer caps
 * them per client and sweeps them when the client is gone for good.
 *
 * A connection is admitted (hrpc_conn_admit: its hrpc_limits.admit_ms
 * deadline stops) once HS_CONNECT gave it a client id; until then it is a
 * stranger that must not hold a socket for long.  Connections refused at
 * the caps are logged at most once per REFUSED_LOG_S, with a count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vice.h"
#include "auth.h"
#include "store.h"

#define REFUSED_LOG_S 10

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

/* Run the call; a conn that now has a client id is admitted. */
static void dispatch(struct hrpc_conn *conn, struct hrpc_call *call,
		     void *arg)
{
	struct vclient *c;

	hrpc_conn_ref(conn);   /* the call may close it */
	vice_dispatch(conn, call, arg);
	c = hrpc_conn_get_data(conn);
	if (c && c->client_id)
		hrpc_conn_admit(conn);
	hrpc_conn_unref(conn);
}

const struct hrpc_conn_ops vice_conn_ops = {
	.on_connected = on_connected,
	.on_closed = on_closed,
	.dispatch = dispatch,
};

void vice_conn_refused(const char *peer, int per_host, void *arg)
{
	static struct timespec last;
	static unsigned long quiet;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec && now.tv_sec - last.tv_sec < REFUSED_LOG_S) {
		quiet++;
		return;
	}
	if (quiet)
		vlog(LOG_WARNING, "%s: refused: %s connection cap reached "
		     "(and %lu more since the last such message)", peer,
		     per_host ? "per-host" : "global", quiet);
	else
		vlog(LOG_WARNING, "%s: refused: %s connection cap reached",
		     peer, per_host ? "per-host" : "global");
	last = now;
	quiet = 0;
}

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
