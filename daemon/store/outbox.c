/*  outbox: durable messages, in-memory retry schedule (a binary heap).  */
#include "outbox.h"

#include "merkle.h"
#include "store.h"

#include <czmq.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t id[KT_ID_LEN];
    uint64_t next_ms;
    uint32_t attempts;
    /*  Counted in outbox_t.inflight: handed to the transport and not
     *  settled, nor taken back (outbox_retry_soon, outbox_not_sent). */
    bool counted;
    bool settled; /* receipt committed: drop when popped */
    bool in_heap;
    /*  The sealed header for its first send, kept from its commit so that
     *  outbox_due need not read it back (issue #17); NULL: read it. */
    uint8_t *header;
    size_t header_len;
    /*  Its header's leaf hash as last sent (outbox_sent_leaf), which the
     *  uitvoerder's log entry of its arrival names. */
    bool have_leaf;
    uint8_t leaf[32];
} entry_t;

/*  At most this many bytes of headers kept in memory at once: a link
 *  that is down for long must not hold every queued message in memory
 *  too (1,000 signals in flight keep about 440 KB). */
#define OUTBOX_HEADERS_KEPT (1024 * 1024)

struct _outbox_t {
    sqlite3 *db;
    outbox_limits_t limits;
    zhashx_t *entries; /* hex id -> entry_t (owned) */
    entry_t **heap;    /* min-heap on next_ms; may hold settled entries */
    size_t heap_len, heap_cap;
    size_t inflight; /* sent at least once, not settled */
    size_t headers_kept; /* bytes */
    bool dirty;      /* some next_ms moved earlier: re-heapify */
    /*  The latest now_ms a due check was given (0: none yet): a later one
     *  below it means the wall clock stepped back (s_clock_seen). */
    uint64_t clock_ms;
    sqlite3_stmt *insert, *load_header, *any_header, *settle, *status;
    store_rows_t *rows;             /* outbox_add's, until outbox_flush */
    Keten__MessageType source_type; /* outbox_header_source */
    outbox_header_fn *source;
    void *source_arg;
};

static const char *const s_migrations[] = {
    "CREATE TABLE outbox (id BLOB PRIMARY KEY, type INTEGER NOT NULL, header BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0, settled_ms INTEGER,"
    " log_index INTEGER, reason TEXT, receipt BLOB);"
    "CREATE INDEX outbox_pending ON outbox (created_ms) WHERE state = 0;",
    /*  art. 13: the RETENTION_ORDERs answered before outbox_settle blanked
     *  them (18: KETEN__MESSAGE_TYPE__RETENTION_ORDER). */
    "UPDATE outbox SET header=x'' WHERE type=18 AND state<>0;",
    /*  RECEIPTS (docs/PROTOCOL.md, "Receipts"): the signed envelope kept
     *  once, each row it settled pointing at it instead of holding a copy
     *  in receipt. */
    ("CREATE TABLE outbox_receipts (id BLOB PRIMARY KEY, envelope BLOB NOT NULL);"
     "ALTER TABLE outbox ADD COLUMN receipts_id BLOB;"),
    /*  4: outbox_blank on a message still waiting for its receipt (a
     *  correction of it came first): its header goes with the receipt. */
    "ALTER TABLE outbox ADD COLUMN blank_settled INTEGER NOT NULL DEFAULT 0;",
    /*  5: a signal's sender's own CORRECTION_NOTICEs answered before
     *  outbox_settle blanked them (14: KETEN__MESSAGE_TYPE__CORRECTION_NOTICE). */
    "UPDATE outbox SET header=x'' WHERE type=14 AND state<>0;",
};

static void
s_entry_free (void **item_p)
{
    entry_t *e = *item_p;
    if (e)
        free (e->header);
    free (e);
    *item_p = NULL;
}

/*  e's kept header let go (before e goes, or once it is sent). */
static void
s_unkeep (outbox_t *self, entry_t *e)
{
    if (!e->header)
        return;
    free (e->header);
    self->headers_kept -= e->header_len;
    e->header = NULL;
}

static void
s_heap_swap (outbox_t *self, size_t a, size_t b)
{
    entry_t *t = self->heap[a];
    self->heap[a] = self->heap[b];
    self->heap[b] = t;
}

