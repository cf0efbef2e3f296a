/*
 * vice/main.c - the Hesper file server: options, start-up, the event
 * loop and a clean shutdown on SIGTERM/SIGINT.
 *
 * vice [-f] [-d] [-r ROOT] [-l ADDR] [-p PORT] [--pidfile FILE]
 *      [--max-conns N] [--max-conns-per-host N] [--connect-timeout SECS]
 *      [--record-timeout SECS]
 *      [--keytab FILE] [--hostname NAME] [--token-lifetime SECS]
 *      [--realm NAME] [--vldb sqlite|etcd] [--etcd URL[,URL...]]
 *      [--publish HOST[:PORT]]  (vice(8))
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <event2/event.h>
#include "config.h"
#include "hesper/sdnotify.h"
#include "vice.h"
#include "store.h"
#include "pdb.h"
#include "auth.h"
#include "voldump.h"
#include "vldb.h"
#include "authkey_etcd.h"

#ifndef LOCALSTATEDIR   /* configure's --localstatedir (Makefile.am) */
#define LOCALSTATEDIR "/var"
#endif
#ifndef RUNSTATEDIR     /* configure's --runstatedir: where pid files go */
#define RUNSTATEDIR "/run"
#endif
#define DEFAULT_ROOT LOCALSTATEDIR "/lib/hesper/vice"
#define DEFAULT_PORT 2432
/* Connection limits (doc/vice.8, doc/design.md "Bounded server"). */
#define FD_RESERVE 64           /* fds kept for the store, sqlite, logs */
#define DEFAULT_PER_HOST 64
#define MIN_CONNS 64            /* default global cap on a small machine */
#define DEFAULT_CONNECT_S 30    /* TLS + HS_CONNECT */
#define DEFAULT_RECORD_S 60     /* a 4 MiB record (or reply) at 0.5 Mbit/s */

struct opts {
	int foreground, debug, port;
	char *root;             /* absolute, malloc'd */
	const char *addr;       /* NULL: every address */
	const char *pidfile;    /* --pidfile; NULL: none */
	long max_conns;         /* -1: from RLIMIT_NOFILE */
	struct hrpc_limits lim;
	const char *keytab;     /* --keytab: offer GSSAPI */
	const char *hostname;   /* --hostname: GSSAPI's hesper/HOST */
	unsigned lifetime;      /* --token-lifetime: cap, seconds */
	char realm[256];        /* --realm; default: the host name */
	struct vldb_opts vldb;  /* --vldb, --etcd */
	const char *publish;    /* --publish HOST[:PORT]; NULL: derived */
	unsigned sync_delay_ms; /* --sync delayed; 0: always */
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: vice [-f] [-d] [-r ROOT] [-l ADDR] [-p PORT] [--pidfile FILE]\n"
		"            [--max-conns N] [--max-conns-per-host N]\n"
		"            [--connect-timeout SECS] [--record-timeout SECS]\n"
		"            [--keytab FILE] [--hostname NAME] [--token-lifetime SECS]\n"
		"            [--realm NAME] [--vldb sqlite|etcd] [--etcd URL[,URL...]]\n"
		"            [--publish HOST[:PORT]] [--sync always|delayed]\n"
		"            [--version]\n"
		"  default ROOT %s, e.g. --pidfile %s/hesper/vice.pid\n",
		DEFAULT_ROOT, RUNSTATEDIR);
	exit(1);
}

enum { OPT_PIDFILE = 256, OPT_VERSION, OPT_MAXCONNS, OPT_PERHOST,
       OPT_CONNECT_TO, OPT_RECORD_TO, OPT_KEYTAB, OPT_HOSTNAME,
       OPT_LIFETIME, OPT_REALM, OPT_VLDB, OPT_ETCD, OPT_PUBLISH, OPT_SYNC };

/* --sync delayed: how long a change may wait for its flush (OpenAFS's
 * fileserver syncs every 10 s in that mode; ext4 commits every 5 s). */
