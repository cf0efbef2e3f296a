/*
 * test/unit/test_vice_auth.c - vice's protection database (CPS through
 * nested groups, cycles, the VIDENT_MAXCPS bound, deletion), sealed
 * tokens (round trip, tampering, the key file's mode) and the per-call
 * identity (vauth_ident: valid, expired, forged, deleted user, a pdb
 * change seen through the per-connection cache).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rpc/conn_int.h"
#include "vice/pdb.h"
#include "vice/auth.h"
#include "test/unit/testlib.h"

struct world {
	char root[TL_PATH_LEN];
	struct pdb *p;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[256];

	tl_mkdtemp(w->root, "hs-auth");
	assert_int_equal(pdb_open(w->root, &w->p, err, sizeof err), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	pdb_close(w->p);
	tl_rmrf(w->root);
	free(w);
	return 0;
}

static int in_cps(const struct vident *who, int32_t id)
{
	unsigned i;

	for (i = 0; i < who->ncps; i++)
		if (who->cps[i] == id)
			return 1;
	return 0;
}

static void test_system_groups(void **state)
{
	struct world *w = *state;
	char name[64];
	int32_t id;
	struct stat st;
	char path[TL_PATH_LEN + 16];

	assert_int_equal(pdb_id_of(w->p, "System:AnyUser", &id), 0);
	assert_int_equal(id, HS_ID_ANYUSER);
	assert_int_equal(pdb_name_of(w->p, HS_ID_ADMINS, name, sizeof name), 0);
	assert_string_equal(name, "System:Administrators");
	assert_int_equal(pdb_delete(w->p, HS_ID_AUTHUSER), EPERM);
	snprintf(path, sizeof path, "%s/pdb.db", w->root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_names(void **state)
{
	struct world *w = *state;
	int32_t g;

	assert_int_equal(pdb_user_add(w->p, "alice", 1000), 0);
	assert_int_equal(pdb_user_add(w->p, "alice", 1001), EEXIST);
	assert_int_equal(pdb_user_add(w->p, "bob", 1000), EEXIST);
	assert_int_equal(pdb_user_add(w->p, "a:b", 5), EINVAL);
	assert_int_equal(pdb_user_add(w->p, "a b", 5), EINVAL);
	assert_int_equal(pdb_user_add(w->p, "x@y", 5), EINVAL);
	assert_int_equal(pdb_user_add(w->p, "neg", -5), EINVAL);
	assert_int_equal(pdb_group_add(w->p, "bob:g", 1000, &g), EINVAL);
	assert_int_equal(pdb_group_add(w->p, "alice", 1000, &g), EINVAL);
	assert_int_equal(pdb_group_add(w->p, "alice:g", 1000, &g), 0);
	assert_true(g < HS_ID_ADMINS);
	assert_int_equal(pdb_group_add(w->p, "alice:g", 1000, &g), EEXIST);
	/* nu without an id: the next one, taken with the insert. */
	assert_int_equal(pdb_user_add_next(w->p, "carol", &g), 0);
	assert_int_equal(g, 1001);
	assert_int_equal(pdb_user_add_next(w->p, "carol", &g), EEXIST);
	assert_int_equal(pdb_user_add_next(w->p, "c d", &g), EINVAL);
}

