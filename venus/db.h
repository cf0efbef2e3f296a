/*
 * db.h - venus's metadata in SQLite (<cachedir>/venus.db).
 *
 * WAL journal, synchronous=NORMAL: a crash of venus loses nothing that was
 * committed; commits that must survive a power cut too (store ids, dirty
 * marks) are made with db_durable().  All functions return 0 or a positive
 * errno (EIO for an SQLite error, logged; ENOENT for a missing row).
 */
#ifndef VENUS_DB_H
#define VENUS_DB_H

#include <stdint.h>
#include <sqlite3.h>
#include "hesper.h"

/* 2: fsobj.rdev (special files); a version 1 database is upgraded. */
#define DB_SCHEMA_VERSION 2

/* One row of table fsobj: what survives a restart of an fsobj. */
struct db_fso {
	uint64_t ino;          /* local inode number (rowid); 1 = root */
	hs_fid   fid;
	int      type;         /* hs_ftype */
	uint32_t mode;         /* permission bits */
	uint32_t nlink, uid, gid;
	uint64_t size;         /* bytes, as vice last said */
	hs_time  atime, mtime, ctime;
	uint64_t dataversion;  /* vice's version of the attributes */
	uint64_t data_dv;      /* version the cached contents belong to */
	int      has_data;     /* file: container complete; dir: entries
				* complete; symlink: target cached */
	int      dirty;        /* container holds changes not yet stored */
	uint64_t last_used;    /* LRU clock: microseconds since the epoch */
	uint64_t parent;       /* best-known parent ino, 0 if unknown */
	char    *name;         /* name in parent (malloc'd) or NULL */
	char    *target;       /* symlink target (malloc'd) or NULL */
	uint64_t rdev;         /* device nodes: dev_t (makedev(3)); else 0 */
};

/* Open (creating if needed) the database at path and its schema.  An
 * unknown newer schema version fails with EPROTO. */
int db_open(const char *path, sqlite3 **out);
void db_close(sqlite3 *db);

/* Run a batch in one transaction. */
int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
/* Make the next commits fully synced (on = 1) or NORMAL again (on = 0). */
void db_durable(sqlite3 *db, int on);

/* Client id (made at random on first use; never 0) and the first store id
 * sequence number not yet reserved. */
int db_meta_load(sqlite3 *db, uint64_t *client_id, uint64_t *next_seq);
/* Record durably that sequence numbers below upto may have been used. */
int db_seq_reserve(sqlite3 *db, uint64_t upto);

/* fsobj rows.  put inserts or replaces by ino. */
int db_fso_put(sqlite3 *db, const struct db_fso *r);
int db_fso_del(sqlite3 *db, uint64_t ino);
/* Call fn for every row (r and its strings are valid during the call). */
int db_fso_foreach(sqlite3 *db, void (*fn)(void *arg, const struct db_fso *r), void *arg);

/* Directory entries (dir ino, name) -> child ino. */
int db_dirent_put(sqlite3 *db, uint64_t dir, const char *name, uint64_t child);
int db_dirent_del(sqlite3 *db, uint64_t dir, const char *name);
int db_dirent_clear(sqlite3 *db, uint64_t dir);
/* Forget every entry naming child (the object is gone). */
int db_dirent_del_child(sqlite3 *db, uint64_t child);
/* ENOENT if absent. */
int db_dirent_get(sqlite3 *db, uint64_t dir, const char *name, uint64_t *child);
/* Call fn for each entry of dir, in name order; fn returns nonzero to stop. */
int db_dirent_foreach(sqlite3 *db, uint64_t dir,
		      int (*fn)(void *arg, const char *name, uint64_t child), void *arg);

#endif /* VENUS_DB_H */
