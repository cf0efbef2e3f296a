/*
 * ctl_acl.c - cfs listacl (la) and cfs setacl (sa): a directory's access
 * list, asked of vice as the cfs caller's uid (SO_PEERCRED), so vice
 * answers with that user's token and rights.
 *
 * Arguments and output follow Coda's cfs (vtools/cfs.cc ListACL and
 * SetACL): "cfs sa [-clear] [-negative] DIR NAME RIGHTS [NAME RIGHTS]..."
 * changes the named entries of the current ACL (-clear: of an empty one;
 * -negative: of its negative list), rights "none" drops an entry.  The
 * listing prints each entry as the name right-aligned in 20 columns, two
 * spaces (a space and '-' for a negative entry) and the rights in
 * Coda's order "rlidwka".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <hesper/ctlproto.h>
#include "venus/util/venus.h"
#include "venus/core/fsobj.h"
#include "venus/core/rights.h"
#include "venus/net/server.h"
#include "venus/net/volreg.h"
#include "venus/ctl/ctl.h"
#include "venus/ctl/ctl_int.h"

/* Coda's fillrights order. */
static void rights_str(unsigned x, char buf[8])
{
	static const struct { unsigned bit; char c; } order[] = {
		{ HS_R_READ, 'r' }, { HS_R_LOOKUP, 'l' }, { HS_R_INSERT, 'i' },
		{ HS_R_DELETE, 'd' }, { HS_R_WRITE, 'w' }, { HS_R_LOCK, 'k' },
		{ HS_R_ADMIN, 'a' },
	};
	unsigned i, n = 0;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (x & order[i].bit)
			buf[n++] = order[i].c;
	buf[n] = '\0';
}

/* Coda's getrights plus AFS's "read" and "write": 0 or -1. */
static int parse_rights(const char *s, unsigned *x)
{
	if (!strcmp(s, "none"))
		s = "";
	else if (!strcmp(s, "all"))
		s = "rlidwka";
	else if (!strcmp(s, "read"))
		s = "rl";
	else if (!strcmp(s, "write"))
		s = "rlidwk";
	for (*x = 0; *s; s++) {
		const char *p = strchr("rwildka", *s);

		if (!p)
			return -1;
		*x |= 1u << (p - "rwildka");   /* HS_R_* bit order */
	}
	return 0;
}

/* One list of entries as text lines or a JSON array. */
static void print_list(struct ctl_req *r, const hs_acl_entry *e, unsigned n,
		       int neg)
{
	char rb[8];
	unsigned i;

	for (i = 0; i < n; i++) {
		rights_str(e[i].rights, rb);
		if (!r->json) {
			char name[3 * HS_MAXNAMELEN + 1];

			/* Names from the pdb are printable; escape anyway. */
			ctlp_escape(name, sizeof name, e[i].name,
				    strlen(e[i].name));
			ctl_printf(r, CTLP_STDOUT, "%20s %s%-8s\n", name,
				   neg ? "-" : " ", rb);
			continue;
		}
		ctl_printf(r, CTLP_STDOUT, "%s{\"name\":", i ? "," : "");
		ctl_json_str(r, e[i].name);
		ctl_printf(r, CTLP_STDOUT, ",\"id\":%d,\"rights\":\"%s\"}",
			   e[i].id, rb);
	}
}

static void print_acl(struct ctl_req *r, const hs_acl *a)
{
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, ",\"positive\":[");
	print_list(r, a->pos.pos_val, a->pos.pos_len, 0);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "],\"negative\":[");
	print_list(r, a->neg.neg_val, a->neg.neg_len, 1);
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]");
}

/* ---- listacl ---- */

/* After the walk: the walk's results and a cursor over them (r->state;
 * the walk is freed here, the struct by ctl_done). */
struct la {
	struct ctl_walk *w;
	int i, first, failed;
	hs_fid fid;
};

static void la_next(struct ctl_req *r);

static void la_done(void *arg, int err, void *res)
{
	struct ctl_req *r = arg;
	struct la *la = r->state;
	hs_acl_res *ar = res;
	char buf[PATH_MAX + 256];

	if (!err && ar->status)
		err = ar->status;
	if (err) {
		ctl_path_error(r, la->i, err, &la->first);
		la->failed = err;
	} else {
		ctl_disp(buf, sizeof buf, r->argv[la->i]);
		if (r->json) {
			ctl_printf(r, CTLP_STDOUT, "%s{\"path\":",
				   la->first ? "" : ",");
			ctl_json_str(r, buf);
			la->first = 0;
		} else if (r->argc > 1) {
			ctl_printf(r, CTLP_STDOUT, "\n%s:\n", buf);
		}
		print_acl(r, &ar->hs_acl_res_u.acl);
		if (r->json)
			ctl_printf(r, CTLP_STDOUT, "}");
	}
	la->i++;
	la_next(r);
}

