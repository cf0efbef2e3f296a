/*
 * vice/vldb_etcd.c - the VLDB of a realm of several servers, in etcd
 * (schema: doc/design.md "The VLDB"):
 *
 *   /hesper/<realm>/vol/id/<id>          {"name": N, "servers":
 *                                         [{"host": H, "port": P}],
 *                                         "server_id": "<hex>"}
 *   /hesper/<realm>/vol/name/<name>      "<id>"
 *   /hesper/<realm>/next_volid           "<n>": the next id to try
 *   /hesper/<realm>/servers/<host>:<port> {"host", "port", "server_id"}
 *
 * Names are claimed with create-if-absent on their key, so two servers
 * cannot both get one; ids with compare-and-swap on next_volid and then
 * create-if-absent on the id key (an entry with name "" is a reservation).
 * An id key whose value changed under us (EAGAIN) is read again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "vice.h"
#include "etcd.h"
#include "vldb_int.h"

#define E(db) ((struct etcd *)(db)->be_data)
#define KEY_MAX (64 + HS_MAXNAMELEN + HS_MAXHOSTNAME)
#define RETRIES 16              /* CAS losses before giving up (EAGAIN) */
#define MAX_ENTRIES 1000000     /* ids listed by prune */

static void key_id(const struct vldb *db, uint32_t id, char *k)
{
	snprintf(k, KEY_MAX, "/hesper/%s/vol/id/%" PRIu32, db->realm, id);
}

static void key_name(const struct vldb *db, const char *name, char *k)
{
	snprintf(k, KEY_MAX, "/hesper/%s/vol/name/%s", db->realm, name);
}

/* A decimal id in 1..HS_VOLID_MAX, or 0. */
static uint32_t parse_id(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return *s && !*end && v <= HS_VOLID_MAX ? (uint32_t)v : 0;
}

/* ---- entries as JSON ---- */

/* {"name": name, "servers": [{"host": ..., "port": ...}], "server_id":
 * ...} naming this server; malloc'd, or NULL.  server_id (vs_server_id)
 * lets a server that comes back on another address know its entries. */
static char *entry_json(const struct vldb *db, const char *name)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct json_object *srv = json_object_new_object();
	char *s = NULL, sid[32];

	snprintf(sid, sizeof sid, "%016" PRIx64, db->server_id);

	if (o && arr && srv &&
	    !json_object_object_add(srv, "host", json_object_new_string(db->host)) &&
	    !json_object_object_add(srv, "port", json_object_new_int((int)db->port)) &&
	    !json_object_array_add(arr, srv) && !(srv = NULL) &&
	    !json_object_object_add(o, "name", json_object_new_string(name)) &&
	    !json_object_object_add(o, "servers", arr) && !(arr = NULL) &&
	    !json_object_object_add(o, "server_id", json_object_new_string(sid)))
		s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(srv);
	json_object_put(arr);
	json_object_put(o);
	return s;
}

/* Parse an entry into out (may be NULL) and say whether it names this
 * server (*ours).  EPROTO if it is not an entry. */
static int entry_parse(const struct vldb *db, uint32_t id, const char *js,
		       hs_vldb_entry *out, int *ours)
{
	struct json_object *o = json_tokener_parse(js), *name, *arr, *h, *p, *sid;
	size_t i, n;
	int r = EPROTO, by_id = 0;

	*ours = 0;
	if (out)
		memset(out, 0, sizeof *out);
	if (!o || !json_object_object_get_ex(o, "name", &name) ||
	    !json_object_object_get_ex(o, "servers", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	if (db->server_id && json_object_object_get_ex(o, "server_id", &sid)) {
		by_id = 1;
		*ours = strtoull(json_object_get_string(sid), NULL, 16) ==
			db->server_id;
	}
	n = json_object_array_length(arr);
	if (n > HS_MAXSERVERS)
		n = HS_MAXSERVERS;
	r = ENOMEM;
	if (out && (!(out->name = strdup(json_object_get_string(name))) ||
		    !(out->servers.servers_val = calloc(n + 1, sizeof(hs_server_addr)))))
		goto out;
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		const char *host = json_object_object_get_ex(s, "host", &h) ?
				   json_object_get_string(h) : "";
		unsigned port = json_object_object_get_ex(s, "port", &p) ?
				(unsigned)json_object_get_int(p) : 0;

		if (!by_id && !strcmp(host, db->host) && port == db->port)
			*ours = 1;
		if (out && !(out->servers.servers_val[i].host = strdup(host)))
			goto out;
		if (out) {
			out->servers.servers_val[i].port = port;
			out->servers.servers_len = (u_int)i + 1;
		}
	}
	if (out)
		out->id = id;
	r = 0;
out:
	if (r && out) {
		xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)out);
		memset(out, 0, sizeof *out);
	}
	json_object_put(o);
	return r;
}

