/*
 * fsobj.h - venus's cached file system objects, as the front ends see them.
 *
 * An fsobj is venus's record of one vice object (named by its fid): its
 * attributes, whether a callback promise covers them, its directory entries
 * (for a directory) and its container file (for a file or symlink).  The
 * records live in SQLite (<cachedir>/venus.db) and survive restarts; the
 * container files live under <cachedir>/containers/.
 *
 * Every operation is asynchronous: it either completes at once from the
 * cache (the callback runs before the function returns) or sends RPCs to
 * vice and completes when they are answered.  Errors are positive errno
 * values: ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EACCES, ENAMETOOLONG,
 * EINVAL (hostile name), ENOSPC, ETIMEDOUT (vice unreachable), EIO.
 *
 * Front ends name objects by a local 64-bit inode number ("ino"), stable
 * for the life of the cache; FSO_ROOT_INO is the root of the mount: the
 * directory of realms (see "volumes and mount points" below).
 *
 * Every call is made as someone: uid is the local user whose request it
 * is (FUSE's fuse_req_ctx, the Coda upcall's cred), and every vice call it
 * causes goes as that user (srv_call_as: the user's token, or
 * System:AnyUser without one); SRV_SELF (server.h) is venus's own.
 * Before serving from the cache, or logging while disconnected, core
 * checks the user's rights vice reported (rights.h, Coda's): lookup and
 * readdir need l, open r (read) or w (write, truncate), create, mkdir,
 * mknod, symlink and link i, unlink and rmdir d, rename d and i; EACCES
 * otherwise.  A create's uid is both the caller and the new owner.
 */
#ifndef VENUS_FSOBJ_H
#define VENUS_FSOBJ_H

#include <stdint.h>
#include <sys/stat.h>
#include "hesper.h"   /* rpcgen: hs_fid, hs_attr */

#define FSO_ROOT_INO 1
/* The uid of venus's own calls (SRV_SELF in server.h). */
#define FSO_SELF ((uid_t)-1)

/* A snapshot of an object's attributes for a front end. */
struct fso_attr {
	uint64_t     ino;
	hs_fid       fid;
	struct stat  st;          /* st_ino = ino, st_mode includes the type */
	uint64_t     dataversion;
};

/* One directory entry. */
struct fso_dirent {
	uint64_t ino;
	mode_t   type;            /* S_IFREG, S_IFDIR or S_IFLNK */
	char     name[256];
};

typedef void (*fso_attr_cb)(void *arg, int err, const struct fso_attr *a);
typedef void (*fso_err_cb)(void *arg, int err);
/* fd: a container file descriptor owned by the callee; dup() it to keep. */
typedef void (*fso_open_cb)(void *arg, int err, int fd, const struct fso_attr *a);
/* Entries are valid only during the callback. */
typedef void (*fso_readdir_cb)(void *arg, int err, const struct fso_dirent *ents, size_t n);
typedef void (*fso_readlink_cb)(void *arg, int err, const char *target);

/* Name checks shared by every front end: EINVAL for "", ".", "..", a '/',
 * or a NUL; ENAMETOOLONG past 255 bytes.  Returns 0 or the errno. */
int fso_check_name(const char *name, size_t len);

/* Attributes: from the cache while a callback promise holds, else vice. */
void fso_getattr(uint64_t ino, uid_t uid, fso_attr_cb cb, void *arg);
/* Look name up in directory dir.  "." is dir, ".." its parent (a volume
 * root's: the mount point's directory; FSO_ROOT_INO's: itself).  A mount
 * point is crossed: cb gets the volume's root directory (ETIMEDOUT when
 * the volume cannot be reached and was never crossed, ENOENT when it does
 * not exist).  In FSO_ROOT_INO, name is a realm. */
void fso_lookup(uint64_t dir, const char *name, uid_t uid, fso_attr_cb cb, void *arg);
/* All entries of a directory ("." and ".." excluded). */
void fso_readdir(uint64_t dir, uid_t uid, fso_readdir_cb cb, void *arg);
void fso_readlink(uint64_t ino, uid_t uid, fso_readlink_cb cb, void *arg);

/* Open a file: fetch the whole file into its container unless the cached
 * copy is current, then hand back an fd of the container opened with
 * flags' access mode (O_TRUNC is applied and counts as written).  Each
 * successful open must be paired with one fso_close.  An open for writing
 * makes uid the writer: the stores of what it writes (at close, flush or
 * in the CML) go as uid. */
