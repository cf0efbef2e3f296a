/*
 * fuse_zone.c - replies of the FUSE front end that pass through the
 * yellow/red zones (zone.h) first.  Each keeps its request on the pending
 * list while it waits, so a shutdown answers it and the delayed reply
 * only cleans up.
 */
#include <stdlib.h>

#include "fuse_int.h"
#include "zone.h"

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

void hf_zone_reply_write(fuse_req_t req, size_t n)
{
	struct hf_zone_write *z = malloc(sizeof(*z));

	if (!z) {
		fuse_reply_write(req, n);   /* the data is written: no error */
		return;
	}
	z->n = n;
	hf_pend_start(&z->p, req);
	zone_admit(hf_zone_write_go, z);
}

struct hf_zone_entry {
	struct hf_pend  p;
	struct fso_attr a;
};

static void hf_zone_entry_go(void *arg)
{
	struct hf_zone_entry *z = arg;

	hf_entry_done(&z->p, 0, &z->a);   /* frees z */
}

void hf_zone_entry_done(struct hf_pend *p, int err, const struct fso_attr *a)
{
	struct hf_zone_entry *z;

	if (err || !p->req || !(z = malloc(sizeof(*z)))) {
		hf_entry_done(p, err, a);
		return;
	}
	z->a = *a;
	hf_pend_start(&z->p, hf_pend_end(p));
	free(p);
	zone_admit(hf_zone_entry_go, z);
}
