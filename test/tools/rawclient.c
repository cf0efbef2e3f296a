/*
 * rawclient - a hostile Hesper client for the security tests: it speaks
 * rpc/hesper.x to vice over TLS with the rpc library, as a venus would,
 * but carries no token (System:AnyUser) and does what a venus never does.
 * It learns the victim's client id and store ids the way an attacker on
 * the network would: from the attributes of one of the victim's files
 * (hs_attr.storeid, the last mutation applied to it).
 *
 *   rawclient connect-as HOST PORT NAME
 *	HS_CONNECT with the client id of NAME's last writer and a key of
 *	its own (a client-id hijack).  Exit 0 if vice refused it (EPERM).
 *
 *   rawclient squat HOST PORT NAME N
 *	For each of the writer's next N store ids: create and mkdir in the
 *	root directory, a store (chunk + commit) and a setattr on NAME, and
 *	HS_STAGED.  Exit 0 if vice refused every call (EPERM, or EACCES
 *	where the ACL refuses first).
 *
 *   rawclient stage-flood HOST PORT NAME NCLIENTS NSTORES
 *	As NCLIENTS client ids of its own, stage NSTORES one-byte stores
 *	each and never commit them (they name local fids, as a disconnected
 *	client's creates do); then one chunk under the writer's client id.
 *	Prints how many chunks got each status.  Exit 0 if the chunk under
 *	the writer's id was refused.
 *
 *   rawclient noauth HOST PORT DIRFID FILE FILEFID FILE2 FILE2FID UID
 *	Against a directory (DIRFID, V.N.U) whose ACL gives System:AnyUser
 *	nothing, holding the victim's FILE and FILE2 (fids known, as
 *	sequential fids are guessable): list it, look FILE up, getattr and
 *	read (fetch) FILE, overwrite it (chunk + commit), truncate it, chown
 *	it to another uid with mode 0666, delete FILE2, and plant a setuid
 *	file owned by UID; each with store ids of our own.  Exit 0 if vice
 *	refused every call (EACCES or EPERM) yet let it getattr the volume
 *	root (System:AnyUser's l there: the control).
 *
 *   rawclient vldb-lookup HOST PORT ID|NAME
 *	HS_VLDB_LOOKUP (no HS_CONNECT, no token): prints "ID NAME HOST:PORT
 *	..." and exits 0, or prints the status (ENOENT or a number) and
 *	exits 1.
 *
 *   rawclient connect-info HOST PORT
 *	HS_CONNECT as a fresh client: prints "root_volume N realm R".
 *
 * NAME is an entry of the root directory of volume 1.  Exit 2 on usage
 * or transport errors.  One line per outcome on stdout.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <event2/event.h>

#include <hesper/rpc.h>
#include "hesper.h"

#define CALL_TIMEOUT_MS 60000
#define RUN_LIMIT_S 600       /* the whole run; alarm(2) ends a hang */

/* One connection to vice, its calls made synchronous by running the
 * loop until the reply arrives. */
struct rc {
	struct event_base *base;
	struct hrpc_tls *tls;
	struct hrpc_conn *conn;
	int up, closed;
	uint64_t id;                    /* our client id, after HS_CONNECT */
};

/* A reply copied out shallowly: only its scalar fields are read. */
struct wait {
	int done, err;
	void *out;
	size_t size;
};

static void die(const char *what)
{
	fprintf(stderr, "rawclient: %s\n", what);
	exit(2);
}

static int on_up(struct hrpc_conn *c, const char *fp, void *arg)
{
	(void)c;
	(void)fp;
	((struct rc *)arg)->up = 1;
	return 0;
}

static void on_closed(struct hrpc_conn *c, int err, void *arg)
{
	(void)c;
	(void)err;
	((struct rc *)arg)->closed = 1;
}

/* We take no callbacks (features 0), so anything vice calls is refused. */
static void on_call(struct hrpc_conn *c, struct hrpc_call *call, void *arg)
{
	(void)c;
	(void)arg;
	hrpc_reply_error(call, PROC_UNAVAIL);
}

static const struct hrpc_conn_ops ops = { on_up, on_closed, on_call };

