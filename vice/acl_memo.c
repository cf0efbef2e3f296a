/*
 * vice/acl_memo.c - one caller's rights per directory, remembered while
 * a reintegration block is applied and answered (acl.h).  Nothing in a
 * block changes an ACL (no CML record sets one; a mkdir's new ACL is
 * read when first asked), and vice runs one call at a time, so within
 * the span the rights a directory gives do not change.  acl_rights read
 * the directory's vnode and ACL rows per record, three times per create.
 */
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "fidset.h"

/* Hashed by fid; at MEMO_FULL entries it starts over (bounded). */
#define MEMO_SLOTS 512
#define MEMO_FULL (MEMO_SLOTS / 2)

struct memo_ent {
	hs_fid   dir;
	unsigned rights, any;
	int      used;
};

static struct {
	struct memo_ent    *d;        /* MEMO_SLOTS, NULL outside a span */
	unsigned            n;
	const struct vident *who;     /* whose rights; others bypass */
} M;

int acl_memo_begin(const struct vident *who)
{
	acl_memo_end();
	(void)acl_parent_begin();   /* without it, vs_obj_dir every time */
	if (!(M.d = calloc(MEMO_SLOTS, sizeof *M.d)))
		return -1;
	M.n = 0;
	M.who = who;
	return 0;
}

void acl_memo_end(void)
{
	acl_parent_end();
	free(M.d);
	M.d = NULL;
	M.who = NULL;
}

/* dir's slot: its entry or the free one where it goes (linear probe;
 * never full: MEMO_FULL < MEMO_SLOTS). */
static struct memo_ent *slot(const hs_fid *dir)
{
	unsigned h = fid_hash(dir);

	for (unsigned i = 0;; i++) {
		struct memo_ent *e = &M.d[(h + i) % MEMO_SLOTS];

		if (!e->used || fid_eq(&e->dir, dir))
			return e;
	}
}

int acl_memo_get(const struct vident *who, const hs_fid *dir, unsigned *rights,
		 unsigned *any)
{
	struct memo_ent *e;

	if (!M.d || who != M.who || !(e = slot(dir))->used)
		return 0;
	*rights = e->rights;
	*any = e->any;
	return 1;
}

void acl_memo_put(const struct vident *who, const hs_fid *dir, unsigned rights,
		  unsigned any)
{
	struct memo_ent *e;

	if (!M.d || who != M.who)
		return;
	if (M.n == MEMO_FULL) {
		memset(M.d, 0, MEMO_SLOTS * sizeof *M.d);
		M.n = 0;
	}
	e = slot(dir);
	if (!e->used)
		M.n++;
	*e = (struct memo_ent){ .dir = *dir, .rights = rights, .any = any, .used = 1 };
}
