/*
 * reint.c - one volume's reintegration pass (reint.h, a lane of
 * reint_int.h): take a block of the volume's records, stage its stores,
 * send it to the volume's server, act on each result, repeat.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/net/volreg.h"
#include "venus/net/token.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"
#include "venus/store/db.h"
#include "venus/store/db_reint.h"
#include "venus/repair/conflict.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_disc.h"
#include "venus/repair/reint.h"
#include "venus/repair/reint_int.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"
#include "venus/util/event.h"

static void next_block(struct lane *ln);
static void stage_fill(struct lane *ln);
static void send_back(struct lane *ln);

static void slot_close(struct stage_slot *s)
{
	if (s->busy && s->fd >= 0)
		close(s->fd);
	s->busy = 0;
	s->fd = -1;
}

/* Drop the block: its rows, its staging; answers to its calls in flight
 * are ignored from now on (ln->gen). */
static void free_rows(struct lane *ln)
{
	while (ln->n)
		cml_row_free(&ln->rows[--ln->n]);
	for (unsigned i = 0; i < REINT_STAGE_SLOTS; i++)
		slot_close(&ln->slot[i]);
	ln->nbusy = 0;
	ln->gen++;
}

/* The outcome of a pass that ran to its end: records of the volume
 * held for quota (EDQUOT) or in conflict (HS_ECONFLICT) left behind. */
static int outcome(struct lane *ln)
{
	if (ln->conflicts)
		return HS_ECONFLICT;
	if (ln->quota || cml_vol_quota(ln->ri->cml, ln->lvol))
		return EDQUOT;
	return cml_vol_conflicts(ln->ri->cml, ln->lvol) ? HS_ECONFLICT : 0;
}

/* The pass's throughput, for the log (and bench/reint-bench.sh). */
static void log_pass(const struct lane *ln)
{
	struct timespec t1;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - ln->t0.tv_sec) + (double)(t1.tv_nsec - ln->t0.tv_nsec) / 1e9;
	vlog(LOG_INFO, "volume %#x: %u records (%.1f MiB of stores) reintegrated in %.3f s"
	     " (%u blocks, %u sent behind another)", (unsigned)ln->lvol, ln->sent,
	     (double)ln->sent_bytes / 1048576.0, s, ln->blocks, ln->backs);
}

/* The back block's rows (sent or not). */
static void free_back(struct lane *ln)
{
	while (ln->nback)
		cml_row_free(&ln->back[--ln->nback]);
	ln->back_out = 0;
}

static void finish(struct lane *ln, int err)
{
	struct cml *c = ln->ri->cml;

	free_rows(ln);
	free_back(ln);
	/* Answers to blocks still out are ignored: their rows stay frozen
	 * (below), their fate learnt by a later pass. */
	ln->front_out = 0;
	ln->bgen++;
	/* Without results (vice or the network died) the block's outcome is
	 * unknown: vice may have applied it.  Its records stay frozen, never
	 * cancelled, until a later pass learns their fate; a later store
	 * cancelling one that vice already applied would carry a stale
	 * version and raise a false conflict. */
	if (!err || err == HS_ECONFLICT)
		cml_thaw_vol(c, ln->lvol);
	ln->running = 0;
	/* Blocks settled the objects they named; once per pass, every cached
	 * object (records cancelled meanwhile; cheap once the CML is empty). */
	if (ln->sent) {
		fso_cml_settle();
		log_pass(ln);
	}
	if (!err)
		err = outcome(ln);
	if (err && err != HS_ECONFLICT && err != EDQUOT)
		vlog(LOG_WARNING, "reintegration of volume %#x (%s) stopped: %s; "
		     "%u of its records stay in the CML", (unsigned)ln->lvol,
		     vr_server_name(ln->lvol), strerror(err), cml_vol_count(c, ln->lvol));
	if (ln->sent || ln->conflicts || ln->quota ||
	    (err && err != HS_ECONFLICT && err != EDQUOT))   /* not idle trickle passes */
		event_emit(EVK_REINT, &(struct event_fields){ .flag = 1, .left = cml_count(c), .err = err });
	reint_lane_done(ln, err);
}

