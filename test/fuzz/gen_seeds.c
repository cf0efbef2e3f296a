/*
 * test/fuzz/gen_seeds.c - writes the seed corpora of the fuzz targets
 * (test/fuzz/corpus/<target>/): valid encodings of every XDR type, RPC
 * sessions a venus would send vice, record streams, control requests
 * and replies, HS_AUTH exchanges and tokens.  Run by hand when the protocol changes:
 *     make fuzz-seeds   (in the build directory; rewrites the corpus)
 * Seeds are named by what they hold, so a rerun replaces them in place.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test/fuzz/xdr_types.h"

#define RPC_CALL 0
#define RPC_REPLY 1
#define RPC_VERS 2

static const char *outdir;

/* A growing byte buffer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	put(b, x, 4);
}

static void write_seed(const char *target, const char *name, const struct buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
	if (!(f = fopen(path, "wb")) || fwrite(b->p, 1, b->len, f) != b->len ||
	    fclose(f)) {
		fprintf(stderr, "gen_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Append the XDR encoding of val (proc) to b. */
static int put_xdr(struct buf *b, xdrproc_t proc, void *val)
{
	unsigned long n = xdr_sizeof(proc, val);
	char *tmp = malloc(n ? n : 1);
	XDR x;
	int ok;

	if (!tmp)
		abort();
	xdrmem_create(&x, tmp, (u_int)n, XDR_ENCODE);
	ok = proc(&x, val);
	if (ok)
		put(b, tmp, xdr_getpos(&x));
	xdr_destroy(&x);
	free(tmp);
	return ok;
}

/* ---- sample values ---- */

static hs_fid root_fid = { 1, 1, 1 };
static char data16[16] = "hello, hesper!\n";
static char key32[32] = "0123456789abcdef0123456789abcdef";
static uint64_t seq = 1;

static hs_storeid sid(void)
{
	hs_storeid s = { 0xf022, seq++ };

	return s;
}

static hs_time t0 = { 1700000000, 5 };

static hs_attr sample_attr(void)
{
	hs_attr a;

	memset(&a, 0, sizeof a);
	a.fid = root_fid;
	a.type = HS_FDIR;
	a.mode = 0755;
	a.nlink = 2;
	a.size = 4096;
	a.atime = a.mtime = a.ctime = t0;
	a.dataversion = 3;
	a.rights = HS_R_ALL;
	a.anyrights = HS_R_READ | HS_R_LOOKUP;
	return a;
}

static hs_acl_entry acl_pos[2] = {
	{ "System:AnyUser", HS_ID_ANYUSER, HS_R_READ | HS_R_LOOKUP },
	{ "alice", 1000, HS_R_ALL },
};
static hs_acl_entry acl_neg[1] = { { "bob", 1001, HS_R_WRITE } };

static hs_acl sample_acl(void)
{
	hs_acl a = { { 2, acl_pos }, { 1, acl_neg } };

	return a;
}

