/*  hourbudget: what a party may have done one by one in an hour, and what
 *  it did past that, counted - the refusal budgets that keep a party from
 *  stalling a node or growing its records by asking without end (the
 *  uitvoerder's per member, a node's local API per caller).
 */
#ifndef KETEN_HOURBUDGET_H
#define KETEN_HOURBUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define HOUR_BUDGET_MS 3600000u

typedef struct {
    uint64_t since_ms; /* when the present hour began */
    uint64_t taken;    /* done one by one in it */
    uint64_t counted;  /* past the budget in it */
} hour_budget_t;

typedef enum {
    HOUR_BUDGET_TAKEN,         /* within the budget: to be done one by one */
    HOUR_BUDGET_COUNTED,       /* past it: counted */
    HOUR_BUDGET_FIRST_COUNTED, /* the first past it (worth saying once) */
} hour_budget_use_t;

/*  Whether b's hour is over at now_ms (a clock set back ends it too). */
bool hour_budget_over (const hour_budget_t *b, uint64_t now_ms);
/*  b begun again at now_ms, with nothing taken or counted. */
void hour_budget_start (hour_budget_t *b, uint64_t now_ms);
/*  One more, with at most max taken one by one in the hour. */
hour_budget_use_t hour_budget_take (hour_budget_t *b, uint64_t max);

#endif
