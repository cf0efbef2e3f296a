/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the few VFS API differences between the kernels Hesper
 * builds against (Debian 12's 6.1 and bookworm-backports' 6.12).
 */
#ifndef HESPER_COMPAT_H
#define HESPER_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>

/* 6.3 replaced the user_namespace argument of inode operations with a
 * struct mnt_idmap. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define HCFS_IDMAP_T		struct mnt_idmap *
#define HCFS_NOP_IDMAP		(&nop_mnt_idmap)
#else
#define HCFS_IDMAP_T		struct user_namespace *
#define HCFS_NOP_IDMAP		(&init_user_ns)
#endif

/* 6.6 gave generic_fillattr() the request mask. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define hcfs_fillattr(idmap, mask, inode, stat) \
	generic_fillattr(idmap, mask, inode, stat)
#else
#define hcfs_fillattr(idmap, mask, inode, stat) \
	generic_fillattr(idmap, inode, stat)
#endif

/* 6.6/6.7 hid the inode timestamps behind accessors. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define hcfs_set_atime(i, ts)	inode_set_atime_to_ts(i, ts)
#define hcfs_set_mtime(i, ts)	inode_set_mtime_to_ts(i, ts)
#define hcfs_set_ctime(i, ts)	inode_set_ctime_to_ts(i, ts)
#define hcfs_get_mtime(i)	inode_get_mtime(i)
#define hcfs_get_ctime(i)	inode_get_ctime(i)
#else
#define hcfs_set_atime(i, ts)	((i)->i_atime = (ts))
#define hcfs_set_mtime(i, ts)	((i)->i_mtime = (ts))
#define hcfs_set_ctime(i, ts)	((i)->i_ctime = (ts))
#define hcfs_get_mtime(i)	((i)->i_mtime)
#define hcfs_get_ctime(i)	((i)->i_ctime)
#endif

/* 6.5 removed generic_file_splice_read(); copy_splice_read() reads through
 * our ->read_iter the same way. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define hcfs_splice_read	copy_splice_read
#else
#define hcfs_splice_read	generic_file_splice_read
#endif

/* 6.12 still has call_mmap(); later kernels call it vfs_mmap(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define hcfs_call_mmap(f, vma)	vfs_mmap(f, vma)
#else
#define hcfs_call_mmap(f, vma)	call_mmap(f, vma)
#endif

/* Since 6.8 vfs_iter_write() takes freeze protection itself; before, the
 * caller had to (as coda does on 6.1). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define hcfs_start_write(f)	do { } while (0)
#define hcfs_end_write(f)	do { } while (0)
#else
#define hcfs_start_write(f)	file_start_write(f)
#define hcfs_end_write(f)	file_end_write(f)
#endif

#endif /* HESPER_COMPAT_H */
