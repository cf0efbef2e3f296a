/*
 * coda_file.c - the kernel channel's open files: OPEN_BY_FD, CLOSE and the
 * access intents, with the per-object state of the written-flag fallback.
 *
 * The written flag: Hesper's module reports it in CLOSE (HCFS_O_WRITTEN),
 * and which bytes were written (HCFS_O_EXTENTS): core then stores only
 * those (fso_note_written, fso_note_size); a written CLOSE without them
 * stores the whole file (fso_mark_written).
 * coda.ko has none, so venus falls back to what it can observe without
 * reading the data: WRITE access intents, a size-changing SETATTR, O_TRUNC,
 * and for mappings the container's size, mtime and ctime compared with
 * their values at the first writable open.  tmpfs leaves no mtime trace of
 * a write through a coda.ko mapping that was first read, so there a
 * writable open that was mmapped is stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "venus/util/venus.h"
#include "coda_int.h"

#define TMPFS_MAGIC_	0x01021994

static struct cstate *cf_states;

/* ---- per-object fallback state ---- */

struct cstate *cf_state(uint64_t ino, int create)
{
	struct cstate *s;

	for (s = cf_states; s; s = s->next)
		if (s->ino == ino)
			return s;
	if (!create || !(s = calloc(1, sizeof(*s))))
		return NULL;
	s->ino = ino;
	s->fd = -1;
	s->next = cf_states;
	cf_states = s;
	return s;
}

