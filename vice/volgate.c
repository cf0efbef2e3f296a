/*
 * vice/volgate.c - which volumes a call names, before it runs: a call
 * that would change a locked volume answers HS_EVBUSY (reads go on), a
 * call naming a volume that is not here answers HS_EMOVED (Coda's VBUSY
 * and VMOVED), so that venus waits and retries, or asks the VLDB.
 *
 * One table by procedure says where its fids are and whether it changes
 * them.  A reintegration block is gated as a whole over every record's
 * fids.  Procedures naming a volume by id (status, quota, admin) are
 * gated on the id: locked changes get HS_EVBUSY, a released id
 * HS_EMOVED; an id never here is left to the handler (ENOENT).
 */
#include <stddef.h>
#include "voldump.h"
#include "reint.h"
#include "store_dump.h"

#define NO (-1)

/* Where a procedure's fids are (byte offsets into its arguments, NO
 * past the last), or its volume id (by_id), and whether it writes. */
enum gate_kind {
	G_NONE = 0,             /* names no volume (or checks itself) */
	G_FIDS,                 /* fids at fid[] */
	G_ID,                   /* the arguments start with a volume id */
};
struct gate {
	enum gate_kind kind;
	int writes;
	int fid[3];
};

#define F1(w, t, a) { G_FIDS, w, { offsetof(t, a), NO, NO } }
#define F2(w, t, a, b) { G_FIDS, w, { offsetof(t, a), offsetof(t, b), NO } }
#define ID(w) { G_ID, w, { NO, NO, NO } }

static const struct gate gates[] = {
	[HS_GETATTR] = { G_FIDS, 0, { 0, NO, NO } },
	[HS_READLINK] = { G_FIDS, 0, { 0, NO, NO } },
	[HS_GETACL] = { G_FIDS, 0, { 0, NO, NO } },
	[HS_LOOKUP] = F1(0, hs_lookup_args, dir),
	[HS_READDIR] = F1(0, hs_readdir_args, dir),
	[HS_FETCH] = F1(0, hs_fetch_args, fid),
	/* staging changes no volume; HS_STAGED only reports */
	[HS_STAGED] = F1(0, hs_staged_args, fid),
	[HS_STORE_CHUNK] = F1(1, hs_store_chunk_args, fid),
	[HS_STORE_COMMIT] = F1(1, hs_store_commit_args, fid),
	[HS_STORE_DELTA] = F1(1, hs_store_delta_args, fid),
	[HS_SETATTR] = F1(1, hs_setattr_args, fid),
	[HS_CREATE] = F1(1, hs_create_args, dir),
	[HS_MKDIR] = F1(1, hs_create_args, dir),
	[HS_MKNOD] = F1(1, hs_mknod_args, dir),
	[HS_SYMLINK] = F1(1, hs_symlink_args, dir),
	[HS_MKMOUNT] = F1(1, hs_mkmount_args, dir),
	[HS_SETACL] = F1(1, hs_setacl_args, dir),
	[HS_LINK] = F2(1, hs_link_args, dir, target),
	[HS_REMOVE] = F2(1, hs_remove_args, dir, obj),
	[HS_RMDIR] = F2(1, hs_remove_args, dir, obj),
	[HS_RENAME] = { G_FIDS, 1, { offsetof(hs_rename_args, src_dir),
				offsetof(hs_rename_args, dst_dir),
				offsetof(hs_rename_args, obj) } },
	[HS_GETVOLSTAT] = ID(0),
	[HS_SETQUOTA] = ID(1),
	[HS_VOL_REMOVE] = ID(1),
	[HS_VOL_RENAME] = ID(1),
	[HS_VOL_DUMP] = ID(0),
	[HS_VOL_LOCK] = ID(0),
	/* a move releases the volume it locked: not busy for that */
	[HS_VOL_RELEASE] = ID(0),
};

#define NGATES (sizeof gates / sizeof gates[0])

/* One fid: vnode 0 means "not given" (remove's obj), volume 0 is no
 * volume at all (the handler answers ESTALE). */
static int fid_gate(struct vice *v, const hs_fid *f, int writes)
{
	if (f->vnode == 0 || f->volume == 0)
		return 0;
	if (writes && vd_locked(v, f->volume))
		return HS_EVBUSY;
	if (vs_vol_here(v->vs, f->volume) == 0)
		return HS_EMOVED;
	return 0;
}

static int reint_gate(struct vice *v, hs_reint_args *a)
{
	hs_fid *f[REINT_NAMES];
	unsigned i, j, n;
	uint32_t open = 0;   /* a volume found open: its fids pass */
	int st = 0;

	for (i = 0; i < a->recs.recs_len; i++) {
		n = reint_names(&a->recs.recs_val[i], f);
		for (j = 0; j < n; j++) {
			int s = f[j]->volume == open ? 0 : fid_gate(v, f[j], 1);

			if (!s && f[j]->vnode)
				open = f[j]->volume;

			/* busy wins: the block is retried here later */
			if (s == HS_EVBUSY)
				return s;
			if (s)
				st = s;
		}
	}
	return st;
}

static int id_gate(struct vice *v, uint32_t id, int writes)
{
	if (writes && vd_locked(v, id))
		return HS_EVBUSY;
	if (vs_vol_moved(v->vs, id) && vs_vol_here(v->vs, id) == 0)
		return HS_EMOVED;
	return 0;
}

int vd_gate(struct vice *v, uint32_t proc, void *args)
{
	const struct gate *g;
	unsigned i;
	int st;

	if (proc == HS_REINTEGRATE)
		return reint_gate(v, args);
	if (proc >= NGATES)
		return 0;
	g = &gates[proc];
	if (g->kind == G_ID)
		return id_gate(v, *(const uint32_t *)args, g->writes);
	for (i = 0; g->kind == G_FIDS && i < 3 && g->fid[i] != NO; i++) {
		st = fid_gate(v, (const hs_fid *)((const char *)args +
						 g->fid[i]), g->writes);
		if (st)
			return st;
	}
	return 0;
}
