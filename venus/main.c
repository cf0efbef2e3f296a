/*
 * main.c - venus: start-up, daemonising and clean shutdown.
 *
 * Order matters: fork before libevent and SQLite are touched (neither
 * survives a fork), report success to the waiting parent only once the
 * mount is up, and on SIGTERM/SIGINT unmount first so that no new upcall
 * arrives while the rest is taken down.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>

#include "config.h"
#include "hesper/sdnotify.h"
#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"
#include "venus/core/fsobj.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/front/front.h"
#include "venus/ctl/ctl.h"
#include "venus/log/cml.h"
#include "venus/log/volstate.h"
#include "venus/hoard/hoard.h"
#include "venus/log/zone.h"
#include "venus/repair/reint.h"
#include "venus/wire.h"

static struct venus venus;
static int front_up;    /* 1: fuse, 2: coda */

/* mkdir -p, mode 0700 for what we create. */
static int mkdirs(const char *path)
{
	char *p = strdup(path), *s;
	int rc = 0;

	if (!p)
		return ENOMEM;
	for (s = p + 1; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) && errno != EEXIST)
				rc = errno;
			*s = c;
			if (!c || rc)
				break;
		}
	}
	free(p);
	return rc;
}

/* Fork; the parent waits for one status byte from the child and exits
 * with it (EOF: the child died, exit 1).  Returns the write end in the
 * child. */
static int daemonise(void)
{
	int fds[2];
	pid_t pid;
	unsigned char st = 1;

	if (pipe(fds)) {
		perror("venus: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("venus: fork");
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &st, 1) != 1)
			st = 1;
		_exit(st);
	}
	close(fds[0]);
	setsid();
	return fds[1];
}

/* Tell the parent how start-up went and let go of the terminal. */
static void started(int fd, unsigned char status)
{
	int null;

	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		vlog(LOG_WARNING, "cannot report start-up to the parent");
	close(fd);
	vlog_stderr(0);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	vlog(LOG_NOTICE, "signal %d: shutting down", (int)sig);
	event_base_loopbreak(V->base);
}

static int open_db(void)
{
	char *path;
	int err;

	if (asprintf(&path, "%s/venus.db", V->cfg.cachedir) < 0)
		return ENOMEM;
	err = db_open(path, &V->db);
	free(path);
	if (!err)
		err = db_meta_load(V->db, &V->client_id, &V->next_seq);
	if (!err)
		err = db_client_key(V->db, V->client_key);
	return err;
}

static int start_front(void)
{
	const char *fe = V->cfg.frontend;

	if (!strcmp(fe, "fuse")) {
		if (front_fuse_start(V->cfg.mountpoint))
			return -1;
		front_up = 1;
		return 0;
	}
	if (front_coda_start(V->cfg.mountpoint, !strcmp(fe, "hesper")))
		return -1;
	front_up = 2;
	return 0;
}

static void stop_front(void)
{
	if (front_up == 1)
		front_fuse_stop();
	if (front_up == 2)
		front_coda_stop();
	front_up = 0;
}

/* Everything from the db to the mount.  0 or -1 (logged). */
static int start(void)
{
	int err;

	if ((err = venus_cachedir_prepare())) {
		vlog(LOG_ERR, "%s: %s", V->cfg.cachedir, strerror(err));
		return -1;
	}
	if (open_db())
		return -1;
	if (!(err = cache_init(V->cfg.cachedir, V->cfg.cachesize, V->cfg.cachefiles)))
		cache_set_big(V->cfg.wholefilemaxsize);
	if (err || (err = fso_init()) || !(V->cml = cml_init(&err)) ||
	    (err = hoard_init(&V->hoard))) {
		vlog(LOG_ERR, "cache %s: %s", V->cfg.cachedir, strerror(err));
		return -1;
	}
	wire_cml(V->cml);
	wire_cache(V->hoard);
	fso_log_dirty();
	/* Settling asks the CML about every cached object (one query each:
	 * most of a start with 100,000 objects); an empty log names none. */
	if (cml_count(V->cml))
		fso_cml_settle();
	if (!(V->srv = wire_srv_start(&err)))
		return -1;
	if (!(V->reint = reint_new(V->srv, V->cml)) ||
	    !(V->vol = wire_volume(V->srv, V->cml, V->reint))) {
		vlog(LOG_ERR, "out of memory");
		return -1;
	}
	if ((err = ctl_start(V->cfg.ctlsocket))) {
		vlog(LOG_ERR, "control socket %s: %s", V->cfg.ctlsocket, strerror(-err));
		return -1;
	}
	mkdirs(V->cfg.mountpoint);
	return start_front();
}

