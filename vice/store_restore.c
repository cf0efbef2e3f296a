/*
 * vice/store_restore.c - a dump becomes a volume of this store; a moved
 * volume leaves it.
 *
 * Restore writes the data files first (fsync'd), then inserts the rows
 * in one transaction: a crash before the commit leaves only data files
 * of a volume id the store does not know, which the next restore of that
 * id replaces.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_int.h"
#include "store_dump.h"

/* What the dump says about its volume. */
struct dmeta {
	int64_t format, id, root_vnode, root_uniq, next_vnode, next_uniq;
	int64_t max_quota, min_quota, blocks_used;
	char name[HS_MAXNAMELEN + 1];
};

/* The restore under way. */
struct rst {
	struct dmeta m;
	uint32_t id;            /* the new volume's id */
	const char *name;       /* and name */
};

/* Volume ids released from this store (vs_vol_release). */
static const char moved_schema[] =
	"CREATE TABLE IF NOT EXISTS moved(id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL)";

int vs_vol_here(struct vstore *vs, uint32_t vol)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_BY_ID);
	int rc;

	sqlite3_bind_int64(s, 1, vol);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int vs_vol_moved(struct vstore *vs, uint32_t vol)
{
	sqlite3_stmt *s;
	int rc;

	/* No table yet: nothing ever moved away. */
	if (sqlite3_prepare_v2(vs->db, "SELECT 1 FROM moved WHERE id = ?1",
			       -1, &s, NULL))
		return 0;
	sqlite3_bind_int64(s, 1, vol);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW;
}

static int meta_get(struct vstore *vs, const char *key, int64_t *ival,
		    char *sval, size_t slen)
{
	sqlite3_stmt *s;
	int rc, err = 0;

	if (sqlite3_prepare_v2(vs->db, "SELECT value FROM rst.meta"
			       " WHERE key = ?1", -1, &s, NULL))
		return EINVAL;          /* no meta table: not a dump */
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		err = EINVAL;
	else if (sval) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		if (!t || strlen((const char *)t) >= slen)
			err = EINVAL;
		else
			strcpy(sval, (const char *)t);
	} else
		*ival = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return err;
}

static int read_meta(struct vstore *vs, struct dmeta *m)
{
	static const struct { const char *key; size_t off; } ks[] = {
		{ "format", offsetof(struct dmeta, format) },
		{ "volume_id", offsetof(struct dmeta, id) },
		{ "root_vnode", offsetof(struct dmeta, root_vnode) },
		{ "root_uniq", offsetof(struct dmeta, root_uniq) },
		{ "next_vnode", offsetof(struct dmeta, next_vnode) },
		{ "next_uniq", offsetof(struct dmeta, next_uniq) },
		{ "max_quota", offsetof(struct dmeta, max_quota) },
		{ "min_quota", offsetof(struct dmeta, min_quota) },
		{ "blocks_used", offsetof(struct dmeta, blocks_used) },
	};
	unsigned i;
	int err;

	for (i = 0; i < sizeof ks / sizeof ks[0]; i++)
		if ((err = meta_get(vs, ks[i].key,
				    (int64_t *)((char *)m + ks[i].off), NULL,
				    0)))
			return err;
	if (m->format != VS_DUMP_FORMAT || m->id < 1 ||
	    m->id > HS_VOLID_MAX || m->root_vnode < 1 || m->root_uniq < 1)
		return EINVAL;
	return meta_get(vs, "name", NULL, m->name, sizeof m->name);
}

/* The id and name must be free here. */
static int check_free(struct vstore *vs, const struct rst *r)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_BY_NAME);
	int rc, here = vs_vol_here(vs, r->id);

	if (here)
		return here < 0 ? -here : EEXIST;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return EEXIST;
	return rc == SQLITE_DONE ? 0 : EIO;
}

