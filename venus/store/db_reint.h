/*
 * db_reint.h - prepared statements kept for the length of one
 * reintegration block (db_reint.c).
 *
 * db_st prepares a statement at every call (tens of microseconds); a
 * block's results run the same handful of statements once per record, so
 * reint.c opens a cache around them and the CML functions take their
 * statements from it.  Outside a block (no cache open) every call gets a
 * fresh statement, as db_st does.  The cache is closed (every statement
 * finalized) before venus.db is: sqlite3_close refuses a handle with live
 * statements.
 */
#ifndef VENUS_DB_REINT_H
#define VENUS_DB_REINT_H

#include <stdint.h>
#include <sqlite3.h>
#include "hesper.h"
#include "venus/store/db.h"

/* Open the cache for db (nested opens count; a second db is refused:
 * its calls get fresh statements). */
void db_rc_open(sqlite3 *db);
/* Close it (the outermost close finalizes every cached statement). */
void db_rc_close(void);

/* A statement of SQL text sql (a string that lives as long as venus:
 * the cache keys on its address), ready to bind: cached and reset while
 * a cache is open for db, else freshly prepared.  NULL after a logged
 * SQLite error.  Give it back with db_rc_put. */
sqlite3_stmt *db_rc_sql(sqlite3 *db, const char *sql);
/* db_rc_sql of db_sql[id]. */
sqlite3_stmt *db_rc_get(sqlite3 *db, enum db_stmt id);
/* Done with st: a cached one is reset (bindings cleared), a fresh one
 * finalized.  NULL is ignored. */
void db_rc_put(sqlite3_stmt *st);
/* db_run's twin for a db_rc_get statement: step once, 0 or EIO (logged),
 * then db_rc_put. */
int db_rc_run(sqlite3 *db, sqlite3_stmt *st);

/* Does a live CML row (conflict 0 or 122, quota) name fid as its object
 * or its directory?  1 yes, 0 no (and 0 after a logged SQLite error, as
 * cml_names).  Two searches, one by index cml_obj and one by cml_dir
 * (db_sql.c), where cml_names's one OR query lets the planner pick the
 * volume prefix only and scan the volume's whole CML. */
int db_cml_named(sqlite3 *db, const hs_fid *fid);

#endif /* VENUS_DB_REINT_H */
