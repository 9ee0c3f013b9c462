/*  casework: the parties' own casework decisions (art. 4, 9.4, 10.5).  */
#include "casework.h"

#include "policy.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const char *const casework_migrations[] = {
    /*  art. 10.5: a supplying party's consent, by message id; the items it
     *  covers, one row each (the supplying message and the item's index). */
    "CREATE TABLE consent (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL,"
    " sender TEXT NOT NULL, recipient TEXT NOT NULL, received_ms INTEGER NOT NULL,"
    " log_index INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE TABLE consent_item (consent_id BLOB NOT NULL REFERENCES consent (message_id),"
    " case_ref TEXT NOT NULL, recipient TEXT NOT NULL, source_id BLOB NOT NULL,"
    " item_index INTEGER NOT NULL, PRIMARY KEY (consent_id, source_id, item_index));"
    "CREATE INDEX consent_item_by_source ON consent_item (case_ref, recipient, source_id,"
    " item_index);"
    /*  art. 9.4: the casusoverleg's current advice per case (sealed) and
     *  how far its sending got (casus_step_t); each kernpartij's decision
     *  on an advice, by message id. */
    "CREATE TABLE closure_advice (case_ref TEXT PRIMARY KEY, advised_ms INTEGER NOT NULL,"
    " uid INTEGER NOT NULL, step INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE TABLE closure_vote (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL,"
    " sender TEXT NOT NULL, advised_ms INTEGER NOT NULL, choice INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL, log_index INTEGER NOT NULL, body BLOB NOT NULL);",
    /*  2, art. 9.2, 10.4: a participant's decision to share items it
     *  supplied with named participants, by message id (sealed: the
     *  necessity is about a person); the recipients in the clear, as a
     *  consent's recipient is.  What went to each is a disclosure row
     *  with shared set (casusoverleg.c). */
    "CREATE TABLE share (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL,"
    " sender TEXT NOT NULL, recipients TEXT NOT NULL, received_ms INTEGER NOT NULL,"
    " log_index INTEGER NOT NULL, body BLOB NOT NULL);",
};
const size_t casework_n_migrations = sizeof casework_migrations / sizeof casework_migrations[0];

typedef struct {
    const char *sender;
    uint64_t *log_index_p;
    int found;
} seen_t;

static int
s_seen_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    seen_t *seen = arg;
    seen->found = strcmp (store_text (q, 0), seen->sender) == 0 ? 1 : 2;
    *seen->log_index_p = (uint64_t) sqlite3_column_int64 (q, 1);
    return 0;
}

int
casework_seen (sqlite3 *db, const uint8_t id[KT_ID_LEN], const char *sender, uint64_t *log_index_p)
{
    static const char *const sql[] = {
        "SELECT sender, log_index FROM consent WHERE message_id=?",
        "SELECT sender, log_index FROM closure_vote WHERE message_id=?",
        "SELECT sender, log_index FROM share WHERE message_id=?"};
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        seen_t seen = {sender, log_index_p, 0};
        kt_reason_t reason;
        if (store_one (db, sql[i], STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_seen_row, &seen,
                       "look up a casework decision", &reason) < 0) {
            kt_log (KT_LOG_ERROR, "casework lookup_failed reason=\"%s\"", reason.text);
            return -1;
        }
        if (seen.found)
            return seen.found;
    }
    return 0;
}

/*  msg sealed under key with the message id as associated data: the id
 *  binds the body to its row.  *sealed_p heap. */
static int
s_seal (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
        const ProtobufCMessage *msg, uint8_t **sealed_p, size_t *len_p, kt_reason_t *reason)
{
    return keystore_seal_message (key, ad, ad_len, msg, sealed_p, len_p) == 0
               ? 0
               : kt_fail (reason, "out of memory");
}

int
casework_store_consent (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                        const uint8_t id[KT_ID_LEN], const char *sender,
                        const Keten__CaseDecision *d, const casework_item_t *items, size_t n,
                        uint64_t log_index, kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal (key, id, KT_ID_LEN, &d->base, &sealed, &sealed_len, reason) != 0)
        return -1;
    int rc = store_run (db,
                        "INSERT INTO consent (message_id, case_ref, sender, recipient,"
                        " received_ms, log_index, body) VALUES (?,?,?,?,?,?,?)",
                        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (d->case_ref),
                                      STORE_TEXT (sender), STORE_TEXT (d->consent->to),
                                      STORE_INT (kt_now_ms ()), STORE_INT (log_index),
                                      STORE_BLOB (sealed, sealed_len)),
                        "store the consent", reason) < 0
                 ? -1
                 : 0;
    free (sealed);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = store_run (db,
                        "INSERT OR IGNORE INTO consent_item (consent_id, case_ref, recipient,"
                        " source_id, item_index) VALUES (?,?,?,?,?)",
                        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (d->case_ref),
                                      STORE_TEXT (d->consent->to),
                                      STORE_BLOB (items[i].source_id, KT_ID_LEN),
                                      STORE_INT (items[i].index)),
                        "store the consented item", reason) < 0
                 ? -1
                 : 0;
    return rc;
}

