/*  relay: the uitvoerder's messages to members, until receipted.  */
#include "relay.h"

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELAY_RETRY_MIN_MS 1000u
#define RELAY_RETRY_MAX_MS 60000u

struct _relay_t {
    sqlite3 *db;
    sqlite3_stmt *insert, *due, *bump, *settle, *pending, *pending_all, *waiting;
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
    /*  2: each provenance log entry of a kept message exactly once
     *  (docs/ARCHITECTURE.md, Crash reasoning 12).  state 3: kept, its
     *  MESSAGE_SENT not yet logged, so not offered yet; log_owed: settled,
     *  its MESSAGE_DELIVERED not yet logged.  origin names what the copy
     *  belongs to (a meeting version, a decision), so that a resumed send
     *  finds the copies it kept before instead of sealing new ones;
     *  case_refs and os_user are what its MESSAGE_SENT entry says. */
    "ALTER TABLE relay ADD COLUMN origin TEXT;"
    "ALTER TABLE relay ADD COLUMN case_refs TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE relay ADD COLUMN os_user TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE relay ADD COLUMN log_owed INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX relay_origin ON relay (origin) WHERE origin IS NOT NULL;"
    "CREATE INDEX relay_owed ON relay (created_ms) WHERE state = 3 OR log_owed = 1;",
    /*  3: the subjects destroyed (art. 13), so that a copy about one that
     *  was still on its way when it was destroyed loses its sealed bytes
     *  once it is settled and logged (relay_owed_paid). */
    "CREATE TABLE relay_forget (case_ref TEXT PRIMARY KEY) WITHOUT ROWID;",
    /*  4: a member's answers to one type in the order they came, so the
     *  status finds its last answer to a roster push (relay_last_answer)
     *  without reading the whole relay. */
    "CREATE INDEX relay_answered ON relay (recipient, type, settled_ms) WHERE state IN (1, 2);",
    /*  5: state 4, expired: not receipted within delivery/max-age-s, the
     *  age past which the member refuses it unread (relay_expire). */
    "CREATE INDEX relay_expired ON relay (recipient, settled_ms) WHERE state = 4;",
    /*  6: the recipient as the copy was composed for it (its kind, a
     *  gemeente's municipality): a copy made for a kind the member no
     *  longer has is withdrawn, not delivered (docs/ROSTER.md, "A
     *  member's kind changes").  '' for a copy kept before: judged by
     *  the member's role only. */
    "ALTER TABLE relay ADD COLUMN made_for TEXT NOT NULL DEFAULT '';",
    /*  7: when the member's receipt for a copy withdrawn after it was
     *  offered came all the same (relay_taken_late): the node took it,
     *  so it holds what the copy carries, and a correction decided later
     *  must reach it (relay_each_case_holder, relay_holds).  NULL: no
     *  such receipt. */
    "ALTER TABLE relay ADD COLUMN taken_ms INTEGER;",
    /*  8: the copies still waiting for each member (pending or held), by
     *  age, so that the status counts them and finds the oldest from this
     *  index alone (relay_waiting), not from the whole relay per render:
     *  state is in it too, or SQLite reads each row to test it. */
    "CREATE INDEX relay_waiting ON relay (recipient, created_ms, state) WHERE state IN (0, 3);",
};

