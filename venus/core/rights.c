/*
 * rights.c - the rights cache (rights.h): a fixed pool of RIGHTS_MAX
 * entries, hashed by directory fid (every uid's entry of one directory
 * shares a chain, so forgetting a directory and the AnyUser fallback walk
 * one chain), on an LRU list for reuse.  venus.db's table rights mirrors
 * the values (written when they change, deleted when an entry is reused)
 * so that a venus restarted while disconnected still goes by them.
 */
#include <errno.h>
#include <string.h>

#include "venus/util/venus.h"
#include "venus/core/rights.h"
#include "venus/net/token.h"
#include "venus/store/db.h"

#define NBUCKETS 1024   /* power of two */

struct rent {
	hs_fid       dir;
	uid_t        uid;
	unsigned     rights, any;
	unsigned     epoch;       /* rights_forget_all generation noted in */
	int          broken;      /* rights_forget since noted */
	int          used;
	struct rent *hnext;       /* hash chain */
	struct rent *lprev, *lnext; /* LRU: head most recent */
};

static struct rent pool[RIGHTS_MAX];
static struct rent *buckets[NBUCKETS];
static struct rent *lru_head, *lru_tail;
static unsigned nused, epoch;

static unsigned hash(const hs_fid *f)
{
	return (f->volume * 2654435761u ^ f->vnode * 40503u ^ f->unique) & (NBUCKETS - 1);
}

static int same(const hs_fid *a, const hs_fid *b)
{
	return a->volume == b->volume && a->vnode == b->vnode && a->unique == b->unique;
}

static void lru_unlink(struct rent *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push(struct rent *e)
{
	e->lnext = lru_head;
	e->lprev = NULL;
	if (lru_head)
		lru_head->lprev = e;
	lru_head = e;
	if (!lru_tail)
		lru_tail = e;
}

/* The mirror in venus.db, if venus has one open (not in unit tests of
 * this file alone); errors are logged by db.c and otherwise ignored: the
 * memory copy is what counts while venus runs. */
static void mirror_put(const struct rent *e)
{
	if (V && V->db)
		db_rights_put(V->db, &e->dir, (uint32_t)e->uid, e->rights, e->any);
}

static void mirror_del(const struct rent *e)
{
	if (V && V->db)
		db_rights_del(V->db, &e->dir, (uint32_t)e->uid);
}

static void drop(struct rent *e)
{
	struct rent **pp = &buckets[hash(&e->dir)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	memset(e, 0, sizeof *e);
	nused--;
}

/* Noted under a promise that still holds. */
static int current(const struct rent *e)
{
	return e->epoch == epoch && !e->broken;
}

static struct rent *find(const hs_fid *dir, uid_t uid)
{
	for (struct rent *e = buckets[hash(dir)]; e; e = e->hnext)
		if (e->uid == uid && same(&e->dir, dir))
			return e;
	return NULL;
}

static struct rent *take_free(void)
{
	if (nused == RIGHTS_MAX) {
		mirror_del(lru_tail);
		drop(lru_tail);
	}
	for (unsigned i = 0; i < RIGHTS_MAX; i++)
		if (!pool[i].used)
			return &pool[i];
	return NULL;   /* not reached: drop freed one */
}

/* A uid's own rights keep HS_R_SYSADMIN (protocol 6: vice says the
 * caller is an administrator); AnyUser's never hold it. */
#define OWN_BITS (HS_R_ALL | HS_R_SYSADMIN)

void rights_note(const hs_fid *dir, uid_t uid, unsigned rights, unsigned anyrights)
{
	struct rent *e = find(dir, uid);
	unsigned h;
	int changed = !e || e->rights != (rights & OWN_BITS) || e->any != (anyrights & HS_R_ALL);

	/* AnyUser's rights are the same for every uid: keep them in step. */
	for (struct rent *o = buckets[hash(dir)]; o; o = o->hnext)
		if (same(&o->dir, dir))
			o->any = anyrights & HS_R_ALL;
	if (!e) {
		if (!(e = take_free()))
			return;
		h = hash(dir);
		e->dir = *dir;
		e->uid = uid;
		e->used = 1;
		e->hnext = buckets[h];
		buckets[h] = e;
		nused++;
	} else {
		lru_unlink(e);
	}
	e->rights = rights & OWN_BITS;
	e->any = anyrights & HS_R_ALL;
	e->epoch = epoch;
	e->broken = 0;
	lru_push(e);
	if (changed)
		mirror_put(e);
}

static int load_one(void *arg, const hs_fid *dir, uint32_t uid, unsigned rights,
		    unsigned anyrights)
{
	struct rent *e;
	unsigned h;

	if (nused == RIGHTS_MAX || find(dir, (uid_t)uid) || !(e = take_free()))
		return nused == RIGHTS_MAX;
	h = hash(dir);
	*e = (struct rent){ .dir = *dir, .uid = (uid_t)uid, .rights = rights & OWN_BITS,
			    .any = anyrights & HS_R_ALL, .epoch = epoch - 1, .used = 1,
			    .hnext = buckets[h] };
	buckets[h] = e;
	nused++;
	lru_push(e);
	(*(unsigned *)arg)++;
	return 0;
}

unsigned rights_load(void)
{
	unsigned n = 0;

	if (V && V->db)
		db_rights_foreach(V->db, load_one, &n);
	return n;
}

int rights_get(const hs_fid *dir, uid_t uid, unsigned *rights)
{
	struct vtoken t;
	struct rent *e = NULL;

	*rights = 0;
	if (token_get_vol(uid, dir->volume, &t) != 0) {
		/* No live token: uid's calls go as System:AnyUser, whatever
		 * it had with the token it held before. */
		for (struct rent *o = buckets[hash(dir)]; o; o = o->hnext)
			if (same(&o->dir, dir) && (!e || (current(o) && !current(e))))
				e = o;
		if (!e)
			return ENOENT;
		*rights = e->any;
		return current(e) ? 0 : ESTALE;
	}
	if (!(e = find(dir, uid)))
		return ENOENT;
	lru_unlink(e);
	lru_push(e);
	*rights = e->rights;
	return current(e) ? 0 : ESTALE;
}

void rights_forget(const hs_fid *dir)
{
	for (struct rent *e = buckets[hash(dir)]; e; e = e->hnext)
		if (same(&e->dir, dir))
			e->broken = 1;
}

void rights_forget_all(void)
{
	epoch++;
}

void rights_forget_uid(uid_t uid)
{
	for (unsigned i = 0; i < RIGHTS_MAX; i++)
		if (pool[i].used && pool[i].uid == uid)
			pool[i].broken = 1;
}

void rights_clear(void)
{
	memset(pool, 0, sizeof pool);
	memset(buckets, 0, sizeof buckets);
	lru_head = lru_tail = NULL;
	nused = 0;
}

unsigned rights_count(void)
{
	return nused;
}
