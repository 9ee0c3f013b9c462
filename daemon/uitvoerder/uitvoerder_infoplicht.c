/*  uitvoerder_infoplicht: the informatieplicht (art. 11.2-11.5) and the
 *  periodic accuracy review (art. 8.3, 10.3) at the uitvoerder.  Each
 *  weegploeg decision opens a task (uitvoerder_decide, in the decision's
 *  own commit); here the uitvoerder records the consultation of the
 *  kernpartijen, the information given or its deferral, and writes the
 *  information letter to the person (art. 14 AVG).  `keten status` shows
 *  the open tasks, the deferrals due for review and the review worklist.
 */
#include "uitvoerder.h"
#include "infoplicht_letter.h"
#include "render.h"

#include <limits.h>
#include <string.h>

/*  Tasks for the decisions recorded before this module existed (an
 *  upgraded file): a decision recorded from now on opens its task in its
 *  own commit, so after this nothing is ever without one. */
static int
s_backfill_row (void *arg, const decision_row_t *row, kt_reason_t *reason)
{
    /*  A meer informatie decision is not art. 11.2's decision (it opens
     *  no task; the decision that follows it does). */
    if (row->meer_informatie)
        return 0;
    return infoplicht_open (arg, row->decision_id, row->case_ref, row->agenderen, row->decided_ms,
                            NULL, reason) == 0
               ? 0
               : -1;
}

int
uitvoerder_infoplicht_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!(u->infoplicht = infoplicht_new (u->weegploeg, reason)) ||
        !(u->review = review_new (u->weegploeg, reason)))
        return -1;
    sqlite3 *db = weegploeg_db (u->weegploeg);
    if (store_begin (db, reason) != 0)
        return -1;
    if (decision_each (u->decision, INT_MAX, s_backfill_row, u->infoplicht, reason) != 0 ||
        store_commit (db, reason) != 0) {
        store_rollback (db);
        return -1;
    }
    return 0;
}

void
uitvoerder_infoplicht_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    infoplicht_destroy (&u->infoplicht);
    review_destroy (&u->review);
}

/* ---- informatieplicht ------------------------------------------------------ */

static json_t *
s_task_json (const infoplicht_row_t *r)
{
    json_t *consulted = json_array ();
    char buf[INFOPLICHT_MAX_CONSULTED * 66];
    snprintf (buf, sizeof buf, "%s", r->consulted);
    for (char *save = NULL, *p = strtok_r (buf, ",", &save); p; p = strtok_r (NULL, ",", &save))
        json_array_append_new (consulted, json_string (p));
    json_t *t = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:I}", "task_id", r->task_id,
                           "decision_id", r->decision_id, "case_ref", r->case_ref, "outcome",
                           r->agenderen ? "agenderen" : "niet-agenderen", "opened_ms",
                           (json_int_t) r->opened_ms, "state", r->state, "consulted", consulted,
                           "deferrals", (json_int_t) r->deferrals);
    if (*r->ground) {
        json_object_set_new (t, "ground", json_string (r->ground));
        json_object_set_new (t, "review_on", json_string (r->review_on));
        json_object_set_new (t, "review_due", json_boolean (r->review_due));
    }
    if (*r->decided_by)
        json_object_set_new (t, "decided_by", json_string (r->decided_by));
    if (*r->informed_on) {
        json_object_set_new (t, "informed_on", json_string (r->informed_on));
        json_object_set_new (t, "informed_by", json_string (r->informed_by));
    }
    return t;
}

static int
s_task_append (void *arg, const infoplicht_row_t *row, kt_reason_t *reason)
{
    return render_append (arg, s_task_json (row), reason);
}

/*  The tasks (due_only: the deferrals due for review); NULL with reason. */
static json_t *
s_tasks (uitvoerder_t *u, bool due_only, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (
        list, infoplicht_each (u->infoplicht, due_only, kt_now_ms (), s_task_append, list, reason));
}

void
uitvoerder_infoplicht_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    kt_reason_t reason;
    render_reply (self->api, caller, "tasks", s_tasks (uitvoerder_of (self), false, &reason),
                  &reason);
}

static int
s_one_row (void *arg, const infoplicht_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    *(json_t **) arg = s_task_json (row);
    return 0;
}

/*  Answer with task id as it is now. */
static void
s_reply_task (node_t *self, const api_caller_t *caller, const char *id)
{
    kt_reason_t reason;
    json_t *task = NULL;
    int found = infoplicht_one (uitvoerder_of (self)->infoplicht, id, kt_now_ms (), s_one_row,
                                &task, &reason);
    if (found == 0)
        kt_fail (&reason, "no informatieplicht task %.24s", id);
    render_reply (self->api, caller, "task", found > 0 ? task : NULL, &reason);
}

static const char *
s_arg (json_t *args, const char *key)
{
    return json_is_object (args) ? json_string_value (json_object_get (args, key)) : NULL;
}

/*  informatieplicht.consult / .inform: one step of the desk on a task
 *  (inform only after a kernpartij's decision, infoplicht_inform). */
