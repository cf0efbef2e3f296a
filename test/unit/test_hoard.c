/*
 * test_hoard.c - the hoard command language (hesper/hoardcmd.h):
 * Coda's priorities and flags (c current children, c+ current and future
 * children, d current descendants, d+ current and future descendants),
 * command words with Coda's uid arguments, command-file lines, bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <hesper/hoardcmd.h>

/* Parse a spec; returns the error (0) and fills prio/flags. */
static int spec(const char *s, unsigned *prio, unsigned *flags)
{
	const char *why = NULL;
	int err;

	*prio = 77;
	*flags = 99;
	err = hoard_parse_spec(s, prio, flags, &why);
	if (err)
		assert_non_null(why);
	return err;
}

static void test_spec_good(void **state)
{
	unsigned p, f;

	assert_int_equal(spec("100", &p, &f), 0);
	assert_int_equal(p, 100);
	assert_int_equal(f, 0);
	assert_int_equal(spec("1:c", &p, &f), 0);
	assert_int_equal(p, 1);
	assert_int_equal(f, HOARD_CHILDREN);
	assert_int_equal(spec("1000:c+", &p, &f), 0);
	assert_int_equal(p, 1000);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_FUTURE);
	assert_int_equal(spec("5:d", &p, &f), 0);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_ALL);
	assert_int_equal(spec("5:d+", &p, &f), 0);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE);
	/* the priority may be left out: the caller's default stays */
	assert_int_equal(spec(":d+", &p, &f), 0);
	assert_int_equal(p, 77);
	assert_int_equal(spec("c", &p, &f), 0);
	assert_int_equal(p, 77);
	assert_int_equal(f, HOARD_CHILDREN);
	/* Coda: fields in any order, empty fields skipped */
	assert_int_equal(spec("d+:100", &p, &f), 0);
	assert_int_equal(p, 100);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE);
	assert_int_equal(spec("100::c+:", &p, &f), 0);
	assert_int_equal(p, 100);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_FUTURE);
	/* Coda: flags accumulate; descendants win, any '+' means future */
	assert_int_equal(spec("c+:d", &p, &f), 0);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE);
	assert_int_equal(spec("c:d", &p, &f), 0);
	assert_int_equal(f, HOARD_CHILDREN | HOARD_ALL);
}

static void test_coda_attrs(void **state)
{
	/* coda-src/venus/hdb.h: INHERIT 1, CHILDREN 2, DESCENDENTS 4 */
	static const struct { const char *s; unsigned attrs; } tab[] = {
		{ "7", 0 }, { "7:c", 2 }, { "7:c+", 3 }, { "7:d", 4 }, { "7:d+", 5 },
	};
	unsigned p, f;

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		assert_int_equal(spec(tab[i].s, &p, &f), 0);
		assert_int_equal(hoard_flags_to_coda(f), tab[i].attrs);
		assert_int_equal(hoard_flags_from_coda(tab[i].attrs), f);
	}
	assert_int_equal(hoard_flags_from_coda(6), HOARD_CHILDREN | HOARD_ALL);
	assert_int_equal(hoard_flags_from_coda(1), 0);   /* INHERIT alone */
}

static void test_spec_bad(void **state)
{
	static const char *const bad[] = {
		"", "0", "1001", "99999999999999999999", "-5", "+5", "10x", "x",
		"10:e", "10:c++", "10:C", " 10", "10 ", ":", "::", "1e3", "0x10",
		"c:1001", "d-",
	};
	unsigned p, f;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (spec(bad[i], &p, &f) != EINVAL)
			fail_msg("spec \"%s\" was accepted", bad[i]);
		assert_int_equal(p, 77);   /* untouched on error */
		assert_int_equal(f, 99);
	}
}

static void test_flags_str(void **state)
{
	unsigned p, f;
	static const char *const all[] = { "c", "c+", "d", "d+" };

	assert_string_equal(hoard_flags_str(0), "");
	for (size_t i = 0; i < 4; i++) {
		char s[16];

		snprintf(s, sizeof s, "3:%s", all[i]);
		assert_int_equal(spec(s, &p, &f), 0);
		assert_string_equal(hoard_flags_str(f), all[i]);
	}
	assert_string_equal(hoard_flags_str(HOARD_ALL), "?");
}

/* Parse words given as one string split on spaces. */
static int cmd(const char *text, struct hoard_cmd *c, char *err, size_t n)
{
	static char buf[256];
	char *w[16];
	int k = 0;

	snprintf(buf, sizeof buf, "%s", text);
	for (char *p = strtok(buf, " "); p && k < 16; p = strtok(NULL, " "))
		w[k++] = p;
	return hoard_parse_cmd(k, w, c, err, n);
}

