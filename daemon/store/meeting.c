/*  meeting: weegploeg and casusoverleg meetings and their agendas
 *  (art. 8.2-8.4, 9-10).  */
#include "meeting.h"

#include "calendar.h"
#include "decision.h"
#include "intake.h"
#include "keys.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MEETING_DEFAULT_MIN 120
#define MEETING_MAX_MIN 720

typedef struct {
    char recipient[KEYS_ID_MAX + 1];
    bool has_items;
} round_t;

struct _meeting_t {
    weegploeg_t *weegploeg;
    sqlite3 *db;
    /*  The recipients of the last compose, for meeting_mark_sent. */
    char round_meeting[MEETING_ID_LEN];
    uint32_t round_sequence;
    round_t *round;
    size_t n_round;
};

static const char *const s_migrations[] = {
    /*  sent_sequence < sequence: a version recorded but not yet handed
     *  over for delivery (resumed at start). */
    "CREATE TABLE meeting (meeting_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL,"
    " sent_sequence INTEGER NOT NULL DEFAULT -1, starts_at TEXT NOT NULL,"
    " duration_min INTEGER NOT NULL, location TEXT NOT NULL, cancelled INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, updated_uid INTEGER NOT NULL);"
    "CREATE TABLE meeting_item (meeting_id TEXT NOT NULL REFERENCES meeting (meeting_id),"
    " position INTEGER NOT NULL, case_ref TEXT NOT NULL, PRIMARY KEY (meeting_id, position));"
    /*  Who received which version, and whether it carried items for them:
     *  a recipient that had items and has none now is sent a cancellation. */
    "CREATE TABLE meeting_recipient (meeting_id TEXT NOT NULL, recipient TEXT NOT NULL,"
    " sequence INTEGER NOT NULL, has_items INTEGER NOT NULL,"
    " PRIMARY KEY (meeting_id, recipient));",
    /*  Casusoverleg meetings live in the same table: one id space, one
     *  calendar UID per meeting whatever its kind. */
    "ALTER TABLE meeting ADD COLUMN kind TEXT NOT NULL DEFAULT 'weegploeg';",
    /*  art. 7.4 sub 1: subjects due on the next weegploeg agenda (a
     *  kernpartij answered the weegploeg's question) and not on one yet. */
    "CREATE TABLE meeting_due (case_ref TEXT PRIMARY KEY, since_ms INTEGER NOT NULL);",
};

const char *
meeting_kind_name (meeting_kind_t kind)
{
    return kind == MEETING_CASUSOVERLEG ? "casusoverleg" : "weegploeg";
}

meeting_t *
meeting_new (weegploeg_t *weegploeg, kt_reason_t *reason)
{
    meeting_t *self = store_module_new (sizeof *self, weegploeg_db (weegploeg), "meeting",
                                        STORE_MIGRATIONS (s_migrations), reason);
    if (self) {
        self->weegploeg = weegploeg;
        self->db = weegploeg_db (weegploeg);
    }
    return self;
}

void
meeting_destroy (meeting_t **self_p)
{
    meeting_t *self = *self_p;
    if (!self)
        return;
    free (self->round);
    free (self);
    *self_p = NULL;
}

/*  YYYY-MM-DDTHH:MM naming a real minute (no 31 February, no 24:00,
 *  2000 on) of Dutch time: not one the spring change skips.  The same
 *  check as a receiving node's (agendabox_check). */
static int
s_check_starts_at (const char *s, kt_reason_t *reason)
{
    return kt_local_start_check ("starts_at", s, reason);
}

/*  A casusoverleg agenda takes open cases only: a closed case has no
 *  casusoverleg left to meet about (art. 9.4). */
static int
s_check_casus (casusoverleg_t *casus, const char *case_ref, kt_reason_t *reason)
{
    casus_info_t info;
    if (!casus)
        return kt_fail (reason, "this node keeps no casusoverleg file");
    if (casusoverleg_case (casus, case_ref, &info, NULL, reason) != 0)
        return -1;
    if (info.closed)
        return kt_fail (reason, "case %s is closed; a casusoverleg agenda takes open cases only",
                        case_ref);
    return 0;
}

static int
s_count_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

/*  The signals and answers case_ref's weegploeg item would carry. */
static int64_t
s_item_size (meeting_t *self, const char *case_ref, kt_reason_t *reason)
{
    int answers = store_has_table (self->db, "decision_answer", reason);
    if (answers < 0)
        return -1;
    int64_t n = 0;
    if (store_one (self->db,
                   answers ? "SELECT (SELECT count(*) FROM signal WHERE case_ref=?1)"
                             " + (SELECT count(*) FROM decision_answer WHERE case_ref=?1)"
                           : "SELECT count(*) FROM signal WHERE case_ref=?1",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_count_row, &n,
                   "count the subject's signals", reason) < 0)
        return -1;
    return n;
}

