/*  hourbudget: one by one up to a budget an hour, counted past it. */
#include "hourbudget.h"

bool
hour_budget_over (const hour_budget_t *b, uint64_t now_ms)
{
    return now_ms < b->since_ms || now_ms - b->since_ms >= HOUR_BUDGET_MS;
}

void
hour_budget_start (hour_budget_t *b, uint64_t now_ms)
{
    *b = (hour_budget_t){.since_ms = now_ms};
}

hour_budget_use_t
hour_budget_take (hour_budget_t *b, uint64_t max)
{
    if (b->taken < max) {
        b->taken++;
        return HOUR_BUDGET_TAKEN;
    }
    return b->counted++ == 0 ? HOUR_BUDGET_FIRST_COUNTED : HOUR_BUDGET_COUNTED;
}
