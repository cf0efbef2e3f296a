/*
 * vice/auth.c - HS_AUTH: one SASL exchange per chain of calls (Cyrus
 * SASL server side), ending in a sealed token (auth_token.c).
 *
 * Secrets come from pdb only, through an auxprop plugin registered in
 * this process ("hesper"): it hands SCRAM its stored authPassword
 * verifier, never a password, and no sasldb or system file is consulted.
 * Exchanges live in a bounded table (VAUTH_MAX_EXCHANGES, a few per
 * connection, VAUTH_EXCHANGE_TTL seconds each).  Every failure answers
 * EACCES: an unknown user and a wrong password look the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#include "hesper/saslpolicy.h"

#include "auth.h"
#include "pdb.h"

#define SERVICE "hesper"

/* One SASL exchange in progress. */
struct exch {
	uint64_t session;       /* 0: free slot */
	struct vclient *owner;
	sasl_conn_t *conn;
	time_t deadline;        /* CLOCK_MONOTONIC seconds */
	unsigned lifetime;      /* seconds the client asked for; 0: default */
	int gssapi;
};

static struct {
	int up;
	struct vice *v;
	char host[256];
	char mechs[64];
	unsigned max_lifetime;
	struct exch ex[VAUTH_MAX_EXCHANGES];
} A;

static time_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- the auxprop plugin: pdb's verifiers for SCRAM ---- */

/* A verifier for a name with none (unknown user, Kerberos-only user):
 * stable per name, derived from auth.key, so the exchange looks like a
 * real user's up to the final EACCES (RFC 5802 section 9: no user
 * enumeration through the server-first message). */
static int decoy(const char *name, char *out, size_t n)
{
	unsigned char salt[32], stored[32], server[32];
	char s64[48], st64[48], sv64[48];

	if (vtoken_mac("scram-salt", name, strlen(name), salt) ||
	    vtoken_mac("scram-stored", name, strlen(name), stored) ||
	    vtoken_mac("scram-server", name, strlen(name), server))
		return -1;
	EVP_EncodeBlock((unsigned char *)s64, salt, 16);
	EVP_EncodeBlock((unsigned char *)st64, stored, 32);
	EVP_EncodeBlock((unsigned char *)sv64, server, 32);
	snprintf(out, n, "SCRAM-SHA-256$%d:%s$%s:%s", PDB_SCRAM_ITER, s64,
		 st64, sv64);
	return 0;
}

static int aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
		      const char *user, unsigned ulen)
{
	const struct propval *cur;
	char name[PDB_NAME_MAX + 1], secret[PDB_SECRET_MAX + 1];
	const char *at = memchr(user, '@', ulen);
	size_t n = at ? (size_t)(at - user) : ulen;
	int32_t id;

	(void)glob;
	/* Secrets belong to the authentication id; an authzid lookup has
	 * nothing to add (and must not fail the exchange). */
	if (flags & SASL_AUXPROP_AUTHZID)
		return SASL_OK;
	if (!A.v || !A.v->pdb || n == 0 || n > PDB_NAME_MAX)
		return SASL_NOUSER;
	memcpy(name, user, n);
	name[n] = '\0';
	/* No such user, or no password (a Kerberos user): a decoy, which no
	 * proof matches; finish() refuses a name pdb does not have. */
	if ((pdb_id_of(A.v->pdb, name, &id) || id < 0 ||
	     pdb_secret_get(A.v->pdb, id, secret, sizeof secret)) &&
	    decoy(name, secret, sizeof secret))
		return SASL_NOUSER;
	for (cur = sp->utils->prop_get(sp->propctx); cur && cur->name; cur++) {
		if (strcmp(cur->name, "*authPassword"))
			continue;
		if (cur->values && !(flags & SASL_AUXPROP_OVERRIDE))
			continue;
		if (cur->values)
			sp->utils->prop_erase(sp->propctx, cur->name);
		sp->utils->prop_set(sp->propctx, cur->name, secret,
				    (int)strlen(secret));
	}
	explicit_bzero(secret, sizeof secret);
	return SASL_OK;
}

static sasl_auxprop_plug_t aux_plug = {
	0, 0, NULL, NULL, aux_lookup, "hesper", NULL,
};

