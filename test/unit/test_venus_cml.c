/*
 * test_venus_cml.c - the client modification log (cml*.c): records
 * persist across a reopen of venus.db in log order; cancellation of
 * stores and utimes by a later store (keeping the first version check);
 * identity cancellation of an object created in the log; a store's frozen
 * copy is independent of later writes to the container; records of two
 * volumes are taken, counted, thawed and held for quota per volume.
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
#include <unistd.h>
#include <cmocka.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/store/db.h"
#include "test/unit/testlib.h"


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
static char dir[TL_PATH_LEN];
static const hs_fid obj = { 1, 7, 7 };
static const hs_fid pdir = { 1, 1, 1 };

static void open_log(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/venus.db", dir);
	assert_int_equal(db_open(path, &V->db), 0);
	assert_int_equal(open_cml(), 0);
}

static void close_log(void)
{
	close_cml();
	db_close(V->db);
	V->db = NULL;
}

static int setup(void **state)
{
	V = &venus;
	memset(V, 0, sizeof(*V));
	tl_mkdtemp(dir, "venus-cml");
	V->cfg.cachedir = dir;
	V->next_seq = 1;
	open_log();
	return 0;
}

static int teardown(void **state)
{
	close_log();
	tl_rmrf(dir);
	return 0;
}

/* Log a store of f (data from fd) with sequence number seq. */
static void log_store(uint64_t seq, const hs_fid *f, int fd, uint64_t base)
{
	hs_cml_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.op = HS_OP_STORE;
	rec.hs_cml_rec_u.store.fid = *f;
	rec.hs_cml_rec_u.store.sid.seq = seq;
	rec.hs_cml_rec_u.store.size = (uint64_t)lseek(fd, 0, SEEK_END);
	assert_int_equal(cml_append(V->cml, 0, &rec, f, NULL, 10, fd, base, "f"), 0);
}

/* A setattr of mask (HS_SET_*) made for uid. */
static void log_setattr_as(uint64_t seq, const hs_fid *f, unsigned mask, uid_t uid)
{
	hs_cml_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.op = HS_OP_SETATTR;
	rec.hs_cml_rec_u.setattr.fid = *f;
	rec.hs_cml_rec_u.setattr.sid.seq = seq;
	rec.hs_cml_rec_u.setattr.mask = mask;
	assert_int_equal(cml_append(V->cml, uid, &rec, f, NULL, 10, -1, 1, "f"), 0);
}

static void log_utimes(uint64_t seq, const hs_fid *f, uint64_t base)
{
	hs_cml_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.op = HS_OP_SETATTR;
	rec.hs_cml_rec_u.setattr.fid = *f;
	rec.hs_cml_rec_u.setattr.sid.seq = seq;
	rec.hs_cml_rec_u.setattr.mask = HS_SET_MTIME;
	assert_int_equal(cml_append(V->cml, 0, &rec, f, NULL, 10, -1, base, "f"), 0);
}

static void log_create(uint64_t seq, const hs_fid *f, const char *name)
{
	hs_cml_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.op = HS_OP_CREATE;
	rec.hs_cml_rec_u.create.local = *f;
	rec.hs_cml_rec_u.create.a.dir = pdir;
	rec.hs_cml_rec_u.create.a.sid.seq = seq;
	rec.hs_cml_rec_u.create.a.name = (char *)name;
	rec.hs_cml_rec_u.create.a.mode = 0644;
	assert_int_equal(cml_append(V->cml, 0, &rec, f, &pdir, 11, -1, 0, name), 0);
}

/* A container holding text. */
static int container(const char *text)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/container", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

struct seen {
	unsigned n;
	uint64_t seq[16];
	int      op[16];
	uint64_t base[16];
};

static int collect(void *arg, struct cml_row *r)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->seq[s->n] = r->seq;
		s->op[s->n] = r->op;
		s->base[s->n] = r->base;
	}
	s->n++;
	cml_row_free(r);
	return 0;
}

