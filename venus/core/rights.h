/*
 * rights.h - the access rights each local uid has on each directory, as
 * vice last reported them (hs_attr.rights / anyrights, Coda's
 * CallerAccess / AnyAccess), kept while the directory's callback promise
 * holds.  A uid without a token has System:AnyUser's rights.
 *
 * Bounded: at most RIGHTS_MAX (dir, uid) entries, the least recently
 * used going first (Coda keeps a small per-fsobj array instead), mirrored
 * in venus.db's table rights, as Coda keeps them in RVM.
 * An entry whose promise ended (the directory's callback broke, or the
 * connection that held the promises dropped) is "stale": still what vice
 * last said, and what a disconnected venus goes by (as it goes by the
 * data it last had; vice checks every record again at reintegration),
 * but never trusted while vice is reachable: the user's next call asks
 * vice again.
 */
#ifndef VENUS_RIGHTS_H
#define VENUS_RIGHTS_H

#include <sys/types.h>
#include "hesper.h"   /* rpcgen: hs_fid, HS_R_* */

/* Most (dir, uid) entries held. */
#define RIGHTS_MAX 4096

/* Rights vice reported for uid on dir (rights) and for System:AnyUser
 * (anyrights), both HS_R_* bits. */
void rights_note(const hs_fid *dir, uid_t uid, unsigned rights,
		 unsigned anyrights);
/* uid's rights on dir into *rights: 0 (current), ESTALE (its promise
 * ended since; *rights filled), or ENOENT when not known (ask vice as
 * uid).  A uid without a live token (token.h) has System:AnyUser's
 * rights on dir, as its calls go as System:AnyUser. */
int rights_get(const hs_fid *dir, uid_t uid, unsigned *rights);
/* dir's callback broke (or its ACL changed): every uid's rights on it
 * turn stale. */
void rights_forget(const hs_fid *dir);
/* Every promise is void (connection lost): what is known turns stale. */
void rights_forget_all(void);
/* uid got a token (clog, maybe for one realm of several): its rights,
 * noted while its calls went as System:AnyUser, turn stale. */
void rights_forget_uid(uid_t uid);
/* Drop everything in memory (venus.db's copy stays). */
void rights_clear(void);
/* Load the rights venus.db holds (noted by an earlier run), at most
 * RIGHTS_MAX, all stale; call once V->db is open.  How many. */
unsigned rights_load(void);
/* Entries held (for tests and cfs). */
unsigned rights_count(void);

#endif /* VENUS_RIGHTS_H */
