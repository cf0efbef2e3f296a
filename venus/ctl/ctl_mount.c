/*
 * ctl_mount.c - cfs commands about volumes as places in the tree:
 * whereis, lsmount, mkmount, rmmount, getmountpoint, setquota.  Text in
 * Coda 8's wording (coda-src/vtools/cfs.cc WhereIs, LsMount, MkMount,
 * RmMount, GetMountPoint, SetQuota); --json gives one object per reply.
 *
 * A mount point is a symlink of mode 0644 whose target is "#VOLUME."
 * (REALM.md); the core crosses it on lookup, so the commands that act on
 * the mount point itself (lsmount, mkmount, rmmount) resolve only its
 * directory and name the last component, never crossing it.  Arguments
 * are handled one after the other, each possibly waiting on vice, and
 * printed as each finishes, so the output keeps the argument order.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/ctl/ctl_int.h"

/* ---- one argument at a time: DIR/NAME commands ---- */

/* lsmount, mkmount, rmmount: where they are. */
struct mt_state {
	int      i;            /* the argument being handled */
	int      status;       /* the last failure, 0 if none */
	int      first;        /* JSON: no element printed yet */
	int      w;            /* Coda's echo width */
	int      looping;      /* inside mt_next's loop */
	int      advanced;     /* ... and an argument finished meanwhile */
	uint64_t dir;          /* the argument's directory */
	uint32_t dirvol;       /* ... and its volume */
	hs_fid   dirfid;       /* ... and its fid */
	char     parent[PATH_MAX + 1]; /* + 1: mt_split may shift it right */
	char    *name;         /* last component, inside parent's buffer */
};

static void mt_next(struct ctl_req *r);

static const char *cmd_name(const struct ctl_req *r)
{
	return ctlp_find_cmd(r->cmd)->name;
}

/* Coda's echo of the argument when there are several. */
static void mt_echo(struct ctl_req *r, const char *disp)
{
	struct mt_state *m = r->state;

	if (!r->json && r->argc > 1)
		ctl_printf(r, CTLP_STDOUT, "  %*s  ", m->w, ctl_esc(r, disp));
}

/* The argument is done: on to the next one (without recursing when the
 * core answered at once). */
static void mt_advance(struct ctl_req *r)
{
	struct mt_state *m = r->state;

	m->i++;
	if (m->looping)
		m->advanced = 1;
	else
		mt_next(r);
}

/* Argument i failed with err: "PATH: strerror" (Coda's PERROR), or a
 * JSON element. */
static void mt_fail(struct ctl_req *r, int err)
{
	struct mt_state *m = r->state;

	m->status = err;
	ctl_path_error(r, m->i, err, &m->first);
	mt_advance(r);
}

/* A JSON element {"path":..., KEY:VALUE} (key NULL: none; value NULL:
 * null). */
static void mt_json(struct ctl_req *r, const char *key, const char *value)
{
	struct mt_state *m = r->state;
	char disp[PATH_MAX + 256];

	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", m->first ? "" : ",");
	ctl_json_str(r, ctl_disp(disp, sizeof disp, r->argv[m->i]));
	if (key) {
		ctl_printf(r, CTLP_STDOUT, ",\"%s\":%s", key, value ? "" : "null");
		if (value)
			ctl_json_str(r, value);
	}
	ctl_printf(r, CTLP_STDOUT, "}");
	m->first = 0;
}

static void ls_done(void *arg, int err, const char *volname)
{
	struct ctl_req *r = arg;
	struct mt_state *m = r->state;
	char disp[PATH_MAX + 256];

	ctl_disp(disp, sizeof disp, r->argv[m->i]);
	if (err && err != EINVAL) {
		mt_fail(r, err);
		return;
	}
	if (r->json && err) {
		/* a name that is no mount point: "volume":null */
		mt_json(r, "volume", NULL);
	} else if (r->json) {
		mt_json(r, "volume", volname);
	} else {
		mt_echo(r, disp);
		if (err)
			ctl_printf(r, CTLP_STDOUT, "Not a mount point\n");
		else
			ctl_printf(r, CTLP_STDOUT, "Mount point for volume \"%s\"\n",
				   ctl_esc(r, volname));
	}
	if (err)
		m->status = EINVAL;
	mt_advance(r);
}

