/*  lifecycle: retention state of each subject at the uitvoerder (art. 13).  */
#include "lifecycle.h"

#include "figures.h"

#include "keten.pb-c.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  A notice carries at most this many of a member's own message ids
 *  (common/policy.c checks the same bound). */
#define LIFECYCLE_MAX_IDS 4096

struct _lifecycle_t {
    weegploeg_t *weegploeg;
    casusoverleg_t *casus;
    keystore_t *keystore;
    sqlite3 *db; /* the weegploeg file */
    sqlite3 *node_db;
    relay_t *relay;
};

static const char *const s_migrations[] = {
    /*  One row per case_ref that left the active state at least once, or
     *  was reopened; no row: active.  state: lifecycle_state_t.  gen
     *  counts the reopens (names the notices).  subject_key, casus_key:
     *  the key ids a destruction under way still has to shred.
     *  reopen_reason: the order's reason, sealed under the subject's key.
     *  A destroyed row keeps the case_ref and its times only. */
    "CREATE TABLE lifecycle (case_ref TEXT PRIMARY KEY, state INTEGER NOT NULL DEFAULT 0,"
    " gen INTEGER NOT NULL DEFAULT 0, archived_ms INTEGER, destroyed_ms INTEGER,"
    " touched_ms INTEGER NOT NULL DEFAULT 0, subject_key BLOB, casus_key BLOB,"
    " reopen_id BLOB, reopen_reason BLOB);"
    /*  The notices an archive, destruction or reopen owes, until their
     *  copies are kept in the relay: ids are the member's own message
     *  ids about the subject, KT_ID_LEN bytes each. */
    "CREATE TABLE lifecycle_notice (case_ref TEXT NOT NULL, action INTEGER NOT NULL,"
    " gen INTEGER NOT NULL, member TEXT NOT NULL, ids BLOB NOT NULL, due_ms INTEGER NOT NULL,"
    " PRIMARY KEY (case_ref, action, gen, member));",
};

const char *
lifecycle_state_name (lifecycle_state_t state)
{
    static const char *const names[] = {"active", "archived", "destroying", "destroyed"};
    return state <= LIFECYCLE_DESTROYED ? names[state] : "?";
}

lifecycle_t *
lifecycle_new (weegploeg_t *weegploeg, casusoverleg_t *casus, keystore_t *keystore,
               sqlite3 *node_db, relay_t *relay, kt_reason_t *reason)
{
    lifecycle_t *self = store_module_new (sizeof *self, weegploeg_db (weegploeg), "lifecycle",
                                          STORE_MIGRATIONS (s_migrations), reason);
    if (!self)
        return NULL;
    self->weegploeg = weegploeg;
    self->casus = casus;
    self->keystore = keystore;
    self->db = weegploeg_db (weegploeg);
    self->node_db = node_db;
    self->relay = relay;
    return self;
}

void
lifecycle_destroy (lifecycle_t **self_p)
{
    lifecycle_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

/* ---- the facts ------------------------------------------------------------ */

/*  The casusoverleg file's part, sorted by case_ref for lookup. */
typedef struct {
    char case_ref[24];
    uint64_t last_ms;
} casus_last_t;

typedef struct {
    casus_last_t *rows;
    size_t n, cap;
} casus_lasts_t;

static int
s_casus_last_row (void *arg, const char *case_ref, uint64_t last_ms, bool archived,
                  kt_reason_t *reason)
{
    (void) archived;
    casus_lasts_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        casus_last_t *grown = realloc (l->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        l->rows = grown;
        l->cap = cap;
    }
    snprintf (l->rows[l->n].case_ref, sizeof l->rows[0].case_ref, "%s", case_ref);
    l->rows[l->n++].last_ms = last_ms;
    return 0;
}

static int
s_casus_cmp (const void *a, const void *b)
{
    return strcmp (((const casus_last_t *) a)->case_ref, ((const casus_last_t *) b)->case_ref);
}

typedef struct {
    casus_lasts_t casus;
    lifecycle_subject_fn *fn;
    void *arg;
} each_t;

static int
s_subject_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    each_t *e = arg;
    lifecycle_subject_t s = {0};
    snprintf (s.case_ref, sizeof s.case_ref, "%s", store_text (q, 0));
    int state = sqlite3_column_int (q, 1);
    s.state =
        state >= 0 && state <= LIFECYCLE_DESTROYED ? (lifecycle_state_t) state : LIFECYCLE_ACTIVE;
    s.archived_ms = (uint64_t) sqlite3_column_int64 (q, 2);
    s.facts.last_ms = (uint64_t) sqlite3_column_int64 (q, 3);
    s.facts.agendered = sqlite3_column_int (q, 4) != 0;
    s.facts.decided = sqlite3_column_int (q, 5) != 0;
    s.facts.archived = s.state == LIFECYCLE_ARCHIVED;
    casus_last_t key = {{0}, 0};
    snprintf (key.case_ref, sizeof key.case_ref, "%s", s.case_ref);
    const casus_last_t *c =
        e->casus.n ? bsearch (&key, e->casus.rows, e->casus.n, sizeof key, s_casus_cmp) : NULL;
    if (c) {
        s.facts.agendered = true; /* a case was opened: art. 8.5 */
        if (c->last_ms > s.facts.last_ms)
            s.facts.last_ms = c->last_ms;
    }
    return e->fn (e->arg, &s, reason);
}

