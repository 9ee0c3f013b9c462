/*  request: the register of the person's requests (art. 12) and the
 *  Europe/Amsterdam calendar its deadlines follow. */
#include "request.h"

#include "calendar.h"
#include "figures.h"

#include "intake_rules.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _request_t {
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  One row per request.  received is the local day it came in (the
     *  deadline counts from it); due_ms the end of the day the answer is
     *  due; case_ref is set by request_link, closed_ms by request_close.
     *  identity_how says how the identity was established, never a copy
     *  of a document. */
    "CREATE TABLE request (id TEXT PRIMARY KEY, kind TEXT NOT NULL, received TEXT NOT NULL,"
    " from_whom TEXT NOT NULL, representation TEXT NOT NULL, identity_by TEXT NOT NULL,"
    " identity_how TEXT NOT NULL, opened_ms INTEGER NOT NULL, opened_uid INTEGER NOT NULL,"
    " due_ms INTEGER NOT NULL, case_ref TEXT NOT NULL DEFAULT '', linked_ms INTEGER,"
    " linked_uid INTEGER, state TEXT NOT NULL DEFAULT 'open', closed_ms INTEGER,"
    " closed_uid INTEGER, ground TEXT NOT NULL DEFAULT '', motivation TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX request_due ON request (state, due_ms);",
    /*  art. 4, 12.3-12.4: the decisions on a request are a kernpartij's,
     *  received as RIGHTS_DECISION messages: one row per message (a retry
     *  finds it); the newest one of a request is the one its answer
     *  follows.  withhold holds hex message ids ("a,b"); decided_by on
     *  the request is the node whose decision the answer followed. */
    "CREATE TABLE request_decision (message_id BLOB PRIMARY KEY, request_id TEXT NOT NULL"
    " REFERENCES request (id), node TEXT NOT NULL, os_user TEXT NOT NULL, outcome TEXT NOT NULL,"
    " ground TEXT NOT NULL, motivation TEXT NOT NULL, withhold TEXT NOT NULL,"
    " decided_ms INTEGER NOT NULL, log_index INTEGER NOT NULL);"
    "CREATE INDEX request_decision_request ON request_decision (request_id);"
    "ALTER TABLE request ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';",
    /*  art. 13: a destruction finds its subject's requests. */
    "CREATE INDEX request_case ON request (case_ref);",
};

request_t *
request_open (const char *path, kt_reason_t *reason)
{
    sqlite3 *db = store_open (path, reason);
    if (!db)
        return NULL;
    request_t *self =
        store_module_new (sizeof *self, db, "request", STORE_MIGRATIONS (s_migrations), reason);
    if (self && figures_migrate (db, reason) != 0) {
        free (self);
        self = NULL;
    }
    if (!self) {
        store_close (&db);
        return NULL;
    }
    self->db = db;
    return self;
}

void
request_destroy (request_t **self_p)
{
    request_t *self = *self_p;
    if (!self)
        return;
    store_close (&self->db);
    free (self);
    *self_p = NULL;
}

/*  Parse YYYY-MM-DD, a real date; 0 or -1. */
sqlite3 *
request_db (request_t *self)
{
    return self->db;
}

