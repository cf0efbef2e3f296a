/*
 * config.c - venus.conf(5) and the command line (venus(8)).
 *
 * The file is read first, the command line then overrides it.  -c must
 * therefore be found before the file is parsed: argv is scanned once into
 * a list of overrides, the file is read, and the overrides are applied.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "venus/venus.h"

#define DEFAULT_CONF     "/etc/hesper/venus.conf"
#define DEFAULT_CACHEDIR "/var/lib/hesper/venus"
#define DEFAULT_MOUNT    "/coda"
#define DEFAULT_PORT     2432

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

/* Apply one key.  size_unit: what a bare cachesize number counts (1024 in
 * the file, as Coda's; 1 on the command line).  0, or -1 with *why set. */
static int set_key(struct venus_config *cfg, const char *key, const char *val,
		   uint64_t size_unit, const char **why)
{
	long n;

	*why = "bad value";
	if (!strcmp(key, "cachesize"))
		return parse_size(val, size_unit, &cfg->cachesize);
	if (!strcmp(key, "cachefiles"))
		return parse_size(val, 1, &cfg->cachefiles);
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
	if (!strcmp(key, "timeout")) {
		if (parse_int(val, 1, 3600, &n))
			return -1;
		cfg->timeout_ms = (unsigned)n * 1000;
		return 0;
	}
	if (!strcmp(key, "cml_entries"))
		return parse_size(val, 1, &cfg->cml_entries);
	if (!strcmp(key, "reintegration_age"))
		return set_secs(val, 0, &cfg->reint_age);
	if (!strcmp(key, "reintegration_time"))
		return set_secs(val, 0, &cfg->reint_time);
	if (!strcmp(key, "serverprobe"))
		return set_secs(val, 1, &cfg->serverprobe);
	if (!strcmp(key, "checkpointdir"))
		return *val ? set_str(&cfg->checkpointdir, val) : -1;
	*why = "unknown key";
	return -1;
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

/* One line: "key value" or "key=value"; '#' starts a comment. */
static int parse_line(struct venus_config *cfg, char *line, const char *path,
		      unsigned lineno)
{
	char *hash = strchr(line, '#');
	char *key, *val, *sep;
	const char *why;

	if (hash)
		*hash = '\0';
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
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (parse_line(cfg, line, path, lineno))
			rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

static void set_defaults(struct venus_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = DEFAULT_PORT;
	cfg->cachesize = 1ull << 30;
	cfg->cachefiles = 100000;
	cfg->wholefilemaxsize = 50ull << 20;   /* Coda's default, 50MB */
	cfg->timeout_ms = 30000;
	cfg->cml_entries = 100000;
	cfg->reint_age = 60;
	cfg->reint_time = 30;
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
	if (!cfg->server) {
		fprintf(stderr, "venus: no server given (venus SERVER or 'server' in venus.conf)\n");
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
	      "             [--cafile FILE] [SERVER[:PORT]]\n", f);
}

enum { OPT_CACHEDIR = 256, OPT_MOUNT, OPT_SIZE, OPT_FRONT, OPT_CAFILE };

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
	if (argc > 0 && scan_argv(argc, argv, &conf))
		goto fail;
	explicit = conf != NULL;
	if (parse_file(cfg, explicit ? conf : DEFAULT_CONF, explicit))
		goto fail;
	if (argc > 0 && apply_argv(cfg, argc, argv))
		goto fail;
	if (finish(cfg))
		goto fail;
	return 0;
fail:
	venus_config_free(cfg);
	return -1;
}

void venus_config_free(struct venus_config *cfg)
{
	free(cfg->server);
	free(cfg->checkpointdir);
	free(cfg->cachedir);
	free(cfg->mountpoint);
	free(cfg->cafile);
	free(cfg->ctlsocket);
	free(cfg->frontend);
	free(cfg->realm);
	memset(cfg, 0, sizeof(*cfg));
}
