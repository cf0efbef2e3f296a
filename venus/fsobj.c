/*
 * fsobj.c - venus's cached objects and the operations on them (fsobj.h).
 *
 * Every record of venus.db is mirrored in memory (struct fso), indexed by
 * ino and by fid; changes are written through to SQLite.  What does not
 * survive a restart lives only here: callback promises, open counts, the
 * written flag, fetches and stores in progress.
 *
 * Validity: attributes are current while has_cb holds; otherwise one
 * HS_GETATTR revalidates them.  Contents (container, directory entries,
 * symlink target) belong to version data_dv: they are current when
 * data_dv equals the attributes' dataversion.  A dirty or open-for-write
 * container is the newest copy by definition and is never refetched.
 *
 * Asynchrony: an operation keeps the ino, never a pointer, across an RPC,
 * and finds the object again when the reply comes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/venus.h"
#include "venus/fsobj.h"
#include "venus/server.h"
#include "venus/db.h"
#include "venus/cache.h"

#define FETCH_INFLIGHT 4    /* HS_FETCH calls in flight per fetch */
#define STORE_INFLIGHT 3    /* HS_STORE_CHUNK calls in flight per store */
#define FETCH_RESTARTS 8    /* give up when the file keeps changing */

struct fetch;
struct store;
struct waiter;

struct fso {
	struct db_fso r;
	int           has_cb;     /* a callback promise covers r */
	unsigned      opens;
	unsigned      writers;    /* opens for writing */
	int           written;    /* the written flag: set since the last store */
	int           pending;    /* dirty with no store under way (failed or
				   * left from a previous run): store at close */
	int           removed;    /* last link gone while open */
	int           flush_stored; /* a close(2) stored since the last open */
	struct fetch *fetch;      /* fetch under way */
	struct store *store;      /* store under way */
	struct waiter *store_next;/* callers waiting for another store */
	struct fso   *ino_next, *fid_next;
};

/* A continuation that needs an object. */
typedef void (*fso_k)(void *arg, int err, struct fso *o);
/* A continuation that needs only a status. */
typedef void (*err_k)(void *arg, int err);

/* Callers waiting for a fetch or a store. */
struct waiter {
	err_k          k;
	void          *arg;
	struct waiter *next;
};

static struct {
	struct fso **by_ino, **by_fid;
	size_t       nbuckets, count;
	uint64_t     next_ino;
	const struct vfront_ops *front;
} F;

/* ================================================================ */
/* The in-memory table                                               */
/* ================================================================ */

static size_t h_ino(uint64_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 20) & (F.nbuckets - 1);
}

static size_t h_fid(const hs_fid *f)
{
	uint64_t k = ((uint64_t)f->volume << 40) ^ ((uint64_t)f->vnode << 20) ^ f->unique;

	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (F.nbuckets - 1);
}

static int fid_eq(const hs_fid *a, const hs_fid *b)
{
	return a->volume == b->volume && a->vnode == b->vnode && a->unique == b->unique;
}

static struct fso *obj(uint64_t ino)
{
	struct fso *o;

	if (!F.nbuckets)
		return NULL;
	for (o = F.by_ino[h_ino(ino)]; o; o = o->ino_next)
		if (o->r.ino == ino)
			return o;
	return NULL;
}

static struct fso *obj_by_fid(const hs_fid *fid)
{
	struct fso *o;

	if (!F.nbuckets)
		return NULL;
	for (o = F.by_fid[h_fid(fid)]; o; o = o->fid_next)
		if (fid_eq(&o->r.fid, fid))
			return o;
	return NULL;
}

static void link_obj(struct fso *o)
{
	size_t b = h_ino(o->r.ino), f = h_fid(&o->r.fid);

	o->ino_next = F.by_ino[b];
	F.by_ino[b] = o;
	o->fid_next = F.by_fid[f];
	F.by_fid[f] = o;
	F.count++;
	if (o->r.ino >= F.next_ino)
		F.next_ino = o->r.ino + 1;
}

static void unlink_obj(struct fso *o)
{
	struct fso **pp;

	for (pp = &F.by_ino[h_ino(o->r.ino)]; *pp; pp = &(*pp)->ino_next)
		if (*pp == o) {
			*pp = o->ino_next;
			break;
		}
	for (pp = &F.by_fid[h_fid(&o->r.fid)]; *pp; pp = &(*pp)->fid_next)
		if (*pp == o) {
			*pp = o->fid_next;
			break;
		}
	F.count--;
}

static int grow(void)
{
	size_t n = F.nbuckets ? F.nbuckets * 2 : 4096, i;
	struct fso **bi = calloc(n, sizeof(*bi)), **bf = calloc(n, sizeof(*bf));
	struct fso **oldi = F.by_ino;
	size_t oldn = F.nbuckets;

	if (!bi || !bf) {
		free(bi);
		free(bf);
		return ENOMEM;
	}
	free(F.by_fid);
	F.by_ino = bi;
	F.by_fid = bf;
	F.nbuckets = n;
	F.count = 0;
	for (i = 0; i < oldn; i++) {
		struct fso *o = oldi[i], *next;

		for (; o; o = next) {
			next = o->ino_next;
			link_obj(o);
		}
	}
	free(oldi);
	return 0;
}

