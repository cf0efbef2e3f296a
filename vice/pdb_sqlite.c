/*
 * vice/pdb_sqlite.c - the protection database's records in SQLite at
 * <root>/pdb.db (pdb_store.h), the backend of a one-server realm.
 *
 * Tables: ids (every user and group), members (group -> member edges,
 * members may be groups), secrets (users' SCRAM verifiers).  WAL and a
 * busy timeout let vice and pdbtool
 * share the file; nothing is cached here, so a change is seen by the next
 * lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "vice.h"
#include "pdb_store.h"

struct sq {
	struct pdb_store base;
	sqlite3 *db;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS ids(id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE, owner INTEGER);"
	"CREATE TABLE IF NOT EXISTS members(gid INTEGER NOT NULL,"
	" member INTEGER NOT NULL, PRIMARY KEY(gid, member));"
	"CREATE INDEX IF NOT EXISTS members_by_member ON members(member);"
	"CREATE TABLE IF NOT EXISTS secrets(id INTEGER PRIMARY KEY,"
	" secret TEXT NOT NULL);";

static sqlite3 *DB(struct pdb_store *s)
{
	return ((struct sq *)s)->db;
}

/* Run one statement with up to three int binds and an optional text bind
 * (text goes to ?1 when given, ints follow).  Calls row(stmt, arg) per
 * result row.  0, or EIO / EEXIST (a constraint). */
static int q(struct pdb_store *p, const char *sql, const char *text,
	     int nint, const int64_t *ints,
	     void (*row)(sqlite3_stmt *s, void *arg), void *arg)
{
	sqlite3_stmt *s;
	int i, k = 1, rc;

	if (sqlite3_prepare_v2(DB(p), sql, -1, &s, NULL) != SQLITE_OK)
		return EIO;
	if (text)
		sqlite3_bind_text(s, k++, text, -1, SQLITE_STATIC);
	for (i = 0; i < nint; i++)
		sqlite3_bind_int64(s, k++, ints[i]);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row)
			row(s, arg);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? EEXIST : EIO;
}

static void row_int(sqlite3_stmt *s, void *arg)
{
	int64_t *v = arg;

	v[0] = sqlite3_column_int64(s, 0);
	v[1] = 1;
}

/* One integer result: 0 and *out, ENOENT, or EIO. */
static int q_int(struct pdb_store *p, const char *sql, const char *text,
		 int nint, const int64_t *ints, int64_t *out)
{
	int64_t v[2] = { 0, 0 };
	int rc = q(p, sql, text, nint, ints, row_int, v);

	if (rc)
		return rc;
	if (!v[1])
		return ENOENT;
	*out = v[0];
	return 0;
}

static int begin(struct pdb_store *p)
{
	return sqlite3_exec(DB(p), "BEGIN IMMEDIATE", NULL, NULL, NULL) ?
	       EIO : 0;
}

/* Commit if rc is 0, else roll back; rc or EIO. */
static int end(struct pdb_store *p, int rc)
{
	if (rc || sqlite3_exec(DB(p), "COMMIT", NULL, NULL, NULL)) {
		sqlite3_exec(DB(p), "ROLLBACK", NULL, NULL, NULL);
		return rc ? rc : EIO;
	}
	return 0;
}

static void sq_close(struct pdb_store *p)
{
	sqlite3_close(DB(p));
	free(p);
}

static uint64_t sq_generation(struct pdb_store *p)
{
	int64_t v = 0;

	/* data_version moves when another connection commits; our own
	 * writes (pdbtool's handle) never need it. */
	if (q_int(p, "PRAGMA data_version", NULL, 0, NULL, &v))
		return 0;
	return (uint64_t)v;
}

struct each {
	int (*fn)(const struct pdb_entry *e, void *arg);
	void *arg;
	int stop;
};

static void row_entry(sqlite3_stmt *s, void *arg)
{
	struct each *e = arg;
	struct pdb_entry ent = { 0 };
	const unsigned char *name = sqlite3_column_text(s, 1);

	if (e->stop)
		return;
	ent.id = (int32_t)sqlite3_column_int64(s, 0);
	snprintf(ent.name, sizeof ent.name, "%s", name ? (const char *)name : "");
	ent.owner = (int32_t)sqlite3_column_int64(s, 2);
	ent.has_secret = sqlite3_column_int(s, 3);
	e->stop = e->fn(&ent, e->arg);
}

#define ENTRY_SQL "SELECT i.id, i.name, i.owner," \
	" EXISTS(SELECT 1 FROM secrets s WHERE s.id = i.id) FROM ids i"

