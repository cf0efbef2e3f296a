/*
 * vice/store.c - opening the store: directories, database, first start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"
#include "store_dump.h"

#define ROOT_VOL 1

/* mkdir -p for dir with the given mode on the last component. */
static int mkdirs(const char *dir, mode_t mode)
{
	char *p, *copy = strdup(dir);
	int err = 0;

	if (!copy)
		return ENOMEM;
	for (p = copy + 1; *p && !err; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			err = errno;
		*p = '/';
	}
	if (!err && mkdir(copy, mode) < 0 && errno != EEXIST)
		err = errno;
	free(copy);
	return err;
}

static int make_dirs(struct vstore *vs)
{
	char tmp[4096];
	int err;

	if ((err = mkdirs(vs->datadir, 0700)))
		return err;
	snprintf(tmp, sizeof tmp, "%s/tmp", vs->datadir);
	if ((err = mkdirs(tmp, 0700)))
		return err;
	return 0;
}

static int db_pragmas(sqlite3 *db)
{
	sqlite3_stmt *s;
	int wal = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &s, NULL))
		return EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(s, 0);
		wal = m && strcmp(m, "wal") == 0;
	}
	sqlite3_finalize(s);
	if (!wal)
		return EIO;
	/* FULL: a committed mutation survives power loss (WAL default is
	 * NORMAL, which may lose the last transactions). */
	if (sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) ||
	    sqlite3_busy_timeout(db, 5000))
		return EIO;
	return 0;
}

/* A store made before special files has no vnodes.rdev: add it (0). */
static int add_rdev(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT rdev FROM vnodes LIMIT 0", -1,
				    &s, NULL);

	sqlite3_finalize(s);
	if (rc == SQLITE_OK)
		return 0;
	rc = sqlite3_exec(db, "ALTER TABLE vnodes ADD COLUMN"
			  " rdev INTEGER NOT NULL DEFAULT 0", NULL, NULL, NULL);
	return rc ? vs_sqlerr(rc) : 0;
}

static int db_prepare(struct vstore *vs)
{
	int i, rc;

	rc = sqlite3_exec(vs->db, vs_schema, NULL, NULL, NULL);
	if (rc)
		return vs_sqlerr(rc);
	if ((rc = add_rdev(vs->db)) || (rc = vs_vol_migrate(vs)))
		return rc;
	for (i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(vs->db, vs_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &vs->st[i],
					NULL);
		if (rc)
			return vs_sqlerr(rc);
	}
	return 0;
}

/* The server id: random on first start, then kept in meta. */
static int server_id(struct vstore *vs)
{
	sqlite3_stmt *s = vs_st(vs, S_META_GET);
	uint64_t id = 0;
	int rc;

	sqlite3_bind_text(s, 1, "server_id", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vs_sqlerr(rc);
	while (id == 0)
		if (getrandom(&id, sizeof id, 0) != sizeof id)
			return errno;
	vs->server_id = id;
	if (rc == SQLITE_ROW)
		return 0;
	s = vs_st(vs, S_META_PUT);
	sqlite3_bind_text(s, 1, "server_id", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)id);
	return vs_exec(vs, s);
}

/* Volume "root" (id 1): its root dir is 1.1.1, mode 0777 so that every
 * user may work in it. */
static int root_volume(struct vstore *vs)
{
	sqlite3_stmt *s = vs_st(vs, S_VOL_INSERT);
	struct vn v = {
		.vol = ROOT_VOL, .vnode = 1, .uniq = 1, .type = HS_FDIR,
		.mode = 0777, .nlink = 2, .dv = 1,
	};
	int err;

	sqlite3_bind_int64(s, 1, ROOT_VOL);
	sqlite3_bind_text(s, 2, "root", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, 1);
	sqlite3_bind_int64(s, 4, 1);
	sqlite3_bind_int64(s, 5, 2);
	sqlite3_bind_int64(s, 6, 2);
	if ((err = vs_exec(vs, s)))
		return err;
	v.atime = v.mtime = v.ctime = vs_now();
	if ((err = vs_vn_insert(vs, &v, NULL)))
		return err;
	return vs_voldir_make(vs, ROOT_VOL);
}

/* First start: make the root volume, the server id and the default
 * ACLs, atomically. */
