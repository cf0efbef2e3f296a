/*
 * vice/store_time.c - times: the wire's (sec, nsec) and the db's ns.
 */
#include <time.h>
#include "store_int.h"

#define NS 1000000000LL
/* int64 ns covers 1678..2262; clamp outside rather than overflow. */
#define SEC_MAX (INT64_MAX / NS - 1)

int64_t vs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

int64_t vs_time_ns(const hs_time *t)
{
	int64_t s = t->sec;
	unsigned ns = t->nsec < NS ? t->nsec : NS - 1;

	if (s > SEC_MAX)
		s = SEC_MAX;
	if (s < -SEC_MAX)
		s = -SEC_MAX;
	return s * NS + ns;
}

void vs_ns_time(int64_t ns, hs_time *t)
{
	int64_t s = ns / NS, r = ns % NS;

	if (r < 0) {
		r += NS;
		s--;
	}
	t->sec = s;
	t->nsec = (unsigned)r;
}
