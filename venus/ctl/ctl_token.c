/*
 * ctl_token.c - the control commands clog(1), ctokens(1) and cunlog(1)
 * use (Coda's clog/ctokens/cunlog talk to venus through pioctls):
 *
 *   serverinfo [REALM]     where vice is and how to trust it:
 *                          "server HOST PORT" (one per server),
 *                          "realm NAME", "cafile PATH" or
 *                          "pin HOST:PORT FINGERPRINT" lines (venus's
 *                          known_servers); REALM: that realm's servers
 *                          (mounted first if venus does not know it)
 *   tokenset VID EXPIRES HEXTOKEN NAME [REALM]
 *                          hold the token for the caller's uid and REALM
 *                          (default venus.conf's realm)
 *   tokens [-all] [@REALM] the caller's tokens; -all (root) everyone's:
 *                          "UID VID EXPIRES NAME REALM" lines
 *   tokendrop [UID] [@REALM]
 *                          drop the caller's tokens (root: UID's), or
 *                          only REALM's
 *
 * The uid is always the peer's (SO_PEERCRED): a user sets and drops only
 * their own token.  vid, name and expiry are what vice told clog; venus
 * shows them but never trusts them (vice reads the sealed token itself).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <syslog.h>
#include <hesper/rpc.h>

#include <hesper/ctlproto.h>
#include "venus/ctl/ctl.h"
#include "venus/net/token.h"
#include "venus/net/volreg.h"
#include "venus/util/venus.h"

/* The trust lines every serverinfo ends with. */
static void print_trust(struct ctl_req *r)
{
	char path[4096], line[512];
	FILE *f;

	if (V->cfg.cafile)
		ctl_printf(r, CTLP_STDOUT, "cafile %s\n", V->cfg.cafile);
	snprintf(path, sizeof path, "%s/known_servers", V->cfg.cachedir);
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof line, f)) {
			char name[300], fp[HRPC_FP_LEN];

			if (sscanf(line, "%299s %95s", name, fp) == 2)
				ctl_printf(r, CTLP_STDOUT, "pin %s %s\n", name, fp);
		}
		fclose(f);
	}
}

/* serverinfo REALM: the realm is reached (vr_realm_find); list its
 * servers as the registry knows them now. */
static void realm_found(void *arg, int err, unsigned idx)
{
	struct ctl_req *r = arg;
	char host[HS_MAXHOSTNAME + 1];
	int i, port;

	if (err) {
		ctl_fail(r, err, "serverinfo: realm %s: %s", r->argv[0],
			 err == ENOENT ? "no such realm (realms file, DNS SRV)" :
			 strerror(err));
		return;
	}
	for (i = 0; !vr_realm_server(idx, i, host, sizeof host, &port); i++)
		ctl_printf(r, CTLP_STDOUT, "server %s %d\n", host, port);
	ctl_printf(r, CTLP_STDOUT, "realm %s\n", vr_realm_name(idx));
	print_trust(r);
	ctl_done(r, 0);
}

static void cmd_serverinfo(struct ctl_req *r)
{
	if (r->argc > 1) {
		ctl_fail(r, EINVAL, "Usage: serverinfo [REALM]");
		return;
	}
	if (r->argc == 1 && strcasecmp(r->argv[0], vr_realm0())) {
		vr_realm_find(r->argv[0], r->uid, realm_found, r);
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "server %s %d\n", V->cfg.server, V->cfg.port);
	ctl_printf(r, CTLP_STDOUT, "realm %s\n", vr_realm0());
	print_trust(r);
	ctl_done(r, 0);
}

