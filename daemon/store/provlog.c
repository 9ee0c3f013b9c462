/*  provlog: append-only Merkle log in its own SQLite file.
 *
 *  Tables (one owner: this file; common/logfile.c reads them, here on open
 *  and in `keten log verify` to audit a log file from outside the daemon):
 *  - entry (idx, leaf, entry): the leaves, idx 0..size-1;
 *  - range: the compact range of the committed size (one row);
 *  - node (id, hash): every complete interior subtree (level >= 1), numbered
 *    in the order appends complete them (logfile_node_id), so they are written
 *    at the end of the B-tree and read back by rowid;
 *  - received (message_id, idx, header_hash, sender): which entry records
 *    a message's arrival;
 *  - once (key, idx): which entry an append under a key wrote;
 *  - entry_run (first, last, event, time_ms): the entries of one event
 *    and time, one row for each run of them (a drain's arrivals share
 *    both), so that entries are found by type and time without decoding
 *    the log (provlog_each_event).
 *  Invariant, kept by writing all of them in one transaction: range.size
 *  is the number of entries, node holds exactly size - popcount(size) rows,
 *  and the range's hashes are the stored roots of the perfect subtrees
 *  that make up [0, size).
 */
#include "provlog.h"

#include "freshids.h"
#include "logfile.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVLOG_KEPT 4096
#define PROVLOG_FRESH 8192
#define PROVLOG_RANGES 512

typedef struct {
    uint64_t key; /* (index << 6 | level) + 1; 0: empty */
    uint8_t hash[32];
} kept_hash_t;

static uint64_t
s_kept_key (int level, uint64_t index)
{
    return (index << 6 | (uint64_t) level) + 1;
}

static size_t
s_kept_slot (uint64_t key)
{
    return (size_t) ((key * 0x9E3779B97F4A7C15ULL) >> 52) % PROVLOG_KEPT;
}

struct _provlog_t {
    char *path;
    sqlite3 *db;
    sqlite3_stmt *save_range, *find_received, *add_received, *add_node, *get_leaf, *get_node,
        *get_entry, *add_run;
    /*  The run of entries of one event and time the open transaction
     *  appends to, written as one entry_run row when the next entry does
     *  not continue it and before the commit (s_run_write). */
    struct {
        bool open;
        uint64_t first, last, time_ms;
        int event;
    } run;
    merkle_range_t range;   /* committed state */
    merkle_range_t pending; /* state inside the open batch */
    bool in_batch;
    /*  The open batch's entry, node and received rows, inserted a few
     *  statements at a time when it commits (s_flush_rows; issue #17),
     *  and the message ids of its received rows, so that a second
     *  arrival of one in the same batch finds the first. */
    store_rows_t *entry_rows, *node_rows, *received_rows;
    bool rows_failed; /* a node row could not be added (out of memory) */
    uint8_t (*batch_ids)[KT_ID_LEN];
    size_t n_batch_ids, cap_batch_ids;
    int32_t *id_slots; /* open addressing over batch_ids: index + 1, 0 empty */
    uint8_t id_key[crypto_shorthash_KEYBYTES];
    size_t n_id_slots; /* a power of two, at least twice n_batch_ids */
    /*  The arrivals' ids, counted: a new one, new to the open batch too,
     *  is new without a lookup (freshids.h; ids are time-ordered, so most
     *  are, and a held signal's random id no longer stops that). */
    fresh_ids_t received;
    bool owed; /* provlog_owe: begin refuses */
    /*  Subtree hashes the proofs read, kept by (level, index): a drain's
     *  receipts share their upper siblings, and reading each from SQLite
     *  cost the uitvoerder a fifth of its CPU.  A subtree inside the
     *  committed tree never changes (the file refuses updates and deletes),
     *  so nothing here goes stale. */
    kept_hash_t kept[PROVLOG_KEPT];
    /*  The hashes the open batch writes (leaves and new subtrees), kept
     *  once it commits: the drain's receipts then read none from SQLite. */
    kept_hash_t fresh[PROVLOG_FRESH];
    size_t n_fresh;
    /*  Roots of ranges that are not a perfect subtree (the right edge of
     *  a proof's tree), by (begin, end): a drain's receipts need the same
     *  ones, each folded from several subtrees.  Committed entries never
     *  change, so neither do these. */
    struct {
        uint64_t begin, end; /* end 0: empty */
        uint8_t hash[32];
    } ranges[PROVLOG_RANGES];
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
    /*  3: the same message is recognised by id, header hash and sender, so
     *  that another message reusing an id is not taken for it (rows from
     *  before keep NULL and are compared with their logged entry).
     *  Interior subtree hashes for O(log n) proofs; a log that already has
     *  entries gets them computed once at the next open (node_backfill). */
    "ALTER TABLE received ADD COLUMN header_hash BLOB;"
    "ALTER TABLE received ADD COLUMN sender TEXT;"
    "CREATE TABLE node (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
    "CREATE TRIGGER node_no_update BEFORE UPDATE ON node"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TRIGGER node_no_delete BEFORE DELETE ON node"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TABLE node_backfill (id INTEGER PRIMARY KEY CHECK (id = 1));"
    "INSERT INTO node_backfill SELECT 1 WHERE EXISTS (SELECT 1 FROM entry);",
    /*  4: entries the uitvoerder writes once per key (a message sent, a
     *  delivery, a decision) whatever a crash makes it repeat: the key is
     *  written in the append's own transaction, so the entry and the
     *  record that it exists cannot part (docs/ARCHITECTURE.md, Crash
     *  reasoning 12). */
    "CREATE TABLE once (key TEXT PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER once_no_update BEFORE UPDATE ON once"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TRIGGER once_no_delete BEFORE DELETE ON once"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;",
    /*  5: entries by event and time (`keten log show --type`), written
     *  with each entry in its transaction; a log with entries from before
     *  gets the rows once at the next open (event_backfill). */
    "CREATE TABLE entry_event (idx INTEGER PRIMARY KEY, event INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL);"
    "CREATE INDEX entry_event_time ON entry_event (event, time_ms);"
    "CREATE TRIGGER entry_event_no_update BEFORE UPDATE ON entry_event"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TRIGGER entry_event_no_delete BEFORE DELETE ON entry_event"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TABLE event_backfill (id INTEGER PRIMARY KEY CHECK (id = 1));"
    "INSERT INTO event_backfill SELECT 1 WHERE EXISTS (SELECT 1 FROM entry);",
    /*  6, issue #17: a row for each run of consecutive entries of one
     *  event and time (the arrivals of a drain share both) instead of a
     *  row and an index entry for each entry; the rows of entry_event
     *  become their runs. */
    "CREATE TABLE entry_run (first INTEGER PRIMARY KEY, last INTEGER NOT NULL,"
    " event INTEGER NOT NULL, time_ms INTEGER NOT NULL);"
    "CREATE INDEX entry_run_time ON entry_run (event, time_ms);"
    "CREATE TRIGGER entry_run_no_update BEFORE UPDATE ON entry_run"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TRIGGER entry_run_no_delete BEFORE DELETE ON entry_run"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "INSERT INTO entry_run (first, last, event, time_ms)"
    " SELECT min(idx), max(idx), event, time_ms FROM (SELECT idx, event, time_ms,"
    " idx - row_number() OVER (PARTITION BY event, time_ms ORDER BY idx) AS run"
    " FROM entry_event) GROUP BY event, time_ms, run;"
    "DROP TABLE entry_event;",
    /*  7: the arrival index is append-only too: a row taken out would let
     *  a retry of its message be logged a second time (keten log verify
     *  also wants a row for every arrival). */
    "CREATE TRIGGER IF NOT EXISTS received_no_update BEFORE UPDATE ON received"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS received_no_delete BEFORE DELETE ON received"
    " BEGIN SELECT RAISE(ABORT, 'provenance log is append-only'); END;",
};

