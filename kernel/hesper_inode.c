// SPDX-License-Identifier: GPL-2.0
/*
 * hesper_inode.c - inodes named by Coda fids, attributes, setattr,
 * symlinks.
 *
 * Attributes are cached until venus zaps them (ZAPFILE, ZAPDIR, PURGEFID,
 * FLUSH, PURGEUSER): venus holds callback promises from vice and turns
 * their breaks into those downcalls.
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include "hesper.h"

void *hcfs_alloc_msg(int opcode, int size)
{
	struct hcfs_in_hdr *ih = kzalloc(size, GFP_KERNEL);

	if (ih)
		ih->opcode = opcode;
	return ih;
}

static unsigned long hcfs_fid_hash(const struct hcfs_fid *fid)
{
	return jhash2(fid->opaque, 4, 0);
}

static int hcfs_test_fid(struct inode *inode, void *data)
{
	struct hcfs_inode *hi = HI(inode);
	int eq;

	spin_lock(&hi->lock);
	eq = !memcmp(&hi->fid, data, sizeof(hi->fid));
	spin_unlock(&hi->lock);
	return eq;
}

static int hcfs_set_fid(struct inode *inode, void *data)
{
	HI(inode)->fid = *(struct hcfs_fid *)data;
	return 0;
}

static umode_t hcfs_vtype_mode(long vtype)
{
	switch (vtype) {
	case HCFS_VDIR:
		return S_IFDIR;
	case HCFS_VLNK:
		return S_IFLNK;
	case HCFS_VFIFO:
		return S_IFIFO;
	case HCFS_VSOCK:
		return S_IFSOCK;
	case HCFS_VCHR:
		return S_IFCHR;
	case HCFS_VBLK:
		return S_IFBLK;
	default:
		return S_IFREG;
	}
}

long hcfs_mode_vtype(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:  return HCFS_VDIR;
	case S_IFLNK:  return HCFS_VLNK;
	case S_IFIFO:  return HCFS_VFIFO;
	case S_IFSOCK: return HCFS_VSOCK;
	case S_IFCHR:  return HCFS_VCHR;
	case S_IFBLK:  return HCFS_VBLK;
	default:       return HCFS_VREG;
	}
}

static struct timespec64 hcfs_ts(const struct hcfs_timespec *t)
{
	struct timespec64 ts = { .tv_sec = t->tv_sec, .tv_nsec = t->tv_nsec };

	if (ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
		ts.tv_nsec = 0;
	return ts;
}

/* Size and times of an open file come from its container, which may be
 * ahead of what venus last reported. */
static void hcfs_sync_from_host(struct inode *inode)
{
	struct hcfs_inode *hi = HI(inode);
	struct hcfs_file *hf;
	struct inode *h = NULL;

	spin_lock(&hi->lock);
	hf = list_first_entry_or_null(&hi->opens, struct hcfs_file, node);
	if (hf) {
		h = file_inode(hf->host);
		ihold(h);
	}
	spin_unlock(&hi->lock);
	if (!h)
		return;
	i_size_write(inode, i_size_read(h));
	hcfs_set_mtime(inode, hcfs_get_mtime(h));
	hcfs_set_ctime(inode, hcfs_get_ctime(h));
	inode->i_blocks = h->i_blocks;
	iput(h);
}

void hcfs_vattr_to_inode(struct inode *inode, const struct hcfs_vattr *va)
{
	struct hcfs_inode *hi = HI(inode);

	inode->i_mode = (inode->i_mode & S_IFMT) | (va->va_mode & 07777);
	inode->i_uid = make_kuid(&init_user_ns, va->va_uid);
	inode->i_gid = make_kgid(&init_user_ns, va->va_gid);
	if (!uid_valid(inode->i_uid))
		inode->i_uid = GLOBAL_ROOT_UID;
	if (!gid_valid(inode->i_gid))
		inode->i_gid = GLOBAL_ROOT_GID;
	set_nlink(inode, va->va_nlink > 0 ? va->va_nlink : 1);
	if (!S_ISDIR(inode->i_mode) || va->va_size)
		i_size_write(inode, min_t(u64, va->va_size, MAX_LFS_FILESIZE));
	inode->i_blocks = (va->va_bytes ? va->va_bytes : va->va_size) >> 9;
	hcfs_set_atime(inode, hcfs_ts(&va->va_atime));
	hcfs_set_mtime(inode, hcfs_ts(&va->va_mtime));
	hcfs_set_ctime(inode, hcfs_ts(&va->va_ctime));
	hi->attr_gen = atomic_read(&HSB(inode->i_sb)->gen);
	clear_bit(HI_VATTR, &hi->flags);
	if (S_ISREG(inode->i_mode))
		hcfs_sync_from_host(inode);
}

