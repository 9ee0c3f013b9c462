/*  logfile: loading a provenance log file as it is stored.  */
#include "logfile.h"

#include "store.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

sqlite3 *
logfile_open (const char *path, kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        kt_fail (reason, "cannot open %s: %s", path, db ? sqlite3_errmsg (db) : "?");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

/*  Interior node (level >= 1, index) covers leaves [index << level,
 *  (index + 1) << level) and is completed by the append of leaf e - 1,
 *  e = (index + 1) << level.  The first e leaves complete e - popcount(e)
 *  interior nodes; that append completes levels 1..ctz(e) in order, so
 *  ctz(e) - level of them come after this one. */
int64_t
logfile_node_id (int level, uint64_t index)
{
    uint64_t e = (index + 1) << level;
    return (int64_t) (e - (uint64_t) __builtin_popcountll (e) -
                      (uint64_t) (__builtin_ctzll (e) - level) - 1);
}

int
logfile_range_append (merkle_range_t *range, const uint8_t leaf[MERKLE_HASH_LEN],
                      logfile_emit_fn *emit, void *arg)
{
    uint64_t n = range->size;
    uint8_t carry[MERKLE_HASH_LEN];
    memcpy (carry, leaf, MERKLE_HASH_LEN);
    /*  As merkle_range_append: each trailing 1-bit of the size merges. */
    int level;
    for (level = 0; (n >> level) & 1; level++) {
        merkle_node_hash (carry, range->hashes[range->count - 1 - level], carry);
        uint64_t index = n >> (level + 1);
        if (emit && emit (arg, logfile_node_id (level + 1, index), carry, level + 1, index) != 0)
            return -1;
    }
    /*  The merged subtrees give way to the carry, as merkle_range_append
     *  would leave them, without hashing them a second time (issue #17). */
    range->count -= level;
    memcpy (range->hashes[range->count], carry, MERKLE_HASH_LEN);
    range->count++;
    range->size++;
    return 0;
}

int
logfile_head_load (sqlite3 *db, const char *name, logfile_head_t *head, kt_reason_t *reason)
{
    memset (head, 0, sizeof *head);
    merkle_range_init (&head->range);
    sqlite3_stmt *q = store_prepare (db, "SELECT size, hashes FROM range WHERE id=1", NULL);
    if (!q)
        return kt_fail (reason, "%s has no stored tree head: %s", name, sqlite3_errmsg (db));
    int step = sqlite3_step (q);
    if (step == SQLITE_ROW) {
        head->present = true;
        head->size = sqlite3_column_int64 (q, 0);
        const void *hashes = sqlite3_column_blob (q, 1);
        int bytes = sqlite3_column_bytes (q, 1);
        int count = head->size >= 0 ? __builtin_popcountll ((uint64_t) head->size) : 0;
        head->well_formed = head->size >= 0 && bytes == count * MERKLE_HASH_LEN;
        if (head->well_formed) {
            head->range.size = (uint64_t) head->size;
            head->range.count = count;
            if (bytes)
                memcpy (head->range.hashes, hashes, (size_t) bytes);
        }
    }
    sqlite3_finalize (q);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return kt_fail (reason, "cannot read %s: %s", name, sqlite3_errmsg (db));
    return 0;
}

int
logfile_each_entry (sqlite3 *db, const char *name, logfile_entry_fn *fn, void *arg,
                    kt_reason_t *reason)
{
    sqlite3_stmt *q = store_prepare (db, "SELECT idx, leaf, entry FROM entry ORDER BY idx", NULL);
    if (!q)
        return kt_fail (reason, "%s is not a keten provenance log: %s", name, sqlite3_errmsg (db));
    int rc = 0, step;
    while ((step = sqlite3_step (q)) == SQLITE_ROW) {
        logfile_entry_t e = {.idx = sqlite3_column_int64 (q, 0)};
        e.leaf = sqlite3_column_blob (q, 1);
        e.leaf_len = (size_t) sqlite3_column_bytes (q, 1);
        e.entry = sqlite3_column_blob (q, 2);
        e.len = (size_t) sqlite3_column_bytes (q, 2);
        if ((rc = fn (arg, &e)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = kt_fail (reason, "cannot read %s: %s", name, sqlite3_errmsg (db));
    sqlite3_finalize (q);
    return rc;
}

typedef struct {
    const char *path;
    logfile_scan_fn *fn;
    void *arg;
    kt_reason_t *reason;
} s_scan_t;

static int
s_scan_entry (void *arg, const logfile_entry_t *stored)
{
    s_scan_t *s = arg;
    Keten__LogEntry *e = keten__log_entry__unpack (NULL, stored->len, stored->entry);
    if (!e)
        return kt_fail (s->reason, "%s: entry %llu does not decode; run keten log verify", s->path,
                        (unsigned long long) stored->idx);
    s->fn (s->arg, (uint64_t) stored->idx, e);
    keten__log_entry__free_unpacked (e, NULL);
    return 0;
}

int
logfile_scan (const char *path, logfile_scan_fn *fn, void *arg, kt_reason_t *reason)
{
    sqlite3 *db = logfile_open (path, reason);
    if (!db)
        return -1;
    s_scan_t s = {path, fn, arg, reason};
    int rc = logfile_each_entry (db, path, s_scan_entry, &s, reason);
    sqlite3_close (db);
    return rc;
}

struct _logfile_nodes_t {
    sqlite3_stmt *q;
};

logfile_nodes_t *
logfile_nodes_new (sqlite3 *db)
{
    if (store_int (db, "SELECT count(*) FROM node_backfill", 0) != 0)
        return NULL;
    sqlite3_stmt *q = store_prepare (db, "SELECT id, hash FROM node ORDER BY id", NULL);
    if (!q)
        return NULL;
    logfile_nodes_t *self = calloc (1, sizeof *self);
    if (!self) {
        sqlite3_finalize (q);
        return NULL;
    }
    self->q = q;
    return self;
}

void
logfile_nodes_destroy (logfile_nodes_t **self_p)
{
    if (*self_p) {
        sqlite3_finalize ((*self_p)->q);
        free (*self_p);
        *self_p = NULL;
    }
}

bool
logfile_nodes_next (logfile_nodes_t *self, int64_t *id, const uint8_t **hash, size_t *len)
{
    if (sqlite3_step (self->q) != SQLITE_ROW)
        return false;
    *id = sqlite3_column_int64 (self->q, 0);
    *hash = sqlite3_column_blob (self->q, 1);
    *len = (size_t) sqlite3_column_bytes (self->q, 1);
    return true;
}

struct _logfile_arrivals_t {
    sqlite3_stmt *find, *beyond;
};

logfile_arrivals_t *
logfile_arrivals_new (sqlite3 *db)
{
    /*  Absent in logs made before the arrival index (1) or before schema
     *  3 (header hash, sender, interior hashes) until the daemon opens
     *  them once. */
    sqlite3_stmt *find = store_prepare (
        db, "SELECT idx, header_hash, sender FROM received WHERE message_id=?", NULL);
    if (!find)
        find = store_prepare (db, "SELECT idx, NULL, NULL FROM received WHERE message_id=?", NULL);
    if (!find)
        return NULL;
    logfile_arrivals_t *self = calloc (1, sizeof *self);
    if (!self) {
        sqlite3_finalize (find);
        return NULL;
    }
    self->find = find;
    self->beyond = store_prepare (db, "SELECT min(idx) FROM received WHERE idx >= ?", NULL);
    return self;
}

void
logfile_arrivals_destroy (logfile_arrivals_t **self_p)
{
    if (*self_p) {
        sqlite3_finalize ((*self_p)->find);
        sqlite3_finalize ((*self_p)->beyond);
        free (*self_p);
        *self_p = NULL;
    }
}

bool
logfile_arrivals_find (logfile_arrivals_t *self, const uint8_t *message_id, size_t len,
                       logfile_arrival_t *arrival)
{
    sqlite3_stmt *q = self->find;
    sqlite3_reset (q);
    sqlite3_bind_blob (q, 1, message_id, (int) len, SQLITE_STATIC);
    if (sqlite3_step (q) != SQLITE_ROW)
        return false;
    /*  The row stays current (and its columns valid) until the next find. */
    arrival->idx = (uint64_t) sqlite3_column_int64 (q, 0);
    arrival->has_sender_hash = sqlite3_column_type (q, 1) != SQLITE_NULL;
    arrival->header_hash = sqlite3_column_blob (q, 1);
    arrival->header_hash_len = (size_t) sqlite3_column_bytes (q, 1);
    arrival->sender = sqlite3_column_type (q, 2) == SQLITE_TEXT
                          ? (const char *) sqlite3_column_text (q, 2)
                          : NULL;
    return true;
}

bool
logfile_arrivals_beyond (logfile_arrivals_t *self, uint64_t size, int64_t *idx)
{
    if (!self->beyond)
        return false;
    sqlite3_reset (self->beyond);
    sqlite3_bind_int64 (self->beyond, 1, (sqlite3_int64) size);
    bool found = sqlite3_step (self->beyond) == SQLITE_ROW &&
                 sqlite3_column_type (self->beyond, 0) != SQLITE_NULL;
    if (found)
        *idx = sqlite3_column_int64 (self->beyond, 0);
    sqlite3_reset (self->beyond);
    return found;
}

int
logfile_event_parse (const char *name, Keten__LogEvent *event, kt_reason_t *reason)
{
    const ProtobufCEnumDescriptor *d = &keten__log_event__descriptor;
    for (unsigned i = 0; name && i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        if (v->value != KETEN__LOG_EVENT__LOG_EVENT_UNSPECIFIED &&
            strcasecmp (name, v->name) == 0) {
            *event = (Keten__LogEvent) v->value;
            return 0;
        }
    }
    /*  The name given is not echoed: it is the caller's text. */
    return kt_fail (reason, "unknown log event; `keten log show --help` lists the names");
}

size_t
logfile_event_names (char *buf, size_t len)
{
    const ProtobufCEnumDescriptor *d = &keten__log_event__descriptor;
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        if (v->value == KETEN__LOG_EVENT__LOG_EVENT_UNSPECIFIED)
            continue;
        int w = snprintf (buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", v->name);
        if (w > 0)
            n += (size_t) w;
    }
    return n;
}

const char *
logfile_event_name (Keten__LogEvent event)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&keten__log_event__descriptor, (int) event);
    return v ? v->name : "UNKNOWN";
}
