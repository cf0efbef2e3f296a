/*
 * vice/store_read.c - queries that change nothing: volumes, attributes,
 * lookup, readdir, readlink, fetch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_int.h"

static int vol_read(sqlite3_stmt *s, hs_volinfo *out)
{
	const char *name = (const char *)sqlite3_column_text(s, 1);

	out->id = (u_int)sqlite3_column_int64(s, 0);
	out->root.volume = out->id;
	out->root.vnode = (u_int)sqlite3_column_int64(s, 2);
	out->root.unique = (u_int)sqlite3_column_int64(s, 3);
	out->name = strdup(name ? name : "");
	return out->name ? 0 : ENOMEM;
}

int vs_getroot(struct vstore *vs, const char *name, hs_volinfo *out)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_BY_NAME);
	int rc, err = 0;

	sqlite3_bind_text(s, 1, name && *name ? name : "root", -1,
			  SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = vol_read(s, out);
	else
		err = rc == SQLITE_DONE ? ENOENT : vs_sqlerr(rc);
	sqlite3_reset(s);
	return err;
}

int vs_listvol(struct vstore *vs, hs_vollist *out)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_LIST);
	int rc, err = 0;

	out->vols.vols_len = 0;
	out->vols.vols_val = calloc(HS_MAXVOLS, sizeof(hs_volinfo));
	if (!out->vols.vols_val)
		return ENOMEM;
	sqlite3_bind_int(s, 1, HS_MAXVOLS);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = vol_read(s, &out->vols.vols_val[out->vols.vols_len++]);
	if (!err && rc != SQLITE_DONE)
		err = vs_sqlerr(rc);
	sqlite3_reset(s);
	return err;
}

int vs_getattr(struct vstore *vs, const hs_fid *fid, hs_attr *out)
{
	struct vn v;
	int err = vs_vn_get(vs, fid, &v);

	if (!err)
		vs_vn_attr(&v, out);
	return err;
}

int vs_lookup(struct vstore *vs, const hs_fid *dir, const char *name,
	      hs_lookup_ok *out)
{
	struct vn d, c;
	int err;

	if ((err = vs_vn_get(vs, dir, &d)))
		return err;
	if (d.type != HS_FDIR)
		return ENOTDIR;
	if ((err = vs_name_check(name)))
		return err;
	if ((err = vs_de_lookup(vs, &d, name, &c)))
		return err;
	vs_vn_attr(&c, &out->obj);
	vs_vn_attr(&d, &out->dir);
	return 0;
}

/* Append one row of S_DE_PAGE to out; the row id becomes the cookie. */
static int page_row(sqlite3_stmt *s, const struct vn *d, hs_readdir_ok *out)
{
	hs_dirent *e = &out->entries.entries_val[out->entries.entries_len];
	const char *name = (const char *)sqlite3_column_text(s, 1);

	e->name = strdup(name ? name : "");
	if (!e->name)
		return ENOMEM;
	e->fid.volume = d->vol;
	e->fid.vnode = (u_int)sqlite3_column_int64(s, 2);
	e->fid.unique = (u_int)sqlite3_column_int64(s, 3);
	e->type = (hs_ftype)sqlite3_column_int(s, 4);
	out->cookie = (uint64_t)sqlite3_column_int64(s, 0);
	out->entries.entries_len++;
	return 0;
}

static int page(struct vstore *vs, const struct vn *d, uint64_t cookie,
		unsigned count, hs_readdir_ok *out)
{
	sqlite3_stmt *s = vs_st(vs, S_DE_PAGE);
	int rc, err = 0;

	sqlite3_bind_int64(s, 1, d->vol);
	sqlite3_bind_int64(s, 2, d->vnode);
	sqlite3_bind_int64(s, 3, cookie > INT64_MAX ? INT64_MAX :
			   (int64_t)cookie);
	/* One row more than asked tells whether this page is the last. */
	sqlite3_bind_int64(s, 4, (int64_t)count + 1);
	out->eof = 1;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (out->entries.entries_len == count) {
			out->eof = 0;
			break;
		}
		err = page_row(s, d, out);
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = vs_sqlerr(rc);
	sqlite3_reset(s);
	return err;
}

int vs_readdir(struct vstore *vs, const hs_fid *dir, uint64_t cookie,
	       unsigned count, hs_readdir_ok *out)
{
	struct vn d;
	int err;

	if ((err = vs_vn_get(vs, dir, &d)))
		return err;
	if (d.type != HS_FDIR)
		return ENOTDIR;
	if (count == 0 || count > HS_READDIR_MAX)
		count = HS_READDIR_MAX;
	vs_vn_attr(&d, &out->dir);
	out->cookie = cookie;
	out->entries.entries_len = 0;
	out->entries.entries_val = calloc(count, sizeof(hs_dirent));
	if (!out->entries.entries_val)
		return ENOMEM;
	return page(vs, &d, cookie, count, out);
}

