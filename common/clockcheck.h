/*  clockcheck: whether the federation confirms this node's wall clock
 *  (docs/RETENTION.md, "A clock the federation confirms").  Each peer's
 *  authenticated heartbeat says what its clock read when it was sealed;
 *  its difference from ours is one measurement.  The clock counts as
 *  confirmed while, of the peers measured within the last hour (on the
 *  monotonic clock), at least one agrees within the tolerance
 *  (delivery/clock-skew-ms) and no more disagree than agree.  A step that
 *  cannot be undone (retention's destruction) waits for it: a late
 *  deletion can be made up, an early one cannot.  Memory only: a start
 *  begins unconfirmed.
 */
#ifndef KETEN_CLOCKCHECK_H
#define KETEN_CLOCKCHECK_H

#include "keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  How long a measurement counts. */
#define CLOCKCHECK_FRESH_MS (3600u * 1000u)

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
} clockcheck_verdict_t;

clockcheck_t *clockcheck_new (void);
void clockcheck_destroy (clockcheck_t **self_p);

/*  One measurement: peer's clock less ours, skew_ms, at mono_ms (the
 *  monotonic clock) and wall_ms (ours, in ms since the epoch, below
 *  INT64_MAX / 2).  Says whether the peer's agreement changed. */
clockcheck_heard_t clockcheck_heard (clockcheck_t *self, const char *peer, int64_t skew_ms,
                                     uint64_t mono_ms, uint64_t wall_ms, uint64_t tolerance_ms);

/*  The verdict at mono_ms and wall_ms: each measurement within the hour,
 *  less any step our wall clock made against the monotonic one since. */
clockcheck_verdict_t clockcheck_verdict (const clockcheck_t *self, uint64_t mono_ms,
                                         uint64_t wall_ms, uint64_t tolerance_ms);

/*  The verdict in words for an operator (no personal data): "confirmed
 *  by 2 peer(s)", "this node's clock is 17280000 s ahead of the
 *  federation (uitvoerder-test's clock)", "no peer has measured this
 *  node's clock within the hour". */
void clockcheck_words (const clockcheck_verdict_t *v, char *text, size_t size);

#endif
