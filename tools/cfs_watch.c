/*
 * cfs_watch.c - "cfs watch": the cache, the CML and each volume's state,
 * refreshed in place on a terminal (ncurses), or printed as plain blocks
 * of lines when stdout is not a terminal (doc/cfs.1).  Coda's cfs has no
 * such command; codacon (doc/codacon.1) shows the events in between.
 *
 * Each refresh asks venus over one control connection for
 * "--json listvol MNT" (volumes, CML size), "--json listcache" (cache
 * summary), "stats" (counters) and "listlocal" (the CML records shown).
 * The JSON replies are read by key, so new keys do not matter.
 */
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <hesper/ctlproto.h>
#include "tools/ctlclient.h"
#include "tools/cfs_watch.h"

#define WATCH_DEFAULT_SECS 2.0
#define WATCH_MIN_SECS     0.1
/* Intervals this long reconnect for each refresh: venus closes a control
 * connection that sends no request for 30 s (venus/ctl/ctl.c). */
#define WATCH_RECONNECT_SECS 20.0
/* Lines of the view kept; a terminal shows what fits. */
#define VIEW_MAX 400

struct wopts {
	const char *sock;
	double      secs;      /* between refreshes */
	long        count;     /* refreshes, 0: until interrupted */
	int         plain;     /* line mode even on a terminal */
};

