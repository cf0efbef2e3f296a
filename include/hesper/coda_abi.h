/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1 */
/*
 * coda_abi.h - the Coda kernel upcall protocol (version 5), as Hesper
 * speaks it, plus Hesper's extensions.
 *
 * Shared by kernel/ (the hesper module) and venus/front/coda/coda.c.  Layouts follow
 * Linux include/uapi/linux/coda.h byte for byte on x86_64 and other LP64
 * targets, so venus can serve the stock coda.ko with the same code; names
 * are prefixed hcfs_/HCFS_ so this header never clashes with <linux/coda.h>
 * (which also breaks glibc's struct timeval when included in user space).
 *
 * Conventions (all from the Coda ABI): every upcall starts with
 * struct hcfs_in_hdr, every reply and downcall with struct hcfs_out_hdr;
 * "name" fields are byte offsets from the start of the message to a
 * NUL-terminated string appended after the struct; result is a positive
 * errno or 0.
 */
#ifndef HESPER_CODA_ABI_H
#define HESPER_CODA_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <stdint.h>
#include <sys/ioctl.h>
#endif

/* Protocol version returned by HCFS_IOC_KERNEL_VERSION (coda.h
 * CODA_KERNEL_VERSION: 3 = 128-bit fids, 4 = 64-bit times, 5 = intents). */
#define HCFS_KERNEL_VERSION	5

/* Limits (coda.h CODA_MAXNAMLEN, CODA_MAXPATHLEN, VC_MAXDATASIZE). */
#define HCFS_MAXNAMLEN		255
#define HCFS_MAXPATHLEN		1024
#define HCFS_MAXDATASIZE	8192
/* Largest message either way: header structs plus data, rounded up
 * (coda.h VC_MAXMSGSIZE is about 8.5 KiB). */
#define HCFS_MAXMSGSIZE		(HCFS_MAXDATASIZE + 1024)

/* Open modes in OPEN_BY_FD and CLOSE flags (coda.h C_O_*). */
#define HCFS_O_READ		0x001
#define HCFS_O_WRITE		0x002
#define HCFS_O_TRUNC		0x010
#define HCFS_O_EXCL		0x100
#define HCFS_O_CREAT		0x200
/*
 * Hesper extension, CLOSE only: the open file (or a shared writable
 * mapping made from it) was written: write(2), splice, truncate, fallocate
 * or a page_mkwrite.  Bit unused by every Coda kernel; stock coda.ko never
 * sets it, so venus must only trust its absence after HCFS_IOC_FEATURES
 * reported HCFS_FEAT_WRITTEN.
 */
#define HCFS_O_WRITTEN		0x10000
/*
 * Hesper extension, CLOSE only, always with HCFS_O_WRITTEN: the message is
 * a struct hcfs_close_in (below) that says which bytes the open changed,
 * so venus stores only those.  Without it a written CLOSE means "the whole
 * file" (also what the module sends when it could not keep the ranges).
 * Sent only by a module that reports HCFS_FEAT_EXTENTS; venus must ignore
 * it otherwise.
 */
#define HCFS_O_EXTENTS		0x20000

/* Access modes for ACCESS (coda.h C_A_*_OK). */
#define HCFS_A_C_OK		8
#define HCFS_A_R_OK		4
#define HCFS_A_W_OK		2
#define HCFS_A_X_OK		1
#define HCFS_A_F_OK		0

