/*
 * realm_parse.c - the realms file and DNS SRV answers (realm.h).
 *
 * The SRV answer is read here rather than with ns_initparse(3): that one
 * lives in libresolv, and an SRV record's layout (RFC 2782) is a few
 * fixed fields after a name, which dn_expand(3) (in libc) decodes with
 * its own bounds checks.  Every length is checked against the message
 * before it is read.
 */
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "venus/net/realm.h"

static int parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

int vr_addr_parse(const char *s, struct vr_addr *a)
{
	const char *host = s, *colon;
	size_t n;

	a->port = VR_DEFAULT_PORT;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && (rb[1] != ':' || parse_port(rb + 2, &a->port))))
			return -1;
		host = s + 1;
		n = (size_t)(rb - host);
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		if (parse_port(colon + 1, &a->port))
			return -1;
		n = (size_t)(colon - s);
	} else {
		n = strlen(s);   /* a name, or a bare IPv6 literal */
	}
	if (!n || n >= sizeof a->host)
		return -1;
	memcpy(a->host, host, n);
	a->host[n] = '\0';
	return 0;
}

static void say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* One line without its comment: 0, 1 (blank), or -1 (err set). */
static int parse_line(char *line, const char *where, vr_realm_line_fn fn, void *arg,
		      int *fnrc, char *err, size_t errlen)
{
	struct vr_addr a[VR_MAX_ADDRS];
	char *save = NULL, *realm, *tok;
	int n = 0;

	line[strcspn(line, "#")] = '\0';
	if (!(realm = strtok_r(line, " \t\r\n", &save)))
		return 1;
	if (strlen(realm) > HS_MAXHOSTNAME) {
		say(err, errlen, "%s: realm name longer than %d bytes", where, HS_MAXHOSTNAME);
		return -1;
	}
	while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
		if (n == VR_MAX_ADDRS) {
			say(err, errlen, "%s: realm %s: more than %d servers", where, realm,
			    VR_MAX_ADDRS);
			return -1;
		}
		if (vr_addr_parse(tok, &a[n++])) {
			say(err, errlen, "%s: realm %s: bad server '%s' (host, host:port or [v6]:port)",
			    where, realm, tok);
			return -1;
		}
	}
	if (!n) {
		say(err, errlen, "%s: realm %s names no server", where, realm);
		return -1;
	}
	*fnrc = fn(arg, realm, a, n);
	return 0;
}

int vr_realms_parse(FILE *f, const char *path, vr_realm_line_fn fn, void *arg,
		    char *err, size_t errlen)
{
	char *line = NULL, where[PATH_MAX + 32];
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0, fnrc = 0;

	while (!rc && !fnrc && getline(&line, &cap, f) >= 0) {
		lineno++;
		snprintf(where, sizeof where, "%s:%u", path, lineno);
		if (strlen(line) > 4096) {
			say(err, errlen, "%s: line too long", where);
			rc = -1;
		} else if (parse_line(line, where, fn, arg, &fnrc, err, errlen) < 0) {
			rc = -1;
		}
	}
	if (!rc && ferror(f)) {
		say(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	return rc ? rc : fnrc;
}

/* ---- DNS SRV (RFC 1035 4.1, RFC 2782) ---- */

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned get32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

struct srv_rr {
	unsigned prio, weight;
	struct vr_addr a;
};

static int by_prio(const void *x, const void *y)
{
	const struct srv_rr *a = x, *b = y;

	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	return a->weight > b->weight ? -1 : a->weight < b->weight;
}

/* The SRV record whose rdata is at p (rdlen bytes) into *r; 0, 1 (the
 * "." target: no service), or -1. */
static int srv_rdata(const unsigned char *msg, int len, const unsigned char *p,
		     unsigned rdlen, struct srv_rr *r, char *err, size_t errlen)
{
	char name[NS_MAXDNAME];
	int n;

	if (rdlen < 7) {
		say(err, errlen, "SRV record of %u bytes", rdlen);
		return -1;
	}
	r->prio = get16(p);
	r->weight = get16(p + 2);
	r->a.port = (int)get16(p + 4);
	n = dn_expand(msg, msg + len, p + 6, name, sizeof name);
	if (n < 0 || (unsigned)n + 6 > rdlen) {
		say(err, errlen, "SRV record: bad target name");
		return -1;
	}
	if (!name[0] || !strcmp(name, "."))
		return 1;
	n = (int)strlen(name);
	if ((size_t)n >= sizeof r->a.host || !r->a.port) {
		say(err, errlen, "SRV record: target %.64s:%d unusable", name, r->a.port);
		return -1;
	}
	memcpy(r->a.host, name, (size_t)n + 1);
	return 0;
}

int vr_srv_parse(const unsigned char *msg, int len, struct vr_addr *out, int max,
		 unsigned *ttl, char *err, size_t errlen)
{
	struct srv_rr rr[VR_MAX_ADDRS];
	const unsigned char *p = msg + NS_HFIXEDSZ, *end = msg + len;
	char name[NS_MAXDNAME];
	unsigned qd, an, i;
	int n = 0, k;

	*ttl = 0;
	if (len < NS_HFIXEDSZ) {
		say(err, errlen, "answer of %d bytes", len);
		return -1;
	}
	qd = get16(msg + 4);
	an = get16(msg + 6);
	for (i = 0; i < qd; i++) {
		if ((k = dn_expand(msg, end, p, name, sizeof name)) < 0 ||
		    end - (p + k) < NS_QFIXEDSZ) {
			say(err, errlen, "question %u cut short", i + 1);
			return -1;
		}
		p += k + NS_QFIXEDSZ;
	}
	for (i = 0; i < an; i++) {
		unsigned type, rdlen, t;

		if ((k = dn_expand(msg, end, p, name, sizeof name)) < 0 ||
		    end - (p + k) < NS_RRFIXEDSZ) {
			say(err, errlen, "answer %u cut short", i + 1);
			return -1;
		}
		p += k;
		type = get16(p);
		t = get32(p + 4);
		rdlen = get16(p + 8);
		p += NS_RRFIXEDSZ;
		if ((unsigned)(end - p) < rdlen) {
			say(err, errlen, "answer %u: data cut short", i + 1);
			return -1;
		}
		if (type == ns_t_srv && n < VR_MAX_ADDRS) {
			int rc = srv_rdata(msg, len, p, rdlen, &rr[n], err, errlen);

			if (rc < 0)
				return -1;
			if (rc == 0) {
				n++;
				*ttl = *ttl && *ttl < t ? *ttl : t;
			}
		}
		p += rdlen;
	}
	qsort(rr, (size_t)n, sizeof rr[0], by_prio);
	for (k = 0; k < n && k < max; k++)
		out[k] = rr[k].a;
	return k;
}
