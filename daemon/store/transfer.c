/*  transfer: the subjects handed over to peered federations and taken in
 *  from them (docs/FEDERATIONS.md).  */
#include "transfer.h"

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _transfer_t {
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  Sent: recorded (PREPARED) before it is logged, sealed and offered
     *  (PENDING) until the peer's receipt (ACCEPTED, REFUSED); the
     *  envelope only while it is offered.  Received: one row per
     *  transfer id, with the header hash a replay must match. */
    "CREATE TABLE transfer_out (id BLOB PRIMARY KEY, federation TEXT NOT NULL,"
    " case_ref TEXT NOT NULL, basis TEXT NOT NULL, decided_by TEXT NOT NULL,"
    " os_user TEXT NOT NULL, decided_ms INTEGER NOT NULL, state INTEGER NOT NULL,"
    " log_index INTEGER, signals INTEGER, withheld INTEGER, envelope BLOB,"
    " peer_log_index INTEGER, refused TEXT, answered_ms INTEGER);"
    "CREATE INDEX transfer_out_case ON transfer_out (case_ref);"
    "CREATE TABLE transfer_in (id BLOB PRIMARY KEY, federation TEXT NOT NULL,"
    " from_case_ref TEXT NOT NULL, case_ref TEXT NOT NULL, basis TEXT NOT NULL,"
    " decided_by TEXT NOT NULL, sent_log_index INTEGER NOT NULL, log_index INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL, signals INTEGER NOT NULL, withheld INTEGER NOT NULL,"
    " plan_status TEXT NOT NULL, header_hash BLOB NOT NULL);"
    "CREATE INDEX transfer_in_case ON transfer_in (case_ref);",
    /*  art. 4: the kernpartijen's decisions, each a signed message from
     *  its node, one row per message. */
    "CREATE TABLE transfer_decision (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL,"
    " federation TEXT NOT NULL, member TEXT NOT NULL, basis TEXT NOT NULL,"
    " os_user TEXT NOT NULL, decided_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
    " log_index INTEGER NOT NULL);"
    "CREATE INDEX transfer_decision_case ON transfer_decision (case_ref, federation);",
};

transfer_t *
transfer_new (sqlite3 *db, kt_reason_t *reason)
{
    transfer_t *self =
        store_module_new (sizeof *self, db, "transfer", STORE_MIGRATIONS (s_migrations), reason);
    if (self)
        self->db = db;
    return self;
}

void
transfer_destroy (transfer_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

int
transfer_out_prepare (transfer_t *self, const transfer_out_t *t, kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT INTO transfer_out (id, federation, case_ref, basis, decided_by,"
                      " os_user, decided_ms, state) VALUES (?,?,?,?,?,?,?,?)",
                      STORE_VALUES (STORE_BLOB (t->id, KT_ID_LEN), STORE_TEXT (t->federation),
                                    STORE_TEXT (t->case_ref), STORE_TEXT (t->basis),
                                    STORE_TEXT (t->decided_by), STORE_TEXT (t->os_user),
                                    STORE_INT (t->decided_ms), STORE_INT (TRANSFER_PREPARED)),
                      "record a transfer", reason) < 0
               ? -1
               : 0;
}

int
transfer_out_sealed (transfer_t *self, const uint8_t id[KT_ID_LEN], uint64_t log_index,
                     unsigned signals, unsigned withheld, const uint8_t *envelope,
                     size_t envelope_len, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE transfer_out SET state=?, log_index=?, signals=?, withheld=?,"
                      " envelope=? WHERE id=? AND state=?",
                      STORE_VALUES (STORE_INT (TRANSFER_PENDING), STORE_INT (log_index),
                                    STORE_INT (signals), STORE_INT (withheld),
                                    STORE_BLOB (envelope, envelope_len), STORE_BLOB (id, KT_ID_LEN),
                                    STORE_INT (TRANSFER_PREPARED)),
                      "keep a sealed transfer", reason) < 0
               ? -1
               : 0;
}

