/*
 * db.h - the one SQL layer of venus: <cachedir>/venus.db in SQLite.
 *
 * The schema and every statement are in db_sql.c (db_schema, db_sql[]),
 * like vice/store_sql.c; nothing else in venus holds SQL.  fsobj and
 * directory rows have typed functions here; the CML (cml*.c) and the hoard
 * database (hoard.c) bind their statements from the table through
 * db_st/db_run/db_u64.  This is the store layer: it calls only util.
 *
 * WAL journal, synchronous=NORMAL: a crash of venus loses nothing that was
 * committed; commits that must survive a power cut too (store ids, dirty
 * marks) are made with db_durable().  With db_batching on (venus's loop),
 * writes outside an explicit transaction go into one transaction per
 * event-loop turn, committed by db_flush before any reply leaves
 * (db_batch.c).  All functions return 0 or a positive
 * errno: ENOSPC when the cache disk is full, EIO for another SQLite error
 * (both logged), ENOENT for a missing row, EPROTO for a newer schema.
 */
#ifndef VENUS_DB_H
#define VENUS_DB_H

#include <stdint.h>
#include <sqlite3.h>
#include "hesper.h"

/* Version of db_schema, in table schema_version.  1: before special
 * files (no fsobj.rdev); 2: fsobj.rdev; 3: cml.uid (the local user each
 * record is reintegrated as); 4: ino 1 is venus's realm directory (a
 * vice object an older file kept there moves to a fresh ino).  Since the SQL layer every table is in
 * db_schema (cml, hoard and hoard_member were made by their modules
 * before, same columns).  5: table volstamp (volume version stamps,
 * db_volstamp.c).  db_open migrates 1 to 2 to 3 to 4 to 5. */
#define DB_SCHEMA_VERSION 5

/* Every statement venus runs on venus.db: index into db_sql[]. */
enum db_stmt {
	DB_BEGIN, DB_BEGIN_IMMEDIATE, DB_COMMIT, DB_ROLLBACK,
	DB_SAVEPOINT, DB_RELEASE, DB_ROLLBACK_TO,
	DB_SYNC_FULL, DB_SYNC_NORMAL, DB_WAL,
	DB_VERSION_GET, DB_VERSION_INIT, DB_VERSION_SET,
	DB_FSO_HAS_RDEV, DB_FSO_ADD_RDEV, DB_HOARD_HAS_ATTRS, DB_HOARD_ADD_ATTRS,
	DB_CML_HAS_UID, DB_CML_ADD_UID,
	DB_META_GET, DB_META_INIT, DB_META_SEQ,
	DB_KEY_GET, DB_KEY_INIT,
	DB_REALM_PUT, DB_REALM_ALL,
	DB_VS_PUT, DB_VS_DEL, DB_VS_ALL,
	DB_FSO_PUT, DB_FSO_UPDATE, DB_FSO_MOVE, DB_FSO_DEL, DB_FSO_ALL,
	DB_DE_PUT, DB_DE_DEL, DB_DE_CLEAR, DB_DE_DEL_CHILD, DB_DE_GET, DB_DE_LIST,
	DB_CML_INSERT, DB_CML_OBJ_ROWS, DB_CML_OBJ_BASE,
	DB_CML_BY_STORE_SEQS, DB_CML_BY_STORE_DEL,
	DB_CML_BY_SETATTR_SEQS, DB_CML_BY_SETATTR_DEL,
	DB_CML_OBJ_SEQS, DB_CML_OBJ_DEL, DB_CML_CREATES, DB_CML_KEEPERS,
	DB_CML_COUNT, DB_CML_BYTES, DB_CML_CONFLICT_RECS, DB_CML_CONFLICT_OBJS,
	DB_CML_NAMES, DB_CML_OLDEST, DB_CML_MAX_SEQ, DB_CML_HAS,
	DB_CML_BLOCK, DB_CML_BLOCK_AFTER, DB_CML_FREEZE, DB_CML_ALL, DB_CML_OF_FID, DB_CML_THAW,
	DB_CML_DONE, DB_CML_SET_CONFLICT, DB_CML_CLEAR_CONFLICT,
	DB_CML_CLEAR_CONFLICT_BASE, DB_CML_REBASE, DB_CML_REFID_OBJ,
	DB_CML_REFID_DIR, DB_CML_GONE_FROM,
	DB_CML_VOLS, DB_CML_VOL_COUNT, DB_CML_VOL_ANY, DB_CML_VOL_BYTES, DB_CML_VOL_CONFLICT_OBJS,
	DB_CML_VOL_QUOTA, DB_CML_VOL_QUOTA_MAX, DB_CML_VOL_OLDEST, DB_CML_VOL_THAW, DB_CML_RANGE_THAW,
	DB_CML_VOL_QUOTA_RETRY,
	DB_HO_LIST, DB_HO_PUT, DB_HO_MODIFY, DB_HO_DEL, DB_HO_DEL_ALL,
	DB_HO_DEL_UID, DB_HO_EXPANDED, DB_HO_LEGACY, DB_HO_SET_ATTRS,
	DB_HO_SET_FLAGS,
	DB_HM_DEL, DB_HM_DEL_UNEXPANDED, DB_HM_DEL_ALL, DB_HM_DEL_UID, DB_HM_ADD,
	DB_HM_LIST,
	DB_RIGHTS_PUT, DB_RIGHTS_DEL, DB_RIGHTS_ALL,
	DB_MIG4_ROOT_VOL, DB_MIG4_FREE_INO, DB_MIG4_FSO, DB_MIG4_PARENT, DB_MIG4_DIR,
	DB_MIG4_CHILD, DB_MIG4_CML, DB_MIG4_HOARD, DB_MIG4_HOARD_MEMBER,
	DB_MIG4_REALM0_DE, DB_MIG4_REALM0_NAME,
	DB_COUNT
};

