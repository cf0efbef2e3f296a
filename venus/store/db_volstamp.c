/*
 * db_volstamp.c - volume version stamps in venus.db (db.h, table volstamp
 * in db_sql.c).  A row says the cache of one local volume was exactly
 * vice's state at the stamp; core deletes it at the first doubt (a
 * break, an own change, a lost connection).
 */
#include <errno.h>
#include <sqlite3.h>

#include "venus/store/db.h"

int db_volstamp_put(sqlite3 *db, uint32_t lvol, uint64_t stamp)
{
	sqlite3_stmt *st = db_cached(db, DB_VS_PUT);

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lvol);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)stamp);
	return db_run(db, st);
}

int db_volstamp_del(sqlite3 *db, uint32_t lvol)
{
	sqlite3_stmt *st = db_cached(db, DB_VS_DEL);

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lvol);
	return db_run(db, st);
}

int db_volstamp_foreach(sqlite3 *db, void (*fn)(void *arg, uint32_t lvol, uint64_t stamp),
			void *arg)
{
	sqlite3_stmt *st = db_st(db, DB_VS_ALL);
	int rc, err;

	if (!st)
		return EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (uint32_t)sqlite3_column_int64(st, 0),
		   (uint64_t)sqlite3_column_int64(st, 1));
	err = rc == SQLITE_DONE ? 0 : db_step_err(db, "volstamp");
	sqlite3_finalize(st);
	return err;
}
