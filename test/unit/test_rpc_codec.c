/*
 * test_rpc_codec.c - XDR round trips of hesper.x types, bounds enforced by
 * the decoders, and the RFC 5531 record-marking parser (rpc/record.c).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "hesper/rpc.h"
#include "hesper.h"
#include "rpc/record.h"
#include "rpc/xdr_inplace.h"

/* ---- allocation watch: the largest single request while armed ----
 * Interposes malloc/calloc (libtirpc allocates with calloc).  Not under
 * ASan, which owns the allocator; there the size checks are skipped. */
#if defined(__SANITIZE_ADDRESS__)
#define WATCH_ALLOC 0
static size_t max_alloc;
#else
#define WATCH_ALLOC 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
static size_t max_alloc;
static int armed;

void *malloc(size_t n)
{
	if (armed && n > max_alloc)
		max_alloc = n;
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	if (armed && k * n > max_alloc)
		max_alloc = k * n;
	return __libc_calloc(k, n);
}
#endif

static void arm(void)
{
	max_alloc = 0;
#if WATCH_ALLOC
	armed = 1;
#endif
}

static void disarm(void)
{
#if WATCH_ALLOC
	armed = 0;
#endif
}

/* ---- helpers ---- */

static size_t encode(xdrproc_t proc, void *obj, char *buf, size_t len)
{
	XDR x;
	size_t n;

	xdrmem_create(&x, buf, (u_int)len, XDR_ENCODE);
	assert_true(proc(&x, obj));
	n = xdr_getpos(&x);
	xdr_destroy(&x);
	return n;
}

static int decode(xdrproc_t proc, void *obj, char *buf, size_t len)
{
	XDR x;
	int ok;

	xdrmem_create(&x, buf, (u_int)len, XDR_DECODE);
	ok = proc(&x, obj);
	xdr_destroy(&x);
	if (!ok)
		xdr_free(proc, obj);
	return ok;
}

/* Big-endian words into buf; returns bytes written. */
static size_t words(char *buf, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		uint32_t v = va_arg(ap, uint32_t);
		unsigned char *p = (unsigned char *)buf + 4 * i;

		p[0] = (unsigned char)(v >> 24);
		p[1] = (unsigned char)(v >> 16);
		p[2] = (unsigned char)(v >> 8);
		p[3] = (unsigned char)v;
	}
	va_end(ap);
	return 4 * (size_t)n;
}

/* ---- XDR round trips ---- */

static void test_roundtrip_lookup(void **state)
{
	char buf[1024], name[] = "file.txt";
	hs_lookup_args a = { { 1, 2, 3 }, name }, b;
	size_t n = encode((xdrproc_t)xdr_hs_lookup_args, &a, buf, sizeof buf);

	memset(&b, 0, sizeof b);
	assert_true(decode((xdrproc_t)xdr_hs_lookup_args, &b, buf, n));
	assert_int_equal(b.dir.volume, 1);
	assert_int_equal(b.dir.vnode, 2);
	assert_int_equal(b.dir.unique, 3);
	assert_string_equal(b.name, "file.txt");
	xdr_free((xdrproc_t)xdr_hs_lookup_args, &b);
}

static void test_roundtrip_attr(void **state)
{
	char buf[1024];
	hs_attr_res a, b;
	size_t n;

	memset(&a, 0, sizeof a);
	a.hs_attr_res_u.attr.fid = (hs_fid){ 9, 8, 7 };
	a.hs_attr_res_u.attr.type = HS_FDIR;
	a.hs_attr_res_u.attr.size = 0x123456789abcULL;   /* > 4 GiB */
	a.hs_attr_res_u.attr.mtime.sec = -5;
	a.hs_attr_res_u.attr.dataversion = 77;
	a.hs_attr_res_u.attr.storeid = (hs_storeid){ 1ULL << 40, 3 };
	n = encode((xdrproc_t)xdr_hs_attr_res, &a, buf, sizeof buf);
	memset(&b, 0, sizeof b);
	assert_true(decode((xdrproc_t)xdr_hs_attr_res, &b, buf, n));
	assert_memory_equal(&a.hs_attr_res_u.attr, &b.hs_attr_res_u.attr,
			    sizeof a.hs_attr_res_u.attr);

	a.status = 2;   /* ENOENT: no body */
	n = encode((xdrproc_t)xdr_hs_attr_res, &a, buf, sizeof buf);
	assert_int_equal(n, 4);
}

