/*
 * fsobj_int.h - private to venus/fsobj*.c: the in-memory record of a cached
 * object and the helpers the fsobj files share.  fsobj.h is the public
 * interface, fsobj_disc.h the one for reintegration and conflicts; nothing
 * outside venus/fsobj*.c includes this (test/layering.sh and the review
 * keep it so).
 */
#ifndef VENUS_FSOBJ_INT_H
#define VENUS_FSOBJ_INT_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/store/db.h"
#include "venus/core/fsobj_disc.h"

#define FETCH_INFLIGHT 4    /* HS_FETCH calls in flight per fetch */
#define STORE_INFLIGHT 3    /* HS_STORE_CHUNK calls in flight per store */
#define FETCH_RESTARTS 8    /* give up when the file keeps changing */

struct fetch;
struct store;
struct waiter;

/*
 * struct fso: one cached object (its row r in venus.db, plus what only
 * this run knows).  It lives in fso_tab from first sight until eviction
 * (fo_free_obj) or removal (fo_obj_gone); core alone writes its fields.
 *
 * States of the contents (files; directories and symlinks alike with
 * "entries" or "target" for "container"):
 *   EMPTY     r.has_data 0: nothing cached; an open fetches.
 *   CURRENT   r.has_data, r.data_dv == r.dataversion: vice's version.
 *   STALE     r.has_data, r.data_dv != r.dataversion: vice moved on (a
 *             callback break, another client's store); refetched on open
 *             unless LOCAL.
 *   LOCAL     r.has_data and the container holds changes vice has not
 *             seen: written/writers/pending/r.dirty (fo_container_local),
 *             or cml (the log names it: the cache is the truth).
 * Orthogonal: has_cb (vice promised to tell us of changes), opens and
 * writers (the front end's opens), removed (unlinked while open).
 *
 * Invariants (kept by every function that writes the fields):
 *   (1) writers <= opens.
 *   (2) removed: vice no longer has the object (fo_obj_gone) while an
 *       open, fetch or store held it; it stays for them, stores nothing,
 *       is no longer dirty (unless cml), and goes when the last ends.
 *   (3) A fetch never replaces a LOCAL container (fo_ensure_data and
 *       fso_open check fo_container_local first): data not on vice is
 *       never overwritten by vice's.
 *   (4) r.dirty is 1 from the first write until a store of that data is
 *       on vice or in the CML (durable): a restart (fso_log_dirty) logs
 *       what a dead run left dirty.
 *   (5) cml is 1 iff a CML record names r.fid (fo_cml_settle recomputes
 *       it); while it is 1 the cache is served without asking vice
 *       (fo_trust_cache) and every mutation of it is logged (fo_must_log).
 *   (6) The container is pinned (fo_update_pin) exactly while any of
 *       opens, r.dirty, pending, store, fetch, written, cml or a local fid
 *       holds: eviction never drops data vice does not have.
 *   (7) A local fid (cml_is_local) lives only while the create that made
 *       it is in the CML; reintegration swaps in vice's fid and keeps
 *       r.ino (fo_refid), so the kernel's inode stays valid.
 *   (8) At most one store is under way (store); callers that need another
 *       wait on store_next and run when it ends.
 */
struct fso {
	struct db_fso r;
	int           has_cb;     /* a callback promise covers r: FO_CB_OWN
				   * its own, FO_CB_VOL its volume's only */
	unsigned      opens;
	unsigned      writers;    /* opens for writing */
	int           written;    /* the written flag: set since the last store */
	int           pending;    /* dirty with no store under way (failed or
				   * left from a previous run): store at close */
	int           removed;    /* last link gone while open */
	int           flush_stored; /* a close(2) stored since the last open */
	struct fetch *fetch;      /* fetch under way */
	struct store *store;      /* store under way */
	struct waiter *store_next;/* callers waiting for another store */
	int           cml;        /* CML records name it: the cache is the truth */
	int           missed;     /* needed while vice was unreachable, not cached */
	uid_t         wuid;       /* who opened it for writing last: stores and
				   * their CML records go as this uid */
	struct extset *wx;        /* ranges written since the last store, NULL:
				   * unknown (fsobj_extents.c) */
	struct fso   *ino_next, *fid_next;
};

/* has_cb values (0: none).  FO_CB_VOL: vice answered the volume's
 * recorded stamp as valid (fsobj_vstamp.c); a volume break voids it. */
