/*
 * hoard_walk.c - hoard walks (hoard.h): resolve every entry and bring what
 * it covers into the cache, one object at a time, depth first.
 *
 * One object at a time keeps a walk from crowding out the user's own
 * fetches and bounds its memory to the stack of names still to visit.
 * Files are opened and closed unwritten (a whole-file fetch when the cache
 * is stale, never a store), symlinks read, directories listed.  Errors of
 * single objects are recorded and the walk goes on.  Losing a volume's
 * server skips that volume's further objects (each would wait for the
 * timeout too) while the other volumes are walked; losing every server
 * ends the walk (ETIMEDOUT).
 *
 * The fso calls may answer before they return (cache hits), so progress is
 * a loop (pump) over a small state machine rather than recursion.
 *
 * An expansion (hoard_walk_expand) is a walk over the c and d entries
 * whose members are not recorded yet that only lists directories: it pins
 * "current" children or descendants right after `hoard add`, as Coda's
 * hoard does by listing the directory (hoard.cc MetaExpand), without
 * fetching file data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <hesper/hoardcmd.h>

#include "venus/util/venus.h"
#include "venus/util/util.h"
#include "venus/core/fsobj.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/hoard/hoard_int.h"

/* Messages kept per walk; past this only the count grows. */
#define HW_MAX_LINES 1000
/* Volumes whose server a walk lost, at most (past it, only the walk's
 * own stop on losing every server stands). */
#define HW_MAX_LOST 64

enum expand { EXP_NONE, EXP_CHILDREN, EXP_ALL };
enum phase { PH_PROBE, PH_RESOLVE, PH_VISIT, PH_CLOSE, PH_DONE };

/* An object to visit. */
struct item {
	uint64_t    ino;     /* 0: resolve path first */
	mode_t      type;    /* S_IFREG, S_IFDIR, S_IFLNK, or a special file's */
	enum expand expand;
	int         member;  /* 1: record it as a member of a c/c+ entry;
			      * 2: it is one (gone is not an error) */
	char       *path;    /* mount-relative */
	uint32_t    vol;     /* its local volume (0: not known yet; a child
			      * is taken to be in its directory's) */
};

struct hwalk {
	struct hoard           *h;
	struct hoard_walk_info info;
	char              **lines;
	size_t              cap;
	/* while running */
	struct hoard_entry *ents;      /* a copy: the database may change */
	size_t              nents, next_ent;
	struct item        *stack;
	size_t              sp, scap;
	struct item         cur;       /* the object being visited */
	enum phase          phase;
	int                 have_cur, busy, pumping, orphan;
	uint64_t            fetches0;  /* V->stats.fetches before an open */
	char              **members;   /* recorded for the entry walked */
	size_t              nmem, memcap;
	int                 recording, entry_ok;
	int                 expand_only;   /* hoard_walk_expand */
	uint32_t            lost[HW_MAX_LOST];  /* volumes whose server went */
	unsigned            nlost;
};

static void (*listener)(void *arg, int final);
static void *listener_arg;

static void pump(struct hwalk *w);

/* ---- messages ---- */

