/*  signalbox: the partner's own signals.  */
#include "signalbox.h"

#include "envelope.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _signalbox_t {
    sqlite3 *db;
    keystore_t *keystore;
    outbox_t *outbox; /* signalbox_hand_to; NULL: none */
    sqlite3_stmt *insert, *held, *release;
    store_rows_t *queued; /* signalbox_insert_queued's rows, until signalbox_flush */
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
    /*  art. 7.2a: a spool signal, the representative in whose name it
     *  went (the configured name, shown in the list), and in confirm mode
     *  whether it still awaits a representative's confirmation and who
     *  gave it.  Wpg besluit art. 2c: the bevoegd functionaris consulted
     *  at its release, sealed like the OM officer. */
    "ALTER TABLE signal ADD COLUMN via_spool INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE signal ADD COLUMN awaiting INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE signal ADD COLUMN representative TEXT;"
    "ALTER TABLE signal ADD COLUMN confirmed_ms INTEGER;"
    "ALTER TABLE signal ADD COLUMN confirmed_uid INTEGER;"
    "ALTER TABLE signal ADD COLUMN confirmed_by TEXT;"
    "ALTER TABLE signal ADD COLUMN functionaris BLOB;",
    /*  issue #17: 1 when body is the envelope the signal was queued in,
     *  sealed with the signal's data key as its content key
     *  (signalbox_insert_queued); 0 when it is sealed at rest on its own. */
    "ALTER TABLE signal ADD COLUMN envelope INTEGER NOT NULL DEFAULT 0;",
};

signalbox_t *
signalbox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason)
{
    signalbox_t *self =
        store_module_new (sizeof *self, db, "signalbox", STORE_MIGRATIONS (s_migrations), reason);
    if (!self)
        return NULL;
    self->db = db;
    self->keystore = keystore;
    if (!(self->insert =
              store_prepare (db,
                             "INSERT INTO signal (message_id, local_ref, category, wpg_basis, held,"
                             " created_ms, submitted_uid, key_id, body) VALUES (?,?,?,?,?,?,?,?,?)",
                             reason)) ||
        !(self->queued = store_rows_new (
              db,
              "INSERT INTO signal (message_id, local_ref, category, wpg_basis, held,"
              " created_ms, submitted_uid, key_id, body, envelope, via_spool, representative)",
              12, reason)) ||
        !(self->held = store_prepare (
              db, "SELECT held, key_id, body, awaiting FROM signal WHERE message_id=?", reason)) ||
        !(self->release = store_prepare (db,
                                         "UPDATE signal SET held=0, released_ms=?,"
                                         " released_uid=?, om_consulted=?, functionaris=?"
                                         " WHERE message_id=? AND held=1 AND awaiting=0",
                                         reason))) {
        signalbox_destroy (&self);
        return NULL;
    }
    return self;
}

int
signalbox_key_pool (signalbox_t *self, kt_reason_t *reason)
{
    /*  The only table here that takes keys from the pool, and the keys
     *  a destruction owes the shredder (retainbox.c): its rows gone, the
     *  key not yet.  retain_shred is made later in the start (the
     *  retainbox opens after the pool): a node whose first start stopped
     *  before that owes the shredder nothing, and its pooled keys are
     *  not all counted as in use (and never handed out) for the lack of
     *  the table. */
    static const char *const used[] = {"SELECT key_id FROM signal",
                                       "SELECT key_id FROM retain_shred", NULL};
    static const char *const used_no_shred[] = {"SELECT key_id FROM signal", NULL};
    int shred = store_has_table (self->db, "retain_shred", reason);
    if (shred < 0)
        return -1;
    return keystore_pool_open (self->keystore, self->db, shred ? used : used_no_shred, reason);
}

void
signalbox_destroy (signalbox_t **self_p)
{
    signalbox_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    store_rows_destroy (&self->queued);
    sqlite3_finalize (self->held);
    sqlite3_finalize (self->release);
    free (self);
    *self_p = NULL;
}

