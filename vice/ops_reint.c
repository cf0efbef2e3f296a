/*
 * vice/ops_reint.c - HS_REINTEGRATE and HS_STAGED: disconnected
 * operation's log, replayed by a client that is back.
 *
 * The block is applied by the store layer (reint.c); here: counters,
 * callback breaks to other clients on everything it changed (before the
 * reply, as for single operations), and promises for the caller on the
 * objects it now has the current version of.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "store.h"

/* Counters of one committed block. */
static void count(struct vice *v, const struct vs_reint_info *in)
{
	v->stats.reint_blocks++;
	v->stats.reint_records += in->applied;
	v->stats.reint_conflicts += in->conflicts;
	v->stats.dup_stores += in->dups;
	v->stats.stores += in->stores;
}

/* 1 if every record of the block is a remove or rmdir. */
static int only_deletes(const hs_reint_args *a)
{
	for (unsigned i = 0; i < a->recs.recs_len; i++)
		if (a->recs.recs_val[i].op != HS_OP_REMOVE &&
		    a->recs.recs_val[i].op != HS_OP_RMDIR)
			return 0;
	return a->recs.recs_len > 0;
}

/* The store id of a record (NULL for an unknown op: vs_reint refuses
 * those itself). */
static const hs_storeid *rec_sid(const hs_cml_rec *r)
{
	switch (r->op) {
	case HS_OP_STORE:   return &r->hs_cml_rec_u.store.sid;
	case HS_OP_SETATTR: return &r->hs_cml_rec_u.setattr.sid;
	case HS_OP_CREATE:  return &r->hs_cml_rec_u.create.a.sid;
	case HS_OP_MKDIR:   return &r->hs_cml_rec_u.mkdir.a.sid;
	case HS_OP_SYMLINK: return &r->hs_cml_rec_u.symlink.a.sid;
	case HS_OP_LINK:    return &r->hs_cml_rec_u.link.sid;
	case HS_OP_REMOVE:  return &r->hs_cml_rec_u.remove.sid;
	case HS_OP_RMDIR:   return &r->hs_cml_rec_u.rmdir.sid;
	case HS_OP_RENAME:  return &r->hs_cml_rec_u.rename.sid;
	case HS_OP_MKNOD:   return &r->hs_cml_rec_u.mknod.a.sid;
	}
	return NULL;
}

/* Every record's store id must be the caller's: one that is not refuses
 * the whole block (EPERM), nothing applied. */
static int sids_check(const struct vclient *c, const hs_reint_args *a)
{
	const hs_storeid *sid;
	int err;

	for (unsigned i = 0; i < a->recs.recs_len; i++)
		if ((sid = rec_sid(&a->recs.recs_val[i])) &&
		    (err = vice_sid_check(c, sid)))
			return err;
	return 0;
}

int op_reintegrate(struct vclient *c, void *args, void *res)
{
	hs_reint_ok *ok = &((hs_reint_res *)res)->hs_reint_res_u.ok;
	struct vs_reint_info *in = malloc(sizeof *in);
	int deletes = only_deletes(args);
	unsigned i;
	int err;

	if (!in)
		return ENOMEM;
	if ((err = sids_check(c, args))) {
		free(in);
		return err;
	}
	err = vs_reint(c->v->vs, c->client_id, args, ok, in);
	/* Deletes work on a full disk: see store_reserve.c. */
	if ((err == ENOSPC || err == EDQUOT) && deletes &&
	    vs_reserve_release(c->v->vs)) {
		vlog(LOG_WARNING, "disk full: reserve released for reintegrated deletes");
		err = vs_reint(c->v->vs, c->client_id, args, ok, in);
	}
	if (!err && deletes)
		(void)vs_reserve_fill(c->v->vs);
	if (err) {
		vlog(LOG_WARNING, "client %016llx: reintegration failed: %s",
		     (unsigned long long)c->client_id, strerror(err));
		free(in);
		return err;
	}
	if (in->redo_err)
		vlog(LOG_ERR, "reintegration committed but data files not "
		     "updated (%s): fixed at the next start",
		     strerror(in->redo_err));
	count(c->v, in);
	if (in->nchanged)
		cb_break(c->v, c, in->changed, in->nchanged);
	/* The caller has what it sent: promises on the objects (type 0: a
	 * repeated record whose object is gone since). */
	for (i = 0; i < ok->results.results_len; i++)
		if (ok->results.results_val[i].status == 0 &&
		    ok->results.results_val[i].obj.type != 0)
			cb_grant(c, &ok->results.results_val[i].obj.fid);
	free(in);
	return 0;
}

int op_staged(struct vclient *c, void *args, void *res)
{
	hs_staged_args *a = args;
	int err;

	if ((err = vice_sid_check(c, &a->sid)))
		return err;
	return vs_staged(c->v->vs, &a->fid, &a->sid,
			 &((hs_staged_res *)res)->hs_staged_res_u.staged);
}
