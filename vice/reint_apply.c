/*
 * vice/reint_apply.c - one CML record of a block: the store layer's own
 * operations, run inside the block's transaction, plus the two things
 * only reintegration does: stores whose data files change after the
 * commit (store_redo.c), and local fids mapped to the fids made for them.
 */
#include <errno.h>
#include <string.h>
#include "reint.h"

/* Largest file: offsets must fit off_t. */
#define FILE_MAX ((uint64_t)INT64_MAX)

/* fid changed: once in info->changed.  Vnode 0 names nothing (a gone
 * object's zeroed attributes).  Without memory for the set, the list is
 * searched instead. */
static void note(struct reint *R, const hs_fid *fid)
{
	struct vs_reint_info *in = R->info;
	unsigned i;

	if (!fid->vnode || in->nchanged >= VS_REINT_FIDS ||
	    fidset_has(&R->noted, fid))
		return;
	if (fidset_add(&R->noted, fid))
		for (i = 0; i < in->nchanged; i++)
			if (!memcmp(&in->changed[i], fid, sizeof *fid))
				return;
	in->changed[in->nchanged++] = *fid;
}

/* A store: the metadata now, the data file by a redo row after the
 * commit; the staged file is made durable first. */
static int do_store(struct reint *R, const hs_store_commit_args *a,
		    hs_attr *obj)
{
	struct vstore *vs = R->vs;
	char stage[4096];
	struct vn v;
	int err;

	if ((err = vs_reg_get(vs, &a->fid, &v)))
		return err;
	if (a->base_version && a->base_version != v.dv)
		return HS_ECONFLICT;
	if (a->size > FILE_MAX)
		return EFBIG;
	vs_stage_path(vs, &a->sid, stage, sizeof stage);
	if ((err = vs_stage_finish(stage, a->size)) ||
	    (err = vs_store_meta(vs, &v, a, vs_now())) ||
	    (err = vs_redo_add(vs, RD_STORE, &v, &a->sid, a->size)))
		return err;
	vs_vn_attr(&v, obj);
	R->info->stores++;
	note(R, &obj->fid);
	return 0;
}

static int do_setattr(struct reint *R, const hs_setattr_args *a,
		      hs_attr *obj)
{
	int dup, err = vs_setattr(R->vs, a, obj, &dup);

	if (!err)
		note(R, &obj->fid);
	return err;
}

/* create, mkdir, symlink: the new object, and its local fid mapped. */
static int do_make(struct reint *R, const struct vs_new *n,
		   const hs_fid *local, hs_attr *obj)
{
	hs_create_ok ok;
	int dup, err;

	if (!(local->vnode & HS_LOCAL_VNODE))
		return EINVAL;
	memset(&ok, 0, sizeof ok);
	if ((err = vs_create(R->vs, n, &ok, &dup)) ||
	    (err = vs_lf_put(R->vs, R->client, local, &n->sid, &ok.obj.fid)))
		return err;
	*obj = ok.obj;
	note(R, &ok.dir.fid);
	return 0;
}

static int do_node(struct reint *R, const hs_reint_create *c, hs_ftype type,
		   hs_attr *obj)
{
	struct vs_new n = {
		.dir = c->a.dir, .sid = c->a.sid, .name = c->a.name,
		.type = type, .mode = c->a.mode, .uid = c->a.uid,
		.gid = c->a.gid, .mtime = c->a.mtime,
	};

	return do_make(R, &n, &c->local, obj);
}

static int do_symlink(struct reint *R, const hs_reint_symlink *s,
		      hs_attr *obj)
{
	struct vs_new n = {
		.dir = s->a.dir, .sid = s->a.sid, .name = s->a.name,
		.type = HS_FLNK, .uid = s->a.uid, .gid = s->a.gid,
		.mtime = s->a.mtime, .target = s->a.target,
	};

	return do_make(R, &n, &s->local, obj);
}

