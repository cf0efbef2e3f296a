/*
 * vice/ops_volstamp.c - HS_VOLSTAMPS: is a volume as the caller last saw
 * it (rpc/hesper.x, volstamp.c)?
 *
 * Each pair is answered on its own: a volume not here gets HS_EMOVED (the
 * dispatcher's volume gate does not look inside the list), a stamp that
 * is current gets 0 and a volume promise, any other (0 included) gets
 * HS_ESTAMP and the current stamp.  Nothing here reveals more than that
 * the volume changed, so no rights are checked: the caller's cached
 * objects were each answered under its rights when it cached them.
 */
#include <errno.h>
#include <stdlib.h>
#include "ops.h"
#include "store.h"
#include "store_dump.h"

/* One pair: its status, and the current stamp into *stamp. */
static int one(struct vclient *c, const hs_volstamp *q, uint64_t *stamp)
{
	int here = vs_vol_here(c->v->vs, q->volume);

	if (here < 0)
		return -here;
	if (!here)
		return HS_EMOVED;
	*stamp = vstamp_get(c->v, q->volume);
	if (!q->stamp || q->stamp != *stamp)
		return HS_ESTAMP;
	/* No promise (no callbacks, no memory): the caller must not rely
	 * on the stamp. */
	return volp_add(c, q->volume) ? HS_ESTAMP : 0;
}

int op_volstamps(struct vclient *c, void *args, void *res)
{
	hs_volstamps *a = args;
	hs_volstamps_ok *ok = &((hs_volstamps_res *)res)->hs_volstamps_res_u.ok;
	u_int i, n = a->vols.vols_len;   /* XDR bounded it by HS_VOLSTAMPS_MAX */

	if (n == 0)
		return 0;
	if (!(ok->res.res_val = calloc(n, sizeof(*ok->res.res_val))))
		return ENOMEM;
	ok->res.res_len = n;
	for (i = 0; i < n; i++) {
		hs_volstamp_res *r = &ok->res.res_val[i];

		r->status = one(c, &a->vols.vols_val[i], &r->stamp);
	}
	return 0;
}
