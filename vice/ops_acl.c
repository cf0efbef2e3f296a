/*
 * vice/ops_acl.c - HS_GETACL and HS_SETACL, and the caller's rights in
 * the attributes vice returns.
 *
 * A changed ACL changes every cached right under it: the directory's
 * promises are broken, so every client drops its rights at once (Coda
 * breaks the directory's callback the same way).
 */
#include <errno.h>
#include <stdlib.h>
#include "acl.h"
#include "ops.h"

static const struct vident anyuser = {
	HS_ID_ANONYMOUS, 0, 0, 1, { HS_ID_ANYUSER },
};

const struct vident *op_who(struct vclient *c)
{
	return c->v->who ? c->v->who : &anyuser;
}

void op_rights(struct vclient *c, hs_attr *a)
{
	acl_fill(c->v->vs, op_who(c), a);
}

int op_getacl(struct vclient *c, void *args, void *res)
{
	hs_acl *out = &((hs_acl_res *)res)->hs_acl_res_u.acl;
	struct vs_acl *acl;
	int err = acl_may_get(c->v->vs, op_who(c), args);

	if (err)
		return err;
	if (!(acl = malloc(sizeof *acl)))
		return ENOMEM;
	if (!(err = vs_acl_get(c->v->vs, args, acl)))
		err = acl_to_wire(c->v->pdb, acl, out);
	free(acl);
	if (!err)
		cb_grant(c, args);
	return err;
}

int op_setacl(struct vclient *c, void *args, void *res)
{
	hs_setacl_args *a = args;
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	struct vs_acl *acl;
	int dup, err;

	if ((err = vice_sid_check(c, &a->sid)) ||
	    (err = acl_may_set(c->v->vs, op_who(c), &a->dir)))
		return err;
	if (!(acl = malloc(sizeof *acl)))
		return ENOMEM;
	if (!(err = acl_from_wire(c->v->pdb, &a->acl, acl)))
		err = vs_acl_set(c->v->vs, &a->dir, &a->sid, acl, attr, &dup);
	free(acl);
	if (err)
		return err;
	vlog(LOG_INFO, "ACL of %u.%u.%u set by %d", a->dir.volume,
	     a->dir.vnode, a->dir.unique, (int)op_who(c)->id);
	if (dup)
		c->v->stats.dup_stores++;
	else
		cb_break(c->v, c, &attr->fid, 1);
	op_rights(c, attr);
	cb_grant(c, &attr->fid);
	return 0;
}