static void say(struct hwalk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct hwalk *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (w->info.nlines >= HW_MAX_LINES)
		return;
	if (w->info.nlines == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		char **v = realloc(w->lines, cap * sizeof *v);

		if (!v)
			return;
		w->lines = v;
		w->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		w->lines[w->info.nlines++] = s;
	va_end(ap);
}

static void any_up(void *arg, struct srv *s)
{
	if (srv_is_up(s))
		*(int *)arg = 1;
}

/* Is some server up (else nothing more can be fetched)? */
static int some_server_up(void)
{
	int up = 0;

	vr_srv_foreach(any_up, &up);
	return up;
}

static int is_lost(const struct hwalk *w, uint32_t vol)
{
	for (unsigned i = 0; vol && i < w->nlost; i++)
		if (w->lost[i] == vol)
			return 1;
	return 0;
}

/* The current object's server went: skip its volume from now on; with
 * every server gone, stop. */
static void lose(struct hwalk *w, const char *how)
{
	uint32_t vol = w->cur.vol;

	if (vol && !is_lost(w, vol) && w->nlost < HW_MAX_LOST) {
		w->lost[w->nlost++] = vol;
		say(w, "%s vice %s: volume %s skipped", how, vr_server_name(vol),
		    vr_volume_name(vol) ? vr_volume_name(vol) : "?");
	}
	if (!some_server_up() && !w->info.status) {
		w->info.status = ETIMEDOUT;
		say(w, "%s vice %s: walk stopped", how,
		    vol ? vr_server_name(vol) : vr_realm0());
	}
}

/* An object failed; losing its server skips its volume. */
static void obj_error(struct hwalk *w, int err)
{
	if (err == ENOENT && w->cur.member == 2)
		return;   /* removed since the entry was expanded */
	w->info.errors++;
	say(w, "%s%s%s: %s", V->cfg.mountpoint, *w->cur.path ? "/" : "", w->cur.path,
	    strerror(err));
	if (vu_net_error(err))
		lose(w, "unreachable");
}

/* ---- the stack of objects to visit ---- */

static int push(struct hwalk *w, uint64_t ino, mode_t type, enum expand ex,
		int member, char *path)
{
	if (w->sp + w->info.objects >= HOARD_WALK_MAX)
		return -1;
	if (w->sp == w->scap) {
		size_t cap = w->scap ? w->scap * 2 : 64;
		struct item *s = realloc(w->stack, cap * sizeof *s);

		if (!s)
			return -1;
		w->stack = s;
		w->scap = cap;
	}
	w->stack[w->sp++] = (struct item){ ino, type, ex, member, path,
					   w->have_cur ? w->cur.vol : 0 };
	return 0;
}

static int push_path(struct hwalk *w, const char *path, enum expand ex, int member)
{
	char *p = strdup(path);

	if (p && !push(w, 0, 0, ex, member, p))
		return 0;
	free(p);
	return -1;
}

static void record_member(struct hwalk *w, const char *path)
{
	char *p;

	if (w->nmem == w->memcap) {
		size_t cap = w->memcap ? w->memcap * 2 : 64;
		char **v = realloc(w->members, cap * sizeof *v);

		if (!v)
			return;
		w->members = v;
		w->memcap = cap;
	}
	if ((p = strdup(path)))
		w->members[w->nmem++] = p;
}

static void free_members(struct hwalk *w)
{
	for (size_t i = 0; i < w->nmem; i++)
		free(w->members[i]);
	w->nmem = 0;
}

/* ---- entries ---- */

static void push_member(void *arg, const char *path)
{
	push_path(arg, path, EXP_NONE, 2);
}

/* The objects of entry e go on the stack, in the order to visit them. */
static void begin_entry(struct hwalk *w, const struct hoard_entry *e)
{
	int fixed = (e->flags & HOARD_CHILDREN) && !(e->flags & HOARD_FUTURE);
	size_t base = w->sp;

	w->recording = fixed && !e->expanded;
	w->entry_ok = 0;
	free_members(w);
	if (fixed && e->expanded) {
		hoard_members(w->h, e->path, push_member, w);
		/* listed in name order: reverse to pop them in that order */
		for (size_t i = base, j = w->sp; i + 1 < j; i++, j--) {
			struct item t = w->stack[i];

			w->stack[i] = w->stack[j - 1];
			w->stack[j - 1] = t;
		}
		push_path(w, e->path, EXP_NONE, 0);
		return;
	}
	push_path(w, e->path, !(e->flags & HOARD_CHILDREN) ? EXP_NONE :
		  (e->flags & HOARD_ALL) ? EXP_ALL : EXP_CHILDREN, 0);
}

/* The entry's objects are all visited: fix a c/c+ entry's members. */
static void end_entry(struct hwalk *w)
{
	const struct hoard_entry *e = &w->ents[w->next_ent - 1];

	if (w->recording && w->entry_ok && !w->info.status &&
	    hoard_set_members(w->h, e->path, w->members, w->nmem))
		say(w, "%s: cannot record the members", e->path);
	free_members(w);
	w->recording = 0;
}

/* Move on to the next entry; 0 when there is none. */
static int next_entry(struct hwalk *w)
{
	if (w->next_ent)
		end_entry(w);
	if (w->next_ent == w->nents || w->info.status)
		return 0;
	begin_entry(w, &w->ents[w->next_ent++]);
	return 1;
}

/* ---- visiting one object ---- */

static void done_op(struct hwalk *w, enum phase next)
{
	w->phase = next;
	w->busy = 0;
	/* The volume's server went away under the walk: skip the volume
	 * before the next timeout. */
	if (next != PH_DONE && !w->info.status &&
	    ((w->cur.vol && !vr_is_up(w->cur.vol) && !is_lost(w, w->cur.vol)) ||
	     !some_server_up()))
		lose(w, "lost");
	pump(w);
}

static void on_resolved(void *arg, int err, const struct fso_attr *a)
{
	struct hwalk *w = arg;

	if (!err) {
		w->cur.ino = a->ino;
		w->cur.type = a->st.st_mode & S_IFMT;
		w->cur.vol = a->fid.volume;
	} else {
		obj_error(w, err);
	}
	done_op(w, err ? PH_DONE : PH_VISIT);
}

static void on_closed(void *arg, int err)
{
	struct hwalk *w = arg;

	if (err)
		obj_error(w, err);
	done_op(w, PH_DONE);
}

static void on_opened(void *arg, int err, int fd, const struct fso_attr *a)
{
	struct hwalk *w = arg;

	if (err) {
		obj_error(w, err);
		done_op(w, PH_DONE);
		return;
	}
	if (V->stats.fetches != w->fetches0)
		w->info.fetched++;
	if (a)
		w->cur.vol = a->fid.volume;
	done_op(w, PH_CLOSE);
}

static void on_special(void *arg, int err, const struct fso_attr *a)
{
	struct hwalk *w = arg;

	if (err)
		obj_error(w, err);
	done_op(w, PH_DONE);
}

static void on_readlink(void *arg, int err, const char *target)
{
	struct hwalk *w = arg;

	if (err)
		obj_error(w, err);
	done_op(w, PH_DONE);
}

/* The ino to visit for a listed entry, or 0: resolve its path first,
 * crossing it into its volume (maybe on another server) if it is a mount
 * point not crossed yet.  Such a mount point lists as a directory with the
 * link's own ino, or, while its mode is not yet known (a fresh listing),
 * as a symlink; a symlink crossed before lists as the volume's root. */
static uint64_t child_ino(struct hwalk *w, const struct fso_dirent *e)
{
	uint64_t c;

	if (S_ISDIR(e->type))
		return fso_cached_child(w->cur.ino, e->name);
	if (!S_ISLNK(e->type))
		return e->ino;
	c = fso_cached_child(w->cur.ino, e->name);
	return c != e->ino ? c : 0;
}

/* A child just pushed that is another volume's root is in that volume
 * (whose server may be up while its directory's is lost, or the reverse). */
static void child_vol(struct hwalk *w)
{
	struct item *it = &w->stack[w->sp - 1];
	struct fso_mount m;

	if (it->ino && !fso_mount_info(it->ino, &m) && m.volume)
		it->vol = m.volume;
}

static void on_readdir(void *arg, int err, const struct fso_dirent *ents, size_t n)
{
	struct hwalk *w = arg;
	enum expand ex = w->cur.expand == EXP_ALL ? EXP_ALL : EXP_NONE;

	if (err)
		obj_error(w, err);
	/* pushed last first, so that they are visited in name order */
	for (size_t i = n; !err && w->cur.expand != EXP_NONE && i-- > 0; ) {
		char *p;

		if (asprintf(&p, "%s%s%s", w->cur.path, *w->cur.path ? "/" : "",
			     ents[i].name) < 0)
			break;
		if (push(w, child_ino(w, &ents[i]), ents[i].type, ex, w->recording, p)) {
			free(p);
			say(w, "%s: more than %d objects: the rest is not walked",
			    w->cur.path, HOARD_WALK_MAX);
			break;
		}
		child_vol(w);
	}
	done_op(w, PH_DONE);
}

/* Start the fso call that caches the current object. */
/* The walk of an entry calls as the user who added it (Coda's hoard
 * entries carry their uid): it sees what that user may. */
static uid_t walk_uid(const struct hwalk *w)
{
	return w->next_ent ? w->ents[w->next_ent - 1].uid : SRV_SELF;
}

static void visit(struct hwalk *w)
{
	struct item *it = &w->cur;

	w->info.objects++;
	hoard_map_note(w->h, it->ino, w->ents[w->next_ent - 1].prio);
	if (it->member == 1)
		record_member(w, it->path);
	w->entry_ok = 1;   /* the entry's own object comes first */
	if (w->expand_only && (!S_ISDIR(it->type) || it->expand == EXP_NONE)) {
		w->phase = PH_DONE;   /* known to exist: enough to record it */
		return;
	}
	w->busy = 1;
	if (S_ISDIR(it->type)) {
		fso_readdir(it->ino, walk_uid(w), on_readdir, w);
	} else if (S_ISLNK(it->type)) {
		fso_readlink(it->ino, walk_uid(w), on_readlink, w);
	} else if (!S_ISREG(it->type)) {
		/* FIFO, socket, device: its attributes are all there is. */
		fso_getattr(it->ino, walk_uid(w), on_special, w);
	} else {
		w->fetches0 = V->stats.fetches;
		fso_open(it->ino, O_RDONLY, walk_uid(w), on_opened, w);
	}
}

/* Take the current object one phase further (or the next one). */
static void step(struct hwalk *w)
{
	if (!w->have_cur) {
		if (!w->sp && !next_entry(w)) {
			w->info.running = 0;
			return;
		}
		if (!w->sp)
			return;
		w->cur = w->stack[--w->sp];
		w->have_cur = 1;
		w->phase = w->cur.ino ? PH_VISIT : PH_RESOLVE;
	}
	if (w->info.status && (w->phase == PH_RESOLVE || w->phase == PH_VISIT))
		w->phase = PH_DONE;   /* stopping: finish only what is open */
	if (is_lost(w, w->cur.vol) && (w->phase == PH_RESOLVE || w->phase == PH_VISIT)) {
		w->info.errors++;   /* its server is gone: not tried */
		w->phase = PH_DONE;
	}
	switch (w->phase) {
	case PH_PROBE:
		return;
	case PH_RESOLVE:
		w->busy = 1;
		fso_resolve_as(w->cur.path, walk_uid(w), on_resolved, w);
		return;
	case PH_VISIT:
		visit(w);
		return;
	case PH_CLOSE:
		w->busy = 1;
		fso_close(w->cur.ino, O_RDONLY, 0, on_closed, w);
		return;
	case PH_DONE:
		free(w->cur.path);
		w->have_cur = 0;
		return;
	}
}

/* ---- a walk's life ---- */

static void free_walk(struct hwalk *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->info.nlines; i++)
		free(w->lines[i]);
	free(w->lines);
	for (size_t i = 0; i < w->nents; i++)
		free(w->ents[i].path);
	free(w->ents);
	w->nents = 0;
	if (w->have_cur)
		free(w->cur.path);
	while (w->sp)
		free(w->stack[--w->sp].path);
	free(w->stack);
	free_members(w);
	free(w->members);
	free(w);
}

