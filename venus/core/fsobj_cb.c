/*
 * fsobj_cb.c - callback breaks, the front end's invalidation hooks, and
 * loading the cache at start.
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
#include <sys/stat.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/core/rights.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/util/event.h"

/* ================================================================ */
/* Callbacks and front-end hooks                                     */
/* ================================================================ */

void fso_front_fence(void (*done)(void *arg), void *arg)
{
	if (fso_tab.front && fso_tab.front->fence)
		fso_tab.front->fence(done, arg);
	else
		done(arg);
}

void fso_front_hold(int on)
{
	if (fso_tab.front && fso_tab.front->hold)
		fso_tab.front->hold(on);
}

void fso_set_front(const struct vfront_ops *ops)
{
	fso_tab.front = ops;
}

void front_inval_inode(uint64_t ino)
{
	if (fso_tab.front && fso_tab.front->inval_inode)
		fso_tab.front->inval_inode(ino);
}

void front_inval_entry(uint64_t dir, const char *name)
{
	if (fso_tab.front && fso_tab.front->inval_entry && name && name[0])
		fso_tab.front->inval_entry(dir, name);
}

void front_replace(uint64_t ino, const hs_fid *oldf, const hs_fid *newf)
{
	if (fso_tab.front && fso_tab.front->replace)
		fso_tab.front->replace(ino, oldf, newf);
	else
		front_inval_inode(ino);
}

static int inval_name(void *arg, const char *name, uint64_t child)
{
	const uint64_t *dir = arg;

	front_inval_entry(*dir, name);
	return 0;
}

/* Tell the kernel to forget what it cached of o. */
static void inval(struct fso *o)
{
	front_inval_inode(o->r.ino);
	if (o->r.type == HS_FDIR && fso_tab.front && fso_tab.front->inval_entry)
		db_dirent_foreach(V->db, o->r.ino, inval_name, &o->r.ino);
}

/* vice broke the volume promise on lvol (fid {lvol, 0, 0}): objects that
 * held only it hold nothing now, and are revalidated. */
static void vol_break(uint32_t lvol)
{
	vlog(LOG_DEBUG, "volume callback break on %#x", lvol);
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (o->r.fid.volume == lvol && o->has_cb == FO_CB_VOL) {
				o->has_cb = 0;
				inval(o);
			}
	fo_vstamp_vol_broken(lvol);
}

void fso_cb_break(const hs_fid *fid)
{
	struct fso *o;

	if (!fid->vnode) {
		vol_break(fid->volume);
		return;
	}
	o = fo_obj_by_fid(fid);
	fo_vstamp_touch(fid->volume);
	rights_forget(fid);   /* an ACL change breaks the directory's callback */
	if (!o)
		return;
	vlog(LOG_DEBUG, "callback break on %u.%u.%u (ino %" PRIu64 ")",
	     fid->volume, fid->vnode, fid->unique, o->r.ino);
	o->has_cb = 0;
	event_emit(EVK_CALLBACK, &(struct event_fields){ .fid = fid, .name = o->r.name, .peer = vr_server_name(fid->volume) });
	inval(o);
}

/* Void the promises on every object (of volume lvol, or served by s, when
 * given; neither: all). */
static void void_promises(const struct srv *s, int by_vol, uint32_t lvol)
{
	size_t i;
	uint32_t touched = VR_LOCAL_VOL;

	if (by_vol)
		fo_vstamp_touch(lvol);
	for (i = 0; i < fso_tab.nbuckets; i++) {
		struct fso *o;

		for (o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			if (o->r.fid.volume == VR_LOCAL_VOL)
				continue;
			if (by_vol && o->r.fid.volume != lvol)
				continue;
			if (s && vr_srv_of(o->r.fid.volume) != s)
				continue;
			/* Its recorded stamp goes too (neighbours share a
			 * volume: one touch per run of them). */
			if (o->r.fid.volume != touched)
				fo_vstamp_touch(touched = o->r.fid.volume);
			if (!o->has_cb)
				continue;
			o->has_cb = 0;
			inval(o);
		}
	}
}

void fso_cb_lost(void)
{
	rights_forget_all();
	void_promises(NULL, 0, 0);
}

void fso_cb_lost_srv(struct srv *s)
{
	/* The rights cache has no server column: its entries are hints that
	 * vice corrects on the next call, so they all go (as Coda does on a
	 * lost connection). */
	rights_forget_all();
	void_promises(s, 0, 0);
}

void fso_vol_moved(uint32_t lvol)
{
	void_promises(NULL, 1, lvol);
}

/* ================================================================ */
/* Start and stop                                                    */
/* ================================================================ */

static void load_one(void *arg, const struct db_fso *r)
{
	int *err = arg;
	struct fso *o;

	if (*err)
		return;
	if (!(o = fo_new_obj(&r->fid, r->type, r->ino))) {
		*err = ENOMEM;
		return;
	}
	o->r = *r;
	o->r.name = r->name ? strdup(r->name) : NULL;
	o->r.target = r->target ? strdup(r->target) : NULL;
	o->pending = r->dirty;
}

/* The pass over the containers (cache_scan_*): SCAN_CHUNK entries before
 * the mount, then SCAN_STEP at a time from the loop, so that a cache of
 * 100,000 containers mounts and answers without waiting for it.  Until it
 * ends (scan.on), a record's claim to a container is checked when the
 * container is needed (fo_claim_check). */
