/*
 * volstate.c - each volume's connection state, the write-back mode and
 * the trickle timer (volstate.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <syslog.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/net/volreg.h"
#include "venus/log/cml.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"

struct volume {
	uint32_t       lvol;        /* local volume number (volreg.h) */
	unsigned       age, time;   /* the mode; (0, 0) is strong */
	int            retry;       /* resend its quota-held records at the
	                             * next trickle (cfs reconnect) */
	int            down;        /* its server was reported down */
	struct volume *next;
};

/* The one registry: volumes are few (those venus touched) and looked up
 * by a short list walk. */
static struct {
	int              started;
	struct vst_hooks hooks;
	struct cml      *cml;        /* the log (made and freed by main.c) */
	struct zone     *zone;       /* its yellow/red zones */
	unsigned         age, time;  /* the mode of volumes made later */
	struct event    *tick;       /* once a second: trickle */
	struct volume   *vols;
} R;

uint32_t vst_lvol(const struct volume *w)
{
	return w ? w->lvol : 0;
}

enum vst_state vst_state(const struct volume *w)
{
	if (!w || !vr_reachable(w->lvol))
		return VST_DISCONNECTED;
	return w->age || w->time ? VST_WRITEDISC : VST_CONNECTED;
}

const char *vst_state_name(enum vst_state s)
{
	switch (s) {
	case VST_CONNECTED:    return "Connected";
	case VST_WRITEDISC:    return "WriteDisconnected";
	case VST_DISCONNECTED: return "Disconnected";
	}
	return "?";
}

int vst_disconnected(const struct volume *w)
{
	return !w || !vr_reachable(w->lvol);
}

int vst_logging(const struct volume *w)
{
	return vst_state(w) != VST_CONNECTED || cml_vol_any(R.cml, w->lvol);
}

int vst_draining(void)
{
	for (struct volume *w = R.vols; w; w = w->next)
		if (cml_vol_any(R.cml, w->lvol) && vr_reachable(w->lvol))
			return 1;
	return 0;
}

/* Reintegrate what is old enough of w, within the mode's time budget. */
static void trickle(struct volume *w)
{
	int retry = w->retry;

	/* The log first: most volumes have no records, and asking volreg
	 * about one may cost more than a count. */
	if (!cml_vol_any(R.cml, w->lvol)) {
		w->retry = 0;   /* nothing is held for quota */
		return;
	}
	if (!vr_reachable(w->lvol) || R.hooks.busy(R.hooks.arg, w->lvol))
		return;
	if (!retry && w->age && cml_vol_oldest_age(R.cml, w->lvol) < w->age)
		return;
	w->retry = 0;
	R.hooks.trickle(R.hooks.arg, w->lvol, w->age, w->time, retry);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	for (struct volume *w = R.vols; w; w = w->next)
		trickle(w);
}

/* venus.conf's reintegration_age and reintegration_time, when given, set
 * the starting mode as Coda's do for every volume (venusvol.cc): time 0 is
 * synchronous (strong), anything else write-disconnected with that age and
 * time per trickle pass.  Without them venus starts strong, as it always
 * has, so that close() returns once vice has the data. */
static void start_mode(void)
{
	const struct venus_config *c = &V->cfg;

	R.age = R.time = 0;
	if (!c->reint_set || !c->reint_time)
		return;
	R.age = c->reint_age;
	R.time = c->reint_time;
	vlog(LOG_NOTICE, "venus.conf: write-disconnected: reintegration age %u s,"
	     " time %u s", R.age, R.time);
}

struct volume *vst_of(uint32_t lvol)
{
	struct volume *w, **tail = &R.vols;

	if (!R.started)
		return NULL;
	for (w = R.vols; w; w = w->next) {
		if (w->lvol == lvol)
			return w;
		tail = &w->next;
	}
	if (!(w = calloc(1, sizeof *w)))
		return NULL;
	w->lvol = lvol;
	w->age = R.age;
	w->time = R.time;
	*tail = w;   /* in the order made: listings are stable */
	return w;
}

static int adopt(void *arg, uint32_t lvol)
{
	return vst_of(lvol) == NULL;   /* out of memory: stop */
}

