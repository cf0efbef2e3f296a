/*
 * fsobj_vstamp.c - volume version stamps (Coda's ValidateVols and volume
 * callbacks; rpc/hesper.x HS_VOLSTAMPS).
 *
 * A restarted venus holds no promise, and revalidating every cached
 * object costs an HS_GETATTRS slot each (fsobj_valid.c).  Instead venus
 * records, per volume, the stamp vice gave while every cached object of
 * the volume held its own promise: the cache was then exactly vice's
 * state at that stamp (a break for any change before the stamp reaches
 * venus on the same connection before the stamp's reply: vice sends
 * breaks while it runs the changing call, replies after).  At the next
 * start the stamp is sent back; "valid" means nothing changed since, and
 * vice holds a volume promise for us: every object waiting for
 * validation takes it (has_cb FO_CB_VOL) and nothing is asked.  Any
 * other answer revalidates the volume object by object, as before.
 *
 * A stamp is recorded (table volstamp) at the end of the background
 * validation pass, QUIET_S seconds after the last attributes came from
 * vice or the last doubt (so that a kill -9 finds one), and at a clean
 * shutdown
 * (fso_vstamp_flush); any break in the volume, an own change there, or
 * a lost connection deletes it (one row, in the batch) and moves the
 * volume's generation on, so a reply to a question asked before does
 * not count.  Offline nothing is asked: stamps stay as they are.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <event2/event.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"

#define QUIET_S 10     /* seconds without a break before recording */
#define FLUSH_MS 3000  /* a clean shutdown waits this long for answers */

/* What venus knows of one local volume's stamp. */
struct vsv {
	uint32_t lvol;
	uint64_t recorded;      /* the stamp in venus.db, 0: none */
	uint64_t gen;           /* moves on at every doubt (breaks...) */
	int      checking;      /* a recorded stamp is being sent */
	int      asking;        /* a stamp to record is being asked */
};

static struct {
	struct vsv   *v;
	size_t        n;
	struct event *quiet;
	int           frozen;   /* shutting down: the rows stay as they are */
	unsigned      inflight; /* questions not yet answered */
	void        (*done)(void *arg);   /* fso_vstamp_flush's */
	void         *arg;
} S_;

/* One HS_VOLSTAMPS call about one volume. */
struct vsq {
	uint32_t     lvol;
	uint64_t     gen;       /* the volume's when asked */
	hs_volstamp  q;
	hs_volstamps a;
};

static struct vsv *vsv_of(uint32_t lvol, int make)
{
	struct vsv *v;

	for (size_t i = 0; i < S_.n; i++)
		if (S_.v[i].lvol == lvol)
			return &S_.v[i];
	if (!make || !(v = realloc(S_.v, (S_.n + 1) * sizeof(*v))))
		return NULL;
	S_.v = v;
	v = &S_.v[S_.n++];
	memset(v, 0, sizeof(*v));
	v->lvol = lvol;
	return v;
}

static void load_one(void *arg, uint32_t lvol, uint64_t stamp)
{
	struct vsv *v = vsv_of(lvol, 1);

	(void)arg;
	if (v && stamp)
		v->recorded = stamp;
}

int fo_vstamp_init(void)
{
	return db_volstamp_foreach(V->db, load_one, NULL);
}

void fo_vstamp_fini(void)
{
	if (S_.quiet)
		event_free(S_.quiet);
	free(S_.v);
	memset(&S_, 0, sizeof(S_));
}

int fo_vstamp_checking(uint32_t lvol)
{
	struct vsv *v = vsv_of(lvol, 0);

	return v && v->checking;
}

static void quiet_fire(evutil_socket_t fd, short what, void *arg);

/* Record again once nothing happened for QUIET_S seconds. */
static void quiet_arm(void)
{
	struct timeval tv = { QUIET_S, 0 };

	if (S_.frozen)
		return;
	if (!S_.quiet && !(S_.quiet = evtimer_new(V->base, quiet_fire, NULL)))
		return;
	evtimer_add(S_.quiet, &tv);
}

void fo_vstamp_touch(uint32_t lvol)
{
	struct vsv *v;
	int err;

	if (lvol == VR_LOCAL_VOL || !(v = vsv_of(lvol, 1)))
		return;
	v->gen++;
	if (v->recorded && !S_.frozen) {
		v->recorded = 0;
		/* A row left behind is still checked by vice at the next
		 * start (a change since moved its stamp), but say why. */
		if ((err = db_volstamp_del(V->db, lvol)))
			vlog(LOG_WARNING, "volume %#x: cannot forget its recorded stamp: %s",
			     lvol, strerror(err));
	}
	quiet_arm();
}

/* Every cached object of lvol is as vice has it now and promised: held
 * by a promise, with nothing local (no changes, no transfer) under way. */
static int all_promised(uint32_t lvol)
{
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			if (o->r.fid.volume != lvol || o->removed)
				continue;
			if (!o->has_cb || o->cml || o->fetch || o->store ||
			    fo_container_local(o))
				return 0;
		}
	return 1;
}