/*  The one definition of last processing (lifecycle.h). */
static int
s_each (lifecycle_t *self, const char *case_ref, lifecycle_subject_fn *fn, void *arg,
        kt_reason_t *reason)
{
    each_t e = {{NULL, 0, 0}, fn, arg};
    int rc = casusoverleg_each_last (self->casus, case_ref, s_casus_last_row, &e.casus, reason);
    if (rc == 0 && e.casus.n)
        qsort (e.casus.rows, e.casus.n, sizeof *e.casus.rows, s_casus_cmp);
    if (rc == 0)
        rc = store_each (
            self->db,
            "SELECT s.case_ref, coalesce (l.state, 0), coalesce (l.archived_ms, 0),"
            " max (s.touched_ms, coalesce (l.touched_ms, 0),"
            " coalesce ((SELECT max (received_ms) FROM signal x WHERE x.case_ref=s.case_ref), 0),"
            /*  art. 7.4 sub 1: meer informatie is not a decision on the
             *  subject - the clock keeps running from what came before
             *  (docs/RETENTION.md); the answer, new data, counts. */
            " coalesce ((SELECT max (decided_ms) FROM decision x WHERE x.case_ref=s.case_ref"
            " AND x.outcome<>?3), 0),"
            " coalesce ((SELECT max (received_ms) FROM decision_answer x"
            " WHERE x.case_ref=s.case_ref), 0),"
            " coalesce ((SELECT max (closed_ms) FROM closure x WHERE x.case_ref=s.case_ref), 0)),"
            " EXISTS (SELECT 1 FROM decision x WHERE x.case_ref=s.case_ref AND x.outcome=?2),"
            " EXISTS (SELECT 1 FROM decision x WHERE x.case_ref=s.case_ref AND x.outcome<>?3)"
            " FROM subject s LEFT JOIN lifecycle l ON l.case_ref=s.case_ref"
            " WHERE (?1 IS NULL OR s.case_ref=?1) AND coalesce (l.state, 0) IN (0, 1)"
            " ORDER BY s.case_ref",
            store_bind_values,
            (void *) STORE_VALUES (case_ref ? STORE_TEXT (case_ref) : STORE_NULL,
                                   STORE_INT (KETEN__DECISION_OUTCOME__AGENDEREN),
                                   STORE_INT (KETEN__DECISION_OUTCOME__MEER_INFORMATIE)),
            s_subject_row, &e, "read the subjects' last processing", reason);
    free (e.casus.rows);
    return rc;
}

int
lifecycle_each (lifecycle_t *self, lifecycle_subject_fn *fn, void *arg, kt_reason_t *reason)
{
    return s_each (self, NULL, fn, arg, reason);
}

typedef struct {
    lifecycle_subject_t *out;
    bool found;
} one_t;

static int
s_one (void *arg, const lifecycle_subject_t *subject, kt_reason_t *reason)
{
    (void) reason;
    one_t *o = arg;
    *o->out = *subject;
    o->found = true;
    return 1;
}

int
lifecycle_subject (lifecycle_t *self, const char *case_ref, lifecycle_subject_t *out,
                   kt_reason_t *reason)
{
    one_t o = {out, false};
    memset (out, 0, sizeof *out);
    if (s_each (self, case_ref, s_one, &o, reason) != 0)
        return -1;
    return o.found ? 1 : 0;
}