static int
s_parse_day (const char *text, int *y, int *m, int *d)
{
    if (!text || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return -1;
    *y = atoi (text);
    *m = atoi (text + 5);
    *d = atoi (text + 8);
    if (*y < 1970 || *m < 1 || *m > 12 || *d < 1)
        return -1;
    int cy, cm, cd;
    kt_civil_from_days (kt_days_from_civil (*y, *m, *d), &cy, &cm, &cd);
    return cy == *y && cm == *m && cd == *d ? 0 : -1;
}

int
request_due (const char *received, uint64_t *due_ms, char due_day[11], kt_reason_t *reason)
{
    int y, m, d;
    if (s_parse_day (received, &y, &m, &d) != 0)
        return kt_fail (reason, "the date of receipt must be a date, YYYY-MM-DD");
    /*  art. 12.3: within four weeks of receipt; the whole last day counts. */
    *due_ms = kt_local_midnight_ms (y, m, d + 29) - 1;
    int dy, dm, dd;
    kt_civil_from_days (kt_days_from_civil (y, m, d) + 28, &dy, &dm, &dd);
    char tmp[48];
    snprintf (tmp, sizeof tmp, "%04d-%02d-%02d", dy % 10000, dm, dd);
    snprintf (due_day, 11, "%.10s", tmp);
    return 0;
}

const char *
request_deadline_state (uint64_t due_ms, uint64_t now_ms)
{
    if (now_ms > due_ms)
        return "overdue";
    return now_ms + REQUEST_WARN_MS > due_ms ? "warning" : "ok";
}

/* ---- the register ------------------------------------------------------ */

static bool
s_one_of (const char *v, const char *const *list)
{
    for (; v && *list; list++)
        if (strcmp (v, *list) == 0)
            return true;
    return false;
}

static const char *const s_kinds[] = {"inzage",      "correctie", "verwijdering",
                                      "afscherming", "verzet",    NULL};
static const char *const s_from[] = {"betrokkene", "vertegenwoordiger", NULL};
/*  art. 12 via AVG art. 8 and BW: the parents or guardian of a child
 *  under 16, a curator, a mentor. */
static const char *const s_representation[] = {"minderjarige", "curatele", "mentorschap", NULL};

int
request_check (const request_new_t *r, uint64_t now_ms, kt_reason_t *reason)
{
    if (!s_one_of (r->kind, s_kinds))
        return kt_fail (reason, "kind must be inzage, correctie, verwijdering, afscherming or "
                                "verzet");
    uint64_t due;
    char day[11], today[11];
    if (request_due (r->received, &due, day, reason) != 0)
        return -1;
    kt_local_date (now_ms, today);
    if (strcmp (r->received, today) > 0)
        return kt_fail (reason, "the date of receipt %s is after today", r->received);
    /*  More than a year old: before the same day a calendar year ago (29
     *  February: the 28th), on the Dutch calendar. */
    int y, m, d;
    kt_months_on (atoi (today) - 1, atoi (today + 5), atoi (today + 8), 0, &y, &m, &d);
    char year_ago[11], tmp[48];
    snprintf (tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    snprintf (year_ago, sizeof year_ago, "%.10s", tmp);
    if (strcmp (r->received, year_ago) < 0)
        return kt_fail (reason,
                        "the date of receipt %s is more than a year old (before %s); check it",
                        r->received, year_ago);
    if (!s_one_of (r->from, s_from))
        return kt_fail (reason, "from must be betrokkene or vertegenwoordiger");
    bool represented = strcmp (r->from, "vertegenwoordiger") == 0;
    if (represented && !s_one_of (r->representation, s_representation))
        return kt_fail (reason, "a request by a representative records the representation: "
                                "minderjarige, curatele or mentorschap");
    if (!represented && r->representation && *r->representation)
        return kt_fail (reason, "a representation is recorded only for a request by a "
                                "vertegenwoordiger");
    if (!intake_text_ok (r->identity_by, 1, 200, false))
        return kt_fail (reason, "name who established the identity (1..200 bytes of text)");
    if (!intake_text_ok (r->identity_how, 1, 1000, false))
        return kt_fail (reason, "say how the identity was established (1..1000 bytes of text; "
                                "no copy of a document is kept)");
    return 0;
}

int
request_register (request_t *self, const request_new_t *r, uint32_t uid, uint64_t now_ms,
                  char id[REQUEST_ID_LEN], kt_reason_t *reason)
{
    uint64_t due;
    char day[11], hex[17];
    uint8_t rnd[8];
    if (request_check (r, now_ms, reason) != 0 || request_due (r->received, &due, day, reason) != 0)
        return -1;
    kt_random_buf (rnd, sizeof rnd);
    snprintf (id, REQUEST_ID_LEN, "r-%s", kt_hex (hex, rnd, sizeof rnd));
    return store_run (self->db,
                      "INSERT INTO request (id, kind, received, from_whom, representation,"
                      " identity_by, identity_how, opened_ms, opened_uid, due_ms)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?)",
                      STORE_VALUES (STORE_TEXT (id), STORE_TEXT (r->kind), STORE_TEXT (r->received),
                                    STORE_TEXT (r->from),
                                    STORE_TEXT (r->representation ? r->representation : ""),
                                    STORE_TEXT (r->identity_by), STORE_TEXT (r->identity_how),
                                    STORE_INT (now_ms), STORE_INT (uid), STORE_INT (due)),
                      "register the request", reason) < 0
               ? -1
               : 0;
}

int
request_link (request_t *self, const char *id, const char *case_ref, uint32_t uid, uint64_t now_ms,
              kt_reason_t *reason)
{
    int changed = store_run (
        self->db,
        "UPDATE request SET case_ref=?, linked_ms=?, linked_uid=?"
        " WHERE id=? AND state='open'",
        STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (now_ms), STORE_INT (uid), STORE_TEXT (id)),
        "link the request", reason);
    if (changed == 0)
        return kt_fail (reason, "no open request %.24s", id);
    return changed < 0 ? -1 : 0;
}

typedef struct {
    char *kind;
    int64_t *due_ms;
} due_t;

static int
s_due_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    due_t *d = arg;
    snprintf (d->kind, 32, "%s", store_text (q, 0));
    *d->due_ms = sqlite3_column_int64 (q, 1);
    return 0;
}

