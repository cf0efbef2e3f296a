/*
 * reint_run.c - the volumes' reintegrations (reint.h): one lane per
 * volume with records, made on first use, and the callers of reint_run
 * waiting on several lanes at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <syslog.h>

#include "venus/util/venus.h"
#include "venus/net/volreg.h"
#include "venus/log/cml.h"
#include "venus/repair/reint.h"
#include "venus/repair/reint_int.h"

struct reint *reint_new(struct srv *srv, struct cml *cml)
{
	struct reint *ri = calloc(1, sizeof(*ri));

	(void)srv;
	if (ri)
		ri->cml = cml;
	return ri;
}

void reint_free(struct reint *ri)
{
	struct lane *ln;

	if (!ri)
		return;
	for (ln = ri->lanes; ln; ln = ln->next)
		lane_stop(ln, ETIMEDOUT);   /* every group hears of the end */
	while ((ln = ri->lanes)) {
		ri->lanes = ln->next;
		lane_free(ln);
	}
	free(ri);
}

static struct lane *find_lane(const struct reint *ri, uint32_t lvol)
{
	for (struct lane *ln = ri->lanes; ln; ln = ln->next)
		if (ln->lvol == lvol)
			return ln;
	return NULL;
}

/* lvol's lane, made on first use; NULL when out of memory. */
static struct lane *lane_of(struct reint *ri, uint32_t lvol)
{
	struct lane *ln = find_lane(ri, lvol);

	if (ln || !(ln = calloc(1, sizeof *ln)))
		return ln;
	ln->ri = ri;
	ln->rows = ln->rows0;
	ln->lvol = lvol;
	ln->next = ri->lanes;
	ri->lanes = ln;
	return ln;
}

/* ---- groups ---- */

/* How bad an outcome is: a volume stopped (ETIMEDOUT, EIO...) outranks
 * a conflict, which outranks records held for quota. */
static int rank(int err)
{
	if (!err)
		return 0;
	if (err == EDQUOT)
		return 1;
	return err == HS_ECONFLICT ? 2 : 3;
}

static void group_note(struct rgroup *g, int err)
{
	if (rank(err) > rank(g->err))
		g->err = err;
}

static void group_release(struct rgroup *g)
{
	if (--g->pending)
		return;
	if (g->done)
		g->done(g->arg, g->err);
	free(g);
}

void reint_lane_done(struct lane *ln, int err)
{
	struct rmember *m = ln->members, *next;

	ln->members = NULL;
	for (; m; m = next) {
		next = m->next;
		group_note(m->g, err);
		group_release(m->g);
		free(m);
	}
}

void reint_lane_progress(struct lane *ln)
{
	struct cml *c = ln->ri->cml;
	unsigned left = cml_count(c) - cml_conflict_records(c);

	for (struct rmember *m = ln->members; m; m = m->next)
		if (m->g->progress)
			m->g->progress(m->g->arg, left);
}

/* g waits on ln's pass (started now unless one runs).  0 or ENOMEM. */
static int join(struct lane *ln, struct rgroup *g, unsigned min_age, unsigned budget)
{
	struct rmember *m = NULL;

	if (g && !(m = calloc(1, sizeof *m)))
		return ENOMEM;
	if (m) {
		m->g = g;
		m->next = ln->members;
		ln->members = m;
		g->pending++;
	}
	if (!ln->running) {
		lane_pass(ln, min_age, budget);
	} else {
		/* A trickle pass under way (records older than its age, a
		 * time budget) takes on the joiner's wider terms: cfs fr
		 * means every record, not the trickle's share of them. */
		if (min_age < ln->min_age)
			ln->min_age = min_age;
		if (!budget)
			ln->until = 0;
		else if (ln->until && ln->until < time(NULL) + budget)
			ln->until = time(NULL) + budget;
	}
	return 0;
}

/* A group for progress/done (NULL when neither is wanted), holding a
 * guard so that passes ending at once do not finish it early. */
