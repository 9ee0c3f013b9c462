/*  retainbox: art. 13 at a partner node.  */
#include "retainbox.h"

#include "store.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define CASE_REF_LEN 18 /* k- and 16 hex digits */

struct _retainbox_t {
    sqlite3 *db;
    keystore_t *keystore;
    bool archive_destroys;
    retain_publish_fn *publish;
    void *publish_arg;
    retain_journal_fn *journal;
    void *journal_arg;
};

static const char *const s_migrations[] = {
    /*  One row per case_ref this node archived, is destroying, destroyed
     *  (the tombstone: the pseudonym only) or had reopened (touched_ms
     *  restarts its clock).  retain_message: the node's own messages a
     *  notice tied to a case_ref (ids and pseudonyms only).  retain_shred
     *  and retain_meeting: what a destruction still owes after its
     *  commit - keys to shred, calendar files to write again. */
    "CREATE TABLE retain (case_ref TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " since_ms INTEGER NOT NULL, touched_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE retain_message (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL);"
    "CREATE INDEX retain_message_case ON retain_message (case_ref);"
    "CREATE TABLE retain_shred (key_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL);"
    "CREATE TABLE retain_meeting (case_ref TEXT NOT NULL, meeting_id TEXT NOT NULL,"
    " PRIMARY KEY (case_ref, meeting_id));",
    /*  The highest RetentionNotice.sequence applied per case_ref (0: none,
     *  or only notices of an uitvoerder that numbers none). */
    "ALTER TABLE retain ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;",
};

static const char *const s_state_names[] = {"active", "archived", "destroying", "destroyed"};

const char *
retain_state_name (retain_state_t state)
{
    return state <= RETAIN_DESTROYED ? s_state_names[state] : "active";
}

static retain_state_t
s_state_from (const char *name)
{
    for (int i = 0; i <= RETAIN_DESTROYED; i++)
        if (strcmp (name, s_state_names[i]) == 0)
            return (retain_state_t) i;
    return RETAIN_ACTIVE;
}

retainbox_t *
retainbox_new (sqlite3 *db, keystore_t *keystore, bool archive_destroys, kt_reason_t *reason)
{
    retainbox_t *self =
        store_module_new (sizeof *self, db, "retainbox", STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->db = db;
        self->keystore = keystore;
        self->archive_destroys = archive_destroys;
    }
    return self;
}

void
retainbox_destroy (retainbox_t **self_p)
{
    retainbox_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

void
retainbox_set_archive_destroys (retainbox_t *self, bool archive_destroys)
{
    self->archive_destroys = archive_destroys;
}

void
retainbox_set_publish (retainbox_t *self, retain_publish_fn *fn, void *arg)
{
    self->publish = fn;
    self->publish_arg = arg;
}

void
retainbox_set_journal (retainbox_t *self, retain_journal_fn *fn, void *arg)
{
    self->journal = fn;
    self->journal_arg = arg;
}

/* ---- states --------------------------------------------------------------- */

static int
s_state_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(retain_state_t *) arg = s_state_from (store_text (q, 0));
    return 0;
}

int
retainbox_state (retainbox_t *self, const char *case_ref, retain_state_t *state,
                 kt_reason_t *reason)
{
    *state = RETAIN_ACTIVE;
    return store_one (self->db, "SELECT state FROM retain WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), s_state_row, state,
                      "read the subject's retention state", reason) < 0
               ? -1
               : 0;
}

bool
retainbox_hidden (retainbox_t *self, const char *case_ref)
{
    retain_state_t state;
    kt_reason_t reason;
    if (retainbox_state (self, case_ref, &state, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "retention state_failed case_ref=%.24s reason=\"%s\"", case_ref,
                reason.text);
        return true;
    }
    return state != RETAIN_ACTIVE;
}

bool
retainbox_gone (retainbox_t *self, const char *case_ref)
{
    retain_state_t state;
    kt_reason_t reason;
    if (retainbox_state (self, case_ref, &state, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "retention state_failed case_ref=%.24s reason=\"%s\"", case_ref,
                reason.text);
        return false; /* stored, and the schedule takes it */
    }
    return state == RETAIN_DESTROYING || state == RETAIN_DESTROYED;
}

static int
s_sequence_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

int
retainbox_notice_stale (retainbox_t *self, const char *case_ref, uint32_t sequence,
                        kt_reason_t *reason)
{
    /*  An uitvoerder that numbers no notices: applied as they come. */
    if (sequence == 0)
        return 0;
    int64_t applied = 0;
    if (store_one (self->db, "SELECT sequence FROM retain WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_sequence_row, &applied,
                   "read the subject's last notice", reason) < 0)
        return -1;
    /*  The same number again is a retry of the notice applied: applied
     *  again, which changes nothing. */
    return (int64_t) sequence < applied ? 1 : 0;
}

int
retainbox_notice_applied (retainbox_t *self, const char *case_ref, uint32_t sequence,
                          kt_reason_t *reason)
{
    if (sequence == 0)
        return 0;
    /*  Every notice applied leaves a row (its state); a reopen refused
     *  for a destroyed subject applied nothing and is not recorded. */
    return store_run (self->db, "UPDATE retain SET sequence=max(sequence, ?) WHERE case_ref=?",
                      STORE_VALUES (STORE_INT (sequence), STORE_TEXT (case_ref)),
                      "record the subject's last notice", reason) < 0
               ? -1
               : 0;
}

/*  A state and its time. */
typedef struct {
    retain_state_t state;
    uint64_t since_ms;
} since_t;

static int
s_since_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    since_t *s = arg;
    s->state = s_state_from (store_text (q, 0));
    s->since_ms = (uint64_t) sqlite3_column_int64 (q, 1);
    return 0;
}

