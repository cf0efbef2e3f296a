/*
 * ctl_cmds.c - the control commands cfs sends (doc/cfs.1): argument and
 * privilege checks, then one handler per command.  Text output follows
 * Coda's cfs wording; with --json each reply is one JSON object.
 *
 * Paths arrive relative to the mount point.  Commands that take paths
 * resolve them all first (walk_*), then print in argument order.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hesper/ctlproto.h>
#include "venus/venus.h"
#include "venus/fsobj.h"
#include "venus/server.h"
#include "venus/ctl.h"
#include "venus/volstate.h"
#include "venus/cml.h"

/* The CML's count (one state for every volume: Hesper serves one vice). */
unsigned venus_cml_pending(uint32_t vol)
{
	return cml_count();
}

/* ---- helpers ---- */

/* For calls without arguments: libtirpc's xdr_void takes none, so it does
 * not cast cleanly to xdrproc_t. */
static bool_t xdr_none(XDR *x, void *p)
{
	return TRUE;
}
#define XDR_NONE ((xdrproc_t)xdr_none)

void ctl_fail(struct ctl_req *r, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"error\":");
		ctl_json_str(r, msg);
		ctl_printf(r, CTLP_STDOUT, ",\"errno\":%d}\n", err);
	} else {
		ctl_printf(r, CTLP_STDERR, "%s\n", msg);
	}
	ctl_done(r, err);
}

static const char *jbool(int v)
{
	return v ? "true" : "false";
}

/* The absolute path of rel under the mount point, for messages. */
static const char *disp(char *buf, size_t n, const char *rel)
{
	const char *m = V->cfg.mountpoint;
	size_t ml = strlen(m);

	while (*rel == '/')
		rel++;
	if (!*rel)
		snprintf(buf, n, "%s", m);
	else
		snprintf(buf, n, "%s%s%s", m, ml && m[ml - 1] == '/' ? "" : "/", rel);
	return buf;
}

static void fid_str(char *buf, size_t n, const hs_fid *f)
{
	snprintf(buf, n, "%x.%x.%x", f->volume, f->vnode, f->unique);
}

static const char *realm(void)
{
	return V->cfg.realm ? V->cfg.realm : V->cfg.server ? V->cfg.server : "";
}

/* ---- resolving every path argument ---- */

struct path_res {
	int             err;
	struct fso_attr a;
};

struct walk {
	void (*finish)(struct ctl_req *r);
	int  next;          /* the argument being resolved */
	int  in_resolve;    /* inside fso_resolve */
	int  sync_done;     /* ... and it already called back */
	struct path_res res[];
};

static void walk_step(struct ctl_req *r);

static void walk_resolved(void *arg, int err, const struct fso_attr *a)
{
	struct ctl_req *r = arg;
	struct walk *w = r->state;

	w->res[w->next].err = err;
	if (!err && a)
		w->res[w->next].a = *a;
	w->next++;
	if (w->in_resolve)
		w->sync_done = 1;   /* walk_step's loop carries on */
	else
		walk_step(r);
}

/* Resolve the remaining arguments; a loop rather than recursion because
 * cached paths call back before fso_resolve returns. */
static void walk_step(struct ctl_req *r)
{
	struct walk *w = r->state;

	while (w->next < r->argc) {
		int err = ctlp_clean_path(r->argv[w->next]);

		if (err) {
			w->res[w->next++].err = err;
			continue;
		}
		w->sync_done = 0;
		w->in_resolve = 1;
		fso_resolve(r->argv[w->next], walk_resolved, r);
		w->in_resolve = 0;
		if (!w->sync_done)
			return;
	}
	w->finish(r);
}

static void walk_start(struct ctl_req *r, void (*finish)(struct ctl_req *r))
{
	struct walk *w = calloc(1, sizeof *w + (size_t)r->argc * sizeof w->res[0]);

	if (!w) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	w->finish = finish;
	r->state = w;
	walk_step(r);
}

