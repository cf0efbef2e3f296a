/*
 * vice/store_db.c - prepared statements and transactions.
 */
#include <errno.h>
#include "store_int.h"

sqlite3_stmt *vs_st(struct vstore *vs, enum vs_stmt id)
{
	sqlite3_stmt *s = vs->st[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int vs_sqlerr(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_READONLY:
		return EROFS;
	default:
		return EIO;
	}
}

int vs_exec(struct vstore *vs, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	/* The only trigger that raises is the quota's (store_vol.c). */
	if (rc == SQLITE_CONSTRAINT &&
	    sqlite3_extended_errcode(vs->db) == SQLITE_CONSTRAINT_TRIGGER) {
		sqlite3_reset(s);
		return EDQUOT;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : vs_sqlerr(rc);
}

int vs_tx_alive(struct vstore *vs)
{
	return vs->depth > 0 && !sqlite3_get_autocommit(vs->db);
}

int vs_begin(struct vstore *vs)
{
	int err;

	if (vs->depth == 0)
		err = vs_exec(vs, vs_st(vs, S_BEGIN));
	else if (!vs_tx_alive(vs))
		err = EIO;      /* the outer transaction is gone: stop */
	else
		err = vs_exec(vs, vs_st(vs, S_SAVEPOINT));
	if (!err)
		vs->depth++;
	return err;
}

int vs_commit(struct vstore *vs)
{
	int err;

	if (vs->depth > 1) {
		vs->depth--;
		return vs_tx_alive(vs) ? vs_exec(vs, vs_st(vs, S_RELEASE)) : EIO;
	}
	vs->depth = 0;
	err = vs_exec(vs, vs_st(vs, S_COMMIT));
	/* A failed COMMIT may leave the transaction open; end it. */
	if (err && !sqlite3_get_autocommit(vs->db))
		(void)vs_exec(vs, vs_st(vs, S_ROLLBACK));
	return err;
}

void vs_rollback(struct vstore *vs)
{
	if (vs->depth > 1) {
		vs->depth--;
		/* ROLLBACK TO keeps the savepoint open: release it too. */
		if (vs_tx_alive(vs) &&
		    !vs_exec(vs, vs_st(vs, S_ROLLBACK_TO)))
			(void)vs_exec(vs, vs_st(vs, S_RELEASE));
		return;
	}
	vs->depth = 0;
	if (!sqlite3_get_autocommit(vs->db))
		(void)vs_exec(vs, vs_st(vs, S_ROLLBACK));
}

int vs_tx(struct vstore *vs, int (*fn)(struct vstore *vs, void *ctx),
	  void *ctx)
{
	int err = vs_begin(vs);

	if (err)
		return err;
	if ((err = fn(vs, ctx))) {
		vs_rollback(vs);
		return err;
	}
	return vs_commit(vs);
}
