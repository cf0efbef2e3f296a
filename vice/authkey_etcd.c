/*
 * vice/authkey_etcd.c - the realm's token key shared through etcd
 * (authkey_etcd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "authkey_etcd.h"
#include "etcd.h"

#define KEYLEN 32

/* Read path's KEYLEN bytes: 0, ENOENT, or -1 and err. */
static int key_read(const char *path, unsigned char *key, char *err,
		    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 && errno == ENOENT)
		return ENOENT;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, key, KEYLEN);
	close(fd);
	if (n != KEYLEN) {
		snprintf(err, errlen, "%s: not a %d-byte key", path, KEYLEN);
		return -1;
	}
	return 0;
}

/* Write key to path whole (temporary file, fsync, rename), mode 0600. */
static int key_write(const char *path, const unsigned char *key, char *err,
		     size_t errlen)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, key, KEYLEN) != KEYLEN || fsync(fd) ||
	    close(fd) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* etcd's copy into key: 0, ENOENT, or another errno. */
static int key_get(struct etcd *e, const char *k, unsigned char *key)
{
	char *v = NULL;
	size_t len = 0;
	int rc = etcd_get(e, k, &v, &len, NULL);

	if (!rc && len != KEYLEN)
		rc = EPROTO;
	if (!rc)
		memcpy(key, v, KEYLEN);
	if (v) {
		OPENSSL_cleanse(v, len);
		free(v);
	}
	return rc;
}

/* Agree with etcd on the key: here holds the local one (have: 1) or
 * receives the realm's.  0 or -1 and err. */
static int agree(struct etcd *e, const char *k, unsigned char *here,
		 int have, char *err, size_t errlen)
{
	unsigned char there[KEYLEN], mine[KEYLEN];
	int rc = key_get(e, k, there);

	if (rc == ENOENT) {
		if (!have && RAND_bytes(here, KEYLEN) != 1) {
			snprintf(err, errlen, "cannot make a random key");
			return -1;
		}
		memcpy(mine, here, KEYLEN);
		rc = etcd_create(e, k, mine, KEYLEN);
		if (!rc)
			return 0;
		if (rc == EEXIST)       /* another server was first */
			rc = key_get(e, k, there);
	}
	if (rc) {
		snprintf(err, errlen, "etcd key %s: %s", k,
			 *etcd_errmsg(e) ? etcd_errmsg(e) : strerror(rc));
		return -1;
	}
	if (have && CRYPTO_memcmp(here, there, KEYLEN)) {
		snprintf(err, errlen, "auth.key differs from the realm's key in"
			 " etcd (%s): tokens would not open on the other "
			 "servers; remove auth.key to take the realm's", k);
		return -1;
	}
	memcpy(here, there, KEYLEN);
	OPENSSL_cleanse(there, KEYLEN);
	return 0;
}

int vauth_key_etcd(const char *root, const char *urls, const char *realm,
		   char *err, size_t errlen)
{
	char path[4096], k[512];
	unsigned char key[KEYLEN];
	struct etcd *e;
	int have, rc;

	snprintf(path, sizeof path, "%s/auth.key", root);
	snprintf(k, sizeof k, "/hesper/%s/authkey", realm);
	if ((have = key_read(path, key, err, errlen)) < 0)
		return -1;
	have = !have;
	if (etcd_open(urls, 0, &e, err, errlen))
		return -1;
	rc = agree(e, k, key, have, err, errlen);
	etcd_close(e);
	if (!rc && !have)
		rc = key_write(path, key, err, errlen);
	OPENSSL_cleanse(key, KEYLEN);
	return rc;
}