static void run_until(struct rc *r, const int *flag)
{
	while (!*flag && !r->closed)
		if (event_base_loop(r->base, EVLOOP_ONCE) < 0)
			die("event loop failed");
}

static void rc_open(struct rc *r, const char *host, int port)
{
	char err[256];

	memset(r, 0, sizeof *r);
	if (!(r->base = event_base_new()) ||
	    !(r->tls = hrpc_tls_client(NULL, err, sizeof err)) ||
	    !(r->conn = hrpc_connect(r->base, r->tls, host, port, &ops, r)))
		die("cannot set up a connection");
	run_until(r, &r->up);
	if (!r->up)
		die("cannot connect to vice");
}

static void rc_close(struct rc *r)
{
	hrpc_close(r->conn);
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	event_base_free(r->base);
	hrpc_tls_free(r->tls);
}

static void done_cb(void *arg, int err, void *res)
{
	struct wait *w = arg;

	w->done = 1;
	w->err = err;
	if (res)
		memcpy(w->out, res, w->size);
}

/* Call proc; returns the result's status (its first int).  res is a
 * buffer of ressize bytes, copied shallowly: pointers in it are gone. */
static int call(struct rc *r, uint32_t proc, xdrproc_t ap, const void *args,
		xdrproc_t rp, void *res, size_t ressize)
{
	struct wait w = { .out = res, .size = ressize };

	if (hrpc_call(r->conn, HS_VICE_PROG, HS_VICE_V1, proc, ap, args, rp,
		      ressize, CALL_TIMEOUT_MS, done_cb, &w))
		die("cannot send a call");
	run_until(r, &w.done);
	if (!w.done || w.err)
		die("vice did not answer a call");
	return *(int *)res;
}

/* A reply formatted by fmt into line while its strings still exist. */
struct fwait {
	int done, err, st;
	void (*fmt)(char *line, size_t n, const void *res);
	char line[4096];
};

static void fdone_cb(void *arg, int err, void *res)
{
	struct fwait *w = arg;

	w->done = 1;
	w->err = err;
	if (res) {
		w->st = *(int *)res;
		if (!w->st)
			w->fmt(w->line, sizeof w->line, res);
	}
}

/* Call proc; its status, and w->line formatted if it is 0. */
static int call_fmt(struct rc *r, uint32_t proc, xdrproc_t ap, const void *args,
		    xdrproc_t rp, size_t ressize, struct fwait *w)
{
	if (hrpc_call(r->conn, HS_VICE_PROG, HS_VICE_V1, proc, ap, args, rp,
		      ressize, CALL_TIMEOUT_MS, fdone_cb, w))
		die("cannot send a call");
	run_until(r, &w->done);
	if (!w->done || w->err)
		die("vice did not answer a call");
	return w->st;
}

static void fmt_vldb(char *line, size_t n, const void *res)
{
	const hs_vldb_entry *e = &((const hs_vldb_res *)res)->hs_vldb_res_u.ent;
	size_t k = (size_t)snprintf(line, n, "%u %s", e->id, e->name);
	u_int i;

	for (i = 0; i < e->servers.servers_len && k < n; i++)
		k += (size_t)snprintf(line + k, n - k, " %s:%u",
				      e->servers.servers_val[i].host,
				      e->servers.servers_val[i].port);
}

static void fmt_connect(char *line, size_t n, const void *res)
{
	const hs_connect_ok *ok = &((const hs_connect_res *)res)->hs_connect_res_u.ok;

	snprintf(line, n, "root_volume %u realm %s", ok->root_volume, ok->realm);
}

/* HS_CONNECT as id with a fresh random key, no callbacks. */
static int connect_as(struct rc *r, uint64_t id)
{
	char key[HS_CLIENT_KEY];
	hs_connect_args a = { .proto_version = HS_PROTO_VERSION,
			      .client_id = id, .client_name = "rawclient" };
	hs_connect_res res;
	int st;

	if (getrandom(key, sizeof key, 0) != sizeof key)
		die("getrandom failed");
	a.client_key.client_key_len = sizeof key;
	a.client_key.client_key_val = key;
	st = call(r, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &a,
		  (xdrproc_t)xdr_hs_connect_res, &res, sizeof res);
	if (st == 0)
		r->id = id;
	return st;
}

