/*
 * ctl_hoard.c - the control commands the hoard tool sends (doc/hoard.1),
 * registered with ctl_cmds.c (ctl_register) before main runs.
 *
 * hoard_add PATH SPEC, hoard_modify PATH SPEC, hoard_delete PATH,
 * hoard_clear [UID], hoard_list [UID], hoard_verify [VERBOSITY [UID]],
 * hoard_on, hoard_off: answered at once.  hoard_walk (hoard_expand)
 * starts a walk (an expansion) or joins the one running and answers
 * "walk ID"; the tool then asks hoard_wait ID SEEN until the walk ends.  hoard_wait answers
 * when there are messages past the first SEEN, when the walk ends, or
 * after HW_POLL_MS: messages on stderr, one progress line on stdout, and
 * status EINPROGRESS while the walk runs (then its result).  A reply per
 * request is all the socket protocol has, hence the polling.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <hesper/ctlproto.h>
#include <hesper/hoardcmd.h>

#include "venus/util/venus.h"
#include "venus/ctl/ctl_int.h"
#include "venus/core/fsobj.h"
#include "venus/ctl/ctl.h"
#include "venus/hoard/hoard.h"

/* How long a hoard_wait may wait for news. */
#define HW_POLL_MS 500

/* The absolute path of clean mount-relative rel, for messages. */
static const char *disp(char *buf, size_t n, const char *rel)
{
	const char *m = V->cfg.mountpoint;
	size_t ml = strlen(m);

	snprintf(buf, n, "%s%s%s", m, *rel && !(ml && m[ml - 1] == '/') ? "/" : "", rel);
	return buf;
}

/* ---- add, modify, delete, clear ---- */

/* Clean r->argv[0] in place and parse r->argv[1] (if want_spec).  0, or
 * the request has failed. */
static int path_and_spec(struct ctl_req *r, int want_spec, unsigned *prio,
			 unsigned *flags)
{
	const char *why = NULL;

	if (r->argc != 1 + want_spec) {
		ctl_fail(r, EINVAL, "Usage: hoard %s PATH%s", r->cmd + 6,
		     want_spec ? " PRIORITY[:FLAGS]" : "");
		return -1;
	}
	if (ctlp_clean_path(r->argv[0])) {
		ctl_fail(r, EINVAL, "%s: \"..\" is not allowed in a hoard path", r->argv[0]);
		return -1;
	}
	*prio = HOARD_PRIO_DEFAULT;
	if (want_spec && hoard_parse_spec(r->argv[1], prio, flags, &why)) {
		ctl_fail(r, EINVAL, "bad priority \"%s\": %s", r->argv[1], why);
		return -1;
	}
	return 0;
}

static void reply_status(struct ctl_req *r, int err, const char *rel)
{
	char buf[PATH_MAX + 256];

	if (err == ENOENT)
		ctl_fail(r, err, "%s: not in the hoard database", disp(buf, sizeof buf, rel));
	else if (err)
		ctl_fail(r, err, "%s: %s", disp(buf, sizeof buf, rel), strerror(err));
	else
		ctl_done(r, 0);
}

static void cmd_add(struct ctl_req *r)
{
	unsigned prio, flags = 0;

	if (!path_and_spec(r, 1, &prio, &flags))
		reply_status(r, hoard_put(V->hoard, r->argv[0], prio, flags, r->uid), r->argv[0]);
}

static void cmd_modify(struct ctl_req *r)
{
	unsigned prio, flags = 0;

	if (!path_and_spec(r, 1, &prio, &flags))
		reply_status(r, hoard_modify(V->hoard, r->argv[0], prio, flags, r->uid), r->argv[0]);
}

static void cmd_delete(struct ctl_req *r)
{
	unsigned prio, flags = 0;

	if (!path_and_spec(r, 0, &prio, &flags))
		reply_status(r, hoard_delete(V->hoard, r->argv[0]), r->argv[0]);
}

/* argv[i] as a uid, or HOARD_ALL_UIDS when absent.  0, or the request
 * has failed. */
static int uid_arg(struct ctl_req *r, int i, long *uid)
{
	unsigned long v;
	char *end;

	*uid = HOARD_ALL_UIDS;
	if (r->argc <= i)
		return 0;
	errno = 0;
	v = strtoul(r->argv[i], &end, 10);
	if (errno || end == r->argv[i] || *end || v > 0xfffffffeUL) {
		ctl_fail(r, EINVAL, "bad uid \"%s\"", r->argv[i]);
		return -1;
	}
	*uid = (long)v;
	return 0;
}

