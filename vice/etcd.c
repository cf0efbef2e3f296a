/*
 * vice/etcd.c - etcd v3 JSON gateway client (etcd.h): libcurl for HTTP,
 * json-c for the bodies.
 *
 * Each request is one POST of a JSON body to <endpoint>/v3/kv/<verb>.
 * Transport failures (refused, unreachable, timed out) move on to the
 * next endpoint; an answer from etcd, even an error, ends the request.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include "etcd.h"
#include "etcd_txn.h"

struct etcd {
	CURL *curl;
	char *url[ETCD_MAX_ENDPOINTS];
	unsigned nurl;
	unsigned cur;           /* the endpoint that answered last */
	unsigned timeout_ms;
	/* TLS (https:// endpoints): PEM files from etcdctl's variables
	 * ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY; NULL: libcurl's
	 * defaults (the system's CAs, no client certificate). */
	char *cacert, *cert, *key;
	char msg[256];
};

/* The response body being received, bounded. */
struct body {
	char *p;
	size_t n;
	int too_big;
};

static void seterr(struct etcd *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void seterr(struct etcd *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

const char *etcd_errmsg(const struct etcd *e)
{
	return e ? e->msg : "";
}

/* ---- base64 (RFC 4648 section 4) ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64_encode(const void *p, size_t n)
{
	const unsigned char *s = p;
	char *out, *o;
	size_t i;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3 || !(out = malloc((n + 2) / 3 * 4 + 1)))
		return NULL;
	o = out;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];

		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 |
			     (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);

		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

char *etcd_b64_decode(const char *s, size_t *n)
{
	size_t len = strlen(s), i, k = 0;
	unsigned char *out;

	if (len % 4 || !(out = malloc(len / 4 * 3 + 1)))
		return NULL;
	for (i = 0; i < len; i += 4) {
		int a = b64_val(s[i]), b = b64_val(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : b64_val(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : b64_val(s[i + 3]);
		int pad = (s[i + 2] == '=') + (s[i + 3] == '=');

		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    (pad && i + 4 != len) || (s[i + 2] == '=' && s[i + 3] != '=')) {
			free(out);
			return NULL;
		}
		out[k++] = (unsigned char)(a << 2 | b >> 4);
		if (pad < 2)
			out[k++] = (unsigned char)((b & 15) << 4 | c >> 2);
		if (pad < 1)
			out[k++] = (unsigned char)((c & 3) << 6 | d);
	}
	out[k] = 0;
	*n = k;
	return (char *)out;
}

/* ---- set-up ---- */

/* Split the comma-separated list into e->url[]: each must be http(s)://. */
static int parse_urls(struct etcd *e, const char *urls, char *err, size_t errlen)
{
	const char *p = urls;

	while (*p) {
		size_t len = strcspn(p, ",");
		char *u;

		if (len) {
			if (e->nurl == ETCD_MAX_ENDPOINTS) {
				snprintf(err, errlen, "etcd: more than %d endpoints",
					 ETCD_MAX_ENDPOINTS);
				return EINVAL;
			}
			if (!(u = strndup(p, len)))
				return ENOMEM;
			while (len > 1 && u[len - 1] == '/')
				u[--len] = 0;   /* "http://h:2379/" */
			e->url[e->nurl++] = u;
			if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) {
				snprintf(err, errlen, "etcd: not an http(s) URL: %s", u);
				return EINVAL;
			}
		}
		p += len + (p[len] == ',');
	}
	if (!e->nurl) {
		snprintf(err, errlen, "etcd: no endpoint given");
		return EINVAL;
	}
	return 0;
}

/* The TLS files named by etcdctl's variables, if set. */
static int tls_files(struct etcd *e)
{
	static const char *names[] = { "ETCDCTL_CACERT", "ETCDCTL_CERT", "ETCDCTL_KEY" };
	char **dst[] = { &e->cacert, &e->cert, &e->key };
	unsigned i;

	for (i = 0; i < 3; i++) {
		const char *v = getenv(names[i]);

		if (v && *v && !(*dst[i] = strdup(v)))
			return ENOMEM;
	}
	return 0;
}

int etcd_open(const char *urls, unsigned timeout_ms, struct etcd **out,
	      char *err, size_t errlen)
{
	static int curl_ready;
	struct etcd *e;
	int r;

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			snprintf(err, errlen, "etcd: cannot initialise libcurl");
			return ENOMEM;
		}
		curl_ready = 1;
	}
	if (!(e = calloc(1, sizeof *e)))
		return ENOMEM;
	e->timeout_ms = timeout_ms ? timeout_ms : ETCD_TIMEOUT_MS;
	if ((r = tls_files(e))) {
		snprintf(err, errlen, "etcd: out of memory");
		etcd_close(e);
		return r;
	}
	if ((r = parse_urls(e, urls ? urls : "", err, errlen)) ||
	    (!(e->curl = curl_easy_init()) && (r = ENOMEM))) {
		if (r == ENOMEM)
			snprintf(err, errlen, "etcd: out of memory");
		etcd_close(e);
		return r;
	}
	*out = e;
	return 0;
}