void
uitvoerder_infoplicht_step (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    const char *id = s_arg (args, "task_id");
    kt_reason_t reason;
    uint32_t uid = (uint32_t) caller->uid;
    uint64_t now = kt_now_ms ();
    int rc;
    if (!id) {
        apiserver_reply_error (self->api, caller, "give the task_id");
        return;
    }
    if (strcmp (cmd, "informatieplicht.consult") == 0)
        rc = infoplicht_consult (u->infoplicht, roster, id, s_arg (args, "party"), uid, now,
                                 &reason);
    else if (strcmp (cmd, "informatieplicht.inform") == 0)
        rc = infoplicht_inform (u->infoplicht, roster, id, s_arg (args, "on"), s_arg (args, "by"),
                                s_arg (args, "how"), uid, now, &reason);
    else
        rc = kt_fail (&reason, "unknown informatieplicht command");
    if (rc != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "informatieplicht %s task=%s uid=%u", cmd + strlen ("informatieplicht."),
            id, (unsigned) uid);
    s_reply_task (self, caller, id);
}

/* ---- the letter to the person (art. 14 AVG) -------------------------------- */

typedef struct {
    const char *id;
    bool found;
    char case_ref[40];
    char decision_id[DECISION_ID_LEN];
    bool agenderen;
    bool may_inform; /* a kernpartij decided the person can be informed */
} s_letter_task_t;

static int
s_letter_row (void *arg, const infoplicht_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    s_letter_task_t *t = arg;
    t->found = true;
    snprintf (t->case_ref, sizeof t->case_ref, "%s", row->case_ref);
    snprintf (t->decision_id, sizeof t->decision_id, "%s", row->decision_id);
    t->agenderen = row->agenderen;
    t->may_inform = strcmp (row->state, "to-inform") == 0 || strcmp (row->state, "informed") == 0;
    return 0;
}

void
uitvoerder_infoplicht_letter (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args)
{
    (void) cmd;
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    s_letter_task_t t = {s_arg (args, "task_id"), false, "", "", false, false};
    kt_reason_t reason;
    if (!t.id) {
        apiserver_reply_error (self->api, caller, "give the task_id");
        return;
    }
    int found = infoplicht_one (u->infoplicht, t.id, kt_now_ms (), s_letter_row, &t, &reason);
    if (found <= 0) {
        if (found == 0)
            kt_fail (&reason, "no informatieplicht task %.24s", t.id);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    /*  art. 11.3-11.4: the letter informs the person, which a kernpartij
     *  decides; none has yet, or one deferred it. */
    if (!t.may_inform) {
        apiserver_reply_error (self->api, caller,
                               "no kernpartij has decided that the person can be informed on this "
                               "task (art. 11.3-11.4): no letter is written before a kernpartij "
                               "decides so with keten informatieplicht decide");
        return;
    }
    Keten__WeegploegDecision *d = NULL;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    infoplicht_letter_t letter = {0};
    int rc = decision_get (u->decision, t.decision_id, &d, &reason);
    if (rc == 0)
        rc = weegploeg_read_case (u->weegploeg, t.case_ref, &signals, &n, &reason);
    char *refs[1] = {t.case_ref};
    /*  The letter holds the person's name and address: a read of
     *  personal data, on record before anything is shown (art. 15.2e). */
    if (rc == 0)
        rc = node_record_access (self, caller, "informatieplicht.letter",
                                 (const char *const *) refs, 1, &reason);
    if (rc == 0)
        rc = infoplicht_letter_make (roster, keyring_self_member (self->keyring), d, signals, n,
                                     kt_now_ms (), &letter, &reason);
    if (rc != 0)
        apiserver_reply_error (self->api, caller, reason.text);
    else
        apiserver_reply_ok (self->api, caller,
                            json_pack ("{s:s, s:s, s:s, s:s}", "task_id", t.id, "case_ref",
                                       t.case_ref, "html", letter.html, "text", letter.text));
    infoplicht_letter_free (&letter);
    weegploeg_case_free (signals, n);
    if (d)
        keten__weegploeg_decision__free_unpacked (d, NULL);
}

/* ---- the accuracy review (art. 8.3, 10.3) ---------------------------------- */

static int
s_review_append (void *arg, const review_row_t *row, kt_reason_t *reason)
{
    json_t *item =
        json_pack ("{s:s, s:s, s:I, s:b}", "case_ref", row->case_ref, "file", row->file, "since_ms",
                   (json_int_t) row->since_ms, "reviewed", row->last_review_ms > 0);
    if (item && row->last_review_ms) {
        json_object_set_new (item, "last_review_ms",
                             json_integer ((json_int_t) row->last_review_ms));
        json_object_set_new (item, "last_result", json_string (row->last_result));
        json_object_set_new (item, "last_user", json_string (row->last_user));
    }
    return render_append (arg, item, reason);
}

/*  The worklist: what was not reviewed for weegploeg/review-days. */
static json_t *
s_review_due (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *list = json_array ();
    return render_done (list, review_each_due (u->review, u->casus, self->config.review_days,
                                               kt_now_ms (), s_review_append, list, reason));
}

void
uitvoerder_review_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    kt_reason_t reason;
    json_t *due = s_review_due (self, &reason);
    render_reply (self->api, caller, NULL,
                  due ? json_pack ("{s:I, s:o}", "review_days",
                                   (json_int_t) self->config.review_days, "due", due)
                      : NULL,
                  &reason);
}

