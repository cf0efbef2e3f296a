/*
 * hoard - manage venus's hoard database (doc/hoard.1).
 *
 *     hoard [-d] [-v] [--socket PATH] [--json] [-f FILE|-] [COMMAND [ARG...]]
 *
 * Commands (hesper/hoardcmd.h) come from the command line, from FILE (one
 * per line, '#' comments), or from stdin when there are neither.  As in
 * Coda (hoard.cc), one quoted argument may hold whole command lines.  A
 * batch is parsed whole before anything is sent, so a typo on line 30
 * does not leave the first 29 lines applied; it then runs in Coda's order:
 * clears, adds, deletes, lists, walks, verifies, on, off.  After adding c
 * or d entries venus records their current members at once (expand()).  Paths are made
 * relative to the mount point as cfs does (tools/ctlclient.h).  Exit 1 on
 * any failure.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hesper/ctlproto.h>
#include <hesper/hoardcmd.h>
#include "tools/ctlclient.h"
#include "tools/escape.h"

#define MAX_WORDS 8

struct opts {
	const char *sock;
	const char *file;   /* -f */
	int         json;
	int         debug;  /* -d: show each request on stderr */
};

/* One command with where it came from, for messages. */
struct job {
	struct hoard_cmd cmd;
	char            *words[MAX_WORDS];
	char            *line;    /* the words point into it (file commands) */
	const char      *where;   /* "FILE:LINE: " or "" */
	char             wherebuf[256];
};

static char *mountpoint;    /* asked of venus once, when a path needs it */

static void usage(FILE *f)
{
	fprintf(f, "Usage: hoard [-d] [-v] [--socket PATH] [--json] [-f FILE|-] [COMMAND [ARG...]]\n"
		"Commands:\n"
		"  add PATH [PRIORITY][:c|c+|d|d+]   hoard PATH (priority 1-1000, default %d)\n"
		"  delete PATH                       remove an entry\n"
		"  clear [UID]                       remove every entry (or UID's)\n"
		"  list [FILE [UID]]                 list the entries (as add commands)\n"
		"  walk                              fetch every hoarded object now\n"
		"  verify [FILE [VERBOSITY [UID]]]   list hoarded objects not cached\n"
		"  on | off                          allow or stop periodic walks\n"
		"Flags (Coda's): c current children, c+ current and future children,\n"
		"       d current descendants, d+ current and future descendants.\n",
		HOARD_PRIO_DEFAULT);
}

/* ---- talking to venus ---- */

/* Where reply lines go: stdout lines to out, stderr lines prefixed. */
struct sink {
	FILE       *out;
	const char *where;
	size_t      errs;      /* stderr lines seen */
	char       *last;      /* the last stdout line (walk progress) */
	int         quiet;     /* keep stdout lines in last only */
};

static void on_line(void *arg, int chan, const char *text)
{
	struct sink *s = arg;

	if (chan == CTLP_STDERR) {
		fprintf(stderr, "hoard: %s", s->where);
		hs_esc_controls_fputs(text, stderr);   /* venus escaped names */
		putc('\n', stderr);
		s->errs++;
		return;
	}
	if (s->quiet) {
		free(s->last);
		s->last = strdup(text);
		return;
	}
	hs_esc_controls_fputs(text, s->out);
	putc('\n', s->out);
}

/* One request on a fresh connection (an idle one would be dropped while a
 * person types at stdin).  venus's status, or -1 after a message. */
static int ask(const struct opts *o, int n, const char *const *words, struct sink *s)
{
	struct ctlc_link l;
	int st;

	if (o->debug) {
		fprintf(stderr, "hoard: request:");
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %s", words[i]);
		fprintf(stderr, "\n");
	}
	if (ctlc_open(&l, o->sock) < 0) {
		fprintf(stderr, "hoard: cannot reach venus at %s: %s\n", o->sock,
			strerror(errno));
		return -1;
	}
	st = ctlc_transact(&l, n, words, on_line, s);
	ctlc_close(&l);
	return st;
}

static int get_mountpoint(const struct opts *o)
{
	struct ctlc_link l;

	if (mountpoint)
		return 0;
	if (ctlc_open(&l, o->sock) < 0) {
		fprintf(stderr, "hoard: cannot reach venus at %s: %s\n", o->sock,
			strerror(errno));
		return -1;
	}
	mountpoint = ctlc_mountpoint(&l);
	ctlc_close(&l);
	return mountpoint ? 0 : -1;
}

