/*
 * volreg.c - realms, servers and volumes (volreg.h).
 *
 * STUB of the contract: one realm, one server (V->srv), fids as vice sends
 * them.  Replaced by the multi-server registry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "venus/util/venus.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"

int vr_init(const struct vr_hooks *hooks)
{
	(void)hooks;
	return 0;
}

void vr_fini(void)
{
}

const char *vr_realm0(void)
{
	return V->cfg.realm ? V->cfg.realm : V->cfg.server ? V->cfg.server : "";
}

const char *vr_realm_name(unsigned idx)
{
	return idx == 0 ? vr_realm0() : NULL;
}

int vr_realm_index(const char *name)
{
	return strcmp(name, vr_realm0()) ? -1 : 0;
}

void vr_realm_foreach(void (*fn)(void *arg, unsigned idx, const char *name),
		      void *arg)
{
	fn(arg, 0, vr_realm0());
}

struct rootq {
	vr_root_cb cb;
	void *arg;
};

static void getroot_done(void *arg, int err, void *res)
{
	struct rootq *q = arg;
	hs_getroot_res *r = res;

	if (!err && r->status)
		err = r->status == HS_EMOVED ? EIO : r->status;
	q->cb(q->arg, err, err ? NULL : &r->hs_getroot_res_u.vol.root);
	free(q);
}

static void getroot(const char *volname, uid_t uid, vr_root_cb cb, void *arg)
{
	struct rootq *q = malloc(sizeof *q);
	hs_name n = (hs_name)volname;

	if (!q) {
		cb(arg, ENOMEM, NULL);
		return;
	}
	q->cb = cb;
	q->arg = arg;
	srv_call_as(V->srv, uid, HS_GETROOT, (xdrproc_t)xdr_hs_name, &n,
		    (xdrproc_t)xdr_hs_getroot_res, sizeof(hs_getroot_res),
		    getroot_done, q);
}

void vr_realm_root(const char *name, uid_t uid, vr_root_cb cb, void *arg)
{
	if (vr_realm_index(name) != 0) {
		cb(arg, ENOENT, NULL);
		return;
	}
	getroot("", uid, cb, arg);
}

void vr_volume_root(unsigned idx, const char *volname, uid_t uid,
		    vr_root_cb cb, void *arg)
{
	if (idx != 0) {
		cb(arg, ENOENT, NULL);
		return;
	}
	getroot(volname, uid, cb, arg);
}

const char *vr_volume_name(uint32_t lvol)
{
	return lvol == 1 ? "root" : NULL;
}

struct srv *vr_srv_of(uint32_t lvol)
{
	(void)lvol;
	return V->srv;
}

int vr_reachable(uint32_t lvol)
{
	(void)lvol;
	return srv_reachable(V->srv);
}

int vr_is_up(uint32_t lvol)
{
	(void)lvol;
	return srv_is_up(V->srv);
}

const char *vr_server_name(uint32_t lvol)
{
	(void)lvol;
	return V->srv ? srv_name(V->srv) : vr_realm0();
}

void vr_forget_location(uint32_t lvol)
{
	(void)lvol;
}

void vr_call_as(uint32_t lvol, uid_t uid, uint32_t proc, xdrproc_t argproc,
		const void *args, xdrproc_t resproc, size_t ressize,
		hrpc_done_fn done, void *cbarg)
{
	(void)lvol;
	srv_call_as(V->srv, uid, proc, argproc, args, resproc, ressize, done, cbarg);
}

void vr_ping(uint32_t lvol, void (*done)(void *arg, int err), void *arg)
{
	(void)lvol;
	srv_ping(V->srv, done, arg);
}

void vr_set_offline(int off)
{
	srv_set_offline(V->srv, off);
}

void vr_probe_now(void)
{
	srv_probe_now(V->srv);
}

void vr_srv_foreach(void (*fn)(void *arg, struct srv *s), void *arg)
{
	if (V->srv)
		fn(arg, V->srv);
}