relay_t *
relay_new (sqlite3 *db, kt_reason_t *reason)
{
    relay_t *self =
        store_module_new (sizeof *self, db, "relay", STORE_MIGRATIONS (s_migrations), reason);
    if (!self)
        return NULL;
    self->db = db;
    if (!(self->insert = store_prepare (db,
                                        "INSERT INTO relay (id, recipient, type, header,"
                                        " created_ms, state, origin, case_refs, os_user,"
                                        " made_for) VALUES (?,?,?,?,?,3,?,?,?,?)",
                                        reason)) ||
        /*  Due, or retried further ahead than any backoff schedules:
         *  the wall clock stepped back since (relay_due). */
        !(self->due = store_prepare (db,
                                     "SELECT id, header, tries, type, made_for FROM relay"
                                     " WHERE state=0 AND recipient=? AND (next_ms<=? OR next_ms>?)"
                                     " ORDER BY created_ms, rowid LIMIT ?",
                                     reason)) ||
        !(self->bump =
              store_prepare (db, "UPDATE relay SET tries=tries+1, next_ms=? WHERE id=?", reason)) ||
        !(self->settle = store_prepare (db,
                                        "UPDATE relay SET state=?, settled_ms=?, refusal=?,"
                                        " log_owed=1 WHERE id=? AND recipient=? AND (state=0 OR"
                                        " (state=4 AND NOT " RELAY_IS_WITHDRAWN "))",
                                        reason)) ||
        !(self->pending = store_prepare (
              db, "SELECT count(*) FROM relay WHERE state IN (0,3) AND recipient=?", reason)) ||
        !(self->pending_all =
              store_prepare (db, "SELECT count(*) FROM relay WHERE state IN (0,3)", reason)) ||
        !(self->waiting = store_prepare (db,
                                         "SELECT count(*), coalesce(min(created_ms), 0), 0"
                                         " FROM relay WHERE state IN (0, 3) AND recipient=?",
                                         reason))) {
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
    sqlite3_finalize (self->waiting);
    free (self);
    *self_p = NULL;
}

int
relay_insert (relay_t *self, const uint8_t id[KT_ID_LEN], const char *recipient,
              Keten__MessageType type, const uint8_t *header, size_t header_len, uint64_t now_ms,
              const char *origin, const char *case_refs, const char *os_user, const char *made_for,
              kt_reason_t *reason)
{
    return store_run_stmt (self->insert,
                           STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (recipient),
                                         STORE_INT (type), STORE_BLOB (header, header_len),
                                         STORE_INT (now_ms), STORE_TEXT (origin),
                                         STORE_TEXT (case_refs ? case_refs : ""),
                                         STORE_TEXT (os_user ? os_user : ""),
                                         STORE_TEXT (made_for ? made_for : "")),
                           "keep the message for its recipient", reason) < 0
               ? -1
               : 0;
}

/*  A copy without made_for, read out for relay_fill_made_for. */
typedef struct {
    uint8_t id[KT_ID_LEN];
    char recipient[65];
    Keten__MessageType type;
    uint64_t created_ms;
} unnoted_t;

typedef struct {
    unnoted_t *rows;
    size_t n, cap;
} unnoting_t;

static int
s_unnoted_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    unnoting_t *u = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return 0;
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        unnoted_t *grown = realloc (u->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "cannot read the relay: out of memory");
        u->rows = grown;
        u->cap = cap;
    }
    unnoted_t *r = &u->rows[u->n++];
    memcpy (r->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    snprintf (r->recipient, sizeof r->recipient, "%s", store_text (q, 1));
    r->type = (Keten__MessageType) sqlite3_column_int (q, 2);
    r->created_ms = (uint64_t) sqlite3_column_int64 (q, 3);
    return 0;
}

int64_t
relay_fill_made_for (relay_t *self, relay_fill_fn *fn, void *arg, kt_reason_t *reason)
{
    /*  Read all first (one scan: no index serves made_for, and this runs
     *  once), as relay_rewrite does, then each by its id. */
    unnoting_t u = {NULL, 0, 0};
    int64_t noted =
        store_each (self->db,
                    "SELECT id, recipient, type, created_ms FROM relay"
                    " WHERE made_for='' AND state IN (0,3)",
                    NULL, NULL, s_unnoted_row, &u, "read the copies kept before made_for", reason);
    for (size_t i = 0; noted >= 0 && i < u.n; i++) {
        char buf[RELAY_MADE_FOR_MAX + 1];
        const char *made_for =
            fn (arg, u.rows[i].recipient, u.rows[i].type, u.rows[i].created_ms, buf, sizeof buf);
        if (!made_for)
            continue;
        int64_t n =
            store_run (self->db, "UPDATE relay SET made_for=? WHERE id=? AND made_for=''",
                       STORE_VALUES (STORE_TEXT (made_for), STORE_BLOB (u.rows[i].id, KT_ID_LEN)),
                       "note whom a copy kept before was composed for", reason);
        noted = n < 0 ? -1 : noted + n;
    }
    free (u.rows);
    return noted;
}

int64_t
relay_note_former (relay_t *self, const char *recipient, Keten__MessageType type,
                   kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE relay SET made_for=? WHERE recipient=? AND type=? AND state IN (0,3)"
                      " AND made_for<>?",
                      STORE_VALUES (STORE_TEXT (RELAY_MADE_FOR_FORMER), STORE_TEXT (recipient),
                                    STORE_INT (type), STORE_TEXT (RELAY_MADE_FOR_FORMER)),
                      "note a copy as composed for a former kind", reason);
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

