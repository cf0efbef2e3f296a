/*
 * codacon - show what venus does as it happens (doc/codacon.1).
 *
 * Coda's codacon (coda-src/vtools/codacon.cc) reads venus's mariner port
 * and prints each line with " ( HH:MM:SS )" appended.  This one sends
 * "subscribe" on venus's control socket (venus/ctl/ctl_events.c documents the
 * stream) and prints one line per event in the same manner, or one JSON
 * object per line with --json.  Like Coda's, it waits for venus when it
 * cannot reach it, unless --once is given.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <hesper/ctlproto.h>
#include "config.h"
#include "tools/ctlclient.h"
#include "tools/escape.h"

/* Seconds between attempts to reach venus (Coda's codacon: 5). */
#define RETRY_SECS 5
/* Reintegration's status for records refused as conflicts (rpc/hesper.x,
 * HS_ECONFLICT); every other err is an errno. */
#define WIRE_ECONFLICT 10001

struct opts {
	const char *sock;
	int         json;
	int         once;
};

/* One event as venus sent it (venus/ctl/ctl_events.c). */
struct ev {
	const char *kind;
	long long   sec;
	long        usec;
	const char *fid, *name, *peer;
	uint64_t    bytes, us, n, left, flag, err;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: codacon [--socket PATH] [--json] [--once]\n"
		"Show venus's events as they happen: opens, closes, fetches, stores,\n"
		"callback breaks, connection changes, reintegration and conflicts.\n"
		"  --socket PATH  venus's control socket (default $%s or %s)\n"
		"  --json         one JSON object per line\n"
		"  --once         exit when venus cannot be reached or goes away\n"
		"  --version      print the version and exit\n",
		CTLP_ENV_SOCKET, CTLP_DEFAULT_SOCKET);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	o->sock = getenv(CTLP_ENV_SOCKET);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o->json = 1;
		} else if (!strcmp(argv[i], "--once")) {
			o->once = 1;
		} else if (ctlc_socket_opt(argc, argv, &i, &o->sock)) {
			/* --socket PATH */
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(argv[i], "--version")) {
			printf("codacon (Hesper) %s\n", PACKAGE_VERSION);
			exit(0);
		} else {
			fprintf(stderr, "codacon: unknown argument %s\n", argv[i]);
			usage(stderr);
			return 1;
		}
	}
	if (!o->sock || !*o->sock)
		o->sock = CTLP_DEFAULT_SOCKET;
	return 0;
}

/* ---- decoding ---- */

static int parse_event(char *line, struct ev *e)
{
	char *w[16];
	int n = ctlp_split(line, w, 16);

	memset(e, 0, sizeof *e);
	if (n < 2 || sscanf(w[0], "%lld.%ld", &e->sec, &e->usec) != 2)
		return -1;
	e->kind = w[1];
	for (int i = 2; i < n; i++) {
		char *v = strchr(w[i], '=');

		if (!v)
			return -1;
		*v++ = '\0';
		if (!strcmp(w[i], "fid"))
			e->fid = v;
		else if (!strcmp(w[i], "name"))
			e->name = v;
		else if (!strcmp(w[i], "peer"))
			e->peer = v;
		else {
			uint64_t x = strtoull(v, NULL, 10);

			if (!strcmp(w[i], "bytes")) e->bytes = x;
			else if (!strcmp(w[i], "usec")) e->us = x;
			else if (!strcmp(w[i], "n")) e->n = x;
			else if (!strcmp(w[i], "left")) e->left = x;
			else if (!strcmp(w[i], "flag")) e->flag = x;
			else if (!strcmp(w[i], "err")) e->err = x;
			/* Unknown keys: a newer venus; ignored. */
		}
	}
	return 0;
}

static const char *err_text(uint64_t err)
{
	return err == WIRE_ECONFLICT ? "conflicts" : strerror((int)err);
}

/* ---- plain lines, Coda's way ---- */

/* "name (fid)", or whichever of the two is known. */
static void obj(const struct ev *e, char *buf, size_t n)
{
	if (e->name && e->fid)
		snprintf(buf, n, "%s (%s)", e->name, e->fid);
	else
		snprintf(buf, n, "%s", e->name ? e->name : e->fid ? e->fid : "?");
}

static void transfer(const char *what, const struct ev *e, const char *o)
{
	if (e->err)
		printf("%s %s failed: %s", what, o, err_text(e->err));
	else
		printf("%s %s %" PRIu64 " bytes in %.3f s", what, o, e->bytes,
		       (double)e->us / 1e6);
}

