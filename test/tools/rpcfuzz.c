/*
 * rpcfuzz - a hostile Hesper RPC peer for the integration tests.
 *
 *   rpcfuzz client HOST PORT
 *	Connects to a server (vice) with TLS 1.3, no certificate check, and
 *	sends one malformed input per fresh connection: an oversized record
 *	length, a truncated record then close, HS_LOOKUP whose name claims
 *	0xfffffff0 bytes, RPC version 3, an unknown program, garbage bytes,
 *	and a reply to an xid never used.  After each it expects the server
 *	to close the connection or answer with an RPC error, then a good
 *	HS_NULL call on a new connection must succeed.  One line per case;
 *	exit 0 if the server survived and behaved, 1 otherwise.
 *
 *   rpcfuzz server PORT CERT KEY
 *	A fake vice: accepts TLS connections (IPv6 dual-stack or IPv4) and,
 *	after each client's first call, sends a CALL to HS_CB_PROG
 *	HS_CB_BREAK whose fid list claims 0xffffffff entries, then an
 *	oversized record header; it then drains the connection until the
 *	client closes.  Prints "rpcfuzz: listening on port N" once bound and
 *	one line per client.  Each client is served by a child process.
 *	Runs until killed.
 *
 * Plain blocking sockets and OpenSSL: this is a test tool, not the
 * transport.  The malformed bytes are built by hand on purpose; well-formed
 * headers come from libtirpc's xdr_callmsg / xdr_replymsg.
 */
#include <config.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rpc/rpc.h>

#include "hesper.h"
#include "test/unit/testlib.h"

#define IO_TIMEOUT_S 10

enum outcome { GOT_CLOSE, GOT_ERROR_REPLY, GOT_OK_REPLY, GOT_NOTHING };

static const char *outcome_name[] = {
	"connection closed", "error reply", "success reply", "no answer"
};

