/*
 * rpc/record.c - RFC 5531 section 11 record marking (see record.h).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/record.h"

static uint32_t get_be32(const unsigned char b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

void hrec_put_header(unsigned char hdr[4], size_t len)
{
	uint32_t v = HREC_LAST_FRAG | ((uint32_t)len & HREC_LEN_MASK);

	hdr[0] = (unsigned char)(v >> 24);
	hdr[1] = (unsigned char)(v >> 16);
	hdr[2] = (unsigned char)(v >> 8);
	hdr[3] = (unsigned char)v;
}

/* Walk the fragment headers without consuming.  On HREC_OK, *nfrag and
 * *total describe a complete record present in the buffer. */
static enum hrec_status scan(struct evbuffer *in, size_t max,
			     unsigned *nfrag, size_t *total)
{
	size_t have = evbuffer_get_length(in), off = 0, sum = 0;
	unsigned n = 0;

	for (;;) {
		unsigned char hdr[4];
		struct evbuffer_ptr p;
		uint32_t v, flen;

		if (have - off < 4)
			return HREC_NEED_MORE;
		if (evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET) < 0 ||
		    evbuffer_copyout_from(in, &p, hdr, 4) != 4)
			return HREC_NEED_MORE;
		v = get_be32(hdr);
		flen = v & HREC_LEN_MASK;
		if (flen > max || sum > max - flen)
			return HREC_TOOBIG;
		if (++n > HREC_MAX_FRAGS)
			return HREC_TOOMANY;
		sum += flen;
		off += 4;
		if (have - off < flen)
			return HREC_NEED_MORE;
		off += flen;
		if (v & HREC_LAST_FRAG)
			break;
	}
	*nfrag = n;
	*total = sum;
	return HREC_OK;
}

enum hrec_status hrec_take(struct evbuffer *in, size_t max,
			   unsigned char **rec, size_t *len)
{
	unsigned nfrag, i;
	size_t total, pos = 0;
	enum hrec_status st = scan(in, max, &nfrag, &total);
	unsigned char *buf;

	if (st != HREC_OK)
		return st;
	buf = malloc(total ? total : 1);
	if (!buf)
		return HREC_NOMEM;
	for (i = 0; i < nfrag; i++) {
		unsigned char hdr[4];
		uint32_t flen;

		evbuffer_remove(in, hdr, 4);
		flen = get_be32(hdr) & HREC_LEN_MASK;
		if (flen)
			evbuffer_remove(in, buf + pos, flen);
		pos += flen;
	}
	*rec = buf;
	*len = total;
	return HREC_OK;
}

int hrec_frame(struct evbuffer *out, const void *msg, size_t len)
{
	unsigned char hdr[4];

	if (len > HREC_LEN_MASK)
		return -EMSGSIZE;
	hrec_put_header(hdr, len);
	if (evbuffer_add(out, hdr, 4) < 0 ||
	    (len && evbuffer_add(out, msg, len) < 0))
		return -ENOMEM;
	return 0;
}
