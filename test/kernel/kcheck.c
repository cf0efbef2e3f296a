/*
 * kcheck.c - in-guest checks of a mounted kernel channel (Hesper's module
 * or coda.ko) served by minivenus or venus.
 *
 * usage: kcheck [-x] [-T] [-e CMD] TAG MNT STATSCMD
 *   TAG      prefix for the ok/FAIL lines (e.g. "hesper/tmpfs")
 *   MNT      the mount point
 *   STATSCMD shell command printing "stores N" (cat of minivenus's stats
 *            file, or `cfs stats` under real venus)
 *   -x       the channel is stock coda.ko: skip splice/fallocate cases
 *            it does not support
 *   kcheck -R DIR: exit 0 if reading DIR fails with EIO
 *   -T       coda.ko with containers on tmpfs: venus's fallback cannot
 *            see mapped writes there and stores every writable open that
 *            was mmapped, so a MAP_PRIVATE write costs a store
 *   -e CMD   Hesper's module: also check the written extents of CLOSE
 *            (HCFS_O_EXTENTS); CMD prints what the last written CLOSE
 *            carried, as "extents N cut C" (C -1: none) followed by
 *            "extent OFF+LEN" for each range (minivenus's stats file,
 *            or venus -d's log lines)
 * Each written-flag case is judged by whether its close stored the file:
 * the difference in the "stores" counter.  Prints ok/FAIL lines; exit 1
 * on any failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *tag, *mnt, *statscmd, *extcmd;
static int coda_ko, coda_tmpfs, failures;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	printf("%s - [%s] ", ok ? "ok  " : "FAIL", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf(" (errno %s)", strerror(e));
		failures++;
	}
	printf("\n");
	fflush(stdout);
}

static long stores(void)
{
	char line[256];
	long n = -1;
	FILE *p = popen(statscmd, "r");

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "stores %ld", &n) == 1)
			break;
	pclose(p);
	return n;
}

static char *path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", mnt, name);
	return buf[i];
}

static int put_file(const char *name, const char *data, size_t len)
{
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static ssize_t get_file(const char *name, char *buf, size_t len)
{
	int fd = open(path(name), O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < len && (n = read(fd, buf + total, len - total)) > 0)
		total += n;
	close(fd);
	return total;
}

/* One written-flag case: run fn on a fresh 8 KiB file, expect delta stores. */
static void wcase(const char *name, const char *desc, long want, int (*fn)(const char *))
{
	static char data[8192];
	long before, after;
	int rc;

	memset(data, 'a', sizeof(data));
	if (put_file(name, data, sizeof(data)) < 0) {
		check(0, "%s: create", desc);
		return;
	}
	before = stores();
	rc = fn(path(name));
	after = stores();
	check(rc == 0 && before >= 0 && after - before == want,
	      "written flag: %s -> %ld store(s) (want %ld, rc %d)", desc,
	      after - before, want, rc);
}

static int c_open_close(const char *p)
{
	int fd = open(p, O_RDWR);

	return fd < 0 ? -1 : close(fd);
}

static int c_read_only(const char *p)
{
	char buf[100];
	int fd = open(p, O_RDONLY);
	void *m;

	if (fd < 0 || read(fd, buf, sizeof(buf)) != sizeof(buf))
		return -1;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || ((char *)m)[10] != 'a')
		return -1;
	munmap(m, 4096);
	return close(fd);
}

static int c_write(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || pwrite(fd, "W", 1, 5) != 1)
		return -1;
	return close(fd);
}

static int c_mmap_shared(const char *p)
{
	int fd = open(p, O_RDWR);
	char *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	if (m[4096] != 'a')	/* read first: the write must still fault */
		return -1;
	m[4096] = 'M';
	munmap(m, 8192);
	return close(fd);
}

/* The mapping outlives close(fd): nothing stored at close, one store at
 * munmap, from a page_mkwrite that happened after close. */
static int c_mmap_after_close(const char *p)
{
	long before = stores();
	int fd = open(p, O_RDWR);
	char *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	close(fd);
	if (stores() != before) {
		fprintf(stderr, "kcheck: store already at close(fd)\n");
		return -1;
	}
	m[100] = 'L';
	if (stores() != before)
		return -1;
	munmap(m, 8192);
	return 0;
}

static int c_mmap_private(const char *p)
{
	int fd = open(p, O_RDWR);
	char *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	m[0] = 'P';
	munmap(m, 8192);
	return close(fd);
}

static int c_ftruncate(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || ftruncate(fd, 100) < 0)
		return -1;
	return close(fd);
}

static int c_truncate_path(const char *p)
{
	return truncate(p, 50);
}