void fso_open(uint64_t ino, int flags, uid_t uid, fso_open_cb cb, void *arg);

/* Close one open.  written: the front end saw a write, truncate,
 * fallocate or mapped write through this open (the written flag).  When the
 * last writer closes and any writer set the flag, the container is stored
 * to vice before cb runs (synchronous in connected mode); otherwise no
 * store is sent and stats.stores_skipped grows. */
void fso_close(uint64_t ino, int flags, int written, fso_err_cb cb, void *arg);

/* close(2) of the last write-capable descriptor of the file on this
 * client (FUSE FLUSH; the front end decides it is the last): if the
 * written flag is set or a store is due or under way, store now (or wait
 * for the one under way) and run cb when vice has the data, so a close
 * that returned means the store is done; a failed store leaves vice's
 * previous version, keeps the container dirty and gives cb the errno.
 * Otherwise cb(0) at once.  The later fso_close stores only what was
 * written after this.  Not for a removed (unlinked while open) file. */
void fso_flush_store(uint64_t ino, fso_err_cb cb, void *arg);
/* Would fso_flush_store store (or wait for a store)?  *writers (if not
 * NULL): the opens for writing fsobj counts (OPEN to fso_close). */
int fso_store_due(uint64_t ino, unsigned *writers);

/* Make room on the cache disk for bytes more, plus FSO_ROOM_MARGIN for
 * venus.db, by evicting clean containers (cache_make_room) before a write,
 * fetch or create would fail with ENOSPC.  Best effort; no error. */
#define FSO_ROOM_MARGIN (1u << 20)
void fso_room(uint64_t bytes);
/* The same before a delete; with nothing left to evict, the cache's
 * reserve is given back so that the delete can commit (cache.h). */
void fso_room_delete(void);

/* Mark an open file written now, extents unknown: its next store sends
 * the whole file. */
void fso_mark_written(uint64_t ino);
/* Written extents (issue 11): [off, off + len) bytes of open file ino's
 * container were written through the front end (a FUSE write,
 * copy_file_range, fallocate, writeback of a mapped page; the extents a
 * module CLOSE reports).  Sets the written flag; the next store sends only
 * the extents noted since the last store (HS_STORE_DELTA), unless a
 * whole-file mark came in between.  Best effort: when venus cannot keep
 * the extents (too many, no memory) it falls back to the whole file. */
void fso_note_written(uint64_t ino, uint64_t off, uint64_t len);
/* Open file ino was cut or extended to size bytes (ftruncate, fallocate
 * past the end, setattr of size): bytes from size on no longer hold what
 * vice's version held. */
void fso_note_size(uint64_t ino, uint64_t size);
/* The reply to a container write to ino the front end made itself
 * (FUSE's write): cont(arg) runs once the yellow/red zones admit it
 * (zone.h; at once while ino's volume is strongly connected with an
 * empty log), exactly once, on the event loop.  Core applies the zones to
 * every other mutation's reply itself, so every front end is throttled
 * the same. */
void fso_write_admit(uint64_t ino, void (*cont)(void *arg), void *arg);

/* Setattr: mask is HS_SET_* from hesper.h; a size change also truncates the
 * container and counts as a write. */
struct fso_setattr {
	unsigned  mask;
	mode_t    mode;
	uid_t     uid;
	gid_t     gid;
	uint64_t  size;
	struct timespec atime, mtime;
};
void fso_setattr(uint64_t ino, uid_t uid, const struct fso_setattr *sa, fso_attr_cb cb,
		 void *arg);

/* Back-pressure: the callbacks of fso_create, fso_mkdir, fso_mknod and
 * fso_symlink, and of an fso_close or fso_flush_store that stored, run
 * only once the yellow/red zones admit them (zone.h; at once while
 * strongly connected), whichever front end called. */
void fso_create(uint64_t dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
		fso_attr_cb cb, void *arg);
void fso_mkdir(uint64_t dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
	       fso_attr_cb cb, void *arg);
/* mknod(2): mode carries the type (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK;
 * S_IFREG or 0 is a create) and permission bits; rdev (dev_t) is kept
 * for device nodes only.  EINVAL for another type. */
void fso_mknod(uint64_t dir, const char *name, mode_t mode, uint64_t rdev, uid_t uid,
	       gid_t gid, fso_attr_cb cb, void *arg);
