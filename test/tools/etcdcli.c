/*
 * test/tools/etcdcli.c - drives vice/etcd.c from the command line, for
 * test/integration/etcd_client.sh:
 *
 *   etcdcli URLS get KEY            value, a tab, mod_revision
 *   etcdcli URLS prefix PREFIX MAX  one "key<TAB>value" line each
 *   etcdcli URLS put KEY VALUE
 *   etcdcli URLS del KEY
 *   etcdcli URLS create KEY VALUE
 *   etcdcli URLS cas KEY MODREV VALUE
 *   etcdcli URLS delif KEY MODREV
 *
 * Exit 0 on success; otherwise prints the errno's name (ENOENT, EEXIST,
 * EAGAIN, EHOSTUNREACH, ...) and etcd_errmsg() on stderr and exits 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vice/etcd.h"

static const char *ename(int r)
{
	static const struct { int e; const char *n; } t[] = {
		{ ENOENT, "ENOENT" }, { EEXIST, "EEXIST" }, { EAGAIN, "EAGAIN" },
		{ EHOSTUNREACH, "EHOSTUNREACH" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EOVERFLOW, "EOVERFLOW" }, { EINVAL, "EINVAL" }, { EIO, "EIO" },
		{ EPROTO, "EPROTO" }, { EMSGSIZE, "EMSGSIZE" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == r)
			return t[i].n;
	return strerror(r);
}

static int run(struct etcd *e, int argc, char **argv)
{
	const char *op = argv[2], *key = argv[3];
	struct etcd_kv *kvs;
	int64_t rev;
	size_t n, i;
	char *val;
	int r;

	if (!strcmp(op, "get") && argc == 4) {
		if (!(r = etcd_get(e, key, &val, &n, &rev))) {
			printf("%s\t%lld\n", val, (long long)rev);
			free(val);
		}
	} else if (!strcmp(op, "prefix") && argc == 5) {
		if (!(r = etcd_get_prefix(e, key, strtoul(argv[4], NULL, 10), &kvs, &n))) {
			for (i = 0; i < n; i++)
				printf("%s\t%s\n", kvs[i].key, kvs[i].value);
			etcd_kvs_free(kvs, n);
		}
	} else if (!strcmp(op, "put") && argc == 5) {
		r = etcd_put(e, key, argv[4], strlen(argv[4]));
	} else if (!strcmp(op, "del") && argc == 4) {
		r = etcd_delete(e, key);
	} else if (!strcmp(op, "create") && argc == 5) {
		r = etcd_create(e, key, argv[4], strlen(argv[4]));
	} else if (!strcmp(op, "cas") && argc == 6) {
		r = etcd_cas(e, key, strtoll(argv[4], NULL, 10), argv[5],
			     strlen(argv[5]));
	} else if (!strcmp(op, "delif") && argc == 5) {
		r = etcd_delete_if(e, key, strtoll(argv[4], NULL, 10));
	} else {
		fprintf(stderr, "etcdcli: bad command\n");
		return 1;
	}
	if (r) {
		fprintf(stderr, "%s %s\n", ename(r), etcd_errmsg(e));
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct etcd *e;
	char err[256];
	int r;

	if (argc < 4) {
		fprintf(stderr, "usage: etcdcli URLS get|prefix|put|del|create|cas|delif KEY ...\n");
		return 1;
	}
	if ((r = etcd_open(argv[1], 0, &e, err, sizeof err))) {
		fprintf(stderr, "%s %s\n", ename(r), err);
		return 2;
	}
	r = run(e, argc, argv);
	etcd_close(e);
	return r;
}