static int unhex(const char *s, unsigned char *out, unsigned *len)
{
	size_t n = strlen(s), i;

	if (!n || n % 2 || n / 2 > HS_TOKEN_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (!strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*len = (unsigned)(n / 2);
	return 0;
}

static void cmd_tokenset(struct ctl_req *r)
{
	struct vtoken t;
	char *end1, *end2;
	long vid;
	long long exp;
	int rc;

	memset(&t, 0, sizeof t);
	if (r->argc != 4 && r->argc != 5) {
		ctl_fail(r, EINVAL, "Usage: tokenset VID EXPIRES HEXTOKEN NAME [REALM]");
		return;
	}
	errno = 0;
	vid = strtol(r->argv[0], &end1, 10);
	exp = strtoll(r->argv[1], &end2, 10);
	if (errno || *end1 || *end2 || vid < INT32_MIN || vid > INT32_MAX ||
	    unhex(r->argv[2], t.tok, &t.len) ||
	    strlen(r->argv[3]) > HS_MAXNAMELEN ||
	    (r->argc == 5 && strlen(r->argv[4]) > HS_MAXNAMELEN)) {
		ctl_fail(r, EINVAL, "tokenset: malformed token");
		return;
	}
	t.uid = r->uid;
	t.vid = (int32_t)vid;
	t.expires = exp;
	snprintf(t.name, sizeof t.name, "%s", r->argv[3]);
	snprintf(t.realm, sizeof t.realm, "%s",
		 r->argc == 5 ? r->argv[4] : vr_realm0());
	/* clog's serverinfo REALM made the realm known; a token for a
	 * realm venus never reached would only fill the table. */
	if (strcasecmp(t.realm, vr_realm0()) && vr_realm_index(t.realm) < 0) {
		ctl_fail(r, ENOENT, "tokenset: venus knows no realm %s", t.realm);
		return;
	}
	if ((rc = token_set(&t))) {
		ctl_fail(r, rc, "tokenset: %s", strerror(rc));
		return;
	}
	vlog(LOG_INFO, "uid %u now holds a token for %s@%s (id %d)",
	     (unsigned)t.uid, t.name, t.realm, t.vid);
	ctl_done(r, 0);
}

struct each {
	struct ctl_req *r;
	int all, n;
	const char *realm;      /* NULL: every realm */
};

static void print_one(const struct vtoken *t, void *arg)
{
	struct each *e = arg;

	if ((!e->all && t->uid != e->r->uid) ||
	    (e->realm && strcasecmp(e->realm, t->realm)))
		return;
	if (e->r->json) {
		ctl_printf(e->r, CTLP_STDOUT, "%s{\"uid\":%u,\"vid\":%d,\"name\":",
			   e->n ? "," : "", (unsigned)t->uid, t->vid);
		ctl_json_str(e->r, t->name);
		ctl_printf(e->r, CTLP_STDOUT, ",\"realm\":");
		ctl_json_str(e->r, t->realm);
		ctl_printf(e->r, CTLP_STDOUT, ",\"expires\":%lld,\"expired\":%s}",
			   (long long)t->expires,
			   t->expires <= (int64_t)time(NULL) ? "true" : "false");
	} else {
		ctl_printf(e->r, CTLP_STDOUT, "%u %d %lld %s %s\n", (unsigned)t->uid,
			   t->vid, (long long)t->expires, t->name, t->realm);
	}
	e->n++;
}

static void cmd_tokens(struct ctl_req *r)
{
	struct each e = { r, 0, 0, NULL };
	int i;

	for (i = 0; i < r->argc; i++) {
		if (!strcmp(r->argv[i], "-all")) {
			e.all = 1;
		} else if (r->argv[i][0] == '@' && r->argv[i][1]) {
			e.realm = r->argv[i] + 1;
		} else {
			ctl_fail(r, EINVAL, "Usage: tokens [-all] [@REALM]");
			return;
		}
	}
	if (e.all && r->uid != 0) {
		ctl_fail(r, EACCES, "tokens -all: only root sees every token");
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "[");
	token_each(print_one, &e);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]\n");
	ctl_done(r, 0);
}

static void cmd_tokendrop(struct ctl_req *r)
{
	uid_t uid = r->uid;
	const char *realm = NULL;
	char *end;
	long v;
	int rc, argc = r->argc;

	if (argc > 0 && r->argv[argc - 1][0] == '@') {
		realm = r->argv[--argc] + 1;
		if (!*realm) {
			ctl_fail(r, EINVAL, "tokendrop: empty realm");
			return;
		}
	}
	if (argc > 1) {
		ctl_fail(r, EINVAL, "Usage: tokendrop [UID] [@REALM]");
		return;
	}
	if (argc == 1) {
		errno = 0;
		v = strtol(r->argv[0], &end, 10);
		if (errno || *end || v < 0 || v > (long)UINT32_MAX - 1) {
			ctl_fail(r, EINVAL, "tokendrop: bad uid %s", r->argv[0]);
			return;
		}
		if ((uid_t)v != r->uid && r->uid != 0) {
			ctl_fail(r, EACCES, "tokendrop: only root drops another "
				 "user's token");
			return;
		}
		uid = (uid_t)v;
	}
	rc = token_drop_realm(uid, realm);
	if (!rc)
		vlog(LOG_INFO, "uid %u dropped its token%s%s", (unsigned)uid,
		     realm ? " for " : "s", realm ? realm : "");
	ctl_done(r, rc);
}

static const struct ctlp_cmd token_cmds[] = {
	{ "serverinfo", NULL, CTLP_ARGS_WORDS, 0, "[REALM]",
	  "where a realm's vice is and its certificate pin (clog)" },
	{ "tokenset", NULL, CTLP_ARGS_WORDS, 0, "VID EXPIRES HEXTOKEN NAME [REALM]",
	  "hold a token for the caller in a realm (clog)" },
	{ "tokens", NULL, CTLP_ARGS_WORDS, 0, "[-all] [@REALM]",
	  "list the caller's tokens; -all: everyone's, root only (ctokens)" },
	{ "tokendrop", NULL, CTLP_ARGS_WORDS, 0, "[UID] [@REALM]",
	  "drop the caller's tokens, or one realm's (cunlog)" },
	{ NULL, NULL, 0, 0, NULL, NULL }
};

static void run(struct ctl_req *r, const struct ctlp_cmd *c)
{
	if (!strcmp(c->name, "serverinfo"))
		cmd_serverinfo(r);
	else if (!strcmp(c->name, "tokenset"))
		cmd_tokenset(r);
	else if (!strcmp(c->name, "tokens"))
		cmd_tokens(r);
	else
		cmd_tokendrop(r);
}

static struct ctl_ext token_ext = { token_cmds, run, NULL };

__attribute__((constructor)) static void register_tokens(void)
{
	ctl_register(&token_ext);
}