typedef struct {
    relay_item_t *items;
    int64_t *tries;
    size_t max, n;
} due_t;

static int
s_due_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    due_t *due = arg;
    int len = sqlite3_column_bytes (q, 1);
    if (!store_blob_is (q, 0, KT_ID_LEN) || len <= 0)
        return 0;
    relay_item_t *item = &due->items[due->n];
    if (!(item->header = malloc ((size_t) len)))
        return kt_fail (reason, "out of memory");
    memcpy (item->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    memcpy (item->header, sqlite3_column_blob (q, 1), (size_t) len);
    item->header_len = (size_t) len;
    item->type = (Keten__MessageType) sqlite3_column_int (q, 3);
    snprintf (item->made_for, sizeof item->made_for, "%s", store_text (q, 4));
    due->tries[due->n++] = sqlite3_column_int64 (q, 2);
    return due->n < due->max ? 0 : 1;
}

int
relay_has (relay_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM relay WHERE id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), NULL, NULL,
                      "look up a kept message", reason);
}

static int
s_state_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int *) arg = sqlite3_column_int (q, 0);
    return 0;
}

int
relay_state (relay_t *self, const uint8_t id[KT_ID_LEN], int *state_p, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT state FROM relay WHERE id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_state_row, state_p,
                      "look up a kept message's state", reason);
}

size_t
relay_due (relay_t *self, const char *recipient, uint64_t now_ms, relay_item_t *items, size_t max)
{
    due_t due = {items, calloc (max ? max : 1, sizeof *due.tries), max, 0};
    if (!due.tries)
        return 0;
    kt_reason_t reason;
    /*  A read that fails part way hands over what was read: those are due
     *  as much as before, and the rest comes with the next round. */
    /*  next_ms is a wall-clock date (it outlasts a restart): one more
     *  than RELAY_RETRY_MAX_MS ahead was scheduled before the clock
     *  stepped back, and is due now rather than the step later. */
    if (store_each_stmt (self->due, store_bind_values,
                         (void *) STORE_VALUES (STORE_TEXT (recipient), STORE_INT (now_ms),
                                                STORE_INT (now_ms + RELAY_RETRY_MAX_MS),
                                                STORE_INT (max)),
                         s_due_row, &due, "read the messages due", &reason) != 0)
        kt_log (KT_LOG_WARN, "relay read_failed reason=\"%s\"", reason.text);
    /*  Not in a transaction of its own: a lost schedule update only makes
     *  a retry come early. */
    for (size_t i = 0; i < due.n; i++)
        if (store_run_stmt (self->bump,
                            STORE_VALUES (STORE_INT (now_ms + s_backoff_ms (due.tries[i])),
                                          STORE_BLOB (items[i].id, KT_ID_LEN)),
                            "schedule the retry", &reason) < 0)
            kt_log (KT_LOG_WARN, "relay schedule_failed reason=\"%s\"", reason.text);
    free (due.tries);
    return due.n;
}

int64_t
relay_expire (relay_t *self, const char *recipient, uint64_t before_ms, uint64_t now_ms,
              kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE relay SET state=4, settled_ms=?, log_owed=1, refusal="
                      "'expired: not receipted within delivery/max-age-s'"
                      " WHERE state=0 AND recipient=? AND created_ms<?",
                      STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (recipient),
                                    STORE_INT (before_ms)),
                      "expire the member's old messages", reason);
}

bool
relay_is_withdrawn (const char *refusal)
{
    return refusal &&
           strncmp (refusal, RELAY_WITHDRAWN_PREFIX, sizeof RELAY_WITHDRAWN_PREFIX - 1) == 0;
}

int64_t
relay_withdraw (relay_t *self, const char *recipient, uint64_t now_ms, kt_reason_t *reason)
{
    return store_run (
        self->db,
        "UPDATE relay SET state=4, settled_ms=?, log_owed=1, refusal=?"
        " WHERE state=0 AND recipient=?",
        STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (RELAY_WITHDRAWN), STORE_TEXT (recipient)),
        "withdraw the messages of a member that left", reason);
}

