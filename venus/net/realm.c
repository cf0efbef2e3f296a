/*
 * realm.c - the realm table (realm.h): names, indexes, servers.
 *
 * Realm 0 is venus.conf's (server, port, realm keys); the realms file adds
 * named realms with their servers; a realm named nowhere is looked up as
 * DNS SRV _hesper._tcp.<realm> in a worker thread (res_nquery blocks),
 * whose answer comes back to the event loop through a pipe; with no SRV
 * record the realm's name is taken as its one server's host (Coda falls
 * back to the name's address too).  DNS answers are kept for their TTL
 * (at least 60 s, at most a day); at most DNS_MAX lookups run at once.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/net/realm.h"
#include "venus/net/volreg.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_REALMTAB SYSCONFDIR "/hesper/realms"
#define DNS_MAX     4
#define TTL_MIN     60
#define TTL_MAX     86400
/* Callers waiting on one realm's lookup. */
#define WAIT_MAX    64

enum src { SRC_NONE, SRC_CONF, SRC_FILE, SRC_DNS, SRC_NAME };

struct waiter {
	void (*cb)(void *arg, int err);
	void *arg;
};

struct realm {
	char          *name;
	enum src       src;
	struct vr_addr addr[VR_MAX_ADDRS];
	int            naddr;
	int            kept;        /* index in venus.db (or realm 0) */
	uint64_t       expires;     /* SRC_DNS/SRC_NAME: ms, monotonic */
	int            looking;     /* a DNS job is out */
	struct waiter  wait[WAIT_MAX];
	int            nwait;
};

struct dnsjob {
	pthread_t      th;
	char           name[HS_MAXHOSTNAME + 1];
	struct vr_addr addr[VR_MAX_ADDRS];
	int            n;           /* -1: lookup failed (not "no record") */
	int            host_ok;     /* no SRV, but the name is a host */
	unsigned       ttl;
	struct dnsjob *next;
};

static struct {
	struct realm  *r[VR_MAX_REALMS];
	int            pipe[2];
	struct event  *ev;
	struct dnsjob *jobs;        /* running */
	int            njobs;
	struct timespec file_mtime; /* of the realms file when last read */
} RT = { .pipe = { -1, -1 } };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct realm *slot(unsigned idx)
{
	return idx < VR_MAX_REALMS ? RT.r[idx] : NULL;
}

static struct realm *put(unsigned idx, const char *name)
{
	struct realm *r;

	if (idx >= VR_MAX_REALMS || RT.r[idx])
		return NULL;
	if (!(r = calloc(1, sizeof *r)) || !(r->name = strdup(name))) {
		free(r);
		return NULL;
	}
	RT.r[idx] = r;
	return r;
}

int realm_index(const char *name, int add)
{
	unsigned i;

	for (i = 0; i < VR_MAX_REALMS; i++)
		if (RT.r[i] && !strcmp(RT.r[i]->name, name))
			return (int)i;
	if (!add)
		return -1;
	for (i = 1; i < VR_MAX_REALMS; i++)
		if (!RT.r[i])
			return put(i, name) ? (int)i : -1;
	vlog(LOG_ERR, "realm %s: venus knows %d realms already", name, VR_MAX_REALMS);
	return -1;
}

const char *realm_name(unsigned idx)
{
	struct realm *r = slot(idx);

	return r ? r->name : NULL;
}

int realm_keep(unsigned idx)
{
	struct realm *r = slot(idx);
	int err;

	if (!r || r->kept)
		return r ? 0 : ENOENT;
	if ((err = db_realm_put(V->db, idx, r->name)))
		return err;
	r->kept = 1;
	return 0;
}

static void free_realm(struct realm *r)
{
	free(r->name);
	free(r);
}

void realm_drop(unsigned idx)
{
	struct realm *r = slot(idx);

	if (!r || r->kept || r->src == SRC_FILE || r->looking || r->nwait)
		return;
	RT.r[idx] = NULL;
	free_realm(r);
}

int realm_addrs(unsigned idx, const struct vr_addr **addr)
{
	struct realm *r = slot(idx);

	if (!r)
		return 0;
	*addr = r->addr;
	return r->naddr;
}

void realm_foreach(void (*fn)(void *arg, unsigned idx, const char *name), void *arg)
{
	for (unsigned i = 0; i < VR_MAX_REALMS; i++)
		if (RT.r[i])
			fn(arg, i, RT.r[i]->name);
}

/* ---- DNS SRV, off the loop ---- */

