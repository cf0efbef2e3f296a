/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the few VFS API differences between the kernels Hesper
 * builds against: Debian 12's 6.1, bookworm-backports' 6.12 and the newest
 * Debian ships (trixie-backports' 7.3), each booted by test/kernel/run.sh.
 * Each guard names the release that changed the API.
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

/* 6.17 renamed call_mmap() to vfs_mmap() ("mm: rename call_mmap/
 * mmap_prepare to vfs_mmap/mmap_prepare"); it also runs ->mmap_prepare. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define hcfs_call_mmap(f, vma)	vfs_mmap(f, vma)
#else
#define hcfs_call_mmap(f, vma)	call_mmap(f, vma)
#endif

/* 6.16 added ->mmap_prepare() as the other way a file can be mapped ("mm:
 * introduce new .mmap_prepare() file callback"); ext4 and tmpfs have only
 * it since 6.17, so a container file may lack ->mmap. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define hcfs_can_mmap(f)	((f)->f_op->mmap || (f)->f_op->mmap_prepare)
#else
#define hcfs_can_mmap(f)	((f)->f_op->mmap != NULL)
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

/* 6.17 made the superblock's default dentry operations private (s_d_op
 * became __s_d_op; "new helper: set_default_d_op()"). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define hcfs_set_default_d_op(sb, ops)	set_default_d_op(sb, ops)
#else
#define hcfs_set_default_d_op(sb, ops)	((sb)->s_d_op = (ops))
#endif

/* 6.19 added accessors for inode->i_state (inode_state_read_once() and
 * co., per OpenZFS's configure check); later the field became a struct,
 * so reading it directly no longer compiles. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#define hcfs_inode_state(i)	inode_state_read_once(i)
#else
#define hcfs_inode_state(i)	READ_ONCE((i)->i_state)
#endif

/* 6.14 gave ->d_revalidate() the parent directory and the name ("make
 * ->d_revalidate() take parent directory and name"); we still find both
 * from the dentry as before, so they go unused. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define HCFS_D_REVALIDATE_PARAMS(dentry, flags) \
	struct inode *hcfs_dir_unused, const struct qstr *hcfs_name_unused, \
	struct dentry *dentry, unsigned int flags
#else
#define HCFS_D_REVALIDATE_PARAMS(dentry, flags) \
	struct dentry *dentry, unsigned int flags
#endif

/* 6.15 made ->mkdir() return a dentry ("Change inode_operations.mkdir to
 * return struct dentry *"); NULL means the one passed was used, as ours
 * always is. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define HCFS_MKDIR_RET		struct dentry *
#define hcfs_mkdir_ret(err)	ERR_PTR(err)
#else
#define HCFS_MKDIR_RET		int
#define hcfs_mkdir_ret(err)	(err)
#endif

/* 7.0 removed ->create()'s "excl" argument ("vfs: remove the excl argument
 * from the ->create() inode_operation"); only ->atomic_open() sees O_EXCL
 * now.  We then ask venus for an exclusive create, as vfs_create() always
 * did: ->create() runs only on a name the lookup found negative, so EEXIST
 * can only come from a create racing on another client, and failing then
 * never breaks an O_EXCL caller. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#define HCFS_CREATE_EXCL_PARAM	/* none */
#define HCFS_CREATE_EXCL	true
#else
#define HCFS_CREATE_EXCL_PARAM	, bool excl
#define HCFS_CREATE_EXCL	excl
#endif

#endif /* HESPER_COMPAT_H */
