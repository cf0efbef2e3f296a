/*
 * fsobj_mount.c - mount points and volume roots (Coda's: a symlink of
 * mode 0644 whose target is "#VOLUME." or "%VOLUME.").
 *
 * A lookup that finds a mount point answers with the volume's root
 * directory (vr_volume_root, asked once; the pairing is kept): the root's
 * parent and name become the mount point's directory and name, so `..`
 * of a volume root leads back across the mount point.  The link itself
 * stays the directory entry, so rename and unlink of that name act on
 * the link (cfs rmmount is an unlink).  The pairing (mount point dir,
 * name, link ino -> root ino) lives in memory and is rebuilt at start
 * from the rows (a root whose parent is in another volume), so a cached
 * mount point is crossed with no server up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"

/* One crossed mount point. */
struct mpt {
	uint64_t dir;                      /* the mount point's directory */
	uint64_t link;                     /* its link (0: a realm's root) */
	uint64_t root;                     /* the volume's root directory */
	char     name[HS_MAXNAMELEN + 1];  /* its name in dir */
};

/* Bounded: a realm with more mount points than this crossed in one run
 * just asks the VLDB again for the ones that fell out (oldest first). */
#define MPT_MAX 4096

static struct {
	struct mpt *v;
	size_t      n, cap;
} mpt;

int fso_is_mountpoint_attr(int hs_type, mode_t mode)
{
	return hs_type == HS_FLNK && (mode & 07777) == 0644;
}

static int is_mountpoint(const struct fso *o)
{
	return o && fso_is_mountpoint_attr(o->r.type, o->r.mode);
}

/* "#NAME." or "%NAME." -> NAME; EINVAL for another target. */
static int mp_volname(const char *target, char *out, size_t len)
{
	size_t n = target ? strlen(target) : 0;

	if (n < 3 || (target[0] != '#' && target[0] != '%') || target[n - 1] != '.' ||
	    n - 2 >= len || memchr(target + 1, '/', n - 2))
		return EINVAL;
	memcpy(out, target + 1, n - 2);
	out[n - 2] = '\0';
	return 0;
}

static struct mpt *mpt_find(uint64_t dir, const char *name)
{
	for (size_t i = 0; i < mpt.n; i++)
		if (mpt.v[i].dir == dir && !strcmp(mpt.v[i].name, name))
			return &mpt.v[i];
	return NULL;
}

static struct mpt *mpt_of_root(uint64_t root)
{
	for (size_t i = 0; i < mpt.n; i++)
		if (mpt.v[i].root == root)
			return &mpt.v[i];
	return NULL;
}

static void mpt_set(uint64_t dir, const char *name, uint64_t link, uint64_t root)
{
	struct mpt *m = mpt_find(dir, name);

	if (!m && mpt.n == mpt.cap) {
		size_t cap = mpt.cap ? mpt.cap * 2 : 32;
		struct mpt *v;

		if (mpt.cap >= MPT_MAX) {
			memmove(mpt.v, mpt.v + 1, (mpt.n - 1) * sizeof *v);
			mpt.n--;
		} else if ((v = realloc(mpt.v, cap * sizeof *v)) != NULL) {
			mpt.v = v;
			mpt.cap = cap;
		} else {
			return;   /* not remembered: the next crossing asks again */
		}
	}
	if (!m) {
		m = &mpt.v[mpt.n++];
		snprintf(m->name, sizeof m->name, "%s", name);
		m->dir = dir;
	}
	m->link = link;
	m->root = root;
}

void fo_mount_note(uint64_t dir, const char *name, uint64_t link, struct fso *root)
{
	char *n;

	mpt_set(dir, name, link, root->r.ino);
	if (dir == FSO_ROOT_INO)
		db_dirent_put(V->db, FSO_ROOT_INO, name, root->r.ino);
	if (root->r.parent == dir && root->r.name && !strcmp(root->r.name, name))
		return;
	if (!(n = strdup(name)))
		return;
	free(root->r.name);
	root->r.name = n;
	root->r.parent = dir;
	fo_save(root);
}