static int
s_state_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    int state = sqlite3_column_int (q, 0);
    *(lifecycle_state_t *) arg =
        state >= 0 && state <= LIFECYCLE_DESTROYED ? (lifecycle_state_t) state : LIFECYCLE_ACTIVE;
    return 0;
}

int
lifecycle_state (lifecycle_t *self, const char *case_ref, lifecycle_state_t *state_p,
                 kt_reason_t *reason)
{
    *state_p = LIFECYCLE_ACTIVE;
    int found = store_one (self->db, "SELECT state FROM lifecycle WHERE case_ref=?",
                           STORE_VALUES (STORE_TEXT (case_ref)), s_state_row, state_p,
                           "read the retention state", reason);
    if (found != 0)
        return found;
    int subject = weegploeg_subject_state (self->weegploeg, case_ref, reason);
    return subject < 0 ? -1 : subject > 0 ? 1 : 0;
}

int
lifecycle_each_destroying (lifecycle_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (self->db, "SELECT case_ref FROM lifecycle WHERE state=?",
                            STORE_VALUES (STORE_INT (LIFECYCLE_DESTROYING)), fn, arg,
                            "list the destructions under way", reason);
}

int64_t
lifecycle_count_destroyed (lifecycle_t *self)
{
    return store_int (self->db, "SELECT count(*) FROM lifecycle WHERE state=3", 0);
}

static int
s_int_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

int64_t
lifecycle_generation (lifecycle_t *self, const char *case_ref)
{
    int64_t gen = 0;
    kt_reason_t reason;
    if (store_one (self->db, "SELECT gen FROM lifecycle WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_int_row, &gen, "read the generation",
                   &reason) < 0)
        kt_log (KT_LOG_WARN, "lifecycle read_failed reason=\"%s\"", reason.text);
    return gen;
}

/* ---- who is told ----------------------------------------------------------- */

typedef struct {
    char member[65];
    uint8_t *ids;
    size_t n_ids;
} recipient_t;

typedef struct {
    recipient_t *r;
    size_t n;
} recipients_t;

static void
s_recipients_free (recipients_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free (rs->r[i].ids);
    free (rs->r);
    rs->r = NULL;
    rs->n = 0;
}

static recipient_t *
s_recipient (recipients_t *rs, const char *member, kt_reason_t *reason)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp (rs->r[i].member, member) == 0)
            return &rs->r[i];
    recipient_t *grown = realloc (rs->r, (rs->n + 1) * sizeof *grown);
    if (!grown) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    rs->r = grown;
    recipient_t *r = &rs->r[rs->n++];
    memset (r, 0, sizeof *r);
    snprintf (r->member, sizeof r->member, "%s", member);
    return r;
}

static int
s_add_member (void *arg, const char *member, kt_reason_t *reason)
{
    return s_recipient (arg, member, reason) ? 0 : -1;
}

static int
s_add_message (void *arg, const char *sender, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    recipient_t *r = s_recipient (arg, sender, reason);
    if (!r)
        return -1;
    if (r->n_ids >= LIFECYCLE_MAX_IDS)
        return 0; /* the rest it finds by its own schedule */
    uint8_t *grown = realloc (r->ids, (r->n_ids + 1) * KT_ID_LEN);
    if (!grown)
        return kt_fail (reason, "out of memory");
    r->ids = grown;
    memcpy (r->ids + r->n_ids++ * KT_ID_LEN, id, KT_ID_LEN);
    return 0;
}

static int
s_signal_sender_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    if (!store_blob_is (q, 1, KT_ID_LEN))
        return 0;
    return s_add_message (arg, store_text (q, 0), sqlite3_column_blob (q, 1), reason);
}

/*  Every member that received data about case_ref (the relay's copies
 *  naming it) or sent some (signals, answers to the weegploeg's questions,
 *  its own corrections of a signal; in the casusoverleg file
 *  contributions, progress reports, consents, closure votes and share
 *  decisions), the senders with their message ids, so that each blanks
 *  its own copies in its outbox; origin_prefix: only the members sent
 *  copies of that origin (and no senders). */
