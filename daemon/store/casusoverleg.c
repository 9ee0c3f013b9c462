/*  casusoverleg: the casusoverleg file (art. 10.1-10.2).  */
#include "casusoverleg.h"

#include "casework.h"
#include "disclosed.h"
#include "figures.h"
#include "plan.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _casusoverleg_t {
    sqlite3 *db;
    keystore_t *keystore;
};

static const char *const s_migrations[] = {
    "CREATE TABLE casus (case_ref TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " opened_ms INTEGER NOT NULL, decision_id TEXT NOT NULL, participants TEXT NOT NULL,"
    " key_id BLOB NOT NULL);"
    /*  art. 10.2a-c: the signals and the party that brought each in. */
    "CREATE TABLE casus_signal (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES casus (case_ref), sender TEXT NOT NULL, received_ms INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    /*  art. 10.2d: the weegploeg's analysis. */
    "CREATE TABLE casus_analysis (decision_id TEXT PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES casus (case_ref), body BLOB NOT NULL);",
    /*  art. 9.2, 10.2: what participants contribute, by message id (a
     *  retried message is stored once). */
    "CREATE TABLE contribution (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES casus (case_ref), sender TEXT NOT NULL, kind TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL, log_index INTEGER NOT NULL, body BLOB NOT NULL);"
    /*  art. 10.5: every disclosure to an externe casuspartner, with the
     *  consent, the necessity and the kinds of data. */
    "CREATE TABLE disclosure (id INTEGER PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES casus (case_ref), recipient TEXT NOT NULL, consenting TEXT NOT NULL,"
    " necessity TEXT NOT NULL, data_kinds TEXT NOT NULL, disclosed_ms INTEGER NOT NULL,"
    " uid INTEGER NOT NULL, message_id BLOB NOT NULL, body BLOB NOT NULL);"
    /*  art. 9.4, 10.2h: the closure decision. */
    "ALTER TABLE casus ADD COLUMN closed_ms INTEGER;"
    "ALTER TABLE casus ADD COLUMN closure BLOB;"
    /*  Progress reports already applied, by message id. */
    "CREATE TABLE progress (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL,"
    " sender TEXT NOT NULL, plan_version INTEGER NOT NULL, log_index INTEGER NOT NULL);",
    /*  3: the closure decision sealed under the case key like the rest of
     *  the case (the advice is about a person); how far its sending got
     *  (closure_step, casus_step_t), so that a crash between
     *  recording it and telling the participants is resumed on start.  The
     *  necessity of a disclosure is in its sealed body already: the copy
     *  in the clear goes.  Rows closed before 3 are sealed by code
     *  (s_seal_old_closures) before 4 drops the clear column. */
    "ALTER TABLE casus ADD COLUMN closure_sealed BLOB;"
    "ALTER TABLE casus ADD COLUMN closure_step INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE disclosure DROP COLUMN necessity;",
    "ALTER TABLE casus DROP COLUMN closure;"
    "ALTER TABLE casus RENAME COLUMN closure_sealed TO closure;",
    /*  5: a disclosure and a plan version are resumed like a closure: a
     *  disclosure keeps its step (casus_step_t), a plan version recorded
     *  but not sent yet has a row in plan_unsent (the plan table is never
     *  updated, art. 10.2e).  Rows from before 5 were logged and sent, or
     *  are lost to the gap this closes. */
    "ALTER TABLE disclosure ADD COLUMN step INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE plan_unsent (case_ref TEXT NOT NULL REFERENCES casus (case_ref),"
    " version INTEGER NOT NULL, PRIMARY KEY (case_ref, version));",
    /*  6, art. 13: archived (13.2) takes the case out of every list and
     *  command (set with the subject's state, lifecycle.c); a progress
     *  report is processing and gets its time.  Reports from before 6
     *  take the time of the plan version they made, which is when they
     *  were applied. */
    "ALTER TABLE casus ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE progress ADD COLUMN received_ms INTEGER NOT NULL DEFAULT 0;"
    "UPDATE progress SET received_ms=coalesce((SELECT stored_ms FROM plan"
    " WHERE plan.case_ref=progress.case_ref AND plan.version=progress.plan_version), 0);",
    /*  7, art. 9.2, 10.4: items shared with a participant go the way of a
     *  disclosure (recorded, logged, sent, resumed) and are told apart
     *  from the disclosures to externe casuspartners by shared. */
    "ALTER TABLE disclosure ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;",
};
#define N_MIGRATIONS (sizeof s_migrations / sizeof s_migrations[0])
/*  The schema version whose rows s_seal_old_closures seals, and the one
 *  that drops the clear column: a file at SEALED_AT or later has nothing
 *  in the clear (and its closure column is the sealed one). */
#define SEAL_AT 3
#define SEALED_AT 4

static int s_seal_old_closures (casusoverleg_t *self, kt_reason_t *reason);

casusoverleg_t *
casusoverleg_open (const char *path, keystore_t *keystore, kt_reason_t *reason)
{
    casusoverleg_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->keystore = keystore;
    self->db = store_open (path, reason);
    /*  Up to SEAL_AT, then the old clear closures sealed, then the rest: a
     *  crash in between repeats the sealing, which finds nothing left. */
    /*  The plan tables first: migration 6 reads them. */
    if (self->db &&
        store_migrate (self->db, "plan", plan_migrations, plan_n_migrations, reason) != 0) {
        casusoverleg_destroy (&self);
        return NULL;
    }
    bool sealing = self->db && store_int (self->db,
                                          "SELECT version FROM schema_version"
                                          " WHERE module='casusoverleg'",
                                          0) < (int64_t) SEALED_AT;
    if (!self->db ||
        (sealing && (store_migrate (self->db, "casusoverleg", s_migrations, SEAL_AT, reason) != 0 ||
                     s_seal_old_closures (self, reason) != 0)) ||
        store_migrate (self->db, "casusoverleg", s_migrations, N_MIGRATIONS, reason) != 0 ||
        store_migrate (self->db, "casework", casework_migrations, casework_n_migrations, reason) !=
            0 ||
        store_migrate (self->db, "disclosed", disclosed_migrations, disclosed_n_migrations,
                       reason) != 0 ||
        figures_migrate (self->db, reason) != 0 ||
        /*  The pages that held the clear text are overwritten in the file
         *  now, not at some later checkpoint. */
        (sealing &&
         store_wal_truncate (self->db, NULL, "truncate casusoverleg.db's WAL", reason) != 0)) {
        casusoverleg_destroy (&self);
        return NULL;
    }
    return self;
}