/*  Largest power of two strictly below n (n >= 2). */
static uint64_t
s_split (uint64_t n)
{
    return (uint64_t) 1 << (63 - __builtin_clzll (n - 1));
}

/*  A hash the open batch writes, to be kept when it commits. */
static void
s_fresh (provlog_t *self, int level, uint64_t index, const uint8_t hash[32])
{
    if (self->n_fresh < PROVLOG_FRESH) {
        kept_hash_t *k = &self->fresh[self->n_fresh++];
        k->key = s_kept_key (level, index);
        memcpy (k->hash, hash, 32);
    }
}

static int
s_insert_node (void *arg, int64_t id, const uint8_t hash[32], int level, uint64_t index)
{
    provlog_t *self = arg;
    s_fresh (self, level, index, hash);
    if (self->in_batch) {
        kt_reason_t why;
        if (store_rows_add (self->node_rows, STORE_VALUES (STORE_INT (id), STORE_BLOB (hash, 32)),
                            &why) == 0)
            return 0;
        self->rows_failed = true;
        return -1;
    }
    sqlite3_reset (self->add_node);
    sqlite3_bind_int64 (self->add_node, 1, id);
    sqlite3_bind_blob (self->add_node, 2, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step (self->add_node);
    sqlite3_reset (self->add_node);
    return rc == SQLITE_DONE ? 0 : -1;
}

/*  One 32-byte blob from a prepared one-parameter query. */
static int
s_read_hash (sqlite3_stmt *stmt, int64_t key, uint8_t out[32])
{
    sqlite3_reset (stmt);
    sqlite3_bind_int64 (stmt, 1, key);
    int rc = -1;
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == 32) {
        memcpy (out, sqlite3_column_blob (stmt, 0), 32);
        rc = 0;
    }
    sqlite3_reset (stmt);
    return rc;
}

/*  Root of the perfect subtree (level, index), which must lie within the
 *  committed tree.  The pieces of the committed compact range are in
 *  memory; everything else is one row. */
static int
s_perfect (provlog_t *self, int level, uint64_t index, uint8_t out[32], kt_reason_t *reason)
{
    uint64_t size = self->range.size;
    if (level < 64 && ((size >> level) & 1) && index == (size >> level) - 1) {
        int pos = level == 63 ? 0 : __builtin_popcountll (size >> (level + 1));
        memcpy (out, self->range.hashes[pos], 32);
        return 0;
    }
    uint64_t key = s_kept_key (level, index);
    size_t slot = s_kept_slot (key);
    if (self->kept[slot].key == key) {
        memcpy (out, self->kept[slot].hash, 32);
        return 0;
    }
    int rc = level == 0 ? s_read_hash (self->get_leaf, (int64_t) index, out)
                        : s_read_hash (self->get_node, logfile_node_id (level, index), out);
    if (rc != 0)
        return kt_fail (reason,
                        "%s: subtree hash at level %d index %llu is missing or damaged; "
                        "run `keten log verify`",
                        self->path, level, (unsigned long long) index);
    self->kept[slot].key = key;
    memcpy (self->kept[slot].hash, out, 32);
    return 0;
}

/*  MTH of entries [begin, end): the perfect subtrees of the set bits of
 *  end - begin, largest first, folded right to left.  begin is aligned to
 *  the largest piece (as every range RFC 9162's recursion produces is). */
static int
s_mth (provlog_t *self, uint64_t begin, uint64_t end, uint8_t out[32], kt_reason_t *reason)
{
    uint64_t n = end - begin, at = begin;
    size_t slot =
        (size_t) ((((begin * 0x9E3779B97F4A7C15ULL) ^ end) * 0x9E3779B97F4A7C15ULL) >> 40) %
        PROVLOG_RANGES;
    bool perfect = (n & (n - 1)) == 0;
    if (!perfect && self->ranges[slot].end == end && self->ranges[slot].begin == begin) {
        memcpy (out, self->ranges[slot].hash, 32);
        return 0;
    }
    uint8_t pieces[64][32];
    int count = 0;
    for (int level = 63; level >= 0; level--)
        if ((n >> level) & 1) {
            if (s_perfect (self, level, at >> level, pieces[count++], reason) != 0)
                return -1;
            at += (uint64_t) 1 << level;
        }
    memcpy (out, pieces[count - 1], 32);
    for (int i = count - 2; i >= 0; i--)
        merkle_node_hash (out, pieces[i], out);
    if (!perfect) {
        self->ranges[slot].begin = begin;
        self->ranges[slot].end = end;
        memcpy (self->ranges[slot].hash, out, 32);
    }
    return 0;
}

/*  Reverse the n hashes of list (proofs are gathered root side first). */
static void
s_reverse (uint8_t (*list)[32], size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t[32];
        memcpy (t, list[i], 32);
        memcpy (list[i], list[n - 1 - i], 32);
        memcpy (list[n - 1 - i], t, 32);
    }
}

