/*
 * fsobj.c - venus's cached objects (fsobj.h): the in-memory table and the
 * records' attributes.
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
 * and finds the object again when the reply comes.  The operations live in
 * fsobj_*.c, one idea each; fsobj_int.h is what they share.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"

struct fso_table fso_tab;

/* ================================================================ */
/* The in-memory table                                               */
/* ================================================================ */

static size_t h_ino(uint64_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 20) & (fso_tab.nbuckets - 1);
}

static size_t h_fid(const hs_fid *f)
{
	uint64_t k = ((uint64_t)f->volume << 40) ^ ((uint64_t)f->vnode << 20) ^ f->unique;

	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (fso_tab.nbuckets - 1);
}

static int fid_eq(const hs_fid *a, const hs_fid *b)
{
	return a->volume == b->volume && a->vnode == b->vnode && a->unique == b->unique;
}

struct fso *fo_obj(uint64_t ino)
{
	struct fso *o;

	if (!fso_tab.nbuckets)
		return NULL;
	for (o = fso_tab.by_ino[h_ino(ino)]; o; o = o->ino_next)
		if (o->r.ino == ino)
			return o;
	return NULL;
}

struct fso *fo_obj_by_fid(const hs_fid *fid)
{
	struct fso *o;

	if (!fso_tab.nbuckets)
		return NULL;
	for (o = fso_tab.by_fid[h_fid(fid)]; o; o = o->fid_next)
		if (fid_eq(&o->r.fid, fid))
			return o;
	return NULL;
}

static void link_obj(struct fso *o)
{
	size_t b = h_ino(o->r.ino), f = h_fid(&o->r.fid);

	o->ino_next = fso_tab.by_ino[b];
	fso_tab.by_ino[b] = o;
	o->fid_next = fso_tab.by_fid[f];
	fso_tab.by_fid[f] = o;
	fso_tab.count++;
	if (o->r.ino >= fso_tab.next_ino)
		fso_tab.next_ino = o->r.ino + 1;
}

static void unlink_obj(struct fso *o)
{
	struct fso **pp;

	for (pp = &fso_tab.by_ino[h_ino(o->r.ino)]; *pp; pp = &(*pp)->ino_next)
		if (*pp == o) {
			*pp = o->ino_next;
			break;
		}
	for (pp = &fso_tab.by_fid[h_fid(&o->r.fid)]; *pp; pp = &(*pp)->fid_next)
		if (*pp == o) {
			*pp = o->fid_next;
			break;
		}
	fso_tab.count--;
}

int fo_grow(void)
{
	size_t n = fso_tab.nbuckets ? fso_tab.nbuckets * 2 : 4096, i;
	struct fso **bi = calloc(n, sizeof(*bi)), **bf = calloc(n, sizeof(*bf));
	struct fso **oldi = fso_tab.by_ino;
	size_t oldn = fso_tab.nbuckets;

	if (!bi || !bf) {
		free(bi);
		free(bf);
		return ENOMEM;
	}
	free(fso_tab.by_fid);
	fso_tab.by_ino = bi;
	fso_tab.by_fid = bf;
	fso_tab.nbuckets = n;
	fso_tab.count = 0;
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

void fo_free_obj(struct fso *o)
{
	fo_wx_free(o);
	free(o->r.name);
	free(o->r.target);
	free(o);
}

uint64_t fo_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A row not saved leaves venus.db behind memory: logged here with the
 * object (db.c logged SQLite's reason); callers that can act on it (undo,
 * fail the operation) take the errno, the others go on with memory as the
 * truth until the next save. */
static int saved(struct fso *o, int err)
{
	if (err)
		vlog(LOG_ERR, "fsobj %" PRIu64 " (fid %x.%x.%x): not saved in venus.db: %s",
		     o->r.ino, o->r.fid.volume, o->r.fid.vnode, o->r.fid.unique,
		     strerror(err));
	return err;
}

int fo_save(struct fso *o)
{
	return saved(o, db_fso_put(V->db, &o->r));
}

int fo_save_moved(struct fso *o)
{
	return saved(o, db_fso_put_moved(V->db, &o->r));
}

/* A new record for fid with a fresh ino (or the given one). */
struct fso *fo_new_obj(const hs_fid *fid, int type, uint64_t ino)
{
	struct fso *o;

	if (fso_tab.count >= fso_tab.nbuckets && fo_grow())
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->r.ino = ino ? ino : fso_tab.next_ino;
	o->r.fid = *fid;
	o->r.type = type;
	o->r.last_used = fo_now_us();
	o->wuid = FO_NO_WRITER;
	link_obj(o);
	return o;
}

uid_t fo_writer(const struct fso *o)
{
	return o->wuid != FO_NO_WRITER ? o->wuid : (uid_t)o->r.uid;
}

/* Containers of records deleted in the open transaction (see drop_container). */
static struct {
	uint64_t *inos;
	size_t    n, cap;
} gone;

/* Unlink o's container only once the DELETE of its record is durable.
 * Inside a transaction (a rename's victim, an identity cancellation) a
 * death before the commit keeps the record and the entry naming it: an
 * unlinked container would make the next start drop the claim
 * (check_claims) and serve the object from vice, whose copy lacks the
 * logged stores (stale or empty data), or fetch it under a local fid
 * vice never heard of (ESTALE).  A death between commit and unlink
 * leaves a container without a record, which the start sweeps. */
static void drop_container(uint64_t ino)
{
	if (!db_in_txn(V->db)) {
		cache_drop(ino);
		return;
	}
	if (gone.n == gone.cap) {
		size_t cap = gone.cap ? gone.cap * 2 : 16;
		uint64_t *p = realloc(gone.inos, cap * sizeof *p);

		if (!p) {
			/* Kept: the start sweeps it once its record is gone. */
			vlog(LOG_WARNING, "out of memory; the container of ino %" PRIu64
			     " stays until the next start", ino);
			return;
		}
		gone.inos = p;
		gone.cap = cap;
	}
	gone.inos[gone.n++] = ino;
}

void fso_gone_settle(int committed)
{
	/* Rolled back: the records are still there, so are their containers. */
	for (size_t i = 0; committed && i < gone.n; i++)
		cache_drop(gone.inos[i]);
	gone.n = 0;
}

/* Forget an object vice no longer has.  An open one lingers, marked
 * removed, until its last close: its descriptors keep reading and writing
 * the container (nlink 0), nothing is stored, and the record is no longer
 * dirty, so a restart does not log a store for a vnode vice deleted. */
void fo_obj_gone(struct fso *o)
{
	db_dirent_del_child(V->db, o->r.ino);
	if (o->opens || o->fetch || o->store) {
		o->removed = 1;
		o->has_cb = 0;
		o->pending = 0;
		if (o->r.dirty && !o->cml) {
			o->r.dirty = 0;
			fo_save(o);
		}
		return;
	}
	if (o->r.type == HS_FDIR)
		db_dirent_clear(V->db, o->r.ino);
	drop_container(o->r.ino);
	db_fso_del(V->db, o->r.ino);
	unlink_obj(o);
	fo_free_obj(o);
}

/* ================================================================ */
/* Attributes                                                        */
/* ================================================================ */

int fo_contents_current(const struct fso *o)
{
	return o->r.has_data && o->r.data_dv == o->r.dataversion;
}

/* The container holds changes vice has not seen (or may soon). */
int fo_container_local(const struct fso *o)
{
	return o->r.has_data && (o->r.dirty || o->written || o->writers || o->pending);
}

/* Take attributes from vice.  own: the change is this client's own, so
 * contents current before it stay current (vice bumped the version by
 * exactly one for it). */
void fo_apply_attr(struct fso *o, const hs_attr *a, int own)
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
	o->r.rdev = a->rdev;
	o->has_cb = vr_is_up(o->r.fid.volume);
	if (own)   /* our change moved the volume's stamp on */
		fo_vstamp_touch(o->r.fid.volume);
	else       /* once things calm down, its stamp may be recorded */
		fo_vstamp_quiet();
	fo_save(o);
}

