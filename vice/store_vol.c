/*
 * vice/store_vol.c - volumes of one server: create, remove, rename,
 * status, quotas, mount points; and the quota accounting.
 *
 * Quotas count 1 KiB blocks (Coda's): a regular file of n bytes uses
 * ceil(n / 1024), every other object none.  volumes.blocks_used is kept
 * by triggers on vnodes, so every change of a file's size (store commit,
 * setattr, a reintegrated record, the removal of a last link, a restore)
 * moves it in the same transaction as the change itself; a growth that
 * would pass max_quota (0: unlimited) aborts its statement with
 * RAISE(ABORT), which vs_exec turns into EDQUOT.  Shrinking is always
 * allowed, even over quota.  Statements here are rare (admin calls):
 * prepared on use rather than kept.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "store_int.h"

/* Blocks of a size column, in SQL (no overflow near INT64_MAX). */
#define BLK(x) "((" x ") / 1024 + ((" x ") % 1024 > 0))"
#define FREG "1"        /* HS_FREG */

static const char quota_sql[] =
	"CREATE TRIGGER IF NOT EXISTS vn_quota BEFORE UPDATE OF size ON vnodes"
	" WHEN NEW.type = " FREG " AND " BLK("NEW.size") " > " BLK("OLD.size")
	" BEGIN SELECT RAISE(ABORT, 'EDQUOT') FROM volumes"
	"  WHERE id = NEW.vol AND max_quota > 0 AND blocks_used + "
	BLK("NEW.size") " - " BLK("OLD.size") " > max_quota; END;"
	"CREATE TRIGGER IF NOT EXISTS vn_blocks_upd AFTER UPDATE OF size"
	" ON vnodes WHEN NEW.type = " FREG " AND NEW.size != OLD.size"
	" BEGIN UPDATE volumes SET blocks_used = blocks_used + "
	BLK("NEW.size") " - " BLK("OLD.size") " WHERE id = NEW.vol; END;"
	"CREATE TRIGGER IF NOT EXISTS vn_blocks_ins AFTER INSERT ON vnodes"
	" WHEN NEW.type = " FREG " AND NEW.size > 0"
	" BEGIN UPDATE volumes SET blocks_used = blocks_used + "
	BLK("NEW.size") " WHERE id = NEW.vol; END;"
	"CREATE TRIGGER IF NOT EXISTS vn_blocks_del AFTER DELETE ON vnodes"
	" WHEN OLD.type = " FREG " AND OLD.size > 0"
	" BEGIN UPDATE volumes SET blocks_used = blocks_used - "
	BLK("OLD.size") " WHERE id = OLD.vol; END;";

static const char recount_sql[] =
	"UPDATE volumes SET blocks_used = (SELECT COALESCE(SUM("
	BLK("size") "), 0) FROM vnodes WHERE vol = volumes.id AND type = "
	FREG ") WHERE ?1 = 0 OR id = ?1";

/* Columns of S_STAT, in order. */
#define STAT_COLS "id, name, root_vnode, root_uniq, max_quota, min_quota," \
	" blocks_used, (SELECT COUNT(*) FROM vnodes WHERE vol = volumes.id)"

/* Prepare sql, bind nids int64 parameters ?1.. and text (if any) after
 * them, step to DONE: 0 or an errno; *changes gets the rows changed. */
static int run(struct vstore *vs, const char *sql, const int64_t *ids,
	       unsigned nids, const char *text, int *changes)
{
	sqlite3_stmt *s;
	unsigned i;
	int rc;

	if ((rc = sqlite3_prepare_v2(vs->db, sql, -1, &s, NULL)))
		return vs_sqlerr(rc);
	for (i = 0; i < nids; i++)
		sqlite3_bind_int64(s, (int)i + 1, ids[i]);
	if (text)
		sqlite3_bind_text(s, (int)nids + 1, text, -1, SQLITE_STATIC);
	rc = vs_exec(vs, s);
	sqlite3_finalize(s);
	if (changes)
		*changes = sqlite3_changes(vs->db);
	return rc;
}

