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
#include <time.h>
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

/* Does <pid>/fdinfo/<fd> name ino on our mount, open for writing?  Read
 * only for a link on our mount: most descriptors never need it. */
static int fr_fdinfo_match(const char *pid, const char *fd, uint64_t ino)
{
	char buf[512], path[96];
	int f;
	ssize_t n;
	unsigned long flags = 0;
	unsigned long long fino = 0;
	long mnt = -1;
	char *p;

	snprintf(path, sizeof(path), "/proc/%.20s/fdinfo/%.20s", pid, fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
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

/* Does one getdents64 record of <pid>/fd (fdd) name a write-capable
 * descriptor of ino? */
static int fr_fd_hit(int fdd, const char *pid, const char *fd, uint64_t ino)
{
	char link[PATH_MAX];
	ssize_t n;

	if (fd[0] == '.')
		return 0;
	n = readlinkat(fdd, fd, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return fr_link_ours(link) && fr_fdinfo_match(pid, fd, ino);
}

/* 1 if process pid has a write-capable descriptor of ino, 0 if not (or
 * if its table cannot be read: gone, a zombie, or another user's when
 * venus is not root, whose processes cannot use the mount then).  Read
 * with getdents64 on a plain descriptor: opendir would add an fstat, two
 * fcntls and a malloc to every FLUSH. */
static int fr_scan_pid(const char *pid, uint64_t ino)
{
	char path[64];
	char buf[8192] __attribute__((aligned(8)));
	int fdd, hit = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if ((fdd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	while (!hit && (n = getdents64(fdd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; !hit && off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);

			hit = fr_fd_hit(fdd, pid, e->d_name, ino);
			off += e->d_reclen;
		}
	}
	close(fdd);
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

/* Past n space-separated fields of proc(5)'s stat line: the next one,
 * or NULL. */
static const char *fr_skip(const char *p, int n)
{
	while (*p == ' ')
		p++;
	for (; p && n > 0; n--) {
		if ((p = strchr(p, ' ')))
			while (*p == ' ')
				p++;
	}
	return p && *p ? p : NULL;
}

/* Start time of pid (clock ticks since boot, proc(5) stat field 22);
 * 0 if it is gone, a zombie (its children were reparented) or
 * unreadable.  *threads (if given): its group's threads (field 20), 0
 * if unknown.  Parsed by hand: sscanf was most of this function's cost,
 * paid at every writable open and FLUSH. */
static unsigned long long fr_start(pid_t pid, long *threads)
{
	char path[64], buf[1024];
	const char *p, *state, *nth, *start;
	ssize_t n;
	int fd;

	if (threads)
		*threads = 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after ")": state is field 3, num_threads 20, starttime 22 */
	if (!(p = strrchr(buf, ')')) || !(state = fr_skip(p + 1, 0)) ||
	    !(nth = fr_skip(state, 17)) || !(start = fr_skip(nth, 2)) ||
	    !isdigit((unsigned char)*start))
		return 0;
	if (*state == 'Z' || *state == 'X')
		return 0;
	if (threads)
		*threads = strtol(nth, NULL, 10);
	return strtoull(start, NULL, 10);
}

/* Start times read in the last FR_MEMO_NS, by pid: a process that opens
 * many files (tar, cp -r, a build) pays /proc/PID/stat once a second,
 * not at every open.  Safe even if the pid was reused meanwhile: the
 * FLUSH's check then finds another start time and searches every
 * process, as for a gone opener (and with cyclic pids a reuse within a
 * second needs pid_max forks in it). */
#define FR_MEMO    16
#define FR_MEMO_NS 1000000000LL

static struct {
	pid_t              pid;
	unsigned long long start;
	long long          at;    /* CLOCK_MONOTONIC_COARSE, ns */
} fr_memo[FR_MEMO];

static long long fr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);   /* vDSO: no syscall */
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void hf_opener_get(pid_t pid, struct hf_opener *op)
{
	unsigned i = (unsigned)pid % FR_MEMO;
	long long now;

	op->pid = pid;
	op->start = 0;
	if (pid <= 0)
		return;
	now = fr_now();
	if (fr_memo[i].pid == pid && now - fr_memo[i].at < FR_MEMO_NS) {
		op->start = fr_memo[i].start;
		return;
	}
	if ((op->start = fr_start(pid, NULL)) != 0) {
		fr_memo[i].pid = pid;
		fr_memo[i].start = op->start;
		fr_memo[i].at = now;
	}
}

#define FR_SEEN_MAX 512

struct fr_walk {
	uint64_t ino;
	pid_t    self;    /* venus */
	pid_t    seen[FR_SEEN_MAX];
	size_t   nseen;
};

static int fr_tree(struct fr_walk *w, pid_t pid, long threads, int depth);

/* The children of thread tid of pid's group: 1, 0, or -1 (cannot tell). */
static int fr_thread_children(struct fr_walk *w, pid_t pid, const char *tid, int depth)
{
	char path[96], buf[4096];
	char *p, *end;
	ssize_t n;
	int fd, res = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%.20s/children", (long)pid, tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* The thread is there but not the file: a kernel without
		 * CONFIG_PROC_CHILDREN. */
		snprintf(path, sizeof(path), "/proc/%ld/task/%.20s", (long)pid, tid);
		return errno == ENOENT && access(path, F_OK) == 0 ? -1 : 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	if (n == (ssize_t)sizeof(buf) - 1)
		return -1;   /* too many to read at once */
	buf[n] = '\0';
	for (p = buf; res == 0; p = end) {
		long c = strtol(p, &end, 10);

		if (end == p)
			break;
		res = fr_tree(w, (pid_t)c, 0, depth + 1);
	}
	return res;
}

/* The children of every thread of pid's group: 1, 0, or -1 (cannot
 * tell).  threads: the group's threads if known (else 0); with one, it
 * is pid itself (a live opener: its start check passed), whose children
 * file is read without listing task/. */
static int fr_children(struct fr_walk *w, pid_t pid, long threads, int depth)
{
	char path[64];
	struct dirent *e;
	int res = 0;
	DIR *d;

	if (threads == 1) {
		snprintf(path, sizeof(path), "%ld", (long)pid);
		return fr_thread_children(w, pid, path, depth);
	}
	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if (!(d = opendir(path)))
		return 0;   /* gone meanwhile: its children were reparented,
			     * but then our caller's start check failed */
	while (res == 0 && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]))
			res = fr_thread_children(w, pid, e->d_name, depth);
	closedir(d);
	return res;
}

static int fr_tree(struct fr_walk *w, pid_t pid, long threads, int depth)
{
	char name[32];
	size_t i;
	int res;

	if (pid <= 0 || pid == w->self)
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
	return fr_children(w, pid, threads, depth);
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
	w->self = getpid();
	for (size_t i = 0; res == 0 && i < n; i++) {
		long threads;

		if (!ops[i].start || fr_start(ops[i].pid, &threads) != ops[i].start)
			res = -1;   /* the opener is gone: its copies moved */
		else
			res = fr_tree(w, ops[i].pid, threads, 0);
	}
	free(w);
	return res < 0 ? fr_scan_all(ino) : res;
}
