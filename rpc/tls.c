/*
 * rpc/tls.c - TLS 1.3 configuration, self-signed certificates and
 * fingerprints (OpenSSL 3 EVP interfaces).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "rpc/tls.h"

struct hrpc_tls {
	SSL_CTX *ctx;
	int server;
	int verify;   /* client: chain and name are checked */
};

static void set_err(char *err, size_t errlen, const char *what,
		    const char *file)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s%s%s", what, file ? " " : "",
			 file ? file : "", *buf ? ": " : "", buf);
}

static struct hrpc_tls *tls_new(int server, char *err, size_t errlen)
{
	struct hrpc_tls *t = calloc(1, sizeof *t);

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->server = server;
	t->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!t->ctx ||
	    !SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(t->ctx, TLS1_3_VERSION)) {
		set_err(err, errlen, "cannot set up TLS", NULL);
		hrpc_tls_free(t);
		return NULL;
	}
	/* Writes of large records may be retried from a moved buffer. */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A peer that closes TCP without close_notify is an ordinary EOF
	 * (ECONNRESET), not a TLS error: record marking already catches a
	 * truncated message. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	return t;
}

struct hrpc_tls *hrpc_tls_server(const char *certfile, const char *keyfile,
				 char *err, size_t errlen)
{
	struct hrpc_tls *t = tls_new(1, err, errlen);

	if (!t)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(t->ctx, certfile) != 1) {
		set_err(err, errlen, "cannot load certificate", certfile);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, keyfile, SSL_FILETYPE_PEM) != 1) {
		set_err(err, errlen, "cannot load key", keyfile);
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		set_err(err, errlen, "key does not match certificate", keyfile);
		goto fail;
	}
	return t;
fail:
	hrpc_tls_free(t);
	return NULL;
}

struct hrpc_tls *hrpc_tls_client(const char *cafile, char *err, size_t errlen)
{
	struct hrpc_tls *t = tls_new(0, err, errlen);

	if (!t)
		return NULL;
	if (cafile) {
		if (SSL_CTX_load_verify_locations(t->ctx, cafile, NULL) != 1) {
			set_err(err, errlen, "cannot load CA file", cafile);
			hrpc_tls_free(t);
			return NULL;
		}
		t->verify = 1;
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		/* Trust on first use: the owner pins the fingerprint. */
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	}
	return t;
}

void hrpc_tls_free(struct hrpc_tls *tls)
{
	if (!tls)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls);
}

int hrpc_tls_is_server(const struct hrpc_tls *tls)
{
	return tls->server;
}

SSL *hrpc_tls_new_ssl(struct hrpc_tls *tls, const char *host)
{
	SSL *ssl = SSL_new(tls->ctx);
	unsigned char ip[16];
	int is_ip;

	if (!ssl || tls->server || !host)
		return ssl;
	is_ip = inet_pton(AF_INET, host, ip) == 1 ||
		inet_pton(AF_INET6, host, ip) == 1;
	if (!is_ip)
		SSL_set_tlsext_host_name(ssl, host);
	if (tls->verify) {
		X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
		int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(p, host)
			       : X509_VERIFY_PARAM_set1_host(p, host, 0);
		if (!ok) {
			SSL_free(ssl);
			return NULL;
		}
	}
	return ssl;
}

void hrpc_tls_x509_fp(X509 *x, char fp[HRPC_FP_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;
	char *p = fp;

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
		fp[0] = '\0';
		return;
	}
	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ':';
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

int hrpc_tls_cert_fingerprint(const char *certfile, char fp[HRPC_FP_LEN])
{
	FILE *f = fopen(certfile, "r");
	X509 *x;

	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x) {
		ERR_clear_error();
		return -EINVAL;
	}
	hrpc_tls_x509_fp(x, fp);
	X509_free(x);
	return fp[0] ? 0 : -EINVAL;
}

/* ---- self-signed certificate ---- */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[300];
	int ok;

	if (!x || RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f;   /* positive */
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	snprintf(san, sizeof san, "DNS:%s", cn);
	name = X509_get_subject_name(x);
	ok = bn && X509_set_version(x, X509_VERSION_3) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_issuer_name(x, name) &&
	     X509_set_pubkey(x, key) &&
	     add_ext(x, NID_basic_constraints, "critical,CA:TRUE") &&
	     add_ext(x, NID_subject_key_identifier, "hash") &&
	     add_ext(x, NID_subject_alt_name, san) &&
	     X509_sign(x, key, EVP_sha256());
	BN_free(bn);
	if (ok)
		return x;
fail:
	X509_free(x);
	return NULL;
}

/* Write with fn to path, created with mode; 0 or -errno. */
static int write_pem(const char *path, mode_t mode,
		     int (*fn)(FILE *, const void *), const void *obj)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		return -e;
	}
	ok = fn(f, obj);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -EIO;
}

static int pem_key(FILE *f, const void *k)
{
	return PEM_write_PrivateKey(f, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

static int pem_cert(FILE *f, const void *x)
{
	return PEM_write_X509(f, (X509 *)x);
}

int hrpc_tls_make_selfsigned(const char *certfile, const char *keyfile,
			     const char *cn, char fp[HRPC_FP_LEN])
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = key ? make_cert(key, cn) : NULL;
	int r = -ENOMEM;

	if (x) {
		r = write_pem(keyfile, 0600, pem_key, key);
		if (!r)
			r = write_pem(certfile, 0644, pem_cert, x);
		if (!r && fp)
			hrpc_tls_x509_fp(x, fp);
	}
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}
