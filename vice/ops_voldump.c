/*
 * vice/ops_voldump.c - HS_VOL_LOCK, HS_VOL_DUMP, HS_VOL_RESTORE_CHUNK,
 * HS_VOL_RESTORE, HS_VOL_RELEASE: the steps of volutil dump, restore and
 * move (Coda's volutil lock/dump/restore).  System:Administrators only
 * (the realm key's holder, v->who->admin), else EACCES.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "ops.h"
#include "voldump.h"

static int admin(struct vclient *c, const char *what)
{
	const struct vident *who = op_who(c);

	if (who->admin)
		return 0;
	vlog(LOG_NOTICE, "%s: %s by %d: not an administrator",
	     hrpc_conn_peer(c->conn), what, (int)who->id);
	return EACCES;
}

int op_vol_lock(struct vclient *c, void *args, void *res)
{
	const hs_vollock_args *a = args;
	int err = admin(c, "HS_VOL_LOCK");

	(void)res;
	if (err)
		return err;
	if (!a->lock)
		vlog(LOG_INFO, "volume %" PRIu32 " unlocked", (uint32_t)a->id);
	return vd_lock(c->v, a->id, a->lock);
}

int op_vol_dump(struct vclient *c, void *args, void *res)
{
	const hs_voldump_args *a = args;
	hs_voldump_ok *ok = &((hs_voldump_res *)res)->hs_voldump_res_u.ok;
	unsigned count = a->count > HS_DUMP_MAX ? HS_DUMP_MAX : a->count;
	uint64_t total = 0;
	int err = admin(c, "HS_VOL_DUMP");

	if (err)
		return err;
	err = vd_dump_read(c->v, a->id, a->offset, count,
			   &ok->data.data_val, &ok->data.data_len, &total);
	ok->total = total;
	return err;
}

int op_vol_restore_chunk(struct vclient *c, void *args, void *res)
{
	const hs_volrestore_chunk_args *a = args;
	int err = admin(c, "HS_VOL_RESTORE_CHUNK");

	(void)res;
	if (err)
		return err;
	return vd_restore_chunk(c->v, a->handle, a->offset, a->data.data_val,
				a->data.data_len);
}

int op_vol_restore(struct vclient *c, void *args, void *res)
{
	const hs_volrestore_args *a = args;
	hs_volinfo *out = &((hs_getroot_res *)res)->hs_getroot_res_u.vol;
	int err = admin(c, "HS_VOL_RESTORE");

	if (err || (err = vd_restore_commit(c->v, a->handle, a->id, a->name,
					    out)))
		return err;
	/* A restore over an id clients knew (a move back, a replaced
	 * volume): their stamps of it must not hold. */
	cb_vol_changed(c->v, out->id);
	return 0;
}

int op_vol_release(struct vclient *c, void *args, void *res)
{
	const hs_volrelease_args *a = args;
	int err = admin(c, "HS_VOL_RELEASE");

	(void)res;
	if (err || (err = vd_release(c->v, a->id)))
		return err;
	cb_break_volume(c->v, c, a->id);
	return 0;
}
