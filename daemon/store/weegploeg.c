/*  weegploeg: the weegploeg file at the uitvoerder (art. 8.1-8.2).  */
#include "weegploeg.h"

#include "figures.h"
#include "freshids.h"
#include "items.h"
#include "store.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _weegploeg_t {
    sqlite3 *db;
    keystore_t *keystore;
    uint8_t index_key[32]; /* keys the blind indexes used for matching */
    sqlite3_stmt *has, *by_bsn, *by_name, *add_subject;
    store_rows_t *add_signal; /* a drain's signal rows (store_rows_new) */
    /*  The signal ids stored, counted: a new one is found new without
     *  asking the file (freshids.h). */
    fresh_ids_t fresh;
};

static const char *const s_migrations[] = {
    /*  subject: one row per person, found again through keyed blind
     *  indexes (BLAKE2b under a key derived from the storage key), so
     *  the file never holds a name or BSN in the clear. */
    "CREATE TABLE subject (case_ref TEXT PRIMARY KEY, key_id BLOB NOT NULL,"
    " bsn_index BLOB, name_index BLOB NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX subject_bsn ON subject (bsn_index);"
    "CREATE INDEX subject_name ON subject (name_index);"
    /*  signal: metadata in the clear, personal fields sealed under the
     *  subject's key (body = the whole Signal message). */
    "CREATE TABLE signal (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL"
    " REFERENCES subject (case_ref), sender TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL, log_index INTEGER NOT NULL, category TEXT NOT NULL,"
    " wpg_basis INTEGER NOT NULL, legal_basis TEXT NOT NULL, special_category INTEGER NOT NULL,"
    " criminal_data INTEGER NOT NULL, source_kind TEXT NOT NULL, body_commitment BLOB NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE INDEX signal_case ON signal (case_ref);"
    "CREATE INDEX signal_received ON signal (received_ms);",
    /*  A subject that may be the same person as another, but not for
     *  certain (same name and birth date, BSN different or known for only
     *  one): never merged silently, the uitvoerder decides.  state: 0 open,
     *  1 same (merged), 2 different, 3 moot (one side merged elsewhere). */
    "CREATE TABLE possible_match (case_ref TEXT NOT NULL, other TEXT NOT NULL,"
    " reason TEXT NOT NULL, found_ms INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
    " decided_ms INTEGER, decided_uid INTEGER, PRIMARY KEY (case_ref, other));",
    /*  art. 8.2f: the closure of a case opened in the casusoverleg. */
    "CREATE TABLE closure (case_ref TEXT PRIMARY KEY REFERENCES subject (case_ref),"
    " closed_ms INTEGER NOT NULL);",
    /*  4, art. 13: archived (13.2) takes the subject out of every list,
     *  match and agenda (the lifecycle module, lifecycle.c, keeps its
     *  state and sets this flag in the same commit); touched_ms is the
     *  last processing that leaves no row of its own: a merge into it.
     *  signal_trail keeps the message ids of a destroyed subject's
     *  signals (ids and the pseudonym, no personal data), so its trail in
     *  the provenance log still starts where it started. */
    "ALTER TABLE subject ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE subject ADD COLUMN touched_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE signal_trail (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL);"
    "CREATE INDEX signal_trail_case ON signal_trail (case_ref);",
    /*  5, issue #17: the signal's MESSAGE_RECEIVED entry as the log was
     *  to append it.  The two files commit at once, so a crash can keep
     *  the signal and lose its entry; the entry is then appended from
     *  here, at the index the signal holds (logowed.h).  No personal
     *  data: it is what the log holds. */
    "ALTER TABLE signal ADD COLUMN log_entry BLOB;"
    "CREATE INDEX signal_log ON signal (log_index);",
    /*  6, art. 8.2f: every closure of a case, by its time: a case the
     *  weegploeg agendered again after its closure is closed again, and
     *  that closure is recorded too (one row per case_ref kept only the
     *  first).  Nothing references the table, so it is made anew. */
    "CREATE TABLE closure_new (case_ref TEXT NOT NULL REFERENCES subject (case_ref),"
    " closed_ms INTEGER NOT NULL, PRIMARY KEY (case_ref, closed_ms));"
    "INSERT INTO closure_new (case_ref, closed_ms) SELECT case_ref, closed_ms FROM closure;"
    "DROP TABLE closure;"
    "ALTER TABLE closure_new RENAME TO closure;",
};

weegploeg_t *
weegploeg_open (const char *path, keystore_t *keystore, const uint8_t storage_key[32],
                kt_reason_t *reason)
{
    weegploeg_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->keystore = keystore;
    crypto_kdf_derive_from_key (self->index_key, sizeof self->index_key, 1, "ketenidx",
                                storage_key);
    self->db = store_open (path, reason);
    if (!self->db ||
        store_migrate (self->db, "weegploeg", s_migrations,
                       sizeof s_migrations / sizeof s_migrations[0], reason) != 0 ||
        figures_migrate (self->db, reason) != 0 ||
        !(self->has = store_prepare (self->db,
                                     "SELECT log_index, sender, body_commitment FROM signal"
                                     " WHERE message_id=?",
                                     reason)) ||
        !(self->by_bsn = store_prepare (
              self->db, "SELECT case_ref, key_id FROM subject WHERE bsn_index=? AND archived=0",
              reason)) ||
        !(self->by_name = store_prepare (self->db,
                                         "SELECT case_ref, key_id FROM subject WHERE"
                                         " name_index=? AND bsn_index IS NULL AND archived=0",
                                         reason)) ||
        !(self->add_subject = store_prepare (
              self->db,
              "INSERT INTO subject (case_ref, key_id, bsn_index, name_index, created_ms)"
              " VALUES (?,?,?,?,?)",
              reason)) ||
        !(self->add_signal = store_rows_new (
              self->db,
              "INSERT INTO signal (message_id, case_ref, sender, created_ms, received_ms,"
              " log_index, category, wpg_basis, legal_basis, special_category, criminal_data,"
              " source_kind, body_commitment, body, log_entry)",
              15, reason)) ||
        fresh_ids_load (&self->fresh, self->db, "signal", "message_id", reason) != 0) {
        weegploeg_destroy (&self);
        return NULL;
    }
    return self;
}

int
weegploeg_key_pool (weegploeg_t *self, kt_reason_t *reason)
{
    /*  The only table here that takes keys from the pool. */
    static const char *const used[] = {"SELECT key_id FROM subject", NULL};
    return keystore_pool_open (self->keystore, self->db, used, reason);
}

void
weegploeg_destroy (weegploeg_t **self_p)
{
    weegploeg_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->has);
    sqlite3_finalize (self->by_bsn);
    sqlite3_finalize (self->by_name);
    sqlite3_finalize (self->add_subject);
    store_rows_destroy (&self->add_signal);
    fresh_ids_free (&self->fresh);
    store_close (&self->db);
    sodium_memzero (self->index_key, sizeof self->index_key);
    free (self);
    *self_p = NULL;
}

typedef struct {
    const char *sender;
    const uint8_t *commitment;
    uint64_t *log_index_p;
    bool found;
} has_t;

