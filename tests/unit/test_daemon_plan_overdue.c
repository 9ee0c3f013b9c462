/*  A plan measure is overdue after its due date on the Dutch calendar
 *  (Europe/Amsterdam, common/calendar.h), whatever TZ the daemon runs
 *  in: plan_overdue and the API's "overdue" (render_plan) agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "plan.h"
#include "render.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_set_tz (const char *tz)
{
    if (tz)
        setenv ("TZ", tz, 1);
    else
        unsetenv ("TZ");
    tzset ();
}

/*  plan_overdue and render_plan's "overdue" of a plan with one open
 *  measure due on due_on, under TZ tz. */
static void
s_expect (const char *tz, const char *due_on, bool overdue)
{
    Keten__PlanMeasure m = KETEN__PLAN_MEASURE__INIT;
    m.measure_id = (char *) "m-1";
    m.owner = (char *) "rvdk-test";
    m.what = (char *) "Raadsonderzoek starten.";
    m.due_on = (char *) due_on;
    m.status = KETEN__MEASURE_STATUS__OPEN;
    m.progress_note = (char *) "";
    Keten__PlanMeasure *ms[] = {&m};
    Keten__CasePlan p = KETEN__CASE_PLAN__INIT;
    p.case_ref = (char *) "c-1";
    p.n_measures = 1;
    p.measures = ms;
    s_set_tz (tz);
    size_t n = plan_overdue (&p, NULL);
    json_t *j = render_plan (&p);
    s_set_tz (NULL);
    assert_non_null (j);
    json_t *flag = json_object_get (json_array_get (json_object_get (j, "measures"), 0), "overdue");
    bool rendered = json_is_true (flag);
    json_decref (j);
    if (n != (overdue ? 1u : 0u) || rendered != overdue)
        fail_msg ("TZ=%s, due %s: plan_overdue %zu, rendered overdue %d; expected %d", tz, due_on,
                  n, rendered, overdue);
}

static void
test_overdue_follows_the_dutch_day_not_the_tz (void **state)
{
    (void) state;
    char yesterday[11], today[11];
    uint64_t now = kt_now_ms ();
    kt_local_date (now, today);
    kt_local_date (now - 86400000, yesterday);
    /*  A TZ a day behind the Dutch day and one a day ahead of it. */
    static const char *const tzs[] = {"<-24>+24", "<+24>-24", "UTC", "Europe/Amsterdam"};
    for (size_t i = 0; i < sizeof tzs / sizeof *tzs; i++) {
        s_expect (tzs[i], yesterday, true);
        s_expect (tzs[i], today, false);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_overdue_follows_the_dutch_day_not_the_tz),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