static void finish(struct hwalk *w)
{
	if (w->orphan) {
		free_walk(w);
		return;
	}
	w->info.running = 0;
	while (w->sp)
		free(w->stack[--w->sp].path);
	hoard_map_rebuild(w->h);
	vlog(LOG_INFO, "hoard %s %u: %lu objects, %lu fetched, %lu errors%s",
	     w->expand_only ? "expansion" : "walk", w->info.id, w->info.objects,
	     w->info.fetched, w->info.errors,
	     w->info.status ? " (stopped: vice unreachable)" : "");
	if (listener)
		listener(listener_arg, 0);
}

static void pump(struct hwalk *w)
{
	if (w->pumping)
		return;
	w->pumping = 1;
	while (!w->busy && w->info.running) {
		if (w->orphan || (w->info.status && !w->have_cur)) {
			w->info.running = 0;
			break;
		}
		step(w);
	}
	w->pumping = 0;
	if (!w->info.running && !w->busy)
		finish(w);
}

/* The first call to vice, when it is not known to be up: a walk that
 * cannot reach it ends now instead of after a timeout per object. */
static void on_probe(void *arg, int err)
{
	struct hwalk *w = arg;

	if (err) {
		w->info.status = ETIMEDOUT;
		say(w, "vice %s unreachable: %s", vr_server_name(1), strerror(err));
	}
	w->busy = 0;
	w->phase = PH_DONE;
	pump(w);
}


