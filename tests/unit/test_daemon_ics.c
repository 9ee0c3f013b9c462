/*  The agenda's iCalendar event lasts what the meeting says across a
 *  clock change: DTEND is the start plus duration_min of real time, in
 *  Dutch time (daemon/partner/ics.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The DTSTART and DTEND lines of a meeting at starts_at for minutes. */
static void
s_times (const char *starts_at, unsigned minutes, char start[80], char end[80])
{
    Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
    a.meeting_id = (char *) "m-1";
    a.starts_at = (char *) starts_at;
    a.duration_min = minutes;
    a.location = (char *) "Zaal 1";
    a.issued_ms = 1796600000000ull;
    size_t len;
    char *text = ics_format (&a, "test", "gemeente-test", false, &len);
    assert_non_null (text);
    *start = *end = '\0';
    for (char *l = strtok (text, "\r\n"); l; l = strtok (NULL, "\r\n")) {
        if (strncmp (l, "DTSTART", 7) == 0)
            snprintf (start, 80, "%s", l);
        if (strncmp (l, "DTEND", 5) == 0)
            snprintf (end, 80, "%s", l);
    }
    free (text);
}

static void
s_expect (const char *starts_at, unsigned minutes, const char *start, const char *end)
{
    char s[80], e[80];
    s_times (starts_at, minutes, s, e);
    if (strcmp (s, start) != 0 || strcmp (e, end) != 0)
        fail_msg ("%s + %u min: %s / %s; expected %s / %s", starts_at, minutes, s, e, start, end);
}

static void
test_the_end_is_the_start_plus_the_duration_in_real_time (void **state)
{
    (void) state;
    /*  No change: wall-clock and real time agree. */
    s_expect ("2027-06-01T10:00", 90, "DTSTART;TZID=Europe/Amsterdam:20270601T100000",
              "DTEND;TZID=Europe/Amsterdam:20270601T113000");
    s_expect ("2027-12-31T23:30", 60, "DTSTART;TZID=Europe/Amsterdam:20271231T233000",
              "DTEND;TZID=Europe/Amsterdam:20280101T003000");
    /*  Autumn: 23:00 CEST + 5 h is 03:00 CET (not 04:00). */
    s_expect ("2027-10-30T23:00", 300, "DTSTART;TZID=Europe/Amsterdam:20271030T230000",
              "DTEND;TZID=Europe/Amsterdam:20271031T030000");
    /*  23:00 CEST + 4 h is 02:00 CET, the second 02:00 of the night: a
     *  local 02:00 reads as the first (RFC 5545), so the end is in UTC. */
    s_expect ("2027-10-30T23:00", 240, "DTSTART;TZID=Europe/Amsterdam:20271030T230000",
              "DTEND:20271031T010000Z");
    /*  Spring: 23:00 CET + 4 h is 04:00 CEST (not 03:00). */
    s_expect ("2027-03-27T23:00", 240, "DTSTART;TZID=Europe/Amsterdam:20270327T230000",
              "DTEND;TZID=Europe/Amsterdam:20270328T040000");
    /*  A start in the repeated hour: its first (CEST) reading. */
    s_expect ("2027-10-31T02:30", 60, "DTSTART;TZID=Europe/Amsterdam:20271031T023000",
              "DTEND:20271031T013000Z");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_end_is_the_start_plus_the_duration_in_real_time),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