/*  Heap order: due first, and of those due at once the smaller id first,
 *  so that one group's messages leave in the order their (increasing)
 *  ids were made, and the uitvoerder finds each above the ones it has
 *  stored (kt_ordered_id). */
static bool
s_before (const entry_t *a, const entry_t *b)
{
    return a->next_ms < b->next_ms ||
           (a->next_ms == b->next_ms && memcmp (a->id, b->id, KT_ID_LEN) < 0);
}

static int
s_heap_push (outbox_t *self, entry_t *e)
{
    if (self->heap_len == self->heap_cap) {
        size_t cap = self->heap_cap ? self->heap_cap * 2 : 1024;
        entry_t **h = realloc (self->heap, cap * sizeof *h);
        if (!h)
            return -1;
        self->heap = h;
        self->heap_cap = cap;
    }
    size_t i = self->heap_len++;
    self->heap[i] = e;
    e->in_heap = true;
    while (i > 0 && s_before (self->heap[i], self->heap[(i - 1) / 2])) {
        s_heap_swap (self, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return 0;
}

static entry_t *
s_heap_pop (outbox_t *self)
{
    if (self->heap_len == 0)
        return NULL;
    entry_t *top = self->heap[0];
    self->heap[0] = self->heap[--self->heap_len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < self->heap_len && s_before (self->heap[l], self->heap[m]))
            m = l;
        if (r < self->heap_len && s_before (self->heap[r], self->heap[m]))
            m = r;
        if (m == i)
            break;
        s_heap_swap (self, i, m);
        i = m;
    }
    top->in_heap = false;
    return top;
}

/*  Drop settled entries from the top so the top is a live one. */
static void s_reheap (outbox_t *self);

static entry_t *
s_heap_top (outbox_t *self)
{
    if (self->dirty)
        s_reheap (self);
    while (self->heap_len > 0 && self->heap[0]->settled) {
        entry_t *e = s_heap_pop (self);
        s_unkeep (self, e);
        char key[KT_ID_HEX];
        zhashx_delete (self->entries, kt_hex (key, e->id, KT_ID_LEN));
    }
    return self->heap_len ? self->heap[0] : NULL;
}

static int
s_load_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    if (store_blob_is (q, 0, KT_ID_LEN))
        outbox_enqueue (arg, sqlite3_column_blob (q, 0), (uint64_t) sqlite3_column_int64 (q, 1));
    return 0;
}

outbox_t *
outbox_new (sqlite3 *db, const outbox_limits_t *limits, kt_reason_t *reason)
{
    outbox_t *self =
        store_module_new (sizeof *self, db, "outbox", STORE_MIGRATIONS (s_migrations), reason);
    if (!self)
        return NULL;
    self->db = db;
    self->limits = *limits;
    self->entries = zhashx_new ();
    zhashx_set_destructor (self->entries, s_entry_free);
    if (!(self->insert = store_prepare (
              db, "INSERT INTO outbox (id, type, header, created_ms) VALUES (?,?,?,?)", reason)) ||
        !(self->rows = store_rows_new (db, "INSERT INTO outbox (id, type, header, created_ms)", 4,
                                       reason)) ||
        !(self->load_header = store_prepare (
              db, "SELECT header, type FROM outbox WHERE id=? AND state=0", reason)) ||
        !(self->any_header =
              store_prepare (db, "SELECT header, type FROM outbox WHERE id=?", reason)) ||
        !(self->settle = store_prepare (db,
                                        "UPDATE outbox SET state=?, settled_ms=?, log_index=?,"
                                        " reason=?, receipt=?, receipts_id=?9,"
                                        " header=CASE WHEN type IN (?6, ?8, ?10) OR blank_settled"
                                        " THEN x'' ELSE header END"
                                        " WHERE id=?7 AND (state=0 OR (state=2 AND ?1=1))",
                                        reason)) ||
        !(self->status = store_prepare (db,
                                        "SELECT state, settled_ms, log_index, reason FROM"
                                        " outbox WHERE id=?",
                                        reason)) ||
        store_each (db, "SELECT id, created_ms FROM outbox WHERE state=0 ORDER BY created_ms", NULL,
                    NULL, s_load_row, self, "load the undelivered messages", reason) != 0) {
        outbox_destroy (&self);
        return NULL;
    }
    return self;
}

