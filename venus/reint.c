/*
 * reint.c - one reintegration pass (reint.h): take a block, stage its
 * stores, send it, act on each result, repeat.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/venus.h"
#include "venus/server.h"
#include "venus/cache.h"
#include "venus/cml.h"
#include "venus/db.h"
#include "venus/conflict.h"
#include "venus/fsobj_int.h"
#include "venus/reint.h"
#include "venus/zone.h"
#include "venus/event.h"

struct rwaiter {
	reint_progress_fn progress;
	reint_done_fn     done;
	void             *arg;
	struct rwaiter   *next;
};

/* Records per HS_REINTEGRATE block: Coda's ~100, under the wire's
 * HS_REINT_MAX, so one block stays one short vice transaction. */
#define REINT_BLOCK 100

static struct {
	int             running;
	struct cml_row  rows[HS_REINT_MAX];
	unsigned        n;
	unsigned        si;          /* the store row being staged */
	uint64_t        off;         /* next byte of it to send */
	int             fd;          /* its frozen copy */
	int             conflicts;   /* refused in this pass */
	unsigned        sent;        /* records sent in this pass (codacon) */
	unsigned        min_age;
	time_t          until;       /* 0: no budget */
	struct rwaiter *waiters;
} R = { .fd = -1 };

static void next_block(void);
static void stage_next(void);

int reint_running(void)
{
	return R.running;
}

static void free_rows(void)
{
	while (R.n)
		cml_row_free(&R.rows[--R.n]);
	if (R.fd >= 0)
		close(R.fd);
	R.fd = -1;
}

static void finish(int err)
{
	struct rwaiter *w = R.waiters;

	free_rows();
	/* Without results (vice or the network died) the block's outcome is
	 * unknown: vice may have applied it.  Its records stay frozen, never
	 * cancelled, until a later pass learns their fate; a later store
	 * cancelling one that vice already applied would carry a stale
	 * version and raise a false conflict. */
	if (!err || err == HS_ECONFLICT)
		cml_thaw();
	R.running = 0;
	R.waiters = NULL;
	if (!err && (R.conflicts || cml_conflicts()))
		err = HS_ECONFLICT;
	if (err && err != HS_ECONFLICT)
		vlog(LOG_WARNING, "reintegration stopped: %s; %u records stay in the CML",
		     strerror(err), cml_count());
	if (R.sent || R.conflicts || (err && err != HS_ECONFLICT))   /* not idle trickle passes */
		event_emit(EVK_REINT, &(struct event_fields){ .flag = 1, .left = cml_count(), .err = err });
	while (w) {
		struct rwaiter *next = w->next;

		if (w->done)
			w->done(w->arg, err);
		free(w);
		w = next;
	}
}

static void progress(void)
{
	unsigned left = cml_count() - cml_conflict_records();

	for (struct rwaiter *w = R.waiters; w; w = w->next)
		if (w->progress)
			w->progress(w->arg, left);
}

/* ---- results ---- */

static void on_result(struct cml_row *row, const hs_reint_result *res)
{
	if (res->status == 0) {
		fso_reint_applied(row, res);   /* maps a local fid to vice's first */
		/* The object's later records build on this version now, whether
		 * or not venus holds it in memory (type 0: vice no longer has
		 * it, nothing to build on). */
		if (res->obj.type)
			cml_rebase(&res->obj.fid, res->obj.dataversion);
		cml_done(row->seq);
		return;
	}
	if (res->status == HS_ESKIPPED)
		return;
	R.conflicts++;
	cml_set_conflict(row->seq, res->status);
	conflict_note(row, res->status);
}

static void block_done(void *arg, int err, void *resp)
{
	hs_reint_res *r = resp;
	const hs_reint_ok *ok;
	int txn;

	if (!err && r->status)
		err = r->status;
	if (err) {
		vlog(LOG_ERR, "HS_REINTEGRATE of %u records failed: %s; kept for a retry",
		     R.n, strerror(err));
		finish(err);
		return;
	}
	ok = &r->hs_reint_res_u.ok;
	/* One transaction for the block's results; without it (an SQLite
	 * error, logged) each result commits on its own, which is as safe:
	 * vice knows which store ids it applied. */
	txn = db_begin(V->db);
	for (unsigned i = 0; i < R.n && i < ok->results.results_len; i++)
		on_result(&R.rows[i], &ok->results.results_val[i]);
	/* Directories named by the applied records (their entries changed
	 * locally) are no longer the truth once no record names them. */
	fso_cml_settle();
	/* The applied rows' frozen copies go only once their DELETEs are on
	 * disk: a death before that sends the block again, with its data. */
	cml_data_settle(txn ? !db_in_txn(V->db) : db_commit(V->db) == 0);
	R.sent += R.n;
	event_emit(EVK_REINT, &(struct event_fields){ .n = R.n, .left = cml_count() });
	free_rows();
	cml_thaw();
	zone_recheck();
	progress();
	if (R.until && time(NULL) >= R.until) {
		finish(0);
		return;
	}
	next_block();
}

/* Only the first record of an object in the block checks its version;
 * the later ones build on it. */
static void set_bases(hs_cml_rec *recs)
{
	for (unsigned i = 0; i < R.n; i++) {
		uint64_t *b = cml_rec_base(&recs[i]);
		int first = 1;

		for (unsigned j = 0; j < i && first; j++)
			if (!memcmp(&R.rows[j].obj, &R.rows[i].obj, sizeof(hs_fid)))
				first = 0;
		if (b)
			*b = first ? R.rows[i].base : 0;
	}
}

