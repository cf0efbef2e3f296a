/*
 * test/fuzz/fuzz_vice.h - one vice in a fuzz target's process (fuzz_call,
 * fuzz_auth): its store and protection database on a temp root, and
 * connections as its listener makes them but with no socket under them.
 *
 * The root is /dev/shm/hesper-fuzz-<pid> (or the same under $TMPDIR),
 * removed at exit, or by the next run if this one crashed.
 */
#ifndef TEST_FUZZ_FUZZ_VICE_H
#define TEST_FUZZ_FUZZ_VICE_H

#include "rpc/conn_int.h"
#include "vice/vice.h"

/* The vice: base, vs, pdb and tls are set up by fv_init, and its
 * authentication (vauth_init: a key in the root, SCRAM, no GSSAPI). */
extern struct vice fv;
/* Its root directory (the store is in <root>/store). */
extern char fv_root[256];

/* Set up fv once (later calls do nothing); exits with a message on
 * failure. */
void fv_init(void);
/* Replace the store and pdb with empty ones (bounds what inputs leave);
 * the root's ACL grants System:AnyUser everything. */
void fv_store_reset(void);
/* A connection up past TLS, its vclient made by vice_conn_ops: replies
 * pile up in its bufferevent's output (see fv_check_output). */
struct hrpc_conn *fv_conn_open(void);
/* What vice wrote on c must be whole records of RFC 5531 calls or
 * replies; they are checked and dropped.  Aborts otherwise. */
void fv_check_output(struct hrpc_conn *c);

#endif /* TEST_FUZZ_FUZZ_VICE_H */
