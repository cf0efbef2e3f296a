/*
 * fuse_mapped.c - a mapping that outlives its descriptors: munmap's
 * writeback waits for the store.
 *
 * Without the writeback cache the kernel writes a shared mapping's dirty
 * pages back at munmap (fuse_vma_close) and waits for the WRITE replies;
 * RELEASE follows without being waited for.  When no write-capable
 * descriptor of the file is left (the last FLUSH found none), such a
 * WRITE's reply is held until a store that holds its data is done, so
 * munmap returns after vice has the content.  The WRITEs of one
 * writeback arrive together: they are gathered until the loop has read
 * what the kernel queued (a zero timeout runs after the pending events),
 * and one store serves them all.  Background writeback of a live mapping
 * stores the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "fuse_int.h"

/* One held WRITE reply. */
struct hf_mw {
	struct hf_pend p;
	size_t         n;
	struct hf_mw  *next;
};

/* The held WRITEs of one inode, until their store starts and ends. */
struct hf_batch {
	struct hf_batch *next;     /* gathering batches */
	uint64_t         ino;
	struct hf_mw    *writes;
	struct event    *ev;
};

static struct hf_batch *hf_gathering;

static void hf_batch_unlink(struct hf_batch *b)
{
	struct hf_batch **pp;

	for (pp = &hf_gathering; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			return;
		}
	}
}

static void hf_batch_free(struct hf_batch *b)
{
	while (b->writes) {
		struct hf_mw *w = b->writes;

		b->writes = w->next;
		free(w);
	}
	if (b->ev)
		event_free(b->ev);
	free(b);
}

static void hf_batch_stored(void *arg, int err)
{
	struct hf_batch *b = arg;
	struct hf_mw *w;

	for (w = b->writes; w; w = w->next) {
		fuse_req_t req = hf_pend_end(&w->p);

		if (!req)
			continue;
		if (err)
			fuse_reply_err(req, hf_errno(err));
		else
			hf_zone_reply_write(req, b->ino, w->n);
	}
	hf_batch_free(b);
}

static void hf_batch_go(evutil_socket_t fd, short what, void *arg)
{
	struct hf_batch *b = arg;

	hf_batch_unlink(b);
	hf_opens_stored(b->ino);
	fso_flush_store(b->ino, hf_batch_stored, b);
}

static struct hf_batch *hf_batch_for(uint64_t ino)
{
	static const struct timeval now = { 0, 0 };
	struct hf_batch *b;

	for (b = hf_gathering; b; b = b->next)
		if (b->ino == ino)
			return b;
	if (!(b = calloc(1, sizeof(*b))))
		return NULL;
	b->ino = ino;
	b->ev = evtimer_new(V->base, hf_batch_go, b);
	if (!b->ev || evtimer_add(b->ev, &now) < 0) {
		hf_batch_free(b);
		return NULL;
	}
	b->next = hf_gathering;
	hf_gathering = b;
	return b;
}

void hf_mapped_write(fuse_req_t req, uint64_t ino, size_t n)
{
	struct hf_batch *b = hf_batch_for(ino);
	struct hf_mw *w = b ? malloc(sizeof(*w)) : NULL;

	if (!w) {
		/* The data is in the container: RELEASE stores it. */
		hf_zone_reply_write(req, ino, n);
		return;
	}
	w->n = n;
	w->next = b->writes;
	b->writes = w;
	hf_pend_start(&w->p, req);
}

/* Shutdown, after the pending requests were answered: batches whose
 * store has not started go (started ones end in hf_batch_stored). */
void hf_mapped_free_all(void)
{
	while (hf_gathering) {
		struct hf_batch *b = hf_gathering;

		hf_gathering = b->next;
		hf_batch_free(b);
	}
}
