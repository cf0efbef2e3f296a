/*
 * vice/store_flush.c - group commit: one flush for the changes of many
 * calls.
 *
 * Without it every commit paid its own flushes: SQLite's synchronous=FULL
 * fdatasync of the WAL, and a store also its data directory's fsync
 * (about 7 per small file in a tar -x; vice has one thread, so each
 * stalled every client).  Under group commit a COMMIT only writes its WAL
 * frames (synchronous=NORMAL), and vice (dispatch.c) holds the replies of
 * the calls that ran while the store was pending, calls vs_flush once at
 * the end of its event-loop turn, then sends them.  A reply still means
 * "on disk".
 *
 * Order: a store's data file and its directory are synced before the
 * COMMIT that names them (store_data.c), so even a WAL page the kernel
 * writes back early names only durable contents.  (Until session 9 the
 * directory waited for the flush; on ext4 that fsync cost a journal
 * commit of its own, doc/design.md.)  A staged file whose store id is
 * applied but which was never renamed is put in place at start
 * (store_stage.c, recover).  kill -9 of vice loses nothing: the page cache
 * outlives the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "store_int.h"

/* The store went from clean (was == 0) to pending: tell the hook. */
static void mark(struct vstore *vs, int was)
{
	struct vs_flushset *f = &vs->flush;

	if (!was && vs_pending(vs) && f->hook)
		f->hook(f->hook_arg);
}

int vs_flush_on_commit(void *arg)
{
	struct vstore *vs = arg;
	int was = vs_pending(vs);

	if (vs->flush.on) {
		vs->flush.wal = 1;
		mark(vs, was);
	}
	return 0;       /* 0: let the commit go on */
}

int vs_pending(const struct vstore *vs)
{
	const struct vs_flushset *f = &vs->flush;

	return f->wal;
}

void vs_set_pending_hook(struct vstore *vs, void (*fn)(void *arg), void *arg)
{
	vs->flush.hook = fn;
	vs->flush.hook_arg = arg;
}

/* fdatasync path (the WAL when SQLite has no handle of it open). */
static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)     /* none: nothing was written to it */
		return errno == ENOENT ? 0 : errno;
	if (fdatasync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

/* fdatasync the WAL through SQLite's own handle of it (the unix VFS also
 * fsyncs the directory of a WAL it has just created). */
static int sync_wal(struct vstore *vs)
{
	sqlite3_file *f = NULL;
	char path[4096];

	if (sqlite3_file_control(vs->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
				 &f) == SQLITE_OK && f && f->pMethods)
		return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) ? EIO : 0;
	snprintf(path, sizeof path, "%s/vice.db-wal", vs->root);
	return sync_path(path);
}

int vs_flush(struct vstore *vs)
{
	struct vs_flushset *f = &vs->flush;
	int err = f->wal ? sync_wal(vs) : 0;

	f->wal = 0;
	return err;
}

int vs_group_commit(struct vstore *vs, int on)
{
	const char *sql = on ? "PRAGMA synchronous=NORMAL" :
		"PRAGMA synchronous=FULL";
	int err = 0;

	if (!on && vs->flush.on)
		err = vs_flush(vs);
	if (sqlite3_exec(vs->db, sql, NULL, NULL, NULL))
		return err ? err : EIO;
	vs->flush.on = on;
	return err;
}
