/*
 * cml.h - the client modification log (Kistler & Satyanarayanan 1992,
 * "Disconnected Operation in the Coda File System", section 4.4).
 *
 * While a volume is not strongly connected every mutation becomes one row
 * of table cml in venus.db, in log order (seq = the record's store id
 * sequence number, client-unique).  A row holds the XDR-encoded
 * hs_cml_rec (rpc/hesper.x) as vice will receive it, the object it is
 * about and the server version it was based on.  A store row refers to a
 * frozen copy of the file taken at close, <cachedir>/cml/<seq> (FICLONE
 * reflink where the file system has it, else copy_file_range); the copy
 * and the row are durable (fsync, synchronous=FULL) before close(2)
 * returns, so kill -9 of venus loses no closed write.
 *
 * Cancellation (Coda's optimisations): a later store cancels earlier
 * stores and utimes-only setattrs of the object; a setattr cancels earlier
 * setattrs whose fields it overwrites; removing an object created in the
 * log cancels all of its records (identity cancellation).  Rows being
 * reintegrated are frozen and never cancelled.
 *
 * One struct cml is the whole log, every volume's records in one table
 * with a vol column (main.c makes it, V->cml, before anything is logged
 * or replayed); the cml_vol_* queries and cml_take_block look at one
 * volume, so that each volume reintegrates to its own server.
 * Every function that reads or changes the log's rows or its in-memory
 * state takes it first; the helpers on records, fids and paths at the end
 * do not.  Not thread-safe: venus's one event loop calls it.
 *
 * Errors are positive errno values (EIO for SQLite errors, logged).
 */
#ifndef VENUS_CML_H
#define VENUS_CML_H

#include <stdint.h>
#include <sys/types.h>
#include "hesper.h"

/* One row, as read back. */
struct cml_row {
	uint64_t   seq;
	int        op;          /* hs_cml_op */
	hs_fid     obj;         /* the object the record is about */
	hs_fid     dir;         /* its directory (name ops), else zero */
	uint64_t   ino;         /* venus's ino of obj */
	uint64_t   base;        /* server version obj had when first logged */
	uint64_t   size;        /* store: bytes of the frozen copy */
	int        frozen;      /* in flight: neither cancelled nor changed */
	int        conflict;    /* 0, or the status vice refused it with */
	uid_t      uid;         /* the local user it is reintegrated as */
	hs_cml_rec rec;         /* decoded; free with cml_row_free */
	char       name[256];   /* the name it made/removed/renamed, or "" */
};

/* One volume's CML; opaque (cml_int.h). */
struct cml;

/* Open the CML in V->db: make <cachedir>/cml and <cachedir>/conflicts,
 * sweep orphaned frozen copies, move V->next_seq past the log's store ids.
 * Records left by a previous run (or frozen when it died) are kept.
 * The CML, or NULL with *err set (an errno: ENOMEM, EIO, mkdir's). */
struct cml *cml_init(int *err);
/* Free c (the rows stay in venus.db); NULL is fine. */
void cml_fini(struct cml *c);

/* Append rec (its sid set by the caller), made for local user uid, about
 * obj/ino.  For a store,
 * datafd is the container to freeze (else -1); base is the server version
 * obj was at.  Applies cancellation first; may drop rec itself (an
 * identity-cancelled remove).  Runs inside the caller's transaction if one
 * is open, else in its own; either way the caller commits durably with
 * cml_commit.  0 or an errno (nothing logged). */
int cml_append(struct cml *c, uid_t uid, hs_cml_rec *rec, const hs_fid *obj,
	       const hs_fid *dir, uint64_t ino, int datafd, uint64_t base, const char *name);

/* Open a transaction for a local mutation plus its record (synchronous=FULL
 * on commit).  Nests (a savepoint): a rename that replaces a name logs the
 * victim's remove and the rename as one change. */
int cml_begin(struct cml *c);
/* Commit it durably (0), or roll back when err != 0 (the innermost level
 * only).  Returns err or the commit's error. */
int cml_commit(struct cml *c, int err);

/* Does the log hold a create of fid that is not frozen, and no rename of
 * it (so that removing it cancels its whole identity)? */
int cml_identity_cancellable(struct cml *c, const hs_fid *fid);
/* Drop every record about fid (identity cancellation, discardlocal). */
int cml_drop_obj(struct cml *c, const hs_fid *fid);