void
casusoverleg_destroy (casusoverleg_t **self_p)
{
    casusoverleg_t *self = *self_p;
    if (!self)
        return;
    store_close (&self->db);
    free (self);
    *self_p = NULL;
}

/*  The case's key: made (and committed in the keystore) on first open. */
static int
s_case_key (casusoverleg_t *self, const char *case_ref, uint8_t key[KEYSTORE_KEY_LEN],
            uint8_t key_id[KEYSTORE_ID_LEN], bool *is_new, kt_reason_t *reason)
{
    bool found = false;
    keystore_id_t k = {key_id, &found};
    if (store_one (self->db, "SELECT key_id FROM casus WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), keystore_id_row, &k, "find the case's key",
                   reason) < 0)
        return -1;
    *is_new = !found;
    return *is_new ? keystore_create (self->keystore, key_id, key, reason)
                   : keystore_get (self->keystore, key_id, key, reason);
}

static int
s_seal_insert (casusoverleg_t *self, const char *sql, const uint8_t key[KEYSTORE_KEY_LEN],
               const void *ad, size_t ad_len, const ProtobufCMessage *msg, const char *case_ref,
               const char *sender, uint64_t received_ms, kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (keystore_seal_message (key, ad, ad_len, msg, &sealed, &sealed_len) != 0)
        return kt_fail (reason, "out of memory");
    int rc = store_run (self->db, sql,
                        sender ? STORE_VALUES (STORE_BLOB (ad, ad_len), STORE_TEXT (case_ref),
                                               STORE_BLOB (sealed, sealed_len), STORE_TEXT (sender),
                                               STORE_INT (received_ms))
                               : STORE_VALUES (STORE_BLOB (ad, ad_len), STORE_TEXT (case_ref),
                                               STORE_BLOB (sealed, sealed_len)),
                        "copy to the casusoverleg file", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

static int
s_upsert_case (casusoverleg_t *self, const Keten__WeegploegDecision *d,
               const uint8_t key_id[KEYSTORE_ID_LEN], uint64_t now_ms, kt_reason_t *reason)
{
    char parts[2048];
    store_join (parts, sizeof parts, (const char *const *) d->parties, d->n_parties);
    return store_run (self->db,
                      "INSERT INTO casus (case_ref, state, opened_ms, decision_id, participants,"
                      " key_id) VALUES (?1, 'open', ?2, ?3, ?4, ?5) ON CONFLICT (case_ref) DO"
                      " UPDATE SET decision_id=?3, participants=?4 WHERE state='open'",
                      STORE_VALUES (STORE_TEXT (d->case_ref), STORE_INT (now_ms),
                                    STORE_TEXT (d->decision_id), STORE_TEXT (parts),
                                    STORE_BLOB (key_id, KEYSTORE_ID_LEN)),
                      "open the case", reason) < 0
               ? -1
               : 0;
}

/*  A case's state as opening it again needs it. */
typedef struct {
    bool exists;
    bool closed;
    uint64_t closed_ms;
    casus_step_t step;
} closed_t;

static int
s_closed_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    closed_t *c = arg;
    c->exists = true;
    c->closed = strcmp (store_text (q, 0), "closed") == 0;
    c->closed_ms = (uint64_t) sqlite3_column_int64 (q, 1);
    c->step = (casus_step_t) sqlite3_column_int (q, 2);
    return 0;
}

static int
s_closed (casusoverleg_t *self, const char *case_ref, closed_t *c, kt_reason_t *reason)
{
    memset (c, 0, sizeof *c);
    return store_one (self->db,
                      "SELECT state, coalesce(closed_ms, 0), closure_step FROM casus"
                      " WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), s_closed_row, c, "read the case",
                      reason) < 0
               ? -1
               : 0;
}

int
casusoverleg_closure_owed (casusoverleg_t *self, const char *case_ref, kt_reason_t *reason)
{
    closed_t c;
    if (s_closed (self, case_ref, &c, reason) != 0)
        return -1;
    return c.closed && c.step != CASUS_STEP_SENT ? 1 : 0;
}

/*  art. 8.5, 9.4: the weegploeg put a closed case on the agenda again.
 *  The case is open from now (its opening time is this one's: the
 *  figures count the days of this round), with the decision's
 *  participants; the closure and the closed round's advice go, so the
 *  procedure starts afresh.  The log keeps the first closure
 *  (CASE_CLOSED) and the weegploeg file its time (art. 8.2f). */
static int
s_reopen_case (casusoverleg_t *self, const Keten__WeegploegDecision *d, uint64_t now_ms,
               kt_reason_t *reason)
{
    char parts[2048];
    store_join (parts, sizeof parts, (const char *const *) d->parties, d->n_parties);
    if (store_run (self->db,
                   "UPDATE casus SET state='open', opened_ms=?, decision_id=?, participants=?,"
                   " closed_ms=NULL, closure=NULL, closure_step=0 WHERE case_ref=?"
                   " AND state='closed'",
                   STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (d->decision_id),
                                 STORE_TEXT (parts), STORE_TEXT (d->case_ref)),
                   "open the case again", reason) != 1)
        return kt_fail (reason, "case %.24s could not be opened again", d->case_ref);
    return casework_reopen (self->db, d->case_ref, reason);
}