/* One refresh's text. */
struct view {
	char *line[VIEW_MAX];
	int   n;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void view_add(struct view *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void view_add(struct view *v, const char *fmt, ...)
{
	va_list ap;

	if (v->n >= VIEW_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&v->line[v->n], fmt, ap) >= 0)
		v->n++;
	va_end(ap);
}

static void view_clear(struct view *v)
{
	while (v->n)
		free(v->line[--v->n]);
}

/* ---- replies ---- */

/* A reply's stdout, joined; stderr lines kept apart. */
struct reply {
	char  *out;
	size_t len;
	char  *err;      /* the first stderr line */
};

static void collect(void *arg, int chan, const char *text)
{
	struct reply *r = arg;
	size_t n = strlen(text);
	char *p;

	if (chan != CTLP_STDOUT) {
		if (!r->err)
			r->err = strdup(text);
		return;
	}
	if (!(p = realloc(r->out, r->len + n + 2)))
		return;
	r->out = p;
	memcpy(r->out + r->len, text, n);
	r->len += n;
	r->out[r->len++] = '\n';
	r->out[r->len] = '\0';
}

static void reply_free(struct reply *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

/* Ask venus; 0 with *r filled, or -1 (venus unreachable or refused). */
static int ask(struct ctlc_link *l, struct reply *r, int n, const char *const *w)
{
	int st;

	memset(r, 0, sizeof *r);
	st = ctlc_transact(l, n, w, collect, r);
	if (st == 0 && r->out)
		return 0;
	if (st > 0 && !r->err)
		r->err = strdup(strerror(st));
	return -1;
}

/* ---- reading JSON by key ---- */

/* The value after "key": at or after p (before the next object if
 * within_obj), or NULL. */
static const char *jval(const char *p, const char *key, int within_obj)
{
	char pat[64];
	const char *q, *end = within_obj ? strchr(p, '}') : NULL;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	q = strstr(p, pat);
	if (!q || (end && q > end))
		return NULL;
	return q + strlen(pat);
}

static unsigned long long jnum(const char *p, const char *key)
{
	const char *v = jval(p, key, 1);

	return v ? strtoull(v, NULL, 10) : 0;
}

static int jtrue(const char *p, const char *key)
{
	const char *v = jval(p, key, 1);

	return v && !strncmp(v, "true", 4);
}

/* A string value copied into buf (escapes left as they are: names are
 * shown, not parsed). */
static const char *jstr(const char *p, const char *key, char *buf, size_t n)
{
	const char *v = jval(p, key, 1);
	size_t i = 0;

	if (!v || *v != '"')
		return "?";
	for (v++; *v && *v != '"' && i + 1 < n; v++) {
		if (*v == '\\' && v[1])
			v++;
		buf[i++] = *v;
	}
	buf[i] = '\0';
	return buf;
}

/* ---- one refresh ---- */

static void add_volumes(struct view *v, const char *json)
{
	const char *p = json;
	char name[256], state[64];
	int any = 0;

	while ((p = strstr(p, "{\"path\""))) {
		view_add(v, "Volume %s (%llu): %s, CML %llu records (%llu bytes), %llu conflicts",
			 jstr(p, "name", name, sizeof name), jnum(p, "id"),
			 jstr(p, "connection_state", state, sizeof state),
			 jnum(p, "cml_entries"), jnum(p, "cml_bytes"), jnum(p, "conflicts"));
		any = 1;
		p++;
	}
	if (!any)
		view_add(v, "Volume: none reported");
}

static void add_cache(struct view *v, const char *json)
{
	unsigned long long objs = 0, files = 0, dirs = 0, links = 0, bytes = 0, cb = 0, open = 0;
	const char *p = json;
	char type[16];

	while ((p = strstr(p, "{\"fid\""))) {
		objs++;
		jstr(p, "type", type, sizeof type);
		files += !strcmp(type, "file");
		dirs += !strcmp(type, "dir");
		links += !strcmp(type, "link") || !strcmp(type, "symlink");
		if (jtrue(p, "has_data") && !strcmp(type, "file"))
			bytes += jnum(p, "size");
		cb += jtrue(p, "has_callback");
		open += jnum(p, "open") > 0;
		p++;
	}
	view_add(v, "Cache: %llu objects (%llu files, %llu directories, %llu symlinks), "
		 "%llu bytes of file data, %llu under callback, %llu open",
		 objs, files, dirs, links, bytes, cb, open);
}

/* "key value" lines, joined with commas into lines of at most WRAP
 * columns. */
#define WRAP 78
static void add_counters(struct view *v, char *text)
{
	char line[WRAP + 1], *next;
	size_t used = (size_t)snprintf(line, sizeof line, "Counters:");

	for (char *s = text; s && *s; s = next) {
		size_t n;

		if ((next = strchr(s, '\n')))
			*next++ = '\0';
		n = strlen(s) + (next && *next ? 1 : 0);
		if (used + 1 + n > WRAP && used > 2) {
			view_add(v, "%s", line);
			used = (size_t)snprintf(line, sizeof line, " ");
		}
		used += (size_t)snprintf(line + used, sizeof line - used, " %s%s", s,
					 next && *next ? "," : "");
		if (used >= sizeof line)
			used = sizeof line - 1;
	}
	view_add(v, "%s", line);
}

static void add_cml(struct view *v, unsigned long long records, char *text)
{
	view_add(v, "CML: %llu records", records);
	for (char *s = strtok(text, "\n"); s && records; s = strtok(NULL, "\n"))
		view_add(v, "  %s", s);
}

/* "/REALM": the directory of venus's own realm (realm 0), from the
 * "realm NAME" line of serverinfo.  0, or -1. */
static int realm_dir(struct ctlc_link *l, char *out, size_t n)
{
	const char *si[] = { "serverinfo" };
	struct reply r = { 0 };
	char *p;
	int rc = -1;

	if (ask(l, &r, 1, si) == 0 && r.out) {
		for (p = strtok(r.out, "\n"); p; p = strtok(NULL, "\n"))
			if (!strncmp(p, "realm ", 6) && p[6] && !strchr(p + 6, '/')) {
				snprintf(out, n, "/%s", p + 6);
				rc = 0;
				break;
			}
	}
	reply_free(&r);
	return rc;
}

/* Fill v from venus.  0, or -1 with a message in v. */
static int refresh_view(struct ctlc_link *l, struct view *v)
{
	/* Paths on the socket are below the mount point, whose entries are
	 * realms: the volumes shown are those of venus's own realm. */
	char realm[PATH_MAX];
	const char *lv[] = { "--json", "listvol", realm }, *lc[] = { "--json", "listcache" };
	const char *st[] = { "stats" }, *ll[] = { "listlocal" };
	struct reply a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	int rc = -1;

	if (realm_dir(l, realm, sizeof realm) == 0 && ask(l, &a, 3, lv) == 0 &&
	    ask(l, &b, 2, lc) == 0 && ask(l, &c, 1, st) == 0) {
		unsigned long long cml = 0;
		const char *p = a.out;

		/* The CML is one log for all volumes: the sum of theirs. */
		while ((p = strstr(p, "{\"path\"")))
			cml += jnum(p++, "cml_entries");
		add_volumes(v, a.out);
		add_cache(v, b.out);
		add_counters(v, c.out);
		if (ask(l, &d, 1, ll) == 0)
			add_cml(v, cml, d.out);
		else
			view_add(v, "CML: %llu records", cml);
		reply_free(&d);
		rc = 0;
	} else {
		view_add(v, "venus: %s", a.err ? a.err : b.err ? b.err : c.err ? c.err :
			 "no answer");
	}
	reply_free(&a);
	reply_free(&b);
	reply_free(&c);
	return rc;
}

/* ---- output ---- */

static void show_plain(const struct view *v, const char *mnt, const char *when)
{
	printf("--- %s venus at %s\n", when, mnt);
	for (int i = 0; i < v->n; i++)
		printf("%s\n", v->line[i]);
	fflush(stdout);
}

static void show_curses(const struct view *v, const char *mnt, const char *when,
			double secs)
{
	int rows = LINES, cols = COLS;

	erase();
	attron(A_BOLD);
	mvprintw(0, 0, "%.*s", cols, "cfs watch");
	attroff(A_BOLD);
	mvprintw(0, 10, "venus at %.*s, every %.1f s (q quits)", cols > 50 ? cols - 50 : 0,
		 mnt, secs);
	if (cols > 10)
		mvprintw(0, cols - 9, "%s", when);
	for (int i = 0; i < v->n && i + 2 < rows; i++)
		mvaddnstr(i + 2, 0, v->line[i], cols);
	refresh();
}

/* Wait up to secs for a key; 1 if the user asked to quit. */
static int wait_key(double secs)
{
	int ms = (int)(secs * 1000);

	timeout(ms);
	for (;;) {
		int ch = getch();

		if (stop || ch == 'q' || ch == 'Q')
			return 1;
		if (ch == ERR || ch == KEY_RESIZE || ch == ' ')
			return 0;
	}
}

/* ---- arguments ---- */

static void watch_usage(FILE *f)
{
	fprintf(f, "Usage: cfs [--socket PATH] watch [-i SECONDS] [-n COUNT] [--plain]\n"
		"  -i SECONDS  refresh every SECONDS (default %.0f)\n"
		"  -n COUNT    stop after COUNT refreshes\n"
		"  --plain     print plain blocks of lines even on a terminal\n",
		WATCH_DEFAULT_SECS);
}

/* Skip cfs's options; the index of the command word, or argc. */
static int command_index(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++)
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			i++;
	return i;
}

/* "cfs help watch": watch is not in the shared table (venus has no such
 * command), so its help is answered here. */
static int help_watch(int argc, char **argv)
{
	int i = command_index(argc, argv);

	return i + 2 == argc && !strcmp(argv[i], "help") && !strcmp(argv[i + 1], "watch");
}

int cfs_watch_wanted(int argc, char **argv)
{
	int i = command_index(argc, argv);

	return help_watch(argc, argv) || (i < argc && !strcmp(argv[i], "watch"));
}

static int parse_watch(int argc, char **argv, struct wopts *o)
{
	int w = command_index(argc, argv);

	o->sock = getenv(CTLP_ENV_SOCKET);
	o->secs = WATCH_DEFAULT_SECS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (i == w)
			continue;
		if (ctlc_socket_opt(argc, argv, &i, &o->sock)) {
			/* --socket PATH */
		} else if (i > w && (!strcmp(a, "-i") || !strcmp(a, "--interval")) && val) {
			o->secs = strtod(val, &end);
			if (*end || !(o->secs >= WATCH_MIN_SECS && o->secs <= 3600)) {
				fprintf(stderr, "cfs watch: -i wants seconds from %.1f to 3600, not \"%s\"\n",
					WATCH_MIN_SECS, val);
				return 1;
			}
			i++;
		} else if (i > w && (!strcmp(a, "-n") || !strcmp(a, "--count")) && val) {
			o->count = strtol(val, &end, 10);
			if (*end || o->count < 1) {
				fprintf(stderr, "cfs watch: -n wants a positive count, not \"%s\"\n", val);
				return 1;
			}
			i++;
		} else if (i > w && !strcmp(a, "--plain")) {
			o->plain = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			watch_usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--json")) {
			fprintf(stderr, "cfs watch: no JSON form; use cfs --json listvol, listcache "
				"or stats, or codacon --json for events\n");
			return 1;
		} else {
			fprintf(stderr, "cfs watch: unknown argument %s\n", a);
			watch_usage(stderr);
			return 1;
		}
	}
	if (!o->sock || !*o->sock)
		o->sock = CTLP_DEFAULT_SOCKET;
	return 0;
}

