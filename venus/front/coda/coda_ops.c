/*
 * coda_ops.c - the kernel channel's namespace upcalls: ROOT, GETATTR,
 * SETATTR, ACCESS, LOOKUP, the ones that make and remove names, READLINK,
 * STATFS; each handed to fsobj and answered from its callback.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "venus/util/venus.h"
#include "coda_int.h"

static void cf_done_lookup(void *arg, int err, const struct fso_attr *a)
{
	struct hcfs_lookup_out out;

	memset(&out, 0, sizeof(out));
	if (!err) {
		out.fid = cf_fid(a->ino);
		out.vtype = cf_vtype(a->st.st_mode);
	}
	cf_reply(arg, &out, sizeof(out), err);
}

static void cf_done_create(void *arg, int err, const struct fso_attr *a)
{
	struct cpend *p = arg;
	struct hcfs_create_out out;

	/* open(O_CREAT) without O_EXCL of a name that appeared meanwhile */
	if (err == EEXIST && p->opcode == HCFS_CREATE && !p->excl) {
		fso_lookup(p->ino, p->name, p->uid, cf_done_create, p);
		return;
	}
	memset(&out, 0, sizeof(out));
	if (!err) {
		out.fid = cf_fid(a->ino);
		cf_vattr(&out.attr, a);
	}
	cf_reply(p, &out, sizeof(out), err);
}

static void cf_done_readlink(void *arg, int err, const char *target)
{
	struct {
		struct hcfs_readlink_out h;
		char data[HCFS_MAXPATHLEN];
	} out;
	size_t n = 0;

	memset(&out.h, 0, sizeof(out.h));
	if (!err) {
		n = strlen(target);
		if (n > HCFS_MAXPATHLEN)
			err = ENAMETOOLONG;
		else
			memcpy(out.data, target, n);
		out.h.count = (int)n;
		out.h.data = sizeof(out.h);
	}
	cf_reply(arg, &out, sizeof(out.h) + n, err);
}

/* ACCESS (coda.ko only): mode bits against the caller's uid. */
static void cf_done_access(void *arg, int err, const struct fso_attr *a)
{
	struct cpend *p = arg;
	int want = p->flags, bits;
	uid_t uid = p->uid;

	if (!err && uid != 0) {
		bits = uid == a->st.st_uid ? (a->st.st_mode >> 6) & 7 : a->st.st_mode & 7;
		if ((want & HCFS_A_R_OK && !(bits & 4)) || (want & HCFS_A_W_OK && !(bits & 2)) ||
		    (want & HCFS_A_X_OK && !(bits & 1)))
			err = EACCES;
	}
	cf_reply_err(p, err);
}

/* ---- message helpers ---- */

static const char *cf_name(const char *msg, size_t len, int off)
{
	if (off < (int)sizeof(struct hcfs_in_hdr) || (size_t)off >= len ||
	    !memchr(msg + off, 0, len - off))
		return NULL;
	return msg + off;
}

/* The fsgid of the calling process (the in-header carries only the uid). */
static gid_t cf_gid(pid_t pid)
{
	char path[64], line[256];
	unsigned r, e, sv, fs;
	gid_t gid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Gid: %u %u %u %u", &r, &e, &sv, &fs) == 4) {
			gid = fs;
			break;
		}
	fclose(f);
	return gid;
}

/* ---- upcalls ---- */

int cf_up_root(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	struct hcfs_root_out out;

	(void)msg;
	(void)len;
	(void)ino;
	memset(&out, 0, sizeof(out));
	out.fid = cf_fid(FSO_ROOT_INO);
	cf_reply(p, &out, sizeof(out), 0);
	return 0;
}

int cf_up_getattr(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	(void)msg;
	(void)len;
	fso_getattr(ino, p->uid, cf_done_attr, p);
	return 0;
}

int cf_up_setattr(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_vattr *va;
	struct fso_setattr sa;
	struct cstate *s;

	NEED(struct hcfs_setattr_in);
	va = &((const struct hcfs_setattr_in *)msg)->attr;
	memset(&sa, 0, sizeof(sa));
	if (va->va_mode != (uint16_t)~0) {
		sa.mask |= HS_SET_MODE;
		sa.mode = va->va_mode & 07777;
	}
	if (va->va_uid != ~0u) {
		sa.mask |= HS_SET_UID;
		sa.uid = va->va_uid;
	}
	if (va->va_gid != ~0u) {
		sa.mask |= HS_SET_GID;
		sa.gid = va->va_gid;
	}
	if (va->va_size != ~0ULL) {
		sa.mask |= HS_SET_SIZE;
		sa.size = va->va_size;
		if ((s = cf_state(ino, 0)))
			s->written = 1;
	}
	if (va->va_atime.tv_sec != -1) {
		sa.mask |= HS_SET_ATIME;
		sa.atime.tv_sec = va->va_atime.tv_sec;
		sa.atime.tv_nsec = va->va_atime.tv_nsec;
	}
	if (va->va_mtime.tv_sec != -1) {
		sa.mask |= HS_SET_MTIME;
		sa.mtime.tv_sec = va->va_mtime.tv_sec;
		sa.mtime.tv_nsec = va->va_mtime.tv_nsec;
	}
	fso_setattr(ino, p->uid, &sa, cf_done_noattr, p);
	return 0;
}

