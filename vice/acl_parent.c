/*
 * vice/acl_parent.c - the directory whose ACL covers an object,
 * remembered while a reintegration block is applied and answered
 * (acl.h).  acl_rights asks vs_obj_dir for it (the object's vnode, then
 * its dirent: two SQLite reads) once per check and once more for the
 * result's rights: a setattr's object was looked up twice per record.
 * Only a record that moves or drops names (link, remove, rmdir, rename)
 * changes an object's directory: ops_reint.c's check forgets everything
 * after checking one, before it is applied.  A record rolled back leaves
 * the names as they were when they were remembered; a block aborted or
 * retried starts a new span (acl_memo_begin).
 */
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "fidset.h"

/* Hashed by fid, open addressing; at PAR_FULL entries it starts over
 * (bounded).  A block holds at most HS_REINT_MAX (1024) records. */
#define PAR_SLOTS 4096
#define PAR_FULL (PAR_SLOTS / 2)

struct par_ent {
	hs_fid   obj, dir;
	unsigned gen;   /* valid if == P.gen: forgetting all is gen++ */
};

static struct {
	struct par_ent *d;     /* PAR_SLOTS, NULL outside a span */
	unsigned        n, gen;
} P;

int acl_parent_begin(void)
{
	acl_parent_end();
	if (!(P.d = calloc(PAR_SLOTS, sizeof *P.d)))
		return -1;
	P.n = 0;
	P.gen = 1;
	return 0;
}

void acl_parent_end(void)
{
	free(P.d);
	P.d = NULL;
}

void acl_parent_forget(void)
{
	if (!P.d)
		return;
	P.n = 0;
	if (++P.gen == 0) {   /* wrapped: old entries would look valid */
		memset(P.d, 0, PAR_SLOTS * sizeof *P.d);
		P.gen = 1;
	}
}

/* obj's slot: its entry or the free one where it goes (linear probe;
 * never full: PAR_FULL < PAR_SLOTS). */
static struct par_ent *slot(const hs_fid *obj)
{
	unsigned h = fid_hash(obj);

	for (unsigned i = 0;; i++) {
		struct par_ent *e = &P.d[(h + i) % PAR_SLOTS];

		if (e->gen != P.gen || fid_eq(&e->obj, obj))
			return e;
	}
}

int acl_parent_get(const hs_fid *obj, hs_fid *dir)
{
	struct par_ent *e;

	if (!P.d || (e = slot(obj))->gen != P.gen)
		return 0;
	*dir = e->dir;
	return 1;
}

void acl_parent_put(const hs_fid *obj, const hs_fid *dir)
{
	struct par_ent *e;

	if (!P.d)
		return;
	if (P.n == PAR_FULL)
		acl_parent_forget();
	e = slot(obj);
	if (e->gen != P.gen)
		P.n++;
	*e = (struct par_ent){ .obj = *obj, .dir = *dir, .gen = P.gen };
}
