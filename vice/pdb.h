/*
 * vice/pdb.h - the protection database: users, groups and their members
 * (Coda's pdb, vice/pdb in Coda's tree), in SQLite at <root>/pdb.db.
 *
 * Ids: users > 0, groups < 0 (HS_ID_* in rpc/hesper.x name the system
 * groups, which always exist).  Names: users "alice"; groups "System:..."
 * or "owner:name" as in Coda.  Every function returns 0 or a positive
 * errno (ENOENT: no such name or id, EEXIST, EINVAL: a malformed name,
 * EIO: the database failed).
 */
#ifndef VICE_PDB_H
#define VICE_PDB_H

#include <stddef.h>
#include <stdint.h>

struct pdb;
struct vident;

/* Open (creating on first use, with the system groups) <root>/pdb.db. */
int pdb_open(const char *root, struct pdb **out, char *err, size_t errlen);
/* Close; NULL is fine. */
void pdb_close(struct pdb *p);

/* Name -> id and id -> name (buf of n bytes, NUL-terminated). */
int pdb_id_of(struct pdb *p, const char *name, int32_t *id);
int pdb_name_of(struct pdb *p, int32_t id, char *buf, size_t n);

/* Fill who->cps with id's CPS: id, every group id is in (transitively),
 * System:AnyUser, and System:AuthUser if who->authenticated; set
 * who->admin.  who->id and who->authenticated are the caller's. */
int pdb_cps(struct pdb *p, struct vident *who);

#endif /* VICE_PDB_H */
