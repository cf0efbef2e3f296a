/*
 * test/unit/test_vice_volgate.c - vice's volume gate over the real
 * transport (vice/voldump.h): while a volume is locked, calls that would
 * change it answer HS_EVBUSY (a reintegration block as a whole) and
 * reads go on; a fid of a volume not on this server answers HS_EMOVED,
 * an unknown vnode of a volume that is here still ESTALE; a released
 * volume answers HS_EMOVED, its status too, and the promises on it are
 * broken; the volume administration
 * procedures refuse a caller that is not an administrator.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>
#include "vice/vice.h"
#include "vice/voldump.h"
#include "test/unit/testlib_vice.h"

struct world {
	struct tl_vice t;
	struct tl_client a;
	uint64_t seq;
	hs_fid f;               /* a file in the root directory */
};

static int getattr(struct world *w, hs_fid fid)
{
	hs_attr_res r;

	return tl_call(&w->t, &w->a, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &fid,
		       (xdrproc_t)xdr_hs_attr_res, &r, sizeof r, NULL);
}

static int create(struct world *w, const char *name, hs_fid *out)
{
	hs_create_args a = { .dir = { 1, 1, 1 }, .sid = { 7, ++w->seq },
			     .name = (char *)name, .mode = 0644 };
	hs_create_res r;
	int st = tl_call(&w->t, &w->a, HS_CREATE,
			 (xdrproc_t)xdr_hs_create_args, &a,
			 (xdrproc_t)xdr_hs_create_res, &r, sizeof r, NULL);

	if (!st && out)
		*out = r.hs_create_res_u.ok.obj.fid;
	return st;
}

static int chunk(struct world *w, const hs_fid *fid)
{
	hs_store_chunk_args a = { .fid = *fid, .sid = { 7, ++w->seq } };
	hs_status_res r;

	a.data.data_len = 1;
	a.data.data_val = "x";
	return tl_call(&w->t, &w->a, HS_STORE_CHUNK,
		       (xdrproc_t)xdr_hs_store_chunk_args, &a,
		       (xdrproc_t)xdr_hs_status_res, &r, sizeof r, NULL);
}