static void free_obj(struct fso *o)
{
	free(o->r.name);
	free(o->r.target);
	free(o);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void save(struct fso *o)
{
	db_fso_put(V->db, &o->r);
}

/* A new record for fid with a fresh ino (or the given one). */
static struct fso *new_obj(const hs_fid *fid, int type, uint64_t ino)
{
	struct fso *o;

	if (F.count >= F.nbuckets && grow())
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->r.ino = ino ? ino : F.next_ino;
	o->r.fid = *fid;
	o->r.type = type;
	o->r.last_used = now_us();
	link_obj(o);
	return o;
}

/* Forget an object vice no longer has.  An open one lingers, marked
 * removed, until its last close. */
static void obj_gone(struct fso *o)
{
	db_dirent_del_child(V->db, o->r.ino);
	if (o->opens || o->fetch || o->store) {
		o->removed = 1;
		o->has_cb = 0;
		return;
	}
	if (o->r.type == HS_FDIR)
		db_dirent_clear(V->db, o->r.ino);
	cache_drop(o->r.ino);
	db_fso_del(V->db, o->r.ino);
	unlink_obj(o);
	free_obj(o);
}

/* ================================================================ */
/* Attributes                                                        */
/* ================================================================ */

static int contents_current(const struct fso *o)
{
	return o->r.has_data && o->r.data_dv == o->r.dataversion;
}

/* The container holds changes vice has not seen (or may soon). */
static int container_local(const struct fso *o)
{
	return o->r.has_data && (o->r.dirty || o->written || o->writers || o->pending);
}

/* Take attributes from vice.  own: the change is this client's own, so
 * contents current before it stay current (vice bumped the version by
 * exactly one for it). */
static void apply_attr(struct fso *o, const hs_attr *a, int own)
{
	uint64_t old = o->r.dataversion;

	if (own && o->r.has_data && o->r.data_dv == old && a->dataversion == old + 1)
		o->r.data_dv = a->dataversion;
	o->r.type = a->type;
	o->r.mode = a->mode & 07777;
	o->r.nlink = a->nlink;
	o->r.uid = a->uid;
	o->r.gid = a->gid;
	o->r.size = a->size;
	o->r.atime = a->atime;
	o->r.mtime = a->mtime;
	o->r.ctime = a->ctime;
	o->r.dataversion = a->dataversion;
	o->has_cb = srv_is_up();
	save(o);
}

/* The record for the object a names, made if new, with a applied. */
static struct fso *obj_for_attr(const hs_attr *a, int own)
{
	struct fso *o = obj_by_fid(&a->fid);

	if (!o && !(o = new_obj(&a->fid, a->type, 0)))
		return NULL;
	apply_attr(o, a, own);
	return o;
}

static mode_t type_bits(int type)
{
	switch (type) {
	case HS_FDIR: return S_IFDIR;
	case HS_FLNK: return S_IFLNK;
	default:      return S_IFREG;
	}
}

static void fill_attr(const struct fso *o, struct fso_attr *a)
{
	struct stat *st = &a->st;

	memset(a, 0, sizeof(*a));
	a->ino = o->r.ino;
	a->fid = o->r.fid;
	a->dataversion = o->r.dataversion;
	st->st_ino = o->r.ino;
	st->st_mode = type_bits(o->r.type) | (o->r.mode & 07777);
	st->st_nlink = o->r.nlink ? o->r.nlink : 1;
	st->st_uid = o->r.uid;
	st->st_gid = o->r.gid;
	st->st_size = (off_t)o->r.size;
	st->st_atim.tv_sec = o->r.atime.sec;
	st->st_atim.tv_nsec = o->r.atime.nsec;
	st->st_mtim.tv_sec = o->r.mtime.sec;
	st->st_mtim.tv_nsec = o->r.mtime.nsec;
	st->st_ctim.tv_sec = o->r.ctime.sec;
	st->st_ctim.tv_nsec = o->r.ctime.nsec;
	st->st_blksize = 4096;
	/* Local changes not yet stored: the container is the truth. */
	if (o->r.type == HS_FREG && container_local(o)) {
		char path[4096];
		struct stat cst;

		cache_path(o->r.ino, path, sizeof(path));
		if (stat(path, &cst) == 0) {
			st->st_size = cst.st_size;
			st->st_mtim = cst.st_mtim;
		}
	}
	st->st_blocks = (st->st_size + 511) / 512;
}

/* Copy a name out of a record for a reply. */
static void set_name(struct fso *o, uint64_t parent, const char *name)
{
	char *n;

	if (o->r.parent == parent && o->r.name && !strcmp(o->r.name, name))
		return;
	n = strdup(name);
	if (!n)
		return;
	free(o->r.name);
	o->r.name = n;
	o->r.parent = parent;
	save(o);
}

/* Record that dir has name -> child. */
static void dir_add(struct fso *dir, const char *name, struct fso *child)
{
	db_dirent_put(V->db, dir->r.ino, name, child->r.ino);
	set_name(child, dir->r.ino, name);
}

static void dir_del(struct fso *dir, const char *name)
{
	db_dirent_del(V->db, dir->r.ino, name);
}

/* ================================================================ */
/* Finding objects: root, revalidation                               */
/* ================================================================ */

struct kctx {
	uint64_t ino;
	fso_k    k;
	void    *arg;
	hs_fid   fid;
};

static struct kctx *kctx_new(uint64_t ino, fso_k k, void *arg)
{
	struct kctx *c = calloc(1, sizeof(*c));

	if (!c)
		k(arg, ENOMEM, NULL);
	else {
		c->ino = ino;
		c->k = k;
		c->arg = arg;
	}
	return c;
}

static void kctx_finish(struct kctx *c, int err, struct fso *o)
{
	fso_k k = c->k;
	void *arg = c->arg;

	free(c);
	k(arg, err, err ? NULL : o);
}

static void getattr_done(void *arg, int err, void *res)
{
	struct kctx *c = arg;
	hs_attr_res *r = res;
	struct fso *o = obj(c->ino);

	if (!err && r->status)
		err = r->status;
	if (!o && !err)
		err = ESTALE;
	if (err == ETIMEDOUT && o && o->r.dataversion) {
		/* vice unreachable: serve what we have, as Coda does while
		 * disconnected; no promise, so the next use asks again. */
		kctx_finish(c, 0, o);
		return;
	}
	if (err == ENOENT || err == ESTALE) {
		if (o && c->ino != FSO_ROOT_INO)
			obj_gone(o);
		err = ENOENT;
	}
	if (!err)
		apply_attr(o, &r->hs_attr_res_u.attr, 0);
	kctx_finish(c, err, o);
}

/* Ask vice for c->ino's attributes. */
static void send_getattr(struct kctx *c, const hs_fid *fid)
{
	srv_call(HS_GETATTR, (xdrproc_t)xdr_hs_fid, fid, (xdrproc_t)xdr_hs_attr_res,
		 sizeof(hs_attr_res), getattr_done, c);
}

static void getroot_done(void *arg, int err, void *res)
{
	struct kctx *c = arg;
	hs_getroot_res *r = res;
	struct fso *o = obj(FSO_ROOT_INO);

	if (!err && r->status)
		err = r->status;
	if (err) {
		kctx_finish(c, err, NULL);
		return;
	}
	if (!o) {
		o = new_obj(&r->hs_getroot_res_u.vol.root, HS_FDIR, FSO_ROOT_INO);
		if (!o) {
			kctx_finish(c, ENOMEM, NULL);
			return;
		}
		o->r.mode = 0755;
		save(o);
	}
	send_getattr(c, &o->r.fid);
}

/* The object ino (the root is learnt from vice on first use). */
static void with_obj(uint64_t ino, int fresh, fso_k k, void *arg)
{
	struct fso *o = obj(ino);
	struct kctx *c;
	static char empty[] = "";
	hs_name vol = empty;

	if (o && (!fresh || o->has_cb)) {
		k(arg, 0, o);
		return;
	}
	if (!o && ino != FSO_ROOT_INO) {
		k(arg, ENOENT, NULL);
		return;
	}
	if (!(c = kctx_new(ino, k, arg)))
		return;
	if (o)
		send_getattr(c, &o->r.fid);
	else
		srv_call(HS_GETROOT, (xdrproc_t)xdr_hs_name, &vol,
			 (xdrproc_t)xdr_hs_getroot_res, sizeof(hs_getroot_res),
			 getroot_done, c);
}

/* The object with current attributes. */
static void with_fresh(uint64_t ino, fso_k k, void *arg)
{
	with_obj(ino, 1, k, arg);
}

/* ================================================================ */
/* getattr                                                           */
/* ================================================================ */

struct acb {
	fso_attr_cb cb;
	void       *arg;
};

static struct acb *acb_new(fso_attr_cb cb, void *arg)
{
	struct acb *a = malloc(sizeof(*a));

	if (!a)
		cb(arg, ENOMEM, NULL);
	else {
		a->cb = cb;
		a->arg = arg;
	}
	return a;
}

/* Answer an fso_attr_cb from a continuation. */
static void acb_reply(void *arg, int err, struct fso *o)
{
	struct acb a = *(struct acb *)arg;
	struct fso_attr at;

	free(arg);
	if (err) {
		a.cb(a.arg, err, NULL);
		return;
	}
	fill_attr(o, &at);
	a.cb(a.arg, 0, &at);
}

void fso_getattr(uint64_t ino, fso_attr_cb cb, void *arg)
{
	struct acb *a = acb_new(cb, arg);

	if (a)
		with_fresh(ino, acb_reply, a);
}

/* ================================================================ */
/* lookup                                                            */
/* ================================================================ */

int fso_check_name(const char *name, size_t len)
{
	if (!name || len == 0)
		return EINVAL;
	if (memchr(name, '\0', len) || memchr(name, '/', len))
		return EINVAL;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return EINVAL;
	if (len > HS_MAXNAMELEN)
		return ENAMETOOLONG;
	return 0;
}

static int check_cname(const char *name)
{
	return name ? fso_check_name(name, strnlen(name, HS_MAXNAMELEN + 1)) : EINVAL;
}

struct lk {
	uint64_t dir;
	char     name[HS_MAXNAMELEN + 1];
	fso_k    k;
	void    *arg;
};

static void lk_finish(struct lk *l, int err, struct fso *o)
{
	fso_k k = l->k;
	void *arg = l->arg;

	free(l);
	k(arg, err, err ? NULL : o);
}

static void lookup_done(void *arg, int err, void *res)
{
	struct lk *l = arg;
	hs_lookup_res *r = res;
	struct fso *d = obj(l->dir), *o = NULL;

	if (!err && r->status)
		err = r->status;
	if (!err && !d)
		err = ESTALE;
	if (!err) {
		apply_attr(d, &r->hs_lookup_res_u.ok.dir, 0);
		o = obj_for_attr(&r->hs_lookup_res_u.ok.obj, 0);
		if (!o)
			err = ENOMEM;
		else
			dir_add(d, l->name, o);
	}
	lk_finish(l, err, o);
}

static void child_fresh(void *arg, int err, struct fso *o)
{
	lk_finish(arg, err, o);
}

static void lookup_in_dir(void *arg, int err, struct fso *d)
{
	struct lk *l = arg;
	hs_lookup_args a;
	uint64_t child;

	if (!err && d->r.type != HS_FDIR)
		err = ENOTDIR;
	if (err) {
		lk_finish(l, err, NULL);
		return;
	}
	/* A complete, current listing answers without vice, misses too. */
	if (contents_current(d)) {
		err = db_dirent_get(V->db, d->r.ino, l->name, &child);
		if (err == ENOENT) {
			lk_finish(l, ENOENT, NULL);
			return;
		}
		if (!err && obj(child)) {
			with_fresh(child, child_fresh, l);
			return;
		}
	}
	a.dir = d->r.fid;
	a.name = l->name;
	srv_call(HS_LOOKUP, (xdrproc_t)xdr_hs_lookup_args, &a,
		 (xdrproc_t)xdr_hs_lookup_res, sizeof(hs_lookup_res), lookup_done, l);
}

/* Look up name in dir; k gets the child with current attributes. */
static void lookup_obj(uint64_t dir, const char *name, fso_k k, void *arg)
{
	struct lk *l;
	int err = check_cname(name);

	if (err) {
		k(arg, err, NULL);
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		k(arg, ENOMEM, NULL);
		return;
	}
	l->dir = dir;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->k = k;
	l->arg = arg;
	with_fresh(dir, lookup_in_dir, l);
}

void fso_lookup(uint64_t dir, const char *name, fso_attr_cb cb, void *arg)
{
	struct acb *a = acb_new(cb, arg);

	if (a)
		lookup_obj(dir, name, acb_reply, a);
}

/* ================================================================ */
/* readdir                                                           */
/* ================================================================ */

struct rd_ent {
	char   *name;
	hs_fid  fid;
	int     type;
};

struct rd {
	uint64_t        ino;
	uint64_t        cookie;
	uint64_t        dv;       /* version the pages come from */
	int             started;
	unsigned        restarts;
	struct rd_ent  *ents;
	size_t          n, cap;
	fso_readdir_cb  cb;
	void           *arg;
};

static void rd_clear(struct rd *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->ents[i].name);
	r->n = 0;
}

