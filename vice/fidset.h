/*
 * vice/fidset.h - a set of fids (open addressing, linear probing).
 *
 * Used for one client's callback promises.  A fid with vnode 0 is never a
 * member (it marks empty slots).
 */
#ifndef VICE_FIDSET_H
#define VICE_FIDSET_H

#include "hesper.h"

/* Whether a and b name the same object. */
static inline int fid_eq(const hs_fid *a, const hs_fid *b)
{
	return a->volume == b->volume && a->vnode == b->vnode &&
	       a->unique == b->unique;
}

/* A well-mixed hash of f's three words (for open-addressed tables). */
static inline unsigned fid_hash(const hs_fid *f)
{
	uint64_t h = (uint64_t)f->volume * 0x9E3779B97F4A7C15ull;

	h ^= (uint64_t)f->vnode * 0xC2B2AE3D27D4EB4Full;
	h ^= (uint64_t)f->unique * 0x165667B19E3779F9ull;
	return (unsigned)(h ^ (h >> 32));
}

/* Zero-initialised is an empty set. */
struct fidset {
	hs_fid *slot;           /* cap slots; vnode 0 = empty */
	unsigned cap, n;        /* cap: 0 or a power of two */
};

/* Add fid: 0, or ENOMEM (the set is unchanged). */
int fidset_add(struct fidset *s, const hs_fid *fid);
/* Remove fid: 1 if it was a member, else 0. */
int fidset_del(struct fidset *s, const hs_fid *fid);
int fidset_has(const struct fidset *s, const hs_fid *fid);
/* Empty the set and free its memory. */
void fidset_clear(struct fidset *s);

#endif /* VICE_FIDSET_H */
