/*
 * vice/pdb_etcd.c - the protection database's records in etcd
 * (pdb_store.h), shared by every server of a realm, so a user made on
 * one server is known on all.  Keys, under P = /hesper/<realm>/pdb/
 * (doc/design.md "The pdb in etcd"):
 *
 *   P id/<id>               {"name": NAME, "owner": OWNER}  every entry
 *   P name/<name>           <id>
 *   P member/<gid>/<id>     ""   group gid has member id
 *   P memberof/<id>/<gid>   ""   the same edge, found from the member
 *   P owns/<owner>/<gid>    ""   user owner owns group gid
 *   P secret/<id>           the user's SCRAM verifier
 *   P next_uid, P next_gid  the next user id (above every one ever
 *                           made) and group id (below every one)
 *   P gen                   a counter bumped by every write
 *
 * Every write reads P gen, reads what it needs, and commits all its keys
 * in one txn that also bumps P gen and holds only if P gen's mod_revision
 * is still the one read: writers are serialised (a lost race re-reads
 * and retries), the id counters are allocated by compare-and-swap, and a
 * crash never leaves half a user.  pdb_generation() is P gen's
 * mod_revision, read at most once per GEN_TTL_MS: vice asks on every
 * call, and a pdbtool change reaching the other servers a second later
 * is as good as Coda's pdb updates.  When etcd is unreachable the last
 * generation stands, so identities already resolved keep working.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "vice.h"
#include "pdb_store.h"
#include "etcd_txn.h"

#define KEY_MAX 640             /* prefix (realm bounded) + a key's tail */
#define REALM_MAX 255           /* a DNS name */
#define GEN_TTL_MS 1000
#define MAX_ENTRIES 100000      /* a pdb listing, keys */
#define TRIES 16                /* txn attempts against other writers */
#define NOTHING (-1)            /* a build that needs no write */

struct pe {
	struct pdb_store base;
	struct etcd *e;
	char prefix[REALM_MAX + 16];
	uint64_t gen;           /* the last generation read */
	int64_t gen_at;         /* when, monotonic ms; 0: never */
	/* The txn being built. */
	struct etcd_op ops[ETCD_TXN_MAX_OPS];
	size_t nops;
	int overflow;
};