static int
s_has_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    has_t *h = arg;
    h->found = (!h->sender || strcmp (store_text (q, 1), h->sender) == 0) &&
               (!h->commitment || (store_blob_is (q, 2, 32) &&
                                   memcmp (sqlite3_column_blob (q, 2), h->commitment, 32) == 0));
    if (h->found && h->log_index_p)
        *h->log_index_p = (uint64_t) sqlite3_column_int64 (q, 0);
    return 1;
}

bool
weegploeg_has_signal (weegploeg_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                      const uint8_t *commitment, uint64_t *log_index_p)
{
    if (fresh_ids_new (&self->fresh, id))
        return false;
    has_t h = {sender, commitment, log_index_p, false};
    kt_reason_t reason;
    if (store_each_stmt (self->has, store_bind_values,
                         (void *) STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_has_row, &h,
                         "look up a signal", &reason) != 0)
        /*  Unsure is not stored: the signal is taken again and its
         *  insert fails on the primary key, so nothing is lost twice. */
        kt_log (KT_LOG_ERROR, "weegploeg lookup_failed reason=\"%s\"", reason.text);
    return h.found;
}

int
weegploeg_signal_deleted (weegploeg_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM signal_trail WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), NULL, NULL,
                      "look up a deleted signal", reason);
}

typedef struct {
    weegploeg_owed_fn *fn;
    void *arg;
} owed_t;

static int
s_owed_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    owed_t *o = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "a signal row from log index %lld on has a damaged id",
                        (long long) sqlite3_column_int64 (q, 1));
    return o->fn (o->arg, sqlite3_column_blob (q, 0), (uint64_t) sqlite3_column_int64 (q, 1),
                  sqlite3_column_blob (q, 2), (size_t) sqlite3_column_bytes (q, 2), reason);
}

int
weegploeg_each_from_log_index (weegploeg_t *self, uint64_t from, weegploeg_owed_fn *fn, void *arg,
                               kt_reason_t *reason)
{
    owed_t o = {fn, arg};
    return store_each (self->db,
                       "SELECT message_id, log_index, log_entry FROM signal WHERE log_index >= ?"
                       " ORDER BY log_index",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT ((int64_t) from)),
                       s_owed_row, &o, "find the signals from a log index on", reason);
}

void
weegploeg_normalise (char *out, size_t outlen, const char *name)
{
    size_t o = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *) name; *p && o + 2 < outlen; p++) {
        if (isalnum (*p) || *p >= 0x80) {
            if (space && o > 0)
                out[o++] = ' ';
            out[o++] = (char) tolower (*p);
            space = false;
        } else
            space = true;
    }
    out[o] = '\0';
}

static void
s_blind (const weegploeg_t *self, uint8_t out[32], const char *label, const char *a, const char *b)
{
    crypto_generichash_state st;
    crypto_generichash_init (&st, self->index_key, sizeof self->index_key, 32);
    crypto_generichash_update (&st, (const uint8_t *) label, strlen (label) + 1);
    crypto_generichash_update (&st, (const uint8_t *) a, strlen (a) + 1);
    if (b)
        crypto_generichash_update (&st, (const uint8_t *) b, strlen (b) + 1);
    crypto_generichash_final (&st, out, 32);
}

/*  A new subject shares name and birth date with others that could not be
 *  matched for certain: record each pair for the uitvoerder to decide. */
static int
s_possible_matches (weegploeg_t *self, const char *case_ref, const uint8_t name_index[32],
                    const char *why, kt_reason_t *reason)
{
    int found = store_run (self->db,
                           "INSERT OR IGNORE INTO possible_match (case_ref, other, reason,"
                           " found_ms) SELECT ?1, case_ref, ?2, ?3 FROM subject"
                           " WHERE name_index=?4 AND case_ref<>?1 AND archived=0 LIMIT 16",
                           STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (why),
                                         STORE_INT (kt_now_ms ()), STORE_BLOB (name_index, 32)),
                           "record a possible match", reason);
    if (found > 0)
        kt_log (KT_LOG_INFO, "subject possible_match case_ref=%s candidates=%d", case_ref, found);
    return found < 0 ? -1 : 0;
}

typedef struct {
    char *case_ref; /* [40] */
    uint8_t key_id[KEYSTORE_ID_LEN];
    bool found;
    bool damaged; /* a row met whose key id is not one */
} subject_t;

/*  A subject row (case_ref, key_id) with a key id of the right size. */
static int
s_subject_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    subject_t *s = arg;
    if (!store_blob_is (q, 1, KEYSTORE_ID_LEN)) {
        s->damaged = true;
        return 1; /* a damaged row: as if there were none */
    }
    snprintf (s->case_ref, 40, "%s", store_text (q, 0));
    memcpy (s->key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
    s->found = true;
    return 1;
}

/*  The subjects a drain has found or made so far, with their keys: a
 *  drain's later signal about one of them takes it from here instead of
 *  the lookup and the key's read and unwrapping (issue #17).  Only the
 *  drain's own transaction can change what a lookup finds, and a
 *  subject it makes is listed here too, so the answer is the lookup's.
 *  Cleared when the drain's storing ends. */
#define SUBJECT_MEMO 8
typedef struct {
    struct {
        bool bsn; /* index is the BSN's, else the name and birth date's */
        uint8_t index[32];
        char case_ref[40];
        uint8_t key[KEYSTORE_KEY_LEN];
    } e[SUBJECT_MEMO];
    size_t n, next;
} subject_memo_t;

/*  The memo's entry for a lookup by index; NULL: none. */
static const char *
s_memo_find (const subject_memo_t *m, bool bsn, const uint8_t index[32],
             uint8_t key[KEYSTORE_KEY_LEN])
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].bsn == bsn && sodium_memcmp (m->e[i].index, index, 32) == 0) {
            memcpy (key, m->e[i].key, KEYSTORE_KEY_LEN);
            return m->e[i].case_ref;
        }
    return NULL;
}

static void
s_memo_add (subject_memo_t *m, bool bsn, const uint8_t index[32], const char *case_ref,
            const uint8_t key[KEYSTORE_KEY_LEN])
{
    size_t i = m->next;
    m->next = (m->next + 1) % SUBJECT_MEMO;
    if (m->n < SUBJECT_MEMO)
        m->n++;
    m->e[i].bsn = bsn;
    memcpy (m->e[i].index, index, 32);
    snprintf (m->e[i].case_ref, sizeof m->e[i].case_ref, "%s", case_ref);
    memcpy (m->e[i].key, key, KEYSTORE_KEY_LEN);
}

/*  The subject of s found by its index (bsn_index when has_bsn, else
 *  name_index), or made; key receives its data key, *memo whether the
 *  drain's memo may give the same answer to the same lookup (not when
 *  the lookup met a damaged row, which it takes as none: each signal
 *  then makes a subject of its own, as it would alone).  New keys are
 *  written inside the keystore transaction that the caller commits
 *  before the weegploeg transaction. */