static int
s_check_cases (meeting_t *self, casusoverleg_t *casus, const meeting_change_t *c,
               kt_reason_t *reason)
{
    bool casusoverleg = c->kind == MEETING_CASUSOVERLEG;
    if (c->n_case_refs < 1 || c->n_case_refs > MEETING_MAX_ITEMS)
        return kt_fail (reason, "a %s agenda has 1..%d %s, not %zu", meeting_kind_name (c->kind),
                        MEETING_MAX_ITEMS, casusoverleg ? "cases" : "subjects", c->n_case_refs);
    for (size_t i = 0; i < c->n_case_refs; i++) {
        if (!weegploeg_case_ref_ok (c->case_refs[i]))
            return kt_fail (reason, "case_ref %zu is not of the form k-<16 hex digits>", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp (c->case_refs[i], c->case_refs[j]) == 0)
                return kt_fail (reason, "case_ref %s is listed twice", c->case_refs[i]);
        if (casusoverleg && s_check_casus (casus, c->case_refs[i], reason) != 0)
            return -1;
        /*  Both kinds take the subject's name from the weegploeg file. */
        int known = weegploeg_subject_state (self->weegploeg, c->case_refs[i], reason);
        if (known <= 0)
            return known < 0 ? -1
                             : kt_fail (reason, "no subject with case_ref %s in the weegploeg file",
                                        c->case_refs[i]);
        /*  art. 13.2: archived data is out of every agenda. */
        if (known == WEEGPLOEG_SUBJECT_ARCHIVED)
            return kt_fail (reason,
                            "case_ref %s is archived (art. 13.2) and cannot be put on an agenda; "
                            "only a kernpartij can have it reopened (art. 13.4)",
                            c->case_refs[i]);
        int64_t size = casusoverleg ? 0 : s_item_size (self, c->case_refs[i], reason);
        if (size < 0)
            return -1;
        if (size > MEETING_MAX_SIGNALS)
            return kt_fail (reason,
                            "%s has %lld signals and answers; an agenda item carries at most %d, "
                            "which every kernpartij's node refuses to exceed",
                            c->case_refs[i], (long long) size, MEETING_MAX_SIGNALS);
    }
    return 0;
}

static int
s_check_change (meeting_t *self, casusoverleg_t *casus, const meeting_change_t *c,
                kt_reason_t *reason)
{
    if (c->starts_at && s_check_starts_at (c->starts_at, reason) != 0)
        return -1;
    if (c->duration_min > MEETING_MAX_MIN)
        return kt_fail (reason, "duration must be 1..%d minutes", MEETING_MAX_MIN);
    if (c->location &&
        (!keys_valid_name (c->location) || strlen (c->location) > MEETING_LOCATION_MAX))
        return kt_fail (reason,
                        "location must be 1..%d bytes of UTF-8 without control "
                        "characters or '\"'",
                        MEETING_LOCATION_MAX);
    if (c->set_cases && s_check_cases (self, casus, c, reason) != 0)
        return -1;
    if (!c->meeting_id) {
        if (c->cancel)
            return kt_fail (reason, "only a planned meeting can be cancelled");
        /*  A new weegploeg meeting takes the subjects due without being
         *  named (meeting_change checks that it has some). */
        if (!c->starts_at || !c->location || (!c->set_cases && c->kind != MEETING_WEEGPLOEG))
            return kt_fail (reason, "a new meeting needs a start, a location and subjects");
    }
    return 0;
}

static int
s_write_items (meeting_t *self, const char *id, const meeting_change_t *c, kt_reason_t *reason)
{
    if (store_run (self->db, "DELETE FROM meeting_item WHERE meeting_id=?",
                   STORE_VALUES (STORE_TEXT (id)), "store the meeting", reason) < 0)
        return -1;
    for (size_t i = 0; i < c->n_case_refs; i++)
        if (store_run (self->db,
                       "INSERT INTO meeting_item (meeting_id, position, case_ref) VALUES (?,?,?)",
                       STORE_VALUES (STORE_TEXT (id), STORE_INT (i), STORE_TEXT (c->case_refs[i])),
                       "store the agenda", reason) < 0)
            return -1;
    /*  A subject put on a weegploeg agenda is no longer due. */
    if (c->kind == MEETING_WEEGPLOEG &&
        store_run (self->db,
                   "DELETE FROM meeting_due WHERE case_ref IN"
                   " (SELECT case_ref FROM meeting_item WHERE meeting_id=?)",
                   STORE_VALUES (STORE_TEXT (id)), "clear the subjects due", reason) < 0)
        return -1;
    return 0;
}

/* ---- subjects due (art. 7.4 sub 1) --------------------------------------- */

static int s_write_meeting (meeting_t *self, const meeting_change_t *c, const char *id, bool is_new,
                            uint32_t *sequence_p, kt_reason_t *reason);

typedef struct {
    char (*refs)[24];
    size_t n, max;
} due_t;

static int
s_due_row (void *arg, const char *text, kt_reason_t *reason)
{
    (void) reason;
    due_t *d = arg;
    snprintf (d->refs[d->n++], 24, "%s", text);
    return d->n < d->max ? 0 : 1;
}

/*  Put the subjects due (active ones) on meeting id's items, those not on
 *  it yet appended (at most MEETING_MAX_ITEMS in all), and clear their
 *  marks, inside the caller's transaction: how many due subjects the
 *  meeting now holds - one already on it counts too, as its copies must
 *  be sent again with the answer - or -1. */
