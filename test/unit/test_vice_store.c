/*
 * test/unit/test_vice_store.c - vice's store layer against a temp root:
 * namespace semantics and errors, hostile names, staged stores and their
 * idempotent commit, conflicts, persistence across reopening, special
 * files (type and rdev) and the upgrade of a store without rdev, group
 * commit (pending until vs_flush).
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
#include "test/unit/testlib_vice.h"

/* One test's world: a temp root and the store open on it. */
struct world {
	struct tl_store s;
	uint64_t seq;           /* next store id's sequence number */
	hs_fid top;             /* the root directory */
};

static hs_storeid next_sid(struct world *w)
{
	hs_storeid sid = { 42, ++w->seq };

	return sid;
}

static void reopen(struct world *w)
{
	tl_store_reopen(&w->s);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	hs_volinfo vol;

	assert_non_null(w);
	tl_store_open(&w->s, "vice-test");
	assert_int_equal(vs_getroot(w->s.vs, "", &vol), 0);
	w->top = vol.root;
	xdr_free((xdrproc_t)xdr_hs_volinfo, &vol);
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

/* Make an object in dir; returns the status, *obj its attributes. */
static int make(struct world *w, const hs_fid *dir, const char *name,
		hs_ftype type, const char *target, hs_attr *obj)
{
	struct vs_new n = {
		.dir = *dir, .sid = next_sid(w), .name = name, .type = type,
		.mode = 0644, .uid = 1000, .gid = 1000, .target = target,
	};
	hs_create_ok ok;
	int dup, r;

	memset(&ok, 0, sizeof ok);
	r = vs_create(w->s.vs, &n, &ok, &dup);
	assert_int_equal(dup, 0);
	if (obj)
		*obj = ok.obj;
	return r;
}

static int lookup(struct world *w, const hs_fid *dir, const char *name,
		  hs_attr *obj)
{
	hs_lookup_ok ok;
	int r = vs_lookup(w->s.vs, dir, name, &ok);

	if (!r && obj)
		*obj = ok.obj;
	return r;
}

static int do_remove(struct world *w, const hs_fid *dir, const char *name,
		     int isdir, hs_remove_ok *ok)
{
	hs_remove_args a = { .dir = *dir, .sid = next_sid(w),
			     .name = (char *)name };
	hs_remove_ok tmp;
	int dup;

	return vs_remove(w->s.vs, &a, isdir, ok ? ok : &tmp, &dup);
}

static int do_rename(struct world *w, const hs_fid *sd, const char *sn,
		     const hs_fid *dd, const char *dn, hs_rename_ok *ok)
{
	hs_rename_args a = { .src_dir = *sd, .src_name = (char *)sn,
			     .dst_dir = *dd, .dst_name = (char *)dn,
			     .sid = next_sid(w) };
	hs_rename_ok tmp;
	int dup;

	return vs_rename(w->s.vs, &a, ok ? ok : &tmp, &dup);
}

static int stage(struct world *w, const hs_fid *fid, hs_storeid sid,
		 uint64_t off, const char *data)
{
	hs_store_chunk_args a = { .fid = *fid, .sid = sid, .offset = off };
	int dup;

	a.data.data_len = (u_int)strlen(data);
	a.data.data_val = (char *)data;
	return vs_store_chunk(w->s.vs, &a, HS_ID_ANONYMOUS, &dup);
}

static int commit(struct world *w, const hs_fid *fid, hs_storeid sid,
		  uint64_t base, uint64_t size, hs_attr *out, int *dup)
{
	hs_store_commit_args a = { .fid = *fid, .sid = sid,
				   .base_version = base, .size = size };

	return vs_store_commit(w->s.vs, &a, out, dup);
}

/* The whole contents of fid as a string (short files only). */
static char *contents(struct world *w, const hs_fid *fid)
{
	hs_fetch_ok ok;
	char *s;

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, fid, 0, HS_CHUNK_MAX, &ok), 0);
	s = strndup(ok.data.data_val, ok.data.data_len);
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
	return s;
}