/* Report a failed path: a stderr line, or a JSON array element. */
static void path_error(struct ctl_req *r, int i, int err, int *first)
{
	char buf[PATH_MAX + 256];

	disp(buf, sizeof buf, r->argv[i]);
	if (!r->json) {
		ctl_printf(r, CTLP_STDERR, "%s: %s\n", buf, strerror(err));
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, buf);
	ctl_printf(r, CTLP_STDOUT, ",\"error\":");
	ctl_json_str(r, strerror(err));
	ctl_printf(r, CTLP_STDOUT, ",\"errno\":%d}", err);
	*first = 0;
}

/* ---- getfid ---- */

static void getfid_one(struct ctl_req *r, int i, const struct fso_attr *a, int *first)
{
	char fid[40], buf[PATH_MAX + 256];

	fid_str(fid, sizeof fid, &a->fid);
	disp(buf, sizeof buf, r->argv[i]);
	if (!r->json) {
		ctl_printf(r, CTLP_STDOUT, "%s%sFID = %s@%s  VV = (%llu)\n",
			   r->argc > 1 ? buf : "", r->argc > 1 ? "  " : "", fid,
			   realm(), (unsigned long long)a->dataversion);
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, buf);
	ctl_printf(r, CTLP_STDOUT, ",\"fid\":\"%s\",\"volume\":%u,\"vnode\":%u,"
		   "\"unique\":%u,\"realm\":", fid, a->fid.volume, a->fid.vnode,
		   a->fid.unique);
	ctl_json_str(r, realm());
	ctl_printf(r, CTLP_STDOUT, ",\"dataversion\":%llu}",
		   (unsigned long long)a->dataversion);
	*first = 0;
}

