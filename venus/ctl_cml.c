/*
 * ctl_cml.c - cfs commands of disconnected operation (doc/cfs.1,
 * doc/contracts.md): disconnect, reconnect, wd, adaptive, strong, fr,
 * conflicts, listlocal, checklocal, discardlocal, preservelocal,
 * checkpointml, zonelimit.  Wording follows Coda's cfs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <hesper/ctlproto.h>

#include "venus/venus.h"
#include "venus/cml.h"
#include "venus/conflict.h"
#include "venus/ctl.h"
#include "venus/fsobj_int.h"
#include "venus/reint.h"
#include "venus/server.h"
#include "venus/volstate.h"
#include "venus/zone.h"

static const char *const opnames[] = { "?", "store", "setattr", "create", "mkdir",
				       "symlink", "link", "remove", "rmdir", "rename", "mknod" };
#define OPNAME(op) opnames[(unsigned)(op) < sizeof opnames / sizeof *opnames ? (op) : 0]

/* Silent success (JSON: {"ok":true}). */
static void ok(struct ctl_req *r)
{
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"ok\":true}\n");
	ctl_done(r, 0);
}

/* "a/b" -> "/a/b", "" -> "/" (rows' paths have that form). */
static void slash_path(const char *rel, char *buf, size_t len)
{
	while (*rel == '/')
		rel++;
	snprintf(buf, len, "/%s", rel);
}

/* ---- modes ---- */

static void cmd_wd(struct ctl_req *r)
{
	unsigned age = 60, time_ = 30;

	for (int i = 0; i < r->argc; i++) {
		char *end;
		unsigned long v = i + 1 < r->argc ? strtoul(r->argv[i + 1], &end, 10) : 0;

		if (i + 1 >= r->argc || *end || (strcmp(r->argv[i], "-age") &&
						 strcmp(r->argv[i], "-time"))) {
			ctl_fail(r, EINVAL, "Usage: cfs writedisconnect [-age S] [-time S]");
			return;
		}
		*(r->argv[i][1] == 'a' ? &age : &time_) = (unsigned)v;
		i++;
	}
	/* Age 0 and time 0 would be strong: wd always logs. */
	vst_set_mode(age, time_ ? time_ : (age ? 0 : 1));
	ok(r);
}

/* ---- forcereintegrate ---- */

static void fr_progress(void *arg, unsigned left)
{
	struct ctl_req *r = arg;

	if (!r->json) {
		ctl_printf(r, CTLP_STDOUT, "%u CML entries remaining\n", left);
		ctl_flush(r);   /* cfs shows progress as it comes */
	}
}

static void fr_done(void *arg, int err)
{
	struct ctl_req *r = arg;
	char where[4096];

	snprintf(where, sizeof where, "%s%s%s", V->cfg.mountpoint,
		 r->argc && r->argv[0][0] ? "/" : "", r->argc ? r->argv[0] : "");
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"path\":");
		ctl_json_str(r, where);
		ctl_printf(r, CTLP_STDOUT, ",\"remaining\":%u,\"conflicts\":%u,\"errno\":%d,"
			   "\"result\":\"%s\"}\n", cml_count(), cml_conflicts(),
			   err == HS_ECONFLICT ? EIO : err,
			   !err ? "reintegrated" : err == HS_ECONFLICT ? "conflict" : "error");
	} else if (!err) {
		ctl_printf(r, CTLP_STDOUT, "Modifications to %s reintegrated to server\n", where);
	} else if (err == HS_ECONFLICT) {
		ctl_printf(r, CTLP_STDERR, "Reintegration failed due to a conflict\n");
	} else {
		ctl_printf(r, CTLP_STDERR, "Reintegration of %s failed: %s\n", where,
			   strerror(err));
	}
	ctl_done(r, err == HS_ECONFLICT ? EIO : err);
}

static void cmd_fr(struct ctl_req *r)
{
	if (vst_disconnected()) {
		srv_probe_now();
		ctl_fail(r, ETIMEDOUT, "Reintegration failed: the server is not reachable "
		     "(Disconnected)");
		return;
	}
	if (!r->json)
		fr_progress(r, cml_count());
	reint_run(0, 0, fr_progress, fr_done, r);
}

/* ---- conflicts, listlocal, checklocal ---- */

struct lister {
	struct ctl_req *r;
	char            want[4096];  /* "/a/b" or "" for all */
	int             only_conflicts;
	int             first;
	unsigned        n;
};

static int row_matches(struct lister *l, struct cml_row *row, char *path, size_t len)
{
	fso_row_path(row, path, len);
	if (l->only_conflicts && !row->conflict)
		return 0;
	return !l->want[0] || !strcmp(l->want, "/") || !strcmp(path, l->want);
}

