/*  decision: weegploeg decisions (art. 7.3-7.4, 8.2).  */
#include "decision.h"

#include "keystore.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _decision_t {
    weegploeg_t *weegploeg;
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  body: the packed WeegploegDecision, analysis included, sealed under
     *  the subject's key; the clear columns hold no personal data. */
    "CREATE TABLE decision (decision_id TEXT PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES subject (case_ref), outcome INTEGER NOT NULL, referentiekader TEXT NOT NULL,"
    " criteria TEXT NOT NULL, parties TEXT NOT NULL, meeting_id TEXT NOT NULL,"
    " decided_ms INTEGER NOT NULL, uid INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0,"
    " body BLOB NOT NULL);"
    "CREATE INDEX decision_case ON decision (case_ref);",
    /*  art. 7.3: the SHA-256 (hex) of the referentiekader applied; art.
     *  7.4 sub 1: the kernpartij asked for more information. */
    "ALTER TABLE decision ADD COLUMN referentiekader_sha256 TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE decision ADD COLUMN asked TEXT NOT NULL DEFAULT '';",
};

decision_t *
decision_new (weegploeg_t *weegploeg, kt_reason_t *reason)
{
    decision_t *self = store_module_new (sizeof *self, weegploeg_db (weegploeg), "decision",
                                         STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->weegploeg = weegploeg;
        self->db = weegploeg_db (weegploeg);
    }
    return self;
}

