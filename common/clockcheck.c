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
    /*  Its skew when the operator confirmed the clock (measured within
     *  the hour before), or at its first measurement since: one that
     *  moves further than the tolerance from it voids the confirmation. */
    bool remembered;
    int64_t remembered_skew_ms;
    /*  Its last measurement was past the tolerance from the remembered
     *  one: a second in a row voids the confirmation (one alone may be a
     *  heartbeat handled late, which counts its delay as skew). */
    bool moved_once;
} s_peer_t;

struct clockcheck_t {
    s_peer_t *peers;
    size_t n, cap;
    /*  The operator's confirmation: until when (monotonic; 0: none) and
     *  the wall clock less the monotonic one when it was given. */
    uint64_t operator_until_mono_ms;
    int64_t operator_wall_at_ms;
    /*  Before this (monotonic; 0: none) the peers' word confirms nothing:
     *  the start's window, in which every online peer is heard. */
    uint64_t settled_mono_ms;
    /*  A peer's skew moved since (clockcheck_heard): by how much, and
     *  whose; void. */
    bool operator_moved;
    int64_t operator_moved_ms;
    char operator_moved_peer[KEYS_ID_MAX + 1];
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

void
clockcheck_start (clockcheck_t *self, uint64_t mono_ms, uint64_t settle_ms)
{
    self->settled_mono_ms = mono_ms + settle_ms;
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

/*  While the operator's confirmation lasts, p just measured: a skew that
 *  moved further than the tolerance from the one remembered since the
 *  confirmation voids it.  Our clock slewed (which the step check cannot
 *  see) or the peer's did; either way the operator's check no longer
 *  holds for both.  A peer that disagreed already when the operator
 *  confirmed (its own clock wrong) does not void it, as long as it stays
 *  where it was. */
static void
s_operator_heard (clockcheck_t *self, s_peer_t *p, uint64_t mono_ms, uint64_t tolerance_ms)
{
    if (!self->operator_until_mono_ms || self->operator_moved ||
        mono_ms >= self->operator_until_mono_ms)
        return;
    if (!p->remembered) {
        p->remembered = true;
        p->remembered_skew_ms = p->skew_ms;
        p->moved_once = false;
        return;
    }
    int64_t moved = p->skew_ms - p->remembered_skew_ms;
    if (s_abs (moved) <= tolerance_ms) {
        p->moved_once = false;
        return;
    }
    if (!p->moved_once) {
        p->moved_once = true;
        return;
    }
    self->operator_moved = true;
    self->operator_moved_ms = moved;
    snprintf (self->operator_moved_peer, sizeof self->operator_moved_peer, "%s", p->peer);
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
    s_operator_heard (self, p, mono_ms, tolerance_ms);
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
    self->operator_moved = false;
    self->operator_moved_peer[0] = 0;
    /*  What each peer said within the hour is what the operator's check
     *  holds against; an older measurement is not remembered (the clocks
     *  may have moved apart since), nor one made before this node's clock
     *  stepped (the operator set it right, then confirmed), and its next
     *  one is. */
    for (size_t i = 0; i < self->n; i++) {
        s_peer_t *p = &self->peers[i];
        p->remembered =
            p->mono_ms && mono_ms >= p->mono_ms && mono_ms - p->mono_ms <= CLOCKCHECK_FRESH_MS &&
            s_abs (p->wall_at_ms - self->operator_wall_at_ms) <= CLOCKCHECK_OPERATOR_STEP_MS;
        p->remembered_skew_ms = p->skew_ms;
        p->moved_once = false;
    }
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
    if (self->operator_moved) {
        if (step_ms)
            *step_ms = self->operator_moved_ms;
        return CLOCKCHECK_OPERATOR_PEER_MOVED;
    }
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
    if (o == CLOCKCHECK_OPERATOR_ENDED || o == CLOCKCHECK_OPERATOR_STEPPED ||
        o == CLOCKCHECK_OPERATOR_PEER_MOVED)
        self->operator_until_mono_ms = 0;
    return o;
}

const char *
clockcheck_operator_moved_peer (const clockcheck_t *self)
{
    return self->operator_moved_peer;
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
    /*  A strict majority: a tie is not enough, or one member that lies
     *  about its clock (dating its heartbeat by ours, read off our
     *  replies) would confirm a wrong clock against an honest one.  With
     *  two or more peers measured, this needs two that agree. */
    v.confirmed = v.agree > 0 && v.agree > v.disagree;
    /*  The start's window: not on the first peer heard alone, before the
     *  others had their heartbeat timeout to be heard. */
    if (mono_ms < self->settled_mono_ms) {
        v.settling_ms = self->settled_mono_ms - mono_ms;
        v.confirmed = false;
    }
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
    else if (v->disagree && v->agree && v->agree <= v->disagree)
        /*  A tie, or outvoted: the largest difference says which clock;
         *  said also within the start's window, which it outlasts. */
        snprintf (text, size,
                  "this node's clock is %llu s %s of %s's clock and no majority of its peers "
                  "confirms it (%zu peer(s) disagree, %zu agree)",
                  (unsigned long long) (s_abs (v->skew_ms) / 1000),
                  v->skew_ms < 0 ? "ahead" : "behind", v->peer, v->disagree, v->agree);
    else if (v->settling_ms && (!v->disagree || v->agree))
        snprintf (text, size,
                  "this node started: its peers are heard for %llu s more before their word "
                  "counts (%zu peer(s) disagree, %zu agree)",
                  (unsigned long long) ((v->settling_ms + 999) / 1000), v->disagree, v->agree);
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
