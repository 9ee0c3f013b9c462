/*  witness: a member checks the uitvoerder's log (docs/PROTOCOL.md,
 *  "Checkpoints, proofs and witnesses").  */
#include "witness.h"

#include "checkpoint.h"
#include "logproof.h"
#include "merkle.h"
#include "ratelog.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  witness_seen.state.  Invariant: a checkpoint is SEEN_CONSISTENT only
 *  when it is proven to be a prefix of the kept checkpoint - the kept one
 *  itself, or the older end of a consistency proof whose newer end was
 *  consistent already.  The kept checkpoint only ever moves on with a proof
 *  from itself, so every consistent one stays a prefix of it. */
#define SEEN_PENDING 0
#define SEEN_CONSISTENT 1
/*  Requests remembered, only so as not to ask again what is on its way:
 *  an answer is judged by its proof, never by this memory (a member with
 *  a backlog has many more asks outstanding than it remembers). */
#define WITNESS_ASKED_MAX 16
/*  How long a request for a proof from the kept checkpoint waits for its
 *  answer before another is sent from that size: one at a time, not one
 *  per batch of receipts (their answers travel behind the member's
 *  backlog, and each asked again only adds to it). */
#define WITNESS_ASK_WAIT_MS 5000
/*  A witness_proofs entry before its path: the message id, the log index
 *  (8 bytes, big-endian), the leaf hash, the path's length and how many
 *  of its last hashes are the last ones of the entry before it. */
#define PROOF_FIXED (KT_ID_LEN + 8 + 32 + 2)
/*  Receipts in one witness_proofs row at most (a drain's RECEIPTS hold
 *  fewer). */
#define PROOFS_ROW_MAX 4096

/*  Checkpoint notes verified ahead and held (witness_t.ahead). */
#define WITNESS_AHEAD_MAX 16
/*  How long, counted only across heartbeats while the link is up, a
 *  checkpoint may stay unjoined to the kept one before the alarm; a gap
 *  between two heartbeats counts WITNESS_STUCK_STEP_MS at most (an
 *  outage is no silence of the uitvoerder's). */
#define WITNESS_STUCK_MS (10 * 60 * 1000)
#define WITNESS_STUCK_STEP_MS 5000

struct _witness_t {
    sqlite3 *db;
    ProtobufCAllocator *allocator; /* the entries' (witness_decode_with) */
    ratelog_t *quiet; /* unproven receipts: an older uitvoerder sends many */
    const keys_secret_t *keys;
    char origin[CHECKPOINT_ORIGIN_MAX + 1];
    uint8_t log_pk[32];
    bool cosign;
    /*  The requests sent, newest at asked_next - 1 (s_ask): a pair is
     *  asked once a second at most, and a proof from the kept checkpoint
     *  once in WITNESS_ASK_WAIT_MS whatever its newer size. */
    struct {
        uint64_t old_size, new_size, at_ms;
    } asked[WITNESS_ASKED_MAX];
    size_t asked_next;
    /*  Set while a pushed checkpoint is handled: only those are cosigned,
     *  every few seconds, not each receipt's. */
    bool pushed;
    uint64_t cosigned_size;
    /*  The last checkpoint note verified: a batch of receipts carries the
     *  same one, and one Ed25519 verification does for all of them. */
    char *last_note;
    size_t last_len;
    checkpoint_t last_cp;
    /*  Notes verified ahead (witness_preverify) and not yet opened for
     *  a receipt, each with what it says: a drain's receipts may come in
     *  several messages, each with a checkpoint of its own, all checked
     *  ahead before the first is settled.  Each is taken by the s_open
     *  that meets it; what is left is forgotten at witness_batch_end. */
    struct {
        char *note;
        size_t len;
        checkpoint_t cp;
    } ahead[WITNESS_AHEAD_MAX];
    size_t n_ahead;
    /*  Between witness_batch_begin and _end: last_note was offered since
     *  it became the last, so the next receipt with the same note is not
     *  offered it again (the receipts of a RECEIPTS share one). */
    bool batch, last_offered;
    /*  The checkpoint asked about at the last heartbeat, and how long it
     *  has stayed unjoined (stuck_ms, counted across heartbeats: the last
     *  at beat_ms): one the uitvoerder never joins to the kept one (a fork
     *  it will not prove) raises the alarm. */
    uint64_t stuck_size, stuck_ms, beat_ms;
    /*  The proofs of the receipts checked against one checkpoint, kept as
     *  one witness_proofs row (s_proofs_write): when the checkpoint
     *  changes, at witness_batch_end, at once outside a batch, and before
     *  anything reads the proofs kept. */
    struct {
        uint64_t size;
        uint8_t root[32];
        size_t n;
        uint8_t *bytes;
        size_t len, cap;
        uint8_t last[MERKLE_MAX_PATH][MERKLE_HASH_LEN]; /* the path of the entry before */
        size_t last_len;
    } proofs;
};

static void s_on_checkpoint (witness_t *self, const Keten__CheckpointMessage *m,
                             witness_out_t *out);

/*  The note verified ahead as note (len bytes), or SIZE_MAX. */
static size_t
s_ahead_find (const witness_t *self, const uint8_t *note, size_t len)
{
    for (size_t i = 0; i < self->n_ahead; i++)
        if (self->ahead[i].len == len && memcmp (self->ahead[i].note, note, len) == 0)
            return i;
    return SIZE_MAX;
}

static void
s_ahead_drop (witness_t *self, size_t i)
{
    free (self->ahead[i].note);
    self->ahead[i] = self->ahead[--self->n_ahead];
    self->ahead[self->n_ahead].note = NULL;
}

static void
s_ahead_clear (witness_t *self)
{
    while (self->n_ahead)
        s_ahead_drop (self, self->n_ahead - 1);
}

/*  Whether note is the last one opened. */
static bool
s_is_last (const witness_t *self, const uint8_t *note, size_t len)
{
    return self->last_note && len == self->last_len && memcmp (note, self->last_note, len) == 0;
}

/*  checkpoint_open, remembering the last note that verified; *same: it
 *  was that one.  A note verified ahead is taken, not verified again. */
static int
s_open (witness_t *self, const uint8_t *note, size_t len, checkpoint_t *cp, bool *same,
        kt_reason_t *reason)
{
    *same = s_is_last (self, note, len);
    if (*same) {
        *cp = self->last_cp;
        return 0;
    }
    self->last_offered = false;
    size_t ahead = s_ahead_find (self, note, len);
    if (ahead != SIZE_MAX) {
        *cp = self->ahead[ahead].cp;
        s_ahead_drop (self, ahead);
    } else if (checkpoint_open ((const char *) note, len, self->origin, self->log_pk, cp, reason) !=
               0)
        return -1;
    char *copy = malloc (len ? len : 1);
    if (copy)
        memcpy (copy, note, len);
    /*  Out of memory: no note remembered rather than an older one, which a
     *  batch would take for this one (witness_on_receipt). */
    free (self->last_note);
    self->last_note = copy;
    self->last_len = copy ? len : 0;
    if (copy)
        self->last_cp = *cp;
    return 0;
}

