/*  clockcheck: whether the federation confirms this node's wall clock
 *  (clockcheck.h). */
#include "clockcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char peer[KEYS_ID_MAX + 1];
    int64_t skew_ms;
    uint64_t mono_ms;   /* when measured; 0: never */
    int64_t wall_at_ms; /* the wall clock less the monotonic one then */
    bool agrees;
} s_peer_t;

struct clockcheck_t {
    s_peer_t *peers;
    size_t n, cap;
    /*  The operator's confirmation: until when (monotonic; 0: none) and
     *  the wall clock less the monotonic one when it was given. */
    uint64_t operator_until_mono_ms;
    int64_t operator_wall_at_ms;
};

clockcheck_t *
clockcheck_new (void)
{
    return calloc (1, sizeof (clockcheck_t));
}

void
clockcheck_destroy (clockcheck_t **self_p)
{
    if (!*self_p)
        return;
    free ((*self_p)->peers);
    free (*self_p);
    *self_p = NULL;
}

static uint64_t
s_abs (int64_t v)
{
    return v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
}

/*  The peer's record, made if new; NULL: out of memory or a name too long. */
static s_peer_t *
s_find (clockcheck_t *self, const char *peer)
{
    if (strlen (peer) > KEYS_ID_MAX)
        return NULL;
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->peers[i].peer, peer) == 0)
            return &self->peers[i];
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        s_peer_t *more = realloc (self->peers, cap * sizeof *more);
        if (!more)
            return NULL;
        self->peers = more;
        self->cap = cap;
    }
    s_peer_t *p = &self->peers[self->n++];
    memset (p, 0, sizeof *p);
    snprintf (p->peer, sizeof p->peer, "%s", peer);
    return p;
}

clockcheck_heard_t
clockcheck_heard (clockcheck_t *self, const char *peer, int64_t skew_ms, uint64_t mono_ms,
                  uint64_t wall_ms, uint64_t tolerance_ms)
{
    s_peer_t *p = s_find (self, peer);
    if (!p)
        return CLOCKCHECK_HEARD_SAME;
    bool agrees = s_abs (skew_ms) <= tolerance_ms;
    bool changed = !p->mono_ms || p->agrees != agrees;
    p->skew_ms = skew_ms;
    /*  0 means never: a measurement at the monotonic clock's 0 counts. */
    p->mono_ms = mono_ms ? mono_ms : 1;
    p->wall_at_ms = (int64_t) wall_ms - (int64_t) mono_ms;
    p->agrees = agrees;
    if (!changed)
        return CLOCKCHECK_HEARD_SAME;
    return agrees ? CLOCKCHECK_HEARD_AGREES : CLOCKCHECK_HEARD_DISAGREES;
}

void
clockcheck_operator_confirm (clockcheck_t *self, uint64_t mono_ms, uint64_t wall_ms,
                             uint64_t for_ms)
{
    if (for_ms > CLOCKCHECK_OPERATOR_MAX_MS)
        for_ms = CLOCKCHECK_OPERATOR_MAX_MS;
    self->operator_until_mono_ms = for_ms ? mono_ms + for_ms : 0;
    self->operator_wall_at_ms = (int64_t) wall_ms - (int64_t) mono_ms;
}

/*  The operator's confirmation as it stands, without forgetting it. */
static clockcheck_operator_t
s_operator (const clockcheck_t *self, uint64_t mono_ms, uint64_t wall_ms, int64_t *step_ms)
{
    if (!self->operator_until_mono_ms)
        return CLOCKCHECK_OPERATOR_NONE;
    int64_t step = ((int64_t) wall_ms - (int64_t) mono_ms) - self->operator_wall_at_ms;
    if (step_ms)
        *step_ms = step;
    if (s_abs (step) > CLOCKCHECK_OPERATOR_STEP_MS)
        return CLOCKCHECK_OPERATOR_STEPPED;
    if (mono_ms >= self->operator_until_mono_ms)
        return CLOCKCHECK_OPERATOR_ENDED;
    return CLOCKCHECK_OPERATOR_IN_FORCE;
}

clockcheck_operator_t
clockcheck_operator (clockcheck_t *self, uint64_t mono_ms, uint64_t wall_ms, int64_t *step_ms)
{
    clockcheck_operator_t o = s_operator (self, mono_ms, wall_ms, step_ms);
    /*  Void for good: a clock stepped back to where it was confirms
     *  nothing the operator did not check. */
    if (o == CLOCKCHECK_OPERATOR_ENDED || o == CLOCKCHECK_OPERATOR_STEPPED)
        self->operator_until_mono_ms = 0;
    return o;
}

clockcheck_verdict_t
clockcheck_verdict (const clockcheck_t *self, uint64_t mono_ms, uint64_t wall_ms,
                    uint64_t tolerance_ms)
{
    clockcheck_verdict_t v = {0};
    int64_t wall_now = (int64_t) wall_ms - (int64_t) mono_ms;
    for (size_t i = 0; i < self->n; i++) {
        const s_peer_t *p = &self->peers[i];
        if (!p->mono_ms || mono_ms < p->mono_ms || mono_ms - p->mono_ms > CLOCKCHECK_FRESH_MS)
            continue;
        /*  Our wall clock stepped since the measurement (date -s, a time
         *  source gone wrong) by as much as it moved against the
         *  monotonic one: the peer's clock less ours is now that much
         *  less.  So a step made while the peers are silent is judged,
         *  not confirmed by what they said of the clock before it. */
        int64_t skew = p->skew_ms - (wall_now - p->wall_at_ms);
        /*  Judged again: the tolerance may have been configured anew. */
        if (s_abs (skew) <= tolerance_ms) {
            v.agree++;
            continue;
        }
        v.disagree++;
        if (v.disagree == 1 || s_abs (skew) > s_abs (v.skew_ms)) {
            v.skew_ms = skew;
            snprintf (v.peer, sizeof v.peer, "%s", p->peer);
        }
    }
    v.confirmed = v.agree > 0 && v.agree >= v.disagree;
    if (s_operator (self, mono_ms, wall_ms, NULL) == CLOCKCHECK_OPERATOR_IN_FORCE) {
        v.operator_left_ms = self->operator_until_mono_ms - mono_ms;
        v.by_operator = !v.confirmed;
        v.confirmed = true;
    }
    return v;
}

void
clockcheck_words (const clockcheck_verdict_t *v, char *text, size_t size)
{
    if (v->by_operator)
        snprintf (text, size,
                  "this node's clock is confirmed by its operator (keten clock confirm) for %llu "
                  "s more, not by a peer (%zu peer(s) disagree, %zu agree)",
                  (unsigned long long) (v->operator_left_ms / 1000), v->disagree, v->agree);
    else if (v->confirmed)
        snprintf (text, size, "this node's clock is confirmed by %zu peer(s)", v->agree);
    else if (v->disagree)
        /*  Ours less theirs: ahead when their clock is behind ours. */
        snprintf (text, size,
                  "this node's clock is %llu s %s of the federation's (%s's clock; %zu peer(s) "
                  "disagree, %zu agree)",
                  (unsigned long long) (s_abs (v->skew_ms) / 1000),
                  v->skew_ms < 0 ? "ahead" : "behind", v->peer, v->disagree, v->agree);
    else
        snprintf (text, size, "no peer has measured this node's clock within the hour");
}
