/*
 * test/unit/test_vice_volops.c - the volume procedure handlers
 * (vice/ops_vol.c) on a real store, as callers whose identity the test
 * builds (as dispatch does from a token): administrators only for the
 * HS_VOL_* calls and HS_SETQUOTA, anyone for HS_GETVOLSTAT, the a right
 * for HS_MKMOUNT (and an existing volume), ids from the VLDB when the
 * caller gives none.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "test/unit/testlib_vice.h"
#include "vice/ops.h"
#include "vice/store.h"

#define ALICE 1001

/* The realm key holder's token (auth_ident.c) resolves to this. */
static const struct vident keyholder = {
	HS_ID_ADMINS, 1, 1, 3, { HS_ID_ADMINS, HS_ID_ANYUSER, HS_ID_AUTHUSER },
};
static const struct vident alice = {
	ALICE, 1, 0, 3, { ALICE, HS_ID_ANYUSER, HS_ID_AUTHUSER },
};
static const struct vident anon = {
	HS_ID_ANONYMOUS, 0, 0, 1, { HS_ID_ANYUSER },
};

struct world {
	struct tl_store s;
	struct vice v;
	struct vclient c;
	uint64_t seq;
	hs_fid root;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	tl_store_open(&w->s, "vice-volops");
	w->v.vs = w->s.vs;
	w->c.v = &w->v;
	w->c.client_id = 77;
	w->root = (hs_fid){ 1, 1, 1 };
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vstamp_free(&w->v);
	tl_store_close(&w->s);
	free(w);
	return 0;
}

static int as(struct world *w, const struct vident *who, vice_op fn,
	      void *args, void *res)
{
	int err;

	w->v.who = who;
	err = fn(&w->c, args, res);
	w->v.who = NULL;
	return err;
}

static int create(struct world *w, const struct vident *who, const char *name,
		  uint32_t id, uint32_t *got)
{
	hs_volcreate_args a = { .name = (char *)name, .id = id };
	hs_getroot_res r;
	int err;

	memset(&r, 0, sizeof r);
	err = as(w, who, op_vol_create, &a, &r);
	if (!err && got)
		*got = r.hs_getroot_res_u.vol.id;
	if (!err)
		xdr_free((xdrproc_t)xdr_hs_getroot_res, (char *)&r);
	return err;
}

static void test_admin_only(void **state)
{
	struct world *w = *state;
	hs_setquota_args q = { .id = 1, .max_quota = 10 };
	hs_volrename_args rn = { .id = 2, .name = "b" };
	hs_volstatlist_res l;
	hs_volstat_res st;
	hs_status_res sr;
	uint32_t id = 0, vid = 2;

	assert_int_equal(create(w, &alice, "a", 0, NULL), EACCES);
	assert_int_equal(create(w, &anon, "a", 0, NULL), EACCES);
	assert_int_equal(create(w, &keyholder, "a", 0, &id), 0);
	assert_int_equal(id, 2);        /* the VLDB's next id */
	assert_int_equal(create(w, &keyholder, "c", 9, &id), 0);
	assert_int_equal(id, 9);
	assert_int_equal(create(w, &keyholder, "a", 0, NULL), EEXIST);
	assert_int_equal(as(w, &alice, op_setquota, &q, &sr), EACCES);
	assert_int_equal(as(w, &keyholder, op_setquota, &q, &sr), 0);
	assert_int_equal(as(w, &alice, op_vol_rename, &rn, &sr), EACCES);
	assert_int_equal(as(w, &keyholder, op_vol_rename, &rn, &sr), 0);
	memset(&l, 0, sizeof l);
	assert_int_equal(as(w, &alice, op_vol_list, NULL, &l), EACCES);
	assert_int_equal(as(w, &keyholder, op_vol_list, NULL, &l), 0);
	assert_int_equal(l.hs_volstatlist_res_u.list.vols.vols_len, 3);
	assert_string_equal(l.hs_volstatlist_res_u.list.vols.vols_val[1].name,
			    "b");
	xdr_free((xdrproc_t)xdr_hs_volstatlist_res, (char *)&l);
	/* Anyone reads a volume's status. */
	memset(&st, 0, sizeof st);
	assert_int_equal(as(w, &anon, op_getvolstat, &(u_int){ 1 }, &st), 0);
	assert_int_equal(st.hs_volstat_res_u.st.max_quota, 10);
	xdr_free((xdrproc_t)xdr_hs_volstat_res, (char *)&st);
	assert_int_equal(as(w, &anon, op_getvolstat, &(u_int){ 5 }, &st),
			 ENOENT);
	assert_int_equal(as(w, &alice, op_vol_remove, &vid, &sr), EACCES);
	assert_int_equal(as(w, &keyholder, op_vol_remove, &vid, &sr), 0);
	assert_int_equal(as(w, &keyholder, op_vol_remove, &(u_int){ 1 }, &sr),
			 EPERM);
}

static int mkmount(struct world *w, const struct vident *who,
		   const char *name, const char *vol, hs_attr *out)
{
	hs_mkmount_args a = { .dir = w->root, .sid = { 77, ++w->seq },
			      .name = (char *)name, .volume = (char *)vol };
	hs_create_res r;
	int err;

	memset(&r, 0, sizeof r);
	err = as(w, who, op_mkmount, &a, &r);
	if (!err && out)
		*out = r.hs_create_res_u.ok.obj;
	return err;
}

static void test_mkmount(void **state)
{
	struct world *w = *state;
	hs_attr a;

	assert_int_equal(create(w, &keyholder, "users", 0, NULL), 0);
	/* alice lacks a on the root directory (System:AnyUser rl). */
	assert_int_equal(mkmount(w, &alice, "u", "users", NULL), EACCES);
	assert_int_equal(mkmount(w, &keyholder, "u", "nosuch", NULL), ENOENT);
	assert_int_equal(mkmount(w, &keyholder, "u", "users", &a), 0);
	assert_int_equal(a.type, HS_FLNK);
	assert_int_equal(a.mode & 07777, 0644);
	assert_int_equal(vol_exists(&w->v, "users"), 0);
	assert_int_equal(vol_exists(&w->v, "nosuch"), ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admin_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkmount, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
