/*
 * fsobj_dir.c - name-changing operations: create, mkdir, mknod, symlink,
 * link, unlink, rmdir, rename.
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
#include "venus/util/util.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/store/spare.h"

/* ================================================================ */
/* Directory operations                                              */
/* ================================================================ */

/* One name-changing operation in flight. */
struct dop {
	uint32_t    proc;
	uint64_t    dir, ino, newdir;
	char        name[HS_MAXNAMELEN + 1];
	char        newname[HS_MAXNAMELEN + 1];
	char       *target;
	mode_t      mode;
	uid_t       uid;        /* the caller (and a new object's owner) */
	gid_t       gid;
	int         type;       /* mknod: hs_ftype */
	uint64_t    rdev;       /* mknod of a device: dev_t */
	fso_attr_cb acb;
	fso_err_cb  ecb;
	void       *arg;
	hs_storeid  sid;        /* of the call sent to vice */
	unsigned    listed;     /* listings fetched before logging (dop_listing) */
};

static void dop_reply(struct dop *d, int err, struct fso *o)
{
	struct fso_attr at;

	if (d->acb) {
		if (!err && o) {
			fo_fill_attr(o, &at);
			if (d->proc == HS_CREATE || d->proc == HS_MKDIR || d->proc == HS_SYMLINK ||
			    d->proc == HS_MKNOD)
				fo_zone_attr(d->acb, d->arg, &at);   /* grew the log */
			else
				d->acb(d->arg, 0, &at);
		} else {
			d->acb(d->arg, err ? err : EIO, NULL);
		}
	} else {
		d->ecb(d->arg, err);
	}
	free(d->target);
	free(d);
}

static struct dop *dop_new(uint32_t proc, uint64_t dir, const char *name,
			   fso_attr_cb acb, fso_err_cb ecb, void *arg)
{
	struct dop *d;
	int err = fo_check_cname(name);

	/* The realm directory is venus's own and read-only (Coda's too). */
	if (!err && dir == FSO_ROOT_INO)
		err = EACCES;
	if (!err && !(d = calloc(1, sizeof(*d))))
		err = ENOMEM;
	if (err) {
		if (acb)
			acb(arg, err, NULL);
		else
			ecb(arg, err);
		return NULL;
	}
	d->proc = proc;
	d->dir = dir;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->acb = acb;
	d->ecb = ecb;
	d->arg = arg;
	return d;
}

/* A new object's contents are known at once: empty file, empty
 * directory, or the target we sent. */
static void new_contents(struct dop *d, struct fso *o)
{
	o->r.has_data = 1;
	o->r.data_dv = o->r.dataversion;
	if (o->r.type == HS_FREG) {
		char path[4096];
		int fd;

		cache_path(o->r.ino, path, sizeof(path));
		spare_take(path);   /* no inode to allocate if one is kept */
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			o->r.has_data = 0;
		else
			close(fd);
		if (fd >= 0)
			cache_note(o->r.ino, 0, fo_now_us());
	} else if (o->r.type == HS_FLNK && d->target) {
		free(o->r.target);
		o->r.target = d->target;
		d->target = NULL;
	} else if (o->r.type == HS_FDIR) {
		db_dirent_clear(V->db, o->r.ino);
	}
	fo_save(o);
}

/* vice went away during the call: log the change instead, with the call's
 * store id (vice may have applied it; reintegration then finds it done).
 * A change that can be logged is never lost nor reported as an error.
 * Returns the result to reply with; *out the object for create/link. */
static int dop_log_instead(struct dop *d, int err, struct fso **out)
{
	struct fso *dir = fo_obj(d->dir), *o = fo_obj(d->ino);
	struct fso *dd = fo_obj(d->newdir);

	*out = NULL;
	vlog(LOG_WARNING, "%s of %s failed (%s): logged for reintegration",
	     d->proc == HS_RENAME ? "rename" : d->proc == HS_LINK ? "link" :
	     d->proc == HS_REMOVE || d->proc == HS_RMDIR ? "remove" : "create", d->name,
	     strerror(err));
	switch (d->proc) {
	case HS_MKNOD:
		return dir ? fo_log_mknod(dir, d->name, d->type, d->mode, d->rdev, d->uid,
					  d->gid, &d->sid, out) : err;
	case HS_CREATE: case HS_MKDIR: case HS_SYMLINK:
		return dir ? fo_log_create(dir, d->proc, d->name, d->mode, d->uid, d->gid,
					   d->target, &d->sid, out) : err;
	case HS_LINK:
		if (!dd || !o)
			return err;
		*out = o;
		return fo_log_link(dd, d->newname, o, d->uid, &d->sid);
	case HS_REMOVE: case HS_RMDIR:
		return dir && o ? fo_log_remove(dir, d->name, o, d->proc == HS_RMDIR, d->uid,
						&d->sid)
				: err;
	case HS_RENAME:
		return dir && dd && o ? fo_log_rename(dir, d->name, dd, d->newname, o, d->uid,
						      &d->sid)
				      : err;
	}
	return err;
}

