/*  retainbox: a partner node's side of art. 13 (docs/RETENTION.md), in
 *  node.db.  Per case_ref it keeps a state - absent or "active" (only to
 *  remember a reopen's touched_ms), "archived", "destroying", and
 *  "destroyed", a tombstone that holds nothing but the pseudonym - and it
 *  applies what the uitvoerder's RETENTION_NOTICE says, or what its own
 *  schedule finds due, to everything the node holds about the subject:
 *  agendas, decisions, the case with its plan versions, disclosures and
 *  closure, its own signals and their outbox rows.
 *
 *  Archived: out of every list and show (the role asks retainbox_hidden),
 *  readable only through the kernpartij's recorded archive read.  At a
 *  node that is not a kernpartij an archive is a destruction: only the
 *  kernpartijen may still consult archived data (art. 13.2).
 *
 *  A destruction (docs/ARCHITECTURE.md, "Crash reasoning"): the state
 *  "destroying" commits first; then one transaction on node.db deletes
 *  the rows, rewrites each agenda that named the subject without its item
 *  under a new key, blanks the outbox headers of the node's own messages
 *  about it, and records in the same commit the keys to shred and the
 *  meetings whose calendar file must be written again; then the keys are
 *  shredded (keystore.db, secure_delete), both files' WAL checkpointed
 *  and truncated, and only then "destroyed" is recorded.  The calendar
 *  files are written last, a step of their own: one that cannot be
 *  written (a directory not writable, a full disk) stays owed, is logged
 *  and tried again at every run, and holds back neither the shredding
 *  nor the tombstone.  Every step finds nothing left to do when
 *  repeated, so a crash anywhere is completed by retainbox_resume at the
 *  next start.
 */
#ifndef KETEN_RETAINBOX_H
#define KETEN_RETAINBOX_H

#include "agendabox.h"
#include "casebox.h"
#include "decisionbox.h"
#include "keystore.h"
#include "outbox.h"
#include "retention.h"
#include "roster.h"
#include "signalbox.h"
#include "util.h"

#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _retainbox_t retainbox_t;

typedef enum {
    RETAIN_ACTIVE = 0,
    RETAIN_ARCHIVED,
    RETAIN_DESTROYING,
    RETAIN_DESTROYED,
} retain_state_t;

/*  "active", "archived", "destroying", "destroyed". */
const char *retain_state_name (retain_state_t state);

/*  The node's stores, borrowed for one call; a NULL box holds nothing
 *  (no agenda table yet, no decisions at a node that is not a
 *  kernpartij). */
/*  What else a node keeps about one of its own signals, forgotten with it
 *  inside the destruction's transaction: 0, or -1 with reason. */
typedef int (retain_forget_fn) (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);

typedef struct {
    agendabox_t *agendabox;
    decisionbox_t *decisionbox;
    casebox_t *casebox;
    signalbox_t *signalbox;
    outbox_t *outbox;
    /*  The police spool's record of the file a signal came from (NULL: no
     *  spool). */
    retain_forget_fn *forget_file;
    void *forget_file_arg;
} retain_boxes_t;

/*  Write the calendar file of a meeting again, from its stored agenda
 *  without the subjects hidden now: after a destruction took a subject
 *  out, an archive hid one or a reopen brought one back.  0, or -1 with
 *  reason, which leaves the step owed (resumed later). */
typedef int (retain_publish_fn) (void *arg, const char *meeting_id, kt_reason_t *reason);

/*  db and keystore are borrowed (node.db, the node's keystore).
 *  archive_destroys: this node is not a kernpartij. */
retainbox_t *retainbox_new (sqlite3 *db, keystore_t *keystore, bool archive_destroys,
                            kt_reason_t *reason);
void retainbox_destroy (retainbox_t **self_p);
/*  The node's role changed (a roster version): whether an archive step
 *  destroys from now on (retainbox_new's archive_destroys). */
void retainbox_set_archive_destroys (retainbox_t *self, bool archive_destroys);
void retainbox_set_publish (retainbox_t *self, retain_publish_fn *fn, void *arg);
/*  Called durably before a destruction of case_ref begins, with the own
 *  message ids it names (the node's journal, forget.h): 0, or -1 with
 *  reason, and the destruction waits. */
