/*
 * ctl_cml.c - cfs commands of disconnected operation (doc/cfs.1,
 * doc/contracts.md): disconnect, reconnect, wd, adaptive, strong, fr,
 * conflicts, listlocal, checklocal, discardlocal, preservelocal,
 * zonelimit.  Wording follows Coda 8's cfs (coda-src/vtools/cfs.cc) and
 * venus (vol_cml.cc cmlent::writeops for the record lines).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <hesper/ctlproto.h>

#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/repair/conflict.h"
#include "venus/ctl/ctl.h"
#include "venus/ctl/ctl_int.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_disc.h"
#include "venus/repair/reint.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"
#include "tools/escape.h"

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

/* A -time value: seconds, fractions allowed (Coda's atof).  Hesper's
 * trickle runs on whole seconds, so a fraction rounds up (0.5 -> 1);
 * 0 stays 0.  0 and *secs, or -1. */
static int parse_secs(const char *s, unsigned *secs)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400.0 * 365)
		return -1;
	*secs = (unsigned)v;
	if (v > (double)*secs)
		(*secs)++;
	return 0;
}

/* cfs wd [-age S] [-time S] [DIR...]: one mode for every volume (Hesper
 * keeps one state), so DIRs only have to exist.  Neither option: Coda's
 * defaults -age 60 -time 30.0; one option alone keeps the default of the
 * other.  Silent, as Coda. */
static void cmd_wd(struct ctl_req *r)
{
	unsigned age = 60, time_ = 30;

	for (int i = 0; i < r->argc; i += 2) {
		const char *o = r->argv[i];
		int bad = i + 1 >= r->argc;

		if (o[0] != '-') {   /* a DIR (cfs made it mount-relative) */
			i--;
			continue;
		}

		if (!bad && !strcmp(o, "-age"))
			bad = parse_secs(r->argv[i + 1], &age) || strchr(r->argv[i + 1], '.');
		else if (!bad && (!strcmp(o, "-time") || !strcmp(o, "-hogtime")))
			bad = parse_secs(r->argv[i + 1], &time_);
		else
			bad = 1;
		if (bad) {
			ctl_fail(r, EINVAL, "Usage: cfs writedisconnect [-age <sec>] "
				 "[-time <sec>] [<dir> <dir> <dir> ...]");
			return;
		}
	}
	/* Age 0 and time 0 would be strong: wd always logs. */
	vst_set_mode(NULL, age, time_ ? time_ : (age ? 0 : 1));
	ok(r);
}

/* ---- forcereintegrate ---- */

/* One cfs fr: its request and what the CML held when it began (the
 * progress line's totals). */
struct fr {
	struct ctl_req *r;
	unsigned        total;
	uint64_t        bytes;
};

/* "N CML entries remaining" on stdout (Hesper's, cfs draws its bar from
 * it); then, on stderr, "reintegrated D of T records (X MiB of Y MiB)",
 * which cfs shows on a terminal or with -v (--progress). */
static void fr_progress(void *arg, unsigned left)
{
	struct fr *f = arg;
	struct ctl_req *r = f->r;
	uint64_t bytes;

	if (r->json)
		return;
	ctl_printf(r, CTLP_STDOUT, "%u CML entries remaining\n", left);
	if (left > f->total)
		f->total = left;
	bytes = cml_bytes(V->cml);
	if (bytes > f->bytes)
		f->bytes = bytes;
	ctl_printf(r, CTLP_STDERR, "reintegrated %u of %u records (%.1f MiB of %.1f MiB)\n",
		   f->total - left, f->total, (double)(f->bytes - bytes) / 1048576.0,
		   (double)f->bytes / 1048576.0);
	ctl_flush(r);   /* cfs shows progress as it comes */
}

/* The name of the volume fr reports on: that of its first DIR, else of
 * the mount point (Hesper keeps one CML for every volume). */
static const char *fr_volume(struct ctl_req *r)
{
	return ctl_volname(ctl_cached_volume(r->argc ? r->argv[0] : ""));
}

