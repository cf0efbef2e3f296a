/*
 * minivenus.c - a tiny stand-in for venus, to test the kernel channel
 * without vice: serves /dev/hcfs0 (Hesper's module) or /dev/cfs0 (stock
 * coda.ko) from an in-memory namespace whose file data lives in container
 * files under a cache directory.
 *
 * It decides "stores" the way venus does: on the last writer's CLOSE, a
 * store happens if the file was written - from HCFS_O_WRITTEN on Hesper's
 * module; on coda.ko from WRITE access intents, a size-changing SETATTR,
 * or the container's size/mtime/ctime differing from their values at open.
 * The counters go to a stats file ("stores N" / "skipped N") before the
 * CLOSE is answered, so a test can read them as soon as close() returns.
 *
 * usage: minivenus -d DEV -t FSTYPE -m MNT -c CACHEDIR -s STATSFILE
 *        [-z ZAPFILE] [-v]
 * SIGUSR1: behind the kernel's back, rename root entry "zap_a" to "zap_b"
 * and chmod it 0600 (ZAPDIR(root) + ZAPFILE), remove "zap_p" (PURGEFID),
 * renumber "zap_r" (REPLACE) and chmod "zap_u" 0640 (PURGEUSER, Hesper's
 * module only); then create ZAPFILE (-z) as a mark.
 * A LOOKUP of "hang-here" makes it stop answering (to test venus death).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hesper/coda_abi.h"

#define MAXOBJ 8192
#define TMPFS_MAGIC_ 0x01021994
#define BAD_LINK (MAXOBJ - 1)   /* a symlink whose READLINK reply lies */

struct obj {
	int used;
	int type;               /* HCFS_V* */
	mode_t mode;            /* permission bits */
	uid_t uid;
	gid_t gid;
	int nlink;
	char *target;           /* symlink */
	int writers;            /* opens with write access */
	int written;            /* some writer wrote (or will be stored) */
	int mmap_seen;          /* coda.ko: MMAP intent while writable */
	struct stat snap;       /* container at first writer's open */
};

struct dent {
	int used;
	int dir;
	int obj;
	char name[HCFS_MAXNAMLEN + 1];
};

static struct obj objs[MAXOBJ];
static struct dent dents[MAXOBJ * 2];
static size_t ndents;           /* high-water mark: scans stop here */
static const char *cachedir, *statsfile, *zapfile;
static int hesper_flag;         /* module reports HCFS_O_WRITTEN */
static int verbose;
static unsigned long stores, skipped;
static volatile sig_atomic_t zap_requested;
static int devfd = -1;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "minivenus: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void check(int ok, const char *what)
{
	printf("%s - minivenus: %s\n", ok ? "ok  " : "FAIL", what);
	fflush(stdout);
}

static void container_path(int idx, char *buf, size_t len)
{
	snprintf(buf, len, "%s/c%d", cachedir, idx);
}

static struct hcfs_fid mkfid(int idx)
{
	struct hcfs_fid f = { { 1, (uint32_t)idx, (uint32_t)idx, 0 } };

	return f;
}

static int fid_idx(const struct hcfs_fid *f)
{
	int idx = (int)f->opaque[1];

	if (f->opaque[0] != 1 || idx <= 0 || idx >= MAXOBJ || !objs[idx].used)
		return -1;
	return idx;
}

/* The last written CLOSE's extents, as kcheck -e reads them:
 * "extents N cut C" (C -1: none) then "extent OFF+LEN" lines, or
 * "extents whole" for a plain written flag. */
static char lastclose[64 + HCFS_EXTENTS_MAX * 48] = "extents none\n";