int
signalbox_insert (signalbox_t *self, const uint8_t id[KT_ID_LEN], const Keten__Signal *signal,
                  const uint8_t *packed, size_t packed_len, bool held, uint32_t uid,
                  uint64_t now_ms, kt_reason_t *reason)
{
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    /*  From the pool (committed ahead), so that this signal's commit
     *  need not wait for keystore.db as well (issue #17). */
    if (keystore_take (self->keystore, key_id, key, reason) != 0)
        return -1;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = packed
                 ? keystore_seal (key, id, KT_ID_LEN, packed, packed_len, &sealed, &sealed_len)
                 : keystore_seal_message (key, id, KT_ID_LEN, &signal->base, &sealed, &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    rc = store_run_stmt (self->insert,
                         STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (signal->local_ref),
                                       STORE_TEXT (signal->category), STORE_INT (signal->wpg_basis),
                                       STORE_INT (held), STORE_INT (now_ms), STORE_INT (uid),
                                       STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                       STORE_BLOB (sealed, sealed_len)),
                         "store the signal", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

int
signalbox_insert_queued (signalbox_t *self, const uint8_t id[KT_ID_LEN],
                         const Keten__Signal *signal, const uint8_t key_id[KEYSTORE_ID_LEN],
                         const uint8_t *header, size_t header_len, uint32_t uid, uint64_t now_ms,
                         bool via_spool, kt_reason_t *reason)
{
    /*  A spool signal's marks as signalbox_mark_spool sets them: queued,
     *  so not awaiting a confirmation. */
    const char *representative = via_spool && signal->representative && *signal->representative
                                     ? signal->representative
                                     : NULL;
    return store_rows_add (
        self->queued,
        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (signal->local_ref),
                      STORE_TEXT (signal->category), STORE_INT (signal->wpg_basis), STORE_INT (0),
                      STORE_INT (now_ms), STORE_INT (uid), STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                      STORE_BLOB (header, header_len), STORE_INT (1), STORE_INT (via_spool),
                      STORE_TEXT (representative)),
        reason);
}

int
signalbox_flush (signalbox_t *self, kt_reason_t *reason)
{
    return store_rows_flush (self->queued, "store the signals", reason);
}

void
signalbox_flush_drop (signalbox_t *self)
{
    store_rows_clear (self->queued);
}

typedef struct {
    uint8_t *data; /* heap; NULL: none */
    size_t len;
} bytes_t;

static int
s_bytes_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    bytes_t *b = arg;
    size_t len = (size_t) sqlite3_column_bytes (q, 0);
    if (!(b->data = malloc (len ? len : 1)))
        return kt_fail (reason, "out of memory");
    if (len)
        memcpy (b->data, sqlite3_column_blob (q, 0), len);
    b->len = len;
    return 0;
}

int
signalbox_envelope (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint8_t **header_p,
                    size_t *len_p, kt_reason_t *reason)
{
    bytes_t b = {NULL, 0};
    int found = store_one (self->db, "SELECT body FROM signal WHERE message_id=? AND envelope=1",
                           STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_bytes_row, &b,
                           "read the signal as it was queued", reason);
    if (found <= 0) {
        free (b.data);
        return found;
    }
    *header_p = b.data;
    *len_p = b.len;
    return 1;
}

void
signalbox_hand_to (signalbox_t *self, outbox_t *outbox)
{
    self->outbox = outbox;
}

/*  Before id's row goes or is sealed anew: when its body is the envelope
 *  it was queued in, an outbox row still waiting to send that envelope
 *  (stored without a header of its own) keeps its bytes, so that it sends
 *  exactly what it would have sent (a repeat must be the same bytes:
 *  ARCHITECTURE.md, crash reasoning 2). */
static int
s_hand_envelope (signalbox_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    uint8_t *header = NULL;
    size_t len = 0;
    int found = signalbox_envelope (self, id, &header, &len, reason);
    int rc = found < 0       ? -1
             : found == 0    ? 0
             : !self->outbox ? kt_fail (reason, "the signal's envelope has no outbox to go to")
                             : outbox_keep_header (self->outbox, id, header, len, reason);
    free (header);
    return rc;
}

/*  The sealed signal of a held row, opened. */
typedef struct {
    signalbox_t *self;
    const uint8_t *id;
    uint8_t *key; /* out: the signal's key */
    uint8_t *plain;
    size_t plain_len;
} held_t;

