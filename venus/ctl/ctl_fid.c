/*
 * ctl_fid.c - cfs commands about cached objects and their fids: getfid,
 * getpath, getpfid, flushobject, flushcache, flushvolume, and truncatelog
 * (the cache's metadata log).  Text in Coda 8's wording (coda-src/vtools/
 * cfs.cc GetFid, GetPath, GetPFid, FlushObject, FlushVolume).
 *
 * getfid prints Coda's version vector "[ S0 S1 .. S7 ] [ HOST.UNIQ ]
 * [ FLAGS ]".  A Hesper volume lives on one vice, so the vector has one
 * site: S0 is the object's data version (vice's count of its mutations,
 * what Coda's single-replica vector counts too), S1..S7 are 0.  venus
 * keeps no per-object store id, so the store id is 0.0.  FLAGS is Coda's
 * inconsistency bit (VV_INCON, 0x1) when a record of the object is in
 * conflict, else 0.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/store/db.h"
#include "venus/net/volreg.h"
#include "venus/ctl/ctl_int.h"

/* Width of the widest path argument, for Coda's aligned echo. */
static int widest(struct ctl_req *r)
{
	char buf[PATH_MAX + 256];
	int w = 0;

	for (int i = 0; i < r->argc; i++) {
		int n = (int)strlen(ctl_disp(buf, sizeof buf, r->argv[i]));

		w = n > w ? n : w;
	}
	return w;
}

/* ---- getfid ---- */

static int row_in_conflict(void *arg, struct cml_row *row)
{
	if (!row->conflict)
		return 0;
	*(int *)arg = 1;
	return 1;
}

/* Coda's version-vector flags of fid: VV_INCON when in conflict. */
static unsigned vv_flags(const hs_fid *fid)
{
	int incon = 0;

	cml_foreach(V->cml, fid, row_in_conflict, &incon);
	return incon ? 0x1 : 0;
}