static int
s_subject_find (weegploeg_t *self, bool *ks_open, char case_ref[40], uint8_t key[KEYSTORE_KEY_LEN],
                const uint8_t bsn_index[32], const uint8_t name_index[32], bool has_bsn, bool *memo,
                kt_reason_t *reason)
{
    subject_t found = {case_ref, {0}, false, false};
    if (store_each_stmt (has_bsn ? self->by_bsn : self->by_name, store_bind_values,
                         (void *) STORE_VALUES (STORE_BLOB (has_bsn ? bsn_index : name_index, 32)),
                         s_subject_row, &found, "find the subject", reason) != 0)
        return -1;
    /*  One keystore.db transaction for the drain, reads too: a read
     *  outside one locks and unlocks the file's shared memory per key
     *  read (issue #17).  One that only read commits without a write. */
    if (!*ks_open) {
        if (store_begin (keystore_db (self->keystore), reason) != 0)
            return -1;
        *ks_open = true;
    }
    *memo = !found.damaged;
    if (found.found)
        return keystore_get (self->keystore, found.key_id, key, reason);

    uint8_t key_id[KEYSTORE_ID_LEN], rnd[8];
    /*  From the pool (committed ahead, weegploeg_key_pool): a new subject
     *  then adds no commit of keystore.db to its signal's path. */
    if (keystore_take (self->keystore, key_id, key, reason) != 0)
        return -1;
    kt_random_buf (rnd, sizeof rnd);
    char hex[17];
    snprintf (case_ref, 40, "k-%s", kt_hex (hex, rnd, sizeof rnd));
    int rc =
        store_run_stmt (self->add_subject,
                        STORE_VALUES (STORE_TEXT (case_ref), STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                      has_bsn ? STORE_BLOB (bsn_index, 32) : STORE_NULL,
                                      STORE_BLOB (name_index, 32), STORE_INT (kt_now_ms ())),
                        "store the subject", reason) < 0
            ? -1
            : 0;
    if (rc == 0)
        rc = s_possible_matches (self, case_ref, name_index,
                                 has_bsn ? "same name and birth date, but a different or no BSN"
                                         : "same name and birth date; only the other has a BSN",
                                 reason);
    return rc;
}

/*  Find the subject of s (same BSN, or same normalised name and birth date
 *  for a subject known without BSN), or create it.  An archived subject
 *  (art. 13.2) is never found: a new signal about that person starts a
 *  new subject, with a fresh key and case_ref, and nothing of the archive
 *  comes back through it.  Bringing the archive back is the controllers'
 *  decision, a kernpartij's reopen order (art. 13.4); reopened, the two
 *  are offered to the uitvoerder as a possible match.  key receives its data
 *  key, from the drain's memo when an earlier signal of the drain was
 *  about the same subject. */
static int
s_subject (weegploeg_t *self, const Keten__Signal *s, bool *ks_open, subject_memo_t *memo,
           char case_ref[40], uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason)
{
    uint8_t bsn_index[32], name_index[32];
    char norm[512];
    weegploeg_normalise (norm, sizeof norm, s->subject->name);
    s_blind (self, name_index, "name+birth", norm, s->subject->birth_date);
    bool has_bsn = s->subject->bsn && *s->subject->bsn;
    if (has_bsn)
        s_blind (self, bsn_index, "bsn", s->subject->bsn, NULL);
    const uint8_t *index = has_bsn ? bsn_index : name_index;
    const char *known = s_memo_find (memo, has_bsn, index, key);
    if (known) {
        snprintf (case_ref, 40, "%s", known);
        return 0;
    }
    bool memo_ok;
    if (s_subject_find (self, ks_open, case_ref, key, bsn_index, name_index, has_bsn, &memo_ok,
                        reason) != 0)
        return -1;
    if (memo_ok)
        s_memo_add (memo, has_bsn, index, case_ref, key);
    return 0;
}

/*  The signal's figures (figures.h), counted for the commit that stores
 *  it: one by its source kind, one by its referentiekader category. */
static int
s_figures (figures_tally_t *tally, const weegploeg_signal_t *w, kt_reason_t *reason)
{
    const Keten__Signal *s = w->signal;
    return figures_tally_add (tally, w->received_ms, FIGURE_SIGNAL_SOURCE, w->gemeente,
                              s->source_kind, 1) != 0 ||
                   figures_tally_add (tally, w->received_ms, FIGURE_SIGNAL_CATEGORY, w->gemeente,
                                      s->category, 1) != 0
               ? kt_fail (reason, "out of memory")
               : 0;
}

static int
s_insert_signal (weegploeg_t *self, weegploeg_signal_t *w, const uint8_t key[KEYSTORE_KEY_LEN],
                 figures_tally_t *tally, kt_reason_t *reason)
{
    const Keten__Signal *s = w->signal;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (keystore_seal_message (key, w->message_id, KT_ID_LEN, &s->base, &sealed, &sealed_len) != 0)
        return kt_fail (reason, "out of memory");
    /*  Counted before the insert: a row must never be in the file
     *  uncounted, while an id counted and then rolled back is harmless. */
    fresh_ids_note (&self->fresh, w->message_id, kt_now_ms ());
    /*  Inserted with the drain's others (weegploeg_store_signals). */
    int rc = store_rows_add (
        self->add_signal,
        STORE_VALUES (STORE_BLOB (w->message_id, KT_ID_LEN), STORE_TEXT (w->case_ref),
                      STORE_TEXT (w->sender), STORE_INT (w->created_ms), STORE_INT (w->received_ms),
                      STORE_INT (w->log_index), STORE_TEXT (s->category), STORE_INT (s->wpg_basis),
                      STORE_TEXT (s->legal_basis), STORE_INT (s->special_category),
                      STORE_INT (s->criminal_data), STORE_TEXT (s->source_kind),
                      STORE_BLOB (w->body_commitment, 32), STORE_BLOB (sealed, sealed_len),
                      w->log_entry ? STORE_BLOB (w->log_entry, w->log_entry_len) : STORE_NULL),
        reason);
    free (sealed);
    if (rc >= 0)
        rc = s_figures (tally, w, reason);
    return rc < 0 ? -1 : 0;
}

