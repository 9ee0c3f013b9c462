/*  infoplicht: informatieplicht tasks (art. 11.2-11.5).  */
#include "infoplicht.h"

#include "calendar.h"

#include "intake.h"
#include "intake_rules.h"
#include "keystore.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _infoplicht_t {
    weegploeg_t *weegploeg;
    sqlite3 *db;
};

#define S_OPEN 0
#define S_DEFERRED 1
#define S_INFORMED 2
#define S_TO_INFORM 3 /* a kernpartij decided the person can be informed */

static const char *const s_migrations[] = {
    /*  One task per decision (UNIQUE: a decision recorded again or resumed
     *  opens none); it goes with its decision when the subject is
     *  destroyed (art. 13, weegploeg_forget_subject), and so do its
     *  consultations and deferrals.  how and note are sealed under the
     *  subject's key. */
    "CREATE TABLE infoplicht_task (task_id TEXT PRIMARY KEY,"
    " decision_id TEXT NOT NULL UNIQUE REFERENCES decision (decision_id) ON DELETE CASCADE,"
    " case_ref TEXT NOT NULL, agenderen INTEGER NOT NULL, opened_ms INTEGER NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, ground TEXT NOT NULL DEFAULT '',"
    " review_on TEXT NOT NULL DEFAULT '', informed_on TEXT NOT NULL DEFAULT '',"
    " informed_by TEXT NOT NULL DEFAULT '', how BLOB, informed_ms INTEGER, informed_uid INTEGER);"
    "CREATE INDEX infoplicht_case ON infoplicht_task (case_ref);"
    "CREATE TABLE infoplicht_consult (task_id TEXT NOT NULL"
    " REFERENCES infoplicht_task (task_id) ON DELETE CASCADE, party TEXT NOT NULL,"
    " consulted_ms INTEGER NOT NULL, uid INTEGER NOT NULL, PRIMARY KEY (task_id, party));"
    "CREATE TABLE infoplicht_deferral (task_id TEXT NOT NULL"
    " REFERENCES infoplicht_task (task_id) ON DELETE CASCADE, seq INTEGER NOT NULL,"
    " ground TEXT NOT NULL, review_on TEXT NOT NULL, note BLOB NOT NULL,"
    " deferred_ms INTEGER NOT NULL, uid INTEGER NOT NULL, PRIMARY KEY (task_id, seq));",
    /*  art. 4, 11.3: the decisions are a kernpartij's, received as
     *  RIGHTS_DECISION messages: one row per message (a retry finds it),
     *  the deciding node, its OS user, the outcome and the provenance-log
     *  index.  A deferral records the node that decided it; a task a
     *  kernpartij cleared for informing records that node. */
    "CREATE TABLE infoplicht_decision (message_id BLOB PRIMARY KEY, task_id TEXT NOT NULL"
    " REFERENCES infoplicht_task (task_id) ON DELETE CASCADE, node TEXT NOT NULL,"
    " os_user TEXT NOT NULL, outcome TEXT NOT NULL, decided_ms INTEGER NOT NULL,"
    " log_index INTEGER NOT NULL);"
    "CREATE INDEX infoplicht_decision_task ON infoplicht_decision (task_id);"
    "ALTER TABLE infoplicht_deferral ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE infoplicht_task ADD COLUMN cleared_by TEXT NOT NULL DEFAULT '';",
};

/*  art. 41 lid 1 UAVG, sub a-j: what a restriction of art. 14 AVG may
 *  safeguard.  The inzage desk keeps the same list for its refusals. */
static const struct {
    const char *code;
    const char *title;
} s_grounds[] = {
    {"uavg-41-1-a", "de nationale veiligheid"},
    {"uavg-41-1-b", "landsverdediging"},
    {"uavg-41-1-c", "de openbare veiligheid"},
    {"uavg-41-1-d", "de voorkoming, het onderzoek, de opsporing en de vervolging van strafbare "
                    "feiten of de tenuitvoerlegging van straffen"},
    {"uavg-41-1-e", "andere belangrijke doelstellingen van algemeen belang"},
    {"uavg-41-1-f", "de bescherming van de onafhankelijkheid van de rechter en gerechtelijke "
                    "procedures"},
    {"uavg-41-1-g", "de voorkoming, het onderzoek, de opsporing en de vervolging van schendingen "
                    "van de beroepscodes voor gereglementeerde beroepen"},
    {"uavg-41-1-h", "een taak op het gebied van toezicht, inspectie of regelgeving in verband met "
                    "de uitoefening van het openbaar gezag"},
    {"uavg-41-1-i", "de bescherming van de betrokkene of van de rechten en vrijheden van anderen"},
    {"uavg-41-1-j", "de inning van civielrechtelijke vorderingen"},
};

