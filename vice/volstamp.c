/*
 * vice/volstamp.c - volume version stamps and volume promises (Coda's
 * VolumeVV and volume callbacks; rpc/hesper.x HS_VOLSTAMPS).
 *
 * Stamps live in memory only.  A process draws a random 64-bit base at
 * its first use; a volume not changed since has the base as its stamp,
 * a changed one the value a process-wide counter (starting at the base)
 * had at its last change.  A restart of vice draws another base, so every
 * stamp a client recorded before it is refused (a full revalidation, as
 * without stamps) and nothing needs to be persisted or replayed; two runs
 * agree on a stamp with odds of about changes / 2^64.
 *
 * A volume promise is one entry in its client's volp list; it goes with
 * the connection (cb_forget) or with the volume's next change
 * (vstamp_changed), for every holder, the changer too: the changer's own
 * cache is no proof that it saw the others' changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "vice.h"

/* One volume changed since the base was drawn. */
struct vstamp_ent {
	uint32_t vol;
	uint64_t stamp;
};

struct vstamps {
	uint64_t base;          /* every unchanged volume's stamp */
	uint64_t last;          /* the last stamp handed out */
	struct vstamp_ent *e;
	size_t n, cap;
};

static struct vstamps *stamps(struct vice *v)
{
	struct vstamps *s = v->stamps;
	uint64_t b = 0;

	if (s)
		return s;
	if (!(s = calloc(1, sizeof(*s))))
		return NULL;
	while (!b) {
		if (getrandom(&b, sizeof b, 0) != sizeof b)
			b = ((uint64_t)time(NULL) << 32) ^ (uint64_t)getpid() ^
			    (uint64_t)(uintptr_t)s;
	}
	s->base = s->last = b;
	return v->stamps = s;
}

static struct vstamp_ent *find(struct vstamps *s, uint32_t vol)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].vol == vol)
			return &s->e[i];
	return NULL;
}

uint64_t vstamp_get(struct vice *v, uint32_t vol)
{
	struct vstamps *s = stamps(v);
	struct vstamp_ent *e;

	if (!s)
		return 0;   /* out of memory: 0 is never valid */
	e = find(s, vol);
	return e ? e->stamp : s->base;
}

/* The volume's stamp moves on.  Out of memory for its entry: every
 * volume gets a new base, which refuses every stamp (safe, slower). */
static void bump(struct vice *v, uint32_t vol)
{
	struct vstamps *s = stamps(v);
	struct vstamp_ent *e, *more;

	if (!s)
		return;
	if (!++s->last)
		++s->last;
	if ((e = find(s, vol))) {
		e->stamp = s->last;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		if (!(more = realloc(s->e, cap * sizeof(*more)))) {
			for (size_t i = 0; i < s->n; i++)
				s->e[i].stamp = s->last;
			s->base = s->last;
			return;
		}
		s->e = more;
		s->cap = cap;
	}
	s->e[s->n++] = (struct vstamp_ent){ vol, s->last };
}

void vstamp_free(struct vice *v)
{
	if (v->stamps)
		free(v->stamps->e);
	free(v->stamps);
	v->stamps = NULL;
}

int volp_add(struct vclient *c, uint32_t vol)
{
	uint32_t *more;

	if (!(c->features & HS_FEAT_CALLBACKS))
		return ENOTSUP;
	if (volp_has(c, vol))
		return 0;
	if (c->nvolp == c->capvolp) {
		unsigned cap = c->capvolp ? 2 * c->capvolp : 4;

		if (!(more = realloc(c->volp, cap * sizeof(*more))))
			return ENOMEM;
		c->volp = more;
		c->capvolp = cap;
	}
	c->volp[c->nvolp++] = vol;
	return 0;
}

int volp_has(const struct vclient *c, uint32_t vol)
{
	for (unsigned i = 0; i < c->nvolp; i++)
		if (c->volp[i] == vol)
			return 1;
	return 0;
}

/* Remove vol from c's volume promises: 1 if it held one. */
static int volp_del(struct vclient *c, uint32_t vol)
{
	for (unsigned i = 0; i < c->nvolp; i++)
		if (c->volp[i] == vol) {
			c->volp[i] = c->volp[--c->nvolp];
			return 1;
		}
	return 0;
}

void volp_clear(struct vclient *c)
{
	free(c->volp);
	c->volp = NULL;
	c->nvolp = c->capvolp = 0;
}

void vstamp_changed(struct vice *v, uint32_t vol)
{
	struct vclient *c;
	hs_fid whole = { vol, 0, 0 };

	bump(v, vol);
	for (c = v->clients; c; c = c->next)
		if (volp_del(c, vol))
			cb_send_break(v, c, &whole, 1);
}
