/*
 * vice/store_dread.c - fetch reads that skip the page cache when the
 * range is not cached.
 *
 * A buffered read of data the page cache does not hold fills fresh
 * page-cache folios first and copies them out after: on this guest
 * reading an uncached GiB cost 0.15-0.23 s of system time and 0.9-4.6 s
 * of wall time, where O_DIRECT took 0.03-0.04 s and 0.24-0.6 s
 * (doc/design.md, Bulk data, session 9).  A file just stored is such a
 * file: its chunks were staged O_DIRECT (store_data.c).  So the whole
 * aligned blocks of a range of which nothing is cached (cachestat(2)) are
 * read direct into the caller's aligned buffer; anything cached, dirty,
 * unaligned or short goes through the page cache as before, which keeps
 * the files a server reads often in its cache.  Direct reads are coherent
 * with buffered writes: the kernel writes dirty pages of the range back
 * first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "store_int.h"

#define DREAD_ALIGN 4096u             /* buffer, offset and length */
#define DREAD_MIN   (64u * 1024)      /* shorter reads: not worth it */

#ifndef __NR_cachestat
#define __NR_cachestat 451            /* the same on every architecture */
#endif

/* cachestat(2)'s range and result (Linux 6.5, <linux/mman.h>). */
struct dread_range { uint64_t off, len; };
struct dread_stat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		 nr_recently_evicted;
};

static int dread_off;                 /* O_DIRECT or cachestat refused */

/* Whether none of [off, off + len) of fd is in the page cache.  When
 * cachestat(2) fails (ENOSYS on kernels before 6.5) this returns 0 and
 * turns direct reads off for the life of the process. */
static int range_uncached(int fd, uint64_t off, uint64_t len)
{
	struct dread_range r = { off, len };
	struct dread_stat s;

	if (syscall(__NR_cachestat, fd, &r, &s, 0) != 0) {
		dread_off = 1;
		return 0;
	}
	return s.nr_cache == 0;
}

/* Read [off, off + n) of buf's whole blocks direct; *done: bytes read
 * (short at EOF, 0 when it did not apply). */
static int dread_direct(struct vs_dread *rd, char *buf, size_t n, uint64_t off,
			size_t *done)
{
	size_t len = n & ~(size_t)(DREAD_ALIGN - 1);
	ssize_t r;

	*done = 0;
	if (dread_off || off % DREAD_ALIGN || (uintptr_t)buf % DREAD_ALIGN ||
	    len < DREAD_MIN || !range_uncached(rd->fd, off, len))
		return 0;
	if (rd->dfd < 0 && (rd->dfd = open(rd->path, O_RDONLY | O_CLOEXEC | O_DIRECT)) < 0) {
		dread_off = errno == EINVAL;
		return dread_off ? 0 : errno;
	}
	do
		r = pread(rd->dfd, buf, len, (off_t)off);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EINVAL) {   /* the file system's alignment differs */
		dread_off = 1;
		return 0;
	}
	if (r < 0)
		return errno;
	*done = (size_t)r;
	return 0;
}

int vs_dread(struct vs_dread *rd, char *buf, size_t n, uint64_t off, size_t *got)
{
	size_t d;
	ssize_t r;
	int err;

	*got = 0;
	if ((err = dread_direct(rd, buf, n, off, &d)))
		return err;
	*got = d;
	/* The rest buffered; after a short direct read this finds EOF. */
	while (*got < n) {
		r = pread(rd->fd, buf + *got, n - *got, (off_t)(off + *got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

void vs_dread_close(struct vs_dread *rd)
{
	if (rd->dfd >= 0)
		close(rd->dfd);
	rd->dfd = -1;
}
