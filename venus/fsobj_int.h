/*
 * fsobj_int.h - private to venus/fsobj*.c: the in-memory record of a cached
 * object and the helpers the fsobj files share.  fsobj.h is the public
 * interface; nothing outside venus/fsobj*.c (and the disconnected-operation
 * files cml*.c, reint*.c, conflict*.c, volstate*.c) includes this.
 */
#ifndef VENUS_FSOBJ_INT_H
#define VENUS_FSOBJ_INT_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include "venus/venus.h"
#include "venus/fsobj.h"
#include "venus/db.h"

#define FETCH_INFLIGHT 4    /* HS_FETCH calls in flight per fetch */
#define STORE_INFLIGHT 3    /* HS_STORE_CHUNK calls in flight per store */
#define FETCH_RESTARTS 8    /* give up when the file keeps changing */

struct fetch;
struct store;
struct waiter;

struct fso {
	struct db_fso r;
	int           has_cb;     /* a callback promise covers r */
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
	struct fso   *ino_next, *fid_next;
};

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
mode_t fo_type_bits(int type);

/* ---- fsobj_find.c ---- */
int fo_check_cname(const char *name);
void fo_lookup_obj(uint64_t dir, const char *name, fso_k k, void *arg);
void fo_with_fresh(uint64_t ino, fso_k k, void *arg);
void fo_with_obj(uint64_t ino, int fresh, fso_k k, void *arg);

/* ---- fsobj_fetch.c ---- */
int fo_add_waiter(struct waiter **list, err_k k, void *arg);
void fo_ensure_data(struct fso *o, err_k k, void *arg);
void fo_trim(void);
void fo_update_pin(struct fso *o);
void fo_wake(struct waiter *list, int err);

/* ---- fsobj_store.c ---- */
void fo_store_then(struct fso *o, err_k k, void *arg);

/* ---- fsobj_open.c ---- */
void fo_close_settle(uint64_t ino);

/* ---- fsobj_setattr.c ---- */
hs_time fo_to_hs_time(const struct timespec *ts);

/* ---- fsobj_local.c: mutations applied locally and logged (CML) ---- */
struct cml_row;
/* Serve o from the cache without asking vice: vice is unreachable, o is
 * known only locally, or the log holds changes to it. */
int fo_trust_cache(const struct fso *o);
/* Log o's container as a store record (durable before it returns).
 * 0 or an errno; the container keeps the data either way. */
int fo_log_store(struct fso *o);
/* Apply sa (size excluded) to o and log it.  0 or an errno. */
int fo_log_setattr(struct fso *o, const struct fso_setattr *sa);
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
int fo_log_link(struct fso *dir, const char *name, struct fso *o, const hs_storeid *sid);
int fo_log_remove(struct fso *dir, const char *name, struct fso *o, int isdir,
		  const hs_storeid *sid);
int fo_log_rename(struct fso *sd, const char *name, struct fso *dd, const char *newname,
		  struct fso *o, const hs_storeid *sid);
/* Is err vice going away (the change can be logged instead)? */
int fo_net_error(int err);
/* Reintegration applied row: vice's attributes, local fid -> server fid. */
void fso_reint_applied(const struct cml_row *row, const hs_reint_result *res);
/* Recompute o->cml from the log. */
void fo_cml_settle(struct fso *o);
/* conflict.c: stop trusting the copies of a refused record's object and
 * directory; the path a row is about (mount-relative, "/a/b"); drop a
 * local object whose records were discarded. */
void fso_conflict_refetch(const struct cml_row *row);
void fso_row_path(const struct cml_row *row, char *buf, size_t len);
void fso_local_discarded(const hs_fid *fid);
/* fsobj_ctl.c: best-known path of o below the mount. */
void fo_path_of(const struct fso *o, char *buf, size_t len);
/* Change o's fid (local -> server): the ino stays; tables, db, front. */
void fo_refid(struct fso *o, const hs_fid *newf);

#endif /* VENUS_FSOBJ_INT_H */