static void test_first_start(void **state)
{
	struct world *w = *state;
	hs_volinfo vol;
	hs_vollist list;
	hs_attr a;

	assert_int_equal(w->top.volume, 1);
	assert_int_equal(w->top.vnode, 1);
	assert_int_equal(w->top.unique, 1);
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &a), 0);
	assert_int_equal(a.type, HS_FDIR);
	assert_int_equal(a.mode, 0777);
	assert_int_equal(vs_getroot(w->s.vs, "root", &vol), 0);
	assert_string_equal(vol.name, "root");
	xdr_free((xdrproc_t)xdr_hs_volinfo, &vol);
	assert_int_equal(vs_getroot(w->s.vs, "nosuch", &vol), ENOENT);
	memset(&list, 0, sizeof list);
	assert_int_equal(vs_listvol(w->s.vs, &list), 0);
	assert_int_equal(list.vols.vols_len, 1);
	xdr_free((xdrproc_t)xdr_hs_vollist, &list);
	assert_int_not_equal(vs_server_id(w->s.vs), 0);
}

static void test_create_lookup(void **state)
{
	struct world *w = *state;
	hs_attr f, d, l, got, top0, top1;
	char *target = NULL;

	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top0), 0);
	assert_int_equal(make(w, &w->top, "file", HS_FREG, NULL, &f), 0);
	assert_int_equal(make(w, &w->top, "dir", HS_FDIR, NULL, &d), 0);
	assert_int_equal(make(w, &w->top, "link", HS_FLNK, "file", &l), 0);
	assert_int_equal(vs_getattr(w->s.vs, &w->top, &top1), 0);
	assert_int_equal(top1.dataversion, top0.dataversion + 3);
	assert_int_equal(top1.nlink, 3);
	assert_int_equal(f.mode, 0644);
	assert_int_equal(f.uid, 1000);
	assert_int_equal(d.nlink, 2);
	assert_int_equal(l.size, 4);
	assert_int_equal(lookup(w, &w->top, "dir", &got), 0);
	assert_memory_equal(&got.fid, &d.fid, sizeof got.fid);
	assert_int_equal(vs_readlink(w->s.vs, &l.fid, &target), 0);
	assert_string_equal(target, "file");
	free(target);
	assert_int_equal(vs_readlink(w->s.vs, &f.fid, &target), EINVAL);
	assert_int_equal(make(w, &w->top, "file", HS_FREG, NULL, NULL), EEXIST);
	assert_int_equal(make(w, &w->top, "l2", HS_FLNK, "", NULL), ENOENT);
	assert_int_equal(lookup(w, &w->top, "nope", NULL), ENOENT);
	assert_int_equal(lookup(w, &f.fid, "x", NULL), ENOTDIR);
	assert_int_equal(make(w, &f.fid, "x", HS_FREG, NULL, NULL), ENOTDIR);
}

static void test_hostile_names(void **state)
{
	struct world *w = *state;
	char longname[300];
	hs_fid stale = w->top;

	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(make(w, &w->top, "", HS_FREG, NULL, NULL), EINVAL);
	assert_int_equal(make(w, &w->top, ".", HS_FREG, NULL, NULL), EINVAL);
	assert_int_equal(make(w, &w->top, "..", HS_FDIR, NULL, NULL), EINVAL);
	assert_int_equal(make(w, &w->top, "a/b", HS_FREG, NULL, NULL), EINVAL);
	assert_int_equal(make(w, &w->top, "/", HS_FREG, NULL, NULL), EINVAL);
	assert_int_equal(make(w, &w->top, longname, HS_FREG, NULL, NULL),
			 ENAMETOOLONG);
	longname[255] = '\0';
	assert_int_equal(make(w, &w->top, longname, HS_FREG, NULL, NULL), 0);
	assert_int_equal(lookup(w, &w->top, "..", NULL), EINVAL);
	assert_int_equal(do_remove(w, &w->top, "..", 1, NULL), EINVAL);
	assert_int_equal(make(w, &w->top, "...", HS_FREG, NULL, NULL), 0);
	assert_int_equal(make(w, &w->top, "\xff\xfe", HS_FREG, NULL, NULL), 0);
	stale.unique = 99;
	assert_int_equal(make(w, &stale, "x", HS_FREG, NULL, NULL), ESTALE);
	stale.volume = 7;
	assert_int_equal(lookup(w, &stale, "x", NULL), ESTALE);
}

