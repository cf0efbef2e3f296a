/*
 * test/unit/test_vice_reint.c - reintegration at vice's store layer:
 * blocks of CML records applied atomically and idempotently, local fids
 * mapped across blocks, the four conflict kinds with their dependents
 * skipped, staged stores resumed and kept across a restart, and a vice
 * that dies mid-block (or between the commit and the data files).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "vice/store.h"
#include "test/unit/testlib_vice.h"

#define CLIENT 77
#define LOCAL(n) ((hs_fid){ 1, HS_LOCAL_VNODE | (n), 1 })

/* One test's world: a temp root, the store, and a block being built. */
struct world {
	struct tl_store s;
	uint64_t seq;
	hs_fid top;
	hs_cml_rec recs[HS_REINT_MAX];
	unsigned n;
	hs_reint_ok ok;
	struct vs_reint_info info;
};

static hs_storeid sid_of(struct world *w)
{
	return (hs_storeid){ CLIENT, ++w->seq };
}

static void reopen(struct world *w)
{
	tl_store_reopen(&w->s);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_store_open(&w->s, "vice-reint");
	w->top = (hs_fid){ 1, 1, 1 };
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	xdr_free((xdrproc_t)xdr_hs_reint_ok, &w->ok);
	tl_store_close(&w->s);
	free(w);
	return 0;
}

/* ---- building blocks; names point at string literals ---- */

static hs_cml_rec *rec(struct world *w, hs_cml_op op)
{
	hs_cml_rec *r = &w->recs[w->n++];

	memset(r, 0, sizeof *r);
	r->op = op;
	return r;
}

static void r_create(struct world *w, hs_cml_op op, hs_fid dir,
		     const char *name, hs_fid local)
{
	hs_reint_create *c = &rec(w, op)->hs_cml_rec_u.create;

	c->local = local;
	c->a.dir = dir;
	c->a.sid = sid_of(w);
	c->a.name = (char *)name;
	c->a.mode = 0644;
	c->a.uid = c->a.gid = 1000;
}

static void r_store(struct world *w, hs_fid fid, hs_storeid sid,
		    uint64_t base, uint64_t size)
{
	hs_store_commit_args *s = &rec(w, HS_OP_STORE)->hs_cml_rec_u.store;

	s->fid = fid;
	s->sid = sid;
	s->base_version = base;
	s->size = size;
}

static void r_setattr(struct world *w, hs_fid fid, unsigned mode)
{
	hs_setattr_args *s = &rec(w, HS_OP_SETATTR)->hs_cml_rec_u.setattr;

	s->fid = fid;
	s->sid = sid_of(w);
	s->mask = HS_SET_MODE;
	s->mode = mode;
}

static void r_remove(struct world *w, hs_fid dir, const char *name,
		     hs_fid obj, uint64_t base)
{
	hs_remove_args *r = &rec(w, HS_OP_REMOVE)->hs_cml_rec_u.remove;

	r->dir = dir;
	r->sid = sid_of(w);
	r->name = (char *)name;
	r->obj = obj;
	r->base_version = base;
}

static void r_rename(struct world *w, hs_fid dir, const char *from,
		     const char *to, hs_fid obj)
{
	hs_rename_args *r = &rec(w, HS_OP_RENAME)->hs_cml_rec_u.rename;

	r->src_dir = r->dst_dir = dir;
	r->src_name = (char *)from;
	r->dst_name = (char *)to;
	r->sid = sid_of(w);
	r->obj = obj;
}

/* Apply the block built so far; the results stay in w->ok. */
static int apply(struct world *w)
{
	hs_reint_args a = { { w->n, w->recs } };

	xdr_free((xdrproc_t)xdr_hs_reint_ok, &w->ok);
	memset(&w->ok, 0, sizeof w->ok);
	return vs_reint(w->s.vs, CLIENT, &a, &w->ok, &w->info);
}

static const hs_reint_result *res(struct world *w, unsigned i)
{
	assert_true(i < w->ok.results.results_len);
	return &w->ok.results.results_val[i];
}

static int stage(struct world *w, hs_fid fid, hs_storeid sid, uint64_t off,
		 const char *data)
{
	hs_store_chunk_args a = { .fid = fid, .sid = sid, .offset = off };
	int dup;

	a.data.data_len = (u_int)strlen(data);
	a.data.data_val = (char *)data;
	return vs_store_chunk(w->s.vs, &a, HS_ID_ANONYMOUS, &dup);
}