int
weegploeg_store_signals (weegploeg_t *self, weegploeg_signal_t *signals, size_t n,
                         kt_reason_t *reason)
{
    if (n == 0)
        return 0;
    bool ks_open = false;
    uint8_t key[KEYSTORE_KEY_LEN];
    subject_memo_t memo;
    memo.n = memo.next = 0;
    /*  The batch's figures as one row per kind of fact with its count,
     *  not two rows per signal (issue #17), in the same commit. */
    figures_tally_t tally = {0};
    if (store_begin (self->db, reason) != 0)
        return -1;
    size_t i;
    for (i = 0; i < n; i++) {
        if (s_subject (self, signals[i].signal, &ks_open, &memo, signals[i].case_ref, key,
                       reason) != 0 ||
            s_insert_signal (self, &signals[i], key, &tally, reason) != 0)
            break;
    }
    sodium_memzero (key, sizeof key);
    sodium_memzero (&memo, sizeof memo);
    /*  The signal rows in a few statements, not one each (issue #17). */
    if (i == n && store_rows_flush (self->add_signal, "store the signals", reason) != 0)
        i = 0;
    store_rows_clear (self->add_signal);
    if (i == n && figures_tally_store (&tally, self->db, reason) != 0)
        i = 0;
    figures_tally_clear (&tally);
    if (i < n) {
        if (ks_open)
            store_rollback (keystore_db (self->keystore));
        store_rollback (self->db);
        return -1;
    }
    /*  Keys first: a key without a subject is harmless, a subject without
     *  its key would be data lost. */
    if (ks_open && store_commit (keystore_db (self->keystore), reason) != 0) {
        store_rollback (keystore_db (self->keystore));
        store_rollback (self->db);
        return -1;
    }
    if (store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

typedef struct {
    weegploeg_row_fn *fn;
    void *arg;
} visit_t;

static int
s_signal_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    weegploeg_row_t row = {.has_id = store_blob_is (q, 0, KT_ID_LEN),
                           .case_ref = store_text (q, 1),
                           .sender = store_text (q, 2),
                           .category = store_text (q, 3),
                           .received_ms = (uint64_t) sqlite3_column_int64 (q, 4),
                           .log_index = (uint64_t) sqlite3_column_int64 (q, 5)};
    if (row.has_id)
        memcpy (row.message_id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    return v->fn (v->arg, &row, reason);
}

int
weegploeg_each (weegploeg_t *self, int limit, weegploeg_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT message_id, case_ref, sender, category, received_ms, log_index"
                       " FROM signal WHERE case_ref NOT IN (SELECT case_ref FROM subject"
                       " WHERE archived=1) ORDER BY received_ms DESC, rowid DESC LIMIT ?",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (limit)), s_signal_row,
                       &v, "list the signals", reason);
}

int64_t
weegploeg_count_signals (weegploeg_t *self)
{
    return store_int (self->db, "SELECT count(*) FROM signal", 0);
}

static int
s_count_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 1;
}

int
weegploeg_case_has_signals (weegploeg_t *self, const char *case_ref, kt_reason_t *reason)
{
    int64_t n = 0;
    if (store_one (self->db, "SELECT count(*) FROM signal WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_count_row, &n,
                   "count the subject's signals", reason) < 0)
        return -1;
    return n > 0 ? 1 : 0;
}

int
weegploeg_case_bytes (weegploeg_t *self, const char *case_ref, uint64_t *bytes_p,
                      kt_reason_t *reason)
{
    int64_t n = 0;
    *bytes_p = 0;
    if (store_one (self->db, "SELECT coalesce(sum(length(body)), 0) FROM signal WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_count_row, &n,
                   "size the subject's signals", reason) < 0)
        return -1;
    *bytes_p = n > 0 ? (uint64_t) n : 0;
    return 0;
}

int64_t
weegploeg_count_subjects (weegploeg_t *self)
{
    return store_int (self->db, "SELECT count(*) FROM subject", 0);
}

sqlite3 *
weegploeg_db (weegploeg_t *self)
{
    return self->db;
}

void
weegploeg_case_free (weegploeg_case_signal_t *signals, size_t n)
{
    for (size_t i = 0; signals && i < n; i++)
        if (signals[i].signal)
            keten__signal__free_unpacked (signals[i].signal, NULL);
    free (signals);
}

/*  Decrypt one sealed signal row (message id as AD). */
static Keten__Signal *
s_unseal_signal (const uint8_t key[KEYSTORE_KEY_LEN], sqlite3_stmt *q)
{
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (sqlite3_column_bytes (q, 0) != KT_ID_LEN ||
        keystore_unseal (key, sqlite3_column_blob (q, 0), KT_ID_LEN, sqlite3_column_blob (q, 3),
                         (size_t) sqlite3_column_bytes (q, 3), &plain, &plain_len) != 0)
        return NULL;
    Keten__Signal *s = keten__signal__unpack (NULL, plain_len, plain);
    sodium_memzero (plain, plain_len);
    free (plain);
    return s;
}

int
weegploeg_case_key (weegploeg_t *self, const char *case_ref, uint8_t key[KEYSTORE_KEY_LEN],
                    kt_reason_t *reason)
{
    subject_t found = {(char[40]){0}, {0}, false, false};
    if (store_one (self->db, "SELECT case_ref, key_id FROM subject WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_subject_row, &found,
                   "find the subject's key", reason) < 0)
        return -1;
    if (!found.found)
        return kt_fail (reason, "no subject with case_ref %.40s in the weegploeg file", case_ref);
    return keystore_get (self->keystore, found.key_id, key, reason);
}

int
weegploeg_has_subject (weegploeg_t *self, const char *case_ref, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM subject WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), NULL, NULL, "look up the subject",
                      reason);
}

typedef struct {
    const char *case_ref;
    const uint8_t *key;
    weegploeg_case_signal_t *out;
    size_t n, cap;
    bool with_blocked; /* the person's own inzage: blocked items shown, marked */
} reading_t;

static int
s_read_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    reading_t *r = arg;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        weegploeg_case_signal_t *grown = realloc (r->out, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        r->out = grown;
        r->cap = cap;
    }
    weegploeg_case_signal_t *w = &r->out[r->n++];
    memset (w, 0, sizeof *w);
    snprintf (w->sender, sizeof w->sender, "%s", store_text (q, 1));
    w->received_ms = (uint64_t) sqlite3_column_int64 (q, 2);
    w->signal = s_unseal_signal (r->key, q);
    if (w->signal) {
        memcpy (w->message_id, sqlite3_column_blob (q, 0), KT_ID_LEN);
        if (!r->with_blocked)
            weegploeg_hide_blocked (w->signal);
    }
    if (!w->signal || !w->signal->subject)
        return kt_fail (reason,
                        "a signal of case_ref %.40s does not decrypt; the file may be damaged",
                        r->case_ref);
    return 0;
}

int
weegploeg_read_case (weegploeg_t *self, const char *case_ref, weegploeg_case_signal_t **signals_p,
                     size_t *n_p, kt_reason_t *reason)
{
    *signals_p = NULL;
    *n_p = 0;
    int state = weegploeg_subject_state (self, case_ref, reason);
    if (state < 0)
        return -1;
    if (state == WEEGPLOEG_SUBJECT_ARCHIVED)
        return kt_fail (reason, "case_ref %.40s is archived (art. 13.2)", case_ref);
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self, case_ref, key, reason) != 0)
        return -1;
    reading_t r = {case_ref, key, NULL, 0, 0, false};
    int rc = store_each (self->db,
                         "SELECT message_id, sender, received_ms, body FROM signal WHERE case_ref=?"
                         " ORDER BY created_ms, rowid",
                         store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                         s_read_row, &r, "read the case", reason);
    sodium_memzero (key, sizeof key);
    if (rc == 0 && r.n == 0)
        rc = kt_fail (reason, "case_ref %.40s has no signals", case_ref);
    if (rc != 0) {
        weegploeg_case_free (r.out, r.n);
        return -1;
    }
    *signals_p = r.out;
    *n_p = r.n;
    return 0;
}