int
relay_withdraw_one (relay_t *self, const uint8_t id[KT_ID_LEN], const char *why, uint64_t now_ms,
                    kt_reason_t *reason)
{
    int64_t n =
        store_run (self->db,
                   "UPDATE relay SET state=4, settled_ms=?, log_owed=1, refusal=?"
                   " WHERE state=0 AND id=?",
                   STORE_VALUES (STORE_INT (now_ms), STORE_TEXT (why), STORE_BLOB (id, KT_ID_LEN)),
                   "withdraw a message", reason);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/*  A pending message's id, type and made_for, read out for
 *  relay_withdraw_if. */
typedef struct {
    uint8_t id[KT_ID_LEN];
    Keten__MessageType type;
    char made_for[RELAY_MADE_FOR_MAX + 1];
} judged_t;

typedef struct {
    judged_t *rows;
    size_t n, cap;
} judging_t;

static int
s_judged_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    judging_t *j = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return 0;
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 16;
        judged_t *grown = realloc (j->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "cannot read the relay: out of memory");
        j->rows = grown;
        j->cap = cap;
    }
    judged_t *r = &j->rows[j->n++];
    memcpy (r->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    r->type = (Keten__MessageType) sqlite3_column_int (q, 1);
    snprintf (r->made_for, sizeof r->made_for, "%s", store_text (q, 2));
    return 0;
}

int64_t
relay_withdraw_if (relay_t *self, const char *recipient, relay_judge_fn *fn, void *arg,
                   uint64_t now_ms, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    /*  Read all first, as relay_rewrite does. */
    judging_t j = {NULL, 0, 0};
    int64_t withdrawn =
        store_each (self->db, "SELECT id, type, made_for FROM relay WHERE state=0 AND recipient=?",
                    store_bind_values, (void *) STORE_VALUES (STORE_TEXT (recipient)), s_judged_row,
                    &j, "read the member's pending messages", reason);
    for (size_t i = 0; withdrawn >= 0 && i < j.n; i++) {
        const char *why = fn (arg, j.rows[i].type, j.rows[i].made_for);
        if (!why)
            continue;
        int rc = relay_withdraw_one (self, j.rows[i].id, why, now_ms, reason);
        withdrawn = rc < 0 ? -1 : withdrawn + rc;
    }
    free (j.rows);
    if (withdrawn >= 0 && store_commit (self->db, reason) != 0)
        withdrawn = -1;
    if (withdrawn < 0)
        store_rollback (self->db);
    return withdrawn;
}

/*  The first three columns of a row, as integers. */
static int
s_three_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    int64_t *out = arg;
    for (int i = 0; i < 3; i++)
        out[i] = sqlite3_column_int64 (q, i);
    return 0;
}

int64_t
relay_expired (relay_t *self, const char *recipient, uint64_t since_ms, uint64_t *last_ms,
               int64_t *since_p, kt_reason_t *reason)
{
    int64_t out[3] = {0, 0, 0};
    if (store_one (self->db,
                   "SELECT count(*), coalesce(max(settled_ms), 0),"
                   " coalesce(sum(settled_ms >= ?2), 0) FROM relay"
                   " WHERE state=4 AND recipient=?1 AND NOT " RELAY_IS_WITHDRAWN,
                   STORE_VALUES (STORE_TEXT (recipient), STORE_INT (since_ms)), s_three_row, out,
                   "count the expired messages", reason) < 0)
        return -1;
    if (last_ms)
        *last_ms = (uint64_t) out[1];
    if (since_p)
        *since_p = out[2];
    return out[0];
}

int
relay_waiting (relay_t *self, const char *recipient, int64_t *count_p, uint64_t *oldest_ms_p,
               kt_reason_t *reason)
{
    int64_t out[3] = {0, 0, 0};
    if (store_each_stmt (self->waiting, store_bind_values,
                         (void *) STORE_VALUES (STORE_TEXT (recipient)), s_three_row, out,
                         "count the copies waiting", reason) != 0)
        return -1;
    *count_p = out[0];
    *oldest_ms_p = (uint64_t) out[1];
    return 0;
}

int
relay_settle (relay_t *self, const uint8_t id[KT_ID_LEN], const char *sender, bool accepted,
              const char *refusal, uint64_t now_ms, kt_reason_t *reason)
{
    int changed = store_run_stmt (self->settle,
                                  STORE_VALUES (STORE_INT (accepted ? 1 : 2), STORE_INT (now_ms),
                                                STORE_TEXT (accepted  ? NULL
                                                            : refusal ? refusal
                                                                      : ""),
                                                STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (sender)),
                                  "settle the message", reason);
    return changed < 0 ? -1 : changed > 0 ? 1 : 0;
}