int
retainbox_late_copy (retainbox_t *self, const char *case_ref, uint64_t created_ms,
                     kt_reason_t *reason)
{
    since_t s = {RETAIN_ACTIVE, 0};
    if (store_one (self->db, "SELECT state, since_ms FROM retain WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_since_row, &s,
                   "read the subject's retention state", reason) < 0)
        return -1;
    if (s.state != RETAIN_DESTROYING && s.state != RETAIN_DESTROYED)
        return 0;
    /*  A copy made before the destruction (the uitvoerder's clock and
     *  this node's are within the federation's skew) was on its way:
     *  dropped.  So is any copy while the destruction is under way: it
     *  would take it with the rest. */
    if (s.state == RETAIN_DESTROYING || created_ms <= s.since_ms)
        return 1;
    /*  Made after it: the uitvoerder, which knows the whole federation,
     *  keeps the subject alive (a new signal after this node's own
     *  schedule destroyed it; a reopen at a node where an archive was a
     *  destruction).  The tombstone is lifted and the copy stored. */
    if (store_run (self->db,
                   "UPDATE retain SET state='active', since_ms=? WHERE case_ref=?"
                   " AND state='destroyed'",
                   STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (case_ref)),
                   "lift the subject's tombstone", reason) < 0)
        return -1;
    kt_log (KT_LOG_INFO, "retention tombstone_lifted case_ref=%s created_ms=%llu destroyed_ms=%llu",
            case_ref, (unsigned long long) created_ms, (unsigned long long) s.since_ms);
    return 0;
}

int
retainbox_keep_items (retainbox_t *self, const Keten__WeegploegAgenda *a, uint64_t created_ms,
                      Keten__AgendaItem **kept, size_t *n_p, kt_reason_t *reason)
{
    *n_p = 0;
    for (size_t i = 0; i < a->n_items; i++) {
        int late = retainbox_late_copy (self, a->items[i]->case_ref, created_ms, reason);
        if (late < 0)
            return -1;
        if (late)
            kt_log (KT_LOG_INFO, "retention dropped_late what=agenda meeting=%.24s case_ref=%.24s",
                    a->meeting_id, a->items[i]->case_ref);
        else
            kept[(*n_p)++] = a->items[i];
    }
    return 0;
}

bool
retainbox_message_hidden (retainbox_t *self, const uint8_t id[KT_ID_LEN])
{
    kt_reason_t reason;
    int hidden = store_one (self->db,
                            "SELECT 1 FROM retain_message m JOIN retain r USING (case_ref)"
                            " WHERE m.message_id=? AND r.state <> 'active'",
                            STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), NULL, NULL,
                            "read the message's retention state", &reason);
    if (hidden < 0)
        kt_log (KT_LOG_ERROR, "retention state_failed reason=\"%s\"", reason.text);
    return hidden != 0;
}

/*  Record case_ref's state (inside the caller's transaction). */
static int
s_set_state (retainbox_t *self, const char *case_ref, retain_state_t state, uint64_t now_ms,
             kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT INTO retain (case_ref, state, since_ms) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT (case_ref) DO UPDATE SET state=?2, since_ms=?3"
                      " WHERE state <> ?2",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (retain_state_name (state)),
                                    STORE_INT (now_ms)),
                      "record the subject's retention state", reason) < 0
               ? -1
               : 0;
}

/*  Tie the node's own messages to case_ref (inside the caller's
 *  transaction). */
static int
s_tie (retainbox_t *self, const char *case_ref, const ProtobufCBinaryData *ids, size_t n,
       kt_reason_t *reason)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i].len != KT_ID_LEN)
            return kt_fail (reason, "retention: a message id is not %d bytes", KT_ID_LEN);
        if (store_run (self->db,
                       "INSERT INTO retain_message (message_id, case_ref) VALUES (?,?)"
                       " ON CONFLICT (message_id) DO UPDATE SET case_ref=excluded.case_ref",
                       STORE_VALUES (STORE_BLOB (ids[i].data, KT_ID_LEN), STORE_TEXT (case_ref)),
                       "tie a message to its subject", reason) < 0)
            return -1;
    }
    return 0;
}

/*  The state and ties in one commit. */
static int
s_record (retainbox_t *self, const char *case_ref, retain_state_t state,
          const ProtobufCBinaryData *ids, size_t n, uint64_t now_ms, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (s_set_state (self, case_ref, state, now_ms, reason) != 0 ||
        s_tie (self, case_ref, ids, n, reason) != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

/* ---- destruction -------------------------------------------------------- */

/*  A key to shred once the destruction's transaction committed. */
static int
s_owe_shred (retainbox_t *self, const char *case_ref, const uint8_t key_id[KEYSTORE_ID_LEN],
             kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT OR IGNORE INTO retain_shred (key_id, case_ref) VALUES (?,?)",
                      STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN), STORE_TEXT (case_ref)),
                      "record a key to shred", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    retainbox_t *self;
    const char *case_ref;
} strip_t;

/*  A meeting's calendar file, owed (inside the caller's transaction):
 *  written again once that transaction committed. */
static int
s_owe_meeting (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    strip_t *s = arg;
    return store_run (s->self->db,
                      "INSERT OR IGNORE INTO retain_meeting (case_ref, meeting_id) VALUES (?,?)",
                      STORE_VALUES (STORE_TEXT (s->case_ref), STORE_TEXT (meeting_id)),
                      "record a calendar file to write again", reason) < 0
               ? -1
               : 0;
}

/*  agendabox_strip's callback: the old key and the calendar file, owed. */
static int
s_stripped (void *arg, const char *meeting_id, const uint8_t old_key_id[KEYSTORE_ID_LEN],
            kt_reason_t *reason)
{
    strip_t *s = arg;
    if (s_owe_shred (s->self, s->case_ref, old_key_id, reason) != 0)
        return -1;
    return s_owe_meeting (s, meeting_id, reason);
}