static int
s_recipients (lifecycle_t *self, const char *case_ref, const char *origin_prefix, recipients_t *rs,
              kt_reason_t *reason)
{
    if (relay_each_case_recipient (self->relay, case_ref, origin_prefix, s_add_member, rs,
                                   reason) != 0)
        return -1;
    if (origin_prefix)
        return 0;
    /*  The signal table of weegploeg.c and, where their modules made
     *  them, the decision_answer and correction tables of decision.c and
     *  correction.c: the same file. */
    static const struct {
        const char *table, *sql;
    } s_senders[] = {
        {"signal", "SELECT sender, message_id FROM signal WHERE case_ref=?"},
        {"decision_answer", "SELECT sender, message_id FROM decision_answer WHERE case_ref=?"},
        {"correction", "SELECT signal_sender, message_id FROM correction WHERE case_ref=?"
                       " AND message_id IS NOT NULL"},
    };
    for (size_t i = 0; i < sizeof s_senders / sizeof s_senders[0]; i++) {
        int made = store_has_table (self->db, s_senders[i].table, reason);
        if (made < 0 ||
            (made && store_each (self->db, s_senders[i].sql, store_bind_values,
                                 (void *) STORE_VALUES (STORE_TEXT (case_ref)), s_signal_sender_row,
                                 rs, "list the subject's senders", reason) != 0))
            return -1;
    }
    return casusoverleg_each_sender_message (self->casus, case_ref, s_add_message, rs, reason);
}

/*  Record the notices of one step (inside the caller's transaction). */
static int
s_record_notices (lifecycle_t *self, const char *case_ref, int action, int64_t gen,
                  const recipients_t *rs, uint64_t due_ms, kt_reason_t *reason)
{
    for (size_t i = 0; i < rs->n; i++) {
        const recipient_t *r = &rs->r[i];
        static const uint8_t none[1] = {0};
        if (store_run (self->db,
                       "INSERT OR IGNORE INTO lifecycle_notice (case_ref, action, gen, member,"
                       " ids, due_ms) VALUES (?,?,?,?,?,?)",
                       STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (action), STORE_INT (gen),
                                     STORE_TEXT (r->member),
                                     STORE_BLOB (r->n_ids ? r->ids : none, r->n_ids * KT_ID_LEN),
                                     STORE_INT (due_ms)),
                       "record a retention notice", reason) < 0)
            return -1;
    }
    return 0;
}

/*  Make sure case_ref has a row (inside the caller's transaction). */
static int
s_ensure_row (lifecycle_t *self, const char *case_ref, kt_reason_t *reason)
{
    return store_run (self->db, "INSERT OR IGNORE INTO lifecycle (case_ref) VALUES (?)",
                      STORE_VALUES (STORE_TEXT (case_ref)), "record the retention state",
                      reason) < 0
               ? -1
               : 0;
}

/* ---- archive --------------------------------------------------------------- */

