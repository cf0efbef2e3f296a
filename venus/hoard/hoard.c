/*
 * hoard.c - the hoard database in venus.db, its in-memory copy and the
 * periodic walk (hoard.h).
 *
 * Column attrs holds an entry's flags in Coda's attribute bits
 * (hesper/hoardcmd.h); it is authoritative.  Column flags keeps the walk's
 * HOARD_* bits for older venus binaries.  Rows without attrs were written
 * before venus learnt Coda's meanings, when "c+" was stored as current
 * descendants and "d" as current and future children: hoard_init converts
 * them once to what the user typed (migrate()), logging each change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <event2/event.h>
#include <hesper/hoardcmd.h>

#include "venus/util/venus.h"
#include "venus/store/db.h"
#include "venus/hoard/hoard_int.h"


/* Run statement id of db_sql.c (no result rows).  fmt names the binds,
 * in parameter order: 's' a string, 'u' an unsigned.  *changes (if given)
 * receives the rows changed.  0, ENOSPC or EIO (logged by db.c). */
static int sql_run(int *changes, enum db_stmt id, const char *fmt, ...)
{
	sqlite3_stmt *st = db_st(V->db, id);
	va_list ap;
	int err, i = 1;

	if (!st)
		return EIO;
	va_start(ap, fmt);
	for (; *fmt; fmt++, i++) {
		if (*fmt == 's')
			sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, i, va_arg(ap, unsigned));
	}
	va_end(ap);
	err = db_run(V->db, st);
	if (!err && changes)
		*changes = sqlite3_changes(V->db);
	return err;
}

static void free_entries(struct hoard *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].path);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* An ancestor's path is a strict prefix of its descendants': shorter
 * first puts every ancestor before them. */
static int by_depth(const void *a, const void *b)
{
	const struct hoard_entry *x = a, *y = b;
	size_t lx = strlen(x->path), ly = strlen(y->path);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->path, y->path);
}

static int take_row(sqlite3_stmt *st, struct hoard_entry *e)
{
	const char *p = (const char *)sqlite3_column_text(st, 0);

	if (!(e->path = strdup(p ? p : "")))
		return ENOMEM;
	e->prio = (unsigned)sqlite3_column_int(st, 1);
	e->flags = hoard_flags_from_coda((unsigned)sqlite3_column_int(st, 2));
	e->uid = (uid_t)sqlite3_column_int64(st, 3);
	e->expanded = sqlite3_column_int(st, 4);
	return 0;
}

/* Reread the entries from the database. */
static int load(struct hoard *h)
{
	sqlite3_stmt *st;
	struct hoard_entry *v;
	size_t cap = 0;
	int rc = SQLITE_DONE, err = 0;

	free_entries(h);
	if (!(st = db_st(V->db, DB_HO_LIST)))
		return EIO;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (h->n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(v = realloc(h->v, cap * sizeof *v))) {
				err = ENOMEM;
				break;
			}
			h->v = v;
		}
		if (!(err = take_row(st, &h->v[h->n])))
			h->n++;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_step_err(V->db, "hoard: list");
	sqlite3_finalize(st);
	if (h->n)
		qsort(h->v, h->n, sizeof *h->v, by_depth);
	return err;
}

/* After a change: the copy in memory and the priorities follow. */
static int changed(struct hoard *h, int err)
{
	int lerr = load(h);

	hoard_map_rebuild(h);
	return err ? err : lerr;
}

int hoard_put(struct hoard *h, const char *path, unsigned prio, unsigned flags, uid_t uid)
{
	int err = sql_run(NULL, DB_HM_DEL, "s", path);

	if (!err)
		err = sql_run(NULL, DB_HO_PUT, "suuuu", path,
			      prio, flags, (unsigned)uid, hoard_flags_to_coda(flags));
	return changed(h, err);
}

