/*
 * fsobj_readdir.c - directory listings (paged HS_READDIR, cached as
 * dirent rows) and symlink targets.
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
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"

/* ================================================================ */
/* readdir                                                           */
/* ================================================================ */

struct rd_ent {
	char   *name;
	hs_fid  fid;
	int     type;
};

struct rd {
	uint64_t        ino;
	uid_t           uid;
	uint64_t        cookie;
	uint64_t        dv;       /* version the pages come from */
	int             started;
	int             asked;    /* an HS_GETATTR for the caller's rights went */
	unsigned        restarts;
	struct rd_ent  *ents;
	size_t          n, cap;
	fso_readdir_cb  cb;
	void           *arg;
};

static void rd_clear(struct rd *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->ents[i].name);
	r->n = 0;
}

static void rd_free(struct rd *r)
{
	rd_clear(r);
	free(r->ents);
	free(r);
}

struct rd_list {
	struct fso_dirent *v;
	size_t             n, cap;
	int                err;
	uint64_t           dir;
};

static int rd_collect(void *arg, const char *name, uint64_t child)
{
	struct rd_list *l = arg;
	struct fso *c = fo_obj(child);
	struct fso_dirent *e;

	if (!c)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct fso_dirent *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = ENOMEM;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	e->ino = child;
	e->type = fo_type_bits(c->r.type);
	if (fso_is_mountpoint_attr(c->r.type, c->r.mode)) {
		/* A mount point lists as the directory it leads to. */
		uint64_t root = fo_mount_root_of(l->dir, name);

		e->type = S_IFDIR;
		e->ino = root ? root : child;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

/* Answer from the cached entries of a current directory. */
static void rd_reply_cached(struct fso *d, fso_readdir_cb cb, void *arg)
{
	struct rd_list l = { NULL, 0, 0, 0, d->r.ino };
	int err = db_dirent_foreach(V->db, d->r.ino, rd_collect, &l);

	if (!err)
		err = l.err;
	cb(arg, err, err ? NULL : l.v, err ? 0 : l.n);
	free(l.v);
}

/* Is vice's entry e of d overridden by the log?  d has logged changes
 * but was never listed (changed while disconnected): a name it knows is
 * the log's (made, renamed to or looked up), and one whose object the log
 * removed or renamed away is gone, whatever vice still lists. */
static int rd_logged_over(struct fso *d, const struct rd_ent *e)
{
	uint64_t child;

	return d->cml && (db_dirent_get(V->db, d->r.ino, e->name, &child) == 0 ||
			  cml_gone_from(V->cml, &e->fid, &d->r.fid));
}

/* The whole listing arrived: it replaces the cached entries (in a
 * directory with logged changes it fills in the names the log does not
 * speak for), in one transaction.  0, or the errno of a failed begin or
 * commit: then the directory is not complete in venus.db and is listed
 * again next time. */
static int rd_install(struct rd *r, struct fso *d)
{
	size_t i;
	int err = db_begin(V->db);

	if (err)
		return err;
	if (!d->cml)
		db_dirent_clear(V->db, d->r.ino);
	for (i = 0; i < r->n; i++) {
		struct rd_ent *e = &r->ents[i];
		struct fso *c = fo_obj_by_fid(&e->fid);

		if (rd_logged_over(d, e))
			continue;
		if (!c && !(c = fo_new_obj(&e->fid, e->type, 0)))
			continue;
		fo_dir_add(d, e->name, c);
	}
	d->r.has_data = 1;
	d->r.data_dv = r->dv;
	fo_save(d);
	if ((err = db_commit(V->db)))
		d->r.has_data = 0;
	return err;
}

static void rd_page(struct rd *r);

static int rd_take(struct rd *r, const hs_readdir_ok *ok)
{
	u_int i;

	for (i = 0; i < ok->entries.entries_len; i++) {
		const hs_dirent *de = &ok->entries.entries_val[i];

		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 128;
			struct rd_ent *v = realloc(r->ents, cap * sizeof(*v));

			if (!v)
				return ENOMEM;
			r->ents = v;
			r->cap = cap;
		}
		if (!(r->ents[r->n].name = strdup(de->name)))
			return ENOMEM;
		r->ents[r->n].fid = de->fid;
		r->ents[r->n].type = de->type;
		r->n++;
	}
	return 0;
}

static void readdir_done(void *arg, int err, void *res)
{
	struct rd *r = arg;
	hs_readdir_res *res_ = res;
	struct fso *d = fo_obj(r->ino);
	/* res is NULL when the call failed (err set). */
	const hs_readdir_ok *ok = res_ ? &res_->hs_readdir_res_u.ok : NULL;

	if (!err && res_->status)
		err = res_->status;
	if (!err && !d)
		err = ESTALE;
	if (!err && fo_dir_ours(d)) {
		/* Asked only for the caller's rights (readdir_fresh): the
		 * listing stays ours until the log is reintegrated. */
		fo_note_rights(r->uid, &ok->dir);
		rd_reply_cached(d, r->cb, r->arg);
		rd_free(r);
		return;
	}
	if (!err && r->started && ok->dir.dataversion != r->dv) {
		/* The directory changed between pages: start over. */
		if (++r->restarts > FETCH_RESTARTS)
			err = EAGAIN;
		rd_clear(r);
		r->started = 0;
		r->cookie = 0;
	} else if (!err) {
		r->started = 1;
		r->dv = ok->dir.dataversion;
		fo_take_attr(d, &ok->dir);
		fo_note_rights(r->uid, &ok->dir);
		err = rd_take(r, ok);
		r->cookie = ok->cookie;
		if (!err && ok->eof && !(err = rd_install(r, d))) {
			rd_reply_cached(d, r->cb, r->arg);
			rd_free(r);
			return;
		}
	}
	if (err) {
		r->cb(r->arg, err, NULL, 0);
		rd_free(r);
		return;
	}
	rd_page(r);
}

static void rd_page(struct rd *r)
{
	struct fso *d = fo_obj(r->ino);
	hs_readdir_args a;

	if (!d) {
		r->cb(r->arg, ESTALE, NULL, 0);
		rd_free(r);
		return;
	}
	a.dir = d->r.fid;
	a.cookie = r->cookie;
	a.count = HS_READDIR_MAX;
	vr_call_as(a.dir.volume, r->uid, HS_READDIR, (xdrproc_t)xdr_hs_readdir_args, &a,
		    (xdrproc_t)xdr_hs_readdir_res, sizeof(hs_readdir_res), readdir_done, r);
}

static void readdir_fresh(void *arg, int err, struct fso *d)
{
	struct rd *r = arg;
	int ask = 0;

	if (!err && d->r.type != HS_FDIR)
		err = ENOTDIR;
	/* Rights not known for this user: vice answers (and tells them). */
	if (!err && (err = fo_rights_check(d, r->uid, HS_R_LOOKUP)) == EAGAIN) {
		err = 0;
		ask = 1;
	}
	if (err) {
		r->cb(r->arg, err, NULL, 0);
		rd_free(r);
		return;
	}
	d->r.last_used = fo_now_us();
	if (ask && !r->asked && d->has_cb && fo_contents_current(d) && !fo_dir_ours(d)) {
		/* Only the caller's rights are unknown (a new token, a
		 * restart): one HS_GETATTR as the caller tells them, and the
		 * listing, current under a promise, is served from the cache
		 * instead of being listed again page by page. */
		r->asked = 1;
		fo_getattr_as(d->r.ino, r->uid, readdir_fresh, r);
		return;
	}
	if (!ask && (fo_contents_current(d) || fo_dir_ours(d))) {
		rd_reply_cached(d, r->cb, r->arg);
		rd_free(r);
		return;
	}
	rd_page(r);
}

void fso_readdir(uint64_t dir, uid_t uid, fso_readdir_cb cb, void *arg)
{
	struct rd *r = calloc(1, sizeof(*r));

	if (!r) {
		cb(arg, ENOMEM, NULL, 0);
		return;
	}
	if (dir == FSO_ROOT_INO) {
		free(r);
		fo_realm_readdir(cb, arg);
		return;
	}
	r->ino = dir;
	r->uid = uid;
	r->cb = cb;
	r->arg = arg;
	fo_with_fresh(dir, uid, readdir_fresh, r);
}

/* ================================================================ */
/* readlink                                                          */
/* ================================================================ */

struct rl {
	uint64_t        ino;
	uid_t           uid;
	fso_readlink_cb cb;
	void           *arg;
};

static void readlink_done(void *arg, int err, void *res)
{
	struct rl *l = arg;
	hs_readlink_res *r = res;
	struct fso *o = fo_obj(l->ino);

	if (!err && r->status)
		err = r->status;
	if (!err && !o)
		err = ESTALE;
	if (!err) {
		char *t = strdup(r->hs_readlink_res_u.target);

		if (t) {
			free(o->r.target);
			o->r.target = t;
			o->r.has_data = 1;
			o->r.data_dv = o->r.dataversion;
			fo_save(o);
		}
		l->cb(l->arg, 0, r->hs_readlink_res_u.target);
	} else {
		l->cb(l->arg, err, NULL);
	}
	free(l);
}

static void readlink_fresh(void *arg, int err, struct fso *o)
{
	struct rl *l = arg;

	if (!err && o->r.type != HS_FLNK)
		err = EINVAL;
	if (err || ((fo_contents_current(o) || fo_trust_cache(o)) && o->r.target)) {
		l->cb(l->arg, err, err ? NULL : o->r.target);
		free(l);
		return;
	}
	vr_call_as(o->r.fid.volume, l->uid, HS_READLINK, (xdrproc_t)xdr_hs_fid, &o->r.fid,
		    (xdrproc_t)xdr_hs_readlink_res, sizeof(hs_readlink_res), readlink_done, l);
}

void fso_readlink(uint64_t ino, uid_t uid, fso_readlink_cb cb, void *arg)
{
	struct rl *l = malloc(sizeof(*l));

	if (!l) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	l->ino = ino;
	l->uid = uid;
	l->cb = cb;
	l->arg = arg;
	fo_with_fresh(ino, uid, readlink_fresh, l);
}

