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

/* Names, aliases and argument forms are Coda 8's (coda-src/vtools/cfs.cc)
 * where Coda has the command; Hesper's own commands follow. */
const struct ctlp_cmd ctlp_cmds[] = {
	{ "checkservers", "cs", CTLP_ARGS_WORDS, 0, "[SERVER...]",
	  "Check up/down status of servers" },
	{ "checkpointml", "ck", CTLP_ARGS_CKPT, 1, "[DIR [CHECKPOINT-DIR]]",
	  "Checkpoint the volume's modify log (CML) and its store data" },
	{ "checkvolumes", NULL, CTLP_ARGS_NONE, 0, "",
	  "Check volume/name mappings" },
	{ "clearpriorities", "cp", CTLP_ARGS_NONE, 1, "",
	  "Clear short-term priorities (no meaning in Hesper)" },
	{ "examineclosure", "ec", CTLP_ARGS_WORDS, 0, "[-c] [CLOSURE...]",
	  "Examine a checkpointed CML's data (closure)" },
	{ "cpuname", "@cpu", CTLP_ARGS_NONE, 0, "",
	  "Print the @cpu expansion (no meaning in Hesper)" },
	{ "sysname", "@sys", CTLP_ARGS_NONE, 0, "",
	  "Print the @sys expansion (no meaning in Hesper)" },
	{ "flushcache", NULL, CTLP_ARGS_NONE, 1, "",
	  "Flush the entire cache (objects in use or with local changes stay)" },
	{ "flushobject", "fl", CTLP_ARGS_PATHS, 1, "PATH...",
	  "Flush objects from cache" },
	{ "flushvolume", NULL, CTLP_ARGS_PATHS, 1, "DIR...",
	  "Flush all cached data of the volumes holding DIRs" },
	{ "getfid", "gf", CTLP_ARGS_PATHS, 0, "PATH...",
	  "Map path to fid" },
	{ "getpfid", NULL, CTLP_ARGS_WORDS, 0, "FID...",
	  "Map fid to parent fid" },
	{ "getpath", "gp", CTLP_ARGS_WORDS, 0, "FID...",
	  "Map fid to path" },
	{ "getmountpoint", "gmt", CTLP_ARGS_WORDS, 0, "VOLID@REALM...",
	  "Get mount point pathname for specified volume" },
	{ "help", NULL, CTLP_ARGS_OPTWORD, 0, "[COMMAND]",
	  "List commands, or show one command's usage" },
	{ "listacl", "la", CTLP_ARGS_PATHS, 0, "DIR...",
	  "List access control lists" },
	{ "listcache", "lc", CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "List cached objects (below PATH)" },
	{ "listvol", "lv", CTLP_ARGS_FLAGPATHS, 0, "[-local] PATH...",
	  "Display volume status (-local avoids querying the server)" },
	{ "lsmount", NULL, CTLP_ARGS_PATHS, 0, "DIR...",
	  "List mount point" },
	{ "mkmount", "mkm", CTLP_ARGS_PATHWORD, 0, "DIRECTORY [VOLUME]",
	  "Make mount point (needs the administer right on its directory)" },
	{ "lookaside", "lka", CTLP_ARGS_WORDS, 1, "[--clear] +/-DB... | --list",
	  "Cache lookaside databases (no meaning in Hesper)" },
	{ "setacl", "sa", CTLP_ARGS_WORDS, 0,
	  "[-clear] [-negative] DIR NAME RIGHTS [NAME RIGHTS]...",
	  "Set access control list (RIGHTS: rlidwka, all, none, read, write)" },
	{ "rmmount", "rmm", CTLP_ARGS_PATHS, 0, "DIR...",
	  "Remove mount point" },
	{ "setquota", "sq", CTLP_ARGS_PATHWORD, 0, "DIR BLOCKS",
	  "Set maximum disk quota (1 KiB blocks, 0 unlimited; System:Administrators)" },
	{ "purgeml", NULL, CTLP_ARGS_PATHS, 1, "DIR",
	  "Purge the volume's modify log (refused in Hesper)" },
	{ "replayclosure", "rc", CTLP_ARGS_WORDS, 0, "[-i] [-r] [CLOSURE...]",
	  "Replay a checkpointed CML's data (closure) into the volume" },
	{ "truncatelog", "tl", CTLP_ARGS_NONE, 1, "",
	  "Truncate venus's metadata log (the SQLite WAL) now" },
	{ "waitforever", "wf", CTLP_ARGS_WORDS, 1, "-on | -off [REALM]",
	  "Control waitforever behaviour (no meaning in Hesper)" },
	{ "redir", NULL, CTLP_ARGS_WORDS, 1, "DIR [IP-ADDRESS]",
	  "Redirect a volume to a staging server (no meaning in Hesper)" },
	{ "disconnect", NULL, CTLP_ARGS_WORDS, 1, "[SERVER...]",
	  "Partition from the file server: log every change" },
	{ "reconnect", NULL, CTLP_ARGS_WORDS, 1, "[SERVER...]",
	  "Heal the partition from cfs disconnect and reintegrate" },
	{ "writedisconnect", "wd", CTLP_ARGS_FLAGPATHS, 1,
	  "[-age SEC] [-time SEC] [DIR...]",
	  "Write back: log changes, trickle them to vice (default -age 60 -time 30.0)" },
	{ "adaptive", NULL, CTLP_ARGS_FLAGPATHS, 1, "[DIR...]",
	  "Reintegrate quickly (cfs writedisconnect -age 0 -time 15.0)" },
	{ "strong", NULL, CTLP_ARGS_FLAGPATHS, 1, "[DIR...]",
	  "Reintegrate as each operation completes (cfs wd -age 0 -time 0)" },
	{ "forcereintegrate", "fr", CTLP_ARGS_FLAGPATHS, 1, "[DIR...]",
	  "Force modifications to the server now and wait" },
	{ "listlocal", NULL, CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "List the records of the CML (of PATH)" },
	{ "checklocal", NULL, CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "Check why the head of the CML failed reintegration" },
	{ "discardlocal", NULL, CTLP_ARGS_FLAGPATH, CTLP_PRIV_OWNER, "[-all] [PATH]",
	  "Drop local mutations in conflict: the server version wins" },
	{ "preservelocal", NULL, CTLP_ARGS_FLAGPATH, CTLP_PRIV_OWNER, "[-all] [PATH]",
	  "Re-apply local mutations in conflict: the local version wins" },
	{ "zonelimit", "zl", CTLP_ARGS_WORDS, 1, "[RED YELLOW]",
	  "Show or set red and yellow CML limits in entries (-1 for no limit)" },
	{ "whereis", NULL, CTLP_ARGS_PATHS, 0, "DIR...",
	  "List location of object (the server of its volume)" },
	{ "listmissing", "lm", CTLP_ARGS_NONE, 0, "",
	  "List files needed while disconnected that were not cached" },
	{ "conflicts", NULL, CTLP_ARGS_OPTPATH, 0, "[PATH]",
	  "List objects in conflict and their local versions" },
	{ "stats", NULL, CTLP_ARGS_NONE, 0, "",
	  "Show venus's counters" },
	{ "serverstats", NULL, CTLP_ARGS_NONE, 0, "",
	  "Show the server's counters" },
	{ "mountpoint", NULL, CTLP_ARGS_NONE, 0, "",
	  "Print the mount point" },
	{ NULL, NULL, CTLP_ARGS_NONE, 0, NULL, NULL },
};

