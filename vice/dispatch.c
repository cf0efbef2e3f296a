/*
 * vice/dispatch.c - decode an HS_VICE_PROG call, run its handler, reply.
 *
 * Every result type starts with its int status, so the dispatcher sets it
 * from the handler's return value.  Calls other than HS_NULL and
 * HS_CONNECT on a connection that has not sent HS_CONNECT get EPERM.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "vice.h"
#include "store.h"
#include "ops.h"
#include "auth.h"
#include "voldump.h"
#include "rpc/xdr_inplace.h"

/* One procedure: how to decode, how to answer, who handles it. */
struct vproc {
	xdrproc_t argproc;
	size_t argsize;
	xdrproc_t resproc;
	size_t ressize;
	vice_op fn;
	int before_connect;     /* allowed before HS_CONNECT */
};

/* Arguments or results of nothing (xdr_void's type does not cast). */
static bool_t xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

#define P(a, r, f, open) { (xdrproc_t)xdr_##a, sizeof(a), \
	(xdrproc_t)xdr_##r, sizeof(r), f, open }

static const struct vproc procs[] = {
	[HS_CONNECT] = P(hs_connect_args, hs_connect_res, op_connect, 1),
	[HS_GETROOT] = P(hs_name, hs_getroot_res, op_getroot, 0),
	[HS_LISTVOL] = { (xdrproc_t)xdr_nothing, 0, (xdrproc_t)xdr_hs_listvol_res,
			 sizeof(hs_listvol_res), op_listvol, 0 },
	[HS_GETATTR] = P(hs_fid, hs_attr_res, op_getattr, 0),
	[HS_GETATTRS] = P(hs_fids, hs_attrs_res, op_getattrs, 0),
	[HS_VOLSTAMPS] = P(hs_volstamps, hs_volstamps_res, op_volstamps, 0),
	[HS_LOOKUP] = P(hs_lookup_args, hs_lookup_res, op_lookup, 0),
	[HS_READDIR] = P(hs_readdir_args, hs_readdir_res, op_readdir, 0),
	[HS_FETCH] = P(hs_fetch_args, hs_fetch_res, op_fetch, 0),
	/* The chunk's data is written from the record: no copy. */
	[HS_STORE_CHUNK] = P(hs_store_chunk_args_inplace, hs_status_res,
			     op_store_chunk, 0),
	[HS_STORE_COMMIT] = P(hs_store_commit_args, hs_attr_res,
			      op_store_commit, 0),
	[HS_STORE_DELTA] = P(hs_store_delta_args, hs_attr_res, op_store_delta, 0),
	[HS_SETATTR] = P(hs_setattr_args, hs_attr_res, op_setattr, 0),
	[HS_CREATE] = P(hs_create_args, hs_create_res, op_create, 0),
	[HS_MKDIR] = P(hs_create_args, hs_create_res, op_mkdir, 0),
	[HS_SYMLINK] = P(hs_symlink_args, hs_create_res, op_symlink, 0),
	[HS_LINK] = P(hs_link_args, hs_create_res, op_link, 0),
	[HS_REMOVE] = P(hs_remove_args, hs_remove_res, op_remove, 0),
	[HS_RMDIR] = P(hs_remove_args, hs_remove_res, op_rmdir, 0),
	[HS_RENAME] = P(hs_rename_args, hs_rename_res, op_rename, 0),
	[HS_READLINK] = P(hs_fid, hs_readlink_res, op_readlink, 0),
	[HS_STATS] = { (xdrproc_t)xdr_nothing, 0, (xdrproc_t)xdr_hs_stats_res,
		       sizeof(hs_stats_res), op_stats, 0 },
	[HS_REINTEGRATE] = P(hs_reint_args, hs_reint_res, op_reintegrate, 0),
	[HS_STAGED] = P(hs_staged_args, hs_staged_res, op_staged, 0),
	[HS_MKNOD] = P(hs_mknod_args, hs_create_res, op_mknod, 0),
	/* clog authenticates without a client id: no HS_CONNECT needed. */
	[HS_AUTH] = P(hs_auth_args, hs_auth_res, op_auth, 1),
	[HS_GETACL] = P(hs_fid, hs_acl_res, op_getacl, 0),
	[HS_SETACL] = P(hs_setacl_args, hs_attr_res, op_setacl, 0),
	[HS_GETVOLSTAT] = P(u_int, hs_volstat_res, op_getvolstat, 0),
	[HS_SETQUOTA] = P(hs_setquota_args, hs_status_res, op_setquota, 0),
	[HS_MKMOUNT] = P(hs_mkmount_args, hs_create_res, op_mkmount, 0),
	[HS_VOL_CREATE] = P(hs_volcreate_args, hs_getroot_res, op_vol_create, 0),
	[HS_VOL_REMOVE] = P(u_int, hs_status_res, op_vol_remove, 0),
	[HS_VOL_RENAME] = P(hs_volrename_args, hs_status_res, op_vol_rename, 0),
	[HS_VOL_LIST] = { (xdrproc_t)xdr_nothing, 0,
			  (xdrproc_t)xdr_hs_volstatlist_res,
			  sizeof(hs_volstatlist_res), op_vol_list, 0 },
	[HS_VOL_LOCK] = P(hs_vollock_args, hs_status_res, op_vol_lock, 0),
	[HS_VOL_DUMP] = P(hs_voldump_args, hs_voldump_res, op_vol_dump, 0),
	[HS_VOL_RESTORE_CHUNK] = P(hs_volrestore_chunk_args, hs_status_res,
				   op_vol_restore_chunk, 0),
	[HS_VOL_RESTORE] = P(hs_volrestore_args, hs_getroot_res,
			     op_vol_restore, 0),
	[HS_VOL_RELEASE] = P(hs_volrelease_args, hs_status_res,
			     op_vol_release, 0),
	/* Volume location: tools may ask without HS_CONNECT. */
	[HS_VLDB_LOOKUP] = P(hs_vldb_args, hs_vldb_res, op_vldb_lookup, 1),
};

