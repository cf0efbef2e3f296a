// SPDX-License-Identifier: GPL-2.0
/*
 * hesper_file.c - open files: the container handed over by OPEN_BY_FD
 * does all I/O; the written flag rides on CLOSE.
 *
 * The flag is set by write_iter (write, pwrite, splice and copy_file_range
 * all end up there), by a size-changing setattr, by fallocate, and by
 * page_mkwrite/pfn_mkwrite of a shared writable mapping; each also notes
 * the bytes it touched (hesper_extents.c), which CLOSE carries when it
 * can (HCFS_O_EXTENTS).  mmap hands the
 * vma to the container but keeps a wrapper around its vm_ops that holds
 * our file, so CLOSE is sent only after the last munmap and reports what
 * the mappings did after close(fd).  The wrapper always has page_mkwrite,
 * which arms write-notify even when the container's file system has none
 * (tmpfs); private mappings never call it.
 */
#include <linux/slab.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/falloc.h>
#include <linux/splice.h>
#include "hesper.h"

static int hcfs_cflags(unsigned int flags)
{
	int c = 0;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		c = HCFS_O_READ;
		break;
	case O_WRONLY:
		c = HCFS_O_WRITE;
		break;
	default:
		c = HCFS_O_READ | HCFS_O_WRITE;
	}
	if (flags & O_TRUNC)
		c |= HCFS_O_TRUNC;
	if (flags & O_CREAT)
		c |= HCFS_O_CREAT;
	if (flags & O_EXCL)
		c |= HCFS_O_EXCL;
	return c;
}

/* CLOSE; with hf's written ranges when it was written and has them. */
static void hcfs_send_close(struct inode *inode, int cflags, struct hcfs_file *hf)
{
	struct hcfs_open_in plain = { .ih.opcode = HCFS_CLOSE, .flags = cflags };
	struct hcfs_close_in *ext = NULL;
	struct hcfs_open_in *in = &plain;
	int insize = sizeof(plain);
	struct hcfs_out_hdr out;
	int outsize = sizeof(out);

	if (hf && (cflags & HCFS_O_WRITTEN))
		ext = hcfs_ranges_close_msg(hf, cflags, &insize);
	if (ext)
		in = &ext->oi;
	hcfs_get_fid(inode, &in->fid);
	/* The reply's result is ignored, as on Coda: close(2) cannot fail
	 * because a store did. */
	hcfs_upcall_flags(inode->i_sb, in, insize, &out, &outsize, NULL, true);
	kfree(ext);
}

int hcfs_open_container(struct inode *inode, struct file *file,
			struct hcfs_file **hfp)
{
	struct hcfs_open_in in = { .ih.opcode = HCFS_OPEN_BY_FD };
	struct hcfs_open_by_fd_out out;
	int outsize = sizeof(out), err;
	struct file *host = NULL;
	struct hcfs_file *hf;

	in.flags = hcfs_cflags(file->f_flags);
	if (S_ISDIR(inode->i_mode))
		in.flags = HCFS_O_READ;
	hcfs_get_fid(inode, &in.fid);
	err = hcfs_upcall(inode->i_sb, &in, sizeof(in), &out, &outsize, &host);
	if (err)
		return err;
	if (!host)
		return -EIO;
	err = -EIO;
	if (((file->f_mode & FMODE_WRITE) && !(host->f_mode & FMODE_WRITE)) ||
	    ((file->f_mode & FMODE_READ) && !(host->f_mode & FMODE_READ)))
		goto undo;	/* venus opened the container with too few rights */
	err = -ENOMEM;
	hf = kzalloc(sizeof(*hf), GFP_KERNEL);
	if (!hf)
		goto undo;
	hf->host = host;
	hf->cflags = in.flags;
	/* no memory for the ranges: CLOSE reports the whole file */
	if ((in.flags & HCFS_O_WRITE) && S_ISREG(inode->i_mode))
		hf->rg = hcfs_ranges_new();
	atomic_set(&hf->written, 0);
	spin_lock(&HI(inode)->lock);
	list_add(&hf->node, &HI(inode)->opens);
	spin_unlock(&HI(inode)->lock);
	*hfp = hf;
	return 0;
undo:
	fput(host);
	hcfs_send_close(inode, in.flags, NULL);
	return err;
}