static int
s_append_due (meeting_t *self, const char *id, kt_reason_t *reason)
{
    int64_t have = 0;
    if (store_one (self->db, "SELECT count(*) FROM meeting_item WHERE meeting_id=?",
                   STORE_VALUES (STORE_TEXT (id)), s_count_row, &have, "read the agenda",
                   reason) < 0)
        return -1;
    char refs[MEETING_MAX_ITEMS][24];
    due_t d = {refs, 0, (size_t) (MEETING_MAX_ITEMS - (have < MEETING_MAX_ITEMS ? have : 0))};
    if (have < MEETING_MAX_ITEMS &&
        store_each_text (self->db,
                         "SELECT d.case_ref FROM meeting_due d JOIN subject s"
                         " ON s.case_ref=d.case_ref WHERE s.archived=0 AND d.case_ref NOT IN"
                         " (SELECT case_ref FROM meeting_item WHERE meeting_id=?)"
                         " ORDER BY d.since_ms, d.case_ref",
                         STORE_VALUES (STORE_TEXT (id)), s_due_row, &d, "list the subjects due",
                         reason) != 0)
        return -1;
    for (size_t i = 0; i < d.n; i++)
        if (store_run (self->db,
                       "INSERT INTO meeting_item (meeting_id, position, case_ref) VALUES"
                       " (?1, (SELECT coalesce (max (position), -1) + 1 FROM meeting_item"
                       " WHERE meeting_id=?1), ?2)",
                       STORE_VALUES (STORE_TEXT (id), STORE_TEXT (refs[i])), "store the agenda",
                       reason) < 0)
            return -1;
    int placed = store_run (self->db,
                            "DELETE FROM meeting_due WHERE case_ref IN"
                            " (SELECT case_ref FROM meeting_item WHERE meeting_id=?)",
                            STORE_VALUES (STORE_TEXT (id)), "clear the subjects due", reason);
    return placed < 0 ? -1 : placed;
}

/*  Whether starts_at (Dutch time) is still to come. */
static bool
s_to_come (const char *starts_at)
{
    char now[17];
    kt_local_time (kt_now_ms (), now);
    now[10] = 'T';
    return strcmp (starts_at, now) > 0;
}

int
meeting_mark_due (meeting_t *self, const char *case_ref, uint64_t now_ms, kt_reason_t *reason)
{
    return store_run (self->db,
                      "INSERT OR IGNORE INTO meeting_due (case_ref, since_ms) VALUES (?,?)",
                      STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (now_ms)),
                      "mark the subject due", reason) < 0
               ? -1
               : 0;
}

int
meeting_each_due (meeting_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (self->db,
                            "SELECT d.case_ref FROM meeting_due d JOIN subject s"
                            " ON s.case_ref=d.case_ref WHERE s.archived=0"
                            " ORDER BY d.since_ms, d.case_ref",
                            NULL, fn, arg, "list the subjects due", reason);
}

static int
s_text_row (void *arg, const char *text, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, MEETING_ID_LEN, "%s", text);
    return 1;
}

int
meeting_place_due (meeting_t *self, uint64_t now_ms, uint32_t uid, char meeting_id[MEETING_ID_LEN],
                   uint32_t *sequence_p, kt_reason_t *reason)
{
    char now[17];
    kt_local_time (now_ms, now);
    now[10] = 'T';
    *meeting_id = '\0';
    if (store_begin (self->db, reason) != 0)
        return -1;
    /*  The earliest weegploeg meeting still to come, not cancelled. */
    int rc = store_each_text (self->db,
                              "SELECT meeting_id FROM meeting WHERE kind='weegploeg' AND"
                              " cancelled=0 AND starts_at > ? ORDER BY starts_at, created_ms"
                              " LIMIT 1",
                              STORE_VALUES (STORE_TEXT (now)), s_text_row, meeting_id,
                              "find the next weegploeg meeting", reason);
    int added = rc == 0 && *meeting_id ? s_append_due (self, meeting_id, reason) : rc == 0 ? 0 : -1;
    if (added > 0) {
        meeting_change_t c = {.kind = MEETING_WEEGPLOEG, .uid = uid};
        added = s_write_meeting (self, &c, meeting_id, false, sequence_p, reason) == 0 ? added : -1;
    }
    if (added < 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return added > 0 ? 1 : 0;
}

static int
s_sequence_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(uint32_t *) arg = (uint32_t) sqlite3_column_int64 (q, 0);
    return 0;
}

/*  Insert a new meeting or update an existing one (bumping its sequence),
 *  inside the caller's transaction. */
