/*
 * test/unit/test_vice_vol.c - vice's volumes and quotas at the store
 * layer (vice/store_vol.c) against a temp root: create, list, status,
 * rename, remove and their errors; blocks_used through store commits,
 * setattr, hard links, removal and reintegration; EDQUOT leaving the
 * file as it was; a store from before quotas counted on open; mount
 * points (mode 0644, "#NAME.") and symlinks keeping their mode.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "vice/store.h"
#include "test/unit/testlib_vice.h"

#define CLIENT 42
#define LOCAL(n) ((hs_fid){ 1, HS_LOCAL_VNODE | (n), 1 })

struct world {
	struct tl_store s;
	uint64_t seq;
	hs_fid top;             /* root of volume "root" */
};

static hs_storeid next_sid(struct world *w)
{
	return (hs_storeid){ CLIENT, ++w->seq };
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_store_open(&w->s, "vice-vol");
	w->top = (hs_fid){ 1, 1, 1 };
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	tl_store_close(&w->s);
	free(w);
	return 0;
}

/* A new volume; returns its root fid. */
static hs_fid mkvol(struct world *w, const char *name, uint32_t id,
		    uint64_t quota)
{
	hs_volinfo vi;
	hs_fid root;

	memset(&vi, 0, sizeof vi);
	assert_int_equal(vs_vol_create(w->s.vs, name, id, quota, &vi), 0);
	assert_int_equal(vi.id, id);
	assert_string_equal(vi.name, name);
	root = vi.root;
	xdr_free((xdrproc_t)xdr_hs_volinfo, (char *)&vi);
	return root;
}

static hs_volstat stat_of(struct world *w, uint32_t id)
{
	hs_volstat st;

	memset(&st, 0, sizeof st);
	assert_int_equal(vs_vol_stat(w->s.vs, id, &st), 0);
	xdr_free((xdrproc_t)xdr_string, (char *)&st.name);
	return st;
}

static uint64_t used(struct world *w, uint32_t id)
{
	return stat_of(w, id).blocks_used;
}

static hs_fid mkfile(struct world *w, const hs_fid *dir, const char *name)
{
	struct vs_new n = {
		.dir = *dir, .sid = next_sid(w), .name = name, .type = HS_FREG,
		.mode = 0644, .uid = 1000, .gid = 1000,
	};
	hs_create_ok ok;
	int dup;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_create(w->s.vs, &n, &ok, &dup), 0);
	return ok.obj.fid;
}

/* Store size bytes (data, then zeroes) into fid: the commit's status. */
static int store(struct world *w, const hs_fid *fid, const char *data,
		 uint64_t size)
{
	hs_store_chunk_args c = { .fid = *fid, .sid = next_sid(w) };
	hs_store_commit_args a = { .fid = *fid, .sid = c.sid, .size = size };
	hs_attr out;
	int dup;

	c.data.data_len = (u_int)strlen(data);
	c.data.data_val = (char *)data;
	assert_int_equal(vs_store_chunk(w->s.vs, &c, HS_ID_ANONYMOUS, &dup), 0);
	return vs_store_commit(w->s.vs, &a, &out, &dup);
}

static int truncate_to(struct world *w, const hs_fid *fid, uint64_t size)
{
	hs_setattr_args a = { .fid = *fid, .sid = next_sid(w),
			      .mask = HS_SET_SIZE, .size = size };
	hs_attr out;
	int dup;

	return vs_setattr(w->s.vs, &a, &out, &dup);
}

static uint64_t size_of(struct world *w, const hs_fid *fid)
{
	hs_attr a;

	assert_int_equal(vs_getattr(w->s.vs, fid, &a), 0);
	return a.size;
}

/* The first bytes of fid's contents. */
static void expect_data(struct world *w, const hs_fid *fid, const char *want)
{
	hs_fetch_ok ok;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, fid, 0, (unsigned)strlen(want),
				  &ok), 0);
	assert_true(ok.data.data_len >= strlen(want));
	assert_memory_equal(ok.data.data_val, want, strlen(want));
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, (char *)&ok);
}

static int rm(struct world *w, const hs_fid *dir, const char *name)
{
	hs_remove_args a = { .dir = *dir, .sid = next_sid(w),
			     .name = (char *)name };
	hs_remove_ok ok;
	int dup, r;

	memset(&ok, 0, sizeof ok);
	r = vs_remove(w->s.vs, &a, 0, &ok, &dup);
	return r;
}

