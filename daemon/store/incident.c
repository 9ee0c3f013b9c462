/*  incident: the incident register (art. 15.2g, AVG art. 33).  */
#include "incident.h"

#include "figures.h"
#include "intake.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _incident_t {
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    "CREATE TABLE incident (id TEXT PRIMARY KEY, reporter TEXT NOT NULL, uid INTEGER NOT NULL,"
    " message_id BLOB UNIQUE, reported_ms INTEGER NOT NULL, found_ms INTEGER NOT NULL,"
    " what TEXT NOT NULL, data_kinds TEXT NOT NULL, subjects INTEGER NOT NULL,"
    " ap_deadline_ms INTEGER NOT NULL, ap_notified_ms INTEGER, ap_not_required TEXT,"
    " closed_ms INTEGER, closed_uid INTEGER, log_index INTEGER NOT NULL);",
    /*  art. 15.2g, AVG art. 34: whether the persons concerned were
     *  informed (yes, no, not-required; '' while not recorded) with the
     *  reason, and how the incident was handled.  version counts the
     *  register's changes of the incident: every kernpartij gets each. */
    "ALTER TABLE incident ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE incident ADD COLUMN persons_informed TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE incident ADD COLUMN persons_informed_note TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE incident ADD COLUMN handling TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE incident ADD COLUMN updated_ms INTEGER;",
    /*  The body commitment of a report that came as a message: a report
     *  sent again under its id is the same one only with the same body
     *  (NULL: registered before this, or made at the uitvoerder).  The
     *  list (newest first, a page of it) and the status summary (the open
     *  ones) read indexes, not the whole register. */
    "ALTER TABLE incident ADD COLUMN body_commitment BLOB;"
    "CREATE INDEX incident_reported ON incident (reported_ms);"
    "CREATE INDEX incident_open ON incident (ap_deadline_ms) WHERE closed_ms IS NULL;",
};

incident_t *
incident_new (sqlite3 *db, kt_reason_t *reason)
{
    incident_t *self =
        store_module_new (sizeof *self, db, "incident", STORE_MIGRATIONS (s_migrations), reason);
    if (self && figures_migrate (db, reason) != 0) {
        free (self);
        self = NULL;
    }
    if (self) {
        self->db = db;
    }
    return self;
}

void
incident_destroy (incident_t **self_p)
{
    incident_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

static bool
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

/*  Whether the nine digits at p, written in groups g (3-3-3 or 4-2-3)
 *  with one separator of ". -" between them, pass the elfproef, the
 *  number standing on its own: nothing but a non-digit before and after
 *  (a separator next to a digit continues the number). */
static bool
s_grouped_bsn (const char *text, const char *p, const int g[3])
{
    if (p > text && (s_digit (p[-1]) || ((p[-1] == '.' || p[-1] == ' ' || p[-1] == '-') &&
                                         p - 1 > text && s_digit (p[-2]))))
        return false;
    char bsn[10], sep = 0;
    size_t n = 0;
    const char *q = p;
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (*q != '.' && *q != ' ' && *q != '-')
                return false;
            if (sep && *q != sep)
                return false;
            sep = *q++;
        }
        for (int d = 0; d < g[k]; d++, q++) {
            if (!s_digit (*q))
                return false;
            bsn[n++] = *q;
        }
    }
    if (s_digit (*q) || ((*q == '.' || *q == ' ' || *q == '-') && s_digit (q[1])))
        return false;
    bsn[9] = '\0';
    return intake_valid_bsn (bsn);
}

/*  Whether text holds a BSN: a run of exactly nine digits that passes the
 *  elfproef, or nine digits written in the usual groups (111.222.333,
 *  1112 22 333, 111-222-333) standing on their own. */
