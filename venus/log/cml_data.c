/*
 * cml_data.c - frozen copies of stored files, <cachedir>/cml/<seq>.
 *
 * A store record must name data that no later write can change, so the
 * container is copied at close: a reflink (ioctl FICLONE) costs nothing on
 * btrfs/XFS, otherwise copy_file_range.  Never a hash: the bytes themselves
 * must survive until vice has them.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/store/cache.h"
#include "venus/store/spare.h"

void cml_data_path(uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%s/cml/%llu", V->cfg.cachedir, (unsigned long long)seq);
}

/* Copy [in, in + n) to the same offset: copy_file_range, falling back
 * to read/write across devices. */
static int copy_extent(int src, int dst, off_t in, uint64_t n)
{
	char buf[65536];
	off_t out = in;
	ssize_t r;

	while (n > 0) {
		r = copy_file_range(src, &in, dst, &out, n, 0);
		if (r <= 0)
			break;
		n -= (uint64_t)r;
	}
	if (!n)
		return 0;
	if (r < 0 && errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
	    errno != EOPNOTSUPP)
		return errno;
	while (n > 0 && (r = pread(src, buf, n < sizeof buf ? n : sizeof buf, in)) > 0) {
		if (pwrite(dst, buf, (size_t)r, in) != r)
			return errno ? errno : EIO;
		in += r;
		n -= (uint64_t)r;
	}
	return r < 0 ? errno : 0;
}

/* Below this a file is copied whole, holes and all: looking for its
 * extents (ftruncate, two lseeks) cost more than the copy of most small
 * files, and a hole in one costs at most this much. */
#define CML_COPY_WHOLE 65536

/* Copy the data extents of src; holes stay holes (a sparse file costs
 * no more in the CML than in its container).  dst is empty. */
static int copy_range(int src, int dst)
{
	struct stat st;
	uint64_t next = 0, off, n;
	int err;

	if (fstat(src, &st))
		return errno;
	if (st.st_size <= CML_COPY_WHOLE)
		return st.st_size ? copy_extent(src, dst, 0, (uint64_t)st.st_size) : 0;
	if (ftruncate(dst, st.st_size))
		return errno;
	for (;;) {
		err = cache_next_extent(src, next, (uint64_t)st.st_size,
					UINT64_C(1) << 30, &off, &n);
		if (err || !n)
			return err;
		if ((err = copy_extent(src, dst, (off_t)off, n)))
			return err;
		next = off + n;
	}
}

/* fsync the directory so that the new name is durable too. */
static int sync_dir(const char *path)
{
	char dir[4096];
	int fd, err = 0;

	snprintf(dir, sizeof dir, "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd))
		err = errno;
	close(fd);
	return err;
}

/* A reflink of src into dst; 0 if the file system cannot (ext4: then
 * never asked again, one syscall less per frozen copy). */
static int try_clone(int dst, int src)
{
	static int unsupported;

	if (unsupported)
		return 0;
	if (ioctl(dst, FICLONE, src) == 0)
		return 1;
	if (errno == EOPNOTSUPP || errno == ENOTTY)
		unsupported = 1;
	return 0;
}

/* Copy src to path; fsynced (file, then directory) when sync, and then
 * through path.tmp and a rename, so that path is whole or absent.  A
 * frozen copy (not sync) is written in place: its record is inserted
 * after the copy is made and committed after that, and a copy whose
 * record was never committed is an orphan cml_data_sweep removes, so the
 * rename bought nothing there (one rename less per offline store). */
static int copy_file(int src, const char *path, int sync)
{
	char tmp[4200];
	const char *to = tmp;
	int dst, err = 0;

	if (sync)
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
	else
		to = path;
	spare_take(to);   /* an emptied file, if any: no inode to allocate */
	dst = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (dst < 0)
		return errno;
	if (!try_clone(dst, src))
		err = copy_range(src, dst);
	if (!err && sync && fsync(dst))
		err = errno;
	if (close(dst) && !err)
		err = errno;
	if (!err && sync && rename(tmp, path))
		err = errno;
	if (!err && sync)
		err = sync_dir(path);
	if (err)
		unlink(to);
	return err;
}

int cml_copy_file(int src, const char *path)
{
	return copy_file(src, path, 1);
}

int cml_freeze_file(int src, const char *path)
{
	return copy_file(src, path, 0);
}
