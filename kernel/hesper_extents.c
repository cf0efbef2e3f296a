// SPDX-License-Identifier: GPL-2.0
/*
 * hesper_extents.c - which bytes an open file changed, for the extended
 * CLOSE (HCFS_O_EXTENTS, see coda_abi.h).
 *
 * Each writable open keeps a sorted list of at most HCFS_EXTENTS_MAX
 * disjoint byte ranges plus "cut", the smallest size a truncate set.  The
 * list is allocated at open (GFP_KERNEL); without it CLOSE carries the plain written flag and venus stores the
 * whole file.  A range that does not fit is merged with its neighbours:
 * the two ranges with the smallest gap between them become one, so the
 * list over-covers (venus sends a few unchanged bytes) but never misses a
 * write.  The lock is a spinlock because page_mkwrite runs under the
 * mmap lock and must not sleep on our account.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/limits.h>
#include "hesper.h"

struct hcfs_ranges {
	spinlock_t		lock;
	u32			count;	/* used entries of ext[] */
	u64			cut;	/* HCFS_CUT_NONE or the smallest size */
	/* one spare entry: an insert may overflow before the merge */
	struct hcfs_extent	ext[HCFS_EXTENTS_MAX + 1];
};

struct hcfs_ranges *hcfs_ranges_new(void)
{
	struct hcfs_ranges *rg = kzalloc(sizeof(*rg), GFP_KERNEL);

	if (!rg)
		return NULL;
	spin_lock_init(&rg->lock);
	rg->cut = HCFS_CUT_NONE;
	return rg;
}

void hcfs_ranges_free(struct hcfs_ranges *rg)
{
	kfree(rg);
}

static u64 ext_end(const struct hcfs_extent *e)
{
	return e->off + e->len;
}

/* Over the bound: join the two neighbours with the smallest gap. */
static void hcfs_ranges_merge_closest(struct hcfs_ranges *rg)
{
	u32 i, best = 0;
	u64 gap, best_gap = U64_MAX;

	for (i = 0; i + 1 < rg->count; i++) {
		gap = rg->ext[i + 1].off - ext_end(&rg->ext[i]);
		if (gap < best_gap) {
			best_gap = gap;
			best = i;
		}
	}
	rg->ext[best].len = ext_end(&rg->ext[best + 1]) - rg->ext[best].off;
	memmove(&rg->ext[best + 1], &rg->ext[best + 2],
		(rg->count - best - 2) * sizeof(rg->ext[0]));
	rg->count--;
}

/* [off, off + len) was (or may have been) written through open hf. */
void hcfs_ranges_add(struct hcfs_file *hf, u64 off, u64 len)
{
	struct hcfs_ranges *rg = hf->rg;
	u64 end;
	u32 i, j, n;

	if (!rg || !len)
		return;
	if (len > U64_MAX - off)
		len = U64_MAX - off;
	end = off + len;
	spin_lock(&rg->lock);
	n = rg->count;
	/* i: first range ending at or after off (touching ranges join);
	 * j: first range starting after end */
	for (i = 0; i < n && ext_end(&rg->ext[i]) < off; i++)
		;
	for (j = i; j < n && rg->ext[j].off <= end; j++)
		;
	if (i < j) {
		u64 s = min(off, rg->ext[i].off);
		u64 e = max(end, ext_end(&rg->ext[j - 1]));

		rg->ext[i].off = s;
		rg->ext[i].len = e - s;
		memmove(&rg->ext[i + 1], &rg->ext[j], (n - j) * sizeof(rg->ext[0]));
		rg->count = n - (j - i - 1);
	} else {
		memmove(&rg->ext[i + 1], &rg->ext[i], (n - i) * sizeof(rg->ext[0]));
		rg->ext[i].off = off;
		rg->ext[i].len = len;
		rg->count = n + 1;
		if (rg->count > HCFS_EXTENTS_MAX)
			hcfs_ranges_merge_closest(rg);
	}
	spin_unlock(&rg->lock);
}

/* A truncate through (or while) open hf set the size to size bytes. */
void hcfs_ranges_cut(struct hcfs_file *hf, u64 size)
{
	struct hcfs_ranges *rg = hf->rg;

	if (!rg)
		return;
	spin_lock(&rg->lock);
	if (size < rg->cut)
		rg->cut = size;
	spin_unlock(&rg->lock);
}

/*
 * The extended CLOSE for hf (flags: HCFS_O_* to send; HCFS_O_EXTENTS is
 * added here), kmalloc'ed, its length in *size; NULL when hf has no usable
 * ranges (send the plain written flag: the whole file).
 */
struct hcfs_close_in *hcfs_ranges_close_msg(struct hcfs_file *hf, int flags,
					    int *size)
{
	struct hcfs_ranges *rg = hf->rg;
	struct hcfs_close_in *in;

	if (!rg)
		return NULL;
	in = kzalloc(HCFS_CLOSE_IN_SIZE(HCFS_EXTENTS_MAX), GFP_KERNEL);
	if (!in)
		return NULL;
	spin_lock(&rg->lock);
	if (WARN_ON_ONCE(rg->count > HCFS_EXTENTS_MAX)) {
		spin_unlock(&rg->lock);
		kfree(in);
		return NULL;
	}
	in->count = rg->count;
	in->cut = rg->cut;
	memcpy(in->ext, rg->ext, rg->count * sizeof(rg->ext[0]));
	spin_unlock(&rg->lock);
	in->oi.ih.opcode = HCFS_CLOSE;
	in->oi.flags = flags | HCFS_O_EXTENTS;
	*size = HCFS_CLOSE_IN_SIZE(in->count);
	return in;
}
