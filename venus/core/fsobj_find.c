/*
 * fsobj_find.c - finding objects: the root, revalidation of attributes
 * (getattr) and lookup of a name in a directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"

/* ================================================================ */
/* Finding objects: root, revalidation                               */
/* ================================================================ */

struct kctx {
	uint64_t ino;
	uid_t    uid;     /* the caller (vr_call_as) */
	fso_k    k;
	void    *arg;
	hs_fid   fid;
};

static struct kctx *kctx_new(uint64_t ino, uid_t uid, fso_k k, void *arg)
{
	struct kctx *c = calloc(1, sizeof(*c));

	if (!c)
		k(arg, ENOMEM, NULL);
	else {
		c->ino = ino;
		c->uid = uid;
		c->k = k;
		c->arg = arg;
	}
	return c;
}

static void kctx_finish(struct kctx *c, int err, struct fso *o)
{
	fso_k k = c->k;
	void *arg = c->arg;

	free(c);
	k(arg, err, err ? NULL : o);
}

static void getattr_done(void *arg, int err, void *res)
{
	struct kctx *c = arg;
	hs_attr_res *r = res;
	struct fso *o = fo_obj(c->ino);

	if (!err && r->status)
		err = r->status;
	if (!o && !err)
		err = ESTALE;
	if (err == ETIMEDOUT && o && o->r.dataversion) {
		/* vice unreachable: serve what we have, as Coda does while
		 * disconnected; no promise, so the next use asks again. */
		kctx_finish(c, 0, o);
		return;
	}
	if (err == ENOENT || err == ESTALE) {
		if (o && c->ino != FSO_ROOT_INO)
			fo_obj_gone(o);
		/* Removed elsewhere while open here: this client keeps its
		 * copy until the last close (Coda's semantics). */
		if ((o = fo_obj(c->ino)) != NULL && o->removed) {
			kctx_finish(c, 0, o);
			return;
		}
		err = ENOENT;
	}
	if (!err) {
		fo_take_attr(o, &r->hs_attr_res_u.attr);
		fo_note_rights(c->uid, &r->hs_attr_res_u.attr);
	}
	kctx_finish(c, err, o);
}

/* Ask vice for c->ino's attributes. */
static void send_getattr(struct kctx *c, const hs_fid *fid)
{
	V->stats.getattr_calls++;
	vr_call_as(fid->volume, c->uid, HS_GETATTR, (xdrproc_t)xdr_hs_fid, fid,
		    (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), getattr_done, c);
}

/* The answer to a batch (fsobj_valid.c) that held c->ino: as a single
 * HS_GETATTR's, or EAGAIN: ask alone. */
static void batch_done(void *arg, int err, void *res)
{
	struct kctx *c = arg;
	struct fso *o;

	if (err != EAGAIN) {
		getattr_done(c, err, res);
		return;
	}
	if ((o = fo_obj(c->ino)) != NULL)
		send_getattr(c, &o->r.fid);
	else
		kctx_finish(c, ENOENT, NULL);
}

/* The object ino.  The realm directory (FSO_ROOT_INO) and the roots of
 * volumes are made by lookups (fsobj_realm.c, fsobj_mount.c), never here. */
void fo_with_obj(uint64_t ino, int fresh, uid_t uid, fso_k k, void *arg)
{
	struct fso *o = fo_obj(ino);
	struct kctx *c;

	/* An open file whose last link is gone: the container is the truth.
	 * venus's own objects (VR_LOCAL_VOL) have no server to ask. */
	if (o && (!fresh || o->has_cb || o->removed || fo_trust_cache(o) ||
		  o->r.fid.volume == VR_LOCAL_VOL)) {
		k(arg, 0, o);
		return;
	}
	if (!o) {
		k(arg, ENOENT, NULL);
		return;
	}
	/* Unvalidated since a restart or reconnection: in a batch. */
	if ((c = kctx_new(ino, uid, k, arg)) && fo_valid_ask(o, uid, batch_done, c))
		send_getattr(c, &o->r.fid);
}

