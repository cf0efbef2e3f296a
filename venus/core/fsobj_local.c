/*
 * fsobj_local.c - mutations while the volume is not strongly connected:
 * applied to the cached objects at once and appended to the CML (cml.h),
 * in one durable transaction, so that the caller's reply means the change
 * survives a crash.  New objects get local fids (HS_LOCAL_VNODE) and
 * fresh inos; reintegration (reint.c) gives them their server fids.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/util/util.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/store/spare.h"
#include "venus/log/cml.h"
#include "venus/log/volstate.h"

/* ---- the one decision point: send to vice, or log ---- */

int fo_offline(uint32_t lvol)
{
	return lvol != VR_LOCAL_VOL && vst_disconnected(vst_of(lvol));
}

int fo_trust_cache(const struct fso *o)
{
	return fo_offline(o->r.fid.volume) || o->cml || cml_is_local(&o->r.fid);
}

int fo_dir_ours(const struct fso *d)
{
	return d->r.type == HS_FDIR && d->r.has_data && fo_trust_cache(d);
}

void fo_take_attr(struct fso *o, const hs_attr *a)
{
	if (!fo_trust_cache(o))
		fo_apply_attr(o, a, 0);
}

int fo_must_log(const struct fso *a, const struct fso *b, const struct fso *c)
{
	/* The volume says log (not strongly connected, or older records wait
	 * and order must be kept), or an object involved has changes only
	 * the log knows: sending would put vice ahead of the log. */
	const struct fso *f = a ? a : b ? b : c;

	return vst_logging(vst_of(f ? f->r.fid.volume : 0)) || (a && fo_trust_cache(a)) ||
	       (b && fo_trust_cache(b)) || (c && fo_trust_cache(c));
}

int fo_log_needs_listing(const struct fso *d)
{
	/* Listed and ours already, or listed and current under a callback.
	 * Not listed but with logged changes (a chmod of it, or names
	 * changed while disconnected): fetched too, the listing then fills
	 * in only what the log does not speak for (fsobj_readdir.c). */
	if (!d || (d->r.has_data && (d->cml || (d->has_cb && fo_contents_current(d)))))
		return 0;
	return d->r.type == HS_FDIR && !fo_offline(d->r.fid.volume) && !cml_is_local(&d->r.fid);
}

/* The directory changed locally: its listing is ours now. */
/* The local user the fo_log_* call running is made for: its records
 * carry it (cml_append), and reintegration sends them as that user.  The
 * fo_log_* functions are synchronous, so one variable serves. */
static uid_t log_uid;
/* ... and the volume whose log it grows (its trickle is scheduled). */
static uint32_t log_vol;

static void touch_dir(struct fso *dir)
{
	dir->r.mtime = dir->r.ctime = vu_time_now();
	dir->cml = 1;
	fo_save(dir);
}

/* The version a record on o is checked against.  Not for directories:
 * their version moves with every entry (ours too), and vice checks what
 * matters for them itself (ENOTEMPTY, EEXIST). */
static uint64_t base_of(const struct fso *o)
{
	return o->r.type == HS_FDIR ? 0 : o->r.dataversion;
}

/* After the durable commit: schedule reintegration; on failure say so. */
static int logged(int err, const char *what)
{
	if (err)
		vlog(LOG_ERR, "CML: cannot log %s: %s", what, strerror(err));
	else
		vst_logged(vst_of(log_vol));
	return err;
}

void fo_cml_settle(struct fso *o)
{
	o->cml = cml_named(V->cml, &o->r.fid);
	fo_update_pin(o);
}

/* ---- store ---- */

/* Log a store of o's container; 0 or an errno, the caller says so. */
static int log_store(struct fso *o)
{
	char path[4096];
	hs_cml_rec rec;
	struct stat st;
	int fd, err;

	cache_path(o->r.ino, path, sizeof path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		vlog(LOG_ERR, "CML: container %s: %s", path, strerror(err));
		return err;
	}
	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_STORE;
	rec.hs_cml_rec_u.store.fid = o->r.fid;
	srv_new_storeid(&rec.hs_cml_rec_u.store.sid);
	rec.hs_cml_rec_u.store.size = (uint64_t)st.st_size;
	rec.hs_cml_rec_u.store.mtime.sec = st.st_mtim.tv_sec;
	rec.hs_cml_rec_u.store.mtime.nsec = (unsigned)st.st_mtim.tv_nsec;
	err = cml_append(V->cml, log_uid, &rec, &o->r.fid, NULL, o->r.ino, fd, o->r.data_dv, o->r.name);
	close(fd);
	if (!err) {
		o->written = 0;
		o->pending = 0;
		o->r.dirty = o->writers != 0;
		o->r.size = (uint64_t)st.st_size;
		o->r.mtime.sec = st.st_mtim.tv_sec;
		o->r.mtime.nsec = (unsigned)st.st_mtim.tv_nsec;
		o->cml = 1;
		fo_save(o);
		fo_update_pin(o);
	}
	return err;
}

