/*
 * fuse_zone.c - FUSE's write replies pass through the yellow/red zones
 * (fso_write_admit; core applies them to every other mutation).  The
 * request stays on the pending list while it waits, so a shutdown answers
 * it and the delayed reply only cleans up.
 */
#include <stdlib.h>

#include "fuse_int.h"

struct hf_zone_write {
	struct hf_pend p;
	size_t         n;
};

static void hf_zone_write_go(void *arg)
{
	struct hf_zone_write *z = arg;
	fuse_req_t req = hf_pend_end(&z->p);

	if (req)
		fuse_reply_write(req, z->n);
	free(z);
}

void hf_zone_reply_write(fuse_req_t req, uint64_t ino, size_t n)
{
	struct hf_zone_write *z = malloc(sizeof(*z));

	if (!z) {
		fuse_reply_write(req, n);   /* the data is written: no error */
		return;
	}
	z->n = n;
	hf_pend_start(&z->p, req);
	fso_write_admit(ino, hf_zone_write_go, z);
}
