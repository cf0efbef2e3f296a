/*
 * conflict.h - CML records vice refused, and their repair (Coda's
 * listlocal, checklocal, discardlocal, preservelocal).
 *
 * A refused record stays in the CML marked in conflict, with its data.
 * Both versions stay readable: the server's in /coda (the object is
 * refetched), the local one as <cachedir>/conflicts/<seq>.<name> (the
 * record's frozen data, or the local file's contents).
 */
#ifndef VENUS_CONFLICT_H
#define VENUS_CONFLICT_H

#include <stddef.h>
#include "hesper.h"

struct cml_row;

/* row was refused with status: keep a local version, refetch the server's. */
void conflict_note(const struct cml_row *row, int status);
/* row was refused with EDQUOT (reint.h): it stays in the log with its
 * data, held for quota; the local version stays what venus shows (nothing
 * is refetched; cml_names still counts the record) and, when loud, is
 * copied as conflict_path names it.  Logged (LOG_WARNING when loud, else LOG_DEBUG: a timed
 * retry of a record reported before) and, when loud, a codacon conflict
 * event of kind "quota".  volname may be NULL. */
void conflict_quota(const struct cml_row *row, const char *volname, int loud);
/* "update/update", "update/remove", "remove/update", "create/create", or
 * "quota" for a record held for quota (status EDQUOT). */
const char *conflict_kind(int op, int status);
/* The local version file of a conflicted row. */
void conflict_path(const struct cml_row *row, char *buf, size_t len);

/* Repairs of the object fid (NULL: every object in conflict).
 * discard: drop its records, the server version wins.  Returns 0 or an
 * errno; ENOENT if fid has no conflict. */
int conflict_discard(const hs_fid *fid);

/* Called once when a preserve is over: 0, or an errno (ENOENT: nothing in
 * conflict; HS_ECONFLICT: vice refused the local version again). */
typedef void (*conflict_done_fn)(void *arg, int err);
/* preserve (conflict_keep.c): the local version wins (create/create: its
 * data is stored onto the server's object of that name; update/update and
 * remove/update: the records are sent without the version check); done
 * runs after the reintegration pass that carries them to vice. */
void conflict_preserve(const hs_fid *fid, conflict_done_fn done, void *arg);
/* The distinct objects with records in conflict (fid, or all when NULL):
 * up to 256 into objs, *n set.  0, or ENOENT when there are none. */
int conflict_objects(const hs_fid *fid, hs_fid objs[256], unsigned *n);

#endif /* VENUS_CONFLICT_H */
