/*
 * ctl_cmds.c - the control commands cfs sends (doc/cfs.1): argument and
 * privilege checks and dispatch, the helpers the command files share
 * (ctl_int.h), and the cache listings, counters and help.  Text output
 * follows Coda 8's cfs wording; with --json each reply is one JSON object.
 *
 * Paths arrive relative to the mount point.  Commands that take paths
 * resolve them all first (ctl_walk_*), as the caller (the mount's view:
 * venus itself is System:AnyUser), then print in argument order.
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
#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/ctl/ctl.h"
#include "venus/ctl/ctl_int.h"
#include "venus/log/volstate.h"
#include "venus/log/cml.h"

/* The CML's count (one state for every volume: Hesper serves one vice). */
unsigned venus_cml_pending(uint32_t vol)
{
	return cml_count(V->cml);
}

/* ---- helpers ---- */

bool_t ctl_xdr_none(XDR *x, void *p)
{
	return TRUE;
}

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
		/* a name in msg must not end the line early */
		ctl_printf(r, CTLP_STDERR, "%s\n", ctl_esc_controls(r, msg));
	}
	ctl_done(r, err);
}

const char *ctl_jbool(int v)
{
	return v ? "true" : "false";
}

const char *ctl_disp(char *buf, size_t n, const char *rel)
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

/* The volume part is vice's volume id: the realm goes after '@'. */
void ctl_fid_str(char *buf, size_t n, const hs_fid *f)
{
	snprintf(buf, n, "%x.%x.%x", vr_volid_of(f->volume), f->vnode, f->unique);
}

const char *ctl_realm(void)
{
	return V->cfg.realm ? V->cfg.realm : V->cfg.server ? V->cfg.server : "";
}

const char *ctl_realm_of(uint32_t lvol)
{
	const char *n = vr_realm_of(lvol) ? vr_realm_name(vr_realm_of(lvol)) : NULL;

	return n ? n : ctl_realm();
}

/* ---- resolving every path argument ---- */

static void walk_step(struct ctl_req *r);

static void walk_resolved(void *arg, int err, const struct fso_attr *a)
{
	struct ctl_req *r = arg;
	struct ctl_walk *w = r->state;

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
	struct ctl_walk *w = r->state;

	const struct ctlp_cmd *c = ctlp_find_cmd(r->cmd);

	while (w->next < r->argc) {
		const char *arg = r->argv[w->next];
		int err;

		if (c && c->args == CTLP_ARGS_PATHWORD && w->next > 0) {
			w->res[w->next++].err = -1;   /* VOLUME, BLOCKS */
			continue;
		}
		if (arg[0] == '-') {   /* an option, not a path */
			w->res[w->next++].err = -1;
			if (c && ctlp_opt_has_value(c, arg) && w->next < r->argc)
				w->res[w->next++].err = -1;
			continue;
		}
		err = ctlp_clean_path(r->argv[w->next]);

		if (err) {
			w->res[w->next++].err = err;
			continue;
		}
		w->sync_done = 0;
		w->in_resolve = 1;
		/* as the caller, as the mount would: venus alone is
		 * System:AnyUser, refused in every private directory */
		fso_resolve_as(r->argv[w->next], r->uid, walk_resolved, r);
		w->in_resolve = 0;
		if (!w->sync_done)
			return;
	}
	w->finish(r);
}

void ctl_walk_start(struct ctl_req *r, void (*finish)(struct ctl_req *r))
{
	struct ctl_walk *w = calloc(1, sizeof *w + (size_t)r->argc * sizeof w->res[0]);

	if (!w) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	w->finish = finish;
	r->state = w;
	walk_step(r);
}

void ctl_path_error(struct ctl_req *r, int i, int err, int *first)
{
	char buf[PATH_MAX + 256];

	ctl_disp(buf, sizeof buf, r->argv[i]);
	if (!r->json) {
		ctl_printf(r, CTLP_STDERR, "%s: %s\n", ctl_esc(r, buf), strerror(err));
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, buf);
	ctl_printf(r, CTLP_STDOUT, ",\"error\":");
	ctl_json_str(r, strerror(err));
	ctl_printf(r, CTLP_STDOUT, ",\"errno\":%d}", err);
	*first = 0;
}

/* ---- listcache ---- */

struct lc_ctx {
	struct ctl_req  *r;
	const char      *prefix;   /* clean mount-relative path, "" = all */
	int              first;
	struct ctl_view *view;     /* what r's peer may see */
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
		   ci->open ? 'o' : '-', path ? ctl_esc(r, path) : "?");
}

static void lc_json(struct lc_ctx *x, const struct fso_cacheinfo *ci,
		    const char *fid, const char *path)
{
	struct ctl_req *r = x->r;

	ctl_printf(r, CTLP_STDOUT, "%s{\"fid\":\"%s\",\"ino\":%llu,\"type\":\"%s\","
		   "\"size\":%llu,\"has_data\":%s,\"has_callback\":%s,\"open\":%d,"
		   "\"path\":", x->first ? "" : ",", fid, (unsigned long long)ci->ino,
		   type_name(ci->type), (unsigned long long)ci->size,
		   ctl_jbool(ci->has_data), ctl_jbool(ci->has_callback), ci->open);
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
	if (!below(rel, x->prefix, ci->ino) || !ctl_view_obj(x->view, ci->ino))
		return;
	if (*rel || ci->ino == FSO_ROOT_INO)
		path = ctl_disp(buf, sizeof buf, rel);
	ctl_fid_str(fid, sizeof fid, &ci->fid);
	if (x->r->json)
		lc_json(x, ci, fid, path);
	else
		lc_text(x->r, ci, fid, path);
}

