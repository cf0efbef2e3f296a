/*
 * fsobj_valid.c - batched validation of the cache (HS_GETATTRS).
 *
 * A venus that starts, or reconnects to a server, holds no callback
 * promise on what it cached: every object would cost one HS_GETATTR round
 * trip at its next use (29 s for `ls -lR` of 100,000 files).  Coda
 * validates in bulk instead (volume version stamps, then ValidateAttrs
 * on up to 50 fids per call); Hesper asks HS_GETATTRS for up to
 * HS_GETATTRS_MAX objects of one volume per call:
 *   - when a server comes up, volumes with a recorded stamp are asked
 *     about first (fsobj_vstamp.c: a valid one spares the whole volume),
 *     the other objects it serves that hold no promise are queued by
 *     volume, and a background pass (one call of BG_BATCH
 *     in flight, as venus itself) walks the queues;
 *   - an object needed now (fo_with_obj) goes at once, as the caller, in
 *     a call with queued objects of its volume (ASK_FIRST, doubling with
 *     each such call up to HS_GETATTRS_MAX).
 * A slot whose attributes are those cached keeps its container and takes
 * the promise; one that differs is invalidated as a callback break would
 * (fso_cb_break) and takes vice's attributes, so a changed file or
 * directory is fetched again at its next use.  Slots with an error leave
 * their object as it was: its next use asks alone (HS_GETATTR), which
 * handles a moved volume and the caller's rights; an object vice no
 * longer has (ENOENT, ESTALE) is forgotten, as HS_GETATTR would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"

/* The objects of one volume still to validate, in ino order (roughly the
 * order they were first seen: a tree walk's neighbours travel together). */
struct vq {
	uint32_t  lvol;
	uint64_t *inos;
	size_t    n, next, cap;
};

/* Batch sizes.  vice answers a call in one turn of its loop, so a call
 * of 1024 objects holds back whatever comes after it (the first lookup
 * after a start waited ~3 s under load behind two of them): the
 * background pass takes BG_BATCH, and the calls made on demand start at
 * ASK_FIRST and double up to HS_GETATTRS_MAX, as a walk keeps asking. */
#define BG_BATCH  256
#define ASK_FIRST 32

static struct {
	struct vq *q;
	size_t     nq;
	int        busy;        /* a background call is in flight */
	unsigned   ask;         /* the next on-demand call's size */
} V_;

/* One HS_GETATTRS call. */
struct vbatch {
	uint32_t      lvol;
	uid_t         uid;
	int           bg;            /* the background pass's */
	uint64_t      want;          /* the requester's ino, 0 if none */
	hrpc_done_fn  done;          /* ... its answer (an hs_attr_res) */
	void         *arg;
	hs_fids       a;
	uint64_t      inos[HS_GETATTRS_MAX];
	hs_fid        fids[HS_GETATTRS_MAX];
};

/* o holds no promise and vice could give one. */
static int needs(const struct fso *o)
{
	return !o->has_cb && !o->removed && !o->fetch && !o->store &&
	       o->r.fid.volume != VR_LOCAL_VOL && !fo_trust_cache(o);
}

static struct vq *vq_of(uint32_t lvol, int make)
{
	struct vq *q;

	for (size_t i = 0; i < V_.nq; i++)
		if (V_.q[i].lvol == lvol)
			return &V_.q[i];
	if (!make || !(q = realloc(V_.q, (V_.nq + 1) * sizeof(*q))))
		return NULL;
	V_.q = q;
	q = &V_.q[V_.nq++];
	memset(q, 0, sizeof(*q));
	q->lvol = lvol;
	return q;
}

static int vq_push(struct vq *q, uint64_t ino)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		uint64_t *p = realloc(q->inos, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		q->inos = p;
		q->cap = cap;
	}
	q->inos[q->n++] = ino;
	return 0;
}

