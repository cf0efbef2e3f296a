/*
 * test/tools/vldbtool.c - vice's VLDB code (vice/vldb.h) driven from the
 * command line as if by one more server of a realm, for
 * test/integration/vldb_etcd.sh: it has a store of its own (ROOT, made
 * without a "root" volume) and publishes under its own address, so that
 * tests can make volume entries without the volume administration
 * procedures.
 *
 *   vldbtool ROOT REALM ETCD HOST:PORT alloc NAME   print a new id, published as NAME
 *   vldbtool ROOT REALM ETCD HOST:PORT publish ID NAME
 *   vldbtool ROOT REALM ETCD HOST:PORT unpublish ID
 *   vldbtool ROOT REALM ETCD HOST:PORT lookup ID|NAME
 *
 * ETCD "sqlite" uses ROOT/vldb.db instead.  Exit 0, or 1 with the
 * errno's text on stderr (EEXIST: "File exists"), 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vice/vice.h"
#include "vice/store.h"
#include "vice/vldb.h"

static int run(struct vice *v, int argc, char **argv)
{
	const char *op = argv[5];
	hs_vldb_args a = { 0, (char *)"" };
	hs_vldb_entry e;
	uint32_t id;
	u_int i;
	int r;

	if (!strcmp(op, "alloc") && argc == 7) {
		if (!(r = vldb_alloc_id(v, &id)) &&
		    !(r = vldb_publish(v, id, argv[6])))
			printf("%u\n", id);
		else if (r == EEXIST)
			(void)vldb_unpublish(v, id);
		return r;
	}
	if (!strcmp(op, "publish") && argc == 8)
		return vldb_publish(v, (uint32_t)strtoul(argv[6], NULL, 10), argv[7]);
	if (!strcmp(op, "unpublish") && argc == 7)
		return vldb_unpublish(v, (uint32_t)strtoul(argv[6], NULL, 10));
	if (!strcmp(op, "lookup") && argc == 7) {
		char *end;

		a.id = (uint32_t)strtoul(argv[6], &end, 10);
		if (*end)
			a.id = 0, a.name = argv[6];
		if ((r = vldb_lookup(v, &a, &e)))
			return r;
		printf("%u %s", e.id, e.name);
		for (i = 0; i < e.servers.servers_len; i++)
			printf(" %s:%u", e.servers.servers_val[i].host,
			       e.servers.servers_val[i].port);
		printf("\n");
		xdr_free((xdrproc_t)xdr_hs_vldb_entry, (char *)&e);
		return 0;
	}
	fprintf(stderr, "vldbtool: bad command\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vs_open_opts so = { 1 };
	struct vldb_opts o = { 0 };
	struct vice v = { 0 };
	char err[512] = "", *colon;
	int r;

	if (argc < 7 || !(colon = strrchr(argv[4], ':'))) {
		fprintf(stderr, "usage: vldbtool ROOT REALM ETCD|sqlite HOST:PORT "
			"alloc|publish|unpublish|lookup ...\n");
		return 2;
	}
	*colon = 0;
	vlog_init(0);
	v.realm = argv[2];
	o.root = argv[1];
	o.backend = strcmp(argv[3], "sqlite") ? "etcd" : "sqlite";
	o.etcd = argv[3];
	if (vs_open_with(argv[1], &so, &v.vs, err, sizeof err) < 0 ||
	    vldb_open(&v, &o, err, sizeof err) ||
	    vldb_set_address(&v, argv[4], (unsigned)atoi(colon + 1))) {
		fprintf(stderr, "vldbtool: %s\n", *err ? err : "bad address");
		return 1;
	}
	r = run(&v, argc, argv);
	if (r)
		fprintf(stderr, "vldbtool: %s\n", strerror(r));
	vldb_close(&v);
	vs_close(v.vs);
	return r ? 1 : 0;
}
