/*
 * vice/auth_token.c - tokens sealed with AES-256-GCM (OpenSSL EVP) under
 * <root>/auth.key.  Layout: format byte (1), nonce (12), ciphertext of
 * the payload (37), tag (16).  Payload, big-endian: version (1), vid (4),
 * issued (8), expires (8), random id (16).  The format byte is the AAD.
 * A fresh random nonce per token: 2^96 nonces make a collision under one
 * key negligible at any realistic rate of clogs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"

#define FORMAT 1
#define VERSION 1
#define NONCE 12
#define TAG 16
#define PAYLOAD 37

static unsigned char key[32];
static int have_key;

/* Make the key file: random bytes, 0600, written whole before rename. */
static int key_make(const char *path, char *err, size_t errlen)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.new", path);
	if (RAND_bytes(key, sizeof key) != 1) {
		snprintf(err, errlen, "cannot make a random key");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, key, sizeof key) != (ssize_t)sizeof key ||
	    fsync(fd) || close(fd) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int vtoken_key_load(const char *root, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/auth.key", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (key_make(path, err, errlen))
			return -1;
		have_key = 1;
		return 0;
	}
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = read(fd, key, sizeof key);
	close(fd);
	if (n != (ssize_t)sizeof key || st.st_size != (off_t)sizeof key) {
		snprintf(err, errlen, "%s: not a %zu-byte key", path, sizeof key);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: readable by others (mode %o): "
			 "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	have_key = 1;
	return 0;
}

static void put(unsigned char *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* AES-256-GCM one shot; enc 1 seals, 0 opens (tag checked).  0 or -1. */
static int gcm(int enc, const unsigned char *nonce, const unsigned char *in,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	unsigned char aad = FORMAT;
	int len, ok;

	ok = x && EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) &&
	     EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc) &&
	     EVP_CipherUpdate(x, NULL, &len, &aad, 1) &&
	     EVP_CipherUpdate(x, out, &len, in, PAYLOAD) && len == PAYLOAD &&
	     (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG, tag)) &&
	     EVP_CipherFinal_ex(x, out + len, &len) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG, tag));
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

int vtoken_seal(const struct vtoken_info *t, unsigned char *out)
{
	unsigned char pl[PAYLOAD];

	if (!have_key)
		return EIO;
	pl[0] = VERSION;
	put(pl + 1, (uint32_t)t->vid, 4);
	put(pl + 5, (uint64_t)t->issued, 8);
	put(pl + 13, (uint64_t)t->expires, 8);
	memcpy(pl + 21, t->id, 16);
	out[0] = FORMAT;
	if (RAND_bytes(out + 1, NONCE) != 1 ||
	    gcm(1, out + 1, pl, out + 1 + NONCE, out + 1 + NONCE + PAYLOAD))
		return EIO;
	return 0;
}

int vtoken_open(const unsigned char *in, unsigned len, struct vtoken_info *t)
{
	unsigned char pl[PAYLOAD], tag[TAG];

	if (!have_key || len != VTOKEN_LEN || in[0] != FORMAT)
		return EINVAL;
	memcpy(tag, in + 1 + NONCE + PAYLOAD, TAG);
	if (gcm(0, in + 1, in + 1 + NONCE, pl, tag) || pl[0] != VERSION)
		return EINVAL;
	t->vid = (int32_t)(uint32_t)get(pl + 1, 4);
	t->issued = (int64_t)get(pl + 5, 8);
	t->expires = (int64_t)get(pl + 13, 8);
	memcpy(t->id, pl + 21, 16);
	return 0;
}

int vtoken_mac(const char *label, const void *data, size_t n,
	       unsigned char out[32])
{
	unsigned char buf[512];
	size_t l = strlen(label) + 1;
	unsigned len = 32;

	if (!have_key || l + n > sizeof buf)
		return EIO;
	memcpy(buf, label, l);
	memcpy(buf + l, data, n);
	return HMAC(EVP_sha256(), key, sizeof key, buf, l + n, out, &len) ?
	       0 : EIO;
}