static void test_create_list(void **state)
{
	struct world *w = *state;
	hs_volstatlist l;
	hs_volinfo vi;
	hs_fid r = mkvol(w, "users", 7, 100);
	hs_volstat st = stat_of(w, 7);
	struct vs_acl acl;

	assert_int_equal(r.volume, 7);
	assert_int_equal(r.vnode, 1);
	assert_int_equal(st.max_quota, 100);
	assert_int_equal(st.blocks_used, 0);
	assert_int_equal(st.objects, 1);
	assert_true(st.online);
	assert_true(st.part_total > 0);
	/* The root directory is usable and has the volume default ACL. */
	assert_int_equal(vs_acl_get(w->s.vs, &r, &acl), 0);
	assert_int_equal(acl.npos, 2);
	mkfile(w, &r, "f");
	/* Errors. */
	memset(&vi, 0, sizeof vi);
	assert_int_equal(vs_vol_create(w->s.vs, "users", 8, 0, &vi), EEXIST);
	assert_int_equal(vs_vol_create(w->s.vs, "other", 7, 0, &vi), EEXIST);
	assert_int_equal(vs_vol_create(w->s.vs, "a/b", 9, 0, &vi), EINVAL);
	assert_int_equal(vs_vol_create(w->s.vs, "a b", 9, 0, &vi), EINVAL);
	assert_int_equal(vs_vol_create(w->s.vs, "", 9, 0, &vi), EINVAL);
	assert_int_equal(vs_vol_create(w->s.vs, "x", 0, 0, &vi), EINVAL);
	assert_int_equal(vs_vol_create(w->s.vs, "x", HS_VOLID_MAX + 1, 0, &vi),
			 EINVAL);
	assert_int_equal(vs_vol_stat(w->s.vs, 99, &st), ENOENT);
	/* The list, by id. */
	memset(&l, 0, sizeof l);
	assert_int_equal(vs_vol_list(w->s.vs, &l), 0);
	assert_int_equal(l.vols.vols_len, 2);
	assert_string_equal(l.vols.vols_val[0].name, "root");
	assert_string_equal(l.vols.vols_val[1].name, "users");
	assert_int_equal(l.vols.vols_val[1].objects, 2);
	xdr_free((xdrproc_t)xdr_hs_volstatlist, (char *)&l);
	{
		uint32_t max;

		assert_int_equal(vs_vol_maxid(w->s.vs, &max), 0);
		assert_int_equal(max, 7);
	}
}

static void test_rename_remove(void **state)
{
	struct world *w = *state;
	hs_volinfo vi;
	hs_fid r = mkvol(w, "proj", 3, 0), f;
	char path[256];

	f = mkfile(w, &r, "data");
	assert_int_equal(store(w, &f, "hello", 5), 0);
	assert_int_equal(vs_vol_rename(w->s.vs, 3, "proj2"), 0);
	memset(&vi, 0, sizeof vi);
	assert_int_equal(vs_getroot(w->s.vs, "proj", &vi), ENOENT);
	assert_int_equal(vs_getroot(w->s.vs, "proj2", &vi), 0);
	xdr_free((xdrproc_t)xdr_hs_volinfo, (char *)&vi);
	assert_int_equal(vs_vol_rename(w->s.vs, 3, "root"), EEXIST);
	assert_int_equal(vs_vol_rename(w->s.vs, 1, "x"), EPERM);
	assert_int_equal(vs_vol_rename(w->s.vs, 4, "x"), ENOENT);
	/* The root volume stays unless forced. */
	assert_int_equal(vs_vol_remove(w->s.vs, 1, 0), EPERM);
	assert_int_equal(vs_vol_remove(w->s.vs, 3, 0), 0);
	assert_int_equal(vs_vol_remove(w->s.vs, 3, 0), ENOENT);
	assert_int_equal(vs_getattr(w->s.vs, &f, &(hs_attr){ 0 }), ESTALE);
	snprintf(path, sizeof path, "%s/data/3", w->s.root);
	assert_int_equal(access(path, F_OK), -1);
	/* The id may be used again: an empty volume. */
	r = mkvol(w, "proj", 3, 0);
	assert_int_equal(stat_of(w, 3).objects, 1);
	assert_int_equal(used(w, 3), 0);
}

