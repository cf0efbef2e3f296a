/*
 * tools/volutil_conn.c - volutil's one connection to vice: TLS with the
 * server's certificate pinned from <root>/tls/cert.pem (volutil runs on a
 * server of the realm; for another host give that host's cert with -d),
 * HS_CONNECT under a fresh random client id and key (one row in vice's
 * clients table per run: admin commands are rare), and every call made
 * with a System:Administrators token sealed here under <root>/auth.key:
 * whoever can read the realm key is the realm's administrator.
 *
 * Calls block: each runs the event loop until its answer arrives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "volutil.h"
#include <hesper/rpc.h>
#include "vice/auth.h"

/* Lifetime of the token volutil mints, seconds: one command's worth. */
#define VU_TOKEN_LIFE 3600

/* One call in flight. */
struct vu_wait {
	struct vu *c;
	int done, err;
	void *res;
	size_t ressize;
};

int vu_set_host(struct vu *c, const char *h)
{
	const char *colon = strrchr(h, ':'), *close;
	char *end;
	long p;

	if (h[0] == '[') {
		close = strchr(h, ']');
		if (!close || (close[1] && close[1] != ':'))
			return EINVAL;
		snprintf(c->host, sizeof c->host, "%.*s", (int)(close - h - 1),
			 h + 1);
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(h, ':') != colon) {
		snprintf(c->host, sizeof c->host, "%s", h);  /* bare IPv6 */
		colon = NULL;
	} else {
		snprintf(c->host, sizeof c->host, "%.*s",
			 (int)(colon ? (size_t)(colon - h) : strlen(h)), h);
	}
	if (!*c->host)
		return EINVAL;
	if (colon) {
		p = strtol(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			return EINVAL;
		c->port = (int)p;
	}
	return 0;
}

int vu_fail(const char *what, int status)
{
	const char *why;

	switch (status) {
	case HS_ECONFLICT: why = "conflict"; break;
	case HS_EMOVED: why = "volume moved to another server (VMOVED)"; break;
	case HS_EVBUSY: why = "volume busy (locked for a dump or move)"; break;
	case EACCES: why = "permission denied (not an administrator: is "
		     "auth.key the realm's?)"; break;
	default: why = strerror(status); break;
	}
	fprintf(stderr, "volutil: %s: %s\n", what, why);
	return 1;
}

/* The admin token: vid System:Administrators, sealed under auth.key. */
static int mint(struct vu *c)
{
	struct vtoken_info t;
	char path[4200], err[512];

	snprintf(path, sizeof path, "%s/auth.key", c->root);
	if (access(path, R_OK)) {
		fprintf(stderr, "volutil: %s: %s (run as root on a server of "
			"the realm, or give its root with -d)\n", path,
			strerror(errno));
		return errno;
	}
	if (vtoken_key_load(c->root, err, sizeof err)) {
		fprintf(stderr, "volutil: %s\n", err);
		return EACCES;
	}
	memset(&t, 0, sizeof t);
	t.vid = HS_ID_ADMINS;
	t.issued = time(NULL);
	t.expires = t.issued + VU_TOKEN_LIFE;
	if (RAND_bytes(t.id, sizeof t.id) != 1 || vtoken_seal(&t, c->token)) {
		fprintf(stderr, "volutil: cannot seal a token\n");
		return EIO;
	}
	c->toklen = VTOKEN_LEN;
	return 0;
}

static void stop(struct vu *c, int err)
{
	if (!c->err)
		c->err = err;
	event_base_loopbreak(c->base);
}

static int on_connected(struct hrpc_conn *conn, const char *fp, void *arg)
{
	struct vu *c = arg;

	if (strcasecmp(c->pin, fp)) {
		fprintf(stderr, "volutil: %s:%d: its certificate (%s) is not "
			"the one in %s/tls/cert.pem: refusing to talk to it\n",
			c->host, c->port, fp, c->root);
		stop(c, EPERM);
		return EPERM;
	}
	c->conn = conn;
	event_base_loopbreak(c->base);
	return 0;
}

static void on_closed(struct hrpc_conn *conn, int err, void *arg)
{
	struct vu *c = arg;

	(void)conn;
	c->conn = NULL;
	c->up = 0;
	stop(c, err ? err : ECONNRESET);
}

static const struct hrpc_conn_ops ops = { on_connected, on_closed, NULL };

static void call_done(void *arg, int err, void *res)
{
	struct vu_wait *w = arg;

	w->done = 1;
	w->err = err;
	if (!err) {
		/* Keep the result: the transport frees what it points at
		 * unless we take it over and leave zeroes behind. */
		memcpy(w->res, res, w->ressize);
		memset(res, 0, w->ressize);
	}
	event_base_loopbreak(w->c->base);
}

/* Send one call and run the loop until it is answered. */
static int call_raw(struct vu *c, uint32_t proc, xdrproc_t argproc,
		    const void *args, xdrproc_t resproc, void *res,
		    size_t ressize)
{
	struct hrpc_cred cred = { HS_AUTH_FLAVOR, c->token, c->toklen };
	struct vu_wait w = { c, 0, 0, res, ressize };
	int rc;

	memset(res, 0, ressize);
	rc = hrpc_call_as(c->conn, &cred, HS_VICE_PROG, HS_VICE_V1, proc,
			  argproc, args, resproc, ressize, c->timeout_ms,
			  call_done, &w);
	if (rc)
		return -rc;
	while (!w.done)
		if (event_base_dispatch(c->base) < 0)
			return EIO;
	return w.err;
}

/* HS_CONNECT under a fresh random client id and key. */
static int hello(struct vu *c)
{
	char key[HS_CLIENT_KEY];
	hs_connect_args a;
	hs_connect_res r;
	int err;

	memset(&a, 0, sizeof a);
	a.proto_version = HS_PROTO_VERSION;
	while (!a.client_id)
		if (RAND_bytes((unsigned char *)&a.client_id,
			       sizeof a.client_id) != 1)
			return EIO;
	if (RAND_bytes((unsigned char *)key, sizeof key) != 1)
		return EIO;
	a.client_name = "volutil";
	a.client_key.client_key_val = key;
	a.client_key.client_key_len = sizeof key;
	err = call_raw(c, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &a,
		       (xdrproc_t)xdr_hs_connect_res, &r, sizeof r);
	if (!err && (err = r.status))
		vu_fail("HS_CONNECT", err);
	xdr_free((xdrproc_t)xdr_hs_connect_res, (char *)&r);
	return err;
}

static int pin_load(struct vu *c)
{
	char path[4200];
	int rc;

	snprintf(path, sizeof path, "%s/tls/cert.pem", c->root);
	if ((rc = hrpc_tls_cert_fingerprint(path, c->pin)) < 0) {
		fprintf(stderr, "volutil: %s: %s\n", path, strerror(-rc));
		return -rc;
	}
	return 0;
}

/* TLS up, pin checked, token minted, HS_CONNECT done. */
static int vu_open(struct vu *c)
{
	char err[256];
	int rc;

	if ((rc = mint(c)) || (rc = pin_load(c)))
		return rc;
	if (!c->base && !(c->base = event_base_new()))
		return ENOMEM;
	if (!c->tls && !(c->tls = hrpc_tls_client(NULL, err, sizeof err))) {
		fprintf(stderr, "volutil: TLS: %s\n", err);
		return EIO;
	}
	c->err = 0;
	if (!hrpc_connect(c->base, c->tls, c->host, c->port ? c->port : 2432,
			  &ops, c))
		return ENOMEM;
	while (!c->conn && !c->err)
		if (event_base_dispatch(c->base) < 0)
			return EIO;
	if (!c->conn) {
		fprintf(stderr, "volutil: cannot reach vice at %s:%d: %s\n",
			c->host, c->port ? c->port : 2432, strerror(c->err));
		return c->err;
	}
	if ((rc = hello(c)))
		return rc;
	c->up = 1;
	return 0;
}

int vu_call(struct vu *c, uint32_t proc, xdrproc_t argproc, const void *args,
	    xdrproc_t resproc, void *res, size_t ressize)
{
	int err;

	memset(res, 0, ressize);
	if (!c->up && (err = vu_open(c)))
		return err;
	err = call_raw(c, proc, argproc, args, resproc, res, ressize);
	if (err)
		fprintf(stderr, "volutil: vice at %s:%d did not answer: %s\n",
			c->host, c->port ? c->port : 2432, strerror(err));
	return err;
}

void vu_close(struct vu *c)
{
	if (c->conn)
		hrpc_close(c->conn);
	if (c->base) {
		/* Let the transport finish closing and free the conn. */
		event_base_loop(c->base, EVLOOP_NONBLOCK);
		event_base_loop(c->base, EVLOOP_NONBLOCK);
	}
	hrpc_tls_free(c->tls);
	if (c->base)
		event_base_free(c->base);
	c->tls = NULL;
	c->base = NULL;
	c->conn = NULL;
	c->up = 0;
	explicit_bzero(c->token, sizeof c->token);
}

void vu_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}
