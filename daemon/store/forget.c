/*  forget: the node's journal of what it forgot (forget.h). */
#include "forget.h"

#include "backup.h"
#include "keystore.h"
#include "store.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _forget_t {
    sqlite3 *db;
    uint8_t key[KEYSTORE_KEY_LEN]; /* seals the corrections */
    char dir[4096];                /* the state directory */
    bool replaying;                /* notes nothing: the notes are there */
};

/*  The schema is also read by `keten restore` (client/cmd_backup.c),
 *  which links no daemon code: the table and column names are its
 *  interface. */
static const char *const s_migrations[] = {
    /*  seq only grows (no row is ever deleted): a backup's journal ends
     *  at a seq, and what the node noted after it is what comes after.
     *  A correction keeps its signal and item (item -1: the whole
     *  signal), so a later deletion of them can take its sealed change. */
    "CREATE TABLE forgotten (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('destroy', 'correct')), case_ref TEXT NOT NULL,"
    " ids BLOB, what TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', sealed BLOB,"
    " signal BLOB, item INTEGER);"
    "CREATE INDEX forgotten_case ON forgotten (case_ref);"
    "CREATE INDEX forgotten_signal ON forgotten (signal);"
    /*  Set by `keten restore`: replay what comes after after_seq (the end
     *  of the backup's journal); done_seq is how far the replay got. */
    "CREATE TABLE restored (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " backup_taken_ms INTEGER NOT NULL, restored_ms INTEGER NOT NULL,"
    " after_seq INTEGER NOT NULL DEFAULT 0, done_seq INTEGER NOT NULL DEFAULT 0);",
    /*  2: a merge of two subjects (the uitvoerder's weegploeg file), kind
     *  'merge': case_ref the subject kept, detail {"gone": CASE_REF}.  A
     *  destruction of the kept one forgets what was noted of the one
     *  merged into it, and a restore merges them again.  (SQLite changes
     *  a CHECK only by making the table again; seq is kept.) */
    "CREATE TABLE forgotten_2 (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('destroy', 'correct', 'merge')),"
    " case_ref TEXT NOT NULL, ids BLOB, what TEXT NOT NULL DEFAULT '',"
    " detail TEXT NOT NULL DEFAULT '', sealed BLOB, signal BLOB, item INTEGER);"
    "INSERT INTO forgotten_2 SELECT seq, at_ms, kind, case_ref, ids, what, detail, sealed,"
    " signal, item FROM forgotten;"
    "DROP TABLE forgotten;"
    "ALTER TABLE forgotten_2 RENAME TO forgotten;"
    "CREATE INDEX forgotten_case ON forgotten (case_ref);"
    "CREATE INDEX forgotten_signal ON forgotten (signal);",
};

/*  case_ref and every subject merged into it, at any depth: the rows of
 *  m(c).  ?1 is case_ref. */
#define MERGED_INTO                                                                                \
    "WITH RECURSIVE m(c) AS (SELECT ?1 UNION SELECT json_extract (f.detail, '$.gone')"             \
    " FROM forgotten f JOIN m ON f.kind = 'merge' AND f.case_ref = m.c) "

