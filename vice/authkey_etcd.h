/*
 * vice/authkey_etcd.h - one token key for every server of a realm whose
 * VLDB and pdb are in etcd (vice --vldb etcd): etcd key
 * /hesper/<realm>/authkey holds the 32 bytes of auth.key (auth.h).
 *
 * Trust: whoever can read that key can mint a token for any user,
 * administrators included, so etcd must then be reachable only by the
 * realm's servers: TLS with client certificates (etcd's
 * --client-cert-auth, https:// URLs), or a loopback/private network.
 * The alternative, for a site that will not trust etcd with it: copy
 * ROOT/auth.key (mode 0600) to every server before its first start;
 * vice then publishes nothing new and only checks that the two agree.
 */
#ifndef VICE_AUTHKEY_ETCD_H
#define VICE_AUTHKEY_ETCD_H

#include <stddef.h>

/* Make <root>/auth.key the realm's key before vauth_init() loads it:
 *  - absent here, present in etcd: written here (0600) from etcd;
 *  - absent in both: made (random) and published with create-if-absent;
 *    a server that loses that race takes the winner's;
 *  - present here, absent in etcd: published (the first server's key);
 *  - present in both: they must be equal.
 * 0, or -1 and err (etcd unreachable, keys differ, file errors). */
int vauth_key_etcd(const char *root, const char *urls, const char *realm,
		   char *err, size_t errlen);

#endif /* VICE_AUTHKEY_ETCD_H */
