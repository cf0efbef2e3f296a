/*
 * token.h - the tokens venus holds: one per local uid and realm (Coda's
 * per-user, per-realm tokens, clog(1) user@realm), handed in over the
 * control socket and sent as the RPC credential (HS_AUTH_FLAVOR,
 * rpc/hesper.x) of every call made for that uid to a server of that
 * realm.  A uid without a live token for a realm calls its servers as
 * System:AnyUser.  Realms are named, not numbered (volreg.h's indexes are
 * venus's own), so <cachedir>/tokens (0600, rewritten atomically on each
 * change) keeps its meaning across restarts; read on first use.
 */
#ifndef VENUS_TOKEN_H
#define VENUS_TOKEN_H

#include <stdint.h>
#include <sys/types.h>
#include "hesper.h"   /* rpcgen: HS_TOKEN_MAX */

/* Most tokens held at once (one per local uid and realm). */
#define TOKEN_MAX_USERS 1024
/* Most realms one local uid holds tokens for: a user cannot fill the
 * table that every user shares. */
#define TOKEN_MAX_REALMS 32

/* One token: sealed bytes as vice issued them plus what vice said of
 * them (protection id, name, expiry in seconds since the epoch). */
struct vtoken {
	uid_t         uid;          /* local uid it was handed in by */
	int32_t       vid;          /* protection id at vice */
	char          name[HS_MAXNAMELEN + 1];
	char          realm[HS_MAXNAMELEN + 1]; /* realm name; "" = realm 0 */
	int64_t       expires;      /* CLOCK_REALTIME seconds */
	unsigned      len;
	unsigned char tok[HS_TOKEN_MAX];
};

/* Hold t for (t->uid, t->realm), replacing an older one; realm "" means
 * realm 0 (vr_realm0(), venus.conf's) and is stored as its name: 0,
 * EINVAL (len 0 or over HS_TOKEN_MAX, name or realm holding white space,
 * name empty), ENOSPC (TOKEN_MAX_USERS held, or TOKEN_MAX_REALMS by
 * t->uid). */
int token_set(const struct vtoken *t);
/* The live token of uid for realm (NULL or "": realm 0; names compare
 * without case, as DNS names do) into *out: 0, ENOENT (none),
 * EKEYEXPIRED (held but past its expiry; *out is still filled). */
int token_get_realm(uid_t uid, const char *realm, struct vtoken *out);
/* As token_get_realm for realm 0. */
int token_get(uid_t uid, struct vtoken *out);
/* As token_get_realm for the realm of local volume lvol (volreg.h; a
 * volume of no realm, such as /coda's own, counts as realm 0). */
int token_get_vol(uid_t uid, uint32_t lvol, struct vtoken *out);
/* As token_get_realm for the realm of index idx (srv_realm); ENOENT if
 * venus knows no realm idx. */
int token_get_idx(uid_t uid, unsigned idx, struct vtoken *out);
/* Drop uid's token for realm (NULL: every realm's): 0 or ENOENT. */
int token_drop_realm(uid_t uid, const char *realm);
/* Drop all of uid's tokens: 0 or ENOENT. */
int token_drop(uid_t uid);
/* Call fn for each token held (any order). */
void token_each(void (*fn)(const struct vtoken *t, void *arg), void *arg);
/* fn(arg, uid) runs after each successful token_set (on the event loop,
 * before token_set returns): main.c wires it to reintegration, whose
 * records of uid may wait for a token (reint.h).  Every volume's lane of
 * uid wakes; each asks token_get_vol for its own realm, so the records of
 * a realm still without a token go on waiting.  One hook; NULL clears. */
void token_set_hook(void (*fn)(void *arg, uid_t uid), void *arg);

#endif /* VENUS_TOKEN_H */