const char *ctlp_priv_text(const struct ctlp_cmd *c)
{
	if (c->privileged == CTLP_PRIV_OWNER)
		return "only root may act on another user's records";
	if (c->privileged)
		return "only root may do this: it changes state every user of "
		       "this machine shares";
	return NULL;
}

int ctlp_opt_has_value(const struct ctlp_cmd *c, const char *opt)
{
	return !strcmp(c->name, "writedisconnect") &&
	       (!strcmp(opt, "-age") || !strcmp(opt, "-time") ||
		!strcmp(opt, "-hogtime"));
}

/* Coda's commands Hesper refuses, and why. */
static const struct { const char *name, *why; } no_meaning[] = {
	{ "clearpriorities", "Hesper's cache keeps no short-term priorities: it "
	  "replaces the least recently used containers, and open or dirty ones "
	  "never" },
	{ "cpuname", "Hesper does not expand @cpu in path names" },
	{ "sysname", "Hesper does not expand @sys in path names" },
	{ "lookaside", "Hesper has no cache lookaside databases: file data "
	  "always comes from vice" },
	{ "purgeml", "Hesper never drops logged changes wholesale: they stay "
	  "until vice has them; drop changes in conflict with cfs discardlocal" },
	{ "waitforever", "Hesper never blocks on an unreachable vice: cached "
	  "objects are served, misses fail at once (see cfs listmissing)" },
	{ "redir", "Hesper has no staging servers to redirect a volume to" },
};

const char *ctlp_no_meaning(const char *name)
{
	for (size_t i = 0; i < sizeof no_meaning / sizeof no_meaning[0]; i++)
		if (!strcmp(no_meaning[i].name, name))
			return no_meaning[i].why;
	return NULL;
}

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
	case CTLP_ARGS_FLAGPATHS:
		return 1;
	case CTLP_ARGS_CKPT:
		return argc <= 2;
	case CTLP_ARGS_PATHWORD:
		return argc == 1 || argc == 2;
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
