/*
 * cfs - ask venus about the Hesper cache (doc/cfs.1).
 *
 * Finds venus's control socket (--socket, $HESPER_CTL, or the default),
 * turns PATH arguments into paths relative to the mount point, sends one
 * request (hesper/ctlproto.h) and copies the reply to stdout and stderr.
 * Exit status: 0 on success, 1 on any failure, usage errors included.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <hesper/ctlproto.h>

struct opts {
	const char            *sock;
	int                    json;
	const struct ctlp_cmd *cmd;
	int                    argc;   /* the command's arguments */
	char                 **argv;
};

/* ---- usage and local help ---- */

static void list_commands(FILE *f)
{
	for (const struct ctlp_cmd *c = ctlp_cmds; c->name; c++) {
		char head[64];

		snprintf(head, sizeof head, "%s%s%s%s", c->name, c->alias ? " (" : "",
			 c->alias ? c->alias : "", c->alias ? ")" : "");
		fprintf(f, "  %-19s %-10s %s\n", head, c->usage, c->summary);
	}
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

static void json_str(const char *s)
{
	size_t n = ctlp_json_escape(NULL, 0, s);
	char *buf = malloc(n + 1);

	if (!buf)
		return;
	ctlp_json_escape(buf, n + 1, s);
	fputs(buf, stdout);
	free(buf);
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
			json_str(c->alias);
		else
			printf("null");
		printf(",\"usage\":");
		json_str(c->usage);
		printf(",\"summary\":");
		json_str(c->summary);
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
		       c->usage, c->summary, c->privileged ?
		       " (needs root or the cache owner)" : "");
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
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			o->sock = argv[++i];
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			o->sock = argv[i] + 9;
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
		fprintf(stderr, "cfs: Unknown command \"%s\" (type \"cfs help\" for a list)\n",
			argv[i]);
		return 1;
	}
	o->argv = argv + i + 1;   /* compacted in place below */
	for (i++; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--json"))
			o->json = 1;
		else if (!dashdash && !strcmp(argv[i], "--"))
			dashdash = 1;
		else
			o->argv[n++] = argv[i];
	}
	o->argc = n;
	return 0;
}

static int args_ok(const struct ctlp_cmd *c, int argc)
{
	switch (c->args) {
	case CTLP_ARGS_NONE:
		return argc == 0;
	case CTLP_ARGS_PATHS:
		return argc >= 1;
	case CTLP_ARGS_OPTPATH:
	case CTLP_ARGS_OPTWORD:
		return argc <= 1;
	}
	return 0;
}

/* ---- talking to venus ---- */

struct link {
	int   fd;
	FILE *in;
};

