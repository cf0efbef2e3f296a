/*
 * hesper/hoardcmd.h - the hoard command language (doc/hoard.1), shared by
 * the hoard tool (tools/hoard.c), venus (venus/ctl_hoard.c) and its unit
 * test.  Pure parsing: no I/O, no allocation.
 *
 * A command is a list of words:
 *     add PATH [PRIORITY][:FLAGS]   modify PATH PRIORITY[:FLAGS]
 *     delete PATH                   list [FILE]      verify [FILE]
 *     clear                         walk
 * PRIORITY is 1..1000 (default HOARD_PRIO_DEFAULT); FLAGS is c, c+, d or d+.
 */
#ifndef HESPER_HOARDCMD_H
#define HESPER_HOARDCMD_H

#include <stddef.h>

#define HOARD_PRIO_MIN     1
#define HOARD_PRIO_MAX     1000
#define HOARD_PRIO_DEFAULT 10

/* Entry flags.  c = CHILDREN, c+ = CHILDREN|ALL, d = CHILDREN|FUTURE,
 * d+ = CHILDREN|ALL|FUTURE. */
enum {
	HOARD_CHILDREN = 1,   /* the directory's children as well */
	HOARD_ALL      = 2,   /* ... and their descendants, at any depth */
	HOARD_FUTURE   = 4,   /* ... including ones created later */
};
#define HOARD_FLAGS_MASK 7

enum hoard_op {
	HOARD_OP_ADD, HOARD_OP_DELETE, HOARD_OP_LIST, HOARD_OP_CLEAR,
	HOARD_OP_WALK, HOARD_OP_MODIFY, HOARD_OP_VERIFY,
};

/* One parsed command.  path points into the words it was parsed from. */
struct hoard_cmd {
	enum hoard_op op;
	const char   *path;    /* add, modify, delete: the object; list,
				* verify: the output file or NULL */
	unsigned      prio;    /* add, modify */
	unsigned      flags;   /* add, modify: HOARD_* */
};

/* Parse "PRIO", "PRIO:FLAGS" or ":FLAGS" (priority omitted: *prio is left
 * alone).  0, or EINVAL with *why set to a message. */
int hoard_parse_spec(const char *s, unsigned *prio, unsigned *flags, const char **why);

/* "", "c", "c+", "d" or "d+" for valid flags; "?" otherwise. */
const char *hoard_flags_str(unsigned flags);

/* Parse one command (words[0] is the command name; the one-letter
 * abbreviations a, c, d, l, m, v, w are accepted).  0, or EINVAL with a
 * message in err (errsize bytes). */
int hoard_parse_cmd(int n, char *const *words, struct hoard_cmd *c,
		    char *err, size_t errsize);

/* Split a command-file line in place into at most max words: blanks
 * separate words, '#' outside quotes starts a comment, "..." quotes a word
 * (with \" and \\ inside).  Returns the number of words (0 for a blank or
 * comment line), or -1 with *why set (unterminated quote, too many words). */
int hoard_split_line(char *line, char **words, int max, const char **why);

#endif /* HESPER_HOARDCMD_H */
