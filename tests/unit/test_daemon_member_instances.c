/*  A copy of a member's node running beside the original (the same keys,
 *  a restored snapshot or copied state directory) is told from a restart
 *  by the instance ids of their heartbeats (docs/OPERATIONS.md,
 *  duplicate_instance): a run heard again after another took over from
 *  it while it was alive is two runs at once.  A restart, however quick,
 *  a silence and a run that alone sends its heartbeats raise nothing;
 *  the alarm ends an hour after the last alternation, on the monotonic
 *  clock (the wall clock is only shown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node_core.h"
#include "uitvoerder.h"

#include <string.h>

#define WINDOW 2000 /* ms a run counts as alive after it was heard */
#define T0 1000000ull          /* the monotonic clock, ms */
#define WALL0 1800000000000ull /* the wall clock at T0, ms */
#define DAY 86400000ull

/*  The wall clock, less the monotonic one plus WALL0: stepped to move it. */
static int64_t s_wall_step;

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
    uint64_t wall = (uint64_t) ((int64_t) (WALL0 + at - T0) + s_wall_step);
    return uitvoerder_instance_heard (w, s_id (c), UITVOERDER_INSTANCE_LEN, at, wall, WINDOW);
}

/*  A heartbeat naming no run (len 0), or one of a wrong length. */
static instance_heard_t
s_heard_unnamed (member_instances_t *w, size_t len, uint64_t at)
{
    uint8_t junk[UITVOERDER_INSTANCE_LEN + 1] = {0x5a};
    return uitvoerder_instance_heard (w, len ? junk : NULL, len, at, WALL0 + at - T0, WINDOW);
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
    assert_int_equal (w.duplicate_since, 0);
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
    assert_int_equal (w.duplicate_since, T0 + 200);
    assert_int_equal (s_heard (&w, 'b', T0 + 300), INSTANCE_AGAIN);
    assert_int_equal (s_heard (&w, 'b', T0 + 350), INSTANCE_SAME);
    assert_int_equal (s_heard (&w, 'a', T0 + 400), INSTANCE_AGAIN);
    assert_int_equal (w.duplicate_last, T0 + 400);
    assert_int_equal (w.duplicate_last_ms, WALL0 + 400);
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
test_a_wall_clock_step_changes_nothing (void **state)
{
    (void) state;
    for (int back = 0; back < 2; back++) {
        member_instances_t w;
        memset (&w, 0, sizeof w);
        s_wall_step = 0;
        s_heard (&w, 'a', T0);
        s_heard (&w, 'b', T0 + 100);
        assert_int_equal (s_heard (&w, 'a', T0 + 200), INSTANCE_DUPLICATE);
        assert_int_equal (w.duplicate_last_ms, WALL0 + 200);
        /*  The wall clock set back (or on) a day, as NTP may: the alarm
         *  is held an hour after the last alternation all the same. */
        s_wall_step = back ? -(int64_t) DAY : (int64_t) DAY;
        uint64_t t = T0 + 200;
        for (; t < T0 + 200 + UITVOERDER_DUPLICATE_HOLD_MS; t += 60000) {
            assert_int_equal (s_heard (&w, 'a', t), INSTANCE_SAME);
            assert_true (uitvoerder_instance_duplicate (&w, t));
        }
        t = T0 + 200 + UITVOERDER_DUPLICATE_HOLD_MS;
        assert_int_equal (s_heard (&w, 'a', t), INSTANCE_SAME);
        assert_false (uitvoerder_instance_duplicate (&w, t));
        /*  Ended, so the next alternation raises it anew, and the time
         *  shown is the wall clock's. */
        assert_int_equal (s_heard (&w, 'c', t + 100), INSTANCE_NEW);
        assert_int_equal (s_heard (&w, 'a', t + 200), INSTANCE_DUPLICATE);
        assert_int_equal (w.duplicate_last_ms, WALL0 + t + 200 - T0 + (uint64_t) s_wall_step);
    }
    s_wall_step = 0;
}

static void
test_three_or_more_runs_in_turn_are_a_duplicate (void **state)
{
    (void) state;
    for (uint8_t n = 3; n <= UITVOERDER_INSTANCE_TAKEN + 1; n++) {
        member_instances_t w;
        memset (&w, 0, sizeof w);
        /*  n copies, each heard in turn, strictly round robin. */
        uint64_t t = T0;
        for (uint8_t i = 0; i < n; i++, t += 100)
            assert_int_equal (s_heard (&w, (uint8_t) ('a' + i), t),
                              i ? INSTANCE_NEW : INSTANCE_SAME);
        assert_int_equal (s_heard (&w, 'a', t), INSTANCE_DUPLICATE);
        assert_int_equal (s_heard (&w, 'b', t + 100), INSTANCE_AGAIN);
    }
    /*  Quick restarts one after the other: none of the old runs is heard
     *  again, so no alarm. */
    member_instances_t w;
    memset (&w, 0, sizeof w);
    uint64_t t = T0;
    for (uint8_t i = 0; i < 2 * UITVOERDER_INSTANCE_TAKEN; i++, t += 400) {
        s_heard (&w, (uint8_t) ('a' + i), t);
        s_heard (&w, (uint8_t) ('a' + i), t + 200);
    }
    for (; t < T0 + 60000; t += 200)
        assert_int_equal (s_heard (&w, 'a' + 2 * UITVOERDER_INSTANCE_TAKEN - 1, t), INSTANCE_SAME);
    assert_int_equal (w.duplicate_since, 0);
}

static void
test_a_run_naming_none_beside_one_that_names_one (void **state)
{
    (void) state;
    member_instances_t w;
    memset (&w, 0, sizeof w);
    /*  A member that never named its run (an older release): not judged. */
    for (uint64_t t = T0; t < T0 + 1000; t += 100) {
        assert_int_equal (s_heard_unnamed (&w, 0, t), INSTANCE_UNJUDGED);
        assert_int_equal (s_heard_unnamed (&w, 7, t + 50), INSTANCE_UNJUDGED);
    }
    assert_false (uitvoerder_instance_duplicate (&w, T0 + 1000));
    /*  Upgraded: it names one now (after the old run, a restart). */
    assert_int_equal (s_heard (&w, 'a', T0 + 1100), INSTANCE_SAME);
    /*  A copy of an older release beside it names none: a run of its
     *  own, and the two alternating are two at once. */
    assert_int_equal (s_heard_unnamed (&w, 0, T0 + 1200), INSTANCE_NEW);
    assert_int_equal (s_heard (&w, 'a', T0 + 1300), INSTANCE_DUPLICATE);
    assert_int_equal (s_heard_unnamed (&w, UITVOERDER_INSTANCE_LEN + 1, T0 + 1400), INSTANCE_AGAIN);

    /*  Downgraded at once (a quick restart as an older release) and
     *  upgraded again later: the old runs are never heard again. */
    memset (&w, 0, sizeof w);
    s_heard (&w, 'a', T0);
    assert_int_equal (s_heard_unnamed (&w, 0, T0 + 200), INSTANCE_NEW);
    uint64_t t = T0 + 400;
    for (; t < T0 + 60000; t += 200)
        assert_int_equal (s_heard_unnamed (&w, 0, t), INSTANCE_SAME);
    assert_int_equal (s_heard (&w, 'b', t), INSTANCE_NEW);
    for (t += 200; t < T0 + 120000; t += 200)
        assert_int_equal (s_heard (&w, 'b', t), INSTANCE_SAME);
    assert_false (uitvoerder_instance_duplicate (&w, t));
    assert_int_equal (w.duplicate_since, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_restart_is_no_duplicate),
        cmocka_unit_test (test_two_runs_alternating_are_a_duplicate),
        cmocka_unit_test (
            test_a_run_silent_before_the_next_is_no_duplicate_but_a_taken_over_one_back_is),
        cmocka_unit_test (test_a_wall_clock_step_changes_nothing),
        cmocka_unit_test (test_three_or_more_runs_in_turn_are_a_duplicate),
        cmocka_unit_test (test_a_run_naming_none_beside_one_that_names_one),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
