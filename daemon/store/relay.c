/*  relay: the uitvoerder's messages to members, until receipted.  */
#include "relay.h"

#include "store.h"

#include <stdlib.h>
#include <string.h>

#define RELAY_RETRY_MIN_MS 1000u
#define RELAY_RETRY_MAX_MS 60000u

struct _relay_t {
    sqlite3 *db;
    sqlite3_stmt *insert, *due, *bump, *settle, *pending, *pending_all;
};

static const char *const s_migrations[] = {
    /*  state: 0 pending, 1 accepted, 2 refused (as outbox.c).  next_ms is
     *  persisted (unlike the partner's in-memory schedule) because the
     *  uitvoerder's relay is small and is read per member heartbeat. */
    "CREATE TABLE relay (id BLOB PRIMARY KEY, recipient TEXT NOT NULL, type INTEGER NOT NULL,"
    " header BLOB NOT NULL, created_ms INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
    " tries INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL DEFAULT 0,"
    " settled_ms INTEGER, refusal TEXT);"
    "CREATE INDEX relay_pending ON relay (recipient, next_ms) WHERE state = 0;",
};

relay_t *
relay_new (sqlite3 *db, kt_reason_t *reason)
{
    relay_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    if (store_migrate (db, "relay", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason) != 0 ||
        !(self->insert = store_prepare (db,
                                        "INSERT INTO relay (id, recipient, type, header,"
                                        " created_ms) VALUES (?,?,?,?,?)",
                                        reason)) ||
        !(self->due = store_prepare (db,
                                     "SELECT id, header, tries FROM relay WHERE state=0 AND"
                                     " recipient=? AND next_ms<=? ORDER BY created_ms LIMIT ?",
                                     reason)) ||
        !(self->bump =
              store_prepare (db, "UPDATE relay SET tries=tries+1, next_ms=? WHERE id=?", reason)) ||
        !(self->settle = store_prepare (db,
                                        "UPDATE relay SET state=?, settled_ms=?, refusal=?"
                                        " WHERE id=? AND recipient=? AND state=0",
                                        reason)) ||
        !(self->pending = store_prepare (
              db, "SELECT count(*) FROM relay WHERE state=0 AND recipient=?", reason)) ||
        !(self->pending_all =
              store_prepare (db, "SELECT count(*) FROM relay WHERE state=0", reason))) {
        relay_destroy (&self);
        return NULL;
    }
    return self;
}

void
relay_destroy (relay_t **self_p)
{
    relay_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->due);
    sqlite3_finalize (self->bump);
    sqlite3_finalize (self->settle);
    sqlite3_finalize (self->pending);
    sqlite3_finalize (self->pending_all);
    free (self);
    *self_p = NULL;
}

int
relay_insert (relay_t *self, const uint8_t id[KT_ID_LEN], const char *recipient,
              Keten__MessageType type, const uint8_t *header, size_t header_len, uint64_t now_ms,
              kt_reason_t *reason)
{
    sqlite3_stmt *s = self->insert;
    sqlite3_reset (s);
    sqlite3_bind_blob (s, 1, id, KT_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int (s, 3, (int) type);
    sqlite3_bind_blob (s, 4, header, (int) header_len, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 5, (sqlite3_int64) now_ms);
    int rc = sqlite3_step (s) == SQLITE_DONE ? 0
                                             : kt_fail (reason, "cannot keep message for %s: %s",
                                                        recipient, sqlite3_errmsg (self->db));
    sqlite3_reset (s);
    return rc;
}

/*  Exponential backoff from 1 s to 60 s: a member that is heard from but
 *  does not answer (a bug, a full disk) is not flooded. */
static uint64_t
s_backoff_ms (int64_t tries)
{
    uint64_t ms = RELAY_RETRY_MIN_MS;
    for (int64_t i = 0; i < tries && ms < RELAY_RETRY_MAX_MS; i++)
        ms *= 2;
    return ms < RELAY_RETRY_MAX_MS ? ms : RELAY_RETRY_MAX_MS;
}

size_t
relay_due (relay_t *self, const char *recipient, uint64_t now_ms, relay_item_t *items, size_t max)
{
    sqlite3_stmt *q = self->due;
    sqlite3_reset (q);
    sqlite3_bind_text (q, 1, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (q, 2, (sqlite3_int64) now_ms);
    sqlite3_bind_int64 (q, 3, (sqlite3_int64) max);
    size_t n = 0;
    int64_t *tries = calloc (max ? max : 1, sizeof *tries);
    if (!tries)
        return 0;
    while (n < max && sqlite3_step (q) == SQLITE_ROW) {
        int len = sqlite3_column_bytes (q, 1);
        if (sqlite3_column_bytes (q, 0) != KT_ID_LEN || len <= 0)
            continue;
        items[n].header = malloc ((size_t) len);
        if (!items[n].header)
            break;
        memcpy (items[n].id, sqlite3_column_blob (q, 0), KT_ID_LEN);
        memcpy (items[n].header, sqlite3_column_blob (q, 1), (size_t) len);
        items[n].header_len = (size_t) len;
        tries[n] = sqlite3_column_int64 (q, 2);
        n++;
    }
    sqlite3_reset (q);
    /*  Not in a transaction of its own: a lost schedule update only makes
     *  a retry come early. */
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *u = self->bump;
        sqlite3_reset (u);
        sqlite3_bind_int64 (u, 1, (sqlite3_int64) (now_ms + s_backoff_ms (tries[i])));
        sqlite3_bind_blob (u, 2, items[i].id, KT_ID_LEN, SQLITE_STATIC);
        if (sqlite3_step (u) != SQLITE_DONE)
            kt_log (KT_LOG_WARN, "relay schedule_failed error=\"%s\"", sqlite3_errmsg (self->db));
        sqlite3_reset (u);
    }
    free (tries);
    return n;
}

int
relay_settle (relay_t *self, const uint8_t id[KT_ID_LEN], const char *sender, bool accepted,
              const char *refusal, uint64_t now_ms, kt_reason_t *reason)
{
    sqlite3_stmt *s = self->settle;
    sqlite3_reset (s);
    sqlite3_bind_int (s, 1, accepted ? 1 : 2);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) now_ms);
    if (accepted)
        sqlite3_bind_null (s, 3);
    else
        sqlite3_bind_text (s, 3, refusal ? refusal : "", -1, SQLITE_STATIC);
    sqlite3_bind_blob (s, 4, id, KT_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text (s, 5, sender, -1, SQLITE_STATIC);
    int rc = sqlite3_step (s);
    sqlite3_reset (s);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot settle message: %s", sqlite3_errmsg (self->db));
    return sqlite3_changes (self->db) > 0 ? 1 : 0;
}

