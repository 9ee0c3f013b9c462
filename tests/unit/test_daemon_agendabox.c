/*  agendabox_check: a received agenda's start is a real Dutch minute, as
 *  the uitvoerder planned it (meeting.c), not only of its shape: the
 *  start is kept, listed, sorted and put into an .ics as it came.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agendabox.h"

#include <string.h>

/*  Check a weegploeg agenda of one item starting at starts_at. */
static int
s_check (const char *starts_at, kt_reason_t *r)
{
    Keten__AgendaSignal g = KETEN__AGENDA_SIGNAL__INIT;
    Keten__AgendaSignal *gs[1] = {&g};
    g.sender = "politie-test";
    g.category = "uitingen";
    g.observed_on = "2026-01-10";
    g.source_kind = "eigen";
    g.description = "Fictional test signal.";
    Keten__Subject s = KETEN__SUBJECT__INIT;
    s.name = "Fictief Persoon";
    s.birth_date = "2001-04-12";
    s.address = "";
    s.municipality = "Maastricht";
    Keten__AgendaItem it = KETEN__AGENDA_ITEM__INIT;
    Keten__AgendaItem *items[1] = {&it};
    it.case_ref = "k-0123456789abcdef";
    it.subject = &s;
    it.signals = gs;
    it.n_signals = 1;
    Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
    a.kind = KETEN__WEEGPLOEG_AGENDA__KIND__WEEGPLOEG;
    a.meeting_id = "w-0123456789abcdef";
    a.sequence = 1;
    a.starts_at = (char *) starts_at;
    a.duration_min = 90;
    a.location = "Stadhuis";
    a.items = items;
    a.n_items = 1;
    a.issued_ms = 1;
    return agendabox_check (&a, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, false, r);
}

static void
test_a_real_dutch_start_is_taken (void **state)
{
    (void) state;
    kt_reason_t r;
    if (s_check ("2026-12-01T10:00", &r) != 0)
        fail_msg ("%s", r.text);
    /*  The hour the autumn change repeats is on the clock. */
    if (s_check ("2026-10-25T02:30", &r) != 0)
        fail_msg ("%s", r.text);
}

static void
test_a_start_that_is_no_dutch_time_is_refused (void **state)
{
    (void) state;
    kt_reason_t r;
    static const char *const bad[] = {"2026-02-30T10:00", "2026-04-31T10:00", "2026-12-01T24:00",
                                      "2026-12-01T10:61", "2026-00-10T10:00", "1999-12-31T10:00",
                                      "2026-03-29T02:30"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal (s_check (bad[i], &r), -1);
        /*  The reason names the field. */
        assert_non_null (strstr (r.text, "agenda: starts_at"));
    }
    assert_int_equal (s_check ("2026-12-01T10:0", &r), -1);
    assert_non_null (strstr (r.text, "starts_at"));
    assert_int_equal (s_check (NULL, &r), -1);
    assert_non_null (strstr (r.text, "starts_at"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_real_dutch_start_is_taken),
        cmocka_unit_test (test_a_start_that_is_no_dutch_time_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