int
weegploeg_read_case_archived (weegploeg_t *self, const char *case_ref, bool with_blocked,
                              weegploeg_case_signal_t **signals_p, size_t *n_p, kt_reason_t *reason)
{
    *signals_p = NULL;
    *n_p = 0;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self, case_ref, key, reason) != 0)
        return -1;
    reading_t r = {case_ref, key, NULL, 0, 0, with_blocked};
    int rc = store_each (self->db,
                         "SELECT message_id, sender, received_ms, body FROM signal WHERE case_ref=?"
                         " ORDER BY created_ms, rowid",
                         store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                         s_read_row, &r, "read the case", reason);
    sodium_memzero (key, sizeof key);
    if (rc != 0) {
        weegploeg_case_free (r.out, r.n);
        return -1;
    }
    *signals_p = r.out;
    *n_p = r.n;
    return 0;
}

bool
weegploeg_kernpartij_sees (const roster_member_t *to, const char *municipality)
{
    if (to->role != ROLE_KERNPARTIJ)
        return false;
    if (strcmp (to->kind, "politie") == 0 || strcmp (to->kind, "om") == 0)
        return true;
    if (strcmp (to->kind, "gemeente") != 0)
        return false;
    char mine[256], theirs[256];
    weegploeg_normalise (mine, sizeof mine, to->municipality);
    weegploeg_normalise (theirs, sizeof theirs, municipality);
    return *mine && strcmp (mine, theirs) == 0;
}

typedef struct {
    weegploeg_match_fn *fn;
    void *arg;
} match_visit_t;

static int
s_match_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    match_visit_t *v = arg;
    static const char *const states[] = {"open", "same", "different", "moot"};
    int st = sqlite3_column_int (q, 4);
    weegploeg_match_t row = {store_text (q, 0), store_text (q, 1), store_text (q, 2),
                             (uint64_t) sqlite3_column_int64 (q, 3),
                             st >= 0 && st <= 3 ? states[st] : "?"};
    return v->fn (v->arg, &row, reason);
}

int
weegploeg_each_match (weegploeg_t *self, bool open_only, weegploeg_match_fn *fn, void *arg,
                      kt_reason_t *reason)
{
    match_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT case_ref, other, reason, found_ms, state FROM possible_match"
                       " WHERE (?1 = 0 OR state = 0) AND case_ref NOT IN (SELECT case_ref"
                       " FROM subject WHERE archived=1) AND other NOT IN (SELECT case_ref"
                       " FROM subject WHERE archived=1) ORDER BY found_ms",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (open_only ? 1 : 0)),
                       s_match_row, &v, "list the possible matches", reason);
}

/*  Set the state of the open pair {a, b}; -1 when there is none. */
static int
s_settle_match (weegploeg_t *self, const char *a, const char *b, int state, uint32_t uid,
                kt_reason_t *reason)
{
    int changed = store_run (self->db,
                             "UPDATE possible_match SET state=?3, decided_ms=?4, decided_uid=?5"
                             " WHERE state=0 AND ((case_ref=?1 AND other=?2) OR (case_ref=?2"
                             " AND other=?1))",
                             STORE_VALUES (STORE_TEXT (a), STORE_TEXT (b), STORE_INT (state),
                                           STORE_INT (kt_now_ms ()), STORE_INT (uid)),
                             "record the match decision", reason);
    if (changed == 0)
        return kt_fail (reason, "%.24s and %.24s are not an open possible match", a, b);
    return changed < 0 ? -1 : 0;
}

typedef struct {
    const char *keep, *gone;
    const uint8_t *kkeep, *kgone;
    sqlite3_stmt *move;
} moving_t;

/*  One of gone's signals, re-sealed under keep's key. */
static int
s_move_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    moving_t *m = arg;
    uint8_t *plain = NULL, *sealed = NULL;
    size_t plain_len = 0, sealed_len = 0;
    const void *id = sqlite3_column_blob (q, 0);
    int rc = 0;
    if (!store_blob_is (q, 0, KT_ID_LEN) ||
        keystore_unseal (m->kgone, id, KT_ID_LEN, sqlite3_column_blob (q, 1),
                         (size_t) sqlite3_column_bytes (q, 1), &plain, &plain_len) != 0)
        rc = kt_fail (reason, "a signal of %.24s does not decrypt", m->gone);
    else if (keystore_seal (m->kkeep, id, KT_ID_LEN, plain, plain_len, &sealed, &sealed_len) != 0)
        rc = kt_fail (reason, "out of memory");
    if (plain) {
        sodium_memzero (plain, plain_len);
        free (plain);
    }
    if (rc == 0 &&
        store_run_stmt (m->move,
                        STORE_VALUES (STORE_TEXT (m->keep), STORE_BLOB (sealed, sealed_len),
                                      STORE_BLOB (id, KT_ID_LEN)),
                        "move a signal", reason) < 0)
        rc = -1;
    free (sealed);
    return rc;
}

/*  Move gone's signals to keep, re-sealed under keep's key. */
static int
s_move_signals (weegploeg_t *self, const char *keep, const char *gone, kt_reason_t *reason)
{
    uint8_t kkeep[KEYSTORE_KEY_LEN], kgone[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self, keep, kkeep, reason) != 0)
        return -1;
    if (weegploeg_case_key (self, gone, kgone, reason) != 0) {
        sodium_memzero (kkeep, sizeof kkeep);
        return -1;
    }
    moving_t m = {keep, gone, kkeep, kgone,
                  store_prepare (
                      self->db, "UPDATE signal SET case_ref=?, body=? WHERE message_id=?", reason)};
    int rc = m.move ? store_each (self->db, "SELECT message_id, body FROM signal WHERE case_ref=?",
                                  store_bind_values, (void *) STORE_VALUES (STORE_TEXT (gone)),
                                  s_move_row, &m, "read the signals to move", reason)
                    : -1;
    sqlite3_finalize (m.move);
    sodium_memzero (kkeep, sizeof kkeep);
    sodium_memzero (kgone, sizeof kgone);
    return rc;
}

/*  The subject to merge away: how often it was shared, and its key id
 *  for shredding after the merge. */
typedef struct {
    int64_t shared;
    uint8_t key_id[KEYSTORE_ID_LEN];
    bool found;
} merging_t;

static int
s_merging_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    merging_t *m = arg;
    m->found = store_blob_is (q, 1, KEYSTORE_ID_LEN);
    m->shared = sqlite3_column_int64 (q, 0);
    if (m->found)
        memcpy (m->key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
    return 0;
}

