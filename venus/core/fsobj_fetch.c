/*
 * fsobj_fetch.c - whole-file fetch into a container, the waiters of a
 * fetch or store, and the cache bound.
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
#include "venus/log/cml.h"
#include "venus/util/event.h"
#include "rpc/xdr_inplace.h"

/* ================================================================ */
/* Whole-file fetch                                                  */
/* ================================================================ */

struct fetch {
	uint64_t       ino;
	hs_fid         fid;
	uid_t          uid;        /* the caller it is fetched for */
	int            fd;         /* the temporary container */
	uint64_t       dv, size;   /* the version being fetched */
	uint64_t       next, got;  /* next offset to ask for; bytes written */
	unsigned       inflight, restarts;
	int            err, restart, pumping;
	hs_attr        newattr;    /* when the file changed under us */
	uint64_t       t0;         /* started (fo_now_us), for codacon */
	struct waiter *waiters;
};

struct fchunk {
	struct fetch *f;
	uint64_t      off;
	uint32_t      count;
};

/* Pinned containers are never evicted: open or dirty ones, and those the
 * CML makes the truth (records name the object, or it exists only
 * locally) - evicting those would show vice's older copy, or nothing. */
void fo_update_pin(struct fso *o)
{
	cache_set_pinned(o->r.ino, o->opens || o->r.dirty || o->pending ||
			 o->store || o->fetch || o->written || o->cml ||
			 cml_is_local(&o->r.fid));
}

int fo_add_waiter(struct waiter **list, err_k k, void *arg)
{
	struct waiter *w = malloc(sizeof(*w));

	if (!w)
		return ENOMEM;
	w->k = k;
	w->arg = arg;
	w->next = *list;
	*list = w;
	return 0;
}

/* Run and free a list of waiters (oldest first). */
void fo_wake(struct waiter *list, int err)
{
	struct waiter *rev = NULL, *w;

	while ((w = list)) {
		list = w->next;
		w->next = rev;
		rev = w;
	}
	while ((w = rev)) {
		rev = w->next;
		w->k(w->arg, err);
		free(w);
	}
}

static void fetch_pump(struct fetch *f);

/* Bytes per pwrite(2) into the container, within one aligned window:
 * 256 MiB in 4 MiB pwrites cost ten times the system time of 1 MiB ones
 * here (vice/store_data.c, PWRITE_PIECE; doc/design.md, Bulk data). */
#define PWRITE_PIECE ((size_t)1 << 20)

/* Write a reply's extents into the container; they must lie in order
 * inside the chunk asked for and account for every byte sent.  Holes
 * stay holes (the container was cut to the file's size at the start). */
static int write_extents(struct fetch *f, const struct fchunk *c,
			 const hs_fetch_ok *ok)
{
	uint64_t pos = c->off, end = c->off + c->count, used = 0;
	const char *data = ok->data.data_val;

	fso_room(ok->data.data_len);   /* clean copies go before ENOSPC */
	for (u_int i = 0; i < ok->ext.ext_len; i++) {
		const hs_extent *e = &ok->ext.ext_val[i];

		if (e->offset < pos || e->offset > end || e->length > end - e->offset ||
		    e->length > ok->data.data_len - used)
			return EIO;
		for (uint32_t w = 0; w < e->length; ) {
			uint64_t at = e->offset + w;
			size_t room = PWRITE_PIECE - (size_t)(at & (PWRITE_PIECE - 1)),
			       n = e->length - w < room ? e->length - w : room;
			ssize_t r = pwrite(f->fd, data + used + w, n, (off_t)at);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return r < 0 ? errno : EIO;   /* ENOSPC, EDQUOT, ... */
			w += (uint32_t)r;
		}
		used += e->length;
		pos = e->offset + e->length;
	}
	if (used != ok->data.data_len)
		return EIO;
	f->got += used;
	/* A long hole after the chunk: skip to where data resumes. */
	if (ok->next_data > f->next)
		f->next = ok->next_data < f->size ? ok->next_data : f->size;
	return 0;
}

static void fetch_chunk_done(void *arg, int err, void *res)
{
	struct fchunk *c = arg;
	struct fetch *f = c->f;
	hs_fetch_res *r = res;

	f->inflight--;
	if (!err && r->status)
		err = r->status;
	if (!err && !f->err && !f->restart) {
		const hs_fetch_ok *ok = &r->hs_fetch_res_u.ok;

		if (ok->attr.dataversion != f->dv) {
			f->restart = 1;
			f->newattr = ok->attr;
		} else {
			err = write_extents(f, c, ok);
		}
	}
	if (err && !f->err)
		f->err = err;
	free(c);
	fetch_pump(f);
}

static void fetch_issue(struct fetch *f)
{
	struct fchunk *c = malloc(sizeof(*c));
	hs_fetch_args a;

	if (!c) {
		f->err = ENOMEM;
		return;
	}
	c->f = f;
	c->off = f->next;
	/* The largest chunk: each costs a round trip, an open and a pread
	 * on vice, and an encode and a decode on each side. */
	c->count = (uint32_t)(f->size - f->next < HS_CHUNK_MAX ? f->size - f->next : HS_CHUNK_MAX);
	f->next += c->count;
	f->inflight++;
	a.fid = f->fid;
	a.offset = c->off;
	a.count = c->count;
	vr_call_as(a.fid.volume, f->uid, HS_FETCH, (xdrproc_t)xdr_hs_fetch_args, &a,
		    (xdrproc_t)xdr_hs_fetch_res_inplace, sizeof(hs_fetch_res),
		    fetch_chunk_done, c);   /* written from the reply: no copy */
}

