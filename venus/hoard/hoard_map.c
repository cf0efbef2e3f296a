/*
 * hoard_map.c - a hash map from ino to an unsigned value (hoard.h): open
 * addressing with linear probing, so that a look-up per eviction candidate
 * costs a few memory reads.
 */
#include <stdlib.h>
#include <string.h>
#include "venus/hoard/hoard.h"

static size_t slot(const struct hoard_map *m, uint64_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 16) & (m->cap - 1);
}

/* Double the table (or make the first one).  0 or -1. */
static int grow(struct hoard_map *m)
{
	struct hoard_map n = { .cap = m->cap ? m->cap * 2 : 256 };

	n.keys = calloc(n.cap, sizeof *n.keys);
	n.vals = calloc(n.cap, sizeof *n.vals);
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			hoard_map_put(&n, m->keys[i], m->vals[i]);
	hoard_map_free(m);
	*m = n;
	return 0;
}

void hoard_map_put(struct hoard_map *m, uint64_t ino, unsigned val)
{
	size_t i;

	if (!ino || ((m->n + 1) * 2 > m->cap && grow(m)))
		return;
	for (i = slot(m, ino); m->keys[i] && m->keys[i] != ino; i = (i + 1) & (m->cap - 1))
		;
	if (!m->keys[i])
		m->n++;
	m->keys[i] = ino;
	m->vals[i] = val;
}

unsigned hoard_map_get(const struct hoard_map *m, uint64_t ino)
{
	if (!m->cap || !ino)
		return 0;
	for (size_t i = slot(m, ino); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == ino)
			return m->vals[i];
	return 0;
}

void hoard_map_free(struct hoard_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}
