/*
 * vice/store_flush.c - group commit: one flush for the changes of many
 * calls.
 *
 * Without it every commit paid its own flushes: SQLite's synchronous=FULL
 * fdatasync of the WAL, and a store also its data directory's fsync
 * (about 7 per small file in a tar -x; vice has one thread, so each
 * stalled every client).  Under group commit a COMMIT only writes its WAL
 * frames (synchronous=NORMAL), a store's rename names its directory here,
 * and vice (dispatch.c) holds the replies of the calls that ran while the
 * store was pending, calls vs_flush once at the end of its event-loop
 * turn, then sends them.  A reply still means "on disk".
 *
 * Order: a store's staged file is fsync'd before the COMMIT that names it
 * (store_data.c), so even a WAL page the kernel writes back early names
 * only durable contents; a flush syncs the queued files, then the
 * directories, then the WAL.  A rename lost to a power loss before the
 * flush is redone at start (store_stage.c, recover).  kill -9 of vice
 * loses nothing: the page cache outlives the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

	return f->wal || f->nfiles || f->ndirs;
}

void vs_set_pending_hook(struct vstore *vs, void (*fn)(void *arg), void *arg)
{
	vs->flush.hook = fn;
	vs->flush.hook_arg = arg;
}

static int sync_path(const char *path, int dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	int err = 0;

	if (fd < 0)     /* replaced or removed since: its successor counts */
		return errno == ENOENT ? 0 : errno;
	if ((dir ? fsync(fd) : fdatasync(fd)) < 0)
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
	return sync_path(path, 0);
}

int vs_flush(struct vstore *vs)
{
	struct vs_flushset *f = &vs->flush;
	unsigned i;
	int err = 0, e;

	for (i = 0; i < f->nfiles; i++) {
		e = sync_path(f->files[i], 0);
		err = err ? err : e;
		free(f->files[i]);
	}
	for (i = 0; i < f->ndirs; i++) {
		e = sync_path(f->dirs[i], 1);
		err = err ? err : e;
		free(f->dirs[i]);
	}
	if (f->wal && (e = sync_wal(vs)))
		err = err ? err : e;
	f->nfiles = f->ndirs = 0;
	f->wal = 0;
	return err;
}

/* Add path to v[*n] unless there (dirs repeat; files rarely do). */
static int set_add(char **v, unsigned *n, const char *path)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i], path) == 0)
			return 0;
	if (!(v[*n] = strdup(path)))
		return ENOMEM;
	(*n)++;
	return 0;
}

int vs_sync_later(struct vstore *vs, const char *file, const char *dir)
{
	struct vs_flushset *f = &vs->flush;
	int err = 0, was = vs_pending(vs);

	if (!f->on) {
		if (file)
			err = sync_path(file, 0);
		if (!err && dir)
			err = sync_path(dir, 1);
		return err;
	}
	if (f->nfiles == VS_FLUSH_MAX || f->ndirs == VS_FLUSH_MAX)
		err = vs_flush(vs);
	if (!err && file)
		err = set_add(f->files, &f->nfiles, file);
	if (!err && dir)
		err = set_add(f->dirs, &f->ndirs, dir);
	mark(vs, was);
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