static int
s_write_meeting (meeting_t *self, const meeting_change_t *c, const char *id, bool is_new,
                 uint32_t *sequence_p, kt_reason_t *reason)
{
    uint64_t now = kt_now_ms ();
    if (is_new) {
        *sequence_p = 0;
        uint32_t minutes = c->duration_min ? c->duration_min : MEETING_DEFAULT_MIN;
        return store_run (self->db,
                          "INSERT INTO meeting (meeting_id, sequence, starts_at, duration_min,"
                          " location, cancelled, created_ms, updated_ms, updated_uid, kind)"
                          " VALUES (?1, 0, ?2, ?3, ?4, 0, ?5, ?5, ?6, ?7)",
                          STORE_VALUES (STORE_TEXT (id), STORE_TEXT (c->starts_at),
                                        STORE_INT (minutes), STORE_TEXT (c->location),
                                        STORE_INT (now), STORE_INT (c->uid),
                                        STORE_TEXT (meeting_kind_name (c->kind))),
                          "store the meeting", reason) < 0
                   ? -1
                   : 0;
    }
    int found = store_one (
        self->db,
        "UPDATE meeting SET sequence=sequence+1, starts_at=coalesce(?2, starts_at),"
        " duration_min=coalesce(?3, duration_min), location=coalesce(?4, location),"
        " cancelled=?7, updated_ms=?5, updated_uid=?6 WHERE meeting_id=?1 AND cancelled=0"
        " RETURNING sequence",
        STORE_VALUES (STORE_TEXT (id), STORE_TEXT (c->starts_at),
                      c->duration_min ? STORE_INT (c->duration_min) : STORE_NULL,
                      STORE_TEXT (c->location), STORE_INT (now), STORE_INT (c->uid),
                      STORE_INT (c->cancel ? 1 : 0)),
        s_sequence_row, sequence_p, "store the meeting", reason);
    if (found == 0)
        return kt_fail (reason, "meeting %.24s is not planned, or was cancelled", id);
    return found < 0 ? -1 : 0;
}

/*  A meeting is changed through the command of its own kind only, so a
 *  weegploeg agenda never turns into a casusoverleg agenda (whose
 *  recipients differ) or back. */
static int
s_kind_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    const char *kind = store_text (q, 0);
    if (strcmp (kind, meeting_kind_name (*(const meeting_kind_t *) arg)) != 0)
        return kt_fail (reason, "meeting %s is a %s meeting; change it with `keten %s agenda`",
                        (const char *) sqlite3_column_text (q, 1), kind, kind);
    return 0;
}

static int
s_check_kind (meeting_t *self, const char *id, meeting_kind_t kind, kt_reason_t *reason)
{
    return store_one (self->db, "SELECT kind, meeting_id FROM meeting WHERE meeting_id=?",
                      STORE_VALUES (STORE_TEXT (id)), s_kind_row, &kind, "read the meeting",
                      reason) < 0
               ? -1
               : 0;
}