/* The mount-relative form of path (malloc'd), or NULL after a message. */
static char *relative(const struct opts *o, const struct job *j, const char *path)
{
	char *abs, *rel = NULL;
	const char *below;

	if (get_mountpoint(o))
		return NULL;
	if (!(abs = ctlc_abs_path(path))) {
		int err = errno;

		fprintf(stderr, "hoard: %s", j->where);
		hs_esc_fputs(path, stderr);
		fprintf(stderr, ": %s\n", strerror(err));
		return NULL;
	}
	if (!(below = ctlc_below_mount(abs, mountpoint))) {
		fprintf(stderr, "hoard: %s", j->where);
		hs_esc_fputs(path, stderr);
		fprintf(stderr, ": Not in %s\n", mountpoint);
	}
	else if (!(rel = strdup(below)))
		fprintf(stderr, "hoard: %s\n", strerror(ENOMEM));
	free(abs);
	return rel;
}

/* ---- commands ---- */

static int run_path_cmd(const struct opts *o, const struct job *j, const char *name)
{
	char spec[32], *rel = relative(o, j, j->cmd.path);
	const char *words[3] = { name, rel, spec };
	const char *f = hoard_flags_str(j->cmd.flags);
	struct sink s = { stdout, j->where, 0, NULL, 0 };
	int st;

	if (!rel)
		return 1;
	if (j->cmd.op == HOARD_OP_MODIFY)
		fprintf(stderr, "hoard: %smodify is deprecated (Coda's hoard dropped it);"
			" use add, which replaces an entry\n", j->where);
	snprintf(spec, sizeof spec, "%u%s%s", j->cmd.prio, *f ? ":" : "", f);
	st = ask(o, j->cmd.op == HOARD_OP_DELETE ? 2 : 3, words, &s);
	free(rel);
	return st != 0;
}

/* Append the uid (and verify's verbosity) words to w from index n. */
static int num_words(const struct job *j, const char **w, int n, char (*buf)[24])
{
	if (j->cmd.op == HOARD_OP_VERIFY &&
	    (j->cmd.verbosity || j->cmd.uid != HOARD_ALL_UIDS)) {
		snprintf(buf[0], sizeof buf[0], "%u", j->cmd.verbosity);
		w[n++] = buf[0];
	}
	if (j->cmd.uid != HOARD_ALL_UIDS) {
		snprintf(buf[1], sizeof buf[1], "%ld", j->cmd.uid);
		w[n++] = buf[1];
	}
	return n;
}

/* list and verify: the reply goes to FILE ("-" or none: stdout). */
static int run_report(const struct opts *o, const struct job *j, const char *name)
{
	const char *words[4] = { "--json", name };
	char buf[2][24];
	int n = num_words(j, words, 2, buf);
	struct sink s = { stdout, j->where, 0, NULL, 0 };
	int st;

	if (j->cmd.path && strcmp(j->cmd.path, "-") &&
	    !(s.out = fopen(j->cmd.path, "w"))) {
		fprintf(stderr, "hoard: %s%s: %s\n", j->where, j->cmd.path, strerror(errno));
		return 1;
	}
	st = o->json ? ask(o, n, words, &s) : ask(o, n - 1, words + 1, &s);
	if (s.out != stdout && fclose(s.out)) {
		fprintf(stderr, "hoard: %s%s: %s\n", j->where, j->cmd.path, strerror(errno));
		st = 1;
	}
	return st != 0;
}

/* clear [UID], on, off. */
static int run_simple(const struct opts *o, const struct job *j, const char *name)
{
	const char *words[3] = { name };
	char buf[2][24];
	struct sink s = { stdout, j->where, 0, NULL, 0 };

	return ask(o, num_words(j, words, 1, buf), words, &s) != 0;
}

/* Start a walk (cmd "hoard_walk") or an expansion ("hoard_expand"), then
 * follow it: messages as they come, the progress line whenever it changes
 * (unless quiet), the summary at the end. */
static int run_walk(const struct opts *o, const struct job *j, const char *cmd,
		    int quiet)
{
	const char *start[] = { cmd };
	struct sink s = { stdout, j->where, 0, NULL, 1 };
	char id[24], seen[24], *prev = NULL;
	const char *wait[] = { "hoard_wait", id, seen };
	unsigned long n;
	int st = ask(o, 1, start, &s);

	if (st || !s.last || sscanf(s.last, "walk %lu", &n) != 1) {
		if (!st)
			fprintf(stderr, "hoard: %sunexpected reply to walk\n", j->where);
		free(s.last);
		return 1;
	}
	snprintf(id, sizeof id, "%lu", n);
	do {
		snprintf(seen, sizeof seen, "%zu", s.errs);
		st = ask(o, 3, wait, &s);
		if (!quiet && s.last && (!prev || strcmp(prev, s.last))) {
			printf("%s\n", s.last);
			fflush(stdout);
			free(prev);
			prev = strdup(s.last);
		}
	} while (st == EINPROGRESS);
	free(prev);
	free(s.last);
	return st != 0;
}