/* The schema (CREATE ... IF NOT EXISTS of every table) and the SQL text
 * of each statement (db_sql.c). */
extern const char db_schema[];
extern const char *const db_sql[DB_COUNT];

/* One row of table fsobj: what survives a restart of an fsobj. */
struct db_fso {
	uint64_t ino;          /* local inode number (rowid); 1 = root */
	hs_fid   fid;
	int      type;         /* hs_ftype */
	uint32_t mode;         /* permission bits */
	uint32_t nlink, uid, gid;
	uint64_t size;         /* bytes, as vice last said */
	hs_time  atime, mtime, ctime;
	uint64_t dataversion;  /* vice's version of the attributes */
	uint64_t data_dv;      /* version the cached contents belong to */
	int      has_data;     /* file: container complete; dir: entries
				* complete; symlink: target cached */
	int      dirty;        /* container holds changes not yet stored */
	uint64_t last_used;    /* LRU clock: microseconds since the epoch */
	uint64_t parent;       /* best-known parent ino, 0 if unknown */
	char    *name;         /* name in parent (malloc'd) or NULL */
	char    *target;       /* symlink target (malloc'd) or NULL */
	uint64_t rdev;         /* device nodes: dev_t (makedev(3)); else 0 */
};

/* Open (creating if needed) the database at path, make its schema and
 * migrate an older version to DB_SCHEMA_VERSION, in one transaction.  A
 * newer schema version fails with EPROTO (nothing is changed). */
int db_open(const char *path, sqlite3 **out);
void db_close(sqlite3 *db);

/* Run a batch in one transaction.  db_begin commits the open batch
 * (db_flush) first, and fails (EIO) inside another transaction.
 * A failed batch ends with db_rollback; a COMMIT that fails is rolled
 * back by db_commit, which returns its errno. */
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
int db_rollback(sqlite3 *db);
/* 1 while a transaction (or savepoint) is open on db. */
int db_in_txn(sqlite3 *db);
/* Make the next commits fully synced (on = 1) or NORMAL again (on = 0).
 * The open batch is committed first (under the mode it was made in), so
 * writes between db_durable(db, 1) and db_durable(db, 0) are committed,
 * fsynced, by the latter.  Only outside an explicit transaction (SQLite
 * ignores it inside one). */
