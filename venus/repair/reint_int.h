/*
 * reint_int.h - private to venus/repair/reint*.c: one volume's
 * reintegration (a lane; reint.c runs its passes) and the registry of
 * lanes with the callers waiting on them (reint_run.c).
 */
#ifndef VENUS_REINT_INT_H
#define VENUS_REINT_INT_H

#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "venus/log/cml.h"
#include "venus/repair/reint.h"

/* Users whose records wait for a token, at most (their records wait
 * either way: past it they are only not listed). */
#define REINT_WAIT_MAX 64

/* One reint_run's callers: done once every lane it waits on finished. */
struct rgroup {
	reint_progress_fn progress;
	reint_done_fn     done;
	void             *arg;
	unsigned          pending;   /* lanes (plus a guard while starting) */
	int               err;       /* the worst so far (reint_run.c) */
};

/* A lane's membership in a group. */
struct rmember {
	struct rgroup  *g;
	struct rmember *next;
};

/* Stores of a block staged at once: their HS_STAGED and chunk calls are
 * in flight together (one at a time each), where one store after the
 * other cost two round trips per store.  Bytes in flight stay within a
 * chunk (HS_CHUNK_MAX) per slot. */
#define REINT_STAGE_SLOTS 4

struct lane;

/* One store being staged. */
struct stage_slot {
	struct lane *ln;
	unsigned     row;            /* its row in ln->rows */
	int          busy;           /* a store is staged in it */
	int          fd;             /* its frozen copy, while busy */
	uint64_t     off;            /* next byte of it to send */
	unsigned     gen;            /* ln->gen when it started */
};

/* One volume's reintegration. */
struct lane {
	struct reint   *ri;
	uint32_t        lvol;        /* its local volume number */
	struct lane    *next;
	/* Users whose records vice refused with EACCES when sent without a
	 * token (as System:AnyUser): they wait for one (reint_token). */
	uid_t           refused[REINT_WAIT_MAX];
	unsigned        nrefused;
	/* Users whose records this pass left waiting (and the last pass's:
	 * the log says so once, not at every trickle). */
	uid_t           waiting[REINT_WAIT_MAX], waited[REINT_WAIT_MAX];
	int             why[REINT_WAIT_MAX];  /* EKEYEXPIRED, EACCES */
	unsigned        nwaiting, nwaited;
	int             running;
	int             anon;        /* the block's user held no valid token
	                              * when it was taken */
	/* The front block: being taken, staged, or sent (front_out).  Its
	 * rows are rows0 or what back was, swapped when the front block is
	 * answered while the back one is out. */
	struct cml_row *rows;
	struct cml_row  rows0[REINT_BLOCK];
	uint64_t        inos[2 * REINT_BLOCK];  /* the cached objects rows
	                                         * name (fso_row_inos) */
	unsigned        n;
	/* The back block: sent while the front one is out (cml_take_after:
	 * none of its rows builds on the front's, so vice may apply them in
	 * either order and the front's results change none of them).  Made
	 * at the first use; no stores. */
	struct cml_row *back;
	unsigned        nback;
	int             front_out, back_out;   /* sent, not answered yet */
	unsigned        bgen;        /* + 1 when a pass ends: answers to
	                              * blocks sent before are ignored */
	int             contig;      /* every sendable row up to seq after
	                              * is answered or out: a back block may
	                              * follow (nothing left behind that it
	                              * could build on) */
	uint64_t        after;       /* the newest sent block's last seq */
	unsigned        max;         /* records per block this pass: 1 once
	                              * vice refused a block with EDQUOT */
	unsigned        si;          /* the next row to look at for a store
	                              * to stage */
	struct stage_slot slot[REINT_STAGE_SLOTS];
	unsigned        nbusy;       /* slots staging */
	unsigned        gen;         /* + 1 each time a block is dropped:
	                              * answers to its calls are ignored */
	int             conflicts;   /* refused in this pass */
	int             quota;       /* held for quota in this pass */
	unsigned        sent;        /* records sent in this pass (codacon) */
	uint64_t        sent_bytes;  /* of which stores' data bytes */
	unsigned        blocks;      /* blocks sent in this pass */
	unsigned        backs;       /* of which behind another (the log) */
	struct timespec t0;          /* the pass's start (CLOCK_MONOTONIC) */
	unsigned        min_age;
	time_t          until;       /* 0: no budget */
	int             quota_due;   /* resend quota-held records now */
	time_t          quota_at;    /* when they were last resent */
	uint64_t        quiet_max;   /* a timed resend: refusals of records
	                              * up to this seq were reported before */
	struct rmember *members;
};

/* Every lane (reint.h's struct reint). */
struct reint {
	struct cml  *cml;
	struct lane *lanes;
};

/* reint.c: start a pass of ln (not running). */
void lane_pass(struct lane *ln, unsigned min_age, unsigned budget);
/* reint.c: end ln's pass now with err, if one runs. */
void lane_stop(struct lane *ln, int err);
/* reint.c: lane_stop with ETIMEDOUT, then free ln. */
void lane_free(struct lane *ln);
/* reint.c: reint_waiting and reint_token for one lane. */
unsigned lane_waiting(const struct lane *ln, uid_t *uids, int *why, unsigned max);
int lane_token(struct lane *ln, uid_t uid);
/* reint_run.c: ln's pass ended with err: its groups hear of it. */
void reint_lane_done(struct lane *ln, int err);
/* reint_run.c: a block of ln finished: its groups' progress. */
void reint_lane_progress(struct lane *ln);

#endif /* VENUS_REINT_INT_H */