static int
s_refuse_head (provlog_t *self, uint64_t size, const char *detail, kt_reason_t *reason)
{
    return kt_fail (reason,
                    "%s: stored tree head does not match entries at size %llu (%s); run "
                    "`keten log verify`",
                    self->path, (unsigned long long) size, detail);
}

/*  The interior hashes of a log upgraded from before they existed,
 *  recomputed from the stored leaves in one pass. */
typedef struct {
    provlog_t *self;
    merkle_range_t range;
    kt_reason_t *reason;
} s_backfill_t;

static int
s_backfill_entry (void *arg, const logfile_entry_t *e)
{
    s_backfill_t *b = arg;
    if ((uint64_t) e->idx != b->range.size || e->leaf_len != 32)
        return s_refuse_head (b->self, b->self->range.size, "an entry is missing or damaged",
                              b->reason);
    if (logfile_range_append (&b->range, e->leaf, s_insert_node, b->self) != 0)
        return kt_fail (b->reason, "%s: cannot store interior hashes: %s", b->self->path,
                        sqlite3_errmsg (b->self->db));
    return 0;
}

/*  A log upgraded from before interior hashes: compute them once from the
 *  leaves, and refuse unless they give the stored head. */
static int
s_backfill_nodes (provlog_t *self, kt_reason_t *reason)
{
    if (store_int (self->db, "SELECT count(*) FROM node_backfill", 0) == 0)
        return 0;
    if (store_begin (self->db, reason) != 0)
        return -1;
    s_backfill_t b = {self, {0}, reason};
    merkle_range_init (&b.range);
    int rc = logfile_each_entry (self->db, self->path, s_backfill_entry, &b, reason) ? -1 : 0;
    if (rc == 0 && (b.range.size != self->range.size ||
                    memcmp (b.range.hashes, self->range.hashes, (size_t) b.range.count * 32) != 0))
        rc = s_refuse_head (self, self->range.size, "the entries give another tree", reason);
    if (rc == 0 && (store_exec (self->db, "DELETE FROM node_backfill", reason) != 0 ||
                    store_commit (self->db, reason) != 0))
        rc = -1;
    if (rc != 0)
        store_rollback (self->db);
    else
        kt_log (KT_LOG_INFO, "provlog interior_hashes_built entries=%llu",
                (unsigned long long) b.range.size);
    return rc;
}

/*  The stored head must be well formed and count the stored entries;
 *  *new_p is set for a file that holds nothing yet (a new log). */
static int
s_load_head (provlog_t *self, bool *new_p, kt_reason_t *reason)
{
    *new_p = false;
    merkle_range_init (&self->range);
    logfile_head_t head;
    if (logfile_head_load (self->db, self->path, &head, reason) != 0)
        return -1;
    int64_t count = store_int (self->db, "SELECT coalesce(max(idx) + 1, 0) FROM entry", 0);
    char detail[96];
    if (!head.present) {
        if (count == 0 && store_int (self->db, "SELECT count(*) FROM node", 0) == 0) {
            *new_p = true;
            return 0;
        }
        snprintf (detail, sizeof detail, "the head is missing but %lld entries are stored",
                  (long long) count);
        return s_refuse_head (self, 0, detail, reason);
    }
    if (!head.well_formed)
        return s_refuse_head (self, (uint64_t) (head.size < 0 ? 0 : head.size),
                              "the head is malformed", reason);
    if (head.size != count) {
        snprintf (detail, sizeof detail, "the file holds %lld entries", (long long) count);
        return s_refuse_head (self, (uint64_t) head.size, detail, reason);
    }
    self->range = head.range;
    return 0;
}

/*  The interior hashes must number size - popcount(size), every piece of
 *  the compact range must be the stored subtree root, and the newest leaf
 *  hash must be its entry's. */
static int
s_check_stored_tree (provlog_t *self, kt_reason_t *reason)
{
    uint64_t size = self->range.size;
    char detail[96];
    uint64_t want_nodes = size - (uint64_t) __builtin_popcountll (size);
    int64_t nodes = store_int (self->db, "SELECT coalesce(max(id) + 1, 0) FROM node", 0);
    /*  (max, not count(*), which would read the whole table: a hole is
     *  found by verify, and a proof that needs the row refuses.) */
    if (nodes < 0 || (uint64_t) nodes != want_nodes) {
        snprintf (detail, sizeof detail, "%lld interior hashes stored, %llu expected",
                  (long long) nodes, (unsigned long long) want_nodes);
        return s_refuse_head (self, size, detail, reason);
    }
    int pos = 0;
    for (int level = 63; level >= 0; level--) {
        if (!((size >> level) & 1))
            continue;
        uint64_t index = (size >> level) - 1;
        uint8_t stored[32];
        int rc = level == 0 ? s_read_hash (self->get_leaf, (int64_t) index, stored)
                            : s_read_hash (self->get_node, logfile_node_id (level, index), stored);
        if (rc != 0 || memcmp (stored, self->range.hashes[pos], 32) != 0) {
            snprintf (detail, sizeof detail, "subtree at level %d index %llu differs", level,
                      (unsigned long long) index);
            return s_refuse_head (self, size, detail, reason);
        }
        pos++;
    }
    if (size == 0)
        return 0;
    sqlite3_reset (self->get_entry);
    sqlite3_bind_int64 (self->get_entry, 1, (sqlite3_int64) (size - 1));
    bool ok = false;
    if (sqlite3_step (self->get_entry) == SQLITE_ROW &&
        sqlite3_column_bytes (self->get_entry, 1) == 32) {
        uint8_t leaf[32];
        merkle_leaf_hash (leaf, sqlite3_column_blob (self->get_entry, 0),
                          (size_t) sqlite3_column_bytes (self->get_entry, 0));
        ok = memcmp (leaf, sqlite3_column_blob (self->get_entry, 1), 32) == 0;
    }
    sqlite3_reset (self->get_entry);
    if (!ok)
        return s_refuse_head (self, size, "the newest entry does not match its leaf", reason);
    return 0;
}

/*  At most this many of the newest entries are recomputed at every open:
 *  about 20 ms, so a start stays quick however long the log grows. */
#define PROVLOG_OPEN_CHECK 16384

/*  The newest entries (at most PROVLOG_OPEN_CHECK) against their stored
 *  leaves, and every interior hash whose subtree lies among them against
 *  the one recomputed: an entry changed behind our back - even with its
 *  leaf and the hashes above it rewritten to match, up to the part of the
 *  tree that is older - is refused at start, not first found by the next
 *  `keten log verify`.  Older entries are that command's job. */