void
outbox_destroy (outbox_t **self_p)
{
    outbox_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    store_rows_destroy (&self->rows);
    sqlite3_finalize (self->load_header);
    sqlite3_finalize (self->any_header);
    sqlite3_finalize (self->settle);
    sqlite3_finalize (self->status);
    zhashx_destroy (&self->entries);
    free (self->heap);
    free (self);
    *self_p = NULL;
}

int
outbox_insert (outbox_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
               const uint8_t *header, size_t header_len, uint64_t now_ms, kt_reason_t *reason)
{
    return store_run_stmt (self->insert,
                           STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_INT (type),
                                         STORE_BLOB (header ? header : (const uint8_t *) "",
                                                     header ? header_len : 0),
                                         STORE_INT (now_ms)),
                           "queue the message", reason) < 0
               ? -1
               : 0;
}

int
outbox_add (outbox_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type, uint64_t now_ms,
            kt_reason_t *reason)
{
    return store_rows_add (self->rows,
                           STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_INT (type),
                                         STORE_BLOB ("", 0), STORE_INT (now_ms)),
                           reason);
}

int
outbox_flush (outbox_t *self, kt_reason_t *reason)
{
    return store_rows_flush (self->rows, "queue the messages", reason);
}

void
outbox_flush_drop (outbox_t *self)
{
    store_rows_clear (self->rows);
}

void
outbox_header_source (outbox_t *self, Keten__MessageType type, outbox_header_fn *fn, void *arg)
{
    self->source_type = type;
    self->source = fn;
    self->source_arg = arg;
}

int
outbox_enqueue (outbox_t *self, const uint8_t id[KT_ID_LEN], uint64_t created_ms)
{
    return outbox_enqueue_sealed (self, id, created_ms, NULL, 0);
}

int
outbox_enqueue_sealed (outbox_t *self, const uint8_t id[KT_ID_LEN], uint64_t created_ms,
                       uint8_t **header_p, size_t header_len)
{
    char key[KT_ID_HEX];
    kt_hex (key, id, KT_ID_LEN);
    entry_t *e = zhashx_lookup (self->entries, key) ? NULL : calloc (1, sizeof *e);
    if (e && header_p && *header_p && header_len <= OUTBOX_HEADERS_KEPT - self->headers_kept) {
        e->header = *header_p;
        e->header_len = header_len;
        *header_p = NULL;
        self->headers_kept += header_len;
    }
    if (header_p) {
        free (*header_p);
        *header_p = NULL;
    }
    if (!e)
        return zhashx_lookup (self->entries, key) ? 0 : -1;
    memcpy (e->id, id, KT_ID_LEN);
    e->next_ms = created_ms;
    zhashx_insert (self->entries, key, e);
    return s_heap_push (self, e);
}

static uint64_t
s_backoff_ms (const outbox_t *self, uint32_t attempts)
{
    uint64_t ms = self->limits.retry_min_ms;
    for (uint32_t i = 1; i < attempts && ms < self->limits.retry_max_ms; i++)
        ms *= 2;
    if (ms > self->limits.retry_max_ms)
        ms = self->limits.retry_max_ms;
    /*  +-25 % jitter so that many nodes do not retry in lock step. */
    return ms * 3 / 4 + randombytes_uniform ((uint32_t) (ms / 2 + 1));
}

/*  e's header from the header source: 0 with *header_p, -1 (logged) to
 *  try again later. */
static int
s_header_elsewhere (outbox_t *self, const entry_t *e, uint8_t **header_p, size_t *len_p)
{
    kt_reason_t reason = {""};
    if (self->source (self->source_arg, e->id, header_p, len_p, &reason) == 0)
        return 0;
    /*  Not read (a damaged file: the caller's record is gone): the message
     *  stays undelivered, and its age raises the alarm. */
    char key[KT_ID_HEX];
    kt_log (KT_LOG_ERROR, "outbox header_unreadable id=%s reason=\"%s\"",
            kt_hex (key, e->id, KT_ID_LEN), reason.text);
    return -1;
}

