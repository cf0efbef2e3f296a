/*
 * test/unit/testlib.c - temp directories and the load-scaled wait bound
 * for the unit tests (testlib.h).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "test/unit/testlib.h"

void tl_mkdtemp(char buf[TL_PATH_LEN], const char *tag)
{
	int n = snprintf(buf, TL_PATH_LEN, "/tmp/%s-XXXXXX", tag);

	assert_true(n > 0 && n < TL_PATH_LEN);
	assert_non_null(mkdtemp(buf));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

void tl_rmrf(const char *path)
{
	if (path && *path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

unsigned tl_wait_ms(void)
{
	double load[1] = { 0 };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double scale = 1;

	if (cores < 1)
		cores = 1;
	if (getloadavg(load, 1) == 1 && load[0] > 0)
		scale += load[0] / (double)cores;
	if (scale > 10)
		scale = 10;
	return (unsigned)(60000 * scale);
}
