/*
 * event.c - the bounded event ring behind codacon (venus/util/event.h).
 *
 * Emitting copies into a fixed array and at most activates one libevent
 * event: no allocation, no I/O, no call into the layers above, so it is
 * safe from any point in the core, callbacks included.
 */
#include <errno.h>
#include <string.h>
#include <event2/event.h>

#include "venus/util/event.h"

static struct event_rec ring[EVENT_RING];
static uint64_t next_seq = 1;            /* the next record's number */
static struct event *wake;               /* runs the listener */
static void (*listener)(void *arg);
static void *listener_arg;

static const char *const kind_names[EVK_NKINDS] = {
	[EVK_OPEN] = "open", [EVK_CLOSE] = "close", [EVK_FETCH] = "fetch",
	[EVK_STORE] = "store", [EVK_CALLBACK] = "callback", [EVK_CONN] = "connection",
	[EVK_REINT] = "reintegrate", [EVK_CONFLICT] = "conflict",
};

const char *event_kind_name(enum event_kind kind)
{
	return (unsigned)kind < EVK_NKINDS ? kind_names[kind] : "unknown";
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void event_emit(enum event_kind kind, const struct event_fields *f)
{
	static const struct event_fields none;
	struct event_rec *e;

	if (!listener)
		return;
	if (!f)
		f = &none;
	e = &ring[next_seq % EVENT_RING];
	e->seq = next_seq++;
	clock_gettime(CLOCK_REALTIME, &e->when);
	e->kind = kind;
	e->has_fid = f->fid != NULL;
	if (f->fid)
		e->fid = *f->fid;
	else
		memset(&e->fid, 0, sizeof e->fid);
	copy_str(e->name, sizeof e->name, f->name);
	copy_str(e->peer, sizeof e->peer, f->peer);
	e->bytes = f->bytes;
	e->usec = f->usec;
	e->n = f->n;
	e->left = f->left;
	e->flag = f->flag;
	e->err = f->err;
	/* Already active: the listener has not run yet and will see this. */
	if (!event_pending(wake, EV_TIMEOUT, NULL))
		event_active(wake, EV_TIMEOUT, 0);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	if (listener)
		listener(listener_arg);
}

int event_listen(struct event_base *base, void (*fn)(void *arg), void *arg)
{
	if (!fn) {
		listener = NULL;
		if (wake)
			event_free(wake);
		wake = NULL;
		return 0;
	}
	if (!wake && !(wake = event_new(base, -1, 0, on_wake, NULL)))
		return ENOMEM;
	listener = fn;
	listener_arg = arg;
	return 0;
}

uint64_t event_next_seq(void)
{
	return next_seq;
}

int event_read(uint64_t *seq, struct event_rec *out, uint64_t *lost)
{
	uint64_t oldest = next_seq > EVENT_RING ? next_seq - EVENT_RING : 1;

	if (*seq < oldest) {
		*lost += oldest - *seq;
		*seq = oldest;
	}
	if (*seq >= next_seq)
		return 0;
	*out = ring[*seq % EVENT_RING];
	(*seq)++;
	return 1;
}
