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

#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/store/spare.h"
#include "venus/log/cml.h"
#include "venus/log/cml_int.h"

/* A count from the CML; 0 after a logged error (counts are advisory). */
uint64_t cml_u64(struct cml *c, enum db_stmt id, const hs_fid *fid)
{
	uint64_t v;

	return db_u64(V->db, id, fid, &v) ? 0 : v;
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

/* A commit of the batch or of an explicit transaction: the frozen
 * copies (and containers: the settle hook) its DELETEs freed go now. */
static void on_commit(void *arg, int committed)
{
	cml_data_settle(arg, committed);
}

struct cml *cml_init(int *errp)
{
	struct cml *c = NULL;
	int err = mkdir_in_cache("cml");
	uint64_t max = 0;
	unsigned n;

	spare_fini();   /* the pool of this cachedir is read at its first use */
	spare_fill_start();
	if (!err)
		err = mkdir_in_cache("conflicts");
	if (!err && !(c = calloc(1, sizeof *c)))
		err = ENOMEM;
	if (err) {
		*errp = err;
		return NULL;
	}
	/* A block in flight when venus died is sent again (vice knows which
	 * store ids it applied); until then its records stay frozen: vice may
	 * have applied them, so nothing may cancel them (Coda). */
	cml_data_sweep(c);
	/* A store id in the log is never handed out again, even if the
	 * reservation of its block did not reach the disk: vice would take
	 * a new record with it for one already applied. */
	if ((err = db_u64(V->db, DB_CML_MAX_SEQ, NULL, &max))) {
		cml_fini(c);
		*errp = err;
		return NULL;
	}
	if (V->next_seq <= max) {
		vlog(LOG_WARNING, "CML: store ids up to %llu are in the log; continuing after them",
		     (unsigned long long)max);
		V->next_seq = max + 1;
	}
	db_on_commit(V->db, on_commit, c);
	n = cml_count(c);
	if (n)
		vlog(LOG_NOTICE, "CML: %u records pending reintegration (%u in conflict)",
		     n, cml_conflicts(c));
	*errp = 0;
	return c;
}

void cml_fini(struct cml *c)
{
	if (!c)
		return;
	db_on_commit(V->db, NULL, NULL);
	spare_fini();
	free(c->drop);
	free(c);
}

/* Frozen copies queued (c->ndrop) when the outermost level began: a
 * level rolled back forgets those queued after it. */
static size_t drop_mark;

/* A record joins the turn's batch (db.h): it is committed, in the OS's
 * page cache, before the reply that depends on it leaves, so it survives
 * kill -9 of venus without an fsync of its own (issue 11); an fsync(2)
 * of the application (db_sync) makes it survive a power cut.  The
 * SAVEPOINT makes the record and its cancellations one change. */
int cml_begin(struct cml *c)
{
	int err;

	db_batch_open(V->db);
	if ((err = db_exec(V->db, DB_SAVEPOINT)))
		return err;
	if (!c->depth++)
		drop_mark = c->ndrop;
	return 0;
}

/* A failed RELEASE (the commit of the outermost level outside a batch)
 * rolls back, so that no half-made change stays open. */
int cml_commit(struct cml *c, int err)
{
	int outer = c->depth == 1, rc;

	if (err)
		db_exec(V->db, DB_ROLLBACK_TO);
	if ((rc = db_exec(V->db, DB_RELEASE)) && !err) {
		err = rc;
		db_exec(V->db, DB_ROLLBACK_TO);
		db_exec(V->db, DB_RELEASE);
	}
	c->depth--;
	if (outer && err && drop_mark <= c->ndrop)
		c->ndrop = drop_mark;   /* their rows are still there */
	if (outer && !db_in_txn(V->db))
		cml_data_settle(c, !err);
	/* else the batch's (or an explicit transaction's) commit settles
	 * them (db_on_commit, cml_init). */
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

/* The rows a cancellation removes: its SELECT of their stores, its DELETE. */
struct cancel {
	enum db_stmt seqs, del;
};

/* The frozen copies of the store rows c selects go once the DELETE that
 * follows is committed (cml_drop.c). */
static int drop_data(struct cml *c, const struct cancel *k, const hs_fid *fid,
		     uint32_t mask)
{
	sqlite3_stmt *st = db_cached(V->db, k->seqs);
	int rc;

	if (!st)
		return EIO;
	db_bind_fid(st, 1, fid);
	if (k->seqs == DB_CML_BY_SETATTR_SEQS)
		sqlite3_bind_int64(st, 4, mask);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cml_data_drop(c, (uint64_t)sqlite3_column_int64(st, 0));
	db_done(V->db, st);
	return rc == SQLITE_DONE ? 0 : db_step_err(V->db, "cml: stores to cancel");
}

static int delete_where(struct cml *c, const struct cancel *k, const hs_fid *fid,
			uint32_t mask)
{
	sqlite3_stmt *st;
	int err;

	/* One change, so that the copies are unlinked only when the rows
	 * are really gone (committed). */
	if ((err = cml_begin(c)))
		return err;
	err = drop_data(c, k, fid, mask);
	if (!err) {
		if ((st = db_cached(V->db, k->del))) {
			db_bind_fid(st, 1, fid);
			if (k->del == DB_CML_BY_SETATTR_DEL)
				sqlite3_bind_int64(st, 4, mask);
		}
		err = db_run(V->db, st);
	}
	return cml_commit(c, err);
}

static const struct cancel by_store = { DB_CML_BY_STORE_SEQS, DB_CML_BY_STORE_DEL },
	by_setattr = { DB_CML_BY_SETATTR_SEQS, DB_CML_BY_SETATTR_DEL },
	of_obj = { DB_CML_OBJ_SEQS, DB_CML_OBJ_DEL };

/* A store cancels earlier stores and utimes-only setattrs; a setattr
 * cancels earlier setattrs whose fields it sets again (db_sql.c). */
static int cancel_before(struct cml *c, const hs_cml_rec *rec, const hs_fid *obj)
{
	if (rec->op == HS_OP_STORE)
		return delete_where(c, &by_store, obj, 0);
	if (rec->op == HS_OP_SETATTR)
		return delete_where(c, &by_setattr, obj, rec_mask(rec));
	return 0;
}

/* Every record of an object carries the server version its offline
 * changes build on: the base of the object's oldest pending record, or
 * the caller's for the first one (a local fid has none).  Only the first
 * record of an object in a block is checked (reint.c set_bases) and
 * applied records move the rest on (cml_rebase), so a store that cancels
 * the first record, or a chmod left in front of it, never goes unchecked
 * and never overwrites another client's update. */
static int cancel_before_keep_base(struct cml *c, const hs_cml_rec *rec,
				   const hs_fid *obj, uint64_t *base)
{
	uint64_t rows = 0;
	int err = 0;

	if (cml_is_local(obj))
		*base = 0;
	else if (!(err = db_u64(V->db, DB_CML_OBJ_ROWS, obj, &rows)) && rows)
		err = db_u64(V->db, DB_CML_OBJ_BASE, obj, base);
	return err ? err : cancel_before(c, rec, obj);
}

int cml_identity_cancellable(struct cml *c, const hs_fid *fid)
{
	if (!cml_is_local(fid) || cml_u64(c, DB_CML_CREATES, fid) != 1)
		return 0;
	/* Its renames go with it (vice never saw the name they moved); a
	 * link gave it a second name, and records of its children need it. */
	return cml_u64(c, DB_CML_KEEPERS, fid) == 0;
}

int cml_drop_obj(struct cml *c, const hs_fid *fid)
{
	return delete_where(c, &of_obj, fid, 0);
}

/* ---- append ---- */

static int insert(hs_cml_rec *rec, uid_t uid, const hs_fid *obj, const hs_fid *dir,
		  uint64_t ino, uint64_t base, uint64_t size, const char *name)
{
	sqlite3_stmt *st;
	char *buf;
	unsigned len;
	int err = encode(rec, &buf, &len);

	if (err)
		return err;
	st = db_cached(V->db, DB_CML_INSERT);
	if (!st) {
		free(buf);
		return EIO;
	}
	db_bind_fid(st, 1, obj);
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
	sqlite3_bind_int64(st, 15, (sqlite3_int64)uid);
	return db_run(V->db, st);
}

/* A row about to be inserted raises the bounds (even if rolled back). */
static void bounds_grow(struct cml *c, uint64_t size)
{
	c->n_max++;
	c->bytes_max += size;
}

/* The store's frozen copy, written before its row is (both reach the
 * disk together at the next sync: cml_freeze_file). */
static int freeze(const hs_cml_rec *rec, int datafd, uint64_t *size)
{
	char path[4096];
	struct stat st;
	int err;

	*size = 0;
	if (rec->op != HS_OP_STORE)
		return 0;
	cml_data_path(cml_rec_seq(rec), path, sizeof path);
	if ((err = cml_freeze_file(datafd, path)))
		return err;
	if (stat(path, &st) == 0)
		*size = (uint64_t)st.st_size;
	return 0;
}

int cml_append(struct cml *c, uid_t uid, hs_cml_rec *rec, const hs_fid *obj, const hs_fid *dir,
	       uint64_t ino, int datafd, uint64_t base, const char *name)
{
	int err;
	uint64_t size;
	char path[4096];

	if ((err = freeze(rec, datafd, &size))) {
		vlog(LOG_ERR, "CML: cannot freeze the data of record %llu: %s",
		     (unsigned long long)cml_rec_seq(rec), strerror(err));
		return err;
	}
	if ((err = cml_begin(c)))
		return err;
	err = cancel_before_keep_base(c, rec, obj, &base);
	if (!err) {
		bounds_grow(c, size);
		err = insert(rec, uid, obj, dir, ino, base, size, name);
	}
	err = cml_commit(c, err);
	if (err && rec->op == HS_OP_STORE) {
		cml_data_path(cml_rec_seq(rec), path, sizeof path);
		unlink(path);
	}
	return err;
}

/* ---- counts ---- */

unsigned cml_count(struct cml *c)
{
	return (unsigned)cml_u64(c, DB_CML_COUNT, NULL);
}

uint64_t cml_bytes(struct cml *c)
{
	return cml_u64(c, DB_CML_BYTES, NULL);
}

void cml_bounds_reset(struct cml *c, uint64_t *n, uint64_t *bytes)
{
	c->n_max = *n = cml_count(c);
	c->bytes_max = *bytes = cml_bytes(c);
	c->bounds_ok = 1;
}

void cml_bounds(struct cml *c, uint64_t *n, uint64_t *bytes)
{
	if (!c->bounds_ok) {
		cml_bounds_reset(c, n, bytes);
		return;
	}
	*n = c->n_max;
	*bytes = c->bytes_max;
}

unsigned cml_conflicts(struct cml *c)
{
	return (unsigned)cml_u64(c, DB_CML_CONFLICT_OBJS, NULL);
}

unsigned cml_conflict_records(struct cml *c)
{
	return (unsigned)cml_u64(c, DB_CML_CONFLICT_RECS, NULL);
}

int cml_names(struct cml *c, const hs_fid *fid)
{
	return cml_u64(c, DB_CML_NAMES, fid) != 0;
}

unsigned cml_oldest_age(struct cml *c)
{
	uint64_t t = cml_u64(c, DB_CML_OLDEST, NULL);
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
