/*  lifecycle: the uitvoerder's retention state of each subject (convenant
 *  art. 13), kept in the weegploeg file beside the subjects.
 *
 *  A case_ref is active, archived (13.2: out of every list, agenda, match
 *  and command; the flag is set in the weegploeg and casusoverleg files
 *  too), destroying (13.1, 13.3: under way, completed at the next start
 *  after a crash) or destroyed: a tombstone that keeps the pseudonym only,
 *  so a late copy is recognised.  Archive is a state, not a move.
 *
 *  Last processing, the one definition (art. 13; reads do not count):
 *  the newest of
 *    - weegploeg file: a signal's received_ms, a decision's decided_ms,
 *      the closure's closed_ms, the subject's touched_ms (a merge of
 *      another subject into it: a correction);
 *    - casusoverleg file (casusoverleg_each_last): the case's opened_ms
 *      and closed_ms, a contribution's received_ms, a disclosure's
 *      disclosed_ms, a plan version's stored_ms, a progress report's
 *      received_ms;
 *    - this table: touched_ms, set by a kernpartij's reopen order.
 *  Agendered: a casus row or a decision agenderen; decided: any decision.
 *
 *  Destroying shreds the subject's and the case's keys, deletes every row
 *  of the case_ref in both files, blanks the settled relay copies that
 *  name it (node.db), and checkpoints each file's WAL with TRUNCATE, so
 *  neither a file nor its -wal holds anything of it.  Each step is
 *  idempotent; the key ids are kept here while it is under way.
 *
 *  Notices: each archive, destroy and reopen records, in its own commit,
 *  the members that received data about the subject (relay copies naming
 *  it, senders of its signals, contributions and progress reports, with
 *  their message ids), gathered before any row goes; the role sends them
 *  and clears them (lifecycle_notices_sent).
 */
#ifndef KETEN_LIFECYCLE_H
#define KETEN_LIFECYCLE_H

#include "casusoverleg.h"
#include "keystore.h"
#include "relay.h"
#include "retention.h"
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _lifecycle_t lifecycle_t;

typedef enum {
    LIFECYCLE_ACTIVE = 0,
    LIFECYCLE_ARCHIVED = 1,
    LIFECYCLE_DESTROYING = 2,
    LIFECYCLE_DESTROYED = 3,
} lifecycle_state_t;

/*  "active", "archived", "destroying", "destroyed". */
const char *lifecycle_state_name (lifecycle_state_t state);

/*  Everything borrowed: the two files, the keystore that holds their
 *  keys, and node.db with its relay. */
lifecycle_t *lifecycle_new (weegploeg_t *weegploeg, casusoverleg_t *casus, keystore_t *keystore,
                            sqlite3 *node_db, relay_t *relay, kt_reason_t *reason);
void lifecycle_destroy (lifecycle_t **self_p);

/*  One subject's state and the facts retention_plan takes. */
typedef struct {
    char case_ref[24];
    lifecycle_state_t state;
    retention_facts_t facts;
    uint64_t archived_ms;
} lifecycle_subject_t;
/*  Take one subject: 0 go on, 1 stop, -1 error with reason.  fn must not
 *  change the files (collect, then act). */
typedef int (lifecycle_subject_fn) (void *arg, const lifecycle_subject_t *subject,
                                    kt_reason_t *reason);
/*  Every subject in the weegploeg file (active and archived). */
int lifecycle_each (lifecycle_t *self, lifecycle_subject_fn *fn, void *arg, kt_reason_t *reason);
/*  One subject: 1 found (*out filled), 0 not in the weegploeg file, -1. */
int lifecycle_subject (lifecycle_t *self, const char *case_ref, lifecycle_subject_t *out,
                       kt_reason_t *reason);
/*  The state of case_ref: 1 known (a subject or a tombstone), 0 unknown,
 *  -1 with reason. */
int lifecycle_state (lifecycle_t *self, const char *case_ref, lifecycle_state_t *state_p,
                     kt_reason_t *reason);
