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
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <sqlite3.h>
#include <stdbool.h>

typedef struct _casusoverleg_t casusoverleg_t;

/*  keystore is borrowed. */
casusoverleg_t *casusoverleg_open (const char *path, keystore_t *keystore, kt_reason_t *reason);
void casusoverleg_destroy (casusoverleg_t **self_p);

/*  What must commit with the reopening of a closed case (the uitvoerder
 *  makes a plan version that tells every participant): called inside
 *  casusoverleg_open_case's transaction, the case row open again, with
 *  the case's key (borrowed).  0, or -1 with reason (nothing commits). */
typedef int (casusoverleg_reopen_fn) (void *arg, const char *case_ref,
                                      const uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason);
/*  Open the case of decision (agenderen) with a copy of signals, or, when
 *  it is open already, add what it lacks and take the new participants.
 *  A closed case is opened again (art. 8.5: the weegploeg put it on the
 *  agenda again) when the decision was taken after its closure: the
 *  closure and the closed round's advice go (casework_reopen), reopen
 *  (may be NULL) adds its part, and *reopened_p (may be NULL) is set.  A
 *  closure whose steps are still owed (casusoverleg_closure_owed) is
 *  refused: it is finished first.  A decision the closure overtook (taken
 *  before it, its send resumed only now) leaves the case closed.  A case
 *  that opens here (new, or closed and opened again) is counted once in
 *  this file's figures (FIGURE_CASE_OPENED under gemeente, a roster id or
 *  NULL; docs/REPORT.md), in the commit that opens it: a decision recorded
 *  but not sent counts nothing yet.  One transaction; idempotent. */
int casusoverleg_open_case (casusoverleg_t *self, const Keten__WeegploegDecision *decision,
                            const weegploeg_case_signal_t *signals, size_t n_signals,
                            uint64_t now_ms, const char *gemeente, casusoverleg_reopen_fn *reopen,
                            void *reopen_arg, bool *reopened_p, kt_reason_t *reason);

#define CASUS_MAX_PARTICIPANTS 32

/*  A case as the casusoverleg file holds it (no personal data). */
typedef struct {
    char case_ref[24];
    bool closed;
    char participants[CASUS_MAX_PARTICIPANTS][65];
    size_t n_participants;
} casus_info_t;

/*  Whether case_ref is in the file and not archived: 1 or 0, or -1 when
 *  the file cannot say (a message about it is then not refused for good:
 *  no receipt, and the sender retries). */
int casusoverleg_case_known (casusoverleg_t *self, const char *case_ref);
/*  Whether case_ref's case is open now: 1 or 0, or -1. */
int casusoverleg_case_open (casusoverleg_t *self, const char *case_ref);
/*  The case of case_ref; with key, also its data key (wipe after use). */
int casusoverleg_case (casusoverleg_t *self, const char *case_ref, casus_info_t *info,
                       uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason);
bool casus_info_has (const casus_info_t *info, const char *member);
sqlite3 *casusoverleg_db (casusoverleg_t *self);

/*  Whether a contribution or progress report with this message id is
 *  stored: 1 from sender (log index in *log_index_p), -1 from another
 *  sender (an id reused), 0 not at all, CASUS_SEEN_UNSURE when the file
 *  cannot say (logged). */
#define CASUS_SEEN_UNSURE (-2)
int casusoverleg_seen (casusoverleg_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                       uint64_t *log_index_p);
/*  Keep a participant's contribution, sealed under the case key (inside
 *  the caller's transaction on casusoverleg_db). */
int casusoverleg_store_contribution (casusoverleg_t *self, const uint8_t id[KT_ID_LEN],
                                     const char *sender, const Keten__CaseContribution *c,
                                     uint64_t log_index, kt_reason_t *reason);
int casusoverleg_record_progress (casusoverleg_t *self, const uint8_t id[KT_ID_LEN],
                                  const char *sender, const char *case_ref, uint32_t plan_version,
                                  uint64_t log_index, kt_reason_t *reason);
/*  How far a record of the casusoverleg file got on its way to the log and
 *  the participants.  A closure, a disclosure and a plan version are
 *  recorded here first, so a crash before they are logged and sent is
 *  resumed on start (art. 9.4, 10.5: the participants must learn them;
 *  art. 15.2e: the log must show them); a step recorded as done is not
 *  repeated, so the log shows each once. */
typedef enum {
    CASUS_STEP_SENT = 0,     /* everything done */
    CASUS_STEP_RECORDED = 1, /* here only: log entry and copies to do */
    CASUS_STEP_LOGGED = 2,   /* logged (a closure: weegploeg file too): copies to do */
} casus_step_t;

/*  A sealed body read with the step it got to: the row of "SELECT body,
 *  step ..." (casus_sealed_step_row takes it; record opens the body). */
typedef struct {
    keystore_record_t record;
    casus_step_t step;
} casus_sealed_step_t;
int casus_sealed_step_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason);

/*  art. 10.5: record a disclosure to recipient with its consent and kinds
 *  of data, at step CASUS_STEP_RECORDED; message_id is its copy's and
 *  binds the sealed body to the row.  The necessity is kept in the sealed
 *  body only (inside the caller's transaction). */