static const char *const s_migrations[] = {
    /*  The newest checkpoint verified (one row), every checkpoint seen
     *  with whether it is proven consistent with the verified chain, the
     *  proof of every receipt, and the alarms raised. */
    "CREATE TABLE witness_kept (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,"
    " root BLOB NOT NULL, note TEXT NOT NULL);"
    "CREATE TABLE witness_seen (size INTEGER PRIMARY KEY, root BLOB NOT NULL,"
    " state INTEGER NOT NULL);"
    "CREATE TABLE witness_receipt (message_id BLOB PRIMARY KEY, log_index INTEGER NOT NULL,"
    " leaf BLOB NOT NULL, size INTEGER NOT NULL, root BLOB NOT NULL, path BLOB NOT NULL);"
    "CREATE TABLE witness_alarm (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " what TEXT NOT NULL);",
    /*  An operator's decision to follow the uitvoerder's log from a tree
     *  named out of band, after an alarm (witness_reanchor): kept with
     *  who, why and what it replaced; the alarms, every receipt proof and
     *  every checkpoint seen before it are kept beside it (the evidence
     *  of what the alarm was about), never verified again. */
    "CREATE TABLE witness_reanchor (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " uid INTEGER NOT NULL, user TEXT NOT NULL, reason TEXT NOT NULL,"
    " old_size INTEGER NOT NULL, old_root BLOB, new_size INTEGER NOT NULL,"
    " new_root BLOB NOT NULL);"
    "CREATE TABLE witness_alarm_cleared (id INTEGER PRIMARY KEY, reanchor INTEGER NOT NULL,"
    " at_ms INTEGER NOT NULL, what TEXT NOT NULL);"
    "CREATE TABLE witness_receipt_old (message_id BLOB NOT NULL, reanchor INTEGER NOT NULL,"
    " log_index INTEGER NOT NULL, leaf BLOB NOT NULL, size INTEGER NOT NULL,"
    " root BLOB NOT NULL, path BLOB NOT NULL);"
    "CREATE TABLE witness_seen_old (reanchor INTEGER NOT NULL, size INTEGER NOT NULL,"
    " root BLOB NOT NULL, state INTEGER NOT NULL);",
    /*  Issue #17: the proofs of the receipts checked against one
     *  checkpoint (a RECEIPTS' receipts, or one receipt) in one row
     *  instead of a witness_receipt row each: every receipt's id, log
     *  index, leaf and inclusion path, in that order (PROOF_FIXED), the
     *  hashes at the end of a path that the path before it ends with
     *  counted, not repeated (paths of neighbouring leaves share their
     *  upper levels).  witness_receipt keeps the rows from before. */
    "CREATE TABLE witness_proofs (id INTEGER PRIMARY KEY, size INTEGER NOT NULL,"
    " root BLOB NOT NULL, n INTEGER NOT NULL, proofs BLOB NOT NULL);"
    "CREATE TABLE witness_proofs_old (reanchor INTEGER NOT NULL, size INTEGER NOT NULL,"
    " root BLOB NOT NULL, n INTEGER NOT NULL, proofs BLOB NOT NULL);",
    /*  The checkpoints seen and not yet proven consistent are few among
     *  one a signal: found without reading them all (witness_on_heartbeat,
     *  the status's count). */
    "CREATE INDEX witness_seen_pending ON witness_seen (size) WHERE state = 0;",
    /*  An accepted receipt that came without a proof (the uitvoerder could
     *  not make one): counted, so that keten log verify and the status
     *  say how many this node holds no proof for. */
    ("CREATE TABLE witness_unproven (message_id BLOB PRIMARY KEY, log_index INTEGER NOT NULL,"
     " at_ms INTEGER NOT NULL);"),
};

witness_t *
witness_new (sqlite3 *db, const keys_secret_t *keys, const char *federation,
             const uint8_t log_pk[32], bool cosign, kt_reason_t *reason)
{
    witness_t *self = calloc (1, sizeof *self);
    if (!self || !(self->quiet = ratelog_new ())) {
        kt_fail (reason, "out of memory");
        free (self);
        return NULL;
    }
    self->db = db;
    self->keys = keys;
    self->cosign = cosign;
    memcpy (self->log_pk, log_pk, 32);
    logproof_origin (self->origin, sizeof self->origin, federation);
    if (store_migrate (db, "witness", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason) != 0) {
        witness_destroy (&self);
        return NULL;
    }
    return self;
}

void
witness_destroy (witness_t **self_p)
{
    witness_t *self = *self_p;
    if (!self)
        return;
    free (self->last_note);
    s_ahead_clear (self);
    free (self->proofs.bytes);
    ratelog_destroy (&self->quiet);
    free (self);
    *self_p = NULL;
}

bool
witness_out_message (const witness_out_t *out, Keten__CheckpointMessage *m)
{
    keten__checkpoint_message__init (m);
    if (out->request) {
        m->request_old_size = out->old_size;
        m->request_new_size = out->new_size;
    }
    if (out->cosigned) {
        m->cosigned.data = (uint8_t *) out->cosigned;
        m->cosigned.len = strlen (out->cosigned);
    }
    return out->request || out->cosigned;
}

void
witness_out_clear (witness_out_t *out)
{
    free (out->cosigned);
    memset (out, 0, sizeof *out);
}

/*  Run a write whose failure the witness can only log: what it keeps is
 *  evidence for later, and the next checkpoint is checked either way. */
static void
s_run (witness_t *self, const char *sql, const store_value_t *values, const char *what)
{
    kt_reason_t reason;
    if (store_run (self->db, sql, values, what, &reason) < 0)
        kt_log (KT_LOG_ERROR, "witness store_failed reason=\"%s\"", reason.text);
}

/* ---- the receipts' proofs, a row per checkpoint ------------------------- */

/*  The proofs gathered, written as one witness_proofs row; a failure is
 *  logged, as every write of the witness's. */
static void
s_proofs_write (witness_t *self)
{
    if (self->proofs.n == 0)
        return;
    s_run (self, "INSERT INTO witness_proofs (size, root, n, proofs) VALUES (?,?,?,?)",
           STORE_VALUES (STORE_INT (self->proofs.size), STORE_BLOB (self->proofs.root, 32),
                         STORE_INT (self->proofs.n),
                         STORE_BLOB (self->proofs.bytes, self->proofs.len)),
           "keep the receipts' proofs");
    self->proofs.n = self->proofs.len = self->proofs.last_len = 0;
}

