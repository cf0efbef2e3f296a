/*
 * vice/pdb.c - the protection database (pdb.h) in SQLite.
 *
 * Tables: ids (every user and group), members (group -> member edges,
 * members may be groups), secrets (users' SCRAM verifiers).  WAL and a
 * busy timeout let vice and pdbtool share the file; nothing is cached
 * here, so a change is seen by the next lookup.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "vice.h"
#include "pdb.h"

struct pdb {
	sqlite3 *db;
};

static const struct {
	int32_t id;
	const char *name;
} sys[] = {
	{ HS_ID_ANYUSER, "System:AnyUser" },
	{ HS_ID_AUTHUSER, "System:AuthUser" },
	{ HS_ID_ADMINS, "System:Administrators" },
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

/* Run one statement with up to two int binds and an optional text bind
 * (text goes to ?1 when given, ints follow).  Calls row(stmt, arg) per
 * result row.  0, or EIO / EEXIST (a constraint). */
static int q(struct pdb *p, const char *sql, const char *text, int nint,
	     const int64_t *ints, void (*row)(sqlite3_stmt *s, void *arg),
	     void *arg)
{
	sqlite3_stmt *s;
	int i, k = 1, rc;

	if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK)
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
static int q_int(struct pdb *p, const char *sql, const char *text, int nint,
		 const int64_t *ints, int64_t *out)
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

int pdb_open(const char *root, struct pdb **out, char *err, size_t errlen)
{
	struct pdb *p = calloc(1, sizeof(*p));
	char *path = NULL;
	unsigned i;
	int fd;

	*out = NULL;
	if (!p || asprintf(&path, "%s/pdb.db", root) < 0) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	/* Create it 0600 ourselves: sqlite would honour the umask.  Made
	 * by root (pdbtool) in a root owned by vice's user, it goes to that
	 * user, or vice could not open it. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		struct stat st;

		if (geteuid() == 0 && stat(root, &st) == 0 && st.st_uid != 0 &&
		    fchown(fd, st.st_uid, st.st_gid))
			snprintf(err, errlen, "%s: chown: %s", path, strerror(errno));
		close(fd);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK ||
	    sqlite3_busy_timeout(p->db, 10000) != SQLITE_OK ||
	    sqlite3_exec(p->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 p->db ? sqlite3_errmsg(p->db) : "cannot open");
		goto fail;
	}
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		int64_t id = sys[i].id;

		if (q(p, "INSERT OR IGNORE INTO ids(name, id) VALUES(?1, ?2)",
		      sys[i].name, 1, &id, NULL, NULL)) {
			snprintf(err, errlen, "%s: %s", path,
				 sqlite3_errmsg(p->db));
			goto fail;
		}
	}
	free(path);
	*out = p;
	return 0;
fail:
	free(path);
	pdb_close(p);
	return EIO;
}

void pdb_close(struct pdb *p)
{
	if (!p)
		return;
	sqlite3_close(p->db);
	free(p);
}

uint64_t pdb_generation(struct pdb *p)
{
	int64_t v = 0;

	/* data_version moves when another connection commits; our own
	 * writes (pdbtool's handle) never need it. */
	if (q_int(p, "PRAGMA data_version", NULL, 0, NULL, &v))
		return 0;
	return (uint64_t)v;
}

int pdb_id_of(struct pdb *p, const char *name, int32_t *id)
{
	int64_t v;
	int rc = q_int(p, "SELECT id FROM ids WHERE name = ?1", name, 0,
		       NULL, &v);

	if (!rc)
		*id = (int32_t)v;
	return rc;
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

int pdb_name_of(struct pdb *p, int32_t id, char *buf, size_t n)
{
	struct textout t = { buf, n, 0 };
	int64_t v = id;
	int rc = q(p, "SELECT name FROM ids WHERE id = ?1", NULL, 1, &v,
		   row_text, &t);

	return rc ? rc : t.found ? 0 : ENOENT;
}

static int cps_has(const struct vident *who, int32_t id)
{
	unsigned i;

	for (i = 0; i < who->ncps; i++)
		if (who->cps[i] == id)
			return 1;
	return 0;
}

static void cps_add(struct vident *who, int32_t id)
{
	if (who->ncps < VIDENT_MAXCPS && !cps_has(who, id))
		who->cps[who->ncps++] = id;
}

struct grow {
	struct vident *who;
};

static void row_cps(sqlite3_stmt *s, void *arg)
{
	struct grow *g = arg;

	cps_add(g->who, (int32_t)sqlite3_column_int64(s, 0));
}

int pdb_cps(struct pdb *p, struct vident *who)
{
	struct grow g = { who };
	unsigned i;
	int rc = 0;

	who->ncps = 0;
	cps_add(who, who->id);
	/* Breadth first over "is a member of": every id added is expanded
	 * once (the list is the visited set), so cycles end, and the list
	 * is bounded by VIDENT_MAXCPS. */
	for (i = 0; i < who->ncps && !rc; i++) {
		int64_t v = who->cps[i];

		rc = q(p, "SELECT gid FROM members WHERE member = ?1"
		       " ORDER BY gid DESC", NULL, 1, &v, row_cps, &g);
	}
	cps_add(who, HS_ID_ANYUSER);
	if (who->authenticated)
		cps_add(who, HS_ID_AUTHUSER);
	/* Reserve room: the system groups must be present even when the
	 * walk filled the list. */
	if (!cps_has(who, HS_ID_ANYUSER))
		who->cps[VIDENT_MAXCPS - 2] = HS_ID_ANYUSER;
	if (who->authenticated && !cps_has(who, HS_ID_AUTHUSER))
		who->cps[VIDENT_MAXCPS - 1] = HS_ID_AUTHUSER;
	who->admin = cps_has(who, HS_ID_ADMINS);
	return rc;
}

/* ---- administration ---- */

int pdb_user_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (!n || n > PDB_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return 0;
	return 1;
}

int pdb_user_add(struct pdb *p, const char *name, int32_t id)
{
	int64_t v = id;

	if (id < 0 || !pdb_user_name_ok(name))
		return EINVAL;
	return q(p, "INSERT INTO ids(name, id) VALUES(?1, ?2)", name, 1, &v,
		 NULL, NULL);
}

int pdb_user_next_id(struct pdb *p, int32_t *id)
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

int pdb_group_add(struct pdb *p, const char *name, int32_t owner,
		  int32_t *id)
{
	char oname[PDB_NAME_MAX + 1];
	const char *colon = strchr(name, ':');
	int64_t v[2];
	int rc;

	if (owner < 0 || !colon || strchr(colon + 1, ':') ||
	    strlen(name) > PDB_NAME_MAX ||
	    !pdb_user_name_ok(colon + 1))
		return EINVAL;
	if ((rc = pdb_name_of(p, owner, oname, sizeof oname)))
		return rc;
	if (strlen(oname) != (size_t)(colon - name) ||
	    strncmp(oname, name, (size_t)(colon - name)))
		return EINVAL;
	if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return EIO;
	rc = q_int(p, "SELECT min(min(id), -205) - 1 FROM ids", NULL, 0, NULL,
		   &v[0]);
	v[1] = owner;
	if (!rc)
		rc = q(p, "INSERT INTO ids(name, id, owner) VALUES(?1, ?2, ?3)",
		       name, 2, v, NULL, NULL);
	if (rc || sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL)) {
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
		return rc ? rc : EIO;
	}
	*id = (int32_t)v[0];
	return 0;
}

