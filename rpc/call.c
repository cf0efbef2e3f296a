/*
 * rpc/call.c - outgoing calls (rpc.h): the xid table, timeouts, and
 * matching and decoding replies.  Lifetime rules are in rpc/conn.c.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/conn_int.h"

static void pending_free(struct pending *p)
{
	LIST_REMOVE(p, link);
	p->c->npending--;
	event_free(p->timer);
	free(p);
}

/* Fail every pending call with err; done callbacks may re-enter. */
void conn_fail_all(struct hrpc_conn *c, int err)
{
	unsigned i;

	for (i = 0; i < NBUCKETS; i++) {
		struct pending *p;

		while ((p = LIST_FIRST(&c->buckets[i])) != NULL) {
			hrpc_done_fn done = p->done;
			void *cbarg = p->cbarg;

			pending_free(p);
			done(cbarg, err, NULL);
		}
	}
}

static struct plist *bucket(struct hrpc_conn *c, uint32_t xid)
{
	return &c->buckets[xid % NBUCKETS];
}

static struct pending *find_pending(struct hrpc_conn *c, uint32_t xid)
{
	struct pending *p;

	LIST_FOREACH(p, bucket(c, xid), link)
		if (p->xid == xid)
			return p;
	return NULL;
}

static int xid_is_dead(const struct hrpc_conn *c, uint32_t xid)
{
	unsigned i, n = c->ndead < DEAD_XIDS ? c->ndead : DEAD_XIDS;

	for (i = 0; i < n; i++)
		if (c->dead[i] == xid)
			return 1;
	return 0;
}

static void call_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct hrpc_conn *c = p->c;
	hrpc_done_fn done = p->done;
	void *cbarg = p->cbarg;

	/* Remember the xid: a late reply is not a protocol error. */
	c->dead[c->ndead++ % DEAD_XIDS] = p->xid;
	hrpc_conn_ref(c);
	pending_free(p);
	done(cbarg, ETIMEDOUT, NULL);
	hrpc_conn_unref(c);
}

int hrpc_call(struct hrpc_conn *c, uint32_t prog, uint32_t vers, uint32_t proc,
	      xdrproc_t argproc, const void *args,
	      xdrproc_t resproc, size_t ressize,
	      unsigned timeout_ms, hrpc_done_fn done, void *cbarg)
{
	return hrpc_call_as(c, NULL, prog, vers, proc, argproc, args, resproc,
			    ressize, timeout_ms, done, cbarg);
}

int hrpc_call_as(struct hrpc_conn *c, const struct hrpc_cred *cred,
		 uint32_t prog, uint32_t vers, uint32_t proc,
		 xdrproc_t argproc, const void *args,
		 xdrproc_t resproc, size_t ressize,
		 unsigned timeout_ms, hrpc_done_fn done, void *cbarg)
{
	return hrpc_call_hold(c, cred, NULL, prog, vers, proc, argproc, args,
			      resproc, ressize, timeout_ms, done, cbarg);
}

int hrpc_call_hold(struct hrpc_conn *c, const struct hrpc_cred *cred,
		   struct hrpc_buf *hold, uint32_t prog, uint32_t vers,
		   uint32_t proc, xdrproc_t argproc, const void *args,
		   xdrproc_t resproc, size_t ressize,
		   unsigned timeout_ms, hrpc_done_fn done, void *cbarg)
{
	struct opaque_auth none = { AUTH_NONE, NULL, 0 }, as = none;
	struct rpc_msg m;
	struct pending *p;
	struct timeval tv;
	int r;

	if (c->state != C_UP)
		return -ENOTCONN;
	if (cred) {
		if (cred->len > HRPC_MAX_CRED || (cred->len && !cred->body))
			return -EINVAL;
		as.oa_flavor = (enum_t)cred->flavor;
		as.oa_base = (caddr_t)cred->body;
		as.oa_length = cred->len;
	}
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->timer = evtimer_new(c->base, call_timeout_cb, p);
	if (!p->timer) {
		free(p);
		return -ENOMEM;
	}
	do
		p->xid = c->next_xid++;
	while (find_pending(c, p->xid));
	memset(&m, 0, sizeof m);
	m.rm_xid = p->xid;
	m.rm_direction = CALL;
	m.rm_call.cb_rpcvers = RPC_VERS;
	m.rm_call.cb_prog = prog;
	m.rm_call.cb_vers = vers;
	m.rm_call.cb_proc = proc;
	m.rm_call.cb_cred = as;
	m.rm_call.cb_verf = none;
	r = conn_send_msg_hold(c, (xdrproc_t)xdr_callmsg, &m,
			       argproc ? argproc : conn_xdr_nothing_proc(),
			       args, hold);
	if (r < 0) {
		event_free(p->timer);
		free(p);
		return r;
	}
	p->c = c;
	p->resproc = resproc ? resproc : conn_xdr_nothing_proc();
	p->ressize = ressize;
	p->done = done;
	p->cbarg = cbarg;
	LIST_INSERT_HEAD(bucket(c, p->xid), p, link);
	c->npending++;
	conn_ms_to_tv(timeout_ms ? timeout_ms : HRPC_DEFAULT_TIMEOUT_MS, &tv);
	evtimer_add(p->timer, &tv);
	return 0;
}

/* A reply arrived: complete its call.  Returns 0 or the errno that closes
 * the conn. */
int conn_handle_reply(struct hrpc_conn *c, unsigned char *rec, size_t len)
{
	char verf[MAX_AUTH_BYTES];
	struct pending *p = find_pending(c, conn_be32(rec));
	struct rpc_msg m;
	hrpc_done_fn done;
	void *cbarg, *res;
	xdrproc_t resproc;
	int ok, err;
	XDR x;

	if (!p)
		return xid_is_dead(c, conn_be32(rec)) ? 0 : EPROTO;
	done = p->done;
	cbarg = p->cbarg;
	resproc = p->resproc;
	res = calloc(1, p->ressize ? p->ressize : 1);
	pending_free(p);
	if (!res) {
		done(cbarg, ENOMEM, NULL);
		return 0;
	}
	memset(&m, 0, sizeof m);
	m.acpted_rply.ar_verf.oa_base = verf;
	m.acpted_rply.ar_results.where = res;
	m.acpted_rply.ar_results.proc = resproc;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	ok = xdr_replymsg(&x, &m);
	xdr_destroy(&x);
	if (!ok)
		err = EBADMSG;
	else if (m.rm_reply.rp_stat != MSG_ACCEPTED ||
		 m.acpted_rply.ar_stat != SUCCESS)
		err = EPROTO;
	else
		err = 0;
	done(cbarg, err, err ? NULL : res);
	xdr_free(resproc, res);
	free(res);
	return err == EBADMSG ? EBADMSG : 0;
}
