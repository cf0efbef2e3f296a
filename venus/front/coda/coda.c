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
 * This file owns the device, the dispatch table, the mount child and
 * start/stop; the rest is in coda_reply.c, coda_ops.c, coda_file.c (with
 * the written-flag fallback for coda.ko) and coda_dir.c (coda_int.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/front/front.h"
#include "coda_int.h"

#define MOUNT_WAIT_S	60

int                 cf_fd = -1;
int                 cf_hesper;      /* module reports HCFS_O_WRITTEN */
int                 cf_extents;     /* module reports HCFS_O_EXTENTS */
struct cpend        cf_pending = { .prev = &cf_pending, .next = &cf_pending };
static struct event *cf_ev;
static char         *cf_mnt;

/* ---- the dispatch table ---- */

/* SIGNAL: the kernel gave up on an upcall; it gets no reply. */
static int cf_pre_signal(const char *msg, size_t len)
{
	(void)len;
	cf_signal(((const struct hcfs_in_hdr *)msg)->unique);
	return 0;
}

/* An opcode's entry: pre (if any) runs first and returns 0 when the
 * message gets no reply; fn serves it (NULL: EOPNOTSUPP); CF_NOFID: the
 * message carries no fid to check. */
#define CF_NOFID	1
static const struct cf_upcall {
	int          (*pre)(const char *msg, size_t len);
	cf_upcall_fn  *fn;
	unsigned       flags;
} cf_upcalls[HCFS_NCALLS] = {
	[HCFS_ROOT]          = { NULL, cf_up_root, CF_NOFID },
	[HCFS_GETATTR]       = { NULL, cf_up_getattr, 0 },
	[HCFS_SETATTR]       = { NULL, cf_up_setattr, 0 },
	[HCFS_ACCESS]        = { NULL, cf_up_access, 0 },
	[HCFS_LOOKUP]        = { NULL, cf_up_lookup, 0 },
	[HCFS_CREATE]        = { NULL, cf_up_create, 0 },
	[HCFS_MKDIR]         = { NULL, cf_up_mkdir, 0 },
	[HCFS_SYMLINK]       = { NULL, cf_up_symlink, 0 },
	[HCFS_REMOVE]        = { NULL, cf_up_remove, 0 },
	[HCFS_RMDIR]         = { NULL, cf_up_remove, 0 },
	[HCFS_LINK]          = { NULL, cf_up_link, 0 },
	[HCFS_RENAME]        = { NULL, cf_up_rename, 0 },
	[HCFS_READLINK]      = { NULL, cf_up_readlink, 0 },
	[HCFS_OPEN_BY_FD]    = { NULL, cf_up_open, 0 },
	[HCFS_CLOSE]         = { NULL, cf_up_close, 0 },
	[HCFS_FSYNC]         = { NULL, cf_up_noop, 0 },
	[HCFS_SIGNAL]        = { cf_pre_signal, NULL, 0 },
	[HCFS_ACCESS_INTENT] = { cf_pre_intent, cf_up_noop, 0 },
	[HCFS_STATFS]        = { NULL, cf_up_statfs, CF_NOFID },
};

static void cf_dispatch(const char *msg, size_t len)
{
	static const struct cf_upcall unknown = { NULL, NULL, 0 };
	const struct hcfs_in_hdr *ih = (const void *)msg;
	const struct cf_upcall *up = ih->opcode < HCFS_NCALLS ? &cf_upcalls[ih->opcode] : &unknown;
	struct cpend *p;
	uint64_t ino = 0;
	int err;

	if (up->pre && !up->pre(msg, len))
		return;
	if (!(p = cf_pend_new(ih))) {
		vlog(LOG_ERR, "coda: out of memory");
		return;
	}
	if (!(up->flags & CF_NOFID)) {
		if (len < sizeof(struct hcfs_fid_in)) {
			cf_reply_err(p, EINVAL);
			return;
		}
		ino = cf_ino(&((const struct hcfs_fid_in *)msg)->fid);
		if (!ino) {
			cf_reply_err(p, ESTALE);
			return;
		}
	}
	vlog(LOG_DEBUG, "coda: upcall %u unique %u ino %llu", ih->opcode, ih->unique,
	     (unsigned long long)ino);
	err = up->fn ? up->fn(p, msg, len, ino) : EOPNOTSUPP;
	if (err)
		cf_reply_err(p, err);
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
	cf_extents = cf_hesper && (feat & HCFS_FEAT_EXTENTS);
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
	     cf_extents ? "written extents from the module" :
	     cf_hesper ? "written flag from the module" : "coda.ko: written-flag fallback");
	return 0;
}

void front_coda_stop(void)
{
	struct cpend *p;

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
	cf_states_free();
}
