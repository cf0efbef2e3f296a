// SPDX-License-Identifier: GPL-2.0
/*
 * hesper_dir.c - names: lookup, create, mkdir, unlink, rmdir, link,
 * symlink, rename; dentry revalidation; readdir from a container of
 * struct hcfs_dirent records.
 *
 * A dentry remembers the super block generation (FLUSH/PURGEUSER) and its
 * parent's directory generation (ZAPDIR/PURGEFID) at lookup time in
 * d_time; when either moved, revalidation asks venus again.
 */
#include <linux/slab.h>
#include <linux/namei.h>
#include "hesper.h"

static unsigned long hcfs_dgen(struct inode *dir)
{
	return ((unsigned long)(u32)atomic_read(&HSB(dir->i_sb)->gen) << 32) |
	       (u32)atomic_read(&HI(dir)->dir_gen);
}

static void hcfs_dir_changed(struct inode *dir)
{
	set_bit(HI_VATTR, &HI(dir)->flags);
}

/* Build a message of size base + the names given (each NUL-terminated);
 * offsets[i] receives where name i starts. */
static void *hcfs_msg_names(int opcode, int base, int n, const struct qstr **names,
			    int *offsets, int *sizep)
{
	int size = base, i;
	char *msg;

	for (i = 0; i < n; i++) {
		if (names[i]->len > HCFS_MAXPATHLEN)
			return ERR_PTR(-ENAMETOOLONG);
		size += names[i]->len + 1;
	}
	if (size > HCFS_MAXMSGSIZE)
		return ERR_PTR(-ENAMETOOLONG);
	msg = hcfs_alloc_msg(opcode, size);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	size = base;
	for (i = 0; i < n; i++) {
		offsets[i] = size;
		memcpy(msg + size, names[i]->name, names[i]->len);
		size += names[i]->len + 1;
	}
	*sizep = size;
	return msg;
}

/* LOOKUP name in dir: fid and vtype, or -errno. */
static int hcfs_lookup_fid(struct inode *dir, const struct qstr *name,
			   struct hcfs_fid *fid, int *vtype)
{
	struct hcfs_lookup_in *in;
	struct hcfs_lookup_out out;
	int outsize = sizeof(out), size, off, err;