static int link_open(struct link *l, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	if (connect(l->fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    !(l->in = fdopen(dup(l->fd), "r"))) {
		int e = errno;

		close(l->fd);
		errno = e;
		return -1;
	}
	return 0;
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Receives each body line of a reply. */
typedef void (*line_fn)(void *arg, int chan, const char *text);

/* Send one request and read its reply.  Returns venus's status (0 or an
 * errno), or -1 after a message if the conversation failed. */
static int transact(struct link *l, int n, const char *const *words,
		    line_fn fn, void *arg)
{
	struct ctlp_reader rd = { 0 };
	char *req = ctlp_build_request(n, words), *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int status = -1;

	if (!req || send_all(l->fd, req, strlen(req)) < 0) {
		fprintf(stderr, "cfs: %s: %s\n", req ? "sending to venus" : "request",
			strerror(errno));
		free(req);
		return -1;
	}
	free(req);
	while (status < 0 && (len = getline(&line, &cap, l->in)) > 0) {
		int chan = 0;
		const char *text = NULL;

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		switch (ctlp_read_line(&rd, line, &chan, &text, &status)) {
		case CTLP_R_LINE:
			fn(arg, chan, text);
			break;
		case CTLP_R_MORE:
		case CTLP_R_DONE:
			break;
		case CTLP_R_BAD:
			fprintf(stderr, "cfs: bad reply from venus: %s\n", line);
			free(line);
			return -1;
		}
	}
	free(line);
	if (status < 0)
		fprintf(stderr, "cfs: venus closed the connection\n");
	return status;
}

static void print_line(void *arg, int chan, const char *text)
{
	FILE *f = chan == CTLP_STDERR ? stderr : stdout;

	fputs(text, f);
	putc('\n', f);
}

static void keep_first(void *arg, int chan, const char *text)
{
	char **out = arg;

	if (chan == CTLP_STDOUT && !*out)
		*out = strdup(text);
}

/* Ask venus where it is mounted: a malloc'd canonical path, or NULL. */
static char *get_mountpoint(struct link *l)
{
	const char *words[] = { "mountpoint" };
	char *mnt = NULL, *canon;

	if (transact(l, 1, words, keep_first, &mnt) != 0 || !mnt) {
		fprintf(stderr, "cfs: venus did not tell its mount point\n");
		free(mnt);
		return NULL;
	}
	canon = realpath(mnt, NULL);
	if (!canon)
		return mnt;
	free(mnt);
	return canon;
}

/* ---- paths ---- */

/* The absolute, symlink-free form of arg, resolving only its directory
 * part so that the object itself is not looked up (it may be a symlink, or
 * the very thing that is broken).  malloc'd, or NULL with errno. */
static char *abs_path(const char *arg)
{
	char *copy = strdup(arg), *slash, *dir, *res = NULL;
	const char *base;
	size_t n;

	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (!*copy || !strcmp(copy, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
		res = realpath(*copy ? copy : "", NULL);
		free(copy);
		return res;
	}
	if (!slash)
		dir = realpath(".", NULL);
	else if (slash == copy)
		dir = realpath("/", NULL);
	else
		*slash = '\0', dir = realpath(copy, NULL);
	if (dir && asprintf(&res, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base) < 0)
		res = NULL;
	free(dir);
	free(copy);
	return res;
}

/* The part of abs below mnt, starting with '/' ("/" for mnt itself), or
 * NULL if abs is outside. */
static const char *below_mount(const char *abs, const char *mnt)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return abs;
	if (strncmp(abs, mnt, n))
		return NULL;
	if (!abs[n])
		return "/";
	return abs[n] == '/' ? abs + n : NULL;
}

/* Rewrite o->argv in place as mount-relative paths (malloc'd), dropping
 * the ones that fail after a message.  Returns the number dropped. */
static int convert_paths(struct opts *o, const char *mnt)
{
	int bad = 0, n = 0;

	for (int i = 0; i < o->argc; i++) {
		char *abs = abs_path(o->argv[i]);
		const char *rel = abs ? below_mount(abs, mnt) : NULL;
		char *copy = rel ? strdup(rel) : NULL;

		if (!abs)
			fprintf(stderr, "cfs: %s: %s\n", o->argv[i], strerror(errno));
		else if (!rel)
			fprintf(stderr, "cfs: %s: Not in %s\n", o->argv[i], mnt);
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

/* ---- main ---- */

static void link_close(struct link *l)
{
	fclose(l->in);
	close(l->fd);
}

/* Send the command, with paths made mount-relative.  Returns the exit
 * status. */
static int run_cmd(struct opts *o, struct link *l)
{
	const char **words = calloc((size_t)o->argc + 2, sizeof *words);
	int n = 0, bad = 0, paths = 0, status;

	if (!words)
		return 1;
	if (o->argc && (o->cmd->args == CTLP_ARGS_PATHS ||
			o->cmd->args == CTLP_ARGS_OPTPATH)) {
		char *mnt = get_mountpoint(l);

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
	status = bad && !o->argc ? 1 : transact(l, n, words, print_line, NULL);
	for (int i = 0; paths && i < o->argc; i++)
		free(o->argv[i]);
	free(words);
	return status != 0 || bad ? 1 : 0;
}

static int run(struct opts *o)
{
	struct link l;
	int rc;

	if (link_open(&l, o->sock) < 0) {
		fprintf(stderr, "cfs: cannot reach venus at %s: %s\n", o->sock,
			strerror(errno));
		return 1;
	}
	rc = run_cmd(o, &l);
	fflush(stdout);
	link_close(&l);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc;
	if (!args_ok(o.cmd, o.argc)) {
		cmd_usage(o.cmd);
		return 1;
	}
	if (!strcmp(o.cmd->name, "help"))
		return do_help(&o);
	return run(&o);
}
