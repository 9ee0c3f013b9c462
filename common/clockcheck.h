/*  clockcheck: whether the federation confirms this node's wall clock
 *  (docs/RETENTION.md, "A clock the federation confirms").  Each peer's
 *  authenticated heartbeat says what its clock read when it was sealed;
 *  its difference from ours is one measurement.  The clock counts as
 *  confirmed while, of the peers measured within the last hour (on the
 *  monotonic clock), more agree within the tolerance
 *  (delivery/clock-skew-ms) than disagree: a tie is not enough.  A step
 *  that cannot be undone (retention's destruction) waits for it: a late
 *  deletion can be made up, an early one cannot.  Memory only: a start
 *  begins unconfirmed, and stays so until its peers had time to be heard
 *  (clockcheck_start).
 */
#ifndef KETEN_CLOCKCHECK_H
#define KETEN_CLOCKCHECK_H

#include "keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  How long a measurement counts. */
#define CLOCKCHECK_FRESH_MS (3600u * 1000u)
/*  The longest an operator's confirmation lasts (keten clock confirm),
 *  and the most the wall clock may move against the monotonic one while
 *  it lasts: both clocks are slewed alike, so only a step (date -s, a
 *  time source gone wrong, a resumed VM) moves one against the other. */
#define CLOCKCHECK_OPERATOR_MAX_MS (24u * 3600u * 1000u)
#define CLOCKCHECK_OPERATOR_STEP_MS (10u * 1000u)

typedef struct clockcheck_t clockcheck_t;

typedef enum {
    CLOCKCHECK_HEARD_SAME,     /* as the peer's last measurement said */
    CLOCKCHECK_HEARD_AGREES,   /* it agrees now, it did not (or was not heard) */
    CLOCKCHECK_HEARD_DISAGREES /* it disagrees now, it did not (or was not heard) */
} clockcheck_heard_t;

typedef struct {
    bool confirmed;
    size_t agree, disagree; /* peers measured within the hour */
    /*  The largest difference of a peer that disagrees: its clock less
     *  ours (negative: ours is ahead), and which peer. */
    int64_t skew_ms;
    char peer[KEYS_ID_MAX + 1];
    /*  Confirmed on the operator's word alone (no peer outweighs the
     *  disagreement, or none measured): how long it still lasts.  The
     *  operator's word in force, whether or not the peers confirm:
     *  operator_left_ms > 0. */
    bool by_operator;
    uint64_t operator_left_ms;
    /*  Within the start's window (clockcheck_start): how long it still
     *  lasts; the peers' word confirms nothing meanwhile. */
    uint64_t settling_ms;
} clockcheck_verdict_t;

typedef enum {
    CLOCKCHECK_OPERATOR_NONE, /* no confirmation by the operator */
    CLOCKCHECK_OPERATOR_IN_FORCE,
    CLOCKCHECK_OPERATOR_ENDED,   /* its time is over: forgotten now */
    CLOCKCHECK_OPERATOR_STEPPED, /* the wall clock stepped since: forgotten now */
    /*  A peer's skew moved by more than the tolerance since (our clock
     *  slewed away, or the peer's): forgotten now. */
    CLOCKCHECK_OPERATOR_PEER_MOVED
} clockcheck_operator_t;

clockcheck_t *clockcheck_new (void);
void clockcheck_destroy (clockcheck_t **self_p);

/*  This node started at mono_ms: no verdict confirms on the peers' word
 *  before mono_ms + settle_ms (a heartbeat timeout), so that every peer
 *  online is measured before the first decision, not the first one heard
 *  alone.  The operator's word counts within it. */
void clockcheck_start (clockcheck_t *self, uint64_t mono_ms, uint64_t settle_ms);

/*  One measurement: peer's clock less ours, skew_ms, at mono_ms (the
 *  monotonic clock) and wall_ms (ours, in ms since the epoch, below
 *  INT64_MAX / 2).  Says whether the peer's agreement changed. */
clockcheck_heard_t clockcheck_heard (clockcheck_t *self, const char *peer, int64_t skew_ms,
                                     uint64_t mono_ms, uint64_t wall_ms, uint64_t tolerance_ms);

/*  The verdict at mono_ms and wall_ms: each measurement within the hour,
 *  less any step our wall clock made against the monotonic one since;
 *  confirmed when more agree than disagree, after the start's window;
 *  confirmed while the operator's word is in force (as
 *  clockcheck_operator judges it, without forgetting it). */
clockcheck_verdict_t clockcheck_verdict (const clockcheck_t *self, uint64_t mono_ms,
                                         uint64_t wall_ms, uint64_t tolerance_ms);

/*  The operator states that they checked this node's wall clock against
 *  an outside source (keten clock confirm): the clock counts as
 *  confirmed for for_ms (at most CLOCKCHECK_OPERATOR_MAX_MS) on the
 *  monotonic clock, as long as the wall clock does not step against it
 *  and no peer's skew moves by more than the tolerance from the one it
 *  had (its measurement within the hour before, or its first after):
 *  slewing moves both of our clocks alike, but not the peers'.  A peer
 *  that disagrees and stays where it was does not void it.  A new
 *  confirmation replaces the last. */
void clockcheck_operator_confirm (clockcheck_t *self, uint64_t mono_ms, uint64_t wall_ms,
                                  uint64_t for_ms);

/*  Whether the operator's confirmation is in force at mono_ms and
 *  wall_ms; one whose time is over, across which the wall clock stepped
 *  (by more than CLOCKCHECK_OPERATOR_STEP_MS either way), or a peer's
 *  skew moved, is forgotten, said once by the answer.  *step_ms: the
 *  step, for CLOCKCHECK_OPERATOR_STEPPED; how far the peer's skew moved,
 *  for CLOCKCHECK_OPERATOR_PEER_MOVED. */
clockcheck_operator_t clockcheck_operator (clockcheck_t *self, uint64_t mono_ms, uint64_t wall_ms,
                                           int64_t *step_ms);
/*  The peer whose skew moved, after CLOCKCHECK_OPERATOR_PEER_MOVED (until
 *  the next confirmation); "" otherwise. */
const char *clockcheck_operator_moved_peer (const clockcheck_t *self);

/*  The verdict in words for an operator (no personal data): "confirmed
 *  by 2 peer(s)", "confirmed by its operator (keten clock confirm) for
 *  86000 s more; ...", "this node's clock is 17280000 s ahead of the
 *  federation (uitvoerder-test's clock)", "no peer has measured this
 *  node's clock within the hour". */
void clockcheck_words (const clockcheck_verdict_t *v, char *text, size_t size);

#endif
