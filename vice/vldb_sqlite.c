/*
 * vice/vldb_sqlite.c - the VLDB of a realm of one server: <root>/vldb.db.
 *
 * Every entry is this server's (lookups answer with its published
 * address), so the table keeps just ids and names; a row with a NULL name
 * is an id handed out by next_id and not yet published.  meta.next_volid
 * only grows, so a removed volume's id is never handed out again (venus
 * may still cache fids of it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "vice.h"
#include "vldb_int.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS vldb("
	" id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);";

#define DB(db) ((sqlite3 *)(db)->be_data)

/* Run sql with up to two bound values (i: int64, s: text; NULL s binds
 * NULL); *out gets column 0 of the first row if out (ENOENT: no row). */
static int run(struct vldb *db, const char *sql, int64_t i, const char *s,
	       int64_t *out)
{
	sqlite3_stmt *st;
	int rc, r;

	if (sqlite3_prepare_v2(DB(db), sql, -1, &st, NULL))
		return EIO;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, i);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, s, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? (out ? ENOENT : 0) :
	    rc == SQLITE_CONSTRAINT ? EEXIST : EIO;
	sqlite3_finalize(st);
	return r;
}

static int sq_open(struct vldb *db, const struct vldb_opts *o, char *err,
		   size_t n)
{
	char path[4096];
	sqlite3 *s = NULL;

	snprintf(path, sizeof path, "%s/vldb.db", o->root ? o->root : ".");
	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) ||
	    sqlite3_exec(s, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) ||
	    sqlite3_exec(s, "PRAGMA synchronous=FULL", NULL, NULL, NULL) ||
	    sqlite3_busy_timeout(s, 5000) ||
	    sqlite3_exec(s, schema, NULL, NULL, NULL)) {
		snprintf(err, n, "%s: %s", path, s ? sqlite3_errmsg(s) : "out of memory");
		sqlite3_close(s);
		return EIO;
	}
	db->be_data = s;
	return 0;
}

static void sq_close(struct vldb *db)
{
	sqlite3_close(DB(db));
	db->be_data = NULL;
}

/* One server: its store is the realm's only one, so it makes "root". */
static int sq_want_root(struct vldb *db, int *make)
{
	*make = 1;
	return 0;
}

static int sq_publish(struct vldb *db, uint32_t id, const char *name,
		      int take_over)
{
	int64_t other;
	int r;

	if (!run(db, "SELECT id FROM vldb WHERE name = ?2 AND id != ?1", id,
		 name, &other))
		return EEXIST;
	if ((r = run(db, "INSERT INTO vldb(id, name) VALUES(?1, ?2)"
		     " ON CONFLICT(id) DO UPDATE SET name = excluded.name",
		     id, name, NULL)))
		return r;
	/* Keep the counter past ids given by hand (volutil create -i). */
	return run(db, "INSERT INTO meta(key, value) VALUES('next_volid', ?1 + 1)"
		   " ON CONFLICT(key) DO UPDATE SET value = max(value, ?1 + 1)",
		   id, NULL, NULL);
}

static int sq_unpublish(struct vldb *db, uint32_t id)
{
	return run(db, "DELETE FROM vldb WHERE id = ?1", id, NULL, NULL);
}

/* Drop the rows of volumes the store no longer has. */
static int sq_prune(struct vldb *db, const uint32_t *local, size_t n,
		    uint32_t upto)
{
	sqlite3_stmt *st;
	int64_t gone[64];
	size_t k = 0, i;
	int rc, r = 0;

	do {
		if (sqlite3_prepare_v2(DB(db), "SELECT id FROM vldb WHERE id <= ?1"
				       " ORDER BY id", -1, &st, NULL))
			return EIO;
		sqlite3_bind_int64(st, 1, upto);
		for (k = 0; k < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW; )
			if (!vldb_id_in((uint32_t)sqlite3_column_int64(st, 0),
					local, n))
				gone[k++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		for (i = 0; i < k && !r; i++)
			r = sq_unpublish(db, (uint32_t)gone[i]);
	} while (!r && k == 64);
	return r;
}

static int sq_next_id(struct vldb *db, uint32_t *id)
{
	int64_t next = 0, top = 0;
	int r;

	if ((r = run(db, "SELECT value FROM meta WHERE key = 'next_volid'", 0,
		     NULL, &next)) && r != ENOENT)
		return r;
	if ((r = run(db, "SELECT coalesce(max(id), 0) FROM vldb", 0, NULL, &top)))
		return r;
	if (next <= top)
		next = top + 1;
	if (next < 2)
		next = 2;       /* 1 is "root"'s */
	if (next > HS_VOLID_MAX)
		return ENOSPC;
	if ((r = run(db, "INSERT INTO meta(key, value) VALUES('next_volid', ?1 + 1)"
		     " ON CONFLICT(key) DO UPDATE SET value = ?1 + 1", next,
		     NULL, NULL)) ||
	    (r = run(db, "INSERT INTO vldb(id, name) VALUES(?1, NULL)", next,
		     NULL, NULL)))
		return r;
	*id = (uint32_t)next;
	return 0;
}

static int sq_lookup(struct vldb *db, const hs_vldb_args *a, hs_vldb_entry *out)
{
	sqlite3_stmt *st;
	int rc, r;

	if (sqlite3_prepare_v2(DB(db), a->id ?
			       "SELECT id, name FROM vldb WHERE id = ?1 AND name IS NOT NULL" :
			       "SELECT id, name FROM vldb WHERE name = ?2", -1, &st, NULL))
		return EIO;
	if (a->id)
		sqlite3_bind_int64(st, 1, a->id);
	else
		sqlite3_bind_text(st, 2, a->name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = vldb_entry_fill(db, (uint32_t)sqlite3_column_int64(st, 0),
				    (const char *)sqlite3_column_text(st, 1), out);
	else
		r = rc == SQLITE_DONE ? ENOENT : EIO;
	sqlite3_finalize(st);
	return r;
}

const struct vldb_backend vldb_sqlite_backend = {
	.open = sq_open,
	.want_root = sq_want_root,
	.publish = sq_publish,
	.unpublish = sq_unpublish,
	.prune = sq_prune,
	.next_id = sq_next_id,
	.lookup = sq_lookup,
	.close = sq_close,
};