int
relay_taken_late (relay_t *self, const uint8_t id[KT_ID_LEN], const char *sender, uint64_t now_ms,
                  kt_reason_t *reason)
{
    int64_t n = store_run (
        self->db,
        "UPDATE relay SET taken_ms=? WHERE id=? AND recipient=? AND state=4"
        " AND " RELAY_IS_WITHDRAWN " AND taken_ms IS NULL",
        STORE_VALUES (STORE_INT (now_ms), STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (sender)),
        "note a withdrawn copy the member took", reason);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

static int
s_holds_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(bool *) arg = sqlite3_column_int (q, 0) != 0;
    return 0;
}

int
relay_holds (relay_t *self, const uint8_t id[KT_ID_LEN], bool *holds_p, kt_reason_t *reason)
{
    return store_one (self->db,
                      "SELECT state IN (0,1,3) OR taken_ms IS NOT NULL FROM relay WHERE id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_holds_row, holds_p,
                      "look up whether a copy reached its member", reason);
}

/*  A kept message, read out for relay_rewrite. */
typedef struct {
    uint8_t id[KT_ID_LEN];
    Keten__MessageType type;
    uint8_t *header;
    size_t header_len;
} kept_t;

typedef struct {
    kept_t *rows;
    size_t n, cap;
} reading_t;

static int
s_kept_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    reading_t *r = arg;
    int len = sqlite3_column_bytes (q, 2);
    if (!store_blob_is (q, 0, KT_ID_LEN) || len <= 0)
        return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        kept_t *grown = realloc (r->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "cannot read the relay: out of memory");
        r->rows = grown;
        r->cap = cap;
    }
    kept_t *k = &r->rows[r->n];
    if (!(k->header = malloc ((size_t) len)))
        return kt_fail (reason, "cannot read the relay: out of memory");
    memcpy (k->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    k->type = (Keten__MessageType) sqlite3_column_int (q, 1);
    memcpy (k->header, sqlite3_column_blob (q, 2), (size_t) len);
    k->header_len = (size_t) len;
    r->n++;
    return 0;
}

int64_t
relay_rewrite (relay_t *self, const char *recipient, relay_rewrite_fn *fn,
               relay_commit_fn *before_commit, void *arg, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    /*  Read all first: a row updated while the SELECT walks the table may
     *  come up again (sqlite.org/isolation.html). */
    reading_t r = {NULL, 0, 0};
    int64_t replaced =
        store_each (self->db,
                    "SELECT id, type, header FROM relay WHERE state IN (0,3)"
                    " AND recipient=?",
                    store_bind_values, (void *) STORE_VALUES (STORE_TEXT (recipient)), s_kept_row,
                    &r, "read the relay", reason);
    for (size_t i = 0; replaced >= 0 && i < r.n; i++) {
        kept_t *k = &r.rows[i];
        int rc = fn (arg, k->id, k->type, &k->header, &k->header_len, reason);
        if (rc < 0)
            replaced = -1;
        else if (rc == 1)
            replaced =
                store_run (self->db, "UPDATE relay SET header=? WHERE id=? AND state IN (0,3)",
                           STORE_VALUES (STORE_BLOB (k->header, k->header_len),
                                         STORE_BLOB (k->id, KT_ID_LEN)),
                           "keep the message again", reason) < 0
                    ? -1
                    : replaced + 1;
    }
    for (size_t i = 0; i < r.n; i++)
        free (r.rows[i].header);
    free (r.rows);
    if (replaced >= 0 && before_commit && before_commit (arg, replaced, reason) != 0)
        replaced = -1;
    if (replaced >= 0 && store_commit (self->db, reason) != 0)
        replaced = -1;
    if (replaced < 0)
        store_rollback (self->db);
    return replaced;
}

static int
s_found_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) q;
    (void) arg;
    (void) reason;
    return 0;
}

int
relay_has_origin (relay_t *self, const char *origin, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT 1 FROM relay WHERE origin=? LIMIT 1",
                      STORE_VALUES (STORE_TEXT (origin)), s_found_row, NULL,
                      "look for the copies kept", reason);
}

