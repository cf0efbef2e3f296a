/*
 * test_venus_extents.c - the written-extents set (venus/util/extents.c):
 * ranges stay sorted and merged, the bound merges the closest neighbours
 * and never loses a written byte, cut keeps the smallest size and drops
 * what lies past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "venus/util/extents.h"

static void check_sorted(const struct extset *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		assert_true(e->r[i].off < e->r[i].end);
		if (i)
			assert_true(e->r[i - 1].end < e->r[i].off);
	}
}

static int covered(const struct extset *e, uint64_t off)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->r[i].off <= off && off < e->r[i].end)
			return 1;
	return 0;
}

static void test_merge(void **state)
{
	struct extset e;

	(void)state;
	ext_init(&e, 0);
	assert_int_equal(ext_add(&e, 100, 10), 0);
	assert_int_equal(ext_add(&e, 0, 10), 0);
	assert_int_equal(ext_add(&e, 50, 0), 0);      /* empty: nothing */
	assert_int_equal(e.n, 2);
	ext_add(&e, 10, 5);                            /* touches [0,10) */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.r[0].end, 15);
	ext_add(&e, 12, 95);                           /* spans both */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.r[0].off, 0);
	assert_int_equal(e.r[0].end, 110);
	ext_add(&e, 200, 1);
	ext_add(&e, 150, 1);
	check_sorted(&e);
	assert_int_equal(e.n, 3);
	assert_int_equal(ext_bytes(&e), 112);
	ext_add(&e, UINT64_MAX - 1, 10);               /* clipped */
	assert_int_equal(e.r[e.n - 1].end, UINT64_MAX);
	ext_free(&e);
}

static void test_bound(void **state)
{
	struct extset e;

	(void)state;
	ext_init(&e, 16);
	srandom(7);
	for (int i = 0; i < 1000; i++) {
		uint64_t off = (uint64_t)(random() % 100000);

		ext_add(&e, off, 1 + (uint64_t)(random() % 50));
		check_sorted(&e);
		assert_true(e.n <= 16);
		assert_true(covered(&e, off));
	}
	assert_false(e.whole);
	ext_free(&e);
	/* Gaps 1, 100, 1000: a fourth range merges the closest pair. */
	ext_init(&e, 3);
	ext_add(&e, 0, 1);
	ext_add(&e, 2, 1);
	ext_add(&e, 103, 1);
	ext_add(&e, 2000, 1);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.r[0].off, 0);
	assert_int_equal(e.r[0].end, 3);
	assert_int_equal(e.r[1].off, 103);
	ext_free(&e);
}

static void test_cut(void **state)
{
	struct extset e;

	(void)state;
	ext_init(&e, 0);
	assert_true(e.cut == EXT_NO_CUT);
	ext_add(&e, 0, 10);
	ext_add(&e, 100, 100);
	ext_add(&e, 1000, 10);
	ext_cut(&e, 150);
	assert_int_equal(e.cut, 150);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.r[1].end, 150);
	ext_cut(&e, 5000);                             /* growing keeps cut */
	assert_int_equal(e.cut, 150);
	ext_cut(&e, 100);
	assert_int_equal(e.n, 1);
	ext_whole(&e);
	assert_true(e.whole);
	assert_int_equal(ext_add(&e, 0, 1), 0);
	assert_int_equal(e.n, 0);
	ext_clear(&e);
	assert_false(e.whole);
	assert_true(e.cut == EXT_NO_CUT);
	ext_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
