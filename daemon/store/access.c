/*  access: reads of personal data, for the periodic review (art. 15.2e).  */
#include "access.h"

#include "hourbudget.h"
#include "store.h"

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*  A caller's refusals recorded one by one in an hour, at most; the rest
 *  are counted and recorded as one row when its hour is over (at its next
 *  refusal, or when the module closes).  Each record is a commit that
 *  waits for the disk, on the node's loop: a caller with no rights at all
 *  must not be able to stall the node, or grow the table, by asking
 *  without end. */
#define ACCESS_REFUSALS_RECORDED 100
/*  Callers whose refusals are counted at once; the one refused longest
 *  ago makes way for another (its count recorded first). */
#define ACCESS_REFUSAL_CALLERS 16

typedef struct {
    uid_t uid;
    hour_budget_t budget;
    uint64_t last_ms;
    bool used;
} refusals_t;

struct _access_t {
    sqlite3 *db;
    char node[65];
    sqlite3_stmt *insert, *list, *review_insert, *review_list, *review_last;
    refusals_t refusals[ACCESS_REFUSAL_CALLERS];
};

static const char *const s_migrations[] = {
    "CREATE TABLE access (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, uid INTEGER NOT NULL,"
    " user TEXT NOT NULL, what TEXT NOT NULL, case_ref TEXT NOT NULL);"
    "CREATE INDEX access_at ON access (at_ms);"
    /*  The review must see every read: the record is not to be edited. */
    "CREATE TRIGGER access_no_update BEFORE UPDATE ON access"
    " BEGIN SELECT RAISE (ABORT, 'access records are append-only'); END;",
    /*  art. 15.2e-f: the periodic review of this table, kept next to it:
     *  who reviewed (OS user), when, which period, what was found. */
    "CREATE TABLE access_review (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
    " uid INTEGER NOT NULL, user TEXT NOT NULL, period_from TEXT NOT NULL,"
    " period_to TEXT NOT NULL, finding TEXT NOT NULL);"
    "CREATE TRIGGER access_review_no_update BEFORE UPDATE ON access_review"
    " BEGIN SELECT RAISE (ABORT, 'access reviews are append-only'); END;",
    /*  Nor taken back: a review once recorded stays. */
    ("CREATE TRIGGER access_review_no_delete BEFORE DELETE ON access_review"
     " BEGIN SELECT RAISE (ABORT, 'access reviews are append-only'); END;"),
};

access_t *
access_new (sqlite3 *db, const char *node_id, kt_reason_t *reason)
{
    access_t *self =
        store_module_new (sizeof *self, db, "access", STORE_MIGRATIONS (s_migrations), reason);
    if (!self)
        return NULL;
    self->db = db;
    snprintf (self->node, sizeof self->node, "%s", node_id);
    if (!(self->insert = store_prepare (db,
                                        "INSERT INTO access (at_ms, uid, user, what, case_ref)"
                                        " VALUES (?,?,?,?,?)",
                                        reason)) ||
        !(self->list = store_prepare (db,
                                      "SELECT at_ms, uid, user, what, case_ref, id FROM access"
                                      " WHERE at_ms >= ? AND id > ? ORDER BY id LIMIT ?",
                                      reason)) ||
        !(self->review_insert =
              store_prepare (db,
                             "INSERT INTO access_review (at_ms, uid, user, period_from, period_to,"
                             " finding) VALUES (?,?,?,?,?,?)",
                             reason)) ||
        !(self->review_list = store_prepare (db,
                                             "SELECT id, at_ms, uid, user, period_from, period_to,"
                                             " finding FROM access_review ORDER BY id DESC LIMIT ?",
                                             reason)) ||
        !(self->review_last = store_prepare (db, "SELECT max(at_ms) FROM access_review", reason))) {
        access_destroy (&self);
        return NULL;
    }
    return self;
}

static int s_refusals_end (access_t *self, refusals_t *r, kt_reason_t *reason);

