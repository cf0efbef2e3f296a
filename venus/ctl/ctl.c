/*
 * ctl.c - venus's control socket: listening, connections, request lines
 * and reply framing (hesper/ctlproto.h).  The commands are in ctl_cmds.c.
 *
 * One request runs at a time per connection; reading pauses meanwhile so a
 * client cannot queue unbounded input.  A client that goes away while its
 * command runs only detaches the request (r->conn = NULL): the command
 * still completes and its reply is dropped.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/ctl/ctl.h"

/* Connections beyond this are closed at once: cfs needs one, and fds are
 * better spent on container files. */
#define CTL_MAX_CONNS 64
/* An oversized request line is read and dropped up to its '\n' (closing
 * with unread input would reset the client before it sees the error), but
 * no further than this. */
#define CTL_MAX_SKIP (1024 * 1024)
/* An idle client, or one that does not read its reply, is dropped. */
#define CTL_IDLE_SECS 60

struct ctl_conn {
	struct bufferevent *bev;
	uid_t               uid;
	pid_t               pid;
	struct ctl_req     *req;        /* the request running, or NULL */
	int                 eof;        /* peer shut down its sending side */
	int                 closing;    /* free once the output has drained */
	int                 dispatching;/* inside conn_process */
	size_t              skipping;   /* bytes of an oversized line dropped */
	struct ctl_conn    *next, *prev;
};

static struct evconnlistener *listener;
static struct ctl_conn *conns;
static int nconns;
static char *sock_path;
static dev_t sock_dev;
static ino_t sock_ino;

static void conn_process(struct ctl_conn *c);

static void conn_free(struct ctl_conn *c)
{
	if (c->req)
		c->req->conn = NULL;
	bufferevent_free(c->bev);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nconns--;
	free(c);
}

/* Close now if nothing is left to send, else once the output drains. */
static void conn_close_soon(struct ctl_conn *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
		conn_free(c);
}

/* ---- replies ---- */

static void emit_line(struct ctl_req *r, int chan, const char *line, size_t n)
{
	const char *pfx = ctlp_line_prefix(chan, line, n);

	evbuffer_add(r->out, pfx, strlen(pfx));
	evbuffer_add(r->out, line, n);
	evbuffer_add(r->out, "\n", 1);
}

/* Frame the complete lines pending on chan (all: the partial one too). */
static void flush_lines(struct ctl_req *r, int chan, int all)
{
	struct evbuffer *p = r->pend[chan];
	size_t n;
	char *line;

	while ((line = evbuffer_readln(p, &n, EVBUFFER_EOL_LF))) {
		emit_line(r, chan, line, n);
		free(line);
	}
	n = evbuffer_get_length(p);
	if (all && n) {
		line = (char *)evbuffer_pullup(p, (ssize_t)n);
		emit_line(r, chan, line, n);
		evbuffer_drain(p, n);
	}
}

void ctl_printf(struct ctl_req *r, int chan, const char *fmt, ...)
{
	va_list ap;

	if (chan != CTLP_STDERR)
		chan = CTLP_STDOUT;
	va_start(ap, fmt);
	evbuffer_add_vprintf(r->pend[chan], fmt, ap);
	va_end(ap);
	flush_lines(r, chan, 0);
}

void ctl_flush(struct ctl_req *r)
{
	flush_lines(r, CTLP_STDOUT, 0);
	flush_lines(r, CTLP_STDERR, 0);
	/* The body lines go out now; the status line still ends the reply. */
	if (r->conn)
		evbuffer_add_buffer(bufferevent_get_output(r->conn->bev), r->out);
}

void ctl_json_str(struct ctl_req *r, const char *s)
{
	size_t n = ctlp_json_escape(NULL, 0, s);
	char *buf = malloc(n + 1);

	if (!buf)
		return;
	ctlp_json_escape(buf, n + 1, s);
	ctl_printf(r, CTLP_STDOUT, "%s", buf);
	free(buf);
}

int ctl_req_fd(const struct ctl_req *r)
{
	return r->conn ? (int)bufferevent_getfd(r->conn->bev) : -1;
}

size_t ctl_req_queued(const struct ctl_req *r)
{
	return r->conn ? evbuffer_get_length(bufferevent_get_output(r->conn->bev)) : 0;
}

static void req_free(struct ctl_req *r)
{
	for (int i = 1; i <= 2; i++)
		evbuffer_free(r->pend[i]);
	evbuffer_free(r->out);
	free(r->words);
	free(r->line);
	free(r->state);
	free(r);
}

void ctl_done(struct ctl_req *r, int status)
{
	struct ctl_conn *c = r->conn;

	flush_lines(r, CTLP_STDOUT, 1);
	flush_lines(r, CTLP_STDERR, 1);
	if (c) {
		struct evbuffer *o = bufferevent_get_output(c->bev);

		evbuffer_add_buffer(o, r->out);
		evbuffer_add_printf(o, ".\nstatus %d\n", status);
		c->req = NULL;
	}
	req_free(r);
	/* A command that finished inside conn_process returns to its loop. */
	if (c && !c->dispatching)
		conn_process(c);
}

/* ---- requests ---- */

static struct ctl_req *req_new(struct ctl_conn *c, char *line)
{
	struct ctl_req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->conn = c;
	r->uid = c->uid;
	r->pid = c->pid;
	r->line = line;
	r->out = evbuffer_new();
	r->pend[1] = evbuffer_new();
	r->pend[2] = evbuffer_new();
	r->words = calloc(CTLP_MAX_WORDS + 1, sizeof *r->words);
	if (!r->out || !r->pend[1] || !r->pend[2] || !r->words) {
		req_free(r);
		return NULL;
	}
	return r;
}

