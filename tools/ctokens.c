/*
 * tools/ctokens.c - list the tokens venus holds for the caller
 * (ctokens(1), Coda's ctokens and its output: one "@realm" block per
 * realm); -all, for root, lists every local user's; @realm only that
 * realm's.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include <hesper/ctlproto.h>
#include "ctlclient.h"

/* One token line of venus's "tokens": "UID VID EXPIRES NAME REALM". */
struct tok {
	unsigned uid;
	int vid;
	long long exp;
	char name[300], realm[300];
};

/* Tokens listed at most (venus's table is bounded too). */
#define CTOKENS_MAX 1024

struct state {
	char realm[256];        /* venus.conf's realm (serverinfo) */
	int all, n;
	struct tok *t;
	int nt;
};

static void realm_line(void *arg, int chan, const char *text)
{
	struct state *s = arg;

	if (chan == CTLP_STDOUT && !strncmp(text, "realm ", 6))
		snprintf(s->realm, sizeof s->realm, "%s", text + 6);
}

static void token_line(void *arg, int chan, const char *text)
{
	struct state *s = arg;
	struct tok t;
	int n;

	if (chan != CTLP_STDOUT) {
		fprintf(stderr, "ctokens: %s\n", text);
		return;
	}
	n = sscanf(text, "%u %d %lld %299s %299s", &t.uid, &t.vid, &t.exp,
		   t.name, t.realm);
	if (n < 4 || s->nt == CTOKENS_MAX)
		return;
	if (n == 4)
		snprintf(t.realm, sizeof t.realm, "%s", s->realm);
	s->t[s->nt++] = t;
}

static void print_tok(const struct state *s, const struct tok *t)
{
	time_t when = (time_t)t->exp;

	if (s->all) {
		struct passwd *pw = getpwuid(t->uid);

		printf("  local user %s (uid %u), Coda user %s:\n",
		       pw ? pw->pw_name : "?", t->uid, t->name);
	}
	printf("\tCoda user id:\t %d\n", t->vid);
	if (t->exp <= (long long)time(NULL))
		printf("\tThis token has expired.\n");
	else
		printf("\tExpiration time: %s", ctime(&when));
}

/* Coda's layout: a "    @realm" line, then that realm's tokens. */
static void print_all(const struct state *s)
{
	int i, j;

	for (i = 0; i < s->nt; i++) {
		for (j = 0; j < i; j++)
			if (!strcasecmp(s->t[j].realm, s->t[i].realm))
				break;
		if (j < i)
			continue;       /* realm printed already */
		printf("    @%s\n", s->t[i].realm);
		for (j = i; j < s->nt; j++)
			if (!strcasecmp(s->t[j].realm, s->t[i].realm))
				print_tok(s, &s->t[j]);
	}
}

int main(int argc, char **argv)
{
	static const char *const info[] = { "serverinfo" };
	const char *tok[3] = { "tokens", NULL, NULL };
	const char *sock = getenv(CTLP_ENV_SOCKET);
	const char *only = NULL;
	struct state s = { "", 0, 0, NULL, 0 };
	struct passwd *pw = getpwuid(getuid());
	struct ctlc_link l;
	int i, rc, nw = 1;

	ctlc_prog = "ctokens";
	for (i = 1; i < argc; i++) {
		if (ctlc_socket_opt(argc, argv, &i, &sock))
			continue;
		if (!strcmp(argv[i], "--version")) {
			printf("ctokens (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-all")) {
			s.all = 1;
		} else if (argv[i][0] == '@' && argv[i][1] && !only) {
			only = argv[i];
		} else {
			fprintf(stderr, "Usage: ctokens [-all] [--socket PATH] [@realm]\n");
			return 1;
		}
	}
	if (s.all)
		tok[nw++] = "-all";
	if (only)
		tok[nw++] = only;
	if (!sock)
		sock = CTLP_DEFAULT_SOCKET;
	if (!(s.t = calloc(CTOKENS_MAX, sizeof *s.t))) {
		fprintf(stderr, "ctokens: out of memory\n");
		return 1;
	}
	if (ctlc_open(&l, sock)) {
		fprintf(stderr, "ctokens: cannot talk to venus at %s: %s\n", sock,
			strerror(errno));
		return 1;
	}
	ctlc_transact(&l, 1, info, realm_line, &s);
	rc = ctlc_transact(&l, nw, tok, token_line, &s);
	ctlc_close(&l);
	if (rc < 0)
		return 1;
	if (rc) {
		fprintf(stderr, "ctokens: %s\n", strerror(rc));
		return 1;
	}
	printf("Tokens held by the Cache Manager for %s:\n",
	       s.all ? "all users" : pw ? pw->pw_name : "?");
	if (!s.nt)
		printf("    @%s\n\tNot Authenticated\n", only ? only + 1 : s.realm);
	print_all(&s);
	free(s.t);
	return 0;
}