void
access_destroy (access_t **self_p)
{
    access_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < ACCESS_REFUSAL_CALLERS; i++) {
        kt_reason_t why;
        if (self->refusals[i].used && s_refusals_end (self, &self->refusals[i], &why) != 0)
            kt_log (KT_LOG_ERROR, "access refusals_not_recorded uid=%u reason=\"%s\"",
                    (unsigned) self->refusals[i].uid, why.text);
    }
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->list);
    sqlite3_finalize (self->review_insert);
    sqlite3_finalize (self->review_list);
    sqlite3_finalize (self->review_last);
    free (self);
    *self_p = NULL;
}

/*  A login name we can put in a record as it is. */
static bool
s_plain_name (const char *name)
{
    size_t len = strlen (name);
    if (len < 1 || len > 32)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

void
access_user_name (uid_t uid, char *out, size_t len)
{
    struct passwd pw, *found = NULL;
    char buf[2048];
    if (getpwuid_r (uid, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name &&
        s_plain_name (found->pw_name))
        snprintf (out, len, "%s", found->pw_name);
    else
        snprintf (out, len, "uid:%u", (unsigned) uid);
}

int
access_record (access_t *self, uid_t uid, const char *what, const char *const *case_refs,
               size_t n_case_refs, uint64_t now_ms, kt_reason_t *reason)
{
    char user[65];
    access_user_name (uid, user, sizeof user);
    for (size_t i = 0; i < n_case_refs; i++) {
        if (store_run_stmt (self->insert,
                            STORE_VALUES (STORE_INT (now_ms), STORE_INT (uid), STORE_TEXT (user),
                                          STORE_TEXT (what), STORE_TEXT (case_refs[i])),
                            "record the access", reason) < 0)
            return -1;
    }
    /*  Also in the journal for the operator; ids only. */
    for (size_t i = 0; i < n_case_refs; i++)
        kt_log (KT_LOG_INFO, "access what=%s user=%s uid=%u case_ref=%s", what, user,
                (unsigned) uid, case_refs[i]);
    return 0;
}

/*  One refusal row: what "refused:CMD", or a count; no case_ref.  Also
 *  an act that read nothing (access_record_act). */
static int
s_refusal_row (access_t *self, uid_t uid, const char *what, uint64_t at_ms, kt_reason_t *reason)
{
    char user[65];
    access_user_name (uid, user, sizeof user);
    /*  No case_ref: nothing was read.  "" marks the row as not a read. */
    return store_run_stmt (self->insert,
                           STORE_VALUES (STORE_INT (at_ms), STORE_INT (uid), STORE_TEXT (user),
                                         STORE_TEXT (what), STORE_TEXT ("")),
                           "record the refusal", reason) < 0
               ? -1
               : 0;
}

int
access_record_act (access_t *self, uid_t uid, const char *what, uint64_t now_ms,
                   kt_reason_t *reason)
{
    return s_refusal_row (self, uid, what, now_ms, reason);
}

/*  r's hour over: the refusals it counted recorded in one row (at the
 *  last one's time), and r free. */
static int
s_refusals_end (access_t *self, refusals_t *r, kt_reason_t *reason)
{
    if (r->budget.counted > 0) {
        char what[96];
        snprintf (what, sizeof what, "refused:%llu more in the hour, counted",
                  (unsigned long long) r->budget.counted);
        if (s_refusal_row (self, r->uid, what, r->last_ms, reason) != 0)
            return -1;
    }
    memset (r, 0, sizeof *r);
    return 0;
}

/*  uid's refusal budget: its own, one whose hour is over, a free one, or
 *  the one refused longest ago (each recorded as it ends); NULL on a
 *  failure to record. */
static refusals_t *
s_refusals (access_t *self, uid_t uid, uint64_t now_ms, kt_reason_t *reason)
{
    refusals_t *free_r = NULL, *oldest = NULL;
    for (size_t i = 0; i < ACCESS_REFUSAL_CALLERS; i++) {
        refusals_t *r = &self->refusals[i];
        if (r->used && hour_budget_over (&r->budget, now_ms) &&
            s_refusals_end (self, r, reason) != 0)
            return NULL;
        if (r->used && r->uid == uid)
            return r;
        if (!r->used && !free_r)
            free_r = r;
        if (r->used && (!oldest || r->last_ms < oldest->last_ms))
            oldest = r;
    }
    refusals_t *r = free_r ? free_r : oldest;
    if (r->used && s_refusals_end (self, r, reason) != 0)
        return NULL;
    *r = (refusals_t){.uid = uid, .used = true};
    hour_budget_start (&r->budget, now_ms);
    return r;
}

int
access_record_refusal (access_t *self, uid_t uid, const char *cmd, uint64_t now_ms,
                       kt_reason_t *reason)
{
    refusals_t *r = s_refusals (self, uid, now_ms, reason);
    if (!r)
        return -1;
    r->last_ms = now_ms;
    /*  Within the budget, only once its row is written. */
    if (r->budget.taken < ACCESS_REFUSALS_RECORDED) {
        char what[96];
        snprintf (what, sizeof what, "refused:%.80s", cmd);
        if (s_refusal_row (self, uid, what, now_ms, reason) != 0)
            return -1;
    }
    /*  Past it: counted, recorded in one row when the hour is over. */
    hour_budget_use_t use = hour_budget_take (&r->budget, ACCESS_REFUSALS_RECORDED);
    return use == HOUR_BUDGET_TAKEN ? 0 : use == HOUR_BUDGET_FIRST_COUNTED ? 2 : 1;
}

int
access_review_add (access_t *self, uid_t uid, const char *period_from, const char *period_to,
                   const char *finding, uint64_t now_ms, kt_reason_t *reason)
{
    char user[65];
    access_user_name (uid, user, sizeof user);
    return store_run_stmt (self->review_insert,
                           STORE_VALUES (STORE_INT (now_ms), STORE_INT (uid), STORE_TEXT (user),
                                         STORE_TEXT (period_from), STORE_TEXT (period_to),
                                         STORE_TEXT (finding)),
                           "record the access review", reason) < 0
               ? -1
               : 0;
}

typedef struct {
    access_review_fn *fn;
    void *arg;
} review_visit_t;

static int
s_review_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    review_visit_t *v = arg;
    access_review_t row = {sqlite3_column_int64 (q, 0),
                           (uint64_t) sqlite3_column_int64 (q, 1),
                           sqlite3_column_int64 (q, 2),
                           store_text (q, 3),
                           store_text (q, 4),
                           store_text (q, 5),
                           store_text (q, 6)};
    return v->fn (v->arg, &row, reason);
}

int
access_review_each (access_t *self, int limit, access_review_fn *fn, void *arg, kt_reason_t *reason)
{
    review_visit_t v = {fn, arg};
    return store_each_stmt (self->review_list, store_bind_values,
                            (void *) STORE_VALUES (STORE_INT (limit)), s_review_row, &v,
                            "list the access reviews", reason);
}

static int
s_last_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    int64_t *last = arg;
    *last = sqlite3_column_type (q, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64 (q, 0);
    return 1;
}

int
access_review_last (access_t *self, int64_t *at_ms, kt_reason_t *reason)
{
    *at_ms = -1;
    return store_each_stmt (self->review_last, NULL, NULL, s_last_row, at_ms,
                            "read the newest access review", reason) < 0
               ? -1
               : 0;
}

const char *
access_node (access_t *self)
{
    return self->node;
}

typedef struct {
    access_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    access_row_t row = {(uint64_t) sqlite3_column_int64 (q, 0),
                        sqlite3_column_int64 (q, 1),
                        store_text (q, 2),
                        store_text (q, 3),
                        store_text (q, 4),
                        sqlite3_column_int64 (q, 5)};
    return v->fn (v->arg, &row, reason);
}

int
access_each (access_t *self, uint64_t since_ms, int64_t after_id, int limit, access_row_fn *fn,
             void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each_stmt (
        self->list, store_bind_values,
        (void *) STORE_VALUES (STORE_INT (since_ms), STORE_INT (after_id), STORE_INT (limit)),
        s_row, &v, "list the access records", reason);
}
