/*
 * vice/ops.h - handlers of HS_VICE_PROG procedures.
 *
 * Each takes the calling client, the decoded arguments and a zeroed
 * result of the procedure's result type, fills the result's success arm
 * and returns its status (0, a positive errno or HS_ECONFLICT).  Callback
 * breaks a mutation causes are sent before the handler returns, hence
 * before the reply.
 */
#ifndef VICE_OPS_H
#define VICE_OPS_H

#include "vice.h"

/* A handler: see above. */
typedef int (*vice_op)(struct vclient *c, void *args, void *res);

/* Store ids belong to the client whose key bound their client id: 0 if
 * sid is c's (or {0,0}, "none"), else EPERM (logged).  Every handler of
 * a mutation checks its store ids before anything else. */
int vice_sid_check(const struct vclient *c, const hs_storeid *sid);

/* ops.c: session and queries */
int op_connect(struct vclient *c, void *args, void *res);
int op_getroot(struct vclient *c, void *args, void *res);
int op_listvol(struct vclient *c, void *args, void *res);
int op_stats(struct vclient *c, void *args, void *res);
int op_getattr(struct vclient *c, void *args, void *res);
int op_lookup(struct vclient *c, void *args, void *res);
int op_readdir(struct vclient *c, void *args, void *res);
int op_fetch(struct vclient *c, void *args, void *res);
int op_readlink(struct vclient *c, void *args, void *res);
/* ops_getattrs.c: HS_GETATTRS, a batch of HS_GETATTR answers */
int op_getattrs(struct vclient *c, void *args, void *res);
/* ops_volstamp.c: HS_VOLSTAMPS, volume stamps and volume promises */
int op_volstamps(struct vclient *c, void *args, void *res);

/* ops_vldb.c: HS_VLDB_LOOKUP (vldb.h) */
int op_vldb_lookup(struct vclient *c, void *args, void *res);

/* ops_store.c: file contents */
int op_store_chunk(struct vclient *c, void *args, void *res);
int op_store_commit(struct vclient *c, void *args, void *res);
int op_store_delta(struct vclient *c, void *args, void *res);
int op_setattr(struct vclient *c, void *args, void *res);

/* ops_dir.c: namespace */
int op_create(struct vclient *c, void *args, void *res);
int op_mkdir(struct vclient *c, void *args, void *res);
/* mknod: fifo, socket, device node or regular file (HS_MKNOD). */
int op_mknod(struct vclient *c, void *args, void *res);
int op_symlink(struct vclient *c, void *args, void *res);
int op_link(struct vclient *c, void *args, void *res);
int op_remove(struct vclient *c, void *args, void *res);
int op_rmdir(struct vclient *c, void *args, void *res);
int op_rename(struct vclient *c, void *args, void *res);

/* ops_acl.c: access lists (HS_GETACL, HS_SETACL) */
int op_getacl(struct vclient *c, void *args, void *res);
int op_setacl(struct vclient *c, void *args, void *res);
/* The caller of the call being run (System:AnyUser outside a call). */
const struct vident *op_who(struct vclient *c);
/* Fill the caller's rights into a (acl_fill). */
void op_rights(struct vclient *c, hs_attr *a);

/* ops_reint.c: reintegration */
int op_reintegrate(struct vclient *c, void *args, void *res);
int op_staged(struct vclient *c, void *args, void *res);

/* ops_vol.c: volume status, quotas, mount points, administration */
int op_getvolstat(struct vclient *c, void *args, void *res);
int op_setquota(struct vclient *c, void *args, void *res);
int op_mkmount(struct vclient *c, void *args, void *res);
int op_vol_create(struct vclient *c, void *args, void *res);
int op_vol_remove(struct vclient *c, void *args, void *res);
int op_vol_rename(struct vclient *c, void *args, void *res);
int op_vol_list(struct vclient *c, void *args, void *res);
/* 0 if the realm has a volume named name, else ENOENT (HS_MKMOUNT). */
int vol_exists(struct vice *v, const char *name);

#endif /* VICE_OPS_H */
