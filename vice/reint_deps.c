/*
 * vice/reint_deps.c - a failed record does not stop its block, but what
 * came after it in the client's log may depend on it: a record that names
 * (in any role) an object a failed or skipped record was about gets
 * HS_ESKIPPED, so that the client's view of that object stays consistent
 * and is repaired as a whole.  Directories a failed record only worked
 * in are not tainted: independent work in the same directory goes on.
 */
#include <string.h>
#include "fidset.h"
#include "reint.h"

static void bad_add(struct reint *R, const hs_fid *fid)
{
	if (fid->vnode && R->nbad < REINT_BAD)
		R->bad[R->nbad++] = *fid;
}

static int bad_has(const struct reint *R, const hs_fid *fid)
{
	unsigned i;

	for (i = 0; i < R->nbad; i++)
		if (fid_eq(&R->bad[i], fid))
			return 1;
	return 0;
}

void reint_taint(struct reint *R, const hs_cml_rec *rec)
{
	const hs_fid *obj = reint_object(rec);
	hs_fid fid;

	if (!obj || bad_has(R, obj))
		return;
	bad_add(R, obj);
	/* Later records may name it by either fid. */
	fid = *obj;
	if ((fid.vnode & HS_LOCAL_VNODE) && reint_resolve(R, &fid) == 0)
		bad_add(R, &fid);
}

int reint_tainted(struct reint *R, hs_cml_rec *rec)
{
	hs_fid *names[REINT_NAMES], fid;
	unsigned i, n = reint_names(rec, names);

	if (!R->nbad)
		return 0;
	for (i = 0; i < n; i++) {
		if (bad_has(R, names[i]))
			return 1;
		fid = *names[i];
		if ((fid.vnode & HS_LOCAL_VNODE) &&
		    reint_resolve(R, &fid) == 0 && bad_has(R, &fid))
			return 1;
	}
	return 0;
}