int db_durable(sqlite3 *db, int on);
/* Copy the WAL into venus.db and truncate it (`cfs truncatelog`); frames
 * and moved get the WAL's frames and those copied.  EBUSY when a reader
 * kept it from finishing, else EIO. */
int db_checkpoint(sqlite3 *db, int *frames, int *moved);

/* ---- the batch and kept statements (db_batch.c) ---- */

/* Give db (from db_open) its state: kept statements, batch; and drop it
 * (db_close, after committing the batch).  A connection opened with
 * sqlite3_open alone has none and works statement by statement. */
void db_conn_add(sqlite3 *db);
void db_conn_drop(sqlite3 *db);
/* Turn the batch on (venus's loop, main.c) or off (committing it). */
void db_batching(sqlite3 *db, int on);
/* Open the batch (BEGIN) unless off or a transaction is open: every
 * write statement from db_st/db_cached calls it. */
void db_batch_open(sqlite3 *db);
/* Commit the batch, if open: 0, ENOSPC or EIO (logged; the batch was
 * rolled back).  Kept open, 0, while a SAVEPOINT level is (its owner is
 * mid-change) or SQLite answers BUSY.  Call before a reply leaves. */
int db_flush(sqlite3 *db);
/* db_flush, then fdatasync the WAL: every commit so far survives a power
 * cut (FUSE fsync, fsyncdir).  0 or an errno (logged). */
int db_sync(sqlite3 *db);
/* fn(arg, committed) runs after each commit or rollback of the batch or
 * an explicit transaction (db_commit, db_rollback): what waited for the
 * commit (unlinks of frozen copies, containers) happens there.  One per
 * connection; fn NULL removes it. */
void db_on_commit(sqlite3 *db, void (*fn)(void *arg, int committed), void *arg);
/* A transaction of db ended (db.c): committed or rolled back. */
void db_ended(sqlite3 *db, int committed);
/* delta SAVEPOINT levels opened (+1) or released (-1) (db_exec). */
void db_savepoints(sqlite3 *db, int delta);
/* Statement id prepared once per connection (reset by db_done), or a
 * fresh one when that copy is in use; NULL after logging.  Hand it to
 * db_run or db_done, never to sqlite3_finalize. */
sqlite3_stmt *db_cached(sqlite3 *db, enum db_stmt id);
/* Reset a kept statement, finalize any other. */
void db_done(sqlite3 *db, sqlite3_stmt *st);
/* db_u64's answers of counts over the CML (DB_CML_COUNT, DB_CML_BYTES,
 * DB_CML_VOL_*, ...: a scan of the whole log each, asked at every logged
 * change), kept until table cml changes (sqlite3_update_hook) or a
 * rollback.  get: 1 and *v if known; put: remember v; forget: drop all
 * (a ROLLBACK TO, which the update hook does not see). */
int db_memo_get(sqlite3 *db, enum db_stmt id, const hs_fid *fid, uint64_t *v);
void db_memo_put(sqlite3 *db, enum db_stmt id, const hs_fid *fid, uint64_t v);
void db_memo_forget(sqlite3 *db);

/* ---- statements from db_sql[], for cml*.c and hoard.c ---- */

/* Prepare statement id; NULL after logging.  The caller binds, steps and
 * finalizes it (or hands it to db_run). */
sqlite3_stmt *db_st(sqlite3 *db, enum db_stmt id);
/* Step st once (a statement without rows, or one whose row is not
 * wanted, as a PRAGMA's) and db_done it: 0, ENOSPC or EIO (logged).  A
 * NULL st (a failed db_st) gives EIO. */
int db_run(sqlite3 *db, sqlite3_stmt *st);
/* Run statement id without binds, as db_run. */
int db_exec(sqlite3 *db, enum db_stmt id);
/* The errno of the last failed SQLite call on db, logged with what:
 * ENOSPC (disk full) or EIO. */
int db_step_err(sqlite3 *db, const char *what);
/* Bind a fid's volume, vnode, unique to parameters i..i+2. */
void db_bind_fid(sqlite3_stmt *st, int i, const hs_fid *f);
/* The first column of the first row of statement id, fid (if given)
 * bound to ?1..?3, into *v (0 if no row).  0, ENOSPC or EIO. */
