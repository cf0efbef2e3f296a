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

#include "venus/util/venus.h"
#include "venus/net/server.h"
#include "venus/net/token.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"
#include "venus/store/db.h"
#include "venus/repair/conflict.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_disc.h"
#include "venus/repair/reint.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"
#include "venus/util/event.h"

struct rwaiter {
	reint_progress_fn progress;
	reint_done_fn     done;
	void             *arg;
	struct rwaiter   *next;
};

/* Records per HS_REINTEGRATE block: Coda's ~100, under the wire's
 * HS_REINT_MAX, so one block stays one short vice transaction. */
#define REINT_BLOCK 100

/* Users whose records wait for a token, at most (their records wait
 * either way: past it they are only not listed). */
#define REINT_WAIT_MAX 64

struct reint {
	struct srv     *srv;         /* the server the records go to */
	/* Users whose records vice refused with EACCES when sent without a
	 * token (as System:AnyUser): they wait for one (reint_token). */
	uid_t           refused[REINT_WAIT_MAX];
	unsigned        nrefused;
	/* Users whose records this pass left waiting (and the last pass's:
	 * the log says so once, not at every trickle). */
	uid_t           waiting[REINT_WAIT_MAX], waited[REINT_WAIT_MAX];
	int             why[REINT_WAIT_MAX];  /* EKEYEXPIRED, EACCES */
	unsigned        nwaiting, nwaited;
	struct cml     *cml;         /* the log they come from */
	int             running;
	int             anon;        /* the block's user held no valid token
	                              * when it was taken */
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
};

static void next_block(struct reint *ri);
static void stage_next(struct reint *ri);

int reint_running(const struct reint *ri)
{
	return ri->running;
}

static void free_rows(struct reint *ri)
{
	while (ri->n)
		cml_row_free(&ri->rows[--ri->n]);
	if (ri->fd >= 0)
		close(ri->fd);
	ri->fd = -1;
}

static void finish(struct reint *ri, int err)
{
	struct rwaiter *w = ri->waiters;

	free_rows(ri);
	/* Without results (vice or the network died) the block's outcome is
	 * unknown: vice may have applied it.  Its records stay frozen, never
	 * cancelled, until a later pass learns their fate; a later store
	 * cancelling one that vice already applied would carry a stale
	 * version and raise a false conflict. */
	if (!err || err == HS_ECONFLICT)
		cml_thaw(ri->cml);
	ri->running = 0;
	ri->waiters = NULL;
	if (!err && (ri->conflicts || cml_conflicts(ri->cml)))
		err = HS_ECONFLICT;
	if (err && err != HS_ECONFLICT)
		vlog(LOG_WARNING, "reintegration stopped: %s; %u records stay in the CML",
		     strerror(err), cml_count(ri->cml));
	if (ri->sent || ri->conflicts || (err && err != HS_ECONFLICT))   /* not idle trickle passes */
		event_emit(EVK_REINT, &(struct event_fields){ .flag = 1, .left = cml_count(ri->cml), .err = err });
	while (w) {
		struct rwaiter *next = w->next;

		if (w->done)
			w->done(w->arg, err);
		free(w);
		w = next;
	}
}

static void progress(struct reint *ri)
{
	unsigned left = cml_count(ri->cml) - cml_conflict_records(ri->cml);

	for (struct rwaiter *w = ri->waiters; w; w = w->next)
		if (w->progress)
			w->progress(w->arg, left);
}

/* ---- results ---- */

static int uid_in(const uid_t *set, unsigned n, uid_t uid)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == uid)
			return 1;
	return 0;
}

static void note_waiting(struct reint *ri, uid_t uid, int why)
{
	if (uid_in(ri->waiting, ri->nwaiting, uid) || ri->nwaiting == REINT_WAIT_MAX)
		return;
	ri->waiting[ri->nwaiting] = uid;
	ri->why[ri->nwaiting++] = why;
	if (!uid_in(ri->waited, ri->nwaited, uid))
		vlog(LOG_NOTICE,
		     "reintegration of uid %u's records pending tokens (%s): run clog",
		     (unsigned)uid, why == EKEYEXPIRED ? "expired" : "refused without one");
}

/* Vice's EACCES to uid's call means "no token", not "no rights", when the
 * block was taken without a valid token or the token is gone (expired,
 * cunlog) by the answer.  Only a token held throughout makes it a refusal
 * of rights: a clog while the block was out costs a round, never a
 * conflict. */
