/*
 * conflict_keep.c - cfs preservelocal (conflict.h): the local version of
 * an object in conflict wins, in Coda's sense, and is on the server when
 * the command returns.
 *
 *   create/create  vice has another object of that name: the local data
 *                  becomes a store (and a mode setattr) on the server's
 *                  object, checked against its current version; the local
 *                  object and its create are dropped.
 *   update/update  the store is sent again without the version check.
 *   remove/update  the remove is sent again without the version check.
 *   update/remove  vice removed the file: the local version comes back as
 *                  a new file of the same name in its last directory (a
 *                  logged create and store); the old object's records go.
 *
 * The cached copy of the object is made the local version before the
 * records are sent, so that when they are applied the cache and vice
 * agree (fso_reint_applied takes the container as current after a store).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"
#include "venus/repair/conflict.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_disc.h"
#include "venus/repair/reint.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"

/* The first conflicted row of one object, the part preserve needs. */
struct kept_row {
	uint64_t seq, ino;
	int      op, status, found;
	hs_fid   obj, dir;
	char     name[256];
	uid_t    uid;       /* the user the record was made for */
};

/* One preservelocal command, carried across the lookups and the pass. */
struct keep {
	hs_fid         objs[256];
	unsigned       n, i;
	hs_fid         check[256];   /* the fids whose conflicts must be gone */
	int            all, err;
	conflict_done_fn done;
	void          *arg;
};

static void keep_next(struct keep *k);

static int first_conflict(void *arg, struct cml_row *r)
{
	struct kept_row *kr = arg;

	if (!r->conflict)
		return 0;
	*kr = (struct kept_row){ r->seq, r->ino, r->op, r->conflict, 1, r->obj, r->dir, "",
				 r->uid };
	snprintf(kr->name, sizeof kr->name, "%s", r->name);
	return 1;
}

struct newest {
	uint64_t seq;
};

static int newest_store(void *arg, struct cml_row *r)
{
	if (r->op == HS_OP_STORE)
		((struct newest *)arg)->seq = r->seq;
	return 0;
}

/* The local version's bytes: the newest frozen store of fid, else the
 * container ino.  -1 with errno set when there is neither. */