int db_u64(sqlite3 *db, enum db_stmt id, const hs_fid *fid, uint64_t *v);

/* Client id (made at random on first use; never 0) and the first store id
 * sequence number not yet reserved. */
int db_meta_load(sqlite3 *db, uint64_t *client_id, uint64_t *next_seq);
/* The client key (db_key.c): HS_CLIENT_KEY random bytes made, durably,
 * on first use and kept with the client id.  0, ENOSPC or EIO. */
int db_client_key(sqlite3 *db, unsigned char out[HS_CLIENT_KEY]);
/* Realm indexes (db_realm.c; volreg.h): put records, durably, that realm
 * name has index idx (1..254); foreach calls fn for every row in index
 * order.  0, ENOSPC or EIO. */
int db_realm_put(sqlite3 *db, unsigned idx, const char *name);
int db_realm_foreach(sqlite3 *db, void (*fn)(void *arg, unsigned idx, const char *name),
		     void *arg);
/* Volume version stamps (db_volstamp.c; venus/core/fsobj_vstamp.c):
 * local volume lvol's cache was exactly vice's state at stamp (never 0).
 * put and del go into the open batch; foreach calls fn for every row.
 * 0, ENOSPC or EIO. */
int db_volstamp_put(sqlite3 *db, uint32_t lvol, uint64_t stamp);
int db_volstamp_del(sqlite3 *db, uint32_t lvol);
int db_volstamp_foreach(sqlite3 *db, void (*fn)(void *arg, uint32_t lvol, uint64_t stamp),
			void *arg);
/* Record durably that sequence numbers below upto may have been used. */
int db_seq_reserve(sqlite3 *db, uint64_t upto);

/* fsobj rows.  put inserts or replaces by ino (an UPDATE in place when
 * the row with that ino has the same fid). */
int db_fso_put(sqlite3 *db, const struct db_fso *r);
/* db_fso_put of a row whose fid changed under the same ino
 * (reintegration's server fid): one UPDATE by ino, the row rewritten in
 * place; db_fso_put (REPLACE) if no row has the ino or another row
 * holds the new fid.  0 or EIO. */
int db_fso_put_moved(sqlite3 *db, const struct db_fso *r);
int db_fso_del(sqlite3 *db, uint64_t ino);
/* Call fn for every row (r and its strings are valid during the call). */
int db_fso_foreach(sqlite3 *db, void (*fn)(void *arg, const struct db_fso *r), void *arg);

/* The rights cache (venus/core/rights.h): uid's and System:AnyUser's
 * HS_R_* rights on directory dir, as vice last reported them. */
int db_rights_put(sqlite3 *db, const hs_fid *dir, uint32_t uid, unsigned rights,
		  unsigned anyrights);
int db_rights_del(sqlite3 *db, const hs_fid *dir, uint32_t uid);
/* Call fn for every row; fn returns nonzero to stop. */
int db_rights_foreach(sqlite3 *db, int (*fn)(void *arg, const hs_fid *dir, uint32_t uid,
					     unsigned rights, unsigned anyrights), void *arg);

/* Directory entries (dir ino, name) -> child ino. */
int db_dirent_put(sqlite3 *db, uint64_t dir, const char *name, uint64_t child);
int db_dirent_del(sqlite3 *db, uint64_t dir, const char *name);
int db_dirent_clear(sqlite3 *db, uint64_t dir);
/* Forget every entry naming child (the object is gone). */
int db_dirent_del_child(sqlite3 *db, uint64_t child);
/* ENOENT if absent. */
int db_dirent_get(sqlite3 *db, uint64_t dir, const char *name, uint64_t *child);
/* Call fn for each entry of dir, in name order; fn returns nonzero to stop. */
int db_dirent_foreach(sqlite3 *db, uint64_t dir,
		      int (*fn)(void *arg, const char *name, uint64_t child), void *arg);

#endif /* VENUS_DB_H */