/*  A verified receipt's proof gathered for its checkpoint's row. */
static void
s_proof_add (witness_t *self, const uint8_t id[KT_ID_LEN], uint64_t log_index,
             const uint8_t leaf[32], const uint8_t (*path)[MERKLE_HASH_LEN], size_t n_path,
             const checkpoint_t *cp)
{
    if (self->proofs.n &&
        (self->proofs.size != cp->size || memcmp (self->proofs.root, cp->root, 32) != 0 ||
         self->proofs.n == PROOFS_ROW_MAX))
        s_proofs_write (self);
    size_t shared = self->proofs.n
                        ? merkle_path_shared_end (
                              path, n_path, (const uint8_t (*)[MERKLE_HASH_LEN]) self->proofs.last,
                              self->proofs.last_len)
                        : 0;
    size_t need = self->proofs.len + PROOF_FIXED + (n_path - shared) * MERKLE_HASH_LEN;
    if (need > self->proofs.cap) {
        size_t cap = self->proofs.cap ? self->proofs.cap : 16384;
        while (cap < need)
            cap *= 2;
        uint8_t *grown = realloc (self->proofs.bytes, cap);
        if (!grown) {
            kt_log (KT_LOG_ERROR, "witness store_failed reason=\"out of memory\"");
            return;
        }
        self->proofs.bytes = grown;
        self->proofs.cap = cap;
    }
    uint8_t *e = self->proofs.bytes + self->proofs.len;
    memcpy (e, id, KT_ID_LEN);
    for (int i = 0; i < 8; i++)
        e[KT_ID_LEN + i] = (uint8_t) (log_index >> (56 - 8 * i));
    memcpy (e + KT_ID_LEN + 8, leaf, 32);
    e[KT_ID_LEN + 40] = (uint8_t) n_path;
    e[KT_ID_LEN + 41] = (uint8_t) shared;
    memcpy (e + PROOF_FIXED, path, (n_path - shared) * MERKLE_HASH_LEN);
    self->proofs.len = need;
    self->proofs.size = cp->size;
    memcpy (self->proofs.root, cp->root, 32);
    memcpy (self->proofs.last, path, n_path * MERKLE_HASH_LEN);
    self->proofs.last_len = n_path;
    self->proofs.n++;
}

/*  One kept proof: its log index, leaf and whole path. */
typedef void (proof_fn) (void *arg, uint64_t log_index, const uint8_t leaf[32],
                         const uint8_t (*path)[MERKLE_HASH_LEN], size_t n_path);

/*  Walk the n proofs of a witness_proofs row, each handed to fn (when
 *  not NULL) with its path made whole: 0, or -1 when the row does not
 *  hold exactly n well-formed proofs. */
static int
s_proofs_walk (const uint8_t *p, size_t len, size_t n, proof_fn *fn, void *arg)
{
    uint8_t path[MERKLE_MAX_PATH][MERKLE_HASH_LEN], next[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    size_t n_path = 0, off = 0;
    for (size_t i = 0; i < n; i++) {
        if (len - off < PROOF_FIXED)
            return -1;
        const uint8_t *e = p + off;
        size_t whole = e[KT_ID_LEN + 40], shared = e[KT_ID_LEN + 41];
        if (whole > MERKLE_MAX_PATH || shared > whole || shared > n_path ||
            (len - off - PROOF_FIXED) / MERKLE_HASH_LEN < whole - shared)
            return -1;
        uint64_t index = 0;
        for (int b = 0; b < 8; b++)
            index = index << 8 | e[KT_ID_LEN + b];
        memcpy (next, e + PROOF_FIXED, (whole - shared) * MERKLE_HASH_LEN);
        memcpy (next + (whole - shared), path + (n_path - shared), shared * MERKLE_HASH_LEN);
        memcpy (path, next, whole * MERKLE_HASH_LEN);
        n_path = whole;
        if (fn)
            fn (arg, index, e + KT_ID_LEN + 8, (const uint8_t (*)[MERKLE_HASH_LEN]) path, n_path);
        off += PROOF_FIXED + (whole - shared) * MERKLE_HASH_LEN;
    }
    return off == len ? 0 : -1;
}

/*  The proofs of a witness_proofs row, each handed to fn; -1 (none
 *  handed out) when the row is malformed. */
static int
s_proofs_each (const uint8_t *p, size_t len, size_t n, proof_fn *fn, void *arg)
{
    if (n == 0 || s_proofs_walk (p, len, n, NULL, NULL) != 0)
        return -1;
    return s_proofs_walk (p, len, n, fn, arg);
}

/*  Columns 0 (an integer) and 1 (a 32-byte root) of a row. */
typedef struct {
    int64_t *value;
    uint8_t *root;
    bool found;
} sized_root_t;

static int
s_root_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    sized_root_t *r = arg;
    if ((r->found = store_blob_is (q, 1, 32))) {
        *r->value = sqlite3_column_int64 (q, 0);
        memcpy (r->root, sqlite3_column_blob (q, 1), 32);
    }
    return 0;
}

/*  A one-row read; a failure is logged and reads as no row. */
static bool
s_read (witness_t *self, const char *sql, const store_value_t *values, sized_root_t *r,
        const char *what)
{
    kt_reason_t reason;
    if (store_one (self->db, sql, values, s_root_row, r, what, &reason) < 0)
        kt_log (KT_LOG_ERROR, "witness read_failed reason=\"%s\"", reason.text);
    return r->found;
}

/*  Raise an alarm: kept, and in the journal (ids and sizes only). */
static void s_alarm (witness_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
s_alarm (witness_t *self, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (what, sizeof what, fmt, ap);
    va_end (ap);
    kt_log (KT_LOG_ERROR, "log alarm what=\"%s\"", what);
    s_run (self, "INSERT INTO witness_alarm (at_ms, what) VALUES (?,?)",
           STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (what)), "keep the alarm");
}

void
witness_decode_with (witness_t *self, ProtobufCAllocator *allocator)
{
    self->allocator = allocator;
}

int
witness_alarm_read (witness_t *self, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM witness_alarm LIMIT 1", NULL, NULL, NULL,
                      "read the alarms", reason);
}

/*  The kept checkpoint; size 0 when none. */
static void
s_kept (witness_t *self, uint64_t *size, uint8_t root[32])
{
    int64_t kept = 0;
    sized_root_t r = {&kept, root, false};
    *size = s_read (self, "SELECT size, root FROM witness_kept WHERE id=1", NULL, &r,
                    "read the kept checkpoint")
                ? (uint64_t) kept
                : 0;
}

/*  The root seen for size: 1 found (state in *state), 0 not. */
static int
s_seen (witness_t *self, uint64_t size, uint8_t root[32], int *state)
{
    int64_t seen_state = 0;
    sized_root_t r = {&seen_state, root, false};
    if (!s_read (self, "SELECT state, root FROM witness_seen WHERE size=?",
                 STORE_VALUES (STORE_INT (size)), &r, "read a checkpoint seen"))
        return 0;
    *state = (int) seen_state;
    return 1;
}

