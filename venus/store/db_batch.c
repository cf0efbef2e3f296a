/*
 * db_batch.c - per-connection state of venus.db (db.h): statements kept
 * prepared, the batch (one transaction per event-loop turn), and the
 * remembered counts over the CML.
 *
 * Before, every write was its own transaction and every statement was
 * parsed again: the SQL parser alone was ~18 % of venus's CPU and each
 * file tar created cost ~64 pwrite, ~127 fcntl locks and an fdatasync
 * (PROFILE.md).  Now a write outside an explicit transaction opens the
 * batch (BEGIN) if none is open; db_flush commits it, and the rule that
 * keeps the durability promise is that every reply (FUSE, kernel module,
 * control socket, an RPC to vice) calls db_flush before it leaves, and
 * the main loop calls it before it sleeps.  With WAL and synchronous =
 * NORMAL a committed batch is in the OS's page cache: it survives kill -9
 * of venus; db_sync (FUSE fsync) and db_durable make it survive a power
 * cut too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/store/db.h"

/* Connections with state: venus has one; tests open a few in turn. */
#define DB_CONNS 8
/* Remembered answers of counts over the CML (db_u64). */
#define DB_MEMO 64

/* One answer of db_u64: statement id for volume vol, valid while the
 * connection's cml generation is still gen. */
struct db_memo {
	int      id;
	uint32_t vol;
	uint64_t gen, v;
};

struct db_conn {
	sqlite3      *db;
	sqlite3_stmt *st[DB_COUNT];   /* prepared once, reset after each use */
	int           batching;       /* db_batching: writes go into the batch */
	int           batch;          /* the open transaction is the batch */
	int           savepoints;     /* SAVEPOINT levels open (cml_begin) */
	void        (*hook)(void *arg, int committed);
	void         *hook_arg;
	/* Bumped by every change of table cml (the update hook) and every
	 * rollback: the counts zone.c and volstate.c ask for at each logged
	 * change (COUNT, SUM over the whole log) are read again only then. */
	uint64_t      gen;
	struct db_memo memo[DB_MEMO];
};

static struct db_conn conns[DB_CONNS];

static struct db_conn *conn(sqlite3 *db)
{
	for (int i = 0; db && i < DB_CONNS; i++)
		if (conns[i].db == db)
			return &conns[i];
	return NULL;
}

static void on_update(void *arg, int op, const char *dbname, const char *table,
		      sqlite3_int64 rowid)
{
	struct db_conn *c = arg;

	if (!strcmp(table, "cml"))
		c->gen++;
}

void db_conn_add(sqlite3 *db)
{
	struct db_conn *c = NULL;

	for (int i = 0; !c && i < DB_CONNS; i++)
		if (!conns[i].db)
			c = &conns[i];
	if (!c) {
		/* Works as before: statements parsed per call, no batch. */
		vlog(LOG_WARNING, "venus.db: more than %d connections; this one keeps no state",
		     DB_CONNS);
		return;
	}
	memset(c, 0, sizeof *c);
	c->db = db;
	c->gen = 1;   /* memo entries start at gen 0: none is valid */
	sqlite3_update_hook(db, on_update, c);
}