#define SCAN_CHUNK 4096
/* After the mount: smaller steps a millisecond apart, so that the first
 * lookups (a few round trips to vice each) do not wait behind a chunk at
 * every turn: with 4096 a step, the first stat after a start with
 * 100,000 containers came 6 s after the mount under load 22. */
#define SCAN_STEP  512

static const struct timeval step_tv = { 0, 1000 };

static struct {
	struct event *ev;
	int           on;      /* under way */
} scan;

/* A container found by the pass stays if its record claims it (a file
 * with data); a fetch's temporary while that fetch is under way. */
static int keep_container(void *arg, uint64_t ino, int tmp, const struct stat *st)
{
	struct fso *o = fo_obj(ino);

	if (tmp)
		return o && o->fetch;
	if (!o || !o->r.has_data || o->r.type != HS_FREG)
		return 0;
	cache_note(ino, cache_st_bytes(st), o->r.last_used);
	fo_update_pin(o);
	return 1;
}

/* o claims a container that is not there: it has no data. */
static void lose_claim(struct fso *o)
{
	if (o->r.dirty)
		vlog(LOG_ERR, "dirty container of ino %" PRIu64 " is missing", o->r.ino);
	o->r.has_data = 0;
	o->r.dirty = 0;
	o->pending = 0;
	fo_save(o);
}

void fo_claim_check(struct fso *o)
{
	char path[4096];
	struct stat st;

	if (!scan.on || o->r.type != HS_FREG || !o->r.has_data || cache_has(o->r.ino))
		return;
	cache_path(o->r.ino, path, sizeof(path));
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		keep_container(NULL, o->r.ino, 0, &st);
	else
		lose_claim(o);
}

/* Records that claim a container the pass did not find lose the claim. */
static void check_claims(void)
{
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (o->r.type == HS_FREG && o->r.has_data && !cache_has(o->r.ino))
				lose_claim(o);
}

/* The pass has ended: the claims, the bound, the totals. */
static void scan_done(void)
{
	scan.on = 0;
	check_claims();
	vlog(LOG_INFO, "cache: %zu objects, %" PRIu64 " containers, %" PRIu64 " bytes",
	     fso_tab.count, cache_files(), cache_bytes());
	fo_trim();
}

static void scan_turn(evutil_socket_t fd, short what, void *arg)
{
	/* This turn's batch is committed first (with the unlinks that wait
	 * for it): a container the pass removes never belongs to a record
	 * still on disk.  An explicit transaction left open waits. */
	db_flush(V->db);
	if (db_in_txn(V->db) || cache_scan_step(SCAN_STEP, keep_container, NULL)) {
		evtimer_add(scan.ev, &step_tv);
		return;
	}
	scan_done();
}

/* Start the pass: its first chunk now, the rest from the loop (all now
 * without one: unit tests). */
static void scan_containers(void)
{
	int err = cache_scan_begin(), more;

	if (err) {
		/* As before the pass had steps: no container is known, so
		 * every record loses its claim. */
		vlog(LOG_WARNING, "container directory: %s", strerror(err));
		scan_done();
		return;
	}
	scan.on = 1;
	do
		more = cache_scan_step(SCAN_CHUNK, keep_container, NULL);
	while (more && !V->base);
	if (more && (scan.ev = evtimer_new(V->base, scan_turn, NULL)) &&
	    !evtimer_add(scan.ev, &step_tv)) {
		vlog(LOG_INFO, "cache: %zu objects; containers are being checked", fso_tab.count);
		return;
	}
	while (more)
		more = cache_scan_step(SCAN_CHUNK, keep_container, NULL);
	scan_done();
}

int fso_init(void)
{
	int err = 0, lerr = 0;
	unsigned dirty = 0;

	fso_fini();
	fso_tab.next_ino = FSO_ROOT_INO + 1;
	if ((err = fo_grow()))
		return err;
	err = db_fso_foreach(V->db, load_one, &lerr);
	if (err || lerr)
		return err ? err : lerr;
	if ((err = fo_realmdir_init()))
		return err;
	fo_mount_rebuild();
	scan_containers();
	fo_rights_init();
	if ((err = fo_vstamp_init()))
		return err;
	/* Dirty containers are logged before the mount (fso_log_dirty):
	 * their claims are checked now. */
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (o->r.dirty) {
				fo_claim_check(o);
				dirty += o->r.dirty != 0;
			}
	if (dirty)
		vlog(LOG_WARNING, "%u containers hold changes not yet stored to vice; "
		     "they are logged as stores once the CML is open", dirty);
	return 0;
}

void fso_fini(void)
{
	size_t i;

	fso_valid_fini();
	fo_vstamp_fini();
	if (scan.ev)
		event_free(scan.ev);
	memset(&scan, 0, sizeof(scan));
	cache_scan_end();
	for (i = 0; i < fso_tab.nbuckets; i++) {
		struct fso *o = fso_tab.by_ino[i], *next;

		for (; o; o = next) {
			next = o->ino_next;
			fo_free_obj(o);
		}
	}
	free(fso_tab.by_ino);
	free(fso_tab.by_fid);
	memset(&fso_tab, 0, sizeof(fso_tab));
}

