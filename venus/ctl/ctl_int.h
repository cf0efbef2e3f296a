/*
 * ctl_int.h - helpers shared by the control commands' files (ctl_cmds.c,
 * ctl_vol.c, ctl_fid.c, ctl_ckpt.c, ctl_cml.c); not used outside them.
 */
#ifndef VENUS_CTL_INT_H
#define VENUS_CTL_INT_H

#include <stddef.h>
#include <stdint.h>
#include "venus/core/fsobj.h"
#include "venus/ctl/ctl.h"


/* For srv_call without arguments: libtirpc's xdr_void takes none, so it
 * does not cast cleanly to xdrproc_t. */
bool_t ctl_xdr_none(XDR *x, void *p);
#define CTL_XDR_NONE ((xdrproc_t)ctl_xdr_none)

/* May r's peer change venus's shared state: uid 0, or the uid venus runs
 * as?  1 or 0. */
int ctl_is_root(const struct ctl_req *r);

/* "true" or "false". */
const char *ctl_jbool(int v);

/* The absolute path of rel (mount-relative) under the mount point, in
 * buf (n bytes), for messages.  Returns buf. */
const char *ctl_disp(char *buf, size_t n, const char *rel);

/* "volume.vnode.unique" in hex, Coda's fid form. */
void ctl_fid_str(char *buf, size_t n, const hs_fid *f);

/* The realm fids are printed with ("...@REALM"). */
const char *ctl_realm(void);
/* The name of local volume lvol's realm (ctl_realm() for realm 0 or an
 * unknown index). */
const char *ctl_realm_of(uint32_t lvol);

/* A volume's status as vice told it (HS_GETVOLSTAT), for cfs lv and
 * setquota.  Blocks are 1 KiB; max_quota 0 is unlimited. */
struct ctl_volstat {
	int      have;         /* vice answered */
	uint64_t min_quota, max_quota, blocks_used, part_avail, part_total;
	char     name[HS_MAXNAMELEN + 1]; /* the volume's name */
};

/* One path argument, resolved. */
struct ctl_path_res {
	int             err;   /* 0, or why it did not resolve */
	struct fso_attr a;
	struct ctl_volstat vs; /* listvol, setquota: filled after the walk */
};

/* Resolve every argument of r that does not begin with '-' (options and,
 * per ctlp_opt_has_value, their values are skipped: err is -1), then call
 * finish(r).  r->state is the struct ctl_walk. */
struct ctl_walk {
	void (*finish)(struct ctl_req *r);
	int  next;          /* the argument being resolved */
	int  in_resolve;    /* inside fso_resolve */
	int  sync_done;     /* ... and it already called back */
	int  cursor;        /* the finish step's own: the argument it is at
			     * when it calls vice for each in turn */
	int  printed;       /* ... and it printed a JSON element already */
	struct ctl_path_res res[];
};
void ctl_walk_start(struct ctl_req *r, void (*finish)(struct ctl_req *r));

/* Report argument i's failure err: a stderr line "PATH: strerror", or a
 * JSON array element (*first tracks the comma). */
void ctl_path_error(struct ctl_req *r, int i, int err, int *first);


/* Argument i names venus's directory of realms (the mount itself), which
 * holds no volume: EINVAL, reported as ctl_path_error does, the text
 * naming the realm directory to use instead (ctl_vol.c).  Returns EINVAL. */
int ctl_realmdir_error(struct ctl_req *r, int i, int *first);

/* The volume of rel's deepest cached ancestor, in *vol, when err says vice
 * is unreachable (Coda's listvol -local).  0, or err. */
int ctl_guess_volume(const char *rel, int err, uint32_t *vol);

/* The volume of rel's deepest cached ancestor (rel mount-relative; "" the
 * mount point); 0 if nothing is cached (ctl_vol.c). */
uint32_t ctl_cached_volume(const char *rel);

struct cml_row;
/* A CML record as Coda's venus lists it (cmlent::writeops):
 * "Store \t/coda/a (length = 5)", "Mkdir \t/coda/d", ...; path is the
 * record's mount-relative path (ctl_cml.c). */
void ctl_cml_opline(const struct cml_row *row, const char *path, char *buf,
		    size_t len);

/* A volume's name as vice last told it, or "unknown" (ctl_vol.c). */
const char *ctl_volname(uint32_t id);

/* The command files' entry points (ctl_dispatch calls them after the
 * argument and privilege checks). */
void ctl_vol_run(struct ctl_req *r);   /* listvol, checkvolumes, checkservers */
void ctl_fid_run(struct ctl_req *r);   /* getfid, getpath, getpfid, flush*,
					* truncatelog */
void ctl_ckpt_run(struct ctl_req *r);  /* checkpointml */
void ctl_acl_run(struct ctl_req *r);   /* listacl, setacl (ctl_acl.c) */
/* whereis, lsmount, mkmount, rmmount, getmountpoint, setquota
 * (ctl_mount.c) */
void ctl_mount_run(struct ctl_req *r);
/* The mount-relative path of local volume lvol's root directory (where it
 * is mounted) in buf (n bytes), from the cache: 0, or ENOENT when venus
 * has not crossed into the volume (ctl_mount.c). */
int ctl_volume_root_path(uint32_t lvol, char *buf, size_t n);

/* ---- what a local user may see (ctl_see.c) ---- */

/* A snapshot of the cache's directory attributes, judged for r's peer:
 * NULL only for lack of memory (then nothing is visible).  Free with
 * ctl_view_free. */
struct ctl_view;
struct ctl_view *ctl_view_new(const struct ctl_req *r);
void ctl_view_free(struct ctl_view *v);
/* May the peer see cached object ino (its name, fid, size)?  1 or 0:
 * root sees all; others need l (ACL, when known) and search rights on
 * every directory above it and read rights on its parent (mode bits). */
int ctl_view_obj(const struct ctl_view *v, uint64_t ino);
/* Is the peer root (sees every object and record)?  1 or 0. */
int ctl_view_is_root(const struct ctl_view *v);
/* The owner (uid) of cached object ino, 0 if not cached. */
uid_t ctl_view_owner(const struct ctl_view *v, uint64_t ino);
/* The local user a CML record belongs to: for now the owner of its
 * object (0, root's, when that is gone); the record's own uid once CML
 * rows carry it. */
uid_t ctl_row_uid(const struct ctl_view *v, const struct cml_row *row);
/* May the peer see (and, for discardlocal/preservelocal, act on) row:
 * root, or the record's user?  1 or 0. */
int ctl_view_row(const struct ctl_view *v, const struct cml_row *row);

#endif /* VENUS_CTL_INT_H */
