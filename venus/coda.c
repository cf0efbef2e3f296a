/*
 * coda.c - the kernel-channel front end: venus serves /coda through
 * Hesper's module (/dev/hcfs0, fs type "hesper") or the stock coda.ko
 * (/dev/cfs0, fs type "coda"), both speaking the Coda upcall protocol
 * version 5 (include/hesper/coda_abi.h).
 *
 * Upcalls are read from the non-blocking device on venus's libevent loop
 * and turned into fsobj operations; each is answered from the operation's
 * callback, so slow ones (a fetch, a store) never hold up the others.
 * Coda fids carry venus's inode numbers: {HCFS_FID_TAG, ino lo, ino hi, 0}.
 *
 * The written flag: Hesper's module reports it in CLOSE (HCFS_O_WRITTEN).
 * coda.ko has none, so venus falls back to what it can observe without
 * reading the data: WRITE access intents, a size-changing SETATTR, O_TRUNC,
 * and for mappings the container's size, mtime and ctime compared with
 * their values at the first writable open.  tmpfs leaves no mtime trace of
 * a write through a coda.ko mapping that was first read, so there a
 * writable open that was mmapped is stored.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <event2/event.h>

#include "hesper/coda_abi.h"
#include "venus.h"
#include "fsobj.h"
#include "front.h"

#define HCFS_FID_TAG	0x48455350u	/* "HESP": fids made by this venus */
#define TMPFS_MAGIC_	0x01021994
#define MOUNT_WAIT_S	60

/* One upcall waiting for fsobj. */
struct cpend {
	struct cpend *prev, *next;
	uint32_t      opcode;
	uint32_t      unique;
	int           dead;        /* front stopped: just free on completion */
	int           signalled;   /* the kernel gave up waiting */
	uint64_t      ino;         /* the object (OPEN_BY_FD, CREATE...) */
	int           flags;       /* open(2) flags for OPEN_BY_FD */
	int           excl;
	int           cflags;      /* HCFS_O_* of OPEN_BY_FD */
	uint32_t      uid;         /* caller, for ACCESS */
	char          name[HCFS_MAXNAMLEN + 1];
};

/* Per-object state of the coda.ko fallback and directory opens. */
struct cstate {
	struct cstate *next;
	uint64_t       ino;
	int            dir_opens;  /* OPEN_BY_FD of a directory (no fso_open) */
	int            writers;
	int            written;    /* intent, SETATTR size or O_TRUNC seen */
	int            mmap_seen;  /* MMAP intent while writable */
	int            fd;         /* dup of the first writer's container */
	struct stat    snap;       /* container at the first writable open */
};

static int            cf_fd = -1;
static int            cf_hesper;      /* module reports HCFS_O_WRITTEN */
static struct event  *cf_ev;
static char          *cf_mnt;
static struct cpend   cf_pending = { .prev = &cf_pending, .next = &cf_pending };
static struct cstate *cf_states;

/* ---- fids and attributes ---- */

static struct hcfs_fid cf_fid(uint64_t ino)
{
	struct hcfs_fid f = { { HCFS_FID_TAG, (uint32_t)ino, (uint32_t)(ino >> 32), 0 } };

	return f;
}

/* 0 for a fid this venus did not make. */
static uint64_t cf_ino(const struct hcfs_fid *f)
{
	if (f->opaque[0] != HCFS_FID_TAG || f->opaque[3])
		return 0;
	return (uint64_t)f->opaque[1] | (uint64_t)f->opaque[2] << 32;
}

static long cf_vtype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return HCFS_VDIR;
	case S_IFLNK: return HCFS_VLNK;
	default: return HCFS_VREG;
	}
}

static void cf_ts(struct hcfs_timespec *t, struct timespec ts)
{
	t->tv_sec = ts.tv_sec;
	t->tv_nsec = ts.tv_nsec;
}

static void cf_vattr(struct hcfs_vattr *va, const struct fso_attr *a)
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
	va->va_rdev = ~0ULL;
	va->va_bytes = a->st.st_blocks * 512ULL;
	va->va_filerev = a->dataversion;
}

/* ---- per-object fallback state ---- */

static struct cstate *cf_state(uint64_t ino, int create)
{
	struct cstate *s;