static void test_readdir_pages(void **state)
{
	struct world *w = *state;
	hs_readdir_ok ok;
	char name[16];
	unsigned i, seen = 0, pages = 0;
	uint64_t cookie = 0;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "e%u", i);
		assert_int_equal(make(w, &w->top, name, HS_FREG, NULL, NULL), 0);
	}
	do {
		memset(&ok, 0, sizeof ok);
		assert_int_equal(vs_readdir(w->s.vs, &w->top, cookie, 2, &ok), 0);
		for (i = 0; i < ok.entries.entries_len; i++) {
			snprintf(name, sizeof name, "e%u", seen++);
			assert_string_equal(ok.entries.entries_val[i].name, name);
		}
		cookie = ok.cookie;
		pages++;
		xdr_free((xdrproc_t)xdr_hs_readdir_ok, &ok);
	} while (!ok.eof);
	assert_int_equal(seen, 5);
	assert_int_equal(pages, 3);
}

static void test_remove(void **state)
{
	struct world *w = *state;
	hs_attr d, f;
	hs_remove_ok ok;
	hs_link_args la;
	hs_create_ok cok;
	int dup;

	assert_int_equal(make(w, &w->top, "d", HS_FDIR, NULL, &d), 0);
	assert_int_equal(make(w, &d.fid, "f", HS_FREG, NULL, &f), 0);
	assert_int_equal(do_remove(w, &w->top, "d", 1, NULL), ENOTEMPTY);
	assert_int_equal(do_remove(w, &w->top, "d", 0, NULL), EISDIR);
	assert_int_equal(do_remove(w, &d.fid, "f", 1, NULL), ENOTDIR);
	assert_int_equal(do_remove(w, &d.fid, "nope", 0, NULL), ENOENT);
	/* A second name keeps the object alive. */
	la = (hs_link_args){ .dir = w->top, .sid = next_sid(w),
			     .name = "f2", .target = f.fid };
	assert_int_equal(vs_link(w->s.vs, &la, &cok, &dup), 0);
	assert_int_equal(cok.obj.nlink, 2);
	la.sid = next_sid(w);
	la.target = d.fid;
	la.name = "d2";
	assert_int_equal(vs_link(w->s.vs, &la, &cok, &dup), EPERM);
	assert_int_equal(do_remove(w, &d.fid, "f", 0, &ok), 0);
	assert_false(ok.obj_gone);
	assert_int_equal(ok.obj.nlink, 1);
	assert_int_equal(do_remove(w, &w->top, "f2", 0, &ok), 0);
	assert_true(ok.obj_gone);
	assert_int_equal(vs_getattr(w->s.vs, &f.fid, &f), ESTALE);
	assert_int_equal(do_remove(w, &w->top, "d", 1, &ok), 0);
	assert_true(ok.obj_gone);
	assert_int_equal(ok.dir.nlink, 2);
}

static void test_remove_expect(void **state)
{
	struct world *w = *state;
	hs_attr f;
	hs_remove_args a = { .dir = w->top, .name = "f" };
	hs_remove_ok ok;
	int dup;

	assert_int_equal(make(w, &w->top, "f", HS_FREG, NULL, &f), 0);
	a.sid = next_sid(w);
	a.obj = f.fid;
	a.obj.unique++;
	assert_int_equal(vs_remove(w->s.vs, &a, 0, &ok, &dup), HS_ECONFLICT);
	a.obj = f.fid;
	a.base_version = f.dataversion + 5;
	assert_int_equal(vs_remove(w->s.vs, &a, 0, &ok, &dup), HS_ECONFLICT);
	a.base_version = f.dataversion;
	assert_int_equal(vs_remove(w->s.vs, &a, 0, &ok, &dup), 0);
	assert_int_equal(dup, 0);
	/* The same store id again: reported, not applied twice. */
	assert_int_equal(vs_remove(w->s.vs, &a, 0, &ok, &dup), 0);
	assert_int_equal(dup, 1);
	assert_true(ok.obj_gone);
}

