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
#include "retainbox.h"
#include "signalbox.h"
#include "util.h"

#include <jansson.h>

/*  The lists leave out what hide (NULL: nothing) says is archived or
 *  destroyed (art. 13.2): a signal a retention notice tied to such a
 *  subject, a meeting's case_ref, a decision, a case. */

/*  This node's signals, newest first, with their delivery state from the
 *  outbox (held, queued, delivered, refused). */
json_t *partner_json_signals (signalbox_t *signalbox, outbox_t *outbox, retainbox_t *hide,
                              int limit, kt_reason_t *reason);
/*  Meetings received, soonest first, without personal data; weegploeg
 *  meetings only with weegploeg (a kernpartij's node, art. 8.4). */
json_t *partner_json_agendas (agendabox_t *agendabox, retainbox_t *hide, bool weegploeg, int limit,
                              kt_reason_t *reason);
/*  Decisions received, newest first, without the analysis. */
json_t *partner_json_decisions (decisionbox_t *decisionbox, retainbox_t *hide, int limit,
                                kt_reason_t *reason);
/*  Cases known here (no personal data). */
json_t *partner_json_cases (casebox_t *casebox, retainbox_t *hide, kt_reason_t *reason);
/*  The case row of case_ref (as partner_json_cases shows it), NULL with
 *  reason when it cannot be read; JSON null when the case is unknown. */
json_t *partner_json_case (casebox_t *casebox, const char *case_ref, kt_reason_t *reason);
/*  One agenda item as agenda.show shows it (personal data). */
json_t *partner_json_agenda_item (const Keten__AgendaItem *item);
/*  One decision as decision.show shows it (personal data). */
json_t *partner_json_decision (const Keten__WeegploegDecision *d);
/*  Disclosures of case_ref to this externe casuspartner (art. 10.5), or
 *  with shared, the items shared with this participant (art. 9.2, 10.4),
 *  decrypted (items included). */
json_t *partner_json_disclosures (casebox_t *casebox, const char *case_ref, bool shared,
                                  kt_reason_t *reason);
/*  The closure of case_ref as {decided_by, closed_ms, advice?} into
 *  *out_p (NULL when it is not closed here): 0, or -1 with reason. */
int partner_json_closure (casebox_t *casebox, const char *case_ref, json_t **out_p,
                          kt_reason_t *reason);

#endif
