/*
 * test/unit/test_vice_acl.c - vice's access lists: the procedure
 * handlers (vice/ops*.c) run on a real store, as callers whose identity
 * (struct vident) the test builds, as dispatch does from a token.
 *
 * Covers Coda's defaults, a right granted through a group, a negative
 * right taking it away, administrators' l and a, inheritance on mkdir,
 * every operation refused without its right, chown/chmod/set-id rules
 * (a writer clearing set-id bits, an administrator chowning a new file),
 * owners of new objects, and a reintegration block with one refused
 * record whose neighbours still apply.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cmocka.h>
#include "test/unit/testlib_vice.h"
#include "vice/ops.h"
#include "vice/store.h"

#define FRIENDS (-300)          /* a group alice and bob are in */
#define ALICE 1001
#define BOB 1002
#define CAROL 1003

static const struct vident admin = {
	1, 1, 1, 4, { 1, HS_ID_ADMINS, HS_ID_ANYUSER, HS_ID_AUTHUSER },
};
static const struct vident alice = {
	ALICE, 1, 0, 4, { ALICE, FRIENDS, HS_ID_ANYUSER, HS_ID_AUTHUSER },
};
static const struct vident bob = {
	BOB, 1, 0, 4, { BOB, FRIENDS, HS_ID_ANYUSER, HS_ID_AUTHUSER },
};
static const struct vident carol = {
	CAROL, 1, 0, 3, { CAROL, HS_ID_ANYUSER, HS_ID_AUTHUSER },
};
static const struct vident anon = {
	HS_ID_ANONYMOUS, 0, 0, 1, { HS_ID_ANYUSER },
};

struct world {
	struct tl_store s;
	struct vice v;
	struct vclient c;
	uint64_t seq;
	hs_fid root;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_store_open(&w->s, "vice-acl");
	w->v.vs = w->s.vs;
	w->c.v = &w->v;
	w->c.client_id = 77;
	w->root = (hs_fid){ 1, 1, 1 };
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vstamp_free(&w->v);
	tl_store_close(&w->s);
	free(w);
	return 0;
}

static hs_storeid sid(struct world *w)
{
	return (hs_storeid){ 77, ++w->seq };
}

/* Run handler fn as who; res is freed with rp unless keep. */
static int as(struct world *w, const struct vident *who, vice_op fn,
	      void *args, void *res)
{
	int err;

	w->v.who = who;
	err = fn(&w->c, args, res);
	w->v.who = NULL;
	return err;
}

/* create (HS_FREG) or mkdir (HS_FDIR) name in dir. */
static int make(struct world *w, const struct vident *who, hs_fid dir,
		const char *name, int isdir, unsigned mode, hs_attr *out)
{
	hs_create_args a = { .dir = dir, .sid = sid(w), .name = (char *)name,
			     .mode = mode, .uid = 4242 };
	hs_create_res r;
	int err;

	memset(&r, 0, sizeof r);
	err = as(w, who, isdir ? op_mkdir : op_create, &a, &r);
	if (!err && out)
		*out = r.hs_create_res_u.ok.obj;
	return err;
}

/* A whole store of text into fid setting set (protocol 6); *out the
 * attributes after it. */
static int store_set(struct world *w, const struct vident *who, hs_fid fid,
		     const char *text, hs_store_set set, hs_attr *out)
{
	hs_store_chunk_args ch = { .fid = fid, .sid = sid(w), .offset = 0 };
	hs_store_commit_args cm = { .fid = fid, .sid = ch.sid,
				    .size = strlen(text), .set = set };
	hs_status_res sr;
	hs_attr_res ar;
	int err;

	ch.data.data_val = (char *)text;
	ch.data.data_len = (u_int)strlen(text);
	if ((err = as(w, who, op_store_chunk, &ch, &sr)))
		return err;
	memset(&ar, 0, sizeof ar);
	err = as(w, who, op_store_commit, &cm, &ar);
	if (!err && out)
		*out = ar.hs_attr_res_u.attr;
	return err;
}

/* A whole store of text into fid. */
static int store(struct world *w, const struct vident *who, hs_fid fid,
		 const char *text)
{
	hs_store_set none = { 0 };

	return store_set(w, who, fid, text, none, NULL);
}