const char *
infoplicht_ground (const char *code)
{
    for (size_t i = 0; code && i < sizeof s_grounds / sizeof s_grounds[0]; i++)
        if (strcmp (code, s_grounds[i].code) == 0)
            return s_grounds[i].title;
    return NULL;
}

infoplicht_t *
infoplicht_new (weegploeg_t *weegploeg, kt_reason_t *reason)
{
    infoplicht_t *self = store_module_new (sizeof *self, weegploeg_db (weegploeg), "infoplicht",
                                           STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->weegploeg = weegploeg;
        self->db = weegploeg_db (weegploeg);
    }
    return self;
}

void
infoplicht_destroy (infoplicht_t **self_p)
{
    infoplicht_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

void
infoplicht_date (char out[11], uint64_t now_ms)
{
    /*  The uitvoerder's today is the Dutch civil day (Europe/Amsterdam),
     *  as the request desk's: not UTC, which is a day behind for an hour
     *  or two after each midnight. */
    kt_local_date (now_ms, out);
}

/*  Column 0 into arg, a char[INFOPLICHT_ID_LEN]. */
static int
s_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, INFOPLICHT_ID_LEN, "%s", store_text (q, 0));
    return 0;
}

int
infoplicht_open (infoplicht_t *self, const char *decision_id, const char *case_ref, bool agenderen,
                 uint64_t now_ms, char *id, kt_reason_t *reason)
{
    uint8_t rnd[8];
    char hex[17], fresh[INFOPLICHT_ID_LEN];
    kt_random_buf (rnd, sizeof rnd);
    snprintf (fresh, sizeof fresh, "t-%s", kt_hex (hex, rnd, sizeof rnd));
    if (store_run (self->db,
                   "INSERT OR IGNORE INTO infoplicht_task (task_id, decision_id, case_ref,"
                   " agenderen, opened_ms) VALUES (?,?,?,?,?)",
                   STORE_VALUES (STORE_TEXT (fresh), STORE_TEXT (decision_id),
                                 STORE_TEXT (case_ref), STORE_INT (agenderen ? 1 : 0),
                                 STORE_INT (now_ms)),
                   "open the informatieplicht task", reason) < 0)
        return -1;
    if (!id)
        return 0;
    int found = store_one (self->db, "SELECT task_id FROM infoplicht_task WHERE decision_id=?",
                           STORE_VALUES (STORE_TEXT (decision_id)), s_id_row, id,
                           "find the informatieplicht task", reason);
    if (found <= 0)
        return found < 0 ? -1 : kt_fail (reason, "no task for decision %.24s", decision_id);
    return 0;
}

/*  The task's state and case_ref: 1 found, 0 none, -1. */
typedef struct {
    int state;
    char case_ref[40];
    char opened_on[11];
    char cleared_on[11]; /* the newest decision to inform, "" when none */
    int consulted;
    int deferrals;
} s_task_t;

static int
s_task_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    s_task_t *t = arg;
    t->state = sqlite3_column_int (q, 0);
    snprintf (t->case_ref, sizeof t->case_ref, "%s", store_text (q, 1));
    infoplicht_date (t->opened_on, (uint64_t) sqlite3_column_int64 (q, 2));
    t->consulted = sqlite3_column_int (q, 3);
    t->deferrals = sqlite3_column_int (q, 4);
    t->cleared_on[0] = '\0';
    if (sqlite3_column_type (q, 5) != SQLITE_NULL)
        infoplicht_date (t->cleared_on, (uint64_t) sqlite3_column_int64 (q, 5));
    return 0;
}

