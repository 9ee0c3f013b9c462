/*  render: rows of the stores as the JSON of the local API.  */
#include "render.h"

#include <string.h>
#include <time.h>

void
render_reply (apiserver_t *api, const api_caller_t *caller, const char *key, json_t *value,
              const kt_reason_t *reason)
{
    if (!value)
        apiserver_reply_error (api, caller, reason->text);
    else
        apiserver_reply_ok (api, caller, key ? json_pack ("{s:o}", key, value) : value);
}

int
render_append (json_t *array, json_t *item, kt_reason_t *reason)
{
    if (!item || json_array_append_new (array, item) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

json_t *
render_done (json_t *list, int rc)
{
    if (rc != 0) {
        json_decref (list);
        return NULL;
    }
    return list;
}

static int
s_checkpoint (void *arg, const logproof_row_t *row, kt_reason_t *reason)
{
    char hex[65] = "";
    if (row->has_root)
        kt_hex (hex, row->root, 32);
    return render_append (arg,
                          json_pack ("{s:I, s:s, s:I, s:s}", "size", (json_int_t) row->size, "root",
                                     hex, "signed_ms", (json_int_t) row->signed_ms, "cosigners",
                                     row->cosigners),
                          reason);
}

json_t *
render_checkpoints (logproof_t *proof, int limit, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, logproof_each (proof, limit, s_checkpoint, list, reason));
}

json_t *
render_checkpoint_result (const logproof_check_t *check)
{
    json_t *r = json_pack ("{s:I, s:I}", "checkpoints", (json_int_t) check->checkpoints, "bad",
                           (json_int_t) check->bad);
    if (r && check->bad > 0)
        json_object_set_new (r, "first_bad_size",
                             json_integer ((json_int_t) check->first_bad_size));
    return r;
}

json_t *
render_checkpoint_check (logproof_t *proof, kt_reason_t *reason)
{
    logproof_check_t check;
    if (logproof_check (proof, &check, reason) != 0)
        return NULL;
    return render_checkpoint_result (&check);
}

typedef struct {
    json_t *list;
    const char *node;
} access_render_t;

static int
s_access (void *arg, const access_row_t *row, kt_reason_t *reason)
{
    access_render_t *a = arg;
    return render_append (a->list,
                          json_pack ("{s:I, s:I, s:s, s:I, s:s, s:s, s:s}", "id",
                                     (json_int_t) row->id, "at_ms", (json_int_t) row->at_ms, "node",
                                     a->node, "uid", (json_int_t) row->uid, "user", row->user,
                                     "what", row->what, "case_ref", row->case_ref),
                          reason);
}

json_t *
render_access (access_t *access, uint64_t since_ms, int64_t after_id, int limit,
               kt_reason_t *reason)
{
    access_render_t a = {json_array (), access_node (access)};
    return render_done (a.list,
                        access_each (access, since_ms, after_id, limit, s_access, &a, reason));
}

typedef struct {
    json_t *pending;
    uint64_t now_ms;
} summary_t;

static int
s_pending (void *arg, const incident_row_t *row, kt_reason_t *reason)
{
    summary_t *s = arg;
    int64_t left = (int64_t) row->ap_deadline_ms - (int64_t) s->now_ms;
    return render_append (s->pending,
                          json_pack ("{s:s, s:I, s:b}", "id", row->id, "ap_deadline_ms",
                                     (json_int_t) row->ap_deadline_ms, "overdue", left < 0),
                          reason);
}

json_t *
render_incident_summary (incident_t *incident, uint64_t now_ms, kt_reason_t *reason)
{
    /*  Counted, and the soonest few listed: the status (and every metrics
     *  scrape) costs the same however many incidents a member filed. */
    incident_counts_t c;
    if (incident_counts (incident, now_ms, &c, reason) != 0)
        return NULL;
    summary_t s = {json_array (), now_ms};
    if (!render_done (s.pending, incident_ap_pending (incident, RENDER_INCIDENTS_PENDING_MAX,
                                                      s_pending, &s, reason)))
        return NULL;
    return json_pack ("{s:I, s:I, s:I, s:o}", "open", (json_int_t) c.open, "ap_pending_count",
                      (json_int_t) c.ap_pending, "ap_overdue_count", (json_int_t) c.ap_overdue,
                      "ap_pending", s.pending);
}

static int
s_message_id (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    char hex[KT_ID_HEX];
    return render_append (arg, json_string (kt_hex (hex, id, KT_ID_LEN)), reason);
}

json_t *
render_case_messages (weegploeg_t *weegploeg, const char *case_ref, kt_reason_t *reason)
{
    json_t *ids = json_array ();
    return render_done (
        ids, weegploeg_each_case_message (weegploeg, case_ref, s_message_id, ids, reason));
}

json_t *
render_plan (const Keten__CasePlan *p)
{
    json_t *goals = json_array (), *measures = json_array (), *parts = json_array ();
    for (size_t i = 0; i < p->n_participants; i++)
        json_array_append_new (parts, json_string (p->participants[i]));
    for (size_t i = 0; i < p->n_goals; i++)
        json_array_append_new (goals,
                               json_pack ("{s:s, s:s}", "kind", plan_goal_name (p->goals[i]->kind),
                                          "text", p->goals[i]->text));
    char today[11];
    plan_today (today);
    for (size_t i = 0; i < p->n_measures; i++) {
        const Keten__PlanMeasure *m = p->measures[i];
        json_array_append_new (
            measures, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "measure_id",
                                 m->measure_id, "owner", m->owner, "what", m->what, "due_on",
                                 m->due_on, "status", plan_status_name (m->status), "progress_note",
                                 m->progress_note, "updated_ms", (json_int_t) m->updated_ms,
                                 "overdue", plan_measure_overdue (m, today)));
    }
    return json_pack ("{s:s, s:I, s:o, s:o, s:o, s:I}", "case_ref", p->case_ref, "version",
                      (json_int_t) p->version, "participants", parts, "goals", goals, "measures",
                      measures, "issued_ms", (json_int_t) p->issued_ms);
}