static int fetch(struct world *w, const struct vident *who, hs_fid fid)
{
	hs_fetch_args a = { .fid = fid, .offset = 0, .count = HS_CHUNK_MIN };
	hs_fetch_res r;
	int err;

	memset(&r, 0, sizeof r);
	err = as(w, who, op_fetch, &a, &r);
	r.status = 0;
	xdr_free((xdrproc_t)xdr_hs_fetch_res, (char *)&r);
	return err;
}

static int getattr(struct world *w, const struct vident *who, hs_fid fid,
		   hs_attr *out)
{
	hs_attr_res r;
	int err;

	memset(&r, 0, sizeof r);
	err = as(w, who, op_getattr, &fid, &r);
	if (!err && out)
		*out = r.hs_attr_res_u.attr;
	return err;
}

static int setattr(struct world *w, const struct vident *who, hs_fid fid,
		   unsigned mask, unsigned mode, unsigned uid, hs_attr *out)
{
	hs_setattr_args a = { .fid = fid, .sid = sid(w), .mask = mask,
			      .mode = mode, .uid = uid };
	hs_attr_res r;
	int err;

	memset(&r, 0, sizeof r);
	err = as(w, who, op_setattr, &a, &r);
	if (!err && out)
		*out = r.hs_attr_res_u.attr;
	return err;
}

/* Set dir's ACL from "name rights" pairs: pos until NULL, then neg
 * until NULL. */
static int setacl(struct world *w, const struct vident *who, hs_fid dir, ...)
{
	hs_acl_entry pos[8], neg[8];
	hs_setacl_args a = { .dir = dir, .sid = sid(w) };
	hs_attr_res r;
	unsigned np = 0, nn = 0;
	const char *name;
	va_list ap;

	va_start(ap, dir);
	while ((name = va_arg(ap, const char *)))
		pos[np++] = (hs_acl_entry){ (char *)name, 0, va_arg(ap, unsigned) };
	while ((name = va_arg(ap, const char *)))
		neg[nn++] = (hs_acl_entry){ (char *)name, 0, va_arg(ap, unsigned) };
	va_end(ap);
	a.acl.pos.pos_val = pos;
	a.acl.pos.pos_len = np;
	a.acl.neg.neg_val = neg;
	a.acl.neg.neg_len = nn;
	memset(&r, 0, sizeof r);
	return as(w, who, op_setacl, &a, &r);
}

/* dir's ACL as "name:rights,...|name:rights,..." (rights in decimal). */
static int getacl(struct world *w, const struct vident *who, hs_fid dir,
		  char *buf, size_t len)
{
	hs_acl_res r;
	size_t n = 0;
	unsigned i;
	int err;

	memset(&r, 0, sizeof r);
	buf[0] = '\0';
	err = as(w, who, op_getacl, &dir, &r);
	if (!err) {
		hs_acl *a = &r.hs_acl_res_u.acl;

		for (i = 0; i < a->pos.pos_len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s:%u,",
					      a->pos.pos_val[i].name,
					      a->pos.pos_val[i].rights);
		n += (size_t)snprintf(buf + n, len - n, "|");
		for (i = 0; i < a->neg.neg_len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s:%u,",
					      a->neg.neg_val[i].name,
					      a->neg.neg_val[i].rights);
	}
	r.status = 0;
	xdr_free((xdrproc_t)xdr_hs_acl_res, (char *)&r);
	return err;
}

#define RL (HS_R_READ | HS_R_LOOKUP)
#define RLIDWK (HS_R_ALL & ~HS_R_ADMIN)
#define DEFAULT_ACL "System:Administrators:127,System:AnyUser:9,|"

/* A directory "shared" that FRIENDS may do anything but administer in,
 * with bob denied w. */
static hs_attr shared(struct world *w)
{
	hs_attr d;

	assert_int_equal(make(w, &admin, w->root, "shared", 1, 0777, &d), 0);
	assert_int_equal(setacl(w, &admin, d.fid, "-300", RLIDWK,
				"System:AnyUser", HS_R_LOOKUP, NULL,
				"1002", HS_R_WRITE, NULL), 0);
	return d;
}

/* A store's attributes (protocol 6) pass HS_SETATTR's checks or the
 * whole store is refused; applied after the contents, so an owner's
 * set-id bits stay. */
