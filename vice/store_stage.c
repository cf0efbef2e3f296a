/*
 * vice/store_stage.c - the staging area <data>/tmp/<client>.<seq>.
 *
 * Staged chunks outlive their connection and a restart of vice: a client
 * that lost its connection mid-store (or whose reintegration block has
 * not been applied yet) asks HS_STAGED how far it got and sends the rest.
 * A client that stages nothing for VS_STAGE_AGE is taken to be gone for
 * good; vs_open sweeps its staged stores.  Each client may have at most
 * VS_STAGE_MAX stores staged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

/* The client of a staged file's name "<client>.<seq>": 0, or -1 if the
 * name is not one. */
static int stage_name(const char *name, uint64_t *client)
{
	char *end;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	*client = strtoull(name, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	(void)strtoull(end + 1, &end, 10);
	return errno || *end ? -1 : 0;
}

int vs_stage_room(struct vstore *vs, const hs_storeid *sid)
{
	char path[4096];
	struct dirent *e;
	unsigned n = 0;
	uint64_t client;
	DIR *d;

	vs_stage_path(vs, sid, path, sizeof path);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof path, "%s/tmp", vs->datadir);
	if (!(d = opendir(path)))
		return errno;
	while ((e = readdir(d)) && n < VS_STAGE_MAX)
		if (stage_name(e->d_name, &client) == 0 &&
		    client == sid->client)
			n++;
	closedir(d);
	return n < VS_STAGE_MAX ? 0 : EDQUOT;
}

/* A client and the time it last staged a chunk (ns). */
struct seen {
	uint64_t client;
	int64_t last;
};

/* Note that client staged at t; *v grows.  0 or ENOMEM. */
static int seen_note(struct seen **v, size_t *n, uint64_t client, int64_t t)
{
	struct seen *nv;
	size_t i;

	for (i = 0; i < *n; i++) {
		if ((*v)[i].client == client) {
			if (t > (*v)[i].last)
				(*v)[i].last = t;
			return 0;
		}
	}
	if (!(nv = realloc(*v, (*n + 1) * sizeof *nv)))
		return ENOMEM;
	*v = nv;
	nv[(*n)++] = (struct seen){ client, t };
	return 0;
}

static int client_gone(const struct seen *v, size_t n, uint64_t client,
		       int64_t before)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].client == client)
			return v[i].last < before;
	return 0;
}

/* Pass 1: each client's newest staged chunk.  Pass 2: remove the stores
 * of clients whose newest is too old, and anything that is not a staged
 * store (a leftover of an older layout). */
void vs_stage_sweep(struct vstore *vs, int64_t now)
{
	char path[4096];
	struct seen *seen = NULL;
	size_t nseen = 0;
	struct dirent *e;
	struct stat st;
	uint64_t client;
	DIR *d;

	snprintf(path, sizeof path, "%s/tmp", vs->datadir);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)))
		if (stage_name(e->d_name, &client) == 0 &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    seen_note(&seen, &nseen, client,
			      (int64_t)st.st_mtim.tv_sec * 1000000000LL +
			      st.st_mtim.tv_nsec))
			goto out;       /* no memory: sweep nothing */
	rewinddir(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (stage_name(e->d_name, &client) < 0 ||
		    client_gone(seen, nseen, client, now - VS_STAGE_AGE))
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
out:
	closedir(d);
	free(seen);
}

/* Contiguous bytes from 0 in the staged file, made durable. */
static int staged_bytes(const char *path, uint64_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	off_t hole;
	int err = 0;

	*out = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	/* What we report must survive an OS crash: the client will not send
	 * those bytes again. */
	if (fdatasync(fd) < 0 || fstat(fd, &st) < 0) {
		err = errno;
	} else {
		/* A chunk lost or sent out of order leaves a hole. */
		hole = lseek(fd, 0, SEEK_HOLE);
		if (hole < 0 || hole > st.st_size)
			hole = st.st_size;
		*out = (uint64_t)hole;
	}
	close(fd);
	return err;
}

int vs_staged(struct vstore *vs, const hs_fid *fid, const hs_storeid *sid,
	      uint64_t *staged)
{
	struct vs_applied rec;
	char path[4096];
	hs_fid obj;
	hs_attr a;
	struct vn v;
	int r, err;

	*staged = 0;
	if (sid->client == 0 && sid->seq == 0)
		return EINVAL;
	if ((r = vs_ap_get(vs, sid, &rec)) != 0) {
		if (r < 0)
			return -r;
		obj = (hs_fid){ rec.vol, rec.o_vnode, rec.o_uniq };
		if (vs_getattr(vs, &obj, &a) == 0)
			*staged = a.size;
		return 0;
	}
	if (!(fid->vnode & HS_LOCAL_VNODE) && (err = vs_reg_get(vs, fid, &v)))
		return err;
	vs_stage_path(vs, sid, path, sizeof path);
	return staged_bytes(path, staged);
}