int
meeting_change (meeting_t *self, casusoverleg_t *casus, const meeting_change_t *c,
                char meeting_id[MEETING_ID_LEN], uint32_t *sequence_p, kt_reason_t *reason)
{
    if (s_check_change (self, casus, c, reason) != 0)
        return -1;
    bool is_new = c->meeting_id == NULL;
    if (is_new) {
        uint8_t rnd[8];
        char hex[17];
        kt_random_buf (rnd, sizeof rnd);
        snprintf (meeting_id, MEETING_ID_LEN, "w-%s", kt_hex (hex, rnd, sizeof rnd));
    } else {
        if (strlen (c->meeting_id) != MEETING_ID_LEN - 1 || strncmp (c->meeting_id, "w-", 2) != 0)
            return kt_fail (reason, "meeting id must be of the form w-<16 hex digits>");
        snprintf (meeting_id, MEETING_ID_LEN, "%s", c->meeting_id);
        if (s_check_kind (self, meeting_id, c->kind, reason) != 0)
            return -1;
    }
    if (store_begin (self->db, reason) != 0)
        return -1;
    int due = 0;
    if (s_write_meeting (self, c, meeting_id, is_new, sequence_p, reason) != 0 ||
        (c->set_cases && s_write_items (self, meeting_id, c, reason) != 0) ||
        /*  art. 7.4 sub 1: a new weegploeg meeting still to come takes
         *  every subject due (one planned afterwards, to record a meeting
         *  held, does not). */
        (is_new && c->kind == MEETING_WEEGPLOEG && s_to_come (c->starts_at) &&
         (due = s_append_due (self, meeting_id, reason)) < 0) ||
        (is_new && !c->set_cases && due == 0 &&
         kt_fail (reason, "a new meeting needs a start, a location and subjects (none is due)")) ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

int
meeting_renew (meeting_t *self, const char *meeting_id, uint32_t uid, uint32_t *sequence_p,
               kt_reason_t *reason)
{
    meeting_change_t c = {.kind = MEETING_WEEGPLOEG, .uid = uid};
    if (store_begin (self->db, reason) != 0)
        return -1;
    int open =
        store_one (self->db,
                   "SELECT 1 FROM meeting WHERE meeting_id=? AND kind='weegploeg'"
                   " AND cancelled=0",
                   STORE_VALUES (STORE_TEXT (meeting_id)), NULL, NULL, "read the meeting", reason);
    if (open < 0 ||
        (open > 0 && s_write_meeting (self, &c, meeting_id, false, sequence_p, reason) != 0) ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return open > 0 ? 1 : 0;
}

/* ---- composing the copies ------------------------------------------------ */

/*  One subject on the agenda, decrypted for this compose only. */
typedef struct {
    weegploeg_case_signal_t *signals;
    size_t n_signals;
    Keten__Subject subject; /* without BSN */
    Keten__AgendaSignal *asig;
    Keten__AgendaSignal **asig_p;
    Keten__AgendaItem item;
    const char *municipality; /* of residence, for data minimisation */
    casus_info_t info;        /* casusoverleg: who takes part */
    Keten__AgendaItem bare;   /* casusoverleg, externe casuspartner: case_ref only */
    /*  casusoverleg, casuspartij: the subject as signals other than art.
     *  9/10 Wpg ones give it (art. 6b), or bare when only those do. */
    Keten__Subject wpg_free_subject;
    Keten__AgendaItem wpg_free;
    /*  art. 7.4 sub 1: the answers to the weegploeg's questions, after
     *  the signals, each with the day it arrived. */
    decision_answer_t *answers;
    size_t n_answers;
    char (*answered_on)[17];
} case_t;

typedef struct {
    meeting_kind_t kind;
    char starts_at[17];
    char location[MEETING_LOCATION_MAX + 1];
    uint32_t duration_min, sequence;
    bool cancelled;
    case_t *cases;
    size_t n_cases;
} loaded_t;

static void
s_loaded_free (loaded_t *l)
{
    for (size_t i = 0; i < l->n_cases; i++) {
        for (size_t j = 0; l->cases[i].asig && j < l->cases[i].n_signals + l->cases[i].n_answers;
             j++) {
            free (l->cases[i].asig[j].items);
            free (l->cases[i].asig[j].item_index);
        }
        weegploeg_case_free (l->cases[i].signals, l->cases[i].n_signals);
        decision_answers_free (l->cases[i].answers, l->cases[i].n_answers);
        free (l->cases[i].answered_on);
        free (l->cases[i].asig);
        free (l->cases[i].asig_p);
    }
    free (l->cases);
    memset (l, 0, sizeof *l);
}

/*  art. 7.4 sub 1: each answer of a kernpartij asked for more information
 *  goes on the agenda next to the signals, as additional information
 *  (source_kind "aanvulling") from the party that answered, with the
 *  items the weegploeg may see under their legal basis. */
static int
s_build_answers (case_t *c, kt_reason_t *reason)
{
    for (size_t i = 0; i < c->n_answers; i++) {
        const Keten__CaseContribution *x = c->answers[i].answer;
        Keten__AgendaSignal *a = &c->asig[c->n_signals + i];
        keten__agenda_signal__init (a);
        kt_local_time (c->answers[i].received_ms, c->answered_on[i]);
        c->answered_on[i][10] = '\0';
        a->sender = c->answers[i].sender;
        a->category = "aanvulling";
        a->observed_on = c->answered_on[i];
        a->source_kind = "aanvulling";
        a->description = "";
        a->legal_basis = x->legal_basis;
        a->message_id.data = c->answers[i].message_id;
        a->message_id.len = KT_ID_LEN;
        a->items = calloc (x->n_items ? x->n_items : 1, sizeof *a->items);
        a->item_index = calloc (x->n_items ? x->n_items : 1, sizeof *a->item_index);
        if (!a->items || !a->item_index)
            return kt_fail (reason, "out of memory");
        for (size_t k = 0; k < x->n_items; k++) {
            const char *basis =
                *x->items[k]->legal_basis ? x->items[k]->legal_basis : x->legal_basis;
            if (x->items[k]->blocked || x->items[k]->deleted ||
                !intake_basis_allows (basis, INTAKE_PURPOSE_WEEGPLOEG))
                continue;
            a->item_index[a->n_item_index++] = (uint32_t) k;
            a->items[a->n_items++] = x->items[k];
            /*  The answer's flags are its items': a health or criminal
             *  item is handled as such by who reads it (its legal basis
             *  travels with it). */
            a->special_category |= x->items[k]->special_category ||
                                   x->items[k]->kind == KETEN__ITEM_KIND__DIAGNOSIS;
            a->criminal_data |= x->items[k]->criminal_data;
        }
        c->asig_p[c->n_signals + i] = a;
    }
    return 0;
}

/*  Build the agenda item of one subject from its stored signals: the NAW
 *  of the newest signal (the current address), every signal's details,
 *  and never the melder (who reported is not needed to weigh).  A
 *  casusoverleg item carries the case_ref and the subject's name, birth
 *  date and municipality only: the participants hold the case itself
 *  (the plan, contributions); the agenda only says which case is on. */
static int
s_build_case (meeting_t *self, casusoverleg_t *casus, meeting_kind_t kind, case_t *c,
              const char *case_ref, kt_reason_t *reason)
{
    keten__agenda_item__init (&c->bare);
    c->bare.case_ref = (char *) case_ref;
    if (kind == MEETING_CASUSOVERLEG &&
        (!casus || casusoverleg_case (casus, case_ref, &c->info, NULL, reason) != 0))
        return casus ? -1 : kt_fail (reason, "this node keeps no casusoverleg file");
    if (weegploeg_read_case (self->weegploeg, case_ref, &c->signals, &c->n_signals, reason) != 0)
        return -1;
    if (c->n_signals == 0)
        return kt_fail (reason, "case %s has no signals in the weegploeg file", case_ref);
    if (kind == MEETING_WEEGPLOEG &&
        decision_answers_read (self->weegploeg, case_ref, &c->answers, &c->n_answers, reason) != 0)
        return -1;
    if (kind == MEETING_WEEGPLOEG && c->n_signals + c->n_answers > MEETING_MAX_SIGNALS)
        return kt_fail (reason,
                        "%s has %zu signals and answers; an agenda item carries at most %d, "
                        "which every kernpartij's node refuses to exceed",
                        case_ref, c->n_signals + c->n_answers, MEETING_MAX_SIGNALS);
    c->asig = calloc (c->n_signals + c->n_answers, sizeof *c->asig);
    c->asig_p = calloc (c->n_signals + c->n_answers, sizeof *c->asig_p);
    c->answered_on = calloc (c->n_answers + 1, sizeof *c->answered_on);
    if (!c->asig || !c->asig_p || !c->answered_on)
        return kt_fail (reason, "out of memory");
    const Keten__Subject *newest = c->signals[c->n_signals - 1].signal->subject;
    keten__subject__init (&c->subject);
    c->subject.name = newest->name;
    c->subject.birth_date = newest->birth_date;
    c->subject.address = newest->address;
    c->subject.municipality = newest->municipality;
    c->municipality = newest->municipality;
    keten__agenda_item__init (&c->item);
    c->item.case_ref = (char *) case_ref;
    c->item.subject = &c->subject;
    if (kind == MEETING_CASUSOVERLEG) {
        c->subject.address = ""; /* not needed to know which case is on */
        /*  art. 6b, Wpg art. 16 and 18.2: art. 9/10 Wpg data goes to the
         *  college of the gemeente concerned and to the OM only.  A
         *  casuspartij's item takes the subject from the newest signal
         *  that is not art. 9/10 data; with none, the case_ref only. */
        c->wpg_free = c->bare;
        for (size_t i = c->n_signals; i-- > 0;) {
            const Keten__Signal *s = c->signals[i].signal;
            if (s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10)
                continue;
            keten__subject__init (&c->wpg_free_subject);
            c->wpg_free_subject.name = s->subject->name;
            c->wpg_free_subject.birth_date = s->subject->birth_date;
            c->wpg_free_subject.municipality = s->subject->municipality;
            c->wpg_free = c->item;
            c->wpg_free.subject = &c->wpg_free_subject;
            break;
        }
        return 0;
    }
    for (size_t i = 0; i < c->n_signals; i++) {
        const Keten__Signal *s = c->signals[i].signal;
        Keten__AgendaSignal *a = &c->asig[i];
        keten__agenda_signal__init (a);
        a->sender = c->signals[i].sender;
        a->category = s->category;
        a->observed_on = s->observed_on;
        a->source_kind = s->source_kind;
        a->description = s->description;
        a->wpg_basis = s->wpg_basis;
        a->special_category = s->special_category;
        a->criminal_data = s->criminal_data;
        a->legal_basis = s->legal_basis;
        /*  Only items whose legal basis allows the weegploeg
         *  (docs/SIGNAL-FORMAT.md, "Legal bases"). */
        a->items = calloc (s->n_items ? s->n_items : 1, sizeof *a->items);
        a->item_index = calloc (s->n_items ? s->n_items : 1, sizeof *a->item_index);
        if (!a->items || !a->item_index)
            return kt_fail (reason, "out of memory");
        /*  The signal's id and each item's index in it: what a
         *  correction (art. 12.5) names. */
        a->message_id.data = c->signals[i].message_id;
        a->message_id.len = KT_ID_LEN;
        for (size_t k = 0; k < s->n_items; k++) {
            const char *basis =
                *s->items[k]->legal_basis ? s->items[k]->legal_basis : s->legal_basis;
            /*  A blocked or deleted item (art. 12.5) goes nowhere. */
            if (s->items[k]->blocked || s->items[k]->deleted)
                continue;
            if (intake_basis_allows (basis, INTAKE_PURPOSE_WEEGPLOEG)) {
                a->item_index[a->n_item_index++] = (uint32_t) k;
                a->items[a->n_items++] = s->items[k];
            }
        }
        c->asig_p[i] = a;
    }
    if (s_build_answers (c, reason) != 0)
        return -1;
    c->item.n_signals = c->n_signals + c->n_answers;
    c->item.signals = c->asig_p;
    return 0;
}

static int
s_loaded_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    loaded_t *l = arg;
    l->sequence = (uint32_t) sqlite3_column_int64 (q, 0);
    snprintf (l->starts_at, sizeof l->starts_at, "%s", store_text (q, 1));
    l->duration_min = (uint32_t) sqlite3_column_int (q, 2);
    snprintf (l->location, sizeof l->location, "%s", store_text (q, 3));
    l->cancelled = sqlite3_column_int (q, 4) != 0;
    l->kind =
        strcmp (store_text (q, 5), "casusoverleg") == 0 ? MEETING_CASUSOVERLEG : MEETING_WEEGPLOEG;
    return 0;
}

typedef struct {
    char (*refs)[24];
    size_t *n;
} loading_refs_t;

static int
s_ref_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    loading_refs_t *lr = arg;
    snprintf (lr->refs[(*lr->n)++], 24, "%s", store_text (q, 0));
    return *lr->n < MEETING_MAX_ITEMS ? 0 : 1;
}

static int
s_load (meeting_t *self, casusoverleg_t *casus, const char *id, loaded_t *l, char (**refs_p)[24],
        kt_reason_t *reason)
{
    memset (l, 0, sizeof *l);
    int found =
        store_one (self->db,
                   "SELECT sequence, starts_at, duration_min, location, cancelled, kind"
                   " FROM meeting WHERE meeting_id=?",
                   STORE_VALUES (STORE_TEXT (id)), s_loaded_row, l, "read the meeting", reason);
    if (found <= 0)
        return found < 0 ? -1 : kt_fail (reason, "no meeting %.24s", id);

    char (*refs)[24] = calloc (MEETING_MAX_ITEMS, sizeof *refs);
    l->cases = calloc (MEETING_MAX_ITEMS, sizeof *l->cases);
    if (!refs || !l->cases) {
        free (refs);
        return kt_fail (reason, "out of memory");
    }
    *refs_p = refs;
    if (l->cancelled)
        return 0; /* a cancellation carries no items: nothing to decrypt */
    loading_refs_t lr = {refs, &l->n_cases};
    /*  art. 13.2: a subject archived since the version was recorded is
     *  left out of the copies composed now (a destroyed one has no item
     *  left at all). */
    /*  Nor a subject whose signals were all withdrawn or deleted since
     *  (art. 7.2a, 12.5): there is nothing of it left to put on. */
    if (store_each (self->db,
                    "SELECT case_ref FROM meeting_item WHERE meeting_id=? AND case_ref NOT IN"
                    " (SELECT case_ref FROM subject WHERE archived=1) AND case_ref IN"
                    " (SELECT case_ref FROM signal) ORDER BY position",
                    store_bind_values, (void *) STORE_VALUES (STORE_TEXT (id)), s_ref_row, &lr,
                    "read the agenda", reason) != 0)
        return -1;
    for (size_t i = 0; i < l->n_cases; i++)
        if (s_build_case (self, casus, l->kind, &l->cases[i], refs[i], reason) != 0)
            return -1;
    return 0;
}

static int
s_had_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(bool *) arg = sqlite3_column_int (q, 0) != 0;
    return 0;
}

