/*
 * test/unit/test_venus_core.c - venus's core against a real vice, in one
 * process: vice (libvice.a) serves TLS on 127.0.0.1 and venus's server
 * connection, fsobj layer, CML, reintegration and conflict handling
 * (libvenus.a) run on the same event loop, with no front end
 * (fso_set_front is never called).  A second client of vice, "other",
 * plays another workstation.
 *
 * Checks: create + store at close + fetch round trip; a callback break
 * from vice invalidates the cached object; a change made disconnected is
 * logged in the CML and reintegration applies it; an update/update
 * conflict found at reintegration is noted with the local version kept;
 * a user's records wait for a token (expired, or refused for want of
 * one: never a conflict) and go once one arrives; a record refused
 * with EDQUOT is held with its data and sent once the quota allows.
 *
 * The venus wiring mirrors main.c's start() and shutdown_all() minus the
 * front end, the control socket and hoarding (the upward hooks are
 * main.c's own, from wire.c); it lives in venus_start()
 * and venus_stop() alone so that it follows venus's own wiring easily.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>

#include "test/unit/testlib_vice.h"
#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/core/fsobj.h"
#include "venus/net/server.h"
#include "venus/net/token.h"
#include "venus/net/volreg.h"
#include "venus/log/cml.h"
#include "venus/log/volstate.h"
#include "venus/repair/reint.h"
#include "venus/repair/conflict.h"
#include "venus/wire.h"
#include "vice/store.h"
#include "vice/vldb.h"

#define OTHER_ID 99

/* The world: vice, venus on vice's loop, and another client of vice. */
struct world {
	struct tl_vice t;
	struct tl_client other;
	uint64_t other_seq;         /* the other client's store ids */
	char cache[TL_PATH_LEN];    /* venus's cachedir */
	char server[16], mount[16];
	struct venus venus;
};

/* ---- venus's wiring: what main.c's start() does, without a front end,
 * the control socket or hoarding ---- */


/* cml_init into V->cml: 0 or its errno. */
static int open_cml(void)
{
	int err = 0;

	V->cml = cml_init(&err);
	return V->cml ? 0 : err;
}

static void close_cml(void)
{
	cml_fini(V->cml);
	V->cml = NULL;
}
static int venus_up(void *arg)
{
	return srv_is_up(V->srv);
}

/* The realm's root directory (/coda/<realm>): FSO_ROOT_INO is venus's
 * directory of realms. */
static uint64_t root_ino;

static void root_found(void *arg, int err, const struct fso_attr *a)
{
	int *done = arg;

	assert_int_equal(err, 0);
	root_ino = a->ino;
	*done = 1;
}

static void venus_start(struct world *w)
{
	struct venus_config *c = &w->venus.cfg;
	char path[TL_PATH_LEN + 16];
	int err, done;

	V = &w->venus;
	memset(V, 0, sizeof *V);
	V->base = w->t.v.base;
	strcpy(w->server, "127.0.0.1");
	strcpy(w->mount, "/coda-test");
	c->server = w->server;
	c->port = tl_vice_port(&w->t);
	c->cachedir = w->cache;
	c->mountpoint = w->mount;
	c->cachesize = 64u << 20;
	c->cachefiles = 10000;
	c->wholefilemaxsize = 50u << 20;
	c->timeout_ms = tl_wait_ms();
	c->cml_entries = 100000;
	c->serverprobe = 3600;      /* no probes: the tests reconnect */

	snprintf(path, sizeof path, "%s/venus.db", w->cache);
	assert_int_equal(db_open(path, &V->db), 0);
	assert_int_equal(db_meta_load(V->db, &V->client_id, &V->next_seq), 0);
	assert_int_equal(cache_init(c->cachedir, c->cachesize, c->cachefiles), 0);
	cache_set_big(c->wholefilemaxsize);
	assert_int_equal(fso_init(), 0);
	assert_int_equal(open_cml(), 0);
	wire_cml(V->cml);
	fso_log_dirty();
	fso_cml_settle();
	V->srv = wire_srv_start(&err);
	assert_non_null(V->srv);
	assert_non_null(V->reint = reint_new(V->srv, V->cml));
	assert_non_null(V->vol = wire_volume(V->srv, V->cml, V->reint));
	assert_true(tl_run_cond(V->base, venus_up, NULL));
	done = 0;
	fso_lookup(FSO_ROOT_INO, vr_realm0(), 0, root_found, &done);
	tl_run_until(V->base, &done);
	assert_int_not_equal(root_ino, FSO_ROOT_INO);
}

