/*
 * cml.c - the client modification log in venus.db (cml.h): schema,
 * append with cancellation, durability, counts.  Reading rows back for
 * reintegration and repair is in cml_read.c; frozen copies in
 * cml_data.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "venus/venus.h"
#include "venus/db.h"
#include "venus/cml.h"
#include "venus/cml_int.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS cml(seq INTEGER PRIMARY KEY,"
	" op INTEGER NOT NULL, vol INTEGER NOT NULL, vnode INTEGER NOT NULL,"
	" uniq INTEGER NOT NULL, dvnode INTEGER NOT NULL, duniq INTEGER NOT NULL,"
	" ino INTEGER NOT NULL, base INTEGER NOT NULL, size INTEGER NOT NULL,"
	" mask INTEGER NOT NULL, frozen INTEGER NOT NULL DEFAULT 0,"
	" conflict INTEGER NOT NULL DEFAULT 0, logged INTEGER NOT NULL,"
	" name TEXT, rec BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS cml_obj ON cml(vol, vnode, uniq);";

int cml_exec(const char *sql)
{
	char *msg = NULL;

	int rc = sqlite3_exec(V->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		vlog(LOG_ERR, "venus.db: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return cml_sqlerr(rc);
	}
	return 0;
}

int cml_sqlerr(int rc)
{
	return (rc & 0xff) == SQLITE_FULL ? ENOSPC : EIO;
}

sqlite3_stmt *cml_prep(const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(V->db, sql, -1, &st, NULL) != SQLITE_OK) {
		vlog(LOG_ERR, "venus.db: %s: %s", sql, sqlite3_errmsg(V->db));
		return NULL;
	}
	return st;
}

int cml_run(sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		vlog(LOG_ERR, "venus.db: cml: %s", sqlite3_errmsg(V->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : cml_sqlerr(rc);
}

/* A single integer from a query with up to three fid columns bound. */
uint64_t cml_query_u64(const char *sql, const hs_fid *fid)
{
	sqlite3_stmt *st = cml_prep(sql);
	uint64_t v = 0;

	if (!st)
		return 0;
	if (fid)
		cml_bind_fid(st, 1, fid);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void cml_bind_fid(sqlite3_stmt *st, int i, const hs_fid *f)
{
	sqlite3_bind_int64(st, i, f->volume);
	sqlite3_bind_int64(st, i + 1, f->vnode);
	sqlite3_bind_int64(st, i + 2, f->unique);
}

static int mkdir_in_cache(const char *sub)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", V->cfg.cachedir, sub);
	if (mkdir(path, 0700) && errno != EEXIST) {
		vlog(LOG_ERR, "%s: %s", path, strerror(errno));
		return errno;
	}
	return 0;
}

int cml_init(void)
{
	int err = cml_exec(schema);
	unsigned n;

	if (!err)
		err = mkdir_in_cache("cml");
	if (!err)
		err = mkdir_in_cache("conflicts");
	if (err)
		return err;
	/* A block in flight when venus died is sent again (vice knows which
	 * store ids it applied); until then its records stay frozen: vice may
	 * have applied them, so nothing may cancel them (Coda). */
	cml_data_sweep();
	/* A store id in the log is never handed out again, even if the
	 * reservation of its block did not reach the disk: vice would take
	 * a new record with it for one already applied. */
	if (V->next_seq <= cml_max_seq()) {
		vlog(LOG_WARNING, "CML: store ids up to %llu are in the log; continuing after them",
		     (unsigned long long)cml_max_seq());
		V->next_seq = cml_max_seq() + 1;
	}
	n = cml_count();
	if (n)
		vlog(LOG_NOTICE, "CML: %u records pending reintegration (%u in conflict)",
		     n, cml_conflicts());
	return 0;
}

void cml_fini(void)
{
}

/* Nesting depth of cml_begin; the outermost level owns the transaction. */
static unsigned depth;

/* synchronous can only change outside a transaction: FULL is set before
 * the outermost SAVEPOINT so that its RELEASE (the commit) is fsynced
 * before the caller replies. */
int cml_begin(void)
{
	int err;

	if (!depth && sqlite3_get_autocommit(V->db))
		db_durable(V->db, 1);
	if ((err = cml_exec("SAVEPOINT cml")))
		return err;
	depth++;
	return 0;
}

int cml_commit(int err)
{
	int outer = depth == 1, rc;

	if (err)
		cml_exec("ROLLBACK TO cml");
	if ((rc = cml_exec("RELEASE cml")) && !err) {
		err = rc;
		cml_exec("ROLLBACK TO cml");
		cml_exec("RELEASE cml");
	}
	depth--;
	if (outer && sqlite3_get_autocommit(V->db)) {
		db_durable(V->db, 0);
		cml_data_settle(!err);
	}
	return err;
}

/* ---- encoding ---- */