int vs_readlink(struct vstore *vs, const hs_fid *fid, char **target)
{
	struct vn v;
	sqlite3_stmt *s;
	const char *t;
	int rc, err;

	if ((err = vs_vn_get(vs, fid, &v)))
		return err;
	if (v.type != HS_FLNK)
		return EINVAL;
	s = vs_st(vs, S_VN_TARGET);
	sqlite3_bind_int64(s, 1, v.vol);
	sqlite3_bind_int64(s, 2, v.vnode);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(s, 0);
		*target = strdup(t ? t : "");
		err = *target ? 0 : ENOMEM;
	} else {
		err = rc == SQLITE_DONE ? ESTALE : vs_sqlerr(rc);
	}
	sqlite3_reset(s);
	return err;
}

/* The first data byte of fd at or after pos and below end, or end. */
static uint64_t data_from(int fd, uint64_t pos, uint64_t end)
{
	off_t d = lseek(fd, (off_t)pos, SEEK_DATA);

	/* ENXIO: only a hole from pos on; other errors: treat all as data. */
	if (d < 0)
		return errno == ENXIO ? end : pos;
	return (uint64_t)d < end ? (uint64_t)d : end;
}

/* Where the data run at pos ends (SEEK_HOLE), at most end. */
static uint64_t hole_from(int fd, uint64_t pos, uint64_t end)
{
	off_t h = lseek(fd, (off_t)pos, SEEK_HOLE);

	return h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
}

/* The data extents of [off, end) of fd into out->ext, their bytes packed
 * into out->data (room for end - off bytes).  The last free slot takes
 * the rest of the range whole, holes read as zeros, so a fragmented file
 * still fits HS_EXTENTS_MAX. */
static int read_extents(struct vs_dread *rd, uint64_t off, uint64_t end,
			hs_fetch_ok *out)
{
	int fd = rd->fd;
	hs_extent *ext = out->ext.ext_val;
	uint64_t pos = off, d, e;
	size_t got;
	int err;

	while (pos < end && (d = data_from(fd, pos, end)) < end) {
		e = out->ext.ext_len == HS_EXTENTS_MAX - 1 ? end :
			hole_from(fd, d, end);
		if ((err = vs_dread(rd, out->data.data_val + out->data.data_len,
				    (size_t)(e - d), d, &got)))
			return err;
		if (got) {
			ext[out->ext.ext_len++] = (hs_extent){ d, (u_int)got };
			out->data.data_len += (u_int)got;
		}
		if (got < e - d)
			break;          /* EOF: the rest is a hole */
		pos = e;
	}
	return 0;
}

/* Extents of [off, end) and where data resumes after end; a missing data
 * file reads as one hole. */
static int read_data(struct vstore *vs, const struct vn *v, uint64_t off,
		     uint64_t end, hs_fetch_ok *out)
{
	char path[4096];
	struct vs_dread rd = { .dfd = -1, .path = path };
	int err;

	out->next_data = v->size;
	vs_data_path(vs, v, path, sizeof path);
	rd.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rd.fd < 0)
		return errno == ENOENT ? 0 : errno;
	err = read_extents(&rd, off, end, out);
	if (!err && end < v->size)
		out->next_data = data_from(rd.fd, end, v->size);
	vs_dread_close(&rd);
	close(rd.fd);
	return err;
}

int vs_fetch(struct vstore *vs, const hs_fid *fid, uint64_t off,
	     unsigned count, hs_fetch_ok *out)
{
	struct vn v;
	size_t n = 0;
	int err;

	if ((err = vs_vn_get(vs, fid, &v)))
		return err;
	if (v.type == HS_FDIR)
		return EISDIR;
	if (v.type != HS_FREG)
		return EINVAL;
	if (count > HS_CHUNK_MAX)
		count = HS_CHUNK_MAX;
	if (off < v.size)
		n = v.size - off < count ? (size_t)(v.size - off) : count;
	vs_vn_attr(&v, &out->attr);
	out->data.data_len = 0;
	out->ext.ext_len = 0;
	out->next_data = v.size;
	/* Aligned for vs_dread's direct reads; freed with free(). */
	if (posix_memalign((void **)&out->data.data_val, 4096, n ? n : 1))
		out->data.data_val = NULL;
	out->ext.ext_val = calloc(HS_EXTENTS_MAX, sizeof(hs_extent));
	if (!out->data.data_val || !out->ext.ext_val)
		return ENOMEM;
	return n ? read_data(vs, &v, off, off + n, out) : 0;
}
