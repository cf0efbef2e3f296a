/*
 * common/sdnotify.c - readiness, watchdog and journal detection for
 * systemd units (hesper/sdnotify.h).  libsystemd speaks the protocol;
 * this file only decides when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>

#include "config.h"
#include "hesper/sdnotify.h"
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

static struct event *wd_ev;

void hs_sd_ready(const char *status)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status ? status : "ready",
		   (unsigned long)getpid());
#endif
}

void hs_sd_stopping(void)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
}

#ifdef HAVE_LIBSYSTEMD
static void wd_ping(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}
#endif

int hs_sd_watchdog_start(struct event_base *base)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t usec = 0;
	struct timeval tv;

	if (wd_ev || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	wd_ev = event_new(base, -1, EV_PERSIST, wd_ping, NULL);
	if (!wd_ev || event_add(wd_ev, &tv)) {
		hs_sd_watchdog_stop();
		return -1;
	}
	sd_notify(0, "WATCHDOG=1");
#endif
	return 0;
}

void hs_sd_watchdog_stop(void)
{
	if (wd_ev)
		event_free(wd_ev);
	wd_ev = NULL;
}

int hs_sd_journal_stderr(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}