void
uitvoerder_review_record (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t reason;
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    const char *ref = s_arg (args, "case_ref");
    const char *result = s_arg (args, "result");
    uint64_t now = kt_now_ms ();
    int files = 0;
    if (!ref)
        apiserver_reply_error (self->api, caller, "give the case_ref of the subject or case");
    else if (review_record (u->review, u->casus, ref, result, s_arg (args, "note"),
                            (uint32_t) caller->uid, user, now, &files, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
    else {
        kt_log (KT_LOG_INFO, "review recorded case_ref=%s result=%s user=%s", ref, result, user);
        json_t *in = json_array ();
        if (files & REVIEW_WEEGPLOEG)
            json_array_append_new (in, json_string ("weegploeg"));
        if (files & REVIEW_CASUSOVERLEG)
            json_array_append_new (in, json_string ("casusoverleg"));
        apiserver_reply_ok (self->api, caller,
                            json_pack ("{s:s, s:s, s:I, s:o}", "case_ref", ref, "result", result,
                                       "reviewed_ms", (json_int_t) now, "files", in));
    }
}

/* ---- status ---------------------------------------------------------------- */

/*  art. 11.5 and 13: a task whose person is not informed yet, while its
 *  subject is archived (13.2: then no list shows the task) or destroyed
 *  (13.1, 13.3: with it) within RETENTION_WARN_MS.  Retention does not
 *  wait (its periods are maxima); the desk is told in time. */
typedef struct {
    node_t *self;
    json_t *list;
    uint64_t now_ms;
} before_t;

static int
s_before_row (void *arg, const infoplicht_row_t *row, kt_reason_t *reason)
{
    before_t *b = arg;
    if (strcmp (row->state, "informed") == 0)
        return 0;
    lifecycle_subject_t subject;
    int found =
        lifecycle_subject (uitvoerder_of (b->self)->lifecycle, row->case_ref, &subject, reason);
    if (found <= 0)
        return found;
    retention_plan_t plan;
    retention_plan (keyring_roster (b->self->keyring), &subject.facts, 0, b->now_ms, &plan);
    bool archive = strcmp (plan.rule, "archive") == 0;
    if (subject.facts.archived || plan.due_ms > b->now_ms + RETENTION_WARN_MS)
        return 0;
    return render_append (b->list,
                          json_pack ("{s:s, s:s, s:s, s:s, s:I}", "task_id", row->task_id,
                                     "case_ref", row->case_ref, "state", row->state, "action",
                                     archive ? "archive" : "destroy", "due_ms",
                                     (json_int_t) plan.due_ms),
                          reason);
}

void
uitvoerder_infoplicht_status (node_t *self, json_t *result)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->infoplicht || !u->review)
        return;
    kt_reason_t reason;
    /*  art. 11.4-11.5: deferrals whose review date has come. */
    json_t *due = s_tasks (u, true, &reason);
    int64_t open = infoplicht_count_open (u->infoplicht);
    if (!due || open < 0) {
        const char *why = due ? "count failed" : reason.text;
        kt_log (KT_LOG_ERROR, "status informatieplicht_unreadable reason=\"%s\"", why);
        node_status_unreadable (result, "informatieplicht", why);
    } else {
        json_t *brief = json_array ();
        size_t i;
        json_t *t;
        json_array_foreach (due, i, t)
        {
            json_array_append_new (brief, json_pack ("{s:O, s:O, s:O}", "task_id",
                                                     json_object_get (t, "task_id"), "case_ref",
                                                     json_object_get (t, "case_ref"), "review_on",
                                                     json_object_get (t, "review_on")));
        }
        json_object_set_new (
            result, "informatieplicht",
            json_pack ("{s:I, s:o}", "open", (json_int_t) open, "review_due", brief));
        before_t b = {self, json_array (), kt_now_ms ()};
        if (!b.list ||
            infoplicht_each (u->infoplicht, false, b.now_ms, s_before_row, &b, &reason) != 0) {
            const char *why = b.list ? reason.text : "out of memory";
            kt_log (KT_LOG_ERROR, "status informatieplicht_retention_unreadable reason=\"%s\"",
                    why);
            node_status_unreadable (result, "informatieplicht.before_retention", why);
        } else
            json_object_set (json_object_get (result, "informatieplicht"), "before_retention",
                             b.list);
        json_decref (b.list);
    }
    json_decref (due);
    /*  art. 8.3, 10.3: records not reviewed for weegploeg/review-days. */
    json_t *worklist = s_review_due (self, &reason);
    if (!worklist) {
        kt_log (KT_LOG_ERROR, "status review_unreadable reason=\"%s\"", reason.text);
        node_status_unreadable (result, "review", reason.text);
    } else
        json_object_set_new (result, "review",
                             json_pack ("{s:I, s:I}", "due",
                                        (json_int_t) json_array_size (worklist), "review_days",
                                        (json_int_t) self->config.review_days));
    json_decref (worklist);
}