static void note_close_extents(const char *msg, size_t len, int flags)
{
	const struct hcfs_close_in *in = (const void *)msg;
	size_t o;
	uint32_t i;

	if (!(flags & HCFS_O_EXTENTS)) {
		snprintf(lastclose, sizeof(lastclose), "extents whole\n");
		return;
	}
	if (len < sizeof(*in) || in->count > HCFS_EXTENTS_MAX || len != HCFS_CLOSE_IN_SIZE(in->count)) {
		check(0, "extended CLOSE has the length its count says");
		snprintf(lastclose, sizeof(lastclose), "extents malformed\n");
		return;
	}
	o = snprintf(lastclose, sizeof(lastclose), "extents %u cut %lld\n", in->count,
		     in->cut == HCFS_CUT_NONE ? -1LL : (long long)in->cut);
	for (i = 0; i < in->count && o < sizeof(lastclose); i++)
		o += snprintf(lastclose + o, sizeof(lastclose) - o, "extent %llu+%llu\n",
			      (unsigned long long)in->ext[i].off,
			      (unsigned long long)in->ext[i].len);
}

static void write_stats(void)
{
	char buf[sizeof(lastclose) + 128];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "stores %lu\nskipped %lu\n%s", stores, skipped,
		     lastclose);
	fd = open(statsfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	if (write(fd, buf, n) != n)
		perror("minivenus: stats");
	close(fd);
}

