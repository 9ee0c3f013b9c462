/*  uitvoerder_instance: a copy of a member's node running beside the
 *  original (docs/OPERATIONS.md, duplicate_instance).
 *
 *  Both copies hold the same keys, so the transport and the signatures
 *  cannot tell them apart; each ketend run draws an instance id of its
 *  own (Heartbeat.instance_id, never stored).  A restart replaces one id
 *  by another for good; two copies alive at once alternate.  So the
 *  alarm is a run heard again after another took over from it while it
 *  was still alive: never after a restart, a reconnect (same run, same
 *  id) or a silence.
 */
#include "uitvoerder.h"

#include <string.h>

instance_heard_t
uitvoerder_instance_heard (member_instances_t *w, const uint8_t id[UITVOERDER_INSTANCE_LEN],
                           uint64_t now_ms, uint64_t window_ms)
{
    if (!w->cur_seen_ms || memcmp (w->cur, id, UITVOERDER_INSTANCE_LEN) == 0) {
        memcpy (w->cur, id, UITVOERDER_INSTANCE_LEN);
        w->cur_seen_ms = now_ms ? now_ms : 1;
        return INSTANCE_SAME;
    }
    bool cur_alive = now_ms >= w->cur_seen_ms && now_ms - w->cur_seen_ms <= window_ms;
    /*  The run that was taken over from while it was alive, back: two
     *  runs at once, however long the first was silent in between. */
    bool back = w->prev_seen_ms && memcmp (w->prev, id, UITVOERDER_INSTANCE_LEN) == 0;
    /*  The one heard until now is kept as taken over from only if it
     *  was still alive; one that went silent first is a plain restart. */
    if (cur_alive) {
        memcpy (w->prev, w->cur, UITVOERDER_INSTANCE_LEN);
        w->prev_seen_ms = w->cur_seen_ms;
    } else
        w->prev_seen_ms = 0;
    memcpy (w->cur, id, UITVOERDER_INSTANCE_LEN);
    w->cur_seen_ms = now_ms ? now_ms : 1;
    uitvoerder_instance_ended (w, now_ms);
    if (!back)
        return INSTANCE_NEW;
    bool raised = uitvoerder_instance_duplicate (w, now_ms);
    w->duplicate_last_ms = now_ms;
    if (raised)
        return INSTANCE_AGAIN;
    w->duplicate_since_ms = now_ms ? now_ms : 1;
    return INSTANCE_DUPLICATE;
}

bool
uitvoerder_instance_duplicate (const member_instances_t *w, uint64_t now_ms)
{
    /*  A clock set back keeps it raised: the hour counts from the last
     *  alternation as this clock saw it. */
    return w->duplicate_since_ms && (now_ms < w->duplicate_last_ms ||
                                     now_ms - w->duplicate_last_ms < UITVOERDER_DUPLICATE_HOLD_MS);
}

bool
uitvoerder_instance_ended (member_instances_t *w, uint64_t now_ms)
{
    if (!w->duplicate_since_ms || uitvoerder_instance_duplicate (w, now_ms))
        return false;
    w->duplicate_since_ms = 0;
    return true;
}
