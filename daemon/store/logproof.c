/*  logproof: checkpoints, cosignatures and proofs of the provenance log.  */
#include "logproof.h"

#include "checkpoint.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  Witnesses considered: the roster's politie and OM members. */
#define LOGPROOF_WITNESS_MAX 64
/*  Signature lines a cosigned note may carry: the log's and one per
 *  witness key. */
#define LOGPROOF_LINES_MAX (1 + LOGPROOF_WITNESS_MAX)
/*  A signature line starts with an em dash and a space (C2SP signed-note). */
#define EM_DASH_SP "\xe2\x80\x94 "
#define EM_DASH_SP_LEN (sizeof EM_DASH_SP - 1)

struct _logproof_t {
    sqlite3 *db;
    provlog_t *log;
    const keys_secret_t *keys;
    char origin[CHECKPOINT_ORIGIN_MAX + 1];
    uint64_t signed_size; /* size of current_note */
    char *current_note;
    /*  current_note signed here and not yet in the checkpoint table
     *  (logproof_keep): its root and when it was signed.  Only while
     *  deferring (logproof_defer); otherwise a new note's row is written
     *  when it is signed. */
    bool defer;
    bool unkept;
    uint8_t unkept_root[32];
    uint64_t unkept_ms;
};

static const char *const s_migrations[] = {
    /*  Every checkpoint signed, with the witnesses that cosigned it. */
    "CREATE TABLE checkpoint (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL,"
    " signed_ms INTEGER NOT NULL, cosigners TEXT NOT NULL DEFAULT '');",
};

void
logproof_origin (char *out, size_t len, const char *federation)
{
    snprintf (out, len, "%s/log", federation);
}

logproof_t *
logproof_new (sqlite3 *db, provlog_t *log, const keys_secret_t *keys, const char *federation,
              kt_reason_t *reason)
{
    logproof_t *self =
        store_module_new (sizeof *self, db, "logproof", STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->db = db;
        self->log = log;
        self->keys = keys;
        logproof_origin (self->origin, sizeof self->origin, federation);
    }
    return self;
}

void
logproof_destroy (logproof_t **self_p)
{
    logproof_t *self = *self_p;
    if (!self)
        return;
    kt_reason_t reason;
    if (logproof_keep (self, &reason) != 0)
        kt_log (KT_LOG_WARN, "checkpoint keep_failed reason=\"%s\"", reason.text);
    free (self->current_note);
    free (self);
    *self_p = NULL;
}

void
logproof_defer (logproof_t *self)
{
    self->defer = true;
}

/*  The unkept note's row written, if there is one. */
static int
s_keep_unkept (logproof_t *self, kt_reason_t *reason)
{
    if (!self->unkept)
        return 0;
    /*  A cache, kept without waiting for the disk (it was one of the six
     *  durable waits of a signal; docs/PERFORMANCE.md): the tree of its
     *  size is on disk already, and Ed25519 signs it to the same note
     *  again after a crash.  A member that asks about a size lost that
     *  way is refused; its witness asks again for a proof from that size
     *  to the checkpoint it keeps (witness_on_heartbeat). */
    if (store_run_cached (
            self->db,
            "INSERT OR IGNORE INTO checkpoint (size, root, note, signed_ms)"
            " VALUES (?,?,?,?)",
            STORE_VALUES (STORE_INT (self->signed_size), STORE_BLOB (self->unkept_root, 32),
                          STORE_TEXT (self->current_note), STORE_INT (self->unkept_ms)),
            "keep the checkpoint", reason) < 0)
        return -1;
    self->unkept = false;
    return 0;
}

int
logproof_keep (logproof_t *self, kt_reason_t *reason)
{
    self->defer = false;
    return s_keep_unkept (self, reason);
}

/*  Before a read of the whole table: the unkept row written, so the
 *  read sees it.  A failure is logged, not passed on: the row is a
 *  cache, and the read answers from the rows there are. */
static void
s_keep_for_read (logproof_t *self)
{
    kt_reason_t why;
    if (s_keep_unkept (self, &why) != 0)
        kt_log (KT_LOG_WARN, "checkpoint keep_failed reason=\"%s\"", why.text);
}

static int
s_note_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    char **note_p = arg;
    if (!(*note_p = strdup (store_text (q, 0))))
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  The stored note of size into *note_p (heap): 1, or 0 when none was
 *  signed, -1 with reason when it cannot be read. */