static void rm_unlinked(void *arg, int err)
{
	struct ctl_req *r = arg;
	struct mt_state *m = r->state;
	char disp[PATH_MAX + 256];

	if (err) {
		mt_fail(r, err);
		return;
	}
	ctl_disp(disp, sizeof disp, r->argv[m->i]);
	if (r->json)
		mt_json(r, NULL, NULL);
	else if (r->argc > 1)
		ctl_printf(r, CTLP_STDOUT, "  %*s  \n", m->w, ctl_esc(r, disp));
	mt_advance(r);
}

/* rmmount removes only mount points (Coda's VIOC_AFS_DELETE_MT_PT): a
 * plain file or directory of that name is left alone (EINVAL, Coda's
 * "Not a mount point"). */
static void rm_checked(void *arg, int err, const char *volname)
{
	struct ctl_req *r = arg;
	struct mt_state *m = r->state;

	if (err) {
		mt_fail(r, err);
		return;
	}
	/* The kernel did not ask for this unlink, so nothing tells it the
	 * name is gone: the kernel holds the name as the volume's root
	 * directory.  Treating it as a callback break on the directory
	 * makes the kernel forget the directory's names (this one with
	 * them) and venus re-read the directory on the next look. */
	fso_cb_break(&m->dirfid);
	fso_unlink(m->dir, m->name, r->uid, rm_unlinked, r);
}

static void mk_done(void *arg, int err, const struct fso_attr *a)
{
	struct ctl_req *r = arg;

	if (err) {
		mt_fail(r, err);
		return;
	}
	if (r->json)
		mt_json(r, "volume", r->argc > 1 ? r->argv[1] : "");
	mt_advance(r);
}

/* mkmount DIR/NAME [VOLUME]: without VOLUME Coda's link is "#." (the
 * volume of the directory it is in); Hesper names that volume. */
static void mk_start(struct ctl_req *r)
{
	struct mt_state *m = r->state;
	const char *vol = r->argc > 1 ? r->argv[1] : vr_volume_name(m->dirvol);

	if (!vol || !*vol || strlen(vol) > HS_MAXNAMELEN) {
		mt_fail(r, EINVAL);
		return;
	}
	fso_mkmount(m->dir, m->name, vol, r->uid, mk_done, r);
}

static void mt_dir_resolved(void *arg, int err, const struct fso_attr *a)
{
	struct ctl_req *r = arg;
	struct mt_state *m = r->state;
	const char *n = cmd_name(r);

	if (!err && !S_ISDIR(a->st.st_mode))
		err = ENOTDIR;
	if (err) {
		mt_fail(r, err);
		return;
	}
	m->dir = a->ino;
	m->dirvol = a->fid.volume;
	m->dirfid = a->fid;
	if (!strcmp(n, "lsmount"))
		fso_lsmount(m->dir, m->name, r->uid, ls_done, r);
	else if (!strcmp(n, "rmmount"))
		fso_lsmount(m->dir, m->name, r->uid, rm_checked, r);
	else
		mk_start(r);
}

/* Split argument i (mount-relative) into its directory (m->parent) and
 * last component (m->name).  0, or EINVAL for the mount's top ("/" has no
 * name) or a ".." component, or ENAMETOOLONG. */
static int mt_split(struct ctl_req *r, struct mt_state *m)
{
	char *slash;

	if (strlen(r->argv[m->i]) >= PATH_MAX)
		return ENAMETOOLONG;
	snprintf(m->parent, PATH_MAX, "%s", r->argv[m->i]);
	if (ctlp_clean_path(m->parent) || !m->parent[0])
		return EINVAL;
	slash = strrchr(m->parent, '/');
	if (!slash) {
		/* the directory is the top: keep the name after a "" */
		memmove(m->parent + 1, m->parent, strlen(m->parent) + 1);
		m->parent[0] = '\0';
		m->name = m->parent + 1;
		return 0;
	}
	*slash = '\0';
	m->name = slash + 1;
	return 0;
}

static void mt_next(struct ctl_req *r)
{
	struct mt_state *m = r->state;

	m->looping = 1;
	while (m->i < r->argc) {
		int err;

		if (!strcmp(cmd_name(r), "mkmount") && m->i > 0)
			break;   /* VOLUME is no path */
		m->advanced = 0;
		err = mt_split(r, m);
		if (err) {
			m->looping = 0;
			mt_fail(r, err);
			m->looping = 1;
			continue;
		}
		fso_resolve_as(m->parent, r->uid, mt_dir_resolved, r);
		if (!m->advanced) {
			m->looping = 0;   /* an answer comes later */
			return;
		}
	}
	m->looping = 0;
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, m->status);
}

