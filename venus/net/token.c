/*
 * token.c - the table of tokens by local uid and realm (token.h), kept
 * in memory and in <cachedir>/tokens so a venus restart keeps every
 * user's clog.
 *
 * The file: mode 0600, rewritten whole (temporary file, fsync, rename)
 * on every change; one line per token:
 *     UID VID EXPIRES HEXTOKEN NAME REALM
 * A line without REALM (written before realms) is realm 0's.  Lines that
 * do not parse are skipped with a message: a damaged file costs a clog,
 * never a start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "venus/net/token.h"
#include "venus/net/volreg.h"
#include "venus/util/venus.h"

static struct vtoken table[TOKEN_MAX_USERS];
static unsigned ntokens;
static int loaded;

/* <cachedir>/tokens, or "" when venus has no cache directory (tests). */
/* Realm 0's name ("" in unit tests without a venus). */
static const char *realm0(void)
{
	return V ? vr_realm0() : "";
}

static const char *path(char *buf, size_t n)
{
	if (!V || !V->cfg.cachedir)
		return "";
	snprintf(buf, n, "%s/tokens", V->cfg.cachedir);
	return buf;
}

static int unhex(const char *s, unsigned char *out, unsigned max,
		 unsigned *len)
{
	size_t n = strlen(s), i;

	if (!n || n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*len = (unsigned)(n / 2);
	return 0;
}

static int parse(char *line, struct vtoken *t)
{
	char hex[2 * HS_TOKEN_MAX + 2], name[HS_MAXNAMELEN + 1];
	char realm[HS_MAXNAMELEN + 1] = "";
	long long uid, vid, exp;
	int n;

	memset(t, 0, sizeof(*t));
	n = sscanf(line, "%lld %lld %lld %513s %255s %255s", &uid, &vid, &exp,
		   hex, name, realm);
	if (n < 5 || uid < 0 || uid > UINT32_MAX - 1 ||
	    vid < INT32_MIN || vid > INT32_MAX ||
	    unhex(hex, t->tok, HS_TOKEN_MAX, &t->len))
		return -1;
	t->uid = (uid_t)uid;
	t->vid = (int32_t)vid;
	t->expires = exp;
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->realm, sizeof t->realm, "%s", n == 6 ? realm : realm0());
	return 0;
}

static void load(void)
{
	char buf[4096], line[1024];
	const char *p = path(buf, sizeof buf);
	FILE *f;

	loaded = 1;
	if (!*p || !(f = fopen(p, "re")))
		return;
	while (fgets(line, sizeof line, f)) {
		struct vtoken t;

		if (parse(line, &t) || ntokens == TOKEN_MAX_USERS) {
			vlog(LOG_WARNING, "%s: skipping a damaged line", p);
			continue;
		}
		table[ntokens++] = t;
	}
	fclose(f);
}

/* Rewrite the file from the table.  Errors are logged: the tokens still
 * work until venus restarts. */
static void save(void)
{
	char buf[4096], tmp[4200];
	const char *p = path(buf, sizeof buf);
	unsigned i, j;
	FILE *f;
	int fd;

	if (!*p)
		return;
	snprintf(tmp, sizeof tmp, "%s.new", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		vlog(LOG_ERR, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < ntokens; i++) {
		const struct vtoken *t = &table[i];

		fprintf(f, "%u %d %lld ", (unsigned)t->uid, t->vid,
			(long long)t->expires);
		for (j = 0; j < t->len; j++)
			fprintf(f, "%02x", t->tok[j]);
		fprintf(f, " %s %s\n", t->name, t->realm);
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, p)) {
		vlog(LOG_ERR, "%s: cannot save tokens: %s", p, strerror(errno));
		unlink(tmp);
	}
}

static void (*set_hook)(void *arg, uid_t uid);
static void *set_hook_arg;

void token_set_hook(void (*fn)(void *arg, uid_t uid), void *arg)
{
	set_hook = fn;
	set_hook_arg = arg;
}

/* uid's token for realm (NULL or "": realm 0). */
static struct vtoken *find(uid_t uid, const char *realm)
{
	unsigned i;

	if (!loaded)
		load();
	if (!realm || !*realm)
		realm = realm0();
	for (i = 0; i < ntokens; i++)
		if (table[i].uid == uid && !strcasecmp(table[i].realm, realm))
			return &table[i];
	return NULL;
}

static void remove_at(unsigned i)
{
	table[i] = table[--ntokens];
	memset(&table[ntokens], 0, sizeof(table[ntokens]));
}

int token_set(const struct vtoken *t)
{
	struct vtoken *slot;

	if (!t->len || t->len > HS_TOKEN_MAX || !*t->name ||
	    strpbrk(t->name, " \t\r\n") || strpbrk(t->realm, " \t\r\n"))
		return EINVAL;
	slot = find(t->uid, t->realm);
	if (!slot) {
		unsigned i, mine = 0;

		for (i = 0; i < ntokens; i++)
			mine += table[i].uid == t->uid;
		if (ntokens == TOKEN_MAX_USERS || mine >= TOKEN_MAX_REALMS)
			return ENOSPC;
		slot = &table[ntokens++];
	}
	*slot = *t;
	if (!*slot->realm)
		snprintf(slot->realm, sizeof slot->realm, "%s", realm0());
	save();
	if (set_hook)
		set_hook(set_hook_arg, t->uid);
	return 0;
}

int token_get_realm(uid_t uid, const char *realm, struct vtoken *out)
{
	struct vtoken *t = find(uid, realm);

	if (!t)
		return ENOENT;
	*out = *t;
	return t->expires <= (int64_t)time(NULL) ? EKEYEXPIRED : 0;
}

int token_get(uid_t uid, struct vtoken *out)
{
	return token_get_realm(uid, NULL, out);
}

int token_get_idx(uid_t uid, unsigned idx, struct vtoken *out)
{
	const char *name = idx ? vr_realm_name(idx) : NULL;

	if (idx && !name)
		return ENOENT;
	return token_get_realm(uid, name, out);
}

int token_get_vol(uid_t uid, uint32_t lvol, struct vtoken *out)
{
	unsigned idx = vr_realm_of(lvol);

	return token_get_idx(uid, vr_realm_name(idx) ? idx : 0, out);
}

int token_drop_realm(uid_t uid, const char *realm)
{
	unsigned i = 0;
	int found = 0;

	if (realm) {
		struct vtoken *t = find(uid, realm);

		if (!t)
			return ENOENT;
		remove_at((unsigned)(t - table));
		save();
		return 0;
	}
	if (!loaded)
		load();
	while (i < ntokens) {
		if (table[i].uid == uid) {
			remove_at(i);
			found = 1;
		} else {
			i++;
		}
	}
	if (!found)
		return ENOENT;
	save();
	return 0;
}

int token_drop(uid_t uid)
{
	return token_drop_realm(uid, NULL);
}

void token_each(void (*fn)(const struct vtoken *t, void *arg), void *arg)
{
	unsigned i;

	if (!loaded)
		load();
	for (i = 0; i < ntokens; i++)
		fn(&table[i], arg);
}
