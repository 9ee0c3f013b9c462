/*  review: the periodic accuracy review (art. 8.3, 10.3).  */
#include "review.h"

#include "intake_rules.h"
#include "keystore.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY_MS (86400ULL * 1000)

struct _review_t {
    weegploeg_t *weegploeg;
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  Every review is kept (who, when, result); the newest counts.  The
     *  rows go with the subject when it is destroyed (art. 13). */
    "CREATE TABLE review (case_ref TEXT NOT NULL REFERENCES subject (case_ref)"
    " ON DELETE CASCADE, file TEXT NOT NULL, reviewed_ms INTEGER NOT NULL,"
    " uid INTEGER NOT NULL, user TEXT NOT NULL, result TEXT NOT NULL, note BLOB NOT NULL,"
    " PRIMARY KEY (case_ref, file, reviewed_ms));",
};

review_t *
review_new (weegploeg_t *weegploeg, kt_reason_t *reason)
{
    review_t *self = store_module_new (sizeof *self, weegploeg_db (weegploeg), "review",
                                       STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->weegploeg = weegploeg;
        self->db = weegploeg_db (weegploeg);
    }
    return self;
}

void
review_destroy (review_t **self_p)
{
    review_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

/*  casusoverleg_each_last: whether the case is there and not archived. */
static int
s_case_row (void *arg, const char *case_ref, uint64_t last_ms, bool archived, kt_reason_t *reason)
{
    (void) case_ref;
    (void) last_ms;
    (void) reason;
    *(int *) arg = archived ? 2 : 1;
    return 1;
}

static int
s_insert (review_t *self, const char *case_ref, const char *file, const char *result,
          const uint8_t key[KEYSTORE_KEY_LEN], const char *note, uint32_t uid, const char *user,
          uint64_t now_ms, kt_reason_t *reason)
{
    /*  The note is bound to its row: case_ref, file and time. */
    char ad[96];
    snprintf (ad, sizeof ad, "review/%s/%s/%llu", case_ref, file, (unsigned long long) now_ms);
    uint8_t *sealed;
    size_t len;
    if (keystore_seal (key, ad, strlen (ad), note, strlen (note), &sealed, &len) != 0)
        return kt_fail (reason, "out of memory");
    int rc = store_run (self->db,
                        "INSERT INTO review (case_ref, file, reviewed_ms, uid, user, result, note)"
                        " VALUES (?,?,?,?,?,?,?)",
                        STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (file), STORE_INT (now_ms),
                                      STORE_INT (uid), STORE_TEXT (user), STORE_TEXT (result),
                                      STORE_BLOB (sealed, len)),
                        "record the review", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

int
review_record (review_t *self, casusoverleg_t *casus, const char *case_ref, const char *result,
               const char *note, uint32_t uid, const char *user, uint64_t now_ms, int *files_p,
               kt_reason_t *reason)
{
    if (files_p)
        *files_p = 0;
    if (!result || (strcmp (result, "ok") != 0 && strcmp (result, "correction-needed") != 0))
        return kt_fail (reason, "the result is ok or correction-needed");
    if (!note || !intake_text_ok (note, 1, REVIEW_NOTE_MAX, true))
        return kt_fail (reason, "a review needs a note (1..%d bytes of text)", REVIEW_NOTE_MAX);
    if (!weegploeg_case_ref_ok (case_ref))
        return kt_fail (reason, "a case_ref is k- and 16 hex digits");
    int subject = weegploeg_subject_state (self->weegploeg, case_ref, reason);
    if (subject < 0)
        return -1;
    if (subject == 0)
        return kt_fail (reason, "no subject or case %.24s", case_ref);
    if (subject == WEEGPLOEG_SUBJECT_ARCHIVED)
        return kt_fail (reason, "%.24s is archived (art. 13.2): it is not processed", case_ref);
    int in_casus = 0;
    if (casus && casusoverleg_each_last (casus, case_ref, s_case_row, &in_casus, reason) != 0)
        return -1;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self->weegploeg, case_ref, key, reason) != 0)
        return -1;
    int rc = store_begin (self->db, reason);
    if (rc == 0) {
        if (s_insert (self, case_ref, "weegploeg", result, key, note, uid, user, now_ms, reason) !=
                0 ||
            (in_casus == 1 && s_insert (self, case_ref, "casusoverleg", result, key, note, uid,
                                        user, now_ms, reason) != 0) ||
            store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    sodium_memzero (key, sizeof key);
    if (rc == 0 && files_p)
        *files_p = REVIEW_WEEGPLOEG | (in_casus == 1 ? REVIEW_CASUSOVERLEG : 0);
    return rc;
}

typedef struct {
    review_t *self;
    review_row_fn *fn;
    void *arg;
    uint64_t cutoff_ms; /* due when since_ms is at or before it */
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    review_row_t row = {.case_ref = store_text (q, 0),
                        .file = store_text (q, 1),
                        .since_ms = (uint64_t) sqlite3_column_int64 (q, 2),
                        .last_review_ms = (uint64_t) sqlite3_column_int64 (q, 3),
                        .last_result = store_text (q, 4),
                        .last_user = store_text (q, 5)};
    return v->fn (v->arg, &row, reason);
}

/*  The last review of one case in the casusoverleg file. */
typedef struct {
    visit_t *v;
    uint64_t opened_ms;
    const char *case_ref;
    bool found;
} s_case_t;

static int
s_last_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    s_case_t *c = arg;
    c->found = true;
    review_row_t row = {.case_ref = c->case_ref,
                        .file = "casusoverleg",
                        .since_ms = (uint64_t) sqlite3_column_int64 (q, 0),
                        .last_review_ms = (uint64_t) sqlite3_column_int64 (q, 0),
                        .last_result = store_text (q, 1),
                        .last_user = store_text (q, 2)};
    if (row.since_ms > c->v->cutoff_ms)
        return 0;
    return c->v->fn (c->v->arg, &row, reason);
}

static int
s_case (void *arg, const casusoverleg_row_t *cr, kt_reason_t *reason)
{
    visit_t *v = arg;
    s_case_t c = {v, cr->opened_ms, cr->case_ref, false};
    int found = store_one (v->self->db,
                           "SELECT reviewed_ms, result, user FROM review WHERE case_ref=?"
                           " AND file='casusoverleg' ORDER BY reviewed_ms DESC LIMIT 1",
                           STORE_VALUES (STORE_TEXT (cr->case_ref)), s_last_row, &c,
                           "read the last review", reason);
    if (found < 0)
        return -1;
    if (found > 0 || cr->opened_ms > v->cutoff_ms)
        return 0;
    review_row_t row = {cr->case_ref, "casusoverleg", cr->opened_ms, 0, "", ""};
    return v->fn (v->arg, &row, reason);
}

int
review_each_due (review_t *self, casusoverleg_t *casus, uint32_t days, uint64_t now_ms,
                 review_row_fn *fn, void *arg, kt_reason_t *reason)
{
    uint64_t period = (uint64_t) days * S_DAY_MS;
    visit_t v = {self, fn, arg, now_ms >= period ? now_ms - period : 0};
    /*  art. 8.3: a subject is due when its newest review, or its creation
     *  when never reviewed, is the period or more ago. */
    int rc = store_each (self->db,
                         "SELECT case_ref, 'weegploeg', since, last, result, user FROM ("
                         " SELECT s.case_ref, coalesce (r.reviewed_ms, s.created_ms) AS since,"
                         " coalesce (r.reviewed_ms, 0) AS last, coalesce (r.result, '') AS result,"
                         " coalesce (r.user, '') AS user FROM subject s LEFT JOIN review r"
                         " ON r.case_ref=s.case_ref AND r.file='weegploeg' AND r.reviewed_ms="
                         " (SELECT max (reviewed_ms) FROM review x WHERE x.case_ref=s.case_ref"
                         " AND x.file='weegploeg') WHERE s.archived=0)"
                         " WHERE since<=? ORDER BY since, case_ref",
                         store_bind_values, (void *) STORE_VALUES (STORE_INT (v.cutoff_ms)), s_row,
                         &v, "list the subjects due for review", reason);
    /*  art. 10.3: the same for the cases in the casusoverleg file
     *  (casusoverleg_each leaves archived ones out). */
    if (rc == 0 && casus)
        rc = casusoverleg_each (casus, 1000000, s_case, &v, reason);
    return rc;
}
