/*  incident: the incident register (art. 15.2g, AVG art. 33).  */
#include "incident.h"

#include "intake.h"
#include "store.h"

#include <sodium.h>
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
    incident_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    if (store_migrate (db, "incident", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason) != 0) {
        incident_destroy (&self);
        return NULL;
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

int
incident_find_message (incident_t *self, const uint8_t message_id[KT_ID_LEN], char id[19],
                       uint64_t *log_index_p)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, log_index FROM incident WHERE message_id=?", -1,
                            &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_blob (q, 1, message_id, KT_ID_LEN, SQLITE_STATIC);
    int found = sqlite3_step (q) == SQLITE_ROW;
    if (found) {
        snprintf (id, 19, "%s", (const char *) sqlite3_column_text (q, 0));
        *log_index_p = (uint64_t) sqlite3_column_int64 (q, 1);
    }
    sqlite3_finalize (q);
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
    size_t o = 0;
    for (size_t i = 0; i < in->n_data_kinds && o < sizeof kinds; i++)
        o += (size_t) snprintf (kinds + o, sizeof kinds - o, "%s%s", i ? "," : "",
                                in->data_kinds[i]);
    sqlite3_stmt *s = store_prepare (self->db,
                                     "INSERT INTO incident (id, reporter, uid, message_id,"
                                     " reported_ms, found_ms, what, data_kinds, subjects,"
                                     " ap_deadline_ms, log_index) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                     reason);
    if (!s)
        return -1;
    sqlite3_bind_text (s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, reporter, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 3, uid);
    if (message_id)
        sqlite3_bind_blob (s, 4, message_id, KT_ID_LEN, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 4);
    sqlite3_bind_int64 (s, 5, (sqlite3_int64) kt_now_ms ());
    sqlite3_bind_int64 (s, 6, (sqlite3_int64) in->found_ms);
    sqlite3_bind_text (s, 7, in->what, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 8, kinds, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 9, in->subjects);
    /*  AVG art. 33(1): 72 hours after becoming aware of it. */
    sqlite3_bind_int64 (s, 10, (sqlite3_int64) (in->found_ms + INCIDENT_AP_DEADLINE_MS));
    sqlite3_bind_int64 (s, 11, (sqlite3_int64) log_index);
    int rc = sqlite3_step (s) == SQLITE_DONE
                 ? 0
                 : kt_fail (reason, "cannot register the incident: %s", sqlite3_errmsg (self->db));
    sqlite3_finalize (s);
    return rc;
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
    sqlite3_stmt *s = store_prepare (self->db,
                                     "UPDATE incident SET ap_notified_ms=?, ap_not_required=?,"
                                     " closed_ms=?, closed_uid=? WHERE id=? AND closed_ms IS NULL",
                                     reason);
    if (!s)
        return -1;
    if (notified_ms)
        sqlite3_bind_int64 (s, 1, (sqlite3_int64) notified_ms);
    else
        sqlite3_bind_null (s, 1);
    if (not_required)
        sqlite3_bind_text (s, 2, not_required, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (s, 2);
    sqlite3_bind_int64 (s, 3, (sqlite3_int64) kt_now_ms ());
    sqlite3_bind_int64 (s, 4, uid);
    sqlite3_bind_text (s, 5, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (s) == SQLITE_DONE ? 0 : -1;
    if (rc != 0)
        kt_fail (reason, "cannot close the incident: %s", sqlite3_errmsg (self->db));
    else if (sqlite3_changes (self->db) == 0)
        rc = kt_fail (reason, "no open incident %.24s", id);
    sqlite3_finalize (s);
    return rc;
}

json_t *
incident_list (incident_t *self, uint64_t now_ms)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT id, reporter, reported_ms, found_ms, what, data_kinds,"
                            " subjects, ap_deadline_ms, ap_notified_ms, ap_not_required, closed_ms"
                            " FROM incident ORDER BY reported_ms DESC",
                            -1, &q, NULL) != SQLITE_OK)
        return list;
    while (sqlite3_step (q) == SQLITE_ROW) {
        bool closed = sqlite3_column_type (q, 10) != SQLITE_NULL;
        uint64_t deadline = (uint64_t) sqlite3_column_int64 (q, 7);
        const char *ap =
            closed ? (sqlite3_column_type (q, 8) != SQLITE_NULL ? "notified" : "not-required")
            : now_ms > deadline ? "OVERDUE"
                                : "pending";
        json_t *o = json_pack ("{s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:s, s:b}", "id",
                               (const char *) sqlite3_column_text (q, 0), "reporter",
                               (const char *) sqlite3_column_text (q, 1), "reported_ms",
                               (json_int_t) sqlite3_column_int64 (q, 2), "found_ms",
                               (json_int_t) sqlite3_column_int64 (q, 3), "what",
                               (const char *) sqlite3_column_text (q, 4), "data_kinds",
                               (const char *) sqlite3_column_text (q, 5), "subjects",
                               (json_int_t) sqlite3_column_int64 (q, 6), "ap_deadline_ms",
                               (json_int_t) deadline, "ap", ap, "closed", closed);
        if (sqlite3_column_type (q, 8) != SQLITE_NULL)
            json_object_set_new (o, "ap_notified_ms", json_integer (sqlite3_column_int64 (q, 8)));
        if (sqlite3_column_type (q, 9) != SQLITE_NULL)
            json_object_set_new (o, "ap_not_required",
                                 json_string ((const char *) sqlite3_column_text (q, 9)));
        json_array_append_new (list, o);
    }
    sqlite3_finalize (q);
    return list;
}

json_t *
incident_summary (incident_t *self, uint64_t now_ms)
{
    json_t *pending = json_array ();
    sqlite3_stmt *q = NULL;
    int64_t open = 0;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT id, ap_deadline_ms FROM incident WHERE closed_ms IS NULL"
                            " ORDER BY ap_deadline_ms",
                            -1, &q, NULL) == SQLITE_OK) {
        while (sqlite3_step (q) == SQLITE_ROW) {
            open++;
            int64_t left = sqlite3_column_int64 (q, 1) - (int64_t) now_ms;
            json_array_append_new (
                pending,
                json_pack ("{s:s, s:I, s:b}", "id", (const char *) sqlite3_column_text (q, 0),
                           "ap_deadline_ms", sqlite3_column_int64 (q, 1), "overdue", left < 0));
        }
        sqlite3_finalize (q);
    }
    return json_pack ("{s:I, s:o}", "open", (json_int_t) open, "ap_pending", pending);
}