static void fr_done(void *arg, int err)
{
	struct fr *f = arg;
	struct ctl_req *r = f->r;
	char where[PATH_MAX + 256];

	free(f);

	ctl_disp(where, sizeof where, r->argc ? r->argv[0] : "");
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"path\":");
		ctl_json_str(r, where);
		ctl_printf(r, CTLP_STDOUT, ",\"remaining\":%u,\"conflicts\":%u,\"errno\":%d,"
			   "\"result\":\"%s\"}\n", cml_count(V->cml), cml_conflicts(V->cml),
			   err == HS_ECONFLICT ? EIO : err,
			   !err ? "reintegrated" : err == HS_ECONFLICT ? "conflict" : "error");
	} else if (!err) {
		ctl_printf(r, CTLP_STDOUT, "Modifications to %s reintegrated to server\n",
			   fr_volume(r));
	} else if (err == HS_ECONFLICT) {
		ctl_printf(r, CTLP_STDOUT, "%u CML entries remaining for volume %s\n"
			   "Reintegration failed due to a conflict\n", cml_count(V->cml),
			   fr_volume(r));
	} else {
		ctl_printf(r, CTLP_STDERR, "Reintegration of %s failed: %s\n",
			   ctl_esc(r, where), strerror(err));
	}
	ctl_done(r, err == HS_ECONFLICT ? EIO : err);
}

static void cmd_fr(struct ctl_req *r)
{
	struct fr *f;

	if (vst_disconnected(V->vol)) {
		vr_probe_now();
		ctl_fail(r, ETIMEDOUT, "Reintegration failed: the server is not reachable "
		     "(Disconnected)");
		return;
	}
	if (!(f = calloc(1, sizeof *f))) {
		ctl_fail(r, ENOMEM, "Reintegration failed: out of memory");
		return;
	}
	f->r = r;
	f->bytes = cml_bytes(V->cml);
	fr_progress(f, cml_count(V->cml));
	/* Later counts leave records in conflict out (reint_lane_progress). */
	f->total = cml_count(V->cml) - cml_conflict_records(V->cml);
	reint_run(V->reint, 0, 0, fr_progress, fr_done, f);
}

/* ---- conflicts, listlocal, checklocal ---- */

struct lister {
	struct ctl_req  *r;
	char             want[4096];  /* "/a/b" or "" for all */
	int              only_conflicts;
	int              first;
	unsigned         n;
	struct ctl_view *view;        /* a non-root peer sees its own records */
};

/* Is path want itself or below it?  A directory (a realm's or volume's
 * root, /coda/REALM) stands for the records under it, as Coda's
 * listlocal DIR lists its volume's. */
static int below_want(const char *path, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(path, want, n) && (path[n] == '\0' || path[n] == '/');
}

static int row_matches(struct lister *l, struct cml_row *row, char *path, size_t len)
{
	fso_row_path(row, path, len);
	if (l->only_conflicts && !row->conflict)
		return 0;
	if (!ctl_view_row(l->view, row))
		return 0;
	return !l->want[0] || !strcmp(l->want, "/") || below_want(path, l->want);
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
		ctl_printf(l->r, CTLP_STDOUT, "%s: %s conflict; local version: %s\n",
			   ctl_esc(l->r, full), conflict_kind(row->op, row->conflict),
			   ctl_esc(l->r, local));
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

void ctl_cml_opline(const struct cml_row *row, const char *path, char *buf,
		    size_t len)
{
	/* Coda's names; Coda has no mknod record, Hesper's reads "Mknod". */
	static const char *const coda_ops[] = { "?", "Store", "Setattr", "Create",
		"Mkdir", "Symlink", "Link", "Remove", "Rmdir", "Rename", "Mknod" };
	const char *op = coda_ops[(unsigned)row->op < sizeof coda_ops / sizeof *coda_ops ?
				  row->op : 0];
	char full[PATH_MAX + 256];

	char *esc;

	ctl_disp(full, sizeof full, path);
	if ((esc = hs_esc_dup(full))) {   /* a display line: never raw */
		snprintf(full, sizeof full, "%s", esc);
		free(esc);
	}
	if (row->op == HS_OP_STORE)
		snprintf(buf, len, "%s \t%s (length = %llu)", op, full,
			 (unsigned long long)row->size);
	else
		snprintf(buf, len, "%s \t%s", op, full);
}

static int list_local(void *arg, struct cml_row *row)
{
	struct lister *l = arg;
	char path[4096], full[8192], line[8400];

	if (!row_matches(l, row, path, sizeof path))
		return 0;
	l->n++;
	if (!l->r->json) {
		ctl_cml_opline(row, path, line, sizeof line);
		ctl_printf(l->r, CTLP_STDOUT, "%s%s\n", line, row->conflict == EDQUOT ?
			   " (held: over quota)" : "");
		return 0;
	}
	snprintf(full, sizeof full, "%s%s", V->cfg.mountpoint, path);
	ctl_printf(l->r, CTLP_STDOUT, "%s{\"seq\":%llu,\"op\":\"%s\",\"path\":", l->first ?
		   "" : ",", (unsigned long long)row->seq, OPNAME(row->op));
	ctl_json_str(l->r, full);
	ctl_printf(l->r, CTLP_STDOUT, ",\"size\":%llu,\"conflict\":%s,\"quota\":%s}",
		   (unsigned long long)row->size, row->conflict ? "true" : "false",
		   row->conflict == EDQUOT ? "true" : "false");
	l->first = 0;
	return 0;
}

static void run_list(struct ctl_req *r, int conflicts_only, const char *key,
		     int (*fn)(void *arg, struct cml_row *row))
{
	struct lister l = { r, "", conflicts_only, 1, 0, ctl_view_new(r) };

	if (!l.view) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	if (r->argc && r->argv[0][0])
		slash_path(r->argv[0], l.want, sizeof l.want);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"%s\":[", key);
	cml_foreach(V->cml, NULL, fn, &l);
	ctl_view_free(l.view);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	else if (!conflicts_only)   /* listlocal: Coda's trailer */
		ctl_printf(r, CTLP_STDOUT, "%u entries total in the modify log for "
			   "volume %s\n", l.n, ctl_volname(ctl_cached_volume(
			   r->argc ? r->argv[0] : "")));
	ctl_done(r, 0);
}