static int
s_stored (logproof_t *self, uint64_t size, char **note_p, kt_reason_t *reason)
{
    *note_p = NULL;
    if (self->unkept && size == self->signed_size) {
        /*  Signed, its row not written yet. */
        if (!(*note_p = strdup (self->current_note)))
            return kt_fail (reason, "out of memory");
        return 1;
    }
    return store_one (self->db, "SELECT note FROM checkpoint WHERE size=?",
                      STORE_VALUES (STORE_INT (size)), s_note_row, note_p,
                      "read a stored checkpoint", reason);
}

int
logproof_vkey (logproof_t *self, char *out, size_t len)
{
    return note_verifier_format (out, len, self->origin, self->keys->pub.signing_pk);
}

int
logproof_vkey_of (const char *federation, const uint8_t pk[32], char *out, size_t len)
{
    char origin[CHECKPOINT_ORIGIN_MAX + 1];
    logproof_origin (origin, sizeof origin, federation);
    return note_verifier_format (out, len, origin, pk);
}

/*  Make the checkpoint of size (the current tree's) current_note: the
 *  one signed before, or signed now (once per size) and kept later, by
 *  logproof_keep - after the receipts that carry it have left, not on
 *  their way (issue #17), or by the next read of the table. */
static int
s_make_current (logproof_t *self, uint64_t size, kt_reason_t *reason)
{
    if (self->current_note && self->signed_size == size)
        return 0;
    /*  The one signed before this, if its row is still to be written. */
    if (s_keep_unkept (self, reason) != 0)
        return -1;
    char *note = NULL;
    int stored = s_stored (self, size, &note, reason);
    if (stored < 0)
        return -1;
    uint8_t root[32];
    if (stored == 0) {
        checkpoint_t cp = {.size = size};
        snprintf (cp.origin, sizeof cp.origin, "%s", self->origin);
        if (provlog_checkpoint_root (self->log, size, cp.root, reason) != 0 ||
            checkpoint_format (&cp, self->keys->signing_sk, &note, reason) != 0)
            return -1;
        memcpy (root, cp.root, sizeof root);
    }
    free (self->current_note);
    self->current_note = note;
    self->signed_size = size;
    self->unkept = stored == 0;
    if (self->unkept) {
        memcpy (self->unkept_root, root, sizeof root);
        self->unkept_ms = kt_now_ms ();
    }
    /*  Not deferring: written now, as it always was. */
    return self->unkept && !self->defer ? s_keep_unkept (self, reason) : 0;
}

/*  A heap copy of the checkpoint of size, the current tree's. */
static char *
s_sign (logproof_t *self, uint64_t size, kt_reason_t *reason)
{
    if (s_make_current (self, size, reason) != 0)
        return NULL;
    char *copy = strdup (self->current_note);
    if (!copy)
        kt_fail (reason, "out of memory");
    return copy;
}

const char *
logproof_current (logproof_t *self, kt_reason_t *reason)
{
    uint64_t size = provlog_size (self->log);
    if (size == 0) {
        kt_fail (reason, "the log is empty");
        return NULL;
    }
    return s_make_current (self, size, reason) == 0 ? self->current_note : NULL;
}

int
logproof_prove (logproof_t *self, uint64_t index, Keten__Receipt *r, logproof_receipt_t *proof,
                kt_reason_t *reason)
{
    const char *note = logproof_current (self, reason);
    size_t n = 0;
    if (!note || provlog_leaf (self->log, index, proof->leaf, reason) != 0 ||
        provlog_inclusion_proof (self->log, index, self->signed_size, proof->path, &n, reason) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        proof->items[i].data = proof->path[i];
        proof->items[i].len = 32;
    }
    r->checkpoint.data = (uint8_t *) note;
    r->checkpoint.len = strlen (note);
    r->leaf_hash.data = proof->leaf;
    r->leaf_hash.len = 32;
    r->inclusion = proof->items;
    r->n_inclusion = n;
    return 0;
}