static void test_store_set(void **state)
{
	struct world *w = *state;
	hs_attr d = shared(w), f, a;

	assert_int_equal(make(w, &alice, d.fid, "f", 0, 0644, &f), 0);
	assert_int_equal(store_set(w, &alice, f.fid, "x",
				   (hs_store_set){ .mask = HS_SET_MODE | HS_SET_GID,
						   .mode = 04755, .gid = 77 }, &a), 0);
	assert_int_equal(a.mode & 07777, 04755);
	assert_int_equal(a.gid, 77);
	assert_int_equal(a.size, 1);
	/* chown is for administrators: the store is refused, nothing changes. */
	assert_int_equal(store_set(w, &alice, f.fid, "yy",
				   (hs_store_set){ .mask = HS_SET_UID, .uid = BOB }, NULL),
			 EPERM);
	assert_int_equal(getattr(w, &alice, f.fid, &a), 0);
	assert_int_equal(a.size, 1);
	assert_int_equal(a.uid, ALICE);
	/* The size and the mtime are the store's own. */
	assert_int_equal(store_set(w, &alice, f.fid, "yy",
				   (hs_store_set){ .mask = HS_SET_SIZE }, NULL), EINVAL);
	/* An administrator may chown (where the ACL lets it write). */
	assert_int_equal(make(w, &admin, w->root, "g", 0, 0644, &f), 0);
	assert_int_equal(store_set(w, &admin, f.fid, "zzz",
				   (hs_store_set){ .mask = HS_SET_UID | HS_SET_ATIME,
						   .uid = BOB, .atime = { 1000000, 5 } },
				   &a), 0);
	assert_int_equal(a.uid, BOB);
	assert_int_equal(a.atime.sec, 1000000);
	assert_int_equal(a.size, 3);
}

/* Coda's createvol defaults; anonymous may look and read, nothing more. */
static void test_defaults(void **state)
{
	struct world *w = *state;
	char acl[512];
	hs_attr a;

	assert_int_equal(getacl(w, &anon, w->root, acl, sizeof acl), 0);
	assert_string_equal(acl, DEFAULT_ACL);
	assert_int_equal(getattr(w, &anon, w->root, &a), 0);
	assert_int_equal(a.rights, RL);
	assert_int_equal(a.anyrights, RL);
	assert_int_equal(getattr(w, &admin, w->root, &a), 0);
	/* Protocol 6: an administrator's rights say so (HS_R_SYSADMIN). */
	assert_int_equal(a.rights, HS_R_ALL | HS_R_SYSADMIN);
	assert_int_equal(make(w, &anon, w->root, "x", 0, 0644, NULL), EACCES);
	assert_int_equal(make(w, &anon, w->root, "x", 1, 0755, NULL), EACCES);
	assert_int_equal(make(w, &alice, w->root, "x", 0, 0644, NULL), EACCES);
	assert_int_equal(setacl(w, &anon, w->root, "System:AnyUser", HS_R_ALL,
				NULL, NULL), EACCES);
}

/* A right through a group; a negative right wins; others get AnyUser's. */
static void test_group_and_negative(void **state)
{
	struct world *w = *state;
	hs_attr d, f, a;

	d = shared(w);
	assert_int_equal(make(w, &alice, d.fid, "f", 0, 0644, &f), 0);
	assert_int_equal(f.uid, ALICE);      /* not the 4242 asked for */
	assert_int_equal(f.rights, RLIDWK);
	assert_int_equal(f.anyrights, HS_R_LOOKUP);
	assert_int_equal(store(w, &alice, f.fid, "hello"), 0);
	assert_int_equal(fetch(w, &bob, f.fid), 0);
	assert_int_equal(getattr(w, &bob, f.fid, &a), 0);
	assert_int_equal(a.rights, RLIDWK & ~HS_R_WRITE);
	assert_int_equal(store(w, &bob, f.fid, "mine"), EACCES);
	assert_int_equal(getattr(w, &carol, f.fid, &a), 0);
	assert_int_equal(a.rights, HS_R_LOOKUP);
	assert_int_equal(fetch(w, &carol, f.fid), EACCES);
	assert_int_equal(make(w, &carol, d.fid, "g", 0, 0644, NULL), EACCES);
	assert_int_equal(make(w, &bob, d.fid, "g", 0, 0644, NULL), 0);
	/* Unknown names are refused, numbers are ids. */
	assert_int_equal(setacl(w, &admin, d.fid, "nobody-such", RL, NULL,
				NULL), ENOENT);
}

