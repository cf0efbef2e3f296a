/*
 * venus/store/db_sql.c - the schema of venus.db and every SQL statement venus
 * runs on it (db.h).  Nothing else in venus holds SQL text.
 *
 * Integers are SQLite's signed 64 bits; unsigned 64-bit values (inos,
 * sizes, dataversions, store ids) are stored bit for bit and cast back.
 */
#include <errno.h>

#include "venus/store/db.h"

/* Statements below name CML ops and setattr bits by number. */
_Static_assert(HS_OP_STORE == 1 && HS_OP_SETATTR == 2 && HS_OP_CREATE == 3 &&
	       HS_OP_MKDIR == 4 && HS_OP_SYMLINK == 5 && HS_OP_LINK == 6 &&
	       HS_OP_MKNOD == 10, "CML op numbers in db_sql.c");
_Static_assert((HS_SET_ATIME | HS_SET_MTIME) == 48, "setattr bits in db_sql.c");
/* A record vice refused with EDQUOT is marked conflict = 122 (quota). */
_Static_assert(EDQUOT == 122, "EDQUOT in db_sql.c");

/* Schema version DB_SCHEMA_VERSION, every table.  Files of version 1
 * lack fsobj.rdev, and hoard.attrs when written before it; db.c adds
 * them.  Before the SQL layer, cml, hoard and hoard_member were made by
 * their modules with these same columns. */
const char db_schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	/* The client id (random, never 0) and the first store id sequence
	 * number not yet reserved. */
	"CREATE TABLE IF NOT EXISTS meta(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" client_id INTEGER NOT NULL, next_seq INTEGER NOT NULL);"
	/* The client key sent with the client id in HS_CONNECT (db_key.c);
	 * its own table, so files of any version gain it as they open. */
	"CREATE TABLE IF NOT EXISTS client_key(id INTEGER PRIMARY KEY"
	" CHECK (id = 1), key BLOB NOT NULL);"
	/* Realm indexes (venus/net/volreg.h) of realms other than venus.conf's
	 * (index 0): cached fids carry them.  Its own table, so files of any
	 * version gain it as they open (db_realm.c). */
	"CREATE TABLE IF NOT EXISTS realm(idx INTEGER PRIMARY KEY,"
	" name TEXT UNIQUE NOT NULL);"
	/* One row per fsobj that survives a restart (struct db_fso). */
	"CREATE TABLE IF NOT EXISTS fsobj(ino INTEGER PRIMARY KEY,"
	" vol INTEGER NOT NULL, vnode INTEGER NOT NULL, uniq INTEGER NOT NULL,"
	" type INTEGER NOT NULL, mode INTEGER, nlink INTEGER, uid INTEGER, gid INTEGER,"
	" size INTEGER, atime_s INTEGER, atime_ns INTEGER, mtime_s INTEGER,"
	" mtime_ns INTEGER, ctime_s INTEGER, ctime_ns INTEGER,"
	" dataversion INTEGER, data_dv INTEGER, has_data INTEGER, dirty INTEGER,"
	" last_used INTEGER, parent INTEGER, name TEXT, target TEXT,"
	" rdev INTEGER NOT NULL DEFAULT 0, UNIQUE(vol, vnode, uniq));"
	"CREATE TABLE IF NOT EXISTS dirent(dir INTEGER NOT NULL, name TEXT NOT NULL,"
	" child INTEGER NOT NULL, PRIMARY KEY(dir, name)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS dirent_child ON dirent(child);"
	/* The CML (cml.h): seq is the record's store id sequence number (its
	 * log position); rec the XDR hs_cml_rec; the other columns copy what
	 * cancellation and reintegration select on.  dvnode/duniq: the
	 * directory (same volume) of a namespace op.  uid: the local user the
	 * record is reintegrated as (version 3; older rows 0). */
	"CREATE TABLE IF NOT EXISTS cml(seq INTEGER PRIMARY KEY,"
	" op INTEGER NOT NULL, vol INTEGER NOT NULL, vnode INTEGER NOT NULL,"
	" uniq INTEGER NOT NULL, dvnode INTEGER NOT NULL, duniq INTEGER NOT NULL,"
	" ino INTEGER NOT NULL, base INTEGER NOT NULL, size INTEGER NOT NULL,"
	" mask INTEGER NOT NULL, frozen INTEGER NOT NULL DEFAULT 0,"
	" conflict INTEGER NOT NULL DEFAULT 0, logged INTEGER NOT NULL,"
	" name TEXT, rec BLOB NOT NULL, uid INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS cml_obj ON cml(vol, vnode, uniq);"
	/* Rows by directory (cml_names, refid of a directory), and the rows in
	 * conflict (the block query's HELD test): without them each was a scan
	 * of the volume's CML, per record.  IF NOT EXISTS: older files gain
	 * them at open, no version step (issue 11, reintegration). */
	"CREATE INDEX IF NOT EXISTS cml_dir ON cml(vol, dvnode, duniq);"
	"CREATE INDEX IF NOT EXISTS cml_conflict ON cml(vol) WHERE conflict != 0;"
	/* The hoard database (hoard.h), paths relative to the mount point.
	 * attrs: Coda's attribute bits (authoritative); flags: the walk's
	 * HOARD_* bits, kept for older venus binaries. */
	"CREATE TABLE IF NOT EXISTS hoard(path TEXT PRIMARY KEY,"
	" priority INTEGER NOT NULL, flags INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" expanded INTEGER NOT NULL DEFAULT 0, attrs INTEGER);"
	"CREATE TABLE IF NOT EXISTS hoard_member(entry TEXT NOT NULL,"
	" path TEXT NOT NULL, PRIMARY KEY(entry, path)) WITHOUT ROWID;"
	/* The rights cache (rights.h; version 3): a local uid's and
	 * System:AnyUser's rights on a directory, as vice last said. */
	"CREATE TABLE IF NOT EXISTS rights(vol INTEGER NOT NULL, vnode INTEGER NOT NULL,"
	" uniq INTEGER NOT NULL, uid INTEGER NOT NULL, rights INTEGER NOT NULL,"
	" anyrights INTEGER NOT NULL, PRIMARY KEY(vol, vnode, uniq, uid)) WITHOUT ROWID;"
	/* Volume version stamps (version 5; db_volstamp.c): the cache of
	 * local volume vol was vice's state at stamp (a 64-bit value stored
	 * bit for bit). */
	"CREATE TABLE IF NOT EXISTS volstamp(vol INTEGER PRIMARY KEY,"
	" stamp INTEGER NOT NULL);";