int
casusoverleg_open_case (casusoverleg_t *self, const Keten__WeegploegDecision *d,
                        const weegploeg_case_signal_t *signals, size_t n_signals, uint64_t now_ms,
                        const char *gemeente, casusoverleg_reopen_fn *reopen, void *reopen_arg,
                        bool *reopened_p, kt_reason_t *reason)
{
    if (reopened_p)
        *reopened_p = false;
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool is_new, reopens = false;
    if (s_case_key (self, d->case_ref, key, key_id, &is_new, reason) != 0)
        return -1;
    closed_t was;
    int rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = s_closed (self, d->case_ref, &was, reason);
    if (rc == 0 && was.closed && was.closed_ms < d->decided_ms) {
        /*  Its CASE_CLOSED entry and copies first (the caller finishes
         *  them): once open, the closure is gone and nothing would. */
        if (was.step != CASUS_STEP_SENT)
            rc = kt_fail (reason,
                          "the closure of case %.24s is not logged and sent yet; it is finished "
                          "first",
                          d->case_ref);
        else {
            rc = s_reopen_case (self, d, now_ms, reason);
            reopens = rc == 0;
        }
        if (rc == 0 && reopen)
            rc = reopen (reopen_arg, d->case_ref, key, reason);
    } else if (rc == 0 && was.closed)
        /*  Taken before the closure and sent only now (a resumed send):
         *  the kernpartijen's closure came after it and stands. */
        kt_log (KT_LOG_INFO, "casusoverleg decision_overtaken case_ref=%s decision_id=%s",
                d->case_ref, d->decision_id);
    if (rc == 0)
        rc = s_upsert_case (self, d, key_id, now_ms, reason);
    /*  art. 8.5: counted when it opens, once per opening, not when the
     *  decision is recorded: a decision whose send failed before this
     *  commit, and another agenderen before its resume, open one case. */
    if (rc == 0 && (!was.exists || reopens))
        rc = figures_add (self->db, now_ms, FIGURE_CASE_OPENED, gemeente, "", 1, reason);
    for (size_t i = 0; rc == 0 && i < n_signals; i++) {
        /*  The signal's message id binds the sealed copy to its row. */
        rc = s_seal_insert (self,
                            "INSERT OR IGNORE INTO casus_signal (message_id, case_ref, body,"
                            " sender, received_ms) VALUES (?,?,?,?,?)",
                            key, signals[i].message_id, KT_ID_LEN, &signals[i].signal->base,
                            d->case_ref, signals[i].sender, signals[i].received_ms, reason);
    }
    if (rc == 0)
        rc = s_seal_insert (self,
                            "INSERT OR IGNORE INTO casus_analysis (decision_id, case_ref, body)"
                            " VALUES (?,?,?)",
                            key, d->decision_id, strlen (d->decision_id), &d->base, d->case_ref,
                            NULL, 0, reason);
    sodium_memzero (key, sizeof key);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    if (reopened_p)
        *reopened_p = reopens;
    return 0;
}

typedef struct {
    casusoverleg_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    casusoverleg_row_t row = {.case_ref = store_text (q, 0),
                              .state = store_text (q, 1),
                              .opened_ms = (uint64_t) sqlite3_column_int64 (q, 2),
                              .decision_id = store_text (q, 3),
                              .participants = store_text (q, 4),
                              .signals = sqlite3_column_int64 (q, 5),
                              .plan_version = sqlite3_column_int64 (q, 6),
                              .contributions = sqlite3_column_int64 (q, 7)};
    return v->fn (v->arg, &row, reason);
}

int
casusoverleg_each (casusoverleg_t *self, int limit, casusoverleg_row_fn *fn, void *arg,
                   kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT c.case_ref, c.state, c.opened_ms, c.decision_id, c.participants,"
                       " (SELECT count(*) FROM casus_signal s WHERE s.case_ref=c.case_ref),"
                       " (SELECT coalesce(max(version), 0) FROM plan p"
                       " WHERE p.case_ref=c.case_ref), (SELECT count(*) FROM contribution k"
                       " WHERE k.case_ref=c.case_ref) FROM casus c WHERE c.archived=0"
                       " ORDER BY c.opened_ms DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the cases", reason);
}

sqlite3 *
casusoverleg_db (casusoverleg_t *self)
{
    return self->db;
}

typedef struct {
    casus_info_t *info;
    keystore_id_t *k;
    bool archived;
} case_t;

static int
s_case_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    case_t *c = arg;
    keystore_id_row (q, c->k, reason);
    casus_info_t *info = c->info;
    c->archived = sqlite3_column_int (q, 3) != 0;
    info->closed = strcmp (store_text (q, 1), "closed") == 0;
    char parts[2048];
    snprintf (parts, sizeof parts, "%s", store_text (q, 2));
    for (char *save = NULL, *t = strtok_r (parts, ",", &save);
         t && info->n_participants < CASUS_MAX_PARTICIPANTS; t = strtok_r (NULL, ",", &save))
        snprintf (info->participants[info->n_participants++], sizeof info->participants[0], "%s",
                  t);
    return 0;
}

static int
s_known_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) q;
    (void) reason;
    *(int *) arg = 1;
    return 0;
}

int
casusoverleg_case_known (casusoverleg_t *self, const char *case_ref)
{
    int known = 0;
    kt_reason_t reason;
    if (store_one (self->db, "SELECT 1 FROM casus WHERE case_ref=? AND archived=0",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_known_row, &known, "look up a case",
                   &reason) < 0)
        return -1;
    return known;
}

int
casusoverleg_case_open (casusoverleg_t *self, const char *case_ref)
{
    int open = 0;
    kt_reason_t reason;
    if (store_one (self->db, "SELECT 1 FROM casus WHERE case_ref=? AND state='open'",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_known_row, &open, "look up a case",
                   &reason) < 0)
        return -1;
    return open;
}

int
casusoverleg_case (casusoverleg_t *self, const char *case_ref, casus_info_t *info,
                   uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason)
{
    memset (info, 0, sizeof *info);
    uint8_t key_id[KEYSTORE_ID_LEN];
    bool found = false;
    keystore_id_t k = {key_id, &found};
    case_t c = {info, &k, false};
    if (store_one (
            self->db, "SELECT key_id, state, participants, archived FROM casus WHERE case_ref=?",
            STORE_VALUES (STORE_TEXT (case_ref)), s_case_row, &c, "read the case", reason) < 0)
        return -1;
    if (!found) {
        memset (info, 0, sizeof *info);
        return kt_fail (reason, "no case %.24s in the casusoverleg file", case_ref);
    }
    /*  art. 13.2: out of every command; back only on a kernpartij's
     *  order (13.4). */
    if (c.archived) {
        memset (info, 0, sizeof *info);
        return kt_fail (reason,
                        "case %.24s is archived (art. 13.2); only a kernpartij can have it "
                        "reopened (art. 13.4)",
                        case_ref);
    }
    snprintf (info->case_ref, sizeof info->case_ref, "%s", case_ref);
    return key ? keystore_get (self->keystore, key_id, key, reason) : 0;
}

