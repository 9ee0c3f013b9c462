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
    sqlite3_stmt *insert, *held, *release;
};

static const char *const s_migrations[] = {
    "CREATE TABLE signal (message_id BLOB PRIMARY KEY, local_ref TEXT NOT NULL,"
    " category TEXT NOT NULL, wpg_basis INTEGER NOT NULL, held INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, submitted_uid INTEGER NOT NULL, key_id BLOB NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE INDEX signal_created ON signal (created_ms);",
    /*  Wpg machtigingsbesluit: who released a held signal, when, and the
     *  OM officer consulted (sealed under the signal's key). */
    "ALTER TABLE signal ADD COLUMN released_ms INTEGER;"
    "ALTER TABLE signal ADD COLUMN released_uid INTEGER;"
    "ALTER TABLE signal ADD COLUMN om_consulted BLOB;",
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
                 reason))
        || !(self->held = store_prepare (
                 db, "SELECT held, key_id, body FROM signal WHERE message_id=?", reason))
        || !(self->release = store_prepare (db,
                                            "UPDATE signal SET held=0, released_ms=?,"
                                            " released_uid=?, om_consulted=? WHERE message_id=?"
                                            " AND held=1",
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
    sqlite3_finalize (self->held);
    sqlite3_finalize (self->release);
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
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, id, KT_ID_LEN, &signal->base, &sealed, &sealed_len);
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

int
signalbox_release (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint32_t uid,
                   const char *om_consulted, uint64_t now_ms, Keten__Signal **signal_p,
                   kt_reason_t *reason)
{
    sqlite3_stmt *q = self->held;
    sqlite3_reset (q);
    sqlite3_bind_blob (q, 1, id, KT_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step (q) != SQLITE_ROW) {
        sqlite3_reset (q);
        return kt_fail (reason, "no signal with this message id on this node");
    }
    if (sqlite3_column_int (q, 0) != 1 || sqlite3_column_bytes (q, 1) != KEYSTORE_ID_LEN) {
        sqlite3_reset (q);
        return kt_fail (reason, "this signal is not held; only held art. 9/10 Wpg signals are "
                                "released");
    }
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    memcpy (key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
    uint8_t *plain = NULL, *sealed_om = NULL;
    size_t plain_len = 0, sealed_om_len = 0;
    int rc = keystore_get (self->keystore, key_id, key, reason);
    if (rc == 0
        && keystore_unseal (key, id, KT_ID_LEN, sqlite3_column_blob (q, 2),
                            (size_t) sqlite3_column_bytes (q, 2), &plain, &plain_len)
               != 0)
        rc = kt_fail (reason, "the stored signal does not decrypt");
    sqlite3_reset (q);
    Keten__Signal *signal = rc == 0 ? keten__signal__unpack (NULL, plain_len, plain) : NULL;
    if (rc == 0 && !signal)
        rc = kt_fail (reason, "the stored signal does not decode");
    if (rc == 0 && keystore_seal (key, "om", 2, om_consulted, strlen (om_consulted), &sealed_om,
                                  &sealed_om_len)
                       != 0)
        rc = kt_fail (reason, "out of memory");
    if (rc == 0) {
        sqlite3_stmt *u = self->release;
        sqlite3_reset (u);
        sqlite3_bind_int64 (u, 1, (sqlite3_int64) now_ms);
        sqlite3_bind_int64 (u, 2, uid);
        sqlite3_bind_blob (u, 3, sealed_om, (int) sealed_om_len, SQLITE_STATIC);
        sqlite3_bind_blob (u, 4, id, KT_ID_LEN, SQLITE_STATIC);
        if (sqlite3_step (u) != SQLITE_DONE || sqlite3_changes (self->db) != 1)
            rc = kt_fail (reason, "cannot record the release: %s", sqlite3_errmsg (self->db));
        sqlite3_reset (u);
    }
    sodium_memzero (key, sizeof key);
    if (plain) {
        sodium_memzero (plain, plain_len);
        free (plain);
    }
    free (sealed_om);
    if (rc != 0) {
        if (signal)
            keten__signal__free_unpacked (signal, NULL);
        return -1;
    }
    *signal_p = signal;
    return 0;
}

json_t *
signalbox_list (signalbox_t *self, int limit)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT s.message_id, s.local_ref, s.category, s.held, s.created_ms,"
                            " o.state, o.settled_ms, o.log_index, o.reason, s.released_ms FROM signal s"
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
        if (sqlite3_column_type (q, 9) != SQLITE_NULL)
            json_object_set_new (o, "released_ms", json_integer (sqlite3_column_int64 (q, 9)));
        if (sqlite3_column_type (q, 8) != SQLITE_NULL)
            json_object_set_new (o, "reason",
                                 json_string ((const char *) sqlite3_column_text (q, 8)));
        json_array_append_new (list, o);
    }
    sqlite3_finalize (q);
    return list;
}