int
outbox_keep_header (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t *header,
                    size_t header_len, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE outbox SET header=? WHERE id=? AND state=0 AND length(header)=0",
                      STORE_VALUES (STORE_BLOB (header, header_len), STORE_BLOB (id, KT_ID_LEN)),
                      "keep the header to send", reason) < 0
               ? -1
               : 0;
}

/*  One more attempt of e; it counts in flight from its first. */
static void
s_count (outbox_t *self, entry_t *e)
{
    e->attempts++;
    if (!e->counted) {
        e->counted = true;
        self->inflight++;
    }
}

static void
s_uncount (outbox_t *self, entry_t *e)
{
    if (e->counted && self->inflight > 0)
        self->inflight--;
    e->counted = false;
}

/*  The most a retry is scheduled ahead of the clock: the longest backoff
 *  with its jitter (s_backoff_ms), or outbox_retry_soon's 50 ms. */
static uint64_t
s_retry_most_ms (const outbox_t *self)
{
    uint64_t ms = self->limits.retry_max_ms > self->limits.retry_min_ms ? self->limits.retry_max_ms
                                                                        : self->limits.retry_min_ms;
    uint64_t most = ms * 3 / 4 + ms / 2 + 1;
    return most > 50 ? most : 50;
}

/*  next_ms is a wall-clock date: one further ahead of now_ms than any
 *  retry is scheduled was set before the clock stepped back (or loaded
 *  from a created_ms dated before it), and is due now instead of the
 *  step later, as the relay's (relay_due).  Such dates can only appear
 *  when the clock goes below what an earlier due check was given, or
 *  before the first: only then are the entries looked through, so that
 *  a due check stays O(1). */
static void
s_clock_seen (outbox_t *self, uint64_t now_ms)
{
    if (self->clock_ms != 0 && now_ms >= self->clock_ms) {
        self->clock_ms = now_ms;
        return;
    }
    uint64_t most = now_ms + s_retry_most_ms (self);
    for (size_t i = 0; i < self->heap_len; i++)
        if (!self->heap[i]->settled && self->heap[i]->next_ms > most) {
            self->heap[i]->next_ms = now_ms;
            self->dirty = true;
        }
    self->clock_ms = now_ms ? now_ms : 1;
}

size_t
outbox_due (outbox_t *self, uint64_t now_ms, outbox_item_t *items, size_t max)
{
    size_t n = 0;
    entry_t *e;
    s_clock_seen (self, now_ms);
    while (n < max && (e = s_heap_top (self)) && e->next_ms <= now_ms) {
        /*  Only a message never handed over waits for the window: one
         *  taken back as not sent (outbox_not_sent) must not stop the
         *  retries behind it once the window is full. */
        if (!e->counted && e->attempts == 0 && self->inflight >= self->limits.max_inflight)
            break;
        s_heap_pop (self);
        if (e->header) {
            /*  Its first send, the header as committed: not read back. */
            items[n].header = e->header;
            items[n].header_len = e->header_len;
            memcpy (items[n].id, e->id, KT_ID_LEN);
            n++;
            e->header = NULL;
            self->headers_kept -= e->header_len;
            s_count (self, e);
            e->next_ms = now_ms + s_backoff_ms (self, e->attempts);
            s_heap_push (self, e);
            continue;
        }
        sqlite3_reset (self->load_header);
        sqlite3_bind_blob (self->load_header, 1, e->id, KT_ID_LEN, SQLITE_STATIC);
        int step = sqlite3_step (self->load_header);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            /*  A read error is not a receipt: keep the message, try later. */
            kt_log (KT_LOG_ERROR, "outbox read_failed rc=%d", step);
            sqlite3_reset (self->load_header);
            e->next_ms = now_ms + s_backoff_ms (self, e->attempts + 1);
            s_heap_push (self, e);
            break;
        }
        if (step == SQLITE_DONE) {
            /*  Settled by a receipt we already committed: nothing to send. */
            sqlite3_reset (self->load_header);
            char key[KT_ID_HEX];
            s_uncount (self, e);
            zhashx_delete (self->entries, kt_hex (key, e->id, KT_ID_LEN));
            continue;
        }
        size_t len = (size_t) sqlite3_column_bytes (self->load_header, 0);
        bool elsewhere = len == 0 && self->source &&
                         sqlite3_column_int (self->load_header, 1) == (int) self->source_type;
        uint8_t *header = elsewhere ? NULL : malloc (len ? len : 1);
        if (header && len)
            memcpy (header, sqlite3_column_blob (self->load_header, 0), len);
        sqlite3_reset (self->load_header);
        if (elsewhere && s_header_elsewhere (self, e, &header, &len) != 0) {
            /*  As a read error: keep the message, try later. */
            e->next_ms = now_ms + s_backoff_ms (self, e->attempts + 1);
            s_heap_push (self, e);
            break;
        }
        if (header) {
            items[n].header = header;
            items[n].header_len = len;
            memcpy (items[n].id, e->id, KT_ID_LEN);
            n++;
        }
        s_count (self, e);
        e->next_ms = now_ms + s_backoff_ms (self, e->attempts);
        s_heap_push (self, e);
    }
    return n;
}

