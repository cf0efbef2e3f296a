/*
 * fuse_notify.c - cache invalidations for the kernel, written by a thread.
 *
 * This is the FUSE front end's one thread, and it only ever writes
 * notifications (venus state is never touched outside the loop thread).  The reason: the kernel handles NOTIFY_INVAL_ENTRY by
 * taking the parent directory's inode lock inside our write(2) to
 * /dev/fuse.  A lookup, create, unlink, rename or readdir in that directory
 * holds the lock while its request waits for venus - possibly still unread
 * in the device queue, so no bookkeeping in the loop can rule it out.  Were
 * the loop to write the notification itself, it would block on the lock
 * and never answer the request that holds it.  Here the writer waits while
 * the loop goes on serving, then proceeds.
 *
 * Inode notifications invalidate attributes only (offset -1): a changed
 * file's pages go when the next open sees a new dataversion (keep_cache
 * clear) or the kernel sees the new mtime (auto_inval_data), never under
 * a writer's feet.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <event2/event.h>

#include "fuse_int.h"
#include "venus/util/venus.h"

struct hf_note {
	struct hf_note *next;
	uint64_t        ino;
	char           *name;   /* NULL: the inode's attributes */
	void          (*fence)(void *arg);  /* set: a fence, not a note */
	void           *fence_arg;
};

static pthread_mutex_t      hf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t       hf_cv = PTHREAD_COND_INITIALIZER;
static struct hf_note      *hf_head, **hf_tail = &hf_head;
static int                  hf_running, hf_stopping, hf_thread_up;
static unsigned             hf_held;   /* hf_notify_hold depth (loop only) */
static pthread_t            hf_thread;
static struct fuse_session *hf_nse;
/* Fences the thread has passed, for the loop to run (under hf_mu). */
static struct hf_note      *hf_fenced, **hf_fenced_tail = &hf_fenced;
static int                  hf_efd = -1;   /* eventfd: the thread wakes the loop */
static struct event        *hf_fence_ev;
static char                *hf_mnt;

static void hf_note_send(const struct hf_note *n)
{
	/* -ENOENT: the kernel does not cache it; nothing to do. */
	if (n->name)
		fuse_lowlevel_notify_inval_entry(hf_nse, n->ino, n->name, strlen(n->name));
	else
		fuse_lowlevel_notify_inval_inode(hf_nse, n->ino, -1, 0);
}

static void hf_note_free(struct hf_note *n)
{
	free(n->name);
	free(n);
}

static void *hf_notifier(void *unused)
{
	pthread_mutex_lock(&hf_mu);
	for (;;) {
		struct hf_note *n;

		while (!hf_head && !hf_stopping)
			pthread_cond_wait(&hf_cv, &hf_mu);
		if (hf_stopping)
			break;
		n = hf_head;
		if (!(hf_head = n->next))
			hf_tail = &hf_head;
		if (n->fence) {
			uint64_t one = 1;

			n->next = NULL;
			*hf_fenced_tail = n;
			hf_fenced_tail = &n->next;
			if (write(hf_efd, &one, sizeof(one)) < 0)
				syslog(LOG_ERR, "fuse: cannot wake the loop: %m");
			continue;
		}
		pthread_mutex_unlock(&hf_mu);
		hf_note_send(n);
		hf_note_free(n);
		pthread_mutex_lock(&hf_mu);
	}
	pthread_mutex_unlock(&hf_mu);
	return NULL;
}

/* The thread starts with the first notification: venus daemonises (fork)
 * after mounting, and a fork keeps only the calling thread. */
static int hf_thread_start(void)
{
	sigset_t all, old;
	int err;

	/* Signals belong to the loop thread (libevent's handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&hf_thread, NULL, hf_notifier, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		vlog(LOG_ERR, "fuse: cannot start the notifier: %s", strerror(err));
		return -1;
	}
	hf_thread_up = 1;
	return 0;
}

/* In a forked child no notifier runs, and its lock may be held by a
 * thread that no longer exists. */
static void hf_atfork_child(void)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

	hf_mu = mu;
	hf_cv = cv;
	hf_thread_up = 0;
	hf_held = 0;
}

static void hf_enqueue(struct hf_note *n);

