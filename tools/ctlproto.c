/*
 * ctlproto.c - the control socket's wire format (hesper/ctlproto.h): the
 * command table, word escaping, reply line framing and JSON strings.
 * Linked into both venus and cfs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hesper/ctlproto.h>

const struct ctlp_cmd ctlp_cmds[] = {
	{ "checkservers", "cs", CTLP_ARGS_NONE, 0, "",
	  "Check up/down status of servers" },
	{ "listvol", "lv", CTLP_ARGS_PATHS, 0, "PATH...",
	  "Display volume status" },
	{ "getfid", "gf", CTLP_ARGS_PATHS, 0, "PATH...",
	  "Map path to fid" },
	{ "flushobject", "fl", CTLP_ARGS_PATHS, 1, "PATH...",
	  "Flush objects from cache" },
	{ "listcache", "lc", CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "List cached objects (below PATH)" },
	{ "listmissing", "lm", CTLP_ARGS_NONE, 0, "",
	  "List files needed while disconnected that were not cached" },
	{ "stats", NULL, CTLP_ARGS_NONE, 0, "",
	  "Show venus's counters" },
	{ "serverstats", NULL, CTLP_ARGS_NONE, 0, "",
	  "Show the server's counters" },
	{ "mountpoint", NULL, CTLP_ARGS_NONE, 0, "",
	  "Print the mount point" },
	{ "help", NULL, CTLP_ARGS_OPTWORD, 0, "[COMMAND]",
	  "List commands, or show one command's usage" },
	{ "disconnect", NULL, CTLP_ARGS_NONE, 1, "",
	  "Stop talking to vice; log every change" },
	{ "reconnect", NULL, CTLP_ARGS_NONE, 1, "",
	  "Talk to vice again and reintegrate" },
	{ "writedisconnect", "wd", CTLP_ARGS_WORDS, 1, "[-age S] [-time S]",
	  "Write back: log changes, trickle them to vice" },
	{ "adaptive", NULL, CTLP_ARGS_NONE, 1, "",
	  "Write back with age 0, time 15" },
	{ "strong", NULL, CTLP_ARGS_NONE, 1, "",
	  "Send changes to vice synchronously" },
	{ "forcereintegrate", "fr", CTLP_ARGS_OPTPATH, 1, "[PATH]",
	  "Reintegrate the CML now and wait" },
	{ "conflicts", NULL, CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "List objects in conflict and their local versions" },
	{ "listlocal", NULL, CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "List local mutations (of PATH)" },
	{ "checklocal", NULL, CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "Check which local mutations conflict" },
	{ "discardlocal", NULL, CTLP_ARGS_FLAGPATH, 1, "[-all] [PATH]",
	  "Drop local mutations in conflict: the server version wins" },
	{ "preservelocal", NULL, CTLP_ARGS_FLAGPATH, 1, "[-all] [PATH]",
	  "Re-apply local mutations in conflict: the local version wins" },
	{ "checkpointml", "ck", CTLP_ARGS_OPTPATH, 1, "[PATH]",
	  "Write the CML and its data under the checkpoint directory" },
	{ "zonelimit", "zl", CTLP_ARGS_WORDS, 1, "[YELLOW RED]",
	  "Show or set the back-pressure zones (percent)" },
	{ NULL, NULL, CTLP_ARGS_NONE, 0, NULL, NULL },
};

const struct ctlp_cmd *ctlp_find_cmd(const char *name)
{
	for (const struct ctlp_cmd *c = ctlp_cmds; c->name; c++)
		if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
			return c;
	return NULL;
}

static int needs_escape(unsigned char ch)
{
	return ch <= 0x20 || ch == '%' || ch >= 0x7f;
}

size_t ctlp_escape(char *dst, size_t dstsize, const char *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		char esc[3] = { '%', hex[ch >> 4], hex[ch & 15] };
		size_t n = needs_escape(ch) ? 3 : 1;

		for (size_t k = 0; k < n; k++, o++)
			if (o + 1 < dstsize)
				dst[o] = n == 3 ? esc[k] : (char)ch;
	}
	if (dstsize)
		dst[o < dstsize ? o : dstsize - 1] = '\0';
	return o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long ctlp_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
		if (lo < 0 || (hi | lo) == 0)
			return -1;
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = '\0';
	return (long)(w - s);
}

int ctlp_split(char *line, char **words, int max)
{
	size_t len = strlen(line);
	int n = 0;

	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	for (char *p = line; *p; ) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (n == max) {
			errno = E2BIG;
			return -1;
		}
		words[n++] = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
	}
	for (int i = 0; i < n; i++)
		if (ctlp_unescape(words[i]) < 0) {
			errno = EINVAL;
			return -1;
		}
	return n;
}

char *ctlp_build_request(int n, const char *const *words)
{
	size_t total = 1;
	char *line, *p;

	if (n < 1 || n > CTLP_MAX_WORDS) {
		errno = n < 1 ? EINVAL : E2BIG;
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (!words[i][0]) {
			errno = EINVAL;
			return NULL;
		}
		total += ctlp_escape(NULL, 0, words[i], strlen(words[i])) + 1;
	}
	if (total - 1 > CTLP_MAX_LINE) {  /* total counts the NUL */
		errno = E2BIG;
		return NULL;
	}
	if (!(line = malloc(total)))
		return NULL;
	p = line;
	for (int i = 0; i < n; i++) {
		if (i)
			*p++ = ' ';
		p += ctlp_escape(p, total - (size_t)(p - line), words[i], strlen(words[i]));
	}
	*p++ = '\n';
	*p = '\0';
	return line;
}

