/*
 * fsobj_store.c - storing a container to vice (the written flag's
 * consequence): chunks, then one commit.
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
#include "venus/util/event.h"
#include "venus/util/extents.h"

/* ================================================================ */
/* Store (the written flag's consequence)                            */
/* ================================================================ */

struct store {
	uint64_t       ino;
	hs_fid         fid;
	uid_t          uid;        /* the writer it is made for (fo_writer) */
	int            fd;
	hs_storeid     sid;
	uint64_t       size, next, base;
	uint64_t       sent;       /* data bytes sent (holes are not) */
	hs_time        mtime;
	hs_store_set   set;        /* attributes set while open (FO_SET_SHIFT) */
	unsigned       inflight;
	int            err, pumping, committing;
	int            commit_out; /* a commit (or delta) call is in flight */
	int            committed;  /* the commit's reply came before a chunk's */
	unsigned       chunks;     /* HS_STORE_CHUNK calls issued */
	int            anon;       /* uid held no live token at the start */
	struct waiter *waiters;
	uint64_t       t0;         /* started (fo_now_us), for codacon */
	struct extset *wx;         /* a delta store: the written ranges (NULL:
				    * the whole file); xi the range at next */
	unsigned       xi;
};

static void store_pump(struct store *s);
static void store_whole_again(struct store *s);
static void store_commit(struct store *s);
static void store_end(struct store *s);
static void start_store(struct fso *o, struct waiter *waiters);

static void store_chunk_done(void *arg, int err, void *res)
{
	struct store *s = arg;
	hs_status_res *r = res;

	s->inflight--;
	if (!err && r->status)
		err = r->status;
	if (err && !s->err)
		s->err = err;
	if (s->commit_out)
		return;   /* the commit sent behind it ends the store */
	if (s->committed) {
		/* The commit sent behind this chunk has answered already. */
		if (!s->inflight)
			store_end(s);
		return;
	}
	store_pump(s);
}

static void store_issue(struct store *s)
{
	hs_store_chunk_args a;
	uint64_t off, n, lim = s->size;
	char *buf;
	ssize_t got;
	int err;

	/* A delta sends the data extents inside the written ranges only. */
	if (s->wx && !fo_wx_next(s->wx, &s->xi, &s->next, s->size, &lim)) {
		s->next = s->size;
		return;
	}
	if ((err = cache_next_extent(s->fd, s->next, lim, HS_CHUNK_MAX, &off, &n))) {
		s->err = err;
		return;
	}
	if (!n && (s->next || s->wx)) {
		/* a hole to the end (of the range): the commit sets the size */
		s->next = lim;
		return;
	}
	/* A file that is all hole still sends one empty chunk: vice commits
	 * only what was staged (ENOENT otherwise). */
	if (!(buf = malloc(n ? n : 1))) {
		s->err = ENOMEM;
		return;
	}
	if (!n)
		off = 0;
	got = n ? pread(s->fd, buf, n, (off_t)off) : 0;
	if (got != (ssize_t)n) {
		s->err = got < 0 ? errno : EIO;
		free(buf);
		return;
	}
	a.fid = s->fid;
	a.sid = s->sid;
	a.offset = off;
	a.data.data_len = (u_int)n;
	a.data.data_val = buf;
	s->next = n ? off + n : lim;
	s->sent += n;
	s->inflight++;
	s->chunks++;
	vr_call_as(a.fid.volume, s->uid, HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &a,
		 (xdrproc_t)xdr_hs_status_res, sizeof(hs_status_res), store_chunk_done, s);
	free(buf);   /* vr_call_as has encoded it */
}

/* vice refused the store for want of a token, not of rights: EACCES
 * while uid held no live token when the store began or holds none now
 * (expired, cunlog; the calls went as System:AnyUser).  The change is
 * then the user's to send once they clog, as if made offline: it goes
 * to the CML, where reintegration holds it for uid's token (reint.h),
 * and close(2) succeeds (Coda's stores wait for tokens too). */
static int refused_tokenless(const struct store *s, int err)
{
	struct vtoken t;

	return err == EACCES &&
	       (s->anon || token_get_vol(s->uid, s->fid.volume, &t) != 0);
}

static void store_free(struct store *s)
{
	if (s->wx) {
		ext_free(s->wx);
		free(s->wx);
	}
	free(s);
}

