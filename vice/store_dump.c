/*
 * vice/store_dump.c - dump one volume into an SQLite file.
 *
 * The dump file is attached to vice.db's connection and filled with
 * INSERT ... SELECT in one transaction, so it is a consistent snapshot
 * (vice runs one call at a time).  File data is read from the data files
 * extent by extent (SEEK_DATA/SEEK_HOLE), in rows of VS_DUMP_ROW bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_int.h"
#include "store_dump.h"

/* The dump's tables (doc/design.md "Volume dumps"): vice.db's, less the
 * volume column. */
static const char dump_schema[] =
	"CREATE TABLE dump.meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE dump.vnodes(vnode INTEGER PRIMARY KEY,"
	" uniq INTEGER NOT NULL, type INTEGER NOT NULL, mode INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, gid INTEGER NOT NULL, size INTEGER NOT NULL,"
	" atime INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	" ctime INTEGER NOT NULL, dv INTEGER NOT NULL,"
	" sid_client INTEGER NOT NULL, sid_seq INTEGER NOT NULL,"
	" nlink INTEGER NOT NULL, parent INTEGER NOT NULL, target TEXT,"
	" rdev INTEGER NOT NULL);"
	"CREATE TABLE dump.dirents(id INTEGER PRIMARY KEY, dir INTEGER NOT NULL,"
	" name TEXT NOT NULL, child INTEGER NOT NULL);"
	"CREATE TABLE dump.acls(vnode INTEGER NOT NULL, neg INTEGER NOT NULL,"
	" id INTEGER NOT NULL, rights INTEGER NOT NULL,"
	" PRIMARY KEY(vnode, neg, id));"
	"CREATE TABLE dump.applied(client INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, status INTEGER NOT NULL,"
	" o_vnode INTEGER NOT NULL, o_uniq INTEGER NOT NULL,"
	" r_vnode INTEGER NOT NULL, r_uniq INTEGER NOT NULL,"
	" PRIMARY KEY(client, seq));"
	"CREATE TABLE dump.localfids(client INTEGER NOT NULL,"
	" l_vol INTEGER NOT NULL, l_vnode INTEGER NOT NULL,"
	" l_uniq INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" vnode INTEGER NOT NULL, uniq INTEGER NOT NULL,"
	" PRIMARY KEY(client, l_vol, l_vnode, l_uniq));"
	"CREATE TABLE dump.data(vnode INTEGER NOT NULL, uniq INTEGER NOT NULL,"
	" off INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY(vnode, off));";

/* Copies of the volume's rows (?1 = the volume). */
static const char *const dump_copy[] = {
	"INSERT INTO dump.vnodes SELECT vnode, uniq, type, mode, uid, gid,"
	" size, atime, mtime, ctime, dv, sid_client, sid_seq, nlink, parent,"
	" target, rdev FROM main.vnodes WHERE vol = ?1",
	"INSERT INTO dump.dirents SELECT id, dir, name, child"
	" FROM main.dirents WHERE vol = ?1",
	"INSERT INTO dump.acls SELECT vnode, neg, id, rights"
	" FROM main.acls WHERE vol = ?1",
	"INSERT INTO dump.applied SELECT client, seq, status, o_vnode, o_uniq,"
	" r_vnode, r_uniq FROM main.applied WHERE vol = ?1",
	"INSERT INTO dump.localfids SELECT client, l_vol, l_vnode, l_uniq, seq,"
	" vnode, uniq FROM main.localfids WHERE vol = ?1",
};

const char *vs_root_dir(const struct vstore *vs)
{
	return vs->root;
}

/* Run one statement with ?1 bound to vol (if it has parameters). */
static int run1(struct vstore *vs, const char *sql, int64_t vol)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(vs->db, sql, -1, &s, NULL);

	if (rc)
		return vs_sqlerr(rc) ? vs_sqlerr(rc) : EIO;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, vol);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 :
		(vs_sqlerr(rc) ? vs_sqlerr(rc) : EIO);
}

