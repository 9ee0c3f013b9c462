/*  retention_plan: art. 13's schedule, written out from the convenant
 *  with the roster's maxima (183, 365, 1826 days).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "retention.h"

#include <string.h>

#define DAY RETENTION_DAY_MS
#define T0 (1780000000000ULL) /* some last processing */

static roster_t s_roster;

static int
s_setup (void **state)
{
    (void) state;
    memset (&s_roster, 0, sizeof s_roster);
    s_roster.retention_not_agendered_days = 183;
    s_roster.retention_archive_days = 365;
    s_roster.retention_destroy_days = 1826;
    return 0;
}

static retention_plan_t
s_plan (bool agendered, bool decided, bool archived, uint64_t grace, uint64_t now)
{
    retention_facts_t f = {T0, agendered, decided, archived};
    retention_plan_t p;
    retention_plan (&s_roster, &f, grace, now, &p);
    return p;
}

/*  13.3: niet agenderen, destroyed at 183 days, not a day before. */
static void
test_not_agendered_is_destroyed_after_six_months (void **state)
{
    (void) state;
    retention_plan_t p = s_plan (false, true, false, 0, T0 + 182 * DAY);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_string_equal (p.rule, "not-agendered");
    assert_true (p.due_ms == T0 + 183 * DAY);
    assert_false (p.warn); /* decided: the weegploeg weighed it */
    p = s_plan (false, true, false, 0, T0 + 183 * DAY);
    assert_int_equal (p.step, RETENTION_DESTROY);
}

/*  Undecided: the same period, with a warning from four weeks before. */
static void
test_undecided_is_warned_four_weeks_before (void **state)
{
    (void) state;
    retention_plan_t p = s_plan (false, false, false, 0, T0 + (183 - 29) * DAY);
    assert_false (p.warn);
    p = s_plan (false, false, false, 0, T0 + (183 - 28) * DAY);
    assert_true (p.warn);
    assert_int_equal (p.step, RETENTION_KEEP);
}

/*  13.2 then 13.1 for an agendered subject. */
static void
test_agendered_is_archived_after_a_year_and_destroyed_after_five (void **state)
{
    (void) state;
    retention_plan_t p = s_plan (true, true, false, 0, T0 + 364 * DAY);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_string_equal (p.rule, "archive");
    p = s_plan (true, true, false, 0, T0 + 365 * DAY);
    assert_int_equal (p.step, RETENTION_ARCHIVE);
    p = s_plan (true, true, true, 0, T0 + 1825 * DAY);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_string_equal (p.rule, "destroy");
    assert_true (p.due_ms == T0 + 1826 * DAY);
    p = s_plan (true, true, true, 0, T0 + 1826 * DAY);
    assert_int_equal (p.step, RETENTION_DESTROY);
    /*  A node that was off for the whole archive period destroys at once. */
    p = s_plan (true, true, false, 0, T0 + 1900 * DAY);
    assert_int_equal (p.step, RETENTION_DESTROY);
}

/*  A partner's safety net comes a grace period after the uitvoerder. */
static void
test_grace_delays_the_step_not_the_due_date (void **state)
{
    (void) state;
    retention_plan_t p = s_plan (false, true, false, RETENTION_GRACE_MS, T0 + 183 * DAY);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_true (p.due_ms == T0 + 183 * DAY);
    p = s_plan (false, true, false, RETENTION_GRACE_MS, T0 + 184 * DAY);
    assert_int_equal (p.step, RETENTION_DESTROY);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_not_agendered_is_destroyed_after_six_months, s_setup),
        cmocka_unit_test_setup (test_undecided_is_warned_four_weeks_before, s_setup),
        cmocka_unit_test_setup (test_agendered_is_archived_after_a_year_and_destroyed_after_five,
                                s_setup),
        cmocka_unit_test_setup (test_grace_delays_the_step_not_the_due_date, s_setup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