#define FO_CB_OWN 1
#define FO_CB_VOL 2

/* A continuation that needs an object. */
typedef void (*fso_k)(void *arg, int err, struct fso *o);
/* A continuation that needs only a status. */
typedef void (*err_k)(void *arg, int err);

/* Callers waiting for a fetch or a store. */
struct waiter {
	err_k          k;
	void          *arg;
	struct waiter *next;
};

/* The in-memory table (fsobj.c). */
struct fso_table {
	struct fso **by_ino, **by_fid;
	size_t       nbuckets, count;
	uint64_t     next_ino;
	const struct vfront_ops *front;
};
extern struct fso_table fso_tab;


/* ---- fsobj.c ---- */
/* wuid before anyone opened the object for writing in this run. */
#define FO_NO_WRITER ((uid_t)-2)
/* The uid o's stores go as: who last opened it for writing (or truncated
 * it), else its owner (a container a dead run left dirty). */
uid_t fo_writer(const struct fso *o);
void fo_apply_attr(struct fso *o, const hs_attr *a, int own);
int fo_container_local(const struct fso *o);
int fo_contents_current(const struct fso *o);
void fo_dir_add(struct fso *dir, const char *name, struct fso *child);
void fo_dir_del(struct fso *dir, const char *name);
void fo_fill_attr(const struct fso *o, struct fso_attr *a);
void fo_free_obj(struct fso *o);
int fo_grow(void);
struct fso *fo_new_obj(const hs_fid *fid, int type, uint64_t ino);
uint64_t fo_now_us(void);
struct fso *fo_obj(uint64_t ino);
struct fso *fo_obj_by_fid(const hs_fid *fid);
struct fso *fo_obj_for_attr(const hs_attr *a, int own);
void fo_obj_gone(struct fso *o);
/* Write o's row to venus.db: 0, or ENOSPC/EIO, logged with the object. */
int fo_save(struct fso *o);
/* fo_save of an object whose fid fo_refid just changed (its row is
 * rewritten in place: db_fso_put_moved). */
int fo_save_moved(struct fso *o);
mode_t fo_type_bits(int type);

/* ---- fsobj_find.c ---- */
/* uid everywhere: the local user the call is made for (srv_call_as),
 * SRV_SELF for venus's own. */
int fo_check_cname(const char *name);
void fo_lookup_obj(uint64_t dir, const char *name, uid_t uid, fso_k k, void *arg);
void fo_with_fresh(uint64_t ino, uid_t uid, fso_k k, void *arg);
void fo_with_obj(uint64_t ino, int fresh, uid_t uid, fso_k k, void *arg);
/* HS_GETATTR of ino as uid even under a promise (to learn uid's rights). */
void fo_getattr_as(uint64_t ino, uid_t uid, fso_k k, void *arg);
/* fo_lookup_obj that also looks names up in the realm directory. */
void fo_lookup_entry(uint64_t dir, const char *name, uid_t uid, fso_k k, void *arg);

/* ---- fsobj_realm.c: the realm directory (FSO_ROOT_INO, /coda) ---- */
/* At fso_init, after the rows are loaded: make the directory's record
 * if missing, and note a root an older cache kept at ino 1 (db.c moved it;
 * it becomes realm 0's entry). */
int fo_realmdir_init(void);
/* /coda/name: the realm's root volume's root directory (k gets it with
 * current attributes); ENOENT for a realm that does not exist (cached
 * briefly), ETIMEDOUT when none of its servers answers. */
void fo_realm_lookup(const char *name, uid_t uid, fso_k k, void *arg);
/* The listing of the realm directory: every realm venus knows. */
void fo_realm_readdir(fso_readdir_cb cb, void *arg);

/* ---- fsobj_mount.c: mount points and volume roots ---- */
/* Look name up in dir and cross it if it is a mount point (k gets the
 * volume's root directory then). */
void fo_lookup_cross(uint64_t dir, const char *name, uid_t uid, fso_k k, void *arg);
/* "." (dotdot 0) or ".." of dir: a volume root's ".." is its mount
 * point's directory; the realm directory is its own parent. */
void fo_lookup_dots(uint64_t dir, int dotdot, uid_t uid, fso_k k, void *arg);
/* Remember that root (a volume's root directory) is mounted at dir/name
 * through the link ino link (0 if none: a realm root); sets root's parent
 * and name (its `..`). */