forget_t *
forget_open (const char *path, const uint8_t storage_key[32], kt_reason_t *reason)
{
    forget_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    crypto_kdf_derive_from_key (self->key, sizeof self->key, 2, "ketenfgt", storage_key);
    snprintf (self->dir, sizeof self->dir, "%s", path);
    char *slash = strrchr (self->dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf (self->dir, sizeof self->dir, ".");
    if (!(self->db = store_open (path, reason)) ||
        store_migrate (self->db, "forget", STORE_MIGRATIONS (s_migrations), reason) != 0)
        forget_destroy (&self);
    return self;
}

void
forget_destroy (forget_t **self_p)
{
    forget_t *self = *self_p;
    if (!self)
        return;
    store_close (&self->db);
    sodium_memzero (self->key, sizeof self->key);
    free (self);
    *self_p = NULL;
}

/*  A copy taken before a migration holds what is forgotten now. */
static int
s_drop_copies (forget_t *self, kt_reason_t *reason)
{
    int dropped = backup_drop_premigration (self->dir, reason);
    if (dropped > 0)
        kt_log (KT_LOG_INFO, "backup copies_removed copies=%d", dropped);
    return dropped < 0 ? -1 : 0;
}

int
forget_note_destroy (forget_t *self, const char *case_ref, const uint8_t *ids, size_t n_ids,
                     bool once, kt_reason_t *reason)
{
    if (self->replaying)
        return 0;
    if (store_begin (self->db, reason) != 0)
        return -1;
    /*  The subject's sealed corrections go, and those of every subject
     *  merged into it (noted under their own case_ref before the merge),
     *  and those of the node's own messages the destruction names (a
     *  member's notice under a case_ref merged away at the uitvoerder).
     *  With once, a destruction resumed after this call failed (at its
     *  checkpoint, say) adds no second entry, but blanks and checkpoints
     *  again.  No case_ref: a partner's own signals no notice tied to a
     *  subject, forgotten by their ids only. */
    int rc =
        store_run (self->db,
                   "INSERT INTO forgotten (at_ms, kind, case_ref, ids) SELECT ?1, 'destroy', ?2, ?3"
                   " WHERE NOT ?4 OR NOT EXISTS (SELECT 1 FROM forgotten WHERE kind = 'destroy'"
                   " AND case_ref = ?2)",
                   STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (case_ref),
                                 n_ids ? STORE_BLOB (ids, n_ids * KT_ID_LEN) : STORE_NULL,
                                 STORE_INT (once)),
                   "note a destruction", reason) < 0 ||
                (*case_ref &&
                 store_run (self->db,
                            MERGED_INTO "UPDATE forgotten SET sealed = NULL WHERE case_ref IN m"
                                        " AND sealed IS NOT NULL",
                            STORE_VALUES (STORE_TEXT (case_ref)),
                            "forget the subject's corrections", reason) < 0)
            ? -1
            : 0;
    for (size_t i = 0; rc == 0 && i < n_ids; i++)
        if (store_run (self->db,
                       "UPDATE forgotten SET sealed = NULL WHERE kind = 'correct' AND signal = ?"
                       " AND sealed IS NOT NULL",
                       STORE_VALUES (STORE_BLOB (ids + i * KT_ID_LEN, KT_ID_LEN)),
                       "forget the corrections of the subject's messages", reason) < 0)
            rc = -1;
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  The corrections' sealed pages leave the WAL too. */
    if (store_checkpoint (self->db, "forget.db", reason) != 0)
        return -1;
    return s_drop_copies (self, reason);
}

int
forget_note_correct (forget_t *self, const char *case_ref, const char *what, const char *detail,
                     const Keten__CorrectionNotice *notice, bool once, kt_reason_t *reason)
{
    if (self->replaying)
        return 0;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (keystore_seal_message (self->key, case_ref, strlen (case_ref), &notice->base, &sealed,
                               &sealed_len) != 0)
        return kt_fail (reason, "out of memory");
    bool has_signal = notice->signal_id.len == KT_ID_LEN;
    int64_t item = notice->whole_signal ? -1 : (int64_t) notice->item_index;
    store_value_t signal = has_signal ? STORE_BLOB (notice->signal_id.data, KT_ID_LEN) : STORE_NULL;
    int rc = store_begin (self->db, reason);
    int added = rc == 0
                    ? store_run (self->db,
                                 "INSERT INTO forgotten (at_ms, kind, case_ref, what, detail,"
                                 " sealed, signal, item) SELECT ?, 'correct', ?2, ?3, ?, ?, ?, ?"
                                 " WHERE NOT ?8 OR NOT EXISTS (SELECT 1 FROM forgotten"
                                 " WHERE case_ref = ?2 AND kind = 'correct' AND what = ?3)",
                                 STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (case_ref),
                                               STORE_TEXT (what), STORE_TEXT (detail ? detail : ""),
                                               STORE_BLOB (sealed, sealed_len), signal,
                                               STORE_INT (item), STORE_INT (once)),
                                 "note a correction", reason)
                    : -1;
    if (added < 0)
        rc = -1;
    /*  A deletion takes what earlier corrections of the same item (or of
     *  any item, when the whole signal goes) said it was. */
    if (rc == 0 && added > 0 && has_signal && notice->action == KETEN__CORRECTION_ACTION__DELETE &&
        store_run (self->db,
                   "UPDATE forgotten SET sealed = NULL WHERE kind = 'correct' AND signal = ?"
                   " AND (? OR item = ?) AND seq < last_insert_rowid() AND sealed IS NOT NULL",
                   STORE_VALUES (signal, STORE_INT (item < 0), STORE_INT (item)),
                   "forget what the deleted item said", reason) < 0)
        rc = -1;
    if (rc == 0 && store_commit (self->db, reason) != 0)
        rc = -1;
    if (rc != 0)
        store_rollback (self->db);
    free (sealed);
    if (rc == 0 && notice->action == KETEN__CORRECTION_ACTION__DELETE &&
        store_checkpoint (self->db, "forget.db", reason) != 0)
        rc = -1;
    if (rc == 0 && s_drop_copies (self, reason) != 0)
        rc = -1;
    return rc == 0 && added == 0 ? 1 : rc;
}

