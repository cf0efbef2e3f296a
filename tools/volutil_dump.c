/*
 * tools/volutil_dump.c - volutil dump, restore, lock, unlock and move
 * (HS_VOL_LOCK, HS_VOL_DUMP, HS_VOL_RESTORE_CHUNK, HS_VOL_RESTORE,
 * HS_VOL_RELEASE; Coda's volutil lock/unlock/dump/restore, and its
 * move done the way doc/design.md "Moving a volume" says).
 *
 * A dump travels in VU_CHUNK pieces: from vice into a local file (dump),
 * from a local file into vice (restore), or from one vice straight into
 * another (move).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "volutil.h"

/* Bytes per dump or restore call (HS_DUMP_MAX at most). */
#define VU_CHUNK (1u << 20)
/* The call that makes the dump, and the one that restores it, run as
 * long as the volume is large: give them this long (ms). */
#define VU_LONG_MS (30u * 60 * 1000)

/* VOL as an id: a number is taken as it is (no list needed, so that a
 * volume another server lost track of can still be named), else a name
 * through HS_VOL_LIST. */
static int vol_id(struct vu *c, const char *vol, uint32_t *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(vol, &end, 0);
	if (*vol >= '0' && *vol <= '9' && !*end && !errno && v >= 1 &&
	    v <= HS_VOLID_MAX) {
		*id = (uint32_t)v;
		return 0;
	}
	return vu_volid(c, vol, id);
}

/* A call answering hs_status_res: 0, or 1 after saying why. */
static int status_call(struct vu *c, uint32_t proc, xdrproc_t argproc,
		       const void *args, const char *what)
{
	hs_status_res r;

	if (vu_call(c, proc, argproc, args, (xdrproc_t)xdr_hs_status_res, &r,
		    sizeof r))
		return 1;
	if (r.status)
		return vu_fail(what, r.status);
	return 0;
}

static int lock(struct vu *c, uint32_t id, int on)
{
	hs_vollock_args a = { id, on };
	char what[64];

	snprintf(what, sizeof what, "%s volume 0x%08" PRIx32,
		 on ? "locking" : "unlocking", id);
	return status_call(c, HS_VOL_LOCK, (xdrproc_t)xdr_hs_vollock_args, &a,
			   what);
}

/* Where a dump's chunks go. */
struct sink {
	int fd;                 /* a local file, or -1 */
	struct vu *to;          /* a vice to restore on, or NULL */
	uint64_t handle;
};

static int sink_put(struct sink *s, uint64_t off, char *data, unsigned len)
{
	hs_volrestore_chunk_args a;

	if (s->fd >= 0) {
		if (pwrite(s->fd, data, len, (off_t)off) != (ssize_t)len) {
			fprintf(stderr, "volutil: writing the dump: %s\n",
				strerror(errno));
			return 1;
		}
		return 0;
	}
	a.handle = s->handle;
	a.offset = off;
	a.data.data_len = len;
	a.data.data_val = data;
	return status_call(s->to, HS_VOL_RESTORE_CHUNK,
			   (xdrproc_t)xdr_hs_volrestore_chunk_args, &a,
			   "sending the dump");
}

/* Read volume id's dump from c, chunk by chunk, into s. */
static int dump_to(struct vu *c, uint32_t id, struct sink *s,
		   uint64_t *total)
{
	hs_voldump_args a = { id, 0, VU_CHUNK };
	hs_voldump_res r;
	unsigned saved = c->timeout_ms;
	int rc;

	*total = 0;
	do {
		c->timeout_ms = a.offset ? saved : VU_LONG_MS;
		rc = vu_call(c, HS_VOL_DUMP, (xdrproc_t)xdr_hs_voldump_args,
			     &a, (xdrproc_t)xdr_hs_voldump_res, &r, sizeof r);
		c->timeout_ms = saved;
		if (rc)
			return 1;
		if (r.status)
			return vu_fail("dumping", r.status);
		*total = r.hs_voldump_res_u.ok.total;
		rc = sink_put(s, a.offset, r.hs_voldump_res_u.ok.data.data_val,
			      r.hs_voldump_res_u.ok.data.data_len);
		a.offset += r.hs_voldump_res_u.ok.data.data_len;
		if (!rc && !r.hs_voldump_res_u.ok.data.data_len &&
		    a.offset < *total) {
			fprintf(stderr, "volutil: dumping: vice sent nothing "
				"at offset %" PRIu64 "\n", a.offset);
			rc = 1;
		}
		xdr_free((xdrproc_t)xdr_hs_voldump_res, (char *)&r);
	} while (!rc && a.offset < *total);
	return rc;
}

