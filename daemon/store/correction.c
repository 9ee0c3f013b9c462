/*  correction: correction decisions at the uitvoerder (art. 12.5-12.6).  */
#include "correction.h"

#include "calendar.h"
#include "keystore.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _correction_t {
    weegploeg_t *weegploeg;
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  The clear columns hold ids, pseudonyms and times; the reason is
     *  sealed under the subject's key (destroyed with it, art. 13).
     *  request_id is the request's id as given (the request register is
     *  another module's, so no foreign key).  message_id: a signal's
     *  sender corrected its own signal with that message. */
    "CREATE TABLE correction (correction_id TEXT PRIMARY KEY, case_ref TEXT NOT NULL,"
    " signal_id BLOB NOT NULL, signal_sender TEXT NOT NULL, action TEXT NOT NULL, whole_signal "
    "INTEGER NOT NULL,"
    " item_index INTEGER NOT NULL, request_id TEXT NOT NULL, reason BLOB,"
    " decided_by TEXT NOT NULL, message_id BLOB UNIQUE, decided_ms INTEGER NOT NULL,"
    " due_ms INTEGER NOT NULL, casus_ms INTEGER, logged_ms INTEGER, sent_ms INTEGER);"
    "CREATE INDEX correction_case ON correction (case_ref);",
    /*  2: a signal's own sender's correction: the OS user who asked at
     *  its node, and for a new text of an art. 9/10 Wpg signal its
     *  release (the officers consulted, sealed under the subject's key
     *  as the reason is). */
    "ALTER TABLE correction ADD COLUMN sender_user TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE correction ADD COLUMN wpg_release BLOB;",
    /*  3: art. 7.2a, a police representative's withdrawal: 1 while the
     *  subject's destruction it made owed is not settled. */
    "ALTER TABLE correction ADD COLUMN destroy_owed INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX correction_destroy_owed ON correction (case_ref) WHERE destroy_owed=1;",
    /*  4: art. 7.2a, the withdrawals decided before 3, whose destruction
     *  could not begin then and that nothing marked: the file's sender
     *  withdrawals are looked at once, at the next start (the role asks
     *  the provenance log which were the representative's), and the
     *  destructions still owed marked (correction_backfill_done). */
    "CREATE TABLE destroy_owed_backfill (id INTEGER PRIMARY KEY CHECK (id = 1));"
    "INSERT INTO destroy_owed_backfill SELECT 1 WHERE EXISTS (SELECT 1 FROM correction"
    " WHERE action='delete' AND whole_signal=1 AND message_id IS NOT NULL);",
    /*  5: art. 12.5, the due time of the request a decision answers (NULL:
     *  none, or decided before 5); due_ms is then the earlier of it and
     *  the decision's own (correction_due_for). */
    "ALTER TABLE correction ADD COLUMN request_due_ms INTEGER;",
};

static const char *const s_actions[] = {"", "correct", "add", "delete", "block", "unblock"};

const char *
correction_action_name (Keten__CorrectionAction action)
{
    return action > 0 && (size_t) action < sizeof s_actions / sizeof s_actions[0]
               ? s_actions[action]
               : "unknown";
}

Keten__CorrectionAction
correction_action_code (const char *name)
{
    for (size_t i = 1; name && i < sizeof s_actions / sizeof s_actions[0]; i++)
        if (strcmp (name, s_actions[i]) == 0)
            return (Keten__CorrectionAction) i;
    return KETEN__CORRECTION_ACTION__CORRECTION_ACTION_UNSPECIFIED;
}

uint64_t
correction_due_ms (uint64_t decided_ms)
{
    return kt_local_day_end_ms (decided_ms, CORRECTION_DUE_DAYS);
}

uint64_t
correction_due_for (uint64_t decided_ms, uint64_t request_due_ms)
{
    uint64_t due = correction_due_ms (decided_ms);
    return request_due_ms && request_due_ms < due ? request_due_ms : due;
}

correction_t *
correction_new (weegploeg_t *weegploeg, kt_reason_t *reason)
{
    correction_t *self = store_module_new (sizeof *self, weegploeg_db (weegploeg), "correction",
                                           STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->weegploeg = weegploeg;
        self->db = weegploeg_db (weegploeg);
    }
    return self;
}