static void test_cmd_good(void **state)
{
	struct hoard_cmd c;
	char err[256];

	assert_int_equal(cmd("add /coda/x 600:d+", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_ADD);
	assert_string_equal(c.path, "/coda/x");
	assert_int_equal(c.prio, 600);
	assert_int_equal(c.flags, HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE);
	assert_int_equal(cmd("add /coda/y", &c, err, sizeof err), 0);
	assert_int_equal(c.prio, HOARD_PRIO_DEFAULT);
	assert_int_equal(c.flags, 0);
	assert_int_equal(cmd("a /coda/y :c", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_ADD);
	assert_int_equal(c.prio, HOARD_PRIO_DEFAULT);
	assert_int_equal(c.flags, HOARD_CHILDREN);
	assert_int_equal(cmd("a /coda/z d+:600", &c, err, sizeof err), 0);
	assert_int_equal(c.prio, 600);
	assert_int_equal(c.flags, HOARD_CHILDREN | HOARD_ALL | HOARD_FUTURE);
	assert_int_equal(cmd("modify /coda/y 5:c+", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_MODIFY);
	assert_int_equal(cmd("delete /coda/y", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_DELETE);
	assert_int_equal(cmd("list", &c, err, sizeof err), 0);
	assert_null(c.path);
	assert_int_equal(c.uid, HOARD_ALL_UIDS);
	assert_int_equal(cmd("l /tmp/out 1000", &c, err, sizeof err), 0);
	assert_string_equal(c.path, "/tmp/out");
	assert_int_equal(c.uid, 1000);
	assert_int_equal(cmd("clear 0", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_CLEAR);
	assert_null(c.path);
	assert_int_equal(c.uid, 0);
	assert_int_equal(cmd("v /tmp/v 2 1001", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_VERIFY);
	assert_int_equal(c.verbosity, 2);
	assert_int_equal(c.uid, 1001);
	assert_int_equal(cmd("on", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_ON);
	assert_int_equal(cmd("off", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_OFF);
	assert_int_equal(cmd("list /tmp/out", &c, err, sizeof err), 0);
	assert_string_equal(c.path, "/tmp/out");
	assert_int_equal(cmd("clear", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_CLEAR);
	assert_int_equal(cmd("w", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_WALK);
	assert_int_equal(cmd("verify", &c, err, sizeof err), 0);
	assert_int_equal(c.op, HOARD_OP_VERIFY);
}

static void test_cmd_bad(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "frobnicate", "unknown command" },
		{ "ad /x 1", "unknown command" },
		{ "add", "usage: add" },
		{ "add /x 1 2", "usage: add" },
		{ "add /x 0", "priority must be 1-1000" },
		{ "add /x 1001:c", "priority must be 1-1000" },
		{ "add /x ten", "flags must be" },
		{ "add /x 1O", "not a number" },
		{ "add /x 10:q", "flags must be" },
		{ "modify /x", "usage: modify" },
		{ "delete", "usage: delete" },
		{ "delete /x /y", "usage: delete" },
		{ "clear now", "bad uid" },
		{ "clear 1 2", "usage: clear" },
		{ "clear -1", "bad uid" },
		{ "list /o x", "bad uid" },
		{ "verify /o x", "bad verbosity" },
		{ "verify /o 1 2 3", "usage: verify" },
		{ "o", "unknown command" },
		{ "on 1", "usage: on" },
		{ "walk /x", "usage: walk" },
		{ "list a b c", "usage: list" },
	};
	struct hoard_cmd c;
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (cmd(bad[i].text, &c, err, sizeof err) != EINVAL)
			fail_msg("\"%s\" was accepted", bad[i].text);
		if (!strstr(err, bad[i].msg))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].text, err,
				 bad[i].msg);
	}
	assert_int_equal(hoard_parse_cmd(0, NULL, &c, err, sizeof err), EINVAL);
}

static void test_split(void **state)
{
	char line[] = "  add\t\"/coda/a dir/x \\\"q\\\"\"  100:c+   # comment \"\n";
	char *w[8];
	const char *why = NULL;

	assert_int_equal(hoard_split_line(line, w, 8, &why), 3);
	assert_string_equal(w[0], "add");
	assert_string_equal(w[1], "/coda/a dir/x \"q\"");
	assert_string_equal(w[2], "100:c+");
}

static void test_split_blank_and_comments(void **state)
{
	char a[] = "   \n", b[] = "# only a comment\n", c[] = "walk# tight\n",
	     d[] = "list \"#notcomment\"\n";
	char *w[8];
	const char *why = NULL;

	assert_int_equal(hoard_split_line(a, w, 8, &why), 0);
	assert_int_equal(hoard_split_line(b, w, 8, &why), 0);
	assert_int_equal(hoard_split_line(c, w, 8, &why), 1);
	assert_string_equal(w[0], "walk");
	assert_int_equal(hoard_split_line(d, w, 8, &why), 2);
	assert_string_equal(w[1], "#notcomment");
}

static void test_split_bad(void **state)
{
	char open_quote[] = "add \"/coda/x 10\n", many[] = "a b c d e\n";
	char *w[4];
	const char *why = NULL;

	assert_int_equal(hoard_split_line(open_quote, w, 4, &why), -1);
	assert_string_equal(why, "unterminated quote");
	why = NULL;
	assert_int_equal(hoard_split_line(many, w, 4, &why), -1);
	assert_string_equal(why, "too many words");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_good),
		cmocka_unit_test(test_spec_bad),
		cmocka_unit_test(test_flags_str),
		cmocka_unit_test(test_coda_attrs),
		cmocka_unit_test(test_cmd_good),
		cmocka_unit_test(test_cmd_bad),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_blank_and_comments),
		cmocka_unit_test(test_split_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