static int list_conflict(void *arg, struct cml_row *row)
{
	struct lister *l = arg;
	char path[4096], local[4096], full[8192];

	if (!row_matches(l, row, path, sizeof path))
		return 0;
	conflict_path(row, local, sizeof local);
	snprintf(full, sizeof full, "%s%s", V->cfg.mountpoint, path);
	l->n++;
	if (!l->r->json) {
		ctl_printf(l->r, CTLP_STDOUT, "%s: %s conflict; local version: %s\n", full,
			   conflict_kind(row->op, row->conflict), local);
		return 0;
	}
	ctl_printf(l->r, CTLP_STDOUT, "%s{\"path\":", l->first ? "" : ",");
	ctl_json_str(l->r, full);
	ctl_printf(l->r, CTLP_STDOUT, ",\"kind\":\"%s\",\"op\":\"%s\",\"seq\":%llu,"
		   "\"status\":%d,\"local_version\":", conflict_kind(row->op, row->conflict),
		   OPNAME(row->op), (unsigned long long)row->seq,
		   row->conflict);
	ctl_json_str(l->r, local);
	ctl_printf(l->r, CTLP_STDOUT, "}");
	l->first = 0;
	return 0;
}

static int list_local(void *arg, struct cml_row *row)
{
	struct lister *l = arg;
	char path[4096], full[8192];

	if (!row_matches(l, row, path, sizeof path))
		return 0;
	snprintf(full, sizeof full, "%s%s", V->cfg.mountpoint, path);
	l->n++;
	if (!l->r->json) {
		/* One line per record, the conflict (if any) closed on it. */
		ctl_printf(l->r, CTLP_STDOUT, "%llu: %s %s%s%s%s\n", (unsigned long long)row->seq,
			   OPNAME(row->op), full,
			   row->conflict ? "  (conflict: " : "",
			   row->conflict ? conflict_kind(row->op, row->conflict) : "",
			   row->conflict ? ")" : "");
		return 0;
	}
	ctl_printf(l->r, CTLP_STDOUT, "%s{\"seq\":%llu,\"op\":\"%s\",\"path\":", l->first ?
		   "" : ",", (unsigned long long)row->seq, OPNAME(row->op));
	ctl_json_str(l->r, full);
	ctl_printf(l->r, CTLP_STDOUT, ",\"size\":%llu,\"conflict\":%s}",
		   (unsigned long long)row->size, row->conflict ? "true" : "false");
	l->first = 0;
	return 0;
}

static void run_list(struct ctl_req *r, int conflicts_only, const char *key,
		     int (*fn)(void *arg, struct cml_row *row))
{
	struct lister l = { r, "", conflicts_only, 1, 0 };

	if (r->argc && r->argv[0][0])
		slash_path(r->argv[0], l.want, sizeof l.want);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"%s\":[", key);
	cml_foreach(NULL, fn, &l);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	else if (!conflicts_only && !l.n)
		ctl_printf(r, CTLP_STDOUT, "No local mutations\n");
	ctl_done(r, 0);
}

/* ---- discardlocal, preservelocal ---- */

struct finder {
	char   want[4096];
	hs_fid fid;
	int    found;
};

static int find_conflict(void *arg, struct cml_row *row)
{
	struct finder *f = arg;
	char path[4096];

	if (!row->conflict)
		return 0;
	fso_row_path(row, path, sizeof path);
	if (strcmp(path, f->want))
		return 0;
	f->fid = row->obj;
	f->found = 1;
	return 1;
}

/* The end of discardlocal or preservelocal: silent on success. */
static void repair_done(void *arg, int err)
{
	struct ctl_req *r = arg;
	char msg[300];

	if (err == ENOENT && r->state && *(int *)r->state)
		err = 0;   /* -all with nothing in conflict */
	if (!err) {
		ok(r);
		return;
	}
	if (err == HS_ECONFLICT)
		snprintf(msg, sizeof msg, "%s: the server refused the local version again "
			 "(see cfs conflicts)", r->cmd);
	else
		snprintf(msg, sizeof msg, "%s: %s", r->cmd, strerror(err));
	ctl_fail(r, err == HS_ECONFLICT ? EIO : err, "%s", msg);
}

static void cmd_repair(struct ctl_req *r, int preserve)
{
	struct finder f = { "", { 0, 0, 0 }, 0 };
	const char *path = NULL;
	int all = 0;
	char msg[4200];

	for (int i = 0; i < r->argc; i++) {
		if (!strcmp(r->argv[i], "-all"))
			all = 1;
		else if (r->argv[i][0] == '-' || path)
			all = -1;
		else
			path = r->argv[i];
	}
	if (all < 0 || (!all && !path)) {
		ctl_fail(r, EINVAL, "%s", preserve ? "Usage: cfs preservelocal [-all] [PATH]" :
		     "Usage: cfs discardlocal [-all] [PATH]");
		return;
	}
	if (!all) {
		slash_path(path, f.want, sizeof f.want);
		cml_foreach(NULL, find_conflict, &f);
		if (!f.found) {
			snprintf(msg, sizeof msg, "%s%s: not in conflict", V->cfg.mountpoint, f.want);
			ctl_fail(r, ENOENT, "%s", msg);
			return;
		}
	}
	/* repair_done needs to know -all; r->state is freed by ctl_done. */
	if ((r->state = malloc(sizeof(int))))
		*(int *)r->state = all;
	if (preserve) {
		conflict_preserve(all ? NULL : &f.fid, repair_done, r);
		return;
	}
	repair_done(r, conflict_discard(all ? NULL : &f.fid));
}