int
logproof_message (logproof_t *self, uint64_t old_size, uint64_t new_size,
                  Keten__CheckpointMessage *msg, logproof_message_t *store, kt_reason_t *reason)
{
    memset (store, 0, sizeof *store);
    uint64_t size = provlog_size (self->log);
    if (new_size == 0 || new_size > size || old_size > new_size)
        return kt_fail (reason, "no checkpoint from %llu to %llu in a log of %llu",
                        (unsigned long long) old_size, (unsigned long long) new_size,
                        (unsigned long long) size);
    /*  Only the current tree is signed here; an older size is answered
     *  with the checkpoint signed when it was current, or not at all, so a
     *  member's requests cannot make the log sign a note per size.  Every
     *  size a member saw was current once (receipts and pushes carry the
     *  current one), so a member asks only about stored sizes.  old_size
     *  needs no signature and stays free: a member whose kept checkpoint
     *  this node.db no longer holds can still connect it. */
    if (new_size == size)
        store->note = s_sign (self, new_size, reason);
    else if (s_stored (self, new_size, &store->note, reason) == 0)
        kt_fail (reason, "no checkpoint of size %llu was signed here",
                 (unsigned long long) new_size);
    size_t n = 0;
    if (!store->note ||
        provlog_consistency_proof (self->log, old_size, new_size, store->proof, &n, reason) != 0) {
        logproof_message_clear (store);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        store->items[i].data = store->proof[i];
        store->items[i].len = 32;
    }
    msg->note.data = (uint8_t *) store->note;
    msg->note.len = strlen (store->note);
    msg->old_size = old_size;
    msg->consistency = store->items;
    msg->n_consistency = n;
    return 0;
}

void
logproof_message_clear (logproof_message_t *store)
{
    free (store->note);
    store->note = NULL;
}

/*  The signature lines of a note: everything after its blank line. */
static const char *
s_signatures (const char *note)
{
    const char *blank = strstr (note, "\n\n");
    return blank ? blank + 2 : NULL;
}

/*  Whether the signature lines at sigs hold the line l (n bytes, its
 *  newline included) as it is. */
static bool
s_has_line (const char *sigs, const char *l, size_t n)
{
    for (const char *p = sigs; p && *p;) {
        const char *e = strchr (p, '\n');
        size_t pn = e ? (size_t) (e - p) + 1 : strlen (p);
        if (pn == n && memcmp (p, l, n) == 0)
            return true;
        p += pn;
    }
    return false;
}

/*  Append to merged (room for note's lines included) every signature line
 *  of note that carries a known witness's name and key and whose key has
 *  no line in merged yet; returns how many lines were dropped: neither a
 *  witness's nor in merged already (as the log's own line is).  No
 *  signature is verified here: checkpoint_verify_cosignatures verified
 *  every such line of note before, over the same checkpoint text as
 *  merged's (logproof_add_cosignature checks that), so a line claiming a
 *  witness's key is that witness's cosignature.  A line by any other key
 *  costs a base64 decode and nothing more, however many a note carries. */
static size_t
s_merge (const checkpoint_witness_t *known, size_t n_known, char *merged, const char *note)
{
    size_t dropped = 0;
    bool has[LOGPROOF_WITNESS_MAX] = {false};
    for (const char *p = s_signatures (merged); p && *p;) {
        const char *e = strchr (p, '\n');
        size_t pn = e ? (size_t) (e - p) + 1 : strlen (p);
        int k = checkpoint_line_witness (p, pn, known, n_known);
        if (k >= 0)
            has[k] = true;
        p += pn;
    }
    for (const char *l = s_signatures (note); l && *l;) {
        const char *end = strchr (l, '\n');
        size_t n = end ? (size_t) (end - l) + 1 : strlen (l);
        int k = end ? checkpoint_line_witness (l, n, known, n_known) : -1;
        size_t merged_len = strlen (merged);
        if (k >= 0 && !has[k]) {
            memcpy (merged + merged_len, l, n);
            merged[merged_len + n] = '\0';
            has[k] = true;
        } else if (k < 0 && !s_has_line (s_signatures (merged), l, n))
            dropped++;
        l += n;
    }
    return dropped;
}

/*  The witnesses that cosigned (all) as "a,b", each once whichever of
 *  its keys it used; witness receives one of those that found holds. */
static void
s_cosigners (const checkpoint_witness_t *known, size_t n_known, const checkpoint_cosig_t *all,
             const checkpoint_cosig_t *found, char *cosigners, size_t len, char witness[65])
{
    size_t o = 0;
    for (size_t i = 0; i < n_known; i++) {
        bool listed = false;
        for (size_t j = 0; j < i; j++)
            listed |= all[j].cosigned && strcmp (known[j].name, known[i].name) == 0;
        if (all[i].cosigned && !listed && o < len)
            o += (size_t) snprintf (cosigners + o, len - o, "%s%s", o ? "," : "", known[i].name);
        if (all[i].cosigned && found[i].cosigned)
            snprintf (witness, 65, "%s", known[i].name);
    }
}

