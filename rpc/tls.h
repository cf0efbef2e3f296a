/*
 * rpc/tls.h - what conn.c needs from tls.c (internal to rpc/).
 */
#ifndef HESPER_RPC_TLS_H
#define HESPER_RPC_TLS_H

#include <openssl/ssl.h>
#include "hesper/rpc.h"

/* A new SSL for one connection.  For a client with a CA file, host is the
 * name (or IP address) the peer certificate must match.  NULL on error. */
SSL *hrpc_tls_new_ssl(struct hrpc_tls *tls, const char *host);
/* 1 for a server configuration. */
int hrpc_tls_is_server(const struct hrpc_tls *tls);
/* SHA-256 fingerprint of a certificate as "AA:BB:...". */
void hrpc_tls_x509_fp(X509 *x, char fp[HRPC_FP_LEN]);

#endif /* HESPER_RPC_TLS_H */