/* Administrators keep l and a whatever the ACL says. */
static void test_admin_repairs(void **state)
{
	struct world *w = *state;
	char acl[512];
	hs_attr d, a;

	assert_int_equal(make(w, &admin, w->root, "locked", 1, 0755, &d), 0);
	assert_int_equal(setacl(w, &admin, d.fid, NULL,
				"System:Administrators", HS_R_ALL, NULL), 0);
	assert_int_equal(getacl(w, &admin, d.fid, acl, sizeof acl), 0);
	assert_string_equal(acl, "|System:Administrators:127,");
	assert_int_equal(getattr(w, &admin, d.fid, &a), 0);
	assert_int_equal(a.rights, HS_R_LOOKUP | HS_R_ADMIN | HS_R_SYSADMIN);
	assert_int_equal(make(w, &admin, d.fid, "x", 0, 0644, NULL), EACCES);
	assert_int_equal(getattr(w, &alice, d.fid, NULL), EACCES);
	assert_int_equal(setacl(w, &admin, d.fid, "System:Administrators",
				HS_R_ALL, NULL, NULL), 0);
	assert_int_equal(make(w, &admin, d.fid, "x", 0, 0644, NULL), 0);
}

/* mkdir copies the parent's ACL; later changes of the parent do not
 * reach the child. */
static void test_inherit(void **state)
{
	struct world *w = *state;
	char p[512], c[512];
	hs_attr d, sub;

	d = shared(w);
	assert_int_equal(make(w, &alice, d.fid, "sub", 1, 0755, &sub), 0);
	assert_int_equal(getacl(w, &alice, d.fid, p, sizeof p), 0);
	assert_int_equal(getacl(w, &alice, sub.fid, c, sizeof c), 0);
	assert_string_equal(p, c);
	assert_string_equal(c, "-300:63,System:AnyUser:8,|1002:2,");
	assert_int_equal(setacl(w, &admin, d.fid, "System:AnyUser", RL, NULL,
				NULL), 0);
	assert_int_equal(getacl(w, &alice, sub.fid, c, sizeof c), 0);
	assert_string_equal(c, "-300:63,System:AnyUser:8,|1002:2,");
}

