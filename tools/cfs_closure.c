/*
 * cfs_closure.c - cfs examineclosure and replayclosure (Coda's ec, rc):
 * the closures cfs checkpointml writes (venus/ctl/ctl_ckpt.c: REALM_VOL.tar,
 * ustar, members named by their path below the mount point) are listed
 * with tar(1), or extracted back into the mount point so the saved data
 * become new changes.  As in Coda these run in cfs, not in venus: the
 * closure belongs to the user and is written through the file system.
 * Coda's -c and -i were never implemented there; Hesper says the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tools/cfs.h"
#include <hesper/ctlproto.h>
#include "tools/ctlclient.h"
#include "tools/escape.h"


/* Run argv (tar) and wait; with members, its stdout becomes a JSON array
 * of the lines it printed.  Its exit status, or -1 if it did not run. */
static int run_tar(char *const argv[], int members)
{
	int p[2] = { -1, -1 }, st;
	pid_t pid;

	fflush(stdout);
	if (members && pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (members) {
			dup2(p[1], STDOUT_FILENO);
			close(p[0]);
			close(p[1]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cfs: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (members) {
		FILE *in;
		char line[8192];
		int first = 1;

		close(p[1]);
		in = fdopen(p[0], "r");
		printf("[");
		while (in && fgets(line, sizeof line, in)) {
			line[strcspn(line, "\n")] = '\0';
			printf("%s", first ? "" : ",");
			ctlc_json_str(stdout, line);
			first = 0;
		}
		printf("]");
		if (in)
			fclose(in);
		else
			close(p[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Is name a closure (a .tar file)? */
static int is_closure(const char *name)
{
	const char *t = strstr(name, ".tar");

	return t && t != name;
}

static int examine(const char *name, int json)
{
	char *argv[] = { "tar", json ? "-tf" : "-tvf", (char *)name, NULL };
	int st_json;

	if (json) {
		printf("{\"closure\":");
		ctlc_json_str(stdout, name);
		printf(",\"members\":");
		st_json = run_tar(argv, 1);
		printf(",\"ok\":%s}", st_json ? "false" : "true");
		return st_json ? -1 : 0;
	}
	fputs("\nExamining closure ", stdout);   /* tar escapes its own lines */
	hs_esc_fputs(name, stdout);
	fputs("\n\n", stdout);
	if (run_tar(argv, 0) != 0) {
		printf("Couldn't read closure\n");
		return -1;
	}
	return 0;
}

static int replay(const char *name, const char *mnt, int remove_after, int json)
{
	char *argv[] = { "tar", "-xvf", (char *)name, "-C", (char *)mnt,
			 "--no-same-owner", NULL };
	int st_json;

	if (json) {
		printf("{\"closure\":");
		ctlc_json_str(stdout, name);
		printf(",\"mountpoint\":");
		ctlc_json_str(stdout, mnt);
		printf(",\"members\":");
		st_json = run_tar(argv, 1);
		printf(",\"ok\":%s}", st_json ? "false" : "true");
		if (st_json)
			return -1;
	} else {
		fputs("\nReplaying closure ", stdout);
		hs_esc_fputs(name, stdout);
		printf(" @ %s\n\n", mnt);
		if (run_tar(argv, 0) != 0) {
			printf("Couldn't replay closure\n");
			return -1;
		}
	}
	if (remove_after && unlink(name) < 0) {
		int err = errno;

		hs_esc_fputs(name, stderr);
		fprintf(stderr, ": %s\n", strerror(err));
		return -1;
	}
	return 0;
}

/* Keeps the path of getmountpoint's "ARG:  PATH" line. */
static void keep_path(void *arg, int chan, const char *text)
{
	char **out = arg;
	const char *p = strstr(text, ":  ");

	if (chan == CTLP_STDOUT && !*out && p)
		*out = strdup(p + 3);
}

/* Where closure name's volume is mounted: checkpointml names a closure
 * REALM_VOLUME.tar, and venus knows where it crossed into that volume
 * (getmountpoint VOLUME@REALM).  Else the mount itself (venus without
 * realms, or a volume not reached since).  malloc'd, or NULL. */
static char *closure_mount(struct ctlc_link *l, const char *name, const char *top)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	const char *us = strchr(base, '_');
	size_t n = strlen(base);
	char *want = NULL, *path = NULL;

	if (us && n > 4 && !strcmp(base + n - 4, ".tar") &&
	    asprintf(&want, "%.*s@%.*s", (int)(n - 4 - (size_t)(us + 1 - base)), us + 1,
		     (int)(us - base), base) >= 0) {
		const char *words[] = { "getmountpoint", want };

		if (ctlc_transact(l, 2, words, keep_path, &path) != 0) {
			free(path);
			path = NULL;
		}
	}
	free(want);
	return path ? path : strdup(top);
}

int cfs_closure(const char *cmd, int argc, char **argv, const char *sock, int json)
{
	int replaying = !strcmp(cmd, "replayclosure"), remove_after = 0, i, rc = 0;
	char *mnt = NULL;
	struct ctlc_link l;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (!replaying && !strcmp(argv[i], "-c")) {
			printf("Conflict-only examination not yet implemented\n");
			return 255;
		} else if (replaying && !strcmp(argv[i], "-i")) {
			printf("Interactive replay not yet implemented\n");
			return 255;
		} else if (replaying && !strcmp(argv[i], "-r")) {
			remove_after = 1;
		} else {
			fprintf(stderr, "Usage: cfs %s\n", replaying ?
				"replayclosure [-i] [-r] [<closure> <closure> ...]" :
				"examineclosure [-c] [<closure> <closure> ...]");
			return 255;
		}
	}
	if (i == argc) {
		/* Coda looks in its spool directory; venus's checkpoint
		 * directory is its own, and cfs ck names the files. */
		printf("No closures named (cfs checkpointml prints where it wrote them)\n");
		return 255;
	}
	if (replaying) {
		if (ctlc_open(&l, sock) < 0) {
			fprintf(stderr, "cfs: cannot reach venus at %s: %s\n", sock,
				strerror(errno));
			return 1;
		}
		mnt = ctlc_mountpoint(&l);
		if (!mnt) {
			ctlc_close(&l);
			return 1;
		}
	}
	if (json)
		printf("{\"closures\":[");
	for (int first = 1; i < argc && !rc; i++) {
		if (!is_closure(argv[i]))
			continue;
		if (json && !first)
			printf(",");
		first = 0;
		if (replaying) {
			char *at = closure_mount(&l, argv[i], mnt);

			rc = at ? replay(argv[i], at, remove_after, json) : -1;
			free(at);
		} else {
			rc = examine(argv[i], json);
		}
	}
	if (replaying)
		ctlc_close(&l);
	if (json)
		printf("]}\n");
	free(mnt);
	return rc ? 255 : 0;
}