static void getfid_one(struct ctl_req *r, int i, const struct fso_attr *a,
		       int *first, int w)
{
	char fid[40], full[300], buf[PATH_MAX + 256];

	ctl_fid_str(fid, sizeof fid, &a->fid);
	ctl_disp(buf, sizeof buf, r->argv[i]);
	if (!r->json) {
		snprintf(full, sizeof full, "%s@%s", fid, ctl_realm_of(a->fid.volume));
		if (r->argc > 1)
			ctl_printf(r, CTLP_STDOUT, "  %*s  ", w, ctl_esc(r, buf));
		ctl_printf(r, CTLP_STDOUT, "FID = %-20s  VV = [ %llu 0 0 0 0 0 0 0 ] "
			   "[ 0.0 ] [ %#x ]\n", full, (unsigned long long)a->dataversion,
			   vv_flags(&a->fid));
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", *first ? "" : ",");
	ctl_json_str(r, buf);
	ctl_printf(r, CTLP_STDOUT, ",\"fid\":\"%s\",\"volume\":%u,\"vnode\":%u,"
		   "\"unique\":%u,\"realm\":", fid, vr_volid_of(a->fid.volume),
		   a->fid.vnode, a->fid.unique);
	ctl_json_str(r, ctl_realm_of(a->fid.volume));
	ctl_printf(r, CTLP_STDOUT, ",\"dataversion\":%llu,\"conflict\":%s}",
		   (unsigned long long)a->dataversion, ctl_jbool(vv_flags(&a->fid)));
	*first = 0;
}

static void getfid_finish(struct ctl_req *r)
{
	struct ctl_walk *wk = r->state;
	int status = 0, first = 1, w = widest(r);
	struct ctl_view *view = ctl_view_new(r);

	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"fids\":[");
	for (int i = 0; i < r->argc; i++) {
		/* venus resolved the path as itself: answer as the mount would */
		if (!wk->res[i].err && !ctl_view_obj(view, wk->res[i].a.ino))
			wk->res[i].err = view ? EACCES : ENOMEM;
		if (wk->res[i].err) {
			status = wk->res[i].err;
			ctl_path_error(r, i, status, &first);
		} else {
			getfid_one(r, i, &wk->res[i].a, &first, w);
		}
	}
	ctl_view_free(view);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

/* ---- getpath, getpfid: fid -> cached object ---- */

struct fid_find {
	hs_fid   fid;        /* wanted (by fid), or */
	char    *path;       /* wanted (by path, "/a/b"), or NULL */
	int      found;
	uint64_t got_ino;
	hs_fid   got_fid;
	char     got_path[4096];
};

static void find_each(void *arg, const struct fso_cacheinfo *ci)
{
	struct fid_find *f = arg;

	if (f->found)
		return;
	if (f->path ? strcmp(ci->path, f->path) :
	    memcmp(&ci->fid, &f->fid, sizeof f->fid))
		return;
	f->found = 1;
	f->got_ino = ci->ino;
	f->got_fid = ci->fid;
	snprintf(f->got_path, sizeof f->got_path, "%s", ci->path);
}

/* Parse Coda's "vol.vnode.unique@realm" into a local fid (volreg.h:
 * the realm's index in the volume's top byte).  0, or EINVAL, or ENOENT
 * for a realm venus does not know (nothing of it is cached). */
static int parse_fid(const char *s, hs_fid *fid)
{
	unsigned v, n, u;
	char at;
	const char *realm;
	int idx;

	if (sscanf(s, "%x.%x.%x@%c", &v, &n, &u, &at) != 4 || v > VR_VOLID_MASK)
		return EINVAL;
	realm = strchr(s, '@') + 1;
	idx = strcmp(realm, ctl_realm()) ? vr_realm_index(realm) : 0;
	if (idx < 0)
		return ENOENT;
	fid->volume = (uint32_t)idx << VR_REALM_SHIFT | v;
	fid->vnode = n;
	fid->unique = u;
	return 0;
}

/* One FID argument of getpath (parent 0) or getpfid (parent 1). */
static int fid_one(struct ctl_req *r, const struct ctl_view *view, const char *arg,
		   int parent, int w, int *first)
{
	struct fid_find f = { { 0, 0, 0 }, NULL, 0, 0, { 0, 0, 0 }, "" };
	char fid[40], full[PATH_MAX + 256];
	int err = parse_fid(arg, &f.fid);

	if (err == EINVAL) {
		/* Coda's message, on stdout after the echoed argument */
		if (!r->json && r->argc > 1)
			ctl_printf(r, CTLP_STDOUT, "  %*s  ", w, ctl_esc(r, arg));
		ctl_printf(r, r->json ? CTLP_STDERR : CTLP_STDOUT, "Malformed fid: "
			   "should look like %%x.%%x.%%x@<realm>\n");
		return EINVAL;
	}
	if (!err)
		fso_foreach_cached(find_each, &f);
	/* what the peer may not see is, for them, not in the cache */
	if (!err && (!f.found || !f.got_path[0] || !ctl_view_obj(view, f.got_ino)))
		err = ENOENT;
	if (!err && parent) {
		char *slash = strrchr(f.got_path, '/');

		/* The root is its own parent, as in Coda. */
		if (slash && slash != f.got_path)
			*slash = '\0';
		else
			snprintf(f.got_path, sizeof f.got_path, "/");
		f.path = f.got_path;
		f.found = 0;
		fso_foreach_cached(find_each, &f);
		if (!f.found || !ctl_view_obj(view, f.got_ino))
			err = ENOENT;
	}
	if (err) {
		ctl_printf(r, CTLP_STDERR, "%s: %s (not in the cache)\n", ctl_esc(r, arg),
			   strerror(err));
		return err;
	}
	if (!r->json && r->argc > 1)
		ctl_printf(r, CTLP_STDOUT, "  %*s  ", w, ctl_esc(r, arg));
	ctl_fid_str(fid, sizeof fid, &f.got_fid);
	ctl_disp(full, sizeof full, f.got_path);
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "%s{\"fid\":", *first ? "" : ",");
		ctl_json_str(r, arg);
		if (parent)
			ctl_printf(r, CTLP_STDOUT, ",\"parent\":\"%s\"}", fid);
		else {
			ctl_printf(r, CTLP_STDOUT, ",\"path\":");
			ctl_json_str(r, full);
			ctl_printf(r, CTLP_STDOUT, "}");
		}
		*first = 0;
	} else if (parent) {
		ctl_printf(r, CTLP_STDOUT, "FID = %-20s\n", fid);
	} else {
		ctl_printf(r, CTLP_STDOUT, "\t%s\n", ctl_esc(r, full));
	}
	return 0;
}

static void cmd_fids(struct ctl_req *r, int parent)
{
	int status = 0, first = 1, w = 0;
	struct ctl_view *view;

	if (!r->argc) {
		ctl_fail(r, EINVAL, "Usage: cfs %s FID...", parent ? "getpfid" : "getpath");
		return;
	}
	for (int i = 0; i < r->argc; i++) {
		int n = (int)strlen(r->argv[i]);

		w = n > w ? n : w;
	}
	if (!(view = ctl_view_new(r))) {
		ctl_fail(r, ENOMEM, "%s: %s", r->cmd, strerror(ENOMEM));
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"%s\":[", parent ? "parents" : "paths");
	for (int i = 0; i < r->argc; i++) {
		int err = fid_one(r, view, r->argv[i], parent, w, &first);

		status = err ? err : status;
	}
	ctl_view_free(view);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

/* ---- flushobject ---- */

static void flush_finish(struct ctl_req *r)
{
	struct ctl_walk *wk = r->state;
	char buf[PATH_MAX + 256];
	int status = 0, first = 1, w = widest(r), many = r->argc > 1;

	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"results\":[");
	for (int i = 0; i < r->argc; i++) {
		int err = wk->res[i].err ? wk->res[i].err : fso_flush(wk->res[i].a.ino);

		ctl_disp(buf, sizeof buf, r->argv[i]);
		if (err)
			status = err;
		if (err && r->json) {
			ctl_path_error(r, i, err, &first);
		} else if (err == EBUSY) {
			/* open, or holding changes not yet at vice */
			ctl_printf(r, CTLP_STDERR, "%s%*s%sCan't flush active file\n",
				   many ? "  " : "", many ? w : 0, many ? ctl_esc(r, buf) : "",
				   many ? "  " : "");
		} else if (err) {
			ctl_path_error(r, i, err, &first);
		} else if (r->json) {
			ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", first ? "" : ",");
			ctl_json_str(r, buf);
			ctl_printf(r, CTLP_STDOUT, ",\"errno\":0}");
			first = 0;
		} else if (many) {
			ctl_printf(r, CTLP_STDOUT, "  %*s  \n", w, ctl_esc(r, buf));
		}
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, status);
}

