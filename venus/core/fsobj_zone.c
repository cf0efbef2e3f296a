/*
 * fsobj_zone.c - the yellow/red zones (zone.h) on core's mutation replies.
 *
 * Every front end gets the same back-pressure because core applies it:
 * the reply of a create, mkdir or symlink and of a close or flush that
 * stored data waits in zone_admit once the change is logged.  Container
 * writes are the one mutation core does not see (the kernel writes the
 * container itself; FUSE writes it in fuse_file.c), so a front end that
 * answers writes passes the reply through fso_write_admit.
 */
#include <stdlib.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/log/volstate.h"
#include "venus/log/zone.h"

struct zattr {
	fso_attr_cb     cb;
	void           *arg;
	struct fso_attr a;
};

static void zattr_go(void *arg)
{
	struct zattr *z = arg;

	z->cb(z->arg, 0, &z->a);
	free(z);
}

void fo_zone_attr(fso_attr_cb cb, void *arg, const struct fso_attr *a)
{
	struct zattr *z = malloc(sizeof(*z));

	if (!z) {
		cb(arg, 0, a);   /* the change is made: no error, no wait */
		return;
	}
	z->cb = cb;
	z->arg = arg;
	z->a = *a;
	vst_admit(vst_of(a->fid.volume), zattr_go, z);
}

struct zerr {
	fso_err_cb cb;
	void      *arg;
};

static void zerr_go(void *arg)
{
	struct zerr *z = arg;

	z->cb(z->arg, 0);
	free(z);
}

/* The state of ino's volume; NULL (the shared zones) if ino is gone. */
static struct volume *vol_of(uint64_t ino)
{
	struct fso *o = fo_obj(ino);

	return o ? vst_of(o->r.fid.volume) : NULL;
}

void fo_zone_err(uint64_t ino, fso_err_cb cb, void *arg, int err)
{
	struct zerr *z;

	if (err || !(z = malloc(sizeof(*z)))) {
		cb(arg, err);
		return;
	}
	z->cb = cb;
	z->arg = arg;
	vst_admit(vol_of(ino), zerr_go, z);
}

void fso_write_admit(uint64_t ino, void (*cont)(void *arg), void *arg)
{
	vst_admit(vol_of(ino), cont, arg);
}