static void
s_exec (witness_t *self, const char *sql, uint64_t size, const uint8_t *root, int state)
{
    s_run (self, sql,
           STORE_VALUES (STORE_INT (size), root ? STORE_BLOB (root, 32) : STORE_NULL,
                         STORE_INT (state)),
           "record a checkpoint seen");
}

/*  Record a checkpoint seen.  Two roots for one size are two histories. */
static bool
s_record (witness_t *self, const checkpoint_t *cp, int state)
{
    uint8_t root[32];
    int old_state;
    if (s_seen (self, cp->size, root, &old_state)) {
        if (memcmp (root, cp->root, 32) != 0) {
            s_alarm (self, "the uitvoerder showed two different trees of size %llu",
                     (unsigned long long) cp->size);
            return false;
        }
        if (state > old_state)
            s_exec (self, "UPDATE witness_seen SET state=?3 WHERE size=?1 AND ?2 IS NOT NULL",
                    cp->size, cp->root, state);
        return true;
    }
    s_exec (self, "INSERT INTO witness_seen (size, root, state) VALUES (?1, ?2, ?3)", cp->size,
            cp->root, state);
    return true;
}

/*  A witness (politie, OM) cosigns the pushed checkpoint it verified,
 *  once per size. */
static void
s_cosign (witness_t *self, const checkpoint_t *cp, const char *note, size_t len, witness_out_t *out)
{
    if (!self->cosign || !self->pushed || out->cosigned || self->cosigned_size == cp->size)
        return;
    kt_reason_t reason;
    if (checkpoint_cosign (note, len, self->origin, self->log_pk, self->keys->pub.id,
                           self->keys->signing_sk, kt_now_ms () / 1000, &out->cosigned,
                           &reason) != 0)
        kt_log (KT_LOG_WARN, "witness cosign_failed reason=\"%s\"", reason.text);
    else
        self->cosigned_size = cp->size;
}

/*  cp is proven to extend the kept checkpoint: keep it (and cosign). */
static void
s_keep (witness_t *self, const checkpoint_t *cp, const char *note, size_t len, witness_out_t *out)
{
    /*  A second root for a size seen before is a fork: raise the alarm
     *  and keep what was verified before. */
    if (!s_record (self, cp, SEEN_CONSISTENT))
        return;
    s_run (self, "INSERT OR REPLACE INTO witness_kept (id, size, root, note) VALUES (1, ?, ?, ?)",
           STORE_VALUES (STORE_INT (cp->size), STORE_BLOB (cp->root, 32), STORE_TEXT_N (note, len)),
           "keep the checkpoint");
    s_cosign (self, cp, note, len, out);
}

/*  Ask the uitvoerder for the consistency proof old_size -> new_size:
 *  a pair once a second at most, and - forward, old_size the kept
 *  checkpoint - one request from a kept size at a time (until its answer
 *  moves the kept one on, or WITNESS_ASK_WAIT_MS passed without it): its
 *  answer keeps its newer size, the newer ones that came meanwhile are
 *  asked about from there, and the older ones against it. */
static void
s_ask (witness_t *self, uint64_t old_size, uint64_t new_size, bool forward, witness_out_t *out)
{
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < WITNESS_ASKED_MAX; i++) {
        if (!self->asked[i].at_ms || self->asked[i].old_size != old_size)
            continue;
        if (self->asked[i].new_size == new_size && now - self->asked[i].at_ms < 1000)
            return;
        if (forward && self->asked[i].new_size > old_size &&
            now - self->asked[i].at_ms < WITNESS_ASK_WAIT_MS)
            return;
    }
    size_t i = self->asked_next++ % WITNESS_ASKED_MAX;
    self->asked[i].old_size = old_size;
    self->asked[i].new_size = new_size;
    self->asked[i].at_ms = now;
    out->request = true;
    out->old_size = old_size;
    out->new_size = new_size;
}

/*  A checkpoint whose signature verified, without a proof alongside. */
static void
s_offer (witness_t *self, const checkpoint_t *cp, const char *note, size_t len, witness_out_t *out)
{
    uint64_t kept_size;
    uint8_t kept_root[32];
    s_kept (self, &kept_size, kept_root);
    if (kept_size == 0) {
        /*  The first checkpoint is taken on trust (trust on first use);
         *  every later one must be consistent with it. */
        s_keep (self, cp, note, len, out);
        return;
    }
    /*  Receipts and pushes carry the uitvoerder's current tree: smaller
     *  than one verified before means the log was rolled back. */
    if (cp->size < kept_size) {
        s_alarm (self, "the uitvoerder's log went back from size %llu to %llu",
                 (unsigned long long) kept_size, (unsigned long long) cp->size);
        return;
    }
    if (!s_record (self, cp, SEEN_PENDING))
        return;
    if (cp->size == kept_size) {
        if (memcmp (cp->root, kept_root, 32) != 0)
            s_alarm (self, "the uitvoerder showed two different trees of size %llu",
                     (unsigned long long) cp->size);
        else
            s_cosign (self, cp, note, len, out);
        return;
    }
    s_ask (self, kept_size, cp->size, true, out);
}

/*  An accepted receipt that proves nothing about the message (no proof,
 *  or no entry to say what the proof is of) kept on record, so that it
 *  is counted, not passed over. */
static void
s_unproven (witness_t *self, const uint8_t id[KT_ID_LEN], const Keten__Receipt *r, const char *why)
{
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    kt_reason_t reason;
    if (store_run (self->db,
                   "INSERT OR IGNORE INTO witness_unproven (message_id, log_index, at_ms)"
                   " VALUES (?,?,?)",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_INT (r->log_index),
                                 STORE_INT (kt_now_ms ())),
                   "note an unproven receipt", &reason) < 0)
        kt_log (KT_LOG_ERROR, "witness unproven_failed receipt=%s reason=\"%s\"", hex, reason.text);
    else if (ratelog_due (self->quiet, why, 0, kt_mono_us ()))
        kt_log (KT_LOG_WARN, "log unproven receipt=%s log_index=%llu reason=\"%s\"%s", hex,
                (unsigned long long) r->log_index, why, ratelog_note (self->quiet));
}

/*  The events an uitvoerder logs a member's accepted message under, at
 *  the index its receipt names: its arrival (MESSAGE_RECEIVED: signals,
 *  casus contributions, decisions, corrections and withdrawals,
 *  retention orders, transfers), or what it records of it at once (an
 *  answer to the weegploeg, a rights decision, an incident's
 *  registration, a read of personal data). */