static bool
s_had_items (meeting_t *self, const char *id, const char *recipient)
{
    bool had = false;
    kt_reason_t reason;
    if (store_one (self->db,
                   "SELECT has_items FROM meeting_recipient WHERE meeting_id=? AND recipient=?",
                   STORE_VALUES (STORE_TEXT (id), STORE_TEXT (recipient)), s_had_row, &had,
                   "read the meeting's recipients", &reason) < 0) {
        kt_log (KT_LOG_WARN, "meeting recipients_unread reason=\"%s\"", reason.text);
        return true; /* unsure: a cancellation too many is harmless */
    }
    return had;
}

/*  The items of l that member to may receive, into items; 0 when none. */
static size_t
s_items_for (loaded_t *l, const roster_member_t *to, Keten__AgendaItem **items)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n_cases; i++) {
        case_t *c = &l->cases[i];
        if (l->kind == MEETING_WEEGPLOEG) {
            /*  art. 8.4, 6b: kernpartijen only; a gemeente its residents. */
            if (to->role == ROLE_KERNPARTIJ && weegploeg_kernpartij_sees (to, c->municipality))
                items[n++] = &c->item;
        } else if (casus_info_has (&c->info, to->id)) {
            /*  art. 10.5: an externe casuspartner gets the case_ref only;
             *  art. 6b: a casuspartij no art. 9/10 Wpg data. */
            items[n++] = to->role == ROLE_EXTERN        ? &c->bare
                         : to->role == ROLE_CASUSPARTIJ ? &c->wpg_free
                                                        : &c->item;
        }
    }
    return n;
}

