/*
 * vflood - hostile load on vice for the "server that holds" tests
 * (issue 9 item 7; test/integration/hold_*.sh).
 *
 *   vflood [--src ADDR] [--wait SECS] MODE HOST PORT N [NAME]
 *
 *   pipeline   N conns: TLS, HS_CONNECT, HS_LOOKUP of NAME in the root
 *              directory (fid 1.1.1), then DEPTH HS_FETCH calls of 4 MiB
 *              each sent at once; no reply to them is ever read.
 *   partial    N conns: TLS, HS_CONNECT, then a record header announcing
 *              4 MiB followed by 2 MiB of it, and nothing more.
 *   idle-tcp   N TCP connections; nothing is sent.
 *   idle-tls   N TLS handshakes; nothing more.
 *   idle-hello N conns: TLS and HS_CONNECT, then idle.
 *
 * --src binds each connection's source address (e.g. 127.0.0.2: loopback
 * has all of 127/8), so the server sees one host distinct from a venus.
 * After trying all N it prints "vflood: opened A refused B" (refused: reset,
 * or the handshake or HS_CONNECT failed), then "vflood: closed by server C"
 * whenever C changes, and "vflood: all closed" once every opened
 * connection was closed by the server.  With --wait SECS (partial: 120 if
 * not given) it exits 0 then, or 1 if some are still open after SECS;
 * otherwise it holds them until SIGTERM or SIGINT (exit 0).
 *
 * Plain blocking sockets and OpenSSL, no certificate check: a test tool,
 * not the transport.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <rpc/rpc.h>

#include "hesper.h"

#define IO_TIMEOUT_S 10
#define DEPTH 64                       /* fetches in flight per conn */
#define REC_MAX (HS_CHUNK_MAX + 65536)

enum mode { PIPELINE, PARTIAL, IDLE_TCP, IDLE_TLS, IDLE_HELLO };

struct conn {
	int fd;
	SSL *ssl;
};

static volatile sig_atomic_t stop;
static uint32_t next_xid = 1;

static void on_signal(int sig)
{
	stop = 1;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: vflood [--src ADDR] [--wait SECS] "
		"pipeline|partial|idle-tcp|idle-tls|idle-hello HOST PORT N [NAME]\n");
	exit(2);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int write_all(struct conn *c, const void *buf, size_t len)
{
	size_t n;

	return len == 0 || (SSL_write_ex(c->ssl, buf, len, &n) == 1 && n == len)
	       ? 0 : -1;
}

static int read_all(struct conn *c, void *buf, size_t len)
{
	size_t got = 0, n;

	while (got < len) {
		if (SSL_read_ex(c->ssl, (char *)buf + got, len - got, &n) != 1)
			return -1;
		got += n;
	}
	return 0;
}

/* One HS_VICE_PROG call (AUTH_NONE) with args, as one record. */
static int send_call(struct conn *c, uint32_t proc, xdrproc_t argproc,
		     void *args)
{
	static unsigned char buf[4096];
	struct rpc_msg m;
	XDR x;
	int ok;

	memset(&m, 0, sizeof m);
	m.rm_xid = next_xid++;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = RPC_MSG_VERSION;
	m.rm_call.cb_prog = HS_VICE_PROG;
	m.rm_call.cb_vers = HS_VICE_V1;
	m.rm_call.cb_proc = proc;
	m.rm_call.cb_cred.oa_flavor = AUTH_NONE;
	m.rm_call.cb_verf.oa_flavor = AUTH_NONE;
	xdrmem_create(&x, (char *)buf + 4, sizeof buf - 4, XDR_ENCODE);
	ok = xdr_callmsg(&x, &m) && argproc(&x, args);
	put32(buf, 0x80000000u | xdr_getpos(&x));
	ok = ok && write_all(c, buf, 4 + xdr_getpos(&x)) == 0;
	xdr_destroy(&x);
	return ok ? 0 : -1;
}