static void test_roundtrip_readdir_fetch(void **state)
{
	static char buf[64 * 1024];
	hs_dirent ents[2] = { { "a", { 1, 2, 3 }, HS_FREG },
			      { "bb", { 1, 4, 5 }, HS_FDIR } };
	hs_readdir_res r, r2;
	hs_fetch_res f, f2;
	char data[1000];
	size_t n;

	memset(&r, 0, sizeof r);
	r.hs_readdir_res_u.ok.entries.entries_len = 2;
	r.hs_readdir_res_u.ok.entries.entries_val = ents;
	r.hs_readdir_res_u.ok.cookie = 99;
	r.hs_readdir_res_u.ok.eof = 1;
	n = encode((xdrproc_t)xdr_hs_readdir_res, &r, buf, sizeof buf);
	memset(&r2, 0, sizeof r2);
	assert_true(decode((xdrproc_t)xdr_hs_readdir_res, &r2, buf, n));
	assert_int_equal(r2.hs_readdir_res_u.ok.entries.entries_len, 2);
	assert_string_equal(r2.hs_readdir_res_u.ok.entries.entries_val[1].name,
			    "bb");
	assert_int_equal(r2.hs_readdir_res_u.ok.cookie, 99);
	assert_true(r2.hs_readdir_res_u.ok.eof);
	xdr_free((xdrproc_t)xdr_hs_readdir_res, &r2);

	memset(data, 0xa5, sizeof data);
	memset(&f, 0, sizeof f);
	f.hs_fetch_res_u.ok.data.data_len = sizeof data;
	f.hs_fetch_res_u.ok.data.data_val = data;
	n = encode((xdrproc_t)xdr_hs_fetch_res, &f, buf, sizeof buf);
	memset(&f2, 0, sizeof f2);
	arm();
	assert_true(decode((xdrproc_t)xdr_hs_fetch_res, &f2, buf, n));
	disarm();
	if (WATCH_ALLOC)   /* the watch itself works */
		assert_true(max_alloc >= sizeof data);
	assert_int_equal(f2.hs_fetch_res_u.ok.data.data_len, sizeof data);
	assert_memory_equal(f2.hs_fetch_res_u.ok.data.data_val, data,
			    sizeof data);
	xdr_free((xdrproc_t)xdr_hs_fetch_res, &f2);
}

/* The in-place decoders (rpc/xdr_inplace.c) read what the generated
 * encoders write, point the data into the buffer instead of allocating
 * it, leave it alone on XDR_FREE, and refuse short or oversized input. */
static void test_inplace(void **state)
{
	static char buf[64 * 1024];
	static char data[1001];
	hs_extent ext[1] = { { 7, sizeof data } };
	hs_store_chunk_args a, a2;
	hs_fetch_res f, f2;
	size_t n;

	memset(data, 0x5a, sizeof data);
	memset(&a, 0, sizeof a);
	a.fid = (hs_fid){ 1, 2, 3 };
	a.sid = (hs_storeid){ 4, 5 };
	a.offset = 1ULL << 40;
	a.data.data_len = sizeof data;
	a.data.data_val = data;
	n = encode((xdrproc_t)xdr_hs_store_chunk_args, &a, buf, sizeof buf);
	memset(&a2, 0, sizeof a2);
	arm();
	assert_true(decode((xdrproc_t)xdr_hs_store_chunk_args_inplace, &a2,
			   buf, n));
	disarm();
	if (WATCH_ALLOC)
		assert_true(max_alloc < sizeof data);   /* not copied */
	assert_true(a2.data.data_val > buf && a2.data.data_val < buf + n);
	assert_int_equal(a2.data.data_len, sizeof data);
	assert_memory_equal(a2.data.data_val, data, sizeof data);
	assert_int_equal(a2.offset, 1ULL << 40);
	assert_int_equal(a2.sid.seq, 5);
	xdr_free((xdrproc_t)xdr_hs_store_chunk_args_inplace, &a2);
	assert_null(a2.data.data_val);
	/* Short by one byte of padding: refused. */
	memset(&a2, 0, sizeof a2);
	assert_false(decode((xdrproc_t)xdr_hs_store_chunk_args_inplace, &a2,
			    buf, n - 1));
	/* A length above HS_CHUNK_MAX: refused before anything else. */
	words(buf + n - 4 - ((sizeof data + 3) & ~3u), 1,
	      (uint32_t)HS_CHUNK_MAX + 1);
	assert_false(decode((xdrproc_t)xdr_hs_store_chunk_args_inplace, &a2,
			    buf, n));

	memset(&f, 0, sizeof f);
	f.hs_fetch_res_u.ok.ext.ext_len = 1;
	f.hs_fetch_res_u.ok.ext.ext_val = ext;
	f.hs_fetch_res_u.ok.data.data_len = sizeof data;
	f.hs_fetch_res_u.ok.data.data_val = data;
	f.hs_fetch_res_u.ok.next_data = 77;
	n = encode((xdrproc_t)xdr_hs_fetch_res, &f, buf, sizeof buf);
	memset(&f2, 0, sizeof f2);
	assert_true(decode((xdrproc_t)xdr_hs_fetch_res_inplace, &f2, buf, n));
	assert_true(f2.hs_fetch_res_u.ok.data.data_val > buf &&
		    f2.hs_fetch_res_u.ok.data.data_val < buf + n);
	assert_memory_equal(f2.hs_fetch_res_u.ok.data.data_val, data,
			    sizeof data);
	assert_int_equal(f2.hs_fetch_res_u.ok.ext.ext_len, 1);
	assert_int_equal(f2.hs_fetch_res_u.ok.ext.ext_val[0].offset, 7);
	assert_int_equal(f2.hs_fetch_res_u.ok.next_data, 77);
	xdr_free((xdrproc_t)xdr_hs_fetch_res_inplace, &f2);
	assert_null(f2.hs_fetch_res_u.ok.ext.ext_val);   /* freed as usual */
	assert_null(f2.hs_fetch_res_u.ok.data.data_val);
	/* An error status carries nothing more. */
	f.status = 5;
	n = encode((xdrproc_t)xdr_hs_fetch_res, &f, buf, sizeof buf);
	memset(&f2, 0, sizeof f2);
	assert_true(decode((xdrproc_t)xdr_hs_fetch_res_inplace, &f2, buf, n));
	assert_int_equal(f2.status, 5);
}

