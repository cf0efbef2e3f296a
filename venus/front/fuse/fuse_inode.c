/*
 * fuse_inode.c - what the FUSE front end remembers per kernel inode.
 *
 * Two facts: a directory's parent (for ".." in readdir) and the
 * dataversion whose pages the kernel caches (so open can set keep_cache).
 * Entries go at forget, when the kernel has dropped the inode and its
 * pages; losing one only costs a page cache refill, never staleness.
 */
#include <stdlib.h>

#include "fuse_int.h"

#define HF_BUCKETS 4096   /* power of two */

struct hf_inode {
	struct hf_inode *next;
	uint64_t         ino;
	uint64_t         parent;     /* 0: unknown */
	uint64_t         dv;
	int              dv_valid;
};

static struct hf_inode *hf_table[HF_BUCKETS];

static struct hf_inode **hf_slot(uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull;   /* Fibonacci hashing */

	return &hf_table[h >> 52 & (HF_BUCKETS - 1)];
}

static struct hf_inode *hf_find(uint64_t ino)
{
	struct hf_inode *i;

	for (i = *hf_slot(ino); i && i->ino != ino; i = i->next)
		;
	return i;
}

/* NULL only when out of memory; callers then fall back to defaults. */
static struct hf_inode *hf_get(uint64_t ino)
{
	struct hf_inode *i = hf_find(ino), **slot;

	if (i)
		return i;
	if (!(i = calloc(1, sizeof(*i))))
		return NULL;
	slot = hf_slot(ino);
	i->ino = ino;
	i->next = *slot;
	*slot = i;
	return i;
}

void hf_inode_set_parent(uint64_t ino, uint64_t parent)
{
	struct hf_inode *i = hf_get(ino);

	if (i)
		i->parent = parent;
}

uint64_t hf_inode_parent(uint64_t ino)
{
	struct hf_inode *i = hf_find(ino);

	if (ino == FSO_ROOT_INO || !i || !i->parent)
		return FSO_ROOT_INO;
	return i->parent;
}

int hf_inode_keep_cache(uint64_t ino, uint64_t dv)
{
	struct hf_inode *i = hf_get(ino);
	int keep;

	if (!i)
		return 0;
	keep = i->dv_valid && i->dv == dv;
	i->dv = dv;
	i->dv_valid = 1;
	return keep;
}

void hf_inode_forget(uint64_t ino)
{
	struct hf_inode **pp = hf_slot(ino), *i;

	for (; (i = *pp) != NULL; pp = &i->next) {
		if (i->ino == ino) {
			*pp = i->next;
			free(i);
			return;
		}
	}
}

void hf_inode_clear(void)
{
	for (size_t b = 0; b < HF_BUCKETS; b++) {
		while (hf_table[b]) {
			struct hf_inode *i = hf_table[b];

			hf_table[b] = i->next;
			free(i);
		}
	}
}