/* A fresh client id of our own (random, nonzero, SQLite-positive). */
static uint64_t own_id(void)
{
	uint64_t id = 0;

	while (id == 0)
		if (getrandom(&id, sizeof id, 0) != sizeof id)
			die("getrandom failed");
		else
			id &= INT64_MAX;
	return id;
}

/* Open a connection as a fresh id of our own. */
static void rc_open_own(struct rc *r, const char *host, int port)
{
	rc_open(r, host, port);
	if (connect_as(r, own_id()))
		die("HS_CONNECT as a fresh client id was refused");
}

/* The attributes of name in the root directory 1.1.1. */
static void victim_attr(struct rc *r, const char *name, hs_attr *out)
{
	hs_lookup_args a = { .dir = { 1, 1, 1 }, .name = (char *)name };
	hs_lookup_res res;
	int st = call(r, HS_LOOKUP, (xdrproc_t)xdr_hs_lookup_args, &a,
		      (xdrproc_t)xdr_hs_lookup_res, &res, sizeof res);

	if (st) {
		fprintf(stderr, "rawclient: lookup %s: %s\n", name, strerror(st));
		exit(2);
	}
	*out = res.hs_lookup_res_u.ok.obj;
	printf("victim: %s is %u.%u.%u, last store id %llu.%llu\n", name,
	       out->fid.volume, out->fid.vnode, out->fid.unique,
	       (unsigned long long)out->storeid.client,
	       (unsigned long long)out->storeid.seq);
}

static void say(const char *what, unsigned long long seq, int st)
{
	printf("%s (seq %llu): %s\n", what, seq,
	       st ? strerror(st) : "APPLIED");
}

static int refused(int st)
{
	return st == EPERM || st == EACCES;
}

static int do_connect_as(const char *host, int port, const char *name)
{
	struct rc r, h;
	hs_attr v;
	int st;

	rc_open_own(&r, host, port);
	victim_attr(&r, name, &v);
	rc_close(&r);
	rc_open(&h, host, port);
	st = connect_as(&h, v.storeid.client);
	printf("connect-as %llu with another key: %s\n",
	       (unsigned long long)v.storeid.client,
	       st ? strerror(st) : "ACCEPTED");
	rc_close(&h);
	return st == EPERM ? 0 : 1;
}

/* One store id's worth of squatting; the number of calls vice applied. */
static int squat_one(struct rc *r, const hs_attr *v, hs_storeid sid)
{
	char name[64];
	hs_create_args ca = { .dir = { 1, 1, 1 }, .sid = sid, .name = name,
			      .mode = 0644 };
	hs_store_chunk_args ch = { .fid = v->fid, .sid = sid };
	hs_store_commit_args co = { .fid = v->fid, .sid = sid, .size = 6 };
	hs_setattr_args sa = { .fid = v->fid, .sid = sid, .mask = HS_SET_MODE,
			       .mode = 0666 };
	hs_staged_args ga = { .fid = v->fid, .sid = sid };
	union {
		hs_create_res c;
		hs_status_res s;
		hs_attr_res a;
		hs_staged_res g;
	} res;
	unsigned long long seq = sid.seq;
	int st, bad = 0;

	snprintf(name, sizeof name, "squat.%llu", seq);
	st = call(r, HS_CREATE, (xdrproc_t)xdr_hs_create_args, &ca,
		  (xdrproc_t)xdr_hs_create_res, &res, sizeof res.c);
	say("create", seq, st);
	bad += !refused(st);
	snprintf(name, sizeof name, "squatdir.%llu", seq);
	st = call(r, HS_MKDIR, (xdrproc_t)xdr_hs_create_args, &ca,
		  (xdrproc_t)xdr_hs_create_res, &res, sizeof res.c);
	say("mkdir", seq, st);
	bad += !refused(st);
	ch.data.data_len = 6;
	ch.data.data_val = "SQUAT\n";
	st = call(r, HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &ch,
		  (xdrproc_t)xdr_hs_status_res, &res, sizeof res.s);
	say("store chunk", seq, st);
	bad += !refused(st);
	st = call(r, HS_STORE_COMMIT, (xdrproc_t)xdr_hs_store_commit_args,
		  &co, (xdrproc_t)xdr_hs_attr_res, &res, sizeof res.a);
	say("store commit", seq, st);
	bad += !refused(st);
	st = call(r, HS_SETATTR, (xdrproc_t)xdr_hs_setattr_args, &sa,
		  (xdrproc_t)xdr_hs_attr_res, &res, sizeof res.a);
	say("setattr", seq, st);
	bad += !refused(st);
	st = call(r, HS_STAGED, (xdrproc_t)xdr_hs_staged_args, &ga,
		  (xdrproc_t)xdr_hs_staged_res, &res, sizeof res.g);
	say("staged", seq, st);
	bad += !refused(st);
	return bad;
}