	for (s = cf_states; s; s = s->next)
		if (s->ino == ino)
			return s;
	if (!create || !(s = calloc(1, sizeof(*s))))
		return NULL;
	s->ino = ino;
	s->fd = -1;
	s->next = cf_states;
	cf_states = s;
	return s;
}

static void cf_state_drop(struct cstate *s)
{
	struct cstate **pp;

	if (s->dir_opens || s->writers)
		return;
	for (pp = &cf_states; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* First writable open on coda.ko: remember the container.  If its mtime is
 * this recent, a write in the same clock tick would not move it: age it. */
static void cf_snapshot(struct cstate *s, int fd)
{
	struct timespec now, t[2];

	s->fd = dup(fd);
	if (s->fd < 0 || fstat(s->fd, &s->snap) < 0) {
		s->written = 1;  /* cannot compare later: be safe */
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (s->snap.st_mtim.tv_sec >= now.tv_sec - 1) {
		t[0].tv_nsec = UTIME_OMIT;
		t[1].tv_sec = now.tv_sec - 2;
		t[1].tv_nsec = 0;
		if (futimens(s->fd, t) == 0)
			fstat(s->fd, &s->snap);
	}
}

static int cf_changed(struct cstate *s)
{
	struct statfs sfs;
	struct stat st;

	if (s->fd < 0 || fstat(s->fd, &st) < 0)
		return 1;
	if (st.st_size != s->snap.st_size ||
	    st.st_mtim.tv_sec != s->snap.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != s->snap.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != s->snap.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != s->snap.st_ctim.tv_nsec)
		return 1;
	if (s->mmap_seen && fstatfs(s->fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_)
		return 1;
	return 0;
}

/* ---- pending upcalls and replies ---- */

static struct cpend *cf_pend_new(const struct hcfs_in_hdr *ih)
{
	struct cpend *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->opcode = ih->opcode;
	p->unique = ih->unique;
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

/* Write a reply; 0, or the errno of the write (ESRCH: the kernel gave up). */
static int cf_write(const void *msg, size_t len)
{
	ssize_t n;

	if (cf_fd < 0)
		return EBADF;
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

/* Finish p with out (len bytes, header filled here); frees p.  Returns the
 * write's errno. */
static int cf_reply(struct cpend *p, void *out, size_t len, int err)
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

static void cf_reply_err(struct cpend *p, int err)
{
	struct hcfs_out_hdr oh;

	memset(&oh, 0, sizeof(oh));
	cf_reply(p, &oh, sizeof(oh), err);
}

static void cf_done_err(void *arg, int err)
{
	cf_reply_err(arg, err);
}

static void cf_done_attr(void *arg, int err, const struct fso_attr *a)
{
	struct hcfs_getattr_out out;

	memset(&out, 0, sizeof(out));
	if (!err)
		cf_vattr(&out.attr, a);
	cf_reply(arg, &out, sizeof(out), err);
}

/* SETATTR, SYMLINK, LINK: the reply is the header alone. */
static void cf_done_noattr(void *arg, int err, const struct fso_attr *a)
{
	(void)a;
	cf_reply_err(arg, err);
}

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
		fso_lookup(p->ino, p->name, cf_done_create, p);
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

static void cf_close_ignored(void *arg, int err)
{
	(void)arg;
	(void)err;
}

static void cf_done_open(void *arg, int err, int fd, const struct fso_attr *a)
{
	struct cpend *p = arg;
	struct hcfs_open_by_fd_out out;
	uint64_t ino = p->ino;
	int flags = p->flags, cflags = p->cflags, werr;
	struct cstate *s;

	memset(&out, 0, sizeof(out));
	if (!err) {
		out.fd = fd;
		if (!cf_hesper && (cflags & HCFS_O_WRITE) && (s = cf_state(ino, 1))) {
			if (s->writers++ == 0)
				cf_snapshot(s, fd);
			if (cflags & HCFS_O_TRUNC)
				s->written = 1;
		}
	}
	/* The kernel takes its own reference to fd while handling this write. */
	werr = cf_reply(p, &out, sizeof(out), err);
	if (!err && werr) {
		/* nobody will CLOSE this open: balance it here */
		if (!cf_hesper && (cflags & HCFS_O_WRITE) && (s = cf_state(ino, 0))) {
			s->writers--;
			cf_state_drop(s);
		}
		fso_close(ino, flags, 0, cf_close_ignored, NULL);
	}
}

/* Directory containers: venus_dirent records in an unlinked temp file. */
static void cf_done_readdir(void *arg, int err, const struct fso_dirent *ents, size_t n)
{
	struct cpend *p = arg;
	struct hcfs_open_by_fd_out out;
	struct hcfs_dirent de;
	struct cstate *s;
	char *path = NULL;
	size_t i, nl;
	int fd = -1;

	memset(&out, 0, sizeof(out));
	if (!err && asprintf(&path, "%s/coda-dir-XXXXXX", V->cfg.cachedir) < 0)
		err = ENOMEM;
	if (!err && (fd = mkstemp(path)) < 0)
		err = errno;
	if (path) {
		if (fd >= 0)
			unlink(path);
		free(path);
	}
	for (i = 0; !err && i < n; i++) {
		nl = strnlen(ents[i].name, HCFS_MAXNAMLEN);
		memset(&de, 0, sizeof(de));
		de.d_fileno = (uint32_t)ents[i].ino ? (uint32_t)ents[i].ino : 1;
		de.d_namlen = (uint8_t)nl;
		de.d_reclen = HCFS_DIRSIZ(nl);
		de.d_type = ents[i].type == S_IFDIR ? 4 : ents[i].type == S_IFLNK ? 10 : 8;
		memcpy(de.d_name, ents[i].name, nl);
		if (write(fd, &de, de.d_reclen) != de.d_reclen)
			err = EIO;
	}
	if (!err && lseek(fd, 0, SEEK_SET) < 0)
		err = errno;
	if (!err) {
		out.fd = fd;
		if ((s = cf_state(p->ino, 1)))
			s->dir_opens++;
	}
	{
		uint64_t ino = p->ino;

		if (cf_reply(p, &out, sizeof(out), err) && !err && (s = cf_state(ino, 0))) {
			s->dir_opens--;
			cf_state_drop(s);
		}
	}
	if (fd >= 0)
		close(fd);
}

static void cf_open_typed(void *arg, int err, const struct fso_attr *a)
{
	struct cpend *p = arg;

	if (err)
		cf_reply_err(p, err);
	else if (S_ISDIR(a->st.st_mode))
		fso_readdir(p->ino, cf_done_readdir, p);
	else
		fso_open(p->ino, p->flags, cf_done_open, p);
}

/* ---- upcalls ---- */

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

static int cf_oflags(int cflags)
{
	int f = (cflags & HCFS_O_WRITE) ? ((cflags & HCFS_O_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;

	if (cflags & HCFS_O_TRUNC)
		f |= O_TRUNC;
	return f;
}

static void cf_close(struct cpend *p, uint64_t ino, int cflags)
{
	struct cstate *s = cf_state(ino, 0);
	int written = 0;

	if (s && s->dir_opens > 0 && !(cflags & HCFS_O_WRITE)) {
		s->dir_opens--;
		cf_state_drop(s);
		cf_reply_err(p, 0);
		return;
	}
	if (cflags & HCFS_O_WRITE) {
		if (cf_hesper) {
			written = !!(cflags & HCFS_O_WRITTEN);
		} else if (s) {
			written = s->written || cf_changed(s);
			if (--s->writers == 0)
				cf_state_drop(s);
			else if (written)
				s->written = 1;   /* later closes store too */
		} else {
			written = 1;              /* unknown open: be safe */
		}
	}
	/* The store (if any) completes before the reply: close(2) returns
	 * once vice has the data. */
	fso_close(ino, cf_oflags(cflags), written, cf_done_err, p);
}

static void cf_setattr(struct cpend *p, uint64_t ino, const struct hcfs_vattr *va)
{
	struct fso_setattr sa;
	struct cstate *s;

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
	fso_setattr(ino, &sa, cf_done_noattr, p);
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

static void cf_statfs(struct cpend *p)
{
	struct hcfs_statfs_out out;
	struct statvfs sv;

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
}

static void cf_signal(uint32_t unique)
{
	struct cpend *p;

	for (p = cf_pending.next; p != &cf_pending; p = p->next)
		if (p->unique == unique)
			p->signalled = 1;
}

/* Access intents (coda.ko): the fallback's view of writes. */
static int cf_intent(const struct hcfs_access_intent_in *in, uint64_t ino)
{
	struct cstate *s = cf_state(ino, 0);

	switch (in->type) {
	case HCFS_ACCESS_TYPE_WRITE:
		if (s) {
			s->written = 1;
			fso_mark_written(ino);
		}
		return 1;
	case HCFS_ACCESS_TYPE_MMAP:
		if (s && s->writers)
			s->mmap_seen = 1;
		return 1;
	case HCFS_ACCESS_TYPE_READ:
		return 1;
	default:
		return 0;       /* *_FINISH: asynchronous, no reply */
	}
}

#define NEED(T) do { if (len < sizeof(T)) goto inval; } while (0)

static void cf_dispatch(const char *msg, size_t len)
{
	const struct hcfs_in_hdr *ih = (const void *)msg;
	const struct hcfs_fid_in *fi = (const void *)msg;
	const char *name, *name2;
	struct cpend *p;
	uint64_t ino = 0, dir;
	uid_t uid = ih->uid;
	gid_t gid;

	if (ih->opcode == HCFS_SIGNAL) {
		cf_signal(ih->unique);
		return;
	}
	if (ih->opcode == HCFS_ACCESS_INTENT && len >= sizeof(struct hcfs_access_intent_in)) {
		const struct hcfs_access_intent_in *in = (const void *)msg;

		if (!cf_intent(in, cf_ino(&in->fid)))
			return;
	}
	if (!(p = cf_pend_new(ih))) {
		vlog(LOG_ERR, "coda: out of memory");
		return;
	}
	if (ih->opcode != HCFS_ROOT && ih->opcode != HCFS_STATFS) {
		NEED(struct hcfs_fid_in);
		ino = cf_ino(&fi->fid);
		if (!ino) {
			cf_reply_err(p, ESTALE);
			return;
		}
	}
	vlog(LOG_DEBUG, "coda: upcall %u unique %u ino %llu", ih->opcode, ih->unique,
	     (unsigned long long)ino);

	switch (ih->opcode) {
	case HCFS_ROOT: {
		struct hcfs_root_out out;

		memset(&out, 0, sizeof(out));
		out.fid = cf_fid(FSO_ROOT_INO);
		cf_reply(p, &out, sizeof(out), 0);
		return;
	}
	case HCFS_GETATTR:
		fso_getattr(ino, cf_done_attr, p);
		return;
	case HCFS_SETATTR:
		NEED(struct hcfs_setattr_in);
		cf_setattr(p, ino, &((const struct hcfs_setattr_in *)msg)->attr);
		return;
	case HCFS_ACCESS:
		NEED(struct hcfs_access_in);
		p->flags = ((const struct hcfs_access_in *)msg)->flags;
		p->uid = uid;
		fso_getattr(ino, cf_done_access, p);
		return;
	case HCFS_LOOKUP:
		NEED(struct hcfs_lookup_in);
		name = cf_name(msg, len, ((const struct hcfs_lookup_in *)msg)->name);
		if (!name)
			goto inval;
		fso_lookup(ino, name, cf_done_lookup, p);
		return;
	case HCFS_CREATE: {
		const struct hcfs_create_in *in = (const void *)msg;

		NEED(*in);
		if (!(name = cf_name(msg, len, in->name)))
			goto inval;
		p->ino = ino;
		p->excl = in->excl;
		snprintf(p->name, sizeof(p->name), "%s", name);
		gid = cf_gid(ih->pid);
		fso_create(ino, name, in->mode & 07777, uid, gid, cf_done_create, p);
		return;
	}
	case HCFS_MKDIR: {
		const struct hcfs_mkdir_in *in = (const void *)msg;

		NEED(*in);
		if (!(name = cf_name(msg, len, in->name)))
			goto inval;
		gid = cf_gid(ih->pid);
		fso_mkdir(ino, name, in->attr.va_mode & 07777, uid, gid, cf_done_create, p);
		return;
	}
	case HCFS_SYMLINK: {
		const struct hcfs_symlink_in *in = (const void *)msg;

		NEED(*in);
		name = cf_name(msg, len, in->tname);
		name2 = cf_name(msg, len, in->srcname);
		if (!name || !name2)
			goto inval;
		gid = cf_gid(ih->pid);
		fso_symlink(ino, name, name2, uid, gid, cf_done_noattr, p);
		return;
	}
	case HCFS_REMOVE:
	case HCFS_RMDIR: {
		const struct hcfs_remove_in *in = (const void *)msg;

		NEED(*in);
		if (!(name = cf_name(msg, len, in->name)))
			goto inval;
		if (ih->opcode == HCFS_REMOVE)
			fso_unlink(ino, name, cf_done_err, p);
		else
			fso_rmdir(ino, name, cf_done_err, p);
		return;
	}
	case HCFS_LINK: {
		const struct hcfs_link_in *in = (const void *)msg;

		NEED(*in);
		dir = cf_ino(&in->dir);
		if (!dir || !(name = cf_name(msg, len, in->tname)))
			goto inval;
		fso_link(ino, dir, name, cf_done_noattr, p);
		return;
	}
	case HCFS_RENAME: {
		const struct hcfs_rename_in *in = (const void *)msg;

		NEED(*in);
		dir = cf_ino(&in->dst_dir);
		name = cf_name(msg, len, in->srcname);
		name2 = cf_name(msg, len, in->dstname);
		if (!dir || !name || !name2)
			goto inval;
		fso_rename(ino, name, dir, name2, cf_done_err, p);
		return;
	}
	case HCFS_READLINK:
		fso_readlink(ino, cf_done_readlink, p);
		return;
	case HCFS_OPEN_BY_FD: {
		const struct hcfs_open_in *in = (const void *)msg;

		NEED(*in);
		p->ino = ino;
		p->cflags = in->flags;
		p->flags = cf_oflags(in->flags);
		/* A directory is read from a container we write. */
		fso_getattr(ino, cf_open_typed, p);
		return;
	}
	case HCFS_CLOSE: {
		const struct hcfs_open_in *in = (const void *)msg;

		NEED(*in);
		cf_close(p, ino, in->flags);
		return;
	}
	case HCFS_FSYNC:
	case HCFS_ACCESS_INTENT:
		cf_reply_err(p, 0);
		return;
	case HCFS_STATFS:
		cf_statfs(p);
		return;
	default:
		cf_reply_err(p, EOPNOTSUPP);
		return;
	}
inval:
	cf_reply_err(p, EINVAL);
}

/* ---- the device on the event loop ---- */

static void cf_readable(evutil_socket_t fd, short what, void *arg)
{
	static char msg[HCFS_MAXMSGSIZE];
	ssize_t n;
	int i;

	/* a bounded batch, so the loop stays fair to vice's connection */
	for (i = 0; i < 64; i++) {
		n = read(fd, msg, sizeof(msg));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < (ssize_t)sizeof(struct hcfs_in_hdr)) {
			vlog(LOG_ERR, "coda: device read: %s", n < 0 ? strerror(errno) : "short message");
			return;
		}
		cf_dispatch(msg, (size_t)n);
	}
}

/* ---- invalidation hooks (callback breaks, cfs flushobject) ---- */

static void cf_downcall(uint32_t opcode, uint64_t ino)
{
	struct hcfs_zap_out z;

	if (cf_fd < 0)
		return;
	memset(&z, 0, sizeof(z));
	z.oh.opcode = opcode;
	z.fid = cf_fid(ino);
	/* The kernel applies it inside write(): no fence needed. */
	if (write(cf_fd, &z, sizeof(z)) != sizeof(z))
		vlog(LOG_WARNING, "coda: downcall %u: %s", opcode, strerror(errno));
}

/* ZAPDIR drops attributes and, for a directory, the names under it; for a
 * file both modules treat it like ZAPFILE. */
static void cf_inval_inode(uint64_t ino)
{
	cf_downcall(HCFS_ZAPDIR, ino);
}

static void cf_inval_entry(uint64_t dir, const char *name)
{
	(void)name;     /* Coda has no per-name downcall */
	cf_downcall(HCFS_ZAPDIR, dir);
}

static const struct vfront_ops cf_front_ops = {
	.name = "coda",
	.inval_inode = cf_inval_inode,
	.inval_entry = cf_inval_entry,
	.fence = NULL,
};

/* ---- start and stop ---- */

static void cf_tick(evutil_socket_t fd, short what, void *arg)
{
}

int front_coda_start(const char *mountpoint, int hesper)
{
	const char *dev = hesper ? HCFS_DEVICE : "/dev/cfs0";
	const char *fstype = hesper ? HCFS_FSTYPE : "coda";
	struct timeval tv = { 0, 50000 };
	struct hcfs_mount_data md;
	struct event *tick;
	uint32_t feat = 0;
	int status, waited = 0;
	pid_t child, r;

	cf_fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (cf_fd < 0) {
		int err = errno;

		vlog(LOG_ERR, "coda: %s: %s (is the %s module loaded?)", dev, strerror(err),
		     hesper ? "hesper" : "coda");
		return -err;
	}
	cf_hesper = ioctl(cf_fd, HCFS_IOC_FEATURES, &feat) == 0 && (feat & HCFS_FEAT_WRITTEN);
	if (hesper && !cf_hesper) {
		vlog(LOG_ERR, "coda: %s does not report the written flag", dev);
		close(cf_fd);
		cf_fd = -1;
		return -EPROTO;
	}
	cf_ev = event_new(V->base, cf_fd, EV_READ | EV_PERSIST, cf_readable, NULL);
	if (!cf_ev || event_add(cf_ev, NULL)) {
		vlog(LOG_ERR, "coda: cannot watch %s", dev);
		front_coda_stop();
		return -ENOMEM;
	}
	fso_set_front(&cf_front_ops);
	cf_mnt = strdup(mountpoint);

	/* mount(2) sends ROOT and GETATTR and waits for the answers, which
	 * this loop gives: mount from a child, serve until it is done. */
	child = fork();
	if (child < 0) {
		int err = errno;

		front_coda_stop();
		return -err;
	}
	if (child == 0) {
		md.version = HCFS_MOUNT_VERSION;
		md.fd = cf_fd;
		_exit(mount(fstype, mountpoint, fstype, 0, &md) ? (errno & 0xff) : 0);
	}
	tick = event_new(V->base, -1, EV_PERSIST, cf_tick, NULL);
	if (tick)
		event_add(tick, &tv);
	while ((r = waitpid(child, &status, WNOHANG)) == 0 && waited < MOUNT_WAIT_S * 20) {
		event_base_loop(V->base, EVLOOP_ONCE);
		waited++;
	}
	if (tick)
		event_free(tick);
	if (r != child || !WIFEXITED(status) || WEXITSTATUS(status)) {
		int err = r == child && WIFEXITED(status) ? WEXITSTATUS(status) : ETIMEDOUT;

		if (r != child) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
		}
		vlog(LOG_ERR, "coda: mount -t %s %s: %s", fstype, mountpoint, strerror(err));
		front_coda_stop();
		return -err;
	}
	vlog(LOG_INFO, "coda: mounted %s on %s (%s)", fstype, mountpoint,
	     cf_hesper ? "written flag from the module" : "coda.ko: written-flag fallback");
	return 0;
}

void front_coda_stop(void)
{
	struct cpend *p;
	struct cstate *s;

	if (cf_mnt) {
		if (umount2(cf_mnt, 0) < 0 && errno != EINVAL && errno != ENOENT)
			umount2(cf_mnt, MNT_DETACH);
		free(cf_mnt);
		cf_mnt = NULL;
	}
	if (cf_ev) {
		event_free(cf_ev);
		cf_ev = NULL;
	}
	/* Closing the device fails every waiting upcall in the kernel. */
	if (cf_fd >= 0) {
		close(cf_fd);
		cf_fd = -1;
	}
	/* fsobj still owns callbacks for these: they free them. */
	for (p = cf_pending.next; p != &cf_pending; p = p->next)
		p->dead = 1;
	while ((s = cf_states)) {
		cf_states = s->next;
		if (s->fd >= 0)
			close(s->fd);
		free(s);
	}
}
