/*
 * fuse_fdref.c - is a file still open for writing by some descriptor?
 *
 * FUSE sends FLUSH at every close(2) of a descriptor, including the close
 * of a dup or of a copy a fork inherited, and RELEASE (which close(2) does
 * not wait for) only at the last fput.  FLUSH carries no reference count.
 * The kernel removes the descriptor from its table before it sends FLUSH,
 * so a write-capable descriptor of the inode that /proc still lists after
 * that belongs to a later close: the store waits for it.
 *
 * Where to look: a struct file's descriptors live in the process that
 * opened it and in the processes forked from it since, so each open
 * records its opener (pid and start time), and FLUSH walks the openers'
 * process trees (/proc/<pid>/task/<tid>/children).  When an opener is
 * gone (its children were reparented), the tree cannot be walked or is
 * too large, every process is scanned (a few ms with 2000 descriptors).
 * Only /proc is read: readdir of <pid>/fd, readlink (d_path, no upcall)
 * and <pid>/fdinfo.  Never stat through a link: that would be an upcall
 * to ourselves.
 *
 * Not seen (doc/design.md): descriptors passed to an unrelated process
 * (SCM_RIGHTS, pidfd_getfd) or inherited by a grandchild whose parent
 * exited while the opener lives on, io_uring fixed files, processes in
 * other mount namespaces (their links name other paths).
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

/* Every process but venus. */
static int fr_scan_all(uint64_t ino)
{
	char self[32];
	DIR *d;
	struct dirent *e;
	int hit = 0;

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

/* Start time of pid (clock ticks since boot, proc(5) stat field 22);
 * 0 if it is gone, a zombie (its children were reparented) or
 * unreadable. */
static unsigned long long fr_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	char state = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')))
		return 0;
	/* after ")": state is field 3, starttime field 22 */
	if (sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d"
		   " %*d %*d %*d %*d %llu", &state, &start) != 2)
		return 0;
	return state == 'Z' || state == 'X' ? 0 : start;
}

void hf_opener_get(pid_t pid, struct hf_opener *op)
{
	op->pid = pid;
	op->start = pid > 0 ? fr_start(pid) : 0;
}

#define FR_SEEN_MAX 512

struct fr_walk {
	uint64_t ino;
	pid_t    seen[FR_SEEN_MAX];
	size_t   nseen;
};

static int fr_tree(struct fr_walk *w, pid_t pid, int depth);

/* The children of every thread of pid's group: 1, 0, or -1 (cannot tell). */
static int fr_children(struct fr_walk *w, pid_t pid, int depth)
{
	char path[96], buf[4096];
	struct dirent *e;
	int res = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if (!(d = opendir(path)))
		return 0;   /* gone meanwhile: its children were reparented,
			     * but then our caller's start check failed */
	while (res == 0 && (e = readdir(d))) {
		ssize_t n;
		char *p, *end;
		int fd;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.20s/children", (long)pid, e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			/* The thread is there but not the file: a kernel
			 * without CONFIG_PROC_CHILDREN. */
			snprintf(path, sizeof(path), "/proc/%ld/task/%.20s", (long)pid, e->d_name);
			if (errno == ENOENT && access(path, F_OK) == 0)
				res = -1;
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			continue;
		if (n == (ssize_t)sizeof(buf) - 1) {
			res = -1;   /* too many to read at once */
			break;
		}
		buf[n] = '\0';
		for (p = buf; res == 0; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			res = fr_tree(w, (pid_t)c, depth + 1);
		}
	}
	closedir(d);
	return res;
}

static int fr_tree(struct fr_walk *w, pid_t pid, int depth)
{
	char name[32];
	size_t i;
	int res;

	if (pid <= 0 || pid == getpid())
		return 0;
	for (i = 0; i < w->nseen; i++)
		if (w->seen[i] == pid)
			return 0;
	if (w->nseen == FR_SEEN_MAX || depth > 64)
		return -1;
	w->seen[w->nseen++] = pid;
	snprintf(name, sizeof(name), "%ld", (long)pid);
	if ((res = fr_scan_pid(name, w->ino)) != 0)
		return res;
	return fr_children(w, pid, depth);
}

int hf_fdref_writer(uint64_t ino, const struct hf_opener *ops, size_t n)
{
	struct fr_walk *w;
	int res = 0;

	if (!fr_mnt[0])
		return -1;
	if (fr_mnt_id < 0)
		fr_mnt_id = fr_find_mnt_id();
	if (!ops || !(w = calloc(1, sizeof(*w))))
		return fr_scan_all(ino);
	w->ino = ino;
	for (size_t i = 0; res == 0 && i < n; i++) {
		if (!ops[i].start || fr_start(ops[i].pid) != ops[i].start)
			res = -1;   /* the opener is gone: its copies moved */
		else
			res = fr_tree(w, ops[i].pid, 0);
	}
	free(w);
	return res < 0 ? fr_scan_all(ino) : res;
}
