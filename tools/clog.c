/*
 * tools/clog.c - authenticate to vice and hand venus a token (clog(1),
 * Coda's clog): a SASL exchange (Cyrus SASL client: SCRAM-SHA-256, or
 * GSSAPI with -kerberos) in HS_AUTH calls over TLS, then the control
 * command "tokenset".  The password never leaves this process: SCRAM
 * proves knowledge of it (RFC 5802), and vice's last message proves vice
 * holds the verifier, which clog checks before believing the token.
 *
 * Where vice is and how to trust its certificate come from venus
 * ("serverinfo [REALM]": host, port, and the pin venus recorded, or its
 * cafile); with user@realm the realm's server is asked and the token is
 * handed in for that realm only (Coda keeps one token per realm).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include <event2/event.h>
#include <sasl/sasl.h>

#include "config.h"
#include "hesper.h"
#include <hesper/rpc.h>
#include <hesper/ctlproto.h>
#include <hesper/saslpolicy.h>
#include "ctlclient.h"

#define PASS_MAX 1024

struct opts {
	int pipe, kerberos;
	unsigned lifetime;
	const char *host;       /* -host: HOST or HOST:PORT */
	const char *sock;
	char user[256];
	char realm[256];        /* "" unless user@realm was given */
};

/* What venus said about vice. */
struct sinfo {
	char host[256];
	int port;
	char realm[256];
	char cafile[4096];
	char pin[HRPC_FP_LEN];  /* for host:port; "" if none */
	char pins[16][2][300];  /* every "pin NAME FP" line */
	unsigned npins;
};

/* The exchange in flight. */
struct run {
	struct event_base *base;
	struct hrpc_conn *conn;
	sasl_conn_t *sc;
	const struct opts *o;
	struct sinfo *si;
	const char *mech;
	char pass[PASS_MAX];
	uint64_t session;
	int err;                /* 0 while going, else why it stopped */
	char why[256];          /* message for err; "" if none */
	int done;
	/* the result */
	unsigned char token[HS_TOKEN_MAX];
	unsigned toklen;
	int32_t vid;
	char name[HS_MAXNAMELEN + 1];
	int64_t expires;
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "Usage: clog [-pipe] [-host HOST[:PORT]] [-lifetime SECS] "
		"[-kerberos] [--socket PATH] [user][@realm]\n");
	exit(1);
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("clog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void parse(int argc, char **argv, struct opts *o)
{
	const char *who = NULL;
	struct passwd *pw;
	char *end;
	int i;

	o->sock = getenv(CTLP_ENV_SOCKET);
	for (i = 1; i < argc; i++) {
		if (ctlc_socket_opt(argc, argv, &i, &o->sock))
			continue;
		if (!strcmp(argv[i], "--version")) {
			printf("clog (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		} else if (!strcmp(argv[i], "-pipe")) {
			o->pipe = 1;
		} else if (!strcmp(argv[i], "-kerberos")) {
			o->kerberos = 1;
		} else if (!strcmp(argv[i], "-host") && i + 1 < argc) {
			o->host = argv[++i];
		} else if (!strcmp(argv[i], "-lifetime") && i + 1 < argc) {
			long v;

			errno = 0;
			v = strtol(argv[++i], &end, 10);
			if (errno || *end || v < 1 || v > 365L * 86400)
				die("bad lifetime \"%s\" (seconds)", argv[i]);
			o->lifetime = (unsigned)v;
		} else if (argv[i][0] == '-' || who) {
			fprintf(stderr, "Wrong argument: %s\n", argv[i]);
			usage();
		} else {
			who = argv[i];
		}
	}
	if (!o->sock)
		o->sock = CTLP_DEFAULT_SOCKET;
	if (who) {
		const char *at = strchr(who, '@');
		size_t n = at ? (size_t)(at - who) : strlen(who);

		if (n >= sizeof o->user || (at && strlen(at + 1) >= sizeof o->realm))
			die("name too long: %s", who);
		memcpy(o->user, who, n);
		o->user[n] = '\0';
		if (at)
			snprintf(o->realm, sizeof o->realm, "%s", at + 1);
	}
	if (!*o->user && !o->kerberos) {
		pw = getpwuid(getuid());
		if (!pw) {
			fprintf(stderr, "Can't figure out your username or realm.\n"
				"Try \"clog user[@realm]\"\n");
			exit(1);
		}
		snprintf(o->user, sizeof o->user, "%s", pw->pw_name);
	}
}

/* ---- venus ---- */

static void info_line(void *arg, int chan, const char *text)
{
	struct sinfo *si = arg;

	if (chan != CTLP_STDOUT) {
		fprintf(stderr, "clog: venus: %s\n", text);
		return;
	}
	/* The first server of several (a realm's): clog needs one. */
	if (!strncmp(text, "server ", 7) && !*si->host)
		sscanf(text + 7, "%255s %d", si->host, &si->port);
	else if (!strncmp(text, "realm ", 6))
		snprintf(si->realm, sizeof si->realm, "%s", text + 6);
	else if (!strncmp(text, "cafile ", 7))
		snprintf(si->cafile, sizeof si->cafile, "%s", text + 7);
	else if (!strncmp(text, "pin ", 4) && si->npins < 16 &&
		 sscanf(text + 4, "%299s %299s", si->pins[si->npins][0],
			si->pins[si->npins][1]) == 2)
		si->npins++;
}

static void ask_venus(const struct opts *o, struct sinfo *si)
{
	const char *words[] = { "serverinfo", o->realm };
	struct ctlc_link l;
	int rc;

	if (ctlc_open(&l, o->sock))
		die("cannot talk to venus at %s: %s (is venus running?)", o->sock,
		    strerror(errno));
	/* user@realm: venus finds the realm's servers (realms file, DNS). */
	rc = ctlc_transact(&l, *o->realm ? 2 : 1, words, info_line, si);
	ctlc_close(&l);
	if (rc)
		die("venus did not say where vice is (status %d)", rc);
	if (!*si->host || si->port <= 0)
		die("venus did not say where vice is");
}

/* -host HOST[:PORT] or [V6]:PORT overrides venus's server. */
static void apply_host(const char *h, struct sinfo *si)
{
	const char *colon = strrchr(h, ':');
	char host[256];

	if (h[0] == '[') {
		const char *close = strchr(h, ']');

		if (!close || (close[1] && close[1] != ':'))
			die("bad -host %s", h);
		snprintf(host, sizeof host, "%.*s", (int)(close - h - 1), h + 1);
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(h, ':') != colon) {
		colon = NULL;   /* a bare IPv6 address */
		snprintf(host, sizeof host, "%s", h);
	} else {
		snprintf(host, sizeof host, "%.*s",
			 (int)(colon ? (size_t)(colon - h) : strlen(h)), h);
	}
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);

		if (*end || p < 1 || p > 65535)
			die("bad port in -host %s", h);
		si->port = (int)p;
	}
	snprintf(si->host, sizeof si->host, "%s", host);
}