static void getfid_finish(struct ctl_req *r)
{
	struct walk *w = r->state;
	int status = 0, first = 1;

	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"fids\":[");
	for (int i = 0; i < r->argc; i++) {
		if (w->res[i].err) {
			status = w->res[i].err;
			path_error(r, i, status, &first);
		} else {
			getfid_one(r, i, &w->res[i].a, &first);
		}
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

/* ---- flushobject ---- */

static void flush_finish(struct ctl_req *r)
{
	struct walk *w = r->state;
	char buf[PATH_MAX + 256];
	int status = 0, first = 1;

	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"results\":[");
	for (int i = 0; i < r->argc; i++) {
		int err = w->res[i].err ? w->res[i].err : fso_flush(w->res[i].a.ino);

		if (err) {
			status = err;
			path_error(r, i, err, &first);
		} else if (r->json) {
			ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", first ? "" : ",");
			ctl_json_str(r, disp(buf, sizeof buf, r->argv[i]));
			ctl_printf(r, CTLP_STDOUT, ",\"errno\":0}");
			first = 0;
		}
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

/* ---- listvol ---- */

/* Volume names as vice last told them, so listvol still names a volume
 * while disconnected. */
static struct { uint32_t id; char name[HS_MAXNAMELEN + 1]; } volnames[HS_MAXVOLS];
static unsigned nvolnames;

/* The name, or "unknown" if vice has not been reachable since start. */
static const char *volname(uint32_t id)
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

static void listvol_one(struct ctl_req *r, int i, uint32_t vol, int *first)
{
	const char *state = vst_state_name(vst_state());
	unsigned cml = venus_cml_pending(vol), nconf = cml_conflicts();
	unsigned long long bytes = (unsigned long long)cml_bytes();
	char buf[PATH_MAX + 256];

	if (!r->json) {
		ctl_printf(r, CTLP_STDOUT, "%s  Status of volume %08x (%u) named \"%s\"\n"
			   "  Volume type is ReadWrite\n  Connection State is %s\n"
			   "  There are %u CML entries pending for reintegration\n",
			   *first ? "" : "\n", vol, vol, volname(vol), state, cml);
		ctl_printf(r, CTLP_STDOUT, "  CML holds %llu bytes of store data\n", bytes);
		if (nconf)
			ctl_printf(r, CTLP_STDOUT, "  There are %u pending conflicts\n", nconf);
		*first = 0;
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, disp(buf, sizeof buf, r->argv[i]));
	ctl_printf(r, CTLP_STDOUT, ",\"id\":%u,\"name\":", vol);
	ctl_json_str(r, volname(vol));
	ctl_printf(r, CTLP_STDOUT, ",\"type\":\"ReadWrite\",\"connection_state\":\"%s\","
		   "\"cml_entries\":%u,\"cml_bytes\":%llu,\"conflicts\":%u}", state, cml,
		   bytes, nconf);
	*first = 0;
}

static int net_error(int err)
{
	return err == ETIMEDOUT || err == ECONNREFUSED || err == ECONNRESET ||
	       err == ECONNABORTED || err == ENOTCONN || err == EHOSTUNREACH ||
	       err == ENETUNREACH;
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

/* While vice is unreachable a path may not resolve; its volume is then
 * that of its deepest cached ancestor (Coda's listvol -local).  0 or the
 * original error. */
static int guess_volume(const char *rel, int err, uint32_t *vol)
{
	struct vol_guess g = { rel, 0, 0 };

	if (!net_error(err))
		return err;
	fso_foreach_cached(guess_each, &g);
	*vol = g.vol;
	return g.best ? 0 : err;
}

static void listvol_print(struct ctl_req *r)
{
	struct walk *w = r->state;
	int status = 0, first = 1;

	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"volumes\":[");
	for (int i = 0; i < r->argc; i++) {
		if (w->res[i].err)
			w->res[i].err = guess_volume(r->argv[i], w->res[i].err,
						     &w->res[i].a.fid.volume);
		if (w->res[i].err) {
			status = w->res[i].err;
			path_error(r, i, status, &first);
		} else {
			listvol_one(r, i, w->res[i].a.fid.volume, &first);
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

/* Ask vice for the names only when it is up: a disconnected listvol must
 * answer at once, not after a reconnect timeout. */
static void listvol_finish(struct ctl_req *r)
{
	if (!srv_is_up()) {
		listvol_print(r);
		return;
	}
	srv_call(HS_LISTVOL, XDR_NONE, NULL, (xdrproc_t)xdr_hs_listvol_res,
		 sizeof(hs_listvol_res), listvol_names, r);
}

/* ---- listcache ---- */

struct lc_ctx {
	struct ctl_req *r;
	const char     *prefix;   /* clean mount-relative path, "" = all */
	int             first;
};

static const char *type_name(mode_t t)
{
	return S_ISDIR(t) ? "dir" : S_ISLNK(t) ? "link" : "file";
}

/* Is the cached object at path (mount-relative) under prefix? */
static int below(const char *path, const char *prefix, uint64_t ino)
{
	size_t n = strlen(prefix);

	if (!n)
		return 1;
	if (ino == FSO_ROOT_INO)
		return 0;
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

static void lc_text(struct ctl_req *r, const struct fso_cacheinfo *ci,
		    const char *fid, const char *path)
{
	ctl_printf(r, CTLP_STDOUT, "%-20s %-4s %12llu %c%c%c %s\n", fid,
		   type_name(ci->type), (unsigned long long)ci->size,
		   ci->has_data ? 'd' : '-', ci->has_callback ? 'c' : '-',
		   ci->open ? 'o' : '-', path ? path : "?");
}

static void lc_json(struct lc_ctx *x, const struct fso_cacheinfo *ci,
		    const char *fid, const char *path)
{
	struct ctl_req *r = x->r;

	ctl_printf(r, CTLP_STDOUT, "%s{\"fid\":\"%s\",\"ino\":%llu,\"type\":\"%s\","
		   "\"size\":%llu,\"has_data\":%s,\"has_callback\":%s,\"open\":%d,"
		   "\"path\":", x->first ? "" : ",", fid, (unsigned long long)ci->ino,
		   type_name(ci->type), (unsigned long long)ci->size,
		   jbool(ci->has_data), jbool(ci->has_callback), ci->open);
	if (path)
		ctl_json_str(r, path);
	else
		ctl_printf(r, CTLP_STDOUT, "null");
	ctl_printf(r, CTLP_STDOUT, "}");
	x->first = 0;
}

static void lc_each(void *arg, const struct fso_cacheinfo *ci)
{
	struct lc_ctx *x = arg;
	const char *rel = ci->path;
	char fid[40], buf[PATH_MAX + 256];
	const char *path = NULL;

	while (*rel == '/')
		rel++;
	if (!below(rel, x->prefix, ci->ino))
		return;
	if (*rel || ci->ino == FSO_ROOT_INO)
		path = disp(buf, sizeof buf, rel);
	fid_str(fid, sizeof fid, &ci->fid);
	if (x->r->json)
		lc_json(x, ci, fid, path);
	else
		lc_text(x->r, ci, fid, path);
}

static void listcache_finish(struct ctl_req *r)
{
	struct walk *w = r->state;
	struct lc_ctx x = { r, r->argc ? r->argv[0] : "", 1 };

	if (r->argc && w->res[0].err) {
		char buf[PATH_MAX + 256];

		ctl_fail(r, w->res[0].err, "%s: %s", disp(buf, sizeof buf, r->argv[0]),
		     strerror(w->res[0].err));
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"objects\":[");
	fso_foreach_cached(lc_each, &x);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, 0);
}

/* ---- listmissing ---- */

static void lm_each(void *arg, const struct fso_cacheinfo *ci)
{
	struct lc_ctx *x = arg;
	char fid[40], buf[PATH_MAX + 256];
	const char *rel = ci->path, *path;

	if (!ci->missed || ci->has_data)
		return;
	while (*rel == '/')
		rel++;
	path = *rel ? disp(buf, sizeof buf, rel) : "?";
	fid_str(fid, sizeof fid, &ci->fid);
	if (!x->r->json) {
		ctl_printf(x->r, CTLP_STDOUT, "%s (fid %s): not cached\n", path, fid);
		return;
	}
	ctl_printf(x->r, CTLP_STDOUT, "%s{\"fid\":\"%s\",\"path\":", x->first ? "" : ",", fid);
	ctl_json_str(x->r, path);
	ctl_printf(x->r, CTLP_STDOUT, "}");
	x->first = 0;
}

/* Objects a fetch was refused for while vice was unreachable (Coda makes
 * such misses visible so the user can hoard them next time). */
static void cmd_listmissing(struct ctl_req *r)
{
	struct lc_ctx x = { r, "", 1 };

	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"missing\":[");
	fso_foreach_cached(lm_each, &x);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, 0);
}

/* ---- counters ---- */

#define STAT(f) { #f, offsetof(struct venus_stats, f) }
static const struct { const char *name; size_t off; } venus_counters[] = {
	STAT(fetches), STAT(fetch_bytes), STAT(stores), STAT(store_bytes),
	STAT(stores_skipped), STAT(cache_hits), STAT(cache_misses),
	STAT(callback_breaks), STAT(evictions), STAT(zone_yellow_delays),
	STAT(zone_red_stalls),
};
#undef STAT

/* Print name/value pairs as "name value" lines or one JSON object. */
static void print_counters(struct ctl_req *r, const char *const *names,
			   const uint64_t *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r->json)
			ctl_printf(r, CTLP_STDOUT, "%s\"%s\":%llu", i ? "," : "{",
				   names[i], (unsigned long long)vals[i]);
		else
			ctl_printf(r, CTLP_STDOUT, "%s %llu\n", names[i],
				   (unsigned long long)vals[i]);
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "}\n");
}

static void cmd_stats(struct ctl_req *r)
{
	enum { N = sizeof venus_counters / sizeof venus_counters[0] };
	const char *names[N];
	uint64_t vals[N];

	for (size_t i = 0; i < N; i++) {
		names[i] = venus_counters[i].name;
		memcpy(&vals[i], (const char *)&V->stats + venus_counters[i].off,
		       sizeof vals[i]);
	}
	print_counters(r, names, vals, N);
	ctl_done(r, 0);
}

static void serverstats_done(void *arg, int err, void *res)
{
	static const char *const names[] = { "stores", "store_bytes", "fetches",
		"fetch_bytes", "dup_stores", "breaks", "clients" };
	struct ctl_req *r = arg;
	hs_stats_res *sr = res;
	const hs_server_stats *s;

	if (!err && sr->status)
		err = sr->status;
	if (err) {
		ctl_fail(r, err, "serverstats: %s: %s", srv_name(), strerror(err));
		return;
	}
	s = &sr->hs_stats_res_u.stats;
	uint64_t vals[] = { s->stores, s->store_bytes, s->fetches, s->fetch_bytes,
			    s->dup_stores, s->breaks, s->clients };
	print_counters(r, names, vals, sizeof vals / sizeof vals[0]);
	ctl_done(r, 0);
}

static void cmd_serverstats(struct ctl_req *r)
{
	srv_call(HS_STATS, XDR_NONE, NULL, (xdrproc_t)xdr_hs_stats_res,
		 sizeof(hs_stats_res), serverstats_done, r);
}

/* ---- checkservers ---- */

static void checkservers_done(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	int up = !err;

	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"all_up\":%s,\"servers\":[{\"name\":",
			   jbool(up));
		ctl_json_str(r, srv_name());
		ctl_printf(r, CTLP_STDOUT, ",\"up\":%s}]}\n", jbool(up));
	} else if (up) {
		ctl_printf(r, CTLP_STDOUT, "All servers up\n");
	} else {
		ctl_printf(r, CTLP_STDOUT, "These servers still down: %s\n", srv_name());
	}
	ctl_done(r, 0);
}

