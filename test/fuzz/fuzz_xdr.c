/*
 * test/fuzz/fuzz_xdr.c - libFuzzer target: every XDR decoder rpcgen makes
 * from rpc/hesper.x (test/fuzz/xdr_types.h lists them).
 *
 * Input: byte 0 picks the type, the rest is its encoding.  If it decodes,
 * it must encode again in exactly xdr_sizeof() bytes, that encoding must
 * decode, and encoding the second value must give the same bytes (XDR
 * has one encoding per value once padding and bools are normalised).
 * xdr_free runs after every decode, failed ones included, so a partial
 * decode must leave nothing that leaks or double-frees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/xdr_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode n bytes at buf into val (zeroed, t->size bytes).  1 or 0; on 0
 * val is freed.  *used gets the bytes consumed. */
static int decode(const struct xdr_type *t, const void *buf, size_t n,
		  void *val, u_int *used)
{
	XDR x;
	int ok;

	memset(val, 0, t->size);
	xdrmem_create(&x, (char *)buf, (u_int)n, XDR_DECODE);
	ok = t->proc(&x, val);
	*used = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok)
		xdr_free(t->proc, val);
	return ok;
}

/* Encode val into a malloc'd buffer of exactly xdr_sizeof() bytes. */
static char *encode(const struct xdr_type *t, void *val, u_int *len)
{
	unsigned long n = xdr_sizeof(t->proc, val);
	char *buf = malloc(n ? n : 1);
	XDR x;

	if (!buf)
		abort();
	xdrmem_create(&x, buf, (u_int)n, XDR_ENCODE);
	if (!t->proc(&x, val) || xdr_getpos(&x) != n)
		abort();  /* a decoded value must encode, in sizeof bytes */
	xdr_destroy(&x);
	*len = (u_int)n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct xdr_type *t;
	void *v1, *v2;
	char *e1, *e2;
	u_int used, l1, l2;

	if (size < 1 || size - 1 > 1u << 24)
		return 0;
	t = &xdr_types[data[0] % NXDR_TYPES];
	if (!(v1 = malloc(t->size)) || !(v2 = malloc(t->size)))
		abort();
	if (decode(t, data + 1, size - 1, v1, &used)) {
		if (used > size - 1)
			abort();
		e1 = encode(t, v1, &l1);
		/* Never longer than what was read (a string with a NUL in
		 * it decodes to its part before the NUL: xdr_string). */
		if (l1 > used)
			abort();
		if (!decode(t, e1, l1, v2, &used) || used != l1)
			abort();
		e2 = encode(t, v2, &l2);
		if (l2 != l1 || memcmp(e1, e2, l1))
			abort();
		xdr_free(t->proc, v2);
		xdr_free(t->proc, v1);
		free(e1);
		free(e2);
	}
	free(v1);
	free(v2);
	return 0;
}
