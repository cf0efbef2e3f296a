/*
 * hesper/hoardcmd.h - the hoard command language (doc/hoard.1), shared by
 * the hoard tool (tools/hoard.c), venus (venus/ctl/ctl_hoard.c) and its unit
 * test.  Pure parsing: no I/O, no allocation.  The grammar and the flag
 * meanings are Coda's (coda-src/vtools/hoard.cc, hoard(1)).
 *
 * A command is a list of words:
 *     add PATH [ATTRS]            delete PATH
 *     clear [UID]                 list [FILE [UID]]
 *     verify [FILE [VERBOSITY [UID]]]
 *     walk     on     off         modify PATH ATTRS (deprecated: = add)
 * ATTRS is fields separated by ':', in any order: a priority 1..1000
 * (default HOARD_PRIO_DEFAULT) and flags c (current children), c+
 * (current and future children), d (current descendants), d+ (current
 * and future descendants).  Several flags combine as in Coda: any d means
 * descendants, any '+' means future ones too.
 */
#ifndef HESPER_HOARDCMD_H
#define HESPER_HOARDCMD_H

#include <stddef.h>

#define HOARD_PRIO_MIN     1
#define HOARD_PRIO_MAX     1000
#define HOARD_PRIO_DEFAULT 10

/* Entry flags, as venus walks them.  c = CHILDREN, c+ = CHILDREN|FUTURE,
 * d = CHILDREN|ALL, d+ = CHILDREN|ALL|FUTURE. */
enum {
	HOARD_CHILDREN = 1,   /* the directory's children as well */
	HOARD_ALL      = 2,   /* ... and their descendants, at any depth */
	HOARD_FUTURE   = 4,   /* ... including ones created later */
};
#define HOARD_FLAGS_MASK 7

/* Coda's attribute bits (coda-src/venus/hdb.h), the encoding venus.db
 * stores: c = 2, c+ = 3, d = 4, d+ = 5. */
enum {
	HOARD_CODA_INHERIT     = 1,
	HOARD_CODA_CHILDREN    = 2,
	HOARD_CODA_DESCENDENTS = 4,
};

/* "Every user" for the UID arguments (Coda's ALL_UIDS). */
#define HOARD_ALL_UIDS (-1L)

enum hoard_op {
	HOARD_OP_ADD, HOARD_OP_DELETE, HOARD_OP_LIST, HOARD_OP_CLEAR,
	HOARD_OP_WALK, HOARD_OP_MODIFY, HOARD_OP_VERIFY, HOARD_OP_ON,
	HOARD_OP_OFF,
};

/* One parsed command.  path points into the words it was parsed from. */
struct hoard_cmd {
	enum hoard_op op;
	const char   *path;    /* add, modify, delete: the object; list,
				* verify: the output file or NULL */
	unsigned      prio;    /* add, modify */
	unsigned      flags;   /* add, modify: HOARD_* */
	long          uid;     /* clear, list, verify: HOARD_ALL_UIDS or a uid */
	unsigned      verbosity; /* verify: 0 = missing objects only */
};

/* Parse Coda's attribute string ("100:d+", "c", "d+:5", ...).  A priority
 * left out leaves *prio alone; *flags is set (0 when none is given).  0,
 * or EINVAL with *why set to a message. */
int hoard_parse_spec(const char *s, unsigned *prio, unsigned *flags, const char **why);

/* "", "c", "c+", "d" or "d+" for valid flags; "?" otherwise. */
const char *hoard_flags_str(unsigned flags);

/* HOARD_* flags to Coda's attribute bits and back (unknown bits in attrs
 * are ignored). */
unsigned hoard_flags_to_coda(unsigned flags);
unsigned hoard_flags_from_coda(unsigned attrs);

/* Parse one command (words[0] is the command name; the one-letter
 * abbreviations a, c, d, l, m, v, w are accepted; on and off are not
 * abbreviated).  0, or EINVAL with a message in err (errsize bytes). */
int hoard_parse_cmd(int n, char *const *words, struct hoard_cmd *c,
		    char *err, size_t errsize);

/* Split a command-file line in place into at most max words: blanks
 * separate words, '#' outside quotes starts a comment, "..." quotes a word
 * (with \" and \\ inside).  Returns the number of words (0 for a blank or
 * comment line), or -1 with *why set (unterminated quote, too many words). */
int hoard_split_line(char *line, char **words, int max, const char **why);

#endif /* HESPER_HOARDCMD_H */
