/*
 * escape.h - names made safe for a terminal and for line-oriented text
 * output (cfs, codacon, hoard, venus's text replies).
 *
 * A file name may hold any byte but '/' and NUL: a '\n' in it would forge
 * a line of output, an ESC a terminal control sequence.  Text output
 * therefore prints names through hs_esc, in the style of GNU ls -b:
 *     \\   a backslash
 *     \a \b \t \n \v \f \r   those controls
 *     \ooo (three octal digits)  any other byte below 0x20, 0x7f, a C1
 *          control (U+0080..U+009F, also as UTF-8) and every byte that is
 *          not part of valid UTF-8
 * Valid UTF-8 of printable characters passes unchanged.  JSON output does
 * not use this: ctlp_json_escape already escapes (hesper/ctlproto.h).
 */
#ifndef TOOLS_ESCAPE_H
#define TOOLS_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Escape the NUL-terminated s into dst (dstsize bytes, NUL-terminated when
 * dstsize > 0).  Returns the length the whole escape needs (without the
 * NUL), like snprintf: at most 4 * strlen(s). */
size_t hs_esc(char *dst, size_t dstsize, const char *s);

/* Does s need escaping (would hs_esc change it)?  1 or 0. */
int hs_esc_needed(const char *s);

/* The escape of s in a malloc'd string, or NULL (ENOMEM). */
char *hs_esc_dup(const char *s);

/* Write the escape of s to f. */
void hs_esc_fputs(const char *s, FILE *f);

/* Escape only the control characters of a line of text (not backslashes,
 * which a venus reply line may already use for its own escapes; and not
 * '\t', which text layouts use): every byte below 0x20 but '\t', 0x7f and
 * C1 controls.  A last line of defence for text that should hold none.
 * Same return convention as hs_esc. */
size_t hs_esc_controls(char *dst, size_t dstsize, const char *s);

/* Write s to f with hs_esc_controls's escaping. */
void hs_esc_controls_fputs(const char *s, FILE *f);

#endif /* TOOLS_ESCAPE_H */
