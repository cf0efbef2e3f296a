/*
 * spare.c - empty files kept for reuse (spare.h).
 *
 * The pool is <cachedir>/spare, on the same file system as containers/
 * and cml/ so that a rename moves a spare into place.  Its names are
 * remembered in memory (a stack of numbers); the directory is read once,
 * at the first use, so that spares left by the last run are used too.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/store/spare.h"

static struct {
	int      ready;          /* spare/ read (or found unusable: -1) */
	char     dir[4096];
	uint64_t names[SPARE_MAX];
	unsigned n;
	uint64_t next;           /* the next name to give */
} S;

static void spare_path(uint64_t name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%" PRIu64, S.dir, name);
}

/* Read what the last run left (only empty regular files count; anything
 * else in spare/ is removed). */
static void spare_scan(void)
{
	DIR *d = opendir(S.dir);
	struct dirent *e;
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		uint64_t v = strtoull(e->d_name, &end, 10);

		if (e->d_name[0] == '.')
			continue;
		if (*end || S.n == SPARE_MAX || fstatat(dirfd(d), e->d_name, &st, 0) ||
		    !S_ISREG(st.st_mode) || st.st_size) {
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		S.names[S.n++] = v;
		if (v >= S.next)
			S.next = v + 1;
	}
	closedir(d);
}

static int spare_ready(void)
{
	if (S.ready)
		return S.ready > 0;
	snprintf(S.dir, sizeof S.dir, "%s/spare", V->cfg.cachedir);
	if (mkdir(S.dir, 0700) && errno != EEXIST) {
		vlog(LOG_WARNING, "%s: %s; new files are made one by one", S.dir, strerror(errno));
		S.ready = -1;
		return 0;
	}
	spare_scan();
	S.ready = 1;
	return 1;
}

int spare_take(const char *path)
{
	char from[4200];

	if (!spare_ready() || !S.n)
		return ENOENT;
	spare_path(S.names[--S.n], from, sizeof from);
	if (rename(from, path) == 0)
		return 0;
	return errno;   /* that spare is forgotten; a later scan finds it */
}

int spare_give(const char *path)
{
	char to[4200];
	uint64_t name;

	if (!spare_ready() || S.n == SPARE_MAX)
		return ENOSPC;
	name = S.next++;
	spare_path(name, to, sizeof to);
	if (truncate(path, 0) || rename(path, to))
		return errno;
	S.names[S.n++] = name;
	return 0;
}

void spare_fini(void)
{
	memset(&S, 0, sizeof S);
}