static int
s_task (infoplicht_t *self, const char *id, s_task_t *t, kt_reason_t *reason)
{
    int found = store_one (
        self->db,
        "SELECT state, case_ref, opened_ms,"
        " (SELECT count(*) FROM infoplicht_consult c WHERE c.task_id=t.task_id),"
        " (SELECT count(*) FROM infoplicht_deferral d WHERE d.task_id=t.task_id),"
        " (SELECT max(decided_ms) FROM infoplicht_decision d"
        " WHERE d.task_id=t.task_id AND outcome='inform')"
        " FROM infoplicht_task t WHERE task_id=?"
        " AND case_ref NOT IN (SELECT case_ref FROM subject WHERE archived=1)",
        STORE_VALUES (STORE_TEXT (id)), s_task_row, t, "read the informatieplicht task", reason);
    if (found == 0)
        return kt_fail (reason, "no informatieplicht task %.24s", id);
    return found < 0 ? -1 : 0;
}

/*  Free text as the file keeps it: 1..max bytes, lines allowed. */
static bool
s_text_ok (const char *s, size_t max)
{
    return s && intake_text_ok (s, 1, max, true);
}

/*  Seal text for task id's field under the subject's key; the associated
 *  data binds it to the task and the field. */
static int
s_seal (infoplicht_t *self, const char *case_ref, const char *ad, const char *text, uint8_t **out_p,
        size_t *len_p, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self->weegploeg, case_ref, key, reason) != 0)
        return -1;
    int rc = keystore_seal (key, ad, strlen (ad), text, strlen (text), out_p, len_p);
    sodium_memzero (key, sizeof key);
    return rc != 0 ? kt_fail (reason, "out of memory") : 0;
}

int
infoplicht_consult (infoplicht_t *self, const roster_t *roster, const char *id, const char *party,
                    uint32_t uid, uint64_t now_ms, kt_reason_t *reason)
{
    s_task_t t;
    if (s_task (self, id, &t, reason) != 0)
        return -1;
    if (t.state == S_INFORMED)
        return kt_fail (reason, "task %.24s is done: the person was informed", id);
    /*  art. 11.3: the kernpartijen are consulted; they are jointly the
     *  controller (art. 4). */
    const roster_member_t *m = party ? roster_find (roster, party) : NULL;
    if (!m || !roster_member_active (m, now_ms) || m->role != ROLE_KERNPARTIJ)
        return kt_fail (reason, "'%.64s' is not an active kernpartij of the roster (art. 11.3)",
                        party ? party : "");
    return store_run (self->db,
                      "INSERT OR IGNORE INTO infoplicht_consult (task_id, party, consulted_ms, uid)"
                      " VALUES (?,?,?,?)",
                      STORE_VALUES (STORE_TEXT (id), STORE_TEXT (party), STORE_INT (now_ms),
                                    STORE_INT (uid)),
                      "record the consultation", reason) < 0
               ? -1
               : 0;
}

