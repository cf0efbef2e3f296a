/*
 * rpc/record.h - RFC 5531 section 11 record marking over an evbuffer.
 *
 * A record is a chain of fragments; each fragment is a 4-byte big-endian
 * header (bit 31: last fragment, bits 0-30: length in bytes) and its data.
 * These helpers are pure (no connection state) so they can be unit-tested.
 */
#ifndef HESPER_RPC_RECORD_H
#define HESPER_RPC_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>

#define HREC_LAST_FRAG 0x80000000u
#define HREC_LEN_MASK  0x7fffffffu
/* Fragments accepted in one record: bounds the header scan per record. */
#define HREC_MAX_FRAGS 1024u

/* hrec_take results. */
enum hrec_status {
	HREC_OK = 1,        /* a whole record was removed from the buffer */
	HREC_NEED_MORE = 0, /* not yet complete: nothing consumed */
	HREC_TOOBIG = -1,   /* record (or a fragment) longer than max */
	HREC_TOOMANY = -2,  /* more than HREC_MAX_FRAGS fragments */
	HREC_NOMEM = -3,
};

/* Take one complete record from the front of in.  Every fragment length,
 * and their running total, is checked against max (bytes of data) before
 * anything is allocated.  On HREC_OK *rec is a malloc'd buffer of *len
 * bytes (the fragments' data joined; *rec is non-NULL even when *len is 0)
 * and the record's bytes are drained from in.  Otherwise nothing is
 * drained and *rec is untouched: a partial record costs only the bytes
 * already in `in`, never the length its headers announce (the transport
 * bounds how long it may stay partial: hrpc_limits.record_ms). */
enum hrec_status hrec_take(struct evbuffer *in, size_t max,
			   unsigned char **rec, size_t *len);

/* Write the 4-byte header of a single-fragment (last) record of len bytes.
 * len must be <= HREC_LEN_MASK. */
void hrec_put_header(unsigned char hdr[4], size_t len);

/* Append msg (len bytes, <= HREC_LEN_MASK) to out as one record.  Returns
 * 0 or -ENOMEM / -EMSGSIZE. */
int hrec_frame(struct evbuffer *out, const void *msg, size_t len);

#endif /* HESPER_RPC_RECORD_H */
