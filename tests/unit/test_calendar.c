/*  calendar: the Dutch days the convenant's dates are - where a roster
 *  date takes effect, when a four-week deadline ends, which agenda start
 *  is a real Dutch time.  Instants are written in UTC, so the tests say
 *  the same in any TZ.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"

#include <string.h>

/*  ms since the epoch of a UTC time. */
static uint64_t
s_utc (int y, int mon, int d, int h, int min)
{
    return (uint64_t) (kt_days_from_civil (y, mon, d) * 86400 + h * 3600 + min * 60) * 1000u;
}

static void
test_a_date_starts_at_dutch_midnight (void **state)
{
    (void) state;
    uint64_t ms = 0;
    /*  Winter: 23:00 UTC the day before; summer: 22:00. */
    assert_int_equal (kt_local_date_start_ms ("2026-12-08", &ms), 0);
    assert_true (ms == s_utc (2026, 12, 7, 23, 0));
    assert_int_equal (kt_local_date_start_ms ("2030-06-01", &ms), 0);
    assert_true (ms == s_utc (2030, 5, 31, 22, 0));
    /*  The days of the clock changes start before them (at 00:00). */
    assert_int_equal (kt_local_date_start_ms ("2026-03-29", &ms), 0);
    assert_true (ms == s_utc (2026, 3, 28, 23, 0));
    assert_int_equal (kt_local_date_start_ms ("2026-10-25", &ms), 0);
    assert_true (ms == s_utc (2026, 10, 24, 22, 0));
    /*  Only real dates. */
    assert_int_equal (kt_local_date_start_ms ("2026-02-29", &ms), -1);
    assert_int_equal (kt_local_date_start_ms ("2026-13-01", &ms), -1);
    assert_int_equal (kt_local_date_start_ms ("2026-1-01", &ms), -1);
    assert_int_equal (kt_local_date_start_ms ("2026-01-01x", &ms), -1);
    assert_int_equal (kt_local_date_start_ms ("", &ms), -1);
    assert_int_equal (kt_local_date_start_ms (NULL, &ms), -1);
    assert_int_equal (kt_local_date_start_ms ("2028-02-29", &ms), 0);
}

static void
test_days_on_count_from_the_dutch_day (void **state)
{
    (void) state;
    char out[11];
    /*  23:30 UTC on 7 December is 00:30 on the 8th in the Netherlands. */
    kt_local_date_on (s_utc (2026, 12, 7, 23, 30), 0, out);
    assert_string_equal (out, "2026-12-08");
    kt_local_date_on (s_utc (2026, 12, 7, 23, 30), 8, out);
    assert_string_equal (out, "2026-12-16");
    kt_local_date_on (s_utc (2026, 12, 7, 22, 30), 8, out);
    assert_string_equal (out, "2026-12-15");
    kt_local_date_on (s_utc (2026, 12, 31, 23, 0), 0, out);
    assert_string_equal (out, "2027-01-01");
    kt_local_date_on (s_utc (2027, 1, 1, 10, 0), -1, out);
    assert_string_equal (out, "2026-12-31");
}

static void
test_four_weeks_end_with_the_dutch_day (void **state)
{
    (void) state;
    /*  art. 12: decided (or received) on 1 December, at any hour: due at
     *  the end of 29 December, Dutch time. */
    uint64_t end = s_utc (2026, 12, 29, 23, 0) - 1;
    assert_true (kt_local_day_end_ms (s_utc (2026, 11, 30, 23, 0), 28) == end);
    assert_true (kt_local_day_end_ms (s_utc (2026, 12, 1, 10, 0), 28) == end);
    assert_true (kt_local_day_end_ms (s_utc (2026, 12, 1, 22, 59) + 59999, 28) == end);
    /*  00:30 Dutch time on 8 December (23:30 UTC on the 7th): the 8th
     *  counts, not the UTC day. */
    assert_true (kt_local_day_end_ms (s_utc (2026, 12, 7, 23, 30), 28) ==
                 s_utc (2027, 1, 5, 23, 0) - 1);
    /*  Across the spring change: the last day ends at 22:00 UTC. */
    assert_true (kt_local_day_end_ms (s_utc (2026, 3, 10, 12, 0), 28) ==
                 s_utc (2026, 4, 7, 22, 0) - 1);
    /*  Day 0 is the day itself. */
    assert_true (kt_local_day_end_ms (s_utc (2026, 12, 1, 10, 0), 0) ==
                 s_utc (2026, 12, 1, 23, 0) - 1);
}

static void
test_an_agenda_start_is_a_real_dutch_minute (void **state)
{
    (void) state;
    kt_reason_t r;
    assert_int_equal (kt_local_start_check ("starts_at", "2026-12-01T10:00", &r), 0);
    assert_int_equal (kt_local_start_check ("starts_at", "2028-02-29T23:59", &r), 0);
    /*  The hour the autumn change repeats is a time on the clock. */
    assert_int_equal (kt_local_start_check ("starts_at", "2026-10-25T02:30", &r), 0);
    static const char *const bad[] = {"2026-02-30T10:00",
                                      "2026-02-29T10:00",
                                      "2026-04-31T09:00",
                                      "2026-12-01T24:00",
                                      "2026-12-01T10:60",
                                      "2026-13-01T10:00",
                                      "2026-12-01 10:00",
                                      "2026-12-01T10:00Z",
                                      "1999-12-31T10:00",
                                      "2026-12-1T10:00",
                                      "",
                                      "2026-12-01T1a:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal (kt_local_start_check ("starts_at", bad[i], &r), -1);
        /*  The reason names the field and the value. */
        assert_non_null (strstr (r.text, "starts_at"));
        assert_non_null (strstr (r.text, bad[i]));
    }
    assert_int_equal (kt_local_start_check ("--start", NULL, &r), -1);
    assert_non_null (strstr (r.text, "--start"));
    /*  The spring change skips 02:00-02:59. */
    assert_int_equal (kt_local_start_check ("--start", "2026-03-29T02:30", &r), -1);
    assert_non_null (strstr (r.text, "does not exist in Dutch time"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_date_starts_at_dutch_midnight),
        cmocka_unit_test (test_days_on_count_from_the_dutch_day),
        cmocka_unit_test (test_four_weeks_end_with_the_dutch_day),
        cmocka_unit_test (test_an_agenda_start_is_a_real_dutch_minute),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