/* Commits count ceil(size/1024) blocks; past the quota is EDQUOT and the
 * file keeps its old contents; shrinking always works. */
static void test_quota_store(void **state)
{
	struct world *w = *state;
	hs_fid r = mkvol(w, "q", 2, 5), f = mkfile(w, &r, "f");
	hs_fid g = mkfile(w, &r, "g");

	assert_int_equal(store(w, &f, "abc", 1), 0);
	assert_int_equal(used(w, 2), 1);
	assert_int_equal(store(w, &f, "abc", 1025), 0);
	assert_int_equal(used(w, 2), 2);
	assert_int_equal(store(w, &g, "xyz", 3072), 0);
	assert_int_equal(used(w, 2), 5);
	assert_int_equal(store(w, &f, "new", 2049), EDQUOT);
	assert_int_equal(size_of(w, &f), 1025);
	expect_data(w, &f, "abc");
	assert_int_equal(used(w, 2), 5);
	/* Same block count: fine at the limit. */
	assert_int_equal(store(w, &f, "def", 2048), 0);
	/* Lower the quota under use: growth fails, shrinking works. */
	assert_int_equal(vs_vol_setquota(w->s.vs, 2, 3, 1), 0);
	assert_int_equal(stat_of(w, 2).min_quota, 1);
	assert_int_equal(store(w, &g, "x", 4000), EDQUOT);
	assert_int_equal(store(w, &g, "x", 10), 0);
	assert_int_equal(used(w, 2), 3);
	/* Unlimited again. */
	assert_int_equal(vs_vol_setquota(w->s.vs, 2, 0, 0), 0);
	assert_int_equal(store(w, &g, "x", 100000), 0);
	assert_int_equal(used(w, 2), 2 + 98);
	assert_int_equal(vs_vol_setquota(w->s.vs, 9, 0, 0), ENOENT);
	assert_int_equal(vs_vol_setquota(w->s.vs, 2, UINT64_MAX, 0), EINVAL);
	/* Other volumes are not charged. */
	assert_int_equal(used(w, 1), 0);
}

/* setattr size, hard links and removal keep blocks_used. */
static void test_quota_setattr_unlink(void **state)
{
	struct world *w = *state;
	hs_fid r = mkvol(w, "q", 2, 4), f = mkfile(w, &r, "f");
	hs_link_args la = { .dir = r, .sid = next_sid(w), .name = "f2",
			    .target = f };
	hs_create_ok lok;
	int dup;

	assert_int_equal(store(w, &f, "keep", 4), 0);
	assert_int_equal(truncate_to(w, &f, 4096), 0);
	assert_int_equal(used(w, 2), 4);
	assert_int_equal(truncate_to(w, &f, 4097), EDQUOT);
	assert_int_equal(size_of(w, &f), 4096);
	expect_data(w, &f, "keep");
	memset(&lok, 0, sizeof lok);
	assert_int_equal(vs_link(w->s.vs, &la, &lok, &dup), 0);
	assert_int_equal(used(w, 2), 4);
	assert_int_equal(rm(w, &r, "f"), 0);
	assert_int_equal(used(w, 2), 4);
	assert_int_equal(rm(w, &r, "f2"), 0);
	assert_int_equal(used(w, 2), 0);
}

/* A reintegrated store over quota fails alone with EDQUOT; the records
 * of the block that do not depend on it are applied. */
