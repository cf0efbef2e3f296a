/*
 * tools/ctokens.c - list the tokens venus holds for the caller
 * (ctokens(1), Coda's ctokens and its output); -all, for root, lists
 * every local user's.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include <hesper/ctlproto.h>
#include "ctlclient.h"

struct state {
	char realm[256];
	int all, n;
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
	unsigned uid;
	int vid;
	long long exp;
	char name[300];
	time_t t;

	if (chan != CTLP_STDOUT) {
		fprintf(stderr, "ctokens: %s\n", text);
		return;
	}
	if (sscanf(text, "%u %d %lld %299s", &uid, &vid, &exp, name) != 4)
		return;
	s->n++;
	if (s->all) {
		struct passwd *pw = getpwuid(uid);

		printf("  local user %s (uid %u), Coda user %s:\n",
		       pw ? pw->pw_name : "?", uid, name);
	}
	printf("\tCoda user id:\t %d\n", vid);
	t = (time_t)exp;
	if (exp <= (long long)time(NULL))
		printf("\tThis token has expired.\n");
	else
		printf("\tExpiration time: %s", ctime(&t));
}

int main(int argc, char **argv)
{
	static const char *const info[] = { "serverinfo" };
	const char *tok[2] = { "tokens", "-all" };
	const char *sock = getenv(CTLP_ENV_SOCKET);
	struct state s = { "", 0, 0 };
	struct passwd *pw = getpwuid(getuid());
	struct ctlc_link l;
	int i, rc;

	ctlc_prog = "ctokens";
	for (i = 1; i < argc; i++) {
		if (ctlc_socket_opt(argc, argv, &i, &sock))
			continue;
		if (!strcmp(argv[i], "--version")) {
			printf("ctokens (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-all")) {
			s.all = 1;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "Usage: ctokens [-all] [--socket PATH] [@realm]\n");
			return 1;
		}
		/* A @realm argument: venus serves one realm, shown anyway. */
	}
	if (!sock)
		sock = CTLP_DEFAULT_SOCKET;
	if (ctlc_open(&l, sock)) {
		fprintf(stderr, "ctokens: cannot talk to venus at %s: %s\n", sock,
			strerror(errno));
		return 1;
	}
	ctlc_transact(&l, 1, info, realm_line, &s);
	printf("Tokens held by the Cache Manager for %s:\n",
	       s.all ? "all users" : pw ? pw->pw_name : "?");
	printf("    @%s\n", s.realm);
	rc = ctlc_transact(&l, s.all ? 2 : 1, tok, token_line, &s);
	ctlc_close(&l);
	if (rc < 0)
		return 1;
	if (rc) {
		fprintf(stderr, "ctokens: %s\n", strerror(rc));
		return 1;
	}
	if (!s.n)
		printf("\tNot Authenticated\n");
	return 0;
}
