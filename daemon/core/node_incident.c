/*  node_incident: the arguments of incident.report, the same at every
 *  node - the uitvoerder registers the report itself, a partner sends it
 *  there (art. 15.2g) - and one incident of the register as JSON, the
 *  same at the uitvoerder and at the kernpartijen that get a copy.
 */
#include "node_core.h"

#include "incident.h"

int
node_incident_from_args (json_t *args, Keten__Incident *in, const char **kinds, kt_reason_t *reason)
{
    json_t *found = json_object_get (args, "found_ms"),
           *subjects = json_object_get (args, "subjects");
    json_t *k = json_object_get (args, "data_kinds");
    in->what = (char *) json_string_value (json_object_get (args, "what"));
    if (!in->what || !json_is_integer (found) || json_integer_value (found) <= 0 ||
        !json_is_array (k) || json_array_size (k) > 16 ||
        (subjects && (!json_is_integer (subjects) || json_integer_value (subjects) < 0 ||
                      json_integer_value (subjects) > UINT32_MAX)))
        return kt_fail (reason, "incident.report needs what, found_ms, data_kinds (at most 16) "
                                "and subjects");
    in->found_ms = (uint64_t) json_integer_value (found);
    in->subjects = subjects ? (uint32_t) json_integer_value (subjects) : 0;
    for (size_t i = 0; i < json_array_size (k); i++)
        if (!(kinds[i] = json_string_value (json_array_get (k, i))))
            return kt_fail (reason, "data_kinds must hold strings");
    in->data_kinds = (char **) kinds;
    in->n_data_kinds = json_array_size (k);
    return incident_check (in, kt_now_ms (), reason);
}

json_t *
node_incident_json (const void *arg, uint64_t now_ms)
{
    const incident_row_t *row = arg;
    /*  The AP outcome once recorded, closed or not (incident_record_ap). */
    const char *ap = row->notified                  ? "notified"
                     : row->ap_not_required         ? "not-required"
                     : now_ms > row->ap_deadline_ms ? "OVERDUE"
                                                    : "pending";
    json_t *o = json_pack (
        "{s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:I, s:s, s:b, s:I, s:s, s:s, s:s, s:I}", "id",
        row->id, "reporter", row->reporter, "reported_ms", (json_int_t) row->reported_ms,
        "found_ms", (json_int_t) row->found_ms, "what", row->what, "data_kinds", row->data_kinds,
        "subjects", (json_int_t) row->subjects, "ap_deadline_ms", (json_int_t) row->ap_deadline_ms,
        "ap", ap, "closed", row->closed, "version", (json_int_t) row->version, "persons_informed",
        *row->persons_informed ? row->persons_informed : "not-recorded", "persons_informed_note",
        row->persons_informed_note, "handling", row->handling, "updated_ms",
        (json_int_t) row->updated_ms);
    if (o && row->notified)
        json_object_set_new (o, "ap_notified_ms", json_integer ((json_int_t) row->ap_notified_ms));
    if (o && row->ap_not_required)
        json_object_set_new (o, "ap_not_required", json_string (row->ap_not_required));
    return o;
}

void
node_reply_incidents (node_t *self, const api_caller_t *caller, json_t *list, int limit,
                      const kt_reason_t *reason)
{
    if (!list) {
        apiserver_reply_error (self->api, caller, reason->text);
        return;
    }
    /*  One more than asked for tells whether the answer was cut. */
    bool truncated = json_array_size (list) > (size_t) limit;
    if (truncated)
        json_array_remove (list, (size_t) limit);
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:o, s:i, s:b}", "incidents", list, "limit", limit, "truncated", truncated));
}