static void cmd_mount_paths(struct ctl_req *r)
{
	struct mt_state *m = calloc(1, sizeof *m);
	char buf[PATH_MAX + 256];

	if (!m) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	m->first = 1;
	for (int i = 0; i < r->argc; i++) {
		int n = (int)strlen(ctl_disp(buf, sizeof buf, r->argv[i]));

		m->w = n > m->w ? n : m->w;
	}
	r->state = m;
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"%s\":[", !strcmp(cmd_name(r), "lsmount") ?
			   "mountpoints" : "results");
	mt_next(r);
}

/* ---- whereis ---- */

static void whereis_step(struct ctl_req *r);

/* Print argument i's servers: the VLDB entry's, else where venus sends
 * the volume's calls now. */
static void whereis_print(struct ctl_req *r, int i, const hs_vldb_entry *e,
			  int *first)
{
	struct ctl_path_res *p = &((struct ctl_walk *)r->state)->res[i];
	char disp[PATH_MAX + 256], host[HS_MAXHOSTNAME + 16];
	const char *known = vr_server_name(p->a.fid.volume);
	u_int n = e ? e->servers.servers_len : 0;

	ctl_disp(disp, sizeof disp, r->argv[i]);
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
		ctl_json_str(r, disp);
		ctl_printf(r, CTLP_STDOUT, ",\"volume\":%u,\"realm\":",
			   vr_volid_of(p->a.fid.volume));
		ctl_json_str(r, ctl_realm_of(p->a.fid.volume));
		ctl_printf(r, CTLP_STDOUT, ",\"servers\":[");
	} else if (r->argc > 1) {
		ctl_printf(r, CTLP_STDOUT, "  %s:  ", ctl_esc(r, disp));
	}
	for (u_int k = 0; k < n || (!n && k == 0); k++) {
		if (n)
			snprintf(host, sizeof host, "%s:%u", e->servers.servers_val[k].host,
				 e->servers.servers_val[k].port);
		else
			snprintf(host, sizeof host, "%s", known ? known : "");
		if (r->json) {
			ctl_printf(r, CTLP_STDOUT, "%s", k ? "," : "");
			ctl_json_str(r, host);
		} else {
			ctl_printf(r, CTLP_STDOUT, "  %s", ctl_esc(r, host));
		}
	}
	ctl_printf(r, CTLP_STDOUT, r->json ? "]}" : "\n");
	*first = 0;
}

static void whereis_answer(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	struct ctl_walk *w = r->state;
	hs_vldb_res *vr = res;
	int first = !w->printed;

	whereis_print(r, w->cursor, !err && vr && vr->status == 0 ?
		      &vr->hs_vldb_res_u.ent : NULL, &first);
	w->printed = 1;
	w->cursor++;
	whereis_step(r);
}

