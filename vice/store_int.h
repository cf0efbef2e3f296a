/*
 * vice/store_int.h - internals shared by the store_*.c files.
 */
#ifndef VICE_STORE_INT_H
#define VICE_STORE_INT_H

#include <sqlite3.h>
#include "store.h"

/* Prepared statements, one per query; SQL text in store_sql.c. */
enum vs_stmt {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_META_GET, S_META_PUT,
	S_VOL_BY_NAME, S_VOL_BY_ID, S_VOL_LIST, S_VOL_INSERT,
	S_VOL_NEXT, S_VOL_BUMP,
	S_VN_GET, S_VN_INSERT, S_VN_UPDATE, S_VN_DELETE, S_VN_TARGET,
	S_DE_LOOKUP, S_DE_INSERT, S_DE_DELETE, S_DE_ANY, S_DE_PAGE,
	S_AP_GET, S_AP_PUT,
	S_COUNT
};

/* SQL text of each statement, and the schema (store_sql.c). */
extern const char *const vs_sql[S_COUNT];
extern const char vs_schema[];

/* An open store. */
struct vstore {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	char *root;             /* root directory */
	char *datadir;          /* <root>/data */
	uint64_t server_id;
	int lockfd;             /* <root>/vice.lock, flock'ed: one vice */
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
int vs_begin(struct vstore *vs);
int vs_commit(struct vstore *vs);
void vs_rollback(struct vstore *vs);
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

/* ---- store_applied.c: idempotency ---- */
/* 1 and *rec if sid was applied, 0 if not (or sid is {0,0}), -errno. */
int vs_ap_get(struct vstore *vs, const hs_storeid *sid,
	      struct vs_applied *rec);
int vs_ap_put(struct vstore *vs, const hs_storeid *sid,
	      const struct vs_applied *rec);

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

/* ---- store_time.c ---- */
int64_t vs_now(void);
int64_t vs_time_ns(const hs_time *t);
void vs_ns_time(int64_t ns, hs_time *t);

#endif /* VICE_STORE_INT_H */