static int
s_held_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    held_t *h = arg;
    if (sqlite3_column_int (q, 0) != 1 || !store_blob_is (q, 1, KEYSTORE_ID_LEN))
        return kt_fail (reason, "this signal is not held; only held art. 9/10 Wpg signals are "
                                "released");
    if (sqlite3_column_int (q, 3) != 0)
        return kt_fail (reason, "this signal awaits the police representative's confirmation "
                                "(art. 7.2a): keten signal confirm it first, then release it");
    if (keystore_get (h->self->keystore, sqlite3_column_blob (q, 1), h->key, reason) != 0)
        return -1;
    if (keystore_unseal (h->key, h->id, KT_ID_LEN, sqlite3_column_blob (q, 2),
                         (size_t) sqlite3_column_bytes (q, 2), &h->plain, &h->plain_len) != 0)
        return kt_fail (reason, "the stored signal does not decrypt");
    return 0;
}

int
signalbox_release (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint32_t uid,
                   const char *om_consulted, const char *functionaris, uint64_t now_ms,
                   Keten__Signal **signal_p, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN], *sealed_om = NULL, *sealed_fn = NULL;
    size_t sealed_om_len = 0, sealed_fn_len = 0;
    held_t h = {self, id, key, NULL, 0};
    int found = store_each_stmt (self->held, store_bind_values,
                                 (void *) STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_held_row, &h,
                                 "read the signal", reason);
    int rc = found;
    if (rc == 0 && !h.plain)
        rc = kt_fail (reason, "no signal with this message id on this node");
    Keten__Signal *signal = rc == 0 ? keten__signal__unpack (NULL, h.plain_len, h.plain) : NULL;
    if (rc == 0 && !signal)
        rc = kt_fail (reason, "the stored signal does not decode");
    if (rc == 0 && (keystore_seal (key, "om", 2, om_consulted, strlen (om_consulted), &sealed_om,
                                   &sealed_om_len) != 0 ||
                    keystore_seal (key, "functionaris", 12, functionaris, strlen (functionaris),
                                   &sealed_fn, &sealed_fn_len) != 0))
        rc = kt_fail (reason, "out of memory");
    if (rc == 0) {
        int changed = store_run_stmt (self->release,
                                      STORE_VALUES (STORE_INT (now_ms), STORE_INT (uid),
                                                    STORE_BLOB (sealed_om, sealed_om_len),
                                                    STORE_BLOB (sealed_fn, sealed_fn_len),
                                                    STORE_BLOB (id, KT_ID_LEN)),
                                      "record the release", reason);
        if (changed != 1)
            rc = changed < 0 ? -1 : kt_fail (reason, "cannot record the release: not held");
    }
    sodium_memzero (key, sizeof key);
    if (h.plain) {
        sodium_memzero (h.plain, h.plain_len);
        free (h.plain);
    }
    free (sealed_om);
    free (sealed_fn);
    if (rc != 0) {
        if (signal)
            keten__signal__free_unpacked (signal, NULL);
        return -1;
    }
    *signal_p = signal;
    return 0;
}

int
signalbox_mark_spool (signalbox_t *self, const uint8_t id[KT_ID_LEN], bool awaiting,
                      const char *representative, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE signal SET via_spool=1, awaiting=?, representative=?"
                      " WHERE message_id=?",
                      STORE_VALUES (STORE_INT (awaiting),
                                    representative && *representative ? STORE_TEXT (representative)
                                                                      : STORE_NULL,
                                    STORE_BLOB (id, KT_ID_LEN)),
                      "record the spool signal", reason) < 0
               ? -1
               : 0;
}

/*  The row of a signal awaiting confirmation, opened. */
typedef struct {
    signalbox_t *self;
    const uint8_t *id;
    uint8_t *key;
    uint8_t *plain;
    size_t plain_len;
    bool found, awaiting, held;
} awaiting_t;

static int
s_awaiting_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    awaiting_t *a = arg;
    a->found = true;
    a->awaiting = sqlite3_column_int (q, 0) != 0;
    a->held = sqlite3_column_int (q, 3) != 0;
    if (!a->awaiting)
        return 1;
    if (!store_blob_is (q, 1, KEYSTORE_ID_LEN))
        return kt_fail (reason, "the signal's key id is damaged");
    if (keystore_get (a->self->keystore, sqlite3_column_blob (q, 1), a->key, reason) != 0)
        return -1;
    if (keystore_unseal (a->key, a->id, KT_ID_LEN, sqlite3_column_blob (q, 2),
                         (size_t) sqlite3_column_bytes (q, 2), &a->plain, &a->plain_len) != 0)
        return kt_fail (reason, "the stored signal does not decrypt");
    return 1;
}

