/*
 * vice/main.c - the Hesper file server: options, start-up, the event
 * loop and a clean shutdown on SIGTERM/SIGINT.
 *
 * vice [-f] [-d] [-r ROOT] [-l ADDR] [-p PORT] [--pidfile FILE]
 *      [--keytab FILE] [--hostname NAME] [--token-lifetime SECS]  (vice(8))
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include "config.h"
#include "hesper/sdnotify.h"
#include "vice.h"
#include "store.h"
#include "pdb.h"
#include "auth.h"

#ifndef LOCALSTATEDIR   /* configure's --localstatedir (Makefile.am) */
#define LOCALSTATEDIR "/var"
#endif
#ifndef RUNSTATEDIR     /* configure's --runstatedir: where pid files go */
#define RUNSTATEDIR "/run"
#endif
#define DEFAULT_ROOT LOCALSTATEDIR "/lib/hesper/vice"
#define DEFAULT_PORT 2432

struct opts {
	int foreground, debug, port;
	char *root;             /* absolute, malloc'd */
	const char *addr;       /* NULL: every address */
	const char *pidfile;    /* --pidfile; NULL: none */
	const char *keytab;     /* --keytab: offer GSSAPI */
	const char *hostname;   /* --hostname: GSSAPI's hesper/HOST */
	unsigned lifetime;      /* --token-lifetime: cap, seconds */
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: vice [-f] [-d] [-r ROOT] [-l ADDR] [-p PORT] [--pidfile FILE]\n"
		"            [--keytab FILE] [--hostname NAME] [--token-lifetime SECS] [--version]\n"
		"  default ROOT %s, e.g. --pidfile %s/hesper/vice.pid\n",
		DEFAULT_ROOT, RUNSTATEDIR);
	exit(1);
}

enum { OPT_PIDFILE = 256, OPT_VERSION, OPT_KEYTAB, OPT_HOSTNAME,
       OPT_LIFETIME };

static const struct option long_opts[] = {
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "keytab", required_argument, NULL, OPT_KEYTAB },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "token-lifetime", required_argument, NULL, OPT_LIFETIME },
	{ "version", no_argument,       NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

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
		case OPT_VERSION:
			printf("vice (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
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
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vice *v = arg;

	vlog(LOG_INFO, "signal %d: shutting down", (int)sig);
	event_base_loopbreak(v->base);
}

/* Open the store, TLS and the listening socket; print the two lines. */
static int start(struct vice *v, const struct opts *o)
{
	char err[512] = "", fp[HRPC_FP_LEN];
	struct vauth_opts ao = { o->root, o->keytab, o->hostname, o->lifetime };
	int r;

	if ((r = vs_open(o->root, &v->vs, err, sizeof err)) < 0 ||
	    pdb_open(o->root, &v->pdb, err, sizeof err) ||
	    vauth_init(v, &ao, err, sizeof err) ||
	    !(v->tls = vice_tls_init(o->root, fp, err, sizeof err)) ||
	    !(v->base = event_base_new()) ||
	    !(v->lis = hrpc_listen(v->base, v->tls, o->addr, o->port,
				   &vice_conn_ops, v, err, sizeof err))) {
		vlog(LOG_ERR, "%s", *err ? err : "cannot start");
		return -1;
	}
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
	vs_close(v->vs);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct vice v = { 0 };
	int ready = -1, r, pr;

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