static int
s_check_newest (provlog_t *self, uint64_t *checked_p, kt_reason_t *reason)
{
    uint64_t size = self->range.size;
    uint64_t lo = size > PROVLOG_OPEN_CHECK ? size - PROVLOG_OPEN_CHECK : 0;
    uint64_t n = size - lo;
    *checked_p = n;
    if (n == 0)
        return 0;
    uint8_t (*hashes)[32] = malloc (n * 32);
    if (!hashes)
        return kt_fail (reason, "out of memory");
    char detail[96] = "";
    sqlite3_stmt *q = store_prepare (
        self->db, "SELECT idx, entry, leaf FROM entry WHERE idx>=? ORDER BY idx", reason);
    int rc = q ? 0 : -1;
    uint64_t want = lo;
    int step = SQLITE_DONE;
    if (q)
        sqlite3_bind_int64 (q, 1, (sqlite3_int64) lo);
    while (rc == 0 && *detail == '\0' && (step = sqlite3_step (q)) == SQLITE_ROW) {
        if ((uint64_t) sqlite3_column_int64 (q, 0) != want || want >= size) {
            snprintf (detail, sizeof detail, "entry %llu is missing or out of place",
                      (unsigned long long) want);
            break;
        }
        merkle_leaf_hash (hashes[want - lo], sqlite3_column_blob (q, 1),
                          (size_t) sqlite3_column_bytes (q, 1));
        if (sqlite3_column_bytes (q, 2) != 32 ||
            memcmp (hashes[want - lo], sqlite3_column_blob (q, 2), 32) != 0)
            snprintf (detail, sizeof detail, "entry %llu does not match its leaf",
                      (unsigned long long) want);
        want++;
    }
    /*  A read that fails is storage, not tampering: said as it is. */
    if (rc == 0 && *detail == '\0' && step != SQLITE_DONE) {
        store_health_note (self->db, step);
        rc = kt_fail (reason, "%s: cannot read the newest entries: %s", self->path,
                      sqlite3_errstr (step));
    }
    if (rc == 0 && *detail == '\0' && want != size)
        snprintf (detail, sizeof detail, "entry %llu is missing", (unsigned long long) want);
    sqlite3_finalize (q);
    /*  Level by level: hashes[i] is node (level, first + i) for first <=
     *  index < end, the nodes whose subtrees lie within [lo, size). */
    uint64_t first = lo, end = size;
    for (int level = 0; rc == 0 && *detail == '\0'; level++) {
        uint64_t pfirst = (first + 1) / 2, pend = end / 2;
        if (pfirst >= pend)
            break;
        for (uint64_t p = pfirst; p < pend && *detail == '\0'; p++) {
            uint8_t stored[32];
            merkle_node_hash (hashes[p - pfirst], hashes[2 * p - first], hashes[2 * p + 1 - first]);
            if (s_read_hash (self->get_node, logfile_node_id (level + 1, p), stored) != 0 ||
                memcmp (stored, hashes[p - pfirst], 32) != 0)
                snprintf (detail, sizeof detail, "subtree at level %d index %llu differs",
                          level + 1, (unsigned long long) p);
        }
        first = pfirst;
        end = pend;
    }
    free (hashes);
    if (rc == 0 && *detail)
        rc = s_refuse_head (self, size, detail, reason);
    return rc;
}

/*  Restart without replaying the log: the stored head must describe
 *  exactly the stored entries.  A crash cannot break this (all change in
 *  one transaction), so a mismatch means the file was changed behind our
 *  back: refuse, never repair.  These checks are O(log n) plus the
 *  newest entries (s_check_newest); recomputing every entry is `keten log
 *  verify`'s job. */
static int
s_load_range (provlog_t *self, kt_reason_t *reason)
{
    bool is_new;
    if (s_load_head (self, &is_new, reason) != 0)
        return -1;
    if (is_new)
        return 0;
    if (s_backfill_nodes (self, reason) != 0 || s_check_stored_tree (self, reason) != 0)
        return -1;
    uint64_t t0 = kt_mono_us ();
    uint64_t checked = 0;
    if (s_check_newest (self, &checked, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "log opened size=%llu newest_verified=%llu ms=%lld",
            (unsigned long long) self->range.size, (unsigned long long) checked,
            (long long) ((kt_mono_us () - t0) / 1000));
    return 0;
}

/*  The open run, written in the transaction that appended it. */
static int
s_run_write (provlog_t *self, kt_reason_t *reason)
{
    if (!self->run.open)
        return 0;
    self->run.open = false;
    return store_run_stmt (self->add_run,
                           STORE_VALUES (STORE_INT (self->run.first), STORE_INT (self->run.last),
                                         STORE_INT (self->run.event),
                                         STORE_INT (self->run.time_ms)),
                           "index the log entries by event", reason) < 0
               ? -1
               : 0;
}

/*  Entry index, of entry's event and time, in the run it continues or
 *  a new one. */
static int
s_add_event (provlog_t *self, uint64_t index, const Keten__LogEntry *entry, kt_reason_t *reason)
{
    if (self->run.open && self->run.event == (int) entry->event &&
        self->run.time_ms == entry->time_ms && index == self->run.last + 1) {
        self->run.last = index;
        return 0;
    }
    if (s_run_write (self, reason) != 0)
        return -1;
    self->run.open = true;
    self->run.first = self->run.last = index;
    self->run.event = (int) entry->event;
    self->run.time_ms = entry->time_ms;
    return 0;
}

typedef struct {
    provlog_t *self;
    kt_reason_t *reason;
} s_event_fill_t;

static int
s_event_fill (void *arg, const logfile_entry_t *e)
{
    s_event_fill_t *f = arg;
    Keten__LogEntry *entry = keten__log_entry__unpack (NULL, e->len, e->entry);
    if (!entry)
        return kt_fail (f->reason, "%s: log entry %lld does not decode", f->self->path,
                        (long long) e->idx);
    int rc = s_add_event (f->self, (uint64_t) e->idx, entry, f->reason);
    keten__log_entry__free_unpacked (entry, NULL);
    return rc;
}

/*  A log upgraded from before entry_event: its rows, once, in one
 *  commit (a crash repeats the whole step). */
static int
s_backfill_events (provlog_t *self, kt_reason_t *reason)
{
    if (store_int (self->db, "SELECT count(*) FROM event_backfill", 0) == 0)
        return 0;
    if (store_begin (self->db, reason) != 0)
        return -1;
    s_event_fill_t f = {self, reason};
    int rc = logfile_each_entry (self->db, self->path, s_event_fill, &f, reason) ? -1 : 0;
    if (rc == 0)
        rc = s_run_write (self, reason);
    self->run.open = false;
    if (rc == 0 && (store_exec (self->db, "DELETE FROM event_backfill", reason) != 0 ||
                    store_commit (self->db, reason) != 0))
        rc = -1;
    if (rc != 0)
        store_rollback (self->db);
    else
        kt_log (KT_LOG_INFO, "provlog event_index_built entries=%llu",
                (unsigned long long) self->range.size);
    return rc;
}

typedef struct {
    provlog_event_fn *fn;
    void *arg;
    const char *path;
} s_each_event_t;

static int
s_event_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    s_each_event_t *each = arg;
    int len = sqlite3_column_bytes (q, 1);
    Keten__LogEntry *entry =
        len > 0 ? keten__log_entry__unpack (NULL, (size_t) len, sqlite3_column_blob (q, 1)) : NULL;
    if (!entry)
        return kt_fail (reason, "%s: log entry %lld does not decode", each->path,
                        (long long) sqlite3_column_int64 (q, 0));
    int rc = each->fn (each->arg, (uint64_t) sqlite3_column_int64 (q, 0), entry, reason);
    keten__log_entry__free_unpacked (entry, NULL);
    return rc;
}

