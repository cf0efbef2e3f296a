/*
 * util.h - small helpers every venus layer may use (the util layer: no
 * venus state, no calls above it).
 */
#ifndef VENUS_UTIL_H
#define VENUS_UTIL_H

#include "hesper.h"   /* rpcgen: hs_time */

/* The wall clock (CLOCK_REALTIME) as the protocol's hs_time: what venus
 * stamps on objects it changes itself (local mutations, utimensat's
 * UTIME_NOW). */
hs_time vu_time_now(void);

/* 1 if err (a positive errno) means vice is out of reach rather than that
 * it refused the operation: ETIMEDOUT (what srv_call maps every transport
 * failure to), ECONNREFUSED, ECONNRESET, ECONNABORTED, ENOTCONN, EPIPE,
 * EHOSTUNREACH, ENETUNREACH.  The one list: a change that failed so may
 * be logged instead, a hoard walk stops, cfs says "unreachable". */
int vu_net_error(int err);

#endif /* VENUS_UTIL_H */
