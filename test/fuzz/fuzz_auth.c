/*
 * test/fuzz/fuzz_auth.c - libFuzzer target: vice's authentication
 * (vice/auth.h): the HS_AUTH SASL steps (op_auth, Cyrus SASL's SCRAM
 * server underneath), the sealed token (vtoken_open) and the identity a
 * call's credential gives (vauth_ident).
 *
 * One vice (test/fuzz/fuzz_vice.h, vauth_init included) and a pdb user
 * "alice" (id 1000) holding a SCRAM verifier, and one connection per
 * input.  Byte 0 picks what the rest is:
 *   0: HS_AUTH steps, each a 2-byte big-endian length and that many
 *      bytes of hs_auth_args; a step whose session is 1 continues the
 *      exchange the previous reply opened (the fuzzer cannot guess its
 *      random id), and one whose data is "%FINAL%" sends the SCRAM
 *      client-final message with the right nonce and proof for alice's
 *      password (RFC 5802 section 3), so exchanges can succeed.  A reply
 *      with status 0 must encode; one that says done must carry a token
 *      that opens to the id it names, and that names it in a call.
 *   1: a credential: vtoken_open must refuse it (tokens are sealed with
 *      AES-256-GCM under a key the input cannot know) and vauth_ident
 *      must make the call anonymous.
 *   2: a bit mask XORed into a valid token of alice's (byte 1 also
 *      shortens it): unchanged, it must name alice; changed in any way,
 *      it must not open and the call must be anonymous.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "test/fuzz/fuzz_vice.h"
#include "vice/auth.h"
#include "vice/pdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALICE 1000
#define PASSWORD "fuzz-password"
#define ITER 4096

/* alice's SCRAM keys (RFC 5802 section 3), made once from PASSWORD. */
static unsigned char client_key[32], stored_key[32];

static unsigned char alice_tok[VTOKEN_LEN];

/* alice's verifier in pdb's form (tools/pdbtool.c's scram_verifier). */
static void make_alice(void)
{
	static const unsigned char salt[16] = "fuzz-salt-16byte";
	unsigned char salted[32], server_key[32];
	char s64[32], st64[48], sk64[48], secret[256];
	unsigned len = 32;

	if (!PKCS5_PBKDF2_HMAC(PASSWORD, (int)strlen(PASSWORD), salt,
			       sizeof salt, ITER, EVP_sha256(), 32, salted) ||
	    !HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key",
		  10, client_key, &len) ||
	    !EVP_Digest(client_key, 32, stored_key, NULL, EVP_sha256(), NULL) ||
	    !HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key",
		  10, server_key, &len))
		abort();
	EVP_EncodeBlock((unsigned char *)s64, salt, sizeof salt);
	EVP_EncodeBlock((unsigned char *)st64, stored_key, 32);
	EVP_EncodeBlock((unsigned char *)sk64, server_key, 32);
	snprintf(secret, sizeof secret, "SCRAM-SHA-256$%d:%s$%s:%s", ITER, s64,
		 st64, sk64);
	if (pdb_user_add(fv.pdb, "alice", ALICE) ||
	    pdb_secret_set(fv.pdb, ALICE, secret))
		abort();
}

static void init(void)
{
	static int done;
	struct vtoken_info t = { 0 };

	if (done)
		return;
	done = 1;
	fv_init();
	make_alice();
	t.vid = ALICE;
	t.issued = time(NULL);
	t.expires = t.issued + 365 * 24 * 3600;
	if (vtoken_seal(&t, alice_tok))
		abort();
}

/* The identity a call with this credential body is made as. */
static void ident(struct vclient *vc, const unsigned char *body,
		  unsigned len, struct vident *who)
{
	struct hrpc_call call;
	unsigned char *rec = malloc(len ? len : 1);

	if (!rec)
		abort();
	memcpy(rec, body, len);
	memset(&call, 0, sizeof call);
	call.c = vc->conn;
	call.rec = rec;
	call.len = len;
	call.argoff = len;
	call.cred_flavor = HS_AUTH_FLAVOR;
	call.credoff = 0;
	call.credlen = len;
	memset(who, 0xa5, sizeof *who);
	vauth_ident(vc, &call, who);
	free(rec);
}

static void check_anonymous(const struct vident *who)
{
	if (who->authenticated || who->admin || who->id != HS_ID_ANONYMOUS)
		abort();
}

/* A reply with status 0 must be encodable, as hrpc_reply will encode
 * it; a token it hands out must open, and name its user in a call. */
static void check_reply(struct vclient *vc, hs_auth_res *res)
{
	hs_auth_ok *ok = &res->hs_auth_res_u.ok;
	unsigned long n = xdr_sizeof((xdrproc_t)xdr_hs_auth_res, res);
	char *buf = malloc(n ? n : 1);
	struct vtoken_info t;
	XDR x;

	if (!buf)
		abort();
	xdrmem_create(&x, buf, (u_int)n, XDR_ENCODE);
	if (!xdr_hs_auth_res(&x, res))
		abort();
	xdr_destroy(&x);
	free(buf);
	if (ok->done && (ok->token.token_len != VTOKEN_LEN ||
			 vtoken_open((unsigned char *)ok->token.token_val,
				     ok->token.token_len, &t) ||
			 t.vid != ok->vid))
		abort();
	if (ok->done) {
		struct vident who;

		ident(vc, (unsigned char *)ok->token.token_val,
		      ok->token.token_len, &who);
		if (!who.authenticated || who.id != ok->vid)
			abort();
	}
}