/* One CML record of each kind (local fids for the new objects). */
static int sample_cml(unsigned op, hs_cml_rec *r)
{
	hs_fid local = { 1, HS_LOCAL_VNODE | 7, 7 };

	memset(r, 0, sizeof *r);
	r->op = op;
	switch (op) {
	case HS_OP_STORE:
		r->hs_cml_rec_u.store = (hs_store_commit_args){ local, sid(), 0,
							       sizeof data16, t0,
							       { 0, 0, 0, 0, { 0, 0 } } };
		break;
	case HS_OP_SETATTR:
		r->hs_cml_rec_u.setattr.fid = local;
		r->hs_cml_rec_u.setattr.sid = sid();
		r->hs_cml_rec_u.setattr.mask = HS_SET_MODE | HS_SET_MTIME;
		r->hs_cml_rec_u.setattr.mode = 0640;
		r->hs_cml_rec_u.setattr.mtime = t0;
		break;
	case HS_OP_CREATE:
	case HS_OP_MKDIR:
		r->hs_cml_rec_u.create.local = local;
		r->hs_cml_rec_u.create.a = (hs_create_args){ root_fid, sid(),
			op == HS_OP_CREATE ? "newfile" : "newdir", 0644, 0, 0, t0 };
		if (op == HS_OP_MKDIR)
			r->hs_cml_rec_u.mkdir = r->hs_cml_rec_u.create;
		break;
	case HS_OP_SYMLINK:
		r->hs_cml_rec_u.symlink.local = (hs_fid){ 1, HS_LOCAL_VNODE | 8, 8 };
		r->hs_cml_rec_u.symlink.a = (hs_symlink_args){ root_fid, sid(),
			"link", "newfile", 0, 0, t0 };
		break;
	case HS_OP_LINK:
		r->hs_cml_rec_u.link = (hs_link_args){ root_fid, sid(), "hard", local };
		break;
	case HS_OP_REMOVE:
	case HS_OP_RMDIR:
		r->hs_cml_rec_u.remove = (hs_remove_args){ root_fid, sid(),
			op == HS_OP_REMOVE ? "hard" : "newdir", { 0, 0, 0 }, 0 };
		break;
	case HS_OP_RENAME:
		r->hs_cml_rec_u.rename = (hs_rename_args){ root_fid, "newfile",
			root_fid, "renamed", sid(), local, 0 };
		break;
	case HS_OP_MKNOD:
		r->hs_cml_rec_u.mknod.local = (hs_fid){ 1, HS_LOCAL_VNODE | 9, 9 };
		r->hs_cml_rec_u.mknod.a = (hs_mknod_args){ root_fid, sid(), "fifo",
			HS_FIFO, 0600, 0, 0, 0, t0 };
		break;
	default:
		return 0;
	}
	return 1;
}

