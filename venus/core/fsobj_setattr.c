/*
 * fsobj_setattr.c - chmod, chown, utimes and truncate.
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
#include "venus/net/token.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"

/* ================================================================ */
/* setattr                                                           */
/* ================================================================ */

struct sa {
	uint64_t           ino;
	uid_t              uid;    /* the caller */
	struct fso_setattr sa;
	fso_attr_cb        cb;
	void              *arg;
};

static void sa_reply(struct sa *s, int err)
{
	struct fso *o = fo_obj(s->ino);
	struct fso_attr at;

	if (!err && !o)
		err = ENOENT;
	if (err) {
		s->cb(s->arg, err, NULL);
	} else {
		fo_fill_attr(o, &at);
		s->cb(s->arg, 0, &at);
	}
	free(s);
}

hs_time fo_to_hs_time(const struct timespec *ts)
{
	struct timespec now;
	hs_time t;

	if (ts->tv_nsec == UTIME_NOW) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	t.sec = ts->tv_sec;
	t.nsec = (unsigned)ts->tv_nsec;
	return t;
}

static void sa_done(void *arg, int err, void *res)
{
	struct sa *s = arg;
	hs_attr_res *r = res;
	struct fso *o = fo_obj(s->ino);

	if (!err && r->status)
		err = r->status;
	if (err && o && vu_net_error(err)) {
		/* vice went away: log it (setting the same values again is
		 * harmless if vice did apply it). */
		vlog(LOG_WARNING, "setattr of ino %llu failed (%s): logged for reintegration",
		     (unsigned long long)o->r.ino, strerror(err));
		sa_reply(s, fo_log_setattr(o, &s->sa, s->uid));
		return;
	}
	if (!err && o) {
		/* Our own chmod/chown/utimes bumps the version by exactly one
		 * and leaves the data alone: a container that was current
		 * stays current (else every tar or make would refetch the
		 * files it just wrote). */
		int data_kept = o->r.data_dv == o->r.dataversion &&
				r->hs_attr_res_u.attr.dataversion == o->r.dataversion + 1;

		fo_apply_attr(o, &r->hs_attr_res_u.attr, 1);
		fo_note_rights(s->uid, &r->hs_attr_res_u.attr);
		if (data_kept) {
			o->r.data_dv = o->r.dataversion;
			fo_save(o);
		}
	}
	sa_reply(s, err);
}

/* A store sends the container's mtime: an mtime set while the file is
 * open (tar's futimens before close) must survive the store at close. */
static void container_set_mtime(struct fso *o, const hs_time *t)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { (time_t)t->sec, (long)t->nsec } };
	char path[4096];

	if (!o->r.has_data)
		return;
	cache_path(o->r.ino, path, sizeof(path));
	if (utimensat(AT_FDCWD, path, ts, 0) && errno != ENOENT)
		vlog(LOG_WARNING, "cannot set the mtime of %s: %s", path, strerror(errno));
}

/* May the caller's setattr of o ride on o's next store (protocol 6)?
 * Only when vice's HS_SETATTR checks (vice/acl.c acl_setattr) would pass
 * by what venus knows for sure, so that an error is still returned at
 * the call: the caller is an administrator (HS_R_SYSADMIN in its current
 * rights), or the owner (by its token's id) with w on the directory,
 * changing no owner.  Anything unknown: ask vice now. */
static int sa_fold_allowed(struct fso *o, const struct sa *s, unsigned set)
{
	struct vtoken t;

	if (fo_rights_check(o, s->uid, HS_R_SYSADMIN) == 0)
		return 1;
	if (token_get_vol(s->uid, o->r.fid.volume, &t) || (uint32_t)t.vid != o->r.uid)
		return 0;
	if ((set & HS_SET_UID) && s->sa.uid != o->r.uid)
		return 0;
	return fo_rights_check(o, s->uid, HS_R_WRITE) == 0;
}

/* tar's fchown, fchmod and futimens on the file it is writing: applied
 * to the cache and answered now; the close's store carries them (the
 * mtime in the container's, the rest as hs_store_set), so a file costs
 * one round trip at its close instead of four.  Only for a file written
 * and still open for writing with no store under way, connected (the
 * caller checked fo_must_log); 1 if answered. */
static int sa_fold(struct fso *o, struct sa *s, unsigned mask)
{
	unsigned set = mask & FO_SET_BITS;
	struct timespec now = { 0, UTIME_NOW };

	if (o->r.type != HS_FREG || !o->writers || !o->written || o->store ||
	    (mask & ~(unsigned)(FO_SET_BITS | HS_SET_MTIME)) ||
	    !sa_fold_allowed(o, s, set))
		return 0;
	if (mask & HS_SET_MODE)
		o->r.mode = s->sa.mode & 07777;
	if (mask & HS_SET_UID)
		o->r.uid = s->sa.uid;
	if (mask & HS_SET_GID)
		o->r.gid = s->sa.gid;
	if (mask & HS_SET_ATIME)
		o->r.atime = fo_to_hs_time(&s->sa.atime);
	if (mask & HS_SET_MTIME) {
		o->r.mtime = fo_to_hs_time(&s->sa.mtime);
		container_set_mtime(o, &o->r.mtime);
	}
	o->r.ctime = fo_to_hs_time(&now);
	/* In the row before the reply (db.h: committed before any reply
	 * leaves), so kill -9 of venus keeps it with the dirty mark. */
	o->r.dirty |= 1 | (int)(set << FO_SET_SHIFT);
	fo_save(o);
	V->stats.setattr_folded++;
	sa_reply(s, 0);
	return 1;
}