int
lifecycle_archive (lifecycle_t *self, const char *case_ref, uint64_t due_ms, uint64_t now_ms,
                   kt_reason_t *reason)
{
    lifecycle_state_t state;
    int known = lifecycle_state (self, case_ref, &state, reason);
    if (known <= 0)
        return known < 0 ? -1 : kt_fail (reason, "no subject %.24s", case_ref);
    if (state == LIFECYCLE_ARCHIVED)
        return 0;
    if (state != LIFECYCLE_ACTIVE)
        return kt_fail (reason, "%.24s is %s", case_ref, lifecycle_state_name (state));
    recipients_t rs = {NULL, 0};
    int64_t gen = lifecycle_generation (self, case_ref);
    /*  The case first: a crash after it leaves the subject active, and
     *  the next run archives it again; never an active-looking case of
     *  an archived subject. */
    int rc = s_recipients (self, case_ref, NULL, &rs, reason);
    if (rc == 0)
        rc = casusoverleg_set_archived (self->casus, case_ref, true, reason);
    if (rc == 0 && (rc = store_begin (self->db, reason)) == 0) {
        if (s_ensure_row (self, case_ref, reason) != 0 ||
            store_run (self->db, "UPDATE lifecycle SET state=1, archived_ms=? WHERE case_ref=?",
                       STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (case_ref)),
                       "archive the subject", reason) < 0 ||
            weegploeg_set_archived (self->weegploeg, case_ref, true, reason) != 0 ||
            s_record_notices (self, case_ref, KETEN__RETENTION_ACTION__ARCHIVE, gen, &rs, due_ms,
                              reason) != 0 ||
            figures_add (self->db, now_ms, FIGURE_RETENTION, "", "archived", 1, reason) != 0 ||
            store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    s_recipients_free (&rs);
    return rc;
}

/* ---- destroy --------------------------------------------------------------- */

int
lifecycle_destroy_begin (lifecycle_t *self, const char *case_ref, uint64_t due_ms, uint64_t now_ms,
                         kt_reason_t *reason)
{
    (void) now_ms;
    lifecycle_state_t state;
    int known = lifecycle_state (self, case_ref, &state, reason);
    if (known <= 0)
        return known < 0 ? -1 : kt_fail (reason, "no subject %.24s", case_ref);
    if (state == LIFECYCLE_DESTROYING || state == LIFECYCLE_DESTROYED)
        return 0;
    uint8_t subject_key[KEYSTORE_ID_LEN], casus_key[KEYSTORE_ID_LEN];
    int has_subject = weegploeg_subject_key_id (self->weegploeg, case_ref, subject_key, reason);
    int has_casus =
        has_subject < 0 ? -1 : casusoverleg_case_key_id (self->casus, case_ref, casus_key, reason);
    if (has_subject < 0 || has_casus < 0)
        return -1;
    recipients_t rs = {NULL, 0};
    int64_t gen = lifecycle_generation (self, case_ref);
    int rc = s_recipients (self, case_ref, NULL, &rs, reason);
    /*  Durable first: the key ids, so a crash before they are shredded
     *  still finds them, and who is to be told. */
    if (rc == 0 && (rc = store_begin (self->db, reason)) == 0) {
        if (s_ensure_row (self, case_ref, reason) != 0 ||
            store_run (
                self->db,
                "UPDATE lifecycle SET state=2, subject_key=?, casus_key=? WHERE case_ref=?",
                STORE_VALUES (has_subject ? STORE_BLOB (subject_key, KEYSTORE_ID_LEN) : STORE_NULL,
                              has_casus ? STORE_BLOB (casus_key, KEYSTORE_ID_LEN) : STORE_NULL,
                              STORE_TEXT (case_ref)),
                "mark the subject destroying", reason) < 0 ||
            s_record_notices (self, case_ref, KETEN__RETENTION_ACTION__DESTROY, gen, &rs, due_ms,
                              reason) != 0 ||
            figures_add (self->db, now_ms, FIGURE_RETENTION, "", "destroyed", 1, reason) != 0 ||
            store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    s_recipients_free (&rs);
    return rc;
}

typedef struct {
    uint8_t subject_key[KEYSTORE_ID_LEN], casus_key[KEYSTORE_ID_LEN];
    bool has_subject, has_casus;
    lifecycle_state_t state;
} keys_t;

static int
s_keys_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    keys_t *k = arg;
    s_state_row (q, &k->state, reason);
    if ((k->has_subject = store_blob_is (q, 1, KEYSTORE_ID_LEN)))
        memcpy (k->subject_key, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
    if ((k->has_casus = store_blob_is (q, 2, KEYSTORE_ID_LEN)))
        memcpy (k->casus_key, sqlite3_column_blob (q, 2), KEYSTORE_ID_LEN);
    return 0;
}

int
lifecycle_destroy_data (lifecycle_t *self, const char *case_ref, kt_reason_t *reason)
{
    keys_t k = {0};
    int found =
        store_one (self->db, "SELECT state, subject_key, casus_key FROM lifecycle WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_keys_row, &k,
                   "read the destruction under way", reason);
    if (found < 0)
        return -1;
    if (!found || k.state != LIFECYCLE_DESTROYING)
        return kt_fail (reason, "%.24s is not being destroyed", case_ref);
    /*  Keys first: whatever a crash leaves of the rows is unreadable. */
    if ((k.has_subject && keystore_shred (self->keystore, k.subject_key, reason) != 0) ||
        (k.has_casus && keystore_shred (self->keystore, k.casus_key, reason) != 0) ||
        casusoverleg_forget_case (self->casus, case_ref, reason) != 0 ||
        weegploeg_forget_subject (self->weegploeg, case_ref, reason) != 0 ||
        relay_forget_case (self->relay, case_ref, reason) < 0)
        return -1;
    /*  The pages secure_delete zeroed reach the files, and the -wal that
     *  held the rows before is cut to nothing; a reader holding one back
     *  leaves the destruction under way, completed at the next run. */
    if (store_checkpoint (keystore_db (self->keystore), "keystore.db", reason) != 0 ||
        store_checkpoint (casusoverleg_db (self->casus), "casusoverleg.db", reason) != 0 ||
        store_checkpoint (self->db, "weegploeg.db", reason) != 0 ||
        store_checkpoint (self->node_db, "node.db", reason) != 0)
        return -1;
    return 0;
}

int
lifecycle_destroy_end (lifecycle_t *self, const char *case_ref, uint64_t now_ms,
                       kt_reason_t *reason)
{
    int changed = store_run (self->db,
                             "UPDATE lifecycle SET state=3, destroyed_ms=?, subject_key=NULL,"
                             " casus_key=NULL, reopen_id=NULL, reopen_reason=NULL"
                             " WHERE case_ref=? AND state=2",
                             STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (case_ref)),
                             "record the destruction", reason);
    if (changed < 0)
        return -1;
    return store_checkpoint (self->db, "weegploeg.db", reason);
}

/* ---- reopen ---------------------------------------------------------------- */

typedef struct {
    const uint8_t *order_id;
    bool same;
} reopen_row_t;

static int
s_reopen_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    reopen_row_t *r = arg;
    r->same = store_blob_is (q, 0, KT_ID_LEN) &&
              memcmp (sqlite3_column_blob (q, 0), r->order_id, KT_ID_LEN) == 0;
    return 0;
}

int
lifecycle_reopen_check (lifecycle_t *self, const char *case_ref, const uint8_t order_id[KT_ID_LEN],
                        kt_reason_t *reason)
{
    lifecycle_state_t state;
    int known = lifecycle_state (self, case_ref, &state, reason);
    if (known < 0)
        return -1;
    if (known == 0) {
        kt_fail (reason, "no subject %.24s at the uitvoerder", case_ref);
        return 1;
    }
    if (state == LIFECYCLE_DESTROYING || state == LIFECYCLE_DESTROYED) {
        kt_fail (reason, "%.24s was destroyed (art. 13.1, 13.3); nothing is left to reopen",
                 case_ref);
        return 1;
    }
    if (state == LIFECYCLE_ARCHIVED)
        return 0;
    reopen_row_t r = {order_id, false};
    if (store_one (self->db, "SELECT reopen_id FROM lifecycle WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_reopen_row, &r, "read the reopen order",
                   reason) < 0)
        return -1;
    if (!r.same) {
        kt_fail (reason, "%.24s is not archived; only archived data is reopened (art. 13.4)",
                 case_ref);
        return 1;
    }
    return 0; /* this order's retry */
}

int
lifecycle_reopen (lifecycle_t *self, const char *case_ref, const uint8_t order_id[KT_ID_LEN],
                  const char *why, uint64_t now_ms, kt_reason_t *reason)
{
    int check = lifecycle_reopen_check (self, case_ref, order_id, reason);
    if (check != 0)
        return check;
    lifecycle_state_t state;
    if (lifecycle_state (self, case_ref, &state, reason) < 0)
        return -1;
    if (state == LIFECYCLE_ACTIVE)
        /*  This order's retry: finish what a crash may have left. */
        return casusoverleg_set_archived (self->casus, case_ref, false, reason) == 0 ? 0 : -1;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self->weegploeg, case_ref, key, reason) != 0)
        return -1;
    char ad[64];
    snprintf (ad, sizeof ad, "reopen/%s", case_ref);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal (key, ad, strlen (ad), why, strlen (why), &sealed, &sealed_len) == 0
                 ? 0
                 : kt_fail (reason, "out of memory");
    sodium_memzero (key, sizeof key);
    int64_t gen = lifecycle_generation (self, case_ref) + 1;
    char prefix[64];
    snprintf (prefix, sizeof prefix, "retention/%s/archive/", case_ref);
    recipients_t rs = {NULL, 0};
    if (rc == 0)
        rc = s_recipients (self, case_ref, prefix, &rs, reason);
    /*  The subject first, the case after: a crash between leaves the
     *  case hidden (the safe side) until the order's retry. */
    if (rc == 0 && (rc = store_begin (self->db, reason)) == 0) {
        if (store_run (self->db,
                       "UPDATE lifecycle SET state=0, gen=?, archived_ms=NULL, touched_ms=?,"
                       " reopen_id=?, reopen_reason=? WHERE case_ref=?",
                       STORE_VALUES (STORE_INT (gen), STORE_INT (now_ms),
                                     STORE_BLOB (order_id, KT_ID_LEN),
                                     STORE_BLOB (sealed, sealed_len), STORE_TEXT (case_ref)),
                       "reopen the subject", reason) < 0 ||
            weegploeg_set_archived (self->weegploeg, case_ref, false, reason) != 0 ||
            s_record_notices (self, case_ref, KETEN__RETENTION_ACTION__REOPEN, gen, &rs, now_ms,
                              reason) != 0 ||
            store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = casusoverleg_set_archived (self->casus, case_ref, false, reason);
    free (sealed);
    s_recipients_free (&rs);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    uint8_t *data;
    size_t len;
} blob_t;

static int
s_blob_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    blob_t *b = arg;
    int n = sqlite3_column_bytes (q, 0);
    if (n <= 0)
        return 0;
    if (!(b->data = malloc ((size_t) n)))
        return kt_fail (reason, "out of memory");
    memcpy (b->data, sqlite3_column_blob (q, 0), (size_t) n);
    b->len = (size_t) n;
    return 0;
}

