/*
 * rpc/listen.c - the TLS listener (rpc.h): binding, accepting server-side
 * conns, and the gate that caps them (hrpc_limits).
 *
 * The gate counts every accepted conn until its fd closes, in total and
 * per source address (IPv4 by address, IPv6 by /64: one site's prefix,
 * which a single host may own whole).  Over a cap the new connection is
 * accepted and reset at once: the backlog keeps moving, so clients under
 * the caps still get in, and no TIME_WAIT is left behind.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/listener.h>

#include "rpc/conn_int.h"

struct gate_host {
	struct gate_host *next;
	unsigned char key[16];
	unsigned n;
};

struct hrpc_listener {
	struct evconnlistener *lev;
	struct event *retry;     /* re-enable after EMFILE and the like */
	struct event_base *base;
	struct hrpc_tls *tls;
	const struct hrpc_conn_ops *ops;
	void *arg;
	struct hrpc_gate *gate;
};

/* ---- the gate ---- */

/* The per-host key of sa: IPv4 as v4-mapped, IPv6 cut to its /64. */
static void host_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		memcpy(key, &s6->sin6_addr, 16);
		if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			memset(key + 8, 0, 8);
	}
}

/* FNV-1a, seeded per listener so peers cannot aim at one bucket. */
static unsigned host_bucket(uint32_t seed, const unsigned char key[16])
{
	uint32_t h = 2166136261u ^ seed;
	unsigned i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % GATE_BUCKETS;
}

static struct gate_host **host_slot(struct hrpc_gate *g,
				    const unsigned char key[16])
{
	struct gate_host **p = &g->hosts[host_bucket(g->seed, key)];

	while (*p && memcmp((*p)->key, key, 16))
		p = &(*p)->next;
	return p;
}

static void gate_unref(struct hrpc_gate *g)
{
	unsigned i;

	if (--g->refs)
		return;
	for (i = 0; i < GATE_BUCKETS; i++)
		while (g->hosts[i]) {
			struct gate_host *h = g->hosts[i];
			g->hosts[i] = h->next;
			free(h);
		}
	free(g);
}

void conn_gate_release(struct hrpc_conn *c)
{
	struct hrpc_gate *g = c->gate;
	struct gate_host **p, *h;

	if (!g)
		return;
	c->gate = NULL;
	p = host_slot(g, c->srckey);
	if ((h = *p) && --h->n == 0) {
		*p = h->next;
		free(h);
	}
	g->nconns--;
	gate_unref(g);
}

/* Count c in g under key; 0, or -ENOMEM. */
static int gate_take(struct hrpc_gate *g, struct hrpc_conn *c,
		     const unsigned char key[16])
{
	struct gate_host **p = host_slot(g, key);

	if (!*p) {
		if (!(*p = calloc(1, sizeof **p)))
			return -ENOMEM;
		memcpy((*p)->key, key, 16);
	}
	(*p)->n++;
	g->nconns++;
	g->refs++;
	c->gate = g;
	memcpy(c->srckey, key, 16);
	return 0;
}

/* Over a cap?  1 for the per-host one, 0 for the global one, -1 if not. */
static int gate_over(struct hrpc_gate *g, const unsigned char key[16])
{
	const struct gate_host *h;

	if (g->lim.max_conns && g->nconns >= g->lim.max_conns)
		return 0;
	h = *host_slot(g, key);
	if (g->lim.max_conns_per_host && h && h->n >= g->lim.max_conns_per_host)
		return 1;
	return -1;
}

/* Accept-and-reset: SO_LINGER 0 sends RST and leaves no TIME_WAIT. */
static void refuse(struct hrpc_listener *l, evutil_socket_t fd,
		   const struct sockaddr *sa, int per_host)
{
	struct linger lg = { 1, 0 };
	char peer[INET6_ADDRSTRLEN + 16];

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	evutil_closesocket(fd);
	l->gate->refused++;
	if (l->gate->lim.on_refused) {
		conn_format_addr(sa, peer, sizeof peer);
		l->gate->lim.on_refused(peer, per_host, l->arg);
	}
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct hrpc_listener *l = arg;
	struct hrpc_gate *g = l->gate;
	unsigned char key[16];
	struct hrpc_conn *c;
	int over;

	host_key(sa, key);
	if ((over = gate_over(g, key)) >= 0) {
		refuse(l, fd, sa, over);
		return;
	}
	c = conn_new(l->base, l->tls, l->ops, l->arg);
	if (!c || gate_take(g, c, key) < 0 || conn_make_bev(c, fd, NULL) < 0) {
		evutil_closesocket(fd);
		if (c)
			conn_destroy(c);
		return;
	}
	conn_format_addr(sa, c->peer, sizeof c->peer);
	c->state = C_CONNECTING;
	c->record_ms = g->lim.record_ms;
	if (g->lim.admit_ms) {
		struct timeval tv;

		c->admit_wait = 1;
		conn_ms_to_tv(g->lim.admit_ms, &tv);
		evtimer_add(c->deadline, &tv);
	}
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
	*l = (struct hrpc_listener){ NULL, NULL, base, tls, ops, arg, NULL };
	l->retry = evtimer_new(base, retry_cb, l);
	l->gate = calloc(1, sizeof *l->gate);
	if (l->gate) {
		l->gate->refs = 1;
		evutil_secure_rng_get_bytes(&l->gate->seed,
					    sizeof l->gate->seed);
	}
	errno = 0;
	if (l->retry && l->gate)
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
	if (l->gate)
		gate_unref(l->gate);
	free(l);
}

void hrpc_listener_set_limits(struct hrpc_listener *l,
			      const struct hrpc_limits *lim)
{
	l->gate->lim = *lim;
}

unsigned hrpc_listener_nconns(const struct hrpc_listener *l)
{
	return l->gate->nconns;
}

unsigned long hrpc_listener_refused(const struct hrpc_listener *l)
{
	return l->gate->refused;
}