/* Opcodes (coda.h CODA_*).  Upcalls go kernel -> venus. */
#define HCFS_ROOT		2
#define HCFS_OPEN_BY_FD		3
#define HCFS_OPEN		4
#define HCFS_CLOSE		5
#define HCFS_IOCTL		6
#define HCFS_GETATTR		7
#define HCFS_SETATTR		8
#define HCFS_ACCESS		9
#define HCFS_LOOKUP		10
#define HCFS_CREATE		11
#define HCFS_REMOVE		12
#define HCFS_LINK		13
#define HCFS_RENAME		14
#define HCFS_MKDIR		15
#define HCFS_RMDIR		16
#define HCFS_SYMLINK		18
#define HCFS_READLINK		19
#define HCFS_FSYNC		20
#define HCFS_VGET		22
#define HCFS_SIGNAL		23	/* kernel gave up on an upcall; no reply */
/* Downcalls: venus -> kernel, written unsolicited to the device. */
#define HCFS_REPLACE		24
#define HCFS_FLUSH		25
#define HCFS_PURGEUSER		26
#define HCFS_ZAPFILE		27
#define HCFS_ZAPDIR		28
#define HCFS_PURGEFID		30
#define HCFS_OPEN_BY_PATH	31
#define HCFS_RESOLVE		32
#define HCFS_REINTEGRATE	33
#define HCFS_STATFS		34
#define HCFS_STORE		35
#define HCFS_RELEASE		36
#define HCFS_ACCESS_INTENT	37
#define HCFS_NCALLS		38
/* coda.h DOWNCALL(): the opcode range the kernel treats as downcalls. */
#define HCFS_IS_DOWNCALL(op)	((op) >= HCFS_REPLACE && (op) <= HCFS_PURGEFID)

/* ioctls on the device.  KERNEL_VERSION is coda.h CIOC_KERNEL_VERSION and
 * works on /dev/cfs0 too.  Despite the size_t in its number, both modules
 * store an int (5): pass an int, or a zeroed size_t on little-endian. */
#define HCFS_IOC_KERNEL_VERSION	_IOWR('c', 10, size_t)
/* Hesper only (ENOTTY on coda.ko): stores a uint32_t of HCFS_FEAT_*. */
#define HCFS_IOC_FEATURES	_IOR('c', 40, uint32_t)
#define HCFS_FEAT_WRITTEN	0x1	/* CLOSE carries HCFS_O_WRITTEN */
#define HCFS_FEAT_EXTENTS	0x2	/* CLOSE may carry HCFS_O_EXTENTS */

/* struct CodaFid: an opaque 128-bit object name chosen by venus. */
struct hcfs_fid {
	uint32_t opaque[4];
};

/* enum coda_vtype: object types in vattr.va_type and LOOKUP replies. */
enum hcfs_vtype {
	HCFS_VNON, HCFS_VREG, HCFS_VDIR, HCFS_VBLK, HCFS_VCHR, HCFS_VLNK,
	HCFS_VSOCK, HCFS_VFIFO, HCFS_VBAD
};
/* LOOKUP reply vtype bit: do not cache the result (coda.h CODA_NOCACHE). */
#define HCFS_NOCACHE		0x80000000u

/* struct coda_timespec (protocol version 4+). */
struct hcfs_timespec {
	int64_t tv_sec;
	long    tv_nsec;
};

/* struct coda_vattr: attributes.  In SETATTR, fields venus should leave
 * alone are all ones (-1). */
struct hcfs_vattr {
	long     va_type;       /* enum hcfs_vtype */
	uint16_t va_mode;       /* permission bits (no S_IFMT) */
	int16_t  va_nlink;
	uint32_t va_uid;
	uint32_t va_gid;
	long     va_fileid;     /* inode number to show */
	uint64_t va_size;       /* bytes */
	long     va_blocksize;  /* preferred I/O size, bytes */
	struct hcfs_timespec va_atime;
	struct hcfs_timespec va_mtime;
	struct hcfs_timespec va_ctime;
	unsigned long va_gen;
	unsigned long va_flags;
	uint64_t va_rdev;
	uint64_t va_bytes;      /* bytes allocated */
	uint64_t va_filerev;
};

/* struct coda_statfs: counts in 4 KiB blocks and objects. */
struct hcfs_statfs {
	int32_t f_blocks;
	int32_t f_bfree;
	int32_t f_bavail;
	int32_t f_files;
	int32_t f_ffree;
};

/* struct venus_dirent: directory containers hold a sequence of these,
 * each d_reclen bytes long (HCFS_DIRSIZ rounds to 4); d_fileno 0 marks a
 * hole.  d_type takes DT_* values (coda.h CDT_*). */