int
logproof_add_cosignature (logproof_t *self, const roster_t *roster, const char *note, size_t len,
                          char witness[65], kt_reason_t *reason)
{
    /*  The row of a note signed and not yet written, first: the merge
     *  below updates it. */
    if (s_keep_unkept (self, reason) != 0)
        return -1;
    /*  Witnesses: the politie and OM members (issue #4), under their
     *  previous signing key too while a key rotation overlap lasts. */
    checkpoint_witness_t known[LOGPROOF_WITNESS_MAX];
    checkpoint_cosig_t found[LOGPROOF_WITNESS_MAX];
    size_t n_known = 0;
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < roster->member_count && n_known < LOGPROOF_WITNESS_MAX; i++) {
        const roster_member_t *m = &roster->members[i];
        /*  A member that left (revoked: its key may be why) witnesses
         *  nothing any more. */
        if ((strcmp (m->kind, "politie") != 0 && strcmp (m->kind, "om") != 0) ||
            !roster_member_active (m, now))
            continue;
        known[n_known++] = (checkpoint_witness_t){m->id, m->signing_pk};
        if (roster_member_previous_active (m, now) && n_known < LOGPROOF_WITNESS_MAX)
            known[n_known++] = (checkpoint_witness_t){m->id, m->previous_signing_pk};
    }
    /*  And the uitvoerder of every federation peered now, which witnesses
     *  this log as politie and OM do (docs/FEDERATIONS.md). */
    for (size_t i = 0; i < roster->peering_count && n_known < LOGPROOF_WITNESS_MAX; i++)
        if (roster_peering_active (&roster->peerings[i], now))
            known[n_known++] = (checkpoint_witness_t){roster->peerings[i].uitvoerder,
                                                      roster->peerings[i].signing_pk};
    checkpoint_t cp;
    if (len > CHECKPOINT_NOTE_MAX || strlen (note) != len)
        return kt_fail (reason, "cosigned checkpoint too large or not text");
    /*  The log's own line and at most one per witness key: a note with
     *  more is refused before any signature is checked. */
    size_t lines = 0;
    for (const char *l = s_signatures (note); l && *l; lines++) {
        const char *nl = strchr (l, '\n');
        l = nl ? nl + 1 : l + strlen (l);
    }
    if (lines > LOGPROOF_LINES_MAX)
        return kt_fail (reason, "cosigned checkpoint has %zu signature lines, at most %d", lines,
                        LOGPROOF_LINES_MAX);
    if (checkpoint_verify_cosignatures (note, len, self->origin, self->keys->pub.signing_pk, known,
                                        n_known, found, NULL, &cp, reason) != 0)
        return -1;
    char *stored = NULL;
    int have = s_stored (self, cp.size, &stored, reason);
    if (have <= 0)
        return have < 0 ? -1
                        : kt_fail (reason, "no checkpoint of size %llu was signed here",
                                   (unsigned long long) cp.size);
    /*  The member's note must be the stored checkpoint's text (the log
     *  signs one text per size): the lines verified over it are then
     *  cosignatures of the stored one. */
    checkpoint_cosig_t all[LOGPROOF_WITNESS_MAX];
    const char *ours = s_signatures (stored), *theirs = s_signatures (note);
    int rc = 0;
    if (!ours || !theirs || ours - stored != theirs - note ||
        memcmp (stored, note, (size_t) (ours - stored)) != 0)
        rc = kt_fail (reason, "cosigned checkpoint text differs from the one signed here");
    /*  Merge: every line not in the stored note that is a known witness's
     *  cosignature of the stored checkpoint; any other line is dropped, so
     *  a member cannot make the stored note carry what no witness signed
     *  (nor push it past what a note may hold). */
    size_t stored_len = strlen (stored);
    char *merged = rc == 0 ? malloc (stored_len + len + 1) : NULL;
    if (rc == 0 && !merged)
        rc = kt_fail (reason, "out of memory");
    if (rc == 0) {
        memcpy (merged, stored, stored_len + 1);
        size_t dropped = s_merge (known, n_known, merged, note);
        if (dropped)
            kt_log (KT_LOG_INFO, "cosignature dropped lines=%zu size=%llu", dropped,
                    (unsigned long long) cp.size);
    }
    /*  The stored cosigners are the union, from the merged note; witness
     *  is one of those the member's note carried. */
    char cosigners[512] = "";
    if (rc == 0) {
        rc = checkpoint_verify_cosignatures (merged, strlen (merged), self->origin,
                                             self->keys->pub.signing_pk, known, n_known, all, NULL,
                                             &cp, reason);
        witness[0] = '\0';
        if (rc == 0)
            s_cosigners (known, n_known, all, found, cosigners, sizeof cosigners, witness);
    }
    if (rc == 0) {
        if (store_run (
                self->db, "UPDATE checkpoint SET note=?, cosigners=? WHERE size=?",
                STORE_VALUES (STORE_TEXT (merged), STORE_TEXT (cosigners), STORE_INT (cp.size)),
                "store the cosignature", reason) < 0)
            rc = -1;
    }
    if (rc == 0 && self->current_note && self->signed_size == cp.size) {
        free (self->current_note);
        self->current_note = strdup (merged);
        if (!self->current_note)
            self->signed_size = 0;
    }
    free (stored);
    free (merged);
    return rc;
}

