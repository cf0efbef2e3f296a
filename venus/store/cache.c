/*
 * cache.c - container bookkeeping and LRU eviction (see cache.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/store/cache.h"

struct cent {
	uint64_t     ino;
	uint64_t     bytes;
	uint64_t     last_used;
	int          pinned;
	unsigned     prio;     /* hoard priority, as candidates() found it */
	struct cent *next;     /* hash chain */
};

static struct {
	char         *dir;       /* <cachedir>/containers */
	uint64_t      maxbytes, maxfiles;
	uint64_t      bytes, files;
	uint64_t      bigmin;    /* wholefilemaxsize; 0: none */
	char         *reserve;   /* <cachedir>/reserve */
	int           spent;     /* the reserve was released */
	uint64_t      bigbytes;  /* bytes in big containers (outside the bound) */
	struct cent **tab;
	size_t        nbuckets;
	unsigned    (*prio)(void *arg, uint64_t ino);   /* eviction hook */
	DIR          *scan;      /* the pass over the containers, under way */
	unsigned      scan_fixed;/* ... files it made private */
	void         *prio_arg;
} C;

void cache_set_priority(unsigned (*fn)(void *arg, uint64_t ino), void *arg)
{
	C.prio = fn;
	C.prio_arg = arg;
}

static size_t bucket(uint64_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 17) & (C.nbuckets - 1);
}

static struct cent *find(uint64_t ino)
{
	struct cent *e;

	if (!C.tab)
		return NULL;
	for (e = C.tab[bucket(ino)]; e; e = e->next)
		if (e->ino == ino)
			return e;
	return NULL;
}

/* 1 if the cache's file system has need bytes free (or cannot tell). */
static int has_room(uint64_t need)
{
	struct statvfs sv;

	if (statvfs(C.dir ? C.dir : ".", &sv))
		return 1;
	return (uint64_t)sv.f_bavail * sv.f_frsize >= need;
}

/* A container the cachesize bound does not count: one the cache cannot
 * hold, or at least wholefilemaxsize (which Coda caches partially). */
static int is_big(uint64_t bytes)
{
	return (C.bigmin && bytes >= C.bigmin) || (C.maxbytes && bytes > C.maxbytes);
}

/* Double the table when it is full on average. */
static void grow(void)
{
	size_t n = C.nbuckets ? C.nbuckets * 2 : 1024, i;
	struct cent **old = C.tab, **tab = calloc(n, sizeof(*tab));
	size_t oldn = C.nbuckets;

	if (!tab)
		return;
	C.tab = tab;
	C.nbuckets = n;
	for (i = 0; i < oldn; i++) {
		struct cent *e = old[i], *next;

		for (; e; e = next) {
			size_t b = bucket(e->ino);

			next = e->next;
			e->next = tab[b];
			tab[b] = e;
		}
	}
	free(old);
}