/*  The answered request's figure (figures.h): its kind, and whether it
 *  was answered by its deadline (art. 12; docs/RIGHTS.md). */
static int
s_closed_figure (request_t *self, const char *id, uint64_t now_ms, kt_reason_t *reason)
{
    char kind[32] = "";
    int64_t due_ms = 0;
    due_t d = {kind, &due_ms};
    if (store_one (self->db, "SELECT kind, due_ms FROM request WHERE id=?",
                   STORE_VALUES (STORE_TEXT (id)), s_due_row, &d, "read the request's deadline",
                   reason) < 0)
        return -1;
    return figures_add (self->db, now_ms, FIGURE_REQUEST, "", kind, (int64_t) now_ms <= due_ms,
                        reason);
}

int
request_close (request_t *self, const char *id, const char *ground, const char *motivation,
               bool partial, request_held_t held, const char *decided_by, uint32_t uid,
               uint64_t now_ms, kt_reason_t *reason)
{
    const char *state = !ground ? "answered" : partial ? "partly-refused" : "refused";
    if (ground && !intake_text_ok (motivation, 1, 8000, true))
        return kt_fail (reason, "a refusal is motivated (1..8000 bytes of text)");
    /*  The close and its figure in one transaction (a savepoint: within
     *  a caller's, if there is one). */
    if (store_exec (self->db, "SAVEPOINT request_close", reason) != 0)
        return -1;
    int changed =
        store_run (self->db,
                   "UPDATE request SET state=?, closed_ms=?, closed_uid=?, ground=?, motivation=?,"
                   " decided_by=? WHERE id=? AND state='open' AND (case_ref<>'') = ?",
                   STORE_VALUES (STORE_TEXT (state), STORE_INT (now_ms), STORE_INT (uid),
                                 STORE_TEXT (ground ? ground : ""),
                                 STORE_TEXT (ground ? motivation : ""), STORE_TEXT (decided_by),
                                 STORE_TEXT (id), STORE_INT (held != REQUEST_NOTHING_FOUND)),
                   "close the request", reason);
    if (changed == 0)
        kt_fail (reason, "no open request %.24s %s", id,
                 held == REQUEST_NOTHING_FOUND ? "without a subject" : "linked to a subject");
    if (changed <= 0 || s_closed_figure (self, id, now_ms, reason) != 0) {
        kt_reason_t ignored;
        store_exec (self->db, "ROLLBACK TO request_close", &ignored);
        store_exec (self->db, "RELEASE request_close", &ignored);
        return -1;
    }
    return store_exec (self->db, "RELEASE request_close", reason);
}

typedef struct {
    request_row_fn *fn;
    void *arg;
} visit_t;

#define S_COLUMNS                                                                                  \
    "SELECT id, kind, received, from_whom, representation, identity_by, identity_how,"             \
    " opened_ms, opened_uid, due_ms, case_ref, state, closed_ms, ground, motivation,"              \
    " decided_by FROM request"

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    request_row_t row = {
        .id = store_text (q, 0),
        .kind = store_text (q, 1),
        .received = store_text (q, 2),
        .from = store_text (q, 3),
        .representation = store_text (q, 4),
        .identity_by = store_text (q, 5),
        .identity_how = store_text (q, 6),
        .opened_ms = (uint64_t) sqlite3_column_int64 (q, 7),
        .opened_uid = (uint32_t) sqlite3_column_int64 (q, 8),
        .due_ms = (uint64_t) sqlite3_column_int64 (q, 9),
        .case_ref = store_text (q, 10),
        .state = store_text (q, 11),
        .closed_ms = (uint64_t) sqlite3_column_int64 (q, 12),
        .ground = store_text (q, 13),
        .motivation = store_text (q, 14),
        .decided_by = store_text (q, 15),
    };
    return v->fn (v->arg, &row, reason);
}