static void hcfs_set_ops(struct inode *inode, const struct hcfs_vattr *attr)
{
	switch (inode->i_mode & S_IFMT) {
	case S_IFDIR:
		inode->i_op = &hcfs_dir_iops;
		inode->i_fop = &hcfs_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &hcfs_symlink_iops;
		inode_nohighmem(inode);
		break;
	case S_IFREG:
		inode->i_op = &hcfs_file_iops;
		inode->i_fop = &hcfs_file_fops;
		break;
	default:
		inode->i_op = &hcfs_file_iops;
		/* the kernel serves it; venus sends a device's number */
		init_special_inode(inode, inode->i_mode,
				   attr->va_rdev == ~0ULL ? 0 :
				   new_decode_dev((u32)attr->va_rdev));
	}
}

struct inode *hcfs_iget(struct super_block *sb, const struct hcfs_fid *fid,
			const struct hcfs_vattr *attr)
{
	umode_t type = hcfs_vtype_mode(attr->va_type);
	struct inode *inode;

	inode = iget5_locked(sb, hcfs_fid_hash(fid), hcfs_test_fid,
			     hcfs_set_fid, (void *)fid);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (hcfs_inode_state(inode) & I_NEW) {
		inode->i_mode = type;
		inode->i_ino = attr->va_fileid ? (unsigned long)attr->va_fileid
					       : hcfs_fid_hash(fid);
		hcfs_vattr_to_inode(inode, attr);
		hcfs_set_ops(inode, attr);
		unlock_new_inode(inode);
		return inode;
	}
	if ((inode->i_mode & S_IFMT) != type) {
		/* venus reused a fid for another type: the old one is gone */
		set_bit(HI_PURGE, &HI(inode)->flags);
		iput(inode);
		return ERR_PTR(-EIO);
	}
	hcfs_vattr_to_inode(inode, attr);
	return inode;
}

struct inode *hcfs_ilookup(struct super_block *sb, const struct hcfs_fid *fid)
{
	return ilookup5(sb, hcfs_fid_hash(fid), hcfs_test_fid, (void *)fid);
}

void hcfs_replace_fid(struct inode *inode, const struct hcfs_fid *fid)
{
	struct hcfs_inode *hi = HI(inode);

	remove_inode_hash(inode);
	spin_lock(&hi->lock);
	hi->fid = *fid;
	spin_unlock(&hi->lock);
	__insert_inode_hash(inode, hcfs_fid_hash(fid));
}

void hcfs_mark_opens_written(struct inode *inode, u64 size)
{
	struct hcfs_inode *hi = HI(inode);
	struct hcfs_file *hf;

	spin_lock(&hi->lock);
	list_for_each_entry(hf, &hi->opens, node) {
		if (hf->cflags & HCFS_O_WRITE) {
			atomic_set(&hf->written, 1);
			hcfs_ranges_cut(hf, size);
		}
	}
	spin_unlock(&hi->lock);
}

static bool hcfs_attr_stale(struct inode *inode)
{
	return test_bit(HI_VATTR, &HI(inode)->flags) ||
	       HI(inode)->attr_gen != atomic_read(&HSB(inode->i_sb)->gen);
}

int hcfs_revalidate_inode(struct inode *inode)
{
	struct hcfs_fid_in in = { .ih.opcode = HCFS_GETATTR };
	struct hcfs_getattr_out out;
	int outsize = sizeof(out);
	int err;

	if (!hcfs_attr_stale(inode))
		return 0;
	hcfs_get_fid(inode, &in.fid);
	err = hcfs_upcall(inode->i_sb, &in, sizeof(in), &out, &outsize, NULL);
	if (!err && outsize < (int)sizeof(out))
		err = -EIO;
	if (err) {
		if (err == -ENOENT)
			set_bit(HI_PURGE, &HI(inode)->flags);
		return err;
	}
	if (hcfs_vtype_mode(out.attr.va_type) != (inode->i_mode & S_IFMT)) {
		set_bit(HI_PURGE, &HI(inode)->flags);
		return -ESTALE;
	}
	hcfs_vattr_to_inode(inode, &out.attr);
	return 0;
}

int hcfs_getattr(HCFS_IDMAP_T idmap, const struct path *path,
		 struct kstat *stat, u32 mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	int err = hcfs_revalidate_inode(inode);

	if (err)
		return err;
	if (S_ISREG(inode->i_mode))
		hcfs_sync_from_host(inode);
	hcfs_fillattr(idmap, mask, inode, stat);
	return 0;
}

static void hcfs_ts_out(struct hcfs_timespec *t, struct timespec64 ts)
{
	t->tv_sec = ts.tv_sec;
	t->tv_nsec = ts.tv_nsec;
}