/*  The calendar files of every meeting naming case_ref, owed: an archive
 *  or a reopen changes what they show. */
static int
s_owe_meetings (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                kt_reason_t *reason)
{
    strip_t s = {self, case_ref};
    return boxes->agendabox
               ? agendabox_meetings_of (boxes->agendabox, case_ref, s_owe_meeting, &s, reason)
               : 0;
}

/*  Message ids of a query's column 0, collected. */
typedef struct {
    uint8_t *ids;
    size_t n, cap;
} ids_t;

static int
s_collect_id (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    ids_t *l = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        uint8_t *ids = realloc (l->ids, cap * KT_ID_LEN);
        if (!ids)
            return kt_fail (reason, "out of memory");
        l->ids = ids;
        l->cap = cap;
    }
    memcpy (l->ids + l->n++ * KT_ID_LEN, sqlite3_column_blob (q, 0), KT_ID_LEN);
    return 0;
}

/*  The node's own messages tied to case_ref. */
static int
s_tied (retainbox_t *self, const char *case_ref, ids_t *l, kt_reason_t *reason)
{
    return store_each (self->db, "SELECT message_id FROM retain_message WHERE case_ref=?",
                       store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                       s_collect_id, l, "list the subject's own messages", reason);
}

/*  One own signal gone (inside the caller's transaction): its row, its
 *  key owed to the shredder, its outbox header blanked once settled.
 *  *settled: whether the header is blank (or there is none). */
static int
s_forget_message (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                  const uint8_t id[KT_ID_LEN], bool *settled, kt_reason_t *reason)
{
    *settled = true;
    if (boxes->signalbox) {
        uint8_t key_id[KEYSTORE_ID_LEN];
        bool found;
        if (signalbox_forget (boxes->signalbox, id, key_id, &found, reason) != 0 ||
            (found && s_owe_shred (self, case_ref, key_id, reason) != 0))
            return -1;
    }
    if (boxes->forget_file && boxes->forget_file (boxes->forget_file_arg, id, reason) != 0)
        return -1;
    if (boxes->outbox) {
        int blank = outbox_blank (boxes->outbox, id, reason);
        if (blank < 0)
            return -1;
        *settled = blank == 1;
    }
    return 0;
}

/*  Step 1: every row about case_ref, in one transaction with what it
 *  leaves owed (keys, calendar files). */