/* Ask vice for the next resolved argument's ACL, or finish. */
static void la_next(struct ctl_req *r)
{
	struct la *la = r->state;

	while (la->i < r->argc) {
		struct ctl_path_res *p = &la->w->res[la->i];
		int err = p->err;

		if (!err && !S_ISDIR(p->a.st.st_mode))
			err = ENOTDIR;
		if (!err) {
			la->fid = p->a.fid;
			vr_call_as(la->fid.volume, r->uid, HS_GETACL,
				    (xdrproc_t)xdr_hs_fid, &la->fid,
				    (xdrproc_t)xdr_hs_acl_res,
				    sizeof(hs_acl_res), la_done, r);
			return;
		}
		ctl_path_error(r, la->i, err, &la->first);
		la->failed = err;
		la->i++;
	}
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "]}\n");
	free(la->w);
	la->w = NULL;
	ctl_done(r, la->failed);
}

static void la_resolved(struct ctl_req *r)
{
	struct la *la = calloc(1, sizeof *la);

	if (!la) {
		ctl_fail(r, ENOMEM, "listacl: %s", strerror(ENOMEM));
		return;
	}
	la->w = r->state;
	r->state = la;
	la->first = 1;
	if (r->json)
		ctl_printf(r, CTLP_STDOUT, "{\"acls\":[");
	la_next(r);
}

/* ---- setacl ---- */

struct sa {
	struct ctl_req *r;
	int clear, neg;
	int dir;                /* argv index of DIR */
	hs_setacl_args set;
	hs_acl_entry *ents[2];  /* our copies, freed at the end */
	unsigned n[2];
};

static void sa_free(struct sa *s)
{
	unsigned l, i;

	for (l = 0; l < 2; l++) {
		for (i = 0; i < s->n[l]; i++)
			free(s->ents[l][i].name);
		free(s->ents[l]);
	}
	free(s);
}

static void sa_fail(struct sa *s, int err, const char *fmt, const char *what)
{
	struct ctl_req *r = s->r;

	sa_free(s);
	ctl_fail(r, err, fmt, what, strerror(err));
}

/* Add or replace (Coda: names compare without case) one entry of list l. */
static int sa_put(struct sa *s, int l, const char *name, unsigned rights)
{
	hs_acl_entry *e;
	unsigned i;

	for (i = 0; i < s->n[l]; i++)
		if (!strcasecmp(s->ents[l][i].name, name)) {
			s->ents[l][i].rights = rights;
			return 0;
		}
	if (s->n[l] >= HS_ACL_MAX)
		return E2BIG;
	e = realloc(s->ents[l], (s->n[l] + 1) * sizeof *e);
	if (!e)
		return ENOMEM;
	s->ents[l] = e;
	e[s->n[l]] = (hs_acl_entry){ strdup(name), 0, rights };
	if (!e[s->n[l]].name)
		return ENOMEM;
	s->n[l]++;
	return 0;
}

/* JSON: the ACL as vice now has it (names and ids). */
static void sa_show(void *arg, int err, void *res)
{
	struct sa *s = arg;
	struct ctl_req *r = s->r;
	hs_acl_res *ar = res;
	char buf[PATH_MAX + 256];

	if (!err && ar->status)
		err = ar->status;
	ctl_disp(buf, sizeof buf, r->argv[s->dir]);
	if (err) {
		sa_fail(s, err, "%s: set, but reading it back failed: %s", buf);
		return;
	}
	ctl_printf(r, CTLP_STDOUT, "{\"path\":");
	ctl_json_str(r, buf);
	print_acl(r, &ar->hs_acl_res_u.acl);
	ctl_printf(r, CTLP_STDOUT, "}\n");
	sa_free(s);
	ctl_done(r, 0);
}

static void sa_set_done(void *arg, int err, void *res)
{
	struct sa *s = arg;
	struct ctl_req *r = s->r;
	hs_attr_res *ar = res;
	char buf[PATH_MAX + 256];

	if (!err && ar->status)
		err = ar->status;
	ctl_disp(buf, sizeof buf, r->argv[s->dir]);
	if (err == ENOENT) {
		sa_fail(s, err, "%s: %s (a name unknown to the servers?)", buf);
		return;
	}
	if (err) {
		sa_fail(s, err, "%s: %s", buf);
		return;
	}
	/* Every uid's cached rights under the old ACL are void. */
	rights_forget(&s->set.dir);
	if (r->json) {
		vr_call_as(s->set.dir.volume, r->uid, HS_GETACL, (xdrproc_t)xdr_hs_fid,
			    &s->set.dir, (xdrproc_t)xdr_hs_acl_res,
			    sizeof(hs_acl_res), sa_show, s);
		return;
	}
	sa_free(s);
	ctl_done(r, 0);
}

