/*
 * vice/daemon.c - become a daemon so that the parent's exit status tells
 * whether the server came up: the parent waits on a pipe until the child
 * is listening (exit 0) or has died (exit 1; the child printed why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vice.h"

/* The parent: wait for one byte of "ready", or EOF when the child dies. */
static void __attribute__((noreturn)) parent_wait(int fd, pid_t child)
{
	char b;
	ssize_t n;

	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	(void)waitpid(child, NULL, 0);
	_exit(1);
}

int vice_daemon_start(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		parent_wait(p[0], pid);
	}
	close(p[0]);
	(void)setsid();
	return p[1];
}

void vice_daemon_ready(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	vlog_syslog();
	if (chdir("/") < 0 || write(fd, "", 1) != 1)
		vlog(LOG_WARNING, "daemon: %s", strerror(errno));
	close(fd);
}
