/*
 * config.c - venus.conf(5) and the command line (venus(8)).
 *
 * The file is read first, the command line then overrides it.  -c must
 * therefore be found before the file is parsed: argv is scanned once into
 * a list of overrides, the file is read, and the overrides are applied.
 *
 * A Coda venus.conf is accepted as it is: codaconf's key="value" quoting
 * (lib-src/base/codaconf.c), Coda's keys that mean the same here, and its
 * other keys (coda-src/venus/venus.cc) with one warning each, logged once
 * the command line has said where the log goes.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <limits.h>

#include "config.h"
#include "venus/util/venus.h"

/* configure's --sysconfdir and --localstatedir (Makefile.am) */
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#define DEFAULT_CONF     SYSCONFDIR "/hesper/venus.conf"
#define DEFAULT_CACHEDIR LOCALSTATEDIR "/lib/hesper/venus"
#define DEFAULT_MOUNT    "/coda"
#define DEFAULT_PORT     2432
#define DEFAULT_CACHESIZE  (1ull << 30)
#define DEFAULT_CACHEFILES 100000
#define DEFAULT_CML        100000
/* Coda's defaults (venus.cc) */
#define DEFAULT_REINT_AGE  0
#define DEFAULT_REINT_TIME 15

/* Coda's venus.conf keys that mean nothing to Hesper, and why. */
static const struct { const char *key, *why; } coda_only[] = {
	{ "9pfs", "no Plan 9 server" },
	{ "RPC2_retries", "TCP retransmits; see timeout" },
	{ "allow_backfetch", "stores always carry their data" },
	{ "asrlauncher_path", "no application-specific resolvers" },
	{ "asrpolicy_path", "no application-specific resolvers" },
	{ "cache_prefix", "Cygwin only" },
	{ "cachechunkblocksize", "files are cached whole" },
	{ "checkpointformat", "checkpoints have one format" },
	{ "codafs", "see frontend" },
	{ "codatunnel", "one TLS connection, no tunnel" },
	{ "detect_reintegration_retry", "store ids always detect retries" },
	{ "dontuservm", "metadata lives in venus.db" },
	{ "errorlog", "venus logs to syslog, or stderr with -f" },
	{ "hoard_entries", "the hoard database has no fixed size" },
	{ "isr", "no virtual machine tweaks" },
	{ "kerneldevice", "see frontend" },
	{ "logfile", "venus logs to syslog, or stderr with -f" },
	{ "mapprivate", "metadata lives in venus.db" },
	{ "marinersocket", "tools use the control socket (ctlsocket)" },
	{ "masquerade_port", "one TCP connection to vice" },
	{ "onlytcp", "always TCP" },
	{ "partialcachefilesratio", "files are cached whole" },
	{ "plan9server", "no Plan 9 server" },
	{ "primaryuser", "root or the cache's owner may change the cache" },
	{ "relay", "one TLS connection, no relay" },
	{ "run_control_file", "tools use the control socket (ctlsocket)" },
	{ "rvm_data", "metadata lives in venus.db" },
	{ "rvm_log", "metadata lives in venus.db" },
	{ "sslcertdir", "see cafile" },
	{ "validateattrs", "callbacks are validated per volume" },
	{ "wholefilemaxstall", "files are cached whole" },
	{ "wholefileminsize", "files are cached whole" },
};
#define N_CODA_ONLY (sizeof coda_only / sizeof coda_only[0])

/* State of one venus_config_load (once, at start-up, single-threaded). */
static struct {
	unsigned   in_file;     /* line being parsed (0: the command line) */
	int        blocks;      /* cacheblocks was given: cachesize yields */
	const char *path;       /* the file, for warnings */
	unsigned   line[N_CODA_ONLY];  /* where each ignored key was first seen */
} LS;

/* Parse "123", "123K", "4M", "1G" (optionally "KB"/"KiB").  unit multiplies
 * a bare number.  0 or -1. */
static int parse_size(const char *s, uint64_t unit, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = unit;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1ull << 10; break;
		case 'M': mult = 1ull << 20; break;
		case 'G': mult = 1ull << 30; break;
		case 'T': mult = 1ull << 40; break;
		default: return -1;
		}
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (mult && v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

/* SERVER[:PORT], [V6ADDR]:PORT or a bare IPv6 address. */
static int set_server(struct venus_config *cfg, const char *v)
{
	const char *colon = strrchr(v, ':');
	long port;

	if (!*v)
		return -1;
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (!rb || rb == v + 1)
			return -1;
		if (rb[1] == ':') {
			if (parse_int(rb + 2, 1, 65535, &port))
				return -1;
			cfg->port = (int)port;
		} else if (rb[1]) {
			return -1;
		}
		free(cfg->server);
		cfg->server = strndup(v + 1, (size_t)(rb - v - 1));
		return cfg->server ? 0 : -1;
	}
	if (colon && strchr(v, ':') == colon) {
		if (colon == v || parse_int(colon + 1, 1, 65535, &port))
			return -1;
		cfg->port = (int)port;
		free(cfg->server);
		cfg->server = strndup(v, (size_t)(colon - v));
		return cfg->server ? 0 : -1;
	}
	return set_str(&cfg->server, v);
}

