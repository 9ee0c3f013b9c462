/*  retention: art. 13's schedule for one subject.  */
#include "retention.h"

#include "calendar.h"
#include "keten.pb-c.h"

#include <stdlib.h>

/*  The local midnight that starts the day `months` calendar months after
 *  ms's local day (Europe/Amsterdam), the day of the month cut to the
 *  month's last, and `days` days on from there (a local day: 23 or 25
 *  hours when the clocks change): with days 0, never more than that many
 *  months after ms. */
static uint64_t
s_months_on (uint64_t ms, int months, int days)
{
    char day[11];
    kt_local_date (ms, day);
    int y = atoi (day), m = atoi (day + 5), d = atoi (day + 8);
    kt_months_on (y, m, d, months, &y, &m, &d);
    return kt_local_midnight_ms (y, m, d + days);
}

static uint64_t
s_min (uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

void
retention_plan (const roster_t *roster, const retention_facts_t *facts, uint64_t grace_ms,
                uint64_t now_ms, retention_plan_t *out)
{
    *out = (retention_plan_t) {RETENTION_KEEP, "destroy", 0, false};
    uint64_t last = facts->last_ms;
    if (!facts->agendered && !facts->archived) {
        /*  13.3: "een maximumtermijn van 6 maanden": the roster's days, and
         *  never past 6 calendar months, the grace included. */
        uint64_t cap = s_months_on (last, 6, 0);
        out->rule = "not-agendered";
        out->due_ms = s_min (last + roster->retention_not_agendered_days * RETENTION_DAY_MS, cap);
        out->warn = !facts->decided && now_ms + RETENTION_WARN_MS >= out->due_ms;
        if (now_ms >= s_min (out->due_ms + grace_ms, cap))
            out->step = RETENTION_DESTROY;
        return;
    }
    /*  13.1: kept "gedurende een termijn van 5 jaar" and then destroyed:
     *  from the day after 5 calendar years, whatever shorter the roster
     *  says.  13.2: archived "uiterlijk 1 jaar" after, the grace
     *  included. */
    uint64_t destroy_ms = last + roster->retention_destroy_days * RETENTION_DAY_MS;
    uint64_t five_years = s_months_on (last, 60, 1);
    if (destroy_ms < five_years)
        destroy_ms = five_years;
    uint64_t year_cap = s_months_on (last, 12, 0);
    uint64_t archive_ms =
        s_min (last + roster->retention_archive_days * RETENTION_DAY_MS, year_cap);
    if (facts->archived || now_ms >= destroy_ms + grace_ms) {
        out->due_ms = destroy_ms;
        if (now_ms >= destroy_ms + grace_ms)
            out->step = RETENTION_DESTROY;
        return;
    }
    out->rule = "archive";
    out->due_ms = archive_ms;
    if (now_ms >= s_min (archive_ms + grace_ms, year_cap))
        out->step = RETENTION_ARCHIVE;
}

const char *
retention_action_name (int action)
{
    switch (action) {
    case KETEN__RETENTION_ACTION__ARCHIVE:
        return "archive";
    case KETEN__RETENTION_ACTION__DESTROY:
        return "destroy";
    case KETEN__RETENTION_ACTION__REOPEN:
        return "reopen";
    default:
        return NULL;
    }
}
