/*
 * realm.h - realms and their servers (volreg.h): venus.conf's realm
 * (index 0), the realms file, DNS SRV records, and the realm indexes kept
 * in venus.db.  Layer: net; inside the registry (volreg.c uses it).
 */
#ifndef VENUS_REALM_H
#define VENUS_REALM_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include "hesper.h"

/* Servers one realm lists (realms file line, DNS answer). */
#define VR_MAX_ADDRS 8
/* vice's port when the realms file or DNS gives none (IANA's codasrv
 * neighbour Hesper uses, as venus.conf's default). */
#define VR_DEFAULT_PORT 2432

/* One server address. */
struct vr_addr {
	char host[HS_MAXHOSTNAME + 1];   /* DNS name or IP literal, no [] */
	int  port;
};

/* ---- parsers (pure; unit-tested) ---- */

/* One line of a realms file: realm name and its n servers. */
typedef int (*vr_realm_line_fn)(void *arg, const char *realm,
				const struct vr_addr *addr, int n);
/* Read a realms file in Coda's format: "realm server server ..." per
 * line, '#' to the end of a line is a comment, blank lines are fine; a
 * server is host, host:port or [v6]:port (port default VR_DEFAULT_PORT).
 * Calls fn per line (nonzero from fn stops with that value).  0, or -1
 * with "path:line: what" in err (a realm without servers, a bad port, a
 * name too long, more than VR_MAX_ADDRS servers). */
int vr_realms_parse(FILE *f, const char *path, vr_realm_line_fn fn, void *arg,
		    char *err, size_t errlen);
/* Parse "host", "host:port", "[v6]:port" into a (port default
 * VR_DEFAULT_PORT).  0 or -1. */
int vr_addr_parse(const char *s, struct vr_addr *a);
/* Parse a DNS answer to an SRV query (RFC 1035 message, RFC 2782 SRV
 * records) of len bytes: up to max targets into out, sorted by priority
 * then weight (highest first), and the least TTL in *ttl.  The count
 * (0: no SRV record, or the RFC 2782 "." target: no service), or -1 with
 * "what" in err: a message cut short, a bad name, a target too long. */
int vr_srv_parse(const unsigned char *msg, int len, struct vr_addr *out, int max,
		 unsigned *ttl, char *err, size_t errlen);

/* ---- the realm table (event loop only) ---- */

/* Load realm 0 (V->cfg), the realms file and venus.db's indexes.  0 or
 * an errno (logged). */
int realm_init(void);
void realm_fini(void);
/* Index of name, -1 if unknown; with add, a fresh index (not yet kept in
 * venus.db: realm_keep) or -1 when all are taken (ENOSPC logged). */
int realm_index(const char *name, int add);
const char *realm_name(unsigned idx);
/* Keep idx's name in venus.db (once a fid with it is about to be cached). */
int realm_keep(unsigned idx);
/* Forget an index that was never kept (the realm did not answer). */
void realm_drop(unsigned idx);
/* The realm's servers as known now (n: count); 0 if none known yet. */
int realm_addrs(unsigned idx, const struct vr_addr **addr);
/* Make sure idx's servers are known: now (cb runs before return) or once
 * a DNS SRV lookup ends.  cb's err: 0, ENOENT (no servers: the name is no
 * host either), EAGAIN (too many lookups at once). */
void realm_resolve(unsigned idx, void (*cb)(void *arg, int err), void *arg);
void realm_foreach(void (*fn)(void *arg, unsigned idx, const char *name), void *arg);

#endif /* VENUS_REALM_H */
