/*
 * coda_int.h - private to the kernel-channel front end (venus/coda*.c).
 *
 * coda.c owns the device, the dispatch table, the mount child and
 * start/stop; coda_reply.c makes fids and attributes and answers pending
 * upcalls; coda_ops.c serves the namespace upcalls; coda_file.c opens and
 * closes files and keeps the coda.ko written-flag fallback; coda_dir.c
 * writes directory containers.
 */
#ifndef VENUS_CODA_INT_H
#define VENUS_CODA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "hesper/coda_abi.h"
#include "venus/core/fsobj.h"

#define HCFS_FID_TAG	0x48455350u	/* "HESP": fids made by this venus */

/* One upcall waiting for fsobj. */
struct cpend {
	struct cpend *prev, *next;
	uint32_t      opcode;
	uint32_t      unique;
	int           dead;        /* front stopped: just free on completion */
	int           signalled;   /* the kernel gave up waiting */
	uint64_t      ino;         /* the object (OPEN_BY_FD, CREATE...) */
	int           flags;       /* open(2) flags for OPEN_BY_FD */
	int           excl;
	int           cflags;      /* HCFS_O_* of OPEN_BY_FD */
	uint32_t      uid;         /* caller (the upcall's cred): fsobj calls go as it */
	char          name[HCFS_MAXNAMLEN + 1];
};

/* Per-object state of the coda.ko fallback and directory opens. */
struct cstate {
	struct cstate *next;
	uint64_t       ino;
	int            dir_opens;  /* OPEN_BY_FD of a directory (no fso_open) */
	int            writers;
	int            written;    /* intent, SETATTR size or O_TRUNC seen */
	int            mmap_seen;  /* MMAP intent while writable */
	int            fd;         /* dup of the first writer's container */
	struct stat    snap;       /* container at the first writable open */
};

/* coda.c: the device */
extern int          cf_fd;
extern int          cf_hesper;      /* module reports HCFS_O_WRITTEN */
extern int          cf_extents;     /* and HCFS_O_EXTENTS (HCFS_FEAT_EXTENTS) */
extern struct cpend cf_pending;

/* An upcall handler of the dispatch table: msg is the whole message (len
 * bytes), ino the object of its fid (0 for ROOT and STATFS).  Returns 0
 * once p is answered or handed to fsobj, else the errno to answer p with
 * (EINVAL: a malformed message). */
typedef int cf_upcall_fn(struct cpend *p, const char *msg, size_t len, uint64_t ino);

/* The message is too short for an upcall's in-struct. */
#define NEED(T) do { if (len < sizeof(T)) return EINVAL; } while (0)

/* coda_reply.c: fids, attributes, replies */
struct hcfs_fid cf_fid(uint64_t ino);
/* 0 for a fid this venus did not make. */
uint64_t cf_ino(const struct hcfs_fid *f);
long cf_vtype(mode_t mode);
void cf_vattr(struct hcfs_vattr *va, const struct fso_attr *a);
struct cpend *cf_pend_new(const struct hcfs_in_hdr *ih);
/* Finish p with out (len bytes, header filled here); frees p.  Returns the
 * write's errno. */
int cf_reply(struct cpend *p, void *out, size_t len, int err);
void cf_reply_err(struct cpend *p, int err);
void cf_signal(uint32_t unique);
/* fsobj callbacks that only answer p (arg). */
void cf_done_err(void *arg, int err);
void cf_done_attr(void *arg, int err, const struct fso_attr *a);
/* SETATTR, SYMLINK, LINK: the reply is the header alone. */
void cf_done_noattr(void *arg, int err, const struct fso_attr *a);

/* coda_ops.c: namespace upcalls */
cf_upcall_fn cf_up_root, cf_up_getattr, cf_up_setattr, cf_up_access,
	cf_up_lookup, cf_up_create, cf_up_mkdir, cf_up_symlink, cf_up_remove,
	cf_up_link, cf_up_rename, cf_up_readlink, cf_up_statfs, cf_up_noop;

/* coda_file.c: open, close, the written-flag fallback */
cf_upcall_fn cf_up_open, cf_up_close;
/* ACCESS_INTENT before its reply: 0 if it gets none (*_FINISH). */
int cf_pre_intent(const char *msg, size_t len);
struct cstate *cf_state(uint64_t ino, int create);
void cf_state_drop(struct cstate *s);
/* At stop: forget every object's state. */
void cf_states_free(void);

/* coda_dir.c: directory containers (fso_readdir callback; arg is p) */
void cf_done_readdir(void *arg, int err, const struct fso_dirent *ents, size_t n);

#endif