#define PE(s) ((struct pe *)(s))

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* buf = prefix + the formatted tail. */
static void kf(struct pe *s, char *buf, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void kf(struct pe *s, char *buf, const char *fmt, ...)
{
	size_t n = strlen(s->prefix);
	va_list ap;

	memcpy(buf, s->prefix, n);
	va_start(ap, fmt);
	vsnprintf(buf + n, KEY_MAX - n, fmt, ap);
	va_end(ap);
}

/* The integer after the key's last '/'. */
static int32_t tail_id(const char *key)
{
	const char *t = strrchr(key, '/');

	return (int32_t)strtol(t ? t + 1 : key, NULL, 10);
}

/* ---- reads ---- */

/* Parse an id/<id> value into e (name, owner). */
static int parse_entry(const char *val, struct pdb_entry *e)
{
	struct json_object *o = json_tokener_parse(val), *name, *owner;
	int rc = EIO;

	if (o && json_object_object_get_ex(o, "name", &name) &&
	    json_object_is_type(name, json_type_string) &&
	    json_object_get_string_len(name) <= PDB_NAME_MAX) {
		snprintf(e->name, sizeof e->name, "%s",
			 json_object_get_string(name));
		e->owner = json_object_object_get_ex(o, "owner", &owner) ?
			   json_object_get_int(owner) : 0;
		rc = 0;
	}
	json_object_put(o);
	return rc;
}

/* Does key exist?  0 yes, ENOENT, or an etcd error. */
static int present(struct pe *s, const char *key)
{
	return etcd_get(s->e, key, NULL, NULL, NULL);
}

/* id's entry without has_secret. */
static int entry_of(struct pe *s, int32_t id, struct pdb_entry *e)
{
	char k[KEY_MAX], *v = NULL;
	int rc;

	kf(s, k, "id/%d", id);
	memset(e, 0, sizeof(*e));
	if ((rc = etcd_get(s->e, k, &v, NULL, NULL)))
		return rc;
	e->id = id;
	rc = parse_entry(v, e);
	free(v);
	return rc;
}

static int pe_by_id(struct pdb_store *p, int32_t id, struct pdb_entry *e)
{
	struct pe *s = PE(p);
	char k[KEY_MAX];
	int rc;

	if ((rc = entry_of(s, id, e)))
		return rc;
	kf(s, k, "secret/%d", id);
	rc = present(s, k);
	e->has_secret = !rc;
	return rc == ENOENT ? 0 : rc;
}

/* name -> id through P name/<name>. */
static int id_of(struct pe *s, const char *name, int32_t *id)
{
	char k[KEY_MAX], *v = NULL, *end;
	long n;
	int rc;

	if (strlen(name) > PDB_NAME_MAX || strchr(name, '/'))
		return ENOENT;
	kf(s, k, "name/%s", name);
	if ((rc = etcd_get(s->e, k, &v, NULL, NULL)))
		return rc;
	n = strtol(v, &end, 10);
	rc = *v && !*end ? 0 : EIO;
	free(v);
	*id = (int32_t)n;
	return rc;
}

static int pe_by_name(struct pdb_store *p, const char *name,
		      struct pdb_entry *e)
{
	int32_t id;
	int rc = id_of(PE(p), name, &id);

	return rc ? rc : pe_by_id(p, id, e);
}

/* The ids at the tails of every key under prefix tail fmt, sorted (desc
 * if down): *ids malloc'd, *n. */
static int tails(struct pe *s, const char *sub, int32_t id, int32_t **ids,
		 size_t *n)
{
	char k[KEY_MAX];
	struct etcd_kv *kvs;
	size_t i;
	int rc;

	if (sub)
		kf(s, k, "%s/%d/", sub, id);
	else
		kf(s, k, "secret/");
	*ids = NULL;
	if ((rc = etcd_get_prefix(s->e, k, MAX_ENTRIES, &kvs, n)))
		return rc;
	if (*n && !(*ids = malloc(*n * sizeof(**ids))))
		rc = ENOMEM;
	for (i = 0; !rc && i < *n; i++)
		(*ids)[i] = tail_id(kvs[i].key);
	etcd_kvs_free(kvs, *n);
	return rc;
}

static int up(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

static int down(const void *a, const void *b)
{
	return up(b, a);
}

static int pe_related(struct pdb_store *p, int32_t id, char kind,
		      int32_t *out, unsigned max, unsigned *n)
{
	const char *sub = kind == 'm' ? "member" : kind == 'g' ? "memberof" :
			  "owns";
	int32_t *ids;
	size_t cnt, i;
	int rc = tails(PE(p), sub, id, &ids, &cnt);

	*n = 0;
	if (rc)
		return rc;
	if (cnt)        /* qsort(NULL, 0) is undefined */
		qsort(ids, cnt, sizeof(*ids), kind == 'm' ? up : down);
	for (i = 0; i < cnt && i < max; i++)
		out[i] = ids[i];
	*n = (unsigned)cnt;
	free(ids);
	return 0;
}

/* Users by id, then groups by -id (pdb_each's order). */
static int entry_order(const void *a, const void *b)
{
	int32_t x = ((const struct pdb_entry *)a)->id;
	int32_t y = ((const struct pdb_entry *)b)->id;

	if ((x < 0) != (y < 0))
		return x < 0 ? 1 : -1;
	return x < 0 ? up(&y, &x) : up(&x, &y);
}

/* Every entry into *out (sorted), *n. */
static int all_entries(struct pe *s, struct pdb_entry **out, size_t *n)
{
	char k[KEY_MAX];
	struct etcd_kv *kvs;
	struct pdb_entry *es = NULL;
	int32_t *sec = NULL;
	size_t i, nsec = 0;
	int rc;

	kf(s, k, "id/");
	if ((rc = etcd_get_prefix(s->e, k, MAX_ENTRIES, &kvs, n)))
		return rc;
	if (*n && !(es = calloc(*n, sizeof(*es))))
		rc = ENOMEM;
	for (i = 0; !rc && i < *n; i++) {
		es[i].id = tail_id(kvs[i].key);
		rc = parse_entry(kvs[i].value, &es[i]);
	}
	etcd_kvs_free(kvs, *n);
	if (!rc)
		rc = tails(s, NULL, 0, &sec, &nsec);
	if (rc) {
		free(es);
		return rc;
	}
	if (nsec)
		qsort(sec, nsec, sizeof(*sec), up);
	for (i = 0; i < *n; i++)
		es[i].has_secret = nsec && bsearch(&es[i].id, sec, nsec,
						   sizeof(*sec), up) != NULL;
	free(sec);
	if (*n)
		qsort(es, *n, sizeof(*es), entry_order);
	*out = es;
	return 0;
}

static int pe_each(struct pdb_store *p,
		   int (*fn)(const struct pdb_entry *e, void *arg), void *arg)
{
	struct pdb_entry *es = NULL;
	size_t n = 0, i;
	int rc = all_entries(PE(p), &es, &n);

	for (i = 0; !rc && i < n; i++)
		rc = fn(&es[i], arg);
	free(es);
	return rc;
}

static int pe_secret_get(struct pdb_store *p, int32_t id, char *buf, size_t n)
{
	struct pe *s = PE(p);
	char k[KEY_MAX], *v = NULL;
	int rc;

	kf(s, k, "secret/%d", id);
	if ((rc = etcd_get(s->e, k, &v, NULL, NULL)))
		return rc;
	snprintf(buf, n, "%s", v);
	free(v);
	return 0;
}

/* A counter key's value (dflt if absent). */
static int counter(struct pe *s, const char *name, int64_t dflt, int64_t *v)
{
	char k[KEY_MAX], *val = NULL;
	int rc;

	kf(s, k, "%s", name);
	rc = etcd_get(s->e, k, &val, NULL, NULL);
	*v = dflt;
	if (rc == ENOENT)
		return 0;
	if (!rc)
		*v = strtoll(val, NULL, 10);
	free(val);
	return rc;
}

static int pe_user_next_id(struct pdb_store *p, int32_t *id)
{
	int64_t v;
	int rc = counter(PE(p), "next_uid", 1, &v);

	if (rc)
		return rc;
	if (v > INT32_MAX || v < 1)
		return ENOSPC;
	*id = (int32_t)v;
	return 0;
}

static uint64_t pe_generation(struct pdb_store *p)
{
	struct pe *s = PE(p);
	char k[KEY_MAX];
	int64_t rev = 0, t = now_ms();
	int rc;

	if (s->gen_at && t - s->gen_at < GEN_TTL_MS)
		return s->gen;
	kf(s, k, "gen");
	rc = etcd_get(s->e, k, NULL, NULL, &rev);
	if (rc && rc != ENOENT)
		return s->gen;  /* etcd away: keep what was resolved */
	s->gen = (uint64_t)rev + 1;
	s->gen_at = t;
	return s->gen;
}

/* ---- writes ---- */

static void ops_reset(struct pe *s)
{
	size_t i;

	for (i = 0; i < s->nops; i++) {
		free(s->ops[i].key);
		free(s->ops[i].val);
	}
	s->nops = 0;
	s->overflow = 0;
}

/* Add a put (val) or a delete (val NULL) of key to the txn; a key
 * already there is not added twice (etcd refuses duplicate keys). */
static void op(struct pe *s, const char *key, const char *val)
{
	struct etcd_op *o;
	size_t i;

	for (i = 0; i < s->nops; i++)
		if (!strcmp(s->ops[i].key, key))
			return;
	if (s->nops == ETCD_TXN_MAX_OPS - 1) {  /* room for P gen */
		s->overflow = 1;
		return;
	}
	o = &s->ops[s->nops];
	o->key = strdup(key);
	o->val = val ? strdup(val) : NULL;
	o->len = val ? strlen(val) : 0;
	o->del = !val;
	if (!o->key || (val && !o->val)) {
		free(o->key);
		free(o->val);
		s->overflow = 1;
		return;
	}
	s->nops++;
}

/* op() with a formatted key tail. */
static void opf(struct pe *s, const char *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void opf(struct pe *s, const char *val, const char *fmt, ...)
{
	char k[KEY_MAX], tail[KEY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	kf(s, k, "%s", tail);
	op(s, k, val);
}

/* Has P gen changed since revision rev?  build's reads are separate
 * gets, so a refusal it saw (EEXIST, ENOENT) holds only if no writer
 * came between them.  An etcd error here keeps build's answer. */
static int moved(struct pe *s, const char *gk, int64_t rev)
{
	int64_t now = 0;
	int rc = etcd_get(s->e, gk, NULL, NULL, &now);

	return (!rc || rc == ENOENT) && now != rev;
}

/* Run build (which reads and adds ops, or returns an errno or NOTHING)
 * and commit its ops with P gen bumped, while P gen stays as read. */
static int write_txn(struct pe *s, int (*build)(struct pe *s, void *arg),
		     void *arg)
{
	char gk[KEY_MAX], *v = NULL, next[32];
	struct etcd_cmp cmp;
	int64_t rev;
	int rc = EAGAIN, i;

	kf(s, gk, "gen");
	for (i = 0; i < TRIES && rc == EAGAIN; i++) {
		if (i)
			usleep((useconds_t)(1000 * (1 + rand() % (4 << (i / 4)))));
		rev = 0;
		rc = etcd_get(s->e, gk, &v, NULL, &rev);
		if (rc && rc != ENOENT)
			return rc;
		snprintf(next, sizeof next, "%lld",
			 (long long)(v ? strtoll(v, NULL, 10) : 0) + 1);
		free(v);
		v = NULL;
		ops_reset(s);
		rc = build(s, arg);
		if (!rc && s->overflow)
			rc = E2BIG;
		if (rc && rc != E2BIG && moved(s, gk, rev))
			rc = EAGAIN;  /* build's reads straddled a write */
		if (!rc) {
			op(s, gk, next);
			cmp.key = gk;
			cmp.mod_rev = rev;
			rc = etcd_txn(s->e, &cmp, 1, s->ops, s->nops);
		}
		ops_reset(s);
	}
	s->gen_at = 0;  /* our own change: read the generation again */
	return rc == NOTHING ? 0 : rc;
}

/* Value of an id/<id> key. */
static void entry_val(char *buf, size_t n, const char *name, int32_t owner)
{
	/* Names are checked (letters, digits, "._-:"): nothing to escape. */
	snprintf(buf, n, "{\"name\": \"%s\", \"owner\": %d}", name, owner);
}

struct add {
	const char *name;
	int32_t id, owner;
	int seed;               /* the system groups: exists is fine */
	int alloc;              /* users: id from P next_uid */
};

/* name and id both free?  0, EEXIST, or an etcd error. */
static int both_free(struct pe *s, const char *name, int32_t id)
{
	char k[KEY_MAX];
	int rc;

	kf(s, k, "name/%s", name);
	if ((rc = present(s, k)) != ENOENT)
		return rc ? rc : EEXIST;
	kf(s, k, "id/%d", id);
	if ((rc = present(s, k)) != ENOENT)
		return rc ? rc : EEXIST;
	return 0;
}

static void put_entry(struct pe *s, const char *name, int32_t id,
		      int32_t owner)
{
	char val[PDB_NAME_MAX + 64], idstr[16];

	entry_val(val, sizeof val, name, owner);
	snprintf(idstr, sizeof idstr, "%d", id);
	opf(s, val, "id/%d", id);
	opf(s, idstr, "name/%s", name);
}

static int build_user(struct pe *s, void *arg)
{
	struct add *a = arg;
	char v[32];
	int64_t next;
	int rc = counter(s, "next_uid", 1, &next);

	if (rc)
		return rc;
	if (a->alloc) {
		if (next > INT32_MAX || next < 1)
			return ENOSPC;
		a->id = (int32_t)next;
	}
	rc = both_free(s, a->name, a->id);
	if (rc == EEXIST && a->seed)
		return NOTHING;
	if (rc)
		return rc;
	put_entry(s, a->name, a->id, a->owner);
	if (a->id >= 0 && a->id >= next) {
		snprintf(v, sizeof v, "%lld", (long long)a->id + 1);
		opf(s, v, "next_uid");
	}
	return 0;
}

static int pe_seed(struct pdb_store *p, const char *name, int32_t id)
{
	struct add a = { name, id, 0, 1, 0 };

	return write_txn(PE(p), build_user, &a);
}

static int pe_user_add(struct pdb_store *p, const char *name, int32_t *id)
{
	struct add a = { name, *id, 0, 0, *id == PDB_NEXT_ID };
	int rc = write_txn(PE(p), build_user, &a);

	if (!rc)
		*id = a.id;
	return rc;
}

static int build_group(struct pe *s, void *arg)
{
	struct add *a = arg;
	char k[KEY_MAX], v[32];
	int64_t next;
	int rc, i;

	kf(s, k, "name/%s", a->name);
	if ((rc = present(s, k)) != ENOENT)
		return rc ? rc : EEXIST;
	kf(s, k, "id/%d", a->owner);
	if ((rc = present(s, k)) ||
	    (rc = counter(s, "next_gid", PDB_GROUP_ID_TOP - 1, &next)))
		return rc;
	/* Skip ids taken outside the counter (none, unless edited by
	 * hand); bounded. */
	for (i = 0; i < 64; i++, next--) {
		if (next < INT32_MIN + 1)
			return ENOSPC;
		kf(s, k, "id/%lld", (long long)next);
		if ((rc = present(s, k)) == ENOENT)
			break;
		if (rc)
			return rc;
	}
	if (i == 64)
		return EIO;
	a->id = (int32_t)next;
	put_entry(s, a->name, a->id, a->owner);
	opf(s, "", "owns/%d/%d", a->owner, a->id);
	snprintf(v, sizeof v, "%lld", (long long)next - 1);
	opf(s, v, "next_gid");
	return 0;
}

static int pe_group_add(struct pdb_store *p, const char *name, int32_t owner,
			int32_t *id)
{
	struct add a = { name, 0, owner, 0, 0 };
	int rc = write_txn(PE(p), build_group, &a);

	if (!rc)
		*id = a.id;
	return rc;
}

struct edge {
	int32_t gid, member;
};

static int build_member_add(struct pe *s, void *arg)
{
	struct edge *e = arg;
	char k[KEY_MAX];
	int rc;

	kf(s, k, "id/%d", e->gid);
	if ((rc = present(s, k)))
		return rc;
	kf(s, k, "id/%d", e->member);
	if ((rc = present(s, k)))
		return rc;
	kf(s, k, "member/%d/%d", e->gid, e->member);
	if ((rc = present(s, k)) != ENOENT)
		return rc ? rc : EEXIST;
	opf(s, "", "member/%d/%d", e->gid, e->member);
	opf(s, "", "memberof/%d/%d", e->member, e->gid);
	return 0;
}

static int build_member_del(struct pe *s, void *arg)
{
	struct edge *e = arg;
	char k[KEY_MAX];
	int rc;

	kf(s, k, "member/%d/%d", e->gid, e->member);
	if ((rc = present(s, k)))
		return rc;
	opf(s, NULL, "member/%d/%d", e->gid, e->member);
	opf(s, NULL, "memberof/%d/%d", e->member, e->gid);
	return 0;
}

static int pe_member_add(struct pdb_store *p, int32_t gid, int32_t member)
{
	struct edge e = { gid, member };

	return write_txn(PE(p), build_member_add, &e);
}

static int pe_member_del(struct pdb_store *p, int32_t gid, int32_t member)
{
	struct edge e = { gid, member };

	return write_txn(PE(p), build_member_del, &e);
}

/* Delete ops for one entry: its keys and every edge touching it. */
static int drop_one(struct pe *s, int32_t id)
{
	struct pdb_entry e;
	int32_t *ids;
	size_t n, i;
	int rc;

	if ((rc = entry_of(s, id, &e)))
		return rc;
	opf(s, NULL, "id/%d", id);
	opf(s, NULL, "name/%s", e.name);
	opf(s, NULL, "secret/%d", id);
	if (id < 0 && e.owner >= 0 && strncmp(e.name, "System:", 7))
		opf(s, NULL, "owns/%d/%d", e.owner, id);
	if ((rc = tails(s, "member", id, &ids, &n)))
		return rc;
	for (i = 0; i < n; i++) {
		opf(s, NULL, "member/%d/%d", id, ids[i]);
		opf(s, NULL, "memberof/%d/%d", ids[i], id);
	}
	free(ids);
	if ((rc = tails(s, "memberof", id, &ids, &n)))
		return rc;
	for (i = 0; i < n; i++) {
		opf(s, NULL, "memberof/%d/%d", id, ids[i]);
		opf(s, NULL, "member/%d/%d", ids[i], id);
	}
	free(ids);
	return 0;
}

static int build_del(struct pe *s, void *arg)
{
	int32_t id = *(int32_t *)arg, *owned;
	size_t n, i;
	int rc;

	if ((rc = drop_one(s, id)))
		return rc;
	if (id < 0)
		return 0;
	if ((rc = tails(s, "owns", id, &owned, &n)))
		return rc;
	for (i = 0; !rc && i < n; i++)
		if ((rc = drop_one(s, owned[i])) == ENOENT)
			rc = 0; /* a dangling owns key: gone with the rest */
	for (i = 0; i < n; i++)
		opf(s, NULL, "owns/%d/%d", id, owned[i]);
	free(owned);
	return rc;
}

static int pe_del(struct pdb_store *p, int32_t id)
{
	return write_txn(PE(p), build_del, &id);
}

struct secret {
	int32_t id;
	const char *secret;
};

static int build_secret(struct pe *s, void *arg)
{
	struct secret *a = arg;
	char k[KEY_MAX];
	int rc;

	kf(s, k, "id/%d", a->id);
	if ((rc = present(s, k)))
		return rc;
	opf(s, a->secret, "secret/%d", a->id);
	return 0;
}

static int pe_secret_set(struct pdb_store *p, int32_t id, const char *secret)
{
	struct secret a = { id, secret };

	return write_txn(PE(p), build_secret, &a);
}

static void pe_close(struct pdb_store *p)
{
	struct pe *s = PE(p);

	ops_reset(s);
	etcd_close(s->e);
	free(s);
}

static const struct pdb_store_ops pe_ops = {
	pe_close, pe_generation, pe_by_name, pe_by_id, pe_each, pe_related,
	pe_seed, pe_user_add, pe_user_next_id, pe_group_add, pe_member_add,
	pe_member_del, pe_del, pe_secret_set, pe_secret_get,
};

/* A realm name usable in a key: a DNS-like name, no '/'. */
static int realm_ok(const char *r)
{
	size_t n = strlen(r);

	return n && n <= REALM_MAX && !strchr(r, '/') &&
	       strspn(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-_") == n;
}

int pdb_etcd_open(const char *urls, const char *realm,
		  struct pdb_store **out, char *err, size_t errlen)
{
	struct pe *s;
	int rc;

	*out = NULL;
	if (!realm || !realm_ok(realm)) {
		snprintf(err, errlen, "pdb in etcd: bad realm name \"%s\"",
			 realm ? realm : "");
		return EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	s->base.ops = &pe_ops;
	snprintf(s->prefix, sizeof s->prefix, "/hesper/%s/pdb/", realm);
	if ((rc = etcd_open(urls, 0, &s->e, err, errlen))) {
		free(s);
		return rc;
	}
	/* Reach etcd now: a server that cannot should say so at start. */
	if ((rc = counter(s, "gen", 0, &(int64_t){ 0 }))) {
		snprintf(err, errlen, "pdb in etcd %s: %s", urls,
			 *etcd_errmsg(s->e) ? etcd_errmsg(s->e) : strerror(rc));
		pe_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