int
provlog_each_event (provlog_t *self, Keten__LogEvent event, uint64_t since_ms, uint64_t until_ms,
                    bool newest_first, size_t limit, provlog_event_fn *fn, void *arg,
                    kt_reason_t *reason)
{
    s_each_event_t each = {fn, arg, self->path};
    /*  Served by entry_run_time, (event, time_ms) and the rowid (first),
     *  then each run's entries by index: in that order, no sort. */
    const char *sql =
        newest_first
            ? "SELECT e.idx, e.entry FROM entry_run r JOIN entry e ON e.idx BETWEEN r.first AND"
              " r.last WHERE r.event = ? AND r.time_ms >= ? AND r.time_ms < ?"
              " ORDER BY r.time_ms DESC, r.first DESC, e.idx DESC LIMIT ?"
            : "SELECT e.idx, e.entry FROM entry_run r JOIN entry e ON e.idx BETWEEN r.first AND"
              " r.last WHERE r.event = ? AND r.time_ms >= ? AND r.time_ms < ?"
              " ORDER BY r.time_ms, r.first, e.idx LIMIT ?";
    uint64_t until = until_ms > (uint64_t) INT64_MAX ? (uint64_t) INT64_MAX : until_ms;
    uint64_t since = since_ms > until ? until : since_ms;
    return store_each (self->db, sql, store_bind_values,
                       (void *) STORE_VALUES (STORE_INT (event), STORE_INT (since),
                                              STORE_INT (until), STORE_INT (limit)),
                       s_event_row, &each, "list the log entries by event", reason);
}

/*  The slot of id in the batch's set: its own, or the empty one where it
 *  would go. */
static size_t
s_id_slot (const provlog_t *self, const uint8_t id[KT_ID_LEN])
{
    /*  Keyed (SipHash): a sender cannot choose ids that all collide. */
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash (out, id, KT_ID_LEN, self->id_key);
    uint64_t h;
    memcpy (&h, out, sizeof h);
    size_t mask = self->n_id_slots - 1, i = (size_t) h & mask;
    while (self->id_slots[i] && memcmp (self->batch_ids[self->id_slots[i] - 1], id, KT_ID_LEN) != 0)
        i = (i + 1) & mask;
    return i;
}

static bool
s_batch_has (const provlog_t *self, const uint8_t id[KT_ID_LEN])
{
    return self->n_batch_ids && self->id_slots[s_id_slot (self, id)] != 0;
}