void fso_symlink(uint64_t dir, const char *name, const char *target, uid_t uid, gid_t gid,
		 fso_attr_cb cb, void *arg);
void fso_link(uint64_t ino, uint64_t newdir, const char *newname, uid_t uid, fso_attr_cb cb,
	      void *arg);
void fso_unlink(uint64_t dir, const char *name, uid_t uid, fso_err_cb cb, void *arg);
void fso_rmdir(uint64_t dir, const char *name, uid_t uid, fso_err_cb cb, void *arg);
void fso_rename(uint64_t dir, const char *name, uint64_t newdir, const char *newname,
		uid_t uid, fso_err_cb cb, void *arg);

/* Drop the front end's interest in ino (FUSE forget); the record stays
 * cached until evicted. */
void fso_forget(uint64_t ino, uint64_t nlookup);

/* ---- for cfs (ctl.c) ---- */

/* Resolve a path relative to the mount point ("" or "/" is the realm
 * directory; "REALM/..." a realm's tree), walking lookups as venus
 * itself (SRV_SELF), crossing mount points, "." and ".." as fso_lookup. */
void fso_resolve(const char *relpath, fso_attr_cb cb, void *arg);
/* The same as uid (hoard walks: the entry's uid; cfs: the caller). */
void fso_resolve_as(const char *relpath, uid_t uid, fso_attr_cb cb, void *arg);
/* Discard the cached data and attributes of ino (cfs flushobject).
 * EBUSY if it is open or dirty. */
int fso_flush(uint64_t ino);
/* One line per cached object for cfs listcache: calls fn for each. */
struct fso_cacheinfo {
	uint64_t ino;
	hs_fid   fid;
	mode_t   type;
	uint64_t size;
	int      has_data;     /* container holds the whole file */
	int      has_callback; /* a callback promise covers it */
	int      open;         /* open count */
	int      missed;       /* a fetch failed while vice was unreachable */
	char     path[4096];   /* best-known path below the mount, or "" */
};
void fso_foreach_cached(void (*fn)(void *arg, const struct fso_cacheinfo *ci), void *arg);

/* ---- volumes and mount points (for cfs: lsmount, mkmount, whereis...) ----
 *
 * FSO_ROOT_INO is venus's own read-only directory of realms (/coda; fid
 * {VR_LOCAL_VOL, 1, 1}, mode 0555, owner root).  /coda/<realm> is the
 * realm's root volume's root directory.  A mount point (Coda's) is a
 * symlink of mode 0644 whose target is "#VOLNAME." or "%VOLNAME.": lookup
 * crosses it to the volume's root directory, whose parent (`..`) is the
 * mount point's directory; the link itself stays the directory entry
 * (rename and unlink act on it). */

/* What fso_mount_info says of an object. */
struct fso_mount {
	uint32_t volume;       /* local volume number of the object (volreg.h) */
	int      is_root;      /* ino is a volume's root directory */
	int      is_realm;     /* ...and that volume is a realm's root (its
				* mount point is /coda/<realm>) */
	int      is_realmdir;  /* ino is FSO_ROOT_INO itself */
	uint64_t mp_dir;       /* is_root: the mount point's directory ino
				* (FSO_ROOT_INO for a realm root), 0 unknown */
	char     mp_name[256]; /* is_root: the mount point's name, or "" */
};
/* Synchronous, from the cache: 0, or ENOENT when ino is not cached. */
int fso_mount_info(uint64_t ino, struct fso_mount *m);
/* cfs mkmount: make a mount point name in directory dir for volume
 * volname (a name or number), as uid (HS_MKMOUNT; vice needs the
 * administer right on dir).  Connected only: ETIMEDOUT while dir's
 * volume is unreachable, EBUSY while dir's own changes wait in the CML;
 * EXDEV never (the volume may live anywhere in the realm).  cb gets the
 * link's attributes (not crossed). */
void fso_mkmount(uint64_t dir, const char *name, const char *volname, uid_t uid,
		 fso_attr_cb cb, void *arg);
/* The volume name a mount point dir/name names, without crossing it
 * ("#NAME." -> "NAME"): EINVAL if name is not a mount point (Coda's
 * "Not a mount point"), ENOENT if absent.  cb's target is the name. */