static void rd_free(struct rd *r)
{
	rd_clear(r);
	free(r->ents);
	free(r);
}

struct rd_list {
	struct fso_dirent *v;
	size_t             n, cap;
	int                err;
};

static int rd_collect(void *arg, const char *name, uint64_t child)
{
	struct rd_list *l = arg;
	struct fso *c = obj(child);
	struct fso_dirent *e;

	if (!c)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct fso_dirent *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = ENOMEM;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	e->ino = child;
	e->type = type_bits(c->r.type);
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

/* Answer from the cached entries of a current directory. */
static void rd_reply_cached(struct fso *d, fso_readdir_cb cb, void *arg)
{
	struct rd_list l = { NULL, 0, 0, 0 };
	int err = db_dirent_foreach(V->db, d->r.ino, rd_collect, &l);

	if (!err)
		err = l.err;
	cb(arg, err, err ? NULL : l.v, err ? 0 : l.n);
	free(l.v);
}

/* The whole listing arrived: it replaces the cached entries. */
static void rd_install(struct rd *r, struct fso *d)
{
	size_t i;

	db_begin(V->db);
	db_dirent_clear(V->db, d->r.ino);
	for (i = 0; i < r->n; i++) {
		struct rd_ent *e = &r->ents[i];
		struct fso *c = obj_by_fid(&e->fid);

		if (!c && !(c = new_obj(&e->fid, e->type, 0)))
			continue;
		dir_add(d, e->name, c);
	}
	d->r.has_data = 1;
	d->r.data_dv = r->dv;
	save(d);
	db_commit(V->db);
}

static void rd_page(struct rd *r);

static int rd_take(struct rd *r, const hs_readdir_ok *ok)
{
	u_int i;

	for (i = 0; i < ok->entries.entries_len; i++) {
		const hs_dirent *de = &ok->entries.entries_val[i];

		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 128;
			struct rd_ent *v = realloc(r->ents, cap * sizeof(*v));

			if (!v)
				return ENOMEM;
			r->ents = v;
			r->cap = cap;
		}
		if (!(r->ents[r->n].name = strdup(de->name)))
			return ENOMEM;
		r->ents[r->n].fid = de->fid;
		r->ents[r->n].type = de->type;
		r->n++;
	}
	return 0;
}

static void readdir_done(void *arg, int err, void *res)
{
	struct rd *r = arg;
	hs_readdir_res *res_ = res;
	struct fso *d = obj(r->ino);
	const hs_readdir_ok *ok = &res_->hs_readdir_res_u.ok;

	if (!err && res_->status)
		err = res_->status;
	if (!err && !d)
		err = ESTALE;
	if (!err && r->started && ok->dir.dataversion != r->dv) {
		/* The directory changed between pages: start over. */
		if (++r->restarts > FETCH_RESTARTS)
			err = EAGAIN;
		rd_clear(r);
		r->started = 0;
		r->cookie = 0;
	} else if (!err) {
		r->started = 1;
		r->dv = ok->dir.dataversion;
		apply_attr(d, &ok->dir, 0);
		err = rd_take(r, ok);
		r->cookie = ok->cookie;
		if (!err && ok->eof) {
			rd_install(r, d);
			rd_reply_cached(d, r->cb, r->arg);
			rd_free(r);
			return;
		}
	}
	if (err) {
		r->cb(r->arg, err, NULL, 0);
		rd_free(r);
		return;
	}
	rd_page(r);
}

static void rd_page(struct rd *r)
{
	struct fso *d = obj(r->ino);
	hs_readdir_args a;

	if (!d) {
		r->cb(r->arg, ESTALE, NULL, 0);
		rd_free(r);
		return;
	}
	a.dir = d->r.fid;
	a.cookie = r->cookie;
	a.count = HS_READDIR_MAX;
	srv_call(HS_READDIR, (xdrproc_t)xdr_hs_readdir_args, &a,
		 (xdrproc_t)xdr_hs_readdir_res, sizeof(hs_readdir_res), readdir_done, r);
}

static void readdir_fresh(void *arg, int err, struct fso *d)
{
	struct rd *r = arg;

	if (!err && d->r.type != HS_FDIR)
		err = ENOTDIR;
	if (err) {
		r->cb(r->arg, err, NULL, 0);
		rd_free(r);
		return;
	}
	d->r.last_used = now_us();
	if (contents_current(d)) {
		rd_reply_cached(d, r->cb, r->arg);
		rd_free(r);
		return;
	}
	rd_page(r);
}

void fso_readdir(uint64_t dir, fso_readdir_cb cb, void *arg)
{
	struct rd *r = calloc(1, sizeof(*r));

	if (!r) {
		cb(arg, ENOMEM, NULL, 0);
		return;
	}
	r->ino = dir;
	r->cb = cb;
	r->arg = arg;
	with_fresh(dir, readdir_fresh, r);
}

/* ================================================================ */
/* readlink                                                          */
/* ================================================================ */

struct rl {
	uint64_t        ino;
	fso_readlink_cb cb;
	void           *arg;
};

static void readlink_done(void *arg, int err, void *res)
{
	struct rl *l = arg;
	hs_readlink_res *r = res;
	struct fso *o = obj(l->ino);

	if (!err && r->status)
		err = r->status;
	if (!err && !o)
		err = ESTALE;
	if (!err) {
		char *t = strdup(r->hs_readlink_res_u.target);

		if (t) {
			free(o->r.target);
			o->r.target = t;
			o->r.has_data = 1;
			o->r.data_dv = o->r.dataversion;
			save(o);
		}
		l->cb(l->arg, 0, r->hs_readlink_res_u.target);
	} else {
		l->cb(l->arg, err, NULL);
	}
	free(l);
}

static void readlink_fresh(void *arg, int err, struct fso *o)
{
	struct rl *l = arg;

	if (!err && o->r.type != HS_FLNK)
		err = EINVAL;
	if (err || (contents_current(o) && o->r.target)) {
		l->cb(l->arg, err, err ? NULL : o->r.target);
		free(l);
		return;
	}
	srv_call(HS_READLINK, (xdrproc_t)xdr_hs_fid, &o->r.fid,
		 (xdrproc_t)xdr_hs_readlink_res, sizeof(hs_readlink_res), readlink_done, l);
}

void fso_readlink(uint64_t ino, fso_readlink_cb cb, void *arg)
{
	struct rl *l = malloc(sizeof(*l));

	if (!l) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	l->ino = ino;
	l->cb = cb;
	l->arg = arg;
	with_fresh(ino, readlink_fresh, l);
}

/* ================================================================ */
/* Whole-file fetch                                                  */
/* ================================================================ */

struct fetch {
	uint64_t       ino;
	hs_fid         fid;
	int            fd;         /* the temporary container */
	uint64_t       dv, size;   /* the version being fetched */
	uint64_t       next, got;  /* next offset to ask for; bytes written */
	unsigned       inflight, restarts;
	int            err, restart, pumping;
	hs_attr        newattr;    /* when the file changed under us */
	struct waiter *waiters;
};