/*  id into the batch's set: 0, or -1 when out of memory. */
static int
s_batch_add (provlog_t *self, const uint8_t id[KT_ID_LEN])
{
    if (self->n_batch_ids == self->cap_batch_ids) {
        size_t cap = self->cap_batch_ids ? 2 * self->cap_batch_ids : 256;
        uint8_t (*ids)[KT_ID_LEN] = realloc (self->batch_ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        self->batch_ids = ids;
        self->cap_batch_ids = cap;
    }
    if (2 * (self->n_batch_ids + 1) > self->n_id_slots) {
        size_t n = self->n_id_slots ? 2 * self->n_id_slots : 512;
        int32_t *slots = calloc (n, sizeof *slots);
        if (!slots)
            return -1;
        free (self->id_slots);
        self->id_slots = slots;
        self->n_id_slots = n;
        for (size_t k = 0; k < self->n_batch_ids; k++)
            self->id_slots[s_id_slot (self, self->batch_ids[k])] = (int32_t) k + 1;
    }
    memcpy (self->batch_ids[self->n_batch_ids], id, KT_ID_LEN);
    self->id_slots[s_id_slot (self, id)] = (int32_t) ++self->n_batch_ids;
    return 0;
}

/*  The batch's rows let go, and its set of ids emptied. */
static void
s_clear_rows (provlog_t *self)
{
    store_rows_clear (self->entry_rows);
    store_rows_clear (self->node_rows);
    store_rows_clear (self->received_rows);
    self->rows_failed = false;
    if (self->n_batch_ids)
        memset (self->id_slots, 0, self->n_id_slots * sizeof *self->id_slots);
    self->n_batch_ids = 0;
}

/*  The batch's rows so far inserted in its transaction: 0, or -1 with
 *  reason (the caller rolls the batch back). */
static int
s_flush_rows (provlog_t *self, kt_reason_t *reason)
{
    int rc = store_rows_flush (self->entry_rows, "append to provenance log", reason) == 0 &&
                     store_rows_flush (self->node_rows, "store interior hashes", reason) == 0 &&
                     store_rows_flush (self->received_rows, "index provenance log", reason) == 0
                 ? 0
                 : -1;
    s_clear_rows (self);
    return rc;
}

/*  id counted among the arrivals. */
static void
s_note_received (provlog_t *self, const uint8_t id[KT_ID_LEN])
{
    fresh_ids_note (&self->received, id, kt_now_ms ());
}

provlog_t *
provlog_open (const char *path, kt_reason_t *reason)
{
    provlog_t *self = calloc (1, sizeof *self);
    if (!self || !(self->path = strdup (path))) {
        free (self);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    kt_random_buf (self->id_key, sizeof self->id_key);
    self->db = store_open (path, reason);
    if (!self->db ||
        store_migrate (self->db, "provlog", s_migrations,
                       sizeof s_migrations / sizeof s_migrations[0], reason) != 0 ||
        !(self->save_range = store_prepare (
              self->db, "INSERT OR REPLACE INTO range (id, size, hashes) VALUES (1,?,?)",
              reason)) ||
        !(self->find_received = store_prepare (
              self->db, "SELECT idx, header_hash, sender FROM received WHERE message_id=?",
              reason)) ||
        !(self->add_received = store_prepare (self->db,
                                              "INSERT INTO received (message_id, idx, "
                                              "header_hash, sender) VALUES (?,?,?,?)",
                                              reason)) ||
        !(self->add_node =
              store_prepare (self->db, "INSERT INTO node (id, hash) VALUES (?,?)", reason)) ||
        !(self->get_leaf =
              store_prepare (self->db, "SELECT leaf FROM entry WHERE idx=?", reason)) ||
        !(self->get_node = store_prepare (self->db, "SELECT hash FROM node WHERE id=?", reason)) ||
        !(self->get_entry =
              store_prepare (self->db, "SELECT entry, leaf FROM entry WHERE idx=?", reason)) ||
        !(self->add_run = store_prepare (self->db,
                                         "INSERT INTO entry_run (first, last, event, time_ms)"
                                         " VALUES (?,?,?,?)",
                                         reason)) ||
        !(self->entry_rows =
              store_rows_new (self->db, "INSERT INTO entry (idx, leaf, entry)", 3, reason)) ||
        !(self->node_rows = store_rows_new (self->db, "INSERT INTO node (id, hash)", 2, reason)) ||
        !(self->received_rows = store_rows_new (
              self->db, "INSERT INTO received (message_id, idx, header_hash, sender)", 4,
              reason)) ||
        fresh_ids_load (&self->received, self->db, "received", "message_id", reason) != 0 ||
        s_load_range (self, reason) != 0 || s_backfill_events (self, reason) != 0) {
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
    sqlite3_finalize (self->save_range);
    sqlite3_finalize (self->find_received);
    sqlite3_finalize (self->add_received);
    sqlite3_finalize (self->add_node);
    sqlite3_finalize (self->get_leaf);
    sqlite3_finalize (self->get_node);
    sqlite3_finalize (self->get_entry);
    sqlite3_finalize (self->add_run);
    store_rows_destroy (&self->entry_rows);
    store_rows_destroy (&self->node_rows);
    store_rows_destroy (&self->received_rows);
    fresh_ids_free (&self->received);
    free (self->batch_ids);
    free (self->id_slots);
    store_close (&self->db);
    free (self->path);
    free (self);
    *self_p = NULL;
}

void
provlog_owe (provlog_t *self, bool owed)
{
    self->owed = owed;
}

bool
provlog_owed (const provlog_t *self)
{
    return self->owed;
}

int
provlog_begin (provlog_t *self, kt_reason_t *reason)
{
    if (self->owed)
        return kt_fail (reason,
                        "%s: entries for signals already stored are owed and must be logged "
                        "first (logowed.h); nothing else is logged until they are",
                        self->path);
    if (store_begin (self->db, reason) != 0)
        return -1;
    self->pending = self->range;
    self->in_batch = true;
    self->n_fresh = 0;
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
    s_fresh (self, 0, index, leaf);
    /*  The row goes in with the batch's others (s_flush_rows); no
     *  statement of the batch reads an entry it appended. */
    if (store_rows_add (
            self->entry_rows,
            STORE_VALUES (STORE_INT (index), STORE_BLOB (leaf, 32), STORE_BLOB (buf, len)),
            reason) != 0)
        return -1;
    if (s_add_event (self, index, entry, reason) != 0)
        return -1;
    /*  On failure the caller rolls the batch back, pending with it. */
    if (logfile_range_append (&self->pending, leaf, s_insert_node, self) != 0)
        return self->rows_failed ? kt_fail (reason, "out of memory")
                                 : kt_fail (reason, "cannot append to provenance log: %s",
                                            sqlite3_errmsg (self->db));
    *index_p = index;
    return 0;
}

int
provlog_commit (provlog_t *self, kt_reason_t *reason)
{
    return provlog_commit_start (self, reason) != 0 ? -1 : provlog_commit_wait (self, reason);
}

int
provlog_commit_start (provlog_t *self, kt_reason_t *reason)
{
    kt_reason_t run_why;
    if (s_flush_rows (self, &run_why) != 0 || s_run_write (self, &run_why) != 0) {
        provlog_rollback (self);
        return kt_fail (reason, "cannot commit provenance log: %s", run_why.text);
    }
    sqlite3_reset (self->save_range);
    sqlite3_bind_int64 (self->save_range, 1, (sqlite3_int64) self->pending.size);
    sqlite3_bind_blob (self->save_range, 2, self->pending.hashes, self->pending.count * 32,
                       SQLITE_STATIC);
    int rc = sqlite3_step (self->save_range);
    sqlite3_reset (self->save_range);
    kt_reason_t why = {""};
    if (rc != SQLITE_DONE) {
        store_health_note (self->db, rc);
        snprintf (why.text, sizeof why.text, "%s", sqlite3_errstr (rc));
    }
    if (rc != SQLITE_DONE || store_commit_start (self->db, &why) != 0) {
        provlog_rollback (self);
        return kt_fail (reason, "cannot commit provenance log: %s", why.text);
    }
    return 0;
}

int
provlog_commit_wait (provlog_t *self, kt_reason_t *reason)
{
    kt_reason_t why;
    if (store_commit_wait (self->db, &why) != 0) {
        provlog_rollback (self);
        return kt_fail (reason, "cannot commit provenance log: %s", why.text);
    }
    self->range = self->pending;
    self->in_batch = false;
    for (size_t i = 0; i < self->n_fresh; i++)
        self->kept[s_kept_slot (self->fresh[i].key)] = self->fresh[i];
    self->n_fresh = 0;
    return 0;
}

void
provlog_rollback (provlog_t *self)
{
    store_rollback (self->db);
    s_clear_rows (self);
    self->run.open = false;
    self->in_batch = false;
    self->n_fresh = 0;
}

int
provlog_append_one (provlog_t *self, const char *once, const Keten__LogEntry *entry,
                    uint64_t *index_p, kt_reason_t *reason)
{
    uint64_t index;
    if (provlog_begin (self, reason) != 0)
        return -1;
    if ((once ? provlog_append_once (self, once, entry, index_p, reason) < 0
              : provlog_append (self, entry, index_p ? index_p : &index, reason) != 0)) {
        provlog_rollback (self);
        return -1;
    }
    return provlog_commit (self, reason);
}

/*  Is the arrival logged at index (header hash and sender in columns 1
 *  and 2 of find_received, NULL for rows from before schema 3) the same
 *  message as entry? */
static int
s_same_message (provlog_t *self, uint64_t index, const Keten__LogEntry *entry, bool *same_p,
                kt_reason_t *reason)
{
    sqlite3_stmt *q = self->find_received;
    const char *sender = entry->node ? entry->node : "";
    if (sqlite3_column_type (q, 1) != SQLITE_NULL) {
        *same_p = (size_t) sqlite3_column_bytes (q, 1) == entry->header_hash.len &&
                  (entry->header_hash.len == 0 ||
                   memcmp (sqlite3_column_blob (q, 1), entry->header_hash.data,
                           entry->header_hash.len) == 0) &&
                  sqlite3_column_type (q, 2) == SQLITE_TEXT &&
                  strcmp ((const char *) sqlite3_column_text (q, 2), sender) == 0;
        return 0;
    }
    /*  An older row: the logged entry itself says what arrived. */
    sqlite3_reset (self->get_entry);
    sqlite3_bind_int64 (self->get_entry, 1, (sqlite3_int64) index);
    Keten__LogEntry *e = NULL;
    if (sqlite3_step (self->get_entry) == SQLITE_ROW)
        e = keten__log_entry__unpack (NULL, (size_t) sqlite3_column_bytes (self->get_entry, 0),
                                      sqlite3_column_blob (self->get_entry, 0));
    sqlite3_reset (self->get_entry);
    if (!e)
        return kt_fail (reason, "%s: entry %llu named by the arrival index cannot be read",
                        self->path, (unsigned long long) index);
    *same_p = e->header_hash.len == entry->header_hash.len &&
              (e->header_hash.len == 0 ||
               memcmp (e->header_hash.data, entry->header_hash.data, e->header_hash.len) == 0) &&
              strcmp (e->node ? e->node : "", sender) == 0;
    keten__log_entry__free_unpacked (e, NULL);
    return 0;
}

int
provlog_received_index (provlog_t *self, const uint8_t id[KT_ID_LEN], uint64_t *index_p,
                        kt_reason_t *reason)
{
    sqlite3_reset (self->find_received);
    sqlite3_bind_blob (self->find_received, 1, id, KT_ID_LEN, SQLITE_STATIC);
    int step = sqlite3_step (self->find_received);
    if (step == SQLITE_ROW)
        *index_p = (uint64_t) sqlite3_column_int64 (self->find_received, 0);
    sqlite3_reset (self->find_received);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return kt_fail (reason, "cannot read provenance log: %s", sqlite3_errstr (step));
    return step == SQLITE_ROW ? 1 : 0;
}

int
provlog_entry_bytes (provlog_t *self, uint64_t index, uint8_t **data_p, size_t *len_p,
                     kt_reason_t *reason)
{
    if (index >= self->range.size)
        return kt_fail (reason, "the log has %llu entries; there is no entry %llu",
                        (unsigned long long) self->range.size, (unsigned long long) index);
    sqlite3_reset (self->get_entry);
    sqlite3_bind_int64 (self->get_entry, 1, (sqlite3_int64) index);
    int rc = -1;
    if (sqlite3_step (self->get_entry) == SQLITE_ROW) {
        size_t len = (size_t) sqlite3_column_bytes (self->get_entry, 0);
        uint8_t *data = malloc (len ? len : 1);
        if (data) {
            memcpy (data, sqlite3_column_blob (self->get_entry, 0), len);
            *data_p = data;
            *len_p = len;
            rc = 0;
        }
    }
    sqlite3_reset (self->get_entry);
    if (rc != 0)
        return kt_fail (reason, "cannot read entry %llu of the provenance log",
                        (unsigned long long) index);
    return 0;
}

int
provlog_log_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                      kt_reason_t *reason)
{
    if (provlog_begin (self, reason) != 0)
        return -1;
    int rc = provlog_append_received (self, entry, index_p, reason);
    if (rc != 0) {
        provlog_rollback (self);
        return rc;
    }
    return provlog_commit (self, reason);
}

/*  The arrival logged under entry's id: 1 with *index_p when it is the
 *  same message, 2 with reason when it is another, 0 when there is none,
 *  -1 with reason when the file cannot be read. */
static int
s_find_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                 kt_reason_t *reason)
{
    sqlite3_reset (self->find_received);
    sqlite3_bind_blob (self->find_received, 1, entry->message_id.data, (int) entry->message_id.len,
                       SQLITE_STATIC);
    int step = sqlite3_step (self->find_received);
    if (step == SQLITE_ROW) {
        uint64_t index = (uint64_t) sqlite3_column_int64 (self->find_received, 0);
        bool same = false;
        int rc = s_same_message (self, index, entry, &same, reason);
        sqlite3_reset (self->find_received);
        if (rc != 0)
            return -1;
        if (!same) {
            kt_fail (reason,
                     "message id already logged at index %llu for another message "
                     "(header hash or sender differs); refused",
                     (unsigned long long) index);
            return 2;
        }
        *index_p = index;
        return 1;
    }
    sqlite3_reset (self->find_received);
    if (step != SQLITE_DONE)
        return kt_fail (reason, "cannot read provenance log: %s", sqlite3_errmsg (self->db));
    return 0;
}

int
provlog_append_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                         kt_reason_t *reason)
{
    if (entry->message_id.len == 0)
        return kt_fail (reason, "a received entry needs its message id");
    /*  The batch's received rows wait for its commit (s_flush_rows): an
     *  id the batch has taken already, or one of another length, finds
     *  them in the table once they are in. */
    bool batched = entry->message_id.len == KT_ID_LEN;
    bool taken = batched && s_batch_has (self, entry->message_id.data);
    if ((!batched || taken) && s_flush_rows (self, reason) != 0)
        return -1;
    /*  Not among the arrivals in the file and new to the batch: new,
     *  without a lookup. */
    bool fresh = batched && !taken && fresh_ids_new (&self->received, entry->message_id.data);
    int found = fresh ? 0 : s_find_received (self, entry, index_p, reason);
    if (found != 0)
        return found < 0 ? -1 : found == 2 ? 1 : 0;
    if (provlog_append (self, entry, index_p, reason) != 0)
        return -1;
    const char *sender = entry->node ? entry->node : "";
    /*  Never NULL (NULL marks rows from before schema 3). */
    const void *header_hash = entry->header_hash.len ? (const void *) entry->header_hash.data : "";
    if (batched) {
        s_note_received (self, entry->message_id.data);
        return store_rows_add (self->received_rows,
                               STORE_VALUES (STORE_BLOB (entry->message_id.data, KT_ID_LEN),
                                             STORE_INT (*index_p),
                                             STORE_BLOB (header_hash, entry->header_hash.len),
                                             STORE_TEXT (sender)),
                               reason) != 0 ||
                       s_batch_add (self, entry->message_id.data) != 0
                   ? kt_fail (reason, "out of memory")
                   : 0;
    }
    sqlite3_reset (self->add_received);
    sqlite3_bind_blob (self->add_received, 1, entry->message_id.data, (int) entry->message_id.len,
                       SQLITE_STATIC);
    sqlite3_bind_int64 (self->add_received, 2, (sqlite3_int64) *index_p);
    sqlite3_bind_blob (self->add_received, 3, header_hash, (int) entry->header_hash.len,
                       SQLITE_STATIC);
    sqlite3_bind_text (self->add_received, 4, sender, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->add_received);
    sqlite3_reset (self->add_received);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot index provenance log: %s", sqlite3_errmsg (self->db));
    return 0;
}

