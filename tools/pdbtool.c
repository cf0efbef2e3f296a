/*
 * tools/pdbtool.c - manage vice's protection database (pdbtool(8)):
 * users, groups, memberships and passwords, with Coda's pdbtool verbs.
 *
 * pdbtool [-r ROOT] [--vldb sqlite|etcd --etcd URL[,URL...] --realm NAME]
 *         [--json] COMMAND ARG...
 *
 * Works on <ROOT>/pdb.db directly (SQLite WAL), also while vice runs:
 * vice reads the database on each lookup.  With --vldb etcd it works on
 * the realm's pdb in etcd instead, which every vice of the realm reads
 * (vice --vldb etcd), from any machine that reaches etcd.  Passwords are turned into a
 * SCRAM-SHA-256 verifier here (RFC 5802 section 3, RFC 7677) and only
 * the verifier is stored, in the form Cyrus SASL's scram plugin reads
 * (RFC 5803's authPassword).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "config.h"
#include "vice/vice.h"
#include "vice/pdb.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#define DEFAULT_ROOT LOCALSTATEDIR "/lib/hesper/vice"
#define SCRAM_ITER PDB_SCRAM_ITER
#define PASS_MAX 1024

static int json;

/* Print the usage; exit with rc unless going on (interactive help). */
static void usage(int rc, int go_on)
{
	fprintf(rc ? stderr : stdout,
		"usage: pdbtool [-r ROOT] [--json] COMMAND [ARG...]\n"
		"       pdbtool --vldb etcd --etcd URL[,URL...] [--realm NAME]"
		" [--json] COMMAND [ARG...]\n"
		"  default ROOT %s; --realm defaults to the host name\n"
		"commands:\n"
		"  nu NAME [ID]        create a user (ID: the next free one)\n"
		"  nui NAME ID         create a user with id ID\n"
		"  ng NAME OWNER       create group OWNER:x (OWNER: user name or id)\n"
		"  ag GROUP MEMBER     add a user or group to GROUP\n"
		"  rg GROUP MEMBER     remove a user or group from GROUP\n"
		"  i ID|NAME           show an entry (also n NAME)\n"
		"  l NAME              look up an id by name\n"
		"  list                list every entry\n"
		"  d ID|NAME           delete a user or group (also delete)\n"
		"  passwd [-pipe|--stdin] USER\n"
		"                      set USER's password (from the terminal, or one\n"
		"                      line on stdin)\n"
		"  (no COMMAND: read commands from stdin, one per line)\n"
		"  --version\n", DEFAULT_ROOT);
	if (!go_on)
		exit(rc);
}

/* Wrong arguments to a command: say so (the full usage with "help"). */
static int bad_usage(const char *cmd)
{
	fprintf(stderr, "pdbtool: wrong arguments to \"%s\" (see pdbtool help)\n",
		cmd);
	return 1;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("pdbtool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* A name or a number to an id.  0, or 1 after a message. */
static int lookup(struct pdb *p, const char *arg, int32_t *id)
{
	char *end;
	long v;
	int rc;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg && !*end && !errno && v >= INT32_MIN && v <= INT32_MAX) {
		char name[PDB_NAME_MAX + 1];

		*id = (int32_t)v;
		if (!pdb_name_of(p, *id, name, sizeof name))
			return 0;
		return fail("no user or group with id %ld", v);
	}
	if ((rc = pdb_id_of(p, arg, id)))
		return fail("%s: %s", arg, rc == ENOENT ?
			    "no such user or group" : strerror(rc));
	return 0;
}

static int parse_id(const char *arg, int32_t *id)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 0 || v > INT32_MAX)
		return fail("not a valid user id (0 or more): %s", arg);
	*id = (int32_t)v;
	return 0;
}

static void print_ids(struct pdb *p, const int32_t *ids, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		printf("%d ", ids[i]);
	(void)p;
}

