/*
 * cml_int.h - private to venus/cml*.c.  Their SQL is in db_sql.c; they
 * run it through db.h.
 */
#ifndef VENUS_CML_INT_H
#define VENUS_CML_INT_H

#include <stdint.h>
#include "hesper.h"
#include "venus/store/db.h"

/* The first column of the first row of a counting statement, fid (if
 * given) bound to ?1..?3; 0 when there is no row or after a logged SQLite
 * error (a count is advisory; what must not fail uses db_u64). */
uint64_t cml_u64(enum db_stmt id, const hs_fid *fid);

#endif /* VENUS_CML_INT_H */
