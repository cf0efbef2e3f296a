/*
 * rpc/serve.c - incoming calls (rpc.h): header decode, dispatch, the
 * hrpc_call_* accessors, and hrpc_reply / hrpc_reply_error.  Each call
 * awaiting its reply holds a conn ref and counts against
 * HRPC_MAX_INCOMING and HRPC_MAX_INCOMING_BYTES (see rpc/conn.c).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>

#include "rpc/conn_int.h"

/* Read an opaque_auth's flavor and length, bounded by RFC 5531's
 * MAX_AUTH_BYTES, and step over its body, noting where the body starts. */
static int read_auth(XDR *x, u_int *flavor, u_int *len, size_t *off)
{
	char body[MAX_AUTH_BYTES];

	if (!xdr_u_int(x, flavor) || !xdr_u_int(x, len) ||
	    *len > MAX_AUTH_BYTES)
		return 0;
	*off = xdr_getpos(x);
	return xdr_opaque(x, body, *len);
}

static void call_free(struct hrpc_call *call)
{
	struct hrpc_conn *c = call->c;

	c->nincoming--;
	c->inbytes -= call->len;
	free(call->rec);
	free(call);
	if (c->paused && c->nincoming < HRPC_MAX_INCOMING &&
	    c->inbytes < HRPC_MAX_INCOMING_BYTES) {
		c->paused = 0;
		conn_resume_reading(c);
	}
	hrpc_conn_unref(c);
}

static int send_reply(struct hrpc_call *call, enum accept_stat stat,
		      xdrproc_t resproc, const void *res,
		      struct hrpc_buf *hold)
{
	struct rpc_msg m;

	memset(&m, 0, sizeof m);
	m.rm_xid = call->xid;
	m.rm_direction = REPLY;
	m.rm_reply.rp_stat = MSG_ACCEPTED;
	m.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
	m.acpted_rply.ar_stat = stat;
	if (stat == PROG_MISMATCH) {
		m.acpted_rply.ar_vers.low = 1;
		m.acpted_rply.ar_vers.high = 1;
	}
	m.acpted_rply.ar_results.where = (void *)res;
	m.acpted_rply.ar_results.proc = resproc ? resproc : conn_xdr_nothing_proc();
	return conn_send_msg_hold(call->c, (xdrproc_t)xdr_replymsg, &m, NULL,
				  NULL, hold);
}

/* Dead conn: drop silently.  A peer that stopped reading: close. */
static int finish_reply(struct hrpc_call *call, int r)
{
	struct hrpc_conn *c = call->c;

	if (r == -ENOTCONN)
		r = 0;
	else if (r == -ENOBUFS)
		conn_fail(c, ENOBUFS);
	call_free(call);
	return r;
}

int hrpc_reply(struct hrpc_call *call, xdrproc_t resproc, const void *res)
{
	return hrpc_reply_hold(call, resproc, res, NULL);
}

int hrpc_reply_hold(struct hrpc_call *call, xdrproc_t resproc,
		    const void *res, struct hrpc_buf *hold)
{
	int r = send_reply(call, SUCCESS, resproc, res, hold);

	/* A result that does not encode: the caller still gets an answer. */
	if (r == -EINVAL || r == -EMSGSIZE)
		send_reply(call, SYSTEM_ERR, NULL, NULL, NULL);
	return finish_reply(call, r);
}

int hrpc_reply_error(struct hrpc_call *call, enum accept_stat stat)
{
	return finish_reply(call, send_reply(call, stat, NULL, NULL, NULL));
}

/* RFC 5531: a call with another rpcvers gets MSG_DENIED / RPC_MISMATCH. */
static void reply_rpc_mismatch(struct hrpc_conn *c, uint32_t xid)
{
	struct rpc_msg m;

	memset(&m, 0, sizeof m);
	m.rm_xid = xid;
	m.rm_direction = REPLY;
	m.rm_reply.rp_stat = MSG_DENIED;
	m.rjcted_rply.rj_stat = RPC_MISMATCH;
	m.rjcted_rply.rj_vers.low = RPC_VERS;
	m.rjcted_rply.rj_vers.high = RPC_VERS;
	conn_send_msg(c, (xdrproc_t)xdr_replymsg, &m, NULL, NULL);
}

/* Takes rec.  Returns 0 or the errno that closes the conn. */
int conn_handle_call(struct hrpc_conn *c, unsigned char *rec, size_t len)
{
	struct hrpc_call *call;
	u_int xid, mtype, rpcvers, prog, vers, proc, cflavor, clen, vflavor, vlen;
	size_t off, credoff, verfoff;
	XDR x;
	int ok;

	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	ok = xdr_u_int(&x, &xid) && xdr_u_int(&x, &mtype) &&
	     xdr_u_int(&x, &rpcvers) && xdr_u_int(&x, &prog) &&
	     xdr_u_int(&x, &vers) && xdr_u_int(&x, &proc) &&
	     read_auth(&x, &cflavor, &clen, &credoff) &&
	     read_auth(&x, &vflavor, &vlen, &verfoff);
	off = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok) {
		free(rec);
		return EBADMSG;
	}
	if (rpcvers != RPC_VERS) {
		free(rec);
		reply_rpc_mismatch(c, xid);
		return 0;
	}
	call = calloc(1, sizeof *call);
	if (!call) {
		free(rec);
		return ENOMEM;
	}
	*call = (struct hrpc_call){ c, xid, prog, vers, proc, rec, len, off,
				    cflavor, credoff, clen };
	c->nincoming++;
	c->inbytes += len;
	hrpc_conn_ref(c);
	if (c->ops->dispatch)
		c->ops->dispatch(c, call, c->arg);
	else
		hrpc_reply_error(call, PROG_UNAVAIL);
	return 0;
}

uint32_t hrpc_call_prog(const struct hrpc_call *call) { return call->prog; }
uint32_t hrpc_call_vers(const struct hrpc_call *call) { return call->vers; }
uint32_t hrpc_call_proc(const struct hrpc_call *call) { return call->proc; }
struct hrpc_conn *hrpc_call_conn(const struct hrpc_call *call)
{
	return call->c;
}

void hrpc_call_cred(const struct hrpc_call *call, struct hrpc_cred *out)
{
	out->flavor = call->cred_flavor;
	out->body = call->rec + call->credoff;
	out->len = call->credlen;
}

int hrpc_call_args(struct hrpc_call *call, xdrproc_t argproc, void *args)
{
	XDR x;
	int ok;

	xdrmem_create(&x, (char *)call->rec + call->argoff,
		      (u_int)(call->len - call->argoff), XDR_DECODE);
	ok = argproc(&x, args);
	xdr_destroy(&x);
	if (!ok)
		xdr_free(argproc, args);  /* partial decode; leaves NULLs */
	return ok ? 1 : 0;
}