	if (name->len > HCFS_MAXNAMLEN)
		return -ENAMETOOLONG;
	in = hcfs_msg_names(HCFS_LOOKUP, sizeof(*in), 1, &name, &off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(dir, &in->fid);
	in->name = off;
	in->flags = 1;	/* CLU_CASE_SENSITIVE */
	err = hcfs_upcall(dir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (!err && outsize < (int)sizeof(out))
		err = -EIO;
	if (err)
		return err;
	*fid = out.fid;
	*vtype = out.vtype;
	return 0;
}

/* The inode for fid: the cached one if its attributes are current. */
static struct inode *hcfs_fid_inode(struct super_block *sb, const struct hcfs_fid *fid)
{
	struct hcfs_fid_in in = { .ih.opcode = HCFS_GETATTR };
	struct hcfs_getattr_out out;
	int outsize = sizeof(out), err;
	struct inode *inode = hcfs_ilookup(sb, fid);

	if (inode) {
		if (!test_bit(HI_PURGE, &HI(inode)->flags)) {
			err = hcfs_revalidate_inode(inode);
			if (!err)
				return inode;
		}
		iput(inode);
	}
	in.fid = *fid;
	err = hcfs_upcall(sb, &in, sizeof(in), &out, &outsize, NULL);
	if (!err && outsize < (int)sizeof(out))
		err = -EIO;
	if (err)
		return ERR_PTR(err);
	inode = hcfs_ilookup(sb, fid);
	if (inode && test_bit(HI_PURGE, &HI(inode)->flags)) {
		/* a purged inode cannot come back: give the fid a new one */
		remove_inode_hash(inode);
		iput(inode);
	} else if (inode) {
		iput(inode);
	}
	return hcfs_iget(sb, fid, &out.attr);
}

static struct dentry *hcfs_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	unsigned long gen = hcfs_dgen(dir);
	struct inode *inode = NULL;
	struct hcfs_fid fid;
	int vtype, err;

	err = hcfs_lookup_fid(dir, &dentry->d_name, &fid, &vtype);
	if (err == -ENOENT)
		goto neg;
	if (err)
		return ERR_PTR(err);
	inode = hcfs_fid_inode(dir->i_sb, &fid);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	if (vtype & HCFS_NOCACHE)
		gen--;	/* revalidate on next use */
neg:
	dentry->d_time = gen;
	return d_splice_alias(inode, dentry);
}

static int hcfs_d_revalidate(HCFS_D_REVALIDATE_PARAMS(dentry, flags))
{
	struct name_snapshot name;
	struct inode *inode, *dir;
	struct dentry *parent;
	struct hcfs_fid fid, myfid;
	unsigned long gen;
	int vtype, err, valid = 1;

	if (flags & LOOKUP_RCU)
		return -ECHILD;
	parent = dget_parent(dentry);
	dir = d_inode(parent);
	gen = hcfs_dgen(dir);
	inode = d_inode(dentry);
	if (!inode) {
		valid = dentry->d_time == gen;
		goto out;
	}
	if (is_bad_inode(inode) || test_bit(HI_PURGE, &HI(inode)->flags)) {
		valid = 0;
		goto out;
	}
	if (dentry->d_time != gen) {
		/* the directory changed: does the name still mean this fid? */
		take_dentry_name_snapshot(&name, dentry);
		err = hcfs_lookup_fid(dir, &name.name, &fid, &vtype);
		release_dentry_name_snapshot(&name);
		hcfs_get_fid(inode, &myfid);
		if (err == -ENOENT || (!err && memcmp(&fid, &myfid, sizeof(fid)))) {
			valid = 0;
			goto out;
		}
		if (err) {
			valid = err;
			goto out;
		}
		dentry->d_time = gen;
	}
	err = hcfs_revalidate_inode(inode);
	if (err == -ENOENT || err == -ESTALE)
		valid = 0;
	else if (err)
		valid = err;
out:
	dput(parent);
	return valid;
}

const struct dentry_operations hcfs_dentry_ops = {
	.d_revalidate	= hcfs_d_revalidate,
};

/* CREATE/MKDIR reply -> instantiated dentry. */
static int hcfs_instantiate(struct inode *dir, struct dentry *dentry,
			    struct hcfs_create_out *out)
{
	struct inode *inode = hcfs_iget(dir->i_sb, &out->fid, &out->attr);

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	dentry->d_time = hcfs_dgen(dir);
	d_instantiate(dentry, inode);
	return 0;
}

/* CREATE of a file, or (mknod) a FIFO, socket or device node: the mode
 * carries the type, attr.va_rdev the device number (new_encode_dev). */
static int hcfs_make(struct inode *dir, struct dentry *dentry, umode_t mode,
		     bool excl, dev_t rdev)
{
	const struct qstr *name = &dentry->d_name;
	struct hcfs_create_in *in;
	struct hcfs_create_out out;
	int outsize = sizeof(out), size, off, err;

	if (name->len > HCFS_MAXNAMLEN)
		return -ENAMETOOLONG;
	in = hcfs_msg_names(HCFS_CREATE, sizeof(*in), 1, &name, &off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(dir, &in->fid);
	memset(&in->attr, 0xff, sizeof(in->attr));
	in->attr.va_type = hcfs_mode_vtype(mode);
	in->attr.va_mode = mode & 07777;
	if (S_ISCHR(mode) || S_ISBLK(mode))
		in->attr.va_rdev = new_encode_dev(rdev);
	in->excl = excl;
	in->mode = mode;
	in->name = off;
	err = hcfs_upcall(dir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (!err && outsize < (int)sizeof(out))
		err = -EIO;
	if (err)
		return err;
	hcfs_dir_changed(dir);
	return hcfs_instantiate(dir, dentry, &out);
}

static int hcfs_create(HCFS_IDMAP_T idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode HCFS_CREATE_EXCL_PARAM)
{
	return hcfs_make(dir, dentry, mode, HCFS_CREATE_EXCL, 0);
}

/* venus keeps the object on vice; its data path is this kernel's
 * (init_special_inode when the inode is made). */
static int hcfs_mknod(HCFS_IDMAP_T idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
		return hcfs_make(dir, dentry, mode, true, rdev);
	}
	return -EINVAL;
}

static int hcfs_do_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	const struct qstr *name = &dentry->d_name;
	struct hcfs_mkdir_in *in;
	struct hcfs_create_out out;
	int outsize = sizeof(out), size, off, err;

	if (name->len > HCFS_MAXNAMLEN)
		return -ENAMETOOLONG;
	in = hcfs_msg_names(HCFS_MKDIR, sizeof(*in), 1, &name, &off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(dir, &in->fid);
	memset(&in->attr, 0xff, sizeof(in->attr));
	in->attr.va_type = HCFS_VDIR;
	in->attr.va_mode = mode & 07777;
	in->name = off;
	err = hcfs_upcall(dir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (!err && outsize < (int)sizeof(out))
		err = -EIO;
	if (err)
		return err;
	hcfs_dir_changed(dir);
	return hcfs_instantiate(dir, dentry, &out);
}

static HCFS_MKDIR_RET hcfs_mkdir(HCFS_IDMAP_T idmap, struct inode *dir,
				 struct dentry *dentry, umode_t mode)
{
	return hcfs_mkdir_ret(hcfs_do_mkdir(dir, dentry, mode));
}

/* REMOVE or RMDIR of dentry's name in dir. */
static int hcfs_remove_name(struct inode *dir, struct dentry *dentry, int opcode)
{
	const struct qstr *name = &dentry->d_name;
	struct hcfs_remove_in *in;
	struct hcfs_out_hdr out;
	int outsize = sizeof(out), size, off, err;

	in = hcfs_msg_names(opcode, sizeof(*in), 1, &name, &off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(dir, &in->fid);
	in->name = off;
	err = hcfs_upcall(dir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (err)
		return err;
	hcfs_dir_changed(dir);
	return 0;
}

static int hcfs_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	int err = hcfs_remove_name(dir, dentry, HCFS_REMOVE);

	if (err)
		return err;
	drop_nlink(inode);
	set_bit(HI_VATTR, &HI(inode)->flags);
	return 0;
}

static int hcfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	int err = hcfs_remove_name(dir, dentry, HCFS_RMDIR);

	if (err)
		return err;
	clear_nlink(d_inode(dentry));
	return 0;
}

static int hcfs_link(struct dentry *old, struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(old);
	const struct qstr *name = &dentry->d_name;
	struct hcfs_link_in *in;
	struct hcfs_out_hdr out;
	int outsize = sizeof(out), size, off, err;

	if (name->len > HCFS_MAXNAMLEN)
		return -ENAMETOOLONG;
	in = hcfs_msg_names(HCFS_LINK, sizeof(*in), 1, &name, &off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(inode, &in->src);
	hcfs_get_fid(dir, &in->dir);
	in->tname = off;
	err = hcfs_upcall(dir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (err)
		return err;
	hcfs_dir_changed(dir);
	set_bit(HI_VATTR, &HI(inode)->flags);
	inc_nlink(inode);
	ihold(inode);
	dentry->d_time = hcfs_dgen(dir);
	d_instantiate(dentry, inode);
	return 0;
}

static int hcfs_symlink(HCFS_IDMAP_T idmap, struct inode *dir,
			struct dentry *dentry, const char *target)
{
	struct qstr tq = QSTR_INIT(target, strlen(target));
	const struct qstr *names[2] = { &tq, &dentry->d_name };
	struct hcfs_symlink_in *in;
	struct hcfs_out_hdr out;
	int outsize = sizeof(out), size, off[2], err;

	if (dentry->d_name.len > HCFS_MAXNAMLEN)
		return -ENAMETOOLONG;
	if (tq.len > HCFS_MAXPATHLEN)
		return -ENAMETOOLONG;
	in = hcfs_msg_names(HCFS_SYMLINK, sizeof(*in), 2, names, off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(dir, &in->fid);
	memset(&in->attr, 0xff, sizeof(in->attr));
	in->attr.va_type = HCFS_VLNK;
	in->attr.va_mode = 0777;
	in->srcname = off[0];
	in->tname = off[1];
	err = hcfs_upcall(dir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (err)
		return err;
	hcfs_dir_changed(dir);
	/* The reply carries no fid: let the next lookup find it. */
	d_drop(dentry);
	return 0;
}

static int hcfs_rename(HCFS_IDMAP_T idmap, struct inode *odir,
		       struct dentry *odentry, struct inode *ndir,
		       struct dentry *ndentry, unsigned int flags)
{
	const struct qstr *names[2] = { &odentry->d_name, &ndentry->d_name };
	struct hcfs_rename_in *in;
	struct hcfs_out_hdr out;
	int outsize = sizeof(out), size, off[2], err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && d_really_is_positive(ndentry))
		return -EEXIST;
	if (ndentry->d_name.len > HCFS_MAXNAMLEN)
		return -ENAMETOOLONG;
	in = hcfs_msg_names(HCFS_RENAME, sizeof(*in), 2, names, off, &size);
	if (IS_ERR(in))
		return PTR_ERR(in);
	hcfs_get_fid(odir, &in->src_dir);
	hcfs_get_fid(ndir, &in->dst_dir);
	in->srcname = off[0];
	in->dstname = off[1];
	err = hcfs_upcall(odir->i_sb, in, size, &out, &outsize, NULL);
	kfree(in);
	if (err)
		return err;
	hcfs_dir_changed(odir);
	hcfs_dir_changed(ndir);
	set_bit(HI_VATTR, &HI(d_inode(odentry))->flags);
	if (d_really_is_positive(ndentry)) {
		struct inode *victim = d_inode(ndentry);

		if (S_ISDIR(victim->i_mode))
			clear_nlink(victim);
		else
			drop_nlink(victim);
		set_bit(HI_VATTR, &HI(victim)->flags);
	}
	odentry->d_time = hcfs_dgen(ndir);
	return 0;
}

/* ---- directory files ---- */

static int hcfs_dir_open(struct inode *inode, struct file *file)
{
	struct hcfs_file *hf;
	int err = hcfs_open_container(inode, file, &hf);

	if (!err)
		file->private_data = hf;
	return err;
}

static int hcfs_dir_release(struct inode *inode, struct file *file)
{
	hcfs_close_container(inode, file->private_data, false);
	return 0;
}

/* f_pos 0 and 1 are "." and ".."; f_pos 2 + n is byte n of the container. */
static int hcfs_iterate(struct file *file, struct dir_context *ctx)
{
	struct hcfs_file *hf = file->private_data;
	struct hcfs_dirent *de;
	loff_t pos;
	ssize_t n;
	int err = 0;

	if (!dir_emit_dots(file, ctx))
		return 0;
	de = kmalloc(sizeof(*de), GFP_KERNEL);
	if (!de)
		return -ENOMEM;
	for (;;) {
		pos = ctx->pos - 2;
		n = kernel_read(hf->host, de, sizeof(*de), &pos);
		if (n < 0) {
			err = n;
			break;
		}
		if (n == 0)
			break;
		/* a record venus wrote: trust none of its lengths */
		if (n < HCFS_DIRENT_BASE || de->d_reclen < HCFS_DIRSIZ(de->d_namlen) ||
		    n < HCFS_DIRENT_BASE + de->d_namlen) {
			pr_warn_ratelimited("hesper: corrupt directory container at %lld\n",
					    ctx->pos - 2);
			err = -EIO;
			break;
		}
		if (de->d_fileno && de->d_namlen &&
		    !(de->d_namlen == 1 && de->d_name[0] == '.') &&
		    !(de->d_namlen == 2 && de->d_name[0] == '.' && de->d_name[1] == '.')) {
			if (!dir_emit(ctx, de->d_name, de->d_namlen, de->d_fileno,
				      de->d_type & 15))
				break;
		}
		ctx->pos += de->d_reclen;
	}
	kfree(de);
	return err;
}

const struct file_operations hcfs_dir_fops = {
	.open		= hcfs_dir_open,
	.release	= hcfs_dir_release,
	.iterate_shared	= hcfs_iterate,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
};

const struct inode_operations hcfs_dir_iops = {
	.lookup		= hcfs_lookup,
	.create		= hcfs_create,
	.mkdir		= hcfs_mkdir,
	.mknod		= hcfs_mknod,
	.unlink		= hcfs_unlink,
	.rmdir		= hcfs_rmdir,
	.link		= hcfs_link,
	.symlink	= hcfs_symlink,
	.rename		= hcfs_rename,
	.getattr	= hcfs_getattr,
	.setattr	= hcfs_setattr,
	.permission	= hcfs_permission,
};