/* ---- the loop ---- */

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void now_str(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S", &tm);
}

static void sleep_secs(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };

	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cfs_watch_main(int argc, char **argv)
{
	struct wopts o = { 0 };
	struct ctlc_link l;
	struct view v = { .n = 0 };
	char *mnt, when[16];
	int tty, rc = 0;

	if (help_watch(argc, argv)) {
		watch_usage(stdout);
		return 0;
	}
	if (parse_watch(argc, argv, &o))
		return 1;
	if (ctlc_open(&l, o.sock) < 0) {
		fprintf(stderr, "cfs: cannot reach venus at %s: %s\n", o.sock, strerror(errno));
		return 1;
	}
	if (!(mnt = ctlc_mountpoint(&l))) {
		ctlc_close(&l);
		return 1;
	}
	tty = !o.plain && isatty(STDOUT_FILENO);
	catch_signals();
	if (tty && !initscr()) {
		fprintf(stderr, "cfs watch: cannot use the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		tty = 0;
	}
	if (tty) {
		cbreak();
		noecho();
		curs_set(0);
		keypad(stdscr, TRUE);
	}
	for (long i = 0; !stop && (!o.count || i < o.count); i++) {
		/* venus closes a connection idle for 30 s: with a long
		 * interval, a fresh one per refresh */
		if (i && o.secs >= WATCH_RECONNECT_SECS) {
			ctlc_close(&l);
			if (ctlc_open(&l, o.sock) < 0) {
				if (tty)
					endwin();
				tty = 0;
				fprintf(stderr, "cfs: cannot reach venus at %s: %s\n", o.sock,
					strerror(errno));
				free(mnt);
				return 1;
			}
		}
		/* A failed request ends the watch: on a broken connection
		 * later replies could not be told apart. */
		if (refresh_view(&l, &v)) {
			rc = 1;
			break;
		}
		now_str(when, sizeof when);
		if (tty)
			show_curses(&v, mnt, when, o.secs);
		else
			show_plain(&v, mnt, when);
		view_clear(&v);
		if (o.count && i + 1 >= o.count)
			break;
		if (tty ? wait_key(o.secs) : (sleep_secs(o.secs), 0))
			break;
	}
	if (tty)
		endwin();
	if (rc && v.n)
		fprintf(stderr, "cfs watch: %s\n", v.line[v.n - 1]);
	view_clear(&v);
	free(mnt);
	ctlc_close(&l);
	return rc;
}
