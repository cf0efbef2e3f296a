/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hesper.h - internal interfaces of the hesper module.
 *
 * The module is a thin Coda-protocol (version 5) file system: every VFS
 * operation that needs the server becomes an upcall to venus over
 * /dev/hcfs0, and file data lives in container files that venus hands over
 * with OPEN_BY_FD.  On top of Coda it reports, in CLOSE, whether the open
 * file was written (HCFS_O_WRITTEN) and which bytes (HCFS_O_EXTENTS).
 */
#ifndef HESPER_H
#define HESPER_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/mm.h>
#include <hesper/coda_abi.h>
#include "compat.h"

#define HCFS_SUPER_MAGIC	0x48435346	/* "HCSF" */

/* One open of /dev/hcfs0: a venus instance and its message queues. */
struct hcfs_chan {
	struct kref		ref;
	struct mutex		lock;		/* queues, dead, sb, unique */
	struct list_head	pending;	/* not yet read by venus */
	struct list_head	processing;	/* read, awaiting the reply */
	wait_queue_head_t	waitq;		/* venus readers and pollers */
	bool			dead;		/* device closed: fail upcalls */
	struct super_block	*sb;		/* mounted on this channel */
	u32			unique;
};

/* Per-mount state. */
struct hcfs_sb_info {
	struct hcfs_chan	*chan;		/* holds a reference */
	atomic_t		gen;		/* bumped by FLUSH/PURGEUSER */
};

/* Inode flag bits (hcfs_inode.flags). */
#define HI_VATTR	0	/* attributes stale: GETATTR before use */
#define HI_PURGE	1	/* object gone or renamed: drop dentries */

/* Per-inode state. */
struct hcfs_inode {
	spinlock_t		lock;		/* fid, opens */
	struct hcfs_fid		fid;
	unsigned long		flags;		/* HI_* */
	atomic_t		dir_gen;	/* dir: bumped by ZAPDIR/PURGEFID */
	int			attr_gen;	/* sbi->gen when attrs were set */
	struct list_head	opens;		/* struct hcfs_file.node */
	struct inode		vfs_inode;
};

struct hcfs_ranges;

/* Per-open state; also kept alive by every mapping made from the file. */
struct hcfs_file {
	struct file		*host;		/* the container */
	struct list_head	node;		/* in hcfs_inode.opens */
	atomic_t		written;	/* the written flag */
	int			cflags;		/* HCFS_O_* sent with OPEN */
	struct hcfs_ranges	*rg;		/* written ranges (writable
						 * opens); NULL: whole file */
};

/* A mapping of the container made through our file (vm_ops wrapper). */
struct hcfs_vm_ops {
	struct vm_operations_struct	ops;	/* host's, with our hooks */
	const struct vm_operations_struct *host_ops;
	struct file			*file;	/* our file: holds a reference */
	atomic_t			count;	/* vmas sharing this wrapper */
};

static inline struct hcfs_inode *HI(struct inode *inode)
{
	return container_of(inode, struct hcfs_inode, vfs_inode);
}

static inline struct hcfs_sb_info *HSB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* Snapshot of an inode's fid (it can change under REPLACE). */
static inline void hcfs_get_fid(struct inode *inode, struct hcfs_fid *fid)
{
	spin_lock(&HI(inode)->lock);
	*fid = HI(inode)->fid;
	spin_unlock(&HI(inode)->lock);
}

/* hesper_psdev.c */
int hcfs_psdev_init(void);
void hcfs_psdev_exit(void);
struct hcfs_chan *hcfs_chan_from_fd(int fd);
void hcfs_chan_put(struct hcfs_chan *chan);
int hcfs_chan_attach(struct hcfs_chan *chan, struct super_block *sb);
void hcfs_chan_detach(struct hcfs_chan *chan, struct super_block *sb);
/*
 * Send an upcall and wait for the reply.  in/insize: the message (header
 * filled in here apart from opcode); out/outsize: reply buffer and its
 * size, updated to the reply's length.  For OPEN_BY_FD, *filep receives
 * the container (a reference) on success.  Returns 0 or -errno (venus's
 * result, -EIO when venus is gone, -EINTR/-ETIMEDOUT when we gave up).
 */
int hcfs_upcall(struct super_block *sb, void *in, int insize,
		void *out, int *outsize, struct file **filep);
/* Same; nointr: wait even through fatal signals (bounded by the timeout
 * and by venus's death) - for CLOSE, which must reach venus. */
int hcfs_upcall_flags(struct super_block *sb, void *in, int insize,
		      void *out, int *outsize, struct file **filep, bool nointr);

/* hesper_super.c */
extern struct kmem_cache *hcfs_inode_cachep;
int hcfs_register_fs(void);
void hcfs_unregister_fs(void);

/* hesper_inode.c */
struct inode *hcfs_iget(struct super_block *sb, const struct hcfs_fid *fid,
			const struct hcfs_vattr *attr);
struct inode *hcfs_ilookup(struct super_block *sb, const struct hcfs_fid *fid);
void hcfs_replace_fid(struct inode *inode, const struct hcfs_fid *fid);
void hcfs_vattr_to_inode(struct inode *inode, const struct hcfs_vattr *va);
/* The Coda vtype (HCFS_V*) of an inode mode's S_IFMT type. */
long hcfs_mode_vtype(umode_t mode);
int hcfs_revalidate_inode(struct inode *inode);
int hcfs_getattr(HCFS_IDMAP_T idmap, const struct path *path,
		 struct kstat *stat, u32 mask, unsigned int flags);
int hcfs_setattr(HCFS_IDMAP_T idmap, struct dentry *dentry, struct iattr *attr);
int hcfs_permission(HCFS_IDMAP_T idmap, struct inode *inode, int mask);
/* A truncate to size bytes not made through one of our files: every
 * writable open is written and cut there. */
void hcfs_mark_opens_written(struct inode *inode, u64 size);
void *hcfs_alloc_msg(int opcode, int size);
extern const struct inode_operations hcfs_file_iops;
extern const struct inode_operations hcfs_symlink_iops;

/* hesper_dir.c */
extern const struct inode_operations hcfs_dir_iops;
extern const struct file_operations hcfs_dir_fops;
extern const struct dentry_operations hcfs_dentry_ops;

/* hesper_file.c */
extern const struct file_operations hcfs_file_fops;
int hcfs_open_container(struct inode *inode, struct file *file,
			struct hcfs_file **hfp);
void hcfs_close_container(struct inode *inode, struct hcfs_file *hf,
			  bool written);

/* hesper_extents.c: the written ranges of one open (HCFS_O_EXTENTS) */
/* NULL when out of memory (the open then reports the whole file). */
struct hcfs_ranges *hcfs_ranges_new(void);
void hcfs_ranges_free(struct hcfs_ranges *rg);
/* Bytes [off, off + len) of hf's container were (maybe) written; no-op
 * without ranges.  Never sleeps (page_mkwrite calls it). */
void hcfs_ranges_add(struct hcfs_file *hf, u64 off, u64 len);
/* A truncate set hf's file to size bytes (after it succeeded). */
void hcfs_ranges_cut(struct hcfs_file *hf, u64 size);
/* The CLOSE upcall with hf's ranges: flags are the HCFS_O_* to send
 * (HCFS_O_EXTENTS added); kmalloc'ed, length in *size.  NULL: no ranges
 * or no memory, send the plain written flag.  May sleep. */
struct hcfs_close_in *hcfs_ranges_close_msg(struct hcfs_file *hf, int flags,
					    int *size);

#endif /* HESPER_H */