static bool
s_has_bsn (const char *text)
{
    static const int groups[2][3] = {{3, 3, 3}, {4, 2, 3}};
    for (const char *p = text; *p;) {
        size_t n = strspn (p, "0123456789");
        if (n == 9) {
            char bsn[10];
            memcpy (bsn, p, 9);
            bsn[9] = '\0';
            if (intake_valid_bsn (bsn))
                return true;
        }
        if (n > 0)
            for (int g = 0; g < 2; g++)
                if (s_grouped_bsn (text, p, groups[g]))
                    return true;
        p += n ? n : 1;
    }
    return false;
}

bool
incident_text_ok (const char *text, size_t min)
{
    /*  No personal data: a BSN (nine digits that pass the elfproef) is
     *  refused (the register says what and how many, never who). */
    return intake_text_ok (text, min, INCIDENT_TEXT_MAX, true) && !s_has_bsn (text);
}

int
incident_check (const Keten__Incident *in, uint64_t now_ms, kt_reason_t *reason)
{
    if (!incident_text_ok (in->what, 1))
        return kt_fail (reason, "incident: say what happened (1..4000 bytes of text, no BSN: "
                                "kinds of data and counts, not who)");
    /*  Found in the last year, and not in the future (a minute of skew). */
    if (in->found_ms == 0 || in->found_ms > now_ms + 60000 ||
        in->found_ms + 366ull * 86400 * 1000 < now_ms)
        return kt_fail (reason, "incident: when it was found must be a time in the last year");
    if (in->n_data_kinds < 1 || in->n_data_kinds > 16)
        return kt_fail (reason, "incident: name 1..16 kinds of data involved");
    /*  The kinds of a consent's rule: a word of letters holds no BSN,
     *  date or number, and no comma (the register joins them with one). */
    for (size_t i = 0; i < in->n_data_kinds; i++)
        if (!intake_data_kind_ok (in->data_kinds[i]))
            return kt_fail (reason,
                            "incident: data kind %zu must be a word of 1..%d letters, - and _ "
                            "(no digits, dots or spaces)",
                            i + 1, INTAKE_DATA_KIND_MAX);
    if (in->subjects > 10000000)
        return kt_fail (reason, "incident: number of subjects out of range");
    return 0;
}

typedef struct {
    char *id;
    uint64_t *log_index_p;
    const char *reporter;
    const uint8_t *commitment;
    bool same;
} found_t;

static int
s_found (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    found_t *f = arg;
    snprintf (f->id, 19, "%s", store_text (q, 0));
    *f->log_index_p = (uint64_t) sqlite3_column_int64 (q, 1);
    /*  The same report: its own reporter, and its body (a row from before
     *  the commitment was kept is taken on its reporter alone). */
    const void *kept = sqlite3_column_blob (q, 3);
    f->same = strcmp (store_text (q, 2), f->reporter) == 0 &&
              (sqlite3_column_type (q, 3) == SQLITE_NULL ||
               (sqlite3_column_bytes (q, 3) == 32 && f->commitment &&
                memcmp (kept, f->commitment, 32) == 0));
    return 0;
}

int
incident_find_message (incident_t *self, const uint8_t message_id[KT_ID_LEN], const char *reporter,
                       const uint8_t *commitment, char id[19], uint64_t *log_index_p)
{
    kt_reason_t reason;
    found_t f = {id, log_index_p, reporter, commitment, false};
    int found = store_one (self->db,
                           "SELECT id, log_index, reporter, body_commitment FROM incident"
                           " WHERE message_id=?",
                           STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN)), s_found, &f,
                           "look up an incident report", &reason);
    if (found < 0)
        kt_log (KT_LOG_ERROR, "incident lookup_failed reason=\"%s\"", reason.text);
    return found <= 0 ? found : f.same ? 1 : 2;
}