void fo_mount_rebuild(void)
{
	free(mpt.v);
	memset(&mpt, 0, sizeof mpt);
	for (size_t i = 0; i < fso_tab.nbuckets; i++)
		for (struct fso *o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			struct fso *p = o->r.parent ? fo_obj(o->r.parent) : NULL;
			uint64_t link = 0;

			if (o->r.type != HS_FDIR || !p || !o->r.name ||
			    p->r.fid.volume == o->r.fid.volume)
				continue;
			if (p->r.ino != FSO_ROOT_INO &&
			    db_dirent_get(V->db, p->r.ino, o->r.name, &link))
				continue;   /* the mount point is gone */
			mpt_set(p->r.ino, o->r.name, link, o->r.ino);
		}
}

uint64_t fo_mount_root_of(uint64_t dir, const char *name)
{
	struct mpt *m = mpt_find(dir, name);
	uint64_t link;

	if (!m || !fo_obj(m->root))
		return 0;
	if (m->link && (db_dirent_get(V->db, dir, name, &link) || link != m->link))
		return 0;
	return m->root;
}

void fo_volume_path(uint32_t lvol, char *buf, size_t len)
{
	const char *realm = vr_realm_name(vr_realm_of(lvol));

	buf[0] = '\0';
	for (size_t i = 0; i < mpt.n; i++) {
		struct fso *r = fo_obj(mpt.v[i].root);

		if (r && r->r.fid.volume == lvol) {
			fo_path_of(r, buf, len);
			if (buf[0])
				return;
		}
	}
	if (realm && !fo_check_cname(realm))
		snprintf(buf, len, "/%s", realm);
}

uint64_t fso_cached_child(uint64_t dir, const char *name)
{
	uint64_t child, root;
	struct fso *o;

	if (db_dirent_get(V->db, dir, name, &child) || !(o = fo_obj(child)))
		return 0;
	if (!is_mountpoint(o))
		return child;
	root = fo_mount_root_of(dir, name);
	return root ? root : 0;
}

int fso_mount_info(uint64_t ino, struct fso_mount *mi)
{
	struct fso *o = fo_obj(ino);
	struct mpt *m;

	memset(mi, 0, sizeof *mi);
	if (!o)
		return ENOENT;
	mi->volume = o->r.fid.volume;
	if (ino == FSO_ROOT_INO) {
		mi->is_realmdir = 1;
		return 0;
	}
	if ((m = mpt_of_root(ino)) != NULL) {
		mi->is_root = 1;
		mi->is_realm = m->dir == FSO_ROOT_INO;
		mi->mp_dir = m->dir;
		snprintf(mi->mp_name, sizeof mi->mp_name, "%s", m->name);
	} else if (o->r.type == HS_FDIR && o->r.fid.vnode == 1 && o->r.fid.unique == 1) {
		mi->is_root = 1;   /* vice's root vnode; where it is mounted is unknown */
	}
	return 0;
}

/* ---- crossing ---- */

struct cross {
	uint64_t dir, link;
	uid_t    uid;
	char     name[HS_MAXNAMELEN + 1];
	char     vol[HS_MAXNAMELEN + 1];
	fso_k    k;
	void    *arg;
};

static void cross_end(struct cross *c, int err, struct fso *o)
{
	fso_k k = c->k;
	void *arg = c->arg;

	free(c);
	k(arg, err, err ? NULL : o);
}

static void cross_root(void *arg, int err, const hs_fid *root)
{
	struct cross *c = arg;
	uint64_t known = fo_mount_root_of(c->dir, c->name);
	struct fso *o = NULL;

	if (err && known) {
		/* The VLDB or the volume's server is out of reach: the root we
		 * crossed to before serves (disconnected operation). */
		fo_with_fresh(known, c->uid, c->k, c->arg);
		free(c);
		return;
	}
	if (!err && !(o = fo_obj_by_fid(root)) && (o = fo_new_obj(root, HS_FDIR, 0)) != NULL) {
		o->r.mode = 0755;
		fo_save(o);
	}
	if (!err && !o)
		err = ENOMEM;
	if (err) {
		vlog(LOG_INFO, "mount point %s (volume %s): %s", c->name, c->vol, strerror(err));
		cross_end(c, err == ETIMEDOUT || err == ENOENT ? err : EIO, NULL);
		return;
	}
	fo_mount_note(c->dir, c->name, c->link, o);
	fo_with_fresh(o->r.ino, c->uid, c->k, c->arg);
	free(c);
}

