/*
 * vice/store_stage.c - the staging area <data>/tmp/<client>.<seq>.
 *
 * Staged chunks outlive their connection and a restart of vice: a client
 * that lost its connection mid-store (or whose reintegration block has
 * not been applied yet) asks HS_STAGED how far it got and sends the rest.
 *
 * Who pays: each staged store is charged to the protection id of the
 * caller that staged it (anonymous callers share HS_ID_ANONYMOUS) and
 * counted against its client id, so that a user can exhaust only their
 * own quota (store.h: VS_STAGE_*).  The table of staged stores lives in
 * memory; at start it is rebuilt from the directory, where the payer is
 * not known: such stores count for their client until a chunk names a
 * payer.  A store is forgotten when its commit consumes the staged file.
 *
 * Given up: a store that received nothing for VS_STAGE_AGE is removed,
 * at start and whenever a client connects (vs_stage_expire).  Its client
 * finds nothing staged (HS_STAGED says 0) and sends it again; Coda's
 * server likewise keeps no partial transfer beyond its connection.
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

/* The store id of a staged file's name "<client>.<seq>": 0, or -1 if the
 * name is not one. */
static int stage_name(const char *name, hs_storeid *sid)
{
	char *end;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	sid->client = strtoull(name, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	sid->seq = strtoull(end + 1, &end, 10);
	return errno || *end ? -1 : 0;
}

static struct vs_stage_rec *rec_find(struct vs_stagetab *t,
				     const hs_storeid *sid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].client == sid->client && t->v[i].seq == sid->seq)
			return &t->v[i];
	return NULL;
}

/* A new record (zeroed but for the store id), or NULL. */
static struct vs_stage_rec *rec_add(struct vs_stagetab *t,
				    const hs_storeid *sid)
{
	struct vs_stage_rec *nv;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? 2 * t->cap : 64;
		if (!(nv = realloc(t->v, cap * sizeof *nv)))
			return NULL;
		t->v = nv;
		t->cap = cap;
	}
	nv = &t->v[t->n++];
	*nv = (struct vs_stage_rec){ .client = sid->client, .seq = sid->seq,
				     .owner = VS_OWNER_NONE };
	return nv;
}

static void rec_del(struct vs_stagetab *t, struct vs_stage_rec *r)
{
	*r = t->v[--t->n];
}

/* What owner and client have staged now. */
struct usage {
	unsigned client_stores, owner_stores;
	uint64_t owner_bytes;
};

static void usage(const struct vs_stagetab *t, uint64_t client,
		  int32_t owner, struct usage *u)
{
	size_t i;

	memset(u, 0, sizeof *u);
	for (i = 0; i < t->n; i++) {
		if (t->v[i].client == client)
			u->client_stores++;
		if (t->v[i].owner == owner) {
			u->owner_stores++;
			u->owner_bytes += t->v[i].bytes;
		}
	}
}

int vs_stage_admit(struct vstore *vs, const hs_storeid *sid, int32_t owner,
		   uint64_t len)
{
	struct vs_stagetab *t = &vs->stage;
	struct vs_stage_rec *r = rec_find(t, sid);
	int anon = owner == HS_ID_ANONYMOUS;
	unsigned max = anon ? VS_STAGE_ANON_MAX : VS_STAGE_USER_MAX;
	uint64_t bytes = anon ? VS_STAGE_ANON_BYTES : VS_STAGE_USER_BYTES;
	struct usage u;

	usage(t, sid->client, owner, &u);
	if (!r && (u.client_stores >= VS_STAGE_MAX || u.owner_stores >= max))
		return EDQUOT;
	/* A store found at start is charged to whoever continues it. */
	if (r && r->owner != owner) {
		if (u.owner_stores >= max)
			return EDQUOT;
		u.owner_bytes += r->bytes;
	}
	if (len > bytes || u.owner_bytes > bytes - len)
		return EDQUOT;
	if (!r && !(r = rec_add(t, sid)))
		return ENOMEM;
	r->owner = owner;
	r->bytes += len;
	r->last = vs_now();
	return 0;
}

void vs_stage_forget(struct vstore *vs, const hs_storeid *sid)
{
	struct vs_stage_rec *r = rec_find(&vs->stage, sid);

	if (r)
		rec_del(&vs->stage, r);
}

void vs_stage_expire(struct vstore *vs)
{
	struct vs_stagetab *t = &vs->stage;
	int64_t before = vs_now() - VS_STAGE_AGE;
	char path[4096];
	hs_storeid sid;
	size_t i = 0;

	while (i < t->n) {
		if (t->v[i].last >= before) {
			i++;
			continue;
		}
		sid = (hs_storeid){ t->v[i].client, t->v[i].seq };
		vs_stage_path(vs, &sid, path, sizeof path);
		if (unlink(path) < 0 && errno != ENOENT) {
			i++;            /* keep counting what is still there */
			continue;
		}
		rec_del(t, &t->v[i]);
	}
}

/* Disk use of a staged file (a sparse one uses less than its size). */
static uint64_t disk_bytes(const struct stat *st)
{
	uint64_t b = (uint64_t)st->st_blocks * 512;

	return b < (uint64_t)st->st_size ? b : (uint64_t)st->st_size;
}

/* Staged file r of a store that committed (its store id is applied):
 * its rename over the data file was lost, which only a power loss
 * between a group commit's COMMIT and its flush does (the WAL page
 * written back early, the directory not).  Put it in place, or drop it
 * if its object is gone.  1 if it was one, else 0. */
static int recover_one(struct vstore *vs, const struct vs_stage_rec *r)
{
	hs_storeid sid = { r->client, r->seq };
	struct vs_applied rec;
	char stage[4096], data[4096], dir[4096];
	hs_fid fid;
	struct vn v;

	if (vs_ap_get(vs, &sid, &rec) <= 0)
		return 0;
	vs_stage_path(vs, &sid, stage, sizeof stage);
	fid = (hs_fid){ rec.vol, rec.o_vnode, rec.o_uniq };
	if (vs_vn_get(vs, &fid, &v) || v.type != HS_FREG) {
		(void)unlink(stage);
		return 1;
	}
	vs_data_path(vs, &v, data, sizeof data);
	snprintf(dir, sizeof dir, "%s/%u", vs->datadir, (unsigned)v.vol);
	if (rename(stage, data) == 0)
		(void)vs_fsync_dir(dir);
	return 1;
}

/* Drop from the table the staged files recover_one consumed. */
static void recover(struct vstore *vs)
{
	size_t i = 0;

	while (i < vs->stage.n) {
		if (recover_one(vs, &vs->stage.v[i]))
			rec_del(&vs->stage, &vs->stage.v[i]);
		else
			i++;
	}
}

void vs_stage_sweep(struct vstore *vs)
{
	char path[4096];
	struct vs_stage_rec *r;
	struct dirent *e;
	struct stat st;
	hs_storeid sid;
	DIR *d;

	vs->stage.n = 0;
	vs_append_recover(vs);    /* appends that did not commit */
	snprintf(path, sizeof path, "%s/tmp", vs->datadir);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		/* Anything else is a leftover of an older layout. */
		if (stage_name(e->d_name, &sid) < 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || !(r = rec_add(&vs->stage, &sid))) {
			(void)unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		r->bytes = disk_bytes(&st);
		r->last = (int64_t)st.st_mtim.tv_sec * 1000000000LL +
			st.st_mtim.tv_nsec;
	}
	closedir(d);
	recover(vs);
	vs_stage_expire(vs);
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
