/*
 * fsobj_extents.c - written extents (issue 11, target 5): the byte ranges
 * of a file written since its last store, so that the store sends only
 * those (HS_STORE_DELTA) and vice builds the new version from the one the
 * container was fetched or stored as.
 *
 * o->wx belongs to the "epoch" that starts when the written flag goes
 * from 0 to 1 and ends when a store takes it (fo_wx_take).  The written
 * flag set with o->wx NULL means extents unknown: the whole file is
 * stored, as before issue 11.  So every path that sets the flag without
 * knowing the range (fso_mark_written, a CLOSE that reports only the
 * flag, O_TRUNC, a container not at data_dv) goes through fo_wx_whole,
 * and only fso_note_written/fso_note_size add to a live set.  Nothing of
 * this is kept across a restart: a container left dirty by a dead venus
 * is stored whole (pending), as are stores logged offline (CML).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <syslog.h>

#include "venus/util/venus.h"
#include "venus/util/extents.h"
#include "venus/core/fsobj.h"
#include "venus/core/fsobj_int.h"

void fo_wx_whole(struct fso *o)
{
	o->written = 1;
	fo_wx_free(o);
}

void fo_wx_free(struct fso *o)
{
	if (o->wx) {
		ext_free(o->wx);
		free(o->wx);
		o->wx = NULL;
	}
}

/* The set this write adds to, starting an epoch if the flag was clear;
 * NULL when the epoch is whole-file already. */
static struct extset *wx_live(struct fso *o)
{
	if (o->written)
		return o->wx && !o->wx->whole ? o->wx : NULL;
	o->written = 1;
	if (!o->wx && (o->wx = malloc(sizeof(*o->wx))) != NULL)
		ext_init(o->wx, 0);
	else if (o->wx)
		ext_clear(o->wx);
	return o->wx;
}

void fo_wx_note(struct fso *o, uint64_t off, uint64_t len)
{
	struct extset *e = wx_live(o);

	if (e && ext_add(e, off, len))
		fo_wx_whole(o);
}

void fo_wx_cut(struct fso *o, uint64_t size)
{
	struct extset *e = wx_live(o);

	if (e)
		ext_cut(e, size);
}

void fso_note_written(uint64_t ino, uint64_t off, uint64_t len)
{
	struct fso *o = fo_obj(ino);

	if (o && o->writers)
		fo_wx_note(o, off, len);
}

void fso_note_size(uint64_t ino, uint64_t size)
{
	struct fso *o = fo_obj(ino);

	if (o && o->writers)
		fo_wx_cut(o, size);
}

/* Pieces a range of n bytes takes on the wire (hs_extent.length is 32
 * bits). */
#define PIECE_MAX ((uint64_t)UINT32_MAX & ~(uint64_t)4095)

static unsigned pieces(const struct extset *e, uint64_t size, hs_extent *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < e->n && e->r[i].off < size; i++) {
		uint64_t off = e->r[i].off;
		uint64_t end = e->r[i].end < size ? e->r[i].end : size;

		while (off < end) {
			uint64_t n = end - off < PIECE_MAX ? end - off : PIECE_MAX;

			if (out && k < HS_DELTA_MAX) {
				out[k].offset = off;
				out[k].length = (u_int)n;
			}
			k++;
			off += n;
		}
	}
	return k;
}

/* A delta pays while the base keeps most of the file.  A file cut to
 * nothing or mostly rewritten goes whole: vice then holds the staged
 * bytes once, not beside a built copy of them (a nearly full vice). */
static int worth_delta(const struct extset *e, uint64_t size)
{
	return e->cut != 0 && ext_bytes(e) < size / 2;
}

/* Why a store goes whole (NULL: it goes as a delta), for the debug log:
 * which fallback a workload hits is what decides the bytes it sends. */
static const char *whole_reason(const struct fso *o, const struct extset *e,
				uint64_t size)
{
	if (!o->written)
		return "no write noted";
	if (!e)
		return "extents unknown";
	if (o->pending)
		return "a failed store left pending";
	if (e->whole)
		return "extents lost (allocation)";
	if (!o->r.data_dv || !o->r.has_data)
		return "no base version";
	if (!worth_delta(e, size))
		return e->cut ? "half or more written" : "cut to 0";
	if (pieces(e, size, NULL) > HS_DELTA_MAX)
		return "too many pieces";
	return NULL;
}

struct extset *fo_wx_take(struct fso *o, uint64_t size)
{
	struct extset *e = o->wx;
	const char *why = whole_reason(o, e, size);

	o->wx = NULL;
	if (!why) {
		vlog(LOG_DEBUG, "store of %s (ino %" PRIu64 "): delta, %u ranges, "
		     "%" PRIu64 " of %" PRIu64 " bytes, cut %" PRIu64, o->r.name,
		     o->r.ino, e->n, ext_bytes(e), size, e->cut);
		return e;
	}
	vlog(LOG_DEBUG, "store of %s (ino %" PRIu64 "): whole, %" PRIu64
	     " bytes: %s", o->r.name, o->r.ino, size, why);
	if (e) {
		ext_free(e);
		free(e);
	}
	return NULL;
}

int fo_wx_args(const struct extset *e, uint64_t size, hs_store_delta_args *a)
{
	unsigned k = pieces(e, size, NULL);

	a->cut = e->cut < size ? e->cut : size;
	a->size = size;
	a->ext.ext_len = k;
	a->ext.ext_val = NULL;
	if (k && !(a->ext.ext_val = calloc(k, sizeof(hs_extent))))
		return ENOMEM;
	pieces(e, size, a->ext.ext_val);
	return 0;
}

int fo_wx_next(const struct extset *e, unsigned *xi, uint64_t *next,
	       uint64_t size, uint64_t *lim)
{
	while (*xi < e->n && e->r[*xi].end <= *next)
		(*xi)++;
	if (*xi >= e->n || e->r[*xi].off >= size)
		return 0;
	if (*next < e->r[*xi].off)
		*next = e->r[*xi].off;
	*lim = e->r[*xi].end < size ? e->r[*xi].end : size;
	return 1;
}
