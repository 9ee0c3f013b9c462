/*  provlog: append-only Merkle log in its own SQLite file.  */
#include "provlog.h"

#include "merkle.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

struct _provlog_t {
    sqlite3 *db;
    sqlite3_stmt *insert, *save_range, *find_received, *add_received;
    merkle_range_t range;     /* committed state */
    merkle_range_t pending;   /* state inside the open batch */
    bool in_batch;
};

static const char *const s_migrations[] = {
    "CREATE TABLE entry (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, entry BLOB NOT NULL);"
    "CREATE TABLE range (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,"
    " hashes BLOB NOT NULL);"
    /*  Append-only: the file refuses updates and deletes of entries. */
    "CREATE TRIGGER entry_no_update BEFORE UPDATE ON entry"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TRIGGER entry_no_delete BEFORE DELETE ON entry"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;",
    /*  Which entry records a message's arrival: a message that arrives
     *  again after its log commit but before its business commit (crash,
     *  or a failing data file) is not logged twice. */
    "CREATE TABLE received (message_id BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;",
};

/*  Restart without replaying the log: the stored compact range must
 *  describe exactly the stored entries; if it does not (a crash cannot
 *  cause this, since both change in one transaction) rebuild it. */
static int
s_load_range (provlog_t *self, kt_reason_t *reason)
{
    merkle_range_init (&self->range);
    int64_t count = store_int (self->db, "SELECT coalesce(max(idx) + 1, 0) FROM entry", 0);
    sqlite3_stmt *stmt = store_prepare (self->db, "SELECT size, hashes FROM range WHERE id=1", reason);
    if (!stmt)
        return -1;
    bool ok = false;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        uint64_t size = (uint64_t) sqlite3_column_int64 (stmt, 0);
        int bytes = sqlite3_column_bytes (stmt, 1);
        int count_bits = __builtin_popcountll (size);
        if ((int64_t) size == count && bytes == count_bits * 32) {
            self->range.size = size;
            self->range.count = count_bits;
            memcpy (self->range.hashes, sqlite3_column_blob (stmt, 1), (size_t) bytes);
            ok = true;
        }
    }
    sqlite3_finalize (stmt);
    if (ok || count == 0)
        return 0;
    kt_log (KT_LOG_WARN, "provlog range_rebuild entries=%lld", (long long) count);
    stmt = store_prepare (self->db, "SELECT leaf FROM entry ORDER BY idx", reason);
    if (!stmt)
        return -1;
    while (sqlite3_step (stmt) == SQLITE_ROW)
        if (sqlite3_column_bytes (stmt, 0) == 32)
            merkle_range_append (&self->range, sqlite3_column_blob (stmt, 0));
    sqlite3_finalize (stmt);
    return 0;
}

provlog_t *
provlog_open (const char *path, kt_reason_t *reason)
{
    provlog_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = store_open (path, reason);
    if (!self->db
        || store_migrate (self->db, "provlog", s_migrations, sizeof s_migrations / sizeof s_migrations[0], reason) != 0 || s_load_range (self, reason) != 0
        || !(self->insert
             = store_prepare (self->db, "INSERT INTO entry (idx, leaf, entry) VALUES (?,?,?)", reason))
        || !(self->save_range = store_prepare (
                 self->db, "INSERT OR REPLACE INTO range (id, size, hashes) VALUES (1,?,?)", reason))
        || !(self->find_received
             = store_prepare (self->db, "SELECT idx FROM received WHERE message_id=?", reason))
        || !(self->add_received = store_prepare (
                 self->db, "INSERT INTO received (message_id, idx) VALUES (?,?)", reason))) {
        provlog_destroy (&self);
        return NULL;
    }
    return self;
}

void
provlog_destroy (provlog_t **self_p)
{
    provlog_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->save_range);
    sqlite3_finalize (self->find_received);
    sqlite3_finalize (self->add_received);
    store_close (&self->db);
    free (self);
    *self_p = NULL;
}

int
provlog_begin (provlog_t *self, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    self->pending = self->range;
    self->in_batch = true;
    return 0;
}

