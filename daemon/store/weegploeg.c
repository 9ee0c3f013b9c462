/*  weegploeg: the weegploeg file at the uitvoerder (art. 8.1-8.2).  */
#include "weegploeg.h"

#include "store.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _weegploeg_t {
    sqlite3 *db;
    keystore_t *keystore;
    uint8_t index_key[32]; /* keys the blind indexes used for matching */
    sqlite3_stmt *has, *by_bsn, *by_name, *add_subject, *add_signal;
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
        !(self->has = store_prepare (self->db,
                                     "SELECT log_index, sender, body_commitment FROM signal"
                                     " WHERE message_id=?",
                                     reason)) ||
        !(self->by_bsn = store_prepare (
              self->db, "SELECT case_ref, key_id FROM subject WHERE bsn_index=?", reason)) ||
        !(self->by_name = store_prepare (self->db,
                                         "SELECT case_ref, key_id FROM subject WHERE"
                                         " name_index=? AND bsn_index IS NULL",
                                         reason)) ||
        !(self->add_subject = store_prepare (
              self->db,
              "INSERT INTO subject (case_ref, key_id, bsn_index, name_index, created_ms)"
              " VALUES (?,?,?,?,?)",
              reason)) ||
        !(self->add_signal = store_prepare (
              self->db,
              "INSERT INTO signal (message_id, case_ref, sender, created_ms, received_ms,"
              " log_index, category, wpg_basis, legal_basis, special_category, criminal_data,"
              " source_kind, body_commitment, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
              reason))) {
        weegploeg_destroy (&self);
        return NULL;
    }
    return self;
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
    sqlite3_finalize (self->add_signal);
    store_close (&self->db);
    sodium_memzero (self->index_key, sizeof self->index_key);
    free (self);
    *self_p = NULL;
}