const char *ctlp_line_prefix(int chan, const char *line, size_t len)
{
	if (chan == CTLP_STDERR)
		return "!";
	if (len && (line[0] == '.' || line[0] == '!'))
		return ".";
	return "";
}

enum ctlp_rstat ctlp_read_line(struct ctlp_reader *rd, const char *line,
			       int *chan, const char **text, int *status)
{
	if (rd->seen_dot) {
		char *end;
		long v;

		if (strncmp(line, "status ", 7))
			return CTLP_R_BAD;
		errno = 0;
		v = strtol(line + 7, &end, 10);
		if (errno || end == line + 7 || *end || v < 0 || v > 100000)
			return CTLP_R_BAD;
		*status = (int)v;
		return CTLP_R_DONE;
	}
	if (!strcmp(line, ".")) {
		rd->seen_dot = 1;
		return CTLP_R_MORE;
	}
	*chan = line[0] == '!' ? CTLP_STDERR : CTLP_STDOUT;
	*text = line[0] == '!' || line[0] == '.' ? line + 1 : line;
	return CTLP_R_LINE;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if there is none:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static int utf8_len(const unsigned char *s)
{
	unsigned cp;
	int n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Append text (n bytes) to dst at *o, counting what does not fit. */
static void put(char *dst, size_t dstsize, size_t *o, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++, (*o)++)
		if (*o + 1 < dstsize)
			dst[*o] = text[i];
}

size_t ctlp_json_escape(char *dst, size_t dstsize, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	char esc[8];

	put(dst, dstsize, &o, "\"", 1);
	while (*p) {
		int n = utf8_len(p);

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p;
			put(dst, dstsize, &o, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			put(dst, dstsize, &o, esc, 6);
		} else if (n == 0) {
			snprintf(esc, sizeof esc, "\\udc%02x", *p);
			put(dst, dstsize, &o, esc, 6);
			n = 1;
		} else {
			put(dst, dstsize, &o, (const char *)p, (size_t)n);
		}
		p += n ? n : 1;
	}
	put(dst, dstsize, &o, "\"", 1);
	if (dstsize)
		dst[o < dstsize ? o : dstsize - 1] = '\0';
	return o;
}

int ctlp_args_ok(const struct ctlp_cmd *c, int argc)
{
	switch (c->args) {
	case CTLP_ARGS_NONE:
		return argc == 0;
	case CTLP_ARGS_PATHS:
		return argc >= 1;
	case CTLP_ARGS_OPTPATH:
	case CTLP_ARGS_OPTWORD:
		return argc <= 1;
	case CTLP_ARGS_WORDS:
	case CTLP_ARGS_FLAGPATH:
		return 1;
	}
	return 0;
}

int ctlp_clean_path(char *p)
{
	char *w = p, *comp = p;

	while (*comp) {
		size_t n = strcspn(comp, "/");
		char *next = comp + n + (comp[n] == '/');

		if (n == 2 && !strncmp(comp, "..", 2))
			return EINVAL;
		if (n && !(n == 1 && comp[0] == '.')) {
			if (w != p)
				*w++ = '/';
			memmove(w, comp, n);
			w += n;
		}
		comp = next;
	}
	*w = '\0';
	return 0;
}