static int copy_entry(const struct pdb_entry *e, void *arg)
{
	*(struct pdb_entry *)arg = *e;
	return 1;
}

static int sq_by_name(struct pdb_store *p, const char *name,
		      struct pdb_entry *out)
{
	struct each e = { copy_entry, out, 0 };
	int rc = q(p, ENTRY_SQL " WHERE i.name = ?1", name, 0, NULL,
		   row_entry, &e);

	return rc ? rc : e.stop ? 0 : ENOENT;
}

static int sq_by_id(struct pdb_store *p, int32_t id, struct pdb_entry *out)
{
	struct each e = { copy_entry, out, 0 };
	int64_t v = id;
	int rc = q(p, ENTRY_SQL " WHERE i.id = ?1", NULL, 1, &v, row_entry, &e);

	return rc ? rc : e.stop ? 0 : ENOENT;
}

static int sq_each(struct pdb_store *p,
		   int (*fn)(const struct pdb_entry *e, void *arg), void *arg)
{
	struct each e = { fn, arg, 0 };
	int rc = q(p, ENTRY_SQL " ORDER BY i.id < 0, abs(i.id)", NULL, 0, NULL,
		   row_entry, &e);

	return rc ? rc : e.stop;
}

struct related {
	int32_t *out;
	unsigned max, n;
};

static void row_related(sqlite3_stmt *s, void *arg)
{
	struct related *r = arg;

	if (r->n < r->max)
		r->out[r->n] = (int32_t)sqlite3_column_int64(s, 0);
	r->n++;
}

static int sq_related(struct pdb_store *p, int32_t id, char kind,
		      int32_t *out, unsigned max, unsigned *n)
{
	struct related r = { out, max, 0 };
	const char *sql;
	int64_t v = id;
	int rc;

	switch (kind) {
	case 'm': sql = "SELECT member FROM members WHERE gid = ?1"
		  " ORDER BY member"; break;
	case 'g': sql = "SELECT gid FROM members WHERE member = ?1"
		  " ORDER BY gid DESC"; break;
	case 'o': sql = "SELECT id FROM ids WHERE owner = ?1 AND id < 0"
		  " ORDER BY id DESC"; break;
	default: return EINVAL;
	}
	rc = q(p, sql, NULL, 1, &v, row_related, &r);
	*n = r.n;
	return rc;
}

static int sq_seed(struct pdb_store *p, const char *name, int32_t id)
{
	int64_t v = id;

	return q(p, "INSERT OR IGNORE INTO ids(name, id) VALUES(?1, ?2)",
		 name, 1, &v, NULL, NULL);
}

static int sq_user_next_id(struct pdb_store *p, int32_t *id);

static int sq_user_add(struct pdb_store *p, const char *name, int32_t *id)
{
	int64_t v;
	int rc;

	if ((rc = begin(p)))
		return rc;
	if (*id == PDB_NEXT_ID)
		rc = sq_user_next_id(p, id);
	v = *id;
	if (!rc)
		rc = q(p, "INSERT INTO ids(name, id) VALUES(?1, ?2)", name, 1,
		       &v, NULL, NULL);
	return end(p, rc);
}

static int sq_user_next_id(struct pdb_store *p, int32_t *id)
{
	int64_t v;
	int rc = q_int(p, "SELECT coalesce(max(id), 0) + 1 FROM ids"
		       " WHERE id >= 0", NULL, 0, NULL, &v);

	if (rc)
		return rc;
	if (v > INT32_MAX || v < 1)
		return ENOSPC;
	*id = (int32_t)v;
	return 0;
}

static int sq_group_add(struct pdb_store *p, const char *name, int32_t owner,
			int32_t *id)
{
	int64_t v[2];
	int rc;

	if ((rc = begin(p)))
		return rc;
	rc = q_int(p, "SELECT min(min(id), -205) - 1 FROM ids", NULL, 0, NULL,
		   &v[0]);
	v[1] = owner;
	if (!rc)
		rc = q(p, "INSERT INTO ids(name, id, owner) VALUES(?1, ?2, ?3)",
		       name, 2, v, NULL, NULL);
	if ((rc = end(p, rc)))
		return rc;
	*id = (int32_t)v[0];
	return 0;
}

static int exists(struct pdb_store *p, int32_t id)
{
	int64_t v = id, out;

	return q_int(p, "SELECT id FROM ids WHERE id = ?1", NULL, 1, &v, &out);
}

