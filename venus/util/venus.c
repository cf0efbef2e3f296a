/*
 * venus.c - the process context (venus.h): the event loop, configuration,
 * venus.db, counters, and the instances main.c makes.  main.c (or a unit
 * test) points V at its struct venus before anything else runs.
 *
 * Also the cache directory's modes (venus_cachedir_prepare): on a machine
 * with several local users the cache holds every user's file names and
 * data, so no one but root may read it (doc/design.md "Local users").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include "venus/util/venus.h"

struct venus *V;

/* Make path's missing directories: the last one mode last, the ones
 * above it 0755 (others must be able to reach the control socket).
 * 0 or an errno. */
static int make_dirs(const char *path, mode_t last)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p)
		return ENOMEM;
	for (char *s = p + 1; !rc; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, c ? 0755 : last) == 0)
			rc = chmod(p, c ? 0755 : last) ? errno : 0;   /* past the umask */
		else if (errno != EEXIST)
			rc = errno;
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* Take away the bits of path (not a symlink: lstat) beyond max.  A file
 * that is missing is fine. */
static void tighten(const char *dir, const char *name, mode_t max, int want_dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (lstat(path, &st) < 0 || (S_ISDIR(st.st_mode) ? 1 : 0) != want_dir ||
	    (!want_dir && !S_ISREG(st.st_mode)) || !(st.st_mode & 07777 & ~max))
		return;
	if (chmod(path, st.st_mode & max) < 0)
		vlog(LOG_WARNING, "%s: cannot make it private: %s", path, strerror(errno));
	else
		vlog(LOG_NOTICE, "%s: mode %04o -> %04o (private to root)", path,
		     (unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & max));
}

/* Is the control socket's directory the cache directory itself? */
static int socket_in_cache(const char *cachedir, const char *sock)
{
	const char *slash = strrchr(sock, '/');
	size_t n = slash ? (size_t)(slash - sock) : 0;
	size_t cl = strlen(cachedir);

	while (cl > 1 && cachedir[cl - 1] == '/')
		cl--;
	return slash && n == cl && !strncmp(sock, cachedir, n);
}

/* Warn when a directory above the control socket keeps other users out
 * (a 0700 parent): their cfs would fail with EACCES. */
static void check_reachable(const char *sock)
{
	char *p = strdup(sock);
	struct stat st;

	if (!p)
		return;
	for (char *s = strrchr(p, '/'); s && s > p; s = strrchr(p, '/')) {
		*s = '\0';
		if (stat(p, &st) == 0 && !(st.st_mode & S_IXOTH)) {
			vlog(LOG_WARNING, "%s: mode %04o: users other than root cannot "
			     "reach the control socket %s", p, (unsigned)(st.st_mode & 07777),
			     sock);
			break;
		}
	}
	free(p);
}

int venus_cachedir_prepare(void)
{
	static const char *const files[] = { "venus.db", "venus.db-wal",
		"venus.db-shm", "venus.db-journal", "known_servers", "reserve" };
	static const char *const dirs[] = { "containers", "cml", "conflicts",
		"checkpoint" };
	const char *dir = V->cfg.cachedir, *sock = V->cfg.ctlsocket;
	/* Others may pass through to the socket, never list or read. */
	mode_t mode = sock && socket_in_cache(dir, sock) ? 0711 : 0700;
	struct stat st;
	int err;

	/* Whatever umask venus was started with, nothing it makes is for
	 * other users: SQLite gives venus.db's -wal and -shm its mode. */
	umask(077);
	if ((err = make_dirs(dir, mode)))
		return err;
	if (lstat(dir, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if ((st.st_mode & 07777) != mode) {
		if (chmod(dir, mode) < 0)
			return errno;
		vlog(LOG_NOTICE, "%s: mode %04o -> %04o", dir,
		     (unsigned)(st.st_mode & 07777), (unsigned)mode);
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		tighten(dir, files[i], 0600, 0);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		tighten(dir, dirs[i], 0700, 1);
	/* A socket elsewhere: its directory must let everyone reach it. */
	if (sock && !socket_in_cache(dir, sock) && strrchr(sock, '/') != sock) {
		char *sdir = strdup(sock);

		if (!sdir)
			return ENOMEM;
		*strrchr(sdir, '/') = '\0';
		err = make_dirs(sdir, 0755);
		free(sdir);
		if (err)
			return err;
	}
	if (sock)
		check_reachable(sock);
	return 0;
}
