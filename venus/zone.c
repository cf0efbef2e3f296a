/*
 * zone.c - yellow-zone delays and red-zone stalls of mutation replies
 * (zone.h).  Each waiting reply owns one libevent timer.
 */
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "venus/venus.h"
#include "venus/cml.h"
#include "venus/volstate.h"
#include "venus/zone.h"

struct zwait {
	struct zwait *prev, *next;
	struct event *ev;
	void        (*cont)(void *arg);
	void         *arg;
	int           red;       /* stalled (else a yellow delay) */
	time_t        deadline;  /* red: when to stop waiting on a stuck log */
	unsigned      count;     /* red: CML records at the last deadline */
};

static struct zwait zwaiters = { &zwaiters, &zwaiters, NULL, NULL, NULL, 0, 0, 0 };
static unsigned zyellow = 80, zred = 95;

void zone_set_limits(unsigned yellow, unsigned red)
{
	zyellow = yellow;
	zred = red;
}

void zone_get_limits(unsigned *yellow, unsigned *red)
{
	*yellow = zyellow;
	*red = zred;
}

static unsigned percent(uint64_t n, uint64_t limit)
{
	uint64_t p = limit ? n * 100 / limit : 0;

	return p > 100000 ? 100000 : (unsigned)p;
}

unsigned zone_level(void)
{
	unsigned by_n, by_bytes;

	if (!vst_logging())
		return 0;   /* strongly connected: the log is empty */
	by_n = percent(cml_count(), V->cfg.cml_entries);
	by_bytes = percent(cml_bytes(), V->cfg.cachesize);
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
static int zwait_give_up(struct zwait *w, unsigned level)
{
	unsigned n;

	if (time(NULL) < w->deadline)
		return 0;
	n = cml_count();
	if (!vst_disconnected() && n < w->count) {
		w->count = n;
		w->deadline = time(NULL) + ZONE_STALL_MAX_S;
		return 0;
	}
	vlog(LOG_WARNING, "red zone: CML at %u%% (%u records, limit %llu) and %s; "
	     "letting a writer go after %d s stalled", level, n,
	     (unsigned long long)V->cfg.cml_entries,
	     vst_disconnected() ? "Disconnected" : "not draining", ZONE_STALL_MAX_S);
	return 1;
}

static void zwait_fire(evutil_socket_t fd, short what, void *arg)
{
	struct zwait *w = arg;
	struct timeval tv = { 0, ZONE_RECHECK_MS * 1000 };
	unsigned level;

	if (!w->red) {
		zwait_release(w);
		return;
	}
	level = zone_level();
	if (level < zred || zwait_give_up(w, level))
		zwait_release(w);
	else
		evtimer_add(w->ev, &tv);
}

/* Yellow: 1 ms at the yellow limit up to ZONE_MAX_DELAY_MS at red. */
static unsigned yellow_delay_ms(unsigned level)
{
	unsigned span = zred > zyellow ? zred - zyellow : 1;

	return 1 + (ZONE_MAX_DELAY_MS - 1) * (level - zyellow) / span;
}

static void zwait_start(struct zwait *w, unsigned level)
{
	unsigned ms = w->red ? ZONE_RECHECK_MS : yellow_delay_ms(level);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	w->next = zwaiters.next;
	w->prev = &zwaiters;
	zwaiters.next->prev = w;
	zwaiters.next = w;
	evtimer_add(w->ev, &tv);
}

void zone_admit(void (*cont)(void *arg), void *arg)
{
	unsigned level = zone_level();
	struct zwait *w;

	if (level < zyellow || !(w = calloc(1, sizeof(*w)))) {
		cont(arg);
		return;
	}
	if (!(w->ev = evtimer_new(V->base, zwait_fire, w))) {
		free(w);
		cont(arg);
		return;
	}
	w->cont = cont;
	w->arg = arg;
	w->red = level >= zred;
	if (w->red) {
		V->stats.zone_red_stalls++;
		w->count = cml_count();
		w->deadline = time(NULL) + ZONE_STALL_MAX_S;
	} else {
		V->stats.zone_yellow_delays++;
	}
	zwait_start(w, level);
}

void zone_recheck(void)
{
	struct zwait *w, *next;

	if (zwaiters.next == &zwaiters || zone_level() >= zred)
		return;
	for (w = zwaiters.next; w != &zwaiters; w = next) {
		next = w->next;
		if (w->red)
			zwait_release(w);
	}
}

void zone_fini(void)
{
	while (zwaiters.next != &zwaiters)
		zwait_release(zwaiters.next);
}