static void venus_stop(struct world *w)
{
	vst_fini(V->vol);
	vr_fini();
	reint_free(V->reint);
	close_cml();
	fso_fini();
	cache_fini();
	db_close(V->db);
	V->db = NULL;
	V = NULL;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_vice_start(&w->t, "venus-core-vice");
	tl_vice_open_root(&w->t);
	tl_mkdtemp(w->cache, "venus-core-cache");
	venus_start(w);
	tl_client_open(&w->t, &w->other);
	assert_int_equal(tl_hs_connect(&w->t, &w->other, OTHER_ID,
				       HS_PROTO_VERSION), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	venus_stop(w);
	tl_client_close(&w->other);
	tl_vice_stop(&w->t);
	tl_rmrf(w->cache);
	free(w);
	return 0;
}

/* ---- venus's operations, made synchronous by running the loop ---- */

struct op {
	int done, err, fd;
	struct fso_attr a;
};

static void attr_cb(void *arg, int err, const struct fso_attr *a)
{
	struct op *o = arg;

	o->err = err;
	if (!err && a)
		o->a = *a;
	o->done = 1;
}

static void err_cb(void *arg, int err)
{
	struct op *o = arg;

	o->err = err;
	o->done = 1;
}

static void open_cb(void *arg, int err, int fd, const struct fso_attr *a)
{
	struct op *o = arg;

	o->err = err;
	o->fd = err ? -1 : dup(fd);
	if (!err && a)
		o->a = *a;
	o->done = 1;
}

static void readdir_cb(void *arg, int err, const struct fso_dirent *e,
		       size_t n)
{
	err_cb(arg, err);
}

static void wait_op(struct op *o)
{
	tl_run_until(V->base, &o->done);
}

static int v_getattr(uint64_t ino)
{
	struct op o = { 0 };

	fso_getattr(ino, 0, attr_cb, &o);
	wait_op(&o);
	return o.err;
}

static int v_readdir(uint64_t ino)
{
	struct op o = { 0 };

	fso_readdir(ino, 0, readdir_cb, &o);
	wait_op(&o);
	return o.err;
}

/* Create name in the root as uid; returns its attributes. */
static struct fso_attr v_create_as(const char *name, uid_t uid)
{
	struct op o = { 0 };

	fso_create(root_ino, name, 0644, uid, uid, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	return o.a;
}

/* Create name in the root; returns its attributes. */
static struct fso_attr v_create(const char *name)
{
	struct op o = { 0 };

	fso_create(root_ino, name, 0644, 0, 0, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	return o.a;
}

/* Open ino as uid, run the I/O, close; returns the close's error (a
 * store's). */
static int v_io(uint64_t ino, uid_t uid, int flags, const char *data, char *buf,
		size_t len)
{
	struct op o = { 0 }, c = { 0 };
	ssize_t n;

	fso_open(ino, flags, uid, open_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	assert_true(o.fd >= 0);
	if (data) {
		assert_int_equal(pwrite(o.fd, data, strlen(data), 0),
				 (ssize_t)strlen(data));
	} else {
		n = pread(o.fd, buf, len - 1, 0);
		assert_true(n >= 0);
		buf[n] = '\0';
	}
	close(o.fd);
	fso_close(ino, flags, data != NULL, err_cb, &c);
	wait_op(&c);
	return c.err;
}

static int v_write(uint64_t ino, const char *data)
{
	return v_io(ino, 0, O_WRONLY | O_TRUNC, data, NULL, 0);
}

static void assert_v_contents(uint64_t ino, const char *want)
{
	char buf[256];

	assert_int_equal(v_io(ino, 0, O_RDONLY, NULL, buf, sizeof buf), 0);
	assert_string_equal(buf, want);
}

/* The cache's view of ino (fso_foreach_cached). */
struct find {
	uint64_t ino;
	int found;
	struct fso_cacheinfo ci;
};

static void find_one(void *arg, const struct fso_cacheinfo *ci)
{
	struct find *f = arg;

	if (ci->ino == f->ino) {
		f->found = 1;
		f->ci = *ci;
	}
}

static struct fso_cacheinfo cached(uint64_t ino)
{
	struct find f = { .ino = ino };

	fso_foreach_cached(find_one, &f);
	assert_true(f.found);
	return f.ci;
}

/* ---- the other workstation, straight to vice ---- */

static int other_lookup(struct world *w, const char *name, hs_fid *fid)
{
	hs_lookup_args a = { .dir = { 1, 1, 1 }, .name = (char *)name };
	hs_lookup_res r;
	int st;

	st = tl_call(&w->t, &w->other, HS_LOOKUP,
		     (xdrproc_t)xdr_hs_lookup_args, &a,
		     (xdrproc_t)xdr_hs_lookup_res, &r, sizeof r, NULL);
	if (!st && fid)
		*fid = r.hs_lookup_res_u.ok.obj.fid;
	return st;
}

static void assert_other_contents(struct world *w, const hs_fid *fid,
				  const char *want)
{
	hs_fetch_args fa = { .fid = *fid, .count = 4096 };
	hs_fetch_res fr;
	struct tl_wait wt = { 0 };

	assert_int_equal(tl_call(&w->t, &w->other, HS_FETCH,
				 (xdrproc_t)xdr_hs_fetch_args, &fa,
				 (xdrproc_t)xdr_hs_fetch_res, &fr, sizeof fr,
				 &wt), 0);
	assert_non_null(wt.data);
	assert_string_equal(wt.data, want);
	free(wt.data);
}

static void other_store(struct world *w, const hs_fid *fid, const char *data)
{
	hs_storeid sid = { OTHER_ID, ++w->other_seq };
	hs_store_chunk_args ca = { .fid = *fid, .sid = sid };
	hs_store_commit_args ma = { .fid = *fid, .sid = sid,
				    .size = strlen(data) };
	hs_status_res sr;
	hs_attr_res ar;

	ca.data.data_len = (u_int)strlen(data);
	ca.data.data_val = (char *)data;
	assert_int_equal(tl_call(&w->t, &w->other, HS_STORE_CHUNK,
				 (xdrproc_t)xdr_hs_store_chunk_args, &ca,
				 (xdrproc_t)xdr_hs_status_res, &sr, sizeof sr,
				 NULL), 0);
	assert_int_equal(tl_call(&w->t, &w->other, HS_STORE_COMMIT,
				 (xdrproc_t)xdr_hs_store_commit_args, &ma,
				 (xdrproc_t)xdr_hs_attr_res, &ar, sizeof ar,
				 NULL), 0);
}

/* ---- conditions to wait for ---- */

static int cml_empty(void *arg)
{
	return cml_count(V->cml) == 0 && !reint_running(V->reint);
}

static int has_conflict(void *arg)
{
	return cml_conflicts(V->cml) > 0 && !reint_running(V->reint);
}

/* Reintegration ended with n records left. */
static int cml_left(void *arg)
{
	return cml_count(V->cml) == *(const unsigned *)arg && !reint_running(V->reint);
}

/* A pass ended with a user's records waiting for a token. */
static int token_waits(void *arg)
{
	uid_t who;

	return reint_waiting(V->reint, &who, NULL, 1) == 1 && !reint_running(V->reint);
}

static int broken(void *arg)
{
	return V->stats.callback_breaks >= *(const uint64_t *)arg;
}

/* ---- the tests ---- */

static int v_lookup(uint64_t dir, const char *name, struct fso_attr *a)
{
	struct op o = { 0 };

	fso_lookup(dir, name, 0, attr_cb, &o);
	wait_op(&o);
	if (a)
		*a = o.a;
	return o.err;
}

struct rlist {
	int done, err, found;
	uint64_t ino;
};

static void realms_cb(void *arg, int err, const struct fso_dirent *e, size_t n)
{
	struct rlist *l = arg;

	l->err = err;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, vr_realm0())) {
			l->found = 1;
			l->ino = e[i].ino;
			assert_int_equal(e[i].type, S_IFDIR);
		}
	l->done = 1;
}

/* /coda is venus's own read-only directory of realms: it lists realm 0,
 * whose entry is the realm's root volume (its `..` is /coda again);
 * unknown realms are ENOENT; nothing can be made, renamed or changed in
 * it (EACCES); moving a file into it or linking one there too. */
static void test_realm_dir(void **state)
{
	struct fso_attr a, f;
	struct fso_mount m;
	struct fso_setattr sa = { .mask = HS_SET_MODE, .mode = 0777 };
	struct rlist l = { 0 };
	struct op o = { 0 }, r = { 0 }, s = { 0 }, k = { 0 };

	(void)state;
	fso_getattr(FSO_ROOT_INO, 0, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	assert_true(S_ISDIR(o.a.st.st_mode));
	assert_int_equal(o.a.st.st_mode & 07777, 0555);
	assert_int_equal(o.a.fid.volume, VR_LOCAL_VOL);
	fso_readdir(FSO_ROOT_INO, 0, realms_cb, &l);
	tl_run_until(V->base, &l.done);
	assert_int_equal(l.err, 0);
	assert_true(l.found);
	assert_int_equal(l.ino, root_ino);

	assert_int_equal(v_lookup(FSO_ROOT_INO, vr_realm0(), &a), 0);
	assert_int_equal(a.ino, root_ino);
	assert_int_equal(v_lookup(FSO_ROOT_INO, "no-such-realm.invalid", NULL), ENOENT);
	assert_int_equal(v_lookup(FSO_ROOT_INO, "a/b", NULL), EINVAL);
	assert_int_equal(v_lookup(root_ino, "..", &a), 0);
	assert_int_equal(a.ino, FSO_ROOT_INO);
	assert_int_equal(v_lookup(FSO_ROOT_INO, "..", &a), 0);
	assert_int_equal(a.ino, FSO_ROOT_INO);
	assert_int_equal(v_lookup(root_ino, ".", &a), 0);
	assert_int_equal(a.ino, root_ino);

	assert_int_equal(fso_mount_info(root_ino, &m), 0);
	assert_true(m.is_root && m.is_realm);
	assert_int_equal(m.mp_dir, FSO_ROOT_INO);
	assert_string_equal(m.mp_name, vr_realm0());
	assert_int_equal(fso_mount_info(FSO_ROOT_INO, &m), 0);
	assert_true(m.is_realmdir);

	memset(&o, 0, sizeof o);
	fso_mkdir(FSO_ROOT_INO, "x", 0755, 0, 0, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, EACCES);
	fso_setattr(FSO_ROOT_INO, 0, &sa, attr_cb, &s);
	wait_op(&s);
	assert_int_equal(s.err, EACCES);
	f = v_create("rf");
	fso_rename(root_ino, "rf", FSO_ROOT_INO, "rf", 0, err_cb, &r);
	wait_op(&r);
	assert_int_equal(r.err, EACCES);
	fso_link(f.ino, FSO_ROOT_INO, "rf", 0, attr_cb, &k);
	wait_op(&k);
	assert_int_equal(k.err, EACCES);
	memset(&r, 0, sizeof r);
	fso_unlink(FSO_ROOT_INO, vr_realm0(), 0, err_cb, &r);
	wait_op(&r);
	assert_int_equal(r.err, EACCES);
	assert_int_equal(cml_count(V->cml), 0);
}

static int v_rename(uint64_t dir, const char *name, uint64_t newdir, const char *newname)
{
	struct op o = { 0 };

	fso_rename(dir, name, newdir, newname, 0, err_cb, &o);
	wait_op(&o);
	return o.err;
}

struct lsr {
	int done, err;
	char vol[256];
};

static void lsm_cb(void *arg, int err, const char *target)
{
	struct lsr *l = arg;

	l->err = err;
	if (!err)
		snprintf(l->vol, sizeof l->vol, "%s", target);
	l->done = 1;
}

struct dirfind {
	int done, err, found;
	const char *name;
	struct fso_dirent e;
};

static void dirfind_cb(void *arg, int err, const struct fso_dirent *e, size_t n)
{
	struct dirfind *f = arg;

	f->err = err;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, f->name)) {
			f->found = 1;
			f->e = e[i];
		}
	f->done = 1;
}

/* A mount point (cfs mkmount: HS_MKMOUNT) is crossed by lookup into the
 * volume's root, whose `..` is the mount point's directory; listings show
 * it as that directory; lsmount names the volume; rename and link across
 * the volumes are EXDEV before anything is logged or sent; disconnected,
 * the cached mount point is still crossed; mkmount then is ETIMEDOUT;
 * unlink removes the link (rmmount). */
static void test_mountpoint(void **state)
{
	struct world *w = *state;
	static const hs_fid root2 = { 2, 1, 1 };
	struct vs_acl acl = { .npos = 1, .pos = { { HS_ID_ANYUSER, HS_R_ALL } } };
	hs_storeid sid = { 0, 0 };
	hs_volinfo vi;
	hs_attr ha;
	struct fso_attr a, v2, f, g;
	struct fso_mount m;
	struct dirfind df = { .name = "v2" };
	struct lsr ls = { 0 };
	struct op o = { 0 }, k = { 0 };
	int dup;

	memset(&vi, 0, sizeof vi);
	assert_int_equal(vs_vol_create(w->t.v.vs, "vol2", 2, 0, &vi), 0);
	xdr_free((xdrproc_t)xdr_hs_volinfo, (char *)&vi);
	assert_int_equal(vldb_publish(&w->t.v, 2, "vol2"), 0);
	assert_int_equal(vs_acl_set(w->t.v.vs, &root2, &sid, &acl, &ha, &dup), 0);

	fso_mkmount(root_ino, "v2", "vol2", 0, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	assert_true(S_ISLNK(o.a.st.st_mode));
	assert_int_equal(o.a.st.st_mode & 07777, 0644);

	assert_int_equal(v_lookup(root_ino, "v2", &v2), 0);
	assert_true(S_ISDIR(v2.st.st_mode));
	assert_int_equal(v2.fid.volume, 2);
	assert_int_equal(v_lookup(v2.ino, "..", &a), 0);
	assert_int_equal(a.ino, root_ino);
	assert_int_equal(fso_mount_info(v2.ino, &m), 0);
	assert_true(m.is_root && !m.is_realm);
	assert_int_equal(m.mp_dir, root_ino);
	assert_string_equal(m.mp_name, "v2");
	fso_lsmount(root_ino, "v2", 0, lsm_cb, &ls);
	tl_run_until(V->base, &ls.done);
	assert_int_equal(ls.err, 0);
	assert_string_equal(ls.vol, "vol2");
	memset(&ls, 0, sizeof ls);
	fso_lsmount(root_ino, "here", 0, lsm_cb, &ls);
	tl_run_until(V->base, &ls.done);
	assert_int_equal(ls.err, ENOENT);
	fso_readdir(root_ino, 0, dirfind_cb, &df);
	tl_run_until(V->base, &df.done);
	assert_true(df.found);
	assert_int_equal(df.e.type, S_IFDIR);
	assert_int_equal(df.e.ino, v2.ino);
	assert_int_equal(fso_cached_child(root_ino, "v2"), v2.ino);
	assert_int_equal(fso_cached_child(FSO_ROOT_INO, vr_realm0()), root_ino);
	assert_int_equal(fso_cached_child(root_ino, "nothing-here"), 0);

	/* Across volumes: EXDEV, nothing logged. */
	f = v_create("here");
	memset(&o, 0, sizeof o);
	fso_create(v2.ino, "there", 0644, 0, 0, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	g = o.a;
	assert_int_equal(g.fid.volume, 2);
	assert_int_equal(v_rename(root_ino, "here", v2.ino, "here"), EXDEV);
	assert_int_equal(v_rename(v2.ino, "there", root_ino, "there"), EXDEV);
	fso_link(f.ino, v2.ino, "l", 0, attr_cb, &k);
	wait_op(&k);
	assert_int_equal(k.err, EXDEV);
	assert_int_equal(v_rename(v2.ino, "there", v2.ino, "there2"), 0);
	assert_int_equal(cml_count(V->cml), 0);

	/* Disconnected: the cached mount point is crossed from the cache. */
	vst_disconnect(V->vol);
	assert_int_equal(v_lookup(root_ino, "v2", &a), 0);
	assert_int_equal(a.ino, v2.ino);
	assert_int_equal(v_lookup(v2.ino, "there2", &a), 0);
	assert_int_equal(a.ino, g.ino);
	memset(&o, 0, sizeof o);
	fso_mkmount(root_ino, "v3", "vol2", 0, attr_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, ETIMEDOUT);
	vst_reconnect(V->vol);

	/* rmmount: the name goes, the volume stays. */
	memset(&o, 0, sizeof o);
	fso_unlink(root_ino, "v2", 0, err_cb, &o);
	wait_op(&o);
	assert_int_equal(o.err, 0);
	assert_int_equal(v_lookup(root_ino, "v2", NULL), ENOENT);
}

/* A file created through venus reaches vice at close, and venus fetches
 * it back once its cached copy is discarded. */
static void test_round_trip(void **state)
{
	struct world *w = *state;
	struct fso_attr f;
	hs_fid fid;
	uint64_t fetches;

	assert_int_equal(v_getattr(root_ino), 0);
	f = v_create("f");
	assert_false(f.fid.vnode & HS_LOCAL_VNODE);
	assert_int_equal(v_write(f.ino, "hello venus"), 0);
	assert_int_equal(V->stats.stores, 1);
	assert_int_equal(other_lookup(w, "f", &fid), 0);
	assert_memory_equal(&fid, &f.fid, sizeof fid);
	assert_other_contents(w, &fid, "hello venus");

	assert_int_equal(fso_flush(f.ino), 0);
	fetches = V->stats.fetches;
	assert_v_contents(f.ino, "hello venus");
	assert_int_equal(V->stats.fetches, fetches + 1);
	assert_int_equal(cml_count(V->cml), 0);
}

/* vice breaks venus's promise when another client stores: the cached
 * object loses its callback and the next open fetches the new data. */
static void test_callback_break(void **state)
{
	struct world *w = *state;
	struct fso_attr f;
	uint64_t want;

	assert_int_equal(v_getattr(root_ino), 0);
	f = v_create("b");
	assert_int_equal(v_write(f.ino, "one"), 0);
	assert_int_equal(fso_flush(f.ino), 0);
	assert_v_contents(f.ino, "one");    /* fetched: a promise now */
	assert_true(cached(f.ino).has_callback);
	assert_true(cached(f.ino).has_data);

	want = V->stats.callback_breaks + 1;
	other_store(w, &f.fid, "two!");
	/* vice sent the break before answering the store. */
	assert_true(tl_run_cond(V->base, broken, &want));
	assert_false(cached(f.ino).has_callback);
	assert_v_contents(f.ino, "two!");
}

/* Disconnected, a create and its data are logged, not sent; at
 * reconnection reintegration applies them and empties the CML. */
static void test_disconnected_reint(void **state)
{
	struct world *w = *state;
	struct fso_attr f;
	struct fso_cacheinfo ci;
	hs_fid fid;

	assert_int_equal(v_getattr(root_ino), 0);
	assert_int_equal(v_readdir(root_ino), 0);
	vst_disconnect(V->vol);
	assert_int_equal(vst_state(V->vol), VST_DISCONNECTED);
	f = v_create("d");
	assert_true(f.fid.vnode & HS_LOCAL_VNODE);
	assert_int_equal(v_write(f.ino, "made offline"), 0);
	assert_true(cml_count(V->cml) >= 2);      /* the create and the store */
	assert_int_equal(other_lookup(w, "d", NULL), ENOENT);

	vst_reconnect(V->vol);
	assert_true(tl_run_cond(V->base, cml_empty, NULL));
	assert_int_equal(vst_state(V->vol), VST_CONNECTED);
	assert_int_equal(other_lookup(w, "d", &fid), 0);
	assert_false(fid.vnode & HS_LOCAL_VNODE);
	assert_other_contents(w, &fid, "made offline");
	/* The same ino now names the server's fid. */
	assert_int_equal(v_getattr(f.ino), 0);
	ci = cached(f.ino);
	assert_memory_equal(&ci.fid, &fid, sizeof fid);
}

static void set_token(uid_t uid, int64_t expires)
{
	struct vtoken t;

	memset(&t, 0, sizeof t);
	t.uid = uid;
	snprintf(t.name, sizeof t.name, "u%u", (unsigned)uid);
	t.len = 8;
	memcpy(t.tok, "testtokn", 8);
	t.expires = expires;
	assert_int_equal(token_set(&t), 0);
}

/* Tokens are per (uid, realm name): each realm's stands alone, "" is
 * realm 0's, names compare without case, and dropping one realm's token
 * keeps the others. */
static void test_token_realms(void **state)
{
	struct vtoken t, got;

	(void)state;
	memset(&t, 0, sizeof t);
	t.uid = 1500;
	snprintf(t.name, sizeof t.name, "u1500");
	t.len = 8;
	memcpy(t.tok, "testtokn", 8);
	t.expires = time(NULL) + 3600;
	t.vid = 7;
	snprintf(t.realm, sizeof t.realm, "other.test");
	assert_int_equal(token_set(&t), 0);
	assert_int_equal(token_get(1500, &got), ENOENT);
	assert_int_equal(token_get_realm(1500, "OTHER.test", &got), 0);
	assert_int_equal(got.vid, 7);
	t.realm[0] = '\0';
	t.vid = 8;
	assert_int_equal(token_set(&t), 0);
	assert_int_equal(token_get(1500, &got), 0);
	assert_int_equal(got.vid, 8);
	assert_string_equal(got.realm, vr_realm0());
	assert_int_equal(token_get_vol(1500, 1, &got), 0);
	assert_int_equal(got.vid, 8);
	assert_int_equal(token_get_realm(1500, "other.test", &got), 0);
	assert_int_equal(got.vid, 7);
	snprintf(t.realm, sizeof t.realm, "bad realm");
	assert_int_equal(token_set(&t), EINVAL);
	assert_int_equal(token_drop_realm(1500, "other.test"), 0);
	assert_int_equal(token_get_realm(1500, "other.test", &got), ENOENT);
	assert_int_equal(token_get(1500, &got), 0);
	assert_int_equal(token_drop(1500), 0);
	assert_int_equal(token_get(1500, &got), ENOENT);
	assert_int_equal(token_drop(1500), ENOENT);
}

/* Each user's records go in blocks of their own; a user whose token
 * expired waits (nothing dropped) while the others' records go on, and
 * a new token (token_set's hook) sends theirs. */
static void test_token_wait(void **state)
{
	struct world *w = *state;
	unsigned one = 1;
	uid_t who[4];
	int why[4];

	assert_int_equal(v_getattr(root_ino), 0);
	assert_int_equal(v_readdir(root_ino), 0);
	set_token(1000, time(NULL) - 10);   /* expired */
	vst_disconnect(V->vol);
	v_create_as("of1000", 1000);
	v_create_as("of1001", 1001);
	assert_int_equal(cml_count(V->cml), 2);

	vst_reconnect(V->vol);
	assert_true(tl_run_cond(V->base, cml_left, &one));
	assert_int_equal(other_lookup(w, "of1001", NULL), 0);
	assert_int_equal(other_lookup(w, "of1000", NULL), ENOENT);
	assert_int_equal(reint_waiting(V->reint, who, why, 4), 1);
	assert_int_equal(who[0], 1000);
	assert_int_equal(why[0], EKEYEXPIRED);

	set_token(1000, time(NULL) + 3600);   /* clog: the hook resumes */
	assert_true(tl_run_cond(V->base, cml_empty, NULL));
	assert_int_equal(other_lookup(w, "of1000", NULL), 0);
	assert_int_equal(reint_waiting(V->reint, who, why, 4), 0);
	token_drop(1000);
}

/* Vice gives System:AnyUser rights on the root directory (tl_vice_open_root
 * gives all), as an administrator's cfs sa would. */
static void root_anyuser(struct world *w, int32_t rights)
{
	static const hs_fid root = { 1, 1, 1 };
	struct vs_acl acl = { .npos = 1, .pos = { { HS_ID_ANYUSER, rights } } };
	hs_storeid sid = { OTHER_ID, ++w->other_seq };
	hs_attr a;
	int dup;

	assert_int_equal(vs_acl_set(w->t.v.vs, &root, &sid, &acl, &a, &dup), 0);
}

/* A user with no token whose store vice refuses (System:AnyUser may only
 * read): staging is refused, the block is not sent, the record waits
 * (no conflict, nothing lost); a token then lets it go (the test's token
 * does not open at vice, so the ACL opens up again as well). */
static void test_anon_refused(void **state)
{
	struct world *w = *state;
	struct fso_attr f;
	unsigned one = 1;
	uid_t who[4];
	int why[4];

	assert_int_equal(v_getattr(root_ino), 0);
	assert_int_equal(v_readdir(root_ino), 0);
	f = v_create_as("anon", 2000);
	vst_disconnect(V->vol);
	assert_int_equal(v_io(f.ino, 2000, O_WRONLY | O_TRUNC, "offline", NULL, 0), 0);
	assert_int_equal(cml_count(V->cml), 1);
	root_anyuser(w, HS_R_READ | HS_R_LOOKUP);

	vst_reconnect(V->vol);
	assert_true(tl_run_cond(V->base, token_waits, NULL));
	assert_int_equal(cml_count(V->cml), 1);
	assert_int_equal(reint_waiting(V->reint, who, why, 4), 1);
	assert_int_equal(who[0], 2000);
	assert_int_equal(why[0], EACCES);
	assert_int_equal(cml_conflicts(V->cml), 0);
	vst_kick(V->vol);   /* the trickle holds it while no token comes */
	assert_true(tl_run_cond(V->base, cml_left, &one));
	assert_int_equal(cml_conflicts(V->cml), 0);

	root_anyuser(w, HS_R_ALL);
	set_token(2000, time(NULL) + 3600);   /* clog: the hook resumes */
	assert_true(tl_run_cond(V->base, cml_empty, NULL));
	assert_int_equal(cml_conflicts(V->cml), 0);
	assert_other_contents(w, &f.fid, "offline");
	token_drop(2000);
}

/* The local version of a conflicted record, found by cml_foreach. */
static int conflict_file(void *arg, struct cml_row *r)
{
	if (!r->conflict)
		return 0;
	conflict_path(r, arg, 4096);
	return 1;
}

/* Both sides change one file while apart: vice refuses venus's store at
 * reintegration, the record stays in the CML marked update/update, the
 * local version is kept and the server's wins in the namespace. */
static void test_update_conflict(void **state)
{
	struct world *w = *state;
	struct fso_attr f;
	hs_fid objs[256];
	unsigned n = 0;
	char path[4096] = "", buf[64] = "";
	int fd;
	ssize_t len;

	assert_int_equal(v_getattr(root_ino), 0);
	f = v_create("c");
	assert_int_equal(v_write(f.ino, "base"), 0);
	vst_disconnect(V->vol);
	assert_int_equal(v_write(f.ino, "mine"), 0);
	assert_true(cml_count(V->cml) >= 1);
	other_store(w, &f.fid, "theirs");

	vst_reconnect(V->vol);
	assert_true(tl_run_cond(V->base, has_conflict, NULL));
	assert_int_equal(cml_conflicts(V->cml), 1);
	assert_int_equal(conflict_objects(NULL, objs, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&objs[0], &f.fid, sizeof f.fid);
	assert_string_equal(conflict_kind(HS_OP_STORE, HS_ECONFLICT),
			    "update/update");
	assert_int_equal(cml_foreach(V->cml, &f.fid, conflict_file, path), 0);
	assert_true(path[0] != '\0');
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(len >= 0);
	buf[len] = '\0';
	assert_string_equal(buf, "mine");
	assert_other_contents(w, &f.fid, "theirs");
}

/* A volume quota for the test: while full, a block that leaves "q" in
 * the root larger than QUOTA_BYTES is refused whole with EDQUOT, as
 * vice refuses a reintegration that passes a volume's quota. */
#define QUOTA_BYTES 4
struct quota {
	struct vstore *vs;
	int full;
};

static int quota_hook(void *arg, unsigned n)
{
	struct quota *q = arg;
	hs_fid root = { 1, 1, 1 };
	hs_lookup_ok ok;

	if (!q->full || n == VS_REINT_COMMITTED || vs_lookup(q->vs, &root, "q", &ok))
		return 0;
	return ok.obj.size > QUOTA_BYTES ? EDQUOT : 0;
}

static int quota_held(void *arg)
{
	return cml_vol_quota(V->cml, 1) == 1 && cml_count(V->cml) == 1 &&
	       !reint_running(V->reint);
}

static int quota_kind(void *arg, struct cml_row *r)
{
	*(const char **)arg = conflict_kind(r->op, r->conflict);
	return 0;
}

/* A record refused with EDQUOT at reintegration stays in the CML with
 * its data, held for quota (the block is sent one record at a time to
 * find it; the others are applied); the volume keeps logging, another
 * volume does not; once the quota allows it, cfs reconnect sends it. */
static void test_quota_held(void **state)
{
	struct world *w = *state;
	struct quota q = { w->t.v.vs, 0 };
	struct fso_attr f;
	const char *kind = NULL;
	hs_fid fid;

	assert_int_equal(v_getattr(FSO_ROOT_INO), 0);
	f = v_create("q");
	assert_int_equal(v_write(f.ino, "q0"), 0);
	vst_disconnect(V->vol);
	v_create("free");
	assert_int_equal(v_write(f.ino, "over quota!"), 0);
	v_create("after");
	assert_int_equal(cml_vol_count(V->cml, 1), 3);

	q.full = 1;
	vs_reint_set_hook(q.vs, quota_hook, &q);
	vst_reconnect(V->vol);
	assert_true(tl_run_cond(V->base, quota_held, NULL));
	assert_int_equal(other_lookup(w, "free", NULL), 0);
	assert_int_equal(other_lookup(w, "after", NULL), 0);
	assert_int_equal(other_lookup(w, "q", &fid), 0);
	assert_other_contents(w, &fid, "q0");
	assert_int_equal(cml_foreach(V->cml, NULL, quota_kind, &kind), 0);
	assert_non_null(kind);
	assert_string_equal(kind, "quota");
	assert_v_contents(f.ino, "over quota!");   /* the local version stays */
	assert_true(vst_logging(V->vol));
	assert_int_equal(vst_state(vst_of(2)), VST_CONNECTED);
	assert_false(vst_logging(vst_of(2)));   /* its log is empty */

	q.full = 0;   /* the admin raised the quota */
	vst_reconnect(NULL);
	assert_true(tl_run_cond(V->base, cml_empty, NULL));
	assert_other_contents(w, &fid, "over quota!");
	vs_reint_set_hook(q.vs, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_realm_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mountpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_callback_break, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_disconnected_reint, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_conflict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_token_realms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_token_wait, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_anon_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quota_held, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
