/*
 * ctl.c - venus's control socket: listening, connections, request lines
 * and reply framing (hesper/ctlproto.h).  The commands are in ctl_cmds.c.
 *
 * One request runs at a time per connection; reading pauses meanwhile so a
 * client cannot queue unbounded input.  Connections are capped per uid and
 * in all, with a reserve only root may use, and closed when idle or when
 * a request line does not arrive whole in time (doc/design.md "Local
 * users"), so no local user can lock root out.  A client that goes away while its
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
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/ctl/ctl.h"
#include "venus/ctl/ctl_int.h"
#include "tools/escape.h"

/* Connections beyond this are refused at once: cfs needs one, and fds
 * are better spent on container files.  CTL_ROOT_RESERVE of them only
 * root may take, and no other uid may hold more than CTL_MAX_PER_UID, so
 * that no local user can lock root's cfs out. */
#define CTL_MAX_CONNS 64
#define CTL_ROOT_RESERVE 8
#define CTL_MAX_PER_UID 8
/* An oversized request line is read and dropped up to its '\n' (closing
 * with unread input would reset the client before it sees the error), but
 * no further than this. */
#define CTL_MAX_SKIP (1024 * 1024)
/* A connection with no complete request for CTL_IDLE_SECS (counted from
 * its accept or the end of its last request; bytes that do not complete a
 * line do not count) is closed, and so is one whose request line has not
 * arrived whole CTL_LINE_SECS after its first byte: a trickle of bytes
 * cannot keep a connection.  One that does not read its reply is dropped
 * after CTL_WRITE_SECS without progress. */
#define CTL_IDLE_SECS 30
#define CTL_LINE_SECS 10
#define CTL_WRITE_SECS 60

struct ctl_conn {
	struct bufferevent *bev;
	uid_t               uid;
	gid_t               gid;
	pid_t               pid;
	struct ctl_req     *req;        /* the request running, or NULL */
	int                 eof;        /* peer shut down its sending side */
	int                 closing;    /* free once the output has drained */
	int                 dispatching;/* inside conn_process */
	size_t              skipping;   /* bytes of an oversized line dropped */
	struct event       *timer;      /* the idle and line deadlines */
	struct timespec     idle_since; /* accept, or the last request's end */
	struct timespec     line_since; /* first byte of a partial line, or 0 */
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
	if (c->timer)
		event_free(c->timer);
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
	event_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
		conn_free(c);
}

/* ---- deadlines ---- */

static struct timespec now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

/* Seconds from t to now (t in the past). */
static double since(struct timespec t)
{
	struct timespec n = now_mono();

	return (double)(n.tv_sec - t.tv_sec) + (double)(n.tv_nsec - t.tv_nsec) / 1e9;
}

/* Arm c's timer for its nearest deadline; none while a request runs (a
 * running command, or a subscribe stream, is not idle). */
static void conn_arm(struct ctl_conn *c)
{
	double left = CTL_IDLE_SECS - since(c->idle_since);
	struct timeval tv;

	if (c->req || c->closing) {
		event_del(c->timer);
		return;
	}
	if (c->line_since.tv_sec || c->line_since.tv_nsec) {
		double l = CTL_LINE_SECS - since(c->line_since);

		left = l < left ? l : left;
	}
	if (left < 0)
		left = 0;
	left += 1e-3;   /* wake just after the deadline, not just before */
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
	if (tv.tv_usec >= 1000000)
		tv.tv_usec = 999999;
	event_add(c->timer, &tv);
}

/* Note input that does not complete a line: its first byte starts the
 * line deadline; later bytes do not move it. */
static void conn_note_partial(struct ctl_conn *c)
{
	int partial = c->skipping || evbuffer_get_length(bufferevent_get_input(c->bev));

	if (!partial)
		c->line_since = (struct timespec){ 0, 0 };
	else if (!c->line_since.tv_sec && !c->line_since.tv_nsec)
		c->line_since = now_mono();
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;
	int line = (c->line_since.tv_sec || c->line_since.tv_nsec) &&
		   since(c->line_since) >= CTL_LINE_SECS;

	if (c->req || c->closing)
		return;
	if (!line && since(c->idle_since) < CTL_IDLE_SECS) {
		conn_arm(c);   /* woken early: not due yet */
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(c->bev), "!%s\n.\nstatus %d\n",
			    line ? "Request line not complete in time" :
			    "Idle too long", ETIMEDOUT);
	conn_close_soon(c);
}

/* ---- replies ---- */

/* One body line.  In text mode its control characters are escaped
 * (tools/escape.h) whatever the command printed: a name that slipped
 * through unescaped still cannot drive the user's terminal. */
