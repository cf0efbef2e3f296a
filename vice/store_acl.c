/*
 * vice/store_acl.c - directories' access lists in vice.db (table acls),
 * and the directory a file's rights come from.
 *
 * One row per entry.  A directory always has its rows from the moment it
 * is made (mkdir copies the parent's in the same transaction); rmdir
 * drops them with the vnode.  Stores made before ACLs get the volume
 * default on every directory once (meta key "acls").
 */
#include <errno.h>
#include <string.h>
#include "store_int.h"

/* Coda's createvol default: System:AnyUser rl, System:Administrators
 * rlidwka. */
static const struct vs_acl_ent defaults[] = {
	{ HS_ID_ANYUSER, HS_R_READ | HS_R_LOOKUP },
	{ HS_ID_ADMINS, HS_R_ALL },
};

void vs_set_writer(struct vstore *vs, uint32_t uid, int privileged)
{
	vs->writer = uid;
	vs->writer_privileged = privileged;
}

static int put(struct vstore *vs, uint32_t vol, uint32_t vnode, int neg,
	       const struct vs_acl_ent *e)
{
	sqlite3_stmt *s = vs_st(vs, S_ACL_PUT);

	sqlite3_bind_int64(s, 1, vol);
	sqlite3_bind_int64(s, 2, vnode);
	sqlite3_bind_int(s, 3, neg);
	sqlite3_bind_int64(s, 4, e->id);
	sqlite3_bind_int64(s, 5, e->rights & HS_R_ALL);
	return vs_exec(vs, s);
}

static int clear(struct vstore *vs, uint32_t vol, uint32_t vnode)
{
	sqlite3_stmt *s = vs_st(vs, S_ACL_CLEAR);

	sqlite3_bind_int64(s, 1, vol);
	sqlite3_bind_int64(s, 2, vnode);
	return vs_exec(vs, s);
}

int vs_acl_inherit(struct vstore *vs, const struct vn *parent,
		   const struct vn *child)
{
	sqlite3_stmt *s = vs_st(vs, S_ACL_COPY);

	sqlite3_bind_int64(s, 1, parent->vol);
	sqlite3_bind_int64(s, 2, parent->vnode);
	sqlite3_bind_int64(s, 3, child->vnode);
	return vs_exec(vs, s);
}

int vs_acl_drop(struct vstore *vs, const struct vn *v)
{
	return clear(vs, v->vol, v->vnode);
}

int vs_acl_default(struct vstore *vs, const struct vn *dir)
{
	unsigned i;
	int err = 0;

	for (i = 0; !err && i < sizeof defaults / sizeof defaults[0]; i++)
		err = put(vs, dir->vol, dir->vnode, 0, &defaults[i]);
	return err;
}

