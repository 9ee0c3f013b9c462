/*  decision: weegploeg decisions (art. 7.3-7.4, 8.2).  */
#include "decision.h"

#include "intake.h"
#include "items.h"
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
    /*  art. 7.4 sub 1: the asked kernpartij's answers, additional
     *  information in the weegploeg file; body: the CaseContribution,
     *  sealed under the subject's key. */
    "CREATE TABLE decision_answer (message_id BLOB PRIMARY KEY, decision_id TEXT NOT NULL"
    " REFERENCES decision (decision_id), case_ref TEXT NOT NULL, sender TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL, log_index INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX decision_answer_case ON decision_answer (case_ref);",
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

/*  art. 7.4 sub 1: "eventueel na het inwinnen van additionele informatie" -
 *  meer informatie asks one active kernpartij one question and involves
 *  nobody yet (the parties come with agenderen). */
static int
s_check_question (const decision_input_t *in, const roster_t *roster, uint64_t now_ms,
                  kt_reason_t *reason)
{
    if (!in->meer_informatie)
        return in->asked || in->question
                   ? kt_fail (reason, "a kernpartij is asked a question with meer informatie only")
                   : 0;
    if (in->agenderen)
        return kt_fail (reason, "a decision has one outcome");
    if (in->n_parties > 0)
        return kt_fail (reason, "meer informatie names no parties to involve (those come with "
                                "agenderen)");
    if (!in->asked || !in->question)
        return kt_fail (reason, "meer informatie names the kernpartij asked and the question");
    const roster_member_t *m = roster_find (roster, in->asked);
    if (!m || !roster_member_active (m, now_ms))
        return kt_fail (reason, "asked '%.64s' is not an active member of the roster", in->asked);
    if (m->role != ROLE_KERNPARTIJ)
        return kt_fail (reason,
                        "art. 7.4 sub 1: the weegploeg asks a kernpartij (politie, OM, "
                        "gemeente); %s is not one",
                        in->asked);
    if (!s_text_ok (in->question, DECISION_QUESTION_MAX))
        return kt_fail (reason, "the question must be 1..%d bytes of text", DECISION_QUESTION_MAX);
    return 0;
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
    if (s_check_question (in, roster, now_ms, reason) != 0)
        return -1;
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
    kt_random_buf (rnd, sizeof rnd);
    snprintf (id, DECISION_ID_LEN, "d-%s", kt_hex (hex, rnd, sizeof rnd));

    Keten__WeegploegDecision d = KETEN__WEEGPLOEG_DECISION__INIT;
    d.decision_id = id;
    d.case_ref = (char *) in->case_ref;
    d.outcome = in->agenderen         ? KETEN__DECISION_OUTCOME__AGENDEREN
                : in->meer_informatie ? KETEN__DECISION_OUTCOME__MEER_INFORMATIE
                                      : KETEN__DECISION_OUTCOME__NIET_AGENDEREN;
    d.asked = (char *) (in->meer_informatie ? in->asked : "");
    d.question = (char *) (in->meer_informatie ? in->question : "");
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
    /*  art. 7.4 sub 1: who is asked, in the clear (a roster id). */
    if (rc >= 0 && in->meer_informatie)
        rc = store_run (self->db, "UPDATE decision SET asked=? WHERE decision_id=?",
                        STORE_VALUES (STORE_TEXT (in->asked), STORE_TEXT (id)),
                        "store the kernpartij asked", reason);
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

/*  A meer informatie decision (row "decision") that no later decision on
 *  its subject followed: its question is open. */
#define S_OPEN                                                                                     \
    "(decision.outcome=3 AND NOT EXISTS (SELECT 1 FROM decision y"                                 \
    " WHERE y.case_ref=decision.case_ref AND y.rowid > decision.rowid))"

typedef struct {
    decision_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    decision_row_t row = {
        .decision_id = store_text (q, 0),
        .case_ref = store_text (q, 1),
        .agenderen = sqlite3_column_int (q, 2) == KETEN__DECISION_OUTCOME__AGENDEREN,
        .referentiekader = store_text (q, 3),
        .criteria = store_text (q, 4),
        .parties = store_text (q, 5),
        .meeting_id = store_text (q, 6),
        .decided_ms = (uint64_t) sqlite3_column_int64 (q, 7),
        .sent = sqlite3_column_int (q, 8) != 0,
        .referentiekader_sha256 = store_text (q, 9),
        .meer_informatie = sqlite3_column_int (q, 2) == KETEN__DECISION_OUTCOME__MEER_INFORMATIE,
        .asked = store_text (q, 10),
        .open = sqlite3_column_int (q, 11) != 0};
    return v->fn (v->arg, &row, reason);
}

int
decision_each (decision_t *self, int limit, decision_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT decision_id, case_ref, outcome, referentiekader, criteria,"
                       " parties, meeting_id, decided_ms, sent, referentiekader_sha256, asked, "
                       S_OPEN " FROM decision"
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
                         " AND d.decided_ms >= s.received_ms AND d.outcome <> ?"
                         " ORDER BY d.decided_ms LIMIT 1",
                         STORE_VALUES (STORE_BLOB (signal_id, KT_ID_LEN),
                                       STORE_INT (KETEN__DECISION_OUTCOME__MEER_INFORMATIE)),
                         s_weighed_row, decision_id, "look for a decision on the signal's subject",
                         reason) < 0)
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

