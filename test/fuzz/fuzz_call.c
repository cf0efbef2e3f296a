/*
 * test/fuzz/fuzz_call.c - libFuzzer target: what a client sends vice
 * after the TLS handshake, through the transport's record, call header
 * and credential parsing (rpc/record.c, rpc/serve.c conn_handle_call,
 * rpc/call.c conn_handle_reply) into vice's dispatch (vice/dispatch.c)
 * and its handlers, on a real store.
 *
 * One process-wide vice (test/fuzz/fuzz_vice.h) and, per input, one
 * connection: a real struct hrpc_conn whose bufferevent has no socket
 * (replies pile up in its output buffer, where they are checked to be
 * records of RFC 5531 messages and dropped).  The store keeps what inputs did to it, as a
 * real vice does across connections; it is made afresh every
 * STORE_RUNS inputs so it stays small.
 *
 * Input: byte 0 is flags: bit 0: send a valid HS_CONNECT first (so most
 * inputs reach the handlers); bit 1: have an outgoing call (xid 1, an
 * HS_FETCH whose result is decoded) pending, so a reply in the input is
 * decoded too.  The rest is the byte stream from the client.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "test/fuzz/fuzz_vice.h"
#include "rpc/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STORE_RUNS 2000

static unsigned runs;

/* A whole call record (malloc'd, no record mark) of proc with args. */
static unsigned char *make_call(uint32_t xid, uint32_t proc, xdrproc_t ap,
				void *args, size_t *len)
{
	struct rpc_msg m;
	unsigned char *buf;
	unsigned long n;
	XDR x;

	memset(&m, 0, sizeof m);
	m.rm_xid = xid;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = RPC_VERS;
	m.rm_call.cb_prog = HS_VICE_PROG;
	m.rm_call.cb_vers = HS_VICE_V1;
	m.rm_call.cb_proc = proc;
	m.rm_call.cb_cred.oa_flavor = AUTH_NONE;
	m.rm_call.cb_verf.oa_flavor = AUTH_NONE;
	n = xdr_sizeof((xdrproc_t)xdr_callmsg, &m) + xdr_sizeof(ap, args);
	if (!(buf = malloc(n)))
		abort();
	xdrmem_create(&x, (char *)buf, (u_int)n, XDR_ENCODE);
	if (!xdr_callmsg(&x, &m) || !ap(&x, args))
		abort();
	*len = xdr_getpos(&x);
	xdr_destroy(&x);
	return buf;
}

static void send_connect(struct hrpc_conn *c)
{
	static unsigned char key[HS_CLIENT_KEY] = "fuzz-client-key";
	hs_connect_args a = { .proto_version = HS_PROTO_VERSION,
			      .client_id = 0xf022, .client_name = "fuzz",
			      .features = HS_FEAT_CALLBACKS };
	size_t len;
	unsigned char *rec;

	a.client_key.client_key_len = sizeof key;
	a.client_key.client_key_val = (char *)key;
	rec = make_call(0x7fffffff, HS_CONNECT, (xdrproc_t)xdr_hs_connect_args,
			&a, &len);
	if (conn_handle_call(c, rec, len))
		abort();
}

static void fetch_done(void *arg, int err, void *res)
{
}

/* An outgoing call with xid 1 whose reply the input may carry. */
static void send_fetch(struct hrpc_conn *c)
{
	hs_fetch_args a = { { 1, 1, 1 }, 0, 4096 };

	c->next_xid = 1;
	if (hrpc_call(c, HS_VICE_PROG, HS_VICE_V1, HS_FETCH,
		      (xdrproc_t)xdr_hs_fetch_args, &a,
		      (xdrproc_t)xdr_hs_fetch_res, sizeof(hs_fetch_res), 0,
		      fetch_done, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	struct hrpc_conn *c;

	if (size < 1)
		return 0;
	fv_init();
	if (++runs % STORE_RUNS == 0)
		fv_store_reset();
	c = fv_conn_open();
	hrpc_conn_ref(c);  /* ours: c outlives a close below */
	if (data[0] & 1)
		send_connect(c);
	if (data[0] & 2)
		send_fetch(c);
	in = evbuffer_new();
	if (!in || evbuffer_add(in, data + 1, size - 1) < 0)
		abort();
	/* rpc/conn.c's conn_process: every whole record, until one fails. */
	while (c->state == C_UP) {
		unsigned char *rec;
		size_t len;
		int st = hrec_take(in, HRPC_MAX_RECORD, &rec, &len), err;

		if (st == HREC_NEED_MORE)
			break;
		err = st == HREC_OK ? conn_handle_record(c, rec, len) : EPROTO;
		event_base_loop(fv.base, EVLOOP_NONBLOCK);
		if (c->state == C_UP)
			fv_check_output(c);
		if (err) {
			conn_fail(c, err);
			break;
		}
	}
	evbuffer_free(in);
	if (c->state == C_UP) {
		fv_check_output(c);
		if (c->nincoming)
			abort();  /* every call was answered */
	}
	hrpc_close(c);
	event_base_loop(fv.base, EVLOOP_NONBLOCK);
	hrpc_conn_unref(c);
	return 0;
}