static void cross_target(void *arg, int err, const char *target)
{
	struct cross *c = arg;
	struct fso *d = fo_obj(c->dir);
	uint64_t known = fo_mount_root_of(c->dir, c->name);

	if (known) {
		/* Crossed before through this very link: its target cannot
		 * change (a new mount point is a new link). */
		fo_with_fresh(known, c->uid, c->k, c->arg);
		free(c);
		return;
	}
	if (!err && !d)
		err = ESTALE;
	if (!err && mp_volname(target, c->vol, sizeof c->vol)) {
		cross_end(c, 0, fo_obj(c->link));   /* a plain 0644 symlink */
		return;
	}
	if (err) {
		cross_end(c, err, NULL);
		return;
	}
	vr_volume_root(vr_realm_of(d->r.fid.volume), c->vol, c->uid, cross_root, c);
}

/* o (found as dir/name) is a mount point: k gets the volume's root. */
static void cross(uint64_t dir, const char *name, struct fso *o, uid_t uid, fso_k k,
		  void *arg)
{
	struct cross *c = calloc(1, sizeof *c);

	if (!c) {
		k(arg, ENOMEM, NULL);
		return;
	}
	c->dir = dir;
	c->link = o->r.ino;
	c->uid = uid;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->k = k;
	c->arg = arg;
	if (fo_mount_root_of(dir, name)) {
		cross_target(c, 0, NULL);
		return;
	}
	fso_readlink(o->r.ino, uid, cross_target, c);
}

struct lkc {
	uint64_t dir;
	uid_t    uid;
	char     name[HS_MAXNAMELEN + 1];
	fso_k    k;
	void    *arg;
};

static void lkc_found(void *arg, int err, struct fso *o)
{
	struct lkc l = *(struct lkc *)arg;

	free(arg);
	if (!err && is_mountpoint(o))
		cross(l.dir, l.name, o, l.uid, l.k, l.arg);
	else
		l.k(l.arg, err, err ? NULL : o);
}

void fo_lookup_cross(uint64_t dir, const char *name, uid_t uid, fso_k k, void *arg)
{
	struct lkc *l = calloc(1, sizeof *l);

	if (!l) {
		k(arg, ENOMEM, NULL);
		return;
	}
	l->dir = dir;
	l->uid = uid;
	snprintf(l->name, sizeof l->name, "%s", name ? name : "");
	l->k = k;
	l->arg = arg;
	fo_lookup_entry(dir, name, uid, lkc_found, l);
}

struct dots {
	int    dotdot;
	uid_t  uid;
	fso_k  k;
	void  *arg;
};

static void dots_dir(void *arg, int err, struct fso *d)
{
	struct dots t = *(struct dots *)arg;

	free(arg);
	if (!err && d->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err && t.dotdot && d->r.ino != FSO_ROOT_INO) {
		/* The best-known parent: for a volume root, the mount point's
		 * directory (fo_mount_note). */
		if (!d->r.parent || !fo_obj(d->r.parent))
			err = ENOENT;
		else {
			fo_with_fresh(d->r.parent, t.uid, t.k, t.arg);
			return;
		}
	}
	t.k(t.arg, err, err ? NULL : d);
}

void fo_lookup_dots(uint64_t dir, int dotdot, uid_t uid, fso_k k, void *arg)
{
	struct dots *t = malloc(sizeof *t);

	if (!t) {
		k(arg, ENOMEM, NULL);
		return;
	}
	*t = (struct dots){ dotdot, uid, k, arg };
	fo_with_fresh(dir, uid, dots_dir, t);
}

/* ---- cfs lsmount, mkmount ---- */

struct lsm {
	fso_readlink_cb cb;
	void           *arg;
	uid_t           uid;
};

static void lsm_target(void *arg, int err, const char *target)
{
	struct lsm *l = arg;
	char vol[HS_MAXNAMELEN + 1];

	if (!err && mp_volname(target, vol, sizeof vol))
		err = EINVAL;
	l->cb(l->arg, err, err ? NULL : vol);
	free(l);
}

static void lsm_found(void *arg, int err, struct fso *o)
{
	struct lsm *l = arg;

	if (!err && !is_mountpoint(o))
		err = EINVAL;
	if (err) {
		l->cb(l->arg, err, NULL);
		free(l);
		return;
	}
	fso_readlink(o->r.ino, l->uid, lsm_target, l);
}

