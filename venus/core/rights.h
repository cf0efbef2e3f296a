/*
 * rights.h - the access rights each local uid has on each directory, as
 * vice last reported them (hs_attr.rights / anyrights, Coda's
 * CallerAccess / AnyAccess), kept while the directory's callback promise
 * holds.  A uid without a token has System:AnyUser's rights.
 */
#ifndef VENUS_RIGHTS_H
#define VENUS_RIGHTS_H

#include <sys/types.h>
#include "hesper.h"   /* rpcgen: hs_fid, HS_R_* */

/* Rights vice reported for uid on dir (rights) and for System:AnyUser
 * (anyrights). */
void rights_note(const hs_fid *dir, uid_t uid, unsigned rights,
		 unsigned anyrights);
/* uid's rights on dir into *rights: 0, or ENOENT when not known (ask vice
 * as uid).  Falls back to the AnyUser rights of dir for a uid without a
 * token. */
int rights_get(const hs_fid *dir, uid_t uid, unsigned *rights);
/* dir's callback broke (or its ACL changed): forget every uid's rights. */
void rights_forget(const hs_fid *dir);
/* Every promise is void (connection lost): forget everything. */
void rights_forget_all(void);

#endif /* VENUS_RIGHTS_H */