/* The entry's name ("" for a reservation); malloc'd or NULL. */
static char *entry_name(const struct vldb *db, const char *js)
{
	hs_vldb_entry e;
	char *name;
	int ours;

	if (entry_parse(db, 0, js, &e, &ours))
		return NULL;
	name = e.name;
	e.name = NULL;
	xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)&e);
	return name;
}

/* ---- backend ---- */

static int et_open(struct vldb *db, const struct vldb_opts *o, char *err,
		   size_t n)
{
	char key[KEY_MAX], *val = NULL;
	struct etcd *e;
	int r;

	if (!o->etcd || !*o->etcd) {
		snprintf(err, n, "--vldb etcd needs --etcd URL[,URL...]");
		return EINVAL;
	}
	if ((r = etcd_open(o->etcd, 0, &e, err, n)))
		return r;
	/* Reach etcd now, so that a wrong --etcd fails the start. */
	snprintf(key, sizeof key, "/hesper/%s/next_volid", db->realm);
	r = etcd_get(e, key, &val, NULL, NULL);
	free(val);
	if (r && r != ENOENT) {
		snprintf(err, n, "VLDB: %s", etcd_errmsg(e));
		etcd_close(e);
		return r;
	}
	db->be_data = e;
	return 0;
}

static void et_close(struct vldb *db)
{
	etcd_close(E(db));
	db->be_data = NULL;
}

/* Who holds "root": *id (0 if nobody) and whether it is this server. */
static int root_holder(struct vldb *db, uint32_t *id, int *ours)
{
	char key[KEY_MAX], *val = NULL;
	int r;

	*id = 0;
	*ours = 0;
	key_name(db, "root", key);
	if ((r = etcd_get(E(db), key, &val, NULL, NULL)))
		return r == ENOENT ? 0 : r;
	*id = parse_id(val);
	free(val);
	key_id(db, *id, key);
	if (!*id || (r = etcd_get(E(db), key, &val, NULL, NULL)))
		return r == ENOENT ? 0 : r;
	r = entry_parse(db, *id, val, NULL, ours);
	free(val);
	return r;
}

static int et_want_root(struct vldb *db, int *make)
{
	uint32_t id;
	int ours, r = root_holder(db, &id, &ours);

	*make = !id || ours;
	return r;
}

/* Claim name for id: 0 if it is (now) id's, EEXIST if another id's. */
static int claim_name(struct vldb *db, uint32_t id, const char *name)
{
	char key[KEY_MAX], v[16], *val = NULL;
	int r;

	key_name(db, name, key);
	snprintf(v, sizeof v, "%" PRIu32, id);
	if ((r = etcd_create(E(db), key, v, strlen(v))) != EEXIST)
		return r;
	if ((r = etcd_get(E(db), key, &val, NULL, NULL)))
		return r == ENOENT ? EAGAIN : r;
	r = parse_id(val) == id ? 0 : EEXIST;
	free(val);
	return r;
}

/* Drop name's key if it still names id. */
static int drop_name(struct vldb *db, uint32_t id, const char *name)
{
	char key[KEY_MAX], *val = NULL;
	int64_t rev;
	int r;

	key_name(db, name, key);
	if ((r = etcd_get(E(db), key, &val, NULL, &rev)))
		return r == ENOENT ? 0 : r;
	r = parse_id(val) == id ? etcd_delete_if(E(db), key, rev) : 0;
	free(val);
	return r == EAGAIN ? 0 : r;     /* someone else's now */
}

/* One try at publishing (EAGAIN: the id key changed meanwhile). */
static int publish_once(struct vldb *db, uint32_t id, const char *name,
			int take_over)
{
	char key[KEY_MAX], *old = NULL, *oldname = NULL, *js;
	int64_t rev = 0;
	int r, ours = 1;

	key_id(db, id, key);
	r = etcd_get(E(db), key, &old, NULL, &rev);
	if (r && r != ENOENT)
		return r;
	if (!r && entry_parse(db, id, old, NULL, &ours) == 0 && !ours &&
	    !take_over) {
		free(old);
		return EBUSY;
	}
	oldname = old ? entry_name(db, old) : NULL;
	free(old);
	if ((r = claim_name(db, id, name)) || !(js = entry_json(db, name))) {
		free(oldname);
		return r ? r : ENOMEM;
	}
	r = etcd_cas(E(db), key, rev, js, strlen(js));
	free(js);
	if (!r && oldname && *oldname && strcmp(oldname, name))
		r = drop_name(db, id, oldname);         /* a rename */
	free(oldname);
	return r;
}

static int et_publish(struct vldb *db, uint32_t id, const char *name,
		      int take_over)
{
	int r = EAGAIN, i;

	for (i = 0; i < RETRIES && r == EAGAIN; i++)
		r = publish_once(db, id, name, take_over);
	return r;
}

