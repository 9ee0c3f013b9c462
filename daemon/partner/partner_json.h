/*  partner_json: the local API's JSON for what a partner node's stores
 *  keep (its own signals and their delivery, the agendas, decisions and
 *  cases it received).  The stores hand back rows; the answer's shape is
 *  decided here.  Each function returns a new reference, or NULL with
 *  reason when a store cannot be read: a failure is never shown as an
 *  empty list.
 */
#ifndef KETEN_PARTNER_JSON_H
#define KETEN_PARTNER_JSON_H

#include "agendabox.h"
#include "casebox.h"
#include "decisionbox.h"
#include "outbox.h"
#include "signalbox.h"
#include "util.h"

#include <jansson.h>

/*  This node's signals, newest first, with their delivery state from the
 *  outbox (held, queued, delivered, refused). */
json_t *partner_json_signals (signalbox_t *signalbox, outbox_t *outbox, int limit,
                              kt_reason_t *reason);
/*  Meetings received, soonest first, without personal data. */
json_t *partner_json_agendas (agendabox_t *agendabox, int limit, kt_reason_t *reason);
/*  Decisions received, newest first, without the analysis. */
json_t *partner_json_decisions (decisionbox_t *decisionbox, int limit, kt_reason_t *reason);
/*  Cases known here (no personal data). */
json_t *partner_json_cases (casebox_t *casebox, kt_reason_t *reason);
/*  Disclosures of case_ref, decrypted (items included). */
json_t *partner_json_disclosures (casebox_t *casebox, const char *case_ref, kt_reason_t *reason);
/*  The closure of case_ref as {decided_by, closed_ms, advice?} into
 *  *out_p (NULL when it is not closed here): 0, or -1 with reason. */
int partner_json_closure (casebox_t *casebox, const char *case_ref, json_t **out_p,
                          kt_reason_t *reason);

#endif
