/*
 * vice/etcd_txn.c - a multi-key etcd txn (etcd_txn.h) as the JSON
 * gateway wants it: {"compare": [{"key", "target": "MOD", "result":
 * "EQUAL", "mod_revision"}...], "success": [{"request_put": {"key",
 * "value"}} | {"request_delete_range": {"key"}}...]}, keys and values
 * base64.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "etcd_txn.h"

/* obj[name] = s (taken over); 0 or ENOMEM. */
static int set(struct json_object *obj, const char *name,
	       struct json_object *s)
{
	if (!s || json_object_object_add(obj, name, s)) {
		json_object_put(s);
		return ENOMEM;
	}
	return 0;
}

static struct json_object *b64(const void *p, size_t n)
{
	char *s = etcd_b64_encode(p, n);
	struct json_object *o = s ? json_object_new_string(s) : NULL;

	free(s);
	return o;
}

static struct json_object *cmp_json(const struct etcd_cmp *c)
{
	struct json_object *o = json_object_new_object();
	char rev[32];

	snprintf(rev, sizeof rev, "%lld", (long long)c->mod_rev);
	if (!o || set(o, "key", b64(c->key, strlen(c->key))) ||
	    set(o, "target", json_object_new_string("MOD")) ||
	    set(o, "result", json_object_new_string("EQUAL")) ||
	    set(o, "mod_revision", json_object_new_string(rev))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *op_json(const struct etcd_op *op)
{
	struct json_object *o = json_object_new_object();
	struct json_object *kv = json_object_new_object();

	if (!o || !kv || set(kv, "key", b64(op->key, strlen(op->key))) ||
	    (!op->del && set(kv, "value", b64(op->val ? op->val : "",
						op->val ? op->len : 0)))) {
		json_object_put(kv);
		json_object_put(o);
		return NULL;
	}
	if (set(o, op->del ? "request_delete_range" : "request_put", kv)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* An array of n items made by fn; NULL when out of memory. */
static struct json_object *array(const void *items, size_t n, size_t size,
				 struct json_object *(*fn)(const void *))
{
	struct json_object *a = json_object_new_array(), *x;
	size_t i;

	for (i = 0; a && i < n; i++) {
		x = fn((const char *)items + i * size);
		if (!x || json_object_array_add(a, x)) {
			json_object_put(x);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static struct json_object *cmp_v(const void *p)
{
	return cmp_json(p);
}

static struct json_object *op_v(const void *p)
{
	return op_json(p);
}

int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp,
	     const struct etcd_op *ops, size_t nops)
{
	struct json_object *req, *resp = NULL, *ok;
	int r;

	if (nops > ETCD_TXN_MAX_OPS || ncmp > ETCD_TXN_MAX_OPS)
		return E2BIG;
	if (!(req = json_object_new_object()) ||
	    set(req, "compare", array(cmp, ncmp, sizeof *cmp, cmp_v)) ||
	    set(req, "success", array(ops, nops, sizeof *ops, op_v))) {
		json_object_put(req);
		return ENOMEM;
	}
	if ((r = etcd_post_json(e, "txn", req, &resp)))
		return r;
	/* proto3 JSON leaves out "succeeded": false. */
	r = json_object_object_get_ex(resp, "succeeded", &ok) &&
	    json_object_get_boolean(ok) ? 0 : EAGAIN;
	json_object_put(resp);
	return r;
}