/* The reply to a failed call: logged instead when vice went away. */
/* Rights the caller needs on dir (Coda's); not known while vice is
 * reachable: vice, called as the caller, decides. */
static int dop_rights(const struct dop *d, struct fso *dir, unsigned need)
{
	int err = fo_rights_check(dir, d->uid, need);

	return err == EAGAIN ? 0 : err;
}

static void dop_failed(struct dop *d, int err)
{
	struct fso *o = NULL;

	if (vu_net_error(err))
		err = dop_log_instead(d, err, &o);
	dop_reply(d, err, err ? NULL : o);
}

static void create_send(void *arg, int err, struct fso *dir);
static void link_send(void *arg, int err, struct fso *dir);
static void remove_send(void *arg, int err, struct fso *o);
static void rename_send(void *arg, int err, struct fso *o);

/* The listing is in (or could not be had: the change is then logged
 * against the names known, as offline): the operation starts again from
 * its directory, or from the lookup of its victim. */
static void dop_listed(void *arg, int err, const struct fso_dirent *ents, size_t n)
{
	struct dop *d = arg;

	(void)ents;
	(void)n;
	if (err)
		vlog(LOG_INFO, "listing of directory %" PRIu64 " before a logged change: %s",
		     d->proc == HS_LINK ? d->newdir : d->dir, strerror(err));
	switch (d->proc) {
	case HS_LINK:
		fo_with_obj(d->newdir, 0, d->uid, link_send, d);
		return;
	case HS_REMOVE: case HS_RMDIR:
		fo_lookup_obj(d->dir, d->name, d->uid, remove_send, d);
		return;
	case HS_RENAME:
		fo_lookup_obj(d->dir, d->name, d->uid, rename_send, d);
		return;
	default:
		fo_with_obj(d->dir, 0, d->uid, create_send, d);
	}
}

/* A change about to be logged in dir: fetch dir's whole listing first
 * when it needs one (fo_log_needs_listing); 1 if so (the operation goes on
 * in dop_listed).  Bounded: a rename may fetch both of its directories. */
static int dop_listing(struct dop *d, struct fso *dir)
{
	if (d->listed >= 2 || !fo_log_needs_listing(dir))
		return 0;
	d->listed++;
	fso_readdir(dir->r.ino, d->uid, dop_listed, d);
	return 1;
}

static void create_done(void *arg, int err, void *res)
{
	struct dop *d = arg;
	hs_create_res *r = res;
	struct fso *dir = fo_obj(d->proc == HS_LINK ? d->newdir : d->dir), *o = NULL;
	int fresh;

	if (!err && r->status)
		err = r->status;
	if (!err && !dir)
		err = ESTALE;
	if (err) {
		dop_failed(d, err);
		return;
	}
	fo_apply_attr(dir, &r->hs_create_res_u.ok.dir, 1);
	fo_note_rights(d->uid, &r->hs_create_res_u.ok.dir);
	fresh = !fo_obj_by_fid(&r->hs_create_res_u.ok.obj.fid);
	o = fo_obj_for_attr(&r->hs_create_res_u.ok.obj, 1);
	if (!o) {
		dop_reply(d, ENOMEM, NULL);
		return;
	}
	if (fresh && d->proc != HS_LINK)
		new_contents(d, o);
	fo_dir_add(dir, d->proc == HS_LINK ? d->newname : d->name, o);
	fo_note_rights(d->uid, &r->hs_create_res_u.ok.obj);   /* a new dir's own ACL */
	dop_reply(d, 0, o);
}