/* Every operation needs its right: EACCES without it. */
static void test_every_op_refused(void **state)
{
	struct world *w = *state;
	hs_attr d, f, sub, d2;
	hs_symlink_args sl = { .name = "s", .target = "f" };
	hs_mknod_args mk = { .name = "p", .type = HS_FIFO, .mode = 0644 };
	hs_link_args ln = { .name = "f2" };
	hs_remove_args rm = { .name = "f" }, rd = { .name = "sub" };
	hs_rename_args rn = { .src_name = "f", .dst_name = "g" };
	hs_readdir_args rdd = { .count = 10 };
	hs_lookup_args lk = { .name = "f" };
	hs_create_res cr;
	hs_remove_res rr;
	hs_rename_res nr;
	hs_readdir_res dr;
	hs_lookup_res lr;
	hs_readlink_res kr;
	hs_fid lnk;

	assert_int_equal(make(w, &admin, w->root, "d", 1, 0777, &d), 0);
	assert_int_equal(make(w, &admin, w->root, "d2", 1, 0777, &d2), 0);
	assert_int_equal(make(w, &admin, d.fid, "f", 0, 0666, &f), 0);
	assert_int_equal(make(w, &admin, d.fid, "sub", 1, 0777, &sub), 0);
	sl.dir = d.fid;
	sl.sid = sid(w);
	assert_int_equal(as(w, &admin, op_symlink, &sl, &cr), 0);
	/* alice: l only (AnyUser's r taken away). */
	assert_int_equal(setacl(w, &admin, d.fid, "1001", HS_R_LOOKUP, NULL,
				NULL), 0);
	assert_int_equal(setacl(w, &admin, d2.fid, "1001", HS_R_LOOKUP, NULL,
				NULL), 0);
	assert_int_equal(getattr(w, &alice, f.fid, NULL), 0);
	assert_int_equal(fetch(w, &alice, f.fid), EACCES);
	assert_int_equal(store(w, &alice, f.fid, "x"), EACCES);
	assert_int_equal(setattr(w, &alice, f.fid, HS_SET_MTIME, 0, 0, NULL),
			 EACCES);
	assert_int_equal(make(w, &alice, d.fid, "n", 0, 0644, NULL), EACCES);
	assert_int_equal(make(w, &alice, d.fid, "n", 1, 0755, NULL), EACCES);
	lnk = cr.hs_create_res_u.ok.obj.fid;
	sl.name = "s2";
	sl.sid = sid(w);
	assert_int_equal(as(w, &alice, op_symlink, &sl, &cr), EACCES);
	mk.dir = d.fid;
	mk.sid = sid(w);
	assert_int_equal(as(w, &alice, op_mknod, &mk, &cr), EACCES);
	ln.dir = d.fid;
	ln.target = f.fid;
	ln.sid = sid(w);
	assert_int_equal(as(w, &alice, op_link, &ln, &cr), EACCES);
	rm.dir = d.fid;
	rm.sid = sid(w);
	assert_int_equal(as(w, &alice, op_remove, &rm, &rr), EACCES);
	rd.dir = d.fid;
	rd.sid = sid(w);
	assert_int_equal(as(w, &alice, op_rmdir, &rd, &rr), EACCES);
	rn.src_dir = d.fid;
	rn.dst_dir = d2.fid;
	rn.sid = sid(w);
	assert_int_equal(as(w, &alice, op_rename, &rn, &nr), EACCES);
	/* d on the source is not enough: i on the target too. */
	assert_int_equal(setacl(w, &admin, d.fid, "1001",
				HS_R_LOOKUP | HS_R_DELETE, NULL, NULL), 0);
	rn.sid = sid(w);
	assert_int_equal(as(w, &alice, op_rename, &rn, &nr), EACCES);
	assert_int_equal(getacl(w, &alice, d.fid, (char[512]){0}, 512), 0);
	assert_int_equal(setacl(w, &alice, d.fid, "1001", HS_R_ALL, NULL,
				NULL), EACCES);
	/* Without l: no getattr, lookup, readdir, readlink, getacl. */
	assert_int_equal(setacl(w, &admin, d.fid, "1001", HS_R_ALL, NULL,
				"1001", HS_R_LOOKUP | HS_R_ADMIN, NULL), 0);
	assert_int_equal(getattr(w, &alice, f.fid, NULL), EACCES);
	assert_int_equal(getattr(w, &alice, d.fid, NULL), EACCES);
	lk.dir = d.fid;
	assert_int_equal(as(w, &alice, op_lookup, &lk, &lr), EACCES);
	rdd.dir = d.fid;
	assert_int_equal(as(w, &alice, op_readdir, &rdd, &dr), EACCES);
	assert_int_equal(as(w, &alice, op_readlink, &lnk, &kr), EACCES);
	assert_int_equal(getacl(w, &alice, d.fid, (char[512]){0}, 512),
			 EACCES);
}

/* chown is an administrator's, chmod the owner's (or a's), set-id bits
 * the owner's; a write by another drops them; device nodes and other
 * owners are administrators'. */
static void test_owner_rules(void **state)
{
	struct world *w = *state;
	hs_mknod_args mk = { .name = "dev", .type = HS_FCHR, .mode = 0600,
			     .rdev = 0x0103 };
	hs_create_res cr;
	hs_attr d, f, a;

	d = shared(w);
	/* bob may write (not denied here) in "open". */
	assert_int_equal(make(w, &admin, w->root, "open", 1, 0777, &d), 0);
	assert_int_equal(setacl(w, &admin, d.fid, "-300", RLIDWK, NULL,
				NULL), 0);
	assert_int_equal(make(w, &alice, d.fid, "f", 0, 0755, &f), 0);
	assert_int_equal(store(w, &alice, f.fid, "#!/bin/sh\n"), 0);
	assert_int_equal(setattr(w, &alice, f.fid, HS_SET_UID, 0, BOB, NULL),
			 EPERM);
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 0777, 0, NULL),
			 EPERM);
	assert_int_equal(setattr(w, &alice, f.fid, HS_SET_MODE, 04755, 0, &a),
			 0);
	assert_int_equal(a.mode, 04755);
	/* a lets bob chmod, but not plant set-id bits. */
	assert_int_equal(setacl(w, &admin, d.fid, "-300", HS_R_ALL,
				"System:Administrators", HS_R_ALL, NULL,
				NULL), 0);
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 06777, 0, NULL),
			 EPERM);
	assert_int_equal(store(w, &bob, f.fid, "#!/bin/sh\nid\n"), 0);
	assert_int_equal(getattr(w, &alice, f.fid, &a), 0);
	assert_int_equal(a.mode, 0755);
	/* The owner's own write keeps them. */
	assert_int_equal(setattr(w, &alice, f.fid, HS_SET_MODE, 02755, 0, &a),
			 0);
	assert_int_equal(store(w, &alice, f.fid, "x"), 0);
	assert_int_equal(getattr(w, &alice, f.fid, &a), 0);
	assert_int_equal(a.mode, 02755);
	assert_int_equal(setattr(w, &admin, f.fid, HS_SET_UID, 0, BOB, &a), 0);
	assert_int_equal(a.uid, BOB);
	assert_int_equal(make(w, &admin, d.fid, "g", 0, 0644, &a), 0);
	assert_int_equal(a.uid, 4242);
	mk.dir = d.fid;
	mk.sid = sid(w);
	assert_int_equal(as(w, &alice, op_mknod, &mk, &cr), EPERM);
	mk.sid = sid(w);
	assert_int_equal(as(w, &admin, op_mknod, &mk, &cr), 0);
	/* Owner-read clear: only the owner reads, whatever the ACL. */
	assert_int_equal(make(w, &alice, d.fid, "secret", 0, 0200, &f), 0);
	assert_int_equal(store(w, &alice, f.fid, "s"), 0);
	assert_int_equal(fetch(w, &alice, f.fid), 0);
	assert_int_equal(fetch(w, &bob, f.fid), EACCES);
}

