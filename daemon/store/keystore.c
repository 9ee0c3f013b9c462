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
 *  #17).  Each refill lists the ids of the keys it made in one
 *  key_pool_list row, deleted by a later refill once none of its keys is
 *  in the pool any more: no row is written or deleted per key handed out.
 *  A pooled key seals nothing yet, and the storage key that unwraps every
 *  key is in memory anyway; the pool's keys are kept in sodium_malloc'd
 *  memory and wiped when handed out. */
#define POOL_TARGET 1024
#define POOL_LOW (POOL_TARGET / 2)
/*  Ids an older release's key_pool may hold (it kept at most 2,048). */
#define POOL_LEGACY_MAX (4 * POOL_TARGET)

struct _keystore_t {
    store_rows_t *rows; /* a refill's data_key rows (store_rows_new) */
    sqlite3 *db;
    const uint8_t *storage_key;
    sqlite3_stmt *insert, *select, *delete;
    bool pool_on;
    uint8_t (*pool)[KEYSTORE_ID_LEN];       /* ready */
    uint8_t (*pool_keys)[KEYSTORE_KEY_LEN]; /* their keys, sodium_malloc'd */
    int64_t *pool_list;                     /* the key_pool_list row that lists each */
    size_t n_pool;
    int64_t *lists; /* the key_pool_list rows there are */
    size_t n_lists, cap_lists;
    bool readonly; /* keystore_open_readonly: nothing is written */
};

static const char *const s_migrations[] = {
    ("CREATE TABLE data_key (key_id BLOB PRIMARY KEY, wrapped BLOB NOT NULL,"
     " created_ms INTEGER NOT NULL) WITHOUT ROWID;"),
    /*  Keys made ahead and not yet handed out (keystore_take), a row
     *  each: an older release's; read once into key_pool_list. */
    "CREATE TABLE key_pool (key_id BLOB PRIMARY KEY) WITHOUT ROWID;",
    /*  Which storage key wraps the data keys: a keyed hash, no key. */
    "CREATE TABLE storage_check (id INTEGER PRIMARY KEY CHECK (id = 1), tag BLOB NOT NULL);",
    /*  The keys a refill made, their ids one after the other (issue #17);
     *  those the caller's table does not use and that still unwrap are
     *  the pool (keystore_pool_open). */
    "CREATE TABLE key_pool_list (id INTEGER PRIMARY KEY, key_ids BLOB NOT NULL);",
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
    /*  Read only: a file of an older release may lack the check's table
     *  (its migration is a start's), or hold no data key at all. */
    if (self->readonly && !self->select)
        return 0;
    int found = self->readonly ? store_has_table (self->db, "storage_check", reason) : 1;
    if (found > 0)
        found = store_one (self->db, "SELECT tag FROM storage_check WHERE id=?",
                           STORE_VALUES (STORE_INT (1)), s_tag_row, kept, "read the storage check",
                           reason);
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
        if (!differs && !self->readonly &&
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
        !(self->delete = store_prepare (self->db, "DELETE FROM data_key WHERE key_id=?", reason)) ||
        !(self->rows = store_rows_new (
              self->db, "INSERT INTO data_key (key_id, wrapped, created_ms)", 3, reason))) {
        keystore_destroy (&self);
        return NULL;
    }
    return self;
}

