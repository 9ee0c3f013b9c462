/*  incident: the incident register (art. 15.2g, AVG art. 33).  */
#include "incident.h"

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
};

incident_t *
incident_new (sqlite3 *db, kt_reason_t *reason)
{
    incident_t *self =
        store_module_new (sizeof *self, db, "incident", STORE_MIGRATIONS (s_migrations), reason);
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

int
incident_check (const Keten__Incident *in, uint64_t now_ms, kt_reason_t *reason)
{
    if (!intake_text_ok (in->what, 1, 4000, true))
        return kt_fail (reason, "incident: say what happened (1..4000 bytes of text)");
    /*  Found in the last year, and not in the future (a minute of skew). */
    if (in->found_ms == 0 || in->found_ms > now_ms + 60000 ||
        in->found_ms + 366ull * 86400 * 1000 < now_ms)
        return kt_fail (reason, "incident: when it was found must be a time in the last year");
    if (in->n_data_kinds < 1 || in->n_data_kinds > 16)
        return kt_fail (reason, "incident: name 1..16 kinds of data involved");
    for (size_t i = 0; i < in->n_data_kinds; i++)
        if (!intake_text_ok (in->data_kinds[i], 1, 64, false))
            return kt_fail (reason, "incident: data kind %zu must be 1..64 bytes", i + 1);
    if (in->subjects > 10000000)
        return kt_fail (reason, "incident: number of subjects out of range");
    return 0;
}

typedef struct {
    char *id;
    uint64_t *log_index_p;
} found_t;

static int
s_found (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    found_t *f = arg;
    snprintf (f->id, 19, "%s", store_text (q, 0));
    *f->log_index_p = (uint64_t) sqlite3_column_int64 (q, 1);
    return 0;
}

int
incident_find_message (incident_t *self, const uint8_t message_id[KT_ID_LEN], char id[19],
                       uint64_t *log_index_p)
{
    kt_reason_t reason;
    found_t f = {id, log_index_p};
    int found = store_one (self->db, "SELECT id, log_index FROM incident WHERE message_id=?",
                           STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN)), s_found, &f,
                           "look up an incident report", &reason);
    if (found < 0)
        kt_log (KT_LOG_ERROR, "incident lookup_failed reason=\"%s\"", reason.text);
    return found;
}

int
incident_register (incident_t *self, const Keten__Incident *in, const char *reporter, uint32_t uid,
                   const uint8_t *message_id, uint64_t log_index, char id[19], kt_reason_t *reason)
{
    uint8_t rnd[8];
    char hex[17], kinds[16 * 66] = "";
    randombytes_buf (rnd, sizeof rnd);
    snprintf (id, 19, "i-%s", kt_hex (hex, rnd, sizeof rnd));
    store_join (kinds, sizeof kinds, (const char *const *) in->data_kinds, in->n_data_kinds);
    /*  AVG art. 33(1): 72 hours after becoming aware of it. */
    uint64_t deadline = in->found_ms + INCIDENT_AP_DEADLINE_MS;
    return store_run (self->db,
                      "INSERT INTO incident (id, reporter, uid, message_id, reported_ms, found_ms,"
                      " what, data_kinds, subjects, ap_deadline_ms, log_index)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      STORE_VALUES (STORE_TEXT (id), STORE_TEXT (reporter), STORE_INT (uid),
                                    message_id ? STORE_BLOB (message_id, KT_ID_LEN) : STORE_NULL,
                                    STORE_INT (kt_now_ms ()), STORE_INT (in->found_ms),
                                    STORE_TEXT (in->what), STORE_TEXT (kinds),
                                    STORE_INT (in->subjects), STORE_INT (deadline),
                                    STORE_INT (log_index)),
                      "register the incident", reason) < 0
               ? -1
               : 0;
}

int
incident_close (incident_t *self, const char *id, uint64_t notified_ms, const char *not_required,
                uint32_t uid, kt_reason_t *reason)
{
    if (!notified_ms == !(not_required && *not_required))
        return kt_fail (reason, "record either when the AP was notified or why notification is "
                                "not required (AVG art. 33)");
    if (not_required && !intake_text_ok (not_required, 1, 2000, true))
        return kt_fail (reason, "the reason must be 1..2000 bytes of text");
    int changed = store_run (
        self->db,
        "UPDATE incident SET ap_notified_ms=?, ap_not_required=?, closed_ms=?, closed_uid=?"
        " WHERE id=? AND closed_ms IS NULL",
        STORE_VALUES (notified_ms ? STORE_INT (notified_ms) : STORE_NULL, STORE_TEXT (not_required),
                      STORE_INT (kt_now_ms ()), STORE_INT (uid), STORE_TEXT (id)),
        "close the incident", reason);
    if (changed == 0)
        return kt_fail (reason, "no open incident %.24s", id);
    return changed < 0 ? -1 : 0;
}

typedef struct {
    incident_row_fn *fn;
    void *arg;
} visit_t;

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
                       open_only ? "SELECT id, reporter, reported_ms, found_ms, what, data_kinds,"
                                   " subjects, ap_deadline_ms, ap_notified_ms, ap_not_required,"
                                   " closed_ms FROM incident WHERE closed_ms IS NULL"
                                   " ORDER BY ap_deadline_ms"
                                 : "SELECT id, reporter, reported_ms, found_ms, what, data_kinds,"
                                   " subjects, ap_deadline_ms, ap_notified_ms, ap_not_required,"
                                   " closed_ms FROM incident ORDER BY reported_ms DESC",
                       NULL, NULL, s_row, &v, "list the incidents", reason);
}