static void listcache_finish(struct ctl_req *r)
{
	struct ctl_walk *w = r->state;
	struct lc_ctx x = { r, r->argc ? r->argv[0] : "", 1, ctl_view_new(r) };
	int err = r->argc ? w->res[0].err : 0;

	if (!x.view)
		err = ENOMEM;
	else if (r->argc && !err && !ctl_view_obj(x.view, w->res[0].a.ino))
		err = EACCES;   /* as the mount would answer */
	if (err) {
		char buf[PATH_MAX + 256];

		ctl_view_free(x.view);
		ctl_fail(r, err, "%s: %s", r->argc ? ctl_disp(buf, sizeof buf,
			 r->argv[0]) : "listcache", strerror(err));
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"objects\":[");
	fso_foreach_cached(lc_each, &x);
	ctl_view_free(x.view);
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

	if (!ci->missed || ci->has_data || !ctl_view_obj(x->view, ci->ino))
		return;
	while (*rel == '/')
		rel++;
	path = *rel ? ctl_disp(buf, sizeof buf, rel) : "?";
	ctl_fid_str(fid, sizeof fid, &ci->fid);
	if (!x->r->json) {
		ctl_printf(x->r, CTLP_STDOUT, "%s (fid %s): not cached\n",
			   ctl_esc(x->r, path), fid);
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
	struct lc_ctx x = { r, "", 1, ctl_view_new(r) };

	if (!x.view) {
		ctl_fail(r, ENOMEM, "listmissing: %s", strerror(ENOMEM));
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"missing\":[");
	fso_foreach_cached(lm_each, &x);
	ctl_view_free(x.view);
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
	STAT(getattr_calls), STAT(validate_calls), STAT(validate_objects),
	STAT(validate_changed), STAT(setattr_calls), STAT(setattr_folded),
	STAT(volstamp_valid), STAT(volstamp_changed), STAT(volstamp_recorded),
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
		ctl_fail(r, err, "serverstats: %s: %s", srv_name(V->srv), strerror(err));
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
	srv_call(V->srv, HS_STATS, CTL_XDR_NONE, NULL, (xdrproc_t)xdr_hs_stats_res,
		 sizeof(hs_stats_res), serverstats_done, r);
}

/* ---- mountpoint, help ---- */

static void cmd_mountpoint(struct ctl_req *r)
{
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"mountpoint\":");
		ctl_json_str(r, V->cfg.mountpoint);
		ctl_printf(r, CTLP_STDOUT, "}\n");
	} else {
		ctl_printf(r, CTLP_STDOUT, "%s\n", ctl_esc(r, V->cfg.mountpoint));
	}
	ctl_done(r, 0);
}

static void help_one(struct ctl_req *r, const struct ctlp_cmd *c, int first)
{
	if (!r->json) {
		/* Coda's layout (cfs.cc Help) */
		ctl_printf(r, CTLP_STDOUT, "%16s%s%3s%s%s\n", c->name, c->alias ? "  " : "",
			   c->alias ? c->alias : "", c->alias ? "  " : "    ", c->summary);
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
	ctl_printf(r, CTLP_STDOUT, ",\"privileged\":%s}", ctl_jbool(c->privileged));
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

static void cmd_listcache(struct ctl_req *r)
{
	ctl_walk_start(r, listcache_finish);
}

/* ---- dispatch ---- */

/* A command of Coda's that has no meaning in Hesper (ctlp_no_meaning):
 * cfs answers it itself, this is for other clients of the socket. */
static void cmd_refused(struct ctl_req *r)
{
	const struct ctlp_cmd *c = ctlp_find_cmd(r->cmd);

	ctl_fail(r, EOPNOTSUPP, "cfs %s: %s", c->name, ctlp_no_meaning(c->name));
}

static const struct {
	const char *name;
	void (*run)(struct ctl_req *r);
} handlers[] = {
	{ "checkservers", ctl_vol_run },
	{ "listvol", ctl_vol_run },
	{ "checkvolumes", ctl_vol_run },
	{ "getfid", ctl_fid_run },
	{ "getpath", ctl_fid_run },
	{ "getpfid", ctl_fid_run },
	{ "flushobject", ctl_fid_run },
	{ "flushcache", ctl_fid_run },
	{ "flushvolume", ctl_fid_run },
	{ "truncatelog", ctl_fid_run },
	{ "checkpointml", ctl_ckpt_run },
	{ "listacl", ctl_acl_run },
	{ "setacl", ctl_acl_run },
	{ "whereis", ctl_mount_run },
	{ "lsmount", ctl_mount_run },
	{ "mkmount", ctl_mount_run },
	{ "rmmount", ctl_mount_run },
	{ "getmountpoint", ctl_mount_run },
	{ "setquota", ctl_mount_run },
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

int ctl_is_root(const struct ctl_req *r)
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
	if (c->privileged && c->privileged != CTLP_PRIV_OWNER && !ctl_is_root(r)) {
		ctl_fail(r, EPERM, "cfs %s: %s (%s)", c->name, strerror(EPERM),
			 ctlp_priv_text(c));
		return;
	}
	if (ext) {
		ext->run(r, c);
		return;
	}
	if (ctlp_no_meaning(c->name)) {
		cmd_refused(r);
		return;
	}
	if (!strcmp(c->name, "examineclosure") || !strcmp(c->name, "replayclosure")) {
		/* As in Coda, cfs itself reads and replays closures. */
		ctl_fail(r, EINVAL, "%s runs in cfs, not in venus", c->name);
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