bool
weegploeg_has_signal (weegploeg_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                      const uint8_t *commitment, uint64_t *log_index_p)
{
    sqlite3_reset (self->has);
    sqlite3_bind_blob (self->has, 1, id, KT_ID_LEN, SQLITE_STATIC);
    bool found = sqlite3_step (self->has) == SQLITE_ROW;
    if (found && sender)
        found = strcmp ((const char *) sqlite3_column_text (self->has, 1), sender) == 0;
    if (found && commitment)
        found = sqlite3_column_bytes (self->has, 2) == 32 &&
                memcmp (sqlite3_column_blob (self->has, 2), commitment, 32) == 0;
    if (found && log_index_p)
        *log_index_p = (uint64_t) sqlite3_column_int64 (self->has, 0);
    sqlite3_reset (self->has);
    return found;
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
    sqlite3_stmt *q = store_prepare (self->db,
                                     "INSERT OR IGNORE INTO possible_match (case_ref, other,"
                                     " reason, found_ms) SELECT ?1, case_ref, ?2, ?3 FROM subject"
                                     " WHERE name_index=?4 AND case_ref<>?1 LIMIT 16",
                                     reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    sqlite3_bind_text (q, 2, why, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (q, 3, (sqlite3_int64) kt_now_ms ());
    sqlite3_bind_blob (q, 4, name_index, 32, SQLITE_STATIC);
    int rc =
        sqlite3_step (q) == SQLITE_DONE
            ? 0
            : kt_fail (reason, "cannot record a possible match: %s", sqlite3_errmsg (self->db));
    if (rc == 0 && sqlite3_changes (self->db) > 0)
        kt_log (KT_LOG_INFO, "subject possible_match case_ref=%s candidates=%d", case_ref,
                sqlite3_changes (self->db));
    sqlite3_finalize (q);
    return rc;
}

/*  Find the subject of s (same BSN, or same normalised name and birth date
 *  for a subject known without BSN), or create it.  key receives its data
 *  key.  New keys are written inside the keystore transaction that the
 *  caller commits before the weegploeg transaction. */
static int
s_subject (weegploeg_t *self, const Keten__Signal *s, bool *ks_open, char case_ref[40],
           uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason)
{
    uint8_t bsn_index[32], name_index[32];
    char norm[512];
    weegploeg_normalise (norm, sizeof norm, s->subject->name);
    s_blind (self, name_index, "name+birth", norm, s->subject->birth_date);
    bool has_bsn = s->subject->bsn && *s->subject->bsn;
    if (has_bsn)
        s_blind (self, bsn_index, "bsn", s->subject->bsn, NULL);

    sqlite3_stmt *q = has_bsn ? self->by_bsn : self->by_name;
    sqlite3_reset (q);
    sqlite3_bind_blob (q, 1, has_bsn ? bsn_index : name_index, 32, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step (q) == SQLITE_ROW && sqlite3_column_bytes (q, 1) == KEYSTORE_ID_LEN) {
        snprintf (case_ref, 40, "%s", (const char *) sqlite3_column_text (q, 0));
        uint8_t key_id[KEYSTORE_ID_LEN];
        memcpy (key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
        sqlite3_reset (q);
        return keystore_get (self->keystore, key_id, key, reason);
    }
    sqlite3_reset (q);

    if (!*ks_open) {
        if (store_begin (keystore_db (self->keystore), reason) != 0)
            return -1;
        *ks_open = true;
    }
    uint8_t key_id[KEYSTORE_ID_LEN], rnd[8];
    if (keystore_create (self->keystore, key_id, key, reason) != 0)
        return -1;
    randombytes_buf (rnd, sizeof rnd);
    char hex[17];
    snprintf (case_ref, 40, "k-%s", kt_hex (hex, rnd, sizeof rnd));
    sqlite3_stmt *ins = self->add_subject;
    sqlite3_reset (ins);
    sqlite3_bind_text (ins, 1, case_ref, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob (ins, 2, key_id, KEYSTORE_ID_LEN, SQLITE_TRANSIENT);
    if (has_bsn)
        sqlite3_bind_blob (ins, 3, bsn_index, 32, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (ins, 3);
    sqlite3_bind_blob (ins, 4, name_index, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (ins, 5, (sqlite3_int64) kt_now_ms ());
    if (sqlite3_step (ins) != SQLITE_DONE)
        rc = kt_fail (reason, "cannot store subject: %s", sqlite3_errmsg (self->db));
    sqlite3_reset (ins);
    if (rc == 0)
        rc = s_possible_matches (self, case_ref, name_index,
                                 has_bsn ? "same name and birth date, but a different or no BSN"
                                         : "same name and birth date; only the other has a BSN",
                                 reason);
    return rc;
}

static int
s_insert_signal (weegploeg_t *self, weegploeg_signal_t *w, const uint8_t key[KEYSTORE_KEY_LEN],
                 kt_reason_t *reason)
{
    const Keten__Signal *s = w->signal;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (keystore_seal_message (key, w->message_id, KT_ID_LEN, &s->base, &sealed, &sealed_len) != 0)
        return kt_fail (reason, "out of memory");
    sqlite3_stmt *ins = self->add_signal;
    sqlite3_reset (ins);
    sqlite3_bind_blob (ins, 1, w->message_id, KT_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text (ins, 2, w->case_ref, -1, SQLITE_STATIC);
    sqlite3_bind_text (ins, 3, w->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (ins, 4, (sqlite3_int64) w->created_ms);
    sqlite3_bind_int64 (ins, 5, (sqlite3_int64) w->received_ms);
    sqlite3_bind_int64 (ins, 6, (sqlite3_int64) w->log_index);
    sqlite3_bind_text (ins, 7, s->category, -1, SQLITE_STATIC);
    sqlite3_bind_int (ins, 8, (int) s->wpg_basis);
    sqlite3_bind_text (ins, 9, s->legal_basis, -1, SQLITE_STATIC);
    sqlite3_bind_int (ins, 10, s->special_category);
    sqlite3_bind_int (ins, 11, s->criminal_data);
    sqlite3_bind_text (ins, 12, s->source_kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob (ins, 13, w->body_commitment, 32, SQLITE_STATIC);
    sqlite3_bind_blob (ins, 14, sealed, (int) sealed_len, SQLITE_STATIC);
    int rc = sqlite3_step (ins) == SQLITE_DONE ? 0 : -1;
    if (rc != 0)
        kt_fail (reason, "cannot store signal: %s", sqlite3_errmsg (self->db));
    sqlite3_reset (ins);
    free (sealed);
    return rc;
}

int
weegploeg_store_signals (weegploeg_t *self, weegploeg_signal_t *signals, size_t n,
                         kt_reason_t *reason)
{
    if (n == 0)
        return 0;
    bool ks_open = false;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (store_begin (self->db, reason) != 0)
        return -1;
    size_t i;
    for (i = 0; i < n; i++) {
        if (s_subject (self, signals[i].signal, &ks_open, signals[i].case_ref, key, reason) != 0 ||
            s_insert_signal (self, &signals[i], key, reason) != 0)
            break;
    }
    sodium_memzero (key, sizeof key);
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

json_t *
weegploeg_list (weegploeg_t *self, int limit)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT message_id, case_ref, sender, category, received_ms, log_index"
                            " FROM signal ORDER BY received_ms DESC, rowid DESC LIMIT ?",
                            -1, &q, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_int (q, 1, limit);
    while (sqlite3_step (q) == SQLITE_ROW) {
        char hex[KT_ID_HEX] = "";
        if (sqlite3_column_bytes (q, 0) == KT_ID_LEN)
            kt_hex (hex, sqlite3_column_blob (q, 0), KT_ID_LEN);
        json_array_append_new (list,
                               json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I}", "message_id", hex,
                                          "case_ref", (const char *) sqlite3_column_text (q, 1),
                                          "sender", (const char *) sqlite3_column_text (q, 2),
                                          "category", (const char *) sqlite3_column_text (q, 3),
                                          "received_ms", (json_int_t) sqlite3_column_int64 (q, 4),
                                          "log_index", (json_int_t) sqlite3_column_int64 (q, 5)));
    }
    sqlite3_finalize (q);
    return list;
}

int64_t
weegploeg_count_signals (weegploeg_t *self)
{
    return store_int (self->db, "SELECT count(*) FROM signal", 0);
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
    sqlite3_stmt *q =
        store_prepare (self->db, "SELECT key_id FROM subject WHERE case_ref=?", reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    uint8_t key_id[KEYSTORE_ID_LEN];
    bool found = sqlite3_step (q) == SQLITE_ROW && sqlite3_column_bytes (q, 0) == KEYSTORE_ID_LEN;
    if (found)
        memcpy (key_id, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    sqlite3_finalize (q);
    if (!found)
        return kt_fail (reason, "no subject with case_ref %.40s in the weegploeg file", case_ref);
    return keystore_get (self->keystore, key_id, key, reason);
}

int
weegploeg_read_case (weegploeg_t *self, const char *case_ref, weegploeg_case_signal_t **signals_p,
                     size_t *n_p, kt_reason_t *reason)
{
    *signals_p = NULL;
    *n_p = 0;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (weegploeg_case_key (self, case_ref, key, reason) != 0)
        return -1;
    sqlite3_stmt *q =
        store_prepare (self->db,
                       "SELECT message_id, sender, received_ms, body FROM signal WHERE case_ref=?"
                       " ORDER BY created_ms, rowid",
                       reason);
    if (!q) {
        sodium_memzero (key, sizeof key);
        return -1;
    }
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    weegploeg_case_signal_t *out = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step (q) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            weegploeg_case_signal_t *grown = realloc (out, cap * sizeof *out);
            if (!grown) {
                rc = kt_fail (reason, "out of memory");
                break;
            }
            out = grown;
        }
        weegploeg_case_signal_t *w = &out[n];
        memset (w, 0, sizeof *w);
        snprintf (w->sender, sizeof w->sender, "%s", (const char *) sqlite3_column_text (q, 1));
        w->received_ms = (uint64_t) sqlite3_column_int64 (q, 2);
        w->signal = s_unseal_signal (key, q);
        if (w->signal)
            memcpy (w->message_id, sqlite3_column_blob (q, 0), KT_ID_LEN);
        if (!w->signal || !w->signal->subject)
            rc = kt_fail (reason,
                          "a signal of case_ref %.40s does not decrypt; the file may be "
                          "damaged",
                          case_ref);
        n++;
    }
    sqlite3_finalize (q);
    sodium_memzero (key, sizeof key);
    if (rc == 0 && n == 0)
        rc = kt_fail (reason, "case_ref %.40s has no signals", case_ref);
    if (rc != 0) {
        weegploeg_case_free (out, n);
        return -1;
    }
    *signals_p = out;
    *n_p = n;
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

json_t *
weegploeg_possible_matches (weegploeg_t *self, bool open_only)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT case_ref, other, reason, found_ms, state FROM possible_match"
                            " WHERE (?1 = 0 OR state = 0) ORDER BY found_ms",
                            -1, &q, NULL) != SQLITE_OK)
        return list;
    sqlite3_bind_int (q, 1, open_only ? 1 : 0);
    static const char *const states[] = {"open", "same", "different", "moot"};
    while (sqlite3_step (q) == SQLITE_ROW) {
        int st = sqlite3_column_int (q, 4);
        json_array_append_new (list,
                               json_pack ("{s:s, s:s, s:s, s:I, s:s}", "case_ref",
                                          (const char *) sqlite3_column_text (q, 0), "other",
                                          (const char *) sqlite3_column_text (q, 1), "reason",
                                          (const char *) sqlite3_column_text (q, 2), "found_ms",
                                          (json_int_t) sqlite3_column_int64 (q, 3), "state",
                                          st >= 0 && st <= 3 ? states[st] : "?"));
    }
    sqlite3_finalize (q);
    return list;
}

/*  Set the state of the open pair {a, b}; -1 when there is none. */
static int
s_settle_match (weegploeg_t *self, const char *a, const char *b, int state, uint32_t uid,
                kt_reason_t *reason)
{
    sqlite3_stmt *u = store_prepare (self->db,
                                     "UPDATE possible_match SET state=?3, decided_ms=?4,"
                                     " decided_uid=?5 WHERE state=0 AND ((case_ref=?1 AND"
                                     " other=?2) OR (case_ref=?2 AND other=?1))",
                                     reason);
    if (!u)
        return -1;
    sqlite3_bind_text (u, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text (u, 2, b, -1, SQLITE_STATIC);
    sqlite3_bind_int (u, 3, state);
    sqlite3_bind_int64 (u, 4, (sqlite3_int64) kt_now_ms ());
    sqlite3_bind_int64 (u, 5, uid);
    int rc = sqlite3_step (u) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize (u);
    if (rc != 0)
        return kt_fail (reason, "cannot record the match decision: %s", sqlite3_errmsg (self->db));
    if (sqlite3_changes (self->db) == 0)
        return kt_fail (reason, "%.24s and %.24s are not an open possible match", a, b);
    return 0;
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
    sqlite3_stmt *q =
        store_prepare (self->db, "SELECT message_id, body FROM signal WHERE case_ref=?", reason);
    sqlite3_stmt *u =
        store_prepare (self->db, "UPDATE signal SET case_ref=?, body=? WHERE message_id=?", reason);
    int rc = q && u ? 0 : -1;
    if (q)
        sqlite3_bind_text (q, 1, gone, -1, SQLITE_STATIC);
    while (rc == 0 && sqlite3_step (q) == SQLITE_ROW) {
        uint8_t *plain = NULL, *sealed = NULL;
        size_t plain_len = 0, sealed_len = 0;
        const void *id = sqlite3_column_blob (q, 0);
        if (sqlite3_column_bytes (q, 0) != KT_ID_LEN ||
            keystore_unseal (kgone, id, KT_ID_LEN, sqlite3_column_blob (q, 1),
                             (size_t) sqlite3_column_bytes (q, 1), &plain, &plain_len) != 0)
            rc = kt_fail (reason, "a signal of %.24s does not decrypt", gone);
        else if (keystore_seal (kkeep, id, KT_ID_LEN, plain, plain_len, &sealed, &sealed_len) != 0)
            rc = kt_fail (reason, "out of memory");
        if (plain) {
            sodium_memzero (plain, plain_len);
            free (plain);
        }
        if (rc == 0) {
            sqlite3_reset (u);
            sqlite3_bind_text (u, 1, keep, -1, SQLITE_STATIC);
            sqlite3_bind_blob (u, 2, sealed, (int) sealed_len, SQLITE_STATIC);
            sqlite3_bind_blob (u, 3, id, KT_ID_LEN, SQLITE_TRANSIENT);
            if (sqlite3_step (u) != SQLITE_DONE)
                rc = kt_fail (reason, "cannot move a signal: %s", sqlite3_errmsg (self->db));
        }
        free (sealed);
    }
    sqlite3_finalize (q);
    sqlite3_finalize (u);
    sodium_memzero (kkeep, sizeof kkeep);
    sodium_memzero (kgone, sizeof kgone);
    return rc;
}

int
weegploeg_decide_match (weegploeg_t *self, const char *keep, const char *gone, bool same,
                        uint32_t uid, kt_reason_t *reason)
{
    if (strcmp (keep, gone) == 0)
        return kt_fail (reason, "a subject cannot be matched with itself");
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = s_settle_match (self, keep, gone, same ? 1 : 2, uid, reason);
    uint8_t gone_key_id[KEYSTORE_ID_LEN];
    bool have_key = false;
    if (rc == 0 && same) {
        sqlite3_stmt *q = store_prepare (
            self->db,
            "SELECT (SELECT count(*) FROM meeting_item WHERE case_ref=?1)"
            " + (SELECT count(*) FROM decision WHERE case_ref=?1), key_id FROM subject"
            " WHERE case_ref=?1",
            reason);
        /*  A subject already on an agenda or decided on has been shared
         *  under its case_ref; merging it away would orphan what others
         *  hold.  (Reads meeting.c's and decision.c's tables, same file.) */
        if (!q)
            rc = -1;
        else {
            sqlite3_bind_text (q, 1, gone, -1, SQLITE_STATIC);
            if (sqlite3_step (q) != SQLITE_ROW || sqlite3_column_bytes (q, 1) != KEYSTORE_ID_LEN)
                rc = kt_fail (reason, "no subject %.24s", gone);
            else if (sqlite3_column_int64 (q, 0) > 0)
                rc = kt_fail (reason,
                              "%.24s is on an agenda or decided on; merge it the other "
                              "way round (keep %.24s)",
                              gone, gone);
            else {
                memcpy (gone_key_id, sqlite3_column_blob (q, 1), KEYSTORE_ID_LEN);
                have_key = true;
            }
            sqlite3_finalize (q);
        }
        if (rc == 0)
            rc = s_move_signals (self, keep, gone, reason);
        /*  keep learns gone's BSN index when it had none; other open pairs
         *  with gone become moot; gone's row goes. */
        static const char *const sql[] = {
            "UPDATE subject SET bsn_index=(SELECT bsn_index FROM subject WHERE case_ref=?2)"
            " WHERE case_ref=?1 AND bsn_index IS NULL",
            "UPDATE possible_match SET state=3 WHERE state=0 AND (case_ref=?2 OR other=?2)",
            "DELETE FROM subject WHERE case_ref=?2"};
        for (size_t i = 0; rc == 0 && i < sizeof sql / sizeof sql[0]; i++) {
            sqlite3_stmt *st = store_prepare (self->db, sql[i], reason);
            if (!st) {
                rc = -1;
                break;
            }
            if (sqlite3_bind_parameter_count (st) >= 2)
                sqlite3_bind_text (st, 1, keep, -1, SQLITE_STATIC);
            sqlite3_bind_text (st, sqlite3_bind_parameter_count (st), gone, -1, SQLITE_STATIC);
            if (sqlite3_step (st) != SQLITE_DONE)
                rc = kt_fail (reason, "cannot merge: %s", sqlite3_errmsg (self->db));
            sqlite3_finalize (st);
        }
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

int
weegploeg_record_closure (weegploeg_t *self, const char *case_ref, uint64_t closed_ms,
                          kt_reason_t *reason)
{
    sqlite3_stmt *s = store_prepare (
        self->db, "INSERT OR IGNORE INTO closure (case_ref, closed_ms) VALUES (?,?)", reason);
    if (!s)
        return -1;
    sqlite3_bind_text (s, 1, case_ref, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) closed_ms);
    int rc = sqlite3_step (s) == SQLITE_DONE
                 ? 0
                 : kt_fail (reason, "cannot record the closure: %s", sqlite3_errmsg (self->db));
    sqlite3_finalize (s);
    return rc;
}

json_t *
weegploeg_case_messages (weegploeg_t *self, const char *case_ref)
{
    json_t *ids = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT message_id FROM signal WHERE case_ref=?", -1, &q,
                            NULL)
        != SQLITE_OK)
        return ids;
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    while (sqlite3_step (q) == SQLITE_ROW) {
        char hex[KT_ID_HEX];
        if (sqlite3_column_bytes (q, 0) == KT_ID_LEN)
            json_array_append_new (ids,
                                   json_string (kt_hex (hex, sqlite3_column_blob (q, 0), KT_ID_LEN)));
    }
    sqlite3_finalize (q);
    return ids;
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
