/*
 * hoardcmd.c - the hoard command language (hesper/hoardcmd.h).  Linked into
 * the hoard tool and venus, so both read priorities and flags alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hesper/hoardcmd.h>

static int parse_prio(const char *s, size_t n, unsigned *prio, const char **why)
{
	unsigned v = 0;

	if (!n) {
		*why = "missing priority";
		return EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*why = "priority is not a number";
			return EINVAL;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > HOARD_PRIO_MAX)
			break;
	}
	if (v < HOARD_PRIO_MIN || v > HOARD_PRIO_MAX) {
		*why = "priority must be 1-1000";
		return EINVAL;
	}
	*prio = v;
	return 0;
}

/* One flag field: its Coda attribute bits, or 0 after setting *why. */
static unsigned parse_flag(const char *s, size_t n)
{
	static const struct { const char *s; unsigned a; } tab[] = {
		{ "c", HOARD_CODA_CHILDREN },
		{ "c+", HOARD_CODA_CHILDREN | HOARD_CODA_INHERIT },
		{ "d", HOARD_CODA_DESCENDENTS },
		{ "d+", HOARD_CODA_DESCENDENTS | HOARD_CODA_INHERIT },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strlen(tab[i].s) == n && !strncmp(s, tab[i].s, n))
			return tab[i].a;
	return 0;
}

/* Coda's grammar (hoard.cc): ':'-separated fields in any order, a number
 * is the priority, flags accumulate. */
int hoard_parse_spec(const char *s, unsigned *prio, unsigned *flags, const char **why)
{
	unsigned p = *prio, attrs = 0, a;
	int any = 0;

	while (*s) {
		size_t n = strcspn(s, ":");

		if (n && s[0] >= '0' && s[0] <= '9') {
			if (parse_prio(s, n, &p, why))
				return EINVAL;
		} else if (n && (a = parse_flag(s, n))) {
			attrs |= a;
		} else if (n) {
			*why = "flags must be c, c+, d or d+";
			return EINVAL;
		}
		any |= n != 0;
		s += n;
		s += strspn(s, ":");
	}
	if (!any) {
		*why = "missing priority or flags";
		return EINVAL;
	}
	*prio = p;
	*flags = hoard_flags_from_coda(attrs);
	return 0;
}

unsigned hoard_flags_from_coda(unsigned attrs)
{
	unsigned f = 0;

	if (attrs & (HOARD_CODA_CHILDREN | HOARD_CODA_DESCENDENTS))
		f |= HOARD_CHILDREN;
	if (attrs & HOARD_CODA_DESCENDENTS)
		f |= HOARD_ALL;
	if (f && (attrs & HOARD_CODA_INHERIT))
		f |= HOARD_FUTURE;
	return f;
}

unsigned hoard_flags_to_coda(unsigned flags)
{
	unsigned a;

	if (!(flags & HOARD_CHILDREN))
		return 0;
	a = flags & HOARD_ALL ? HOARD_CODA_DESCENDENTS : HOARD_CODA_CHILDREN;
	return a | (flags & HOARD_FUTURE ? HOARD_CODA_INHERIT : 0);
}

const char *hoard_flags_str(unsigned flags)
{
	switch (flags) {
	case 0: return "";
	case HOARD_CHILDREN: return "c";
	case HOARD_CHILDREN | HOARD_FUTURE: return "c+";
	case HOARD_CHILDREN | HOARD_ALL: return "d";
	case HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE: return "d+";
	}
	return "?";
}

static const struct {
	const char   *name;
	enum hoard_op op;
	int           min, max;   /* argument counts */
	int           abbrev;     /* may be given as its first letter */
	const char   *usage;
} cmds[] = {
	{ "add", HOARD_OP_ADD, 1, 2, 1, "add PATH [PRIORITY][:c|c+|d|d+]" },
	{ "clear", HOARD_OP_CLEAR, 0, 1, 1, "clear [UID]" },
	{ "delete", HOARD_OP_DELETE, 1, 1, 1, "delete PATH" },
	{ "list", HOARD_OP_LIST, 0, 2, 1, "list [FILE [UID]]" },
	{ "modify", HOARD_OP_MODIFY, 2, 2, 1, "modify PATH PRIORITY[:c|c+|d|d+]" },
	{ "off", HOARD_OP_OFF, 0, 0, 0, "off" },
	{ "on", HOARD_OP_ON, 0, 0, 0, "on" },
	{ "verify", HOARD_OP_VERIFY, 0, 3, 1, "verify [FILE [VERBOSITY [UID]]]" },
	{ "walk", HOARD_OP_WALK, 0, 0, 1, "walk" },
};

