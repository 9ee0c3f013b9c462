/*  keystore: per-subject data keys.  */
#include "keystore.h"

#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

/*  The pool (keystore_take): keys made and committed ahead, handed out
 *  from memory, the key with its id (no read and unwrap per key: issue
 *  #17); the ones handed out leave key_pool with the next refill.  A
 *  pooled key seals nothing yet, and the storage key that unwraps every
 *  key is in memory anyway; the pool's keys are kept in sodium_malloc'd
 *  memory and wiped when handed out. */
#define POOL_TARGET 1024
#define POOL_LOW (POOL_TARGET / 2)
/*  Room in memory: key_pool holds at most POOL_TARGET ready keys plus
 *  the ones handed out since the last refill. */
#define POOL_ROOM (2 * POOL_TARGET)

struct _keystore_t {
    sqlite3 *db;
    const uint8_t *storage_key;
    sqlite3_stmt *insert, *select, *delete;
    bool pool_on;
    uint8_t (*pool)[KEYSTORE_ID_LEN]; /* ready, in key_pool */
    uint8_t (*pool_keys)[KEYSTORE_KEY_LEN]; /* their keys, sodium_malloc'd */
    size_t n_pool;
    uint8_t (*taken)[KEYSTORE_ID_LEN]; /* handed out, still in key_pool */
    size_t n_taken;
};

static const char *const s_migrations[] = {
    "CREATE TABLE data_key (key_id BLOB PRIMARY KEY, wrapped BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL) WITHOUT ROWID;",
    /*  Keys made ahead and not yet handed out (keystore_take). */
    "CREATE TABLE key_pool (key_id BLOB PRIMARY KEY) WITHOUT ROWID;",
    /*  Which storage key wraps the data keys: a keyed hash, no key. */
    "CREATE TABLE storage_check (id INTEGER PRIMARY KEY CHECK (id = 1), tag BLOB NOT NULL);",
};

static int
s_tag_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    if (!store_blob_is (q, 0, 32))
        return kt_fail (reason, "keystore.db's storage check is malformed");
    memcpy (arg, sqlite3_column_blob (q, 0), 32);
    return 0;
}

static int
s_newest_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    if (store_blob_is (q, 0, KEYSTORE_ID_LEN))
        memcpy (arg, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    return 0;
}

/*  The key file's storage key is the one that wrapped the data keys: a
 *  node started on a key file made anew (a key rotation without
 *  --storage-from) would find every personal record it holds unreadable,
 *  and is refused instead.  A keystore from before this check proves it
 *  with its newest key. */