int casusoverleg_record_disclosure (casusoverleg_t *self, const Keten__DisclosureConsent *d,
                                    const char *recipient, uint32_t uid,
                                    const uint8_t message_id[KT_ID_LEN], kt_reason_t *reason);
/*  Record that the disclosure with message_id got to step. */
int casusoverleg_disclosure_done (casusoverleg_t *self, const uint8_t message_id[KT_ID_LEN],
                                  casus_step_t step, kt_reason_t *reason);
/*  A disclosure not sent yet; strings borrowed for the callback. */
typedef struct {
    const char *case_ref;
    const uint8_t *message_id;
    const char *recipient;
    uint32_t uid;
    casus_step_t step;
} casusoverleg_disclosure_t;
typedef int (casusoverleg_disclosure_fn) (void *arg, const casusoverleg_disclosure_t *row,
                                          kt_reason_t *reason);
/*  Disclosures not sent yet, oldest first, each to fn. */
int casusoverleg_each_disclosure_unsent (casusoverleg_t *self, casusoverleg_disclosure_fn *fn,
                                         void *arg, kt_reason_t *reason);
/*  The disclosure of case_ref with message_id, unsealed (free with
 *  keten__disclosure_consent__free_unpacked). */
int casusoverleg_disclosure (casusoverleg_t *self, const char *case_ref,
                             const uint8_t message_id[KT_ID_LEN], Keten__DisclosureConsent **d_p,
                             kt_reason_t *reason);
/*  casusoverleg_disclosure of an archived case too: for the file's own
 *  upkeep (a correction, art. 12.5), never for a command. */
int casusoverleg_disclosure_any (casusoverleg_t *self, const char *case_ref,
                                 const uint8_t message_id[KT_ID_LEN],
                                 Keten__DisclosureConsent **d_p, kt_reason_t *reason);
/*  art. 12.5: the item at position of disclosure message_id of case_ref
 *  reads as item from now on (items_passed_as: a deleted or blocked one
 *  is an empty item marked so), its body sealed again as before.  1
 *  changed, 0 it read so already, -1 with reason (also for a position
 *  the disclosure does not have).  Not in a transaction of its own: the
 *  caller truncates the file's WAL once its changes are done, so the old
 *  body is in no page (secure_delete). */
int casusoverleg_disclosure_set_item (casusoverleg_t *self, const char *case_ref,
                                      const uint8_t message_id[KT_ID_LEN], uint32_t position,
                                      const Keten__SignalItem *item, kt_reason_t *reason);

/*  Mark plan version of case_ref recorded but not sent (inside the
 *  caller's transaction with plan_store: the plan table itself is never
 *  changed, art. 10.2e). */
int casusoverleg_plan_unsent (casusoverleg_t *self, const char *case_ref, uint32_t version,
                              kt_reason_t *reason);
/*  Record that plan version of case_ref went to its participants. */
int casusoverleg_plan_sent (casusoverleg_t *self, const char *case_ref, uint32_t version,
                            kt_reason_t *reason);
typedef int (casusoverleg_plan_fn) (void *arg, const char *case_ref, uint32_t version,
                                    kt_reason_t *reason);
/*  Plan versions not sent yet, oldest first per case, each to fn. */
int casusoverleg_each_plan_unsent (casusoverleg_t *self, casusoverleg_plan_fn *fn, void *arg,
                                   kt_reason_t *reason);

/*  Mark the case closed with its closure decision, sealed under the case
 *  key, at step CASUS_STEP_RECORDED.  Refuses a case that is not open. */
int casusoverleg_close (casusoverleg_t *self, const Keten__CaseClosure *c, kt_reason_t *reason);
/*  The closure decision of a closed case, unsealed (free with
 *  keten__case_closure__free_unpacked), and its step when step_p. */
int casusoverleg_closure (casusoverleg_t *self, const char *case_ref, Keten__CaseClosure **c_p,
                          casus_step_t *step_p, kt_reason_t *reason);
/*  Record that the closure of case_ref got to step. */
int casusoverleg_closure_done (casusoverleg_t *self, const char *case_ref, casus_step_t step,
                               kt_reason_t *reason);
/*  Whether case_ref is closed with steps of its closure still to do
 *  (logged, sent): 1, 0 (also for a case not in the file), -1 with
 *  reason. */
int casusoverleg_closure_owed (casusoverleg_t *self, const char *case_ref, kt_reason_t *reason);
/*  case_refs of closures not sent yet, oldest first. */
int casusoverleg_each_closure_unsent (casusoverleg_t *self, store_text_fn *fn, void *arg,
                                      kt_reason_t *reason);

/*  A case without personal data; strings borrowed for the callback. */
typedef struct {
    const char *case_ref;
    const char *state; /* "open", "closed" */
    uint64_t opened_ms;
    const char *decision_id;
    const char *participants; /* "a,b" */
    int64_t signals;
    int64_t plan_version; /* 0: no plan yet */
    int64_t contributions;
} casusoverleg_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (casusoverleg_row_fn) (void *arg, const casusoverleg_row_t *row, kt_reason_t *reason);
/*  Cases, newest first, at most limit, each to fn. */
int casusoverleg_each (casusoverleg_t *self, int limit, casusoverleg_row_fn *fn, void *arg,
                       kt_reason_t *reason);

