/*
 * test_venus_volreg.c - venus's volume registry (venus/net): fid
 * translation of every argument and result type of rpc/hesper.x (each
 * round trip restores the encoding, and no fid keeps its realm bits on
 * the wire), the realms file and DNS SRV parsers (errors name file and
 * line), and the registry against two in-process vices on one loop as
 * two realms: roots, calls routed per volume with local fids, a callback
 * break from the second realm's vice arriving as a local fid, and realm
 * indexes kept across a restart in venus.db.
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
#include <event2/event.h>

#include "test/unit/testlib_vice.h"
#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/net/server.h"
#include "venus/net/fidmap.h"
#include "venus/net/realm.h"
#include "venus/net/volreg.h"
#include "vice/store.h"

/* ---- fid translation ---- */

#define REALM 3
/* A local fid of realm REALM whose volume's bytes are easy to find. */
#define PAT 0x03abcd00u
static hs_fid L(unsigned k)
{
	hs_fid f = { PAT | k, 10 + k, 20 + k };

	return f;
}

static char *enc(xdrproc_t p, void *o, u_int *len)
{
	u_long n = xdr_sizeof(p, o);
	char *buf = malloc(n ? n : 1);
	XDR x;

	assert_non_null(buf);
	xdrmem_create(&x, buf, (u_int)n, XDR_ENCODE);
	assert_true(p(&x, o, 0));
	*len = xdr_getpos(&x);
	xdr_destroy(&x);
	return buf;
}

/* Occurrences of PAT's three top bytes at 4-byte boundaries. */
static int pats(const char *b, u_int len)
{
	int n = 0;

	for (u_int i = 0; i + 4 <= len; i += 4)
		n += (unsigned char)b[i] == 0x03 && (unsigned char)b[i + 1] == 0xab &&
		     (unsigned char)b[i + 2] == 0xcd;
	return n;
}

static void no_count(void *ctx, hs_fid *f)
{
	(*(int *)ctx)++;
	(void)f;
}

/* obj holds fids fids walks over and ids volume ids (arguments only):
 * to vice's form and back gives the same bytes, none with realm bits. */