int
provlog_append (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                kt_reason_t *reason)
{
    uint8_t buf[4096];
    size_t len = keten__log_entry__get_packed_size (entry);
    if (!self->in_batch || len > sizeof buf)
        return kt_fail (reason, "log entry of %zu bytes refused", len);
    keten__log_entry__pack (entry, buf);
    uint8_t leaf[32];
    merkle_leaf_hash (leaf, buf, len);
    uint64_t index = self->pending.size;
    sqlite3_reset (self->insert);
    sqlite3_bind_int64 (self->insert, 1, (sqlite3_int64) index);
    sqlite3_bind_blob (self->insert, 2, leaf, 32, SQLITE_STATIC);
    sqlite3_bind_blob (self->insert, 3, buf, (int) len, SQLITE_STATIC);
    int rc = sqlite3_step (self->insert);
    sqlite3_reset (self->insert);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot append to provenance log: %s", sqlite3_errmsg (self->db));
    merkle_range_append (&self->pending, leaf);
    *index_p = index;
    return 0;
}

int
provlog_commit (provlog_t *self, kt_reason_t *reason)
{
    sqlite3_reset (self->save_range);
    sqlite3_bind_int64 (self->save_range, 1, (sqlite3_int64) self->pending.size);
    sqlite3_bind_blob (self->save_range, 2, self->pending.hashes, self->pending.count * 32,
                       SQLITE_STATIC);
    int rc = sqlite3_step (self->save_range);
    sqlite3_reset (self->save_range);
    if (rc != SQLITE_DONE || store_commit (self->db, reason) != 0) {
        provlog_rollback (self);
        return kt_fail (reason, "cannot commit provenance log");
    }
    self->range = self->pending;
    self->in_batch = false;
    return 0;
}

void
provlog_rollback (provlog_t *self)
{
    store_rollback (self->db);
    self->in_batch = false;
}

int
provlog_append_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                         kt_reason_t *reason)
{
    if (entry->message_id.len == 0)
        return kt_fail (reason, "a received entry needs its message id");
    sqlite3_reset (self->find_received);
    sqlite3_bind_blob (self->find_received, 1, entry->message_id.data,
                       (int) entry->message_id.len, SQLITE_STATIC);
    int step = sqlite3_step (self->find_received);
    if (step == SQLITE_ROW) {
        *index_p = (uint64_t) sqlite3_column_int64 (self->find_received, 0);
        sqlite3_reset (self->find_received);
        return 0;
    }
    sqlite3_reset (self->find_received);
    if (step != SQLITE_DONE)
        return kt_fail (reason, "cannot read provenance log: %s", sqlite3_errmsg (self->db));
    if (provlog_append (self, entry, index_p, reason) != 0)
        return -1;
    sqlite3_reset (self->add_received);
    sqlite3_bind_blob (self->add_received, 1, entry->message_id.data,
                       (int) entry->message_id.len, SQLITE_STATIC);
    sqlite3_bind_int64 (self->add_received, 2, (sqlite3_int64) *index_p);
    int rc = sqlite3_step (self->add_received);
    sqlite3_reset (self->add_received);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot index provenance log: %s", sqlite3_errmsg (self->db));
    return 0;
}

