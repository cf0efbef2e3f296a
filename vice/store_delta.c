/*
 * vice/store_delta.c - HS_STORE_DELTA (protocol 5, issue 11): a store of
 * the written extents only.
 *
 * The new version is built beside the staged chunks, in
 * <data>/tmp/<client>.<seq>.delta: a clone of the current data file
 * (ioctl FICLONE where the file system shares extents, else its data
 * extents copied with copy_file_range, holes kept), cut to a->cut,
 * extended to a->size, and each listed extent replaced by what is staged
 * there (zeros where nothing was staged).  It is then renamed over the
 * staged file and committed exactly as HS_STORE_COMMIT commits (store
 * data.c, vs_store_apply): the swap, one fsync, one database transaction,
 * the applied store id.  A crash before the commit leaves the old version
 * and a stray .delta file that the staging sweep removes at start.
 * Quotas follow the size as for any commit (the vnodes trigger,
 * store_vol.c).  A delta that only appends is written into the data
 * file in place instead (store_append.c): no copy at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

#define FILE_MAX ((uint64_t)INT64_MAX)
#define COPY_BUF (1u << 20)

/* Copy [off, off + n) of in to the same offset of out by read and
 * write.  in ending early is fine: the rest of out's range reads as
 * zeros already (a hole or zeroed). */
static int copy_rw(int in, int out, uint64_t off, uint64_t n)
{
	char *buf = malloc(COPY_BUF);
	int err = 0;

	if (!buf)
		return ENOMEM;
	while (n > 0 && !err) {
		size_t want = n < COPY_BUF ? (size_t)n : COPY_BUF;
		ssize_t k = pread(in, buf, want, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = k < 0 ? errno : 0;
			break;
		}
		if (!(err = vs_pwrite_all(out, buf, (size_t)k, off))) {
			off += (uint64_t)k;
			n -= (uint64_t)k;
		}
	}
	free(buf);
	return err;
}

/* The same with copy_file_range, falling back to copy_rw where the
 * kernel refuses (another file system, an old kernel) or in ends. */
static int copy_range(int in, int out, uint64_t off, uint64_t n)
{
	while (n > 0) {
		loff_t i = (loff_t)off, o = (loff_t)off;
		ssize_t k = copy_file_range(in, &i, out, &o, n, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EXDEV && errno != ENOSYS &&
		    errno != EOPNOTSUPP && errno != EINVAL)
			return errno;
		if (k <= 0)
			return copy_rw(in, out, off, n);
		off += (uint64_t)k;
		n -= (uint64_t)k;
	}
	return 0;
}

int vs_copy_data(int in, int out, uint64_t off, uint64_t end)
{
	while (off < end) {
		off_t d = lseek(in, (off_t)off, SEEK_DATA), h;
		int err;

		if (d < 0)
			return errno == ENXIO ? 0 : errno;
		if ((uint64_t)d >= end)
			return 0;
		if ((h = lseek(in, d, SEEK_HOLE)) < 0)
			return errno;
		if ((uint64_t)h > end)
			h = (off_t)end;
		if ((err = copy_range(in, out, (uint64_t)d, (uint64_t)(h - d))))
			return err;
		off = (uint64_t)h;
	}
	return 0;
}

/* [off, end) of fd reads as zeros: punch a hole, else write zeros. */
static int zero_range(int fd, uint64_t off, uint64_t end)
{
	static const char zeros[65536];

	if (off >= end)
		return 0;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)(end - off)) == 0)
		return 0;
	while (off < end) {
		size_t n = end - off < sizeof zeros ? (size_t)(end - off) : sizeof zeros;
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		off += (uint64_t)w;
	}
	return 0;
}

/* out becomes the first keep bytes of base (base < 0: empty). */
static int clone_base(int base, int out, uint64_t keep)
{
	int err;

	if (base >= 0 && keep > 0 && ioctl(out, FICLONE, base) < 0 &&
	    (err = vs_copy_data(base, out, 0, keep)))
		return err;
	return ftruncate(out, (off_t)keep) < 0 ? errno : 0;
}

/* The extents: ascending, disjoint, inside size. */
static int check_extents(const hs_store_delta_args *a)
{
	uint64_t prev = 0;

	for (u_int i = 0; i < a->ext.ext_len; i++) {
		const hs_extent *x = &a->ext.ext_val[i];

		if (x->offset < prev || x->offset > a->size ||
		    x->length > a->size - x->offset)
			return EINVAL;
		prev = x->offset + x->length;
	}
	return 0;
}