static int exists(struct pdb *p, int32_t id)
{
	int64_t v = id, out;

	return q_int(p, "SELECT id FROM ids WHERE id = ?1", NULL, 1, &v, &out);
}

int pdb_member_add(struct pdb *p, int32_t gid, int32_t member)
{
	int64_t v[2] = { gid, member };
	int rc;

	if (gid >= 0 || gid == member || gid == HS_ID_ANYUSER ||
	    gid == HS_ID_AUTHUSER)
		return EINVAL;
	if ((rc = exists(p, gid)) || (rc = exists(p, member)))
		return rc;
	return q(p, "INSERT INTO members(gid, member) VALUES(?1, ?2)", NULL, 2,
		 v, NULL, NULL);
}

int pdb_member_del(struct pdb *p, int32_t gid, int32_t member)
{
	int64_t v[2] = { gid, member };
	int rc = q(p, "DELETE FROM members WHERE gid = ?1 AND member = ?2",
		   NULL, 2, v, NULL, NULL);

	if (rc)
		return rc;
	return sqlite3_changes(p->db) ? 0 : ENOENT;
}

int pdb_delete(struct pdb *p, int32_t id)
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

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (sys[i].id == id)
			return EPERM;
	if ((rc = exists(p, id)))
		return rc;
	if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return EIO;
	for (i = 0; i < sizeof(del) / sizeof(del[0]) && !rc; i++)
		rc = q(p, del[i], NULL, 1, &v, NULL, NULL);
	if (rc || sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL)) {
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
		return rc ? rc : EIO;
	}
	return 0;
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

int pdb_each(struct pdb *p, int (*fn)(const struct pdb_entry *e, void *arg),
	     void *arg)
{
	struct each e = { fn, arg, 0 };
	int rc = q(p, ENTRY_SQL " ORDER BY i.id < 0, abs(i.id)", NULL, 0, NULL,
		   row_entry, &e);

	return rc ? rc : e.stop;
}

static int copy_entry(const struct pdb_entry *e, void *arg)
{
	*(struct pdb_entry *)arg = *e;
	return 1;
}

int pdb_get(struct pdb *p, int32_t id, struct pdb_entry *out)
{
	struct each e = { copy_entry, out, 0 };
	int64_t v = id;
	int rc = q(p, ENTRY_SQL " WHERE i.id = ?1", NULL, 1, &v, row_entry, &e);

	return rc ? rc : e.stop ? 0 : ENOENT;
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

int pdb_related(struct pdb *p, int32_t id, char kind, int32_t *out,
		unsigned max, unsigned *n)
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

int pdb_secret_set(struct pdb *p, int32_t id, const char *secret)
{
	int64_t v = id;
	int rc;

	if (id < 0 || strlen(secret) > PDB_SECRET_MAX)
		return EINVAL;
	if ((rc = exists(p, id)))
		return rc;
	return q(p, "INSERT OR REPLACE INTO secrets(secret, id) VALUES(?1, ?2)",
		 secret, 1, &v, NULL, NULL);
}

int pdb_secret_get(struct pdb *p, int32_t id, char *buf, size_t n)
{
	struct textout t = { buf, n, 0 };
	int64_t v = id;
	int rc = q(p, "SELECT secret FROM secrets WHERE id = ?1", NULL, 1, &v,
		   row_text, &t);

	return rc ? rc : t.found ? 0 : ENOENT;
}