typedef struct {
    logproof_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    logproof_row_t row = {.size = (uint64_t) sqlite3_column_int64 (q, 0),
                          .has_root = store_blob_is (q, 1, 32),
                          .signed_ms = (uint64_t) sqlite3_column_int64 (q, 2),
                          .cosigners = store_text (q, 3)};
    if (row.has_root)
        memcpy (row.root, sqlite3_column_blob (q, 1), 32);
    return v->fn (v->arg, &row, reason);
}

int
logproof_each (logproof_t *self, int limit, logproof_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    s_keep_for_read (self);
    return store_each (self->db,
                       "SELECT size, root, signed_ms, cosigners FROM checkpoint"
                       " ORDER BY size DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_row, &v,
                       "list the checkpoints", reason);
}

typedef struct {
    logproof_t *self;
    logproof_check_t *check;
} checking_t;

/*  One stored checkpoint: signed by this log, for the tree its entries
 *  give now. */
static int
s_check_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    logproof_t *self = ((checking_t *) arg)->self;
    logproof_check_t *check = ((checking_t *) arg)->check;
    check->checkpoints++;
    uint64_t size = (uint64_t) sqlite3_column_int64 (q, 0);
    const char *note = (const char *) sqlite3_column_text (q, 2);
    checkpoint_t cp;
    uint8_t root[32];
    kt_reason_t why;
    bool ok = note && store_blob_is (q, 1, 32) &&
              checkpoint_open (note, strlen (note), self->origin, self->keys->pub.signing_pk, &cp,
                               &why) == 0 &&
              cp.size == size && memcmp (cp.root, sqlite3_column_blob (q, 1), 32) == 0 &&
              size <= provlog_size (self->log) &&
              provlog_checkpoint_root (self->log, size, root, &why) == 0 &&
              memcmp (root, cp.root, 32) == 0;
    if (!ok) {
        if (check->bad++ == 0)
            check->first_bad_size = size;
    }
    return 0;
}

int
logproof_check (logproof_t *self, logproof_check_t *check, kt_reason_t *reason)
{
    memset (check, 0, sizeof *check);
    checking_t checking = {self, check};
    s_keep_for_read (self);
    return store_each (self->db, "SELECT size, root, note FROM checkpoint ORDER BY size", NULL,
                       NULL, s_check_row, &checking, "verify the checkpoints", reason);
}

int
logproof_check_batch (logproof_t *self, logproof_check_t *check, uint64_t *after_p, int rows,
                      bool *more_p, kt_reason_t *reason)
{
    checking_t checking = {self, check};
    s_keep_for_read (self);
    uint64_t before = check->checkpoints;
    /*  The last size checked: s_check_row counts, this query's order
     *  says which row was last. */
    sqlite3_stmt *q =
        store_prepare (self->db,
                       "SELECT max(size) FROM (SELECT size FROM checkpoint WHERE size > ?"
                       " ORDER BY size LIMIT ?)",
                       reason);
    if (!q)
        return -1;
    sqlite3_bind_int64 (q, 1, (sqlite3_int64) *after_p);
    sqlite3_bind_int (q, 2, rows);
    int step = sqlite3_step (q);
    uint64_t last = step == SQLITE_ROW && sqlite3_column_type (q, 0) != SQLITE_NULL
                        ? (uint64_t) sqlite3_column_int64 (q, 0)
                        : *after_p;
    sqlite3_finalize (q);
    if (step != SQLITE_ROW)
        return kt_fail (reason, "cannot read the checkpoints: %s", sqlite3_errmsg (self->db));
    if (last == *after_p) {
        *more_p = false;
        return 0;
    }
    if (store_each (self->db,
                    "SELECT size, root, note FROM checkpoint WHERE size > ? AND size <= ?"
                    " ORDER BY size",
                    store_bind_values,
                    (void *) STORE_VALUES (STORE_INT (*after_p), STORE_INT (last)), s_check_row,
                    &checking, "verify the checkpoints", reason) != 0)
        return -1;
    *more_p = check->checkpoints - before >= (uint64_t) rows;
    *after_p = last;
    return 0;
}
