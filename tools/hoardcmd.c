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

static int parse_flags(const char *s, unsigned *flags, const char **why)
{
	static const struct { const char *s; unsigned f; } tab[] = {
		{ "c", HOARD_CHILDREN },
		{ "c+", HOARD_CHILDREN | HOARD_ALL },
		{ "d", HOARD_CHILDREN | HOARD_FUTURE },
		{ "d+", HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(s, tab[i].s)) {
			*flags = tab[i].f;
			return 0;
		}
	*why = "flags must be c, c+, d or d+";
	return EINVAL;
}

int hoard_parse_spec(const char *s, unsigned *prio, unsigned *flags, const char **why)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	unsigned p = *prio, f = 0;

	if (n && parse_prio(s, n, &p, why))
		return EINVAL;
	if (!n && !colon)
		return parse_prio(s, 0, &p, why);
	if (colon && parse_flags(colon + 1, &f, why))
		return EINVAL;
	*prio = p;
	*flags = f;
	return 0;
}

const char *hoard_flags_str(unsigned flags)
{
	switch (flags) {
	case 0: return "";
	case HOARD_CHILDREN: return "c";
	case HOARD_CHILDREN | HOARD_ALL: return "c+";
	case HOARD_CHILDREN | HOARD_FUTURE: return "d";
	case HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE: return "d+";
	}
	return "?";
}

static const struct {
	const char   *name;
	enum hoard_op op;
	int           min, max;   /* argument counts */
	const char   *usage;
} cmds[] = {
	{ "add", HOARD_OP_ADD, 1, 2, "add PATH [PRIORITY][:c|c+|d|d+]" },
	{ "clear", HOARD_OP_CLEAR, 0, 0, "clear" },
	{ "delete", HOARD_OP_DELETE, 1, 1, "delete PATH" },
	{ "list", HOARD_OP_LIST, 0, 1, "list [FILE]" },
	{ "modify", HOARD_OP_MODIFY, 2, 2, "modify PATH PRIORITY[:c|c+|d|d+]" },
	{ "verify", HOARD_OP_VERIFY, 0, 1, "verify [FILE]" },
	{ "walk", HOARD_OP_WALK, 0, 0, "walk" },
};

/* By full name or by first letter (all names start differently). */
static int find_cmd(const char *w)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(w, cmds[i].name) || (w[0] == cmds[i].name[0] && !w[1]))
			return (int)i;
	return -1;
}

int hoard_parse_cmd(int n, char *const *words, struct hoard_cmd *c,
		    char *err, size_t errsize)
{
	int k = n > 0 ? find_cmd(words[0]) : -1;
	const char *why = NULL;

	memset(c, 0, sizeof *c);
	if (k < 0) {
		snprintf(err, errsize, "unknown command \"%s\" (add, clear, delete, "
			 "list, modify, verify, walk)", n > 0 ? words[0] : "");
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
	if (n > 2 && hoard_parse_spec(words[2], &c->prio, &c->flags, &why)) {
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