static entry_t *
s_lookup (outbox_t *self, const uint8_t id[KT_ID_LEN])
{
    char key[KT_ID_HEX];
    return zhashx_lookup (self->entries, kt_hex (key, id, KT_ID_LEN));
}

void
outbox_sent_leaf (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t leaf[32])
{
    entry_t *e = s_lookup (self, id);
    if (!e)
        return;
    memcpy (e->leaf, leaf, 32);
    e->have_leaf = true;
}

int
outbox_leaf (outbox_t *self, const uint8_t id[KT_ID_LEN], uint8_t leaf[32])
{
    entry_t *e = s_lookup (self, id);
    if (e && e->have_leaf) {
        memcpy (leaf, e->leaf, 32);
        return 1;
    }
    /*  Sent before this start (the receipt came before its next send), or
     *  let go since (refused: an accepted receipt may still follow, and
     *  overrides the refusal): its header as stored, hashed, whatever
     *  the row's state. */
    sqlite3_reset (self->any_header);
    sqlite3_bind_blob (self->any_header, 1, id, KT_ID_LEN, SQLITE_STATIC);
    if (sqlite3_step (self->any_header) != SQLITE_ROW) {
        sqlite3_reset (self->any_header);
        return 0;
    }
    size_t len = (size_t) sqlite3_column_bytes (self->any_header, 0);
    bool elsewhere = len == 0 && self->source &&
                     sqlite3_column_int (self->any_header, 1) == (int) self->source_type;
    int found = 0;
    if (len) {
        merkle_leaf_hash (leaf, sqlite3_column_blob (self->any_header, 0), len);
        found = 1;
    }
    sqlite3_reset (self->any_header);
    uint8_t *header = NULL;
    entry_t probe;
    memcpy (probe.id, id, KT_ID_LEN);
    if (elsewhere && s_header_elsewhere (self, &probe, &header, &len) == 0) {
        merkle_leaf_hash (leaf, header, len);
        free (header);
        found = 1;
    }
    return found;
}

/*  Restore the heap property in O(n) after next_ms values moved earlier
 *  (send failures, link up): rare, and cheaper than one sift per entry. */
static void
s_reheap (outbox_t *self)
{
    for (size_t i = self->heap_len / 2 + 1; i-- > 0;) {
        size_t j = i;
        for (;;) {
            size_t l = 2 * j + 1, r = l + 1, m = j;
            if (l < self->heap_len && s_before (self->heap[l], self->heap[m]))
                m = l;
            if (r < self->heap_len && s_before (self->heap[r], self->heap[m]))
                m = r;
            if (m == j)
                break;
            s_heap_swap (self, j, m);
            j = m;
        }
    }
    self->dirty = false;
}

void
outbox_retry_soon (outbox_t *self, const uint8_t id[KT_ID_LEN], uint64_t now_ms)
{
    entry_t *e = s_lookup (self, id);
    if (e && !e->settled) {
        e->next_ms = now_ms + 50;
        self->dirty = true;
        if (e->attempts > 0 && --e->attempts == 0)
            s_uncount (self, e);
    }
}