/* ---- meer informatie (art. 7.4 sub 1) ------------------------------------ */

typedef struct {
    char *id, *asked;
} question_ids_t;

static int
s_question_ids_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    question_ids_t *ids = arg;
    snprintf (ids->id, DECISION_ID_LEN, "%s", store_text (q, 0));
    snprintf (ids->asked, 65, "%s", store_text (q, 1));
    return 0;
}

int
decision_open_question (decision_t *self, const char *case_ref, char id[DECISION_ID_LEN],
                        char asked[65], kt_reason_t *reason)
{
    question_ids_t ids = {id, asked};
    *id = *asked = '\0';
    return store_one (self->db,
                      "SELECT decision_id, asked FROM decision WHERE case_ref=? AND " S_OPEN,
                      STORE_VALUES (STORE_TEXT (case_ref)), s_question_ids_row, &ids,
                      "look for the subject's open question", reason);
}

static int
s_question_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    decision_question_t *d = arg;
    snprintf (d->case_ref, sizeof d->case_ref, "%s", store_text (q, 0));
    d->outcome = sqlite3_column_int (q, 1);
    snprintf (d->asked, sizeof d->asked, "%s", store_text (q, 2));
    d->open = sqlite3_column_int (q, 3) != 0;
    return 0;
}

int
decision_question (decision_t *self, const char *id, decision_question_t *q, kt_reason_t *reason)
{
    memset (q, 0, sizeof *q);
    return store_one (self->db,
                      "SELECT case_ref, outcome, asked, " S_OPEN " FROM decision"
                      " WHERE decision_id=?",
                      STORE_VALUES (STORE_TEXT (id)), s_question_row, q, "read the decision",
                      reason);
}

typedef struct {
    const char *sender;
    uint64_t *index;
    bool same;
} answer_seen_t;

static int
s_answer_seen_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    answer_seen_t *a = arg;
    a->same = strcmp (store_text (q, 0), a->sender) == 0;
    if (a->index)
        *a->index = (uint64_t) sqlite3_column_int64 (q, 1);
    return 0;
}

int
decision_answer_seen (decision_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                      uint64_t *log_index_p)
{
    answer_seen_t a = {sender, log_index_p, false};
    kt_reason_t reason;
    int found =
        store_one (self->db, "SELECT sender, log_index FROM decision_answer WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_answer_seen_row, &a,
                   "look up the answer", &reason);
    if (found < 0) {
        kt_log (KT_LOG_ERROR, "answer lookup_failed reason=\"%s\"", reason.text);
        return 0; /* the insert's primary key refuses a repeat */
    }
    return found == 0 ? 0 : a.same ? 1 : -2;
}

