/*
 * util.c - small helpers every venus layer may use (util.h).
 */
#include <errno.h>
#include <time.h>

#include "venus/util/util.h"

hs_time vu_time_now(void)
{
	struct timespec ts;
	hs_time t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.nsec = (unsigned)ts.tv_nsec;
	return t;
}

int vu_net_error(int err)
{
	switch (err) {
	case ETIMEDOUT:
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case ENOTCONN:
	case EPIPE:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}