static void shutdown_all(void)
{
	stop_front();
	zone_fini(vst_zone(V->vol));   /* the waiting replies were orphaned: let them clean up */
	ctl_events_stop();
	ctl_stop();
	hoard_fini(V->hoard);
	vst_fini(V->vol);
	V->vol = NULL;
	vr_fini();   /* every server, V->srv too */
	V->srv = NULL;
	reint_free(V->reint);   /* after srv_stop failed its calls */
	V->reint = NULL;
	hoard_free(V->hoard);
	V->hoard = NULL;
	cml_fini(V->cml);
	V->cml = NULL;
	fso_fini();
	cache_fini();
	db_close(V->db);
	V->db = NULL;
}

static void stamps_done(void *arg)
{
	*(int *)arg = 1;
}

static void stamps_timeout(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* A clean stop, connections still up: record the volumes' stamps
 * (fso_vstamp_flush) so that the next start needs no revalidation;
 * bounded by fso_vstamp_flush_ms(), or a second signal. */
static void record_stamps(void)
{
	int done = 0, ms = fso_vstamp_flush_ms();
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *t = evtimer_new(V->base, stamps_timeout, &done);

	if (!t || evtimer_add(t, &tv)) {
		if (t)
			event_free(t);
		return;
	}
	fso_vstamp_flush(stamps_done, &done);
	while (!done) {
		db_flush(V->db);
		if (event_base_loop(V->base, EVLOOP_ONCE) ||
		    event_base_got_break(V->base))
			break;
	}
	fso_vstamp_flush_end();   /* done lives on this stack */
	db_flush(V->db);
	event_free(t);
}

/* The event loop, one turn at a time: the batch of a turn's database
 * writes is committed before the loop sleeps (db.h, db_flush; replies
 * commit it before they leave). */
static void serve(void)
{
	db_batching(V->db, 1);
	for (;;) {
		db_flush(V->db);
		if (event_base_loop(V->base, EVLOOP_ONCE) ||
		    event_base_got_exit(V->base) || event_base_got_break(V->base))
			break;   /* an error, no events left, or loopexit/loopbreak */
	}
	record_stamps();
	db_batching(V->db, 0);
}

/* Mounted: the pid file, systemd's READY=1 and its watchdog timer. */
static void announce(void)
{
	int err;

	if (V->cfg.pidfile && (err = hs_pidfile_write(V->cfg.pidfile)) < 0)
		vlog(LOG_WARNING, "pid file %s: %s", V->cfg.pidfile, strerror(-err));
	hs_sd_ready("mounted");
	if (hs_sd_watchdog_start(V->base))
		vlog(LOG_WARNING, "cannot start the systemd watchdog timer");
}

int main(int argc, char **argv)
{
	struct event *sigs[2] = { NULL, NULL };
	int report = -1, rc = 0;

	V = &venus;
	if (venus_config_load(&V->cfg, NULL, argc, argv))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	vlog_journal(hs_sd_journal_stderr());
	if (!V->cfg.foreground) {
		openlog("venus", LOG_PID, LOG_DAEMON);
		vlog_stderr(1);
		report = daemonise();
	}
	V->base = event_base_new();
	if (!V->base) {
		vlog(LOG_ERR, "cannot make the event loop");
		return 1;
	}
	sigs[0] = evsignal_new(V->base, SIGTERM, on_signal, NULL);
	sigs[1] = evsignal_new(V->base, SIGINT, on_signal, NULL);
	if (!sigs[0] || !sigs[1] || evsignal_add(sigs[0], NULL) || evsignal_add(sigs[1], NULL)) {
		vlog(LOG_ERR, "cannot catch signals");
		rc = 1;
	}
	if (!rc && start())
		rc = 1;
	if (!rc) {
		vlog(LOG_NOTICE, "serving %s from vice %s (cache %s)", V->cfg.mountpoint,
		     srv_name(V->srv), V->cfg.cachedir);
		started(report, 0);
		announce();
		serve();
		hs_sd_stopping();
		hs_sd_watchdog_stop();
	} else {
		started(report, 1);
	}
	shutdown_all();
	/* Closed TLS connections free themselves from deferred callbacks
	 * (BEV_OPT_DEFER_CALLBACKS), which event_base_free would drop. */
	event_base_loop(V->base, EVLOOP_NONBLOCK);
	if (V->cfg.pidfile)
		hs_pidfile_remove(V->cfg.pidfile);
	if (sigs[0])
		event_free(sigs[0]);
	if (sigs[1])
		event_free(sigs[1]);
	event_base_free(V->base);
	venus_config_free(&V->cfg);
	if (!V->cfg.foreground)
		closelog();
	V = NULL;
	return rc;
}
