/*
 * vice/tlsinit.c - the server certificate: made self-signed on first
 * start, loaded afterwards.  Clients pin its fingerprint (trust on first
 * use), so an existing certificate is never replaced behind their back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vice.h"

/* The certificate's name: this host's name. */
static void host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) < 0 || !*buf)
		snprintf(buf, len, "vice");
	buf[len - 1] = '\0';
}

/* Make cert and key unless both exist; one without the other is an
 * error the administrator must look at. */
static int ensure_cert(const char *cert, const char *key, char *err,
		       size_t errlen)
{
	int have_cert = access(cert, F_OK) == 0, have_key = access(key, F_OK) == 0;
	char cn[256];
	int r;

	if (have_cert && have_key)
		return 0;
	if (have_cert || have_key) {
		snprintf(err, errlen, "%s exists without %s", have_cert ? cert : key,
			 have_cert ? key : cert);
		return -1;
	}
	host_name(cn, sizeof cn);
	r = hrpc_tls_make_selfsigned(cert, key, cn, NULL);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot create certificate: %s", cert,
			 strerror(-r));
		return -1;
	}
	vlog(LOG_INFO, "created certificate %s for %s", cert, cn);
	return 0;
}

struct hrpc_tls *vice_tls_init(const char *root, char fp[HRPC_FP_LEN],
			       char *err, size_t errlen)
{
	char dir[4096], cert[4200], key[4200];
	int r;

	snprintf(dir, sizeof dir, "%s/tls", root);
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (ensure_cert(cert, key, err, errlen) < 0)
		return NULL;
	r = hrpc_tls_cert_fingerprint(cert, fp);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", cert, strerror(-r));
		return NULL;
	}
	return hrpc_tls_server(cert, key, err, errlen);
}
