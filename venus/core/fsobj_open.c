/*
 * fsobj_open.c - open and close of files: fetch on open, the written flag,
 * and the store at the last writer's close.
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
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/util/event.h"

/* ================================================================ */
/* open                                                              */
/* ================================================================ */

struct op {
	uint64_t    ino;
	uid_t       uid;
	int         flags;
	fso_open_cb cb;
	void       *arg;
};

static int is_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static void open_finish(struct op *p, int err)
{
	struct fso *o = fo_obj(p->ino);
	int trunc = (p->flags & O_TRUNC) && is_write(p->flags);
	int fd = -1;
	char path[4096];
	struct fso_attr at;
	struct stat st;

	if (!err && (!o || o->removed))
		err = ENOENT;
	if (!err) {
		cache_path(o->r.ino, path, sizeof(path));
		fd = open(path, (p->flags & O_ACCMODE) | O_CLOEXEC |
			  (trunc ? O_CREAT | O_TRUNC : 0), 0600);
		if (fd < 0)
			err = errno;
	}
	if (err) {
		p->cb(p->arg, err, -1, NULL);
		free(p);
		return;
	}
	if (trunc) {
		/* Truncation is a write; its base is the version we know. */
		if (!fo_container_local(o) && !fo_contents_current(o))
			o->r.data_dv = o->r.dataversion;
		o->r.has_data = 1;
		fo_wx_whole(o);
	}
	o->opens++;
	if (is_write(p->flags)) {
		o->writers++;
		o->wuid = p->uid;
		/* Crash safety: a container open for writing may differ from
		 * vice's copy, so it must not be trusted as clean after a crash.
		 * |=: keeps the bits of attributes waiting for the store. */
		o->r.dirty |= 1;
	}
	o->r.last_used = fo_now_us();
	fo_save(o);
	cache_note(o->r.ino, fstat(fd, &st) == 0 ? cache_st_bytes(&st) : o->r.size,
		   o->r.last_used);
	fo_update_pin(o);
	fo_fill_attr(o, &at);
	event_emit(EVK_OPEN, &(struct event_fields){ .fid = &o->r.fid, .name = o->r.name, .flag = is_write(p->flags) });
	p->cb(p->arg, 0, fd, &at);
	close(fd);
	free(p);
}

static void open_have_data(void *arg, int err)
{
	open_finish(arg, err);
}

/* Coda's rights for an open: r to read, w to write or truncate. */
static unsigned open_needs(int flags)
{
	unsigned need = (flags & O_ACCMODE) == O_WRONLY ? 0 : HS_R_READ;

	return is_write(flags) ? need | HS_R_WRITE : need;
}

static void open_checked(void *arg, int err)
{
	struct op *p = arg;
	struct fso *o = fo_obj(p->ino);

	if (!err && !o)
		err = ENOENT;
	if (err) {
		open_finish(p, err);
		return;
	}
	if ((p->flags & O_TRUNC) && is_write(p->flags)) {
		open_finish(p, 0);        /* no need for the old contents */
	} else if (fo_container_local(o) || fo_contents_current(o) ||
		   (fo_trust_cache(o) && o->r.has_data)) {
		V->stats.cache_hits++;
		open_finish(p, 0);
	} else {
		V->stats.cache_misses++;
		fo_ensure_data(o, p->uid, open_have_data, p);
	}
}

static void open_fresh(void *arg, int err, struct fso *o)
{
	struct op *p = arg;

	if (!err && o->r.type == HS_FDIR)
		err = EISDIR;
	else if (!err && o->r.type != HS_FREG)
		err = ELOOP;
	if (err) {
		open_finish(p, err);
		return;
	}
	fo_check(o, p->uid, open_needs(p->flags), open_checked, p);
}

void fso_open(uint64_t ino, int flags, uid_t uid, fso_open_cb cb, void *arg)
{
	struct op *p = malloc(sizeof(*p));

	if (!p) {
		cb(arg, ENOMEM, -1, NULL);
		return;
	}
	p->ino = ino;
	p->uid = uid;
	p->flags = flags;
	p->cb = cb;
	p->arg = arg;
	fo_with_fresh(ino, uid, open_fresh, p);
}

void fso_mark_written(uint64_t ino)
{
	struct fso *o = fo_obj(ino);

	if (o && o->writers)
		fo_wx_whole(o);
}

/* ================================================================ */
/* close                                                             */
/* ================================================================ */

struct cl {
	uint64_t   ino;
	fso_err_cb cb;
	void      *arg;
};

/* After a close: settle the record and the cache bound. */
void fo_close_settle(uint64_t ino)
{
	struct fso *o = fo_obj(ino);
	char path[4096];
	struct stat st;

	if (!o)
		return;
	if (o->removed && !o->opens && !o->store && !o->fetch) {
		fo_obj_gone(o);
		return;
	}
	fo_save(o);
	cache_path(ino, path, sizeof(path));
	if (o->r.has_data && stat(path, &st) == 0)
		cache_note(ino, cache_st_bytes(&st), o->r.last_used);
	fo_update_pin(o);
	if (!o->opens)
		fo_trim();
}

static void close_stored(void *arg, int err)
{
	struct cl *c = arg;

	fo_close_settle(c->ino);
	fo_zone_err(c->ino, c->cb, c->arg, err);   /* a store may have grown the log */
	free(c);
}

void fso_close(uint64_t ino, int flags, int written, fso_err_cb cb, void *arg)
{
	struct fso *o = fo_obj(ino);
	struct cl *c;

	if (!o || !o->opens) {
		cb(arg, EBADF);
		return;
	}
	o->opens--;
	/* A close that reports only the flag: the whole file, unless the
	 * writes were noted with their extents (fso_note_written). */
	if (written && !o->written)
		fo_wx_whole(o);
	o->r.last_used = fo_now_us();
	event_emit(EVK_CLOSE, &(struct event_fields){ .fid = &o->r.fid, .name = o->r.name, .flag = is_write(flags) && (o->written || o->pending || o->flush_stored) });
	if (is_write(flags) && o->writers && --o->writers == 0 && !o->removed) {
		if (o->written || o->pending) {
			if (!(c = malloc(sizeof(*c)))) {
				o->pending = 1;
				cb(arg, ENOMEM);
				return;
			}
			c->ino = ino;
			c->cb = cb;
			c->arg = arg;
			fo_store_then(o, close_stored, c);
			return;
		}
		if (!o->flush_stored)
			V->stats.stores_skipped++;
		o->flush_stored = 0;
		if (!o->store)
			o->r.dirty = 0;
	}
	fo_close_settle(ino);
	cb(arg, 0);
}

int fso_store_due(uint64_t ino, unsigned *writers)
{
	struct fso *o = fo_obj(ino);

	if (writers)
		*writers = o ? o->writers : 0;
	return o && !o->removed && (o->written || o->pending || o->store);
}

/* close(2) of the last write-capable descriptor (FUSE FLUSH, which
 * close(2) waits for, unlike RELEASE): store now so that the store is done
 * when close returns; a store already under way is waited for.  The
 * release that follows stores again only if something was written after
 * this (pages of a mapping that outlives the fd). */
void fso_flush_store(uint64_t ino, fso_err_cb cb, void *arg)
{
	struct fso *o = fo_obj(ino);
	struct cl *c;

	if (!fso_store_due(ino, NULL)) {
		cb(arg, 0);
		return;
	}
	if (!(c = malloc(sizeof(*c)))) {
		cb(arg, ENOMEM);
		return;
	}
	c->ino = ino;
	c->cb = cb;
	c->arg = arg;
	o->flush_stored = 1;
	fo_store_then(o, close_stored, c);
}