static int lookup(struct world *w, hs_fid dir, const char *name,
		  hs_attr *obj)
{
	hs_lookup_ok ok;
	int r = vs_lookup(w->s.vs, &dir, name, &ok);

	if (!r && obj)
		*obj = ok.obj;
	return r;
}

/* The contents of fid, which the test frees. */
static char *contents(struct world *w, hs_fid fid)
{
	hs_fetch_ok ok;
	char *s;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, &fid, 0, HS_CHUNK_MAX, &ok), 0);
	s = strndup(ok.data.data_val, ok.data.data_len);
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
	return s;
}

static void assert_contents(struct world *w, hs_fid fid, const char *want)
{
	char *s = contents(w, fid);

	assert_string_equal(s, want);
	free(s);
}

/* A file made by a block of its own: its attributes. */
static hs_attr server_file(struct world *w, const char *name,
			   const char *data)
{
	hs_storeid sid;
	unsigned k = w->seq;
	hs_attr a;

	w->n = 0;
	r_create(w, HS_OP_CREATE, w->top, name, LOCAL(1000 + k));
	sid = sid_of(w);
	assert_int_equal(stage(w, LOCAL(1000 + k), sid, 0, data), 0);
	r_store(w, LOCAL(1000 + k), sid, 0, strlen(data));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	assert_int_equal(res(w, 1)->status, 0);
	a = res(w, 1)->obj;
	w->n = 0;
	return a;
}

/* Change f behind the client's back (another client's store). */
static hs_attr bump(struct world *w, hs_fid f, const char *data)
{
	hs_storeid sid = { CLIENT + 1, ++w->seq };
	hs_store_commit_args a = { .fid = f, .sid = sid,
				   .size = strlen(data) };
	hs_attr out;
	int dup;

	assert_int_equal(stage(w, f, sid, 0, data), 0);
	assert_int_equal(vs_store_commit(w->s.vs, &a, &out, &dup), 0);
	return out;
}

/* create + store + rename + create/remove of a scratch file. */
static void build_mixed(struct world *w)
{
	hs_storeid sid;

	w->n = 0;
	r_create(w, HS_OP_CREATE, w->top, "a", LOCAL(1));
	sid = sid_of(w);
	assert_int_equal(stage(w, LOCAL(1), sid, 0, "hello"), 0);
	r_store(w, LOCAL(1), sid, 0, 5);
	r_rename(w, w->top, "a", "b", LOCAL(1));
	r_create(w, HS_OP_CREATE, w->top, "tmp", LOCAL(2));
	r_remove(w, w->top, "tmp", LOCAL(2), 0);
}

static void test_block_applies(void **state)
{
	struct world *w = *state;
	hs_attr b, top0, top1;
	unsigned i;

	/* An empty block commits nothing, fine. */
	assert_int_equal(apply(w), 0);
	assert_int_equal(w->ok.results.results_len, 0);
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top0), 0);
	build_mixed(w);
	assert_int_equal(apply(w), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(res(w, i)->status, 0);
	assert_int_equal(w->info.applied, 5);
	assert_int_equal(w->info.stores, 1);
	assert_int_equal(w->info.conflicts, 0);
	/* The create echoes the local fid and returns the server fid. */
	assert_memory_equal(&res(w, 0)->local, &w->recs[0].hs_cml_rec_u
			    .create.local, sizeof(hs_fid));
	assert_false(res(w, 0)->obj.fid.vnode & HS_LOCAL_VNODE);
	assert_int_equal(res(w, 0)->obj.type, HS_FREG);
	assert_int_equal(res(w, 1)->obj.size, 5);
	assert_int_equal(lookup(w, w->top, "a", NULL), ENOENT);
	assert_int_equal(lookup(w, w->top, "tmp", NULL), ENOENT);
	assert_int_equal(lookup(w, w->top, "b", &b), 0);
	assert_memory_equal(&b.fid, &res(w, 0)->obj.fid, sizeof b.fid);
	assert_contents(w, b.fid, "hello");
	/* The dir changed: it is in the list of fids to break. */
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top1), 0);
	assert_true(top1.dataversion > top0.dataversion);
	for (i = 0; i < w->info.nchanged; i++)
		if (w->info.changed[i].vnode == 1)
			break;
	assert_true(i < w->info.nchanged);
}

