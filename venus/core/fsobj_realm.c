/*
 * fsobj_realm.c - the realm directory: /coda itself (FSO_ROOT_INO), venus's
 * own read-only directory whose entries are the realms venus knows (Coda's
 * realm mount: /coda/<realm> is the realm's root volume, mounted on first
 * access).  Its record has the fid {VR_LOCAL_VOL, 1, 1}; vice never hears
 * of it.  The entries found are cached as directory rows (ino 1, realm
 * name) -> root ino, so a realm root cached by an earlier run is reached
 * with no server up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "venus/util/venus.h"
#include "venus/util/util.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"

/* Unknown realm names are remembered this long (seconds), so that a
 * shell's probing (ls /coda/foo in a loop, command lookups) does not ask
 * DNS and the realms file each time; short, so a realm made meanwhile
 * shows up soon. */
#define NEG_TTL 10
#define NEG_MAX 16

static struct {
	char   name[HS_MAXNAMELEN + 1];
	time_t until;
} neg[NEG_MAX];
static unsigned neg_next;

/* The old root of a cache made before realms (db.c moved it off ino 1):
 * realm 0's root until a lookup re-files it. */
static uint64_t old_root;

static int neg_has(const char *name)
{
	time_t now = time(NULL);

	for (unsigned i = 0; i < NEG_MAX; i++)
		if (neg[i].until > now && !strcmp(neg[i].name, name))
			return 1;
	return 0;
}

static void neg_add(const char *name)
{
	snprintf(neg[neg_next].name, sizeof neg[0].name, "%s", name);
	neg[neg_next].until = time(NULL) + NEG_TTL;
	neg_next = (neg_next + 1) % NEG_MAX;
}

static void note_old_root(void)
{
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next)
			if (o->r.parent == FSO_ROOT_INO && !o->r.name && o->r.type == HS_FDIR &&
			    o->r.fid.volume != VR_LOCAL_VOL)
				old_root = o->r.ino;
}

int fo_realmdir_init(void)
{
	static const hs_fid fid = { VR_LOCAL_VOL, 1, 1 };
	struct fso *o = fo_obj(FSO_ROOT_INO);

	old_root = 0;
	memset(neg, 0, sizeof neg);
	if (o && o->r.fid.volume != VR_LOCAL_VOL) {
		/* db_open migrates such a cache; this one was not. */
		vlog(LOG_ERR, "venus.db: ino 1 is a vice object (fid %x.%x.%x)",
		     o->r.fid.volume, o->r.fid.vnode, o->r.fid.unique);
		return EPROTO;
	}
	if (!o) {
		if (!(o = fo_new_obj(&fid, HS_FDIR, FSO_ROOT_INO)))
			return ENOMEM;
		o->r.mode = 0555;
		o->r.nlink = 2;
		o->r.mtime = o->r.ctime = o->r.atime = vu_time_now();
		o->r.has_data = 1;
		fo_save(o);
	}
	o->has_cb = 1;   /* nothing to revalidate: venus is its server */
	note_old_root();
	return 0;
}

struct rlk {
	char   name[HS_MAXNAMELEN + 1];
	uid_t  uid;
	fso_k  k;
	void  *arg;
};

static void rlk_root(void *arg, int err, const hs_fid *root)
{
	struct rlk *l = arg;
	struct fso *o = NULL;

	if (err == ENOENT)
		neg_add(l->name);
	if (!err && !(o = fo_obj_by_fid(root)) &&
	    (o = fo_new_obj(root, HS_FDIR, 0)) != NULL) {
		o->r.mode = 0755;
		fo_save(o);
	}
	if (!err && !o)
		err = ENOMEM;
	if (err) {
		vlog(LOG_INFO, "realm %s: %s", l->name, strerror(err));
		l->k(l->arg, err, NULL);
	} else {
		fo_mount_note(FSO_ROOT_INO, l->name, 0, o);
		fo_with_fresh(o->r.ino, l->uid, l->k, l->arg);
	}
	free(l);
}

void fo_realm_lookup(const char *name, uid_t uid, fso_k k, void *arg)
{
	struct fso *o;
	uint64_t child;
	struct rlk *l;

	if (!db_dirent_get(V->db, FSO_ROOT_INO, name, &child) && (o = fo_obj(child))) {
		fo_with_fresh(o->r.ino, uid, k, arg);
		return;
	}
	if (old_root && (o = fo_obj(old_root)) && vr_realm_index(name) == 0) {
		old_root = 0;
		fo_mount_note(FSO_ROOT_INO, name, 0, o);
		fo_with_fresh(o->r.ino, uid, k, arg);
		return;
	}
	if (neg_has(name)) {
		k(arg, ENOENT, NULL);
		return;
	}
	if (!(l = calloc(1, sizeof *l))) {
		k(arg, ENOMEM, NULL);
		return;
	}
	snprintf(l->name, sizeof l->name, "%s", name);
	l->uid = uid;
	l->k = k;
	l->arg = arg;
	vr_realm_root(name, uid, rlk_root, l);
}

struct rlist {
	struct fso_dirent *v;
	size_t             n, cap;
	int                err;
};

static void rlist_add(void *arg, unsigned idx, const char *name)
{
	struct rlist *l = arg;
	struct fso_dirent *e;
	uint64_t child;

	(void)idx;
	if (l->err || fo_check_cname(name))
		return;   /* a realm name that is no file name is not listed */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct fso_dirent *v = realloc(l->v, cap * sizeof *v);

		if (!v) {
			l->err = ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	/* Not mounted yet: no ino of its own (0 would hide the entry from
	 * some readdir(3)s); the lookup gives the real one. */
	e->ino = db_dirent_get(V->db, FSO_ROOT_INO, name, &child) || !fo_obj(child) ?
		 FSO_ROOT_INO : child;
	e->type = S_IFDIR;
	snprintf(e->name, sizeof e->name, "%s", name);
}

void fo_realm_readdir(fso_readdir_cb cb, void *arg)
{
	struct rlist l = { NULL, 0, 0, 0 };

	vr_realm_foreach(rlist_add, &l);
	cb(arg, l.err, l.err ? NULL : l.v, l.err ? 0 : l.n);
	free(l.v);
}