/* Commit restore handle h on c as id/name; out: the new volume. */
static int restore_commit(struct vu *c, uint64_t h, uint32_t id,
			  const char *name, hs_volinfo *out)
{
	hs_volrestore_args a = { h, (char *)name, id };
	hs_getroot_res r;
	unsigned saved = c->timeout_ms;
	int rc;

	c->timeout_ms = VU_LONG_MS;
	rc = vu_call(c, HS_VOL_RESTORE, (xdrproc_t)xdr_hs_volrestore_args, &a,
		     (xdrproc_t)xdr_hs_getroot_res, &r, sizeof r);
	c->timeout_ms = saved;
	if (rc)
		return 1;
	if (r.status) {
		rc = vu_fail("restoring", r.status);
		xdr_free((xdrproc_t)xdr_hs_getroot_res, (char *)&r);
		return rc;
	}
	out->id = r.hs_getroot_res_u.vol.id;
	snprintf(out->name, HS_MAXNAMELEN + 1, "%s",
		 r.hs_getroot_res_u.vol.name);
	xdr_free((xdrproc_t)xdr_hs_getroot_res, (char *)&r);
	return 0;
}

static uint64_t new_handle(void)
{
	uint64_t h = 0;

	while (h == 0)
		if (getrandom(&h, sizeof h, 0) != sizeof h)
			h = (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
	return h;
}

int vu_cmd_lock(struct vu *c, int argc, char **argv)
{
	uint32_t id;

	if (argc != 2)
		return 2;
	if (vol_id(c, argv[1], &id) || lock(c, id, 1))
		return 1;
	if (!c->json)
		printf("Volume 0x%08" PRIx32 " locked\n", id);
	return 0;
}

int vu_cmd_unlock(struct vu *c, int argc, char **argv)
{
	uint32_t id;

	if (argc != 2)
		return 2;
	if (vol_id(c, argv[1], &id) || lock(c, id, 0))
		return 1;
	if (!c->json)
		printf("Volume 0x%08" PRIx32 " unlocked\n", id);
	return 0;
}

int vu_cmd_dump(struct vu *c, int argc, char **argv)
{
	struct sink s = { -1, NULL, 0 };
	uint64_t total;
	uint32_t id;
	int rc;

	if (argc != 3)
		return 2;
	if (vol_id(c, argv[1], &id))
		return 1;
	s.fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		fprintf(stderr, "volutil: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	rc = dump_to(c, id, &s, &total);
	if (!rc && fsync(s.fd) < 0) {
		fprintf(stderr, "volutil: %s: %s\n", argv[2], strerror(errno));
		rc = 1;
	}
	close(s.fd);
	if (rc) {
		(void)unlink(argv[2]);
		return 1;
	}
	if (c->json) {
		printf("{\"id\":%" PRIu32 ",\"file\":", id);
		vu_json_str(argv[2]);
		printf(",\"bytes\":%" PRIu64 "}\n", total);
	} else
		printf("Volume 0x%08" PRIx32 " dumped to %s (%" PRIu64
		       " bytes)\n", id, argv[2], total);
	return 0;
}

/* Send a local dump file under handle h. */
static int send_file(struct vu *c, int fd, uint64_t h)
{
	struct sink s = { -1, c, h };
	char *buf = malloc(VU_CHUNK);
	uint64_t off = 0;
	ssize_t got;
	int rc = 0;

	if (!buf)
		return 1;
	do {
		got = pread(fd, buf, VU_CHUNK, (off_t)off);
		if (got < 0) {
			fprintf(stderr, "volutil: reading the dump: %s\n",
				strerror(errno));
			rc = 1;
		} else if (got > 0 || off == 0) {
			rc = sink_put(&s, off, buf, (unsigned)got);
			off += (uint64_t)got;
		}
	} while (!rc && got > 0);
	free(buf);
	return rc;
}

int vu_cmd_restore(struct vu *c, int argc, char **argv)
{
	char name[HS_MAXNAMELEN + 1];
	hs_volinfo vol = { 0, name, { 0, 0, 0 } };
	const char *newname = "";
	uint32_t id = 0;
	uint64_t h = new_handle();
	int i, fd, rc;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-id") && i + 1 < argc) {
			char *end;

			id = (uint32_t)strtoul(argv[++i], &end, 0);
			if (*end || !id)
				return 2;
		} else if (argv[i][0] != '-' && !*newname)
			newname = argv[i];
		else
			return 2;
	}
	if (argc < 2)
		return 2;
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "volutil: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	rc = send_file(c, fd, h);
	close(fd);
	if (rc || restore_commit(c, h, id, newname, &vol))
		return 1;
	if (c->json) {
		printf("{\"id\":%u,\"name\":", vol.id);
		vu_json_str(vol.name);
		printf("}\n");
	} else
		printf("Volume %s (0x%08x) restored from %s\n", vol.name,
		       vol.id, argv[1]);
	return 0;
}