struct hcfs_dirent {
	uint32_t d_fileno;
	uint16_t d_reclen;
	uint8_t  d_type;
	uint8_t  d_namlen;
	char     d_name[HCFS_MAXNAMLEN + 1];
};
#define HCFS_DIRENT_BASE	8	/* bytes before d_name */
#define HCFS_DIRSIZ(namlen)	(HCFS_DIRENT_BASE + (((namlen) + 1 + 3) & ~3))

/* Headers.  uid is the caller's fsuid in the initial user namespace. */
struct hcfs_in_hdr {
	uint32_t opcode;
	uint32_t unique;        /* matches the reply to the upcall */
	int32_t  pid;
	int32_t  pgid;
	uint32_t uid;
};

struct hcfs_out_hdr {
	uint32_t opcode;
	uint32_t unique;
	uint32_t result;        /* 0 or a positive errno */
};

/* ROOT: no arguments; reply names the root directory. */
struct hcfs_root_out {
	struct hcfs_out_hdr oh;
	struct hcfs_fid fid;
};

/* Requests that carry only a fid: GETATTR, READLINK, FSYNC, VGET. */
struct hcfs_fid_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
};

/* OPEN_BY_FD, CLOSE, OPEN, STORE, RELEASE, OPEN_BY_PATH: fid + HCFS_O_*. */
struct hcfs_open_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
	int flags;
};

/*
 * CLOSE with HCFS_O_EXTENTS in oi.flags (Hesper only; coda.ko never sends
 * it): the written byte ranges of this open, then the message ends.
 * Layout (LP64): oi at 0 (40 bytes), count at 40, pad at 44, cut at 48,
 * ext[] from 56, 16 bytes each; the message is exactly
 * HCFS_CLOSE_IN_SIZE(count) bytes, and venus must check that against the
 * length it read before looking at ext[].
 *   count  ranges in ext[], 0..HCFS_EXTENTS_MAX (0: only a truncate, or a
 *          write that changed nothing).
 *   cut    the smallest size, in bytes, a truncate (ftruncate, truncate by
 *          path while open, O_TRUNC is not one: venus sees that at open)
 *          set while the file was open; HCFS_CUT_NONE when there was none.
 *          Bytes from cut on hold nothing of the version before the open,
 *          except where ext[] says they were written again.
 *   ext[]  [off, off + len) byte ranges written (write, splice,
 *          fallocate, a page of a shared mapping made writable: the whole
 *          page), sorted by off, neither overlapping nor touching, len > 0.
 *          They may cover more than was written (the module merges the
 *          closest ranges when an open collects more than HCFS_EXTENTS_MAX)
 *          and may reach past the final size; they never miss a changed
 *          byte below the final size that is not beyond cut.
 * The final size is the container's size at CLOSE.
 */
#define HCFS_EXTENTS_MAX	64
#define HCFS_CUT_NONE		(~(uint64_t)0)
struct hcfs_extent {
	uint64_t off;           /* bytes */
	uint64_t len;           /* bytes, > 0 */
};
struct hcfs_close_in {
	struct hcfs_open_in oi; /* oi.flags has HCFS_O_WRITTEN|HCFS_O_EXTENTS */
	uint32_t count;         /* entries in ext[] */
	uint32_t pad;           /* 0 */
	uint64_t cut;           /* bytes, or HCFS_CUT_NONE */
	struct hcfs_extent ext[];
};
#define HCFS_CLOSE_IN_SIZE(n) \
	(sizeof(struct hcfs_close_in) + (size_t)(n) * sizeof(struct hcfs_extent))

/* OPEN_BY_FD reply: fd of the container in venus's fd table; the kernel
 * takes its own reference while it handles the write() of this reply. */
struct hcfs_open_by_fd_out {
	struct hcfs_out_hdr oh;
	int fd;
};

/* GETATTR reply; CREATE and MKDIR replies have the same shape plus fid. */
struct hcfs_getattr_out {
	struct hcfs_out_hdr oh;
	struct hcfs_vattr attr;
};

