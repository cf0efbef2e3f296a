/*
 * test/unit/test_vice_dump.c - whole volumes out of one store and into
 * another (vice/store_dump.h): a dump restored under a new id and name
 * has the same tree, attributes, dataversions, ACLs and data (sparse
 * files stay sparse, files past one dump row come whole); a volume
 * released and restored under its own id keeps its applied store ids (a
 * retried store is a duplicate); bad input is refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "vice/store.h"
#include "vice/store_dump.h"
#include "test/unit/testlib_vice.h"

#define BIG (VS_DUMP_ROW * 2 + VS_DUMP_ROW / 2)  /* three data rows */
#define SPARSE_AT (3u << 20)

struct world {
	struct tl_store a, b;
	uint64_t seq;
	hs_fid top;             /* a's root directory */
	char dump[TL_PATH_LEN + 32];
};

static hs_storeid next_sid(struct world *w)
{
	hs_storeid sid = { 42, ++w->seq };

	return sid;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	hs_volinfo vol;

	assert_non_null(w);
	tl_store_open(&w->a, "dump-a");
	tl_store_open(&w->b, "dump-b");
	assert_int_equal(vs_getroot(w->a.vs, "", &vol), 0);
	w->top = vol.root;
	xdr_free((xdrproc_t)xdr_hs_volinfo, &vol);
	snprintf(w->dump, sizeof w->dump, "%s/vol.dump", w->b.root);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	tl_store_close(&w->a);
	tl_store_close(&w->b);
	free(w);
	return 0;
}

static hs_attr make(struct world *w, const hs_fid *dir, const char *name,
		    hs_ftype type, const char *target)
{
	struct vs_new n = {
		.dir = *dir, .sid = next_sid(w), .name = name, .type = type,
		.mode = 0640, .uid = 1000, .gid = 100, .target = target,
	};
	hs_create_ok ok;
	int dup;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_create(w->a.vs, &n, &ok, &dup), 0);
	return ok.obj;
}

/* Store len bytes of data at off, and commit size. */
static void put(struct world *w, const hs_fid *fid, hs_storeid sid,
		uint64_t off, const char *data, unsigned len, uint64_t size)
{
	hs_store_chunk_args c = { .fid = *fid, .sid = sid, .offset = off };
	hs_store_commit_args a = { .fid = *fid, .sid = sid, .size = size };
	hs_attr out;
	int dup;

	c.data.data_len = len;
	c.data.data_val = (char *)data;
	assert_int_equal(vs_store_chunk(w->a.vs, &c, HS_ID_ANONYMOUS, &dup), 0);
	assert_int_equal(vs_store_commit(w->a.vs, &a, &out, &dup), 0);
	xdr_free((xdrproc_t)xdr_hs_attr, &out);
}

/* The whole file (<= HS_CHUNK_MAX bytes), holes as zeroes. */
static char *contents(struct vstore *vs, const hs_fid *fid, uint64_t *size)
{
	hs_fetch_ok ok;
	char *buf, *p;
	unsigned i;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(vs, fid, 0, HS_CHUNK_MAX, &ok), 0);
	*size = ok.attr.size;
	assert_true(*size <= HS_CHUNK_MAX);
	buf = calloc(1, *size + 1);
	assert_non_null(buf);
	p = ok.data.data_val;
	for (i = 0; i < ok.ext.ext_len; i++) {
		memcpy(buf + ok.ext.ext_val[i].offset, p,
		       ok.ext.ext_val[i].length);
		p += ok.ext.ext_val[i].length;
	}
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
	return buf;
}

static hs_fid child(struct vstore *vs, const hs_fid *dir, const char *name,
		    hs_attr *attr)
{
	hs_lookup_ok ok;
	hs_fid f;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_lookup(vs, dir, name, &ok), 0);
	f = ok.obj.fid;
	if (attr)
		*attr = ok.obj;
	else
		xdr_free((xdrproc_t)xdr_hs_lookup_ok, &ok);
	return f;
}

/* a's volume 1: a small file, a big one, a sparse one, a directory with
 * a symlink, an ACL entry of its own. */
static void fill(struct world *w)
{
	char *big = malloc(BIG);
	hs_attr f, d;
	unsigned i;

	assert_non_null(big);
	for (i = 0; i < BIG; i++)
		big[i] = (char)('a' + i % 23);
	f = make(w, &w->top, "small", HS_FREG, NULL);
	put(w, &f.fid, next_sid(w), 0, "hello, volume", 13, 13);
	f = make(w, &w->top, "big", HS_FREG, NULL);
	put(w, &f.fid, next_sid(w), 0, big, BIG, BIG);
	f = make(w, &w->top, "sparse", HS_FREG, NULL);
	put(w, &f.fid, next_sid(w), SPARSE_AT, "b", 1, SPARSE_AT + 1);
	d = make(w, &w->top, "dir", HS_FDIR, NULL);
	make(w, &d.fid, "link", HS_FLNK, "../small");
	make(w, &d.fid, "empty", HS_FREG, NULL);
	free(big);
}