/* The pin for host:port, named as venus names it ("[v6]:port"). */
static void find_pin(struct sinfo *si)
{
	char name[300];
	unsigned i;

	if (strchr(si->host, ':'))
		snprintf(name, sizeof name, "[%s]:%d", si->host, si->port);
	else
		snprintf(name, sizeof name, "%s:%d", si->host, si->port);
	for (i = 0; i < si->npins; i++)
		if (!strcmp(si->pins[i][0], name))
			snprintf(si->pin, sizeof si->pin, "%s", si->pins[i][1]);
}

static void hand_to_venus(const struct opts *o, const struct run *r)
{
	char hex[2 * HS_TOKEN_MAX + 1], vid[16], exp[24];
	const char *words[6] = { "tokenset", vid, exp, hex, r->name, r->si->realm };
	struct ctlc_link l;
	unsigned i;
	int rc;

	for (i = 0; i < r->toklen; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->token[i]);
	snprintf(vid, sizeof vid, "%d", r->vid);
	snprintf(exp, sizeof exp, "%lld", (long long)r->expires);
	if (ctlc_open(&l, o->sock))
		die("Local login only, could not contact venus: %s", strerror(errno));
	rc = ctlc_transact(&l, *r->si->realm ? 6 : 5, words, ctlc_print_line, NULL);
	ctlc_close(&l);
	if (rc)
		die("venus refused the token (%s)", rc > 0 ? strerror(rc) : "no reply");
}

/* ---- the password ---- */

