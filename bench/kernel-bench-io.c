/*
 * kernel-bench-io.c - the I/O workloads of bench/kernel-bench.sh, run
 * inside the test VM against one directory at a time.
 *
 *   kbench-io DIR SIZE_MB OPS    prints one line per workload:
 *     seqwrite MB/s   write SIZE_MB MiB in 1 MiB writes (close excluded)
 *     seqclose_s S    the close after it (through venus: the store to vice)
 *     seqread MB/s    read it back in 1 MiB reads after drop_caches
 *     randread MB/s   OPS random 4 KiB preads after drop_caches
 *     randwrite MB/s  OPS random 4 KiB pwrites in place (close excluded)
 *     randclose_s S   the close after them (the store again)
 *   kbench-io -t CMD ARGS...     run CMD, print "seconds S"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			perror("drop_caches");
		close(fd);
	}
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int run_timed(char **argv)
{
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		die("fork");
	printf("seconds %.3f\n", now() - t0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	char path[4096];
	long size_mb, ops, i;
	double t0, t;
	off_t blocks;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "-t"))
		return run_timed(argv + 2);
	if (argc != 4) {
		fprintf(stderr, "usage: kbench-io DIR SIZE_MB OPS | kbench-io -t CMD...\n");
		return 2;
	}
	size_mb = atol(argv[2]);
	ops = atol(argv[3]);
	snprintf(path, sizeof(path), "%s/kbench.dat", argv[1]);
	memset(buf, 0x5a, sizeof(buf));
	srandom(42);

	t0 = now();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	for (i = 0; i < size_mb; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
	t = now() - t0;
	printf("seqwrite %.1f\n", size_mb / t);
	t0 = now();
	if (close(fd) < 0)
		die("close");
	printf("seqclose_s %.3f\n", now() - t0);

	drop_caches();
	t0 = now();
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	for (i = 0; i < size_mb; i++)
		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("read");
	close(fd);
	t = now() - t0;
	printf("seqread %.1f\n", size_mb / t);

	blocks = size_mb * 256;
	drop_caches();
	t0 = now();
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	for (i = 0; i < ops; i++)
		if (pread(fd, buf, 4096, (random() % blocks) * 4096) != 4096)
			die("pread");
	close(fd);
	t = now() - t0;
	printf("randread %.1f\n", ops * 4096.0 / (1 << 20) / t);

	t0 = now();
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	for (i = 0; i < ops; i++)
		if (pwrite(fd, buf, 4096, (random() % blocks) * 4096) != 4096)
			die("pwrite");
	t = now() - t0;
	printf("randwrite %.1f\n", ops * 4096.0 / (1 << 20) / t);
	t0 = now();
	if (close(fd) < 0)
		die("close");
	printf("randclose_s %.3f\n", now() - t0);
	unlink(path);
	return 0;
}
