/*
 * tools/volutil_cmds.c - volutil's volume subcommands: create, remove,
 * rename, list, setquota, info (HS_VOL_CREATE/REMOVE/RENAME/LIST,
 * HS_SETQUOTA, HS_GETVOLSTAT).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "volutil.h"

/* A number: decimal, or hex with 0x. */
static int number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return EINVAL;
	*out = v;
	return 0;
}

/* HS_VOL_LIST takes no arguments. */
static bool_t xdr_nothing(XDR *x, void *p)
{
	(void)x;
	(void)p;
	return TRUE;
}

static int vol_list(struct vu *c, hs_volstatlist_res *r)
{
	int err = vu_call(c, HS_VOL_LIST, (xdrproc_t)xdr_nothing, NULL,
			  (xdrproc_t)xdr_hs_volstatlist_res, r, sizeof *r);

	if (err)
		return err;
	if (r->status) {
		vu_fail("listing volumes", r->status);
		return r->status;
	}
	return 0;
}

/* A name matches first; else a number is an id. */
int vu_volid(struct vu *c, const char *vol, uint32_t *id)
{
	hs_volstatlist_res r;
	hs_volstatlist *l;
	uint64_t n;
	unsigned i;
	int err = vol_list(c, &r), found = 0;

	if (err)
		return err;
	l = &r.hs_volstatlist_res_u.list;
	for (i = 0; i < l->vols.vols_len && !found; i++)
		if (!strcmp(l->vols.vols_val[i].name, vol)) {
			*id = l->vols.vols_val[i].id;
			found = 1;
		}
	for (i = 0; i < l->vols.vols_len && !found; i++)
		if (!number(vol, HS_VOLID_MAX, &n) &&
		    l->vols.vols_val[i].id == n) {
			*id = (uint32_t)n;
			found = 1;
		}
	xdr_free((xdrproc_t)xdr_hs_volstatlist_res, (char *)&r);
	if (!found) {
		fprintf(stderr, "volutil: %s: no such volume on %s:%d\n", vol,
			c->host, c->port);
		return ENOENT;
	}
	return 0;
}

static void json_stat(const hs_volstat *s)
{
	printf("{\"name\":");
	vu_json_str(s->name);
	printf(",\"id\":%u,\"max_quota\":%" PRIu64 ",\"min_quota\":%" PRIu64
	       ",\"blocks_used\":%" PRIu64 ",\"objects\":%" PRIu64
	       ",\"part_avail\":%" PRIu64 ",\"part_total\":%" PRIu64
	       ",\"online\":%s,\"root\":\"%u.%u.%u\"}",
	       s->id, s->max_quota, s->min_quota, s->blocks_used, s->objects,
	       s->part_avail, s->part_total, s->online ? "true" : "false",
	       s->root.volume, s->root.vnode, s->root.unique);
}

/* Coda's listvol line: name, id, status, quota, used. */
static void line_stat(const hs_volstat *s)
{
	printf("%-32s 0x%08x %-8s %12" PRIu64 " %12" PRIu64 " %10" PRIu64
	       "\n", s->name, s->id, s->online ? "On-line" : "Off-line",
	       s->max_quota, s->blocks_used, s->objects);
}

static void header(void)
{
	printf("%-32s %-10s %-8s %12s %12s %10s\n", "Volume", "Id", "Status",
	       "Quota", "Used", "Objects");
}

int vu_cmd_list(struct vu *c, int argc, char **argv)
{
	hs_volstatlist_res r;
	hs_volstatlist *l;
	unsigned i;

	(void)argv;
	if (argc != 1)
		return 2;
	if (vol_list(c, &r))
		return 1;
	l = &r.hs_volstatlist_res_u.list;
	if (c->json) {
		printf("[");
		for (i = 0; i < l->vols.vols_len; i++) {
			printf(i ? ",\n " : "");
			json_stat(&l->vols.vols_val[i]);
		}
		printf("]\n");
	} else {
		header();
		for (i = 0; i < l->vols.vols_len; i++)
			line_stat(&l->vols.vols_val[i]);
	}
	xdr_free((xdrproc_t)xdr_hs_volstatlist_res, (char *)&r);
	return 0;
}

/* Coda's "volutil info": one volume's status, field per line. */
static void info_text(const hs_volstat *s)
{
	printf("Volume name %s, id 0x%08x (%u), %s\n", s->name, s->id, s->id,
	       s->online ? "On-line" : "Off-line");
	printf("Root fid %u.%u.%u\n", s->root.volume, s->root.vnode,
	       s->root.unique);
	printf("Maximum quota %" PRIu64 " blocks%s, minimum quota %" PRIu64
	       " blocks\n", s->max_quota, s->max_quota ? "" : " (unlimited)",
	       s->min_quota);
	printf("Blocks in use %" PRIu64 ", objects %" PRIu64 "\n",
	       s->blocks_used, s->objects);
	printf("Partition: %" PRIu64 " blocks free of %" PRIu64 "\n",
	       s->part_avail, s->part_total);
}

