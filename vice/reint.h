/*
 * vice/reint.h - internals of reintegration (reint*.c), on top of the
 * store layer.
 */
#ifndef VICE_REINT_H
#define VICE_REINT_H

#include "store_int.h"
#include "fidset.h"

/* Most fids one record names: rename's two dirs, object, and spare. */
#define REINT_NAMES 4
/* Fids the failed records of a block may taint: each names at most one
 * object, recorded as sent and as resolved. */
#define REINT_BAD (2 * HS_REINT_MAX)

/* One block being applied. */
struct reint {
	struct vstore *vs;
	uint64_t client;        /* keys the local fids */
	struct vs_reint_info *info;
	hs_fid bad[REINT_BAD];  /* objects of records that failed */
	unsigned nbad;
	/* info->changed as a set: a linear search per note was quadratic
	 * in the block (setattrs of 1024 files: half a million compares). */
	struct fidset noted;
};

/* ---- reint_fids.c ---- */
/* Every fid rec names as input (dirs, objects, link target; not the
 * local fid a create makes): up to REINT_NAMES into out, count returned.
 * Pointers into rec, so that they can be resolved in place. */
unsigned reint_names(hs_cml_rec *rec, hs_fid *out[REINT_NAMES]);
/* The object rec is about (the file, the new object's local fid, the
 * link target, the removed or renamed object), or NULL if none. */
const hs_fid *reint_object(const hs_cml_rec *rec);
/* The local fid a create, mkdir or symlink record makes, else NULL. */
const hs_fid *reint_local(const hs_cml_rec *rec);
/* Replace a local fid (HS_LOCAL_VNODE) by its server fid: 0, ESTALE if
 * the client never created it, or an errno. */
int reint_resolve(struct reint *R, hs_fid *fid);

/* ---- reint_deps.c: records after a failure ---- */
/* rec failed: taint its object. */
void reint_taint(struct reint *R, const hs_cml_rec *rec);
/* Does rec name a tainted object (it must then get HS_ESKIPPED)? */
int reint_tainted(struct reint *R, hs_cml_rec *rec);

/* ---- reint_apply.c ---- */
/* Apply one record (its fids resolved) inside the open transaction; fill
 * res->obj and note the changed fids.  Returns its status. */
int reint_apply(struct reint *R, const hs_cml_rec *rec, hs_reint_result *res);
/* A record whose store id was applied before: status 0 and the object as
 * it is now. */
void reint_dup(struct reint *R, const hs_cml_rec *rec,
	       const struct vs_applied *ap, hs_reint_result *res);

#endif /* VICE_REINT_H */