static int
s_delete_rows (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
               kt_reason_t *reason)
{
    ids_t tied = {0};
    if (s_tied (self, case_ref, &tied, reason) != 0) {
        free (tied.ids);
        return -1;
    }
    if (store_begin (self->db, reason) != 0) {
        free (tied.ids);
        return -1;
    }
    strip_t strip = {self, case_ref};
    int rc = 0;
    if (boxes->agendabox)
        rc = agendabox_strip (boxes->agendabox, case_ref, s_stripped, &strip, reason);
    if (rc == 0 && boxes->decisionbox) {
        uint8_t *keys = NULL;
        size_t n = 0;
        rc = decisionbox_forget (boxes->decisionbox, case_ref, &keys, &n, reason);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = s_owe_shred (self, case_ref, keys + i * KEYSTORE_ID_LEN, reason);
        free (keys);
    }
    if (rc == 0 && boxes->casebox) {
        uint8_t key_id[KEYSTORE_ID_LEN];
        bool found;
        rc = casebox_forget (boxes->casebox, case_ref, key_id, &found, reason);
        if (rc == 0 && found)
            rc = s_owe_shred (self, case_ref, key_id, reason);
    }
    for (size_t i = 0; rc == 0 && i < tied.n; i++) {
        bool settled;
        rc = s_forget_message (self, boxes, case_ref, tied.ids + i * KT_ID_LEN, &settled, reason);
    }
    free (tied.ids);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

typedef struct {
    retainbox_t *self;
    const char *case_ref;
} owed_t;

static int
s_publish_one (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    owed_t *o = arg;
    if (o->self->publish && o->self->publish (o->self->publish_arg, meeting_id, reason) != 0)
        return -1;
    return store_run (o->self->db, "DELETE FROM retain_meeting WHERE case_ref=? AND meeting_id=?",
                      STORE_VALUES (STORE_TEXT (o->case_ref), STORE_TEXT (meeting_id)),
                      "record a calendar file written", reason) < 0
               ? -1
               : 0;
}

/*  Step 2: the calendar files of the meetings that lost the subject. */
static int s_collect_ref (void *arg, const char *text, kt_reason_t *reason);

static int
s_publish_owed (retainbox_t *self, const char *case_ref, kt_reason_t *reason)
{
    owed_t o = {self, case_ref};
    /*  Collected first: each row goes as its file is written. */
    zlist_t *meetings = zlist_new ();
    if (!meetings)
        return kt_fail (reason, "out of memory");
    zlist_autofree (meetings);
    int rc = store_each_text (self->db, "SELECT meeting_id FROM retain_meeting WHERE case_ref=?",
                              STORE_VALUES (STORE_TEXT (case_ref)), s_collect_ref, meetings,
                              "list the calendar files to write again", reason);
    for (char *id = zlist_first (meetings); rc == 0 && id; id = zlist_next (meetings))
        rc = s_publish_one (&o, id, reason);
    zlist_destroy (&meetings);
    return rc;
}

/*  Step 3: shred the keys owed for case_ref ("" for own signals the
 *  schedule destroyed on their own). */
static int
s_shred_owed (retainbox_t *self, const char *case_ref, kt_reason_t *reason)
{
    ids_t keys = {0};
    int rc = store_each (self->db, "SELECT key_id FROM retain_shred WHERE case_ref=?",
                         store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                         s_collect_id, &keys, "list the keys to shred", reason);
    /*  Crash reasoning, rule 11: these keys are no longer used by any
     *  committed row. */
    for (size_t i = 0; rc == 0 && i < keys.n; i++)
        rc = keystore_shred (self->keystore, keys.ids + i * KEYSTORE_ID_LEN, reason);
    free (keys.ids);
    if (rc == 0 &&
        store_run (self->db, "DELETE FROM retain_shred WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), "record the keys shredded", reason) < 0)
        rc = -1;
    return rc;
}

/*  Step 4: no WAL file keeps a page of what was deleted.  A checkpoint a
 *  reader (an operator's sqlite3) kept from finishing is a failure: the
 *  destruction stays unfinished and is completed at the next run. */
static int
s_checkpoint (retainbox_t *self, kt_reason_t *reason)
{
    sqlite3 *dbs[2] = {self->db, keystore_db (self->keystore)};
    for (size_t i = 0; i < 2; i++) {
        bool busy = false;
        if (store_wal_truncate (dbs[i], &busy,
                                i ? "truncate keystore.db's WAL" : "truncate node.db's WAL",
                                reason) != 0)
            return -1;
        if (busy)
            return kt_fail (reason,
                            "the WAL of %s is held by a reader; the destruction is"
                            " completed at the next retention run",
                            i ? "keystore.db" : "node.db");
    }
    return 0;
}

/*  Own messages of destroyed subjects whose outbox header is blank now:
 *  their tie is no longer needed. */
static int
s_untie_settled (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                 kt_reason_t *reason)
{
    ids_t tied = {0};
    int rc = s_tied (self, case_ref, &tied, reason);
    for (size_t i = 0; rc == 0 && i < tied.n; i++) {
        const uint8_t *id = tied.ids + i * KT_ID_LEN;
        int blank = boxes->outbox ? outbox_blank (boxes->outbox, id, reason) : 1;
        if (blank < 0)
            rc = -1;
        else if (blank == 1 && store_run (self->db, "DELETE FROM retain_message WHERE message_id=?",
                                          STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)),
                                          "untie a message", reason) < 0)
            rc = -1;
    }
    free (tied.ids);
    return rc;
}

/*  The calendar files owed for case_ref, written now if they can be.  A
 *  file that cannot (a calendar directory not writable, a full disk) is
 *  only logged: it stays owed in retain_meeting and every run tries it
 *  again (retainbox_resume), and it holds back neither the shredding nor
 *  any other subject. */
static void
s_publish_or_owe (retainbox_t *self, const char *case_ref)
{
    kt_reason_t why;
    if (s_publish_owed (self, case_ref, &why) != 0)
        kt_log (KT_LOG_ERROR, "retention calendar_owed case_ref=%s reason=\"%s\"", case_ref,
                why.text);
}

/*  Steps 1-5 for a case_ref recorded "destroying".  The calendar files
 *  come last and on their own: the keys and the WAL are what make the
 *  data unreadable, and a file that cannot be written must not keep them
 *  (docs/RETENTION.md, "Destruction"). */
static int
s_complete (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref, uint64_t now_ms,
            kt_reason_t *reason)
{
    if (s_delete_rows (self, boxes, case_ref, reason) != 0 ||
        s_shred_owed (self, case_ref, reason) != 0 || s_checkpoint (self, reason) != 0)
        return -1;
    /*  Step 5: the tombstone, and the ties whose header is blank. */
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (s_untie_settled (self, boxes, case_ref, reason) != 0 ||
        s_set_state (self, case_ref, RETAIN_DESTROYED, now_ms, reason) != 0 ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  The tombstone's own commit holds no personal data; its WAL frames
     *  go too, but a reader in the way now changes nothing. */
    kt_reason_t why;
    if (s_checkpoint (self, &why) != 0)
        kt_log (KT_LOG_WARN, "retention checkpoint_deferred reason=\"%s\"", why.text);
    kt_log (KT_LOG_INFO, "retention destroyed case_ref=%s", case_ref);
    /*  The owed calendar files, a step of their own. */
    s_publish_or_owe (self, case_ref);
    return 0;
}

int
retainbox_destroy_case (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                        const ProtobufCBinaryData *ids, size_t n_ids, uint64_t now_ms,
                        kt_reason_t *reason)
{
    retain_state_t state;
    if (retainbox_state (self, case_ref, &state, reason) != 0)
        return -1;
    /*  A notice repeated for a subject destroyed here changes nothing,
     *  unless it names own messages this node still holds. */
    if (state == RETAIN_DESTROYED && n_ids == 0)
        return 0;
    /*  "destroying" commits before anything is deleted: a crash from
     *  here on is completed by retainbox_resume. */
    if (state != RETAIN_DESTROYING || n_ids > 0) {
        if (self->journal && self->journal (self->journal_arg, case_ref, ids, n_ids, reason) != 0)
            return -1;
        if (s_record (self, case_ref, RETAIN_DESTROYING, ids, n_ids, now_ms, reason) != 0)
            return -1;
    }
    return s_complete (self, boxes, case_ref, now_ms, reason);
}

int
retainbox_archive (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                   const ProtobufCBinaryData *ids, size_t n_ids, uint64_t last_ms, uint64_t now_ms,
                   kt_reason_t *reason)
{
    /*  art. 13.2: only the kernpartijen may still consult archived data;
     *  another node has no ground to keep it. */
    if (self->archive_destroys)
        return retainbox_destroy_case (self, boxes, case_ref, ids, n_ids, now_ms, reason);
    retain_state_t state;
    if (retainbox_state (self, case_ref, &state, reason) != 0)
        return -1;
    if (state == RETAIN_DESTROYING)
        return s_complete (self, boxes, case_ref, now_ms, reason);
    if (state == RETAIN_DESTROYED)
        return 0;
    if (store_begin (self->db, reason) != 0)
        return -1;
    /*  The federation's last processing, when the notice told it, counts
     *  here too: this node's clock must not destroy the archive before
     *  the uitvoerder's would. */
    if (s_set_state (self, case_ref, RETAIN_ARCHIVED, now_ms, reason) != 0 ||
        s_tie (self, case_ref, ids, n_ids, reason) != 0 ||
        s_owe_meetings (self, boxes, case_ref, reason) != 0 ||
        (last_ms &&
         store_run (self->db, "UPDATE retain SET touched_ms=max(touched_ms, ?) WHERE case_ref=?",
                    STORE_VALUES (STORE_INT (last_ms), STORE_TEXT (case_ref)),
                    "record the subject's last processing", reason) < 0) ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    if (state != RETAIN_ARCHIVED)
        kt_log (KT_LOG_INFO, "retention archived case_ref=%s", case_ref);
    /*  The calendar files no longer show the subject. */
    return s_publish_owed (self, case_ref, reason);
}

int
retainbox_reopen (retainbox_t *self, const retain_boxes_t *boxes, const char *case_ref,
                  uint64_t now_ms, kt_reason_t *reason)
{
    retain_state_t state;
    if (retainbox_state (self, case_ref, &state, reason) != 0)
        return -1;
    if (state == RETAIN_DESTROYING || state == RETAIN_DESTROYED)
        return kt_fail (reason, "%.24s is destroyed at this node; nothing can come back", case_ref);
    if (store_begin (self->db, reason) != 0)
        return -1;
    /*  art. 13.4: the clock starts again.  The own messages stay tied to
     *  the subject (they go with it), and show again with it. */
    if (store_run (self->db,
                   "INSERT INTO retain (case_ref, state, since_ms, touched_ms)"
                   " VALUES (?1, 'active', ?2, ?2) ON CONFLICT (case_ref)"
                   " DO UPDATE SET state='active', since_ms=?2, touched_ms=?2",
                   STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (now_ms)),
                   "record the subject reopened", reason) < 0 ||
        s_owe_meetings (self, boxes, case_ref, reason) != 0 ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    kt_log (KT_LOG_INFO, "retention reopened case_ref=%s", case_ref);
    /*  The calendar files show the subject again. */
    return s_publish_owed (self, case_ref, reason);
}

/*  Texts of column 0 (case_refs, meeting ids), collected: their rows
 *  change while they are visited. */
static int
s_collect_ref (void *arg, const char *text, kt_reason_t *reason)
{
    /*  The lists autofree: zlist_append keeps its own copy. */
    return zlist_append (arg, (void *) text) == 0 ? 0 : kt_fail (reason, "out of memory");
}

static int
s_refs (retainbox_t *self, const char *sql, zlist_t **list_p, kt_reason_t *reason)
{
    *list_p = zlist_new ();
    if (!*list_p)
        return kt_fail (reason, "out of memory");
    zlist_autofree (*list_p);
    return store_each_text (self->db, sql, NULL, s_collect_ref, *list_p,
                            "list the subjects by retention state", reason);
}

/*  Failures of single subjects, each logged where it happened; the run
 *  goes on with the others and reports the first at its end. */
typedef struct {
    size_t n;
    kt_reason_t first;
} failures_t;

static void
s_failed (failures_t *fails, const char *what, const char *case_ref, const kt_reason_t *why)
{
    kt_log (KT_LOG_ERROR, "retention %s_failed case_ref=%s reason=\"%s\"", what, case_ref,
            why->text);
    if (fails->n++ == 0)
        fails->first = *why;
}

/*  -1 with a reason naming the first failure when any step failed. */
static int
s_failures (const failures_t *fails, kt_reason_t *reason)
{
    if (fails->n == 0)
        return 0;
    return kt_fail (reason, "%zu retention step%s failed (each logged), the first: %s", fails->n,
                    fails->n == 1 ? "" : "s", fails->first.text);
}

/*  How many steps a batch may still take (docs: a destruction costs
 *  several commits and two TRUNCATE checkpoints, so thousands at once
 *  would block the event loop past the watchdog).  more: a step was
 *  left for the next batch; done: steps taken without failure. */
typedef struct {
    size_t left;
    bool more;
    size_t done;
} budget_t;

static bool
s_spend (budget_t *b)
{
    if (b->left == 0) {
        b->more = true;
        return false;
    }
    b->left--;
    return true;
}

/*  As retainbox_resume, with each subject's failure collected, within
 *  the budget. */
static int
s_resume (retainbox_t *self, const retain_boxes_t *boxes, budget_t *budget, failures_t *fails,
          kt_reason_t *reason)
{
    zlist_t *refs;
    kt_reason_t why;
    if (s_refs (self, "SELECT case_ref FROM retain WHERE state='destroying'", &refs, reason) != 0) {
        zlist_destroy (&refs);
        return -1;
    }
    /*  Each subject on its own: one that cannot be completed (a reader
     *  holding the WAL, a full disk) is tried again at the next run and
     *  keeps no other from being forgotten. */
    for (char *ref = zlist_first (refs); ref && s_spend (budget); ref = zlist_next (refs)) {
        kt_log (KT_LOG_INFO, "retention resume case_ref=%s", ref);
        if (s_complete (self, boxes, ref, kt_now_ms (), &why) != 0)
            s_failed (fails, "resume", ref, &why);
        else
            budget->done++;
    }
    zlist_destroy (&refs);
    /*  Calendar files a destruction, an archive or a reopen still owes. */
    if (s_refs (self, "SELECT DISTINCT case_ref FROM retain_meeting", &refs, reason) != 0) {
        zlist_destroy (&refs);
        return -1;
    }
    for (char *ref = zlist_first (refs); ref && s_spend (budget); ref = zlist_next (refs)) {
        if (s_publish_owed (self, ref, &why) != 0)
            s_failed (fails, "calendar", ref, &why);
        else
            budget->done++;
    }
    zlist_destroy (&refs);
    return 0;
}

int
retainbox_resume (retainbox_t *self, const retain_boxes_t *boxes, kt_reason_t *reason)
{
    failures_t fails = {0};
    budget_t all = {SIZE_MAX, false, 0};
    if (s_resume (self, boxes, &all, &fails, reason) != 0)
        return -1;
    return s_failures (&fails, reason);
}

/* ---- the schedule --------------------------------------------------------- */

/*  What this node knows of one subject. */
typedef struct {
    retention_facts_t facts;
    retain_state_t state;
    bool held;            /* some row here is about it */
    uint64_t question_ms; /* art. 7.4 sub 1: the newest meer informatie received */
} fact_t;

static fact_t *
s_fact (zhashx_t *facts, const char *case_ref, kt_reason_t *reason)
{
    fact_t *f = zhashx_lookup (facts, case_ref);
    if (f)
        return f;
    f = calloc (1, sizeof *f);
    if (!f || zhashx_insert (facts, case_ref, f) != 0) {
        free (f);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    return f;
}

static void
s_later (fact_t *f, uint64_t ms)
{
    if (ms > f->facts.last_ms)
        f->facts.last_ms = ms;
    f->held = true;
}

static int
s_from_agenda (void *arg, const char *case_ref, uint64_t received_ms, bool casusoverleg,
               kt_reason_t *reason)
{
    fact_t *f = s_fact (arg, case_ref, reason);
    if (!f)
        return -1;
    s_later (f, received_ms);
    /*  On a casusoverleg agenda, the subject was agendered. */
    f->facts.agendered |= casusoverleg;
    return 0;
}

static int
s_from_decision (void *arg, const decisionbox_row_t *row, kt_reason_t *reason)
{
    fact_t *f = s_fact (arg, row->case_ref, reason);
    if (!f)
        return -1;
    /*  art. 7.4 sub 1: meer informatie is no decision on the subject and
     *  does not keep it alive (docs/RETENTION.md) - unless it is all this
     *  node holds of it (a kernpartij asked about a subject it has no
     *  other copy of): then its arrival starts the clock (retainbox_each). */
    if (row->meer_informatie) {
        if (row->received_ms > f->question_ms)
            f->question_ms = row->received_ms;
        return 0;
    }
    s_later (f, row->received_ms);
    f->facts.decided = true;
    f->facts.agendered |= row->agenderen;
    return 0;
}

static int
s_from_case (void *arg, const char *case_ref, uint64_t last_ms, kt_reason_t *reason)
{
    fact_t *f = s_fact (arg, case_ref, reason);
    if (!f)
        return -1;
    s_later (f, last_ms);
    f->facts.agendered = true;
    return 0;
}

static int
s_from_retain (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    retain_state_t state = s_state_from (store_text (q, 1));
    fact_t *f = zhashx_lookup (arg, store_text (q, 0));
    /*  A reopen of a subject this node holds nothing of is nothing to
     *  schedule; an archived or half-destroyed one always is. */
    if (!f && state == RETAIN_ACTIVE)
        return 0;
    if (!f && !(f = s_fact (arg, store_text (q, 0), reason)))
        return -1;
    f->state = state;
    f->facts.archived = state == RETAIN_ARCHIVED;
    uint64_t touched = (uint64_t) sqlite3_column_int64 (q, 2);
    if (touched > f->facts.last_ms)
        f->facts.last_ms = touched;
    if (state != RETAIN_ACTIVE)
        f->held = true;
    return 0;
}

static void
s_fact_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

/*  The last processing of each subject at this node - the one definition
 *  at a partner (docs/RETENTION.md): the newest of
 *    - an agenda naming it received (agenda.received_ms),
 *    - a decision about it received (decision_in.received_ms; meer
 *      informatie only when nothing else about it is held),
 *    - its case opened or closed here, a plan version or a disclosure
 *      stored (casebox_each_last),
 *    - a reopen order applied (retain.touched_ms);
 *  reads do not count.  Agendered: a case here, a decision agenderen or
 *  a casusoverleg agenda; decided: any decision; archived: the state. */
static int
s_gather (retainbox_t *self, const retain_boxes_t *boxes, zhashx_t *facts, kt_reason_t *reason)
{
    if (boxes->agendabox &&
        agendabox_each_case (boxes->agendabox, s_from_agenda, facts, reason) != 0)
        return -1;
    if (boxes->decisionbox &&
        decisionbox_each (boxes->decisionbox, INT32_MAX, s_from_decision, facts, reason) != 0)
        return -1;
    if (boxes->casebox && casebox_each_last (boxes->casebox, s_from_case, facts, reason) != 0)
        return -1;
    return store_each (self->db, "SELECT case_ref, state, touched_ms FROM retain", NULL, NULL,
                       s_from_retain, facts, "list the subjects' retention states", reason);
}

int
retainbox_each (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
                uint64_t now_ms, retain_case_fn *fn, void *arg, kt_reason_t *reason)
{
    zhashx_t *facts = zhashx_new ();
    if (!facts)
        return kt_fail (reason, "out of memory");
    zhashx_set_destructor (facts, s_fact_free);
    int rc = s_gather (self, boxes, facts, reason);
    for (fact_t *f = zhashx_first (facts); rc == 0 && f; f = zhashx_next (facts)) {
        /*  A question is all this node holds of the subject: its arrival
         *  starts the clock (s_from_decision). */
        if (!f->held && f->question_ms)
            s_later (f, f->question_ms);
        if (!f->held || f->state == RETAIN_DESTROYED)
            continue;
        retain_case_t c = {zhashx_cursor (facts), f->state, f->facts.last_ms, {0}};
        retention_plan (roster, &f->facts, RETENTION_GRACE_MS, now_ms, &c.plan);
        rc = fn (arg, &c, reason);
        if (rc == 1)
            rc = 0;
        else if (rc != 0)
            break;
    }
    zhashx_destroy (&facts);
    return rc < 0 ? -1 : 0;
}

int64_t
retainbox_destroyed (retainbox_t *self)
{
    return store_int (self->db, "SELECT count(*) FROM retain WHERE state='destroyed'", 0);
}

/*  A step due, collected before any is taken. */
typedef struct {
    char case_ref[CASE_REF_LEN + 1];
    bool destroy;
    uint64_t due_ms;
} due_t;

typedef struct {
    due_t *steps;
    size_t n, cap;
    bool archive_destroys;
} dues_t;

static int
s_due (void *arg, const retain_case_t *c, kt_reason_t *reason)
{
    dues_t *d = arg;
    if (c->plan.step == RETENTION_KEEP || c->state == RETAIN_DESTROYING ||
        strlen (c->case_ref) != CASE_REF_LEN)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        due_t *steps = realloc (d->steps, cap * sizeof *steps);
        if (!steps)
            return kt_fail (reason, "out of memory");
        d->steps = steps;
        d->cap = cap;
    }
    due_t *s = &d->steps[d->n++];
    snprintf (s->case_ref, sizeof s->case_ref, "%s", c->case_ref);
    s->destroy = c->plan.step == RETENTION_DESTROY || d->archive_destroys;
    s->due_ms = c->plan.due_ms;
    return 0;
}

/*  Own signals no notice tied to a subject, made before before_ms. */
typedef struct {
    retainbox_t *self;
    ids_t ids;
} untied_t;

static int
s_untied_signal (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    untied_t *u = arg;
    int tied = store_one (u->self->db, "SELECT 1 FROM retain_message WHERE message_id=?",
                          STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), NULL, NULL,
                          "look for the signal's subject", reason);
    if (tied != 0)
        return tied < 0 ? -1 : 0;
    if (u->ids.n == u->ids.cap) {
        size_t cap = u->ids.cap ? u->ids.cap * 2 : 8;
        uint8_t *ids = realloc (u->ids.ids, cap * KT_ID_LEN);
        if (!ids)
            return kt_fail (reason, "out of memory");
        u->ids.ids = ids;
        u->ids.cap = cap;
    }
    memcpy (u->ids.ids + u->ids.n++ * KT_ID_LEN, id, KT_ID_LEN);
    return 0;
}

/*  Own signals (n ids) no notice tied to a subject forgotten in one
 *  commit: those still waiting for their receipt wait; *n_p how many
 *  went.  Noted in the journal first (forget.h: case_ref "", the ids),
 *  like any destruction, so that the sealed corrections of these signals
 *  go from forget.db with them, the copies taken before a migration or
 *  a restore go too, and a restore of an older backup forgets them
 *  again. */
static int
s_forget_own (retainbox_t *self, const retain_boxes_t *boxes, const uint8_t *ids, size_t n,
              size_t *n_p, kt_reason_t *reason)
{
    *n_p = 0;
    ProtobufCBinaryData *gone = calloc (n ? n : 1, sizeof *gone);
    if (!gone)
        return kt_fail (reason, "out of memory");
    size_t n_gone = 0;
    int rc = store_begin (self->db, reason);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const uint8_t *id = ids + i * KT_ID_LEN;
        int st = boxes->outbox ? outbox_blank (boxes->outbox, id, reason) : 1;
        if (st < 0)
            rc = -1;
        else if (st == 1)
            gone[n_gone++] = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) id};
    }
    /*  forget.db's own commit, before this one deletes anything: a
     *  failure rolls back the blanking above too, and the next run tries
     *  again. */
    if (rc == 0 && n_gone > 0 && self->journal &&
        self->journal (self->journal_arg, "", gone, n_gone, reason) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n_gone; i++) {
        bool settled;
        rc = s_forget_message (self, boxes, "", gone[i].data, &settled, reason);
    }
    if (rc == 0)
        rc = store_commit (self->db, reason);
    if (rc != 0)
        store_rollback (self->db);
    else
        *n_p = n_gone;
    free (gone);
    /*  Also keys owed by an earlier run that a crash (or a failed
     *  checkpoint) cut off after its commit: nothing else shreds them. */
    if (rc == 0 &&
        (*n_p > 0 ||
         store_int (self->db, "SELECT count(*) FROM retain_shred WHERE case_ref=''", 0) > 0) &&
        (s_shred_owed (self, "", reason) != 0 || s_checkpoint (self, reason) != 0))
        rc = -1;
    return rc;
}

