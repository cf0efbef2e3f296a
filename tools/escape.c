/*
 * escape.c - names made safe for text output (escape.h).  Linked into
 * venus (its text replies) and every tool (tools/libhsctl.a).
 */
#include <stdlib.h>
#include <string.h>
#include "tools/escape.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 for none (overlong
 * forms, surrogates, past U+10FFFF); *cp gets the code point. */
static int utf8_seq(const unsigned char *s, unsigned *cp)
{
	int n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, *cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, *cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, *cp = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

static void put(char *dst, size_t dstsize, size_t *o, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++, (*o)++)
		if (*o + 1 < dstsize)
			dst[*o] = t[i];
}

/* The escape of the byte c: "\n" style or "\ooo". */
static size_t esc_byte(char out[5], unsigned char c)
{
	static const char named[] = "abtnvfr";

	out[0] = '\\';
	if (c == '\\') {
		out[1] = '\\';
		return 2;
	}
	if (c >= '\a' && c <= '\r') {
		out[1] = named[c - '\a'];
		return 2;
	}
	out[1] = (char)('0' + (c >> 6));
	out[2] = (char)('0' + ((c >> 3) & 7));
	out[3] = (char)('0' + (c & 7));
	return 4;
}

/* The escaper; controls_only: hs_esc_controls's rules. */
static size_t escape(char *dst, size_t dstsize, const char *s, int controls_only)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	char e[5];

	while (*p) {
		unsigned cp = 0;
		int n = utf8_seq(p, &cp);
		int bad = cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);

		if (controls_only) {
			bad = n && bad && cp != '\t';
			if (!n)   /* not UTF-8: pass the byte, unless a C1 control */
				n = 1, bad = *p >= 0x80 && *p <= 0x9f;
		} else {
			bad = !n || bad || cp == '\\';
		}
		if (!bad) {
			put(dst, dstsize, &o, (const char *)p, (size_t)n);
			p += n;
			continue;
		}
		if (!n || n == 1) {
			put(dst, dstsize, &o, e, esc_byte(e, *p));
			p++;
			continue;
		}
		for (int i = 0; i < n; i++)   /* a C1 control as UTF-8 */
			put(dst, dstsize, &o, e, esc_byte(e, p[i]));
		p += n;
	}
	if (dstsize)
		dst[o < dstsize ? o : dstsize - 1] = '\0';
	return o;
}

size_t hs_esc(char *dst, size_t dstsize, const char *s)
{
	return escape(dst, dstsize, s, 0);
}

size_t hs_esc_controls(char *dst, size_t dstsize, const char *s)
{
	return escape(dst, dstsize, s, 1);
}

int hs_esc_needed(const char *s)
{
	return hs_esc(NULL, 0, s) != strlen(s);   /* every escape is longer */
}

char *hs_esc_dup(const char *s)
{
	size_t n = hs_esc(NULL, 0, s);
	char *d = malloc(n + 1);

	if (d)
		hs_esc(d, n + 1, s);
	return d;
}

void hs_esc_controls_fputs(const char *s, FILE *f)
{
	size_t n = hs_esc_controls(NULL, 0, s);
	char *d;

	if (n == strlen(s)) {
		fputs(s, f);
		return;
	}
	d = malloc(n + 1);
	if (d)
		hs_esc_controls(d, n + 1, s);
	fputs(d ? d : "?", f);
	free(d);
}

void hs_esc_fputs(const char *s, FILE *f)
{
	char *d = hs_esc_dup(s);

	fputs(d ? d : "?", f);
	free(d);
}