/* ---- checklocal: the head record (of PATH's records) ---- */

static int check_head(void *arg, struct cml_row *row)
{
	struct lister *l = arg;
	char path[4096], line[8400], local[4096];

	if (!row_matches(l, row, path, sizeof path))
		return 0;
	l->n++;
	ctl_cml_opline(row, path, line, sizeof line);
	if (row->conflict)
		conflict_path(row, local, sizeof local);
	if (l->r->json) {
		ctl_printf(l->r, CTLP_STDOUT, "{\"head\":");
		ctl_json_str(l->r, line);
		ctl_printf(l->r, CTLP_STDOUT, ",\"seq\":%llu,\"conflict\":",
			   (unsigned long long)row->seq);
		if (row->conflict) {
			ctl_json_str(l->r, conflict_kind(row->op, row->conflict));
			ctl_printf(l->r, CTLP_STDOUT, ",\"local_version\":");
			ctl_json_str(l->r, local);
		} else {
			ctl_printf(l->r, CTLP_STDOUT, "null");
		}
		ctl_printf(l->r, CTLP_STDOUT, "}\n");
	} else {
		ctl_printf(l->r, CTLP_STDOUT, "local mutation: %s\n", line);
		if (row->conflict)
			ctl_printf(l->r, CTLP_STDOUT, "%s conflict; local version: %s\n",
				   conflict_kind(row->op, row->conflict),
				   ctl_esc(l->r, local));
		else
			ctl_printf(l->r, CTLP_STDOUT, "no conflict\n");
	}
	return 1;   /* the head only */
}

static void cmd_checklocal(struct ctl_req *r)
{
	struct lister l = { r, "", 0, 1, 0, ctl_view_new(r) };

	if (!l.view) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	if (r->argc && r->argv[0][0])
		slash_path(r->argv[0], l.want, sizeof l.want);
	cml_foreach(V->cml, NULL, check_head, &l);
	ctl_view_free(l.view);
	if (!l.n)
		ctl_printf(r, CTLP_STDOUT, r->json ? "{\"head\":null}\n" :
			   "no local mutations\n");
	ctl_done(r, 0);
}

/* ---- discardlocal, preservelocal ---- */

struct finder {
	char   want[4096];   /* "/a/b", or "" for every record (-all) */
	hs_fid fid;
	int    found;
	int    foreign;      /* a matching record the peer may not act on */
	const struct ctl_view *view;
};