int
decision_answer_store (decision_t *self, const uint8_t id[KT_ID_LEN], const char *decision_id,
                       const char *sender, const Keten__CaseContribution *c, uint64_t received_ms,
                       uint64_t log_index, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self->weegploeg, c->case_ref, key, reason) != 0)
        return -1;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, id, KT_ID_LEN, &c->base, &sealed, &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    rc = store_run (self->db,
                    "INSERT INTO decision_answer (message_id, decision_id, case_ref, sender,"
                    " received_ms, log_index, body) VALUES (?,?,?,?,?,?,?)",
                    STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (decision_id),
                                  STORE_TEXT (c->case_ref), STORE_TEXT (sender),
                                  STORE_INT (received_ms), STORE_INT (log_index),
                                  STORE_BLOB (sealed, sealed_len)),
                    "store the answer", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    uint8_t key[KEYSTORE_KEY_LEN];
    decision_answer_t *list;
    size_t n, cap;
} answers_t;

static int
s_answer_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    answers_t *a = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "an answer in the weegploeg file has no message id");
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        decision_answer_t *list = realloc (a->list, cap * sizeof *list);
        if (!list)
            return kt_fail (reason, "out of memory");
        a->list = list;
        a->cap = cap;
    }
    decision_answer_t *x = &a->list[a->n];
    memset (x, 0, sizeof *x);
    memcpy (x->message_id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    snprintf (x->sender, sizeof x->sender, "%s", store_text (q, 1));
    snprintf (x->decision_id, sizeof x->decision_id, "%s", store_text (q, 2));
    x->received_ms = (uint64_t) sqlite3_column_int64 (q, 3);
    keystore_record_t r = {NULL,
                           a->key,
                           x->message_id,
                           KT_ID_LEN,
                           4,
                           &keten__case_contribution__descriptor,
                           NULL,
                           KEYSTORE_NO_RECORD};
    if (keystore_record_row (q, &r, reason) != 0)
        return -1;
    if (r.result != 0 || !r.msg) {
        if (r.msg)
            protobuf_c_message_free_unpacked (r.msg, NULL);
        return kt_fail (reason, "an answer in the weegploeg file does not decrypt");
    }
    x->answer = (Keten__CaseContribution *) r.msg;
    a->n++;
    return 0;
}

int
decision_answers_read (weegploeg_t *weegploeg, const char *case_ref, decision_answer_t **answers_p,
                       size_t *n_p, kt_reason_t *reason)
{
    *answers_p = NULL;
    *n_p = 0;
    sqlite3 *db = weegploeg_db (weegploeg);
    int present = store_has_table (db, "decision_answer", reason);
    if (present <= 0)
        return present;
    answers_t a = {{0}, NULL, 0, 0};
    int rc = weegploeg_case_key (weegploeg, case_ref, a.key, reason);
    if (rc == 0)
        rc = store_each (db,
                         "SELECT message_id, sender, decision_id, received_ms, body"
                         " FROM decision_answer WHERE case_ref=? ORDER BY received_ms, rowid",
                         store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                         s_answer_row, &a, "read the answers", reason);
    sodium_memzero (a.key, sizeof a.key);
    if (rc != 0) {
        decision_answers_free (a.list, a.n);
        return -1;
    }
    *answers_p = a.list;
    *n_p = a.n;
    return 0;
}

