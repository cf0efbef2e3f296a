/*
 * ctl_ckpt.c - cfs checkpointml: the CML of one volume written out as
 * Coda does (coda-src/venus/vol_cml.cc ClientModifyLog::CheckPoint):
 *
 *   DIR/REALM_VOLNAME.cml   one line per record, listlocal's wording
 *   DIR/REALM_VOLNAME.tar   the store data: a POSIX ustar archive whose
 *                           members are the stored files' paths below the
 *                           mount point, in log order (a later store of a
 *                           file comes later and wins on extraction)
 *
 * Earlier files of the same names are kept as *.old.  DIR is cfs's
 * second argument, else venus.conf's checkpointdir, else
 * <cachedir>/checkpoint.  The tar is the "closure" cfs examineclosure
 * lists and cfs replayclosure writes back through the mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/log/cml.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_disc.h"
#include "venus/ctl/ctl_int.h"

#define TAR_BLOCK 512

struct ckpt {
	uint32_t vol;
	FILE    *cml;        /* the .cml listing */
	FILE    *tar;        /* the .tar closure */
	unsigned records, files, skipped;
	int      err;        /* first write error */
	char     root[4096]; /* the volume root's mount-relative path */
};

/* Write v in octal into a field of n bytes (n-1 digits and a NUL). */
static void octal(char *f, size_t n, unsigned long long v)
{
	snprintf(f, n, "%0*llo", (int)n - 1, v);
}

/* Fill name/prefix of a ustar header with path (no leading '/').  0, or
 * -1 if it cannot be split into prefix (155) and name (100). */
static int tar_name(char *h, const char *path)
{
	size_t len = strlen(path);
	const char *cut;

	if (len <= 100) {
		memcpy(h, path, len);
		return 0;
	}
	for (cut = path + len - 1; cut > path; cut--)
		if (*cut == '/' && (size_t)(cut - path) <= 155 &&
		    len - (size_t)(cut - path) - 1 <= 100)
			break;
	if (cut == path)
		return -1;
	memcpy(h + 345, path, (size_t)(cut - path));
	memcpy(h, cut + 1, len - (size_t)(cut - path) - 1);
	return 0;
}

/* One regular file member: header, data from fd, padding. */
static int tar_file(FILE *t, const char *path, int fd, const struct stat *st)
{
	char h[TAR_BLOCK] = { 0 }, buf[65536];
	unsigned sum = 0;
	unsigned long long left = (unsigned long long)st->st_size;

	if (tar_name(h, path) < 0)
		return ENAMETOOLONG;
	/* The frozen copy's own mode is the cache's (0600), not the file's;
	 * a store carries no mode (setattr records do), so 0644. */
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, left);
	octal(h + 136, 12, (unsigned long long)st->st_mtime);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	if (fwrite(h, TAR_BLOCK, 1, t) != 1)
		return EIO;
	while (left) {
		ssize_t n = read(fd, buf, left < sizeof buf ? left : sizeof buf);

		if (n <= 0)
			return n < 0 ? errno : EIO;   /* the copy shrank: torn */
		if (fwrite(buf, 1, (size_t)n, t) != (size_t)n)
			return EIO;
		left -= (unsigned long long)n;
	}
	memset(buf, 0, TAR_BLOCK);
	left = (unsigned long long)st->st_size % TAR_BLOCK;
	if (left && fwrite(buf, TAR_BLOCK - left, 1, t) != 1)
		return EIO;
	return 0;
}

/* A store record's frozen copy into the closure. */
static void ckpt_store(struct ckpt *c, const struct cml_row *row, const char *path)
{
	char data[PATH_MAX];
	struct stat st;
	int fd, err;

	cml_data_path(row->seq, data, sizeof data);
	while (*path == '/')
		path++;
	if (!*path || (fd = open(data, O_RDONLY | O_CLOEXEC)) < 0) {
		c->skipped++;
		return;
	}
	if (fstat(fd, &st) < 0 || (err = tar_file(c->tar, path, fd, &st)) == ENAMETOOLONG) {
		c->skipped++;
	} else if (err) {
		c->err = c->err ? c->err : err;
	} else {
		c->files++;
	}
	close(fd);
}

/* path relative to the volume's root, as Coda's closures hold it (cfs
 * replayclosure unpacks at the volume's mount point). */
static const char *in_volume(const struct ckpt *c, const char *path)
{
	size_t n = strlen(c->root);

	while (*path == '/')
		path++;
	if (n && !strncmp(path, c->root, n) && (path[n] == '/' || !path[n]))
		path += n;
	return path;
}

static int ckpt_row(void *arg, struct cml_row *row)
{
	struct ckpt *c = arg;
	char path[4096], line[8300];

	if (row->obj.volume != c->vol)
		return 0;
	fso_row_path(row, path, sizeof path);
	ctl_cml_opline(row, path, line, sizeof line);
	fprintf(c->cml, "%s\n", line);
	c->records++;
	if (row->op == HS_OP_STORE)
		ckpt_store(c, row, in_volume(c, path));
	return 0;
}

