/*
 * test_venus_cache.c - venus's cache bookkeeping: LRU eviction and the
 * cachesize/cachefiles bound with open or dirty containers protected
 * (cache.c), and the SQLite metadata: schema, persistence across a reopen,
 * store ids that never repeat (db.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "venus/util/venus.h"
#include "venus/store/cache.h"
#include "venus/store/db.h"
#include "test/unit/testlib.h"

static char dir[TL_PATH_LEN];

static int setup(void **state)
{
	tl_mkdtemp(dir, "venus-unit");
	return 0;
}

static int teardown(void **state)
{
	cache_fini();
	tl_rmrf(dir);
	return 0;
}

/* A container of n bytes for ino, recorded with the given age. */
static void make_container(uint64_t ino, size_t n, uint64_t age)
{
	char path[4096], *buf = calloc(1, n ? n : 1);
	int fd;

	cache_path(ino, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	free(buf);
	cache_note(ino, n, age);
}

static int exists(uint64_t ino)
{
	char path[4096];

	cache_path(ino, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static uint64_t gone[16];
static unsigned ngone;

static void on_evict(void *arg, uint64_t ino)
{
	gone[ngone++] = ino;
}

static void test_lru_order(void **state)
{
	assert_int_equal(cache_init(dir, 3000, 0), 0);
	ngone = 0;
	make_container(1, 1000, 30);
	make_container(2, 1000, 10);   /* oldest */
	make_container(3, 1000, 20);
	assert_int_equal(cache_bytes(), 3000);
	assert_int_equal(cache_trim(on_evict, NULL), 0);
	make_container(4, 1000, 40);
	/* 4000 > 3000: only the least recently used one goes. */
	assert_int_equal(cache_trim(on_evict, NULL), 1);
	assert_int_equal(ngone, 1);
	assert_int_equal(gone[0], 2);
	assert_false(exists(2));
	assert_true(exists(1) && exists(3) && exists(4));
	assert_int_equal(cache_bytes(), 3000);
	assert_int_equal(cache_files(), 3);
}

static void test_pinned_protected(void **state)
{
	assert_int_equal(cache_init(dir, 3000, 0), 0);
	ngone = 0;
	make_container(1, 1000, 1);     /* oldest, but open */
	make_container(2, 1000, 2);     /* dirty */
	make_container(3, 1000, 3);
	make_container(4, 1000, 4);
	cache_set_pinned(1, 1);
	cache_set_pinned(2, 1);
	/* 4000 > 3000: 3 goes (the oldest unpinned one), then 3000 fits. */
	assert_int_equal(cache_trim(on_evict, NULL), 1);
	assert_int_equal(gone[0], 3);
	assert_true(exists(1) && exists(2) && exists(4));
	assert_true(cache_bytes() <= 3000);
	/* Pinned ones alone over the bound: they stay, the rest goes. */
	make_container(5, 2000, 5);
	cache_trim(on_evict, NULL);
	assert_true(exists(1) && exists(2));
	assert_false(exists(4));
	assert_false(exists(5));
	/* Unpinned at last close, 1 is the oldest again and goes first. */
	cache_set_pinned(1, 0);
	make_container(6, 1500, 6);
	cache_trim(on_evict, NULL);
	assert_false(exists(1));
	assert_true(exists(2) && exists(6));
	assert_true(cache_bytes() <= 3000);
}

/* A container the cache cannot hold never flushes the others; the newest
 * such one stays after its close; an older one goes first. */
static void test_big_outside_bound(void **state)
{
	assert_int_equal(cache_init(dir, 3000, 0), 0);
	cache_set_big(0);
	ngone = 0;
	make_container(1, 1000, 1);
	make_container(2, 1000, 2);
	make_container(5, 5000, 5);     /* written: open, then dirty */
	cache_set_pinned(5, 1);
	assert_int_equal(cache_trim(on_evict, NULL), 0);
	cache_set_pinned(5, 0);         /* stored and closed */
	assert_int_equal(cache_trim(on_evict, NULL), 0);
	assert_true(exists(1) && exists(2) && exists(5));
	make_container(6, 4000, 6);     /* another big file read */
	assert_int_equal(cache_trim(on_evict, NULL), 1);
	assert_int_equal(gone[0], 5);
	assert_true(exists(1) && exists(2) && exists(6));
	/* wholefilemaxsize makes smaller files big too. */
	cache_set_big(1500);
	make_container(7, 2000, 7);
	assert_int_equal(cache_trim(on_evict, NULL), 1);
	assert_int_equal(gone[1], 6);
	assert_true(exists(1) && exists(2) && exists(7));
}

static void test_files_bound(void **state)
{
	uint64_t i;

	assert_int_equal(cache_init(dir, 0, 3), 0);
	ngone = 0;
	for (i = 1; i <= 5; i++)
		make_container(i, 10, i);
	assert_int_equal(cache_trim(on_evict, NULL), 2);
	assert_int_equal(cache_files(), 3);
	assert_false(exists(1) || exists(2));
	assert_true(exists(3) && exists(4) && exists(5));
}

static void test_note_updates(void **state)
{
	assert_int_equal(cache_init(dir, 0, 0), 0);
	cache_note(7, 100, 1);
	cache_note(7, 50, 2);   /* the container shrank */
	assert_int_equal(cache_bytes(), 50);
	assert_int_equal(cache_files(), 1);
	assert_true(cache_has(7));
	cache_drop(7);
	assert_false(cache_has(7));
	assert_int_equal(cache_bytes(), 0);
}

/* ---- db ---- */

static void db_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/venus.db", dir);
}

static unsigned nrows;
static struct db_fso seen;

static void count_row(void *arg, const struct db_fso *r)
{
	nrows++;
	seen = *r;
	seen.name = NULL;
	seen.target = NULL;
	if (r->name)
		assert_string_equal(r->name, "hello.txt");
}

static int collect(void *arg, const char *name, uint64_t child)
{
	char *out = arg;

	strcat(out, name);
	strcat(out, ",");
	return 0;
}

/* keep for test_scan_steps: containers 1..5 stay but 3, temporaries
 * stay only for ino 2; what it was asked is counted. */
static unsigned asked;

static int keep_some(void *arg, uint64_t ino, int tmp, const struct stat *st)
{
	asked++;
	if (tmp)
		return ino == 2;
	return ino != 3 && ino <= 5;
}

static int present(const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/containers/%s", dir, name);
	return lstat(path, &st) == 0;
}

static mode_t mode_of(const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/containers/%s", dir, name);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void touch(const char *name, mode_t mode)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/containers/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The start's one pass, in steps: kept containers made private, the rest
 * and stray names unlinked, a kept temporary stays, a symlink and a
 * directory are left alone, and each step looks at no more than asked. */
static void test_scan_steps(void **state)
{
	const char *names[] = { "1", "2", "3", "4", "5", "6", "2.tmp", "3.tmp", "x", "7.old" };
	char path[4096];
	unsigned steps = 0;

	assert_int_equal(cache_init(dir, 0, 0), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		touch(names[i], 0644);
	snprintf(path, sizeof(path), "%s/containers/8", dir);
	assert_int_equal(symlink("1", path), 0);
	snprintf(path, sizeof(path), "%s/containers/9", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	asked = 0;
	assert_int_equal(cache_scan_begin(), 0);
	while (cache_scan_step(2, keep_some, NULL))
		steps++;
	/* 14 entries (with . and ..) at 2 a step: at least 7 steps. */
	assert_true(steps >= 7);
	assert_int_equal(asked, 8);   /* 1-6, 2.tmp, 3.tmp */
	assert_int_equal(cache_scan_step(2, keep_some, NULL), 0);   /* ended */
	assert_true(present("1") && present("2") && present("4") && present("5"));
	assert_true(present("2.tmp") && present("8") && present("9"));
	assert_false(present("3") || present("6") || present("3.tmp"));
	assert_false(present("x") || present("7.old"));
	assert_int_equal(mode_of("1"), 0600);
	assert_int_equal(mode_of("2.tmp"), 0600);
}

static void test_db_persistence(void **state)
{
	char path[4096], names[256] = "";
	sqlite3 *db;
	uint64_t id1, seq1, id2, seq2, child = 0;
	struct db_fso r;

	db_path(path, sizeof(path));
	assert_int_equal(db_open(path, &db), 0);
	assert_int_equal(db_meta_load(db, &id1, &seq1), 0);
	assert_true(id1 != 0);
	memset(&r, 0, sizeof(r));
	r.ino = 5;
	r.fid.volume = 1;
	r.fid.vnode = 7;
	r.fid.unique = 9;
	r.type = HS_FREG;
	r.size = 1ull << 33;           /* beyond 4 GiB */
	r.dataversion = 42;
	r.data_dv = 42;
	r.has_data = 1;
	r.dirty = 1;
	r.parent = 1;
	r.name = "hello.txt";
	assert_int_equal(db_fso_put(db, &r), 0);
	assert_int_equal(db_dirent_put(db, 1, "hello.txt", 5), 0);
	assert_int_equal(db_dirent_put(db, 1, "b", 6), 0);
	db_close(db);

	assert_int_equal(db_open(path, &db), 0);
	assert_int_equal(db_meta_load(db, &id2, &seq2), 0);
	assert_int_equal(id1, id2);      /* the client id is kept */
	nrows = 0;
	assert_int_equal(db_fso_foreach(db, count_row, NULL), 0);
	assert_int_equal(nrows, 1);
	assert_int_equal(seen.ino, 5);
	assert_int_equal(seen.fid.vnode, 7);
	assert_int_equal(seen.size, 1ull << 33);
	assert_int_equal(seen.dataversion, 42);
	assert_int_equal(seen.dirty, 1);
	assert_int_equal(db_dirent_get(db, 1, "hello.txt", &child), 0);
	assert_int_equal(child, 5);
	assert_int_equal(db_dirent_get(db, 1, "nope", &child), ENOENT);
	assert_int_equal(db_dirent_foreach(db, 1, collect, names), 0);
	assert_string_equal(names, "b,hello.txt,");
	assert_int_equal(db_dirent_del_child(db, 5), 0);
	assert_int_equal(db_dirent_get(db, 1, "hello.txt", &child), ENOENT);
	assert_int_equal(db_fso_del(db, 5), 0);
	nrows = 0;
	assert_int_equal(db_fso_foreach(db, count_row, NULL), 0);
	assert_int_equal(nrows, 0);
	db_close(db);
}

static void test_storeid_monotonic(void **state)
{
	char path[4096];
	sqlite3 *db;
	uint64_t id, seq, seq2;

	db_path(path, sizeof(path));
	assert_int_equal(db_open(path, &db), 0);
	assert_int_equal(db_meta_load(db, &id, &seq), 0);
	/* Hand out ids below a reservation, as server.c does. */
	assert_int_equal(db_seq_reserve(db, seq + 1024), 0);
	db_close(db);

	assert_int_equal(db_open(path, &db), 0);
	assert_int_equal(db_meta_load(db, &id, &seq2), 0);
	assert_true(seq2 >= seq + 1024);   /* nothing handed out is reused */
	assert_int_equal(db_seq_reserve(db, seq2 + 1024), 0);
	db_close(db);

	assert_int_equal(db_open(path, &db), 0);
	assert_int_equal(db_meta_load(db, &id, &seq), 0);
	assert_true(seq >= seq2 + 1024);
	db_close(db);
}

static void test_db_schema_version(void **state)
{
	char path[4096];
	sqlite3 *db;

	db_path(path, sizeof(path));
	assert_int_equal(db_open(path, &db), 0);
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version = 99",
				      NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	/* A newer schema is refused rather than misread. */
	assert_int_equal(db_open(path, &db), EPROTO);
	assert_null(db);
}

/* A version 1 database (no fsobj.rdev) is upgraded; rdev then persists. */
static void test_db_upgrade_rdev(void **state)
{
	char path[4096];
	sqlite3 *db;
	struct db_fso r;

	db_path(path, sizeof(path));
	assert_int_equal(db_open(path, &db), 0);
	memset(&r, 0, sizeof(r));
	r.ino = 3;
	r.fid.vnode = 3;
	r.type = HS_FREG;
	assert_int_equal(db_fso_put(db, &r), 0);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE fsobj DROP COLUMN rdev;"
				      "UPDATE schema_version SET version = 1",
				      NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(path, &db), 0);
	nrows = 0;
	assert_int_equal(db_fso_foreach(db, count_row, NULL), 0);
	assert_int_equal(nrows, 1);
	assert_int_equal(seen.rdev, 0);
	r.ino = 4;
	r.fid.vnode = 4;
	r.type = HS_FCHR;
	r.rdev = 0x10305;
	assert_int_equal(db_fso_put(db, &r), 0);
	assert_int_equal(db_fso_del(db, 3), 0);
	db_close(db);
	assert_int_equal(db_open(path, &db), 0);
	nrows = 0;
	assert_int_equal(db_fso_foreach(db, count_row, NULL), 0);
	assert_int_equal(nrows, 1);
	assert_int_equal(seen.type, HS_FCHR);
	assert_int_equal(seen.rdev, 0x10305);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lru_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_outside_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storeid_monotonic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_upgrade_rdev, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