int
infoplicht_inform (infoplicht_t *self, const roster_t *roster, const char *id, const char *on,
                   const char *by, const char *how, uint32_t uid, uint64_t now_ms,
                   kt_reason_t *reason)
{
    s_task_t t;
    if (s_task (self, id, &t, reason) != 0)
        return -1;
    if (t.state == S_INFORMED)
        return kt_fail (reason, "task %.24s is done: the person was informed", id);
    /*  art. 4, 11.3: whether the person can be informed is the decision
     *  of a kernpartij, not of the desk. */
    if (t.state != S_TO_INFORM)
        return kt_fail (reason,
                        "no kernpartij has decided that the person can be informed on task "
                        "%.24s (art. 11.3): a kernpartij decides at its node with keten "
                        "informatieplicht decide",
                        id);
    char today[11];
    infoplicht_date (today, now_ms);
    /*  Not before the kernpartij decided it could be (art. 11.3): the
     *  register must not say the person was informed while a deferral
     *  held. */
    const char *from = *t.cleared_on ? t.cleared_on : t.opened_on;
    if (!on || !intake_valid_date (on) || strcmp (on, today) > 0 || strcmp (on, from) < 0)
        return kt_fail (reason,
                        "the date informed must be YYYY-MM-DD between the kernpartij's decision "
                        "to inform (%s) and today",
                        from);
    const roster_member_t *m = by ? roster_find (roster, by) : NULL;
    if (!m || !roster_member_active (m, now_ms))
        return kt_fail (reason, "'%.64s' is not an active member of the roster", by ? by : "");
    if (!s_text_ok (how, INFOPLICHT_TEXT_MAX))
        return kt_fail (reason, "say how the person was informed (1..%d bytes of text)",
                        INFOPLICHT_TEXT_MAX);
    char ad[64];
    snprintf (ad, sizeof ad, "infoplicht/%s/how", id);
    uint8_t *sealed;
    size_t len;
    if (s_seal (self, t.case_ref, ad, how, &sealed, &len, reason) != 0)
        return -1;
    int rc = store_run (self->db,
                        "UPDATE infoplicht_task SET state=2, informed_on=?, informed_by=?, how=?,"
                        " informed_ms=?, informed_uid=? WHERE task_id=? AND state<>2",
                        STORE_VALUES (STORE_TEXT (on), STORE_TEXT (by), STORE_BLOB (sealed, len),
                                      STORE_INT (now_ms), STORE_INT (uid), STORE_TEXT (id)),
                        "record that the person was informed", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

int
infoplicht_decision_check (infoplicht_t *self, const infoplicht_decision_t *d, uint64_t now_ms,
                           kt_reason_t *reason)
{
    s_task_t t;
    if (s_task (self, d->task_id, &t, reason) != 0)
        return -1;
    if (t.state == S_INFORMED)
        return kt_fail (reason, "task %.24s is done: the person was informed", d->task_id);
    if (t.consulted == 0)
        return kt_fail (reason,
                        "the uitvoerder has recorded no consultation of a kernpartij on "
                        "task %.24s yet (art. 11.3: the kernpartijen consult each other "
                        "first)",
                        d->task_id);
    if (!d->defer)
        return 0;
    if (!infoplicht_ground (d->ground))
        return kt_fail (reason, "the ground must be one of uavg-41-1-a .. uavg-41-1-j "
                                "(art. 41 lid 1 UAVG)");
    if (!s_text_ok (d->note, INFOPLICHT_TEXT_MAX))
        return kt_fail (reason, "a deferral needs a note for the file (art. 11.4; 1..%d bytes)",
                        INFOPLICHT_TEXT_MAX);
    char today[11];
    infoplicht_date (today, now_ms);
    /*  Reviewed within a year: a deferral is "nog niet" (art. 11.4), not
     *  never, and art. 11.5 informs as soon as the ground lapses. */
    char last[11];
    infoplicht_date (last, now_ms + (uint64_t) INFOPLICHT_REVIEW_MAX_DAYS * 86400000u);
    if (!d->review_on || !intake_valid_date (d->review_on) || strcmp (d->review_on, today) <= 0 ||
        strcmp (d->review_on, last) > 0)
        return kt_fail (reason,
                        "the review date must be YYYY-MM-DD after today (%s) and at most %d days "
                        "on (%s)",
                        today, INFOPLICHT_REVIEW_MAX_DAYS, last);
    return 0;
}

int
infoplicht_decide (infoplicht_t *self, const infoplicht_decision_t *d,
                   const uint8_t message_id[KT_ID_LEN], uint64_t log_index, uint64_t now_ms,
                   kt_reason_t *reason)
{
    s_task_t t;
    if (infoplicht_decision_check (self, d, now_ms, reason) != 0 ||
        s_task (self, d->task_id, &t, reason) != 0)
        return -1;
    uint8_t *sealed = NULL;
    size_t len = 0;
    if (d->defer) {
        char ad[64];
        snprintf (ad, sizeof ad, "infoplicht/%s/note/%d", d->task_id, t.deferrals + 1);
        if (s_seal (self, t.case_ref, ad, d->note, &sealed, &len, reason) != 0)
            return -1;
    }
    /*  The decision, and the deferral or the clearance it makes, in one
     *  commit. */
    int rc = store_begin (self->db, reason);
    if (rc == 0) {
        bool ok =
            store_run (self->db,
                       "INSERT INTO infoplicht_decision (message_id, task_id, node, os_user,"
                       " outcome, decided_ms, log_index) VALUES (?,?,?,?,?,?,?)",
                       STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN), STORE_TEXT (d->task_id),
                                     STORE_TEXT (d->node), STORE_TEXT (d->os_user),
                                     STORE_TEXT (d->defer ? "defer" : "inform"), STORE_INT (now_ms),
                                     STORE_INT (log_index)),
                       "record the kernpartij's decision", reason) >= 0;
        if (ok && d->defer)
            ok =
                store_run (self->db,
                           "INSERT INTO infoplicht_deferral (task_id, seq, ground, review_on, note,"
                           " deferred_ms, uid, decided_by) VALUES (?,?,?,?,?,?,0,?)",
                           STORE_VALUES (STORE_TEXT (d->task_id), STORE_INT (t.deferrals + 1),
                                         STORE_TEXT (d->ground), STORE_TEXT (d->review_on),
                                         STORE_BLOB (sealed, len), STORE_INT (now_ms),
                                         STORE_TEXT (d->node)),
                           "record the deferral", reason) >= 0 &&
                store_run (self->db,
                           "UPDATE infoplicht_task SET state=1, ground=?, review_on=?,"
                           " cleared_by='' WHERE task_id=?",
                           STORE_VALUES (STORE_TEXT (d->ground), STORE_TEXT (d->review_on),
                                         STORE_TEXT (d->task_id)),
                           "defer the task", reason) >= 0;
        else if (ok)
            ok = store_run (self->db,
                            "UPDATE infoplicht_task SET state=3, cleared_by=? WHERE task_id=?",
                            STORE_VALUES (STORE_TEXT (d->node), STORE_TEXT (d->task_id)),
                            "clear the task for informing", reason) >= 0;
        if (!ok || store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    free (sealed);
    return rc;
}

static int
s_index_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(uint64_t *) arg = (uint64_t) sqlite3_column_int64 (q, 0);
    return 0;
}

int
infoplicht_decision_find (infoplicht_t *self, const uint8_t message_id[KT_ID_LEN],
                          uint64_t *log_index_p, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT log_index FROM infoplicht_decision WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN)), s_index_row, log_index_p,
                      "find the kernpartij's decision", reason);
}

