/*
 * fuse_dir.c - directory reading from a snapshot taken at opendir.
 *
 * opendir asks fsobj for all entries once and keeps them (with "." and
 * "..") in fi->fh; readdir serves them by index, offset = index + 1, so a
 * directory changing underneath does not skip or repeat entries within
 * one open.  readdirplus looks each entry of its window up through fsobj,
 * which also gives the kernel the lookup reference it expects.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_int.h"
#include "venus/util/venus.h"
#include "venus/store/db.h"

struct hf_dent {
	uint64_t ino;
	mode_t   type;
	char    *name;    /* into hf_dir.names */
};

struct hf_dir {
	struct hf_dir  *prev, *next;   /* every snapshot, for shutdown */
	size_t          n;
	struct hf_dent *ents;
	char           *names;
};

static struct hf_dir hf_dirs = { &hf_dirs, &hf_dirs, 0, NULL, NULL };

static struct hf_dir *hf_dir_of(const struct fuse_file_info *fi)
{
	return (struct hf_dir *)(uintptr_t)fi->fh;
}

static void hf_dir_free(struct hf_dir *d)
{
	d->prev->next = d->next;
	d->next->prev = d->prev;
	free(d->ents);
	free(d->names);
	free(d);
}

void hf_dir_free_all(void)
{
	while (hf_dirs.next != &hf_dirs)
		hf_dir_free(hf_dirs.next);
}

static void hf_dir_add(struct hf_dir *d, size_t *pos, uint64_t ino, mode_t type,
		       const char *name)
{
	size_t len = strlen(name) + 1;
	struct hf_dent *e = &d->ents[d->n++];

	e->ino = ino;
	e->type = type;
	e->name = memcpy(d->names + *pos, name, len);
	*pos += len;
}

static struct hf_dir *hf_dir_new(uint64_t ino, const struct fso_dirent *ents, size_t n)
{
	struct hf_dir *d = calloc(1, sizeof(*d));
	size_t bytes = sizeof(".") + sizeof(".."), pos = 0;

	for (size_t i = 0; i < n; i++)
		bytes += strnlen(ents[i].name, sizeof(ents[i].name) - 1) + 1;
	if (d) {
		d->ents = malloc((n + 2) * sizeof(*d->ents));
		d->names = malloc(bytes);
	}
	if (!d || !d->ents || !d->names) {
		if (d) {
			free(d->ents);
			free(d->names);
		}
		free(d);
		return NULL;
	}
	hf_dir_add(d, &pos, ino, S_IFDIR, ".");
	hf_dir_add(d, &pos, hf_inode_parent(ino), S_IFDIR, "..");
	for (size_t i = 0; i < n; i++) {
		if (memchr(ents[i].name, 0, sizeof(ents[i].name)))  /* never unterminated */
			hf_dir_add(d, &pos, ents[i].ino, ents[i].type, ents[i].name);
	}
	d->next = hf_dirs.next;
	d->prev = &hf_dirs;
	hf_dirs.next->prev = d;
	hf_dirs.next = d;
	return d;
}

/* ---- opendir, releasedir ---- */

struct hf_opendir_req {
	struct hf_pend        p;
	struct fuse_file_info fi;
	uint64_t              ino;
};

static void hf_opendir_done(void *arg, int err, const struct fso_dirent *ents, size_t n)
{
	struct hf_opendir_req *r = arg;
	fuse_req_t req = hf_pend_end(&r->p);
	struct hf_dir *d = NULL;

	if (req && !err && !(d = hf_dir_new(r->ino, ents, n)))
		err = ENOMEM;
	if (req && err) {
		fuse_reply_err(req, hf_errno(err));
	} else if (req) {
		r->fi.fh = (uintptr_t)d;
		if (fuse_reply_open(req, &r->fi) == -ENOENT)  /* interrupted */
			hf_dir_free(d);
	}
	free(r);
}

void hf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hf_opendir_req *r = malloc(sizeof(*r));

	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r->fi = *fi;
	r->ino = ino;
	hf_pend_start(&r->p, req);
	fso_readdir(ino, r->p.uid, hf_opendir_done, r);
}

void hf_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	hf_dir_free(hf_dir_of(fi));
	fuse_reply_err(req, 0);
}

/* ---- readdir ---- */

