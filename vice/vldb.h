/*
 * vice/vldb.h - TEMPORARY stub of the VLDB hooks (the vldb helper's
 * vice/vldb.h replaces this file at merge).  0 or an errno.
 */
#ifndef VICE_VLDB_H
#define VICE_VLDB_H

#include <stdint.h>
#include "vice.h"

int vldb_publish(struct vice *v, uint32_t id, const char *name);
int vldb_unpublish(struct vice *v, uint32_t id);
int vldb_alloc_id(struct vice *v, uint32_t *id);  /* 0 or errno */

#endif /* VICE_VLDB_H */