bool
casus_info_has (const casus_info_t *info, const char *member)
{
    for (size_t i = 0; i < info->n_participants; i++)
        if (strcmp (info->participants[i], member) == 0)
            return true;
    return false;
}

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
    seen->found = strcmp (store_text (q, 0), seen->sender) == 0 ? 1 : -1;
    *seen->log_index_p = (uint64_t) sqlite3_column_int64 (q, 1);
    return 0;
}

int
casusoverleg_seen (casusoverleg_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                   uint64_t *log_index_p)
{
    static const char *const sql[] = {
        "SELECT sender, log_index FROM contribution WHERE message_id=?",
        "SELECT sender, log_index FROM progress WHERE message_id=?"};
    for (size_t i = 0; i < 2; i++) {
        seen_t seen = {sender, log_index_p, 0};
        kt_reason_t reason;
        if (store_one (self->db, sql[i], STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_seen_row,
                       &seen, "look up a contribution", &reason) < 0) {
            /*  Unsure: no receipt (uitvoerder_on_casus); the sender retries. */
            kt_log (KT_LOG_ERROR, "casusoverleg lookup_failed reason=\"%s\"", reason.text);
            return CASUS_SEEN_UNSURE;
        }
        if (seen.found)
            return seen.found;
    }
    return 0;
}

/*  Seal msg under the case key of case_ref with ad; *sealed_p heap. */
static int
s_seal_for_case (casusoverleg_t *self, const char *case_ref, const void *ad, size_t ad_len,
                 const ProtobufCMessage *msg, uint8_t **sealed_p, size_t *sealed_len_p,
                 kt_reason_t *reason)
{
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (self, case_ref, &info, key, reason) != 0)
        return -1;
    int rc = keystore_seal_message (key, ad, ad_len, msg, sealed_p, sealed_len_p);
    sodium_memzero (key, sizeof key);
    return rc == 0 ? 0 : kt_fail (reason, "out of memory");
}

int
casusoverleg_store_contribution (casusoverleg_t *self, const uint8_t id[KT_ID_LEN],
                                 const char *sender, const Keten__CaseContribution *c,
                                 uint64_t log_index, kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal_for_case (self, c->case_ref, id, KT_ID_LEN, &c->base, &sealed, &sealed_len,
                         reason) != 0)
        return -1;
    int rc = store_run (self->db,
                        "INSERT INTO contribution (message_id, case_ref, sender, kind,"
                        " received_ms, log_index, body) VALUES (?,?,?,?,?,?,?)",
                        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (c->case_ref),
                                      STORE_TEXT (sender), STORE_TEXT (c->kind),
                                      STORE_INT (kt_now_ms ()), STORE_INT (log_index),
                                      STORE_BLOB (sealed, sealed_len)),
                        "store the contribution", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

int
casusoverleg_record_progress (casusoverleg_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                              const char *case_ref, uint32_t plan_version, uint64_t log_index,
                              kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT INTO progress (message_id, case_ref, sender, plan_version,"
                      " log_index, received_ms) VALUES (?,?,?,?,?,?)",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (case_ref),
                                    STORE_TEXT (sender), STORE_INT (plan_version),
                                    STORE_INT (log_index), STORE_INT (kt_now_ms ())),
                      "record the progress", reason) < 0
               ? -1
               : 0;
}

int
casusoverleg_record_disclosure (casusoverleg_t *self, const Keten__DisclosureConsent *d,
                                const char *recipient, uint32_t uid,
                                const uint8_t message_id[KT_ID_LEN], kt_reason_t *reason)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal_for_case (self, d->case_ref, message_id, KT_ID_LEN, &d->base, &sealed, &sealed_len,
                         reason) != 0)
        return -1;
    char consenting[2048], kinds[2048]; /* 16 ids, 16 kinds of 64 bytes, commas */
    store_join (consenting, sizeof consenting, (const char *const *) d->consenting,
                d->n_consenting);
    store_join (kinds, sizeof kinds, (const char *const *) d->data_kinds, d->n_data_kinds);
    /*  The necessity says why this person's data went out: it is in the
     *  sealed body only. */
    int rc = store_run (
        self->db,
        "INSERT INTO disclosure (case_ref, recipient, consenting, data_kinds,"
        " disclosed_ms, uid, message_id, body, step, shared) VALUES (?,?,?,?,?,?,?,?,?,?)",
        STORE_VALUES (STORE_TEXT (d->case_ref), STORE_TEXT (recipient), STORE_TEXT (consenting),
                      STORE_TEXT (kinds), STORE_INT (d->consented_ms), STORE_INT (uid),
                      STORE_BLOB (message_id, KT_ID_LEN), STORE_BLOB (sealed, sealed_len),
                      STORE_INT (CASUS_STEP_RECORDED), STORE_INT (d->shared ? 1 : 0)),
        "record the disclosure", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

int
casusoverleg_disclosure_done (casusoverleg_t *self, const uint8_t message_id[KT_ID_LEN],
                              casus_step_t step, kt_reason_t *reason)
{
    return store_run (self->db, "UPDATE disclosure SET step=? WHERE message_id=?",
                      STORE_VALUES (STORE_INT (step), STORE_BLOB (message_id, KT_ID_LEN)),
                      "record the disclosure's progress", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    casusoverleg_disclosure_fn *fn;
    void *arg;
} disclosure_visit_t;

static int
s_disclosure_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    disclosure_visit_t *v = arg;
    if (!store_blob_is (q, 1, KT_ID_LEN))
        return kt_fail (reason, "a disclosure of %.24s has no message id", store_text (q, 0));
    casusoverleg_disclosure_t row = {.case_ref = store_text (q, 0),
                                     .message_id = sqlite3_column_blob (q, 1),
                                     .recipient = store_text (q, 2),
                                     .uid = (uint32_t) sqlite3_column_int64 (q, 3),
                                     .step = (casus_step_t) sqlite3_column_int (q, 4)};
    return v->fn (v->arg, &row, reason);
}

int
casusoverleg_each_disclosure_unsent (casusoverleg_t *self, casusoverleg_disclosure_fn *fn,
                                     void *arg, kt_reason_t *reason)
{
    disclosure_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT case_ref, message_id, recipient, uid, step FROM disclosure"
                       " WHERE step<>0 ORDER BY id",
                       NULL, NULL, s_disclosure_row, &v, "list the disclosures not sent", reason);
}