static void store_end(struct store *s)
{
	struct fso *o = fo_obj(s->ino);
	struct waiter *w = s->waiters, *next = NULL;
	int err = s->err;

	close(s->fd);
	event_emit(EVK_STORE, &(struct event_fields){ .fid = &s->fid, .name = o ? o->r.name : NULL, .bytes = s->size, .usec = fo_now_us() - s->t0, .err = err });
	if (o && err && vu_net_error(err)) {
		/* vice went away mid-store: the change goes to the CML. */
		o->store = NULL;
		vlog(LOG_WARNING, "store of ino %" PRIu64 " failed (%s): logged for reintegration",
		     o->r.ino, strerror(err));
		err = s->err = fo_log_store_set(o);
	} else if (o && refused_tokenless(s, err)) {
		o->store = NULL;
		vlog(LOG_NOTICE, "store of %s (ino %" PRIu64 ") refused: uid %u holds no live "
		     "token; logged for reintegration after clog",
		     o->r.name ? o->r.name : "?", o->r.ino, (unsigned)s->uid);
		err = s->err = fo_log_store_set(o);
	}
	if (o) {
		o->store = NULL;
		if (err) {
			char path[4096];

			o->pending = 1;
			cache_path(o->r.ino, path, sizeof(path));
			vlog(LOG_ERR, "STORE FAILED for %s (fid %u.%u.%u): %s; the changes stay "
			     "in %s and are sent again at the next close",
			     o->r.name ? o->r.name : "?", s->fid.volume, s->fid.vnode,
			     s->fid.unique, strerror(err), path);
		}
		next = o->store_next;
		o->store_next = NULL;
	}
	store_free(s);
	if (o && next && (o->written || o->pending))
		start_store(o, next);
	else
		fo_wake(next, err);
	if (o)
		fo_update_pin(o);
	fo_wake(w, err);
}

static void commit_done(void *arg, int err, void *res)
{
	struct store *s = arg;
	hs_attr_res *r = res;
	struct fso *o = fo_obj(s->ino);

	s->commit_out = 0;
	if (!err && r->status == HS_ENOBASE && s->wx) {
		/* vice cannot build on our base: the whole file, fresh sid. */
		vlog(LOG_NOTICE, "store of %u.%u.%u: vice holds no base %" PRIu64
		     "; storing the whole file", s->fid.volume, s->fid.vnode,
		     s->fid.unique, s->base);
		store_whole_again(s);
		return;
	}
	if (!err && (r->status == EPERM || r->status == EACCES) && s->set.mask) {
		/* The attributes were answered from what venus knew of the
		 * writer's rights, and vice now refuses them: the data must
		 * not be lost for them.  Store it alone; vice's attributes
		 * (its reply) replace the cached ones. */
		vlog(LOG_ERR, "store of %u.%u.%u: vice refused the attributes set while it was "
		     "open (%s); storing the data without them", s->fid.volume, s->fid.vnode,
		     s->fid.unique, strerror(r->status));
		s->set.mask = 0;
		store_commit(s);
		return;
	}
	if (!err && r->status == HS_ECONFLICT) {
		vlog(LOG_ERR, "store of %u.%u.%u conflicts: vice has a version newer than %" PRIu64,
		     s->fid.volume, s->fid.vnode, s->fid.unique, s->base);
		err = EIO;
	} else if (!err && r->status) {
		err = r->status;
	}
	if (!err && o) {
		fo_apply_attr(o, &r->hs_attr_res_u.attr, 0);
		o->r.data_dv = o->r.dataversion;
		o->r.has_data = 1;
		o->r.dirty = o->writers || o->written;
		fo_save(o);
		V->stats.stores++;
		V->stats.store_bytes += s->sent;
	}
	if (err && !s->err)
		s->err = err;
	if (s->inflight) {
		/* Sent behind its chunk (store_pump): end with that reply. */
		s->committed = 1;
		return;
	}
	store_end(s);
}

/* The delta commit: vice's base version plus the written ranges. */
static void store_delta(struct store *s)
{
	hs_store_delta_args a;

	if ((s->err = fo_wx_args(s->wx, s->size, &a))) {
		store_end(s);
		return;
	}
	a.fid = s->fid;
	a.sid = s->sid;
	a.base_version = s->base;
	a.mtime = s->mtime;
	a.set = s->set;
	s->commit_out = 1;
	vr_call_as(a.fid.volume, s->uid, HS_STORE_DELTA, (xdrproc_t)xdr_hs_store_delta_args, &a,
		 (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), commit_done, s);
	free(a.ext.ext_val);
}

static void store_commit(struct store *s)
{
	hs_store_commit_args a;

	s->committing = 1;
	if (s->wx) {
		store_delta(s);
		return;
	}
	a.fid = s->fid;
	a.sid = s->sid;
	a.base_version = s->base;
	a.size = s->size;
	a.mtime = s->mtime;
	a.set = s->set;
	s->commit_out = 1;
	vr_call_as(a.fid.volume, s->uid, HS_STORE_COMMIT, (xdrproc_t)xdr_hs_store_commit_args, &a,
		 (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), commit_done, s);
}

/* A whole store of one chunk sends its commit right behind it: vice runs
 * one connection's calls in the order they arrive (vice/dispatch.c), so
 * the commit finds the chunk staged, or nothing staged if the chunk
 * failed (ENOENT: vs_store_chunk drops a chunk written in part).  One
 * round trip instead of two for each small file.  Not for a delta (a
 * range never staged reads as zeros there) nor for several chunks (one
 * could fail while another is staged). */
