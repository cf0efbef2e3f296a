/*
 * vice/voldump.c - volume locks, dump files and staged restores.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "voldump.h"
#include "vldb.h"
#include "store_dump.h"

/* A restore being received. */
struct vd_restore {
	uint64_t handle;
	uint64_t size;          /* bytes received (contiguous from 0) */
	time_t last;            /* last chunk */
	int used;
};

struct vdump {
	uint32_t locked[VD_LOCK_MAX];
	unsigned nlocked;
	struct vd_restore rs[VD_RESTORE_MAX];
};

static void path_in(struct vice *v, const char *sub, const char *leaf,
		    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", vs_root_dir(v->vs), sub,
		 leaf ? "/" : "", leaf ? leaf : "");
}

static void restore_path(struct vice *v, uint64_t h, char *buf, size_t len)
{
	char leaf[32];

	snprintf(leaf, sizeof leaf, "%016" PRIx64, h);
	path_in(v, "restore", leaf, buf, len);
}

static void dump_path(struct vice *v, uint32_t id, char *buf, size_t len)
{
	char leaf[32];

	snprintf(leaf, sizeof leaf, "%" PRIu32 ".dump", id);
	path_in(v, "dumps", leaf, buf, len);
}

/* Empty a directory of ours (restores of a previous run, old dumps). */
static void sweep(const char *dir)
{
	char path[4096 + 300];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			(void)unlink(path);
		}
	closedir(d);
}

/* The state, made on first use; leftovers of an earlier run go then. */
static struct vdump *state(struct vice *v)
{
	char dir[4096];

	if (v->dump)
		return v->dump;
	if (!(v->dump = calloc(1, sizeof *v->dump)))
		return NULL;
	path_in(v, "restore", NULL, dir, sizeof dir);
	(void)mkdir(dir, 0700);
	sweep(dir);
	path_in(v, "dumps", NULL, dir, sizeof dir);
	(void)mkdir(dir, 0700);
	sweep(dir);
	return v->dump;
}

void vd_free(struct vice *v)
{
	free(v->dump);
	v->dump = NULL;
}

int vd_locked(struct vice *v, uint32_t id)
{
	unsigned i;

	for (i = 0; v->dump && i < v->dump->nlocked; i++)
		if (v->dump->locked[i] == id)
			return 1;
	return 0;
}

void vd_mark_online(struct vice *v, hs_volstat *st, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (vd_locked(v, st[i].id))
			st[i].online = 0;
}

int vd_lock(struct vice *v, uint32_t id, int on)
{
	struct vdump *d = state(v);
	unsigned i;
	int here;

	if (!d)
		return ENOMEM;
	for (i = 0; i < d->nlocked && d->locked[i] != id; i++)
		;
	if (!on) {
		if (i < d->nlocked)
			d->locked[i] = d->locked[--d->nlocked];
		return 0;
	}
	if ((here = vs_vol_here(v->vs, id)) <= 0)
		return here < 0 ? -here : ENOENT;
	if (i < d->nlocked)
		return 0;
	if (d->nlocked == VD_LOCK_MAX)
		return ENOSPC;
	d->locked[d->nlocked++] = id;
	vlog(LOG_INFO, "volume %" PRIu32 " locked", id);
	return 0;
}

static int read_chunk(const char *path, uint64_t off, unsigned count,
		      char **buf, unsigned *len, uint64_t *total)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno == ENOENT ? ESTALE : errno;
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out;
	}
	*total = (uint64_t)st.st_size;
	if (off > *total) {
		err = EINVAL;
		goto out;
	}
	if (count > *total - off)
		count = (unsigned)(*total - off);
	if (!(*buf = malloc(count ? count : 1))) {
		err = ENOMEM;
		goto out;
	}
	got = count ? pread(fd, *buf, count, (off_t)off) : 0;
	if (got != (ssize_t)count) {
		err = got < 0 ? errno : EIO;
		free(*buf);
		*buf = NULL;
	} else
		*len = count;
out:
	close(fd);
	return err;
}

int vd_dump_read(struct vice *v, uint32_t id, uint64_t off, unsigned count,
		 char **buf, unsigned *len, uint64_t *total)
{
	char path[4096];
	int err;

	*buf = NULL;
	*len = 0;
	if (!state(v))
		return ENOMEM;
	dump_path(v, id, path, sizeof path);
	if (off == 0 && (err = vs_vol_dump(v->vs, id, path)))
		return err;
	if (off == 0)
		vlog(LOG_INFO, "volume %" PRIu32 " dumped to %s", id, path);
	if ((err = read_chunk(path, off, count, buf, len, total)))
		return err;
	if (off + *len >= *total)
		(void)unlink(path);     /* all read; offset 0 makes it anew */
	return 0;
}