void
correction_destroy (correction_t **self_p)
{
    correction_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

int
correction_decide (correction_t *self, correction_decision_t *d, kt_reason_t *reason)
{
    uint8_t rnd[8];
    char hex[17];
    kt_random_buf (rnd, sizeof rnd);
    snprintf (d->correction_id, sizeof d->correction_id, "c-%s", kt_hex (hex, rnd, sizeof rnd));
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = weegploeg_correct (self->weegploeg, &d->change, reason);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    uint8_t *release = NULL;
    size_t release_len = 0;
    char *names = NULL;
    if (rc == 0 && d->om_officer && *d->om_officer) {
        json_t *j = json_pack ("{s:s, s:s}", "om_officer", d->om_officer, "bevoegd_functionaris",
                               d->bevoegd_functionaris ? d->bevoegd_functionaris : "");
        names = j ? json_dumps (j, JSON_COMPACT) : NULL;
        json_decref (j);
        if (!names)
            rc = kt_fail (reason, "out of memory");
    }
    if (rc == 0 && (*d->reason || names)) {
        uint8_t key[KEYSTORE_KEY_LEN];
        char ad[48];
        snprintf (ad, sizeof ad, "%s/wpg-release", d->correction_id);
        rc = weegploeg_case_key (self->weegploeg, d->change.case_ref, key, reason);
        if (rc == 0 && *d->reason &&
            keystore_seal (key, d->correction_id, strlen (d->correction_id), d->reason,
                           strlen (d->reason), &sealed, &sealed_len) != 0)
            rc = kt_fail (reason, "out of memory");
        if (rc == 0 && names &&
            keystore_seal (key, ad, strlen (ad), names, strlen (names), &release, &release_len) !=
                0)
            rc = kt_fail (reason, "out of memory");
        sodium_memzero (key, sizeof key);
    }
    if (names) {
        sodium_memzero (names, strlen (names));
        free (names);
    }
    if (rc == 0 &&
        store_run (
            self->db,
            "INSERT INTO correction (correction_id, case_ref, signal_id, signal_sender, action,"
            " whole_signal, item_index, request_id, reason, decided_by, message_id, decided_ms,"
            " due_ms, sender_user, wpg_release, destroy_owed, request_due_ms)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            STORE_VALUES (
                STORE_TEXT (d->correction_id), STORE_TEXT (d->change.case_ref),
                STORE_BLOB (d->change.signal_id, KT_ID_LEN), STORE_TEXT (d->change.sender),
                STORE_TEXT (correction_action_name (d->change.action)),
                STORE_INT (d->change.whole_signal), STORE_INT (d->change.item_index),
                STORE_TEXT (d->request_id), sealed ? STORE_BLOB (sealed, sealed_len) : STORE_NULL,
                STORE_TEXT (d->decided_by),
                d->message_id ? STORE_BLOB (d->message_id, KT_ID_LEN) : STORE_NULL,
                STORE_INT (d->decided_ms),
                STORE_INT (correction_due_for (d->decided_ms, d->request_due_ms)),
                STORE_TEXT (d->sender_user ? d->sender_user : ""),
                release ? STORE_BLOB (release, release_len) : STORE_NULL,
                STORE_INT (d->destroy_owed),
                d->request_due_ms ? STORE_INT (d->request_due_ms) : STORE_NULL),
            "record the correction", reason) < 0)
        rc = -1;
    free (sealed);
    free (release);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  art. 12.5: no page of the old value stays in the -wal.  A reader
     *  in the way leaves it to the next checkpoint, said in the log. */
    bool busy = false;
    kt_reason_t why;
    if (store_wal_truncate (self->db, &busy, "truncate the weegploeg file's WAL", &why) != 0)
        kt_log (KT_LOG_WARN, "correction checkpoint_failed reason=\"%s\"", why.text);
    else if (busy)
        kt_log (KT_LOG_WARN, "correction checkpoint_busy id=%s", d->correction_id);
    return 0;
}

int
correction_each_destroy_owed (correction_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (self->db,
                            "SELECT DISTINCT case_ref FROM correction WHERE destroy_owed=1"
                            " ORDER BY case_ref",
                            NULL, fn, arg, "list the destructions withdrawals owe", reason);
}

