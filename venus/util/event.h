/*
 * event.h - venus's event stream: what codacon shows (doc/codacon.1).
 *
 * A sink any layer may call: event_emit copies the event into a bounded
 * ring (EVENT_RING records; the oldest is overwritten) and, if a listener
 * is set, schedules it on the event loop.  It never calls up, never blocks
 * and never allocates, so fsobj, server and reintegration code can report
 * without knowing who listens.  With no listener it returns at once.
 *
 * Readers (ctl_events.c, the "subscribe" control command) keep their own
 * sequence number and copy records out with event_read; a reader that fell
 * more than EVENT_RING behind learns how many it lost.
 *
 * Modelled on Coda's mariner (coda-src/venus/mariner.cc, MarinerLog), which
 * writes free-form "prefix::text" lines to every connected codacon; here the
 * records are typed and the client formats them.
 */
#ifndef VENUS_EVENT_H
#define VENUS_EVENT_H

#include <stdint.h>
#include <time.h>
#include "hesper.h"   /* rpcgen: hs_fid */

/* Records kept for readers that lag. */
#define EVENT_RING 1024

enum event_kind {
	EVK_OPEN,       /* flag: opened for writing */
	EVK_CLOSE,      /* flag: the written flag was set (a store follows) */
	EVK_FETCH,      /* bytes, usec; err if it failed */
	EVK_STORE,      /* bytes, usec; err if it failed */
	EVK_CALLBACK,   /* vice broke a callback promise on fid */
	EVK_CONN,       /* flag: 1 up, 0 unreachable; peer; err */
	EVK_REINT,      /* n records sent in a block, left in the CML; flag:
			 * 1 at the end of a pass (err: why it stopped) */
	EVK_CONFLICT,   /* name: the path; peer: the kind of conflict */
	EVK_NKINDS
};

/* The fields of one event; what each kind uses is listed above.  Strings
 * are copied (and truncated to the record's size). */
struct event_fields {
	const hs_fid *fid;     /* the object, or NULL */
	const char   *name;    /* its name or path, or NULL */
	const char   *peer;    /* server name, conflict kind, or NULL */
	uint64_t      bytes;
	uint64_t      usec;    /* duration in microseconds */
	uint64_t      n, left; /* counts (reintegration) */
	int           flag;
	int           err;     /* 0, a positive errno, or HS_ECONFLICT (reint) */
};

/* One record as readers see it. */
struct event_rec {
	uint64_t        seq;        /* 1, 2, ... since venus started */
	struct timespec when;       /* CLOCK_REALTIME */
	enum event_kind kind;
	int             has_fid;
	hs_fid          fid;
	char            name[256];
	char            peer[64];
	uint64_t        bytes, usec, n, left;
	int             flag, err;
};

/* Record an event (see the top of this file).  f may be NULL. */
void event_emit(enum event_kind kind, const struct event_fields *f);

/* The name of a kind on the wire ("open", "fetch", ...). */
const char *event_kind_name(enum event_kind kind);

/* ---- for readers (ctl_events.c) ---- */

struct event_base;

/* Have fn(arg) run from base's loop, soon after one or more events were
 * emitted (coalesced).  fn NULL stops it; events are then no longer
 * recorded.  0, or ENOMEM. */
int event_listen(struct event_base *base, void (*fn)(void *arg), void *arg);

/* The sequence number the next event will get. */
uint64_t event_next_seq(void);

/* Copy the record with sequence *seq into *out and advance *seq: 1.  0 if
 * there is none yet.  If *seq has been overwritten, *seq moves to the
 * oldest record kept and *lost (added to) counts the records skipped. */
int event_read(uint64_t *seq, struct event_rec *out, uint64_t *lost);

#endif /* VENUS_EVENT_H */