/* A block of one setattr (mode) record on fid: the block's status. */
static int reint_setattr(struct world *w, const hs_fid *fid)
{
	hs_cml_rec rec;
	hs_reint_args a = { { 1, &rec } };
	hs_reint_res r;

	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_SETATTR;
	rec.hs_cml_rec_u.setattr.fid = *fid;
	rec.hs_cml_rec_u.setattr.sid.client = 7;
	rec.hs_cml_rec_u.setattr.sid.seq = ++w->seq;
	rec.hs_cml_rec_u.setattr.mask = HS_SET_MODE;
	rec.hs_cml_rec_u.setattr.mode = 0600;
	return tl_call(&w->t, &w->a, HS_REINTEGRATE,
		       (xdrproc_t)xdr_hs_reint_args, &a,
		       (xdrproc_t)xdr_hs_reint_res, &r, sizeof r, NULL);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_vice_start(&w->t, "vice-gate");
	tl_vice_open_root(&w->t);
	tl_client_open(&w->t, &w->a);
	assert_int_equal(tl_hs_connect(&w->t, &w->a, 7, HS_PROTO_VERSION), 0);
	assert_int_equal(create(w, "f", &w->f), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	tl_client_close(&w->a);
	vd_free(&w->t.v);
	tl_vice_stop(&w->t);
	free(w);
	return 0;
}

static void test_locked(void **state)
{
	struct world *w = *state;
	hs_fid root = { 1, 1, 1 };

	assert_int_equal(vd_lock(&w->t.v, 1, 1), 0);
	assert_int_equal(vd_locked(&w->t.v, 1), 1);
	/* reads go on */
	assert_int_equal(getattr(w, root), 0);
	assert_int_equal(getattr(w, w->f), 0);
	/* changes are busy: retried later */
	assert_int_equal(create(w, "g", NULL), HS_EVBUSY);
	assert_int_equal(chunk(w, &w->f), HS_EVBUSY);
	assert_int_equal(reint_setattr(w, &w->f), HS_EVBUSY);
	/* unlocked: the same calls work */
	assert_int_equal(vd_lock(&w->t.v, 1, 0), 0);
	assert_int_equal(create(w, "g", NULL), 0);
	assert_int_equal(chunk(w, &w->f), 0);
	assert_int_equal(reint_setattr(w, &w->f), 0);
	/* a volume that is not here cannot be locked */
	assert_int_equal(vd_lock(&w->t.v, 5, 1), ENOENT);
}

static void test_moved(void **state)
{
	struct world *w = *state;
	hs_fid elsewhere = { 5, 1, 1 }, nosuch = { 1, 999, 1 };
	unsigned id = 1;
	hs_volstat_res vr;

	assert_int_equal(getattr(w, elsewhere), HS_EMOVED);
	assert_int_equal(getattr(w, nosuch), ESTALE);
	assert_int_equal(reint_setattr(w, &elsewhere), HS_EMOVED);
	/* the volume moves away: everything about it is HS_EMOVED */
	assert_int_equal(vd_lock(&w->t.v, 1, 1), 0);
	assert_int_equal(vd_release(&w->t.v, 1), 0);
	assert_int_equal(vd_locked(&w->t.v, 1), 0);
	assert_int_equal(getattr(w, w->f), HS_EMOVED);
	assert_int_equal(create(w, "h", NULL), HS_EMOVED);
	assert_int_equal(tl_call(&w->t, &w->a, HS_GETVOLSTAT,
				 (xdrproc_t)xdr_u_int, &id,
				 (xdrproc_t)xdr_hs_volstat_res, &vr,
				 sizeof vr, NULL), HS_EMOVED);
}

/* A released volume's promises are broken at once. */
static void test_release_breaks(void **state)
{
	struct world *w = *state;
	unsigned i;

	assert_int_equal(getattr(w, w->f), 0);      /* a promise on f */
	assert_int_equal(w->a.breaks, 0);
	assert_int_equal(vd_release(&w->t.v, 1), 0);
	cb_break_volume(&w->t.v, NULL, 1);
	for (i = 0; i < 100 && !w->a.breaks; i++)
		event_base_loop(w->t.v.base, EVLOOP_ONCE);
	assert_true(w->a.breaks >= 1);
	assert_int_equal(w->a.last_break.volume, 1);
}

/* A caller without a token is not an administrator. */
static void test_admin_only(void **state)
{
	struct world *w = *state;
	hs_vollock_args la = { 1, 1 };
	hs_voldump_args da = { 1, 0, 1024 };
	hs_volrelease_args ra = { 1 };
	hs_status_res sr;
	hs_voldump_res dr;

	assert_int_equal(tl_call(&w->t, &w->a, HS_VOL_LOCK,
				 (xdrproc_t)xdr_hs_vollock_args, &la,
				 (xdrproc_t)xdr_hs_status_res, &sr, sizeof sr,
				 NULL), EACCES);
	assert_int_equal(vd_locked(&w->t.v, 1), 0);
	assert_int_equal(tl_call(&w->t, &w->a, HS_VOL_DUMP,
				 (xdrproc_t)xdr_hs_voldump_args, &da,
				 (xdrproc_t)xdr_hs_voldump_res, &dr, sizeof dr,
				 NULL), EACCES);
	assert_int_equal(tl_call(&w->t, &w->a, HS_VOL_RELEASE,
				 (xdrproc_t)xdr_hs_volrelease_args, &ra,
				 (xdrproc_t)xdr_hs_status_res, &sr, sizeof sr,
				 NULL), EACCES);
	assert_int_equal(getattr(w, w->f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_breaks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_admin_only, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