/* In the loop: run the fences the thread has passed, in order. */
static void hf_fence_run(evutil_socket_t fd, short what, void *arg)
{
	struct hf_note *n;
	uint64_t cnt;

	if (read(hf_efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		vlog(LOG_ERR, "fuse: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&hf_mu);
	n = hf_fenced;
	hf_fenced = NULL;
	hf_fenced_tail = &hf_fenced;
	pthread_mutex_unlock(&hf_mu);
	while (n) {
		struct hf_note *next = n->next;

		n->fence(n->fence_arg);
		free(n);
		n = next;
	}
}

void hf_notify_fence(void (*done)(void *arg), void *arg)
{
	struct hf_note *n;

	/* Nothing was ever queued, or nothing can be: nothing to wait for. */
	if (!hf_running || !hf_thread_up || !(n = calloc(1, sizeof(*n)))) {
		done(arg);
		return;
	}
	n->fence = done;
	n->fence_arg = arg;
	hf_enqueue(n);
}

static int hf_fence_init(void)
{
	if ((hf_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	hf_fence_ev = event_new(V->base, hf_efd, EV_READ | EV_PERSIST, hf_fence_run, NULL);
	if (!hf_fence_ev || event_add(hf_fence_ev, NULL)) {
		close(hf_efd);
		hf_efd = -1;
		return -ENOMEM;
	}
	return 0;
}

int hf_notify_start(struct fuse_session *se, const char *mountpoint)
{
	static int atfork_done;
	int err;

	if (!atfork_done && pthread_atfork(NULL, NULL, hf_atfork_child) != 0)
		return -ENOMEM;
	atfork_done = 1;
	if (!(hf_mnt = strdup(mountpoint)))
		return -ENOMEM;
	if ((err = hf_fence_init()) < 0)
		return err;
	hf_nse = se;
	hf_stopping = 0;
	hf_running = 1;
	return 0;
}

static void hf_enqueue(struct hf_note *n)
{
	if (!hf_thread_up && hf_thread_start() < 0) {
		hf_note_free(n);
		return;
	}
	pthread_mutex_lock(&hf_mu);
	n->next = NULL;
	/* The thread waits only on an empty queue (checked under hf_mu):
	 * one wake per burst, not one futex call per note.  Held: the
	 * release wakes it. */
	if (!hf_head && !hf_held)
		pthread_cond_signal(&hf_cv);
	*hf_tail = n;
	hf_tail = &n->next;
	pthread_mutex_unlock(&hf_mu);
}

void hf_notify_hold(int on)
{
	/* The loop alone enqueues and holds; the thread only drains. */
	if (on) {
		hf_held++;
		return;
	}
	if (!hf_held || --hf_held)
		return;
	pthread_mutex_lock(&hf_mu);
	if (hf_head)
		pthread_cond_signal(&hf_cv);
	pthread_mutex_unlock(&hf_mu);
}

void hf_notify_inode(uint64_t ino)
{
	struct hf_note *n;

	if (!hf_running || !(n = calloc(1, sizeof(*n))))
		return;
	n->ino = ino;
	hf_enqueue(n);
}

void hf_notify_entry(uint64_t dir, const char *name)
{
	struct hf_note *n;

	if (!hf_running || !(n = calloc(1, sizeof(*n))))
		return;
	if (!(n->name = strdup(name))) {
		free(n);
		return;
	}
	n->ino = dir;
	hf_enqueue(n);
}

/* The connection's number under /sys/fs/fuse/connections is the minor
 * device of the mount, found in mountinfo (a stat of the mount point
 * would be an upcall nobody serves any more). */
static int hf_conn_id(unsigned *minor_out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], mnt[4096];
	unsigned maj, min;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) == 3 &&
		    strcmp(mnt, hf_mnt) == 0 && strstr(line, " - fuse.hesper ")) {
			*minor_out = min;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* Last resort when the writer is stuck on a lock whose holder we will no
 * longer answer: abort the connection, which fails every request. */
static void hf_abort_conn(void)
{
	unsigned id;
	char path[128];
	FILE *f;

	if (!hf_conn_id(&id)) {
		vlog(LOG_ERR, "fuse: notifier stuck and connection not found");
		return;
	}
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort", id);
	vlog(LOG_WARNING, "fuse: notifier stuck; aborting the connection (%s)", path);
	if ((f = fopen(path, "we")) != NULL) {
		fputs("1", f);
		fclose(f);
	}
}

static void hf_drain(void)
{
	while (hf_head) {
		struct hf_note *n = hf_head;

		hf_head = n->next;
		if (n->fence) {
			n->fence(n->fence_arg);
			free(n);
		} else {
			hf_note_free(n);
		}
	}
	hf_tail = &hf_head;
}

void hf_notify_stop(void)
{
	struct timespec until;

	if (!hf_running)
		return;
	hf_running = 0;
	if (hf_thread_up) {
		pthread_mutex_lock(&hf_mu);
		hf_stopping = 1;
		pthread_cond_signal(&hf_cv);
		pthread_mutex_unlock(&hf_mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 2;
		if (pthread_timedjoin_np(hf_thread, NULL, &until) != 0) {
			hf_abort_conn();
			pthread_join(hf_thread, NULL);
		}
		hf_thread_up = 0;
	}
	hf_drain();
	/* Fences not yet run: their owners still wait for an answer. */
	hf_fence_run(-1, 0, NULL);
	if (hf_fence_ev)
		event_free(hf_fence_ev);
	hf_fence_ev = NULL;
	if (hf_efd >= 0)
		close(hf_efd);
	hf_efd = -1;
	free(hf_mnt);
	hf_mnt = NULL;
	hf_nse = NULL;
}
