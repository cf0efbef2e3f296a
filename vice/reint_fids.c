/*
 * vice/reint_fids.c - the fids a CML record names, and local fids.
 */
#include <errno.h>
#include <stddef.h>
#include "reint.h"

unsigned reint_names(hs_cml_rec *rec, hs_fid *out[REINT_NAMES])
{
	unsigned n = 0;

	switch (rec->op) {
	case HS_OP_STORE:
		out[n++] = &rec->hs_cml_rec_u.store.fid;
		break;
	case HS_OP_SETATTR:
		out[n++] = &rec->hs_cml_rec_u.setattr.fid;
		break;
	case HS_OP_CREATE:
		out[n++] = &rec->hs_cml_rec_u.create.a.dir;
		break;
	case HS_OP_MKDIR:
		out[n++] = &rec->hs_cml_rec_u.mkdir.a.dir;
		break;
	case HS_OP_SYMLINK:
		out[n++] = &rec->hs_cml_rec_u.symlink.a.dir;
		break;
	case HS_OP_MKNOD:
		out[n++] = &rec->hs_cml_rec_u.mknod.a.dir;
		break;
	case HS_OP_LINK:
		out[n++] = &rec->hs_cml_rec_u.link.dir;
		out[n++] = &rec->hs_cml_rec_u.link.target;
		break;
	case HS_OP_REMOVE:
	case HS_OP_RMDIR:
		/* remove and rmdir share their argument type */
		out[n++] = &rec->hs_cml_rec_u.remove.dir;
		out[n++] = &rec->hs_cml_rec_u.remove.obj;
		break;
	case HS_OP_RENAME:
		out[n++] = &rec->hs_cml_rec_u.rename.src_dir;
		out[n++] = &rec->hs_cml_rec_u.rename.dst_dir;
		out[n++] = &rec->hs_cml_rec_u.rename.obj;
		break;
	}
	return n;
}

const hs_fid *reint_local(const hs_cml_rec *rec)
{
	switch (rec->op) {
	case HS_OP_CREATE:
		return &rec->hs_cml_rec_u.create.local;
	case HS_OP_MKDIR:
		return &rec->hs_cml_rec_u.mkdir.local;
	case HS_OP_SYMLINK:
		return &rec->hs_cml_rec_u.symlink.local;
	case HS_OP_MKNOD:
		return &rec->hs_cml_rec_u.mknod.local;
	default:
		return NULL;
	}
}

const hs_fid *reint_object(const hs_cml_rec *rec)
{
	switch (rec->op) {
	case HS_OP_STORE:
		return &rec->hs_cml_rec_u.store.fid;
	case HS_OP_SETATTR:
		return &rec->hs_cml_rec_u.setattr.fid;
	case HS_OP_LINK:
		return &rec->hs_cml_rec_u.link.target;
	case HS_OP_REMOVE:
	case HS_OP_RMDIR:
		return &rec->hs_cml_rec_u.remove.obj;
	case HS_OP_RENAME:
		return &rec->hs_cml_rec_u.rename.obj;
	default:
		return reint_local(rec);
	}
}

int reint_resolve(struct reint *R, hs_fid *fid)
{
	if (!(fid->vnode & HS_LOCAL_VNODE))
		return 0;
	return vs_lf_get(R->vs, R->client, fid, fid);
}