static int c_fallocate(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || fallocate(fd, 0, 0, 65536) < 0)
		return -1;
	return close(fd);
}

static int c_sendfile(const char *p)
{
	int in = open("/tmp/kcheck.src", O_RDONLY);
	int fd = open(p, O_RDWR);
	off_t off = 0;

	if (in < 0 || fd < 0 || sendfile(fd, in, &off, 4) <= 0)
		return -1;
	close(in);
	return close(fd);
}

/* A plain file outside the mount to splice from. */
static int put_src(void)
{
	int fd = open("/tmp/kcheck.src", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "SRC!", 4) != 4)
		return -1;
	return close(fd);
}

static void written_cases(void)
{
	char buf[8192];

	wcase("w_none", "open O_RDWR + close, no write", 0, c_open_close);
	wcase("w_ro", "read-only open, read + read-only mmap", 0, c_read_only);
	wcase("w_write", "pwrite(2)", 1, c_write);
	check(get_file("w_write", buf, sizeof(buf)) == 8192 && buf[5] == 'W' && buf[4] == 'a',
	      "data written by pwrite reads back");
	wcase("w_mmap", "write only through mmap(MAP_SHARED) + munmap + close", 1, c_mmap_shared);
	check(get_file("w_mmap", buf, sizeof(buf)) == 8192 && buf[4096] == 'M',
	      "data written through the mapping reads back");
	wcase("w_late", "mapping outlives close(fd): store at munmap", 1, c_mmap_after_close);
	check(get_file("w_late", buf, sizeof(buf)) == 8192 && buf[100] == 'L',
	      "data written after close(fd) reads back");
	if (coda_tmpfs)
		wcase("w_priv", "MAP_PRIVATE write (conservative store on coda.ko+tmpfs)",
		      1, c_mmap_private);
	else
		wcase("w_priv", "MAP_PRIVATE write", 0, c_mmap_private);
	check(get_file("w_priv", buf, sizeof(buf)) == 8192 && buf[0] == 'a',
	      "MAP_PRIVATE write did not reach the file");
	wcase("w_trunc", "ftruncate only", 1, c_ftruncate);
	wcase("w_trpath", "truncate(path) only", 1, c_truncate_path);
	if (!coda_ko) {
		wcase("w_falloc", "fallocate only", 1, c_fallocate);
		wcase("w_splice", "sendfile (splice) into the file", 1, c_sendfile);
	}
}

/* ---- written extents (HCFS_O_EXTENTS) ---- */

#define EMAX 80
struct ext_seen {
	int n;                  /* -1: no extents line (whole file) */
	long long cut;          /* -1: none */
	unsigned long long off[EMAX], len[EMAX];
};

