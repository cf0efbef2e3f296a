/*
 * rpc/tcpread.c - the socket reads under a conn's TLS filter (conn.c).
 *
 * libevent 2.1's socket bufferevent reads at most 4 KiB per read(2)
 * (EVBUFFER_MAX_READ), one loop turn each.  This reads up to
 * CONN_MAX_SINGLE_IO per readv(2) into that bufferevent's input instead
 * (its own reading stays disabled) and hands the bytes to the TLS filter
 * through the bufferevent's read callback; end of file and errors go to
 * its event callback, as its own reading would have sent them.  It reads
 * only while the filter is enabled for reading and holds less than
 * CONN_MAX_SINGLE_IO unread, so a paused conn still pushes back on its
 * peer through TCP, and an end of file waits behind the bytes before it.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "rpc/conn_int.h"

struct tcpread {
	struct bufferevent *tcp, *filter;
	struct event *ev;
	struct evbuffer_cb_entry *drain;
	int ended;               /* end of file or error delivered */
};

static int may_read(const struct tcpread *r)
{
	return !r->ended && (bufferevent_get_enabled(r->filter) & EV_READ) &&
	       evbuffer_get_length(bufferevent_get_input(r->tcp)) <
		       CONN_MAX_SINGLE_IO;
}

/* The bytes read into the reserved vectors v[0..n) are committed. */
static void commit(struct evbuffer *in, struct evbuffer_iovec *v, int n,
		   size_t got)
{
	int used = 0;

	while (used < n && got > 0) {
		if (v[used].iov_len > got)
			v[used].iov_len = got;
		got -= v[used].iov_len;
		used++;
	}
	evbuffer_commit_space(in, v, used);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcpread *r = arg;
	struct evbuffer *in = bufferevent_get_input(r->tcp);
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	ssize_t got;
	int n, i, err;

	if (!may_read(r)) {
		event_del(r->ev);
		return;
	}
	/* A socket bufferevent keeps its input's end frozen but while it
	 * reads itself. */
	evbuffer_unfreeze(in, 0);
	n = evbuffer_reserve_space(in, CONN_MAX_SINGLE_IO, v, 2);
	if (n < 0) {
		errno = ENOMEM;
		got = -1;
	} else {
		for (i = 0; i < n; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
		}
		got = readv(fd, iov, n);
		if (got > 0)
			commit(in, v, n, (size_t)got);
	}
	err = errno;
	evbuffer_freeze(in, 0);
	errno = err;   /* for the event callback (bev_errno) */
	if (got > 0) {
		bufferevent_trigger(r->tcp, EV_READ, 0);   /* the filter reads */
		return;
	}
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			errno == EINTR))
		return;
	r->ended = 1;
	event_del(r->ev);
	bufferevent_trigger_event(r->tcp, BEV_EVENT_READING |
				  (got == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR), 0);
}

/* The filter took bytes: read again if it had made us stop. */
static void drain_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
		     void *arg)
{
	if (info->n_deleted)
		tcpread_resume(arg);
}

void tcpread_resume(struct tcpread *r)
{
	if (r && may_read(r) && !event_pending(r->ev, EV_READ, NULL))
		event_add(r->ev, NULL);
}

struct tcpread *tcpread_new(struct bufferevent *filter)
{
	struct tcpread *r = calloc(1, sizeof *r);
	evutil_socket_t fd;

	if (!r)
		return NULL;
	r->filter = filter;
	r->tcp = bufferevent_get_underlying(filter);
	fd = r->tcp ? bufferevent_getfd(r->tcp) : -1;
	if (fd < 0 ||
	    !(r->ev = event_new(bufferevent_get_base(filter), fd,
				EV_READ | EV_PERSIST, read_cb, r)) ||
	    !(r->drain = evbuffer_add_cb(bufferevent_get_input(r->tcp),
					 drain_cb, r))) {
		tcpread_free(r);
		return NULL;
	}
	bufferevent_disable(r->tcp, EV_READ);
	tcpread_resume(r);
	return r;
}

void tcpread_free(struct tcpread *r)
{
	if (!r)
		return;
	if (r->drain)
		evbuffer_remove_cb_entry(bufferevent_get_input(r->tcp), r->drain);
	if (r->ev)
		event_free(r->ev);
	free(r);
}