int
incident_register (incident_t *self, const Keten__Incident *in, const char *reporter, uint32_t uid,
                   const uint8_t *message_id, const uint8_t *commitment, uint64_t log_index,
                   char id[19], kt_reason_t *reason)
{
    uint8_t rnd[8];
    char hex[17], kinds[16 * 66] = "";
    kt_random_buf (rnd, sizeof rnd);
    snprintf (id, 19, "i-%s", kt_hex (hex, rnd, sizeof rnd));
    store_join (kinds, sizeof kinds, (const char *const *) in->data_kinds, in->n_data_kinds);
    /*  AVG art. 33(1): 72 hours after becoming aware of it. */
    uint64_t deadline = in->found_ms + INCIDENT_AP_DEADLINE_MS;
    /*  The incident and its figure (figures.h) in one transaction. */
    if (store_exec (self->db, "SAVEPOINT incident_register", reason) != 0)
        return -1;
    int rc = store_run (
                 self->db,
                 "INSERT INTO incident (id, reporter, uid, message_id, reported_ms, found_ms,"
                 " what, data_kinds, subjects, ap_deadline_ms, log_index, body_commitment)"
                 " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 STORE_VALUES (STORE_TEXT (id), STORE_TEXT (reporter), STORE_INT (uid),
                               message_id ? STORE_BLOB (message_id, KT_ID_LEN) : STORE_NULL,
                               STORE_INT (kt_now_ms ()), STORE_INT (in->found_ms),
                               STORE_TEXT (in->what), STORE_TEXT (kinds), STORE_INT (in->subjects),
                               STORE_INT (deadline), STORE_INT (log_index),
                               commitment ? STORE_BLOB (commitment, 32) : STORE_NULL),
                 "register the incident", reason) < 0 ||
                     figures_add (self->db, kt_now_ms (), FIGURE_INCIDENT, "", "", 1, reason) != 0
                 ? -1
                 : 0;
    kt_reason_t ignored;
    if (rc != 0)
        store_exec (self->db, "ROLLBACK TO incident_register", &ignored);
    if (store_exec (self->db, "RELEASE incident_register", rc ? &ignored : reason) != 0)
        return -1;
    return rc;
}

static int
s_nothing (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) q;
    (void) arg;
    (void) reason;
    return 0;
}

static int
s_int_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

/*  The AP outcome (AVG art. 33) as given: exactly one of a notification
 *  time and a reason; a time before the incident was found, or more than
 *  a minute ahead of now, is a typing error (it would be sent to every
 *  kernpartij and counted as on time).  The minute is leeway for the
 *  clocks of the CLI's host and this one. */
static int
s_ap_check (incident_t *self, const char *id, uint64_t notified_ms, const char *not_required,
            uint64_t now, kt_reason_t *reason)
{
    if (!notified_ms == !(not_required && *not_required))
        return kt_fail (reason, "record either when the AP was notified or why notification is "
                                "not required (AVG art. 33)");
    if (not_required && !intake_text_ok (not_required, 1, 2000, true))
        return kt_fail (reason, "the reason must be 1..2000 bytes of text");
    if (not_required && !incident_text_ok (not_required, 1))
        return kt_fail (reason, "the reason must not hold a BSN (kinds and counts, not who)");
    int64_t found = 0;
    if (notified_ms && store_one (self->db, "SELECT found_ms FROM incident WHERE id=?",
                                  STORE_VALUES (STORE_TEXT (id)), s_int_row, &found,
                                  "read when the incident was found", reason) < 0)
        return -1;
    if (notified_ms && (int64_t) notified_ms < found)
        return kt_fail (reason, "the AP notification time is before the incident was found: the AP "
                                "is notified of an incident after it is found (AVG art. 33); check "
                                "--ap-notified (Dutch time)");
    if (notified_ms > now + 60000)
        return kt_fail (reason, "the AP notification time is in the future: record it once the "
                                "AP has been notified (AVG art. 33); check --ap-notified (Dutch "
                                "time)");
    return 0;
}

/*  Whether an open incident id exists (1), is closed (-1 with the
 *  reason), or is none (-1). */