static void test_rename(void **state)
{
	struct world *w = *state;
	hs_attr a, b, sub, f, g, got;
	hs_rename_ok ok;

	assert_int_equal(make(w, &w->top, "a", HS_FDIR, NULL, &a), 0);
	assert_int_equal(make(w, &w->top, "b", HS_FDIR, NULL, &b), 0);
	assert_int_equal(make(w, &a.fid, "sub", HS_FDIR, NULL, &sub), 0);
	assert_int_equal(make(w, &a.fid, "f", HS_FREG, NULL, &f), 0);
	assert_int_equal(make(w, &b.fid, "g", HS_FREG, NULL, &g), 0);
	/* A directory into itself or below itself. */
	assert_int_equal(do_rename(w, &w->top, "a", &a.fid, "x", NULL), EINVAL);
	assert_int_equal(do_rename(w, &w->top, "a", &sub.fid, "x", NULL),
			 EINVAL);
	assert_int_equal(do_rename(w, &w->top, "a", &w->top, "b", NULL),
			 ENOTEMPTY);
	assert_int_equal(do_rename(w, &a.fid, "sub", &b.fid, "g", NULL),
			 ENOTDIR);
	assert_int_equal(do_rename(w, &a.fid, "f", &w->top, "b", NULL), EISDIR);
	assert_int_equal(do_rename(w, &a.fid, "nope", &w->top, "x", NULL),
			 ENOENT);
	assert_int_equal(do_rename(w, &a.fid, "f", &w->top, "..", NULL),
			 EINVAL);
	/* Replace a file in another dir. */
	assert_int_equal(do_rename(w, &a.fid, "f", &b.fid, "g", &ok), 0);
	assert_true(ok.replaced);
	assert_memory_equal(&ok.replaced_fid, &g.fid, sizeof g.fid);
	assert_int_equal(vs_getattr(w->s.vs, &g.fid, &got), ESTALE);
	assert_int_equal(lookup(w, &b.fid, "g", &got), 0);
	assert_memory_equal(&got.fid, &f.fid, sizeof f.fid);
	assert_int_equal(lookup(w, &a.fid, "f", NULL), ENOENT);
	/* Move a directory: link counts and its new parent. */
	assert_int_equal(do_rename(w, &a.fid, "sub", &b.fid, "sub", &ok), 0);
	assert_int_equal(ok.src_dir.nlink, 2);
	assert_int_equal(ok.dst_dir.nlink, 3);
	assert_int_equal(do_rename(w, &w->top, "b", &a.fid, "b", NULL), 0);
	assert_int_equal(do_rename(w, &w->top, "a", &sub.fid, "a", NULL),
			 EINVAL);
	/* Same dir, same object: nothing happens. */
	assert_int_equal(do_rename(w, &b.fid, "g", &b.fid, "g", &ok), 0);
	assert_false(ok.replaced);
}

static void test_store(void **state)
{
	struct world *w = *state;
	hs_attr f, got, again;
	hs_storeid sid;
	char *s;
	int dup;

	assert_int_equal(make(w, &w->top, "f", HS_FREG, NULL, &f), 0);
	sid = next_sid(w);
	assert_int_equal(stage(w, &f.fid, sid, 0, "hello"), 0);
	assert_int_equal(stage(w, &f.fid, sid, 5, " world, cut"), 0);
	assert_int_equal(commit(w, &f.fid, sid, f.dataversion, 11, &got, &dup),
			 0);
	assert_int_equal(dup, 0);
	assert_int_equal(got.size, 11);
	assert_int_equal(got.dataversion, f.dataversion + 1);
	assert_memory_equal(&got.storeid, &sid, sizeof sid);
	s = contents(w, &f.fid);
	assert_string_equal(s, "hello world");
	free(s);
	/* The commit again: acknowledged, not applied. */
	assert_int_equal(commit(w, &f.fid, sid, f.dataversion, 11, &again, &dup),
			 0);
	assert_int_equal(dup, 1);
	assert_int_equal(again.dataversion, got.dataversion);
	/* Stale base version. */
	sid = next_sid(w);
	assert_int_equal(stage(w, &f.fid, sid, 0, "x"), 0);
	assert_int_equal(commit(w, &f.fid, sid, f.dataversion, 1, &again, &dup),
			 HS_ECONFLICT);
	s = contents(w, &f.fid);
	assert_string_equal(s, "hello world");
	free(s);
	/* Nothing staged: fine for an empty file only. */
	assert_int_equal(commit(w, &f.fid, next_sid(w), 0, 3, &again, &dup),
			 ENOENT);
	assert_int_equal(commit(w, &f.fid, next_sid(w), 0, 0, &again, &dup), 0);
	assert_int_equal(again.size, 0);
	/* Stores into a directory. */
	assert_int_equal(stage(w, &w->top, next_sid(w), 0, "x"), EISDIR);
}

