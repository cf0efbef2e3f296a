/*
 * test/unit/test_vice_ops.c - vice over the real transport, in one
 * process: two clients on one event loop talk TLS to a vice listening on
 * 127.0.0.1; checks HS_CONNECT rules, the file operations end to end, and
 * that a change by one client breaks the other's callback promise before
 * the changer's reply, and one reintegration block end to end; client
 * keys, store ids of another client, staging quotas per payer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>
#include <event2/event.h>
#include "vice/vice.h"
#include "vice/store.h"
#include "vice/ops.h"
#include "test/unit/testlib_vice.h"

/* The world: a vice and two clients on one loop. */
struct world {
	struct tl_vice t;
	struct tl_client a, b;
	uint64_t seq;
};

/* Thin wrappers over testlib_vice.h, so that the tests read as before. */
static void run_until(struct world *w, const int *flag)
{
	tl_run_until(w->t.v.base, flag);
}

/* Call proc on c and return the status of its (shallowly copied) result. */
static int call(struct world *w, struct tl_client *c, uint32_t proc,
		xdrproc_t ap, const void *args, xdrproc_t rp, void *res,
		size_t ressize, struct tl_wait *wt)
{
	return tl_call(&w->t, c, proc, ap, args, rp, res, ressize, wt);
}

static int hs_connect(struct world *w, struct tl_client *c, uint64_t id,
		      unsigned version)
{
	return tl_hs_connect(&w->t, c, id, version);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_vice_start(&w->t, "vice-ops");
	tl_vice_open_root(&w->t);
	tl_client_open(&w->t, &w->a);
	tl_client_open(&w->t, &w->b);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	tl_client_close(&w->a);
	tl_client_close(&w->b);
	tl_vice_stop(&w->t);
	free(w);
	return 0;
}

