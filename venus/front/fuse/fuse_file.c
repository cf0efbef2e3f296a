/*
 * fuse_file.c - open files: I/O on the container, and the written flag.
 *
 * Each FUSE open holds its own dup of the container fd (fi->fh points at a
 * struct hf_open).  The written flag is set by exactly: write (including
 * writeback of pages dirtied through a shared mapping), truncate through
 * the open, fallocate, copy_file_range into the file, and O_TRUNC.  Opening
 * O_RDWR and reading never set it; release hands it to fso_close, which
 * skips the store when no writer set it.  The store that close(2) waits
 * for runs at the FLUSH of the last write-capable descriptor of the inode
 * (fuse_fdref.c tells it from a copy's close); a mapping that outlives
 * its descriptors is stored before munmap returns (fuse_mapped.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse_int.h"
#include "venus/util/venus.h"
#include "venus/store/db.h"

int hf_writeback;

struct hf_open {
	struct hf_open *prev, *next;  /* every open, for shutdown */
	uint64_t        ino;
	int             fd;
	int             flags;        /* as given to fso_open */
	int             written;
	int             nodesc;       /* HF_DESC_*: any descriptor left? */
	struct hf_opener opener;      /* writable opens: who opened */
};

/* nodesc: a descriptor of the open may be left (or the last FLUSH found
 * one); none is (only mappings hold it); or unsure: a FLUSH came with no
 * store due and did not look (/proc is read only if a mapping's
 * writeback asks, hf_opens_mapped_only). */
enum { HF_DESC_LEFT, HF_DESC_NONE, HF_DESC_UNSURE };

static struct hf_open hf_opens = { .prev = &hf_opens, .next = &hf_opens, .fd = -1 };

static struct hf_open *hf_fo(const struct fuse_file_info *fi)
{
	return (struct hf_open *)(uintptr_t)fi->fh;
}

/* Always tell fsobj too: a store since this open's last write cleared
 * the inode's flag, not this open's. */
static void hf_mark_written(struct hf_open *fo)
{
	fo->written = 1;
	fso_mark_written(fo->ino);
}

/* The same for a write whose range is known: the store sends only the
 * ranges written (fsobj_extents.c). */
static void hf_note_written(struct hf_open *fo, uint64_t off, uint64_t len)
{
	fo->written = 1;
	fso_note_written(fo->ino, off, len);
}

void hf_opens_stored(uint64_t ino)
{
	struct hf_open *fo;

	for (fo = hf_opens.next; fo != &hf_opens; fo = fo->next)
		if (fo->ino == ino)
			fo->written = 0;
}

/* Set every open of ino whose nodesc is from to to. */
static void hf_opens_desc(uint64_t ino, int from, int to)
{
	struct hf_open *fo;

	for (fo = hf_opens.next; fo != &hf_opens; fo = fo->next)
		if (fo->ino == ino && (fo->nodesc == from || from < 0))
			fo->nodesc = to;
}

#define HF_OPENERS_MAX 16

/* The openers of ino's writable opens; NULL if too many to list. */
static const struct hf_opener *hf_openers(uint64_t ino, struct hf_opener *ops, size_t *n)
{
	struct hf_open *fo;

	*n = 0;
	for (fo = hf_opens.next; fo != &hf_opens; fo = fo->next) {
		if (fo->ino != ino || (fo->flags & O_ACCMODE) == O_RDONLY)
			continue;
		if (*n == HF_OPENERS_MAX)
			return NULL;
		ops[(*n)++] = fo->opener;
	}
	return ops;
}

/* Has some process a write-capable descriptor of ino (fuse_fdref.c)?
 * When /proc cannot tell, fsobj's count of writable opens decides. */
static int hf_desc_left(uint64_t ino)
{
	struct hf_opener ops[HF_OPENERS_MAX];
	const struct hf_opener *opl;
	unsigned writers;
	size_t nops;
	int ref;

	fso_store_due(ino, &writers);
	opl = hf_openers(ino, ops, &nops);
	ref = hf_fdref_writer(ino, opl, nops);
	return ref < 0 ? writers > 1 : ref;
}