static int refused_anon(const struct reint *ri, uid_t uid)
{
	struct vtoken t;

	return ri->anon || token_get(uid, &t) != 0;
}

/* uid's records wait for a token (reint_token). */
static void note_refused(struct reint *ri, uid_t uid)
{
	if (!uid_in(ri->refused, ri->nrefused, uid) && ri->nrefused < REINT_WAIT_MAX)
		ri->refused[ri->nrefused++] = uid;
	note_waiting(ri, uid, EACCES);
}

/* cml_take_block's wait: a user whose token expired waits for a new one
 * (Coda's reintegration waits for tokens); one without any token is sent
 * as System:AnyUser until vice refuses that (EACCES), then waits too. */
static int must_wait(void *arg, uid_t uid)
{
	struct reint *ri = arg;
	struct vtoken t;
	int err = token_get(uid, &t);

	if (err == EKEYEXPIRED || (err && uid_in(ri->refused, ri->nrefused, uid))) {
		note_waiting(ri, uid, err == EKEYEXPIRED ? EKEYEXPIRED : EACCES);
		return 1;
	}
	return 0;
}

static void on_result(struct reint *ri, struct cml_row *row, const hs_reint_result *res)
{
	if (res->status == 0) {
		fso_reint_applied(row, res);   /* maps a local fid to vice's first */
		/* The object's later records build on this version now, whether
		 * or not venus holds it in memory (type 0: vice no longer has
		 * it, nothing to build on). */
		if (res->obj.type)
			cml_rebase(ri->cml, &res->obj.fid, res->obj.dataversion);
		cml_done(ri->cml, row->seq);
		return;
	}
	if (res->status == HS_ESKIPPED)
		return;
	if (res->status == EACCES && refused_anon(ri, row->uid)) {
		note_refused(ri, row->uid);   /* it waits, kept as it is */
		return;
	}
	/* Refused (EACCES with a token: the user lacks the rights): a
	 * conflict that keeps its data, like any other. */
	ri->conflicts++;
	cml_set_conflict(ri->cml, row->seq, res->status);
	conflict_note(row, res->status);
}

static void block_done(void *arg, int err, void *resp)
{
	struct reint *ri = arg;
	hs_reint_res *r = resp;
	const hs_reint_ok *ok;
	int txn;

	if (!err && r->status)
		err = r->status;
	if (err) {
		vlog(LOG_ERR, "HS_REINTEGRATE of %u records failed: %s; kept for a retry",
		     ri->n, strerror(err));
		finish(ri, err);
		return;
	}
	ok = &r->hs_reint_res_u.ok;
	/* One transaction for the block's results; without it (an SQLite
	 * error, logged) each result commits on its own, which is as safe:
	 * vice knows which store ids it applied. */
	txn = db_begin(V->db);
	for (unsigned i = 0; i < ri->n && i < ok->results.results_len; i++)
		on_result(ri, &ri->rows[i], &ok->results.results_val[i]);
	/* Directories named by the applied records (their entries changed
	 * locally) are no longer the truth once no record names them. */
	fso_cml_settle();
	/* The applied rows' frozen copies go only once their DELETEs are on
	 * disk: a death before that sends the block again, with its data. */
	cml_data_settle(ri->cml, txn ? !db_in_txn(V->db) : db_commit(V->db) == 0);
	ri->sent += ri->n;
	event_emit(EVK_REINT, &(struct event_fields){ .n = ri->n, .left = cml_count(ri->cml) });
	free_rows(ri);
	cml_thaw(ri->cml);
	zone_recheck(vst_zone(V->vol));
	progress(ri);
	if (ri->until && time(NULL) >= ri->until) {
		finish(ri, 0);
		return;
	}
	next_block(ri);
}

/* Only the first record of an object in the block checks its version;
 * the later ones build on it. */
static void set_bases(struct reint *ri, hs_cml_rec *recs)
{
	for (unsigned i = 0; i < ri->n; i++) {
		uint64_t *b = cml_rec_base(&recs[i]);
		int first = 1;

		for (unsigned j = 0; j < i && first; j++)
			if (!memcmp(&ri->rows[j].obj, &ri->rows[i].obj, sizeof(hs_fid)))
				first = 0;
		if (b)
			*b = first ? ri->rows[i].base : 0;
	}
}

