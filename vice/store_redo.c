/*
 * vice/store_redo.c - data-file changes of a reintegration block, carried
 * out after its transaction commits.
 *
 * Ordering (why a crash cannot lose data):
 *  1. before the commit each store's staged file is cut to size and
 *     fsync'd; nothing in data/<vol>/ is touched;
 *  2. one COMMIT records the metadata, the applied store ids, the local
 *     fid mappings and these redo rows (STORE: rename staged file of sid
 *     over the data file; TRUNC; UNLINK);
 *  3. the rows are carried out in order, the data directories fsync'd;
 *  4. the rows are deleted.
 * A crash before 2 leaves everything as it was (the staged data stays for
 * the retry); between 2 and 4 vs_open runs the rows again.  Running a row
 * twice is harmless: a STORE whose staged file is gone was done; a TRUNC
 * followed by a STORE or UNLINK of the same file is skipped (it would cut
 * the newer contents); UNLINK of a missing file is a no-op.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "store_int.h"

/* One row. */
struct rd {
	int64_t id;
	int op;
	struct vn v;            /* vol, vnode, uniq only */
	hs_storeid sid;
	uint64_t size;
};

int vs_redo_add(struct vstore *vs, enum vs_redo op, const struct vn *v,
		const hs_storeid *sid, uint64_t size)
{
	sqlite3_stmt *s = vs_st(vs, S_RD_ADD);

	sqlite3_bind_int(s, 1, (int)op);
	sqlite3_bind_int64(s, 2, v->vol);
	sqlite3_bind_int64(s, 3, v->vnode);
	sqlite3_bind_int64(s, 4, v->uniq);
	sqlite3_bind_int64(s, 5, sid ? (int64_t)sid->client : 0);
	sqlite3_bind_int64(s, 6, sid ? (int64_t)sid->seq : 0);
	sqlite3_bind_int64(s, 7, (int64_t)size);
	return vs_exec(vs, s);
}

static void rd_read(sqlite3_stmt *s, struct rd *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->op = sqlite3_column_int(s, 1);
	r->v.vol = (uint32_t)sqlite3_column_int64(s, 2);
	r->v.vnode = (uint32_t)sqlite3_column_int64(s, 3);
	r->v.uniq = (uint32_t)sqlite3_column_int64(s, 4);
	r->v.type = HS_FREG;
	r->sid.client = (uint64_t)sqlite3_column_int64(s, 5);
	r->sid.seq = (uint64_t)sqlite3_column_int64(s, 6);
	r->size = (uint64_t)sqlite3_column_int64(s, 7);
}

/* Every row, in order, into *out (malloc'd). */
static int rd_list(struct vstore *vs, struct rd **out, size_t *n)
{
	sqlite3_stmt *s = vs_st(vs, S_RD_LIST);
	size_t cap = 0;
	struct rd *v = NULL, *nv;
	int rc;

	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof *v))) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		rd_read(s, &v[(*n)++]);
	}
	sqlite3_reset(s);
	*out = v;
	return rc == SQLITE_DONE ? 0 : vs_sqlerr(rc);
}

/* Is the object of row i replaced or removed by a later row? */
static int superseded(const struct rd *r, size_t n, size_t i)
{
	size_t j;

	for (j = i + 1; j < n; j++)
		if (r[j].v.vol == r[i].v.vol && r[j].v.vnode == r[i].v.vnode &&
		    r[j].op != RD_TRUNC)
			return 1;
	return 0;
}

/* The object still exists (the same one: vnode and uniquifier). */
static int alive(struct vstore *vs, const struct vn *v)
{
	hs_fid fid = { v->vol, v->vnode, v->uniq };
	struct vn cur;

	return vs_vn_get(vs, &fid, &cur) == 0;
}

static int rd_store(struct vstore *vs, const struct rd *r)
{
	char stage[4096], data[4096];

	vs_stage_path(vs, &r->sid, stage, sizeof stage);
	vs_stage_forget(vs, &r->sid);
	if (access(stage, F_OK) < 0)
		return errno == ENOENT ? 0 : errno;     /* done before */
	if (!alive(vs, &r->v))
		return unlink(stage) < 0 ? errno : 0;
	vs_data_path(vs, &r->v, data, sizeof data);
	return rename(stage, data) < 0 ? errno : 0;
}

static int rd_one(struct vstore *vs, const struct rd *r, size_t n, size_t i)
{
	switch (r[i].op) {
	case RD_STORE:
		return rd_store(vs, &r[i]);
	case RD_TRUNC:
		if (superseded(r, n, i) || !alive(vs, &r[i].v))
			return 0;
		return vs_data_truncate(vs, &r[i].v, r[i].size);
	case RD_UNLINK:
		vs_data_unlink(vs, &r[i].v);
		return 0;
	default:
		return EIO;
	}
}

/* fsync the staging area and every volume directory the rows touched. */
static int rd_sync(struct vstore *vs, const struct rd *r, size_t n)
{
	char path[4096];
	size_t i, j;
	int err;

	snprintf(path, sizeof path, "%s/tmp", vs->datadir);
	if ((err = vs_fsync_dir(path)))
		return err;
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && r[j].v.vol != r[i].v.vol; j++)
			;
		if (j < i)
			continue;       /* that volume is done */
		snprintf(path, sizeof path, "%s/%u", vs->datadir,
			 (unsigned)r[i].v.vol);
		if ((err = vs_fsync_dir(path)))
			return err;
	}
	return 0;
}

int vs_redo_run(struct vstore *vs)
{
	struct rd *r;
	sqlite3_stmt *s;
	size_t n, i;
	int err = rd_list(vs, &r, &n);

	for (i = 0; !err && i < n; i++)
		err = rd_one(vs, r, n, i);
	if (!err && n)
		err = rd_sync(vs, r, n);
	/* Only once every row is done and durable may the rows go; after a
	 * failure they stay and run again at the next start. */
	if (!err && n) {
		s = vs_st(vs, S_RD_CLEAR);
		sqlite3_bind_int64(s, 1, r[n - 1].id);
		err = vs_exec(vs, s);
	}
	free(r);
	return err;
}
