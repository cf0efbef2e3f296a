/*
 * tools/cunlog.c - make venus forget the caller's tokens (cunlog(1),
 * Coda's cunlog), or with @realm only that realm's: the caller's later
 * calls to those realms' servers go as System:AnyUser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include <hesper/ctlproto.h>
#include "ctlclient.h"

int main(int argc, char **argv)
{
	const char *words[2] = { "tokendrop", NULL };
	const char *sock = getenv(CTLP_ENV_SOCKET);
	struct ctlc_link l;
	int i, rc;

	ctlc_prog = "cunlog";
	for (i = 1; i < argc; i++) {
		if (ctlc_socket_opt(argc, argv, &i, &sock))
			continue;
		if (!strcmp(argv[i], "--version")) {
			printf("cunlog (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		}
		if (argv[i][0] == '@' && argv[i][1] && !words[1]) {
			words[1] = argv[i];
			continue;
		}
		fprintf(stderr, "Usage: cunlog [--socket PATH] [@realm]\n");
		return 1;
	}
	if (!sock)
		sock = CTLP_DEFAULT_SOCKET;
	if (ctlc_open(&l, sock)) {
		fprintf(stderr, "cunlog: cannot talk to venus at %s: %s\n", sock,
			strerror(errno));
		return 1;
	}
	rc = ctlc_transact(&l, words[1] ? 2 : 1, words, ctlc_print_line, NULL);
	ctlc_close(&l);
	/* No token to drop is not an error: the caller is logged out. */
	return rc < 0 || (rc && rc != ENOENT) ? 1 : 0;
}
