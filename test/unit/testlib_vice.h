/*
 * test/unit/testlib_vice.h - vice's store on a temp root (struct
 * tl_store), and a vice in the test's own process: its store on a temp
 * root, serving TLS on 127.0.0.1 (an ephemeral port) from an
 * event loop the test runs, and test clients that speak HS_VICE_PROG to
 * it and serve HS_CB_PROG, counting the callback breaks they are sent.
 *
 * Calls are made synchronous by running the loop until the reply (or a
 * transport error) arrives; a test that needs something else on the
 * same loop (venus's server connection, test_venus_core.c) shares
 * t->v.base.  Needs vice/libvice.a and the rpc libraries.
 */
#ifndef TEST_UNIT_TESTLIB_VICE_H
#define TEST_UNIT_TESTLIB_VICE_H

#include "test/unit/testlib.h"
#include "vice/vice.h"

/* ---- vice's store on a temp root (vice/store.h) ---- */

struct vstore;

struct tl_store {
	char root[TL_PATH_LEN];  /* the temp root, removed at close */
	struct vstore *vs;
};

/* A new temp root "/tmp/<tag>-XXXXXX" with the store opened on it. */
void tl_store_open(struct tl_store *s, const char *tag);
/* Close and reopen the store on the same root (a vice restart). */
void tl_store_reopen(struct tl_store *s);
/* Close the store and remove the root. */
void tl_store_close(struct tl_store *s);

/* A vice: t->v is what vice's main.c would fill in. */
struct tl_vice {
	char root[TL_PATH_LEN];     /* store, TLS key and certificate */
	struct vice v;              /* v.base: the loop everything runs on */
	struct hrpc_tls *ctls;      /* client TLS context for tl_client */
};

/* A test client: its connection and the breaks it was sent. */
struct tl_client {
	struct hrpc_conn *conn;
	int up, closed;
	unsigned breaks;            /* fids received in HS_CB_BREAK */
	hs_fid last_break;          /* the first fid of the last break */
};

/* One outgoing call, completed by running the loop (tl_call).  res of
 * `size` bytes is copied shallowly to out: pointers in it are freed by
 * the transport after the callback, except a successful HS_FETCH's data,
 * which is copied to data (NUL-terminated, len bytes; free it). */
struct tl_wait {
	int done, err;
	void *out;
	size_t size;
	char *data;
	size_t len;
};

/* Make the loop, a temp root "/tmp/<tag>-XXXXXX", open the store, the
 * server TLS identity and the listener; fails the test on any error. */
void tl_vice_start(struct tl_vice *t, const char *tag);
/* Close every connection, the listener, the loop and the store, and
 * remove the root.  Close test clients (tl_client_close) first. */
void tl_vice_stop(struct tl_vice *t);
/* The port vice listens on. */
int tl_vice_port(const struct tl_vice *t);

/* Connect c to t over TLS (no HS_CONNECT yet); waits until it is up. */
void tl_client_open(struct tl_vice *t, struct tl_client *c);
void tl_client_close(struct tl_client *c);

/* Call proc on c and wait for the reply; the transport error must be 0.
 * Returns the result's status (its first int; 0 when res is NULL).  wt
 * may be NULL; pass one to keep a fetched chunk (struct tl_wait). */
int tl_call(struct tl_vice *t, struct tl_client *c, uint32_t proc,
	    xdrproc_t ap, const void *args, xdrproc_t rp, void *res,
	    size_t ressize, struct tl_wait *wt);
/* HS_CONNECT as client id with callbacks and a key derived from id
 * (the same for every call with id); returns its status. */
int tl_hs_connect(struct tl_vice *t, struct tl_client *c, uint64_t id,
		  unsigned version);

#endif /* TEST_UNIT_TESTLIB_VICE_H */
