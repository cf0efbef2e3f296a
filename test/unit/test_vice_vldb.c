/*
 * test/unit/test_vice_vldb.c - the VLDB's SQLite backend (vice/vldb.h,
 * vldb_sqlite.c) on a store in a temp root: start-up sync of the local
 * volumes, lookups by id and name, unique names, renames, ids that are
 * never handed out twice (not even after a removal or a restart), stale
 * entries dropped at sync; and the etcd client's base64 (vice/etcd.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vice/store.h"
#include "vice/vldb.h"
#include "vice/etcd.h"
#include "test/unit/testlib_vice.h"

struct world {
	struct tl_store s;
	struct vice v;
};

static void vldb_up(struct world *w)
{
	struct vldb_opts o = { "sqlite", NULL, w->s.root };
	char err[256];

	w->v.vs = w->s.vs;
	w->v.realm = "unit.test";
	assert_int_equal(vldb_open(&w->v, &o, err, sizeof err), 0);
	assert_int_equal(vldb_set_address(&w->v, "vice.unit.test", 2432), 0);
	assert_int_equal(vldb_sync(&w->v), 0);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_store_open(&w->s, "vice-vldb");
	vldb_up(w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vldb_close(&w->v);
	tl_store_close(&w->s);
	free(w);
	return 0;
}

/* A vice restart: VLDB and store closed and opened again. */
static void restart(struct world *w)
{
	vldb_close(&w->v);
	tl_store_reopen(&w->s);
	vldb_up(w);
}

/* Look up by id (name NULL) or name: the status, and out's id. */
static int look(struct world *w, uint32_t id, const char *name, uint32_t *out)
{
	hs_vldb_args a = { id, (char *)(name ? name : "") };
	hs_vldb_entry e;
	int r = vldb_lookup(&w->v, &a, &e);

	if (!r) {
		assert_int_equal(e.servers.servers_len, 1);
		assert_string_equal(e.servers.servers_val[0].host, "vice.unit.test");
		assert_int_equal(e.servers.servers_val[0].port, 2432);
		if (name)
			assert_string_equal(e.name, name);
		*out = e.id;
		xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)&e);
	}
	return r;
}

static void test_root_published(void **state)
{
	struct world *w = *state;
	uint32_t id = 0;
	int make = 0;

	assert_int_equal(look(w, 0, "root", &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(look(w, 1, NULL, &id), 0);
	assert_int_equal(vldb_root_volume(&w->v), 1);
	assert_int_equal(vldb_want_root(&w->v, &make), 0);
	assert_int_equal(make, 1);
	assert_int_equal(look(w, 77, NULL, &id), ENOENT);
	assert_int_equal(look(w, 0, "nosuch", &id), ENOENT);
	assert_int_equal(look(w, HS_VOLID_MAX + 1, NULL, &id), ENOENT);
	assert_int_equal(look(w, 0, "", &id), EINVAL);
}

static void test_publish_unique_names(void **state)
{
	struct world *w = *state;
	uint32_t a, b, id;

	assert_int_equal(vldb_alloc_id(&w->v, &a), 0);
	assert_true(a > 1);
	assert_int_equal(vldb_publish(&w->v, a, "users"), 0);
	assert_int_equal(vldb_alloc_id(&w->v, &b), 0);
	assert_true(b > a);
	assert_int_equal(vldb_publish(&w->v, b, "users"), EEXIST);
	assert_int_equal(vldb_publish(&w->v, b, "root"), EEXIST);
	assert_int_equal(vldb_publish(&w->v, b, "projects"), 0);
	assert_int_equal(look(w, 0, "users", &id), 0);
	assert_int_equal(id, a);
	/* A rename: the old name is free again. */
	assert_int_equal(vldb_publish(&w->v, a, "homes"), 0);
	assert_int_equal(look(w, 0, "users", &id), ENOENT);
	assert_int_equal(look(w, a, NULL, &id), 0);
	assert_int_equal(vldb_publish(&w->v, b, "users"), 0);
	/* Bad arguments. */
	assert_int_equal(vldb_publish(&w->v, 0, "x"), EINVAL);
	assert_int_equal(vldb_publish(&w->v, a, "a/b"), EINVAL);
	assert_int_equal(vldb_publish(&w->v, HS_VOLID_MAX + 1, "x"), EINVAL);
}

static void test_ids_never_reused(void **state)
{
	struct world *w = *state;
	uint32_t a, b, c, id;

	assert_int_equal(vldb_alloc_id(&w->v, &a), 0);
	assert_int_equal(vldb_publish(&w->v, a, "tmp"), 0);
	assert_int_equal(vldb_unpublish(&w->v, a), 0);
	assert_int_equal(look(w, a, NULL, &id), ENOENT);
	assert_int_equal(look(w, 0, "tmp", &id), ENOENT);
	assert_int_equal(vldb_unpublish(&w->v, a), 0);   /* already gone */
	assert_int_equal(vldb_alloc_id(&w->v, &b), 0);
	assert_true(b > a);
	/* An id given by hand moves the counter past it. */
	assert_int_equal(vldb_publish(&w->v, 500, "byhand"), 0);
	restart(w);
	assert_int_equal(vldb_alloc_id(&w->v, &c), 0);
	assert_true(c > 500);
}

static void test_sync_drops_stale(void **state)
{
	struct world *w = *state;
	uint32_t id;

	/* Entries for volumes the store does not have (this is only the
	 * VLDB): the next start drops them, and keeps the root. */
	assert_int_equal(vldb_publish(&w->v, 40, "gone"), 0);
	assert_int_equal(vldb_alloc_id(&w->v, &id), 0);      /* a reservation */
	restart(w);
	assert_int_equal(look(w, 0, "gone", &id), ENOENT);
	assert_int_equal(look(w, 40, NULL, &id), ENOENT);
	assert_int_equal(look(w, 0, "root", &id), 0);
	assert_int_equal(id, 1);
}

static void test_backend_choice(void **state)
{
	struct vldb_opts o = { "ldap", NULL, "/nonexistent" };
	struct vice v = { 0 };
	char err[256] = "";

	(void)state;
	v.realm = "unit.test";
	assert_int_equal(vldb_open(&v, &o, err, sizeof err), EINVAL);
	assert_non_null(strstr(err, "ldap"));
	o.backend = "etcd";
	assert_int_equal(vldb_open(&v, &o, err, sizeof err), EINVAL);
	assert_non_null(strstr(err, "--etcd"));
	o.etcd = "ftp://x";
	assert_int_equal(vldb_open(&v, &o, err, sizeof err), EINVAL);
	assert_null(v.vldb);
}

static void test_b64(void **state)
{
	static const char *cases[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "/hesper/r/vol/id/7", "L2hlc3Blci9yL3ZvbC9pZC83" },
	};
	static const char *bad[] = { "Zg=", "Z===", "Zm9v!A==", "=Zg=", "Zg==Zg==" };
	size_t i, n;
	char *s;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = etcd_b64_encode(cases[i][0], strlen(cases[i][0]));
		assert_string_equal(s, cases[i][1]);
		free(s);
		s = etcd_b64_decode(cases[i][1], &n);
		assert_non_null(s);
		assert_int_equal(n, strlen(cases[i][0]));
		assert_memory_equal(s, cases[i][0], n);
		free(s);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_null(etcd_b64_decode(bad[i], &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_unique_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_drops_stale, setup, teardown),
		cmocka_unit_test(test_backend_choice),
		cmocka_unit_test(test_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