/*  This node's own signals that no notice tied to a subject are
 *  destroyed 5 years after they were made: the node cannot tell which
 *  subject they became, so it counts from the one processing it knows,
 *  the signal itself (art. 13.1, "gedurende een termijn van 5 jaar", kept
 *  that long whatever shorter the roster says: retention_plan).  5
 *  calendar years and the day after are never more than 1828 days, so
 *  that is the cut, the grace day after it.  One still waiting for its
 *  receipt waits. */
static int
s_expire_signals (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
                  uint64_t now_ms, bool dry_run, size_t *n_p, kt_reason_t *reason)
{
    *n_p = 0;
    (void) roster;
    uint64_t keep_ms = 1828 * RETENTION_DAY_MS + RETENTION_GRACE_MS;
    if (!boxes->signalbox || now_ms <= keep_ms)
        return 0;
    untied_t u = {self, {0}};
    int rc =
        signalbox_each_before (boxes->signalbox, now_ms - keep_ms, s_untied_signal, &u, reason);
    if (rc == 0 && dry_run)
        *n_p = u.ids.n;
    else if (rc == 0)
        rc = s_forget_own (self, boxes, u.ids.ids, u.ids.n, n_p, reason);
    free (u.ids.ids);
    return rc;
}

int
retainbox_forget_own (retainbox_t *self, const retain_boxes_t *boxes,
                      const ProtobufCBinaryData *ids, size_t n_ids, kt_reason_t *reason)
{
    uint8_t *flat = malloc (n_ids ? n_ids * KT_ID_LEN : 1);
    if (!flat)
        return kt_fail (reason, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < n_ids; i++)
        if (ids[i].len == KT_ID_LEN)
            memcpy (flat + KT_ID_LEN * n++, ids[i].data, KT_ID_LEN);
    size_t gone = 0;
    int rc = s_forget_own (self, boxes, flat, n, &gone, reason);
    free (flat);
    if (rc == 0 && gone > 0)
        kt_log (KT_LOG_INFO, "retention destroyed own_signals=%zu", gone);
    return rc;
}