static int new_obj(int type, mode_t mode, uid_t uid, gid_t gid)
{
	char path[512];
	int i, fd;

	for (i = 2; i < MAXOBJ; i++)
		if (!objs[i].used)
			break;
	if (i == MAXOBJ)
		return -ENOSPC;
	memset(&objs[i], 0, sizeof(objs[i]));
	objs[i].used = 1;
	objs[i].type = type;
	objs[i].mode = mode & 07777;
	objs[i].uid = uid;
	objs[i].gid = gid;
	objs[i].nlink = type == HCFS_VDIR ? 2 : 1;
	if (type == HCFS_VREG) {
		container_path(i, path, sizeof(path));
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return i;
}

static void free_obj(int i)
{
	char path[512];

	if (objs[i].type == HCFS_VREG) {
		container_path(i, path, sizeof(path));
		unlink(path);
	}
	free(objs[i].target);
	objs[i].used = 0;
}

static struct dent *find_dent(int dir, const char *name)
{
	size_t i;

	for (i = 0; i < ndents; i++)
		if (dents[i].used && dents[i].dir == dir && !strcmp(dents[i].name, name))
			return &dents[i];
	return NULL;
}

static int add_dent(int dir, const char *name, int obj)
{
	size_t i;

	for (i = 0; i < sizeof(dents) / sizeof(dents[0]); i++) {
		if (!dents[i].used) {
			dents[i].used = 1;
			dents[i].dir = dir;
			dents[i].obj = obj;
			snprintf(dents[i].name, sizeof(dents[i].name), "%s", name);
			if (i >= ndents)
				ndents = i + 1;
			return 0;
		}
	}
	return -ENOSPC;
}

static int dir_empty(int dir)
{
	size_t i;

	for (i = 0; i < ndents; i++)
		if (dents[i].used && dents[i].dir == dir)
			return 0;
	return 1;
}

static void ts_out(struct hcfs_timespec *t, struct timespec ts)
{
	t->tv_sec = ts.tv_sec;
	t->tv_nsec = ts.tv_nsec;
}

static void fill_attr(int idx, struct hcfs_vattr *a)
{
	struct obj *o = &objs[idx];
	char path[512];
	struct stat st;

	memset(a, 0, sizeof(*a));
	memset(&st, 0, sizeof(st));
	a->va_type = o->type;
	a->va_mode = o->mode;
	a->va_nlink = o->nlink;
	a->va_uid = o->uid;
	a->va_gid = o->gid;
	a->va_fileid = idx;
	a->va_blocksize = 4096;
	a->va_rdev = ~0ULL;
	if (o->type == HCFS_VREG) {
		container_path(idx, path, sizeof(path));
		stat(path, &st);
		a->va_size = st.st_size;
		a->va_bytes = st.st_blocks * 512ULL;
	} else if (o->type == HCFS_VLNK) {
		a->va_size = strlen(o->target);
		clock_gettime(CLOCK_REALTIME, &st.st_mtim);
		st.st_ctim = st.st_atim = st.st_mtim;
	} else {
		a->va_size = 4096;
		stat(cachedir, &st);
	}
	ts_out(&a->va_atime, st.st_atim);
	ts_out(&a->va_mtime, st.st_mtim);
	ts_out(&a->va_ctime, st.st_ctim);
}

/* Message name field -> string, bounded by the message length. */
static const char *msg_name(const char *msg, size_t len, int off)
{
	if (off < (int)sizeof(struct hcfs_in_hdr) || (size_t)off >= len)
		return NULL;
	if (!memchr(msg + off, 0, len - off))
		return NULL;
	return msg + off;
}

static int dir_container(int dir)
{
	char path[512], buf[sizeof(struct hcfs_dirent)];
	struct hcfs_dirent *de = (struct hcfs_dirent *)buf;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/dir%d.tmp", cachedir, dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	unlink(path);   /* the kernel keeps its own reference */
	for (i = 0; i < ndents; i++) {
		size_t nl;

		if (!dents[i].used || dents[i].dir != dir)
			continue;
		nl = strlen(dents[i].name);
		memset(buf, 0, sizeof(buf));
		de->d_fileno = dents[i].obj;
		de->d_namlen = nl;
		de->d_reclen = HCFS_DIRSIZ(nl);
		de->d_type = objs[dents[i].obj].type == HCFS_VDIR ? 4 :
			     objs[dents[i].obj].type == HCFS_VLNK ? 10 : 8;
		memcpy(de->d_name, dents[i].name, nl);
		if (write(fd, buf, de->d_reclen) != de->d_reclen) {
			close(fd);
			return -EIO;
		}
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int changed_since_open(int idx)
{
	struct obj *o = &objs[idx];
	char path[512];
	struct stat st;
	struct statfs sfs;

	container_path(idx, path, sizeof(path));
	if (stat(path, &st) < 0)
		return 1;
	if (st.st_size != o->snap.st_size ||
	    st.st_mtim.tv_sec != o->snap.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != o->snap.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != o->snap.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != o->snap.st_ctim.tv_nsec)
		return 1;
	/* A mapped write after a read fault leaves no trace in tmpfs's mtime
	 * (tmpfs has no page_mkwrite, so coda.ko's mapping is never
	 * write-protected): a writable open that was mmapped cannot be
	 * proven clean there, so it is stored. */
	if (o->mmap_seen && statfs(path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_)
		return 1;
	return 0;
}

/* First writer: remember the container's state; age its mtime so that a
 * write within the same clock tick still moves it. */
static void snapshot(int idx)
{
	struct obj *o = &objs[idx];
	struct timespec now, times[2];
	char path[512];

	container_path(idx, path, sizeof(path));
	clock_gettime(CLOCK_REALTIME, &now);
	if (stat(path, &o->snap) == 0 && o->snap.st_mtim.tv_sec >= now.tv_sec - 1) {
		times[0].tv_nsec = UTIME_OMIT;
		times[1].tv_sec = now.tv_sec - 2;
		times[1].tv_nsec = 0;
		utimensat(AT_FDCWD, path, times, 0);
		stat(path, &o->snap);
	}
}

static void finish_write(int idx)
{
	struct obj *o = &objs[idx];

	if (o->written)
		stores++;
	else
		skipped++;
	o->written = 0;
	o->mmap_seen = 0;
	write_stats();
}

static void send_downcall(int opcode, int idx)
{
	struct hcfs_zap_out z;

	memset(&z, 0, sizeof(z));
	z.oh.opcode = opcode;
	z.fid = mkfid(idx);
	if (write(devfd, &z, sizeof(z)) != sizeof(z))
		perror("minivenus: downcall");
}

static void do_zap(void)
{
	struct dent *d = find_dent(1, "zap_a");
	struct hcfs_replace_out rep;
	struct hcfs_purgeuser_out pu;
	char from[512], to[512];
	int fd, n;

	/* renamed and chmodded behind the kernel's back: ZAPDIR + ZAPFILE */
	if (d) {
		snprintf(d->name, sizeof(d->name), "zap_b");
		objs[d->obj].mode = 0600;
		send_downcall(HCFS_ZAPDIR, 1);
		send_downcall(HCFS_ZAPFILE, d->obj);
	}
	/* removed: PURGEFID */
	if ((d = find_dent(1, "zap_p"))) {
		n = d->obj;
		d->used = 0;
		free_obj(n);
		send_downcall(HCFS_PURGEFID, n);
	}
	/* renumbered (as after reintegration): REPLACE old -> new */
	if ((d = find_dent(1, "zap_r")) && (n = new_obj(HCFS_VREG, 0644, 0, 0)) > 0) {
		container_path(d->obj, from, sizeof(from));
		container_path(n, to, sizeof(to));
		rename(from, to);
		objs[n] = objs[d->obj];
		objs[d->obj].used = 0;
		memset(&rep, 0, sizeof(rep));
		rep.oh.opcode = HCFS_REPLACE;
		rep.old_fid = mkfid(d->obj);
		rep.new_fid = mkfid(n);
		d->obj = n;
		if (write(devfd, &rep, sizeof(rep)) != sizeof(rep))
			perror("minivenus: REPLACE");
	}
	/* new mode, announced by PURGEUSER (Hesper's module forgets all) */
	if (hesper_flag && (d = find_dent(1, "zap_u"))) {
		objs[d->obj].mode = 0640;
		memset(&pu, 0, sizeof(pu));
		pu.oh.opcode = HCFS_PURGEUSER;
		if (write(devfd, &pu, sizeof(pu)) != sizeof(pu))
			perror("minivenus: PURGEUSER");
	}
	if (zapfile) {
		fd = open(zapfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			close(fd);
	}
}

/* Hostile writes: the kernel must refuse them and stay up. */
static void bad_input_tests(void)
{
	char big[HCFS_MAXMSGSIZE + 16];
	struct hcfs_out_hdr oh;
	struct hcfs_zap_out z;

	if (!hesper_flag)
		return;
	memset(big, 0, sizeof(big));
	errno = 0;
	check(write(devfd, big, 4) < 0 && errno == EINVAL, "short write refused (EINVAL)");
	memset(&oh, 0, sizeof(oh));
	oh.opcode = HCFS_GETATTR;
	memcpy(big, &oh, sizeof(oh));
	errno = 0;
	check(write(devfd, big, sizeof(big)) < 0 && errno == EINVAL,
	      "oversized reply refused (EINVAL)");
	oh.unique = 0x7fffffff;
	errno = 0;
	check(write(devfd, &oh, sizeof(oh)) < 0 && errno == ESRCH,
	      "reply for an unknown unique refused (ESRCH)");
	oh.opcode = HCFS_ZAPFILE;
	errno = 0;
	check(write(devfd, &oh, sizeof(oh)) < 0 && errno == EINVAL,
	      "truncated ZAPFILE downcall refused (EINVAL)");
	oh.opcode = 29;
	errno = 0;
	check(write(devfd, &oh, sizeof(oh)) < 0 && errno == EINVAL,
	      "unknown downcall opcode refused (EINVAL)");
	memset(&z, 0, sizeof(z));
	z.oh.opcode = HCFS_PURGEFID;
	z.fid.opaque[0] = 77;
	check(write(devfd, &z, sizeof(z)) == sizeof(z), "PURGEFID of an unknown fid accepted");
}

static void on_usr1(int sig)
{
	(void)sig;
	zap_requested = 1;
}

static void hang_forever(void)
{
	say("hanging as asked");
	for (;;)
		pause();
}

/* Handle one upcall; returns the reply length (0: no reply). */
static size_t serve(char *msg, size_t len, char *rep, int *cfd)
{
	struct hcfs_in_hdr *ih = (struct hcfs_in_hdr *)msg;
	struct hcfs_out_hdr *oh = (struct hcfs_out_hdr *)rep;
	size_t rlen = sizeof(*oh);
	int idx = -1, err = 0, dir, n;
	const char *name, *name2;
	struct dent *d;
	char path[512];

	memset(rep, 0, sizeof(struct hcfs_create_out) + HCFS_MAXPATHLEN + 64);
	oh->opcode = ih->opcode;
	oh->unique = ih->unique;
	if (len >= sizeof(struct hcfs_fid_in) &&
	    ((struct hcfs_fid_in *)msg)->fid.opaque[1] == BAD_LINK && hesper_flag) {
		struct hcfs_readlink_out *lo = (struct hcfs_readlink_out *)rep;

		if (ih->opcode == HCFS_GETATTR) {
			struct hcfs_vattr *a = &((struct hcfs_getattr_out *)rep)->attr;

			a->va_type = HCFS_VLNK;
			a->va_mode = 0777;
			a->va_nlink = 1;
			return sizeof(struct hcfs_getattr_out);
		}
		if (ih->opcode == HCFS_READLINK) {
			lo->count = 100;        /* past the 4 bytes that follow */
			lo->data = sizeof(*lo);
			return sizeof(*lo) + 4;
		}
	}
	if (len >= sizeof(struct hcfs_fid_in) && ih->opcode != HCFS_ROOT &&
	    ih->opcode != HCFS_STATFS && ih->opcode != HCFS_SIGNAL) {
		idx = fid_idx(&((struct hcfs_fid_in *)msg)->fid);
		if (idx < 0 && ih->opcode != HCFS_RENAME) {
			oh->result = ESTALE;
			return rlen;
		}
	}
	say("op %u unique %u obj %d", ih->opcode, ih->unique, idx);

	switch (ih->opcode) {
	case HCFS_ROOT:
		((struct hcfs_root_out *)rep)->fid = mkfid(1);
		rlen = sizeof(struct hcfs_root_out);
		break;
	case HCFS_GETATTR:
		fill_attr(idx, &((struct hcfs_getattr_out *)rep)->attr);
		rlen = sizeof(struct hcfs_getattr_out);
		break;
	case HCFS_SETATTR: {
		struct hcfs_vattr *a = &((struct hcfs_setattr_in *)msg)->attr;

		if (len < sizeof(struct hcfs_setattr_in)) {
			err = EINVAL;
			break;
		}
		if (a->va_mode != (uint16_t)~0)
			objs[idx].mode = a->va_mode & 07777;
		if (a->va_uid != ~0u)
			objs[idx].uid = a->va_uid;
		if (a->va_gid != ~0u)
			objs[idx].gid = a->va_gid;
		container_path(idx, path, sizeof(path));
		if (a->va_size != ~0ULL && objs[idx].type == HCFS_VREG) {
			if (truncate(path, a->va_size) < 0) {
				err = errno;
				break;
			}
			/* a truncate is a write (venus: fso_setattr) */
			objs[idx].written = 1;
			if (!objs[idx].writers)
				finish_write(idx);
		}
		if (a->va_mtime.tv_sec != -1 && objs[idx].type == HCFS_VREG) {
			struct timespec t[2] = {
				{ .tv_nsec = UTIME_OMIT },
				{ a->va_mtime.tv_sec, a->va_mtime.tv_nsec },
			};
			utimensat(AT_FDCWD, path, t, 0);
		}
		break;
	}
	case HCFS_ACCESS:
	case HCFS_FSYNC:
		break;
	case HCFS_LOOKUP: {
		struct hcfs_lookup_in *in = (struct hcfs_lookup_in *)msg;
		struct hcfs_lookup_out *out = (struct hcfs_lookup_out *)rep;

		name = msg_name(msg, len, in->name);
		if (!name) {
			err = EINVAL;
			break;
		}
		if (!strcmp(name, "hang-here"))
			hang_forever();
		if (!strcmp(name, "oversize-reply") && hesper_flag) {
			/* longer than the kernel's buffer for this upcall */
			out->fid = mkfid(1);
			out->vtype = HCFS_VDIR;
			return sizeof(*out) + 64;
		}
		if (!strcmp(name, "bad-link") && hesper_flag) {
			out->fid = mkfid(BAD_LINK);
			out->vtype = HCFS_VLNK;
			rlen = sizeof(*out);
			break;
		}
		d = find_dent(idx, name);
		if (!d) {
			err = ENOENT;
			break;
		}
		out->fid = mkfid(d->obj);
		out->vtype = objs[d->obj].type;
		rlen = sizeof(*out);
		break;
	}
	case HCFS_CREATE:
	case HCFS_MKDIR:
	case HCFS_SYMLINK: {
		struct hcfs_create_out *out = (struct hcfs_create_out *)rep;
		int type = ih->opcode == HCFS_CREATE ? HCFS_VREG :
			   ih->opcode == HCFS_MKDIR ? HCFS_VDIR : HCFS_VLNK;
		mode_t mode;

		if (ih->opcode == HCFS_CREATE) {
			struct hcfs_create_in *in = (struct hcfs_create_in *)msg;

			name = msg_name(msg, len, in->name);
			mode = in->mode;
			name2 = NULL;
		} else if (ih->opcode == HCFS_MKDIR) {
			struct hcfs_mkdir_in *in = (struct hcfs_mkdir_in *)msg;

			name = msg_name(msg, len, in->name);
			mode = in->attr.va_mode;
			name2 = NULL;
		} else {
			struct hcfs_symlink_in *in = (struct hcfs_symlink_in *)msg;

			name = msg_name(msg, len, in->tname);
			name2 = msg_name(msg, len, in->srcname);
			mode = 0777;
			if (!name2) {
				err = EINVAL;
				break;
			}
		}
		if (!name || objs[idx].type != HCFS_VDIR) {
			err = name ? ENOTDIR : EINVAL;
			break;
		}
		d = find_dent(idx, name);
		if (d) {
			struct hcfs_create_in *in = (struct hcfs_create_in *)msg;

			if (ih->opcode != HCFS_CREATE || in->excl) {
				err = EEXIST;
				break;
			}
			n = d->obj;
		} else {
			n = new_obj(type, mode, ih->uid, 0);
			if (n < 0) {
				err = -n;
				break;
			}
			if (name2)
				objs[n].target = strdup(name2);
			add_dent(idx, name, n);
			if (type == HCFS_VDIR)
				objs[idx].nlink++;
		}
		out->fid = mkfid(n);
		fill_attr(n, &out->attr);
		rlen = ih->opcode == HCFS_SYMLINK ? sizeof(*oh) : sizeof(*out);
		break;
	}
	case HCFS_REMOVE:
	case HCFS_RMDIR: {
		struct hcfs_remove_in *in = (struct hcfs_remove_in *)msg;

		name = msg_name(msg, len, in->name);
		d = name ? find_dent(idx, name) : NULL;
		if (!d) {
			err = ENOENT;
			break;
		}
		n = d->obj;
		if (ih->opcode == HCFS_RMDIR) {
			if (objs[n].type != HCFS_VDIR) {
				err = ENOTDIR;
				break;
			}
			if (!dir_empty(n)) {
				err = ENOTEMPTY;
				break;
			}
			objs[idx].nlink--;
			d->used = 0;
			free_obj(n);
			break;
		}
		if (objs[n].type == HCFS_VDIR) {
			err = EISDIR;
			break;
		}
		d->used = 0;
		if (--objs[n].nlink <= 0)
			free_obj(n);
		break;
	}
	case HCFS_LINK: {
		struct hcfs_link_in *in = (struct hcfs_link_in *)msg;

		dir = fid_idx(&in->dir);
		name = msg_name(msg, len, in->tname);
		if (dir < 0 || !name) {
			err = EINVAL;
			break;
		}
		if (find_dent(dir, name)) {
			err = EEXIST;
			break;
		}
		add_dent(dir, name, idx);
		objs[idx].nlink++;
		break;
	}
	case HCFS_RENAME: {
		struct hcfs_rename_in *in = (struct hcfs_rename_in *)msg;
		struct dent *t;
		int sdir = fid_idx(&in->src_dir), ddir = fid_idx(&in->dst_dir);

		name = msg_name(msg, len, in->srcname);
		name2 = msg_name(msg, len, in->dstname);
		if (sdir < 0 || ddir < 0 || !name || !name2) {
			err = EINVAL;
			break;
		}
		d = find_dent(sdir, name);
		if (!d) {
			err = ENOENT;
			break;
		}
		t = find_dent(ddir, name2);
		if (t && t != d) {
			n = t->obj;
			if (objs[n].type == HCFS_VDIR && !dir_empty(n)) {
				err = ENOTEMPTY;
				break;
			}
			t->used = 0;
			if (objs[n].type == HCFS_VDIR) {
				objs[ddir].nlink--;
				free_obj(n);
			} else if (--objs[n].nlink <= 0) {
				free_obj(n);
			}
		}
		d->dir = ddir;
		snprintf(d->name, sizeof(d->name), "%s", name2);
		break;
	}
	case HCFS_READLINK: {
		struct hcfs_readlink_out *out = (struct hcfs_readlink_out *)rep;

		if (objs[idx].type != HCFS_VLNK || !objs[idx].target) {
			err = EINVAL;
			break;
		}
		out->count = strlen(objs[idx].target);
		out->data = sizeof(*out);
		memcpy(rep + sizeof(*out), objs[idx].target, out->count);
		rlen = sizeof(*out) + out->count;
		break;
	}
	case HCFS_OPEN_BY_FD: {
		struct hcfs_open_in *in = (struct hcfs_open_in *)msg;
		int acc, fd;

		if (objs[idx].type == HCFS_VDIR) {
			fd = dir_container(idx);
			d = find_dent(1, "bad-dir");
			if (fd >= 0 && hesper_flag && d && d->obj == idx) {
				/* a record whose d_reclen is shorter than its name */
				struct hcfs_dirent bad;

				memset(&bad, 0, sizeof(bad));
				bad.d_fileno = 5;
				bad.d_namlen = 200;
				bad.d_reclen = 12;
				if (pwrite(fd, &bad, sizeof(bad), 0) != sizeof(bad))
					perror("minivenus: bad dir");
			}
		} else if (objs[idx].type == HCFS_VREG) {
			acc = (in->flags & HCFS_O_WRITE) ?
			      ((in->flags & HCFS_O_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;
			container_path(idx, path, sizeof(path));
			if ((in->flags & HCFS_O_WRITE) && objs[idx].writers++ == 0)
				snapshot(idx);
			fd = open(path, acc);
			if (fd < 0) {
				fd = -errno;
			} else if (in->flags & HCFS_O_TRUNC) {
				if (ftruncate(fd, 0) == 0)
					objs[idx].written = 1;
			}
			if (fd < 0 && (in->flags & HCFS_O_WRITE))
				objs[idx].writers--;
		} else {
			fd = -EINVAL;
		}
		if (fd < 0) {
			err = -fd;
			break;
		}
		((struct hcfs_open_by_fd_out *)rep)->fd = fd;
		*cfd = fd;
		rlen = sizeof(struct hcfs_open_by_fd_out);
		break;
	}
	case HCFS_CLOSE: {
		struct hcfs_open_in *in = (struct hcfs_open_in *)msg;

		if (objs[idx].type != HCFS_VREG || !(in->flags & HCFS_O_WRITE))
			break;
		if (hesper_flag ? (in->flags & HCFS_O_WRITTEN) : changed_since_open(idx))
			objs[idx].written = 1;
		if (hesper_flag && (in->flags & HCFS_O_WRITTEN))
			note_close_extents(msg, len, in->flags);
		if (objs[idx].writers > 0 && --objs[idx].writers == 0)
			finish_write(idx);
		else
			write_stats();
		break;
	}
	case HCFS_ACCESS_INTENT: {
		struct hcfs_access_intent_in *in = (struct hcfs_access_intent_in *)msg;

		if (in->type == HCFS_ACCESS_TYPE_READ_FINISH ||
		    in->type == HCFS_ACCESS_TYPE_WRITE_FINISH)
			return 0;       /* asynchronous: no reply */
		if (in->type == HCFS_ACCESS_TYPE_WRITE)
			objs[idx].written = 1;
		if (in->type == HCFS_ACCESS_TYPE_MMAP && objs[idx].writers)
			objs[idx].mmap_seen = 1;
		break;
	}
	case HCFS_STATFS: {
		struct hcfs_statfs_out *out = (struct hcfs_statfs_out *)rep;

		out->stat.f_blocks = 1 << 20;
		out->stat.f_bfree = out->stat.f_bavail = 1 << 19;
		out->stat.f_files = MAXOBJ;
		out->stat.f_ffree = MAXOBJ / 2;
		rlen = sizeof(*out);
		break;
	}
	case HCFS_SIGNAL:
		return 0;
	default:
		err = EOPNOTSUPP;
	}
	oh->result = err;
	if (err)
		rlen = sizeof(*oh);
	return rlen;
}

static void usage(void)
{
	fprintf(stderr, "usage: minivenus -d DEV -t FSTYPE -m MNT -c CACHEDIR -s STATS [-z FILE] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static char msg[HCFS_MAXMSGSIZE], rep[HCFS_MAXMSGSIZE];
	const char *dev = NULL, *fstype = NULL, *mnt = NULL;
	struct hcfs_mount_data md;
	uint32_t feat = 0;
	pid_t child;
	int c, mounted = 0, status;

	while ((c = getopt(argc, argv, "d:t:m:c:s:z:v")) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 't': fstype = optarg; break;
		case 'm': mnt = optarg; break;
		case 'c': cachedir = optarg; break;
		case 's': statsfile = optarg; break;
		case 'z': zapfile = optarg; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (!dev || !fstype || !mnt || !cachedir || !statsfile)
		usage();

	devfd = open(dev, O_RDWR);
	if (devfd < 0) {
		perror(dev);
		return 1;
	}
	if (ioctl(devfd, HCFS_IOC_FEATURES, &feat) == 0 && (feat & HCFS_FEAT_WRITTEN))
		hesper_flag = 1;
	say("%s: written flag %s", dev, hesper_flag ? "reported" : "not reported");

	objs[1].used = 1;
	objs[1].type = HCFS_VDIR;
	objs[1].mode = 0777;
	objs[1].nlink = 2;
	write_stats();
	signal(SIGUSR1, on_usr1);

	/* mount(2) sends ROOT and waits for us: mount from a child. */
	child = fork();
	if (child == 0) {
		md.version = HCFS_MOUNT_VERSION;
		md.fd = devfd;
		if (mount(fstype, mnt, fstype, 0, &md) < 0) {
			perror("minivenus: mount");
			_exit(1);
		}
		_exit(0);
	}

	for (;;) {
		struct pollfd pfd = { .fd = devfd, .events = POLLIN };
		ssize_t n;
		size_t rlen;
		int cfd = -1;

		if (zap_requested) {
			zap_requested = 0;
			do_zap();
		}
		if (!mounted && child > 0 && waitpid(child, &status, WNOHANG) == child) {
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				fprintf(stderr, "minivenus: mount failed\n");
				return 1;
			}
			mounted = 1;
			say("mounted %s on %s", fstype, mnt);
			bad_input_tests();
		}
		if (poll(&pfd, 1, mounted ? 1000 : 20) <= 0)
			continue;
		n = read(devfd, msg, sizeof(msg));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof(struct hcfs_in_hdr)) {
			perror("minivenus: read");
			return 1;
		}
		rlen = serve(msg, n, rep, &cfd);
		if (rlen && write(devfd, rep, rlen) != (ssize_t)rlen && errno != ESRCH &&
		    errno != EMSGSIZE)
			perror("minivenus: reply");
		if (cfd >= 0)
			close(cfd);
	}
}
