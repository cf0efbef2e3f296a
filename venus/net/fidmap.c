/*
 * fidmap.c - fid translation in call arguments and results (fidmap.h).
 *
 * One walker per XDR type of rpc/hesper.x that can hold an hs_fid (or, in
 * arguments, a volume id), found by the type's xdr routine.  A type with
 * no fids is in the table too, with no walker, so that an unknown type
 * (a procedure added to hesper.x and not here) is an error, not a fid
 * sent with venus's realm bits.
 */
#include <errno.h>
#include <stddef.h>

#include "venus/net/fidmap.h"
#include "venus/net/volreg.h"
#include "rpc/xdr_inplace.h"

struct fm {
	enum vr_dir dir;
	unsigned    realm;
	int         err;
	int         count;
	void      (*fn)(void *ctx, hs_fid *f);   /* vr_map_walk */
	void       *ctx;
};

int vr_fid_to_local(unsigned realm, hs_fid *f)
{
	if (!f->volume || !realm)
		return 0;
	if (f->volume > VR_VOLID_MASK)
		return EIO;
	f->volume |= (uint32_t)realm << VR_REALM_SHIFT;
	return 0;
}

int vr_fid_to_wire(unsigned realm, hs_fid *f)
{
	unsigned r = vr_realm_of(f->volume);

	if (!f->volume || !r)
		return 0;
	if (r != realm)
		return EXDEV;
	f->volume &= VR_VOLID_MASK;
	return 0;
}

static void F(struct fm *m, hs_fid *f)
{
	int err;

	m->count++;
	if (m->fn) {
		m->fn(m->ctx, f);
		return;
	}
	if (m->err)
		return;
	err = m->dir == VR_TO_WIRE ? vr_fid_to_wire(m->realm, f) :
	      vr_fid_to_local(m->realm, f);
	if (err)
		m->err = err;
}

/* A volume id in arguments: as a fid's volume. */
static void ID(struct fm *m, u_int *id)
{
	hs_fid f = { *id, 0, 0 };

	if (m->fn)
		return;
	F(m, &f);
	m->count--;
	*id = f.volume;
}

/* ---- arguments ---- */

static void w_fid(struct fm *m, void *o) { F(m, o); }
static void w_uint(struct fm *m, void *o) { ID(m, o); }
static void w_lookup(struct fm *m, void *o) { F(m, &((hs_lookup_args *)o)->dir); }
static void w_readdir(struct fm *m, void *o) { F(m, &((hs_readdir_args *)o)->dir); }
static void w_fetch(struct fm *m, void *o) { F(m, &((hs_fetch_args *)o)->fid); }
static void w_chunk(struct fm *m, void *o) { F(m, &((hs_store_chunk_args *)o)->fid); }
static void w_commit(struct fm *m, void *o) { F(m, &((hs_store_commit_args *)o)->fid); }
static void w_delta(struct fm *m, void *o) { F(m, &((hs_store_delta_args *)o)->fid); }
static void w_setattr(struct fm *m, void *o) { F(m, &((hs_setattr_args *)o)->fid); }
static void w_create(struct fm *m, void *o) { F(m, &((hs_create_args *)o)->dir); }
static void w_symlink(struct fm *m, void *o) { F(m, &((hs_symlink_args *)o)->dir); }
static void w_mknod(struct fm *m, void *o) { F(m, &((hs_mknod_args *)o)->dir); }
static void w_staged(struct fm *m, void *o) { F(m, &((hs_staged_args *)o)->fid); }
static void w_setacl(struct fm *m, void *o) { F(m, &((hs_setacl_args *)o)->dir); }
static void w_mkmount(struct fm *m, void *o) { F(m, &((hs_mkmount_args *)o)->dir); }
static void w_vldb(struct fm *m, void *o) { ID(m, &((hs_vldb_args *)o)->id); }
static void w_setquota(struct fm *m, void *o) { ID(m, &((hs_setquota_args *)o)->id); }
static void w_volcreate(struct fm *m, void *o) { ID(m, &((hs_volcreate_args *)o)->id); }
static void w_volrename(struct fm *m, void *o) { ID(m, &((hs_volrename_args *)o)->id); }
static void w_vollock(struct fm *m, void *o) { ID(m, &((hs_vollock_args *)o)->id); }
static void w_voldump(struct fm *m, void *o) { ID(m, &((hs_voldump_args *)o)->id); }
static void w_volrestore(struct fm *m, void *o) { ID(m, &((hs_volrestore_args *)o)->id); }
static void w_volrelease(struct fm *m, void *o) { ID(m, &((hs_volrelease_args *)o)->id); }

static void w_volstamps(struct fm *m, void *o)
{
	hs_volstamps *a = o;

	for (u_int i = 0; i < a->vols.vols_len; i++)
		ID(m, &a->vols.vols_val[i].volume);
}

static void w_link(struct fm *m, void *o)
{
	hs_link_args *a = o;

	F(m, &a->dir);
	F(m, &a->target);
}

