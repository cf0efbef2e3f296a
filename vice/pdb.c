/*
 * vice/pdb.c - the protection database (pdb.h): name rules, the system
 * groups, the CPS walk, over a backend that keeps the records
 * (pdb_store.h: pdb_sqlite.c or pdb_etcd.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vice.h"
#include "pdb.h"
#include "pdb_store.h"

struct pdb {
	struct pdb_store *s;
};

#define OPS(p) ((p)->s->ops)

static const struct {
	int32_t id;
	const char *name;
} sys[] = {
	{ HS_ID_ANYUSER, "System:AnyUser" },
	{ HS_ID_AUTHUSER, "System:AuthUser" },
	{ HS_ID_ADMINS, "System:Administrators" },
};

/* Wrap an open backend, making the system groups if missing. */
static int wrap(struct pdb_store *s, struct pdb **out, char *err,
		size_t errlen)
{
	struct pdb *p = calloc(1, sizeof(*p));
	unsigned i;
	int rc;

	if (!p) {
		s->ops->close(s);
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	p->s = s;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if ((rc = s->ops->seed(s, sys[i].name, sys[i].id))) {
			snprintf(err, errlen, "cannot create %s in the pdb: %s",
				 sys[i].name, strerror(rc));
			pdb_close(p);
			return rc;
		}
	*out = p;
	return 0;
}

int pdb_open(const char *root, struct pdb **out, char *err, size_t errlen)
{
	struct pdb_store *s;
	int rc;

	*out = NULL;
	if ((rc = pdb_sqlite_open(root, &s, err, errlen)))
		return rc;
	return wrap(s, out, err, errlen);
}

int pdb_open_etcd(const char *urls, const char *realm, struct pdb **out,
		  char *err, size_t errlen)
{
	struct pdb_store *s;
	int rc;

	*out = NULL;
	if ((rc = pdb_etcd_open(urls, realm, &s, err, errlen)))
		return rc;
	return wrap(s, out, err, errlen);
}

void pdb_close(struct pdb *p)
{
	if (!p)
		return;
	OPS(p)->close(p->s);
	free(p);
}

uint64_t pdb_generation(struct pdb *p)
{
	return OPS(p)->generation(p->s);
}

int pdb_id_of(struct pdb *p, const char *name, int32_t *id)
{
	struct pdb_entry e;
	int rc;

	if (strlen(name) > PDB_NAME_MAX)
		return ENOENT;
	if ((rc = OPS(p)->by_name(p->s, name, &e)))
		return rc;
	*id = e.id;
	return 0;
}

int pdb_name_of(struct pdb *p, int32_t id, char *buf, size_t n)
{
	struct pdb_entry e;
	int rc = OPS(p)->by_id(p->s, id, &e);

	if (!rc)
		snprintf(buf, n, "%s", e.name);
	return rc;
}

static int cps_has(const struct vident *who, int32_t id)
{
	unsigned i;

	for (i = 0; i < who->ncps; i++)
		if (who->cps[i] == id)
			return 1;
	return 0;
}

static void cps_add(struct vident *who, int32_t id)
{
	if (who->ncps < VIDENT_MAXCPS && !cps_has(who, id))
		who->cps[who->ncps++] = id;
}

int pdb_cps(struct pdb *p, struct vident *who)
{
	int32_t in[VIDENT_MAXCPS];
	unsigned i, j, n;
	int rc = 0;

	who->ncps = 0;
	cps_add(who, who->id);
	/* Breadth first over "is a member of": every id added is expanded
	 * once (the list is the visited set), so cycles end, and the list
	 * is bounded by VIDENT_MAXCPS. */
	for (i = 0; i < who->ncps && !rc; i++) {
		rc = OPS(p)->related(p->s, who->cps[i], 'g', in, VIDENT_MAXCPS,
				     &n);
		for (j = 0; !rc && j < n && j < VIDENT_MAXCPS; j++)
			cps_add(who, in[j]);
	}
	cps_add(who, HS_ID_ANYUSER);
	if (who->authenticated)
		cps_add(who, HS_ID_AUTHUSER);
	/* Reserve room: the system groups must be present even when the
	 * walk filled the list. */
	if (!cps_has(who, HS_ID_ANYUSER))
		who->cps[VIDENT_MAXCPS - 2] = HS_ID_ANYUSER;
	if (who->authenticated && !cps_has(who, HS_ID_AUTHUSER))
		who->cps[VIDENT_MAXCPS - 1] = HS_ID_AUTHUSER;
	who->admin = cps_has(who, HS_ID_ADMINS);
	return rc;
}

/* ---- administration ---- */

int pdb_user_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (!n || n > PDB_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return 0;
	return 1;
}

int pdb_user_add(struct pdb *p, const char *name, int32_t id)
{
	if (id < 0 || !pdb_user_name_ok(name))
		return EINVAL;
	return OPS(p)->user_add(p->s, name, &id);
}

int pdb_user_add_next(struct pdb *p, const char *name, int32_t *id)
{
	int32_t v = PDB_NEXT_ID;
	int rc;

	if (!pdb_user_name_ok(name))
		return EINVAL;
	if (!(rc = OPS(p)->user_add(p->s, name, &v)))
		*id = v;
	return rc;
}

int pdb_user_next_id(struct pdb *p, int32_t *id)
{
	return OPS(p)->user_next_id(p->s, id);
}

int pdb_group_add(struct pdb *p, const char *name, int32_t owner,
		  int32_t *id)
{
	char oname[PDB_NAME_MAX + 1];
	const char *colon = strchr(name, ':');
	int rc;

	if (owner < 0 || !colon || strchr(colon + 1, ':') ||
	    strlen(name) > PDB_NAME_MAX ||
	    !pdb_user_name_ok(colon + 1))
		return EINVAL;
	if ((rc = pdb_name_of(p, owner, oname, sizeof oname)))
		return rc;
	if (strlen(oname) != (size_t)(colon - name) ||
	    strncmp(oname, name, (size_t)(colon - name)))
		return EINVAL;
	return OPS(p)->group_add(p->s, name, owner, id);
}

int pdb_member_add(struct pdb *p, int32_t gid, int32_t member)
{
	if (gid >= 0 || gid == member || gid == HS_ID_ANYUSER ||
	    gid == HS_ID_AUTHUSER)
		return EINVAL;
	return OPS(p)->member_add(p->s, gid, member);
}

int pdb_member_del(struct pdb *p, int32_t gid, int32_t member)
{
	return OPS(p)->member_del(p->s, gid, member);
}

int pdb_delete(struct pdb *p, int32_t id)
{
	unsigned i;

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (sys[i].id == id)
			return EPERM;
	return OPS(p)->del(p->s, id);
}

int pdb_each(struct pdb *p, int (*fn)(const struct pdb_entry *e, void *arg),
	     void *arg)
{
	return OPS(p)->each(p->s, fn, arg);
}

int pdb_get(struct pdb *p, int32_t id, struct pdb_entry *e)
{
	return OPS(p)->by_id(p->s, id, e);
}

int pdb_related(struct pdb *p, int32_t id, char kind, int32_t *out,
		unsigned max, unsigned *n)
{
	if (kind != 'm' && kind != 'g' && kind != 'o')
		return EINVAL;
	return OPS(p)->related(p->s, id, kind, out, max, n);
}

int pdb_secret_set(struct pdb *p, int32_t id, const char *secret)
{
	if (id < 0 || strlen(secret) > PDB_SECRET_MAX)
		return EINVAL;
	return OPS(p)->secret_set(p->s, id, secret);
}

int pdb_secret_get(struct pdb *p, int32_t id, char *buf, size_t n)
{
	return OPS(p)->secret_get(p->s, id, buf, n);
}