int vs_vol_recount(struct vstore *vs, uint32_t id)
{
	int64_t i = id;

	return run(vs, recount_sql, &i, 1, NULL, NULL);
}

/* A store made before quotas: add the columns, count blocks once. */
int vs_vol_migrate(struct vstore *vs)
{
	static const char add[] =
		"ALTER TABLE volumes ADD COLUMN max_quota INTEGER NOT NULL"
		" DEFAULT 0; ALTER TABLE volumes ADD COLUMN min_quota INTEGER"
		" NOT NULL DEFAULT 0; ALTER TABLE volumes ADD COLUMN"
		" blocks_used INTEGER NOT NULL DEFAULT 0;";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(vs->db, "SELECT blocks_used FROM volumes"
				    " LIMIT 0", -1, &s, NULL), err = 0;

	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		if ((rc = sqlite3_exec(vs->db, "BEGIN IMMEDIATE", 0, 0, 0)))
			return vs_sqlerr(rc);
		if ((rc = sqlite3_exec(vs->db, add, 0, 0, 0)))
			err = vs_sqlerr(rc);
		if (!err)
			err = vs_vol_recount(vs, 0);
		rc = sqlite3_exec(vs->db, err ? "ROLLBACK" : "COMMIT", 0, 0, 0);
		if (err || rc)
			return err ? err : vs_sqlerr(rc);
	}
	rc = sqlite3_exec(vs->db, quota_sql, 0, 0, 0);
	return rc ? vs_sqlerr(rc) : 0;
}

/* Quota row of vol: 0 or ESTALE (no such volume) or an errno. */
static int quota_get(struct vstore *vs, uint32_t vol, uint64_t *max,
		     uint64_t *used)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(vs->db, "SELECT max_quota, blocks_used"
				     " FROM volumes WHERE id = ?1", -1, &s,
				     NULL)))
		return vs_sqlerr(rc);
	sqlite3_bind_int64(s, 1, vol);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*max = (uint64_t)sqlite3_column_int64(s, 0);
		*used = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ESTALE :
	       vs_sqlerr(rc);
}

static uint64_t blocks(uint64_t size)
{
	return size / 1024 + (size % 1024 > 0);
}

int vs_quota_check(struct vstore *vs, uint32_t vol, uint64_t old_size,
		   uint64_t new_size)
{
	uint64_t max = 0, used = 0, grow;
	int err;

	if (blocks(new_size) <= blocks(old_size))
		return 0;
	if ((err = quota_get(vs, vol, &max, &used)))
		return err;
	grow = blocks(new_size) - blocks(old_size);
	return max && (used + grow > max || used + grow < used) ? EDQUOT : 0;
}

/* A volume name: 1..HS_MAXNAMELEN printable bytes, no '/' or blanks
 * (it is written in mount points "#NAME." and in listvol lines). */
static int vol_name_check(const char *name)
{
	const unsigned char *p;
	int err = vs_name_check(name);

	if (err)
		return err;
	for (p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return EINVAL;
	return 0;
}

void vs_voldir_clear(struct vstore *vs, uint32_t id)
{
	char dir[4096], path[4400];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/%" PRIu32, vs->datadir, id);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			(void)unlink(path);
		}
	closedir(d);
	(void)rmdir(dir);
	(void)vs_fsync_dir(vs->datadir);
}

struct create_tx {
	const char *name;
	uint32_t id;
	uint64_t quota;
};

static int create_run(struct vstore *vs, void *arg)
{
	static const char sql[] = "INSERT INTO volumes(id, root_vnode,"
		" root_uniq, next_vnode, next_uniq, max_quota, min_quota,"
		" blocks_used, name) VALUES(?1, 1, 1, 2, 2, ?2, 0, 0, ?3)";
	struct create_tx *t = arg;
	int64_t ids[2] = { t->id, (int64_t)t->quota };
	struct vn v = {
		.vol = t->id, .vnode = 1, .uniq = 1, .type = HS_FDIR,
		.mode = 0777, .nlink = 2, .dv = 1,
	};
	int err;

	if ((err = run(vs, sql, ids, 2, t->name, NULL)))
		return err;
	v.atime = v.mtime = v.ctime = vs_now();
	if ((err = vs_vn_insert(vs, &v, NULL)) ||
	    (err = vs_acl_default(vs, &v)))
		return err;
	/* The id is new here: whatever a removed volume of that id left
	 * behind (a crash before its files went) is not this volume's. */
	vs_voldir_clear(vs, t->id);
	return vs_voldir_make(vs, t->id);
}

