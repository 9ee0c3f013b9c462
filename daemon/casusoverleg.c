/*  casusoverleg: the casusoverleg file (art. 10.1-10.2).  */
#include "casusoverleg.h"

#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _casusoverleg_t {
    sqlite3 *db;
    keystore_t *keystore;
};

static const char *const s_migrations[] = {
    "CREATE TABLE casus (case_ref TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " opened_ms INTEGER NOT NULL, decision_id TEXT NOT NULL, participants TEXT NOT NULL,"
    " key_id BLOB NOT NULL);"
    /*  art. 10.2a-c: the signals and the party that brought each in. */
    "CREATE TABLE casus_signal (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES casus (case_ref), sender TEXT NOT NULL, received_ms INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    /*  art. 10.2d: the weegploeg's analysis. */
    "CREATE TABLE casus_analysis (decision_id TEXT PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES casus (case_ref), body BLOB NOT NULL);",
};

casusoverleg_t *
casusoverleg_open (const char *path, keystore_t *keystore, kt_reason_t *reason)
{
    casusoverleg_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->keystore = keystore;
    self->db = store_open (path, reason);
    if (!self->db || store_migrate (self->db, "casusoverleg", s_migrations,
                                    sizeof s_migrations / sizeof s_migrations[0], reason) != 0) {
        casusoverleg_destroy (&self);
        return NULL;
    }
    return self;
}

void
casusoverleg_destroy (casusoverleg_t **self_p)
{
    casusoverleg_t *self = *self_p;
    if (!self)
        return;
    store_close (&self->db);
    free (self);
    *self_p = NULL;
}