/* Coda's PDB_printProfile layout. */
static int show(struct pdb *p, int32_t id)
{
	struct pdb_entry e;
	struct vident who = { 0 };
	int32_t ids[256];
	char owner[PDB_NAME_MAX + 1] = "";
	unsigned n;

	if (pdb_get(p, id, &e))
		return fail("no user or group with id %d", id);
	if (id < 0) {
		if (e.owner >= 0 && strchr(e.name, ':') &&
		    strncmp(e.name, "System:", 7))
			pdb_name_of(p, e.owner, owner, sizeof owner);
		printf("GROUP %s OWNED BY %s\n", e.name, *owner ? owner : "System");
	} else {
		printf("USER %s\n", e.name);
	}
	printf("  *  id: %d\n", e.id);
	if (*owner)
		printf("  *  owner id: %d\n", e.owner);
	pdb_related(p, id, 'g', ids, 256, &n);
	if (n) {
		printf("  *  belongs to groups: [ ");
		print_ids(p, ids, n < 256 ? n : 256);
		printf("]\n");
	} else {
		printf("  *  belongs to no groups\n");
	}
	who.id = id;
	who.authenticated = id >= 0;
	pdb_cps(p, &who);
	printf("  *  cps: [ ");
	print_ids(p, who.cps, who.ncps);
	printf("]\n");
	pdb_related(p, id, id < 0 ? 'm' : 'o', ids, 256, &n);
	if (n) {
		printf("  *  %s: [ ", id < 0 ? "has members" : "owns groups");
		print_ids(p, ids, n < 256 ? n : 256);
		printf("]\n");
	} else {
		printf("  *  %s\n", id < 0 ? "has no members" : "owns no groups");
	}
	if (id >= 0)
		printf("  *  password: %s\n", e.has_secret ? "set" : "not set");
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

struct list_state {
	struct pdb *p;
	int first;
};

static int list_one(const struct pdb_entry *e, void *arg)
{
	struct list_state *ls = arg;
	int32_t ids[256];
	unsigned n, i;

	if (!json) {
		show(ls->p, e->id);
		return 0;
	}
	printf("%s\n  {\"id\": %d, \"name\": ", ls->first ? "" : ",", e->id);
	ls->first = 0;
	json_str(e->name);
	if (e->id >= 0) {
		printf(", \"type\": \"user\", \"password\": %s",
		       e->has_secret ? "true" : "false");
	} else {
		printf(", \"type\": \"group\"");
		if (strncmp(e->name, "System:", 7))
			printf(", \"owner\": %d", e->owner);
		pdb_related(ls->p, e->id, 'm', ids, 256, &n);
		printf(", \"members\": [");
		for (i = 0; i < n && i < 256; i++)
			printf("%s%d", i ? ", " : "", ids[i]);
		printf("]");
	}
	pdb_related(ls->p, e->id, 'g', ids, 256, &n);
	printf(", \"groups\": [");
	for (i = 0; i < n && i < 256; i++)
		printf("%s%d", i ? ", " : "", ids[i]);
	printf("]}");
	return 0;
}

/* ---- passwords ---- */

static void b64(const unsigned char *in, int n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, n);
}

/* The SCRAM-SHA-256 verifier of pass (RFC 5802 section 3) in Cyrus
 * SASL's authPassword form.  0 or -1. */
static int scram_verifier(const char *pass, char *out, size_t n)
{
	unsigned char salt[16], salted[32], ckey[32], stored[32], skey[32];
	char s64[32], st64[48], sk64[48];
	unsigned len = 32;

	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    !PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt, sizeof salt,
			       SCRAM_ITER, EVP_sha256(), 32, salted) ||
	    !HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key",
		  10, ckey, &len) ||
	    !EVP_Digest(ckey, 32, stored, NULL, EVP_sha256(), NULL) ||
	    !HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key",
		  10, skey, &len))
		return -1;
	b64(salt, sizeof salt, s64);
	b64(stored, 32, st64);
	b64(skey, 32, sk64);
	snprintf(out, n, "SCRAM-SHA-256$%d:%s$%s:%s", SCRAM_ITER, s64, st64,
		 sk64);
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(ckey, sizeof ckey);
	return 0;
}

/* One line from f without its newline.  0, or -1 (EOF, too long). */
static int read_line(FILE *f, char *buf, size_t n)
{
	size_t len;

	if (!fgets(buf, (int)n, f))
		return -1;
	len = strcspn(buf, "\r\n");
	if (len == n - 1 && !strchr(buf, '\n') && !feof(f))
		return -1;
	buf[len] = '\0';
	return 0;
}

/* Prompt on the terminal with echo off. */
static int tty_pass(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	int rc;

	if (!tty)
		return fail("no terminal to ask for the password on "
			    "(use passwd -pipe)");
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	rc = read_line(tty, buf, n);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return rc ? fail("no password read") : 0;
}