int cf_up_access(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_in_hdr *ih = (const void *)msg;

	NEED(struct hcfs_access_in);
	p->flags = ((const struct hcfs_access_in *)msg)->flags;
	p->uid = ih->uid;
	fso_getattr(ino, p->uid, cf_done_access, p);
	return 0;
}

int cf_up_lookup(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const char *name;

	NEED(struct hcfs_lookup_in);
	name = cf_name(msg, len, ((const struct hcfs_lookup_in *)msg)->name);
	if (!name)
		return EINVAL;
	fso_lookup(ino, name, p->uid, cf_done_lookup, p);
	return 0;
}

int cf_up_create(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_create_in *in = (const void *)msg;
	const char *name;

	NEED(*in);
	if (!(name = cf_name(msg, len, in->name)))
		return EINVAL;
	p->ino = ino;
	p->excl = in->excl;
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* mode is S_IFREG from coda.ko; a FIFO, socket or device type (a
	 * module's mknod) makes that object, rdev in attr.va_rdev. */
	fso_mknod(ino, name, in->mode & (S_IFMT | 07777),
		  in->attr.va_rdev == ~0ULL ? 0 : in->attr.va_rdev, in->ih.uid,
		  cf_gid(in->ih.pid), cf_done_create, p);
	return 0;
}

int cf_up_mkdir(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_mkdir_in *in = (const void *)msg;
	const char *name;

	NEED(*in);
	if (!(name = cf_name(msg, len, in->name)))
		return EINVAL;
	fso_mkdir(ino, name, in->attr.va_mode & 07777, in->ih.uid, cf_gid(in->ih.pid),
		  cf_done_create, p);
	return 0;
}

int cf_up_symlink(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_symlink_in *in = (const void *)msg;
	const char *name, *name2;

	NEED(*in);
	name = cf_name(msg, len, in->tname);
	name2 = cf_name(msg, len, in->srcname);
	if (!name || !name2)
		return EINVAL;
	fso_symlink(ino, name, name2, in->ih.uid, cf_gid(in->ih.pid), cf_done_noattr, p);
	return 0;
}

/* REMOVE and RMDIR */
int cf_up_remove(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_remove_in *in = (const void *)msg;
	const char *name;

	NEED(*in);
	if (!(name = cf_name(msg, len, in->name)))
		return EINVAL;
	if (in->ih.opcode == HCFS_REMOVE)
		fso_unlink(ino, name, p->uid, cf_done_err, p);
	else
		fso_rmdir(ino, name, p->uid, cf_done_err, p);
	return 0;
}

int cf_up_link(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_link_in *in = (const void *)msg;
	const char *name;
	uint64_t dir;

	NEED(*in);
	dir = cf_ino(&in->dir);
	if (!dir || !(name = cf_name(msg, len, in->tname)))
		return EINVAL;
	fso_link(ino, dir, name, p->uid, cf_done_noattr, p);
	return 0;
}

int cf_up_rename(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_rename_in *in = (const void *)msg;
	const char *name, *name2;
	uint64_t dir;

	NEED(*in);
	dir = cf_ino(&in->dst_dir);
	name = cf_name(msg, len, in->srcname);
	name2 = cf_name(msg, len, in->dstname);
	if (!dir || !name || !name2)
		return EINVAL;
	fso_rename(ino, name, dir, name2, p->uid, cf_done_err, p);
	return 0;
}

int cf_up_readlink(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	(void)msg;
	(void)len;
	fso_readlink(ino, p->uid, cf_done_readlink, p);
	return 0;
}

int cf_up_statfs(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	struct hcfs_statfs_out out;
	struct statvfs sv;

	(void)msg;
	(void)len;
	(void)ino;
	memset(&out, 0, sizeof(out));
	if (statvfs(V->cfg.cachedir, &sv) == 0) {
		uint64_t k = sv.f_frsize / 1024 ? sv.f_frsize / 1024 : 1;

		/* 4 KiB units, clamped to the ABI's int32 */
		out.stat.f_blocks = (int32_t)(sv.f_blocks * k / 4 > INT32_MAX ? INT32_MAX : sv.f_blocks * k / 4);
		out.stat.f_bfree = (int32_t)(sv.f_bfree * k / 4 > INT32_MAX ? INT32_MAX : sv.f_bfree * k / 4);
		out.stat.f_bavail = (int32_t)(sv.f_bavail * k / 4 > INT32_MAX ? INT32_MAX : sv.f_bavail * k / 4);
		out.stat.f_files = (int32_t)(sv.f_files > INT32_MAX ? INT32_MAX : sv.f_files);
		out.stat.f_ffree = (int32_t)(sv.f_ffree > INT32_MAX ? INT32_MAX : sv.f_ffree);
	}
	cf_reply(p, &out, sizeof(out), 0);
	return 0;
}

/* FSYNC and ACCESS_INTENT: nothing to do but answer. */
int cf_up_noop(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	(void)msg;
	(void)len;
	(void)ino;
	cf_reply_err(p, 0);
	return 0;
}
