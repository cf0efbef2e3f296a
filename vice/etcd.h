/*
 * vice/etcd.h - a small blocking client of etcd's v3 JSON gateway
 * (etcd 3.4: POST /v3/kv/range, /v3/kv/put, /v3/kv/deleterange,
 * /v3/kv/txn; keys and values are base64 in the JSON bodies; see
 * etcd's Documentation/dev-guide/api_grpc_gateway.md and rpc.proto).
 *
 * Used by the VLDB (vldb_etcd.c) and the pdb's etcd backend.  These calls
 * are rare (admin operations, VLDB misses, start-up), so they block the
 * caller, each bounded by a timeout (ETCD_TIMEOUT_MS by default, for
 * connecting and for the whole request).  Several endpoints may be given
 * ("http://a:2379,http://b:2379"): a request goes to the last one that
 * answered and on a transport failure tries the others in turn.
 *
 * https:// endpoints are verified against the system's CAs, or the PEM
 * file named by $ETCDCTL_CACERT; $ETCDCTL_CERT and $ETCDCTL_KEY give a
 * client certificate (etcd --client-cert-auth).  The names are etcdctl's,
 * so one environment serves both.
 *
 * Keys are C strings; values are bytes (len given), returned with a NUL
 * after them so text values can be used as strings.  Responses larger
 * than ETCD_MAX_RESPONSE bytes are refused (EMSGSIZE).
 *
 * Every function returns 0 or a positive errno:
 *   EHOSTUNREACH  no endpoint could be reached (refused, no route, DNS)
 *   ETIMEDOUT     an endpoint took longer than the timeout
 *   ENOENT        no such key (etcd_get)
 *   EEXIST        etcd_create: the key exists
 *   EAGAIN        etcd_cas / etcd_delete_if: the key's mod_revision was
 *                 not the one given (someone else changed it: re-read)
 *   EMSGSIZE      the response was too large; EOVERFLOW: a prefix holds
 *                 more than the caller's limit of keys
 *   EPROTO        the answer was not etcd's JSON; EIO: etcd refused the
 *                 request (its message is in etcd_errmsg)
 *   EINVAL        bad arguments (empty key, no endpoint, bad URL list)
 *   ENOMEM
 * etcd_errmsg() gives a one-line description of the last failure.
 *
 * Not thread-safe: one struct etcd per thread.
 */
#ifndef VICE_ETCD_H
#define VICE_ETCD_H

#include <stddef.h>
#include <stdint.h>

#define ETCD_TIMEOUT_MS 2000            /* connect and total, per request */
#define ETCD_MAX_RESPONSE (16u << 20)   /* bytes in one HTTP response */
#define ETCD_MAX_ENDPOINTS 8

struct etcd;

/* One key-value pair, as etcd keeps it.  Revisions are etcd's cluster
 * revisions (mvccpb.KeyValue): create_revision of the last creation,
 * mod_revision of the last change. */
struct etcd_kv {
	char *key;              /* NUL-terminated */
	char *value;            /* vlen bytes and a NUL */
	size_t vlen;
	int64_t create_revision;
	int64_t mod_revision;
};

/* A client for the comma-separated URL list urls ("http://host:port",
 * https allowed; no path); timeout_ms 0 means ETCD_TIMEOUT_MS.  Nothing
 * is sent yet.  0, or EINVAL/ENOMEM with a message in err. */
int etcd_open(const char *urls, unsigned timeout_ms, struct etcd **out,
	      char *err, size_t errlen);
/* NULL is fine. */
void etcd_close(struct etcd *e);
/* The last failure, one line ("" if none). */
const char *etcd_errmsg(const struct etcd *e);

/* The value of key: *val (malloc'd, NUL after len bytes; the caller
 * frees), *len, *mod_rev (either may be NULL).  ENOENT if absent. */
int etcd_get(struct etcd *e, const char *key, char **val, size_t *len,
	     int64_t *mod_rev);
/* Every key starting with prefix, in key order: *kvs (free with
 * etcd_kvs_free), *n.  At most max keys: EOVERFLOW if there are more. */
int etcd_get_prefix(struct etcd *e, const char *prefix, size_t max,
		    struct etcd_kv **kvs, size_t *n);
void etcd_kvs_free(struct etcd_kv *kvs, size_t n);

/* Set key to val (len bytes), whatever was there. */
int etcd_put(struct etcd *e, const char *key, const void *val, size_t len);
/* Remove key; 0 also if it was absent. */
int etcd_delete(struct etcd *e, const char *key);
/* Set key only if it does not exist (txn: create_revision == 0): EEXIST
 * otherwise. */
int etcd_create(struct etcd *e, const char *key, const void *val, size_t len);
/* Compare-and-swap: set key only if its mod_revision is still mod_rev
 * (as etcd_get returned it; 0 means "absent"): EAGAIN otherwise. */
int etcd_cas(struct etcd *e, const char *key, int64_t mod_rev,
	     const void *val, size_t len);
/* Remove key only if its mod_revision is still mod_rev: EAGAIN otherwise
 * (also if it is gone). */
int etcd_delete_if(struct etcd *e, const char *key, int64_t mod_rev);

/* Base64 (RFC 4648, with padding), exposed for the tests: the encoding
 * of n bytes (malloc'd string) or NULL; decoding gives malloc'd bytes
 * and a NUL, or NULL if s is not base64. */
char *etcd_b64_encode(const void *p, size_t n);
char *etcd_b64_decode(const char *s, size_t *n);

#endif /* VICE_ETCD_H */