static int meta_put(struct vstore *vs, const char *key, int64_t ival,
		    const char *sval)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(vs->db, "INSERT INTO dump.meta(key, value)"
				    " VALUES(?1, ?2)", -1, &s, NULL);

	if (rc)
		return EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sval)
		sqlite3_bind_text(s, 2, sval, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 2, ival);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : (vs_sqlerr(rc) ? vs_sqlerr(rc) : EIO);
}

/* The volume row and the quota columns (absent on a store without
 * quotas: 0) into the dump's meta. */
static int dump_meta(struct vstore *vs, uint32_t vol)
{
	static const char *const keys[] = {
		"root_vnode", "root_uniq", "next_vnode", "next_uniq",
		"max_quota", "min_quota", "blocks_used",
	};
	int64_t val[7] = { 0 };
	char *name = NULL;
	sqlite3_stmt *s;
	unsigned i, n = 4;
	int err = 0, rc;

	rc = sqlite3_prepare_v2(vs->db, "SELECT name, root_vnode, root_uniq,"
				" next_vnode, next_uniq, max_quota, min_quota,"
				" blocks_used FROM main.volumes WHERE id = ?1",
				-1, &s, NULL);
	if (rc == SQLITE_OK)
		n = 7;
	else if (sqlite3_prepare_v2(vs->db, "SELECT name, root_vnode,"
				    " root_uniq, next_vnode, next_uniq FROM"
				    " main.volumes WHERE id = ?1", -1, &s,
				    NULL))
		return EIO;
	sqlite3_bind_int64(s, 1, vol);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ENOENT;
	}
	name = strdup((const char *)sqlite3_column_text(s, 0));
	for (i = 0; i < n; i++)
		val[i] = sqlite3_column_int64(s, (int)i + 1);
	sqlite3_finalize(s);
	if (!name)
		return ENOMEM;
	err = meta_put(vs, "format", VS_DUMP_FORMAT, NULL);
	if (!err)
		err = meta_put(vs, "volume_id", vol, NULL);
	if (!err)
		err = meta_put(vs, "name", 0, name);
	for (i = 0; i < 7 && !err; i++)
		err = meta_put(vs, keys[i], val[i], NULL);
	if (!err)
		err = meta_put(vs, "dump_time", vs_now(), NULL);
	if (!err)
		err = meta_put(vs, "server_id", (int64_t)vs->server_id, NULL);
	free(name);
	return err;
}

/* One data row. */
static int data_row(sqlite3_stmt *ins, uint32_t vnode, uint32_t uniq,
		    uint64_t off, const void *buf, size_t len)
{
	int rc;

	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, vnode);
	sqlite3_bind_int64(ins, 2, uniq);
	sqlite3_bind_int64(ins, 3, (int64_t)off);
	sqlite3_bind_blob(ins, 4, buf, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	return rc == SQLITE_DONE ? 0 : (vs_sqlerr(rc) ? vs_sqlerr(rc) : EIO);
}

