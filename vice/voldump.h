/*
 * vice/voldump.h - volume locks, dump files and restore handles of one
 * vice (the state behind HS_VOL_LOCK/DUMP/RESTORE_CHUNK/RESTORE/RELEASE),
 * and the gate vice's dispatch runs before every call (HS_EVBUSY for
 * changes to a locked volume, HS_EMOVED for a volume not here).
 *
 * Locks live in memory: a vice restarted in the middle of a move serves
 * the volume again (the move's restore on the other server either
 * committed -- the VLDB names it, clients go there -- or not).  Dumps are
 * made under <root>/dumps/<id>.dump, restores staged under
 * <root>/restore/<handle>.
 */
#ifndef VICE_VOLDUMP_H
#define VICE_VOLDUMP_H

#include <stdint.h>
#include "vice.h"

/* Volumes locked at once. */
#define VD_LOCK_MAX 64
/* Restores staged at once, bytes in one, and how long (s) one may sit
 * idle before it is dropped. */
#define VD_RESTORE_MAX 4
#define VD_RESTORE_BYTES (64ULL << 30)
#define VD_RESTORE_IDLE 3600

/* 1 if volume id is locked (for a dump or a move). */
int vd_locked(struct vice *v, uint32_t id);
/* Set online = 0 in the n statuses of st whose volume is locked (for
 * HS_GETVOLSTAT and HS_VOL_LIST: Coda's "Off-line" while busy). */
void vd_mark_online(struct vice *v, hs_volstat *st, unsigned n);
/* Lock (on 1) or unlock volume id: 0, ENOENT (not here: unlock of an
 * unknown id is fine), ENOSPC (VD_LOCK_MAX locked), ENOMEM. */
int vd_lock(struct vice *v, uint32_t id, int on);

/* Chunk [off, off+count) of volume id's dump; off 0 makes a fresh dump
 * file first.  *total: the dump's size.  buf gets malloc'd bytes (short
 * at the end; the file goes once its last byte was read).  ESTALE: no
 * dump under way for id (off > 0 without off 0 first). */
int vd_dump_read(struct vice *v, uint32_t id, uint64_t off, unsigned count,
		 char **buf, unsigned *len, uint64_t *total);

/* Write a chunk of restore handle h at off (off must not pass what was
 * received: EINVAL).  EFBIG past VD_RESTORE_BYTES, ENOSPC when
 * VD_RESTORE_MAX handles are open. */
int vd_restore_chunk(struct vice *v, uint64_t h, uint64_t off,
		     const void *data, unsigned len);
/* Make handle h's dump a volume (vs_vol_restore), publish it in the
 * VLDB, and drop the handle.  ESTALE: unknown handle. */
int vd_restore_commit(struct vice *v, uint64_t h, uint32_t id,
		      const char *name, hs_volinfo *out);

/* The volume moved: drop it (vs_vol_release), its lock and dump file. */
int vd_release(struct vice *v, uint32_t id);

/* Before a call of procedure proc runs, with its decoded arguments:
 * 0, HS_EVBUSY (it would change a locked volume) or HS_EMOVED (it names
 * a volume not on this server).  Which fids each procedure names, and
 * whether it changes them, is one table (volgate.c). */
int vd_gate(struct vice *v, uint32_t proc, void *args);

/* Handlers (ops_voldump.c; see vice/ops.h for the shape). */
int op_vol_lock(struct vclient *c, void *args, void *res);
int op_vol_dump(struct vclient *c, void *args, void *res);
int op_vol_restore_chunk(struct vclient *c, void *args, void *res);
int op_vol_restore(struct vclient *c, void *args, void *res);
int op_vol_release(struct vclient *c, void *args, void *res);

/* Free the state at shutdown (staged restores stay on disk until they
 * expire; they are removed at the next start). */
void vd_free(struct vice *v);

#endif /* VICE_VOLDUMP_H */
