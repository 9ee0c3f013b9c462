/*  A copy of a member's node running beside the original (the same keys,
 *  a restored snapshot or copied state directory) is told from a restart
 *  by the instance ids of their heartbeats (docs/OPERATIONS.md,
 *  duplicate_instance): a run heard again after another took over from
 *  it while it was alive is two runs at once.  A restart, however quick,
 *  a silence and a run that alone sends its heartbeats raise nothing;
 *  the alarm ends an hour after the last alternation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node_core.h"
#include "uitvoerder.h"

#include <string.h>

#define WINDOW 2000 /* ms a run counts as alive after it was heard */
#define T0 1000000ull

static const uint8_t *
s_id (uint8_t c)
{
    static uint8_t ids[4][UITVOERDER_INSTANCE_LEN];
    uint8_t *id = ids[c % 4];
    memset (id, c, UITVOERDER_INSTANCE_LEN);
    return id;
}

static instance_heard_t
s_heard (member_instances_t *w, uint8_t c, uint64_t at)
{
    return uitvoerder_instance_heard (w, s_id (c), at, WINDOW);
}

static void
test_a_restart_is_no_duplicate (void **state)
{
    (void) state;
    member_instances_t w;
    memset (&w, 0, sizeof w);
    assert_int_equal (s_heard (&w, 'a', T0), INSTANCE_SAME);
    assert_int_equal (s_heard (&w, 'a', T0 + 200), INSTANCE_SAME);
    /*  kill -9 and started again at once, within the window: another
     *  run, while the first still counts as alive - and never again. */
    assert_int_equal (s_heard (&w, 'b', T0 + 400), INSTANCE_NEW);
    for (uint64_t t = T0 + 600; t < T0 + 60000; t += 200)
        assert_int_equal (s_heard (&w, 'b', t), INSTANCE_SAME);
    assert_false (uitvoerder_instance_duplicate (&w, T0 + 60000));
    /*  Restarted again after a silence, and once more at once. */
    assert_int_equal (s_heard (&w, 'c', T0 + 90000), INSTANCE_NEW);
    assert_int_equal (s_heard (&w, 'a' + 3, T0 + 90200), INSTANCE_NEW);
    assert_false (uitvoerder_instance_duplicate (&w, T0 + 90200));
    assert_int_equal (w.duplicate_since_ms, 0);
}

static void
test_two_runs_alternating_are_a_duplicate (void **state)
{
    (void) state;
    member_instances_t w;
    memset (&w, 0, sizeof w);
    s_heard (&w, 'a', T0);
    /*  The copy starts beside it: at first a restart, as far as is known. */
    assert_int_equal (s_heard (&w, 'b', T0 + 100), INSTANCE_NEW);
    assert_false (uitvoerder_instance_duplicate (&w, T0 + 100));
    /*  The first is heard again: two at once. */
    assert_int_equal (s_heard (&w, 'a', T0 + 200), INSTANCE_DUPLICATE);
    assert_true (uitvoerder_instance_duplicate (&w, T0 + 200));
    assert_int_equal (w.duplicate_since_ms, T0 + 200);
    assert_int_equal (s_heard (&w, 'b', T0 + 300), INSTANCE_AGAIN);
    assert_int_equal (s_heard (&w, 'b', T0 + 350), INSTANCE_SAME);
    assert_int_equal (s_heard (&w, 'a', T0 + 400), INSTANCE_AGAIN);
    assert_int_equal (w.duplicate_last_ms, T0 + 400);
    /*  The copy is stopped: held an hour after the last alternation,
     *  then it ends, once. */
    uint64_t t = T0 + 400;
    for (; t < T0 + 400 + UITVOERDER_DUPLICATE_HOLD_MS; t += 60000) {
        assert_int_equal (s_heard (&w, 'a', t), INSTANCE_SAME);
        assert_true (uitvoerder_instance_duplicate (&w, t));
    }
    t = T0 + 400 + UITVOERDER_DUPLICATE_HOLD_MS;
    assert_false (uitvoerder_instance_duplicate (&w, t));
    assert_true (uitvoerder_instance_ended (&w, t));
    assert_false (uitvoerder_instance_ended (&w, t + 1));
    /*  The copy started again later (a run of its own): raised anew. */
    assert_int_equal (s_heard (&w, 'a', t), INSTANCE_SAME);
    assert_int_equal (s_heard (&w, 'c', t + 100), INSTANCE_NEW);
    assert_int_equal (s_heard (&w, 'a', t + 200), INSTANCE_DUPLICATE);
    /*  The stopped run itself heard again (a paused copy resumed): the
     *  same, for it was alive beside a. */
    memset (&w, 0, sizeof w);
    s_heard (&w, 'a', T0);
    s_heard (&w, 'b', T0 + 100);
    s_heard (&w, 'a', T0 + 200);
    t = T0 + 200 + UITVOERDER_DUPLICATE_HOLD_MS;
    assert_true (uitvoerder_instance_ended (&w, t));
    assert_int_equal (s_heard (&w, 'b', t + 100), INSTANCE_DUPLICATE);
}

static void
test_a_run_silent_before_the_next_is_no_duplicate_but_a_taken_over_one_back_is (void **state)
{
    (void) state;
    member_instances_t w;
    memset (&w, 0, sizeof w);
    /*  a went silent (longer than the window) before b came: a restart. */
    s_heard (&w, 'a', T0);
    assert_int_equal (s_heard (&w, 'b', T0 + WINDOW + 1), INSTANCE_NEW);
    /*  Should a be heard again all the same, it was not alive when b
     *  took over: only b and a now, the next alternation says it. */
    assert_int_equal (s_heard (&w, 'a', T0 + WINDOW + 100), INSTANCE_NEW);
    assert_int_equal (s_heard (&w, 'b', T0 + WINDOW + 200), INSTANCE_DUPLICATE);

    /*  A run taken over from while alive and heard again after a long
     *  silence (a paused VM resumed beside its replacement): two at once. */
    memset (&w, 0, sizeof w);
    s_heard (&w, 'a', T0);
    assert_int_equal (s_heard (&w, 'b', T0 + 100), INSTANCE_NEW);
    for (uint64_t t = T0 + 300; t < T0 + 600000; t += 200)
        s_heard (&w, 'b', t);
    assert_int_equal (s_heard (&w, 'a', T0 + 600000), INSTANCE_DUPLICATE);
}

static void
test_a_clock_set_back_keeps_the_alarm (void **state)
{
    (void) state;
    member_instances_t w;
    memset (&w, 0, sizeof w);
    s_heard (&w, 'a', T0);
    s_heard (&w, 'b', T0 + 100);
    assert_int_equal (s_heard (&w, 'a', T0 + 200), INSTANCE_DUPLICATE);
    assert_true (uitvoerder_instance_duplicate (&w, T0 - 5000));
    assert_false (uitvoerder_instance_ended (&w, T0 - 5000));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_restart_is_no_duplicate),
        cmocka_unit_test (test_two_runs_alternating_are_a_duplicate),
        cmocka_unit_test (
            test_a_run_silent_before_the_next_is_no_duplicate_but_a_taken_over_one_back_is),
        cmocka_unit_test (test_a_clock_set_back_keeps_the_alarm),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
