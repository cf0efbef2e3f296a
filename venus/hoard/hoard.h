/*
 * hoard.h - venus's hoard database and hoard walks (doc/hoard.1).
 *
 * Entries (table hoard in venus.db) name mount-relative paths with a
 * priority 1..1000 and flags (hesper/hoardcmd.h).  A walk (hoard_walk.c)
 * resolves every entry and fetches the objects it covers, so that they are
 * cached when vice becomes unreachable; walks run every
 * HOARD_WALK_INTERVAL seconds and on demand (`hoard walk`).  Eviction asks
 * hoard_priority() (through cache.c's priority hook) and discards
 * low-priority objects first.
 *
 * c and d entries cover the children (descendants) present when the
 * entry is first walked or expanded (the hoard tool asks right after an
 * add): that records them in table hoard_member and marks the entry
 * expanded.  c+ and d+ entries are re-read at every walk
 * (Coda's meanings, hesper/hoardcmd.h).
 */
#ifndef VENUS_HOARD_H
#define VENUS_HOARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Seconds between periodic walks (Coda's default; a venus.conf key,
 * hoard_interval, can replace this once config.c grows one). */
#define HOARD_WALK_INTERVAL 600
/* Objects visited per walk (and per offline traversal) at most. */
#define HOARD_WALK_MAX 100000

/* One entry of the hoard database. */
struct hoard_entry {
	char    *path;      /* clean mount-relative path; "" = the root */
	unsigned prio;      /* HOARD_PRIO_MIN..HOARD_PRIO_MAX */
	unsigned flags;     /* HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE */
	uid_t    uid;       /* who added or last modified it */
	int      expanded;  /* c/c+: members recorded in hoard_member */
};

/* One hoard: its database copy, priority map and walks; opaque.  main.c
 * makes the one instance (V->hoard) and passes it to everything below. */
struct hoard;

/* ---- for main.c ---- */

/* Make *h: load the entries (converting an old release's rows once),
 * build the priority map and arm the periodic walk.  Call after fso_init().  0 or a
 * positive errno (logged); *h is to be freed with hoard_free either way. */
int hoard_init(struct hoard **h);
/* Stop walks and timers and free the entries.  Call before srv_stop(): a
 * walk waiting on vice then ends at its next reply.  NULL is fine. */
void hoard_fini(struct hoard *h);
/* Free h, after srv_stop (an orphaned walk may still end until then). */
void hoard_free(struct hoard *h);

/* ---- for cache.c's eviction-priority hook (main.c registers it) ---- */

/* The priority of the closest hoard entry covering ino (0 = none).  A
 * hash look-up: cheap enough per eviction candidate. */
unsigned hoard_priority(const struct hoard *h, uint64_t ino);

/* ---- the database (hoard.c), for ctl_hoard.c and hoard_walk.c ---- */

/* Add path, or replace its entry. */
int hoard_put(struct hoard *h, const char *path, unsigned prio, unsigned flags, uid_t uid);
/* Change an existing entry: ENOENT if there is none. */
int hoard_modify(struct hoard *h, const char *path, unsigned prio, unsigned flags, uid_t uid);
/* ENOENT if there is no such entry. */
int hoard_delete(struct hoard *h, const char *path);
/* Remove every entry (uid HOARD_ALL_UIDS) or those uid added. */
int hoard_clear(struct hoard *h, long uid);
/* `hoard on` / `hoard off`: allow or stop periodic walks (demand walks
 * still run).  Not kept across restarts, as in Coda (hdb.cc). */
void hoard_set_periodic(struct hoard *h, int on);
int hoard_periodic(const struct hoard *h);
/* The entries, ancestors before descendants; valid until the next change
 * of the database. */
const struct hoard_entry *hoard_entries(const struct hoard *h, size_t *n);
/* Record the members of a c/c+ entry (paths, mount-relative) and mark it
 * expanded. */
int hoard_set_members(struct hoard *h, const char *entry, char *const *paths, size_t n);
/* Call fn for each member of an expanded entry. */
int hoard_members(const struct hoard *h, const char *entry, void (*fn)(void *arg, const char *path), void *arg);

/* What the cache knows, without asking vice: fn(arg, e, path, ino) for the
 * entry's object and each object it covers (path mount-relative; ino 0
 * when the path does not resolve in the cache).  Bounded by
 * HOARD_WALK_MAX objects. */
typedef void (*hoard_known_fn)(void *arg, const struct hoard_entry *e,
			       const char *path, uint64_t ino);
void hoard_foreach_known(const struct hoard *h, hoard_known_fn fn, void *arg);

/* ---- the priority map (hoard.c) ---- */

/* Give ino priority prio (a walk found it under an entry). */
void hoard_map_note(struct hoard *h, uint64_t ino, unsigned prio);
/* Recompute the map from the database and the cache. */
void hoard_map_rebuild(struct hoard *h);

/* ---- walks (hoard_walk.c) ---- */

/* Progress of one walk. */
struct hoard_walk_info {
	unsigned      id;
	int           running;
	int           status;     /* when done: 0 or an errno */
	unsigned long objects;    /* visited */
	unsigned long fetched;    /* files whose data came from vice */
	unsigned long errors;     /* objects that failed */
	size_t        nlines;     /* messages so far */
};

/* Start a walk, or join the one running.  Returns its id (never 0), or 0
 * if it could not start (ENOMEM). */
unsigned hoard_walk_start(struct hoard *h);
/* Start an expansion: list the directories of c and d entries not yet
 * expanded and record their members, fetching no file data (what Coda's
 * hoard does at `add`).  Joins a running walk instead.  Id as above. */
unsigned hoard_walk_expand(struct hoard *h);
/* The walk id (the current or the last one).  ESRCH if it is gone. */
int hoard_walk_get(const struct hoard *h, unsigned id, struct hoard_walk_info *wi);
/* Message i (0-based) of walk id, or NULL. */
const char *hoard_walk_line(const struct hoard *h, unsigned id, size_t i);
/* fn(arg, 0) runs whenever a walk ends, fn(arg, 1) at shutdown (one
 * listener: ctl_hoard.c). */
void hoard_walk_listen(void (*fn)(void *arg, int final), void *arg);
/* End walks for shutdown (hoard_fini). */
void hoard_walk_fini(struct hoard *h);

/* ---- hoard_map.c: ino -> unsigned ---- */

struct hoard_map {
	uint64_t *keys;   /* 0 = empty slot */
	unsigned *vals;
	size_t    cap, n;
};
/* Insert or replace (best effort: dropped when out of memory). */
void hoard_map_put(struct hoard_map *m, uint64_t ino, unsigned val);
/* 0 if absent. */
unsigned hoard_map_get(const struct hoard_map *m, uint64_t ino);
void hoard_map_free(struct hoard_map *m);

#endif /* VENUS_HOARD_H */