/* Fill val (zeroed) with a sample of xdr_types[i]; 0 leaves it zero. */
static void sample(const struct xdr_type *t, void *val)
{
	static hs_dirent ents[2] = { { "a", { 1, 2, 2 }, HS_FREG },
				     { "b", { 1, 3, 3 }, HS_FDIR } };
	static hs_extent ext[2] = { { 0, 4 }, { 8192, 12 } };
	static hs_fid fids[3] = { { 1, 1, 1 }, { 1, 2, 2 }, { 2, 1, 1 } };
	static hs_cml_rec recs[10];
	static hs_reint_result results[2];
	static hs_volinfo vols[1] = { { 1, "root", { 1, 1, 1 } } };
	const char *n = t->name;

	if (!strcmp(n, "hs_connect_args")) {
		hs_connect_args *a = val;
		*a = (hs_connect_args){ HS_PROTO_VERSION, 0xf022, "client",
					HS_FEAT_CALLBACKS, { 32, key32 } };
	} else if (!strcmp(n, "hs_connect_res")) {
		((hs_connect_res *)val)->hs_connect_res_u.ok =
			(hs_connect_ok){ HS_PROTO_VERSION, 77, 1, 1, "realm.example" };
	} else if (!strcmp(n, "hs_name") || !strcmp(n, "hs_path")) {
		*(char **)val = "some name";
	} else if (!strcmp(n, "hs_getroot_res")) {
		((hs_getroot_res *)val)->hs_getroot_res_u.vol = vols[0];
	} else if (!strcmp(n, "hs_listvol_res")) {
		((hs_listvol_res *)val)->hs_listvol_res_u.list.vols =
			(typeof(((hs_vollist *)0)->vols)){ 1, vols };
	} else if (!strcmp(n, "hs_fid")) {
		*(hs_fid *)val = root_fid;
	} else if (!strcmp(n, "hs_attr_res")) {
		((hs_attr_res *)val)->hs_attr_res_u.attr = sample_attr();
	} else if (!strcmp(n, "hs_attr")) {
		*(hs_attr *)val = sample_attr();
	} else if (!strcmp(n, "hs_lookup_args")) {
		*(hs_lookup_args *)val = (hs_lookup_args){ root_fid, "a" };
	} else if (!strcmp(n, "hs_lookup_res")) {
		hs_lookup_ok *ok = &((hs_lookup_res *)val)->hs_lookup_res_u.ok;
		ok->obj = ok->dir = sample_attr();
	} else if (!strcmp(n, "hs_readdir_args")) {
		*(hs_readdir_args *)val = (hs_readdir_args){ root_fid, 0, 100 };
	} else if (!strcmp(n, "hs_readdir_res")) {
		hs_readdir_ok *ok = &((hs_readdir_res *)val)->hs_readdir_res_u.ok;
		ok->dir = sample_attr();
		ok->entries.entries_len = 2;
		ok->entries.entries_val = ents;
		ok->cookie = 2;
		ok->eof = 1;
	} else if (!strcmp(n, "hs_fetch_args")) {
		*(hs_fetch_args *)val = (hs_fetch_args){ { 1, 2, 2 }, 0, 65536 };
	} else if (!strcmp(n, "hs_fetch_res")) {
		hs_fetch_ok *ok = &((hs_fetch_res *)val)->hs_fetch_res_u.ok;
		ok->attr = sample_attr();
		ok->ext.ext_len = 2;
		ok->ext.ext_val = ext;
		ok->data.data_len = 16;
		ok->data.data_val = data16;
		ok->next_data = 8204;
	} else if (!strcmp(n, "hs_store_chunk_args")) {
		hs_store_chunk_args *a = val;
		a->fid = (hs_fid){ 1, 2, 2 };
		a->sid = sid();
		a->data.data_len = 16;
		a->data.data_val = data16;
	} else if (!strcmp(n, "hs_store_commit_args")) {
		*(hs_store_commit_args *)val = (hs_store_commit_args){
			{ 1, 2, 2 }, sid(), 1, 16, t0,
			{ HS_SET_MODE | HS_SET_ATIME, 04755, 0, 0, t0 } };
	} else if (!strcmp(n, "hs_setattr_args")) {
		hs_setattr_args *a = val;
		a->fid = (hs_fid){ 1, 2, 2 };
		a->sid = sid();
		a->mask = HS_SET_MODE | HS_SET_SIZE;
		a->mode = 0600;
		a->size = 3;
	} else if (!strcmp(n, "hs_create_args")) {
		*(hs_create_args *)val = (hs_create_args){ root_fid, sid(), "f",
							   0644, 0, 0, t0 };
	} else if (!strcmp(n, "hs_create_res")) {
		hs_create_ok *ok = &((hs_create_res *)val)->hs_create_res_u.ok;
		ok->obj = ok->dir = sample_attr();
	} else if (!strcmp(n, "hs_symlink_args")) {
		*(hs_symlink_args *)val = (hs_symlink_args){ root_fid, sid(), "s",
							     "target/path", 0, 0, t0 };
	} else if (!strcmp(n, "hs_link_args")) {
		*(hs_link_args *)val = (hs_link_args){ root_fid, sid(), "l",
						       { 1, 2, 2 } };
	} else if (!strcmp(n, "hs_remove_args")) {
		*(hs_remove_args *)val = (hs_remove_args){ root_fid, sid(), "f",
							   { 1, 2, 2 }, 0 };
	} else if (!strcmp(n, "hs_remove_res")) {
		hs_remove_ok *ok = &((hs_remove_res *)val)->hs_remove_res_u.ok;
		ok->dir = ok->obj = sample_attr();
	} else if (!strcmp(n, "hs_rename_args")) {
		*(hs_rename_args *)val = (hs_rename_args){ root_fid, "f", root_fid,
			"g", sid(), { 1, 2, 2 }, 0 };
	} else if (!strcmp(n, "hs_rename_res")) {
		hs_rename_ok *ok = &((hs_rename_res *)val)->hs_rename_res_u.ok;
		ok->src_dir = ok->dst_dir = ok->obj = sample_attr();
		ok->replaced = 1;
		ok->replaced_fid = (hs_fid){ 1, 4, 4 };
	} else if (!strcmp(n, "hs_readlink_res")) {
		((hs_readlink_res *)val)->hs_readlink_res_u.target = "target/path";
	} else if (!strcmp(n, "hs_reint_args")) {
		hs_reint_args *a = val;
		unsigned k = 0;
		for (unsigned op = HS_OP_STORE; op <= HS_OP_MKNOD; op++)
			if (sample_cml(op, &recs[k]))
				k++;
		a->recs.recs_len = k;
		a->recs.recs_val = recs;
	} else if (!strcmp(n, "hs_reint_res")) {
		hs_reint_ok *ok = &((hs_reint_res *)val)->hs_reint_res_u.ok;
		results[0] = (hs_reint_result){ 0, sid(), { 1, HS_LOCAL_VNODE | 7, 7 },
						sample_attr() };
		results[1] = (hs_reint_result){ HS_ECONFLICT, sid(), { 0, 0, 0 },
						sample_attr() };
		ok->results.results_len = 2;
		ok->results.results_val = results;
	} else if (!strcmp(n, "hs_staged_args")) {
		*(hs_staged_args *)val = (hs_staged_args){ { 1, 2, 2 }, sid() };
	} else if (!strcmp(n, "hs_staged_res")) {
		((hs_staged_res *)val)->hs_staged_res_u.staged = 4096;
	} else if (!strcmp(n, "hs_mknod_args")) {
		*(hs_mknod_args *)val = (hs_mknod_args){ root_fid, sid(), "dev",
			HS_FCHR, 0600, 0, 0, 0x0103, t0 };
	} else if (!strcmp(n, "hs_auth_args")) {
		*(hs_auth_args *)val = (hs_auth_args){ 0, "SCRAM-SHA-256", "alice",
			0, { 16, "n,,n=alice,r=abc" } };
	} else if (!strcmp(n, "hs_auth_res")) {
		hs_auth_ok *ok = &((hs_auth_res *)val)->hs_auth_res_u.ok;
		*ok = (hs_auth_ok){ 42, { 16, data16 }, 1, { 32, key32 }, 1000,
				    "alice", t0 };
	} else if (!strcmp(n, "hs_acl_res")) {
		((hs_acl_res *)val)->hs_acl_res_u.acl = sample_acl();
	} else if (!strcmp(n, "hs_acl")) {
		*(hs_acl *)val = sample_acl();
	} else if (!strcmp(n, "hs_setacl_args")) {
		*(hs_setacl_args *)val = (hs_setacl_args){ root_fid, sid(), sample_acl() };
	} else if (!strcmp(n, "hs_fidlist")) {
		((hs_fidlist *)val)->fids.fids_len = 3;
		((hs_fidlist *)val)->fids.fids_val = fids;
	} else if (!strcmp(n, "hs_stats_res")) {
		((hs_stats_res *)val)->hs_stats_res_u.stats.stores = 5;
	} else if (!strcmp(n, "hs_volstamps")) {
		static hs_volstamp vs[2] = { { 1, 0 }, { 1, 0x1234567890abcdefULL } };
		((hs_volstamps *)val)->vols.vols_len = 2;
		((hs_volstamps *)val)->vols.vols_val = vs;
	} else if (!strcmp(n, "hs_volstamps_res")) {
		static hs_volstamp_res vr[2] = { { HS_ESTAMP, 0x1234567890abcdf0ULL },
						 { 0, 0 } };
		hs_volstamps_ok *ok = &((hs_volstamps_res *)val)->hs_volstamps_res_u.ok;
		ok->res.res_len = 2;
		ok->res.res_val = vr;
	}
}