static int cmp_ino(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Empty queues go (their memory too). */
static void vq_compact(void)
{
	size_t i, j = 0;

	for (i = 0; i < V_.nq; i++) {
		if (V_.q[i].next < V_.q[i].n)
			V_.q[j++] = V_.q[i];
		else
			free(V_.q[i].inos);
	}
	V_.nq = j;
}

/* Add ino (object o) to the batch unless it is there or needs nothing. */
static void take(struct vbatch *b, struct fso *o)
{
	for (u_int i = 0; i < b->a.fids.fids_len; i++)
		if (b->inos[i] == o->r.ino)
			return;
	b->inos[b->a.fids.fids_len] = o->r.ino;
	b->fids[b->a.fids.fids_len++] = o->r.fid;
}

/* Fill b from lvol's queue, up to max objects. */
static void fill(struct vbatch *b, unsigned max)
{
	struct vq *q = vq_of(b->lvol, 0);

	while (q && q->next < q->n && b->a.fids.fids_len < max) {
		struct fso *o = fo_obj(q->inos[q->next++]);

		if (o && o->r.fid.volume == b->lvol && needs(o))
			take(b, o);
	}
}

static struct vbatch *vb_new(uint32_t lvol, uid_t uid)
{
	struct vbatch *b = calloc(1, sizeof(*b));

	if (b) {
		b->lvol = lvol;
		b->uid = uid;
		b->a.fids.fids_val = b->fids;
	}
	return b;
}

/* vice's a is what o holds already (the promise is all that was missing). */
static int same_attr(const struct fso *o, const hs_attr *a)
{
	return o->r.type == (int)a->type && o->r.mode == (a->mode & 07777) &&
	       o->r.nlink == a->nlink && o->r.uid == a->uid && o->r.gid == a->gid &&
	       o->r.size == a->size && o->r.dataversion == a->dataversion &&
	       o->r.rdev == a->rdev && !memcmp(&o->r.mtime, &a->mtime, sizeof(a->mtime)) &&
	       !memcmp(&o->r.ctime, &a->ctime, sizeof(a->ctime));
}

/* One slot for an object other than the requester's. */
static void apply(struct vbatch *b, u_int i, hs_attr_res *r)
{
	struct fso *o = fo_obj(b->inos[i]);

	if ((r->status == ENOENT || r->status == ESTALE) && o && needs(o) &&
	    o->r.ino != FSO_ROOT_INO && !memcmp(&o->r.fid, &b->fids[i], sizeof(hs_fid))) {
		/* Gone from vice, as HS_GETATTR's answer would say: forget
		 * it now, or it would keep its volume's stamp from being
		 * recorded (every cached object must hold a promise). */
		fso_cb_break(&o->r.fid);
		fo_obj_gone(o);
		return;
	}
	if (r->status || !o || memcmp(&o->r.fid, &b->fids[i], sizeof(hs_fid)) ||
	    memcmp(&r->hs_attr_res_u.attr.fid, &b->fids[i], sizeof(hs_fid)) || !needs(o))
		return;   /* as it was: its next use asks alone */
	if (b->uid != SRV_SELF)
		fo_note_rights(b->uid, &r->hs_attr_res_u.attr);
	if (same_attr(o, &r->hs_attr_res_u.attr)) {
		/* atime alone moves on reads elsewhere: not a change */
		o->has_cb = vr_is_up(o->r.fid.volume);
		return;
	}
	V->stats.validate_changed++;
	fso_cb_break(&o->r.fid);
	fo_take_attr(o, &r->hs_attr_res_u.attr);
}

static void bg_next(void);

static void batch_done(void *arg, int err, void *res)
{
	struct vbatch *b = arg;
	hs_attrs_res *r = res;
	hs_attr_res *mine = NULL;
	u_int i, n = 0;

	if (!err && r->status)
		err = r->status;
	if (!err) {
		n = r->hs_attrs_res_u.ok.res.res_len;
		if (n != b->a.fids.fids_len)
			err = EPROTO;   /* one answer per fid, or none taken */
	}
	for (i = 0; !err && i < n; i++) {
		if (b->want && b->inos[i] == b->want)
			mine = &r->hs_attrs_res_u.ok.res.res_val[i];
		else
			apply(b, i, &r->hs_attrs_res_u.ok.res.res_val[i]);
	}
	if (!err) {
		V->stats.validate_calls++;
		V->stats.validate_objects += n;
	}
	if (b->want) {
		/* EAGAIN: ask alone (a moved volume, an old server...) */
		if (!err && mine && mine->status == HS_EMOVED)
			err = EAGAIN;
		else if ((err && err != ETIMEDOUT) || (!err && !mine))
			err = EAGAIN;
		b->done(b->arg, err, mine);
	}
	if (b->bg) {
		V_.busy = 0;
		if (!err)
			bg_next();
		else
			vlog(LOG_INFO, "validation of volume %#x stopped: %s",
			     b->lvol, strerror(err));
	}
	free(b);
}

static void send_batch(struct vbatch *b)
{
	vr_call_as(b->lvol, b->uid, HS_GETATTRS, (xdrproc_t)xdr_hs_fids, &b->a,
		   (xdrproc_t)xdr_hs_attrs_res, sizeof(hs_attrs_res), batch_done, b);
}

/* The background pass: the next call, if anything is left. */
static void bg_next(void)
{
	struct vbatch *b;

	while (!V_.busy && V_.nq) {
		struct vq *q = &V_.q[0];

		if (!vr_reachable(q->lvol) || !(b = vb_new(q->lvol, SRV_SELF))) {
			q->next = q->n;   /* its server is gone: the next up refills */
			vq_compact();
			continue;
		}
		fill(b, BG_BATCH);
		vq_compact();
		if (!b->a.fids.fids_len) {
			free(b);
			continue;
		}
		b->bg = 1;
		V_.busy = 1;
		send_batch(b);
		return;
	}
	if (V_.busy)
		return;
	/* The pass ended: what now holds promises everywhere may record
	 * its volume's stamp (fsobj_vstamp.c). */
	fo_vstamp_record();
	if (V->stats.validate_calls)
		vlog(LOG_INFO, "validation: %" PRIu64 " objects in %" PRIu64
		     " calls, %" PRIu64 " changed", V->stats.validate_objects,
		     V->stats.validate_calls, V->stats.validate_changed);
}

int fo_valid_ask(struct fso *o, uid_t uid, void (*done)(void *arg, int err, void *res),
		 void *arg)
{
	struct vq *q = vq_of(o->r.fid.volume, 0);
	struct vbatch *b;

	if (!q || q->next >= q->n || !(b = vb_new(o->r.fid.volume, uid)))
		return -1;
	take(b, o);
	if (V_.ask < ASK_FIRST)
		V_.ask = ASK_FIRST;
	fill(b, V_.ask);
	if (V_.ask < HS_GETATTRS_MAX)
		V_.ask *= 2;
	b->want = o->r.ino;
	b->done = done;
	b->arg = arg;
	send_batch(b);
	return 0;
}

/* s serves lvol, or may: a volume is located (VLDB) at its first call,
 * so until then any server of its realm may be the one. */
static int served_by(uint32_t lvol, struct srv *s)
{
	struct srv *at = vr_srv_of(lvol);

	return at == s || (!at && vr_realm_of(lvol) == srv_realm(s));
}

/* Queue o (in its volume's queue): 0, or ENOMEM. */
static int queue(struct fso *o)
{
	struct vq *q = vq_of(o->r.fid.volume, 1);

	return q ? vq_push(q, o->r.ino) : ENOMEM;
}

static void sort_queues(void)
{
	for (size_t i = 0; i < V_.nq; i++)
		qsort(V_.q[i].inos + V_.q[i].next, V_.q[i].n - V_.q[i].next,
		      sizeof(uint64_t), cmp_ino);
}

void fo_valid_queue_vol(uint32_t lvol)
{
	struct vq *q = vq_of(lvol, 0);
	size_t n = 0;

	if (q)
		q->next = q->n;   /* rebuilt below */
	vq_compact();
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			if (o->r.fid.volume != lvol || !needs(o))
				continue;
			if (queue(o))
				return;   /* out of memory: uses ask alone */
			n++;
		}
	sort_queues();
	if (n)
		vlog(LOG_INFO, "validating %zu cached objects of volume %#x", n, lvol);
	bg_next();
}