#define SYNC_DELAY_MS 1000

static const struct option long_opts[] = {
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "keytab", required_argument, NULL, OPT_KEYTAB },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "token-lifetime", required_argument, NULL, OPT_LIFETIME },
	{ "version", no_argument,       NULL, OPT_VERSION },
	{ "max-conns", required_argument, NULL, OPT_MAXCONNS },
	{ "max-conns-per-host", required_argument, NULL, OPT_PERHOST },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TO },
	{ "record-timeout", required_argument, NULL, OPT_RECORD_TO },
	{ "realm", required_argument, NULL, OPT_REALM },
	{ "vldb", required_argument, NULL, OPT_VLDB },
	{ "etcd", required_argument, NULL, OPT_ETCD },
	{ "publish", required_argument, NULL, OPT_PUBLISH },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ NULL, 0, NULL, 0 }
};

/* A whole number in [lo, hi] for option name, or exit with a message. */
static long number(const char *name, const char *s, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < lo || n > hi) {
		fprintf(stderr, "vice: %s must be a number from %ld to %ld: %s\n",
			name, lo, hi, s);
		exit(1);
	}
	return n;
}

/* The root as an absolute path: a daemon works from "/". */
static char *abs_root(const char *root)
{
	char cwd[4096], *out;

	if (root[0] == '/')
		return strdup(root);
	if (!getcwd(cwd, sizeof cwd) || asprintf(&out, "%s/%s", cwd, root) < 0)
		return NULL;
	return out;
}

