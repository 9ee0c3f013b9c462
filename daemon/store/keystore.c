/*  keystore: per-subject data keys.  */
#include "keystore.h"

#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

struct _keystore_t {
    sqlite3 *db;
    const uint8_t *storage_key;
    sqlite3_stmt *insert, *select, *delete;
};

static const char *const s_migrations[] = {
    "CREATE TABLE data_key (key_id BLOB PRIMARY KEY, wrapped BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL) WITHOUT ROWID;",
};

keystore_t *
keystore_open (const char *path, const uint8_t storage_key[32], kt_reason_t *reason)
{
    keystore_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->storage_key = storage_key;
    self->db = store_open (path, reason);
    if (!self->db
        || store_migrate (self->db, "keystore", s_migrations, sizeof s_migrations / sizeof s_migrations[0], reason) != 0
        || !(self->insert = store_prepare (
                 self->db, "INSERT INTO data_key (key_id, wrapped, created_ms) VALUES (?,?,?)",
                 reason))
        || !(self->select
             = store_prepare (self->db, "SELECT wrapped FROM data_key WHERE key_id=?", reason))
        || !(self->delete = store_prepare (self->db, "DELETE FROM data_key WHERE key_id=?", reason))) {
        keystore_destroy (&self);
        return NULL;
    }
    return self;
}

void
keystore_destroy (keystore_t **self_p)
{
    keystore_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->select);
    sqlite3_finalize (self->delete);
    store_close (&self->db);
    free (self);
    *self_p = NULL;
}

sqlite3 *
keystore_db (keystore_t *self)
{
    return self->db;
}

int
keystore_seal (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
               const void *plain, size_t plain_len, uint8_t **out_p, size_t *out_len_p)
{
    size_t len = NONCE_LEN + plain_len + TAG_LEN;
    uint8_t *out = malloc (len);
    if (!out)
        return -1;
    randombytes_buf (out, NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt (out + NONCE_LEN, NULL, plain, plain_len, ad,
                                                ad_len, NULL, out, key);
    *out_p = out;
    *out_len_p = len;
    return 0;
}

int
keystore_seal_message (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                       const ProtobufCMessage *msg, uint8_t **out_p, size_t *out_len_p)
{
    size_t len = protobuf_c_message_get_packed_size (msg);
    uint8_t *packed = malloc (len ? len : 1);
    if (!packed)
        return -1;
    protobuf_c_message_pack (msg, packed);
    int rc = keystore_seal (key, ad, ad_len, packed, len, out_p, out_len_p);
    sodium_memzero (packed, len);
    free (packed);
    return rc;
}

int
keystore_unseal (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                 const uint8_t *sealed, size_t sealed_len, uint8_t **plain_p, size_t *plain_len_p)
{
    if (sealed_len < NONCE_LEN + TAG_LEN)
        return -1;
    size_t len = sealed_len - NONCE_LEN - TAG_LEN;
    uint8_t *plain = malloc (len ? len : 1);
    if (!plain)
        return -1;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt (plain, NULL, NULL, sealed + NONCE_LEN,
                                                    sealed_len - NONCE_LEN, ad, ad_len, sealed, key)
        != 0) {
        free (plain);
        return -1;
    }
    *plain_p = plain;
    *plain_len_p = len;
    return 0;
}

int
keystore_create (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
                 kt_reason_t *reason)
{
    kt_ordered_id (key_id, KEYSTORE_ID_LEN);
    crypto_aead_xchacha20poly1305_ietf_keygen (key);
    uint8_t *wrapped;
    size_t wrapped_len;
    if (keystore_seal (self->storage_key, key_id, KEYSTORE_ID_LEN, key, KEYSTORE_KEY_LEN, &wrapped,
                       &wrapped_len)
        != 0)
        return kt_fail (reason, "out of memory");
    sqlite3_reset (self->insert);
    sqlite3_bind_blob (self->insert, 1, key_id, KEYSTORE_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob (self->insert, 2, wrapped, (int) wrapped_len, SQLITE_STATIC);
    sqlite3_bind_int64 (self->insert, 3, (sqlite3_int64) kt_now_ms ());
    int rc = sqlite3_step (self->insert);
    sqlite3_reset (self->insert);
    free (wrapped);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot store data key: %s", sqlite3_errmsg (self->db));
    return 0;
}

int
keystore_get (keystore_t *self, const uint8_t key_id[KEYSTORE_ID_LEN],
              uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason)
{
    sqlite3_reset (self->select);
    sqlite3_bind_blob (self->select, 1, key_id, KEYSTORE_ID_LEN, SQLITE_STATIC);
    int rc = -1;
    if (sqlite3_step (self->select) != SQLITE_ROW)
        kt_fail (reason, "data key destroyed or unknown");
    else {
        uint8_t *plain = NULL;
        size_t len = 0;
        const uint8_t *wrapped = sqlite3_column_blob (self->select, 0);
        int wlen = sqlite3_column_bytes (self->select, 0);
        if (keystore_unseal (self->storage_key, key_id, KEYSTORE_ID_LEN, wrapped, (size_t) wlen,
                             &plain, &len)
                == 0
            && len == KEYSTORE_KEY_LEN) {
            memcpy (key, plain, KEYSTORE_KEY_LEN);
            rc = 0;
        } else
            kt_fail (reason, "data key does not unwrap with this node's storage key");
        if (plain) {
            sodium_memzero (plain, len);
            free (plain);
        }
    }
    sqlite3_reset (self->select);
    return rc;
}

int
keystore_shred (keystore_t *self, const uint8_t key_id[KEYSTORE_ID_LEN], kt_reason_t *reason)
{
    sqlite3_reset (self->delete);
    sqlite3_bind_blob (self->delete, 1, key_id, KEYSTORE_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step (self->delete);
    sqlite3_reset (self->delete);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot destroy data key: %s", sqlite3_errmsg (self->db));
    return 0;
}