/*  The case's key: made (and committed in the keystore) on first open. */
static int
s_case_key (casusoverleg_t *self, const char *case_ref, uint8_t key[KEYSTORE_KEY_LEN],
            uint8_t key_id[KEYSTORE_ID_LEN], bool *is_new, kt_reason_t *reason)
{
    sqlite3_stmt *q = store_prepare (self->db, "SELECT key_id FROM casus WHERE case_ref=?", reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    *is_new = !(sqlite3_step (q) == SQLITE_ROW && sqlite3_column_bytes (q, 0) == KEYSTORE_ID_LEN);
    if (!*is_new)
        memcpy (key_id, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    sqlite3_finalize (q);
    return *is_new ? keystore_create (self->keystore, key_id, key, reason)
                   : keystore_get (self->keystore, key_id, key, reason);
}

static int
s_seal_insert (casusoverleg_t *self, const char *sql, const uint8_t key[KEYSTORE_KEY_LEN],
               const void *ad, size_t ad_len, const ProtobufCMessage *msg, const char *case_ref,
               const char *sender, uint64_t received_ms, kt_reason_t *reason)
{
    size_t len = protobuf_c_message_get_packed_size (msg);
    uint8_t *packed = malloc (len ? len : 1), *sealed = NULL;
    size_t sealed_len = 0;
    if (!packed)
        return kt_fail (reason, "out of memory");
    protobuf_c_message_pack (msg, packed);
    int rc = keystore_seal (key, ad, ad_len, packed, len, &sealed, &sealed_len);
    sodium_memzero (packed, len);
    free (packed);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    sqlite3_stmt *s = store_prepare (self->db, sql, reason);
    if (!s) {
        free (sealed);
        return -1;
    }
    sqlite3_bind_blob (s, 1, ad, (int) ad_len, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, case_ref, -1, SQLITE_STATIC);
    sqlite3_bind_blob (s, 3, sealed, (int) sealed_len, SQLITE_STATIC);
    if (sender) {
        sqlite3_bind_text (s, 4, sender, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (s, 5, (sqlite3_int64) received_ms);
    }
    rc = sqlite3_step (s) == SQLITE_DONE
             ? 0
             : kt_fail (reason, "cannot copy to the casusoverleg file: %s",
                        sqlite3_errmsg (self->db));
    sqlite3_finalize (s);
    free (sealed);
    return rc;
}

static int
s_upsert_case (casusoverleg_t *self, const Keten__WeegploegDecision *d,
               const uint8_t key_id[KEYSTORE_ID_LEN], uint64_t now_ms, kt_reason_t *reason)
{
    char parts[2048] = "";
    size_t o = 0;
    for (size_t i = 0; i < d->n_parties && o < sizeof parts; i++)
        o += (size_t) snprintf (parts + o, sizeof parts - o, "%s%s", i ? "," : "", d->parties[i]);
    sqlite3_stmt *s = store_prepare (
        self->db,
        "INSERT INTO casus (case_ref, state, opened_ms, decision_id, participants, key_id)"
        " VALUES (?1, 'open', ?2, ?3, ?4, ?5) ON CONFLICT (case_ref) DO UPDATE SET"
        " decision_id=?3, participants=?4, state='open'",
        reason);
    if (!s)
        return -1;
    sqlite3_bind_text (s, 1, d->case_ref, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) now_ms);
    sqlite3_bind_text (s, 3, d->decision_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 4, parts, -1, SQLITE_STATIC);
    sqlite3_bind_blob (s, 5, key_id, KEYSTORE_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step (s) == SQLITE_DONE
                 ? 0
                 : kt_fail (reason, "cannot open the case: %s", sqlite3_errmsg (self->db));
    sqlite3_finalize (s);
    return rc;
}

int
casusoverleg_open_case (casusoverleg_t *self, const Keten__WeegploegDecision *d,
                        const weegploeg_case_signal_t *signals, size_t n_signals, uint64_t now_ms,
                        kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool is_new;
    if (s_case_key (self, d->case_ref, key, key_id, &is_new, reason) != 0)
        return -1;
    int rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = s_upsert_case (self, d, key_id, now_ms, reason);
    for (size_t i = 0; rc == 0 && i < n_signals; i++) {
        /*  The signal's message id binds the sealed copy to its row. */
        rc = s_seal_insert (self,
                            "INSERT OR IGNORE INTO casus_signal (message_id, case_ref, body,"
                            " sender, received_ms) VALUES (?,?,?,?,?)",
                            key, signals[i].message_id, KT_ID_LEN, &signals[i].signal->base,
                            d->case_ref, signals[i].sender, signals[i].received_ms, reason);
    }
    if (rc == 0)
        rc = s_seal_insert (self,
                            "INSERT OR IGNORE INTO casus_analysis (decision_id, case_ref, body)"
                            " VALUES (?,?,?)",
                            key, d->decision_id, strlen (d->decision_id), &d->base, d->case_ref,
                            NULL, 0, reason);
    sodium_memzero (key, sizeof key);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

json_t *
casusoverleg_list (casusoverleg_t *self, int limit)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT c.case_ref, c.state, c.opened_ms, c.decision_id,"
                            " c.participants, (SELECT count(*) FROM casus_signal s"
                            " WHERE s.case_ref=c.case_ref) FROM casus c"
                            " ORDER BY c.opened_ms DESC LIMIT ?",
                            -1, &q, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_int (q, 1, limit);
    while (sqlite3_step (q) == SQLITE_ROW)
        json_array_append_new (list,
                               json_pack ("{s:s, s:s, s:I, s:s, s:s, s:I}", "case_ref",
                                          (const char *) sqlite3_column_text (q, 0), "state",
                                          (const char *) sqlite3_column_text (q, 1), "opened_ms",
                                          (json_int_t) sqlite3_column_int64 (q, 2), "decision_id",
                                          (const char *) sqlite3_column_text (q, 3), "participants",
                                          (const char *) sqlite3_column_text (q, 4), "signals",
                                          (json_int_t) sqlite3_column_int64 (q, 5)));
    sqlite3_finalize (q);
    return list;
}
