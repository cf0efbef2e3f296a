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
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/store/spare.h"

static struct {
	int      ready;          /* spare/ read (or found unusable: -1) */
	char     dir[4096];
	uint64_t names[SPARE_MAX];
	unsigned n;
	uint64_t next;           /* the next name to give */
	struct event *fill;      /* the refill timer (fill_tick) */
	int      busy;           /* taken or missed since the last tick */
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

static void fill_arm(void);

int spare_take(const char *path)
{
	char from[4200];

	S.busy = 1;
	fill_arm();
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

/* ---- refill while no file is being made ---- */

/* Room for SPARE_FILL more inodes many times over (a small file system,
 * as the tests' full-disk ones, is left alone); f_files 0: no limit. */
static int inodes_to_spare(void)
{
	struct statvfs sv;

	if (statvfs(S.dir, &sv))
		return 0;
	return sv.f_files == 0 || sv.f_favail >= 16 * (fsfilcnt_t)SPARE_FILL;
}

/* One new empty file in the pool; 0 when it could not be made. */
static int fill_one(void)
{
	char path[4200];
	uint64_t name = S.next++;
	int fd;

	spare_path(name, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	close(fd);
	S.names[S.n++] = name;
	return 1;
}

/* Every SPARE_TICK_MS while the pool is under SPARE_FILL: a tick with no
 * take since the last one (no burst of creates under way) makes up to
 * SPARE_FILL_STEP files; a busy one waits for the next. */
static void fill_tick(evutil_socket_t fd, short what, void *arg)
{
	int made = 0;

	if (S.busy || !spare_ready()) {
		S.busy = 0;
		fill_arm();
		return;
	}
	if (!inodes_to_spare())
		return;   /* armed again by the next take */
	while (S.n < SPARE_FILL && made < SPARE_FILL_STEP && fill_one())
		made++;
	if (made == SPARE_FILL_STEP)
		fill_arm();
}

static void fill_arm(void)
{
	struct timeval tv = { 0, SPARE_TICK_MS * 1000 };

	if (!V || !V->base || S.ready < 0 || (S.ready && S.n >= SPARE_FILL))
		return;
	if (!S.fill && !(S.fill = evtimer_new(V->base, fill_tick, NULL)))
		return;
	if (!evtimer_pending(S.fill, NULL))
		evtimer_add(S.fill, &tv);
}

void spare_fill_start(void)
{
	fill_arm();
}

void spare_fini(void)
{
	if (S.fill)
		event_free(S.fill);
	memset(&S, 0, sizeof S);
}