void fo_mount_note(uint64_t dir, const char *name, uint64_t link, struct fso *root);
/* At fso_init: the mount table from the rows (roots whose parent is in
 * another volume). */
void fo_mount_rebuild(void);
/* A mount point object seen from a listing: the root ino to show for it
 * (0 if not crossed yet). */
uint64_t fo_mount_root_of(uint64_t dir, const char *name);
/* Best-known path below the mount of local volume lvol's root (where it
 * was crossed), else "/REALM", else "". */
void fo_volume_path(uint32_t lvol, char *buf, size_t len);

/* ---- fsobj_rights.c: uid's rights (rights.h) checked before core serves
 * from the cache or logs what vice would refuse (Coda's CheckAcRights) ---- */
/* At fso_init: the rights an earlier run noted (venus.db), all stale. */
void fo_rights_init(void);
/* Note the rights a vice reply carried for the uid it was made as. */
void fo_note_rights(uid_t uid, const hs_attr *a);
/* need (HS_R_* bits) on o's ACL (a file's: its parent's): 0, EACCES, or
 * EAGAIN when unknown while vice is reachable (ask it as uid). */
int fo_rights_check(struct fso *o, uid_t uid, unsigned need);
/* fo_rights_check, asking vice (getattr as uid) first when unknown. */
void fo_check(struct fso *o, uid_t uid, unsigned need, err_k k, void *arg);

/* ---- fsobj_fetch.c ---- */
int fo_add_waiter(struct waiter **list, err_k k, void *arg);
/* The fetch, if one is needed, goes as uid (a fetch under way serves
 * every waiter: each was checked for r first). */
void fo_ensure_data(struct fso *o, uid_t uid, err_k k, void *arg);
void fo_trim(void);
void fo_update_pin(struct fso *o);
void fo_wake(struct waiter *list, int err);

/* ---- fsobj_store.c ---- */
/* Stores go as o->wuid, the uid that opened o for writing. */
void fo_store_then(struct fso *o, err_k k, void *arg);
/* r.dirty's bits from FO_SET_SHIFT up: the HS_SET_* bits (MODE, UID,
 * GID, ATIME) of setattrs answered from the cache while o was open for
 * writing (fsobj_setattr.c, protocol 6) and not on vice yet.  The next
 * store carries them with r's values (hs_store_set); a store that goes
 * to the CML instead is followed by a setattr record of them.  Kept in
 * the row, so a restart (fso_log_dirty) logs them with the store. */
#define FO_SET_SHIFT 8
#define FO_SET_BITS (HS_SET_MODE | HS_SET_UID | HS_SET_GID | HS_SET_ATIME)
/* The pending HS_SET_* bits of o. */
unsigned fo_set_pending(const struct fso *o);
/* Log a setattr record of mask's fields with r's values, as o's writer:
 * 0 (also for mask 0) or an errno (fo_log_setattr). */
int fo_log_set(struct fso *o, unsigned mask);
/* fo_log_store, then the pending attributes (fo_log_set). */
int fo_log_store_set(struct fso *o);

/* ---- fsobj_open.c ---- */
void fo_close_settle(uint64_t ino);

/* ---- fsobj_extents.c: written extents (issue 11) ---- */
struct extset;
/* Set the written flag with the extents unknown: the whole file. */
void fo_wx_whole(struct fso *o);
/* Drop o's set (the object is freed). */
void fo_wx_free(struct fso *o);
/* [off, off + len) was written; sets the written flag. */
void fo_wx_note(struct fso *o, uint64_t off, uint64_t len);
/* o was cut or extended to size bytes; sets the written flag. */
void fo_wx_cut(struct fso *o, uint64_t size);
/* At the start of a store of size bytes: the set the store may send as a
 * delta (the caller frees it: ext_free + free), or NULL for the whole
 * file (extents unknown, a failed store pending, no base version, more
 * than HS_DELTA_MAX pieces, cut to 0 or half the file or more written).
 * o->wx is NULL afterwards either way. */
struct extset *fo_wx_take(struct fso *o, uint64_t size);
/* The commit's cut, size and extents (a->ext.ext_val malloc'd, ranges
 * clipped to size and split to 32-bit lengths); ENOMEM. */