int
casework_store_share (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN], const uint8_t id[KT_ID_LEN],
                      const char *sender, const Keten__CaseDecision *d, uint64_t log_index,
                      kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal (key, id, KT_ID_LEN, &d->base, &sealed, &sealed_len, reason) != 0)
        return -1;
    char recipients[POLICY_MAX_SHARE_TO * 65]; /* ids of at most 64 bytes, commas */
    store_join (recipients, sizeof recipients, (const char *const *) d->share->to, d->share->n_to);
    int rc = store_run (db,
                        "INSERT INTO share (message_id, case_ref, sender, recipients,"
                        " received_ms, log_index, body) VALUES (?,?,?,?,?,?,?)",
                        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (d->case_ref),
                                      STORE_TEXT (sender), STORE_TEXT (recipients),
                                      STORE_INT (kt_now_ms ()), STORE_INT (log_index),
                                      STORE_BLOB (sealed, sealed_len)),
                        "store the share", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

static int
s_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "a consent has no message id");
    memcpy (arg, sqlite3_column_blob (q, 0), KT_ID_LEN);
    return 0;
}

int
casework_consent_for (sqlite3 *db, const char *case_ref, const char *recipient,
                      const uint8_t source_id[KT_ID_LEN], uint32_t index,
                      uint8_t consent_id[KT_ID_LEN], kt_reason_t *reason)
{
    return store_one (db,
                      "SELECT i.consent_id FROM consent_item i JOIN consent c"
                      " ON c.message_id=i.consent_id WHERE i.case_ref=? AND i.recipient=?"
                      " AND i.source_id=? AND i.item_index=? ORDER BY c.received_ms DESC LIMIT 1",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (recipient),
                                    STORE_BLOB (source_id, KT_ID_LEN), STORE_INT (index)),
                      s_id_row, consent_id, "look up the consent for an item", reason);
}

typedef struct {
    keystore_record_t record;
    char *sender;
} consent_t;

static int
s_consent_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    consent_t *c = arg;
    snprintf (c->sender, 65, "%s", store_text (q, 1));
    return keystore_record_row (q, &c->record, reason);
}

int
casework_consent (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                  const uint8_t consent_id[KT_ID_LEN], Keten__CaseDecision **d_p, char sender[65],
                  kt_reason_t *reason)
{
    *d_p = NULL;
    consent_t c = {{NULL, key, consent_id, KT_ID_LEN, 0, &keten__case_decision__descriptor, NULL,
                    KEYSTORE_NO_RECORD},
                   sender};
    if (store_one (db, "SELECT body, sender FROM consent WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (consent_id, KT_ID_LEN)), s_consent_row, &c,
                   "read the consent", reason) < 0)
        return -1;
    *d_p = (Keten__CaseDecision *) c.record.msg;
    if (c.record.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "no such consent");
    if (c.record.result != 0 || !*d_p || !(*d_p)->consent)
        return kt_fail (reason, "a consent does not unseal; the file may be damaged");
    return 0;
}

int
casework_record_advice (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN],
                        const Keten__CaseClosure *a, uint32_t uid, kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal (key, a->case_ref, strlen (a->case_ref), &a->base, &sealed, &sealed_len, reason) !=
        0)
        return -1;
    int rc = store_run (db,
                        "INSERT INTO closure_advice (case_ref, advised_ms, uid, step, body)"
                        " VALUES (?1,?2,?3,?4,?5) ON CONFLICT (case_ref) DO UPDATE SET"
                        " advised_ms=?2, uid=?3, step=?4, body=?5",
                        STORE_VALUES (STORE_TEXT (a->case_ref), STORE_INT (a->advised_ms),
                                      STORE_INT (uid), STORE_INT (CASUS_STEP_RECORDED),
                                      STORE_BLOB (sealed, sealed_len)),
                        "record the advice", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

int
casework_advice (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN], const char *case_ref,
                 Keten__CaseClosure **a_p, casus_step_t *step_p, kt_reason_t *reason)
{
    *a_p = NULL;
    casus_sealed_step_t a = {{NULL, key, case_ref, strlen (case_ref), 0,
                              &keten__case_closure__descriptor, NULL, KEYSTORE_NO_RECORD},
                             CASUS_STEP_SENT};
    int found = store_one (db, "SELECT body, step FROM closure_advice WHERE case_ref=?",
                           STORE_VALUES (STORE_TEXT (case_ref)), casus_sealed_step_row, &a,
                           "read the advice", reason);
    if (found <= 0)
        return found;
    *a_p = (Keten__CaseClosure *) a.record.msg;
    if (a.record.result != 0 || !*a_p)
        return kt_fail (reason, "the advice on %.24s does not unseal; the file may be damaged",
                        case_ref);
    if (step_p)
        *step_p = a.step;
    return 1;
}