int
transfer_out_answered (transfer_t *self, const uint8_t id[KT_ID_LEN], bool accepted,
                       uint64_t peer_log_index, const char *why, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE transfer_out SET state=?, peer_log_index=?, refused=?,"
                      " answered_ms=?, envelope=NULL WHERE id=? AND state=?",
                      STORE_VALUES (STORE_INT (accepted ? TRANSFER_ACCEPTED : TRANSFER_REFUSED),
                                    accepted ? STORE_INT (peer_log_index) : STORE_NULL,
                                    accepted ? STORE_NULL : STORE_TEXT (why),
                                    STORE_INT (kt_now_ms ()), STORE_BLOB (id, KT_ID_LEN),
                                    STORE_INT (TRANSFER_PENDING)),
                      "record a transfer's answer", reason) < 0
               ? -1
               : 0;
}

int
transfer_out_reprepare (transfer_t *self, const char *case_ref, kt_reason_t *reason)
{
    return store_run (self->db,
                      "UPDATE transfer_out SET state=?, envelope=NULL WHERE case_ref=? AND state=?",
                      STORE_VALUES (STORE_INT (TRANSFER_PREPARED), STORE_TEXT (case_ref),
                                    STORE_INT (TRANSFER_PENDING)),
                      "seal a transfer again after a correction", reason);
}

typedef struct {
    transfer_out_fn *fn;
    void *arg;
} out_each_t;

#define S_OUT_COLUMNS                                                                              \
    "id, federation, case_ref, basis, decided_by, os_user, decided_ms, state,"                     \
    " IFNULL(log_index, 0), IFNULL(peer_log_index, 0), envelope"

static int
s_out_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    out_each_t *e = arg;
    transfer_out_t t;
    memset (&t, 0, sizeof t);
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "a transfer row has a malformed id");
    memcpy (t.id, sqlite3_column_blob (q, 0), KT_ID_LEN);
    snprintf (t.federation, sizeof t.federation, "%s", store_text (q, 1));
    snprintf (t.case_ref, sizeof t.case_ref, "%s", store_text (q, 2));
    snprintf (t.basis, sizeof t.basis, "%s", store_text (q, 3));
    snprintf (t.decided_by, sizeof t.decided_by, "%s", store_text (q, 4));
    snprintf (t.os_user, sizeof t.os_user, "%s", store_text (q, 5));
    t.decided_ms = (uint64_t) sqlite3_column_int64 (q, 6);
    t.state = sqlite3_column_int (q, 7);
    t.log_index = (uint64_t) sqlite3_column_int64 (q, 8);
    t.peer_log_index = (uint64_t) sqlite3_column_int64 (q, 9);
    t.envelope = sqlite3_column_blob (q, 10);
    t.envelope_len = (size_t) sqlite3_column_bytes (q, 10);
    return e->fn (e->arg, &t, reason);
}

int
transfer_out_each (transfer_t *self, int state, transfer_out_fn *fn, void *arg, kt_reason_t *reason)
{
    out_each_t e = {fn, arg};
    return store_each (self->db,
                       "SELECT " S_OUT_COLUMNS " FROM transfer_out WHERE state=? ORDER BY id",
                       store_bind_values, (void *) STORE_VALUES (STORE_INT (state)), s_out_row, &e,
                       "list the transfers", reason);
}

int
transfer_out_find (transfer_t *self, const uint8_t id[KT_ID_LEN], transfer_out_fn *fn, void *arg,
                   kt_reason_t *reason)
{
    out_each_t e = {fn, arg};
    return store_one (self->db, "SELECT " S_OUT_COLUMNS " FROM transfer_out WHERE id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_out_row, &e, "find a transfer",
                      reason);
}

int
transfer_in_record (transfer_t *self, const transfer_in_t *t, kt_reason_t *reason)
{
    return store_run (
               self->db,
               "INSERT OR IGNORE INTO transfer_in (id, federation, from_case_ref, case_ref, basis,"
               " decided_by, sent_log_index, log_index, received_ms, signals, withheld,"
               " plan_status, header_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
               STORE_VALUES (STORE_BLOB (t->id, KT_ID_LEN), STORE_TEXT (t->federation),
                             STORE_TEXT (t->from_case_ref), STORE_TEXT (t->case_ref),
                             STORE_TEXT (t->basis), STORE_TEXT (t->decided_by),
                             STORE_INT (t->sent_log_index), STORE_INT (t->log_index),
                             STORE_INT (t->received_ms), STORE_INT (t->signals),
                             STORE_INT (t->withheld), STORE_TEXT (t->plan_status),
                             STORE_BLOB (t->header_hash, 32)),
               "record a transfer taken in", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    const uint8_t *header_hash;
    bool *same;
    uint64_t *log_index;
    char *case_ref;
} in_find_t;

static int
s_in_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    in_find_t *f = arg;
    *f->log_index = (uint64_t) sqlite3_column_int64 (q, 0);
    snprintf (f->case_ref, 40, "%s", store_text (q, 1));
    *f->same =
        store_blob_is (q, 2, 32) && memcmp (sqlite3_column_blob (q, 2), f->header_hash, 32) == 0;
    return 0;
}

