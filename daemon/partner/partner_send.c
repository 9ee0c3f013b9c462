/*  partner_send: what a partner sends the uitvoerder on its own account -
 *  contributions, progress, incidents, access notices - goes through the
 *  outbox, in the same transaction as the row that says it must go, so it
 *  survives crashes and outages like a signal does.
 */
#include "partner.h"

#include "store.h"

#include <string.h>

void
partner_receipt (node_t *self, const uint8_t id[KT_ID_LEN], bool accepted, const char *refusal)
{
    Keten__Receipt r = KETEN__RECEIPT__INIT;
    r.message_id.data = (uint8_t *) id;
    r.message_id.len = KT_ID_LEN;
    r.status = accepted ? KETEN__RECEIPT_STATUS__ACCEPTED : KETEN__RECEIPT_STATUS__REFUSED;
    r.reason = (char *) (refusal ? refusal : "");
    r.stored_ms = kt_now_ms ();
    kt_reason_t reason;
    if (node_queue (self, NULL, KETEN__MESSAGE_TYPE__RECEIPT, partner_of (self)->hub->member->id,
                    &r.base, &reason) != 0)
        kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"%s\"", reason.text);
}

/*  partner_queue, with also in the outbox's transaction. */
static int
s_queue (node_t *self, Keten__MessageType type, const ProtobufCMessage *body, partner_also_fn *also,
         void *arg, uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    uint8_t *header = NULL;
    size_t header_len = 0;
    uint64_t now = kt_now_ms ();
    int rc = node_seal (self, type, p->hub->member->id, body, id, &header, &header_len, reason);
    if (rc == 0 && (rc = store_begin (self->db, reason)) == 0) {
        if (outbox_insert (p->outbox, id, type, header, header_len, now, reason) != 0 ||
            (also && also (self, arg, id, reason) != 0) || store_commit (self->db, reason) != 0) {
            store_rollback (self->db);
            rc = -1;
        }
    }
    free (header);
    if (rc == 0) {
        outbox_enqueue (p->outbox, id, now);
        partner_on_pump (self->loop, 0, self);
    }
    return rc;
}

int
partner_queue (node_t *self, Keten__MessageType type, const ProtobufCMessage *body,
               uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    return s_queue (self, type, body, NULL, NULL, id, reason);
}

void
partner_send (node_t *self, const api_caller_t *caller, Keten__MessageType type,
              const ProtobufCMessage *body, bool wait)
{
    partner_send_also (self, caller, type, body, wait, NULL, NULL);
}

void
partner_send_also (node_t *self, const api_caller_t *caller, Keten__MessageType type,
                   const ProtobufCMessage *body, bool wait, partner_also_fn *also, void *arg)
{
    kt_reason_t reason;
    uint8_t id[KT_ID_LEN];
    if (s_queue (self, type, body, also, arg, id, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    if (!wait || !partner_waiter_add (self, id, caller, NULL, 0))
        apiserver_reply_ok (self->api, caller,
                            json_pack ("{s:s, s:s}", "message_id", hex, "state", "queued"));
}

int
partner_access_notice (node_t *self, const char *user, const char *what,
                       const char *const *case_refs, size_t n, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    Keten__AccessNotice a = KETEN__ACCESS_NOTICE__INIT;
    a.case_refs = (char **) case_refs;
    a.n_case_refs = n;
    a.what = (char *) what;
    a.os_user = (char *) user;
    a.at_ms = kt_now_ms ();
    uint8_t id[KT_ID_LEN], *header = NULL;
    size_t header_len = 0;
    uint64_t now = kt_now_ms ();
    /*  art. 15.2e: the notice travels like a signal does; its outbox row
     *  commits with the access rows (node_record_access). */
    int rc = node_seal (self, KETEN__MESSAGE_TYPE__ACCESS_NOTICE, p->hub->member->id, &a.base, id,
                        &header, &header_len, reason);
    if (rc == 0)
        rc = outbox_insert (p->outbox, id, KETEN__MESSAGE_TYPE__ACCESS_NOTICE, header, header_len,
                            now, reason);
    free (header);
    if (rc == 0) {
        memcpy (p->notice_id, id, KT_ID_LEN);
        p->notice_ms = now;
    } else
        kt_log (KT_LOG_ERROR, "access notice_failed reason=\"%s\"", reason->text);
    return rc;
}

int
partner_log_access (node_t *self, const char *user, const char *what, const char *const *case_refs,
                    size_t n, kt_reason_t *reason)
{
    (void) user;
    (void) what;
    (void) case_refs;
    (void) n;
    /*  Due at once (the outbox is told only after the commit); should
     *  this fail, the row is due at the next start. */
    partner_t *p = partner_of (self);
    if (outbox_enqueue (p->outbox, p->notice_id, p->notice_ms) != 0)
        return kt_fail (reason, "out of memory");
    partner_on_pump (self->loop, 0, self);
    return 0;
}

void
partner_incident_report (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
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
    partner_send (self, caller, KETEN__MESSAGE_TYPE__INCIDENT, &in.base,
                  json_is_true (json_object_get (args, "wait")));
}
