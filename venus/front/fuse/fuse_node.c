/*
 * fuse_node.c - FUSE ops on names and attributes, turned into fsobj calls.
 *
 * Every name from the kernel passes fso_check_name first: FUSE allows
 * names up to 1024 bytes and fsobj must never see "." or "..".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "fuse_int.h"
#include "venus/util/venus.h"

/* ---- lookup, attributes ---- */

struct hf_lookup_req {
	struct hf_pend p;
	uint64_t       parent;
};

static int hf_bad_name(fuse_req_t req, const char *name)
{
	int err = fso_check_name(name, strlen(name));

	if (err)
		fuse_reply_err(req, err);
	return err;
}

/* Remember a directory's parent for "..", then answer like any entry. */
static void hf_lookup_done(void *arg, int err, const struct fso_attr *a)
{
	struct hf_lookup_req *r = arg;

	if (!err && S_ISDIR(a->st.st_mode))
		hf_inode_set_parent(a->ino, r->parent);
	hf_entry_done(&r->p, err, a);
}

static struct hf_lookup_req *hf_lookup_req_new(fuse_req_t req, fuse_ino_t parent)
{
	struct hf_lookup_req *r = malloc(sizeof(*r));

	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	r->parent = parent;
	hf_pend_start(&r->p, req);
	return r;
}

void hf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hf_lookup_req *r;

	if (hf_bad_name(req, name) || !(r = hf_lookup_req_new(req, parent)))
		return;
	fso_lookup(parent, name, r->p.uid, hf_lookup_done, r);
}

void hf_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	hf_inode_forget(ino);
	fso_forget(ino, nlookup);
	fuse_reply_none(req);
}

void hf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *fd)
{
	for (size_t i = 0; i < count; i++) {
		hf_inode_forget(fd[i].ino);
		fso_forget(fd[i].ino, fd[i].nlookup);
	}
	fuse_reply_none(req);
}

static void hf_attr_done(void *arg, int err, const struct fso_attr *a)
{
	struct hf_pend *p = arg;
	fuse_req_t req = hf_pend_end(p);
	struct stat st;

	if (req && err) {
		fuse_reply_err(req, hf_errno(err));
	} else if (req) {
		hf_fill_stat(a, &st);
		fuse_reply_attr(req, &st, HF_ATTR_TIMEOUT);
	}
	free(p);
}

void hf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hf_pend *p = hf_pend_new(req);

	if (p)
		fso_getattr(ino, p->uid, hf_attr_done, p);
}

static struct timespec hf_settime(int to_set, int now_bit, const struct timespec *ts)
{
	struct timespec now;

	if (!(to_set & now_bit))
		return *ts;
	clock_gettime(CLOCK_REALTIME, &now);
	return now;
}

/* FUSE_SET_ATTR_* to HS_SET_*; ctime and the kill-priv bits have no
 * meaning for vice (it stamps ctime itself). */
static void hf_setattr_conv(const struct stat *attr, int to_set, struct fso_setattr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (to_set & FUSE_SET_ATTR_MODE) {
		sa->mask |= HS_SET_MODE;
		sa->mode = attr->st_mode & 07777;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		sa->mask |= HS_SET_UID;
		sa->uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		sa->mask |= HS_SET_GID;
		sa->gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		sa->mask |= HS_SET_SIZE;
		sa->size = attr->st_size;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)) {
		sa->mask |= HS_SET_ATIME;
		sa->atime = hf_settime(to_set, FUSE_SET_ATTR_ATIME_NOW, &attr->st_atim);
	}
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) {
		sa->mask |= HS_SET_MTIME;
		sa->mtime = hf_settime(to_set, FUSE_SET_ATTR_MTIME_NOW, &attr->st_mtim);
	}
}

void hf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	struct fso_setattr sa;
	struct hf_pend *p;

	hf_setattr_conv(attr, to_set, &sa);
	if (!(p = hf_pend_new(req)))
		return;
	if (!sa.mask) {
		fso_getattr(ino, p->uid, hf_attr_done, p);
		return;
	}
	/* ftruncate: the open it came through wrote (fsobj marks the
	 * inode itself for any size change). */
	if ((sa.mask & HS_SET_SIZE) && fi)
		hf_file_truncated(fi);
	fso_setattr(ino, p->uid, &sa, hf_attr_done, p);
}

static void hf_readlink_done(void *arg, int err, const char *target)
{
	struct hf_pend *p = arg;
	fuse_req_t req = hf_pend_end(p);

	if (req && err)
		fuse_reply_err(req, hf_errno(err));
	else if (req)
		fuse_reply_readlink(req, target);
	free(p);
}

void hf_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct hf_pend *p = hf_pend_new(req);

	if (p)
		fso_readlink(ino, p->uid, hf_readlink_done, p);
}

/* ---- creating and removing names ---- */

/* Regular files, fifos, sockets and device nodes are objects in vice;
 * the kernel serves a special file's data itself (FUSE gives such inodes
 * to init_special_inode), so nothing but the name and attributes is ours.
 * mode arrives with the umask applied. */
void hf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct hf_pend *p;

	if (hf_bad_name(req, name) || !(p = hf_pend_new(req)))
		return;
	fso_mknod(parent, name, mode, rdev, ctx->uid, ctx->gid, hf_entry_done, p);
}