static int encode(hs_cml_rec *rec, char **buf, unsigned *len)
{
	u_long n = xdr_sizeof((xdrproc_t)xdr_hs_cml_rec, rec);
	XDR x;
	int ok;

	if (!(*buf = malloc(n ? n : 1)))
		return ENOMEM;
	xdrmem_create(&x, *buf, (u_int)n, XDR_ENCODE);
	ok = xdr_hs_cml_rec(&x, rec);
	*len = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok) {
		free(*buf);
		return EINVAL;
	}
	return 0;
}

/* ---- cancellation ---- */

static uint32_t rec_mask(const hs_cml_rec *rec)
{
	return rec->op == HS_OP_SETATTR ? rec->hs_cml_rec_u.setattr.mask : 0;
}

/* The frozen copies of the store rows a WHERE selects go once the DELETE
 * that follows is committed (cml_drop.c). */
static void drop_data(const char *where, const hs_fid *fid, uint32_t mask)
{
	char sql[512];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "SELECT seq FROM cml WHERE op = %d AND %s", HS_OP_STORE, where);
	if (!(st = cml_prep(sql)))
		return;
	cml_bind_fid(st, 1, fid);
	if (strstr(where, "?4"))
		sqlite3_bind_int64(st, 4, mask);
	while (sqlite3_step(st) == SQLITE_ROW)
		cml_data_drop((uint64_t)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
}

static int delete_where(const char *where, const hs_fid *fid, uint32_t mask)
{
	char sql[512];
	sqlite3_stmt *st;
	int own = sqlite3_get_autocommit(V->db), err;

	/* One transaction, so that the copies are unlinked only when the
	 * rows are really gone. */
	if (own && (err = cml_begin()))
		return err;
	drop_data(where, fid, mask);
	snprintf(sql, sizeof sql, "DELETE FROM cml WHERE %s", where);
	if (!(st = cml_prep(sql)))
		err = EIO;
	else {
		cml_bind_fid(st, 1, fid);
		if (strstr(where, "?4"))
			sqlite3_bind_int64(st, 4, mask);
		err = cml_run(st);
	}
	return own ? cml_commit(err) : err;
}

#define SAME_OBJ "vol = ?1 AND vnode = ?2 AND uniq = ?3 AND frozen = 0 AND conflict = 0"

/* A store cancels earlier stores and utimes-only setattrs; a setattr
 * cancels earlier setattrs whose fields it sets again. */
static int cancel_before(const hs_cml_rec *rec, const hs_fid *obj)
{
	char where[256];

	if (rec->op == HS_OP_STORE) {
		snprintf(where, sizeof where, SAME_OBJ " AND (op = %d OR (op = %d AND"
			 " (mask & ~%d) = 0))", HS_OP_STORE, HS_OP_SETATTR,
			 HS_SET_ATIME | HS_SET_MTIME);
		return delete_where(where, obj, 0);
	}
	if (rec->op == HS_OP_SETATTR) {
		snprintf(where, sizeof where, SAME_OBJ " AND op = %d AND (mask & ~?4) = 0",
			 HS_OP_SETATTR);
		return delete_where(where, obj, rec_mask(rec));
	}
	return 0;
}

/* Every record of an object carries the server version its offline
 * changes build on: the base of the object's oldest pending record, or
 * the caller's for the first one (a local fid has none).  Only the first
 * record of an object in a block is checked (reint.c set_bases) and
 * applied records move the rest on (cml_rebase), so a store that cancels
 * the first record, or a chmod left in front of it, never goes unchecked
 * and never overwrites another client's update. */
static int cancel_before_keep_base(const hs_cml_rec *rec, const hs_fid *obj,
				   uint64_t *base)
{
	const char *rows = "SELECT COUNT(*) FROM cml WHERE vol = ?1 AND vnode = ?2 AND"
			   " uniq = ?3 AND conflict = 0";
	const char *first = "SELECT base FROM cml WHERE vol = ?1 AND vnode = ?2 AND"
			    " uniq = ?3 AND conflict = 0 ORDER BY seq LIMIT 1";

	if (cml_is_local(obj))
		*base = 0;
	else if (cml_query_u64(rows, obj))
		*base = cml_query_u64(first, obj);
	return cancel_before(rec, obj);
}

int cml_identity_cancellable(const hs_fid *fid)
{
	char sql[256];

	if (!cml_is_local(fid))
		return 0;
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM cml WHERE vol = ?1 AND vnode = ?2 AND"
		 " uniq = ?3 AND (op IN (%d, %d, %d, %d) AND frozen = 0 AND conflict = 0)",
		 HS_OP_CREATE, HS_OP_MKDIR, HS_OP_SYMLINK, HS_OP_MKNOD);
	if (cml_query_u64(sql, fid) != 1)
		return 0;
	/* Its renames go with it (vice never saw the name they moved); a
	 * link gave it a second name, and records of its children need it. */
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM cml WHERE (vol = ?1 AND vnode = ?2 AND"
		 " uniq = ?3 AND (op = %d OR frozen OR conflict)) OR"
		 " (vol = ?1 AND dvnode = ?2 AND duniq = ?3)", HS_OP_LINK);
	return cml_query_u64(sql, fid) == 0;
}

