/*
 * vice/store_reserve.c - room to delete on a full disk.
 *
 * <root>/reserve holds VS_RESERVE bytes allocated (fallocate) while the
 * disk has room.  When the disk is full, stores and creates fail with
 * ENOSPC, but a remove needs a little new space too: SQLite appends the
 * transaction to its WAL before the data file can go.  Releasing the
 * reserve lets that remove commit; vs_reserve_fill takes the room back
 * once deletes have freed it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

static void reserve_path(const struct vstore *vs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/reserve", vs->root);
}

int vs_reserve_fill(struct vstore *vs)
{
	char path[4096];
	struct stat st;
	int fd, err;

	reserve_path(vs, path, sizeof path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_blocks * 512 >= VS_RESERVE) {
		close(fd);
		return 0;
	}
	/* What is allocated stays, even when the whole does not fit. */
	err = posix_fallocate(fd, 0, VS_RESERVE);
	if (!err && fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

int vs_reserve_release(struct vstore *vs)
{
	char path[4096];
	struct stat st;

	reserve_path(vs, path, sizeof path);
	if (stat(path, &st) < 0 || st.st_blocks == 0)
		return 0;
	return unlink(path) == 0;
}