/* Names and peers escaped for the terminal (tools/escape.h). */
static void print_plain(const struct ev *raw)
{
	char o[3200];
	struct tm tm;
	time_t t = (time_t)raw->sec;
	struct ev x = *raw, *e = &x;
	char *name = raw->name ? hs_esc_dup(raw->name) : NULL;
	char *peer = raw->peer ? hs_esc_dup(raw->peer) : NULL;
	char *fid = raw->fid ? hs_esc_dup(raw->fid) : NULL;

	x.name = raw->name ? (name ? name : "?") : NULL;
	x.peer = raw->peer ? (peer ? peer : "?") : NULL;
	x.fid = raw->fid ? (fid ? fid : "?") : NULL;
	obj(e, o, sizeof o);
	if (!strcmp(e->kind, "open"))
		printf("Open %s for %s", o, e->flag ? "writing" : "reading");
	else if (!strcmp(e->kind, "close"))
		printf("Close %s, %s", o, e->flag ? "written" : "not written");
	else if (!strcmp(e->kind, "fetch"))
		transfer("Fetch", e, o);
	else if (!strcmp(e->kind, "store"))
		transfer("Store", e, o);
	else if (!strcmp(e->kind, "callback"))
		printf("Callback %s (%s)%s%s", e->peer ? e->peer : "?", e->fid ? e->fid : "?",
		       e->name ? " " : "", e->name ? e->name : "");
	else if (!strcmp(e->kind, "connection"))
		printf("%s %s", e->flag ? "up" : "unreachable", e->peer ? e->peer : "?");
	else if (!strcmp(e->kind, "reintegrate") && !e->flag)
		printf("Reintegrate %" PRIu64 " records, %" PRIu64 " left", e->n, e->left);
	else if (!strcmp(e->kind, "reintegrate"))
		printf("Reintegrate %s%s, %" PRIu64 " left", e->err ? "stopped: " : "done",
		       e->err ? err_text(e->err) : "", e->left);
	else if (!strcmp(e->kind, "conflict"))
		printf("CONFLICT (%s): %s (%s)", e->peer ? e->peer : "?",
		       e->name ? e->name : "?", e->fid ? e->fid : "?");
	else if (!strcmp(e->kind, "dropped"))
		printf("%" PRIu64 " events dropped", e->n);
	else
		printf("%s %s", e->kind, o);
	localtime_r(&t, &tm);
	printf(" ( %02d:%02d:%02d )\n", tm.tm_hour, tm.tm_min, tm.tm_sec);
	free(name);
	free(peer);
	free(fid);
}

/* ---- JSON lines ---- */

static void jstr(const char *key, const char *s)
{
	size_t n;
	char *buf;

	if (!s)
		return;
	n = ctlp_json_escape(NULL, 0, s);
	if (!(buf = malloc(n + 1)))
		return;
	ctlp_json_escape(buf, n + 1, s);
	printf(",\"%s\":%s", key, buf);
	free(buf);
}

static void print_json(const struct ev *e)
{
	struct tm tm;
	time_t t = (time_t)e->sec;
	int k_open = !strcmp(e->kind, "open"), k_close = !strcmp(e->kind, "close");
	int k_xfer = !strcmp(e->kind, "fetch") || !strcmp(e->kind, "store");
	int k_reint = !strcmp(e->kind, "reintegrate");

	gmtime_r(&t, &tm);
	printf("{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\"", tm.tm_year + 1900,
	       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, e->usec);
	jstr("event", e->kind);
	jstr("fid", e->fid);
	jstr(!strcmp(e->kind, "conflict") ? "path" : "name", e->name);
	jstr(!strcmp(e->kind, "conflict") ? "kind" : "server", e->peer);
	if (k_open)
		printf(",\"write\":%s", e->flag ? "true" : "false");
	if (k_close)
		printf(",\"written\":%s", e->flag ? "true" : "false");
	if (k_xfer)
		printf(",\"bytes\":%" PRIu64 ",\"seconds\":%.6f", e->bytes, (double)e->us / 1e6);
	if (!strcmp(e->kind, "connection"))
		printf(",\"state\":\"%s\"", e->flag ? "up" : "unreachable");
	if (k_reint)
		printf(",\"records\":%" PRIu64 ",\"left\":%" PRIu64 ",\"done\":%s", e->n,
		       e->left, e->flag ? "true" : "false");
	if (!strcmp(e->kind, "dropped"))
		printf(",\"count\":%" PRIu64, e->n);
	if (e->err)
		jstr("error", err_text(e->err));
	printf("}\n");
}

/* ---- the stream ---- */

struct stream {
	const struct opts *o;
	int                started;   /* the "events 1" line came */
};

static void on_line(void *arg, int chan, const char *text)
{
	struct stream *st = arg;
	struct ev e;
	char *line;

	if (chan != CTLP_STDOUT) {
		fprintf(stderr, "codacon: ");
		hs_esc_fputs(text, stderr);
		putc('\n', stderr);
		return;
	}
	if (!st->started) {
		st->started = !strncmp(text, "events ", 7);
		if (st->started)
			return;
	}
	if (!(line = strdup(text)))
		return;
	if (parse_event(line, &e) < 0) {
		fprintf(stderr, "codacon: unexpected line from venus: ");
		hs_esc_fputs(text, stderr);
		putc('\n', stderr);
	} else if (st->o->json) {
		print_json(&e);
	} else {
		print_plain(&e);
	}
	free(line);
}

/* One subscription: 0 when venus ended it (it is stopping), 1 if venus
 * could not be reached, 2 if it refused, 3 if the connection broke. */
static int follow(const struct opts *o, int quiet)
{
	static const char *const words[] = { "subscribe" };
	struct stream st = { o, 0 };
	struct ctlc_link l;
	int rc;

	if (ctlc_open(&l, o->sock) < 0) {
		if (!quiet)
			fprintf(stderr, "codacon: cannot reach venus at %s: %s%s\n", o->sock,
				strerror(errno), o->once ? "" : " (waiting for it)");
		return 1;
	}
	rc = ctlc_transact(&l, 1, words, on_line, &st);
	ctlc_close(&l);
	fflush(stdout);
	if (rc > 0)
		fprintf(stderr, "codacon: venus refused: %s\n", strerror(rc));
	return rc == 0 ? 0 : rc > 0 ? 2 : 3;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc, quiet = 0;

	ctlc_prog = "codacon";
	if ((rc = parse_args(argc, argv, &o)))
		return rc;
	/* One line per event, also into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		rc = follow(&o, quiet);
		if (o.once || rc == 2)
			return rc ? 1 : 0;
		/* venus stopped or is not there yet: wait for it, as Coda's does. */
		quiet = rc == 1;
		sleep(RETRY_SECS);
	}
}