static int commit_behind(const struct store *s)
{
	return !s->wx && !s->err && !s->committing && s->chunks == 1 &&
	       s->inflight == 1 && s->next >= s->size;
}

/* Chunks STORE_INFLIGHT at a time, then the commit (see fetch_pump). */
static void store_pump(struct store *s)
{
	if (s->pumping)
		return;
	s->pumping = 1;
	while (!s->err && s->inflight < STORE_INFLIGHT && s->next < s->size)
		store_issue(s);
	if (commit_behind(s)) {
		s->pumping = 0;
		store_commit(s);
		return;
	}
	if (!s->inflight) {
		if (s->err) {
			store_end(s);
			return;
		}
		if (!s->committing) {
			s->pumping = 0;
			store_commit(s);
			return;
		}
	}
	s->pumping = 0;
}

static void store_whole_again(struct store *s)
{
	ext_free(s->wx);
	free(s->wx);
	s->wx = NULL;
	s->xi = 0;
	s->next = 0;
	s->committing = 0;
	s->committed = 0;
	s->chunks = 0;
	srv_new_storeid(&s->sid);
	store_pump(s);
}

unsigned fo_set_pending(const struct fso *o)
{
	return ((unsigned)o->r.dirty >> FO_SET_SHIFT) & FO_SET_BITS;
}

/* The store's hs_store_set: the pending bits with the cached values. */
static void set_fill(const struct fso *o, hs_store_set *set)
{
	memset(set, 0, sizeof *set);
	set->mask = fo_set_pending(o);
	set->mode = o->r.mode & 07777;
	set->uid = o->r.uid;
	set->gid = o->r.gid;
	set->atime = o->r.atime;
}

int fo_log_set(struct fso *o, unsigned mask)
{
	struct fso_setattr sa = {
		.mask = mask & FO_SET_BITS, .mode = o->r.mode & 07777,
		.uid = o->r.uid, .gid = o->r.gid,
		.atime = { (time_t)o->r.atime.sec, (long)o->r.atime.nsec },
	};

	return sa.mask ? fo_log_setattr(o, &sa, fo_writer(o)) : 0;
}

int fo_log_store_set(struct fso *o)
{
	unsigned mask = fo_set_pending(o);
	int err = fo_log_store(o);   /* clears the bits with the dirty mark */

	if (!err && mask && (err = fo_log_set(o, mask)))
		vlog(LOG_ERR, "CML: the attributes set on ino %" PRIu64 " while it was open "
		     "could not be logged after its store: %s", o->r.ino, strerror(err));
	return err;
}

static void start_store(struct fso *o, struct waiter *waiters)
{
	struct store *s = calloc(1, sizeof(*s));
	char path[4096];
	struct stat st;
	struct vtoken t;

	/* The dirty mark reaches the disk before anything else happens. */
	db_durable(V->db, 1);
	o->r.dirty |= 1;   /* keeps the pending attributes' bits */
	fo_save(o);
	db_durable(V->db, 0);
	cache_path(o->r.ino, path, sizeof(path));
	if (!s || (s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(s->fd, &st)) {
		int err = s ? errno : ENOMEM;

		if (s && s->fd >= 0)
			close(s->fd);
		free(s);
		o->pending = 1;
		vlog(LOG_ERR, "cannot store %s: %s", path, strerror(err));
		fo_wake(waiters, err);
		return;
	}
	s->wx = fo_wx_take(o, (uint64_t)st.st_size);
	o->written = 0;
	o->pending = 0;
	s->ino = o->r.ino;
	s->uid = fo_writer(o);
	s->fid = o->r.fid;
	s->anon = token_get_vol(s->uid, s->fid.volume, &t) != 0;
	s->size = (uint64_t)st.st_size;
	s->mtime.sec = st.st_mtim.tv_sec;
	s->mtime.nsec = (unsigned)st.st_mtim.tv_nsec;
	s->base = o->r.data_dv;
	set_fill(o, &s->set);
	s->waiters = waiters;
	s->t0 = fo_now_us();
	srv_new_storeid(&s->sid);
	o->store = s;
	fo_update_pin(o);
	store_pump(s);
}

/* Store o's container, then k(arg, err).  One store at a time per object:
 * a request during a store waits and is served by the next one. */
void fo_store_then(struct fso *o, err_k k, void *arg)
{
	struct waiter *w = NULL;

	if (fo_add_waiter(&w, k, arg)) {
		k(arg, ENOMEM);
		return;
	}
	if (o->store) {
		w->next = o->store_next;
		o->store_next = w;
		return;
	}
	if (fo_must_log(o, NULL, NULL)) {
		fo_wake(w, fo_log_store_set(o));
		return;
	}
	start_store(o, w);
}

