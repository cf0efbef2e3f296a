/*
 * rpc/listen.c - the TLS listener (rpc.h): binding, and accepting
 * server-side conns.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/listener.h>

#include "rpc/conn_int.h"

struct hrpc_listener {
	struct evconnlistener *lev;
	struct event *retry;     /* re-enable after EMFILE and the like */
	struct event_base *base;
	struct hrpc_tls *tls;
	const struct hrpc_conn_ops *ops;
	void *arg;
};

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct hrpc_listener *l = arg;
	struct hrpc_conn *c = conn_new(l->base, l->tls, l->ops, l->arg);

	if (!c || conn_make_bev(c, fd, NULL) < 0) {
		evutil_closesocket(fd);
		if (c)
			conn_destroy(c);
		return;
	}
	conn_format_addr(sa, c->peer, sizeof c->peer);
	c->state = C_CONNECTING;
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hrpc_listener *l = arg;

	evconnlistener_enable(l->lev);
}

/* accept failed (EMFILE, ENOBUFS...): pause a second rather than spin. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct hrpc_listener *l = arg;
	struct timeval tv = { 1, 0 };

	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

static struct evconnlistener *bind_one(struct hrpc_listener *l,
				       const struct sockaddr *sa, int len,
				       unsigned extra)
{
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
			 LEV_OPT_REUSEABLE | extra;

	return evconnlistener_new_bind(l->base, accept_cb, l, flags, 128,
				       sa, len);
}

/* "::" with IPV6_V6ONLY off, so IPv4 clients arrive as v4-mapped. */
static struct evconnlistener *bind_dual(struct hrpc_listener *l, int port)
{
	struct sockaddr_in6 s6;
	evutil_socket_t fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK |
					      SOCK_CLOEXEC, 0);
	int off = 0, on = 1, e;
	struct evconnlistener *lev;

	if (fd < 0)
		return NULL;
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons((uint16_t)port);
	s6.sin6_addr = in6addr_any;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    bind(fd, (struct sockaddr *)&s6, sizeof s6) < 0 ||
	    listen(fd, 128) < 0)
		goto fail;
	lev = evconnlistener_new(l->base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE |
				 LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (lev)
		return lev;
fail:
	e = errno;
	evutil_closesocket(fd);
	errno = e;
	return NULL;
}

/* Any address: "::" dual-stack, else 0.0.0.0. */
static struct evconnlistener *bind_any(struct hrpc_listener *l, int port)
{
	struct sockaddr_in s4;
	struct evconnlistener *lev = bind_dual(l, port);

	if (lev)
		return lev;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = htons((uint16_t)port);
	s4.sin_addr.s_addr = htonl(INADDR_ANY);
	return bind_one(l, (struct sockaddr *)&s4, sizeof s4, 0);
}

/* A given address (numeric, or a name looked up once at startup). */
static struct evconnlistener *bind_addr(struct hrpc_listener *l,
					const char *addr, int port)
{
	struct evutil_addrinfo hints, *ai = NULL, *p;
	struct evconnlistener *lev = NULL;
	char ps[16];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(ps, sizeof ps, "%d", port);
	if (evutil_getaddrinfo(addr, ps, &hints, &ai) != 0)
		return NULL;
	for (p = ai; p && !lev; p = p->ai_next)
		lev = bind_one(l, p->ai_addr, (int)p->ai_addrlen,
			       p->ai_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0);
	evutil_freeaddrinfo(ai);
	return lev;
}

struct hrpc_listener *hrpc_listen(struct event_base *base, struct hrpc_tls *tls,
				  const char *addr, int port,
				  const struct hrpc_conn_ops *ops, void *arg,
				  char *err, size_t errlen)
{
	struct hrpc_listener *l = calloc(1, sizeof *l);

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*l = (struct hrpc_listener){ NULL, NULL, base, tls, ops, arg };
	l->retry = evtimer_new(base, retry_cb, l);
	errno = 0;
	if (l->retry)
		l->lev = (addr && *addr) ? bind_addr(l, addr, port)
					 : bind_any(l, port);
	if (!l->lev) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s",
			 (addr && *addr) ? addr : "*", port,
			 errno ? strerror(errno) : "no usable address");
		hrpc_listener_free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	return l;
}

int hrpc_listener_port(const struct hrpc_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(evconnlistener_get_fd(l->lev),
			(struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void hrpc_listener_free(struct hrpc_listener *l)
{
	if (!l)
		return;
	if (l->lev)
		evconnlistener_free(l->lev);
	if (l->retry)
		event_free(l->retry);
	free(l);
}