/* Write one file's rows into its data file, cut to size, fsync. */
static int write_file(struct vstore *vs, sqlite3_stmt *rows,
		      const struct vn *v)
{
	char path[4096];
	int fd, err = 0, rc;

	vs_data_path(vs, v, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (ftruncate(fd, (off_t)v->size) < 0)
		err = errno;
	sqlite3_reset(rows);
	sqlite3_bind_int64(rows, 1, v->vnode);
	sqlite3_bind_int64(rows, 2, v->uniq);
	while (!err && (rc = sqlite3_step(rows)) == SQLITE_ROW) {
		int64_t off = sqlite3_column_int64(rows, 0);
		const void *b = sqlite3_column_blob(rows, 1);
		size_t len = (size_t)sqlite3_column_bytes(rows, 1);

		/* Bound every row by the file's size: a dump is input. */
		if (off < 0 || len > VS_DUMP_ROW || (uint64_t)off + len >
		    v->size)
			err = EINVAL;
		else if (len && pwrite(fd, b, len, off) != (ssize_t)len)
			err = errno ? errno : EIO;
	}
	if (!err && rc != SQLITE_DONE)
		err = EINVAL;
	if (!err && fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Every regular file of the dump into <data>/<id>/. */
static int write_files(struct vstore *vs, const struct rst *r)
{
	sqlite3_stmt *q = NULL, *rows = NULL;
	char dir[4096];
	int err, rc = SQLITE_DONE;

	if ((err = vs_voldir_make(vs, r->id)))
		return err;
	if (sqlite3_prepare_v2(vs->db, "SELECT vnode, uniq, size FROM"
			       " rst.vnodes WHERE type = ?1", -1, &q, NULL) ||
	    sqlite3_prepare_v2(vs->db, "SELECT off, bytes FROM rst.data"
			       " WHERE vnode = ?1 AND uniq = ?2 ORDER BY off",
			       -1, &rows, NULL))
		err = EINVAL;
	if (!err)
		sqlite3_bind_int64(q, 1, HS_FREG);
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vn v = {
			.vol = r->id, .type = HS_FREG,
			.vnode = (uint32_t)sqlite3_column_int64(q, 0),
			.uniq = (uint32_t)sqlite3_column_int64(q, 1),
			.size = (uint64_t)sqlite3_column_int64(q, 2),
		};

		if (sqlite3_column_int64(q, 2) < 0)
			err = EINVAL;
		else
			err = write_file(vs, rows, &v);
	}
	if (!err && rc != SQLITE_DONE)
		err = EINVAL;
	sqlite3_finalize(q);
	sqlite3_finalize(rows);
	snprintf(dir, sizeof dir, "%s/%" PRIu32, vs->datadir, r->id);
	if (!err)
		err = vs_fsync_dir(dir);
	if (!err)
		err = vs_fsync_dir(vs->datadir);
	return err;
}

/* The volumes row, with quotas where the store has them. */
static int insert_volume(struct vstore *vs, const struct rst *r)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_INSERT), *q;
	int err;

	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->m.root_vnode);
	sqlite3_bind_int64(s, 4, r->m.root_uniq);
	sqlite3_bind_int64(s, 5, r->m.next_vnode);
	sqlite3_bind_int64(s, 6, r->m.next_uniq);
	if ((err = vs_exec(vs, s)))
		return err;
	if (sqlite3_prepare_v2(vs->db, "UPDATE volumes SET max_quota = ?2,"
			       " min_quota = ?3 WHERE id = ?1", -1, &q, NULL))
		return 0;               /* a store without quotas */
	sqlite3_bind_int64(q, 1, r->id);
	sqlite3_bind_int64(q, 2, r->m.max_quota);
	sqlite3_bind_int64(q, 3, r->m.min_quota);
	err = sqlite3_step(q) == SQLITE_DONE ? 0 : EIO;
	sqlite3_finalize(q);
	return err;
}

/* blocks_used counted from the rows restored (1 KiB blocks, files
 * only), whatever the dump says; a store without quotas has no column. */
static const char recount_sql[] =
	"UPDATE volumes SET blocks_used = (SELECT COALESCE(SUM((size + 1023)"
	" / 1024), 0) FROM vnodes WHERE vol = ?1 AND type = 1) WHERE id = ?1";

/* Rows copied from the dump (?1 = the new volume id).  dirents keep
 * their order (readdir cookies), not their ids. */
static const char *const rows_copy[] = {
	"INSERT INTO vnodes(vol, vnode, uniq, type, mode, uid, gid, size,"
	" atime, mtime, ctime, dv, sid_client, sid_seq, nlink, parent,"
	" target, rdev) SELECT ?1, vnode, uniq, type, mode, uid, gid, size,"
	" atime, mtime, ctime, dv, sid_client, sid_seq, nlink, parent,"
	" target, rdev FROM rst.vnodes",
	"INSERT INTO dirents(vol, dir, name, child) SELECT ?1, dir, name,"
	" child FROM rst.dirents ORDER BY id",
	"INSERT INTO acls(vol, vnode, neg, id, rights) SELECT ?1, vnode, neg,"
	" id, rights FROM rst.acls",
};
/* Only when the id is kept: store ids and local fids name it. */
static const char *const ids_copy[] = {
	"INSERT OR IGNORE INTO applied(client, seq, status, vol, o_vnode,"
	" o_uniq, r_vnode, r_uniq) SELECT client, seq, status, ?1, o_vnode,"
	" o_uniq, r_vnode, r_uniq FROM rst.applied",
	"INSERT OR IGNORE INTO localfids(client, l_vol, l_vnode, l_uniq, seq,"
	" vol, vnode, uniq) SELECT client, l_vol, l_vnode, l_uniq, seq, ?1,"
	" vnode, uniq FROM rst.localfids",
	"DELETE FROM moved WHERE id = ?1",
};

