/*
 * vice/store_int.h - internals shared by the store_*.c files.
 */
#ifndef VICE_STORE_INT_H
#define VICE_STORE_INT_H

#include <sqlite3.h>
#include "store.h"

/* Prepared statements, one per query; SQL text in store_sql.c. */
enum vs_stmt {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_META_GET, S_META_PUT,
	S_VOL_BY_NAME, S_VOL_BY_ID, S_VOL_LIST, S_VOL_INSERT,
	S_VOL_NEXT, S_VOL_BUMP,
	S_VN_GET, S_VN_INSERT, S_VN_UPDATE, S_VN_DELETE, S_VN_TARGET,
	S_DE_LOOKUP, S_DE_INSERT, S_DE_DELETE, S_DE_ANY, S_DE_PAGE,
	S_AP_GET, S_AP_PUT, S_CL_GET, S_CL_PUT,
	S_LF_GET, S_LF_PUT,
	S_RD_ADD, S_RD_LIST, S_RD_CLEAR,
	S_ACL_GET, S_ACL_PUT, S_ACL_CLEAR, S_ACL_COPY, S_DE_PARENT, S_DE_HOLDS,
	S_COUNT
};

/* SQL text of each statement, and the schema (store_sql.c). */
extern const char *const vs_sql[S_COUNT];
extern const char vs_schema[];

/* One staged store (store_stage.c). */
#define VS_OWNER_NONE INT32_MIN /* payer unknown: found at start */
struct vs_stage_rec {
	uint64_t client, seq;   /* its store id */
	int32_t owner;          /* protection id it is charged to */
	uint64_t bytes;         /* data staged (disk use, bytes) */
	int64_t last;           /* last chunk (ns) */
};
struct vs_stagetab {
	struct vs_stage_rec *v; /* unordered */
	size_t n, cap;
};

/* What the next vs_flush makes durable (store_flush.c). */
struct vs_flushset {
	int on;                 /* group commit (vs_group_commit) */
	int wal;                /* a transaction committed since the flush */
	void (*hook)(void *arg); /* clean -> pending */
	void *hook_arg;
};

/* An open store. */
struct vstore {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	char *root;             /* root directory */
	char *datadir;          /* <root>/data */
	uint64_t server_id;
	int lockfd;             /* <root>/vice.lock, flock'ed: one vice */
	unsigned depth;         /* open transaction levels (0: none) */
	int defer_files;        /* in a reintegration block: file changes
				 * wait for its commit (redo table) */
	vs_reint_hook hook;     /* test hook, see vs_reint_set_hook() */
	void *hook_arg;
	struct vs_stagetab stage; /* staged stores (store_stage.c) */
	vs_reint_check check;   /* access check, see vs_reint_set_check() */
	void *check_arg;
	uint32_t writer;        /* see vs_set_writer() */
	int writer_privileged;
	struct vs_flushset flush; /* group commit (store_flush.c) */
};

/* One vnode row.  Times in ns since the epoch. */
struct vn {
	uint32_t vol, vnode, uniq;
	hs_ftype type;
	uint32_t mode, uid, gid, nlink;
	uint64_t size, dv;
	int64_t atime, mtime, ctime;
	hs_storeid sid;
	uint32_t parent;        /* dirs: parent's vnode, 0 for a volume root */
	uint64_t rdev;          /* device nodes: dev_t; else 0 */
};

/* A record of an applied store id (what a duplicate must report). */
struct vs_applied {
	int status;
	uint32_t vol;
	uint32_t o_vnode, o_uniq;   /* object made, changed or removed */
	uint32_t r_vnode, r_uniq;   /* rename: replaced object, else 0 */
};

/* ---- store_db.c: statements and transactions ---- */
/* The statement, reset and unbound, ready to bind. */
sqlite3_stmt *vs_st(struct vstore *vs, enum vs_stmt id);
/* Step a statement that returns no row: 0 or an errno (ENOSPC, EEXIST for
 * a constraint, EIO). */
int vs_exec(struct vstore *vs, sqlite3_stmt *s);
/* Map an SQLite result code to an errno. */
int vs_sqlerr(int rc);
/* Transactions nest: the outermost is BEGIN IMMEDIATE ... COMMIT, inner
 * ones are SAVEPOINTs, so a store function that runs its own transaction
 * can also run as one step of a reintegration block.  vs_rollback undoes
 * the innermost level only. */
int vs_begin(struct vstore *vs);
int vs_commit(struct vstore *vs);
void vs_rollback(struct vstore *vs);
/* 1 while the outermost transaction is still open (SQLite rolls the whole
 * transaction back by itself on some errors: ENOSPC, ENOMEM, EIO). */
int vs_tx_alive(struct vstore *vs);
/* Run fn in one transaction: commit if it returns 0, else roll back and
 * return its error. */