int
correction_destroy_settled (correction_t *self, const char *case_ref, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE correction SET destroy_owed=0 WHERE case_ref=? AND destroy_owed=1",
                      STORE_VALUES (STORE_TEXT (case_ref)), "settle a withdrawal's destruction",
                      reason) < 0
               ? -1
               : 0;
}

typedef struct {
    correction_owed_fn *fn;
    void *arg;
} owed_visit_t;

static int
s_owed_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    owed_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), (uint64_t) sqlite3_column_int64 (q, 1), reason);
}

int
correction_each_owed (correction_t *self, correction_owed_fn *fn, void *arg, kt_reason_t *reason)
{
    owed_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT case_ref, min(decided_ms) FROM correction WHERE destroy_owed=1"
                       " GROUP BY case_ref ORDER BY 2, 1",
                       NULL, NULL, s_owed_row, &v, "list the destructions withdrawals owe", reason);
}

int
correction_backfill_pending (correction_t *self, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM destroy_owed_backfill", NULL, NULL, NULL,
                      "look for the withdrawals to mark", reason);
}

typedef struct {
    correction_withdrawal_fn *fn;
    void *arg;
} withdrawal_visit_t;

static int
s_withdrawal_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    withdrawal_visit_t *v = arg;
    correction_withdrawal_t w = {.correction_id = store_text (q, 0),
                                 .case_ref = store_text (q, 1),
                                 .decided_ms = (uint64_t) sqlite3_column_int64 (q, 3)};
    if (!store_blob_is (q, 2, KT_ID_LEN))
        return kt_fail (reason, "correction %.24s: the signal id is damaged", w.correction_id);
    memcpy (w.signal_id, sqlite3_column_blob (q, 2), KT_ID_LEN);
    return v->fn (v->arg, &w, reason);
}

int
correction_each_last_withdrawal (correction_t *self, correction_withdrawal_fn *fn, void *arg,
                                 kt_reason_t *reason)
{
    withdrawal_visit_t v = {fn, arg};
    /*  A whole signal deleted: by its sender's withdrawal (a message id)
     *  or by the uitvoerder's decision (none).  Of each case_ref only
     *  the newest, and only when its sender's and not marked.  Newest in
     *  the order the decisions were committed (rowid; VACUUM INTO, the
     *  backup's copy, keeps it), not by decided_ms: a clock stepped back
     *  between two withdrawals would make the earlier one the newest and
     *  mark a subject whose last signal the police withdrew itself. */
    return store_each (
        self->db,
        "SELECT c.correction_id, c.case_ref, c.signal_id, c.decided_ms FROM correction c"
        " WHERE c.action='delete' AND c.whole_signal=1 AND c.message_id IS NOT NULL"
        " AND c.destroy_owed=0 AND c.rowid = (SELECT max(l.rowid) FROM correction l"
        " WHERE l.case_ref=c.case_ref AND l.action='delete' AND l.whole_signal=1)"
        " ORDER BY c.rowid",
        NULL, NULL, s_withdrawal_row, &v, "list the subjects' last withdrawals", reason);
}