static void test_retry_is_noop(void **state)
{
	struct world *w = *state;
	hs_reint_result first[5];
	hs_attr top0, top1;
	unsigned i;

	build_mixed(w);
	assert_int_equal(apply(w), 0);
	memcpy(first, w->ok.results.results_val, sizeof first);
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top0), 0);
	/* The reply was lost: the same block again. */
	assert_int_equal(apply(w), 0);
	assert_int_equal(w->info.applied, 0);
	assert_int_equal(w->info.dups, 5);
	assert_int_equal(w->info.nchanged, 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(res(w, i)->status, 0);
		assert_memory_equal(&res(w, i)->sid, &first[i].sid,
				    sizeof first[i].sid);
	}
	assert_memory_equal(&res(w, 0)->obj.fid, &first[0].obj.fid,
			    sizeof(hs_fid));
	assert_memory_equal(&res(w, 2)->obj.fid, &first[2].obj.fid,
			    sizeof(hs_fid));
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top1), 0);
	assert_int_equal(top1.dataversion, top0.dataversion);
	assert_contents(w, first[0].obj.fid, "hello");
}

static void test_local_fid_across_blocks(void **state)
{
	struct world *w = *state;
	hs_fid dir, file;
	hs_storeid sid;
	hs_attr got;

	r_create(w, HS_OP_MKDIR, w->top, "d", LOCAL(7));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	dir = res(w, 0)->obj.fid;
	assert_int_equal(res(w, 0)->obj.type, HS_FDIR);
	/* A later block names the dir by its local fid. */
	w->n = 0;
	r_create(w, HS_OP_CREATE, LOCAL(7), "f", LOCAL(8));
	sid = sid_of(w);
	assert_int_equal(stage(w, LOCAL(8), sid, 0, "in d"), 0);
	r_store(w, LOCAL(8), sid, 0, 4);
	r_setattr(w, LOCAL(8), 0600);
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	assert_int_equal(res(w, 1)->status, 0);
	assert_int_equal(res(w, 2)->status, 0);
	file = res(w, 0)->obj.fid;
	assert_int_equal(lookup(w, dir, "f", &got), 0);
	assert_memory_equal(&got.fid, &file, sizeof file);
	assert_int_equal(got.mode, 0600);
	assert_contents(w, file, "in d");
	/* A local fid never created: ESTALE, and its dependents skipped. */
	w->n = 0;
	r_setattr(w, LOCAL(99), 0600);
	r_create(w, HS_OP_CREATE, LOCAL(99), "x", LOCAL(100));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, ESTALE);
	assert_int_equal(res(w, 1)->status, HS_ESKIPPED);
}

static void r_mknod(struct world *w, hs_fid dir, const char *name,
		    hs_ftype type, uint64_t rdev, hs_fid local)
{
	hs_reint_mknod *m = &rec(w, HS_OP_MKNOD)->hs_cml_rec_u.mknod;

	m->local = local;
	m->a.dir = dir;
	m->a.sid = sid_of(w);
	m->a.name = (char *)name;
	m->a.type = type;
	m->a.mode = 0620;
	m->a.rdev = rdev;
}

/* Disconnected mknods: applied with type and rdev, their local fids
 * usable by later records; a dir type is refused. */
static void test_mknod(void **state)
{
	struct world *w = *state;
	hs_attr got;

	r_mknod(w, w->top, "fifo", HS_FIFO, 0, LOCAL(1));
	r_mknod(w, w->top, "zero", HS_FCHR, 0x105, LOCAL(2));
	r_setattr(w, LOCAL(1), 0600);
	r_mknod(w, w->top, "dir", HS_FDIR, 0, LOCAL(3));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	assert_int_equal(res(w, 0)->obj.type, HS_FIFO);
	assert_false(res(w, 0)->obj.fid.vnode & HS_LOCAL_VNODE);
	assert_int_equal(res(w, 1)->status, 0);
	assert_int_equal(res(w, 1)->obj.rdev, 0x105);
	assert_int_equal(res(w, 2)->status, 0);
	assert_int_equal(res(w, 3)->status, EINVAL);
	assert_int_equal(lookup(w, w->top, "fifo", &got), 0);
	assert_int_equal(got.type, HS_FIFO);
	assert_int_equal(got.mode, 0600);
	assert_int_equal(lookup(w, w->top, "zero", &got), 0);
	assert_int_equal(got.type, HS_FCHR);
	assert_int_equal(got.rdev, 0x105);
	assert_int_equal(lookup(w, w->top, "dir", NULL), ENOENT);
}