/*  The key of case_ref, archived or not: for this file's own upkeep (a
 *  correction reaches archived data too, art. 12.5, 13.2), never for a
 *  command (casusoverleg_case refuses an archived case). */
static int
s_key_any (casusoverleg_t *self, const char *case_ref, uint8_t key[KEYSTORE_KEY_LEN],
           kt_reason_t *reason)
{
    uint8_t key_id[KEYSTORE_ID_LEN];
    int found = casusoverleg_case_key_id (self, case_ref, key_id, reason);
    if (found <= 0)
        return found < 0 ? -1
                         : kt_fail (reason, "no case %.24s in the casusoverleg file", case_ref);
    return keystore_get (self->keystore, key_id, key, reason);
}

/*  The disclosure of case_ref with message_id, unsealed under key. */
static int
s_disclosure_read (casusoverleg_t *self, const char *case_ref, const uint8_t message_id[KT_ID_LEN],
                   const uint8_t key[KEYSTORE_KEY_LEN], Keten__DisclosureConsent **d_p,
                   kt_reason_t *reason)
{
    *d_p = NULL;
    /*  The message id binds the sealed disclosure to its row. */
    keystore_record_t r = {NULL,       key,
                           message_id, KT_ID_LEN,
                           0,          &keten__disclosure_consent__descriptor,
                           NULL,       KEYSTORE_NO_RECORD};
    int rc = store_one (self->db, "SELECT body FROM disclosure WHERE case_ref=? AND message_id=?",
                        STORE_VALUES (STORE_TEXT (case_ref), STORE_BLOB (message_id, KT_ID_LEN)),
                        keystore_record_row, &r, "read the disclosure", reason);
    if (rc < 0)
        return -1;
    *d_p = (Keten__DisclosureConsent *) r.msg;
    if (r.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "no such disclosure for %.24s", case_ref);
    if (r.result == KEYSTORE_TAMPERED)
        return kt_fail (reason, "a disclosure of %.24s does not unseal", case_ref);
    if (!*d_p)
        return kt_fail (reason, "a disclosure of %.24s does not decode", case_ref);
    return 0;
}

int
casusoverleg_disclosure (casusoverleg_t *self, const char *case_ref,
                         const uint8_t message_id[KT_ID_LEN], Keten__DisclosureConsent **d_p,
                         kt_reason_t *reason)
{
    *d_p = NULL;
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (self, case_ref, &info, key, reason) != 0)
        return -1;
    int rc = s_disclosure_read (self, case_ref, message_id, key, d_p, reason);
    sodium_memzero (key, sizeof key);
    return rc;
}

int
casusoverleg_disclosure_any (casusoverleg_t *self, const char *case_ref,
                             const uint8_t message_id[KT_ID_LEN], Keten__DisclosureConsent **d_p,
                             kt_reason_t *reason)
{
    *d_p = NULL;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (s_key_any (self, case_ref, key, reason) != 0)
        return -1;
    int rc = s_disclosure_read (self, case_ref, message_id, key, d_p, reason);
    sodium_memzero (key, sizeof key);
    return rc;
}

int
casusoverleg_disclosure_set_item (casusoverleg_t *self, const char *case_ref,
                                  const uint8_t message_id[KT_ID_LEN], uint32_t position,
                                  const Keten__SignalItem *item, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    if (s_key_any (self, case_ref, key, reason) != 0)
        return -1;
    Keten__DisclosureConsent *d = NULL;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    /*  Already so (a step repeated after a crash): nothing to write. */
    int rc =
        s_disclosure_read (self, case_ref, message_id, key, &d, reason) != 0
            ? -1
            : disclosed_reseal (d, position, item, key, message_id, &sealed, &sealed_len, reason);
    if (rc == 1 &&
        store_run (self->db, "UPDATE disclosure SET body=? WHERE case_ref=? AND message_id=?",
                   STORE_VALUES (STORE_BLOB (sealed, sealed_len), STORE_TEXT (case_ref),
                                 STORE_BLOB (message_id, KT_ID_LEN)),
                   "correct a disclosed item", reason) < 0)
        rc = -1;
    free (sealed);
    sodium_memzero (key, sizeof key);
    if (d)
        keten__disclosure_consent__free_unpacked (d, NULL);
    return rc;
}

int
casusoverleg_plan_unsent (casusoverleg_t *self, const char *case_ref, uint32_t version,
                          kt_reason_t *reason)
{
    return store_run (self->db, "INSERT INTO plan_unsent (case_ref, version) VALUES (?,?)",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (version)),
                      "mark the plan version unsent", reason) < 0
               ? -1
               : 0;
}

int
casusoverleg_plan_sent (casusoverleg_t *self, const char *case_ref, uint32_t version,
                        kt_reason_t *reason)
{
    return store_run (self->db, "DELETE FROM plan_unsent WHERE case_ref=? AND version=?",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (version)),
                      "mark the plan version sent", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    casusoverleg_plan_fn *fn;
    void *arg;
} plan_visit_t;

static int
s_plan_unsent_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    plan_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), (uint32_t) sqlite3_column_int64 (q, 1), reason);
}

int
casusoverleg_each_plan_unsent (casusoverleg_t *self, casusoverleg_plan_fn *fn, void *arg,
                               kt_reason_t *reason)
{
    plan_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT case_ref, version FROM plan_unsent ORDER BY case_ref, version", NULL,
                       NULL, s_plan_unsent_row, &v, "list the plan versions not sent", reason);
}