/* Read one single-fragment reply and decode its results into res. */
static int read_reply(struct conn *c, xdrproc_t resproc, void *res)
{
	static unsigned char buf[65536];
	unsigned char hdr[4];
	char verf[MAX_AUTH_BYTES];
	struct rpc_msg m;
	uint32_t len;
	XDR x;
	int ok;

	if (read_all(c, hdr, 4) < 0)
		return -1;
	len = ((uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	       (uint32_t)hdr[2] << 8 | hdr[3]) & 0x7fffffffu;
	if (!(hdr[0] & 0x80) || len > sizeof buf || read_all(c, buf, len) < 0)
		return -1;
	memset(&m, 0, sizeof m);
	m.acpted_rply.ar_verf.oa_base = verf;
	m.acpted_rply.ar_results.where = res;
	m.acpted_rply.ar_results.proc = resproc;
	xdrmem_create(&x, (char *)buf, len, XDR_DECODE);
	ok = xdr_replymsg(&x, &m) && m.rm_reply.rp_stat == MSG_ACCEPTED &&
	     m.acpted_rply.ar_stat == SUCCESS;
	xdr_destroy(&x);
	return ok ? 0 : -1;
}

static int hs_connect(struct conn *c)
{
	unsigned char key[HS_CLIENT_KEY];
	hs_connect_args a;
	hs_connect_res r;
	int ok;

	memset(&a, 0, sizeof a);
	memset(&r, 0, sizeof r);
	a.proto_version = HS_PROTO_VERSION;
	if (RAND_bytes((unsigned char *)&a.client_id, sizeof a.client_id) != 1 ||
	    RAND_bytes(key, sizeof key) != 1)
		return -1;
	a.client_id |= 1;
	a.client_name = (char *)"vflood";
	a.client_key.client_key_len = sizeof key;
	a.client_key.client_key_val = (char *)key;
	ok = send_call(c, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &a) == 0 &&
	     read_reply(c, (xdrproc_t)xdr_hs_connect_res, &r) == 0 &&
	     r.status == 0;
	xdr_free((xdrproc_t)xdr_hs_connect_res, (char *)&r);
	return ok ? 0 : -1;
}

static int lookup(struct conn *c, const char *name, hs_fid *fid)
{
	hs_lookup_args a = { { 1, 1, 1 }, (char *)name };
	hs_lookup_res r;
	int ok;

	memset(&r, 0, sizeof r);
	ok = send_call(c, HS_LOOKUP, (xdrproc_t)xdr_hs_lookup_args, &a) == 0 &&
	     read_reply(c, (xdrproc_t)xdr_hs_lookup_res, &r) == 0 &&
	     r.status == 0;
	if (ok)
		*fid = r.hs_lookup_res_u.ok.obj.fid;
	xdr_free((xdrproc_t)xdr_hs_lookup_res, (char *)&r);
	return ok ? 0 : -1;
}

/* DEPTH fetches of 4 MiB at offset 0, sent back to back. */
static int pipeline(struct conn *c, const hs_fid *fid)
{
	hs_fetch_args a = { *fid, 0, HS_CHUNK_MAX };
	int i;

	for (i = 0; i < DEPTH; i++)
		if (send_call(c, HS_FETCH, (xdrproc_t)xdr_hs_fetch_args, &a) < 0)
			return -1;
	return 0;
}

/* A record header announcing 4 MiB, then half of it. */
static int partial(struct conn *c)
{
	static unsigned char chunk[65536];
	unsigned char hdr[4];
	size_t sent;

	put32(hdr, 0x80000000u | HS_CHUNK_MAX);
	if (write_all(c, hdr, 4) < 0)
		return -1;
	for (sent = 0; sent < HS_CHUNK_MAX / 2; sent += sizeof chunk)
		if (write_all(c, chunk, sizeof chunk) < 0)
			return -1;
	return 0;
}

static int tcp_open(const struct addrinfo *ai, const char *src)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (src) {
		struct addrinfo hints = { .ai_family = ai->ai_family,
					  .ai_flags = AI_NUMERICHOST }, *s;
		int ok;

		if (getaddrinfo(src, NULL, &hints, &s) != 0) {
			fprintf(stderr, "vflood: bad --src %s\n", src);
			exit(2);
		}
		ok = bind(fd, s->ai_addr, s->ai_addrlen) == 0;
		freeaddrinfo(s);
		if (!ok) {
			perror("vflood: bind --src");
			exit(2);
		}
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open one conn in mode m; 0 or -1 (refused or failed). */
static int open_one(struct conn *c, SSL_CTX *ctx, const struct addrinfo *ai,
		    const char *src, enum mode m, const char *name)
{
	hs_fid fid;

	c->ssl = NULL;
	if ((c->fd = tcp_open(ai, src)) < 0)
		return -1;
	if (m == IDLE_TCP)
		return 0;
	if (!(c->ssl = SSL_new(ctx)) || !SSL_set_fd(c->ssl, c->fd) ||
	    SSL_connect(c->ssl) != 1)
		return -1;
	if (m == IDLE_TLS)
		return 0;
	if (hs_connect(c) < 0)
		return -1;
	if (m == PIPELINE)
		return lookup(c, name, &fid) < 0 || pipeline(c, &fid) < 0
		       ? -1 : 0;
	if (m == PARTIAL)
		return partial(c);
	return 0;
}

static void close_one(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

static enum mode parse_mode(const char *s)
{
	static const char *names[] = { "pipeline", "partial", "idle-tcp",
				       "idle-tls", "idle-hello" };
	unsigned i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i]))
			return (enum mode)i;
	usage();
}