struct fchunk {
	struct fetch *f;
	uint64_t      off;
	uint32_t      count;
};

static void update_pin(struct fso *o)
{
	cache_set_pinned(o->r.ino, o->opens || o->r.dirty || o->pending ||
			 o->store || o->fetch || o->written);
}

static int add_waiter(struct waiter **list, err_k k, void *arg)
{
	struct waiter *w = malloc(sizeof(*w));

	if (!w)
		return ENOMEM;
	w->k = k;
	w->arg = arg;
	w->next = *list;
	*list = w;
	return 0;
}

/* Run and free a list of waiters (oldest first). */
static void wake(struct waiter *list, int err)
{
	struct waiter *rev = NULL, *w;

	while ((w = list)) {
		list = w->next;
		w->next = rev;
		rev = w;
	}
	while ((w = rev)) {
		rev = w->next;
		w->k(w->arg, err);
		free(w);
	}
}

static void fetch_pump(struct fetch *f);

static void fetch_chunk_done(void *arg, int err, void *res)
{
	struct fchunk *c = arg;
	struct fetch *f = c->f;
	hs_fetch_res *r = res;

	f->inflight--;
	if (!err && r->status)
		err = r->status;
	if (!err && !f->err && !f->restart) {
		const hs_fetch_ok *ok = &r->hs_fetch_res_u.ok;

		if (ok->attr.dataversion != f->dv) {
			f->restart = 1;
			f->newattr = ok->attr;
		} else if (ok->data.data_len != c->count && c->off + ok->data.data_len < f->size) {
			err = EIO;   /* short read at an unchanged version */
		} else if (pwrite(f->fd, ok->data.data_val, ok->data.data_len,
				  (off_t)c->off) != (ssize_t)ok->data.data_len) {
			err = errno ? errno : EIO;
		} else {
			f->got += ok->data.data_len;
		}
	}
	if (err && !f->err)
		f->err = err;
	free(c);
	fetch_pump(f);
}

static void fetch_issue(struct fetch *f)
{
	struct fchunk *c = malloc(sizeof(*c));
	hs_fetch_args a;

	if (!c) {
		f->err = ENOMEM;
		return;
	}
	c->f = f;
	c->off = f->next;
	c->count = (uint32_t)(f->size - f->next < HS_CHUNK_MIN ? f->size - f->next : HS_CHUNK_MIN);
	f->next += c->count;
	f->inflight++;
	a.fid = f->fid;
	a.offset = c->off;
	a.count = c->count;
	srv_call(HS_FETCH, (xdrproc_t)xdr_hs_fetch_args, &a, (xdrproc_t)xdr_hs_fetch_res,
		 sizeof(hs_fetch_res), fetch_chunk_done, c);
}

static void evicted(void *arg, uint64_t ino)
{
	struct fso *o = obj(ino);

	V->stats.evictions++;
	if (o) {
		o->r.has_data = 0;
		save(o);
	}
}

/* Keep the cache within its bound. */
static void trim(void)
{
	cache_trim(evicted, NULL);
}

static void fetch_end(struct fetch *f)
{
	struct fso *o = obj(f->ino);
	char tmp[4096], path[4096];
	struct waiter *w = f->waiters;
	int err = f->err;

	close(f->fd);
	cache_tmp_path(f->ino, tmp, sizeof(tmp));
	cache_path(f->ino, path, sizeof(path));
	if (!err && o && o->removed)
		err = ENOENT;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		vlog(LOG_WARNING, "fetch of %u.%u.%u failed: %s", f->fid.volume,
		     f->fid.vnode, f->fid.unique, strerror(err));
	} else {
		o->r.has_data = 1;
		o->r.data_dv = f->dv;
		o->r.last_used = now_us();
		save(o);
		cache_note(o->r.ino, f->size, o->r.last_used);
		V->stats.fetches++;
		V->stats.fetch_bytes += f->got;
	}
	if (o)
		o->fetch = NULL;
	free(f);
	if (o && !err)
		cache_set_pinned(o->r.ino, 1);   /* until the waiters have it open */
	wake(w, err);
	if (o && (o = obj(o->r.ino)) != NULL) {
		if (o->removed && !o->opens)
			obj_gone(o);
		else
			update_pin(o);
	}
	trim();
}

/* Start over at the version the file changed to. */
static int fetch_restart(struct fetch *f)
{
	struct fso *o = obj(f->ino);

	if (++f->restarts > FETCH_RESTARTS)
		return EAGAIN;
	if (o)
		apply_attr(o, &f->newattr, 0);
	if (ftruncate(f->fd, 0))
		return errno;
	f->restart = 0;
	f->dv = f->newattr.dataversion;
	f->size = f->newattr.size;
	f->next = f->got = 0;
	return 0;
}

/* Keep FETCH_INFLIGHT chunks going; finish when all are in.  Re-entered
 * from chunk replies that arrive inside srv_call: the guard makes the
 * outer loop do the work. */
static void fetch_pump(struct fetch *f)
{
	if (f->pumping)
		return;
	f->pumping = 1;
	for (;;) {
		while (!f->err && !f->restart && f->inflight < FETCH_INFLIGHT &&
		       f->next < f->size)
			fetch_issue(f);
		if (f->inflight)
			break;
		if (!f->err && f->restart) {
			f->err = fetch_restart(f);
			continue;
		}
		fetch_end(f);
		return;
	}
	f->pumping = 0;
}

static int fetch_start(struct fso *o)
{
	struct fetch *f = calloc(1, sizeof(*f));
	char tmp[4096];

	if (!f)
		return ENOMEM;
	cache_tmp_path(o->r.ino, tmp, sizeof(tmp));
	f->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		int err = errno;

		vlog(LOG_ERR, "%s: %s", tmp, strerror(err));
		free(f);
		return err;
	}
	f->ino = o->r.ino;
	f->fid = o->r.fid;
	f->dv = o->r.dataversion;
	f->size = o->r.size;
	o->fetch = f;
	return 0;
}

/* Make o's container hold the current contents, then k(arg, err). */
static void ensure_data(struct fso *o, err_k k, void *arg)
{
	int err = 0;

	if (container_local(o) || contents_current(o)) {
		k(arg, 0);
		return;
	}
	if (!o->fetch)
		err = fetch_start(o);
	if (!err)
		err = add_waiter(&o->fetch->waiters, k, arg);
	if (err) {
		k(arg, err);
		return;
	}
	fetch_pump(o->fetch);
}

/* ================================================================ */
/* open                                                              */
/* ================================================================ */

struct op {
	uint64_t    ino;
	int         flags;
	fso_open_cb cb;
	void       *arg;
};

static int is_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static void open_finish(struct op *p, int err)
{
	struct fso *o = obj(p->ino);
	int trunc = (p->flags & O_TRUNC) && is_write(p->flags);
	int fd = -1;
	char path[4096];
	struct fso_attr at;
	struct stat st;

	if (!err && (!o || o->removed))
		err = ENOENT;
	if (!err) {
		cache_path(o->r.ino, path, sizeof(path));
		fd = open(path, (p->flags & O_ACCMODE) | O_CLOEXEC |
			  (trunc ? O_CREAT | O_TRUNC : 0), 0600);
		if (fd < 0)
			err = errno;
	}
	if (err) {
		p->cb(p->arg, err, -1, NULL);
		free(p);
		return;
	}
	if (trunc) {
		/* Truncation is a write; its base is the version we know. */
		if (!container_local(o) && !contents_current(o))
			o->r.data_dv = o->r.dataversion;
		o->r.has_data = 1;
		o->written = 1;
	}
	o->opens++;
	if (is_write(p->flags)) {
		o->writers++;
		/* Crash safety: a container open for writing may differ from
		 * vice's copy, so it must not be trusted as clean after a crash. */
		o->r.dirty = 1;
	}
	o->r.last_used = now_us();
	save(o);
	cache_note(o->r.ino, fstat(fd, &st) == 0 ? (uint64_t)st.st_size : o->r.size,
		   o->r.last_used);
	update_pin(o);
	fill_attr(o, &at);
	p->cb(p->arg, 0, fd, &at);
	close(fd);
	free(p);
}

static void open_have_data(void *arg, int err)
{
	open_finish(arg, err);
}