int hcfs_setattr(HCFS_IDMAP_T idmap, struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct hcfs_setattr_in in;
	struct hcfs_file *hf = NULL;
	struct hcfs_out_hdr out;
	int outsize = sizeof(out);
	unsigned int valid = attr->ia_valid;
	int err;

	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;

	/* all ones: "leave alone" (Coda convention) */
	memset(&in, 0xff, sizeof(in));
	memset(&in.ih, 0, sizeof(in.ih));
	in.ih.opcode = HCFS_SETATTR;
	hcfs_get_fid(inode, &in.fid);
	in.attr.va_type = HCFS_VNON;
	if (valid & ATTR_MODE)
		in.attr.va_mode = attr->ia_mode & 07777;
	if (valid & ATTR_UID)
		in.attr.va_uid = from_kuid(&init_user_ns, attr->ia_uid);
	if (valid & ATTR_GID)
		in.attr.va_gid = from_kgid(&init_user_ns, attr->ia_gid);
	if (valid & ATTR_SIZE)
		in.attr.va_size = attr->ia_size;
	if (valid & ATTR_ATIME)
		hcfs_ts_out(&in.attr.va_atime, attr->ia_atime);
	if (valid & ATTR_MTIME)
		hcfs_ts_out(&in.attr.va_mtime, attr->ia_mtime);
	if (valid & ATTR_CTIME)
		hcfs_ts_out(&in.attr.va_ctime, attr->ia_ctime);

	/* The written flag: a truncate through an open file marks that
	 * open, one by path marks every writer (venus counts the SETATTR
	 * itself when nothing is open).  Set before the upcall (venus may
	 * cut the container and still fail); the cut only after venus made
	 * it, since venus drops what lies past a reported cut. */
	if (valid & ATTR_SIZE) {
		hf = NULL;
		if ((valid & ATTR_FILE) && attr->ia_file &&
		    attr->ia_file->f_op == &hcfs_file_fops)
			hf = attr->ia_file->private_data;
		if (hf)
			atomic_set(&hf->written, 1);
		else
			hcfs_mark_opens_written(inode, HCFS_CUT_NONE);
	}

	err = hcfs_upcall(inode->i_sb, &in, sizeof(in), &out, &outsize, NULL);
	if (err)
		return err;
	if (valid & ATTR_SIZE) {
		if (hf)
			hcfs_ranges_cut(hf, attr->ia_size);
		else
			hcfs_mark_opens_written(inode, attr->ia_size);
		truncate_setsize(inode, attr->ia_size);
	}
	setattr_copy(idmap, inode, attr);
	/* venus may round or refuse parts silently: ask next time */
	set_bit(HI_VATTR, &HI(inode)->flags);
	return 0;
}

int hcfs_permission(HCFS_IDMAP_T idmap, struct inode *inode, int mask)
{
	/* venus enforces access on the server side; locally the cached mode
	 * bits decide, which saves an ACCESS upcall per path walk step. */
	return generic_permission(idmap, inode, mask);
}

static void hcfs_kfree_link(void *p)
{
	kfree(p);
}

static const char *hcfs_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	struct hcfs_fid_in in = { .ih.opcode = HCFS_READLINK };
	struct hcfs_readlink_out *out;
	int outsize = sizeof(*out) + HCFS_MAXPATHLEN + 1;
	char *link;
	u64 off;
	int err, count;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	out = kzalloc(outsize, GFP_KERNEL);
	if (!out)
		return ERR_PTR(-ENOMEM);
	hcfs_get_fid(inode, &in.fid);
	err = hcfs_upcall(inode->i_sb, &in, sizeof(in), out, &outsize, NULL);
	if (err)
		goto fail;
	err = -EIO;
	if (outsize < (int)sizeof(*out))
		goto fail;
	count = out->count;
	off = out->data;
	/* target must lie inside the reply we received */
	if (count <= 0 || count > HCFS_MAXPATHLEN || off < sizeof(struct hcfs_out_hdr) ||
	    off > (u64)outsize || count > outsize - (int)off)
		goto fail;
	link = kmemdup_nul((char *)out + off, count, GFP_KERNEL);
	kfree(out);
	if (!link)
		return ERR_PTR(-ENOMEM);
	set_delayed_call(done, hcfs_kfree_link, link);
	return link;
fail:
	kfree(out);
	return ERR_PTR(err);
}

const struct inode_operations hcfs_file_iops = {
	.getattr	= hcfs_getattr,
	.setattr	= hcfs_setattr,
	.permission	= hcfs_permission,
};

const struct inode_operations hcfs_symlink_iops = {
	.get_link	= hcfs_get_link,
	.getattr	= hcfs_getattr,
	.setattr	= hcfs_setattr,
	.permission	= hcfs_permission,
};