int vs_tx(struct vstore *vs, int (*fn)(struct vstore *vs, void *ctx),
	  void *ctx);

/* ---- store_vnode.c: rows ---- */
int vs_vn_get(struct vstore *vs, const hs_fid *fid, struct vn *out);
int vs_vn_get_num(struct vstore *vs, uint32_t vol, uint32_t vnode,
		  struct vn *out);
int vs_vn_insert(struct vstore *vs, const struct vn *v, const char *target);
int vs_vn_update(struct vstore *vs, const struct vn *v);
int vs_vn_delete(struct vstore *vs, const struct vn *v);
/* Fresh (vnode, uniq) pair of volume vol. */
int vs_vn_alloc(struct vstore *vs, uint32_t vol, uint32_t *vnode,
		uint32_t *uniq);
void vs_vn_attr(const struct vn *v, hs_attr *a);
/* Mark v changed by sid now: dataversion + 1, ctime. */
void vs_vn_touch(struct vn *v, const hs_storeid *sid, int64_t now);

/* Child of dir named name: 0, ENOENT, or an errno. */
int vs_de_lookup(struct vstore *vs, const struct vn *dir, const char *name,
		 struct vn *child);
int vs_de_insert(struct vstore *vs, const struct vn *dir, const char *name,
		 const struct vn *child);
int vs_de_delete(struct vstore *vs, const struct vn *dir, const char *name);
/* 1 if dir has entries, 0 if empty, -errno on error. */
int vs_de_any(struct vstore *vs, const struct vn *dir);

/* ---- store_acl.c: access lists ---- */
/* Give the new directory child its parent's ACL (mkdir; in the open
 * transaction). */
int vs_acl_inherit(struct vstore *vs, const struct vn *parent,
		   const struct vn *child);
/* The directory v is gone: drop its ACL. */
int vs_acl_drop(struct vstore *vs, const struct vn *v);
/* The volume default ACL (Coda's createvol) on a new volume's root. */
int vs_acl_default(struct vstore *vs, const struct vn *dir);
/* First start and stores made before ACLs: every directory without one
 * gets the volume default (Coda's createvol). */
int vs_acl_migrate(struct vstore *vs);

/* ---- store_applied.c: idempotency ---- */
/* 1 and *rec if sid was applied, 0 if not (or sid is {0,0}), -errno. */
int vs_ap_get(struct vstore *vs, const hs_storeid *sid,
	      struct vs_applied *rec);
int vs_ap_put(struct vstore *vs, const hs_storeid *sid,
	      const struct vs_applied *rec);

/* ---- store_localfid.c: a client's local fids and their server fids ---- */
/* The server fid of client's local fid: 0, ESTALE if never mapped, or an
 * errno. */
int vs_lf_get(struct vstore *vs, uint64_t client, const hs_fid *local,
	      hs_fid *out);
/* Map client's local fid to fid, made by store id sid. */
int vs_lf_put(struct vstore *vs, uint64_t client, const hs_fid *local,
	      const hs_storeid *sid, const hs_fid *fid);

/* ---- store_redo.c: file changes that follow a block's commit ---- */
/* What a redo row does to the object's data file once the transaction
 * that wrote it has committed.  Rows run in the order written. */
enum vs_redo {
	RD_STORE = 1,   /* rename the staged file of sid over the data file */
	RD_TRUNC = 2,   /* cut or zero-extend the data file to size */
	RD_UNLINK = 3,  /* the object is gone: remove its data file */
};
/* Queue one (inside the open transaction). */
int vs_redo_add(struct vstore *vs, enum vs_redo op, const struct vn *v,
		const hs_storeid *sid, uint64_t size);
/* Carry out every queued row, fsync the directories, delete the rows.
 * Idempotent: vs_open runs it again after a crash. */
int vs_redo_run(struct vstore *vs);

/* ---- store_stage.c: the staging area <data>/tmp ---- */
/* Charge a chunk of len bytes under sid to owner (a protection id):
 * 0, or EDQUOT past a quota of store.h (stores per client, stores and
 * bytes per owner), or ENOMEM.  Call before writing the chunk. */
int vs_stage_admit(struct vstore *vs, const hs_storeid *sid, int32_t owner,
		   uint64_t len);
/* sid's staged file was consumed (committed) or removed. */
void vs_stage_forget(struct vstore *vs, const hs_storeid *sid);
/* At open: rebuild the table from <data>/tmp, remove what is not a
 * staged store, then vs_stage_expire. */
void vs_stage_sweep(struct vstore *vs);

/* ---- store_data.c: parts of a store commit ---- */
/* Cut the staged file to size and fsync it (ENOENT: nothing staged and
 * size > 0). */
