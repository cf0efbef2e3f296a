/*
 * ctl_vol.c - cfs commands about volumes and servers: listvol,
 * checkvolumes, checkservers.  Text in Coda 8's wording
 * (coda-src/vtools/cfs.cc ListVolume, CheckServers).
 *
 * Hesper's connection states map onto Coda's volume states, per volume
 * (vst_of: one server down makes only its volumes disconnected): a volume
 * whose server venus can reach (strongly connected or write-disconnected)
 * shows "Reachable", a disconnected one "Unreachable"; write-back shows in
 * the "Reintegration age" line; the quota lines come from the volume's
 * server (HS_GETVOLSTAT) while it is reachable.  Coda's "Resolving" (server replicas being
 * resolved) never occurs: a volume lives on one vice.  --json keeps
 * Hesper's own state names in "connection_state".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/util/util.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/log/volstate.h"
#include "venus/log/cml.h"
#include "venus/repair/reint.h"
#include "venus/ctl/ctl_int.h"

/* The name venus's volume registry learnt (VLDB, mount points). */
const char *ctl_volname(uint32_t id)
{
	const char *n = vr_volume_name(id);

	return n && *n ? n : "unknown";
}

struct vol_guess {
	const char *rel;       /* clean mount-relative path */
	size_t      best;      /* length + 1 of the deepest cached ancestor */
	uint32_t    vol;
};

static void guess_each(void *arg, const struct fso_cacheinfo *ci)
{
	struct vol_guess *g = arg;
	const char *p = ci->path;
	size_t n;

	while (*p == '/')
		p++;
	n = strlen(p);
	if (ci->ino != FSO_ROOT_INO && (!n || strncmp(g->rel, p, n) ||
					(g->rel[n] && g->rel[n] != '/')))
		return;
	if (ci->ino == FSO_ROOT_INO)
		n = 0;
	if (n + 1 > g->best) {
		g->best = n + 1;
		g->vol = ci->fid.volume;
	}
}

int ctl_guess_volume(const char *rel, int err, uint32_t *vol)
{
	struct vol_guess g = { rel, 0, 0 };

	if (!vu_net_error(err))
		return err;
	fso_foreach_cached(guess_each, &g);
	*vol = g.vol;
	return g.best ? 0 : err;
}

uint32_t ctl_cached_volume(const char *rel)
{
	char clean[PATH_MAX];
	struct vol_guess g = { clean, 0, 0 };

	snprintf(clean, sizeof clean, "%s", rel);
	if (ctlp_clean_path(clean))
		clean[0] = '\0';
	fso_foreach_cached(guess_each, &g);
	return g.vol;
}

int ctl_realmdir_error(struct ctl_req *r, int i, int *first)
{
	char buf[PATH_MAX + 256];

	if (r->json) {
		ctl_path_error(r, i, EINVAL, first);
		return EINVAL;
	}
	ctl_disp(buf, sizeof buf, r->argv[i]);
	ctl_printf(r, CTLP_STDERR, "%s: %s (venus's directory of realms holds no "
		   "volume; a realm's is %s/%s)\n", ctl_esc(r, buf), strerror(EINVAL),
		   ctl_esc(r, buf), ctl_esc(r, vr_realm0()));
	return EINVAL;
}

/* ---- listvol ---- */

/* One volume's part of the CML (Coda keeps a CML per volume; Hesper one
 * for all, in log order). */
struct vol_cml {
	uint32_t vol;
	unsigned n, conflicts;
	unsigned quota;    /* records held for quota (vice said EDQUOT) */
	uint64_t bytes;
};

static int tally_row(void *arg, struct cml_row *row)
{
	struct vol_cml *t = arg;

	if (row->obj.volume == t->vol) {
		t->n++;
		t->conflicts += row->conflict != 0;
		t->quota += row->conflict == EDQUOT;
		t->bytes += row->op == HS_OP_STORE ? row->size : 0;
	}
	return 0;
}

/* vol's records: a walk of the log (its rows carry their volume). */
static void vol_tally(uint32_t vol, struct vol_cml *t)
{
	*t = (struct vol_cml){ vol, 0, 0, 0, 0 };
	cml_foreach(V->cml, NULL, tally_row, t);
}

/* Coda's VolumeStateType name for Hesper's state. */
static const char *coda_state(enum vst_state s)
{
	return s == VST_DISCONNECTED ? "Unreachable" : "Reachable";
}

