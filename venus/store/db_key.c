/*
 * db_key.c - the client key (db.h): HS_CLIENT_KEY random bytes kept in
 * venus.db (table client_key, db_sql.c) beside the client id, sent in
 * every HS_CONNECT so vice can tell this client from one that only
 * learned its id (rpc/hesper.x hs_connect_args.client_key).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sqlite3.h>

#include "venus/store/db.h"

/* 1 and out filled, 0 if there is no key yet, or -1. */
static int load(sqlite3 *db, unsigned char *out)
{
	sqlite3_stmt *st = db_st(db, DB_KEY_GET);
	int found = 0, rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == HS_CLIENT_KEY) {
		memcpy(out, sqlite3_column_blob(st, 0), HS_CLIENT_KEY);
		found = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		found = -1;
	}
	sqlite3_finalize(st);
	return found;
}

int db_client_key(sqlite3 *db, unsigned char out[HS_CLIENT_KEY])
{
	unsigned char key[HS_CLIENT_KEY];
	sqlite3_stmt *st;
	int rc = load(db, out);

	if (rc < 0)
		return db_step_err(db, "client key");
	if (rc)
		return 0;
	if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
		return EIO;
	if (!(st = db_st(db, DB_KEY_INIT)))
		return EIO;
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