static int sq_member_add(struct pdb_store *p, int32_t gid, int32_t member)
{
	int64_t v[2] = { gid, member };
	int rc;

	if ((rc = begin(p)))
		return rc;
	if (!(rc = exists(p, gid)) && !(rc = exists(p, member)))
		rc = q(p, "INSERT INTO members(gid, member) VALUES(?1, ?2)",
		       NULL, 2, v, NULL, NULL);
	return end(p, rc);
}

static int sq_member_del(struct pdb_store *p, int32_t gid, int32_t member)
{
	int64_t v[2] = { gid, member };
	int rc = q(p, "DELETE FROM members WHERE gid = ?1 AND member = ?2",
		   NULL, 2, v, NULL, NULL);

	if (rc)
		return rc;
	return sqlite3_changes(DB(p)) ? 0 : ENOENT;
}

static int sq_del(struct pdb_store *p, int32_t id)
{
	static const char *const del[] = {
		"DELETE FROM members WHERE gid IN"
		" (SELECT id FROM ids WHERE owner = ?1 AND id < 0)"
		" OR member IN (SELECT id FROM ids WHERE owner = ?1 AND id < 0)",
		"DELETE FROM ids WHERE owner = ?1 AND id < 0",
		"DELETE FROM members WHERE gid = ?1 OR member = ?1",
		"DELETE FROM secrets WHERE id = ?1",
		"DELETE FROM ids WHERE id = ?1",
	};
	int64_t v = id;
	unsigned i;
	int rc;

	if ((rc = begin(p)))
		return rc;
	rc = exists(p, id);
	for (i = 0; i < sizeof(del) / sizeof(del[0]) && !rc; i++)
		rc = q(p, del[i], NULL, 1, &v, NULL, NULL);
	return end(p, rc);
}

static int sq_secret_set(struct pdb_store *p, int32_t id, const char *secret)
{
	int64_t v = id;
	int rc;

	if ((rc = begin(p)))
		return rc;
	if (!(rc = exists(p, id)))
		rc = q(p, "INSERT OR REPLACE INTO secrets(secret, id)"
		       " VALUES(?1, ?2)", secret, 1, &v, NULL, NULL);
	return end(p, rc);
}

struct textout {
	char *buf;
	size_t n;
	int found;
};

static void row_text(sqlite3_stmt *s, void *arg)
{
	struct textout *t = arg;
	const unsigned char *v = sqlite3_column_text(s, 0);

	snprintf(t->buf, t->n, "%s", v ? (const char *)v : "");
	t->found = 1;
}

static int sq_secret_get(struct pdb_store *p, int32_t id, char *buf, size_t n)
{
	struct textout t = { buf, n, 0 };
	int64_t v = id;
	int rc = q(p, "SELECT secret FROM secrets WHERE id = ?1", NULL, 1, &v,
		   row_text, &t);

	return rc ? rc : t.found ? 0 : ENOENT;
}

static const struct pdb_store_ops sq_ops = {
	sq_close, sq_generation, sq_by_name, sq_by_id, sq_each, sq_related,
	sq_seed, sq_user_add, sq_user_next_id, sq_group_add, sq_member_add,
	sq_member_del, sq_del, sq_secret_set, sq_secret_get,
};

/* Create path 0600 ourselves: sqlite would honour the umask.  Made by
 * root (pdbtool) in a root owned by vice's user, it goes to that user,
 * or vice could not open it.  0 or -1 and err. */
static int make_file(const char *root, const char *path, char *err,
		     size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0) {
		struct stat st;

		if (geteuid() == 0 && stat(root, &st) == 0 && st.st_uid != 0 &&
		    fchown(fd, st.st_uid, st.st_gid))
			snprintf(err, errlen, "%s: chown: %s", path, strerror(errno));
		close(fd);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int pdb_sqlite_open(const char *root, struct pdb_store **out, char *err,
		    size_t errlen)
{
	struct sq *p = calloc(1, sizeof(*p));
	char *path = NULL;

	*out = NULL;
	if (!p || asprintf(&path, "%s/pdb.db", root) < 0) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	p->base.ops = &sq_ops;
	if (make_file(root, path, err, errlen))
		goto fail;
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK ||
	    sqlite3_busy_timeout(p->db, 10000) != SQLITE_OK ||
	    sqlite3_exec(p->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 p->db ? sqlite3_errmsg(p->db) : "cannot open");
		goto fail;
	}
	free(path);
	*out = &p->base;
	return 0;
fail:
	free(path);
	sq_close(&p->base);
	return EIO;
}
