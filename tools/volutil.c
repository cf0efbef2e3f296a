/*
 * tools/volutil.c - volutil(8): create, remove, rename, list volumes of a
 * vice server and set their quotas (Coda's volutil and createvol_rep).
 * The subcommands live in one dispatch table; dump, restore, move, lock
 * and unlock come from tools/volutil_dump.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "volutil.h"

#ifndef LOCALSTATEDIR   /* configure's --localstatedir (Makefile.am) */
#define LOCALSTATEDIR "/var"
#endif
#define VU_DEFAULT_ROOT LOCALSTATEDIR "/lib/hesper/vice"
#define VU_DEFAULT_PORT 2432

/* Not linked until tools/volutil_dump.c is: then NULL. */
#pragma weak vu_cmd_dump
#pragma weak vu_cmd_restore
#pragma weak vu_cmd_move
#pragma weak vu_cmd_lock
#pragma weak vu_cmd_unlock

struct vu_cmd {
	const char *name;
	int (*fn)(struct vu *c, int argc, char **argv);
	const char *usage;
};

static const struct vu_cmd cmds[] = {
	{ "create", vu_cmd_create, "create NAME [-quota BLOCKS] [-id ID]" },
	{ "remove", vu_cmd_remove, "remove VOL" },
	{ "rename", vu_cmd_rename, "rename VOL NEWNAME" },
	{ "list", vu_cmd_list, "list [--json]" },
	{ "setquota", vu_cmd_setquota, "setquota VOL BLOCKS [MINBLOCKS]" },
	{ "info", vu_cmd_info, "info VOL [--json]" },
	{ "dump", vu_cmd_dump, "dump VOL FILE" },
	{ "restore", vu_cmd_restore, "restore FILE [NAME] [-id ID]" },
	{ "move", vu_cmd_move, "move VOL HOST[:PORT] [-D ROOT2]" },
	{ "lock", vu_cmd_lock, "lock VOL" },
	{ "unlock", vu_cmd_unlock, "unlock VOL" },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: volutil [-h HOST[:PORT]] [-d ROOT] [--json] "
		"COMMAND ARGS...\n       volutil --help | --version\n"
		"Commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "VOL is a volume name or id.  Blocks are 1 KiB; quota 0 "
		"is unlimited.\nDefaults: -h localhost:%d, -d %s\n",
		VU_DEFAULT_PORT, VU_DEFAULT_ROOT);
}

/* Take -h, -d, --json out of argv (anywhere); returns the new argc. */
static int global_opts(struct vu *c, int argc, char **argv)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-h") || !strcmp(argv[i], "-d")) &&
		    i + 1 < argc && n == 1) {
			if (argv[i][1] == 'd')
				c->root = argv[++i];
			else if (vu_set_host(c, argv[++i])) {
				fprintf(stderr, "volutil: bad -h %s\n", argv[i]);
				exit(2);
			}
		} else if (!strcmp(argv[i], "--json")) {
			c->json = 1;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	struct vu c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	c.root = VU_DEFAULT_ROOT;
	snprintf(c.host, sizeof c.host, "localhost");
	c.port = VU_DEFAULT_PORT;
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("volutil (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	argc = global_opts(&c, argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			break;
	if (i == NCMDS) {
		fprintf(stderr, "volutil: unknown command %s\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (!cmds[i].fn) {
		fprintf(stderr, "volutil: %s is not built into this volutil\n",
			argv[1]);
		return 1;
	}
	rc = cmds[i].fn(&c, argc - 1, argv + 1);
	if (rc == 2)
		fprintf(stderr, "Usage: volutil %s\n", cmds[i].usage);
	vu_close(&c);
	return rc;
}
