/*
 * vice/fidset.h - a set of fids (open addressing, linear probing).
 *
 * Used for one client's callback promises.  A fid with vnode 0 is never a
 * member (it marks empty slots).
 */
#ifndef VICE_FIDSET_H
#define VICE_FIDSET_H

#include "hesper.h"

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
