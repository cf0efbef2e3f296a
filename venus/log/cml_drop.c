/*
 * cml_drop.c - removing frozen copies only once their rows are gone for
 * good.
 *
 * A row deleted inside a transaction comes back if venus dies before the
 * commit; had its <cachedir>/cml/<seq> been unlinked at the DELETE, the
 * restarted venus would hold a store record without data and
 * reintegration would stop there forever.  So copies are unlinked after
 * the commit (cml_data_settle), and a copy left behind by a death between
 * commit and unlink is swept at start (cml_data_sweep).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/log/cml_int.h"
#include "venus/store/spare.h"

void cml_set_settle_hook(struct cml *c, void (*fn)(void *arg, int committed),
			 void *arg)
{
	c->settled = fn;
	c->settled_arg = arg;
}

void cml_data_drop(struct cml *c, uint64_t seq)
{
	uint64_t *p;

	if (c->ndrop == c->capdrop) {
		size_t cap = c->capdrop ? c->capdrop * 2 : 32;

		if (!(p = realloc(c->drop, cap * sizeof *p))) {
			/* Kept on disk: the sweep at the next start removes it. */
			vlog(LOG_WARNING, "CML: out of memory; frozen copy %" PRIu64
			     " stays until the next start", seq);
			return;
		}
		c->drop = p;
		c->capdrop = cap;
	}
	c->drop[c->ndrop++] = seq;
	if (!db_in_txn(V->db))
		cml_data_settle(c, 1);   /* no transaction open: the DELETE is committed */
}

void cml_data_settle(struct cml *c, int committed)
{
	char path[4096];

	/* The one hook after every commit the CML makes (its own and
	 * reintegration's): removed objects' containers wait for it too. */
	if (c->settled)
		c->settled(c->settled_arg, committed);

	/* Emptied and kept for the next new file (spare.h) rather than
	 * unlinked: nothing reads a copy whose row is gone. */
	for (size_t i = 0; committed && i < c->ndrop; i++) {
		cml_data_path(c->drop[i], path, sizeof path);
		if (spare_give(path) && unlink(path) && errno != ENOENT)
			vlog(LOG_WARNING, "CML: %s: %s", path, strerror(errno));
	}
	c->ndrop = 0;
}

/* Is seq a row of the CML?  In doubt (an SQLite error), yes: the data
 * is kept. */
static int has_row(struct cml *c, uint64_t seq)
{
	sqlite3_stmt *st = db_st(V->db, DB_CML_HAS);
	int n = 1;

	if (!st)
		return 1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n != 0;
}

void cml_data_sweep(struct cml *c)
{
	char dir[4096], path[4400];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/cml", V->cfg.cachedir);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char *end;
		unsigned long long seq = strtoull(e->d_name, &end, 10);

		if (e->d_name[0] == '.' || (*end == 0 && has_row(c, seq)))
			continue;
		/* An orphan (its row was committed away) or a half-made
		 * copy (*.tmp: its row was never committed). */
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	if (n)
		vlog(LOG_INFO, "CML: removed %u frozen copies no record names", n);
}