/* The volume's name: vice's answer, else what the registry learnt. */
static const char *vs_name(uint32_t vol, const struct ctl_volstat *vs)
{
	return vs->have && vs->name[0] ? vs->name : ctl_volname(vol);
}

/* Coda prints the quota lines only when vice told them (reachable, not
 * -local). */
static void quota_text(struct ctl_req *r, const struct ctl_volstat *vs)
{
	char max[32];

	if (!vs->have)
		return;
	if (vs->max_quota)
		snprintf(max, sizeof max, "%llu", (unsigned long long)vs->max_quota);
	else
		snprintf(max, sizeof max, "unlimited");
	ctl_printf(r, CTLP_STDOUT, "  Minimum quota is %llu, maximum quota is %s\n"
		   "  Current blocks used are %llu\n"
		   "  The partition has %llu blocks available out of %llu\n",
		   (unsigned long long)vs->min_quota, max,
		   (unsigned long long)vs->blocks_used, (unsigned long long)vs->part_avail,
		   (unsigned long long)vs->part_total);
}

static void listvol_text(struct ctl_req *r, int i, int many, uint32_t vol,
			 const struct ctl_volstat *vs)
{
	unsigned age, time_, nw;
	uid_t wu[8];
	struct vol_cml t;
	struct volume *w = vst_of(vol);
	char buf[PATH_MAX + 256];

	vst_get_mode(w, &age, &time_);
	vol_tally(vol, &t);
	if (many)
		ctl_printf(r, CTLP_STDOUT, "  %s:\n", ctl_esc(r, ctl_disp(buf, sizeof buf,
			   r->argv[i])));
	ctl_printf(r, CTLP_STDOUT, "  Status of volume %08x (%u) named \"%s\"\n"
		   "  Volume type is ReadWrite\n  Connection State is %s\n"
		   "  Reintegration age: %u sec, time %.3f sec\n", vr_volid_of(vol),
		   vr_volid_of(vol), ctl_esc(r, vs_name(vol, vs)), coda_state(vst_state(w)),
		   age, (double)time_);
	quota_text(r, vs);
	if (t.conflicts)
		ctl_printf(r, CTLP_STDOUT,
			   "  *** There are pending conflicts in this volume ***\n");
	if (t.n)
		ctl_printf(r, CTLP_STDOUT, "  There are %u CML entries pending for "
			   "reintegration (%llu bytes)\n", t.n, (unsigned long long)t.bytes);
	/* They wait for the admin to raise the quota (cfs reconnect resends). */
	if (t.quota)
		ctl_printf(r, CTLP_STDOUT, "  %u CML entries held: over quota\n", t.quota);
	/* Users whose records wait for a token (reint.h): clog resumes them. */
	nw = V->reint ? reint_waiting(V->reint, wu, NULL, 8) : 0;
	for (unsigned k = 0; k < nw; k++)
		ctl_printf(r, CTLP_STDOUT, "  *** Reintegration pending tokens for uid %u ***\n",
			   (unsigned)wu[k]);
	ctl_printf(r, CTLP_STDOUT, "\n");
}

static void quota_json(struct ctl_req *r, const struct ctl_volstat *vs)
{
	if (!vs->have)
		return;
	ctl_printf(r, CTLP_STDOUT, ",\"min_quota\":%llu,\"max_quota\":%llu,"
		   "\"blocks_used\":%llu,\"partition_available\":%llu,"
		   "\"partition_total\":%llu", (unsigned long long)vs->min_quota,
		   (unsigned long long)vs->max_quota, (unsigned long long)vs->blocks_used,
		   (unsigned long long)vs->part_avail, (unsigned long long)vs->part_total);
}

static void listvol_json(struct ctl_req *r, int i, uint32_t vol,
			 const struct ctl_volstat *vs, int *first)
{
	struct volume *w = vst_of(vol);
	enum vst_state s = vst_state(w);
	unsigned age, time_;
	struct vol_cml t;
	char buf[PATH_MAX + 256];

	vst_get_mode(w, &age, &time_);
	vol_tally(vol, &t);
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, ctl_disp(buf, sizeof buf, r->argv[i]));
	ctl_printf(r, CTLP_STDOUT, ",\"id\":%u,\"name\":", vr_volid_of(vol));
	ctl_json_str(r, vs_name(vol, vs));
	ctl_printf(r, CTLP_STDOUT, ",\"realm\":");
	ctl_json_str(r, ctl_realm_of(vol));
	ctl_printf(r, CTLP_STDOUT, ",\"server\":");
	ctl_json_str(r, vr_server_name(vol) ? vr_server_name(vol) : "");
	ctl_printf(r, CTLP_STDOUT, ",\"type\":\"ReadWrite\",\"connection_state\":\"%s\","
		   "\"reachability\":\"%s\",\"reintegration_age\":%u,"
		   "\"reintegration_time\":%u,\"cml_entries\":%u,\"cml_bytes\":%llu,"
		   "\"conflicts\":%u,\"quota_held\":%u", vst_state_name(s), coda_state(s),
		   age, time_, t.n, (unsigned long long)t.bytes, t.conflicts, t.quota);
	quota_json(r, vs);
	ctl_printf(r, CTLP_STDOUT, "}");
	*first = 0;
}