/* Probe with HS_NULL: srv_call reconnects first if the link is down, as
 * Coda's checkservers contacts every server. */
static void cmd_checkservers(struct ctl_req *r)
{
	srv_call(HS_NULL, XDR_NONE, NULL, XDR_NONE,
		 sizeof(int), checkservers_done, r);
}

/* ---- mountpoint, help ---- */

static void cmd_mountpoint(struct ctl_req *r)
{
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"mountpoint\":");
		ctl_json_str(r, V->cfg.mountpoint);
		ctl_printf(r, CTLP_STDOUT, "}\n");
	} else {
		ctl_printf(r, CTLP_STDOUT, "%s\n", V->cfg.mountpoint);
	}
	ctl_done(r, 0);
}

static void help_one(struct ctl_req *r, const struct ctlp_cmd *c, int first)
{
	if (!r->json) {
		char head[64];

		snprintf(head, sizeof head, "%s%s%s%s", c->name, c->alias ? " (" : "",
			 c->alias ? c->alias : "", c->alias ? ")" : "");
		ctl_printf(r, CTLP_STDOUT, "  %-19s %-10s %s\n", head, c->usage, c->summary);
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"name\":\"%s\",\"alias\":", first ? "" : ",",
		   c->name);
	if (c->alias)
		ctl_json_str(r, c->alias);
	else
		ctl_printf(r, CTLP_STDOUT, "null");
	ctl_printf(r, CTLP_STDOUT, ",\"usage\":");
	ctl_json_str(r, c->usage);
	ctl_printf(r, CTLP_STDOUT, ",\"summary\":");
	ctl_json_str(r, c->summary);
	ctl_printf(r, CTLP_STDOUT, ",\"privileged\":%s}", jbool(c->privileged));
}