/* What the kernel sends for POSIX programs: a writer's clearing of
 * set-id bits (nothing more) needs no ownership; an administrator may
 * chown a file it just created (the virgin-file bypass is the owner's
 * only when not an administrator, and never lets the owner chown). */
static void test_setid_kill_virgin_chown(void **state)
{
	static const struct vident root = {
		4242, 1, 1, 4, { 4242, HS_ID_ADMINS, HS_ID_ANYUSER,
				 HS_ID_AUTHUSER },
	};
	struct world *w = *state;
	hs_attr d, f, a;

	shared(w);
	assert_int_equal(make(w, &admin, w->root, "open", 1, 0777, &d), 0);
	assert_int_equal(setacl(w, &admin, d.fid, "-300", RLIDWK,
				"System:Administrators", HS_R_ALL, NULL,
				NULL), 0);
	assert_int_equal(make(w, &alice, d.fid, "f", 0, 06777, &f), 0);
	assert_int_equal(store(w, &alice, f.fid, "x"), 0);
	/* bob (w, not a, not owner): only dropping set-id bits. */
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 06755, 0, NULL),
			 EPERM);
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 05777, 0, NULL),
			 EPERM);
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 02777, 0, &a),
			 0);
	assert_int_equal(a.mode, 02777);
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 0777, 0, &a), 0);
	assert_int_equal(a.mode, 0777);
	/* Nothing left to clear: a plain chmod, the owner's. */
	assert_int_equal(setattr(w, &bob, f.fid, HS_SET_MODE, 0777, 0, NULL),
			 EPERM);
	/* carol has no w here: no clearing either. */
	assert_int_equal(setattr(w, &alice, f.fid, HS_SET_MODE, 04777, 0,
				 NULL), 0);
	assert_int_equal(setattr(w, &carol, f.fid, HS_SET_MODE, 0777, 0,
				 NULL), EACCES);
	/* Virgin files: the owner may not chown, an administrator may. */
	assert_int_equal(make(w, &alice, d.fid, "v", 0, 0644, &f), 0);
	assert_int_equal(setattr(w, &alice, f.fid, HS_SET_UID, 0, BOB, NULL),
			 EPERM);
	assert_int_equal(make(w, &root, d.fid, "r", 0, 0644, &f), 0);
	assert_int_equal(f.uid, 4242);
	assert_int_equal(setattr(w, &root, f.fid, HS_SET_UID, 0, BOB, &a), 0);
	assert_int_equal(a.uid, BOB);
}

/* A hard link may not carry a file under another directory's ACL;
 * between directories with equal ACLs it may (POSIX as far as safe). */