int
signalbox_confirm (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint32_t uid, const char *user,
                   uint64_t now_ms, Keten__Signal **signal_p, bool *held, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN], *sealed = NULL, *packed = NULL;
    size_t sealed_len = 0, packed_len = 0;
    awaiting_t a = {self, id, key, NULL, 0, false, false, false};
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    int rc =
        store_one (self->db, "SELECT awaiting, key_id, body, held FROM signal WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_awaiting_row, &a, "read the signal",
                   reason) < 0
            ? -1
            : 0;
    if (rc == 0 && !a.found)
        rc = kt_fail (reason, "%s: no signal with this message id on this node", hex);
    else if (rc == 0 && !a.awaiting)
        rc = kt_fail (reason,
                      "%s: this signal does not await confirmation (it was confirmed already, "
                      "or did not come from the spool in confirm mode)",
                      hex);
    Keten__Signal *signal = rc == 0 ? keten__signal__unpack (NULL, a.plain_len, a.plain) : NULL;
    if (rc == 0 && !signal)
        rc = kt_fail (reason, "the stored signal does not decode");
    /*  art. 7.2a: the signal now carries who gave it to the weegploeg;
     *  sealed again under its own key (secure_delete overwrites the old
     *  page). */
    if (rc == 0) {
        char *was = signal->confirmed_by;
        signal->confirmed_by = (char *) user;
        packed_len = keten__signal__get_packed_size (signal);
        packed = malloc (packed_len ? packed_len : 1);
        if (packed)
            keten__signal__pack (signal, packed);
        signal->confirmed_by = was;
        if (!packed ||
            keystore_seal (key, id, KT_ID_LEN, packed, packed_len, &sealed, &sealed_len) != 0)
            rc = kt_fail (reason, "out of memory");
    }
    if (signal) {
        for (size_t i = 0; i < signal->n_items; i++)
            sodium_memzero (signal->items[i]->text, strlen (signal->items[i]->text));
        keten__signal__free_unpacked (signal, NULL);
    }
    if (rc == 0) {
        int changed =
            store_run (self->db,
                       "UPDATE signal SET awaiting=0, confirmed_ms=?, confirmed_uid=?,"
                       " confirmed_by=?, body=? WHERE message_id=? AND awaiting=1",
                       STORE_VALUES (STORE_INT (now_ms), STORE_INT (uid), STORE_TEXT (user),
                                     STORE_BLOB (sealed, sealed_len), STORE_BLOB (id, KT_ID_LEN)),
                       "record the confirmation", reason);
        if (changed != 1)
            rc = changed < 0 ? -1 : kt_fail (reason, "cannot record the confirmation");
    }
    Keten__Signal *out = NULL;
    if (rc == 0 && !(out = keten__signal__unpack (NULL, packed_len, packed)))
        rc = kt_fail (reason, "out of memory");
    sodium_memzero (key, sizeof key);
    if (a.plain) {
        sodium_memzero (a.plain, a.plain_len);
        free (a.plain);
    }
    if (packed) {
        sodium_memzero (packed, packed_len);
        free (packed);
    }
    free (sealed);
    if (rc != 0)
        return -1;
    *signal_p = out;
    *held = a.held;
    return 0;
}

static int
s_meta_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    signalbox_meta_t *m = arg;
    m->via_spool = sqlite3_column_int (q, 0) != 0;
    m->awaiting = sqlite3_column_int (q, 1) != 0;
    m->held = sqlite3_column_int (q, 2) != 0;
    m->released = sqlite3_column_int (q, 3) != 0;
    return 1;
}

int
signalbox_meta (signalbox_t *self, const uint8_t id[KT_ID_LEN], signalbox_meta_t *meta,
                kt_reason_t *reason)
{
    memset (meta, 0, sizeof *meta);
    return store_one (self->db,
                      "SELECT via_spool, awaiting, held, released_ms IS NOT NULL FROM signal"
                      " WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_meta_row, meta,
                      "look up the signal", reason);
}