static int group_new(reint_progress_fn progress, reint_done_fn done, void *arg,
		     struct rgroup **out)
{
	*out = NULL;
	if (!progress && !done)
		return 0;
	if (!(*out = calloc(1, sizeof **out))) {
		if (done)
			done(arg, ENOMEM);
		return ENOMEM;
	}
	**out = (struct rgroup){ progress, done, arg, 1, 0 };
	return 0;
}

void reint_run_vol(struct reint *ri, uint32_t lvol, unsigned min_age, unsigned budget,
		   reint_progress_fn progress, reint_done_fn done, void *arg)
{
	struct rgroup *g;
	struct lane *ln;

	if (group_new(progress, done, arg, &g))
		return;
	if ((!(ln = lane_of(ri, lvol)) || join(ln, g, min_age, budget)) && g)
		group_note(g, ENOMEM);
	if (g)
		group_release(g);
}

/* The volumes with records, collected before any pass starts (a pass
 * writes the table the scan reads). */
struct vols {
	uint32_t *v;
	size_t    n, cap;
};

static int collect(void *arg, uint32_t lvol)
{
	struct vols *vs = arg;
	uint32_t *nv;

	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 16;
		if (!(nv = realloc(vs->v, vs->cap * sizeof *nv)))
			return 1;
		vs->v = nv;
	}
	vs->v[vs->n++] = lvol;
	return 0;
}

void reint_run(struct reint *ri, unsigned min_age, unsigned budget, reint_progress_fn progress,
	       reint_done_fn done, void *arg)
{
	struct vols vs = { NULL, 0, 0 };
	struct rgroup *g;
	struct lane *ln;
	int err;

	if (group_new(progress, done, arg, &g))
		return;
	err = cml_vol_foreach(ri->cml, collect, &vs);
	if (g && err)
		group_note(g, err);
	for (size_t i = 0; i < vs.n; i++) {
		if (!vr_reachable(vs.v[i])) {
			/* Its records stay until its server answers. */
			if (g)
				group_note(g, ETIMEDOUT);
			continue;
		}
		if (!(ln = lane_of(ri, vs.v[i]))) {
			if (g)
				group_note(g, ENOMEM);
			continue;
		}
		ln->quota_due = 1;   /* an explicit pass resends them */
		if (join(ln, g, min_age, budget) && g)
			group_note(g, ENOMEM);
	}
	free(vs.v);
	if (g)
		group_release(g);
}

void reint_retry_quota(struct reint *ri, uint32_t lvol)
{
	struct lane *ln = lane_of(ri, lvol);

	if (ln)
		ln->quota_due = 1;
}

int reint_running(const struct reint *ri)
{
	for (const struct lane *ln = ri->lanes; ln; ln = ln->next)
		if (ln->running)
			return 1;
	return 0;
}

int reint_vol_running(const struct reint *ri, uint32_t lvol)
{
	const struct lane *ln = find_lane(ri, lvol);

	return ln && ln->running;
}

/* A uid waiting in two volumes is listed once. */
static int listed(const uid_t *uids, unsigned n, uid_t uid)
{
	for (unsigned i = 0; i < n; i++)
		if (uids[i] == uid)
			return 1;
	return 0;
}

unsigned reint_waiting(const struct reint *ri, uid_t *uids, int *why, unsigned max)
{
	unsigned n = 0;

	for (const struct lane *ln = ri->lanes; ln && n < max; ln = ln->next) {
		uid_t u[REINT_WAIT_MAX];
		int w[REINT_WAIT_MAX];
		unsigned k = lane_waiting(ln, u, w, REINT_WAIT_MAX);

		for (unsigned i = 0; i < k && n < max; i++) {
			if (listed(uids, n, u[i]))
				continue;
			uids[n] = u[i];
			if (why)
				why[n] = w[i];
			n++;
		}
	}
	return n;
}

int reint_token(struct reint *ri, uid_t uid)
{
	int was = 0;

	for (struct lane *ln = ri->lanes; ln; ln = ln->next)
		was |= lane_token(ln, uid);
	return was;
}
