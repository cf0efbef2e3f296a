/*
 * vice/acl.c - rights from access lists and the per-operation checks
 * (acl.h), after Coda's Check*Semantics in vice/srv/srvproc.cc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "pdb.h"

#define SETID 06000u

static const struct vident anyuser = {
	HS_ID_ANONYMOUS, 0, 0, 1, { HS_ID_ANYUSER },
};

static int in_cps(const struct vident *who, int32_t id)
{
	unsigned i;

	for (i = 0; i < who->ncps && i < VIDENT_MAXCPS; i++)
		if (who->cps[i] == id)
			return 1;
	return 0;
}

unsigned acl_eval(const struct vs_acl *acl, const struct vident *who)
{
	unsigned i, pos = 0, neg = 0;

	for (i = 0; i < acl->npos; i++)
		if (in_cps(who, acl->pos[i].id))
			pos |= acl->pos[i].rights;
	for (i = 0; i < acl->nneg; i++)
		if (in_cps(who, acl->neg[i].id))
			neg |= acl->neg[i].rights;
	pos &= ~neg;
	if (who->admin)
		pos |= HS_R_LOOKUP | HS_R_ADMIN;
	return pos & HS_R_ALL;
}

/* The directory covering fid (type: its HS_F* type if the caller just
 * read its attributes, else 0), remembered for a reintegration call. */
static int covering(struct vstore *vs, const hs_fid *fid, int type, hs_fid *dir)
{
	int err;

	if (acl_parent_get(fid, dir))
		return 0;
	if (type == HS_FDIR)
		*dir = *fid;
	else if ((err = type ? vs_file_dir(vs, fid, dir) : vs_obj_dir(vs, fid, dir)))
		return err;
	acl_parent_put(fid, dir);
	return 0;
}

/* acl_rights, fid's type known (or 0). */
static int rights_of(struct vstore *vs, const struct vident *who, const hs_fid *fid,
		     int type, unsigned *rights, unsigned *any)
{
	struct vs_acl *acl;
	unsigned r, a;
	hs_fid dir;
	int err;

	if ((err = covering(vs, fid, type, &dir)))
		return err;
	if (!acl_memo_get(who, &dir, &r, &a)) {
		if (!(acl = malloc(sizeof *acl)))
			return ENOMEM;
		if ((err = vs_acl_get(vs, &dir, acl))) {
			free(acl);
			return err;
		}
		r = acl_eval(acl, who);
		a = acl_eval(acl, &anyuser);
		free(acl);
		acl_memo_put(who, &dir, r, a);
	}
	if (rights)
		*rights = r;
	if (any)
		*any = a;
	return 0;
}

int acl_rights(struct vstore *vs, const struct vident *who, const hs_fid *fid,
	       unsigned *rights, unsigned *any)
{
	return rights_of(vs, who, fid, 0, rights, any);
}

void acl_fill(struct vstore *vs, const struct vident *who, hs_attr *a)
{
	unsigned r, any;

	if (!a->type || !a->fid.vnode)
		return;
	if (acl_rights(vs, who, &a->fid, &r, &any) == 0) {
		/* The caller learns it is an administrator (protocol 6): its
		 * venus may then answer an administrator's chown of a file
		 * being written at once and send it with the store. */
		a->rights = r | (who->admin ? HS_R_SYSADMIN : 0);
		a->anyrights = any;
	}
}

/* who's rights on fid's directory, and fid's attributes. */
static int get(struct vstore *vs, const struct vident *who, const hs_fid *fid,
	       unsigned *rights, hs_attr *attr)
{
	int err = vs_getattr(vs, fid, attr);

	return err ? err : rights_of(vs, who, fid, (int)attr->type, rights, NULL);
}

/* The caller owns the object (an anonymous caller owns nothing: every
 * stranger on the network would be that owner). */
static int owner(const struct vident *who, const hs_attr *a)
{
	return who->authenticated && (uint32_t)who->id == a->uid;
}

static int need(unsigned rights, unsigned want)
{
	return (rights & want) == want ? 0 : EACCES;
}

int acl_lookup(struct vstore *vs, const struct vident *who, const hs_fid *fid)
{
	unsigned r;
	int err = acl_rights(vs, who, fid, &r, NULL);

	return err ? err : need(r, HS_R_LOOKUP);
}

