/*
 * test_venus_rights.c - the rights cache (venus/core/rights.c): rights
 * per (directory, uid) as vice reported them; a callback break on the
 * directory, or a lost connection, makes them stale (still what a
 * disconnected venus goes by, never trusted while connected); a uid
 * without a token gets System:AnyUser's; memory stays within RIGHTS_MAX
 * entries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "venus/util/venus.h"
#include "venus/core/rights.h"
#include "venus/net/token.h"
#include "venus/store/db.h"
#include "test/unit/testlib.h"

static const hs_fid d1 = { 1, 1, 1 }, d2 = { 1, 2, 2 };

static void give_token(uid_t uid, int64_t expires)
{
	struct vtoken t;

	memset(&t, 0, sizeof t);
	t.uid = uid;
	t.len = 4;
	t.expires = expires;
	assert_int_equal(token_set(&t), 0);
}

static int setup(void **state)
{
	(void)state;
	rights_clear();
	give_token(1000, time(NULL) + 3600);
	give_token(1001, time(NULL) + 3600);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	token_drop(1000);
	token_drop(1001);
	token_drop(1002);
	rights_clear();
	return 0;
}

static void test_per_uid(void **state)
{
	unsigned r;

	(void)state;
	assert_int_equal(rights_get(&d1, 1000, &r), ENOENT);
	rights_note(&d1, 1000, HS_R_ALL, HS_R_READ | HS_R_LOOKUP);
	rights_note(&d1, 1001, HS_R_LOOKUP, HS_R_READ | HS_R_LOOKUP);
	assert_int_equal(rights_get(&d1, 1000, &r), 0);
	assert_int_equal(r, HS_R_ALL);
	assert_int_equal(rights_get(&d1, 1001, &r), 0);
	assert_int_equal(r, HS_R_LOOKUP);
	assert_int_equal(rights_get(&d2, 1000, &r), ENOENT);
	/* A newer report replaces the older one. */
	rights_note(&d1, 1000, HS_R_READ, 0);
	assert_int_equal(rights_get(&d1, 1000, &r), 0);
	assert_int_equal(r, HS_R_READ);
	assert_int_equal(rights_count(), 2);
}

static void test_forget_on_break(void **state)
{
	unsigned r;

	(void)state;
	rights_note(&d1, 1000, HS_R_ALL, 0);
	rights_note(&d1, 1001, HS_R_ALL, 0);
	rights_note(&d2, 1000, HS_R_LOOKUP, 0);
	rights_forget(&d1);
	/* Every uid's rights on d1 are stale; d2's hold. */
	assert_int_equal(rights_get(&d1, 1000, &r), ESTALE);
	assert_int_equal(r, HS_R_ALL);
	assert_int_equal(rights_get(&d1, 1001, &r), ESTALE);
	assert_int_equal(rights_get(&d2, 1000, &r), 0);
	assert_int_equal(r, HS_R_LOOKUP);
	/* The next report (vice asked again) is current. */
	rights_note(&d1, 1000, HS_R_LOOKUP, 0);
	assert_int_equal(rights_get(&d1, 1000, &r), 0);
	assert_int_equal(r, HS_R_LOOKUP);
	assert_int_equal(rights_get(&d1, 1001, &r), ESTALE);
}

static void test_stale_after_lost(void **state)
{
	unsigned r;

	(void)state;
	rights_note(&d1, 1000, HS_R_ALL, 0);
	rights_forget_all();
	/* Still known (for a disconnected venus), but to be asked again. */
	assert_int_equal(rights_get(&d1, 1000, &r), ESTALE);
	assert_int_equal(r, HS_R_ALL);
	rights_note(&d1, 1000, HS_R_LOOKUP, 0);
	assert_int_equal(rights_get(&d1, 1000, &r), 0);
	assert_int_equal(r, HS_R_LOOKUP);
}