static int delta(struct world *w, const hs_fid *fid, hs_storeid sid,
		 uint64_t base, uint64_t cut, uint64_t size,
		 hs_extent *ext, u_int n, hs_attr *out, int *dup)
{
	hs_store_delta_args a = { .fid = *fid, .sid = sid,
				  .base_version = base, .cut = cut,
				  .size = size };

	a.ext.ext_len = n;
	a.ext.ext_val = ext;
	return vs_store_delta(w->s.vs, &a, out, dup);
}

/* The first n bytes of fid, holes as zeros (short files only). */
static void read_all(struct world *w, const hs_fid *fid, char *buf, size_t n)
{
	hs_fetch_ok ok;
	size_t at = 0;

	memset(buf, 0, n);
	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, fid, 0, HS_CHUNK_MAX, &ok), 0);
	for (u_int i = 0; i < ok.ext.ext_len; i++) {
		hs_extent *x = &ok.ext.ext_val[i];

		assert_true(x->offset + x->length <= n);
		memcpy(buf + x->offset, ok.data.data_val + at, x->length);
		at += x->length;
	}
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
}

/* fid's data file in the store (vice/store_file.c's layout). */
static const char *data_path(struct world *w, const hs_fid *fid, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%s/data/%u/%u.%u", w->s.root, (unsigned)fid->volume,
		 (unsigned)fid->vnode, (unsigned)fid->unique);
	return buf;
}

/* HS_STORE_DELTA: the base cut, sized, the extents from what is staged
 * (zeros where nothing is); a retry answers the same; a stale base is a
 * conflict; bad extents are refused. */
static void test_store_delta(void **state)
{
	struct world *w = *state;
	hs_extent ext[2] = { { 2, 2 }, { 10, 2 } }, bad[2] = { { 4, 4 }, { 2, 4 } };
	hs_storeid sid = next_sid(w);
	hs_attr f, got, again;
	char buf[12], path[4200];
	int dup;

	assert_int_equal(make(w, &w->top, "d", HS_FREG, NULL, &f), 0);
	assert_int_equal(stage(w, &f.fid, sid, 0, "0123456789"), 0);
	assert_int_equal(commit(w, &f.fid, sid, 0, 10, &f, &dup), 0);
	sid = next_sid(w);
	assert_int_equal(stage(w, &f.fid, sid, 2, "ab"), 0);
	assert_int_equal(delta(w, &f.fid, sid, f.dataversion, 8, 12, ext, 2,
			       &got, &dup), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(got.size, 12);
	assert_int_equal(got.dataversion, f.dataversion + 1);
	read_all(w, &f.fid, buf, sizeof buf);
	assert_memory_equal(buf, "01ab4567\0\0\0\0", 12);
	/* The same call again: acknowledged, not applied. */
	assert_int_equal(delta(w, &f.fid, sid, f.dataversion, 8, 12, ext, 2,
			       &again, &dup), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(again.dataversion, got.dataversion);
	/* A stale base; extents out of order; nothing staged is zeros. */
	assert_int_equal(delta(w, &f.fid, next_sid(w), f.dataversion, 12, 12,
			       NULL, 0, &again, &dup), HS_ECONFLICT);
	assert_int_equal(delta(w, &f.fid, next_sid(w), got.dataversion, 12, 12,
			       bad, 2, &again, &dup), EINVAL);
	assert_int_equal(delta(w, &f.fid, next_sid(w), got.dataversion, 12, 12,
			       ext, 1, &again, &dup), 0);
	read_all(w, &f.fid, buf, sizeof buf);
	assert_memory_equal(buf, "01\0\0" "4567\0\0\0\0", 12);
	/* A data file shorter than its recorded size (a power loss between
	 * a commit's rename and its fsync) is no base, for a copy or an
	 * append: the client stores the whole file. */
	assert_int_equal(truncate(data_path(w, &f.fid, path, sizeof path), 5), 0);
	sid = next_sid(w);
	assert_int_equal(stage(w, &f.fid, sid, 2, "xy"), 0);
	assert_int_equal(delta(w, &f.fid, sid, again.dataversion, 12, 12, ext, 1,
			       &got, &dup), HS_ENOBASE);
	ext[0].offset = 12;
	assert_int_equal(stage(w, &f.fid, sid, 12, "zz"), 0);
	assert_int_equal(delta(w, &f.fid, sid, again.dataversion, 12, 14, ext, 1,
			       &got, &dup), HS_ENOBASE);
}

static void test_fetch_setattr(void **state)
{
	struct world *w = *state;
	hs_attr f, got;
	hs_setattr_args sa = { .mask = HS_SET_SIZE | HS_SET_MODE,
			       .size = 4, .mode = 0100600 };
	hs_fetch_ok ok;
	hs_storeid sid = next_sid(w);
	char *s;
	int dup;

	assert_int_equal(make(w, &w->top, "f", HS_FREG, NULL, &f), 0);
	assert_int_equal(stage(w, &f.fid, sid, 0, "0123456789"), 0);
	assert_int_equal(commit(w, &f.fid, sid, 0, 10, &got, &dup), 0);
	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, &f.fid, 8, 100, &ok), 0);
	assert_int_equal(ok.data.data_len, 2);
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, &f.fid, 50, 100, &ok), 0);
	assert_int_equal(ok.data.data_len, 0);
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
	assert_int_equal(vs_fetch(w->s.vs, &w->top, 0, 1, &ok), EISDIR);
	sa.fid = f.fid;
	sa.sid = next_sid(w);
	assert_int_equal(vs_setattr(w->s.vs, &sa, &got, &dup), 0);
	assert_int_equal(got.size, 4);
	assert_int_equal(got.mode, 0600);
	s = contents(w, &f.fid);
	assert_string_equal(s, "0123");
	free(s);
	sa.fid = w->top;
	sa.sid = next_sid(w);
	assert_int_equal(vs_setattr(w->s.vs, &sa, &got, &dup), EISDIR);
}