static int meta_flag(struct vstore *vs, int *set)
{
	sqlite3_stmt *s = vs_st(vs, S_META_GET);
	int rc;

	sqlite3_bind_text(s, 1, "acls", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	*set = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vs_sqlerr(rc);
}

int vs_acl_migrate(struct vstore *vs)
{
	static const char sql[] = "INSERT OR IGNORE INTO acls(vol, vnode,"
		" neg, id, rights) SELECT vol, vnode, 0, ?1, ?2 FROM vnodes"
		" WHERE type = 2";
	sqlite3_stmt *s;
	unsigned i;
	int set, rc;

	if ((rc = meta_flag(vs, &set)) || set)
		return rc;
	if (sqlite3_prepare_v2(vs->db, sql, -1, &s, NULL))
		return EIO;
	for (i = 0; !rc && i < sizeof defaults / sizeof defaults[0]; i++) {
		sqlite3_bind_int64(s, 1, defaults[i].id);
		sqlite3_bind_int64(s, 2, defaults[i].rights);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 :
			vs_sqlerr(sqlite3_errcode(vs->db));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (rc)
		return rc;
	s = vs_st(vs, S_META_PUT);
	sqlite3_bind_text(s, 1, "acls", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, 1);
	return vs_exec(vs, s);
}

static int dir_get(struct vstore *vs, const hs_fid *fid, struct vn *d)
{
	int err = vs_vn_get(vs, fid, d);

	if (err)
		return err;
	return d->type == HS_FDIR ? 0 : ENOTDIR;
}

int vs_acl_get(struct vstore *vs, const hs_fid *dir, struct vs_acl *out)
{
	sqlite3_stmt *s;
	struct vn d;
	int rc, err;

	memset(out, 0, sizeof *out);
	if ((err = dir_get(vs, dir, &d)))
		return err;
	s = vs_st(vs, S_ACL_GET);
	sqlite3_bind_int64(s, 1, d.vol);
	sqlite3_bind_int64(s, 2, d.vnode);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int neg = sqlite3_column_int(s, 0);
		unsigned *n = neg ? &out->nneg : &out->npos;
		struct vs_acl_ent *e = neg ? out->neg : out->pos;

		if (*n >= HS_ACL_MAX)
			continue;
		e[*n].id = (int32_t)sqlite3_column_int64(s, 1);
		e[(*n)++].rights = (uint32_t)sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vs_sqlerr(rc);
}

/* Each list within bounds, no id twice in one list. */
static int acl_valid(const struct vs_acl *a)
{
	unsigned i, j;

	if (a->npos > HS_ACL_MAX || a->nneg > HS_ACL_MAX)
		return EINVAL;
	for (i = 0; i < a->npos; i++)
		for (j = i + 1; j < a->npos; j++)
			if (a->pos[i].id == a->pos[j].id)
				return EINVAL;
	for (i = 0; i < a->nneg; i++)
		for (j = i + 1; j < a->nneg; j++)
			if (a->neg[i].id == a->neg[j].id)
				return EINVAL;
	return 0;
}

struct set_tx {
	const hs_storeid *sid;
	const struct vs_acl *acl;
	struct vn d;
};

static int set_run(struct vstore *vs, void *arg)
{
	struct set_tx *t = arg;
	struct vs_applied rec = {
		.vol = t->d.vol, .o_vnode = t->d.vnode, .o_uniq = t->d.uniq,
	};
	unsigned i;
	int err;

	if ((err = clear(vs, t->d.vol, t->d.vnode)))
		return err;
	for (i = 0; !err && i < t->acl->npos; i++)
		err = put(vs, t->d.vol, t->d.vnode, 0, &t->acl->pos[i]);
	for (i = 0; !err && i < t->acl->nneg; i++)
		err = put(vs, t->d.vol, t->d.vnode, 1, &t->acl->neg[i]);
	if (err)
		return err;
	vs_vn_touch(&t->d, t->sid, vs_now());
	if ((err = vs_vn_update(vs, &t->d)))
		return err;
	return vs_ap_put(vs, t->sid, &rec);
}

int vs_acl_set(struct vstore *vs, const hs_fid *dir, const hs_storeid *sid,
	       const struct vs_acl *acl, hs_attr *out, int *dup)
{
	struct set_tx t = { .sid = sid, .acl = acl };
	struct vs_applied rec;
	int r, err;

	*dup = 0;
	if ((r = vs_ap_get(vs, sid, &rec)) != 0) {
		*dup = r > 0;
		return r > 0 ? vs_getattr(vs, dir, out) : -r;
	}
	if ((err = dir_get(vs, dir, &t.d)) || (err = acl_valid(acl)) ||
	    (err = vs_tx(vs, set_run, &t)))
		return err;
	vs_vn_attr(&t.d, out);
	return 0;
}

int vs_obj_dir(struct vstore *vs, const hs_fid *fid, hs_fid *dir)
{
	struct vn v;
	int err;

	if ((err = vs_vn_get(vs, fid, &v)))
		return err;
	if (v.type == HS_FDIR) {
		*dir = *fid;
		return 0;
	}
	return vs_file_dir(vs, fid, dir);
}

int vs_file_dir(struct vstore *vs, const hs_fid *fid, hs_fid *dir)
{
	sqlite3_stmt *s = vs_st(vs, S_DE_PARENT);
	int rc;

	sqlite3_bind_int64(s, 1, fid->volume);
	sqlite3_bind_int64(s, 2, fid->vnode);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		dir->volume = fid->volume;
		dir->vnode = (uint32_t)sqlite3_column_int64(s, 0);
		dir->unique = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? ENOENT : vs_sqlerr(rc);
}

int vs_dir_holds(struct vstore *vs, const hs_fid *dir, const hs_fid *obj)
{
	sqlite3_stmt *s;
	struct vn d, o;
	int rc, err;

	if ((err = vs_vn_get(vs, dir, &d)) || (err = vs_vn_get(vs, obj, &o)))
		return -err;
	if (d.vol != o.vol)
		return 0;
	s = vs_st(vs, S_DE_HOLDS);
	sqlite3_bind_int64(s, 1, d.vol);
	sqlite3_bind_int64(s, 2, d.vnode);
	sqlite3_bind_int64(s, 3, o.vnode);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -vs_sqlerr(rc);
}
