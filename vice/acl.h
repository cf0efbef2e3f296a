/*
 * vice/acl.h - who may do what: Coda's access lists and its per-call
 * semantics checks (Coda's vice/srv/srvproc.cc Check*Semantics).
 *
 * Rights on a directory = union of its positive entries whose id is in
 * the caller's CPS, minus the union of its negative entries in the CPS;
 * members of System:Administrators always have at least l and a (so an
 * admin can repair any ACL).  A non-directory uses the ACL of the
 * directory that holds it.  Mode bits only narrow (Coda): a file whose
 * owner-read (0400) bit is clear is read by its owner only, one whose
 * owner-write (0200) bit is clear is written by its owner only.
 *
 * Every check returns 0, EACCES (a right is missing), EPERM (an owner's
 * or administrator's privilege: chown, chmod, set-id bits, device nodes),
 * EXDEV (a hard link or rename would put a file under a second ACL), or
 * the store's error looking the objects up (ESTALE, ...).  who is the
 * call's caller (struct vident, vice.h).
 */
#ifndef VICE_ACL_H
#define VICE_ACL_H

#include "vice.h"
#include "store.h"

struct pdb;

/* who's rights (HS_R_*) under acl. */
unsigned acl_eval(const struct vs_acl *acl, const struct vident *who);
/* who's and System:AnyUser's rights on the directory covering fid (any
 * may be NULL). */
int acl_rights(struct vstore *vs, const struct vident *who, const hs_fid *fid,
	       unsigned *rights, unsigned *any);
/* acl_memo.c: from acl_memo_begin to acl_memo_end, acl_rights for who
 * (the same pointer) remembers each directory's rights: for the span of
 * one reintegration call, in which no ACL changes.  begin: 0, or -1
 * without memory (then nothing is remembered). */
int acl_memo_begin(const struct vident *who);
void acl_memo_end(void);
/* acl_memo.c, for acl_rights: 1 and who's and System:AnyUser's rights on
 * dir if remembered, else 0; put remembers them (nothing outside a span
 * or for another who). */
int acl_memo_get(const struct vident *who, const hs_fid *dir, unsigned *rights,
		 unsigned *any);
void acl_memo_put(const struct vident *who, const hs_fid *dir, unsigned rights,
		  unsigned any);
/* acl_parent.c: from acl_parent_begin to acl_parent_end (acl_memo_begin
 * and acl_memo_end call them), acl_rights remembers the directory that
 * covers each object (vs_obj_dir's answer).  begin: 0, or -1 without
 * memory (nothing remembered).  get: 1 and *dir if remembered, else 0;
 * put remembers (nothing outside a span).  forget: every entry dropped,
 * after a record that moves or drops names is checked (ops_reint.c). */
int acl_parent_begin(void);
void acl_parent_end(void);
int acl_parent_get(const hs_fid *obj, hs_fid *dir);
void acl_parent_put(const hs_fid *obj, const hs_fid *dir);
void acl_parent_forget(void);
/* Set a->rights and a->anyrights (nothing if a is empty or gone). */
void acl_fill(struct vstore *vs, const struct vident *who, hs_attr *a);

/* getattr, lookup, readdir, readlink of fid (or in dir fid): l. */
int acl_lookup(struct vstore *vs, const struct vident *who, const hs_fid *fid);
/* fetch: r on the file's directory, and the owner-read bit unless the
 * caller owns the file. */
int acl_fetch(struct vstore *vs, const struct vident *who, const hs_fid *fid);
/* store (commit or chunk): w, and the owner-write bit unless the caller
 * owns it; the owner of a file never written since its create needs no w
 * (Coda's "virgin" file: an i-only drop box works). */
int acl_store(struct vstore *vs, const struct vident *who, const hs_fid *fid);
/* setattr: see acl.c. */
int acl_setattr(struct vstore *vs, const struct vident *who,
		const hs_setattr_args *a);
/* The attributes a store of fid sets (protocol 6, hs_store_set): 0 for
 * none; EINVAL for a bit other than HS_SET_MODE/UID/GID/ATIME; else
 * acl_setattr of those fields, so a store checks them exactly as the
 * HS_SETATTR it replaces. */
int acl_store_set(struct vstore *vs, const struct vident *who,
		  const hs_fid *fid, const hs_store_set *set);
/* create, mkdir, symlink, mknod in dir: i; device nodes: administrators.
 * *uid becomes the caller's id unless the caller is an administrator. */
int acl_make(struct vstore *vs, const struct vident *who, const hs_fid *dir,
	     hs_ftype type, unsigned *uid);
/* link: i on dir; a target in another directory must be under an equal
 * ACL (else EXDEV: Coda refuses every cross-directory link). */
int acl_link(struct vstore *vs, const struct vident *who,
	     const hs_link_args *a);
/* remove, rmdir: d on dir. */
int acl_remove(struct vstore *vs, const struct vident *who,
	       const hs_remove_args *a);
/* rename: d on the source dir, i on the target dir (and d there when a
 * name is replaced); a file with several links moves only between
 * directories with equal ACLs (EXDEV). */
int acl_rename(struct vstore *vs, const struct vident *who,
	       const hs_rename_args *a);
/* One reintegration record (fids resolved): the check of its operation;
 * may rewrite a create's owner.  Fits vs_reint_check with arg = who. */
int acl_record(struct vstore *vs, const struct vident *who, hs_cml_rec *rec);

/* HS_GETACL: l or a on dir.  HS_SETACL: a on dir. */
int acl_may_get(struct vstore *vs, const struct vident *who, const hs_fid *dir);
int acl_may_set(struct vstore *vs, const struct vident *who, const hs_fid *dir);

/* Wire form <-> stored form.  Names are pdb names (pdb may be NULL: then
 * only the System:* groups and numbers are known); a decimal number is
 * taken as an id.  to_wire: ids without a name get their number as name.
 * 0, ENOENT (unknown name), EINVAL (more than HS_ACL_MAX), ENOMEM. */
int acl_from_wire(struct pdb *pdb, const hs_acl *in, struct vs_acl *out);
int acl_to_wire(struct pdb *pdb, const struct vs_acl *in, hs_acl *out);

#endif /* VICE_ACL_H */
