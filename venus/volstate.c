/*
 * volstate.c - connection state, write-back mode and the trickle timer
 * (volstate.h).
 */
#include <stdint.h>
#include <syslog.h>
#include <event2/event.h>

#include "venus/venus.h"
#include "venus/server.h"
#include "venus/cml.h"
#include "venus/reint.h"
#include "venus/volstate.h"

static struct {
	unsigned      age, time;   /* the mode; (0, 0) is strong */
	struct event *tick;        /* once a second: trickle */
} W;

enum vst_state vst_state(void)
{
	if (!srv_reachable())
		return VST_DISCONNECTED;
	return W.age || W.time ? VST_WRITEDISC : VST_CONNECTED;
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

int vst_disconnected(void)
{
	return !srv_reachable();
}

int vst_logging(void)
{
	return vst_state() != VST_CONNECTED || cml_count() > 0;
}

/* Reintegrate what is old enough, within the mode's time budget. */
static void trickle(void)
{
	if (!srv_reachable() || reint_running() || !cml_count())
		return;
	if (W.age && cml_oldest_age() < W.age)
		return;
	reint_run(W.age, W.time, NULL, NULL, NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	trickle();
}

/* venus.conf's reintegration_age and reintegration_time, when given, set
 * the starting mode as Coda's do for every volume (venusvol.cc): time 0 is
 * synchronous (strong), anything else write-disconnected with that age and
 * time per trickle pass.  Without them venus starts strong, as it always
 * has, so that close() returns once vice has the data. */
static void start_mode(void)
{
	const struct venus_config *c = &V->cfg;

	if (!c->reint_set || !c->reint_time)
		return;
	W.age = c->reint_age;
	W.time = c->reint_time;
	vlog(LOG_NOTICE, "venus.conf: write-disconnected: reintegration age %u s,"
	     " time %u s", W.age, W.time);
}

void vst_init(void)
{
	struct timeval tv = { 1, 0 };

	start_mode();
	W.tick = event_new(V->base, -1, EV_PERSIST, on_tick, NULL);
	if (W.tick)
		evtimer_add(W.tick, &tv);
}

void vst_fini(void)
{
	if (W.tick)
		event_free(W.tick);
	W.tick = NULL;
}

void vst_set_mode(unsigned age, unsigned time)
{
	W.age = age;
	W.time = time;
	vlog(LOG_NOTICE, "write-back mode: age %u s, time %u s (%s)", age, time,
	     vst_state_name(vst_state()));
	trickle();
}

void vst_get_mode(unsigned *age, unsigned *time)
{
	*age = W.age;
	*time = W.time;
}

void vst_disconnect(void)
{
	vlog(LOG_NOTICE, "cfs disconnect: logging every change until reconnect");
	srv_set_offline(1);
}

void vst_reconnect(void)
{
	vlog(LOG_NOTICE, "cfs reconnect");
	srv_set_offline(0);
}

void vst_server_up(void)
{
	unsigned n = cml_count();

	if (n)
		vlog(LOG_NOTICE, "vice is back: %u CML records to reintegrate", n);
	trickle();
}

void vst_server_down(void)
{
}

void vst_logged(void)
{
	if (!W.age)
		trickle();
}
