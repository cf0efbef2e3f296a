/*
 * db.c - the SQL layer on venus.db (db.h): open and migrate, transactions,
 * statements from db_sql[], fsobj and directory rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/random.h>

#include "venus/util/venus.h"
#include "venus/store/db.h"

int db_step_err(sqlite3 *db, const char *what)
{
	vlog(LOG_ERR, "venus.db: %s: %s", what, sqlite3_errmsg(db));
	/* SQLite may have rolled back more than the statement. */
	db_memo_forget(db);
	/* A full cache disk is the caller's ENOSPC, not an I/O error. */
	return (sqlite3_errcode(db) & 0xff) == SQLITE_FULL ? ENOSPC : EIO;
}

static int db_err(sqlite3 *db, const char *what)
{
	return db_step_err(db, what);
}

/* Run SQL text of several statements (the schema) without binds. */
static int exec_text(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		vlog(LOG_ERR, "venus.db: %.60s...: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return (rc & 0xff) == SQLITE_FULL ? ENOSPC : EIO;
	}
	return 0;
}

sqlite3_stmt *db_st(sqlite3 *db, enum db_stmt id)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, db_sql[id], -1, &st, NULL) != SQLITE_OK) {
		db_err(db, db_sql[id]);
		sqlite3_finalize(st);
		return NULL;
	}
	if (id > DB_WAL && !sqlite3_stmt_readonly(st))
		db_batch_open(db);   /* a write: into the turn's batch */
	return st;
}

int db_run(sqlite3 *db, sqlite3_stmt *st)
{
	int rc, err = 0;

	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = db_err(db, sqlite3_sql(st));
	db_done(db, st);
	return err;
}

int db_exec(sqlite3 *db, enum db_stmt id)
{
	int err = db_run(db, db_cached(db, id));

	if (!err && id == DB_SAVEPOINT)
		db_savepoints(db, 1);
	else if (!err && id == DB_RELEASE)
		db_savepoints(db, -1);
	if (id == DB_ROLLBACK || id == DB_ROLLBACK_TO)
		db_memo_forget(db);   /* rows came back unseen by the update hook */
	return err;
}

void db_bind_fid(sqlite3_stmt *st, int i, const hs_fid *f)
{
	sqlite3_bind_int64(st, i, f->volume);
	sqlite3_bind_int64(st, i + 1, f->vnode);
	sqlite3_bind_int64(st, i + 2, f->unique);
}

int db_u64(sqlite3 *db, enum db_stmt id, const hs_fid *fid, uint64_t *v)
{
	sqlite3_stmt *st;
	int rc, err = 0;

	if (db_memo_get(db, id, fid, v))
		return 0;
	*v = 0;
	if (!(st = db_cached(db, id)))
		return EIO;
	if (fid)
		db_bind_fid(st, 1, fid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		err = db_err(db, db_sql[id]);
	db_done(db, st);
	if (!err)
		db_memo_put(db, id, fid, *v);
	return err;
}

/* ---- open and migrate ---- */

/* Run statement add unless statement has (a count) says the column is
 * there: migrations that may meet a half-done earlier attempt. */
static int add_column(sqlite3 *db, enum db_stmt has_id, enum db_stmt add_id)
{
	uint64_t has = 0;
	int err = db_u64(db, has_id, NULL, &has);

	if (!err && !has)
		err = db_exec(db, add_id);
	return err;
}

/* hoard.attrs came after some version 1 files were written, and hoard.c
 * added it at each start, outside the version; rows without it are
 * converted by hoard.c (the meaning of old flags is hoard's to know).
 * Checked at every open: a table without the column (an old file, or
 * one altered by hand) would fail every hoard statement. */
static int hoard_attrs(sqlite3 *db)
{
	return add_column(db, DB_HOARD_HAS_ATTRS, DB_HOARD_ADD_ATTRS);
}

/* Version 1 to 2: special files.  Every object of version 1 is a file,
 * directory or symlink: rdev 0. */
static int migrate_1(sqlite3 *db)
{
	return add_column(db, DB_FSO_HAS_RDEV, DB_FSO_ADD_RDEV);
}

/* Version 2 to 3: each CML record carries the local uid it is
 * reintegrated as.  Records of version 2 were made as root's (venus made
 * every call the same way): uid 0. */
static int migrate_2(sqlite3 *db)
{
	return add_column(db, DB_CML_HAS_UID, DB_CML_ADD_UID);
}

/* The local volume of venus's own objects (volreg.h's VR_LOCAL_VOL; the
 * store layer cannot include the net layer). */
#define DB_LOCAL_VOL 0xff000000u

/* Run statement id with ?1 bound to ino. */
static int run_ino(sqlite3 *db, enum db_stmt id, uint64_t ino)
{
	sqlite3_stmt *st = db_st(db, id);

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ino);
	return db_run(db, st);
}