int
casework_advice_done (sqlite3 *db, const char *case_ref, casus_step_t step, kt_reason_t *reason)
{
    return store_run (db, "UPDATE closure_advice SET step=? WHERE case_ref=?",
                      STORE_VALUES (STORE_INT (step), STORE_TEXT (case_ref)),
                      "record the advice's progress", reason) < 0
               ? -1
               : 0;
}

int
casework_each_advice_unsent (sqlite3 *db, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (db,
                            "SELECT case_ref FROM closure_advice WHERE step<>0 ORDER BY advised_ms",
                            NULL, fn, arg, "list the advices not sent", reason);
}

int
casework_store_vote (sqlite3 *db, const uint8_t key[KEYSTORE_KEY_LEN], const uint8_t id[KT_ID_LEN],
                     const char *sender, const Keten__CaseDecision *d, uint64_t log_index,
                     kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal (key, id, KT_ID_LEN, &d->base, &sealed, &sealed_len, reason) != 0)
        return -1;
    int rc =
        store_run (db,
                   "INSERT INTO closure_vote (message_id, case_ref, sender, advised_ms, choice,"
                   " received_ms, log_index, body) VALUES (?,?,?,?,?,?,?,?)",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (d->case_ref),
                                 STORE_TEXT (sender), STORE_INT (d->closure->advised_ms),
                                 STORE_INT (d->closure->choice), STORE_INT (kt_now_ms ()),
                                 STORE_INT (log_index), STORE_BLOB (sealed, sealed_len)),
                   "store the closure decision", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    casework_vote_fn *fn;
    void *arg;
} vote_visit_t;

static int
s_vote_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    vote_visit_t *v = arg;
    casework_vote_t vote = {store_text (q, 0),
                            sqlite3_column_int (q, 1) == KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE,
                            (uint64_t) sqlite3_column_int64 (q, 2)};
    return v->fn (v->arg, &vote, reason);
}

int
casework_each_vote (sqlite3 *db, const char *case_ref, uint64_t advised_ms, casework_vote_fn *fn,
                    void *arg, kt_reason_t *reason)
{
    /*  A kernpartij may decide again on the same advice: its newest
     *  decision counts (the rowid breaks a tie within one millisecond). */
    vote_visit_t v = {fn, arg};
    return store_each (db,
                       "SELECT sender, choice, received_ms FROM closure_vote v"
                       " WHERE case_ref=?1 AND advised_ms=?2 AND rowid=(SELECT w.rowid FROM"
                       " closure_vote w WHERE w.case_ref=?1 AND w.advised_ms=?2"
                       " AND w.sender=v.sender ORDER BY w.received_ms DESC, w.rowid DESC LIMIT 1)"
                       " ORDER BY sender",
                       store_bind_values,
                       (void *) STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (advised_ms)),
                       s_vote_row, &v, "list the closure decisions", reason);
}

static int
s_ms_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(uint64_t *) arg = (uint64_t) sqlite3_column_int64 (q, 0);
    return 0;
}

int
casework_advised_last (sqlite3 *db, const char *case_ref, uint64_t *ms, kt_reason_t *reason)
{
    *ms = 0;
    return store_one (db,
                      "SELECT max(coalesce((SELECT max(advised_ms) FROM closure_advice"
                      " WHERE case_ref=?1), 0), coalesce((SELECT max(advised_ms) FROM"
                      " closure_vote WHERE case_ref=?1), 0))",
                      STORE_VALUES (STORE_TEXT (case_ref)), s_ms_row, ms,
                      "read the last advice's time", reason) < 0
               ? -1
               : 0;
}

int
casework_reopen (sqlite3 *db, const char *case_ref, kt_reason_t *reason)
{
    /*  art. 9.4: the advice was the closed round's; with it gone a
     *  decision naming it is refused (uitvoerder_casework.c), and the
     *  case list shows no advice until the casusoverleg advises anew.
     *  The decisions stay: each names its advice's time, so none counts
     *  for a later advice (casework_each_vote, and case.advise makes every
     *  advice later than any named before); they are the kernpartijen's
     *  own decisions on record (art. 10.2h), and retention finds the
     *  senders' copies by them (lifecycle.c, s_recipients). */
    return store_run (db, "DELETE FROM closure_advice WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), "drop the closed round's advice",
                      reason) < 0
               ? -1
               : 0;
}

int
casework_forget (sqlite3 *db, const char *case_ref, kt_reason_t *reason)
{
    static const char *const sql[] = {
        "DELETE FROM consent_item WHERE case_ref=?1",
        "DELETE FROM consent WHERE case_ref=?1",
        "DELETE FROM closure_vote WHERE case_ref=?1",
        "DELETE FROM closure_advice WHERE case_ref=?1",
        "DELETE FROM share WHERE case_ref=?1",
    };
    return store_run_all (db, sql, sizeof sql / sizeof sql[0], STORE_VALUES (STORE_TEXT (case_ref)),
                          "destroy the case's decisions", reason);
}