int
meeting_compose (meeting_t *self, casusoverleg_t *casus, const roster_t *roster,
                 const char *meeting_id, uint64_t now_ms, meeting_send_fn *fn, void *arg,
                 kt_reason_t *reason)
{
    loaded_t l = {0};
    char (*refs)[24] = NULL;
    Keten__AgendaItem **items = NULL;
    round_t *round = calloc (roster->member_count, sizeof *round);
    size_t n_round = 0;
    int rc = round ? s_load (self, casus, meeting_id, &l, &refs, reason)
                   : kt_fail (reason, "out of memory");
    if (rc == 0 && !(items = calloc (MEETING_MAX_ITEMS, sizeof *items)))
        rc = kt_fail (reason, "out of memory");
    for (size_t m = 0; rc == 0 && m < roster->member_count; m++) {
        const roster_member_t *to = &roster->members[m];
        if (to->role == ROLE_UITVOERDER || !roster_member_active (to, now_ms))
            continue;
        size_t n_items = s_items_for (&l, to, items);
        /*  A member that is no kernpartij any more (its kind changed)
         *  gets no weegploeg agenda, not even a cancellation: its node
         *  dropped the meeting from its calendar itself (docs/ROSTER.md,
         *  "A member's kind changes"). */
        bool had = (l.kind != MEETING_WEEGPLOEG || to->role == ROLE_KERNPARTIJ) &&
                   s_had_items (self, meeting_id, to->id);
        if (n_items == 0 && !had)
            continue; /* never concerned: this member does not hear of it */
        Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
        a.meeting_id = (char *) meeting_id;
        a.sequence = l.sequence;
        a.cancelled = l.cancelled || n_items == 0;
        a.starts_at = l.starts_at;
        a.duration_min = l.duration_min;
        a.location = l.location;
        a.n_items = a.cancelled ? 0 : n_items;
        a.items = items;
        a.issued_ms = now_ms;
        a.kind = l.kind == MEETING_CASUSOVERLEG ? KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG
                                                : KETEN__WEEGPLOEG_AGENDA__KIND__WEEGPLOEG;
        rc = fn (arg, to, &a, reason);
        snprintf (round[n_round].recipient, sizeof round[n_round].recipient, "%s", to->id);
        round[n_round++].has_items = !a.cancelled;
    }
    if (rc == 0) {
        free (self->round);
        self->round = round;
        self->n_round = n_round;
        snprintf (self->round_meeting, sizeof self->round_meeting, "%s", meeting_id);
        self->round_sequence = l.sequence;
        round = NULL;
    }
    free (round);
    free (items);
    free (refs);
    s_loaded_free (&l);
    return rc;
}