static void test_cps_nested_and_cycles(void **state)
{
	struct world *w = *state;
	struct vident who = { 0 };
	int32_t g1, g2, g3;

	assert_int_equal(pdb_user_add(w->p, "alice", 1000), 0);
	assert_int_equal(pdb_group_add(w->p, "alice:a", 1000, &g1), 0);
	assert_int_equal(pdb_group_add(w->p, "alice:b", 1000, &g2), 0);
	assert_int_equal(pdb_group_add(w->p, "alice:c", 1000, &g3), 0);
	/* alice in a, a in b, b in c, c in a (a cycle), c in Administrators */
	assert_int_equal(pdb_member_add(w->p, g1, 1000), 0);
	assert_int_equal(pdb_member_add(w->p, g2, g1), 0);
	assert_int_equal(pdb_member_add(w->p, g3, g2), 0);
	assert_int_equal(pdb_member_add(w->p, g1, g3), 0);
	assert_int_equal(pdb_member_add(w->p, g1, 1000), EEXIST);
	assert_int_equal(pdb_member_add(w->p, g1, g1), EINVAL);
	assert_int_equal(pdb_member_add(w->p, HS_ID_ANYUSER, 1000), EINVAL);
	assert_int_equal(pdb_member_add(w->p, HS_ID_ADMINS, g3), 0);
	who.id = 1000;
	who.authenticated = 1;
	assert_int_equal(pdb_cps(w->p, &who), 0);
	assert_int_equal(who.ncps, 7);
	assert_true(in_cps(&who, 1000) && in_cps(&who, g1) && in_cps(&who, g2) &&
		    in_cps(&who, g3) && in_cps(&who, HS_ID_ADMINS) &&
		    in_cps(&who, HS_ID_ANYUSER) && in_cps(&who, HS_ID_AUTHUSER));
	assert_int_equal(who.admin, 1);
	/* Out of b: c and Administrators are no longer reachable. */
	assert_int_equal(pdb_member_del(w->p, g2, g1), 0);
	assert_int_equal(pdb_member_del(w->p, g2, g1), ENOENT);
	assert_int_equal(pdb_cps(w->p, &who), 0);
	assert_false(in_cps(&who, g3));
	assert_int_equal(who.admin, 0);
	/* Anonymous: no System:AuthUser. */
	who.authenticated = 0;
	assert_int_equal(pdb_cps(w->p, &who), 0);
	assert_false(in_cps(&who, HS_ID_AUTHUSER));
	assert_true(in_cps(&who, HS_ID_ANYUSER));
}

