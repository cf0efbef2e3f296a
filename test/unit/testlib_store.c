/*
 * test/unit/testlib_store.c - vice's store on a temp root
 * (testlib_vice.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "test/unit/testlib_vice.h"
#include "vice/store.h"

void tl_store_open(struct tl_store *s, const char *tag)
{
	char err[256];

	tl_mkdtemp(s->root, tag);
	assert_int_equal(vs_open(s->root, &s->vs, err, sizeof err), 0);
}

void tl_store_reopen(struct tl_store *s)
{
	char err[256];

	vs_close(s->vs);
	assert_int_equal(vs_open(s->root, &s->vs, err, sizeof err), 0);
}

void tl_store_close(struct tl_store *s)
{
	vs_close(s->vs);
	s->vs = NULL;
	tl_rmrf(s->root);
}