void lane_stop(struct lane *ln, int err)
{
	if (ln->running)
		finish(ln, err);
}

/* ---- results ---- */

static int uid_in(const uid_t *set, unsigned n, uid_t uid)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == uid)
			return 1;
	return 0;
}

static void note_waiting(struct lane *ln, uid_t uid, int why)
{
	if (uid_in(ln->waiting, ln->nwaiting, uid) || ln->nwaiting == REINT_WAIT_MAX)
		return;
	ln->waiting[ln->nwaiting] = uid;
	ln->why[ln->nwaiting++] = why;
	if (!uid_in(ln->waited, ln->nwaited, uid))
		vlog(LOG_NOTICE,
		     "reintegration of uid %u's records pending tokens (%s): run clog",
		     (unsigned)uid, why == EKEYEXPIRED ? "expired" : "refused without one");
}

/* Vice's EACCES to uid's call means "no token", not "no rights", when the
 * block was taken without a valid token or the token is gone (expired,
 * cunlog) by the answer.  Only a token held throughout makes it a refusal
 * of rights: a clog while the block was out costs a round, never a
 * conflict. */
static int refused_anon(const struct lane *ln, uid_t uid)
{
	struct vtoken t;

	return ln->anon || token_get_vol(uid, ln->lvol, &t) != 0;
}

/* uid's records wait for a token (reint_token). */
static void note_refused(struct lane *ln, uid_t uid)
{
	if (!uid_in(ln->refused, ln->nrefused, uid) && ln->nrefused < REINT_WAIT_MAX)
		ln->refused[ln->nrefused++] = uid;
	note_waiting(ln, uid, EACCES);
}

/* cml_take_block's wait: a user whose token expired waits for a new one
 * (Coda's reintegration waits for tokens); one without any token is sent
 * as System:AnyUser until vice refuses that (EACCES), then waits too. */
static int must_wait(void *arg, uid_t uid)
{
	struct lane *ln = arg;
	struct vtoken t;
	int err = token_get_vol(uid, ln->lvol, &t);

	if (err == EKEYEXPIRED || (err && uid_in(ln->refused, ln->nrefused, uid))) {
		note_waiting(ln, uid, err == EKEYEXPIRED ? EKEYEXPIRED : EACCES);
		return 1;
	}
	return 0;
}

/* vice refused row with EDQUOT: it stays, with its data, held for quota
 * (and so do the records that build on it).  A record a timed retry sent
 * again was reported when first refused. */
static void hold_for_quota(struct lane *ln, struct cml_row *row)
{
	ln->quota++;
	cml_set_conflict(ln->ri->cml, row->seq, EDQUOT);
	conflict_quota(row, vr_volume_name(ln->lvol), row->seq > ln->quiet_max);
}

static void on_result(struct lane *ln, struct cml_row *row, const hs_reint_result *res)
{
	if (res->status == 0) {
		/* The row goes first: the refid and rebase UPDATEs below then
		 * rewrite only the later rows of the object, not this one too
		 * (one row and its index entries per record, deleted anyway).
		 * All of it is in the block's transaction. */
		cml_done_op(ln->ri->cml, row->seq, row->op);
		fso_reint_applied(row, res);   /* maps a local fid to vice's first */
		/* The object's later records build on this version now, whether
		 * or not venus holds it in memory (type 0: vice no longer has
		 * it, nothing to build on). */
		if (res->obj.type)
			cml_rebase(ln->ri->cml, &res->obj.fid, res->obj.dataversion);
		return;
	}
	if (res->status == HS_ESKIPPED)
		return;
	if (res->status == EDQUOT) {
		hold_for_quota(ln, row);
		return;
	}
	if (res->status == EACCES && refused_anon(ln, row->uid)) {
		note_refused(ln, row->uid);   /* it waits, kept as it is */
		return;
	}
	/* Refused (EACCES with a token: the user lacks the rights): a
	 * conflict that keeps its data, like any other. */
	ln->conflicts++;
	cml_set_conflict(ln->ri->cml, row->seq, res->status);
	conflict_note(row, res->status);
}

/* vice refused the whole block with EDQUOT (nothing of it applied): send
 * one record per block for the rest of the pass, so that the one over
 * quota is found and held while the others go. */
