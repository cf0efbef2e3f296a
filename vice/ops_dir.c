/*
 * vice/ops_dir.c - namespace changes: create, mkdir, mknod, symlink, link,
 * remove, rmdir, rename.
 *
 * Breaks go to other clients' promises on every directory whose entries
 * changed and on every object whose attributes (link count, parent)
 * changed or that went away.
 */
#include "ops.h"
#include "store.h"

/* After a mutation by c: count a duplicate, or break the n fids. */
static void changed(struct vclient *c, int dup, const hs_fid *fids,
		    unsigned n)
{
	if (dup)
		c->v->stats.dup_stores++;
	else
		cb_break(c->v, c, fids, n);
}

/* create, mkdir, symlink: one new entry in dir. */
static int make(struct vclient *c, const struct vs_new *n, void *res)
{
	hs_create_ok *ok = &((hs_create_res *)res)->hs_create_res_u.ok;
	int dup, err;

	if ((err = vice_sid_check(c, &n->sid)) ||
	    (err = vs_create(c->v->vs, n, ok, &dup)))
		return err;
	changed(c, dup, &ok->dir.fid, 1);
	cb_grant(c, &ok->obj.fid);
	cb_grant(c, &ok->dir.fid);
	return 0;
}

static int make_node(struct vclient *c, const hs_create_args *a,
		     hs_ftype type, void *res)
{
	struct vs_new n = {
		.dir = a->dir, .sid = a->sid, .name = a->name, .type = type,
		.mode = a->mode, .uid = a->uid, .gid = a->gid,
		.mtime = a->mtime,
	};

	return make(c, &n, res);
}

int op_create(struct vclient *c, void *args, void *res)
{
	return make_node(c, args, HS_FREG, res);
}

int op_mkdir(struct vclient *c, void *args, void *res)
{
	return make_node(c, args, HS_FDIR, res);
}

int op_mknod(struct vclient *c, void *args, void *res)
{
	hs_mknod_args *a = args;
	struct vs_new n = {
		.dir = a->dir, .sid = a->sid, .name = a->name, .type = a->type,
		.mode = a->mode, .uid = a->uid, .gid = a->gid,
		.mtime = a->mtime, .rdev = a->rdev,
	};

	/* Directories and symlinks have their own calls. */
	if (a->type == HS_FDIR || a->type == HS_FLNK)
		return EINVAL;
	return make(c, &n, res);
}

int op_symlink(struct vclient *c, void *args, void *res)
{
	hs_symlink_args *a = args;
	struct vs_new n = {
		.dir = a->dir, .sid = a->sid, .name = a->name, .type = HS_FLNK,
		.uid = a->uid, .gid = a->gid, .mtime = a->mtime,
		.target = a->target,
	};

	return make(c, &n, res);
}

int op_link(struct vclient *c, void *args, void *res)
{
	hs_create_ok *ok = &((hs_create_res *)res)->hs_create_res_u.ok;
	int dup, err;
	hs_fid fids[2];

	if ((err = vice_sid_check(c, &((hs_link_args *)args)->sid)) ||
	    (err = vs_link(c->v->vs, args, ok, &dup)))
		return err;
	fids[0] = ok->dir.fid;
	fids[1] = ok->obj.fid;
	changed(c, dup, fids, 2);
	cb_grant(c, &ok->obj.fid);
	cb_grant(c, &ok->dir.fid);
	return 0;
}

static int unlink_op(struct vclient *c, hs_remove_args *a, int isdir,
		     void *res)
{
	hs_remove_ok *ok = &((hs_remove_res *)res)->hs_remove_res_u.ok;
	int dup, err;
	hs_fid fids[2];

	if ((err = vice_sid_check(c, &a->sid)))
		return err;
	err = vs_remove(c->v->vs, a, isdir, ok, &dup);

	/* A full disk must not stop deletes: spend the reserve, and take
	 * it back once the deletes have made room. */
	if ((err == ENOSPC || err == EDQUOT) && vs_reserve_release(c->v->vs)) {
		vlog(LOG_WARNING, "disk full: reserve released for a delete");
		err = vs_remove(c->v->vs, a, isdir, ok, &dup);
	}
	if (!err)
		(void)vs_reserve_fill(c->v->vs);
	if (err)
		return err;
	fids[0] = ok->dir.fid;
	fids[1] = ok->obj.fid;
	changed(c, dup, fids, 2);
	cb_grant(c, &ok->dir.fid);
	if (!ok->obj_gone)
		cb_grant(c, &ok->obj.fid);
	else
		fidset_del(&c->promises, &ok->obj.fid);
	return 0;
}

int op_remove(struct vclient *c, void *args, void *res)
{
	return unlink_op(c, args, 0, res);
}

int op_rmdir(struct vclient *c, void *args, void *res)
{
	return unlink_op(c, args, 1, res);
}

int op_rename(struct vclient *c, void *args, void *res)
{
	hs_rename_ok *ok = &((hs_rename_res *)res)->hs_rename_res_u.ok;
	int dup, err;
	hs_fid fids[4];
	unsigned n = 3;

	if ((err = vice_sid_check(c, &((hs_rename_args *)args)->sid)) ||
	    (err = vs_rename(c->v->vs, args, ok, &dup)))
		return err;
	fids[0] = ok->src_dir.fid;
	fids[1] = ok->dst_dir.fid;
	fids[2] = ok->obj.fid;
	if (ok->replaced)
		fids[n++] = ok->replaced_fid;
	changed(c, dup, fids, n);
	cb_grant(c, &ok->src_dir.fid);
	cb_grant(c, &ok->dst_dir.fid);
	cb_grant(c, &ok->obj.fid);
	return 0;
}
