/*
 * cfs - ask venus about the Hesper cache (doc/cfs.1).
 *
 * Finds venus's control socket (--socket, $HESPER_CTL, or the default),
 * turns PATH arguments into paths relative to the mount point, sends one
 * request (hesper/ctlproto.h) and copies the reply to stdout and stderr.
 * Exit status: 0 on success, 1 on any failure, usage errors included;
 * 255 (Coda's exit(-1)) for Coda's commands that have no meaning in
 * Hesper (ctlp_no_meaning) and for the closure commands' failures.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hesper/ctlproto.h>
#include "tools/ctlclient.h"
#include "tools/cfs.h"
#include "tools/cfs_watch.h"
#include "tools/escape.h"

struct opts {
	const char            *sock;
	int                    json;
	int                    progress;   /* cfs fr -v / --progress */
	const struct ctlp_cmd *cmd;
	int                    argc;   /* the command's arguments */
	char                 **argv;
};

/* ---- usage and local help ---- */

/* Coda's layout: the name right-aligned in 16 columns, the abbreviation,
 * the summary; "cfs help COMMAND" gives the usage. */
static void list_commands(FILE *f)
{
	for (const struct ctlp_cmd *c = ctlp_cmds; c->name; c++) {
		fprintf(f, "%16s", c->name);
		if (c->alias)
			fprintf(f, "  %3s  ", c->alias);
		else
			fprintf(f, "       ");
		fprintf(f, "%s\n", c->summary);
	}
	/* Runs in cfs alone (tools/cfs_watch.c), so not in venus's table. */
	fprintf(f, "%16s       %s\n", "watch", "Show volumes, cache and CML, refreshing in place");
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: cfs [--socket PATH] [--json] COMMAND [ARG...]\n"
		"Commands:\n");
	list_commands(f);
	fprintf(f, "Type \"cfs help COMMAND\" for one command's usage.\n");
}

static void cmd_usage(const struct ctlp_cmd *c)
{
	fprintf(stderr, "Usage: cfs %s%s%s\n", c->name, *c->usage ? " " : "", c->usage);
}


static void help_json(const struct ctlp_cmd *only)
{
	int first = 1;

	printf("{\"commands\":[");
	for (const struct ctlp_cmd *c = ctlp_cmds; c->name; c++) {
		if (only && c != only)
			continue;
		printf("%s{\"name\":\"%s\",\"alias\":", first ? "" : ",", c->name);
		if (c->alias)
			ctlc_json_str(stdout, c->alias);
		else
			printf("null");
		printf(",\"usage\":");
		ctlc_json_str(stdout, c->usage);
		printf(",\"summary\":");
		ctlc_json_str(stdout, c->summary);
		printf(",\"privileged\":%s}", c->privileged ? "true" : "false");
		first = 0;
	}
	printf("]}\n");
}

/* cfs help [COMMAND]: answered here so it works without venus. */
static int do_help(const struct opts *o)
{
	const struct ctlp_cmd *c = o->argc ? ctlp_find_cmd(o->argv[0]) : NULL;

	if (o->argc && !c) {
		fprintf(stderr, "cfs: Unknown command \"%s\" (type \"cfs help\" for a list)\n",
			o->argv[0]);
		return 1;
	}
	if (o->json)
		help_json(c);
	else if (c)
		printf("Usage: cfs %s%s%s\n  %s%s\n", c->name, *c->usage ? " " : "",
		       c->usage, c->summary, c->privileged == CTLP_PRIV_OWNER ?
		       " (root, or the user whose records they are)" : c->privileged ?
		       " (needs root)" : "");
	else
		usage(stdout);
	return 0;
}

/* ---- arguments ---- */