static void block_over_quota(struct lane *ln)
{
	if (ln->n == 1)
		hold_for_quota(ln, &ln->rows[0]);
	else
		vlog(LOG_INFO, "volume %#x: a block of %u records is over quota: "
		     "sending them one by one", (unsigned)ln->lvol, ln->n);
	ln->max = 1;
	free_rows(ln);
	cml_thaw_vol(ln->ri->cml, ln->lvol);
	next_block(ln);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort the n inos and drop repeats (a block's rows name few directories
 * many times: each would be settled, an SQLite query, once per row);
 * the count left. */
static size_t ino_unique(uint64_t *inos, size_t n)
{
	size_t k = 0;

	qsort(inos, n, sizeof *inos, u64_cmp);
	for (size_t i = 0; i < n; i++)
		if (!k || inos[i] != inos[k - 1])
			inos[k++] = inos[i];
	return k;
}

/* The results of a block of n rows (the front's or the back's): applied
 * rows done, refused ones held or in conflict, in one transaction; the
 * rows left thawed. */
static void block_results(struct lane *ln, struct cml_row *rows, unsigned n,
			  const hs_reint_ok *ok)
{
	int txn;

	/* The objects the block names, by ino: their fids may change below. */
	for (unsigned i = 0; i < n; i++)
		fso_row_inos(&rows[i], &ln->inos[2 * i]);
	/* One transaction for the block's results; without it (an SQLite
	 * error, logged) each result commits on its own, which is as safe:
	 * vice knows which store ids it applied.  The per-record statements
	 * are prepared once for the block (db_reint.h). */
	txn = db_begin(V->db);
	db_rc_open(V->db);
	fso_front_hold(1);   /* the refids' invalidations go as one burst */
	for (unsigned i = 0; i < n && i < ok->results.results_len; i++) {
		on_result(ln, &rows[i], &ok->results.results_val[i]);
		/* A row left (skipped, held, refused) may be what a later row
		 * builds on: no back block until a full take has seen it. */
		if (ok->results.results_val[i].status)
			ln->contig = 0;
	}
	if (ok->results.results_len < n)
		ln->contig = 0;
	/* Objects and directories named by the block's records (their
	 * entries changed locally) are no longer the truth once no record
	 * names them.  Only those: the others' standing did not change. */
	fso_cml_settle_inos(ln->inos, ino_unique(ln->inos, 2 * (size_t)n));
	fso_front_hold(0);
	db_rc_close();
	/* The applied rows' frozen copies go only once their DELETEs are on
	 * disk: a death before that sends the block again, with its data. */
	cml_data_settle(ln->ri->cml, txn ? !db_in_txn(V->db) : db_commit(V->db) == 0);
	ln->sent += n;
	for (unsigned i = 0; i < n; i++)
		if (rows[i].op == HS_OP_STORE)
			ln->sent_bytes += rows[i].size;
	event_emit(EVK_REINT, &(struct event_fields){ .n = n, .left = cml_count(ln->ri->cml) });
	/* The block's rows left (skipped, in conflict); rows an earlier
	 * block of the pass left frozen (stage_refused) thaw in finish. */
	cml_thaw_range(ln->ri->cml, ln->lvol, rows[0].seq, rows[n - 1].seq);
}

/* vice refused a block with EDQUOT while the other is out: it is taken
 * again one record at a time once that one is answered. */
static void block_quota_later(struct lane *ln, struct cml_row *rows, unsigned n)
{
	vlog(LOG_INFO, "volume %#x: a block of %u records is over quota: "
	     "sending them one by one", (unsigned)ln->lvol, n);
	ln->max = 1;
	ln->contig = 0;
	cml_thaw_range(ln->ri->cml, ln->lvol, rows[0].seq, rows[n - 1].seq);
}

/* The back block was answered while the front one is out. */
static void back_done(struct lane *ln, int err, hs_reint_res *r)
{
	if (err == EDQUOT)
		block_quota_later(ln, ln->back, ln->nback);
	else
		block_results(ln, ln->back, ln->nback, &r->hs_reint_res_u.ok);
	free_back(ln);
	reint_lane_progress(ln);
	send_back(ln);
}

/* The front block was answered while the back one is out: the back one
 * becomes the front, another may follow it. */
static void front_done_early(struct lane *ln, int err, hs_reint_res *r)
{
	struct cml_row *t = ln->rows;

	if (err == EDQUOT)
		block_quota_later(ln, ln->rows, ln->n);
	else
		block_results(ln, ln->rows, ln->n, &r->hs_reint_res_u.ok);
	free_rows(ln);
	ln->rows = ln->back;
	ln->n = ln->nback;
	ln->back = t;
	ln->nback = 0;
	ln->back_out = 0;
	ln->front_out = 1;
	reint_lane_progress(ln);
	send_back(ln);
}

/* An answer to a block: which one, and whether the pass still waits
 * for it. */
struct block_call {
	struct lane    *ln;
	struct cml_row *rows;
	unsigned        bgen;
};

static void block_done(void *arg, int err, void *resp)
{
	struct block_call *bc = arg;
	struct lane *ln = bc->ln;
	hs_reint_res *r = resp;
	int front = bc->rows == ln->rows && ln->front_out;
	int back = bc->rows == ln->back && ln->back_out;

	if (bc->bgen != ln->bgen || (!front && !back)) {
		free(bc);
		return;
	}
	free(bc);
	if (!err && r->status)
		err = r->status;
	if (err && err != EDQUOT) {
		vlog(LOG_ERR, "HS_REINTEGRATE of %u records of volume %#x failed: %s; "
		     "kept for a retry", front ? ln->n : ln->nback, (unsigned)ln->lvol,
		     strerror(err));
		finish(ln, err);
		return;
	}
	if (back) {
		back_done(ln, err, r);
		return;
	}
	ln->front_out = 0;
	if (ln->back_out) {
		front_done_early(ln, err, r);
		return;
	}
	if (err == EDQUOT) {
		block_over_quota(ln);
		return;
	}
	block_results(ln, ln->rows, ln->n, &r->hs_reint_res_u.ok);
	free_rows(ln);
	zone_recheck(vst_zone(NULL));
	reint_lane_progress(ln);
	if (ln->until && time(NULL) >= ln->until) {
		finish(ln, 0);
		return;
	}
	next_block(ln);
}

/* Only the first record of an object in the block checks its version;
 * the later ones build on it. */
static void set_bases(const struct cml_row *rows, unsigned n, hs_cml_rec *recs)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t *b = cml_rec_base(&recs[i]);
		int first = 1;

		for (unsigned j = 0; j < i && first; j++)
			if (!memcmp(&rows[j].obj, &rows[i].obj, sizeof(hs_fid)))
				first = 0;
		if (b)
			*b = first ? rows[i].base : 0;
	}
}