static bool
s_arrival_event (Keten__LogEvent event)
{
    return event == KETEN__LOG_EVENT__MESSAGE_RECEIVED ||
           event == KETEN__LOG_EVENT__INFORMATION_ANSWERED ||
           event == KETEN__LOG_EVENT__RIGHTS_DECIDED ||
           event == KETEN__LOG_EVENT__INCIDENT_REGISTERED ||
           event == KETEN__LOG_EVENT__PERSONAL_DATA_ACCESSED;
}

/*  Whether r's entry is the one its proof is of (its leaf is leaf_hash)
 *  and records message id arriving from sender, with the header whose
 *  leaf hash is header_leaf (NULL: not known here, not compared), as
 *  an arrival.  false with what differs in why. */
static bool
s_entry_binds (witness_t *self, const Keten__Receipt *r, const uint8_t id[KT_ID_LEN],
               const char *sender, const uint8_t *header_leaf, const char **why)
{
    uint8_t leaf[MERKLE_HASH_LEN];
    merkle_leaf_hash (leaf, r->entry.data, r->entry.len);
    if (memcmp (leaf, r->leaf_hash.data, MERKLE_HASH_LEN) != 0) {
        *why = "its entry is not the leaf its proof is of";
        return false;
    }
    Keten__LogEntry *e = keten__log_entry__unpack (self->allocator, r->entry.len, r->entry.data);
    if (!e)
        *why = "its entry does not decode";
    else if (e->message_id.len != KT_ID_LEN || memcmp (e->message_id.data, id, KT_ID_LEN) != 0)
        *why = "its entry is of another message";
    else if (strcmp (e->node, sender) != 0)
        *why = "its entry names another sender";
    else if (!s_arrival_event (e->event))
        *why = "its entry does not record an arrival";
    else if (header_leaf && (e->header_hash.len != MERKLE_HASH_LEN ||
                             memcmp (e->header_hash.data, header_leaf, MERKLE_HASH_LEN) != 0))
        *why = "its entry names another header";
    else
        *why = NULL;
    if (e)
        keten__log_entry__free_unpacked (e, self->allocator);
    return *why == NULL;
}

