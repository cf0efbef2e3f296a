/*
 * test_venus_config.c - venus.conf(5) and venus(8) option parsing, and the
 * name checks every front end relies on (fso_check_name).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "venus/venus.h"
#include "venus/fsobj.h"

static char conf_path[64];

/* Write text to a fresh temporary file; its path is in conf_path. */
static void write_conf(const char *text)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/venus-conf-XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(struct venus_config *cfg, int argc, char **argv)
{
	int rc = venus_config_load(cfg, conf_path, argc, argv);

	unlink(conf_path);
	return rc;
}

static void test_good_file(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", NULL };

	write_conf("# comment\n"
		   "server vice.example\n"
		   "cachesize 20000   # Coda's unit: KB\n"
		   "cachefiles=500\n"
		   "  cachedir = /tmp/vc\n"
		   "mountpoint /mnt/coda\n"
		   "realm example.org\n"
		   "port 4000\n"
		   "frontend fuse\n"
		   "\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_string_equal(cfg.server, "vice.example");
	assert_int_equal(cfg.port, 4000);
	assert_int_equal(cfg.cachesize, 20000ull * 1024);
	assert_int_equal(cfg.cachefiles, 500);
	assert_string_equal(cfg.cachedir, "/tmp/vc");
	assert_string_equal(cfg.mountpoint, "/mnt/coda");
	assert_string_equal(cfg.realm, "example.org");
	assert_string_equal(cfg.ctlsocket, "/tmp/vc/venus.ctl");
	assert_string_equal(cfg.frontend, "fuse");
	assert_null(cfg.cafile);
	venus_config_free(&cfg);
}

static void test_suffixes(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", NULL };

	write_conf("server s\ncachesize 3M\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_int_equal(cfg.cachesize, 3ull << 20);
	venus_config_free(&cfg);

	write_conf("server s\ncachesize 2G\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_int_equal(cfg.cachesize, 2ull << 30);
	venus_config_free(&cfg);

	write_conf("server s\ncachesize 10k\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_int_equal(cfg.cachesize, 10ull << 10);
	venus_config_free(&cfg);
}

/* wholefilemaxsize: Coda's key and default, Coda's units. */
static void test_wholefilemaxsize(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", NULL };

	write_conf("server s\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_int_equal(cfg.wholefilemaxsize, 50ull << 20);
	venus_config_free(&cfg);

	write_conf("server s\nwholefilemaxsize=100MB\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_int_equal(cfg.wholefilemaxsize, 100ull << 20);
	venus_config_free(&cfg);

	write_conf("server s\nwholefilemaxsize 2048\n");   /* KB */
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_int_equal(cfg.wholefilemaxsize, 2048ull << 10);
	venus_config_free(&cfg);
}

static void test_command_line_overrides(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", "-f", "--cachesize", "4096", "--cachedir", "/c",
			 "-o", "realm=r", "--frontend", "hesper", "[::1]:7000", NULL };

	write_conf("server fileserver\ncachesize 1\ncachedir /other\n");
	assert_int_equal(load(&cfg, 11, argv), 0);
	assert_true(cfg.foreground);
	/* On the command line a bare size counts bytes. */
	assert_int_equal(cfg.cachesize, 4096);
	assert_string_equal(cfg.cachedir, "/c");
	assert_string_equal(cfg.realm, "r");
	assert_string_equal(cfg.frontend, "hesper");
	assert_string_equal(cfg.server, "::1");
	assert_int_equal(cfg.port, 7000);
	venus_config_free(&cfg);
}

static void test_server_only(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", "vice1", NULL };

	write_conf("");
	assert_int_equal(load(&cfg, 2, argv), 0);
	assert_string_equal(cfg.server, "vice1");
	assert_int_equal(cfg.port, 2432);
	assert_string_equal(cfg.mountpoint, "/coda");
	assert_string_equal(cfg.cachedir, "/var/lib/hesper/venus");
	assert_string_equal(cfg.realm, "vice1");
	assert_int_equal(cfg.cachesize, 1ull << 30);
	venus_config_free(&cfg);
}

static void test_bad_files(void **state)
{
	static const char *bad[] = {
		"server s\nbogus 1\n",          /* unknown key */
		"server s\ncachesize 12X\n",    /* bad suffix */
		"server s\ncachesize -5\n",
		"server s\nport 70000\n",
		"server s\nfrontend nfs\n",
		"cachesize 10\n",               /* no server anywhere */
	};
	char *argv[] = { "venus", NULL };
	struct venus_config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_conf(bad[i]);
		assert_int_equal(load(&cfg, 1, argv), -1);
	}
}

static void test_missing_explicit_file(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", "-c", "/nonexistent/venus.conf", "s", NULL };

	assert_int_equal(venus_config_load(&cfg, NULL, 4, argv), -1);
}

static void test_bad_option(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", "--nonsense", "s", NULL };

	write_conf("");
	assert_int_equal(load(&cfg, 3, argv), -1);
}

static void test_names(void **state)
{
	char n255[256], n256[257];

	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'b', 256);
	n256[256] = '\0';
	assert_int_equal(fso_check_name("file", 4), 0);
	assert_int_equal(fso_check_name("..x", 3), 0);
	assert_int_equal(fso_check_name(n255, 255), 0);
	assert_int_equal(fso_check_name(n256, 256), ENAMETOOLONG);
	assert_int_equal(fso_check_name("", 0), EINVAL);
	assert_int_equal(fso_check_name(".", 1), EINVAL);
	assert_int_equal(fso_check_name("..", 2), EINVAL);
	assert_int_equal(fso_check_name("a/b", 3), EINVAL);
	assert_int_equal(fso_check_name("/", 1), EINVAL);
	assert_int_equal(fso_check_name("a\0b", 3), EINVAL);
	assert_int_equal(fso_check_name(NULL, 0), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_wholefilemaxsize),
		cmocka_unit_test(test_command_line_overrides),
		cmocka_unit_test(test_server_only),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_missing_explicit_file),
		cmocka_unit_test(test_bad_option),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