int hf_opens_mapped_only(uint64_t ino)
{
	struct hf_open *fo;
	int any = 0, unsure = 0;

	for (fo = hf_opens.next; fo != &hf_opens; fo = fo->next) {
		if (fo->ino != ino || (fo->flags & O_ACCMODE) == O_RDONLY)
			continue;
		if (fo->nodesc == HF_DESC_LEFT)
			return 0;
		unsure |= fo->nodesc == HF_DESC_UNSURE;
		any = 1;
	}
	if (any && unsure) {   /* the look a FLUSH with nothing due skipped */
		if (hf_desc_left(ino)) {
			hf_opens_desc(ino, HF_DESC_UNSURE, HF_DESC_LEFT);
			return 0;
		}
		hf_opens_desc(ino, -1, HF_DESC_NONE);
	}
	return any;
}

void hf_file_truncated(struct fuse_file_info *fi)
{
	hf_fo(fi)->written = 1;   /* fso_setattr marks the inode itself */
}

/* What fsobj needs: the access mode and O_TRUNC.  With the writeback
 * cache the kernel reads to fill partial pages even of O_WRONLY files;
 * O_APPEND would make pwrite ignore the offset the kernel chose. */
static int hf_open_flags(int flags)
{
	int acc = flags & O_ACCMODE;

	if (hf_writeback && acc == O_WRONLY)
		acc = O_RDWR;
	return acc | (flags & O_TRUNC);
}

static struct hf_open *hf_open_new(uint64_t ino, int flags, int fd, pid_t pid)
{
	struct hf_open *fo = malloc(sizeof(*fo));

	if (!fo)
		return NULL;
	fo->fd = dup(fd);
	if (fo->fd < 0) {
		free(fo);
		return NULL;
	}
	fo->ino = ino;
	fo->flags = flags;
	fo->written = !!(flags & O_TRUNC);
	fo->nodesc = HF_DESC_LEFT;
	if ((flags & O_ACCMODE) != O_RDONLY)
		hf_opener_get(pid, &fo->opener);
	else
		memset(&fo->opener, 0, sizeof(fo->opener));
	fo->next = hf_opens.next;
	fo->prev = &hf_opens;
	hf_opens.next->prev = fo;
	hf_opens.next = fo;
	return fo;
}

static void hf_open_free(struct hf_open *fo)
{
	fo->prev->next = fo->next;
	fo->next->prev = fo->prev;
	close(fo->fd);
	free(fo);
}

static void hf_close_ignored(void *arg, int err)
{
}

/* ---- open and create ---- */

struct hf_open_req {
	struct hf_pend         p;
	struct fuse_file_info  fi;
	int                    flags;
	int                    created;
	pid_t                  pid;    /* the caller (FUSE ctx) */
	struct fso_attr        attr;   /* create: the new file's entry */
};

/* Fill fi for the reply; 0 or an errno. */
static int hf_open_fill(struct hf_open_req *r, int fd, const struct fso_attr *a)
{
	struct hf_open *fo = hf_open_new(a->ino, r->flags, fd, r->pid);

	if (!fo)
		return errno ? errno : ENOMEM;
	r->fi.fh = (uintptr_t)fo;
	/* Reuse the kernel's pages only if they hold this very version. */
	r->fi.keep_cache = hf_inode_keep_cache(a->ino, a->dataversion);
	r->fi.direct_io = 0;
	/* close(2) waits for FLUSH, not RELEASE: writers store there. */
	r->fi.noflush = (r->flags & O_ACCMODE) == O_RDONLY;
	return 0;
}

static int hf_open_reply(fuse_req_t req, struct hf_open_req *r)
{
	struct fuse_entry_param e;

	if (!r->created)
		return fuse_reply_open(req, &r->fi);
	memset(&e, 0, sizeof(e));
	e.ino = r->attr.ino;
	hf_fill_stat(&r->attr, &e.attr);
	e.attr_timeout = HF_ATTR_TIMEOUT;
	e.entry_timeout = HF_ENTRY_TIMEOUT;
	return fuse_reply_create(req, &e, &r->fi);
}