void
outbox_not_sent (outbox_t *self, const uint8_t id[KT_ID_LEN])
{
    entry_t *e = s_lookup (self, id);
    if (e && !e->settled)
        s_uncount (self, e);
}

int64_t
outbox_next_due_in (outbox_t *self, uint64_t now_ms)
{
    s_clock_seen (self, now_ms);
    entry_t *e = s_heap_top (self);
    if (!e)
        return -1;
    return e->next_ms <= now_ms ? 0 : (int64_t) (e->next_ms - now_ms);
}

void
outbox_link_up (outbox_t *self, uint64_t now_ms)
{
    for (size_t i = 0; i < self->heap_len; i++)
        if (!self->heap[i]->settled && self->heap[i]->next_ms > now_ms)
            self->heap[i]->next_ms = now_ms;
    self->dirty = true;
}

static int
s_same_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(bool *) arg = sqlite3_column_int (q, 0) != 0;
    return 0;
}

int
outbox_receipts_other (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t *envelope,
                       size_t len, kt_reason_t *reason)
{
    bool same = true;
    int found = store_one (self->db, "SELECT envelope = ? FROM outbox_receipts WHERE id = ?",
                           STORE_VALUES (STORE_BLOB (envelope, len), STORE_BLOB (id, KT_ID_LEN)),
                           s_same_row, &same, "read the receipts kept", reason);
    return found < 0 ? -1 : found && !same ? 1 : 0;
}

int
outbox_keep_receipts (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t *envelope,
                      size_t len, kt_reason_t *reason)
{
    int added =
        store_run (self->db, "INSERT OR IGNORE INTO outbox_receipts (id, envelope) VALUES (?,?)",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_BLOB (envelope, len)),
                   "keep the receipts", reason);
    if (added != 0)
        return added < 0 ? -1 : 0;
    /*  Kept before under this id: the same envelope met again, or another
     *  one under an id the uitvoerder used before.  The rows settled now
     *  name the kept one as their proof, so it must be theirs: another
     *  envelope fails the settling (the rows stay pending and are offered
     *  again), and the journal says why. */
    int other = outbox_receipts_other (self, id, envelope, len, reason);
    if (other < 0)
        return -1;
    if (other) {
        char hex[KT_ID_HEX];
        return kt_fail (reason, "a different RECEIPTS message under the id %s kept before",
                        kt_hex (hex, id, KT_ID_LEN));
    }
    return 0;
}

int
outbox_settle (outbox_t *self, const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
               const char *refusal, const outbox_proof_t *proof, uint64_t now_ms,
               kt_reason_t *reason)
{
    /*  ?6, ?8, ?10: the types whose header goes with their receipt.  A
     *  RETENTION_ORDER's free-text reason (art. 13), a RIGHTS_DECISION's
     *  note or motivation (art. 11, 12), a sender's own CORRECTION_NOTICE
     *  (the new item, the reason: art. 12.5) is needed by no one here once
     *  it is answered (the uitvoerder keeps it, sealed under the
     *  subject's key), and it would outlive the subject, or a later
     *  deletion of the item: blanked in the receipt's commit, as
     *  outbox_blank does (the id, state and receipt stay). */
    int changed = store_run_stmt (
        self->settle,
        STORE_VALUES (
            STORE_INT (accepted ? OUTBOX_DELIVERED : OUTBOX_REFUSED), STORE_INT (now_ms),
            accepted ? STORE_INT (log_index) : STORE_NULL, STORE_TEXT (accepted ? NULL : refusal),
            proof->receipts_id ? STORE_NULL : STORE_BLOB (proof->envelope, proof->envelope_len),
            STORE_INT (KETEN__MESSAGE_TYPE__RETENTION_ORDER), STORE_BLOB (id, KT_ID_LEN),
            STORE_INT (KETEN__MESSAGE_TYPE__RIGHTS_DECISION),
            proof->receipts_id ? STORE_BLOB (proof->receipts_id, KT_ID_LEN) : STORE_NULL,
            STORE_INT (KETEN__MESSAGE_TYPE__CORRECTION_NOTICE)),
        "record the receipt", reason);
    return changed < 0 ? -1 : changed > 0 ? 1 : 0;
}