int fo_log_store(struct fso *o)
{
	log_uid = fo_writer(o);
	log_vol = o->r.fid.volume;
	return logged(log_store(o), "a store");
}

/* Containers written by a venus that died before their close: the close's
 * store is logged now, so that vice and the other clients get the data at
 * the next reintegration (Coda discards such a container; Hesper keeps
 * it).  Whatever the connection state: the CML is how a store survives a
 * restart, and the trickle reintegrates it once vice is reached.  Runs
 * before the server is started, so it schedules nothing itself. */
void fso_log_dirty(void)
{
	unsigned n = 0, failed = 0;

	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			unsigned set = fo_set_pending(o);

			if (o->r.type != HS_FREG || !o->r.has_data || !o->r.dirty)
				continue;
			if (log_store(o) || fo_log_set(o, set)) {
				/* Kept dirty and pending: the next close stores it. */
				vlog(LOG_ERR, "cannot log the store of %s (ino %" PRIu64 ") left by"
				     " the last run; its data stays in its container until its"
				     " next close", o->r.name ? o->r.name : "?", o->r.ino);
				o->pending = 1;
				failed++;
				continue;
			}
			n++;
		}
	if (n || failed)
		vlog(LOG_NOTICE, "CML: %u containers written before the last run died are logged"
		     " as stores (%u could not be)", n, failed);
}

/* ---- setattr ---- */

int fo_log_setattr(struct fso *o, const struct fso_setattr *sa, uid_t uid)
{
	hs_cml_rec rec;
	hs_setattr_args *a = &rec.hs_cml_rec_u.setattr;
	int err;

	log_uid = uid;
	log_vol = o->r.fid.volume;
	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_SETATTR;
	a->fid = o->r.fid;
	srv_new_storeid(&a->sid);
	a->mask = sa->mask & ~(unsigned)HS_SET_SIZE;
	a->mode = sa->mode & 07777;
	a->uid = sa->uid;
	a->gid = sa->gid;
	if (a->mask & HS_SET_ATIME)
		a->atime = fo_to_hs_time(&sa->atime);
	if (a->mask & HS_SET_MTIME)
		a->mtime = fo_to_hs_time(&sa->mtime);
	if (!a->mask)
		return 0;
	if ((err = cml_begin(V->cml)))
		return logged(err, "a setattr");
	if (a->mask & HS_SET_MODE)
		o->r.mode = a->mode;
	if (a->mask & HS_SET_UID)
		o->r.uid = a->uid;
	if (a->mask & HS_SET_GID)
		o->r.gid = a->gid;
	if (a->mask & HS_SET_ATIME)
		o->r.atime = a->atime;
	if (a->mask & HS_SET_MTIME)
		o->r.mtime = a->mtime;
	o->r.ctime = vu_time_now();
	o->cml = 1;
	/* The row and the record commit together or not at all. */
	if (!(err = fo_save(o)))
		err = cml_append(V->cml, log_uid, &rec, &o->r.fid, NULL, o->r.ino, -1, base_of(o), o->r.name);
	return logged(cml_commit(V->cml, err), "a setattr");
}

/* ---- create, mkdir, symlink ---- */

/* sid if given (a retried call), else a fresh one. */
static void use_sid(hs_storeid *out, const hs_storeid *sid)
{
	if (sid)
		*out = *sid;
	else
		srv_new_storeid(out);
}