int
forget_note_merge (forget_t *self, const char *keep, const char *gone, kt_reason_t *reason)
{
    if (self->replaying)
        return 0;
    json_t *detail = json_pack ("{s:s}", "gone", gone);
    char *text = detail ? json_dumps (detail, JSON_COMPACT) : NULL;
    json_decref (detail);
    if (!text)
        return kt_fail (reason, "out of memory");
    char what[64];
    snprintf (what, sizeof what, "merged %.24s", gone);
    int rc = store_run (self->db,
                        "INSERT INTO forgotten (at_ms, kind, case_ref, what, detail)"
                        " SELECT ?1, 'merge', ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM forgotten"
                        " WHERE kind = 'merge' AND case_ref = ?2 AND detail = ?4)",
                        STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (keep),
                                      STORE_TEXT (what), STORE_TEXT (text)),
                        "note a merge", reason) < 0
                 ? -1
                 : 0;
    free (text);
    return rc;
}

int
forget_each_merged (forget_t *self, const char *case_ref, forget_merged_fn *fn, void *arg,
                    kt_reason_t *reason)
{
    return store_each_text (self->db, MERGED_INTO "SELECT c FROM m WHERE c <> ?1 AND c IS NOT NULL",
                            STORE_VALUES (STORE_TEXT (case_ref)), fn, arg,
                            "list the subjects merged", reason);
}

typedef struct {
    int64_t after, done;
} s_mark_t;

static int
s_mark_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    s_mark_t *m = arg;
    m->after = sqlite3_column_int64 (row, 0);
    m->done = sqlite3_column_int64 (row, 1);
    return 0;
}

int
forget_restored (forget_t *self, int64_t *from_seq, kt_reason_t *reason)
{
    s_mark_t m = {0, 0};
    int rc =
        store_one (self->db, "SELECT after_seq, done_seq FROM restored WHERE id = ?",
                   STORE_VALUES (STORE_INT (1)), s_mark_row, &m, "read the restore mark", reason);
    *from_seq = m.done > m.after ? m.done : m.after;
    return rc;
}

/*  One entry, copied out of its row. */
typedef struct {
    int64_t seq;
    char kind[16], case_ref[64];
    char *detail;
    uint8_t *ids, *sealed;
    size_t ids_len, sealed_len;
} s_row_t;

static int
s_entry_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    s_row_t *r = arg;
    r->seq = sqlite3_column_int64 (row, 0);
    snprintf (r->kind, sizeof r->kind, "%s", store_text (row, 1));
    snprintf (r->case_ref, sizeof r->case_ref, "%s", store_text (row, 2));
    r->ids_len = (size_t) sqlite3_column_bytes (row, 3);
    r->sealed_len = (size_t) sqlite3_column_bytes (row, 5);
    r->detail = strdup (store_text (row, 4));
    r->ids = malloc (r->ids_len + 1);
    r->sealed = malloc (r->sealed_len + 1);
    if (!r->detail || !r->ids || !r->sealed)
        return kt_fail (reason, "out of memory");
    if (r->ids_len)
        memcpy (r->ids, sqlite3_column_blob (row, 3), r->ids_len);
    if (r->sealed_len)
        memcpy (r->sealed, sqlite3_column_blob (row, 5), r->sealed_len);
    return 0;
}