/* ---- bounds ---- */

static void test_name_too_long(void **state)
{
	char buf[1024], name[257];
	hs_lookup_args a = { { 1, 1, 1 }, name }, b;
	size_t n;
	XDR x;

	memset(name, 'x', 256);
	name[256] = '\0';
	/* The encoder refuses too ... */
	xdrmem_create(&x, buf, sizeof buf, XDR_ENCODE);
	assert_false(xdr_hs_lookup_args(&x, &a));
	xdr_destroy(&x);
	/* ... and the decoder rejects a 256-byte name on the wire. */
	n = words(buf, 4, 1, 1, 1, 256);
	memset(buf + n, 'x', 256);
	memset(&b, 0, sizeof b);
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_lookup_args, &b, buf, n + 256));
	disarm();
	assert_null(b.name);
	assert_true(max_alloc < 256);
}

static void test_huge_claims(void **state)
{
	char buf[256];
	hs_lookup_args la;
	hs_fetch_res fr;
	hs_fidlist fl;
	hs_store_chunk_args sc;
	size_t n;

	/* A name claiming 0xfffffff0 bytes. */
	memset(&la, 0, sizeof la);
	n = words(buf, 4, 1, 1, 1, 0xfffffff0u);
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_lookup_args, &la, buf, n));
	disarm();
	assert_true(max_alloc < 4096);

	/* A fetch chunk one byte over HS_CHUNK_MAX, data absent. */
	memset(&fr, 0, sizeof fr);
	memset(buf, 0, sizeof buf);
	n = 4 + 4 * 12 + 8 * 6 + 4;   /* status + hs_attr */
	n += words(buf + n, 2, 0, HS_CHUNK_MAX + 1u);   /* no extents */
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_fetch_res, &fr, buf, n));
	disarm();
	assert_true(max_alloc < 4096);

	/* A fetch reply with one extent more than HS_EXTENTS_MAX. */
	memset(&fr, 0, sizeof fr);
	memset(buf, 0, sizeof buf);
	n = 4 + 4 * 12 + 8 * 6 + 4;
	n += words(buf + n, 1, HS_EXTENTS_MAX + 1u);
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_fetch_res, &fr, buf, n));
	disarm();
	assert_true(max_alloc < 4096);

	/* A store chunk of 0xffffffff bytes. */
	memset(&sc, 0, sizeof sc);
	memset(buf, 0, sizeof buf);
	n = 12 + 16 + 8;
	n += words(buf + n, 1, 0xffffffffu);
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_store_chunk_args, &sc, buf, n));
	disarm();
	assert_true(max_alloc < 4096);

	/* A fid array of 0xffffffff entries, and one just over HS_MAXFIDS. */
	memset(&fl, 0, sizeof fl);
	n = words(buf, 1, 0xffffffffu);
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_fidlist, &fl, buf, n));
	disarm();
	assert_true(max_alloc < 4096);
	n = words(buf, 1, HS_MAXFIDS + 1u);
	arm();
	assert_false(decode((xdrproc_t)xdr_hs_fidlist, &fl, buf, n));
	disarm();
	assert_true(max_alloc < 4096);
	assert_null(fl.fids.fids_val);
}

static void test_truncated_struct(void **state)
{
	char buf[64];
	hs_lookup_args la;
	size_t n = words(buf, 5, 1, 2, 3, 10, 0x61626364);  /* name cut short */

	memset(&la, 0, sizeof la);
	assert_false(decode((xdrproc_t)xdr_hs_lookup_args, &la, buf, n));
	assert_null(la.name);
}

