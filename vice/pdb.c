/*
 * vice/pdb.c - the protection database (pdb.h).  For now only the
 * system groups exist; users come with authentication.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "vice.h"
#include "pdb.h"

struct pdb {
	int unused;
};

static const struct {
	int32_t id;
	const char *name;
} sys[] = {
	{ HS_ID_ANYUSER, "System:AnyUser" },
	{ HS_ID_AUTHUSER, "System:AuthUser" },
	{ HS_ID_ADMINS, "System:Administrators" },
};

int pdb_open(const char *root, struct pdb **out, char *err, size_t errlen)
{
	(void)root;
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	return 0;
}

void pdb_close(struct pdb *p)
{
	free(p);
}

int pdb_id_of(struct pdb *p, const char *name, int32_t *id)
{
	unsigned i;

	(void)p;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (!strcmp(sys[i].name, name)) {
			*id = sys[i].id;
			return 0;
		}
	return ENOENT;
}

int pdb_name_of(struct pdb *p, int32_t id, char *buf, size_t n)
{
	unsigned i;

	(void)p;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (sys[i].id == id) {
			snprintf(buf, n, "%s", sys[i].name);
			return 0;
		}
	return ENOENT;
}

int pdb_cps(struct pdb *p, struct vident *who)
{
	(void)p;
	who->ncps = 0;
	who->cps[who->ncps++] = who->id;
	who->cps[who->ncps++] = HS_ID_ANYUSER;
	if (who->authenticated)
		who->cps[who->ncps++] = HS_ID_AUTHUSER;
	who->admin = 0;
	return 0;
}