void
decision_destroy (decision_t **self_p)
{
    decision_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

/*  Free text: UTF-8 as given, line breaks allowed, no other control
 *  characters. */
static bool
s_text_ok (const char *s, size_t max)
{
    size_t len = strlen (s);
    if (len < 1 || len > max)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return false;
    return true;
}

static int
s_check (const decision_input_t *in, const referentiekader_t *rk, const roster_t *roster,
         uint64_t now_ms, kt_reason_t *reason)
{
    if (!rk)
        return kt_fail (reason, "no referentiekader is configured (weegploeg/referentiekader); "
                                "a decision is weighed against it (art. 7.3)");
    if (in->n_criteria > DECISION_MAX_CRITERIA)
        return kt_fail (reason, "at most %d criteria", DECISION_MAX_CRITERIA);
    for (size_t i = 0; i < in->n_criteria; i++) {
        if (!referentiekader_has (rk, in->criteria[i]))
            return kt_fail (reason, "criterion '%.32s' is not in referentiekader %s",
                            in->criteria[i], rk->version);
        for (size_t j = 0; j < i; j++)
            if (strcmp (in->criteria[i], in->criteria[j]) == 0)
                return kt_fail (reason, "criterion %s is listed twice", in->criteria[i]);
    }
    if (!in->analysis || !s_text_ok (in->analysis, DECISION_ANALYSIS_MAX))
        return kt_fail (reason, "the analysis must be 1..%d bytes of text", DECISION_ANALYSIS_MAX);
    if (!in->agenderen && in->n_parties > 0)
        return kt_fail (reason, "niet agenderen names no parties to involve");
    if (in->agenderen && (in->n_parties < 1 || in->n_parties > DECISION_MAX_PARTIES))
        return kt_fail (reason,
                        "agenderen names 1..%d parties to involve in the casusoverleg "
                        "(art. 7.4)",
                        DECISION_MAX_PARTIES);
    for (size_t i = 0; i < in->n_parties; i++) {
        const roster_member_t *m = roster_find (roster, in->parties[i]);
        if (!m || !roster_member_active (m, now_ms))
            return kt_fail (reason, "party '%.64s' is not an active member of the roster",
                            in->parties[i]);
        if (m->role == ROLE_UITVOERDER)
            return kt_fail (reason, "the uitvoerder is not a party to involve");
        for (size_t j = 0; j < i; j++)
            if (strcmp (in->parties[i], in->parties[j]) == 0)
                return kt_fail (reason, "party %s is listed twice", in->parties[i]);
    }
    if (in->meeting_id && (strlen (in->meeting_id) != 18 || strncmp (in->meeting_id, "w-", 2)))
        return kt_fail (reason, "meeting id must be of the form w-<16 hex digits>");
    return 0;
}

int
decision_record (decision_t *self, const referentiekader_t *rk, const roster_t *roster,
                 const decision_input_t *in, uint64_t now_ms, char id[DECISION_ID_LEN],
                 kt_reason_t *reason)
{
    if (s_check (in, rk, roster, now_ms, reason) != 0)
        return -1;
    /*  art. 13.2: an archived subject is not weighed again unless a
     *  kernpartij has it reopened (13.4). */
    if (weegploeg_subject_state (self->weegploeg, in->case_ref, reason) ==
        WEEGPLOEG_SUBJECT_ARCHIVED)
        return kt_fail (reason,
                        "case_ref %.40s is archived (art. 13.2); only a kernpartij can have it "
                        "reopened (art. 13.4)",
                        in->case_ref);
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self->weegploeg, in->case_ref, key, reason) != 0)
        return -1;
    uint8_t rnd[8];
    char hex[17];
    randombytes_buf (rnd, sizeof rnd);
    snprintf (id, DECISION_ID_LEN, "d-%s", kt_hex (hex, rnd, sizeof rnd));

    Keten__WeegploegDecision d = KETEN__WEEGPLOEG_DECISION__INIT;
    d.decision_id = id;
    d.case_ref = (char *) in->case_ref;
    d.outcome = in->agenderen ? KETEN__DECISION_OUTCOME__AGENDEREN
                              : KETEN__DECISION_OUTCOME__NIET_AGENDEREN;
    d.referentiekader = (char *) rk->version;
    d.criteria = (char **) in->criteria;
    d.n_criteria = in->n_criteria;
    d.analysis = (char *) in->analysis;
    d.parties = (char **) in->parties;
    d.n_parties = in->n_parties;
    d.meeting_id = (char *) (in->meeting_id ? in->meeting_id : "");
    d.decided_ms = now_ms;
    /*  art. 7.3: which criteria, to the byte, the decision was weighed
     *  against. */
    d.referentiekader_sha256.data = (uint8_t *) rk->sha256;
    d.referentiekader_sha256.len = 32;
    char rk_sha[65];
    kt_hex (rk_sha, rk->sha256, 32);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, id, strlen (id), &d.base, &sealed, &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    char criteria[DECISION_MAX_CRITERIA * (REFERENTIEKADER_CODE_MAX + 1) + 1];
    char parties[DECISION_MAX_PARTIES * 66 + 1];
    store_join (criteria, sizeof criteria, (const char *const *) in->criteria, in->n_criteria);
    store_join (parties, sizeof parties, (const char *const *) in->parties, in->n_parties);
    rc = store_run (self->db,
                    "INSERT INTO decision (decision_id, case_ref, outcome, referentiekader,"
                    " criteria, parties, meeting_id, decided_ms, uid, body,"
                    " referentiekader_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    STORE_VALUES (STORE_TEXT (id), STORE_TEXT (in->case_ref), STORE_INT (d.outcome),
                                  STORE_TEXT (rk->version), STORE_TEXT (criteria),
                                  STORE_TEXT (parties), STORE_TEXT (d.meeting_id),
                                  STORE_INT (now_ms), STORE_INT (in->uid),
                                  STORE_BLOB (sealed, sealed_len), STORE_TEXT (rk_sha)),
                    "store the decision", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    decision_t *self;
    keystore_record_t record;
} decision_record_t;

/*  A decision row, opened under its subject's key (from the weegploeg). */
static int
s_record_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    decision_record_t *d = arg;
    uint8_t *key = (uint8_t *) d->record.key;
    if (weegploeg_case_key (d->self->weegploeg, store_text (q, 0), key, reason) != 0)
        return -1;
    return keystore_record_row (q, &d->record, reason);
}

