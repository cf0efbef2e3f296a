/*
 * vice/store_data.c - file contents: staged stores, commit, setattr.
 *
 * A store writes its chunks to <data>/tmp/<client>.<seq>.  The commit cuts
 * that file to its final size, renames it over the data file and fsyncs it
 * inside the database transaction that records the new attributes, so a
 * failure at any step (ENOSPC, EDQUOT, EIO) leaves the old contents and
 * metadata in place: the old file is kept as a hard link until the
 * database has committed.
 *
 * Stores inside a reintegration block use the parts (vs_stage_finish,
 * vs_store_meta) but move the data file only after the block commits:
 * see store_redo.c.  Staged chunks may name a local fid (a file created
 * while disconnected, made by the same block).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

/* Largest file: offsets must fit off_t. */
#define FILE_MAX ((uint64_t)INT64_MAX)

static int sid_none(const hs_storeid *sid)
{
	return sid->client == 0 && sid->seq == 0;
}

/* The vnode of a store or setattr: must be a regular file. */
int vs_reg_get(struct vstore *vs, const hs_fid *fid, struct vn *v)
{
	int err = vs_vn_get(vs, fid, v);

	if (err)
		return err;
	if (v->type == HS_FDIR)
		return EISDIR;
	return v->type == HS_FREG ? 0 : EINVAL;
}

/* Bytes per pwrite(2), within one aligned window of this size.  Measured
 * here (6.18, ext4, a paravirtualised guest): 256 MiB written in 4 or
 * 2 MiB pwrites cost 0.85-1.15 s of system time, in 1 MiB ones 0.09-0.10
 * s (the kernel's copy into large page-cache folios; doc/design.md, Bulk
 * data).  A 4 MiB store chunk is so written in four. */
#define PWRITE_PIECE ((size_t)1 << 20)

/* All of buf at off, in pwrite(2)s that stay within windows of piece
 * bytes (a power of two; SIZE_MAX's worth: one call). */
