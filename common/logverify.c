/*  logverify: load, recompute, compare.
 *
 *  provlog.c owns the tables and keeps their invariant on every append;
 *  this file trusts none of it.  The tree is recomputed with the writer's
 *  own logfile_range_append, so the interior hashes are checked in exactly
 *  the order and numbering in which appends write them.
 */
#include "logverify.h"

#include "logfile.h"

#include <string.h>

/*  Verification state: the tree recomputed so far, and what is stored to
 *  compare it with. */
typedef struct {
    const char *name;
    logfile_nodes_t *nodes;       /* NULL: no interior hashes to compare yet */
    logfile_arrivals_t *arrivals; /* NULL: no arrival index */
    merkle_range_t range;
    uint64_t *bad_index_p;
    kt_reason_t *reason;
} s_verify_t;

/*  Compare an interior hash the recomputation completes with the next
 *  stored one (both come in id order). */
static int
s_check_node (void *arg, int64_t id, const uint8_t hash[MERKLE_HASH_LEN], int level, uint64_t index)
{
    s_verify_t *v = arg;
    if (!v->nodes)
        return 0;
    uint64_t first = index << level, last = ((index + 1) << level) - 1;
    *v->bad_index_p = first;
    int64_t stored_id;
    const uint8_t *stored;
    size_t len;
    if (!logfile_nodes_next (v->nodes, &stored_id, &stored, &len) || stored_id != id)
        return kt_fail (v->reason, "the stored interior hash over entries %llu..%llu is missing",
                        (unsigned long long) first, (unsigned long long) last);
    if (len != MERKLE_HASH_LEN || memcmp (stored, hash, MERKLE_HASH_LEN) != 0)
        return kt_fail (v->reason,
                        "entries %llu..%llu do not give the stored interior hash over "
                        "them (an entry was changed, moved or dropped)",
                        (unsigned long long) first, (unsigned long long) last);
    return 0;
}

/*  An arrival must sit where the arrival index says it was appended: this
 *  places entries that were moved as a whole.  The index's header hash
 *  and sender must be the entry's. */
static int
s_check_arrival (s_verify_t *v, uint64_t index, const Keten__LogEntry *e)
{
    logfile_arrival_t a;
    if (e->event != KETEN__LOG_EVENT__MESSAGE_RECEIVED || !v->arrivals)
        return 0;
    /*  Every arrival is indexed in the append's own transaction: one
     *  without its row was taken out of the index, and a retry of that
     *  message would be logged a second time. */
    if (!logfile_arrivals_find (v->arrivals, e->message_id.data, e->message_id.len, &a))
        return kt_fail (v->reason,
                        "entry %llu is an arrival the arrival index does not hold (a row was "
                        "removed)",
                        (unsigned long long) index);
    if (a.idx != index)
        return kt_fail (v->reason,
                        "entry %llu is out of place (its message was logged at index %lld)",
                        (unsigned long long) index, (long long) a.idx);
    if (a.has_sender_hash &&
        (a.header_hash_len != e->header_hash.len ||
         (e->header_hash.len && memcmp (a.header_hash, e->header_hash.data, e->header_hash.len)) ||
         !a.sender || strcmp (a.sender, e->node ? e->node : "") != 0))
        return kt_fail (v->reason,
                        "entry %llu does not match the arrival index (header hash or sender "
                        "differs)",
                        (unsigned long long) index);
    return 0;
}

/*  One stored entry: it must be the next index, its leaf hash the one its
 *  bytes give, and it must decode and sit where the arrival index puts
 *  it; then it joins the recomputed tree, whose completed interior nodes
 *  are compared as they appear. */
