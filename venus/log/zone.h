/*
 * zone.h - back-pressure on writers: Coda's yellow and red zones.
 *
 * The log is in the red zone when its record count reaches the red limit
 * or its frozen store data ZONE_RED_PCT of cachesize; in the yellow zone
 * likewise with the yellow limit and ZONE_YELLOW_PCT.  The limits are CML
 * entry counts as Coda's (cfs zonelimit RED YELLOW, -1 for none); by
 * default ZONE_RED_PCT and ZONE_YELLOW_PCT of cml_entries, rounded up.
 * Core (fsobj_zone.c) passes the reply to every mutation that grows the
 * log (create, mkdir, symlink, a close or flush that stored, and a front
 * end's own container writes) through zone_admit, so every front end is
 * throttled the same:
 *   - below yellow: the reply goes at once;
 *   - from yellow to red: it waits on a timer growing linearly with the
 *     way from the yellow limit to the red one, from 1 ms to
 *     ZONE_MAX_DELAY_MS, so writers slow down before
 *     the log is full;
 *   - at or past red: it waits until the level is under red again,
 *     re-checked every ZONE_RECHECK_MS and when reintegration frees records
 *     (zone_recheck).
 * Nothing is ever refused and no data is dropped: the mutation is already
 * logged (or the write is in the container) when its reply waits.
 *
 * A red stall is bounded when venus cannot drain the log: while every
 * volume with records is Disconnected (vst_draining), or when no record left the log during the last
 * ZONE_STALL_MAX_S (conflicts can pin it), the reply goes after
 * ZONE_STALL_MAX_S with a LOG_WARNING naming the level.  Stalling for
 * ever would hang every application for as long as vice is away, and an
 * error would lose the user's work; a bounded stall keeps the pressure
 * (each mutation costs seconds) while the log grows past its limit.
 */
#ifndef VENUS_ZONE_H
#define VENUS_ZONE_H

#define ZONE_MAX_DELAY_MS 100
#define ZONE_RECHECK_MS   250
#define ZONE_STALL_MAX_S  10
#define ZONE_YELLOW_PCT   80
#define ZONE_RED_PCT      95
/* A zone limit of none. */
#define ZONE_NOLIMIT      (-1L)

struct cml;

/* The zones of the log; opaque.  One for every volume: the CML is one
 * table on one cache disk and cml_entries one limit, so the pressure is
 * global.  A writer to a volume that is not logging (vst_logging 0) need
 * not pass through it: vst_admit skips the zone for such a volume.
 * volstate owns it (vst_init makes it, vst_zone returns it). */
struct zone;

/* Zones for the log cml, with the default limits.  NULL if out of memory. */
struct zone *zone_new(struct cml *cml);
/* zone_fini, then free z; NULL is fine. */
void zone_free(struct zone *z);

/* Run cont(arg) once the zone admits the reply: at once, after a yellow
 * delay, or after a red stall (see above).  Always runs it exactly once,
 * on the event loop (zone_fini runs the waiting ones); at once for a NULL
 * z. */
void zone_admit(struct zone *z, void (*cont)(void *arg), void *arg);

/* cfs zonelimit: CML entry counts (Coda's order: red, then yellow); a
 * negative limit is ZONE_NOLIMIT.  get returns the limits in force, the
 * defaults derived from cml_entries included. */
void zone_set_limits(struct zone *z, long red, long yellow);
void zone_get_limits(const struct zone *z, long *red, long *yellow);

/* The fill level in percent of cml_entries or cachesize, whichever is
 * fuller (may exceed 100); for messages. */
unsigned zone_level(const struct zone *z);

/* Records left the log (a reintegration block finished): release the red
 * waiters if the level is under red now. */
void zone_recheck(struct zone *z);

/* Shutdown: run every waiting continuation now (z may be NULL). */
void zone_fini(struct zone *z);

#endif /* VENUS_ZONE_H */