/* ---- flushcache, flushvolume ---- */

struct ino_list {
	uint64_t *ino;
	size_t    n, cap;
	uint32_t *vols;      /* only these volumes (flushvolume), or NULL */
	size_t    nvols;
	int       nomem;
};

static void collect_each(void *arg, const struct fso_cacheinfo *ci)
{
	struct ino_list *l = arg;
	size_t k;

	if (ci->ino == FSO_ROOT_INO || l->nomem)
		return;
	for (k = 0; l->vols && k < l->nvols && l->vols[k] != ci->fid.volume; k++)
		;
	if (l->vols && k == l->nvols)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		uint64_t *p = realloc(l->ino, cap * sizeof *p);

		if (!p) {
			l->nomem = 1;
			return;
		}
		l->ino = p;
		l->cap = cap;
	}
	l->ino[l->n++] = ci->ino;
}

/* Flush every cached object l selects (collected first: flushing while
 * walking the table would change it under the walk).  Objects in use or
 * with changes not yet at vice stay, as in Coda. */
static int flush_all(struct ino_list *l, unsigned *flushed, unsigned *busy)
{
	fso_foreach_cached(collect_each, l);
	*flushed = *busy = 0;
	for (size_t i = 0; i < l->n; i++) {
		int err = fso_flush(l->ino[i]);

		if (!err)
			(*flushed)++;
		else if (err == EBUSY)
			(*busy)++;
	}
	free(l->ino);
	return l->nomem ? ENOMEM : 0;
}

static void flush_report(struct ctl_req *r, int err, unsigned flushed, unsigned busy)
{
	if (err) {
		ctl_fail(r, err, "%s: %s", r->cmd, strerror(err));
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"flushed\":%u,\"active\":%u}\n", flushed, busy);
	ctl_done(r, 0);
}

static void cmd_flushcache(struct ctl_req *r)
{
	struct ino_list l = { 0 };
	unsigned flushed, busy;
	int err = flush_all(&l, &flushed, &busy);

	flush_report(r, err, flushed, busy);
}

static void flushvolume_finish(struct ctl_req *r)
{
	struct ctl_walk *wk = r->state;
	uint32_t vols[64];
	struct ino_list l = { 0 };
	unsigned flushed, busy;
	char buf[PATH_MAX + 256];
	int status = 0, err;

	l.vols = vols;
	for (int i = 0; i < r->argc; i++) {
		if (wk->res[i].err) {
			status = wk->res[i].err;
			if (!r->json)
				ctl_printf(r, CTLP_STDERR, "  VIOC_FLUSHVOLUME: %s: %s\n",
					   ctl_disp(buf, sizeof buf, r->argv[i]),
					   strerror(status));
			continue;
		}
		if (l.nvols < sizeof vols / sizeof vols[0])
			vols[l.nvols++] = wk->res[i].a.fid.volume;
		/* Coda forgets the volume too: its location is asked again */
		vr_forget_location(wk->res[i].a.fid.volume);
	}
	if (!l.nvols) {
		ctl_done(r, status);
		return;
	}
	err = flush_all(&l, &flushed, &busy);
	if (err)
		status = err;
	flush_report(r, status, flushed, busy);
}

/* ---- truncatelog ---- */

/* Coda truncates RVM's log into the data segment; Hesper's metadata log
 * is the SQLite write-ahead log, checkpointed into the database and
 * truncated to zero bytes here. */
static void cmd_truncatelog(struct ctl_req *r)
{
	int logged = 0, moved = 0;
	int err = db_checkpoint(V->db, &logged, &moved);

	if (err) {
		ctl_fail(r, err, "  VIOC_TRUNCATELOG: %s", strerror(err));
		return;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"frames\":%d,\"checkpointed\":%d}\n",
			   logged, moved);
	ctl_done(r, 0);
}

void ctl_fid_run(struct ctl_req *r)
{
	const char *n = ctlp_find_cmd(r->cmd)->name;

	if (!strcmp(n, "getfid"))
		ctl_walk_start(r, getfid_finish);
	else if (!strcmp(n, "getpath"))
		cmd_fids(r, 0);
	else if (!strcmp(n, "getpfid"))
		cmd_fids(r, 1);
	else if (!strcmp(n, "flushobject"))
		ctl_walk_start(r, flush_finish);
	else if (!strcmp(n, "flushcache"))
		cmd_flushcache(r);
	else if (!strcmp(n, "flushvolume"))
		ctl_walk_start(r, flushvolume_finish);
	else
		cmd_truncatelog(r);
}