static void test_quota_reint(void **state)
{
	struct world *w = *state;
	hs_cml_rec recs[3];
	hs_reint_args a = { { 3, recs } };
	hs_reint_ok ok;
	struct vs_reint_info info;
	hs_fid f = mkfile(w, &w->top, "big");
	hs_storeid ssid;
	hs_store_chunk_args c = { .fid = f };
	int dup;

	assert_int_equal(vs_vol_setquota(w->s.vs, 1, 2, 0), 0);
	memset(recs, 0, sizeof recs);
	memset(&ok, 0, sizeof ok);
	memset(&info, 0, sizeof info);
	recs[0].op = HS_OP_CREATE;
	recs[0].hs_cml_rec_u.create.local = LOCAL(1);
	recs[0].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = w->top, .sid = next_sid(w), .name = "a", .mode = 0644 };
	ssid = next_sid(w);
	c.sid = ssid;
	c.data.data_val = "z";
	c.data.data_len = 1;
	assert_int_equal(vs_store_chunk(w->s.vs, &c, HS_ID_ANONYMOUS, &dup), 0);
	recs[1].op = HS_OP_STORE;
	recs[1].hs_cml_rec_u.store = (hs_store_commit_args){
		.fid = f, .sid = ssid, .size = 5000 };
	recs[2].op = HS_OP_CREATE;
	recs[2].hs_cml_rec_u.create.local = LOCAL(2);
	recs[2].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = w->top, .sid = next_sid(w), .name = "b", .mode = 0644 };
	assert_int_equal(vs_reint(w->s.vs, CLIENT, &a, &ok, &info), 0);
	assert_int_equal(ok.results.results_len, 3);
	assert_int_equal(ok.results.results_val[0].status, 0);
	assert_int_equal(ok.results.results_val[1].status, EDQUOT);
	assert_int_equal(ok.results.results_val[2].status, 0);
	assert_int_equal(size_of(w, &f), 0);
	assert_int_equal(used(w, 1), 0);
	xdr_free((xdrproc_t)xdr_hs_reint_ok, (char *)&ok);
}

/* A store from before quotas: the columns are added on open and the
 * blocks of its files counted. */
static void test_upgrade(void **state)
{
	struct world *w = *state;
	hs_fid f = mkfile(w, &w->top, "old");
	char path[128];
	sqlite3 *db;

	assert_int_equal(store(w, &f, "old", 3000), 0);
	vs_close(w->s.vs);
	w->s.vs = NULL;
	snprintf(path, sizeof path, "%s/vice.db", w->s.root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"DROP TRIGGER vn_quota; DROP TRIGGER vn_blocks_upd;"
		"DROP TRIGGER vn_blocks_ins; DROP TRIGGER vn_blocks_del;"
		"ALTER TABLE volumes DROP COLUMN max_quota;"
		"ALTER TABLE volumes DROP COLUMN min_quota;"
		"ALTER TABLE volumes DROP COLUMN blocks_used;",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	tl_store_reopen(&w->s);
	assert_int_equal(used(w, 1), 3);
	assert_int_equal(stat_of(w, 1).max_quota, 0);
	assert_int_equal(store(w, &f, "new", 5000), 0);
	assert_int_equal(used(w, 1), 5);
}

/* Mount points: a 0644 symlink to "#NAME."; a symlink's mode stays. */
static void test_mkmount(void **state)
{
	struct world *w = *state;
	struct vs_new n = { .dir = w->top, .sid = next_sid(w), .name = "m",
			    .uid = 0 };
	hs_create_ok ok;
	hs_setattr_args sa = { .sid = next_sid(w), .mask = HS_SET_MODE,
			       .mode = 0644 };
	hs_attr a;
	char *target = NULL;
	int dup;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_mkmount(w->s.vs, &n, "users", &ok, &dup), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(ok.obj.type, HS_FLNK);
	assert_int_equal(ok.obj.mode & 07777, 0644);
	assert_int_equal(vs_readlink(w->s.vs, &ok.obj.fid, &target), 0);
	assert_string_equal(target, "#users.");
	free(target);
	/* Again under the same store id: the same answer. */
	assert_int_equal(vs_mkmount(w->s.vs, &n, "users", &ok, &dup), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(vs_mkmount(w->s.vs, &(struct vs_new){
		.dir = w->top, .sid = next_sid(w), .name = "m" }, "users",
		&ok, &dup), EEXIST);
	assert_int_equal(vs_mkmount(w->s.vs, &(struct vs_new){
		.dir = w->top, .sid = next_sid(w), .name = "n" }, "a/b",
		&ok, &dup), EINVAL);
	/* A symlink cannot be made to look like one. */
	n = (struct vs_new){ .dir = w->top, .sid = next_sid(w), .name = "s",
			     .type = HS_FLNK, .target = "#users." };
	assert_int_equal(vs_create(w->s.vs, &n, &ok, &dup), 0);
	assert_int_equal(ok.obj.mode & 07777, 0777);
	sa.fid = ok.obj.fid;
	assert_int_equal(vs_setattr(w->s.vs, &sa, &a, &dup), 0);
	assert_int_equal(a.mode & 07777, 0777);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_setattr_unlink, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quota_reint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkmount, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