typedef struct {
    infoplicht_row_fn *fn;
    void *arg;
    char today[11];
} visit_t;

static const char *const s_state_names[] = {"open", "deferred", "informed", "to-inform"};

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    int state = sqlite3_column_int (q, 5);
    if (state < S_OPEN || state > S_TO_INFORM)
        return kt_fail (reason, "task %.24s has an unknown state %d", store_text (q, 0), state);
    infoplicht_row_t row = {.task_id = store_text (q, 0),
                            .decision_id = store_text (q, 1),
                            .case_ref = store_text (q, 2),
                            .agenderen = sqlite3_column_int (q, 3) != 0,
                            .opened_ms = (uint64_t) sqlite3_column_int64 (q, 4),
                            .state = s_state_names[state],
                            .ground = store_text (q, 6),
                            .review_on = store_text (q, 7),
                            .informed_on = store_text (q, 8),
                            .informed_by = store_text (q, 9),
                            .consulted = store_text (q, 10),
                            .deferrals = (unsigned) sqlite3_column_int (q, 11),
                            .decided_by = store_text (q, 12)};
    row.review_due = state == S_DEFERRED && strcmp (row.review_on, v->today) <= 0;
    return v->fn (v->arg, &row, reason);
}

#define S_SELECT                                                                                   \
    "SELECT task_id, decision_id, case_ref, agenderen, opened_ms, state, ground, review_on,"       \
    " informed_on, informed_by,"                                                                   \
    " coalesce ((SELECT group_concat (party, ',') FROM (SELECT party FROM infoplicht_consult c"    \
    " WHERE c.task_id=t.task_id ORDER BY party)), ''),"                                            \
    " (SELECT count(*) FROM infoplicht_deferral d WHERE d.task_id=t.task_id),"                     \
    " CASE state WHEN 3 THEN cleared_by WHEN 2 THEN cleared_by WHEN 1 THEN coalesce ((SELECT "     \
    "decided_by FROM"                                                                              \
    " infoplicht_deferral d WHERE d.task_id=t.task_id ORDER BY seq DESC LIMIT 1), '') ELSE '' END" \
    " FROM infoplicht_task t WHERE case_ref NOT IN (SELECT case_ref FROM subject WHERE "           \
    "archived=1)"