static void answered(void)
{
	void (*done)(void *arg) = S_.done;

	if (--S_.inflight || !done)
		return;
	S_.done = NULL;
	done(S_.arg);
}

/* ---- recording ---- */

static void record_done(void *arg, int err, void *res)
{
	struct vsq *q = arg;
	hs_volstamps_res *r = res;
	struct vsv *v = vsv_of(q->lvol, 0);
	hs_volstamp_res *one;

	if (v)
		v->asking = 0;
	if (!err && !r->status && v &&
	    r->hs_volstamps_res_u.ok.res.res_len == 1) {
		one = &r->hs_volstamps_res_u.ok.res.res_val[0];
		if (one->status == HS_ESTAMP && one->stamp && v->gen == q->gen &&
		    all_promised(q->lvol) && !db_volstamp_put(V->db, q->lvol, one->stamp)) {
			v->recorded = one->stamp;
			V->stats.volstamp_recorded++;
			vlog(LOG_DEBUG, "volume %#x: stamp %#" PRIx64 " recorded",
			     q->lvol, one->stamp);
		}
	}
	free(q);
	answered();
}

static void ask(uint32_t lvol, uint64_t stamp, hrpc_done_fn done)
{
	struct vsq *q = calloc(1, sizeof(*q));
	struct vsv *v = vsv_of(lvol, 1);

	if (!q || !v) {
		free(q);
		return;
	}
	q->lvol = lvol;
	q->gen = v->gen;
	q->q.volume = lvol;
	q->q.stamp = stamp;
	q->a.vols.vols_len = 1;
	q->a.vols.vols_val = &q->q;
	if (stamp)
		v->checking = 1;
	else
		v->asking = 1;
	S_.inflight++;
	vr_call_as(lvol, SRV_SELF, HS_VOLSTAMPS, (xdrproc_t)xdr_hs_volstamps, &q->a,
		   (xdrproc_t)xdr_hs_volstamps_res, sizeof(hs_volstamps_res), done, q);
}

/* Ask for the stamp of every volume that has cached objects, is up, and
 * has none recorded; all_promised decides at the answer. */
static void record_all(void)
{
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			uint32_t lvol = o->r.fid.volume;
			struct vsv *v;

			if (lvol == VR_LOCAL_VOL || !o->has_cb)
				continue;
			if (!(v = vsv_of(lvol, 1)) || v->recorded || v->asking ||
			    v->checking || !vr_is_up(lvol))
				continue;
			ask(lvol, 0, record_done);
		}
}

static void quiet_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (!S_.frozen)
		record_all();
}

void fo_vstamp_quiet(void)
{
	quiet_arm();
}

void fo_vstamp_record(void)
{
	if (!S_.frozen)
		record_all();
}

void fso_vstamp_flush(void (*done)(void *arg), void *arg)
{
	S_.done = done;
	S_.arg = arg;
	S_.inflight++;          /* held until the questions are sent */
	record_all();
	S_.frozen = 1;          /* answers still record; nothing deletes */
	answered();
}

void fso_vstamp_flush_end(void)
{
	S_.done = NULL;
	S_.arg = NULL;
}

int fso_vstamp_flush_ms(void)
{
	return FLUSH_MS;
}

/* ---- checking at start ---- */

static void check_done(void *arg, int err, void *res)
{
	struct vsq *q = arg;
	hs_volstamps_res *r = res;
	struct vsv *v = vsv_of(q->lvol, 0);
	int valid = 0;

	if (!err && !r->status && r->hs_volstamps_res_u.ok.res.res_len == 1)
		valid = r->hs_volstamps_res_u.ok.res.res_val[0].status == 0;
	if (v) {
		v->checking = 0;
		valid = valid && v->gen == q->gen;
	}
	if (valid) {
		V->stats.volstamp_valid++;
		vlog(LOG_INFO, "volume %#x: stamp valid, %zu cached objects need no validation",
		     q->lvol, fo_vol_promised(q->lvol));
	} else {
		V->stats.volstamp_changed++;
		vlog(LOG_INFO, "volume %#x: stamp refused (%s): validating its objects",
		     q->lvol, err ? strerror(err) : "changed");
		fo_vstamp_touch(q->lvol);
		if (!S_.frozen)   /* no new calls while the servers close */
			fo_valid_queue_vol(q->lvol);
	}
	free(q);
	answered();
}

void fo_vstamp_srv_up(int (*served)(uint32_t lvol, struct srv *s), struct srv *s)
{
	for (size_t i = 0; i < S_.n; i++) {
		struct vsv *v = &S_.v[i];

		if (v->recorded && !v->checking && served(v->lvol, s))
			ask(v->lvol, v->recorded, check_done);
	}
}

void fo_vstamp_vol_broken(uint32_t lvol)
{
	fo_vstamp_touch(lvol);
	if (!S_.frozen)
		fo_valid_queue_vol(lvol);
}