static int cmd_passwd(struct pdb *p, int argc, char **argv)
{
	char pass[PASS_MAX], again[PASS_MAX], ver[PDB_SECRET_MAX + 1];
	const char *user = NULL;
	int pipe = 0, i, rc;
	int32_t id;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-pipe") || !strcmp(argv[i], "--stdin"))
			pipe = 1;
		else if (!user && argv[i][0] != '-')
			user = argv[i];
		else
			return bad_usage(argv[0]);
	}
	if (!user)
		return bad_usage(argv[0]);
	if (lookup(p, user, &id))
		return 1;
	if (id < 0)
		return fail("%s is a group: only users have passwords", user);
	if (pipe) {
		if (read_line(stdin, pass, sizeof pass))
			return fail("no password on stdin (one line, at most %d bytes)",
				    PASS_MAX - 2);
	} else {
		if (tty_pass("New password: ", pass, sizeof pass) ||
		    tty_pass("Again: ", again, sizeof again))
			return 1;
		rc = strcmp(pass, again);
		OPENSSL_cleanse(again, sizeof again);
		if (rc)
			return fail("the passwords differ; nothing changed");
	}
	if (!*pass)
		return fail("empty password refused; nothing changed");
	rc = scram_verifier(pass, ver, sizeof ver);
	OPENSSL_cleanse(pass, sizeof pass);
	if (rc)
		return fail("cannot compute the SCRAM verifier");
	if ((rc = pdb_secret_set(p, id, ver)))
		return fail("%s: %s", user, strerror(rc));
	printf("Password set for %s\n", user);
	return 0;
}

/* ---- the other verbs ---- */

/* 0 if argc is n, else 1 after a message. */
static int need(char **argv, int argc, int n)
{
	return argc == n ? 0 : bad_usage(argv[0]);
}

static int cmd_nu(struct pdb *p, int argc, char **argv)
{
	int32_t id = 0;
	int rc;

	if (argc != 2 && argc != 3)
		return bad_usage(argv[0]);
	if (!pdb_user_name_ok(argv[1]))
		return fail("bad user name \"%s\" (letters, digits, '.', '_', "
			    "'-'; at most %d bytes)", argv[1], PDB_NAME_MAX);
	if (argc == 3 && parse_id(argv[2], &id))
		return 1;
	rc = argc == 3 ? pdb_user_add(p, argv[1], id) :
	     pdb_user_add_next(p, argv[1], &id);
	if (rc == EEXIST && argc == 2)
		return fail("name %s already in use", argv[1]);
	if (rc == EEXIST)
		return fail("name %s or id %d already in use", argv[1], id);
	if (rc)
		return fail("cannot create %s: %s", argv[1], strerror(rc));
	printf("Created user %s with id %d\n", argv[1], id);
	return 0;
}

static int cmd_ng(struct pdb *p, int argc, char **argv)
{
	int32_t owner, id;
	int rc;

	if (need(argv, argc, 3))
		return 1;
	if (lookup(p, argv[2], &owner))
		return 1;
	if (owner < 0)
		return fail("the owner must be a user, not a group");
	rc = pdb_group_add(p, argv[1], owner, &id);
	if (rc == EINVAL)
		return fail("group names are OWNER:NAME with OWNER the owner's "
			    "name: %s", argv[1]);
	if (rc == EEXIST)
		return fail("%s already exists", argv[1]);
	if (rc)
		return fail("cannot create %s: %s", argv[1], strerror(rc));
	printf("Created %s with id %d\n", argv[1], id);
	return 0;
}

static int cmd_member(struct pdb *p, int argc, char **argv, int add)
{
	int32_t gid, mid;
	int rc;

	if (need(argv, argc, 3))
		return 1;
	if (lookup(p, argv[1], &gid) || lookup(p, argv[2], &mid))
		return 1;
	if (gid >= 0)
		return fail("%s is a user, not a group", argv[1]);
	rc = add ? pdb_member_add(p, gid, mid) : pdb_member_del(p, gid, mid);
	if (rc == EEXIST)
		return fail("%s is already in %s", argv[2], argv[1]);
	if (rc == ENOENT)
		return fail("%s is not in %s", argv[2], argv[1]);
	if (rc == EINVAL)
		return fail("%s cannot have members added", argv[1]);
	if (rc)
		return fail("%s: %s", argv[1], strerror(rc));
	return 0;
}

static int cmd_delete(struct pdb *p, int argc, char **argv)
{
	int32_t id;
	int rc;

	if (need(argv, argc, 2))
		return 1;
	if (lookup(p, argv[1], &id))
		return 1;
	rc = pdb_delete(p, id);
	if (rc == EPERM)
		return fail("%s is a system group and cannot be deleted", argv[1]);
	if (rc)
		return fail("%s: %s", argv[1], strerror(rc));
	return 0;
}