static int pwrite_pieces(int fd, const char *buf, size_t n, uint64_t off,
			 size_t piece)
{
	ssize_t w;

	while (n > 0) {
		size_t room = piece - (size_t)(off & (piece - 1));

		w = pwrite(fd, buf, n < room ? n : room, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		buf += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int vs_pwrite_all(int fd, const char *buf, size_t n, uint64_t off)
{
	return pwrite_pieces(fd, buf, n, off, PWRITE_PIECE);
}

/* Direct I/O for staged chunks.  Writing a chunk through the page cache
 * cost vice most of its CPU in a bulk store (the kernel's copy into fresh
 * page-cache folios: 1.5 s of system time per 256 MiB here, where
 * O_DIRECT costs 0.02-0.04 s; doc/design.md, Bulk data), and vice does
 * not read a staged file again before the commit's fsync.  O_DIRECT wants
 * the buffer, offset and length aligned: the chunk's whole blocks are
 * copied to an aligned bounce buffer (a copy in user memory is far
 * cheaper) and written direct; an unaligned start or a short tail goes
 * through the page cache, as does everything on a file system without
 * O_DIRECT (EINVAL).  Durability is unchanged: the commit fsyncs. */
#define DIO_ALIGN 4096u
#define DIO_MIN   (64u * 1024)    /* smaller chunks: not worth it */

static char *dio_buf;             /* HS_CHUNK_MAX bytes, DIO_ALIGN'ed */
static int dio_off;               /* O_DIRECT refused here once: stop */

/* A direct write goes in one pwrite(2): it does not go through
 * page-cache folios, so PWRITE_PIECE's reason does not hold, and vice
 * waits for each one's I/O.  Measured here: 1 GiB written O_DIRECT in
 * 4 MiB writes took 0.93 s (0.08-0.10 s system), in 1 MiB ones
 * 1.22-1.43 s (0.18-0.21 s). */
#define DIRECT_PIECE ((size_t)HS_CHUNK_MAX)

/* Write [off, off + n) of buf's whole blocks to path with O_DIRECT.
 * *done: bytes written (0 when it did not apply). */
static int stage_direct(const char *path, const char *buf, size_t n,
			uint64_t off, size_t *done)
{
	size_t len = n & ~(size_t)(DIO_ALIGN - 1);
	int fd, err;

	*done = 0;
	if (dio_off || off % DIO_ALIGN || len < DIO_MIN || len > HS_CHUNK_MAX)
		return 0;
	if (!dio_buf && posix_memalign((void **)&dio_buf, DIO_ALIGN,
				       HS_CHUNK_MAX))
		return dio_buf = NULL, 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_DIRECT, 0600);
	if (fd < 0) {
		dio_off = errno == EINVAL;
		return dio_off ? 0 : errno;
	}
	memcpy(dio_buf, buf, len);
	err = pwrite_pieces(fd, dio_buf, len, off, DIRECT_PIECE);
	if (close(fd) < 0 && !err)
		err = errno;
	if (err == EINVAL) {      /* the file system's alignment differs */
		dio_off = 1;
		return 0;
	}
	*done = err ? 0 : len;
	return err;
}

int vs_store_chunk(struct vstore *vs, const hs_store_chunk_args *a,
		   int32_t owner, int *dup)
{
	struct vs_applied rec;
	struct vn v;
	char path[4096];
	const char *src;
	size_t done;
	int fd, err, r;

	*dup = 0;
	if (sid_none(&a->sid))
		return EINVAL;
	if ((r = vs_ap_get(vs, &a->sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? 0 : -r;
	}
	/* A local fid's object does not exist yet: its reintegrated create
	 * will make it, and the commit checks it. */
	if (!(a->fid.vnode & HS_LOCAL_VNODE) &&
	    (err = vs_reg_get(vs, &a->fid, &v)))
		return err;
	if (a->offset > FILE_MAX - a->data.data_len)
		return EFBIG;
	if ((err = vs_stage_admit(vs, &a->sid, owner, a->data.data_len)))
		return err;
	vs_stage_path(vs, &a->sid, path, sizeof path);
	if ((err = stage_direct(path, a->data.data_val, a->data.data_len,
				a->offset, &done)))
		goto fail;
	if (done && done == a->data.data_len)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	/* An empty chunk's data_val is NULL (XDR): no arithmetic on it. */
	src = done ? a->data.data_val + done : a->data.data_val;
	err = vs_pwrite_all(fd, src, a->data.data_len - done, a->offset + done);
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err)
		return 0;
fail:
	/* A chunk written in part must not be committed: a client may send
	 * its commit right behind its last chunk (venus does for a store of
	 * one chunk), and the commit then finds nothing staged (ENOENT)
	 * instead of a file with a piece missing. */
	(void)unlink(path);
	vs_stage_forget(vs, &a->sid);
	return err;
}

/* Cut the staged file to size and make it durable.  Nothing staged is
 * fine only for an empty file.  Even under group commit the contents are
 * synced here, before the commit that names them: a WAL page the kernel
 * writes back early must never name contents a power loss could take
 * (this costs no flush: each store has its own file either way). */
int vs_stage_finish(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (size ? 0 : O_CREAT), 0600);
	int err = 0;

	if (fd < 0)
		return errno;
	if (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	return err;
}

/* Paths involved in replacing a data file. */
struct swap {
	char stage[4096], data[4096], old[4200], dir[4096];
	int had_old;            /* the old data file is linked at .old */
	int swapped;            /* the staged file is now the data file */
};

static void swap_paths(struct vstore *vs, const struct vn *v,
		       const hs_storeid *sid, struct swap *sw)
{
	vs_stage_path(vs, sid, sw->stage, sizeof sw->stage);
	vs_data_path(vs, v, sw->data, sizeof sw->data);
	snprintf(sw->old, sizeof sw->old, "%s.old", sw->data);
	snprintf(sw->dir, sizeof sw->dir, "%s/%u", vs->datadir,
		 (unsigned)v->vol);
}

/* Rename the staged file over the data file, keeping the old one linked
 * at .old until the database commit decides. */
static int swap_in(struct swap *sw)
{
	(void)unlink(sw->old);
	sw->had_old = link(sw->data, sw->old) == 0;
	if (!sw->had_old && errno != ENOENT)
		return errno;
	if (rename(sw->stage, sw->data) < 0)
		return errno;
	sw->swapped = 1;
	return 0;
}

/* Put the old contents back after a failure, and the new ones back in
 * the staging area so that a retried commit finds them. */
static void swap_undo(struct swap *sw)
{
	if (sw->swapped)
		(void)rename(sw->data, sw->stage);
	if (sw->had_old)
		(void)rename(sw->old, sw->data);
	(void)unlink(sw->old);
	(void)vs_fsync_dir(sw->dir);
}

static int setattr_fields(struct vstore *vs, struct vn *v,
			  const hs_setattr_args *a, int64_t now);

#define STORE_SET_BITS (HS_SET_MODE | HS_SET_UID | HS_SET_GID | HS_SET_ATIME)

int vs_store_set_args(const hs_fid *fid, const hs_store_set *set,
		      hs_setattr_args *out)
{
	if (set->mask & ~(unsigned)STORE_SET_BITS)
		return EINVAL;
	memset(out, 0, sizeof *out);
	out->fid = *fid;
	out->mask = set->mask;
	out->mode = set->mode;
	out->uid = set->uid;
	out->gid = set->gid;
	out->atime = set->atime;
	return 0;
}

/* The database half of a commit; the transaction is open. */
int vs_store_meta(struct vstore *vs, struct vn *v,
		  const hs_store_commit_args *a, int64_t now)
{
	struct vs_applied rec = {
		.vol = v->vol, .o_vnode = v->vnode, .o_uniq = v->uniq,
	};
	hs_setattr_args set;
	int err;

	if ((err = vs_store_set_args(&a->fid, &a->set, &set)))
		return err;
	/* POSIX: a write by anyone but the owner drops set-id bits. */
	if (!vs->writer_privileged && vs->writer != v->uid)
		v->mode &= ~06000u;
	v->size = a->size;
	v->mtime = (a->mtime.sec || a->mtime.nsec) ?
		vs_time_ns(&a->mtime) : now;
	/* What the writer set while the file was open comes after the
	 * contents (acl_store_set checked it), as on a local file system. */
	if (set.mask && (err = setattr_fields(vs, v, &set, now)))
		return err;
	vs_vn_touch(v, &a->sid, now);
	if ((err = vs_vn_update(vs, v)) || (err = vs_ap_put(vs, &a->sid, &rec)))
		return err;
	return 0;
}

/* Open the staged file and cut it to size (nothing staged is fine only
 * for an empty file); *fd, or an errno. */
static int stage_cut(const char *path, uint64_t size, int *fd)
{
	int err;

	*fd = open(path, O_WRONLY | O_CLOEXEC | (size ? 0 : O_CREAT), 0600);
	if (*fd < 0)
		return errno;
	if (ftruncate(*fd, (off_t)size) == 0)
		return 0;
	err = errno;
	close(*fd);
	*fd = -1;
	return err;
}

/* The new contents and their name, durable before the COMMIT that names
 * them.  The file is synced after the rename: on a journaling file
 * system (ext4, XFS) that one journal commit holds the contents and the
 * rename, and the directory's fsync right behind it usually finds nothing
 * left to commit.  Measured on ext4: syncing the file before the rename, and the
 * directory at the group flush, cost two journal commits per store (ext4
 * commits the whole running transaction at any directory fsync, and the
 * COMMIT's WAL writes had started one).  A power loss between the rename
 * and the sync can leave the data file short under the old metadata; the
 * old contents were as lost before (the rename always preceded the
 * COMMIT), and no COMMIT names the new ones. */
static int swap_sync(struct swap *sw, int fd)
{
	int err = swap_in(sw);

	if (!err && fsync(fd) < 0)
		err = errno;
	if (!err)
		err = vs_fsync_dir(sw->dir);
	return err;
}

static int commit_apply(struct vstore *vs, struct vn *v,
			const hs_store_commit_args *a)
{
	struct swap sw = { .had_old = 0 };
	int fd, err;

	swap_paths(vs, v, &a->sid, &sw);
	if ((err = stage_cut(sw.stage, a->size, &fd)))
		return err;
	if ((err = vs_begin(vs)))
		goto out;
	err = vs_store_meta(vs, v, a, vs_now());
	if (!err && (err = swap_sync(&sw, fd)) && (sw.swapped || sw.had_old))
		swap_undo(&sw);
	if (err) {
		vs_rollback(vs);
		goto out;
	}
	if ((err = vs_commit(vs))) {
		swap_undo(&sw);
	} else {
		(void)unlink(sw.old);
		vs_stage_forget(vs, &a->sid);
	}
out:
	(void)close(fd);        /* fsync has said how the contents fared */
	return err;
}

int vs_store_commit(struct vstore *vs, const hs_store_commit_args *a,
		    hs_attr *out, int *dup)
{
	struct vs_applied rec;
	struct vn v;
	int err, r;

	*dup = 0;
	if (sid_none(&a->sid))
		return EINVAL;
	if ((r = vs_ap_get(vs, &a->sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? vs_getattr(vs, &a->fid, out) : -r;
	}
	if ((err = vs_reg_get(vs, &a->fid, &v)))
		return err;
	if (a->base_version && a->base_version != v.dv)
		return HS_ECONFLICT;
	if (a->size > FILE_MAX)
		return EFBIG;
	if ((err = commit_apply(vs, &v, a)))
		return err;
	vs_vn_attr(&v, out);
	return 0;
}

/* For HS_STORE_DELTA (store_delta.c): the commit of what is staged. */
int vs_store_apply(struct vstore *vs, struct vn *v,
		   const hs_store_commit_args *a)
{
	return commit_apply(vs, v, a);
}

/* Truncate the data file in place (setattr size). */
int vs_data_truncate(struct vstore *vs, const struct vn *v, uint64_t size)
{
	char path[4096];
	int fd, err = 0;

	vs_data_path(vs, v, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	/* Growing: cut to the recorded size first, so that the tail of an
	 * append that never committed (store_append.c) reads as zeros. */
	if ((size > v->size && ftruncate(fd, (off_t)v->size) < 0) ||
	    ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	return err;
}

/* Apply the fields of a setattr to v (the size in the data file too). */
static int setattr_fields(struct vstore *vs, struct vn *v,
			  const hs_setattr_args *a, int64_t now)
{
	int err;

	if (a->mask & HS_SET_SIZE) {
		if (v->type == HS_FDIR)
			return EISDIR;
		if (v->type != HS_FREG)
			return EINVAL;
		if (a->size > FILE_MAX)
			return EFBIG;
		if ((err = vs_quota_check(vs, v->vol, v->size, a->size)))
			return err;
		/* In a block the file may change only after the commit. */
		err = vs->defer_files ?
			vs_redo_add(vs, RD_TRUNC, v, NULL, a->size) :
			vs_data_truncate(vs, v, a->size);
		if (err)
			return err;
		v->size = a->size;
		v->mtime = now;
	}
	/* A symlink keeps its mode: 0644 marks a mount point, which only
	 * HS_MKMOUNT makes. */
	if ((a->mask & HS_SET_MODE) && v->type != HS_FLNK)
		v->mode = a->mode & 07777;
	if (a->mask & HS_SET_UID)
		v->uid = a->uid;
	if (a->mask & HS_SET_GID)
		v->gid = a->gid;
	if (a->mask & HS_SET_ATIME)
		v->atime = vs_time_ns(&a->atime);
	if (a->mask & HS_SET_MTIME)
		v->mtime = vs_time_ns(&a->mtime);
	return 0;
}

int vs_setattr(struct vstore *vs, const hs_setattr_args *a, hs_attr *out,
	       int *dup)
{
	struct vs_applied rec;
	struct vn v;
	int64_t now = vs_now();
	int err, r;

	*dup = 0;
	if ((r = vs_ap_get(vs, &a->sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? vs_getattr(vs, &a->fid, out) : -r;
	}
	if ((err = vs_vn_get(vs, &a->fid, &v)))
		return err;
	if (a->base_version && a->base_version != v.dv)
		return HS_ECONFLICT;
	if ((err = vs_begin(vs)))
		return err;
	rec = (struct vs_applied){ .vol = v.vol, .o_vnode = v.vnode,
				   .o_uniq = v.uniq };
	err = setattr_fields(vs, &v, a, now);
	if (!err) {
		vs_vn_touch(&v, &a->sid, now);
		err = vs_vn_update(vs, &v);
	}
	if (!err)
		err = vs_ap_put(vs, &a->sid, &rec);
	if (err) {
		vs_rollback(vs);
		return err;
	}
	if ((err = vs_commit(vs)))
		return err;
	vs_vn_attr(&v, out);
	return 0;
}