static int
s_open (incident_t *self, const char *id, kt_reason_t *reason)
{
    int64_t closed = 0;
    int found = store_one (self->db, "SELECT closed_ms IS NOT NULL FROM incident WHERE id=?",
                           STORE_VALUES (STORE_TEXT (id)), s_int_row, &closed,
                           "look up the incident", reason);
    if (found < 0)
        return -1;
    if (found == 0)
        return kt_fail (reason, "no incident %.24s", id);
    /*  A closed incident's record says what was true when it was closed. */
    if (closed)
        return kt_fail (reason, "incident %.24s is closed: its record stays as it was closed", id);
    return 1;
}

int
incident_record_ap (incident_t *self, const char *id, uint64_t notified_ms,
                    const char *not_required, uint64_t now_ms, kt_reason_t *reason)
{
    if (s_open (self, id, reason) < 0 ||
        s_ap_check (self, id, notified_ms, not_required, now_ms, reason) != 0)
        return -1;
    int changed =
        store_run (self->db,
                   "UPDATE incident SET ap_notified_ms=?, ap_not_required=?, version=version+1,"
                   " updated_ms=? WHERE id=? AND closed_ms IS NULL",
                   STORE_VALUES (notified_ms ? STORE_INT (notified_ms) : STORE_NULL,
                                 STORE_TEXT (not_required), STORE_INT (now_ms), STORE_TEXT (id)),
                   "record the AP outcome", reason);
    if (changed == 0)
        return kt_fail (reason, "no open incident %.24s", id);
    return changed < 0 ? -1 : 0;
}

typedef struct {
    int64_t notified_ms; /* 0: none */
    bool not_required;
    int64_t found_ms;
    int64_t deadline_ms;
} s_ap_t;

static int
s_ap_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    s_ap_t *ap = arg;
    ap->notified_ms = sqlite3_column_int64 (q, 0);
    ap->not_required = sqlite3_column_type (q, 1) != SQLITE_NULL;
    ap->found_ms = sqlite3_column_int64 (q, 2);
    ap->deadline_ms = sqlite3_column_int64 (q, 3);
    return 0;
}

int
incident_close (incident_t *self, const char *id, uint64_t notified_ms, const char *not_required,
                uint32_t uid, kt_reason_t *reason)
{
    uint64_t now = kt_now_ms ();
    if (s_open (self, id, reason) < 0)
        return -1;
    /*  The AP outcome given here, or recorded before (incident_record_ap). */
    bool given = notified_ms || not_required;
    if (given && s_ap_check (self, id, notified_ms, not_required, now, reason) != 0)
        return -1;
    s_ap_t ap = {0};
    if (store_one (self->db,
                   "SELECT coalesce (ap_notified_ms, 0), ap_not_required, found_ms, ap_deadline_ms"
                   " FROM incident WHERE id=?",
                   STORE_VALUES (STORE_TEXT (id)), s_ap_row, &ap, "read the incident's AP outcome",
                   reason) < 0)
        return -1;
    if (given)
        ap.notified_ms = (int64_t) notified_ms, ap.not_required = !notified_ms;
    if (!ap.notified_ms && !ap.not_required)
        return kt_fail (reason, "record either when the AP was notified or why notification is "
                                "not required (AVG art. 33)");
    int ready = store_one (self->db,
                           "SELECT 1 FROM incident WHERE id=? AND persons_informed<>''"
                           " AND persons_informed<>'no' AND handling<>''",
                           STORE_VALUES (STORE_TEXT (id)), s_nothing, NULL,
                           "read the incident's handling", reason);
    if (ready < 0)
        return -1;
    /*  art. 15.2g: registered and handled ("afgehandeld"), AVG art. 34
     *  included: closed only with both on record. */
    if (ready == 0)
        return kt_fail (reason,
                        "incident %.24s is closed only once it is handled: record that the "
                        "persons concerned were informed, or why that is not required (AVG art. "
                        "34; 'no' is not yet), and how it was handled (keten incident update, or "
                        "--persons-informed and --handling here)",
                        id);
    int changed =
        given
            ? store_run (
                  self->db,
                  "UPDATE incident SET ap_notified_ms=?, ap_not_required=?, closed_ms=?,"
                  " closed_uid=?, version=version+1, updated_ms=? WHERE id=? AND closed_ms IS NULL",
                  STORE_VALUES (notified_ms ? STORE_INT (notified_ms) : STORE_NULL,
                                STORE_TEXT (not_required), STORE_INT (now), STORE_INT (uid),
                                STORE_INT (now), STORE_TEXT (id)),
                  "close the incident", reason)
            : store_run (
                  self->db,
                  "UPDATE incident SET closed_ms=?, closed_uid=?, version=version+1,"
                  " updated_ms=? WHERE id=? AND closed_ms IS NULL",
                  STORE_VALUES (STORE_INT (now), STORE_INT (uid), STORE_INT (now), STORE_TEXT (id)),
                  "close the incident", reason);
    if (changed == 0)
        return kt_fail (reason, "no open incident %.24s", id);
    if (changed < 0)
        return -1;
    /*  Its figure (figures.h): the AP notified within AVG art. 33's 72
     *  hours or not, or no notification required.  On time: from when
     *  it was found up to the deadline (a time before the finding is
     *  refused, and never counts). */
    return figures_add (self->db, now, FIGURE_INCIDENT_CLOSED, "",
                        ap.notified_ms ? "ap-notified" : "ap-not-required",
                        ap.notified_ms && ap.notified_ms >= ap.found_ms &&
                            ap.notified_ms <= ap.deadline_ms,
                        reason);
}