/* Move the container of ino 1 to ino to (in the directory of venus.db).
 * A container already there is one an earlier, rolled back attempt
 * moved. */
static int move_container(sqlite3 *db, uint64_t to)
{
	const char *path = sqlite3_db_filename(db, "main");
	const char *slash = path ? strrchr(path, '/') : NULL;
	char from[4096], dest[4096];
	int n = slash ? (int)(slash - path) : 1;

	if (snprintf(from, sizeof from, "%.*s/containers/1", n, slash ? path : ".") >=
	    (int)sizeof from)
		return ENAMETOOLONG;
	snprintf(dest, sizeof dest, "%.*s/containers/%" PRIu64, n, slash ? path : ".", to);
	if (rename(from, dest) && errno != ENOENT) {
		vlog(LOG_ERR, "venus.db migration: %s: %s", from, strerror(errno));
		return errno;
	}
	return 0;
}

/* Run statement id with ?1 bound to text t. */
static int run_text(sqlite3 *db, enum db_stmt id, const char *t)
{
	sqlite3_stmt *st = db_st(db, id);

	if (st)
		sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
	return db_run(db, st);
}

/* Hoard paths were relative to the root volume, which is now
 * <realm 0>/ below the mount (venus.conf's realm: config.c makes it the
 * server's name when unset).  Without a realm name (a tool that opens
 * venus.db alone) they stay. */
/* Realm 0's name as config.c settled it, or NULL (a tool, a test that
 * opens venus.db alone; or a name no directory entry can have). */
static const char *realm0(void)
{
	const char *realm = V ? V->cfg.realm : NULL;

	return realm && *realm && !strchr(realm, '/') && strcmp(realm, ".") &&
	       strcmp(realm, "..") && strlen(realm) <= HS_MAXNAMELEN ? realm : NULL;
}

/* The moved root (ino) becomes realm 0's entry in the realm directory.
 * Without a name core files it at its first lookup (fsobj_realm.c). */
static int name_realm0(sqlite3 *db, uint64_t ino)
{
	const char *realm = realm0();
	int err = 0;

	for (int id = DB_MIG4_REALM0_DE; realm && !err && id <= DB_MIG4_REALM0_NAME; id++) {
		sqlite3_stmt *st = db_st(db, (enum db_stmt)id);

		if (st) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)ino);
			sqlite3_bind_text(st, 2, realm, -1, SQLITE_STATIC);
		}
		err = db_run(db, st);
	}
	return err;
}

static int migrate_hoard(sqlite3 *db)
{
	const char *realm = realm0();
	int err;

	if (!realm)
		return 0;
	if (!(err = run_text(db, DB_MIG4_HOARD, realm)))
		err = run_text(db, DB_MIG4_HOARD_MEMBER, realm);
	if (!err)
		vlog(LOG_NOTICE, "venus.db: hoard paths now begin with the realm, %s/", realm);
	return err;
}

/* Version 3 to 4: ino 1 becomes venus's realm directory (/coda).  The
 * root directory an older cache kept there (a vice object) moves to a
 * fresh ino, with everything that names it: its entries, its children's
 * parent, its CML records, its container.  The moved row gets parent 1
 * and no name: core files it as realm 0's entry (fsobj_realm.c).  One
 * transaction (db_open's); the container moves first, and a rolled back
 * attempt finds it already moved next time (the fresh ino is the same:
 * nothing else changed). */
