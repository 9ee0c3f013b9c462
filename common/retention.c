/*  retention: art. 13's schedule for one subject.  */
#include "retention.h"

#include "keten.pb-c.h"

void
retention_plan (const roster_t *roster, const retention_facts_t *facts, uint64_t grace_ms,
                uint64_t now_ms, retention_plan_t *out)
{
    *out = (retention_plan_t) {RETENTION_KEEP, "destroy", 0, false};
    uint64_t last = facts->last_ms;
    if (!facts->agendered && !facts->archived) {
        out->rule = "not-agendered";
        out->due_ms = last + roster->retention_not_agendered_days * RETENTION_DAY_MS;
        out->warn = !facts->decided && now_ms + RETENTION_WARN_MS >= out->due_ms;
        if (now_ms >= out->due_ms + grace_ms)
            out->step = RETENTION_DESTROY;
        return;
    }
    uint64_t destroy_ms = last + roster->retention_destroy_days * RETENTION_DAY_MS;
    uint64_t archive_ms = last + roster->retention_archive_days * RETENTION_DAY_MS;
    if (facts->archived || now_ms >= destroy_ms + grace_ms) {
        out->due_ms = destroy_ms;
        if (now_ms >= destroy_ms + grace_ms)
            out->step = RETENTION_DESTROY;
        return;
    }
    out->rule = "archive";
    out->due_ms = archive_ms;
    if (now_ms >= archive_ms + grace_ms)
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