static void send_block(struct reint *ri)
{
	hs_cml_rec *recs = calloc(ri->n, sizeof *recs);
	hs_reint_args a;

	if (!recs) {
		finish(ri, ENOMEM);
		return;
	}
	for (unsigned i = 0; i < ri->n; i++)
		recs[i] = ri->rows[i].rec;
	set_bases(ri, recs);
	a.recs.recs_len = ri->n;
	a.recs.recs_val = recs;
	vlog(LOG_DEBUG, "reintegrating %u records of uid %u from %" PRIu64, ri->n,
	     (unsigned)ri->rows[0].uid, ri->rows[0].seq);
	srv_call_as(ri->srv, ri->rows[0].uid, HS_REINTEGRATE, (xdrproc_t)xdr_hs_reint_args, &a,
		 (xdrproc_t)xdr_hs_reint_res, sizeof(hs_reint_res), block_done, ri);
	free(recs);
}

/* ---- staging the stores' data ---- */

/* Staging refused for want of a token (status EACCES, refused_anon):
 * vice would refuse the block's records too, and a block sent after a
 * clog landed meanwhile would find its stores unstaged (ENOENT, a false
 * conflict).  The block is not sent: its user's records wait for the
 * token, the pass goes on with the others.  Returns 1 if so. */
static int stage_refused(struct reint *ri, int status)
{
	if (status != EACCES || !refused_anon(ri, ri->rows[0].uid))
		return 0;
	note_refused(ri, ri->rows[0].uid);
	free_rows(ri);   /* frozen until the pass thaws them: harmless */
	next_block(ri);
	return 1;
}

static hs_store_commit_args *cur_store(struct reint *ri)
{
	return &ri->rows[ri->si].rec.hs_cml_rec_u.store;
}

static void chunk_done(void *arg, int err, void *resp)
{
	struct reint *ri = arg;
	hs_status_res *r = resp;

	if (!err && stage_refused(ri, r->status))
		return;
	if (!err && r->status)
		err = r->status;
	if (err == ETIMEDOUT) {
		finish(ri, err);
		return;
	}
	if (err) {
		/* vice will refuse the record itself; say why there. */
		vlog(LOG_WARNING, "staging record %" PRIu64 ": %s", ri->rows[ri->si].seq,
		     strerror(err));
		ri->off = UINT64_MAX;
	}
	stage_next(ri);
}

static void send_chunk(struct reint *ri)
{
	uint64_t size = ri->rows[ri->si].size, off, n;
	hs_store_chunk_args a;
	char *buf;
	ssize_t got;
	int err;

	/* Data extents only: holes are never sent. */
	if ((err = cache_next_extent(ri->fd, ri->off, size, HS_CHUNK_MAX, &off, &n))) {
		vlog(LOG_ERR, "CML data of record %" PRIu64 ": %s", ri->rows[ri->si].seq,
		     strerror(err));
		finish(ri, EIO);
		return;
	}
	if (!n && ri->off) {
		ri->off = size;
		stage_next(ri);
		return;
	}
	/* All hole from 0: one empty chunk, so that vice has it staged. */
	if (!n)
		off = 0;
	if (!(buf = malloc(n ? n : 1))) {
		finish(ri, ENOMEM);
		return;
	}
	got = n ? pread(ri->fd, buf, n, (off_t)off) : 0;
	if (got != (ssize_t)n) {
		vlog(LOG_ERR, "CML data of record %" PRIu64 " is short: %s", ri->rows[ri->si].seq,
		     got < 0 ? strerror(errno) : "truncated");
		free(buf);
		finish(ri, EIO);
		return;
	}
	a.fid = cur_store(ri)->fid;
	a.sid = cur_store(ri)->sid;
	a.offset = off;
	a.data.data_len = (u_int)n;
	a.data.data_val = buf;
	ri->off = n ? off + n : size;
	srv_call_as(ri->srv, ri->rows[0].uid, HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &a,
		 (xdrproc_t)xdr_hs_status_res, sizeof(hs_status_res), chunk_done, ri);
	free(buf);
}

static void staged_done(void *arg, int err, void *resp)
{
	struct reint *ri = arg;
	hs_staged_res *r = resp;

	if (!err && stage_refused(ri, r->status))
		return;
	if (!err && r->status)
		err = r->status;
	if (err == ETIMEDOUT) {
		finish(ri, err);
		return;
	}
	ri->off = err ? UINT64_MAX : r->hs_staged_res_u.staged;
	stage_next(ri);
}