static int aux_init(const sasl_utils_t *utils, int max_version,
		    int *out_version, sasl_auxprop_plug_t **plug,
		    const char *plugname)
{
	(void)utils;
	(void)plugname;
	if (max_version < SASL_AUXPROP_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_AUXPROP_PLUG_VERSION;
	*plug = &aux_plug;
	return SASL_OK;
}

/* Options libsasl2 would read from /etc/sasl2/hesper.conf: ours win. */
static int sasl_opt(void *ctx, const char *plugin, const char *option,
		    const char **result, unsigned *len)
{
	(void)ctx;
	(void)plugin;
	if (!strcmp(option, "auxprop_plugin"))
		*result = "hesper";
	else if (!strcmp(option, "mech_list"))
		*result = A.mechs;
	else if (!strcmp(option, "pwcheck_method"))
		*result = "auxprop";
	else if (!strcmp(option, "log_level"))
		*result = "0";
	else
		return SASL_FAIL;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static const sasl_callback_t callbacks[] = {
	{ SASL_CB_GETOPT, HS_SASL_CB(sasl_opt), NULL },
	{ SASL_CB_GETCONFPATH, HS_SASL_CB(hs_sasl_confpath), NULL },
	{ SASL_CB_VERIFYFILE, HS_SASL_CB(hs_sasl_verify), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

int vauth_init(struct vice *v, const struct vauth_opts *o, char *err,
	       size_t errlen)
{
	int rc;

	if (vtoken_key_load(o->root, err, errlen))
		return -1;
	A.v = v;
	A.max_lifetime = o->max_lifetime ? o->max_lifetime :
			 VAUTH_DEFAULT_LIFETIME;
	if (o->hostname)
		snprintf(A.host, sizeof A.host, "%s", o->hostname);
	else if (gethostname(A.host, sizeof A.host - 1))
		snprintf(A.host, sizeof A.host, "localhost");
	snprintf(A.mechs, sizeof A.mechs, "SCRAM-SHA-256%s",
		 o->keytab ? " GSSAPI" : "");
	if (o->keytab && access(o->keytab, R_OK)) {
		snprintf(err, errlen, "--keytab %s: %s", o->keytab,
			 strerror(errno));
		return -1;
	}
	/* The GSSAPI plugin (MIT krb5) finds its keytab here. */
	if (o->keytab && setenv("KRB5_KTNAME", o->keytab, 1)) {
		snprintf(err, errlen, "cannot set KRB5_KTNAME");
		return -1;
	}
	if (A.up)
		return 0;
	if ((rc = sasl_auxprop_add_plugin("hesper", aux_init)) != SASL_OK ||
	    (rc = sasl_server_init(callbacks, SERVICE)) != SASL_OK) {
		snprintf(err, errlen, "cannot start SASL: %s",
			 sasl_errstring(rc, NULL, NULL));
		return -1;
	}
	A.up = 1;
	return 0;
}

static void ex_free(struct exch *e)
{
	if (e->conn)
		sasl_dispose(&e->conn);
	memset(e, 0, sizeof(*e));
}

void vauth_shutdown(void)
{
	unsigned i;

	for (i = 0; i < VAUTH_MAX_EXCHANGES; i++)
		ex_free(&A.ex[i]);
	if (A.up)
		sasl_server_done();
	A.up = 0;
	A.v = NULL;
}

/* Drop expired exchanges; count c's.  Returns a free slot or NULL. */
static struct exch *ex_slot(struct vclient *c, unsigned *mine)
{
	struct exch *free_slot = NULL;
	time_t now = mono();
	unsigned i;

	*mine = 0;
	for (i = 0; i < VAUTH_MAX_EXCHANGES; i++) {
		struct exch *e = &A.ex[i];

		if (e->session && e->deadline <= now)
			ex_free(e);
		if (!e->session) {
			if (!free_slot)
				free_slot = e;
		} else if (e->owner == c) {
			(*mine)++;
		}
	}
	return free_slot;
}

static struct exch *ex_find(struct vclient *c, uint64_t session)
{
	time_t now = mono();
	unsigned i;

	for (i = 0; i < VAUTH_MAX_EXCHANGES; i++) {
		struct exch *e = &A.ex[i];

		if (e->session == session && e->owner == c) {
			if (e->deadline > now)
				return e;
			ex_free(e);
		}
	}
	return NULL;
}

void vauth_conn_gone(struct vclient *c)
{
	unsigned i;

	for (i = 0; i < VAUTH_MAX_EXCHANGES; i++)
		if (A.ex[i].session && A.ex[i].owner == c)
			ex_free(&A.ex[i]);
	free(c->auth);
	c->auth = NULL;
}

/* The exchange finished: look the user up, seal the token. */
static int finish(struct exch *e, hs_auth_ok *ok)
{
	const void *p = NULL;
	char name[PDB_NAME_MAX + 1];
	struct vtoken_info t = { 0 };
	unsigned life = e->lifetime && e->lifetime < A.max_lifetime ?
			e->lifetime : A.max_lifetime;
	size_t n;
	int32_t id;

	if (sasl_getprop(e->conn, SASL_USERNAME, &p) != SASL_OK || !p)
		return EACCES;
	/* GSSAPI names user@REALM: the pdb user is the part before '@'. */
	n = strcspn(p, "@");
	if (!n || n > PDB_NAME_MAX)
		return EACCES;
	memcpy(name, p, n);
	name[n] = '\0';
	if (pdb_id_of(A.v->pdb, name, &id) || id < 0)
		return EACCES;
	t.vid = id;
	t.issued = time(NULL);
	t.expires = t.issued + life;
	if (RAND_bytes(t.id, sizeof t.id) != 1)
		return EIO;
	ok->token.token_val = malloc(VTOKEN_LEN);
	ok->name = strdup(name);
	if (!ok->token.token_val || !ok->name)
		return ENOMEM;
	if (vtoken_seal(&t, (unsigned char *)ok->token.token_val))
		return EIO;
	ok->token.token_len = VTOKEN_LEN;
	ok->vid = id;
	ok->expires.sec = t.expires;
	ok->done = TRUE;
	vlog(LOG_INFO, "auth: %s (%d) authenticated with %s from %s, token "
	     "%02x%02x%02x%02x for %u s", name, id,
	     e->gssapi ? "GSSAPI" : "SCRAM-SHA-256",
	     hrpc_conn_peer(e->owner->conn), t.id[0], t.id[1], t.id[2],
	     t.id[3], life);
	return 0;
}

/* Copy the server's step output into the reply. */
static int out_data(hs_auth_ok *ok, const char *out, unsigned outlen)
{
	if (outlen > HS_AUTH_DATA_MAX)
		return EACCES;
	if (!outlen)
		return 0;
	ok->data.data_val = malloc(outlen);
	if (!ok->data.data_val)
		return ENOMEM;
	memcpy(ok->data.data_val, out, outlen);
	ok->data.data_len = outlen;
	return 0;
}

/* The first call: a new sasl_conn_t and sasl_server_start. */
static int start(struct vclient *c, const hs_auth_args *a, struct exch **ep)
{
	static const sasl_security_properties_t sec = {
		0, 0, 0, SASL_SEC_NOPLAINTEXT | SASL_SEC_NOANONYMOUS, NULL,
		NULL,
	};
	struct exch *e;
	unsigned mine;

	if (strcmp(a->mech, "SCRAM-SHA-256") &&
	    (strcmp(a->mech, "GSSAPI") || !strstr(A.mechs, "GSSAPI")))
		return ENOSYS;
	e = ex_slot(c, &mine);
	if (!e || mine >= VAUTH_MAX_PER_CONN)
		return EAGAIN;
	do {
		if (RAND_bytes((unsigned char *)&e->session,
			       sizeof e->session) != 1)
			return EIO;
	} while (!e->session);
	e->owner = c;
	e->deadline = mono() + VAUTH_EXCHANGE_TTL;
	e->lifetime = a->lifetime;
	e->gssapi = !strcmp(a->mech, "GSSAPI");
	if (sasl_server_new(SERVICE, A.host, NULL, NULL, NULL, NULL, 0,
			    &e->conn) != SASL_OK ||
	    sasl_setprop(e->conn, SASL_SEC_PROPS, &sec) != SASL_OK) {
		ex_free(e);
		return EIO;
	}
	*ep = e;
	return 0;
}

int op_auth(struct vclient *c, void *args, void *res)
{
	const hs_auth_args *a = args;
	hs_auth_ok *ok = &((hs_auth_res *)res)->hs_auth_res_u.ok;
	const char *out = NULL;
	unsigned outlen = 0;
	struct exch *e = NULL;
	int rc;

	if (!A.up)
		return ENOSYS;
	if (!a->session) {
		if ((rc = start(c, a, &e)))
			return rc;
		rc = sasl_server_start(e->conn, a->mech,
				       a->data.data_len ? a->data.data_val : NULL,
				       a->data.data_len, &out, &outlen);
	} else {
		if (!(e = ex_find(c, a->session)))
			return ESTALE;
		rc = sasl_server_step(e->conn, a->data.data_val,
				      a->data.data_len, &out, &outlen);
	}
	if (rc == SASL_CONTINUE) {
		ok->session = e->session;
		/* Strings must encode even when empty. */
		if (!(ok->name = strdup("")))
			rc = ENOMEM;
		else
			rc = out_data(ok, out, outlen);
		if (rc)
			ex_free(e);
		return rc;
	}
	if (rc != SASL_OK) {
		vlog(LOG_NOTICE, "auth: %s exchange from %s failed: %s",
		     e->gssapi ? "GSSAPI" : "SCRAM-SHA-256",
		     hrpc_conn_peer(c->conn), sasl_errdetail(e->conn));
		ex_free(e);
		return EACCES;
	}
	rc = out_data(ok, out, outlen);
	if (!rc)
		rc = finish(e, ok);
	ex_free(e);
	return rc;
}
