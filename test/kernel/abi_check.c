/*
 * abi_check.c - compile-time proof that include/hesper/coda_abi.h lays out
 * every message exactly as Linux's <linux/coda.h> (protocol version 5).
 * Built (not run) by test/kernel/run.sh; a mismatch fails the build.
 * Only this test includes <linux/coda.h>: it breaks glibc's struct
 * timeval unless linux/time.h is kept out.
 */
#define _LINUX_TIME_H
#include <stddef.h>
#include <sys/types.h>
#include <linux/posix_types.h>
#include <linux/coda.h>
#include "hesper/coda_abi.h"

#define SAME_SIZE(a, b) _Static_assert(sizeof(a) == sizeof(b), #a " vs " #b)
#define SAME_OFF(a, fa, b, fb) \
	_Static_assert(offsetof(a, fa) == offsetof(b, fb), #a "." #fa " vs " #b "." #fb)
#define SAME_VAL(a, b) _Static_assert((a) == (b), #a " vs " #b)

SAME_VAL(HCFS_KERNEL_VERSION, CODA_KERNEL_VERSION);
SAME_VAL(HCFS_IOC_KERNEL_VERSION, CIOC_KERNEL_VERSION);
SAME_VAL(HCFS_MAXNAMLEN, CODA_MAXNAMLEN);
SAME_VAL(HCFS_MAXPATHLEN, CODA_MAXPATHLEN);
SAME_VAL(HCFS_O_READ, C_O_READ);
SAME_VAL(HCFS_O_WRITE, C_O_WRITE);
SAME_VAL(HCFS_O_TRUNC, C_O_TRUNC);
SAME_VAL(HCFS_O_EXCL, C_O_EXCL);
SAME_VAL(HCFS_O_CREAT, C_O_CREAT);
_Static_assert(!(HCFS_O_WRITTEN & (C_O_READ | C_O_WRITE | C_O_TRUNC | C_O_EXCL | C_O_CREAT)),
	       "the written flag must be a bit Coda does not use");
_Static_assert(!(HCFS_O_EXTENTS & (HCFS_O_WRITTEN | C_O_READ | C_O_WRITE | C_O_TRUNC |
				   C_O_EXCL | C_O_CREAT)),
	       "the extents flag must be a bit neither Coda nor the written flag uses");
_Static_assert(HCFS_FEAT_EXTENTS != HCFS_FEAT_WRITTEN, "feature bits");
SAME_VAL(HCFS_ROOT, CODA_ROOT);
SAME_VAL(HCFS_OPEN_BY_FD, CODA_OPEN_BY_FD);
SAME_VAL(HCFS_CLOSE, CODA_CLOSE);
SAME_VAL(HCFS_GETATTR, CODA_GETATTR);
SAME_VAL(HCFS_SETATTR, CODA_SETATTR);
SAME_VAL(HCFS_ACCESS, CODA_ACCESS);
SAME_VAL(HCFS_LOOKUP, CODA_LOOKUP);
SAME_VAL(HCFS_CREATE, CODA_CREATE);
SAME_VAL(HCFS_REMOVE, CODA_REMOVE);
SAME_VAL(HCFS_LINK, CODA_LINK);
SAME_VAL(HCFS_RENAME, CODA_RENAME);
SAME_VAL(HCFS_MKDIR, CODA_MKDIR);
SAME_VAL(HCFS_RMDIR, CODA_RMDIR);
SAME_VAL(HCFS_SYMLINK, CODA_SYMLINK);
SAME_VAL(HCFS_READLINK, CODA_READLINK);
SAME_VAL(HCFS_FSYNC, CODA_FSYNC);
SAME_VAL(HCFS_SIGNAL, CODA_SIGNAL);
SAME_VAL(HCFS_REPLACE, CODA_REPLACE);
SAME_VAL(HCFS_FLUSH, CODA_FLUSH);
SAME_VAL(HCFS_PURGEUSER, CODA_PURGEUSER);
SAME_VAL(HCFS_ZAPFILE, CODA_ZAPFILE);
SAME_VAL(HCFS_ZAPDIR, CODA_ZAPDIR);
SAME_VAL(HCFS_PURGEFID, CODA_PURGEFID);
SAME_VAL(HCFS_STATFS, CODA_STATFS);
SAME_VAL(HCFS_ACCESS_INTENT, CODA_ACCESS_INTENT);
SAME_VAL(HCFS_NCALLS, CODA_NCALLS);
SAME_VAL(HCFS_ACCESS_TYPE_MMAP, CODA_ACCESS_TYPE_MMAP);
SAME_VAL(HCFS_ACCESS_TYPE_WRITE_FINISH, CODA_ACCESS_TYPE_WRITE_FINISH);
SAME_VAL((int)HCFS_VLNK, (int)C_VLNK);
SAME_VAL(HCFS_NOCACHE, CODA_NOCACHE);
SAME_VAL(HCFS_MOUNT_VERSION, CODA_MOUNT_VERSION);

SAME_SIZE(struct hcfs_fid, struct CodaFid);
SAME_SIZE(struct hcfs_vattr, struct coda_vattr);
SAME_OFF(struct hcfs_vattr, va_mode, struct coda_vattr, va_mode);
SAME_OFF(struct hcfs_vattr, va_uid, struct coda_vattr, va_uid);
SAME_OFF(struct hcfs_vattr, va_fileid, struct coda_vattr, va_fileid);
SAME_OFF(struct hcfs_vattr, va_size, struct coda_vattr, va_size);
SAME_OFF(struct hcfs_vattr, va_mtime, struct coda_vattr, va_mtime);
SAME_OFF(struct hcfs_vattr, va_rdev, struct coda_vattr, va_rdev);
SAME_OFF(struct hcfs_vattr, va_filerev, struct coda_vattr, va_filerev);
SAME_SIZE(struct hcfs_statfs, struct coda_statfs);
SAME_SIZE(struct hcfs_in_hdr, struct coda_in_hdr);
SAME_OFF(struct hcfs_in_hdr, uid, struct coda_in_hdr, uid);
SAME_SIZE(struct hcfs_out_hdr, struct coda_out_hdr);
SAME_SIZE(struct hcfs_root_out, struct coda_root_out);
SAME_SIZE(struct hcfs_fid_in, struct coda_getattr_in);
SAME_SIZE(struct hcfs_open_in, struct coda_open_by_fd_in);
SAME_SIZE(struct hcfs_open_in, struct coda_close_in);
/* The extended CLOSE: struct coda_close_in, then count, pad, cut and
 * ext[] at fixed offsets with no padding the compiler chose. */
_Static_assert(offsetof(struct hcfs_close_in, count) == sizeof(struct coda_close_in),
	       "extents follow struct coda_close_in");
_Static_assert(offsetof(struct hcfs_close_in, count) == 40, "close_in.count");
_Static_assert(offsetof(struct hcfs_close_in, pad) == 44, "close_in.pad");
_Static_assert(offsetof(struct hcfs_close_in, cut) == 48, "close_in.cut");
_Static_assert(offsetof(struct hcfs_close_in, ext) == 56, "close_in.ext");
_Static_assert(sizeof(struct hcfs_close_in) == 56, "close_in size");
_Static_assert(sizeof(struct hcfs_extent) == 16, "extent size");
_Static_assert(HCFS_CLOSE_IN_SIZE(HCFS_EXTENTS_MAX) <= HCFS_MAXMSGSIZE,
	       "the largest CLOSE fits a message");
SAME_SIZE(struct hcfs_open_by_fd_out, struct coda_open_by_fd_out);
SAME_SIZE(struct hcfs_getattr_out, struct coda_getattr_out);
SAME_SIZE(struct hcfs_setattr_in, struct coda_setattr_in);
SAME_SIZE(struct hcfs_access_in, struct coda_access_in);
SAME_SIZE(struct hcfs_lookup_in, struct coda_lookup_in);
SAME_OFF(struct hcfs_lookup_in, flags, struct coda_lookup_in, flags);
SAME_SIZE(struct hcfs_lookup_out, struct coda_lookup_out);
SAME_SIZE(struct hcfs_create_in, struct coda_create_in);
SAME_OFF(struct hcfs_create_in, name, struct coda_create_in, name);
SAME_SIZE(struct hcfs_create_out, struct coda_create_out);
SAME_SIZE(struct hcfs_create_out, struct coda_mkdir_out);
SAME_SIZE(struct hcfs_remove_in, struct coda_remove_in);
SAME_SIZE(struct hcfs_link_in, struct coda_link_in);
SAME_OFF(struct hcfs_link_in, tname, struct coda_link_in, tname);
SAME_SIZE(struct hcfs_rename_in, struct coda_rename_in);
SAME_OFF(struct hcfs_rename_in, dst_dir, struct coda_rename_in, destFid);
SAME_OFF(struct hcfs_rename_in, dstname, struct coda_rename_in, destname);
SAME_SIZE(struct hcfs_mkdir_in, struct coda_mkdir_in);
SAME_OFF(struct hcfs_mkdir_in, name, struct coda_mkdir_in, name);
SAME_SIZE(struct hcfs_symlink_in, struct coda_symlink_in);
SAME_OFF(struct hcfs_symlink_in, attr, struct coda_symlink_in, attr);
SAME_OFF(struct hcfs_symlink_in, tname, struct coda_symlink_in, tname);
SAME_SIZE(struct hcfs_readlink_out, struct coda_readlink_out);
SAME_OFF(struct hcfs_readlink_out, data, struct coda_readlink_out, data);
SAME_SIZE(struct hcfs_ioctl_in, struct coda_ioctl_in);
SAME_SIZE(struct hcfs_statfs_out, struct coda_statfs_out);
SAME_SIZE(struct hcfs_access_intent_in, struct coda_access_intent_in);
SAME_SIZE(struct hcfs_zap_out, struct coda_zapfile_out);
SAME_SIZE(struct hcfs_replace_out, struct coda_replace_out);
SAME_OFF(struct hcfs_replace_out, old_fid, struct coda_replace_out, OldFid);
SAME_SIZE(struct hcfs_purgeuser_out, struct coda_purgeuser_out);
SAME_SIZE(struct hcfs_mount_data, struct coda_mount_data);
SAME_OFF(struct hcfs_dirent, d_name, struct venus_dirent, d_name);
_Static_assert(HCFS_DIRENT_BASE == offsetof(struct venus_dirent, d_name), "dirent base");
_Static_assert(sizeof(union inputArgs) + sizeof(union outputArgs) + VC_MAXDATASIZE <=
	       HCFS_MAXMSGSIZE, "HCFS_MAXMSGSIZE covers VC_MAXMSGSIZE");

int main(void)
{
	return 0;
}