/* The same object in both volumes: attributes and contents. */
static void same_file(struct world *w, const hs_fid *adir,
		      const hs_fid *bdir, const char *name)
{
	hs_attr x, y;
	uint64_t xs, ys;
	char *cx, *cy;

	child(w->a.vs, adir, name, &x);
	child(w->b.vs, bdir, name, &y);
	assert_int_equal(x.fid.vnode, y.fid.vnode);
	assert_int_equal(x.fid.unique, y.fid.unique);
	assert_int_equal(x.dataversion, y.dataversion);
	assert_int_equal(x.size, y.size);
	assert_int_equal(x.mode, y.mode);
	assert_int_equal(x.uid, y.uid);
	assert_int_equal(x.type, y.type);
	if (x.type == HS_FREG) {
		cx = contents(w->a.vs, &x.fid, &xs);
		cy = contents(w->b.vs, &y.fid, &ys);
		assert_int_equal(xs, ys);
		assert_memory_equal(cx, cy, xs);
		free(cx);
		free(cy);
	}
}

/* Quotas come along; blocks used are the same. */
static void same_quota(struct world *w, uint32_t aid, uint32_t bid)
{
	hs_volstat x, y;

	memset(&x, 0, sizeof x);
	memset(&y, 0, sizeof y);
	assert_int_equal(vs_vol_stat(w->a.vs, aid, &x), 0);
	assert_int_equal(vs_vol_stat(w->b.vs, bid, &y), 0);
	assert_int_equal(x.max_quota, y.max_quota);
	assert_int_equal(x.min_quota, y.min_quota);
	assert_int_equal(x.blocks_used, y.blocks_used);
	assert_true(x.blocks_used >= (BIG + 1023) / 1024);
	assert_int_equal(x.objects, y.objects);
	xdr_free((xdrproc_t)xdr_hs_volstat, &x);
	xdr_free((xdrproc_t)xdr_hs_volstat, &y);
}

static void test_roundtrip_new_id(void **state)
{
	struct world *w = *state;
	hs_volinfo vol;
	struct vs_acl acl, acl2;
	hs_fid ad, bd, bl;
	char *t;

	fill(w);
	assert_int_equal(vs_vol_setquota(w->a.vs, 1, 100000, 10), 0);
	assert_int_equal(vs_vol_dump(w->a.vs, 1, w->dump), 0);
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 7, "copy", &vol), 0);
	same_quota(w, 1, 7);
	assert_int_equal(vol.id, 7);
	assert_string_equal(vol.name, "copy");
	assert_int_equal(vol.root.volume, 7);
	assert_int_equal(vol.root.vnode, w->top.vnode);
	same_file(w, &w->top, &vol.root, "small");
	same_file(w, &w->top, &vol.root, "big");
	same_file(w, &w->top, &vol.root, "sparse");
	same_file(w, &w->top, &vol.root, "dir");
	ad = child(w->a.vs, &w->top, "dir", NULL);
	bd = child(w->b.vs, &vol.root, "dir", NULL);
	same_file(w, &ad, &bd, "link");
	same_file(w, &ad, &bd, "empty");
	bl = child(w->b.vs, &bd, "link", NULL);
	assert_int_equal(vs_readlink(w->b.vs, &bl, &t), 0);
	assert_string_equal(t, "../small");
	free(t);
	assert_int_equal(vs_acl_get(w->a.vs, &w->top, &acl), 0);
	assert_int_equal(vs_acl_get(w->b.vs, &vol.root, &acl2), 0);
	assert_int_equal(acl.npos, acl2.npos);
	assert_memory_equal(acl.pos, acl2.pos, acl.npos * sizeof acl.pos[0]);
	/* the same dump again: the id and the name are taken */
	xdr_free((xdrproc_t)xdr_hs_volinfo, &vol);
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 7, "other", &vol),
			 EEXIST);
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 8, "copy", &vol),
			 EEXIST);
	/* B's own root volume (id 1) is still there, untouched */
	assert_int_equal(vs_vol_here(w->b.vs, 1), 1);
	/* a new object in the copy does not reuse a vnode */
	{
		struct vs_new n = { .sid = { 9, 1 },
				    .name = "new", .type = HS_FREG,
				    .mode = 0600 };
		hs_create_ok ok;
		int dup;

		memset(&ok, 0, sizeof ok);
		assert_int_equal(vs_getroot(w->b.vs, "copy", &vol), 0);
		n.dir = vol.root;
		assert_int_equal(vs_create(w->b.vs, &n, &ok, &dup), 0);
		assert_true(ok.obj.fid.vnode > bd.vnode);
		xdr_free((xdrproc_t)xdr_hs_create_ok, &ok);
		xdr_free((xdrproc_t)xdr_hs_volinfo, &vol);
	}
}

