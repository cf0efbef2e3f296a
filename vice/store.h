/*
 * vice/store.h - vice's storage: SQLite metadata plus one data file per
 * regular file, under one root directory.
 *
 * Layout: <root>/vice.db (WAL, synchronous=FULL), <root>/data/<vol>/
 * <vnode>.<uniq> (file contents), <root>/data/tmp/<client>.<seq> (store
 * chunks staged under their store id until the commit).
 *
 * Every function returns a wire status: 0, a positive errno (ESTALE for an
 * unknown fid, ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, EXDEV,
 * ENOSPC, EIO, ...) or HS_ECONFLICT.  Results are rpcgen structs; strings
 * and arrays in them are malloc'd, so xdr_free() releases them.
 *
 * Mutations take a store id.  One already applied is not applied again:
 * the call reports the current state and sets *dup.  The store id {0,0}
 * means "none" and is never recorded.
 *
 * Single-threaded: one struct vstore is used from one thread only.
 */
#ifndef VICE_STORE_H
#define VICE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "hesper.h"

struct vstore;

/* What a new object is made of (create, mkdir, symlink). */
struct vs_new {
	hs_fid dir;
	hs_storeid sid;
	const char *name;
	hs_ftype type;
	unsigned mode;          /* permission bits; ignored for symlinks */
	unsigned uid, gid;
	hs_time mtime;          /* client's clock; {0,0}: use the server's */
	const char *target;     /* symlinks only */
};

/* Open (creating on first use) the store under root.  First start makes
 * volume "root" (id 1, root dir 1.1.1, mode 0777).  Returns 0 or -errno
 * with a message in err. */
int vs_open(const char *root, struct vstore **out, char *err, size_t errlen);
/* Close the database and free vs (NULL is fine). */
void vs_close(struct vstore *vs);
/* Random id of this server, chosen on first start. */
uint64_t vs_server_id(const struct vstore *vs);

/* 0, EINVAL ("", ".", "..", contains '/') or ENAMETOOLONG (> 255 bytes). */
int vs_name_check(const char *name);

/* Volume by name ("" means "root"): ENOENT if unknown. */
int vs_getroot(struct vstore *vs, const char *name, hs_volinfo *out);
/* All volumes (at most HS_MAXVOLS). */
int vs_listvol(struct vstore *vs, hs_vollist *out);

int vs_getattr(struct vstore *vs, const hs_fid *fid, hs_attr *out);
int vs_lookup(struct vstore *vs, const hs_fid *dir, const char *name,
	      hs_lookup_ok *out);
/* A page of at most count entries (0 or more than HS_READDIR_MAX mean
 * HS_READDIR_MAX) after cookie; the cookie is a position in a stable
 * order, 0 starts.  "." and ".." are not listed. */
int vs_readdir(struct vstore *vs, const hs_fid *dir, uint64_t cookie,
	       unsigned count, hs_readdir_ok *out);
int vs_readlink(struct vstore *vs, const hs_fid *fid, char **target);
/* Up to count bytes (clamped to HS_CHUNK_MAX) from off; short at EOF. */
int vs_fetch(struct vstore *vs, const hs_fid *fid, uint64_t off,
	     unsigned count, hs_fetch_ok *out);

/* Stage one chunk of a store (not fsync'd until the commit). */
int vs_store_chunk(struct vstore *vs, const hs_store_chunk_args *a, int *dup);
/* Make the staged data the file's contents, cut or zero-extended to
 * a->size.  ENOENT if size > 0 and nothing was staged under a->sid. */
int vs_store_commit(struct vstore *vs, const hs_store_commit_args *a,
		    hs_attr *out, int *dup);
/* Remove what is staged under sid (a store that will never commit). */
void vs_stage_drop(struct vstore *vs, const hs_storeid *sid);

int vs_setattr(struct vstore *vs, const hs_setattr_args *a, hs_attr *out,
	       int *dup);
int vs_create(struct vstore *vs, const struct vs_new *n, hs_create_ok *out,
	      int *dup);
int vs_link(struct vstore *vs, const hs_link_args *a, hs_create_ok *out,
	    int *dup);
/* remove (isdir 0) or rmdir (isdir 1).  a->obj with vnode 0 is not
 * checked; else it must be what the entry names (HS_ECONFLICT). */
int vs_remove(struct vstore *vs, const hs_remove_args *a, int isdir,
	      hs_remove_ok *out, int *dup);
int vs_rename(struct vstore *vs, const hs_rename_args *a, hs_rename_ok *out,
	      int *dup);

#endif /* VICE_STORE_H */
