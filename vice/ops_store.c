/*
 * vice/ops_store.c - stores and setattr: changes to one object.
 *
 * A file's contents or attributes do not change its directory's entries,
 * so only promises on the object itself are broken.  Stores need w on
 * the file's directory, setattr Coda's rights (acl.h).
 */
#include "acl.h"
#include "ops.h"
#include "store.h"

/* After a mutation of fid by c: count a duplicate, or break others'
 * promises; either way c may cache the result. */
static void changed(struct vclient *c, int dup, const hs_fid *fid)
{
	if (dup)
		c->v->stats.dup_stores++;
	else
		cb_break(c->v, c, fid, 1);
	cb_grant(c, fid);
}

int op_store_chunk(struct vclient *c, void *args, void *res)
{
	hs_store_chunk_args *a = args;
	int dup, err;

	if ((err = vice_sid_check(c, &a->sid)))
		return err;
	/* A local fid is made by a reintegration block: checked there. */
	if (!(a->fid.vnode & HS_LOCAL_VNODE) &&
	    (err = acl_store(c->v->vs, op_who(c), &a->fid)))
		return err;
	/* Staging is charged to the caller (quotas per user, store.h). */
	err = vs_store_chunk(c->v->vs, a, c->v->who ? c->v->who->id :
			     HS_ID_ANONYMOUS, &dup);
	if (!err && !dup)
		c->v->stats.store_bytes += a->data.data_len;
	return err;
}

/* vs_store_commit or vs_store_delta on a's arguments. */
typedef int (*store_apply)(struct vstore *vs, const void *a, hs_attr *attr,
			   int *dup);

static int apply_commit(struct vstore *vs, const void *a, hs_attr *attr, int *dup)
{
	return vs_store_commit(vs, a, attr, dup);
}

static int apply_delta(struct vstore *vs, const void *a, hs_attr *attr, int *dup)
{
	return vs_store_delta(vs, a, attr, dup);
}

/* The end of a store, whole or delta: checks, the new version as the
 * caller, rights, counters, callback breaks. */
static int store_end(struct vclient *c, const hs_fid *fid, const hs_storeid *sid,
		     const hs_store_set *set, const void *a, store_apply apply,
		     void *res)
{
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	const struct vident *who = op_who(c);
	int dup, err;

	if ((err = vice_sid_check(c, sid)) ||
	    (err = acl_store(c->v->vs, who, fid)) ||
	    (err = acl_store_set(c->v->vs, who, fid, set)))
		return err;
	vs_set_writer(c->v->vs, (uint32_t)who->id, who->admin);
	err = apply(c->v->vs, a, attr, &dup);
	vs_set_writer(c->v->vs, 0, 1);
	if (err)
		return err;
	op_rights(c, attr);
	if (!dup)
		c->v->stats.stores++;
	changed(c, dup, &attr->fid);
	return 0;
}

int op_store_commit(struct vclient *c, void *args, void *res)
{
	hs_store_commit_args *a = args;

	return store_end(c, &a->fid, &a->sid, &a->set, a, apply_commit, res);
}

/* HS_STORE_DELTA: as a commit, built from the current version. */
int op_store_delta(struct vclient *c, void *args, void *res)
{
	hs_store_delta_args *a = args;

	return store_end(c, &a->fid, &a->sid, &a->set, a, apply_delta, res);
}

int op_setattr(struct vclient *c, void *args, void *res)
{
	hs_setattr_args *a = args;
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	int dup, err;

	if ((err = vice_sid_check(c, &a->sid)) ||
	    (err = acl_setattr(c->v->vs, op_who(c), a)) ||
	    (err = vs_setattr(c->v->vs, a, attr, &dup)))
		return err;
	op_rights(c, attr);
	changed(c, dup, &attr->fid);
	return 0;
}
