/*
 * fuse.c - the FUSE front end: session, mount and the libevent hookup.
 *
 * venus serves /dev/fuse from its own single libevent loop: the device fd
 * is non-blocking and read when it polls readable.  Handlers never block
 * on vice: they call fsobj and answer from its callback, keeping the
 * fuse_req_t in a small heap struct (struct hf_pend) until then.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fuse_int.h"
#include "venus/front/front.h"
#include "venus/util/venus.h"
#include "venus/store/db.h"

static struct fuse_session *hf_se;
static struct event        *hf_ev;
static struct fuse_buf      hf_buf;
static struct hf_pend       hf_pending = { &hf_pending, &hf_pending, NULL, FSO_SELF };

/* ---- outstanding requests ---- */

void hf_pend_start(struct hf_pend *p, fuse_req_t req)
{
	p->req = req;
	p->uid = req ? fuse_req_ctx(req)->uid : FSO_SELF;
	p->next = hf_pending.next;
	p->prev = &hf_pending;
	hf_pending.next->prev = p;
	hf_pending.next = p;
}

fuse_req_t hf_pend_end(struct hf_pend *p)
{
	fuse_req_t req = p->req;

	if (req) {
		p->prev->next = p->next;
		p->next->prev = p->prev;
		p->prev = p->next = p;
	}
	return req;
}

struct hf_pend *hf_pend_new(fuse_req_t req)
{
	struct hf_pend *p = malloc(sizeof(*p));

	if (!p) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	hf_pend_start(p, req);
	return p;
}

/* Answer everything still waiting for fsobj; the kernel is going away. */
static void hf_pend_orphan_all(void)
{
	while (hf_pending.next != &hf_pending) {
		struct hf_pend *p = hf_pending.next;
		fuse_req_t req = hf_pend_end(p);

		p->req = NULL;
		fuse_reply_err(req, EIO);
	}
}

/* ---- replies shared by the ops ---- */

int hf_errno(int err)
{
	/* Anything that is not a plain errno (e.g. HS_ECONFLICT) is an I/O
	 * error to applications. */
	return err > 0 && err < 4096 ? err : EIO;
}

void hf_fill_stat(const struct fso_attr *a, struct stat *st)
{
	*st = a->st;
	st->st_ino = a->ino;
	st->st_blocks = (a->st.st_size + 511) / 512;
	/* Larger blocks would raise the kernel's i_blkbits past PAGE_SIZE. */
	st->st_blksize = 4096;
}

void hf_reply_entry(fuse_req_t req, const struct fso_attr *a)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = a->ino;
	e.generation = 0;   /* ino names one fid for the life of the cache */
	hf_fill_stat(a, &e.attr);
	e.attr_timeout = HF_ATTR_TIMEOUT;
	e.entry_timeout = HF_ENTRY_TIMEOUT;
	fuse_reply_entry(req, &e);
}

void hf_entry_done(void *arg, int err, const struct fso_attr *a)
{
	struct hf_pend *p = arg;
	fuse_req_t req = hf_pend_end(p);

	if (req) {
		if (err)
			fuse_reply_err(req, hf_errno(err));
		else
			hf_reply_entry(req, a);
	} else if (!err) {
		/* Orphaned: the kernel never took this lookup reference. */
		fso_forget(a->ino, 1);
	}
	free(p);
}

/* ---- session ---- */

/* The writeback cache stays off: with it the kernel trusts its own i_size
 * and mtime of a cached regular file and ignores vice's (fuse_get_cache_mask),
 * so a file another client stored would keep its old size here until the
 * inode left the kernel's cache - callback breaks cannot fix that.  Without
 * it a shared writable mmap still works: dirty pages arrive as writes with
 * FUSE_WRITE_CACHE.  The I/O paths handle both modes. */
#define HF_WANT_WRITEBACK 0

static void hf_init(void *userdata, struct fuse_conn_info *conn)
{
	unsigned want = (HF_WANT_WRITEBACK ? FUSE_CAP_WRITEBACK_CACHE : 0) |
		FUSE_CAP_ATOMIC_O_TRUNC |
		FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE |
		FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_AUTO_INVAL_DATA;

	conn->want |= conn->capable & want;
	/* The kernel clears setuid bits itself through setattr. */
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
	if (!HF_WANT_WRITEBACK)
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	hf_writeback = !!(conn->want & FUSE_CAP_WRITEBACK_CACHE);
	conn->max_write = 1024 * 1024;
	conn->max_readahead = 1024 * 1024;  /* the kernel lowers it to its own */
	conn->time_gran = 1;
	vlog(LOG_INFO, "fuse: protocol %u.%u, writeback cache %s, splice %s",
	     conn->proto_major, conn->proto_minor, hf_writeback ? "on" : "off",
	     conn->want & FUSE_CAP_SPLICE_WRITE ? "on" : "off");
}

static void hf_destroy(void *userdata)
{
	vlog(LOG_INFO, "fuse: kernel connection closed");
}