/* A c or d entry whose members are still to be recorded. */
static int unexpanded(const struct hoard_entry *e)
{
	return (e->flags & HOARD_CHILDREN) && !(e->flags & HOARD_FUTURE) && !e->expanded;
}

static int copy_entries(struct hwalk *w)
{
	size_t n;
	const struct hoard_entry *v = hoard_entries(w->h, &n);

	if (n && !(w->ents = calloc(n, sizeof *w->ents)))
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (w->expand_only && !unexpanded(&v[i]))
			continue;
		w->ents[w->nents] = v[i];
		if (!(w->ents[w->nents].path = strdup(v[i].path)))
			return ENOMEM;
		w->nents++;
	}
	return 0;
}

static unsigned start(struct hoard *h, int expand_only)
{
	struct hwalk *w;

	if (h->last && h->last->info.running)
		return h->last->info.id;
	if (!(w = calloc(1, sizeof *w)))
		return 0;
	w->h = h;
	w->expand_only = expand_only;
	if (copy_entries(w)) {
		free_walk(w);
		return 0;
	}
	free_walk(h->last);
	h->last = w;
	w->info.id = h->next_id++;
	w->info.running = 1;
	vlog(LOG_INFO, "hoard %s %u: %zu entries", expand_only ? "expansion" : "walk",
	     w->info.id, w->nents);
	if (some_server_up()) {
		pump(w);
	} else {
		w->busy = 1;
		w->have_cur = 1;   /* the probe stands for the current object */
		w->phase = PH_PROBE;
		w->cur.path = NULL;
		vr_ping(1, on_probe, w);   /* realm 0's root volume */
	}
	return w->info.id;
}

unsigned hoard_walk_start(struct hoard *h)
{
	return start(h, 0);
}

unsigned hoard_walk_expand(struct hoard *h)
{
	return start(h, 1);
}

int hoard_walk_get(const struct hoard *h, unsigned id, struct hoard_walk_info *wi)
{
	if (!h->last || h->last->info.id != id)
		return ESRCH;
	*wi = h->last->info;
	return 0;
}

const char *hoard_walk_line(const struct hoard *h, unsigned id, size_t i)
{
	if (!h->last || h->last->info.id != id || i >= h->last->info.nlines)
		return NULL;
	return h->last->lines[i];
}

void hoard_walk_listen(void (*fn)(void *arg, int final), void *arg)
{
	listener = fn;
	listener_arg = arg;
}

void hoard_walk_fini(struct hoard *h)
{
	if (listener)
		listener(listener_arg, 1);
	/* A walk waiting on vice frees itself when the answer comes. */
	if (h->last && h->last->busy)
		h->last->orphan = 1;
	else
		free_walk(h->last);
	h->last = NULL;
}
