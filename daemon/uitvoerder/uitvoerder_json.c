/*  uitvoerder_json: rows of the uitvoerder's stores as API JSON.  */
#include "uitvoerder_json.h"

#include "node_core.h"
#include "render.h"

typedef struct {
    json_t *list;
    uint64_t now_ms;
} incidents_t;

static int
s_incident (void *arg, const incident_row_t *row, kt_reason_t *reason)
{
    incidents_t *in = arg;
    return render_append (in->list, node_incident_json (row, in->now_ms), reason);
}

json_t *
uitvoerder_json_incidents (incident_t *incident, const char *only, size_t limit, uint64_t now_ms,
                           kt_reason_t *reason)
{
    incidents_t in = {json_array (), now_ms};
    int rc = only ? incident_one (incident, only, s_incident, &in, reason)
                  : incident_page (incident, limit, s_incident, &in, reason);
    return render_done (in.list, rc < 0 ? -1 : 0);
}

static int
s_signal (void *arg, const weegploeg_row_t *row, kt_reason_t *reason)
{
    char hex[KT_ID_HEX] = "";
    if (row->has_id)
        kt_hex (hex, row->message_id, KT_ID_LEN);
    return render_append (arg,
                          json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I}", "message_id", hex,
                                     "case_ref", row->case_ref, "sender", row->sender, "category",
                                     row->category, "received_ms", (json_int_t) row->received_ms,
                                     "log_index", (json_int_t) row->log_index),
                          reason);
}

json_t *
uitvoerder_json_signals (weegploeg_t *weegploeg, int limit, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, weegploeg_each (weegploeg, limit, s_signal, list, reason));
}

static int
s_match (void *arg, const weegploeg_match_t *m, kt_reason_t *reason)
{
    return render_append (arg,
                          json_pack ("{s:s, s:s, s:s, s:I, s:s}", "case_ref", m->case_ref, "other",
                                     m->other, "reason", m->reason, "found_ms",
                                     (json_int_t) m->found_ms, "state", m->state),
                          reason);
}

json_t *
uitvoerder_json_matches (weegploeg_t *weegploeg, bool open_only, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, weegploeg_each_match (weegploeg, open_only, s_match, list, reason));
}

/*  A string row (an id) into the array arg. */
static int
s_string (void *arg, const char *id, kt_reason_t *reason)
{
    return render_append (arg, json_string (id), reason);
}

static int
s_decision (void *arg, const decision_row_t *row, kt_reason_t *reason)
{
    json_t *d = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "decision_id",
                           row->decision_id, "case_ref", row->case_ref, "outcome",
                           row->agenderen         ? "agenderen"
                           : row->meer_informatie ? "meer-informatie"
                                                  : "niet-agenderen",
                           "referentiekader", row->referentiekader, "criteria", row->criteria,
                           "parties", row->parties, "meeting_id", row->meeting_id, "decided_ms",
                           (json_int_t) row->decided_ms, "sent", row->sent);
    /*  art. 7.4 sub 1: who is asked, and whether the question is open. */
    if (d && row->meer_informatie) {
        json_object_set_new (d, "asked", json_string (row->asked));
        json_object_set_new (d, "open", json_boolean (row->open));
    }
    /*  art. 7.3: the referentiekader it was weighed against, to the byte. */
    if (d)
        json_object_set_new (d, "referentiekader_sha256",
                             json_string (row->referentiekader_sha256));
    return render_append (arg, d, reason);
}

json_t *
uitvoerder_json_decisions (decision_t *decision, int limit, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, decision_each (decision, limit, s_decision, list, reason));
}

json_t *
uitvoerder_json_decisions_unsent (decision_t *decision, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, decision_each_unsent (decision, s_string, list, reason));
}

static int
s_case (void *arg, const casusoverleg_row_t *row, kt_reason_t *reason)
{
    return render_append (
        arg,
        json_pack ("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I}", "case_ref", row->case_ref, "state",
                   row->state, "opened_ms", (json_int_t) row->opened_ms, "decision_id",
                   row->decision_id, "participants", row->participants, "signals",
                   (json_int_t) row->signals, "plan_version", (json_int_t) row->plan_version,
                   "contributions", (json_int_t) row->contributions),
        reason);
}

json_t *
uitvoerder_json_cases (casusoverleg_t *casus, int limit, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, casusoverleg_each (casus, limit, s_case, list, reason));
}

json_t *
uitvoerder_json_closures_unsent (casusoverleg_t *casus, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, casusoverleg_each_closure_unsent (casus, s_string, list, reason));
}

typedef struct {
    meeting_t *meeting;
    json_t *list;
} meetings_t;

static int
s_recipient (void *arg, const char *member, bool has_items, kt_reason_t *reason)
{
    return render_append (arg, json_pack ("{s:s, s:b}", "member", member, "has_items", has_items),
                          reason);
}

static int
s_meeting (void *arg, const meeting_row_t *row, kt_reason_t *reason)
{
    meetings_t *m = arg;
    json_t *refs = json_array (), *recipients = json_array ();
    if (!refs || !recipients ||
        meeting_each_item (m->meeting, row->meeting_id, s_string, refs, reason) != 0 ||
        meeting_each_recipient (m->meeting, row->meeting_id, s_recipient, recipients, reason) !=
            0) {
        json_decref (refs);
        json_decref (recipients);
        return -1;
    }
    return render_append (
        m->list,
        json_pack ("{s:s, s:s, s:I, s:I, s:s, s:i, s:s, s:b, s:I, s:o, s:o}", "meeting_id",
                   row->meeting_id, "kind", meeting_kind_name (row->kind), "sequence",
                   (json_int_t) row->sequence, "sent_sequence", (json_int_t) row->sent_sequence,
                   "starts_at", row->starts_at, "duration_min", row->duration_min, "location",
                   row->location, "cancelled", row->cancelled, "updated_ms",
                   (json_int_t) row->updated_ms, "case_refs", refs, "recipients", recipients),
        reason);
}

json_t *
uitvoerder_json_meetings (meeting_t *meeting, meeting_kind_t kind, int limit, kt_reason_t *reason)
{
    meetings_t m = {meeting, json_array ()};
    return render_done (m.list, meeting_each (meeting, kind, limit, s_meeting, &m, reason));
}

json_t *
uitvoerder_json_meetings_unsent (meeting_t *meeting, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list, meeting_each_unsent (meeting, s_string, list, reason));
}
