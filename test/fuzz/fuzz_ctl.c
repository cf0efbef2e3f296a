/*
 * test/fuzz/fuzz_ctl.c - libFuzzer target: the control socket's wire
 * format (tools/ctlproto.c) and the hoard command language it carries
 * (tools/hoardcmd.c).
 *
 * The input up to its first '\n' is a request line as venus's ctl.c gets
 * it: split into words, the command looked up and its arguments checked
 * as venus does, paths cleaned; the words built back into a request
 * (cfs's side) must split to the same words.  The rest is a reply
 * stream as cfs reads it (ctlp_read_line, one line at a time).  Then the
 * escapes: ctlp_escape / ctlp_unescape round-trip, both escapes behave
 * like snprintf with short buffers, and a body line framed with
 * ctlp_line_prefix reads back as itself on its channel (a name can never
 * forge the terminator or switch channels).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hesper/ctlproto.h>
#include <hesper/hoardcmd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_n(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A cleaned path has no empty, "." or ".." component, and cleaning it
 * again changes nothing. */
static void check_clean_path(const char *arg)
{
	char *p = strdup(arg), *again;

	if (!p)
		abort();
	if (ctlp_clean_path(p) == 0) {
		size_t n = strlen(p);

		if (n && (p[0] == '/' || p[n - 1] == '/' || strstr(p, "//")))
			abort();
		if (!strcmp(p, ".") || !strncmp(p, "./", 2) || strstr(p, "/./") ||
		    (n >= 2 && !strcmp(p + n - 2, "/.")))
			abort();
		again = strdup(p);
		if (!again || ctlp_clean_path(again) || strcmp(again, p))
			abort();
		free(again);
	}
	free(p);
}

static void check_hoard(int n, char **words, const char *line)
{
	struct hoard_cmd hc;
	char err[256], *copy = strdup(line), *hw[64];
	const char *why;
	unsigned prio = 0, flags = 0;
	int hn;

	if (!copy)
		abort();
	memset(&hc, 0, sizeof hc);
	if (hoard_parse_cmd(n, words, &hc, err, sizeof err) == 0) {
		if ((hc.op == HOARD_OP_ADD || hc.op == HOARD_OP_MODIFY) &&
		    (hc.prio < HOARD_PRIO_MIN || hc.prio > HOARD_PRIO_MAX ||
		     (hc.flags & ~(unsigned)HOARD_FLAGS_MASK)))
			abort();
	} else if (!memchr(err, '\0', sizeof err)) {
		abort();
	}
	hn = hoard_split_line(copy, hw, 64, &why);
	if (hn > 0)
		hoard_parse_cmd(hn, hw, &hc, err, sizeof err);
	if (n > 1 && hoard_parse_spec(words[1], &prio, &flags, &why) == 0) {
		if (flags != hoard_flags_from_coda(hoard_flags_to_coda(flags)))
			abort();
	}
	free(copy);
}

/* The request side: venus's run_line, then cfs's ctlp_build_request. */
static void check_request(const char *line, size_t len)
{
	char *copy = dup_n(line, len), **w = calloc(CTLP_MAX_WORDS + 1, sizeof *w);
	int n;

	if (!w)
		abort();
	n = ctlp_split(copy, w, CTLP_MAX_WORDS);
	if (n < -1 || n > CTLP_MAX_WORDS || (n < 0 && errno != EINVAL &&
					     errno != E2BIG))
		abort();
	if (n > 0) {
		char **args = w;
		const struct ctlp_cmd *c;
		char *req;
		int an = n;

		if (!strcmp(args[0], "--json"))
			args++, an--;
		for (int i = 0; i < n; i++)
			if (!w[i][0])
				abort();  /* words are never empty */
		if (an > 0 && (c = ctlp_find_cmd(args[0]))) {
			ctlp_args_ok(c, an - 1);
			ctlp_no_meaning(c->name);
			for (int i = 1; i < an; i++) {
				if (args[i][0] == '-')
					ctlp_opt_has_value(c, args[i]);
				check_clean_path(args[i]);
			}
		}
		if (an > 0 && !strcmp(args[0], "hoard")) {
			char *l = dup_n(line, len);

			check_hoard(an - 1, args + 1, l);
			free(l);
		}
		/* Built back, it splits to the same words. */
		req = ctlp_build_request(n, (const char *const *)w);
		if (req) {
			char **w2 = calloc(CTLP_MAX_WORDS + 1, sizeof *w2);
			size_t rl = strlen(req);

			if (!w2 || rl > CTLP_MAX_LINE || req[rl - 1] != '\n')
				abort();
			req[rl - 1] = '\0';
			if (ctlp_split(req, w2, CTLP_MAX_WORDS) != n)
				abort();
			for (int i = 0; i < n; i++)
				if (strcmp(w[i], w2[i]))
					abort();
			free(w2);
			free(req);
		} else if (errno != E2BIG) {
			abort();
		}
	}
	free(w);
	free(copy);
}

