/*
 * vice/vldb_stub.c - TEMPORARY: a one-server VLDB that is the store
 * itself (dropped at merge for the vldb helper's vice/vldb*.c).
 */
#include "vldb.h"

int vldb_publish(struct vice *v, uint32_t id, const char *name)
{
	(void)v; (void)id; (void)name;
	return 0;
}

int vldb_unpublish(struct vice *v, uint32_t id)
{
	(void)v; (void)id;
	return 0;
}

int vldb_alloc_id(struct vice *v, uint32_t *id)
{
	(void)v;
	*id = 0;
	return 38; /* ENOSYS */
}
