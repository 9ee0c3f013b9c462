/*  keystore: one data key per subject, wrapped under the node's storage
 *  key, in a database file of its own.  Personal data at rest is sealed
 *  under its subject's key, so destroying that key (keystore_shred) makes
 *  every copy of the data unreadable, in backups and free pages too
 *  (art. 13 destruction; docs/ARCHITECTURE.md, "Sealed records at rest").
 */
#ifndef KETEN_KEYSTORE_H
#define KETEN_KEYSTORE_H

#include "util.h"

#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYSTORE_ID_LEN 16
#define KEYSTORE_KEY_LEN 32

typedef struct _keystore_t keystore_t;

/*  storage_key is borrowed and must outlive the keystore. */
keystore_t *keystore_open (const char *path, const uint8_t storage_key[32], kt_reason_t *reason);
void keystore_destroy (keystore_t **self_p);
/*  An existing keystore.db to read only (ketend --check): no migration,
 *  nothing written; only keystore_check_storage is of use on it. */
keystore_t *keystore_open_readonly (const char *path, const uint8_t storage_key[32],
                                    kt_reason_t *reason);
/*  Whether the storage key given is the one that wrapped the data keys (a
 *  keyed hash kept in the file; a keystore from before it proves it with
 *  its newest key, once - not on a keystore opened read only, which
 *  writes nothing): 0; KEYSTORE_OTHER_STORAGE_KEY with a reason that
 *  says what to do when not (a node on a key file made anew would find
 *  every record unreadable); -1 when the file cannot be read. */
#define KEYSTORE_OTHER_STORAGE_KEY (-2)
int keystore_check_storage (keystore_t *self, kt_reason_t *reason);
sqlite3 *keystore_db (keystore_t *self);

/*  Make a new random key and store it wrapped (inside the caller's
 *  transaction on keystore_db, if any). */
int keystore_create (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN],
                     uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason);
/*  A pool of keys made and committed ahead (issue #17), for a caller
 *  whose one table records every key it uses (the partner's signal box,
 *  the uitvoerder's subjects): handing one out writes nothing to
 *  keystore_db, so the caller's commit need not wait for this file too.
 *  A key is handed out at most once: it leaves the pool in memory at
 *  once; each refill lists the keys it made in one key_pool_list row,
 *  which a later refill deletes once none of them is in the pool.  At the
 *  start keystore_pool_open runs each query of used_sql (NULL-ended) on
 *  db once - its rows' first column: every key id the caller's tables
 *  use, or owe to be destroyed - and keeps the listed keys among them
 *  out. */
int keystore_pool_open (keystore_t *self, sqlite3 *db, const char *const *used_sql,
                        kt_reason_t *reason);
/*  A key from the pool, or - the pool empty or not opened - a new one as
 *  keystore_create makes it (inside the caller's transaction). */
int keystore_take (keystore_t *self, uint8_t key_id[KEYSTORE_ID_LEN], uint8_t key[KEYSTORE_KEY_LEN],
                   kt_reason_t *reason);
/*  When the pool runs below half: make new keys and list them, and
 *  delete the lists none of whose keys is left in the pool, in one commit
 *  of its own (not inside a transaction on keystore_db); otherwise
 *  nothing. */
int keystore_pool_refill (keystore_t *self, kt_reason_t *reason);
size_t keystore_pool_size (keystore_t *self);
/*  Unwrap a key; fails with "destroyed" when it no longer exists. */
int keystore_get (keystore_t *self, const uint8_t key_id[KEYSTORE_ID_LEN],
                  uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason);
/*  Destroy a key for good. */
int keystore_shred (keystore_t *self, const uint8_t key_id[KEYSTORE_ID_LEN], kt_reason_t *reason);

/*  Seal data under key: out = nonce || ciphertext (heap, free()); ad binds
 *  the record it belongs to. */
int keystore_seal (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                   const void *plain, size_t plain_len, uint8_t **out_p, size_t *out_len_p);
/*  keystore_seal of a protobuf message's packed form; the packed clear
 *  text is wiped.  -1 only when out of memory. */
int keystore_seal_message (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                           const ProtobufCMessage *msg, uint8_t **out_p, size_t *out_len_p);
/*  Inverse of keystore_seal; -1 when tampered. */
int keystore_unseal (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                     const uint8_t *sealed, size_t sealed_len, uint8_t **plain_p,
                     size_t *plain_len_p);

/*  keystore_unseal, then unpack as a desc message (free with
 *  protobuf_c_message_free_unpacked); the clear text is wiped.  0,
 *  KEYSTORE_TAMPERED when it does not decrypt, KEYSTORE_UNDECODABLE when
 *  it does not decode (or memory ran out). */
#define KEYSTORE_TAMPERED (-1)
#define KEYSTORE_UNDECODABLE (-2)
#define KEYSTORE_NO_RECORD (-3)
int keystore_unseal_message (const uint8_t key[KEYSTORE_KEY_LEN], const void *ad, size_t ad_len,
                             const uint8_t *sealed, size_t sealed_len,
                             const ProtobufCMessageDescriptor *desc, ProtobufCMessage **msg_p);

/*  A key id in column 0 of a query row: keystore_id_row is a store_row_fn
 *  that sets *found and copies the id when the column holds one. */
typedef struct {
    uint8_t *id; /* [KEYSTORE_ID_LEN] */
    bool *found;
} keystore_id_t;
int keystore_id_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason);

/*  One sealed record in a query row, for the stores that keep them: the
 *  body in column body_col, sealed under key, or (keystore set) under the
 *  key whose id is in column 0.  keystore_record_row is a store_row_fn:
 *  it fills msg and result (0 opened; KEYSTORE_NO_RECORD when the row has
 *  no key id or no body; KEYSTORE_TAMPERED; KEYSTORE_UNDECODABLE), and
 *  fails only when the key cannot be had (reason from keystore_get). */
typedef struct {
    keystore_t *keystore;
    const uint8_t *key;
    const void *ad;
    size_t ad_len;
    int body_col;
    const ProtobufCMessageDescriptor *desc;
    ProtobufCMessage *msg;
    int result;
} keystore_record_t;
int keystore_record_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason);

#endif