/* Ask vice for ino's attributes as uid, promise or not (fo_check). */
void fo_getattr_as(uint64_t ino, uid_t uid, fso_k k, void *arg)
{
	struct fso *o = fo_obj(ino);
	struct kctx *c;

	if (!o) {
		k(arg, ENOENT, NULL);
		return;
	}
	if (o->r.fid.volume == VR_LOCAL_VOL) {
		k(arg, 0, o);
		return;
	}
	if ((c = kctx_new(ino, uid, k, arg)))
		send_getattr(c, &o->r.fid);
}

/* The object with current attributes. */
void fo_with_fresh(uint64_t ino, uid_t uid, fso_k k, void *arg)
{
	fo_with_obj(ino, 1, uid, k, arg);
}

/* ================================================================ */
/* getattr                                                           */
/* ================================================================ */

struct acb {
	fso_attr_cb cb;
	void       *arg;
};

static struct acb *acb_new(fso_attr_cb cb, void *arg)
{
	struct acb *a = malloc(sizeof(*a));

	if (!a)
		cb(arg, ENOMEM, NULL);
	else {
		a->cb = cb;
		a->arg = arg;
	}
	return a;
}

/* Answer an fso_attr_cb from a continuation. */
static void acb_reply(void *arg, int err, struct fso *o)
{
	struct acb a = *(struct acb *)arg;
	struct fso_attr at;

	free(arg);
	if (err) {
		a.cb(a.arg, err, NULL);
		return;
	}
	fo_fill_attr(o, &at);
	a.cb(a.arg, 0, &at);
}

void fso_getattr(uint64_t ino, uid_t uid, fso_attr_cb cb, void *arg)
{
	struct acb *a = acb_new(cb, arg);

	if (a)
		fo_with_fresh(ino, uid, acb_reply, a);
}

/* ================================================================ */
/* lookup                                                            */
/* ================================================================ */

int fso_check_name(const char *name, size_t len)
{
	if (!name || len == 0)
		return EINVAL;
	if (memchr(name, '\0', len) || memchr(name, '/', len))
		return EINVAL;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return EINVAL;
	if (len > HS_MAXNAMELEN)
		return ENAMETOOLONG;
	return 0;
}

int fo_check_cname(const char *name)
{
	return name ? fso_check_name(name, strnlen(name, HS_MAXNAMELEN + 1)) : EINVAL;
}

struct lk {
	uint64_t dir;
	uid_t    uid;
	char     name[HS_MAXNAMELEN + 1];
	fso_k    k;
	void    *arg;
};

static void lk_finish(struct lk *l, int err, struct fso *o)
{
	fso_k k = l->k;
	void *arg = l->arg;

	free(l);
	k(arg, err, err ? NULL : o);
}

static void lookup_cached(struct lk *l, struct fso *d);

static void lookup_done(void *arg, int err, void *res)
{
	struct lk *l = arg;
	hs_lookup_res *r = res;
	struct fso *d = fo_obj(l->dir), *o = NULL;

	if (!err && r->status)
		err = r->status;
	if (!err && !d)
		err = ESTALE;
	/* Asked only for the caller's rights (lookup_in_dir): vice's entry,
	 * or its ENOENT for a name made offline, says nothing of ours. */
	if ((!err || err == ENOENT) && d && fo_dir_ours(d)) {
		if (!err)
			fo_note_rights(l->uid, &r->hs_lookup_res_u.ok.dir);
		lookup_cached(l, d);
		return;
	}
	/* Logged changes in a directory never listed: vice's name is gone
	 * here if the log removed its object or renamed it away. */
	if (!err && d->cml && cml_gone_from(V->cml, &r->hs_lookup_res_u.ok.obj.fid, &d->r.fid))
		err = ENOENT;
	if (!err) {
		fo_take_attr(d, &r->hs_lookup_res_u.ok.dir);
		fo_note_rights(l->uid, &r->hs_lookup_res_u.ok.dir);
		o = fo_obj_by_fid(&r->hs_lookup_res_u.ok.obj.fid);
		if (o)
			fo_take_attr(o, &r->hs_lookup_res_u.ok.obj);
		else
			o = fo_obj_for_attr(&r->hs_lookup_res_u.ok.obj, 0);
		if (!o) {
			err = ENOMEM;
		} else {
			fo_dir_add(d, l->name, o);
			fo_note_rights(l->uid, &r->hs_lookup_res_u.ok.obj);
		}
	}
	lk_finish(l, err, o);
}