/*  Before schema 4 the closure was kept in the clear: seal what there is
 *  under its case's key (one transaction).  A case whose key cannot be
 *  had stops the open: its data is unreadable anyway, and a clear copy
 *  must not stay behind unnoticed. */
typedef struct {
    casusoverleg_t *self;
    sqlite3_stmt *update;
    size_t n;
} sealing_t;

/*  One clear closure, sealed under its case's key. */
static int
s_seal_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    sealing_t *s = arg;
    const char *case_ref = store_text (q, 0);
    uint8_t key[KEYSTORE_KEY_LEN], *sealed = NULL;
    size_t sealed_len = 0;
    if (!store_blob_is (q, 1, KEYSTORE_ID_LEN) ||
        keystore_get (s->self->keystore, sqlite3_column_blob (q, 1), key, reason) != 0)
        return kt_fail (reason, "cannot seal the closure of %.24s: its case key is missing",
                        case_ref);
    int rc = keystore_seal (key, case_ref, strlen (case_ref), sqlite3_column_blob (q, 2),
                            (size_t) sqlite3_column_bytes (q, 2), &sealed, &sealed_len) == 0
                 ? 0
                 : kt_fail (reason, "out of memory");
    sodium_memzero (key, sizeof key);
    if (rc == 0 &&
        store_run_stmt (s->update,
                        STORE_VALUES (STORE_BLOB (sealed, sealed_len), STORE_TEXT (case_ref)),
                        "seal a closure", reason) < 0)
        rc = -1;
    if (rc == 0)
        s->n++;
    free (sealed);
    return rc;
}

static int
s_seal_old_closures (casusoverleg_t *self, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    sealing_t s = {self,
                   store_prepare (self->db,
                                  "UPDATE casus SET closure_sealed=?, closure=NULL"
                                  " WHERE case_ref=?",
                                  reason),
                   0};
    int rc = s.update ? store_each (self->db,
                                    "SELECT case_ref, key_id, closure FROM casus"
                                    " WHERE closure IS NOT NULL",
                                    NULL, NULL, s_seal_row, &s, "read the closures", reason)
                      : -1;
    sqlite3_finalize (s.update);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    if (s.n)
        kt_log (KT_LOG_INFO, "casusoverleg closures_sealed count=%zu", s.n);
    return 0;
}

int
casusoverleg_close (casusoverleg_t *self, const Keten__CaseClosure *c, kt_reason_t *reason)
{
    /*  The case_ref binds the sealed decision to its row. */
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (s_seal_for_case (self, c->case_ref, c->case_ref, strlen (c->case_ref), &c->base, &sealed,
                         &sealed_len, reason) != 0)
        return -1;
    int changed =
        store_run (self->db,
                   "UPDATE casus SET state='closed', closed_ms=?, closure=?,"
                   " closure_step=? WHERE case_ref=? AND state='open'",
                   STORE_VALUES (STORE_INT (c->closed_ms), STORE_BLOB (sealed, sealed_len),
                                 STORE_INT (CASUS_STEP_RECORDED), STORE_TEXT (c->case_ref)),
                   "close the case", reason);
    free (sealed);
    if (changed == 0)
        return kt_fail (reason, "case %.24s is not open", c->case_ref);
    return changed < 0 ? -1 : 0;
}

int
casus_sealed_step_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    casus_sealed_step_t *c = arg;
    c->step = (casus_step_t) sqlite3_column_int (q, 1);
    return keystore_record_row (q, &c->record, reason);
}

int
casusoverleg_closure (casusoverleg_t *self, const char *case_ref, Keten__CaseClosure **c_p,
                      casus_step_t *step_p, kt_reason_t *reason)
{
    *c_p = NULL;
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (self, case_ref, &info, key, reason) != 0)
        return -1;
    casus_sealed_step_t c = {{NULL, key, case_ref, strlen (case_ref), 0,
                              &keten__case_closure__descriptor, NULL, KEYSTORE_NO_RECORD},
                             CASUS_STEP_SENT};
    int rc = store_one (self->db,
                        "SELECT closure, closure_step FROM casus WHERE case_ref=? AND"
                        " state='closed'",
                        STORE_VALUES (STORE_TEXT (case_ref)), casus_sealed_step_row, &c,
                        "read the closure", reason);
    sodium_memzero (key, sizeof key);
    if (rc < 0)
        return -1;
    *c_p = (Keten__CaseClosure *) c.record.msg;
    if (c.record.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "case %.24s is not closed", case_ref);
    if (c.record.result == KEYSTORE_TAMPERED)
        return kt_fail (reason, "the closure of %.24s does not unseal", case_ref);
    if (!*c_p)
        return kt_fail (reason, "the closure of %.24s does not decode", case_ref);
    if (step_p)
        *step_p = c.step;
    return 0;
}

int
casusoverleg_closure_done (casusoverleg_t *self, const char *case_ref, casus_step_t step,
                           kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE casus SET closure_step=? WHERE case_ref=? AND state='closed'",
                      STORE_VALUES (STORE_INT (step), STORE_TEXT (case_ref)),
                      "record the closure's progress", reason) < 0
               ? -1
               : 0;
}

int
casusoverleg_each_closure_unsent (casusoverleg_t *self, store_text_fn *fn, void *arg,
                                  kt_reason_t *reason)
{
    return store_each_text (self->db,
                            "SELECT case_ref FROM casus WHERE state='closed' AND closure_step<>0"
                            " ORDER BY closed_ms",
                            NULL, fn, arg, "list the closures not sent", reason);
}

/* ---- retention (art. 13; the lifecycle module drives these) ------------- */

typedef struct {
    casusoverleg_last_fn *fn;
    void *arg;
} last_visit_t;

static int
s_last_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    last_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), (uint64_t) sqlite3_column_int64 (q, 1),
                  sqlite3_column_int (q, 2) != 0, reason);
}