int
meeting_mark_sent (meeting_t *self, const char *meeting_id, kt_reason_t *reason)
{
    if (strcmp (self->round_meeting, meeting_id) != 0)
        return kt_fail (reason, "meeting %.24s was not composed", meeting_id);
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < self->n_round; i++)
        if (store_run (self->db,
                       "INSERT OR REPLACE INTO meeting_recipient (meeting_id, recipient, sequence,"
                       " has_items) VALUES (?,?,?,?)",
                       STORE_VALUES (STORE_TEXT (meeting_id), STORE_TEXT (self->round[i].recipient),
                                     STORE_INT (self->round_sequence),
                                     STORE_INT (self->round[i].has_items)),
                       "record the recipients", reason) < 0)
            rc = -1;
    if (rc == 0 &&
        store_run (self->db, "UPDATE meeting SET sent_sequence=?2 WHERE meeting_id=?1",
                   STORE_VALUES (STORE_TEXT (meeting_id), STORE_INT (self->round_sequence)),
                   "store the meeting", reason) < 0)
        rc = -1;
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

int
meeting_each_unsent (meeting_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason)
{
    return store_each_text (self->db,
                            "SELECT meeting_id FROM meeting WHERE sent_sequence < sequence", NULL,
                            fn, arg, "list the meetings not sent", reason);
}

int
meeting_each_item (meeting_t *self, const char *meeting_id, store_text_fn *fn, void *arg,
                   kt_reason_t *reason)
{
    return store_each_text (
        self->db, "SELECT case_ref FROM meeting_item WHERE meeting_id=? ORDER BY position",
        STORE_VALUES (STORE_TEXT (meeting_id)), fn, arg, "list the meeting's agenda", reason);
}

typedef struct {
    meeting_recipient_fn *fn;
    void *arg;
} recipient_visit_t;

static int
s_recipient_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    recipient_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), sqlite3_column_int (q, 1) != 0, reason);
}

int
meeting_each_recipient (meeting_t *self, const char *meeting_id, meeting_recipient_fn *fn,
                        void *arg, kt_reason_t *reason)
{
    recipient_visit_t v = {fn, arg};
    return store_each (self->db,
                       "SELECT recipient, has_items FROM meeting_recipient WHERE meeting_id=?"
                       " ORDER BY recipient",
                       store_bind_values, (void *) STORE_VALUES (STORE_TEXT (meeting_id)),
                       s_recipient_row, &v, "list the meeting's recipients", reason);
}

typedef struct {
    meeting_row_fn *fn;
    void *arg;
    meeting_kind_t kind;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    meeting_row_t row = {.meeting_id = store_text (q, 0),
                         .kind = v->kind,
                         .sequence = sqlite3_column_int64 (q, 1),
                         .sent_sequence = sqlite3_column_int64 (q, 2),
                         .starts_at = store_text (q, 3),
                         .duration_min = sqlite3_column_int (q, 4),
                         .location = store_text (q, 5),
                         .cancelled = sqlite3_column_int (q, 6) != 0,
                         .updated_ms = (uint64_t) sqlite3_column_int64 (q, 7)};
    return v->fn (v->arg, &row, reason);
}

int
meeting_each (meeting_t *self, meeting_kind_t kind, int limit, meeting_row_fn *fn, void *arg,
              kt_reason_t *reason)
{
    visit_t v = {fn, arg, kind};
    return store_each (
        self->db,
        "SELECT meeting_id, sequence, sent_sequence, starts_at, duration_min,"
        " location, cancelled, updated_ms FROM meeting WHERE kind=?"
        " ORDER BY starts_at DESC LIMIT ?",
        store_bind_values,
        (void *) STORE_VALUES (STORE_TEXT (meeting_kind_name (kind)), STORE_INT (limit)), s_row, &v,
        "list the meetings", reason);
}