static void hf_open_done(void *arg, int err, int fd, const struct fso_attr *a)
{
	struct hf_open_req *r = arg;
	fuse_req_t req = hf_pend_end(&r->p);

	if (!err && (err = hf_open_fill(r, fd, a)) != 0)
		fso_close(a->ino, r->flags, 0, hf_close_ignored, NULL);
	if (err) {
		if (req)
			fuse_reply_err(req, hf_errno(err));
		free(r);
		return;
	}
	/* -ENOENT: the kernel gave up on the open (connection aborted). */
	if (!req || hf_open_reply(req, r) == -ENOENT) {
		/* Nobody will release this open. */
		struct hf_open *fo = hf_fo(&r->fi);

		fso_close(fo->ino, fo->flags, fo->written, hf_close_ignored, NULL);
		hf_open_free(fo);
	}
	free(r);
}

static struct hf_open_req *hf_open_req_new(fuse_req_t req, const struct fuse_file_info *fi)
{
	struct hf_open_req *r = calloc(1, sizeof(*r));

	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	r->fi = *fi;
	r->pid = fuse_req_ctx(req)->pid;
	hf_pend_start(&r->p, req);
	return r;
}

void hf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hf_open_req *r = hf_open_req_new(req, fi);

	if (!r)
		return;
	r->flags = hf_open_flags(fi->flags);
	fso_open(ino, r->flags, r->p.uid, hf_open_done, r);
}

/* The create is logged and core's zones admitted it: open. */
static void hf_create_open(void *arg)
{
	struct hf_open_req *r = arg;

	fso_open(r->attr.ino, r->flags, r->p.uid, hf_open_done, r);
}

static void hf_create_made(void *arg, int err, const struct fso_attr *a)
{
	struct hf_open_req *r = arg;

	if (err || !r->p.req) {
		fuse_req_t req = hf_pend_end(&r->p);

		if (req)
			fuse_reply_err(req, hf_errno(err));
		free(r);
		return;
	}
	r->attr = *a;   /* core's zones already admitted the create */
	hf_create_open(r);
}

void hf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	int err = fso_check_name(name, strlen(name));
	struct hf_open_req *r;

	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	if (!(r = hf_open_req_new(req, fi)))
		return;
	/* The file is new and empty: O_TRUNC would only force a store. */
	r->flags = hf_open_flags(fi->flags) & ~O_TRUNC;
	r->created = 1;
	fso_create(parent, name, mode & 07777, ctx->uid, ctx->gid, hf_create_made, r);
}

/* ---- release ---- */

static void hf_release_done(void *arg, int err)
{
	struct hf_pend *p = arg;
	fuse_req_t req = hf_pend_end(p);

	if (req)
		fuse_reply_err(req, err ? hf_errno(err) : 0);
	free(p);
}

/* The last reference to the open is gone (after the last munmap, and
 * after the kernel wrote back its dirty pages): the store, if any, runs
 * now and the reply waits for it. */
void hf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hf_open *fo = hf_fo(fi);
	int flags = fo->flags, written = fo->written;
	struct hf_pend *p;

	hf_open_free(fo);
	if ((p = hf_pend_new(req)) != NULL)
		fso_close(ino, flags, written, hf_release_done, p);
	else
		fso_close(ino, flags, written, hf_close_ignored, NULL);
}

void hf_file_close_all(void)
{
	while (hf_opens.next != &hf_opens) {
		struct hf_open *fo = hf_opens.next;

		fso_close(fo->ino, fo->flags, fo->written, hf_close_ignored, NULL);
		hf_open_free(fo);
	}
}

/* ---- I/O on the container ---- */

/* Zero-copy when the kernel allows splice: the reply is spliced from the
 * container straight into /dev/fuse. */
void hf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = hf_fo(fi)->fd;
	bv.buf[0].pos = off;
	fuse_reply_data(req, &bv, 0);
}

