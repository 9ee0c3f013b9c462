/*  decisionbox: weegploeg decisions received.  */
#include "decisionbox.h"

#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _decisionbox_t {
    sqlite3 *db;
    keystore_t *keystore;
};

static const char *const s_migrations[] = {
    "CREATE TABLE decision_in (decision_id TEXT PRIMARY KEY, case_ref TEXT NOT NULL,"
    " outcome INTEGER NOT NULL, referentiekader TEXT NOT NULL, criteria TEXT NOT NULL,"
    " parties TEXT NOT NULL, decided_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
    " key_id BLOB NOT NULL, body BLOB NOT NULL);",
    /*  art. 7.3: the SHA-256 (hex) of the referentiekader applied; art.
     *  7.4 sub 1: the kernpartij asked for more information. */
    "ALTER TABLE decision_in ADD COLUMN referentiekader_sha256 TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE decision_in ADD COLUMN asked TEXT NOT NULL DEFAULT '';",
    /*  art. 7.4 sub 1: this node's answer to a question put to it (the
     *  newest one queued: its message id and when). */
    "ALTER TABLE decision_in ADD COLUMN answered_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE decision_in ADD COLUMN answer_id BLOB;",
};

decisionbox_t *
decisionbox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason)
{
    decisionbox_t *self =
        store_module_new (sizeof *self, db, "decisionbox", STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->db = db;
        self->keystore = keystore;
    }
    return self;
}