static int do_squat(const char *host, int port, const char *name,
		    unsigned n)
{
	struct rc r;
	hs_attr v;
	hs_storeid sid;
	unsigned i;
	int bad = 0;

	rc_open_own(&r, host, port);
	victim_attr(&r, name, &v);
	sid = v.storeid;
	for (i = 0; i < n; i++) {
		sid.seq++;
		bad += squat_one(&r, &v, sid);
	}
	rc_close(&r);
	printf("squat: %d of %u calls applied\n", bad, 6 * n);
	return bad ? 1 : 0;
}

/* Stage one byte under sid for a local fid; the status. */
static int stage_one(struct rc *r, hs_storeid sid)
{
	hs_store_chunk_args a = { .fid = { 1, HS_LOCAL_VNODE | 1, 1 },
				  .sid = sid, .offset = 0 };
	hs_status_res res;

	a.fid.vnode = HS_LOCAL_VNODE | (uint32_t)(sid.seq & 0x7fffffff);
	a.data.data_len = 1;
	a.data.data_val = "x";
	return call(r, HS_STORE_CHUNK, (xdrproc_t)xdr_hs_store_chunk_args, &a,
		    (xdrproc_t)xdr_hs_status_res, &res, sizeof res);
}

static int do_flood(const char *host, int port, const char *name,
		    unsigned nclients, unsigned nstores)
{
	unsigned ok = 0, quota = 0, denied = 0, other = 0, c, i;
	struct rc r;
	hs_attr v;
	int st;

	rc_open_own(&r, host, port);
	victim_attr(&r, name, &v);
	rc_close(&r);
	for (c = 0; c < nclients; c++) {
		rc_open_own(&r, host, port);
		for (i = 0; i < nstores; i++) {
			st = stage_one(&r, (hs_storeid){ r.id, i + 1 });
			if (st == 0)
				ok++;
			else if (st == EDQUOT)
				quota++;
			else if (st == EACCES || st == EPERM)
				denied++;
			else
				other++;
		}
		rc_close(&r);
	}
	printf("stage-flood: %u staged, %u EDQUOT, %u EACCES/EPERM, "
	       "%u other\n", ok, quota, denied, other);
	rc_open_own(&r, host, port);
	st = stage_one(&r, (hs_storeid){ v.storeid.client,
					 v.storeid.seq + 1 });
	rc_close(&r);
	printf("stage under the victim's client id: %s\n",
	       st ? strerror(st) : "STAGED");
	return refused(st) ? 0 : 1;
}

/* "V.N.U" (cfs getfid's form, an "@REALM" tail allowed). */
static hs_fid parse_fid(const char *s)
{
	unsigned v, n, u;
	char tail;
	hs_fid f;

	if (sscanf(s, "%u.%u.%u%c", &v, &n, &u, &tail) < 3 ||
	    (sscanf(s, "%u.%u.%u%c", &v, &n, &u, &tail) == 4 && tail != '@'))
		die("bad fid (want VOLUME.VNODE.UNIQUE)");
	f.volume = v;
	f.vnode = n;
	f.unique = u;
	return f;
}

struct victim {
	hs_fid dir, file, file2;
	const char *name, *name2;
	unsigned uid;
};

/* One attempt: print it, count it if vice did not refuse. */
static int attempt(const char *what, int st)
{
	printf("noauth %s: %s\n", what, st ? strerror(st) : "ALLOWED");
	return !refused(st);
}