/* The reply side: cfs's ctlc_transact loop. */
static void check_reply(const char *s, size_t len)
{
	struct ctlp_reader rd = { 0 };
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(s + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (s + off)) : len - off;
		char *line = dup_n(s + off, n);
		const char *text = NULL;
		int chan = 0, status = -1;
		enum ctlp_rstat st = ctlp_read_line(&rd, line, &chan, &text, &status);

		off += n + 1;
		if (st == CTLP_R_LINE &&
		    ((chan != CTLP_STDOUT && chan != CTLP_STDERR) || !text ||
		     text < line || text > line + strlen(line)))
			abort();
		if (st == CTLP_R_DONE && (status < 0 || status > 100000))
			abort();
		free(line);
		if (st == CTLP_R_DONE || st == CTLP_R_BAD)
			break;
	}
}

/* ctlp_escape / ctlp_json_escape with every short buffer size must
 * write a prefix of the full output and return the same length. */
static void check_escapes(const char *s, size_t len)
{
	size_t full = ctlp_escape(NULL, 0, s, len), jfull;
	char *e = malloc(full + 1), *j, small[8];
	char *cstr = dup_n(s, len);

	if (!e || ctlp_escape(e, full + 1, s, len) != full || strlen(e) != full)
		abort();
	for (size_t k = 1; k <= sizeof small && k <= full; k++)
		if (ctlp_escape(small, k, s, len) != full ||
		    strlen(small) != k - 1 || memcmp(small, e, k - 1))
			abort();
	for (size_t i = 0; i < full; i++)
		if ((unsigned char)e[i] <= 0x20 || (unsigned char)e[i] >= 0x7f)
			abort();
	/* Without NULs it must unescape to the input. */
	if (!memchr(s, '\0', len) &&
	    (ctlp_unescape(e) != (long)len || memcmp(e, s, len)))
		abort();
	free(e);

	jfull = ctlp_json_escape(NULL, 0, cstr);
	j = malloc(jfull + 1);
	if (!j || ctlp_json_escape(j, jfull + 1, cstr) != jfull ||
	    strlen(j) != jfull || jfull < 2 || j[0] != '"' || j[jfull - 1] != '"')
		abort();
	for (size_t i = 0; i < jfull; i++)
		if ((unsigned char)j[i] < 0x20 || j[i] == 0x7f)
			abort();
	for (size_t k = 1; k <= sizeof small && k <= jfull; k++)
		if (ctlp_json_escape(small, k, cstr) != jfull ||
		    strlen(small) != k - 1 || memcmp(small, j, k - 1))
			abort();
	free(j);
	free(cstr);
}

/* A body line (no '\n') with its prefix reads back as itself. */
static void check_framing(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);
	size_t n = nl ? (size_t)(nl - s) : len;
	char *line = dup_n(s, n);

	n = strlen(line);
	for (int chan = CTLP_STDOUT; chan <= CTLP_STDERR; chan++) {
		const char *pfx = ctlp_line_prefix(chan, line, n), *text = NULL;
		size_t pl = strlen(pfx);
		char *framed = malloc(pl + n + 1);
		struct ctlp_reader rd = { 0 };
		int ch = 0, status = -1;

		if (!framed)
			abort();
		memcpy(framed, pfx, pl);
		memcpy(framed + pl, line, n + 1);
		if (ctlp_read_line(&rd, framed, &ch, &text, &status) != CTLP_R_LINE ||
		    ch != chan || strcmp(text, line))
			abort();
		free(framed);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t first = nl ? (size_t)(nl - s) : size;

	/* venus refuses a line of CTLP_MAX_LINE bytes or more, '\n' included. */
	if (first < CTLP_MAX_LINE)
		check_request(s, first);
	if (nl)
		check_reply(nl + 1, size - first - 1);
	check_escapes(s, size < 4096 ? size : 4096);
	check_framing(s, size);
	return 0;
}