int cml_drop_obj(const hs_fid *fid)
{
	return delete_where("vol = ?1 AND vnode = ?2 AND uniq = ?3", fid, 0);
}

/* ---- append ---- */

static int insert(hs_cml_rec *rec, const hs_fid *obj, const hs_fid *dir, uint64_t ino,
		  uint64_t base, uint64_t size, const char *name)
{
	sqlite3_stmt *st;
	char *buf;
	unsigned len;
	int err = encode(rec, &buf, &len);

	if (err)
		return err;
	st = cml_prep("INSERT INTO cml(seq, op, vol, vnode, uniq, dvnode, duniq, ino, base,"
		      " size, mask, logged, name, rec) VALUES (?4, ?5, ?1, ?2, ?3, ?6, ?7, ?8,"
		      " ?9, ?10, ?11, ?12, ?13, ?14)");
	if (!st) {
		free(buf);
		return EIO;
	}
	cml_bind_fid(st, 1, obj);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)cml_rec_seq(rec));
	sqlite3_bind_int(st, 5, rec->op);
	sqlite3_bind_int64(st, 6, dir ? dir->vnode : 0);
	sqlite3_bind_int64(st, 7, dir ? dir->unique : 0);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)ino);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)base);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 11, rec_mask(rec));
	sqlite3_bind_int64(st, 12, (sqlite3_int64)time(NULL));
	if (name)
		sqlite3_bind_text(st, 13, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 14, buf, (int)len, free);
	return cml_run(st);
}

/* The store's frozen copy, durable before its row is. */
static int freeze(const hs_cml_rec *rec, int datafd, uint64_t *size)
{
	char path[4096];
	struct stat st;
	int err;

	*size = 0;
	if (rec->op != HS_OP_STORE)
		return 0;
	cml_data_path(cml_rec_seq(rec), path, sizeof path);
	if ((err = cml_copy_file(datafd, path)))
		return err;
	if (stat(path, &st) == 0)
		*size = (uint64_t)st.st_size;
	return 0;
}

int cml_append(hs_cml_rec *rec, const hs_fid *obj, const hs_fid *dir, uint64_t ino,
	       int datafd, uint64_t base, const char *name)
{
	int own = sqlite3_get_autocommit(V->db), err;
	uint64_t size;
	char path[4096];

	if ((err = freeze(rec, datafd, &size))) {
		vlog(LOG_ERR, "CML: cannot freeze the data of record %llu: %s",
		     (unsigned long long)cml_rec_seq(rec), strerror(err));
		return err;
	}
	if (own && (err = cml_begin()))
		return err;
	err = cancel_before_keep_base(rec, obj, &base);
	if (!err)
		err = insert(rec, obj, dir, ino, base, size, name);
	if (own)
		err = cml_commit(err);
	if (err && rec->op == HS_OP_STORE) {
		cml_data_path(cml_rec_seq(rec), path, sizeof path);
		unlink(path);
	}
	return err;
}

/* ---- counts ---- */

unsigned cml_count(void)
{
	return (unsigned)cml_query_u64("SELECT COUNT(*) FROM cml", NULL);
}

uint64_t cml_bytes(void)
{
	return cml_query_u64("SELECT COALESCE(SUM(size), 0) FROM cml", NULL);
}

unsigned cml_conflicts(void)
{
	return (unsigned)cml_query_u64("SELECT COUNT(DISTINCT ino) FROM cml WHERE conflict != 0",
				       NULL);
}

int cml_names(const hs_fid *fid)
{
	return cml_query_u64("SELECT COUNT(*) FROM cml WHERE vol = ?1 AND conflict = 0 AND"
			     " ((vnode = ?2 AND uniq = ?3) OR (dvnode = ?2 AND duniq = ?3))",
			     fid) != 0;
}

unsigned cml_oldest_age(void)
{
	uint64_t t = cml_query_u64("SELECT COALESCE(MIN(logged), 0) FROM cml WHERE conflict = 0",
				   NULL);
	time_t now = time(NULL);

	return t && (uint64_t)now > t ? (unsigned)((uint64_t)now - t) : 0;
}

void cml_local_fid(uint32_t volume, uint64_t seq, hs_fid *out)
{
	out->volume = volume;
	out->vnode = HS_LOCAL_VNODE | (uint32_t)(seq & 0x7fffffff);
	out->unique = (uint32_t)(seq >> 31) + 1;
}

int cml_is_local(const hs_fid *fid)
{
	return (fid->vnode & HS_LOCAL_VNODE) != 0;
}