/* A number of seconds, min..1 day. */
static int set_secs(const char *val, long min, unsigned *out)
{
	long n;

	if (parse_int(val, min, 86400, &n))
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* A Coda key with no meaning here: remember where it was first seen (its
 * warning comes later, see warn_coda_only).  0, or -1 for an unknown key. */
static int coda_only_key(const char *key, const char **why)
{
	for (size_t i = 0; i < N_CODA_ONLY; i++)
		if (!strcmp(key, coda_only[i].key)) {
			if (!LS.line[i])
				LS.line[i] = LS.in_file ? LS.in_file : UINT_MAX;
			return 0;
		}
	*why = "unknown key";
	return -1;
}

/* One warning per ignored Coda key, in the log. */
static void warn_coda_only(void)
{
	for (size_t i = 0; i < N_CODA_ONLY; i++) {
		if (!LS.line[i])
			continue;
		if (LS.line[i] == UINT_MAX)
			vlog(LOG_WARNING, "-o %s: Coda key ignored: %s", coda_only[i].key,
			     coda_only[i].why);
		else
			vlog(LOG_WARNING, "%s:%u: Coda key '%s' ignored: %s", LS.path,
			     LS.line[i], coda_only[i].key, coda_only[i].why);
	}
}

/* Apply one key.  size_unit: what a bare cachesize number counts (1024 in
 * the file, as Coda's; 1 on the command line).  0, or -1 with *why set. */
static int set_key(struct venus_config *cfg, const char *key, const char *val,
		   uint64_t size_unit, const char **why)
{
	long n;

	*why = "bad value";
	if (!strcmp(key, "cachesize")) {
		if (LS.in_file && LS.blocks)
			return 0;   /* Coda prefers cacheblocks */
		if (parse_size(val, size_unit, &cfg->cachesize))
			return -1;
		if (!cfg->cachesize)   /* Coda: 0 = the default */
			cfg->cachesize = DEFAULT_CACHESIZE;
		return 0;
	}
	if (!strcmp(key, "cacheblocks")) {   /* Coda's older key: 1 KB blocks */
		if (parse_size(val, 1024, &cfg->cachesize))
			return -1;
		if (!cfg->cachesize)
			cfg->cachesize = DEFAULT_CACHESIZE;
		else
			LS.blocks = LS.in_file != 0;
		return 0;
	}
	if (!strcmp(key, "cachefiles")) {
		if (parse_size(val, 1, &cfg->cachefiles))
			return -1;
		if (!cfg->cachefiles)
			cfg->cachefiles = DEFAULT_CACHEFILES;
		return 0;
	}
	if (!strcmp(key, "wholefilemaxsize"))
		return parse_size(val, size_unit, &cfg->wholefilemaxsize);
	if (!strcmp(key, "cachedir"))
		return *val ? set_str(&cfg->cachedir, val) : -1;
	if (!strcmp(key, "mountpoint"))
		return *val ? set_str(&cfg->mountpoint, val) : -1;
	if (!strcmp(key, "realm"))
		return *val ? set_str(&cfg->realm, val) : -1;
	if (!strcmp(key, "server"))
		return set_server(cfg, val);
	if (!strcmp(key, "realmtab"))
		return *val ? set_str(&cfg->realmtab, val) : -1;
	if (!strcmp(key, "port")) {
		if (parse_int(val, 1, 65535, &n))
			return -1;
		cfg->port = (int)n;
		return 0;
	}
	if (!strcmp(key, "cafile"))
		return *val ? set_str(&cfg->cafile, val) : -1;
	if (!strcmp(key, "ctlsocket"))
		return *val ? set_str(&cfg->ctlsocket, val) : -1;
	if (!strcmp(key, "frontend")) {
		if (strcmp(val, "fuse") && strcmp(val, "hesper") && strcmp(val, "coda"))
			return -1;
		return set_str(&cfg->frontend, val);
	}
	if (!strcmp(key, "timeout") || !strcmp(key, "RPC2_timeout")) {
		if (parse_int(val, 1, 3600, &n))
			return -1;
		cfg->timeout_ms = (unsigned)n * 1000;
		return 0;
	}
	if (!strcmp(key, "cml_entries")) {
		if (parse_size(val, 1, &cfg->cml_entries))
			return -1;
		if (!cfg->cml_entries)
			cfg->cml_entries = DEFAULT_CML;
		return 0;
	}
	if (!strcmp(key, "reintegration_age") || !strcmp(key, "reintegration_time")) {
		unsigned *dst = strcmp(key, "reintegration_age") ? &cfg->reint_time :
				&cfg->reint_age;

		if (set_secs(val, 0, dst))
			return -1;
		cfg->reint_set = 1;
		return 0;
	}
	if (!strcmp(key, "serverprobe"))
		return set_secs(val, 1, &cfg->serverprobe);
	if (!strcmp(key, "pid_file") || !strcmp(key, "pidfile"))
		return *val ? set_str(&cfg->pidfile, val) : -1;
	if (!strcmp(key, "checkpointdir"))
		return *val ? set_str(&cfg->checkpointdir, val) : -1;
	return coda_only_key(key, why);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Cut a comment: '#' outside quotes. */
static void cut_comment(char *s)
{
	char q = 0;

	for (; *s; s++) {
		if (q) {
			q = *s == q ? 0 : q;
		} else if (*s == '"' || *s == '\'') {
			q = *s;
		} else if (*s == '#') {
			*s = '\0';
			return;
		}
	}
}

/* codaconfedit writes key="value": drop one pair of matching quotes. */
static char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* One line: "key value" or "key=value" (value optionally quoted); '#'
 * starts a comment. */
static int parse_line(struct venus_config *cfg, char *line, const char *path,
		      unsigned lineno)
{
	char *key, *val, *sep;
	const char *why;

	cut_comment(line);
	key = trim(line);
	if (!*key)
		return 0;
	sep = key + strcspn(key, "= \t");
	if (*sep) {
		*sep = '\0';
		val = trim(sep + 1);
		if (*val == '=')
			val = trim(val + 1);
	} else {
		val = sep;
	}
	val = unquote(val);
	LS.in_file = lineno;
	if (set_key(cfg, key, val, 1024, &why) == 0)
		return 0;
	fprintf(stderr, "venus: %s:%u: %s '%s'\n", path, lineno, why, key);
	return -1;
}

static int parse_file(struct venus_config *cfg, const char *path, int must_exist)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "venus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	LS.path = path;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (parse_line(cfg, line, path, lineno))
			rc = -1;
	}
	LS.in_file = 0;
	free(line);
	fclose(f);
	return rc;
}