/* A sparse store stays sparse, and a fetch sends its extents only. */
static void test_sparse(void **state)
{
	struct world *w = *state;
	const uint64_t far = 10u << 20, size = 20u << 20;
	hs_storeid sid = next_sid(w);
	hs_attr f, got;
	hs_fetch_ok ok;
	uint64_t sum = 0;
	int dup;

	assert_int_equal(make(w, &w->top, "sp", HS_FREG, NULL, &f), 0);
	assert_int_equal(stage(w, &f.fid, sid, 0, "ab"), 0);
	assert_int_equal(stage(w, &f.fid, sid, far, "cd"), 0);
	assert_int_equal(commit(w, &f.fid, sid, 0, size, &got, &dup), 0);
	assert_int_equal(got.size, size);

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, &f.fid, 0, HS_CHUNK_MAX, &ok), 0);
	assert_true(ok.ext.ext_len >= 1);
	assert_int_equal(ok.ext.ext_val[0].offset, 0);
	assert_memory_equal(ok.data.data_val, "ab", 2);
	for (u_int i = 0; i < ok.ext.ext_len; i++)
		sum += ok.ext.ext_val[i].length;
	assert_int_equal(sum, ok.data.data_len);
	assert_true(ok.data.data_len < 1u << 20);   /* the hole is not sent */
	assert_int_equal(ok.next_data, far);        /* ... and skipped */
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, &f.fid, far, HS_CHUNK_MAX, &ok), 0);
	assert_int_equal(ok.ext.ext_len, 1);
	assert_int_equal(ok.ext.ext_val[0].offset, far);
	assert_memory_equal(ok.data.data_val, "cd", 2);
	assert_int_equal(ok.next_data, size);       /* a hole to the end */
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);

	memset(&ok, 0, sizeof ok);
	assert_int_equal(vs_fetch(w->s.vs, &f.fid, far + (1u << 20), 100, &ok), 0);
	assert_int_equal(ok.ext.ext_len, 0);
	assert_int_equal(ok.data.data_len, 0);
	assert_int_equal(ok.next_data, size);
	xdr_free((xdrproc_t)xdr_hs_fetch_ok, &ok);
}

