/*
 * cml_read.c - reading the CML back: blocks for reintegration, rows for
 * the repair commands, and the updates reintegration makes to rows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/log/cml_int.h"
#include "venus/store/db_reint.h"

/* Rows are read in db_sql.c's CML_COLS order. */

uint64_t cml_rec_seq(const hs_cml_rec *rec)
{
	const typeof(rec->hs_cml_rec_u) *u = &rec->hs_cml_rec_u;

	switch (rec->op) {
	case HS_OP_STORE:   return u->store.sid.seq;
	case HS_OP_SETATTR: return u->setattr.sid.seq;
	case HS_OP_CREATE:  return u->create.a.sid.seq;
	case HS_OP_MKDIR:   return u->mkdir.a.sid.seq;
	case HS_OP_SYMLINK: return u->symlink.a.sid.seq;
	case HS_OP_MKNOD:   return u->mknod.a.sid.seq;
	case HS_OP_LINK:    return u->link.sid.seq;
	case HS_OP_REMOVE:  return u->remove.sid.seq;
	case HS_OP_RMDIR:   return u->rmdir.sid.seq;
	case HS_OP_RENAME:  return u->rename.sid.seq;
	}
	return 0;
}

uint64_t *cml_rec_base(hs_cml_rec *rec)
{
	typeof(rec->hs_cml_rec_u) *u = &rec->hs_cml_rec_u;

	switch (rec->op) {
	case HS_OP_STORE:   return &u->store.base_version;
	case HS_OP_SETATTR: return &u->setattr.base_version;
	case HS_OP_REMOVE:  return &u->remove.base_version;
	case HS_OP_RMDIR:   return &u->rmdir.base_version;
	case HS_OP_RENAME:  return &u->rename.base_version;
	default:            return NULL;
	}
}

static int decode_xdr(const void *blob, int len, hs_cml_rec *rec)
{
	XDR x;
	int ok;

	memset(rec, 0, sizeof *rec);
	xdrmem_create(&x, (char *)blob, (u_int)len, XDR_DECODE);
	ok = xdr_hs_cml_rec(&x, rec);
	xdr_destroy(&x);
	if (!ok)
		xdr_free((xdrproc_t)xdr_hs_cml_rec, (char *)rec);
	return ok ? 0 : EIO;
}

/* Bytes an hs_store_set takes in XDR: four ints and an hs_time. */
#define STORE_SET_XDR (4 * 4 + 12)

/* A store record logged before protocol 6 lacks the trailing
 * hs_store_set: read it as one with none (mask 0), so a CML left by an
 * older venus still reintegrates. */
static int decode(const void *blob, int len, hs_cml_rec *rec)
{
	char *pad;
	uint32_t op = 0;
	int err = decode_xdr(blob, len, rec);

	if (!err || len < 4)
		return err;
	memcpy(&op, blob, sizeof op);
	if (ntohl(op) != HS_OP_STORE || !(pad = calloc(1, (size_t)len + STORE_SET_XDR)))
		return err;
	memcpy(pad, blob, (size_t)len);
	err = decode_xdr(pad, len + STORE_SET_XDR, rec);
	free(pad);
	return err;
}

int cml_row_read(sqlite3_stmt *st, struct cml_row *r)
{
	const char *name = (const char *)sqlite3_column_text(st, 12);

	memset(r, 0, sizeof *r);
	r->seq = (uint64_t)sqlite3_column_int64(st, 0);
	r->op = sqlite3_column_int(st, 1);
	r->obj.volume = r->dir.volume = (uint32_t)sqlite3_column_int64(st, 2);
	r->obj.vnode = (uint32_t)sqlite3_column_int64(st, 3);
	r->obj.unique = (uint32_t)sqlite3_column_int64(st, 4);
	r->dir.vnode = (uint32_t)sqlite3_column_int64(st, 5);
	r->dir.unique = (uint32_t)sqlite3_column_int64(st, 6);
	r->ino = (uint64_t)sqlite3_column_int64(st, 7);
	r->base = (uint64_t)sqlite3_column_int64(st, 8);
	r->size = (uint64_t)sqlite3_column_int64(st, 9);
	r->frozen = sqlite3_column_int(st, 10);
	r->conflict = sqlite3_column_int(st, 11);
	snprintf(r->name, sizeof r->name, "%s", name ? name : "");
	r->uid = (uid_t)sqlite3_column_int64(st, 14);
	if (decode(sqlite3_column_blob(st, 13), sqlite3_column_bytes(st, 13), &r->rec)) {
		vlog(LOG_ERR, "CML: record %llu does not decode", (unsigned long long)r->seq);
		return EIO;
	}
	return 0;
}