/* uid_arg for the read-only commands: a user other than root sees only
 * their own entries (the others' paths are theirs to know). */
static int own_uid_arg(struct ctl_req *r, int i, long *uid)
{
	if (uid_arg(r, i, uid))
		return -1;
	if (ctl_is_root(r))
		return 0;
	if (*uid != HOARD_ALL_UIDS && *uid != (long)r->uid) {
		ctl_fail(r, EPERM, "%s: %s (only root may see another user's hoard "
			 "entries)", r->cmd, strerror(EPERM));
		return -1;
	}
	*uid = (long)r->uid;
	return 0;
}

static void cmd_clear(struct ctl_req *r)
{
	long uid;
	int err;

	if (uid_arg(r, 0, &uid))
		return;
	err = hoard_clear(V->hoard, uid);

	if (err)
		ctl_fail(r, err, "hoard clear: %s", strerror(err));
	else
		ctl_done(r, 0);
}

static void cmd_on(struct ctl_req *r)
{
	hoard_set_periodic(V->hoard, 1);
	ctl_printf(r, CTLP_STDOUT, "Periodic hoard walks on\n");
	ctl_done(r, 0);
}

static void cmd_off(struct ctl_req *r)
{
	hoard_set_periodic(V->hoard, 0);
	ctl_printf(r, CTLP_STDOUT, "Periodic hoard walks off\n");
	ctl_done(r, 0);
}

/* ---- list ---- */

/* Quote a path for a command file when it needs it (hesper/hoardcmd.h). */
static const char *quoted(char *buf, size_t n, const char *s)
{
	size_t o = 0;

	if (!s[strcspn(s, " \t\r\n\f\v#\"\\")]) {
		snprintf(buf, n, "%s", s);
		return buf;
	}
	buf[o++] = '"';
	for (; *s && o + 3 < n; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static void list_one(struct ctl_req *r, const struct hoard_entry *e, int first)
{
	char abs[PATH_MAX + 256], q[2 * PATH_MAX + 512];
	const char *f = hoard_flags_str(e->flags);

	disp(abs, sizeof abs, e->path);
	if (!r->json) {
		/* a line `hoard -f` takes back */
		ctl_printf(r, CTLP_STDOUT, "add %s %u%s%s\t# uid %u\n",
			   ctl_esc_controls(r, quoted(q, sizeof q, abs)), e->prio,
			   *f ? ":" : "", f,
			   (unsigned)e->uid);
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "%s{\"path\":", first ? "" : ",");
	ctl_json_str(r, abs);
	ctl_printf(r, CTLP_STDOUT, ",\"priority\":%u,\"flags\":\"%s\",\"uid\":%u,"
		   "\"expanded\":%s}", e->prio, f, (unsigned)e->uid,
		   e->expanded ? "true" : "false");
}

static void cmd_list(struct ctl_req *r)
{
	size_t n, shown = 0;
	const struct hoard_entry *v = hoard_entries(V->hoard, &n);
	long uid;

	if (own_uid_arg(r, 0, &uid))
		return;
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"entries\":[");
	for (size_t i = 0; i < n; i++)
		if (uid == HOARD_ALL_UIDS || (long)v[i].uid == uid)
			list_one(r, &v[i], shown++ == 0);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	ctl_done(r, 0);
}

/* ---- verify ---- */

/* What verify knows of each cached object, packed in the map's value. */
enum { VI_CACHED = 1, VI_DATA = 2, VI_DIR = 4 };

struct verify {
	struct ctl_req  *r;
	struct hoard_map info;
	unsigned long    objects, missing;
	long             uid;        /* entries of this uid, or HOARD_ALL_UIDS */
	unsigned         verbosity;  /* > 0: cached objects too */
};

static void note_cached(void *arg, const struct fso_cacheinfo *ci)
{
	struct verify *v = arg;

	hoard_map_put(&v->info, ci->ino, VI_CACHED | (ci->has_data ? VI_DATA : 0) |
		      (S_ISDIR(ci->type) ? VI_DIR : 0));
}

/* Missing: not resolvable in the cache, a file or link without its data,
 * or a directory whose children are hoarded but not listed. */
static void verify_one(void *arg, const struct hoard_entry *e, const char *path,
		       uint64_t ino)
{
	struct verify *v = arg;
	unsigned in = ino ? hoard_map_get(&v->info, ino) : 0;
	int need = !(in & VI_DIR) || (e->flags & HOARD_CHILDREN);
	char buf[PATH_MAX + 256];

	if (v->uid != HOARD_ALL_UIDS && (long)e->uid != v->uid)
		return;
	v->objects++;
	if (in & VI_CACHED && (in & VI_DATA || !need)) {
		if (v->verbosity && !v->r->json)
			ctl_printf(v->r, CTLP_STDOUT, "%s: cached\n",
				   ctl_esc(v->r, disp(buf, sizeof buf, path)));
		return;
	}
	v->missing++;
	disp(buf, sizeof buf, path);
	if (!v->r->json) {
		ctl_printf(v->r, CTLP_STDOUT, "%s: not cached\n", ctl_esc(v->r, buf));
		return;
	}
	ctl_printf(v->r, CTLP_STDOUT, "%s", v->missing > 1 ? "," : "");
	ctl_json_str(v->r, buf);
}

static void cmd_verify(struct ctl_req *r)
{
	struct verify v = { .r = r };
	unsigned long verb = 0;
	char *end;

	if (r->argc > 2) {
		ctl_fail(r, EINVAL, "Usage: hoard_verify [VERBOSITY [UID]]");
		return;
	}
	if (r->argc > 0) {
		errno = 0;
		verb = strtoul(r->argv[0], &end, 10);
		if (errno || end == r->argv[0] || *end || verb > 9) {
			ctl_fail(r, EINVAL, "bad verbosity \"%s\" (0-9)", r->argv[0]);
			return;
		}
	}
	if (own_uid_arg(r, 1, &v.uid))
		return;
	v.verbosity = (unsigned)verb;
	fso_foreach_cached(note_cached, &v);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"not_cached\":[");
	hoard_foreach_known(V->hoard, verify_one, &v);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "],\"objects\":%lu,\"missing\":%lu}\n",
			   v.objects, v.missing);
	else
		ctl_printf(r, CTLP_STDOUT, "%lu hoarded objects known, %lu not cached\n",
			   v.objects, v.missing);
	hoard_map_free(&v.info);
	ctl_done(r, 0);
}