/* The new object's record: attributes we know, contents empty. */
static struct fso *local_obj(const hs_fid *fid, int type, mode_t mode, uid_t uid, gid_t gid,
			     const char *target, uint64_t rdev)
{
	struct fso *o = fo_new_obj(fid, type, 0);
	char path[4096];
	int fd;

	if (!o)
		return NULL;
	o->r.mode = mode & 07777;
	o->r.uid = uid;
	o->r.gid = gid;
	o->r.nlink = type == HS_FDIR ? 2 : 1;
	o->r.atime = o->r.mtime = o->r.ctime = vu_time_now();
	o->r.dataversion = o->r.data_dv = 1;
	o->r.has_data = 1;
	o->r.rdev = rdev;
	o->cml = 1;
	if (type == HS_FLNK) {
		o->r.target = strdup(target);
		o->r.size = strlen(target);
	} else if (type == HS_FREG) {
		cache_path(o->r.ino, path, sizeof path);
		/* A spare is empty and 0600 already: no inode to allocate,
		 * nothing to open. */
		if (spare_take(path) &&
		    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0)
			close(fd);
		cache_note(o->r.ino, 0, fo_now_us());
	}
	fo_save(o);
	return o;
}

/* May a name be made in dir?  As far as we know: a name vice has that we
 * never saw makes a create/create conflict at reintegration, nothing is
 * lost. */
static int name_free(struct fso *dir, const char *name)
{
	uint64_t child;

	return db_dirent_get(V->db, dir->r.ino, name, &child) == 0 ? EEXIST : 0;
}

/* What a logged create makes: the object's local record. */
struct new_obj {
	int         type;      /* hs_ftype */
	mode_t      mode;
	uid_t       uid;
	gid_t       gid;
	const char *target;    /* symlinks */
	uint64_t    rdev;      /* device nodes */
};

/* Log rec, which makes the object fid (n) in dir under name, and make
 * its local record. */
static int log_new(struct fso *dir, hs_cml_rec *rec, const hs_fid *fid,
		   const struct new_obj *n, const char *name, struct fso **out)
{
	struct fso *o;
	int err;

	if ((err = cml_begin(V->cml)))
		return logged(err, "a create");
	o = local_obj(fid, n->type, n->mode, n->uid, n->gid, n->target, n->rdev);
	if (!o)
		err = ENOMEM;
	if (!err) {
		fo_dir_add(dir, name, o);
		touch_dir(dir);
		err = cml_append(V->cml, log_uid, rec, fid, &dir->r.fid, o->r.ino, -1, 0, name);
	}
	if ((err = cml_commit(V->cml, err)) && o)
		fo_obj_gone(o);
	*out = err ? NULL : o;
	return logged(err, "a create");
}

int fo_log_create(struct fso *dir, uint32_t proc, const char *name, mode_t mode, uid_t uid,
		  gid_t gid, const char *target, const hs_storeid *sid, struct fso **out)
{
	hs_cml_rec rec;
	hs_create_args *a;
	struct new_obj n = { HS_FREG, mode, uid, gid, target, 0 };
	hs_fid fid;
	int err = name_free(dir, name);

	if (err)
		return err;
	log_uid = uid;
	log_vol = dir->r.fid.volume;
	memset(&rec, 0, sizeof rec);
	rec.op = proc == HS_MKDIR ? HS_OP_MKDIR : proc == HS_SYMLINK ? HS_OP_SYMLINK : HS_OP_CREATE;
	if (rec.op == HS_OP_SYMLINK) {
		hs_symlink_args *s = &rec.hs_cml_rec_u.symlink.a;

		use_sid(&s->sid, sid);
		cml_local_fid(dir->r.fid.volume, s->sid.seq, &fid);
		rec.hs_cml_rec_u.symlink.local = fid;
		*s = (hs_symlink_args){ dir->r.fid, s->sid, (char *)name, (char *)target, uid, gid,
					vu_time_now() };
	} else {
		a = rec.op == HS_OP_MKDIR ? &rec.hs_cml_rec_u.mkdir.a : &rec.hs_cml_rec_u.create.a;
		use_sid(&a->sid, sid);
		cml_local_fid(dir->r.fid.volume, a->sid.seq, &fid);
		rec.hs_cml_rec_u.create.local = fid;   /* same layout for mkdir */
		*a = (hs_create_args){ dir->r.fid, a->sid, (char *)name, mode & 07777, uid, gid,
				       vu_time_now() };
	}
	if (rec.op != HS_OP_CREATE)
		n.type = rec.op == HS_OP_MKDIR ? HS_FDIR : HS_FLNK;
	return log_new(dir, &rec, &fid, &n, name, out);
}