void hcfs_close_container(struct inode *inode, struct hcfs_file *hf, bool written)
{
	int flags = hf->cflags;

	spin_lock(&HI(inode)->lock);
	list_del(&hf->node);
	spin_unlock(&HI(inode)->lock);
	if (written) {
		flags |= HCFS_O_WRITTEN;
		i_size_write(inode, i_size_read(file_inode(hf->host)));
		/* venus stores now: mtime and version change on the server */
		set_bit(HI_VATTR, &HI(inode)->flags);
	}
	hcfs_send_close(inode, flags, hf);
	fput(hf->host);
	hcfs_ranges_free(hf->rg);
	kfree(hf);
}

static int hcfs_file_open(struct inode *inode, struct file *file)
{
	struct hcfs_file *hf;
	int err = hcfs_open_container(inode, file, &hf);

	if (err)
		return err;
	file->private_data = hf;
	i_size_write(inode, i_size_read(file_inode(hf->host)));
	return 0;
}

static int hcfs_file_release(struct inode *inode, struct file *file)
{
	struct hcfs_file *hf = file->private_data;

	hcfs_close_container(inode, hf, atomic_read(&hf->written));
	return 0;
}

static void hcfs_update_from_host(struct inode *inode, struct file *host)
{
	struct inode *h = file_inode(host);

	i_size_write(inode, i_size_read(h));
	hcfs_set_mtime(inode, hcfs_get_mtime(h));
	hcfs_set_ctime(inode, hcfs_get_ctime(h));
	inode->i_blocks = h->i_blocks;
}

static ssize_t hcfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct hcfs_file *hf = iocb->ki_filp->private_data;

	return vfs_iter_read(hf->host, to, &iocb->ki_pos, 0);
}

static ssize_t hcfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct hcfs_file *hf = file->private_data;
	struct file *host = hf->host;
	size_t count = iov_iter_count(from);
	loff_t start;
	ssize_t ret;

	/* Set before writing: a short or failed write may still have
	 * changed the container. */
	atomic_set(&hf->written, 1);
	inode_lock(inode);
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = i_size_read(file_inode(host));
	start = iocb->ki_pos;
	hcfs_start_write(host);
	ret = vfs_iter_write(host, from, &iocb->ki_pos, 0);
	hcfs_end_write(host);
	/* what was written; all that was asked when the write failed */
	if (start >= 0)
		hcfs_ranges_add(hf, start, ret >= 0 ? (u64)ret : (u64)count);
	hcfs_update_from_host(inode, host);
	inode_unlock(inode);
	return ret;
}

static loff_t hcfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct hcfs_file *hf = file->private_data;

	return generic_file_llseek_size(file, offset, whence,
					file_inode(file)->i_sb->s_maxbytes,
					i_size_read(file_inode(hf->host)));
}

static long hcfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct hcfs_file *hf = file->private_data;
	struct inode *inode = file_inode(file);
	long ret;

	atomic_set(&hf->written, 1);
	ret = vfs_fallocate(hf->host, mode, offset, len);
	/* Noted even when it failed (it may have done part).  Collapse and
	 * insert move every byte after offset. */
	if (offset >= 0 && len > 0)
		hcfs_ranges_add(hf, offset, (mode & (FALLOC_FL_COLLAPSE_RANGE |
				FALLOC_FL_INSERT_RANGE)) ? U64_MAX : (u64)len);
	inode_lock(inode);
	hcfs_update_from_host(inode, hf->host);
	inode_unlock(inode);
	return ret;
}

static int hcfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct hcfs_file *hf = file->private_data;

	return vfs_fsync_range(hf->host, start, end, datasync);
}

/* ---- mappings ---- */

static struct hcfs_vm_ops *hcfs_vmops(struct vm_area_struct *vma)
{
	return container_of(vma->vm_ops, struct hcfs_vm_ops, ops);
}