static void whereis_step(struct ctl_req *r)
{
	struct ctl_walk *w = r->state;
	int status = 0;

	for (int k = 0; k < w->cursor; k++)
		if (w->res[k].err > 0)
			status = w->res[k].err;
	while (w->cursor < r->argc) {
		struct ctl_path_res *p = &w->res[w->cursor];
		uint32_t lvol = p->a.fid.volume;
		int first = !w->printed;

		if (!p->err && vr_realm_of(lvol) == VR_LOCAL_REALM) {
			/* /coda itself: venus's, no server's */
			status = ctl_realmdir_error(r, w->cursor, &first);
			p->err = status;   /* counted again after an answer */
			w->printed = !first;
			w->cursor++;
			continue;
		}
		if (p->err) {
			if (p->err > 0) {
				status = p->err;
				ctl_path_error(r, w->cursor, p->err, &first);
				w->printed = !first;
			}
			w->cursor++;
			continue;
		}
		if (vr_is_up(lvol)) {
			hs_vldb_args a = { vr_volid_of(lvol), (char *)"" };

			vr_call_as(lvol, r->uid, HS_VLDB_LOOKUP, (xdrproc_t)xdr_hs_vldb_args,
				   &a, (xdrproc_t)xdr_hs_vldb_res, sizeof(hs_vldb_res),
				   whereis_answer, r);
			return;
		}
		whereis_print(r, w->cursor, NULL, &first);
		w->printed = 1;
		w->cursor++;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

static void whereis_finish(struct ctl_req *r)
{
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"locations\":[");
	whereis_step(r);
}

/* ---- getmountpoint VOLID@REALM ---- */

struct gmt_find {
	uint32_t    lvol;      /* by number, or */
	unsigned    realm;     /* ... by name in this realm */
	const char *name;
	int         found;
	uint32_t    got;
	char        path[4096];
};

static void gmt_each(void *arg, const struct fso_cacheinfo *ci)
{
	struct gmt_find *g = arg;
	struct fso_mount mi;
	const char *vn;

	if (g->found || !S_ISDIR(ci->type))
		return;
	if (g->name ? vr_realm_of(ci->fid.volume) != g->realm ||
		      !(vn = vr_volume_name(ci->fid.volume)) || strcmp(vn, g->name) :
		      ci->fid.volume != g->lvol)
		return;
	if (fso_mount_info(ci->ino, &mi) || !mi.is_root)
		return;
	g->found = 1;
	g->got = ci->fid.volume;
	snprintf(g->path, sizeof g->path, "%s", ci->path);
}

int ctl_volume_root_path(uint32_t lvol, char *buf, size_t n)
{
	struct gmt_find g = { lvol, 0, NULL, 0, 0, "" };

	fso_foreach_cached(gmt_each, &g);
	if (!g.found)
		return ENOENT;
	snprintf(buf, n, "%s", g.path);
	return 0;
}

/* One VOLID@REALM (Coda's "%x@%s"; Hesper also takes VOLNAME@REALM, which
 * cfs replayclosure uses): the path the volume's root is mounted at, from
 * the cache (a volume venus never crossed into has no known mount point:
 * ENOENT). */
static int gmt_one(struct ctl_req *r, const char *arg, int *first)
{
	unsigned long v;
	char what[HS_MAXNAMELEN + 1], disp[PATH_MAX + 256], *end;
	const char *at = strrchr(arg, '@'), *realm = at ? at + 1 : "";
	struct gmt_find g = { 0, 0, NULL, 0, 0, "" };
	int idx;

	if (!at || at == arg || !*realm || (size_t)(at - arg) > HS_MAXNAMELEN) {
		ctl_printf(r, CTLP_STDERR, "Usage: cfs getmountpoint VOLID@REALM...\n");
		return EINVAL;
	}
	snprintf(what, sizeof what, "%.*s", (int)(at - arg), arg);
	v = strtoul(what, &end, 16);
	if (*end || !v || v > VR_VOLID_MASK)
		g.name = what;   /* not a number: a volume name */
	idx = strcmp(realm, ctl_realm()) ? vr_realm_index(realm) : 0;
	if (idx >= 0) {
		g.lvol = (uint32_t)idx << VR_REALM_SHIFT | (uint32_t)v;
		g.realm = (unsigned)idx;
		fso_foreach_cached(gmt_each, &g);
	}
	if (!g.found) {
		ctl_printf(r, CTLP_STDERR, "Failed in GetMountPoint.: %s: %s\n",
			   ctl_esc(r, arg), strerror(ENOENT));
		return ENOENT;
	}
	ctl_disp(disp, sizeof disp, g.path);
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "%s{\"volume\":", *first ? "" : ",");
		ctl_json_str(r, arg);
		ctl_printf(r, CTLP_STDOUT, ",\"id\":%u,\"path\":", vr_volid_of(g.got));
		ctl_json_str(r, disp);
		ctl_printf(r, CTLP_STDOUT, "}");
		*first = 0;
	} else {
		ctl_printf(r, CTLP_STDOUT, "%s:  %s\n", ctl_esc(r, arg), ctl_esc(r, disp));
	}
	return 0;
}

