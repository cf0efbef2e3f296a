/*
 * vice/vldb.h - the realm's volume location database (Coda's VLDB): which
 * server holds each volume, by id and by name.
 *
 * Two backends behind one front (vldb.c), chosen by vice --vldb:
 *   "sqlite" (default)  <root>/vldb.db: a realm of one server; the
 *                       entries are this server's own volumes.
 *   "etcd"              keys under /hesper/<realm>/ in etcd (etcd.h), so
 *                       that every server of the realm sees every entry;
 *                       schema in doc/design.md "The VLDB".
 *
 * Volume ids lie in 1..HS_VOLID_MAX and are unique in the realm; names
 * are unique in the realm.  An entry names the servers clients should
 * use for the volume (host, port: vice --publish).
 *
 * Every function returns 0 or a positive errno: ENOENT (no such volume),
 * EEXIST (the name belongs to another volume id), ENOSPC (no id left),
 * EHOSTUNREACH/ETIMEDOUT (etcd unreachable), EIO (a database failed),
 * ENOMEM.  etcd calls block (at most ETCD_TIMEOUT_MS per request); they
 * are rare: admin operations, lookups, start-up.
 */
#ifndef VICE_VLDB_H
#define VICE_VLDB_H

#include <stddef.h>
#include <stdint.h>
#include "hesper.h"

struct vice;
struct vldb;

/* What vice's options say (vice(8): --vldb, --etcd, --publish). */
struct vldb_opts {
	const char *backend;    /* "sqlite" (NULL: the same) or "etcd" */
	const char *etcd;       /* etcd: comma-separated http(s) URLs */
	const char *root;       /* vice's root directory (sqlite: vldb.db) */
};

/* Without vldb_open (v->vldb NULL: unit tests of other parts) publish and
 * unpublish do nothing, vldb_alloc_id gives the store's largest id + 1,
 * vldb_lookup says ENOENT and vldb_root_volume asks the store. */

/* Open the backend into v->vldb (v->realm must be set).  etcd: reaches
 * etcd once (so a wrong --etcd is reported at start: EHOSTUNREACH or
 * ETIMEDOUT, with the URL in err).  0 or an errno with a message in err. */
int vldb_open(struct vice *v, const struct vldb_opts *o, char *err, size_t n);
/* Free v->vldb (NULL is fine). */
void vldb_close(struct vice *v);

/* Should a fresh store make volume "root" (id 1)?  *make = 1 unless the
 * realm's VLDB already has a "root" held by another server.  Called after
 * vldb_open, before vs_open_with. */
int vldb_want_root(struct vice *v, int *make);

/* The address clients should use for this server's volumes: host (DNS
 * name or IP literal, at most HS_MAXHOSTNAME bytes) and port.  Set once
 * vice listens and the store is open (its server id goes with the
 * address), before vldb_sync and any publish. */
int vldb_set_address(struct vice *v, const char *host, unsigned port);

/* Start-up: register this server (etcd: /hesper/<realm>/servers/...),
 * publish every local volume, and drop entries that name this server for
 * volumes it no longer has.  A local volume whose entry names another
 * server is not taken over (it moved away, or two servers made it): a
 * warning is logged.  0 or an errno (only failures to reach the VLDB). */
int vldb_sync(struct vice *v);

/* Volume id, called name, is now on this server: make (or move, or
 * rename) its entry so.  EEXIST if name belongs to another id in the
 * realm (nothing changed then).  An entry that named another server is
 * taken over: that is a move's last step (HS_VOL_RESTORE). */
int vldb_publish(struct vice *v, uint32_t id, const char *name);
/* Volume id is no longer on this server: drop its entry (and its name)
 * if the entry names this server; one naming another server (the volume
 * moved there) is left alone.  0 also if there was no entry. */
int vldb_unpublish(struct vice *v, uint32_t id);
/* A new volume id, unused in the realm and in this server's store,
 * reserved for this server until published (a reservation never published
 * is dropped by the next vldb_sync; a caller whose volume creation failed
 * may drop it at once with vldb_unpublish).  ENOSPC when none is left. */
int vldb_alloc_id(struct vice *v, uint32_t *id);

/* HS_VLDB_LOOKUP: the entry of a->id, or if a->id is 0 of a->name; out's
 * strings are malloc'd (xdr_free).  ENOENT if none, EINVAL for id 0 and
 * an empty name. */
int vldb_lookup(struct vice *v, const hs_vldb_args *a, hs_vldb_entry *out);

/* The id of the realm's volume "root", for HS_CONNECT; 0 if none (or the
 * VLDB cannot be reached).  Cached once known; while unknown, etcd is
 * asked at most every few seconds. */
uint32_t vldb_root_volume(struct vice *v);

#endif /* VICE_VLDB_H */