int fo_log_mknod(struct fso *dir, const char *name, int type, mode_t mode, uint64_t rdev,
		 uid_t uid, gid_t gid, const hs_storeid *sid, struct fso **out)
{
	hs_cml_rec rec;
	hs_mknod_args *a = &rec.hs_cml_rec_u.mknod.a;
	struct new_obj n;
	hs_fid fid;
	int err = name_free(dir, name);

	if (err)
		return err;
	log_uid = uid;
	log_vol = dir->r.fid.volume;
	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_MKNOD;
	use_sid(&a->sid, sid);
	cml_local_fid(dir->r.fid.volume, a->sid.seq, &fid);
	rec.hs_cml_rec_u.mknod.local = fid;
	*a = (hs_mknod_args){ dir->r.fid, a->sid, (char *)name, (hs_ftype)type, mode & 07777,
			      uid, gid, rdev, vu_time_now() };
	n = (struct new_obj){ type, mode, uid, gid, NULL, rdev };
	return log_new(dir, &rec, &fid, &n, name, out);
}

/* ---- link, remove, rename ---- */


int fo_log_link(struct fso *dir, const char *name, struct fso *o, uid_t uid,
		const hs_storeid *sid)
{
	hs_cml_rec rec;
	hs_link_args *a = &rec.hs_cml_rec_u.link;
	int err = name_free(dir, name);

	if (err)
		return err;
	log_uid = uid;
	log_vol = dir->r.fid.volume;
	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_LINK;
	a->dir = dir->r.fid;
	use_sid(&a->sid, sid);
	a->name = (char *)name;
	a->target = o->r.fid;
	if ((err = cml_begin(V->cml)))
		return logged(err, "a link");
	db_dirent_put(V->db, dir->r.ino, name, o->r.ino);
	o->r.nlink++;
	o->cml = 1;
	touch_dir(dir);
	if (!(err = fo_save(o)))
		err = cml_append(V->cml, log_uid, &rec, &o->r.fid, &dir->r.fid, o->r.ino, -1, base_of(o), name);
	return logged(cml_commit(V->cml, err), "a link");
}

/* The last name of an object created in the log: its records go, and so
 * does the remove (identity cancellation). */
static int cancel_identity(struct fso *dir, const char *name, struct fso *o)
{
	int err = cml_begin(V->cml);

	if (err)
		return err;
	err = cml_drop_obj(V->cml, &o->r.fid);
	if (!err) {
		fo_dir_del(dir, name);
		touch_dir(dir);
		o->cml = 0;
		fo_obj_gone(o);
	}
	return cml_commit(V->cml, err);
}

static int dir_empty(void *arg, const char *name, uint64_t child)
{
	*(int *)arg = 0;
	return 1;
}

/* The remove of name (o) in dir with store id sid, in the caller's
 * transaction if one is open. */
static int log_remove(struct fso *dir, const char *name, struct fso *o, int isdir,
		      const hs_storeid *sid)
{
	hs_cml_rec rec;
	hs_remove_args *a = isdir ? &rec.hs_cml_rec_u.rmdir : &rec.hs_cml_rec_u.remove;
	int err = 0, empty = 1;

	if (isdir) {
		db_dirent_foreach(V->db, o->r.ino, dir_empty, &empty);
		if (!empty)
			return ENOTEMPTY;
	}
	if ((isdir || o->r.nlink <= 1) && cml_identity_cancellable(V->cml, &o->r.fid))
		return logged(cancel_identity(dir, name, o), "a cancellation");
	memset(&rec, 0, sizeof rec);
	rec.op = isdir ? HS_OP_RMDIR : HS_OP_REMOVE;
	a->dir = dir->r.fid;
	a->sid = *sid;
	a->name = (char *)name;
	a->obj = o->r.fid;
	if ((err = cml_begin(V->cml)))
		return logged(err, "a remove");
	err = cml_append(V->cml, log_uid, &rec, &o->r.fid, &dir->r.fid, o->r.ino, -1, base_of(o), name);
	if (!err) {
		fo_dir_del(dir, name);
		touch_dir(dir);
		if (!isdir && o->r.nlink > 1) {
			o->r.nlink--;
			fo_save(o);
		} else {
			o->cml = 0;   /* nothing to serve any more */
			fo_obj_gone(o);
		}
	}
	return logged(cml_commit(V->cml, err), "a remove");
}

