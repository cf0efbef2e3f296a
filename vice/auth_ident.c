/*
 * vice/auth_ident.c - who a call is made as: its HS_AUTH_FLAVOR
 * credential's token, opened and resolved through pdb into a CPS.
 *
 * One cache entry per connection (venus sends the same token on call
 * after call): the token's bytes, the identity, and pdb's generation, so
 * a pdbtool change (a new member, a deleted user) applies to the next
 * call.  Expiry is checked on every call.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "pdb.h"

/* The connection's last token and what it resolved to. */
struct vauth_cache {
	unsigned len;
	unsigned char tok[VTOKEN_LEN];
	uint64_t gen;           /* pdb_generation() when resolved */
	int64_t expires;
	struct vident who;
};

static void anonymous(struct vident *who)
{
	memset(who, 0, sizeof(*who));
	who->id = HS_ID_ANONYMOUS;
	who->ncps = 1;
	who->cps[0] = HS_ID_ANYUSER;
}

/* A token naming System:Administrators itself opens only under the
 * realm key, so its holder sealed it: volutil (tools/volutil_conn.c),
 * run by whoever can read auth.key.  It calls as the group, with every
 * administrator's rights. */
static void key_holder(struct vident *who)
{
	memset(who, 0, sizeof(*who));
	who->id = HS_ID_ADMINS;
	who->authenticated = 1;
	who->admin = 1;
	who->ncps = 3;
	who->cps[0] = HS_ID_ADMINS;
	who->cps[1] = HS_ID_ANYUSER;
	who->cps[2] = HS_ID_AUTHUSER;
}

/* Open the token and build the identity; 0 or -1 (anonymous). */
static int resolve(struct pdb *pdb, const struct hrpc_cred *cred,
		   struct vident *who, int64_t *expires)
{
	struct vtoken_info t;
	char name[PDB_NAME_MAX + 1];
	int64_t now = time(NULL);

	if (vtoken_open(cred->body, cred->len, &t) || t.expires <= now)
		return -1;
	if (t.vid == HS_ID_ADMINS) {
		key_holder(who);
		*expires = t.expires;
		return 0;
	}
	if (t.vid < 0 || !pdb ||
	    pdb_name_of(pdb, t.vid, name, sizeof name))
		return -1;
	memset(who, 0, sizeof(*who));
	who->id = t.vid;
	who->authenticated = 1;
	if (pdb_cps(pdb, who))
		return -1;
	*expires = t.expires;
	return 0;
}

void vauth_ident(struct vclient *c, struct hrpc_call *call,
		 struct vident *who)
{
	struct vauth_cache *k = c->auth;
	struct hrpc_cred cred;
	struct pdb *pdb = c->v->pdb;
	uint64_t gen;
	int64_t expires;
	const char *peer = c->conn ? hrpc_conn_peer(c->conn) : "-";

	anonymous(who);
	hrpc_call_cred(call, &cred);
	if (cred.flavor != HS_AUTH_FLAVOR || cred.len != VTOKEN_LEN)
		return;
	gen = pdb ? pdb_generation(pdb) : 0;
	if (k && k->len == cred.len && !memcmp(k->tok, cred.body, cred.len) &&
	    k->gen == gen) {
		if (k->expires > time(NULL))
			*who = k->who;
		return;
	}
	if (resolve(pdb, &cred, who, &expires)) {
		vlog(LOG_DEBUG, "%s: a token that does not open, has expired or"
		     " names a deleted user: System:AnyUser", peer);
		anonymous(who);
		return;
	}
	vlog(LOG_DEBUG, "%s: calls as id %d (%u ids in its CPS%s)",
	     peer, who->id, who->ncps,
	     who->admin ? ", an administrator" : "");
	if (!k && !(k = c->auth = calloc(1, sizeof(*k))))
		return;
	k->len = cred.len;
	memcpy(k->tok, cred.body, cred.len);
	k->gen = gen;
	k->expires = expires;
	k->who = *who;
}
