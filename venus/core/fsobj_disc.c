/*
 * fsobj_disc.c - core's side of preservelocal and of the other calls the
 * repair layer makes (fsobj_disc.h): the fields of struct fso are written
 * here, not in conflict*.c.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>

#include "venus/util/venus.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"
#include "venus/core/fsobj_int.h"
#include "venus/core/fsobj_disc.h"

static void disc_fill(const struct fso *o, struct fso_disc_obj *out)
{
	memset(out, 0, sizeof(*out));
	out->fid = o->r.fid;
	out->ino = o->r.ino;
	out->parent = o->r.parent;
	out->type = o->r.type;
	out->mode = o->r.mode;
	out->uid = o->r.uid;
	out->gid = o->r.gid;
	if (o->r.name)
		snprintf(out->name, sizeof(out->name), "%s", o->r.name);
}

int fso_disc_get(const hs_fid *fid, struct fso_disc_obj *out)
{
	struct fso *o = fo_obj_by_fid(fid);

	if (!o)
		return ENOENT;
	disc_fill(o, out);
	return 0;
}

void fso_disc_show_local(const hs_fid *fid, int fd)
{
	struct fso *o = fo_obj_by_fid(fid);
	char path[4096];
	struct stat st;

	if (!o || o->r.type != HS_FREG || fstat(fd, &st))
		return;
	cache_path(o->r.ino, path, sizeof path);
	if (cml_copy_file(fd, path)) {
		vlog(LOG_WARNING, "preservelocal: cannot update the cached copy %s", path);
		return;
	}
	o->r.has_data = 1;
	o->r.size = (uint64_t)st.st_size;
	o->r.data_dv = 0;   /* current once the preserved records are applied */
	o->cml = 1;
	cache_note(o->r.ino, o->r.size, fo_now_us());
	fo_save(o);
	fo_update_pin(o);
	front_inval_inode(o->r.ino);
}

int fso_disc_recreate(const hs_fid *fid, struct fso_disc_obj *out)
{
	struct fso *o = fo_obj_by_fid(fid), *dir, *n = NULL;
	char name[HS_MAXNAMELEN + 1];
	int err;

	if (!o || o->r.type != HS_FREG || !o->r.name || !(dir = fo_obj(o->r.parent)))
		return ENOENT;
	snprintf(name, sizeof name, "%s", o->r.name);
	fo_dir_del(dir, name);   /* the old object's entry, if still listed */
	err = fo_log_create(dir, HS_CREATE, name, o->r.mode, o->r.uid, o->r.gid,
			    NULL, NULL, &n);
	if (!err)
		disc_fill(n, out);
	return err;
}

void fso_disc_name_changed(uint64_t dir, const char *name)
{
	front_inval_entry(dir, name);
}
