/*
 * rights.c - the rights cache (rights.h).  Not filled yet: every lookup
 * answers "unknown".
 */
#include <errno.h>

#include "venus/core/rights.h"

void rights_note(const hs_fid *dir, uid_t uid, unsigned rights,
		 unsigned anyrights)
{
	(void)dir;
	(void)uid;
	(void)rights;
	(void)anyrights;
}

int rights_get(const hs_fid *dir, uid_t uid, unsigned *rights)
{
	(void)dir;
	(void)uid;
	*rights = 0;
	return ENOENT;
}

void rights_forget(const hs_fid *dir)
{
	(void)dir;
}

void rights_forget_all(void)
{
}