static int run_job(const struct opts *o, const struct job *j)
{
	switch (j->cmd.op) {
	case HOARD_OP_ADD:    return run_path_cmd(o, j, "hoard_add");
	case HOARD_OP_MODIFY: return run_path_cmd(o, j, "hoard_modify");
	case HOARD_OP_DELETE: return run_path_cmd(o, j, "hoard_delete");
	case HOARD_OP_LIST:   return run_report(o, j, "hoard_list");
	case HOARD_OP_VERIFY: return run_report(o, j, "hoard_verify");
	case HOARD_OP_CLEAR:  return run_simple(o, j, "hoard_clear");
	case HOARD_OP_ON:     return run_simple(o, j, "hoard_on");
	case HOARD_OP_OFF:    return run_simple(o, j, "hoard_off");
	case HOARD_OP_WALK:   return run_walk(o, j, "hoard_walk", 0);
	}
	return 1;
}

/* ---- reading commands ---- */

/* Parse one line of name (line number lno) into j.  0, or 1 after a
 * message. */
static int parse_line(const char *name, unsigned lno, char *line, struct job *j)
{
	const char *why = NULL;
	char err[256];
	int n;

	j->line = line;
	snprintf(j->wherebuf, sizeof j->wherebuf, "%s:%u: ", name, lno);
	j->where = j->wherebuf;
	n = hoard_split_line(line, j->words, MAX_WORDS, &why);
	if (n < 0) {
		fprintf(stderr, "hoard: %s%s\n", j->where, why);
		return 1;
	}
	if (n == 0)
		return -1;   /* blank or comment */
	if (hoard_parse_cmd(n, j->words, &j->cmd, err, sizeof err)) {
		fprintf(stderr, "hoard: %s%s\n", j->where, err);
		return 1;
	}
	return 0;
}

/* Read and parse all of f.  Returns the number of bad lines; *jobs and
 * *njobs receive the good ones. */
static unsigned read_jobs(FILE *f, const char *name, struct job **jobs, size_t *njobs)
{
	char *line = NULL;
	size_t cap = 0, jcap = 0;
	unsigned lno = 0, bad = 0;

	while (getline(&line, &cap, f) >= 0) {
		struct job j = { 0 }, *v;
		int rc = parse_line(name, ++lno, line, &j);

		if (rc) {
			bad += rc > 0;
			continue;
		}
		if (*njobs == jcap) {
			jcap = jcap ? jcap * 2 : 16;
			if (!(v = realloc(*jobs, jcap * sizeof *v))) {
				fprintf(stderr, "hoard: %s\n", strerror(ENOMEM));
				bad++;
				break;
			}
			*jobs = v;
		}
		(*jobs)[(*njobs)++] = j;
		line = NULL;   /* the job owns it now */
		cap = 0;
	}
	free(line);
	return bad;
}

static void free_jobs(struct job *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].line);
	free(v);
}

/* Coda runs a batch by kind, in this order (hoard.cc main). */
static int rank(enum hoard_op op)
{
	switch (op) {
	case HOARD_OP_CLEAR:  return 0;
	case HOARD_OP_ADD:
	case HOARD_OP_MODIFY: return 1;
	case HOARD_OP_DELETE: return 2;
	case HOARD_OP_LIST:   return 3;
	case HOARD_OP_WALK:   return 4;
	case HOARD_OP_VERIFY: return 5;
	case HOARD_OP_ON:     return 6;
	case HOARD_OP_OFF:    return 7;
	}
	return 8;
}

/* Coda's hoard lists a c or d entry's directory when it is added: have
 * venus record those members now (without fetching file data) unless the
 * batch walks anyway.  A failure leaves them to the next walk: the adds
 * themselves succeeded, so it is a note, not an error. */
static void expand(const struct opts *o)
{
	struct job j = { .where = "" };

	if (run_walk(o, &j, "hoard_expand", 1))
		fprintf(stderr, "hoard: the current members of c and d entries will be"
			" recorded at the next walk\n");
}

static int fixed_add(const struct job *j)
{
	return (j->cmd.op == HOARD_OP_ADD || j->cmd.op == HOARD_OP_MODIFY) &&
	       (j->cmd.flags & HOARD_CHILDREN) && !(j->cmd.flags & HOARD_FUTURE);
}

