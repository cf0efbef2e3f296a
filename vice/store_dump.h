/*
 * vice/store_dump.h - whole volumes in and out of the store: dump to an
 * SQLite file, restore from one, release (drop a volume that moved).
 *
 * A dump is an SQLite 3 database (format in doc/design.md "Volume
 * dumps"): the volume's rows with the volume column left out, its
 * applied store ids and local fids, and its file data in rows of at most
 * VS_DUMP_ROW bytes (holes are left out).  Restore attaches it and
 * inserts everything in one transaction, so a retried store or
 * reintegration already applied before the dump is not applied twice.
 *
 * Every function returns 0 or a positive errno (wire status).
 */
#ifndef VICE_STORE_DUMP_H
#define VICE_STORE_DUMP_H

#include <stdint.h>
#include "store.h"

/* Version written to a dump's meta table ("format"). */
#define VS_DUMP_FORMAT 1
/* Largest data row of a dump (bytes). */
#define VS_DUMP_ROW (1u << 20)

/* The store's root directory (the path vs_open was given). */
const char *vs_root_dir(const struct vstore *vs);

/* Dump volume vol into a new SQLite file at path (replaced if it
 * exists; fsync'd).  ENOENT: no such volume here; EIO, ENOSPC. */
int vs_vol_dump(struct vstore *vs, uint32_t vol, const char *path);

/* Make the dump at path a volume of this store, under id (0: the dumped
 * id) and name (NULL or "": the dumped name).  The data files are
 * written and fsync'd before the rows commit.  The applied store ids and
 * local fids come along only when the id is kept (a move).  out gets the
 * new volume (xdr_free releases it).  EINVAL: not a dump of format
 * VS_DUMP_FORMAT, or inconsistent; EEXIST: the id or the name is in use
 * here; ERANGE: id past HS_VOLID_MAX. */
int vs_vol_restore(struct vstore *vs, const char *path, uint32_t id,
		   const char *name, hs_volinfo *out);

/* The volume now lives on another server: drop its rows and data files
 * and remember its id in table `moved`.  ENOENT: not here. */
int vs_vol_release(struct vstore *vs, uint32_t vol);

/* 1 if volume vol is in this store, 0 if not, or -errno. */
int vs_vol_here(struct vstore *vs, uint32_t vol);
/* 1 if volume vol was released (moved away) and is not back, else 0. */
int vs_vol_moved(struct vstore *vs, uint32_t vol);

/* Internal to store_dump.c and store_restore.c: attach the SQLite file
 * at path to vice.db's connection as schema `as`; run one statement of
 * SQL text with ?1 bound to arg (if it has a parameter). */
int vs_dump_attach(struct vstore *vs, const char *path, const char *as);
int vs_dump_run(struct vstore *vs, const char *sql, int64_t arg);

#endif /* VICE_STORE_DUMP_H */
