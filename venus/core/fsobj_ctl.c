/*
 * fsobj_ctl.c - for cfs: resolving paths, flushing objects, listing the
 * cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"
#include "venus/log/cml.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/store/db.h"
#include "venus/store/cache.h"

/* ================================================================ */
/* For cfs: resolve, flush, listcache                                */
/* ================================================================ */

struct walk {
	char       *path;     /* copy, consumed component by component */
	char       *next;
	uint64_t    ino;
	uid_t       uid;      /* who the lookups are made for */
	fso_attr_cb cb;
	void       *arg;
};

static void walk_step(void *arg, int err, struct fso *o)
{
	struct walk *w = arg;
	char *name;

	if (!err)
		w->ino = o->r.ino;
	while (!err && w->next && *w->next == '/')
		w->next++;
	if (err || !w->next || !*w->next) {
		struct fso_attr at;

		if (err) {
			w->cb(w->arg, err, NULL);
		} else {
			fo_fill_attr(o, &at);
			w->cb(w->arg, 0, &at);
		}
		free(w->path);
		free(w);
		return;
	}
	name = w->next;
	w->next = strchr(name, '/');
	if (w->next)
		*w->next++ = '\0';
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		fo_lookup_dots(w->ino, name[1] == '.', w->uid, walk_step, w);
		return;
	}
	fo_lookup_cross(w->ino, name, w->uid, walk_step, w);
}

void fso_resolve(const char *relpath, fso_attr_cb cb, void *arg)
{
	fso_resolve_as(relpath, SRV_SELF, cb, arg);
}

void fso_resolve_as(const char *relpath, uid_t uid, fso_attr_cb cb, void *arg)
{
	struct walk *w = calloc(1, sizeof(*w));

	if (!w || !(w->path = strdup(relpath ? relpath : ""))) {
		free(w);
		cb(arg, ENOMEM, NULL);
		return;
	}
	w->next = w->path;
	w->uid = uid;
	w->cb = cb;
	w->arg = arg;
	fo_with_fresh(FSO_ROOT_INO, uid, walk_step, w);
}

int fso_flush(uint64_t ino)
{
	struct fso *o = fo_obj(ino);

	if (!o)
		return ENOENT;
	if (o->r.fid.volume == VR_LOCAL_VOL)
		return 0;   /* the realm directory: nothing of vice's to drop */
	if (o->opens || o->r.dirty || o->written || o->pending || o->fetch || o->store ||
	    o->cml || cml_is_local(&o->r.fid))
		return EBUSY;
	if (o->r.type == HS_FREG)
		cache_drop(ino);
	else if (o->r.type == HS_FDIR)
		db_dirent_clear(V->db, ino);
	free(o->r.target);
	o->r.target = NULL;
	o->r.has_data = 0;
	o->has_cb = 0;
	fo_save(o);
	front_inval_inode(ino);
	return 0;
}

/* Best-known path of o below the mount ("" if a link is missing). */
void fo_path_of(const struct fso *o, char *buf, size_t len)
{
	const char *parts[256];
	size_t n = 0, off = 0;

	buf[0] = '\0';
	while (o && o->r.ino != FSO_ROOT_INO && n < 256) {
		if (!o->r.name || !o->r.parent)
			return;
		parts[n++] = o->r.name;
		o = fo_obj(o->r.parent);
	}
	if (!o || o->r.ino != FSO_ROOT_INO)
		return;
	if (n == 0)
		snprintf(buf, len, "/");
	while (n-- > 0 && off < len) {
		int k = snprintf(buf + off, len - off, "/%s", parts[n]);

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

void fso_foreach_cached(void (*fn)(void *arg, const struct fso_cacheinfo *ci), void *arg)
{
	struct fso_cacheinfo *ci = malloc(sizeof(*ci));
	size_t i;

	if (!ci)
		return;
	for (i = 0; i < fso_tab.nbuckets; i++) {
		const struct fso *o;

		for (o = fso_tab.by_ino[i]; o; o = o->ino_next) {
			memset(ci, 0, offsetof(struct fso_cacheinfo, path));
			ci->ino = o->r.ino;
			ci->fid = o->r.fid;
			ci->type = fo_type_bits(o->r.type);
			ci->size = o->r.size;
			ci->has_data = o->r.has_data;
			ci->has_callback = o->has_cb;
			ci->open = (int)o->opens;
			ci->missed = o->missed;
			fo_path_of(o, ci->path, sizeof(ci->path));
			fn(arg, ci);
		}
	}
	free(ci);
}

