/*
 * vice/store.h - vice's storage: SQLite metadata plus one data file per
 * regular file, under one root directory.
 *
 * Layout: <root>/vice.db (WAL, synchronous=FULL; NORMAL plus vs_flush
 * under group commit), <root>/data/<vol>/
 * <vnode>.<uniq> (file contents), <root>/data/tmp/<client>.<seq> (store
 * chunks staged under their store id until the commit; they survive
 * connection drops and restarts, see vs_stage_sweep).
 *
 * Every function returns a wire status: 0, a positive errno (ESTALE for an
 * unknown fid, ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, EXDEV,
 * ENOSPC, EIO, ...) or HS_ECONFLICT.  Results are rpcgen structs; strings
 * and arrays in them are malloc'd, so xdr_free() releases them.
 *
 * Mutations take a store id.  One already applied is not applied again:
 * the call reports the current state and sets *dup.  The store id {0,0}
 * means "none" and is never recorded.
 *
 * Single-threaded: one struct vstore is used from one thread only.
 */
#ifndef VICE_STORE_H
#define VICE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "hesper.h"

struct vstore;

/* What a new object is made of (create, mkdir, mknod, symlink). */
struct vs_new {
	hs_fid dir;
	hs_storeid sid;
	const char *name;
	hs_ftype type;
	unsigned mode;          /* permission bits; ignored for symlinks */
	unsigned uid, gid;
	hs_time mtime;          /* client's clock; {0,0}: use the server's */
	const char *target;     /* symlinks only */
	uint64_t rdev;          /* HS_FCHR, HS_FBLK only */
};

/* Open (creating on first use) the store under root.  First start makes
 * volume "root" (id 1, root dir 1.1.1, mode 0777).  Returns 0 or -errno
 * with a message in err. */
/* SQLite's process-wide settings for vice's stores; call before any
 * database is opened (later, SQLite refuses them and nothing changes). */
void vs_sqlite_config(void);
int vs_open(const char *root, struct vstore **out, char *err, size_t errlen);
/* vs_open's choices (all 0: vs_open's behaviour). */
struct vs_open_opts {
	/* 1: a fresh store makes no volume "root" (a later server of a
	 * realm whose VLDB already has one; vice --vldb etcd). */
	int no_root_volume;
};
int vs_open_with(const char *root, const struct vs_open_opts *o,
		 struct vstore **out, char *err, size_t errlen);
/* Close the database and free vs (NULL is fine). */
void vs_close(struct vstore *vs);
/* Random id of this server, chosen on first start. */
uint64_t vs_server_id(const struct vstore *vs);

/* Bytes of a client key's hash (SHA-256). */
#define VS_KEY_HASH 32
/* Bind client id to the hash of its key on first use (kept in vice.db,
 * never forgotten): 0 if bound now or already bound to this hash, EPERM
 * if bound to another, or an errno.  Coda binds a client to its
 * authenticated connection instead; the key lets a client's store ids
 * outlive connections and vice restarts. */
int vs_client_bind(struct vstore *vs, uint64_t client,
		   const unsigned char hash[VS_KEY_HASH]);

/* 0, EINVAL ("", ".", "..", contains '/') or ENAMETOOLONG (> 255 bytes). */
int vs_name_check(const char *name);

/* Volume by name ("" means "root"): ENOENT if unknown. */
int vs_getroot(struct vstore *vs, const char *name, hs_volinfo *out);
/* All volumes (at most HS_MAXVOLS). */
int vs_listvol(struct vstore *vs, hs_vollist *out);

int vs_getattr(struct vstore *vs, const hs_fid *fid, hs_attr *out);
int vs_lookup(struct vstore *vs, const hs_fid *dir, const char *name,
	      hs_lookup_ok *out);
/* A page of at most count entries (0 or more than HS_READDIR_MAX mean
 * HS_READDIR_MAX) after cookie; the cookie is a position in a stable
 * order, 0 starts.  "." and ".." are not listed. */
int vs_readdir(struct vstore *vs, const hs_fid *dir, uint64_t cookie,
	       unsigned count, hs_readdir_ok *out);
int vs_readlink(struct vstore *vs, const hs_fid *fid, char **target);
/* The data extents of up to count bytes (clamped to HS_CHUNK_MAX) from
 * off, short at EOF; holes are left out (SEEK_DATA/SEEK_HOLE on the data
 * file) and out->next_data says where data resumes after the range. */
