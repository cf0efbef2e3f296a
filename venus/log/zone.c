/*
 * zone.c - yellow-zone delays and red-zone stalls of mutation replies
 * (zone.h).  Each waiting reply owns one libevent timer.
 */
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"

struct zwait {
	struct zwait *prev, *next;
	struct event *ev;
	void        (*cont)(void *arg);
	void         *arg;
	int           red;       /* stalled (else a yellow delay) */
	time_t        deadline;  /* red: when to stop waiting on a stuck log */
	unsigned      count;     /* red: CML records at the last deadline */
	struct zone  *z;
};

/* Entry limits set by cfs zonelimit; ZONE_DEFAULT until then (derived
 * from cml_entries), ZONE_NOLIMIT for none. */
#define ZONE_DEFAULT (-2)

struct zone {
	struct cml    *cml;      /* the log (every volume's records) */
	struct zwait   waiters;  /* list head */
	long           red_n, yellow_n;
};

struct zone *zone_new(struct cml *cml)
{
	struct zone *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->cml = cml;
	z->waiters.next = z->waiters.prev = &z->waiters;
	z->red_n = z->yellow_n = ZONE_DEFAULT;
	return z;
}

/* pct percent of n, rounded up: the first count at or past it; no limit
 * when n is 0 (no limit configured). */
static long pct_of(uint64_t n, unsigned pct)
{
	return n ? (long)((n * pct + 99) / 100) : ZONE_NOLIMIT;
}

void zone_set_limits(struct zone *z, long red, long yellow)
{
	z->red_n = red < 0 ? ZONE_NOLIMIT : red;
	z->yellow_n = yellow < 0 ? ZONE_NOLIMIT : yellow;
}

void zone_get_limits(const struct zone *z, long *red, long *yellow)
{
	*red = z->red_n == ZONE_DEFAULT ? pct_of(V->cfg.cml_entries, ZONE_RED_PCT) : z->red_n;
	*yellow = z->yellow_n == ZONE_DEFAULT ?
		  pct_of(V->cfg.cml_entries, ZONE_YELLOW_PCT) : z->yellow_n;
}

/* Zone of value v between limits y and r (either may be ZONE_NOLIMIT):
 * 0 green, 1 yellow, 2 red; *frac how far from yellow to red, 0..1000. */
static int zone_of(uint64_t v, long y, long r, unsigned *frac)
{
	*frac = 0;
	if (r >= 0 && v >= (uint64_t)r)
		return 2;
	if (y < 0 || v < (uint64_t)y)
		return 0;
	if (r > y)
		*frac = (unsigned)((v - (uint64_t)y) * 1000 / (uint64_t)(r - y));
	return 1;
}

/* The zone of n records and b frozen bytes. */
static int zone_of_log(const struct zone *z, uint64_t n, uint64_t b, unsigned *frac)
{
	long r, y;
	unsigned fn, fb;
	int zn, zb;

	*frac = 0;
	if (!n)
		return 0;   /* the log is empty (every volume strongly connected) */
	zone_get_limits(z, &r, &y);
	zn = zone_of(n, y, r, &fn);
	zb = zone_of(b, pct_of(V->cfg.cachesize, ZONE_YELLOW_PCT),
		     pct_of(V->cfg.cachesize, ZONE_RED_PCT), &fb);
	*frac = zn == zb ? (fn > fb ? fn : fb) : zn > zb ? fn : fb;
	return zn > zb ? zn : zb;
}

/* The log's zone now: the worse of its record count against the entry
 * limits and its frozen bytes against ZONE_*_PCT of cachesize.  Green by
 * the log's bounds needs no count; else the exact counts decide. */
static int zone_now(const struct zone *z, unsigned *frac)
{
	uint64_t n, b;

	cml_bounds(z->cml, &n, &b);
	if (!zone_of_log(z, n, b, frac))
		return 0;
	cml_bounds_reset(z->cml, &n, &b);
	return zone_of_log(z, n, b, frac);
}

