/*  partner_transfer: a kernpartij decides at its own node that a subject
 *  moves to a peered federation (art. 4: the kernpartijen are jointly the
 *  controller; docs/FEDERATIONS.md).  The decision goes to the uitvoerder
 *  as a signed TRANSFER_DECISION through the outbox; the uitvoerder
 *  records it as this node's and hands the subject over only when every
 *  kernpartij whose signal it holds decided so, on the same basis.
 */
#include "partner.h"

#include "policy.h"

#include <string.h>

void
partner_transfer_decide (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    if (keyring_self_member (self->keyring)->role != ROLE_KERNPARTIJ) {
        apiserver_reply_error (self->api, caller,
                               "art. 4: a transfer to another region is decided by the "
                               "kernpartijen; this node is not one");
        return;
    }
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "arguments must be an object");
        return;
    }
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *to = json_string_value (json_object_get (args, "to"));
    const char *basis = json_string_value (json_object_get (args, "basis"));
    Keten__TransferDecision d = KETEN__TRANSFER_DECISION__INIT;
    d.case_ref = (char *) (case_ref ? case_ref : "");
    d.to_federation = (char *) (to ? to : "");
    d.basis = (char *) (basis ? basis : "");
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    d.os_user = user;
    d.decided_ms = kt_now_ms ();
    /*  The one check of the body, the one the uitvoerder runs. */
    kt_reason_t reason;
    if (policy_body (KETEN__MESSAGE_TYPE__TRANSFER_DECISION)->check (&d.base, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "transfer decision_queued case_ref=%s federation=%s", d.case_ref,
            d.to_federation);
    partner_send (self, caller, KETEN__MESSAGE_TYPE__TRANSFER_DECISION, &d.base,
                  json_is_true (json_object_get (args, "wait")));
}
