/*
 * vice/store_append.c - a delta store that only appends (issue 11,
 * target 5, session 6): every written extent at or past the base's size
 * and no cut below it, as a growing SQLite WAL or a log file sends.
 *
 * On a file system without reflinks the general delta (store_delta.c)
 * copies the whole base version, so a 4 KiB append to a 1 GiB file cost
 * a 1 GiB local copy.  An append instead writes the staged extents into
 * the current data file past its recorded size, fdatasyncs it and commits
 * the new size and version in one transaction.  Nobody reads a data file
 * past the vnode's recorded size (fetch, dump and the general delta bound
 * their reads by it), so until the commit every reader sees the old
 * version's bytes, unchanged, and after it the new version: a second
 * client fetching the old version while the store commits reads the same
 * bytes either way.
 *
 * Crash safety: before the first byte goes past the recorded size, a
 * line "<vol> <vnode> <uniq>" is appended to <data>/tmp/.appends and
 * fdatasync'd.  At start (vs_append_recover, from the staging sweep) each
 * listed data file longer than its recorded size is cut back to it: a
 * crash before the commit leaves the old version, one after it the new
 * (the cut is then a no-op).  The journal is emptied at start and, once
 * it holds VS_APPEND_JOURNAL_MAX bytes, when no commit is waiting for a
 * group-commit flush (vs_pending): every listed append is then committed
 * durably or cut back.  A failure before the commit cuts the file back
 * at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

/* Bytes of journal kept before it is emptied (about 2000 lines). */
#define VS_APPEND_JOURNAL_MAX 65536

static void journal_path(const struct vstore *vs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/tmp/.appends", vs->datadir);
}

int vs_append_only(const struct vn *v, const hs_store_delta_args *a)
{
	if (a->cut < v->size || a->size < v->size)
		return 0;
	for (u_int i = 0; i < a->ext.ext_len; i++)
		if (a->ext.ext_val[i].offset < v->size)
			return 0;
	return 1;
}

/* Note v in the journal, durably, before its data file grows. */
static int journal_note(struct vstore *vs, const struct vn *v)
{
	char path[4096], tmp[4096], line[64];
	struct stat st;
	int fd, n, err = 0;

	journal_path(vs, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out;
	}
	/* Full, and every append it lists is durably committed or cut. */
	if (st.st_size >= VS_APPEND_JOURNAL_MAX && !vs_pending(vs) &&
	    ftruncate(fd, 0) < 0) {
		err = errno;
		goto out;
	}
	errno = 0;
	n = snprintf(line, sizeof line, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
		     v->vol, v->vnode, v->uniq);
	if (write(fd, line, (size_t)n) != n || fdatasync(fd) < 0) {
		err = errno ? errno : EIO;
		goto out;
	}
	/* A new journal's name must survive too. */
	if (st.st_size == 0) {
		snprintf(tmp, sizeof tmp, "%s/tmp", vs->datadir);
		err = vs_fsync_dir(tmp);
	}
out:
	if (close(fd) < 0 && !err)
		err = errno;
	return err;
}

/* Write the staged extents of a into data (cut to v->size first: the
 * tail of an append that failed), size it and make it durable. */
static int append_data(int data, int stage, const struct vn *v,
		       const hs_store_delta_args *a)
{
	int err;

	if (ftruncate(data, (off_t)v->size) < 0)
		return errno;
	for (u_int i = 0; stage >= 0 && i < a->ext.ext_len; i++) {
		uint64_t off = a->ext.ext_val[i].offset;

		if ((err = vs_copy_data(stage, data, off,
					off + a->ext.ext_val[i].length)))
			return err;
	}
	/* What was never staged reads as zeros: a hole past v->size. */
	if (ftruncate(data, (off_t)a->size) < 0 || fdatasync(data) < 0)
		return errno;
	return 0;
}

/* The metadata of the new version, in one transaction. */
static int append_commit(struct vstore *vs, struct vn *v,
			 const hs_store_delta_args *a)
{
	hs_store_commit_args c = {
		.fid = a->fid, .sid = a->sid, .base_version = a->base_version,
		.size = a->size, .mtime = a->mtime,
	};
	int err;

	if ((err = vs_begin(vs)))
		return err;
	if ((err = vs_store_meta(vs, v, &c, vs_now()))) {
		vs_rollback(vs);
		return err;
	}
	return vs_commit(vs);
}

/* Whether the data file is shorter than its recorded size (a power loss
 * between a commit's rename and its fsync): not a base to build on. */
static int short_base(int fd, uint64_t size)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_size < size;
}

int vs_store_append(struct vstore *vs, struct vn *v,
		    const hs_store_delta_args *a)
{
	char data[4096], stage[4096];
	uint64_t old = v->size;
	int dfd, sfd, err;

	vs_data_path(vs, v, data, sizeof data);
	if ((dfd = open(data, O_RDWR | O_CLOEXEC)) < 0)
		return errno == ENOENT ? VS_APPEND_NO : errno;
	if (short_base(dfd, old)) {     /* the delta path refuses it */
		close(dfd);
		return VS_APPEND_NO;
	}
	vs_stage_path(vs, &a->sid, stage, sizeof stage);
	sfd = open(stage, O_RDONLY | O_CLOEXEC);
	if (sfd < 0 && errno != ENOENT) {
		err = errno;
		close(dfd);
		return err;
	}
	if (!(err = journal_note(vs, v)) &&
	    !(err = append_data(dfd, sfd, v, a)) &&
	    !(err = append_commit(vs, v, a))) {
		(void)unlink(stage);
		vs_stage_forget(vs, &a->sid);
	} else if (err) {
		/* The old version again; the staged chunks stay for a retry. */
		v->size = old;
		(void)ftruncate(dfd, (off_t)old);
	}
	if (sfd >= 0)
		close(sfd);
	if (close(dfd) < 0 && !err)
		err = errno;
	return err;
}

/* Cut the data file of one journal line back to its recorded size. */
static void recover_line(struct vstore *vs, uint32_t vol, uint32_t vnode,
			 uint32_t uniq)
{
	hs_fid fid = { vol, vnode, uniq };
	char path[4096];
	struct stat st;
	struct vn v;
	int fd;

	if (vs_vn_get(vs, &fid, &v) || v.type != HS_FREG)
		return;
	vs_data_path(vs, &v, path, sizeof path);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > v.size &&
	    ftruncate(fd, (off_t)v.size) == 0)
		(void)fdatasync(fd);
	close(fd);
}

void vs_append_recover(struct vstore *vs)
{
	char path[4096];
	uint32_t vol, vnode, uniq;
	FILE *f;

	journal_path(vs, path, sizeof path);
	if (!(f = fopen(path, "re")))
		return;
	while (fscanf(f, "%" SCNu32 " %" SCNu32 " %" SCNu32, &vol, &vnode,
		      &uniq) == 3)
		recover_line(vs, vol, vnode, uniq);
	fclose(f);
	/* Every listed file is at its recorded size now. */
	if (truncate(path, 0) == 0) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			(void)fdatasync(fd);
			close(fd);
		}
	}
}