struct hcfs_setattr_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
	struct hcfs_vattr attr;
};

/* ACCESS: flags are HCFS_A_*. */
struct hcfs_access_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
	int flags;
};

struct hcfs_lookup_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;    /* directory */
	int name;               /* offset of the name */
	int flags;              /* 1 = case sensitive */
};

struct hcfs_lookup_out {
	struct hcfs_out_hdr oh;
	struct hcfs_fid fid;
	int vtype;              /* enum hcfs_vtype, maybe | HCFS_NOCACHE */
};

struct hcfs_create_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;    /* directory */
	struct hcfs_vattr attr;
	int excl;
	int mode;               /* S_IFREG | permission bits */
	int name;
};

/* Reply to CREATE and MKDIR. */
struct hcfs_create_out {
	struct hcfs_out_hdr oh;
	struct hcfs_fid fid;
	struct hcfs_vattr attr;
};

/* REMOVE and RMDIR: a name in directory fid. */
struct hcfs_remove_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
	int name;
};

struct hcfs_link_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid src;    /* object to link to */
	struct hcfs_fid dir;    /* directory for the new name */
	int tname;
};

struct hcfs_rename_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid src_dir;
	int srcname;
	struct hcfs_fid dst_dir;
	int dstname;
};

struct hcfs_mkdir_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;    /* parent */
	struct hcfs_vattr attr; /* va_mode: permission bits */
	int name;
};

struct hcfs_symlink_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;    /* directory */
	int srcname;            /* offset of the link target */
	struct hcfs_vattr attr;
	int tname;              /* offset of the new name */
};

/* READLINK reply: count bytes of target at offset data (a pointer-sized
 * field in coda.h: caddr_t). */
struct hcfs_readlink_out {
	struct hcfs_out_hdr oh;
	int count;
	uint64_t data;
};

/* IOCTL (pioctl): Hesper's module never sends it; venus answers coda.ko
 * with EOPNOTSUPP. */
struct hcfs_ioctl_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
	int cmd;
	int len;
	int rwflag;
	uint64_t data;
};

struct hcfs_statfs_out {
	struct hcfs_out_hdr oh;
	struct hcfs_statfs stat;
};

/* ACCESS_INTENT (coda.ko only): type is HCFS_ACCESS_TYPE_*; the *_FINISH
 * ones are asynchronous and must not be answered. */
#define HCFS_ACCESS_TYPE_READ		1
#define HCFS_ACCESS_TYPE_WRITE		2
#define HCFS_ACCESS_TYPE_MMAP		3
#define HCFS_ACCESS_TYPE_READ_FINISH	4
#define HCFS_ACCESS_TYPE_WRITE_FINISH	5
struct hcfs_access_intent_in {
	struct hcfs_in_hdr ih;
	struct hcfs_fid fid;
	int count;
	int pos;
	int type;
};

/* Downcalls ZAPFILE, ZAPDIR, PURGEFID: drop the kernel's cached
 * attributes (and for ZAPDIR/PURGEFID the names) of fid. */
struct hcfs_zap_out {
	struct hcfs_out_hdr oh;
	struct hcfs_fid fid;
};

/* REPLACE: the object old_fid is now called new_fid. */
struct hcfs_replace_out {
	struct hcfs_out_hdr oh;
	struct hcfs_fid new_fid;
	struct hcfs_fid old_fid;
};

/* PURGEUSER: forget what was cached on behalf of uid. */
struct hcfs_purgeuser_out {
	struct hcfs_out_hdr oh;
	uint32_t uid;
};

/* mount(2) data for fs types "hesper" and "coda" (coda_mount_data). */
#define HCFS_MOUNT_VERSION	1
struct hcfs_mount_data {
	int version;            /* HCFS_MOUNT_VERSION */
	int fd;                 /* the caller's open device fd */
};

/* Device and fs type names. */
#define HCFS_DEVICE		"/dev/hcfs0"
#define HCFS_FSTYPE		"hesper"

#endif /* HESPER_CODA_ABI_H */
