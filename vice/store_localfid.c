/*
 * vice/store_localfid.c - local fids: a client names an object it created
 * while disconnected by a fid of its own (HS_LOCAL_VNODE set) until its
 * create is reintegrated.  The mapping to the server fid is kept with the
 * create's applied store id, so later records and later blocks of that
 * client (and a retried block) resolve the same local fid the same way.
 */
#include <errno.h>
#include "store_int.h"

static void bind_local(sqlite3_stmt *s, uint64_t client, const hs_fid *l)
{
	sqlite3_bind_int64(s, 1, (int64_t)client);
	sqlite3_bind_int64(s, 2, l->volume);
	sqlite3_bind_int64(s, 3, l->vnode);
	sqlite3_bind_int64(s, 4, l->unique);
}

int vs_lf_get(struct vstore *vs, uint64_t client, const hs_fid *local,
	      hs_fid *out)
{
	sqlite3_stmt *s = vs_st(vs, S_LF_GET);
	int rc;

	bind_local(s, client, local);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->volume = (u_int)sqlite3_column_int64(s, 0);
		out->vnode = (u_int)sqlite3_column_int64(s, 1);
		out->unique = (u_int)sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return ESTALE;
	return rc == SQLITE_ROW ? 0 : vs_sqlerr(rc);
}

int vs_lf_put(struct vstore *vs, uint64_t client, const hs_fid *local,
	      const hs_storeid *sid, const hs_fid *fid)
{
	sqlite3_stmt *s = vs_st(vs, S_LF_PUT);

	bind_local(s, client, local);
	sqlite3_bind_int64(s, 5, (int64_t)sid->seq);
	sqlite3_bind_int64(s, 6, fid->volume);
	sqlite3_bind_int64(s, 7, fid->vnode);
	sqlite3_bind_int64(s, 8, fid->unique);
	return vs_exec(vs, s);
}
