/*
 * hoard_known.c - what the hoard entries cover according to the cache
 * alone (directory entries in venus.db, no RPC), and the priority map
 * eviction consults (hoard.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hesper/hoardcmd.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/store/db.h"
#include "venus/hoard/hoard_int.h"


unsigned hoard_priority(const struct hoard *h, uint64_t ino)
{
	return hoard_map_get(&h->prio_map, ino);
}

void hoard_map_note(struct hoard *h, uint64_t ino, unsigned prio)
{
	hoard_map_put(&h->prio_map, ino, prio);
}

/* The cached ino of a clean mount-relative path ("REALM/a/b"), or 0.
 * Mount points are crossed as lookup crosses them (fso_cached_child), so
 * an entry in another volume, maybe on another server, is found offline. */
static uint64_t resolve_cached(const char *path)
{
	char *copy = strdup(path), *comp, *save = NULL;
	uint64_t ino = FSO_ROOT_INO;

	if (!copy)
		return 0;
	for (comp = strtok_r(copy, "/", &save); comp && ino;
	     comp = strtok_r(NULL, "/", &save))
		ino = fso_cached_child(ino, comp);
	free(copy);
	return ino;
}

/* A directory waiting to have its children listed. */
struct kdir {
	uint64_t ino;
	char    *path;
};

struct known {
	const struct hoard       *h;
	hoard_known_fn            fn;
	void                     *arg;
	const struct hoard_entry *e;
	unsigned long             count;   /* objects reported */
	struct kdir              *stack;
	size_t                    sp, cap;
	int                       deep;    /* push the children too */
	const char               *parent;  /* path of the directory listed */
	uint64_t                  pino;    /* and its ino */
};

static char *join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir, *dir ? "/" : "", name) < 0)
		return NULL;
	return p;
}

static void report(struct known *k, const char *path, uint64_t ino)
{
	if (k->count < HOARD_WALK_MAX) {
		k->count++;
		k->fn(k->arg, k->e, path, ino);
	}
}

static int push(struct known *k, uint64_t ino, char *path)
{
	if (k->sp == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct kdir *s = realloc(k->stack, cap * sizeof *s);

		if (!s)
			return -1;
		k->stack = s;
		k->cap = cap;
	}
	k->stack[k->sp].ino = ino;
	k->stack[k->sp++].path = path;
	return 0;
}

static int child(void *arg, const char *name, uint64_t ino)
{
	struct known *k = arg;
	char *path = join(k->parent, name);
	uint64_t crossed = fso_cached_child(k->pino, name);

	if (!path)
		return 1;
	if (crossed)
		ino = crossed;   /* a mount point: its volume's root */
	report(k, path, ino);
	if (!k->deep || push(k, ino, path))
		free(path);
	return k->count >= HOARD_WALK_MAX;
}

/* The children (deep: all descendants) of directory ino at path. */
static void below(struct known *k, uint64_t ino, const char *path)
{
	char *top = strdup(path);

	if (!top || push(k, ino, top)) {
		free(top);
		return;
	}
	while (k->sp) {
		struct kdir d = k->stack[--k->sp];

		k->parent = d.path;
		k->pino = d.ino;
		if (k->count < HOARD_WALK_MAX)
			db_dirent_foreach(V->db, d.ino, child, k);
		free(d.path);
	}
}

static void member(void *arg, const char *path)
{
	report(arg, path, resolve_cached(path));
}

static void known_entry(struct known *k, const struct hoard_entry *e)
{
	uint64_t ino = resolve_cached(e->path);

	k->e = e;
	report(k, e->path, ino);
	if (!ino || !(e->flags & HOARD_CHILDREN))
		return;
	if (e->expanded && !(e->flags & HOARD_FUTURE)) {
		hoard_members(k->h, e->path, member, k);
		return;
	}
	k->deep = (e->flags & HOARD_ALL) != 0;
	below(k, ino, e->path);
}

void hoard_foreach_known(const struct hoard *h, hoard_known_fn fn, void *arg)
{
	struct known k = { .h = h, .fn = fn, .arg = arg };
	size_t n;
	const struct hoard_entry *v = hoard_entries(h, &n);

	for (size_t i = 0; i < n && k.count < HOARD_WALK_MAX; i++)
		known_entry(&k, &v[i]);
	free(k.stack);
}

/* Entries come ancestors first, so a closer entry overwrites. */
static void set_prio(void *arg, const struct hoard_entry *e, const char *path,
		     uint64_t ino)
{
	if (ino)
		hoard_map_put(arg, ino, e->prio);
}

void hoard_map_rebuild(struct hoard *h)
{
	struct hoard_map m = { 0 };
	size_t n;

	if (hoard_entries(h, &n) && n)
		hoard_foreach_known(h, set_prio, &m);
	hoard_map_free(&h->prio_map);
	h->prio_map = m;
}