/* ---- record marking ---- */

static void add_frag(struct evbuffer *b, uint32_t hdr, const char *data,
		     size_t len)
{
	char h[4];

	words(h, 1, hdr);
	evbuffer_add(b, h, 4);
	if (len)
		evbuffer_add(b, data, len);
}

static void test_record_single_and_multi(void **state)
{
	struct evbuffer *b = evbuffer_new();
	unsigned char *rec;
	size_t len;

	add_frag(b, HREC_LAST_FRAG | 5, "hello", 5);
	add_frag(b, 3, "abc", 3);
	add_frag(b, 0, NULL, 0);            /* empty middle fragment */
	add_frag(b, HREC_LAST_FRAG | 2, "de", 2);
	add_frag(b, HREC_LAST_FRAG | 0, NULL, 0);

	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(rec, "hello", 5);
	free(rec);
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(rec, "abcde", 5);
	free(rec);
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_OK);
	assert_int_equal(len, 0);
	assert_non_null(rec);
	free(rec);
	assert_int_equal(evbuffer_get_length(b), 0);
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_NEED_MORE);
	evbuffer_free(b);
}

static void test_record_truncated(void **state)
{
	struct evbuffer *b = evbuffer_new();
	unsigned char *rec = NULL;
	size_t len;

	evbuffer_add(b, "\x80\x00", 2);     /* half a header */
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_NEED_MORE);
	evbuffer_drain(b, 2);
	add_frag(b, 4, "abcd", 4);          /* first fragment only */
	add_frag(b, HREC_LAST_FRAG | 10, "12345", 5);
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_NEED_MORE);
	assert_int_equal(evbuffer_get_length(b), 17);   /* nothing consumed */
	evbuffer_add(b, "67890", 5);
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_OK);
	assert_int_equal(len, 14);
	assert_memory_equal(rec, "abcd1234567890", 14);
	free(rec);
	evbuffer_free(b);
}

static void test_record_oversize(void **state)
{
	struct evbuffer *b = evbuffer_new();
	unsigned char *rec = NULL;
	size_t len;
	unsigned i;

	/* A bare header claiming 2 GiB: rejected before any data comes. */
	add_frag(b, 0xffffffffu, NULL, 0);
	arm();
	assert_int_equal(hrec_take(b, HRPC_MAX_RECORD, &rec, &len), HREC_TOOBIG);
	disarm();
	assert_true(max_alloc < 4096);
	assert_null(rec);
	evbuffer_drain(b, evbuffer_get_length(b));

	/* Fragments each within the bound whose sum is not. */
	add_frag(b, 6, "aaaaaa", 6);
	add_frag(b, HREC_LAST_FRAG | 6, "bbbbbb", 6);
	assert_int_equal(hrec_take(b, 10, &rec, &len), HREC_TOOBIG);
	evbuffer_drain(b, evbuffer_get_length(b));

	/* Exactly the bound is fine. */
	add_frag(b, HREC_LAST_FRAG | 10, "0123456789", 10);
	assert_int_equal(hrec_take(b, 10, &rec, &len), HREC_OK);
	free(rec);

	/* Endless empty fragments. */
	for (i = 0; i <= HREC_MAX_FRAGS; i++)
		add_frag(b, 0, NULL, 0);
	assert_int_equal(hrec_take(b, 10, &rec, &len), HREC_TOOMANY);
	evbuffer_free(b);
}

static void test_record_frame(void **state)
{
	struct evbuffer *b = evbuffer_new();
	unsigned char *rec, hdr[4];
	size_t len;

	assert_int_equal(hrec_frame(b, "xyz", 3), 0);
	assert_int_equal(evbuffer_get_length(b), 7);
	evbuffer_copyout(b, hdr, 4);
	assert_memory_equal(hdr, "\x80\x00\x00\x03", 4);
	assert_int_equal(hrec_take(b, 100, &rec, &len), HREC_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(rec, "xyz", 3);
	free(rec);
	hrec_put_header(hdr, 0x01020304);
	assert_memory_equal(hdr, "\x81\x02\x03\x04", 4);
	evbuffer_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_lookup),
		cmocka_unit_test(test_roundtrip_attr),
		cmocka_unit_test(test_roundtrip_readdir_fetch),
		cmocka_unit_test(test_inplace),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_huge_claims),
		cmocka_unit_test(test_truncated_struct),
		cmocka_unit_test(test_record_single_and_multi),
		cmocka_unit_test(test_record_truncated),
		cmocka_unit_test(test_record_oversize),
		cmocka_unit_test(test_record_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
