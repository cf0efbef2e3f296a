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
};

/* The first column of the first row of a counting statement, fid (if
 * given) bound to ?1..?3; 0 when there is no row or after a logged SQLite
 * error (a count is advisory; what must not fail uses db_u64). */
uint64_t cml_u64(struct cml *c, enum db_stmt id, const hs_fid *fid);

#endif /* VENUS_CML_INT_H */
