/*
 * token.c - the table of tokens by local uid (token.h).  Memory only for
 * now; a small array is enough for the users of one workstation.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "venus/net/token.h"

static struct vtoken table[TOKEN_MAX_USERS];
static unsigned ntokens;
static void (*set_hook)(void *arg, uid_t uid);
static void *set_hook_arg;

void token_set_hook(void (*fn)(void *arg, uid_t uid), void *arg)
{
	set_hook = fn;
	set_hook_arg = arg;
}

static struct vtoken *find(uid_t uid)
{
	unsigned i;

	for (i = 0; i < ntokens; i++)
		if (table[i].uid == uid)
			return &table[i];
	return NULL;
}

int token_set(const struct vtoken *t)
{
	struct vtoken *slot;

	if (!t->len || t->len > HS_TOKEN_MAX)
		return EINVAL;
	slot = find(t->uid);
	if (!slot) {
		if (ntokens == TOKEN_MAX_USERS)
			return ENOSPC;
		slot = &table[ntokens++];
	}
	*slot = *t;
	if (set_hook)
		set_hook(set_hook_arg, t->uid);
	return 0;
}

int token_get(uid_t uid, struct vtoken *out)
{
	struct vtoken *t = find(uid);

	if (!t)
		return ENOENT;
	*out = *t;
	return t->expires <= (int64_t)time(NULL) ? EKEYEXPIRED : 0;
}

int token_drop(uid_t uid)
{
	struct vtoken *t = find(uid);

	if (!t)
		return ENOENT;
	*t = table[--ntokens];
	memset(&table[ntokens], 0, sizeof(table[ntokens]));
	return 0;
}

void token_each(void (*fn)(const struct vtoken *t, void *arg), void *arg)
{
	unsigned i;

	for (i = 0; i < ntokens; i++)
		fn(&table[i], arg);
}