int hoard_modify(struct hoard *h, const char *path, unsigned prio, unsigned flags, uid_t uid)
{
	int n = 0, err;

	/* New flags make a new set of members; the same ones keep theirs. */
	err = sql_run(&n, DB_HO_MODIFY, "uuuus", prio, (unsigned)uid, flags,
		      hoard_flags_to_coda(flags), path);
	if (!err && !n)
		return ENOENT;
	if (!err)
		err = sql_run(NULL, DB_HM_DEL_UNEXPANDED, "s", path);
	return changed(h, err);
}

int hoard_delete(struct hoard *h, const char *path)
{
	int n = 0, err = sql_run(&n, DB_HO_DEL, "s", path);

	if (!err && !n)
		return ENOENT;
	if (!err)
		err = sql_run(NULL, DB_HM_DEL, "s", path);
	return changed(h, err);
}

int hoard_clear(struct hoard *h, long uid)
{
	int err;

	if (uid == HOARD_ALL_UIDS) {
		err = sql_run(NULL, DB_HO_DEL_ALL, "");
		if (!err)
			err = sql_run(NULL, DB_HM_DEL_ALL, "");
		return changed(h, err);
	}
	err = sql_run(NULL, DB_HM_DEL_UID, "u", (unsigned)uid);
	if (!err)
		err = sql_run(NULL, DB_HO_DEL_UID, "u", (unsigned)uid);
	return changed(h, err);
}

void hoard_set_periodic(struct hoard *h, int on)
{
	h->off = !on;
	vlog(LOG_INFO, "hoard: periodic walks %s", on ? "on" : "off");
}

int hoard_periodic(const struct hoard *h)
{
	return !h->off;
}

const struct hoard_entry *hoard_entries(const struct hoard *h, size_t *n)
{
	*n = h->n;
	return h->v;
}

int hoard_set_members(struct hoard *h, const char *entry, char *const *paths, size_t n)
{
	int err = db_begin(V->db);

	if (!err)
		err = sql_run(NULL, DB_HM_DEL, "s", entry);
	for (size_t i = 0; !err && i < n; i++)
		err = sql_run(NULL, DB_HM_ADD, "ss", entry, paths[i]);
	if (!err)
		err = sql_run(NULL, DB_HO_EXPANDED, "s", entry);
	if (err)
		db_rollback(V->db);
	else
		err = db_commit(V->db);
	return err ? err : load(h);
}

int hoard_members(const struct hoard *h, const char *entry, void (*fn)(void *arg, const char *path), void *arg)
{
	sqlite3_stmt *st = db_st(V->db, DB_HM_LIST);
	int rc, err = 0;

	if (!st)
		return EIO;
	sqlite3_bind_text(st, 1, entry, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		fn(arg, p ? p : "");
	}
	if (rc != SQLITE_DONE)
		err = db_step_err(V->db, "hoard: members");
	sqlite3_finalize(st);
	return err;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct hoard *h = arg;

	if (h->n && !h->off)
		hoard_walk_start(h);
}

/* Walk every HOARD_WALK_INTERVAL seconds (none without an event loop, as
 * in unit tests). */
static void arm_timer(struct hoard *h)
{
	struct timeval tv = { HOARD_WALK_INTERVAL, 0 };

	if (!V->base)
		return;
	h->timer = event_new(V->base, -1, EV_PERSIST, tick, h);
	if (!h->timer || event_add(h->timer, &tv))
		vlog(LOG_WARNING, "hoard: no periodic walks (cannot arm a timer)");
}

/* ---- the one-time conversion of rows without attrs ---- */

/* What the user typed for flags stored by the old parser, which read
 * "c+" as CHILDREN|ALL and "d" as CHILDREN|FUTURE. */
static const char *legacy_typed(unsigned old)
{
	switch (old & HOARD_FLAGS_MASK) {
	case 0: return "";
	case HOARD_CHILDREN: return "c";
	case HOARD_CHILDREN | HOARD_ALL: return "c+";
	case HOARD_CHILDREN | HOARD_FUTURE: return "d";
	case HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE: return "d+";
	}
	return NULL;
}