/* Allocate the reserve, or what is missing of it (what fits stays). */
static void reserve_fill(void)
{
	int fd;

	if (!C.spent || !C.reserve)
		return;
	fd = open(C.reserve, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	C.spent = posix_fallocate(fd, 0, CACHE_RESERVE) != 0;
	close(fd);
}

int cache_release_reserve(void)
{
	struct stat st;

	if (!C.reserve || stat(C.reserve, &st) || !st.st_blocks)
		return 0;
	C.spent = 1;
	if (unlink(C.reserve))
		return 0;
	vlog(LOG_WARNING, "cache disk full: reserve released for a delete");
	return 1;
}

/* Containers hold users' file data: an older venus, or a loose umask,
 * may have left some readable by others (an upgrade); make them 0600.
 * 1 if it was fixed. */
static int make_private(int dfd, const char *name, const struct stat *st)
{
	return (st->st_mode & 077) && fchmodat(dfd, name, st->st_mode & 0600, 0) == 0;
}

/* See cache.h.  The one pass over the container directory: a second one
 * (the privacy fix had its own) cost another fstatat per container, and
 * the pass runs a chunk per turn of the loop so that a start with
 * 100,000 containers mounts before it ends. */
int cache_scan_begin(void)
{
	cache_scan_end();
	if (!(C.scan = opendir(C.dir ? C.dir : ".")))
		return errno;
	C.scan_fixed = 0;
	return 0;
}

void cache_scan_end(void)
{
	if (C.scan)
		closedir(C.scan);
	C.scan = NULL;
	if (C.scan_fixed)
		vlog(LOG_NOTICE, "%s: %u container files made private (0600)", C.dir,
		     C.scan_fixed);
	C.scan_fixed = 0;
}

/* One directory entry of the pass. */
static void scan_one(const char *name, cache_keep_fn keep, void *arg)
{
	int dfd = dirfd(C.scan);
	struct stat st;
	char *end;
	uint64_t ino;

	if (name[0] == '.' || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return;   /* gone meanwhile, or not a file: never a container */
	C.scan_fixed += make_private(dfd, name, &st);
	ino = strtoull(name, &end, 10);
	if (!ino || (*end && strcmp(end, ".tmp")) || !keep(arg, ino, *end != 0, &st))
		unlinkat(dfd, name, 0);
}

int cache_scan_step(unsigned max, cache_keep_fn keep, void *arg)
{
	struct dirent *e;

	while (C.scan && max--) {
		if (!(e = readdir(C.scan))) {
			cache_scan_end();
			return 0;
		}
		scan_one(e->d_name, keep, arg);
	}
	return C.scan != NULL;
}

int cache_init(const char *cachedir, uint64_t maxbytes, uint64_t maxfiles)
{
	cache_fini();
	if (asprintf(&C.dir, "%s/containers", cachedir) < 0) {
		C.dir = NULL;
		return ENOMEM;
	}
	if (mkdir(C.dir, 0700) && errno != EEXIST) {
		int err = errno;

		vlog(LOG_ERR, "%s: %s", C.dir, strerror(err));
		return err;
	}
	if (chmod(C.dir, 0700) < 0)
		vlog(LOG_WARNING, "%s: %s", C.dir, strerror(errno));
	C.maxbytes = maxbytes;
	C.maxfiles = maxfiles;
	if (asprintf(&C.reserve, "%s/reserve", cachedir) < 0) {
		C.reserve = NULL;
		return ENOMEM;
	}
	C.spent = 1;
	reserve_fill();
	grow();
	return C.tab ? 0 : ENOMEM;
}

void cache_fini(void)
{
	size_t i;

	cache_scan_end();
	for (i = 0; i < C.nbuckets; i++) {
		struct cent *e = C.tab[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(C.tab);
	free(C.dir);
	free(C.reserve);
	memset(&C, 0, sizeof(C));
}

void cache_path(uint64_t ino, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%" PRIu64, C.dir ? C.dir : ".", ino);
}

void cache_tmp_path(uint64_t ino, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%" PRIu64 ".tmp", C.dir ? C.dir : ".", ino);
}

void cache_note(uint64_t ino, uint64_t bytes, uint64_t last_used)
{
	struct cent *e = find(ino);

	if (!e) {
		if (C.files >= C.nbuckets)
			grow();
		if (!C.tab || !(e = calloc(1, sizeof(*e))))
			return;
		e->ino = ino;
		e->next = C.tab[bucket(ino)];
		C.tab[bucket(ino)] = e;
		C.files++;
	}
	C.bytes = C.bytes - e->bytes + bytes;
	C.bigbytes = C.bigbytes - (is_big(e->bytes) ? e->bytes : 0) +
		(is_big(bytes) ? bytes : 0);
	e->bytes = bytes;
	e->last_used = last_used;
}

void cache_set_pinned(uint64_t ino, int pinned)
{
	struct cent *e = find(ino);

	if (e)
		e->pinned = pinned;
}

int cache_room(uint64_t need)
{
	return has_room(need);
}

int cache_has(uint64_t ino)
{
	return find(ino) != NULL;
}

static void forget(uint64_t ino)
{
	struct cent **pp, *e;

	if (!C.tab)
		return;
	for (pp = &C.tab[bucket(ino)]; (e = *pp); pp = &e->next) {
		if (e->ino == ino) {
			*pp = e->next;
			C.bytes -= e->bytes;
			C.bigbytes -= is_big(e->bytes) ? e->bytes : 0;
			C.files--;
			free(e);
			return;
		}
	}
}

void cache_drop(uint64_t ino)
{
	char path[4096];

	cache_path(ino, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		vlog(LOG_WARNING, "%s: %s", path, strerror(errno));
	forget(ino);
}

uint64_t cache_st_bytes(const struct stat *st)
{
	uint64_t alloc = (uint64_t)st->st_blocks * 512;

	return alloc < (uint64_t)st->st_size ? alloc : (uint64_t)st->st_size;
}

uint64_t cache_bytes(void)
{
	return C.bytes;
}

uint64_t cache_files(void)
{
	return C.files;
}

void cache_set_big(uint64_t bytes)
{
	size_t i;

	C.bigmin = bytes;
	C.bigbytes = 0;
	for (i = 0; i < C.nbuckets; i++)
		for (struct cent *e = C.tab[i]; e; e = e->next)
			C.bigbytes += is_big(e->bytes) ? e->bytes : 0;
}

static int over(void)
{
	return (C.maxbytes && C.bytes - C.bigbytes > C.maxbytes) ||
	       (C.maxfiles && C.files > C.maxfiles);
}

static int by_age(const void *a, const void *b)
{
	const struct cent *x = *(struct cent *const *)a, *y = *(struct cent *const *)b;

	if (x->prio != y->prio)   /* hoarded objects go last, by priority */
		return x->prio < y->prio ? -1 : 1;
	if (x->last_used != y->last_used)
		return x->last_used < y->last_used ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The unpinned entries, lowest hoard priority first, then oldest first.
 * *n receives the count. */
static struct cent **candidates(size_t *n)
{
	struct cent **v = malloc((C.files ? C.files : 1) * sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (i = 0; i < C.nbuckets; i++) {
		struct cent *e;

		for (e = C.tab[i]; e; e = e->next)
			if (!e->pinned) {
				e->prio = C.prio ? C.prio(C.prio_arg, e->ino) : 0;
				v[k++] = e;
			}
	}
	qsort(v, k, sizeof(*v), by_age);
	*n = k;
	return v;
}

/* The most recently used big container, pinned or not (0: none). */
static uint64_t newest_big(void)
{
	struct cent *best = NULL;
	size_t i;

	for (i = 0; i < C.nbuckets; i++)
		for (struct cent *e = C.tab[i]; e; e = e->next)
			if (is_big(e->bytes) && (!best || e->last_used > best->last_used))
				best = e;
	return best ? best->ino : 0;
}

unsigned cache_trim(void (*evicted)(void *arg, uint64_t ino), void *arg)
{
	uint64_t keep = C.bigbytes ? newest_big() : 0;
	struct cent **v;
	size_t n = 0, i;
	unsigned count = 0;

	if (!over() && C.bigbytes <= (keep ? find(keep)->bytes : 0))
		return 0;
	v = candidates(&n);
	if (!v)
		return 0;
	/* Big ones first, but the newest stays (just written or read). */
	for (i = 0; i < n; i++) {
		uint64_t ino = v[i]->ino;

		if (!is_big(v[i]->bytes) || ino == keep)
			continue;
		v[i] = NULL;
		cache_drop(ino);
		count++;
		if (evicted)
			evicted(arg, ino);
	}
	for (i = 0; i < n && over(); i++) {
		uint64_t ino;

		if (!v[i] || is_big(v[i]->bytes))
			continue;
		ino = v[i]->ino;
		cache_drop(ino);   /* frees v[i] */
		count++;
		if (evicted)
			evicted(arg, ino);
	}
	free(v);
	if (over())
		vlog(LOG_WARNING, "cache over its limit: %" PRIu64 " bytes in %" PRIu64
		     " containers are open or dirty", C.bytes, C.files);
	return count;
}

unsigned cache_make_room(uint64_t need, void (*evicted)(void *arg, uint64_t ino),
			 void *arg)
{
	struct cent **v;
	size_t n = 0, i;
	unsigned count = 0;
	int pass;

	if (has_room(need)) {
		/* Deletes made room: take the reserve back first. */
		if (C.spent && has_room(need + CACHE_RESERVE))
			reserve_fill();
		return 0;
	}
	if (!(v = candidates(&n)))
		return 0;
	/* Big containers first, then the rest in eviction order. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n && !has_room(need); i++) {
			uint64_t ino;

			if (!v[i] || (pass == 0 && !is_big(v[i]->bytes)))
				continue;
			ino = v[i]->ino;
			v[i] = NULL;
			cache_drop(ino);
			count++;
			if (evicted)
				evicted(arg, ino);
		}
	}
	free(v);
	if (count)
		vlog(LOG_NOTICE, "cache disk short of space: %u containers evicted", count);
	return count;
}

/* See cache.h. */
int cache_next_extent(int fd, uint64_t next, uint64_t size, uint64_t max,
		   uint64_t *off, uint64_t *n)
{
	off_t d, h;

	*off = size;
	*n = 0;
	if (next >= size)
		return 0;
	d = lseek(fd, (off_t)next, SEEK_DATA);
	if (d < 0)
		return errno == ENXIO ? 0 : errno;
	if ((uint64_t)d >= size)
		return 0;
	h = lseek(fd, d, SEEK_HOLE);
	if (h < 0)
		return errno;
	*off = (uint64_t)d;
	*n = ((uint64_t)h < size ? (uint64_t)h : size) - *off;
	if (*n > max)
		*n = max;
	return 0;
}