static void gen_xdr(void)
{
	for (size_t i = 0; i < NXDR_TYPES; i++) {
		const struct xdr_type *t = &xdr_types[i];
		void *val = calloc(1, t->size);
		struct buf b = { 0 };
		unsigned char idx = (unsigned char)i;
		char name[96];

		if (!val)
			abort();
		put(&b, &idx, 1);
		if (!strcmp(t->name, "hs_cml_rec")) {
			for (unsigned op = HS_OP_STORE; op <= HS_OP_MKNOD; op++) {
				b.len = 1;
				sample_cml(op, val);
				if (!put_xdr(&b, t->proc, val))
					abort();
				snprintf(name, sizeof name, "%s-op%u", t->name, op);
				write_seed("fuzz_xdr", name, &b);
			}
		} else {
			sample(t, val);
			if (!put_xdr(&b, t->proc, val)) {
				fprintf(stderr, "gen_seeds: %s does not encode\n", t->name);
				exit(1);
			}
			write_seed("fuzz_xdr", t->name, &b);
			/* For results, the error arm too. */
			if (strstr(t->name, "_res")) {
				b.len = 1;
				put32(&b, 2);  /* ENOENT */
				snprintf(name, sizeof name, "%s-error", t->name);
				write_seed("fuzz_xdr", name, &b);
			}
		}
		free(b.p);
		free(val);
	}
}

