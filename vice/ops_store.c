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
	int dup, err = 0;

	/* A local fid is made by a reintegration block: checked there. */
	if (!(a->fid.vnode & HS_LOCAL_VNODE))
		err = acl_store(c->v->vs, op_who(c), &a->fid);
	if (err)
		return err;
	err = vs_store_chunk(c->v->vs, a, &dup);

	if (!err && !dup)
		c->v->stats.store_bytes += a->data.data_len;
	return err;
}

int op_store_commit(struct vclient *c, void *args, void *res)
{
	hs_store_commit_args *a = args;
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	const struct vident *who = op_who(c);
	int dup, err = acl_store(c->v->vs, who, &a->fid);

	if (err)
		return err;
	vs_set_writer(c->v->vs, (uint32_t)who->id, who->admin);
	err = vs_store_commit(c->v->vs, a, attr, &dup);
	vs_set_writer(c->v->vs, 0, 1);
	if (err)
		return err;
	op_rights(c, attr);
	if (!dup)
		c->v->stats.stores++;
	changed(c, dup, &attr->fid);
	return 0;
}

int op_setattr(struct vclient *c, void *args, void *res)
{
	hs_setattr_args *a = args;
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	int dup, err = acl_setattr(c->v->vs, op_who(c), a);

	if (err)
		return err;
	if ((err = vs_setattr(c->v->vs, a, attr, &dup)))
		return err;
	op_rights(c, attr);
	changed(c, dup, &attr->fid);
	return 0;
}
