/*  partner_answer: a kernpartij answers the weegploeg's question (art.
 *  7.4 sub 1, "eventueel na het inwinnen van additionele informatie").
 *  The answer is a CASE_CONTRIBUTION with answers set to the decision, of
 *  kind informatie, on the decision's subject, signed and encrypted to
 *  the uitvoerder through the outbox like every message this node sends;
 *  that it answered is recorded in the same commit as the outbox row, so
 *  `keten decision list` never shows a question answered that is not on
 *  its way, nor the other way round.  The uitvoerder checks it all again.
 */
#include "partner.h"

#include "intake.h"
#include "items.h"

#include <string.h>

/*  partner_also_fn: the decision answered, in the outbox's commit. */
static int
s_mark (node_t *self, void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    return decisionbox_mark_answered (partner_of (self)->decisionbox, arg, id, kt_now_ms (),
                                      reason);
}

static int
s_answer (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    const char *id = json_string_value (json_object_get (args, "decision_id"));
    const char *basis = json_string_value (json_object_get (args, "legal_basis"));
    /*  art. 8.4: only a kernpartij's node keeps weegploeg decisions. */
    if (!p->decisionbox)
        return kt_fail (reason, "only kernpartij nodes receive weegploeg decisions (art. 8.4)");
    if (!id || strlen (id) > 32 || !basis)
        return kt_fail (reason, "decision.answer needs decision_id, legal_basis and items");
    decisionbox_asked_t a;
    int found = decisionbox_asked (p->decisionbox, id, &a, reason);
    if (found <= 0)
        return found < 0 ? -1 : kt_fail (reason, "no decision %.24s on this node", id);
    if (a.outcome != KETEN__DECISION_OUTCOME__MEER_INFORMATIE)
        return kt_fail (reason,
                        "decision %s is not a request for more information (art. 7.4 sub 1); "
                        "there is nothing to answer",
                        id);
    if (strcmp (a.asked, self->config.id) != 0)
        return kt_fail (reason, "decision %s asked %s, not this node (%s)", id, a.asked,
                        self->config.id);
    /*  A later decision on the subject reached this node: the weegploeg
     *  decided, the question is closed (the uitvoerder would refuse). */
    if (!a.open)
        return kt_fail (reason,
                        "the question of decision %s is closed: a later decision on %s reached "
                        "this node",
                        id, a.case_ref);
    if (retainbox_hidden (p->retainbox, a.case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    Keten__SignalItem **items = NULL;
    size_t n = 0;
    if (items_decode (json_object_get (args, "items"), &items, &n, reason) != 0)
        return -1;
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = a.case_ref;
    c.kind = "informatie";
    c.legal_basis = (char *) basis;
    c.items = items;
    c.n_items = n;
    c.answers = (char *) id;
    int rc = items_check_contribution (items, n, basis, "an answer", reason);
    if (rc == 0)
        partner_send_also (self, caller, KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION, &c.base,
                           json_is_true (json_object_get (args, "wait")), s_mark, (void *) id);
    items_free (items, n);
    return rc;
}

void
partner_decision_answer (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    if (!json_is_object (args))
        apiserver_reply_error (self->api, caller, "arguments must be an object");
    else if (s_answer (self, caller, args, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
}