static void child_fresh(void *arg, int err, struct fso *o)
{
	lk_finish(arg, err, o);
}

static void ask_lookup(struct lk *l, struct fso *d);

static void lookup_in_dir(void *arg, int err, struct fso *d)
{
	struct lk *l = arg;
	uint64_t child;
	int ask = 0;

	if (!err && d->r.type != HS_FDIR)
		err = ENOTDIR;
	/* Rights not known for this user: vice answers (and tells them). */
	if (!err && (err = fo_rights_check(d, l->uid, HS_R_LOOKUP)) == EAGAIN) {
		err = 0;
		ask = 1;
	}
	if (err) {
		lk_finish(l, err, NULL);
		return;
	}
	/* A complete, current listing answers without vice, misses too. */
	/* Disconnected, the entries we know are all there is (a create that
	 * collides on vice is a create/create conflict at reintegration). */
	if (!ask && (fo_contents_current(d) || fo_dir_ours(d) || fo_offline(d->r.fid.volume))) {
		err = db_dirent_get(V->db, d->r.ino, l->name, &child);
		if (err == ENOENT) {
			lk_finish(l, ENOENT, NULL);
			return;
		}
		if (!err && fo_obj(child)) {
			fo_with_fresh(child, l->uid, child_fresh, l);
			return;
		}
	} else if (!ask && d->cml && db_dirent_get(V->db, d->r.ino, l->name, &child) == 0 &&
		   fo_obj(child)) {
		/* Logged changes in a directory never listed (made while
		 * disconnected): the names it knows are the log's; vice answers
		 * for the others (lookup_done). */
		fo_with_fresh(child, l->uid, child_fresh, l);
		return;
	}
	ask_lookup(l, d);
}

/* Our listing of d (fo_dir_ours) answers, once vice told the rights. */
static void lookup_cached(struct lk *l, struct fso *d)
{
	uint64_t child;
	int err = db_dirent_get(V->db, d->r.ino, l->name, &child);

	if (!err && !fo_obj(child))
		err = ENOENT;
	if (err) {
		lk_finish(l, err, NULL);
		return;
	}
	fo_with_fresh(child, l->uid, child_fresh, l);
}

static void ask_lookup(struct lk *l, struct fso *d)
{
	hs_lookup_args a;

	a.dir = d->r.fid;
	a.name = l->name;
	vr_call_as(a.dir.volume, l->uid, HS_LOOKUP, (xdrproc_t)xdr_hs_lookup_args, &a,
		    (xdrproc_t)xdr_hs_lookup_res, sizeof(hs_lookup_res), lookup_done, l);
}

/* Look up name in dir; k gets the child with current attributes. */
void fo_lookup_obj(uint64_t dir, const char *name, uid_t uid, fso_k k, void *arg)
{
	struct lk *l;
	int err = fo_check_cname(name);

	if (err) {
		k(arg, err, NULL);
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		k(arg, ENOMEM, NULL);
		return;
	}
	l->dir = dir;
	l->uid = uid;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->k = k;
	l->arg = arg;
	fo_with_fresh(dir, uid, lookup_in_dir, l);
}

/* Look up name in dir, as fo_lookup_obj, in the realm directory too
 * (fo_realm_lookup); the link stays what k gets (no crossing). */
void fo_lookup_entry(uint64_t dir, const char *name, uid_t uid, fso_k k, void *arg)
{
	if (dir == FSO_ROOT_INO) {
		int err = fo_check_cname(name);

		if (err)
			k(arg, err, NULL);
		else
			fo_realm_lookup(name, uid, k, arg);
		return;
	}
	fo_lookup_obj(dir, name, uid, k, arg);
}

void fso_lookup(uint64_t dir, const char *name, uid_t uid, fso_attr_cb cb, void *arg)
{
	struct acb *a = acb_new(cb, arg);

	if (!a)
		return;
	if (name && (!strcmp(name, ".") || !strcmp(name, ".."))) {
		fo_lookup_dots(dir, name[1] == '.', uid, acb_reply, a);
		return;
	}
	fo_lookup_cross(dir, name, uid, acb_reply, a);
}