int acl_fetch(struct vstore *vs, const struct vident *who, const hs_fid *fid)
{
	hs_attr a;
	unsigned r;
	int err = get(vs, who, fid, &r, &a);

	if (err)
		return err;
	if (a.type == HS_FDIR)
		return need(r, HS_R_LOOKUP);
	if ((err = need(r, HS_R_READ)))
		return err;
	if (!who->admin && !owner(who, &a) && !(a.mode & 0400))
		return EACCES;
	return 0;
}

/* Created and never written since (Coda's IsVirgin). */
static int virgin(const hs_attr *a)
{
	return a->type == HS_FREG && a->dataversion == 1 && a->size == 0;
}

int acl_store(struct vstore *vs, const struct vident *who, const hs_fid *fid)
{
	hs_attr a;
	unsigned r;
	int err = get(vs, who, fid, &r, &a);

	if (err)
		return err;
	if (a.type != HS_FREG)
		return EISDIR;
	if (owner(who, &a) && virgin(&a))
		return 0;
	if ((err = need(r, HS_R_WRITE)))
		return err;
	if (!who->admin && !owner(who, &a) && !(a.mode & 0200))
		return EACCES;
	return 0;
}

/* A mode change that only clears set-id bits: what the kernel asks of
 * whoever writes or truncates a set-id file (POSIX), and what a store by
 * a non-owner does on vice anyway. */
static int kills_setid(const hs_setattr_args *s, const hs_attr *a)
{
	return (s->mode & 07777 & ~SETID) == (a->mode & 07777 & ~SETID) &&
		!(s->mode & SETID & ~a->mode) && (a->mode & SETID & ~s->mode);
}

/* The privileged parts of a setattr: chown (administrators), chgrp
 * (owner), chmod (owner or a; clearing set-id bits: anyone who may
 * write), set-id bits (owner), truncating a file the owner made
 * read-only (owner). */
static int setattr_priv(const struct vident *who, const hs_setattr_args *s,
			const hs_attr *a, unsigned r)
{
	int own = owner(who, a) || who->admin;

	if ((s->mask & HS_SET_UID) && s->uid != a->uid && !who->admin)
		return EPERM;
	if ((s->mask & HS_SET_GID) && s->gid != a->gid && !own)
		return EPERM;
	if (s->mask & HS_SET_MODE) {
		if (!own && !(r & HS_R_ADMIN) && !kills_setid(s, a))
			return EPERM;
		if ((s->mode & SETID & ~a->mode) && !own)
			return EPERM;
	}
	if ((s->mask & HS_SET_SIZE) && !own && !(a->mode & 0200))
		return EACCES;
	return 0;
}

int acl_setattr(struct vstore *vs, const struct vident *who,
		const hs_setattr_args *s)
{
	hs_attr a;
	unsigned r;
	int err = get(vs, who, &s->fid, &r, &a);

	if (err)
		return err;
	/* The kernel follows symlinks for chmod: a client asking is lying. */
	if ((s->mask & HS_SET_MODE) && a.type == HS_FLNK)
		return EACCES;
	/* Coda's first-store bypass for the owner of a virgin file, never
	 * for a chown; an administrator takes the usual path (may chown). */
	if (owner(who, &a) && virgin(&a) && !who->admin) {
		if ((s->mask & HS_SET_UID) && s->uid != a.uid)
			return EPERM;
	} else if (a.type == HS_FDIR) {
		if (!(r & (HS_R_INSERT | HS_R_DELETE | HS_R_ADMIN)) &&
		    !who->admin)
			return EACCES;
	} else if (!(r & HS_R_WRITE) && !who->admin) {
		return EACCES;
	}
	return setattr_priv(who, s, &a, r);
}

int acl_store_set(struct vstore *vs, const struct vident *who,
		  const hs_fid *fid, const hs_store_set *set)
{
	hs_setattr_args s;
	int err;

	if (!set->mask)
		return 0;
	if ((err = vs_store_set_args(fid, set, &s)))
		return err;
	return acl_setattr(vs, who, &s);
}

int acl_make(struct vstore *vs, const struct vident *who, const hs_fid *dir,
	     hs_ftype type, unsigned *uid)
{
	unsigned r;
	int err = acl_rights(vs, who, dir, &r, NULL);

	if (err)
		return err;
	if ((err = need(r, HS_R_INSERT)))
		return err;
	/* As mknod(2) without CAP_MKNOD. */
	if ((type == HS_FCHR || type == HS_FBLK) && !who->admin)
		return EPERM;
	if (!who->admin)
		*uid = (uint32_t)who->id;
	return 0;
}