static const char *const s_informed[] = {"yes", "no", "not-required", NULL};

int
incident_update (incident_t *self, const char *id, const char *informed, const char *note,
                 const char *handling, uint32_t uid, uint64_t now_ms, kt_reason_t *reason)
{
    (void) uid;
    if (!informed && !handling)
        return kt_fail (reason, "record persons_informed (yes, no, not-required) or handling");
    bool known = false;
    for (size_t i = 0; informed && s_informed[i]; i++)
        known |= strcmp (informed, s_informed[i]) == 0;
    if (informed && !known)
        return kt_fail (reason, "persons_informed is yes, no or not-required (AVG art. 34)");
    if (note && !informed)
        return kt_fail (reason, "a note goes with persons_informed");
    /*  AVG art. 34.3: not informing is an exception: say which, or why
     *  not yet. */
    if (informed && strcmp (informed, "yes") != 0 && !(note && *note))
        return kt_fail (reason, "say why the persons concerned were not informed (AVG art. 34.3)");
    if (note && !incident_text_ok (note, 1))
        return kt_fail (reason, "the note must be 1..%d bytes of text without a BSN",
                        INCIDENT_TEXT_MAX);
    if (handling && !incident_text_ok (handling, 1))
        return kt_fail (reason, "handling must be 1..%d bytes of text without a BSN",
                        INCIDENT_TEXT_MAX);
    int changed = store_run (
        self->db,
        "UPDATE incident SET persons_informed=coalesce (?, persons_informed),"
        " persons_informed_note=CASE WHEN ? IS NULL THEN persons_informed_note ELSE ? END,"
        " handling=coalesce (?, handling), version=version+1, updated_ms=? WHERE id=?"
        " AND closed_ms IS NULL",
        STORE_VALUES (STORE_TEXT (informed), STORE_TEXT (informed), STORE_TEXT (note ? note : ""),
                      STORE_TEXT (handling), STORE_INT (now_ms), STORE_TEXT (id)),
        "update the incident", reason);
    /*  A closed incident's record says what was true when it was closed. */
    if (changed == 0)
        return store_one (self->db, "SELECT 1 FROM incident WHERE id=?",
                          STORE_VALUES (STORE_TEXT (id)), NULL, NULL, "look up the incident",
                          reason) > 0
                   ? kt_fail (reason, "incident %.24s is closed: its record stays as it was closed",
                              id)
                   : kt_fail (reason, "no incident %.24s", id);
    return changed < 0 ? -1 : 0;
}