static void w_fids(struct fm *m, void *o)
{
	hs_fids *a = o;

	for (u_int i = 0; i < a->fids.fids_len; i++)
		F(m, &a->fids.fids_val[i]);
}

static void w_remove(struct fm *m, void *o)
{
	hs_remove_args *a = o;

	F(m, &a->dir);
	F(m, &a->obj);
}

static void w_rename(struct fm *m, void *o)
{
	hs_rename_args *a = o;

	F(m, &a->src_dir);
	F(m, &a->dst_dir);
	F(m, &a->obj);
}

static void w_rec(struct fm *m, hs_cml_rec *r)
{
	switch (r->op) {
	case HS_OP_STORE:   w_commit(m, &r->hs_cml_rec_u.store); break;
	case HS_OP_SETATTR: w_setattr(m, &r->hs_cml_rec_u.setattr); break;
	case HS_OP_CREATE:
		F(m, &r->hs_cml_rec_u.create.local);
		w_create(m, &r->hs_cml_rec_u.create.a);
		break;
	case HS_OP_MKDIR:
		F(m, &r->hs_cml_rec_u.mkdir.local);
		w_create(m, &r->hs_cml_rec_u.mkdir.a);
		break;
	case HS_OP_SYMLINK:
		F(m, &r->hs_cml_rec_u.symlink.local);
		w_symlink(m, &r->hs_cml_rec_u.symlink.a);
		break;
	case HS_OP_MKNOD:
		F(m, &r->hs_cml_rec_u.mknod.local);
		w_mknod(m, &r->hs_cml_rec_u.mknod.a);
		break;
	case HS_OP_LINK:    w_link(m, &r->hs_cml_rec_u.link); break;
	case HS_OP_REMOVE:  w_remove(m, &r->hs_cml_rec_u.remove); break;
	case HS_OP_RMDIR:   w_remove(m, &r->hs_cml_rec_u.rmdir); break;
	case HS_OP_RENAME:  w_rename(m, &r->hs_cml_rec_u.rename); break;
	default:            m->err = EINVAL; break;
	}
}

static void w_reint(struct fm *m, void *o)
{
	hs_reint_args *a = o;

	for (u_int i = 0; i < a->recs.recs_len; i++)
		w_rec(m, &a->recs.recs_val[i]);
}

/* ---- results: only a status 0 carries anything ---- */

#define OK(type, o) (((type *)(o))->status == 0)

static void r_getroot(struct fm *m, void *o)
{
	if (OK(hs_getroot_res, o))
		F(m, &((hs_getroot_res *)o)->hs_getroot_res_u.vol.root);
}

static void r_listvol(struct fm *m, void *o)
{
	hs_listvol_res *r = o;

	if (OK(hs_listvol_res, o))
		for (u_int i = 0; i < r->hs_listvol_res_u.list.vols.vols_len; i++)
			F(m, &r->hs_listvol_res_u.list.vols.vols_val[i].root);
}

static void r_attr(struct fm *m, void *o)
{
	if (OK(hs_attr_res, o))
		F(m, &((hs_attr_res *)o)->hs_attr_res_u.attr.fid);
}

static void r_attrs(struct fm *m, void *o)
{
	hs_attrs_res *r = o;

	if (OK(hs_attrs_res, o))
		for (u_int i = 0; i < r->hs_attrs_res_u.ok.res.res_len; i++)
			r_attr(m, &r->hs_attrs_res_u.ok.res.res_val[i]);
}

static void r_lookup(struct fm *m, void *o)
{
	hs_lookup_res *r = o;

	if (OK(hs_lookup_res, o)) {
		F(m, &r->hs_lookup_res_u.ok.obj.fid);
		F(m, &r->hs_lookup_res_u.ok.dir.fid);
	}
}

static void r_readdir(struct fm *m, void *o)
{
	hs_readdir_res *r = o;

	if (!OK(hs_readdir_res, o))
		return;
	F(m, &r->hs_readdir_res_u.ok.dir.fid);
	for (u_int i = 0; i < r->hs_readdir_res_u.ok.entries.entries_len; i++)
		F(m, &r->hs_readdir_res_u.ok.entries.entries_val[i].fid);
}

static void r_fetch(struct fm *m, void *o)
{
	if (OK(hs_fetch_res, o))
		F(m, &((hs_fetch_res *)o)->hs_fetch_res_u.ok.attr.fid);
}

static void r_create(struct fm *m, void *o)
{
	hs_create_res *r = o;

	if (OK(hs_create_res, o)) {
		F(m, &r->hs_create_res_u.ok.obj.fid);
		F(m, &r->hs_create_res_u.ok.dir.fid);
	}
}

static void r_remove(struct fm *m, void *o)
{
	hs_remove_res *r = o;

	if (OK(hs_remove_res, o)) {
		F(m, &r->hs_remove_res_u.ok.dir.fid);
		F(m, &r->hs_remove_res_u.ok.obj.fid);
	}
}