static void set_defaults(struct venus_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = DEFAULT_PORT;
	cfg->cachesize = DEFAULT_CACHESIZE;
	cfg->cachefiles = DEFAULT_CACHEFILES;
	cfg->wholefilemaxsize = 50ull << 20;   /* Coda's default, 50MB */
	cfg->timeout_ms = 30000;
	cfg->cml_entries = DEFAULT_CML;
	cfg->reint_age = DEFAULT_REINT_AGE;
	cfg->reint_time = DEFAULT_REINT_TIME;
	cfg->serverprobe = 30;
}

/* Fill what the file and the command line left unset. */
static int finish(struct venus_config *cfg)
{
	if (!cfg->cachedir && set_str(&cfg->cachedir, DEFAULT_CACHEDIR))
		return -1;
	if (!cfg->mountpoint && set_str(&cfg->mountpoint, DEFAULT_MOUNT))
		return -1;
	if (!cfg->frontend && set_str(&cfg->frontend, "fuse"))
		return -1;
	if (!cfg->ctlsocket) {
		if (asprintf(&cfg->ctlsocket, "%s/venus.ctl", cfg->cachedir) < 0) {
			cfg->ctlsocket = NULL;
			return -1;
		}
	}
	/* Coda finds a realm's servers by name (DNS); Hesper's one vice is
	 * the realm's host when no server is named. */
	if (!cfg->server && cfg->realm && set_server(cfg, cfg->realm))
		return -1;
	if (!cfg->server) {
		fprintf(stderr, "venus: no server given (venus SERVER, or 'server' or"
			" 'realm' in venus.conf)\n");
		return -1;
	}
	if (!cfg->realm && set_str(&cfg->realm, cfg->server))
		return -1;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: venus [-f] [-d] [-c CONFFILE] [-o KEY=VALUE]... [--cachedir DIR]\n"
	      "             [--mountpoint DIR] [--cachesize SIZE] [--frontend fuse|hesper|coda]\n"
	      "             [--cafile FILE] [--pidfile FILE] [--version] [SERVER[:PORT]]\n", f);
}

