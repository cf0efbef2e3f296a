/*
 * vice/store_applied.c - who store ids belong to, and which were applied
 * (Coda's ViceStoreId check).
 *
 * A client id is bound to its client's key by the first HS_CONNECT that
 * names it (vs_client_bind); the ops layer then refuses store ids of any
 * other client id.  Only mutations that took effect are recorded: a retry
 * after a transient failure (ENOSPC, EIO) must be free to succeed.
 */
#include <errno.h>
#include <string.h>
#include "store_int.h"

int vs_client_bind(struct vstore *vs, uint64_t client,
		   const unsigned char hash[VS_KEY_HASH])
{
	sqlite3_stmt *s = vs_st(vs, S_CL_GET);
	int rc, same = 0;

	sqlite3_bind_int64(s, 1, (int64_t)client);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(s, 0);

		/* Hashes, not keys: a timing difference tells nothing
		 * about the key, so memcmp will do. */
		same = h && sqlite3_column_bytes(s, 0) == VS_KEY_HASH &&
			memcmp(h, hash, VS_KEY_HASH) == 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return same ? 0 : EPERM;
	if (rc != SQLITE_DONE)
		return vs_sqlerr(rc);
	s = vs_st(vs, S_CL_PUT);
	sqlite3_bind_int64(s, 1, (int64_t)client);
	sqlite3_bind_blob(s, 2, hash, VS_KEY_HASH, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, vs_now());
	return vs_exec(vs, s);
}

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