/* ---- RPC sessions (fuzz_call) ---- */

/* Append one record-marked call of proc (args: proc's type by name). */
static void put_call(struct buf *b, uint32_t xid, uint32_t proc,
		     const char *type, uint32_t cred_flavor, unsigned cred_len)
{
	struct buf m = { 0 };

	put32(&m, xid);
	put32(&m, RPC_CALL);
	put32(&m, RPC_VERS);
	put32(&m, HS_VICE_PROG);
	put32(&m, HS_VICE_V1);
	put32(&m, proc);
	put32(&m, cred_flavor);
	put32(&m, cred_len);
	for (unsigned i = 0; i < cred_len; i++)
		put(&m, "T", 1);
	put32(&m, 0);   /* verifier: AUTH_NONE */
	put32(&m, 0);
	if (type) {
		for (size_t i = 0; i < NXDR_TYPES; i++)
			if (!strcmp(xdr_types[i].name, type)) {
				void *val = calloc(1, xdr_types[i].size);
				if (!val)
					abort();
				sample(&xdr_types[i], val);
				if (!put_xdr(&m, xdr_types[i].proc, val))
					abort();
				free(val);
				break;
			}
	}
	put32(b, 0x80000000u | (uint32_t)m.len);
	put(b, m.p, m.len);
	free(m.p);
}

static void gen_call(void)
{
	static const struct { uint32_t proc; const char *type; } procs[] = {
		{ HS_NULL, NULL }, { HS_GETROOT, "hs_name" },
		{ HS_LISTVOL, NULL }, { HS_GETATTR, "hs_fid" },
		{ HS_LOOKUP, "hs_lookup_args" }, { HS_READDIR, "hs_readdir_args" },
		{ HS_FETCH, "hs_fetch_args" },
		{ HS_STORE_CHUNK, "hs_store_chunk_args" },
		{ HS_STORE_COMMIT, "hs_store_commit_args" },
		{ HS_SETATTR, "hs_setattr_args" }, { HS_CREATE, "hs_create_args" },
		{ HS_MKDIR, "hs_create_args" }, { HS_SYMLINK, "hs_symlink_args" },
		{ HS_LINK, "hs_link_args" }, { HS_REMOVE, "hs_remove_args" },
		{ HS_RMDIR, "hs_remove_args" }, { HS_RENAME, "hs_rename_args" },
		{ HS_READLINK, "hs_fid" }, { HS_STATS, NULL },
		{ HS_REINTEGRATE, "hs_reint_args" },
		{ HS_STAGED, "hs_staged_args" }, { HS_MKNOD, "hs_mknod_args" },
		{ HS_AUTH, "hs_auth_args" }, { HS_GETACL, "hs_fid" },
		{ HS_SETACL, "hs_setacl_args" },
		{ HS_VOLSTAMPS, "hs_volstamps" },
	};
	struct buf all = { 0 };
	unsigned char flags = 1;  /* HS_CONNECT first */
	char name[64];

	/* One call per seed, after an HS_CONNECT made by the target. */
	for (size_t i = 0; i < sizeof procs / sizeof procs[0]; i++) {
		struct buf b = { 0 };

		put(&b, &flags, 1);
		put_call(&b, 100 + (uint32_t)i, procs[i].proc, procs[i].type, 0, 0);
		snprintf(name, sizeof name, "proc%02u", procs[i].proc);
		write_seed("fuzz_call", name, &b);
		free(b.p);
	}
	/* A session: create, store, commit, fetch, mkdir, rename, remove ... */
	put(&all, &flags, 1);
	for (size_t i = 0; i < sizeof procs / sizeof procs[0]; i++)
		put_call(&all, 200 + (uint32_t)i, procs[i].proc, procs[i].type, 0, 0);
	write_seed("fuzz_call", "session", &all);
	all.len = 0;
	/* The client's own HS_CONNECT, then calls carrying a token. */
	flags = 0;
	put(&all, &flags, 1);
	put_call(&all, 1, HS_CONNECT, "hs_connect_args", 0, 0);
	put_call(&all, 2, HS_GETATTR, "hs_fid", HS_AUTH_FLAVOR, 64);
	put_call(&all, 3, HS_CREATE, "hs_create_args", HS_AUTH_FLAVOR, HS_TOKEN_MAX);
	put_call(&all, 4, HS_GETACL, "hs_fid", 1 /* AUTH_SYS */, 20);
	write_seed("fuzz_call", "connect-token", &all);
	all.len = 0;
	/* A reply to vice's own call (xid 1): an hs_fetch_res. */
	flags = 3;
	put(&all, &flags, 1);
	{
		struct buf m = { 0 };
		void *val = calloc(1, sizeof(hs_fetch_res));

		put32(&m, 1);
		put32(&m, RPC_REPLY);
		put32(&m, 0);   /* MSG_ACCEPTED */
		put32(&m, 0);   /* verifier AUTH_NONE */
		put32(&m, 0);
		put32(&m, 0);   /* SUCCESS */
		for (size_t i = 0; i < NXDR_TYPES; i++)
			if (!strcmp(xdr_types[i].name, "hs_fetch_res")) {
				sample(&xdr_types[i], val);
				put_xdr(&m, xdr_types[i].proc, val);
			}
		put32(&all, 0x80000000u | (uint32_t)m.len);
		put(&all, m.p, m.len);
		free(m.p);
		free(val);
	}
	write_seed("fuzz_call", "reply", &all);
	free(all.p);
}