static void parse(int argc, char **argv, struct opts *o)
{
	const char *root = DEFAULT_ROOT;
	char *end;
	long port;
	int ch;

	o->port = DEFAULT_PORT;
	o->max_conns = -1;
	o->lim.max_conns_per_host = DEFAULT_PER_HOST;
	o->lim.admit_ms = DEFAULT_CONNECT_S * 1000;
	o->lim.record_ms = DEFAULT_RECORD_S * 1000;
	o->lim.on_refused = vice_conn_refused;
	while ((ch = getopt_long(argc, argv, "fdr:l:p:", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_PIDFILE:
			if (!*optarg)
				usage();
			o->pidfile = optarg;
			break;
		case OPT_KEYTAB:
			if (!*optarg)
				usage();
			o->keytab = optarg;
			break;
		case OPT_HOSTNAME:
			if (!*optarg)
				usage();
			o->hostname = optarg;
			break;
		case OPT_LIFETIME:
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || port < 60 ||
			    port > 30L * 24 * 3600) {
				fprintf(stderr, "vice: bad token lifetime (60 s"
					" to 30 days): %s\n", optarg);
				exit(1);
			}
			o->lifetime = (unsigned)port;
			break;
		case OPT_REALM:
			if (!*optarg || strlen(optarg) >= sizeof o->realm ||
			    strchr(optarg, '/')) {
				fprintf(stderr, "vice: bad realm name (1 to %zu "
					"bytes, no '/'): %s\n",
					sizeof o->realm - 1, optarg);
				exit(1);
			}
			strcpy(o->realm, optarg);
			break;
		case OPT_VLDB:
			if (strcmp(optarg, "sqlite") && strcmp(optarg, "etcd")) {
				fprintf(stderr, "vice: --vldb is sqlite or etcd: %s\n",
					optarg);
				exit(1);
			}
			o->vldb.backend = optarg;
			break;
		case OPT_ETCD:
			o->vldb.etcd = optarg;
			break;
		case OPT_PUBLISH:
			if (!*optarg)
				usage();
			o->publish = optarg;
			break;
		case OPT_SYNC:
			if (strcmp(optarg, "always") && strcmp(optarg, "delayed")) {
				fprintf(stderr, "vice: --sync is always or delayed: %s\n",
					optarg);
				exit(1);
			}
			o->sync_delay_ms = strcmp(optarg, "delayed") ? 0 : SYNC_DELAY_MS;
			break;
		case OPT_VERSION:
			printf("vice (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		case OPT_MAXCONNS:
			o->max_conns = number("--max-conns", optarg, 1, 1000000);
			break;
		case OPT_PERHOST:
			o->lim.max_conns_per_host = (unsigned)number(
				"--max-conns-per-host", optarg, 0, 1000000);
			break;
		case OPT_CONNECT_TO:
			o->lim.admit_ms = (unsigned)number("--connect-timeout",
							   optarg, 1, 3600) * 1000;
			break;
		case OPT_RECORD_TO:
			o->lim.record_ms = (unsigned)number("--record-timeout",
							    optarg, 1, 3600) * 1000;
			break;
		case 'f': o->foreground = 1; break;
		case 'd': o->debug = 1; break;
		case 'r': root = optarg; break;
		case 'l': o->addr = *optarg ? optarg : NULL; break;
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || port < 0 ||
			    port > 65535) {
				fprintf(stderr, "vice: bad port: %s\n", optarg);
				exit(1);
			}
			o->port = (int)port;
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (!*root || !(o->root = abs_root(root))) {
		fprintf(stderr, "vice: bad root directory: %s\n", root);
		exit(1);
	}
	if (o->vldb.etcd && !o->vldb.backend)
		o->vldb.backend = "etcd";
	if (o->vldb.backend && !strcmp(o->vldb.backend, "etcd") && !o->vldb.etcd) {
		fprintf(stderr, "vice: --vldb etcd needs --etcd URL[,URL...]\n");
		exit(1);
	}
	if (!*o->realm && (gethostname(o->realm, sizeof o->realm - 1) < 0 ||
			   !*o->realm))
		strcpy(o->realm, "localhost");
	o->vldb.root = o->root;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vice *v = arg;

	vlog(LOG_INFO, "signal %d: shutting down", (int)sig);
	event_base_loopbreak(v->base);
}

/* The default global cap: what half of RAM holds at HRPC_CONN_MAX_BYTES
 * each (so no flood can make vice's buffers outgrow it), at least
 * MIN_CONNS. */
static long mem_conns(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long n;

	if (pages <= 0 || psize <= 0)
		return MIN_CONNS;
	n = (long)((double)pages * (double)psize / 2 / HRPC_CONN_MAX_BYTES);
	return n < MIN_CONNS ? MIN_CONNS : n;
}

/* Raise the fd limit to its hard limit and set the global connection cap
 * below it: a flood of connections must not leave vice without fds for
 * its store, nor make accept(2) fail for everyone. */
static void set_max_conns(struct opts *o)
{
	struct rlimit rl;
	long fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;

		if (want == RLIM_INFINITY || want > 1048576)
			want = 1048576;
		if (want > rl.rlim_cur) {
			rl.rlim_cur = want;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				vlog(LOG_WARNING, "cannot raise the fd limit: %s",
				     strerror(errno));
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 1048576)
		rl.rlim_cur = 1048576;
	fit = (long)rl.rlim_cur > 2 * FD_RESERVE ? (long)rl.rlim_cur - FD_RESERVE
						  : (long)rl.rlim_cur / 2;
	if (o->max_conns > fit)
		vlog(LOG_WARNING, "--max-conns %ld is above what the fd limit %ld "
		     "allows; using %ld", o->max_conns, (long)rl.rlim_cur, fit);
	if (o->max_conns < 0)
		o->max_conns = mem_conns();
	if (o->max_conns > fit)
		o->max_conns = fit;
	o->lim.max_conns = (unsigned)o->max_conns;
}

/* The VLDB and the store.  etcd first: a later server of a realm must
 * not make its own volume "root" (vldb_want_root); sqlite's vldb.db lives
 * in the root the store makes. */
static int open_vldb_store(struct vice *v, struct opts *o, char *err,
			   size_t n)
{
	int etcd = o->vldb.backend && !strcmp(o->vldb.backend, "etcd");
	struct vs_open_opts so = { 0 };
	int make = 1, r;

	v->realm = o->realm;
	if (etcd && ((r = vldb_open(v, &o->vldb, err, n)) ||
		     (r = vldb_want_root(v, &make)))) {
		if (!*err)
			snprintf(err, n, "VLDB (etcd %s): %s", o->vldb.etcd,
				 strerror(r));
		return -1;
	}
	so.no_root_volume = !make;
	if (vs_open_with(o->root, &so, &v->vs, err, n) < 0)
		return -1;
	if (!etcd && vldb_open(v, &o->vldb, err, n))
		return -1;
	return 0;
}

/* HOST[:PORT] or [V6]:PORT into host (n bytes) and *port (kept if none
 * given).  -1 if malformed. */
static int split_hostport(const char *s, char *host, size_t n, unsigned *port)
{
	const char *colon = strrchr(s, ':'), *h = s;
	size_t len;
	char *end;
	long p;

	if (*s == '[') {        /* an IPv6 literal */
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			return -1;
		h = s + 1;
		len = (size_t)(rb - h);
		colon = rb[1] ? rb + 1 : NULL;
	} else if (colon && strchr(s, ':') != colon) {
		len = strlen(s);        /* a bare IPv6 literal, no port */
		colon = NULL;
	} else {
		len = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (!len || len >= n)
		return -1;
	memcpy(host, h, len);
	host[len] = 0;
	if (colon) {
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
			return -1;
		*port = (unsigned)p;
	}
	return 0;
}

/* Publish this server's address in the VLDB and sync its volumes: the
 * --publish address, else the --listen one unless it is a wildcard, else
 * the host name; the listening port unless --publish gives one. */
static int publish(struct vice *v, struct opts *o, char *err, size_t n)
{
	char host[HS_MAXHOSTNAME + 1] = "";
	unsigned port = (unsigned)hrpc_listener_port(v->lis);
	int r;

	if (o->publish) {
		if (split_hostport(o->publish, host, sizeof host, &port)) {
			snprintf(err, n, "bad --publish address: %s", o->publish);
			return -1;
		}
	} else if (o->addr && strcmp(o->addr, "0.0.0.0") && strcmp(o->addr, "::")) {
		snprintf(host, sizeof host, "%s", o->addr);
	} else if (gethostname(host, sizeof host - 1) < 0 || !*host) {
		snprintf(host, sizeof host, "localhost");
	}
	if ((r = vldb_set_address(v, host, port)) || (r = vldb_sync(v))) {
		snprintf(err, n, "VLDB: cannot publish this server's volumes "
			 "as %s:%u: %s", host, port, strerror(r));
		return -1;
	}
	printf("vice: realm %s, VLDB %s, volumes published as %s:%u\n",
	       o->realm, o->vldb.backend ? o->vldb.backend : "sqlite", host, port);
	return 0;
}

/* The pdb: <root>/pdb.db, or with --vldb etcd the realm's in etcd, with
 * <root>/auth.key made the realm's shared key first (authkey_etcd.h) so
 * a token from one server opens on all. */
static int open_pdb(struct vice *v, struct opts *o, char *err, size_t n)
{
	if (!o->vldb.backend || strcmp(o->vldb.backend, "etcd"))
		return pdb_open(o->root, &v->pdb, err, n);
	if (vauth_key_etcd(o->root, o->vldb.etcd, o->realm, err, n))
		return -1;
	return pdb_open_etcd(o->vldb.etcd, o->realm, &v->pdb, err, n);
}

/* Open the store, TLS and the listening socket; print the two lines. */
static int start(struct vice *v, struct opts *o)
{
	char err[512] = "", fp[HRPC_FP_LEN];
	struct vauth_opts ao = { o->root, o->keytab, o->hostname, o->lifetime };

	v->sync_delay_ms = o->sync_delay_ms;

	if (open_vldb_store(v, o, err, sizeof err) ||
	    open_pdb(v, o, err, sizeof err) ||
	    vauth_init(v, &ao, err, sizeof err) ||
	    !(v->tls = vice_tls_init(o->root, fp, err, sizeof err)) ||
	    !(v->base = event_base_new()) ||
	    vice_flush_init(v, err, sizeof err) ||
	    !(v->lis = hrpc_listen(v->base, v->tls, o->addr, o->port,
				   &vice_conn_ops, v, err, sizeof err)) ||
	    publish(v, o, err, sizeof err)) {
		vlog(LOG_ERR, "%s", *err ? err : "cannot start");
		return -1;
	}
	set_max_conns(o);
	hrpc_listener_set_limits(v->lis, &o->lim);
	vlog(LOG_INFO, "at most %u connections (buffers at most %u MiB), "
	     "%u per host (0: no cap); %u s to connect, %u s per record",
	     o->lim.max_conns,
	     (unsigned)((double)o->lim.max_conns * HRPC_CONN_MAX_BYTES / 1048576),
	     o->lim.max_conns_per_host, o->lim.admit_ms / 1000,
	     o->lim.record_ms / 1000);
	printf("vice: listening on %s port %d\n", o->addr ? o->addr : "*",
	       hrpc_listener_port(v->lis));
	printf("vice: certificate SHA-256 fingerprint %s\n", fp);
	fflush(stdout);
	return 0;
}

/* Run the loop until SIGTERM or SIGINT. */
static int serve(struct vice *v)
{
	struct event *term = evsignal_new(v->base, SIGTERM, on_signal, v);
	struct event *intr = evsignal_new(v->base, SIGINT, on_signal, v);
	int r = -1;

	if (term && intr && !event_add(term, NULL) && !event_add(intr, NULL))
		r = event_base_dispatch(v->base) < 0 ? -1 : 0;
	else
		vlog(LOG_ERR, "cannot install signal handlers");
	if (term)
		event_free(term);
	if (intr)
		event_free(intr);
	return r;
}

static void stop(struct vice *v)
{
	vice_flush_stop(v);
	if (v->lis)
		hrpc_listener_free(v->lis);
	vice_clients_close(v);
	/* Let closed connections finish their deferred callbacks. */
	if (v->base)
		event_base_loop(v->base, EVLOOP_NONBLOCK);
	if (v->base)
		event_base_free(v->base);
	hrpc_tls_free(v->tls);
	vauth_shutdown();
	pdb_close(v->pdb);
	vd_free(v);
	vstamp_free(v);
	vldb_close(v);
	vs_close(v->vs);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct vice v = { 0 };
	int ready = -1, r, pr;

	vs_sqlite_config();
	parse(argc, argv, &o);
	vlog_init(o.debug);
	vlog_journal(hs_sd_journal_stderr());
	signal(SIGPIPE, SIG_IGN);
	if (!o.foreground && (ready = vice_daemon_start()) < 0) {
		fprintf(stderr, "vice: cannot daemonise: %s\n", strerror(errno));
		return 1;
	}
	r = start(&v, &o);
	if (!r && ready >= 0)
		vice_daemon_ready(ready);
	if (!r && o.pidfile && (pr = hs_pidfile_write(o.pidfile)) < 0)
		vlog(LOG_WARNING, "pid file %s: %s", o.pidfile, strerror(-pr));
	if (!r) {
		hs_sd_ready("listening");
		if (hs_sd_watchdog_start(v.base))
			vlog(LOG_WARNING, "cannot start the systemd watchdog timer");
		r = serve(&v);
		hs_sd_stopping();
		hs_sd_watchdog_stop();
	}
	stop(&v);
	if (o.pidfile)
		hs_pidfile_remove(o.pidfile);
	free(o.root);
	return r ? 1 : 0;
}