static void *dns_thread(void *arg)
{
	struct dnsjob *j = arg;
	struct __res_state st;
	unsigned char buf[NS_PACKETSZ * 4];
	char q[HS_MAXHOSTNAME + 16], err[128];
	int len;

	j->n = -1;
	memset(&st, 0, sizeof st);
	if (res_ninit(&st) == 0) {
		st.retrans = 2;
		st.retry = 2;
		snprintf(q, sizeof q, "_hesper._tcp.%s", j->name);
		len = res_nquery(&st, q, ns_c_in, ns_t_srv, buf, sizeof buf);
		if (len < 0)
			j->n = st.res_h_errno == HOST_NOT_FOUND || st.res_h_errno == NO_DATA ?
			       0 : -1;
		else if ((j->n = vr_srv_parse(buf, len, j->addr, VR_MAX_ADDRS, &j->ttl, err,
					      sizeof err)) < 0)
			vlog(LOG_WARNING, "DNS %s: %s", q, err);
		res_nclose(&st);
	}
	if (j->n <= 0) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;

		if (getaddrinfo(j->name, NULL, &hints, &ai) == 0) {
			j->host_ok = 1;
			freeaddrinfo(ai);
		}
	}
	/* One pointer: a pipe writes it whole (PIPE_BUF). */
	if (write(RT.pipe[1], &j, sizeof j) != sizeof j)
		vlog(LOG_ERR, "DNS %s: cannot hand the answer back", j->name);
	return NULL;
}

static void wake(struct realm *r, int err)
{
	struct waiter w[WAIT_MAX];
	int n = r->nwait;

	memcpy(w, r->wait, sizeof w[0] * (size_t)n);
	r->nwait = 0;
	for (int i = 0; i < n; i++)
		w[i].cb(w[i].arg, err);
}

/* No SRV record: the realm's name is its server (a name that is no host
 * makes connections fail, and the realm's calls ETIMEDOUT). */
static void by_name(struct realm *r)
{
	if (vr_addr_parse(r->name, &r->addr[0]) == 0) {
		r->naddr = 1;
		r->src = SRC_NAME;
	}
}

static void dns_apply(struct dnsjob *j)
{
	int idx = realm_index(j->name, 0);
	struct realm *r = idx >= 0 ? RT.r[idx] : NULL;
	unsigned ttl = j->ttl < TTL_MIN ? TTL_MIN : j->ttl > TTL_MAX ? TTL_MAX : j->ttl;

	if (!r)
		return;
	r->looking = 0;
	if (r->src == SRC_FILE || r->src == SRC_CONF) {
		wake(r, 0);
		return;
	}
	if (j->n > 0) {
		memcpy(r->addr, j->addr, sizeof j->addr[0] * (size_t)j->n);
		r->naddr = j->n;
		r->src = SRC_DNS;
		vlog(LOG_INFO, "realm %s: %d server(s) from DNS SRV, first %s:%d", r->name,
		     j->n, r->addr[0].host, r->addr[0].port);
	} else if (j->host_ok) {
		by_name(r);
		ttl = TTL_MIN;
	}
	/* A failed lookup keeps what was known and asks again soon. */
	r->expires = now_ms() + (uint64_t)(j->n < 0 ? TTL_MIN : ttl) * 1000;
	wake(r, r->naddr ? 0 : ENOENT);
}