/*  Ties of destroyed subjects whose message has since been settled. */
static int
s_sweep (retainbox_t *self, const retain_boxes_t *boxes, budget_t *budget, kt_reason_t *reason)
{
    zlist_t *refs;
    int rc = s_refs (self,
                     "SELECT DISTINCT m.case_ref FROM retain_message m JOIN retain r"
                     " USING (case_ref) WHERE r.state='destroyed'",
                     &refs, reason);
    for (char *ref = zlist_first (refs); rc == 0 && ref && s_spend (budget);
         ref = zlist_next (refs)) {
        if ((rc = store_begin (self->db, reason)) != 0)
            break;
        if (s_untie_settled (self, boxes, ref, reason) != 0 ||
            store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    zlist_destroy (&refs);
    return rc;
}

/*  The schedule, within budget (dry_run: every step, none taken). */
static int
s_run (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster, uint64_t now_ms,
       bool dry_run, retain_action_fn *fn, void *arg, budget_t *budget, kt_reason_t *reason)
{
    failures_t fails = {0};
    if (!dry_run && s_resume (self, boxes, budget, &fails, reason) != 0)
        return -1;
    dues_t d = {NULL, 0, 0, self->archive_destroys};
    int rc = retainbox_each (self, boxes, roster, now_ms, s_due, &d, reason);
    for (size_t i = 0; rc == 0 && i < d.n && (dry_run || s_spend (budget)); i++) {
        const due_t *s = &d.steps[i];
        kt_reason_t why;
        if (fn && fn (arg, s->case_ref, s->destroy ? "destroy" : "archive", s->due_ms, reason) != 0)
            rc = -1;
        else if (dry_run)
            continue;
        /*  Each subject on its own, as in s_resume. */
        else if ((s->destroy
                      ? retainbox_destroy_case (self, boxes, s->case_ref, NULL, 0, now_ms, &why)
                      : retainbox_archive (self, boxes, s->case_ref, NULL, 0, 0, now_ms, &why)) !=
                 0)
            s_failed (&fails, s->destroy ? "destroy" : "archive", s->case_ref, &why);
        else
            budget->done++;
    }
    free (d.steps);
    /*  The own signals go in one commit: one step. */
    size_t expired = 0;
    if (rc == 0 && (dry_run || s_spend (budget)))
        rc = s_expire_signals (self, boxes, roster, now_ms, dry_run, &expired, reason);
    if (rc == 0 && expired > 0)
        kt_log (KT_LOG_INFO, "retention %s own_signals=%zu",
                dry_run ? "would_destroy" : "destroyed", expired);
    if (rc == 0 && !dry_run)
        rc = s_sweep (self, boxes, budget, reason);
    return rc == 0 ? s_failures (&fails, reason) : -1;
}

int
retainbox_run (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
               uint64_t now_ms, bool dry_run, retain_action_fn *fn, void *arg, kt_reason_t *reason)
{
    budget_t all = {SIZE_MAX, false, 0};
    return s_run (self, boxes, roster, now_ms, dry_run, fn, arg, &all, reason);
}

int
retainbox_run_batch (retainbox_t *self, const retain_boxes_t *boxes, const roster_t *roster,
                     uint64_t now_ms, size_t max_steps, retain_action_fn *fn, void *arg,
                     retain_batch_t *batch, kt_reason_t *reason)
{
    budget_t budget = {max_steps, false, 0};
    int rc = s_run (self, boxes, roster, now_ms, false, fn, arg, &budget, reason);
    batch->more = budget.more;
    batch->done = budget.done;
    return rc;
}

/* ---- correction (art. 12.5-12.6) ------------------------------------------ */

int
retainbox_owe_shred (retainbox_t *self, const uint8_t key_id[KEYSTORE_ID_LEN], const char *tag,
                     kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT OR IGNORE INTO retain_shred (key_id, case_ref) VALUES (?,?)",
                      STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN), STORE_TEXT (tag)),
                      "record a key to shred", reason) < 0
               ? -1
               : 0;
}

int
retainbox_shred_tag (retainbox_t *self, const char *tag, kt_reason_t *reason)
{
    return s_shred_owed (self, tag, reason) != 0 || s_checkpoint (self, reason) != 0 ? -1 : 0;
}

static int
s_count_owed (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

int
retainbox_forget_meeting (retainbox_t *self, const char *meeting_id, kt_reason_t *reason)
{
    return store_run (self->db, "DELETE FROM retain_meeting WHERE meeting_id=?",
                      STORE_VALUES (STORE_TEXT (meeting_id)), "forget a meeting's calendar file",
                      reason) < 0
               ? -1
               : 0;
}

int64_t
retainbox_owed_tag (retainbox_t *self, const char *tag)
{
    kt_reason_t reason;
    int64_t n = -1;
    if (store_one (self->db, "SELECT count(*) FROM retain_shred WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (tag)), s_count_owed, &n, "count the keys owed",
                   &reason) < 0)
        kt_log (KT_LOG_WARN, "retention read_failed reason=\"%s\"", reason.text);
    return n;
}