static int migrate_3(sqlite3 *db)
{
	uint64_t vol = 0, to = 0;
	int err = migrate_hoard(db);

	if (!err)
		err = db_u64(db, DB_MIG4_ROOT_VOL, NULL, &vol);
	if (err || !vol || vol == DB_LOCAL_VOL)
		return err;   /* no row at ino 1 (vol 0 is no volume), or ours */
	if ((err = db_u64(db, DB_MIG4_FREE_INO, NULL, &to)))
		return err;
	if (to < 2)
		to = 2;
	if ((err = move_container(db, to)) ||
	    (err = run_ino(db, DB_MIG4_PARENT, to)) ||
	    (err = run_ino(db, DB_MIG4_FSO, to)) ||
	    (err = run_ino(db, DB_MIG4_DIR, to)) ||
	    (err = run_ino(db, DB_MIG4_CHILD, to)) ||
	    (err = run_ino(db, DB_MIG4_CML, to)) ||
	    (err = name_realm0(db, to)))
		return err;
	vlog(LOG_NOTICE, "venus.db: the old root directory moved from ino 1 to %" PRIu64
	     "; ino 1 is the realm directory", to);
	return 0;
}

/* Version 4 to 5: table volstamp, which db_schema made already (empty:
 * no stamp recorded, so the first start revalidates as before). */
static int migrate_4(sqlite3 *db)
{
	(void)db;
	return 0;
}

/* Migration from version i to i + 1 is step[i]. */
static int (*const step[DB_SCHEMA_VERSION])(sqlite3 *db) = {
	[1] = migrate_1,
	[2] = migrate_2,
	[3] = migrate_3,
	[4] = migrate_4,
};

static int set_version(sqlite3 *db, enum db_stmt id, int v)
{
	sqlite3_stmt *st = db_st(db, id);

	if (st)
		sqlite3_bind_int(st, 1, v);
	return db_run(db, st);
}

static int check_version(sqlite3 *db)
{
	sqlite3_stmt *st = db_st(db, DB_VERSION_GET);
	int rc, v = -1, err = 0;

	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		err = db_err(db, "schema_version");
	sqlite3_finalize(st);
	if (err)
		return err;
	if (v < 0)   /* a new file: db_schema made it at the current version */
		return set_version(db, DB_VERSION_INIT, DB_SCHEMA_VERSION);
	if (v > DB_SCHEMA_VERSION || v < 1) {
		vlog(LOG_ERR, "venus.db: schema version %d, this venus knows 1 to %d",
		     v, DB_SCHEMA_VERSION);
		return EPROTO;
	}
	if (v == DB_SCHEMA_VERSION)
		return 0;
	for (int i = v; !err && i < DB_SCHEMA_VERSION; i++)
		err = step[i](db);
	if (!err)
		err = set_version(db, DB_VERSION_SET, DB_SCHEMA_VERSION);
	if (!err)
		vlog(LOG_NOTICE, "venus.db: schema version %d migrated to %d", v,
		     DB_SCHEMA_VERSION);
	return err;
}

/* Before SQLite's first use in this process: no count of its memory
 * (nothing reads it), which takes a global mutex at every malloc.  Later
 * calls (tests open several files) change nothing. */
static void db_lib_init(void)
{
	static int done;

	if (!done) {
		done = 1;
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);   /* MISUSE if too late */
		/* Statement journals stay in memory up to 1 MiB (SQLite's
		 * default is 64 KiB; it allocates them in chunks of that
		 * size, so not more): SQLite truncates one only at each
		 * statement's or savepoint's end; spilled to a file it grew
		 * by every page each later statement of a transaction
		 * touched (a reintegration block's UPDATEs: 16,000 4 KiB
		 * pwrites for 20,000 records). */
		(void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 1 << 20);
	}
}

/* WAL pages after which a commit copies the WAL into venus.db
 * (SQLite's default is 1000).  Each offline create or store commits ~7-14
 * pages, mostly the same hot ones (the directory's row, index roots);
 * a checkpoint copies each page once and fsyncs twice, so a longer WAL
 * copies the hot pages fewer times.  16 MiB of WAL at 4 KiB pages. */
#define DB_WAL_PAGES 4000