/*  Entry seq to fn, with no statement open on the file. */
static int
s_one (forget_t *self, int64_t seq, forget_entry_fn *fn, void *arg, kt_reason_t *reason)
{
    s_row_t r = {0};
    int rc =
        store_one (self->db,
                   "SELECT seq, kind, case_ref, ids, detail, sealed FROM forgotten"
                   " WHERE seq = ?",
                   STORE_VALUES (STORE_INT (seq)), s_entry_row, &r, "read a journal entry", reason);
    if (rc == 0)
        rc = kt_fail (reason, "forget.db: entry %lld is gone", (long long) seq);
    rc = rc == 1 ? 0 : -1;
    forget_entry_t entry = {.seq = r.seq,
                            .kind = r.kind,
                            .case_ref = r.case_ref,
                            .ids = r.ids,
                            .n_ids = r.ids_len / KT_ID_LEN,
                            .detail = r.detail};
    if (rc == 0 && r.ids_len % KT_ID_LEN != 0)
        rc = kt_fail (reason, "forget.db: entry %lld has a damaged id list", (long long) seq);
    if (rc == 0 && r.sealed_len) {
        ProtobufCMessage *msg = NULL;
        if (keystore_unseal_message (self->key, r.case_ref, strlen (r.case_ref), r.sealed,
                                     r.sealed_len, &keten__correction_notice__descriptor,
                                     &msg) != 0)
            rc = kt_fail (reason, "forget.db: entry %lld does not open with this node's key",
                          (long long) seq);
        entry.notice = (Keten__CorrectionNotice *) msg;
    }
    if (rc == 0)
        rc = fn (arg, &entry, reason);
    if (entry.notice)
        protobuf_c_message_free_unpacked (&entry.notice->base, NULL);
    free (r.detail);
    free (r.ids);
    if (r.sealed)
        sodium_memzero (r.sealed, r.sealed_len);
    free (r.sealed);
    return rc;
}

typedef struct {
    int64_t *seqs;
    size_t n, cap;
} s_seqs_t;

static int
s_seq_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    s_seqs_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        int64_t *seqs = realloc (l->seqs, cap * sizeof *seqs);
        if (!seqs)
            return kt_fail (reason, "out of memory");
        l->seqs = seqs;
        l->cap = cap;
    }
    l->seqs[l->n++] = sqlite3_column_int64 (row, 0);
    return 0;
}

int
forget_replay (forget_t *self, int64_t from_seq, forget_entry_fn *fn, void *arg,
               kt_reason_t *reason)
{
    /*  The list first: fn writes this file (a destruction truncates its
     *  WAL), which no open statement may hold up.  While replaying,
     *  nothing is noted again (the notes are there, in their order), and
     *  each entry done moves done_seq, so a crash in the middle goes on
     *  from the next entry. */
    s_seqs_t l = {0};
    int rc = store_each (self->db, "SELECT seq FROM forgotten WHERE seq > ? ORDER BY seq",
                         store_bind_values, (void *) STORE_VALUES (STORE_INT (from_seq)), s_seq_row,
                         &l, "read the journal since the backup", reason);
    self->replaying = true;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        rc = s_one (self, l.seqs[i], fn, arg, reason);
        if (rc == 0 && store_run (self->db, "UPDATE restored SET done_seq = ? WHERE id = 1",
                                  STORE_VALUES (STORE_INT (l.seqs[i])),
                                  "record the replay's progress", reason) < 0)
            rc = -1;
    }
    self->replaying = false;
    free (l.seqs);
    return rc;
}

int
forget_restore_done (forget_t *self, kt_reason_t *reason)
{
    /*  The replay notes nothing (forget_note_* return at once), so it
     *  drops no copy: a restore of an older release's backup takes a
     *  pre-migration copy of the restored files, which holds what the
     *  replay destroys or corrects again.  Dropped here, decided from the
     *  journal since the backup rather than from this start's replay,
     *  and before the mark goes, so a crash in between finds the same
     *  entries at the next start.  The files the restore replaced are
     *  newer (what the replay does again was done in them) and stay for
     *  the operator until the node next forgets anything. */
    int redone = store_one (self->db,
                            "SELECT 1 FROM forgotten WHERE kind IN ('destroy', 'correct')"
                            " AND seq > (SELECT after_seq FROM restored WHERE id = 1)",
                            NULL, NULL, NULL, "look for what the replay forgot again", reason);
    int dropped = redone > 0 ? backup_drop_migration_copies (self->dir, reason) : 0;
    if (redone < 0 || dropped < 0)
        return -1;
    if (dropped > 0)
        kt_log (KT_LOG_INFO, "backup copies_removed copies=%d", dropped);
    return store_run (self->db, "DELETE FROM restored WHERE id = ?", STORE_VALUES (STORE_INT (1)),
                      "clear the restore mark", reason) < 0
               ? -1
               : 0;
}