void cml_row_free(struct cml_row *r)
{
	xdr_free((xdrproc_t)xdr_hs_cml_rec, (char *)&r->rec);
	memset(&r->rec, 0, sizeof r->rec);
}

/* What rows left waiting touch: their objects and their directories.
 * A later row builds on one of them if it is about a waiting object or
 * directory, or names a waiting object as its directory (a create in a
 * directory made by a waiting record); two creates in one directory are
 * independent.  Bounded: past it the block ends (a later pass goes on). */
#define WAIT_FIDS 256
struct waitset {
	hs_fid   obj[WAIT_FIDS], dir[WAIT_FIDS];
	unsigned nobj, ndir;
};

static int fid_in(const hs_fid *set, unsigned n, const hs_fid *f)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i].volume == f->volume && set[i].vnode == f->vnode &&
		    set[i].unique == f->unique)
			return 1;
	return 0;
}

static int has_dir(const struct cml_row *r)
{
	return r->dir.vnode || r->dir.unique;
}

/* 0, or ENOSPC when the set is full. */
static int ws_add(struct waitset *w, const struct cml_row *r)
{
	if (w->nobj == WAIT_FIDS || w->ndir == WAIT_FIDS)
		return ENOSPC;
	if (!fid_in(w->obj, w->nobj, &r->obj))
		w->obj[w->nobj++] = r->obj;
	if (has_dir(r) && !fid_in(w->dir, w->ndir, &r->dir))
		w->dir[w->ndir++] = r->dir;
	return 0;
}

static int ws_needs(const struct waitset *w, const struct cml_row *r)
{
	return fid_in(w->obj, w->nobj, &r->obj) || fid_in(w->dir, w->ndir, &r->obj) ||
	       (has_dir(r) && fid_in(w->obj, w->nobj, &r->dir));
}

/* A block ends once its stores carry this many bytes: all of a block's
 * data is staged before the block is sent, so a block of a thousand
 * stores would show no progress (and commit nothing) for a long time. */
#define BLOCK_BYTES (4u << 20)
/* ... or holds this many stores: each is staged under its own store id
 * before the block goes, and vice stages at most VS_STAGE_MAX (256) per
 * client (EDQUOT past it); half, so stores of open files fit beside. */
#define BLOCK_STORES 128u

int cml_freeze(struct cml_row *rows, unsigned *n, int err)
{
	sqlite3_stmt *st;
	int own;

	/* Frozen: vice may apply them from now on, so nothing cancels them.
	 * One transaction for the block (each UPDATE on its own was a WAL
	 * append and its locks, per record). */
	own = *n > 1 && !db_in_txn(V->db) && db_begin(V->db) == 0;
	db_rc_open(V->db);
	for (unsigned i = 0; !err && i < *n; i++) {
		if ((st = db_rc_get(V->db, DB_CML_FREEZE)))
			sqlite3_bind_int64(st, 1, (sqlite3_int64)rows[i].seq);
		err = db_rc_run(V->db, st);
	}
	db_rc_close();
	if (own && err)
		db_rollback(V->db);
	else if (own)
		err = db_commit(V->db);
	/* Rows already frozen stay so (over-careful: they are sent again). */
	if (err)
		while (*n)
			cml_row_free(&rows[--*n]);
	return err;
}

unsigned cml_take_skipped(const struct cml *c)
{
	return c->skipped;
}

int cml_take_block(struct cml *c, uint32_t vol, struct cml_row *rows, unsigned max,
		   unsigned min_age, int (*wait)(void *arg, uid_t uid), void *arg, unsigned *n)
{
	sqlite3_stmt *st = db_st(V->db, DB_CML_BLOCK);
	struct waitset *ws = calloc(1, sizeof *ws);
	int err = 0, rc = SQLITE_DONE;
	uint64_t bytes = 0;
	unsigned stores = 0;

	*n = 0;
	if (!st || !ws) {
		sqlite3_finalize(st);
		free(ws);
		return st ? ENOMEM : EIO;
	}
	sqlite3_bind_int(st, 1, -1);   /* no limit: rows may be left */
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL) - min_age);
	sqlite3_bind_int64(st, 3, vol);
	while (*n < max && bytes < BLOCK_BYTES && stores < BLOCK_STORES &&
	       (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cml_row *r = &rows[*n];

		if ((err = cml_row_read(st, r)))
			break;
		if (ws_needs(ws, r) || (wait && wait(arg, r->uid))) {
			int full = ws_add(ws, r);

			cml_row_free(r);
			if (full)
				break;
			continue;
		}
		if (*n && r->uid != rows[0].uid) {
			cml_row_free(r);
			break;
		}
		if (r->op == HS_OP_STORE) {
			bytes += r->size;
			stores++;
		}
		(*n)++;
	}
	c->skipped = ws->nobj;
	free(ws);
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_step_err(V->db, "cml: block");
	sqlite3_finalize(st);
	return cml_freeze(rows, n, err);
}

