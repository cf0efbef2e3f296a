/*
 * cml_int.h - private to venus/log/cml*.c.  Their SQL is in db_sql.c;
 * they run it through db.h.
 */
#ifndef VENUS_CML_INT_H
#define VENUS_CML_INT_H

#include <stddef.h>
#include <stdint.h>
#include "hesper.h"
#include "venus/store/db.h"

/* One volume's CML (cml.h): the rows are in venus.db, this is the state
 * that goes with them in memory. */
struct cml {
	unsigned  depth;        /* nesting of cml_begin; outermost owns the txn */
	/* Frozen copies whose rows' DELETE waits for its commit (cml_drop.c). */
	uint64_t *drop;
	size_t    ndrop, capdrop;
	void    (*settled)(void *arg, int committed);   /* post-commit hook */
	void     *settled_arg;
	/* Bounds above the log's record count and frozen bytes (cml_bounds):
	 * the exact counts when last read, plus every row inserted since.
	 * Rows only leave otherwise, so they stay bounds without a query. */
	uint64_t  n_max, bytes_max;
	int       bounds_ok;    /* n_max, bytes_max were set from the counts */
	unsigned  skipped;      /* rows the last cml_take_block left */
};

/* The first column of the first row of a counting statement, fid (if
 * given) bound to ?1..?3; 0 when there is no row or after a logged SQLite
 * error (a count is advisory; what must not fail uses db_u64). */
uint64_t cml_u64(struct cml *c, enum db_stmt id, const hs_fid *fid);

/* cml_read.c: row r from a statement of CML_COLS (db_sql.c); 0 or EIO
 * (a record that does not decode: logged). */
int cml_row_read(sqlite3_stmt *st, struct cml_row *r);
/* cml_read.c: mark the n rows taken frozen, in one transaction, unless
 * err (an errno from taking them): 0, or err or the update's errno, and
 * then the rows freed and *n 0. */
int cml_freeze(struct cml_row *rows, unsigned *n, int err);

#endif /* VENUS_CML_INT_H */