/* Send n rows as a block; *out set first (an answer may come at once). */
static void send_rows(struct lane *ln, struct cml_row *rows, unsigned n, int *out)
{
	hs_cml_rec *recs = calloc(n, sizeof *recs);
	struct block_call *bc = malloc(sizeof *bc);
	hs_reint_args a;

	if (!recs || !bc) {
		free(recs);
		free(bc);
		finish(ln, ENOMEM);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		recs[i] = rows[i].rec;
	set_bases(rows, n, recs);
	a.recs.recs_len = n;
	a.recs.recs_val = recs;
	*bc = (struct block_call){ .ln = ln, .rows = rows, .bgen = ln->bgen };
	*out = 1;
	ln->after = rows[n - 1].seq;
	ln->blocks++;
	ln->backs += out == &ln->back_out;
	vlog(LOG_DEBUG, "reintegrating %u records of volume %#x, uid %u, from %" PRIu64,
	     n, (unsigned)ln->lvol, (unsigned)rows[0].uid, rows[0].seq);
	vr_call_as(ln->lvol, rows[0].uid, HS_REINTEGRATE, (xdrproc_t)xdr_hs_reint_args, &a,
		 (xdrproc_t)xdr_hs_reint_res, sizeof(hs_reint_res), block_done, bc);
	free(recs);
}

/* With the front block out, send the next rows behind it when they do
 * not build on it: vice applies one while venus reads the results of
 * the other.  Only while no row was left behind (ln->contig) and at
 * full block size (not one by one for quota), within the pass's time
 * budget (the pass ends once nothing is out). */
static void send_back(struct lane *ln)
{
	unsigned bgen = ln->bgen;
	int err;

	if (!ln->front_out || ln->back_out || !ln->contig || ln->max != REINT_BLOCK ||
	    (ln->until && time(NULL) >= ln->until) || !vr_reachable(ln->lvol))
		return;
	if (!ln->back && !(ln->back = calloc(REINT_BLOCK, sizeof *ln->back)))
		return;
	err = cml_take_after(ln->ri->cml, ln->lvol, ln->after, ln->rows, ln->n, ln->back,
			     REINT_BLOCK, ln->min_age, must_wait, ln, &ln->nback);
	if (err || !ln->nback || bgen != ln->bgen)
		return;
	send_rows(ln, ln->back, ln->nback, &ln->back_out);
}

static void send_block(struct lane *ln)
{
	unsigned bgen = ln->bgen;

	/* Staging is over: nothing of it may send the block again. */
	ln->gen++;
	send_rows(ln, ln->rows, ln->n, &ln->front_out);
	if (bgen == ln->bgen)
		send_back(ln);
}

/* ---- staging the stores' data ----
 *
 * Up to REINT_STAGE_SLOTS stores of the block at once, each with one call
 * in flight (HS_STAGED: where vice is; then its chunks in order); the
 * block goes once every store is staged (or failed to: vice then refuses
 * that record itself). */

/* Staging refused for want of a token (status EACCES, refused_anon):
 * vice would refuse the block's records too, and a block sent after a
 * clog landed meanwhile would find its stores unstaged (ENOENT, a false
 * conflict).  The block is not sent: its user's records wait for the
 * token, the pass goes on with the others.  Returns 1 if so. */
static int stage_refused(struct lane *ln, int status)
{
	if (status != EACCES || !refused_anon(ln, ln->rows[0].uid))
		return 0;
	note_refused(ln, ln->rows[0].uid);
	free_rows(ln);   /* frozen until the pass thaws them: harmless */
	next_block(ln);
	return 1;
}

/* Staging the store of s was refused with EDQUOT: that record is held
 * for quota before anything of the block is sent; the block is taken
 * again without it (the records that build on it now wait with it). */
static void stage_over_quota(struct lane *ln, struct stage_slot *s)
{
	hold_for_quota(ln, &ln->rows[s->row]);
	free_rows(ln);
	cml_thaw_vol(ln->ri->cml, ln->lvol);
	next_block(ln);
}

static hs_store_commit_args *slot_store(struct stage_slot *s)
{
	return &s->ln->rows[s->row].rec.hs_cml_rec_u.store;
}

/* A call of slot s: its answer carries the generation it was made in. */
struct stage_call {
	struct stage_slot *s;
	unsigned           gen;
};

static void slot_call(struct stage_slot *s, uint32_t proc, xdrproc_t argproc,
		      const void *args, xdrproc_t resproc, size_t ressize,
		      hrpc_done_fn done)
{
	struct lane *ln = s->ln;
	struct stage_call *c = malloc(sizeof *c);

	if (!c) {
		finish(ln, ENOMEM);
		return;
	}
	c->s = s;
	c->gen = ln->gen;
	vr_call_as(ln->lvol, ln->rows[0].uid, proc, argproc, args, resproc, ressize,
		   done, c);
}

/* The slot an answer is for, or NULL if its block was dropped since. */
static struct stage_slot *answered(void *arg)
{
	struct stage_call *c = arg;
	struct stage_slot *s = c->s;
	int live = c->gen == s->ln->gen && s->busy;

	free(c);
	return live ? s : NULL;
}

static void send_chunk(struct stage_slot *s);

/* s's store is staged (or failed: off past its end): the next store. */
static void slot_next(struct stage_slot *s)
{
	struct lane *ln = s->ln;

	if (s->off < ln->rows[s->row].size) {
		send_chunk(s);
		return;
	}
	slot_close(s);
	ln->nbusy--;
	stage_fill(ln);
}

static void chunk_done(void *arg, int err, void *resp)
{
	struct stage_slot *s = answered(arg);
	hs_status_res *r = resp;
	struct lane *ln;

	if (!s)
		return;
	ln = s->ln;
	if (!err && stage_refused(ln, r->status))
		return;
	if (!err && r->status)
		err = r->status;
	if (err == ETIMEDOUT) {
		finish(ln, err);
		return;
	}
	if (err == EDQUOT) {
		stage_over_quota(ln, s);
		return;
	}
	if (err) {
		/* vice will refuse the record itself; say why there. */
		vlog(LOG_WARNING, "staging record %" PRIu64 ": %s", ln->rows[s->row].seq,
		     strerror(err));
		s->off = UINT64_MAX;
	}
	slot_next(s);
}

static void send_chunk(struct stage_slot *s)
{
	struct lane *ln = s->ln;
	uint64_t size = ln->rows[s->row].size, off, n;
	hs_store_chunk_args a;
	char *buf;
	ssize_t got;
	int err;

	/* Data extents only: holes are never sent. */
	if ((err = cache_next_extent(s->fd, s->off, size, HS_CHUNK_MAX, &off, &n))) {
		vlog(LOG_ERR, "CML data of record %" PRIu64 ": %s", ln->rows[s->row].seq,
		     strerror(err));
		finish(ln, EIO);
		return;
	}
	if (!n && s->off) {
		s->off = size;
		slot_next(s);
		return;
	}
	/* All hole from 0: one empty chunk, so that vice has it staged. */
	if (!n)
		off = 0;
	if (!(buf = malloc(n ? n : 1))) {
		finish(ln, ENOMEM);
		return;
	}
	got = n ? pread(s->fd, buf, n, (off_t)off) : 0;
	if (got != (ssize_t)n) {
		vlog(LOG_ERR, "CML data of record %" PRIu64 " is short: %s", ln->rows[s->row].seq,
		     got < 0 ? strerror(errno) : "truncated");
		free(buf);
		finish(ln, EIO);
		return;
	}
	a.fid = slot_store(s)->fid;
	a.sid = slot_store(s)->sid;
	a.offset = off;
	a.data.data_len = (u_int)n;
	a.data.data_val = buf;
	s->off = n ? off + n : size;
	slot_call(s, HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &a,
		  (xdrproc_t)xdr_hs_status_res, sizeof(hs_status_res), chunk_done);
	free(buf);
}

static void staged_done(void *arg, int err, void *resp)
{
	struct stage_slot *s = answered(arg);
	hs_staged_res *r = resp;

	if (!s)
		return;
	if (!err && stage_refused(s->ln, r->status))
		return;
	if (!err && r->status)
		err = r->status;
	if (err == ETIMEDOUT) {
		finish(s->ln, err);
		return;
	}
	s->off = err ? UINT64_MAX : r->hs_staged_res_u.staged;
	slot_next(s);
}

/* Start staging row ln->si (a store) in the free slot s. */
static void slot_start(struct lane *ln, struct stage_slot *s)
{
	unsigned row = ln->si++;
	char path[4096];
	int fd;

	cml_data_path(ln->rows[row].seq, path, sizeof path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		vlog(LOG_ERR, "CML data %s: %s", path, strerror(errno));
		finish(ln, EIO);
		return;
	}
	*s = (struct stage_slot){ .ln = ln, .row = row, .busy = 1, .fd = fd,
				  .off = UINT64_MAX, .gen = ln->gen };
	ln->nbusy++;
	hs_staged_args a = { slot_store(s)->fid, slot_store(s)->sid };
	slot_call(s, HS_STAGED, (xdrproc_t)xdr_hs_staged_args, &a,
		  (xdrproc_t)xdr_hs_staged_res, sizeof(hs_staged_res), staged_done);
}

static struct stage_slot *free_slot(struct lane *ln)
{
	for (unsigned i = 0; i < REINT_STAGE_SLOTS; i++)
		if (!ln->slot[i].busy)
			return &ln->slot[i];
	return NULL;
}

/* Start stores while slots are free; send the block once all are staged.
 * An answer may come at once (a call that failed before leaving): the
 * block may be dropped or sent under us, which ln->gen tells. */
static void stage_fill(struct lane *ln)
{
	unsigned gen = ln->gen;
	struct stage_slot *s;

	while (gen == ln->gen && (s = free_slot(ln))) {
		while (ln->si < ln->n && ln->rows[ln->si].op != HS_OP_STORE)
			ln->si++;
		if (ln->si == ln->n)
			break;
		slot_start(ln, s);
	}
	if (gen == ln->gen && !ln->nbusy && ln->si == ln->n)
		send_block(ln);
}

/* Records held for quota go again when a retry is due: asked for
 * (reint_run, cfs reconnect) or REINT_QUOTA_RETRY_S after the last. */
static void quota_retry(struct lane *ln)
{
	struct cml *c = ln->ri->cml;
	time_t now = time(NULL);
	int timed = now - ln->quota_at >= REINT_QUOTA_RETRY_S;

	if (!ln->quota_due && !timed)
		return;
	ln->quiet_max = ln->quota_due ? 0 : cml_vol_quota_max(c, ln->lvol);
	ln->quota_due = 0;
	ln->quota_at = now;
	if (cml_vol_quota(c, ln->lvol) && !cml_quota_retry(c, ln->lvol))
		vlog(LOG_DEBUG, "volume %#x: records held for quota sent again",
		     (unsigned)ln->lvol);
}

static void next_block(struct lane *ln)
{
	struct vtoken t;
	int err;

	if (!vr_reachable(ln->lvol)) {
		finish(ln, ETIMEDOUT);
		return;
	}
	if (ln->quota_due)
		quota_retry(ln);
	if ((err = cml_take_block(ln->ri->cml, ln->lvol, ln->rows, ln->max, ln->min_age,
				  must_wait, ln, &ln->n))) {
		finish(ln, err);
		return;
	}
	if (!ln->n) {
		finish(ln, 0);
		return;
	}
	ln->contig = !cml_take_skipped(ln->ri->cml);
	ln->anon = token_get_vol(ln->rows[0].uid, ln->lvol, &t) != 0;
	ln->si = 0;
	stage_fill(ln);
}

void lane_pass(struct lane *ln, unsigned min_age, unsigned budget)
{
	ln->running = 1;
	memcpy(ln->waited, ln->waiting, ln->nwaiting * sizeof ln->waiting[0]);
	ln->nwaited = ln->nwaiting;
	ln->nwaiting = 0;
	ln->conflicts = 0;
	ln->quota = 0;
	ln->quiet_max = 0;   /* only a timed resend in this pass is quiet */
	ln->sent = 0;
	ln->sent_bytes = 0;
	ln->blocks = ln->backs = 0;
	clock_gettime(CLOCK_MONOTONIC, &ln->t0);
	ln->max = REINT_BLOCK;
	ln->min_age = min_age;
	ln->until = budget ? time(NULL) + budget : 0;
	quota_retry(ln);
	next_block(ln);
}

unsigned lane_waiting(const struct lane *ln, uid_t *uids, int *why, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < ln->nwaiting && n < max; i++) {
		uids[n] = ln->waiting[i];
		if (why)
			why[n] = ln->why[i];
		n++;
	}
	return n;
}

int lane_token(struct lane *ln, uid_t uid)
{
	int was = uid_in(ln->waiting, ln->nwaiting, uid);

	for (unsigned i = 0; i < ln->nrefused; i++)
		if (ln->refused[i] == uid) {
			ln->refused[i] = ln->refused[--ln->nrefused];
			was = 1;
		}
	for (unsigned i = 0; i < ln->nwaiting; i++)
		if (ln->waiting[i] == uid) {
			ln->waiting[i] = ln->waiting[--ln->nwaiting];
			ln->why[i] = ln->why[ln->nwaiting];
		}
	for (unsigned i = 0; i < ln->nwaited; i++)
		if (ln->waited[i] == uid)
			ln->waited[i] = ln->waited[--ln->nwaited];
	return was;
}

void lane_free(struct lane *ln)
{
	lane_stop(ln, ETIMEDOUT);   /* waiters hear of the end */
	free_rows(ln);
	free_back(ln);
	/* The two blocks swap (front_done_early): whichever is not rows0
	 * is the allocated one. */
	free(ln->back != ln->rows0 ? ln->back : ln->rows);
	free(ln);
}
