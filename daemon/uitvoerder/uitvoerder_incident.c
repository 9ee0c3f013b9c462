/*  uitvoerder_incident: incidents reported by any node (art. 15.2g) are
 *  logged (INCIDENT_REGISTERED: reporter and ids, never the description)
 *  and registered; the uitvoerder records the outcome for the Autoriteit
 *  Persoonsgegevens (AVG art. 33) and status shows what is still open.
 */
#include "uitvoerder.h"
#include "uitvoerder_json.h"
#include "render.h"

#include <string.h>

/*  Log, then register; *id and *index receive the incident's.  A report
 *  that arrived as a message (message_id, leaf_hash) is logged once: when
 *  a crash (or a failing register) came between the entry and the
 *  register, the retry finds the entry and registers under it.  Returns
 *  1 (reason says why) when the id is logged for another message. */
static int
s_register (node_t *self, const Keten__Incident *in, const char *reporter, uint32_t uid,
            const uint8_t *message_id, const uint8_t *leaf_hash, char id[19], uint64_t *index,
            kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    char user[65] = "";
    if (!message_id)
        access_user_name (uid, user, sizeof user);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__INCIDENT_REGISTERED;
    e.time_ms = kt_now_ms ();
    e.node = (char *) reporter;
    e.os_user = user;
    e.message_type = KETEN__MESSAGE_TYPE__INCIDENT;
    if (message_id) {
        e.message_id.data = (uint8_t *) message_id;
        e.message_id.len = KT_ID_LEN;
        e.header_hash.data = (uint8_t *) leaf_hash;
        e.header_hash.len = 32;
    }
    if (provlog_begin (u->log, reason) != 0)
        return -1;
    int rc = message_id ? provlog_append_received (u->log, &e, index, reason)
                        : provlog_append (u->log, &e, index, reason);
    if (rc != 0) {
        provlog_rollback (u->log);
        return rc;
    }
    if (provlog_commit (u->log, reason) != 0)
        return -1;
    if (incident_register (u->incident, in, reporter, uid, message_id, *index, id, reason) != 0)
        return -1;
    kt_log (KT_LOG_WARN, "incident registered id=%s reporter=%s log_index=%llu", id, reporter,
            (unsigned long long) *index);
    return 0;
}

void
uitvoerder_on_incident (node_t *self, node_message_t *m)
{
    member_link_t *link = m->link;
    const roster_member_t *sender = m->peer->member;
    const envelope_opened_t *opened = &m->opened;
    const Keten__Incident *in = (const Keten__Incident *) m->body;
    char id[19];
    uint64_t index = 0;
    kt_reason_t reason;
    int known = incident_find_message (uitvoerder_of (self)->incident, opened->id, id, &index);
    if (known > 0) {
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
        return;
    }
    if (incident_check (in, kt_now_ms (), &reason) != 0) {
        kt_log (KT_LOG_WARN, "incident refused peer=%s reason=\"%s\"", sender->id, reason.text);
        uitvoerder_receipt (self, link, sender->id, opened->id, false, 0, reason.text);
        return;
    }
    int rc = known < 0 ? kt_fail (&reason, "lookup failed")
                       : s_register (self, in, sender->id, 0, opened->id, opened->leaf_hash, id,
                                     &index, &reason);
    if (rc == 0)
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
    else if (rc > 0) {
        kt_log (KT_LOG_WARN, "incident refused peer=%s reason=\"id reused\"", sender->id);
        uitvoerder_receipt (self, link, sender->id, opened->id, false, 0,
                            "this message id is already used for a different message");
    } else
        /*  No receipt: the reporter's outbox tries again. */
        kt_log (KT_LOG_ERROR, "incident store_failed peer=%s reason=\"%s\"", sender->id,
                reason.text);
}

void
uitvoerder_incident_report (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    Keten__Incident in = KETEN__INCIDENT__INIT;
    const char *kinds[16];
    if (!json_is_object (args) || node_incident_from_args (args, &in, kinds, &reason) != 0) {
        apiserver_reply_error (self->api, caller,
                               json_is_object (args) ? reason.text : "arguments must be an object");
        return;
    }
    char id[19];
    uint64_t index;
    if (s_register (self, &in, keyring_self_member (self->keyring)->id, (uint32_t) caller->uid,
                    NULL, NULL, id, &index, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
    else
        apiserver_reply_ok (self->api, caller,
                            json_pack ("{s:s, s:s, s:I}", "incident_id", id, "state", "registered",
                                       "log_index", (json_int_t) index));
}

void
uitvoerder_incident_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    kt_reason_t reason;
    render_reply (self->api, caller, "incidents",
                  uitvoerder_json_incidents (uitvoerder_of (self)->incident, kt_now_ms (), &reason),
                  &reason);
}

void
uitvoerder_incident_close (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "unknown incident command");
        return;
    }
    kt_reason_t reason;
    const char *id = json_string_value (json_object_get (args, "incident_id"));
    json_t *notified = json_object_get (args, "ap_notified_ms");
    const char *not_required = json_string_value (json_object_get (args, "ap_not_required"));
    uint64_t when = json_is_integer (notified) && json_integer_value (notified) > 0
                        ? (uint64_t) json_integer_value (notified)
                        : 0;
    if (!id)
        apiserver_reply_error (self->api, caller, "incident.close needs incident_id");
    else if (incident_close (uitvoerder_of (self)->incident, id, when, not_required,
                             (uint32_t) caller->uid, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
    else {
        kt_log (KT_LOG_INFO, "incident closed id=%s ap=%s uid=%u", id,
                when ? "notified" : "not-required", (unsigned) caller->uid);
        apiserver_reply_ok (self->api, caller,
                            json_pack ("{s:s, s:s}", "incident_id", id, "state", "closed"));
    }
}