void etcd_close(struct etcd *e)
{
	unsigned i;

	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	for (i = 0; i < e->nurl; i++)
		free(e->url[i]);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e);
}

/* ---- HTTP ---- */

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *q;

	if (n > ETCD_MAX_RESPONSE - b->n) {
		b->too_big = 1;
		return 0;       /* curl aborts the transfer */
	}
	if (!(q = realloc(b->p, b->n + n + 1)))
		return 0;
	memcpy(q + b->n, p, n);
	b->p = q;
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

/* A curl failure as an errno: is it worth trying the next endpoint? */
static int curl_errno(CURLcode c, int *next)
{
	*next = 1;
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		*next = 0;
		return ENOMEM;
	default:
		*next = 0;
		return EIO;
	}
}

/* POST body to one endpoint's /v3/kv/<verb>: 0 with b filled and *status
 * the HTTP status, or an errno (*next: try another endpoint). */
static int post_one(struct etcd *e, const char *url, const char *verb,
		    const char *json, struct body *b, long *status, int *next)
{
	struct curl_slist *hdr = curl_slist_append(NULL,
		"Content-Type: application/json");
	char full[1024];
	CURLcode c;
	int r;

	*next = 0;
	if (!hdr)
		return ENOMEM;
	snprintf(full, sizeof full, "%s/v3/kv/%s", url, verb);
	curl_easy_reset(e->curl);
	curl_easy_setopt(e->curl, CURLOPT_URL, full);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e->cacert)
		curl_easy_setopt(e->curl, CURLOPT_CAINFO, e->cacert);
	if (e->cert)
		curl_easy_setopt(e->curl, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_easy_setopt(e->curl, CURLOPT_SSLKEY, e->key);
	c = curl_easy_perform(e->curl);
	curl_slist_free_all(hdr);
	if (b->too_big) {
		seterr(e, "etcd %s: response larger than %u bytes", url,
		       ETCD_MAX_RESPONSE);
		return EMSGSIZE;
	}
	if (c != CURLE_OK) {
		r = curl_errno(c, next);
		seterr(e, "etcd %s: %s", url, curl_easy_strerror(c));
		return r;
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* etcd's error body {"error": ..., "code": grpc code, "message": ...}:
 * code 14 (UNAVAILABLE: no leader, shutting down) is worth another
 * endpoint; anything else is etcd refusing the request. */
static int http_error(struct etcd *e, const char *url, long status,
		      const char *body, int *next)
{
	struct json_object *j = json_tokener_parse(body), *m = NULL, *code;
	int grpc = -1;

	if (j && json_object_object_get_ex(j, "code", &code))
		grpc = json_object_get_int(code);
	if (j && !json_object_object_get_ex(j, "message", &m))
		json_object_object_get_ex(j, "error", &m);
	seterr(e, "etcd %s: HTTP %ld: %s", url, status,
	       m ? json_object_get_string(m) : "no message");
	json_object_put(j);
	*next = grpc == 14 || status == 503;
	return *next ? EHOSTUNREACH : EIO;
}

/* POST req (consumed) to the endpoints in turn; *resp the parsed answer. */
static int post(struct etcd *e, const char *verb, struct json_object *req,
		struct json_object **resp)
{
	const char *json = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	int r = ENOMEM, next = 0;
	unsigned i;

	*resp = NULL;
	for (i = 0; json && i < e->nurl; i++) {
		unsigned k = (e->cur + i) % e->nurl;
		struct body b = { 0 };
		long status = 0;

		r = post_one(e, e->url[k], verb, json, &b, &status, &next);
		if (!r && status != 200)
			r = http_error(e, e->url[k], status, b.p ? b.p : "", &next);
		if (!r) {
			e->cur = k;
			if (!(*resp = json_tokener_parse(b.p ? b.p : ""))) {
				seterr(e, "etcd %s: answer is not JSON", e->url[k]);
				r = EPROTO;
			}
		}
		free(b.p);
		if (!r || !next)
			break;
	}
	json_object_put(req);
	return r;
}

/* ---- JSON pieces ---- */

/* obj[name] = base64(p, n); 0 or ENOMEM. */
static int add_b64(struct json_object *obj, const char *name, const void *p,
		   size_t n)
{
	char *s = etcd_b64_encode(p, n);
	struct json_object *str = s ? json_object_new_string(s) : NULL;

	free(s);
	if (!str || json_object_object_add(obj, name, str)) {
		json_object_put(str);
		return ENOMEM;
	}
	return 0;
}

/* obj[name] = int64 as etcd's JSON writes them (a string). */
static int add_i64(struct json_object *obj, const char *name, int64_t v)
{
	char s[32];
	struct json_object *str;

	snprintf(s, sizeof s, "%lld", (long long)v);
	if (!(str = json_object_new_string(s)) ||
	    json_object_object_add(obj, name, str)) {
		json_object_put(str);
		return ENOMEM;
	}
	return 0;
}

static int add_str(struct json_object *obj, const char *name, const char *s)
{
	struct json_object *str = json_object_new_string(s);

	if (!str || json_object_object_add(obj, name, str)) {
		json_object_put(str);
		return ENOMEM;
	}
	return 0;
}

/* {"key": base64(key)} and, if val, "value"; NULL when out of memory. */
static struct json_object *kv_req(const char *key, const void *val, size_t len)
{
	struct json_object *o = json_object_new_object();

	if (!o || add_b64(o, "key", key, strlen(key)) ||
	    (val && add_b64(o, "value", val, len))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int64_t get_i64(struct json_object *o, const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

/* One mvccpb.KeyValue from JSON into kv: 0, EPROTO or ENOMEM. */
static int kv_parse(struct json_object *o, struct etcd_kv *kv)
{
	struct json_object *k, *v;
	size_t klen;

	memset(kv, 0, sizeof *kv);
	if (!json_object_object_get_ex(o, "key", &k) ||
	    !(kv->key = etcd_b64_decode(json_object_get_string(k), &klen)))
		return EPROTO;
	/* proto3 JSON leaves out an empty value. */
	kv->value = etcd_b64_decode(json_object_object_get_ex(o, "value", &v) ?
				    json_object_get_string(v) : "", &kv->vlen);
	if (!kv->value || strlen(kv->key) != klen) {
		free(kv->key);
		free(kv->value);
		kv->key = kv->value = NULL;
		return EPROTO;
	}
	kv->create_revision = get_i64(o, "create_revision");
	kv->mod_revision = get_i64(o, "mod_revision");
	return 0;
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; kvs && i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
}

/* The "kvs" array of a RangeResponse into *kvs, *n (at most max). */
static int kvs_parse(struct etcd *e, struct json_object *resp, size_t max,
		     struct etcd_kv **kvs, size_t *n)
{
	struct json_object *arr, *more;
	size_t i, cnt;
	int r = 0;

	*kvs = NULL;
	*n = 0;
	if (json_object_object_get_ex(resp, "more", &more) &&
	    json_object_get_boolean(more))
		return EOVERFLOW;
	if (!json_object_object_get_ex(resp, "kvs", &arr))
		return 0;       /* none */
	if (!json_object_is_type(arr, json_type_array))
		return EPROTO;
	cnt = json_object_array_length(arr);
	if (cnt > max)
		return EOVERFLOW;
	if (!cnt || !(*kvs = calloc(cnt, sizeof **kvs)))
		return cnt ? ENOMEM : 0;
	for (i = 0; i < cnt && !r; i++)
		if (!(r = kv_parse(json_object_array_get_idx(arr, i), &(*kvs)[i])))
			*n = i + 1;
	if (r) {
		seterr(e, "etcd: malformed key-value in a range answer");
		etcd_kvs_free(*kvs, *n);
		*kvs = NULL;
		*n = 0;
	}
	return r;
}

/* ---- requests ---- */

int etcd_get(struct etcd *e, const char *key, char **val, size_t *len,
	     int64_t *mod_rev)
{
	struct json_object *req, *resp;
	struct etcd_kv *kvs;
	size_t n;
	int r;

	if (!*key)
		return EINVAL;
	if (!(req = kv_req(key, NULL, 0)))
		return ENOMEM;
	if ((r = post(e, "range", req, &resp)))
		return r;
	r = kvs_parse(e, resp, 1, &kvs, &n);
	json_object_put(resp);
	if (r)
		return r;
	if (!n)
		return ENOENT;
	if (mod_rev)
		*mod_rev = kvs[0].mod_revision;
	if (len)
		*len = kvs[0].vlen;
	if (val) {
		*val = kvs[0].value;
		kvs[0].value = NULL;
	}
	etcd_kvs_free(kvs, n);
	return 0;
}

int etcd_get_prefix(struct etcd *e, const char *prefix, size_t max,
		    struct etcd_kv **kvs, size_t *n)
{
	struct json_object *req, *resp;
	size_t plen = strlen(prefix);
	char *end;
	int r;

	*kvs = NULL;
	*n = 0;
	/* range_end: the prefix with its last byte plus one (etcd's
	 * convention); a prefix of all 0xff bytes is not used here. */
	if (!plen || (unsigned char)prefix[plen - 1] == 0xff)
		return EINVAL;
	if (!(end = strdup(prefix)))
		return ENOMEM;
	end[plen - 1]++;
	req = kv_req(prefix, NULL, 0);
	r = !req || add_b64(req, "range_end", end, plen) ||
	    add_i64(req, "limit", (int64_t)max + 1) ? ENOMEM : 0;
	free(end);
	if (r) {
		json_object_put(req);
		return r;
	}
	if ((r = post(e, "range", req, &resp)))
		return r;
	r = kvs_parse(e, resp, max, kvs, n);
	if (r == EOVERFLOW)
		seterr(e, "etcd: more than %zu keys under %s", max, prefix);
	json_object_put(resp);
	return r;
}

int etcd_put(struct etcd *e, const char *key, const void *val, size_t len)
{
	struct json_object *req, *resp;
	int r;

	if (!*key)
		return EINVAL;
	if (!(req = kv_req(key, val, len)))
		return ENOMEM;
	r = post(e, "put", req, &resp);
	json_object_put(resp);
	return r;
}

int etcd_delete(struct etcd *e, const char *key)
{
	struct json_object *req, *resp;
	int r;

	if (!*key)
		return EINVAL;
	if (!(req = kv_req(key, NULL, 0)))
		return ENOMEM;
	r = post(e, "deleterange", req, &resp);
	json_object_put(resp);
	return r;
}

/* A txn: if key's target (CREATE or MOD revision) equals rev, run op
 * (request_put with val, or request_delete_range if val is NULL).  0 if
 * it ran, EAGAIN if the comparison failed. */
static int txn(struct etcd *e, const char *key, const char *target, int64_t rev,
	       const void *val, size_t len)
{
	struct json_object *req = json_object_new_object();
	struct json_object *cmp = kv_req(key, NULL, 0), *cmps = json_object_new_array();
	struct json_object *op = kv_req(key, val, len), *wrap = json_object_new_object();
	struct json_object *ops = json_object_new_array(), *resp, *ok;
	int r = ENOMEM;

	if (req && cmp && cmps && op && wrap && ops &&
	    !add_str(cmp, "result", "EQUAL") && !add_str(cmp, "target", target) &&
	    !add_i64(cmp, !strcmp(target, "CREATE") ? "create_revision" :
		     "mod_revision", rev) &&
	    !json_object_array_add(cmps, cmp) && !(cmp = NULL) &&
	    !json_object_object_add(req, "compare", cmps) && !(cmps = NULL) &&
	    !json_object_object_add(wrap, val ? "request_put" :
				    "request_delete_range", op) && !(op = NULL) &&
	    !json_object_array_add(ops, wrap) && !(wrap = NULL) &&
	    !json_object_object_add(req, "success", ops) && !(ops = NULL))
		r = 0;
	json_object_put(cmp);
	json_object_put(cmps);
	json_object_put(op);
	json_object_put(wrap);
	json_object_put(ops);
	if (r) {
		json_object_put(req);
		return r;
	}
	if ((r = post(e, "txn", req, &resp)))
		return r;
	/* proto3 JSON leaves out "succeeded": false. */
	r = json_object_object_get_ex(resp, "succeeded", &ok) &&
	    json_object_get_boolean(ok) ? 0 : EAGAIN;
	json_object_put(resp);
	return r;
}

int etcd_create(struct etcd *e, const char *key, const void *val, size_t len)
{
	int r;

	if (!*key)
		return EINVAL;
	r = txn(e, key, "CREATE", 0, val ? val : "", val ? len : 0);
	return r == EAGAIN ? EEXIST : r;
}

int etcd_cas(struct etcd *e, const char *key, int64_t mod_rev,
	     const void *val, size_t len)
{
	if (!*key)
		return EINVAL;
	if (!mod_rev) { /* "absent": a creation */
		int r = etcd_create(e, key, val, len);

		return r == EEXIST ? EAGAIN : r;
	}
	return txn(e, key, "MOD", mod_rev, val ? val : "", val ? len : 0);
}

int etcd_delete_if(struct etcd *e, const char *key, int64_t mod_rev)
{
	if (!*key || mod_rev <= 0)
		return EINVAL;
	return txn(e, key, "MOD", mod_rev, NULL, 0);
}

/* etcd_txn.h: the transport for multi-key txns (vice/etcd_txn.c). */
int etcd_post_json(struct etcd *e, const char *verb, struct json_object *req,
		   struct json_object **resp)
{
	return post(e, verb, req, resp);
}