static void hcfs_vm_open(struct vm_area_struct *vma)
{
	struct hcfs_vm_ops *hvm = hcfs_vmops(vma);

	atomic_inc(&hvm->count);
	if (hvm->host_ops && hvm->host_ops->open)
		hvm->host_ops->open(vma);
}

static void hcfs_vm_close(struct vm_area_struct *vma)
{
	struct hcfs_vm_ops *hvm = hcfs_vmops(vma);

	if (hvm->host_ops && hvm->host_ops->close)
		hvm->host_ops->close(vma);
	if (atomic_dec_and_test(&hvm->count)) {
		vma->vm_ops = hvm->host_ops;
		/* the last mapping is gone: this may release our file and
		 * send CLOSE (deferred to task work, outside mmap_lock) */
		fput(hvm->file);
		kfree(hvm);
	}
}

/* A write fault made page pgoff of the file writable in this mapping:
 * the user may now change any byte of it. */
static void hcfs_vm_mark_written(struct vm_area_struct *vma, pgoff_t pgoff)
{
	struct hcfs_file *hf = hcfs_vmops(vma)->file->private_data;

	atomic_set(&hf->written, 1);
	hcfs_ranges_add(hf, (u64)pgoff << PAGE_SHIFT, PAGE_SIZE);
}

static vm_fault_t hcfs_page_mkwrite(struct vm_fault *vmf)
{
	struct hcfs_vm_ops *hvm = hcfs_vmops(vmf->vma);

	hcfs_vm_mark_written(vmf->vma, vmf->pgoff);
	if (hvm->host_ops && hvm->host_ops->page_mkwrite)
		return hvm->host_ops->page_mkwrite(vmf);
	/* No host hook (tmpfs): do what the fault path does for such files
	 * (it skips this once we have a page_mkwrite), then let it lock and
	 * dirty the page. */
	file_update_time(vmf->vma->vm_file);
	return 0;
}

static vm_fault_t hcfs_pfn_mkwrite(struct vm_fault *vmf)
{
	struct hcfs_vm_ops *hvm = hcfs_vmops(vmf->vma);

	hcfs_vm_mark_written(vmf->vma, vmf->pgoff);
	if (hvm->host_ops && hvm->host_ops->pfn_mkwrite)
		return hvm->host_ops->pfn_mkwrite(vmf);
	return 0;
}

static int hcfs_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct hcfs_file *hf = file->private_data;
	struct file *host = hf->host;
	struct hcfs_vm_ops *hvm;
	int ret;

	if (!hcfs_can_mmap(host))
		return -ENODEV;
	if (WARN_ON_ONCE(vma->vm_file != file))
		return -EIO;
	hvm = kzalloc(sizeof(*hvm), GFP_KERNEL);
	if (!hvm)
		return -ENOMEM;

	/* The vma now points at the container; our file stays referenced
	 * by the wrapper until the last vma using it is closed. */
	hvm->file = get_file(file);
	vma_set_file(vma, host);
	ret = hcfs_call_mmap(host, vma);
	if (ret) {
		/* our caller drops vma->vm_file (the host) */
		fput(file);
		kfree(hvm);
		return ret;
	}
	hvm->host_ops = vma->vm_ops;
	if (vma->vm_ops)
		hvm->ops = *vma->vm_ops;
	hvm->ops.open = hcfs_vm_open;
	hvm->ops.close = hcfs_vm_close;
	hvm->ops.page_mkwrite = hcfs_page_mkwrite;
	hvm->ops.pfn_mkwrite = hcfs_pfn_mkwrite;
	atomic_set(&hvm->count, 1);
	vma->vm_ops = &hvm->ops;
	return 0;
}

const struct file_operations hcfs_file_fops = {
	.open		= hcfs_file_open,
	.release	= hcfs_file_release,
	.llseek		= hcfs_llseek,
	.read_iter	= hcfs_read_iter,
	.write_iter	= hcfs_write_iter,
	.splice_read	= hcfs_splice_read,
	.splice_write	= iter_file_splice_write,
	.mmap		= hcfs_file_mmap,
	.fsync		= hcfs_fsync,
	.fallocate	= hcfs_fallocate,
};