/* Do directories a and b have the same ACL?  1, 0, or -errno. */
static int same_acl(struct vstore *vs, const hs_fid *a, const hs_fid *b)
{
	struct vs_acl *x = malloc(2 * sizeof *x);
	int r, err;

	if (!x)
		return -ENOMEM;
	if ((err = vs_acl_get(vs, a, &x[0])) || (err = vs_acl_get(vs, b, &x[1])))
		r = -err;
	else
		r = x[0].npos == x[1].npos && x[0].nneg == x[1].nneg &&
			!memcmp(x[0].pos, x[1].pos, x[0].npos * sizeof x->pos[0]) &&
			!memcmp(x[0].neg, x[1].neg, x[0].nneg * sizeof x->neg[0]);
	free(x);
	return r;
}

/* May obj (a non-directory) get a name in dir without coming under a
 * different ACL?  0 or EXDEV (Coda refuses every cross-directory link;
 * between directories with equal ACLs nothing is exposed). */
static int stays_under(struct vstore *vs, const hs_fid *obj, const hs_fid *dir)
{
	hs_fid cur;
	int r, err;

	if ((r = vs_dir_holds(vs, dir, obj)) != 0)
		return r < 0 ? -r : 0;
	if ((err = vs_obj_dir(vs, obj, &cur)))
		return err;
	r = same_acl(vs, &cur, dir);
	if (r < 0)
		return -r;
	return r ? 0 : EXDEV;
}

int acl_link(struct vstore *vs, const struct vident *who,
	     const hs_link_args *a)
{
	unsigned r;
	int err = acl_rights(vs, who, &a->dir, &r, NULL);

	if (err)
		return err;
	if ((err = need(r, HS_R_INSERT)))
		return err;
	/* A second name elsewhere must not put the file under another ACL. */
	return stays_under(vs, &a->target, &a->dir);
}

int acl_remove(struct vstore *vs, const struct vident *who,
	       const hs_remove_args *a)
{
	unsigned r;
	int err = acl_rights(vs, who, &a->dir, &r, NULL);

	return err ? err : need(r, HS_R_DELETE);
}

int acl_rename(struct vstore *vs, const struct vident *who,
	       const hs_rename_args *a)
{
	hs_lookup_ok src, dst;
	unsigned rs, rd;
	int err, replaces;

	if ((err = acl_rights(vs, who, &a->src_dir, &rs, NULL)) ||
	    (err = acl_rights(vs, who, &a->dst_dir, &rd, NULL)))
		return err;
	if ((err = vs_lookup(vs, &a->src_dir, a->src_name, &src)))
		return err;
	err = vs_lookup(vs, &a->dst_dir, a->dst_name, &dst);
	if (err && err != ENOENT)
		return err;
	replaces = !err;
	if ((err = need(rs, HS_R_DELETE)) ||
	    (err = need(rd, HS_R_INSERT | (replaces ? HS_R_DELETE : 0))))
		return err;
	if (src.obj.type != HS_FDIR && src.obj.nlink > 1 &&
	    memcmp(&a->src_dir, &a->dst_dir, sizeof a->dst_dir))
		return stays_under(vs, &src.obj.fid, &a->dst_dir);
	return 0;
}

int acl_record(struct vstore *vs, const struct vident *who, hs_cml_rec *rec)
{
	typeof(rec->hs_cml_rec_u) *u = &rec->hs_cml_rec_u;
	int err;

	switch (rec->op) {
	case HS_OP_STORE:
		if ((err = acl_store(vs, who, &u->store.fid)))
			return err;
		return acl_store_set(vs, who, &u->store.fid, &u->store.set);
	case HS_OP_SETATTR:
		return acl_setattr(vs, who, &u->setattr);
	case HS_OP_CREATE:
		return acl_make(vs, who, &u->create.a.dir, HS_FREG,
				&u->create.a.uid);
	case HS_OP_MKDIR:
		return acl_make(vs, who, &u->mkdir.a.dir, HS_FDIR,
				&u->mkdir.a.uid);
	case HS_OP_SYMLINK:
		return acl_make(vs, who, &u->symlink.a.dir, HS_FLNK,
				&u->symlink.a.uid);
	case HS_OP_MKNOD:
		return acl_make(vs, who, &u->mknod.a.dir, u->mknod.a.type,
				&u->mknod.a.uid);
	case HS_OP_LINK:
		return acl_link(vs, who, &u->link);
	case HS_OP_REMOVE:
	case HS_OP_RMDIR:
		return acl_remove(vs, who, &u->remove);
	case HS_OP_RENAME:
		return acl_rename(vs, who, &u->rename);
	}
	return EINVAL;
}

