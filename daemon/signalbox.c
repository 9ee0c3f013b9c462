/*  signalbox: the partner's own signals.  */
#include "signalbox.h"

#include "outbox.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _signalbox_t {
    sqlite3 *db;
    keystore_t *keystore;
    sqlite3_stmt *insert;
};

static const char *const s_migrations[] = {
    "CREATE TABLE signal (message_id BLOB PRIMARY KEY, local_ref TEXT NOT NULL,"
    " category TEXT NOT NULL, wpg_basis INTEGER NOT NULL, held INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, submitted_uid INTEGER NOT NULL, key_id BLOB NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE INDEX signal_created ON signal (created_ms);",
};

signalbox_t *
signalbox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason)
{
    signalbox_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    self->keystore = keystore;
    if (store_migrate (db, "signalbox", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason)
            != 0
        || !(self->insert = store_prepare (
                 db,
                 "INSERT INTO signal (message_id, local_ref, category, wpg_basis, held,"
                 " created_ms, submitted_uid, key_id, body) VALUES (?,?,?,?,?,?,?,?,?)",
                 reason))) {
        signalbox_destroy (&self);
        return NULL;
    }
    return self;
}

void
signalbox_destroy (signalbox_t **self_p)
{
    signalbox_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    free (self);
    *self_p = NULL;
}

int
signalbox_insert (signalbox_t *self, const uint8_t id[KT_ID_LEN], const Keten__Signal *signal,
                  bool held, uint32_t uid, uint64_t now_ms, kt_reason_t *reason)
{
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    if (keystore_create (self->keystore, key_id, key, reason) != 0)
        return -1;
    size_t len = keten__signal__get_packed_size (signal);
    uint8_t *packed = malloc (len ? len : 1), *sealed = NULL;
    size_t sealed_len = 0;
    int rc = -1;
    if (packed) {
        keten__signal__pack (signal, packed);
        rc = keystore_seal (key, id, KT_ID_LEN, packed, len, &sealed, &sealed_len);
        sodium_memzero (packed, len);
        free (packed);
    }
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    sqlite3_stmt *s = self->insert;
    sqlite3_reset (s);
    sqlite3_bind_blob (s, 1, id, KT_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, signal->local_ref, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 3, signal->category, -1, SQLITE_STATIC);
    sqlite3_bind_int (s, 4, (int) signal->wpg_basis);
    sqlite3_bind_int (s, 5, held);
    sqlite3_bind_int64 (s, 6, (sqlite3_int64) now_ms);
    sqlite3_bind_int64 (s, 7, uid);
    sqlite3_bind_blob (s, 8, key_id, KEYSTORE_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob (s, 9, sealed, (int) sealed_len, SQLITE_STATIC);
    rc = sqlite3_step (s) == SQLITE_DONE ? 0 : kt_fail (reason, "cannot store signal: %s",
                                                         sqlite3_errmsg (self->db));
    sqlite3_reset (s);
    free (sealed);
    return rc;
}

json_t *
signalbox_list (signalbox_t *self, int limit)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT s.message_id, s.local_ref, s.category, s.held, s.created_ms,"
                            " o.state, o.settled_ms, o.log_index, o.reason FROM signal s"
                            " LEFT JOIN outbox o ON o.id = s.message_id"
                            " ORDER BY s.created_ms DESC, s.rowid DESC LIMIT ?",
                            -1, &q, NULL)
        != SQLITE_OK)
        return list;
    sqlite3_bind_int (q, 1, limit);
    while (sqlite3_step (q) == SQLITE_ROW) {
        char hex[KT_ID_HEX] = "";
        if (sqlite3_column_bytes (q, 0) == KT_ID_LEN)
            kt_hex (hex, sqlite3_column_blob (q, 0), KT_ID_LEN);
        const char *state = "held";
        if (sqlite3_column_type (q, 5) != SQLITE_NULL) {
            int st = sqlite3_column_int (q, 5);
            state = st == OUTBOX_DELIVERED ? "delivered" : st == OUTBOX_REFUSED ? "refused" : "queued";
        }
        json_t *o = json_pack ("{s:s, s:s, s:s, s:s, s:I}", "message_id", hex, "local_ref",
                               (const char *) sqlite3_column_text (q, 1), "category",
                               (const char *) sqlite3_column_text (q, 2), "state", state,
                               "created_ms", (json_int_t) sqlite3_column_int64 (q, 4));
        if (sqlite3_column_type (q, 6) != SQLITE_NULL)
            json_object_set_new (o, "delivered_ms", json_integer (sqlite3_column_int64 (q, 6)));
        if (sqlite3_column_type (q, 7) != SQLITE_NULL)
            json_object_set_new (o, "log_index", json_integer (sqlite3_column_int64 (q, 7)));
        if (sqlite3_column_type (q, 8) != SQLITE_NULL)
            json_object_set_new (o, "reason",
                                 json_string ((const char *) sqlite3_column_text (q, 8)));
        json_array_append_new (list, o);
    }
    sqlite3_finalize (q);
    return list;
}
