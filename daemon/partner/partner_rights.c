/*  partner_rights: a kernpartij decides on the person's rights at its own
 *  node (art. 4: the kernpartijen are jointly the controller).  Whether
 *  the person can be informed now or only later (art. 11.3-11.5, an
 *  informatieplicht task) and whether a request is granted, partly
 *  refused or refused (art. 12.3-12.4) goes to the uitvoerder as a
 *  signed RIGHTS_DECISION through the outbox; the uitvoerder records it
 *  as this node's decision and its desk carries it out.  The tasks and
 *  requests stay at the uitvoerder with the personal data: this node
 *  sends the id it decides on, which the desk gives it.
 */
#include "partner.h"

#include "policy.h"

#include <string.h>

static const char *
s_str (json_t *args, const char *key)
{
    return json_string_value (json_object_get (args, key));
}

/*  informatieplicht.decide and request.decide. */
void
partner_rights_decide (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    /*  art. 4, 11.3, 12.4: a kernpartij decides; the policy refuses the
     *  message from any other node, so say it before queueing. */
    if (keyring_self_member (self->keyring)->role != ROLE_KERNPARTIJ) {
        apiserver_reply_error (self->api, caller,
                               "art. 4: the informatieplicht and a person's requests are decided "
                               "by a kernpartij; this node is not one");
        return;
    }
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "arguments must be an object");
        return;
    }
    bool task = strcmp (cmd, "informatieplicht.decide") == 0;
    const char *outcome = s_str (args, "outcome");
    static const struct {
        const char *name;
        Keten__RightsOutcome value;
        bool task;
    } outcomes[] = {
        {"inform", KETEN__RIGHTS_OUTCOME__RIGHTS_INFORM, true},
        {"defer", KETEN__RIGHTS_OUTCOME__RIGHTS_DEFER, true},
        {"grant", KETEN__RIGHTS_OUTCOME__RIGHTS_GRANT, false},
        {"partial", KETEN__RIGHTS_OUTCOME__RIGHTS_PARTIAL, false},
        {"refuse", KETEN__RIGHTS_OUTCOME__RIGHTS_REFUSE, false},
    };
    Keten__RightsDecision d = KETEN__RIGHTS_DECISION__INIT;
    for (size_t i = 0; outcome && i < sizeof outcomes / sizeof outcomes[0]; i++)
        if (outcomes[i].task == task && strcmp (outcome, outcomes[i].name) == 0)
            d.outcome = outcomes[i].value;
    if (d.outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_OUTCOME_UNSPECIFIED) {
        apiserver_reply_error (self->api, caller,
                               task ? "informatieplicht.decide needs outcome inform or defer"
                                    : "request.decide needs outcome grant, partial or refuse");
        return;
    }
    const char *id = s_str (args, task ? "task_id" : "request_id");
    const char *ground = s_str (args, "ground");
    const char *text = s_str (args, task ? "note" : "motivation");
    const char *review = s_str (args, "review_on");
    json_t *withhold = json_object_get (args, "withhold");
    d.task_id = (char *) (task && id ? id : "");
    d.request_id = (char *) (!task && id ? id : "");
    d.ground = (char *) (ground ? ground : "");
    d.motivation = (char *) (text ? text : "");
    d.review_on = (char *) (review ? review : "");
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    d.os_user = user;
    d.decided_ms = kt_now_ms ();
    uint8_t ids[POLICY_MAX_WITHHOLD][KT_ID_LEN];
    ProtobufCBinaryData bins[POLICY_MAX_WITHHOLD];
    if (withhold &&
        (!json_is_array (withhold) || json_array_size (withhold) > POLICY_MAX_WITHHOLD)) {
        apiserver_reply_error (self->api, caller,
                               "withhold must be a list of at most 64 message ids");
        return;
    }
    for (size_t i = 0; withhold && i < json_array_size (withhold); i++) {
        const char *hex = json_string_value (json_array_get (withhold, i));
        if (!hex || strlen (hex) != 2 * KT_ID_LEN || kt_unhex (ids[i], KT_ID_LEN, hex) != 0) {
            apiserver_reply_error (self->api, caller,
                                   "withhold: a message id is 32 hex digits (keten log show "
                                   "--case at the uitvoerder lists them)");
            return;
        }
        bins[i] = (ProtobufCBinaryData){KT_ID_LEN, ids[i]};
    }
    d.withhold = bins;
    d.n_withhold = withhold ? json_array_size (withhold) : 0;
    /*  The one check of the body, the one the uitvoerder runs. */
    kt_reason_t reason;
    if (policy_body (KETEN__MESSAGE_TYPE__RIGHTS_DECISION)->check (&d.base, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "rights decision_queued %s=%s outcome=%s", task ? "task" : "request", id,
            outcome);
    partner_send (self, caller, KETEN__MESSAGE_TYPE__RIGHTS_DECISION, &d.base,
                  json_is_true (json_object_get (args, "wait")));
}
