/*
 * reint.h - reintegration: the CML replayed to vice (Kistler &
 * Satyanarayanan 1992, section 4.5), volume by volume.
 *
 * Each volume's records go to that volume's server (vr_call_as), in log
 * order, in blocks of at most REINT_BLOCK of that volume only; vice
 * applies each block in one transaction.  Volumes reintegrate
 * independently and at once: one volume's failure, or its server being
 * down, never stops another's.  The data of every store in a block is
 * staged first with HS_STORE_CHUNK under the record's store id, resuming
 * where HS_STAGED says vice already is.  A retried block is harmless: vice
 * recognises store ids it applied.  A record vice refuses (HS_ECONFLICT,
 * EEXIST, ...) stays in the log marked in conflict with its data
 * (conflict.c); records that depend on it wait; the others go on.
 *
 * A record refused with EDQUOT (the volume is over its quota) stays in
 * the log with its data, marked held for quota (conflict status EDQUOT,
 * conflict_quota reports it); the records that build on it wait with it.
 * vice refuses a whole block with EDQUOT: the volume's pass then sends one
 * record per block to find the one.  Held records are sent again at the
 * next explicit pass (reint_run: cfs forcereintegrate, preservelocal; cfs
 * reconnect through reint_retry_quota) and by the trickle every
 * REINT_QUOTA_RETRY_S seconds, so raising the quota lets them go.
 *
 * Each block is one local user's records (cml.uid), sent with that user's
 * token.  A user whose token expired, or whose records vice refused
 * (EACCES) when sent without one, waits with every record that builds on
 * theirs: nothing is dropped, other users' records go on, and a new token
 * (reint_token) lets them go.  A record vice refuses with EACCES although
 * sent with a token is a conflict, data kept.
 */
#ifndef VENUS_REINT_H
#define VENUS_REINT_H

#include <stdint.h>
#include <sys/types.h>

struct srv;
struct cml;

/* The reintegration of every volume's records; opaque.  main.c makes the
 * one instance (V->reint). */
struct reint;

/* Records per HS_REINTEGRATE block: the wire's HS_REINT_MAX (Coda sends
 * ~100).  Still one short vice transaction (one commit per block); 100
 * made a block's round trip and commit dominate metadata records. */
#define REINT_BLOCK HS_REINT_MAX
/* Seconds between the trickle's retries of records held for quota. */
#define REINT_QUOTA_RETRY_S 60

/* A reintegrator sending the records of cml (not owned), each volume's to
 * its server (srv is unused: volreg.h knows the servers).  NULL when out
 * of memory. */
struct reint *reint_new(struct srv *srv, struct cml *cml);
/* Free ri; passes still running end with ETIMEDOUT first.  Call after
 * the servers are stopped (which fails the calls in flight).  NULL is
 * fine. */
void reint_free(struct reint *ri);

/* Called after each block with the records still pending (every
 * volume's, not in conflict). */
typedef void (*reint_progress_fn)(void *arg, unsigned remaining);
/* Called once at the end: 0; HS_ECONFLICT (records were refused now or
 * are waiting on a conflict); EDQUOT (records are held for quota);
 * or the errno that stopped a volume (ETIMEDOUT: its server is down; its
 * records stay). */
typedef void (*reint_done_fn)(void *arg, int err);

/* Reintegrate every volume with records, each on its own, records at
 * least min_age seconds old, for about budget seconds (0: until the log
 * is empty); records held for quota are sent again.  done runs when every
 * volume's pass is over; a volume whose server is unreachable is not
 * tried (ETIMEDOUT).  A volume's pass already running is joined.
 * progress and done may be NULL. */
void reint_run(struct reint *ri, unsigned min_age, unsigned budget, reint_progress_fn progress,
	       reint_done_fn done, void *arg);
/* The same for local volume lvol only (the trickle). */
void reint_run_vol(struct reint *ri, uint32_t lvol, unsigned min_age, unsigned budget,
		   reint_progress_fn progress, reint_done_fn done, void *arg);
/* The next pass of lvol sends its records held for quota again. */
void reint_retry_quota(struct reint *ri, uint32_t lvol);
/* Is a pass under way (of any volume; of lvol)? */
int reint_running(const struct reint *ri);
int reint_vol_running(const struct reint *ri, uint32_t lvol);
/* The users whose records the last passes left waiting for tokens (any
 * volume), at most max, into uids, with why (may be NULL): EKEYEXPIRED
 * (token expired), EACCES (refused without a token).  Returns how many. */
unsigned reint_waiting(const struct reint *ri, uid_t *uids, int *why, unsigned max);
/* uid has a new token (token_set_hook): its records may go again.
 * Returns 1 if they were waiting (the caller starts a pass). */
int reint_token(struct reint *ri, uid_t uid);

#endif /* VENUS_REINT_H */