/* ---- record streams (fuzz_record) ---- */

static void gen_record(void)
{
	struct buf b = { 0 };
	unsigned char hdr[3] = { 8, 0x12, 0x34 };  /* transport limit */

	put(&b, hdr, 3);
	put32(&b, 0x80000000u | 5);
	put(&b, "hello", 5);
	put32(&b, 3);
	put(&b, "abc", 3);
	put32(&b, 0x80000000u | 0);
	put32(&b, 0x80000000u | 2);
	put(&b, "xy", 2);
	write_seed("fuzz_record", "three-records", &b);
	/* Past HREC_MAX_FRAGS empty fragments. */
	b.len = 3;
	for (unsigned i = 0; i < 1030; i++)
		put32(&b, 0);
	write_seed("fuzz_record", "too-many-frags", &b);
	/* Larger than a small limit (byte 0 = 5: 64 bytes). */
	b.len = 0;
	hdr[0] = 5;
	put(&b, hdr, 3);
	put32(&b, 40);
	for (unsigned i = 0; i < 40; i++)
		put(&b, "a", 1);
	put32(&b, 0x80000000u | 40);
	for (unsigned i = 0; i < 40; i++)
		put(&b, "b", 1);
	write_seed("fuzz_record", "too-big-total", &b);
	/* A length with every bit set. */
	b.len = 0;
	hdr[0] = 8;
	put(&b, hdr, 3);
	put32(&b, 0xffffffffu);
	write_seed("fuzz_record", "huge-length", &b);
	free(b.p);
}

/* ---- control socket (fuzz_ctl) ---- */

