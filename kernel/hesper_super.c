// SPDX-License-Identifier: GPL-2.0
/*
 * hesper_super.c - the "hesper" file system type: mount, root, statfs.
 *
 * mount(2) data is struct hcfs_mount_data naming an open /dev/hcfs0 fd of
 * the caller (Coda's convention); filling the super block sends ROOT and
 * GETATTR, so venus must be serving the device from another process.
 */
#include <linux/module.h>
#include <linux/fs_context.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include "hesper.h"

struct kmem_cache *hcfs_inode_cachep;

struct hcfs_fs_ctx {
	int fd;
};

static struct inode *hcfs_alloc_inode(struct super_block *sb)
{
	struct hcfs_inode *hi = alloc_inode_sb(sb, hcfs_inode_cachep, GFP_KERNEL);

	if (!hi)
		return NULL;
	memset(&hi->fid, 0, sizeof(hi->fid));
	hi->flags = 0;
	atomic_set(&hi->dir_gen, 0);
	hi->attr_gen = 0;
	INIT_LIST_HEAD(&hi->opens);
	return &hi->vfs_inode;
}

static void hcfs_free_inode(struct inode *inode)
{
	kmem_cache_free(hcfs_inode_cachep, HI(inode));
}

static void hcfs_init_once(void *p)
{
	struct hcfs_inode *hi = p;

	spin_lock_init(&hi->lock);
	inode_init_once(&hi->vfs_inode);
}

static void hcfs_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

static int hcfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct hcfs_in_hdr in = { .opcode = HCFS_STATFS };
	struct hcfs_statfs_out out;
	int outsize = sizeof(out);
	int err;

	err = hcfs_upcall(dentry->d_sb, &in, sizeof(in), &out, &outsize, NULL);
	if (!err && outsize < (int)sizeof(out))
		err = -EIO;
	if (err)
		return err;
	buf->f_type = HCFS_SUPER_MAGIC;
	buf->f_bsize = 4096;
	buf->f_blocks = max(out.stat.f_blocks, 0);
	buf->f_bfree = max(out.stat.f_bfree, 0);
	buf->f_bavail = max(out.stat.f_bavail, 0);
	buf->f_files = max(out.stat.f_files, 0);
	buf->f_ffree = max(out.stat.f_ffree, 0);
	buf->f_namelen = HCFS_MAXNAMLEN;
	return 0;
}

static const struct super_operations hcfs_sops = {
	.alloc_inode	= hcfs_alloc_inode,
	.free_inode	= hcfs_free_inode,
	.evict_inode	= hcfs_evict_inode,
	.statfs		= hcfs_statfs,
};

static int hcfs_get_root(struct super_block *sb, struct inode **rootp)
{
	struct hcfs_in_hdr in = { .opcode = HCFS_ROOT };
	struct hcfs_root_out rout;
	struct hcfs_fid_in gin = { .ih.opcode = HCFS_GETATTR };
	struct hcfs_getattr_out gout;
	int outsize = sizeof(rout);
	struct inode *inode;
	int err;

	err = hcfs_upcall(sb, &in, sizeof(in), &rout, &outsize, NULL);
	if (!err && outsize < (int)sizeof(rout))
		err = -EIO;
	if (err)
		return err;
	gin.fid = rout.fid;
	outsize = sizeof(gout);
	err = hcfs_upcall(sb, &gin, sizeof(gin), &gout, &outsize, NULL);
	if (!err && outsize < (int)sizeof(gout))
		err = -EIO;
	if (err)
		return err;
	if (gout.attr.va_type != HCFS_VDIR)
		return -ENOTDIR;
	inode = hcfs_iget(sb, &rout.fid, &gout.attr);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	*rootp = inode;
	return 0;
}

static int hcfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct hcfs_fs_ctx *ctx = fc->fs_private;
	struct hcfs_sb_info *sbi;
	struct hcfs_chan *chan;
	struct inode *root;
	int err;

	chan = hcfs_chan_from_fd(ctx->fd);
	if (!chan)
		return invalf(fc, "hesper: fd %d is not an open " HCFS_DEVICE, ctx->fd);
	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi) {
		hcfs_chan_put(chan);
		return -ENOMEM;
	}
	sbi->chan = chan;
	atomic_set(&sbi->gen, 1);
	sb->s_fs_info = sbi;	/* kill_sb cleans up from here on */
	err = hcfs_chan_attach(chan, sb);
	if (err)
		return err;

	sb->s_magic = HCFS_SUPER_MAGIC;
	sb->s_op = &hcfs_sops;
	hcfs_set_default_d_op(sb, &hcfs_dentry_ops);
	sb->s_blocksize = 4096;
	sb->s_blocksize_bits = 12;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;

	err = hcfs_get_root(sb, &root);
	if (err)
		return err;
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	return 0;
}

static int hcfs_parse_monolithic(struct fs_context *fc, void *data)
{
	struct hcfs_fs_ctx *ctx = fc->fs_private;
	struct hcfs_mount_data *md = data;

	/* data is a page copied from user space: only the struct is read. */
	if (!md)
		return invalf(fc, "hesper: mount data (struct hcfs_mount_data) required");
	if (md->version != HCFS_MOUNT_VERSION)
		return invalf(fc, "hesper: mount data version %d, want %d",
			      md->version, HCFS_MOUNT_VERSION);
	ctx->fd = md->fd;
	return 0;
}

static int hcfs_get_tree(struct fs_context *fc)
{
	struct hcfs_fs_ctx *ctx = fc->fs_private;

	if (ctx->fd < 0)
		return invalf(fc, "hesper: no device fd given");
	return get_tree_nodev(fc, hcfs_fill_super);
}

static void hcfs_free_fc(struct fs_context *fc)
{
	kfree(fc->fs_private);
}

static const struct fs_context_operations hcfs_context_ops = {
	.parse_monolithic	= hcfs_parse_monolithic,
	.get_tree		= hcfs_get_tree,
	.free			= hcfs_free_fc,
};

static int hcfs_init_fs_context(struct fs_context *fc)
{
	struct hcfs_fs_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->fd = -1;
	fc->fs_private = ctx;
	fc->ops = &hcfs_context_ops;
	return 0;
}

static void hcfs_kill_sb(struct super_block *sb)
{
	struct hcfs_sb_info *sbi = HSB(sb);

	/* No downcall may look at this super block once it starts dying. */
	if (sbi)
		hcfs_chan_detach(sbi->chan, sb);
	kill_anon_super(sb);
	if (sbi) {
		hcfs_chan_put(sbi->chan);
		kfree(sbi);
	}
}

static struct file_system_type hcfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= HCFS_FSTYPE,
	.init_fs_context	= hcfs_init_fs_context,
	.kill_sb		= hcfs_kill_sb,
	.fs_flags		= FS_BINARY_MOUNTDATA,
};

int hcfs_register_fs(void)
{
	int err;

	hcfs_inode_cachep = kmem_cache_create("hesper_inode_cache",
					      sizeof(struct hcfs_inode), 0,
					      SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					      hcfs_init_once);
	if (!hcfs_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&hcfs_fs_type);
	if (err)
		kmem_cache_destroy(hcfs_inode_cachep);
	return err;
}

void hcfs_unregister_fs(void)
{
	unregister_filesystem(&hcfs_fs_type);
	rcu_barrier();	/* free_inode runs after an RCU grace period */
	kmem_cache_destroy(hcfs_inode_cachep);
}