int
relay_has_origin_kept (relay_t *self, const char *origin, kt_reason_t *reason)
{
    return store_one (self->db,
                      "SELECT 1 FROM relay WHERE origin=? AND state<>2"
                      " AND NOT (state=4 AND coalesce (" RELAY_IS_WITHDRAWN ", 0)) LIMIT 1",
                      STORE_VALUES (STORE_TEXT (origin)), s_found_row, NULL,
                      "look for the copies kept", reason);
}

typedef struct {
    relay_owed_t *rows;
    size_t n, cap;
} owed_list_t;

static int
s_owed_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    owed_list_t *l = arg;
    int len = sqlite3_column_bytes (q, 3);
    if (!store_blob_is (q, 0, KT_ID_LEN) || len <= 0)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        relay_owed_t *grown = realloc (l->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "cannot read the relay: out of memory");
        l->rows = grown;
        l->cap = cap;
    }
    relay_owed_t *o = &l->rows[l->n];
    memset (o, 0, sizeof *o);
    memcpy (o->id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    o->type = (Keten__MessageType) sqlite3_column_int (q, 2);
    o->sent = sqlite3_column_int (q, 4) == 3;
    o->refused = sqlite3_column_int (q, 4) == 2;
    o->expired = sqlite3_column_int (q, 4) == 4;
    o->withdrawn = o->expired && relay_is_withdrawn (store_text (q, 9));
    o->created_ms = (uint64_t) sqlite3_column_int64 (q, 5);
    o->settled_ms = (uint64_t) sqlite3_column_int64 (q, 6);
    if (!(o->recipient = strdup (store_text (q, 1))) || !(o->header = malloc ((size_t) len)) ||
        !(o->case_refs = strdup (store_text (q, 7))) ||
        !(o->os_user = strdup (store_text (q, 8))) || !(o->refusal = strdup (store_text (q, 9)))) {
        l->n++; /* freed with the rest */
        return kt_fail (reason, "cannot read the relay: out of memory");
    }
    memcpy (o->header, sqlite3_column_blob (q, 3), (size_t) len);
    o->header_len = (size_t) len;
    l->n++;
    return 0;
}

typedef struct {
    int state;
    uint64_t settled_ms;
} s_answer_t;

static int
s_answer_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    s_answer_t *a = arg;
    a->state = sqlite3_column_int (q, 0);
    a->settled_ms = (uint64_t) sqlite3_column_int64 (q, 1);
    return 0;
}

int
relay_last_answer (relay_t *self, const char *recipient, Keten__MessageType type,
                   uint64_t *settled_ms, kt_reason_t *reason)
{
    s_answer_t a = {0, 0};
    int rc = store_one (self->db,
                        "SELECT state, coalesce(settled_ms, 0) FROM relay WHERE recipient=? AND"
                        " type=? AND state IN (1, 2) ORDER BY settled_ms DESC, rowid DESC LIMIT 1",
                        STORE_VALUES (STORE_TEXT (recipient), STORE_INT (type)), s_answer_row, &a,
                        "read the member's last answer", reason);
    if (rc < 0)
        return -1;
    if (settled_ms)
        *settled_ms = a.settled_ms;
    return rc == 0 ? 0 : a.state;
}

int
relay_owed (relay_t *self, relay_owed_t **rows_p, size_t *n_p, kt_reason_t *reason)
{
    owed_list_t l = {NULL, 0, 0};
    int rc = store_each (self->db,
                         "SELECT id, recipient, type, header, state, created_ms,"
                         " coalesce(settled_ms, 0), case_refs, os_user, refusal FROM relay"
                         " WHERE state = 3 OR log_owed = 1 ORDER BY created_ms",
                         NULL, NULL, s_owed_row, &l, "read the log entries owed", reason);
    if (rc != 0) {
        relay_owed_free (l.rows, l.n);
        return -1;
    }
    *rows_p = l.rows;
    *n_p = l.n;
    return 0;
}

void
relay_owed_free (relay_owed_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free (rows[i].recipient);
        free (rows[i].header);
        free (rows[i].case_refs);
        free (rows[i].os_user);
        free (rows[i].refusal);
    }
    free (rows);
}

