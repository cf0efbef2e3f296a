/*
 * ctl_vol.c - cfs commands about volumes and servers: listvol,
 * checkvolumes, checkservers.  Text in Coda 8's wording
 * (coda-src/vtools/cfs.cc ListVolume, CheckServers).
 *
 * Hesper's connection states map onto Coda's volume states: a venus that
 * can reach vice (strongly connected or write-disconnected) shows
 * "Reachable", a disconnected one "Unreachable"; write-back shows in the
 * "Reintegration age" line.  Coda's "Resolving" (server replicas being
 * resolved) never occurs: a volume lives on one vice.  --json keeps
 * Hesper's own state names in "connection_state".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/util/util.h"
#include "venus/net/server.h"
#include "venus/log/volstate.h"
#include "venus/log/cml.h"
#include "venus/ctl/ctl_int.h"

/* Volume names as vice last told them, so listvol still names a volume
 * while disconnected. */
static struct { uint32_t id; char name[HS_MAXNAMELEN + 1]; } volnames[HS_MAXVOLS];
static unsigned nvolnames;

const char *ctl_volname(uint32_t id)
{
	for (unsigned i = 0; i < nvolnames; i++)
		if (volnames[i].id == id && volnames[i].name[0])
			return volnames[i].name;
	return "unknown";
}

static void remember_vols(const hs_vollist *l)
{
	nvolnames = 0;
	for (u_int i = 0; i < l->vols.vols_len && i < HS_MAXVOLS; i++) {
		volnames[i].id = l->vols.vols_val[i].id;
		snprintf(volnames[i].name, sizeof volnames[i].name, "%s",
			 l->vols.vols_val[i].name ? l->vols.vols_val[i].name : "");
		nvolnames++;
	}
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

/* ---- listvol ---- */

/* One volume's part of the CML (Coda keeps a CML per volume; Hesper one
 * for all, in log order). */
struct vol_cml {
	uint32_t vol;
	unsigned n, conflicts;
	uint64_t bytes;
};

static int tally_row(void *arg, struct cml_row *row)
{
	struct vol_cml *t = arg;

	if (row->obj.volume == t->vol) {
		t->n++;
		t->conflicts += row->conflict != 0;
		t->bytes += row->op == HS_OP_STORE ? row->size : 0;
	}
	return 0;
}

/* vol's records.  With one volume (the usual case) the log's own
 * counters; otherwise a walk of the log. */
static void vol_tally(uint32_t vol, struct vol_cml *t)
{
	*t = (struct vol_cml){ vol, 0, 0, 0 };
	if (nvolnames <= 1) {
		t->n = venus_cml_pending(vol);
		t->conflicts = cml_conflicts(V->cml);
		t->bytes = cml_bytes(V->cml);
		return;
	}
	cml_foreach(V->cml, NULL, tally_row, t);
}

/* Coda's VolumeStateType name for Hesper's state. */
static const char *coda_state(enum vst_state s)
{
	return s == VST_DISCONNECTED ? "Unreachable" : "Reachable";
}

static void listvol_text(struct ctl_req *r, int i, int many, uint32_t vol)
{
	unsigned age, time_;
	struct vol_cml t;
	char buf[PATH_MAX + 256];

	vst_get_mode(V->vol, &age, &time_);
	vol_tally(vol, &t);
	if (many)
		ctl_printf(r, CTLP_STDOUT, "  %s:\n", ctl_esc(r, ctl_disp(buf, sizeof buf,
			   r->argv[i])));
	ctl_printf(r, CTLP_STDOUT, "  Status of volume %08x (%u) named \"%s\"\n"
		   "  Volume type is ReadWrite\n  Connection State is %s\n"
		   "  Reintegration age: %u sec, time %.3f sec\n", vol, vol,
		   ctl_volname(vol), coda_state(vst_state(V->vol)), age, (double)time_);
	if (t.conflicts)
		ctl_printf(r, CTLP_STDOUT,
			   "  *** There are pending conflicts in this volume ***\n");
	if (t.n)
		ctl_printf(r, CTLP_STDOUT, "  There are %u CML entries pending for "
			   "reintegration (%llu bytes)\n", t.n, (unsigned long long)t.bytes);
	ctl_printf(r, CTLP_STDOUT, "\n");
}

static void listvol_json(struct ctl_req *r, int i, uint32_t vol, int *first)
{
	enum vst_state s = vst_state(V->vol);
	unsigned age, time_;
	struct vol_cml t;
	char buf[PATH_MAX + 256];

	vst_get_mode(V->vol, &age, &time_);
	vol_tally(vol, &t);
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, ctl_disp(buf, sizeof buf, r->argv[i]));
	ctl_printf(r, CTLP_STDOUT, ",\"id\":%u,\"name\":", vol);
	ctl_json_str(r, ctl_volname(vol));
	ctl_printf(r, CTLP_STDOUT, ",\"type\":\"ReadWrite\",\"connection_state\":\"%s\","
		   "\"reachability\":\"%s\",\"reintegration_age\":%u,"
		   "\"reintegration_time\":%u,\"cml_entries\":%u,\"cml_bytes\":%llu,"
		   "\"conflicts\":%u}", vst_state_name(s), coda_state(s), age, time_,
		   t.n, (unsigned long long)t.bytes, t.conflicts);
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
		} else if (r->json) {
			listvol_json(r, i, p->a.fid.volume, &first);
		} else {
			listvol_text(r, i, npaths > 1, p->a.fid.volume);
		}
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