int
correction_backfill_done (correction_t *self, const char *const *ids, size_t n, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (store_run (self->db, "UPDATE correction SET destroy_owed=1 WHERE correction_id=?",
                       STORE_VALUES (STORE_TEXT (ids[i])), "mark a withdrawal's destruction",
                       reason) < 0)
            rc = -1;
    if (rc == 0 && store_run (self->db, "DELETE FROM destroy_owed_backfill", NULL,
                              "record the withdrawals marked", reason) < 0)
        rc = -1;
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

int
correction_check (correction_t *self, correction_decision_t *d, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = weegploeg_correct (self->weegploeg, &d->change, reason);
    store_rollback (self->db);
    return rc;
}

int
correction_done (correction_t *self, const char *correction_id, correction_step_t step,
                 uint64_t now_ms, kt_reason_t *reason)
{
    static const char *const sql[] = {
        "UPDATE correction SET casus_ms=coalesce (casus_ms, ?) WHERE correction_id=?",
        "UPDATE correction SET logged_ms=coalesce (logged_ms, ?) WHERE correction_id=?",
        "UPDATE correction SET sent_ms=coalesce (sent_ms, ?) WHERE correction_id=?"};
    return store_run (self->db, sql[step],
                      STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (correction_id)),
                      "record a correction step", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    correction_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    correction_row_t row = {.correction_id = store_text (q, 0),
                            .case_ref = store_text (q, 1),
                            .action = store_text (q, 3),
                            .whole_signal = sqlite3_column_int (q, 4) != 0,
                            .item_index = (uint32_t) sqlite3_column_int64 (q, 5),
                            .request_id = store_text (q, 6),
                            .decided_by = store_text (q, 7),
                            .by_sender = sqlite3_column_type (q, 8) != SQLITE_NULL,
                            .decided_ms = (uint64_t) sqlite3_column_int64 (q, 9),
                            .due_ms = (uint64_t) sqlite3_column_int64 (q, 10),
                            .casus_ms = (uint64_t) sqlite3_column_int64 (q, 11),
                            .logged_ms = (uint64_t) sqlite3_column_int64 (q, 12),
                            .sent_ms = (uint64_t) sqlite3_column_int64 (q, 13),
                            .signal_sender = store_text (q, 14),
                            .sender_user = store_text (q, 15),
                            .request_due_ms = (uint64_t) sqlite3_column_int64 (q, 16)};
    /*  Before 5 a decision's due_ms was its own deadline only. */
    row.decision_due_ms = row.request_due_ms ? correction_due_ms (row.decided_ms) : row.due_ms;
    if (!store_blob_is (q, 2, KT_ID_LEN))
        return kt_fail (reason, "correction %.24s: the signal id is damaged", row.correction_id);
    memcpy (row.signal_id, sqlite3_column_blob (q, 2), KT_ID_LEN);
    row.action_code = correction_action_code (row.action);
    return v->fn (v->arg, &row, reason);
}

int
correction_each (correction_t *self, bool owed_only, correction_row_fn *fn, void *arg,
                 kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT correction_id, case_ref, signal_id, action, whole_signal,"
                       " item_index, request_id, decided_by, message_id, decided_ms, due_ms,"
                       " casus_ms, logged_ms, sent_ms, signal_sender, sender_user,"
                       " request_due_ms FROM correction"
                       " WHERE ?1=0 OR"
                       " casus_ms IS NULL OR logged_ms IS NULL OR sent_ms IS NULL"
                       " ORDER BY decided_ms, rowid",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (owed_only)), s_row, &v,
                       "list the corrections", reason);
}

static int
s_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, 24, "%s", store_text (q, 0));
    return 1;
}

int
correction_of_message (correction_t *self, const uint8_t message_id[KT_ID_LEN],
                       char correction_id[24], kt_reason_t *reason)
{
    return store_one (self->db, "SELECT correction_id FROM correction WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN)), s_id_row, correction_id,
                      "find the correction of a message", reason);
}

int
correction_recorded (correction_t *self, const correction_decision_t *d, kt_reason_t *reason)
{
    if (d->message_id)
        return store_one (self->db, "SELECT 1 FROM correction WHERE message_id = ?",
                          STORE_VALUES (STORE_BLOB (d->message_id, KT_ID_LEN)), NULL, NULL,
                          "look for the decision", reason);
    bool add = d->change.action == KETEN__CORRECTION_ACTION__ADD;
    return store_one (self->db,
                      "SELECT 1 FROM correction WHERE signal_id = ? AND action = ?"
                      " AND whole_signal = ? AND (? OR item_index = ?) AND request_id = ?"
                      " AND decided_ms = ? AND decided_by = ?",
                      STORE_VALUES (STORE_BLOB (d->change.signal_id, KT_ID_LEN),
                                    STORE_TEXT (correction_action_name (d->change.action)),
                                    STORE_INT (d->change.whole_signal), STORE_INT (add),
                                    STORE_INT (d->change.item_index),
                                    STORE_TEXT (d->request_id ? d->request_id : ""),
                                    STORE_INT (d->decided_ms), STORE_TEXT (d->decided_by)),
                      NULL, NULL, "look for the decision", reason);
}