/* update/update: the file changed on the server since the client read it. */
static void test_conflict_update_update(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "base"), now;
	hs_storeid sid = sid_of(w);

	bump(w, f.fid, "theirs");
	assert_int_equal(stage(w, f.fid, sid, 0, "mine"), 0);
	r_store(w, f.fid, sid, f.dataversion, 4);
	r_setattr(w, f.fid, 0600);                      /* dependent */
	r_create(w, HS_OP_CREATE, w->top, "g", LOCAL(1)); /* independent */
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, HS_ECONFLICT);
	assert_int_equal(res(w, 1)->status, HS_ESKIPPED);
	assert_int_equal(res(w, 2)->status, 0);
	assert_int_equal(w->info.conflicts, 1);
	assert_int_equal(w->info.applied, 1);
	assert_contents(w, f.fid, "theirs");
	assert_int_equal(vs_getattr(w->s.vs, &f.fid, &now), 0);
	assert_int_equal(now.mode, 0644);
	assert_int_equal(lookup(w, w->top, "g", NULL), 0);
}

/* update/remove: the file was removed on the server. */
static void test_conflict_update_remove(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "base");
	hs_storeid sid = sid_of(w);

	assert_int_equal(stage(w, f.fid, sid, 0, "mine"), 0);
	r_remove(w, w->top, "f", f.fid, 0);
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	w->n = 0;
	r_store(w, f.fid, sid, f.dataversion, 4);
	r_setattr(w, f.fid, 0600);
	r_create(w, HS_OP_CREATE, w->top, "g", LOCAL(1));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, ESTALE);
	assert_int_equal(res(w, 1)->status, HS_ESKIPPED);
	assert_int_equal(res(w, 2)->status, 0);
	assert_int_equal(lookup(w, w->top, "f", NULL), ENOENT);
}

/* remove/update: the file changed (or was replaced) on the server. */
static void test_conflict_remove_update(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "base"), other;

	bump(w, f.fid, "theirs");
	other = server_file(w, "o", "other");
	r_remove(w, w->top, "f", f.fid, f.dataversion);
	r_rename(w, w->top, "f", "f2", f.fid);            /* dependent */
	/* The name "o" holds another object than the client thinks. */
	r_remove(w, w->top, "o", f.fid, 0);
	r_create(w, HS_OP_CREATE, w->top, "g", LOCAL(1));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, HS_ECONFLICT);
	assert_int_equal(res(w, 1)->status, HS_ESKIPPED);
	assert_int_equal(res(w, 2)->status, HS_ESKIPPED);
	assert_int_equal(res(w, 3)->status, 0);
	assert_contents(w, f.fid, "theirs");
	assert_int_equal(lookup(w, w->top, "o", NULL), 0);
	assert_contents(w, other.fid, "other");
	/* On its own, the wrong-object remove is a conflict too. */
	w->n = 0;
	r_remove(w, w->top, "o", f.fid, 0);
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, HS_ECONFLICT);
	assert_int_equal(lookup(w, w->top, "o", NULL), 0);
}

/* create/create: the name was taken on the server meanwhile. */
static void test_conflict_create_create(void **state)
{
	struct world *w = *state;
	hs_attr x = server_file(w, "x", "server's");
	hs_storeid sid;

	r_create(w, HS_OP_CREATE, w->top, "x", LOCAL(1));
	sid = sid_of(w);
	assert_int_equal(stage(w, LOCAL(1), sid, 0, "client's"), 0);
	r_store(w, LOCAL(1), sid, 0, 8);
	r_create(w, HS_OP_MKDIR, w->top, "y", LOCAL(2));
	r_create(w, HS_OP_CREATE, LOCAL(2), "z", LOCAL(3));
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, EEXIST);
	assert_int_equal(res(w, 1)->status, HS_ESKIPPED);
	assert_int_equal(res(w, 2)->status, 0);
	assert_int_equal(res(w, 3)->status, 0);
	assert_int_equal(w->info.conflicts, 1);
	assert_contents(w, x.fid, "server's");
	assert_int_equal(lookup(w, res(w, 2)->obj.fid, "z", NULL), 0);
}

