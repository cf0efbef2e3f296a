/*
 * vice/ops_vol.c - volume status and quotas (HS_GETVOLSTAT, HS_SETQUOTA),
 * mount points (HS_MKMOUNT) and volume administration (HS_VOL_CREATE,
 * HS_VOL_REMOVE, HS_VOL_RENAME, HS_VOL_LIST).
 *
 * Who may: anyone reads a volume's status (Coda lets any caller); quotas
 * and the HS_VOL_* calls need System:Administrators (a member, or the
 * realm key holder's token: auth_ident.c), else EACCES; a mount point
 * needs the a right on its directory (Coda's rule for mkmount).  Volume
 * changes are told to the VLDB (vldb.h) after the store's commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "ops.h"
#include "voldump.h"
#include "store.h"
#include "vldb.h"

static int admin_only(struct vclient *c, const char *what)
{
	const struct vident *who = op_who(c);

	if (who->admin)
		return 0;
	vlog(LOG_NOTICE, "%s: %s by id %d refused: not an administrator",
	     c->conn ? hrpc_conn_peer(c->conn) : "-", what, who->id);
	return EACCES;
}

/* Does the realm have a volume of this name?  0 or ENOENT.  The VLDB
 * answers, so that mount points may name volumes of other servers; the
 * local store when there is none (unit tests). */
int vol_exists(struct vice *v, const char *name)
{
	hs_vldb_args a = { 0, (char *)name };
	hs_vldb_entry e;
	hs_volinfo vi;
	int err;

	if (v->vldb) {
		if (!(err = vldb_lookup(v, &a, &e)))
			xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)&e);
		return err;
	}
	memset(&vi, 0, sizeof vi);
	err = vs_getroot(v->vs, name, &vi);
	xdr_free((xdrproc_t)xdr_hs_volinfo, (char *)&vi);
	return err;
}

int op_getvolstat(struct vclient *c, void *args, void *res)
{
	hs_volstat_res *r = res;
	int err = vs_vol_stat(c->v->vs, *(u_int *)args, &r->hs_volstat_res_u.st);

	if (!err)
		vd_mark_online(c->v, &r->hs_volstat_res_u.st, 1);
	return err;
}

int op_setquota(struct vclient *c, void *args, void *res)
{
	hs_setquota_args *a = args;
	int err;

	(void)res;
	if ((err = admin_only(c, "setquota")))
		return err;
	err = vs_vol_setquota(c->v->vs, a->id, a->max_quota, a->min_quota);
	if (!err)
		vlog(LOG_INFO, "volume %u: quota %llu blocks (minimum %llu)",
		     a->id, (unsigned long long)a->max_quota,
		     (unsigned long long)a->min_quota);
	return err;
}

int op_mkmount(struct vclient *c, void *args, void *res)
{
	hs_mkmount_args *a = args;
	hs_create_ok *ok = &((hs_create_res *)res)->hs_create_res_u.ok;
	const struct vident *who = op_who(c);
	struct vs_new n = {
		.dir = a->dir, .sid = a->sid, .name = a->name, .type = HS_FLNK,
		.uid = who->id > 0 ? (unsigned)who->id : 0,
	};
	int dup, err;

	if ((err = vice_sid_check(c, &a->sid)) ||
	    (err = acl_may_set(c->v->vs, who, &a->dir)) ||
	    (err = vol_exists(c->v, a->volume)) ||
	    (err = vs_mkmount(c->v->vs, &n, a->volume, ok, &dup)))
		return err;
	op_rights(c, &ok->obj);
	op_rights(c, &ok->dir);
	if (dup)
		c->v->stats.dup_stores++;
	else
		cb_break(c->v, c, &ok->dir.fid, 1);
	cb_grant(c, &ok->obj.fid);
	cb_grant(c, &ok->dir.fid);
	return 0;
}

int op_vol_create(struct vclient *c, void *args, void *res)
{
	hs_volcreate_args *a = args;
	hs_volinfo *out = &((hs_getroot_res *)res)->hs_getroot_res_u.vol;
	struct vice *v = c->v;
	uint32_t id = a->id;
	int err;

	if ((err = admin_only(c, "volume create")))
		return err;
	if (!id && (err = vldb_alloc_id(v, &id)))
		return err;
	if ((err = vs_vol_create(v->vs, a->name, id, a->max_quota, out))) {
		if (!a->id)     /* give back the id vldb_alloc_id reserved */
			(void)vldb_unpublish(v, id);
		return err;
	}
	if ((err = vldb_publish(v, id, a->name))) {
		vlog(LOG_ERR, "volume %s (%u): the VLDB refused it (%s): "
		     "removed again", a->name, id, strerror(err));
		(void)vs_vol_remove(v->vs, id, 1);
		return err;
	}
	/* An id used before (removed, moved away) starts a new stamp. */
	cb_vol_changed(v, id);
	vlog(LOG_INFO, "volume %s (%u) created", a->name, id);
	return 0;
}

int op_vol_remove(struct vclient *c, void *args, void *res)
{
	uint32_t id = *(u_int *)args;
	int err;

	(void)res;
	if ((err = admin_only(c, "volume remove")) ||
	    (err = vs_vol_remove(c->v->vs, id, 0)))
		return err;
	/* Clients stop serving cached copies of the gone volume. */
	cb_break_volume(c->v, c, id);
	if ((err = vldb_unpublish(c->v, id)))
		vlog(LOG_WARNING, "volume %u removed, but its VLDB entry "
		     "stays: %s", id, strerror(err));
	vlog(LOG_INFO, "volume %u removed", id);
	return 0;
}

int op_vol_rename(struct vclient *c, void *args, void *res)
{
	hs_volrename_args *a = args;
	hs_volstat st;
	int err;

	(void)res;
	if ((err = admin_only(c, "volume rename")) ||
	    (err = vs_vol_stat(c->v->vs, a->id, &st)))
		return err;
	if (!(err = vs_vol_rename(c->v->vs, a->id, a->name)) &&
	    (err = vldb_publish(c->v, a->id, a->name))) {
		vlog(LOG_ERR, "volume %u: the VLDB refused the name %s (%s)",
		     a->id, a->name, strerror(err));
		(void)vs_vol_rename(c->v->vs, a->id, st.name);
	}
	if (!err)
		vlog(LOG_INFO, "volume %u renamed from %s to %s", a->id,
		     st.name, a->name);
	xdr_free((xdrproc_t)xdr_hs_volstat, (char *)&st);
	return err;
}

int op_vol_list(struct vclient *c, void *args, void *res)
{
	hs_volstatlist_res *r = res;
	int err;

	(void)args;
	if ((err = admin_only(c, "volume list")))
		return err;
	if ((err = vs_vol_list(c->v->vs, &r->hs_volstatlist_res_u.list)))
		return err;
	vd_mark_online(c->v, r->hs_volstatlist_res_u.list.vols.vols_val,
		       r->hs_volstatlist_res_u.list.vols.vols_len);
	return 0;
}