static int run(struct pdb *p, int argc, char **argv)
{
	const char *c = argv[0];
	int32_t id;

	if (!strcmp(c, "nu") || !strcmp(c, "nui")) {
		if (!strcmp(c, "nui") && argc != 3)
			return bad_usage(c);
		return cmd_nu(p, argc, argv);
	}
	if (!strcmp(c, "ng"))
		return cmd_ng(p, argc, argv);
	if (!strcmp(c, "ag") || !strcmp(c, "rg"))
		return cmd_member(p, argc, argv, c[0] == 'a');
	if (!strcmp(c, "i") || !strcmp(c, "n")) {
		if (need(argv, argc, 2))
			return 1;
		return lookup(p, argv[1], &id) || show(p, id);
	}
	if (!strcmp(c, "l")) {
		if (need(argv, argc, 2))
			return 1;
		if (lookup(p, argv[1], &id))
			return 1;
		printf("%s's id is %d\n", argv[1], id);
		return 0;
	}
	if (!strcmp(c, "list")) {
		struct list_state ls = { p, 1 };
		int rc;

		if (need(argv, argc, 1))
			return 1;
		if (json)
			printf("[");
		rc = pdb_each(p, list_one, &ls);
		if (json)
			printf("\n]\n");
		return rc ? fail("cannot list: %s", strerror(rc)) : 0;
	}
	if (!strcmp(c, "d") || !strcmp(c, "delete"))
		return cmd_delete(p, argc, argv);
	if (!strcmp(c, "passwd"))
		return cmd_passwd(p, argc, argv);
	if (!strcmp(c, "help"))
		usage(0, 0);
	fprintf(stderr, "pdbtool: unknown command \"%s\" (see pdbtool help)\n", c);
	return 1;
}

/* No command on the command line: read commands from stdin, one per line
 * (Coda's pdbtool prompts for them); "exit" or end of input stops.  1 if
 * any failed. */
static int interactive(struct pdb *p)
{
	char line[1024], *words[16], *save;
	int tty = isatty(0), failed = 0, n;

	for (;;) {
		if (tty) {
			fputs("pdbtool> ", stdout);
			fflush(stdout);
		}
		if (!fgets(line, sizeof line, stdin))
			break;
		n = 0;
		for (char *w = strtok_r(line, " \t\r\n", &save); w && n < 16;
		     w = strtok_r(NULL, " \t\r\n", &save))
			words[n++] = w;
		if (!n || words[0][0] == '#')
			continue;
		if (!strcmp(words[0], "exit") || !strcmp(words[0], "quit"))
			break;
		words[n] = NULL;
		if (!strcmp(words[0], "help"))
			usage(0, 1);
		else
			failed |= run(p, n, words);
		fflush(stdout);
	}
	return failed;
}

/* Open the pdb the options name: <root>/pdb.db, or the realm's in etcd
 * (urls non-NULL).  0, or 1 after a message. */
static int open_pdb(const char *root, const char *urls, const char *realm,
		    struct pdb **p)
{
	char err[512] = "", host[256];

	if (urls) {
		if (!realm) {
			if (gethostname(host, sizeof host - 1))
				return fail("no --realm and no host name");
			host[sizeof host - 1] = '\0';
			realm = host;
		}
		if (pdb_open_etcd(urls, realm, p, err, sizeof err))
			return fail("%s", err);
		return 0;
	}
	if (access(root, W_OK | X_OK))
		return fail("%s: %s (is -r the vice root?)", root, strerror(errno));
	umask(077);
	if (pdb_open(root, p, err, sizeof err))
		return fail("%s", err);
	return 0;
}

int main(int argc, char **argv)
{
	const char *root = DEFAULT_ROOT, *urls = NULL, *realm = NULL;
	const char *vldb = NULL;    /* NULL: sqlite, or etcd with --etcd (as vice) */
	struct pdb *p;
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("pdbtool (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			root = argv[++i];
		} else if (!strcmp(argv[i], "--vldb") && i + 1 < argc) {
			vldb = argv[++i];
		} else if (!strcmp(argv[i], "--etcd") && i + 1 < argc) {
			urls = argv[++i];
		} else if (!strcmp(argv[i], "--realm") && i + 1 < argc) {
			realm = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(0, 0);
		} else {
			usage(1, 0);
		}
	}
	if (!vldb)
		vldb = urls ? "etcd" : "sqlite";
	if (strcmp(vldb, "sqlite") && strcmp(vldb, "etcd"))
		return fail("--vldb is sqlite or etcd, not %s", vldb);
	if (!strcmp(vldb, "etcd") != !!urls)
		return fail(urls ? "--etcd needs --vldb etcd" :
			    "--vldb etcd needs --etcd URL");
	if (open_pdb(root, urls, realm, &p))
		return 1;
	rc = i == argc ? interactive(p) : run(p, argc - i, argv + i);
	pdb_close(p);
	return rc;
}
