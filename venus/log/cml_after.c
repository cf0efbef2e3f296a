/*
 * cml_after.c - cml_take_after (cml.h): the block venus sends while the
 * one before it is in flight, independent of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/log/cml_int.h"

/* The fids a block in flight names, sorted for bsearch: its objects, and
 * the directories of its name ops.  At most one of each per row. */
struct depset {
	hs_fid  *obj, *dir;
	unsigned nobj, ndir;
};

static int fid_cmp(const void *a, const void *b)
{
	const hs_fid *x = a, *y = b;

	if (x->volume != y->volume)
		return x->volume < y->volume ? -1 : 1;
	if (x->vnode != y->vnode)
		return x->vnode < y->vnode ? -1 : 1;
	if (x->unique != y->unique)
		return x->unique < y->unique ? -1 : 1;
	return 0;
}

static int has_dir(const struct cml_row *r)
{
	return r->dir.vnode || r->dir.unique;
}

static int dep_make(struct depset *d, const struct cml_row *dep, unsigned ndep)
{
	d->obj = malloc((ndep ? ndep : 1) * sizeof *d->obj);
	d->dir = malloc((ndep ? ndep : 1) * sizeof *d->dir);
	d->nobj = d->ndir = 0;
	if (!d->obj || !d->dir)
		return ENOMEM;
	for (unsigned i = 0; i < ndep; i++) {
		d->obj[d->nobj++] = dep[i].obj;
		if (has_dir(&dep[i]))
			d->dir[d->ndir++] = dep[i].dir;
	}
	qsort(d->obj, d->nobj, sizeof *d->obj, fid_cmp);
	qsort(d->dir, d->ndir, sizeof *d->dir, fid_cmp);
	return 0;
}

static void dep_free(struct depset *d)
{
	free(d->obj);
	free(d->dir);
}

static int in(const hs_fid *set, unsigned n, const hs_fid *f)
{
	return n && bsearch(f, set, n, sizeof *set, fid_cmp) != NULL;
}

/* r builds on the block in flight: cml_take_block's rule (a row about
 * one of its objects or directories, or in a directory one of its rows
 * is about, e.g. made).  Two creates in one directory are independent. */
static int needs(const struct depset *d, const struct cml_row *r)
{
	return in(d->obj, d->nobj, &r->obj) || in(d->dir, d->ndir, &r->obj) ||
	       (has_dir(r) && in(d->obj, d->nobj, &r->dir));
}

/* 1 if r ends the block before it (r is not taken). */
static int ends(const struct depset *d, const struct cml_row *r, uid_t uid,
		int (*wait)(void *arg, uid_t uid), void *arg)
{
	return r->op == HS_OP_STORE || r->uid != uid ||
	       needs(d, r) || (wait && wait(arg, r->uid));
}

int cml_take_after(struct cml *c, uint32_t vol, uint64_t after, const struct cml_row *dep,
		   unsigned ndep, struct cml_row *rows, unsigned max, unsigned min_age,
		   int (*wait)(void *arg, uid_t uid), void *arg, unsigned *n)
{
	sqlite3_stmt *st;
	struct depset d;
	int err, rc = SQLITE_DONE;

	(void)c;
	*n = 0;
	if ((err = dep_make(&d, dep, ndep))) {
		dep_free(&d);
		return err;
	}
	if (!(st = db_st(V->db, DB_CML_BLOCK_AFTER))) {
		dep_free(&d);
		return EIO;
	}
	sqlite3_bind_int(st, 1, (int)max + 1);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL) - min_age);
	sqlite3_bind_int64(st, 3, vol);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)after);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cml_row *r = &rows[*n];

		if ((err = cml_row_read(st, r)))
			break;
		if (ends(&d, r, ndep ? dep[0].uid : *n ? rows[0].uid : r->uid, wait, arg)) {
			cml_row_free(r);
			break;
		}
		(*n)++;
	}
	dep_free(&d);
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_step_err(V->db, "cml: block after");
	sqlite3_finalize(st);
	return cml_freeze(rows, n, err);
}
