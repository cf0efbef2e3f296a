/*
 * ctl_mount_compat.c - TEMPORARY weak stand-ins for the core's mount
 * point functions (fsobj.h: fso_mount_info, fso_mkmount, fso_lsmount),
 * which the vcore branch provides.  They answer ENOSYS so that cfs's
 * mount commands build and fail clearly until the core lands; the
 * core's (strong) definitions replace them at link time.  Delete this
 * file once vcore is merged.
 */
#include <errno.h>
#include "venus/core/fsobj.h"
#include "venus/ctl/ctl_int.h"

__attribute__((weak)) int fso_mount_info(uint64_t ino, struct fso_mount *m)
{
	return ENOSYS;
}

__attribute__((weak)) void fso_mkmount(uint64_t dir, const char *name,
				       const char *volname, uid_t uid,
				       fso_attr_cb cb, void *arg)
{
	cb(arg, ENOSYS, NULL);
}

__attribute__((weak)) void fso_lsmount(uint64_t dir, const char *name, uid_t uid,
				       fso_readlink_cb cb, void *arg)
{
	cb(arg, ENOSYS, NULL);
}
