/*
 * vice/ops_getattrs.c - HS_GETATTRS: the attributes of up to
 * HS_GETATTRS_MAX fids in one call, each slot as HS_GETATTR answers it.
 *
 * A venus that restarts or reconnects holds no promises; it revalidates
 * its cache with these calls instead of one HS_GETATTR per object (Coda
 * does the same with volume version stamps and ValidateAttrs, venus's
 * vproc batch of up to 50 fids).  The call itself only fails for want of
 * memory; every other answer is per fid: its status, its attributes with
 * the caller's rights (acl_lookup on its directory, as op_getattr), a
 * callback promise.  The dispatcher's volume gate does not see these fids
 * (volgate.c has no entry for HS_GETATTRS), so each is gated here: a fid
 * of a volume that is not here gets HS_EMOVED in its slot, the others
 * are answered.
 */
#include <errno.h>
#include <stdlib.h>
#include "acl.h"
#include "ops.h"
#include "store.h"
#include "store_dump.h"

/* One slot: status, and the attributes when it is 0. */
static int one(struct vclient *c, const hs_fid *f, hs_attr *attr)
{
	int err;

	if (f->volume && f->vnode && vs_vol_here(c->v->vs, f->volume) == 0)
		return HS_EMOVED;
	if ((err = acl_lookup(c->v->vs, op_who(c), f)))
		return err;
	if ((err = vs_getattr(c->v->vs, f, attr)))
		return err;
	op_rights(c, attr);
	cb_grant(c, &attr->fid);
	return 0;
}

int op_getattrs(struct vclient *c, void *args, void *res)
{
	hs_fids *a = args;
	hs_attrs_ok *ok = &((hs_attrs_res *)res)->hs_attrs_res_u.ok;
	u_int i, n = a->fids.fids_len;   /* XDR bounded it by HS_GETATTRS_MAX */

	if (n == 0)
		return 0;
	if (!(ok->res.res_val = calloc(n, sizeof(*ok->res.res_val))))
		return ENOMEM;
	ok->res.res_len = n;
	for (i = 0; i < n; i++) {
		hs_attr_res *r = &ok->res.res_val[i];

		r->status = one(c, &a->fids.fids_val[i], &r->hs_attr_res_u.attr);
	}
	return 0;
}
