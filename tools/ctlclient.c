/*
 * ctlclient.c - the client side of venus's control socket (ctlclient.h),
 * moved here from cfs.c so that hoard speaks it the same way.
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
#include "tools/ctlclient.h"
#include "tools/escape.h"

const char *ctlc_prog = "cfs";

int ctlc_open(struct ctlc_link *l, const char *path)
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

void ctlc_close(struct ctlc_link *l)
{
	fclose(l->in);
	close(l->fd);
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

int ctlc_transact(struct ctlc_link *l, int n, const char *const *words,
		  ctlc_line_fn fn, void *arg)
{
	struct ctlp_reader rd = { 0 };
	char *req = ctlp_build_request(n, words), *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int status = -1, send_err = 0;

	if (!req || send_all(l->fd, req, strlen(req)) < 0) {
		send_err = errno;
		/* venus may have refused the connection with a reply (too many
		 * connections): read it before giving up */
		if (!req || (send_err != EPIPE && send_err != ECONNRESET)) {
			fprintf(stderr, "%s: %s: %s\n", ctlc_prog,
				req ? "sending to venus" : "request", strerror(send_err));
			free(req);
			return -1;
		}
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
			fprintf(stderr, "%s: bad reply from venus: %s\n", ctlc_prog, line);
			free(line);
			return -1;
		}
	}
	free(line);
	if (status < 0 && send_err)
		fprintf(stderr, "%s: sending to venus: %s\n", ctlc_prog, strerror(send_err));
	else if (status < 0)
		fprintf(stderr, "%s: venus closed the connection\n", ctlc_prog);
	return status;
}

void ctlc_print_line(void *arg, int chan, const char *text)
{
	FILE *f = chan == CTLP_STDERR ? stderr : stdout;

	/* venus escapes names (tools/escape.h); a control character that
	 * still arrives must not reach the terminal raw */
	hs_esc_controls_fputs(text, f);
	putc('\n', f);
}

static void keep_first(void *arg, int chan, const char *text)
{
	char **out = arg;

	if (chan == CTLP_STDOUT && !*out)
		*out = strdup(text);
}

char *ctlc_mountpoint(struct ctlc_link *l)
{
	const char *words[] = { "mountpoint" };
	char *mnt = NULL, *canon;

	if (ctlc_transact(l, 1, words, keep_first, &mnt) != 0 || !mnt) {
		fprintf(stderr, "%s: venus did not tell its mount point\n", ctlc_prog);
		free(mnt);
		return NULL;
	}
	canon = realpath(mnt, NULL);
	if (!canon)
		return mnt;
	free(mnt);
	return canon;
}

char *ctlc_abs_path(const char *arg)
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

const char *ctlc_below_mount(const char *abs, const char *mnt)
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

void ctlc_json_str(FILE *f, const char *s)
{
	size_t n = ctlp_json_escape(NULL, 0, s);
	char *buf = malloc(n + 1);

	if (!buf)
		return;
	ctlp_json_escape(buf, n + 1, s);
	fputs(buf, f);
	free(buf);
}

int ctlc_socket_opt(int argc, char **argv, int *i, const char **sock)
{
	if (!strcmp(argv[*i], "--socket") && *i + 1 < argc) {
		*sock = argv[++*i];
		return 1;
	}
	if (!strncmp(argv[*i], "--socket=", 9)) {
		*sock = argv[*i] + 9;
		return 1;
	}
	return 0;
}
