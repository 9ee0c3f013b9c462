/*  provlog_verify: reading a provenance log file from outside the daemon,
 *  read-only and in one snapshot, as `keten log verify` and `keten trail`
 *  do (the daemon may be running and appending meanwhile).
 *
 *  provlog.c owns the tables and keeps their invariant on every append;
 *  this file trusts none of it.  provlog_verify recomputes the whole tree
 *  from the entries and compares every stored interior hash, the arrival
 *  index and the stored head against it; provlog_scan decodes the entries
 *  in order.  Neither touches a provlog_t: both open the file themselves.
 *  The tree is recomputed with the append path's own provlog_range_append
 *  (provlog_internal.h), so the interior hashes are checked in exactly
 *  the order and numbering in which appends write them.
 */
#include "provlog.h"
#include "provlog_internal.h"

#include "store.h"

#include <string.h>

/*  Verification state: the recomputed tree, and the stored interior
 *  hashes read alongside in id order (NULL cursor: a log from before
 *  schema 3, which has none yet). */
typedef struct {
    sqlite3_stmt *nodes;
    const char *name;
    uint64_t *bad_index_p;
    kt_reason_t *reason;
} s_verify_t;

static int
s_check_node (void *arg, int64_t id, const uint8_t hash[32], int level, uint64_t index)
{
    s_verify_t *v = arg;
    if (!v->nodes)
        return 0;
    uint64_t first = index << level, last = ((index + 1) << level) - 1;
    *v->bad_index_p = first;
    if (sqlite3_step (v->nodes) != SQLITE_ROW || sqlite3_column_int64 (v->nodes, 0) != id)
        return kt_fail (v->reason, "the stored interior hash over entries %llu..%llu is missing",
                        (unsigned long long) first, (unsigned long long) last);
    if (sqlite3_column_bytes (v->nodes, 1) != 32 ||
        memcmp (sqlite3_column_blob (v->nodes, 1), hash, 32) != 0)
        return kt_fail (v->reason,
                        "entries %llu..%llu do not give the stored interior hash over "
                        "them (an entry was changed, moved or dropped)",
                        (unsigned long long) first, (unsigned long long) last);
    return 0;
}