static void evicted(void *arg, uint64_t ino)
{
	struct fso *o = fo_obj(ino);

	V->stats.evictions++;
	if (o) {
		o->r.has_data = 0;
		fo_save(o);
	}
}

/* Keep the cache within its bound. */
void fo_trim(void)
{
	cache_trim(evicted, NULL);
}

void fso_room(uint64_t bytes)
{
	cache_make_room(bytes + FSO_ROOM_MARGIN, evicted, NULL);
}

void fso_room_delete(void)
{
	fso_room(0);
	if (!cache_room(FSO_ROOM_MARGIN / 4))
		cache_release_reserve();
}

static void fetch_end(struct fetch *f)
{
	struct fso *o = fo_obj(f->ino);
	char tmp[4096], path[4096];
	struct waiter *w = f->waiters;
	int err = f->err;
	struct stat st;
	uint64_t bytes = fstat(f->fd, &st) == 0 ? cache_st_bytes(&st) : f->size;

	close(f->fd);
	cache_tmp_path(f->ino, tmp, sizeof(tmp));
	cache_path(f->ino, path, sizeof(path));
	if (!err && o && o->removed)
		err = ENOENT;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		vlog(LOG_WARNING, "fetch of %u.%u.%u failed: %s", f->fid.volume,
		     f->fid.vnode, f->fid.unique, strerror(err));
	} else {
		o->r.has_data = 1;
		o->r.data_dv = f->dv;
		o->r.last_used = fo_now_us();
		fo_save(o);
		cache_note(o->r.ino, bytes, o->r.last_used);
		V->stats.fetches++;
		V->stats.fetch_bytes += f->got;
	}
	event_emit(EVK_FETCH, &(struct event_fields){ .fid = &f->fid, .name = o ? o->r.name : NULL, .bytes = f->got, .usec = fo_now_us() - f->t0, .err = err });
	if (o) {
		o->fetch = NULL;
		/* cfs listmissing: what a disconnected user asked for in vain. */
		o->missed = err ? vu_net_error(err) : 0;
	}
	free(f);
	if (o && !err)
		cache_set_pinned(o->r.ino, 1);   /* until the waiters have it open */
	fo_wake(w, err);
	if (o && (o = fo_obj(o->r.ino)) != NULL) {
		if (o->removed && !o->opens)
			fo_obj_gone(o);
		else
			fo_update_pin(o);
	}
	fo_trim();
}

/* Start over at the version the file changed to. */
static int fetch_restart(struct fetch *f)
{
	struct fso *o = fo_obj(f->ino);

	if (++f->restarts > FETCH_RESTARTS)
		return EAGAIN;
	if (o)
		fo_apply_attr(o, &f->newattr, 0);
	f->restart = 0;
	f->dv = f->newattr.dataversion;
	f->size = f->newattr.size;
	if (ftruncate(f->fd, 0) || ftruncate(f->fd, (off_t)f->size))
		return errno;
	f->next = f->got = 0;
	return 0;
}

/* Keep FETCH_INFLIGHT chunks going; finish when all are in.  Re-entered
 * from chunk replies that arrive inside srv_call: the guard makes the
 * outer loop do the work. */
static void fetch_pump(struct fetch *f)
{
	if (f->pumping)
		return;
	f->pumping = 1;
	for (;;) {
		while (!f->err && !f->restart && f->inflight < FETCH_INFLIGHT &&
		       f->next < f->size)
			fetch_issue(f);
		if (f->inflight)
			break;
		if (!f->err && f->restart) {
			f->err = fetch_restart(f);
			continue;
		}
		fetch_end(f);
		return;
	}
	f->pumping = 0;
}

static int fetch_start(struct fso *o)
{
	struct fetch *f = calloc(1, sizeof(*f));
	char tmp[4096];

	if (!f)
		return ENOMEM;
	cache_tmp_path(o->r.ino, tmp, sizeof(tmp));
	spare_take(tmp);
	f->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* Sparse at the file's size: only data extents are written. */
	if (f->fd >= 0 && ftruncate(f->fd, (off_t)o->r.size)) {
		int err = errno;

		close(f->fd);
		f->fd = -1;
		errno = err;
	}
	if (f->fd < 0) {
		int err = errno;

		vlog(LOG_ERR, "%s: %s", tmp, strerror(err));
		free(f);
		return err;
	}
	f->ino = o->r.ino;
	f->fid = o->r.fid;
	f->dv = o->r.dataversion;
	f->size = o->r.size;
	f->t0 = fo_now_us();
	o->fetch = f;
	return 0;
}

/* Make o's container hold the current contents, then k(arg, err). */
void fo_ensure_data(struct fso *o, uid_t uid, err_k k, void *arg)
{
	int err = 0;

	fo_claim_check(o);
	if (fo_container_local(o) || fo_contents_current(o)) {
		k(arg, 0);
		return;
	}
	if (!o->fetch && !(err = fetch_start(o)))
		o->fetch->uid = uid;
	if (!err)
		err = fo_add_waiter(&o->fetch->waiters, k, arg);
	if (err) {
		k(arg, err);
		return;
	}
	fetch_pump(o->fetch);
}