static const char *meaning(unsigned flags)
{
	switch (flags) {
	case HOARD_CHILDREN: return "current children";
	case HOARD_CHILDREN | HOARD_FUTURE: return "current and future children";
	case HOARD_CHILDREN | HOARD_ALL: return "current descendants";
	case HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE:
		return "current and future descendants";
	}
	return "the object alone";
}

/* Convert one old row: flags now mean what was typed.  0 or EIO. */
static int migrate_row(const char *path, unsigned old)
{
	const char *typed = legacy_typed(old), *why = NULL;
	unsigned prio = HOARD_PRIO_DEFAULT, flags = 0;

	if (!typed || (*typed && hoard_parse_spec(typed, &prio, &flags, &why))) {
		flags = old & HOARD_FLAGS_MASK;   /* not from the parser: keep */
		typed = hoard_flags_str(flags);
	}
	if (flags == (old & HOARD_FLAGS_MASK))
		return sql_run(NULL, DB_HO_SET_ATTRS, "us",
			       hoard_flags_to_coda(flags), path);
	vlog(LOG_WARNING, "hoard: entry %s%s%s: flags \"%s\" were stored as %s;"
	     " now %s, as in Coda (members recorded again at the next walk)",
	     V->cfg.mountpoint, *path ? "/" : "", path, typed, meaning(old & HOARD_FLAGS_MASK),
	     meaning(flags));
	if (sql_run(NULL, DB_HM_DEL, "s", path))
		return EIO;
	return sql_run(NULL, DB_HO_SET_FLAGS, "uus", flags, hoard_flags_to_coda(flags), path);
}

/* Convert the rows lacking attrs (db.c's migration added the column to
 * an old table), in one transaction.  0, ENOMEM, ENOSPC or EIO. */
static int migrate(void)
{
	sqlite3_stmt *st;
	char **paths = NULL;
	unsigned *olds = NULL;
	size_t n = 0, cap = 0;
	int rc = SQLITE_DONE, err = 0;

	if (!(st = db_st(V->db, DB_HO_LEGACY)))
		return EIO;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		if (n == cap) {
			char **np = realloc(paths, (cap = cap ? 2 * cap : 16) * sizeof *np);
			unsigned *no = np ? realloc(olds, cap * sizeof *no) : NULL;

			if (np)
				paths = np;
			if (!np || !no) {
				err = ENOMEM;
				break;
			}
			olds = no;
		}
		if (!(paths[n] = strdup(p ? p : ""))) {
			err = ENOMEM;
			break;
		}
		olds[n++] = (unsigned)sqlite3_column_int(st, 1);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_step_err(V->db, "hoard: old rows");
	sqlite3_finalize(st);
	if (n && !err && !(err = db_begin(V->db))) {
		for (size_t i = 0; i < n && !err; i++)
			err = migrate_row(paths[i], olds[i]);
		if (err)
			db_rollback(V->db);
		else
			err = db_commit(V->db);
		if (!err)
			vlog(LOG_NOTICE, "hoard: %zu entries converted to Coda's flag"
			     " encoding", n);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(olds);
	return err;
}

int hoard_init(struct hoard **hp)
{
	struct hoard *h;
	int err;

	if (!(*hp = h = calloc(1, sizeof(*h))))
		return ENOMEM;
	h->next_id = 1;

	if ((err = migrate()) || (err = changed(h, 0)))
		return err;
	h->off = 0;
	arm_timer(h);
	vlog(LOG_INFO, "hoard: %zu entries; walks every %d s", h->n, HOARD_WALK_INTERVAL);
	return 0;
}

void hoard_fini(struct hoard *h)
{
	if (!h)
		return;
	hoard_walk_fini(h);
	if (h->timer)
		event_free(h->timer);
	h->timer = NULL;
	free_entries(h);
	hoard_map_rebuild(h);   /* with no entries: frees the map */
}

void hoard_free(struct hoard *h)
{
	free(h);
}
