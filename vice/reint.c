/*
 * vice/reint.c - HS_REINTEGRATE at the store layer: a block of CML
 * records applied in order, in one transaction.
 *
 * Each record runs in its own savepoint, so a record that fails (a
 * conflict, a name taken, an object gone) is undone alone and the block
 * goes on; the block commits as a whole or not at all.  Errors of the
 * server itself (EIO, ENOSPC, ENOMEM, ...) abort the block: nothing is
 * applied and the client retries it later.  Store ids make a retried
 * block apply nothing twice; see store_redo.c for when data files change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "reint.h"

void vs_reint_set_hook(struct vstore *vs, vs_reint_hook fn, void *arg)
{
	vs->hook = fn;
	vs->hook_arg = arg;
}

void vs_reint_set_check(struct vstore *vs, vs_reint_check fn, void *arg)
{
	vs->check = fn;
	vs->check_arg = arg;
}

/* A failure of the server rather than of the record.  EDQUOT is the
 * record's: its volume is over quota, and retrying the block would not
 * help (the client keeps the record and reports it). */
static int server_error(int err)
{
	return err == EIO || err == ENOSPC ||
		err == ENOMEM || err == EROFS || err == EBUSY;
}

static const hs_storeid *rec_sid(const hs_cml_rec *rec)
{
	const typeof(rec->hs_cml_rec_u) *u = &rec->hs_cml_rec_u;

	switch (rec->op) {
	case HS_OP_STORE:   return &u->store.sid;
	case HS_OP_SETATTR: return &u->setattr.sid;
	case HS_OP_CREATE:  return &u->create.a.sid;
	case HS_OP_MKDIR:   return &u->mkdir.a.sid;
	case HS_OP_SYMLINK: return &u->symlink.a.sid;
	case HS_OP_MKNOD:   return &u->mknod.a.sid;
	case HS_OP_LINK:    return &u->link.sid;
	case HS_OP_REMOVE:  return &u->remove.sid;
	case HS_OP_RMDIR:   return &u->rmdir.sid;
	case HS_OP_RENAME:  return &u->rename.sid;
	}
	return NULL;
}

/* Resolve every local fid rec names, in place: the first failure. */
static int resolve_all(struct reint *R, hs_cml_rec *rec)
{
	hs_fid *names[REINT_NAMES];
	unsigned i, n = reint_names(rec, names);
	int err, first = 0;

	for (i = 0; i < n; i++)
		if ((err = reint_resolve(R, names[i])) && !first)
			first = err;
	return first;
}

/* Run the record in a savepoint of its own. */
static int apply_one(struct reint *R, const hs_cml_rec *rec,
		     hs_reint_result *res)
{
	int err = vs_begin(R->vs);

	if (err)
		return err;
	if ((err = reint_apply(R, rec, res))) {
		vs_rollback(R->vs);
		memset(&res->obj, 0, sizeof res->obj);
		return err;
	}
	return vs_commit(R->vs);
}

/* The record failed (status err): count it, taint what it was about. */
static void failed(struct reint *R, const hs_cml_rec *rec,
		   hs_reint_result *res, int err)
{
	res->status = err;
	if (err == HS_ECONFLICT || err == EEXIST || err == ESTALE)
		R->info->conflicts++;
	reint_taint(R, rec);
}

/* Record i (applied now, its fids resolved) made an object: note where
 * (vs_reint_info.made_in). */
static void note_made(struct reint *R, unsigned i, const hs_cml_rec *cur,
		      const hs_reint_result *res)
{
	const hs_fid *dir = NULL;

	switch (cur->op) {
	case HS_OP_CREATE:  dir = &cur->hs_cml_rec_u.create.a.dir; break;
	case HS_OP_SYMLINK: dir = &cur->hs_cml_rec_u.symlink.a.dir; break;
	case HS_OP_MKNOD:   dir = &cur->hs_cml_rec_u.mknod.a.dir; break;
	case HS_OP_MKDIR:   dir = &res->obj.fid; break;
	default:            break;
	}
	if (dir && res->obj.type && i < HS_REINT_MAX)
		R->info->made_in[i] = *dir;
}