int
relay_owed_paid (relay_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    if (store_run (self->db,
                   "UPDATE relay SET state = CASE state WHEN 3 THEN 0 ELSE state END,"
                   " log_owed = 0 WHERE id=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "record the log entry", reason) < 0)
        return -1;
    /*  A withdrawn copy will never be delivered: its bytes go once it is
     *  on record. */
    if (store_run (self->db,
                   "UPDATE relay SET header=x'' WHERE id=? AND state=4 AND log_owed=0"
                   " AND " RELAY_IS_WITHDRAWN " AND length(header)>0",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "forget a withdrawn copy",
                   reason) < 0)
        return -1;
    /*  A settled copy about a subject destroyed meanwhile: its bytes go
     *  now (relay_forget_case could not take them while it was owed). */
    return store_run (self->db,
                      "UPDATE relay SET header=x'' WHERE id=?1 AND state IN (1,2,4) AND log_owed=0"
                      " AND length(header)>0 AND EXISTS (SELECT 1 FROM relay_forget f WHERE"
                      " instr (',' || relay.case_refs || ',', ',' || f.case_ref || ',') > 0)",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "forget a destroyed subject's copy",
                      reason) < 0
               ? -1
               : 0;
}

static int
s_count_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 1;
}

int64_t
relay_pending (relay_t *self, const char *recipient)
{
    int64_t n = -1;
    kt_reason_t reason;
    if (store_each_stmt (recipient ? self->pending : self->pending_all, store_bind_values,
                         recipient ? (void *) STORE_VALUES (STORE_TEXT (recipient)) : NULL,
                         s_count_row, &n, "count the messages kept", &reason) != 0)
        kt_log (KT_LOG_WARN, "relay read_failed reason=\"%s\"", reason.text);
    return n;
}

/* ---- retention (art. 13) -------------------------------------------------- */

/*  case_refs is a comma-separated list (store_join): a row names case_ref
 *  when ",case_refs," holds ",case_ref,". */
#define NAMES_CASE "instr (',' || case_refs || ',', ',' || ?1 || ',') > 0"

int
relay_forget_case (relay_t *self, const char *case_ref, kt_reason_t *reason)
{
    /*  Only settled copies now: a pending one still has to reach its
     *  member, who drops it (it was made before the destruction); one
     *  whose MESSAGE_DELIVERED is still owed keeps its row as relay_owed
     *  reads it.  Both lose their bytes once settled and logged
     *  (relay_owed_paid).  Until then they can be opened with this node's
     *  own key file (the content key is wrapped for the uitvoerder and
     *  the member together), not with the subject's shredded key; a
     *  member that left never settles them, so they are withdrawn
     *  (relay_withdraw). */
    if (store_run (self->db, "INSERT OR IGNORE INTO relay_forget (case_ref) VALUES (?)",
                   STORE_VALUES (STORE_TEXT (case_ref)), "remember the destroyed case",
                   reason) < 0)
        return -1;
    return store_run (self->db,
                      "UPDATE relay SET header=x'' WHERE state IN (1,2,4) AND log_owed=0"
                      " AND length(header)>0 AND " NAMES_CASE,
                      STORE_VALUES (STORE_TEXT (case_ref)), "forget the case's copies", reason);
}

int
relay_each_case_recipient (relay_t *self, const char *case_ref, const char *origin_prefix,
                           store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (
        self->db,
        "SELECT DISTINCT recipient FROM relay WHERE " NAMES_CASE
        " AND (?2 IS NULL OR substr (coalesce (origin, ''), 1, length (?2)) = ?2)"
        " ORDER BY recipient",
        STORE_VALUES (STORE_TEXT (case_ref),
                      origin_prefix ? STORE_TEXT (origin_prefix) : STORE_NULL),
        fn, arg, "list who received the case", reason);
}

int
relay_each_case_holder (relay_t *self, const char *case_ref, const char *origin_prefix,
                        store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    /*  state 1 accepted, 0 pending, 3 held: an expired copy a late
     *  receipt accepted after all is state 1 again (relay_settle); a
     *  withdrawn one the member took all the same has taken_ms. */
    return store_each_text (self->db,
                            "SELECT DISTINCT recipient FROM relay WHERE " NAMES_CASE
                            " AND (state IN (0,1,3) OR taken_ms IS NOT NULL)"
                            " AND substr (coalesce (origin, ''), 1, length (?2)) = ?2"
                            " ORDER BY recipient",
                            STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (origin_prefix)), fn,
                            arg, "list who holds the case's copies", reason);
}

typedef struct {
    relay_pending_fn *fn;
    void *arg;
} pending_visit_t;