static int
s_once_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(uint64_t *) arg = (uint64_t) sqlite3_column_int64 (row, 0);
    return 0;
}

int
provlog_append_once (provlog_t *self, const char *key, const Keten__LogEntry *entry,
                     uint64_t *index_p, kt_reason_t *reason)
{
    uint64_t index;
    int found =
        store_one (self->db, "SELECT idx FROM once WHERE key=?", STORE_VALUES (STORE_TEXT (key)),
                   s_once_row, &index, "look for an entry in the provenance log", reason);
    if (found < 0)
        return -1;
    if (found == 0 && (provlog_append (self, entry, &index, reason) != 0 ||
                       store_run (self->db, "INSERT INTO once (key, idx) VALUES (?,?)",
                                  STORE_VALUES (STORE_TEXT (key), STORE_INT (index)),
                                  "index the provenance log", reason) < 0))
        return -1;
    if (index_p)
        *index_p = index;
    return found;
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

int
provlog_checkpoint_root (provlog_t *self, uint64_t size, uint8_t root[32], kt_reason_t *reason)
{
    if (size > self->range.size)
        return kt_fail (reason, "the log has %llu entries, not %llu",
                        (unsigned long long) self->range.size, (unsigned long long) size);
    if (size == 0) {
        merkle_range_t empty;
        merkle_range_init (&empty);
        merkle_range_root (&empty, root);
        return 0;
    }
    return s_mth (self, 0, size, root, reason);
}

int
provlog_leaf (provlog_t *self, uint64_t index, uint8_t leaf[MERKLE_HASH_LEN], kt_reason_t *reason)
{
    if (index >= self->range.size)
        return kt_fail (reason, "the log has no entry %llu", (unsigned long long) index);
    return s_perfect (self, 0, index, leaf, reason);
}

int
provlog_inclusion_proof (provlog_t *self, uint64_t index, uint64_t size,
                         uint8_t (*path)[MERKLE_HASH_LEN], size_t *n_path, kt_reason_t *reason)
{
    /*  Only committed sizes: a proof must never describe a tree that a
     *  rolled-back batch could take away. */
    if (index >= size || size > self->range.size)
        return kt_fail (reason,
                        "no inclusion proof for entry %llu in a tree of %llu (the log has "
                        "%llu entries)",
                        (unsigned long long) index, (unsigned long long) size,
                        (unsigned long long) self->range.size);
    /*  RFC 9162 2.1.3.1 PATH(m, D[n]), unrolled from the root down: the
     *  sibling subtree at each split, then reversed to leaf side first. */
    size_t len = 0;
    uint64_t offset = 0, m = index, n = size;
    while (n > 1) {
        uint64_t k = s_split (n);
        int rc;
        if (m < k) {
            rc = s_mth (self, offset + k, offset + n, path[len++], reason);
            n = k;
        } else {
            rc = s_mth (self, offset, offset + k, path[len++], reason);
            offset += k;
            m -= k;
            n -= k;
        }
        if (rc != 0)
            return -1;
    }
    s_reverse (path, len);
    *n_path = len;
    return 0;
}

int
provlog_consistency_proof (provlog_t *self, uint64_t old_size, uint64_t new_size,
                           uint8_t (*proof)[MERKLE_HASH_LEN], size_t *n_proof, kt_reason_t *reason)
{
    if (old_size > new_size || new_size > self->range.size)
        return kt_fail (reason, "no consistency proof from %llu to %llu entries (the log has %llu)",
                        (unsigned long long) old_size, (unsigned long long) new_size,
                        (unsigned long long) self->range.size);
    *n_proof = 0;
    if (old_size == 0 || old_size == new_size)
        return 0;
    /*  RFC 9162 2.1.4.1 SUBPROOF(m, D[n], b), unrolled from the root. */
    size_t len = 0;
    uint64_t offset = 0, m = old_size, n = new_size;
    bool whole = true; /* b: the old tree is still a whole subtree on the left */
    while (m != n) {
        uint64_t k = s_split (n);
        int rc;
        if (m <= k) {
            rc = s_mth (self, offset + k, offset + n, proof[len++], reason);
            n = k;
        } else {
            rc = s_mth (self, offset, offset + k, proof[len++], reason);
            offset += k;
            m -= k;
            n -= k;
            whole = false;
        }
        if (rc != 0)
            return -1;
    }
    if (!whole && s_mth (self, offset, offset + n, proof[len++], reason) != 0)
        return -1;
    s_reverse (proof, len);
    *n_proof = len;
    return 0;
}
