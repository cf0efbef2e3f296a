/*
 * test_venus_config.c - venus.conf(5) and venus(8) option parsing (with a
 * Coda venus.conf: quoted values, Coda's keys, one warning per ignored
 * key, unknown keys named by file:line), and the name checks every front
 * end relies on (fso_check_name).
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

#include "venus/util/venus.h"
#include "venus/core/fsobj.h"

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

static char err_path[64];

/* load(), with what venus writes to stderr (its log: V is NULL here)
 * captured in the file err_path. */
static int load_err(struct venus_config *cfg, int argc, char **argv)
{
	int fd, saved, rc;

	snprintf(err_path, sizeof err_path, "/tmp/venus-err-XXXXXX");
	fd = mkstemp(err_path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	dup2(fd, 2);
	close(fd);
	rc = load(cfg, argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return rc;
}

/* Lines of the captured stderr containing needle. */
static int err_count(const char *needle)
{
	FILE *f = fopen(err_path, "r");
	char line[512];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
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
	/* configure's --localstatedir */
	assert_string_equal(cfg.cachedir, LOCALSTATEDIR "/lib/hesper/venus");
	assert_string_equal(cfg.realm, "vice1");
	assert_int_equal(cfg.cachesize, 1ull << 30);
	/* Coda's defaults, not in force: venus starts strong */
	assert_int_equal(cfg.reint_age, 0);
	assert_int_equal(cfg.reint_time, 15);
	assert_false(cfg.reint_set);
	venus_config_free(&cfg);
}

static void test_quoted_values(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", NULL };

	/* codaconfedit writes key="value"; codaconf also takes '...' */
	write_conf("server=\"vice.example\"\n"
		   "cachedir=\"/tmp/a dir\"   # trailing comment\n"
		   "mountpoint='/mnt/c'\n"
		   "realm=\"odd#realm\"\n"
		   "cachesize=\"100MB\"\n"
		   "checkpointdir=\"\"x\"\"\n");
	assert_int_equal(load(&cfg, 1, argv), 0);
	assert_string_equal(cfg.server, "vice.example");
	assert_string_equal(cfg.cachedir, "/tmp/a dir");
	assert_string_equal(cfg.mountpoint, "/mnt/c");
	assert_string_equal(cfg.realm, "odd#realm");
	assert_int_equal(cfg.cachesize, 100ull << 20);
	assert_string_equal(cfg.checkpointdir, "\"x\"");   /* one pair only */
	venus_config_free(&cfg);

	write_conf("server=\"s\ncachesize=\"12\"X\n");   /* unbalanced, bad */
	assert_int_equal(load(&cfg, 1, argv), -1);
}

/* A venus.conf as coda-client-setup and venus.conf.ex leave it. */
static void test_coda_file(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", "-o", "run_control_file=/x", NULL };

	write_conf("# Coda venus.conf\n"
		   "realm=coda.example.org\n"
		   "cacheblocks=\"200000\"\n"
		   "cachesize=40MB\n"                /* cacheblocks wins, as in Coda */
		   "cachefiles=0\n"                  /* 0: the default */
		   "cml_entries=0\n"
		   "cachedir=/var/lib/coda/cache\n"
		   "checkpointdir=/var/lib/coda/spool\n"
		   "rvm_log=/var/lib/coda/LOG\n"
		   "rvm_data=/var/lib/coda/DATA\n"
		   "rvm_log=/var/lib/coda/LOG2\n"    /* twice: one warning */
		   "errorlog=/var/log/coda/venus.err\n"
		   "marinersocket=/var/run/coda-client.mariner\n"
		   "mapprivate=1\n"
		   "serverprobe=150\n"
		   "RPC2_timeout=60\n"
		   "reintegration_age=5\n"
		   "reintegration_time=20\n"
		   "pid_file=/var/run/coda/venus.pid\n");
	assert_int_equal(load_err(&cfg, 3, argv), 0);
	assert_string_equal(cfg.pidfile, "/var/run/coda/venus.pid");
	/* no server key: the realm's name */
	assert_string_equal(cfg.server, "coda.example.org");
	assert_int_equal(cfg.cachesize, 200000ull * 1024);
	assert_int_equal(cfg.cachefiles, 100000);
	assert_int_equal(cfg.cml_entries, 100000);
	assert_string_equal(cfg.cachedir, "/var/lib/coda/cache");
	assert_string_equal(cfg.checkpointdir, "/var/lib/coda/spool");
	assert_int_equal(cfg.serverprobe, 150);
	assert_int_equal(cfg.timeout_ms, 60000);
	assert_int_equal(cfg.reint_age, 5);
	assert_int_equal(cfg.reint_time, 20);
	assert_true(cfg.reint_set);
	/* one warning per ignored key, naming file and first line */
	assert_int_equal(err_count("ignored"), 6);
	assert_int_equal(err_count(":9: Coda key 'rvm_log' ignored: metadata lives in venus.db"), 1);
	assert_int_equal(err_count("'rvm_data'"), 1);
	assert_int_equal(err_count("'errorlog'"), 1);
	assert_int_equal(err_count("'marinersocket'"), 1);
	assert_int_equal(err_count("'mapprivate'"), 1);
	assert_int_equal(err_count("-o run_control_file: Coda key ignored"), 1);
	assert_int_equal(err_count("warning"), 6);
	unlink(err_path);
	venus_config_free(&cfg);
}

static void test_unknown_key_names_line(void **state)
{
	struct venus_config cfg;
	char *argv[] = { "venus", NULL };
	char want[128];

	write_conf("server s\n# fine\nbogus_key=\"1\"\n");
	snprintf(want, sizeof want, "%s:3: unknown key 'bogus_key'", conf_path);
	assert_int_equal(load_err(&cfg, 1, argv), -1);
	assert_int_equal(err_count(want), 1);
	unlink(err_path);
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
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_coda_file),
		cmocka_unit_test(test_unknown_key_names_line),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_missing_explicit_file),
		cmocka_unit_test(test_bad_option),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