int db_open(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	db_lib_init();
	/* NOMUTEX: only venus's loop thread uses venus.db (the FUSE
	 * notifier and DNS threads never do), so SQLite's per-connection
	 * mutexes were ~3 % of venus's CPU for nothing. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		vlog(LOG_ERR, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = db_exec(db, DB_WAL);
	if (!rc)
		sqlite3_wal_autocheckpoint(db, DB_WAL_PAGES);
	if (!rc)
		rc = db_durable(db, 0);
	if (!rc)
		rc = db_exec(db, DB_BEGIN_IMMEDIATE);
	if (!rc) {
		rc = exec_text(db, db_schema);
		if (!rc)
			rc = check_version(db);
		if (!rc)
			rc = hoard_attrs(db);
		if (rc)
			db_exec(db, DB_ROLLBACK);
		else
			rc = db_commit(db);
	}
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	db_conn_add(db);
	*out = db;
	return 0;
}

void db_close(sqlite3 *db)
{
	if (!db)
		return;
	db_conn_drop(db);   /* commits the batch, finalizes kept statements */
	sqlite3_close(db);
}

/* The batch goes first: an explicit transaction commits on its own. */
int db_begin(sqlite3 *db)
{
	int err = db_flush(db);

	return err ? err : db_exec(db, DB_BEGIN);
}

/* A failed COMMIT leaves the transaction open: roll it back, so that the
 * next db_begin is not refused and nothing half-made stays pending. */
int db_commit(sqlite3 *db)
{
	int err = db_exec(db, DB_COMMIT);

	if (err && db_in_txn(db))
		db_exec(db, DB_ROLLBACK);
	db_ended(db, !err);
	return err;
}

int db_rollback(sqlite3 *db)
{
	int err = db_exec(db, DB_ROLLBACK);

	db_ended(db, 0);
	return err;
}

int db_in_txn(sqlite3 *db)
{
	return !sqlite3_get_autocommit(db);
}

int db_durable(sqlite3 *db, int on)
{
	int err = db_flush(db);

	return err ? err : db_exec(db, on ? DB_SYNC_FULL : DB_SYNC_NORMAL);
}

int db_checkpoint(sqlite3 *db, int *frames, int *moved)
{
	int rc = db_flush(db) ? SQLITE_ERROR : sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					   frames, moved);

	if (rc == SQLITE_OK)
		return 0;
	vlog(LOG_WARNING, "venus.db: checkpoint: %s", sqlite3_errstr(rc));
	return rc == SQLITE_BUSY ? EBUSY : EIO;
}

/* ---- meta ---- */

int db_meta_load(sqlite3 *db, uint64_t *client_id, uint64_t *next_seq)
{
	sqlite3_stmt *st = db_st(db, DB_META_GET);
	uint64_t id = 0;
	int rc, err;

	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*client_id = (uint64_t)sqlite3_column_int64(st, 0);
		*next_seq = (uint64_t)sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, "meta");
	/* First use: a random, nonzero client id; SQLite integers are signed. */
	while (id == 0) {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			return EIO;
		id &= INT64_MAX;
	}
	st = db_st(db, DB_META_INIT);
	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((err = db_durable(db, 1))) {
		sqlite3_finalize(st);
		return err;
	}
	err = db_run(db, st);
	if (db_durable(db, 0) && !err)
		err = EIO;
	if (err)
		return err;
	*client_id = id;
	*next_seq = 1;
	return 0;
}

/* FULL sync must be on for the UPDATE's commit, or the reservation is
 * not known to be on disk. */
int db_seq_reserve(sqlite3 *db, uint64_t upto)
{
	sqlite3_stmt *st = db_st(db, DB_META_SEQ);
	int err;

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	if ((err = db_durable(db, 1))) {
		sqlite3_finalize(st);
		return err;
	}
	err = db_run(db, st);
	if (db_durable(db, 0) && !err)
		err = EIO;
	return err;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* The 25 columns of r as ?1..?25, FSO_COLS's order (both DB_FSO_PUT and
 * DB_FSO_UPDATE). */