static void test_idempotent_create(void **state)
{
	struct world *w = *state;
	struct vs_new n = { .dir = w->top, .sid = next_sid(w), .name = "once",
			    .type = HS_FREG, .mode = 0600 };
	hs_create_ok a, b;
	hs_readdir_ok rd;
	int dup;

	assert_int_equal(vs_create(w->s.vs, &n, &a, &dup), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(vs_create(w->s.vs, &n, &b, &dup), 0);
	assert_int_equal(dup, 1);
	assert_memory_equal(&a.obj.fid, &b.obj.fid, sizeof a.obj.fid);
	assert_int_equal(a.dir.dataversion, b.dir.dataversion);
	memset(&rd, 0, sizeof rd);
	assert_int_equal(vs_readdir(w->s.vs, &w->top, 0, 0, &rd), 0);
	assert_int_equal(rd.entries.entries_len, 1);
	xdr_free((xdrproc_t)xdr_hs_readdir_ok, &rd);
}

static void test_persistence(void **state)
{
	struct world *w = *state;
	uint64_t id = vs_server_id(w->s.vs);
	hs_attr d, f, got;
	hs_storeid sid = next_sid(w);
	char *s;
	int dup;

	assert_int_equal(make(w, &w->top, "d", HS_FDIR, NULL, &d), 0);
	assert_int_equal(make(w, &d.fid, "f", HS_FREG, NULL, &f), 0);
	assert_int_equal(stage(w, &f.fid, sid, 0, "kept"), 0);
	assert_int_equal(commit(w, &f.fid, sid, 0, 4, &got, &dup), 0);
	reopen(w);
	assert_int_equal(vs_server_id(w->s.vs), id);
	assert_int_equal(lookup(w, &d.fid, "f", &got), 0);
	assert_int_equal(got.size, 4);
	assert_int_equal(got.dataversion, f.dataversion + 1);
	s = contents(w, &f.fid);
	assert_string_equal(s, "kept");
	free(s);
	assert_int_equal(commit(w, &f.fid, sid, 0, 4, &got, &dup), 0);
	assert_int_equal(dup, 1);
	/* New objects get fresh fids after reopening. */
	assert_int_equal(make(w, &d.fid, "g", HS_FREG, NULL, &got), 0);
	assert_true(got.fid.vnode > f.fid.vnode);
}

static int make_special(struct world *w, const char *name, hs_ftype type,
			uint64_t rdev, hs_attr *out)
{
	struct vs_new n = { .dir = w->top, .sid = next_sid(w), .name = name,
			    .type = type, .mode = 0640, .rdev = rdev };
	hs_create_ok ok;
	int dup, r = vs_create(w->s.vs, &n, &ok, &dup);

	if (!r && out)
		*out = ok.obj;
	return r;
}

static void test_special(void **state)
{
	struct world *w = *state;
	hs_attr a;
	char *t = NULL;

	assert_int_equal(make_special(w, "fifo", HS_FIFO, 0, &a), 0);
	assert_int_equal(a.type, HS_FIFO);
	assert_int_equal(a.mode, 0640);
	assert_int_equal(a.size, 0);
	assert_int_equal(make_special(w, "sock", HS_FSOCK, 0, NULL), 0);
	assert_int_equal(make_special(w, "chr", HS_FCHR, 0x10305, &a), 0);
	assert_int_equal(make_special(w, "blk", HS_FBLK, 0x700, NULL), 0);
	/* Only device nodes have a number; no such type as 99. */
	assert_int_equal(make_special(w, "bad", HS_FIFO, 5, NULL), EINVAL);
	assert_int_equal(make_special(w, "bad", (hs_ftype)99, 0, NULL), EINVAL);
	assert_int_equal(lookup(w, &w->top, "bad", NULL), ENOENT);
	/* No data to fetch or store, no target to read. */
	assert_int_equal(vs_readlink(w->s.vs, &a.fid, &t), EINVAL);
	free(t);
	reopen(w);
	assert_int_equal(lookup(w, &w->top, "chr", &a), 0);
	assert_int_equal(a.type, HS_FCHR);
	assert_int_equal(a.rdev, 0x10305);
	assert_int_equal(lookup(w, &w->top, "blk", &a), 0);
	assert_int_equal(a.rdev, 0x700);
	assert_int_equal(lookup(w, &w->top, "sock", &a), 0);
	assert_int_equal(a.type, HS_FSOCK);
	assert_int_equal(a.rdev, 0);
}

/* A store made before special files (no vnodes.rdev) opens, and its
 * objects read rdev 0. */
static void test_upgrade_rdev(void **state)
{
	struct world *w = *state;
	char path[128];
	sqlite3 *db;
	hs_attr a;

	assert_int_equal(make(w, &w->top, "old", HS_FREG, NULL, NULL), 0);
	vs_close(w->s.vs);
	w->s.vs = NULL;
	snprintf(path, sizeof path, "%s/vice.db", w->s.root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE vnodes DROP COLUMN rdev",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	reopen(w);
	assert_int_equal(lookup(w, &w->top, "old", &a), 0);
	assert_int_equal(a.rdev, 0);
	assert_int_equal(make_special(w, "chr", HS_FCHR, 0x105, &a), 0);
	assert_int_equal(lookup(w, &w->top, "chr", &a), 0);
	assert_int_equal(a.rdev, 0x105);
}

static void test_root_locked(void **state)
{
	struct world *w = *state;
	struct vstore *other = NULL;
	char err[256];

	assert_int_equal(vs_open(w->s.root, &other, err, sizeof err),
			 -EWOULDBLOCK);
	assert_null(other);
	assert_non_null(strstr(err, "in use"));
}

static void count_pending(void *arg)
{
	(*(int *)arg)++;
}

/* Group commit: commits leave the store pending (the hook says so once
 * per clean -> pending) until vs_flush; vs_close flushes what is left; a
 * committed store whose rename was lost is put in place at start. */
static void test_group_commit(void **state)
{
	struct world *w = *state;
	hs_attr f, got;
	hs_storeid sid;
	int dup, n = 0;
	char *s, data[4200], staged[4200];

	vs_set_pending_hook(w->s.vs, count_pending, &n);
	assert_int_equal(vs_group_commit(w->s.vs, 1), 0);
	assert_int_equal(vs_pending(w->s.vs), 0);
	assert_int_equal(make(w, &w->top, "f", HS_FREG, NULL, &f), 0);
	assert_int_equal(vs_pending(w->s.vs), 1);
	assert_int_equal(make(w, &w->top, "g", HS_FREG, NULL, NULL), 0);
	sid = next_sid(w);
	assert_int_equal(stage(w, &f.fid, sid, 0, "grouped"), 0);
	assert_int_equal(commit(w, &f.fid, sid, f.dataversion, 7, &got, &dup),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(vs_flush(w->s.vs), 0);
	assert_int_equal(vs_pending(w->s.vs), 0);
	assert_int_equal(vs_flush(w->s.vs), 0);    /* nothing: fine */
	/* A lookup commits nothing: still clean. */
	assert_int_equal(lookup(w, &w->top, "g", NULL), 0);
	assert_int_equal(vs_pending(w->s.vs), 0);
	sid = next_sid(w);
	assert_int_equal(stage(w, &f.fid, sid, 0, "second"), 0);
	assert_int_equal(commit(w, &f.fid, sid, got.dataversion, 6, &got,
				&dup), 0);
	assert_int_equal(vs_pending(w->s.vs), 1);
	assert_int_equal(n, 2);
	vs_set_pending_hook(w->s.vs, NULL, NULL);
	/* A power loss that kept the commit but lost the rename (the staged
	 * file still in tmp/): the next start puts it in place. */
	snprintf(data, sizeof data, "%s/data/%u/%u.%u", w->s.root,
		 (unsigned)f.fid.volume, (unsigned)f.fid.vnode,
		 (unsigned)f.fid.unique);
	snprintf(staged, sizeof staged, "%s/data/tmp/%llu.%llu", w->s.root,
		 (unsigned long long)sid.client, (unsigned long long)sid.seq);
	assert_int_equal(rename(data, staged), 0);
	reopen(w);              /* vs_close flushed it */
	assert_int_equal(access(staged, F_OK), -1);
	assert_int_equal(lookup(w, &w->top, "f", &got), 0);
	assert_int_equal(got.size, 6);
	s = contents(w, &f.fid);
	assert_string_equal(s, "second");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_expect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_delta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_setattr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_create, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_rdev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
