/*
 * vice/auth.h - authentication: the HS_AUTH SASL exchange (RFC 4422,
 * Cyrus SASL: SCRAM-SHA-256 per RFC 7677, GSSAPI per RFC 4752), the
 * sealed tokens it hands out, and turning each call's token back into a
 * struct vident (Coda's auth2 and its tokens; see doc/design.md
 * "Identities and tokens").
 */
#ifndef VICE_AUTH_H
#define VICE_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <hesper/rpc.h>
#include "vice.h"

/* Coda's default token lifetime (auth2: 25 hours), seconds. */
#define VAUTH_DEFAULT_LIFETIME (25 * 3600)
/* Live SASL exchanges at once, per vice and per connection. */
#define VAUTH_MAX_EXCHANGES 256
#define VAUTH_MAX_PER_CONN 4
/* An exchange not finished within this many seconds is dropped. */
#define VAUTH_EXCHANGE_TTL 30

/* What vice's options say about authentication. */
struct vauth_opts {
	const char *root;       /* vice's root: auth.key lives there */
	const char *keytab;     /* GSSAPI keytab; NULL: no GSSAPI */
	const char *hostname;   /* GSSAPI service host (hesper/HOST); NULL:
				 * gethostname() */
	unsigned max_lifetime;  /* cap on tokens, seconds; 0: the default */
};

/* Load (or make, 32 random bytes, mode 0600) <root>/auth.key and start
 * Cyrus SASL with pdb as its only secret store.  0, or -1 and err. */
int vauth_init(struct vice *v, const struct vauth_opts *o, char *err,
	       size_t errlen);
/* Undo vauth_init (drops live exchanges). */
void vauth_shutdown(void);

/* HS_AUTH (vice_op, ops.h): args hs_auth_args, res hs_auth_res. */
int op_auth(struct vclient *c, void *args, void *res);

/* The identity call is made as, into *who: from its HS_AUTH_FLAVOR
 * credential if that holds a token that opens, has not expired and names
 * a user pdb still has; anonymous (HS_ID_ANONYMOUS, CPS System:AnyUser)
 * otherwise.  Caches the last token per connection. */
void vauth_ident(struct vclient *c, struct hrpc_call *call,
		 struct vident *who);
/* c is going away: free its cache and its live exchanges. */
void vauth_conn_gone(struct vclient *c);

/* ---- auth_token.c: sealed tokens ---- */

/* What a token says.  Sealed with AES-256-GCM under auth.key: clients
 * cannot read or forge it. */
struct vtoken_info {
	int32_t  vid;           /* the user's protection id */
	int64_t  issued;        /* CLOCK_REALTIME seconds */
	int64_t  expires;       /* CLOCK_REALTIME seconds */
	uint8_t  id[16];        /* random: names this token in logs */
};
/* Sealed size, bytes (<= HS_TOKEN_MAX). */
#define VTOKEN_LEN 66

/* Load or create <root>/auth.key.  0, or -1 and err. */
int vtoken_key_load(const char *root, char *err, size_t errlen);
/* Seal t into out (VTOKEN_LEN bytes).  0, or EIO. */
int vtoken_seal(const struct vtoken_info *t, unsigned char *out);
/* HMAC-SHA-256 under auth.key of label and data into out: stable
 * per-realm pseudo-random values (the decoy SCRAM verifiers of unknown
 * users).  0, or EIO (no key). */
int vtoken_mac(const char *label, const void *data, size_t n,
	       unsigned char out[32]);
/* Open a sealed token: 0, or EINVAL (not ours, tampered, wrong length).
 * Expiry is the caller's to check. */
int vtoken_open(const unsigned char *in, unsigned len, struct vtoken_info *t);

#endif /* VICE_AUTH_H */