/* The SCRAM client-final message for cfb (the client-first message
 * without its GS2 header) and sfirst (the server-first message): nonce
 * from sfirst, proof from alice's keys.  malloc'd, or NULL if sfirst has
 * no nonce. */
static char *client_final(const char *cfb, const char *sfirst)
{
	const char *r = strstr(sfirst, "r=");
	char bare[600], msg[2048], p64[48], *out;
	unsigned char sig[32], proof[32];
	unsigned len = 32;
	size_t n;

	if (!r)
		return NULL;
	n = strcspn(r + 2, ",");
	snprintf(bare, sizeof bare, "c=biws,r=%.*s", (int)(n < 500 ? n : 500),
		 r + 2);
	snprintf(msg, sizeof msg, "%s,%s,%s", cfb, sfirst, bare);
	if (!HMAC(EVP_sha256(), stored_key, 32, (const unsigned char *)msg,
		  strlen(msg), sig, &len))
		abort();
	for (int i = 0; i < 32; i++)
		proof[i] = client_key[i] ^ sig[i];
	EVP_EncodeBlock((unsigned char *)p64, proof, 32);
	if (!(out = malloc(strlen(bare) + 4 + strlen(p64) + 1)))
		abort();
	sprintf(out, "%s,p=%s", bare, p64);
	return out;
}

/* Text of n bytes at p, NUL-terminated, into buf (size bytes). */
static void text(char *buf, size_t size, const char *p, size_t n)
{
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(buf, p, n);
	buf[n] = '\0';
}

static void auth_steps(struct vclient *vc, const uint8_t *p, size_t n)
{
	uint64_t last = 0;
	char cfb[512] = "", sfirst[1024] = "";

	while (n >= 2) {
		size_t len = (size_t)p[0] << 8 | p[1];
		hs_auth_args a;
		hs_auth_res res;
		XDR x;
		int ok;

		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		memset(&a, 0, sizeof a);
		xdrmem_create(&x, (char *)p, (u_int)len, XDR_DECODE);
		ok = xdr_hs_auth_args(&x, &a);
		xdr_destroy(&x);
		p += len;
		n -= len;
		if (!ok) {
			xdr_free((xdrproc_t)xdr_hs_auth_args, (char *)&a);
			continue;
		}
		if (a.session == 1 && last)
			a.session = last;
		if (!a.session && a.data.data_len > 3 &&
		    !memcmp(a.data.data_val, "n,,", 3))
			text(cfb, sizeof cfb, a.data.data_val + 3,
			     a.data.data_len - 3);
		if (a.data.data_len == 7 && !memcmp(a.data.data_val, "%FINAL%", 7)) {
			char *f = client_final(cfb, sfirst);

			if (f) {
				free(a.data.data_val);
				a.data.data_val = f;
				a.data.data_len = (u_int)strlen(f);
			}
		}
		memset(&res, 0, sizeof res);
		res.status = op_auth(vc, &a, &res);
		if (res.status == 0) {
			hs_auth_ok *r = &res.hs_auth_res_u.ok;

			check_reply(vc, &res);
			last = r->session;
			text(sfirst, sizeof sfirst, r->data.data_val,
			     r->data.data_len);
		}
		/* As vice's dispatch frees what a handler left. */
		res.status = 0;
		xdr_free((xdrproc_t)xdr_hs_auth_res, (char *)&res);
		xdr_free((xdrproc_t)xdr_hs_auth_args, (char *)&a);
	}
}

static void forged(struct vclient *vc, const uint8_t *p, size_t n)
{
	struct vtoken_info t;
	struct vident who;

	if (n > HRPC_MAX_CRED)
		n = HRPC_MAX_CRED;
	if (vtoken_open(p, (unsigned)n, &t) == 0)
		abort();  /* a token made without the key opened */
	ident(vc, p, (unsigned)n, &who);
	check_anonymous(&who);
}

static void tampered(struct vclient *vc, const uint8_t *p, size_t n)
{
	unsigned char tok[VTOKEN_LEN];
	unsigned len = VTOKEN_LEN, changed = 0;
	struct vtoken_info t;
	struct vident who;

	memcpy(tok, alice_tok, sizeof tok);
	if (n >= 1) {
		len = VTOKEN_LEN - p[0] % 8;  /* 0..7 bytes shorter */
		changed = len != VTOKEN_LEN;
		p++;
		n--;
	}
	for (size_t i = 0; i < n && i < VTOKEN_LEN; i++) {
		tok[i] ^= p[i];
		changed |= p[i];
	}
	ident(vc, tok, len, &who);
	if (changed) {
		if (vtoken_open(tok, len, &t) == 0)
			abort();  /* a changed token still opens */
		check_anonymous(&who);
	} else if (!who.authenticated || who.id != ALICE) {
		abort();  /* alice's own token does not name her */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hrpc_conn *c;
	struct vclient *vc;

	if (size < 1)
		return 0;
	init();
	c = fv_conn_open();
	vc = hrpc_conn_get_data(c);
	switch (data[0] % 3) {
	case 0:
		auth_steps(vc, data + 1, size - 1);
		break;
	case 1:
		forged(vc, data + 1, size - 1);
		break;
	case 2:
		tampered(vc, data + 1, size - 1);
		break;
	}
	fv_check_output(c);
	hrpc_close(c);   /* vauth_conn_gone frees its exchanges and cache */
	event_base_loop(fv.base, EVLOOP_NONBLOCK);
	return 0;
}