typedef struct {
    incident_row_fn *fn;
    void *arg;
} visit_t;

#define S_SELECT                                                                                   \
    "SELECT id, reporter, reported_ms, found_ms, what, data_kinds, subjects, ap_deadline_ms,"      \
    " ap_notified_ms, ap_not_required, closed_ms, version, persons_informed,"                      \
    " persons_informed_note, handling, coalesce (updated_ms, reported_ms) FROM incident"

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    incident_row_t row = {
        .id = store_text (q, 0),
        .reporter = store_text (q, 1),
        .reported_ms = (uint64_t) sqlite3_column_int64 (q, 2),
        .found_ms = (uint64_t) sqlite3_column_int64 (q, 3),
        .what = store_text (q, 4),
        .data_kinds = store_text (q, 5),
        .subjects = (uint64_t) sqlite3_column_int64 (q, 6),
        .ap_deadline_ms = (uint64_t) sqlite3_column_int64 (q, 7),
        .notified = sqlite3_column_type (q, 8) != SQLITE_NULL,
        .ap_notified_ms = (uint64_t) sqlite3_column_int64 (q, 8),
        .ap_not_required = sqlite3_column_type (q, 9) != SQLITE_NULL ? store_text (q, 9) : NULL,
        .closed = sqlite3_column_type (q, 10) != SQLITE_NULL,
        .version = (uint32_t) sqlite3_column_int64 (q, 11),
        .persons_informed = store_text (q, 12),
        .persons_informed_note = store_text (q, 13),
        .handling = store_text (q, 14),
        .updated_ms = (uint64_t) sqlite3_column_int64 (q, 15),
    };
    return v->fn (v->arg, &row, reason);
}

int
incident_each (incident_t *self, bool open_only, incident_row_fn *fn, void *arg,
               kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    /*  The register newest first; the open ones by their AP deadline. */
    return store_each (self->db,
                       open_only ? S_SELECT " WHERE closed_ms IS NULL ORDER BY ap_deadline_ms"
                                 : S_SELECT " ORDER BY reported_ms DESC",
                       NULL, NULL, s_row, &v, "list the incidents", reason);
}

int
incident_page (incident_t *self, size_t limit, incident_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db, S_SELECT " ORDER BY reported_ms DESC LIMIT ?", store_bind_values,
                       (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v, "list the incidents",
                       reason);
}

int
incident_ap_pending (incident_t *self, size_t limit, incident_row_fn *fn, void *arg,
                     kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       S_SELECT " WHERE closed_ms IS NULL AND ap_notified_ms IS NULL"
                                " AND ap_not_required IS NULL ORDER BY ap_deadline_ms LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the incidents awaiting the AP", reason);
}

static int
s_counts_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    incident_counts_t *c = arg;
    c->open = (uint64_t) sqlite3_column_int64 (q, 0);
    c->ap_pending = (uint64_t) sqlite3_column_int64 (q, 1);
    c->ap_overdue = (uint64_t) sqlite3_column_int64 (q, 2);
    return 0;
}

int
incident_counts (incident_t *self, uint64_t now_ms, incident_counts_t *out, kt_reason_t *reason)
{
    *out = (incident_counts_t){0};
    /*  The open ones only, through their partial index. */
    return store_one (self->db,
                      "SELECT count(*),"
                      " coalesce (sum (ap_notified_ms IS NULL AND ap_not_required IS NULL), 0),"
                      " coalesce (sum (ap_notified_ms IS NULL AND ap_not_required IS NULL"
                      " AND ap_deadline_ms < ?), 0)"
                      " FROM incident WHERE closed_ms IS NULL",
                      STORE_VALUES (STORE_INT (now_ms)), s_counts_row, out, "count the incidents",
                      reason) < 0
               ? -1
               : 0;
}

int
incident_one (incident_t *self, const char *id, incident_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_one (self->db, S_SELECT " WHERE id=?", STORE_VALUES (STORE_TEXT (id)), s_row, &v,
                      "read the incident", reason);
}
