/*
 * venus.h - the cache manager's global state, configuration and counters.
 *
 * venus is one process with one libevent loop.  Front ends (fuse.c, and
 * coda.c for the kernel channel) turn upcalls into fsobj operations
 * (fsobj.h); fsobj turns cache misses and mutations into vice RPCs
 * (server.h); ctl.c serves cfs on a Unix socket.
 */
#ifndef VENUS_VENUS_H
#define VENUS_VENUS_H

#include <stdint.h>
#include <sqlite3.h>
#include <event2/event.h>
#include "hesper.h"

/* Configuration: SYSCONFDIR/hesper/venus.conf (venus.conf(5)), then the
 * command line.  Keys take Coda's names where the meaning is the same. */
struct venus_config {
	char    *server;        /* vice host (name, IPv4 or IPv6); required */
	int      port;          /* vice port; default 2432 */
	char    *cachedir;      /* default LOCALSTATEDIR/lib/hesper/venus */
	char    *mountpoint;    /* default /coda */
	uint64_t cachesize;     /* bytes of container data; default 1 GiB */
	uint64_t cachefiles;    /* max cached objects; default 100000 */
	uint64_t wholefilemaxsize; /* bytes: files this large (or larger than
				 * cachesize) stay outside the cachesize bound,
				 * the newest one kept (Coda caches them
				 * partially); default 50 MiB */
	char    *cafile;        /* verify vice against this CA; NULL = pin */
	char    *ctlsocket;     /* default <cachedir>/venus.ctl */
	char    *frontend;      /* "fuse" (default), "hesper", "coda" */
	char    *realm;         /* realm name shown by cfs; default server */
	char    *realmtab;      /* realms file (Coda's key); NULL: the
				 * default SYSCONFDIR/hesper/realms, which
				 * may be missing */
	int      foreground;    /* -f: stay in the foreground */
	int      debug;         /* -d: verbose log on stderr */
	unsigned timeout_ms;    /* per-call limit on vice RPCs; key "timeout"
				 * in seconds; default 30000 */
	/* Disconnected operation (Coda's keys, venus.conf(5)). */
	uint64_t cml_entries;   /* CML records before writers stall; 100000 */
	unsigned reint_age;     /* reintegration_age: seconds a record ages
				 * before it is trickled in wd mode; 0 */
	unsigned reint_time;    /* reintegration_time: seconds one trickle
				 * pass may take in wd mode; 15 (Coda's) */
	int      reint_set;     /* either key was given: start in wd mode
				 * with them (strong if time is 0) */
	unsigned serverprobe;   /* seconds between probes of a down vice; 30 */
	char    *checkpointdir; /* default <cachedir>/checkpoint */
	char    *pidfile;       /* pid_file (Coda's key) or --pidfile; NULL:
				 * none */
};

/* Counters shown by `cfs stats`; all monotonic since start. */
struct venus_stats {
	uint64_t fetches;        /* whole-file fetches completed */
	uint64_t fetch_bytes;
	uint64_t stores;         /* stores sent at close */
	uint64_t store_bytes;
	uint64_t stores_skipped; /* last-writer closes with the written flag clear */
	uint64_t cache_hits;     /* opens served from a valid container */
	uint64_t cache_misses;   /* opens that had to fetch */
	uint64_t callback_breaks;/* fids invalidated by vice */
	uint64_t evictions;      /* containers discarded to honour cachesize */
	uint64_t zone_yellow_delays; /* mutation replies slowed (zone.h) */
	uint64_t zone_red_stalls;    /* mutation replies stalled (zone.h) */
	uint64_t getattr_calls;      /* HS_GETATTR calls (one object each) */
	uint64_t validate_calls;     /* HS_GETATTRS calls answered (fsobj_valid.c) */
	uint64_t validate_objects;   /* objects they answered */
	uint64_t validate_changed;   /* ... found changed: invalidated */
	uint64_t setattr_calls;      /* HS_SETATTR calls sent (fsobj_setattr.c) */
	uint64_t setattr_folded;     /* setattrs answered from the cache, sent
				      * with the file's store (protocol 6) */
	uint64_t volstamp_valid;     /* recorded volume stamps vice accepted:
				      * no validation (fsobj_vstamp.c) */
	uint64_t volstamp_changed;   /* ... refused: validated object by object */
	uint64_t volstamp_recorded;  /* stamps recorded in venus.db */
};

struct srv;       /* server.h: the connection to vice */
struct cml;       /* cml.h: the volume's client modification log */
struct volume;    /* volstate.h: the volume's connection state */
struct reint;     /* reint.h: its reintegration */
struct hoard;     /* hoard.h: the hoard database and walks */
struct vfront;    /* the active front end (fuse.c or coda.c) */

/* The one venus instance. */
struct venus {
	struct event_base  *base;
	struct venus_config cfg;
	struct venus_stats  stats;
	sqlite3            *db;         /* <cachedir>/venus.db, WAL */
	uint64_t            client_id;  /* random, stored in the db; store ids use it */
	unsigned char       client_key[HS_CLIENT_KEY]; /* secret, with client_id */
	uint64_t            next_seq;   /* next store id sequence number */
	uint64_t            seq_limit;  /* ids below it are reserved in the db */
	struct srv         *srv;        /* made by main.c (srv_start) */
	struct cml         *cml;        /* made by main.c (cml_init) */
	struct volume      *vol;        /* made by main.c (vst_init) */
	struct reint       *reint;      /* made by main.c (reint_new) */
	struct hoard       *hoard;      /* made by main.c (hoard_init) */
	struct vfront      *front;
};

extern struct venus *V;

/* Logging to stderr (foreground) or syslog.  level: LOG_ERR..LOG_DEBUG. */
void vlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* While on, a daemon's messages also go to stderr: used until the mount is
 * up so that start-up errors reach the terminal. */
void vlog_stderr(int on);
/* on: stderr is systemd's journal stream (venus -f in venus.service):
 * lines carry sd-daemon(3)'s "<prio>" prefix so the journal keeps the
 * priority. */
void vlog_journal(int on);

/* Parse the config file (path may be NULL: the default; a missing default
 * file is fine, a missing explicit one is an error) and then argv into cfg.
 * Returns 0, or -1 after printing a message naming the file, line and key. */
int venus_config_load(struct venus_config *cfg, const char *path, int argc, char **argv);
/* Free the strings of cfg and zero it. */
void venus_config_free(struct venus_config *cfg);

/* Make V->cfg.cachedir (and the control socket's directory) with private
 * modes, and tighten an existing cache's (an upgrade from a loose one):
 * the cache directory 0700, or 0711 when it holds the control socket;
 * venus.db and its -wal/-shm, known_servers 0600; cml, conflicts,
 * containers 0700.  Sets venus's umask to 077, so all it makes later is
 * private too (containers: cache_init).  0 or an errno.  Before db_open. */
int venus_cachedir_prepare(void);

#endif /* VENUS_VENUS_H */
