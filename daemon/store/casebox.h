/*  casebox: the cases a partner node takes part in (art. 9-10), in node.db:
 *  every plan version received (sealed under a key per case), the case's
 *  state and closure decision (sealed too), and - at an externe casuspartner - the disclosures
 *  it received with their consent (art. 10.5).
 */
#ifndef KETEN_CASEBOX_H
#define KETEN_CASEBOX_H

#include "keten.pb-c.h"
#include "keystore.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>

typedef struct _casebox_t casebox_t;

casebox_t *casebox_new (sqlite3 *db, keystore_t *keystore, const char *self_id,
                        kt_reason_t *reason);
void casebox_destroy (casebox_t **self_p);

/*  Keep a checked plan version that names this node as participant.  A
 *  version issued after the case's closure here opens it again (art. 8.5:
 *  the weegploeg agendered it again), without the closure or the advice
 *  kept. */
int casebox_store_plan (casebox_t *self, const Keten__CasePlan *plan, kt_reason_t *reason);
/*  The newest (version 0) or given version, decrypted; *plan_p NULL
 *  when the case is unknown here. */
int casebox_plan (casebox_t *self, const char *case_ref, uint32_t version, Keten__CasePlan **plan_p,
                  kt_reason_t *reason);
/*  Mark the case closed and keep its checked closure decision, sealed
 *  under the case key.  A case no plan brought here is left alone;
 *  a copy offered again changes nothing, nor does a closure older than a
 *  plan version or advice received (the case was opened again since). */
int casebox_close (casebox_t *self, const Keten__CaseClosure *c, kt_reason_t *reason);
/*  The closure decision of case_ref, decrypted (free with
 *  keten__case_closure__free_unpacked): 1, or 0 when it is not closed
 *  here, -1 with reason when the case cannot be read. */
int casebox_get_closure (casebox_t *self, const char *case_ref, Keten__CaseClosure **c_p,
                         kt_reason_t *reason);
/*  art. 9.4: keep the casusoverleg's advice to close (a checked CLOSURE
 *  with closed_ms 0) of an open case known here, sealed; only a newer
 *  advice replaces the one kept.  An advice recorded after the case's
 *  closure here opens it again, as a plan version does.  A case no plan
 *  brought here is an error (the uitvoerder offers it again). */
int casebox_advise (casebox_t *self, const Keten__CaseClosure *a, kt_reason_t *reason);
/*  The advice kept for open case_ref, decrypted (free with
 *  keten__case_closure__free_unpacked): 1, 0 when there is none, -1 with
 *  reason. */
int casebox_advice (casebox_t *self, const char *case_ref, Keten__CaseClosure **a_p,
                    kt_reason_t *reason);
/*  Keep a disclosure received (externe casuspartner). */
int casebox_store_disclosure (casebox_t *self, const uint8_t id[KT_ID_LEN],
                              const Keten__DisclosureConsent *d, kt_reason_t *reason);
/*  Whether the disclosure (or share) id of case_ref is kept here, and
 *  how many items it holds: 1 with *n_items, 0 when none is kept here
 *  (or the case's key is gone), -1 with reason. */
int casebox_disclosure_size (casebox_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                             size_t *n_items, kt_reason_t *reason);
/*  art. 12.5-12.6: the item at position of the disclosure (or share) id
 *  of case_ref kept here reads as item from now on (items_passed_as: a
 *  deleted or blocked one is an empty item marked so), sealed again
 *  under the case key, inside the caller's transaction; the caller
 *  truncates node.db's WAL after its commit (secure_delete overwrote the
 *  old body's pages).  1 changed, 0 it read so already, 2 no such
 *  disclosure is kept here, -1 with reason (a position it does not
 *  have). */
int casebox_disclosure_set_item (casebox_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                                 uint32_t position, const Keten__SignalItem *item,
                                 kt_reason_t *reason);
/*  A case known here (no personal data); strings borrowed for the
 *  callback. */
typedef struct {
    const char *case_ref;
    const char *state; /* "open", "closed" */
    int64_t plan_version;
    const char *participants; /* "a,b" */
    uint64_t opened_ms;
    uint64_t closed_ms;  /* 0 while open */
    size_t overdue_own;  /* this node's overdue measures in the newest plan */
    int64_t disclosures; /* received */
} casebox_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (casebox_row_fn) (void *arg, const casebox_row_t *row, kt_reason_t *reason);
/*  Cases known here, newest first, each to fn. */
int casebox_each (casebox_t *self, casebox_row_fn *fn, void *arg, kt_reason_t *reason);
/*  Take one disclosure (decrypted, borrowed for the call) and when it was
 *  received: 0 go on, 1 stop, -1 error with reason. */
typedef int (casebox_disclosure_fn) (void *arg, const Keten__DisclosureConsent *d,
                                     uint64_t received_ms, kt_reason_t *reason);
/*  Disclosures of case_ref, oldest first, each to fn (none when the case
 *  is unknown here). */
int casebox_each_disclosure (casebox_t *self, const char *case_ref, casebox_disclosure_fn *fn,
                             void *arg, kt_reason_t *reason);
/*  Whether case_ref is known here and closed. */
bool casebox_closed (casebox_t *self, const char *case_ref);

/*  ---- retention (art. 13, the partner's side: retainbox.c) ---------- */

/*  Take a case known here and its newest processing at this node: the
 *  case opened or closed, a plan version or a disclosure stored.  0 go
 *  on, 1 stop, -1 error with reason. */
typedef int (casebox_last_fn) (void *arg, const char *case_ref, uint64_t last_ms,
                               kt_reason_t *reason);
/*  Every case known here, each to fn. */
int casebox_each_last (casebox_t *self, casebox_last_fn *fn, void *arg, kt_reason_t *reason);
/*  art. 13 destruction, inside the caller's transaction on node.db: delete
 *  case_ref's plan versions, disclosures and case row, and hand back the
 *  case key's id (*found false: the case is not known here) to be
 *  shredded once that transaction committed. */
int casebox_forget (casebox_t *self, const char *case_ref, uint8_t key_id[KEYSTORE_ID_LEN],
                    bool *found, kt_reason_t *reason);

#endif