static void cmd_getmountpoint(struct ctl_req *r)
{
	int status = 0, first = 1;

	if (!r->argc) {
		ctl_fail(r, EINVAL, "Usage: cfs getmountpoint VOLID@REALM...");
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"mountpoints\":[");
	for (int i = 0; i < r->argc; i++) {
		int err = gmt_one(r, r->argv[i], &first);

		status = err ? err : status;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

/* ---- setquota DIR BLOCKS ---- */

struct sq_ctx {
	struct ctl_req *r;
	uint64_t        blocks;
	uint64_t        old_max;
};

static void sq_set(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	hs_status_res *st = res;
	struct ctl_walk *w = r->state;
	char disp[PATH_MAX + 256];

	if (!err && st)
		err = st->status;
	if (err) {
		ctl_fail(r, err, "Setting new quota: %s", strerror(err));
		return;
	}
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"path\":");
		ctl_json_str(r, ctl_disp(disp, sizeof disp, r->argv[0]));
		ctl_printf(r, CTLP_STDOUT, ",\"volume\":%u,\"old_max_quota\":%" PRIu64
			   ",\"max_quota\":%" PRIu64 "}\n", vr_volid_of(w->res[0].a.fid.volume),
			   w->res[0].vs.max_quota, w->res[0].vs.min_quota);
	}
	ctl_done(r, 0);
}

/* Coda's SetQuota: read the status, say the old and new maximum, set it
 * (the minimum stays). */
static void sq_got(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	struct ctl_walk *w = r->state;
	hs_volstat_res *vs = res;
	char disp[PATH_MAX + 256];
	hs_setquota_args a;
	uint32_t lvol = w->res[0].a.fid.volume;
	unsigned long long blocks = strtoull(r->argv[1], NULL, 10);

	if (!err && vs)
		err = vs->status;
	if (err) {
		ctl_fail(r, err, "%s: %s", ctl_disp(disp, sizeof disp, r->argv[0]),
			 strerror(err));
		return;
	}
	if (!r->json)
		ctl_printf(r, CTLP_STDOUT, "maximum quota is %llu\n"
			   "New value of vs->MaxQuota will be set to %llu\n",
			   (unsigned long long)vs->hs_volstat_res_u.st.max_quota, blocks);
	a.id = vr_volid_of(lvol);
	a.max_quota = blocks;
	a.min_quota = vs->hs_volstat_res_u.st.min_quota;
	/* the JSON reply's old and new maximum ride in vs */
	w->res[0].vs.max_quota = vs->hs_volstat_res_u.st.max_quota;
	w->res[0].vs.min_quota = blocks;
	vr_call_as(lvol, r->uid, HS_SETQUOTA, (xdrproc_t)xdr_hs_setquota_args, &a,
		   (xdrproc_t)xdr_hs_status_res, sizeof(hs_status_res), sq_set, r);
}

static void setquota_finish(struct ctl_req *r)
{
	struct ctl_walk *w = r->state;
	char disp[PATH_MAX + 256], *end = NULL;
	unsigned id;

	if (r->argc != 2 || !*r->argv[1] || (strtoull(r->argv[1], &end, 10), *end) ||
	    r->argv[1][0] == '-') {
		ctl_fail(r, EINVAL, "Usage: cfs setquota DIR BLOCKS");
		return;
	}
	if (w->res[0].err) {
		ctl_fail(r, w->res[0].err, "%s: %s", ctl_disp(disp, sizeof disp, r->argv[0]),
			 strerror(w->res[0].err));
		return;
	}
	if (vr_realm_of(w->res[0].a.fid.volume) == VR_LOCAL_REALM) {
		int first = 1;

		if (r->json)
			ctl_printf(r, CTLP_STDOUT, "{\"results\":[");
		ctl_realmdir_error(r, 0, &first);
		if (r->json)
			ctl_printf(r, CTLP_STDOUT, "]}\n");
		ctl_done(r, EINVAL);
		return;
	}
	id = vr_volid_of(w->res[0].a.fid.volume);
	vr_call_as(w->res[0].a.fid.volume, r->uid, HS_GETVOLSTAT, (xdrproc_t)xdr_u_int,
		   &id, (xdrproc_t)xdr_hs_volstat_res, sizeof(hs_volstat_res), sq_got, r);
}

void ctl_mount_run(struct ctl_req *r)
{
	const char *n = cmd_name(r);

	if (!strcmp(n, "whereis"))
		ctl_walk_start(r, whereis_finish);
	else if (!strcmp(n, "getmountpoint"))
		cmd_getmountpoint(r);
	else if (!strcmp(n, "setquota"))
		ctl_walk_start(r, setquota_finish);
	else
		cmd_mount_paths(r);
}
