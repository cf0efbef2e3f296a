/*
 * hoard_int.h - private to venus/hoard*.c: one hoard (struct hoard), the
 * state its database copy, priority map and walks share.
 */
#ifndef VENUS_HOARD_INT_H
#define VENUS_HOARD_INT_H

#include "venus/hoard/hoard.h"

struct hwalk;   /* hoard_walk.c */

struct hoard {
	struct hoard_entry *v;        /* the entries, ancestors before descendants */
	size_t              n;
	struct event       *timer;    /* the periodic walk */
	int                 off;      /* `hoard off`: no periodic walks */
	struct hoard_map    prio_map; /* ino -> priority (hoard_known.c) */
	struct hwalk       *last;     /* the running or the last walk */
	unsigned            next_id;  /* of the next walk; from 1 */
};

#endif /* VENUS_HOARD_INT_H */