static unsigned percent(uint64_t n, uint64_t limit)
{
	uint64_t p = limit ? n * 100 / limit : 0;

	return p > 100000 ? 100000 : (unsigned)p;
}

unsigned zone_level(const struct zone *z)
{
	unsigned by_n, by_bytes;

	if (!cml_count(z->cml))
		return 0;
	by_n = percent(cml_count(z->cml), V->cfg.cml_entries);
	by_bytes = percent(cml_bytes(z->cml), V->cfg.cachesize);
	return by_n > by_bytes ? by_n : by_bytes;
}

static void zwait_release(struct zwait *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	event_free(w->ev);
	w->cont(w->arg);
	free(w);
}

/* Past the deadline: give up if the log cannot drain, else wait on. */
static int zwait_give_up(struct zwait *w)
{
	struct zone *z = w->z;

	unsigned n;

	if (time(NULL) < w->deadline)
		return 0;
	n = cml_count(z->cml);
	if (vst_draining() && n < w->count) {
		w->count = n;
		w->deadline = time(NULL) + ZONE_STALL_MAX_S;
		return 0;
	}
	vlog(LOG_WARNING, "red zone: CML at %u%% (%u records, limit %llu) and %s; "
	     "letting a writer go after %d s stalled", zone_level(z), n,
	     (unsigned long long)V->cfg.cml_entries,
	     vst_draining() ? "not draining" : "Disconnected", ZONE_STALL_MAX_S);
	return 1;
}

static void zwait_fire(evutil_socket_t fd, short what, void *arg)
{
	struct zwait *w = arg;
	struct timeval tv = { 0, ZONE_RECHECK_MS * 1000 };
	unsigned frac;

	if (!w->red) {
		zwait_release(w);
		return;
	}
	if (zone_now(w->z, &frac) < 2 || zwait_give_up(w))
		zwait_release(w);
	else
		evtimer_add(w->ev, &tv);
}

/* Yellow: 1 ms at the yellow limit up to ZONE_MAX_DELAY_MS at red
 * (frac: 0..1000 of the way). */
static unsigned yellow_delay_ms(unsigned frac)
{
	return 1 + (ZONE_MAX_DELAY_MS - 1) * (frac > 1000 ? 1000 : frac) / 1000;
}

static void zwait_start(struct zwait *w, unsigned frac)
{
	unsigned ms = w->red ? ZONE_RECHECK_MS : yellow_delay_ms(frac);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	w->next = w->z->waiters.next;
	w->prev = &w->z->waiters;
	w->z->waiters.next->prev = w;
	w->z->waiters.next = w;
	evtimer_add(w->ev, &tv);
}

void zone_admit(struct zone *z, void (*cont)(void *arg), void *arg)
{
	unsigned frac;
	int zone = z ? zone_now(z, &frac) : 0;
	struct zwait *w;

	if (!zone || !(w = calloc(1, sizeof(*w)))) {
		cont(arg);
		return;
	}
	if (!(w->ev = evtimer_new(V->base, zwait_fire, w))) {
		free(w);
		cont(arg);
		return;
	}
	w->z = z;
	w->cont = cont;
	w->arg = arg;
	w->red = zone == 2;
	if (w->red) {
		V->stats.zone_red_stalls++;
		w->count = cml_count(z->cml);
		w->deadline = time(NULL) + ZONE_STALL_MAX_S;
	} else {
		V->stats.zone_yellow_delays++;
	}
	zwait_start(w, frac);
}

void zone_recheck(struct zone *z)
{
	struct zwait *w, *next;
	unsigned frac;

	if (!z || z->waiters.next == &z->waiters || zone_now(z, &frac) == 2)
		return;
	for (w = z->waiters.next; w != &z->waiters; w = next) {
		next = w->next;
		if (w->red)
			zwait_release(w);
	}
}

void zone_fini(struct zone *z)
{
	while (z && z->waiters.next != &z->waiters)
		zwait_release(z->waiters.next);
}

void zone_free(struct zone *z)
{
	zone_fini(z);
	free(z);
}