/*  Destructions a crash left under way, each case_ref to fn. */
int lifecycle_each_destroying (lifecycle_t *self, store_text_fn *fn, void *arg,
                               kt_reason_t *reason);
int64_t lifecycle_count_destroyed (lifecycle_t *self);

/*  art. 13.2: archive an active subject, due at due_ms: its notices
 *  recorded, the case hidden in the casusoverleg file, then the state and
 *  the subject's flag in one commit.  An archived one is left alone (0);
 *  a destroyed one is refused. */
int lifecycle_archive (lifecycle_t *self, const char *case_ref, uint64_t due_ms, uint64_t now_ms,
                       kt_reason_t *reason);

/*  art. 13.1, 13.3, in three steps (docs/ARCHITECTURE.md, Crash
 *  reasoning; the role logs DESTROYED between the second and the third):
 *  begin records the state destroying with the key ids and the notices
 *  (a subject under way or destroyed already: 0, nothing done); data
 *  shreds the keys, deletes the rows in every file and checkpoints them
 *  (any number of times); end leaves the tombstone. */
int lifecycle_destroy_begin (lifecycle_t *self, const char *case_ref, uint64_t due_ms,
                             uint64_t now_ms, kt_reason_t *reason);
int lifecycle_destroy_data (lifecycle_t *self, const char *case_ref, kt_reason_t *reason);
int lifecycle_destroy_end (lifecycle_t *self, const char *case_ref, uint64_t now_ms,
                           kt_reason_t *reason);

/*  art. 13.4: a kernpartij's order order_id brings an archived subject
 *  back: active again, its clock restarted at now_ms, the order's reason
 *  sealed under the subject's key, REOPEN notices recorded for the
 *  members that were sent an archive notice.  Returns 0 (also when this
 *  order reopened it before: the steps are repeated, idempotent), 1 when
 *  refused (reason says why: unknown, not archived, destroyed), -1 on a
 *  storage error. */
/*  Whether order_id may reopen case_ref, changing nothing: 0 yes (also
 *  this order's retry), 1 refused (reason), -1. */
int lifecycle_reopen_check (lifecycle_t *self, const char *case_ref,
                            const uint8_t order_id[KT_ID_LEN], kt_reason_t *reason);
int lifecycle_reopen (lifecycle_t *self, const char *case_ref, const uint8_t order_id[KT_ID_LEN],
                      const char *why, uint64_t now_ms, kt_reason_t *reason);
/*  The reason of the last reopen, unsealed (heap, free()); NULL with
 *  reason when there is none or it cannot be read. */
char *lifecycle_reopen_reason (lifecycle_t *self, const char *case_ref, kt_reason_t *reason);
/*  Which generation case_ref is in (reopens so far): notices are named
 *  retention/CASE_REF/ACTION/GEN. */
int64_t lifecycle_generation (lifecycle_t *self, const char *case_ref);

/*  A notice still to send; strings and ids borrowed for the callback. */
typedef struct {
    const char *case_ref;
    int action; /* Keten__RetentionAction */
    int64_t gen;
    const char *member;
    const uint8_t *ids; /* n_ids message ids of KT_ID_LEN bytes, the member's own */
    size_t n_ids;
    uint64_t due_ms;
} lifecycle_notice_t;
typedef int (lifecycle_notice_fn) (void *arg, const lifecycle_notice_t *notice,
                                   kt_reason_t *reason);
/*  The notices not sent yet, grouped by case_ref, action and gen; those
 *  of a destruction still under way wait until it is complete. */
int lifecycle_each_notice (lifecycle_t *self, lifecycle_notice_fn *fn, void *arg,
                           kt_reason_t *reason);
/*  The notices of case_ref, action, gen are kept in the relay. */
int lifecycle_notices_sent (lifecycle_t *self, const char *case_ref, int action, int64_t gen,
                            kt_reason_t *reason);

#endif