int vs_fetch(struct vstore *vs, const hs_fid *fid, uint64_t off,
	     unsigned count, hs_fetch_ok *out);

/* Staging quotas (store_stage.c).  Stores one client id (sid.client)
 * may have staged at once: */
#define VS_STAGE_MAX 256
/* Stores and bytes staged at once per protection id of the caller; all
 * anonymous callers (HS_ID_ANONYMOUS) share one small quota, above one
 * client's so that a single anonymous client cannot use it up. */
#define VS_STAGE_USER_MAX 4096
#define VS_STAGE_USER_BYTES (16ULL << 30)
#define VS_STAGE_ANON_MAX 512
#define VS_STAGE_ANON_BYTES (256ULL << 20)
/* A staged store that received nothing for this long (ns) is removed
 * (at start and when a client connects): its client sends it again. */
#define VS_STAGE_AGE (24LL * 3600 * 1000000000LL)
/* Stage one chunk of a store (not fsync'd until the commit), charged to
 * owner (the caller's protection id).  EDQUOT past a staging quota
 * above.  fid may be a local fid (HS_LOCAL_VNODE), created later by a
 * reintegration block. */
int vs_store_chunk(struct vstore *vs, const hs_store_chunk_args *a,
		   int32_t owner, int *dup);
/* Remove staged stores idle for VS_STAGE_AGE. */
void vs_stage_expire(struct vstore *vs);
/* Make the staged data the file's contents, cut or zero-extended to
 * a->size.  ENOENT if size > 0 and nothing was staged under a->sid. */
int vs_store_commit(struct vstore *vs, const hs_store_commit_args *a,
		    hs_attr *out, int *dup);
/* HS_STORE_DELTA (store_delta.c): the current version, cut to a->cut,
 * sized a->size, with a->ext taken from what is staged under a->sid
 * (zeros where nothing is), committed as vs_store_commit.  HS_ECONFLICT
 * if a->base_version is not the current version, HS_ENOBASE if its data
 * file is missing, EINVAL for extents not ascending, disjoint and inside
 * the size. */
int vs_store_delta(struct vstore *vs, const hs_store_delta_args *a,
		   hs_attr *out, int *dup);

int vs_setattr(struct vstore *vs, const hs_setattr_args *a, hs_attr *out,
	       int *dup);
/* The HS_SETATTR arguments equal to a store's hs_store_set on fid (no
 * store id, no base version): 0, or EINVAL for a bit a store may not
 * set (only HS_SET_MODE/UID/GID/ATIME, protocol 6). */
int vs_store_set_args(const hs_fid *fid, const hs_store_set *set,
		      hs_setattr_args *out);
int vs_create(struct vstore *vs, const struct vs_new *n, hs_create_ok *out,
	      int *dup);
int vs_link(struct vstore *vs, const hs_link_args *a, hs_create_ok *out,
	    int *dup);
/* remove (isdir 0) or rmdir (isdir 1).  a->obj with vnode 0 is not
 * checked; else it must be what the entry names (HS_ECONFLICT). */
int vs_remove(struct vstore *vs, const hs_remove_args *a, int isdir,
	      hs_remove_ok *out, int *dup);
int vs_rename(struct vstore *vs, const hs_rename_args *a, hs_rename_ok *out,
	      int *dup);

/* How many contiguous bytes from offset 0 are staged under sid (HS_STAGED),
 * made durable before the answer.  A store id already committed answers
 * the file's current size (nothing left to send).  fid may be a local fid
 * (HS_LOCAL_VNODE): it is checked at the commit. */
int vs_staged(struct vstore *vs, const hs_fid *fid, const hs_storeid *sid,
	      uint64_t *staged);

/* ---- volumes and quotas (store_vol.c) ----
 * Quotas are 1 KiB blocks (Coda's): a regular file of n bytes uses
 * ceil(n / 1024), other objects none; max_quota 0 is unlimited.  Every
 * change of a file's size keeps volumes.blocks_used right in its own
 * transaction, and a growth past max_quota fails with EDQUOT (a
 * reintegrated record: that record's status).  Volume ids lie in
 * 1..HS_VOLID_MAX and come from the VLDB (vice/vldb.h). */

/* A new empty volume: root directory 1.1 (mode 0777, the default ACL of
 * vs_open's root volume), max_quota blocks.  out names it (xdr_free).
 * EINVAL (bad name: empty, '/', blanks, > HS_MAXNAMELEN; bad id or
 * quota), EEXIST (id or name taken). */
