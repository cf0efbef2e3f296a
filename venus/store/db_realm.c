/*
 * db_realm.c - realm indexes in venus.db (db.h, table realm in db_sql.c).
 * A cached fid's volume carries its realm's index (volreg.h), so an index
 * once given must mean the same realm after a restart.
 */
#include <errno.h>
#include <sqlite3.h>

#include "venus/store/db.h"

int db_realm_put(sqlite3 *db, unsigned idx, const char *name)
{
	sqlite3_stmt *st = db_st(db, DB_REALM_PUT);
	int rc, off;

	if (!st)
		return EIO;
	sqlite3_bind_int(st, 1, (int)idx);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	/* Durable before a fid carrying the index is cached. */
	if ((rc = db_durable(db, 1))) {
		sqlite3_finalize(st);
		return rc;
	}
	rc = db_run(db, st);
	off = db_durable(db, 0);
	return rc ? rc : off;
}

int db_realm_foreach(sqlite3 *db, void (*fn)(void *arg, unsigned idx, const char *name),
		     void *arg)
{
	sqlite3_stmt *st = db_st(db, DB_REALM_ALL);
	int rc, err;

	if (!st)
		return EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		if (name)
			fn(arg, (unsigned)sqlite3_column_int(st, 0), name);
	}
	err = rc == SQLITE_DONE ? 0 : db_step_err(db, "realm");
	sqlite3_finalize(st);
	return err;
}
