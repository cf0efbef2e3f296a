// SPDX-License-Identifier: GPL-2.0
/*
 * hesper_psdev.c - /dev/hcfs0: the channel between the module and venus.
 *
 * Every open of the device is a channel.  Upcalls queue on it; venus
 * read()s one message at a time and write()s the reply, which is matched
 * to its upcall by the unique number.  Writes whose opcode is in the
 * downcall range are unsolicited invalidations.  When venus closes the
 * device (or dies) every waiting and future upcall fails with -EIO, so
 * processes see errors instead of hanging, and the mount can go away.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/file.h>
#include <linux/uaccess.h>
#include <linux/sched/signal.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include "hesper.h"

static unsigned int upcall_timeout = 120;
module_param(upcall_timeout, uint, 0644);
MODULE_PARM_DESC(upcall_timeout, "seconds to wait for venus before failing an upcall");

/* One message to venus.  The waiter owns it; others touch it only under
 * chan->lock, and the waiter frees it only after taking that lock. */
struct hcfs_req {
	struct list_head	list;
	void			*in;
	int			insize;
	void			*out;
	int			outmax;
	int			outlen;
	u32			unique;
	u32			opcode;
	bool			read;	/* venus has it */
	bool			done;	/* replied or failed */
	bool			async;	/* nobody waits: freed once read */
	int			error;
	struct file		*file;	/* OPEN_BY_FD container */
	wait_queue_head_t	wait;
};

static const struct file_operations hcfs_psdev_fops;

static void hcfs_chan_free(struct kref *ref)
{
	kfree(container_of(ref, struct hcfs_chan, ref));
}

void hcfs_chan_put(struct hcfs_chan *chan)
{
	kref_put(&chan->ref, hcfs_chan_free);
}

/* The channel behind a device fd of the calling process, referenced. */
struct hcfs_chan *hcfs_chan_from_fd(int fd)
{
	struct hcfs_chan *chan = NULL;
	struct file *file = fget(fd);

	if (!file)
		return NULL;
	if (file->f_op == &hcfs_psdev_fops) {
		chan = file->private_data;
		kref_get(&chan->ref);
	}
	fput(file);
	return chan;
}

int hcfs_chan_attach(struct hcfs_chan *chan, struct super_block *sb)
{
	int err = 0;

	mutex_lock(&chan->lock);
	if (chan->dead)
		err = -EIO;
	else if (chan->sb)
		err = -EBUSY;
	else
		chan->sb = sb;
	mutex_unlock(&chan->lock);
	return err;
}

void hcfs_chan_detach(struct hcfs_chan *chan, struct super_block *sb)
{
	mutex_lock(&chan->lock);
	if (chan->sb == sb)
		chan->sb = NULL;
	mutex_unlock(&chan->lock);
}

/* Fail a request; called with chan->lock held. */
static void hcfs_req_fail(struct hcfs_req *req, int error)
{
	list_del_init(&req->list);
	if (req->async) {
		kfree(req->in);
		kfree(req);
		return;
	}
	req->error = error;
	req->done = true;
	wake_up(&req->wait);
}

/* Tell venus we stopped waiting for an upcall it already read. */
static void hcfs_send_signal(struct hcfs_chan *chan, u32 unique)
{
	struct hcfs_req *sig = kzalloc(sizeof(*sig), GFP_KERNEL);
	struct hcfs_in_hdr *ih = kzalloc(sizeof(*ih), GFP_KERNEL);

	if (!sig || !ih) {
		kfree(sig);
		kfree(ih);
		return;
	}
	ih->opcode = HCFS_SIGNAL;
	ih->unique = unique;
	sig->in = ih;
	sig->insize = sizeof(*ih);
	sig->async = true;
	sig->opcode = HCFS_SIGNAL;
	init_waitqueue_head(&sig->wait);
	list_add_tail(&sig->list, &chan->pending);
	wake_up_interruptible(&chan->waitq);
}