struct volume *vst_init(struct srv *srv, struct cml *cml, const struct vst_hooks *hooks)
{
	struct timeval tv = { 1, 0 };

	(void)srv;
	if (R.started)
		vst_fini(NULL);
	R.hooks = *hooks;
	R.cml = cml;
	if (!(R.zone = zone_new(cml)))
		return NULL;
	R.started = 1;
	start_mode();
	/* Records a previous run left trickle from the start, volume by
	 * volume, as each one's server answers. */
	cml_vol_foreach(cml, adopt, NULL);
	R.tick = event_new(V->base, -1, EV_PERSIST, on_tick, NULL);
	if (R.tick)
		evtimer_add(R.tick, &tv);
	return vst_of(1);
}

void vst_fini(struct volume *unused)
{
	struct volume *w;

	(void)unused;
	if (R.tick)
		event_free(R.tick);
	zone_free(R.zone);
	while ((w = R.vols)) {
		R.vols = w->next;
		free(w);
	}
	R.tick = NULL;
	R.zone = NULL;
	R.cml = NULL;
	R.started = 0;
}

void vst_foreach(void (*fn)(void *arg, struct volume *w), void *arg)
{
	for (struct volume *w = R.vols; w; w = w->next)
		fn(arg, w);
}

struct cml *vst_cml(const struct volume *w)
{
	return R.cml;
}

struct zone *vst_zone(const struct volume *w)
{
	return R.zone;
}

void vst_admit(const struct volume *w, void (*cont)(void *arg), void *arg)
{
	if (w && !vst_logging(w))
		cont(arg);
	else
		zone_admit(R.zone, cont, arg);
}

static void set_mode(struct volume *w, unsigned age, unsigned time)
{
	w->age = age;
	w->time = time;
	trickle(w);
}

void vst_set_mode(struct volume *w, unsigned age, unsigned time)
{
	if (w) {
		vlog(LOG_NOTICE, "write-back mode of volume %#x: age %u s, time %u s",
		     (unsigned)w->lvol, age, time);
		set_mode(w, age, time);
		return;
	}
	R.age = age;
	R.time = time;
	vlog(LOG_NOTICE, "write-back mode of every volume: age %u s, time %u s", age, time);
	for (w = R.vols; w; w = w->next)
		set_mode(w, age, time);
}

void vst_get_mode(const struct volume *w, unsigned *age, unsigned *time)
{
	*age = w ? w->age : R.age;
	*time = w ? w->time : R.time;
}

void vst_disconnect(struct volume *w)
{
	vlog(LOG_NOTICE, "cfs disconnect: logging every change until reconnect");
	vr_set_offline(1);
}

void vst_reconnect(struct volume *unused)
{
	vlog(LOG_NOTICE, "cfs reconnect");
	for (struct volume *w = R.vols; w; w = w->next)
		w->retry = 1;
	vr_set_offline(0);
}

void vst_server_up(struct volume *w)
{
	unsigned n = cml_vol_count(R.cml, w->lvol);

	if (n)
		vlog(LOG_NOTICE, "volume %#x: server %s is back: %u CML records to reintegrate",
		     (unsigned)w->lvol, vr_server_name(w->lvol), n);
	w->down = 0;
	trickle(w);
}

/* Is w served by s (or not located yet, so possibly by s)? */
static int served_by(const struct volume *w, struct srv *s)
{
	struct srv *at = vr_srv_of(w->lvol);

	return !s || !at || at == s;
}

void vst_srv_up(struct srv *s)
{
	for (struct volume *w = R.vols; w; w = w->next)
		if (served_by(w, s))
			vst_server_up(w);
}

void vst_srv_down(struct srv *s)
{
	for (struct volume *w = R.vols; w; w = w->next) {
		if (!served_by(w, s) || w->down || vr_reachable(w->lvol))
			continue;
		w->down = 1;
		vlog(LOG_NOTICE, "volume %#x: server %s unreachable: Disconnected, logging",
		     (unsigned)w->lvol, vr_server_name(w->lvol));
	}
}

void vst_kick(struct volume *w)
{
	if (w) {
		trickle(w);
		return;
	}
	for (w = R.vols; w; w = w->next)
		trickle(w);
}

void vst_logged(struct volume *w)
{
	if (w && !w->age)
		trickle(w);
}