/* Build the new version in out from base, recorded as vsize bytes, and
 * the staged file stage (stage < 0: nothing staged).  Bytes of base past
 * vsize are not the base's (an append that did not commit). */
static int build(int base, uint64_t vsize, int stage, int out,
		 const hs_store_delta_args *a)
{
	struct stat st;
	uint64_t bsize = 0, keep;
	int err;

	if (base >= 0) {
		if (fstat(base, &st) < 0)
			return errno;
		/* A data file shorter than its recorded size is not that
		 * version (a power loss between a commit's rename and its
		 * fsync): the client sends the whole file instead. */
		if ((uint64_t)st.st_size < vsize)
			return HS_ENOBASE;
		bsize = vsize;   /* bytes past it are no part of the version */
	}
	keep = a->cut < bsize ? a->cut : bsize;
	if ((err = clone_base(base, out, keep)))
		return err;
	if (ftruncate(out, (off_t)a->size) < 0)
		return errno;
	if (keep > a->size)
		keep = a->size;
	for (u_int i = 0; i < a->ext.ext_len; i++) {
		uint64_t off = a->ext.ext_val[i].offset;
		uint64_t end = off + a->ext.ext_val[i].length;

		/* Past keep the new file is a hole already. */
		if ((err = zero_range(out, off, end < keep ? end : keep)))
			return err;
		if (stage >= 0 && (err = vs_copy_data(stage, out, off, end)))
			return err;
	}
	return 0;
}

/* The new version of v at the staged path of a->sid. */
static int delta_make(struct vstore *vs, const struct vn *v,
		      const hs_store_delta_args *a)
{
	char data[4096], stage[4096], tmp[4200];
	int base, sfd, out, err;

	vs_data_path(vs, v, data, sizeof data);
	vs_stage_path(vs, &a->sid, stage, sizeof stage);
	snprintf(tmp, sizeof tmp, "%s.delta", stage);
	if ((base = open(data, O_RDONLY | O_CLOEXEC)) < 0) {
		/* An empty file may have no data file yet. */
		if (errno != ENOENT)
			return errno;
		if (v->size)
			return HS_ENOBASE;
	}
	sfd = open(stage, O_RDONLY | O_CLOEXEC);
	if (sfd < 0 && errno != ENOENT) {
		err = errno;
		goto out_base;
	}
	if ((out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		err = errno;
		goto out_stage;
	}
	err = build(base, v->size, sfd, out, a);
	if (close(out) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, stage) < 0)
		err = errno;
	if (err)
		(void)unlink(tmp);
out_stage:
	if (sfd >= 0)
		close(sfd);
out_base:
	if (base >= 0)
		close(base);
	return err;
}

static int sid_none(const hs_storeid *sid)
{
	return sid->client == 0 && sid->seq == 0;
}

int vs_store_delta(struct vstore *vs, const hs_store_delta_args *a,
		   hs_attr *out, int *dup)
{
	hs_store_commit_args c = {
		.fid = a->fid, .sid = a->sid, .base_version = a->base_version,
		.size = a->size, .mtime = a->mtime, .set = a->set,
	};
	struct vs_applied rec;
	struct vn v;
	int err, r;

	*dup = 0;
	if (sid_none(&a->sid) || !a->base_version)
		return EINVAL;
	if ((r = vs_ap_get(vs, &a->sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? vs_getattr(vs, &a->fid, out) : -r;
	}
	if ((err = vs_reg_get(vs, &a->fid, &v)))
		return err;
	if (a->base_version != v.dv)
		return HS_ECONFLICT;
	if (a->size > FILE_MAX)
		return EFBIG;
	if ((err = check_extents(a)))
		return err;
	/* An append is written in place: no copy of the base. */
	if (!vs->defer_files && vs_append_only(&v, a))
		err = vs_store_append(vs, &v, a);
	else
		err = VS_APPEND_NO;
	if (err == VS_APPEND_NO &&
	    !(err = delta_make(vs, &v, a)))
		err = vs_store_apply(vs, &v, &c);
	if (err)
		return err;
	vs_vn_attr(&v, out);
	return 0;
}
