/*
 * vice/vldb.c - the VLDB's front (vldb.h): picks the backend, keeps the
 * store's view (which volumes are local) out of the backends, caches the
 * realm's root volume id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vice.h"
#include "store.h"
#include "vldb_int.h"

/* How often HS_CONNECT may ask the VLDB for a root volume it lacks. */
#define ROOT_RETRY_S 5
/* Ids tried by vldb_alloc_id before giving up (each collided locally). */
#define ALLOC_TRIES 64

int vldb_open(struct vice *v, const struct vldb_opts *o, char *err, size_t n)
{
	const struct vldb_backend *be;
	struct vldb *db;
	int r;

	if (!o->backend || !strcmp(o->backend, "sqlite"))
		be = &vldb_sqlite_backend;
	else if (!strcmp(o->backend, "etcd"))
		be = &vldb_etcd_backend;
	else {
		snprintf(err, n, "unknown VLDB backend \"%s\" (sqlite or etcd)",
			 o->backend);
		return EINVAL;
	}
	if (!v->realm || !*v->realm) {
		snprintf(err, n, "the VLDB needs a realm name");
		return EINVAL;
	}
	if (!(db = calloc(1, sizeof *db))) {
		snprintf(err, n, "out of memory");
		return ENOMEM;
	}
	db->be = be;
	db->realm = v->realm;
	if ((r = be->open(db, o, err, n))) {
		free(db);
		return r;
	}
	v->vldb = db;
	return 0;
}

void vldb_close(struct vice *v)
{
	if (!v->vldb)
		return;
	v->vldb->be->close(v->vldb);
	free(v->vldb);
	v->vldb = NULL;
}

int vldb_want_root(struct vice *v, int *make)
{
	*make = 1;
	return v->vldb->be->want_root(v->vldb, make);
}

int vldb_set_address(struct vice *v, const char *host, unsigned port)
{
	if (!*host || strlen(host) > HS_MAXHOSTNAME || !port || port > 65535)
		return EINVAL;
	strcpy(v->vldb->host, host);
	v->vldb->port = port;
	if (v->vs)
		v->vldb->server_id = vs_server_id(v->vs);
	return 0;
}

/* The local volumes: ids (sorted) and the list they came from. */
static int local_vols(struct vice *v, hs_vollist *l, uint32_t **ids)
{
	unsigned i;
	int r;

	memset(l, 0, sizeof *l);
	*ids = NULL;
	if ((r = vs_listvol(v->vs, l)))
		return r;
	if (!(*ids = calloc(l->vols.vols_len + 1, sizeof **ids))) {
		xdr_free((xdrproc_t)xdr_hs_vollist, (char *)l);
		return ENOMEM;
	}
	for (i = 0; i < l->vols.vols_len; i++)
		(*ids)[i] = l->vols.vols_val[i].id;     /* listed by id */
	return 0;
}