/* By full name or by first letter where Coda allows it. */
static int find_cmd(const char *w)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(w, cmds[i].name) ||
		    (cmds[i].abbrev && w[0] == cmds[i].name[0] && !w[1]))
			return (int)i;
	return -1;
}

/* A decimal uid or count into *v.  0 or -1. */
static int parse_num(const char *s, long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || *end || *v > 0xfffffffeL ? -1 : 0;
}

/* The numeric arguments: clear UID, list FILE UID, verify FILE VERB UID. */
static int parse_nums(int n, char *const *words, struct hoard_cmd *c,
		      char *err, size_t errsize)
{
	int uid_at = c->op == HOARD_OP_CLEAR ? 1 : c->op == HOARD_OP_LIST ? 2 :
		     c->op == HOARD_OP_VERIFY ? 3 : 0;
	long v;

	if (c->op == HOARD_OP_VERIFY && n > 2) {
		if (parse_num(words[2], &v) || v > 9) {
			snprintf(err, errsize, "verify: bad verbosity \"%s\" (0-9)", words[2]);
			return EINVAL;
		}
		c->verbosity = (unsigned)v;
	}
	if (uid_at && n > uid_at) {
		if (parse_num(words[uid_at], &v)) {
			snprintf(err, errsize, "%s: bad uid \"%s\"", words[0], words[uid_at]);
			return EINVAL;
		}
		c->uid = v;
	}
	if (c->op == HOARD_OP_CLEAR)
		c->path = NULL;
	return 0;
}

int hoard_parse_cmd(int n, char *const *words, struct hoard_cmd *c,
		    char *err, size_t errsize)
{
	int k = n > 0 ? find_cmd(words[0]) : -1;
	const char *why = NULL;

	memset(c, 0, sizeof *c);
	c->uid = HOARD_ALL_UIDS;
	if (k < 0) {
		snprintf(err, errsize, "unknown command \"%s\" (add, clear, delete, "
			 "list, verify, walk, on, off)", n > 0 ? words[0] : "");
		return EINVAL;
	}
	if (n - 1 < cmds[k].min || n - 1 > cmds[k].max) {
		snprintf(err, errsize, "usage: %s", cmds[k].usage);
		return EINVAL;
	}
	c->op = cmds[k].op;
	c->path = n > 1 ? words[1] : NULL;
	c->prio = HOARD_PRIO_DEFAULT;
	if (c->path && !*c->path) {
		snprintf(err, errsize, "%s: empty path", cmds[k].name);
		return EINVAL;
	}
	if (parse_nums(n, words, c, err, errsize))
		return EINVAL;
	if ((c->op == HOARD_OP_ADD || c->op == HOARD_OP_MODIFY) && n > 2 &&
	    hoard_parse_spec(words[2], &c->prio, &c->flags, &why)) {
		snprintf(err, errsize, "%s: bad priority \"%s\": %s", cmds[k].name,
			 words[2], why);
		return EINVAL;
	}
	return 0;
}

/* Copy one quoted word starting after its '"'; *pp ends past the quote.
 * Returns the end of the copied text, or NULL if the quote is open. */
static char *unquote(char **pp, char *w)
{
	char *p = *pp;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*w++ = *p;
	}
	if (*p != '"')
		return NULL;
	*pp = p + 1;
	return w;
}

int hoard_split_line(char *line, char **words, int max, const char **why)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *w, sep;

		p += strspn(p, " \t\r\n\f\v");
		if (!*p || *p == '#')
			return n;
		if (n == max) {
			*why = "too many words";
			return -1;
		}
		words[n++] = w = p;
		while (*p && !strchr(" \t\r\n\f\v#", *p)) {
			if (*p == '"') {
				p++;
				if (!(w = unquote(&p, w))) {
					*why = "unterminated quote";
					return -1;
				}
			} else {
				*w++ = *p++;
			}
		}
		sep = *p;
		if (sep && sep != '#')
			p++;
		*w = '\0';   /* may land on the separator: it was read already */
		if (!sep || sep == '#')
			return n;
	}
}
