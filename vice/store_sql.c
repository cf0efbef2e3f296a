/*
 * vice/store_sql.c - the schema and every SQL statement vice runs.
 *
 * Integers are SQLite's signed 64 bits; unsigned 64-bit values (store
 * ids, sizes, dataversions) are stored bit for bit and cast back.
 */
#include "store_int.h"

const char vs_schema[] =
	"CREATE TABLE IF NOT EXISTS meta("
	" key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	/* next_*: the next vnode and uniquifier to hand out; never reused. */
	"CREATE TABLE IF NOT EXISTS volumes("
	" id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" root_vnode INTEGER NOT NULL, root_uniq INTEGER NOT NULL,"
	" next_vnode INTEGER NOT NULL, next_uniq INTEGER NOT NULL,"
	/* Quotas in 1 KiB blocks (store_vol.c keeps blocks_used). */
	" max_quota INTEGER NOT NULL DEFAULT 0,"
	" min_quota INTEGER NOT NULL DEFAULT 0,"
	" blocks_used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS vnodes("
	" vol INTEGER NOT NULL, vnode INTEGER NOT NULL, uniq INTEGER NOT NULL,"
	" type INTEGER NOT NULL, mode INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, gid INTEGER NOT NULL, size INTEGER NOT NULL,"
	" atime INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	" ctime INTEGER NOT NULL, dv INTEGER NOT NULL,"
	" sid_client INTEGER NOT NULL, sid_seq INTEGER NOT NULL,"
	" nlink INTEGER NOT NULL, parent INTEGER NOT NULL, target TEXT,"
	" rdev INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(vol, vnode)) WITHOUT ROWID;"
	/* id orders a directory's entries for readdir cookies. */
	"CREATE TABLE IF NOT EXISTS dirents("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, vol INTEGER NOT NULL,"
	" dir INTEGER NOT NULL, name TEXT NOT NULL, child INTEGER NOT NULL,"
	" UNIQUE(vol, dir, name));"
	"CREATE INDEX IF NOT EXISTS dirents_page ON dirents(vol, dir, id);"
	"CREATE TABLE IF NOT EXISTS applied("
	" client INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" status INTEGER NOT NULL, vol INTEGER NOT NULL,"
	" o_vnode INTEGER NOT NULL, o_uniq INTEGER NOT NULL,"
	" r_vnode INTEGER NOT NULL, r_uniq INTEGER NOT NULL,"
	" PRIMARY KEY(client, seq)) WITHOUT ROWID;"
	/* A client's local fids (reintegrated creates) and the server fids
	 * made for them, by the store id of the create (same transaction as
	 * its applied row). */
	"CREATE TABLE IF NOT EXISTS localfids("
	" client INTEGER NOT NULL, l_vol INTEGER NOT NULL,"
	" l_vnode INTEGER NOT NULL, l_uniq INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, vol INTEGER NOT NULL, vnode INTEGER NOT NULL,"
	" uniq INTEGER NOT NULL,"
	" PRIMARY KEY(client, l_vol, l_vnode, l_uniq)) WITHOUT ROWID;"
	/* File changes a committed block still owes (store_redo.c): written
	 * in the block's transaction, deleted once carried out. */
	"CREATE TABLE IF NOT EXISTS redo("
	" id INTEGER PRIMARY KEY, op INTEGER NOT NULL, vol INTEGER NOT NULL,"
	" vnode INTEGER NOT NULL, uniq INTEGER NOT NULL,"
	" sid_client INTEGER NOT NULL, sid_seq INTEGER NOT NULL,"
	" size INTEGER NOT NULL);"
	/* Client ids bound to their client's key (SHA-256 of it) by the
	 * first HS_CONNECT: nobody else may use the id or its store ids. */
	"CREATE TABLE IF NOT EXISTS clients("
	" id INTEGER PRIMARY KEY, key_hash BLOB NOT NULL,"
	" bound INTEGER NOT NULL);"
	/* Access lists of directories (store_acl.c): one row per entry;
	 * neg 1 for the negative list. */
	"CREATE TABLE IF NOT EXISTS acls("
	" vol INTEGER NOT NULL, vnode INTEGER NOT NULL, neg INTEGER NOT NULL,"
	" id INTEGER NOT NULL, rights INTEGER NOT NULL,"
	" PRIMARY KEY(vol, vnode, neg, id)) WITHOUT ROWID;"
	/* A file's directory (its ACL applies to it). */
	"CREATE INDEX IF NOT EXISTS dirents_child ON dirents(vol, child);";

#define VN_COLS "uniq, type, mode, uid, gid, size, atime, mtime, ctime, dv," \
	" sid_client, sid_seq, nlink, parent, rdev"

