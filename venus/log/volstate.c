/*
 * volstate.c - connection state, write-back mode and the trickle timer
 * (volstate.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <syslog.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/net/server.h"
#include "venus/log/cml.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"

struct volume {
	struct vst_hooks hooks;
	struct srv   *srv;         /* the server the volume lives on */
	struct cml   *cml;         /* its log (made and freed by main.c) */
	struct zone  *zone;        /* its log's yellow/red zones */
	unsigned      age, time;   /* the mode; (0, 0) is strong */
	struct event *tick;        /* once a second: trickle */
};

enum vst_state vst_state(const struct volume *w)
{
	if (!w || !srv_reachable(w->srv))
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
	return !w || !srv_reachable(w->srv);
}

int vst_logging(const struct volume *w)
{
	return vst_state(w) != VST_CONNECTED || cml_count(w->cml) > 0;
}

/* Reintegrate what is old enough, within the mode's time budget. */
static void trickle(struct volume *w)
{
	if (!srv_reachable(w->srv) || w->hooks.busy(w->hooks.arg) || !cml_count(w->cml))
		return;
	if (w->age && cml_oldest_age(w->cml) < w->age)
		return;
	w->hooks.trickle(w->hooks.arg, w->age, w->time);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	trickle(arg);
}

/* venus.conf's reintegration_age and reintegration_time, when given, set
 * the starting mode as Coda's do for every volume (venusvol.cc): time 0 is
 * synchronous (strong), anything else write-disconnected with that age and
 * time per trickle pass.  Without them venus starts strong, as it always
 * has, so that close() returns once vice has the data. */
static void start_mode(struct volume *w)
{
	const struct venus_config *c = &V->cfg;

	if (!c->reint_set || !c->reint_time)
		return;
	w->age = c->reint_age;
	w->time = c->reint_time;
	vlog(LOG_NOTICE, "venus.conf: write-disconnected: reintegration age %u s,"
	     " time %u s", w->age, w->time);
}

struct volume *vst_init(struct srv *srv, struct cml *cml, const struct vst_hooks *hooks)
{
	struct timeval tv = { 1, 0 };
	struct volume *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->hooks = *hooks;
	w->srv = srv;
	w->cml = cml;
	if (!(w->zone = zone_new(w))) {
		free(w);
		return NULL;
	}
	start_mode(w);
	w->tick = event_new(V->base, -1, EV_PERSIST, on_tick, w);
	if (w->tick)
		evtimer_add(w->tick, &tv);
	return w;
}

void vst_fini(struct volume *w)
{
	if (!w)
		return;
	if (w->tick)
		event_free(w->tick);
	zone_free(w->zone);
	free(w);
}

struct cml *vst_cml(const struct volume *w)
{
	return w ? w->cml : NULL;
}

struct zone *vst_zone(const struct volume *w)
{
	return w ? w->zone : NULL;
}

void vst_set_mode(struct volume *w, unsigned age, unsigned time)
{
	w->age = age;
	w->time = time;
	vlog(LOG_NOTICE, "write-back mode: age %u s, time %u s (%s)", age, time,
	     vst_state_name(vst_state(w)));
	trickle(w);
}

void vst_get_mode(const struct volume *w, unsigned *age, unsigned *time)
{
	*age = w->age;
	*time = w->time;
}

void vst_disconnect(struct volume *w)
{
	vlog(LOG_NOTICE, "cfs disconnect: logging every change until reconnect");
	srv_set_offline(w->srv, 1);
}

void vst_reconnect(struct volume *w)
{
	vlog(LOG_NOTICE, "cfs reconnect");
	srv_set_offline(w->srv, 0);
}

void vst_server_up(struct volume *w)
{
	unsigned n = cml_count(w->cml);

	if (n)
		vlog(LOG_NOTICE, "vice is back: %u CML records to reintegrate", n);
	trickle(w);
}

void vst_kick(struct volume *w)
{
	if (w)
		trickle(w);
}

void vst_logged(struct volume *w)
{
	if (w && !w->age)
		trickle(w);
}

/* STUB of the contract: every volume shares the one state. */
struct volume *vst_of(uint32_t lvol)
{
	(void)lvol;
	return V->vol;
}