static void mknod_send(struct dop *d, struct fso *dir)
{
	hs_mknod_args m;

	memset(&m, 0, sizeof(m));
	m.dir = dir->r.fid;
	srv_new_storeid(&d->sid);
	m.sid = d->sid;
	m.name = d->name;
	m.type = (hs_ftype)d->type;
	m.mode = d->mode & 07777;
	m.uid = d->uid;
	m.gid = d->gid;
	m.rdev = d->rdev;
	m.mtime = vu_time_now();
	vr_call_as(m.dir.volume, d->uid, HS_MKNOD, (xdrproc_t)xdr_hs_mknod_args, &m,
		 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
}

static void create_send(void *arg, int err, struct fso *dir)
{
	struct dop *d = arg;
	hs_create_args c;
	hs_symlink_args s;

	if (!err && dir->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err)
		err = dop_rights(d, dir, HS_R_INSERT);
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	if (fo_must_log(dir, NULL, NULL)) {
		struct fso *o = NULL;

		if (dop_listing(d, dir))
			return;
		err = d->proc == HS_MKNOD ?
			fo_log_mknod(dir, d->name, d->type, d->mode, d->rdev, d->uid, d->gid,
				     NULL, &o) :
			fo_log_create(dir, d->proc, d->name, d->mode, d->uid, d->gid, d->target,
				      NULL, &o);
		dop_reply(d, err, o);
		return;
	}
	if (d->proc == HS_MKNOD) {
		mknod_send(d, dir);
		return;
	}
	if (d->proc == HS_SYMLINK) {
		memset(&s, 0, sizeof(s));
		s.dir = dir->r.fid;
		srv_new_storeid(&d->sid);
		s.sid = d->sid;
		s.name = d->name;
		s.target = d->target;
		s.uid = d->uid;
		s.gid = d->gid;
		s.mtime = vu_time_now();
		vr_call_as(s.dir.volume, d->uid, HS_SYMLINK, (xdrproc_t)xdr_hs_symlink_args, &s,
			 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.dir = dir->r.fid;
	srv_new_storeid(&d->sid);
	c.sid = d->sid;
	c.name = d->name;
	c.mode = d->mode & 07777;
	c.uid = d->uid;
	c.gid = d->gid;
	c.mtime = vu_time_now();
	vr_call_as(c.dir.volume, d->uid, d->proc, (xdrproc_t)xdr_hs_create_args, &c,
		 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
}

/* create and mkdir: proc is HS_CREATE or HS_MKDIR. */
static void make_node(uint32_t proc, uint64_t dir, const char *name, mode_t mode, uid_t uid,
		      gid_t gid, fso_attr_cb cb, void *arg)
{
	struct dop *d = dop_new(proc, dir, name, cb, NULL, arg);

	if (!d)
		return;
	d->mode = mode;
	d->uid = uid;
	d->gid = gid;
	fo_with_obj(dir, 0, uid, create_send, d);
}

void fso_create(uint64_t dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
		fso_attr_cb cb, void *arg)
{
	fso_room(0);   /* venus.db needs a little room: clean copies go first */
	make_node(HS_CREATE, dir, name, mode, uid, gid, cb, arg);
}

void fso_mkdir(uint64_t dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
	       fso_attr_cb cb, void *arg)
{
	make_node(HS_MKDIR, dir, name, mode, uid, gid, cb, arg);
}

void fso_mknod(uint64_t dir, const char *name, mode_t mode, uint64_t rdev, uid_t uid,
	       gid_t gid, fso_attr_cb cb, void *arg)
{
	struct dop *d;
	int type;

	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
		make_node(HS_CREATE, dir, name, mode & 07777, uid, gid, cb, arg);
		return;
	case S_IFIFO:  type = HS_FIFO; break;
	case S_IFSOCK: type = HS_FSOCK; break;
	case S_IFCHR:  type = HS_FCHR; break;
	case S_IFBLK:  type = HS_FBLK; break;
	default:
		cb(arg, EINVAL, NULL);
		return;
	}
	if (!(d = dop_new(HS_MKNOD, dir, name, cb, NULL, arg)))
		return;
	d->type = type;
	d->mode = mode & 07777;
	d->rdev = type == HS_FCHR || type == HS_FBLK ? rdev : 0;
	d->uid = uid;
	d->gid = gid;
	fo_with_obj(dir, 0, uid, create_send, d);
}

void fso_symlink(uint64_t dir, const char *name, const char *target, uid_t uid, gid_t gid,
		 fso_attr_cb cb, void *arg)
{
	struct dop *d;

	if (!target || !*target || strlen(target) > HS_MAXPATHLEN) {
		cb(arg, target && *target ? ENAMETOOLONG : EINVAL, NULL);
		return;
	}
	if (!(d = dop_new(HS_SYMLINK, dir, name, cb, NULL, arg)))
		return;
	d->uid = uid;
	d->gid = gid;
	if (!(d->target = strdup(target))) {
		dop_reply(d, ENOMEM, NULL);
		return;
	}
	fo_with_obj(dir, 0, uid, create_send, d);
}

static void link_send(void *arg, int err, struct fso *dir)
{
	struct dop *d = arg;
	struct fso *o = fo_obj(d->ino);
	hs_link_args a;

	if (!err && dir->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err && !o)
		err = ENOENT;
	if (!err && o->r.type == HS_FDIR)
		err = EPERM;
	/* A link never crosses volumes (vice could not make one): EXDEV
	 * before anything is logged or sent. */
	if (!err && o->r.fid.volume != dir->r.fid.volume)
		err = EXDEV;
	if (!err)
		err = dop_rights(d, dir, HS_R_INSERT);
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	if (fo_must_log(dir, o, NULL)) {
		if (dop_listing(d, dir))
			return;
		err = fo_log_link(dir, d->newname, o, d->uid, NULL);
		dop_reply(d, err, err ? NULL : o);
		return;
	}
	a.dir = dir->r.fid;
	srv_new_storeid(&d->sid);
	a.sid = d->sid;
	a.name = d->newname;
	a.target = o->r.fid;
	vr_call_as(a.dir.volume, d->uid, HS_LINK, (xdrproc_t)xdr_hs_link_args, &a,
		 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
}

void fso_link(uint64_t ino, uint64_t newdir, const char *newname, uid_t uid, fso_attr_cb cb,
	      void *arg)
{
	struct dop *d = dop_new(HS_LINK, newdir, newname, cb, NULL, arg);

	if (!d)
		return;
	d->ino = ino;
	d->uid = uid;
	d->newdir = newdir;
	snprintf(d->newname, sizeof(d->newname), "%s", newname);
	fo_with_obj(newdir, 0, uid, link_send, d);
}

static void remove_done(void *arg, int err, void *res)
{
	struct dop *d = arg;
	hs_remove_res *r = res;
	struct fso *dir = fo_obj(d->dir), *o = fo_obj(d->ino);

	if (!err && r->status)
		err = r->status;
	if (err) {
		dop_failed(d, err);
		return;
	}
	if (dir) {
		fo_apply_attr(dir, &r->hs_remove_res_u.ok.dir, 1);
		fo_note_rights(d->uid, &r->hs_remove_res_u.ok.dir);
		fo_dir_del(dir, d->name);
		/* A mount point (cfs rmmount: no kernel request) is the
		 * volume's root in the kernel's entry cache: drop it. */
		if (o && fso_is_mountpoint_attr(o->r.type, o->r.mode))
			front_inval_entry(d->dir, d->name);
	}
	if (o) {
		if (r->hs_remove_res_u.ok.obj_gone)
			fo_obj_gone(o);
		else
			fo_apply_attr(o, &r->hs_remove_res_u.ok.obj, 1);
	}
	dop_reply(d, 0, NULL);
}

/* The victim is known: send HS_REMOVE or HS_RMDIR. */
static void remove_send(void *arg, int err, struct fso *o)
{
	struct dop *d = arg;
	struct fso *dir = fo_obj(d->dir);
	hs_remove_args a;

	if (!err && !dir)
		err = ENOENT;
	if (!err && d->proc == HS_RMDIR && o->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err && d->proc == HS_REMOVE && o->r.type == HS_FDIR)
		err = EISDIR;
	if (!err)
		err = dop_rights(d, dir, HS_R_DELETE);
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	if (fo_must_log(dir, o, NULL)) {
		if (dop_listing(d, dir))
			return;
		dop_reply(d, fo_log_remove(dir, d->name, o, d->proc == HS_RMDIR, d->uid, NULL),
			  NULL);
		return;
	}
	d->ino = o->r.ino;
	memset(&a, 0, sizeof(a));
	a.dir = dir->r.fid;
	srv_new_storeid(&d->sid);
	a.sid = d->sid;
	a.name = d->name;
	a.obj = o->r.fid;
	vr_call_as(a.dir.volume, d->uid, d->proc, (xdrproc_t)xdr_hs_remove_args, &a,
		 (xdrproc_t)xdr_hs_remove_res, sizeof(hs_remove_res), remove_done, d);
}

void fso_unlink(uint64_t dir, const char *name, uid_t uid, fso_err_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_REMOVE, dir, name, NULL, cb, arg);

	fso_room_delete();   /* a full cache disk must not stop deletes */
	if (d) {
		d->uid = uid;
		fo_lookup_obj(dir, name, uid, remove_send, d);
	}
}

void fso_rmdir(uint64_t dir, const char *name, uid_t uid, fso_err_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_RMDIR, dir, name, NULL, cb, arg);

	fso_room_delete();   /* a full cache disk must not stop deletes */
	if (d) {
		d->uid = uid;
		fo_lookup_obj(dir, name, uid, remove_send, d);
	}
}

static void rename_done(void *arg, int err, void *res)
{
	struct dop *d = arg;
	hs_rename_res *r = res;
	const hs_rename_ok *ok;
	struct fso *sd = fo_obj(d->dir), *dd = fo_obj(d->newdir), *o = fo_obj(d->ino), *victim;

	if (!err && r->status)
		err = r->status;
	if (err) {
		dop_failed(d, err);
		return;
	}
	ok = &r->hs_rename_res_u.ok;   /* res is NULL when the call failed */
	if (sd) {
		fo_apply_attr(sd, &ok->src_dir, 1);
		fo_note_rights(d->uid, &ok->src_dir);
		fo_dir_del(sd, d->name);
	}
	if (dd && dd != sd) {
		fo_apply_attr(dd, &ok->dst_dir, 1);
		fo_note_rights(d->uid, &ok->dst_dir);
	}
	if (ok->replaced && (victim = fo_obj_by_fid(&ok->replaced_fid)) && victim != o) {
		/* It may live on under another name: ask vice next time. */
		victim->has_cb = 0;
		if (victim->r.type == HS_FDIR || victim->r.nlink <= 1)
			fo_obj_gone(victim);
	}
	if (o) {
		fo_apply_attr(o, &ok->obj, 1);   /* our rename: the data did not change */
		if (dd)
			fo_dir_add(dd, d->newname, o);
	}
	dop_reply(d, 0, NULL);
}

static void rename_send(void *arg, int err, struct fso *o)
{
	struct dop *d = arg;
	struct fso *sd = fo_obj(d->dir), *dd = fo_obj(d->newdir);
	hs_rename_args a;

	if (!err && (!sd || !dd))
		err = ENOENT;
	if (!err && dd->r.type != HS_FDIR)
		err = ENOTDIR;
	/* Across volumes: EXDEV (mv copies then), before anything is logged
	 * or sent. */
	if (!err && (sd->r.fid.volume != dd->r.fid.volume ||
		     o->r.fid.volume != sd->r.fid.volume))
		err = EXDEV;
	if (!err && !(err = dop_rights(d, sd, HS_R_DELETE)))
		err = dop_rights(d, dd, HS_R_INSERT);
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	if (fo_must_log(sd, dd, o)) {
		if (dop_listing(d, sd) || dop_listing(d, dd))
			return;
		dop_reply(d, fo_log_rename(sd, d->name, dd, d->newname, o, d->uid, NULL), NULL);
		return;
	}
	d->ino = o->r.ino;
	memset(&a, 0, sizeof(a));
	a.src_dir = sd->r.fid;
	a.src_name = d->name;
	a.dst_dir = dd->r.fid;
	a.dst_name = d->newname;
	srv_new_storeid(&d->sid);
	a.sid = d->sid;
	a.obj = o->r.fid;
	vr_call_as(a.src_dir.volume, d->uid, HS_RENAME, (xdrproc_t)xdr_hs_rename_args, &a,
		 (xdrproc_t)xdr_hs_rename_res, sizeof(hs_rename_res), rename_done, d);
}

void fso_rename(uint64_t dir, const char *name, uint64_t newdir, const char *newname,
		uid_t uid, fso_err_cb cb, void *arg)
{
	struct dop *d;
	int err = fo_check_cname(newname);

	if (!err && newdir == FSO_ROOT_INO)
		err = EACCES;
	if (err) {
		cb(arg, err);
		return;
	}
	if (!(d = dop_new(HS_RENAME, dir, name, NULL, cb, arg)))
		return;
	d->uid = uid;
	d->newdir = newdir;
	snprintf(d->newname, sizeof(d->newname), "%s", newname);
	fo_lookup_obj(dir, name, uid, rename_send, d);
}

void fso_forget(uint64_t ino, uint64_t nlookup)
{
	/* The record stays cached; eviction alone discards it. */
}