static void send_block(void)
{
	hs_cml_rec *recs = calloc(R.n, sizeof *recs);
	hs_reint_args a;

	if (!recs) {
		finish(ENOMEM);
		return;
	}
	for (unsigned i = 0; i < R.n; i++)
		recs[i] = R.rows[i].rec;
	set_bases(recs);
	a.recs.recs_len = R.n;
	a.recs.recs_val = recs;
	vlog(LOG_DEBUG, "reintegrating %u records from %" PRIu64, R.n, R.rows[0].seq);
	srv_call(HS_REINTEGRATE, (xdrproc_t)xdr_hs_reint_args, &a,
		 (xdrproc_t)xdr_hs_reint_res, sizeof(hs_reint_res), block_done, NULL);
	free(recs);
}

/* ---- staging the stores' data ---- */

static hs_store_commit_args *cur_store(void)
{
	return &R.rows[R.si].rec.hs_cml_rec_u.store;
}

static void chunk_done(void *arg, int err, void *resp)
{
	hs_status_res *r = resp;

	if (!err && r->status)
		err = r->status;
	if (err == ETIMEDOUT) {
		finish(err);
		return;
	}
	if (err) {
		/* vice will refuse the record itself; say why there. */
		vlog(LOG_WARNING, "staging record %" PRIu64 ": %s", R.rows[R.si].seq,
		     strerror(err));
		R.off = UINT64_MAX;
	}
	stage_next();
}

static void send_chunk(void)
{
	uint64_t size = R.rows[R.si].size, off, n;
	hs_store_chunk_args a;
	char *buf;
	ssize_t got;
	int err;

	/* Data extents only: holes are never sent. */
	if ((err = cache_next_extent(R.fd, R.off, size, HS_CHUNK_MAX, &off, &n))) {
		vlog(LOG_ERR, "CML data of record %" PRIu64 ": %s", R.rows[R.si].seq,
		     strerror(err));
		finish(EIO);
		return;
	}
	if (!n && R.off) {
		R.off = size;
		stage_next();
		return;
	}
	/* All hole from 0: one empty chunk, so that vice has it staged. */
	if (!n)
		off = 0;
	if (!(buf = malloc(n ? n : 1))) {
		finish(ENOMEM);
		return;
	}
	got = n ? pread(R.fd, buf, n, (off_t)off) : 0;
	if (got != (ssize_t)n) {
		vlog(LOG_ERR, "CML data of record %" PRIu64 " is short: %s", R.rows[R.si].seq,
		     got < 0 ? strerror(errno) : "truncated");
		free(buf);
		finish(EIO);
		return;
	}
	a.fid = cur_store()->fid;
	a.sid = cur_store()->sid;
	a.offset = off;
	a.data.data_len = (u_int)n;
	a.data.data_val = buf;
	R.off = n ? off + n : size;
	srv_call(HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &a,
		 (xdrproc_t)xdr_hs_status_res, sizeof(hs_status_res), chunk_done, NULL);
	free(buf);
}

static void staged_done(void *arg, int err, void *resp)
{
	hs_staged_res *r = resp;

	if (!err && r->status)
		err = r->status;
	if (err == ETIMEDOUT) {
		finish(err);
		return;
	}
	R.off = err ? UINT64_MAX : r->hs_staged_res_u.staged;
	stage_next();
}

/* Stage the current store from where vice is, then move to the next. */
static void stage_next(void)
{
	char path[4096];

	if (R.fd >= 0 && R.off < R.rows[R.si].size) {
		send_chunk();
		return;
	}
	if (R.fd >= 0) {
		close(R.fd);
		R.fd = -1;
		R.si++;
	}
	while (R.si < R.n && R.rows[R.si].op != HS_OP_STORE)
		R.si++;
	if (R.si == R.n) {
		send_block();
		return;
	}
	cml_data_path(R.rows[R.si].seq, path, sizeof path);
	if ((R.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		vlog(LOG_ERR, "CML data %s: %s", path, strerror(errno));
		finish(EIO);
		return;
	}
	R.off = UINT64_MAX;
	hs_staged_args a = { cur_store()->fid, cur_store()->sid };
	srv_call(HS_STAGED, (xdrproc_t)xdr_hs_staged_args, &a,
		 (xdrproc_t)xdr_hs_staged_res, sizeof(hs_staged_res), staged_done, NULL);
}

static void next_block(void)
{
	int err;

	if (!srv_reachable()) {
		finish(ETIMEDOUT);
		return;
	}
	if ((err = cml_take_block(R.rows, REINT_BLOCK, R.min_age, &R.n))) {
		finish(err);
		return;
	}
	if (!R.n) {
		finish(0);
		return;
	}
	R.si = 0;
	R.fd = -1;
	stage_next();
}

void reint_run(unsigned min_age, unsigned budget, reint_progress_fn prog,
	       reint_done_fn done, void *arg)
{
	struct rwaiter *w = NULL;

	if ((prog || done) && !(w = calloc(1, sizeof *w))) {
		if (done)
			done(arg, ENOMEM);
		return;
	}
	if (w) {
		*w = (struct rwaiter){ prog, done, arg, R.waiters };
		R.waiters = w;
	}
	if (R.running)
		return;
	R.running = 1;
	R.conflicts = 0;
	R.sent = 0;
	R.min_age = min_age;
	R.until = budget ? time(NULL) + budget : 0;
	next_block();
}