static void test_anyuser_without_token(void **state)
{
	unsigned r;

	(void)state;
	rights_note(&d1, 1000, HS_R_ALL, HS_R_READ | HS_R_LOOKUP);
	/* 1002 has no token: its calls go as System:AnyUser. */
	assert_int_equal(rights_get(&d1, 1002, &r), 0);
	assert_int_equal(r, HS_R_READ | HS_R_LOOKUP);
	/* An expired token is no token. */
	give_token(1002, time(NULL) - 1);
	assert_int_equal(rights_get(&d1, 1002, &r), 0);
	assert_int_equal(r, HS_R_READ | HS_R_LOOKUP);
	/* AnyUser's rights follow the latest report, whoever's call it was. */
	rights_note(&d1, 1001, HS_R_ALL, HS_R_LOOKUP);
	assert_int_equal(rights_get(&d1, 1002, &r), 0);
	assert_int_equal(r, HS_R_LOOKUP);
	/* Without a token a uid has AnyUser's rights, whatever it had
	 * with the one it held. */
	token_drop(1000);
	assert_int_equal(rights_get(&d1, 1000, &r), 0);
	assert_int_equal(r, HS_R_LOOKUP);
	/* Nothing known of the directory at all: ask vice. */
	assert_int_equal(rights_get(&d2, 1002, &r), ENOENT);
}

static void test_bounded(void **state)
{
	unsigned r, i;
	hs_fid f = { 2, 0, 0 };

	(void)state;
	rights_note(&d1, 1000, HS_R_ALL, 0);
	for (i = 0; i < RIGHTS_MAX + 100; i++) {
		f.vnode = f.unique = i + 10;
		rights_note(&f, 1001, HS_R_LOOKUP, 0);
		if (i == RIGHTS_MAX / 2)   /* used: it stays */
			assert_int_equal(rights_get(&d1, 1000, &r), 0);
	}
	assert_int_equal(rights_count(), RIGHTS_MAX);
	assert_int_equal(rights_get(&d1, 1000, &r), 0);   /* recently used */
	f.vnode = f.unique = 10;                          /* the oldest: gone */
	assert_int_equal(rights_get(&f, 1001, &r), ENOENT);
	f.vnode = f.unique = RIGHTS_MAX + 109;            /* the newest */
	assert_int_equal(rights_get(&f, 1001, &r), 0);
}

/* venus.db keeps what was noted: a restarted venus loads it stale (what a
 * disconnected venus goes by); an entry reused for another is deleted. */
static void test_kept_in_db(void **state)
{
	static struct venus venus;
	char dir[TL_PATH_LEN], path[TL_PATH_LEN + 16];
	unsigned r;
	hs_fid f = { 3, 0, 0 };

	(void)state;
	V = &venus;
	memset(V, 0, sizeof *V);
	tl_mkdtemp(dir, "venus-rights");
	snprintf(path, sizeof path, "%s/venus.db", dir);
	assert_int_equal(db_open(path, &V->db), 0);
	rights_note(&d1, 1000, HS_R_ALL, HS_R_LOOKUP);
	rights_note(&d2, 1001, HS_R_READ | HS_R_LOOKUP, HS_R_LOOKUP);
	rights_forget_all();
	db_close(V->db);
	rights_clear();

	assert_int_equal(db_open(path, &V->db), 0);
	assert_int_equal(rights_load(), 2);
	assert_int_equal(rights_get(&d2, 1001, &r), ESTALE);
	assert_int_equal(r, HS_R_READ | HS_R_LOOKUP);
	assert_int_equal(rights_get(&d1, 1000, &r), ESTALE);   /* used last */
	assert_int_equal(r, HS_R_ALL);
	/* Filling the cache reuses the least recently used: d2's goes,
	 * from venus.db too. */
	for (unsigned i = 0; i < RIGHTS_MAX - 1; i++) {
		f.vnode = f.unique = i + 10;
		rights_note(&f, 1000, HS_R_LOOKUP, 0);
	}
	assert_int_equal(rights_get(&d2, 1001, &r), ENOENT);
	rights_clear();
	assert_int_equal(rights_load(), RIGHTS_MAX);
	assert_int_equal(rights_get(&d2, 1001, &r), ENOENT);
	assert_int_equal(rights_get(&d1, 1000, &r), ESTALE);
	db_close(V->db);
	V = NULL;
	tl_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_per_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_on_break, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_after_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anyuser_without_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_in_db, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