int
weegploeg_decide_match (weegploeg_t *self, const char *keep, const char *gone, bool same,
                        uint32_t uid, kt_reason_t *reason)
{
    if (strcmp (keep, gone) == 0)
        return kt_fail (reason, "a subject cannot be matched with itself");
    for (int i = 0; i < 2; i++) {
        const char *ref = i ? gone : keep;
        int state = weegploeg_subject_state (self, ref, reason);
        if (state < 0)
            return -1;
        if (state == WEEGPLOEG_SUBJECT_ARCHIVED)
            return kt_fail (reason, "%.24s is archived (art. 13.2)", ref);
    }
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = s_settle_match (self, keep, gone, same ? 1 : 2, uid, reason);
    uint8_t gone_key_id[KEYSTORE_ID_LEN];
    bool have_key = false;
    if (rc == 0 && same) {
        /*  A subject already on an agenda or decided on has been shared
         *  under its case_ref; merging it away would orphan what others
         *  hold.  (Reads meeting.c's and decision.c's tables, same file.) */
        merging_t m = {0};
        if (store_one (self->db,
                       "SELECT (SELECT count(*) FROM meeting_item WHERE case_ref=?1)"
                       " + (SELECT count(*) FROM decision WHERE case_ref=?1), key_id"
                       " FROM subject WHERE case_ref=?1",
                       STORE_VALUES (STORE_TEXT (gone)), s_merging_row, &m,
                       "check the subject to merge", reason) < 0)
            rc = -1;
        else if (!m.found)
            rc = kt_fail (reason, "no subject %.24s", gone);
        else if (m.shared > 0)
            rc = kt_fail (reason,
                          "%.24s is on an agenda or decided on; merge it the other "
                          "way round (keep %.24s)",
                          gone, gone);
        else {
            memcpy (gone_key_id, m.key_id, KEYSTORE_ID_LEN);
            have_key = true;
        }
        if (rc == 0)
            rc = s_move_signals (self, keep, gone, reason);
        /*  keep learns gone's BSN index when it had none; other open pairs
         *  with gone become moot; gone's row goes. */
        static const char *const sql[] = {
            ("UPDATE subject SET bsn_index=(SELECT bsn_index FROM subject WHERE case_ref=?2)"
             " WHERE case_ref=?1 AND bsn_index IS NULL"),
            "UPDATE possible_match SET state=3 WHERE state=0 AND (case_ref=?2 OR other=?2)",
            "DELETE FROM subject WHERE case_ref=?2"};
        for (size_t i = 0; rc == 0 && i < sizeof sql / sizeof sql[0]; i++)
            if (store_run (self->db, sql[i], STORE_VALUES (STORE_TEXT (keep), STORE_TEXT (gone)),
                           "merge the subjects", reason) < 0)
                rc = -1;
        /*  A correction is processing of the surviving subject (art. 13:
         *  its clock starts again). */
        if (rc == 0 && store_run (self->db, "UPDATE subject SET touched_ms=? WHERE case_ref=?",
                                  STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (keep)),
                                  "touch the kept subject", reason) < 0)
            rc = -1;
    }
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  After the commit: a key left behind by a crash here is harmless,
     *  a key shredded before it would lose data. */
    if (have_key && keystore_shred (self->keystore, gone_key_id, reason) != 0)
        kt_log (KT_LOG_WARN, "subject key_shred_failed case_ref=%s reason=\"%s\"", gone,
                reason->text);
    return 0;
}

typedef struct {
    weegploeg_merged_fn *fn;
    void *arg;
} merged_visit_t;

static int
s_merged_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    merged_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), store_text (q, 1), reason);
}

int
weegploeg_each_merged (weegploeg_t *self, weegploeg_merged_fn *fn, void *arg, kt_reason_t *reason)
{
    /*  A merge closes its pair as same (state 1) and removes the subject
     *  merged away (its other open pairs become moot): the side still
     *  here is the one kept.  Of a pair whose sides are both gone (a chain
     *  of merges), the one kept is the side merged again later. */
    merged_visit_t v = {fn, arg};
    return store_each (
        self->db,
        "SELECT k, CASE WHEN k = case_ref THEN other ELSE case_ref END FROM ("
        " SELECT case_ref, other, CASE WHEN a AND NOT b THEN case_ref WHEN b AND NOT a THEN other"
        " WHEN NOT a AND NOT b AND al AND NOT bl THEN case_ref"
        " WHEN NOT a AND NOT b AND bl AND NOT al THEN other END AS k"
        " FROM (SELECT p.case_ref, p.other,"
        " EXISTS (SELECT 1 FROM subject s WHERE s.case_ref = p.case_ref) AS a,"
        " EXISTS (SELECT 1 FROM subject s WHERE s.case_ref = p.other) AS b,"
        " EXISTS (SELECT 1 FROM possible_match q WHERE q.state = 1"
        " AND q.decided_ms > p.decided_ms AND p.case_ref IN (q.case_ref, q.other)) AS al,"
        " EXISTS (SELECT 1 FROM possible_match q WHERE q.state = 1"
        " AND q.decided_ms > p.decided_ms AND p.other IN (q.case_ref, q.other)) AS bl"
        " FROM possible_match p WHERE p.state = 1)) WHERE k IS NOT NULL",
        NULL, NULL, s_merged_row, &v, "list the merged subjects", reason);
}

static int
s_any_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) q;
    (void) arg;
    (void) reason;
    return 0;
}

int
weegploeg_merged_pair (weegploeg_t *self, const char *a, const char *b, kt_reason_t *reason)
{
    return store_one (self->db,
                      "SELECT 1 FROM possible_match WHERE state = 1 AND ((case_ref = ?1 AND"
                      " other = ?2) OR (case_ref = ?2 AND other = ?1))",
                      STORE_VALUES (STORE_TEXT (a), STORE_TEXT (b)), s_any_row, NULL,
                      "read the match decision", reason);
}

int
weegploeg_record_closure (weegploeg_t *self, const char *case_ref, uint64_t closed_ms,
                          kt_reason_t *reason)
{
    return store_run (self->db, "INSERT OR IGNORE INTO closure (case_ref, closed_ms) VALUES (?,?)",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (closed_ms)),
                      "record the closure", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    weegploeg_id_fn *fn;
    void *arg;
} id_visit_t;

static int
s_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    id_visit_t *v = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return 0;
    return v->fn (v->arg, sqlite3_column_blob (q, 0), reason);
}

int
weegploeg_each_case_message (weegploeg_t *self, const char *case_ref, weegploeg_id_fn *fn,
                             void *arg, kt_reason_t *reason)
{
    id_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT message_id FROM signal WHERE case_ref=?1"
                       " UNION ALL SELECT message_id FROM signal_trail WHERE case_ref=?1",
                       store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)), s_id_row,
                       &v, "list the case's messages", reason);
}

bool
weegploeg_case_ref_ok (const char *s)
{
    if (!s || strlen (s) != 18 || s[0] != 'k' || s[1] != '-')
        return false;
    for (int i = 2; i < 18; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* ---- retention (art. 13) -------------------------------------------------- */

static int
s_state_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int *) arg =
        sqlite3_column_int (q, 0) ? WEEGPLOEG_SUBJECT_ARCHIVED : WEEGPLOEG_SUBJECT_ACTIVE;
    return 0;
}

int
weegploeg_subject_state (weegploeg_t *self, const char *case_ref, kt_reason_t *reason)
{
    int state = 0;
    return store_one (self->db, "SELECT archived FROM subject WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), s_state_row, &state,
                      "read the subject's state", reason) < 0
               ? -1
               : state;
}

