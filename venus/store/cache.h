/*
 * cache.h - container files and the cachesize/cachefiles bound.
 *
 * A container is <cachedir>/containers/<ino>: the whole contents of one
 * file.  This module knows each container's size, its last use and whether
 * it may be discarded (it may not while open or dirty: "pinned"), and
 * evicts least recently used unpinned containers to stay within the
 * configured bytes and number of files; files too big for the bound are
 * kept outside it (cache_set_big).  It knows nothing of vice.
 */
#ifndef VENUS_CACHE_H
#define VENUS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Create <cachedir>/containers if needed, and the reserve.  maxbytes/maxfiles: the bound
 * (0 = none).  0 or a positive errno. */
int cache_init(const char *cachedir, uint64_t maxbytes, uint64_t maxfiles);
/* The one pass over the containers (at start), in steps: each regular
 * file of the container directory (symlinks and others are left alone)
 * is made private (0600) if an older venus left it readable, then
 * keep(arg, ino, tmp, st) says whether it stays (1; the caller notes a
 * container with cache_note) or goes (0: unlinked); tmp is 1 for a
 * fetch's "<ino>.tmp".  Other names go unasked.  Files made or removed
 * while the pass is under way may or may not be seen (readdir(3)).
 * cache_scan_begin: 0 or the errno of opening the directory;
 * cache_scan_step: at most max entries, 1 while some are left, 0 once
 * the pass has ended; cache_scan_end abandons it (cache_fini too). */
typedef int (*cache_keep_fn)(void *arg, uint64_t ino, int tmp, const struct stat *st);
int cache_scan_begin(void);
int cache_scan_step(unsigned max, cache_keep_fn keep, void *arg);
void cache_scan_end(void);
/* Forget all bookkeeping (files stay on disk). */
void cache_fini(void);

/* The container's path, and the temporary path a fetch writes to. */
void cache_path(uint64_t ino, char *buf, size_t len);
void cache_tmp_path(uint64_t ino, char *buf, size_t len);

/* Record that ino's container exists with bytes of data, last used at
 * last_used (any monotonic clock; larger = more recent). */
void cache_note(uint64_t ino, uint64_t bytes, uint64_t last_used);
/* Mark ino's container as in use (open or dirty) or discardable. */
void cache_set_pinned(uint64_t ino, int pinned);
/* Unlink ino's container and forget it. */
void cache_drop(uint64_t ino);
/* 1 if ino has a container on record. */
int cache_has(uint64_t ino);

/* What a container whose stat(2) is st takes on the cache disk: its
 * allocated bytes, at most its size (a sparse file costs only its data). */
uint64_t cache_st_bytes(const struct stat *st);

/* Totals over all recorded containers. */
uint64_t cache_bytes(void);
uint64_t cache_files(void);

/* Containers of at least bytes (wholefilemaxsize; 0: none), and any
 * larger than maxbytes, are "big": the bound does not count them, so a
 * file the cache cannot hold never flushes the others.  The most recently
 * used big container is kept (a file just written or read is not fetched
 * again); other unpinned big ones are evicted at the next cache_trim. */
void cache_set_big(uint64_t bytes);

/* The eviction-priority hook: fn(arg, ino) is the priority of ino's
 * container (0: none, the default); higher ones are evicted last.  main.c
 * registers hoard's priority map (the hoard layer sits above the store).
 * Call after cache_init; cache_fini clears it. */
void cache_set_priority(unsigned (*fn)(void *arg, uint64_t ino), void *arg);

/* Evict unpinned big containers but the newest, then unpinned others,
 * those of the lowest priority (cache_set_priority, 0 for none) first
 * and among equals the least recently used, until the totals are within
 * the bound; evicted(arg, ino) runs after each one is unlinked.  Returns the
 * number evicted.  Pinned containers are never touched, so the bound can
 * be exceeded while they alone exceed it. */
unsigned cache_trim(void (*evicted)(void *arg, uint64_t ino), void *arg);

/* Evict unpinned containers (big ones first, then in cache_trim's order)
 * until the cache's file system has need bytes free (statvfs f_bavail), or
 * none is left to evict: a full disk makes room from clean copies before
 * anything fails with ENOSPC.  Returns the number evicted. */
unsigned cache_make_room(uint64_t need, void (*evicted)(void *arg, uint64_t ino),
			 void *arg);

/* 1 if the cache's file system has need bytes free (statvfs). */
int cache_room(uint64_t need);

/* <cachedir>/reserve: bytes kept allocated (fallocate) while the cache
 * disk has room, given back when a delete finds none, so that venus.db
 * can commit the delete on a disk full of dirty data; cache_make_room
 * takes it back once there is room again. */
#define CACHE_RESERVE (1u << 20)
/* Unlink the reserve: 1 if that freed space. */
int cache_release_reserve(void);

/* The next data extent of the file fd (a container or a CML copy) at or
 * after next and below size, cut to max bytes: 0 with *off and *n set
 * (*n 0: only a hole is left), or an errno.  SEEK_DATA/SEEK_HOLE
 * (lseek(2)); a file system without holes reports one extent. */
int cache_next_extent(int fd, uint64_t next, uint64_t size, uint64_t max,
		      uint64_t *off, uint64_t *n);

#endif /* VENUS_CACHE_H */
