/*
 * vice/vldb_int.h - what the VLDB front (vldb.c) needs of a backend
 * (vldb_sqlite.c, vldb_etcd.c).  Not for the rest of vice.
 *
 * Backend functions return 0 or a positive errno as vldb.h says; they
 * know nothing of the store: the front gives them the local volume ids.
 */
#ifndef VICE_VLDB_INT_H
#define VICE_VLDB_INT_H

#include <time.h>
#include "vldb.h"

struct vldb_backend {
	int (*open)(struct vldb *db, const struct vldb_opts *o, char *err,
		    size_t n);
	/* *make = 0 if "root" is held by another server. */
	int (*want_root)(struct vldb *db, int *make);
	/* Entry id := {name, this server}.  take_over 0: EBUSY if the entry
	 * names another server.  EEXIST: name is another id's. */
	int (*publish)(struct vldb *db, uint32_t id, const char *name,
		       int take_over);
	int (*unpublish)(struct vldb *db, uint32_t id);
	/* Register this server; drop entries naming it whose id is at most
	 * upto and not among the n sorted ids in local (upto: the list may
	 * stop short, see vldb_sync). */
	int (*prune)(struct vldb *db, const uint32_t *local, size_t n,
		     uint32_t upto);
	/* A fresh id, unused in the VLDB, reserved for this server. */
	int (*next_id)(struct vldb *db, uint32_t *id);
	int (*lookup)(struct vldb *db, const hs_vldb_args *a,
		      hs_vldb_entry *out);
	void (*close)(struct vldb *db);
};

struct vldb {
	const struct vldb_backend *be;
	const char *realm;
	char host[HS_MAXHOSTNAME + 1];  /* this server's published address */
	unsigned port;
	uint64_t server_id;             /* vs_server_id, once the store is open */
	uint32_t root_id;               /* cached vldb_root_volume; 0: unknown */
	time_t root_asked;              /* when root_id was last looked up */
	void *be_data;                  /* the backend's own */
};

extern const struct vldb_backend vldb_sqlite_backend;
extern const struct vldb_backend vldb_etcd_backend;

/* out := {id, name, [this server]}: 0 or ENOMEM. */
int vldb_entry_fill(const struct vldb *db, uint32_t id, const char *name,
		    hs_vldb_entry *out);
/* Is id among the n sorted ids in local? */
int vldb_id_in(uint32_t id, const uint32_t *local, size_t n);

#endif /* VICE_VLDB_INT_H */