/* Drop id's entry if it names this server, and its name. */
static int unpublish_once(struct vldb *db, uint32_t id)
{
	char key[KEY_MAX], *val = NULL, *name;
	int64_t rev;
	int r, ours;

	key_id(db, id, key);
	if ((r = etcd_get(E(db), key, &val, NULL, &rev)))
		return r == ENOENT ? 0 : r;
	if (entry_parse(db, id, val, NULL, &ours) || !ours) {
		free(val);
		return 0;       /* moved away: the new server's entry */
	}
	name = entry_name(db, val);
	free(val);
	r = etcd_delete_if(E(db), key, rev);
	if (!r && name && *name)
		r = drop_name(db, id, name);
	free(name);
	return r;
}

static int et_unpublish(struct vldb *db, uint32_t id)
{
	int r = EAGAIN, i;

	for (i = 0; i < RETRIES && r == EAGAIN; i++)
		r = unpublish_once(db, id);
	return r;
}

/* servers/<host>:<port> := this server. */
static int register_server(struct vldb *db)
{
	char key[KEY_MAX], v[512];

	snprintf(key, sizeof key, "/hesper/%s/servers/%s:%u", db->realm,
		 db->host, db->port);
	snprintf(v, sizeof v, "{\"host\":\"%s\",\"port\":%u,\"server_id\":"
		 "\"%016" PRIx64 "\"}", db->host, db->port, db->server_id);
	return etcd_put(E(db), key, v, strlen(v));
}

static int et_prune(struct vldb *db, const uint32_t *local, size_t n,
		    uint32_t upto)
{
	char prefix[KEY_MAX];
	struct etcd_kv *kvs;
	size_t nkv, i, plen;
	int r, ours;

	if (strpbrk(db->host, "\"\\"))
		return EINVAL;
	if ((r = register_server(db)))
		return r;
	snprintf(prefix, sizeof prefix, "/hesper/%s/vol/id/", db->realm);
	plen = strlen(prefix);
	if ((r = etcd_get_prefix(E(db), prefix, MAX_ENTRIES, &kvs, &nkv)))
		return r;
	for (i = 0; i < nkv && !r; i++) {
		uint32_t id = parse_id(kvs[i].key + plen);

		if (!id || id > upto ||
		    entry_parse(db, id, kvs[i].value, NULL, &ours) ||
		    !ours || vldb_id_in(id, local, n))
			continue;
		vlog(LOG_INFO, "VLDB: volume %" PRIu32 " is no longer here: "
		     "entry dropped", id);
		r = et_unpublish(db, id);
	}
	etcd_kvs_free(kvs, nkv);
	return r;
}

/* Take the counter's value and bump it (compare-and-swap). */
static int bump_counter(struct vldb *db, uint32_t *id)
{
	char key[KEY_MAX], v[16], *val = NULL;
	int64_t rev = 0;
	uint32_t next = 2;      /* 1 is "root"'s */
	int r, i;

	snprintf(key, sizeof key, "/hesper/%s/next_volid", db->realm);
	for (i = 0; i < RETRIES; i++) {
		r = etcd_get(E(db), key, &val, NULL, &rev);
		if (r && r != ENOENT)
			return r;
		next = r ? 2 : parse_id(val);
		free(val);
		val = NULL;
		if (r)
			rev = 0;
		if (next < 2)
			next = 2;
		if (next >= HS_VOLID_MAX)
			return ENOSPC;
		snprintf(v, sizeof v, "%" PRIu32, next + 1);
		if ((r = etcd_cas(E(db), key, rev, v, strlen(v))) != EAGAIN)
			break;
	}
	*id = next;
	return r;
}

static int et_next_id(struct vldb *db, uint32_t *id)
{
	char key[KEY_MAX], *js = entry_json(db, "");
	int r = EEXIST, i;

	if (!js)
		return ENOMEM;
	for (i = 0; i < RETRIES && r == EEXIST; i++) {
		if ((r = bump_counter(db, id)))
			break;
		key_id(db, *id, key);
		r = etcd_create(E(db), key, js, strlen(js));
	}
	free(js);
	return r == EEXIST ? ENOSPC : r;
}

static int et_lookup(struct vldb *db, const hs_vldb_args *a, hs_vldb_entry *out)
{
	char key[KEY_MAX], *val = NULL;
	uint32_t id = a->id;
	int r, ours;

	if (!id) {
		key_name(db, a->name, key);
		if ((r = etcd_get(E(db), key, &val, NULL, NULL)))
			return r;
		id = parse_id(val);
		free(val);
		val = NULL;
		if (!id)
			return ENOENT;
	}
	key_id(db, id, key);
	if ((r = etcd_get(E(db), key, &val, NULL, NULL)))
		return r;
	r = entry_parse(db, id, val, out, &ours);
	free(val);
	if (!r && (!*out->name || (!a->id && strcmp(out->name, a->name)))) {
		xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)out);
		memset(out, 0, sizeof *out);
		r = ENOENT;     /* a reservation, or a name key gone stale */
	}
	return r == EPROTO ? EIO : r;
}

const struct vldb_backend vldb_etcd_backend = {
	.open = et_open,
	.want_root = et_want_root,
	.publish = et_publish,
	.unpublish = et_unpublish,
	.prune = et_prune,
	.next_id = et_next_id,
	.lookup = et_lookup,
	.close = et_close,
};