/* Enough fds for n connections. */
static void raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Watch the opened conns until the server closed them all (1), or until a
 * signal or the wait ran out (0).  Never reads: POLLRDHUP/HUP/ERR only. */
static int watch(struct pollfd *pf, struct conn *cs, long n, long opened,
		 long wait_s)
{
	time_t end = time(NULL) + wait_s;
	long closed = 0, last = -1, i;

	while (!stop && (wait_s <= 0 || time(NULL) < end)) {
		if (closed != last) {
			printf("vflood: closed by server %ld\n", closed);
			fflush(stdout);
			last = closed;
		}
		if (closed == opened) {
			printf("vflood: all closed\n");
			fflush(stdout);
			return 1;
		}
		if (poll(pf, (nfds_t)n, 1000) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (pf[i].fd < 0 ||
			    !(pf[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				continue;
			pf[i].fd = -1;
			close_one(&cs[i]);
			closed++;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *src = NULL, *name = NULL;
	long n, wait_s = 0, i, opened = 0;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct conn *cs;
	struct pollfd *pf;
	enum mode m;
	SSL_CTX *ctx;
	int all;

	while (argc > 2 && !strncmp(argv[1], "--", 2)) {
		if (!strcmp(argv[1], "--src"))
			src = argv[2];
		else if (!strcmp(argv[1], "--wait"))
			wait_s = atol(argv[2]);
		else
			usage();
		argc -= 2;
		argv += 2;
	}
	if (argc < 5 || argc > 6)
		usage();
	m = parse_mode(argv[1]);
	n = atol(argv[4]);
	name = argc == 6 ? argv[5] : NULL;
	if (n <= 0 || (m == PIPELINE && !name))
		usage();
	if (m == PARTIAL && wait_s <= 0)
		wait_s = 120;
	if (getaddrinfo(argv[2], argv[3], &hints, &ai) != 0) {
		fprintf(stderr, "vflood: cannot resolve %s port %s\n",
			argv[2], argv[3]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	raise_nofile(n);
	ctx = SSL_CTX_new(TLS_client_method());
	cs = calloc((size_t)n, sizeof *cs);
	pf = calloc((size_t)n, sizeof *pf);
	if (!ctx || !cs || !pf)
		return 2;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	for (i = 0; i < n && !stop; i++) {
		pf[i].fd = -1;
		if (open_one(&cs[i], ctx, ai, src, m, name) < 0) {
			close_one(&cs[i]);
			continue;
		}
		pf[i].fd = cs[i].fd;
		pf[i].events = POLLRDHUP;
		opened++;
	}
	for (; i < n; i++)
		pf[i].fd = -1;
	printf("vflood: opened %ld refused %ld\n", opened, n - opened);
	fflush(stdout);
	all = watch(pf, cs, n, opened, wait_s);
	if (!all && wait_s <= 0) {
		/* Keep holding until told to stop. */
		while (!stop)
			pause();
	}
	for (i = 0; i < n; i++)
		close_one(&cs[i]);
	free(cs);
	free(pf);
	SSL_CTX_free(ctx);
	freeaddrinfo(ai);
	return wait_s > 0 && !all ? 1 : 0;
}