#define NPROCS (sizeof procs / sizeof procs[0])

/* A call that ran, waiting for its breaks to be answered, then for the
 * group commit's flush. */
struct held {
	struct hrpc_call *call;
	const struct vproc *p;
	void *args, *res;
	struct vice *v;
	struct held *next;      /* in vd_flush's list */
};

/* Group commit: replies that wait for the end of the event-loop turn,
 * when one vs_flush makes every change of the turn durable. */
struct vd_flush {
	struct event *ev;       /* at VICE_PRIO_FLUSH: runs when no read is
				 * ready, i.e. after every call of the turn */
	struct event *later;    /* --sync delayed: the flush's timer */
	struct held *head, **tail;
};

static void held_free(struct held *h)
{
	free(h->args);
	free(h->res);
	free(h);
}

/* A fetch reply's data is sent where vs_fetch read it (rpc.h, struct
 * hrpc_buf): the block passes to the transport, which frees it once
 * written, instead of being copied into the record.  NULL otherwise. */
static struct hrpc_buf *reply_hold(struct held *h)
{
	hs_fetch_res *r = h->res;
	hs_fetch_ok *ok = &r->hs_fetch_res_u.ok;

	if (h->p != &procs[HS_FETCH] || r->status ||
	    ok->data.data_len < HRPC_REF_MIN)
		return NULL;
	return hrpc_buf_adopt(ok->data.data_val, ok->data.data_len);
}

/* Reply, then free what the handler left. */
static void reply_send(struct held *h)
{
	struct hrpc_buf *hold = reply_hold(h);

	hrpc_reply_hold(h->call, h->p->resproc, h->res, hold);
	if (hold) {
		((hs_fetch_res *)h->res)->hs_fetch_res_u.ok.data.data_val = NULL;
		hrpc_buf_unref(hold);
	}
	/* Handlers may leave allocations behind on failure too; free the
	 * success arm, which is all zeroes where nothing was allocated. */
	*(int *)h->res = 0;
	xdr_free(h->p->resproc, h->res);
	xdr_free(h->p->argproc, h->args);
	held_free(h);
}

/* The breaks are answered.  A reply that may show a change not yet
 * durable (the store is pending: this call's or another's) waits for
 * the turn's flush; a reply means "on disk". */
static void reply_now(void *arg)
{
	struct held *h = arg;
	struct vd_flush *f = h->v->flush;

	if (!f || f->later || !vs_pending(h->v->vs)) {
		reply_send(h);
		return;
	}
	h->next = NULL;
	*f->tail = h;
	f->tail = &h->next;
	event_active(f->ev, EV_TIMEOUT, 0);
}

/* End of the turn: one flush, then every reply that waited for it (EIO
 * if the flush failed: the changes may not be on disk). */
