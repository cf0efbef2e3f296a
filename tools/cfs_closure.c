/*
 * cfs_closure.c - cfs examineclosure and replayclosure (Coda's ec, rc):
 * the closures cfs checkpointml writes (venus/ctl_ckpt.c: REALM_VOL.tar,
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
#include "tools/ctlclient.h"

/* Run argv (tar) and wait.  Its exit status, or -1 if it did not run. */
static int run_tar(char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "cfs: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
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

static int examine(const char *name)
{
	char *argv[] = { "tar", "-tvf", (char *)name, NULL };

	printf("\nExamining closure %s\n\n", name);
	if (run_tar(argv) != 0) {
		printf("Couldn't read closure\n");
		return -1;
	}
	return 0;
}

static int replay(const char *name, const char *mnt, int remove_after)
{
	char *argv[] = { "tar", "-xvf", (char *)name, "-C", (char *)mnt,
			 "--no-same-owner", NULL };

	printf("\nReplaying closure %s @ %s\n\n", name, mnt);
	if (run_tar(argv) != 0) {
		printf("Couldn't replay closure\n");
		return -1;
	}
	if (remove_after && unlink(name) < 0) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

int cfs_closure(const char *cmd, int argc, char **argv, const char *sock)
{
	int replaying = !strcmp(cmd, "replayclosure"), remove_after = 0, i, rc = 0;
	char *mnt = NULL;

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
		struct ctlc_link l;

		if (ctlc_open(&l, sock) < 0) {
			fprintf(stderr, "cfs: cannot reach venus at %s: %s\n", sock,
				strerror(errno));
			return 1;
		}
		mnt = ctlc_mountpoint(&l);
		ctlc_close(&l);
		if (!mnt)
			return 1;
	}
	for (; i < argc && !rc; i++)
		if (is_closure(argv[i]))
			rc = replaying ? replay(argv[i], mnt, remove_after) : examine(argv[i]);
	free(mnt);
	return rc ? 255 : 0;
}