int vs_vol_create(struct vstore *vs, const char *name, uint32_t id,
		  uint64_t max_quota, hs_volinfo *out)
{
	struct create_tx t = { name, id, max_quota };
	int err;

	if ((err = vol_name_check(name)))
		return err;
	if (id == 0 || id > HS_VOLID_MAX || max_quota > INT64_MAX)
		return EINVAL;
	if ((err = vs_tx(vs, create_run, &t)))
		return err;
	return vs_getroot(vs, name, out);
}

/* Name of volume id into buf: 0, ENOENT, or an errno. */
static int vol_name(struct vstore *vs, uint32_t id, char *buf, size_t len)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(vs->db, "SELECT name FROM volumes"
				     " WHERE id = ?1", -1, &s, NULL)))
		return vs_sqlerr(rc);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(buf, len, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ENOENT :
	       vs_sqlerr(rc);
}

static int remove_run(struct vstore *vs, void *arg)
{
	static const char *const sql[] = {
		"DELETE FROM dirents WHERE vol = ?1",
		"DELETE FROM acls WHERE vol = ?1",
		"DELETE FROM vnodes WHERE vol = ?1",
		"DELETE FROM localfids WHERE vol = ?1",
		"DELETE FROM applied WHERE vol = ?1",
		"DELETE FROM redo WHERE vol = ?1",
		"DELETE FROM volumes WHERE id = ?1",
	};
	int64_t id = *(uint32_t *)arg;
	unsigned i;
	int err = 0;

	for (i = 0; !err && i < sizeof sql / sizeof sql[0]; i++)
		err = run(vs, sql[i], &id, 1, NULL, NULL);
	return err;
}

int vs_vol_remove(struct vstore *vs, uint32_t id, int force)
{
	char name[HS_MAXNAMELEN + 1];
	int err;

	if ((err = vol_name(vs, id, name, sizeof name)))
		return err;
	if (!strcmp(name, "root") && !force)
		return EPERM;
	if ((err = vs_tx(vs, remove_run, &id)))
		return err;
	vs_voldir_clear(vs, id);
	return 0;
}

int vs_vol_rename(struct vstore *vs, uint32_t id, const char *name)
{
	char old[HS_MAXNAMELEN + 1];
	int64_t i = id;
	int err;

	if ((err = vol_name_check(name)) ||
	    (err = vol_name(vs, id, old, sizeof old)))
		return err;
	/* "root" names the realm's root volume: it keeps that name. */
	if (!strcmp(old, "root"))
		return EPERM;
	return run(vs, "UPDATE volumes SET name = ?2 WHERE id = ?1", &i, 1,
		   name, NULL);
}

int vs_vol_setquota(struct vstore *vs, uint32_t id, uint64_t max_quota,
		    uint64_t min_quota)
{
	int64_t ids[3] = { id, (int64_t)max_quota, (int64_t)min_quota };
	int err, n = 0;

	if (max_quota > INT64_MAX || min_quota > INT64_MAX)
		return EINVAL;
	err = run(vs, "UPDATE volumes SET max_quota = ?2, min_quota = ?3"
		  " WHERE id = ?1", ids, 3, NULL, &n);
	return err ? err : n ? 0 : ENOENT;
}

int vs_vol_maxid(struct vstore *vs, uint32_t *max)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(vs->db, "SELECT COALESCE(MAX(id), 0)"
				     " FROM volumes", -1, &s, NULL)))
		return vs_sqlerr(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*max = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : vs_sqlerr(rc);
}