void fso_lsmount(uint64_t dir, const char *name, uid_t uid, fso_readlink_cb cb, void *arg);
/* 1 if the attributes (type and mode) are those of a mount point. */
int fso_is_mountpoint_attr(int hs_type, mode_t mode);
/* From the cache alone, synchronous: the ino name names in dir, with a
 * mount point crossed to its volume's root when it was crossed before
 * (hoard's cached path walks); 0 when not cached. */
uint64_t fso_cached_child(uint64_t dir, const char *name);

/* ---- from the front ends' side: invalidation hooks ---- */

/* The front end implements these so that a callback break or a flush
 * reaches the kernel's caches (FUSE notify_inval, Coda ZAPFILE/ZAPDIR). */
struct vfront_ops {
	const char *name;
	void (*inval_inode)(uint64_t ino);
	void (*inval_entry)(uint64_t dir, const char *name);
	/* Optional: run done(arg) from the loop once every invalidation
	 * issued before this call has reached the kernel (NULL: the hooks
	 * act at once). */
	void (*fence)(void (*done)(void *arg), void *arg);
	/* Optional: an object created while disconnected got its
	 * server fid at reintegration; ino is unchanged (Coda's REPLACE
	 * downcall).  NULL: inval_inode(ino) is used instead. */
	void (*replace)(uint64_t ino, const hs_fid *oldf, const hs_fid *newf);
	/* Optional: between hold(1) and the matching hold(0), called from
	 * the loop in one go, invalidations may be batched and issued at
	 * hold(0) (a reintegration block refids up to 1024 objects, each an
	 * inval_inode: FUSE's writer thread was woken per note).  NULL: each
	 * acts as issued. */
	void (*hold)(int on);
};
/* Run done(arg) once the front end has applied every invalidation issued
 * so far (at once when it has no fence).  A callback break is answered
 * only then, so vice's writer knows the readers' kernels were told. */
void fso_front_fence(void (*done)(void *arg), void *arg);
/* The front end's hold (vfront_ops.hold), if it has one: 1 to start a
 * burst of invalidations, 0 to end it; pairs nest. */
void fso_front_hold(int on);
void fso_set_front(const struct vfront_ops *ops);

/* ---- for main.c (server events reach these through its srv_hooks) ---- */

/* Load the records of V->db and check the containers under cfg.cachedir;
 * call after V->db is open.  0 or a positive errno. */
int fso_init(void);
/* Free the in-memory records; the db and the containers stay. */
void fso_fini(void);
/* vice broke its callback promise on fid: attributes and directory
 * contents must be revalidated, and the front end's caches are told. */
void fso_cb_break(const hs_fid *fid);
/* The connection to vice dropped: every promise is void. */
void fso_cb_lost(void);
/* The connection to server s dropped: the promises on objects whose
 * volume s serves (vr_srv_of) are void. */
struct srv;
void fso_cb_lost_srv(struct srv *s);
/* Local volume lvol moved to another server: its promises are void. */
void fso_vol_moved(uint32_t lvol);
/* Server s answered HS_CONNECT: the cached objects it serves that hold
 * no promise are queued and revalidated in HS_GETATTRS batches in the
 * background (fsobj_valid.c); a use of one of them asks for it with its
 * queued neighbours. */
void fso_valid_srv_up(struct srv *s);
/* Forget the queues (fso_fini). */
void fso_valid_fini(void);
/* Clean shutdown, while the servers are still connected: ask for the
 * stamp of every volume with cached objects and record those that hold
 * (fsobj_vstamp.c), then done(arg) once every answer is in; from then on
 * nothing deletes a recorded stamp.  Wait fso_vstamp_flush_ms() at most. */
void fso_vstamp_flush(void (*done)(void *arg), void *arg);
/* The flush's waiter is gone (its time ran out): answers that come later
 * still record, but call no one. */
void fso_vstamp_flush_end(void);
int fso_vstamp_flush_ms(void);
/* Mark the objects the CML names (their cache is the truth until they
 * are reintegrated); after cml_init and after reintegration. */
void fso_cml_settle(void);
/* At start, after cml_init: log a store for every container the last run
 * wrote but never closed (it died first). */
void fso_log_dirty(void);
/* After a transaction ends (committed or not): unlink the containers of
 * the records it deleted, if its commit made that durable. */
void fso_gone_settle(int committed);

#endif /* VENUS_FSOBJ_H */
