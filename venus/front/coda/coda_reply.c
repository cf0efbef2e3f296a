/*
 * coda_reply.c - the kernel channel's answers: fids and attributes in the
 * Coda wire format, the list of upcalls waiting for fsobj, and the replies
 * that finish them.
 *
 * Coda fids carry venus's inode numbers: {HCFS_FID_TAG, ino lo, ino hi, 0}.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "coda_int.h"

/* ---- fids and attributes ---- */

struct hcfs_fid cf_fid(uint64_t ino)
{
	struct hcfs_fid f = { { HCFS_FID_TAG, (uint32_t)ino, (uint32_t)(ino >> 32), 0 } };

	return f;
}

uint64_t cf_ino(const struct hcfs_fid *f)
{
	if (f->opaque[0] != HCFS_FID_TAG || f->opaque[3])
		return 0;
	return (uint64_t)f->opaque[1] | (uint64_t)f->opaque[2] << 32;
}

long cf_vtype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return HCFS_VDIR;
	case S_IFLNK: return HCFS_VLNK;
	/* Hesper's module makes these special inodes (the kernel serves
	 * them); coda.ko knows no type but file, dir and symlink. */
	case S_IFIFO: return cf_hesper ? HCFS_VFIFO : HCFS_VREG;
	case S_IFSOCK: return cf_hesper ? HCFS_VSOCK : HCFS_VREG;
	case S_IFCHR: return cf_hesper ? HCFS_VCHR : HCFS_VREG;
	case S_IFBLK: return cf_hesper ? HCFS_VBLK : HCFS_VREG;
	default: return HCFS_VREG;
	}
}

static void cf_ts(struct hcfs_timespec *t, struct timespec ts)
{
	t->tv_sec = ts.tv_sec;
	t->tv_nsec = ts.tv_nsec;
}

void cf_vattr(struct hcfs_vattr *va, const struct fso_attr *a)
{
	memset(va, 0, sizeof(*va));
	va->va_type = cf_vtype(a->st.st_mode);
	va->va_mode = a->st.st_mode & 07777;
	va->va_nlink = a->st.st_nlink;
	va->va_uid = a->st.st_uid;
	va->va_gid = a->st.st_gid;
	va->va_fileid = (long)a->ino;
	va->va_size = a->st.st_size;
	va->va_blocksize = 4096;
	cf_ts(&va->va_atime, a->st.st_atim);
	cf_ts(&va->va_mtime, a->st.st_mtim);
	cf_ts(&va->va_ctime, a->st.st_ctim);
	va->va_gen = a->dataversion;
	/* a device's number (Linux's new_encode_dev, as FUSE gives it) */
	va->va_rdev = cf_hesper && (S_ISCHR(a->st.st_mode) || S_ISBLK(a->st.st_mode)) ?
		(uint64_t)a->st.st_rdev : ~0ULL;
	va->va_bytes = a->st.st_blocks * 512ULL;
	va->va_filerev = a->dataversion;
}

/* ---- pending upcalls and replies ---- */

struct cpend *cf_pend_new(const struct hcfs_in_hdr *ih)
{
	struct cpend *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->opcode = ih->opcode;
	p->unique = ih->unique;
	p->uid = ih->uid;
	p->next = cf_pending.next;
	p->prev = &cf_pending;
	cf_pending.next->prev = p;
	cf_pending.next = p;
	return p;
}

static void cf_pend_unlink(struct cpend *p)
{
	p->prev->next = p->next;
	p->next->prev = p->prev;
	p->prev = p->next = p;
}

void cf_signal(uint32_t unique)
{
	struct cpend *p;

	for (p = cf_pending.next; p != &cf_pending; p = p->next)
		if (p->unique == unique)
			p->signalled = 1;
}

/* Write a reply; 0, or the errno of the write (ESRCH: the kernel gave up). */
static int cf_write(const void *msg, size_t len)
{
	ssize_t n;

	if (cf_fd < 0)
		return EBADF;
	db_flush(V->db);   /* the request's changes are committed first (db.h) */
	n = write(cf_fd, msg, len);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno != ESRCH)
		vlog(LOG_WARNING, "coda: reply: %s", strerror(errno));
	return n < 0 ? errno : EIO;
}

static int cf_errno(int err)
{
	return err > 0 && err < 4096 ? err : EIO;
}

int cf_reply(struct cpend *p, void *out, size_t len, int err)
{
	struct hcfs_out_hdr *oh = out;
	int werr = 0;

	if (!p->dead && !p->signalled) {
		oh->opcode = p->opcode;
		oh->unique = p->unique;
		oh->result = err ? (uint32_t)cf_errno(err) : 0;
		werr = cf_write(out, err ? sizeof(*oh) : len);
	} else {
		werr = ESRCH;
	}
	if (p->prev != p)
		cf_pend_unlink(p);
	free(p);
	return werr;
}

void cf_reply_err(struct cpend *p, int err)
{
	struct hcfs_out_hdr oh;

	memset(&oh, 0, sizeof(oh));
	cf_reply(p, &oh, sizeof(oh), err);
}

void cf_done_err(void *arg, int err)
{
	cf_reply_err(arg, err);
}

void cf_done_attr(void *arg, int err, const struct fso_attr *a)
{
	struct hcfs_getattr_out out;

	memset(&out, 0, sizeof(out));
	if (!err)
		cf_vattr(&out.attr, a);
	cf_reply(arg, &out, sizeof(out), err);
}

void cf_done_noattr(void *arg, int err, const struct fso_attr *a)
{
	(void)a;
	cf_reply_err(arg, err);
}