static void flush_now(struct vice *v)
{
	struct vd_flush *f = v->flush;
	struct held *h, *list = f->head;
	int err = vs_flush(v->vs);

	f->head = NULL;
	f->tail = &f->head;
	if (err)
		vlog(LOG_ERR, "group commit: flush failed: %s; %s", strerror(err),
		     f->later ? "the changes since the last flush, already "
				"answered (--sync delayed), may not be on disk"
			      : "the calls that waited for it get EIO");
	while ((h = list)) {
		list = h->next;
		if (err)
			*(int *)h->res = EIO;
		reply_send(h);
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	flush_now(arg);
}

/* vs_set_pending_hook: a change is waiting; flush at the turn's end,
 * or (--sync delayed) once the delay since the first one has passed. */
static void on_pending(void *arg)
{
	struct vice *v = arg;
	struct vd_flush *f = v->flush;
	struct timeval tv = { v->sync_delay_ms / 1000,
			      (v->sync_delay_ms % 1000) * 1000 };

	if (!f->later)
		event_active(f->ev, EV_TIMEOUT, 0);
	else if (!evtimer_pending(f->later, NULL))
		evtimer_add(f->later, &tv);
}

int vice_flush_init(struct vice *v, char *err, size_t errlen)
{
	struct vd_flush *f = calloc(1, sizeof *f);
	int r;

	if (!f || event_base_priority_init(v->base, VICE_NPRIO) < 0 ||
	    !(f->ev = event_new(v->base, -1, 0, on_flush, v)) ||
	    event_priority_set(f->ev, VICE_PRIO_FLUSH) < 0) {
		snprintf(err, errlen, "group commit: cannot make its event");
		if (f && f->ev)
			event_free(f->ev);
		free(f);
		return -1;
	}
	f->tail = &f->head;
	v->flush = f;
	if (v->sync_delay_ms) {
		if (!(f->later = evtimer_new(v->base, on_flush, v))) {
			snprintf(err, errlen, "group commit: cannot make its timer");
			vice_flush_stop(v);
			return -1;
		}
		vlog(LOG_NOTICE, "--sync delayed: replies do not wait for the disk; "
		     "a change is flushed within %u ms (a power loss can take "
		     "those, a crash of vice cannot)", v->sync_delay_ms);
	}
	vs_set_pending_hook(v->vs, on_pending, v);
	if ((r = vs_group_commit(v->vs, 1))) {
		snprintf(err, errlen, "group commit: %s", strerror(r));
		vice_flush_stop(v);
		return -1;
	}
	return 0;
}

void vice_flush_stop(struct vice *v)
{
	struct vd_flush *f = v->flush;

	if (!f)
		return;
	flush_now(v);
	vs_set_pending_hook(v->vs, NULL, NULL);
	(void)vs_group_commit(v->vs, 0);
	if (f->later)
		event_free(f->later);
	event_free(f->ev);
	free(f);
	v->flush = NULL;
}

/* Decode, run, and reply once the call's callback breaks are answered. */
static void run(struct vclient *c, struct hrpc_call *call,
		const struct vproc *p)
{
	struct held *h = calloc(1, sizeof(*h));
	struct vice *v = c->v;
	struct cb_wait *w;
	struct vident who;

	if (!h || !(h->args = calloc(1, p->argsize ? p->argsize : 1)) ||
	    !(h->res = calloc(1, p->ressize))) {
		hrpc_reply_error(call, SYSTEM_ERR);
		if (h)
			held_free(h);
		return;
	}
	h->call = call;
	h->p = p;
	h->v = v;
	if (!hrpc_call_args(call, p->argproc, h->args)) {
		hrpc_reply_error(call, GARBAGE_ARGS);
		held_free(h);
		return;
	}
	v->cur_wait = w = cb_wait_begin();
	vauth_ident(c, call, &who);
	v->who = &who;
	if (!c->client_id && !p->before_connect)
		*(int *)h->res = EPERM;
	else if (!(*(int *)h->res = vd_gate(v, (uint32_t)(p - procs),
					     h->args)))
		*(int *)h->res = p->fn(c, h->args, h->res);
	v->cur_wait = NULL;
	v->who = NULL;
	cb_wait_end(w, reply_now, h);
}

void vice_dispatch(struct hrpc_conn *conn, struct hrpc_call *call, void *arg)
{
	struct vclient *c = hrpc_conn_get_data(conn);
	uint32_t proc = hrpc_call_proc(call);

	if (!c) {
		hrpc_reply_error(call, SYSTEM_ERR);
		return;
	}
	if (hrpc_call_prog(call) != HS_VICE_PROG) {
		hrpc_reply_error(call, PROG_UNAVAIL);
		return;
	}
	if (hrpc_call_vers(call) != HS_VICE_V1) {
		hrpc_reply_error(call, PROG_MISMATCH);
		return;
	}
	if (proc == HS_NULL) {
		hrpc_reply(call, (xdrproc_t)xdr_nothing, NULL);
		return;
	}
	if (proc >= NPROCS || !procs[proc].fn) {
		hrpc_reply_error(call, PROC_UNAVAIL);
		return;
	}
	run(c, call, &procs[proc]);
}