int vs_vol_create(struct vstore *vs, const char *name, uint32_t id,
		  uint64_t max_quota, hs_volinfo *out);
/* Remove a volume: every row of it and its data files.  The realm's root
 * volume ("root") only with force (else EPERM).  ENOENT if unknown. */
int vs_vol_remove(struct vstore *vs, uint32_t id, int force);
/* Rename: EINVAL, ENOENT, EEXIST (name taken), EPERM ("root"). */
int vs_vol_rename(struct vstore *vs, uint32_t id, const char *name);
/* Status: quotas, blocks used, objects, the partition's blocks (statvfs
 * of the store's root, 1 KiB units); online is 1.  ENOENT if unknown. */
int vs_vol_stat(struct vstore *vs, uint32_t id, hs_volstat *out);
/* Set quotas (blocks; each <= INT64_MAX else EINVAL).  ENOENT. */
int vs_vol_setquota(struct vstore *vs, uint32_t id, uint64_t max_quota,
		    uint64_t min_quota);
/* Every volume's status (at most HS_MAXVOLS), by id. */
int vs_vol_list(struct vstore *vs, hs_volstatlist *out);
/* Largest volume id held (0: none). */
int vs_vol_maxid(struct vstore *vs, uint32_t *max);
/* Count a volume's blocks_used again from its vnodes (id 0: all). */
int vs_vol_recount(struct vstore *vs, uint32_t id);
/* A mount point for volume in n->dir named n->name (Coda's: a symlink
 * of mode 0644 to "#VOLUME.") under n->sid; n->type and n->target are
 * ignored.  Whether the volume exists is the caller's business.  As
 * vs_create. */
int vs_mkmount(struct vstore *vs, const struct vs_new *n, const char *volume,
	       hs_create_ok *out, int *dup);

/* ---- access lists (store_acl.c) ----
 * Each directory has one ACL (Coda's): positive and negative entries of
 * (protection id, HS_R_* rights), at most HS_ACL_MAX in each list.  A new
 * volume's root gets System:AnyUser rl and System:Administrators rlidwka;
 * mkdir gives the new directory a copy of its parent's.  What the rights
 * mean is vice/acl.c's business. */
struct vs_acl_ent {
	int32_t id;             /* user > 0, group < 0 (vice/pdb.h) */
	uint32_t rights;        /* HS_R_* */
};
struct vs_acl {
	unsigned npos, nneg;
	struct vs_acl_ent pos[HS_ACL_MAX], neg[HS_ACL_MAX];
};
/* The ACL of directory dir: 0, ESTALE, ENOTDIR or EIO. */
int vs_acl_get(struct vstore *vs, const hs_fid *dir, struct vs_acl *out);
/* Replace dir's ACL under store id sid (dataversion + 1, so cached rights
 * go stale); out is dir after.  EINVAL: more than HS_ACL_MAX entries in a
 * list or an id listed twice. */
int vs_acl_set(struct vstore *vs, const hs_fid *dir, const hs_storeid *sid,
	       const struct vs_acl *acl, hs_attr *out, int *dup);
/* The directory whose ACL covers fid: fid itself for a directory, else
 * the directory holding an entry for it.  0, ESTALE or ENOENT (no
 * directory names it). */
int vs_obj_dir(struct vstore *vs, const hs_fid *fid, hs_fid *dir);
/* vs_obj_dir of a fid the caller just found live and not a directory
 * (vs_getattr): the dirent search only.  0, ENOENT or an SQLite errno. */
int vs_file_dir(struct vstore *vs, const hs_fid *fid, hs_fid *dir);
/* 1 if directory dir holds an entry for obj, 0 if not, or -errno. */
int vs_dir_holds(struct vstore *vs, const hs_fid *dir, const hs_fid *obj);

/* Who the following stores are made by: a store by a writer that neither
 * owns the file nor is privileged clears its S_ISUID and S_ISGID bits
 * (POSIX write(2)).  Until called: privileged. */
void vs_set_writer(struct vstore *vs, uint32_t uid, int privileged);

/* ---- room to delete on a full disk (store_reserve.c) ---- */

/* Bytes kept allocated in <root>/reserve while the disk has room. */
#define VS_RESERVE (8u << 20)
/* Allocate the reserve (or what is missing of it): 0 or an errno
 * (ENOSPC: what fitted stays allocated).  Called at start and after
 * deletes. */
int vs_reserve_fill(struct vstore *vs);
/* Give the reserve back to the file system so that a delete that failed
 * with ENOSPC can commit: 1 if it freed space, 0 if there was none. */
