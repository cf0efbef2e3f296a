/*
 * venus/util/extents.c - a bounded set of written byte ranges
 * (extents.h).  Insertion finds its place by binary search and moves the
 * ranges after it (n <= max, 1024 by default): a write's range usually
 * lands at the end or merges with a neighbour, and the set is per open
 * file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "venus/util/extents.h"

void ext_init(struct extset *e, unsigned max)
{
	memset(e, 0, sizeof(*e));
	e->max = max ? max : EXT_MAX_DEFAULT;
	if (e->max < 2)
		e->max = 2;
	e->cut = EXT_NO_CUT;
}

void ext_clear(struct extset *e)
{
	e->n = 0;
	e->cut = EXT_NO_CUT;
	e->whole = 0;
}

void ext_free(struct extset *e)
{
	free(e->r);
	e->r = NULL;
	e->n = e->cap = 0;
}

void ext_whole(struct extset *e)
{
	e->whole = 1;
	e->n = 0;
}

/* Merge the two neighbours with the smallest gap between them. */
static void merge_closest(struct extset *e)
{
	unsigned best = 0;
	uint64_t gap = UINT64_MAX;

	for (unsigned i = 0; i + 1 < e->n; i++) {
		uint64_t g = e->r[i + 1].off - e->r[i].end;

		if (g < gap) {
			gap = g;
			best = i;
		}
	}
	e->r[best].end = e->r[best + 1].end;
	memmove(&e->r[best + 1], &e->r[best + 2],
		(e->n - best - 2) * sizeof(e->r[0]));
	e->n--;
}

static int grow(struct extset *e)
{
	unsigned cap = e->cap ? e->cap * 2 : 8;
	struct ext_range *r;

	if (cap > e->max)
		cap = e->max;
	r = realloc(e->r, cap * sizeof(*r));
	if (!r)
		return ENOMEM;
	e->r = r;
	e->cap = cap;
	return 0;
}

int ext_add(struct extset *e, uint64_t off, uint64_t len)
{
	uint64_t end = len > UINT64_MAX - off ? UINT64_MAX : off + len;
	unsigned lo = 0, hi;

	if (e->whole || !len || end == off)
		return 0;
	/* First range that ends at or after off (touching merges): binary
	 * search, the ranges being ascending and disjoint. */
	hi = e->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (e->r[mid].end < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* hi: first range starting after end (not touching). */
	for (hi = lo; hi < e->n && e->r[hi].off <= end; hi++)
		;
	if (hi > lo) {
		/* [lo, hi) overlap or touch: fold them into one. */
		if (e->r[lo].off < off)
			off = e->r[lo].off;
		if (e->r[hi - 1].end > end)
			end = e->r[hi - 1].end;
		e->r[lo].off = off;
		e->r[lo].end = end;
		memmove(&e->r[lo + 1], &e->r[hi], (e->n - hi) * sizeof(e->r[0]));
		e->n -= hi - lo - 1;
		return 0;
	}
	if (e->n == e->cap && e->n < e->max && grow(e)) {
		ext_whole(e);
		return ENOMEM;
	}
	if (e->n == e->max) {
		/* Full: make room by merging, then place the new range. */
		merge_closest(e);
		return ext_add(e, off, end - off);
	}
	memmove(&e->r[lo + 1], &e->r[lo], (e->n - lo) * sizeof(e->r[0]));
	e->r[lo].off = off;
	e->r[lo].end = end;
	e->n++;
	return 0;
}

void ext_cut(struct extset *e, uint64_t size)
{
	if (size < e->cut)
		e->cut = size;
	while (e->n && e->r[e->n - 1].off >= size)
		e->n--;
	if (e->n && e->r[e->n - 1].end > size)
		e->r[e->n - 1].end = size;
}

uint64_t ext_bytes(const struct extset *e)
{
	uint64_t b = 0;

	for (unsigned i = 0; i < e->n; i++)
		b += e->r[i].end - e->r[i].off;
	return b;
}