typedef int (retain_journal_fn) (void *arg, const char *case_ref, const ProtobufCBinaryData *ids,
                                 size_t n_ids, kt_reason_t *reason);
void retainbox_set_journal (retainbox_t *self, retain_journal_fn *fn, void *arg);

/*  The state of case_ref here (RETAIN_ACTIVE when none is kept). */
int retainbox_state (retainbox_t *self, const char *case_ref, retain_state_t *state,
                     kt_reason_t *reason);
/*  Whether case_ref is out of every list and show (archived, or being or
 *  been destroyed).  A state that cannot be read counts as hidden, and is
 *  logged. */
bool retainbox_hidden (retainbox_t *self, const char *case_ref);
/*  Whether case_ref is being or has been destroyed here. */
bool retainbox_gone (retainbox_t *self, const char *case_ref);
/*  A copy about case_ref made at created_ms (its header's created_ms, the
 *  uitvoerder's clock) has arrived: 1 when it must be dropped - it was
 *  made before the subject was destroyed here, or the destruction is
 *  under way; 0 when it is to be stored - nothing is destroyed, or it was
 *  made after the destruction, which lifts the tombstone (the uitvoerder
 *  keeps the subject alive: a new signal after this node's own schedule
 *  destroyed it, a reopen where an archive was a destruction); -1 with
 *  reason. */
int retainbox_late_copy (retainbox_t *self, const char *case_ref, uint64_t created_ms,
                         kt_reason_t *reason);
/*  The items of a received agenda made at created_ms that are not late
 *  copies (retainbox_late_copy), into kept (room for a->n_items), their
 *  count in *n_p; each one left out is logged by case_ref.  -1 with
 *  reason. */
int retainbox_keep_items (retainbox_t *self, const Keten__WeegploegAgenda *a, uint64_t created_ms,
                          Keten__AgendaItem **kept, size_t *n_p, kt_reason_t *reason);
/*  RetentionNotice.sequence: notices about one case_ref carry increasing
 *  numbers in the order the uitvoerder made them (each reopen starts a
 *  generation, archive before destroy within one).  Stale: 1 when a
 *  notice with a higher number was applied here already (a retried
 *  archive must not undo a later reopen), 0 when it is to be applied (a
 *  higher number, the same one again - a retry - or 0, an uitvoerder
 *  that numbers none), -1 with reason. */
int retainbox_notice_stale (retainbox_t *self, const char *case_ref, uint32_t sequence,
                            kt_reason_t *reason);
/*  After a notice was applied: its number kept, when higher. */
int retainbox_notice_applied (retainbox_t *self, const char *case_ref, uint32_t sequence,
                              kt_reason_t *reason);
/*  Whether this node's own message id was named by a notice about a
 *  case_ref that is hidden now (its signal leaves signal.list). */
bool retainbox_message_hidden (retainbox_t *self, const uint8_t id[KT_ID_LEN]);

/*  ---- applying a notice or the schedule ------------------------------
 *  ids: the node's own messages about case_ref the notice named. */

/*  art. 13.2: archive case_ref (a destruction where archive_destroys).
 *  last_ms: the subject's last processing in the federation when the
 *  notice tells it (0: not known); it counts as processing here. */
int retainbox_archive (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                       const ProtobufCBinaryData *ids, size_t n_ids, uint64_t last_ms,
                       uint64_t now_ms, kt_reason_t *reason);
/*  art. 13.1, 13.3: destroy everything held about case_ref, as above. */
int retainbox_destroy_case (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                            const ProtobufCBinaryData *ids, size_t n_ids, uint64_t now_ms,
                            kt_reason_t *reason);
/*  The node's own signals ids forgotten as the schedule forgets those no
 *  notice tied to a subject (one still waiting for its receipt waits):
 *  the replay of such a step after a restore (its journal entry has
 *  case_ref "").  0, or -1 with reason. */
int retainbox_forget_own (retainbox_t *self, const retain_boxes_t *boxes,
                          const ProtobufCBinaryData *ids, size_t n_ids, kt_reason_t *reason);
/*  art. 13.4: case_ref active again, its clock restarted at now_ms.  -1
 *  with reason when it is destroyed here (nothing can come back). */
