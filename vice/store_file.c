/*
 * vice/store_file.c - where data files live, and directory fsync.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

void vs_data_path(const struct vstore *vs, const struct vn *v, char *buf,
		  size_t len)
{
	snprintf(buf, len, "%s/%" PRIu32 "/%" PRIu32 ".%" PRIu32, vs->datadir,
		 v->vol, v->vnode, v->uniq);
}

void vs_stage_path(const struct vstore *vs, const hs_storeid *sid, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s/tmp/%" PRIu64 ".%" PRIu64, vs->datadir,
		 (uint64_t)sid->client, (uint64_t)sid->seq);
}

int vs_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

int vs_voldir_make(const struct vstore *vs, uint32_t vol)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%" PRIu32, vs->datadir, vol);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return errno;
	return 0;
}

void vs_data_unlink(const struct vstore *vs, const struct vn *v)
{
	char path[4096];

	if (v->type != HS_FREG)
		return;
	vs_data_path(vs, v, path, sizeof path);
	(void)unlink(path);
}

int vs_data_gone(struct vstore *vs, const struct vn *v)
{
	if (v->type != HS_FREG)
		return 0;
	/* Inside a block the vnode's removal is not committed yet: a crash
	 * or a rollback must find the data still there. */
	if (vs->defer_files)
		return vs_redo_add(vs, RD_UNLINK, v, NULL, 0);
	vs_data_unlink(vs, v);
	return 0;
}
