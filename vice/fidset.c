/*
 * vice/fidset.c - a set of fids: open addressing, linear probing, and
 * backward-shift deletion (no tombstones), kept at most 3/4 full.
 */
#include <errno.h>
#include <stdlib.h>
#include "fidset.h"

/* Slot holding fid, or the empty slot where it would go. */
static unsigned find(const struct fidset *s, const hs_fid *fid)
{
	unsigned i = fid_hash(fid) & (s->cap - 1);

	while (s->slot[i].vnode && !fid_eq(&s->slot[i], fid))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(struct fidset *s)
{
	unsigned cap = s->cap ? s->cap * 2 : 16, i;
	struct fidset t = { calloc(cap, sizeof(hs_fid)), cap, s->n };

	if (!t.slot || cap < s->cap) {
		free(t.slot);
		return ENOMEM;
	}
	for (i = 0; i < s->cap; i++)
		if (s->slot[i].vnode)
			t.slot[find(&t, &s->slot[i])] = s->slot[i];
	free(s->slot);
	*s = t;
	return 0;
}

int fidset_add(struct fidset *s, const hs_fid *fid)
{
	unsigned i;

	if (!fid->vnode)
		return 0;
	if ((s->n + 1) * 4 > s->cap * 3 && grow(s))
		return ENOMEM;
	i = find(s, fid);
	if (!s->slot[i].vnode) {
		s->slot[i] = *fid;
		s->n++;
	}
	return 0;
}

int fidset_has(const struct fidset *s, const hs_fid *fid)
{
	return s->cap && fid->vnode && s->slot[find(s, fid)].vnode;
}

int fidset_del(struct fidset *s, const hs_fid *fid)
{
	unsigned i, j, home, mask = s->cap - 1;

	if (!fidset_has(s, fid))
		return 0;
	i = find(s, fid);
	/* Pull later members of the probe run back over the hole. */
	for (j = (i + 1) & mask; s->slot[j].vnode; j = (j + 1) & mask) {
		home = fid_hash(&s->slot[j]) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->slot[i] = s->slot[j];
			i = j;
		}
	}
	s->slot[i].vnode = 0;
	s->n--;
	return 1;
}

void fidset_clear(struct fidset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}