void cf_state_drop(struct cstate *s)
{
	struct cstate **pp;

	if (s->dir_opens || s->writers)
		return;
	for (pp = &cf_states; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

void cf_states_free(void)
{
	struct cstate *s;

	while ((s = cf_states)) {
		cf_states = s->next;
		if (s->fd >= 0)
			close(s->fd);
		free(s);
	}
}

/* First writable open on coda.ko: remember the container.  If its mtime is
 * this recent, a write in the same clock tick would not move it: age it. */
static void cf_snapshot(struct cstate *s, int fd)
{
	struct timespec now, t[2];

	s->fd = dup(fd);
	if (s->fd < 0 || fstat(s->fd, &s->snap) < 0) {
		s->written = 1;  /* cannot compare later: be safe */
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (s->snap.st_mtim.tv_sec >= now.tv_sec - 1) {
		t[0].tv_nsec = UTIME_OMIT;
		t[1].tv_sec = now.tv_sec - 2;
		t[1].tv_nsec = 0;
		if (futimens(s->fd, t) == 0)
			fstat(s->fd, &s->snap);
	}
}

static int cf_changed(struct cstate *s)
{
	struct statfs sfs;
	struct stat st;

	if (s->fd < 0 || fstat(s->fd, &st) < 0)
		return 1;
	if (st.st_size != s->snap.st_size ||
	    st.st_mtim.tv_sec != s->snap.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != s->snap.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != s->snap.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != s->snap.st_ctim.tv_nsec)
		return 1;
	if (s->mmap_seen && fstatfs(s->fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_)
		return 1;
	return 0;
}

/* ---- open ---- */

static int cf_oflags(int cflags)
{
	int f = (cflags & HCFS_O_WRITE) ? ((cflags & HCFS_O_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;

	if (cflags & HCFS_O_TRUNC)
		f |= O_TRUNC;
	return f;
}

static void cf_close_ignored(void *arg, int err)
{
	(void)arg;
	(void)err;
}

static void cf_done_open(void *arg, int err, int fd, const struct fso_attr *a)
{
	struct cpend *p = arg;
	struct hcfs_open_by_fd_out out;
	uint64_t ino = p->ino;
	int flags = p->flags, cflags = p->cflags, werr;
	struct cstate *s;

	(void)a;
	memset(&out, 0, sizeof(out));
	if (!err) {
		out.fd = fd;
		if (!cf_hesper && (cflags & HCFS_O_WRITE) && (s = cf_state(ino, 1))) {
			if (s->writers++ == 0)
				cf_snapshot(s, fd);
			if (cflags & HCFS_O_TRUNC)
				s->written = 1;
		}
	}
	/* The kernel takes its own reference to fd while handling this write. */
	werr = cf_reply(p, &out, sizeof(out), err);
	if (!err && werr) {
		/* nobody will CLOSE this open: balance it here */
		if (!cf_hesper && (cflags & HCFS_O_WRITE) && (s = cf_state(ino, 0))) {
			s->writers--;
			cf_state_drop(s);
		}
		fso_close(ino, flags, 0, cf_close_ignored, NULL);
	}
}

static void cf_open_typed(void *arg, int err, const struct fso_attr *a)
{
	struct cpend *p = arg;

	if (err)
		cf_reply_err(p, err);
	else if (S_ISDIR(a->st.st_mode))
		fso_readdir(p->ino, p->uid, cf_done_readdir, p);
	else
		fso_open(p->ino, p->flags, p->uid, cf_done_open, p);
}

int cf_up_open(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_open_in *in = (const void *)msg;

	NEED(*in);
	p->ino = ino;
	p->cflags = in->flags;
	p->flags = cf_oflags(in->flags);
	/* A directory is read from a container we write. */
	fso_getattr(ino, p->uid, cf_open_typed, p);
	return 0;
}

/* ---- close ---- */

/*
 * A written CLOSE from Hesper's module: hand its extents and cut to core
 * (struct hcfs_close_in, coda_abi.h), or mark the whole file written when
 * it has none or they do not parse.  len: the message's length as read.
 */
static void cf_close_extents(const char *msg, size_t len, uint64_t ino, int cflags)
{
	static int logged;
	struct hcfs_extent e;
	uint32_t i, n = 0;
	uint64_t cut;

	if (!cf_extents || !(cflags & HCFS_O_EXTENTS)) {
		fso_mark_written(ino);
		return;
	}
	/* fields copied out: the read buffer promises no alignment */
	if (len >= sizeof(struct hcfs_close_in))
		memcpy(&n, msg + offsetof(struct hcfs_close_in, count), sizeof(n));
	if (len < sizeof(struct hcfs_close_in) || n > HCFS_EXTENTS_MAX ||
	    len != HCFS_CLOSE_IN_SIZE(n)) {
		if (!logged++)
			vlog(LOG_WARNING, "coda: CLOSE of ino %llu: malformed extents "
			     "(%zu bytes): storing the whole file",
			     (unsigned long long)ino, len);
		fso_mark_written(ino);
		return;
	}
	memcpy(&cut, msg + offsetof(struct hcfs_close_in, cut), sizeof(cut));
	vlog(LOG_DEBUG, "coda: close ino %llu extents %u cut %lld",
	     (unsigned long long)ino, n, cut == HCFS_CUT_NONE ? -1LL : (long long)cut);
	if (cut != HCFS_CUT_NONE)
		fso_note_size(ino, cut);
	for (i = 0; i < n; i++) {
		memcpy(&e, msg + HCFS_CLOSE_IN_SIZE(i), sizeof(e));
		vlog(LOG_DEBUG, "coda: close ino %llu extent %llu+%llu", (unsigned long long)ino,
		     (unsigned long long)e.off, (unsigned long long)e.len);
		if (e.len > 0 && e.len <= UINT64_MAX - e.off)
			fso_note_written(ino, e.off, e.len);
		else
			fso_mark_written(ino);   /* nonsense range: be safe */
	}
}

int cf_up_close(struct cpend *p, const char *msg, size_t len, uint64_t ino)
{
	const struct hcfs_open_in *in = (const void *)msg;
	struct cstate *s;
	int cflags, written = 0;

	NEED(*in);
	cflags = in->flags;
	s = cf_state(ino, 0);
	if (s && s->dir_opens > 0 && !(cflags & HCFS_O_WRITE)) {
		s->dir_opens--;
		cf_state_drop(s);
		cf_reply_err(p, 0);
		return 0;
	}
	if (cflags & HCFS_O_WRITE) {
		if (cf_hesper) {
			written = !!(cflags & HCFS_O_WRITTEN);
			if (written)
				cf_close_extents(msg, len, ino, cflags);
		} else if (s) {
			written = s->written || cf_changed(s);
			if (--s->writers == 0)
				cf_state_drop(s);
			else if (written)
				s->written = 1;   /* later closes store too */
		} else {
			written = 1;              /* unknown open: be safe */
		}
	}
	/* The store (if any) completes before the reply: close(2) returns
	 * once vice has the data. */
	fso_close(ino, cf_oflags(cflags), written, cf_done_err, p);
	return 0;
}

/* ---- access intents ---- */

/* Access intents (coda.ko): the fallback's view of writes. */
static int cf_intent(const struct hcfs_access_intent_in *in, uint64_t ino)
{
	struct cstate *s = cf_state(ino, 0);

	switch (in->type) {
	case HCFS_ACCESS_TYPE_WRITE:
		if (s) {
			s->written = 1;
			fso_mark_written(ino);
		}
		return 1;
	case HCFS_ACCESS_TYPE_MMAP:
		if (s && s->writers)
			s->mmap_seen = 1;
		return 1;
	case HCFS_ACCESS_TYPE_READ:
		return 1;
	default:
		return 0;       /* *_FINISH: asynchronous, no reply */
	}
}

int cf_pre_intent(const char *msg, size_t len)
{
	const struct hcfs_access_intent_in *in = (const void *)msg;

	/* a short one is answered (or refused) like any other upcall */
	if (len < sizeof(*in))
		return 1;
	return cf_intent(in, cf_ino(&in->fid));
}