int
keystore_check_storage (keystore_t *self, kt_reason_t *reason)
{
    static const char s_context[] = "keten/storage-check";
    uint8_t tag[32], kept[32];
    crypto_generichash (tag, sizeof tag, (const uint8_t *) s_context, sizeof s_context - 1,
                        self->storage_key, 32);
    int found =
        store_one (self->db, "SELECT tag FROM storage_check WHERE id=?",
                   STORE_VALUES (STORE_INT (1)), s_tag_row, kept, "read the storage check", reason);
    bool differs = false;
    if (found < 0)
        return -1;
    if (found == 1)
        differs = sodium_memcmp (tag, kept, 32) != 0;
    else {
        uint8_t newest[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
        int have = store_one (self->db, "SELECT key_id FROM data_key ORDER BY key_id DESC LIMIT ?",
                              STORE_VALUES (STORE_INT (1)), s_newest_row, newest,
                              "read the newest data key", reason);
        if (have < 0)
            return -1;
        kt_reason_t why;
        differs = have == 1 && keystore_get (self, newest, key, &why) != 0;
        sodium_memzero (key, sizeof key);
        if (!differs &&
            store_run (self->db, "INSERT INTO storage_check (id, tag) VALUES (1, ?)",
                       STORE_VALUES (STORE_BLOB (tag, 32)), "keep the storage check", reason) < 0)
            return -1;
    }
    if (differs) {
        kt_fail (reason, "the data keys in keystore.db are wrapped under another storage key than "
                         "this key file's, so every personal record of this node would be "
                         "unreadable: start with the key file that wrapped them, or make the "
                         "rotated one keeping it (keten keygen --storage-from OLD.secret)");
        return KEYSTORE_OTHER_STORAGE_KEY;
    }
    return 0;
}

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
    if (!self->db ||
        store_migrate (self->db, "keystore", s_migrations,
                       sizeof s_migrations / sizeof s_migrations[0], reason) != 0 ||
        !(self->insert = store_prepare (
              self->db, "INSERT INTO data_key (key_id, wrapped, created_ms) VALUES (?,?,?)",
              reason)) ||
        !(self->select =
              store_prepare (self->db, "SELECT wrapped FROM data_key WHERE key_id=?", reason)) ||
        !(self->delete = store_prepare (self->db, "DELETE FROM data_key WHERE key_id=?", reason))) {
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
    free (self->pool);
    if (self->pool_keys)
        sodium_free (self->pool_keys);
    free (self->taken);
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
    crypto_aead_xchacha20poly1305_ietf_encrypt (out + NONCE_LEN, NULL, plain, plain_len, ad, ad_len,
                                                NULL, out, key);
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
                                                    sealed_len - NONCE_LEN, ad, ad_len, sealed,
                                                    key) != 0) {
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
                       &wrapped_len) != 0)
        return kt_fail (reason, "out of memory");
    int rc =
        store_run_stmt (self->insert,
                        STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                      STORE_BLOB (wrapped, wrapped_len), STORE_INT (kt_now_ms ())),
                        "store the data key", reason);
    free (wrapped);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    keystore_t *self;
    const uint8_t *key_id;
    uint8_t *key;
    bool found;
} unwrapping_t;

static int
s_unwrap_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    unwrapping_t *u = arg;
    uint8_t *plain = NULL;
    size_t len = 0;
    u->found = true;
    int rc = keystore_unseal (u->self->storage_key, u->key_id, KEYSTORE_ID_LEN,
                              sqlite3_column_blob (q, 0), (size_t) sqlite3_column_bytes (q, 0),
                              &plain, &len) == 0 &&
                     len == KEYSTORE_KEY_LEN
                 ? 0
                 : kt_fail (reason, "data key does not unwrap with this node's storage key");
    if (rc == 0)
        memcpy (u->key, plain, KEYSTORE_KEY_LEN);
    if (plain) {
        sodium_memzero (plain, len);
        free (plain);
    }
    return rc < 0 ? -1 : 1;
}

int
keystore_get (keystore_t *self, const uint8_t key_id[KEYSTORE_ID_LEN],
              uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason)
{
    unwrapping_t u = {self, key_id, key, false};
    if (store_each_stmt (self->select, store_bind_values,
                         (void *) STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN)), s_unwrap_row,
                         &u, "read the data key", reason) != 0)
        return -1;
    return u.found ? 0 : kt_fail (reason, "data key destroyed or unknown");
}

int
keystore_shred (keystore_t *self, const uint8_t key_id[KEYSTORE_ID_LEN], kt_reason_t *reason)
{
    return store_run_stmt (self->delete, STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN)),
                           "destroy the data key", reason) < 0
               ? -1
               : 0;
}

int
keystore_unseal_message (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                         const uint8_t *sealed, size_t sealed_len,
                         const ProtobufCMessageDescriptor *desc, ProtobufCMessage **msg_p)
{
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    *msg_p = NULL;
    if (keystore_unseal (key, ad, ad_len, sealed, sealed_len, &plain, &plain_len) != 0)
        return KEYSTORE_TAMPERED;
    *msg_p = protobuf_c_message_unpack (desc, NULL, plain_len, plain);
    sodium_memzero (plain, plain_len);
    free (plain);
    return *msg_p ? 0 : KEYSTORE_UNDECODABLE;
}