static void bind_fso(sqlite3_stmt *st, const struct db_fso *r)
{
	int i = 1;

	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->ino);
	sqlite3_bind_int64(st, i++, r->fid.volume);
	sqlite3_bind_int64(st, i++, r->fid.vnode);
	sqlite3_bind_int64(st, i++, r->fid.unique);
	sqlite3_bind_int(st, i++, r->type);
	sqlite3_bind_int64(st, i++, r->mode);
	sqlite3_bind_int64(st, i++, r->nlink);
	sqlite3_bind_int64(st, i++, r->uid);
	sqlite3_bind_int64(st, i++, r->gid);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->size);
	sqlite3_bind_int64(st, i++, r->atime.sec);
	sqlite3_bind_int64(st, i++, r->atime.nsec);
	sqlite3_bind_int64(st, i++, r->mtime.sec);
	sqlite3_bind_int64(st, i++, r->mtime.nsec);
	sqlite3_bind_int64(st, i++, r->ctime.sec);
	sqlite3_bind_int64(st, i++, r->ctime.nsec);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->dataversion);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->data_dv);
	sqlite3_bind_int(st, i++, r->has_data);
	sqlite3_bind_int(st, i++, r->dirty);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->last_used);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->parent);
	bind_text_or_null(st, i++, r->name);
	bind_text_or_null(st, i++, r->target);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)r->rdev);
}

/* Most saves rewrite a row whose fid stays (a directory at each entry
 * made in it, a file at each close): an UPDATE in place leaves the fid's
 * index page alone, where REPLACE deletes and reinserts its entry.  A new
 * row, or one whose fid changed (reintegration's new fid), is REPLACEd. */
int db_fso_put(sqlite3 *db, const struct db_fso *r)
{
	sqlite3_stmt *st = db_cached(db, DB_FSO_UPDATE);
	int err;

	if (!st)
		return EIO;
	bind_fso(st, r);
	if ((err = db_run(db, st)) || sqlite3_changes(db) == 1)
		return err;
	if (!(st = db_cached(db, DB_FSO_PUT)))
		return EIO;
	bind_fso(st, r);
	return db_run(db, st);
}

int db_fso_put_moved(sqlite3 *db, const struct db_fso *r)
{
	sqlite3_stmt *st = db_cached(db, DB_FSO_MOVE);
	int rc;

	if (!st)
		return EIO;
	bind_fso(st, r);
	/* A UNIQUE failure (another row holds the fid: REPLACE drops it)
	 * or no row: the general path. */
	rc = sqlite3_step(st);
	db_done(db, st);
	if (rc == SQLITE_DONE && sqlite3_changes(db) == 1)
		return 0;
	return db_fso_put(db, r);
}

int db_fso_del(sqlite3 *db, uint64_t ino)
{
	sqlite3_stmt *st = db_cached(db, DB_FSO_DEL);

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ino);
	return db_run(db, st);
}

static void row_to_fso(sqlite3_stmt *st, struct db_fso *r)
{
	int i = 0;

	memset(r, 0, sizeof(*r));
	r->ino = (uint64_t)sqlite3_column_int64(st, i++);
	r->fid.volume = (unsigned)sqlite3_column_int64(st, i++);
	r->fid.vnode = (unsigned)sqlite3_column_int64(st, i++);
	r->fid.unique = (unsigned)sqlite3_column_int64(st, i++);
	r->type = sqlite3_column_int(st, i++);
	r->mode = (uint32_t)sqlite3_column_int64(st, i++);
	r->nlink = (uint32_t)sqlite3_column_int64(st, i++);
	r->uid = (uint32_t)sqlite3_column_int64(st, i++);
	r->gid = (uint32_t)sqlite3_column_int64(st, i++);
	r->size = (uint64_t)sqlite3_column_int64(st, i++);
	r->atime.sec = sqlite3_column_int64(st, i++);
	r->atime.nsec = (unsigned)sqlite3_column_int64(st, i++);
	r->mtime.sec = sqlite3_column_int64(st, i++);
	r->mtime.nsec = (unsigned)sqlite3_column_int64(st, i++);
	r->ctime.sec = sqlite3_column_int64(st, i++);
	r->ctime.nsec = (unsigned)sqlite3_column_int64(st, i++);
	r->dataversion = (uint64_t)sqlite3_column_int64(st, i++);
	r->data_dv = (uint64_t)sqlite3_column_int64(st, i++);
	r->has_data = sqlite3_column_int(st, i++);
	r->dirty = sqlite3_column_int(st, i++);
	r->last_used = (uint64_t)sqlite3_column_int64(st, i++);
	r->parent = (uint64_t)sqlite3_column_int64(st, i++);
	r->name = (char *)sqlite3_column_text(st, i++);
	r->target = (char *)sqlite3_column_text(st, i++);
	r->rdev = (uint64_t)sqlite3_column_int64(st, i++);
}