int acl_may_get(struct vstore *vs, const struct vident *who, const hs_fid *dir)
{
	unsigned r;
	hs_attr a;
	int err = get(vs, who, dir, &r, &a);

	if (err)
		return err;
	if (a.type != HS_FDIR)
		return ENOTDIR;
	return r & (HS_R_LOOKUP | HS_R_ADMIN) ? 0 : EACCES;
}

int acl_may_set(struct vstore *vs, const struct vident *who, const hs_fid *dir)
{
	unsigned r;
	hs_attr a;
	int err = get(vs, who, dir, &r, &a);

	if (err)
		return err;
	if (a.type != HS_FDIR)
		return ENOTDIR;
	return need(r, HS_R_ADMIN);
}

static const char *const sysname[] = {
	"System:AnyUser", "System:AuthUser", "System:Administrators",
};
static const int32_t sysid[] = { HS_ID_ANYUSER, HS_ID_AUTHUSER, HS_ID_ADMINS };

/* id's name without a pdb: the System:* groups only. */
static int sys_name(int32_t id, char *buf, size_t n)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (sysid[i] == id) {
			snprintf(buf, n, "%s", sysname[i]);
			return 0;
		}
	return ENOENT;
}

/* A protection name or a decimal id. */
static int name_id(struct pdb *pdb, const char *name, int32_t *id)
{
	char *end;
	long n;

	if (!name || !*name)
		return ENOENT;
	n = strtol(name, &end, 10);
	if (!*end && n >= INT32_MIN && n <= INT32_MAX && n != 0) {
		*id = (int32_t)n;
		return 0;
	}
	if (pdb)
		return pdb_id_of(pdb, name, id);
	for (n = 0; n < 3; n++)
		if (!strcmp(name, sysname[n])) {
			*id = sysid[n];
			return 0;
		}
	return ENOENT;
}

/* One list; entries with no rights are left out (Coda: "none" removes). */
static int list_from(struct pdb *pdb, const hs_acl_entry *e, unsigned n,
		     struct vs_acl_ent *out, unsigned *nout)
{
	unsigned i, j;
	int err;

	if (n > HS_ACL_MAX)
		return EINVAL;
	for (*nout = 0, i = 0; i < n; i++) {
		struct vs_acl_ent x = { 0, e[i].rights & HS_R_ALL };

		if ((err = name_id(pdb, e[i].name, &x.id)))
			return err;
		if (!x.rights)
			continue;
		for (j = 0; j < *nout && out[j].id != x.id; j++)
			;
		if (j < *nout)
			out[j].rights |= x.rights;   /* named twice: merge */
		else
			out[(*nout)++] = x;
	}
	return 0;
}

int acl_from_wire(struct pdb *pdb, const hs_acl *in, struct vs_acl *out)
{
	int err;

	memset(out, 0, sizeof *out);
	if ((err = list_from(pdb, in->pos.pos_val, in->pos.pos_len, out->pos,
			     &out->npos)))
		return err;
	return list_from(pdb, in->neg.neg_val, in->neg.neg_len, out->neg,
			 &out->nneg);
}

static int list_to(struct pdb *pdb, const struct vs_acl_ent *e, unsigned n,
		   hs_acl_entry **out, u_int *nout)
{
	char name[HS_MAXNAMELEN + 1];
	unsigned i;

	*nout = 0;
	if (!(*out = calloc(n ? n : 1, sizeof **out)))
		return ENOMEM;
	for (i = 0; i < n; i++) {
		if (pdb ? pdb_name_of(pdb, e[i].id, name, sizeof name) :
		    sys_name(e[i].id, name, sizeof name))
			snprintf(name, sizeof name, "%d", (int)e[i].id);
		if (!((*out)[i].name = strdup(name)))
			return ENOMEM;
		(*out)[i].id = e[i].id;
		(*out)[i].rights = e[i].rights;
		*nout = i + 1;
	}
	return 0;
}

int acl_to_wire(struct pdb *pdb, const struct vs_acl *in, hs_acl *out)
{
	int err = list_to(pdb, in->pos, in->npos, &out->pos.pos_val,
			  &out->pos.pos_len);

	return err ? err : list_to(pdb, in->neg, in->nneg, &out->neg.neg_val,
				   &out->neg.neg_len);
}