static int
s_check_entry (void *arg, const logfile_entry_t *stored)
{
    s_verify_t *v = arg;
    uint64_t want = v->range.size;
    *v->bad_index_p = want;
    if (stored->idx < 0 || (uint64_t) stored->idx != want)
        return kt_fail (v->reason, "entry %llu is missing (next stored index is %lld)",
                        (unsigned long long) want, (long long) stored->idx);
    uint8_t leaf[MERKLE_HASH_LEN];
    merkle_leaf_hash (leaf, stored->entry, stored->len);
    if (stored->leaf_len != MERKLE_HASH_LEN || memcmp (stored->leaf, leaf, MERKLE_HASH_LEN) != 0)
        return kt_fail (v->reason, "entry %llu does not match its leaf hash (changed in place)",
                        (unsigned long long) want);
    Keten__LogEntry *e = keten__log_entry__unpack (NULL, stored->len, stored->entry);
    if (!e)
        return kt_fail (v->reason, "entry %llu does not decode", (unsigned long long) want);
    int rc = s_check_arrival (v, want, e);
    keten__log_entry__free_unpacked (e, NULL);
    if (rc != 0)
        return rc;
    return logfile_range_append (&v->range, leaf, s_check_node, v);
}

/*  Nothing may point past the last entry: a log cut back without its
 *  interior hashes or arrival index shows here. */
static int
s_check_beyond (s_verify_t *v)
{
    int64_t id, idx;
    const uint8_t *hash;
    size_t len;
    *v->bad_index_p = v->range.size;
    if (v->nodes && logfile_nodes_next (v->nodes, &id, &hash, &len))
        return kt_fail (v->reason,
                        "interior hashes are stored beyond the last entry %llu (entries "
                        "were removed from the end?)",
                        (unsigned long long) v->range.size);
    if (v->arrivals && logfile_arrivals_beyond (v->arrivals, v->range.size, &idx))
        return kt_fail (v->reason,
                        "the arrival index names entry %lld beyond the last entry "
                        "(entries were removed from the end?)",
                        (long long) idx);
    return 0;
}

/*  The head the daemon restarts from must be the one the entries give. */
static int
s_check_head (sqlite3 *db, s_verify_t *v)
{
    logfile_head_t head;
    if (logfile_head_load (db, v->name, &head, v->reason) != 0)
        return -1;
    if (!head.present)
        return v->range.size != 0 ? kt_fail (v->reason, "the stored tree head is missing") : 0;
    if (!head.well_formed || head.range.size != v->range.size ||
        memcmp (head.range.hashes, v->range.hashes, (size_t) v->range.count * MERKLE_HASH_LEN) != 0)
        return kt_fail (v->reason,
                        "the stored tree head (size %llu) does not match the %llu "
                        "entries",
                        (unsigned long long) head.size, (unsigned long long) v->range.size);
    return 0;
}

int
logverify_db (sqlite3 *db, const char *name, uint64_t *size_p, uint8_t root[MERKLE_HASH_LEN],
              uint64_t *bad_index_p, kt_reason_t *reason)
{
    *bad_index_p = 0;
    /*  One read transaction: entries, interior hashes and head all come
     *  from one snapshot, even while the daemon appends (WAL). */
    bool own_txn = sqlite3_get_autocommit (db);
    if (own_txn && sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return kt_fail (reason, "cannot read %s: %s", name, sqlite3_errmsg (db));
    s_verify_t v = {name, NULL, NULL, {0}, bad_index_p, reason};
    merkle_range_init (&v.range);
    v.arrivals = logfile_arrivals_new (db);
    v.nodes = logfile_nodes_new (db);
    int rc = logfile_each_entry (db, name, s_check_entry, &v, reason);
    if (rc == 0)
        rc = s_check_beyond (&v);
    if (rc == 0)
        rc = s_check_head (db, &v);
    logfile_nodes_destroy (&v.nodes);
    logfile_arrivals_destroy (&v.arrivals);
    if (own_txn)
        sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    if (rc != 0)
        return -1;
    *size_p = v.range.size;
    merkle_range_root (&v.range, root);
    return 0;
}

int
logverify_file (const char *path, uint64_t *size_p, uint8_t root[MERKLE_HASH_LEN],
                uint64_t *bad_index_p, kt_reason_t *reason)
{
    *bad_index_p = 0;
    sqlite3 *db = logfile_open (path, reason);
    if (!db)
        return -1;
    int rc = logverify_db (db, path, size_p, root, bad_index_p, reason);
    sqlite3_close (db);
    return rc;
}