/* Counts for cfs listvol: records pending, bytes of frozen store data,
 * records in conflict. */
unsigned cml_count(struct cml *c);
uint64_t cml_bytes(struct cml *c);
unsigned cml_conflicts(struct cml *c);
/* Upper bounds of cml_count and cml_bytes without a scan of the log:
 * exact after cml_bounds_reset, then grown by each append (zone.c asks
 * at every logged change; COUNT and SUM over the log made offline work
 * quadratic). */
void cml_bounds(struct cml *c, uint64_t *n, uint64_t *bytes);
/* Read the exact counts into the bounds (and return them). */
void cml_bounds_reset(struct cml *c, uint64_t *n, uint64_t *bytes);
/* Records in conflict (cml_conflicts counts their objects). */
unsigned cml_conflict_records(struct cml *c);
/* The store id sequence number of a record (its log position). */
uint64_t cml_rec_seq(const hs_cml_rec *rec);
/* The record's base_version field, or NULL for ops without one. */
uint64_t *cml_rec_base(hs_cml_rec *rec);
/* Does any record name fid (as object or directory)? */
int cml_names(struct cml *c, const hs_fid *fid);
/* cml_names by two indexed searches (db_cml_named): the same answer
 * without a scan of the volume's CML; reintegration's settling asks it
 * once per object a block names. */
int cml_named(struct cml *c, const hs_fid *fid);
/* Does a live record remove obj from dir, or rename it out of dir (its
 * name there is gone locally whatever vice still lists)?  0 after an
 * SQLite error (logged). */
int cml_gone_from(struct cml *c, const hs_fid *obj, const hs_fid *dir);
/* Seconds since the oldest pending record was logged (0 if none). */
unsigned cml_oldest_age(struct cml *c);

/* Read up to max sendable rows of volume vol (a local volume number,
 * volreg.h: a block goes to one volume's server) in log order (not in conflict, not held by
 * a conflict on their object or directory, logged at least min_age
 * seconds ago) into rows; n set.  The rows are one uid's: the first
 * sendable row's, up to the first row of another uid (a block goes with
 * one user's token).  Rows of a uid for which wait(arg, uid) is nonzero
 * are left, and so are the later rows (any uid's) that build on them:
 * about an object or directory one of them names, or in a directory one
 * of them made (a create in the same directory is independent).  wait may be NULL.
 * Rows are marked frozen.  0 or an errno. */
int cml_take_block(struct cml *c, uint32_t vol, struct cml_row *rows, unsigned max,
		   unsigned min_age, int (*wait)(void *arg, uid_t uid), void *arg, unsigned *n);
/* Rows the last cml_take_block left (waiting, or building on a waiting
 * row): 0 means its block is every sendable row up to its last. */
unsigned cml_take_skipped(const struct cml *c);
/* A block to send while the block dep (ndep rows, sent, unanswered) is in
 * flight: as cml_take_block, but rows after seq after only, and no row
 * left behind: the block ends at the first row that waits, builds on a
 * row of dep (as above), is a store (nothing is staged for it), or is
 * not dep's uid.  vice may apply it before or after dep, and dep's
 * results change none of its rows (fids, bases).  Rows are frozen.
 * 0 or an errno. */
int cml_take_after(struct cml *c, uint32_t vol, uint64_t after, const struct cml_row *dep,
		   unsigned ndep, struct cml_row *rows, unsigned max, unsigned min_age,
		   int (*wait)(void *arg, uid_t uid), void *arg, unsigned *n);
/* Read rows about fid (all of them when fid is NULL) in log order. fn
 * returns nonzero to stop. */
int cml_foreach(struct cml *c, const hs_fid *fid,
		int (*fn)(void *arg, struct cml_row *r), void *arg);
void cml_row_free(struct cml_row *r);
/* Unfreeze every row (after a failed or finished block). */
void cml_thaw(struct cml *c);
/* The record is applied: drop the row and its frozen copy. */
int cml_done(struct cml *c, uint64_t seq);
/* cml_done for a record of op (HS_OP_*): only a store's frozen copy is
 * dropped (the others have none: no unlink per record). */