static void test_thousand_creates(void **state)
{
	struct world *w = *state;
	static char names[1000][8];
	hs_readdir_ok rd;
	unsigned i, total = 0, blocks = 0;
	uint64_t cookie = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(names[i], sizeof names[i], "n%03u", i);
		r_create(w, HS_OP_CREATE, w->top, names[i], LOCAL(i + 1));
		if (w->n == 125 || i == 999) {
			assert_int_equal(apply(w), 0);
			assert_int_equal(w->info.applied, w->n);
			w->n = 0;
			blocks++;
		}
	}
	assert_int_equal(blocks, 8);
	do {
		memset(&rd, 0, sizeof rd);
		assert_int_equal(vs_readdir(w->s.vs, &w->top, cookie, 0, &rd), 0);
		total += rd.entries.entries_len;
		cookie = rd.cookie;
		i = rd.eof;
		xdr_free((xdrproc_t)xdr_hs_readdir_ok, &rd);
	} while (!i);
	assert_int_equal(total, 1000);
	/* Too many records in one block. */
	w->n = 0;
	{
		hs_reint_args a = { { HS_REINT_MAX + 1, w->recs } };

		xdr_free((xdrproc_t)xdr_hs_reint_ok, &w->ok);
		assert_int_equal(vs_reint(w->s.vs, CLIENT, &a, &w->ok, &w->info),
				 EINVAL);
	}
}

static void test_staged_resume(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "");
	hs_storeid sid = sid_of(w), gap = sid_of(w);
	hs_fid local = LOCAL(5);
	uint64_t n;

	assert_int_equal(vs_staged(w->s.vs, &f.fid, &sid, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(stage(w, f.fid, sid, 0, "hello "), 0);
	assert_int_equal(vs_staged(w->s.vs, &f.fid, &sid, &n), 0);
	assert_int_equal(n, 6);
	/* The client resumes where vice says it stopped. */
	assert_int_equal(stage(w, f.fid, sid, n, "world"), 0);
	assert_int_equal(vs_staged(w->s.vs, &f.fid, &sid, &n), 0);
	assert_int_equal(n, 11);
	/* Staged under a local fid too (checked at the commit). */
	assert_int_equal(vs_staged(w->s.vs, &local, &gap, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(vs_staged(w->s.vs, &w->top, &gap, &n), EISDIR);
	/* A chunk past a missing one does not count (a hole at 0). */
	assert_int_equal(stage(w, f.fid, gap, 1 << 20, "late"), 0);
	assert_int_equal(vs_staged(w->s.vs, &f.fid, &gap, &n), 0);
	assert_int_equal(n, 0);
	r_store(w, f.fid, sid, f.dataversion, 11);
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	assert_contents(w, f.fid, "hello world");
	/* Committed: nothing left to send. */
	assert_int_equal(vs_staged(w->s.vs, &f.fid, &sid, &n), 0);
	assert_int_equal(n, 11);
}

static void test_staged_survives_restart(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "");
	hs_storeid sid = sid_of(w), old = { CLIENT + 5, 1 };
	struct timespec ts[2];
	char path[256];
	uint64_t n;

	assert_int_equal(stage(w, f.fid, sid, 0, "kept over"), 0);
	assert_int_equal(stage(w, f.fid, old, 0, "abandoned"), 0);
	/* The other client staged nothing for 8 days. */
	snprintf(path, sizeof path, "%s/data/tmp/%u.1", w->s.root, CLIENT + 5);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 8 * 24 * 3600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	reopen(w);
	assert_int_equal(vs_staged(w->s.vs, &f.fid, &old, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vs_staged(w->s.vs, &f.fid, &sid, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(stage(w, f.fid, sid, n, " restart"), 0);
	r_store(w, f.fid, sid, 0, 17);
	assert_int_equal(apply(w), 0);
	assert_int_equal(res(w, 0)->status, 0);
	assert_contents(w, f.fid, "kept over restart");
}

static void test_stage_cap(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "");
	hs_storeid sid = { CLIENT + 9, 0 };
	unsigned i;

	for (i = 0; i < VS_STAGE_MAX; i++) {
		sid.seq = i + 1;
		assert_int_equal(stage(w, f.fid, sid, 0, "x"), 0);
	}
	sid.seq = i + 1;
	assert_int_equal(stage(w, f.fid, sid, 0, "x"), EDQUOT);
	/* Another chunk of a store already staged is fine. */
	sid.seq = 1;
	assert_int_equal(stage(w, f.fid, sid, 1, "y"), 0);
}

static int die_at;

/* Fail the block after die_at records, as a killed vice would. */
static int fail_hook(void *arg, unsigned n)
{
	return n == (unsigned)die_at ? EIO : 0;
}

/* The same in a child process that really dies (no rollback runs). */
static int exit_hook(void *arg, unsigned n)
{
	if (n == (unsigned)die_at)
		_exit(0);
	return 0;
}

/* After the commit, before the data files: nonzero skips them. */
static int committed_hook(void *arg, unsigned n)
{
	return n == VS_REINT_COMMITTED;
}

/* Nothing of build_mixed is there. */
static void assert_untouched(struct world *w, uint64_t dv)
{
	hs_attr top;

	assert_int_equal(lookup(w, w->top, "a", NULL), ENOENT);
	assert_int_equal(lookup(w, w->top, "b", NULL), ENOENT);
	assert_int_equal(lookup(w, w->top, "tmp", NULL), ENOENT);
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top), 0);
	assert_int_equal(top.dataversion, dv);
}

static void test_killed_mid_block(void **state)
{
	struct world *w = *state;
	hs_attr top, b;
	pid_t pid;
	int st;

	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top), 0);
	build_mixed(w);
	die_at = 3;
	vs_reint_set_hook(w->s.vs, fail_hook, NULL);
	assert_int_equal(apply(w), EIO);
	assert_int_equal(w->ok.results.results_len, 0);
	assert_untouched(w, top.dataversion);
	/* A real death: the child exits inside the transaction. */
	vs_close(w->s.vs);
	w->s.vs = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];

		if (vs_open(w->s.root, &w->s.vs, err, sizeof err))
			_exit(2);
		vs_reint_set_hook(w->s.vs, exit_hook, NULL);
		(void)apply(w);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	reopen(w);
	assert_untouched(w, top.dataversion);
	/* The retry after the restart applies it all, once. */
	vs_reint_set_hook(w->s.vs, NULL, NULL);
	assert_int_equal(apply(w), 0);
	assert_int_equal(w->info.applied, 5);
	assert_int_equal(lookup(w, w->top, "b", &b), 0);
	assert_contents(w, b.fid, "hello");
}