keystore_t *
keystore_open_readonly (const char *path, const uint8_t storage_key[32], kt_reason_t *reason)
{
    keystore_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->storage_key = storage_key;
    self->readonly = true;
    int keys = -1;
    if (!(self->db = store_open_readonly (path, reason)) ||
        (keys = store_has_table (self->db, "data_key", reason)) < 0 ||
        (keys > 0 && !(self->select = store_prepare (
                           self->db, "SELECT wrapped FROM data_key WHERE key_id=?", reason)))) {
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
    store_rows_destroy (&self->rows);
    store_close (&self->db);
    free (self->pool);
    if (self->pool_keys)
        sodium_free (self->pool_keys);
    free (self->pool_list);
    free (self->lists);
    free (self);
    *self_p = NULL;
}

sqlite3 *
keystore_db (keystore_t *self)
{
    return self->db;
}

/*  keystore_seal under the given nonce (NULL: a fresh one). */
static int
s_seal (const uint8_t key[KEYSTORE_KEY_LEN], const uint8_t *nonce, const void *ad, size_t ad_len,
        const void *plain, size_t plain_len, uint8_t **out_p, size_t *out_len_p)
{
    size_t len = NONCE_LEN + plain_len + TAG_LEN;
    uint8_t *out = malloc (len);
    if (!out)
        return -1;
    if (nonce)
        memcpy (out, nonce, NONCE_LEN);
    else
        kt_random_buf (out, NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt (out + NONCE_LEN, NULL, plain, plain_len, ad, ad_len,
                                                NULL, out, key);
    *out_p = out;
    *out_len_p = len;
    return 0;
}

int
keystore_seal (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
               const void *plain, size_t plain_len, uint8_t **out_p, size_t *out_len_p)
{
    return s_seal (key, NULL, ad, ad_len, plain, plain_len, out_p, out_len_p);
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

/*  A new data key, its id and its wrap under the storage key (*wrapped_p,
 *  heap): 0, or -1 when out of memory. */
static int
s_make (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
        uint8_t **wrapped_p, size_t *wrapped_len_p)
{
    /*  The key, its wrap's nonce and its id's random part from one draw
     *  (as envelope_seal). */
    uint8_t fresh[KEYSTORE_KEY_LEN + NONCE_LEN + KEYSTORE_ID_LEN - 6];
    kt_random_buf (fresh, sizeof fresh);
    kt_ordered_id_from (key_id, KEYSTORE_ID_LEN, fresh + KEYSTORE_KEY_LEN + NONCE_LEN);
    memcpy (key, fresh, KEYSTORE_KEY_LEN);
    int sealed = s_seal (self->storage_key, fresh + KEYSTORE_KEY_LEN, key_id, KEYSTORE_ID_LEN, key,
                         KEYSTORE_KEY_LEN, wrapped_p, wrapped_len_p);
    sodium_memzero (fresh, sizeof fresh);
    return sealed;
}

int
keystore_create (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
                 kt_reason_t *reason)
{
    uint8_t *wrapped;
    size_t wrapped_len;
    if (s_make (self, key_id, key, &wrapped, &wrapped_len) != 0)
        return kt_fail (reason, "out of memory");
    int rc =
        store_run_stmt (self->insert,
                        STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                      STORE_BLOB (wrapped, wrapped_len), STORE_INT (kt_now_ms ())),
                        "store the data key", reason);
    free (wrapped);
    return rc < 0 ? -1 : 0;
}

/*  keystore_create for a refill: the row inserted with the refill's
 *  others, by store_rows_flush on self->rows. */
static int
s_create_row (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
              uint64_t now_ms, kt_reason_t *reason)
{
    uint8_t *wrapped;
    size_t wrapped_len;
    if (s_make (self, key_id, key, &wrapped, &wrapped_len) != 0)
        return kt_fail (reason, "out of memory");
    int rc = store_rows_add (self->rows,
                             STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                           STORE_BLOB (wrapped, wrapped_len), STORE_INT (now_ms)),
                             reason);
    free (wrapped);
    return rc;
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

/*  A key a list names, considered for the pool at the start. */
typedef struct {
    uint8_t id[KEYSTORE_ID_LEN];
    int64_t list;
    bool used;
} listed_t;

/*  The keys the lists name, at most POOL_LISTED_MAX (more are left out:
 *  unused keys left over), and the same sorted by id. */
typedef struct {
    keystore_t *self;
    listed_t *keys;
    size_t n;
    listed_t **by_id;
} loading_t;

/*  Keys the lists may name at the start: a refill lists at most
 *  POOL_TARGET, and a list lives until its keys have left the pool. */
#define POOL_LISTED_MAX (4 * POOL_TARGET)

/*  Room for one more key_pool_list row in memory. */
static int
s_list_room (keystore_t *self)
{
    if (self->n_lists < self->cap_lists)
        return 0;
    size_t cap = self->cap_lists ? 2 * self->cap_lists : 8;
    int64_t *grown = realloc (self->lists, cap * sizeof *grown);
    if (!grown)
        return -1;
    self->lists = grown;
    self->cap_lists = cap;
    return 0;
}

static int
s_list_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    loading_t *l = arg;
    keystore_t *self = l->self;
    int64_t list = sqlite3_column_int64 (q, 0);
    size_t len = (size_t) sqlite3_column_bytes (q, 1);
    if (sqlite3_column_type (q, 1) != SQLITE_BLOB || len == 0 || len % KEYSTORE_ID_LEN != 0)
        return kt_fail (reason, "key_pool_list row %lld is malformed", (long long) list);
    if (s_list_room (self) != 0)
        return kt_fail (reason, "out of memory");
    self->lists[self->n_lists++] = list;
    const uint8_t *ids = sqlite3_column_blob (q, 1);
    for (size_t i = 0; i < len / KEYSTORE_ID_LEN && l->n < POOL_LISTED_MAX; i++) {
        memcpy (l->keys[l->n].id, ids + i * KEYSTORE_ID_LEN, KEYSTORE_ID_LEN);
        l->keys[l->n].list = list;
        l->keys[l->n++].used = false;
    }
    return 0;
}

static int
s_by_id (const void *a, const void *b)
{
    return memcmp ((*(listed_t *const *) a)->id, (*(listed_t *const *) b)->id, KEYSTORE_ID_LEN);
}

/*  A key id the caller uses: if a list names it, that key is in use. */
static int
s_used_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    loading_t *l = arg;
    if (!store_blob_is (q, 0, KEYSTORE_ID_LEN))
        return 0;
    listed_t probe, *key = &probe;
    memcpy (probe.id, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    listed_t **found = bsearch (&key, l->by_id, l->n, sizeof *l->by_id, s_by_id);
    if (found)
        (*found)->used = true;
    return 0;
}

/*  Which listed keys the caller uses, each of its queries run once (a
 *  pass over its tables, not a lookup per key).  A query that fails
 *  leaves every listed key counted as used: such keys are only never
 *  handed out. */
static void
s_mark_used (loading_t *l, sqlite3 *db, const char *const *used_sql)
{
    for (size_t i = 0; i < l->n; i++)
        l->by_id[i] = &l->keys[i];
    qsort (l->by_id, l->n, sizeof *l->by_id, s_by_id);
    for (size_t k = 0; used_sql[k]; k++) {
        kt_reason_t why;
        if (store_each (db, used_sql[k], NULL, NULL, s_used_row, l, "find the pooled keys in use",
                        &why) != 0) {
            kt_log (KT_LOG_INFO, "keystore pool_keys_left_out count=%zu reason=\"%s\"", l->n,
                    why.text);
            for (size_t i = 0; i < l->n; i++)
                l->keys[i].used = true;
            return;
        }
    }
}

typedef struct {
    uint8_t *ids;
    size_t n;
} legacy_t;

static int
s_legacy_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    legacy_t *l = arg;
    if (!store_blob_is (q, 0, KEYSTORE_ID_LEN))
        return kt_fail (reason, "key_pool holds a malformed key id");
    if (l->n == POOL_LEGACY_MAX)
        return 1; /* more than the pool needs: unused keys left over */
    memcpy (l->ids + l->n++ * KEYSTORE_ID_LEN, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    return 0;
}

/*  An older release's key_pool, a row per key: its ids moved into one
 *  key_pool_list row, in one commit. */
static int
s_legacy_convert (keystore_t *self, kt_reason_t *reason)
{
    legacy_t l = {malloc (POOL_LEGACY_MAX * KEYSTORE_ID_LEN), 0};
    if (!l.ids)
        return kt_fail (reason, "out of memory");
    int rc = store_each (self->db, "SELECT key_id FROM key_pool ORDER BY key_id", NULL, NULL,
                         s_legacy_row, &l, "read the key pool", reason);
    if (rc == 0 && l.n > 0) {
        rc = store_begin (self->db, reason);
        if (rc == 0 && (store_run (self->db, "INSERT INTO key_pool_list (key_ids) VALUES (?)",
                                   STORE_VALUES (STORE_BLOB (l.ids, l.n * KEYSTORE_ID_LEN)),
                                   "list the key pool", reason) < 0 ||
                        store_exec (self->db, "DELETE FROM key_pool", reason) != 0 ||
                        store_commit (self->db, reason) != 0)) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    free (l.ids);
    return rc;
}

int
keystore_pool_open (keystore_t *self, sqlite3 *db, const char *const *used_sql, kt_reason_t *reason)
{
    /*  sodium_malloc needs libsodium started (idempotent; ketend has). */
    if (sodium_init () < 0)
        return kt_fail (reason, "libsodium cannot start");
    self->pool = malloc (POOL_TARGET * sizeof *self->pool);
    self->pool_keys = sodium_malloc (POOL_TARGET * sizeof *self->pool_keys);
    self->pool_list = malloc (POOL_TARGET * sizeof *self->pool_list);
    if (!self->pool || !self->pool_keys || !self->pool_list)
        return kt_fail (reason, "out of memory");
    if (s_legacy_convert (self, reason) != 0)
        return -1;
    loading_t l = {self, malloc (POOL_LISTED_MAX * sizeof *l.keys), 0,
                   malloc (POOL_LISTED_MAX * sizeof *l.by_id)};
    int rc = l.keys && l.by_id ? 0 : kt_fail (reason, "out of memory");
    if (rc == 0)
        rc = store_each (self->db, "SELECT id, key_ids FROM key_pool_list ORDER BY id", NULL, NULL,
                         s_list_row, &l, "read the key pool", reason);
    if (rc == 0 && l.n > 0)
        s_mark_used (&l, db, used_sql);
    /*  A listed key goes in the pool when there is room, the caller does
     *  not use it (handed out before a restart), and it unwraps: not
     *  shredded with the data it sealed, not wrapped under another
     *  storage key (a key file replaced).  Any other is left out: an
     *  unused key left over is an unused key. */
    for (size_t i = 0; rc == 0 && i < l.n && self->n_pool < POOL_TARGET; i++) {
        kt_reason_t why;
        if (!l.keys[i].used &&
            keystore_get (self, l.keys[i].id, self->pool_keys[self->n_pool], &why) == 0) {
            memcpy (self->pool[self->n_pool], l.keys[i].id, KEYSTORE_ID_LEN);
            self->pool_list[self->n_pool++] = l.keys[i].list;
        }
    }
    free (l.keys);
    free (l.by_id);
    if (rc != 0)
        return -1;
    self->pool_on = true;
    return keystore_pool_refill (self, reason);
}

int
keystore_take (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
               kt_reason_t *reason)
{
    if (!self->pool_on || self->n_pool == 0)
        return keystore_create (self, key_id, key, reason);
    /*  Out of the pool in memory: whatever happens to the caller's
     *  transaction, this id is never handed out again in this run. */
    (void) reason;
    self->n_pool--;
    memcpy (key_id, self->pool[self->n_pool], KEYSTORE_ID_LEN);
    memcpy (key, self->pool_keys[self->n_pool], KEYSTORE_KEY_LEN);
    sodium_memzero (self->pool_keys[self->n_pool], KEYSTORE_KEY_LEN);
    return 0;
}

/*  Whether a key in the pool is one list's. */
static bool
s_list_pooled (const keystore_t *self, int64_t list)
{
    for (size_t i = 0; i < self->n_pool; i++)
        if (self->pool_list[i] == list)
            return true;
    return false;
}

int
keystore_pool_refill (keystore_t *self, kt_reason_t *reason)
{
    if (!self->pool_on || self->n_pool >= POOL_LOW)
        return 0;
    size_t want = POOL_TARGET - self->n_pool, made = 0;
    uint8_t (*fresh)[KEYSTORE_ID_LEN] = malloc (want * sizeof *fresh);
    uint8_t (*fresh_keys)[KEYSTORE_KEY_LEN] = sodium_malloc (want * sizeof *fresh_keys);
    /*  Room for the new list first: nothing can fail after the commit. */
    bool began = false;
    int rc = fresh && fresh_keys && s_list_room (self) == 0 ? 0 : kt_fail (reason, "out of memory");
    if (rc == 0)
        began = (rc = store_begin (self->db, reason)) == 0;
    /*  The lists with a key still in the pool first; the rest, whose keys
     *  have all left the pool (handed out - the caller's table says which
     *  are used - or left out at the start), are deleted.  The order of
     *  lists does not matter, so a rollback leaves it as good as it was. */
    size_t kept = 0;
    for (size_t i = 0; i < self->n_lists; i++)
        if (s_list_pooled (self, self->lists[i])) {
            int64_t live = self->lists[i];
            self->lists[i] = self->lists[kept];
            self->lists[kept++] = live;
        }
    for (size_t i = kept; rc == 0 && i < self->n_lists; i++)
        if (store_run (self->db, "DELETE FROM key_pool_list WHERE id=?",
                       STORE_VALUES (STORE_INT (self->lists[i])), "empty the key pool's list",
                       reason) < 0)
            rc = -1;
    uint64_t now = kt_now_ms ();
    while (rc == 0 && made < want)
        if ((rc = s_create_row (self, fresh[made], fresh_keys[made], now, reason)) == 0)
            made++;
    /*  The keys' rows in a few statements, not one each (issue #17). */
    if (rc == 0)
        rc = store_rows_flush (self->rows, "store the data keys", reason);
    store_rows_clear (self->rows);
    int64_t list = 0;
    if (rc == 0 && store_run (self->db, "INSERT INTO key_pool_list (key_ids) VALUES (?)",
                              STORE_VALUES (STORE_BLOB (fresh, made * KEYSTORE_ID_LEN)),
                              "list the key pool", reason) < 0)
        rc = -1;
    if (rc == 0) {
        list = sqlite3_last_insert_rowid (self->db);
        rc = store_commit (self->db, reason);
    }
    if (rc != 0) {
        if (began)
            store_rollback (self->db);
        free (fresh);
        if (fresh_keys)
            sodium_free (fresh_keys);
        return -1;
    }
    self->lists[kept] = list;
    self->n_lists = kept + 1;
    /*  Newest first out: the pool is a stack, the ids time-ordered. */
    memmove (self->pool[made], self->pool[0], self->n_pool * sizeof *self->pool);
    memmove (self->pool_keys[made], self->pool_keys[0], self->n_pool * sizeof *self->pool_keys);
    memmove (self->pool_list + made, self->pool_list, self->n_pool * sizeof *self->pool_list);
    for (size_t i = 0; i < made; i++) {
        memcpy (self->pool[i], fresh[made - 1 - i], KEYSTORE_ID_LEN);
        memcpy (self->pool_keys[i], fresh_keys[made - 1 - i], KEYSTORE_KEY_LEN);
        self->pool_list[i] = list;
    }
    self->n_pool += made;
    free (fresh);
    sodium_free (fresh_keys);
    return 0;
}

size_t
keystore_pool_size (keystore_t *self)
{
    return self->n_pool;
}
