/*
 * vice/store_unlink.c - remove, rmdir and rename: operations that take an
 * entry away (and may free its object).
 */
#include <errno.h>
#include "store_int.h"

/* The entry's object is what the client based the change on. */
static int expect(const hs_fid *want, uint64_t base, const struct vn *v)
{
	if (want->vnode && (want->volume != v->vol ||
			    want->vnode != v->vnode ||
			    want->unique != v->uniq))
		return HS_ECONFLICT;
	if (base && base != v->dv)
		return HS_ECONFLICT;
	return 0;
}

/* v lost one name (its entry already deleted): free it if that was the
 * last, else record the change.  *gone tells which. */
static int drop_name(struct vstore *vs, struct vn *v, const hs_storeid *sid,
		     int64_t now, int *gone)
{
	if (v->type == HS_FDIR || v->nlink <= 1) {
		*gone = 1;
		v->nlink = 0;
		return vs_vn_delete(vs, v);
	}
	*gone = 0;
	v->nlink--;
	vs_vn_touch(v, sid, now);
	return vs_vn_update(vs, v);
}

/* Can c, found under the name, be removed by remove (isdir 0) or rmdir? */
static int removable(struct vstore *vs, const struct vn *c, int isdir)
{
	int r;

	if (!isdir)
		return c->type == HS_FDIR ? EISDIR : 0;
	if (c->type != HS_FDIR)
		return ENOTDIR;
	r = vs_de_any(vs, c);
	return r < 0 ? -r : r ? ENOTEMPTY : 0;
}

struct remove_tx {
	const hs_remove_args *a;
	int isdir, gone;
	struct vn d, obj;
};

static int remove_run(struct vstore *vs, void *arg)
{
	struct remove_tx *t = arg;
	int64_t now = vs_now();
	struct vs_applied rec = { .vol = t->d.vol };
	int err;

	if ((err = vs_de_lookup(vs, &t->d, t->a->name, &t->obj)) ||
	    (err = expect(&t->a->obj, t->a->base_version, &t->obj)) ||
	    (err = removable(vs, &t->obj, t->isdir)) ||
	    (err = vs_de_delete(vs, &t->d, t->a->name)) ||
	    (err = drop_name(vs, &t->obj, &t->a->sid, now, &t->gone)))
		return err;
	if (t->obj.type == HS_FDIR)
		t->d.nlink--;
	t->d.mtime = now;
	vs_vn_touch(&t->d, &t->a->sid, now);
	if ((err = vs_vn_update(vs, &t->d)))
		return err;
	rec.o_vnode = t->obj.vnode;
	rec.o_uniq = t->obj.uniq;
	return vs_ap_put(vs, &t->a->sid, &rec);
}

/* A duplicate remove: the dir as it is now, the object if it still is. */
static int remove_dup(struct vstore *vs, const hs_remove_args *a,
		      const struct vs_applied *rec, hs_remove_ok *out)
{
	hs_fid obj = { rec->vol, rec->o_vnode, rec->o_uniq };

	out->obj_gone = vs_getattr(vs, &obj, &out->obj) != 0;
	return vs_getattr(vs, &a->dir, &out->dir);
}

static int dir_get(struct vstore *vs, const hs_fid *fid, struct vn *d)
{
	int err = vs_vn_get(vs, fid, d);

	return err ? err : d->type == HS_FDIR ? 0 : ENOTDIR;
}