static int open_local(const hs_fid *fid, uint64_t ino)
{
	struct newest n = { 0 };
	char path[4096];

	cml_foreach(V->cml, fid, newest_store, &n);
	if (n.seq)
		cml_data_path(n.seq, path, sizeof path);
	else
		cache_path(ino, path, sizeof path);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int clear_row(void *arg, struct cml_row *r)
{
	(void)arg;
	if (r->conflict)
		cml_clear_conflict(V->cml, r->seq, 1);
	return 0;
}

/* update/update, remove/update: send the records again unchecked. */
static int resend(const struct kept_row *kr)
{
	int fd = open_local(&kr->obj, kr->ino), err;

	if (fd >= 0) {
		fso_disc_show_local(&kr->obj, fd);
		close(fd);
	}
	if ((err = cml_foreach(V->cml, &kr->obj, clear_row, NULL)))
		return err;
	fso_local_discarded(&kr->obj);   /* recompute its cml mark */
	return 0;
}

/* The store (and mode setattr) that carry the local version of a created
 * file onto the server's object s. */
static int log_onto(const hs_attr *s, uid_t uid, uint64_t ino, int fd, unsigned mode,
		    const char *name)
{
	hs_cml_rec rec;
	struct stat st;
	int err;

	if (fstat(fd, &st))
		return errno;
	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_STORE;
	rec.hs_cml_rec_u.store.fid = s->fid;
	srv_new_storeid(&rec.hs_cml_rec_u.store.sid);
	rec.hs_cml_rec_u.store.size = (uint64_t)st.st_size;
	rec.hs_cml_rec_u.store.mtime.sec = st.st_mtim.tv_sec;
	rec.hs_cml_rec_u.store.mtime.nsec = (unsigned)st.st_mtim.tv_nsec;
	if ((err = cml_append(V->cml, uid, &rec, &s->fid, NULL, ino, fd, s->dataversion, name)) ||
	    (mode & 07777) == (s->mode & 07777))
		return err;
	memset(&rec, 0, sizeof rec);
	rec.op = HS_OP_SETATTR;
	rec.hs_cml_rec_u.setattr.fid = s->fid;
	srv_new_storeid(&rec.hs_cml_rec_u.setattr.sid);
	rec.hs_cml_rec_u.setattr.mask = HS_SET_MODE;
	rec.hs_cml_rec_u.setattr.mode = mode & 07777;
	return cml_append(V->cml, uid, &rec, &s->fid, NULL, ino, -1, 0, name);
}

/* create/create: the local file's data onto the server's object s. */
static int onto_server(struct keep *k, const struct kept_row *kr, const hs_attr *s)
{
	struct fso_disc_obj l, so;
	int have_l = !fso_disc_get(&kr->obj, &l), have_so = !fso_disc_get(&s->fid, &so);
	unsigned mode = have_l ? l.mode : s->mode;
	int fd, err;

	if (s->type != HS_FREG || (have_l && l.type != HS_FREG))
		return EISDIR;   /* only files have data to carry over */
	if ((fd = open_local(&kr->obj, kr->ino)) < 0)
		return errno;
	if ((err = cml_begin(V->cml)))
		goto out;
	err = cml_drop_obj(V->cml, &kr->obj);
	if (!err)
		err = log_onto(s, kr->uid, have_so ? so.ino : 0, fd, mode, kr->name);
	if ((err = cml_commit(V->cml, err)))
		goto out;
	fso_disc_show_local(&s->fid, fd);
	fso_local_discarded(&kr->obj);
	k->check[k->i] = s->fid;
out:
	close(fd);
	return err;
}

/* update/remove: re-create the file vice removed, holding the local
 * version.  Files only; ENOENT when venus no longer knows where it was. */
static int recreate(struct keep *k, const struct kept_row *kr)
{
	struct fso_disc_obj o, n;
	hs_attr s;
	int fd, err;

	if (fso_disc_get(&kr->obj, &o) || o.type != HS_FREG || !o.name[0] || !o.parent)
		return ENOENT;
	if ((fd = open_local(&kr->obj, kr->ino)) < 0)
		return errno;
	if ((err = cml_begin(V->cml)))
		goto out;
	err = cml_drop_obj(V->cml, &kr->obj);
	if (!err)
		err = fso_disc_recreate(&kr->obj, &n);
	if (!err) {
		memset(&s, 0, sizeof s);
		s.fid = n.fid;
		s.type = HS_FREG;
		s.mode = n.mode;
		err = log_onto(&s, kr->uid, n.ino, fd, n.mode, o.name);
	}
	if ((err = cml_commit(V->cml, err)))
		goto out;
	fso_disc_show_local(&n.fid, fd);
	fso_local_discarded(&kr->obj);
	/* The kernel may still map the name to the old object. */
	fso_disc_name_changed(o.parent, o.name);
	k->check[k->i] = n.fid;
out:
	close(fd);
	return err;
}

struct lookup_ctx {
	struct keep    *k;
	struct kept_row kr;
};

static void looked_up(void *arg, int err, void *resp)
{
	struct lookup_ctx *c = arg;
	hs_lookup_res *r = resp;

	if (!err && r->status)
		err = r->status;
	if (!err)
		err = onto_server(c->k, &c->kr, &r->hs_lookup_res_u.ok.obj);
	if (err)
		vlog(LOG_ERR, "preservelocal %s: %s", c->kr.name, strerror(err));
	if (err && !c->k->err)
		c->k->err = err;
	c->k->i++;
	keep_next(c->k);
	free(c);
}

/* create/create: ask vice which object holds the name now. */
static void lookup_server(struct keep *k, const struct kept_row *kr)
{
	struct lookup_ctx *c = calloc(1, sizeof *c);
	hs_lookup_args a;

	if (!c) {
		k->err = ENOMEM;
		k->i++;
		keep_next(k);
		return;
	}
	c->k = k;
	c->kr = *kr;
	a.dir = kr->dir;
	a.name = c->kr.name;
	vr_call_as(kr->dir.volume, kr->uid, HS_LOOKUP, (xdrproc_t)xdr_hs_lookup_args, &a,
		    (xdrproc_t)xdr_hs_lookup_res, sizeof(hs_lookup_res), looked_up, c);
}

static int still_conflicts(const struct keep *k)
{
	struct kept_row kr;

	if (k->all)
		return cml_conflicts(V->cml) != 0;
	for (unsigned i = 0; i < k->n; i++) {
		kr.found = 0;
		cml_foreach(V->cml, &k->check[i], first_conflict, &kr);
		if (kr.found)
			return 1;
	}
	return 0;
}

static void pass_done(void *arg, int err)
{
	struct keep *k = arg;

	/* Other objects' conflicts are not this command's failure. */
	if (err == HS_ECONFLICT)
		err = still_conflicts(k) ? HS_ECONFLICT : 0;
	k->done(k->arg, k->err ? k->err : err);
	free(k);
}

/* Repair the i-th object, or send everything when all are done. */
static void keep_next(struct keep *k)
{
	struct kept_row kr;
	int err;

	for (; k->i < k->n; k->i++) {
		kr.found = 0;
		cml_foreach(V->cml, &k->objs[k->i], first_conflict, &kr);
		if (!kr.found)
			continue;
		if (kr.status == EEXIST && (kr.op == HS_OP_CREATE || kr.op == HS_OP_SYMLINK ||
					    kr.op == HS_OP_MKDIR || kr.op == HS_OP_MKNOD) &&
		    cml_is_local(&kr.obj)) {
			lookup_server(k, &kr);
			return;
		}
		if ((kr.status == ENOENT || kr.status == ESTALE) && kr.op != HS_OP_REMOVE &&
		    kr.op != HS_OP_RMDIR) {
			if ((err = recreate(k, &kr))) {
				vlog(LOG_ERR, "preservelocal %s: cannot re-create what the server "
				     "removed (%s); the local version stays in <cachedir>/conflicts",
				     kr.name, strerror(err));
				k->err = k->err ? k->err : err;
			}
			continue;
		}
		if ((err = resend(&kr)) && !k->err)
			k->err = err;
	}
	fso_cml_settle();
	reint_run(V->reint, 0, 0, NULL, pass_done, k);
}

void conflict_preserve(const hs_fid *fid, conflict_done_fn done, void *arg)
{
	struct keep *k = calloc(1, sizeof *k);
	hs_fid objs[256];
	int err;

	if (!k) {
		done(arg, ENOMEM);
		return;
	}
	if ((err = conflict_objects(fid, objs, &k->n))) {
		free(k);
		done(arg, err);
		return;
	}
	memcpy(k->objs, objs, sizeof objs);
	memcpy(k->check, objs, sizeof objs);
	k->all = fid == NULL;
	k->done = done;
	k->arg = arg;
	keep_next(k);
}