int
request_each (request_t *self, bool open_only, request_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (self->db,
                       open_only ? S_COLUMNS " WHERE state='open' ORDER BY due_ms, id"
                                 : S_COLUMNS " ORDER BY opened_ms DESC, id",
                       NULL, NULL, s_row, &v, "list the requests", reason);
}

int
request_get (request_t *self, const char *id, request_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_one (self->db, S_COLUMNS " WHERE id=?", STORE_VALUES (STORE_TEXT (id)), s_row, &v,
                      "read the request", reason);
}

/* ---- the kernpartijen's decisions (art. 4, 12.3-12.4) ------------------- */

static const char *const s_outcomes[] = {"grant", "partial", "refuse", NULL};

/*  art. 41 lid 1 UAVG, sub a-j, as the desk writes them (rights_doc.c
 *  keeps their texts). */
static bool
rights_ground_code_ok (const char *code)
{
    return code && strlen (code) == 6 && strncmp (code, "41-1-", 5) == 0 && code[5] >= 'a' &&
           code[5] <= 'j';
}

typedef struct {
    char kind[16];
    char state[16];
} s_req_t;

static int
s_req_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    s_req_t *r = arg;
    snprintf (r->kind, sizeof r->kind, "%s", store_text (q, 0));
    snprintf (r->state, sizeof r->state, "%s", store_text (q, 1));
    return 0;
}

int
request_decision_check (request_t *self, const request_decision_t *d, kt_reason_t *reason)
{
    if (!s_one_of (d->outcome, s_outcomes))
        return kt_fail (reason, "the outcome must be grant, partial or refuse");
    s_req_t r;
    int found = store_one (self->db, "SELECT kind, state FROM request WHERE id=?",
                           STORE_VALUES (STORE_TEXT (d->request_id)), s_req_row, &r,
                           "read the request", reason);
    if (found <= 0)
        return found < 0 ? -1 : kt_fail (reason, "no request %.24s", d->request_id);
    if (strcmp (r.state, "open") != 0)
        return kt_fail (reason, "request %.24s is %s already", d->request_id, r.state);
    bool refusal = strcmp (d->outcome, "grant") != 0;
    /*  art. 12.3: the overview answers an inzage request; any request
     *  may be refused (12.4). */
    if (strcmp (d->outcome, "refuse") != 0 && strcmp (r.kind, "inzage") != 0)
        return kt_fail (reason,
                        "request %.24s is a %s request: only an inzage request is granted with "
                        "an overview (a correction is decided with the correction commands); "
                        "it may be refused",
                        d->request_id, r.kind);
    if (refusal && !intake_text_ok (d->motivation, 1, 8000, true))
        return kt_fail (reason, "a refusal is motivated (1..8000 bytes of text)");
    if (refusal && !rights_ground_code_ok (d->ground))
        return kt_fail (reason, "a refusal names a ground of art. 41 lid 1 UAVG (41-1-a .. "
                                "41-1-j)");
    if (strcmp (d->outcome, "partial") == 0 ? !*d->withhold : *d->withhold != '\0')
        return kt_fail (reason, "a partial refusal names the signals it withholds; nothing else "
                                "does");
    return 0;
}

int
request_decide (request_t *self, const request_decision_t *d, const uint8_t message_id[KT_ID_LEN],
                uint64_t log_index, uint64_t now_ms, kt_reason_t *reason)
{
    if (request_decision_check (self, d, reason) != 0)
        return -1;
    bool refusal = strcmp (d->outcome, "grant") != 0;
    return store_run (self->db,
                      "INSERT INTO request_decision (message_id, request_id, node, os_user,"
                      " outcome, ground, motivation, withhold, decided_ms, log_index)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?)",
                      STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN), STORE_TEXT (d->request_id),
                                    STORE_TEXT (d->node), STORE_TEXT (d->os_user),
                                    STORE_TEXT (d->outcome), STORE_TEXT (refusal ? d->ground : ""),
                                    STORE_TEXT (refusal ? d->motivation : ""),
                                    STORE_TEXT (d->withhold), STORE_INT (now_ms),
                                    STORE_INT (log_index)),
                      "record the kernpartij's decision", reason) < 0
               ? -1
               : 0;
}