/* name -> name.old, if name exists (Coda's BackupOldFile). */
static void backup_old(const char *name)
{
	char old[PATH_MAX + 700];

	snprintf(old, sizeof old, "%s.old", name);
	if (access(name, F_OK) == 0)
		rename(name, old);
}

/* Open DIR/BASE.ext for writing (mode 0600), the old one kept. */
static FILE *ckpt_open(char *out, size_t n, const char *dir, const char *base,
		       const char *ext)
{
	int fd;

	snprintf(out, n, "%s/%s.%s", dir, base, ext);
	backup_old(out);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? NULL : fdopen(fd, "w");
}

static void ckpt_write(struct ctl_req *r, uint32_t vol)
{
	char dir[PATH_MAX], base[512], tarp[PATH_MAX + 600], cmlp[PATH_MAX + 600];
	char zero[2 * TAR_BLOCK] = { 0 };
	static struct ckpt c;   /* large; one checkpoint at a time */
	const char *d = r->argc > 1 ? r->argv[1] : V->cfg.checkpointdir;

	memset(&c, 0, sizeof c);
	c.vol = vol;
	if (ctl_volume_root_path(vol, c.root, sizeof c.root))
		c.root[0] = '\0';
	while (c.root[0] == '/')
		memmove(c.root, c.root + 1, strlen(c.root));

	if (d)
		snprintf(dir, sizeof dir, "%s", d);
	else
		snprintf(dir, sizeof dir, "%s/checkpoint", V->cfg.cachedir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ctl_fail(r, errno, "VIOC_CHECKPOINTML: %s: %s", dir, strerror(errno));
		return;
	}
	snprintf(base, sizeof base, "%s_%s", ctl_realm_of(vol), ctl_volname(vol));
	for (char *p = base; *p; p++)
		if (*p == ':' || *p == '/' || *p == '|' || *p == '@')
			*p = '_';
	if (!(c.tar = ckpt_open(tarp, sizeof tarp, dir, base, "tar")) ||
	    !(c.cml = ckpt_open(cmlp, sizeof cmlp, dir, base, "cml"))) {
		int err = errno;

		if (c.tar)
			fclose(c.tar);
		ctl_fail(r, err, "Couldn't open %s for checkpointing: %s",
			 c.tar ? cmlp : tarp, strerror(err));
		return;
	}
	vlog(LOG_NOTICE, "Checkpointing %s to %s and %s", ctl_volname(vol), tarp, cmlp);
	cml_foreach(V->cml, NULL, ckpt_row, &c);
	if (fwrite(zero, sizeof zero, 1, c.tar) != 1 && !c.err)
		c.err = EIO;
	if (fclose(c.tar) != 0 && !c.err)
		c.err = EIO;
	if (fclose(c.cml) != 0 && !c.err)
		c.err = EIO;
	if (c.err) {
		ctl_fail(r, c.err, "checkpointing of %s to %s failed (%s)",
			 ctl_volname(vol), tarp, strerror(c.err));
		return;
	}
	if (r->json) {
		ctl_printf(r, CTLP_STDOUT, "{\"cml\":");
		ctl_json_str(r, cmlp);
		ctl_printf(r, CTLP_STDOUT, ",\"closure\":");
		ctl_json_str(r, tarp);
		ctl_printf(r, CTLP_STDOUT, ",\"records\":%u,\"files\":%u,\"skipped\":%u}\n",
			   c.records, c.files, c.skipped);
	} else {
		ctl_printf(r, CTLP_STDOUT, "Checkpointing %s to %s and %s\n",
			   ctl_volname(vol), tarp, cmlp);
		if (c.skipped)
			ctl_printf(r, CTLP_STDERR, "%u stored files left out (path unknown "
				   "or too long for tar)\n", c.skipped);
	}
	ctl_done(r, 0);
}

static void ckpt_resolved(void *arg, int err, const struct fso_attr *a)
{
	struct ctl_req *r = arg;
	uint32_t vol = a && !err ? a->fid.volume : 0;
	char buf[PATH_MAX + 256];

	if (err)
		err = ctl_guess_volume(r->argv[0], err, &vol);
	if (err) {
		ctl_fail(r, err, "%s: %s", ctl_disp(buf, sizeof buf, r->argv[0]),
			 strerror(err));
		return;
	}
	ckpt_write(r, vol);
}

/* cfs ck [DIR [CHECKPOINT-DIR]]: DIR names the volume (default: the one
 * mounted at the mount point). */
void ctl_ckpt_run(struct ctl_req *r)
{
	int err;

	if (r->argc > 1 && r->argv[1][0] != '/') {
		ctl_fail(r, EINVAL, "Checkpoint directory %s must be an absolute path",
			 r->argv[1]);
		return;
	}
	if (!r->argc) {
		fso_resolve("", ckpt_resolved, r);
		return;
	}
	if ((err = ctlp_clean_path(r->argv[0]))) {
		ctl_fail(r, err, "%s: %s", r->argv[0], strerror(err));
		return;
	}
	fso_resolve(r->argv[0], ckpt_resolved, r);
}