/* ---- retention (art. 13; the lifecycle module drives these) ------------- */

/*  Take one case's last processing in this file, and whether it is
 *  archived: 0 go on, 1 stop, -1 error with reason. */
typedef int (casusoverleg_last_fn) (void *arg, const char *case_ref, uint64_t last_ms,
                                    bool archived, kt_reason_t *reason);
/*  Every case (case_ref NULL) or case_ref's only, with the newest time
 *  this file processed it (opened, closed, a contribution, disclosure,
 *  plan version or progress report), archived ones too. */
int casusoverleg_each_last (casusoverleg_t *self, const char *case_ref, casusoverleg_last_fn *fn,
                            void *arg, kt_reason_t *reason);
/*  Take one message a member sent about the case. */
typedef int (casusoverleg_sender_fn) (void *arg, const char *sender, const uint8_t id[KT_ID_LEN],
                                      kt_reason_t *reason);
/*  The messages members sent about case_ref (contributions, progress
 *  reports, consents, closure votes, share decisions), by sender and id. */
int casusoverleg_each_sender_message (casusoverleg_t *self, const char *case_ref,
                                      casusoverleg_sender_fn *fn, void *arg, kt_reason_t *reason);
/*  Set or clear the case's archive flag (art. 13.2: an archived case is
 *  refused by casusoverleg_case and left out of casusoverleg_each). */
int casusoverleg_set_archived (casusoverleg_t *self, const char *case_ref, bool archived,
                               kt_reason_t *reason);
/*  The case's data key id: 1 found, 0 no such case, -1. */
int casusoverleg_case_key_id (casusoverleg_t *self, const char *case_ref,
                              uint8_t key_id[KEYSTORE_ID_LEN], kt_reason_t *reason);
/*  Delete every row of case_ref in the file, plans too, in one commit;
 *  idempotent.  The key is the caller's to shred. */
int casusoverleg_forget_case (casusoverleg_t *self, const char *case_ref, kt_reason_t *reason);

/* ---- the request desk (art. 12.3; archived cases too, art. 13.2) -------- */

/*  The row of case_ref to fn, archived or not: 1 found, 0 no such case,
 *  -1 with reason.  Only for the request desk: a person's inzage covers
 *  archived data (docs/RIGHTS.md); every other reader uses
 *  casusoverleg_each. */
int casusoverleg_case_row (casusoverleg_t *self, const char *case_ref, casusoverleg_row_fn *fn,
                           void *arg, kt_reason_t *reason);
/*  A participant's contribution, unsealed. */
typedef struct {
    uint8_t message_id[KT_ID_LEN];
    char sender[65];
    char kind[24];
    uint64_t received_ms;
    Keten__CaseContribution *contribution; /* owned; free with
                                              casusoverleg_contributions_free */
} casusoverleg_contribution_t;
/*  Every contribution to case_ref, oldest first, unsealed with the case
 *  key, archived case or not (the request desk only, as
 *  casusoverleg_case_row).  Blocked items are blanked as every read shows
 *  them.  Fails naming the problem for a record that does not unseal.
 *  Personal data: the caller logs the access (art. 15.2e). */
int casusoverleg_read_contributions (casusoverleg_t *self, const char *case_ref,
                                     casusoverleg_contribution_t **out_p, size_t *n_p,
                                     kt_reason_t *reason);
void casusoverleg_contributions_free (casusoverleg_contribution_t *c, size_t n);

/*  art. 12.5-12.6: the casusoverleg's copy of signal id (art. 8.5), if
 *  the case holds one, sealed again as signal now reads (as the
 *  weegploeg file shows it: blocked items blanked), or deleted (signal
 *  NULL); one commit, then the WAL truncated.  1 changed, 0 no copy
 *  here, -1 with reason.  Idempotent. */
int casusoverleg_correct_signal (casusoverleg_t *self, const char *case_ref,
                                 const uint8_t id[KT_ID_LEN], const Keten__Signal *signal,
                                 kt_reason_t *reason);

/*  art. 10.5: a message a party supplied to case_ref, by its id: a
 *  signal copied on agenderen or a contribution, unsealed under key (the
 *  case's), with its sender.  1 found (exactly one of signal and
 *  contribution set; free with casusoverleg_supplied_free), 0 not in this
 *  case, -1 with reason.  Personal data: the caller shows none of it
 *  without recording the access. */
typedef struct {
    char sender[65];
    Keten__Signal *signal;
    Keten__CaseContribution *contribution;
} casusoverleg_supplied_t;
int casusoverleg_supplied (casusoverleg_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                           const uint8_t key[KEYSTORE_KEY_LEN], casusoverleg_supplied_t *out,
                           kt_reason_t *reason);
void casusoverleg_supplied_free (casusoverleg_supplied_t *s);

#endif