static int first_start(struct vstore *vs, int no_root)
{
	struct vn v;
	int err;

	if ((err = vs_begin(vs)))
		return err;
	err = vs_vn_get_num(vs, ROOT_VOL, 1, &v);
	if (err == ESTALE)     /* unless it moved away (store_dump.h) */
		err = no_root || vs_vol_moved(vs, ROOT_VOL) ? 0 :
			root_volume(vs);
	if (!err)
		err = server_id(vs);
	if (!err)
		err = vs_acl_migrate(vs);
	if (err) {
		vs_rollback(vs);
		return err;
	}
	return vs_commit(vs);
}

/* Two servers on one root would corrupt each other's staging area. */
static int lock_root(struct vstore *vs, char *err, size_t errlen)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/vice.lock", vs->root);
	vs->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (vs->lockfd < 0 || flock(vs->lockfd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, e == EWOULDBLOCK ?
			 "in use by another vice" : strerror(e));
		return e;
	}
	return 0;
}

/* Statement journals spill to a file past 1 MiB, not SQLite's 64 KiB.
 * A reintegration applies each record in a savepoint inside the block's
 * transaction: SQLite truncates a sub-journal at the release only while
 * it is in memory; once spilled the file grew by every page each later
 * savepoint touched, 110,000 4 KiB pwrites for 20,000 records.  In
 * memory it holds one savepoint's pages at a time; one statement
 * touching more (a volume's rows) still spills.  Not more: SQLite
 * allocates the in-memory journal in chunks of the spill size (64 MiB
 * chunks cost an mmap per journal: slower than the file). */
#define VS_STMTJRNL_MEM (1 << 20)

void vs_sqlite_config(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, VS_STMTJRNL_MEM);
}

static int open_db(struct vstore *vs, int no_root, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof path, "%s/vice.db", vs->root);
	rc = sqlite3_open_v2(path, &vs->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 vs->db ? sqlite3_errmsg(vs->db) : "out of memory");
		return rc == SQLITE_NOMEM ? ENOMEM : EIO;
	}
	rc = db_pragmas(vs->db);
	sqlite3_commit_hook(vs->db, vs_flush_on_commit, vs);
	if (!rc)
		rc = db_prepare(vs);
	if (!rc)
		rc = first_start(vs, no_root);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(vs->db));
	return rc;
}

int vs_open(const char *root, struct vstore **out, char *err, size_t errlen)
{
	static const struct vs_open_opts defaults;

	return vs_open_with(root, &defaults, out, err, errlen);
}

int vs_open_with(const char *root, const struct vs_open_opts *o,
		 struct vstore **out, char *err, size_t errlen)
{
	struct vstore *vs = calloc(1, sizeof *vs);
	int rc = ENOMEM;

	*out = NULL;
	if (vs) {
		vs->lockfd = -1;
		vs->writer_privileged = 1;
	}
	if (!vs || !(vs->root = strdup(root)) ||
	    asprintf(&vs->datadir, "%s/data", root) < 0) {
		if (vs)
			vs->datadir = NULL;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = mkdirs(vs->root, 0755))) {
		snprintf(err, errlen, "%s: %s", root, strerror(rc));
		goto fail;
	}
	if ((rc = lock_root(vs, err, errlen)))
		goto fail;
	if ((rc = make_dirs(vs))) {
		snprintf(err, errlen, "%s: %s", root, strerror(rc));
		goto fail;
	}
	if ((rc = open_db(vs, o->no_root_volume, err, errlen)))
		goto fail;
	/* Finish a block that committed just before a crash, then drop the
	 * staged stores of clients long gone (not before: the redo rows
	 * name staged files). */
	if ((rc = vs_redo_run(vs))) {
		snprintf(err, errlen, "%s: finishing a committed block: %s",
			 root, strerror(rc));
		goto fail;
	}
	vs_stage_sweep(vs);
	(void)vs_reserve_fill(vs);   /* a full disk: taken back after deletes */
	*out = vs;
	return 0;
fail:
	vs_close(vs);
	return -rc;
}

void vs_close(struct vstore *vs)
{
	int i;

	if (!vs)
		return;
	if (vs->flush.on)
		(void)vs_group_commit(vs, 0);   /* what is pending, durable */
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(vs->st[i]);
	sqlite3_close(vs->db);
	if (vs->lockfd >= 0)
		close(vs->lockfd);
	free(vs->stage.v);
	free(vs->root);
	free(vs->datadir);
	free(vs);
}

uint64_t vs_server_id(const struct vstore *vs)
{
	return vs->server_id;
}

int vs_name_check(const char *name)
{
	if (!name || !*name || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strchr(name, '/'))
		return EINVAL;
	return strlen(name) > HS_MAXNAMELEN ? ENAMETOOLONG : 0;
}