/*  "d-" and 16 lower-case hex digits, as decision_record makes them. */
static bool
s_decision_id_ok (const char *s)
{
    if (strlen (s) != DECISION_ID_LEN - 1 || strncmp (s, "d-", 2) != 0)
        return false;
    for (const char *p = s + 2; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/*  A rule broken: kt_fail's -1 becomes "refused". */
static int
s_refused (int failed)
{
    (void) failed;
    return 1;
}

/*  art. 7.4 sub 1: every rule for an answer (decision.h). */
/*  The first column as a whole number. */
static int
s_int64_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

int
decision_answer_check (decision_t *self, const char *sender, const Keten__CaseContribution *c,
                       kt_reason_t *reason)
{
    if (!weegploeg_case_ref_ok (c->case_ref))
        return s_refused (kt_fail (reason, "answer: case_ref is not k-<16 hex digits>"));
    if (!s_decision_id_ok (c->answers))
        return s_refused (
            kt_fail (reason, "answer: answers is not a decision id (d-<16 hex digits>)"));
    decision_question_t q;
    int found = decision_question (self, c->answers, &q, reason);
    if (found <= 0)
        return found < 0 ? -1
                         : s_refused (kt_fail (reason, "no weegploeg decision %s", c->answers));
    if (strcmp (q.case_ref, c->case_ref) != 0)
        return s_refused (kt_fail (reason, "decision %s is not on %s", c->answers, c->case_ref));
    if (q.outcome != KETEN__DECISION_OUTCOME__MEER_INFORMATIE)
        return s_refused (
            kt_fail (reason,
                     "decision %s is not a request for more information (art. 7.4 sub 1); "
                     "there is nothing to answer",
                     c->answers));
    /*  The party asked answers, nobody else. */
    if (strcmp (q.asked, sender) != 0)
        return s_refused (
            kt_fail (reason, "decision %s asked %s, not %s", c->answers, q.asked, sender));
    if (!q.open)
        return s_refused (
            kt_fail (reason,
                     "the question of decision %s is closed: the weegploeg decided on %s "
                     "since",
                     c->answers, c->case_ref));
    /*  Each answer goes on every agenda copy of the subject: bounded. */
    int full = store_one (self->db,
                          "SELECT 1 FROM decision_answer WHERE decision_id=?"
                          " GROUP BY decision_id HAVING count(*) >= ?",
                          STORE_VALUES (STORE_TEXT (c->answers), STORE_INT (DECISION_MAX_ANSWERS)),
                          NULL, NULL, "count the answers", reason);
    if (full != 0)
        return full < 0 ? -1
                        : s_refused (kt_fail (reason, "decision %s has its %d answers already",
                                              c->answers, DECISION_MAX_ANSWERS));
    /*  And all of a subject's answers together, whatever they answer. */
    int64_t held = 0;
    if (store_one (self->db,
                   "SELECT coalesce(sum(length(body)), 0) FROM decision_answer WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (c->case_ref)), s_int64_row, &held,
                   "count the answers' bytes", reason) < 0)
        return -1;
    size_t size = protobuf_c_message_get_packed_size (&c->base);
    if ((uint64_t) held + size > DECISION_ANSWERS_BYTES_MAX)
        return s_refused (kt_fail (reason,
                                   "the answers on %s would exceed %d KiB together; they go on "
                                   "every agenda copy of the subject",
                                   c->case_ref, DECISION_ANSWERS_BYTES_MAX / 1024));
    int state = weegploeg_subject_state (self->weegploeg, c->case_ref, reason);
    if (state < 0)
        return -1;
    if (state != WEEGPLOEG_SUBJECT_ACTIVE)
        return s_refused (kt_fail (reason, "case_ref %s is archived (art. 13.2)", c->case_ref));
    if (strcmp (c->kind, "informatie") != 0)
        return s_refused (kt_fail (reason, "an answer to the weegploeg is of kind informatie"));
    /*  The items under the intake's rules, as a contribution's. */
    return items_check_contribution (c->items, c->n_items, c->legal_basis, "an answer", reason) ==
                   0
               ? 0
               : 1;
}

void
decision_answers_free (decision_answer_t *answers, size_t n)
{
    for (size_t i = 0; answers && i < n; i++)
        if (answers[i].answer)
            keten__case_contribution__free_unpacked (answers[i].answer, NULL);
    free (answers);
}