static void cmd_help(struct ctl_req *r)
{
	const struct ctlp_cmd *only = r->argc ? ctlp_find_cmd(r->argv[0]) : NULL;
	int first = 1;

	if (r->argc && !only) {
		ctl_fail(r, EINVAL, "Unknown command \"%s\"", r->argv[0]);
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"commands\":[");
	else if (!only)
		ctl_printf(r, CTLP_STDOUT, "Commands:\n");
	for (const struct ctlp_cmd *c = ctlp_cmds; c->name; c++) {
		if (only && c != only)
			continue;
		help_one(r, c, first);
		first = 0;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, 0);
}

static void cmd_listvol(struct ctl_req *r)
{
	walk_start(r, listvol_finish);
}

static void cmd_getfid(struct ctl_req *r)
{
	walk_start(r, getfid_finish);
}

static void cmd_flushobject(struct ctl_req *r)
{
	walk_start(r, flush_finish);
}

static void cmd_listcache(struct ctl_req *r)
{
	walk_start(r, listcache_finish);
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	void (*run)(struct ctl_req *r);
} handlers[] = {
	{ "checkservers", cmd_checkservers },
	{ "listvol", cmd_listvol },
	{ "getfid", cmd_getfid },
	{ "flushobject", cmd_flushobject },
	{ "listcache", cmd_listcache },
	{ "listmissing", cmd_listmissing },
	{ "stats", cmd_stats },
	{ "serverstats", cmd_serverstats },
	{ "mountpoint", cmd_mountpoint },
	{ "help", cmd_help },
	{ "disconnect", ctl_cml_run },
	{ "reconnect", ctl_cml_run },
	{ "writedisconnect", ctl_cml_run },
	{ "adaptive", ctl_cml_run },
	{ "strong", ctl_cml_run },
	{ "forcereintegrate", ctl_cml_run },
	{ "conflicts", ctl_cml_run },
	{ "listlocal", ctl_cml_run },
	{ "checklocal", ctl_cml_run },
	{ "discardlocal", ctl_cml_run },
	{ "preservelocal", ctl_cml_run },
	{ "checkpointml", ctl_cml_run },
	{ "zonelimit", ctl_cml_run },
};

