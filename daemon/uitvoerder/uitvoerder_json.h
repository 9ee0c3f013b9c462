/*  uitvoerder_json: the local API's JSON for what the uitvoerder's stores
 *  keep (the weegploeg file, decisions, meetings, the casusoverleg file,
 *  the incident register).  The stores hand back rows; the answer's shape
 *  is decided here.  Each function returns a new reference, or NULL with
 *  reason when the store cannot be read: a failure is never shown as an
 *  empty list.
 */
#ifndef KETEN_UITVOERDER_JSON_H
#define KETEN_UITVOERDER_JSON_H

#include "casusoverleg.h"
#include "decision.h"
#include "incident.h"
#include "meeting.h"
#include "util.h"
#include "weegploeg.h"

#include <jansson.h>
#include <stdbool.h>

/*  The register, the limit newest first (or only the incident of that
 *  id), with the AP state at now_ms. */
json_t *uitvoerder_json_incidents (incident_t *incident, const char *only, size_t limit,
                                   uint64_t now_ms, kt_reason_t *reason);
/*  Metadata of the newest signals (no personal data). */
json_t *uitvoerder_json_signals (weegploeg_t *weegploeg, int limit, kt_reason_t *reason);
/*  Possible matches (case_refs and the reason only). */
json_t *uitvoerder_json_matches (weegploeg_t *weegploeg, bool open_only, kt_reason_t *reason);

/*  Decisions, newest first, without personal data. */
json_t *uitvoerder_json_decisions (decision_t *decision, int limit, kt_reason_t *reason);
/*  Ids of the decisions recorded but not handed over. */
json_t *uitvoerder_json_decisions_unsent (decision_t *decision, kt_reason_t *reason);
/*  Cases of the casusoverleg file, newest first: case_ref, state,
 *  participants, counts. */
json_t *uitvoerder_json_cases (casusoverleg_t *casus, int limit, kt_reason_t *reason);
/*  case_refs of closures not sent yet, oldest first. */
json_t *uitvoerder_json_closures_unsent (casusoverleg_t *casus, kt_reason_t *reason);
/*  Meetings of kind, newest first, with their case_refs and recipients. */
json_t *uitvoerder_json_meetings (meeting_t *meeting, meeting_kind_t kind, int limit,
                                  kt_reason_t *reason);
/*  Ids of the meetings whose newest version was not handed over. */
json_t *uitvoerder_json_meetings_unsent (meeting_t *meeting, kt_reason_t *reason);

#endif