static void test_killed_after_commit(void **state)
{
	struct world *w = *state;
	hs_attr f = server_file(w, "f", "old"), g = server_file(w, "g", "g"),
		got;
	hs_storeid s1 = sid_of(w), s2 = sid_of(w), s3 = sid_of(w);
	char path[256];

	/* g: a new version; f: a new version, removed, replaced by a new f. */
	assert_int_equal(stage(w, g.fid, s1, 0, "g two"), 0);
	assert_int_equal(stage(w, f.fid, s2, 0, "new data"), 0);
	assert_int_equal(stage(w, LOCAL(2), s3, 0, "abc"), 0);
	r_store(w, g.fid, s1, g.dataversion, 5);
	r_store(w, f.fid, s2, f.dataversion, 8);
	r_remove(w, w->top, "f", f.fid, 0);
	r_create(w, HS_OP_CREATE, w->top, "f", LOCAL(2));
	r_store(w, LOCAL(2), s3, 0, 3);
	vs_reint_set_hook(w->s.vs, committed_hook, NULL);
	assert_int_equal(apply(w), 0);
	assert_contents(w, g.fid, "g");         /* data files not yet done */
	reopen(w);      /* finishes the committed block's data files */
	assert_contents(w, g.fid, "g two");
	assert_int_equal(lookup(w, w->top, "f", &got), 0);
	assert_int_equal(got.size, 3);
	assert_contents(w, got.fid, "abc");
	assert_int_equal(vs_getattr(w->s.vs, &f.fid, &got), ESTALE);
	/* Nothing is left behind: the old f's data, the staged files. */
	snprintf(path, sizeof path, "%s/data/1/%u.%u", w->s.root, f.fid.vnode,
		 f.fid.unique);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/data/tmp/%u.%u", w->s.root, CLIENT,
		 (unsigned)s2.seq);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_block_applies),
		T(test_retry_is_noop),
		T(test_local_fid_across_blocks),
		T(test_mknod),
		T(test_conflict_update_update),
		T(test_conflict_update_remove),
		T(test_conflict_remove_update),
		T(test_conflict_create_create),
		T(test_thousand_creates),
		T(test_staged_resume),
		T(test_staged_survives_restart),
		T(test_stage_cap),
		T(test_killed_mid_block),
		T(test_killed_after_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