int
weegploeg_set_archived (weegploeg_t *self, const char *case_ref, bool archived, kt_reason_t *reason)
{
    if (store_run (self->db, "UPDATE subject SET archived=? WHERE case_ref=?",
                   STORE_VALUES (STORE_INT (archived ? 1 : 0), STORE_TEXT (case_ref)),
                   "set the subject's archive state", reason) < 0)
        return -1;
    if (archived)
        return 0;
    /*  Back from the archive: a signal that came while it was archived
     *  started a subject of its own (s_subject); the uitvoerder decides
     *  whether they are one person. */
    return store_run (self->db,
                      "INSERT OR IGNORE INTO possible_match (case_ref, other, reason, found_ms)"
                      " SELECT ?1, o.case_ref, 'found again after a reopen (art. 13.4)', ?2"
                      " FROM subject s JOIN subject o ON o.case_ref<>s.case_ref AND o.archived=0"
                      " AND (o.name_index=s.name_index OR o.bsn_index=s.bsn_index)"
                      " WHERE s.case_ref=?1 LIMIT 16",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (kt_now_ms ())),
                      "offer the reopened subject as a possible match", reason) < 0
               ? -1
               : 0;
}

int
weegploeg_subject_key_id (weegploeg_t *self, const char *case_ref, uint8_t key_id[KEYSTORE_ID_LEN],
                          kt_reason_t *reason)
{
    bool found = false;
    keystore_id_t k = {key_id, &found};
    if (store_one (self->db, "SELECT key_id FROM subject WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), keystore_id_row, &k,
                   "find the subject's key", reason) < 0)
        return -1;
    return found ? 1 : 0;
}

int
weegploeg_forget_subject (weegploeg_t *self, const char *case_ref, kt_reason_t *reason)
{
    /*  Every row of the subject in this file, the tables of meeting.c and
     *  decision.c too (same file, one commit): its signals, the blind
     *  indexes (the subject row), possible matches on either side, its
     *  closure, decisions and agenda items.  A meeting keeps its other
     *  items; a version sent again carries them only. */
    static const char *const sql[] = {
        ("INSERT OR IGNORE INTO signal_trail (message_id, case_ref)"
         " SELECT message_id, case_ref FROM signal WHERE case_ref=?1"),
        "DELETE FROM signal WHERE case_ref=?1",
        "DELETE FROM possible_match WHERE case_ref=?1 OR other=?1",
        "DELETE FROM closure WHERE case_ref=?1",
        "DELETE FROM decision_answer WHERE case_ref=?1",
        "DELETE FROM decision WHERE case_ref=?1",
        "DELETE FROM meeting_item WHERE case_ref=?1",
        "DELETE FROM meeting_due WHERE case_ref=?1",
        "DELETE FROM subject WHERE case_ref=?1",
    };
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (store_run_all (self->db, sql, sizeof sql / sizeof sql[0],
                       STORE_VALUES (STORE_TEXT (case_ref)), "destroy the subject's rows",
                       reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  The correction decisions (correction.c's table, same file, when
     *  that module made it): the log keeps CORRECTED, with no data. */
    int corrections = store_has_table (self->db, "correction", reason);
    if (corrections < 0 ||
        (corrections > 0 && store_run (self->db, "DELETE FROM correction WHERE case_ref=?",
                                       STORE_VALUES (STORE_TEXT (case_ref)),
                                       "destroy the subject's corrections", reason) < 0)) {
        store_rollback (self->db);
        return -1;
    }
    if (store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

/* ---- the request desk (art. 12) ---------------------------------------- */

#define S_FOUND_MAX 32

typedef struct {
    char case_ref[S_FOUND_MAX][40];
    bool archived[S_FOUND_MAX];
    bool has_bsn[S_FOUND_MAX];
    bool open_match[S_FOUND_MAX];
    size_t n;
} found_list_t;

static int
s_found_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    found_list_t *l = arg;
    if (l->n == S_FOUND_MAX)
        return kt_fail (reason, "more than %d subjects share that index; ask the operator",
                        S_FOUND_MAX);
    snprintf (l->case_ref[l->n], 40, "%s", store_text (q, 0));
    l->archived[l->n] = sqlite3_column_int (q, 1) != 0;
    l->has_bsn[l->n] = sqlite3_column_type (q, 2) != SQLITE_NULL;
    l->open_match[l->n] = sqlite3_column_int (q, 3) != 0;
    l->n++;
    return 0;
}

static int
s_found_query (weegploeg_t *self, const char *column, const uint8_t index[32], found_list_t *l,
               kt_reason_t *reason)
{
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT s.case_ref, s.archived, s.bsn_index, EXISTS (SELECT 1 FROM possible_match m"
              " WHERE m.state=0 AND (m.case_ref=s.case_ref OR m.other=s.case_ref))"
              " FROM subject s WHERE s.%s=? ORDER BY s.created_ms, s.case_ref",
              column);
    return store_each (self->db, sql, store_bind_values,
                       (void *) STORE_VALUES (STORE_BLOB (index, 32)), s_found_row, l,
                       "find the person", reason);
}

int
weegploeg_find_person (weegploeg_t *self, const char *bsn, const char *name, const char *birth_date,
                       weegploeg_found_fn *fn, void *arg, kt_reason_t *reason)
{
    bool by_bsn = bsn && *bsn, by_name = name && *name && birth_date && *birth_date;
    if (!by_bsn && !by_name)
        return kt_fail (reason, "find a person by BSN, or by name and birth date");
    found_list_t *bsn_hits = calloc (1, sizeof *bsn_hits);
    found_list_t *name_hits = calloc (1, sizeof *name_hits);
    int rc = bsn_hits && name_hits ? 0 : kt_fail (reason, "out of memory");
    uint8_t index[32];
    if (rc == 0 && by_bsn) {
        s_blind (self, index, "bsn", bsn, NULL);
        rc = s_found_query (self, "bsn_index", index, bsn_hits, reason);
    }
    if (rc == 0 && by_name) {
        char norm[512];
        weegploeg_normalise (norm, sizeof norm, name);
        s_blind (self, index, "name+birth", norm, birth_date);
        rc = s_found_query (self, "name_index", index, name_hits, reason);
    }
    for (size_t i = 0; rc == 0 && i < bsn_hits->n; i++) {
        weegploeg_found_t f = {bsn_hits->case_ref[i], true, bsn_hits->archived[i], "bsn", ""};
        rc = fn (arg, &f, reason);
    }
    for (size_t i = 0; rc == 0 && i < name_hits->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < bsn_hits->n; j++)
            seen = seen || strcmp (bsn_hits->case_ref[j], name_hits->case_ref[i]) == 0;
        if (seen)
            continue;
        /*  issue #3: a match that is not certain is shown as such. */
        const char *why = "";
        if (by_bsn)
            why = name_hits->has_bsn[i] ? "same name and birth date, another BSN"
                                        : "same name and birth date, no BSN known";
        else if (name_hits->n > 1)
            why = "several subjects share this name and birth date";
        else if (name_hits->open_match[i])
            why = "an open possible match with another subject";
        weegploeg_found_t f = {name_hits->case_ref[i], !*why, name_hits->archived[i], "name+birth",
                               why};
        rc = fn (arg, &f, reason);
    }
    sodium_memzero (index, sizeof index);
    free (bsn_hits);
    free (name_hits);
    return rc < 0 ? -1 : 0;
}

/* ---- correction (art. 12.5-12.6; daemon/store/correction.c drives it) ---- */

void
weegploeg_hide_blocked (Keten__Signal *s)
{
    /*  art. 12.5: a blocked item stays in the file but no read shows it;
     *  its strings are wiped in place in what the reader gets. */
    for (size_t i = 0; s && i < s->n_items; i++) {
        Keten__SignalItem *it = s->items[i];
        if (!it->blocked)
            continue;
        sodium_memzero (it->text, strlen (it->text));
        sodium_memzero (it->opinion_of, strlen (it->opinion_of));
    }
}

typedef struct {
    char *case_ref; /* [40] */
    char *sender;   /* [65] */
    bool found;
} owner_t;

static int
s_owner_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    owner_t *o = arg;
    snprintf (o->case_ref, 40, "%s", store_text (q, 0));
    snprintf (o->sender, 65, "%s", store_text (q, 1));
    o->found = true;
    return 1;
}

int
weegploeg_signal_owner (weegploeg_t *self, const uint8_t id[KT_ID_LEN], char case_ref[40],
                        char sender[65], kt_reason_t *reason)
{
    owner_t o = {case_ref, sender, false};
    if (store_one (self->db, "SELECT case_ref, sender FROM signal WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_owner_row, &o,
                   "find the signal's subject", reason) < 0)
        return -1;
    return o.found ? 1 : 0;
}

typedef struct {
    const uint8_t *key;
    Keten__Signal *signal;
    bool found;
} raw_t;

static int
s_raw_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    raw_t *r = arg;
    r->found = true;
    r->signal = s_unseal_signal (r->key, q);
    return r->signal ? 1 : kt_fail (reason, "the signal does not decrypt; the file may be damaged");
}