struct peer {
	int fd;
	SSL *ssl;
};

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static SSL_CTX *make_ctx(int server, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
					  : TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (server &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void peer_close(struct peer *p)
{
	if (p->ssl)
		SSL_free(p->ssl);
	if (p->fd >= 0)
		close(p->fd);
	p->ssl = NULL;
	p->fd = -1;
}

static int write_all(struct peer *p, const void *buf, size_t len)
{
	size_t n;

	return len == 0 || (SSL_write_ex(p->ssl, buf, len, &n) == 1 && n == len)
	       ? 0 : -1;
}

static int read_all(struct peer *p, void *buf, size_t len)
{
	size_t got = 0, n;

	while (got < len) {
		if (SSL_read_ex(p->ssl, (char *)buf + got, len - got, &n) != 1)
			return -1;
		got += n;
	}
	return 0;
}

/* Send msg as one last-fragment record. */
static int send_record(struct peer *p, const void *msg, size_t len)
{
	unsigned char hdr[4];

	put32(hdr, 0x80000000u | (uint32_t)len);
	return write_all(p, hdr, 4) || write_all(p, msg, len) ? -1 : 0;
}

/* Read one record (at most cap bytes; single fragment suffices for the
 * peers we talk to).  Returns its length or -1 on close/error/timeout. */
static long read_record(struct peer *p, unsigned char *buf, size_t cap)
{
	unsigned char hdr[4];
	size_t len, total = 0;

	do {
		if (read_all(p, hdr, 4) < 0)
			return -1;
		len = get32(hdr) & 0x7fffffffu;
		if (total + len > cap)
			return -1;
		if (read_all(p, buf + total, len) < 0)
			return -1;
		total += len;
	} while (!(get32(hdr) & 0x80000000u));
	return (long)total;
}

/* ---- building messages ---- */

/* An RFC 5531 CALL header (AUTH_NONE) into buf; returns its length. */
static size_t call_header(unsigned char *buf, size_t cap, uint32_t xid,
			  uint32_t prog, uint32_t vers, uint32_t proc)
{
	struct rpc_msg m;
	XDR x;
	size_t n;

	memset(&m, 0, sizeof m);
	m.rm_xid = xid;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = RPC_MSG_VERSION;
	m.rm_call.cb_prog = prog;
	m.rm_call.cb_vers = vers;
	m.rm_call.cb_proc = proc;
	m.rm_call.cb_cred.oa_flavor = AUTH_NONE;
	m.rm_call.cb_verf.oa_flavor = AUTH_NONE;
	xdrmem_create(&x, (char *)buf, (u_int)cap, XDR_ENCODE);
	n = xdr_callmsg(&x, &m) ? xdr_getpos(&x) : 0;
	xdr_destroy(&x);
	return n;
}

/* A successful REPLY header with no results; returns its length. */
static size_t reply_header(unsigned char *buf, size_t cap, uint32_t xid)
{
	struct rpc_msg m;
	XDR x;
	size_t n;

	memset(&m, 0, sizeof m);
	m.rm_xid = xid;
	m.rm_direction = REPLY;
	m.rm_reply.rp_stat = MSG_ACCEPTED;
	m.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
	m.acpted_rply.ar_stat = SUCCESS;
	m.acpted_rply.ar_results.proc = TL_XDR_NONE;
	xdrmem_create(&x, (char *)buf, (u_int)cap, XDR_ENCODE);
	n = xdr_replymsg(&x, &m) ? xdr_getpos(&x) : 0;
	xdr_destroy(&x);
	return n;
}

/* Classify what came back: a reply with a non-SUCCESS status, a good
 * reply, or the connection going away. */
static enum outcome await_answer(struct peer *p)
{
	static unsigned char buf[65536];
	long n = read_record(p, buf, sizeof buf);
	uint32_t stat;

	if (n < 0)
		return GOT_CLOSE;
	if (n < 12 || get32(buf + 4) != REPLY)
		return GOT_NOTHING;
	if (get32(buf + 8) != MSG_ACCEPTED)
		return GOT_ERROR_REPLY;
	if (n < 24)
		return GOT_NOTHING;
	/* verifier: flavor, length (bounded), body */
	stat = get32(buf + 16);
	if (stat > 400 || (long)(24 + ((stat + 3) & ~3u)) > n)
		return GOT_NOTHING;
	stat = get32(buf + 20 + ((stat + 3) & ~3u));
	return stat == SUCCESS ? GOT_OK_REPLY : GOT_ERROR_REPLY;
}

/* ---- client mode ---- */

static int dial(struct peer *p, SSL_CTX *ctx, const char *host,
		const char *port)
{
	struct addrinfo hints, *ai, *a;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	p->fd = -1;
	p->ssl = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	for (a = ai; a; a = a->ai_next) {
		p->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (p->fd < 0)
			continue;
		set_timeouts(p->fd);
		if (connect(p->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(p->fd);
		p->fd = -1;
	}
	freeaddrinfo(ai);
	if (p->fd < 0)
		return -1;
	p->ssl = SSL_new(ctx);
	if (!p->ssl || SSL_set_fd(p->ssl, p->fd) != 1 ||
	    SSL_connect(p->ssl) != 1) {
		peer_close(p);
		return -1;
	}
	return 0;
}

typedef int (*case_fn)(struct peer *p);

static int case_oversize(struct peer *p)
{
	static const unsigned char hdr[8] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4 };

	return write_all(p, hdr, sizeof hdr);
}

static int case_truncated(struct peer *p)
{
	unsigned char buf[14];

	put32(buf, 0x80000000u | 100);   /* claims 100 bytes, sends 10 */
	memset(buf + 4, 0x42, 10);
	if (write_all(p, buf, sizeof buf) < 0)
		return -1;
	return shutdown(p->fd, SHUT_WR);
}

static int case_bad_args(struct peer *p)
{
	unsigned char buf[256];
	size_t n = call_header(buf, sizeof buf, 0x1001, HS_VICE_PROG,
			       HS_VICE_V1, HS_LOOKUP);

	put32(buf + n, 1);               /* fid ... */
	put32(buf + n + 4, 1);
	put32(buf + n + 8, 1);
	put32(buf + n + 12, 0xfffffff0u); /* ... and a name of ~4 GiB */
	memcpy(buf + n + 16, "abcdefgh", 8);
	return n ? send_record(p, buf, n + 24) : -1;
}

static int case_bad_rpcvers(struct peer *p)
{
	unsigned char buf[128];
	size_t n = call_header(buf, sizeof buf, 0x1002, HS_VICE_PROG,
			       HS_VICE_V1, HS_NULL);

	put32(buf + 8, 3);   /* xdr_callmsg refuses to encode rpcvers != 2 */
	return n ? send_record(p, buf, n) : -1;
}

static int case_bad_prog(struct peer *p)
{
	unsigned char buf[128];
	size_t n = call_header(buf, sizeof buf, 0x1003, 0x7ffff001u, 1, 0);

	return n ? send_record(p, buf, n) : -1;
}

static int case_garbage(struct peer *p)
{
	unsigned char buf[64];
	size_t i;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(0xde + i * 37);
	return send_record(p, buf, sizeof buf);
}

static int case_stray_reply(struct peer *p)
{
	unsigned char buf[128];
	size_t n = reply_header(buf, sizeof buf, 0x5eadbeefu);

	return n ? send_record(p, buf, n) : -1;
}

static int case_null(struct peer *p)
{
	unsigned char buf[128];
	size_t n = call_header(buf, sizeof buf, 0x2000, HS_VICE_PROG,
			       HS_VICE_V1, HS_NULL);

	return n ? send_record(p, buf, n) : -1;
}

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "oversized record length", case_oversize },
	{ "truncated record then close", case_truncated },
	{ "HS_LOOKUP with a 0xfffffff0-byte name", case_bad_args },
	{ "RPC version 3", case_bad_rpcvers },
	{ "unknown program", case_bad_prog },
	{ "garbage bytes", case_garbage },
	{ "reply to an unknown xid", case_stray_reply },
};

static int run_client(const char *host, const char *port)
{
	SSL_CTX *ctx = make_ctx(0, NULL, NULL);
	struct peer p;
	size_t i;
	int bad = 0;
	enum outcome o;

	if (!ctx)
		return 1;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (dial(&p, ctx, host, port) < 0) {
			printf("FAIL %s: cannot connect\n", cases[i].name);
			bad = 1;
			continue;
		}
		o = cases[i].fn(&p) < 0 ? GOT_CLOSE : await_answer(&p);
		bad |= o != GOT_CLOSE && o != GOT_ERROR_REPLY;
		printf("%s %s: %s\n",
		       o == GOT_CLOSE || o == GOT_ERROR_REPLY ? "ok  " : "FAIL",
		       cases[i].name, outcome_name[o]);
		peer_close(&p);
	}
	if (dial(&p, ctx, host, port) < 0 || case_null(&p) < 0 ||
	    (o = await_answer(&p)) != GOT_OK_REPLY) {
		printf("FAIL server no longer serves HS_NULL\n");
		bad = 1;
	} else {
		printf("ok   HS_NULL after the above: %s\n", outcome_name[o]);
	}
	peer_close(&p);
	SSL_CTX_free(ctx);
	fflush(stdout);
	return bad;
}

