/*
 * cml_int.h - private to venus/cml*.c: SQLite helpers on V->db.
 */
#ifndef VENUS_CML_INT_H
#define VENUS_CML_INT_H

#include <stdint.h>
#include <sqlite3.h>
#include "hesper.h"

/* Run SQL without rows; 0, ENOSPC (disk full) or EIO (logged). */
int cml_exec(const char *sql);
/* The errno of an SQLite result code: ENOSPC for SQLITE_FULL, else EIO. */
int cml_sqlerr(int rc);
/* Prepare on V->db; NULL after logging. */
sqlite3_stmt *cml_prep(const char *sql);
/* Step a statement without rows and finalize it; 0, ENOSPC or EIO. */
int cml_run(sqlite3_stmt *st);
/* The first column of the first row (0 if none); fid, if given, is bound
 * to ?1..?3. */
uint64_t cml_query_u64(const char *sql, const hs_fid *fid);
/* Bind fid's volume, vnode, unique to parameters i..i+2. */
void cml_bind_fid(sqlite3_stmt *st, int i, const hs_fid *f);
/* The store id sequence number of a record (its log position). */
uint64_t cml_rec_seq(const hs_cml_rec *rec);
/* The record's base_version field, or NULL for ops without one. */
uint64_t *cml_rec_base(hs_cml_rec *rec);

#endif /* VENUS_CML_INT_H */