static void dns_ready(evutil_socket_t fd, short what, void *arg)
{
	struct dnsjob *j, **pp;

	while (read(fd, &j, sizeof j) == sizeof j) {
		for (pp = &RT.jobs; *pp && *pp != j; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = j->next;
		RT.njobs--;
		pthread_join(j->th, NULL);
		dns_apply(j);
		free(j);
	}
}

static int dns_setup(void)
{
	if (RT.ev)
		return 0;
	if (pipe2(RT.pipe, O_CLOEXEC | O_NONBLOCK))
		return errno;
	RT.ev = event_new(V->base, RT.pipe[0], EV_READ | EV_PERSIST, dns_ready, NULL);
	if (!RT.ev || event_add(RT.ev, NULL))
		return ENOMEM;
	return 0;
}

static int dns_start(struct realm *r)
{
	struct dnsjob *j;
	int err;

	if (r->looking)
		return 0;
	if (RT.njobs >= DNS_MAX)
		return EAGAIN;
	if ((err = dns_setup()) || !(j = calloc(1, sizeof *j)))
		return err ? err : ENOMEM;
	snprintf(j->name, sizeof j->name, "%s", r->name);
	if ((err = pthread_create(&j->th, NULL, dns_thread, j))) {
		free(j);
		return err;
	}
	j->next = RT.jobs;
	RT.jobs = j;
	RT.njobs++;
	r->looking = 1;
	return 0;
}

static int load_file(void);

/* The admin added a realm to the realms file since it was read: read it
 * again (a bad file now is logged and the realms known stay), so that a
 * new realm needs no venus restart. */
static void reload_if_changed(void)
{
	const char *path = V->cfg.realmtab ? V->cfg.realmtab : DEFAULT_REALMTAB;
	struct stat st;

	if (stat(path, &st) || (st.st_mtim.tv_sec == RT.file_mtime.tv_sec &&
				st.st_mtim.tv_nsec == RT.file_mtime.tv_nsec))
		return;
	vlog(LOG_INFO, "realms file %s changed: reading it again", path);
	RT.file_mtime = st.st_mtim;
	load_file();
}

void realm_resolve(unsigned idx, void (*cb)(void *arg, int err), void *arg)
{
	struct realm *r;
	int err;

	reload_if_changed();
	r = slot(idx);

	if (!r) {
		cb(arg, ENOENT);
		return;
	}
	if (r->naddr && (r->src == SRC_CONF || r->src == SRC_FILE || r->expires > now_ms())) {
		cb(arg, 0);
		return;
	}
	if (r->nwait == WAIT_MAX || (err = dns_start(r))) {
		/* Stale servers beat none. */
		cb(arg, r->naddr ? 0 : EAGAIN);
		return;
	}
	r->wait[r->nwait].cb = cb;
	r->wait[r->nwait++].arg = arg;
}

/* ---- start-up ---- */

static int has_addr(const struct realm *r, const struct vr_addr *a)
{
	for (int i = 0; i < r->naddr; i++)
		if (!strcmp(a->host, r->addr[i].host) && a->port == r->addr[i].port)
			return 1;
	return 0;
}

static int file_line(void *arg, const char *name, const struct vr_addr *a, int n)
{
	int idx = realm_index(name, 1);
	struct realm *r = idx >= 0 ? RT.r[idx] : NULL;

	if (!r)
		return ENOMEM;
	if (idx == 0) {
		/* venus.conf's server stays first; the file adds the others. */
		for (int i = 0; i < n && r->naddr < VR_MAX_ADDRS; i++)
			if (!has_addr(r, &a[i]))
				r->addr[r->naddr++] = a[i];
		return 0;
	}
	memcpy(r->addr, a, sizeof a[0] * (size_t)n);
	r->naddr = n;
	r->src = SRC_FILE;
	return 0;
}

static int load_file(void)
{
	const char *path = V->cfg.realmtab ? V->cfg.realmtab : DEFAULT_REALMTAB;
	char err[PATH_MAX + 256];
	FILE *f = fopen(path, "r");
	struct stat st;
	int rc;

	if (!f) {
		if (errno == ENOENT && !V->cfg.realmtab)
			return 0;
		vlog(LOG_ERR, "realms file %s: %s", path, strerror(errno));
		return errno;
	}
	if (fstat(fileno(f), &st) == 0)
		RT.file_mtime = st.st_mtim;
	rc = vr_realms_parse(f, path, file_line, NULL, err, sizeof err);
	fclose(f);
	if (rc < 0) {
		vlog(LOG_ERR, "%s", err);
		return EINVAL;
	}
	return rc;
}

/* A kept index.  One that clashes (the realm is venus.conf's now, or the
 * index is bad) is skipped with a warning: the cached objects it named
 * are unreachable, the rest of the cache is fine. */
static void db_row(void *arg, unsigned idx, const char *name)
{
	int *err = arg;
	int have = realm_index(name, 0);
	struct realm *r;

	if (idx == 0 || idx >= VR_MAX_REALMS || have >= 0) {
		vlog(LOG_WARNING, "venus.db: realm %s (index %u) is %s: its cached objects are stale",
		     name, idx, have == 0 ? "venus.conf's realm now" : "a bad entry");
		return;
	}
	if ((r = put(idx, name)))
		r->kept = 1;
	else
		*err = ENOMEM;
}

int realm_init(void)
{
	struct realm *r = put(0, V->cfg.realm ? V->cfg.realm : V->cfg.server);
	int err = 0, rowerr = 0;

	if (!r)
		return ENOMEM;
	r->src = SRC_CONF;
	r->kept = 1;
	r->naddr = 1;
	snprintf(r->addr[0].host, sizeof r->addr[0].host, "%s", V->cfg.server);
	r->addr[0].port = V->cfg.port;
	/* Indexes first: the file may name a realm venus.db already knows. */
	if (V->db && ((err = db_realm_foreach(V->db, db_row, &rowerr)) || rowerr))
		return err ? err : rowerr;
	return load_file();
}

void realm_fini(void)
{
	while (RT.jobs) {
		struct dnsjob *j = RT.jobs;

		RT.jobs = j->next;
		pthread_join(j->th, NULL);
		free(j);
	}
	RT.njobs = 0;
	if (RT.ev)
		event_free(RT.ev);
	RT.ev = NULL;
	for (int i = 0; i < 2; i++)
		if (RT.pipe[i] >= 0)
			close(RT.pipe[i]);
	RT.pipe[0] = RT.pipe[1] = -1;
	for (unsigned i = 0; i < VR_MAX_REALMS; i++) {
		if (RT.r[i]) {
			free_realm(RT.r[i]);
			RT.r[i] = NULL;
		}
	}
}
