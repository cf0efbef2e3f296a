/*
 * fsobj_rights.c - core's check of a local user's rights (rights.h)
 * before it serves from the cache, or logs while disconnected, what vice
 * would refuse that user (Coda's fsobj::CheckAcRights).
 *
 * The rights of a file are those of its directory (its parent's ACL);
 * a directory's are its own.  Local checking starts once vice has shown
 * that it reports rights (a reply with rights or anyrights set: every ACL
 * gives someone something, the volume root at least System:AnyUser rl)
 * while some local user holds a token, in this run or an earlier one
 * (venus.db keeps what it said).  Before that the kernel's mode-bit
 * checks are all there is, as before: a vice from before ACLs reports
 * nothing (or, from before protocol 3's fields were filled, garbage), and
 * while nobody holds a token every call went as System:AnyUser, so the
 * cache holds nothing AnyUser could not have had.
 */
#include <errno.h>
#include <stdlib.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/volreg.h"
#include "venus/core/rights.h"
#include "venus/log/cml.h"
#include "venus/net/server.h"
#include "venus/net/token.h"

_Static_assert(FSO_SELF == SRV_SELF, "fsobj.h's FSO_SELF is server.h's SRV_SELF");

static int reported;   /* vice has reported rights since start */

void fo_rights_init(void)
{
	rights_clear();
	reported = rights_load() > 0;
}

/* The directory whose ACL governs o, or NULL (parent unknown). */
static struct fso *acl_dir(struct fso *o)
{
	if (o->r.type == HS_FDIR)
		return o;
	return o->r.parent ? fo_obj(o->r.parent) : NULL;
}

static void count_token(const struct vtoken *t, void *arg)
{
	(void)t;
	(*(unsigned *)arg)++;
}

/* Does any local user hold a token (live or not)? */
static int site_has_tokens(void)
{
	unsigned n = 0;

	token_each(count_token, &n);
	return n != 0;
}

void fo_note_rights(uid_t uid, const hs_attr *a)
{
	struct fso *o, *d;

	if (!a->rights && !a->anyrights)
		return;   /* vice reports none (no ACLs), or nothing known */
	if (!reported && !site_has_tokens())
		return;
	reported = 1;
	if (a->type == HS_FDIR) {
		rights_note(&a->fid, uid, a->rights, a->anyrights);
		return;
	}
	if ((o = fo_obj_by_fid(&a->fid)) && (d = acl_dir(o)))
		rights_note(&d->r.fid, uid, a->rights, a->anyrights);
}

int fo_rights_check(struct fso *o, uid_t uid, unsigned need)
{
	struct fso *d;
	unsigned have;
	int err;

	if (o->r.fid.volume == VR_LOCAL_VOL)   /* the realm directory: read-only */
		return need & ~(unsigned)(HS_R_LOOKUP | HS_R_READ) ? EACCES : 0;
	if (uid == SRV_SELF || !reported || !need)
		return 0;
	if (!(d = acl_dir(o)) || cml_is_local(&d->r.fid))
		return 0;   /* nothing vice could tell: it checks at reintegration */
	err = rights_get(&d->r.fid, uid, &have);
	if (err == ESTALE && !fo_offline(d->r.fid.volume))
		err = ENOENT;   /* promises were lost: ask again */
	if (err == ENOENT)
		return fo_offline(d->r.fid.volume) ? EACCES : EAGAIN;
	return (have & need) == need ? 0 : EACCES;
}

struct rck {
	uint64_t ino;
	uid_t    uid;
	unsigned need;
	err_k    k;
	void    *arg;
};

static void rck_asked(void *arg, int err, struct fso *o)
{
	struct rck c = *(struct rck *)arg;

	free(arg);
	if (!err && (err = fo_rights_check(o, c.uid, c.need)) == EAGAIN)
		err = 0;   /* vice answered as uid and said nothing: it decides */
	c.k(c.arg, err);
}

void fo_check(struct fso *o, uid_t uid, unsigned need, err_k k, void *arg)
{
	int err = fo_rights_check(o, uid, need);
	struct rck *c;

	if (err != EAGAIN) {
		k(arg, err);
		return;
	}
	if (!(c = malloc(sizeof *c))) {
		k(arg, ENOMEM);
		return;
	}
	*c = (struct rck){ acl_dir(o)->r.ino, uid, need, k, arg };
	fo_getattr_as(c->ino, uid, rck_asked, c);
}