static void test_link_stays(void **state)
{
	struct world *w = *state;
	hs_attr d, e, f;
	hs_link_args ln = { .name = "f2" };
	hs_rename_args rn = { .src_name = "f2", .dst_name = "f3" };
	hs_create_res cr;
	hs_rename_res nr;

	assert_int_equal(make(w, &admin, w->root, "d", 1, 0777, &d), 0);
	assert_int_equal(make(w, &admin, w->root, "e", 1, 0777, &e), 0);
	assert_int_equal(make(w, &admin, d.fid, "f", 0, 0644, &f), 0);
	ln.dir = e.fid;
	ln.target = f.fid;
	ln.sid = sid(w);
	assert_int_equal(as(w, &admin, op_link, &ln, &cr), 0);
	assert_int_equal(setacl(w, &admin, e.fid, "System:AnyUser", HS_R_ALL,
				"System:Administrators", HS_R_ALL, NULL,
				NULL), 0);
	assert_int_equal(make(w, &admin, d.fid, "g", 0, 0644, &f), 0);
	ln.name = "g2";
	ln.target = f.fid;
	ln.sid = sid(w);
	assert_int_equal(as(w, &admin, op_link, &ln, &cr), EXDEV);
	ln.dir = d.fid;
	ln.sid = sid(w);
	assert_int_equal(as(w, &admin, op_link, &ln, &cr), 0);
	/* Nor may a rename move one of its names there. */
	rn.src_dir = d.fid;
	rn.dst_dir = e.fid;
	rn.src_name = "g2";
	rn.sid = sid(w);
	assert_int_equal(as(w, &admin, op_rename, &rn, &nr), EXDEV);
}

/* A reintegration record is checked as the block's caller: the refused
 * one gets EACCES, the others apply. */
static void test_reint_refused(void **state)
{
	struct world *w = *state;
	hs_cml_rec recs[3];
	hs_reint_args a = { { 3, recs } };
	hs_reint_res r;
	hs_attr d, f, x;
	hs_lookup_ok lk;

	d = shared(w);
	assert_int_equal(make(w, &alice, d.fid, "f", 0, 0644, &f), 0);
	/* bob: i and l but no d. */
	assert_int_equal(setacl(w, &admin, d.fid, "1002",
				HS_R_LOOKUP | HS_R_INSERT | HS_R_READ, NULL,
				NULL), 0);
	memset(recs, 0, sizeof recs);
	recs[0].op = HS_OP_CREATE;
	recs[0].hs_cml_rec_u.create.local = (hs_fid){ 1, HS_LOCAL_VNODE | 1, 1 };
	recs[0].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = d.fid, .sid = sid(w), .name = "new", .mode = 0644,
		.uid = 0 };
	recs[1].op = HS_OP_REMOVE;
	recs[1].hs_cml_rec_u.remove = (hs_remove_args){
		.dir = d.fid, .sid = sid(w), .name = "f", .obj = f.fid };
	recs[2].op = HS_OP_MKDIR;
	recs[2].hs_cml_rec_u.mkdir.local = (hs_fid){ 1, HS_LOCAL_VNODE | 2, 1 };
	recs[2].hs_cml_rec_u.mkdir.a = (hs_create_args){
		.dir = d.fid, .sid = sid(w), .name = "newdir", .mode = 0755 };
	memset(&r, 0, sizeof r);
	assert_int_equal(as(w, &bob, op_reintegrate, &a, &r), 0);
	assert_int_equal(r.hs_reint_res_u.ok.results.results_len, 3);
	assert_int_equal(r.hs_reint_res_u.ok.results.results_val[0].status, 0);
	assert_int_equal(r.hs_reint_res_u.ok.results.results_val[1].status,
			 EACCES);
	assert_int_equal(r.hs_reint_res_u.ok.results.results_val[2].status, 0);
	x = r.hs_reint_res_u.ok.results.results_val[0].obj;
	assert_int_equal(x.uid, BOB);
	assert_int_equal(x.rights, HS_R_LOOKUP | HS_R_INSERT | HS_R_READ);
	xdr_free((xdrproc_t)xdr_hs_reint_res, (char *)&r);
	assert_int_equal(vs_lookup(w->s.vs, &d.fid, "f", &lk), 0);
	assert_int_equal(vs_lookup(w->s.vs, &d.fid, "new", &lk), 0);
	assert_int_equal(vs_lookup(w->s.vs, &d.fid, "newdir", &lk), 0);
}

/* A block's results carry the rights of the directory each object is
 * in once the block is applied, though vice remembers objects'
 * directories for the call (acl_parent.c): a rename in the block moves
 * a file checked before it, and a file created before it. */