static void test_connect_rules(void **state)
{
	struct world *w = *state;
	hs_fid root = { 1, 1, 1 };
	hs_attr_res r;
	hs_stats_res st;

	/* Nothing but HS_NULL and HS_CONNECT before HS_CONNECT. */
	assert_int_equal(call(w, &w->a, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &root,
			      (xdrproc_t)xdr_hs_attr_res, &r, sizeof r, NULL),
			 EPERM);
	assert_int_equal(hs_connect(w, &w->a, 0, HS_PROTO_VERSION), EINVAL);
	assert_int_equal(hs_connect(w, &w->a, 7, 99), EPROTONOSUPPORT);
	assert_int_equal(hs_connect(w, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(call(w, &w->a, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &root,
			      (xdrproc_t)xdr_hs_attr_res, &r, sizeof r, NULL),
			 0);
	assert_int_equal(r.hs_attr_res_u.attr.mode, 0777);
	assert_int_equal(call(w, &w->a, HS_STATS, TL_XDR_NONE, NULL,
			      (xdrproc_t)xdr_hs_stats_res, &st, sizeof st,
			      NULL), 0);
	assert_int_equal(st.hs_stats_res_u.stats.clients, 1);
}

/* Create "f" in the root as client c; returns its fid. */
static hs_fid create_f(struct world *w, struct tl_client *c, const char *name)
{
	hs_create_args a = { .dir = { 1, 1, 1 }, .sid = { 7, ++w->seq },
			     .name = (char *)name, .mode = 0644 };
	hs_create_res r;

	assert_int_equal(call(w, c, HS_CREATE, (xdrproc_t)xdr_hs_create_args,
			      &a, (xdrproc_t)xdr_hs_create_res, &r, sizeof r,
			      NULL), 0);
	return r.hs_create_res_u.ok.obj.fid;
}

static int store(struct world *w, struct tl_client *c, const hs_fid *fid,
		 const char *data, hs_storeid sid)
{
	hs_store_chunk_args ca = { .fid = *fid, .sid = sid };
	hs_store_commit_args ma = { .fid = *fid, .sid = sid,
				    .size = strlen(data) };
	hs_status_res sr;
	hs_attr_res ar;
	int r;

	ca.data.data_len = (u_int)strlen(data);
	ca.data.data_val = (char *)data;
	r = call(w, c, HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &ca,
		 (xdrproc_t)xdr_hs_status_res, &sr, sizeof sr, NULL);
	if (r)
		return r;
	return call(w, c, HS_STORE_COMMIT, (xdrproc_t)xdr_hs_store_commit_args,
		    &ma, (xdrproc_t)xdr_hs_attr_res, &ar, sizeof ar, NULL);
}

static void test_store_fetch_break(void **state)
{
	struct world *w = *state;
	hs_fetch_args fa = { .count = 100 };
	hs_fetch_res fr;
	hs_stats_res st;
	struct tl_wait wt = { 0 };
	hs_storeid sid = { 7, 1000 };

	assert_int_equal(hs_connect(w, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(hs_connect(w, &w->b, 8, HS_PROTO_VERSION), 0);
	fa.fid = create_f(w, &w->a, "f");
	assert_int_equal(store(w, &w->a, &fa.fid, "one", sid), 0);
	/* b reads the file and so holds a promise on it. */
	assert_int_equal(call(w, &w->b, HS_FETCH, (xdrproc_t)xdr_hs_fetch_args,
			      &fa, (xdrproc_t)xdr_hs_fetch_res, &fr, sizeof fr,
			      &wt), 0);
	assert_string_equal(wt.data, "one");
	free(wt.data);
	assert_int_equal(w->b.breaks, 0);
	sid.seq++;
	assert_int_equal(store(w, &w->a, &fa.fid, "two!", sid), 0);
	run_until(w, (const int *)&w->b.breaks);
	assert_int_equal(w->b.breaks, 1);
	assert_memory_equal(&w->b.last_break, &fa.fid, sizeof fa.fid);
	/* The same commit again: a duplicate, no second break. */
	assert_int_equal(store(w, &w->a, &fa.fid, "two!", sid), 0);
	memset(&wt, 0, sizeof wt);
	assert_int_equal(call(w, &w->b, HS_FETCH, (xdrproc_t)xdr_hs_fetch_args,
			      &fa, (xdrproc_t)xdr_hs_fetch_res, &fr, sizeof fr,
			      &wt), 0);
	assert_string_equal(wt.data, "two!");
	free(wt.data);
	assert_int_equal(call(w, &w->a, HS_STATS, TL_XDR_NONE, NULL,
			      (xdrproc_t)xdr_hs_stats_res, &st, sizeof st,
			      NULL), 0);
	assert_int_equal(st.hs_stats_res_u.stats.stores, 2);
	assert_int_equal(st.hs_stats_res_u.stats.dup_stores, 1);
	assert_int_equal(st.hs_stats_res_u.stats.breaks, 1);
	assert_int_equal(st.hs_stats_res_u.stats.clients, 2);
	assert_int_equal(w->a.breaks, 0);
}

static void test_dir_break(void **state)
{
	struct world *w = *state;
	hs_readdir_args ra = { .dir = { 1, 1, 1 } };
	hs_readdir_res rr;
	hs_getroot_res gr;
	hs_name name = "";
	struct tl_wait wt = { 0 };

	assert_int_equal(hs_connect(w, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(hs_connect(w, &w->b, 8, HS_PROTO_VERSION), 0);
	assert_int_equal(call(w, &w->b, HS_GETROOT, (xdrproc_t)xdr_hs_name,
			      &name, (xdrproc_t)xdr_hs_getroot_res, &gr,
			      sizeof gr, NULL), 0);
	/* The name was freed with the result: only compare the fid. */
	assert_int_equal(gr.hs_getroot_res_u.vol.root.vnode, 1);
	assert_int_equal(call(w, &w->b, HS_READDIR,
			      (xdrproc_t)xdr_hs_readdir_args, &ra,
			      (xdrproc_t)xdr_hs_readdir_res, &rr, sizeof rr,
			      &wt), 0);
	create_f(w, &w->a, "new");
	run_until(w, (const int *)&w->b.breaks);
	assert_int_equal(w->b.last_break.vnode, 1);
}

/* A reply to HS_REINTEGRATE: the results copied out of the decoded
 * reply, which the transport frees after the callback. */
struct reint_wait {
	int done, err, status;
	unsigned n;
	hs_reint_result r[4];
};

static void reint_done(void *arg, int err, void *res)
{
	struct reint_wait *rw = arg;
	hs_reint_res *r = res;

	rw->done = 1;
	rw->err = err;
	if (!r)
		return;
	rw->status = r->status;
	if (r->status == 0 && r->hs_reint_res_u.ok.results.results_len <= 4) {
		rw->n = r->hs_reint_res_u.ok.results.results_len;
		memcpy(rw->r, r->hs_reint_res_u.ok.results.results_val,
		       rw->n * sizeof rw->r[0]);
	}
}

static void reintegrate(struct world *w, hs_reint_args *a,
			struct reint_wait *rw)
{
	memset(rw, 0, sizeof *rw);
	assert_int_equal(hrpc_call(w->a.conn, HS_VICE_PROG, HS_VICE_V1,
				   HS_REINTEGRATE, (xdrproc_t)xdr_hs_reint_args,
				   a, (xdrproc_t)xdr_hs_reint_res,
				   sizeof(hs_reint_res), 5000, reint_done, rw),
			 0);
	run_until(w, &rw->done);
	assert_int_equal(rw->err, 0);
	assert_int_equal(rw->status, 0);
}

/* A block from a (create + store of a file staged under its local fid)
 * over the wire: b, which caches the root, is told before a's reply; a
 * retry of the block applies nothing and answers the same fid. */
static void test_reintegrate(void **state)
{
	struct world *w = *state;
	hs_fid local = { 1, HS_LOCAL_VNODE | 1, 1 };
	hs_storeid s1 = { 7, 501 }, s2 = { 7, 502 };
	hs_store_chunk_args ca = { .fid = local, .sid = s2 };
	hs_staged_args sa = { .fid = local, .sid = s2 };
	hs_readdir_args ra = { .dir = { 1, 1, 1 } };
	hs_fetch_args fa = { .count = 100 };
	hs_cml_rec recs[2];
	hs_reint_args a = { { 2, recs } };
	struct reint_wait rw;
	struct tl_wait wt = { 0 };
	hs_status_res sr;
	hs_staged_res gr;
	hs_readdir_res rr;
	hs_fetch_res fr;
	hs_stats_res st;
	hs_server_stats *ss = &st.hs_stats_res_u.stats;

	assert_int_equal(hs_connect(w, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(hs_connect(w, &w->b, 8, HS_PROTO_VERSION), 0);
	assert_int_equal(call(w, &w->b, HS_READDIR,
			      (xdrproc_t)xdr_hs_readdir_args, &ra,
			      (xdrproc_t)xdr_hs_readdir_res, &rr, sizeof rr,
			      &wt), 0);
	ca.data.data_len = 7;
	ca.data.data_val = "via rpc";
	assert_int_equal(call(w, &w->a, HS_STORE_CHUNK,
			      (xdrproc_t)xdr_hs_store_chunk_args, &ca,
			      (xdrproc_t)xdr_hs_status_res, &sr, sizeof sr,
			      NULL), 0);
	assert_int_equal(call(w, &w->a, HS_STAGED,
			      (xdrproc_t)xdr_hs_staged_args, &sa,
			      (xdrproc_t)xdr_hs_staged_res, &gr, sizeof gr,
			      NULL), 0);
	assert_int_equal(gr.hs_staged_res_u.staged, 7);
	memset(recs, 0, sizeof recs);
	recs[0].op = HS_OP_CREATE;
	recs[0].hs_cml_rec_u.create.local = local;
	recs[0].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = { 1, 1, 1 }, .sid = s1, .name = "r", .mode = 0644 };
	recs[1].op = HS_OP_STORE;
	recs[1].hs_cml_rec_u.store = (hs_store_commit_args){
		.fid = local, .sid = s2, .size = 7 };
	reintegrate(w, &a, &rw);
	assert_int_equal(rw.n, 2);
	assert_int_equal(rw.r[0].status, 0);
	assert_int_equal(rw.r[1].status, 0);
	assert_memory_equal(&rw.r[0].local, &local, sizeof local);
	assert_false(rw.r[0].obj.fid.vnode & HS_LOCAL_VNODE);
	assert_int_equal(rw.r[1].obj.size, 7);
	/* b is told (the break was queued before a's reply). */
	run_until(w, (const int *)&w->b.breaks);
	assert_int_equal(w->b.breaks, 1);
	assert_int_equal(w->b.last_break.vnode, 1);
	fa.fid = rw.r[0].obj.fid;
	memset(&wt, 0, sizeof wt);
	assert_int_equal(call(w, &w->b, HS_FETCH, (xdrproc_t)xdr_hs_fetch_args,
			      &fa, (xdrproc_t)xdr_hs_fetch_res, &fr, sizeof fr,
			      &wt), 0);
	assert_string_equal(wt.data, "via rpc");
	free(wt.data);
	reintegrate(w, &a, &rw);
	assert_int_equal(rw.r[0].status, 0);
	assert_memory_equal(&rw.r[0].obj.fid, &fa.fid, sizeof fa.fid);
	assert_int_equal(call(w, &w->a, HS_STATS, TL_XDR_NONE, NULL,
			      (xdrproc_t)xdr_hs_stats_res, &st, sizeof st,
			      NULL), 0);
	assert_int_equal(ss->reint_blocks, 2);
	assert_int_equal(ss->reint_records, 2);
	assert_int_equal(ss->reint_conflicts, 0);
	assert_int_equal(ss->dup_stores, 2);
	assert_int_equal(ss->stores, 1);
}

/* HS_CONNECT as id with a key of len bytes, each `fill`. */
static int connect_key(struct world *w, struct tl_client *c, uint64_t id,
		       char fill, unsigned len)
{
	char key[HS_CLIENT_KEY];
	hs_connect_args a = { .proto_version = HS_PROTO_VERSION,
			      .client_id = id, .client_name = "key",
			      .features = HS_FEAT_CALLBACKS };
	hs_connect_res r;

	memset(key, fill, sizeof key);
	a.client_key.client_key_len = len;
	a.client_key.client_key_val = key;
	return call(w, c, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &a,
		    (xdrproc_t)xdr_hs_connect_res, &r, sizeof r, NULL);
}

static int getattr_root(struct world *w, struct tl_client *c)
{
	hs_fid root = { 1, 1, 1 };
	hs_attr_res r;

	return call(w, c, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &root,
		    (xdrproc_t)xdr_hs_attr_res, &r, sizeof r, NULL);
}

/* A client id belongs to the key it was first seen with: a CONNECT with
 * another key (or none) is refused and changes nothing for the client;
 * the same key replaces the client's old connection. */
static void test_connect_key(void **state)
{
	struct world *w = *state;
	struct tl_client c = { 0 };
	hs_stats_res st;

	assert_int_equal(connect_key(w, &w->a, 70, 'k', HS_CLIENT_KEY), 0);
	assert_int_equal(connect_key(w, &w->b, 70, 'x', HS_CLIENT_KEY), EPERM);
	assert_int_equal(connect_key(w, &w->b, 70, 'k', 0), EINVAL);
	assert_int_equal(connect_key(w, &w->b, 70, 'k', 16), EINVAL);
	/* b is still nobody; a is untouched. */
	assert_int_equal(getattr_root(w, &w->b), EPERM);
	assert_int_equal(getattr_root(w, &w->a), 0);
	assert_false(w->a.closed);
	assert_int_equal(call(w, &w->a, HS_STATS, TL_XDR_NONE, NULL,
			      (xdrproc_t)xdr_hs_stats_res, &st, sizeof st,
			      NULL), 0);
	assert_int_equal(st.hs_stats_res_u.stats.clients, 1);
	/* A connection keeps its first id, even with that id's key. */
	assert_int_equal(connect_key(w, &w->b, 71, 'm', HS_CLIENT_KEY), 0);
	assert_int_equal(connect_key(w, &w->b, 70, 'k', HS_CLIENT_KEY), EPERM);
	assert_false(w->a.closed);
	/* The real client reconnecting: its old connection goes. */
	tl_client_open(&w->t, &c);
	assert_int_equal(connect_key(w, &c, 70, 'k', HS_CLIENT_KEY), 0);
	run_until(w, &w->a.closed);
	w->a.conn = NULL;       /* closed and freed by the transport */
	assert_int_equal(getattr_root(w, &c), 0);
	tl_client_close(&c);
}

/* Calls of b (client 8) naming store ids of a (client 7). */
static int foreign_create(struct world *w, uint32_t proc, hs_storeid sid)
{
	hs_create_args a = { .dir = { 1, 1, 1 }, .sid = sid, .name = "sq",
			     .mode = 0644 };
	hs_create_res r;

	return call(w, &w->b, proc, (xdrproc_t)xdr_hs_create_args, &a,
		    (xdrproc_t)xdr_hs_create_res, &r, sizeof r, NULL);
}

/* Store ids of another client get EPERM and apply nothing: the owner's
 * own mutation with that store id then takes effect. */
static void test_foreign_sid(void **state)
{
	struct world *w = *state;
	hs_storeid s = { 7, 900 };
	hs_fid f;
	hs_store_chunk_args ca = { .sid = s };
	hs_store_commit_args ma = { .sid = s, .size = 1 };
	hs_setattr_args sa = { .sid = s, .mask = HS_SET_MODE, .mode = 0600 };
	hs_remove_args rm = { .dir = { 1, 1, 1 }, .sid = s, .name = "f" };
	hs_rename_args rn = { .src_dir = { 1, 1, 1 }, .src_name = "f",
			      .dst_dir = { 1, 1, 1 }, .dst_name = "g",
			      .sid = s };
	hs_link_args ln = { .dir = { 1, 1, 1 }, .sid = s, .name = "l" };
	hs_symlink_args sy = { .dir = { 1, 1, 1 }, .sid = s, .name = "y",
			       .target = "t" };
	hs_mknod_args mk = { .dir = { 1, 1, 1 }, .sid = s, .name = "n",
			     .type = HS_FIFO, .mode = 0644 };
	hs_staged_args ga = { .sid = s };
	hs_cml_rec recs[2];
	hs_reint_args ra = { { 2, recs } };
	hs_status_res sr;
	hs_attr_res ar;
	hs_remove_res rr;
	hs_rename_res nr;
	hs_create_res cr;
	hs_staged_res gr;
	hs_reint_res xr;
	hs_lookup_args la = { .dir = { 1, 1, 1 }, .name = "sq" };
	hs_lookup_res lr;

	assert_int_equal(hs_connect(w, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(hs_connect(w, &w->b, 8, HS_PROTO_VERSION), 0);
	f = create_f(w, &w->a, "f");
	ca.fid = ma.fid = sa.fid = rm.obj = rn.obj = ln.target = ga.fid = f;
	ca.data.data_len = 1;
	ca.data.data_val = "x";
	assert_int_equal(call(w, &w->b, HS_STORE_CHUNK,
			      (xdrproc_t)xdr_hs_store_chunk_args, &ca,
			      (xdrproc_t)xdr_hs_status_res, &sr, sizeof sr,
			      NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_STORE_COMMIT,
			      (xdrproc_t)xdr_hs_store_commit_args, &ma,
			      (xdrproc_t)xdr_hs_attr_res, &ar, sizeof ar,
			      NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_SETATTR,
			      (xdrproc_t)xdr_hs_setattr_args, &sa,
			      (xdrproc_t)xdr_hs_attr_res, &ar, sizeof ar,
			      NULL), EPERM);
	assert_int_equal(foreign_create(w, HS_CREATE, s), EPERM);
	assert_int_equal(foreign_create(w, HS_MKDIR, s), EPERM);
	assert_int_equal(call(w, &w->b, HS_SYMLINK,
			      (xdrproc_t)xdr_hs_symlink_args, &sy,
			      (xdrproc_t)xdr_hs_create_res, &cr, sizeof cr,
			      NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_MKNOD, (xdrproc_t)xdr_hs_mknod_args,
			      &mk, (xdrproc_t)xdr_hs_create_res, &cr,
			      sizeof cr, NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_LINK, (xdrproc_t)xdr_hs_link_args,
			      &ln, (xdrproc_t)xdr_hs_create_res, &cr,
			      sizeof cr, NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_RENAME,
			      (xdrproc_t)xdr_hs_rename_args, &rn,
			      (xdrproc_t)xdr_hs_rename_res, &nr, sizeof nr,
			      NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_REMOVE,
			      (xdrproc_t)xdr_hs_remove_args, &rm,
			      (xdrproc_t)xdr_hs_remove_res, &rr, sizeof rr,
			      NULL), EPERM);
	assert_int_equal(call(w, &w->b, HS_STAGED,
			      (xdrproc_t)xdr_hs_staged_args, &ga,
			      (xdrproc_t)xdr_hs_staged_res, &gr, sizeof gr,
			      NULL), EPERM);
	/* A block with one foreign record among its own: all refused. */
	memset(recs, 0, sizeof recs);
	recs[0].op = HS_OP_CREATE;
	recs[0].hs_cml_rec_u.create.local = (hs_fid){ 1, HS_LOCAL_VNODE | 5, 1 };
	recs[0].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = { 1, 1, 1 }, .sid = { 8, 1 }, .name = "sq", .mode = 0644 };
	recs[1].op = HS_OP_SETATTR;
	recs[1].hs_cml_rec_u.setattr = sa;
	assert_int_equal(call(w, &w->b, HS_REINTEGRATE,
			      (xdrproc_t)xdr_hs_reint_args, &ra,
			      (xdrproc_t)xdr_hs_reint_res, &xr, sizeof xr,
			      NULL), EPERM);
	assert_int_equal(call(w, &w->a, HS_LOOKUP,
			      (xdrproc_t)xdr_hs_lookup_args, &la,
			      (xdrproc_t)xdr_hs_lookup_res, &lr, sizeof lr,
			      NULL), ENOENT);
	/* Nothing was recorded under a's store id: a's own use applies. */
	assert_int_equal(store(w, &w->a, &f, "mine", s), 0);
}

/* Staging quotas are per payer: anonymous callers share one, which
 * neither one client id nor all of them can take from a user; a user
 * cannot take a client's cap from another client.  Store level, since
 * every call over the wire is anonymous until tokens are resolved. */
static void test_stage_quota(void **state)
{
	struct world *w = *state;
	struct vstore *vs = w->t.v.vs;
	hs_store_chunk_args a = { .fid = { 1, HS_LOCAL_VNODE | 1, 1 } };
	unsigned i;
	int dup;
	char *big = calloc(1, 8u << 20);

	assert_non_null(big);
	a.data.data_len = 1;
	a.data.data_val = "x";
	/* One anonymous client: its own cap, not the anonymous quota. */
	for (i = 0; i < VS_STAGE_MAX; i++) {
		a.sid = (hs_storeid){ 100, i + 1 };
		assert_int_equal(vs_store_chunk(vs, &a, HS_ID_ANONYMOUS, &dup), 0);
	}
	a.sid = (hs_storeid){ 100, i + 1 };
	assert_int_equal(vs_store_chunk(vs, &a, HS_ID_ANONYMOUS, &dup), EDQUOT);
	/* More anonymous clients use up the anonymous quota ... */
	for (i = 0; i < VS_STAGE_ANON_MAX - VS_STAGE_MAX; i++) {
		a.sid = (hs_storeid){ 101 + i / VS_STAGE_MAX, i + 1 };
		assert_int_equal(vs_store_chunk(vs, &a, HS_ID_ANONYMOUS, &dup), 0);
	}
	a.sid = (hs_storeid){ 200, 1 };
	assert_int_equal(vs_store_chunk(vs, &a, HS_ID_ANONYMOUS, &dup), EDQUOT);
	/* ... not a user's, even on a client id they used. */
	assert_int_equal(vs_store_chunk(vs, &a, 1000, &dup), 0);
	/* Bytes: chunks are counted as sent (overwrites too); the
	 * anonymous stores hold VS_STAGE_ANON_MAX bytes already. */
	a.sid = (hs_storeid){ 100, 1 };
	a.data.data_len = 8u << 20;
	a.data.data_val = big;
	for (i = 0; i < 1000; i++)
		if (vs_store_chunk(vs, &a, HS_ID_ANONYMOUS, &dup))
			break;
	assert_int_equal(i, VS_STAGE_ANON_BYTES / (8u << 20) - 1);
	assert_int_equal(vs_store_chunk(vs, &a, HS_ID_ANONYMOUS, &dup), EDQUOT);
	a.sid = (hs_storeid){ 201, 1 };
	assert_int_equal(vs_store_chunk(vs, &a, 1000, &dup), 0);
	free(big);
}

/* A store staged and left alone for a day is given up at the next start
 * (and at a CONNECT); a recent one stays. */
static void test_stage_expire(void **state)
{
	struct world *w = *state;
	hs_store_chunk_args a = { .fid = { 1, HS_LOCAL_VNODE | 1, 1 } };
	hs_storeid old = { 300, 1 }, recent = { 300, 2 };
	struct timespec ts[2];
	char path[TL_PATH_LEN + 64], err[256];
	uint64_t n;
	int dup;

	a.data.data_len = 3;
	a.data.data_val = "abc";
	a.sid = old;
	assert_int_equal(vs_store_chunk(w->t.v.vs, &a, 1000, &dup), 0);
	a.sid = recent;
	assert_int_equal(vs_store_chunk(w->t.v.vs, &a, 1000, &dup), 0);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 25 * 3600;
	ts[1] = ts[0];
	snprintf(path, sizeof path, "%s/data/tmp/300.1", w->t.root);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	vs_close(w->t.v.vs);
	assert_int_equal(vs_open(w->t.root, &w->t.v.vs, err, sizeof err), 0);
	assert_int_equal(vs_staged(w->t.v.vs, &a.fid, &old, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(vs_staged(w->t.v.vs, &a.fid, &recent, &n), 0);
	assert_int_equal(n, 3);
}

/* The connection vice made for client id. */
static struct vclient *vclient_of(struct world *w, uint64_t id)
{
	for (struct vclient *c = w->t.v.clients; c; c = c->next)
		if (c->client_id == id)
			return c;
	fail();
	return NULL;
}

/* HS_VOLSTAMPS of one pair, run as c's: the stamp answered, its status
 * into *status. */
static uint64_t volstamp(struct vclient *c, uint32_t vol, uint64_t stamp,
			 int *status)
{
	hs_volstamp q = { vol, stamp };
	hs_volstamps a = { { 1, &q } };
	hs_volstamps_res r;
	uint64_t out;

	memset(&r, 0, sizeof r);
	assert_int_equal(op_volstamps(c, &a, &r), 0);
	assert_int_equal(r.hs_volstamps_res_u.ok.res.res_len, 1);
	*status = r.hs_volstamps_res_u.ok.res.res_val[0].status;
	out = r.hs_volstamps_res_u.ok.res.res_val[0].stamp;
	xdr_free((xdrproc_t)xdr_hs_volstamps_res, (char *)&r);
	return out;
}

/* Volume stamps (protocol 7): stamp 0 asks, the current stamp is valid
 * and gives a volume promise, any change moves the stamp on and breaks
 * every volume promise with the fid {vol, 0, 0}, the changer's too. */
static void test_volstamps(void **state)
{
	struct world *w = *state;
	struct vclient *ca, *cb;
	hs_fid fid;
	uint64_t s0, s1;
	int st;

	assert_int_equal(hs_connect(w, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(hs_connect(w, &w->b, 8, HS_PROTO_VERSION), 0);
	ca = vclient_of(w, 7);
	cb = vclient_of(w, 8);
	fid = create_f(w, &w->a, "f");
	s0 = volstamp(cb, fid.volume, 0, &st);
	assert_int_equal(st, HS_ESTAMP);
	assert_true(s0 != 0);
	assert_false(volp_has(cb, fid.volume));
	assert_true(volstamp(cb, fid.volume, s0 + 1, &st) == s0);
	assert_int_equal(st, HS_ESTAMP);
	volstamp(cb, fid.volume, s0, &st);
	assert_int_equal(st, 0);
	assert_true(volp_has(cb, fid.volume));
	volstamp(cb, 4242, s0, &st);
	assert_int_equal(st, HS_EMOVED);
	/* a changes f: b, which holds no promise on f, loses its volume's. */
	assert_int_equal(store(w, &w->a, &fid, "x", (hs_storeid){ 7, 1000 }), 0);
	run_until(w, (const int *)&w->b.breaks);
	assert_int_equal(w->b.last_break.volume, fid.volume);
	assert_int_equal(w->b.last_break.vnode, 0);
	assert_false(volp_has(cb, fid.volume));
	s1 = volstamp(cb, fid.volume, s0, &st);
	assert_int_equal(st, HS_ESTAMP);
	assert_true(s1 != s0 && s1 != 0);
	/* The changer's own volume promise goes too. */
	volstamp(ca, fid.volume, s1, &st);
	assert_int_equal(st, 0);
	assert_int_equal(w->a.breaks, 0);
	assert_int_equal(store(w, &w->a, &fid, "y", (hs_storeid){ 7, 1001 }), 0);
	assert_int_equal(w->a.breaks, 1);
	assert_int_equal(w->a.last_break.vnode, 0);
	assert_false(volp_has(ca, fid.volume));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_fetch_break, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dir_break, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reintegrate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_foreign_sid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stage_quota, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stage_expire, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_volstamps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