int vs_stage_finish(const char *path, uint64_t size);
/* The metadata of a store commit of v: size, mtime, dataversion, applied
 * store id; the transaction is open. */
int vs_store_meta(struct vstore *vs, struct vn *v,
		  const hs_store_commit_args *a, int64_t now);
/* Commit what is staged under a->sid as v's new contents (cut to
 * a->size, fsync, swap, metadata) in one transaction: HS_STORE_COMMIT's
 * path, shared with HS_STORE_DELTA (store_delta.c). */
int vs_store_apply(struct vstore *vs, struct vn *v,
		   const hs_store_commit_args *a);
/* The regular file a store or setattr is about. */
int vs_reg_get(struct vstore *vs, const hs_fid *fid, struct vn *v);
/* A data file's object is gone: unlink now, or after the block commits. */
int vs_data_gone(struct vstore *vs, const struct vn *v);
/* Cut or zero-extend v's data file to size and fsync it. */
int vs_data_truncate(struct vstore *vs, const struct vn *v, uint64_t size);

/* ---- store_delta.c / store_append.c: delta stores ---- */
/* Copy the data extents of in inside [off, end) to the same offsets of
 * out (holes skipped: out must read as zeros there already). */
int vs_copy_data(int in, int out, uint64_t off, uint64_t end);
/* 1 if the delta a only appends to v (no cut below v->size, every
 * extent at or past it): vs_store_append can commit it in place. */
int vs_append_only(const struct vn *v, const hs_store_delta_args *a);
/* Commit the append a in place (store_append.c): journal line, extents
 * written past v->size, fdatasync, one transaction; on failure the data
 * file is cut back.  VS_APPEND_NO: v has no data file (use the copy);
 * else 0 or an errno. */
#define VS_APPEND_NO (-1)
int vs_store_append(struct vstore *vs, struct vn *v,
		    const hs_store_delta_args *a);
/* At start: cut each data file the append journal names back to its
 * recorded size (an append that did not commit), empty the journal. */
void vs_append_recover(struct vstore *vs);

/* ---- store_data.c ---- */
/* Write all n bytes of buf at off of fd (short writes and EINTR
 * retried): 0 or errno (ENOSPC, EDQUOT, EIO). */
int vs_pwrite_all(int fd, const char *buf, size_t n, uint64_t off);

/* ---- store_dread.c: fetch reads ---- */
/* A data file open for fetch reads: fd buffered, dfd the same file with
 * O_DIRECT once needed (-1 before), path its name (the caller's). */
struct vs_dread {
	int         fd, dfd;
	const char *path;
};
/* Read up to n bytes at off into buf; *got is short only at EOF.  Whole
 * 4 KiB blocks of a range the page cache holds none of go direct when
 * buf and off are 4 KiB aligned.  0 or errno (EIO). */
int vs_dread(struct vs_dread *rd, char *buf, size_t n, uint64_t off, size_t *got);
/* Close dfd if it was opened (not fd). */
void vs_dread_close(struct vs_dread *rd);

/* ---- store_file.c: paths and data files ---- */
/* <datadir>/<vol>/<vnode>.<uniq> into buf (PATH_MAX). */
void vs_data_path(const struct vstore *vs, const struct vn *v, char *buf,
		  size_t len);
void vs_stage_path(const struct vstore *vs, const hs_storeid *sid, char *buf,
		   size_t len);
/* Remove the data file of a regular file that is gone (after commit). */
void vs_data_unlink(const struct vstore *vs, const struct vn *v);
/* fsync a directory by path: 0 or errno. */
int vs_fsync_dir(const char *path);
/* Make <datadir>/<vol>: 0 or errno. */
int vs_voldir_make(const struct vstore *vs, uint32_t vol);

/* ---- store_flush.c: group commit ---- */
/* sqlite3_commit_hook: a transaction commits (marks the WAL pending). */
int vs_flush_on_commit(void *vs);

/* ---- store_vol.c: quotas ---- */
/* At open: the quota columns of volumes (added to an older store, its
 * blocks counted once) and the triggers that keep blocks_used. */
int vs_vol_migrate(struct vstore *vs);
/* EDQUOT if growing a file of vol from old_size to new_size would pass
 * the volume's quota (checked before a data file changes), else 0. */
int vs_quota_check(struct vstore *vs, uint32_t vol, uint64_t old_size,
		   uint64_t new_size);

/* ---- store_time.c ---- */
int64_t vs_now(void);
int64_t vs_time_ns(const hs_time *t);
void vs_ns_time(int64_t ns, hs_time *t);

/* Remove the files of volume id's data directory <data>/<id>/, then the
 * directory (a removed volume, a restore given up); errors are ignored,
 * as what is left is only unreachable space. */
void vs_voldir_clear(struct vstore *vs, uint32_t id);

#endif /* VICE_STORE_INT_H */