typedef struct {
    signalbox_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    signalbox_row_t row = {.has_id = store_blob_is (q, 0, KT_ID_LEN),
                           .local_ref = store_text (q, 1),
                           .category = store_text (q, 2),
                           .held = sqlite3_column_int (q, 3) != 0,
                           .created_ms = (uint64_t) sqlite3_column_int64 (q, 4),
                           .released = sqlite3_column_type (q, 5) != SQLITE_NULL,
                           .released_ms = (uint64_t) sqlite3_column_int64 (q, 5),
                           .via_spool = sqlite3_column_int (q, 6) != 0,
                           .awaiting = sqlite3_column_int (q, 7) != 0,
                           .representative = (const char *) sqlite3_column_text (q, 8),
                           .confirmed_by = (const char *) sqlite3_column_text (q, 9),
                           .confirmed_ms = (uint64_t) sqlite3_column_int64 (q, 10)};
    if (row.has_id)
        memcpy (row.message_id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    return v->fn (v->arg, &row, reason);
}

int
signalbox_each (signalbox_t *self, int limit, signalbox_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT message_id, local_ref, category, held, created_ms, released_ms,"
                       " via_spool, awaiting, representative, confirmed_by, confirmed_ms"
                       " FROM signal ORDER BY created_ms DESC, rowid DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the signals", reason);
}

int
signalbox_forget (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint8_t key_id[KEYSTORE_ID_LEN],
                  bool *found, kt_reason_t *reason)
{
    *found = false;
    keystore_id_t k = {key_id, found};
    if (store_one (self->db, "SELECT key_id FROM signal WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), keystore_id_row, &k,
                   "find the signal's key", reason) < 0 ||
        (*found && s_hand_envelope (self, id, reason) != 0) ||
        store_run (self->db, "DELETE FROM signal WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "delete the signal", reason) < 0)
        return -1;
    return 0;
}

typedef struct {
    signalbox_id_fn *fn;
    void *arg;
} id_visit_t;

static int
s_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    id_visit_t *v = arg;
    return store_blob_is (q, 0, KT_ID_LEN) ? v->fn (v->arg, sqlite3_column_blob (q, 0), reason) : 0;
}

int
signalbox_each_before (signalbox_t *self, uint64_t before_ms, signalbox_id_fn *fn, void *arg,
                       kt_reason_t *reason)
{
    id_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT message_id FROM signal WHERE created_ms < ? ORDER BY created_ms",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (before_ms)), s_id_row,
                       &v, "list the old signals", reason);
}

int
signalbox_each_awaiting (signalbox_t *self, signalbox_id_fn *fn, void *arg, kt_reason_t *reason)
{
    id_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT message_id FROM signal WHERE awaiting=1 ORDER BY created_ms, rowid",
                       NULL, NULL, s_id_row, &v, "list the signals awaiting confirmation", reason);
}

/* ---- correction (art. 12.5-12.6) ------------------------------------------ */

typedef struct {
    signalbox_t *self;
    const uint8_t *id;
    uint8_t *key_id;
    uint8_t *key;
    uint8_t *plain, *om, *fn;
    size_t plain_len, om_len, fn_len;
    bool held, found, envelope;
} kept_t;

static int
s_kept_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    kept_t *k = arg;
    if (!store_blob_is (q, 1, KEYSTORE_ID_LEN))
        return kt_fail (reason, "the signal's key id is damaged");
    k->found = true;
    k->held = sqlite3_column_int (q, 0) == 1;
    memcpy (k->key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
    if (keystore_get (k->self->keystore, k->key_id, k->key, reason) != 0)
        return -1;
    k->envelope = sqlite3_column_int (q, 5) == 1;
    if (k->envelope) {
        /*  Queued as it is (signalbox_insert_queued): its body is the
         *  envelope it went in, sealed under this key. */
        if (envelope_open_own (sqlite3_column_blob (q, 2), (size_t) sqlite3_column_bytes (q, 2),
                               k->id, k->key, &k->plain, &k->plain_len, reason) != 0)
            return -1;
    } else if (keystore_unseal (k->key, k->id, KT_ID_LEN, sqlite3_column_blob (q, 2),
                                (size_t) sqlite3_column_bytes (q, 2), &k->plain,
                                &k->plain_len) != 0)
        return kt_fail (reason, "the stored signal does not decrypt");
    if (sqlite3_column_type (q, 3) != SQLITE_NULL &&
        keystore_unseal (k->key, "om", 2, sqlite3_column_blob (q, 3),
                         (size_t) sqlite3_column_bytes (q, 3), &k->om, &k->om_len) != 0)
        return kt_fail (reason, "the stored release does not decrypt");
    if (sqlite3_column_type (q, 4) != SQLITE_NULL &&
        keystore_unseal (k->key, "functionaris", 12, sqlite3_column_blob (q, 4),
                         (size_t) sqlite3_column_bytes (q, 4), &k->fn, &k->fn_len) != 0)
        return kt_fail (reason, "the stored release does not decrypt");
    return 1;
}