int vu_cmd_info(struct vu *c, int argc, char **argv)
{
	hs_volstat_res r;
	uint32_t id;
	int err;

	if (argc != 2)
		return 2;
	if (vu_volid(c, argv[1], &id))
		return 1;
	err = vu_call(c, HS_GETVOLSTAT, (xdrproc_t)xdr_u_int, &id,
		      (xdrproc_t)xdr_hs_volstat_res, &r, sizeof r);
	if (err)
		return 1;
	if (r.status)
		return vu_fail(argv[1], r.status);
	if (c->json) {
		json_stat(&r.hs_volstat_res_u.st);
		putchar('\n');
	} else {
		info_text(&r.hs_volstat_res_u.st);
	}
	xdr_free((xdrproc_t)xdr_hs_volstat_res, (char *)&r);
	return 0;
}

/* create NAME [-quota BLOCKS] [-id ID] */
static int create_args(int argc, char **argv, hs_volcreate_args *a)
{
	uint64_t n;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-quota") && i + 1 < argc) {
			if (number(argv[++i], UINT64_MAX, &n))
				return 2;
			a->max_quota = n;
		} else if (!strcmp(argv[i], "-id") && i + 1 < argc) {
			if (number(argv[++i], HS_VOLID_MAX, &n) || !n)
				return 2;
			a->id = (uint32_t)n;
		} else if (argv[i][0] == '-' || a->name) {
			return 2;
		} else {
			a->name = argv[i];
		}
	}
	return a->name ? 0 : 2;
}

int vu_cmd_create(struct vu *c, int argc, char **argv)
{
	hs_volcreate_args a;
	hs_getroot_res r;
	hs_volinfo *vi = &r.hs_getroot_res_u.vol;

	memset(&a, 0, sizeof a);
	if (create_args(argc, argv, &a))
		return 2;
	if (vu_call(c, HS_VOL_CREATE, (xdrproc_t)xdr_hs_volcreate_args, &a,
		    (xdrproc_t)xdr_hs_getroot_res, &r, sizeof r))
		return 1;
	if (r.status)
		return vu_fail(a.name, r.status);
	if (c->json) {
		printf("{\"name\":");
		vu_json_str(vi->name);
		printf(",\"id\":%u,\"root\":\"%u.%u.%u\"}\n", vi->id,
		       vi->root.volume, vi->root.vnode, vi->root.unique);
	} else {
		printf("Volume %s created, id 0x%08x (%u)\n", vi->name, vi->id,
		       vi->id);
	}
	xdr_free((xdrproc_t)xdr_hs_getroot_res, (char *)&r);
	return 0;
}

/* A call answered by an hs_status_res. */
static int status_call(struct vu *c, uint32_t proc, xdrproc_t argproc,
		       const void *args, const char *what)
{
	hs_status_res r;

	if (vu_call(c, proc, argproc, args, (xdrproc_t)xdr_hs_status_res, &r,
		    sizeof r))
		return 1;
	if (r.status)
		return vu_fail(what, r.status);
	return 0;
}

int vu_cmd_remove(struct vu *c, int argc, char **argv)
{
	uint32_t id;

	if (argc != 2)
		return 2;
	if (vu_volid(c, argv[1], &id) ||
	    status_call(c, HS_VOL_REMOVE, (xdrproc_t)xdr_u_int, &id, argv[1]))
		return 1;
	if (!c->json)
		printf("Volume %s (0x%08x) removed\n", argv[1], id);
	return 0;
}

int vu_cmd_rename(struct vu *c, int argc, char **argv)
{
	hs_volrename_args a;

	if (argc != 3)
		return 2;
	if (vu_volid(c, argv[1], &a.id))
		return 1;
	a.name = argv[2];
	if (status_call(c, HS_VOL_RENAME, (xdrproc_t)xdr_hs_volrename_args,
			&a, argv[1]))
		return 1;
	if (!c->json)
		printf("Volume 0x%08x renamed from %s to %s\n", a.id, argv[1],
		       argv[2]);
	return 0;
}

int vu_cmd_setquota(struct vu *c, int argc, char **argv)
{
	hs_setquota_args a;
	uint64_t n;

	if (argc != 3 && argc != 4)
		return 2;
	memset(&a, 0, sizeof a);
	if (number(argv[2], UINT64_MAX, &n))
		return 2;
	a.max_quota = n;
	if (argc == 4) {
		if (number(argv[3], UINT64_MAX, &n))
			return 2;
		a.min_quota = n;
	}
	if (vu_volid(c, argv[1], &a.id) ||
	    status_call(c, HS_SETQUOTA, (xdrproc_t)xdr_hs_setquota_args, &a,
			argv[1]))
		return 1;
	if (!c->json)
		printf("Quota of %s set to %" PRIu64 " blocks (minimum %"
		       PRIu64 ")\n", argv[1], a.max_quota, a.min_quota);
	return 0;
}
