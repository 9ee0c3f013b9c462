/*  render: the JSON the local API and the status show for what the stores
 *  keep and the core asks about (checkpoints, access records, incidents,
 *  a case's messages).  The stores hand back rows; the shape of the
 *  answer is decided here, above them, once.  Each renderer returns a new
 *  reference, or NULL with reason when the store cannot be read (never an
 *  empty list that hides a failure).
 */
#ifndef KETEN_RENDER_H
#define KETEN_RENDER_H

#include "access.h"
#include "apiserver.h"
#include "incident.h"
#include "logproof.h"
#include "plan.h"
#include "util.h"
#include "weegploeg.h"

#include <jansson.h>

/*  The checkpoints signed, newest first: [{size, root, signed_ms, cosigners}]. */
json_t *render_checkpoints (logproof_t *proof, int limit, kt_reason_t *reason);
/*  {checkpoints, bad, first_bad_size?} of logproof_check. */
json_t *render_checkpoint_check (logproof_t *proof, kt_reason_t *reason);
/*  The same, of a check already made (logproof_check_batch). */
json_t *render_checkpoint_result (const logproof_check_t *check);
/*  Access records at or after since_ms, oldest first. */
json_t *render_access (access_t *access, uint64_t since_ms, int64_t after_id, int limit,
                       kt_reason_t *reason);
/*  For status: {open, ap_pending_count, ap_overdue_count, ap_pending:
 *  [{id, ap_deadline_ms, overdue}]}, the list the
 *  RENDER_INCIDENTS_PENDING_MAX soonest AP deadlines (the counts are all). */
#define RENDER_INCIDENTS_PENDING_MAX 20
json_t *render_incident_summary (incident_t *incident, uint64_t now_ms, kt_reason_t *reason);
/*  The message ids (hex) of case_ref's signals. */
json_t *render_case_messages (weegploeg_t *weegploeg, const char *case_ref, kt_reason_t *reason);

/*  Answer caller with value (taken) as {key: value} (key NULL: value
 *  itself), or, when value is NULL, with the error in reason: a store
 *  that cannot be read answers with why, not with an empty list. */
void render_reply (apiserver_t *api, const api_caller_t *caller, const char *key, json_t *value,
                   const kt_reason_t *reason);

/*  A case plan as {case_ref, version, participants, goals, measures
 *  (each with overdue as of today), issued_ms}. */
json_t *render_plan (const Keten__CasePlan *plan);

/*  Append item (taken) to the array arg: a row callback's tail.  0, or -1
 *  with reason when item is NULL (out of memory). */
int render_append (json_t *array, json_t *item, kt_reason_t *reason);
/*  Return list, or drop it and return NULL when rc says the rows could
 *  not all be read. */
json_t *render_done (json_t *list, int rc);

#endif