enum { OPT_CACHEDIR = 256, OPT_MOUNT, OPT_SIZE, OPT_FRONT, OPT_CAFILE, OPT_PIDFILE,
       OPT_VERSION };

static const struct option long_opts[] = {
	{ "foreground", no_argument,       NULL, 'f' },
	{ "debug",      no_argument,       NULL, 'd' },
	{ "config",     required_argument, NULL, 'c' },
	{ "option",     required_argument, NULL, 'o' },
	{ "help",       no_argument,       NULL, 'h' },
	{ "cachedir",   required_argument, NULL, OPT_CACHEDIR },
	{ "mountpoint", required_argument, NULL, OPT_MOUNT },
	{ "cachesize",  required_argument, NULL, OPT_SIZE },
	{ "frontend",   required_argument, NULL, OPT_FRONT },
	{ "cafile",     required_argument, NULL, OPT_CAFILE },
	{ "pidfile",    required_argument, NULL, OPT_PIDFILE },
	{ "version",    no_argument,       NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* The key a long option sets, or NULL. */
static const char *opt_key(int opt)
{
	switch (opt) {
	case OPT_CACHEDIR: return "cachedir";
	case OPT_MOUNT:    return "mountpoint";
	case OPT_SIZE:     return "cachesize";
	case OPT_FRONT:    return "frontend";
	case OPT_CAFILE:   return "cafile";
	case OPT_PIDFILE:  return "pid_file";
	default:           return NULL;
	}
}

/* Apply the command line (second pass, after the file). */
static int apply_argv(struct venus_config *cfg, int argc, char **argv)
{
	const char *why;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+fdc:o:h", long_opts, NULL)) != -1) {
		const char *key = opt_key(opt);

		if (opt == 'f') {
			cfg->foreground = 1;
		} else if (opt == 'd') {
			cfg->debug = 1;
		} else if (opt == 'o') {
			char *kv = strdup(optarg), *eq = kv ? strchr(kv, '=') : NULL;
			int rc = -1;

			if (eq) {
				*eq = '\0';
				rc = set_key(cfg, kv, eq + 1, 1024, &why);
			} else {
				why = "expected KEY=VALUE in";
			}
			if (rc)
				fprintf(stderr, "venus: -o: %s '%s'\n", why, optarg);
			free(kv);
			if (rc)
				return -1;
		} else if (key) {
			/* --cachesize counts bytes unless suffixed. */
			if (set_key(cfg, key, optarg, 1, &why)) {
				fprintf(stderr, "venus: --%s: %s '%s'\n", key, why, optarg);
				return -1;
			}
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "venus: too many arguments\n");
		return -1;
	}
	if (optind == argc - 1 && set_server(cfg, argv[optind])) {
		fprintf(stderr, "venus: bad server '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* First pass: find -c, reject unknown options, handle --help. */
static int scan_argv(int argc, char **argv, const char **conf)
{
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+fdc:o:h", long_opts, NULL)) != -1) {
		if (opt == 'c') {
			*conf = optarg;
		} else if (opt == 'h') {
			usage(stdout);
			exit(0);
		} else if (opt == OPT_VERSION) {
			printf("venus (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		} else if (opt == '?' || opt == ':') {
			fprintf(stderr, "venus: bad option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int venus_config_load(struct venus_config *cfg, const char *path, int argc, char **argv)
{
	const char *conf = path;
	int explicit;

	set_defaults(cfg);
	memset(&LS, 0, sizeof LS);
	if (argc > 0 && scan_argv(argc, argv, &conf))
		goto fail;
	explicit = conf != NULL;
	if (parse_file(cfg, explicit ? conf : DEFAULT_CONF, explicit))
		goto fail;
	if (argc > 0 && apply_argv(cfg, argc, argv))
		goto fail;
	if (finish(cfg))
		goto fail;
	warn_coda_only();
	return 0;
fail:
	venus_config_free(cfg);
	return -1;
}

void venus_config_free(struct venus_config *cfg)
{
	free(cfg->server);
	free(cfg->checkpointdir);
	free(cfg->pidfile);
	free(cfg->cachedir);
	free(cfg->mountpoint);
	free(cfg->cafile);
	free(cfg->ctlsocket);
	free(cfg->frontend);
	free(cfg->realm);
	free(cfg->realmtab);
	memset(cfg, 0, sizeof(*cfg));
}