static int restore_rows(struct vstore *vs, void *ctx)
{
	const struct rst *r = ctx;
	unsigned i;
	int err = vs_dump_run(vs, moved_schema, 0);

	if (!err)
		err = insert_volume(vs, r);
	for (i = 0; !err && i < sizeof rows_copy / sizeof rows_copy[0]; i++)
		err = vs_dump_run(vs, rows_copy[i], r->id);
	for (i = 0; !err && r->id == r->m.id &&
	     i < sizeof ids_copy / sizeof ids_copy[0]; i++)
		err = vs_dump_run(vs, ids_copy[i], r->id);
	if (!err) {
		sqlite3_stmt *q;

		if (!sqlite3_prepare_v2(vs->db, recount_sql, -1, &q, NULL)) {
			sqlite3_bind_int64(q, 1, r->id);
			if (sqlite3_step(q) != SQLITE_DONE)
				err = EIO;
			sqlite3_finalize(q);
		}
	}
	/* Vnode numbers below next_vnode (new objects must not collide),
	 * none a local fid's. */
	if (!err) {
		sqlite3_stmt *q;

		if (sqlite3_prepare_v2(vs->db, "SELECT COUNT(*) FROM rst.vnodes"
				       " WHERE vnode < 1 OR vnode >= ?1 OR"
				       " vnode >= ?2", -1, &q, NULL))
			err = EINVAL;
		else {
			sqlite3_bind_int64(q, 1, r->m.next_vnode);
			sqlite3_bind_int64(q, 2, HS_LOCAL_VNODE);
			if (sqlite3_step(q) != SQLITE_ROW ||
			    sqlite3_column_int64(q, 0) != 0)
				err = EINVAL;
			sqlite3_finalize(q);
		}
	}
	/* The root directory must be there, a directory. */
	if (!err) {
		struct vn root;

		err = vs_vn_get_num(vs, r->id, (uint32_t)r->m.root_vnode,
				    &root);
		if (!err && (root.type != HS_FDIR ||
			     root.uniq != (uint32_t)r->m.root_uniq))
			err = EINVAL;
		if (err == ESTALE)
			err = EINVAL;
	}
	return err;
}

static int restore_attached(struct vstore *vs, struct rst *r, uint32_t id,
			    const char *name, hs_volinfo *out)
{
	int err = read_meta(vs, &r->m);

	if (err)
		return err;
	r->id = id ? id : (uint32_t)r->m.id;
	r->name = name && *name ? name : r->m.name;
	if (r->id > HS_VOLID_MAX)
		return ERANGE;
	if ((err = vs_name_check(r->name)) || (err = check_free(vs, r)))
		return err;
	if ((err = write_files(vs, r)) ||
	    (err = vs_tx(vs, restore_rows, r))) {
		vs_voldir_clear(vs, r->id);
		return err;
	}
	out->id = r->id;
	out->name = strdup(r->name);
	out->root.volume = r->id;
	out->root.vnode = (uint32_t)r->m.root_vnode;
	out->root.unique = (uint32_t)r->m.root_uniq;
	return out->name ? 0 : ENOMEM;
}

int vs_vol_restore(struct vstore *vs, const char *path, uint32_t id,
		   const char *name, hs_volinfo *out)
{
	struct rst r;
	int err;

	memset(&r, 0, sizeof r);
	memset(out, 0, sizeof *out);
	if (vs->depth)
		return EBUSY;
	if (access(path, R_OK) < 0)
		return errno;
	if ((err = vs_dump_attach(vs, path, "rst")))
		return EINVAL;
	err = restore_attached(vs, &r, id, name, out);
	(void)vs_dump_run(vs, "DETACH DATABASE rst", 0);
	return err;
}

/* The volume's rows go; its id is remembered as moved. */
static const char *const release_sql[] = {
	"DELETE FROM vnodes WHERE vol = ?1",
	"DELETE FROM dirents WHERE vol = ?1",
	"DELETE FROM acls WHERE vol = ?1",
	"DELETE FROM applied WHERE vol = ?1",
	"DELETE FROM localfids WHERE vol = ?1",
	"DELETE FROM volumes WHERE id = ?1",
	"INSERT OR REPLACE INTO moved(id, at) VALUES(?1, strftime('%s'))",
};

static int release_rows(struct vstore *vs, void *ctx)
{
	uint32_t vol = *(const uint32_t *)ctx;
	unsigned i;
	int err = vs_dump_run(vs, moved_schema, 0);

	for (i = 0; !err && i < sizeof release_sql / sizeof release_sql[0];
	     i++)
		err = vs_dump_run(vs, release_sql[i], vol);
	return err;
}

int vs_vol_release(struct vstore *vs, uint32_t vol)
{
	int err, here = vs_vol_here(vs, vol);

	if (here <= 0)
		return here < 0 ? -here : ENOENT;
	if ((err = vs_tx(vs, release_rows, &vol)))
		return err;
	vs_voldir_clear(vs, vol);
	return 0;
}