void
witness_on_receipt (witness_t *self, const uint8_t id[KT_ID_LEN], const Keten__Receipt *r,
                    const char *sender, const uint8_t *header_leaf, witness_out_t *out)
{
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    kt_reason_t reason;
    /*  A refusal is proven by nothing: nothing was logged for it. */
    if (r->status == KETEN__RECEIPT_STATUS__REFUSED)
        return;
    /*  Accepted without a proof (the uitvoerder could not make one). */
    if (r->checkpoint.len == 0) {
        s_unproven (self, id, r, "no proof");
        return;
    }
    /*  A proof no honest uitvoerder sends. */
    if (r->leaf_hash.len != 32 || r->n_inclusion > MERKLE_MAX_PATH) {
        s_alarm (self, "a receipt's proof is malformed (log index %llu)",
                 (unsigned long long) r->log_index);
        return;
    }
    /*  What the proof is of.  Without the entry (an older uitvoerder),
     *  or without the header this node sent to compare it with (its row
     *  blanked since), the proof does not show that this message is in
     *  the log: the receipt is counted as unproven, its checkpoint still
     *  checked and offered. */
    const char *unbound = NULL, *why;
    if (r->entry.len == 0)
        unbound = "no log entry";
    else if (!s_entry_binds (self, r, id, sender, header_leaf, &why)) {
        s_alarm (self, "the receipt for log index %llu: %s", (unsigned long long) r->log_index,
                 why);
        return;
    } else if (!header_leaf)
        unbound = "header not known";
    checkpoint_t cp;
    bool same;
    if (s_open (self, r->checkpoint.data, r->checkpoint.len, &cp, &same, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "log alarm receipt=%s reason=\"%s\"", hex, reason.text);
        s_alarm (self, "a receipt's checkpoint does not verify (log index %llu)",
                 (unsigned long long) r->log_index);
        return;
    }
    /*  In a batch, the checkpoint of the receipt before, checked and
     *  offered already: the kept one has not moved past it since (only
     *  this note's own consistency proof moves it, up to this size). */
    bool again = self->batch && same && self->last_offered;
    uint64_t kept_size;
    uint8_t kept_root[32];
    if (!again) {
        s_kept (self, &kept_size, kept_root);
        if (cp.size < kept_size) {
            s_alarm (self, "the uitvoerder's log went back from size %llu to %llu",
                     (unsigned long long) kept_size, (unsigned long long) cp.size);
            return;
        }
    }
    uint8_t path[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    bool ok = true;
    for (size_t i = 0; i < r->n_inclusion; i++) {
        ok &= r->inclusion[i].len == 32;
        if (ok)
            memcpy (path[i], r->inclusion[i].data, 32);
    }
    if (!ok || !merkle_verify_inclusion (r->leaf_hash.data, r->log_index, cp.size,
                                         (const uint8_t (*)[32]) path, r->n_inclusion, cp.root)) {
        s_alarm (self, "the receipt for log index %llu is not in checkpoint %llu",
                 (unsigned long long) r->log_index, (unsigned long long) cp.size);
        return;
    }
    if (unbound)
        s_unproven (self, id, r, unbound);
    else {
        s_proof_add (self, id, r->log_index, r->leaf_hash.data, (const uint8_t (*)[32]) path,
                     r->n_inclusion, &cp);
        if (!self->batch)
            s_proofs_write (self);
    }
    if (r->cp_old_size > 0) {
        Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
        m.note = r->checkpoint;
        m.old_size = r->cp_old_size;
        m.consistency = r->cp_consistency;
        m.n_consistency = r->n_cp_consistency;
        s_on_checkpoint (self, &m, out);
    } else if (!again)
        s_offer (self, &cp, (const char *) r->checkpoint.data, r->checkpoint.len, out);
    /*  Offered: by s_offer, now or before.  A consistency proof alone does
     *  not count: the next receipt with this note is offered as before. */
    self->last_offered = self->batch && (self->last_offered || r->cp_old_size == 0);
}

void
witness_preverify (witness_t *self, const uint8_t *note, size_t len)
{
    /*  Known already, or no room: s_open verifies it once, as before. */
    if (s_is_last (self, note, len) || s_ahead_find (self, note, len) != SIZE_MAX ||
        self->n_ahead == WITNESS_AHEAD_MAX)
        return;
    checkpoint_t cp;
    kt_reason_t ignored;
    if (checkpoint_open ((const char *) note, len, self->origin, self->log_pk, &cp, &ignored) != 0)
        return; /* left for witness_on_receipt to find */
    char *copy = malloc (len ? len : 1);
    if (!copy)
        return;
    memcpy (copy, note, len);
    self->ahead[self->n_ahead].note = copy;
    self->ahead[self->n_ahead].len = len;
    self->ahead[self->n_ahead].cp = cp;
    self->n_ahead++;
}

void
witness_batch_begin (witness_t *self)
{
    self->batch = true;
    self->last_offered = false;
}

void
witness_batch_end (witness_t *self)
{
    /*  Notes verified ahead for messages that settled nothing. */
    s_ahead_clear (self);
    s_proofs_write (self);
    self->batch = self->last_offered = false;
}

void
witness_on_checkpoint (witness_t *self, const Keten__CheckpointMessage *m, witness_out_t *out)
{
    self->pushed = true;
    s_on_checkpoint (self, m, out);
    self->pushed = false;
}

void
witness_on_heartbeat (witness_t *self, uint64_t now_ms, witness_out_t *out)
{
    /*  A checkpoint seen, older than the kept one and not joined to the
     *  chain: the answer to our request about it never came.  The
     *  uitvoerder refuses a size whose checkpoint it no longer holds (its
     *  row can be lost in a crash: docs/ARCHITECTURE.md, rule 17).  A
     *  proof from that size to the kept checkpoint needs no checkpoint of
     *  that size, only of the kept one, so that is asked for, one a
     *  heartbeat (s_ask: a pair at most once a second), until its answer
     *  joins it to the chain (s_on_checkpoint) or raises the alarm.
     *  After an alarm nothing is asked: the operator decides first;
     *  nor while the alarms cannot be read (one may have been raised:
     *  the status names the witness unreadable, and its journal why). */
    kt_reason_t reason;
    if (out->request || witness_alarm_read (self, &reason) != 0)
        return;
    uint64_t kept_size;
    uint8_t kept_root[32];
    s_kept (self, &kept_size, kept_root);
    if (kept_size == 0)
        return;
    char sql[160];
    snprintf (sql, sizeof sql,
              "SELECT coalesce(max(size), 0) FROM witness_seen WHERE state=%d AND size<%llu",
              SEEN_PENDING, (unsigned long long) kept_size);
    int64_t pending = store_int (self->db, sql, 0);
    /*  And one newer than the kept one, its proof asked for when it came
     *  (a receipt's) and never given: asked again. */
    snprintf (sql, sizeof sql,
              "SELECT coalesce(min(size), 0) FROM witness_seen WHERE state=%d AND size>%llu",
              SEEN_PENDING, (unsigned long long) kept_size);
    int64_t newer = store_int (self->db, sql, 0);
    uint64_t asked = pending > 0 ? (uint64_t) pending : (uint64_t) (newer > 0 ? newer : 0);
    uint64_t step = self->beat_ms && now_ms > self->beat_ms ? now_ms - self->beat_ms : 0;
    self->beat_ms = now_ms;
    if (asked && asked == self->stuck_size)
        self->stuck_ms += step < WITNESS_STUCK_STEP_MS ? step : WITNESS_STUCK_STEP_MS;
    else {
        self->stuck_size = asked;
        self->stuck_ms = 0;
    }
    if (asked && self->stuck_ms >= WITNESS_STUCK_MS) {
        s_alarm (self,
                 "the uitvoerder has not proved checkpoint %llu consistent with the kept one "
                 "(%llu) in %llu minutes of asking",
                 (unsigned long long) asked, (unsigned long long) kept_size,
                 (unsigned long long) (self->stuck_ms / 60000));
        return;
    }
    if (pending > 0)
        s_ask (self, (uint64_t) pending, kept_size, false, out);
    else if (newer > 0)
        s_ask (self, kept_size, (uint64_t) newer, true, out);
}

/*  The consistency proof m carries, from its old_size tree (old_root) to
 *  cp, checked: bounded in length, 32-byte hashes, and verified. */
static bool
s_proof_ok (const Keten__CheckpointMessage *m, const checkpoint_t *cp, const uint8_t old_root[32])
{
    uint8_t proof[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    if (m->n_consistency > MERKLE_MAX_PATH)
        return false;
    for (size_t i = 0; i < m->n_consistency; i++) {
        if (m->consistency[i].len != 32)
            return false;
        memcpy (proof[i], m->consistency[i].data, 32);
    }
    return merkle_verify_consistency (m->old_size, cp->size, old_root, cp->root,
                                      (const uint8_t (*)[32]) proof, m->n_consistency);
}

/*  A checkpoint with (perhaps) a consistency proof from m->old_size: a
 *  push, an answer to a request of ours, or what a receipt carried. */
static void
s_on_checkpoint (witness_t *self, const Keten__CheckpointMessage *m, witness_out_t *out)
{
    checkpoint_t cp;
    kt_reason_t reason;
    const char *note = (const char *) m->note.data;
    size_t len = m->note.len;
    bool same;
    if (s_open (self, m->note.data, len, &cp, &same, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "log alarm checkpoint reason=\"%s\"", reason.text);
        s_alarm (self, "a pushed checkpoint does not verify");
        return;
    }
    uint64_t kept_size;
    uint8_t kept_root[32];
    s_kept (self, &kept_size, kept_root);
    if (kept_size == 0) {
        s_offer (self, &cp, note, len, out);
        return;
    }
    /*  A push is the current tree, never older than the kept one; an
     *  answer to a request of ours may be (the log grew while it
     *  travelled, behind the member's backlog).  Which it is, the witness
     *  does not judge by the requests it remembers, but by what the
     *  message proves: an answer carries a consistency proof from a tree
     *  seen here (the kept one, or a pending one, when it was asked).
     *  One that does is checked below like any other - the proof must
     *  hold, and the older tree is then asked about against the kept one
     *  (joined to the chain by the answer, or the alarm: a proof that
     *  fails, or none for 10 minutes, witness_on_heartbeat).  One without
     *  (a restarted uitvoerder's push of its current tree) went back. */
    uint8_t old_root[32], root[32];
    int old_state = SEEN_PENDING, state = SEEN_PENDING;
    bool have_old = false;
    if (m->old_size > 0 && m->old_size < cp.size) {
        if (m->old_size == kept_size) {
            memcpy (old_root, kept_root, 32);
            old_state = SEEN_CONSISTENT;
            have_old = true;
        } else
            have_old = s_seen (self, m->old_size, old_root, &old_state);
    }
    if (cp.size < kept_size && !have_old) {
        s_alarm (self, "the uitvoerder's log went back from size %llu to %llu",
                 (unsigned long long) kept_size, (unsigned long long) cp.size);
        return;
    }
    if (cp.size == kept_size && memcmp (cp.root, kept_root, 32) != 0) {
        s_alarm (self, "the uitvoerder showed two different trees of size %llu",
                 (unsigned long long) cp.size);
        return;
    }
    if (!s_record (self, &cp, cp.size == kept_size ? SEEN_CONSISTENT : SEEN_PENDING))
        return;
    if (cp.size == kept_size)
        s_cosign (self, &cp, note, len, out);

    /*  The proof alongside, when its older end is a tree seen here. */
    if (have_old) {
        if (!s_proof_ok (m, &cp, old_root)) {
            s_alarm (self, "the log's history between sizes %llu and %llu is not consistent",
                     (unsigned long long) m->old_size, (unsigned long long) cp.size);
            return;
        }
        /*  Proven: the older tree is a prefix of the newer.  Only a proof
         *  from the kept checkpoint moves it on; one from another tree of
         *  the chain says nothing about the trees between (a fork after
         *  it extends it as well). */
        if (m->old_size == kept_size && cp.size > kept_size) {
            s_keep (self, &cp, note, len, out);
            return;
        }
        /*  The older end joins the chain only through a newer end that is
         *  in it already, never the other way round. */
        bool new_in_chain = cp.size == kept_size ||
                            (s_seen (self, cp.size, root, &state) && state == SEEN_CONSISTENT);
        if (new_in_chain && old_state != SEEN_CONSISTENT) {
            checkpoint_t older = {.size = m->old_size};
            memcpy (older.root, old_root, 32);
            s_record (self, &older, SEEN_CONSISTENT);
        }
    }
    /*  Not (yet) chained to the kept checkpoint: ask for the proof between
     *  the two, whichever is older. */
    if (cp.size > kept_size)
        s_ask (self, kept_size, cp.size, true, out);
    else if (cp.size < kept_size &&
             !(s_seen (self, cp.size, root, &state) && state == SEEN_CONSISTENT))
        s_ask (self, cp.size, kept_size, false, out);
}

static int
s_alarm_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    json_t *o = json_pack ("{s:I, s:s}", "at_ms", (json_int_t) sqlite3_column_int64 (q, 0), "what",
                           store_text (q, 1));
    return o && json_array_append_new (arg, o) == 0 ? 0 : kt_fail (reason, "out of memory");
}

/*  The receipts whose proofs are kept, in either table. */
static int64_t
s_proven (witness_t *self)
{
    return store_int (self->db,
                      "SELECT (SELECT count(*) FROM witness_receipt)"
                      " + (SELECT coalesce(sum(n), 0) FROM witness_proofs)",
                      0);
}

json_t *
witness_status (witness_t *self)
{
    s_proofs_write (self);
    uint64_t size;
    uint8_t root[32];
    char hex[65] = "";
    s_kept (self, &size, root);
    if (size)
        kt_hex (hex, root, 32);
    json_t *alarms = json_array ();
    kt_reason_t reason;
    if (store_each (self->db, "SELECT at_ms, what FROM witness_alarm ORDER BY id DESC LIMIT 10",
                    NULL, NULL, s_alarm_row, alarms, "list the alarms", &reason) != 0) {
        kt_log (KT_LOG_ERROR, "witness read_failed reason=\"%s\"", reason.text);
        json_decref (alarms);
        return NULL;
    }
    return json_pack (
        "{s:I, s:s, s:I, s:I, s:o}", "checkpoint_size", (json_int_t) size, "checkpoint_root", hex,
        "receipts_proven", (json_int_t) s_proven (self), "pending",
        (json_int_t) store_int (self->db, "SELECT count(*) FROM witness_seen WHERE state=0", 0),
        "alarms", alarms);
}

typedef struct {
    uint64_t kept;
    json_int_t n, ok, pending, failed, first_bad;
    /*  The witness_proofs row being walked: its checkpoint holds (its
     *  size and root are those of a checkpoint seen, no newer than the
     *  kept one), whose state, and which checkpoint. */
    bool row_ok;
    int state;
    uint64_t size;
    const uint8_t *root;
} verifying_t;

/*  One kept receipt counted: good, its checkpoint's state. */
static void
s_verified (verifying_t *v, uint64_t index, bool good, int state)
{
    v->n++;
    if (!good) {
        v->failed++;
        if (v->first_bad < 0 || (json_int_t) index < v->first_bad)
            v->first_bad = (json_int_t) index;
    } else if (state == SEEN_CONSISTENT)
        v->ok++;
    else
        v->pending++;
}

/*  Whether a kept proof's checkpoint (columns size, root and the seen
 *  root at size, each at its index) is one seen: 1 no newer than the
 *  kept one, 2 newer (seen, not joined to the kept one yet: its proof
 *  waits, as right after the uitvoerder restarted), 0 not one seen. */
static int
s_checkpoint_ok (sqlite3_stmt *q, int size, int root, int seen, uint64_t kept)
{
    if (!(store_blob_is (q, root, 32) && store_blob_is (q, seen, 32) &&
          memcmp (sqlite3_column_blob (q, seen), sqlite3_column_blob (q, root), 32) == 0))
        return 0;
    return (uint64_t) sqlite3_column_int64 (q, size) <= kept ? 1 : 2;
}

/*  One kept receipt of witness_receipt: its proof against its
 *  checkpoint, and that checkpoint against the newest verified one. */
static int
s_verify_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    verifying_t *v = arg;
    uint64_t index = (uint64_t) sqlite3_column_int64 (q, 0);
    size_t n_path = (size_t) sqlite3_column_bytes (q, 4) / 32;
    int cp = s_checkpoint_ok (q, 2, 3, 6, v->kept);
    bool good = store_blob_is (q, 1, 32) && store_blob_is (q, 3, 32) && n_path <= MERKLE_MAX_PATH &&
                merkle_verify_inclusion (
                    sqlite3_column_blob (q, 1), index, (uint64_t) sqlite3_column_int64 (q, 2),
                    sqlite3_column_blob (q, 4), n_path, sqlite3_column_blob (q, 3)) &&
                cp != 0;
    s_verified (v, index, good, cp == 2 ? SEEN_PENDING : sqlite3_column_int (q, 5));
    return 0;
}