/* The extents of one data file, up to size, in rows. */
static int dump_file(struct vstore *vs, sqlite3_stmt *ins, const struct vn *v,
		     char *buf)
{
	char path[4096];
	off_t off = 0, end;
	int fd, err = 0;

	vs_data_path(vs, v, path, sizeof path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;   /* never written: empty */
	while (!err && (uint64_t)off < v->size) {
		off = lseek(fd, off, SEEK_DATA);
		if (off < 0 || (uint64_t)off >= v->size)
			break;                  /* ENXIO: only a hole is left */
		end = lseek(fd, off, SEEK_HOLE);
		if (end < 0 || (uint64_t)end > v->size)
			end = (off_t)v->size;
		while (!err && off < end) {
			size_t want = (size_t)(end - off) < VS_DUMP_ROW ?
				(size_t)(end - off) : VS_DUMP_ROW;
			ssize_t got = pread(fd, buf, want, off);

			if (got <= 0) {
				err = got < 0 ? errno : EIO;
				break;
			}
			err = data_row(ins, v->vnode, v->uniq, (uint64_t)off,
				       buf, (size_t)got);
			off += got;
		}
	}
	close(fd);
	return err;
}

/* Every regular file of vol into dump.data. */
static int dump_data(struct vstore *vs, uint32_t vol)
{
	sqlite3_stmt *q = NULL, *ins = NULL;
	char *buf = malloc(VS_DUMP_ROW);
	int err = 0, rc;

	if (!buf)
		return ENOMEM;
	if (sqlite3_prepare_v2(vs->db, "SELECT vnode, uniq, size FROM"
			       " main.vnodes WHERE vol = ?1 AND type = ?2",
			       -1, &q, NULL) ||
	    sqlite3_prepare_v2(vs->db, "INSERT INTO dump.data(vnode, uniq,"
			       " off, bytes) VALUES(?1, ?2, ?3, ?4)", -1, &ins,
			       NULL))
		err = EIO;
	if (!err) {
		sqlite3_bind_int64(q, 1, vol);
		sqlite3_bind_int64(q, 2, HS_FREG);
	}
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vn v = {
			.vol = vol, .type = HS_FREG,
			.vnode = (uint32_t)sqlite3_column_int64(q, 0),
			.uniq = (uint32_t)sqlite3_column_int64(q, 1),
			.size = (uint64_t)sqlite3_column_int64(q, 2),
		};

		err = dump_file(vs, ins, &v, buf);
	}
	if (!err && rc != SQLITE_DONE)
		err = EIO;
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	free(buf);
	return err;
}

/* Everything, inside the open transaction. */
static int dump_all(struct vstore *vs, uint32_t vol)
{
	unsigned i;
	int err = dump_meta(vs, vol);

	for (i = 0; !err && i < sizeof dump_copy / sizeof dump_copy[0]; i++)
		err = run1(vs, dump_copy[i], vol);
	if (!err)
		err = dump_data(vs, vol);
	return err;
}

static int attach(struct vstore *vs, const char *path, const char *as)
{
	char sql[64];
	sqlite3_stmt *s;
	int rc;

	snprintf(sql, sizeof sql, "ATTACH DATABASE ?1 AS %s", as);
	if (sqlite3_prepare_v2(vs->db, sql, -1, &s, NULL))
		return EIO;
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : EIO;
}

int vs_dump_attach(struct vstore *vs, const char *path, const char *as)
{
	return attach(vs, path, as);
}

int vs_dump_run(struct vstore *vs, const char *sql, int64_t arg)
{
	return run1(vs, sql, arg);
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

static int dump_tx(struct vstore *vs, void *ctx)
{
	return dump_all(vs, *(const uint32_t *)ctx);
}

int vs_vol_dump(struct vstore *vs, uint32_t vol, const char *path)
{
	int err, here = vs_vol_here(vs, vol);

	if (here <= 0)
		return here < 0 ? -here : ENOENT;
	if (vs->depth)
		return EBUSY;
	if (unlink(path) < 0 && errno != ENOENT)
		return errno;
	if ((err = attach(vs, path, "dump")))
		return err;
	/* The file is thrown away on failure: no journal needed; it is
	 * fsync'd once complete. */
	err = run1(vs, "PRAGMA dump.journal_mode=OFF", 0);
	if (!err)
		err = run1(vs, "PRAGMA dump.synchronous=OFF", 0);
	if (!err && sqlite3_exec(vs->db, dump_schema, NULL, NULL, NULL))
		err = EIO;
	if (!err)
		err = vs_tx(vs, dump_tx, &vol);
	if (run1(vs, "DETACH DATABASE dump", 0) && !err)
		err = EIO;
	if (!err)
		err = fsync_path(path);
	if (err)
		(void)unlink(path);
	return err;
}
