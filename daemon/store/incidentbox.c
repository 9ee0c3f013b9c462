/*  incidentbox: the incident register as a kernpartij holds it (art. 4,
 *  15.2g).  */
#include "incidentbox.h"

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _incidentbox_t {
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  One row per incident, as its newest version received.  No
     *  personal data: the uitvoerder's register holds kinds and counts. */
    "CREATE TABLE incident_copy (id TEXT PRIMARY KEY, version INTEGER NOT NULL,"
    " reporter TEXT NOT NULL, found_ms INTEGER NOT NULL, registered_ms INTEGER NOT NULL,"
    " what TEXT NOT NULL, data_kinds TEXT NOT NULL, subjects INTEGER NOT NULL,"
    " ap_deadline_ms INTEGER NOT NULL, closed INTEGER NOT NULL, ap_notified_ms INTEGER,"
    " ap_not_required TEXT, persons_informed TEXT NOT NULL, persons_informed_note TEXT NOT NULL,"
    " handling TEXT NOT NULL, updated_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL);",
    /*  A page of the list, newest first, reads an index. */
    "CREATE INDEX incident_copy_registered ON incident_copy (registered_ms);",
};

incidentbox_t *
incidentbox_new (sqlite3 *db, kt_reason_t *reason)
{
    incidentbox_t *self =
        store_module_new (sizeof *self, db, "incidentbox", STORE_MIGRATIONS (s_migrations), reason);
    if (self)
        self->db = db;
    return self;
}

void
incidentbox_destroy (incidentbox_t **self_p)
{
    incidentbox_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

static const char *
s_informed (Keten__PersonsInformed v)
{
    switch (v) {
    case KETEN__PERSONS_INFORMED__PERSONS_INFORMED_YES:
        return "yes";
    case KETEN__PERSONS_INFORMED__PERSONS_INFORMED_NO:
        return "no";
    case KETEN__PERSONS_INFORMED__PERSONS_INFORMED_NOT_REQUIRED:
        return "not-required";
    default:
        return "";
    }
}

int
incidentbox_store (incidentbox_t *self, const Keten__IncidentRegisterEntry *e, uint64_t now_ms,
                   kt_reason_t *reason)
{
    char kinds[16 * 66] = "";
    store_join (kinds, sizeof kinds, (const char *const *) e->data_kinds, e->n_data_kinds);
    /*  Only a higher version replaces what is kept: copies may come late
     *  or twice (the relay retries until the receipt). */
    int changed = store_run (
        self->db,
        "INSERT INTO incident_copy (id, version, reporter, found_ms, registered_ms, what,"
        " data_kinds, subjects, ap_deadline_ms, closed, ap_notified_ms, ap_not_required,"
        " persons_informed, persons_informed_note, handling, updated_ms, received_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (id) DO UPDATE SET version=excluded.version, reporter=excluded.reporter,"
        " found_ms=excluded.found_ms, registered_ms=excluded.registered_ms, what=excluded.what,"
        " data_kinds=excluded.data_kinds, subjects=excluded.subjects,"
        " ap_deadline_ms=excluded.ap_deadline_ms, closed=excluded.closed,"
        " ap_notified_ms=excluded.ap_notified_ms, ap_not_required=excluded.ap_not_required,"
        " persons_informed=excluded.persons_informed,"
        " persons_informed_note=excluded.persons_informed_note, handling=excluded.handling,"
        " updated_ms=excluded.updated_ms, received_ms=excluded.received_ms"
        " WHERE excluded.version > incident_copy.version",
        STORE_VALUES (STORE_TEXT (e->incident_id), STORE_INT (e->version), STORE_TEXT (e->reporter),
                      STORE_INT (e->found_ms), STORE_INT (e->registered_ms), STORE_TEXT (e->what),
                      STORE_TEXT (kinds), STORE_INT (e->subjects), STORE_INT (e->ap_deadline_ms),
                      STORE_INT (e->closed ? 1 : 0),
                      e->ap_notified_ms ? STORE_INT (e->ap_notified_ms) : STORE_NULL,
                      *e->ap_not_required ? STORE_TEXT (e->ap_not_required) : STORE_NULL,
                      STORE_TEXT (s_informed (e->persons_informed)),
                      STORE_TEXT (e->persons_informed_note), STORE_TEXT (e->handling),
                      STORE_INT (e->updated_ms), STORE_INT (now_ms)),
        "keep the incident register entry", reason);
    return changed < 0 ? -1 : changed > 0 ? 1 : 0;
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
        .version = (uint32_t) sqlite3_column_int64 (q, 1),
        .reporter = store_text (q, 2),
        .found_ms = (uint64_t) sqlite3_column_int64 (q, 3),
        .reported_ms = (uint64_t) sqlite3_column_int64 (q, 4),
        .what = store_text (q, 5),
        .data_kinds = store_text (q, 6),
        .subjects = (uint64_t) sqlite3_column_int64 (q, 7),
        .ap_deadline_ms = (uint64_t) sqlite3_column_int64 (q, 8),
        .closed = sqlite3_column_int (q, 9) != 0,
        .notified = sqlite3_column_type (q, 10) != SQLITE_NULL,
        .ap_notified_ms = (uint64_t) sqlite3_column_int64 (q, 10),
        .ap_not_required = sqlite3_column_type (q, 11) != SQLITE_NULL ? store_text (q, 11) : NULL,
        .persons_informed = store_text (q, 12),
        .persons_informed_note = store_text (q, 13),
        .handling = store_text (q, 14),
        .updated_ms = (uint64_t) sqlite3_column_int64 (q, 15),
    };
    return v->fn (v->arg, &row, reason);
}

int
incidentbox_page (incidentbox_t *self, const char *only, size_t limit, incident_row_fn *fn,
                  void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    if (only)
        return store_each (
            self->db,
            "SELECT id, version, reporter, found_ms, registered_ms, what, data_kinds,"
            " subjects, ap_deadline_ms, closed, ap_notified_ms, ap_not_required,"
            " persons_informed, persons_informed_note, handling, updated_ms"
            " FROM incident_copy WHERE id=?",
            store_bind_values, (void *) STORE_VALUES (STORE_TEXT (only)), s_row, &v,
            "read the incident register", reason);
    return store_each (self->db,
                       "SELECT id, version, reporter, found_ms, registered_ms, what, data_kinds,"
                       " subjects, ap_deadline_ms, closed, ap_notified_ms, ap_not_required,"
                       " persons_informed, persons_informed_note, handling, updated_ms"
                       " FROM incident_copy ORDER BY registered_ms DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the incident register", reason);
}

int
incidentbox_each (incidentbox_t *self, incident_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT id, version, reporter, found_ms, registered_ms, what, data_kinds,"
                       " subjects, ap_deadline_ms, closed, ap_notified_ms, ap_not_required,"
                       " persons_informed, persons_informed_note, handling, updated_ms"
                       " FROM incident_copy ORDER BY registered_ms DESC, id",
                       NULL, NULL, s_row, &v, "list the incident register", reason);
}

int64_t
incidentbox_forget_all (incidentbox_t *self, kt_reason_t *reason)
{
    return store_run (self->db, "DELETE FROM incident_copy", NULL, "delete the incident register",
                      reason);
}

bool
incidentbox_present (sqlite3 *db)
{
    kt_reason_t reason;
    int present = store_one (db, "SELECT 1 FROM schema_version WHERE module='incidentbox'", NULL,
                             NULL, NULL, "look for the incident register", &reason);
    if (present < 0)
        kt_log (KT_LOG_ERROR, "incident lookup_failed reason=\"%s\"", reason.text);
    return present > 0;
}
