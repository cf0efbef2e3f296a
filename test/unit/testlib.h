/*
 * test/unit/testlib.h - what the unit tests share: temp directories, a
 * bounded event-loop wait, and an XDR "nothing"; testlib_vice.h adds
 * vice's store on a temp root and a vice serving test clients.
 *
 * Every function fails the running cmocka test (assert_*) rather than
 * returning an error, so a test reads as its steps.  Waits are bounded by
 * wall-clock time scaled with the machine's load, never by a count of
 * loop turns, so that a busy machine slows a test down but does not fail
 * it.  Needs cmocka and libevent.
 */
#ifndef TEST_UNIT_TESTLIB_H
#define TEST_UNIT_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/rpc.h>

struct event_base;

/* libtirpc declares xdr_void(void), which does not cast to xdrproc_t;
 * this is the two-argument "nothing" for absent args or results.  Inline
 * so that tools without cmocka (test/tools/rpcfuzz.c) can use it. */
static inline bool_t tl_xdr_none(XDR *x, void *p)
{
	(void)x;
	(void)p;
	return TRUE;
}
#define TL_XDR_NONE ((xdrproc_t)tl_xdr_none)

/* ---- temp directories ---- */

/* Room for "/tmp/<tag>-XXXXXX" with a tag of up to 40 bytes. */
#define TL_PATH_LEN 64

/* Make a fresh directory "/tmp/<tag>-XXXXXX" (mode 0700) into buf. */
void tl_mkdtemp(char buf[TL_PATH_LEN], const char *tag);
/* rm -rf path (nftw, not following symlinks); missing is fine. */
void tl_rmrf(const char *path);

/* ---- waiting on the loop ---- */

/* The bound of every wait, in ms: 60 s, times (1 + load / cores) so that
 * a loaded machine (ASan, parallel make) gets longer. */
unsigned tl_wait_ms(void);
/* Run base until cond(arg) is true; 1 if it became true, 0 if
 * tl_wait_ms() passed first.  A 10 ms tick keeps the loop turning (and
 * the deadline checked) when nothing else is pending. */
int tl_run_cond(struct event_base *base, int (*cond)(void *arg), void *arg);
/* Run base until *flag is non-zero; fails the test if it never is. */
void tl_run_until(struct event_base *base, const int *flag);

#endif /* TEST_UNIT_TESTLIB_H */