int
weegploeg_signal_raw (weegploeg_t *self, const uint8_t id[KT_ID_LEN], Keten__Signal **signal_p,
                      kt_reason_t *reason)
{
    *signal_p = NULL;
    char case_ref[40], sender[65];
    int found = weegploeg_signal_owner (self, id, case_ref, sender, reason);
    if (found <= 0)
        return found;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self, case_ref, key, reason) != 0)
        return -1;
    raw_t r = {key, NULL, false};
    int rc = store_one (
        self->db, "SELECT message_id, sender, received_ms, body FROM signal WHERE message_id=?",
        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_raw_row, &r, "read the signal", reason);
    sodium_memzero (key, sizeof key);
    if (rc < 0)
        return -1;
    *signal_p = r.signal;
    return r.signal ? 1 : 0;
}

static void
s_signal_wipe_free (Keten__Signal *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_items; i++)
        sodium_memzero (s->items[i]->text, strlen (s->items[i]->text));
    keten__signal__free_unpacked (s, NULL);
}

/*  The signal's items as a sender could have sent them (live ones only)
 *  pass every rule of the intake. */
static int
s_check_items (const Keten__Signal *s, kt_reason_t *reason)
{
    Keten__SignalItem **live = calloc (s->n_items ? s->n_items : 1, sizeof *live);
    if (!live)
        return kt_fail (reason, "out of memory");
    Keten__Signal view = *s;
    view.items = live;
    view.n_items = 0;
    for (size_t i = 0; i < s->n_items; i++)
        if (!s->items[i]->deleted && !s->items[i]->blocked)
            live[view.n_items++] = s->items[i];
    int rc = items_check (&view, reason);
    free (live);
    return rc;
}

int
weegploeg_correct (weegploeg_t *self, weegploeg_correction_t *c, kt_reason_t *reason)
{
    char case_ref[40], sender[65];
    int found = weegploeg_signal_owner (self, c->signal_id, case_ref, sender, reason);
    if (found < 0)
        return -1;
    if (!found)
        return kt_fail (reason, "no signal with this message id in the weegploeg file");
    if (*c->case_ref && strcmp (c->case_ref, case_ref) != 0)
        return kt_fail (reason, "the signal is not one of %.24s", c->case_ref);
    snprintf (c->case_ref, sizeof c->case_ref, "%s", case_ref);
    snprintf (c->sender, sizeof c->sender, "%s", sender);
    int state = weegploeg_subject_state (self, case_ref, reason);
    if (state < 0)
        return -1;
    if (state == WEEGPLOEG_SUBJECT_ARCHIVED)
        return kt_fail (reason, "%.24s is archived (art. 13.2)", case_ref);
    int rc = 0;
    if (c->whole_signal) {
        if (c->action != KETEN__CORRECTION_ACTION__DELETE)
            return kt_fail (reason, "only a deletion names the whole signal");
        /*  The id stays in signal_trail: the subject's trail in the
         *  provenance log still starts where it started. */
        static const char *const sql[] = {
            "INSERT OR IGNORE INTO signal_trail (message_id, case_ref)"
            " SELECT message_id, case_ref FROM signal WHERE message_id=?1",
            "DELETE FROM signal WHERE message_id=?1"};
        for (size_t i = 0; rc == 0 && i < 2; i++)
            if (store_run (self->db, sql[i], STORE_VALUES (STORE_BLOB (c->signal_id, KT_ID_LEN)),
                           "delete the signal", reason) < 0)
                rc = -1;
    } else {
        Keten__Signal *s = NULL;
        uint8_t key[KEYSTORE_KEY_LEN];
        uint8_t *sealed = NULL;
        size_t sealed_len = 0;
        if (weegploeg_signal_raw (self, c->signal_id, &s, reason) != 1)
            return s ? -1 : kt_fail (reason, "the signal cannot be read");
        items_change_t change = {c->action, c->item_index, c->item};
        rc = items_apply_kept (s, &change, true, reason);
        c->item_index = change.item_index;
        if (rc == 0)
            rc = s_check_items (s, reason);
        /*  The new item is new data: art. 9/10 Wpg data only in a signal
         *  marked so (items stored before that rule stay correctable). */
        if (rc == 0 && c->item && (rc = items_new_item (c->item, c->item_index, reason)) == 0)
            rc = items_wpg_held_item (s, c->item, c->item_index, reason);
        if (rc == 0)
            rc = weegploeg_case_key (self, case_ref, key, reason);
        /*  Sealed again under the subject's key; secure_delete overwrites
         *  the page that held the old record. */
        if (rc == 0 && keystore_seal_message (key, c->signal_id, KT_ID_LEN, &s->base, &sealed,
                                              &sealed_len) != 0)
            rc = kt_fail (reason, "out of memory");
        sodium_memzero (key, sizeof key);
        if (rc == 0 && store_run (self->db, "UPDATE signal SET body=? WHERE message_id=?",
                                  STORE_VALUES (STORE_BLOB (sealed, sealed_len),
                                                STORE_BLOB (c->signal_id, KT_ID_LEN)),
                                  "store the corrected signal", reason) < 0)
            rc = -1;
        free (sealed);
        s_signal_wipe_free (s);
    }
    /*  A correction is processing of the subject (art. 13: its clock
     *  starts again). */
    if (rc == 0 && store_run (self->db, "UPDATE subject SET touched_ms=? WHERE case_ref=?",
                              STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (case_ref)),
                              "touch the corrected subject", reason) < 0)
        rc = -1;
    return rc;
}
