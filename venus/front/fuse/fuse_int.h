/*
 * fuse_int.h - private to the FUSE front end (venus/fuse*.c).
 *
 * fuse.c owns the session and the libevent hookup; the ops live in
 * fuse_node.c (names and attributes), fuse_file.c (open files), fuse_dir.c
 * (directory snapshots); fuse_inode.c keeps per-inode front-end state and
 * fuse_notify.c writes invalidations to the kernel.
 */
#ifndef VENUS_FUSE_INT_H
#define VENUS_FUSE_INT_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdint.h>
#include "venus/core/fsobj.h"

/* Every reply leaves after the database changes of its request are
 * committed (venus/store/db.h, db_flush): kill -9 of venus right after an
 * answer loses nothing it answered for.  libfuse's reply functions, as
 * the front calls them, commit first (fuse.c). */
void hf_before_reply(void);
#define fuse_reply_err(...)      (hf_before_reply(), fuse_reply_err(__VA_ARGS__))
#define fuse_reply_none(...)     (hf_before_reply(), fuse_reply_none(__VA_ARGS__))
#define fuse_reply_entry(...)    (hf_before_reply(), fuse_reply_entry(__VA_ARGS__))
#define fuse_reply_create(...)   (hf_before_reply(), fuse_reply_create(__VA_ARGS__))
#define fuse_reply_attr(...)     (hf_before_reply(), fuse_reply_attr(__VA_ARGS__))
#define fuse_reply_readlink(...) (hf_before_reply(), fuse_reply_readlink(__VA_ARGS__))
#define fuse_reply_open(...)     (hf_before_reply(), fuse_reply_open(__VA_ARGS__))
#define fuse_reply_write(...)    (hf_before_reply(), fuse_reply_write(__VA_ARGS__))
#define fuse_reply_buf(...)      (hf_before_reply(), fuse_reply_buf(__VA_ARGS__))
#define fuse_reply_data(...)     (hf_before_reply(), fuse_reply_data(__VA_ARGS__))
#define fuse_reply_iov(...)      (hf_before_reply(), fuse_reply_iov(__VA_ARGS__))
#define fuse_reply_statfs(...)   (hf_before_reply(), fuse_reply_statfs(__VA_ARGS__))
#define fuse_reply_lseek(...)    (hf_before_reply(), fuse_reply_lseek(__VA_ARGS__))

/* vice breaks callbacks and fsobj turns them into notify_inval, so the
 * kernel may trust what it caches for a good while. */
#define HF_ATTR_TIMEOUT  30.0
#define HF_ENTRY_TIMEOUT 10.0

/* One request waiting for fsobj.  At shutdown the outstanding ones are
 * answered EIO and orphaned (req = NULL); their fsobj callbacks then only
 * clean up.  Embed first in every per-request struct. */
struct hf_pend {
	struct hf_pend *prev, *next;
	fuse_req_t      req;
	uid_t           uid;   /* the caller (fuse_req_ctx): fsobj calls go as it */
};
void hf_pend_start(struct hf_pend *p, fuse_req_t req);
/* Unlink p; the request to answer, or NULL if it was orphaned. */
fuse_req_t hf_pend_end(struct hf_pend *p);

/* fsobj's positive errno to one the kernel accepts. */
int hf_errno(int err);
void hf_fill_stat(const struct fso_attr *a, struct stat *st);
void hf_reply_entry(fuse_req_t req, const struct fso_attr *a);
/* Reply an fsobj result: the entry on success, else the error. */
void hf_entry_done(void *arg, int err, const struct fso_attr *a);
/* A heap hf_pend for ops whose callback only needs the request. */
struct hf_pend *hf_pend_new(fuse_req_t req);

/* fuse_node.c */
void hf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void hf_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void hf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *fd);
void hf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void hf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi);
void hf_readlink(fuse_req_t req, fuse_ino_t ino);
void hf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void hf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void hf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void hf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void hf_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void hf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags);
void hf_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void hf_statfs(fuse_req_t req, fuse_ino_t ino);

/* fuse_file.c */
extern int hf_writeback;  /* FUSE_CAP_WRITEBACK_CACHE was granted */
void hf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void hf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void hf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void hf_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
		  struct fuse_file_info *fi);
void hf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void hf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void hf_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void hf_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		  struct fuse_file_info *fi);
void hf_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			struct fuse_file_info *fi_out, size_t len, int flags);
/* A store of ino starts: no open of it makes RELEASE store again for
 * what was written so far. */
void hf_opens_stored(uint64_t ino);
/* 1 if ino has write opens and none has a descriptor left (FLUSH found
 * no write-capable descriptor): only mappings hold them. */
int  hf_opens_mapped_only(uint64_t ino);
/* setattr of the size through an open file: that open wrote. */
void hf_file_truncated(struct fuse_file_info *fi);
/* Shutdown: close every open the kernel can no longer release. */
void hf_file_close_all(void);

/* fuse_fdref.c: descriptors that still refer to a file (see there). */
/* Who opened a file: the calling thread's id (FUSE ctx pid) and its start
 * time (proc(5) stat field 22, 0 if unknown). */
struct hf_opener {
	pid_t              pid;
	unsigned long long start;
};
void hf_opener_get(pid_t pid, struct hf_opener *op);
/* Remember the canonical mount point (before the first FLUSH). */
void hf_fdref_init(const char *mountpoint);
/* 1 if some process other than venus still has a write-capable
 * descriptor of ino on our mount, 0 if none, -1 if /proc could not tell.
 * ops[n]: the openers of ino's writable opens (their process trees are
 * searched); NULL, or an opener gone, searches every process. */
int  hf_fdref_writer(uint64_t ino, const struct hf_opener *ops, size_t n);

/* fuse_mapped.c: the kernel's writeback of a mapping that outlived its
 * descriptors (munmap waits for these replies): reply n once a store
 * that holds the data is done (or its error). */
void hf_mapped_write(fuse_req_t req, uint64_t ino, size_t n);
void hf_mapped_free_all(void);

/* fuse_dir.c */
void hf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void hf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void hf_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void hf_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void hf_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void hf_dir_free_all(void);

/* fuse_zone.c: a write's reply, once the yellow/red zones admit it
 * (fso_write_admit). */
void hf_zone_reply_write(fuse_req_t req, uint64_t ino, size_t n);

/* fuse_inode.c: front-end state per inode the kernel knows. */
void     hf_inode_set_parent(uint64_t ino, uint64_t parent);
uint64_t hf_inode_parent(uint64_t ino);
/* 1 if the kernel's page cache of ino still holds dataversion dv; records
 * dv as what the kernel caches from now on. */
int      hf_inode_keep_cache(uint64_t ino, uint64_t dv);
void     hf_inode_forget(uint64_t ino);
void     hf_inode_clear(void);

/* fuse_notify.c: invalidations, written by a helper thread (see there). */
int  hf_notify_start(struct fuse_session *se, const char *mountpoint);
void hf_notify_stop(void);
void hf_notify_inode(uint64_t ino);
void hf_notify_entry(uint64_t dir, const char *name);
/* vfront_ops.hold: from hold(1) to the matching hold(0) notifications
 * queue without waking the writer; the last hold(0) wakes it once. */
void hf_notify_hold(int on);
/* Run done(arg) on the loop once the notifications queued so far are
 * written (vfront_ops.fence). */
void hf_notify_fence(void (*done)(void *arg), void *arg);

#endif /* VENUS_FUSE_INT_H */
