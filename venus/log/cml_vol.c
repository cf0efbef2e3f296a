/*
 * cml_vol.c - the CML seen one volume at a time (cml.h): which volumes
 * have records, their counts, and the per-volume updates reintegration
 * makes (thaw, quota retry).  The rows stay in the one table; its
 * cml_obj index (vol, vnode, uniq) serves every query here.
 */
#include <errno.h>
#include <time.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/log/cml_int.h"

/* A count about vol: the statements bind ?1 only (db_u64 binds a fid's
 * three fields; the unused ones are ignored by SQLite). */
static uint64_t vol_u64(struct cml *c, enum db_stmt id, uint32_t vol)
{
	hs_fid f = { vol, 0, 0 };

	return cml_u64(c, id, &f);
}

int cml_vol_foreach(struct cml *c, int (*fn)(void *arg, uint32_t vol), void *arg)
{
	sqlite3_stmt *st = db_st(V->db, DB_CML_VOLS);
	int rc = SQLITE_DONE, stop = 0;

	if (!st)
		return EIO;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(arg, (uint32_t)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_step_err(V->db, "cml: volumes");
	return 0;
}

unsigned cml_vol_count(struct cml *c, uint32_t vol)
{
	return (unsigned)vol_u64(c, DB_CML_VOL_COUNT, vol);
}

int cml_vol_any(struct cml *c, uint32_t vol)
{
	return vol_u64(c, DB_CML_VOL_ANY, vol) != 0;
}

uint64_t cml_vol_bytes(struct cml *c, uint32_t vol)
{
	return vol_u64(c, DB_CML_VOL_BYTES, vol);
}

unsigned cml_vol_conflicts(struct cml *c, uint32_t vol)
{
	return (unsigned)vol_u64(c, DB_CML_VOL_CONFLICT_OBJS, vol);
}

unsigned cml_vol_quota(struct cml *c, uint32_t vol)
{
	return (unsigned)vol_u64(c, DB_CML_VOL_QUOTA, vol);
}

uint64_t cml_vol_quota_max(struct cml *c, uint32_t vol)
{
	return vol_u64(c, DB_CML_VOL_QUOTA_MAX, vol);
}

unsigned cml_vol_oldest_age(struct cml *c, uint32_t vol)
{
	uint64_t t = vol_u64(c, DB_CML_VOL_OLDEST, vol);
	time_t now = time(NULL);

	return t && (uint64_t)now > t ? (unsigned)((uint64_t)now - t) : 0;
}

static int by_vol(enum db_stmt id, uint32_t vol)
{
	sqlite3_stmt *st = db_st(V->db, id);

	if (st)
		sqlite3_bind_int64(st, 1, vol);
	return db_run(V->db, st);
}

void cml_thaw_vol(struct cml *c, uint32_t vol)
{
	by_vol(DB_CML_VOL_THAW, vol);
}

void cml_thaw_range(struct cml *c, uint32_t vol, uint64_t lo, uint64_t hi)
{
	sqlite3_stmt *st = db_st(V->db, DB_CML_RANGE_THAW);

	(void)c;
	if (st) {
		sqlite3_bind_int64(st, 1, vol);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)lo);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)hi);
	}
	db_run(V->db, st);
}

int cml_quota_retry(struct cml *c, uint32_t vol)
{
	return by_vol(DB_CML_VOL_QUOTA_RETRY, vol);
}