int cml_done_op(struct cml *c, uint64_t seq, int op);
/* Mark the row in conflict with status (HS_ECONFLICT, EEXIST, ...). */
int cml_set_conflict(struct cml *c, uint64_t seq, int status);
/* Clear the conflict of the row; with nobase its record stops checking the
 * server version (preservelocal). */
int cml_clear_conflict(struct cml *c, uint64_t seq, int nobase);
/* Rebase the pending records of fid on the version vice now has. */
int cml_rebase(struct cml *c, const hs_fid *fid, uint64_t dv);
/* The object's fid changed from a local fid to the server's (isdir: it
 * is a directory, which records may name as theirs). */
int cml_refid(struct cml *c, const hs_fid *oldf, const hs_fid *newf, int isdir);

/* ---- per volume (cml_vol.c); vol is a local volume number ---- */

/* Call fn(arg, vol) for every volume with records in the log, in
 * increasing order; fn returns nonzero to stop.  0 or an errno. */
int cml_vol_foreach(struct cml *c, int (*fn)(void *arg, uint32_t vol), void *arg);
/* vol's records (all, in conflict or not), frozen store bytes, objects in
 * conflict, records held for quota (refused with EDQUOT, cml_set_conflict
 * status EDQUOT), and seconds since its oldest record not in conflict
 * was logged (0 if none).  Advisory: 0 after a logged SQLite error. */
unsigned cml_vol_count(struct cml *c, uint32_t vol);
/* Has vol any record?  What cml_vol_count > 0 says, in one index probe
 * instead of a walk of vol's records (asked at every logged change). */
int cml_vol_any(struct cml *c, uint32_t vol);
uint64_t cml_vol_bytes(struct cml *c, uint32_t vol);
unsigned cml_vol_conflicts(struct cml *c, uint32_t vol);
unsigned cml_vol_quota(struct cml *c, uint32_t vol);
unsigned cml_vol_oldest_age(struct cml *c, uint32_t vol);
/* The newest store id sequence number of vol's records held for quota
 * (0 if none). */
uint64_t cml_vol_quota_max(struct cml *c, uint32_t vol);
/* Unfreeze vol's rows (after its block failed or finished), leaving other
 * volumes' blocks in flight alone. */
void cml_thaw_vol(struct cml *c, uint32_t vol);
/* The same for vol's rows with seq in lo..hi only (a block's range): one
 * rowid range instead of every row of the volume. */
void cml_thaw_range(struct cml *c, uint32_t vol, uint64_t lo, uint64_t hi);
/* vol's records held for quota become sendable again (the admin may have
 * raised the quota): 0 or an errno. */
int cml_quota_retry(struct cml *c, uint32_t vol);

/* The frozen copy of row seq, whose DELETE was just run, is unlinked
 * once that DELETE is committed (at once outside a transaction). */
void cml_data_drop(struct cml *c, uint64_t seq);
/* The transaction that deleted rows ended: unlink their copies if it
 * committed, else keep them (the rows are back). */
void cml_data_settle(struct cml *c, int committed);
/* c's post-commit hook: fn(arg, committed) runs first in every
 * cml_data_settle, so that state above the log (fsobj's removed objects'
 * containers) settles with the same transaction.  main.c registers it
 * (wire.c); one hook per CML, NULL to clear. */
void cml_set_settle_hook(struct cml *c, void (*fn)(void *arg, int committed),
			 void *arg);
/* At start (cml_init): remove copies no row names (left by a death after
 * a commit). */
void cml_data_sweep(struct cml *c);

/* <cachedir>/cml/<seq>. */
void cml_data_path(uint64_t seq, char *buf, size_t len);
/* Copy src (fd) into path durably (reflink if possible).  0 or errno. */
int cml_copy_file(int src, const char *path);
/* The same without fsync: a store's frozen copy (cml_append), which like
 * its row survives kill -9 of venus from the page cache; db_sync (the
 * application's fsync) makes both survive a power cut.  0 or errno. */
int cml_freeze_file(int src, const char *path);

/* The local fid for a new object made by the record with sequence seq. */
void cml_local_fid(uint32_t volume, uint64_t seq, hs_fid *out);
/* Is fid a local fid (HS_LOCAL_VNODE set)? */
int cml_is_local(const hs_fid *fid);

#endif /* VENUS_CML_H */
