/*
 * spare.h - empty files kept for reuse, <cachedir>/spare/<n> (spare.c).
 *
 * Making a file costs an inode allocation, on ext4 the largest single item
 * of an offline create or store (issue 11, target 3: ~35-50% of venus's
 * CPU, most of it skipping inodes freed in the last minutes).  A frozen
 * copy that a later store cancels is emptied and kept here instead of
 * being unlinked, and the next new file (a frozen copy, an offline
 * create's container) is renamed from here instead of created: a rename
 * and a truncate allocate no inode.  At most SPARE_MAX files; a spare is
 * always empty, mode 0600, and nothing names it, so a crash at any point
 * leaves at worst an empty file in spare/ or an orphan the usual sweeps
 * remove.
 */
#ifndef VENUS_STORE_SPARE_H
#define VENUS_STORE_SPARE_H

/* 4096: a `cfs fr` after a git clone or tar -x frees more than 256
 * copies at once, and all of them serve the next burst of creates. */
#define SPARE_MAX 4096
/* The pool is refilled up to SPARE_FILL files while venus makes none:
 * SPARE_FILL_STEP files per SPARE_TICK_MS tick with no take since the
 * last, so a burst of creates (git clone, tar -x) finds its first
 * SPARE_FILL inodes made, and within one the pool grows only in pauses
 * of a tick or more between creates. */
#define SPARE_FILL      2048
#define SPARE_FILL_STEP 16
#define SPARE_TICK_MS   25

/* Rename a spare to path (which must not be open anywhere: it is
 * replaced).  0, or ENOENT when there is none (then the caller creates
 * the file itself), or rename's errno. */
int spare_take(const char *path);

/* Empty the file at path and keep it as a spare.  0 if kept; else an
 * errno (the pool is full: ENOSPC) and path is untouched, the caller
 * unlinks it.  Only for files no descriptor refers to any more: their
 * bytes are gone. */
int spare_give(const char *path);

/* Start refilling the pool on V->base's loop (nothing without one). */
void spare_fill_start(void);

/* Forget the pool and stop its refill (venus's exit, tests); the files
 * stay for the next start, which takes them up again. */
void spare_fini(void);

#endif
