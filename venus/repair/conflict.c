/*
 * conflict.c - records vice refused (conflict.h): the local version kept
 * aside, the server's shown, and the repair commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
#include "venus/util/event.h"

const char *conflict_kind(int op, int status)
{
	int gone = status == ENOENT || status == ESTALE;

	if (status == EDQUOT)
		return "quota";
	switch (op) {
	case HS_OP_CREATE:
	case HS_OP_MKDIR:
	case HS_OP_SYMLINK:
	case HS_OP_MKNOD:
	case HS_OP_LINK:
		return "create/create";
	case HS_OP_REMOVE:
	case HS_OP_RMDIR:
		return gone ? "remove/remove" : "remove/update";
	case HS_OP_RENAME:
		return status == EEXIST ? "create/create" : gone ? "update/remove" : "update/update";
	default:
		return gone ? "update/remove" : "update/update";
	}
}

void conflict_path(const struct cml_row *row, char *buf, size_t len)
{
	const char *base = strrchr(row->name, '/');

	snprintf(buf, len, "%s/conflicts/%llu.%s", V->cfg.cachedir,
		 (unsigned long long)row->seq, row->name[0] ? (base ? base + 1 : row->name) :
		 "object");
}

struct newest_store {
	uint64_t seq;
};

static int find_store(void *arg, struct cml_row *r)
{
	struct newest_store *n = arg;

	if (r->op == HS_OP_STORE)
		n->seq = r->seq;
	return 0;
}

/* The bytes of the local version: the newest store of the object in the
 * log, else its container. */
static int local_data(const struct cml_row *row)
{
	struct newest_store n = { 0 };
	char path[4096];

	if (row->op == HS_OP_STORE)
		n.seq = row->seq;
	else
		cml_foreach(V->cml, &row->obj, find_store, &n);
	if (n.seq)
		cml_data_path(n.seq, path, sizeof path);
	else
		cache_path(row->ino, path, sizeof path);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The local version to <cachedir>/conflicts/<seq>.<name> (out): 0 or
 * the copy's errno. */
static int keep_local(const struct cml_row *row, int status, char *out, size_t len)
{
	int fd = local_data(row), err = 0;

	conflict_path(row, out, len);
	if (fd >= 0) {
		err = cml_copy_file(fd, out);
		close(fd);
	} else {
		FILE *f = fopen(out, "w");

		if (f) {
			fprintf(f, "local %s of %s (CML record %llu)\n",
				conflict_kind(row->op, status), row->name,
				(unsigned long long)row->seq);
			fclose(f);
		}
	}
	return err;
}

void conflict_note(const struct cml_row *row, int status)
{
	char out[4096], where[4096];
	int err = keep_local(row, status, out, sizeof out);

	fso_row_path(row, where, sizeof where);
	vlog(LOG_ERR, "CONFLICT: %s%s: %s conflict (%s); local version kept in %s%s%s",
	     V->cfg.mountpoint, where, conflict_kind(row->op, status),
	     status == HS_ECONFLICT ? "server version changed" : strerror(status), out,
	     err ? ": " : "", err ? strerror(err) : "");
	event_emit(EVK_CONFLICT, &(struct event_fields){ .fid = &row->obj, .name = where, .peer = conflict_kind(row->op, status) });
	fso_conflict_refetch(row);
}

void conflict_quota(const struct cml_row *row, const char *volname, int loud)
{
	char where[4096], out[4096], vol[32];

	if (!volname) {
		snprintf(vol, sizeof vol, "%#x", (unsigned)row->obj.volume);
		volname = vol;
	}
	fso_row_path(row, where, sizeof where);
	/* A copy where cfs conflicts says the local version is; the record
	 * keeps its own frozen data either way. */
	if (loud)
		keep_local(row, EDQUOT, out, sizeof out);
	vlog(loud ? LOG_WARNING : LOG_DEBUG, "QUOTA: %s%s: volume %s is over its quota; "
	     "CML record %llu kept with its data until the quota is raised "
	     "(then cfs reconnect)", V->cfg.mountpoint, where, volname,
	     (unsigned long long)row->seq);
	if (loud)
		event_emit(EVK_CONFLICT, &(struct event_fields){ .fid = &row->obj, .name = where,
				.peer = "quota", .err = EDQUOT });
}

/* ---- repair ---- */

struct repair {
	const hs_fid *fid;
	hs_fid        objs[256];
	unsigned      n;
};

static int collect(void *arg, struct cml_row *r)
{
	struct repair *p = arg;

	if (!r->conflict || (p->fid && memcmp(&r->obj, p->fid, sizeof(hs_fid))))
		return 0;
	for (unsigned i = 0; i < p->n; i++)
		if (!memcmp(&p->objs[i], &r->obj, sizeof(hs_fid)))
			return 0;
	if (p->n < 256)
		p->objs[p->n++] = r->obj;
	return 0;
}

static int gather(const hs_fid *fid, struct repair *p)
{
	int err;

	p->fid = fid;
	p->n = 0;
	if ((err = cml_foreach(V->cml, NULL, collect, p)))
		return err;
	return p->n ? 0 : ENOENT;
}

int conflict_discard(const hs_fid *fid)
{
	struct repair p;
	int err = gather(fid, &p);

	for (unsigned i = 0; !err && i < p.n; i++) {
		err = cml_drop_obj(V->cml, &p.objs[i]);
		if (!err)
			fso_local_discarded(&p.objs[i]);
	}
	if (!err)
		fso_cml_settle();
	return err;
}

int conflict_objects(const hs_fid *fid, hs_fid objs[256], unsigned *n)
{
	struct repair p;
	int err = gather(fid, &p);

	if (!err)
		memcpy(objs, p.objs, p.n * sizeof(hs_fid));
	*n = err ? 0 : p.n;
	return err;
}
