/*
 * vice/store_vnode.c - vnode rows and directory entries.
 */
#include <errno.h>
#include "store_int.h"

static void vn_read(sqlite3_stmt *s, uint32_t vol, uint32_t vnode,
		    struct vn *v)
{
	v->vol = vol;
	v->vnode = vnode;
	v->uniq = (uint32_t)sqlite3_column_int64(s, 0);
	v->type = (hs_ftype)sqlite3_column_int(s, 1);
	v->mode = (uint32_t)sqlite3_column_int64(s, 2);
	v->uid = (uint32_t)sqlite3_column_int64(s, 3);
	v->gid = (uint32_t)sqlite3_column_int64(s, 4);
	v->size = (uint64_t)sqlite3_column_int64(s, 5);
	v->atime = sqlite3_column_int64(s, 6);
	v->mtime = sqlite3_column_int64(s, 7);
	v->ctime = sqlite3_column_int64(s, 8);
	v->dv = (uint64_t)sqlite3_column_int64(s, 9);
	v->sid.client = (uint64_t)sqlite3_column_int64(s, 10);
	v->sid.seq = (uint64_t)sqlite3_column_int64(s, 11);
	v->nlink = (uint32_t)sqlite3_column_int64(s, 12);
	v->parent = (uint32_t)sqlite3_column_int64(s, 13);
	v->rdev = (uint64_t)sqlite3_column_int64(s, 14);
}

int vs_vn_get_num(struct vstore *vs, uint32_t vol, uint32_t vnode,
		  struct vn *out)
{
	sqlite3_stmt *s = vs_st(vs, S_VN_GET);
	int rc;

	sqlite3_bind_int64(s, 1, vol);
	sqlite3_bind_int64(s, 2, vnode);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		vn_read(s, vol, vnode, out);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return ESTALE;
	return rc == SQLITE_ROW ? 0 : vs_sqlerr(rc);
}

int vs_vn_get(struct vstore *vs, const hs_fid *fid, struct vn *out)
{
	int err = vs_vn_get_num(vs, fid->volume, fid->vnode, out);

	/* A reused vnode number with another uniquifier is a different file. */
	if (!err && out->uniq != fid->unique)
		return ESTALE;
	return err;
}

/* Bind parameters 1..17 shared by S_VN_INSERT and S_VN_UPDATE. */
static void vn_bind(sqlite3_stmt *s, const struct vn *v)
{
	sqlite3_bind_int64(s, 1, v->vol);
	sqlite3_bind_int64(s, 2, v->vnode);
	sqlite3_bind_int64(s, 3, v->uniq);
	sqlite3_bind_int(s, 4, (int)v->type);
	sqlite3_bind_int64(s, 5, v->mode);
	sqlite3_bind_int64(s, 6, v->uid);
	sqlite3_bind_int64(s, 7, v->gid);
	sqlite3_bind_int64(s, 8, (int64_t)v->size);
	sqlite3_bind_int64(s, 9, v->atime);
	sqlite3_bind_int64(s, 10, v->mtime);
	sqlite3_bind_int64(s, 11, v->ctime);
	sqlite3_bind_int64(s, 12, (int64_t)v->dv);
	sqlite3_bind_int64(s, 13, (int64_t)v->sid.client);
	sqlite3_bind_int64(s, 14, (int64_t)v->sid.seq);
	sqlite3_bind_int64(s, 15, v->nlink);
	sqlite3_bind_int64(s, 16, v->parent);
	sqlite3_bind_int64(s, 17, (int64_t)v->rdev);
}

int vs_vn_insert(struct vstore *vs, const struct vn *v, const char *target)
{
	sqlite3_stmt *s = vs_st(vs, S_VN_INSERT);

	vn_bind(s, v);
	if (target)
		sqlite3_bind_text(s, 18, target, -1, SQLITE_STATIC);
	return vs_exec(vs, s);
}