void hf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct hf_dir *d = hf_dir_of(fi);
	char *buf = malloc(size ? size : 1);
	size_t pos = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = off < 0 ? 0 : (size_t)off; i < d->n; i++) {
		struct stat st = { .st_ino = d->ents[i].ino, .st_mode = d->ents[i].type };
		size_t len = fuse_add_direntry(req, buf + pos, size - pos, d->ents[i].name,
					       &st, (off_t)i + 1);

		if (len > size - pos)
			break;
		pos += len;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

/* ---- readdirplus ---- */

struct hf_plus_req {
	struct hf_pend   p;
	struct hf_dir   *d;
	size_t           first, count, waiting, size;
	struct fso_attr *attrs;
	int             *ok;
};

struct hf_plus_one {
	struct hf_plus_req *r;
	size_t              k;   /* index within the window */
};

static void hf_plus_reply(fuse_req_t req, struct hf_plus_req *r)
{
	char *buf = malloc(r->size ? r->size : 1);
	size_t pos = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t k = 0; k < r->count; k++) {
		const struct hf_dent *de = &r->d->ents[r->first + k];
		struct fuse_entry_param e;

		memset(&e, 0, sizeof(e));
		e.attr.st_ino = de->ino;
		e.attr.st_mode = de->type;
		if (r->ok[k]) {   /* else: name only; the kernel looks it up later */
			e.ino = r->attrs[k].ino;
			hf_fill_stat(&r->attrs[k], &e.attr);
			e.attr_timeout = HF_ATTR_TIMEOUT;
			e.entry_timeout = HF_ENTRY_TIMEOUT;
		}
		pos += fuse_add_direntry_plus(req, buf + pos, r->size - pos, de->name, &e,
					      (off_t)(r->first + k) + 1);
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void hf_plus_finish(struct hf_plus_req *r)
{
	fuse_req_t req;

	if (--r->waiting)
		return;
	req = hf_pend_end(&r->p);
	if (req) {
		hf_plus_reply(req, r);
	} else {
		/* Orphaned: give back the references the kernel never got. */
		for (size_t k = 0; k < r->count; k++)
			if (r->ok[k])
				fso_forget(r->attrs[k].ino, 1);
	}
	free(r->attrs);
	free(r->ok);
	free(r);
}

static void hf_plus_looked(void *arg, int err, const struct fso_attr *a)
{
	struct hf_plus_one *one = arg;
	struct hf_plus_req *r = one->r;

	if (!err) {
		r->attrs[one->k] = *a;
		r->ok[one->k] = 1;
	}
	free(one);
	hf_plus_finish(r);
}

/* How many entries from first fit in size bytes of direntplus records. */
static size_t hf_plus_window(fuse_req_t req, const struct hf_dir *d, size_t first, size_t size)
{
	size_t used = 0, k;

	for (k = first; k < d->n; k++) {
		size_t len = fuse_add_direntry_plus(req, NULL, 0, d->ents[k].name, NULL, 0);

		if (used + len > size)
			break;
		used += len;
	}
	return k - first;
}

static struct hf_plus_req *hf_plus_req_new(fuse_req_t req, struct hf_dir *d, size_t first,
					   size_t count, size_t size)
{
	struct hf_plus_req *r = calloc(1, sizeof(*r));

	if (r) {
		r->attrs = calloc(count + 1, sizeof(*r->attrs));
		r->ok = calloc(count + 1, sizeof(*r->ok));
	}
	if (!r || !r->attrs || !r->ok) {
		if (r) {
			free(r->attrs);
			free(r->ok);
		}
		free(r);
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	r->d = d;
	r->first = first;
	r->count = count;
	r->size = size;
	r->waiting = 1;   /* held until every lookup is issued */
	hf_pend_start(&r->p, req);
	return r;
}

/* "." and ".." get no attributes: the kernel must not link them.  Nor do
 * the realms in /coda not mounted yet (listed with the directory's own
 * ino): listing must not mount them, a realm whose servers are down
 * would hold the ls. */
static void hf_plus_lookup(struct hf_plus_req *r, fuse_ino_t dir, size_t k)
{
	const struct hf_dent *de = &r->d->ents[r->first + k];
	struct hf_plus_one *one;

	if (r->first + k < 2 || (dir == FSO_ROOT_INO && de->ino == FSO_ROOT_INO) ||
	    !(one = malloc(sizeof(*one))))
		return;
	one->r = r;
	one->k = k;
	r->waiting++;
	fso_lookup(dir, de->name, r->p.uid, hf_plus_looked, one);
}

void hf_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct hf_dir *d = hf_dir_of(fi);
	size_t first = off < 0 ? 0 : (size_t)off;
	size_t count = first < d->n ? hf_plus_window(req, d, first, size) : 0;
	struct hf_plus_req *r = hf_plus_req_new(req, d, first, count, size);

	if (!r)
		return;
	for (size_t k = 0; k < count; k++)
		hf_plus_lookup(r, ino, k);
	hf_plus_finish(r);
}

/* A directory's entries are rows of venus.db (and offline, CML records):
 * durable once its WAL is (db_sync). */
void hf_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, db_sync(V->db));
}