static const struct fuse_lowlevel_ops hf_ops = {
	.init            = hf_init,
	.destroy         = hf_destroy,
	.lookup          = hf_lookup,
	.forget          = hf_forget,
	.forget_multi    = hf_forget_multi,
	.getattr         = hf_getattr,
	.setattr         = hf_setattr,
	.readlink        = hf_readlink,
	.mknod           = hf_mknod,
	.mkdir           = hf_mkdir,
	.unlink          = hf_unlink,
	.rmdir           = hf_rmdir,
	.symlink         = hf_symlink,
	.rename          = hf_rename,
	.link            = hf_link,
	.open            = hf_open,
	.create          = hf_create,
	.read            = hf_read,
	.write_buf       = hf_write_buf,
	.flush           = hf_flush,
	.release         = hf_release,
	.fsync           = hf_fsync,
	.fsyncdir        = hf_fsyncdir,
	.opendir         = hf_opendir,
	.readdir         = hf_readdir,
	.readdirplus     = hf_readdirplus,
	.releasedir      = hf_releasedir,
	.statfs          = hf_statfs,
	.fallocate       = hf_fallocate,
	.copy_file_range = hf_copy_file_range,
	/* No xattr ops: libfuse answers ENOSYS once, after which the kernel
	 * stops asking and every caller (cp -a, tar, the write path's
	 * security.capability probe) gets ENOTSUP without an upcall. */
};

void hf_before_reply(void)
{
	db_flush(V->db);
}

static void hf_loop_stop(const char *why)
{
	vlog(LOG_NOTICE, "fuse: %s; leaving the loop", why);
	event_del(hf_ev);
	event_base_loopexit(V->base, NULL);
}

/* Serve a bounded batch per wakeup so other events are not starved. */
static void hf_on_readable(evutil_socket_t fd, short what, void *arg)
{
	for (int i = 0; i < 64; i++) {
		int res = fuse_session_receive_buf(hf_se, &hf_buf);

		if (res == -EINTR || res == -ENOENT)  /* ENOENT: interrupted request */
			continue;
		if (res == -EAGAIN)
			return;
		if (res == 0 || res == -ENODEV || fuse_session_exited(hf_se)) {
			hf_loop_stop("file system unmounted");
			return;
		}
		if (res < 0) {
			vlog(LOG_ERR, "fuse: reading /dev/fuse: %s", strerror(-res));
			hf_loop_stop("device error");
			return;
		}
		fuse_session_process_buf(hf_se, &hf_buf);
	}
}

static void hf_hook_inode(uint64_t ino)
{
	hf_notify_inode(ino);
}

static void hf_hook_entry(uint64_t dir, const char *name)
{
	hf_notify_entry(dir, name);
}

static const struct vfront_ops hf_front = {
	.name        = "fuse",
	.inval_inode = hf_hook_inode,
	.inval_entry = hf_hook_entry,
	.fence = hf_notify_fence,
	.hold = hf_notify_hold,
};

static struct fuse_session *hf_session_new(void)
{
	/* allow_other needs root (or user_allow_other): then every user sees
	 * the mount, as with Coda's /coda. */
	const char *opts = geteuid() == 0 ?
		"default_permissions,allow_other,fsname=hesper,subtype=hesper" :
		"default_permissions,fsname=hesper,subtype=hesper";
	char *argv[] = { "venus", "-o", (char *)opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se = fuse_session_new(&args, &hf_ops, sizeof(hf_ops), NULL);

	fuse_opt_free_args(&args);
	return se;
}

static int hf_watch_fd(void)
{
	int fd = fuse_session_fd(hf_se);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	hf_ev = event_new(V->base, fd, EV_READ | EV_PERSIST, hf_on_readable, NULL);
	if (!hf_ev || event_add(hf_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* The canonical path, resolved before mounting: afterwards every stat of
 * it would be an upcall that nobody serves yet. */
static int hf_mount(const char *mountpoint, char *real)
{
	if (!realpath(mountpoint, real)) {
		vlog(LOG_ERR, "fuse: mount point %s: %s", mountpoint, strerror(errno));
		return -errno;
	}
	hf_se = hf_session_new();
	if (!hf_se) {
		vlog(LOG_ERR, "fuse: cannot create the session");
		return -EINVAL;
	}
	if (fuse_session_mount(hf_se, real) != 0) {
		vlog(LOG_ERR, "fuse: cannot mount %s", real);
		fuse_session_destroy(hf_se);
		hf_se = NULL;
		return -EIO;
	}
	return 0;
}

int front_fuse_start(const char *mountpoint)
{
	char real[PATH_MAX];
	int err;

	if (hf_se)
		return -EBUSY;
	if ((err = hf_mount(mountpoint, real)) != 0)
		return err;
	hf_fdref_init(real);
	err = hf_watch_fd();
	if (!err)
		err = hf_notify_start(hf_se, real);
	if (err) {
		vlog(LOG_ERR, "fuse: cannot serve %s: %s", real, strerror(-err));
		front_fuse_stop();
		return err;
	}
	fso_set_front(&hf_front);
	vlog(LOG_INFO, "fuse: mounted on %s", real);
	return 0;
}

void front_fuse_stop(void)
{
	if (!hf_se)
		return;
	if (hf_ev) {
		event_free(hf_ev);
		hf_ev = NULL;
	}
	/* Answering the waiting requests frees the directory locks they
	 * hold, which the notifier may be waiting for. */
	hf_pend_orphan_all();
	hf_mapped_free_all();
	hf_notify_stop();
	hf_file_close_all();
	hf_dir_free_all();
	fuse_session_unmount(hf_se);
	fuse_session_destroy(hf_se);
	hf_se = NULL;
	free(hf_buf.mem);
	memset(&hf_buf, 0, sizeof(hf_buf));
	hf_inode_clear();
}
