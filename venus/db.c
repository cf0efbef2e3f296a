/*
 * db.c - SQLite storage of venus's metadata (schema in db.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/random.h>

#include "venus/venus.h"
#include "venus/db.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" client_id INTEGER NOT NULL, next_seq INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS fsobj(ino INTEGER PRIMARY KEY,"
	" vol INTEGER NOT NULL, vnode INTEGER NOT NULL, uniq INTEGER NOT NULL,"
	" type INTEGER NOT NULL, mode INTEGER, nlink INTEGER, uid INTEGER, gid INTEGER,"
	" size INTEGER, atime_s INTEGER, atime_ns INTEGER, mtime_s INTEGER,"
	" mtime_ns INTEGER, ctime_s INTEGER, ctime_ns INTEGER,"
	" dataversion INTEGER, data_dv INTEGER, has_data INTEGER, dirty INTEGER,"
	" last_used INTEGER, parent INTEGER, name TEXT, target TEXT,"
	" rdev INTEGER NOT NULL DEFAULT 0, UNIQUE(vol, vnode, uniq));"
	"CREATE TABLE IF NOT EXISTS dirent(dir INTEGER NOT NULL, name TEXT NOT NULL,"
	" child INTEGER NOT NULL, PRIMARY KEY(dir, name)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS dirent_child ON dirent(child);";

static int db_err(sqlite3 *db, const char *what)
{
	vlog(LOG_ERR, "venus.db: %s: %s", what, sqlite3_errmsg(db));
	/* A full cache disk is the caller's ENOSPC, not an I/O error. */
	return (sqlite3_errcode(db) & 0xff) == SQLITE_FULL ? ENOSPC : EIO;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		vlog(LOG_ERR, "venus.db: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return EIO;
	}
	return 0;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(db, sql);
		return NULL;
	}
	return st;
}

/* Step a statement that returns no rows, then finalize it. */
static int run(sqlite3 *db, sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, "step");
}

static int check_version(sqlite3 *db)
{
	sqlite3_stmt *st = prep(db, "SELECT version FROM schema_version");
	int rc, v = -1;

	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v < 0) {
		st = prep(db, "INSERT INTO schema_version(version) VALUES (?)");
		if (st)
			sqlite3_bind_int(st, 1, DB_SCHEMA_VERSION);
		return run(db, st);
	}
	/* Version 1 had no special files: every rdev is 0. */
	if (v == 1 && !exec(db, "ALTER TABLE fsobj ADD COLUMN"
			    " rdev INTEGER NOT NULL DEFAULT 0;"
			    "UPDATE schema_version SET version = 2;"))
		v = 2;
	if (v != DB_SCHEMA_VERSION) {
		vlog(LOG_ERR, "venus.db: schema version %d, this venus knows %d",
		     v, DB_SCHEMA_VERSION);
		return EPROTO;
	}
	return 0;
}

int db_open(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		vlog(LOG_ERR, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
	if (!rc)
		rc = exec(db, "BEGIN IMMEDIATE");
	if (!rc) {
		rc = exec(db, schema);
		if (!rc)
			rc = check_version(db);
		if (exec(db, rc ? "ROLLBACK" : "COMMIT") && !rc)
			rc = EIO;
	}
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void db_close(sqlite3 *db)
{
	if (db)
		sqlite3_close(db);
}

int db_begin(sqlite3 *db)
{
	return exec(db, "BEGIN");
}

int db_commit(sqlite3 *db)
{
	return exec(db, "COMMIT");
}

void db_durable(sqlite3 *db, int on)
{
	exec(db, on ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

int db_meta_load(sqlite3 *db, uint64_t *client_id, uint64_t *next_seq)
{
	sqlite3_stmt *st = prep(db, "SELECT client_id, next_seq FROM meta WHERE id = 1");
	uint64_t id = 0;
	int rc;

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
	st = prep(db, "INSERT INTO meta(id, client_id, next_seq) VALUES (1, ?, 1)");
	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	db_durable(db, 1);
	rc = run(db, st);
	db_durable(db, 0);
	if (rc)
		return rc;
	*client_id = id;
	*next_seq = 1;
	return 0;
}

int db_seq_reserve(sqlite3 *db, uint64_t upto)
{
	sqlite3_stmt *st = prep(db, "UPDATE meta SET next_seq = ? WHERE id = 1");
	int rc;

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	db_durable(db, 1);
	rc = run(db, st);
	db_durable(db, 0);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int db_fso_put(sqlite3 *db, const struct db_fso *r)
{
	sqlite3_stmt *st = prep(db,
		"INSERT OR REPLACE INTO fsobj(ino, vol, vnode, uniq, type, mode, nlink,"
		" uid, gid, size, atime_s, atime_ns, mtime_s, mtime_ns, ctime_s, ctime_ns,"
		" dataversion, data_dv, has_data, dirty, last_used, parent, name, target,"
		" rdev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	int i = 1;

	if (!st)
		return EIO;
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
	return run(db, st);
}

int db_fso_del(sqlite3 *db, uint64_t ino)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM fsobj WHERE ino = ?");

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ino);
	return run(db, st);
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
	sqlite3_stmt *st = prep(db,
		"SELECT ino, vol, vnode, uniq, type, mode, nlink, uid, gid, size,"
		" atime_s, atime_ns, mtime_s, mtime_ns, ctime_s, ctime_ns, dataversion,"
		" data_dv, has_data, dirty, last_used, parent, name, target, rdev"
		" FROM fsobj");
	struct db_fso r;
	int rc;

	if (!st)
		return EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_fso(st, &r);
		fn(arg, &r);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, "fsobj scan");
}

int db_dirent_put(sqlite3 *db, uint64_t dir, const char *name, uint64_t child)
{
	sqlite3_stmt *st = prep(db,
		"INSERT OR REPLACE INTO dirent(dir, name, child) VALUES (?, ?, ?)");

	if (st) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)child);
	}
	return run(db, st);
}

int db_dirent_del(sqlite3 *db, uint64_t dir, const char *name)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM dirent WHERE dir = ? AND name = ?");

	if (st) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	}
	return run(db, st);
}

int db_dirent_clear(sqlite3 *db, uint64_t dir)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM dirent WHERE dir = ?");

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	return run(db, st);
}

int db_dirent_del_child(sqlite3 *db, uint64_t child)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM dirent WHERE child = ?");

	if (st)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)child);
	return run(db, st);
}

int db_dirent_get(sqlite3 *db, uint64_t dir, const char *name, uint64_t *child)
{
	sqlite3_stmt *st = prep(db, "SELECT child FROM dirent WHERE dir = ? AND name = ?");
	int rc;

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*child = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ENOENT : db_err(db, "dirent");
}

int db_dirent_foreach(sqlite3 *db, uint64_t dir,
		      int (*fn)(void *arg, const char *name, uint64_t child), void *arg)
{
	sqlite3_stmt *st = prep(db, "SELECT name, child FROM dirent WHERE dir = ? ORDER BY name");
	int rc;

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		       (uint64_t)sqlite3_column_int64(st, 1)))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_err(db, "dirent scan");
}