#define FSO_COLS "ino, vol, vnode, uniq, type, mode, nlink, uid, gid, size," \
	" atime_s, atime_ns, mtime_s, mtime_ns, ctime_s, ctime_ns, dataversion," \
	" data_dv, has_data, dirty, last_used, parent, name, target, rdev"
/* Columns of a CML row as cml_read.c reads them. */
#define CML_COLS "seq, op, vol, vnode, uniq, dvnode, duniq, ino, base, size, frozen," \
	" conflict, name, rec, uid"
/* ?1..?3: an object's fid; its live (not frozen, not in conflict) rows. */
#define SAME_OBJ "vol = ?1 AND vnode = ?2 AND uniq = ?3 AND frozen = 0 AND conflict = 0"
/* A store cancels earlier stores and utimes-only setattrs (mask within
 * HS_SET_ATIME|HS_SET_MTIME). */
#define BY_STORE SAME_OBJ " AND (op = 1 OR (op = 2 AND (mask & ~48) = 0))"
/* A setattr cancels earlier setattrs whose fields (?4) it sets again. */
#define BY_SETATTR SAME_OBJ " AND op = 2 AND (mask & ~?4) = 0"
#define OF_OBJ "vol = ?1 AND vnode = ?2 AND uniq = ?3"
/* A row is held while its object or directory has a record in conflict:
 * sending it would apply it out of order.  3, 4, 5, 10: the creates
 * (HS_OP_CREATE, HS_OP_MKDIR, HS_OP_SYMLINK, HS_OP_MKNOD). */
#define HELD "EXISTS (SELECT 1 FROM cml c WHERE c.conflict != 0 AND c.vol = cml.vol AND" \
	" ((c.vnode = cml.vnode AND c.uniq = cml.uniq) OR" \
	"  (c.vnode = cml.dvnode AND c.uniq = cml.duniq) OR" \
	"  (c.dvnode = cml.vnode AND c.duniq = cml.uniq AND c.op IN (3, 4, 5, 10))))"