static void test_reint_rights_follow_rename(void **state)
{
	const unsigned ra = HS_R_LOOKUP | HS_R_INSERT | HS_R_DELETE | HS_R_READ |
			    HS_R_WRITE, rb = ra | HS_R_LOCK;
	struct world *w = *state;
	hs_cml_rec recs[6];
	hs_reint_args a = { { 6, recs } };
	hs_reint_res r;
	hs_reint_result *res;
	hs_attr da, db, f;

	assert_int_equal(make(w, &admin, w->root, "ra", 1, 0777, &da), 0);
	assert_int_equal(make(w, &admin, w->root, "rb", 1, 0777, &db), 0);
	assert_int_equal(setacl(w, &admin, da.fid, "1002", ra, NULL, NULL), 0);
	assert_int_equal(setacl(w, &admin, db.fid, "1002", rb, NULL, NULL), 0);
	assert_int_equal(make(w, &bob, da.fid, "f", 0, 0644, &f), 0);
	memset(recs, 0, sizeof recs);
	recs[0].op = HS_OP_SETATTR;   /* checked: f is in ra */
	recs[0].hs_cml_rec_u.setattr = (hs_setattr_args){
		.fid = f.fid, .sid = sid(w), .mask = HS_SET_MODE, .mode = 0600 };
	recs[1].op = HS_OP_CREATE;    /* made in ra, moved below */
	recs[1].hs_cml_rec_u.create.local = (hs_fid){ 1, HS_LOCAL_VNODE | 1, 1 };
	recs[1].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = da.fid, .sid = sid(w), .name = "x", .mode = 0644 };
	recs[2].op = HS_OP_RENAME;
	recs[2].hs_cml_rec_u.rename = (hs_rename_args){
		.src_dir = da.fid, .src_name = "f", .dst_dir = db.fid,
		.dst_name = "f", .sid = sid(w), .obj = f.fid };
	recs[3].op = HS_OP_RENAME;
	recs[3].hs_cml_rec_u.rename = (hs_rename_args){
		.src_dir = da.fid, .src_name = "x", .dst_dir = db.fid,
		.dst_name = "x", .sid = sid(w),
		.obj = (hs_fid){ 1, HS_LOCAL_VNODE | 1, 1 } };
	recs[4].op = HS_OP_SETATTR;   /* checked again: f is in rb now */
	recs[4].hs_cml_rec_u.setattr = (hs_setattr_args){
		.fid = f.fid, .sid = sid(w), .mask = HS_SET_MODE, .mode = 0640 };
	recs[5].op = HS_OP_CREATE;    /* made in ra, stays */
	recs[5].hs_cml_rec_u.create.local = (hs_fid){ 1, HS_LOCAL_VNODE | 2, 1 };
	recs[5].hs_cml_rec_u.create.a = (hs_create_args){
		.dir = da.fid, .sid = sid(w), .name = "y", .mode = 0644 };
	memset(&r, 0, sizeof r);
	assert_int_equal(as(w, &bob, op_reintegrate, &a, &r), 0);
	assert_int_equal(r.hs_reint_res_u.ok.results.results_len, 6);
	res = r.hs_reint_res_u.ok.results.results_val;
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(res[i].status, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(res[i].obj.rights, rb);
	assert_int_equal(res[5].obj.rights, ra);
	xdr_free((xdrproc_t)xdr_hs_reint_res, (char *)&r);
}

/* A store made before ACLs: every directory gets the default once. */
static void test_migration(void **state)
{
	struct world *w = *state;
	char path[TL_PATH_LEN + 16], acl[512];
	sqlite3 *db;
	hs_attr d;

	assert_int_equal(make(w, &admin, w->root, "old", 1, 0777, &d), 0);
	vs_close(w->s.vs);
	snprintf(path, sizeof path, "%s/vice.db", w->s.root);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE acls;"
				      " DELETE FROM meta WHERE key = 'acls'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	w->s.vs = NULL;
	tl_store_reopen(&w->s);
	w->v.vs = w->s.vs;
	assert_int_equal(getacl(w, &anon, d.fid, acl, sizeof acl), 0);
	assert_string_equal(acl, DEFAULT_ACL);
	assert_int_equal(getacl(w, &anon, w->root, acl, sizeof acl), 0);
	assert_string_equal(acl, DEFAULT_ACL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_and_negative, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_admin_repairs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inherit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_op_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_owner_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_setid_kill_virgin_chown,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_stays, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reint_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reint_rights_follow_rename,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_set, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