int vs_vn_update(struct vstore *vs, const struct vn *v)
{
	sqlite3_stmt *s = vs_st(vs, S_VN_UPDATE);

	vn_bind(s, v);
	return vs_exec(vs, s);
}

int vs_vn_delete(struct vstore *vs, const struct vn *v)
{
	sqlite3_stmt *s;
	int err;

	if (v->type == HS_FDIR && (err = vs_acl_drop(vs, v)))
		return err;
	s = vs_st(vs, S_VN_DELETE);
	sqlite3_bind_int64(s, 1, v->vol);
	sqlite3_bind_int64(s, 2, v->vnode);
	return vs_exec(vs, s);
}

int vs_vn_alloc(struct vstore *vs, uint32_t vol, uint32_t *vnode,
		uint32_t *uniq)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_NEXT);
	int rc;

	sqlite3_bind_int64(s, 1, vol);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*vnode = (uint32_t)sqlite3_column_int64(s, 0);
		*uniq = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? ESTALE : vs_sqlerr(rc);
	/* 32-bit numbers never wrap: a full volume is full. */
	if (*vnode == UINT32_MAX || *uniq == UINT32_MAX)
		return ENOSPC;
	s = vs_st(vs, S_VOL_BUMP);
	sqlite3_bind_int64(s, 1, vol);
	return vs_exec(vs, s);
}

void vs_vn_attr(const struct vn *v, hs_attr *a)
{
	a->fid.volume = v->vol;
	a->fid.vnode = v->vnode;
	a->fid.unique = v->uniq;
	a->type = v->type;
	a->mode = v->mode;
	a->nlink = v->nlink;
	a->uid = v->uid;
	a->gid = v->gid;
	a->size = v->size;
	vs_ns_time(v->atime, &a->atime);
	vs_ns_time(v->mtime, &a->mtime);
	vs_ns_time(v->ctime, &a->ctime);
	a->dataversion = v->dv;
	a->storeid = v->sid;
	a->rdev = v->rdev;
}

void vs_vn_touch(struct vn *v, const hs_storeid *sid, int64_t now)
{
	v->dv++;
	v->ctime = now;
	v->sid = *sid;
}

int vs_de_lookup(struct vstore *vs, const struct vn *dir, const char *name,
		 struct vn *child)
{
	sqlite3_stmt *s = vs_st(vs, S_DE_LOOKUP);
	uint32_t vnode = 0;
	int rc;

	sqlite3_bind_int64(s, 1, dir->vol);
	sqlite3_bind_int64(s, 2, dir->vnode);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		vnode = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return ENOENT;
	if (rc != SQLITE_ROW)
		return vs_sqlerr(rc);
	rc = vs_vn_get_num(vs, dir->vol, vnode, child);
	/* An entry without its vnode is damage; report it as I/O error. */
	return rc == ESTALE ? EIO : rc;
}

int vs_de_insert(struct vstore *vs, const struct vn *dir, const char *name,
		 const struct vn *child)
{
	sqlite3_stmt *s = vs_st(vs, S_DE_INSERT);

	sqlite3_bind_int64(s, 1, dir->vol);
	sqlite3_bind_int64(s, 2, dir->vnode);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, child->vnode);
	return vs_exec(vs, s);
}

int vs_de_delete(struct vstore *vs, const struct vn *dir, const char *name)
{
	sqlite3_stmt *s = vs_st(vs, S_DE_DELETE);

	sqlite3_bind_int64(s, 1, dir->vol);
	sqlite3_bind_int64(s, 2, dir->vnode);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	return vs_exec(vs, s);
}

int vs_de_any(struct vstore *vs, const struct vn *dir)
{
	sqlite3_stmt *s = vs_st(vs, S_DE_ANY);
	int rc;

	sqlite3_bind_int64(s, 1, dir->vol);
	sqlite3_bind_int64(s, 2, dir->vnode);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -vs_sqlerr(rc);
}
