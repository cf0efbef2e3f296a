/*
 * tokenprobe - make calls to one vice with a given token as their
 * credential, as venus would for the user who clogged, so that a test can
 * show which servers accept a token (pdb_etcd.sh: a token issued by one
 * server of a realm opens on the others).
 *
 *   tokenprobe HOST PORT TOKENHEX|-
 *	HS_CONNECT, then HS_GETATTR of volume 1's root (1.1.1), both carrying
 *	the token (HS_AUTH_FLAVOR; "-": no credential).  Prints
 *	"getattr STATUS rights RIGHTS" (rights in hex: what vice says the
 *	caller may do there) and exits 0; exit 2 on usage or transport
 *	errors.
 *
 * vice resolves a call's credential on every call (vauth_ident), also for
 * a volume it does not have; with -d it logs "calls as id N".
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <event2/event.h>

#include <hesper/rpc.h>
#include "hesper.h"

#define CALL_TIMEOUT_MS 60000

struct probe {
	struct event_base *base;
	struct hrpc_conn *conn;
	struct hrpc_cred cred;
	int up, closed;
};

struct wait {
	int done, err, st;
	unsigned rights;
};

static void die(const char *what)
{
	fprintf(stderr, "tokenprobe: %s\n", what);
	exit(2);
}

static int on_up(struct hrpc_conn *c, const char *fp, void *arg)
{
	(void)c;
	(void)fp;
	((struct probe *)arg)->up = 1;
	return 0;
}

static void on_closed(struct hrpc_conn *c, int err, void *arg)
{
	(void)c;
	(void)err;
	((struct probe *)arg)->closed = 1;
}

static void on_call(struct hrpc_conn *c, struct hrpc_call *call, void *arg)
{
	(void)c;
	(void)arg;
	hrpc_reply_error(call, PROC_UNAVAIL);
}

static const struct hrpc_conn_ops ops = { on_up, on_closed, on_call };

static void run_until(struct probe *p, const int *flag)
{
	while (!*flag && !p->closed)
		if (event_base_loop(p->base, EVLOOP_ONCE) < 0)
			die("event loop failed");
}

static void done_connect(void *arg, int err, void *res)
{
	struct wait *w = arg;

	w->done = 1;
	w->err = err;
	if (res)
		w->st = ((hs_connect_res *)res)->status;
}

static void done_attr(void *arg, int err, void *res)
{
	struct wait *w = arg;
	hs_attr_res *r = res;

	w->done = 1;
	w->err = err;
	if (r) {
		w->st = r->status;
		if (!r->status)
			w->rights = r->hs_attr_res_u.attr.rights;
	}
}

/* Send proc with the probe's credential and wait for its answer. */
static void call(struct probe *p, uint32_t proc, xdrproc_t ap,
		 const void *args, xdrproc_t rp, size_t ressize,
		 hrpc_done_fn fn, struct wait *w)
{
	if (hrpc_call_as(p->conn, p->cred.len ? &p->cred : NULL, HS_VICE_PROG,
			 HS_VICE_V1, proc, ap, args, rp, ressize,
			 CALL_TIMEOUT_MS, fn, w))
		die("cannot send a call");
	run_until(p, &w->done);
	if (!w->done || w->err)
		die("vice did not answer a call");
}

/* hex into buf (at most n bytes): the byte count, or 0 if not hex. */
static unsigned unhex(const char *hex, unsigned char *buf, unsigned n)
{
	size_t len = strlen(hex), i;
	unsigned v;

	if (!len || len % 2 || len / 2 > n)
		return 0;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		buf[i] = (unsigned char)v;
	}
	return (unsigned)(len / 2);
}

int main(int argc, char **argv)
{
	static unsigned char tok[HRPC_MAX_CRED];
	char key[HS_CLIENT_KEY], err[256];
	hs_connect_args ca = { .proto_version = HS_PROTO_VERSION,
			       .client_name = "tokenprobe" };
	hs_fid root = { 1, 1, 1 };
	struct wait wc = { 0 }, wa = { 0 };
	struct probe p = { 0 };
	struct hrpc_tls *tls;

	if (argc != 4)
		die("usage: tokenprobe HOST PORT TOKENHEX|-");
	alarm(300);
	if (strcmp(argv[3], "-")) {
		p.cred.flavor = HS_AUTH_FLAVOR;
		p.cred.body = tok;
		if (!(p.cred.len = unhex(argv[3], tok, sizeof tok)))
			die("the token is not hex");
	}
	if (getrandom(key, sizeof key, 0) != sizeof key ||
	    getrandom(&ca.client_id, sizeof ca.client_id, 0) !=
	    sizeof ca.client_id)
		die("getrandom failed");
	ca.client_id = (ca.client_id & INT64_MAX) | 1;
	ca.client_key.client_key_len = sizeof key;
	ca.client_key.client_key_val = key;
	if (!(p.base = event_base_new()) ||
	    !(tls = hrpc_tls_client(NULL, err, sizeof err)) ||
	    !(p.conn = hrpc_connect(p.base, tls, argv[1], atoi(argv[2]), &ops,
				    &p)))
		die("cannot set up a connection");
	run_until(&p, &p.up);
	if (!p.up)
		die("cannot connect to vice");
	call(&p, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &ca,
	     (xdrproc_t)xdr_hs_connect_res, sizeof(hs_connect_res),
	     done_connect, &wc);
	if (wc.st)
		die("HS_CONNECT refused");
	call(&p, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &root,
	     (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), done_attr, &wa);
	printf("getattr %d rights 0x%x\n", wa.st, wa.rights);
	hrpc_close(p.conn);
	event_base_loop(p.base, EVLOOP_NONBLOCK);
	event_base_free(p.base);
	hrpc_tls_free(tls);
	return 0;
}
