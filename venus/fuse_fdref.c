/*
 * fuse_fdref.c - is a file still open for writing by some descriptor?
 *
 * FUSE sends FLUSH at every close(2) of a descriptor, including the close
 * of a dup or of a copy a fork inherited, and RELEASE (which close(2) does
 * not wait for) only at the last fput.  FLUSH carries no reference count.
 * The kernel removes the descriptor from its table before it sends FLUSH,
 * so a write-capable descriptor of the inode that /proc still lists after
 * that is a later close: the store waits for it.  Only /proc is read:
 * readdir of <pid>/fd, readlink (d_path, no upcall) and <pid>/fdinfo.
 * Never stat through a link: that would be an upcall to ourselves.
 *
 * Limits (doc/design.md): descriptors in flight in SCM_RIGHTS messages,
 * io_uring fixed files and processes in other mount namespaces (their
 * links name other paths) are not seen.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse_int.h"

static char   fr_mnt[PATH_MAX];  /* canonical mount point */
static size_t fr_mntlen;
static long   fr_mnt_id = -1;    /* from /proc/self/mountinfo, -1: unknown */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void fr_unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3])) {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* Our mount's id: the last mountinfo line whose mount point is ours (a
 * later mount over the same path hides earlier ones). */
static long fr_find_mnt_id(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[PATH_MAX + 512], mp[PATH_MAX + 1];
	long id, found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%ld %*d %*s %*s %4096s", &id, mp) != 2)
			continue;
		fr_unescape(mp);
		if (strcmp(mp, fr_mnt) == 0)
			found = id;
	}
	fclose(f);
	return found;
}

void hf_fdref_init(const char *mountpoint)
{
	snprintf(fr_mnt, sizeof(fr_mnt), "%s", mountpoint);
	fr_mntlen = strlen(fr_mnt);
	if (fr_mntlen == 1)   /* mounted on "/": every path is below it */
		fr_mntlen = 0;
	fr_mnt_id = -1;
}

/* Does fdinfo name ino on our mount, open for writing? */
static int fr_fdinfo_match(int fdinfo_dir, const char *fd, uint64_t ino)
{
	char buf[512];
	int f = openat(fdinfo_dir, fd, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	unsigned long flags = 0;
	unsigned long long fino = 0;
	long mnt = -1;
	char *p;

	if (f < 0)
		return 0;   /* closed meanwhile */
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strstr(buf, "flags:")))
		flags = strtoul(p + 6, NULL, 8);
	if ((p = strstr(buf, "mnt_id:")))
		mnt = strtol(p + 7, NULL, 10);
	if ((p = strstr(buf, "\nino:")))
		fino = strtoull(p + 5, NULL, 10);
	if (fino != ino || (flags & O_ACCMODE) == O_RDONLY)
		return 0;
	return fr_mnt_id < 0 || mnt == fr_mnt_id;
}

/* Is the link text a path on our mount? */
static int fr_link_ours(const char *link)
{
	if (fr_mntlen == 0)
		return link[0] == '/';
	return strncmp(link, fr_mnt, fr_mntlen) == 0 &&
	       (link[fr_mntlen] == '/' || link[fr_mntlen] == '\0' || link[fr_mntlen] == ' ');
}

/* 1 if process pid has a write-capable descriptor of ino, 0 if not (or
 * if its table cannot be read: gone, a zombie, or another user's when
 * venus is not root, whose processes cannot use the mount then), -1 when
 * out of memory. */
static int fr_scan_pid(const char *pid, uint64_t ino)
{
	char path[64], link[PATH_MAX];
	int fdd, infod, hit = 0;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if ((fdd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	if ((infod = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		close(fdd);
		return 0;
	}
	if (!(d = fdopendir(fdd))) {
		close(fdd);
		close(infod);
		return -1;
	}
	while (!hit && (e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (fr_link_ours(link) && fr_fdinfo_match(infod, e->d_name, ino))
			hit = 1;
	}
	closedir(d);
	close(infod);
	return hit;
}

int hf_fdref_writer(uint64_t ino)
{
	char self[32];
	DIR *d;
	struct dirent *e;
	int hit = 0;

	if (!fr_mnt[0])
		return -1;
	if (fr_mnt_id < 0)
		fr_mnt_id = fr_find_mnt_id();
	if (!(d = opendir("/proc")))
		return -1;
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	while (hit == 0 && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) || strcmp(e->d_name, self) == 0)
			continue;
		hit = fr_scan_pid(e->d_name, ino);
	}
	closedir(d);
	return hit;
}
