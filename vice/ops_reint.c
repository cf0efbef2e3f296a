/*
 * vice/ops_reint.c - HS_REINTEGRATE and HS_STAGED: disconnected
 * operation's log, replayed by a client that is back.
 *
 * The block is applied by the store layer (reint.c); here: counters,
 * callback breaks to other clients on everything it changed (before the
 * reply, as for single operations), and promises for the caller on the
 * objects it now has the current version of.  Each record is checked as
 * the block's caller (acl_record); a refused record gets its errno
 * (EACCES) and the client keeps it as a conflict.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "ops.h"
#include "store.h"

/* Whether a record of this op may move or drop names (link, remove,
 * rmdir, rename): an object's covering directory can change with it. */
static int moves_names(int op)
{
	return op == HS_OP_LINK || op == HS_OP_REMOVE || op == HS_OP_RMDIR ||
	       op == HS_OP_RENAME;
}

/* vs_reint_check: arg is the client. */
static int check(void *arg, hs_cml_rec *rec)
{
	struct vclient *c = arg;
	int err = acl_record(c->v->vs, op_who(c), rec);

	/* A record that moves or drops names may change an object's
	 * directory once applied: what acl_parent.c holds goes. */
	if (moves_names(rec->op))
		acl_parent_forget();
	return err;
}

/* vs_reint as the call's caller. */
static int reint_as(struct vclient *c, hs_reint_args *a, hs_reint_ok *ok,
		    struct vs_reint_info *in)
{
	const struct vident *who = op_who(c);
	int err;

	vs_reint_set_check(c->v->vs, check, c);
	vs_set_writer(c->v->vs, (uint32_t)who->id, who->admin);
	err = vs_reint(c->v->vs, c->client_id, a, ok, in);
	vs_set_writer(c->v->vs, 0, 1);
	vs_reint_set_check(c->v->vs, NULL, NULL);
	return err;
}

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

/* The index from which no record of the block moves or drops a name
 * (link, remove, rmdir, rename): objects made from there on are still
 * where they were made. */
static unsigned names_settled(const hs_reint_args *a)
{
	unsigned from = 0;

	for (unsigned i = 0; i < a->recs.recs_len; i++)
		if (moves_names(a->recs.recs_val[i].op))
			from = i + 1;
	return from;
}

/* The caller has what it sent: rights and promises on the objects (type
 * 0: a repeated record whose object is gone since).  After the commit,
 * in one read transaction (each read would otherwise open and end its
 * own: a lock cycle of the WAL index per read); each directory's rights
 * come from op_reintegrate's memo after the first (acl_memo.c), each
 * object's directory from acl_parent.c. */
static void grant_all(struct vclient *c, const hs_reint_args *a, hs_reint_ok *ok,
		      const struct vs_reint_info *in)
{
	int tx = vs_read_begin(c->v->vs) == 0;
	unsigned settled = names_settled(a);
	hs_reint_result *r;

	for (unsigned i = 0; i < ok->results.results_len; i++) {
		r = &ok->results.results_val[i];
		if (r->status != 0 || r->obj.type == 0)
			continue;
		/* A new object's directory is known: no lookup for its rights. */
		if (i >= settled && i < HS_REINT_MAX && in->made_in[i].vnode)
			acl_parent_put(&r->obj.fid, &in->made_in[i]);
		op_rights(c, &r->obj);
		cb_grant(c, &r->obj.fid);
	}
	if (tx)
		vs_read_end(c->v->vs);
}

int op_reintegrate(struct vclient *c, void *args, void *res)
{
	hs_reint_ok *ok = &((hs_reint_res *)res)->hs_reint_res_u.ok;
	struct vs_reint_info *in = malloc(sizeof *in);
	int deletes = only_deletes(args);
	int err;

	if (!in)
		return ENOMEM;
	if ((err = sids_check(c, args))) {
		free(in);
		return err;
	}
	/* Each directory's rights are read once for the call: the checks
	 * before each record and the results' rights (acl_memo.c). */
	(void)acl_memo_begin(op_who(c));
	err = reint_as(c, args, ok, in);
	/* Deletes work on a full disk: see store_reserve.c. */
	if ((err == ENOSPC || err == EDQUOT) && deletes &&
	    vs_reserve_release(c->v->vs)) {
		vlog(LOG_WARNING, "disk full: reserve released for reintegrated deletes");
		/* The first try was rolled back: what it remembered goes. */
		(void)acl_memo_begin(op_who(c));
		err = reint_as(c, args, ok, in);
	}
	if (!err && deletes)
		(void)vs_reserve_fill(c->v->vs);
	if (err) {
		vlog(LOG_WARNING, "client %016llx: reintegration failed: %s",
		     (unsigned long long)c->client_id, strerror(err));
		acl_memo_end();
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
	grant_all(c, args, ok, in);
	acl_memo_end();
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