char *
lifecycle_reopen_reason (lifecycle_t *self, const char *case_ref, kt_reason_t *reason)
{
    blob_t b = {NULL, 0};
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (store_one (self->db, "SELECT reopen_reason FROM lifecycle WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_blob_row, &b, "read the reopen reason",
                   reason) < 0)
        return NULL;
    uint8_t *sealed = b.data;
    size_t sealed_len = b.len;
    if (!sealed) {
        kt_fail (reason, "%.24s has no reopen reason", case_ref);
        return NULL;
    }
    uint8_t key[KEYSTORE_KEY_LEN];
    char ad[64], *text = NULL;
    snprintf (ad, sizeof ad, "reopen/%s", case_ref);
    if (weegploeg_case_key (self->weegploeg, case_ref, key, reason) == 0) {
        if (keystore_unseal (key, ad, strlen (ad), sealed, sealed_len, &plain, &plain_len) != 0)
            kt_fail (reason, "the reopen reason of %.24s does not decrypt", case_ref);
        else if ((text = malloc (plain_len + 1))) {
            memcpy (text, plain, plain_len);
            text[plain_len] = '\0';
        } else
            kt_fail (reason, "out of memory");
        sodium_memzero (key, sizeof key);
    }
    if (plain) {
        sodium_memzero (plain, plain_len);
        free (plain);
    }
    free (sealed);
    return text;
}