const char *const vs_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	/* Inner levels; SQLite stacks savepoints of one name. */
	[S_SAVEPOINT] = "SAVEPOINT nest",
	[S_RELEASE] = "RELEASE nest",
	[S_ROLLBACK_TO] = "ROLLBACK TO nest",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
	[S_VOL_BY_NAME] = "SELECT id, name, root_vnode, root_uniq FROM volumes"
		" WHERE name = ?1",
	[S_VOL_BY_ID] = "SELECT id, name, root_vnode, root_uniq FROM volumes"
		" WHERE id = ?1",
	[S_VOL_LIST] = "SELECT id, name, root_vnode, root_uniq FROM volumes"
		" ORDER BY id LIMIT ?1",
	[S_VOL_INSERT] = "INSERT INTO volumes(id, name, root_vnode, root_uniq,"
		" next_vnode, next_uniq) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_VOL_NEXT] = "SELECT next_vnode, next_uniq FROM volumes WHERE id = ?1",
	[S_VOL_BUMP] = "UPDATE volumes SET next_vnode = next_vnode + 1,"
		" next_uniq = next_uniq + 1 WHERE id = ?1",
	[S_VN_GET] = "SELECT " VN_COLS " FROM vnodes"
		" WHERE vol = ?1 AND vnode = ?2",
	/* S_VN_INSERT and S_VN_UPDATE share parameter numbers 1..17. */
	[S_VN_INSERT] = "INSERT INTO vnodes(vol, vnode, " VN_COLS ", target)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15, ?16, ?17, ?18)",
	[S_VN_UPDATE] = "UPDATE vnodes SET uniq = ?3, type = ?4, mode = ?5,"
		" uid = ?6, gid = ?7, size = ?8, atime = ?9, mtime = ?10,"
		" ctime = ?11, dv = ?12, sid_client = ?13, sid_seq = ?14,"
		" nlink = ?15, parent = ?16, rdev = ?17"
		" WHERE vol = ?1 AND vnode = ?2",
	[S_VN_DELETE] = "DELETE FROM vnodes WHERE vol = ?1 AND vnode = ?2",
	[S_VN_TARGET] = "SELECT target FROM vnodes WHERE vol = ?1 AND vnode = ?2",
	[S_DE_LOOKUP] = "SELECT child FROM dirents"
		" WHERE vol = ?1 AND dir = ?2 AND name = ?3",
	[S_DE_INSERT] = "INSERT INTO dirents(vol, dir, name, child)"
		" VALUES(?1, ?2, ?3, ?4)",
	[S_DE_DELETE] = "DELETE FROM dirents"
		" WHERE vol = ?1 AND dir = ?2 AND name = ?3",
	[S_DE_ANY] = "SELECT 1 FROM dirents WHERE vol = ?1 AND dir = ?2 LIMIT 1",
	[S_DE_PAGE] = "SELECT d.id, d.name, d.child, v.uniq, v.type"
		" FROM dirents d JOIN vnodes v"
		" ON v.vol = d.vol AND v.vnode = d.child"
		" WHERE d.vol = ?1 AND d.dir = ?2 AND d.id > ?3"
		" ORDER BY d.id LIMIT ?4",
	[S_AP_GET] = "SELECT status, vol, o_vnode, o_uniq, r_vnode, r_uniq"
		" FROM applied WHERE client = ?1 AND seq = ?2",
	[S_AP_PUT] = "INSERT INTO applied(client, seq, status, vol, o_vnode,"
		" o_uniq, r_vnode, r_uniq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_CL_GET] = "SELECT key_hash FROM clients WHERE id = ?1",
	[S_CL_PUT] = "INSERT INTO clients(id, key_hash, bound) VALUES(?1, ?2, ?3)",
	[S_LF_GET] = "SELECT vol, vnode, uniq FROM localfids"
		" WHERE client = ?1 AND l_vol = ?2 AND l_vnode = ?3"
		" AND l_uniq = ?4",
	/* A local fid reused by the client for a new create maps anew. */
	[S_LF_PUT] = "INSERT OR REPLACE INTO localfids(client, l_vol, l_vnode,"
		" l_uniq, seq, vol, vnode, uniq)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_RD_ADD] = "INSERT INTO redo(op, vol, vnode, uniq, sid_client,"
		" sid_seq, size) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_RD_LIST] = "SELECT id, op, vol, vnode, uniq, sid_client, sid_seq,"
		" size FROM redo ORDER BY id",
	[S_RD_CLEAR] = "DELETE FROM redo WHERE id <= ?1",
	[S_ACL_GET] = "SELECT neg, id, rights FROM acls"
		" WHERE vol = ?1 AND vnode = ?2 ORDER BY neg, id",
	[S_ACL_PUT] = "INSERT OR REPLACE INTO acls(vol, vnode, neg, id, rights)"
		" VALUES(?1, ?2, ?3, ?4, ?5)",
	[S_ACL_CLEAR] = "DELETE FROM acls WHERE vol = ?1 AND vnode = ?2",
	[S_ACL_COPY] = "INSERT OR REPLACE INTO acls(vol, vnode, neg, id, rights)"
		" SELECT vol, ?3, neg, id, rights FROM acls"
		" WHERE vol = ?1 AND vnode = ?2",
	/* The directory that holds a non-directory (the first, should hard
	 * links made before ACLs span two). */
	[S_DE_PARENT] = "SELECT d.dir, v.uniq FROM dirents d JOIN vnodes v"
		" ON v.vol = d.vol AND v.vnode = d.dir"
		" WHERE d.vol = ?1 AND d.child = ?2 ORDER BY d.id LIMIT 1",
	[S_DE_HOLDS] = "SELECT 1 FROM dirents"
		" WHERE vol = ?1 AND dir = ?2 AND child = ?3 LIMIT 1",
};