int64_t
relay_rewrite (relay_t *self, const char *recipient, relay_rewrite_fn *fn,
               relay_commit_fn *before_commit, void *arg, kt_reason_t *reason)
{
    sqlite3_stmt *q = store_prepare (self->db,
                                     "SELECT id, type, header FROM relay"
                                     " WHERE state=0 AND recipient=?",
                                     reason);
    sqlite3_stmt *u = store_prepare (self->db,
                                     "UPDATE relay SET header=? WHERE id=? AND state=0", reason);
    if (!q || !u || store_begin (self->db, reason) != 0) {
        sqlite3_finalize (q);
        sqlite3_finalize (u);
        return -1;
    }
    /*  Read all first: a row updated while the SELECT walks the table may
     *  come up again (sqlite.org/isolation.html). */
    typedef struct {
        uint8_t id[KT_ID_LEN];
        Keten__MessageType type;
        uint8_t *header;
        size_t header_len;
    } row_t;
    row_t *rows = NULL;
    size_t n = 0, cap = 0;
    int64_t replaced = 0;
    int step;
    sqlite3_bind_text (q, 1, recipient, -1, SQLITE_STATIC);
    while ((step = sqlite3_step (q)) == SQLITE_ROW) {
        int len = sqlite3_column_bytes (q, 2);
        if (sqlite3_column_bytes (q, 0) != KT_ID_LEN || len <= 0)
            continue;
        if (n == cap) {
            row_t *grown = realloc (rows, (cap = cap ? 2 * cap : 16) * sizeof *rows);
            if (!grown)
                break;
            rows = grown;
        }
        row_t *r = &rows[n];
        if (!(r->header = malloc ((size_t) len)))
            break;
        memcpy (r->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
        r->type = (Keten__MessageType) sqlite3_column_int (q, 1);
        memcpy (r->header, sqlite3_column_blob (q, 2), (size_t) len);
        r->header_len = (size_t) len;
        n++;
    }
    if (step != SQLITE_DONE)
        replaced = kt_fail (reason, "cannot read the relay: %s",
                            step == SQLITE_ROW ? "out of memory" : sqlite3_errmsg (self->db));
    for (size_t i = 0; replaced >= 0 && i < n; i++) {
        int rc = fn (arg, rows[i].id, rows[i].type, &rows[i].header, &rows[i].header_len, reason);
        if (rc < 0)
            replaced = -1;
        else if (rc == 1) {
            sqlite3_reset (u);
            sqlite3_bind_blob (u, 1, rows[i].header, (int) rows[i].header_len, SQLITE_STATIC);
            sqlite3_bind_blob (u, 2, rows[i].id, KT_ID_LEN, SQLITE_STATIC);
            replaced = sqlite3_step (u) == SQLITE_DONE
                           ? replaced + 1
                           : kt_fail (reason, "cannot keep the message again: %s",
                                      sqlite3_errmsg (self->db));
        }
    }
    sqlite3_finalize (q);
    sqlite3_finalize (u); /* before the bound buffers go */
    for (size_t i = 0; i < n; i++)
        free (rows[i].header);
    free (rows);
    if (replaced >= 0 && before_commit && before_commit (arg, replaced, reason) != 0)
        replaced = -1;
    if (replaced >= 0 && store_commit (self->db, reason) != 0)
        replaced = -1;
    if (replaced < 0)
        store_rollback (self->db);
    return replaced;
}

int64_t
relay_pending (relay_t *self, const char *recipient)
{
    sqlite3_stmt *q = recipient ? self->pending : self->pending_all;
    sqlite3_reset (q);
    if (recipient)
        sqlite3_bind_text (q, 1, recipient, -1, SQLITE_STATIC);
    int64_t n = sqlite3_step (q) == SQLITE_ROW ? sqlite3_column_int64 (q, 0) : -1;
    sqlite3_reset (q);
    return n;
}
