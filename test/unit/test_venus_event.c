/*
 * test_venus_event.c - venus's event ring (venus/util/event.c): nothing is kept
 * without a listener, records come back in order with their fields, a
 * reader that fell behind is told how many it lost, and the listener runs
 * once per burst from the loop, never inside event_emit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>

#include "venus/util/event.h"

static int woken;

static void on_events(void *arg)
{
	woken++;
	event_base_loopbreak(arg);
}

static void test_no_listener(void **state)
{
	uint64_t seq = event_next_seq(), lost = 0;
	struct event_rec e;

	event_emit(EVK_OPEN, NULL);
	assert_int_equal(event_next_seq(), seq);
	assert_int_equal(event_read(&seq, &e, &lost), 0);
	assert_int_equal(lost, 0);
}

static void test_fields_and_wake(void **state)
{
	struct event_base *base = event_base_new();
	hs_fid fid = { 1, 2, 3 };
	uint64_t seq, lost = 0;
	struct event_rec e;
	char longname[400];

	assert_non_null(base);
	assert_int_equal(event_listen(base, on_events, base), 0);
	seq = event_next_seq();
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	woken = 0;
	event_emit(EVK_FETCH, &(struct event_fields){ .fid = &fid, .name = "a.c",
			.bytes = 4096, .usec = 1500 });
	event_emit(EVK_CONN, &(struct event_fields){ .peer = "vice", .flag = 1 });
	event_emit(EVK_CLOSE, &(struct event_fields){ .name = longname });
	assert_int_equal(woken, 0);          /* not from inside event_emit */
	event_base_dispatch(base);
	assert_int_equal(woken, 1);          /* one wake for the burst */

	assert_int_equal(event_read(&seq, &e, &lost), 1);
	assert_int_equal(e.kind, EVK_FETCH);
	assert_string_equal(event_kind_name(e.kind), "fetch");
	assert_true(e.has_fid);
	assert_int_equal(e.fid.unique, 3);
	assert_string_equal(e.name, "a.c");
	assert_int_equal(e.bytes, 4096);
	assert_int_equal(e.usec, 1500);
	assert_int_equal(event_read(&seq, &e, &lost), 1);
	assert_int_equal(e.kind, EVK_CONN);
	assert_false(e.has_fid);
	assert_string_equal(e.peer, "vice");
	assert_int_equal(e.flag, 1);
	assert_int_equal(event_read(&seq, &e, &lost), 1);
	assert_int_equal(strlen(e.name), sizeof e.name - 1);   /* truncated */
	assert_int_equal(event_read(&seq, &e, &lost), 0);
	assert_int_equal(lost, 0);

	event_listen(NULL, NULL, NULL);
	event_base_free(base);
}

static void test_overrun(void **state)
{
	struct event_base *base = event_base_new();
	uint64_t seq, lost = 0, first;
	struct event_rec e;

	assert_int_equal(event_listen(base, on_events, base), 0);
	seq = first = event_next_seq();
	for (uint64_t i = 0; i < EVENT_RING + 10; i++)
		event_emit(EVK_REINT, &(struct event_fields){ .n = i });
	assert_int_equal(event_read(&seq, &e, &lost), 1);
	assert_int_equal(lost, 10);
	assert_int_equal(e.seq, first + 10);
	assert_int_equal(e.n, 10);
	while (event_read(&seq, &e, &lost))
		;
	assert_int_equal(lost, 10);
	assert_int_equal(e.n, EVENT_RING + 9);
	event_listen(NULL, NULL, NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_listener),
		cmocka_unit_test(test_fields_and_wake),
		cmocka_unit_test(test_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