int
transfer_in_find (transfer_t *self, const uint8_t id[KT_ID_LEN], const uint8_t header_hash[32],
                  bool *same, uint64_t *log_index, char case_ref[40], kt_reason_t *reason)
{
    in_find_t f = {header_hash, same, log_index, case_ref};
    return store_one (self->db,
                      "SELECT log_index, case_ref, header_hash FROM transfer_in WHERE id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), s_in_row, &f,
                      "find a transfer taken in", reason);
}

static const char *const s_state_names[] = {"prepared", "pending", "accepted", "refused"};

static int
s_list_out_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    char hex[KT_ID_HEX] = "";
    if (store_blob_is (q, 0, KT_ID_LEN))
        kt_hex (hex, sqlite3_column_blob (q, 0), KT_ID_LEN);
    int state = sqlite3_column_int (q, 6);
    json_t *row =
        json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:s}", "id", hex,
                   "federation", store_text (q, 1), "case_ref", store_text (q, 2), "basis",
                   store_text (q, 3), "decided_by", store_text (q, 4), "os_user", store_text (q, 5),
                   "decided_ms", (json_int_t) sqlite3_column_int64 (q, 7), "state",
                   state >= 0 && state <= TRANSFER_REFUSED ? s_state_names[state] : "?",
                   "log_index", (json_int_t) sqlite3_column_int64 (q, 8), "signals",
                   (json_int_t) sqlite3_column_int64 (q, 9), "withheld",
                   (json_int_t) sqlite3_column_int64 (q, 10), "peer_log_index",
                   (json_int_t) sqlite3_column_int64 (q, 11), "refused", store_text (q, 12));
    return json_array_append_new (arg, row) == 0 ? 0 : kt_fail (reason, "out of memory");
}

static int
s_list_in_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    char hex[KT_ID_HEX] = "";
    if (store_blob_is (q, 0, KT_ID_LEN))
        kt_hex (hex, sqlite3_column_blob (q, 0), KT_ID_LEN);
    json_t *row =
        json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "id", hex,
                   "federation", store_text (q, 1), "from_case_ref", store_text (q, 2), "case_ref",
                   store_text (q, 3), "basis", store_text (q, 4), "decided_by", store_text (q, 5),
                   "sent_log_index", (json_int_t) sqlite3_column_int64 (q, 6), "log_index",
                   (json_int_t) sqlite3_column_int64 (q, 7), "received_ms",
                   (json_int_t) sqlite3_column_int64 (q, 8), "signals",
                   (json_int_t) sqlite3_column_int64 (q, 9), "withheld",
                   (json_int_t) sqlite3_column_int64 (q, 10), "plan_status", store_text (q, 11));
    return json_array_append_new (arg, row) == 0 ? 0 : kt_fail (reason, "out of memory");
}

json_t *
transfer_list (transfer_t *self, const char *case_ref, int limit, kt_reason_t *reason)
{
    json_t *sent = json_array (), *received = json_array ();
    const store_value_t *values = case_ref ? STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (limit))
                                           : STORE_VALUES (STORE_NULL, STORE_INT (limit));
    int rc = store_each (self->db,
                         "SELECT id, federation, case_ref, basis, decided_by, os_user, state,"
                         " decided_ms, IFNULL(log_index, 0), IFNULL(signals, 0),"
                         " IFNULL(withheld, 0), IFNULL(peer_log_index, 0), IFNULL(refused, '')"
                         " FROM transfer_out WHERE ?1 IS NULL OR case_ref=?1"
                         " ORDER BY id DESC LIMIT ?2",
                         store_bind_values, (void *) values, s_list_out_row, sent,
                         "list the transfers sent", reason);
    if (rc == 0)
        rc = store_each (self->db,
                         "SELECT id, federation, from_case_ref, case_ref, basis, decided_by,"
                         " sent_log_index, log_index, received_ms, signals, withheld, plan_status"
                         " FROM transfer_in WHERE ?1 IS NULL OR case_ref=?1"
                         " ORDER BY received_ms DESC LIMIT ?2",
                         store_bind_values, (void *) values, s_list_in_row, received,
                         "list the transfers taken in", reason);
    if (rc != 0) {
        json_decref (sent);
        json_decref (received);
        return NULL;
    }
    return json_pack ("{s:o, s:o}", "sent", sent, "received", received);
}

