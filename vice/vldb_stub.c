/*
 * vice/vldb_stub.c - TEMPORARY (branch vol): a VLDB of one server, its
 * own store.  Dropped at merge in favour of the vldb branch's backends.
 */
#include <errno.h>
#include "vice.h"
#include "store.h"
#include "vldb.h"

int vldb_publish(struct vice *v, uint32_t id, const char *name)
{
	(void)v;
	(void)id;
	(void)name;
	return 0;
}

int vldb_unpublish(struct vice *v, uint32_t id)
{
	(void)v;
	(void)id;
	return 0;
}

/* The next id after the largest this server holds. */
int vldb_alloc_id(struct vice *v, uint32_t *id)
{
	uint32_t max = 0;
	int err = vs_vol_maxid(v->vs, &max);

	if (err)
		return err;
	if (max >= HS_VOLID_MAX)
		return ENOSPC;
	*id = max + 1;
	return 0;
}
