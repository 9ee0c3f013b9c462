/*  casework: the convenant parties' own casework decisions, kept in the
 *  casusoverleg file at the uitvoerder (art. 4: the kernpartijen are jointly
 *  the controller; the uitvoerder keeps the files in their name).  Each
 *  decision arrives signed from the deciding party's node (CASE_DECISION)
 *  and is kept here by its message id:
 *
 *  - a consent (art. 10.5) of the party that supplied items to a case to
 *    pass them to a named externe casuspartner or (art. 9.2, 10.4) another
 *    participant, with the necessity and the kinds of data (sealed), and
 *    the items it covers (message id and item index, in the clear: ids
 *    only);
 *  - a share (art. 9.2, 10.4): a participant passes items it supplied to
 *    named participants (the necessity and kinds sealed, the recipients
 *    in the clear);
 *  - the casusoverleg's advice to close a case (art. 9.4), recorded by the
 *    uitvoerder and sent to the kernpartijen involved, and each
 *    kernpartij's decision on it (close or continue; the reason sealed).
 *
 *  Every function works on the casusoverleg file's connection; the sealing
 *  key is the case's, handed in by the caller (casusoverleg_case).
 */
#ifndef KETEN_CASEWORK_H
#define KETEN_CASEWORK_H

#include "casusoverleg.h"
#include "keten.pb-c.h"
#include "keystore.h"
#include "store.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/*  The module's migrations, run on the casusoverleg file
 *  (casusoverleg_open). */
extern const char *const casework_migrations[];
extern const size_t casework_n_migrations;

/*  Whether a decision with this message id is kept: 1 from sender (its
 *  log index in *log_index_p), 2 from another sender, 0 not at all, -1
 *  when the file cannot say. */
int casework_seen (sqlite3 *db, const uint8_t id[KT_ID_LEN], const char *sender,
                   uint64_t *log_index_p);

/*  One item a consent covers: the supplying message and the item's index
 *  in it. */
typedef struct {
    uint8_t source_id[KT_ID_LEN];
    uint32_t index;
} casework_item_t;

/*  Keep sender's consent d (d->consent set) for the n items it covers,
 *  each checked to be the sender's own, sealed under key (inside the
 *  caller's transaction). */
int casework_store_consent (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                            const uint8_t id[KT_ID_LEN], const char *sender,
                            const Keten__CaseDecision *d, const casework_item_t *items, size_t n,
                            uint64_t log_index, kt_reason_t *reason);
/*  art. 9.2, 10.4: keep a participant's share decision received and
 *  logged at log_index, sealed under key (inside the caller's
 *  transaction). */
int casework_store_share (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                          const uint8_t id[KT_ID_LEN], const char *sender,
                          const Keten__CaseDecision *d, uint64_t log_index, kt_reason_t *reason);
/*  The newest consent of case_ref to recipient that covers the item:
 *  1 (its id in consent_id), 0 none, -1 with reason. */
int casework_consent_for (sqlite3 *db, const char *case_ref, const char *recipient,
                          const uint8_t source_id[KT_ID_LEN], uint32_t index,
                          uint8_t consent_id[KT_ID_LEN], kt_reason_t *reason);
/*  The consent with consent_id, unsealed (free with
 *  keten__case_decision__free_unpacked), and who gave it. */
int casework_consent (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                      const uint8_t consent_id[KT_ID_LEN], Keten__CaseDecision **d_p,
                      char sender[65], kt_reason_t *reason);

/*  art. 9.4: record the casusoverleg's advice a (closed_ms 0, advised_ms
 *  and to_decide set) for its case, sealed, at step CASUS_STEP_RECORDED;
 *  an advice recorded before for the case is replaced, and the decisions
 *  on it no longer count (they name the older advised_ms).  Inside the
 *  caller's transaction. */
int casework_record_advice (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                            const Keten__CaseClosure *a, uint32_t uid, kt_reason_t *reason);
/*  The current advice of case_ref, unsealed (free with
 *  keten__case_closure__free_unpacked), and its step when step_p: 1, 0
 *  when none is recorded, -1 with reason. */
int casework_advice (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN], const char *case_ref,
                     Keten__CaseClosure **a_p, casus_step_t *step_p, kt_reason_t *reason);
/*  Record that the advice of case_ref got to step. */
int casework_advice_done (sqlite3 *db, const char *case_ref, casus_step_t step,
                          kt_reason_t *reason);
/*  case_refs of advices not sent yet, oldest first. */
int casework_each_advice_unsent (sqlite3 *db, store_text_fn *fn, void *arg, kt_reason_t *reason);

/*  Keep sender's closure decision d (d->closure set) on the advice it
 *  names, sealed (inside the caller's transaction). */
int casework_store_vote (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                         const uint8_t id[KT_ID_LEN], const char *sender,
                         const Keten__CaseDecision *d, uint64_t log_index, kt_reason_t *reason);
/*  One kernpartij's newest decision on an advice; strings borrowed. */
typedef struct {
    const char *sender;
    bool close;
    uint64_t received_ms;
} casework_vote_t;
typedef int (casework_vote_fn) (void *arg, const casework_vote_t *vote, kt_reason_t *reason);
/*  Each kernpartij's newest decision on the advice of case_ref made at
 *  advised_ms, to fn. */
int casework_each_vote (sqlite3 *db, const char *case_ref, uint64_t advised_ms,
                        casework_vote_fn *fn, void *arg, kt_reason_t *reason);

/*  The newest advised_ms that the advice of case_ref or any decision on
 *  one names, into *ms (0: none); -1 with reason. */
int casework_advised_last (sqlite3 *db, const char *case_ref, uint64_t *ms, kt_reason_t *reason);
/*  A closed case_ref is open again (casusoverleg_open_case): its advice
 *  goes, so that no decision on it is taken any more, inside the caller's
 *  transaction.  The decisions on it stay (see casework.c). */
int casework_reopen (sqlite3 *db, const char *case_ref, kt_reason_t *reason);

/*  Delete every row of case_ref (inside the caller's transaction). */
int casework_forget (sqlite3 *db, const char *case_ref, kt_reason_t *reason);

#endif