int
casusoverleg_each_last (casusoverleg_t *self, const char *case_ref, casusoverleg_last_fn *fn,
                        void *arg, kt_reason_t *reason)
{
    /*  The casusoverleg file's part of a subject's last processing
     *  (lifecycle.h has the whole definition): the opening, the closure,
     *  every contribution, disclosure, plan version and progress report. */
    last_visit_t v = {fn, arg};
    return store_each (
        self->db,
        "SELECT c.case_ref, max(c.opened_ms, coalesce(c.closed_ms, 0),"
        " coalesce((SELECT max(received_ms) FROM contribution x WHERE x.case_ref=c.case_ref), 0),"
        " coalesce((SELECT max(disclosed_ms) FROM disclosure x WHERE x.case_ref=c.case_ref), 0),"
        " coalesce((SELECT max(stored_ms) FROM plan x WHERE x.case_ref=c.case_ref), 0),"
        " coalesce((SELECT max(received_ms) FROM progress x WHERE x.case_ref=c.case_ref), 0),"
        " coalesce((SELECT max(received_ms) FROM consent x WHERE x.case_ref=c.case_ref), 0),"
        " coalesce((SELECT max(received_ms) FROM closure_vote x WHERE x.case_ref=c.case_ref), 0)),"
        " c.archived FROM casus c WHERE ?1 IS NULL OR c.case_ref=?1",
        store_bind_values, (void *) STORE_VALUES (case_ref ? STORE_TEXT (case_ref) : STORE_NULL),
        s_last_row, &v, "read the cases' last processing", reason);
}

typedef struct {
    casusoverleg_sender_fn *fn;
    void *arg;
} sender_visit_t;

static int
s_sender_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    sender_visit_t *v = arg;
    if (!store_blob_is (q, 1, KT_ID_LEN))
        return 0;
    return v->fn (v->arg, store_text (q, 0), sqlite3_column_blob (q, 1), reason);
}

int
casusoverleg_each_sender_message (casusoverleg_t *self, const char *case_ref,
                                  casusoverleg_sender_fn *fn, void *arg, kt_reason_t *reason)
{
    sender_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT sender, message_id FROM contribution WHERE case_ref=?1"
                       " UNION ALL SELECT sender, message_id FROM progress WHERE case_ref=?1"
                       " UNION ALL SELECT sender, message_id FROM consent WHERE case_ref=?1"
                       " UNION ALL SELECT sender, message_id FROM closure_vote WHERE case_ref=?1"
                       " UNION ALL SELECT sender, message_id FROM share WHERE case_ref=?1",
                       store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                       s_sender_row, &v, "list the case's senders", reason);
}

int
casusoverleg_set_archived (casusoverleg_t *self, const char *case_ref, bool archived,
                           kt_reason_t *reason)
{
    return store_run (self->db, "UPDATE casus SET archived=? WHERE case_ref=?",
                      STORE_VALUES (STORE_INT (archived ? 1 : 0), STORE_TEXT (case_ref)),
                      "set the case's archive state", reason) < 0
               ? -1
               : 0;
}

int
casusoverleg_case_key_id (casusoverleg_t *self, const char *case_ref,
                          uint8_t key_id[KEYSTORE_ID_LEN], kt_reason_t *reason)
{
    bool found = false;
    keystore_id_t k = {key_id, &found};
    if (store_one (self->db, "SELECT key_id FROM casus WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), keystore_id_row, &k, "find the case's key",
                   reason) < 0)
        return -1;
    return found ? 1 : 0;
}