size_t fo_vol_promised(uint32_t lvol)
{
	size_t n = 0;

	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (o->r.fid.volume == lvol && needs(o)) {
				o->has_cb = FO_CB_VOL;
				n++;
			}
	return n;
}

void fso_valid_srv_up(struct srv *s)
{
	size_t i, n = 0;

	for (i = 0; i < V_.nq; i++)
		if (served_by(V_.q[i].lvol, s))
			V_.q[i].next = V_.q[i].n;   /* rebuilt below */
	vq_compact();
	V_.ask = ASK_FIRST;
	/* Volumes with a recorded stamp are asked about first; they are
	 * queued only if it is refused (fo_valid_queue_vol). */
	fo_vstamp_srv_up(served_by, s);
	for (i = 0; i < fso_tab.nbuckets; i++) {
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			if (!needs(o) || !served_by(o->r.fid.volume, s) ||
			    fo_vstamp_checking(o->r.fid.volume))
				continue;
			if (queue(o))
				return;   /* out of memory: uses ask alone */
			n++;
		}
	}
	sort_queues();
	if (n)
		vlog(LOG_INFO, "validating %zu cached objects of %s", n, srv_name(s));
	bg_next();
}

void fso_valid_fini(void)
{
	for (size_t i = 0; i < V_.nq; i++)
		free(V_.q[i].inos);
	free(V_.q);
	memset(&V_, 0, sizeof(V_));
}