/* A move within one store: release, then restore under the same id. */
static void test_release_restore_same_id(void **state)
{
	struct world *w = *state;
	hs_storeid sid;
	hs_volinfo vol;
	hs_attr f, out;
	int dup;

	f = make(w, &w->top, "f", HS_FREG, NULL);
	sid = next_sid(w);
	put(w, &f.fid, sid, 0, "abc", 3, 3);
	assert_int_equal(vs_vol_dump(w->a.vs, 1, w->dump), 0);
	assert_int_equal(vs_vol_release(w->a.vs, 1), 0);
	assert_int_equal(vs_vol_here(w->a.vs, 1), 0);
	assert_int_equal(vs_vol_moved(w->a.vs, 1), 1);
	assert_int_equal(vs_getattr(w->a.vs, &f.fid, &out), ESTALE);
	assert_int_equal(vs_vol_release(w->a.vs, 1), ENOENT);
	/* a restart does not make a new, empty root volume 1 */
	tl_store_reopen(&w->a);
	assert_int_equal(vs_vol_here(w->a.vs, 1), 0);
	assert_int_equal(vs_vol_restore(w->a.vs, w->dump, 0, NULL, &vol), 0);
	assert_int_equal(vol.id, 1);
	assert_string_equal(vol.name, "root");
	xdr_free((xdrproc_t)xdr_hs_volinfo, &vol);
	assert_int_equal(vs_vol_moved(w->a.vs, 1), 0);
	/* the store id applied before the dump is a duplicate after it */
	{
		hs_store_commit_args a = { .fid = f.fid, .sid = sid,
					   .size = 3 };

		assert_int_equal(vs_store_commit(w->a.vs, &a, &out, &dup), 0);
		assert_int_equal(dup, 1);
		assert_int_equal(out.dataversion, f.dataversion + 1);
		xdr_free((xdrproc_t)xdr_hs_attr, &out);
	}
	/* survives a restart */
	tl_store_reopen(&w->a);
	assert_int_equal(vs_getattr(w->a.vs, &f.fid, &out), 0);
	assert_int_equal(out.size, 3);
}

/* Change a dump behind vice's back. */
static void tamper(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_bad_input(void **state)
{
	struct world *w = *state;
	hs_volinfo vol;
	hs_attr fa;
	FILE *f;

	fa = make(w, &w->top, "f", HS_FREG, NULL);
	put(w, &fa.fid, next_sid(w), 0, "data", 4, 4);
	assert_int_equal(vs_vol_dump(w->a.vs, 99, w->dump), ENOENT);
	assert_int_equal(access(w->dump, F_OK), -1);
	f = fopen(w->dump, "w");
	assert_non_null(f);
	fputs("not a dump at all\n", f);
	fclose(f);
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 5, "x", &vol),
			 EINVAL);
	assert_int_equal(vs_vol_dump(w->a.vs, 1, w->dump), 0);
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, HS_VOLID_MAX + 1,
					"x", &vol), ERANGE);
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 5, "a/b", &vol),
			 EINVAL);
	assert_int_equal(vs_vol_here(w->b.vs, 5), 0);
	/* tampered: a data row past its file's size; vnodes past next_vnode */
	tamper(w->dump, "UPDATE vnodes SET size = 0 WHERE type = 1");
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 5, "x", &vol),
			 EINVAL);
	assert_int_equal(vs_vol_dump(w->a.vs, 1, w->dump), 0);
	tamper(w->dump, "UPDATE meta SET value = 1 WHERE key = 'next_vnode'");
	assert_int_equal(vs_vol_restore(w->b.vs, w->dump, 5, "x", &vol),
			 EINVAL);
	assert_int_equal(vs_vol_here(w->b.vs, 5), 0);
	{
		char dir[TL_PATH_LEN + 16];

		/* the data files written before the refusal are gone */
		snprintf(dir, sizeof dir, "%s/data/5", w->b.root);
		assert_int_equal(access(dir, F_OK), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_new_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_restore_same_id,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
