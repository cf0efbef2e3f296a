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

/* vs_reint_check: arg is the client. */
static int check(void *arg, hs_cml_rec *rec)
{
	struct vclient *c = arg;

	return acl_record(c->v->vs, op_who(c), rec);
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

/* Directories whose rights a result pass remembers, hashed by fid: a
 * block's records may cycle through more directories than a short list
 * holds (creates spread over 100 directories missed a 32-entry FIFO
 * every time).  Bounded: at RIGHTS_FULL entries the table starts over. */
#define RIGHTS_SLOTS 512
#define RIGHTS_FULL (RIGHTS_SLOTS / 2)

/* The caller's rights (and System:AnyUser's) on a directory's ACL. */
struct dir_rights {
	hs_fid dir;
	unsigned rights, any;
	int used;
};

struct rights_memo {
	struct dir_rights d[RIGHTS_SLOTS];
	unsigned n;             /* slots used */
};

static int same_fid(const hs_fid *a, const hs_fid *b)
{
	return a->volume == b->volume && a->vnode == b->vnode &&
	       a->unique == b->unique;
}

/* dir's slot: its entry, or the free slot where it goes (linear probe;
 * never full, RIGHTS_FULL < RIGHTS_SLOTS). */
static struct dir_rights *memo_slot(struct rights_memo *m, const hs_fid *dir)
{
	unsigned h = (dir->vnode * 2654435761u) ^ dir->unique ^ dir->volume;

	for (unsigned i = 0;; i++) {
		struct dir_rights *e = &m->d[(h + i) % RIGHTS_SLOTS];

		if (!e->used || same_fid(&e->dir, dir))
			return e;
	}
}

/* op_rights for a result, each directory's ACL read and evaluated once
 * per block (acl_rights reads the object's directory, then its ACL).
 * An object whose directory is not found keeps the rights it has, as
 * op_rights leaves them. */
static void result_rights(struct vclient *c, struct rights_memo *m,
			  hs_attr *a)
{
	struct dir_rights e = { .used = 1 }, *slot;

	if (!a->type || !a->fid.vnode ||
	    vs_obj_dir(c->v->vs, &a->fid, &e.dir))
		return;
	slot = memo_slot(m, &e.dir);
	if (!slot->used) {
		if (acl_rights(c->v->vs, op_who(c), &e.dir, &e.rights, &e.any))
			return;
		if (m->n == RIGHTS_FULL) {
			memset(m, 0, sizeof *m);
			slot = memo_slot(m, &e.dir);
		}
		m->n++;
		*slot = e;
	}
	a->rights = slot->rights;
	a->anyrights = slot->any;
}

/* The caller has what it sent: rights and promises on the objects (type
 * 0: a repeated record whose object is gone since).  After the commit,
 * in one read transaction (each read would otherwise open and end its
 * own: a lock cycle of the WAL index per read). */
static void grant_all(struct vclient *c, hs_reint_ok *ok)
{
	struct rights_memo *m = calloc(1, sizeof *m);
	int tx = vs_read_begin(c->v->vs) == 0;
	hs_reint_result *r;

	for (unsigned i = 0; i < ok->results.results_len; i++) {
		r = &ok->results.results_val[i];
		if (r->status != 0 || r->obj.type == 0)
			continue;
		if (m)
			result_rights(c, m, &r->obj);
		else
			op_rights(c, &r->obj);
		cb_grant(c, &r->obj.fid);
	}
	if (tx)
		vs_read_end(c->v->vs);
	free(m);
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
	err = reint_as(c, args, ok, in);
	/* Deletes work on a full disk: see store_reserve.c. */
	if ((err == ENOSPC || err == EDQUOT) && deletes &&
	    vs_reserve_release(c->v->vs)) {
		vlog(LOG_WARNING, "disk full: reserve released for reintegrated deletes");
		err = reint_as(c, args, ok, in);
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
	grant_all(c, ok);
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
