/*
 * vice/store_applied.c - the applied store ids (Coda's ViceStoreId check).
 *
 * Only mutations that took effect are recorded: a retry after a transient
 * failure (ENOSPC, EIO) must be free to succeed.
 */
#include <errno.h>
#include "store_int.h"

static int sid_none(const hs_storeid *sid)
{
	return sid->client == 0 && sid->seq == 0;
}

int vs_ap_get(struct vstore *vs, const hs_storeid *sid,
	      struct vs_applied *rec)
{
	sqlite3_stmt *s;
	int rc;

	if (sid_none(sid))
		return 0;
	s = vs_st(vs, S_AP_GET);
	sqlite3_bind_int64(s, 1, (int64_t)sid->client);
	sqlite3_bind_int64(s, 2, (int64_t)sid->seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rec->status = sqlite3_column_int(s, 0);
		rec->vol = (uint32_t)sqlite3_column_int64(s, 1);
		rec->o_vnode = (uint32_t)sqlite3_column_int64(s, 2);
		rec->o_uniq = (uint32_t)sqlite3_column_int64(s, 3);
		rec->r_vnode = (uint32_t)sqlite3_column_int64(s, 4);
		rec->r_uniq = (uint32_t)sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -vs_sqlerr(rc);
}

int vs_ap_put(struct vstore *vs, const hs_storeid *sid,
	      const struct vs_applied *rec)
{
	sqlite3_stmt *s;

	if (sid_none(sid))
		return 0;
	s = vs_st(vs, S_AP_PUT);
	sqlite3_bind_int64(s, 1, (int64_t)sid->client);
	sqlite3_bind_int64(s, 2, (int64_t)sid->seq);
	sqlite3_bind_int(s, 3, rec->status);
	sqlite3_bind_int64(s, 4, rec->vol);
	sqlite3_bind_int64(s, 5, rec->o_vnode);
	sqlite3_bind_int64(s, 6, rec->o_uniq);
	sqlite3_bind_int64(s, 7, rec->r_vnode);
	sqlite3_bind_int64(s, 8, rec->r_uniq);
	return vs_exec(vs, s);
}