static void open_fresh(void *arg, int err, struct fso *o)
{
	struct op *p = arg;

	if (!err && o->r.type == HS_FDIR)
		err = EISDIR;
	else if (!err && o->r.type != HS_FREG)
		err = ELOOP;
	if (err) {
		open_finish(p, err);
		return;
	}
	if ((p->flags & O_TRUNC) && is_write(p->flags)) {
		open_finish(p, 0);        /* no need for the old contents */
	} else if (container_local(o) || contents_current(o)) {
		V->stats.cache_hits++;
		open_finish(p, 0);
	} else {
		V->stats.cache_misses++;
		ensure_data(o, open_have_data, p);
	}
}

void fso_open(uint64_t ino, int flags, fso_open_cb cb, void *arg)
{
	struct op *p = malloc(sizeof(*p));

	if (!p) {
		cb(arg, ENOMEM, -1, NULL);
		return;
	}
	p->ino = ino;
	p->flags = flags;
	p->cb = cb;
	p->arg = arg;
	with_fresh(ino, open_fresh, p);
}

void fso_mark_written(uint64_t ino)
{
	struct fso *o = obj(ino);

	if (o && o->writers)
		o->written = 1;
}

/* ================================================================ */
/* Store (the written flag's consequence)                            */
/* ================================================================ */

struct store {
	uint64_t       ino;
	hs_fid         fid;
	int            fd;
	hs_storeid     sid;
	uint64_t       size, next, base;
	hs_time        mtime;
	unsigned       inflight;
	int            err, pumping, committing;
	struct waiter *waiters;
};

static void store_pump(struct store *s);
static void start_store(struct fso *o, struct waiter *waiters);

static void store_chunk_done(void *arg, int err, void *res)
{
	struct store *s = arg;
	hs_status_res *r = res;

	s->inflight--;
	if (!err && r->status)
		err = r->status;
	if (err && !s->err)
		s->err = err;
	store_pump(s);
}

static void store_issue(struct store *s)
{
	uint64_t n = s->size - s->next < HS_CHUNK_MAX ? s->size - s->next : HS_CHUNK_MAX;
	hs_store_chunk_args a;
	char *buf = malloc(n);
	ssize_t got;

	if (!buf) {
		s->err = ENOMEM;
		return;
	}
	got = pread(s->fd, buf, n, (off_t)s->next);
	if (got != (ssize_t)n) {
		s->err = got < 0 ? errno : EIO;
		free(buf);
		return;
	}
	a.fid = s->fid;
	a.sid = s->sid;
	a.offset = s->next;
	a.data.data_len = (u_int)n;
	a.data.data_val = buf;
	s->next += n;
	s->inflight++;
	srv_call(HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &a,
		 (xdrproc_t)xdr_hs_status_res, sizeof(hs_status_res), store_chunk_done, s);
	free(buf);   /* srv_call has encoded it */
}

static void store_end(struct store *s)
{
	struct fso *o = obj(s->ino);
	struct waiter *w = s->waiters, *next = NULL;
	int err = s->err;

	close(s->fd);
	if (o) {
		o->store = NULL;
		if (err) {
			char path[4096];

			o->pending = 1;
			cache_path(o->r.ino, path, sizeof(path));
			vlog(LOG_ERR, "STORE FAILED for %s (fid %u.%u.%u): %s; the changes stay "
			     "in %s and are sent again at the next close",
			     o->r.name ? o->r.name : "?", s->fid.volume, s->fid.vnode,
			     s->fid.unique, strerror(err), path);
		}
		next = o->store_next;
		o->store_next = NULL;
	}
	free(s);
	if (o && next && (o->written || o->pending))
		start_store(o, next);
	else
		wake(next, err);
	if (o)
		update_pin(o);
	wake(w, err);
}

static void commit_done(void *arg, int err, void *res)
{
	struct store *s = arg;
	hs_attr_res *r = res;
	struct fso *o = obj(s->ino);

	if (!err && r->status == HS_ECONFLICT) {
		vlog(LOG_ERR, "store of %u.%u.%u conflicts: vice has a version newer than %" PRIu64,
		     s->fid.volume, s->fid.vnode, s->fid.unique, s->base);
		err = EIO;
	} else if (!err && r->status) {
		err = r->status;
	}
	if (!err && o) {
		apply_attr(o, &r->hs_attr_res_u.attr, 0);
		o->r.data_dv = o->r.dataversion;
		o->r.has_data = 1;
		o->r.dirty = o->writers || o->written;
		save(o);
		V->stats.stores++;
		V->stats.store_bytes += s->size;
	}
	if (err && !s->err)
		s->err = err;
	store_end(s);
}

static void store_commit(struct store *s)
{
	hs_store_commit_args a;

	s->committing = 1;
	a.fid = s->fid;
	a.sid = s->sid;
	a.base_version = s->base;
	a.size = s->size;
	a.mtime = s->mtime;
	srv_call(HS_STORE_COMMIT, (xdrproc_t)xdr_hs_store_commit_args, &a,
		 (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), commit_done, s);
}

/* Chunks STORE_INFLIGHT at a time, then the commit (see fetch_pump). */
static void store_pump(struct store *s)
{
	if (s->pumping)
		return;
	s->pumping = 1;
	while (!s->err && s->inflight < STORE_INFLIGHT && s->next < s->size)
		store_issue(s);
	if (!s->inflight) {
		if (s->err) {
			store_end(s);
			return;
		}
		if (!s->committing) {
			s->pumping = 0;
			store_commit(s);
			return;
		}
	}
	s->pumping = 0;
}

static void start_store(struct fso *o, struct waiter *waiters)
{
	struct store *s = calloc(1, sizeof(*s));
	char path[4096];
	struct stat st;

	/* The dirty mark reaches the disk before anything else happens. */
	db_durable(V->db, 1);
	o->r.dirty = 1;
	save(o);
	db_durable(V->db, 0);
	cache_path(o->r.ino, path, sizeof(path));
	if (!s || (s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(s->fd, &st)) {
		int err = s ? errno : ENOMEM;

		if (s && s->fd >= 0)
			close(s->fd);
		free(s);
		o->pending = 1;
		vlog(LOG_ERR, "cannot store %s: %s", path, strerror(err));
		wake(waiters, err);
		return;
	}
	o->written = 0;
	o->pending = 0;
	s->ino = o->r.ino;
	s->fid = o->r.fid;
	s->size = (uint64_t)st.st_size;
	s->mtime.sec = st.st_mtim.tv_sec;
	s->mtime.nsec = (unsigned)st.st_mtim.tv_nsec;
	s->base = o->r.data_dv;
	s->waiters = waiters;
	srv_new_storeid(&s->sid);
	o->store = s;
	update_pin(o);
	store_pump(s);
}

/* Store o's container, then k(arg, err).  One store at a time per object:
 * a request during a store waits and is served by the next one. */
static void store_then(struct fso *o, err_k k, void *arg)
{
	struct waiter *w = NULL;

	if (add_waiter(&w, k, arg)) {
		k(arg, ENOMEM);
		return;
	}
	if (o->store) {
		w->next = o->store_next;
		o->store_next = w;
		return;
	}
	start_store(o, w);
}

/* ================================================================ */
/* close                                                             */
/* ================================================================ */

struct cl {
	uint64_t   ino;
	fso_err_cb cb;
	void      *arg;
};

/* After a close: settle the record and the cache bound. */
static void close_settle(uint64_t ino)
{
	struct fso *o = obj(ino);
	char path[4096];
	struct stat st;

	if (!o)
		return;
	if (o->removed && !o->opens && !o->store && !o->fetch) {
		obj_gone(o);
		return;
	}
	save(o);
	cache_path(ino, path, sizeof(path));
	if (o->r.has_data && stat(path, &st) == 0)
		cache_note(ino, (uint64_t)st.st_size, o->r.last_used);
	update_pin(o);
	if (!o->opens)
		trim();
}

static void close_stored(void *arg, int err)
{
	struct cl *c = arg;

	close_settle(c->ino);
	c->cb(c->arg, err);
	free(c);
}

void fso_close(uint64_t ino, int flags, int written, fso_err_cb cb, void *arg)
{
	struct fso *o = obj(ino);
	struct cl *c;

	if (!o || !o->opens) {
		cb(arg, EBADF);
		return;
	}
	o->opens--;
	if (written)
		o->written = 1;
	o->r.last_used = now_us();
	if (is_write(flags) && o->writers && --o->writers == 0 && !o->removed) {
		if (o->written || o->pending) {
			if (!(c = malloc(sizeof(*c)))) {
				o->pending = 1;
				cb(arg, ENOMEM);
				return;
			}
			c->ino = ino;
			c->cb = cb;
			c->arg = arg;
			store_then(o, close_stored, c);
			return;
		}
		if (!o->flush_stored)
			V->stats.stores_skipped++;
		o->flush_stored = 0;
		if (!o->store)
			o->r.dirty = 0;
	}
	close_settle(ino);
	cb(arg, 0);
}

/* close(2) of the last writer (FUSE FLUSH, which close(2) waits for, unlike
 * RELEASE): store now so that the store is done when close returns.  The
 * release that follows stores again only if something was written after
 * this (pages of a mapping that outlives the fd). */
void fso_flush_store(uint64_t ino, fso_err_cb cb, void *arg)
{
	struct fso *o = obj(ino);
	struct cl *c;

	if (!o || o->removed || o->writers != 1 || !(o->written || o->pending)) {
		cb(arg, 0);
		return;
	}
	if (!(c = malloc(sizeof(*c)))) {
		cb(arg, ENOMEM);
		return;
	}
	c->ino = ino;
	c->cb = cb;
	c->arg = arg;
	o->flush_stored = 1;
	store_then(o, close_stored, c);
}

/* ================================================================ */
/* setattr                                                           */
/* ================================================================ */

struct sa {
	uint64_t           ino;
	struct fso_setattr sa;
	fso_attr_cb        cb;
	void              *arg;
};

static void sa_reply(struct sa *s, int err)
{
	struct fso *o = obj(s->ino);
	struct fso_attr at;

	if (!err && !o)
		err = ENOENT;
	if (err) {
		s->cb(s->arg, err, NULL);
	} else {
		fill_attr(o, &at);
		s->cb(s->arg, 0, &at);
	}
	free(s);
}

static hs_time to_hs_time(const struct timespec *ts)
{
	struct timespec now;
	hs_time t;

	if (ts->tv_nsec == UTIME_NOW) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	t.sec = ts->tv_sec;
	t.nsec = (unsigned)ts->tv_nsec;
	return t;
}

static void sa_done(void *arg, int err, void *res)
{
	struct sa *s = arg;
	hs_attr_res *r = res;
	struct fso *o = obj(s->ino);

	if (!err && r->status)
		err = r->status;
	if (!err && o)
		apply_attr(o, &r->hs_attr_res_u.attr, 1);
	sa_reply(s, err);
}

/* A store sends the container's mtime: an mtime set while the file is
 * open (tar's futimens before close) must survive the store at close. */
static void container_set_mtime(struct fso *o, const hs_time *t)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { (time_t)t->sec, (long)t->nsec } };
	char path[4096];

	if (!o->r.has_data)
		return;
	cache_path(o->r.ino, path, sizeof(path));
	if (utimensat(AT_FDCWD, path, ts, 0) && errno != ENOENT)
		vlog(LOG_WARNING, "cannot set the mtime of %s: %s", path, strerror(errno));
}

