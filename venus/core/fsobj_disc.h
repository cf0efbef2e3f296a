/*
 * fsobj_disc.h - what core (fsobj) offers the repair layer (reint.c,
 * conflict*.c) and the control commands that show CML rows.  They reach
 * cached objects only through these functions: never struct fso, never
 * fso_tab, never a front end.  Errors are positive errnos, as in fsobj.h.
 */
#ifndef VENUS_FSOBJ_DISC_H
#define VENUS_FSOBJ_DISC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "hesper.h"   /* rpcgen: hs_fid, hs_reint_result */

struct cml_row;       /* cml.h */

/* A cached object as repair sees it (a copy; nothing to free). */
struct fso_disc_obj {
	hs_fid   fid;
	uint64_t ino;        /* local inode number */
	uint64_t parent;     /* best-known parent ino, 0 if unknown */
	int      type;       /* hs_ftype */
	uint32_t mode;       /* permission bits */
	uint32_t uid, gid;
	char     name[HS_MAXNAMELEN + 1];   /* name in parent; "" if unknown */
};

/* The object fid names, if venus holds it in memory.  0 or ENOENT. */
int fso_disc_get(const hs_fid *fid, struct fso_disc_obj *out);

/* Reintegration applied row (reint.c deleted it just before): vice's
 * version, local fid -> server fid (the front end is told: Coda's
 * REPLACE); o->cml is left to the block's settle.  reint.c rebases the
 * object's later records afterwards. */
void fso_reint_applied(const struct cml_row *row, const hs_reint_result *res);
/* The inos of the cached objects a CML row names: its object (the row's
 * ino if not in memory) and its directory (0 if none or not cached).
 * Taken before a block's results change fids (a local fid replaced). */
void fso_row_inos(const struct cml_row *row, uint64_t inos[2]);
/* fso_cml_settle for only these inos (0s and objects gone are skipped):
 * after a block, the objects its rows named, one indexed query each,
 * where fso_cml_settle queries every cached object. */
void fso_cml_settle_inos(const uint64_t *inos, size_t n);
/* A record of row's object was refused: stop trusting the cached copies
 * of the object and its directory, so that the server's version shows. */
void fso_conflict_refetch(const struct cml_row *row);
/* The path row is about, mount-relative ("/a/b"), for messages. */
void fso_row_path(const struct cml_row *row, char *buf, size_t len);
/* The records of fid were discarded or changed: recompute its CML mark
 * and drop a local-only object nothing names any more. */
void fso_local_discarded(const hs_fid *fid);

/* preservelocal: make the cached copy of fid (a regular file; otherwise
 * nothing happens) hold the bytes of fd: what vice will hold once the
 * preserved records are applied.  Not current until then.  The front end
 * drops what it cached of it. */
void fso_disc_show_local(const hs_fid *fid, int fd);
/* preservelocal of update/remove: inside an open CML transaction
 * (cml_begin), log a create of a new regular file with fid's name, mode
 * and owner in its last directory, replacing the entry there.  *out: the
 * new object.  ENOENT if fid is not a cached file with a known place. */
int fso_disc_recreate(const hs_fid *fid, struct fso_disc_obj *out);
/* The front end's cached name dir/name may be stale (after a commit that
 * changed it). */
void fso_disc_name_changed(uint64_t dir, const char *name);

#endif /* VENUS_FSOBJ_DISC_H */