static void test_cps_bound(void **state)
{
	struct world *w = *state;
	struct vident who = { 0 };
	int32_t g, prev = 1000;
	char name[32];
	int i;

	assert_int_equal(pdb_user_add(w->p, "u", 1000), 0);
	/* A chain of 100 groups: more than VIDENT_MAXCPS. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "u:g%d", i);
		assert_int_equal(pdb_group_add(w->p, name, 1000, &g), 0);
		assert_int_equal(pdb_member_add(w->p, g, prev), 0);
		prev = g;
	}
	who.id = 1000;
	who.authenticated = 1;
	assert_int_equal(pdb_cps(w->p, &who), 0);
	assert_int_equal(who.ncps, VIDENT_MAXCPS);
	assert_true(in_cps(&who, HS_ID_ANYUSER));
	assert_true(in_cps(&who, HS_ID_AUTHUSER));
}

static void test_delete(void **state)
{
	struct world *w = *state;
	int32_t g, id;
	char buf[PDB_SECRET_MAX + 1];

	assert_int_equal(pdb_user_add(w->p, "alice", 1000), 0);
	assert_int_equal(pdb_user_add(w->p, "bob", 1001), 0);
	assert_int_equal(pdb_group_add(w->p, "alice:g", 1000, &g), 0);
	assert_int_equal(pdb_member_add(w->p, g, 1001), 0);
	assert_int_equal(pdb_secret_set(w->p, 1000, "SCRAM-SHA-256$1:a$b:c"), 0);
	assert_int_equal(pdb_secret_get(w->p, 1000, buf, sizeof buf), 0);
	assert_string_equal(buf, "SCRAM-SHA-256$1:a$b:c");
	assert_int_equal(pdb_delete(w->p, 1000), 0);
	assert_int_equal(pdb_id_of(w->p, "alice", &id), ENOENT);
	assert_int_equal(pdb_id_of(w->p, "alice:g", &id), ENOENT);
	assert_int_equal(pdb_secret_get(w->p, 1000, buf, sizeof buf), ENOENT);
	assert_int_equal(pdb_id_of(w->p, "bob", &id), 0);
	assert_int_equal(pdb_delete(w->p, 1000), ENOENT);
}

static void test_token_seal(void **state)
{
	struct world *w = *state;
	struct vtoken_info t = { 1000, 10, 20, { 1, 2, 3 } }, u;
	unsigned char tok[VTOKEN_LEN];
	char err[256], path[TL_PATH_LEN + 16];
	struct stat st;

	assert_int_equal(vtoken_key_load(w->root, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/auth.key", w->root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(vtoken_seal(&t, tok), 0);
	assert_int_equal(vtoken_open(tok, sizeof tok, &u), 0);
	assert_int_equal(u.vid, 1000);
	assert_int_equal(u.issued, 10);
	assert_int_equal(u.expires, 20);
	assert_memory_equal(u.id, t.id, 16);
	for (unsigned i = 0; i < sizeof tok; i++) {
		tok[i] ^= 0x40;
		assert_int_equal(vtoken_open(tok, sizeof tok, &u), EINVAL);
		tok[i] ^= 0x40;
	}
	assert_int_equal(vtoken_open(tok, sizeof tok - 1, &u), EINVAL);
	/* Reloading the same key opens old tokens. */
	assert_int_equal(vtoken_key_load(w->root, err, sizeof err), 0);
	assert_int_equal(vtoken_open(tok, sizeof tok, &u), 0);
	/* A key others can read is refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(vtoken_key_load(w->root, err, sizeof err), -1);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(path, 0600);
	assert_int_equal(vtoken_key_load(w->root, err, sizeof err), 0);
}

/* A call carrying cred (flavor, body), as rpc/serve.c would make it. */
static void fake_call(struct hrpc_call *call, unsigned char *rec,
		      uint32_t flavor, const void *body, unsigned len)
{
	memset(call, 0, sizeof(*call));
	memcpy(rec, body, len);
	call->rec = rec;
	call->len = len;
	call->cred_flavor = flavor;
	call->credoff = 0;
	call->credlen = len;
}

static void test_ident(void **state)
{
	struct world *w = *state;
	struct vice v = { 0 };
	struct vclient c = { 0 };
	struct hrpc_call call;
	struct vident who;
	struct vtoken_info t = { 1000, 0, 0, { 0 } };
	unsigned char tok[VTOKEN_LEN], rec[VTOKEN_LEN];
	char err[256];
	int32_t g;

	v.pdb = w->p;
	c.v = &v;
	assert_int_equal(vtoken_key_load(w->root, err, sizeof err), 0);
	assert_int_equal(pdb_user_add(w->p, "alice", 1000), 0);
	assert_int_equal(pdb_group_add(w->p, "alice:g", 1000, &g), 0);
	t.issued = time(NULL);
	t.expires = t.issued + 100;
	assert_int_equal(vtoken_seal(&t, tok), 0);

	/* AUTH_NONE: anonymous. */
	fake_call(&call, rec, 0, tok, 0);
	vauth_ident(&c, &call, &who);
	assert_int_equal(who.id, HS_ID_ANONYMOUS);
	assert_int_equal(who.authenticated, 0);
	assert_int_equal(who.ncps, 1);
	assert_int_equal(who.cps[0], HS_ID_ANYUSER);

	/* A valid token: alice, authenticated, with her CPS. */
	fake_call(&call, rec, HS_AUTH_FLAVOR, tok, sizeof tok);
	vauth_ident(&c, &call, &who);
	assert_int_equal(who.id, 1000);
	assert_int_equal(who.authenticated, 1);
	assert_true(in_cps(&who, HS_ID_AUTHUSER));
	assert_false(in_cps(&who, g));
	/* A pdb change (through another handle, as pdbtool) is seen by
	 * the next call although the token is cached. */
	{
		struct pdb *p2;

		assert_int_equal(pdb_open(w->root, &p2, err, sizeof err), 0);
		assert_int_equal(pdb_member_add(p2, g, 1000), 0);
		pdb_close(p2);
	}
	vauth_ident(&c, &call, &who);
	assert_true(in_cps(&who, g));

	/* A forged token: anonymous. */
	rec[VTOKEN_LEN - 1] ^= 1;
	vauth_ident(&c, &call, &who);
	assert_int_equal(who.id, HS_ID_ANONYMOUS);

	/* An expired one: anonymous. */
	t.expires = t.issued - 1;
	assert_int_equal(vtoken_seal(&t, tok), 0);
	fake_call(&call, rec, HS_AUTH_FLAVOR, tok, sizeof tok);
	vauth_ident(&c, &call, &who);
	assert_int_equal(who.id, HS_ID_ANONYMOUS);

	/* A deleted user's token stops working at once. */
	t.expires = t.issued + 100;
	assert_int_equal(vtoken_seal(&t, tok), 0);
	fake_call(&call, rec, HS_AUTH_FLAVOR, tok, sizeof tok);
	vauth_ident(&c, &call, &who);
	assert_int_equal(who.id, 1000);
	{
		struct pdb *p2;

		assert_int_equal(pdb_open(w->root, &p2, err, sizeof err), 0);
		assert_int_equal(pdb_delete(p2, 1000), 0);
		pdb_close(p2);
	}
	vauth_ident(&c, &call, &who);
	assert_int_equal(who.id, HS_ID_ANONYMOUS);
	vauth_conn_gone(&c);
	assert_null(c.auth);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_system_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cps_nested_and_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cps_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ident, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