int
infoplicht_each (infoplicht_t *self, bool due_only, uint64_t now_ms, infoplicht_row_fn *fn,
                 void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg, ""};
    infoplicht_date (v.today, now_ms);
    if (!due_only)
        return store_each (self->db, S_SELECT " ORDER BY opened_ms, task_id", NULL, NULL, s_row, &v,
                           "list the informatieplicht tasks", reason);
    return store_each (self->db,
                       S_SELECT " AND state=1 AND review_on<=? ORDER BY review_on, task_id",
                       store_bind_values, (void *) STORE_VALUES (STORE_TEXT (v.today)), s_row, &v,
                       "list the deferrals due for review", reason);
}

int
infoplicht_one (infoplicht_t *self, const char *id, uint64_t now_ms, infoplicht_row_fn *fn,
                void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg, ""};
    infoplicht_date (v.today, now_ms);
    return store_one (self->db, S_SELECT " AND task_id=?", STORE_VALUES (STORE_TEXT (id)), s_row,
                      &v, "read the informatieplicht task", reason);
}

int64_t
infoplicht_count_open (infoplicht_t *self)
{
    return store_int (
        self->db,
        "SELECT count(*) FROM infoplicht_task WHERE state IN (0,3) AND case_ref NOT IN"
        " (SELECT case_ref FROM subject WHERE archived=1)",
        -1);
}

typedef struct {
    infoplicht_t *self;
    const char *id;
    char **how_p, **note_p;
} s_texts_t;

/*  Unseal column col (ad given) as a C string into *out_p. */
static int
s_unseal (const uint8_t key[KEYSTORE_KEY_LEN], sqlite3_stmt *q, int col, const char *ad,
          char **out_p, kt_reason_t *reason)
{
    if (sqlite3_column_type (q, col) != SQLITE_BLOB)
        return 0;
    uint8_t *plain;
    size_t len;
    if (keystore_unseal (key, ad, strlen (ad), sqlite3_column_blob (q, col),
                         (size_t) sqlite3_column_bytes (q, col), &plain, &len) != 0)
        return kt_fail (reason, "a text of the task does not decrypt");
    char *s = malloc (len + 1);
    if (!s) {
        sodium_memzero (plain, len);
        free (plain);
        return kt_fail (reason, "out of memory");
    }
    memcpy (s, plain, len);
    s[len] = '\0';
    sodium_memzero (plain, len);
    free (plain);
    *out_p = s;
    return 0;
}

static int
s_texts_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    s_texts_t *x = arg;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (x->self->weegploeg, store_text (q, 0), key, reason) != 0)
        return -1;
    char ad[64];
    snprintf (ad, sizeof ad, "infoplicht/%s/how", x->id);
    int rc = s_unseal (key, q, 1, ad, x->how_p, reason);
    snprintf (ad, sizeof ad, "infoplicht/%s/note/%d", x->id, sqlite3_column_int (q, 3));
    if (rc == 0)
        rc = s_unseal (key, q, 2, ad, x->note_p, reason);
    sodium_memzero (key, sizeof key);
    return rc;
}

int
infoplicht_texts (infoplicht_t *self, const char *id, char **how_p, char **note_p,
                  kt_reason_t *reason)
{
    *how_p = *note_p = NULL;
    s_texts_t x = {self, id, how_p, note_p};
    int found = store_one (
        self->db,
        "SELECT case_ref, how,"
        " (SELECT note FROM infoplicht_deferral d WHERE d.task_id=t.task_id"
        " ORDER BY seq DESC LIMIT 1),"
        " (SELECT max (seq) FROM infoplicht_deferral d WHERE d.task_id=t.task_id)"
        " FROM infoplicht_task t WHERE task_id=?",
        STORE_VALUES (STORE_TEXT (id)), s_texts_row, &x, "read the task's texts", reason);
    if (found <= 0) {
        free (*how_p);
        free (*note_p);
        *how_p = *note_p = NULL;
        return found < 0 ? -1 : kt_fail (reason, "no informatieplicht task %.24s", id);
    }
    return 0;
}