int vs_reserve_release(struct vstore *vs);

/* ---- reintegration (reint.c, reint_apply.c, reint_deps.c) ---- */

/* Largest number of fids a block can change (4 per rename). */
#define VS_REINT_FIDS (4 * HS_REINT_MAX)

/* A read pass over the store after a block (reint.c): every read until
 * vs_read_end sees one snapshot and shares one transaction, where each
 * read alone opens and ends its own (a lock cycle of the WAL index).
 * 0, EINVAL inside a transaction, or an errno; vs_read_end after a 0. */
int vs_read_begin(struct vstore *vs);
void vs_read_end(struct vstore *vs);

/* What applying a block did, for counters and callback breaks. */
struct vs_reint_info {
	hs_fid changed[VS_REINT_FIDS]; /* objects and dirs changed now */
	unsigned nchanged;
	unsigned applied;       /* records applied now */
	unsigned stores;        /* of which HS_OP_STORE */
	unsigned dups;          /* records whose store id was applied before */
	unsigned conflicts;     /* refused: HS_ECONFLICT, EEXIST, ESTALE */
	int redo_err;           /* committed, but a data file could not be
				 * put in place (errno): vs_open retries */
	/* Per record (index in the block): the directory a record applied
	 * now made its object in (a mkdir's: the new directory itself);
	 * vnode 0 for any other record.  Names moved or dropped by later
	 * records of the block are not followed (ops_reint.c). */
	hs_fid made_in[HS_REINT_MAX];
};

/* Apply a block of CML records from client (its HS_CONNECT id, which
 * keys its local fids) in order, in one transaction.  out->results gets
 * one malloc'd result per record (xdr_free releases it).  A record that
 * fails does not stop the block; records after it naming an object it
 * names get HS_ESKIPPED.  Returns 0 (the block committed; per-record
 * status in the results) or an errno (EINVAL: more than HS_REINT_MAX
 * records; EIO, ENOSPC, ENOMEM: nothing was applied). */
int vs_reint(struct vstore *vs, uint64_t client, const hs_reint_args *a,
	     hs_reint_ok *out, struct vs_reint_info *info);

/* Test hook: called after each record of a block is applied (n records
 * so far); a nonzero return aborts the block with that error, as if vice
 * had died before the commit.  Called once more with n =
 * VS_REINT_COMMITTED after the commit: nonzero then leaves the data files
 * as they were, as if vice had died there (vs_open finishes them).  NULL
 * removes it. */
#define VS_REINT_COMMITTED 0xffffffffu
typedef int (*vs_reint_hook)(void *arg, unsigned n);
void vs_reint_set_hook(struct vstore *vs, vs_reint_hook fn, void *arg);

/* Access check of each record of a block, its fids resolved, run inside
 * the block's transaction before the record is applied (so it sees the
 * records before it).  It returns 0 or an errno (EACCES, EPERM, EXDEV)
 * that becomes the record's status, and may rewrite the record (the
 * owner of a new object).  Records already applied are not checked.
 * NULL: no checks. */
typedef int (*vs_reint_check)(void *arg, hs_cml_rec *rec);
void vs_reint_set_check(struct vstore *vs, vs_reint_check fn, void *arg);

/* ---- group commit (store_flush.c) ---- */

/* Group commit (vice's event loop; off until called, so tools and unit
 * tests keep a flush per commit).  on=1: commits write to the page cache
 * only (SQLite synchronous=NORMAL; a store still syncs its data file and
 * directory before its commit) and leave the store
 * "pending" until vs_flush;
 * the caller must hold every reply that may show such a change until
 * vs_flush returned.  on=0 flushes what is pending and goes back to
 * synchronous=FULL.  0 or an errno. */
int vs_group_commit(struct vstore *vs, int on);
/* 1 if a change has not been made durable yet (group commit only). */
int vs_pending(const struct vstore *vs);
/* Make every pending change durable: fdatasync the WAL of vice.db.
 * 0 or an errno (the store is clean either way: a failed fsync cannot
 * be retried, POSIX leaves the pages' state undefined). */
int vs_flush(struct vstore *vs);
/* fn(arg) runs when the store goes from clean to pending (to schedule a
 * vs_flush at the end of the event-loop turn).  NULL removes it. */
void vs_set_pending_hook(struct vstore *vs, void (*fn)(void *arg),
			 void *arg);

#endif /* VICE_STORE_H */