static int find_conflict(void *arg, struct cml_row *row)
{
	struct finder *f = arg;
	char path[4096];

	if (!row->conflict)
		return 0;
	if (!f->want[0]) {   /* -all: is every record in conflict the peer's? */
		f->foreign |= !ctl_view_row(f->view, row);
		return 0;
	}
	fso_row_path(row, path, sizeof path);
	if (strcmp(path, f->want))
		return 0;
	f->fid = row->obj;
	f->found = 1;
	f->foreign = !ctl_view_row(f->view, row);
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
	struct finder f = { "", { 0, 0, 0 }, 0, 0, NULL };
	struct ctl_view *view;
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
	if (!(f.view = view = ctl_view_new(r))) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	if (!all)
		slash_path(path, f.want, sizeof f.want);
	cml_foreach(V->cml, NULL, find_conflict, &f);
	ctl_view_free(view);
	if (!all && f.found && f.foreign) {
		/* another user's record: theirs or root's to repair */
		snprintf(msg, sizeof msg, "cfs %s: %s%s: %s (the record belongs to "
			 "another user; only root may act on it)", r->cmd,
			 V->cfg.mountpoint, f.want, strerror(EPERM));
		ctl_fail(r, EPERM, "%s", msg);
		return;
	}
	if (all && f.foreign) {
		ctl_fail(r, EPERM, "cfs %s -all: %s (records of other users are in "
			 "conflict; only root may act on them: name yours one by one)",
			 r->cmd, strerror(EPERM));
		return;
	}
	if (!all && !f.found) {
		snprintf(msg, sizeof msg, "%s%s: not in conflict", V->cfg.mountpoint, f.want);
		ctl_fail(r, ENOENT, "%s", msg);
		return;
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

/* ---- zonelimit ---- */

/* A limit: an integer, -1 (any negative: Coda's atoi) for none. */
static int parse_limit(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

/* cfs zonelimit RED YELLOW (Coda's order, CML entries); without
 * arguments (Hesper's addition) the limits in force. */
static void cmd_zonelimit(struct ctl_req *r)
{
	long red, yellow;

	if (r->argc == 2) {
		if (parse_limit(r->argv[0], &red) || parse_limit(r->argv[1], &yellow)) {
			ctl_fail(r, EINVAL, "Usage: cfs zonelimit <redzone limit>  "
				 "<yellowzone limit>  (-1 for no limit)");
			return;
		}
		zone_set_limits(vst_zone(V->vol), red, yellow);
	} else if (r->argc) {
		ctl_fail(r, EINVAL, "Usage: cfs zonelimit <redzone limit>  "
			 "<yellowzone limit>  (-1 for no limit)");
		return;
	}
	zone_get_limits(vst_zone(V->vol), &red, &yellow);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"red\":%ld,\"yellow\":%ld,\"cml_entries\":%llu}\n",
			   red, yellow, (unsigned long long)V->cfg.cml_entries);
	else
		ctl_printf(r, CTLP_STDOUT, "Zone limits %s:  red = %ld  yellow = %ld\n",
			   r->argc ? "set" : "are", red < 0 ? -1 : red,
			   yellow < 0 ? -1 : yellow);
	ctl_done(r, 0);
}

/* ---- dispatch ---- */

void ctl_cml_run(struct ctl_req *r)
{
	const struct ctlp_cmd *c = ctlp_find_cmd(r->cmd);
	const char *n = c ? c->name : r->cmd;

	if (!strcmp(n, "disconnect")) {
		vst_disconnect(V->vol);
		ok(r);
	} else if (!strcmp(n, "reconnect")) {
		vst_reconnect(V->vol);
		ok(r);
	} else if (!strcmp(n, "writedisconnect")) {
		cmd_wd(r);
	} else if (!strcmp(n, "adaptive")) {
		vst_set_mode(NULL, 0, 15);
		ok(r);
	} else if (!strcmp(n, "strong")) {
		vst_set_mode(NULL, 0, 0);
		ok(r);
	} else if (!strcmp(n, "forcereintegrate")) {
		cmd_fr(r);
	} else if (!strcmp(n, "conflicts")) {
		run_list(r, 1, "conflicts", list_conflict);
	} else if (!strcmp(n, "listlocal")) {
		run_list(r, 0, "records", list_local);
	} else if (!strcmp(n, "checklocal")) {
		cmd_checklocal(r);
	} else if (!strcmp(n, "discardlocal") || !strcmp(n, "preservelocal")) {
		cmd_repair(r, n[0] == 'p');
	} else {
		cmd_zonelimit(r);
	}
}