static void emit_line(struct ctl_req *r, int chan, const char *line, size_t n)
{
	const char *pfx = ctlp_line_prefix(chan, line, n);
	char *tmp = NULL, *esc = NULL;

	if (!r->json && (tmp = strndup(line, n))) {
		size_t m = hs_esc_controls(NULL, 0, tmp);

		if (m != strlen(tmp) && (esc = malloc(m + 1))) {
			hs_esc_controls(esc, m + 1, tmp);
			line = esc;
			n = m;
		}
	}
	evbuffer_add(r->out, pfx, strlen(pfx));
	evbuffer_add(r->out, line, n);
	evbuffer_add(r->out, "\n", 1);
	free(esc);
	free(tmp);
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

/* ctl_esc and ctl_esc_controls: esc is hs_esc or hs_esc_controls. */
static const char *esc_slot(struct ctl_req *r, const char *s,
			    size_t (*esc)(char *, size_t, const char *))
{
	char **slot = &r->esc[r->esc_next++ % CTL_ESC_SLOTS];
	size_t n;

	if (r->json || (n = esc(NULL, 0, s)) == strlen(s))
		return s;
	free(*slot);
	if (!(*slot = malloc(n + 1)))
		return "?";
	esc(*slot, n + 1, s);
	return *slot;
}

const char *ctl_esc(struct ctl_req *r, const char *s)
{
	return esc_slot(r, s, hs_esc);
}

const char *ctl_esc_controls(struct ctl_req *r, const char *s)
{
	return esc_slot(r, s, hs_esc_controls);
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
	for (int i = 0; i < CTL_ESC_SLOTS; i++)
		free(r->esc[i]);
	free(r->words);
	free(r->line);
	free(r->state);
	free(r);
}

void ctl_done(struct ctl_req *r, int status)
{
	struct ctl_conn *c = r->conn;

	db_flush(V->db);   /* the command's changes are committed before its status leaves */
	flush_lines(r, CTLP_STDOUT, 1);
	flush_lines(r, CTLP_STDERR, 1);
	if (c) {
		struct evbuffer *o = bufferevent_get_output(c->bev);

		evbuffer_add_buffer(o, r->out);
		evbuffer_add_printf(o, ".\nstatus %d\n", status);
		c->req = NULL;
		c->idle_since = now_mono();
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
	r->gid = c->gid;
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
	while (!c->req && !c->closing && next_line(c, &line)) {
		c->line_since = (struct timespec){ 0, 0 };
		run_line(c, line);
	}
	c->dispatching = 0;
	if (!c->req && !c->closing)
		conn_note_partial(c);
	if (c->closing || (!c->req && c->eof)) {
		conn_close_soon(c);   /* may free c */
		return;
	}
	if (c->req)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
	conn_arm(c);
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

/* Connections held by uid. */
static int conns_of(uid_t uid)
{
	int n = 0;

	for (struct ctl_conn *c = conns; c; c = c->next)
		n += c->uid == uid;
	return n;
}

/* Why uid may not have one more connection, or NULL: root may use every
 * slot, others neither root's reserve nor more than CTL_MAX_PER_UID. */
static const char *over_limit(uid_t uid)
{
	if (nconns >= CTL_MAX_CONNS)
		return "too many control connections";
	if (uid == 0)
		return NULL;
	if (nconns >= CTL_MAX_CONNS - CTL_ROOT_RESERVE)
		return "too many control connections (the rest are kept for root)";
	if (conns_of(uid) >= CTL_MAX_PER_UID)
		return "too many control connections from your uid";
	return NULL;
}

/* Refuse a connection with a reply the client can read (a tiny write to
 * a fresh socket does not block), then close it. */
static void refuse(int fd, const char *why)
{
	char msg[200];
	int n = snprintf(msg, sizeof msg, "!venus: %s\n.\nstatus %d\n", why, EAGAIN);
	ssize_t w = write(fd, msg, (size_t)n);   /* best effort */

	(void)w;
	close(fd);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct ucred cred;
	socklen_t credlen = sizeof cred;
	struct ctl_conn *c;
	struct timeval wr = { CTL_WRITE_SECS, 0 };
	const char *why;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0) {
		close(fd);
		return;
	}
	if ((why = over_limit(cred.uid))) {
		refuse(fd, why);
		return;
	}
	if (!(c = calloc(1, sizeof *c))) {
		close(fd);
		return;
	}
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->bev = bufferevent_socket_new(V->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = c->bev ? evtimer_new(V->base, on_timer, c) : NULL;
	if (!c->timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	nconns++;
	c->idle_since = now_mono();
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	/* No read timeout: on_timer's deadlines, which input does not move. */
	bufferevent_set_timeouts(c->bev, NULL, &wr);
	bufferevent_enable(c->bev, EV_READ);
	conn_arm(c);
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