void
decisionbox_destroy (decisionbox_t **self_p)
{
    decisionbox_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

/*  [a-z0-9.-] ids and codes of 1..max bytes. */
static bool
s_token (const char *s, size_t max)
{
    size_t len = strlen (s);
    if (len < 1 || len > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
              *p == '_' || (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

/*  Free text of 1..16384 bytes: line breaks, no other control characters. */
static bool
s_text_ok (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > 16384)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return false;
    return true;
}

int
decisionbox_check (const Keten__WeegploegDecision *d, kt_reason_t *reason)
{
    if (strlen (d->decision_id) != 18 || strncmp (d->decision_id, "d-", 2) != 0 ||
        !s_token (d->decision_id, 18))
        return kt_fail (reason, "decision: decision_id is not d-<16 hex digits>");
    if (strlen (d->case_ref) != 18 || strncmp (d->case_ref, "k-", 2) != 0 ||
        !s_token (d->case_ref, 18))
        return kt_fail (reason, "decision: case_ref is not k-<16 hex digits>");
    if (d->outcome != KETEN__DECISION_OUTCOME__AGENDEREN &&
        d->outcome != KETEN__DECISION_OUTCOME__NIET_AGENDEREN &&
        d->outcome != KETEN__DECISION_OUTCOME__MEER_INFORMATIE)
        return kt_fail (reason, "decision: unknown outcome");
    /*  art. 7.4 sub 1: meer informatie asks one kernpartij a question and
     *  involves nobody yet; the other outcomes ask nothing. */
    bool question = d->outcome == KETEN__DECISION_OUTCOME__MEER_INFORMATIE;
    if (question ? !s_token (d->asked, 64) || d->n_parties > 0 || !s_text_ok (d->question)
                 : *d->asked || *d->question)
        return kt_fail (reason, question ? "decision: meer informatie without the kernpartij "
                                           "asked or the question, or with parties"
                                         : "decision: a question with an outcome that asks none");
    if (!s_token (d->referentiekader, 64))
        return kt_fail (reason, "decision: invalid referentiekader version");
    /*  art. 7.3: the SHA-256 of the referentiekader applied (absent from
     *  an uitvoerder that did not record it yet). */
    if (d->referentiekader_sha256.len != 0 && d->referentiekader_sha256.len != 32)
        return kt_fail (reason, "decision: referentiekader_sha256 is not 32 bytes");
    if (d->n_criteria > 32 || d->n_parties > 32)
        return kt_fail (reason, "decision: too many criteria or parties");
    for (size_t i = 0; i < d->n_criteria; i++)
        if (!s_token (d->criteria[i], 32))
            return kt_fail (reason, "decision: invalid criterion %zu", i + 1);
    for (size_t i = 0; i < d->n_parties; i++)
        if (!s_token (d->parties[i], 64))
            return kt_fail (reason, "decision: invalid party %zu", i + 1);
    size_t len = strlen (d->analysis);
    if (len < 1 || len > 16384)
        return kt_fail (reason, "decision: analysis of %zu bytes", len);
    for (const unsigned char *p = (const unsigned char *) d->analysis; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return kt_fail (reason, "decision: analysis has control characters");
    return 0;
}

int
decisionbox_store (decisionbox_t *self, const Keten__WeegploegDecision *d, uint64_t now_ms,
                   kt_reason_t *reason)
{
    int known = store_one (self->db, "SELECT 1 FROM decision_in WHERE decision_id=?",
                           STORE_VALUES (STORE_TEXT (d->decision_id)), NULL, NULL,
                           "look up the decision", reason);
    if (known != 0)
        return known < 0 ? -1 : 0;
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    if (keystore_create (self->keystore, key_id, key, reason) != 0)
        return -1;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, d->decision_id, strlen (d->decision_id), &d->base, &sealed,
                                    &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    char criteria[32 * 33 + 1], parties[32 * 66 + 1], rk_sha[65] = "";
    if (d->referentiekader_sha256.len == 32)
        kt_hex (rk_sha, d->referentiekader_sha256.data, 32);
    store_join (criteria, sizeof criteria, (const char *const *) d->criteria, d->n_criteria);
    store_join (parties, sizeof parties, (const char *const *) d->parties, d->n_parties);
    rc = store_run (
        self->db,
        "INSERT INTO decision_in (decision_id, case_ref, outcome, referentiekader,"
        " criteria, parties, decided_ms, received_ms, key_id, body, referentiekader_sha256)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        STORE_VALUES (STORE_TEXT (d->decision_id), STORE_TEXT (d->case_ref), STORE_INT (d->outcome),
                      STORE_TEXT (d->referentiekader), STORE_TEXT (criteria), STORE_TEXT (parties),
                      STORE_INT (d->decided_ms), STORE_INT (now_ms),
                      STORE_BLOB (key_id, KEYSTORE_ID_LEN), STORE_BLOB (sealed, sealed_len),
                      STORE_TEXT (rk_sha)),
        "store the decision", reason);
    free (sealed);
    /*  art. 7.4 sub 1: who is asked, in the clear (a roster id). */
    if (rc >= 0 && *d->asked)
        rc = store_run (self->db, "UPDATE decision_in SET asked=? WHERE decision_id=?",
                        STORE_VALUES (STORE_TEXT (d->asked), STORE_TEXT (d->decision_id)),
                        "store the kernpartij asked", reason);
    return rc < 0 ? -1 : 0;
}

/*  A meer informatie decision (row "decision_in") that no later decision
 *  received here on its subject followed. */
#define S_OPEN                                                                                     \
    "(decision_in.outcome=3 AND NOT EXISTS (SELECT 1 FROM decision_in y"                           \
    " WHERE y.case_ref=decision_in.case_ref AND y.decided_ms > decision_in.decided_ms))"

typedef struct {
    decisionbox_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    decisionbox_row_t row = {
        .decision_id = store_text (q, 0),
        .case_ref = store_text (q, 1),
        .agenderen = sqlite3_column_int (q, 2) == KETEN__DECISION_OUTCOME__AGENDEREN,
        .referentiekader = store_text (q, 3),
        .criteria = store_text (q, 4),
        .parties = store_text (q, 5),
        .decided_ms = (uint64_t) sqlite3_column_int64 (q, 6),
        .received_ms = (uint64_t) sqlite3_column_int64 (q, 7),
        .referentiekader_sha256 = store_text (q, 8),
        .meer_informatie = sqlite3_column_int (q, 2) == KETEN__DECISION_OUTCOME__MEER_INFORMATIE,
        .asked = store_text (q, 9),
        .answered_ms = (uint64_t) sqlite3_column_int64 (q, 10),
        .open = sqlite3_column_int (q, 11) != 0};
    return v->fn (v->arg, &row, reason);
}

int
decisionbox_each (decisionbox_t *self, int limit, decisionbox_row_fn *fn, void *arg,
                  kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT decision_id, case_ref, outcome, referentiekader, criteria,"
                       " parties, decided_ms, received_ms, referentiekader_sha256, asked,"
                       " answered_ms, " S_OPEN " FROM decision_in ORDER BY decided_ms DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the decisions", reason);
}

int
decisionbox_get (decisionbox_t *self, const char *id, Keten__WeegploegDecision **d_p,
                 kt_reason_t *reason)
{
    keystore_record_t r = {
        self->keystore,    NULL, id, strlen (id), 1, &keten__weegploeg_decision__descriptor, NULL,
        KEYSTORE_NO_RECORD};
    if (store_one (self->db, "SELECT key_id, body FROM decision_in WHERE decision_id=?",
                   STORE_VALUES (STORE_TEXT (id)), keystore_record_row, &r, "read the decision",
                   reason) < 0)
        return -1;
    *d_p = (Keten__WeegploegDecision *) r.msg;
    if (r.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "no decision %.24s on this node", id);
    if (r.result == KEYSTORE_TAMPERED)
        return kt_fail (reason, "decision %.24s does not decrypt", id);
    return r.msg ? 0 : kt_fail (reason, "decision %.24s does not decode", id);
}

/*  Key ids of a query's column 0, collected. */
typedef struct {
    uint8_t *ids;
    size_t n, cap;
} key_ids_t;

static int
s_key_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    key_ids_t *k = arg;
    if (!store_blob_is (q, 0, KEYSTORE_ID_LEN))
        return 0;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        uint8_t *ids = realloc (k->ids, cap * KEYSTORE_ID_LEN);
        if (!ids)
            return kt_fail (reason, "out of memory");
        k->ids = ids;
        k->cap = cap;
    }
    memcpy (k->ids + k->n++ * KEYSTORE_ID_LEN, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    return 0;
}

int
decisionbox_forget (decisionbox_t *self, const char *case_ref, uint8_t **key_ids_p, size_t *n_p,
                    kt_reason_t *reason)
{
    key_ids_t k = {0};
    *key_ids_p = NULL;
    *n_p = 0;
    if (store_each (self->db, "SELECT key_id FROM decision_in WHERE case_ref=?", store_bind_values,
                    (void *) STORE_VALUES (STORE_TEXT (case_ref)), s_key_id_row, &k,
                    "find the decisions' keys", reason) != 0 ||
        store_run (self->db, "DELETE FROM decision_in WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), "delete the decisions", reason) < 0) {
        free (k.ids);
        return -1;
    }
    *key_ids_p = k.ids;
    *n_p = k.n;
    return 0;
}

int
decisionbox_forget_all (decisionbox_t *self, uint8_t **key_ids_p, size_t *n_p, kt_reason_t *reason)
{
    key_ids_t k = {0};
    *key_ids_p = NULL;
    *n_p = 0;
    if (store_each (self->db, "SELECT key_id FROM decision_in", NULL, NULL, s_key_id_row, &k,
                    "find the decisions' keys", reason) != 0 ||
        store_run (self->db, "DELETE FROM decision_in", NULL, "delete the decisions", reason) < 0) {
        free (k.ids);
        return -1;
    }
    *key_ids_p = k.ids;
    *n_p = k.n;
    return 0;
}

bool
decisionbox_present (sqlite3 *db)
{
    kt_reason_t reason;
    int present = store_one (db, "SELECT 1 FROM schema_version WHERE module='decisionbox'", NULL,
                             NULL, NULL, "look for the decision table", &reason);
    if (present < 0)
        kt_log (KT_LOG_ERROR, "decision lookup_failed reason=\"%s\"", reason.text);
    return present > 0;
}

/* ---- meer informatie (art. 7.4 sub 1) ------------------------------------ */

static int
s_asked_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    decisionbox_asked_t *a = arg;
    snprintf (a->case_ref, sizeof a->case_ref, "%s", store_text (q, 0));
    a->outcome = sqlite3_column_int (q, 1);
    snprintf (a->asked, sizeof a->asked, "%s", store_text (q, 2));
    a->open = sqlite3_column_int (q, 3) != 0;
    return 0;
}

int
decisionbox_asked (decisionbox_t *self, const char *id, decisionbox_asked_t *a, kt_reason_t *reason)
{
    memset (a, 0, sizeof *a);
    return store_one (self->db,
                      "SELECT case_ref, outcome, asked, " S_OPEN " FROM decision_in"
                      " WHERE decision_id=?",
                      STORE_VALUES (STORE_TEXT (id)), s_asked_row, a, "read the decision", reason);
}

int
decisionbox_mark_answered (decisionbox_t *self, const char *id, const uint8_t message_id[KT_ID_LEN],
                           uint64_t now_ms, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE decision_in SET answered_ms=?, answer_id=? WHERE decision_id=?",
                      STORE_VALUES (STORE_INT (now_ms), STORE_BLOB (message_id, KT_ID_LEN),
                                    STORE_TEXT (id)),
                      "record the answer", reason) < 0
               ? -1
               : 0;
}