static void listvol_print(struct ctl_req *r)
{
	struct ctl_walk *w = r->state;
	int status = 0, first = 1, npaths = 0;

	for (int i = 0; i < r->argc; i++)
		npaths += w->res[i].err != -1;
	if (!npaths) {
		ctl_fail(r, EINVAL, "Usage: cfs listvol [-local] PATH...");
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"volumes\":[");
	for (int i = 0; i < r->argc; i++) {
		struct ctl_path_res *p = &w->res[i];

		if (p->err == -1)
			continue;
		if (p->err)
			p->err = ctl_guess_volume(r->argv[i], p->err, &p->a.fid.volume);
		if (p->err) {
			status = p->err;
			ctl_path_error(r, i, status, &first);
		} else if (vr_realm_of(p->a.fid.volume) == VR_LOCAL_REALM) {
			status = ctl_realmdir_error(r, i, &first);
		} else if (r->json) {
			listvol_json(r, i, p->a.fid.volume, &p->vs, &first);
		} else {
			listvol_text(r, i, npaths > 1, p->a.fid.volume, &p->vs);
		}
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

static int has_local(const struct ctl_req *r)
{
	for (int i = 0; i < r->argc; i++)
		if (!strcmp(r->argv[i], "-local"))
			return 1;
	return 0;
}

static void listvol_step(struct ctl_req *r);

static void listvol_got(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	struct ctl_walk *w = r->state;
	hs_volstat_res *vr = res;
	struct ctl_path_res *p = &w->res[w->cursor];

	if (!err && vr && vr->status == 0) {
		const hs_volstat *st = &vr->hs_volstat_res_u.st;

		p->vs = (struct ctl_volstat){ 1, st->min_quota, st->max_quota,
					      st->blocks_used, st->part_avail,
					      st->part_total, "" };
		snprintf(p->vs.name, sizeof p->vs.name, "%s", st->name ? st->name : "");
	}
	w->cursor++;
	listvol_step(r);
}

/* Ask each path's volume's server for its status (HS_GETVOLSTAT), one
 * after the other, only while that server is up: an unreachable volume
 * answers at once from venus's own state, as Coda's does. */
static void listvol_step(struct ctl_req *r)
{
	struct ctl_walk *w = r->state;

	while (w->cursor < r->argc) {
		struct ctl_path_res *p = &w->res[w->cursor];
		uint32_t lvol = p->a.fid.volume;
		unsigned id = vr_volid_of(lvol);

		if (p->err || vr_realm_of(lvol) == VR_LOCAL_REALM || !vr_is_up(lvol) ||
		    vst_state(vst_of(lvol)) == VST_DISCONNECTED) {
			w->cursor++;
			continue;
		}
		vr_call_as(lvol, r->uid, HS_GETVOLSTAT, (xdrproc_t)xdr_u_int, &id,
			   (xdrproc_t)xdr_hs_volstat_res, sizeof(hs_volstat_res),
			   listvol_got, r);
		return;
	}
	listvol_print(r);
}

/* -local answers from venus alone (Coda: no quota lines). */
static void listvol_finish(struct ctl_req *r)
{
	if (has_local(r)) {
		listvol_print(r);
		return;
	}
	listvol_step(r);
}

/* ---- checkvolumes ---- */

struct vol_set {
	uint32_t vols[HS_MAXVOLS];
	unsigned n;
};

static void collect_vol(void *arg, const struct fso_cacheinfo *ci)
{
	struct vol_set *s = arg;
	unsigned k;

	if (vr_realm_of(ci->fid.volume) == VR_LOCAL_REALM)
		return;
	for (k = 0; k < s->n && s->vols[k] != ci->fid.volume; k++)
		;
	if (k == s->n && s->n < HS_MAXVOLS)
		s->vols[s->n++] = ci->fid.volume;
}

/* Coda re-validates its volume location cache (VIOCCKBACK): venus forgets
 * where each volume it caches lives, so the next call asks the VLDB (a
 * moved or renamed volume is found again).  Silent on success, as Coda. */
static void cmd_checkvolumes(struct ctl_req *r)
{
	struct vol_set *s = calloc(1, sizeof *s);

	if (!s) {
		ctl_fail(r, ENOMEM, "VIOC_VIOCCKBACK: %s", strerror(ENOMEM));
		return;
	}
	fso_foreach_cached(collect_vol, s);
	for (unsigned k = 0; k < s->n; k++)
		vr_forget_location(s->vols[k]);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"volumes\":%u}\n", s->n);
	free(s);
	ctl_done(r, 0);
}

/* ---- checkservers ---- */

/* Every server venus has a connection to, probed at once; the reply
 * waits for the last answer (each bounded by the call timeout). */
struct cs_state {
	struct ctl_req *r;
	unsigned        pending;   /* probes out, +1 while they are sent */
	unsigned        n;
	struct cs_srv { struct srv *s; int err; } srv[64];
};

static void cs_report(struct cs_state *c)
{
	struct ctl_req *r = c->r;
	int up = 1;

	for (unsigned k = 0; k < c->n; k++)
		up &= !c->srv[k].err;
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"all_up\":%s,\"servers\":[", ctl_jbool(up));
		for (unsigned k = 0; k < c->n; k++) {
			ctl_printf(r, CTLP_STDOUT, "%s{\"name\":", k ? "," : "");
			ctl_json_str(r, srv_name(c->srv[k].s));
			ctl_printf(r, CTLP_STDOUT, ",\"up\":%s}", ctl_jbool(!c->srv[k].err));
		}
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	} else if (up) {
		ctl_printf(r, CTLP_STDOUT, "All servers up\n");
	} else {
		ctl_printf(r, CTLP_STDOUT, "These servers still down:");
		for (unsigned k = 0; k < c->n; k++)
			if (c->srv[k].err)
				ctl_printf(r, CTLP_STDOUT, "   %s", srv_name(c->srv[k].s));
		ctl_printf(r, CTLP_STDOUT, "\n");
	}
	free(c);
	ctl_done(r, 0);
}

