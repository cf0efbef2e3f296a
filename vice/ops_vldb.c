/*
 * vice/ops_vldb.c - HS_VLDB_LOOKUP: where a volume of the realm is
 * (vldb.h).  Anyone may ask, even before HS_CONNECT (volutil and other
 * tools locate volumes with it); the answer holds nothing secret.
 */
#include <errno.h>
#include "vice.h"
#include "ops.h"
#include "vldb.h"

int op_vldb_lookup(struct vclient *c, void *args, void *res)
{
	hs_vldb_res *r = res;

	if (!c->v->vldb)
		return ENOENT;
	return vldb_lookup(c->v, args, &r->hs_vldb_res_u.ent);
}