static void round_trip(const char *what, xdrproc_t p, void *obj, int fids, int ids)
{
	u_int la, lw, lb;
	char *a = enc(p, obj, &la), *w, *b;
	int seen = 0;

	print_message("%s\n", what);
	assert_int_equal(pats(a, la), fids + ids);
	assert_int_equal(vr_map_walk(p, obj, no_count, &seen), fids);
	assert_int_equal(seen, fids);
	assert_int_equal(vr_map(VR_TO_WIRE, REALM, p, obj), 0);
	w = enc(p, obj, &lw);
	assert_int_equal(pats(w, lw), 0);
	assert_int_equal(vr_map(VR_TO_LOCAL, REALM, p, obj), 0);
	b = enc(p, obj, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(w);
	free(b);
}

#define RT(t, o, f, i) round_trip(#t, (xdrproc_t)xdr_##t, o, f, i)
static char E[] = "";

static void test_map_args(void **state)
{
	hs_fid fid = L(1);
	u_int id = PAT | 5;
	hs_lookup_args lk = { L(1), E };
	hs_readdir_args rd = { L(1), 0, 10 };
	hs_fetch_args fe = { L(1), 0, 10 };
	hs_store_chunk_args ch = { .fid = L(1) };
	hs_store_commit_args co = { .fid = L(1) };
	hs_setattr_args sa = { .fid = L(1) };
	hs_create_args cr = { .dir = L(1), .name = E };
	hs_symlink_args sy = { .dir = L(1), .name = E, .target = E };
	hs_link_args li = { .dir = L(1), .name = E, .target = L(2) };
	hs_remove_args rm = { .dir = L(1), .name = E, .obj = L(2) };
	hs_rename_args rn = { .src_dir = L(1), .src_name = E, .dst_dir = L(2),
			      .dst_name = E, .obj = L(3) };
	hs_staged_args st = { L(1), { 1, 2 } };
	hs_mknod_args mk = { .dir = L(1), .name = E, .type = HS_FIFO };
	hs_setacl_args acl = { .dir = L(1) };
	hs_mkmount_args mm = { .dir = L(1), .name = E, .volume = E };
	hs_vldb_args vl = { PAT | 6, E };
	hs_setquota_args sq = { .id = PAT | 7 };
	hs_volcreate_args vc = { .name = E, .id = PAT | 8 };
	hs_volrename_args vr = { PAT | 9, E };
	hs_vollock_args vk = { PAT | 9, 1 };
	hs_voldump_args vd = { PAT | 9, 0, 1 };
	hs_volrestore_args vs = { 1, E, PAT | 9 };
	hs_volrelease_args vrl = { PAT | 9 };
	hs_cml_rec recs[10];
	hs_reint_args ri = { { 10, recs } };

	RT(hs_fid, &fid, 1, 0);
	RT(u_int, &id, 0, 1);
	RT(hs_lookup_args, &lk, 1, 0);
	RT(hs_readdir_args, &rd, 1, 0);
	RT(hs_fetch_args, &fe, 1, 0);
	RT(hs_store_chunk_args, &ch, 1, 0);
	RT(hs_store_commit_args, &co, 1, 0);
	RT(hs_setattr_args, &sa, 1, 0);
	RT(hs_create_args, &cr, 1, 0);
	RT(hs_symlink_args, &sy, 1, 0);
	RT(hs_link_args, &li, 2, 0);
	RT(hs_remove_args, &rm, 2, 0);
	RT(hs_rename_args, &rn, 3, 0);
	RT(hs_staged_args, &st, 1, 0);
	RT(hs_mknod_args, &mk, 1, 0);
	RT(hs_setacl_args, &acl, 1, 0);
	RT(hs_mkmount_args, &mm, 1, 0);
	RT(hs_vldb_args, &vl, 0, 1);
	RT(hs_setquota_args, &sq, 0, 1);
	RT(hs_volcreate_args, &vc, 0, 1);
	RT(hs_volrename_args, &vr, 0, 1);
	RT(hs_vollock_args, &vk, 0, 1);
	RT(hs_voldump_args, &vd, 0, 1);
	RT(hs_volrestore_args, &vs, 0, 1);
	RT(hs_volrelease_args, &vrl, 0, 1);

	memset(recs, 0, sizeof recs);
	recs[0].op = HS_OP_STORE;   recs[0].hs_cml_rec_u.store = co;
	recs[1].op = HS_OP_SETATTR; recs[1].hs_cml_rec_u.setattr = sa;
	recs[2].op = HS_OP_CREATE;  recs[2].hs_cml_rec_u.create.local = L(4);
	recs[2].hs_cml_rec_u.create.a = cr;
	recs[3].op = HS_OP_MKDIR;   recs[3].hs_cml_rec_u.mkdir.local = L(5);
	recs[3].hs_cml_rec_u.mkdir.a = cr;
	recs[4].op = HS_OP_SYMLINK; recs[4].hs_cml_rec_u.symlink.local = L(6);
	recs[4].hs_cml_rec_u.symlink.a = sy;
	recs[5].op = HS_OP_LINK;    recs[5].hs_cml_rec_u.link = li;
	recs[6].op = HS_OP_REMOVE;  recs[6].hs_cml_rec_u.remove = rm;
	recs[7].op = HS_OP_RMDIR;   recs[7].hs_cml_rec_u.rmdir = rm;
	recs[8].op = HS_OP_RENAME;  recs[8].hs_cml_rec_u.rename = rn;
	recs[9].op = HS_OP_MKNOD;   recs[9].hs_cml_rec_u.mknod.local = L(7);
	recs[9].hs_cml_rec_u.mknod.a = mk;
	RT(hs_reint_args, &ri, 19, 0);
	(void)state;
}

static hs_attr A(unsigned k)
{
	hs_attr a = { .fid = L(k), .type = HS_FREG };

	return a;
}

static void test_map_results(void **state)
{
	hs_volinfo vi[2] = { { 5, E, L(1) }, { 6, E, L(2) } };
	hs_dirent de[3] = { { E, L(2), HS_FREG }, { E, L(3), HS_FDIR }, { E, L(4), HS_FLNK } };
	hs_reint_result rr[2] = { { 0, { 1, 1 }, L(1), A(2) }, { 0, { 1, 2 }, L(3), A(4) } };
	hs_volstat vst[2] = { { .id = 5, .name = E, .root = L(1) },
			      { .id = 6, .name = E, .root = L(2) } };
	hs_getroot_res gr = { 0, { .vol = vi[0] } };
	hs_listvol_res lv = { 0, { .list = { { 2, vi } } } };
	hs_attr_res ar = { 0, { .attr = A(1) } };
	hs_lookup_res lk = { 0, { .ok = { A(1), A(2) } } };
	hs_readdir_res rd = { 0, { .ok = { .dir = A(1), .entries = { 3, de } } } };
	hs_fetch_res fe = { 0, { .ok = { .attr = A(1) } } };
	hs_create_res cr = { 0, { .ok = { A(1), A(2) } } };
	hs_remove_res rm = { 0, { .ok = { A(1), 0, A(2) } } };
	hs_rename_res rn = { 0, { .ok = { A(1), A(2), A(3), 1, L(4) } } };
	hs_reint_res ri = { 0, { .ok = { { 2, rr } } } };
	hs_volstat_res vs = { 0, { .st = vst[0] } };
	hs_volstatlist_res vl = { 0, { .list = { { 2, vst } } } };
	hs_attr_res bad = { ENOENT, { .attr = A(1) } };

	RT(hs_getroot_res, &gr, 1, 0);
	RT(hs_listvol_res, &lv, 2, 0);
	RT(hs_attr_res, &ar, 1, 0);
	RT(hs_lookup_res, &lk, 2, 0);
	RT(hs_readdir_res, &rd, 4, 0);
	RT(hs_fetch_res, &fe, 1, 0);
	RT(hs_create_res, &cr, 2, 0);
	RT(hs_remove_res, &rm, 2, 0);
	RT(hs_rename_res, &rn, 4, 0);
	RT(hs_reint_res, &ri, 4, 0);
	RT(hs_volstat_res, &vs, 1, 0);
	RT(hs_volstatlist_res, &vl, 2, 0);
	/* A failed result carries nothing: its bytes are left alone. */
	assert_int_equal(vr_map(VR_TO_WIRE, REALM, (xdrproc_t)xdr_hs_attr_res, &bad), 0);
	assert_int_equal(bad.hs_attr_res_u.attr.fid.volume, PAT | 1);
	(void)state;
}

static void test_map_errors(void **state)
{
	hs_fid other = { 4u << VR_REALM_SHIFT | 1, 1, 1 }, wire = { 1, 2, 3 };
	hs_fid big = { 0x01000000, 1, 1 }, zero = { 0, 0, 0 };
	hs_link_args li = { .dir = L(1), .name = E, .target = other };
	int x = 0;

	/* A fid of another realm cannot go to this realm's server. */
	assert_int_equal(vr_fid_to_wire(REALM, &other), EXDEV);
	assert_int_equal(vr_map(VR_TO_WIRE, REALM, (xdrproc_t)xdr_hs_link_args, &li), EXDEV);
	/* vice's fid past HS_VOLID_MAX names nothing. */
	assert_int_equal(vr_fid_to_local(REALM, &big), EIO);
	/* Already vice's, and volume 0, stay as they are. */
	assert_int_equal(vr_fid_to_wire(REALM, &wire), 0);
	assert_int_equal(wire.volume, 1);
	assert_int_equal(vr_fid_to_local(REALM, &zero), 0);
	assert_int_equal(zero.volume, 0);
	/* Realm 0 is the identity, whatever the type. */
	assert_int_equal(vr_map(VR_TO_LOCAL, 0, (xdrproc_t)xdr_int, &x), 0);
	assert_int_equal(vr_fid_to_local(0, &wire), 0);
	assert_int_equal(wire.volume, 1);
	/* A type the table does not know is refused, not sent as it is. */
	assert_int_equal(vr_map(VR_TO_WIRE, REALM, (xdrproc_t)xdr_int, &x), ENOSYS);
	assert_int_equal(vr_map_size((xdrproc_t)xdr_int), 0);
	assert_int_equal(vr_map_size((xdrproc_t)xdr_hs_fid), sizeof(hs_fid));
	(void)state;
}

/* ---- the realms file ---- */

struct lines {
	int n;
	char realm[4][64];
	struct vr_addr a[4][VR_MAX_ADDRS];
	int na[4];
};

static int on_line(void *arg, const char *realm, const struct vr_addr *a, int n)
{
	struct lines *l = arg;

	assert_true(l->n < 4);
	snprintf(l->realm[l->n], sizeof l->realm[0], "%s", realm);
	memcpy(l->a[l->n], a, sizeof a[0] * (size_t)n);
	l->na[l->n++] = n;
	return 0;
}

static int parse(const char *text, struct lines *l, char *err, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	memset(l, 0, sizeof *l);
	rc = vr_realms_parse(f, "realms", on_line, l, err, len);
	fclose(f);
	return rc;
}

static void test_realms_file(void **state)
{
	struct lines l;
	char err[256];

	assert_int_equal(parse("# Coda's realms file\n\n"
			       "b.test  s1 s2:2500\t[::1]:2600  # three\n"
			       "   c.test 10.0.0.1\n", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.realm[0], "b.test");
	assert_int_equal(l.na[0], 3);
	assert_string_equal(l.a[0][0].host, "s1");
	assert_int_equal(l.a[0][0].port, VR_DEFAULT_PORT);
	assert_string_equal(l.a[0][1].host, "s2");
	assert_int_equal(l.a[0][1].port, 2500);
	assert_string_equal(l.a[0][2].host, "::1");
	assert_int_equal(l.a[0][2].port, 2600);
	assert_string_equal(l.realm[1], "c.test");
	assert_string_equal(l.a[1][0].host, "10.0.0.1");

	assert_int_equal(parse("x.test\n", &l, err, sizeof err), -1);
	assert_string_equal(err, "realms:1: realm x.test names no server");
	assert_int_equal(parse("ok.test a\n\nbad.test h:0\n", &l, err, sizeof err), -1);
	assert_string_equal(err, "realms:3: realm bad.test: bad server 'h:0' "
			    "(host, host:port or [v6]:port)");
	assert_int_equal(parse("r h:99999\n", &l, err, sizeof err), -1);
	assert_non_null(strstr(err, "realms:1:"));
	assert_int_equal(parse("r [::1\n", &l, err, sizeof err), -1);
	assert_int_equal(parse("r a b c d e f g h i\n", &l, err, sizeof err), -1);
	assert_string_equal(err, "realms:1: realm r: more than 8 servers");
	(void)state;
}

/* ---- DNS SRV answers ---- */

static size_t name(unsigned char *p, const char *dotted)
{
	size_t n = 0;

	while (*dotted) {
		size_t k = strcspn(dotted, ".");

		p[n++] = (unsigned char)k;
		memcpy(p + n, dotted, k);
		n += k;
		dotted += k + (dotted[k] == '.');
	}
	p[n++] = 0;
	return n;
}

static size_t u16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return 2;
}

/* An answer record for the question's name (pointer to offset 12). */
static size_t srv_rr(unsigned char *p, unsigned ttl, unsigned prio, unsigned port,
		     const char *target)
{
	size_t n = 0, rdlen_at;

	p[n++] = 0xc0;
	p[n++] = 12;
	n += u16(p + n, 33);
	n += u16(p + n, 1);
	n += u16(p + n, ttl >> 16);
	n += u16(p + n, ttl & 0xffff);
	rdlen_at = n;
	n += 2;
	n += u16(p + n, prio);
	n += u16(p + n, 5);
	n += u16(p + n, port);
	n += name(p + n, target);
	u16(p + rdlen_at, (unsigned)(n - rdlen_at - 2));
	return n;
}

static int answer(unsigned char *m, int nrr, const char *t1, const char *t2)
{
	size_t n = 0;

	memset(m, 0, 12);
	u16(m + 2, 0x8180);
	u16(m + 4, 1);
	u16(m + 6, (unsigned)nrr);
	n = 12;
	n += name(m + n, "_hesper._tcp.b.test");
	n += u16(m + n, 33);
	n += u16(m + n, 1);
	n += srv_rr(m + n, 300, 20, 2500, t1);
	if (nrr > 1)
		n += srv_rr(m + n, 120, 10, 2600, t2);
	return (int)n;
}

static void test_dns_srv(void **state)
{
	unsigned char m[512];
	struct vr_addr a[VR_MAX_ADDRS];
	unsigned ttl;
	char err[128];
	int len = answer(m, 2, "s1.b.test", "s2.b.test");

	/* Lower priority first; the least TTL. */
	assert_int_equal(vr_srv_parse(m, len, a, VR_MAX_ADDRS, &ttl, err, sizeof err), 2);
	assert_string_equal(a[0].host, "s2.b.test");
	assert_int_equal(a[0].port, 2600);
	assert_string_equal(a[1].host, "s1.b.test");
	assert_int_equal(a[1].port, 2500);
	assert_int_equal(ttl, 120);
	/* Cut short anywhere: an error, never a read past the end. */
	for (int cut = 0; cut < len; cut++)
		assert_true(vr_srv_parse(m, cut, a, VR_MAX_ADDRS, &ttl, err, sizeof err) <= 0);
	assert_int_equal(vr_srv_parse(m, len - 3, a, VR_MAX_ADDRS, &ttl, err, sizeof err), -1);
	assert_string_equal(err, "answer 2: data cut short");
	/* RFC 2782's "." target: the service is not offered there. */
	len = answer(m, 1, "", NULL);
	assert_int_equal(vr_srv_parse(m, len, a, VR_MAX_ADDRS, &ttl, err, sizeof err), 0);
	(void)state;
}

/* ---- two realms, two vices, one loop ---- */

struct world {
	struct tl_vice a, b;
	char cache[TL_PATH_LEN];
	char server[16], realm[16], realmtab[TL_PATH_LEN + 16];
	struct venus venus;
	int breaks;
	hs_fid last_break;
};

static struct world *W;

static void on_break(void *arg, const hs_fid *fid)
{
	W->breaks++;
	W->last_break = *fid;
}

static void fence(void *arg, void (*done)(void *), void *done_arg)
{
	done(done_arg);
}

static const struct vr_hooks hooks = { .cb_break = on_break, .fence = fence };

/* A second vice on a's loop. */
static void vice_b_start(struct world *w)
{
	char err[256], fp[HRPC_FP_LEN];
	struct tl_vice *t = &w->b;

	tl_mkdtemp(t->root, "vr-b");
	assert_int_equal(vs_open(t->root, &t->v.vs, err, sizeof err), 0);
	assert_non_null(t->v.tls = vice_tls_init(t->root, fp, err, sizeof err));
	t->v.base = w->a.v.base;
	t->v.lis = hrpc_listen(t->v.base, t->v.tls, "127.0.0.1", 0, &vice_conn_ops, &t->v,
			       err, sizeof err);
	assert_non_null(t->v.lis);
	assert_non_null(t->ctls = hrpc_tls_client(NULL, err, sizeof err));
	tl_vice_open_root(t);
}

static void vice_b_stop(struct world *w)
{
	struct tl_vice *t = &w->b;

	hrpc_listener_free(t->v.lis);
	vice_clients_close(&t->v);
	event_base_loop(t->v.base, EVLOOP_NONBLOCK);
	hrpc_tls_free(t->v.tls);
	hrpc_tls_free(t->ctls);
	vstamp_free(&t->v);
	vs_close(t->v.vs);
	tl_rmrf(t->root);
}

static void venus_open(struct world *w)
{
	struct venus_config *c = &w->venus.cfg;
	char path[TL_PATH_LEN + 16];

	V = &w->venus;
	memset(V, 0, sizeof *V);
	V->base = w->a.v.base;
	strcpy(w->server, "127.0.0.1");
	strcpy(w->realm, "a.test");
	c->server = w->server;
	c->port = tl_vice_port(&w->a);
	c->realm = w->realm;
	c->realmtab = w->realmtab;
	c->cachedir = w->cache;
	c->timeout_ms = tl_wait_ms();
	c->serverprobe = 3600;
	snprintf(path, sizeof path, "%s/venus.db", w->cache);
	assert_int_equal(db_open(path, &V->db), 0);
	assert_int_equal(db_meta_load(V->db, &V->client_id, &V->next_seq), 0);
	assert_int_equal(db_client_key(V->db, V->client_key), 0);
	assert_int_equal(vr_init(&hooks), 0);
}

static void venus_close(void)
{
	vr_fini();
	db_close(V->db);
	V = NULL;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	FILE *f;

	assert_non_null(w);
	W = w;
	tl_vice_start(&w->a, "vr-a");
	tl_vice_open_root(&w->a);
	vice_b_start(w);
	tl_mkdtemp(w->cache, "vr-cache");
	snprintf(w->realmtab, sizeof w->realmtab, "%s/realms", w->cache);
	assert_non_null(f = fopen(w->realmtab, "w"));
	fprintf(f, "# the second realm\nb.test 127.0.0.1:%d\n", tl_vice_port(&w->b));
	fclose(f);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vice_b_stop(w);
	tl_vice_stop(&w->a);
	tl_rmrf(w->cache);
	free(w);
	W = NULL;
	return 0;
}

struct got {
	int done, err;
	hs_fid fid;
	hs_attr attr;
};

static void got_root(void *arg, int err, const hs_fid *root)
{
	struct got *g = arg;

	g->done = 1;
	g->err = err;
	if (root)
		g->fid = *root;
}

static void got_res(void *arg, int err, void *res)
{
	struct got *g = arg;

	g->done = 1;
	g->err = err;
	if (!err)
		g->attr = ((hs_attr_res *)res)->hs_attr_res_u.attr;
}

static void got_create(void *arg, int err, void *res)
{
	struct got *g = arg;
	hs_create_res *r = res;

	g->done = 1;
	g->err = err ? err : r->status;
	if (!g->err)
		g->attr = r->hs_create_res_u.ok.obj;
}

static void root_of(const char *realm, struct got *g)
{
	memset(g, 0, sizeof *g);
	vr_realm_root(realm, SRV_SELF, got_root, g);
	tl_run_until(V->base, &g->done);
}

static void count_vol(void *arg, uint32_t lvol, const char *name, struct srv *s)
{
	(*(int *)arg)++;
}

static void test_two_realms(void **state)
{
	struct world *w = *state;
	struct got g, rb;
	hs_create_args ca = { .name = (char *)"f", .mode = 0644 };
	hs_setattr_args sa = { .mask = HS_SET_MTIME };
	struct tl_client cl = { 0 };
	hs_attr_res ar;
	int idx, nvol = 0;
	char port[16];

	venus_open(w);
	assert_string_equal(vr_realm0(), "a.test");
	assert_int_equal(vr_realm_index("a.test"), 0);
	idx = vr_realm_index("b.test");
	assert_true(idx > 0 && idx < VR_MAX_REALMS);

	/* Realm 0's fids are vice's; realm b's carry its index. */
	root_of("a.test", &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.fid.volume, 1);
	root_of("b.test", &rb);
	assert_int_equal(rb.err, 0);
	assert_int_equal(rb.fid.volume, (uint32_t)idx << VR_REALM_SHIFT | 1);
	assert_non_null(vr_srv_of(rb.fid.volume));
	assert_ptr_not_equal(vr_srv_of(rb.fid.volume), vr_srv0());
	snprintf(port, sizeof port, ":%d", tl_vice_port(&w->b));
	assert_non_null(strstr(vr_server_name(rb.fid.volume), port));
	assert_int_equal(vr_reachable(rb.fid.volume), 1);
	vr_vol_foreach(count_vol, &nvol);
	assert_int_equal(nvol, 2);

	/* A create in realm b: local fids in, local fids out. */
	ca.dir = rb.fid;
	srv_new_storeid(&ca.sid);
	memset(&g, 0, sizeof g);
	vr_call_as(rb.fid.volume, SRV_SELF, HS_CREATE, (xdrproc_t)xdr_hs_create_args, &ca,
		   (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), got_create, &g);
	tl_run_until(V->base, &g.done);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.attr.fid.volume, rb.fid.volume);

	/* GETATTR takes a promise; another client's change breaks it, and the
	 * break arrives as the local fid. */
	{
		hs_fid file = g.attr.fid;

		memset(&g, 0, sizeof g);
		vr_call_as(file.volume, SRV_SELF, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &file,
			   (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), got_res, &g);
		tl_run_until(V->base, &g.done);
		assert_int_equal(g.err, 0);
		assert_memory_equal(&g.attr.fid, &file, sizeof file);

		tl_client_open(&w->b, &cl);
		assert_int_equal(tl_hs_connect(&w->b, &cl, 77, HS_PROTO_VERSION), 0);
		sa.fid = file;
		sa.fid.volume = 1;   /* the other client speaks vice's fids */
		sa.sid.client = 77;
		sa.sid.seq = 1;
		assert_int_equal(tl_call(&w->b, &cl, HS_SETATTR, (xdrproc_t)xdr_hs_setattr_args,
					 &sa, (xdrproc_t)xdr_hs_attr_res, &ar, sizeof ar, NULL), 0);
		assert_true(W->breaks > 0);
		assert_memory_equal(&W->last_break, &file, sizeof file);
		tl_client_close(&cl);
	}

	/* A realm venus never heard of, and a fid of no known realm. */
	memset(&g, 0, sizeof g);
	vr_call_as(77u << VR_REALM_SHIFT | 1, SRV_SELF, HS_GETATTR, (xdrproc_t)xdr_hs_fid,
		   &rb.fid, (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res), got_res, &g);
	assert_int_equal(g.done, 1);
	assert_int_equal(g.err, ESTALE);
	root_of(".Trash", &g);
	assert_int_equal(g.err, ENOENT);
	assert_int_equal(vr_realm_index(".Trash"), -1);

	/* Indexes survive a restart (cached fids carry them), whatever order
	 * the realms file names realms in then. */
	venus_close();
	{
		FILE *f = fopen(w->realmtab, "w");

		assert_non_null(f);
		fprintf(f, "c.test 127.0.0.1:1\nb.test 127.0.0.1:%d\n", tl_vice_port(&w->b));
		fclose(f);
	}
	venus_open(w);
	assert_int_equal(vr_realm_index("b.test"), idx);
	assert_int_not_equal(vr_realm_index("c.test"), idx);
	venus_close();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_args),
		cmocka_unit_test(test_map_results),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_realms_file),
		cmocka_unit_test(test_dns_srv),
		cmocka_unit_test_setup_teardown(test_two_realms, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