/* ---- notices --------------------------------------------------------------- */

typedef struct {
    lifecycle_notice_fn *fn;
    void *arg;
} notice_visit_t;

static int
s_notice_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    notice_visit_t *v = arg;
    size_t len = (size_t) sqlite3_column_bytes (q, 4);
    lifecycle_notice_t n = {store_text (q, 0),
                            sqlite3_column_int (q, 1),
                            sqlite3_column_int64 (q, 2),
                            store_text (q, 3),
                            len ? sqlite3_column_blob (q, 4) : NULL,
                            len / KT_ID_LEN,
                            (uint64_t) sqlite3_column_int64 (q, 5)};
    return v->fn (v->arg, &n, reason);
}

int
lifecycle_each_notice (lifecycle_t *self, lifecycle_notice_fn *fn, void *arg, kt_reason_t *reason)
{
    notice_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT n.case_ref, n.action, n.gen, n.member, n.ids, n.due_ms"
                       " FROM lifecycle_notice n WHERE NOT EXISTS (SELECT 1 FROM lifecycle l"
                       " WHERE l.case_ref=n.case_ref AND l.state=2)"
                       " ORDER BY n.case_ref, n.gen, n.action, n.member",
                       NULL, NULL, s_notice_row, &v, "list the retention notices", reason);
}

int
lifecycle_notices_sent (lifecycle_t *self, const char *case_ref, int action, int64_t gen,
                        kt_reason_t *reason)
{
    return store_run (self->db,
                      "DELETE FROM lifecycle_notice WHERE case_ref=? AND action=? AND gen=?",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (action), STORE_INT (gen)),
                      "clear the retention notices", reason) < 0
               ? -1
               : 0;
}