/* The destination's connection: -D ROOT names its vice root (its
 * tls/cert.pem pins the certificate; auth.key is the realm's, the same
 * on every server), else the source's root is used. */
static int move_dest(struct vu *c, struct vu *d, int argc, char **argv)
{
	memset(d, 0, sizeof *d);
	d->root = c->root;
	d->port = 2432;
	d->json = c->json;
	if (argc == 5 && !strcmp(argv[3], "-D"))
		d->root = argv[4];
	else if (argc != 3)
		return 2;
	if (vu_set_host(d, argv[2])) {
		fprintf(stderr, "volutil: bad destination %s\n", argv[2]);
		return 2;
	}
	return 0;
}

/* Lock on the source, dump straight into a restore on the destination
 * (same id: the destination registers it in the VLDB), release on the
 * source.  Until the restore commits, a failure unlocks the source. */
static int move(struct vu *c, struct vu *d, uint32_t id, hs_volinfo *vol)
{
	struct sink s = { -1, d, new_handle() };
	uint64_t total;

	if (lock(c, id, 1))
		return 1;
	if (dump_to(c, id, &s, &total) ||
	    restore_commit(d, s.handle, id, "", vol)) {
		if (lock(c, id, 0))
			fprintf(stderr, "volutil: move failed and volume "
				"0x%08" PRIx32 " is still locked on %s:%d: "
				"run volutil unlock there\n", id, c->host,
				c->port);
		else
			fprintf(stderr, "volutil: move failed; volume 0x%08"
				PRIx32 " unlocked on %s:%d, nothing moved\n",
				id, c->host, c->port);
		return 1;
	}
	if (status_call(c, HS_VOL_RELEASE, (xdrproc_t)xdr_hs_volrelease_args,
			&id, "releasing the volume on the source")) {
		/* Not unlocked: writes there would be lost, the VLDB names
		 * the destination now. */
		fprintf(stderr, "volutil: volume 0x%08" PRIx32 " is on %s:%d "
			"now but still (locked) on %s:%d: remove it there\n",
			id, d->host, d->port, c->host, c->port);
		return 1;
	}
	return 0;
}

int vu_cmd_move(struct vu *c, int argc, char **argv)
{
	char name[HS_MAXNAMELEN + 1] = "";
	hs_volinfo vol = { 0, name, { 0, 0, 0 } };
	struct vu d;
	uint32_t id;
	int rc;

	if ((rc = move_dest(c, &d, argc, argv)))
		return rc;
	if (vol_id(c, argv[1], &id))
		return 1;
	rc = move(c, &d, id, &vol);
	vu_close(&d);
	if (rc)
		return 1;
	if (c->json) {
		printf("{\"id\":%u,\"name\":", vol.id);
		vu_json_str(vol.name);
		printf(",\"from\":\"%s:%d\",\"to\":\"%s:%d\"}\n", c->host,
		       c->port, d.host, d.port);
	} else
		printf("Volume %s (0x%08x) moved from %s:%d to %s:%d\n",
		       vol.name, vol.id, c->host, c->port, d.host, d.port);
	return 0;
}
