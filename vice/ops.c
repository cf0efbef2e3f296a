/*
 * vice/ops.c - HS_CONNECT, volumes, stats and the read-only queries.
 * Queries grant the caller callback promises on what they return.
 * Every query needs l on the directory (acl.h); fetch needs r.
 */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include "acl.h"
#include "ops.h"
#include "vldb.h"
#include "store.h"

/* Another live connection of the same client (its key checked) is a
 * dead one it left behind: close it so that it neither holds promises
 * nor gets breaks meant for this one. */
static void drop_older(struct vclient *c, uint64_t id)
{
	struct vclient *o;

	for (o = c->v->clients; o; o = o->next) {
		if (o != c && o->client_id == id) {
			vlog(LOG_INFO, "client %016llx reconnected from %s",
			     (unsigned long long)id, hrpc_conn_peer(c->conn));
			hrpc_close(o->conn);   /* unlinks o: stop here */
			return;
		}
	}
}

/* The client's key must be the one its id was bound to (first CONNECT
 * binds): 0, EINVAL (no key or a short one), EPERM (another key), or an
 * errno of the store. */
static int key_check(struct vclient *c, const hs_connect_args *a)
{
	unsigned char hash[VS_KEY_HASH];
	int err;

	if (a->client_key.client_key_len != HS_CLIENT_KEY)
		return EINVAL;
	if (!EVP_Digest(a->client_key.client_key_val, HS_CLIENT_KEY, hash,
			NULL, EVP_sha256(), NULL))
		return ENOMEM;
	err = vs_client_bind(c->v->vs, a->client_id, hash);
	if (err == EPERM)
		vlog(LOG_WARNING, "%s: HS_CONNECT as client %016llx with "
		     "another client's key: refused", hrpc_conn_peer(c->conn),
		     (unsigned long long)a->client_id);
	return err;
}

int vice_sid_check(const struct vclient *c, const hs_storeid *sid)
{
	if (sid->client == c->client_id || (sid->client == 0 && sid->seq == 0))
		return 0;
	vlog(LOG_WARNING, "%s: client %016llx used a store id of client "
	     "%016llx: refused", hrpc_conn_peer(c->conn),
	     (unsigned long long)c->client_id,
	     (unsigned long long)sid->client);
	return EPERM;
}

/* A connection is one client for its whole life: a CONNECT naming
 * another id than an earlier one on it is refused.  Checks come before
 * any change, so a refused CONNECT leaves every connection as it was. */
int op_connect(struct vclient *c, void *args, void *res)
{
	hs_connect_args *a = args;
	hs_connect_ok *ok = &((hs_connect_res *)res)->hs_connect_res_u.ok;
	int err;

	if (a->proto_version != HS_PROTO_VERSION)
		return EPROTONOSUPPORT;
	if (a->client_id == 0)
		return EINVAL;
	if (c->client_id && c->client_id != a->client_id)
		return EPERM;
	if ((err = key_check(c, a)))
		return err;
	if (!c->client_id) {
		c->v->stats.clients++;
		c->client_id = a->client_id;
		drop_older(c, a->client_id);
		/* A client (re)connecting is when stores staged long ago by
		 * anyone are given up on (store_stage.c). */
		vs_stage_expire(c->v->vs);
	}
	c->features = a->features & HS_FEAT_CALLBACKS;
	if (!(c->features & HS_FEAT_CALLBACKS))
		cb_forget(c);
	ok->proto_version = HS_PROTO_VERSION;
	ok->server_id = vs_server_id(c->v->vs);
	ok->features = c->features;
	ok->root_volume = vldb_root_volume(c->v);
	ok->realm = strdup(c->v->realm ? c->v->realm : "");
	if (!ok->realm)
		return ENOMEM;
	vlog(LOG_DEBUG, "%s: client %016llx \"%s\" features %#x",
	     hrpc_conn_peer(c->conn), (unsigned long long)a->client_id,
	     a->client_name ? a->client_name : "", c->features);
	return 0;
}

int op_getroot(struct vclient *c, void *args, void *res)
{
	hs_getroot_res *r = res;

	return vs_getroot(c->v->vs, *(hs_name *)args, &r->hs_getroot_res_u.vol);
}

int op_listvol(struct vclient *c, void *args, void *res)
{
	hs_listvol_res *r = res;

	return vs_listvol(c->v->vs, &r->hs_listvol_res_u.list);
}

int op_stats(struct vclient *c, void *args, void *res)
{
	((hs_stats_res *)res)->hs_stats_res_u.stats = c->v->stats;
	return 0;
}

int op_getattr(struct vclient *c, void *args, void *res)
{
	hs_attr *attr = &((hs_attr_res *)res)->hs_attr_res_u.attr;
	int err = acl_lookup(c->v->vs, op_who(c), args);

	if (!err)
		err = vs_getattr(c->v->vs, args, attr);
	if (!err) {
		op_rights(c, attr);
		cb_grant(c, &attr->fid);
	}
	return err;
}

int op_lookup(struct vclient *c, void *args, void *res)
{
	hs_lookup_args *a = args;
	hs_lookup_ok *ok = &((hs_lookup_res *)res)->hs_lookup_res_u.ok;
	int err = acl_lookup(c->v->vs, op_who(c), &a->dir);

	if (!err)
		err = vs_lookup(c->v->vs, &a->dir, a->name, ok);
	if (!err) {
		op_rights(c, &ok->obj);
		op_rights(c, &ok->dir);
		cb_grant(c, &ok->obj.fid);
		cb_grant(c, &ok->dir.fid);
	}
	return err;
}

int op_readdir(struct vclient *c, void *args, void *res)
{
	hs_readdir_args *a = args;
	hs_readdir_ok *ok = &((hs_readdir_res *)res)->hs_readdir_res_u.ok;
	int err = acl_lookup(c->v->vs, op_who(c), &a->dir);

	if (!err)
		err = vs_readdir(c->v->vs, &a->dir, a->cookie, a->count, ok);
	if (!err) {
		op_rights(c, &ok->dir);
		cb_grant(c, &ok->dir.fid);
	}
	return err;
}

int op_fetch(struct vclient *c, void *args, void *res)
{
	hs_fetch_args *a = args;
	hs_fetch_ok *ok = &((hs_fetch_res *)res)->hs_fetch_res_u.ok;
	int err = acl_fetch(c->v->vs, op_who(c), &a->fid);

	if (!err)
		err = vs_fetch(c->v->vs, &a->fid, a->offset, a->count, ok);
	c->v->stats.fetches++;
	if (!err) {
		op_rights(c, &ok->attr);
		c->v->stats.fetch_bytes += ok->data.data_len;
		cb_grant(c, &ok->attr.fid);
	}
	return err;
}

int op_readlink(struct vclient *c, void *args, void *res)
{
	hs_readlink_res *r = res;
	int err = acl_lookup(c->v->vs, op_who(c), args);

	if (!err)
		err = vs_readlink(c->v->vs, args, &r->hs_readlink_res_u.target);

	if (!err)
		cb_grant(c, args);
	return err;
}