static void gen_ctl(void)
{
	static const struct { const char *name, *text; } seeds[] = {
		{ "listvol", "lv /coda/a%20dir\n!error text\n.not a terminator\n"
			     "plain line\n.\nstatus 0\n" },
		{ "json", "--json listcache a/./b//c\n{\"a\": 1}\n.\nstatus 2\n" },
		{ "wd", "wd -age 5 -time 30.0 x\n.\nstatus 22\n" },
		{ "hoard-add", "hoard add /coda/src 100:d+\n.\nstatus 0\n" },
		{ "hoard-list", "hoard list /tmp/out 0\n" },
		{ "hoard-quoted", "hoard a \"/coda/with space\" c+:5 # comment\n" },
		{ "escapes", "getfid %0A%25%7F%E2%82%AC caf\xc3\xa9 \xff\xfe\n" },
		{ "badescape", "flushobject %0 %zz %00\n" },
		{ "ckpt", "ck /coda/x /tmp/ckpt\n.\nstatus x\n" },
		{ "help", "help lv\r\nUsage: cfs lv\n.\nstatus 0\n" },
		{ "dotdot", "flushobject ../etc a/../b\n" },
	};
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		struct buf b = { 0 };

		put(&b, seeds[i].text, strlen(seeds[i].text));
		write_seed("fuzz_ctl", seeds[i].name, &b);
		free(b.p);
	}
}

/* ---- authentication (fuzz_auth) ---- */

/* Append one fuzz_auth step: a 2-byte length, then hs_auth_args. */
static void put_auth_step(struct buf *b, uint64_t session, const char *mech,
			  const char *user, const char *data)
{
	hs_auth_args a = { session, (char *)mech, (char *)user, 0,
			   { (u_int)strlen(data), (char *)data } };
	struct buf m = { 0 };
	unsigned char len[2];

	if (!put_xdr(&m, (xdrproc_t)xdr_hs_auth_args, &a))
		abort();
	len[0] = (unsigned char)(m.len >> 8);
	len[1] = (unsigned char)m.len;
	put(b, len, 2);
	put(b, m.p, m.len);
	free(m.p);
}

static void gen_auth(void)
{
	/* RFC 7677's example messages, for user alice. */
	static const char first[] = "n,,n=alice,r=rOprNGfwEbeRWgbNEkqO";
	static const char final[] = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTC"
		"AfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	struct buf b = { 0 };
	unsigned char mode;

	mode = 0;
	put(&b, &mode, 1);
	put_auth_step(&b, 0, "SCRAM-SHA-256", "alice", first);
	put_auth_step(&b, 1, "", "", final);
	write_seed("fuzz_auth", "scram-alice-wrong-proof", &b);
	/* fuzz_auth makes the right client-final for "%FINAL%". */
	b.len = 1;
	put_auth_step(&b, 0, "SCRAM-SHA-256", "alice", first);
	put_auth_step(&b, 1, "", "", "%FINAL%");
	put_auth_step(&b, 1, "", "", "");  /* after the server-final message */
	write_seed("fuzz_auth", "scram-alice", &b);
	b.len = 1;
	put_auth_step(&b, 0, "SCRAM-SHA-256", "mallory",
		      "n,,n=mallory,r=abcdefghijklmnop");
	put_auth_step(&b, 1, "", "", "c=biws,r=abcdefghijklmnopXYZ,p=AAAA");
	write_seed("fuzz_auth", "scram-unknown-user", &b);
	b.len = 1;
	put_auth_step(&b, 0, "GSSAPI", "", "\x60\x82");
	put_auth_step(&b, 0, "PLAIN", "alice", "\0alice\0secret");
	put_auth_step(&b, 77, "", "", "c=biws");
	write_seed("fuzz_auth", "other-mechs", &b);
	/* A forged credential. */
	b.len = 0;
	mode = 1;
	put(&b, &mode, 1);
	for (unsigned i = 0; i < 66; i++)
		put(&b, "\x42", 1);
	write_seed("fuzz_auth", "forged", &b);
	/* alice's token unchanged, and with one bit flipped. */
	b.len = 0;
	mode = 2;
	put(&b, &mode, 1);
	put(&b, "\0", 1);
	write_seed("fuzz_auth", "token-valid", &b);
	put(&b, "\0\0\0\0\0\0\0\0\0\0\x01", 11);
	write_seed("fuzz_auth", "token-bitflip", &b);
	free(b.p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds CORPUS-DIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	gen_xdr();
	gen_call();
	gen_record();
	gen_ctl();
	gen_auth();
	return 0;
}