int fo_log_remove(struct fso *dir, const char *name, struct fso *o, int isdir, uid_t uid,
		  const hs_storeid *sid)
{
	hs_storeid id;

	log_uid = uid;
	log_vol = dir->r.fid.volume;
	use_sid(&id, sid);
	return log_remove(dir, name, o, isdir, &id);
}

/* The rename record itself, inside the caller's transaction. */
static int log_rename_rec(struct fso *sd, const char *name, struct fso *dd,
			  const char *newname, struct fso *o, const hs_storeid *sid)
{
	hs_cml_rec rec;
	hs_rename_args *a = &rec.hs_cml_rec_u.rename;
	int err;

	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_RENAME;
	*a = (hs_rename_args){ sd->r.fid, (char *)name, dd->r.fid, (char *)newname,
			       *sid, o->r.fid, 0 };
	err = cml_append(V->cml, log_uid, &rec, &o->r.fid, &sd->r.fid, o->r.ino, -1, base_of(o), newname);
	if (!err) {
		fo_dir_del(sd, name);
		fo_dir_add(dd, newname, o);
		touch_dir(sd);
		touch_dir(dd);
		o->cml = 1;
		fo_save(o);
	}
	return err;
}

int fo_log_rename(struct fso *sd, const char *name, struct fso *dd, const char *newname,
		  struct fso *o, uid_t uid, const hs_storeid *sid)
{
	hs_storeid rsid, vsid;
	uint64_t victim;
	struct fso *v = NULL;
	int err;

	log_uid = uid;
	log_vol = sd->r.fid.volume;
	if (db_dirent_get(V->db, dd->r.ino, newname, &victim) == 0 &&
	    (v = fo_obj(victim)) == o)
		v = NULL;
	/* Store ids first: their reservation must not ride in (and be rolled
	 * back with) the transaction below. */
	srv_new_storeid(&vsid);
	use_sid(&rsid, sid);
	/* The victim's removal and the rename are one change: a death between
	 * them must not leave the old name gone and the new one not there. */
	if ((err = cml_begin(V->cml)))
		return logged(err, "a rename");
	if (v)
		err = log_remove(dd, newname, v, v->r.type == HS_FDIR, &vsid);
	if (!err)
		err = log_rename_rec(sd, name, dd, newname, o, &rsid);
	return logged(cml_commit(V->cml, err), "a rename");
}

/* ---- reintegration's results ---- */

/* o's row, its fid just changed by fo_refid (moved) or not. */
static void save_as(struct fso *o, int moved)
{
	if (moved)
		fo_save_moved(o);
	else
		fo_save(o);
}

void fso_reint_applied(const struct cml_row *row, const hs_reint_result *res)
{
	struct fso *o = fo_obj_by_fid(&row->obj), *d;
	const hs_attr *a = &res->obj;
	int moved = 0;

	if (!o && cml_is_local(&row->obj))
		o = fo_obj_by_fid(&a->fid);
	if (o && cml_is_local(&o->r.fid) && !cml_is_local(&a->fid) &&
	    (row->op == HS_OP_CREATE || row->op == HS_OP_MKDIR || row->op == HS_OP_SYMLINK ||
	     row->op == HS_OP_MKNOD)) {
		cml_refid(V->cml, &o->r.fid, &a->fid, o->r.type == HS_FDIR);
		fo_refid(o, &a->fid);
		moved = 1;
	}
	if (row->dir.vnode && (d = fo_obj_by_fid(&row->dir)))
		d->has_cb = 0;   /* its version moved on vice: ask again */
	/* The rights the record's user has there (a directory made offline:
	 * its own ACL, learnt only now). */
	if (a->type && !cml_is_local(&a->fid))
		fo_note_rights(row->uid, a);
	if (!o || memcmp(&o->r.fid, &a->fid, sizeof(hs_fid)))
		return;
	/* A duplicate whose object is gone on vice carries only the fid: no
	 * version to rebase on (0 would turn the version checks off). */
	if (!a->type) {
		vlog(LOG_WARNING, "record %" PRIu64 " was applied, but %u.%u.%u is gone on vice;"
		     " its later records keep their base", row->seq, a->fid.volume, a->fid.vnode,
		     a->fid.unique);
		save_as(o, moved);   /* its new fid, if fo_refid gave it one */
		return;
	}
	/* reint.c rebases the later records on a->dataversion right after
	 * this returns (for objects not in memory too): once per record.
	 * The object stays as the CML made it (o->cml) until the block's
	 * settle (fso_cml_settle_inos) asks whether a record still names
	 * it: keep our view, learn the version.  (This asked cml_named here,
	 * and the applied row itself, deleted only after, always answered
	 * yes.)  A rename, link or setattr moves vice's version without
	 * touching the data, so a container that held the version it was
	 * applied to holds the new one: a store logged later is based on it,
	 * else it would be refused as update/update although nobody else
	 * wrote. */
	if (row->op == HS_OP_STORE || o->r.type != HS_FREG ||
	    o->r.data_dv == o->r.dataversion)
		o->r.data_dv = a->dataversion;
	o->r.dataversion = a->dataversion;
	save_as(o, moved);
}