void db_conn_drop(sqlite3 *db)
{
	struct db_conn *c = conn(db);

	if (!c)
		return;
	db_flush(db);
	sqlite3_update_hook(db, NULL, NULL);
	for (int i = 0; i < DB_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	memset(c, 0, sizeof *c);
}

/* ---- statements ---- */

/* Statements that only manage transactions never open the batch. */
static int is_control(enum db_stmt id)
{
	return id <= DB_WAL;
}

sqlite3_stmt *db_cached(sqlite3 *db, enum db_stmt id)
{
	struct db_conn *c = conn(db);
	sqlite3_stmt *st;

	if (!c)
		return db_st(db, id);
	st = c->st[id];
	/* In use further up the stack (a scan whose callback runs it
	 * again): a fresh copy, finalized by db_done. */
	if (st && sqlite3_stmt_busy(st))
		return db_st(db, id);
	if (!st) {
		if (sqlite3_prepare_v3(db, db_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			db_step_err(db, db_sql[id]);
			sqlite3_finalize(st);
			return NULL;
		}
		c->st[id] = st;
	}
	if (!is_control(id) && !sqlite3_stmt_readonly(st))
		db_batch_open(db);
	return st;
}

void db_done(sqlite3 *db, sqlite3_stmt *st)
{
	struct db_conn *c = conn(db);

	if (!st)
		return;
	for (int i = 0; c && i < DB_COUNT; i++) {
		if (c->st[i] == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

/* ---- transactions ---- */

/* Run a control statement (BEGIN, COMMIT, ...): 0 or SQLite's code. */
static int control(sqlite3 *db, enum db_stmt id)
{
	sqlite3_stmt *st = db_cached(db, id);
	int rc;

	if (!st)
		return SQLITE_ERROR;
	rc = sqlite3_step(st);
	db_done(db, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

void db_batching(sqlite3 *db, int on)
{
	struct db_conn *c = conn(db);

	if (!c)
		return;
	if (!on)
		db_flush(db);
	c->batching = on;
}

void db_batch_open(sqlite3 *db)
{
	struct db_conn *c = conn(db);

	if (!c || !c->batching || !sqlite3_get_autocommit(db))
		return;   /* off, or a transaction (the batch or another) is open */
	/* Failing, the write runs in autocommit as before. */
	if (control(db, DB_BEGIN)) {
		db_step_err(db, "venus.db: opening the batch");
		return;
	}
	c->batch = 1;
}

void db_ended(sqlite3 *db, int committed)
{
	struct db_conn *c = conn(db);

	if (!c)
		return;
	c->batch = 0;
	c->savepoints = 0;
	if (!committed)
		c->gen++;
	if (c->hook)
		c->hook(c->hook_arg, committed);
}

void db_savepoints(sqlite3 *db, int delta)
{
	struct db_conn *c = conn(db);

	if (c && c->savepoints + delta >= 0)
		c->savepoints += delta;
}

int db_flush(sqlite3 *db)
{
	struct db_conn *c = conn(db);
	int rc;

	if (!c || !c->batch)
		return 0;
	if (sqlite3_get_autocommit(db)) {   /* ended by a ROLLBACK elsewhere */
		c->batch = 0;
		return 0;
	}
	/* A change is half made (a CML record between SAVEPOINT and
	 * RELEASE): its owner's RELEASE comes first; the loop commits. */
	if (c->savepoints > 0)
		return 0;
	rc = control(db, DB_COMMIT);
	if (rc == SQLITE_BUSY)
		return 0;   /* a statement still writes: kept for the next flush */
	if (!rc) {
		db_ended(db, 1);
		return 0;
	}
	rc = db_step_err(db, "committing the batch");
	if (!sqlite3_get_autocommit(db))
		control(db, DB_ROLLBACK);
	db_ended(db, 0);
	return rc;
}

int db_sync(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	char wal[4200];
	int err = db_flush(db), fd;

	if (err || !path || !*path)
		return err;
	/* The WAL holds every commit not yet checkpointed; once it is on
	 * disk they are, as with synchronous=FULL.  A checkpoint fsyncs
	 * venus.db itself. */
	snprintf(wal, sizeof wal, "%s-wal", path);
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : errno;
	if (fdatasync(fd))
		err = errno;
	close(fd);
	if (err)
		vlog(LOG_ERR, "venus.db: %s: fdatasync: %s", wal, strerror(err));
	return err;
}

void db_on_commit(sqlite3 *db, void (*fn)(void *arg, int committed), void *arg)
{
	struct db_conn *c = conn(db);

	if (c) {
		c->hook = fn;
		c->hook_arg = arg;
	}
}

/* ---- counts over the CML ---- */

/* Statements whose one value depends on table cml alone (and ?1, a
 * volume, for the DB_CML_VOL_* ones). */
static int memo_able(enum db_stmt id)
{
	switch (id) {
	case DB_CML_COUNT: case DB_CML_BYTES: case DB_CML_CONFLICT_RECS:
	case DB_CML_CONFLICT_OBJS: case DB_CML_OLDEST: case DB_CML_MAX_SEQ:
	case DB_CML_VOL_COUNT: case DB_CML_VOL_ANY: case DB_CML_VOL_BYTES: case DB_CML_VOL_CONFLICT_OBJS:
	case DB_CML_VOL_QUOTA: case DB_CML_VOL_QUOTA_MAX: case DB_CML_VOL_OLDEST:
		return 1;
	default:
		return 0;
	}
}

static struct db_memo *memo_slot(struct db_conn *c, enum db_stmt id, const hs_fid *fid)
{
	uint32_t vol = fid ? fid->volume : 0;

	return &c->memo[((unsigned)id * 31u + vol * 7u) % DB_MEMO];
}

int db_memo_get(sqlite3 *db, enum db_stmt id, const hs_fid *fid, uint64_t *v)
{
	struct db_conn *c = conn(db);
	struct db_memo *m;

	if (!c || !memo_able(id))
		return 0;
	m = memo_slot(c, id, fid);
	if (m->gen != c->gen || m->id != (int)id || m->vol != (fid ? fid->volume : 0))
		return 0;
	*v = m->v;
	return 1;
}

void db_memo_put(sqlite3 *db, enum db_stmt id, const hs_fid *fid, uint64_t v)
{
	struct db_conn *c = conn(db);
	struct db_memo *m;

	if (!c || !memo_able(id))
		return;
	m = memo_slot(c, id, fid);
	m->id = (int)id;
	m->vol = fid ? fid->volume : 0;
	m->gen = c->gen;
	m->v = v;
}

void db_memo_forget(sqlite3 *db)
{
	struct db_conn *c = conn(db);

	if (c)
		c->gen++;
}