int
signalbox_correct (signalbox_t *self, const uint8_t id[KT_ID_LEN], bool whole_signal,
                   items_change_t *c, bool strict, uint8_t old_key_id[KEYSTORE_ID_LEN], bool *found,
                   kt_reason_t *reason)
{
    *found = false;
    if (whole_signal)
        return signalbox_forget (self, id, old_key_id, found, reason);
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    kept_t k = {self, id, old_key_id, key, NULL, NULL, NULL, 0, 0, 0, false, false, false};
    int rc = store_one (self->db,
                        "SELECT held, key_id, body, om_consulted, functionaris, envelope"
                        " FROM signal WHERE message_id=?",
                        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_kept_row, &k,
                        "read the signal", reason) < 0
                 ? -1
                 : 0;
    *found = k.found;
    Keten__Signal *s = NULL;
    if (rc == 0 && k.found && !(s = keten__signal__unpack (NULL, k.plain_len, k.plain)))
        rc = kt_fail (reason, "the stored signal does not decode");
    if (rc == 0 && s)
        rc = items_apply_kept (s, c, strict, reason);
    /*  Sealed again under a new key; the old one is the caller's to shred
     *  once this commits. */
    uint8_t *sealed = NULL, *sealed_om = NULL, *sealed_fn = NULL;
    size_t sealed_len = 0, sealed_om_len = 0, sealed_fn_len = 0;
    if (rc == 0 && s)
        rc = keystore_create (self->keystore, key_id, key, reason);
    if (rc == 0 && s &&
        (keystore_seal_message (key, id, KT_ID_LEN, &s->base, &sealed, &sealed_len) != 0 ||
         (k.om && keystore_seal (key, "om", 2, k.om, k.om_len, &sealed_om, &sealed_om_len) != 0) ||
         (k.fn && keystore_seal (key, "functionaris", 12, k.fn, k.fn_len, &sealed_fn,
                                 &sealed_fn_len) != 0)))
        rc = kt_fail (reason, "out of memory");
    /*  Sealed on its own now: the envelope, still to be sent, goes to the
     *  outbox first. */
    if (rc == 0 && s && k.envelope && s_hand_envelope (self, id, reason) != 0)
        rc = -1;
    if (rc == 0 && s &&
        store_run (self->db,
                   "UPDATE signal SET key_id=?, body=?, om_consulted=?, functionaris=?,"
                   " envelope=0 WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                 STORE_BLOB (sealed, sealed_len),
                                 sealed_om ? STORE_BLOB (sealed_om, sealed_om_len) : STORE_NULL,
                                 sealed_fn ? STORE_BLOB (sealed_fn, sealed_fn_len) : STORE_NULL,
                                 STORE_BLOB (id, KT_ID_LEN)),
                   "store the corrected signal", reason) < 0)
        rc = -1;
    sodium_memzero (key, sizeof key);
    if (k.plain) {
        sodium_memzero (k.plain, k.plain_len);
        free (k.plain);
    }
    if (k.om) {
        sodium_memzero (k.om, k.om_len);
        free (k.om);
    }
    if (k.fn) {
        sodium_memzero (k.fn, k.fn_len);
        free (k.fn);
    }
    free (sealed);
    free (sealed_om);
    free (sealed_fn);
    if (s) {
        for (size_t i = 0; i < s->n_items; i++)
            sodium_memzero (s->items[i]->text, strlen (s->items[i]->text));
        keten__signal__free_unpacked (s, NULL);
    }
    return rc;
}

int
signalbox_has (signalbox_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM signal WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), NULL, NULL, "look up the signal",
                      reason);
}