/* Looking: readdir, lookup, getattr, fetch. */
static int noauth_look(struct rc *r, const struct victim *v)
{
	hs_readdir_args rd = { .dir = v->dir, .count = 16 };
	hs_lookup_args lk = { .dir = v->dir, .name = (char *)v->name };
	hs_fetch_args fe = { .fid = v->file, .count = 4096 };
	hs_fid ga = v->file;
	union {
		hs_readdir_res d;
		hs_lookup_res l;
		hs_attr_res a;
		hs_fetch_res f;
	} res;
	int bad = 0;

	bad += attempt("list the directory", call(r, HS_READDIR,
		(xdrproc_t)xdr_hs_readdir_args, &rd,
		(xdrproc_t)xdr_hs_readdir_res, &res, sizeof res.d));
	bad += attempt("look the file up", call(r, HS_LOOKUP,
		(xdrproc_t)xdr_hs_lookup_args, &lk,
		(xdrproc_t)xdr_hs_lookup_res, &res, sizeof res.l));
	bad += attempt("getattr the file", call(r, HS_GETATTR,
		(xdrproc_t)xdr_hs_fid, &ga,
		(xdrproc_t)xdr_hs_attr_res, &res, sizeof res.a));
	bad += attempt("read the file", call(r, HS_FETCH,
		(xdrproc_t)xdr_hs_fetch_args, &fe,
		(xdrproc_t)xdr_hs_fetch_res, &res, sizeof res.f));
	return bad;
}

/* Changing: overwrite, truncate, chown + chmod 0666, delete, setuid
 * plant; store ids are our own, one per mutation. */
static int noauth_change(struct rc *r, const struct victim *v)
{
	hs_storeid sid = { r->id, 0 };
	hs_store_chunk_args ch = { .fid = v->file };
	hs_store_commit_args co = { .fid = v->file, .size = 6 };
	hs_setattr_args tr = { .fid = v->file, .mask = HS_SET_SIZE };
	hs_setattr_args cw = { .fid = v->file, .mask = HS_SET_UID | HS_SET_MODE,
			       .uid = v->uid + 1, .mode = 0666 };
	hs_remove_args rm = { .dir = v->dir, .name = (char *)v->name2,
			      .obj = v->file2 };
	hs_create_args cr = { .dir = v->dir, .name = "planted",
			      .mode = 04755, .uid = v->uid, .gid = v->uid };
	union {
		hs_status_res s;
		hs_attr_res a;
		hs_remove_res m;
		hs_create_res c;
	} res;
	int bad = 0;

	ch.sid = co.sid = (hs_storeid){ r->id, ++sid.seq };
	ch.data.data_len = 6;
	ch.data.data_val = "PWNED\n";
	bad += attempt("overwrite the file (chunk)", call(r, HS_STORE_CHUNK,
		(xdrproc_t)xdr_hs_store_chunk_args, &ch,
		(xdrproc_t)xdr_hs_status_res, &res, sizeof res.s));
	bad += attempt("overwrite the file (commit)", call(r, HS_STORE_COMMIT,
		(xdrproc_t)xdr_hs_store_commit_args, &co,
		(xdrproc_t)xdr_hs_attr_res, &res, sizeof res.a));
	tr.sid = (hs_storeid){ r->id, ++sid.seq };
	bad += attempt("truncate the file", call(r, HS_SETATTR,
		(xdrproc_t)xdr_hs_setattr_args, &tr,
		(xdrproc_t)xdr_hs_attr_res, &res, sizeof res.a));
	cw.sid = (hs_storeid){ r->id, ++sid.seq };
	bad += attempt("chown the file, mode 0666", call(r, HS_SETATTR,
		(xdrproc_t)xdr_hs_setattr_args, &cw,
		(xdrproc_t)xdr_hs_attr_res, &res, sizeof res.a));
	rm.sid = (hs_storeid){ r->id, ++sid.seq };
	bad += attempt("delete the second file", call(r, HS_REMOVE,
		(xdrproc_t)xdr_hs_remove_args, &rm,
		(xdrproc_t)xdr_hs_remove_res, &res, sizeof res.m));
	cr.sid = (hs_storeid){ r->id, ++sid.seq };
	bad += attempt("plant a setuid file owned by the victim",
		call(r, HS_CREATE, (xdrproc_t)xdr_hs_create_args, &cr,
		     (xdrproc_t)xdr_hs_create_res, &res, sizeof res.c));
	return bad;
}

