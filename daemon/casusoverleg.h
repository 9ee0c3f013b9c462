/*  casusoverleg: the casusoverleg file at the uitvoerder (art. 10.1), a
 *  database of its own, separate from the weegploeg file.  A decision to
 *  agenderen opens the case here with a copy of the relevant weegploeg
 *  data (art. 8.5): the subject's signals, who brought each in, the
 *  analysis, and the participants the decision named.  The copy is sealed
 *  under a key of the case's own, so the two files can be kept and
 *  destroyed on their own schedules (art. 13).
 */
#ifndef KETEN_CASUSOVERLEG_H
#define KETEN_CASUSOVERLEG_H

#include "keten.pb-c.h"
#include "keystore.h"
#include "util.h"
#include "weegploeg.h"

#include <jansson.h>

typedef struct _casusoverleg_t casusoverleg_t;

/*  keystore is borrowed. */
casusoverleg_t *casusoverleg_open (const char *path, keystore_t *keystore, kt_reason_t *reason);
void casusoverleg_destroy (casusoverleg_t **self_p);

/*  Open the case of decision (agenderen) with a copy of signals, or, when
 *  it is open already, add what it lacks and take the new participants.
 *  One transaction; idempotent. */
int casusoverleg_open_case (casusoverleg_t *self, const Keten__WeegploegDecision *decision,
                            const weegploeg_case_signal_t *signals, size_t n_signals,
                            uint64_t now_ms, kt_reason_t *reason);

/*  Cases without personal data: case_ref, state, participants, counts. */
json_t *casusoverleg_list (casusoverleg_t *self, int limit);

#endif