int hcfs_upcall_flags(struct super_block *sb, void *in, int insize,
		      void *out, int *outsize, struct file **filep, bool nointr)
{
	struct hcfs_chan *chan = HSB(sb)->chan;
	struct hcfs_in_hdr *ih = in;
	struct hcfs_req *req;
	long left, timeout;
	int err;

	if (insize < (int)sizeof(*ih) || insize > HCFS_MAXMSGSIZE)
		return -EINVAL;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	ih->pid = task_pid_nr_ns(current, &init_pid_ns);
	ih->pgid = task_pgrp_nr_ns(current, &init_pid_ns);
	ih->uid = from_kuid(&init_user_ns, current_fsuid());
	req->in = in;
	req->insize = insize;
	req->out = out;
	req->outmax = *outsize;
	req->opcode = ih->opcode;
	init_waitqueue_head(&req->wait);
	INIT_LIST_HEAD(&req->list);

	mutex_lock(&chan->lock);
	if (chan->dead) {
		mutex_unlock(&chan->lock);
		kfree(req);
		return -EIO;
	}
	req->unique = ih->unique = ++chan->unique;
	list_add_tail(&req->list, &chan->pending);
	mutex_unlock(&chan->lock);
	wake_up_interruptible(&chan->waitq);

	/* Ordinary signals never abort an upcall (venus may be half way
	 * through a store); a fatal one does, and so does the timeout.
	 * CLOSE must reach venus even from a killed, exiting task. */
	timeout = upcall_timeout ? upcall_timeout * HZ : MAX_SCHEDULE_TIMEOUT;
	if (nointr)
		left = wait_event_idle_timeout(req->wait, READ_ONCE(req->done), timeout);
	else
		left = wait_event_killable_timeout(req->wait, READ_ONCE(req->done), timeout);

	mutex_lock(&chan->lock);
	if (req->done) {
		err = req->error;
		if (!err) {
			*outsize = req->outlen;
			err = -(int)((struct hcfs_out_hdr *)out)->result;
			if (err > 0 || err < -MAX_ERRNO)
				err = -EIO;
		}
	} else {
		list_del_init(&req->list);
		err = left < 0 ? -EINTR : -ETIMEDOUT;
		if (req->read)
			hcfs_send_signal(chan, req->unique);
	}
	mutex_unlock(&chan->lock);

	if (req->file) {
		if (!err && filep)
			*filep = req->file;
		else
			fput(req->file);
	}
	kfree(req);
	return err;
}

int hcfs_upcall(struct super_block *sb, void *in, int insize,
		void *out, int *outsize, struct file **filep)
{
	return hcfs_upcall_flags(sb, in, insize, out, outsize, filep, false);
}

/* ---- downcalls ---- */

static void hcfs_zap(struct super_block *sb, u32 opcode,
		     const struct hcfs_fid *fid)
{
	struct inode *inode = hcfs_ilookup(sb, fid);

	if (!inode)
		return;
	set_bit(HI_VATTR, &HI(inode)->flags);
	if (opcode == HCFS_ZAPDIR || opcode == HCFS_PURGEFID)
		atomic_inc(&HI(inode)->dir_gen);
	if (opcode == HCFS_PURGEFID) {
		set_bit(HI_PURGE, &HI(inode)->flags);
		d_prune_aliases(inode);
	}
	iput(inode);
}

/* msg/len: a downcall copied from venus, len >= sizeof(hcfs_out_hdr). */
static int hcfs_downcall(struct hcfs_chan *chan, void *msg, size_t len)
{
	struct hcfs_out_hdr *oh = msg;
	struct super_block *sb;
	struct inode *inode;
	int err = 0;

	mutex_lock(&chan->lock);
	sb = chan->sb;
	if (!sb)
		goto out;
	switch (oh->opcode) {
	case HCFS_FLUSH:
	case HCFS_PURGEUSER:
		/* We cache nothing per user: forget all attributes/names. */
		if (oh->opcode == HCFS_PURGEUSER &&
		    len < sizeof(struct hcfs_purgeuser_out)) {
			err = -EINVAL;
			break;
		}
		atomic_inc(&HSB(sb)->gen);
		break;
	case HCFS_ZAPFILE:
	case HCFS_ZAPDIR:
	case HCFS_PURGEFID:
		if (len < sizeof(struct hcfs_zap_out)) {
			err = -EINVAL;
			break;
		}
		hcfs_zap(sb, oh->opcode, &((struct hcfs_zap_out *)msg)->fid);
		break;
	case HCFS_REPLACE: {
		struct hcfs_replace_out *rep = msg;

		if (len < sizeof(*rep)) {
			err = -EINVAL;
			break;
		}
		inode = hcfs_ilookup(sb, &rep->old_fid);
		if (inode) {
			hcfs_replace_fid(inode, &rep->new_fid);
			iput(inode);
		}
		break;
	}
	default:
		err = -EINVAL;
	}
out:
	mutex_unlock(&chan->lock);
	return err;
}

/* ---- file operations of /dev/hcfs0 ---- */

static int hcfs_psdev_open(struct inode *inode, struct file *file)
{
	struct hcfs_chan *chan = kzalloc(sizeof(*chan), GFP_KERNEL);

	if (!chan)
		return -ENOMEM;
	kref_init(&chan->ref);
	mutex_init(&chan->lock);
	INIT_LIST_HEAD(&chan->pending);
	INIT_LIST_HEAD(&chan->processing);
	init_waitqueue_head(&chan->waitq);
	file->private_data = chan;
	return stream_open(inode, file);
}

static int hcfs_psdev_release(struct inode *inode, struct file *file)
{
	struct hcfs_chan *chan = file->private_data;
	struct hcfs_req *req, *tmp;

	mutex_lock(&chan->lock);
	chan->dead = true;
	list_for_each_entry_safe(req, tmp, &chan->pending, list)
		hcfs_req_fail(req, -EIO);
	list_for_each_entry_safe(req, tmp, &chan->processing, list)
		hcfs_req_fail(req, -EIO);
	mutex_unlock(&chan->lock);
	hcfs_chan_put(chan);
	return 0;
}