/* The last written CLOSE's extents, as extcmd prints them. */
static void ext_read(struct ext_seen *s)
{
	static char out[1 << 16];
	size_t n = 0, r;
	char *p, *last = NULL;
	FILE *f = popen(extcmd, "r");

	s->n = -1;
	if (!f)
		return;
	while (n < sizeof(out) - 1 && (r = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
		n += r;
	pclose(f);
	out[n] = 0;
	for (p = out; (p = strstr(p, "extents ")); p++)
		last = p;
	if (!last || sscanf(last, "extents %d cut %lld", &s->n, &s->cut) != 2) {
		s->n = -1;
		return;
	}
	if (s->n > EMAX)
		s->n = EMAX;
	p = last + 1;
	for (int i = 0; i < s->n; i++) {
		if (!(p = strstr(p, "extent ")) ||
		    sscanf(p, "extent %llu+%llu", &s->off[i], &s->len[i]) != 2) {
			s->n = -1;
			return;
		}
		p++;
	}
}

static int ext_covers(const struct ext_seen *s, unsigned long long off, unsigned long long len)
{
	for (int i = 0; i < s->n; i++)
		if (s->off[i] <= off && off + len <= s->off[i] + s->len[i])
			return 1;
	return 0;
}

static int put_sized(const char *name, size_t size)
{
	static char chunk[65536];
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t done = 0, n;

	memset(chunk, 'a', sizeof(chunk));
	if (fd < 0)
		return -1;
	for (; done < size; done += n) {
		n = size - done < sizeof(chunk) ? size - done : sizeof(chunk);
		if (write(fd, chunk, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

/* One extents case: fn on a fresh file of size bytes, then the last
 * written CLOSE must carry exactly want (n ranges "off+len", cut). */
static void ecase(const char *name, const char *desc, size_t size, int (*fn)(const char *),
		  int n, long long cut, const unsigned long long *want)
{
	struct ext_seen s;
	int rc, same;

	if (put_sized(name, size) < 0) {
		check(0, "extents: %s: create", desc);
		return;
	}
	rc = fn(path(name));
	ext_read(&s);
	same = rc == 0 && s.n == n && s.cut == cut;
	for (int i = 0; same && i < n; i++)
		same = s.off[i] == want[2 * i] && s.len[i] == want[2 * i + 1];
	check(same, "extents: %s -> %d range(s), first %llu+%llu, cut %lld (want %d, %llu+%llu, cut %lld; rc %d)",
	      desc, s.n, s.n > 0 ? s.off[0] : 0, s.n > 0 ? s.len[0] : 0, s.cut,
	      n, n > 0 ? want[0] : 0, n > 0 ? want[1] : 0, cut, rc);
}

static int e_pwrite(const char *p)
{
	static char buf[4096];
	int fd = open(p, O_RDWR);

	memset(buf, 'X', sizeof(buf));
	if (fd < 0 || pwrite(fd, buf, sizeof(buf), 512 * 1024) != sizeof(buf))
		return -1;
	return close(fd);
}

static int e_mmap(const char *p)
{
	int fd = open(p, O_RDWR);
	char *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	if (m[5 * 4096] != 'a')	/* read faults map pages, but not writable */
		return -1;
	m[3 * 4096 + 10] = 'M';
	munmap(m, 65536);
	return close(fd);
}

static int e_trunc_write(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || ftruncate(fd, 100) < 0 || pwrite(fd, "xyz", 3, 200) != 3)
		return -1;
	return close(fd);
}

static int e_trunc_path(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || truncate(p, 50) < 0)
		return -1;
	return close(fd);
}

static int e_falloc(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || fallocate(fd, 0, 65536, 8192) < 0)
		return -1;
	return close(fd);
}

static int e_two_joined(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0 || pwrite(fd, "12", 2, 1000) != 2 || pwrite(fd, "34", 2, 1002) != 2 ||
	    pwrite(fd, "5", 1, 9000) != 1)
		return -1;
	return close(fd);
}

/* More ranges than one CLOSE carries: 100 one-byte writes 8 KiB apart. */
static int e_many(const char *p)
{
	int fd = open(p, O_RDWR);

	if (fd < 0)
		return -1;
	for (int i = 0; i < 100; i++)
		if (pwrite(fd, "m", 1, (off_t)i * 8192) != 1)
			return -1;
	return close(fd);
}

static void extent_cases(void)
{
	static const unsigned long long pw[] = { 512 * 1024, 4096 },
		mm[] = { 3 * 4096, 4096 }, tw[] = { 200, 3 }, fa[] = { 65536, 8192 },
		two[] = { 1000, 4, 9000, 1 };
	static char buf[65536];
	struct ext_seen s;
	int all = 1, rc;

	ecase("e_pwrite", "4 KiB pwrite at 512 KiB into a 1 MiB file", 1 << 20, e_pwrite,
	      1, -1, pw);
	ecase("e_mmap", "one byte through mmap(MAP_SHARED): its page", 65536, e_mmap,
	      1, -1, mm);
	check(get_file("e_mmap", buf, sizeof(buf)) == 65536 && buf[3 * 4096 + 10] == 'M' &&
	      buf[3 * 4096 + 9] == 'a',
	      "extents: the mapped write reads back");
	ecase("e_trunc", "ftruncate(100) then pwrite 3 bytes at 200", 8192, e_trunc_write,
	      1, 100, tw);
	check(get_file("e_trunc", buf, 8192) == 203 && buf[150] == 0 && buf[200] == 'x',
	      "extents: truncate+write reads back (zeros between)");
	ecase("e_trpath", "truncate(path, 50) while open for writing", 8192, e_trunc_path,
	      0, 50, NULL);
	ecase("e_falloc", "fallocate(65536, 8192)", 8192, e_falloc, 1, -1, fa);
	ecase("e_two", "touching writes join, a distant one stays apart", 16384,
	      e_two_joined, 2, -1, two);
	if (put_sized("e_many", 1 << 20) < 0) {
		check(0, "extents: e_many: create");
		return;
	}
	rc = e_many(path("e_many"));
	ext_read(&s);
	for (int i = 0; i < 100; i++)
		all = all && ext_covers(&s, (unsigned long long)i * 8192, 1);
	check(rc == 0 && s.n > 0 && s.n <= 64 && all,
	      "extents: 100 scattered writes -> %d range(s) (<= 64) covering every write", s.n);
}

static void namespace_cases(void)
{
	char buf[65536], big[1 << 20];
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, found = 0, i;

	check(stat(mnt, &st) == 0 && S_ISDIR(st.st_mode), "stat mount point");
	check(stat(path("nope"), &st) < 0 && errno == ENOENT, "missing name: ENOENT");
	check(mkdir(path("dir"), 0755) == 0, "mkdir");
	check(put_file("dir/f1", "hello\n", 6) == 0, "create + write dir/f1");
	check(get_file("dir/f1", buf, sizeof(buf)) == 6 && !memcmp(buf, "hello\n", 6),
	      "read dir/f1 back");
	check(stat(path("dir/f1"), &st) == 0 && st.st_size == 6 && S_ISREG(st.st_mode),
	      "stat dir/f1: size 6");
	fd = open(path("dir/f1"), O_WRONLY | O_APPEND);
	check(fd >= 0 && write(fd, "more\n", 5) == 5 && close(fd) == 0, "O_APPEND write");
	if (coda_ko)	/* C_O_* has no append bit: the container ignores it */
		printf("note - [%s] O_APPEND not checked on coda.ko\n", tag);
	else
		check(get_file("dir/f1", buf, sizeof(buf)) == 11 &&
		      !memcmp(buf, "hello\nmore\n", 11), "append landed at the end");
	for (i = 0; i < 20; i++) {
		char n[64];

		snprintf(n, sizeof(n), "dir/entry-%02d", i);
		put_file(n, "x", 1);
	}
	d = opendir(path("dir"));
	while (d && (de = readdir(d)))
		found += !strncmp(de->d_name, "entry-", 6) || !strcmp(de->d_name, "f1");
	if (d)
		closedir(d);
	check(found == 21, "readdir lists the 21 entries (found %d)", found);
	check(rename(path("dir/f1"), path("dir/f2")) == 0 && stat(path("dir/f1"), &st) < 0 &&
	      stat(path("dir/f2"), &st) == 0, "rename");
	check(link(path("dir/f2"), path("dir/f3")) == 0 && stat(path("dir/f3"), &st) == 0 &&
	      st.st_nlink == 2, "link: nlink 2");
	check(symlink("f2", path("dir/sl")) == 0, "symlink");
	memset(buf, 0, 64);
	check(readlink(path("dir/sl"), buf, 64) == 2 && !strcmp(buf, "f2"), "readlink");
	{
		char b2[64];
		ssize_t n1 = get_file("dir/sl", buf, 64), n2 = get_file("dir/f2", b2, 64);

		check(n1 > 0 && n1 == n2 && !memcmp(buf, b2, n1), "read through the symlink");
	}
	check(unlink(path("dir/f3")) == 0 && stat(path("dir/f3"), &st) < 0, "unlink");
	check(rmdir(path("dir")) < 0 && errno == ENOTEMPTY, "rmdir of a non-empty dir: ENOTEMPTY");
	check(mkdir(path("dir/sub"), 0700) == 0 && rmdir(path("dir/sub")) == 0, "mkdir + rmdir");
	check(chmod(path("dir/f2"), 0600) == 0 && stat(path("dir/f2"), &st) == 0 &&
	      (st.st_mode & 07777) == 0600, "chmod");
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 4096);
	check(put_file("bigfile", big, sizeof(big)) == 0, "write 1 MiB");
	fd = open(path("bigfile"), O_RDONLY);
	memset(buf, 0, sizeof(buf));
	check(fd >= 0 && pread(fd, buf, 4096, 512 * 1024 + 3) == 4096 &&
	      !memcmp(buf, big + 512 * 1024 + 3, 4096), "pread at an offset of a 1 MiB file");
	if (fd >= 0)
		close(fd);
	check(stat(path("bigfile"), &st) == 0 && st.st_size == (off_t)sizeof(big),
	      "1 MiB file has the right size");
}

/* kcheck -R DIR: exit 0 if reading DIR reports EIO (busybox ls ignores
 * readdir errors). */
static int readdir_fails(const char *dir)
{
	DIR *d = opendir(dir);

	if (!d)
		return errno == EIO ? 0 : 1;
	errno = 0;
	while (readdir(d))
		errno = 0;
	return errno == EIO ? 0 : 1;
}

int main(int argc, char **argv)
{
	int opt;

	if (argc == 3 && !strcmp(argv[1], "-R"))
		return readdir_fails(argv[2]);
	while ((opt = getopt(argc, argv, "xTe:")) != -1) {
		if (opt == 'x')
			coda_ko = 1;
		else if (opt == 'T')
			coda_tmpfs = 1;
		else if (opt == 'e')
			extcmd = optarg;
		else
			return 2;
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: kcheck [-x] [-T] [-e CMD] TAG MNT STATSCMD\n");
		return 2;
	}
	tag = argv[optind];
	mnt = argv[optind + 1];
	statscmd = argv[optind + 2];
	if (put_src() < 0)
		return 1;
	namespace_cases();
	written_cases();
	if (extcmd)
		extent_cases();
	return failures ? 1 : 0;
}
