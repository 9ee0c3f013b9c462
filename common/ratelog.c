/*  ratelog: a rate limit for repeating log lines (ratelog.h).
 *
 *  Invariants:
 *  - a slot is free exactly when its event is NULL; a new pair prefers a
 *    free slot, so slots are recycled only when all RATELOG_SLOTS are
 *    taken;
 *  - a line left out is counted exactly once: in its pair's slot
 *    (repeats, reported with that pair's next line) or, when the budget
 *    left it out before it had a slot, in left_out (reported with the
 *    next line of any pair); a pair forgotten (ratelog_forget) takes its
 *    repeats with it, since no line of it follows.
 */
#include "ratelog.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  A repeating line, last written at_us. */
typedef struct {
    const char *event; /* a fixed word, borrowed; NULL: a free slot */
    uint64_t key;
    uint64_t at_us;
    unsigned repeats; /* left out since */
} ratelog_slot_t;

struct _ratelog_t {
    ratelog_slot_t slots[RATELOG_SLOTS];
    uint64_t window_us; /* start of the current window of lines */
    unsigned lines;     /* lines written in it */
    unsigned left_out;  /* lines of no slot left out for the budget */
    char note[48];      /* what the line ratelog_due allowed adds */
};

ratelog_t *
ratelog_new (void)
{
    return calloc (1, sizeof (ratelog_t));
}

void
ratelog_destroy (ratelog_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

bool
ratelog_due (ratelog_t *self, const char *event, uint64_t key, uint64_t now_us)
{
    if (now_us - self->window_us >= RATELOG_INTERVAL_US) {
        self->window_us = now_us;
        self->lines = 0;
    }
    ratelog_slot_t *slot = NULL, *oldest = &self->slots[0];
    for (size_t i = 0; i < RATELOG_SLOTS && !slot; i++) {
        ratelog_slot_t *q = &self->slots[i];
        if (q->event && q->key == key && strcmp (q->event, event) == 0)
            slot = q;
        else if (!q->event || (oldest->event && q->at_us < oldest->at_us))
            oldest = q;
    }
    if (slot && now_us - slot->at_us < RATELOG_INTERVAL_US) {
        slot->repeats++;
        return false;
    }
    if (self->lines >= RATELOG_BUDGET) {
        if (slot)
            slot->repeats++;
        else
            self->left_out++;
        return false;
    }
    unsigned repeats = slot ? slot->repeats : 0;
    if (!slot)
        slot = oldest;
    *slot = (ratelog_slot_t){event, key, now_us, 0};
    self->lines++;
    int len = 0;
    self->note[0] = '\0';
    if (repeats)
        len = snprintf (self->note, sizeof self->note, " repeated=%u", repeats);
    if (self->left_out && len >= 0 && (size_t) len < sizeof self->note)
        snprintf (self->note + len, sizeof self->note - (size_t) len, " suppressed=%u",
                  self->left_out);
    self->left_out = 0;
    return true;
}

const char *
ratelog_note (const ratelog_t *self)
{
    return self->note;
}

void
ratelog_forget (ratelog_t *self, uint64_t key)
{
    for (size_t i = 0; i < RATELOG_SLOTS; i++)
        if (self->slots[i].event && self->slots[i].key == key)
            self->slots[i] = (ratelog_slot_t){0};
}

bool
ratelog_one_due (ratelog_one_t *self, bool changed, uint64_t now_us, unsigned *repeated)
{
    bool quiet = self->at_us && now_us - self->at_us < RATELOG_INTERVAL_US;
    if (quiet || (!changed && !self->left_out)) {
        self->left_out += changed;
        return false;
    }
    *repeated = self->left_out;
    self->left_out = 0;
    self->at_us = now_us ? now_us : 1;
    return true;
}

/*  A peer's line of one event (ratelog.h, "Lines a peer's messages
 *  cause"): a slot is free exactly when its event is empty; a line left
 *  out is in counted until the slot's count is said. */
typedef struct {
    char event[RATELOG_PEER_EVENT];
    char peer[RATELOG_PEER_ID];
    uint64_t window_us; /* when its window began */
    unsigned lines;     /* written in it */
    unsigned counted;   /* left out in it */
} ratelog_peer_slot_t;

struct _ratelog_peer_t {
    ratelog_peer_slot_t slots[RATELOG_PEER_SLOTS];
};

ratelog_peer_t *
ratelog_peer_new (void)
{
    return calloc (1, sizeof (ratelog_peer_t));
}

void
ratelog_peer_destroy (ratelog_peer_t **self_p)
{
    if (*self_p)
        ratelog_peer_flush (*self_p, 0, true);
    free (*self_p);
    *self_p = NULL;
}

/*  Say slot's count, if any, and free it. */
static void
s_peer_close (ratelog_peer_slot_t *slot)
{
    if (slot->counted)
        kt_log (KT_LOG_WARN, "%s_counted peer=%s count=%u", slot->event, slot->peer, slot->counted);
    *slot = (ratelog_peer_slot_t){0};
}

/*  The slot of (event, peer), or a free one made ready for it: the one
 *  whose window began first is closed for it when none is free. */
static ratelog_peer_slot_t *
s_peer_slot (ratelog_peer_t *self, const char *event, const char *peer, uint64_t now_us)
{
    ratelog_peer_slot_t *free_slot = NULL, *oldest = &self->slots[0];
    for (size_t i = 0; i < RATELOG_PEER_SLOTS; i++) {
        ratelog_peer_slot_t *q = &self->slots[i];
        if (!q->event[0]) {
            if (!free_slot)
                free_slot = q;
            continue;
        }
        if (strncmp (q->event, event, sizeof q->event - 1) == 0 &&
            strncmp (q->peer, peer, sizeof q->peer - 1) == 0)
            return q;
        if (q->window_us < oldest->window_us || !oldest->event[0])
            oldest = q;
    }
    ratelog_peer_slot_t *slot = free_slot ? free_slot : oldest;
    s_peer_close (slot);
    snprintf (slot->event, sizeof slot->event, "%s", event);
    snprintf (slot->peer, sizeof slot->peer, "%s", peer);
    slot->window_us = now_us;
    return slot;
}

bool
ratelog_peer_due (ratelog_peer_t *self, const char *event, const char *peer, uint64_t now_us)
{
    ratelog_peer_slot_t *slot = s_peer_slot (self, event, peer, now_us);
    if (now_us - slot->window_us >= RATELOG_INTERVAL_US) {
        /*  A new window: the last one's count first. */
        char keep_event[RATELOG_PEER_EVENT], keep_peer[RATELOG_PEER_ID];
        memcpy (keep_event, slot->event, sizeof keep_event);
        memcpy (keep_peer, slot->peer, sizeof keep_peer);
        s_peer_close (slot);
        memcpy (slot->event, keep_event, sizeof keep_event);
        memcpy (slot->peer, keep_peer, sizeof keep_peer);
        slot->window_us = now_us;
    }
    if (slot->lines < RATELOG_PEER_LINES) {
        slot->lines++;
        return true;
    }
    slot->counted++;
    return false;
}

void
ratelog_peer_flush (ratelog_peer_t *self, uint64_t now_us, bool all)
{
    for (size_t i = 0; i < RATELOG_PEER_SLOTS; i++) {
        ratelog_peer_slot_t *q = &self->slots[i];
        if (q->event[0] && (all || now_us - q->window_us >= RATELOG_INTERVAL_US))
            s_peer_close (q);
    }
}