static int
s_index_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(uint64_t *) arg = (uint64_t) sqlite3_column_int64 (q, 0);
    return 0;
}

int
request_decision_find (request_t *self, const uint8_t message_id[KT_ID_LEN], uint64_t *log_index_p,
                       kt_reason_t *reason)
{
    return store_one (self->db, "SELECT log_index FROM request_decision WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN)), s_index_row, log_index_p,
                      "find the kernpartij's decision", reason);
}

typedef struct {
    request_decision_fn *fn;
    void *arg;
} s_dvisit_t;

static int
s_decision_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    s_dvisit_t *v = arg;
    request_decision_t d = {.request_id = store_text (q, 0),
                            .node = store_text (q, 1),
                            .os_user = store_text (q, 2),
                            .outcome = store_text (q, 3),
                            .ground = store_text (q, 4),
                            .motivation = store_text (q, 5),
                            .withhold = store_text (q, 6)};
    return v->fn (v->arg, &d, (uint64_t) sqlite3_column_int64 (q, 7),
                  (uint64_t) sqlite3_column_int64 (q, 8), reason);
}

int
request_decision_latest (request_t *self, const char *id, request_decision_fn *fn, void *arg,
                         kt_reason_t *reason)
{
    s_dvisit_t v = {fn, arg};
    return store_one (self->db,
                      "SELECT request_id, node, os_user, outcome, ground, motivation, withhold,"
                      " decided_ms, log_index FROM request_decision WHERE request_id=?"
                      " ORDER BY rowid DESC LIMIT 1",
                      STORE_VALUES (STORE_TEXT (id)), s_decision_row, &v,
                      "read the kernpartij's decision", reason);
}

/* ---- forgetting (art. 13) ------------------------------------------------ */

int
request_forget_case (request_t *self, const char *case_ref, kt_reason_t *reason)
{
    /*  The request's own texts, then its decisions' (a text already
     *  empty stays so: an answer had no motivation). */
    static const char *const sql[] = {
        "UPDATE request SET identity_how=?2 WHERE case_ref=?1 AND identity_how<>?2",
        "UPDATE request SET motivation=?2 WHERE case_ref=?1 AND motivation NOT IN ('', ?2)",
        ("UPDATE request_decision SET motivation=?2 WHERE motivation NOT IN ('', ?2)"
         " AND request_id IN (SELECT id FROM request WHERE case_ref=?1)"),
    };
    if (!case_ref || !*case_ref)
        return kt_fail (reason, "no case_ref to forget");
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (store_run_all (self->db, sql, sizeof sql / sizeof sql[0],
                       STORE_VALUES (STORE_TEXT (case_ref), STORE_TEXT (REQUEST_FORGOTTEN)),
                       "forget the requests' texts", reason) != 0 ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    /*  The pages secure_delete overwrote reach the file, and the -wal
     *  that held the texts is cut to nothing. */
    return store_checkpoint (self->db, "requests.db", reason);
}

int
request_relink (request_t *self, const char *gone, const char *keep, kt_reason_t *reason)
{
    return store_run (self->db, "UPDATE request SET case_ref=?2 WHERE case_ref=?1 AND state='open'",
                      STORE_VALUES (STORE_TEXT (gone), STORE_TEXT (keep)),
                      "link the requests to the subject kept", reason) < 0
               ? -1
               : 0;
}

int
request_each_kept_case (request_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (
        self->db,
        "SELECT DISTINCT case_ref FROM request r WHERE case_ref<>'' AND (identity_how<>?1"
        " OR motivation NOT IN ('', ?1) OR EXISTS (SELECT 1 FROM request_decision d"
        " WHERE d.request_id=r.id AND d.motivation NOT IN ('', ?1)))",
        STORE_VALUES (STORE_TEXT (REQUEST_FORGOTTEN)), fn, arg, "list the requests' subjects",
        reason);
}
