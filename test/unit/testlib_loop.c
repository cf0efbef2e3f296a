/*
 * test/unit/testlib_loop.c - waits on the event loop, bounded by
 * load-scaled wall-clock time (testlib.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/time.h>
#include <cmocka.h>
#include <event2/event.h>
#include "test/unit/testlib.h"

static long ms_since(const struct timeval *t0)
{
	struct timeval t1;

	gettimeofday(&t1, NULL);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_usec - t0->tv_usec) / 1000;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int tl_run_cond(struct event_base *base, int (*cond)(void *arg), void *arg)
{
	struct timeval t0, every = { 0, 10000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, tick, NULL);
	long limit = (long)tl_wait_ms();
	int ok;

	assert_non_null(ev);
	event_add(ev, &every);
	gettimeofday(&t0, NULL);
	while (!(ok = cond(arg)) && ms_since(&t0) <= limit)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return ok;
}

static int flag_set(void *arg)
{
	return *(const int *)arg != 0;
}

void tl_run_until(struct event_base *base, const int *flag)
{
	assert_true(tl_run_cond(base, flag_set, (void *)flag));
}