int retainbox_reopen (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                      uint64_t now_ms, kt_reason_t *reason);
/*  Complete every destruction a crash interrupted, and write the calendar
 *  files a destruction, an archive or a reopen still owes.  Each subject
 *  on its own: one that fails is logged and the others go on; -1 with
 *  the first failure's reason at the end when any did. */
int retainbox_resume (retainbox_t *self, const retain_boxes_t *boxes, kt_reason_t *reason);

/*  ---- the schedule ----------------------------------------------------- */

/*  A subject held here, with its schedule under the roster's periods. */
typedef struct {
    const char *case_ref;
    retain_state_t state;
    uint64_t last_ms; /* its last processing here */
    retention_plan_t plan;
} retain_case_t;
/*  Take one: 0 go on, 1 stop, -1 error with reason. */
typedef int (retain_case_fn) (void *arg, const retain_case_t *c, kt_reason_t *reason);

/*  Every subject held here that is not destroyed, with its last
 *  processing (the one definition at a partner, see retainbox.c) and
 *  retention_plan's answer at now_ms with RETENTION_GRACE_MS, each to fn
 *  (order unspecified). */
int retainbox_each (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
                    uint64_t now_ms, retain_case_fn *fn, void *arg, kt_reason_t *reason);
/*  How many tombstones this node keeps. */
int64_t retainbox_destroyed (retainbox_t *self);

/*  Take one step the schedule found due ("archive" or "destroy", the
 *  rule's due_ms): 0 go on, -1 error with reason. */
typedef int (retain_action_fn) (void *arg, const char *case_ref, const char *action,
                                uint64_t due_ms, kt_reason_t *reason);
/*  Run the schedule at now_ms: resume interrupted destructions, take
 *  every step due (each reported to fn, which may be NULL, before it is
 *  taken), destroy this node's own signals no notice named once they are
 *  destroy-days old, and blank the outbox rows of destroyed subjects that
 *  have since been settled.  dry_run: only report.  Running it twice does
 *  nothing the second time.  A subject whose step fails is logged and
 *  left for the next run; the others go on, and the run answers -1 with
 *  the first failure's reason at its end. */
int retainbox_run (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
                   uint64_t now_ms, bool dry_run, retain_action_fn *fn, void *arg,
                   kt_reason_t *reason);

/*  Steps one batch of the schedule takes at most: a destruction costs
 *  several commits and two TRUNCATE checkpoints (fsyncs), and thousands
 *  due at once (the first start after an upgrade, a roster that shortens
 *  the periods) would block the event loop past the watchdog. */
#define RETAIN_BATCH 50

typedef struct {
    bool more;   /* steps were left for the next batch */
    size_t done; /* steps taken that did not fail */
} retain_batch_t;

/*  retainbox_run (not a dry run) taking at most max_steps steps - a
 *  destruction completed, a calendar file written, a scheduled archive or
 *  destruction, the own signals' expiry, a destroyed subject's settled
 *  ties - in that order; batch tells whether more remain.  The caller
 *  runs the next batch soon, so the loop serves in between. */
int retainbox_run_batch (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
                         uint64_t now_ms, size_t max_steps, retain_action_fn *fn, void *arg,
                         retain_batch_t *batch, kt_reason_t *reason);
/* ---- correction (art. 12.5-12.6) -------------------------------------- */

/*  A key a correction replaced (an agenda or own signal sealed again),
 *  owed a shred under tag, inside the caller's transaction on node.db. */
int retainbox_owe_shred (retainbox_t *self, const uint8_t key_id[KEYSTORE_ID_LEN], const char *tag,
                         kt_reason_t *reason);
/*  Shred the keys owed under tag (Crash reasoning 11: after the commit
 *  that stopped using them), then truncate node.db's and keystore.db's
 *  WAL.  Repeated at the next correction or start when it fails. */
int retainbox_shred_tag (retainbox_t *self, const char *tag, kt_reason_t *reason);
/*  How many keys are owed a shred under tag (-1 when unreadable). */
int64_t retainbox_owed_tag (retainbox_t *self, const char *tag);
/*  A meeting whose agenda is deleted (the node is no longer a
 *  kernpartij) owes no calendar file: forgotten inside the caller's
 *  transaction on node.db. */
int retainbox_forget_meeting (retainbox_t *self, const char *meeting_id, kt_reason_t *reason);

#endif