int cml_foreach(struct cml *c, const hs_fid *fid, int (*fn)(void *arg, struct cml_row *r), void *arg)
{
	sqlite3_stmt *st = db_st(V->db, fid ? DB_CML_OF_FID : DB_CML_ALL);
	struct cml_row r;
	int err = 0, stop = 0, rc = SQLITE_DONE;

	if (!st)
		return EIO;
	if (fid)
		db_bind_fid(st, 1, fid);
	while (!stop && !err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(err = cml_row_read(st, &r)))
			stop = fn(arg, &r);
		cml_row_free(&r);
	}
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_step_err(V->db, "cml: scan");
	sqlite3_finalize(st);
	return err;
}

void cml_thaw(struct cml *c)
{
	db_exec(V->db, DB_CML_THAW);
}

/* The per-record updates below take their statements from the block's
 * cache when reint.c opened one (db_reint.h). */
static int by_seq(struct cml *c, enum db_stmt id, uint64_t seq, int64_t v)
{
	sqlite3_stmt *st = db_rc_get(V->db, id);

	if (!st)
		return EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, v);
	return db_rc_run(V->db, st);
}

int cml_done(struct cml *c, uint64_t seq)
{
	return cml_done_op(c, seq, HS_OP_STORE);
}

int cml_done_op(struct cml *c, uint64_t seq, int op)
{
	int err = by_seq(c, DB_CML_DONE, seq, 0);

	/* Only stores have a frozen copy (an unlink per record otherwise). */
	if (!err && op == HS_OP_STORE)
		cml_data_drop(c, seq);   /* after the commit: see cml_drop.c */
	return err;
}

int cml_set_conflict(struct cml *c, uint64_t seq, int status)
{
	return by_seq(c, DB_CML_SET_CONFLICT, seq, status);
}

int cml_clear_conflict(struct cml *c, uint64_t seq, int nobase)
{
	return by_seq(c, nobase ? DB_CML_CLEAR_CONFLICT_BASE : DB_CML_CLEAR_CONFLICT, seq, 0);
}

int cml_rebase(struct cml *c, const hs_fid *fid, uint64_t dv)
{
	sqlite3_stmt *st = db_rc_get(V->db, DB_CML_REBASE);

	if (st) {
		db_bind_fid(st, 1, fid);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)dv);
	}
	return db_rc_run(V->db, st);
}

static int refid(struct cml *c, enum db_stmt id, const hs_fid *oldf, const hs_fid *newf)
{
	sqlite3_stmt *st = db_rc_get(V->db, id);

	if (st) {
		db_bind_fid(st, 1, oldf);
		sqlite3_bind_int64(st, 4, newf->vnode);
		sqlite3_bind_int64(st, 5, newf->unique);
	}
	return db_rc_run(V->db, st);
}

int cml_refid(struct cml *c, const hs_fid *oldf, const hs_fid *newf, int isdir)
{
	int err = refid(c, DB_CML_REFID_OBJ, oldf, newf);

	/* Only a directory is any record's directory. */
	return err || !isdir ? err : refid(c, DB_CML_REFID_DIR, oldf, newf);
}

int cml_gone_from(struct cml *c, const hs_fid *obj, const hs_fid *dir)
{
	sqlite3_stmt *st = db_cached(V->db, DB_CML_GONE_FROM);
	int n = 0, rc;

	(void)c;
	if (!st)
		return 0;
	db_bind_fid(st, 1, obj);
	sqlite3_bind_int64(st, 4, dir->vnode);
	sqlite3_bind_int64(st, 5, dir->unique);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		db_step_err(V->db, "cml: gone from");
	db_done(V->db, st);
	return n != 0;
}

int cml_named(struct cml *c, const hs_fid *fid)
{
	(void)c;
	return db_cml_named(V->db, fid);
}