int
decision_get (decision_t *self, const char *id, Keten__WeegploegDecision **out_p,
              kt_reason_t *reason)
{
    *out_p = NULL;
    uint8_t key[KEYSTORE_KEY_LEN];
    decision_record_t d = {self,
                           {NULL, key, id, strlen (id), 1, &keten__weegploeg_decision__descriptor,
                            NULL, KEYSTORE_NO_RECORD}};
    int found =
        store_one (self->db, "SELECT case_ref, body FROM decision WHERE decision_id=?",
                   STORE_VALUES (STORE_TEXT (id)), s_record_row, &d, "read the decision", reason);
    sodium_memzero (key, sizeof key);
    if (found <= 0)
        return found < 0 ? -1 : kt_fail (reason, "no decision %.24s", id);
    *out_p = (Keten__WeegploegDecision *) d.record.msg;
    if (d.record.result == KEYSTORE_TAMPERED || d.record.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "decision %.24s does not decrypt", id);
    return *out_p ? 0 : kt_fail (reason, "decision %.24s does not decode", id);
}

int
decision_mark_sent (decision_t *self, const char *id, kt_reason_t *reason)
{
    return store_run (self->db, "UPDATE decision SET sent=1 WHERE decision_id=?",
                      STORE_VALUES (STORE_TEXT (id)), "mark the decision sent", reason) < 0
               ? -1
               : 0;
}

int
decision_each_unsent (decision_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (self->db, "SELECT decision_id FROM decision WHERE sent=0", NULL, fn,
                            arg, "list the decisions not sent", reason);
}

typedef struct {
    decision_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    decision_row_t row = {.decision_id = store_text (q, 0),
                          .case_ref = store_text (q, 1),
                          .agenderen =
                              sqlite3_column_int (q, 2) == KETEN__DECISION_OUTCOME__AGENDEREN,
                          .referentiekader = store_text (q, 3),
                          .criteria = store_text (q, 4),
                          .parties = store_text (q, 5),
                          .meeting_id = store_text (q, 6),
                          .decided_ms = (uint64_t) sqlite3_column_int64 (q, 7),
                          .sent = sqlite3_column_int (q, 8) != 0,
                          .referentiekader_sha256 = store_text (q, 9)};
    return v->fn (v->arg, &row, reason);
}

int
decision_each (decision_t *self, int limit, decision_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT decision_id, case_ref, outcome, referentiekader, criteria,"
                       " parties, meeting_id, decided_ms, sent, referentiekader_sha256"
                       " FROM decision"
                       " WHERE case_ref NOT IN (SELECT case_ref FROM subject WHERE archived=1)"
                       " ORDER BY decided_ms DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the decisions", reason);
}

static int
s_weighed_row (void *arg, const char *text, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, DECISION_ID_LEN, "%s", text);
    return 1;
}

int
decision_weighed (decision_t *self, const uint8_t signal_id[KT_ID_LEN],
                  char decision_id[DECISION_ID_LEN], kt_reason_t *reason)
{
    *decision_id = '\0';
    if (store_each_text (self->db,
                         "SELECT d.decision_id FROM decision d JOIN signal s"
                         " ON s.case_ref = d.case_ref WHERE s.message_id = ?"
                         " AND d.decided_ms >= s.received_ms ORDER BY d.decided_ms LIMIT 1",
                         STORE_VALUES (STORE_BLOB (signal_id, KT_ID_LEN)), s_weighed_row,
                         decision_id, "look for a decision on the signal's subject", reason) < 0)
        return -1;
    return *decision_id ? 1 : 0;
}

int
decision_on_case (decision_t *self, const char *case_ref, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM decision WHERE case_ref=? LIMIT 1",
                      STORE_VALUES (STORE_TEXT (case_ref)), NULL, NULL,
                      "look for a decision on the subject", reason);
}