/* Options come before the command; --json may also follow it ("cfs lv
 * /coda --json"), unless after "--".  Returns 0, or an exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int i = 1, n = 0, dashdash = 0;

	o->sock = getenv(CTLP_ENV_SOCKET);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			o->json = 1;
		} else if (ctlc_socket_opt(argc, argv, &i, &o->sock)) {
			/* --socket PATH */
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "cfs: unknown option %s\n", argv[i]);
			usage(stderr);
			return 1;
		}
	}
	if (!o->sock || !*o->sock)
		o->sock = CTLP_DEFAULT_SOCKET;
	if (i == argc) {
		usage(stderr);
		return 1;
	}
	if (!(o->cmd = ctlp_find_cmd(argv[i]))) {
		fputs("cfs: Unknown command \"", stderr);
		hs_esc_fputs(argv[i], stderr);
		fputs("\" (type \"cfs help\" for a list)\n", stderr);
		return 1;
	}
	o->argv = argv + i + 1;   /* compacted in place below */
	for (i++; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--json"))
			o->json = 1;
		else if (!dashdash && !strcmp(o->cmd->name, "forcereintegrate") &&
			 (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--progress")))
			o->progress = 1;
		else if (!dashdash && !strcmp(argv[i], "--"))
			dashdash = 1;
		else
			o->argv[n++] = argv[i];
	}
	o->argc = n;
	return 0;
}


/* setacl's one path: DIR after its flags (Coda's argument order);
 * the NAME RIGHTS pairs after it are plain words. */
static int acl_dir_index(const struct opts *o)
{
	int i = 0;

	while (i < o->argc && (!strcmp(o->argv[i], "-clear") ||
			       !strcmp(o->argv[i], "-negative")))
		i++;
	return i;
}

/* Is word i of o's arguments an option or an option's value (not a
 * path)? */
static int is_option(const struct opts *o, int i)
{
	enum ctlp_args k = o->cmd->args;

	if (!strcmp(o->cmd->name, "setacl"))
		return i != acl_dir_index(o);
	if (k == CTLP_ARGS_PATHWORD)
		return i > 0;   /* mkmount's VOLUME, setquota's BLOCKS */
	if (k != CTLP_ARGS_FLAGPATH && k != CTLP_ARGS_FLAGPATHS)
		return 0;
	if (o->argv[i][0] == '-')
		return 1;
	return i > 0 && o->argv[i - 1][0] == '-' && ctlp_opt_has_value(o->cmd, o->argv[i - 1]);
}

/* checkpointml's second word: a local directory, absolute, outside the
 * mount (Coda: "Checkpoint directory ... should NOT be in Coda"). */
static char *local_dir(const char *arg, const char *mnt)
{
	char *abs = ctlc_abs_path(arg);

	if (!abs) {
		int err = errno;

		fputs("cfs: ", stderr);
		hs_esc_fputs(arg, stderr);
		fprintf(stderr, ": %s\n", strerror(err));
		return NULL;
	}
	if (ctlc_below_mount(abs, mnt)) {
		fputs("Checkpoint directory ", stdout);
		hs_esc_fputs(arg, stdout);
		printf(" should NOT be in Coda (%s)\n", mnt);
		free(abs);
		return NULL;
	}
	return abs;
}

/* Rewrite o->argv in place as mount-relative paths (malloc'd), dropping
 * the ones that fail after a message.  Returns the number dropped. */
static int convert_paths(struct opts *o, const char *mnt)
{
	int bad = 0, n = 0;

	for (int i = 0; i < o->argc; i++) {
		if (is_option(o, i) || (o->cmd->args == CTLP_ARGS_CKPT && i == 1)) {
			char *copy = is_option(o, i) ? strdup(o->argv[i]) :
				     local_dir(o->argv[i], mnt);

			if (copy)
				o->argv[n++] = copy;
			else
				bad++;
			continue;
		}
		char *abs = ctlc_abs_path(o->argv[i]);
		const char *rel = abs ? ctlc_below_mount(abs, mnt) : NULL;
		char *copy = rel ? strdup(rel) : NULL;

		if (!abs || !rel) {
			int err = errno;

			fputs("cfs: ", stderr);
			hs_esc_fputs(o->argv[i], stderr);
			if (!abs)
				fprintf(stderr, ": %s\n", strerror(err));
			else
				fprintf(stderr, ": Not in %s\n", mnt);
		}
		free(abs);
		if (!copy) {
			bad++;
			continue;
		}
		o->argv[n++] = copy;
	}
	o->argc = n;
	return bad;
}

/* ---- cfs fr: progress as venus sends it ---- */

/* State of the progress display of one cfs fr. */
struct fr_bar {
	int      tty;     /* stdout is a terminal: one bar redrawn with \r */
	int      verbose; /* show venus's "reintegrated D of T records" lines
	                   * (stderr a terminal, or -v / --progress) */
	int      drawn;   /* a bar is on the current line */
	unsigned total;   /* the first count seen: the bar's full width */
};

/* "[#####     ] N CML entries remaining", redrawn in place. */
static void fr_draw(struct fr_bar *b, unsigned left)
{
	char bar[21];
	unsigned done, i;

	if (left > b->total)
		b->total = left;
	done = b->total ? (b->total - left) * 20 / b->total : 20;
	for (i = 0; i < 20; i++)
		bar[i] = i < done ? '#' : ' ';
	bar[20] = '\0';
	printf("\r[%s] %u CML entries remaining", bar, left);
	b->drawn = 1;
}

/* A reply line of fr: progress lines become the bar on a terminal and
 * plain lines elsewhere, each shown at once. */
static void fr_line(void *arg, int chan, const char *text)
{
	struct fr_bar *b = arg;
	unsigned left;
	char tail;

	if (chan == CTLP_STDOUT &&
	    sscanf(text, "%u CML entries remaining%c", &left, &tail) == 1) {
		if (b->tty)
			fr_draw(b, left);
		else
			printf("%s\n", text);
		fflush(stdout);
		return;
	}
	if (chan == CTLP_STDERR && !strncmp(text, "reintegrated ", 13) &&
	    sscanf(text, "reintegrated %u of %u records%c", &left, &left, &tail) == 3) {
		if (b->verbose) {
			fprintf(stderr, "%s%s\n", b->drawn ? "\n" : "", text);
			b->drawn = 0;
		}
		return;
	}
	if (b->drawn) {
		putchar('\n');
		fflush(stdout);
		b->drawn = 0;
	}
	ctlc_print_line(NULL, chan, text);
}

/* ---- main ---- */

static int transact_fr(struct ctlc_link *l, int n, const char *const *words, int verbose)
{
	struct fr_bar b = { isatty(STDOUT_FILENO), verbose || isatty(STDERR_FILENO), 0, 0 };
	int status = ctlc_transact(l, n, words, fr_line, &b);

	if (b.drawn)
		putchar('\n');
	return status;
}

/* Send the command, with paths made mount-relative.  Returns the exit
 * status. */
static int run_cmd(struct opts *o, struct ctlc_link *l)
{
	const char **words = calloc((size_t)o->argc + 2, sizeof *words);
	int n = 0, bad = 0, paths = 0, status;

	if (!words)
		return 1;
	enum ctlp_args k = o->cmd->args;

	if (o->argc && (k == CTLP_ARGS_PATHS || k == CTLP_ARGS_OPTPATH ||
			k == CTLP_ARGS_FLAGPATH || k == CTLP_ARGS_FLAGPATHS ||
			k == CTLP_ARGS_CKPT || k == CTLP_ARGS_PATHWORD ||
			(!strcmp(o->cmd->name, "setacl") &&
			 acl_dir_index(o) < o->argc))) {
		char *mnt = ctlc_mountpoint(l);

		if (!mnt) {
			free(words);
			return 1;
		}
		bad = convert_paths(o, mnt);
		paths = 1;
		free(mnt);
	}
	if (o->json)
		words[n++] = "--json";
	words[n++] = o->cmd->name;
	for (int i = 0; i < o->argc; i++)
		words[n++] = o->argv[i];
	if (bad && !o->argc)
		status = 1;
	else if (!o->json && !strcmp(o->cmd->name, "forcereintegrate"))
		status = transact_fr(l, n, words, o->progress);
	else
		status = ctlc_transact(l, n, words, ctlc_print_line, NULL);
	for (int i = 0; paths && i < o->argc; i++)
		free(o->argv[i]);
	free(words);
	return status != 0 || bad ? 1 : 0;
}

static int run(struct opts *o)
{
	struct ctlc_link l;
	int rc;

	if (ctlc_open(&l, o->sock) < 0) {
		fprintf(stderr, "cfs: cannot reach venus at %s: %s\n", o->sock,
			strerror(errno));
		return 1;
	}
	rc = run_cmd(o, &l);
	fflush(stdout);
	ctlc_close(&l);
	return rc;
}

int main(int argc, char **argv)
{
	if (cfs_watch_wanted(argc, argv))   /* tools/cfs_watch.c */
		return cfs_watch_main(argc, argv);
	struct opts o = { 0 };
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc;
	if (ctlp_no_meaning(o.cmd->name)) {
		char msg[512];

		snprintf(msg, sizeof msg, "cfs %s: %s", o.cmd->name,
			 ctlp_no_meaning(o.cmd->name));
		if (o.json) {
			printf("{\"error\":");
			ctlc_json_str(stdout, msg);
			printf(",\"errno\":%d}\n", EOPNOTSUPP);
		} else {
			fprintf(stderr, "%s\n", msg);
		}
		return 255;
	}
	if (!strcmp(o.cmd->name, "examineclosure") || !strcmp(o.cmd->name, "replayclosure"))
		return cfs_closure(o.cmd->name, o.argc, o.argv, o.sock, o.json);
	if (!ctlp_args_ok(o.cmd, o.argc)) {
		cmd_usage(o.cmd);
		return 1;
	}
	if (!strcmp(o.cmd->name, "help"))
		return do_help(&o);
	return run(&o);
}