static ssize_t hcfs_psdev_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct hcfs_chan *chan = file->private_data;
	struct hcfs_req *req;
	ssize_t ret;

	mutex_lock(&chan->lock);
	while (list_empty(&chan->pending)) {
		mutex_unlock(&chan->lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(chan->waitq,
					     !list_empty_careful(&chan->pending)))
			return -ERESTARTSYS;
		mutex_lock(&chan->lock);
	}
	req = list_first_entry(&chan->pending, struct hcfs_req, list);
	if (count < req->insize) {
		ret = -EMSGSIZE;	/* venus's buffer is too small */
		goto out;
	}
	if (copy_to_user(buf, req->in, req->insize)) {
		ret = -EFAULT;
		goto out;
	}
	ret = req->insize;
	list_del_init(&req->list);
	if (req->async) {
		kfree(req->in);
		kfree(req);
	} else {
		req->read = true;
		list_add_tail(&req->list, &chan->processing);
	}
out:
	mutex_unlock(&chan->lock);
	return ret;
}

/* A container must be a regular file we can do I/O on, and never one of
 * ours (that would loop back into venus). */
static struct file *hcfs_fetch_container(int fd)
{
	struct file *host = fget(fd);

	if (!host)
		return NULL;
	if (!S_ISREG(file_inode(host)->i_mode) || !host->f_op->read_iter ||
	    file_inode(host)->i_sb->s_magic == HCFS_SUPER_MAGIC) {
		fput(host);
		return NULL;
	}
	return host;
}

static ssize_t hcfs_psdev_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct hcfs_chan *chan = file->private_data;
	struct hcfs_out_hdr hdr;
	struct hcfs_req *req = NULL, *r;
	ssize_t ret = count;

	if (count < sizeof(hdr) || count > HCFS_MAXMSGSIZE)
		return -EINVAL;
	if (copy_from_user(&hdr, buf, sizeof(hdr)))
		return -EFAULT;

	if (HCFS_IS_DOWNCALL(hdr.opcode)) {
		void *msg = memdup_user(buf, count);
		int err;

		if (IS_ERR(msg))
			return PTR_ERR(msg);
		err = hcfs_downcall(chan, msg, count);
		kfree(msg);
		return err ? err : count;
	}

	mutex_lock(&chan->lock);
	list_for_each_entry(r, &chan->processing, list) {
		if (r->unique == hdr.unique) {
			req = r;
			break;
		}
	}
	if (!req) {
		ret = -ESRCH;	/* given up on, or never asked */
		goto out;
	}
	if (count > req->outmax) {
		hcfs_req_fail(req, -EIO);
		ret = -EMSGSIZE;
		goto out;
	}
	if (copy_from_user(req->out, buf, count)) {
		hcfs_req_fail(req, -EIO);
		ret = -EFAULT;
		goto out;
	}
	req->outlen = count;
	req->error = 0;
	if (req->opcode == HCFS_OPEN_BY_FD && hdr.result == 0) {
		struct hcfs_open_by_fd_out *o = req->out;

		/* The fd names a file in venus's table: take it now. */
		if (count < sizeof(*o))
			req->error = -EIO;
		else if (!(req->file = hcfs_fetch_container(o->fd)))
			req->error = -EIO;
	}
	list_del_init(&req->list);
	req->done = true;
	wake_up(&req->wait);
out:
	mutex_unlock(&chan->lock);
	return ret;
}

static __poll_t hcfs_psdev_poll(struct file *file, poll_table *wait)
{
	struct hcfs_chan *chan = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &chan->waitq, wait);
	if (!list_empty_careful(&chan->pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static long hcfs_psdev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case HCFS_IOC_KERNEL_VERSION:
		/* coda.ko stores an int; so do we. */
		return put_user((int)HCFS_KERNEL_VERSION, (int __user *)arg);
	case HCFS_IOC_FEATURES:
		return put_user((u32)(HCFS_FEAT_WRITTEN | HCFS_FEAT_EXTENTS),
				(u32 __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hcfs_psdev_fops = {
	.owner		= THIS_MODULE,
	.open		= hcfs_psdev_open,
	.release	= hcfs_psdev_release,
	.read		= hcfs_psdev_read,
	.write		= hcfs_psdev_write,
	.poll		= hcfs_psdev_poll,
	.unlocked_ioctl	= hcfs_psdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice hcfs_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "hcfs0",
	.fops	= &hcfs_psdev_fops,
	.mode	= 0600,
};

static int __init hcfs_init(void)
{
	int err;

	err = hcfs_register_fs();
	if (err)
		return err;
	err = misc_register(&hcfs_misc);
	if (err)
		hcfs_unregister_fs();
	return err;
}

static void __exit hcfs_exit(void)
{
	misc_deregister(&hcfs_misc);
	hcfs_unregister_fs();
}

module_init(hcfs_init);
module_exit(hcfs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hesper: Coda-protocol file system with a written flag");
MODULE_ALIAS_FS("hesper");