/* ---- checkpointml ---- */

static int ck_line(void *arg, struct cml_row *row)
{
	FILE *f = arg;
	char path[4096];

	fso_row_path(row, path, sizeof path);
	fprintf(f, "%llu %s %s%s size=%llu base=%llu%s\n", (unsigned long long)row->seq,
		OPNAME(row->op), V->cfg.mountpoint, path,
		(unsigned long long)row->size, (unsigned long long)row->base,
		row->conflict ? " conflict" : "");
	return 0;
}

static void cmd_checkpoint(struct ctl_req *r)
{
	char dir[4096], txt[4300], tar[4300], cmd[13000];
	FILE *f;
	time_t now = time(NULL);

	if (V->cfg.checkpointdir)
		snprintf(dir, sizeof dir, "%s", V->cfg.checkpointdir);
	else
		snprintf(dir, sizeof dir, "%s/checkpoint", V->cfg.cachedir);
	mkdir(dir, 0700);
	snprintf(txt, sizeof txt, "%s/cml-%lld.txt", dir, (long long)now);
	snprintf(tar, sizeof tar, "%s/cml-%lld.tar", dir, (long long)now);
	if (!(f = fopen(txt, "w"))) {
		snprintf(cmd, sizeof cmd, "%s: %s", txt, strerror(errno));
		ctl_fail(r, errno, "%s", cmd);
		return;
	}
	cml_foreach(NULL, ck_line, f);
	fclose(f);
	/* The store data as a tar of the frozen copies. */
	snprintf(cmd, sizeof cmd, "tar -C '%s' -cf '%s' cml", V->cfg.cachedir, tar);
	if (system(cmd) != 0)
		tar[0] = '\0';
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"log\":");
		ctl_json_str(r, txt);
		ctl_printf(r, CTLP_STDOUT, ",\"data\":");
		ctl_json_str(r, tar);
		ctl_printf(r, CTLP_STDOUT, "}\n");
	} else {
		ctl_printf(r, CTLP_STDOUT, "%s\n%s%s", txt, tar, tar[0] ? "\n" : "");
	}
	ctl_done(r, 0);
}

/* ---- zonelimit ---- */

static void cmd_zonelimit(struct ctl_req *r)
{
	unsigned zone_yellow, zone_red;

	if (r->argc == 2) {
		unsigned y = (unsigned)atoi(r->argv[0]), red = (unsigned)atoi(r->argv[1]);

		if (!y || y > red || red > 100) {
			ctl_fail(r, EINVAL, "Usage: cfs zonelimit [YELLOW RED] (0 < YELLOW <= RED <= 100)");
			return;
		}
		zone_set_limits(y, red);
	} else if (r->argc) {
		ctl_fail(r, EINVAL, "Usage: cfs zonelimit [YELLOW RED]");
		return;
	}
	zone_get_limits(&zone_yellow, &zone_red);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"yellow\":%u,\"red\":%u,\"cml_entries\":%llu}\n",
			   zone_yellow, zone_red, (unsigned long long)V->cfg.cml_entries);
	else
		ctl_printf(r, CTLP_STDOUT, "Yellow zone at %u%%, red zone at %u%% of %llu CML "
			   "entries\n", zone_yellow, zone_red,
			   (unsigned long long)V->cfg.cml_entries);
	ctl_done(r, 0);
}

/* ---- dispatch ---- */

void ctl_cml_run(struct ctl_req *r)
{
	const struct ctlp_cmd *c = ctlp_find_cmd(r->cmd);
	const char *n = c ? c->name : r->cmd;

	if (!strcmp(n, "disconnect")) {
		vst_disconnect();
		ok(r);
	} else if (!strcmp(n, "reconnect")) {
		vst_reconnect();
		ok(r);
	} else if (!strcmp(n, "writedisconnect")) {
		cmd_wd(r);
	} else if (!strcmp(n, "adaptive")) {
		vst_set_mode(0, 15);
		ok(r);
	} else if (!strcmp(n, "strong")) {
		vst_set_mode(0, 0);
		ok(r);
	} else if (!strcmp(n, "forcereintegrate")) {
		cmd_fr(r);
	} else if (!strcmp(n, "conflicts")) {
		run_list(r, 1, "conflicts", list_conflict);
	} else if (!strcmp(n, "listlocal") || !strcmp(n, "checklocal")) {
		run_list(r, !strcmp(n, "checklocal"), "records",
			 !strcmp(n, "checklocal") ? list_conflict : list_local);
	} else if (!strcmp(n, "discardlocal") || !strcmp(n, "preservelocal")) {
		cmd_repair(r, n[0] == 'p');
	} else if (!strcmp(n, "checkpointml")) {
		cmd_checkpoint(r);
	} else {
		cmd_zonelimit(r);
	}
}
