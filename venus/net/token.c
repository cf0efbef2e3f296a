/*
 * token.c - the table of tokens by local uid (token.h), kept in memory
 * and in <cachedir>/tokens so a venus restart keeps every user's clog.
 *
 * The file: mode 0600, rewritten whole (temporary file, fsync, rename)
 * on every change; one line per token:
 *     UID VID EXPIRES HEXTOKEN NAME
 * Lines that do not parse are skipped with a message: a damaged file
 * costs a clog, never a start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "venus/net/token.h"
#include "venus/util/venus.h"

static struct vtoken table[TOKEN_MAX_USERS];
static unsigned ntokens;
static int loaded;

/* <cachedir>/tokens, or "" when venus has no cache directory (tests). */
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
	long long uid, vid, exp;

	memset(t, 0, sizeof(*t));
	if (sscanf(line, "%lld %lld %lld %513s %255s", &uid, &vid, &exp, hex,
		   name) != 5 || uid < 0 || uid > UINT32_MAX - 1 ||
	    vid < INT32_MIN || vid > INT32_MAX ||
	    unhex(hex, t->tok, HS_TOKEN_MAX, &t->len))
		return -1;
	t->uid = (uid_t)uid;
	t->vid = (int32_t)vid;
	t->expires = exp;
	snprintf(t->name, sizeof t->name, "%s", name);
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
		fprintf(f, " %s\n", t->name);
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, p)) {
		vlog(LOG_ERR, "%s: cannot save tokens: %s", p, strerror(errno));
		unlink(tmp);
	}
}

static struct vtoken *find(uid_t uid)
{
	unsigned i;

	if (!loaded)
		load();
	for (i = 0; i < ntokens; i++)
		if (table[i].uid == uid)
			return &table[i];
	return NULL;
}

int token_set(const struct vtoken *t)
{
	struct vtoken *slot;

	if (!t->len || t->len > HS_TOKEN_MAX || !*t->name ||
	    strpbrk(t->name, " \t\r\n"))
		return EINVAL;
	slot = find(t->uid);
	if (!slot) {
		if (ntokens == TOKEN_MAX_USERS)
			return ENOSPC;
		slot = &table[ntokens++];
	}
	*slot = *t;
	save();
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
	save();
	return 0;
}

void token_each(void (*fn)(const struct vtoken *t, void *arg), void *arg)
{
	unsigned i;

	if (!loaded)
		load();
	for (i = 0; i < ntokens; i++)
		fn(&table[i], arg);
}
