/*
 * vice/store_dir.c - create, mkdir, symlink and link.
 *
 * Access rights are checked above the store (vice/acl.c), which also
 * sets the owner of new objects; a new directory inherits its parent's
 * ACL here, in the transaction that makes it.
 */
#include <errno.h>
#include <string.h>
#include "store_int.h"

/* A duplicate of create/link: report the object it made, as it is now. */
static int dup_made(struct vstore *vs, const hs_fid *dir,
		    const struct vs_applied *rec, hs_create_ok *out)
{
	hs_fid obj = { rec->vol, rec->o_vnode, rec->o_uniq };
	int err = vs_getattr(vs, &obj, &out->obj);

	return err ? err : vs_getattr(vs, dir, &out->dir);
}

/* Check for a duplicate store id: 1 (and *out filled), 0, or -errno. */
static int dup_check(struct vstore *vs, const hs_storeid *sid,
		     const hs_fid *dir, hs_create_ok *out, int *dup)
{
	struct vs_applied rec;
	int r = vs_ap_get(vs, sid, &rec), err;

	*dup = 0;
	if (r <= 0)
		return r;
	*dup = 1;
	err = dup_made(vs, dir, &rec, out);
	return err ? -err : 1;
}

/* The directory a new entry goes into, and its name. */
static int dir_for_entry(struct vstore *vs, const hs_fid *fid,
			 const char *name, struct vn *d)
{
	int err = vs_vn_get(vs, fid, d);

	if (err)
		return err;
	if (d->type != HS_FDIR)
		return ENOTDIR;
	return vs_name_check(name);
}

/* The dir gained or lost an entry. */
static int dir_changed(struct vstore *vs, struct vn *d, const hs_storeid *sid,
		       int64_t mtime, int64_t now)
{
	d->mtime = mtime;
	vs_vn_touch(d, sid, now);
	return vs_vn_update(vs, d);
}

/* Fail with EEXIST if dir has an entry called name. */
static int name_free(struct vstore *vs, const struct vn *d, const char *name)
{
	struct vn c;
	int err = vs_de_lookup(vs, d, name, &c);

	if (err == ENOENT)
		return 0;
	return err ? err : EEXIST;
}

struct create_tx {
	const struct vs_new *n;
	struct vn d, obj;
};

static void new_vnode(const struct vs_new *n, const struct vn *d,
		      int64_t now, struct vn *v)
{
	memset(v, 0, sizeof *v);
	v->vol = d->vol;
	v->type = n->type;
	v->mode = n->type == HS_FLNK ? 0777 : n->mode & 07777;
	v->uid = n->uid;
	v->gid = n->gid;
	v->size = n->type == HS_FLNK ? strlen(n->target) : 0;
	v->mtime = (n->mtime.sec || n->mtime.nsec) ?
		vs_time_ns(&n->mtime) : now;
	v->atime = v->mtime;
	v->ctime = now;
	v->dv = 1;
	v->sid = n->sid;
	v->nlink = n->type == HS_FDIR ? 2 : 1;
	v->parent = n->type == HS_FDIR ? d->vnode : 0;
	v->rdev = n->rdev;
}

static int create_run(struct vstore *vs, void *arg)
{
	struct create_tx *t = arg;
	struct vs_applied rec = { .vol = t->d.vol };
	int64_t now = vs_now();
	int err;

	if ((err = name_free(vs, &t->d, t->n->name)))
		return err;
	new_vnode(t->n, &t->d, now, &t->obj);
	if ((err = vs_vn_alloc(vs, t->d.vol, &t->obj.vnode, &t->obj.uniq)))
		return err;
	if ((err = vs_vn_insert(vs, &t->obj, t->n->type == HS_FLNK ?
				t->n->target : NULL)) ||
	    (err = vs_de_insert(vs, &t->d, t->n->name, &t->obj)))
		return err;
	if (t->n->type == HS_FDIR) {
		t->d.nlink++;
		if ((err = vs_acl_inherit(vs, &t->d, &t->obj)))
			return err;
	}
	if ((err = dir_changed(vs, &t->d, &t->n->sid, t->obj.mtime, now)))
		return err;
	rec.o_vnode = t->obj.vnode;
	rec.o_uniq = t->obj.uniq;
	return vs_ap_put(vs, &t->n->sid, &rec);
}

static int new_check(const struct vs_new *n)
{
	if (n->type < HS_FREG || n->type > HS_FBLK)
		return EINVAL;
	/* Only device nodes have a device number. */
	if (n->rdev && n->type != HS_FCHR && n->type != HS_FBLK)
		return EINVAL;
	if (n->type != HS_FLNK)
		return 0;
	/* As symlink(2): an empty target does not name anything. */
	if (!n->target || !*n->target)
		return ENOENT;
	return strlen(n->target) > HS_MAXPATHLEN ? ENAMETOOLONG : 0;
}

int vs_create(struct vstore *vs, const struct vs_new *n, hs_create_ok *out,
	      int *dup)
{
	struct create_tx t = { .n = n };
	int err, r;

	if ((r = dup_check(vs, &n->sid, &n->dir, out, dup)) != 0)
		return r > 0 ? 0 : -r;
	if ((err = dir_for_entry(vs, &n->dir, n->name, &t.d)) ||
	    (err = new_check(n)))
		return err;
	if ((err = vs_tx(vs, create_run, &t)))
		return err;
	vs_vn_attr(&t.obj, &out->obj);
	vs_vn_attr(&t.d, &out->dir);
	return 0;
}

struct link_tx {
	const hs_link_args *a;
	struct vn d, obj;
};

static int link_run(struct vstore *vs, void *arg)
{
	struct link_tx *t = arg;
	struct vs_applied rec = {
		.vol = t->obj.vol, .o_vnode = t->obj.vnode,
		.o_uniq = t->obj.uniq,
	};
	int64_t now = vs_now();
	int err;

	if ((err = name_free(vs, &t->d, t->a->name)) ||
	    (err = vs_de_insert(vs, &t->d, t->a->name, &t->obj)))
		return err;
	t->obj.nlink++;
	vs_vn_touch(&t->obj, &t->a->sid, now);
	if ((err = vs_vn_update(vs, &t->obj)) ||
	    (err = dir_changed(vs, &t->d, &t->a->sid, now, now)))
		return err;
	return vs_ap_put(vs, &t->a->sid, &rec);
}

int vs_link(struct vstore *vs, const hs_link_args *a, hs_create_ok *out,
	    int *dup)
{
	struct link_tx t = { .a = a };
	int err, r;

	if ((r = dup_check(vs, &a->sid, &a->dir, out, dup)) != 0)
		return r > 0 ? 0 : -r;
	if ((err = dir_for_entry(vs, &a->dir, a->name, &t.d)) ||
	    (err = vs_vn_get(vs, &a->target, &t.obj)))
		return err;
	if (t.obj.vol != t.d.vol)
		return EXDEV;
	if (t.obj.type == HS_FDIR)
		return EPERM;   /* as link(2): no hard links to directories */
	if (t.obj.nlink == UINT32_MAX)
		return EMLINK;
	if ((err = vs_tx(vs, link_run, &t)))
		return err;
	vs_vn_attr(&t.obj, &out->obj);
	vs_vn_attr(&t.d, &out->dir);
	return 0;
}
