/*
 * wire.c - the hooks through which venus's lower layers report upward
 * (wire.h).  Each adapter only forwards: the decisions stay in the layer
 * it forwards to.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "venus/util/venus.h"
#include "venus/store/cache.h"
#include "venus/log/cml.h"
#include "venus/core/fsobj.h"
#include "venus/core/rights.h"
#include "venus/hoard/hoard.h"
#include "venus/repair/reint.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/net/token.h"
#include "venus/log/volstate.h"
#include "venus/wire.h"

/* The volumes served by s follow it. */
static void vr_server_up(void *arg, struct srv *s)
{
	vst_srv_up(s);
	fso_valid_srv_up(s);
}

static void vr_server_down(void *arg, struct srv *s)
{
	vst_srv_down(s);
}

static void vr_cb_break(void *arg, const hs_fid *fid)
{
	fso_cb_break(fid);
}

static void vr_cb_lost(void *arg, struct srv *s)
{
	fso_cb_lost_srv(s);
}

static void vr_vol_moved(void *arg, uint32_t lvol)
{
	fso_vol_moved(lvol);
}

static void vr_fence(void *arg, void (*done)(void *done_arg), void *done_arg)
{
	fso_front_fence(done, done_arg);
}

static const struct vr_hooks vr_hooks = {
	.server_up = vr_server_up,
	.server_down = vr_server_down,
	.cb_break = vr_cb_break,
	.cb_lost = vr_cb_lost,
	.vol_moved = vr_vol_moved,
	.fence = vr_fence,
};

struct srv *wire_srv_start(int *err)
{
	struct srv *s;

	if ((*err = vr_init(&vr_hooks)))
		return NULL;
	if (!(s = vr_srv0())) {
		vr_fini();
		*err = EINVAL;
	}
	return s;
}

static void vol_trickle(void *arg, uint32_t lvol, unsigned age, unsigned budget, int retry)
{
	if (retry)
		reint_retry_quota(arg, lvol);
	reint_run_vol(arg, lvol, age, budget, NULL, NULL, NULL);
}

static int vol_busy(void *arg, uint32_t lvol)
{
	return reint_vol_running(arg, lvol);
}

/* A user got a token: rights noted without it are stale, and records of
 * theirs that waited for one may go. */
static void token_new(void *arg, uid_t uid)
{
	rights_forget_uid(uid);
	if (reint_token(arg, uid))
		vst_kick(NULL);   /* every volume: the token is the user's */
}

struct volume *wire_volume(struct srv *srv, struct cml *cml, struct reint *ri)
{
	struct vst_hooks h = { .trickle = vol_trickle, .busy = vol_busy, .arg = ri };

	token_set_hook(token_new, ri);
	return vst_init(srv, cml, &h);
}

static void cml_settled(void *arg, int committed)
{
	fso_gone_settle(committed);
}

void wire_cml(struct cml *c)
{
	cml_set_settle_hook(c, cml_settled, NULL);
}

static unsigned cache_prio(void *arg, uint64_t ino)
{
	return hoard_priority(arg, ino);
}

void wire_cache(struct hoard *h)
{
	cache_set_priority(cache_prio, h);
}
