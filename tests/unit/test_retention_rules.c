/*  retention_plan: art. 13's schedule, written out from the convenant
 *  with the roster's day counts (183, 365, 1826 days) and the calendar
 *  months and years the convenant names (Europe/Amsterdam).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
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
    /*  T0 is 2026-05-28 22:26 in Amsterdam: kept 5 calendar years, then
     *  destroyed from the day after (2031-05-29 00:00). */
    uint64_t five = kt_local_midnight_ms (2031, 5, 29);
    p = s_plan (true, true, true, 0, T0 + 1826 * DAY);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_string_equal (p.rule, "destroy");
    assert_true (p.due_ms == five);
    p = s_plan (true, true, true, 0, five);
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

/*  13.3 "een maximumtermijn van 6 maanden": 183 days run past 6
 *  calendar months from the end of August; the schedule stops at the
 *  start of the day 6 months on, the partners' grace included. */
static void
test_six_months_are_calendar_months (void **state)
{
    (void) state;
    retention_facts_t f = {kt_local_midnight_ms (2026, 8, 31) + 12 * 3600 * 1000ULL, false, true,
                           false};
    uint64_t cap = kt_local_midnight_ms (2027, 2, 28);
    assert_true (cap < f.last_ms + 183 * DAY);
    retention_plan_t p;
    retention_plan (&s_roster, &f, 0, cap - 1, &p);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_true (p.due_ms == cap);
    retention_plan (&s_roster, &f, RETENTION_GRACE_MS, cap, &p);
    assert_int_equal (p.step, RETENTION_DESTROY);
    /*  A shorter period of the roster's is kept to. */
    s_roster.retention_not_agendered_days = 90;
    retention_plan (&s_roster, &f, 0, f.last_ms + 90 * DAY, &p);
    assert_int_equal (p.step, RETENTION_DESTROY);
}

/*  13.2 "uiterlijk 1 jaar", 13.1 "gedurende een termijn van 5 jaar":
 *  from 2027-03-01 a year holds a leap day and 5 years two. */
static void
test_a_year_and_five_years_are_calendar_years (void **state)
{
    (void) state;
    uint64_t last = kt_local_midnight_ms (2027, 3, 1) + 12 * 3600 * 1000ULL;
    retention_facts_t f = {last, true, true, false};
    retention_plan_t p;
    /*  365 days is within the year; the partner's grace day would not
     *  be, so it stops at the year. */
    retention_plan (&s_roster, &f, 0, last, &p);
    assert_true (p.due_ms == last + 365 * DAY);
    uint64_t year = kt_local_midnight_ms (2028, 3, 1);
    retention_plan (&s_roster, &f, RETENTION_GRACE_MS, year - 1, &p);
    assert_int_equal (p.step, RETENTION_KEEP);
    retention_plan (&s_roster, &f, RETENTION_GRACE_MS, year, &p);
    assert_int_equal (p.step, RETENTION_ARCHIVE);
    /*  1826 days after would be a day short of 5 years. */
    f.archived = true;
    uint64_t five = kt_local_midnight_ms (2032, 3, 2);
    assert_true (five > last + 1826 * DAY);
    retention_plan (&s_roster, &f, 0, last + 1826 * DAY, &p);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_true (p.due_ms == five);
    retention_plan (&s_roster, &f, 0, five, &p);
    assert_int_equal (p.step, RETENTION_DESTROY);
    /*  The day after is a local day: 25 hours when the clocks go back
     *  on the anniversary (2028-10-29). */
    retention_facts_t oct = {kt_local_midnight_ms (2023, 10, 29) + 23 * 3600 * 1000ULL, true, true,
                             true};
    retention_plan (&s_roster, &oct, 0,
                    kt_local_midnight_ms (2028, 10, 29) + (24 * 3600 + 1800) * 1000ULL, &p);
    assert_int_equal (p.step, RETENTION_KEEP);
    assert_true (p.due_ms == kt_local_midnight_ms (2028, 10, 30));
    /*  Nor does a shorter period of the roster's shorten it. */
    s_roster.retention_destroy_days = 400;
    retention_plan (&s_roster, &f, 0, last + 1000 * DAY, &p);
    assert_int_equal (p.step, RETENTION_KEEP);
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
        cmocka_unit_test_setup (test_six_months_are_calendar_months, s_setup),
        cmocka_unit_test_setup (test_a_year_and_five_years_are_calendar_years, s_setup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