int
keystore_record_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    keystore_record_t *r = arg;
    uint8_t key[KEYSTORE_KEY_LEN];
    r->result = KEYSTORE_NO_RECORD;
    if (sqlite3_column_type (row, r->body_col) != SQLITE_BLOB ||
        (r->keystore && !store_blob_is (row, 0, KEYSTORE_ID_LEN)))
        return 0;
    if (r->keystore && keystore_get (r->keystore, sqlite3_column_blob (row, 0), key, reason) != 0)
        return -1;
    r->result = keystore_unseal_message (
        r->keystore ? key : r->key, r->ad, r->ad_len, sqlite3_column_blob (row, r->body_col),
        (size_t) sqlite3_column_bytes (row, r->body_col), r->desc, &r->msg);
    sodium_memzero (key, sizeof key);
    return 0;
}

int
keystore_id_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    keystore_id_t *k = arg;
    *k->found = store_blob_is (row, 0, KEYSTORE_ID_LEN);
    if (*k->found)
        memcpy (k->id, sqlite3_column_blob (row, 0), KEYSTORE_ID_LEN);
    return 0;
}

/* ---- the pool ------------------------------------------------------------- */

typedef struct {
    keystore_t *self;
    sqlite3 *db;          /* the caller's file */
    const char *used_sql; /* a row for a key_id it uses */
    size_t dropped;
} loading_t;

static int
s_used_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) q;
    (void) reason;
    *(bool *) arg = true;
    return 1;
}

/*  Whether the caller's table uses key_id; an error counts as in use:
 *  such a key is only never handed out. */
static bool
s_used (const loading_t *l, const uint8_t key_id[KEYSTORE_ID_LEN])
{
    bool used = false;
    kt_reason_t reason;
    if (store_one (l->db, l->used_sql, STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN)),
                   s_used_row, &used, "check a pooled key", &reason) < 0)
        return true;
    return used;
}

static int
s_pool_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    loading_t *l = arg;
    keystore_t *self = l->self;
    if (!store_blob_is (q, 0, KEYSTORE_ID_LEN))
        return kt_fail (reason, "key_pool holds a malformed key id");
    const uint8_t *id = sqlite3_column_blob (q, 0);
    /*  Handed out before a crash cut off its leaving the pool: the
     *  caller's table uses it, so it is never handed out again. */
    bool used = s_used (l, id);
    /*  A key wrapped under another storage key (a key file replaced) is
     *  of no use: out of the pool like one in use. */
    kt_reason_t why;
    bool opens = !used && self->n_pool < POOL_TARGET &&
                 keystore_get (self, id, self->pool_keys[self->n_pool], &why) == 0;
    if (opens)
        memcpy (self->pool[self->n_pool++], id, KEYSTORE_ID_LEN);
    else if (self->n_taken < POOL_ROOM) {
        /*  In use, or more than the pool needs: out of key_pool with the
         *  refill below (an unused key left over is an unused key). */
        memcpy (self->taken[self->n_taken++], id, KEYSTORE_ID_LEN);
        l->dropped += used;
    } else
        return 1; /* the rest at the next start */
    return 0;
}

int
keystore_pool_open (keystore_t *self, sqlite3 *db, const char *used_sql, kt_reason_t *reason)
{
    /*  sodium_malloc needs libsodium started (idempotent; ketend has). */
    if (sodium_init () < 0)
        return kt_fail (reason, "libsodium cannot start");
    self->pool = malloc (POOL_ROOM * sizeof *self->pool);
    self->pool_keys = sodium_malloc (POOL_ROOM * sizeof *self->pool_keys);
    self->taken = malloc (POOL_ROOM * sizeof *self->taken);
    if (!self->pool || !self->pool_keys || !self->taken)
        return kt_fail (reason, "out of memory");
    /*  A pooled key whose data_key row is gone (shredded with the data it
     *  sealed, its leaving the pool cut off by a crash) is no key. */
    if (store_exec (self->db,
                    "DELETE FROM key_pool WHERE key_id NOT IN (SELECT key_id FROM data_key)",
                    reason) != 0)
        return -1;
    loading_t l = {self, db, used_sql, 0};
    if (store_each (self->db, "SELECT key_id FROM key_pool ORDER BY key_id", NULL, NULL, s_pool_row,
                    &l, "read the key pool", reason) != 0)
        return -1;
    self->pool_on = true;
    if (l.dropped)
        kt_log (KT_LOG_INFO, "keystore pool keys_in_use=%zu (a crash cut off their leaving)",
                l.dropped);
    return keystore_pool_refill (self, reason);
}