int db_fso_foreach(sqlite3 *db, void (*fn)(void *arg, const struct db_fso *r), void *arg)
{
	sqlite3_stmt *st = db_cached(db, DB_FSO_ALL);
	struct db_fso r;
	int rc;

	if (!st)
		return EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_fso(st, &r);
		fn(arg, &r);
	}
	db_done(db, st);
	return rc == SQLITE_DONE ? 0 : db_err(db, "fsobj scan");
}

int db_dirent_put(sqlite3 *db, uint64_t dir, const char *name, uint64_t child)
{
	sqlite3_stmt *st = db_cached(db, DB_DE_PUT);

	if (st) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)child);
	}
	return db_run(db, st);
}

int db_dirent_del(sqlite3 *db, uint64_t dir, const char *name)
{
	sqlite3_stmt *st = db_cached(db, DB_DE_DEL);

	if (st) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	}
	return db_run(db, st);
}

int db_dirent_clear(sqlite3 *db, uint64_t dir)
{
	sqlite3_stmt *st = db_cached(db, DB_DE_CLEAR);

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	return db_run(db, st);
}

int db_dirent_del_child(sqlite3 *db, uint64_t child)
{
	sqlite3_stmt *st = db_cached(db, DB_DE_DEL_CHILD);

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)child);
	return db_run(db, st);
}

int db_dirent_get(sqlite3 *db, uint64_t dir, const char *name, uint64_t *child)
{
	sqlite3_stmt *st = db_cached(db, DB_DE_GET);
	int rc;

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*child = (uint64_t)sqlite3_column_int64(st, 0);
	db_done(db, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ENOENT : db_err(db, "dirent");
}

int db_dirent_foreach(sqlite3 *db, uint64_t dir,
		      int (*fn)(void *arg, const char *name, uint64_t child), void *arg)
{
	sqlite3_stmt *st = db_cached(db, DB_DE_LIST);
	int rc;

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		       (uint64_t)sqlite3_column_int64(st, 1)))
			break;
	}
	db_done(db, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(db, "dirent scan");
}

/* ---- the rights cache ---- */

int db_rights_put(sqlite3 *db, const hs_fid *dir, uint32_t uid, unsigned rights,
		  unsigned anyrights)
{
	sqlite3_stmt *st = db_cached(db, DB_RIGHTS_PUT);

	if (st) {
		db_bind_fid(st, 1, dir);
		sqlite3_bind_int64(st, 4, uid);
		sqlite3_bind_int64(st, 5, rights);
		sqlite3_bind_int64(st, 6, anyrights);
	}
	return db_run(db, st);
}

int db_rights_del(sqlite3 *db, const hs_fid *dir, uint32_t uid)
{
	sqlite3_stmt *st = db_cached(db, DB_RIGHTS_DEL);

	if (st) {
		db_bind_fid(st, 1, dir);
		sqlite3_bind_int64(st, 4, uid);
	}
	return db_run(db, st);
}

int db_rights_foreach(sqlite3 *db, int (*fn)(void *arg, const hs_fid *dir, uint32_t uid,
					     unsigned rights, unsigned anyrights), void *arg)
{
	sqlite3_stmt *st = db_cached(db, DB_RIGHTS_ALL);
	int rc;

	if (!st)
		return EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		hs_fid f = { (uint32_t)sqlite3_column_int64(st, 0),
			     (uint32_t)sqlite3_column_int64(st, 1),
			     (uint32_t)sqlite3_column_int64(st, 2) };

		if (fn(arg, &f, (uint32_t)sqlite3_column_int64(st, 3),
		       (unsigned)sqlite3_column_int64(st, 4),
		       (unsigned)sqlite3_column_int64(st, 5)))
			break;
	}
	db_done(db, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(db, "rights scan");
}
