/*
 * reint.h - reintegration: the CML replayed to vice (Kistler &
 * Satyanarayanan 1992, section 4.5).
 *
 * Records go in log order, in blocks of at most HS_REINT_MAX; vice applies
 * each block in one transaction.  The data of every store in a block is
 * staged first with HS_STORE_CHUNK under the record's store id, resuming
 * where HS_STAGED says vice already is.  A retried block is harmless: vice
 * recognises store ids it applied.  A record vice refuses (HS_ECONFLICT,
 * EEXIST, ...) stays in the log marked in conflict with its data
 * (conflict.c); records that depend on it wait; the others go on.
 *
 * Each block is one local user's records (cml.uid), sent with that user's
 * token (srv_call_as).  A user whose token expired, or whose records vice
 * refused (EACCES) when sent without one, waits with every record that
 * builds on theirs: nothing is dropped, other users' records go on, and
 * a new token (reint_token) lets them go.  A record vice refuses with
 * EACCES although sent with a token is a conflict, data kept.
 */
#ifndef VENUS_REINT_H
#define VENUS_REINT_H

#include <sys/types.h>

struct srv;
struct cml;

/* The reintegration of one volume's CML to its server; opaque.  main.c
 * makes the one instance (V->reint). */
struct reint;

/* A reintegrator sending the records of cml (not owned) to srv.  NULL
 * when out of memory. */
struct reint *reint_new(struct srv *srv, struct cml *cml);
/* Free ri; a pass still running ends with ETIMEDOUT first.  Call after
 * srv_stop (which fails the calls in flight).  NULL is fine. */
void reint_free(struct reint *ri);

/* Called after each block with the records still pending. */
typedef void (*reint_progress_fn)(void *arg, unsigned remaining);
/* Called once at the end: 0, HS_ECONFLICT (records were refused now or
 * are waiting on a conflict), or the errno that stopped it (ETIMEDOUT). */
typedef void (*reint_done_fn)(void *arg, int err);

/* Reintegrate records at least min_age seconds old, for about budget
 * seconds (0: until the log is empty).  If a pass is already running the
 * callbacks join it.  progress and done may be NULL. */
void reint_run(struct reint *ri, unsigned min_age, unsigned budget, reint_progress_fn progress,
	       reint_done_fn done, void *arg);
/* Is a pass under way? */
int reint_running(const struct reint *ri);
/* The users whose records the last pass left waiting for tokens, at most
 * max, into uids, with why (may be NULL): EKEYEXPIRED (token expired),
 * EACCES (refused without a token).  Returns how many. */
unsigned reint_waiting(const struct reint *ri, uid_t *uids, int *why, unsigned max);
/* uid has a new token (token_set_hook): its records may go again.
 * Returns 1 if they were waiting (the caller starts a pass). */
int reint_token(struct reint *ri, uid_t uid);

#endif /* VENUS_REINT_H */