/* A new directory: remember its parent. */
static void hf_mkdir_done(void *arg, int err, const struct fso_attr *a)
{
	struct hf_lookup_req *r = arg;

	if (!err)
		hf_inode_set_parent(a->ino, r->parent);
	hf_entry_done(&r->p, err, a);   /* core applied the zones */
}

void hf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct hf_lookup_req *r;

	if (hf_bad_name(req, name) || !(r = hf_lookup_req_new(req, parent)))
		return;
	fso_mkdir(parent, name, mode & 07777, ctx->uid, ctx->gid, hf_mkdir_done, r);
}

void hf_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct hf_pend *p;

	if (strlen(link) > HS_MAXPATHLEN) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if (hf_bad_name(req, name) || !(p = hf_pend_new(req)))
		return;
	fso_symlink(parent, name, link, ctx->uid, ctx->gid, hf_entry_done, p);
}

void hf_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct hf_pend *p;

	if (hf_bad_name(req, newname) || !(p = hf_pend_new(req)))
		return;
	fso_link(ino, newparent, newname, p->uid, hf_entry_done, p);
}

static void hf_err_done(void *arg, int err)
{
	struct hf_pend *p = arg;
	fuse_req_t req = hf_pend_end(p);

	if (req)
		fuse_reply_err(req, err ? hf_errno(err) : 0);
	free(p);
}

void hf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hf_pend *p;

	if (hf_bad_name(req, name) || !(p = hf_pend_new(req)))
		return;
	fso_unlink(parent, name, p->uid, hf_err_done, p);
}

void hf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct hf_pend *p;

	if (hf_bad_name(req, name) || !(p = hf_pend_new(req)))
		return;
	fso_rmdir(parent, name, p->uid, hf_err_done, p);
}

/* ---- rename ---- */

struct hf_rename_req {
	struct hf_pend p;
	uint64_t       dir, newdir;
	char          *name, *newname;
};

static void hf_rename_free(struct hf_rename_req *r)
{
	free(r->name);
	free(r->newname);
	free(r);
}

static void hf_rename_done(void *arg, int err)
{
	struct hf_rename_req *r = arg;
	fuse_req_t req = hf_pend_end(&r->p);

	if (req)
		fuse_reply_err(req, err ? hf_errno(err) : 0);
	hf_rename_free(r);
}

/* RENAME_NOREPLACE: vice's rename replaces, so look the target up first.
 * Racy against other clients, as Coda's own check would be. */
static void hf_rename_probed(void *arg, int err, const struct fso_attr *a)
{
	struct hf_rename_req *r = arg;

	if (!err)
		err = EEXIST;
	else if (err == ENOENT)
		err = 0;
	if (err || !r->p.req) {   /* refused, failed, or orphaned */
		hf_rename_done(r, err);
		return;
	}
	fso_rename(r->dir, r->name, r->newdir, r->newname, r->p.uid, hf_rename_done, r);
}

static struct hf_rename_req *hf_rename_req_new(fuse_req_t req, fuse_ino_t dir,
					       const char *name, fuse_ino_t newdir,
					       const char *newname)
{
	struct hf_rename_req *r = calloc(1, sizeof(*r));

	if (r) {
		r->name = strdup(name);
		r->newname = strdup(newname);
	}
	if (!r || !r->name || !r->newname) {
		if (r)
			hf_rename_free(r);
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	r->dir = dir;
	r->newdir = newdir;
	hf_pend_start(&r->p, req);
	return r;
}

void hf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags)
{
	struct hf_rename_req *r;

	if (flags & ~RENAME_NOREPLACE) {   /* EXCHANGE, WHITEOUT */
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (hf_bad_name(req, name) || hf_bad_name(req, newname))
		return;
	if (!(r = hf_rename_req_new(req, parent, name, newparent, newname)))
		return;
	if (flags & RENAME_NOREPLACE)
		fso_lookup(newparent, newname, r->p.uid, hf_rename_probed, r);
	else
		fso_rename(parent, name, newparent, newname, r->p.uid, hf_rename_done,
			   r);
}

/* ---- statfs ---- */

/* The cache is what venus can hold: report cachesize as the size and
 * the cache file system's free space (within it) as free. */
void hf_statfs(fuse_req_t req, fuse_ino_t ino)
{
	const uint64_t bs = 4096;
	uint64_t blocks = V->cfg.cachesize / bs, files = V->cfg.cachefiles;
	uint64_t avail = blocks, favail = files;
	struct statvfs sv, out;

	if (statvfs(V->cfg.cachedir, &sv) == 0) {
		uint64_t b = (uint64_t)sv.f_bavail * sv.f_frsize / bs;

		if (!blocks)   /* no bound configured: the disk is the bound */
			blocks = (uint64_t)sv.f_blocks * sv.f_frsize / bs;
		if (!files)
			files = sv.f_files;
		avail = b < blocks ? b : blocks;
		favail = sv.f_favail < files ? sv.f_favail : files;
	}
	memset(&out, 0, sizeof(out));
	out.f_bsize = out.f_frsize = bs;
	out.f_blocks = blocks;
	out.f_bfree = out.f_bavail = avail;
	out.f_files = files;
	out.f_ffree = out.f_favail = favail;
	out.f_namemax = HS_MAXNAMELEN;
	fuse_reply_statfs(req, &out);
}