int fo_wx_args(const struct extset *e, uint64_t size, hs_store_delta_args *a);
/* Where a delta store reads next: moves *next to the range at or after
 * it (index *xi) and sets *lim to that range's end (clipped to size); 0
 * when no range is left. */
int fo_wx_next(const struct extset *e, unsigned *xi, uint64_t *next,
	       uint64_t size, uint64_t *lim);
/* ---- fsobj_valid.c: batched validation (HS_GETATTRS) ---- */
/* Ask for o's attributes as uid in one HS_GETATTRS call with up to
 * as many as 1023 other objects of its volume still to validate since
 * its server came up (fso_valid_srv_up).  -1: nothing queued for its
 * volume (or no memory): ask alone.  0: done(arg, err, res) runs once,
 * res o's hs_attr_res as HS_GETATTR would answer (the other slots are
 * applied before), or err EAGAIN: the batch gave no usable answer for o
 * (HS_EMOVED, an error of the call other than ETIMEDOUT): ask alone. */
int fo_valid_ask(struct fso *o, uid_t uid, void (*done)(void *arg, int err, void *res),
		 void *arg);

/* Queue every object of lvol that holds no promise for the background
 * pass, and run it (a stamp refused, a volume promise broken). */
void fo_valid_queue_vol(uint32_t lvol);
/* Every object of lvol waiting for validation takes the volume's promise
 * (has_cb FO_CB_VOL); how many did. */
size_t fo_vol_promised(uint32_t lvol);

/* ---- fsobj_vstamp.c: volume version stamps (HS_VOLSTAMPS) ---- */
/* Load the recorded stamps (fso_init): 0 or an errno of db.h. */
int fo_vstamp_init(void);
void fo_vstamp_fini(void);
/* Server s is up: send the recorded stamp of every volume served(lvol, s)
 * says it serves; those volumes are "checking" until the answer, which
 * either gives their waiting objects the volume promise (fo_vol_promised)
 * or queues them (fo_valid_queue_vol). */
struct srv;
void fo_vstamp_srv_up(int (*served)(uint32_t lvol, struct srv *s), struct srv *s);
/* 1 while lvol's recorded stamp is being sent. */
int fo_vstamp_checking(uint32_t lvol);
/* A doubt about lvol (a break there, an own change, a lost promise): its
 * recorded stamp goes and answers to earlier questions do not count. */
void fo_vstamp_touch(uint32_t lvol);
/* Attributes came from vice: ask for the stamps not recorded once
 * nothing happened for a while (a timer, re-armed at each call). */
void fo_vstamp_quiet(void);
/* vice broke lvol's volume promise: touch it, revalidate its objects. */
void fo_vstamp_vol_broken(uint32_t lvol);
/* Ask now for the stamp of every volume that has none recorded, and
 * record it if every cached object holds a promise at the answer. */
void fo_vstamp_record(void);

/* ---- fsobj_cb.c: the start's pass over the containers ---- */
/* While that pass is under way: check now that the container o's record
 * claims is there (noted for the bound), else o loses the claim (no data,
 * not dirty), as the pass's end would do.  Call before using a container
 * (fo_ensure_data).  Nothing once the pass has ended. */
void fo_claim_check(struct fso *o);

/* ---- fsobj_cb.c: the front end's caches (fso_tab.front), NULL-safe ---- */
/* The kernel forgets what it cached of ino (attributes, pages). */
void front_inval_inode(uint64_t ino);
/* ... of the name dir/name (nothing for an empty name). */
void front_inval_entry(uint64_t dir, const char *name);
/* ino's fid changed from oldf to newf (Coda's REPLACE), or inval_inode. */
void front_replace(uint64_t ino, const hs_fid *oldf, const hs_fid *newf);

/* ---- fsobj_zone.c: the zones on mutation replies ---- */
/* Reply cb(arg, 0, a) once the zones admit it (vst_admit of a's volume:
 * a volume that logs nothing is never held back by another's log); a is
 * copied. */
void fo_zone_attr(fso_attr_cb cb, void *arg, const struct fso_attr *a);
/* Reply cb(arg, err): at once for an error, else once the zones admit it
 * for object ino's volume. */
void fo_zone_err(uint64_t ino, fso_err_cb cb, void *arg, int err);

/* ---- fsobj_setattr.c ---- */
hs_time fo_to_hs_time(const struct timespec *ts);