/*  One proof of a witness_proofs row. */
static void
s_verify_proof (void *arg, uint64_t log_index, const uint8_t leaf[32],
                const uint8_t (*path)[MERKLE_HASH_LEN], size_t n_path)
{
    verifying_t *v = arg;
    bool good =
        v->row_ok && merkle_verify_inclusion (leaf, log_index, v->size, path, n_path, v->root);
    s_verified (v, log_index, good, v->state);
}

/*  A witness_proofs row: each of its proofs, or all of them failed when
 *  the row is malformed. */
static int
s_verify_proofs_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    verifying_t *v = arg;
    int64_t n = sqlite3_column_int64 (q, 2);
    int cp = s_checkpoint_ok (q, 0, 1, 5, v->kept);
    v->row_ok = cp != 0;
    v->state = cp == 2 ? SEEN_PENDING : sqlite3_column_int (q, 4);
    v->size = (uint64_t) sqlite3_column_int64 (q, 0);
    v->root = sqlite3_column_blob (q, 1);
    if (n < 1 || n > PROOFS_ROW_MAX || sqlite3_column_type (q, 3) != SQLITE_BLOB ||
        s_proofs_each (sqlite3_column_blob (q, 3), (size_t) sqlite3_column_bytes (q, 3), (size_t) n,
                       s_verify_proof, v) != 0) {
        v->n += n > 0 ? n : 1;
        v->failed += n > 0 ? n : 1;
    }
    return 0;
}