int
provlog_verify (const char *path, uint64_t *size_p, uint8_t root[32], uint64_t *bad_index_p,
                kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL)
        != SQLITE_OK) {
        kt_fail (reason, "cannot open %s: %s", path, db ? sqlite3_errmsg (db) : "?");
        sqlite3_close (db);
        return -1;
    }
    sqlite3_stmt *q = NULL, *where = NULL;
    int rc = 0;
    merkle_range_t range;
    merkle_range_init (&range);
    *bad_index_p = 0;
    if (sqlite3_prepare_v2 (db, "SELECT idx, leaf, entry FROM entry ORDER BY idx", -1, &q, NULL)
        != SQLITE_OK) {
        rc = kt_fail (reason, "%s is not a keten provenance log: %s", path, sqlite3_errmsg (db));
        goto done;
    }
    /*  Absent in logs made before the arrival index existed. */
    if (sqlite3_prepare_v2 (db, "SELECT idx FROM received WHERE message_id=?", -1, &where, NULL)
        != SQLITE_OK)
        where = NULL;
    int step;
    while ((step = sqlite3_step (q)) == SQLITE_ROW) {
        uint64_t want = range.size;
        int64_t idx = sqlite3_column_int64 (q, 0);
        *bad_index_p = want;
        if (idx < 0 || (uint64_t) idx != want) {
            rc = kt_fail (reason, "entry %llu is missing (next stored index is %lld)",
                          (unsigned long long) want, (long long) idx);
            break;
        }
        const uint8_t *entry = sqlite3_column_blob (q, 2);
        int len = sqlite3_column_bytes (q, 2);
        uint8_t leaf[32];
        merkle_leaf_hash (leaf, entry, (size_t) len);
        if (sqlite3_column_bytes (q, 1) != 32 || memcmp (sqlite3_column_blob (q, 1), leaf, 32) != 0) {
            rc = kt_fail (reason, "entry %llu does not match its leaf hash (changed in place)",
                          (unsigned long long) want);
            break;
        }
        Keten__LogEntry *e = keten__log_entry__unpack (NULL, (size_t) len, entry);
        if (!e) {
            rc = kt_fail (reason, "entry %llu does not decode", (unsigned long long) want);
            break;
        }
        /*  An arrival must sit where the arrival index says it was
         *  appended: this places entries that were moved as a whole. */
        if (e->event == KETEN__LOG_EVENT__MESSAGE_RECEIVED && where) {
            sqlite3_reset (where);
            sqlite3_bind_blob (where, 1, e->message_id.data, (int) e->message_id.len,
                               SQLITE_STATIC);
            if (sqlite3_step (where) == SQLITE_ROW
                && (uint64_t) sqlite3_column_int64 (where, 0) != want)
                rc = kt_fail (reason, "entry %llu is out of place (its message was logged at "
                                      "index %lld)",
                              (unsigned long long) want, (long long) sqlite3_column_int64 (where, 0));
            sqlite3_reset (where);
        }
        keten__log_entry__free_unpacked (e, NULL);
        if (rc != 0)
            break;
        merkle_range_append (&range, leaf);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = kt_fail (reason, "cannot read %s: %s", path, sqlite3_errmsg (db));
    sqlite3_finalize (q);
    sqlite3_finalize (where);
    where = NULL;
    q = NULL;
    if (rc != 0)
        goto done;
    /*  The head the daemon restarts from must be the one the entries give. */
    *bad_index_p = range.size;
    if (sqlite3_prepare_v2 (db, "SELECT size, hashes FROM range WHERE id=1", -1, &q, NULL)
        != SQLITE_OK) {
        rc = kt_fail (reason, "%s has no stored tree head: %s", path, sqlite3_errmsg (db));
        goto done;
    }
    if (sqlite3_step (q) == SQLITE_ROW) {
        uint64_t size = (uint64_t) sqlite3_column_int64 (q, 0);
        if (size != range.size || sqlite3_column_bytes (q, 1) != range.count * 32
            || memcmp (sqlite3_column_blob (q, 1), range.hashes, (size_t) range.count * 32) != 0)
            rc = kt_fail (reason, "the stored tree head (size %llu) does not match the %llu "
                                  "entries",
                          (unsigned long long) size, (unsigned long long) range.size);
    } else if (range.size != 0)
        rc = kt_fail (reason, "the stored tree head is missing");
done:
    sqlite3_finalize (q);
    sqlite3_close (db);
    if (rc == 0) {
        *size_p = range.size;
        merkle_range_root (&range, root);
    }
    return rc;
}

uint64_t
provlog_size (const provlog_t *self)
{
    return self->range.size;
}

void
provlog_root (const provlog_t *self, uint8_t root[32])
{
    merkle_range_root (&self->range, root);
}