void
outbox_forget (outbox_t *self, const uint8_t id[KT_ID_LEN])
{
    entry_t *e = s_lookup (self, id);
    if (!e || e->settled)
        return;
    e->settled = true;
    s_unkeep (self, e);
    s_uncount (self, e);
    if (!e->in_heap) {
        char key[KT_ID_HEX];
        zhashx_delete (self->entries, kt_hex (key, id, KT_ID_LEN));
    }
}

bool
outbox_awaits_receipt (outbox_t *self, const uint8_t id[KT_ID_LEN])
{
    entry_t *e = s_lookup (self, id);
    return e && !e->settled;
}

size_t
outbox_pending (const outbox_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->heap_len; i++)
        n += !self->heap[i]->settled;
    return n;
}

int64_t
outbox_oldest_ms (outbox_t *self)
{
    return store_int (self->db, "SELECT coalesce(min(created_ms), 0) FROM outbox WHERE state=0", 0);
}

int64_t
outbox_count_state (outbox_t *self, int state)
{
    char sql[80];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM outbox WHERE state=%d", state);
    return store_int (self->db, sql, 0);
}

typedef struct {
    outbox_status_t *st;
    bool *found;
} status_t;

static int s_status_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason);

static int
s_found_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    status_t *s = arg;
    *s->found = true;
    return s_status_row (q, s->st, reason) < 0 ? -1 : 1;
}

static int
s_status_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    outbox_status_t *st = arg;
    st->state = sqlite3_column_int (q, 0);
    st->settled = sqlite3_column_type (q, 1) != SQLITE_NULL;
    st->settled_ms = (uint64_t) sqlite3_column_int64 (q, 1);
    st->logged = sqlite3_column_type (q, 2) != SQLITE_NULL;
    st->log_index = (uint64_t) sqlite3_column_int64 (q, 2);
    if (sqlite3_column_type (q, 3) != SQLITE_NULL && !(st->refusal = strdup (store_text (q, 3))))
        return kt_fail (reason, "out of memory");
    return 0;
}

int
outbox_status (outbox_t *self, const uint8_t id[KT_ID_LEN], outbox_status_t *st,
               kt_reason_t *reason)
{
    memset (st, 0, sizeof *st);
    bool found = false;
    status_t s = {st, &found};
    if (store_each_stmt (self->status, store_bind_values,
                         (void *) STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_found_row, &s,
                         "read the message's delivery", reason) != 0) {
        outbox_status_clear (st);
        return -1;
    }
    return found ? 1 : 0;
}

void
outbox_status_clear (outbox_status_t *st)
{
    free (st->refusal);
    st->refusal = NULL;
}

static int
s_receipt_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    outbox_receipt_t *r = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return 0;
    memcpy (r->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    r->settled_ms = (uint64_t) sqlite3_column_int64 (q, 1);
    r->log_index = (uint64_t) sqlite3_column_int64 (q, 2);
    r->found = true;
    return 0;
}

int
outbox_last_delivered (outbox_t *self, outbox_receipt_t *r, kt_reason_t *reason)
{
    memset (r, 0, sizeof *r);
    if (store_one (self->db,
                   "SELECT id, settled_ms, log_index FROM outbox WHERE state=?"
                   " ORDER BY settled_ms DESC LIMIT 1",
                   STORE_VALUES (STORE_INT (OUTBOX_DELIVERED)), s_receipt_row, r,
                   "read the last receipt", reason) < 0)
        return -1;
    return r->found ? 1 : 0;
}

static int
s_state_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int *) arg = sqlite3_column_int (q, 0);
    return 0;
}

int
outbox_blank (outbox_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    int state = -1;
    if (store_one (self->db, "SELECT state FROM outbox WHERE id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_state_row, &state,
                   "read the message's state", reason) < 0)
        return -1;
    if (state == OUTBOX_PENDING)
        /*  The pump still sends it: blanked by its receipt's commit. */
        return store_run (self->db, "UPDATE outbox SET blank_settled=1 WHERE id=?",
                          STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "blank the message later",
                          reason) < 0
                   ? -1
                   : 0;
    if (state < 0)
        return 1;
    return store_run (self->db, "UPDATE outbox SET header=x'' WHERE id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "blank the message", reason) < 0
               ? -1
               : 1;
}