/* Stage the current store from where vice is, then move to the next. */
static void stage_next(struct reint *ri)
{
	char path[4096];

	if (ri->fd >= 0 && ri->off < ri->rows[ri->si].size) {
		send_chunk(ri);
		return;
	}
	if (ri->fd >= 0) {
		close(ri->fd);
		ri->fd = -1;
		ri->si++;
	}
	while (ri->si < ri->n && ri->rows[ri->si].op != HS_OP_STORE)
		ri->si++;
	if (ri->si == ri->n) {
		send_block(ri);
		return;
	}
	cml_data_path(ri->rows[ri->si].seq, path, sizeof path);
	if ((ri->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		vlog(LOG_ERR, "CML data %s: %s", path, strerror(errno));
		finish(ri, EIO);
		return;
	}
	ri->off = UINT64_MAX;
	hs_staged_args a = { cur_store(ri)->fid, cur_store(ri)->sid };
	srv_call_as(ri->srv, ri->rows[0].uid, HS_STAGED, (xdrproc_t)xdr_hs_staged_args, &a,
		 (xdrproc_t)xdr_hs_staged_res, sizeof(hs_staged_res), staged_done, ri);
}

static void next_block(struct reint *ri)
{
	struct vtoken t;
	int err;

	if (!srv_reachable(ri->srv)) {
		finish(ri, ETIMEDOUT);
		return;
	}
	if ((err = cml_take_block(ri->cml, ri->rows, REINT_BLOCK, ri->min_age, must_wait, ri,
				  &ri->n))) {
		finish(ri, err);
		return;
	}
	if (!ri->n) {
		finish(ri, 0);
		return;
	}
	ri->anon = token_get(ri->rows[0].uid, &t) != 0;
	ri->si = 0;
	ri->fd = -1;
	stage_next(ri);
}

void reint_run(struct reint *ri, unsigned min_age, unsigned budget, reint_progress_fn prog,
	       reint_done_fn done, void *arg)
{
	struct rwaiter *w = NULL;

	if ((prog || done) && !(w = calloc(1, sizeof *w))) {
		if (done)
			done(arg, ENOMEM);
		return;
	}
	if (w) {
		*w = (struct rwaiter){ prog, done, arg, ri->waiters };
		ri->waiters = w;
	}
	if (ri->running)
		return;
	ri->running = 1;
	memcpy(ri->waited, ri->waiting, ri->nwaiting * sizeof ri->waiting[0]);
	ri->nwaited = ri->nwaiting;
	ri->nwaiting = 0;
	ri->conflicts = 0;
	ri->sent = 0;
	ri->min_age = min_age;
	ri->until = budget ? time(NULL) + budget : 0;
	next_block(ri);
}

struct reint *reint_new(struct srv *srv, struct cml *cml)
{
	struct reint *ri = calloc(1, sizeof(*ri));

	if (!ri)
		return NULL;
	ri->srv = srv;
	ri->cml = cml;
	ri->fd = -1;
	return ri;
}

unsigned reint_waiting(const struct reint *ri, uid_t *uids, int *why, unsigned max)
{
	unsigned i;

	for (i = 0; i < ri->nwaiting && i < max; i++) {
		uids[i] = ri->waiting[i];
		if (why)
			why[i] = ri->why[i];
	}
	return i;
}

int reint_token(struct reint *ri, uid_t uid)
{
	int was = uid_in(ri->waiting, ri->nwaiting, uid);

	for (unsigned i = 0; i < ri->nrefused; i++)
		if (ri->refused[i] == uid) {
			ri->refused[i] = ri->refused[--ri->nrefused];
			was = 1;
		}
	for (unsigned i = 0; i < ri->nwaiting; i++)
		if (ri->waiting[i] == uid) {
			ri->waiting[i] = ri->waiting[--ri->nwaiting];
			ri->why[i] = ri->why[ri->nwaiting];
		}
	for (unsigned i = 0; i < ri->nwaited; i++)
		if (ri->waited[i] == uid)
			ri->waited[i] = ri->waited[--ri->nwaited];
	return was;
}

void reint_free(struct reint *ri)
{
	if (!ri)
		return;
	if (ri->running)
		finish(ri, ETIMEDOUT);   /* waiters hear of the end */
	free_rows(ri);
	free(ri);
}
