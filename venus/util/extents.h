/*
 * venus/util/extents.h - a bounded set of written byte ranges (issue 11,
 * "Written extents").
 *
 * Holds the ranges of one open file written since its last store, sorted
 * and merged (touching or overlapping ranges become one), and the
 * smallest size the file was cut to since then ("cut": bytes from cut on
 * no longer hold the base version's).  At most max ranges are kept: when
 * one more would not fit, the two neighbours with the smallest gap merge,
 * so the set only ever grows to cover more bytes, never fewer (a store of
 * the set sends a superset of what was written).  Memory failure turns
 * the set "whole": the store falls back to the whole file.
 *
 * Offsets and lengths are bytes; a range is [off, end), end > off.
 */
#ifndef VENUS_UTIL_EXTENTS_H
#define VENUS_UTIL_EXTENTS_H

#include <stddef.h>
#include <stdint.h>

/* Ranges kept per file before merging: HS_DELTA_MAX, what one delta
 * commit carries.  A checkpoint of a SQLite database writes its changed
 * pages scattered over the file (1000 WAL transactions: ~1000 pages);
 * with 256 the merges covered four times the bytes written. */
#define EXT_MAX_DEFAULT 1024
#define EXT_NO_CUT UINT64_MAX   /* cut when no truncation was noted */

struct ext_range {
	uint64_t off, end;
};

struct extset {
	struct ext_range *r;    /* ascending, disjoint, not touching */
	unsigned n, cap, max;
	uint64_t cut;           /* smallest size noted, EXT_NO_CUT if none */
	int whole;              /* extents unknown: store the whole file */
};

/* An empty set that keeps at most max ranges (0: EXT_MAX_DEFAULT). */
void ext_init(struct extset *e, unsigned max);
/* Forget everything (an empty set again, the same max). */
void ext_clear(struct extset *e);
void ext_free(struct extset *e);
/* Add [off, off + len); len 0 adds nothing.  A range reaching past
 * UINT64_MAX is clipped.  ENOMEM: the set became whole. */
int ext_add(struct extset *e, uint64_t off, uint64_t len);
/* The file was cut or extended to size: cut = min(cut, size); ranges at
 * or past size are dropped (those bytes are gone), one straddling size
 * is clipped. */
void ext_cut(struct extset *e, uint64_t size);
/* Extents unknown from now on (ext_clear starts over). */
void ext_whole(struct extset *e);
/* Bytes the ranges cover. */
uint64_t ext_bytes(const struct extset *e);

#endif /* VENUS_UTIL_EXTENTS_H */
