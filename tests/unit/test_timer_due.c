/*  kt_timer_due (common/util.h): a repeating zloop timer whose loop was
 *  held does not act once for every period it missed.  CZMQ's zloop fires
 *  such a timer back to back until it has caught up; a handler that asks
 *  kt_timer_due acts at most once a quarter period meanwhile.  (A
 *  partner's 10 ms pump and 200 ms heartbeat held for an hour - a frozen
 *  process, a clock moved on in a test - ran 360,000 and 18,000 times at
 *  once, and the uitvoerder took tens of seconds to answer the
 *  heartbeats: test_member_duplicate_instance.)  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <czmq.h>
#include <unistd.h>

#define PERIOD_MS 100
#define HELD_MS 1000
#define FIRINGS_MAX 64

typedef struct {
    uint64_t last_ms;            /* kt_timer_due's */
    uint64_t fired[FIRINGS_MAX]; /* monotonic ms of each firing */
    uint64_t acted[FIRINGS_MAX]; /* ... and of each acted on */
    size_t n_fired, n_acted;
} ticks_t;

static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ticks_t *t = arg;
    uint64_t now = kt_mono_us () / 1000;
    if (t->n_fired < FIRINGS_MAX)
        t->fired[t->n_fired++] = now;
    if (!kt_timer_due (&t->last_ms, PERIOD_MS))
        return 0;
    if (t->n_acted < FIRINGS_MAX)
        t->acted[t->n_acted++] = now;
    /*  The first one holds the loop, as a stopped process would be. */
    if (t->n_acted == 1)
        usleep (HELD_MS * 1000);
    return 0;
}

static int
s_end (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    return -1;
}

/*  The smallest gap between two of n times, in ms. */
static uint64_t
s_min_gap (const uint64_t *at, size_t n)
{
    uint64_t min = UINT64_MAX;
    for (size_t i = 1; i < n; i++)
        if (at[i] - at[i - 1] < min)
            min = at[i] - at[i - 1];
    return min;
}

static void
test_a_held_timer_does_not_act_for_every_period_missed (void **state)
{
    (void) state;
    ticks_t t = {0};
    zloop_t *loop = zloop_new ();
    assert_non_null (loop);
    assert_true (zloop_timer (loop, PERIOD_MS, 0, s_tick, &t) >= 0);
    assert_true (zloop_timer (loop, HELD_MS + 5 * PERIOD_MS, 1, s_end, NULL) >= 0);
    zloop_start (loop);
    zloop_destroy (&loop);
    /*  The loop caught up: about ten firings back to back. */
    assert_true (t.n_fired >= HELD_MS / PERIOD_MS);
    if (s_min_gap (t.fired, t.n_fired) >= PERIOD_MS / 20)
        fail_msg ("no firings back to back after the loop was held: the scenario did not happen");
    /*  Acted on at most once a quarter period, and again after it. */
    assert_true (t.n_acted >= 2);
    uint64_t gap = s_min_gap (t.acted, t.n_acted);
    if (gap < PERIOD_MS / 4)
        fail_msg ("acted on %zu of %zu firings, two of them %llu ms apart", t.n_acted, t.n_fired,
                  (unsigned long long) gap);
}

static void
test_timer_due_in_steps (void **state)
{
    (void) state;
    uint64_t last = 0;
    assert_true (kt_timer_due (&last, 400)); /* the first firing */
    assert_true (last > 0);
    assert_false (kt_timer_due (&last, 400)); /* at once again: caught up */
    uint64_t was = last;
    last -= 100; /* a quarter period ago */
    assert_true (kt_timer_due (&last, 400));
    assert_true (last >= was);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_held_timer_does_not_act_for_every_period_missed),
        cmocka_unit_test (test_timer_due_in_steps),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