/* Writes with FUSE_WRITE_CACHE (fi->writepage) are the kernel's writeback
 * of dirty pages, possibly dirtied through a mapping of another open: fh
 * is any writable open of the inode, so mark the inode as well. */
void hf_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
		  struct fuse_file_info *fi)
{
	struct hf_open *fo = hf_fo(fi);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(fuse_buf_size(bufv));
	ssize_t n;

	dst.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	dst.buf[0].fd = fo->fd;
	dst.buf[0].pos = off;
	fso_room(fuse_buf_size(bufv));   /* clean copies go before ENOSPC */
	n = fuse_buf_copy(&dst, bufv, 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	hf_note_written(fo, (uint64_t)off, (uint64_t)n);
	/* Writeback of a mapping that outlived its descriptors (munmap
	 * waits for it): the reply waits for the store. */
	if (fi->writepage && hf_opens_mapped_only(ino))
		hf_mapped_write(req, ino, (size_t)n);
	else
		hf_zone_reply_write(req, ino, (size_t)n);
}

static void hf_flush_done(void *arg, int err)
{
	struct hf_pend *p = arg;
	fuse_req_t req = hf_pend_end(p);

	if (req)
		fuse_reply_err(req, err ? hf_errno(err) : 0);
	free(p);
}

/* A stored file may have logged a record: core's zones have admitted
 * the reply already (fsobj_zone.c). */
static void hf_flush_stored(void *arg, int err)
{
	hf_flush_done(arg, err);
}

/* close(2) of any descriptor of a writable open: the kernel has written
 * back dirty pages and waits for this reply.  FLUSH comes for the close
 * of a dup or of a forked copy as well, and carries no reference count;
 * the kernel has already dropped the descriptor from its table, so if
 * /proc still lists a write-capable descriptor of the inode (this open's
 * copy, or another open), that later close publishes and this one stores
 * nothing: a copy's close never sends the intermediate content (such as
 * the empty file of `cat big > f` between open(O_TRUNC) and the write).
 * The last one stores, and its close(2) gets the store's error.  What is
 * written after it (a mapping that outlives the fd) is stored at release. */
void hf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hf_pend *p;

	/* Nothing to store: whether a descriptor is left matters only to a
	 * mapping's later writeback, which looks then (~20 reads of /proc
	 * saved at every close that stores nothing). */
	if (!fso_store_due(ino, NULL)) {
		hf_opens_desc(ino, HF_DESC_LEFT, HF_DESC_UNSURE);
		fuse_reply_err(req, 0);
		return;
	}
	if (hf_desc_left(ino)) {
		fuse_reply_err(req, 0);
		return;
	}
	/* Whatever holds the opens now is a mapping (fuse_mapped.c). */
	hf_opens_desc(ino, -1, HF_DESC_NONE);
	if (!(p = hf_pend_new(req))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	hf_opens_stored(ino);
	fso_flush_store(ino, hf_flush_stored, p);
}

/* Durable in the cache, with every change venus.db holds so far (the
 * CML records of an offline file, its entry); the store to vice happens
 * at release. */
void hf_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int fd = hf_fo(fi)->fd;
	int res = datasync ? fdatasync(fd) : fsync(fd);

	fuse_reply_err(req, res < 0 ? errno : db_sync(V->db));
}

void hf_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		  struct fuse_file_info *fi)
{
	struct hf_open *fo = hf_fo(fi);

	if (fallocate(fo->fd, mode, off, len) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	/* Collapse and insert move the bytes after the range: whole file. */
	if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
		hf_mark_written(fo);
	else
		hf_note_written(fo, (uint64_t)off, (uint64_t)len);
	fuse_reply_err(req, 0);
}

void hf_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct hf_open *in = hf_fo(fi_in), *out = hf_fo(fi_out);
	loff_t oin = off_in, oout = off_out;
	ssize_t n = copy_file_range(in->fd, &oin, out->fd, &oout, len, (unsigned)flags);

	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if (n > 0)
		hf_note_written(out, (uint64_t)off_out, (uint64_t)n);
	fuse_reply_write(req, (size_t)n);
}