/* Parse line (taken over) and run it. */
static void run_line(struct ctl_conn *c, char *line)
{
	struct ctl_req *r = req_new(c, line);
	char **w;
	int n;

	if (!r) {
		free(line);
		c->closing = 1;
		return;
	}
	c->req = r;
	w = r->words;
	n = ctlp_split(line, w, CTLP_MAX_WORDS);
	if (n > 0 && !strcmp(w[0], "--json")) {
		r->json = 1;
		w++;
		n--;
	}
	if (n <= 0) {
		int err = n < 0 ? errno : EINVAL;

		ctl_printf(r, CTLP_STDERR, "%s\n", n < 0 && err == E2BIG ?
			   "Too many arguments" : n < 0 ? "Bad escape in request" :
			   "Empty request");
		ctl_done(r, err);
		return;
	}
	r->cmd = w[0];
	r->argv = w + 1;
	r->argc = n - 1;
	ctl_dispatch(r);
}

static void reply_too_long(struct ctl_conn *c)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "!Request longer than %d bytes\n.\nstatus %d\n",
			    CTLP_MAX_LINE, E2BIG);
	c->closing = 1;
}

/* Drop input up to the end of an oversized line, then refuse it. */
static void skip_long_line(struct ctl_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	size_t n = eol.pos >= 0 ? (size_t)eol.pos + 1 : evbuffer_get_length(in);

	evbuffer_drain(in, n);
	c->skipping += n;
	if (eol.pos >= 0 || c->eof || c->skipping > CTL_MAX_SKIP)
		reply_too_long(c);
}

/* Take the next request line from the input: 1 and *line, or 0 if none
 * is complete yet (or an oversized one is being skipped). */
static int next_line(struct ctl_conn *c, char **line)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	size_t len = evbuffer_get_length(in);

	if (c->skipping || (eol.pos < 0 && len >= CTLP_MAX_LINE) ||
	    eol.pos >= CTLP_MAX_LINE) {
		skip_long_line(c);
		return 0;
	}
	if (eol.pos < 0 && !(c->eof && len))
		return 0;
	if (eol.pos < 0) {       /* an unterminated last line before EOF */
		*line = malloc(len + 1);
		if (*line) {
			evbuffer_remove(in, *line, len);
			(*line)[len] = '\0';
		} else {
			evbuffer_drain(in, len);
		}
		return *line ? 1 : 0;
	}
	*line = evbuffer_readln(in, NULL, EVBUFFER_EOL_LF);
	return *line ? 1 : 0;
}

/* Run queued requests until one goes asynchronous or input runs out. */
static void conn_process(struct ctl_conn *c)
{
	char *line;

	c->dispatching = 1;
	while (!c->req && !c->closing && next_line(c, &line))
		run_line(c, line);
	c->dispatching = 0;
	if (c->closing || (!c->req && c->eof))
		conn_close_soon(c);
	else if (c->req)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

/* ---- connection events ---- */

static void on_read(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;

	if (c->closing)
		conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *c = arg;

	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->eof = 1;
		if (!c->req && !c->closing)
			conn_process(c);
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct ucred cred;
	socklen_t credlen = sizeof cred;
	struct ctl_conn *c;
	struct timeval idle = { CTL_IDLE_SECS, 0 };

	if (nconns >= CTL_MAX_CONNS ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0 ||
	    !(c = calloc(1, sizeof *c))) {
		close(fd);
		return;
	}
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->bev = bufferevent_socket_new(V->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	nconns++;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ);
}

/* ---- the listening socket ---- */

/* Remove a socket file left by a dead venus; refuse to replace a live
 * one or anything that is not a socket. */
static int clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, live;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	live = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
	close(fd);
	if (live)
		return -EADDRINUSE;
	return unlink(sun->sun_path) < 0 && errno != ENOENT ? -errno : 0;
}

static int bind_socket(const char *path, int *fdp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (strlen(path) >= sizeof sun.sun_path)
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if ((err = clear_stale(&sun)) < 0)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Everyone may connect; ctl_cmds.c checks the peer's uid per command. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(path, 0666) < 0 || stat(path, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	*fdp = fd;
	return 0;
}

/* A client that vanishes must cost venus an EPIPE, not its life. */
static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

int ctl_start(const char *path)
{
	int fd, err;

	if ((err = bind_socket(path, &fd)) < 0) {
		vlog(LOG_ERR, "control socket %s: %s", path, strerror(-err));
		return err;
	}
	listener = evconnlistener_new(V->base, on_accept, NULL,
				      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, fd);
	if (!listener) {
		err = errno ? -errno : -ENOMEM;
		close(fd);
		unlink(path);
		vlog(LOG_ERR, "control socket %s: cannot listen", path);
		return err;
	}
	sock_path = strdup(path);
	ignore_sigpipe();
	vlog(LOG_INFO, "control socket %s", path);
	return 0;
}

void ctl_stop(void)
{
	struct stat st;

	while (conns)
		conn_free(conns);
	if (listener)
		evconnlistener_free(listener);
	listener = NULL;
	/* Unlink only our own socket, not one a newer venus has put there. */
	if (sock_path && stat(sock_path, &st) == 0 &&
	    st.st_dev == sock_dev && st.st_ino == sock_ino)
		unlink(sock_path);
	free(sock_path);
	sock_path = NULL;
}
