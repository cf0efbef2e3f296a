/*
 * db_reint.c - the statement cache of a reintegration block and the
 * indexed "does the CML name it" query (db_reint.h).
 */
#include <errno.h>
#include <stddef.h>
#include <syslog.h>

#include "venus/util/venus.h"
#include "venus/store/db_reint.h"

/* Statements one block runs: a handful (done, rebase, refid x 2, named,
 * fsobj writes); past the bound, calls get fresh statements. */
#define RC_MAX 16

static struct {
	sqlite3      *db;
	unsigned      depth;
	unsigned      n;
	const char   *sql[RC_MAX];
	sqlite3_stmt *st[RC_MAX];
} rc;

void db_rc_open(sqlite3 *db)
{
	if (rc.depth && rc.db != db)
		return;
	rc.db = db;
	rc.depth++;
}

void db_rc_close(void)
{
	if (!rc.depth || --rc.depth)
		return;
	while (rc.n) {
		rc.n--;
		sqlite3_finalize(rc.st[rc.n]);
		rc.st[rc.n] = NULL;
	}
	rc.db = NULL;
}

static int cached(const sqlite3_stmt *st)
{
	for (unsigned i = 0; i < rc.n; i++)
		if (rc.st[i] == st)
			return 1;
	return 0;
}

sqlite3_stmt *db_rc_sql(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int mine = rc.depth && rc.db == db;

	for (unsigned i = 0; mine && i < rc.n; i++)
		if (rc.sql[i] == sql)
			return rc.st[i];
	if (sqlite3_prepare_v3(db, sql, -1, mine ? SQLITE_PREPARE_PERSISTENT : 0,
			       &st, NULL) != SQLITE_OK) {
		vlog(LOG_ERR, "venus.db: %s: %s", sql, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	if (mine && rc.n < RC_MAX) {
		rc.sql[rc.n] = sql;
		rc.st[rc.n++] = st;
	}
	return st;
}

sqlite3_stmt *db_rc_get(sqlite3 *db, enum db_stmt id)
{
	return db_rc_sql(db, db_sql[id]);
}

void db_rc_put(sqlite3_stmt *st)
{
	if (!st)
		return;
	if (cached(st)) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
}

int db_rc_run(sqlite3 *db, sqlite3_stmt *st)
{
	int rc_, err = 0;

	if (!st)
		return EIO;
	rc_ = sqlite3_step(st);
	if (rc_ != SQLITE_DONE && rc_ != SQLITE_ROW)
		err = db_step_err(db, sqlite3_sql(st));
	db_rc_put(st);
	return err;
}

/* Conflict 122 (EDQUOT, held for quota) still names: as DB_CML_NAMES. */
static const char named_sql[] =
	"SELECT EXISTS (SELECT 1 FROM cml WHERE vol = ?1 AND vnode = ?2 AND uniq = ?3"
	" AND conflict IN (0, 122)) OR EXISTS (SELECT 1 FROM cml WHERE vol = ?1 AND"
	" dvnode = ?2 AND duniq = ?3 AND conflict IN (0, 122))";

int db_cml_named(sqlite3 *db, const hs_fid *fid)
{
	sqlite3_stmt *st = db_rc_sql(db, named_sql);
	int rc_, v = 0;

	if (!st)
		return 0;
	db_bind_fid(st, 1, fid);
	rc_ = sqlite3_step(st);
	if (rc_ == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else if (rc_ != SQLITE_DONE)
		db_step_err(db, "cml: named");
	db_rc_put(st);
	return v != 0;
}