/* Everything but the size goes to vice as HS_SETATTR. */
static void sa_rest(struct sa *s)
{
	struct fso *o = obj(s->ino);
	unsigned mask = s->sa.mask & ~(unsigned)HS_SET_SIZE;
	hs_setattr_args a;

	if (!o || !mask) {
		sa_reply(s, o ? 0 : ENOENT);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.fid = o->r.fid;
	srv_new_storeid(&a.sid);
	a.mask = mask;
	a.mode = s->sa.mode & 07777;
	a.uid = s->sa.uid;
	a.gid = s->sa.gid;
	if (mask & HS_SET_ATIME)
		a.atime = to_hs_time(&s->sa.atime);
	if (mask & HS_SET_MTIME) {
		a.mtime = to_hs_time(&s->sa.mtime);
		container_set_mtime(o, &a.mtime);
	}
	srv_call(HS_SETATTR, (xdrproc_t)xdr_hs_setattr_args, &a,
		 (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), sa_done, s);
}

static void sa_stored(void *arg, int err)
{
	struct sa *s = arg;

	close_settle(s->ino);
	if (err)
		sa_reply(s, err);
	else
		sa_rest(s);
}

/* Truncate the container (which holds the current contents); a file not
 * open for writing is stored at once, an open one at its last close. */
static void sa_truncate(void *arg, int err)
{
	struct sa *s = arg;
	struct fso *o = obj(s->ino);
	char path[4096];
	int fd;

	if (!err && !o)
		err = ENOENT;
	if (err) {
		sa_reply(s, err);
		return;
	}
	cache_path(o->r.ino, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)s->sa.size)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		sa_reply(s, err);
		return;
	}
	close(fd);
	if (!container_local(o) && !contents_current(o))
		o->r.data_dv = o->r.dataversion;   /* size 0: nothing to fetch */
	o->r.has_data = 1;
	o->written = 1;
	cache_note(o->r.ino, s->sa.size, now_us());
	if (o->writers) {
		save(o);
		update_pin(o);
		sa_rest(s);
		return;
	}
	store_then(o, sa_stored, s);
}

static void sa_fresh(void *arg, int err, struct fso *o)
{
	struct sa *s = arg;

	if (err) {
		sa_reply(s, err);
		return;
	}
	if (!(s->sa.mask & HS_SET_SIZE)) {
		sa_rest(s);
		return;
	}
	if (o->r.type == HS_FDIR) {
		sa_reply(s, EISDIR);
		return;
	}
	if (o->r.type != HS_FREG) {
		sa_reply(s, EINVAL);
		return;
	}
	if (s->sa.size == 0)
		sa_truncate(s, 0);
	else
		ensure_data(o, sa_truncate, s);
}

void fso_setattr(uint64_t ino, const struct fso_setattr *sa, fso_attr_cb cb, void *arg)
{
	struct sa *s = malloc(sizeof(*s));

	if (!s) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	s->ino = ino;
	s->sa = *sa;
	s->cb = cb;
	s->arg = arg;
	with_fresh(ino, sa_fresh, s);
}

/* ================================================================ */
/* Directory operations                                              */
/* ================================================================ */

/* One name-changing operation in flight. */
struct dop {
	uint32_t    proc;
	uint64_t    dir, ino, newdir;
	char        name[HS_MAXNAMELEN + 1];
	char        newname[HS_MAXNAMELEN + 1];
	char       *target;
	mode_t      mode;
	uid_t       uid;
	gid_t       gid;
	fso_attr_cb acb;
	fso_err_cb  ecb;
	void       *arg;
};

static void dop_reply(struct dop *d, int err, struct fso *o)
{
	struct fso_attr at;

	if (d->acb) {
		if (!err && o) {
			fill_attr(o, &at);
			d->acb(d->arg, 0, &at);
		} else {
			d->acb(d->arg, err ? err : EIO, NULL);
		}
	} else {
		d->ecb(d->arg, err);
	}
	free(d->target);
	free(d);
}

static struct dop *dop_new(uint32_t proc, uint64_t dir, const char *name,
			   fso_attr_cb acb, fso_err_cb ecb, void *arg)
{
	struct dop *d;
	int err = check_cname(name);

	if (!err && !(d = calloc(1, sizeof(*d))))
		err = ENOMEM;
	if (err) {
		if (acb)
			acb(arg, err, NULL);
		else
			ecb(arg, err);
		return NULL;
	}
	d->proc = proc;
	d->dir = dir;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->acb = acb;
	d->ecb = ecb;
	d->arg = arg;
	return d;
}

static hs_time hs_now(void)
{
	struct timespec ts = { 0, UTIME_NOW };

	return to_hs_time(&ts);
}

/* A new object's contents are known at once: empty file, empty
 * directory, or the target we sent. */
static void new_contents(struct dop *d, struct fso *o)
{
	o->r.has_data = 1;
	o->r.data_dv = o->r.dataversion;
	if (o->r.type == HS_FREG) {
		char path[4096];
		int fd;

		cache_path(o->r.ino, path, sizeof(path));
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			o->r.has_data = 0;
		else
			close(fd);
		if (fd >= 0)
			cache_note(o->r.ino, 0, now_us());
	} else if (o->r.type == HS_FLNK && d->target) {
		free(o->r.target);
		o->r.target = d->target;
		d->target = NULL;
	} else if (o->r.type == HS_FDIR) {
		db_dirent_clear(V->db, o->r.ino);
	}
	save(o);
}