/* A row's directory fid is set (namespace records only). */
static int has_dir_fid(const hs_fid *f)
{
	return f->vnode || f->unique;
}

void fso_cml_settle(void)
{
	/* An empty CML names nothing: no query per cached object. */
	int empty = cml_count(V->cml) == 0;

	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (o->cml || cml_is_local(&o->r.fid)) {
				if (empty) {
					o->cml = 0;
					fo_update_pin(o);
				} else {
					fo_cml_settle(o);
				}
			}
	for (size_t i = 0; !empty && i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (!o->cml && cml_named(V->cml, &o->r.fid))
				fo_cml_settle(o);
}

void fso_row_inos(const struct cml_row *row, uint64_t inos[2])
{
	struct fso *o = fo_obj_by_fid(&row->obj);
	struct fso *d = has_dir_fid(&row->dir) ? fo_obj_by_fid(&row->dir) : NULL;

	inos[0] = o ? o->r.ino : row->ino;
	inos[1] = d ? d->r.ino : 0;
}

void fso_cml_settle_inos(const uint64_t *inos, size_t n)
{
	struct fso *o;

	for (size_t i = 0; i < n; i++)
		if (inos[i] && (o = fo_obj(inos[i])))
			fo_cml_settle(o);
}

/* A record of row's object was refused: stop trusting our copies of the
 * object and its directory, so that the server's version shows. */
void fso_conflict_refetch(const struct cml_row *row)
{
	struct fso *o = fo_obj_by_fid(&row->obj);
	hs_fid dfid = row->dir;
	struct fso *d = dfid.vnode ? fo_obj_by_fid(&dfid) : NULL;

	if (o && d && row->name[0])
		fo_dir_del(d, row->name);   /* the server's entry, if any, wins */
	if (o && !cml_is_local(&o->r.fid)) {
		o->cml = 0;
		o->has_cb = 0;
		o->written = o->pending = 0;
		o->r.dirty = 0;
		o->r.data_dv = 0;
		fo_save(o);
		fo_update_pin(o);
		front_inval_inode(o->r.ino);
	}
	if (d) {
		d->cml = 0;
		d->has_cb = 0;
		d->r.data_dv = 0;
		fo_save(d);
		front_inval_inode(d->r.ino);
		front_inval_entry(d->r.ino, row->name);
	}
}

void fso_row_path(const struct cml_row *row, char *buf, size_t len)
{
	struct fso *d = row->dir.vnode ? fo_obj_by_fid(&row->dir) : NULL;
	struct fso *o = fo_obj_by_fid(&row->obj);
	char dp[4096];

	if (d && row->name[0]) {
		fo_path_of(d, dp, sizeof dp);
		snprintf(buf, len, "%s/%s", strcmp(dp, "/") ? dp : "", row->name);
		return;
	}
	if (!o)
		o = fo_obj(row->ino);
	if (o)
		fo_path_of(o, buf, len);
	else
		buf[0] = '\0';
	if (!buf[0]) {
		/* Gone from the cache: its name under its volume's root (the
		 * best guess; under /coda the realm comes first). */
		fo_volume_path(row->obj.volume, dp, sizeof dp);
		snprintf(buf, len, "%s/%s", strcmp(dp, "/") ? dp : "", row->name);
	}
}

/* Drop a local object whose records were discarded. */
void fso_local_discarded(const hs_fid *fid)
{
	struct fso *o = fo_obj_by_fid(fid);

	if (o && cml_is_local(fid)) {
		o->cml = 0;
		fo_obj_gone(o);
	} else if (o) {
		fo_cml_settle(o);
	}
}