struct cs_probe {
	struct cs_state *c;
	unsigned         k;
};

static void cs_one_done(void *arg, int err)
{
	struct cs_probe *p = arg;
	struct cs_state *c = p->c;

	c->srv[p->k].err = err;
	free(p);
	if (--c->pending == 0)
		cs_report(c);
}

static void cs_add(void *arg, struct srv *s)
{
	struct cs_state *c = arg;

	if (c->n < sizeof c->srv / sizeof c->srv[0])
		c->srv[c->n++] = (struct cs_srv){ s, 0 };
}

/* Probe with HS_NULL: srv_ping reconnects first if the link is down, as
 * Coda's checkservers contacts every server.  Server names are accepted
 * as Coda's; every server venus knows is checked. */
static void cmd_checkservers(struct ctl_req *r)
{
	struct cs_state *c = calloc(1, sizeof *c);

	if (!c) {
		ctl_fail(r, ENOMEM, "checkservers: %s", strerror(ENOMEM));
		return;
	}
	c->r = r;
	if (!r->json) {
		ctl_printf(r, CTLP_STDOUT, "Contacting servers .....\n");
		ctl_flush(r);
	}
	vr_srv_foreach(cs_add, c);
	c->pending = c->n + 1;
	for (unsigned k = 0; k < c->n; k++) {
		struct cs_probe *p = malloc(sizeof *p);

		if (!p) {
			c->srv[k].err = ENOMEM;
			c->pending--;
			continue;
		}
		*p = (struct cs_probe){ c, k };
		srv_ping(c->srv[k].s, cs_one_done, p);
	}
	if (--c->pending == 0)
		cs_report(c);
}

void ctl_vol_run(struct ctl_req *r)
{
	const char *n = ctlp_find_cmd(r->cmd)->name;

	if (!strcmp(n, "listvol"))
		ctl_walk_start(r, listvol_finish);
	else if (!strcmp(n, "checkvolumes"))
		cmd_checkvolumes(r);
	else
		cmd_checkservers(r);
}