int
casusoverleg_forget_case (casusoverleg_t *self, const char *case_ref, kt_reason_t *reason)
{
    /*  Every table of the file that names the case (plan.c's too: same
     *  file, one commit; its trigger refuses updates, not deletes). */
    static const char *const sql[] = {
        "DELETE FROM casus_signal WHERE case_ref=?1",
        "DELETE FROM casus_analysis WHERE case_ref=?1",
        "DELETE FROM contribution WHERE case_ref=?1",
        "DELETE FROM disclosure WHERE case_ref=?1",
        "DELETE FROM progress WHERE case_ref=?1",
        "DELETE FROM plan_unsent WHERE case_ref=?1",
        "DELETE FROM plan WHERE case_ref=?1",
        "DELETE FROM casus WHERE case_ref=?1",
    };
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (casework_forget (self->db, case_ref, reason) != 0 ||
        disclosed_forget (self->db, case_ref, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    if (store_run_all (self->db, sql, sizeof sql / sizeof sql[0],
                       STORE_VALUES (STORE_TEXT (case_ref)), "destroy the case's rows",
                       reason) != 0 ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

/* ---- correction (art. 12.5-12.6) ------------------------------------------ */

/* ---- the request desk (art. 12.3) -------------------------------------- */

int
casusoverleg_case_row (casusoverleg_t *self, const char *case_ref, casusoverleg_row_fn *fn,
                       void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_one (self->db,
                      "SELECT c.case_ref, c.state, c.opened_ms, c.decision_id, c.participants,"
                      " (SELECT count(*) FROM casus_signal s WHERE s.case_ref=c.case_ref),"
                      " (SELECT coalesce(max(version), 0) FROM plan p"
                      " WHERE p.case_ref=c.case_ref), (SELECT count(*) FROM contribution k"
                      " WHERE k.case_ref=c.case_ref) FROM casus c WHERE c.case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), s_row, &v, "read the case", reason);
}

typedef struct {
    const char *case_ref;
    const uint8_t *key;
    casusoverleg_contribution_t *out;
    size_t n, cap;
} contributions_t;

static int
s_contribution_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    contributions_t *r = arg;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        casusoverleg_contribution_t *grown = realloc (r->out, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        r->out = grown;
        r->cap = cap;
    }
    casusoverleg_contribution_t *c = &r->out[r->n++];
    memset (c, 0, sizeof *c);
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "a contribution to %.24s has no message id", r->case_ref);
    memcpy (c->message_id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    snprintf (c->sender, sizeof c->sender, "%s", store_text (q, 1));
    snprintf (c->kind, sizeof c->kind, "%s", store_text (q, 2));
    c->received_ms = (uint64_t) sqlite3_column_int64 (q, 3);
    /*  The message id binds the sealed body to its row. */
    keystore_record_t k = {NULL,
                           r->key,
                           c->message_id,
                           KT_ID_LEN,
                           4,
                           &keten__case_contribution__descriptor,
                           NULL,
                           KEYSTORE_NO_RECORD};
    if (keystore_record_row (q, &k, reason) != 0)
        return -1;
    c->contribution = (Keten__CaseContribution *) k.msg;
    if (k.result != 0 || !c->contribution)
        return kt_fail (reason, "a contribution to %.24s does not unseal; the file may be damaged",
                        r->case_ref);
    for (size_t i = 0; i < c->contribution->n_items; i++) {
        Keten__SignalItem *item = c->contribution->items[i];
        if (item->blocked || item->deleted) {
            sodium_memzero (item->text, strlen (item->text));
            sodium_memzero (item->opinion_of, strlen (item->opinion_of));
        }
    }
    return 0;
}

int
casusoverleg_read_contributions (casusoverleg_t *self, const char *case_ref,
                                 casusoverleg_contribution_t **out_p, size_t *n_p,
                                 kt_reason_t *reason)
{
    *out_p = NULL;
    *n_p = 0;
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    int found = casusoverleg_case_key_id (self, case_ref, key_id, reason);
    if (found < 0)
        return -1;
    if (found == 0)
        return kt_fail (reason, "no case %.24s in the casusoverleg file", case_ref);
    if (keystore_get (self->keystore, key_id, key, reason) != 0)
        return -1;
    contributions_t r = {case_ref, key, NULL, 0, 0};
    int rc = store_each (self->db,
                         "SELECT message_id, sender, kind, received_ms, body FROM contribution"
                         " WHERE case_ref=? ORDER BY received_ms, rowid",
                         store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                         s_contribution_row, &r, "read the contributions", reason);
    sodium_memzero (key, sizeof key);
    if (rc != 0) {
        casusoverleg_contributions_free (r.out, r.n);
        return -1;
    }
    *out_p = r.out;
    *n_p = r.n;
    return 0;
}

void
casusoverleg_contributions_free (casusoverleg_contribution_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].contribution)
            keten__case_contribution__free_unpacked (c[i].contribution, NULL);
    free (c);
}

int
casusoverleg_correct_signal (casusoverleg_t *self, const char *case_ref,
                             const uint8_t id[KT_ID_LEN], const Keten__Signal *signal,
                             kt_reason_t *reason)
{
    int has = store_one (self->db, "SELECT 1 FROM casus_signal WHERE message_id=? AND case_ref=?",
                         STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (case_ref)), NULL,
                         NULL, "look up the copied signal", reason);
    if (has <= 0)
        return has;
    int rc;
    if (!signal)
        rc = store_run (self->db, "DELETE FROM casus_signal WHERE message_id=?",
                        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "delete the copied signal",
                        reason) < 0
                 ? -1
                 : 0;
    else {
        uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
        bool is_new;
        uint8_t *sealed = NULL;
        size_t sealed_len = 0;
        rc = s_case_key (self, case_ref, key, key_id, &is_new, reason);
        if (rc == 0 && is_new)
            rc = kt_fail (reason, "the case of %.24s has no key", case_ref);
        if (rc == 0 &&
            keystore_seal_message (key, id, KT_ID_LEN, &signal->base, &sealed, &sealed_len) != 0)
            rc = kt_fail (reason, "out of memory");
        sodium_memzero (key, sizeof key);
        if (rc == 0 &&
            store_run (self->db, "UPDATE casus_signal SET body=? WHERE message_id=?",
                       STORE_VALUES (STORE_BLOB (sealed, sealed_len), STORE_BLOB (id, KT_ID_LEN)),
                       "correct the copied signal", reason) < 0)
            rc = -1;
        free (sealed);
    }
    /*  The pages secure_delete overwrote reach the file; the WAL that
     *  held the old copy is emptied (art. 12.5: the old value is gone). */
    if (rc == 0)
        rc = store_wal_truncate (self->db, NULL, "truncate casusoverleg.db's WAL", reason);
    return rc == 0 ? 1 : -1;
}

/* ---- what a party supplied (art. 10.5) ----------------------------------- */

typedef struct {
    char *sender;
    keystore_record_t record;
} supplied_t;

static int
s_supplied_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    supplied_t *s = arg;
    snprintf (s->sender, 65, "%s", store_text (q, 1));
    return keystore_record_row (q, &s->record, reason);
}

int
casusoverleg_supplied (casusoverleg_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                       const uint8_t key[KEYSTORE_KEY_LEN], casusoverleg_supplied_t *out,
                       kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    /*  A signal copied on agenderen (art. 8.5), then a contribution
     *  (art. 9.2); either's message id binds its sealed body to its row. */
    static const struct {
        const char *sql;
        const ProtobufCMessageDescriptor *desc;
    } from[] = {
        {"SELECT body, sender FROM casus_signal WHERE message_id=? AND case_ref=?",
         &keten__signal__descriptor},
        {"SELECT body, sender FROM contribution WHERE message_id=? AND case_ref=?",
         &keten__case_contribution__descriptor},
    };
    for (size_t i = 0; i < 2; i++) {
        supplied_t s = {out->sender,
                        {NULL, key, id, KT_ID_LEN, 0, from[i].desc, NULL, KEYSTORE_NO_RECORD}};
        int found = store_one (self->db, from[i].sql,
                               STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (case_ref)),
                               s_supplied_row, &s, "read what a party supplied", reason);
        if (found < 0)
            return -1;
        if (found == 0)
            continue;
        if (s.record.result != 0 || !s.record.msg)
            return kt_fail (reason, "a message of %.24s does not unseal; the file may be damaged",
                            case_ref);
        if (i == 0)
            out->signal = (Keten__Signal *) s.record.msg;
        else
            out->contribution = (Keten__CaseContribution *) s.record.msg;
        return 1;
    }
    return 0;
}

void
casusoverleg_supplied_free (casusoverleg_supplied_t *s)
{
    if (s->signal)
        keten__signal__free_unpacked (s->signal, NULL);
    if (s->contribution)
        keten__case_contribution__free_unpacked (s->contribution, NULL);
    s->signal = NULL;
    s->contribution = NULL;
}