/* One record (the block's i-th): its result in res; returns 0 or a
 * server error that aborts the block. */
static int one(struct reint *R, unsigned i, const hs_cml_rec *rec, hs_reint_result *res)
{
	const hs_storeid *sid = rec_sid(rec);
	hs_cml_rec raw = *rec, cur = *rec;
	const hs_fid *local = reint_local(rec);
	struct vs_applied ap;
	int r, err;

	if (!sid)
		return EINVAL;
	res->sid = *sid;
	if (local)
		res->local = *local;
	/* Without a store id a retry could apply the record twice. */
	if (sid->client == 0 && sid->seq == 0) {
		failed(R, rec, res, EINVAL);
		return 0;
	}
	err = resolve_all(R, &cur);
	if ((r = vs_ap_get(R->vs, sid, &ap)) != 0) {
		if (r < 0)
			return -r;
		R->info->dups++;
		reint_dup(R, &cur, &ap, res);
		return 0;
	}
	if (reint_tainted(R, &raw)) {
		failed(R, rec, res, HS_ESKIPPED);
		return 0;
	}
	if (!err && R->vs->check)
		err = R->vs->check(R->vs->check_arg, &cur);
	if (!err)
		err = apply_one(R, &cur, res);
	if (err && (server_error(err) || !vs_tx_alive(R->vs)))
		return err;
	if (err) {
		failed(R, rec, res, err);
	} else {
		R->info->applied++;
		note_made(R, i, &cur, res);
	}
	return 0;
}

static int run(struct reint *R, const hs_reint_args *a, hs_reint_ok *out)
{
	unsigned i;
	int err = 0;

	for (i = 0; !err && i < a->recs.recs_len; i++) {
		err = one(R, i, &a->recs.recs_val[i],
			  &out->results.results_val[i]);
		if (!err && R->vs->hook)
			err = R->vs->hook(R->vs->hook_arg, i + 1);
	}
	return err;
}

/* The block failed: nothing of it stands. */
static int abort_block(struct vstore *vs, hs_reint_ok *out,
		       struct vs_reint_info *info, int err)
{
	vs->defer_files = 0;
	vs_rollback(vs);
	free(out->results.results_val);
	out->results.results_val = NULL;
	out->results.results_len = 0;
	memset(info, 0, sizeof *info);
	return err;
}

int vs_reint(struct vstore *vs, uint64_t client, const hs_reint_args *a,
	     hs_reint_ok *out, struct vs_reint_info *info)
{
	unsigned n = a->recs.recs_len;
	struct reint *R;
	int err;

	memset(info, 0, sizeof *info);
	memset(out, 0, sizeof *out);
	if (n > HS_REINT_MAX || client == 0 || vs->depth)
		return EINVAL;
	/* Rows a failed earlier run left must go first: they are older. */
	if ((err = vs_redo_run(vs)))
		return err;
	out->results.results_val = calloc(n ? n : 1, sizeof(hs_reint_result));
	R = calloc(1, sizeof *R);
	if (!out->results.results_val || !R) {
		free(R);
		return abort_block(vs, out, info, ENOMEM);
	}
	out->results.results_len = n;
	*R = (struct reint){ .vs = vs, .client = client, .info = info };
	if (!(err = vs_begin(vs))) {
		vs->defer_files = 1;
		err = run(R, a, out);
	}
	fidset_clear(&R->noted);
	free(R);
	if (err)
		return abort_block(vs, out, info, err);
	vs->defer_files = 0;
	if ((err = vs_commit(vs)))
		return abort_block(vs, out, info, err);
	/* Committed: the data files follow.  A failure here leaves the rows
	 * for the next start; the block itself stands. */
	if (!vs->hook || !vs->hook(vs->hook_arg, VS_REINT_COMMITTED))
		info->redo_err = vs_redo_run(vs);
	return 0;
}

int vs_read_begin(struct vstore *vs)
{
	return vs->depth ? EINVAL : vs_begin(vs);
}

void vs_read_end(struct vstore *vs)
{
	if (vs->depth == 1)
		(void)vs_commit(vs);
}
