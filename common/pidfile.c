/*
 * common/pidfile.c - a daemon's pid file (hesper/sdnotify.h): written to
 * a temporary name and renamed, so a reader never sees it half written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hesper/sdnotify.h"

int hs_pidfile_write(const char *path)
{
	char *tmp;
	FILE *f;
	int fd, err = 0;

	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
	} else {
		if (fprintf(f, "%ld\n", (long)getpid()) < 0 || fflush(f))
			err = -errno;
		if (fclose(f) && !err)
			err = -errno;
	}
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

void hs_pidfile_remove(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		if (strtol(buf, NULL, 10) == (long)getpid())
			unlink(path);
	}
}