json_t *
witness_verify (witness_t *self, kt_reason_t *reason)
{
    uint64_t kept;
    uint8_t kept_root[32];
    s_proofs_write (self);
    s_kept (self, &kept, kept_root);
    verifying_t v = {kept, 0, 0, 0, 0, -1, false, 0, 0, NULL};
    if (store_each (self->db,
                    "SELECT r.log_index, r.leaf, r.size, r.root, r.path, coalesce(s.state, -1),"
                    " s.root FROM witness_receipt r LEFT JOIN witness_seen s ON s.size = r.size"
                    " ORDER BY r.log_index",
                    NULL, NULL, s_verify_row, &v, "verify the kept receipts", reason) != 0 ||
        store_each (self->db,
                    "SELECT p.size, p.root, p.n, p.proofs, coalesce(s.state, -1), s.root"
                    " FROM witness_proofs p LEFT JOIN witness_seen s ON s.size = p.size"
                    " ORDER BY p.id",
                    NULL, NULL, s_verify_proofs_row, &v, "verify the kept receipts", reason) != 0) {
        kt_log (KT_LOG_ERROR, "witness read_failed reason=\"%s\"", reason->text);
        return NULL;
    }
    /*  An alarm not known is no "no alarm": the verification fails. */
    int alarm = witness_alarm_read (self, reason);
    if (alarm < 0) {
        kt_log (KT_LOG_ERROR, "witness read_failed reason=\"%s\"", reason->text);
        return NULL;
    }
    json_t *r =
        json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "receipts", v.n, "verified", v.ok,
                   "pending", v.pending, "failed", v.failed, "unproven",
                   (json_int_t) store_int (self->db, "SELECT count(*) FROM witness_unproven", 0),
                   "checkpoint_size", (json_int_t) kept, "alarm", alarm == 1);
    if (r && v.first_bad >= 0)
        json_object_set_new (r, "first_bad_index", json_integer (v.first_bad));
    return r;
}

int
witness_reanchor (witness_t *self, uint64_t size, const uint8_t root[32], uint32_t uid,
                  const char *user, const char *why, json_t **result, kt_reason_t *reason)
{
    *result = NULL;
    kt_reason_t unread;
    int alarm = witness_alarm_read (self, &unread);
    if (alarm < 0)
        return kt_fail (reason, "whether this node's log witness raised an alarm is not known (%s)",
                        unread.text);
    if (alarm == 0)
        return kt_fail (reason, "this node's log witness raised no alarm: it follows the log by "
                                "itself, and there is nothing to re-anchor");
    if (size == 0)
        return kt_fail (reason, "the tree size must be at least 1");
    uint64_t old_size;
    uint8_t old_root[32];
    s_kept (self, &old_size, old_root);
    s_proofs_write (self);
    int64_t alarms = store_int (self->db, "SELECT count(*) FROM witness_alarm", 0);
    int64_t receipts = s_proven (self);
    /*  One commit: the decision on record, the history given up set
     *  aside, the named tree kept as if verified (the next checkpoint
     *  must be proven to extend it, as always). */
    static const char *const moves[] = {
        "INSERT INTO witness_alarm_cleared (reanchor, at_ms, what)"
        " SELECT (SELECT max(id) FROM witness_reanchor), at_ms, what FROM witness_alarm",
        "INSERT INTO witness_receipt_old (message_id, reanchor, log_index, leaf, size, root, path)"
        " SELECT message_id, (SELECT max(id) FROM witness_reanchor), log_index, leaf, size, root,"
        " path FROM witness_receipt",
        "INSERT INTO witness_proofs_old (reanchor, size, root, n, proofs)"
        " SELECT (SELECT max(id) FROM witness_reanchor), size, root, n, proofs FROM witness_proofs",
        "INSERT INTO witness_seen_old (reanchor, size, root, state)"
        " SELECT (SELECT max(id) FROM witness_reanchor), size, root, state FROM witness_seen",
        "DELETE FROM witness_alarm",
        "DELETE FROM witness_receipt",
        "DELETE FROM witness_proofs",
        "DELETE FROM witness_seen",
    };
    int rc = store_begin (self->db, reason);
    if (rc == 0 &&
        store_run (self->db,
                   "INSERT INTO witness_reanchor (at_ms, uid, user, reason, old_size, old_root,"
                   " new_size, new_root) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_INT (uid), STORE_TEXT (user),
                                 STORE_TEXT (why), STORE_INT (old_size),
                                 old_size ? STORE_BLOB (old_root, 32) : STORE_NULL,
                                 STORE_INT (size), STORE_BLOB (root, 32)),
                   "record the re-anchoring", reason) < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < sizeof moves / sizeof moves[0]; i++)
        if (store_exec (self->db, moves[i], reason) != 0)
            rc = -1;
    if (rc == 0 &&
        (store_run (
             self->db,
             "INSERT OR REPLACE INTO witness_kept (id, size, root, note) VALUES (1, ?, ?, '')",
             STORE_VALUES (STORE_INT (size), STORE_BLOB (root, 32)), "keep the named tree",
             reason) < 0 ||
         store_run (
             self->db, "INSERT INTO witness_seen (size, root, state) VALUES (?, ?, ?)",
             STORE_VALUES (STORE_INT (size), STORE_BLOB (root, 32), STORE_INT (SEEN_CONSISTENT)),
             "keep the named tree", reason) < 0))
        rc = -1;
    if (rc == 0 && store_commit (self->db, reason) != 0)
        rc = -1;
    if (rc != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  Nothing of the history given up answers for the new one: no
     *  request of ours is pending, nothing was cosigned. */
    memset (self->asked, 0, sizeof self->asked);
    self->asked_next = 0;
    self->cosigned_size = 0;
    free (self->last_note);
    self->last_note = NULL;
    self->last_len = 0;
    s_ahead_clear (self);
    char was[65] = "-", now[65];
    if (old_size)
        kt_hex (was, old_root, 32);
    kt_log (KT_LOG_WARN,
            "log witness reanchored user=%s old_size=%llu old_root=%s new_size=%llu new_root=%s "
            "alarms=%lld receipts_set_aside=%lld",
            user, (unsigned long long) old_size, was, (unsigned long long) size,
            kt_hex (now, root, 32), (long long) alarms, (long long) receipts);
    *result =
        json_pack ("{s:I, s:s, s:I, s:s, s:I, s:I}", "old_size", (json_int_t) old_size, "old_root",
                   was, "new_size", (json_int_t) size, "new_root", now, "alarms_cleared",
                   (json_int_t) alarms, "receipts_set_aside", (json_int_t) receipts);
    return *result ? 0 : kt_fail (reason, "out of memory");
}
