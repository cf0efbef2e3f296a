/*
 * ctl_events.c - the "subscribe" control command: venus's event stream
 * (venus/util/event.h) for codacon (doc/codacon.1), registered with ctl_cmds.c
 * (ctl_register) before main runs.
 *
 * The reply never ends on its own: after a first line "events 1" every
 * event is one body line
 *     SEC.USEC KIND [fid=V.N.U] [name=TEXT] [peer=TEXT] [bytes=N] [usec=N]
 *                   [n=N] [left=N] [flag=N] [err=N]
 * (TEXT escaped as request words are, hesper/ctlproto.h; a number left out
 * is 0), and "SEC.USEC dropped n=N" says N events were lost.  Any input
 * from the client, or its hang-up, ends the stream with status 0.
 *
 * A subscriber costs venus at most SUB_QUEUE bytes of unsent reply: past
 * that its events are skipped (counted, then reported as dropped) and
 * venus carries on.  One that reads nothing at all is dropped by ctl.c's
 * idle timeout.  At most SUB_MAX subscribe at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <hesper/ctlproto.h>

#include "venus/util/venus.h"
#include "venus/ctl/ctl.h"
#include "venus/util/event.h"

#define SUB_MAX   8
#define SUB_QUEUE (256 * 1024)
/* How often subscribers that were over SUB_QUEUE are retried and every
 * subscriber's socket is checked for input or a hang-up. */
#define SUB_TICK_MS 250

struct sub {
	struct ctl_req *r;
	uint64_t        seq;    /* the next event to send */
	uint64_t        lost;   /* skipped, not yet reported */
	struct sub     *next;
};

static struct sub *subs;
static int nsubs;
static struct event *tick;

static void sub_end(struct sub *s)
{
	struct sub **p = &subs;

	while (*p != s)
		p = &(*p)->next;
	*p = s->next;
	nsubs--;
	ctl_done(s->r, 0);
	free(s);
	/* Only deleted here: this may run inside the tick's own callback. */
	if (!subs) {
		event_listen(NULL, NULL, NULL);
		event_del(tick);
	}
}

/* Append " key=TEXT" with TEXT escaped; nothing for an empty value. */
static void put_text(struct ctl_req *r, const char *key, const char *v)
{
	char buf[3 * 256 + 1];

	if (!*v)
		return;
	ctlp_escape(buf, sizeof buf, v, strlen(v));
	ctl_printf(r, CTLP_STDOUT, " %s=%s", key, buf);
}

static void put_num(struct ctl_req *r, const char *key, uint64_t v)
{
	if (v)
		ctl_printf(r, CTLP_STDOUT, " %s=%" PRIu64, key, v);
}

static void put_event(struct ctl_req *r, const struct event_rec *e)
{
	ctl_printf(r, CTLP_STDOUT, "%lld.%06ld %s", (long long)e->when.tv_sec,
		   e->when.tv_nsec / 1000, event_kind_name(e->kind));
	if (e->has_fid)
		ctl_printf(r, CTLP_STDOUT, " fid=%u.%u.%u", e->fid.volume,
			   e->fid.vnode, e->fid.unique);
	put_text(r, "name", e->name);
	put_text(r, "peer", e->peer);
	put_num(r, "bytes", e->bytes);
	put_num(r, "usec", e->usec);
	put_num(r, "n", e->n);
	put_num(r, "left", e->left);
	put_num(r, "flag", (uint64_t)(unsigned)e->flag);
	put_num(r, "err", (uint64_t)(unsigned)e->err);
	ctl_printf(r, CTLP_STDOUT, "\n");
}

/* Report the events s lost, stamped now (the loss is noticed now). */
static void put_dropped(struct sub *s)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ctl_printf(s->r, CTLP_STDOUT, "%lld.%06ld dropped n=%" PRIu64 "\n",
		   (long long)now.tv_sec, now.tv_nsec / 1000, s->lost);
	s->lost = 0;
}

/* Send what s has not seen, while its queue has room.  0, or -1 if s
 * ended (the client went away). */
static int sub_pump(struct sub *s)
{
	struct event_rec e;

	if (ctl_req_fd(s->r) < 0) {
		sub_end(s);
		return -1;
	}
	while (ctl_req_queued(s->r) < SUB_QUEUE && event_read(&s->seq, &e, &s->lost)) {
		if (s->lost)
			put_dropped(s);
		put_event(s->r, &e);
		ctl_flush(s->r);   /* so that ctl_req_queued counts it */
	}
	if (ctl_req_queued(s->r) >= SUB_QUEUE) {
		/* Still behind: what the queue had no room for is lost now;
		 * reported once there is room (the next tick at the latest). */
		uint64_t head = event_next_seq();

		s->lost += head - s->seq;
		s->seq = head;
	} else if (s->lost) {
		put_dropped(s);
		ctl_flush(s->r);
	}
	return 0;
}

static void pump_all(void *arg)
{
	struct sub *s = subs, *next;

	for (; s; s = next) {
		next = s->next;
		sub_pump(s);
	}
}

/* Input (a request to stop) or a hang-up ends the stream. */
static int client_done(struct sub *s)
{
	int fd = ctl_req_fd(s->r);
	char c;

	if (fd < 0)
		return 1;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sub *s = subs, *next;

	for (; s; s = next) {
		next = s->next;
		if (client_done(s))
			sub_end(s);
		else
			sub_pump(s);
	}
}

static void cmd_subscribe(struct ctl_req *r)
{
	static const struct timeval every = { 0, SUB_TICK_MS * 1000 };
	struct sub *s = NULL;

	if (nsubs >= SUB_MAX) {
		ctl_fail(r, EBUSY, "subscribe: %d subscribers already, the most venus serves",
			 SUB_MAX);
		return;
	}
	if ((!tick && !(tick = event_new(V->base, -1, EV_PERSIST, on_tick, NULL))) ||
	    !(s = calloc(1, sizeof *s)) || event_listen(V->base, pump_all, NULL) ||
	    (!subs && event_add(tick, &every))) {
		free(s);
		if (!subs)
			event_listen(NULL, NULL, NULL);
		ctl_fail(r, ENOMEM, "subscribe: %s", strerror(ENOMEM));
		return;
	}
	s->r = r;
	s->seq = event_next_seq();
	s->next = subs;
	subs = s;
	nsubs++;
	ctl_printf(r, CTLP_STDOUT, "events 1\n");
	ctl_flush(r);
}

void ctl_events_stop(void)
{
	while (subs)
		sub_end(subs);
	if (tick)
		event_free(tick);
	tick = NULL;
}

static const struct ctlp_cmd event_cmds[] = {
	{ "subscribe", NULL, CTLP_ARGS_NONE, CTLP_PRIV_ROOT, "",
	  "stream venus's events until the client hangs up (codacon)" },
	{ NULL, NULL, 0, 0, NULL, NULL }
};

static void run(struct ctl_req *r, const struct ctlp_cmd *c)
{
	cmd_subscribe(r);
}

static struct ctl_ext events_ext = { event_cmds, run, NULL };

__attribute__((constructor)) static void register_events(void)
{
	ctl_register(&events_ext);
}