/* Everything but the size goes to vice as HS_SETATTR. */
static void sa_rest(struct sa *s)
{
	struct fso *o = fo_obj(s->ino);
	unsigned mask = s->sa.mask & ~(unsigned)HS_SET_SIZE;
	hs_setattr_args a;

	if (!o || !mask) {
		sa_reply(s, o ? 0 : ENOENT);
		return;
	}
	if (fo_must_log(o, NULL, NULL)) {
		if (mask & HS_SET_MTIME) {
			hs_time t = fo_to_hs_time(&s->sa.mtime);

			container_set_mtime(o, &t);
		}
		sa_reply(s, fo_log_setattr(o, &s->sa, s->uid));
		return;
	}
	if (sa_fold(o, s, mask))
		return;
	memset(&a, 0, sizeof(a));
	a.fid = o->r.fid;
	srv_new_storeid(&a.sid);
	a.mask = mask;
	a.mode = s->sa.mode & 07777;
	a.uid = s->sa.uid;
	a.gid = s->sa.gid;
	if (mask & HS_SET_ATIME)
		a.atime = fo_to_hs_time(&s->sa.atime);
	if (mask & HS_SET_MTIME) {
		a.mtime = fo_to_hs_time(&s->sa.mtime);
		container_set_mtime(o, &a.mtime);
	}
	V->stats.setattr_calls++;
	vr_call_as(a.fid.volume, s->uid, HS_SETATTR, (xdrproc_t)xdr_hs_setattr_args, &a,
		 (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), sa_done, s);
}

static void sa_stored(void *arg, int err)
{
	struct sa *s = arg;

	fo_close_settle(s->ino);
	if (err)
		sa_reply(s, err);
	else
		sa_rest(s);
}

/* Truncate the container (which holds the current contents); a file not
 * open for writing is stored at once, an open one at its last close. */
static void sa_truncate(void *arg, int err)
{
	struct sa *s = arg;
	struct fso *o = fo_obj(s->ino);
	char path[4096];
	int fd;

	if (!err && !o)
		err = ENOENT;
	if (err) {
		sa_reply(s, err);
		return;
	}
	cache_path(o->r.ino, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)s->sa.size)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		sa_reply(s, err);
		return;
	}
	close(fd);
	if (!fo_container_local(o) && !fo_contents_current(o)) {
		o->r.data_dv = o->r.dataversion;   /* size 0: nothing to fetch */
		if (s->sa.size)
			fo_wx_whole(o);
	}
	o->r.has_data = 1;
	fo_wx_cut(o, s->sa.size);   /* the store sends the cut, not the file */
	if (!o->writers)
		o->wuid = s->uid;   /* stored now, as the truncater */
	cache_note(o->r.ino, s->sa.size, fo_now_us());
	if (o->writers) {
		/* Stored at the last close; the change is now (vice stamps
		 * its own ctime at the store). */
		struct timespec now = { 0, UTIME_NOW };

		o->r.ctime = fo_to_hs_time(&now);
		fo_save(o);
		fo_update_pin(o);
		sa_rest(s);
		return;
	}
	fo_store_then(o, sa_stored, s);
}

static void sa_fresh(void *arg, int err, struct fso *o)
{
	struct sa *s = arg;

	if (err) {
		sa_reply(s, err);
		return;
	}
	if (!(s->sa.mask & HS_SET_SIZE)) {
		sa_rest(s);
		return;
	}
	if (o->r.type == HS_FDIR) {
		sa_reply(s, EISDIR);
		return;
	}
	if (o->r.type != HS_FREG) {
		sa_reply(s, EINVAL);
		return;
	}
	/* Truncation is a write: w on the directory (Coda's). */
	if ((err = fo_rights_check(o, s->uid, HS_R_WRITE)) && err != EAGAIN) {
		sa_reply(s, err);
		return;
	}
	if (s->sa.size == 0)
		sa_truncate(s, 0);
	else
		fo_ensure_data(o, s->uid, sa_truncate, s);
}

void fso_setattr(uint64_t ino, uid_t uid, const struct fso_setattr *sa, fso_attr_cb cb,
		 void *arg)
{
	struct sa *s;

	if (ino == FSO_ROOT_INO) {   /* the realm directory is read-only */
		cb(arg, EACCES, NULL);
		return;
	}
	s = malloc(sizeof(*s));
	if (!s) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	s->ino = ino;
	s->uid = uid;
	s->sa = *sa;
	s->cb = cb;
	s->arg = arg;
	fo_with_fresh(ino, uid, sa_fresh, s);
}