int
provlog_verify_db (sqlite3 *db, const char *name, uint64_t *size_p, uint8_t root[32],
                   uint64_t *bad_index_p, kt_reason_t *reason)
{
    sqlite3_stmt *q = NULL, *where = NULL, *nodes = NULL;
    int rc = 0;
    merkle_range_t range;
    merkle_range_init (&range);
    *bad_index_p = 0;
    /*  One read transaction: entries, interior hashes and head all come
     *  from one snapshot, even while the daemon appends (WAL). */
    bool own_txn = sqlite3_get_autocommit (db);
    if (own_txn && sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return kt_fail (reason, "cannot read %s: %s", name, sqlite3_errmsg (db));
    if (sqlite3_prepare_v2 (db, "SELECT idx, leaf, entry FROM entry ORDER BY idx", -1, &q, NULL) !=
        SQLITE_OK) {
        rc = kt_fail (reason, "%s is not a keten provenance log: %s", name, sqlite3_errmsg (db));
        goto done;
    }
    /*  Absent in logs made before the arrival index (1) or before schema
     *  3 (header hash, sender, interior hashes) until the daemon opens
     *  them once. */
    if (sqlite3_prepare_v2 (db, "SELECT idx, header_hash, sender FROM received WHERE message_id=?",
                            -1, &where, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2 (db, "SELECT idx, NULL, NULL FROM received WHERE message_id=?", -1,
                            &where, NULL) != SQLITE_OK)
        where = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT id, hash FROM node ORDER BY id", -1, &nodes, NULL) !=
            SQLITE_OK ||
        store_int (db, "SELECT count(*) FROM node_backfill", 0) != 0) {
        sqlite3_finalize (nodes);
        nodes = NULL;
    }
    s_verify_t v = {nodes, name, bad_index_p, reason};
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
        if (sqlite3_column_bytes (q, 1) != 32 ||
            memcmp (sqlite3_column_blob (q, 1), leaf, 32) != 0) {
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
         *  appended: this places entries that were moved as a whole.  The
         *  index's header hash and sender must be the entry's. */
        if (e->event == KETEN__LOG_EVENT__MESSAGE_RECEIVED && where) {
            sqlite3_reset (where);
            sqlite3_bind_blob (where, 1, e->message_id.data, (int) e->message_id.len,
                               SQLITE_STATIC);
            if (sqlite3_step (where) == SQLITE_ROW) {
                if ((uint64_t) sqlite3_column_int64 (where, 0) != want)
                    rc = kt_fail (reason,
                                  "entry %llu is out of place (its message was logged at "
                                  "index %lld)",
                                  (unsigned long long) want,
                                  (long long) sqlite3_column_int64 (where, 0));
                else if (sqlite3_column_type (where, 1) != SQLITE_NULL &&
                         ((size_t) sqlite3_column_bytes (where, 1) != e->header_hash.len ||
                          (e->header_hash.len &&
                           memcmp (sqlite3_column_blob (where, 1), e->header_hash.data,
                                   e->header_hash.len) != 0) ||
                          sqlite3_column_type (where, 2) != SQLITE_TEXT ||
                          strcmp ((const char *) sqlite3_column_text (where, 2),
                                  e->node ? e->node : "") != 0))
                    rc = kt_fail (reason,
                                  "entry %llu does not match the arrival index (header "
                                  "hash or sender differs)",
                                  (unsigned long long) want);
            }
            sqlite3_reset (where);
        }
        keten__log_entry__free_unpacked (e, NULL);
        if (rc != 0)
            break;
        if (provlog_range_append (&range, leaf, s_check_node, &v) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = kt_fail (reason, "cannot read %s: %s", name, sqlite3_errmsg (db));
    if (rc != 0)
        goto done;
    /*  Nothing may point past the last entry: a log cut back without its
     *  interior hashes or arrival index shows here. */
    *bad_index_p = range.size;
    if (nodes && sqlite3_step (nodes) == SQLITE_ROW) {
        rc = kt_fail (reason,
                      "interior hashes are stored beyond the last entry %llu (entries "
                      "were removed from the end?)",
                      (unsigned long long) range.size);
        goto done;
    }
    if (where) {
        sqlite3_stmt *beyond = NULL;
        if (sqlite3_prepare_v2 (db, "SELECT min(idx) FROM received WHERE idx >= ?", -1, &beyond,
                                NULL) == SQLITE_OK) {
            sqlite3_bind_int64 (beyond, 1, (sqlite3_int64) range.size);
            if (sqlite3_step (beyond) == SQLITE_ROW &&
                sqlite3_column_type (beyond, 0) != SQLITE_NULL)
                rc = kt_fail (reason,
                              "the arrival index names entry %lld beyond the last entry "
                              "(entries were removed from the end?)",
                              (long long) sqlite3_column_int64 (beyond, 0));
        }
        sqlite3_finalize (beyond);
        if (rc != 0)
            goto done;
    }
    /*  The head the daemon restarts from must be the one the entries give. */
    sqlite3_finalize (q);
    q = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT size, hashes FROM range WHERE id=1", -1, &q, NULL) !=
        SQLITE_OK) {
        rc = kt_fail (reason, "%s has no stored tree head: %s", name, sqlite3_errmsg (db));
        goto done;
    }
    if (sqlite3_step (q) == SQLITE_ROW) {
        uint64_t size = (uint64_t) sqlite3_column_int64 (q, 0);
        if (size != range.size || sqlite3_column_bytes (q, 1) != range.count * 32 ||
            memcmp (sqlite3_column_blob (q, 1), range.hashes, (size_t) range.count * 32) != 0)
            rc = kt_fail (reason,
                          "the stored tree head (size %llu) does not match the %llu "
                          "entries",
                          (unsigned long long) size, (unsigned long long) range.size);
    } else if (range.size != 0)
        rc = kt_fail (reason, "the stored tree head is missing");
done:
    sqlite3_finalize (q);
    sqlite3_finalize (where);
    sqlite3_finalize (nodes);
    if (own_txn)
        sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    if (rc == 0) {
        *size_p = range.size;
        merkle_range_root (&range, root);
    }
    return rc;
}

int
provlog_verify (const char *path, uint64_t *size_p, uint8_t root[32], uint64_t *bad_index_p,
                kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    *bad_index_p = 0;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        kt_fail (reason, "cannot open %s: %s", path, db ? sqlite3_errmsg (db) : "?");
        sqlite3_close (db);
        return -1;
    }
    sqlite3_busy_timeout (db, 5000);
    int rc = provlog_verify_db (db, path, size_p, root, bad_index_p, reason);
    sqlite3_close (db);
    return rc;
}

int
provlog_scan (const char *path, provlog_scan_fn *fn, void *arg, kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2 (db, "SELECT idx, entry FROM entry ORDER BY idx", -1, &q, NULL) !=
            SQLITE_OK) {
        kt_fail (reason, "cannot read %s: %s", path, db ? sqlite3_errmsg (db) : "?");
        sqlite3_close (db);
        return -1;
    }
    sqlite3_busy_timeout (db, 5000);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step (q)) == SQLITE_ROW) {
        uint64_t index = (uint64_t) sqlite3_column_int64 (q, 0);
        Keten__LogEntry *e = keten__log_entry__unpack (NULL, (size_t) sqlite3_column_bytes (q, 1),
                                                       sqlite3_column_blob (q, 1));
        if (!e)
            rc = kt_fail (reason, "%s: entry %llu does not decode; run keten log verify", path,
                          (unsigned long long) index);
        else {
            fn (arg, index, e);
            keten__log_entry__free_unpacked (e, NULL);
        }
    }
    sqlite3_finalize (q);
    sqlite3_close (db);
    return rc;
}
