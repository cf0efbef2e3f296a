/*
 * test/fuzz/fuzz_record.c - libFuzzer target: RFC 5531 section 11 record
 * marking (rpc/record.c) fed a byte stream in arbitrary pieces.
 *
 * Input: byte 0 picks the record size limit, bytes 1-2 seed the split of
 * the rest into pieces, which are appended to an evbuffer one at a time
 * (each a separate chain, so headers straddle chains) while hrec_take
 * takes every record it can.  What hrec_take returns must equal what a
 * plain one-pass parse of the whole stream gives: the same records in the
 * same order, then the same verdict (need more, too big, too many
 * fragments).  Nothing may be drained unless a record is returned, and a
 * record framed again with hrec_frame must come back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "hesper/rpc.h"
#include "rpc/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Record size limits byte 0 chooses from: tiny ones reach HREC_TOOBIG
 * with short inputs; the last is the transport's. */
static const size_t limits[] = { 0, 1, 4, 7, 8, 64, 255, 4096,
				 HRPC_MAX_RECORD };
#define NLIMITS (sizeof limits / sizeof limits[0])

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* The reference: the next record of s[*off..n) by a flat parse.  Returns
 * an enum hrec_status; on HREC_OK *rec (malloc'd) / *len and *off move. */
static int ref_take(const uint8_t *s, size_t n, size_t *off, size_t max,
		    uint8_t **rec, size_t *len)
{
	size_t o = *off, total = 0;
	unsigned frags = 0;
	uint8_t *buf;

	/* First pass: verdict and total, as the spec says. */
	for (;;) {
		uint32_t h, flen;

		if (n - o < 4)
			return HREC_NEED_MORE;
		h = be32(s + o);
		flen = h & HREC_LEN_MASK;
		if (flen > max || total + flen > max)
			return HREC_TOOBIG;
		if (++frags > HREC_MAX_FRAGS)
			return HREC_TOOMANY;
		o += 4;
		if (n - o < flen)
			return HREC_NEED_MORE;
		o += flen;
		total += flen;
		if (h & HREC_LAST_FRAG)
			break;
	}
	buf = malloc(total ? total : 1);
	if (!buf)
		abort();
	for (size_t p = 0, i = *off; i < o; ) {
		uint32_t flen = be32(s + i) & HREC_LEN_MASK;

		memcpy(buf + p, s + i + 4, flen);
		p += flen;
		i += 4 + flen;
	}
	*off = o;
	*rec = buf;
	*len = total;
	return HREC_OK;
}

/* hrec_frame then hrec_take must give rec back. */
static void check_reframe(const uint8_t *rec, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	unsigned char *back;
	size_t blen;

	if (!b || hrec_frame(b, rec, len) != 0)
		abort();
	if (hrec_take(b, len, &back, &blen) != HREC_OK || blen != len ||
	    memcmp(back, rec, len) || evbuffer_get_length(b) != 0)
		abort();
	free(back);
	evbuffer_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	size_t max, fed = 0, refoff = 0;
	const uint8_t *s;
	uint32_t seed;
	int verdict = HREC_NEED_MORE;

	if (size < 3)
		return 0;
	max = limits[data[0] % NLIMITS];
	seed = (uint32_t)data[1] << 8 | data[2] | 1;
	s = data + 3;
	size -= 3;
	if (!(in = evbuffer_new()))
		abort();
	while (fed < size && verdict == HREC_NEED_MORE) {
		/* A piece of 0..16 bytes, now and then a big one. */
		size_t piece;

		seed = seed * 1103515245u + 12345u;
		piece = (seed >> 16) % 17;
		if ((seed >> 8) % 8 == 0)
			piece = (seed >> 12) % 4096;
		if (piece > size - fed)
			piece = size - fed;
		if (piece && evbuffer_add(in, s + fed, piece) < 0)
			abort();
		fed += piece;
		for (;;) {
			size_t before = evbuffer_get_length(in), len, rlen;
			unsigned char *rec = NULL;
			uint8_t *ref;
			int st = hrec_take(in, max, &rec, &len);
			/* The reference sees only what was fed so far. */
			int rst = ref_take(s, fed, &refoff, max, &ref, &rlen);

			if (st != rst)
				abort();
			if (st != HREC_OK) {
				if (evbuffer_get_length(in) != before)
					abort();  /* consumed on failure */
				verdict = st;
				break;
			}
			if (len != rlen || len > max || !rec ||
			    memcmp(rec, ref, len) ||
			    before - evbuffer_get_length(in) < len + 4)
				abort();
			check_reframe(rec, len);
			free(rec);
			free(ref);
		}
	}
	/* What is left unconsumed is exactly the reference's remainder. */
	if (verdict == HREC_NEED_MORE &&
	    evbuffer_get_length(in) != fed - refoff)
		abort();
	evbuffer_free(in);
	return 0;
}
