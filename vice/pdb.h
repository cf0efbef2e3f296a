/*
 * vice/pdb.h - the protection database: users, groups and their members
 * (Coda's pdb, coda-src/al in Coda's tree), in SQLite at <root>/pdb.db
 * (mode 0600, WAL, so pdbtool(8) may change it while vice runs: every
 * lookup reads the file, nothing is cached across calls), or, for a realm
 * of several servers, in etcd under /hesper/<realm>/pdb/ (pdb_etcd.c;
 * doc/design.md "The pdb in etcd").  The backends sit behind
 * pdb_store.h; this API is the same for both.
 *
 * Ids: users >= 0 (by convention the user's local uid; root is 0), groups
 * < 0 (HS_ID_* in rpc/hesper.x name the system groups, which always
 * exist).  Names: users "alice" (letters, digits, '.', '_', '-'; at most
 * PDB_NAME_MAX bytes); groups "System:..." or "owner:name" as in Coda,
 * owned by the user "owner".  Groups may contain users and groups.
 *
 * Every function returns 0 or a positive errno (ENOENT: no such name or
 * id, EEXIST, EINVAL: a malformed name or id, EIO: the database failed).
 */
#ifndef VICE_PDB_H
#define VICE_PDB_H

#include <stddef.h>
#include <stdint.h>

struct pdb;
struct vident;

/* Longest user or group name, bytes. */
#define PDB_NAME_MAX 64
/* PBKDF2 rounds of the SCRAM verifiers pdbtool makes (RFC 7677 asks at
 * least 4096; Cyrus SASL clients accept up to 65536).  vice's decoys for
 * unknown users use the same count. */
#define PDB_SCRAM_ITER 10000
/* Longest stored SASL secret (a SCRAM authPassword verifier), bytes. */
#define PDB_SECRET_MAX 512

/* Open (creating on first use, with the system groups) <root>/pdb.db. */
int pdb_open(const char *root, struct pdb **out, char *err, size_t errlen);
/* Open the realm's pdb in etcd (urls: etcd.h's comma-separated list;
 * realm: its name), creating the system groups in a new one.  EIO (or
 * etcd's errno) and err when etcd cannot be reached. */
int pdb_open_etcd(const char *urls, const char *realm, struct pdb **out,
		  char *err, size_t errlen);
/* Close; NULL is fine. */
void pdb_close(struct pdb *p);

/* Name -> id and id -> name (buf of n bytes, NUL-terminated). */
int pdb_id_of(struct pdb *p, const char *name, int32_t *id);
int pdb_name_of(struct pdb *p, int32_t id, char *buf, size_t n);

/* Fill who->cps with id's CPS: id, every group id is in (transitively,
 * at most VIDENT_MAXCPS ids in all, cycles harmless), System:AnyUser,
 * and System:AuthUser if who->authenticated; set who->admin.  who->id
 * and who->authenticated are the caller's.  An id not in the database
 * gets just itself and the system groups. */
int pdb_cps(struct pdb *p, struct vident *who);

/* A number that changes whenever anyone (pdbtool included) committed a
 * change since the last call on this handle went by: callers caching a
 * CPS compare it.  0 on error. */
uint64_t pdb_generation(struct pdb *p);

/* ---- administration (pdbtool) ---- */

/* A user called name with id (>= 0).  EEXIST: name or id taken. */
int pdb_user_add(struct pdb *p, const char *name, int32_t id);
/* The next unused user id above every existing one (Coda's nu). */
int pdb_user_next_id(struct pdb *p, int32_t *id);
/* A user called name with that next id, taken in the same transaction
 * (two pdbtools at once get two ids); *id receives it. */
int pdb_user_add_next(struct pdb *p, const char *name, int32_t *id);
/* A group "owner:name" owned by user owner; *id receives its (new,
 * negative) id.  EINVAL: name not "OWNER:x" with OWNER owner's name. */
int pdb_group_add(struct pdb *p, const char *name, int32_t owner,
		  int32_t *id);
/* Put member (a user or group) into group gid, or take it out (ENOENT
 * if it was not in).  EINVAL: gid not a group, or member == gid. */
int pdb_member_add(struct pdb *p, int32_t gid, int32_t member);
int pdb_member_del(struct pdb *p, int32_t gid, int32_t member);
/* Delete a user or group, its memberships, secret and owned groups.
 * EPERM for the system groups. */
int pdb_delete(struct pdb *p, int32_t id);

/* One entry, for listings. */
struct pdb_entry {
	int32_t id;
	int32_t owner;          /* "owner:name" groups: the owning user; else 0 */
	int has_secret;         /* users: a password is set */
	char name[PDB_NAME_MAX + 1];
};
/* Call fn for every entry, users by id then groups; stops at fn's first
 * non-zero return, which it returns. */
int pdb_each(struct pdb *p, int (*fn)(const struct pdb_entry *e, void *arg),
	     void *arg);
/* The entry with id into *e. */
int pdb_get(struct pdb *p, int32_t id, struct pdb_entry *e);
/* Related ids into out (at most max; *n the count, which may exceed
 * max): kind 'm' group id's direct members, 'g' the groups id is directly
 * in, 'o' the groups user id owns. */
int pdb_related(struct pdb *p, int32_t id, char kind, int32_t *out,
		unsigned max, unsigned *n);

/* A user's SASL secret (SCRAM-SHA-256 authPassword verifier, RFC 5803
 * form "SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY"; never a password). */
int pdb_secret_set(struct pdb *p, int32_t id, const char *secret);
/* ENOENT: no such user or no secret. */
int pdb_secret_get(struct pdb *p, int32_t id, char *buf, size_t n);

/* Is name a well-formed user name?  1 or 0. */
int pdb_user_name_ok(const char *name);

#endif /* VICE_PDB_H */
