/*
 * test_ctlproto.c - the control socket's wire format (hesper/ctlproto.h):
 * escaping, request lines, reply framing, JSON strings, the command table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hesper/ctlproto.h>
#include "tools/escape.h"

static void test_escape_plain(void **state)
{
	char buf[64];

	assert_int_equal(ctlp_escape(buf, sizeof buf, "dir/file.txt", 12), 12);
	assert_string_equal(buf, "dir/file.txt");
}

static void test_escape_specials(void **state)
{
	const char in[] = "a b%c\n\x7f\xff\t";
	char buf[64];

	/* 3 plain bytes and 6 escaped ones */
	assert_int_equal(ctlp_escape(buf, sizeof buf, in, sizeof in - 1), 21);
	assert_string_equal(buf, "a%20b%25c%0A%7F%FF%09");
}

static void test_escape_truncates_like_snprintf(void **state)
{
	char buf[5];

	assert_int_equal(ctlp_escape(buf, sizeof buf, "a b", 3), 5);
	assert_string_equal(buf, "a%20");
	assert_int_equal(ctlp_escape(NULL, 0, "%%", 2), 6);
}

static void test_unescape_round_trip_all_bytes(void **state)
{
	char in[255], out[255 * 3 + 1];

	for (int i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	ctlp_escape(out, sizeof out, in, sizeof in);
	assert_null(memchr(out, ' ', strlen(out)));
	assert_int_equal(ctlp_unescape(out), 255);
	assert_memory_equal(out, in, sizeof in);
}

static void test_unescape_rejects_bad(void **state)
{
	const char *bad[] = { "%", "%4", "a%G0", "%0g", "x%00y" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[16];

		strcpy(buf, bad[i]);
		assert_int_equal(ctlp_unescape(buf), -1);
	}
}

static void test_unescape_lowercase_hex(void **state)
{
	char buf[] = "%2f%7e";

	assert_int_equal(ctlp_unescape(buf), 2);
	assert_string_equal(buf, "/~");
}

static void test_split_words(void **state)
{
	char line[] = "  getfid  a%20b   c\r";
	char *w[4];

	assert_int_equal(ctlp_split(line, w, 4), 3);
	assert_string_equal(w[0], "getfid");
	assert_string_equal(w[1], "a b");
	assert_string_equal(w[2], "c");
}

static void test_split_blank(void **state)
{
	char line[] = "   ";
	char *w[2];

	assert_int_equal(ctlp_split(line, w, 2), 0);
}

static void test_split_too_many(void **state)
{
	char line[] = "a b c";
	char *w[2];

	errno = 0;
	assert_int_equal(ctlp_split(line, w, 2), -1);
	assert_int_equal(errno, E2BIG);
}

static void test_split_bad_escape(void **state)
{
	char line[] = "fl x%zz";
	char *w[4];

	errno = 0;
	assert_int_equal(ctlp_split(line, w, 4), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_build_round_trip(void **state)
{
	const char *words[] = { "--json", "flushobject", "/a b/%", "/new\nline" };
	char *line = ctlp_build_request(4, words), *w[8];
	size_t n;

	assert_non_null(line);
	n = strlen(line);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	line[n - 1] = '\0';
	assert_int_equal(ctlp_split(line, w, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(w[i], words[i]);
	free(line);
}

static void test_build_refuses_empty_word(void **state)
{
	const char *words[] = { "getfid", "" };

	errno = 0;
	assert_null(ctlp_build_request(2, words));
	assert_int_equal(errno, EINVAL);
}

static void test_build_length_limit(void **state)
{
	/* "x" + ' ' + arg + '\n' must fit CTLP_MAX_LINE exactly. */
	char *arg = malloc(CTLP_MAX_LINE);
	const char *words[] = { "x", arg };
	char *line;

	memset(arg, 'a', CTLP_MAX_LINE - 3);
	arg[CTLP_MAX_LINE - 3] = '\0';
	line = ctlp_build_request(2, words);
	assert_non_null(line);
	assert_int_equal(strlen(line), CTLP_MAX_LINE);
	free(line);
	arg[CTLP_MAX_LINE - 3] = 'a';
	arg[CTLP_MAX_LINE - 2] = '\0';
	errno = 0;
	assert_null(ctlp_build_request(2, words));
	assert_int_equal(errno, E2BIG);
	free(arg);
}

static void test_line_prefix(void **state)
{
	assert_string_equal(ctlp_line_prefix(CTLP_STDOUT, "abc", 3), "");
	assert_string_equal(ctlp_line_prefix(CTLP_STDOUT, ".", 1), ".");
	assert_string_equal(ctlp_line_prefix(CTLP_STDOUT, "!x", 2), ".");
	assert_string_equal(ctlp_line_prefix(CTLP_STDOUT, "", 0), "");
	assert_string_equal(ctlp_line_prefix(CTLP_STDERR, ".x", 2), "!");
}

/* Frame lines as venus does, then read them back as cfs does. */
static void test_reply_round_trip(void **state)
{
	struct { int chan; const char *text; } in[] = {
		{ CTLP_STDOUT, "FID = 1.1.1@x  VV = (1)" }, { CTLP_STDOUT, "." },
		{ CTLP_STDOUT, "status 0" }, { CTLP_STDOUT, "!bang" },
		{ CTLP_STDERR, "/coda/a: Device or resource busy" }, { CTLP_STDOUT, "" },
	};
	struct ctlp_reader rd = { 0 };
	char buf[128];
	int chan, status = -1;
	const char *text;

	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s",
			 ctlp_line_prefix(in[i].chan, in[i].text, strlen(in[i].text)),
			 in[i].text);
		assert_int_equal(ctlp_read_line(&rd, buf, &chan, &text, &status), CTLP_R_LINE);
		assert_int_equal(chan, in[i].chan);
		assert_string_equal(text, in[i].text);
	}
	assert_int_equal(ctlp_read_line(&rd, ".", &chan, &text, &status), CTLP_R_MORE);
	assert_int_equal(ctlp_read_line(&rd, "status 16", &chan, &text, &status),
			 CTLP_R_DONE);
	assert_int_equal(status, 16);
}

static void test_reply_bad_status(void **state)
{
	const char *bad[] = { "status", "status ", "status x", "status -1",
			      "status 1 2", "stat 0" };
	int chan, status;
	const char *text;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ctlp_reader rd = { .seen_dot = 1 };

		assert_int_equal(ctlp_read_line(&rd, bad[i], &chan, &text, &status),
				 CTLP_R_BAD);
	}
}

static char *json(const char *s)
{
	size_t n = ctlp_json_escape(NULL, 0, s);
	char *buf = malloc(n + 1);

	assert_int_equal(ctlp_json_escape(buf, n + 1, s), n);
	return buf;
}

static void test_json_escape(void **state)
{
	const struct { const char *in, *out; } cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "t\tn\n\x01\x7f", "\"t\\u0009n\\u000a\\u0001\\u007f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "bad\xff", "\"bad\\udcff\"" },
		{ "over\xc0\xaf", "\"over\\udcc0\\udcaf\"" },        /* overlong '/' */
		{ "sur\xed\xa0\x80", "\"sur\\udced\\udca0\\udc80\"" }, /* U+D800 */
		{ "cut\xe2\x82", "\"cut\\udce2\\udc82\"" },           /* truncated */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = json(cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void test_json_escape_truncates(void **state)
{
	char buf[4];

	assert_int_equal(ctlp_json_escape(buf, sizeof buf, "abcdef"), 8);
	assert_string_equal(buf, "\"ab");
}

static void test_find_cmd(void **state)
{
	assert_string_equal(ctlp_find_cmd("cs")->name, "checkservers");
	assert_string_equal(ctlp_find_cmd("lv")->name, "listvol");
	assert_string_equal(ctlp_find_cmd("gf")->name, "getfid");
	assert_string_equal(ctlp_find_cmd("fl")->name, "flushobject");
	assert_string_equal(ctlp_find_cmd("lc")->name, "listcache");
	assert_string_equal(ctlp_find_cmd("serverstats")->name, "serverstats");
	assert_true(ctlp_find_cmd("flushobject")->privileged);
	assert_false(ctlp_find_cmd("getfid")->privileged);
	assert_null(ctlp_find_cmd("bogus"));
	assert_null(ctlp_find_cmd(""));
}

/* Coda 8's abbreviations (coda-src/vtools/cfs.cc), the options that take
 * a value, and the commands Hesper refuses. */
static void test_coda_table(void **state)
{
	static const char *const alias[][2] = {
		{ "ck", "checkpointml" }, { "cp", "clearpriorities" },
		{ "ec", "examineclosure" }, { "@cpu", "cpuname" }, { "@sys", "sysname" },
		{ "gp", "getpath" }, { "lka", "lookaside" }, { "rc", "replayclosure" },
		{ "tl", "truncatelog" }, { "wf", "waitforever" },
		{ "wd", "writedisconnect" }, { "fr", "forcereintegrate" },
		{ "zl", "zonelimit" }, { "mkm", "mkmount" }, { "rmm", "rmmount" },
		{ "sq", "setquota" }, { "gmt", "getmountpoint" },
	};
	const struct ctlp_cmd *wd = ctlp_find_cmd("wd");

	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		assert_string_equal(ctlp_find_cmd(alias[i][0])->name, alias[i][1]);
	assert_true(ctlp_opt_has_value(wd, "-age"));
	assert_true(ctlp_opt_has_value(wd, "-time"));
	assert_true(ctlp_opt_has_value(wd, "-hogtime"));
	assert_false(ctlp_opt_has_value(ctlp_find_cmd("lv"), "-local"));
	assert_non_null(ctlp_no_meaning("waitforever"));
	assert_non_null(ctlp_no_meaning("purgeml"));
	assert_null(ctlp_no_meaning("flushcache"));
	assert_true(ctlp_args_ok(ctlp_find_cmd("ck"), 2));
	assert_false(ctlp_args_ok(ctlp_find_cmd("ck"), 3));
	/* mkmount DIR [VOLUME], setquota DIR BLOCKS: a path and one word */
	assert_false(ctlp_args_ok(ctlp_find_cmd("mkmount"), 0));
	assert_true(ctlp_args_ok(ctlp_find_cmd("mkm"), 1));
	assert_true(ctlp_args_ok(ctlp_find_cmd("sq"), 2));
	assert_false(ctlp_args_ok(ctlp_find_cmd("setquota"), 3));
	assert_false(ctlp_args_ok(ctlp_find_cmd("whereis"), 0));
	for (const struct ctlp_cmd *c = ctlp_cmds; c->name; c++)
		assert_ptr_equal(ctlp_find_cmd(c->name), c);
}

/* Who may run what (enum ctlp_priv). */
static void test_privileges(void **state)
{
	static const char *const root_only[] = { "disconnect", "reconnect", "wd",
		"adaptive", "strong", "fr", "flushcache", "flushobject", "zonelimit",
		"checkpointml", "truncatelog" };

	for (size_t i = 0; i < sizeof root_only / sizeof root_only[0]; i++) {
		assert_int_equal(ctlp_find_cmd(root_only[i])->privileged, CTLP_PRIV_ROOT);
		assert_non_null(ctlp_priv_text(ctlp_find_cmd(root_only[i])));
	}
	assert_int_equal(ctlp_find_cmd("discardlocal")->privileged, CTLP_PRIV_OWNER);
	assert_int_equal(ctlp_find_cmd("preservelocal")->privileged, CTLP_PRIV_OWNER);
	assert_int_equal(ctlp_find_cmd("listlocal")->privileged, CTLP_PRIV_ANY);
	assert_null(ctlp_priv_text(ctlp_find_cmd("listcache")));
}

/* Names for text output (tools/escape.h). */
static void test_name_escape(void **state)
{
	char buf[64];

	hs_esc(buf, sizeof buf, "plain \xc3\xa9t\xc3\xa9");   /* UTF-8 passes */
	assert_string_equal(buf, "plain \xc3\xa9t\xc3\xa9");
	assert_false(hs_esc_needed("plain name.txt"));
	hs_esc(buf, sizeof buf, "a\nb\tc\x1b[31m\\d");
	assert_string_equal(buf, "a\\nb\\tc\\033[31m\\\\d");
	hs_esc(buf, sizeof buf, "\x7f\xff\xc2\x9b");   /* DEL, not UTF-8, C1 CSI */
	assert_string_equal(buf, "\\177\\377\\302\\233");
	assert_true(hs_esc_needed("x\ny"));
	/* controls only: backslashes and tabs stay, a raw CSI byte does not */
	hs_esc_controls(buf, sizeof buf, "a\\b\tc\nd\x9b");
	assert_string_equal(buf, "a\\b\tc\\nd\\233");
	/* truncation like snprintf */
	assert_int_equal(hs_esc(buf, 3, "\n\n"), 4);
	assert_string_equal(buf, "\\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privileges),
		cmocka_unit_test(test_name_escape),
		cmocka_unit_test(test_coda_table),
		cmocka_unit_test(test_escape_plain),
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_escape_truncates_like_snprintf),
		cmocka_unit_test(test_unescape_round_trip_all_bytes),
		cmocka_unit_test(test_unescape_rejects_bad),
		cmocka_unit_test(test_unescape_lowercase_hex),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_blank),
		cmocka_unit_test(test_split_too_many),
		cmocka_unit_test(test_split_bad_escape),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_refuses_empty_word),
		cmocka_unit_test(test_build_length_limit),
		cmocka_unit_test(test_line_prefix),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_reply_bad_status),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_truncates),
		cmocka_unit_test(test_find_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