/* Apply the NAME RIGHTS pairs and send the new ACL. */
static void sa_send(struct sa *s)
{
	struct ctl_req *r = s->r;
	unsigned rights, l, i, k;
	int a, err;

	for (a = s->dir + 1; a + 1 < r->argc; a += 2) {
		if (parse_rights(r->argv[a + 1], &rights) < 0) {
			sa_fail(s, EINVAL, "Bogus rights specified: \"%s\"%.0s",
				r->argv[a + 1]);
			return;
		}
		if ((err = sa_put(s, s->neg, r->argv[a], rights))) {
			sa_fail(s, err, "%s: %s", r->argv[a]);
			return;
		}
	}
	/* Entries left with no rights go (Coda's nzcount). */
	for (l = 0; l < 2; l++) {
		for (i = k = 0; i < s->n[l]; i++) {
			if (s->ents[l][i].rights)
				s->ents[l][k++] = s->ents[l][i];
			else
				free(s->ents[l][i].name);
		}
		s->n[l] = k;
	}
	s->set.acl.pos.pos_val = s->ents[0];
	s->set.acl.pos.pos_len = s->n[0];
	s->set.acl.neg.neg_val = s->ents[1];
	s->set.acl.neg.neg_len = s->n[1];
	srv_new_storeid(&s->set.sid);
	vr_call_as(s->set.dir.volume, r->uid, HS_SETACL, (xdrproc_t)xdr_hs_setacl_args,
		    &s->set, (xdrproc_t)xdr_hs_attr_res, sizeof(hs_attr_res),
		    sa_set_done, s);
}

/* The current ACL arrived: start from it (Coda, unless -clear). */
static void sa_got(void *arg, int err, void *res)
{
	struct sa *s = arg;
	hs_acl_res *ar = res;
	hs_acl *a = &ar->hs_acl_res_u.acl;
	char buf[PATH_MAX + 256];
	unsigned i;

	if (!err && ar->status)
		err = ar->status;
	for (i = 0; !err && i < a->pos.pos_len; i++)
		err = sa_put(s, 0, a->pos.pos_val[i].name, a->pos.pos_val[i].rights);
	for (i = 0; !err && i < a->neg.neg_len; i++)
		err = sa_put(s, 1, a->neg.neg_val[i].name, a->neg.neg_val[i].rights);
	if (err) {
		sa_fail(s, err, "%s: %s", ctl_disp(buf, sizeof buf,
						    s->r->argv[s->dir]));
		return;
	}
	sa_send(s);
}

static void sa_resolved(void *arg, int err, const struct fso_attr *a)
{
	struct sa *s = arg;
	char buf[PATH_MAX + 256];

	if (!err && !S_ISDIR(a->st.st_mode))
		err = ENOTDIR;
	if (err) {
		sa_fail(s, err, "%s: %s", ctl_disp(buf, sizeof buf,
						    s->r->argv[s->dir]));
		return;
	}
	s->set.dir = a->fid;
	if (s->clear) {
		sa_send(s);
		return;
	}
	vr_call_as(s->set.dir.volume, s->r->uid, HS_GETACL, (xdrproc_t)xdr_hs_fid,
		    &s->set.dir, (xdrproc_t)xdr_hs_acl_res, sizeof(hs_acl_res),
		    sa_got, s);
}

static void cmd_setacl(struct ctl_req *r)
{
	struct sa *s = calloc(1, sizeof *s);
	int i = 0, err;

	if (!s) {
		ctl_fail(r, ENOMEM, "setacl: %s", strerror(ENOMEM));
		return;
	}
	s->r = r;
	if (i < r->argc && !strcmp(r->argv[i], "-clear"))
		s->clear = 1, i++;
	if (i < r->argc && !strcmp(r->argv[i], "-negative"))
		s->neg = 1, i++;
	if (s->clear && s->neg) {
		free(s);
		ctl_fail(r, EINVAL, "Sorry, I won't let you specify -clear and "
			 "-negative together\nSuch an ACL would not allow "
			 "access to anyone");
		return;
	}
	if (r->argc - i < 3 || (r->argc - i) % 2 != 1) {
		free(s);
		ctl_fail(r, EINVAL, "Usage: cfs setacl [-clear] [-negative] "
			 "DIR NAME RIGHTS [NAME RIGHTS]...");
		return;
	}
	s->dir = i;
	if ((err = ctlp_clean_path(r->argv[i]))) {
		sa_fail(s, err, "%s: %s", r->argv[i]);
		return;
	}
	fso_resolve_as(r->argv[i], r->uid, sa_resolved, s);
}

void ctl_acl_run(struct ctl_req *r)
{
	const struct ctlp_cmd *c = ctlp_find_cmd(r->cmd);

	if (c && !strcmp(c->name, "setacl")) {
		cmd_setacl(r);
		return;
	}
	ctl_walk_start(r, la_resolved);
}