static void listvol_names(void *arg, int err, void *res)
{
	hs_listvol_res *lr = res;

	if (!err && lr && lr->status == 0)
		remember_vols(&lr->hs_listvol_res_u.list);
	listvol_print(arg);
}

static int has_local(const struct ctl_req *r)
{
	for (int i = 0; i < r->argc; i++)
		if (!strcmp(r->argv[i], "-local"))
			return 1;
	return 0;
}

/* Ask vice for the names only when it is up and -local was not given: a
 * disconnected listvol must answer at once, not after a timeout. */
static void listvol_finish(struct ctl_req *r)
{
	if (!srv_is_up(V->srv) || has_local(r)) {
		listvol_print(r);
		return;
	}
	srv_call(V->srv, HS_LISTVOL, CTL_XDR_NONE, NULL, (xdrproc_t)xdr_hs_listvol_res,
		 sizeof(hs_listvol_res), listvol_names, r);
}

/* ---- checkvolumes ---- */

/* Coda re-validates its volume location cache; Hesper re-reads the
 * volume names from vice.  Silent on success, as Coda. */
static void checkvolumes_done(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	hs_listvol_res *lr = res;

	if (!err && lr->status)
		err = lr->status;
	if (err) {
		ctl_fail(r, err, "checkvolumes: %s: %s", srv_name(V->srv), strerror(err));
		return;
	}
	remember_vols(&lr->hs_listvol_res_u.list);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"volumes\":%u}\n", nvolnames);
	ctl_done(r, 0);
}

/* ---- checkservers ---- */

static void checkservers_done(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	int up = !err;

	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"all_up\":%s,\"servers\":[{\"name\":",
			   ctl_jbool(up));
		ctl_json_str(r, srv_name(V->srv));
		ctl_printf(r, CTLP_STDOUT, ",\"up\":%s}]}\n", ctl_jbool(up));
	} else if (up) {
		ctl_printf(r, CTLP_STDOUT, "All servers up\n");
	} else {
		ctl_printf(r, CTLP_STDOUT, "These servers still down:   %s\n", srv_name(V->srv));
	}
	ctl_done(r, 0);
}

/* Probe with HS_NULL: srv_call reconnects first if the link is down, as
 * Coda's checkservers contacts every server.  Server names are accepted
 * as Coda's; Hesper's one vice is the only server to check. */
static void cmd_checkservers(struct ctl_req *r)
{
	if (!r->json) {
		ctl_printf(r, CTLP_STDOUT, "Contacting servers .....\n");
		ctl_flush(r);
	}
	srv_call(V->srv, HS_NULL, CTL_XDR_NONE, NULL, CTL_XDR_NONE, sizeof(int),
		 checkservers_done, r);
}

void ctl_vol_run(struct ctl_req *r)
{
	const char *n = ctlp_find_cmd(r->cmd)->name;

	if (!strcmp(n, "listvol"))
		ctl_walk_start(r, listvol_finish);
	else if (!strcmp(n, "checkvolumes"))
		srv_call(V->srv, HS_LISTVOL, CTL_XDR_NONE, NULL, (xdrproc_t)xdr_hs_listvol_res,
			 sizeof(hs_listvol_res), checkvolumes_done, r);
	else
		cmd_checkservers(r);
}