static int do_noauth(const char *host, int port, const struct victim *v)
{
	struct rc r;
	hs_fid root;
	hs_attr_res res;
	int bad, st;

	rc_open_own(&r, host, port);
	/* The control: what System:AnyUser may do (l on the volume root). */
	root = (hs_fid){ v->dir.volume, 1, 1 };
	if ((st = call(&r, HS_GETATTR, (xdrproc_t)xdr_hs_fid, &root,
		       (xdrproc_t)xdr_hs_attr_res, &res, sizeof res))) {
		printf("noauth: getattr of the volume root: %s (want success)\n",
		       strerror(st));
		return 2;
	}
	bad = noauth_look(&r, v) + noauth_change(&r, v);
	rc_close(&r);
	printf("noauth: %d of 10 calls allowed\n", bad);
	return bad ? 1 : 0;
}

static int do_vldb_lookup(const char *host, int port, const char *what)
{
	hs_vldb_args a = { 0, (char *)"" };
	struct fwait w = { .fmt = fmt_vldb };
	struct rc r;
	char *end;
	unsigned long id = strtoul(what, &end, 10);
	int st;

	if (*what && !*end)
		a.id = (unsigned)id;
	else
		a.name = (char *)what;
	rc_open(&r, host, port);
	st = call_fmt(&r, HS_VLDB_LOOKUP, (xdrproc_t)xdr_hs_vldb_args, &a,
		      (xdrproc_t)xdr_hs_vldb_res, sizeof(hs_vldb_res), &w);
	rc_close(&r);
	if (st == ENOENT)
		printf("ENOENT\n");
	else if (st)
		printf("%d\n", st);
	else
		printf("%s\n", w.line);
	return st ? 1 : 0;
}

static int do_connect_info(const char *host, int port)
{
	char key[HS_CLIENT_KEY];
	hs_connect_args a = { .proto_version = HS_PROTO_VERSION,
			      .client_id = own_id(), .client_name = "rawclient" };
	struct fwait w = { .fmt = fmt_connect };
	struct rc r;
	int st;

	if (getrandom(key, sizeof key, 0) != sizeof key)
		die("getrandom failed");
	a.client_key.client_key_len = sizeof key;
	a.client_key.client_key_val = key;
	rc_open(&r, host, port);
	st = call_fmt(&r, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args, &a,
		      (xdrproc_t)xdr_hs_connect_res, sizeof(hs_connect_res), &w);
	rc_close(&r);
	printf("%s\n", st ? "HS_CONNECT refused" : w.line);
	return st ? 1 : 0;
}

static unsigned num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end || v > 100000)
		die("bad number");
	return (unsigned)v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rawclient connect-as HOST PORT NAME\n"
		"       rawclient squat HOST PORT NAME N\n"
		"       rawclient stage-flood HOST PORT NAME NCLIENTS NSTORES\n"
		"       rawclient noauth HOST PORT DIRFID FILE FILEFID FILE2 "
		"FILE2FID UID\n"
		"       rawclient vldb-lookup HOST PORT ID|NAME\n"
		"       rawclient connect-info HOST PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int port;

	if (argc < 4)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(RUN_LIMIT_S);
	port = (int)num(argv[3]);
	if (!strcmp(argv[1], "vldb-lookup") && argc == 5)
		return do_vldb_lookup(argv[2], port, argv[4]);
	if (!strcmp(argv[1], "connect-info") && argc == 4)
		return do_connect_info(argv[2], port);
	if (!strcmp(argv[1], "connect-as") && argc == 5)
		return do_connect_as(argv[2], port, argv[4]);
	if (!strcmp(argv[1], "squat") && argc == 6)
		return do_squat(argv[2], port, argv[4], num(argv[5]));
	if (!strcmp(argv[1], "stage-flood") && argc == 7)
		return do_flood(argv[2], port, argv[4], num(argv[5]),
				num(argv[6]));
	if (!strcmp(argv[1], "noauth") && argc == 10) {
		struct victim v = { parse_fid(argv[4]), parse_fid(argv[6]),
				    parse_fid(argv[8]), argv[5], argv[7],
				    num(argv[9]) };

		return do_noauth(argv[2], port, &v);
	}
	usage();
	return 2;
}