/* ---- walk and wait ---- */

/* A hoard_wait in progress (r->state: ctl_done frees it). */
struct waiter {
	struct ctl_req *r;
	struct event   *ev;
	unsigned        id;
	size_t          seen;
	struct waiter  *next;
};

static struct waiter *waiters;

static void cmd_walk(struct ctl_req *r)
{
	unsigned id = strcmp(r->cmd, "hoard_expand") ? hoard_walk_start(V->hoard) :
		      hoard_walk_expand(V->hoard);

	if (!id) {
		ctl_fail(r, ENOMEM, "hoard walk: %s", strerror(ENOMEM));
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "walk %u\n", id);
	ctl_done(r, 0);
}

/* Messages since seen, then progress or the result. */
static void wait_reply(struct ctl_req *r, unsigned id, size_t seen)
{
	struct hoard_walk_info wi;
	const char *line;

	if (hoard_walk_get(V->hoard, id, &wi)) {
		ctl_fail(r, ESRCH, "hoard walk %u: no such walk (a newer one replaced it)", id);
		return;
	}
	for (size_t i = seen; (line = hoard_walk_line(V->hoard, id, i)); i++)
		ctl_printf(r, CTLP_STDERR, "%s\n", line);
	ctl_printf(r, CTLP_STDOUT, "%s: %lu objects, %lu fetched", wi.running ?
		   "Walking" : wi.status ? "Walk stopped" : "Walk done",
		   wi.objects, wi.fetched);
	if (!wi.running)
		ctl_printf(r, CTLP_STDOUT, ", %lu errors", wi.errors);
	ctl_printf(r, CTLP_STDOUT, "\n");
	ctl_done(r, wi.running ? EINPROGRESS : wi.status ? wi.status :
		 wi.errors ? EIO : 0);
}

static void wake(struct waiter *w)
{
	struct waiter **pp;

	for (pp = &waiters; *pp && *pp != w; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = w->next;
	if (w->ev)
		event_free(w->ev);
	w->ev = NULL;
	wait_reply(w->r, w->id, w->seen);   /* frees w */
}

static void wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	wake(arg);
}