int vldb_id_in(uint32_t id, const uint32_t *local, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (local[mid] == id)
			return 1;
		if (local[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int vldb_sync(struct vice *v)
{
	struct vldb *db = v->vldb;
	hs_vollist l;
	uint32_t *ids;
	unsigned i;
	int r;

	if ((r = local_vols(v, &l, &ids)))
		return r;
	/* vs_listvol gives at most HS_MAXVOLS volumes (by id): past the
	 * last one listed, nothing is known to be gone. */
	r = db->be->prune(db, ids, l.vols.vols_len,
			  l.vols.vols_len < HS_MAXVOLS ? HS_VOLID_MAX :
			  ids[l.vols.vols_len - 1]);
	for (i = 0; !r && i < l.vols.vols_len; i++) {
		const hs_volinfo *vi = &l.vols.vols_val[i];
		int e = db->be->publish(db, vi->id, vi->name, 0);

		if (e == EBUSY || e == EEXIST)
			vlog(LOG_WARNING, "volume %u (%s) is not published: the "
			     "VLDB gives its %s to another %s", vi->id, vi->name,
			     e == EBUSY ? "id" : "name",
			     e == EBUSY ? "server" : "volume");
		else
			r = e;
	}
	free(ids);
	xdr_free((xdrproc_t)xdr_hs_vollist, (char *)&l);
	return r;
}

int vldb_publish(struct vice *v, uint32_t id, const char *name)
{
	int r;

	if (!id || id > HS_VOLID_MAX || vs_name_check(name))
		return EINVAL;
	if (!v->vldb)
		return 0;       /* no VLDB: the store is all there is */
	r = v->vldb->be->publish(v->vldb, id, name, 1);
	if (!r && !strcmp(name, "root"))
		v->vldb->root_id = id;
	return r;
}

int vldb_unpublish(struct vice *v, uint32_t id)
{
	if (!id || id > HS_VOLID_MAX)
		return EINVAL;
	if (!v->vldb)
		return 0;
	if (id == v->vldb->root_id)
		v->vldb->root_id = 0;
	return v->vldb->be->unpublish(v->vldb, id);
}

int vldb_alloc_id(struct vice *v, uint32_t *id)
{
	hs_vollist l;
	uint32_t *ids;
	int r, i;

	if (!v->vldb) { /* no VLDB: past the store's largest */
		uint32_t max = 0;

		if ((r = vs_vol_maxid(v->vs, &max)))
			return r;
		if (max >= HS_VOLID_MAX)
			return ENOSPC;
		*id = max + 1;
		return 0;
	}
	if ((r = local_vols(v, &l, &ids)))
		return r;
	for (i = 0; i < ALLOC_TRIES; i++) {
		if ((r = v->vldb->be->next_id(v->vldb, id)) ||
		    !vldb_id_in(*id, ids, l.vols.vols_len))
			break;
		r = EAGAIN;     /* the realm did not know it: try the next */
	}
	free(ids);
	xdr_free((xdrproc_t)xdr_hs_vollist, (char *)&l);
	return r == EAGAIN ? ENOSPC : r;
}

int vldb_lookup(struct vice *v, const hs_vldb_args *a, hs_vldb_entry *out)
{
	memset(out, 0, sizeof *out);
	if (a->id > HS_VOLID_MAX)
		return ENOENT;
	if (!a->id && (!a->name || vs_name_check(a->name)))
		return a->name && *a->name ? ENOENT : EINVAL;
	if (!v->vldb)
		return ENOENT;
	return v->vldb->be->lookup(v->vldb, a, out);
}

uint32_t vldb_root_volume(struct vice *v)
{
	struct vldb *db = v->vldb;
	hs_vldb_args a = { 0, (char *)"root" };
	hs_vldb_entry e;
	time_t now = time(NULL);

	if (!db) {      /* no VLDB (unit tests): the store's own "root" */
		hs_volinfo vi;

		if (vs_getroot(v->vs, "root", &vi))
			return 0;
		xdr_free((xdrproc_t)xdr_hs_volinfo, (char *)&vi);
		return vi.id;
	}
	if (db->root_id || now - db->root_asked < ROOT_RETRY_S)
		return db->root_id;
	db->root_asked = now;
	if (!db->be->lookup(db, &a, &e)) {
		db->root_id = e.id;
		xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)&e);
	}
	return db->root_id;
}

int vldb_entry_fill(const struct vldb *db, uint32_t id, const char *name,
		    hs_vldb_entry *out)
{
	memset(out, 0, sizeof *out);
	out->id = id;
	if (!(out->name = strdup(name)) ||
	    !(out->servers.servers_val = calloc(1, sizeof(hs_server_addr))) ||
	    !(out->servers.servers_val[0].host = strdup(db->host))) {
		xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)out);
		memset(out, 0, sizeof *out);
		return ENOMEM;
	}
	out->servers.servers_len = 1;
	out->servers.servers_val[0].port = db->port;
	return 0;
}