/* ---- fsobj_local.c: mutations applied locally and logged (CML) ---- */
struct cml_row;
/* Volume lvol's server is unreachable (a failed call or probe, or cfs
 * disconnect): serve what the cache has, log every change.  Never for
 * VR_LOCAL_VOL (venus's own objects). */
int fo_offline(uint32_t lvol);
/* Serve o from the cache without asking vice: vice is unreachable, o is
 * known only locally, or the log holds changes to it. */
int fo_trust_cache(const struct fso *o);
/* A directory whose listing the cache serves: trusted (fo_trust_cache)
 * and listed.  When vice is asked about it anyway (the caller's rights
 * are unknown), vice's answer only says whether the caller may look: the
 * entries and attributes stay ours until the log is reintegrated. */
int fo_dir_ours(const struct fso *d);
/* Take vice's attributes a for o (fo_apply_attr, not own), unless the
 * cache is the truth for o (fo_trust_cache): then they are dropped, as an
 * answer about a version the pending records have not reached yet. */
void fo_take_attr(struct fso *o, const hs_attr *a);
/* THE decision for every mutation (create, link, remove, rename, setattr,
 * store): 1 = apply locally and log it (fo_log_*), 0 = send it to vice.
 * Logging when the volume is not strongly connected, when older records
 * wait (order), or when any of a, b, c (NULLs skipped) is trusted from
 * the cache.  No other place in core asks volstate. */
int fo_must_log(const struct fso *a, const struct fso *b, const struct fso *c);
/* Before the first change logged in directory d while its server is
 * reachable (write-back mode, records waiting): 1 if its whole listing
 * must be fetched first.  The change makes the listing the cache's own
 * (fo_dir_ours) until the log is reintegrated: lookups and readdir then
 * answer from it alone, so it must hold every name vice has; without it a
 * name removed in the log came back from vice's lookup (tar -x over a tree
 * looped on EEXIST) and one created in the log vanished at vice's
 * readdir.  0 offline (nothing to fetch: the names we know are all there
 * is), for a directory listed and ours already, or listed and current
 * under a callback. */
int fo_log_needs_listing(const struct fso *d);
/* Every record carries the uid it is made for (uid below; a store's is
 * fo_writer(o); a create's its owner, the caller).
 * Log o's container as a store record (durable before it returns).
 * 0 or an errno; the container keeps the data either way. */
int fo_log_store(struct fso *o);
/* Apply sa (size excluded) to o and log it.  0 or an errno. */
int fo_log_setattr(struct fso *o, const struct fso_setattr *sa, uid_t uid);
/* The name operations below take sid NULL for a fresh store id, or the
 * one of a call to vice that failed with a network error: vice may have
 * applied it, and the same id makes reintegration a no-op for it then. */
/* create/mkdir/symlink (proc HS_CREATE, HS_MKDIR, HS_SYMLINK) in dir:
 * a local fid, the cached entry, a record.  *out: the new object. */
int fo_log_create(struct fso *dir, uint32_t proc, const char *name, mode_t mode, uid_t uid,
		  gid_t gid, const char *target, const hs_storeid *sid, struct fso **out);
/* mknod of a special file (type HS_FIFO..HS_FBLK, rdev for devices) in
 * dir: as fo_log_create, with an HS_OP_MKNOD record. */
int fo_log_mknod(struct fso *dir, const char *name, int type, mode_t mode, uint64_t rdev,
		 uid_t uid, gid_t gid, const hs_storeid *sid, struct fso **out);
int fo_log_link(struct fso *dir, const char *name, struct fso *o, uid_t uid,
		const hs_storeid *sid);
int fo_log_remove(struct fso *dir, const char *name, struct fso *o, int isdir, uid_t uid,
		  const hs_storeid *sid);
int fo_log_rename(struct fso *sd, const char *name, struct fso *dd, const char *newname,
		  struct fso *o, uid_t uid, const hs_storeid *sid);
/* Recompute o->cml from the log. */
void fo_cml_settle(struct fso *o);
/* fsobj_ctl.c: best-known path of o below the mount. */
void fo_path_of(const struct fso *o, char *buf, size_t len);
/* Change o's fid (local -> server): the ino stays; tables and front
 * (the caller saves the row). */
void fo_refid(struct fso *o, const hs_fid *newf);

#endif /* VENUS_FSOBJ_INT_H */