int
keystore_take (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
               kt_reason_t *reason)
{
    if (!self->pool_on || self->n_pool == 0 || self->n_taken == POOL_ROOM)
        return keystore_create (self, key_id, key, reason);
    /*  Out of the pool in memory first: whatever happens to the caller's
     *  transaction, this id is never handed out again in this run. */
    (void) reason;
    self->n_pool--;
    memcpy (key_id, self->pool[self->n_pool], KEYSTORE_ID_LEN);
    memcpy (key, self->pool_keys[self->n_pool], KEYSTORE_KEY_LEN);
    sodium_memzero (self->pool_keys[self->n_pool], KEYSTORE_KEY_LEN);
    memcpy (self->taken[self->n_taken++], key_id, KEYSTORE_ID_LEN);
    return 0;
}

int
keystore_pool_refill (keystore_t *self, kt_reason_t *reason)
{
    if (!self->pool_on || (self->n_pool >= POOL_LOW && self->n_taken < POOL_LOW))
        return 0;
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < self->n_taken; i++)
        rc = store_run (self->db, "DELETE FROM key_pool WHERE key_id=?",
                        STORE_VALUES (STORE_BLOB (self->taken[i], KEYSTORE_ID_LEN)),
                        "take a key from the pool", reason) < 0
                 ? -1
                 : 0;
    size_t made = 0;
    uint8_t (*fresh)[KEYSTORE_ID_LEN] = malloc (POOL_TARGET * sizeof *fresh);
    uint8_t (*fresh_keys)[KEYSTORE_KEY_LEN] = sodium_malloc (POOL_TARGET * sizeof *fresh_keys);
    if (!fresh || !fresh_keys)
        rc = kt_fail (reason, "out of memory");
    while (rc == 0 && self->n_pool + made < POOL_TARGET) {
        rc = keystore_create (self, fresh[made], fresh_keys[made], reason);
        if (rc == 0)
            rc = store_run (self->db, "INSERT INTO key_pool (key_id) VALUES (?)",
                            STORE_VALUES (STORE_BLOB (fresh[made], KEYSTORE_ID_LEN)),
                            "fill the key pool", reason) < 0
                     ? -1
                     : 0;
        if (rc == 0)
            made++;
    }
    if (rc == 0)
        rc = store_commit (self->db, reason);
    if (rc != 0) {
        store_rollback (self->db);
        free (fresh);
        if (fresh_keys)
            sodium_free (fresh_keys);
        return -1;
    }
    /*  Newest first out: the pool is a stack, the ids time-ordered. */
    memmove (self->pool[made], self->pool[0], self->n_pool * sizeof *self->pool);
    memmove (self->pool_keys[made], self->pool_keys[0], self->n_pool * sizeof *self->pool_keys);
    for (size_t i = 0; i < made; i++) {
        memcpy (self->pool[i], fresh[made - 1 - i], KEYSTORE_ID_LEN);
        memcpy (self->pool_keys[i], fresh_keys[made - 1 - i], KEYSTORE_KEY_LEN);
    }
    self->n_pool += made;
    self->n_taken = 0;
    free (fresh);
    sodium_free (fresh_keys);
    return 0;
}

size_t
keystore_pool_size (keystore_t *self)
{
    return self->n_pool;
}