const char *const db_sql[DB_COUNT] = {
	[DB_BEGIN] = "BEGIN",
	[DB_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[DB_COMMIT] = "COMMIT",
	[DB_ROLLBACK] = "ROLLBACK",
	/* Nested levels (cml_begin); SQLite stacks savepoints of one name. */
	[DB_SAVEPOINT] = "SAVEPOINT cml",
	[DB_RELEASE] = "RELEASE cml",
	[DB_ROLLBACK_TO] = "ROLLBACK TO cml",
	[DB_SYNC_FULL] = "PRAGMA synchronous=FULL",
	[DB_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
	[DB_WAL] = "PRAGMA journal_mode=WAL",

	[DB_VERSION_GET] = "SELECT version FROM schema_version",
	[DB_VERSION_INIT] = "INSERT INTO schema_version(version) VALUES (?1)",
	[DB_VS_PUT] = "INSERT OR REPLACE INTO volstamp(vol, stamp) VALUES (?1, ?2)",
	[DB_VS_DEL] = "DELETE FROM volstamp WHERE vol = ?1",
	[DB_VS_ALL] = "SELECT vol, stamp FROM volstamp",
	[DB_VERSION_SET] = "UPDATE schema_version SET version = ?1",
	[DB_FSO_HAS_RDEV] = "SELECT COUNT(*) FROM pragma_table_info('fsobj')"
		" WHERE name = 'rdev'",
	[DB_FSO_ADD_RDEV] = "ALTER TABLE fsobj ADD COLUMN rdev INTEGER NOT NULL DEFAULT 0",
	[DB_HOARD_HAS_ATTRS] = "SELECT COUNT(*) FROM pragma_table_info('hoard')"
		" WHERE name = 'attrs'",
	[DB_HOARD_ADD_ATTRS] = "ALTER TABLE hoard ADD COLUMN attrs INTEGER",
	[DB_CML_HAS_UID] = "SELECT COUNT(*) FROM pragma_table_info('cml')"
		" WHERE name = 'uid'",
	[DB_CML_ADD_UID] = "ALTER TABLE cml ADD COLUMN uid INTEGER NOT NULL DEFAULT 0",

	[DB_META_GET] = "SELECT client_id, next_seq FROM meta WHERE id = 1",
	[DB_META_INIT] = "INSERT INTO meta(id, client_id, next_seq) VALUES (1, ?1, 1)",
	[DB_META_SEQ] = "UPDATE meta SET next_seq = ?1 WHERE id = 1",
	[DB_KEY_GET] = "SELECT key FROM client_key WHERE id = 1",
	[DB_KEY_INIT] = "INSERT OR IGNORE INTO client_key(id, key) VALUES (1, ?1)",
	[DB_REALM_PUT] = "INSERT OR REPLACE INTO realm(idx, name) VALUES (?1, ?2)",
	[DB_REALM_ALL] = "SELECT idx, name FROM realm ORDER BY idx",

	[DB_FSO_PUT] = "INSERT OR REPLACE INTO fsobj(" FSO_COLS ")"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	/* The same row in place when its ino and fid are unchanged (db_fso_put):
	 * the fid's unique index is not rewritten, so a directory's row touched
	 * by each create of an entry costs one page of the WAL, not two. */
	[DB_FSO_UPDATE] = "UPDATE fsobj SET type = ?5, mode = ?6, nlink = ?7, uid = ?8,"
		" gid = ?9, size = ?10, atime_s = ?11, atime_ns = ?12, mtime_s = ?13,"
		" mtime_ns = ?14, ctime_s = ?15, ctime_ns = ?16, dataversion = ?17,"
		" data_dv = ?18, has_data = ?19, dirty = ?20, last_used = ?21, parent = ?22,"
		" name = ?23, target = ?24, rdev = ?25"
		" WHERE ino = ?1 AND vol = ?2 AND vnode = ?3 AND uniq = ?4",
	/* The same row with a new fid (db_fso_put_moved): REPLACE would
	 * delete it and insert it again. */
	[DB_FSO_MOVE] = "UPDATE fsobj SET vol = ?2, vnode = ?3, uniq = ?4, type = ?5,"
		" mode = ?6, nlink = ?7, uid = ?8, gid = ?9, size = ?10, atime_s = ?11,"
		" atime_ns = ?12, mtime_s = ?13, mtime_ns = ?14, ctime_s = ?15,"
		" ctime_ns = ?16, dataversion = ?17, data_dv = ?18, has_data = ?19,"
		" dirty = ?20, last_used = ?21, parent = ?22, name = ?23, target = ?24,"
		" rdev = ?25 WHERE ino = ?1",
	[DB_FSO_DEL] = "DELETE FROM fsobj WHERE ino = ?1",
	[DB_FSO_ALL] = "SELECT " FSO_COLS " FROM fsobj",

	[DB_DE_PUT] = "INSERT OR REPLACE INTO dirent(dir, name, child) VALUES (?1, ?2, ?3)",
	[DB_DE_DEL] = "DELETE FROM dirent WHERE dir = ?1 AND name = ?2",
	[DB_DE_CLEAR] = "DELETE FROM dirent WHERE dir = ?1",
	[DB_DE_DEL_CHILD] = "DELETE FROM dirent WHERE child = ?1",
	[DB_DE_GET] = "SELECT child FROM dirent WHERE dir = ?1 AND name = ?2",
	[DB_DE_LIST] = "SELECT name, child FROM dirent WHERE dir = ?1 ORDER BY name",

	/* ---- the CML (cml*.c) ---- */
	[DB_CML_INSERT] = "INSERT INTO cml(seq, op, vol, vnode, uniq, dvnode, duniq, ino,"
		" base, size, mask, logged, name, rec, uid) VALUES (?4, ?5, ?1, ?2, ?3, ?6, ?7,"
		" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[DB_CML_OBJ_ROWS] = "SELECT COUNT(*) FROM cml WHERE " OF_OBJ " AND conflict = 0",
	[DB_CML_OBJ_BASE] = "SELECT base FROM cml WHERE " OF_OBJ " AND conflict = 0"
		" ORDER BY seq LIMIT 1",
	/* Each cancellation: the stores whose frozen copies go, then the rows. */
	[DB_CML_BY_STORE_SEQS] = "SELECT seq FROM cml WHERE op = 1 AND " BY_STORE,
	[DB_CML_BY_STORE_DEL] = "DELETE FROM cml WHERE " BY_STORE,
	[DB_CML_BY_SETATTR_SEQS] = "SELECT seq FROM cml WHERE op = 1 AND " BY_SETATTR,
	[DB_CML_BY_SETATTR_DEL] = "DELETE FROM cml WHERE " BY_SETATTR,
	[DB_CML_OBJ_SEQS] = "SELECT seq FROM cml WHERE op = 1 AND " OF_OBJ,
	[DB_CML_OBJ_DEL] = "DELETE FROM cml WHERE " OF_OBJ,
	/* Identity cancellation: exactly one live create of the object... */
	[DB_CML_CREATES] = "SELECT COUNT(*) FROM cml WHERE " OF_OBJ
		" AND op IN (3, 4, 5, 10) AND frozen = 0 AND conflict = 0",
	/* ...and nothing that needs it: a link, a sent or conflicting record
	 * of it, a record of a child. */
	[DB_CML_KEEPERS] = "SELECT COUNT(*) FROM cml WHERE (" OF_OBJ " AND"
		" (op = 6 OR frozen OR conflict)) OR (vol = ?1 AND dvnode = ?2 AND duniq = ?3)",
	[DB_CML_COUNT] = "SELECT COUNT(*) FROM cml",
	[DB_CML_BYTES] = "SELECT COALESCE(SUM(size), 0) FROM cml",
	[DB_CML_CONFLICT_RECS] = "SELECT COUNT(*) FROM cml WHERE conflict != 0",
	[DB_CML_CONFLICT_OBJS] = "SELECT COUNT(DISTINCT ino) FROM cml WHERE conflict != 0",
	/* Records held for quota (122) keep their object local: it is not
	 * refetched while its change waits for the quota. */
	[DB_CML_NAMES] = "SELECT COUNT(*) FROM cml WHERE vol = ?1 AND conflict IN (0, 122) AND"
		" ((vnode = ?2 AND uniq = ?3) OR (dvnode = ?2 AND duniq = ?3))",
	[DB_CML_OLDEST] = "SELECT COALESCE(MIN(logged), 0) FROM cml WHERE conflict = 0",
	[DB_CML_MAX_SEQ] = "SELECT COALESCE(MAX(seq), 0) FROM cml",
	[DB_CML_HAS] = "SELECT COUNT(*) FROM cml WHERE seq = ?1",
	/* ?1 rows at most of volume ?3, logged at or before ?2
	 * (cml_take_block picks one uid's run from them).  "+vol": the scan
	 * goes in seq order and stops with the block; on an index of vol
	 * SQLite sorted every row of the volume (blobs too) per block. */
	[DB_CML_BLOCK] = "SELECT " CML_COLS " FROM cml WHERE +vol = ?3 AND conflict = 0 AND NOT "
		HELD " AND logged <= ?2 ORDER BY seq LIMIT ?1",
	/* The same, past seq ?4 (cml_take_after). */
	[DB_CML_BLOCK_AFTER] = "SELECT " CML_COLS " FROM cml WHERE seq > ?4 AND +vol = ?3 AND"
		" conflict = 0 AND NOT " HELD " AND logged <= ?2 ORDER BY seq LIMIT ?1",
	[DB_CML_FREEZE] = "UPDATE cml SET frozen = 1 WHERE seq = ?1",
	[DB_CML_ALL] = "SELECT " CML_COLS " FROM cml ORDER BY seq",
	[DB_CML_OF_FID] = "SELECT " CML_COLS " FROM cml WHERE vol = ?1 AND"
		" ((vnode = ?2 AND uniq = ?3) OR (dvnode = ?2 AND duniq = ?3)) ORDER BY seq",
	[DB_CML_THAW] = "UPDATE cml SET frozen = 0 WHERE frozen != 0",
	[DB_CML_DONE] = "DELETE FROM cml WHERE seq = ?1",
	[DB_CML_SET_CONFLICT] = "UPDATE cml SET conflict = ?2, frozen = 0 WHERE seq = ?1",
	[DB_CML_CLEAR_CONFLICT] = "UPDATE cml SET conflict = 0 WHERE seq = ?1",
	[DB_CML_CLEAR_CONFLICT_BASE] = "UPDATE cml SET conflict = 0, base = ?2 WHERE seq = ?1",
	[DB_CML_REBASE] = "UPDATE cml SET base = ?4 WHERE " OF_OBJ " AND base != 0",
	[DB_CML_REFID_OBJ] = "UPDATE cml SET vnode = ?4, uniq = ?5 WHERE " OF_OBJ,
	[DB_CML_REFID_DIR] = "UPDATE cml SET dvnode = ?4, duniq = ?5 WHERE vol = ?1 AND"
		" dvnode = ?2 AND duniq = ?3",
	/* A remove, rmdir or rename of object ?1-?3 out of directory ?4/?5
	 * (cml_gone_from). */
	[DB_CML_GONE_FROM] = "SELECT COUNT(*) FROM cml WHERE " OF_OBJ " AND dvnode = ?4 AND"
		" duniq = ?5 AND op IN (7, 8, 9) AND conflict IN (0, 122)",
	/* Per volume (?1): the volumes with records, and each one's counts;
	 * the ordering is cml_obj's prefix. */
	[DB_CML_VOLS] = "SELECT DISTINCT vol FROM cml ORDER BY vol",
	[DB_CML_VOL_COUNT] = "SELECT COUNT(*) FROM cml WHERE vol = ?1",
	/* One probe of cml_obj, where COUNT walks every row of vol. */
	[DB_CML_VOL_ANY] = "SELECT EXISTS(SELECT 1 FROM cml WHERE vol = ?1)",
	[DB_CML_VOL_BYTES] = "SELECT COALESCE(SUM(size), 0) FROM cml WHERE vol = ?1",
	[DB_CML_VOL_CONFLICT_OBJS] = "SELECT COUNT(DISTINCT ino) FROM cml WHERE vol = ?1"
		" AND conflict != 0",
	[DB_CML_VOL_QUOTA] = "SELECT COUNT(*) FROM cml WHERE vol = ?1 AND conflict = 122",
	[DB_CML_VOL_QUOTA_MAX] = "SELECT COALESCE(MAX(seq), 0) FROM cml WHERE vol = ?1"
		" AND conflict = 122",
	[DB_CML_VOL_OLDEST] = "SELECT COALESCE(MIN(logged), 0) FROM cml WHERE vol = ?1"
		" AND conflict = 0",
	[DB_CML_VOL_THAW] = "UPDATE cml SET frozen = 0 WHERE vol = ?1 AND frozen != 0",
	/* A block's seq range ?2..?3 only: one rowid range, where the above
	 * reads every row of the volume. */
	[DB_CML_RANGE_THAW] = "UPDATE cml SET frozen = 0 WHERE seq BETWEEN ?2 AND ?3"
		" AND +vol = ?1 AND frozen != 0",
	/* Records held for quota are sent again (the quota may be raised). */
	[DB_CML_VOL_QUOTA_RETRY] = "UPDATE cml SET conflict = 0 WHERE vol = ?1 AND conflict = 122",

	/* ---- hoard (hoard.c) ---- */
	[DB_HO_LIST] = "SELECT path, priority, attrs, uid, expanded FROM hoard",
	[DB_HO_PUT] = "INSERT OR REPLACE INTO hoard(path, priority, flags, uid,"
		" expanded, attrs) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
	/* New flags make a new set of members; the same ones keep theirs. */
	[DB_HO_MODIFY] = "UPDATE hoard SET priority = ?1, uid = ?2,"
		" expanded = CASE WHEN flags = ?3 THEN expanded ELSE 0 END,"
		" flags = ?3, attrs = ?4 WHERE path = ?5",
	[DB_HO_DEL] = "DELETE FROM hoard WHERE path = ?1",
	[DB_HO_DEL_ALL] = "DELETE FROM hoard",
	[DB_HO_DEL_UID] = "DELETE FROM hoard WHERE uid = ?1",
	[DB_HO_EXPANDED] = "UPDATE hoard SET expanded = 1 WHERE path = ?1",
	[DB_HO_LEGACY] = "SELECT path, flags FROM hoard WHERE attrs IS NULL",
	[DB_HO_SET_ATTRS] = "UPDATE hoard SET attrs = ?1 WHERE path = ?2",
	[DB_HO_SET_FLAGS] = "UPDATE hoard SET flags = ?1, attrs = ?2, expanded = 0"
		" WHERE path = ?3",
	[DB_HM_DEL] = "DELETE FROM hoard_member WHERE entry = ?1",
	/* The members of ?1 go unless the entry keeps them (expanded). */
	[DB_HM_DEL_UNEXPANDED] = "DELETE FROM hoard_member WHERE entry = ?1 AND"
		" (SELECT expanded FROM hoard WHERE path = ?1) = 0",
	[DB_HM_DEL_ALL] = "DELETE FROM hoard_member",
	[DB_HM_DEL_UID] = "DELETE FROM hoard_member WHERE entry IN"
		" (SELECT path FROM hoard WHERE uid = ?1)",
	[DB_HM_ADD] = "INSERT OR IGNORE INTO hoard_member(entry, path) VALUES (?1, ?2)",
	[DB_HM_LIST] = "SELECT path FROM hoard_member WHERE entry = ?1 ORDER BY path",

	/* ---- the rights cache (rights.c) ---- */
	[DB_RIGHTS_PUT] = "INSERT OR REPLACE INTO rights(vol, vnode, uniq, uid, rights,"
		" anyrights) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[DB_RIGHTS_DEL] = "DELETE FROM rights WHERE " OF_OBJ " AND uid = ?4",
	[DB_RIGHTS_ALL] = "SELECT vol, vnode, uniq, uid, rights, anyrights FROM rights",
	/* ---- version 3 to 4: the row at ino 1 moves (db.c migrate_3) ---- */
	[DB_MIG4_ROOT_VOL] = "SELECT vol FROM fsobj WHERE ino = 1",
	[DB_MIG4_FREE_INO] = "SELECT MAX(m) + 1 FROM (SELECT MAX(ino) AS m FROM fsobj"
		" UNION ALL SELECT MAX(ino) FROM cml UNION ALL SELECT MAX(child) FROM dirent"
		" UNION ALL SELECT 1)",
	[DB_MIG4_FSO] = "UPDATE fsobj SET ino = ?1, parent = 1, name = NULL WHERE ino = 1",
	[DB_MIG4_PARENT] = "UPDATE fsobj SET parent = ?1 WHERE parent = 1 AND ino != ?1",
	[DB_MIG4_DIR] = "UPDATE dirent SET dir = ?1 WHERE dir = 1",
	[DB_MIG4_CHILD] = "UPDATE dirent SET child = ?1 WHERE child = 1",
	[DB_MIG4_CML] = "UPDATE cml SET ino = ?1 WHERE ino = 1",
	/* The moved root is realm 0's entry of the realm directory. */
	[DB_MIG4_REALM0_DE] = "INSERT OR REPLACE INTO dirent(dir, name, child) VALUES(1, ?2, ?1)",
	[DB_MIG4_REALM0_NAME] = "UPDATE fsobj SET name = ?2 WHERE ino = ?1",
	/* Hoard paths were relative to the old root: now to /coda. */
	[DB_MIG4_HOARD] = "UPDATE hoard SET path = ?1 || '/' || path",
	[DB_MIG4_HOARD_MEMBER] = "UPDATE hoard_member SET entry = ?1 || '/' || entry,"
		" path = ?1 || '/' || path",
};
