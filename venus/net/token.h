/*
 * token.h - the tokens venus holds: one per local uid (Coda's per-user
 * tokens, clog(1)), handed in over the control socket and sent as the
 * RPC credential (HS_AUTH_FLAVOR, rpc/hesper.x) of every call made for
 * that uid.  A uid without a live token calls as System:AnyUser.
 * Kept in <cachedir>/tokens (0600, rewritten atomically on each change)
 * so that a venus restart keeps them; read on first use.
 */
#ifndef VENUS_TOKEN_H
#define VENUS_TOKEN_H

#include <stdint.h>
#include <sys/types.h>
#include "hesper.h"   /* rpcgen: HS_TOKEN_MAX */

/* Most tokens held at once (one per local uid). */
#define TOKEN_MAX_USERS 1024

/* One token: sealed bytes as vice issued them plus what vice said of
 * them (protection id, name, expiry in seconds since the epoch). */
struct vtoken {
	uid_t         uid;          /* local uid it was handed in by */
	int32_t       vid;          /* protection id at vice */
	char          name[HS_MAXNAMELEN + 1];
	int64_t       expires;      /* CLOCK_REALTIME seconds */
	unsigned      len;
	unsigned char tok[HS_TOKEN_MAX];
};

/* Hold t for t->uid, replacing an older one: 0, EINVAL (len 0 or over
 * HS_TOKEN_MAX, name empty or holding white space), ENOSPC
 * (TOKEN_MAX_USERS held). */
int token_set(const struct vtoken *t);
/* The live token of uid into *out: 0, ENOENT (none), EKEYEXPIRED (held
 * but past its expiry; *out is still filled). */
int token_get(uid_t uid, struct vtoken *out);
/* Drop uid's token: 0 or ENOENT. */
int token_drop(uid_t uid);
/* Call fn for each token held (any order). */
void token_each(void (*fn)(const struct vtoken *t, void *arg), void *arg);

#endif /* VENUS_TOKEN_H */