static void r_rename(struct fm *m, void *o)
{
	hs_rename_res *r = o;

	if (!OK(hs_rename_res, o))
		return;
	F(m, &r->hs_rename_res_u.ok.src_dir.fid);
	F(m, &r->hs_rename_res_u.ok.dst_dir.fid);
	F(m, &r->hs_rename_res_u.ok.obj.fid);
	F(m, &r->hs_rename_res_u.ok.replaced_fid);
}

static void r_reint(struct fm *m, void *o)
{
	hs_reint_res *r = o;

	if (!OK(hs_reint_res, o))
		return;
	for (u_int i = 0; i < r->hs_reint_res_u.ok.results.results_len; i++) {
		F(m, &r->hs_reint_res_u.ok.results.results_val[i].local);
		F(m, &r->hs_reint_res_u.ok.results.results_val[i].obj.fid);
	}
}

static void r_volstat(struct fm *m, void *o)
{
	if (OK(hs_volstat_res, o))
		F(m, &((hs_volstat_res *)o)->hs_volstat_res_u.st.root);
}

static void r_volstatlist(struct fm *m, void *o)
{
	hs_volstatlist_res *r = o;

	if (OK(hs_volstatlist_res, o))
		for (u_int i = 0; i < r->hs_volstatlist_res_u.list.vols.vols_len; i++)
			F(m, &r->hs_volstatlist_res_u.list.vols.vols_val[i].root);
}

/* ---- the table ---- */

struct type {
	xdrproc_t proc;
	size_t    size;
	void    (*walk)(struct fm *m, void *obj);   /* NULL: no fids */
};

#define T(t, w) { (xdrproc_t)xdr_##t, sizeof(t), w }
static const struct type types[] = {
	/* arguments */
	T(hs_fid, w_fid), T(u_int, w_uint), T(hs_name, NULL), T(hs_connect_args, NULL),
	T(hs_lookup_args, w_lookup), T(hs_readdir_args, w_readdir),
	T(hs_fetch_args, w_fetch), T(hs_store_chunk_args, w_chunk),
	T(hs_store_commit_args, w_commit), T(hs_setattr_args, w_setattr),
	T(hs_create_args, w_create), T(hs_symlink_args, w_symlink),
	T(hs_link_args, w_link), T(hs_remove_args, w_remove),
	T(hs_rename_args, w_rename), T(hs_reint_args, w_reint),
	T(hs_staged_args, w_staged), T(hs_mknod_args, w_mknod),
	T(hs_auth_args, NULL), T(hs_setacl_args, w_setacl),
	T(hs_vldb_args, w_vldb), T(hs_setquota_args, w_setquota),
	T(hs_mkmount_args, w_mkmount), T(hs_volcreate_args, w_volcreate),
	T(hs_volrename_args, w_volrename), T(hs_vollock_args, w_vollock),
	T(hs_voldump_args, w_voldump), T(hs_volrestore_chunk_args, NULL),
	T(hs_volrestore_args, w_volrestore), T(hs_volrelease_args, w_volrelease),
	T(hs_store_delta_args, w_delta), T(hs_fids, w_fids),
	T(hs_volstamps, w_volstamps),
	/* results */
	T(hs_connect_res, NULL), T(hs_getroot_res, r_getroot),
	T(hs_listvol_res, r_listvol), T(hs_attr_res, r_attr),
	T(hs_lookup_res, r_lookup), T(hs_readdir_res, r_readdir),
	T(hs_fetch_res, r_fetch), T(hs_status_res, NULL),
	T(hs_create_res, r_create), T(hs_remove_res, r_remove),
	T(hs_rename_res, r_rename), T(hs_readlink_res, NULL),
	T(hs_stats_res, NULL), T(hs_reint_res, r_reint),
	T(hs_staged_res, NULL), T(hs_auth_res, NULL), T(hs_acl_res, NULL),
	T(hs_vldb_res, NULL), T(hs_volstat_res, r_volstat),
	T(hs_volstatlist_res, r_volstatlist), T(hs_voldump_res, NULL),
	T(hs_attrs_res, r_attrs), T(hs_fetch_res_inplace, r_fetch),
	T(hs_volstamps_res, NULL),
};

static const struct type *find(xdrproc_t proc)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].proc == proc)
			return &types[i];
	return NULL;
}

size_t vr_map_size(xdrproc_t proc)
{
	const struct type *t = find(proc);

	return t ? t->size : 0;
}

int vr_map(enum vr_dir dir, unsigned realm, xdrproc_t proc, void *obj)
{
	const struct type *t;
	struct fm m = { .dir = dir, .realm = realm };

	if (!realm || !obj)
		return 0;
	if (!(t = find(proc)))
		return ENOSYS;
	if (t->walk)
		t->walk(&m, obj);
	return m.err;
}

int vr_map_walk(xdrproc_t proc, void *obj, void (*fn)(void *ctx, hs_fid *f), void *ctx)
{
	const struct type *t = find(proc);
	struct fm m = { .fn = fn, .ctx = ctx };

	if (!t)
		return -1;
	if (t->walk && obj)
		t->walk(&m, obj);
	return m.count;
}
