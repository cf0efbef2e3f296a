/*
 * vice/pdb_store.h - where the protection database keeps its records:
 * the interface between pdb.c (names, ids, the system groups, the CPS
 * walk: the logic) and a backend (pdb_sqlite.c: <root>/pdb.db for one
 * server; pdb_etcd.c: keys under /hesper/<realm>/pdb/ shared by every
 * server of a realm).
 *
 * A backend fills a struct pdb_store (ops and its own state after it).
 * pdb.c has already checked names and id signs; a backend keeps its
 * records consistent on its own: a write that touches several records
 * is atomic (one SQLite transaction, one etcd txn), so a crash never
 * leaves a half-made user or a member of a deleted group.
 *
 * Every function returns 0 or a positive errno as pdb.h lists them
 * (ENOENT, EEXIST, EIO; EAGAIN: gave up after concurrent writers kept
 * winning; E2BIG: a change too large for one etcd txn).
 */
#ifndef VICE_PDB_STORE_H
#define VICE_PDB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "pdb.h"

struct pdb_store;

struct pdb_store_ops {
	void (*close)(struct pdb_store *s);
	/* pdb_generation(): changes with every committed write by anyone;
	 * 0 on error. */
	uint64_t (*generation)(struct pdb_store *s);
	/* One entry by name or by id into *e (ENOENT). */
	int (*by_name)(struct pdb_store *s, const char *name,
		       struct pdb_entry *e);
	int (*by_id)(struct pdb_store *s, int32_t id, struct pdb_entry *e);
	/* Every entry: users by id, then groups by -id; stops at fn's
	 * first non-zero return, which it returns. */
	int (*each)(struct pdb_store *s,
		    int (*fn)(const struct pdb_entry *e, void *arg), void *arg);
	/* As pdb_related(): 'm' members of id (ascending), 'g' groups id
	 * is directly in (descending), 'o' groups user id owns
	 * (descending). */
	int (*related)(struct pdb_store *s, int32_t id, char kind,
		       int32_t *out, unsigned max, unsigned *n);
	/* Create name with id unless either exists (then leave it): the
	 * system groups at open. */
	int (*seed)(struct pdb_store *s, const char *name, int32_t id);
	/* A user with id *id (EEXIST: name or id taken), or if *id is
	 * PDB_NEXT_ID with the next user id (user_next_id's), allocated in
	 * the same transaction and stored in *id. */
	int (*user_add)(struct pdb_store *s, const char *name, int32_t *id);
	/* The next user id above every existing one (etcd: every one ever
	 * made). */
	int (*user_next_id)(struct pdb_store *s, int32_t *id);
	/* A group owned by user owner, its id allocated below -205 and
	 * below every existing group id (etcd: every one ever made).
	 * EEXIST: the name is taken. */
	int (*group_add)(struct pdb_store *s, const char *name, int32_t owner,
			 int32_t *id);
	/* An edge group gid -> member (EEXIST; ENOENT: either is gone). */
	int (*member_add)(struct pdb_store *s, int32_t gid, int32_t member);
	/* Remove it (ENOENT if absent). */
	int (*member_del)(struct pdb_store *s, int32_t gid, int32_t member);
	/* Remove id, its edges and secret, the groups it owns and their
	 * edges (ENOENT if absent). */
	int (*del)(struct pdb_store *s, int32_t id);
	/* A user's SCRAM verifier (ENOENT: no such user / no secret). */
	int (*secret_set)(struct pdb_store *s, int32_t id, const char *secret);
	int (*secret_get)(struct pdb_store *s, int32_t id, char *buf, size_t n);
};

struct pdb_store {
	const struct pdb_store_ops *ops;
};

/* The lowest id a user-made group may have is below this (ids down to
 * HS_ID_ADMINS, -204, are the system's). */
#define PDB_GROUP_ID_TOP (-205)
/* user_add's "allocate the id". */
#define PDB_NEXT_ID (-1)

/* <root>/pdb.db (created 0600 on first use). */
int pdb_sqlite_open(const char *root, struct pdb_store **out, char *err,
		    size_t errlen);
/* The pdb of realm in etcd at urls (etcd.h's list). */
int pdb_etcd_open(const char *urls, const char *realm,
		  struct pdb_store **out, char *err, size_t errlen);

#endif /* VICE_PDB_STORE_H */
