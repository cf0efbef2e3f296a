/*
 * test_venus_db.c - venus.db's schema versions (venus/store/db.c): files
 * written by earlier releases (the `sqlite3 .dump`s in
 * test/integration/fixtures: venus_v1.sql, schema version 1; venus_v2.sql,
 * version 2 before the SQL layer) open at DB_SCHEMA_VERSION with their
 * fsobj rows, CML and hoard entry; an older hoard table without column
 * attrs is converted; a newer version is refused and left as it was;
 * a version-4 file gains table volstamp.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/store/db.h"
#include "venus/hoard/hoard.h"
#include "test/unit/testlib.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR: test/integration/fixtures of the source tree"
#endif


/* cml_init into V->cml: 0 or its errno. */
static int open_cml(void)
{
	int err = 0;

	V->cml = cml_init(&err);
	return V->cml ? 0 : err;
}

static void close_cml(void)
{
	cml_fini(V->cml);
	V->cml = NULL;
}
static struct venus venus;
static char dir[TL_PATH_LEN], dbpath[128];

/* A fixture's dump (name: "venus_v1.sql"...), with each (from, to) pair
 * of edits replaced once. */
static char *dump(const char *name, const char *const *edits)
{
	char path[512];
	FILE *f;
	char *s = calloc(1, 1 << 20), *p;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(s);
	n = fread(s, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(n > 0 && n < (1 << 20) - 4096);
	for (; edits && edits[0]; edits += 2) {
		size_t lf = strlen(edits[0]), lt = strlen(edits[1]);

		assert_non_null(p = strstr(s, edits[0]));
		memmove(p + lt, p + lf, strlen(p + lf) + 1);
		memcpy(p, edits[1], lt);
	}
	return s;
}

/* Write a database from SQL text as the old venus left it. */
static void make_db(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t one(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(V->db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int setup(void **state)
{
	V = &venus;
	memset(V, 0, sizeof(*V));
	tl_mkdtemp(dir, "venus-db");
	snprintf(dbpath, sizeof(dbpath), "%s/venus.db", dir);
	V->cfg.cachedir = dir;
	V->cfg.mountpoint = "/coda";
	V->next_seq = 1;
	return 0;
}

static int teardown(void **state)
{
	db_close(V->db);
	V->db = NULL;
	tl_rmrf(dir);
	return 0;
}

/* Everything the old venus wrote is there after the migration. */
static void test_v1_opens(void **state)
{
	char *sql = dump("venus_v1.sql", NULL);
	uint64_t client = 0, next = 0;
	const struct hoard_entry *e;
	struct hoard *h = NULL;
	size_t n;

	make_db(sql);
	free(sql);
	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(one("SELECT version FROM schema_version"), DB_SCHEMA_VERSION);
	assert_int_equal(one("SELECT COUNT(*) FROM schema_version"), 1);
	assert_int_equal(db_meta_load(V->db, &client, &next), 0);
	assert_int_equal(client, 8058973530080794253ULL);
	assert_int_equal(next, 1025);
	assert_int_equal(one("SELECT COUNT(*) FROM fsobj"), 10);
	/* Version 2 added fsobj.rdev: 0 for every object of version 1. */
	assert_int_equal(one("SELECT COUNT(*) FROM fsobj WHERE rdev = 0"), 10);
	/* Version 3 added cml.uid: root's (0) for every record before it. */
	assert_int_equal(one("SELECT COUNT(*) FROM cml WHERE uid = 0"), 9);
	assert_int_equal(one("SELECT COUNT(*) FROM rights"), 0);   /* made, empty */
	assert_int_equal(open_cml(), 0);
	assert_int_equal(cml_count(V->cml), 9);
	assert_int_equal(cml_conflict_records(V->cml), 0);
	assert_int_equal(hoard_init(&h), 0);
	e = hoard_entries(h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].path, "proj");
	assert_int_equal(e[0].prio, 100);
	hoard_fini(h);
	hoard_free(h);
	close_cml();
	db_close(V->db);
	/* Reopened at the new version: nothing to do, nothing lost. */
	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(one("SELECT version FROM schema_version"), DB_SCHEMA_VERSION);
	assert_int_equal(open_cml(), 0);
	assert_int_equal(cml_count(V->cml), 9);
	close_cml();
}

/* The release before the SQL layer wrote version 2 (cml, hoard and
 * hoard_member made by their modules): it opens, its records migrated to
 * version 3 as root's. */
static void test_v2_opens(void **state)
{
	char *sql = dump("venus_v2.sql", NULL);
	uint64_t client = 0, next = 0;
	const struct hoard_entry *e;
	struct hoard *h = NULL;
	size_t n;

	make_db(sql);
	free(sql);
	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(one("SELECT version FROM schema_version"), DB_SCHEMA_VERSION);
	assert_int_equal(one("SELECT COUNT(*) FROM cml WHERE uid = 0"), 9);
	assert_int_equal(db_meta_load(V->db, &client, &next), 0);
	assert_int_equal(client, 8581224481183318416ULL);
	assert_int_equal(next, 1025);
	assert_int_equal(one("SELECT COUNT(*) FROM fsobj"), 10);
	/* Version 4: ino 1 is the realm directory; the old root (fid 1.1.1)
	 * moved to a fresh ino with its entries and children, filed under
	 * ino 1 with no name (core names it after realm 0). */
	assert_int_equal(one("SELECT COUNT(*) FROM fsobj WHERE ino = 1"), 0);
	assert_int_equal(one("SELECT ino FROM fsobj WHERE vol = 1 AND vnode = 1 AND uniq = 1"),
			 12);
	assert_int_equal(one("SELECT parent FROM fsobj WHERE ino = 12"), 1);
	assert_int_equal(one("SELECT name IS NULL FROM fsobj WHERE ino = 12"), 1);
	assert_int_equal(one("SELECT COUNT(*) FROM dirent WHERE dir = 1"), 0);
	assert_int_equal(one("SELECT COUNT(*) FROM dirent WHERE dir = 12"), 4);
	assert_int_equal(one("SELECT COUNT(*) FROM fsobj WHERE parent = 1"), 1);
	assert_int_equal(one("SELECT parent FROM fsobj WHERE name = 'proj'"), 12);
	assert_int_equal(open_cml(), 0);
	assert_int_equal(cml_count(V->cml), 9);
	assert_int_equal(hoard_init(&h), 0);
	e = hoard_entries(h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].path, "proj");
	hoard_fini(h);
	hoard_free(h);
	close_cml();
}

/* Version 3 to 4 knowing realm 0's name (venus.conf): the old root is
 * the realm directory's entry of that name, hoard paths begin with it. */
static void test_v2_realm0(void **state)
{
	char *sql = dump("venus_v2.sql", NULL);
	const struct hoard_entry *e;
	struct hoard *h = NULL;
	size_t n;

	make_db(sql);
	free(sql);
	V->cfg.realm = "realm.test";
	assert_int_equal(db_open(dbpath, &V->db), 0);
	V->cfg.realm = NULL;
	assert_int_equal(one("SELECT child FROM dirent WHERE dir = 1 AND name = 'realm.test'"),
			 12);
	assert_int_equal(one("SELECT COUNT(*) FROM dirent WHERE dir = 1"), 1);
	assert_int_equal(one("SELECT name = 'realm.test' FROM fsobj WHERE ino = 12"), 1);
	assert_int_equal(hoard_init(&h), 0);
	e = hoard_entries(h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].path, "realm.test/proj");
	hoard_fini(h);
	hoard_free(h);
}

/* A hoard table from before column attrs: the column is added and the row
 * converted once. */
static void test_v1_hoard_without_attrs(void **state)
{
	static const char *const edits[] = {
		" expanded INTEGER NOT NULL DEFAULT 0, attrs INTEGER);",
		" expanded INTEGER NOT NULL DEFAULT 0);",
		"INSERT INTO hoard VALUES('proj',100,3,0,1,4);",
		"INSERT INTO hoard VALUES('proj',100,1,0,1);",
		NULL
	};
	char *sql = dump("venus_v1.sql", edits);
	struct hoard *h = NULL;
	size_t n;

	make_db(sql);
	free(sql);
	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(one("SELECT COUNT(*) FROM pragma_table_info('hoard')"
			     " WHERE name = 'attrs'"), 1);
	assert_int_equal(hoard_init(&h), 0);
	assert_int_equal(one("SELECT COUNT(*) FROM hoard WHERE attrs IS NULL"), 0);
	hoard_entries(h, &n);
	assert_int_equal(n, 1);
	hoard_fini(h);
	hoard_free(h);
}

/* A file from a newer venus is refused, untouched. */
static void test_newer_refused(void **state)
{
	static const char *const edits[] = {
		"INSERT INTO schema_version VALUES(1);",
		"INSERT INTO schema_version VALUES(99);",
		NULL
	};
	char *sql = dump("venus_v1.sql", edits);
	sqlite3 *db = NULL;

	make_db(sql);
	free(sql);
	assert_int_equal(db_open(dbpath, &db), EPROTO);
	assert_null(db);
	assert_int_equal(sqlite3_open(dbpath, &V->db), SQLITE_OK);
	assert_int_equal(one("SELECT version FROM schema_version"), 99);
}

/* A new file is made at the current version, with every table. */
static void test_new_file(void **state)
{
	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(one("SELECT version FROM schema_version"), DB_SCHEMA_VERSION);
	assert_int_equal(one("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND"
			     " name IN ('meta', 'fsobj', 'dirent', 'cml', 'hoard',"
			     " 'hoard_member', 'rights')"), 7);
}

static void sum_stamp(void *arg, uint32_t lvol, uint64_t stamp)
{
	uint64_t *sum = arg;

	sum[0]++;
	sum[1] += lvol;
	sum[2] ^= stamp;
}

/* Volume stamps (version 5): a file of version 4 gains the empty table;
 * a put replaces, a del removes, 64-bit stamps come back bit for bit. */
static void test_volstamp(void **state)
{
	uint64_t sum[3] = { 0, 0, 0 };

	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(sqlite3_exec(V->db, "DROP TABLE volstamp;"
				      " UPDATE schema_version SET version = 4;",
				      NULL, NULL, NULL), SQLITE_OK);
	db_close(V->db);
	V->db = NULL;
	assert_int_equal(db_open(dbpath, &V->db), 0);
	assert_int_equal(one("SELECT version FROM schema_version"), DB_SCHEMA_VERSION);
	assert_int_equal(one("SELECT COUNT(*) FROM volstamp"), 0);
	assert_int_equal(db_volstamp_put(V->db, 7, 1), 0);
	assert_int_equal(db_volstamp_put(V->db, 7, 0xfedcba9876543210ULL), 0);
	assert_int_equal(db_volstamp_put(V->db, 0x01000005, 3), 0);
	assert_int_equal(db_volstamp_put(V->db, 9, 4), 0);
	assert_int_equal(db_volstamp_del(V->db, 9), 0);
	assert_int_equal(db_volstamp_foreach(V->db, sum_stamp, sum), 0);
	assert_int_equal(sum[0], 2);
	assert_int_equal(sum[1], 7 + 0x01000005);
	assert_true(sum[2] == (0xfedcba9876543210ULL ^ 3));
}

static int commits, rollbacks;

static void count_commit(void *arg, int committed)
{
	(*(committed ? &commits : &rollbacks))++;
}

/* Rows of fsobj another connection (a reader after a crash) sees. */
static int64_t seen_elsewhere(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM fsobj", -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The batch (db_batch.c): writes wait in one transaction until db_flush;
 * statements are kept and reused; an explicit transaction, db_durable and
 * db_close commit the batch first; the hook hears every commit. */
static void test_batch(void **state)
{
	struct db_fso r = { .ino = 2, .fid = { 1, 2, 3 }, .type = HS_FREG, .name = "a" };
	uint64_t child = 0;

	assert_int_equal(db_open(dbpath, &V->db), 0);
	db_on_commit(V->db, count_commit, NULL);
	db_batching(V->db, 1);
	assert_false(db_in_txn(V->db));
	assert_int_equal(db_fso_put(V->db, &r), 0);
	assert_true(db_in_txn(V->db));
	r.ino = 3;
	r.fid.vnode = 4;
	assert_int_equal(db_fso_put(V->db, &r), 0);   /* the kept statement again */
	assert_int_equal(db_dirent_put(V->db, 1, "a", 2), 0);
	assert_int_equal(db_dirent_get(V->db, 1, "a", &child), 0);
	assert_int_equal(child, 2);
	assert_int_equal(seen_elsewhere(), 0);        /* not committed yet */
	assert_int_equal(commits, 0);
	assert_int_equal(db_flush(V->db), 0);
	assert_false(db_in_txn(V->db));
	assert_int_equal(commits, 1);
	assert_int_equal(seen_elsewhere(), 2);
	assert_int_equal(db_flush(V->db), 0);         /* nothing open: no commit */
	assert_int_equal(commits, 1);
	/* An explicit transaction commits the batch before it begins. */
	assert_int_equal(db_fso_del(V->db, 3), 0);
	assert_int_equal(db_begin(V->db), 0);
	assert_int_equal(commits, 2);
	assert_int_equal(seen_elsewhere(), 1);
	assert_int_equal(db_fso_del(V->db, 2), 0);
	assert_int_equal(db_rollback(V->db), 0);
	assert_int_equal(rollbacks, 1);
	/* db_durable commits what came before it, and after it fully synced. */
	assert_int_equal(db_fso_del(V->db, 2), 0);
	assert_int_equal(db_durable(V->db, 1), 0);
	assert_int_equal(seen_elsewhere(), 0);
	assert_int_equal(db_fso_put(V->db, &r), 0);
	assert_int_equal(db_durable(V->db, 0), 0);
	assert_int_equal(seen_elsewhere(), 1);
	assert_int_equal(db_sync(V->db), 0);
	/* Counts over the CML are remembered until the table changes or a
	 * change is rolled back. */
	assert_int_equal(db_u64(V->db, DB_CML_COUNT, NULL, &child), 0);
	assert_int_equal(child, 0);
	assert_int_equal(sqlite3_exec(V->db, "INSERT INTO cml(seq, op, vol, vnode, uniq,"
				      " dvnode, duniq, ino, base, size, mask, logged, rec)"
				      " VALUES (1, 1, 1, 1, 1, 0, 0, 2, 0, 10, 0, 0, x'00')",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_u64(V->db, DB_CML_COUNT, NULL, &child), 0);
	assert_int_equal(child, 1);
	assert_int_equal(db_exec(V->db, DB_SAVEPOINT), 0);
	assert_int_equal(sqlite3_exec(V->db, "UPDATE cml SET size = 20", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(db_u64(V->db, DB_CML_BYTES, NULL, &child), 0);
	assert_int_equal(child, 20);
	assert_int_equal(db_exec(V->db, DB_ROLLBACK_TO), 0);
	assert_int_equal(db_exec(V->db, DB_RELEASE), 0);
	assert_int_equal(db_u64(V->db, DB_CML_BYTES, NULL, &child), 0);
	assert_int_equal(child, 10);
	/* Closing commits an open batch. */
	r.ino = 5;
	r.fid.vnode = 6;
	assert_int_equal(db_fso_put(V->db, &r), 0);
	db_close(V->db);
	V->db = NULL;
	assert_int_equal(seen_elsewhere(), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_realm0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_hoard_without_attrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volstamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
