/*
 * test/fuzz/fuzz_vice.c - one vice in a fuzz target's process
 * (fuzz_vice.h).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "test/fuzz/fuzz_vice.h"
#include "rpc/record.h"
#include "vice/store.h"
#include "vice/pdb.h"
#include "vice/auth.h"

struct vice fv;
char fv_root[256];

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static void store_close(void)
{
	if (fv.vs) {
		vs_close(fv.vs);
		pdb_close(fv.pdb);
		fv.vs = NULL;
		fv.pdb = NULL;
	}
}

static void cleanup(void)
{
	vauth_shutdown();
	store_close();
	if (fv_root[0])
		nftw(fv_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, err);
	cleanup();
	exit(1);
}

/* A fresh store and pdb in fv_root/store.  The root directory's ACL
 * gives System:AnyUser every right, so that calls without a token (what
 * a fuzzer sends: it cannot make a token) reach the handlers past the
 * rights check; directories made below inherit it. */
void fv_store_reset(void)
{
	static const hs_fid root = { 1, 1, 1 };
	struct vs_acl acl = { 1, 0, { { HS_ID_ANYUSER, HS_R_ALL } }, { { 0, 0 } } };
	hs_storeid sid = { 0, 0 };
	hs_attr attr;
	char dir[300], err[256];
	int dup = 0;

	store_close();
	snprintf(dir, sizeof dir, "%s/store", fv_root);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(dir, 0700) < 0)
		die(dir, strerror(errno));
	if (vs_open(dir, &fv.vs, err, sizeof err) < 0)
		die("vs_open", err);
	if (pdb_open(dir, &fv.pdb, err, sizeof err))
		die("pdb_open", err);
	if (vs_acl_set(fv.vs, &root, &sid, &acl, &attr, &dup))
		die("vs_acl_set", "cannot open the root's ACL");
	xdr_free((xdrproc_t)xdr_hs_attr, (char *)&attr);
}

/* Roots of runs that died without cleaning up (a crash, a timeout):
 * <tmp>/hesper-fuzz-call-<pid> whose process is gone. */
static void sweep_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d))) {
		long pid;
		char *end;

		if (strncmp(e->d_name, "hesper-fuzz-", 12))
			continue;
		pid = strtol(e->d_name + 12, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;  /* not ours, or still running */
		snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	if (d)
		closedir(d);
}

void fv_init(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char err[256], fp[HRPC_FP_LEN];
	struct vauth_opts ao = { 0 };

	if (fv_root[0])
		return;
	sweep_stale(tmp);
	snprintf(fv_root, sizeof fv_root, "%s/hesper-fuzz-%ld", tmp,
		 (long)getpid());
	nftw(fv_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(fv_root, 0700) < 0)
		die(fv_root, strerror(errno));
	atexit(cleanup);
	if (!(fv.base = event_base_new()))
		die("event_base_new", "failed");
	if (!(fv.tls = vice_tls_init(fv_root, fp, err, sizeof err)))
		die("vice_tls_init", err);
	fv_store_reset();
	/* HS_AUTH answers and tokens open as in a real vice (no GSSAPI). */
	ao.root = fv_root;
	ao.hostname = "fuzz";
	if (vauth_init(&fv, &ao, err, sizeof err))
		die("vauth_init", err);
}

/* A connection as vice's listener makes one, up past TLS, with no
 * socket under it. */
struct hrpc_conn *fv_conn_open(void)
{
	struct hrpc_conn *c = conn_new(fv.base, fv.tls, &vice_conn_ops, &fv);

	if (!c || !(c->bev = bufferevent_socket_new(fv.base, -1, 0)))
		abort();
	snprintf(c->peer, sizeof c->peer, "fuzz");
	event_del(c->deadline);
	c->state = C_UP;
	c->announced = 1;
	if (vice_conn_ops.on_connected(c, "", &fv))
		abort();
	return c;
}


void fv_check_output(struct hrpc_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	unsigned char *rec;
	size_t len;

	/* A bufferevent freezes its output's start (only it may drain it,
	 * by writing); we are the writer here. */
	evbuffer_unfreeze(out, 1);
	while (hrec_take(out, HRPC_MAX_RECORD, &rec, &len) == HREC_OK) {
		if (len < 8 || (conn_be32(rec + 4) != CALL &&
				conn_be32(rec + 4) != REPLY))
			abort();
		free(rec);
	}
	if (evbuffer_get_length(out))
		abort();  /* a partial record */
	evbuffer_freeze(out, 1);
}
