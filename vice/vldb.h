/*
 * vice/vldb.h - TEMPORARY (branch vol): the VLDB hooks the volume
 * procedures call.  The vldb branch owns this file and replaces it; its
 * version must keep these three declarations.
 */
#ifndef VICE_VLDB_H
#define VICE_VLDB_H

#include <stdint.h>

struct vice;

int vldb_publish(struct vice *v, uint32_t id, const char *name);
int vldb_unpublish(struct vice *v, uint32_t id);
int vldb_alloc_id(struct vice *v, uint32_t *id);  /* 0 or errno */

#endif /* VICE_VLDB_H */