void fso_lsmount(uint64_t dir, const char *name, uid_t uid, fso_readlink_cb cb, void *arg)
{
	struct lsm *l = malloc(sizeof *l);

	if (!l) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	*l = (struct lsm){ cb, arg, uid };
	if (dir == FSO_ROOT_INO) {
		/* A realm's entry is no link: Coda says "not a mount point". */
		lsm_found(l, fo_check_cname(name) ? fo_check_cname(name) : EINVAL, NULL);
		return;
	}
	fo_lookup_obj(dir, name, uid, lsm_found, l);
}

struct mkm {
	uint64_t    dir;
	uid_t       uid;
	char        name[HS_MAXNAMELEN + 1];
	char        vol[HS_MAXNAMELEN + 1];
	fso_attr_cb cb;
	void       *arg;
};

static void mkm_end(struct mkm *m, int err, struct fso *o)
{
	struct fso_attr at;

	if (!err)
		fo_fill_attr(o, &at);
	m->cb(m->arg, err, err ? NULL : &at);
	free(m);
}

static void mkm_done(void *arg, int err, void *res)
{
	struct mkm *m = arg;
	hs_create_res *r = res;
	struct fso *d = fo_obj(m->dir), *o = NULL;
	char *t;

	if (!err && r->status)
		err = r->status;
	if (!err && !d)
		err = ESTALE;
	if (!err) {
		fo_apply_attr(d, &r->hs_create_res_u.ok.dir, 1);
		fo_note_rights(m->uid, &r->hs_create_res_u.ok.dir);
		if (!(o = fo_obj_for_attr(&r->hs_create_res_u.ok.obj, 1)))
			err = ENOMEM;
	}
	if (!err) {
		size_t n = strlen(m->vol) + 3;

		if ((t = malloc(n)) != NULL) {
			snprintf(t, n, "#%s.", m->vol);
			free(o->r.target);
			o->r.target = t;
			o->r.has_data = 1;
			o->r.data_dv = o->r.dataversion;
			fo_save(o);
		}
		fo_dir_add(d, m->name, o);
	}
	mkm_end(m, err, o);
}

static void mkm_send(void *arg, int err, struct fso *d)
{
	struct mkm *m = arg;
	hs_mkmount_args a;

	if (!err && d->r.type != HS_FDIR)
		err = ENOTDIR;
	if (!err && d->r.fid.volume == VR_LOCAL_VOL)
		err = EACCES;
	/* Only vice makes mount points (it checks the volume exists and the
	 * administer right): never logged.  A directory whose changes still
	 * wait in the CML (or that vice has not seen yet) must be
	 * reintegrated first, or the mount point would overtake them. */
	if (!err && (fo_offline(d->r.fid.volume) || !vr_reachable(d->r.fid.volume)))
		err = ETIMEDOUT;
	else if (!err && fo_trust_cache(d))
		err = EBUSY;
	if (err) {
		mkm_end(m, err, NULL);
		return;
	}
	memset(&a, 0, sizeof a);
	a.dir = d->r.fid;
	srv_new_storeid(&a.sid);
	a.name = m->name;
	a.volume = m->vol;
	vr_call_as(a.dir.volume, m->uid, HS_MKMOUNT, (xdrproc_t)xdr_hs_mkmount_args, &a,
		   (xdrproc_t)xdr_hs_create_res, sizeof(hs_create_res), mkm_done, m);
}

void fso_mkmount(uint64_t dir, const char *name, const char *volname, uid_t uid,
		 fso_attr_cb cb, void *arg)
{
	struct mkm *m;
	int err = fo_check_cname(name);

	if (!err && (!volname || !*volname || strlen(volname) > HS_MAXNAMELEN - 2 ||
		     strchr(volname, '/')))
		err = EINVAL;
	if (!err && dir == FSO_ROOT_INO)
		err = EACCES;
	if (!err && !(m = calloc(1, sizeof *m)))
		err = ENOMEM;
	if (err) {
		cb(arg, err, NULL);
		return;
	}
	m->dir = dir;
	m->uid = uid;
	snprintf(m->name, sizeof m->name, "%s", name);
	snprintf(m->vol, sizeof m->vol, "%s", volname);
	m->cb = cb;
	m->arg = arg;
	fo_with_fresh(dir, uid, mkm_send, m);
}