/* Run a parsed batch in Coda's order, file order within a kind. */
static int run_jobs(const struct opts *o, struct job *jobs, size_t n)
{
	int rc = 0, fixed = 0, walks = 0;

	for (size_t i = 0; i < n; i++)
		walks |= jobs[i].cmd.op == HOARD_OP_WALK;
	for (int r = 0; r <= 8; r++) {
		for (size_t i = 0; i < n; i++)
			if (rank(jobs[i].cmd.op) == r) {
				int bad;

				/* line numbers must survive the copy into the array */
				jobs[i].where = jobs[i].wherebuf;
				bad = run_job(o, &jobs[i]);
				fixed |= !bad && fixed_add(&jobs[i]);
				rc |= bad;
			}
		if (r == rank(HOARD_OP_ADD) && fixed && !walks)
			expand(o);
	}
	return rc;
}

/* Run the commands read from f (shown as name in messages).  Returns the
 * exit status. */
static int run_stream(const struct opts *o, FILE *f, const char *shown)
{
	struct job *jobs = NULL;
	size_t n = 0;
	unsigned bad = read_jobs(f, shown, &jobs, &n);
	int rc;

	if (bad) {
		fprintf(stderr, "hoard: %s: %u bad line%s: nothing done\n", shown, bad,
			bad == 1 ? "" : "s");
		free_jobs(jobs, n);
		return 1;
	}
	rc = run_jobs(o, jobs, n);
	free_jobs(jobs, n);
	return rc;
}

/* Run the commands of file name ("-" = stdin). */
static int run_file(const struct opts *o, const char *name)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	int rc;

	if (!f) {
		fprintf(stderr, "hoard: %s: %s\n", name, strerror(errno));
		return 1;
	}
	rc = run_stream(o, f, f == stdin ? "stdin" : name);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Coda's form: the arguments joined by blanks are command lines, e.g.
 * hoard 'a /coda/x 100:d+' or several lines in one quoted argument. */
static int run_text(const struct opts *o, int argc, char **argv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len), *f;
	int rc;

	if (!m) {
		fprintf(stderr, "hoard: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < argc; i++)
		fprintf(m, "%s%s", i ? " " : "", argv[i]);
	fputc('\n', m);
	fclose(m);
	if (!(f = fmemopen(text, len, "r"))) {
		fprintf(stderr, "hoard: %s\n", strerror(errno));
		free(text);
		return 1;
	}
	rc = run_stream(o, f, "arguments");
	fclose(f);
	free(text);
	return rc;
}

static int run_argv(const struct opts *o, int argc, char **argv)
{
	struct job j = { 0 };
	char err[256];

	for (int i = 0; i < argc; i++)
		if (strchr(argv[i], '\n') || (argc == 1 && strpbrk(argv[i], " \t")))
			return run_text(o, argc, argv);
	if (hoard_parse_cmd(argc, argv, &j.cmd, err, sizeof err)) {
		fprintf(stderr, "hoard: %s\n", err);
		return 1;
	}
	return run_jobs(o, &j, 1);   /* wherebuf is "" */
}

/* Options come first; returns the index of the command, or -1 (exit 1). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	o->sock = getenv(CTLP_ENV_SOCKET);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!argv[i][1]) {   /* Coda's "hoard -": commands on stdin */
			o->file = "-";
			i++;
			break;
		}
		if (!strcmp(argv[i], "--json")) {
			o->json = 1;
		} else if (!strcmp(argv[i], "-d")) {
			o->debug = 1;
		} else if (!strcmp(argv[i], "-v")) {
			/* Coda's verbose meta-expansion: nothing to say here */
		} else if (!strcmp(argv[i], "--version")) {
			printf("hoard (Hesper) %s\n", PACKAGE_VERSION);
			exit(0);
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			o->file = argv[++i];
		} else if (ctlc_socket_opt(argc, argv, &i, &o->sock)) {
			/* --socket PATH */
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "hoard: unknown option %s\n", argv[i]);
			usage(stderr);
			return -1;
		}
	}
	if (!o->sock || !*o->sock)
		o->sock = CTLP_DEFAULT_SOCKET;
	return i;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int i = parse_opts(argc, argv, &o), rc = 0;

	ctlc_prog = "hoard";
	if (i < 0)
		return 1;
	if (o.file)
		rc = run_file(&o, o.file);
	if (i < argc)
		rc |= run_argv(&o, argc - i, argv + i);
	else if (!o.file)
		rc = run_file(&o, "-");
	free(mountpoint);
	return rc ? 1 : 0;
}
