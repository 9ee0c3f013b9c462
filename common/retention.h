/*  retention: the convenant's schedule for one subject (art. 13), as one
 *  pure function both roles run - the uitvoerder on its files, every
 *  other node on its copies as a safety net (docs/RETENTION.md).
 *
 *  - 13.3: a subject never agendered (no decision, or niet agenderen) is
 *    destroyed retention/not-agendered-days after its last processing;
 *    one that never got a decision is warned about RETENTION_WARN_MS
 *    before, so the weegploeg can still weigh it.
 *  - 13.2: an agendered one is archived retention/archive-days after its
 *    last processing,
 *  - 13.1: and destroyed retention/destroy-days after it.
 *
 *  "Last processing" is computed by each role from what it holds; the
 *  list of what counts is in docs/RETENTION.md.
 */
#ifndef KETEN_RETENTION_H
#define KETEN_RETENTION_H

#include "roster.h"

#include <stdbool.h>
#include <stdint.h>

#define RETENTION_DAY_MS (86400ULL * 1000)
/*  keten status warns four weeks before a 13.3 destruction. */
#define RETENTION_WARN_MS (28 * RETENTION_DAY_MS)
/*  A node other than the uitvoerder applies its own schedule this much
 *  later, so the uitvoerder's notice, which knows the whole federation's
 *  last processing, normally comes first. */
#define RETENTION_GRACE_MS RETENTION_DAY_MS

typedef enum {
    RETENTION_KEEP = 0, /* nothing due now */
    RETENTION_ARCHIVE,
    RETENTION_DESTROY,
} retention_step_t;

/*  What a role knows of one subject. */
typedef struct {
    uint64_t last_ms; /* its last processing */
    bool agendered;   /* a decision agenderen opened a case (art. 7.4) */
    bool decided;     /* some weegploeg decision was taken on it */
    bool archived;    /* archived already (art. 13.2) */
} retention_facts_t;

typedef struct {
    retention_step_t step; /* due now */
    /*  The rule that applies next, or applied: "not-agendered" (13.3),
     *  "archive" (13.2), "destroy" (13.1). */
    const char *rule;
    uint64_t due_ms; /* when it applies (before grace) */
    bool warn;       /* an undecided subject within RETENTION_WARN_MS of 13.3 */
} retention_plan_t;

/*  The schedule of the subject facts describes under roster's periods at
 *  now_ms; a step is due once now_ms >= due_ms + grace_ms. */
void retention_plan (const roster_t *roster, const retention_facts_t *facts, uint64_t grace_ms,
                     uint64_t now_ms, retention_plan_t *out);

/*  "archive", "destroy", "reopen" for the wire's action; NULL otherwise. */
const char *retention_action_name (int action);

#endif