/*  The four counts of a row, in order. */
static int
s_counts_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    int64_t *n = arg;
    for (int i = 0; i < 4; i++)
        n[i] = sqlite3_column_int64 (q, i);
    return 0;
}

json_t *
transfer_counts (transfer_t *self, kt_reason_t *reason)
{
    /*  One read: a table that cannot be read is a failure with its
     *  reason, never a count of 0 (docs/OPERATIONS.md, "keten status
     *  --check"). */
    int64_t n[4] = {0, 0, 0, 0};
    if (store_one (self->db,
                   "SELECT (SELECT count(*) FROM transfer_out WHERE state <= 1),"
                   " (SELECT count(*) FROM transfer_out WHERE state = 2),"
                   " (SELECT count(*) FROM transfer_out WHERE state = 3),"
                   " (SELECT count(*) FROM transfer_in)",
                   NULL, s_counts_row, n, "count the transfers", reason) < 0)
        return NULL;
    return json_pack ("{s:I, s:I, s:I, s:I}", "pending", (json_int_t) n[0], "accepted",
                      (json_int_t) n[1], "refused", (json_int_t) n[2], "received",
                      (json_int_t) n[3]);
}

int
transfer_decision_record (transfer_t *self, const uint8_t id[KT_ID_LEN], const char *case_ref,
                          const char *federation, const char *member, const char *basis,
                          const char *os_user, uint64_t decided_ms, uint64_t log_index,
                          kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT OR IGNORE INTO transfer_decision (message_id, case_ref, federation,"
                      " member, basis, os_user, decided_ms, received_ms, log_index)"
                      " VALUES (?,?,?,?,?,?,?,?,?)",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (case_ref),
                                    STORE_TEXT (federation), STORE_TEXT (member),
                                    STORE_TEXT (basis), STORE_TEXT (os_user),
                                    STORE_INT (decided_ms), STORE_INT (kt_now_ms ()),
                                    STORE_INT (log_index)),
                      "record a transfer decision", reason) < 0
               ? -1
               : 0;
}

static int
s_seen_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    uint64_t *index = arg;
    *index = (uint64_t) sqlite3_column_int64 (q, 0);
    return 0;
}

int
transfer_decision_seen (transfer_t *self, const uint8_t id[KT_ID_LEN], const char *member,
                        uint64_t *log_index, kt_reason_t *reason)
{
    uint64_t index = 0;
    int found = store_one (
        self->db, "SELECT log_index FROM transfer_decision WHERE message_id=? AND member=?",
        STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (member)), s_seen_row, &index,
        "find a transfer decision", reason);
    if (found == 1)
        *log_index = index;
    return found;
}

typedef struct {
    char *basis;
    size_t len;
} newest_t;

static int
s_basis_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    newest_t *n = arg;
    snprintf (n->basis, n->len, "%s", store_text (q, 0));
    return 0;
}

int
transfer_decision_newest (transfer_t *self, const char *case_ref, const char *federation,
                          const char *member, char *basis, size_t len, kt_reason_t *reason)
{
    newest_t n = {basis, len};
    return store_one (
        self->db,
        "SELECT basis FROM transfer_decision WHERE case_ref=? AND federation=?"
        " AND member=? ORDER BY decided_ms DESC, received_ms DESC LIMIT 1",
        STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (federation), STORE_TEXT (member)),
        s_basis_row, &n, "find a transfer decision", reason);
}

int
transfer_forget_case (transfer_t *self, const char *case_ref, kt_reason_t *reason)
{
    static const char *const sql[] = {
        "DELETE FROM transfer_decision WHERE case_ref=?",
        "DELETE FROM transfer_out WHERE case_ref=?",
        "DELETE FROM transfer_in WHERE case_ref=?",
    };
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (store_run_all (self->db, sql, sizeof sql / sizeof sql[0],
                       STORE_VALUES (STORE_TEXT (case_ref)), "forget a subject's transfers",
                       reason) != 0 ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}