static void create_done(void *arg, int err, void *res)
{
	struct dop *d = arg;
	hs_create_res *r = res;
	struct fso *dir = obj(d->proc == HS_LINK ? d->newdir : d->dir), *o = NULL;
	int fresh;

	if (!err && r->status)
		err = r->status;
	if (!err && !dir)
		err = ESTALE;
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	apply_attr(dir, &r->hs_create_res_u.ok.dir, 1);
	fresh = !obj_by_fid(&r->hs_create_res_u.ok.obj.fid);
	o = obj_for_attr(&r->hs_create_res_u.ok.obj, 1);
	if (!o) {
		dop_reply(d, ENOMEM, NULL);
		return;
	}
	if (fresh && d->proc != HS_LINK)
		new_contents(d, o);
	dir_add(dir, d->proc == HS_LINK ? d->newname : d->name, o);
	dop_reply(d, 0, o);
}

static void create_send(void *arg, int err, struct fso *dir)
{
	struct dop *d = arg;
	hs_create_args c;
	hs_symlink_args s;

	if (!err && dir->r.type != HS_FDIR)
		err = ENOTDIR;
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	if (d->proc == HS_SYMLINK) {
		memset(&s, 0, sizeof(s));
		s.dir = dir->r.fid;
		srv_new_storeid(&s.sid);
		s.name = d->name;
		s.target = d->target;
		s.uid = d->uid;
		s.gid = d->gid;
		s.mtime = hs_now();
		srv_call(HS_SYMLINK, (xdrproc_t)xdr_hs_symlink_args, &s,
			 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.dir = dir->r.fid;
	srv_new_storeid(&c.sid);
	c.name = d->name;
	c.mode = d->mode & 07777;
	c.uid = d->uid;
	c.gid = d->gid;
	c.mtime = hs_now();
	srv_call(d->proc, (xdrproc_t)xdr_hs_create_args, &c,
		 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
}

void fso_create(uint64_t dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
		fso_attr_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_CREATE, dir, name, cb, NULL, arg);

	if (!d)
		return;
	d->mode = mode;
	d->uid = uid;
	d->gid = gid;
	with_obj(dir, 0, create_send, d);
}

void fso_mkdir(uint64_t dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
	       fso_attr_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_MKDIR, dir, name, cb, NULL, arg);

	if (!d)
		return;
	d->mode = mode;
	d->uid = uid;
	d->gid = gid;
	with_obj(dir, 0, create_send, d);
}

void fso_symlink(uint64_t dir, const char *name, const char *target, uid_t uid, gid_t gid,
		 fso_attr_cb cb, void *arg)
{
	struct dop *d;

	if (!target || !*target || strlen(target) > HS_MAXPATHLEN) {
		cb(arg, target && *target ? ENAMETOOLONG : EINVAL, NULL);
		return;
	}
	if (!(d = dop_new(HS_SYMLINK, dir, name, cb, NULL, arg)))
		return;
	d->uid = uid;
	d->gid = gid;
	if (!(d->target = strdup(target))) {
		dop_reply(d, ENOMEM, NULL);
		return;
	}
	with_obj(dir, 0, create_send, d);
}

static void link_send(void *arg, int err, struct fso *dir)
{
	struct dop *d = arg;
	struct fso *o = obj(d->ino);
	hs_link_args a;

	if (!err && dir->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err && !o)
		err = ENOENT;
	if (!err && o->r.type == HS_FDIR)
		err = EPERM;
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	a.dir = dir->r.fid;
	srv_new_storeid(&a.sid);
	a.name = d->newname;
	a.target = o->r.fid;
	srv_call(HS_LINK, (xdrproc_t)xdr_hs_link_args, &a,
		 (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), create_done, d);
}

void fso_link(uint64_t ino, uint64_t newdir, const char *newname, fso_attr_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_LINK, newdir, newname, cb, NULL, arg);

	if (!d)
		return;
	d->ino = ino;
	d->newdir = newdir;
	snprintf(d->newname, sizeof(d->newname), "%s", newname);
	with_obj(newdir, 0, link_send, d);
}

static void remove_done(void *arg, int err, void *res)
{
	struct dop *d = arg;
	hs_remove_res *r = res;
	struct fso *dir = obj(d->dir), *o = obj(d->ino);

	if (!err && r->status)
		err = r->status;
	if (!err && dir) {
		apply_attr(dir, &r->hs_remove_res_u.ok.dir, 1);
		dir_del(dir, d->name);
	}
	if (!err && o) {
		if (r->hs_remove_res_u.ok.obj_gone)
			obj_gone(o);
		else
			apply_attr(o, &r->hs_remove_res_u.ok.obj, 0);
	}
	dop_reply(d, err, NULL);
}

/* The victim is known: send HS_REMOVE or HS_RMDIR. */
static void remove_send(void *arg, int err, struct fso *o)
{
	struct dop *d = arg;
	struct fso *dir = obj(d->dir);
	hs_remove_args a;

	if (!err && !dir)
		err = ENOENT;
	if (!err && d->proc == HS_RMDIR && o->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err && d->proc == HS_REMOVE && o->r.type == HS_FDIR)
		err = EISDIR;
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	d->ino = o->r.ino;
	memset(&a, 0, sizeof(a));
	a.dir = dir->r.fid;
	srv_new_storeid(&a.sid);
	a.name = d->name;
	a.obj = o->r.fid;
	srv_call(d->proc, (xdrproc_t)xdr_hs_remove_args, &a,
		 (xdrproc_t)xdr_hs_remove_res, sizeof(hs_remove_res), remove_done, d);
}

void fso_unlink(uint64_t dir, const char *name, fso_err_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_REMOVE, dir, name, NULL, cb, arg);

	if (d)
		lookup_obj(dir, name, remove_send, d);
}

void fso_rmdir(uint64_t dir, const char *name, fso_err_cb cb, void *arg)
{
	struct dop *d = dop_new(HS_RMDIR, dir, name, NULL, cb, arg);

	if (d)
		lookup_obj(dir, name, remove_send, d);
}

static void rename_done(void *arg, int err, void *res)
{
	struct dop *d = arg;
	hs_rename_res *r = res;
	const hs_rename_ok *ok = &r->hs_rename_res_u.ok;
	struct fso *sd = obj(d->dir), *dd = obj(d->newdir), *o = obj(d->ino), *victim;

	if (!err && r->status)
		err = r->status;
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	if (sd) {
		apply_attr(sd, &ok->src_dir, 1);
		dir_del(sd, d->name);
	}
	if (dd && dd != sd)
		apply_attr(dd, &ok->dst_dir, 1);
	if (ok->replaced && (victim = obj_by_fid(&ok->replaced_fid)) && victim != o) {
		/* It may live on under another name: ask vice next time. */
		victim->has_cb = 0;
		if (victim->r.type == HS_FDIR || victim->r.nlink <= 1)
			obj_gone(victim);
	}
	if (o) {
		apply_attr(o, &ok->obj, 0);
		if (dd)
			dir_add(dd, d->newname, o);
	}
	dop_reply(d, 0, NULL);
}

static void rename_send(void *arg, int err, struct fso *o)
{
	struct dop *d = arg;
	struct fso *sd = obj(d->dir), *dd = obj(d->newdir);
	hs_rename_args a;

	if (!err && (!sd || !dd))
		err = ENOENT;
	if (!err && dd->r.type != HS_FDIR)
		err = ENOTDIR;
	if (err) {
		dop_reply(d, err, NULL);
		return;
	}
	d->ino = o->r.ino;
	memset(&a, 0, sizeof(a));
	a.src_dir = sd->r.fid;
	a.src_name = d->name;
	a.dst_dir = dd->r.fid;
	a.dst_name = d->newname;
	srv_new_storeid(&a.sid);
	a.obj = o->r.fid;
	srv_call(HS_RENAME, (xdrproc_t)xdr_hs_rename_args, &a,
		 (xdrproc_t)xdr_hs_rename_res, sizeof(hs_rename_res), rename_done, d);
}

void fso_rename(uint64_t dir, const char *name, uint64_t newdir, const char *newname,
		fso_err_cb cb, void *arg)
{
	struct dop *d;
	int err = check_cname(newname);

	if (err) {
		cb(arg, err);
		return;
	}
	if (!(d = dop_new(HS_RENAME, dir, name, NULL, cb, arg)))
		return;
	d->newdir = newdir;
	snprintf(d->newname, sizeof(d->newname), "%s", newname);
	lookup_obj(dir, name, rename_send, d);
}

void fso_forget(uint64_t ino, uint64_t nlookup)
{
	/* The record stays cached; eviction alone discards it. */
}

/* ================================================================ */
/* For cfs: resolve, flush, listcache                                */
/* ================================================================ */