static int
s_pending_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    pending_visit_t *v = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return 0;
    return v->fn (v->arg, sqlite3_column_blob (q, 0), store_text (q, 1), reason);
}

int
relay_each_pending_case (relay_t *self, const char *case_ref, Keten__MessageType type,
                         relay_pending_fn *fn, void *arg, kt_reason_t *reason)
{
    pending_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT id, coalesce (origin, '') FROM relay WHERE " NAMES_CASE
                       " AND state=0 AND type=?2 ORDER BY created_ms",
                       store_bind_values,
                       (void *) STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (type)),
                       s_pending_row, &v, "list the case's copies waiting", reason);
}

typedef struct {
    relay_unsettled_fn *fn;
    void *arg;
} unsettled_visit_t;

static int
s_unsettled_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    unsettled_visit_t *v = arg;
    relay_unsettled_t row = {store_text (q, 0), store_text (q, 1), store_text (q, 2),
                             (uint64_t) sqlite3_column_int64 (q, 3), sqlite3_column_int (q, 4)};
    return v->fn (v->arg, &row, reason);
}

int
relay_each_unsettled (relay_t *self, Keten__MessageType type, uint64_t before_ms,
                      relay_unsettled_fn *fn, void *arg, kt_reason_t *reason)
{
    unsettled_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT recipient, coalesce (origin, ''), case_refs, created_ms, state"
                       " FROM relay WHERE type=? AND state IN (0,3,4) AND created_ms<=?"
                       " ORDER BY created_ms",
                       store_bind_values,
                       (void *) STORE_VALUES (STORE_INT (type), STORE_INT (before_ms)),
                       s_unsettled_row, &v, "list the unconfirmed messages", reason);
}

/* ---- correction (art. 12.5-12.6) ----------------------------------------- */

typedef struct {
    relay_copy_fn *fn;
    void *arg;
} copy_visit_t;

static int
s_copy_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    copy_visit_t *v = arg;
    relay_copy_t row = {store_text (q, 0), (uint64_t) sqlite3_column_int64 (q, 1),
                        sqlite3_column_int (q, 2), (uint64_t) sqlite3_column_int64 (q, 3),
                        store_text (q, 4)};
    return v->fn (v->arg, &row, reason);
}

int
relay_each_origin (relay_t *self, const char *origin, relay_copy_fn *fn, void *arg,
                   kt_reason_t *reason)
{
    copy_visit_t v = {fn, arg};
    /*  origin's own copies and those made again under origin/...: '0'
     *  follows '/' in ASCII, so the range holds exactly the latter. */
    return store_each (self->db,
                       "SELECT recipient, created_ms, state, coalesce (settled_ms, 0),"
                       " coalesce (refusal, '') FROM relay WHERE origin=?1"
                       " OR (origin > ?1 || '/' AND origin < ?1 || '0')"
                       " ORDER BY recipient, created_ms, rowid",
                       store_bind_values, (void *) STORE_VALUES (STORE_TEXT (origin)), s_copy_row,
                       &v, "list the copies of a message", reason);
}

typedef struct {
    relay_family_fn *fn;
    void *arg;
} family_visit_t;

static int
s_family_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    family_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), sqlite3_column_int64 (q, 1), reason);
}

int
relay_each_expired_family (relay_t *self, const char *recipient, const char *prefix,
                           size_t base_len, relay_family_fn *fn, void *arg, kt_reason_t *reason)
{
    family_visit_t v = {fn, arg};
    return store_each (
        self->db,
        "SELECT base, n FROM (SELECT substr (origin, 1, ?3) AS base, count(*) AS n FROM relay"
        " WHERE recipient=?1 AND state=4 AND (refusal LIKE 'expired:%' OR refusal=?4)"
        " AND substr (origin, 1, length (?2))=?2 GROUP BY base) b"
        " WHERE NOT EXISTS (SELECT 1 FROM relay x WHERE x.recipient=?1 AND x.state<>4"
        " AND (x.origin=b.base OR (x.origin > b.base || '/' AND x.origin < b.base || '0')))"
        " ORDER BY base",
        store_bind_values,
        (void *) STORE_VALUES (STORE_TEXT (recipient), STORE_TEXT (prefix),
                               STORE_INT ((int64_t) base_len), STORE_TEXT (RELAY_WITHDRAWN_KIND)),
        s_family_row, &v, "list the expired copies to make again", reason);
}