static int do_mknod(struct reint *R, const hs_reint_mknod *m, hs_attr *obj)
{
	struct vs_new n = {
		.dir = m->a.dir, .sid = m->a.sid, .name = m->a.name,
		.type = m->a.type, .mode = m->a.mode, .uid = m->a.uid,
		.gid = m->a.gid, .mtime = m->a.mtime, .rdev = m->a.rdev,
	};

	if (m->a.type == HS_FDIR || m->a.type == HS_FLNK)
		return EINVAL;
	return do_make(R, &n, &m->local, obj);
}

static int do_link(struct reint *R, const hs_link_args *a, hs_attr *obj)
{
	hs_create_ok ok;
	int dup, err = vs_link(R->vs, a, &ok, &dup);

	if (err)
		return err;
	*obj = ok.obj;
	note(R, &ok.dir.fid);
	note(R, &ok.obj.fid);
	return 0;
}

/* remove, rmdir: the object if it lives on (other names), else its dir. */
static int do_remove(struct reint *R, const hs_remove_args *a, int isdir,
		     hs_attr *obj)
{
	hs_remove_ok ok;
	int dup, err = vs_remove(R->vs, a, isdir, &ok, &dup);

	if (err)
		return err;
	*obj = ok.obj_gone ? ok.dir : ok.obj;
	note(R, &ok.dir.fid);
	note(R, &ok.obj.fid);
	return 0;
}

static int do_rename(struct reint *R, const hs_rename_args *a, hs_attr *obj)
{
	hs_rename_ok ok;
	int dup, err = vs_rename(R->vs, a, &ok, &dup);

	if (err)
		return err;
	*obj = ok.obj;
	note(R, &ok.src_dir.fid);
	note(R, &ok.dst_dir.fid);
	note(R, &ok.obj.fid);
	if (ok.replaced)
		note(R, &ok.replaced_fid);
	return 0;
}

int reint_apply(struct reint *R, const hs_cml_rec *rec, hs_reint_result *res)
{
	const typeof(rec->hs_cml_rec_u) *u = &rec->hs_cml_rec_u;
	hs_attr *obj = &res->obj;

	switch (rec->op) {
	case HS_OP_STORE:
		return do_store(R, &u->store, obj);
	case HS_OP_SETATTR:
		return do_setattr(R, &u->setattr, obj);
	case HS_OP_CREATE:
		return do_node(R, &u->create, HS_FREG, obj);
	case HS_OP_MKDIR:
		return do_node(R, &u->mkdir, HS_FDIR, obj);
	case HS_OP_SYMLINK:
		return do_symlink(R, &u->symlink, obj);
	case HS_OP_LINK:
		return do_link(R, &u->link, obj);
	case HS_OP_REMOVE:
		return do_remove(R, &u->remove, 0, obj);
	case HS_OP_RMDIR:
		return do_remove(R, &u->rmdir, 1, obj);
	case HS_OP_RENAME:
		return do_rename(R, &u->rename, obj);
	case HS_OP_MKNOD:
		return do_mknod(R, &u->mknod, obj);
	}
	return EINVAL;
}

/* The dir a remove or rmdir record worked in, else NULL. */
static const hs_fid *remove_dir(const hs_cml_rec *rec)
{
	if (rec->op != HS_OP_REMOVE && rec->op != HS_OP_RMDIR)
		return NULL;
	return &rec->hs_cml_rec_u.remove.dir;
}

void reint_dup(struct reint *R, const hs_cml_rec *rec,
	       const struct vs_applied *ap, hs_reint_result *res)
{
	hs_fid obj = { ap->vol, ap->o_vnode, ap->o_uniq };
	const hs_fid *dir = remove_dir(rec);

	res->status = 0;
	if (vs_getattr(R->vs, &obj, &res->obj) == 0)
		return;
	/* Gone since: a removed object's dir, else just its fid. */
	memset(&res->obj, 0, sizeof res->obj);
	res->obj.fid = obj;
	if (dir && vs_getattr(R->vs, dir, &res->obj) != 0)
		res->obj.fid = obj;
}