/* The partition holding the store, in 1 KiB blocks. */
static void part_blocks(struct vstore *vs, hs_volstat *out)
{
	struct statvfs sv;

	if (statvfs(vs->root, &sv))
		return;
	out->part_avail = (uint64_t)sv.f_bavail * sv.f_frsize / 1024;
	out->part_total = (uint64_t)sv.f_blocks * sv.f_frsize / 1024;
}

/* One row of STAT_COLS into out. */
static int stat_read(struct vstore *vs, sqlite3_stmt *s, hs_volstat *out)
{
	const char *name = (const char *)sqlite3_column_text(s, 1);

	memset(out, 0, sizeof *out);
	out->id = (u_int)sqlite3_column_int64(s, 0);
	out->root.volume = out->id;
	out->root.vnode = (u_int)sqlite3_column_int64(s, 2);
	out->root.unique = (u_int)sqlite3_column_int64(s, 3);
	out->max_quota = (uint64_t)sqlite3_column_int64(s, 4);
	out->min_quota = (uint64_t)sqlite3_column_int64(s, 5);
	out->blocks_used = (uint64_t)sqlite3_column_int64(s, 6);
	out->objects = (uint64_t)sqlite3_column_int64(s, 7);
	out->online = 1;
	part_blocks(vs, out);
	out->name = strdup(name ? name : "");
	return out->name ? 0 : ENOMEM;
}

int vs_vol_stat(struct vstore *vs, uint32_t id, hs_volstat *out)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((rc = sqlite3_prepare_v2(vs->db, "SELECT " STAT_COLS " FROM"
				     " volumes WHERE id = ?1", -1, &s, NULL)))
		return vs_sqlerr(rc);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	err = rc == SQLITE_ROW ? stat_read(vs, s, out) :
	      rc == SQLITE_DONE ? ENOENT : vs_sqlerr(rc);
	sqlite3_finalize(s);
	return err;
}

int vs_vol_list(struct vstore *vs, hs_volstatlist *out)
{
	hs_volstat *v;
	sqlite3_stmt *s;
	int rc, err = 0;

	out->vols.vols_len = 0;
	if (!(out->vols.vols_val = v = calloc(HS_MAXVOLS, sizeof *v)))
		return ENOMEM;
	if ((rc = sqlite3_prepare_v2(vs->db, "SELECT " STAT_COLS " FROM"
				     " volumes ORDER BY id LIMIT ?1", -1, &s,
				     NULL)))
		return vs_sqlerr(rc);
	sqlite3_bind_int(s, 1, HS_MAXVOLS);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if (!(err = stat_read(vs, s, &v[out->vols.vols_len])))
			out->vols.vols_len++;
	if (!err && rc != SQLITE_DONE)
		err = vs_sqlerr(rc);
	sqlite3_finalize(s);
	return err;
}

struct mount_tx {
	const struct vs_new *n;
	hs_create_ok *out;
	int *dup;
};

/* The symlink, then its mode 0644: one transaction, one store id. */
static int mount_run(struct vstore *vs, void *arg)
{
	struct mount_tx *t = arg;
	struct vn v;
	int err;

	if ((err = vs_create(vs, t->n, t->out, t->dup)) || *t->dup)
		return err;
	if ((err = vs_vn_get(vs, &t->out->obj.fid, &v)))
		return err;
	v.mode = 0644;
	if ((err = vs_vn_update(vs, &v)))
		return err;
	vs_vn_attr(&v, &t->out->obj);
	return 0;
}

int vs_mkmount(struct vstore *vs, const struct vs_new *n, const char *volume,
	       hs_create_ok *out, int *dup)
{
	struct vs_new m = *n;
	char target[HS_MAXNAMELEN + 3];
	struct mount_tx t = { &m, out, dup };
	int err;

	*dup = 0;
	if ((err = vol_name_check(volume)))
		return err;
	snprintf(target, sizeof target, "#%s.", volume);
	m.type = HS_FLNK;
	m.target = target;
	return vs_tx(vs, mount_run, &t);
}
