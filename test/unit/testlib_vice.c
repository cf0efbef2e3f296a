/*
 * test/unit/testlib_vice.c - a vice and test clients in the test's
 * process, on one event loop (testlib_vice.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>
#include "test/unit/testlib_vice.h"
#include "vice/store.h"
#include "vice/vldb.h"

void tl_vice_start(struct tl_vice *t, const char *tag)
{
	char err[256], fp[HRPC_FP_LEN];

	tl_mkdtemp(t->root, tag);
	assert_int_equal(vs_open(t->root, &t->v.vs, err, sizeof err), 0);
	t->v.tls = vice_tls_init(t->root, fp, err, sizeof err);
	assert_non_null(t->v.tls);
	t->v.base = event_base_new();
	assert_non_null(t->v.base);
	t->v.lis = hrpc_listen(t->v.base, t->v.tls, "127.0.0.1", 0,
			       &vice_conn_ops, &t->v, err, sizeof err);
	assert_non_null(t->v.lis);
	t->ctls = hrpc_tls_client(NULL, err, sizeof err);
	assert_non_null(t->ctls);
	/* The volume procedures publish in the VLDB: one of this server. */
	{
		struct vldb_opts o = { "sqlite", NULL, t->root };

		t->v.realm = "test.realm";
		assert_int_equal(vldb_open(&t->v, &o, err, sizeof err), 0);
		assert_int_equal(vldb_set_address(&t->v, "127.0.0.1",
				 (unsigned)tl_vice_port(t)), 0);
	}
}

void tl_vice_open_root(struct tl_vice *t)
{
	static const hs_fid root = { 1, 1, 1 };
	struct vs_acl acl = {
		.npos = 1, .pos = { { HS_ID_ANYUSER, HS_R_ALL } },
	};
	hs_storeid sid = { 0, 0 };
	hs_attr a;
	int dup;

	assert_int_equal(vs_acl_set(t->v.vs, &root, &sid, &acl, &a, &dup), 0);
}

void tl_vice_stop(struct tl_vice *t)
{
	hrpc_listener_free(t->v.lis);
	vice_clients_close(&t->v);
	event_base_loop(t->v.base, EVLOOP_NONBLOCK);
	event_base_free(t->v.base);
	hrpc_tls_free(t->v.tls);
	hrpc_tls_free(t->ctls);
	vstamp_free(&t->v);
	vldb_close(&t->v);
	vs_close(t->v.vs);
	tl_rmrf(t->root);
	memset(t, 0, sizeof *t);
}

int tl_vice_port(const struct tl_vice *t)
{
	return hrpc_listener_port(t->v.lis);
}

/* ---- clients ---- */

static int c_connected(struct hrpc_conn *conn, const char *fp, void *arg)
{
	(void)conn;
	(void)fp;
	((struct tl_client *)arg)->up = 1;
	return 0;
}

static void c_closed(struct hrpc_conn *conn, int err, void *arg)
{
	(void)conn;
	(void)err;
	((struct tl_client *)arg)->closed = 1;
}

/* The client serves HS_CB_PROG: count the fids it is told about. */
static void c_dispatch(struct hrpc_conn *conn, struct hrpc_call *call,
		       void *arg)
{
	struct tl_client *c = arg;
	hs_fidlist l;

	(void)conn;
	memset(&l, 0, sizeof l);
	if (hrpc_call_proc(call) == HS_CB_BREAK &&
	    hrpc_call_args(call, (xdrproc_t)xdr_hs_fidlist, &l)) {
		c->breaks += l.fids.fids_len;
		if (l.fids.fids_len)
			c->last_break = l.fids.fids_val[0];
		xdr_free((xdrproc_t)xdr_hs_fidlist, &l);
	}
	hrpc_reply(call, TL_XDR_NONE, NULL);
}

static const struct hrpc_conn_ops cops = {
	c_connected, c_closed, c_dispatch,
};

void tl_client_open(struct tl_vice *t, struct tl_client *c)
{
	c->conn = hrpc_connect(t->v.base, t->ctls, "127.0.0.1",
			       tl_vice_port(t), &cops, c);
	assert_non_null(c->conn);
	tl_run_until(t->v.base, &c->up);
}

void tl_client_close(struct tl_client *c)
{
	if (c->conn)
		hrpc_close(c->conn);
	c->conn = NULL;
}

static void done_cb(void *arg, int err, void *res)
{
	struct tl_wait *w = arg;

	w->done = 1;
	w->err = err;
	if (res && w->out)
		memcpy(w->out, res, w->size);
	if (res && w->size == sizeof(hs_fetch_res) &&
	    ((hs_fetch_res *)res)->status == 0) {
		hs_fetch_ok *ok = &((hs_fetch_res *)res)->hs_fetch_res_u.ok;

		w->len = ok->data.data_len;
		w->data = malloc(w->len + 1);
		assert_non_null(w->data);
		memcpy(w->data, ok->data.data_val, w->len);
		w->data[w->len] = '\0';
	}
}

int tl_call(struct tl_vice *t, struct tl_client *c, uint32_t proc,
	    xdrproc_t ap, const void *args, xdrproc_t rp, void *res,
	    size_t ressize, struct tl_wait *wt)
{
	struct tl_wait local = { 0 };

	if (!wt)
		wt = &local;
	wt->out = res;
	wt->size = ressize;
	assert_int_equal(hrpc_call(c->conn, HS_VICE_PROG, HS_VICE_V1, proc, ap,
				   args, rp, ressize, tl_wait_ms(), done_cb,
				   wt), 0);
	tl_run_until(t->v.base, &wt->done);
	assert_int_equal(wt->err, 0);
	return res ? *(int *)res : 0;
}

int tl_hs_connect(struct tl_vice *t, struct tl_client *c, uint64_t id,
		  unsigned version)
{
	hs_connect_args a = { .proto_version = version, .client_id = id,
			      .client_name = "test", .features = HS_FEAT_CALLBACKS };
	hs_connect_res r;
	char key[HS_CLIENT_KEY];

	/* The key vice binds id to: one per id, the same every time. */
	for (unsigned i = 0; i < sizeof key; i++)
		key[i] = (char)(id >> (8 * (i % 8))) ^ (char)i;
	a.client_key.client_key_len = sizeof key;
	a.client_key.client_key_val = key;

	return tl_call(t, c, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &a,
		       (xdrproc_t)xdr_hs_connect_res, &r, sizeof r, NULL);
}
