/*  uitvoerder_instance: a copy of a member's node running beside the
 *  original (docs/OPERATIONS.md, duplicate_instance).
 *
 *  Both copies hold the same keys, so the transport and the signatures
 *  cannot tell them apart; each ketend run draws an instance id of its
 *  own (Heartbeat.instance_id, never stored).  A restart replaces one id
 *  by another for good; two copies alive at once alternate.  So the
 *  alarm is a run heard again after another took over from it while it
 *  was still alive: never after a restart, a reconnect (same run, same
 *  id) or a silence.  A few such runs are remembered, so that three or
 *  more copies heard in turn are seen too.  Once a member has named its
 *  run, a heartbeat naming none is a run of its own (an older release
 *  started from a copy beside it); one that never named one is not
 *  judged.  All of it is in memory, on the monotonic clock.
 */
#include "uitvoerder.h"

#include <string.h>

/*  The run of a member's ketend that names none (an older release). */
static const uint8_t s_unnamed[UITVOERDER_INSTANCE_LEN];

static size_t
s_taken_find (const member_instances_t *w, const uint8_t *id)
{
    for (size_t i = 0; i < w->n_taken; i++)
        if (memcmp (w->taken[i], id, UITVOERDER_INSTANCE_LEN) == 0)
            return i;
    return w->n_taken;
}

static void
s_taken_drop (member_instances_t *w, size_t i)
{
    if (i >= w->n_taken)
        return;
    memmove (w->taken[i], w->taken[i + 1], (w->n_taken - i - 1) * UITVOERDER_INSTANCE_LEN);
    w->n_taken--;
}

/*  The run heard until now was taken over from while alive: remembered,
 *  the oldest forgotten when there are too many. */
static void
s_taken_add (member_instances_t *w, const uint8_t *id)
{
    s_taken_drop (w, s_taken_find (w, id));
    if (w->n_taken == UITVOERDER_INSTANCE_TAKEN)
        s_taken_drop (w, 0);
    memcpy (w->taken[w->n_taken++], id, UITVOERDER_INSTANCE_LEN);
}

instance_heard_t
uitvoerder_instance_heard (member_instances_t *w, const uint8_t *id, size_t len, uint64_t mono,
                           uint64_t wall_ms, uint64_t window_ms)
{
    if (len == UITVOERDER_INSTANCE_LEN && id)
        w->named = true;
    else if (!w->named)
        return INSTANCE_UNJUDGED;
    else
        id = s_unnamed;
    mono = mono ? mono : 1;
    if (!w->cur_seen || memcmp (w->cur, id, UITVOERDER_INSTANCE_LEN) == 0) {
        memcpy (w->cur, id, UITVOERDER_INSTANCE_LEN);
        w->cur_seen = mono;
        return INSTANCE_SAME;
    }
    bool cur_alive = mono >= w->cur_seen && mono - w->cur_seen <= window_ms;
    /*  A run that was taken over from while it was alive, back: two
     *  runs at once, however long it was silent in between. */
    size_t at = s_taken_find (w, id);
    bool back = at < w->n_taken;
    s_taken_drop (w, at);
    /*  The one heard until now is kept as taken over from only if it
     *  was still alive; one that went silent first is a plain restart. */
    if (cur_alive)
        s_taken_add (w, w->cur);
    else
        w->n_taken = 0;
    memcpy (w->cur, id, UITVOERDER_INSTANCE_LEN);
    w->cur_seen = mono;
    uitvoerder_instance_ended (w, mono);
    if (!back)
        return INSTANCE_NEW;
    bool raised = uitvoerder_instance_duplicate (w, mono);
    w->duplicate_last = mono;
    w->duplicate_last_ms = wall_ms;
    if (raised)
        return INSTANCE_AGAIN;
    w->duplicate_since = mono;
    return INSTANCE_DUPLICATE;
}

bool
uitvoerder_instance_duplicate (const member_instances_t *w, uint64_t mono)
{
    /*  The monotonic clock never goes back; should it seem to, it is
     *  held rather than dropped. */
    return w->duplicate_since &&
           (mono < w->duplicate_last || mono - w->duplicate_last < UITVOERDER_DUPLICATE_HOLD_MS);
}

bool
uitvoerder_instance_ended (member_instances_t *w, uint64_t mono)
{
    if (!w->duplicate_since || uitvoerder_instance_duplicate (w, mono))
        return false;
    w->duplicate_since = 0;
    return true;
}