/* A walk ended (or venus stops): every waiter hears now. */
static void walk_ended(void *arg, int final)
{
	while (waiters) {
		struct waiter *w = waiters;

		if (final) {
			waiters = w->next;
			event_free(w->ev);
			w->ev = NULL;
			ctl_done(w->r, ECANCELED);
		} else {
			wake(w);
		}
	}
}

static int parse_num(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static void cmd_wait(struct ctl_req *r)
{
	struct timeval tv = { 0, HW_POLL_MS * 1000 };
	struct hoard_walk_info wi;
	unsigned long id, seen;
	struct waiter *w;

	if (r->argc != 2 || parse_num(r->argv[0], &id) || parse_num(r->argv[1], &seen)) {
		ctl_fail(r, EINVAL, "Usage: hoard_wait ID SEEN");
		return;
	}
	if (hoard_walk_get(V->hoard, (unsigned)id, &wi) || !wi.running || wi.nlines > seen) {
		wait_reply(r, (unsigned)id, seen);
		return;
	}
	if (!(w = calloc(1, sizeof *w)) ||
	    !(w->ev = event_new(V->base, -1, 0, wait_timeout, w)) ||
	    event_add(w->ev, &tv)) {
		if (w && w->ev)
			event_free(w->ev);
		free(w);
		wait_reply(r, (unsigned)id, seen);
		return;
	}
	*w = (struct waiter){ r, w->ev, (unsigned)id, seen, waiters };
	waiters = w;
	r->state = w;
}

/* ---- registration ---- */

static const struct ctlp_cmd hoard_cmds[] = {
	{ "hoard_add", NULL, CTLP_ARGS_PATHS, 1, "PATH PRIORITY[:FLAGS]",
	  "Add or replace a hoard entry" },
	{ "hoard_modify", NULL, CTLP_ARGS_PATHS, 1, "PATH PRIORITY[:FLAGS]",
	  "Change a hoard entry" },
	{ "hoard_delete", NULL, CTLP_ARGS_PATHS, 1, "PATH", "Remove a hoard entry" },
	{ "hoard_clear", NULL, CTLP_ARGS_OPTWORD, 1, "[UID]",
	  "Remove every hoard entry (or those of UID)" },
	{ "hoard_list", NULL, CTLP_ARGS_OPTWORD, 0, "[UID]",
	  "List the hoard entries (or those of UID)" },
	{ "hoard_verify", NULL, CTLP_ARGS_WORDS, 0, "[VERBOSITY [UID]]",
	  "List hoarded objects that are not cached" },
	{ "hoard_on", NULL, CTLP_ARGS_NONE, 1, "", "Allow periodic hoard walks" },
	{ "hoard_off", NULL, CTLP_ARGS_NONE, 1, "", "Stop periodic hoard walks" },
	{ "hoard_walk", NULL, CTLP_ARGS_NONE, 1, "", "Start a hoard walk" },
	{ "hoard_expand", NULL, CTLP_ARGS_NONE, 1, "",
	  "Record the current members of new c and d entries" },
	{ "hoard_wait", NULL, CTLP_ARGS_PATHS, 0, "ID SEEN",
	  "Progress of a hoard walk" },
	{ NULL, NULL, CTLP_ARGS_NONE, 0, NULL, NULL },
};

static void run(struct ctl_req *r, const struct ctlp_cmd *c)
{
	static const struct { const char *name; void (*fn)(struct ctl_req *r); } tab[] = {
		{ "hoard_add", cmd_add }, { "hoard_modify", cmd_modify },
		{ "hoard_delete", cmd_delete }, { "hoard_clear", cmd_clear },
		{ "hoard_list", cmd_list }, { "hoard_verify", cmd_verify },
		{ "hoard_walk", cmd_walk }, { "hoard_expand", cmd_walk },
		{ "hoard_wait", cmd_wait },
		{ "hoard_on", cmd_on }, { "hoard_off", cmd_off },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(tab[i].name, c->name)) {
			tab[i].fn(r);
			return;
		}
	/* The shared table names a command this venus has no handler for: a
	 * build inconsistency, reported rather than crashing on. */
	ctl_fail(r, EPROTO, "internal error: no handler for %s", c->name);
}

static struct ctl_ext hoard_ext = { hoard_cmds, run, NULL };

__attribute__((constructor)) static void ctl_hoard_register(void)
{
	ctl_register(&hoard_ext);
	hoard_walk_listen(walk_ended, NULL);
}