int vs_remove(struct vstore *vs, const hs_remove_args *a, int isdir,
	      hs_remove_ok *out, int *dup)
{
	struct remove_tx t = { .a = a, .isdir = isdir };
	struct vs_applied rec;
	int err, r;

	*dup = 0;
	if ((r = vs_ap_get(vs, &a->sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? remove_dup(vs, a, &rec, out) : -r;
	}
	if ((err = dir_get(vs, &a->dir, &t.d)) ||
	    (err = vs_name_check(a->name)) ||
	    (err = vs_tx(vs, remove_run, &t)))
		return err;
	if (t.gone && (err = vs_data_gone(vs, &t.obj)))
		return err;
	vs_vn_attr(&t.d, &out->dir);
	out->obj_gone = t.gone;
	vs_vn_attr(&t.obj, &out->obj);
	return 0;
}

struct rename_tx {
	const hs_rename_args *a;
	struct vn sd, dd, obj, repl;
	struct vn *dst;         /* &sd when both dirs are one, else &dd */
	int replaced, gone;
};

/* EINVAL if dir is obj or lies below it (a dir moved into itself). */
static int not_below(struct vstore *vs, const struct vn *dir,
		     const struct vn *obj)
{
	uint32_t cur = dir->vnode;
	struct vn v;
	int err, depth;

	for (depth = 0; cur && depth < 1000000; depth++) {
		if (cur == obj->vnode)
			return EINVAL;
		if ((err = vs_vn_get_num(vs, dir->vol, cur, &v)))
			return err == ESTALE ? EIO : err;
		cur = v.parent;
	}
	return cur ? EIO : 0;
}

/* Unlink whatever dst_name names, if it may be replaced by obj. */
static int rename_replace(struct vstore *vs, struct rename_tx *t,
			  int64_t now)
{
	int err = vs_de_lookup(vs, t->dst, t->a->dst_name, &t->repl);

	if (err == ENOENT)
		return 0;
	if (err)
		return err;
	t->replaced = 1;
	if (t->obj.type == HS_FDIR && t->repl.type != HS_FDIR)
		return ENOTDIR;
	if (t->obj.type != HS_FDIR && t->repl.type == HS_FDIR)
		return EISDIR;
	if ((err = removable(vs, &t->repl, t->repl.type == HS_FDIR)) ||
	    (err = vs_de_delete(vs, t->dst, t->a->dst_name)) ||
	    (err = drop_name(vs, &t->repl, &t->a->sid, now, &t->gone)))
		return err;
	if (t->repl.type == HS_FDIR)
		t->dst->nlink--;
	return 0;
}

/* Move the entry and fix link counts and the moved dir's parent. */
static int rename_move(struct vstore *vs, struct rename_tx *t, int64_t now)
{
	int err;

	if ((err = vs_de_delete(vs, &t->sd, t->a->src_name)) ||
	    (err = vs_de_insert(vs, t->dst, t->a->dst_name, &t->obj)))
		return err;
	if (t->obj.type == HS_FDIR && t->dst != &t->sd) {
		t->sd.nlink--;
		t->dst->nlink++;
		t->obj.parent = t->dst->vnode;
	}
	vs_vn_touch(&t->obj, &t->a->sid, now);
	t->sd.mtime = now;
	vs_vn_touch(&t->sd, &t->a->sid, now);
	if ((err = vs_vn_update(vs, &t->obj)) ||
	    (err = vs_vn_update(vs, &t->sd)))
		return err;
	if (t->dst == &t->sd)
		return 0;
	t->dd.mtime = now;
	vs_vn_touch(&t->dd, &t->a->sid, now);
	return vs_vn_update(vs, &t->dd);
}

static int rename_record(struct vstore *vs, const struct rename_tx *t)
{
	struct vs_applied rec = {
		.vol = t->obj.vol, .o_vnode = t->obj.vnode,
		.o_uniq = t->obj.uniq,
	};

	if (t->replaced) {
		rec.r_vnode = t->repl.vnode;
		rec.r_uniq = t->repl.uniq;
	}
	return vs_ap_put(vs, &t->a->sid, &rec);
}

static int rename_run(struct vstore *vs, void *arg)
{
	struct rename_tx *t = arg;
	int64_t now = vs_now();
	struct vn cur;
	int err;

	if ((err = vs_de_lookup(vs, &t->sd, t->a->src_name, &t->obj)) ||
	    (err = expect(&t->a->obj, t->a->base_version, &t->obj)))
		return err;
	/* As rename(2): two names of one object: nothing to do. */
	err = vs_de_lookup(vs, t->dst, t->a->dst_name, &cur);
	if (err && err != ENOENT)
		return err;
	if (!err && cur.vnode == t->obj.vnode)
		return rename_record(vs, t);
	if (t->obj.type == HS_FDIR && (err = not_below(vs, t->dst, &t->obj)))
		return err;
	if ((err = rename_replace(vs, t, now)) ||
	    (err = rename_move(vs, t, now)))
		return err;
	return rename_record(vs, t);
}

static int rename_dup(struct vstore *vs, const hs_rename_args *a,
		      const struct vs_applied *rec, hs_rename_ok *out)
{
	hs_fid obj = { rec->vol, rec->o_vnode, rec->o_uniq };
	int err;

	out->replaced = rec->r_vnode != 0;
	out->replaced_fid = (hs_fid){ rec->vol, rec->r_vnode, rec->r_uniq };
	if ((err = vs_getattr(vs, &a->src_dir, &out->src_dir)) ||
	    (err = vs_getattr(vs, &a->dst_dir, &out->dst_dir)))
		return err;
	return vs_getattr(vs, &obj, &out->obj);
}

static int rename_prepare(struct vstore *vs, const hs_rename_args *a,
			  struct rename_tx *t)
{
	int err;

	if ((err = dir_get(vs, &a->src_dir, &t->sd)) ||
	    (err = dir_get(vs, &a->dst_dir, &t->dd)) ||
	    (err = vs_name_check(a->src_name)) ||
	    (err = vs_name_check(a->dst_name)))
		return err;
	if (t->sd.vol != t->dd.vol)
		return EXDEV;
	t->dst = t->sd.vnode == t->dd.vnode ? &t->sd : &t->dd;
	return 0;
}

int vs_rename(struct vstore *vs, const hs_rename_args *a, hs_rename_ok *out,
	      int *dup)
{
	struct rename_tx t = { .a = a };
	struct vs_applied rec;
	int err, r;

	*dup = 0;
	if ((r = vs_ap_get(vs, &a->sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? rename_dup(vs, a, &rec, out) : -r;
	}
	if ((err = rename_prepare(vs, a, &t)) ||
	    (err = vs_tx(vs, rename_run, &t)))
		return err;
	if (t.gone && (err = vs_data_gone(vs, &t.repl)))
		return err;
	if (t.dst == &t.sd)
		t.dd = t.sd;
	vs_vn_attr(&t.sd, &out->src_dir);
	vs_vn_attr(&t.dd, &out->dst_dir);
	vs_vn_attr(&t.obj, &out->obj);
	out->replaced = t.replaced;
	out->replaced_fid = (hs_fid){ t.repl.vol, t.repl.vnode, t.repl.uniq };
	return 0;
}