/* ---- server mode ---- */

static void hostile_session(SSL_CTX *ctx, int fd)
{
	static unsigned char buf[1 << 20];
	struct peer p = { fd, SSL_new(ctx) };
	size_t n;
	long r;

	set_timeouts(fd);
	if (!p.ssl || SSL_set_fd(p.ssl, fd) != 1 || SSL_accept(p.ssl) != 1 ||
	    read_record(&p, buf, sizeof buf) < 0) {
		printf("rpcfuzz: client gone before its first call\n");
		goto out;
	}
	n = call_header(buf, sizeof buf, 0x3001, HS_CB_PROG, HS_CB_V1,
			HS_CB_BREAK);
	put32(buf + n, 0xffffffffu);     /* fid list of 4 G entries */
	put32(buf + n + 4, 1);
	if (send_record(&p, buf, n + 8) < 0)
		goto out;
	put32(buf, 0xffffffffu);          /* then a 2 GiB record */
	memset(buf + 4, 0, 60);
	write_all(&p, buf, 64);
	while ((r = read_record(&p, buf, sizeof buf)) >= 0)
		;
	printf("rpcfuzz: sent hostile records; client closed\n");
out:
	fflush(stdout);
	peer_close(&p);
}

static int listen_any(const char *port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int off = 0, on = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	s6.sin6_port = s4.sin_port = htons((uint16_t)atoi(port));
	s6.sin6_addr = in6addr_any;
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, (struct sockaddr *)&s6, sizeof s6) == 0 &&
		    listen(fd, 16) == 0)
			return fd;
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&s4, sizeof s4) < 0 ||
	    listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6
		     ? ((struct sockaddr_in6 *)&ss)->sin6_port
		     : ((struct sockaddr_in *)&ss)->sin_port);
}

static int run_server(const char *port, const char *cert, const char *key)
{
	SSL_CTX *ctx = make_ctx(1, cert, key);
	int lfd = listen_any(port);

	if (!ctx || lfd < 0) {
		fprintf(stderr, "rpcfuzz: cannot set up server on port %s\n",
			port);
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);   /* children reap themselves */
	signal(SIGPIPE, SIG_IGN);
	printf("rpcfuzz: listening on port %d\n", bound_port(lfd));
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (fork() == 0) {
			close(lfd);
			hostile_session(ctx, fd);
			_exit(0);
		}
		close(fd);
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "client") == 0)
		return run_client(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "server") == 0)
		return run_server(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: rpcfuzz client HOST PORT\n"
			"       rpcfuzz server PORT CERT KEY\n");
	return 2;
}