static void test_persists(void **state)
{
	hs_fid f = { 1, 0, 100 };
	struct seen s = { 0 };
	int fd = container("data");

	log_utimes(3, &obj, 4);
	cml_local_fid(1, 5, &f);
	log_create(5, &f, "new");
	log_store(9, &obj, fd, 4);
	close(fd);
	close_log();
	open_log();
	assert_int_equal(cml_count(V->cml), 2);   /* the store cancelled the utimes */
	assert_int_equal(cml_foreach(V->cml, NULL, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 5);
	assert_int_equal(s.op[0], HS_OP_CREATE);
	assert_int_equal(s.seq[1], 9);
	assert_int_equal(s.op[1], HS_OP_STORE);
	assert_int_equal(cml_bytes(V->cml), 4);
}

static void test_store_cancels(void **state)
{
	struct seen s = { 0 };
	int fd = container("one");

	log_store(1, &obj, fd, 5);
	log_utimes(2, &obj, 5);
	log_store(3, &obj, fd, 6);
	close(fd);
	assert_int_equal(cml_count(V->cml), 1);
	assert_int_equal(cml_foreach(V->cml, &obj, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 3);
	assert_int_equal(s.base[0], 5);   /* the first record's version check */
}

/* zone.c's bounds: never below the counts, grown by appends without a
 * query, exact again after cml_bounds_reset. */
static void test_bounds(void **state)
{
	uint64_t n, b;
	int fd = container("abcdef");

	cml_bounds(V->cml, &n, &b);
	assert_int_equal(n, 0);
	assert_int_equal(b, 0);
	log_store(1, &obj, fd, 5);
	log_utimes(2, &obj, 5);
	log_store(3, &obj, fd, 6);   /* cancels both: one row of 6 bytes left */
	close(fd);
	cml_bounds(V->cml, &n, &b);
	assert_true(n >= cml_count(V->cml) && b >= cml_bytes(V->cml));
	assert_int_equal(n, 3);
	assert_int_equal(b, 12);
	cml_bounds_reset(V->cml, &n, &b);
	assert_int_equal(n, 1);
	assert_int_equal(b, 6);
	cml_bounds(V->cml, &n, &b);
	assert_int_equal(n, 1);
	assert_int_equal(b, 6);
}

static void test_identity(void **state)
{
	hs_fid f, other = { 1, 9, 9 };
	int fd = container("local");

	log_store(1, &other, fd, 2);
	cml_local_fid(1, 2, &f);
	log_create(2, &f, "tmp");
	log_store(3, &f, fd, 0);
	log_utimes(4, &f, 0);
	close(fd);
	assert_true(cml_identity_cancellable(V->cml, &f));
	assert_int_equal(cml_drop_obj(V->cml, &f), 0);
	assert_int_equal(cml_count(V->cml), 1);
	assert_false(cml_names(V->cml, &f));
	assert_true(cml_names(V->cml, &other));
}

static void test_frozen_copy(void **state)
{
	char path[4096], buf[64] = "";
	int fd = container("before"), cfd;

	log_store(7, &obj, fd, 1);
	assert_int_equal(pwrite(fd, "AFTER!", 6, 0), 6);
	assert_int_equal(write(fd, "more", 4), 4);
	close(fd);
	cml_data_path(7, path, sizeof(path));
	cfd = open(path, O_RDONLY);
	assert_true(cfd >= 0);
	assert_int_equal(read(cfd, buf, sizeof(buf) - 1), 6);
	close(cfd);
	assert_string_equal(buf, "before");
}

static int wait_1000(void *arg, uid_t uid)
{
	(void)arg;
	return uid == 1000;
}

/* A block is one uid's run of records; a waiting uid's records are left,
 * with the later records (any uid's) about the same objects; the uid
 * survives a reopen. */
static void test_uid_blocks(void **state)
{
	static const hs_fid a = { 1, 21, 21 }, b = { 1, 22, 22 }, c = { 1, 23, 23 },
		d = { 1, 24, 24 };
	struct cml_row rows[8];
	unsigned n;

	log_setattr_as(1, &a, HS_SET_MODE | HS_SET_MTIME, 1000);
	log_setattr_as(2, &b, HS_SET_MTIME, 1000);
	log_setattr_as(3, &c, HS_SET_MTIME, 1001);
	log_setattr_as(4, &d, HS_SET_MTIME, 1000);
	/* Builds on record 1 (object a; does not cancel it: fewer fields). */
	log_setattr_as(5, &a, HS_SET_MTIME, 1001);
	close_log();
	open_log();
	assert_int_equal(cml_count(V->cml), 5);
	assert_int_equal(cml_take_block(V->cml, 1, rows, 8, 0, NULL, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].seq, 1);
	assert_int_equal(rows[1].seq, 2);
	assert_int_equal(rows[0].uid, 1000);
	assert_int_equal(rows[1].uid, 1000);
	while (n)
		cml_row_free(&rows[--n]);
	cml_thaw(V->cml);
	/* uid 1000 waits: 1001's record 3 goes, its record 5 (on a) waits. */
	assert_int_equal(cml_take_block(V->cml, 1, rows, 8, 0, wait_1000, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, 3);
	assert_int_equal(rows[0].uid, 1001);
	assert_true(cml_take_skipped(V->cml) > 0);
	cml_row_free(&rows[0]);
	assert_int_equal(cml_done(V->cml, 3), 0);
	cml_thaw(V->cml);
	assert_int_equal(cml_take_block(V->cml, 1, rows, 8, 0, wait_1000, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(cml_count(V->cml), 4);   /* nothing dropped */
	/* A max of 1 ends a block at one record. */
	assert_int_equal(cml_take_block(V->cml, 1, rows, 1, 0, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, 1);
	cml_row_free(&rows[0]);
	cml_thaw(V->cml);
}

static int list_vol(void *arg, uint32_t vol)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->seq[s->n] = vol;
	s->n++;
	return 0;
}

static void take(uint32_t vol, struct cml_row *rows, unsigned max, unsigned *n)
{
	assert_int_equal(cml_take_block(V->cml, vol, rows, max, 0, NULL, NULL, n), 0);
}

static void free_rows(struct cml_row *rows, unsigned n)
{
	while (n)
		cml_row_free(&rows[--n]);
}

/* A block behind one in flight: rows after it only, ending at the first
 * that builds on it (same object), is another uid's or waits. */
static void test_take_after(void **state)
{
	static const hs_fid a = { 1, 31, 31 }, b = { 1, 32, 32 }, c = { 1, 33, 33 },
		d = { 1, 34, 34 }, e = { 1, 35, 35 };
	struct cml_row rows[8], back[8];
	unsigned n, nb;

	log_setattr_as(1, &a, HS_SET_MODE | HS_SET_MTIME, 1000);
	log_setattr_as(2, &b, HS_SET_MTIME, 1000);
	log_setattr_as(3, &c, HS_SET_MTIME, 1000);
	log_setattr_as(4, &a, HS_SET_MTIME, 1000);   /* builds on 1 */
	log_setattr_as(5, &d, HS_SET_MTIME, 1000);
	log_setattr_as(6, &e, HS_SET_MTIME, 1001);
	assert_int_equal(cml_take_block(V->cml, 1, rows, 2, 0, NULL, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cml_take_skipped(V->cml), 0);
	assert_int_equal(cml_take_after(V->cml, 1, rows[1].seq, rows, n, back, 8, 0,
					NULL, NULL, &nb), 0);
	assert_int_equal(nb, 1);
	assert_int_equal(back[0].seq, 3);
	free_rows(back, nb);
	/* Once 1 and 2 are done, 4 no longer waits for them; 6 is 1001's. */
	assert_int_equal(cml_done(V->cml, 1), 0);
	assert_int_equal(cml_done(V->cml, 2), 0);
	assert_int_equal(cml_take_after(V->cml, 1, 3, back, 0, back, 8, 0, NULL, NULL, &nb), 0);
	assert_int_equal(nb, 2);
	assert_int_equal(back[0].seq, 4);
	assert_int_equal(back[1].seq, 5);
	free_rows(back, nb);
	assert_int_equal(cml_take_after(V->cml, 1, 3, rows, n, back, 8, 0, NULL, NULL, &nb), 0);
	assert_int_equal(nb, 0);   /* 4 is about a, rows[0]'s object */
	free_rows(rows, n);
	cml_thaw(V->cml);
	/* A waiting uid ends it too. */
	assert_int_equal(cml_take_after(V->cml, 1, 3, back, 0, back, 8, 0, wait_1000, NULL,
					&nb), 0);
	assert_int_equal(nb, 0);
}

/* Records of two volumes in one log: each volume's blocks hold its own
 * records only, in log order; counts and thaws are per volume; a record
 * held for quota (EDQUOT) holds what builds on it in its volume only,
 * is counted, and goes again after cml_quota_retry. */
static void test_per_volume(void **state)
{
	static const hs_fid a1 = { 1, 31, 31 }, b1 = { 1, 32, 32 }, a2 = { 2, 41, 41 },
		b2 = { 2, 42, 42 };
	struct cml_row rows[8];
	struct seen vols = { 0 };
	unsigned n;

	log_setattr_as(1, &a1, HS_SET_MODE, 0);
	log_setattr_as(2, &a2, HS_SET_MODE, 0);
	log_setattr_as(3, &b1, HS_SET_MODE, 0);
	log_setattr_as(4, &b2, HS_SET_MODE, 0);
	log_setattr_as(5, &a2, HS_SET_UID, 0);   /* builds on 2 */
	assert_int_equal(cml_vol_foreach(V->cml, list_vol, &vols), 0);
	assert_int_equal(vols.n, 2);
	assert_int_equal(vols.seq[0], 1);
	assert_int_equal(vols.seq[1], 2);
	assert_int_equal(cml_vol_count(V->cml, 1), 2);
	assert_int_equal(cml_vol_count(V->cml, 2), 3);
	assert_int_equal(cml_vol_count(V->cml, 3), 0);

	/* Volume 2's block, while volume 1's is in flight. */
	take(1, rows, 8, &n);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].seq, 1);
	assert_int_equal(rows[1].seq, 3);
	free_rows(rows, n);
	take(2, rows, 8, &n);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].seq, 2);
	assert_int_equal(rows[1].seq, 4);
	assert_int_equal(rows[2].seq, 5);
	free_rows(rows, n);
	/* Thawing volume 2 leaves volume 1's rows frozen (not cancelled). */
	cml_thaw_vol(V->cml, 2);
	log_setattr_as(6, &a1, HS_SET_MODE, 0);   /* 1 is frozen: kept */
	log_setattr_as(7, &a2, HS_SET_MODE | HS_SET_UID, 0);   /* cancels 2, 5 */
	assert_int_equal(cml_vol_count(V->cml, 1), 3);
	assert_int_equal(cml_vol_count(V->cml, 2), 2);
	cml_thaw_vol(V->cml, 1);

	/* Record 4 (b2) over quota: held and counted; 7 (a2) still goes. */
	assert_int_equal(cml_set_conflict(V->cml, 4, EDQUOT), 0);
	assert_int_equal(cml_vol_quota(V->cml, 2), 1);
	assert_int_equal(cml_vol_quota(V->cml, 1), 0);
	assert_int_equal(cml_vol_quota_max(V->cml, 2), 4);
	assert_int_equal(cml_vol_conflicts(V->cml, 2), 1);
	take(2, rows, 8, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, 7);
	free_rows(rows, n);
	cml_thaw_vol(V->cml, 2);
	/* A later record of b2 waits behind it. */
	log_setattr_as(8, &b2, HS_SET_GID, 0);
	take(2, rows, 8, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, 7);
	free_rows(rows, n);
	cml_thaw_vol(V->cml, 2);
	/* The quota was raised: in log order again. */
	assert_int_equal(cml_quota_retry(V->cml, 2), 0);
	assert_int_equal(cml_vol_quota(V->cml, 2), 0);
	take(2, rows, 8, &n);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].seq, 4);
	assert_int_equal(rows[1].seq, 7);
	assert_int_equal(rows[2].seq, 8);
	free_rows(rows, n);
	cml_thaw(V->cml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uid_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_cancels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frozen_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_volume, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