/* Handles idle too long are dropped with their file. */
static void restore_expire(struct vice *v, struct vdump *d)
{
	char path[4096];
	time_t now = time(NULL);
	unsigned i;

	for (i = 0; i < VD_RESTORE_MAX; i++) {
		if (!d->rs[i].used || now - d->rs[i].last < VD_RESTORE_IDLE)
			continue;
		restore_path(v, d->rs[i].handle, path, sizeof path);
		(void)unlink(path);
		vlog(LOG_INFO, "restore %016" PRIx64 " idle: dropped",
		     d->rs[i].handle);
		memset(&d->rs[i], 0, sizeof d->rs[i]);
	}
}

/* Handle h's slot, or a free one for it (ENOSPC: none). */
static struct vd_restore *restore_slot(struct vdump *d, uint64_t h, int make)
{
	struct vd_restore *free_slot = NULL;
	unsigned i;

	for (i = 0; i < VD_RESTORE_MAX; i++) {
		if (d->rs[i].used && d->rs[i].handle == h)
			return &d->rs[i];
		if (!d->rs[i].used && !free_slot)
			free_slot = &d->rs[i];
	}
	if (!make || !free_slot)
		return NULL;
	free_slot->used = 1;
	free_slot->handle = h;
	free_slot->size = 0;
	return free_slot;
}

int vd_restore_chunk(struct vice *v, uint64_t h, uint64_t off,
		     const void *data, unsigned len)
{
	struct vdump *d = state(v);
	struct vd_restore *r;
	char path[4096];
	int fd, err = 0;

	if (!d)
		return ENOMEM;
	restore_expire(v, d);
	if (!(r = restore_slot(d, h, off == 0)))
		return off == 0 ? ENOSPC : ESTALE;
	if (off == 0)
		r->size = 0;            /* (re)started from the beginning */
	if (off > r->size)
		return EINVAL;          /* chunks come in order */
	if (off + len > VD_RESTORE_BYTES)
		return EFBIG;
	restore_path(v, h, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (off ? 0 : O_TRUNC),
		  0600);
	if (fd < 0)
		return errno;
	if (pwrite(fd, data, len, (off_t)off) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	if (err)
		return err;
	if (off + len > r->size)
		r->size = off + len;
	r->last = time(NULL);
	return 0;
}

int vd_restore_commit(struct vice *v, uint64_t h, uint32_t id,
		      const char *name, hs_volinfo *out)
{
	struct vdump *d = state(v);
	struct vd_restore *r;
	char path[4096];
	int err;

	if (!d)
		return ENOMEM;
	if (!(r = restore_slot(d, h, 0)))
		return ESTALE;
	restore_path(v, h, path, sizeof path);
	err = vs_vol_restore(v->vs, path, id, name, out);
	if (err == EEXIST || err == ERANGE)
		return err;             /* the client may retry otherwise */
	(void)unlink(path);
	memset(r, 0, sizeof *r);
	if (err)
		return err;
	vlog(LOG_INFO, "volume %" PRIu32 " (%s) restored", out->id,
	     out->name);
	/* The VLDB now names this server: clients follow it here. */
	if ((err = vldb_publish(v, out->id, out->name)))
		vlog(LOG_WARNING, "volume %" PRIu32 ": VLDB not updated: %s",
		     out->id, strerror(err));
	return 0;
}

int vd_release(struct vice *v, uint32_t id)
{
	char path[4096];
	int err;

	if (!state(v))
		return ENOMEM;
	if ((err = vs_vol_release(v->vs, id)))
		return err;
	(void)vd_lock(v, id, 0);
	/* Drops the entry only if it still names this server (a one-server
	 * VLDB); the new server's entry stays. */
	if ((err = vldb_unpublish(v, id)))
		vlog(LOG_WARNING, "volume %" PRIu32 ": VLDB entry not "
		     "dropped: %s", id, strerror(err));
	dump_path(v, id, path, sizeof path);
	(void)unlink(path);
	vlog(LOG_INFO, "volume %" PRIu32 " released (moved away)", id);
	return 0;
}
