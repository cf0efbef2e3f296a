/*
 * vice/ops_store.c - stores and setattr: changes to one object.
 *
 * A file's contents or attributes do not change its directory's entries,
 * so only promises on the object itself are broken.
 */
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
	/* Staging is charged to the caller (quotas per user, store.h). */
	err = vs_store_chunk(c->v->vs, a, c->v->who ? c->v->who->id :
			     HS_ID_ANONYMOUS, &dup);
	if (!err && !dup)
		c->v->stats.store_bytes += a->data.data_len;
	return err;
}

int op_store_commit(struct vclient *c, void *args, void *res)
{
	hs_store_commit_args *a = args;
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	int dup, err;

	if ((err = vice_sid_check(c, &a->sid)) ||
	    (err = vs_store_commit(c->v->vs, a, attr, &dup)))
		return err;
	if (!dup)
		c->v->stats.stores++;
	changed(c, dup, &attr->fid);
	return 0;
}

int op_setattr(struct vclient *c, void *args, void *res)
{
	hs_setattr_args *a = args;
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	int dup, err;

	if ((err = vice_sid_check(c, &a->sid)))
		return err;
	err = vs_setattr(c->v->vs, a, attr, &dup);
	if (!err)
		changed(c, dup, &attr->fid);
	return err;
}
