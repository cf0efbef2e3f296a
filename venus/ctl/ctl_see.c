/*
 * ctl_see.c - what a local user may see through the control socket
 * (ctl_int.h: struct ctl_view).  cfs listcache, listmissing, getfid,
 * getpath, getpfid, conflicts, listlocal and checklocal show a user other
 * than root only what that user could reach through the mount.
 *
 * An object is visible when every directory from the mount's root down
 * to its parent lets the uid search it (x), its parent also lets the uid
 * read it (r), and, where venus knows the uid's rights on a directory
 * (rights.h, vice's ACL answer), they include l (HS_R_LOOKUP): an ACL
 * that denies hides, mode bits narrow further, as in Coda.  Mode bits are
 * judged conservatively: venus knows only the peer's primary gid, so for
 * a user who does not own the directory both the group and the other
 * bits must allow unless the directory's group is that primary gid.
 * Anything venus cannot place (no parent known, a row missing) is hidden.
 *
 * The attributes come from venus.db's fsobj rows (one scan per command).
 */
#include <errno.h>
#include <stdlib.h>
#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/core/rights.h"
#include "venus/log/cml.h"
#include "venus/ctl/ctl_int.h"

/* The longest parent chain walked; deeper objects are hidden. */
#define VIEW_MAX_DEPTH 4096

struct vrow {
	uint64_t ino, parent;
	hs_fid   fid;
	uint32_t mode, uid, gid;
};

struct ctl_view {
	uid_t        uid;
	gid_t        gid;
	int          all;     /* root: sees everything */
	int          failed;  /* the scan failed: non-root sees nothing */
	struct vrow *rows;    /* sorted by ino */
	size_t       n, cap;
};

static void collect(void *arg, const struct db_fso *r)
{
	struct ctl_view *v = arg;

	if (v->failed)
		return;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 256;
		struct vrow *p = realloc(v->rows, cap * sizeof *p);

		if (!p) {
			v->failed = 1;
			return;
		}
		v->rows = p;
		v->cap = cap;
	}
	v->rows[v->n++] = (struct vrow){ r->ino, r->parent, r->fid, r->mode,
					 r->uid, r->gid };
}

static int by_ino(const void *a, const void *b)
{
	const struct vrow *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

struct ctl_view *ctl_view_new(const struct ctl_req *r)
{
	struct ctl_view *v = calloc(1, sizeof *v);

	if (!v)
		return NULL;
	v->uid = r->uid;
	v->gid = r->gid;
	v->all = ctl_is_root(r);
	if (db_fso_foreach(V->db, collect, v))
		v->failed = 1;
	if (v->n)
		qsort(v->rows, v->n, sizeof *v->rows, by_ino);
	return v;
}

void ctl_view_free(struct ctl_view *v)
{
	if (!v)
		return;
	free(v->rows);
	free(v);
}

static const struct vrow *row_of(const struct ctl_view *v, uint64_t ino)
{
	struct vrow key = { .ino = ino };

	return v->n ? bsearch(&key, v->rows, v->n, sizeof *v->rows, by_ino) : NULL;
}

/* Do d's mode bits give v's uid every bit of want (4 r, 1 x)? */
static int mode_allows(const struct ctl_view *v, const struct vrow *d, unsigned want)
{
	unsigned owner = (d->mode >> 6) & 7, group = (d->mode >> 3) & 7,
		 other = d->mode & 7;

	if (d->uid == v->uid)
		return (owner & want) == want;
	if (d->gid == v->gid)
		return (group & want) == want;
	/* a supplementary group venus cannot see may be d's: both must allow */
	return (other & want) == want && (group & want) == want;
}

/* May v's uid use directory d: search it (want 1) or list it (want 5)? */
static int dir_allows(const struct ctl_view *v, const struct vrow *d, unsigned want)
{
	unsigned rights;

	if (!rights_get(&d->fid, v->uid, &rights) && !(rights & HS_R_LOOKUP))
		return 0;
	return mode_allows(v, d, want);
}

int ctl_view_obj(const struct ctl_view *v, uint64_t ino)
{
	const struct vrow *o;
	unsigned want = 5;   /* the parent: r and x; above it x */

	if (!v)
		return 0;
	if (v->all || ino == FSO_ROOT_INO)
		return 1;
	if (v->failed || !(o = row_of(v, ino)))
		return 0;
	for (int depth = 0; depth < VIEW_MAX_DEPTH; depth++) {
		const struct vrow *d = o->parent ? row_of(v, o->parent) : NULL;

		if (!d || !dir_allows(v, d, want))
			return 0;
		if (d->ino == FSO_ROOT_INO)
			return 1;
		o = d;
		want = 1;
	}
	return 0;
}

int ctl_view_is_root(const struct ctl_view *v)
{
	return v && v->all;
}

uid_t ctl_view_owner(const struct ctl_view *v, uint64_t ino)
{
	const struct vrow *o = v ? row_of(v, ino) : NULL;

	return o ? (uid_t)o->uid : 0;
}

uid_t ctl_row_uid(const struct ctl_view *v, const struct cml_row *row)
{
	/* Until CML rows carry the uid that made them (issue 9 item 6), the
	 * owner of the object the record is about stands in; a record whose
	 * object is gone counts as root's, so only root sees it. */
	return ctl_view_owner(v, row->ino);
}

int ctl_view_row(const struct ctl_view *v, const struct cml_row *row)
{
	if (!v)
		return 0;
	return v->all || ctl_row_uid(v, row) == v->uid;
}