struct walk {
	char       *path;     /* copy, consumed component by component */
	char       *next;
	uint64_t    ino;
	fso_attr_cb cb;
	void       *arg;
};

static void walk_step(void *arg, int err, struct fso *o)
{
	struct walk *w = arg;
	char *name;

	if (!err)
		w->ino = o->r.ino;
	while (!err && w->next && *w->next == '/')
		w->next++;
	if (err || !w->next || !*w->next) {
		struct fso_attr at;

		if (err) {
			w->cb(w->arg, err, NULL);
		} else {
			fill_attr(o, &at);
			w->cb(w->arg, 0, &at);
		}
		free(w->path);
		free(w);
		return;
	}
	name = w->next;
	w->next = strchr(name, '/');
	if (w->next)
		*w->next++ = '\0';
	if (!strcmp(name, ".")) {
		walk_step(w, 0, o);
		return;
	}
	lookup_obj(w->ino, name, walk_step, w);
}

void fso_resolve(const char *relpath, fso_attr_cb cb, void *arg)
{
	struct walk *w = calloc(1, sizeof(*w));

	if (!w || !(w->path = strdup(relpath ? relpath : ""))) {
		free(w);
		cb(arg, ENOMEM, NULL);
		return;
	}
	w->next = w->path;
	w->cb = cb;
	w->arg = arg;
	with_fresh(FSO_ROOT_INO, walk_step, w);
}

int fso_flush(uint64_t ino)
{
	struct fso *o = obj(ino);

	if (!o)
		return ENOENT;
	if (o->opens || o->r.dirty || o->written || o->pending || o->fetch || o->store)
		return EBUSY;
	if (o->r.type == HS_FREG)
		cache_drop(ino);
	else if (o->r.type == HS_FDIR)
		db_dirent_clear(V->db, ino);
	free(o->r.target);
	o->r.target = NULL;
	o->r.has_data = 0;
	o->has_cb = 0;
	save(o);
	if (F.front && F.front->inval_inode)
		F.front->inval_inode(ino);
	return 0;
}

/* Best-known path of o below the mount ("" if a link is missing). */
static void path_of(const struct fso *o, char *buf, size_t len)
{
	const char *parts[256];
	size_t n = 0, off = 0;

	buf[0] = '\0';
	while (o && o->r.ino != FSO_ROOT_INO && n < 256) {
		if (!o->r.name || !o->r.parent)
			return;
		parts[n++] = o->r.name;
		o = obj(o->r.parent);
	}
	if (!o || o->r.ino != FSO_ROOT_INO)
		return;
	if (n == 0)
		snprintf(buf, len, "/");
	while (n-- > 0 && off < len) {
		int k = snprintf(buf + off, len - off, "/%s", parts[n]);

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

void fso_foreach_cached(void (*fn)(void *arg, const struct fso_cacheinfo *ci), void *arg)
{
	struct fso_cacheinfo *ci = malloc(sizeof(*ci));
	size_t i;

	if (!ci)
		return;
	for (i = 0; i < F.nbuckets; i++) {
		const struct fso *o;

		for (o = F.by_ino[i]; o; o = o->ino_next) {
			memset(ci, 0, offsetof(struct fso_cacheinfo, path));
			ci->ino = o->r.ino;
			ci->fid = o->r.fid;
			ci->type = type_bits(o->r.type);
			ci->size = o->r.size;
			ci->has_data = o->r.has_data;
			ci->has_callback = o->has_cb;
			ci->open = (int)o->opens;
			path_of(o, ci->path, sizeof(ci->path));
			fn(arg, ci);
		}
	}
	free(ci);
}

/* ================================================================ */
/* Callbacks and front-end hooks                                     */
/* ================================================================ */

void fso_front_fence(void (*done)(void *arg), void *arg)
{
	if (F.front && F.front->fence)
		F.front->fence(done, arg);
	else
		done(arg);
}

void fso_set_front(const struct vfront_ops *ops)
{
	F.front = ops;
}

static int inval_name(void *arg, const char *name, uint64_t child)
{
	const uint64_t *dir = arg;

	F.front->inval_entry(*dir, name);
	return 0;
}

/* Tell the kernel to forget what it cached of o. */
static void inval(struct fso *o)
{
	if (!F.front)
		return;
	if (F.front->inval_inode)
		F.front->inval_inode(o->r.ino);
	if (o->r.type == HS_FDIR && F.front->inval_entry)
		db_dirent_foreach(V->db, o->r.ino, inval_name, &o->r.ino);
}

void fso_cb_break(const hs_fid *fid)
{
	struct fso *o = obj_by_fid(fid);

	if (!o)
		return;
	vlog(LOG_DEBUG, "callback break on %u.%u.%u (ino %" PRIu64 ")",
	     fid->volume, fid->vnode, fid->unique, o->r.ino);
	o->has_cb = 0;
	inval(o);
}

void fso_cb_lost(void)
{
	size_t i;

	for (i = 0; i < F.nbuckets; i++) {
		struct fso *o;

		for (o = F.by_ino[i]; o; o = o->ino_next) {
			if (!o->has_cb)
				continue;
			o->has_cb = 0;
			inval(o);
		}
	}
}

/* ================================================================ */
/* Start and stop                                                    */
/* ================================================================ */

static void load_one(void *arg, const struct db_fso *r)
{
	int *err = arg;
	struct fso *o;

	if (*err)
		return;
	if (!(o = new_obj(&r->fid, r->type, r->ino))) {
		*err = ENOMEM;
		return;
	}
	o->r = *r;
	o->r.name = r->name ? strdup(r->name) : NULL;
	o->r.target = r->target ? strdup(r->target) : NULL;
	o->pending = r->dirty;
}

/* Containers: drop leftovers (temporaries, files without a record) and
 * account the rest. */
static void scan_containers(void)
{
	char dirpath[4096], *slash;
	DIR *dir;
	struct dirent *de;

	cache_path(0, dirpath, sizeof(dirpath));
	slash = strrchr(dirpath, '/');
	if (slash)
		*slash = '\0';
	if (!(dir = opendir(dirpath)))
		return;
	while ((de = readdir(dir))) {
		char *end;
		uint64_t ino = strtoull(de->d_name, &end, 10);
		struct fso *o = *end ? NULL : obj(ino);
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (!o || !o->r.has_data || o->r.type != HS_FREG ||
		    fstatat(dirfd(dir), de->d_name, &st, 0)) {
			unlinkat(dirfd(dir), de->d_name, 0);
			continue;
		}
		cache_note(ino, (uint64_t)st.st_size, o->r.last_used);
		update_pin(o);
	}
	closedir(dir);
}

/* Records that claim a container that is missing lose the claim. */
static void check_claims(void)
{
	size_t i;

	for (i = 0; i < F.nbuckets; i++) {
		struct fso *o;

		for (o = F.by_ino[i]; o; o = o->ino_next) {
			if (o->r.type == HS_FREG && o->r.has_data && !cache_has(o->r.ino)) {
				if (o->r.dirty)
					vlog(LOG_ERR, "dirty container of ino %" PRIu64 " is missing",
					     o->r.ino);
				o->r.has_data = 0;
				o->r.dirty = 0;
				o->pending = 0;
				save(o);
			}
		}
	}
}

int fso_init(void)
{
	int err = 0, lerr = 0;
	unsigned dirty = 0;
	size_t i;

	fso_fini();
	F.next_ino = FSO_ROOT_INO + 1;
	if ((err = grow()))
		return err;
	err = db_fso_foreach(V->db, load_one, &lerr);
	if (err || lerr)
		return err ? err : lerr;
	scan_containers();
	check_claims();
	for (i = 0; i < F.nbuckets; i++) {
		struct fso *o;

		for (o = F.by_ino[i]; o; o = o->ino_next)
			dirty += o->r.dirty != 0;
	}
	vlog(LOG_INFO, "cache: %zu objects, %" PRIu64 " containers, %" PRIu64 " bytes%s",
	     F.count, cache_files(), cache_bytes(), dirty ? ", some dirty" : "");
	if (dirty)
		vlog(LOG_WARNING, "%u containers hold changes not yet stored to vice; "
		     "they are stored at their next close", dirty);
	trim();
	return 0;
}

void fso_fini(void)
{
	size_t i;

	for (i = 0; i < F.nbuckets; i++) {
		struct fso *o = F.by_ino[i], *next;

		for (; o; o = next) {
			next = o->ino_next;
			free_obj(o);
		}
	}
	free(F.by_ino);
	free(F.by_fid);
	memset(&F, 0, sizeof(F));
}