/* The record for the object a names, made if new, with a applied. */
struct fso *fo_obj_for_attr(const hs_attr *a, int own)
{
	struct fso *o = fo_obj_by_fid(&a->fid);

	if (!o && !(o = fo_new_obj(&a->fid, a->type, 0)))
		return NULL;
	fo_apply_attr(o, a, own);
	return o;
}

mode_t fo_type_bits(int type)
{
	switch (type) {
	case HS_FDIR: return S_IFDIR;
	case HS_FLNK: return S_IFLNK;
	case HS_FIFO: return S_IFIFO;
	case HS_FSOCK: return S_IFSOCK;
	case HS_FCHR: return S_IFCHR;
	case HS_FBLK: return S_IFBLK;
	default:      return S_IFREG;
	}
}

void fo_fill_attr(const struct fso *o, struct fso_attr *a)
{
	struct stat *st = &a->st;

	memset(a, 0, sizeof(*a));
	a->ino = o->r.ino;
	a->fid = o->r.fid;
	a->dataversion = o->r.dataversion;
	st->st_ino = o->r.ino;
	st->st_mode = fo_type_bits(o->r.type) | (o->r.mode & 07777);
	st->st_nlink = o->removed ? 0 : o->r.nlink ? o->r.nlink : 1;
	st->st_uid = o->r.uid;
	st->st_gid = o->r.gid;
	st->st_rdev = (dev_t)o->r.rdev;
	st->st_size = (off_t)o->r.size;
	st->st_atim.tv_sec = o->r.atime.sec;
	st->st_atim.tv_nsec = o->r.atime.nsec;
	st->st_mtim.tv_sec = o->r.mtime.sec;
	st->st_mtim.tv_nsec = o->r.mtime.nsec;
	st->st_ctim.tv_sec = o->r.ctime.sec;
	st->st_ctim.tv_nsec = o->r.ctime.nsec;
	st->st_blksize = 4096;
	/* Local changes not yet stored: the container is the truth. */
	if (o->r.type == HS_FREG && fo_container_local(o)) {
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
	fo_save(o);
}

/* Record that dir has name -> child. */
void fo_dir_add(struct fso *dir, const char *name, struct fso *child)
{
	db_dirent_put(V->db, dir->r.ino, name, child->r.ino);
	set_name(child, dir->r.ino, name);
}

void fo_dir_del(struct fso *dir, const char *name)
{
	db_dirent_del(V->db, dir->r.ino, name);
}


/* Reintegration gave a locally created object its server fid: the ino
 * stays (the kernel keeps its inode), the fid index and the front end
 * follow.  The row is the caller's to save (fso_reint_applied saves it
 * once, with the version vice answered: one write per record, not two). */
void fo_refid(struct fso *o, const hs_fid *newf)
{
	hs_fid old = o->r.fid;

	unlink_obj(o);
	o->r.fid = *newf;
	link_obj(o);
	front_replace(o->r.ino, &old, newf);
}