static void get_pass(const struct opts *o, char *buf, size_t n)
{
	struct termios old, quiet;
	FILE *in = stdin, *tty = NULL;
	int echo_off = 0;
	size_t len;

	if (!o->pipe && isatty(0) && (tty = fopen("/dev/tty", "r+"))) {
		in = tty;
		fputs("Password: ", tty);
		fflush(tty);
		if (tcgetattr(fileno(tty), &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = !tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
		}
	}
	if (!fgets(buf, (int)n, in))
		buf[0] = '\0';
	if (echo_off)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	if (tty) {
		fputc('\n', tty);
		fclose(tty);
	}
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (!len)
		die("no password given");
}

/* ---- SASL ---- */

static int cb_name(void *ctx, int id, const char **result, unsigned *len)
{
	struct run *r = ctx;

	*result = id == SASL_CB_USER ? "" : r->o->user;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

/* The password as SASL wants it; wiped with r->pass after the exchange. */
static union {
	sasl_secret_t s;
	char buf[sizeof(sasl_secret_t) + PASS_MAX];
} secret;

static int cb_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **out)
{
	struct run *r = ctx;
	size_t n = strlen(r->pass);

	(void)conn;
	(void)id;
	secret.s.len = n;
	memcpy(secret.s.data, r->pass, n + 1);
	*out = &secret.s;
	return SASL_OK;
}


/* ---- HS_AUTH over the rpc library ---- */

static void stop(struct run *r, int err, const char *why)
{
	if (!r->err) {
		r->err = err;
		snprintf(r->why, sizeof r->why, "%s", why ? why : "");
	}
	event_base_loopbreak(r->base);
}

static void auth_done(void *arg, int err, void *res);

static void send_step(struct run *r, const char *data, unsigned len)
{
	hs_auth_args a;
	int rc;

	memset(&a, 0, sizeof a);
	a.session = r->session;
	a.mech = (char *)(r->session ? "" : r->mech);
	a.user = r->session || r->o->kerberos ? "" : (char *)r->o->user;
	a.lifetime = r->o->lifetime;
	a.data.data_val = (char *)data;
	a.data.data_len = len;
	rc = hrpc_call(r->conn, HS_VICE_PROG, HS_VICE_V1, HS_AUTH,
		       (xdrproc_t)xdr_hs_auth_args, &a,
		       (xdrproc_t)xdr_hs_auth_res, sizeof(hs_auth_res), 0,
		       auth_done, r);
	if (rc)
		stop(r, -rc, "cannot send to vice");
}

static void auth_done(void *arg, int err, void *res)
{
	struct run *r = arg;
	hs_auth_res *ar = res;
	const hs_auth_ok *ok;
	const char *out = NULL;
	unsigned outlen = 0;
	int rc;

	if (err) {
		stop(r, err, "vice did not answer");
		return;
	}
	if (ar->status) {
		stop(r, ar->status, NULL);
		return;
	}
	ok = &ar->hs_auth_res_u.ok;
	r->session = ok->session;
	if (!ok->done || ok->data.data_len) {
		rc = sasl_client_step(r->sc, ok->data.data_val, ok->data.data_len,
				      NULL, &out, &outlen);
		if (rc != SASL_OK && rc != SASL_CONTINUE) {
			stop(r, EACCES, ok->done ? "vice could not prove it "
			     "knows your verifier: not trusting its token" :
			     sasl_errdetail(r->sc));
			return;
		}
		if (ok->done && rc != SASL_OK) {
			stop(r, EACCES, "the exchange ended early");
			return;
		}
	}
	if (!ok->done) {
		send_step(r, out, outlen);
		return;
	}
	if (!ok->token.token_len || ok->token.token_len > HS_TOKEN_MAX) {
		stop(r, EPROTO, "vice sent no token");
		return;
	}
	memcpy(r->token, ok->token.token_val, ok->token.token_len);
	r->toklen = ok->token.token_len;
	r->vid = ok->vid;
	snprintf(r->name, sizeof r->name, "%s", ok->name);
	r->expires = ok->expires.sec;
	r->done = 1;
	event_base_loopbreak(r->base);
}

static int on_connected(struct hrpc_conn *c, const char *fp, void *arg)
{
	struct run *r = arg;
	const char *out = NULL, *used = NULL;
	unsigned outlen = 0;
	int rc;

	if (!*r->si->cafile && strcasecmp(r->si->pin, fp)) {
		stop(r, EPERM, "vice's certificate does not match the one venus "
		     "pinned: refusing to send anything");
		return EPERM;
	}
	rc = sasl_client_start(r->sc, r->mech, NULL, &out, &outlen, &used);
	if (rc != SASL_OK && rc != SASL_CONTINUE) {
		stop(r, EINVAL, sasl_errdetail(r->sc));
		return EINVAL;  /* the transport closes c */
	}
	r->conn = c;
	send_step(r, out, outlen);
	return 0;
}

static void on_closed(struct hrpc_conn *c, int err, void *arg)
{
	struct run *r = arg;

	(void)c;
	r->conn = NULL;
	if (!r->done)
		stop(r, err ? err : ECONNRESET, "lost the connection to vice");
}

static const struct hrpc_conn_ops ops = { on_connected, on_closed, NULL };

static void authenticate(const struct opts *o, struct sinfo *si, struct run *r)
{
	static const sasl_security_properties_t sec = {
		0, 0, 0, SASL_SEC_NOPLAINTEXT | SASL_SEC_NOANONYMOUS, NULL, NULL,
	};
	const sasl_callback_t cbs[] = {
		{ SASL_CB_AUTHNAME, HS_SASL_CB(cb_name), r },
		{ SASL_CB_USER, HS_SASL_CB(cb_name), r },
		{ SASL_CB_PASS, HS_SASL_CB(cb_pass), r },
		{ SASL_CB_GETCONFPATH, HS_SASL_CB(hs_sasl_confpath), NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	char err[256];
	struct hrpc_tls *tls;
	int rc;

	r->o = o;
	r->si = si;
	r->mech = o->kerberos ? "GSSAPI" : "SCRAM-SHA-256";
	static const sasl_callback_t global[] = {
		{ SASL_CB_GETCONFPATH, HS_SASL_CB(hs_sasl_confpath), NULL },
		{ SASL_CB_VERIFYFILE, HS_SASL_CB(hs_sasl_verify), NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};

	if ((rc = sasl_client_init(global)) != SASL_OK)
		die("cannot start SASL: %s", sasl_errstring(rc, NULL, NULL));
	if ((rc = sasl_client_new("hesper", si->host, NULL, NULL, cbs, 0,
				  &r->sc)) != SASL_OK ||
	    sasl_setprop(r->sc, SASL_SEC_PROPS, &sec) != SASL_OK)
		die("cannot start SASL: %s", sasl_errstring(rc, NULL, NULL));
	if (!(r->base = event_base_new()))
		die("out of memory");
	if (!(tls = hrpc_tls_client(*si->cafile ? si->cafile : NULL, err,
				    sizeof err)))
		die("TLS: %s", err);
	if (!hrpc_connect(r->base, tls, si->host, si->port, &ops, r))
		die("out of memory");
	event_base_dispatch(r->base);
	if (r->conn)
		hrpc_close(r->conn);
	/* Let the transport finish closing and free the connection. */
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	sasl_dispose(&r->sc);
	sasl_client_done();
	hrpc_tls_free(tls);
	event_base_free(r->base);
}

int main(int argc, char **argv)
{
	static struct run r;
	struct opts o = { 0 };
	static struct sinfo si;

	ctlc_prog = "clog";
	parse(argc, argv, &o);
	ask_venus(&o, &si);
	if (o.host)
		apply_host(o.host, &si);
	if (!*si.cafile) {
		find_pin(&si);
		if (!*si.pin)
			die("venus has no certificate pin for vice %s:%d yet "
			    "(mount and use /coda once, or set cafile in "
			    "venus.conf)", si.host, si.port);
	}
	if (isatty(0) && !o.pipe && !o.kerberos)
		printf("username: %s@%s\n", o.user, si.realm);
	fflush(stdout);
	if (!o.kerberos)
		get_pass(&o, r.pass, sizeof r.pass);
	authenticate(&o, &si, &r);
	explicit_bzero(r.pass, sizeof r.pass);
	explicit_bzero(&secret, sizeof secret);
	if (!r.done) {
		if (r.err == EACCES && !*r.why)
			die("Invalid login (%s).", o.kerberos ?
			    "vice refused the Kerberos principal" :
			    "wrong user name or password");
		if (r.err == ENOSYS)
			die("vice does not offer %s", r.mech);
		if (*r.why && (r.err == EACCES || r.err == EINVAL))
			die("Invalid login (%s).", r.why);
		die("cannot authenticate to vice %s:%d (%s%s%s)", si.host,
		    si.port, r.why, *r.why ? ": " : "",
		    strerror(r.err ? r.err : EIO));
	}
	/* GSSAPI: the principal names the user; a name given must match. */
	if (o.kerberos && *o.user && strcmp(o.user, r.name))
		die("your Kerberos principal is pdb user %s, not %s", r.name,
		    o.user);
	hand_to_venus(&o, &r);
	return 0;
}
