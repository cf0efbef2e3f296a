/*
 * vice/etcd_txn.h - one etcd txn over several keys (POST /v3/kv/txn of
 * etcd's JSON gateway; rpc.proto TxnRequest): every comparison holds, or
 * nothing is written.  etcd.h offers single-key create/CAS; the pdb's
 * etcd backend (pdb_etcd.c) needs a user's id, name and counter keys
 * written together, so that a crash never leaves half a user.
 */
#ifndef VICE_ETCD_TXN_H
#define VICE_ETCD_TXN_H

#include <stddef.h>
#include <stdint.h>
#include "etcd.h"

/* etcd's default --max-txn-ops: a txn with more operations is refused
 * here (E2BIG) rather than by etcd. */
#define ETCD_TXN_MAX_OPS 128

/* "key's mod_revision equals mod_rev" (0: the key is absent; etcd
 * compares a missing key as a zero KeyValue). */
struct etcd_cmp {
	const char *key;
	int64_t mod_rev;
};

/* Put val (len bytes) at key, or delete key if del. */
struct etcd_op {
	char *key;
	char *val;
	size_t len;
	int del;
};

/* Run the ops if every comparison holds: 0; EAGAIN if one failed (the
 * caller re-reads and retries); E2BIG beyond ETCD_TXN_MAX_OPS ops or
 * comparisons; else etcd.h's errors. */
int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp,
	     const struct etcd_op *ops, size_t nops);

/* etcd.c's transport, for etcd_txn: POST req (consumed) to the
 * endpoints' /v3/kv/<verb> in turn; *resp the parsed answer (the caller
 * puts it).  Errors as etcd.h's. */
struct json_object;
int etcd_post_json(struct etcd *e, const char *verb, struct json_object *req,
		   struct json_object **resp);

#endif /* VICE_ETCD_TXN_H */
