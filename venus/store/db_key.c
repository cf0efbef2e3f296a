/*
 * db_key.c - the client key (db.h): HS_CLIENT_KEY random bytes kept in
 * venus.db beside the client id, sent in every HS_CONNECT so vice can
 * tell this client from one that only learned its id (rpc/hesper.x
 * hs_connect_args.client_key).  Its own table, so older venus.db files
 * gain it without a migration of meta.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sqlite3.h>

#include "venus/store/db.h"

static int load(sqlite3 *db, unsigned char *out)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT key FROM client_key WHERE id = 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == HS_CLIENT_KEY) {
		memcpy(out, sqlite3_column_blob(st, 0), HS_CLIENT_KEY);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int db_client_key(sqlite3 *db, unsigned char out[HS_CLIENT_KEY])
{
	unsigned char key[HS_CLIENT_KEY];
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS client_key("
			 "id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return db_step_err(db, "client_key");
	rc = load(db, out);
	if (rc < 0)
		return db_step_err(db, "client_key");
	if (rc)
		return 0;
	if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
		return EIO;
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO client_key(id, key)"
			       " VALUES (1, ?1)", -1, &st, NULL) != SQLITE_OK)
		return db_step_err(db, "client_key");
	sqlite3_bind_blob(st, 1, key, sizeof key, SQLITE_TRANSIENT);
	/* Durable before vice first sees it: vice binds the id to it. */
	if ((rc = db_durable(db, 1))) {
		sqlite3_finalize(st);
		return rc;
	}
	rc = db_run(db, st);
	if (db_durable(db, 0) && !rc)
		rc = EIO;
	if (rc)
		return rc;
	return load(db, out) == 1 ? 0 : EIO;
}