/* ---- registered command tables ---- */

static struct ctl_ext *exts;

void ctl_register(struct ctl_ext *ext)
{
	ext->next = exts;
	exts = ext;
}

/* A command of a registered table, and its table in *ext. */
static const struct ctlp_cmd *find_ext(const char *name, struct ctl_ext **ext)
{
	for (*ext = exts; *ext; *ext = (*ext)->next)
		for (const struct ctlp_cmd *c = (*ext)->cmds; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

static int privileged(const struct ctl_req *r)
{
	return r->uid == 0 || r->uid == geteuid();
}

void ctl_dispatch(struct ctl_req *r)
{
	struct ctl_ext *ext = NULL;
	const struct ctlp_cmd *c = ctlp_find_cmd(r->cmd);

	if (!c)
		c = find_ext(r->cmd, &ext);
	if (!c) {
		ctl_fail(r, EINVAL, "Unknown command \"%s\"", r->cmd);
		return;
	}
	if (!ctlp_args_ok(c, r->argc)) {
		ctl_fail(r, EINVAL, "Usage: cfs %s%s%s", c->name, *c->usage ? " " : "", c->usage);
		return;
	}
	if (c->privileged && !privileged(r)) {
		ctl_fail(r, EACCES, "%s: %s", c->name, strerror(EACCES));
		return;
	}
	if (ext) {
		ext->run(r, c);
		return;
	}
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (!strcmp(handlers[i].name, c->name)) {
			handlers[i].run(r);
			return;
		}
	/* The shared table names a command this venus has no handler for: a
	 * build inconsistency, reported rather than crashing on. */
	ctl_fail(r, EPROTO, "internal error: no handler for %s", c->name);
}
