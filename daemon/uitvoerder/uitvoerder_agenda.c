/*  uitvoerder_agenda: the uitvoerder plans weegploeg meetings and sends
 *  each kernpartij its own copy of the agenda (art. 8.2-8.4) through
 *  uitvoerder_send.c; casusoverleg meetings the same way, to the
 *  participants of the cases on them (art. 9-10, CASUS_AGENDA).  A
 *  version is recorded in the weegploeg file first and marked as handed
 *  over after its copies are kept and logged; a restart in between
 *  composes it again, and when copies of that version were kept already
 *  (under "meeting/ID/SEQ") sends those instead, so each is logged once.
 */
#include "uitvoerder.h"
#include "calendar.h"

#include "uitvoerder_json.h"
#include "render.h"

#include "policy.h"
#include "store.h"

#include <string.h>
#include <unistd.h>

/*  meeting_send_fn: seal one recipient's copy. */
static int
s_seal_copy (void *arg, const roster_member_t *to, const Keten__WeegploegAgenda *agenda,
             kt_reason_t *reason)
{
    copies_t *copies = arg;
    snprintf (copies->origin, sizeof copies->origin, "meeting/%s/%u", agenda->meeting_id,
              (unsigned) agenda->sequence);
    /*  Every copy of a meeting is of the meeting's kind. */
    copies->type = agenda->kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG
                       ? KETEN__MESSAGE_TYPE__CASUS_AGENDA
                       : KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA;
    char *refs[MEETING_MAX_ITEMS];
    for (size_t i = 0; i < agenda->n_items && i < MEETING_MAX_ITEMS; i++)
        refs[i] = agenda->items[i]->case_ref;
    return uitvoerder_copy_add (copies->node, copies, to, &agenda->base, refs, agenda->n_items,
                                agenda->cancelled, reason);
}

/*  Send the newest version of meeting_id to everyone it is due to.  json
 *  (may be NULL) receives the recipients. */
static int
s_send_meeting (node_t *self, const char *meeting_id, const char *os_user, json_t *json,
                kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    copies_t copies = {self, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, NULL, 0, ""};
    const roster_t *roster = keyring_roster (self->keyring);
    int rc = meeting_compose (u->meeting, u->casus, roster, meeting_id, kt_now_ms (), s_seal_copy,
                              &copies, reason);
    if (rc == 0)
        rc = uitvoerder_copies_send (self, &copies, os_user, json, reason);
    if (rc == 0)
        rc = meeting_mark_sent (u->meeting, meeting_id, reason);
    uitvoerder_copies_free (&copies);
    return rc;
}

int
uitvoerder_agenda_place_due (node_t *self, const char *os_user, kt_reason_t *reason)
{
    char meeting_id[MEETING_ID_LEN];
    uint32_t sequence = 0;
    int placed = meeting_place_due (uitvoerder_of (self)->meeting, kt_now_ms (),
                                    (uint32_t) getuid (), meeting_id, &sequence, reason);
    if (placed <= 0)
        return placed;
    kt_log (KT_LOG_INFO, "agenda due_placed kind=weegploeg meeting=%s sequence=%u", meeting_id,
            (unsigned) sequence);
    return s_send_meeting (self, meeting_id, os_user, NULL, reason) == 0 ? 1 : -1;
}

int
uitvoerder_resume_meetings (node_t *self, kt_reason_t *reason)
{
    json_t *unsent = uitvoerder_json_meetings_unsent (uitvoerder_of (self)->meeting, reason);
    if (!unsent)
        return -1;
    size_t i;
    json_t *id;
    json_array_foreach (unsent, i, id)
    {
        kt_log (KT_LOG_INFO, "agenda resume meeting=%s", json_string_value (id));
        /*  One meeting that cannot go (a copy past the message bound)
         *  must not keep the node from starting: said, kept, tried again
         *  at the next start or change of that meeting. */
        kt_reason_t why;
        if (s_send_meeting (self, json_string_value (id), "ketend", NULL, &why) != 0)
            kt_log (KT_LOG_ERROR, "agenda resume_failed meeting=%s reason=\"%s\"",
                    json_string_value (id), why.text);
    }
    json_decref (unsent);
    return 0;
}

/*  Read the change from the API arguments (checked again in meeting.c). */
static int
s_change_from_args (json_t *args, meeting_change_t *c, const char **refs, kt_reason_t *reason)
{
    json_t *v;
    if ((v = json_object_get (args, "meeting_id")) && !(c->meeting_id = json_string_value (v)))
        return kt_fail (reason, "meeting_id must be a string");
    if ((v = json_object_get (args, "starts_at")) && !(c->starts_at = json_string_value (v)))
        return kt_fail (reason, "starts_at must be a string");
    if ((v = json_object_get (args, "location")) && !(c->location = json_string_value (v)))
        return kt_fail (reason, "location must be a string");
    if ((v = json_object_get (args, "duration_min"))) {
        if (!json_is_integer (v) || json_integer_value (v) < 1 ||
            json_integer_value (v) > UINT32_MAX)
            return kt_fail (reason, "duration_min must be a positive integer");
        c->duration_min = (uint32_t) json_integer_value (v);
    }
    c->cancel = json_is_true (json_object_get (args, "cancel"));
    if ((v = json_object_get (args, "case_refs"))) {
        if (!json_is_array (v) || json_array_size (v) > MEETING_MAX_ITEMS)
            return kt_fail (reason, "case_refs must be an array of at most %d case_refs",
                            MEETING_MAX_ITEMS);
        for (size_t i = 0; i < json_array_size (v); i++)
            if (!(refs[i] = json_string_value (json_array_get (v, i))))
                return kt_fail (reason, "case_refs must hold strings");
        c->case_refs = refs;
        c->n_case_refs = json_array_size (v);
        c->set_cases = true;
    }
    if (c->cancel && (c->starts_at || c->location || c->set_cases || c->duration_min))
        return kt_fail (reason, "a cancellation changes nothing else");
    return 0;
}

/*  weegploeg.agenda and casusoverleg.agenda: plan, change or cancel a
 *  meeting of kind and send its copies. */
static void
s_agenda (node_t *self, const api_caller_t *caller, json_t *args, meeting_kind_t kind)
{
    meeting_change_t c = {0};
    const char *refs[MEETING_MAX_ITEMS];
    char meeting_id[MEETING_ID_LEN], user[65];
    uint32_t sequence = 0;
    kt_reason_t reason;
    c.uid = caller->uid;
    c.kind = kind;
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "arguments must be an object");
        return;
    }
    if (s_change_from_args (args, &c, refs, &reason) != 0 ||
        meeting_change (uitvoerder_of (self)->meeting, uitvoerder_of (self)->casus, &c, meeting_id,
                        &sequence, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    access_user_name (caller->uid, user, sizeof user);
    kt_log (KT_LOG_INFO, "agenda %s kind=%s meeting=%s sequence=%u user=%s",
            c.cancel       ? "cancelled"
            : c.meeting_id ? "changed"
                           : "planned",
            meeting_kind_name (kind), meeting_id, (unsigned) sequence, user);
    json_t *sent = json_array ();
    if (s_send_meeting (self, meeting_id, user, sent, &reason) != 0) {
        json_decref (sent);
        /*  The version is recorded; the send resumes at the next start. */
        char msg[KT_REASON_MAX + 96];
        snprintf (msg, sizeof msg, "meeting %s version %u recorded but not sent yet: %s",
                  meeting_id, (unsigned) sequence, reason.text);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    json_t *result = json_pack ("{s:s, s:I, s:o}", "meeting_id", meeting_id, "sequence",
                                (json_int_t) sequence, "sent_to", sent);
    /*  Planned (or moved) to a time already past in the Dutch calendar:
     *  sent as asked - minutes of a meeting held may be recorded after
     *  it - but said, as it is most often a typo in the date. */
    char now[17];
    kt_local_time (kt_now_ms (), now);
    now[10] = 'T';
    if (!c.cancel && c.starts_at && strcmp (c.starts_at, now) < 0) {
        char warning[128];
        snprintf (warning, sizeof warning,
                  "the meeting starts at %.16s, which is in the past (now %s)", c.starts_at, now);
        json_object_set_new (result, "warning", json_string (warning));
    }
    apiserver_reply_ok (self->api, caller, result);
}

void
uitvoerder_agenda (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_agenda (self, caller, args, MEETING_WEEGPLOEG);
}

void
uitvoerder_casus_agenda (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_agenda (self, caller, args, MEETING_CASUSOVERLEG);
}

void
uitvoerder_on_member_receipt (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_member_t *member = m->peer->member;
    const Keten__Receipt *r = (const Keten__Receipt *) m->body;
    bool accepted = r->status == KETEN__RECEIPT_STATUS__ACCEPTED;
    kt_reason_t reason;
    char hex[KT_ID_HEX];
    kt_hex (hex, r->message_id.data, KT_ID_LEN);
    int settled = relay_settle (u->relay, r->message_id.data, member->id, accepted, r->reason,
                                kt_now_ms (), &reason);
    if (settled < 0)
        kt_log (KT_LOG_ERROR, "receipt store_failed peer=%s reason=\"%s\"", member->id,
                reason.text);
    else if (settled > 0) {
        /*  The row now owes its MESSAGE_DELIVERED entry; written once,
         *  here or (when the log cannot be written now) by the log timer
         *  or the next start (Crash reasoning 12). */
        if (uitvoerder_relay_log (self, &reason) != 0)
            kt_log (KT_LOG_ERROR, "log append_failed event=delivered reason=\"%s\"", reason.text);
        if (accepted)
            kt_log (KT_LOG_INFO, "message delivered id=%s to=%s", hex, member->id);
        else if (relay_last_answer (u->relay, member->id, KETEN__MESSAGE_TYPE__ROSTER, NULL,
                                    &reason) == 2)
            /*  Its last answer to a roster push is this refusal: the
             *  roster_refused alarm in its status row (docs/ROSTER.md). */
            kt_log (KT_LOG_ERROR,
                    "roster refused_by_member id=%s peer=%s: alarm roster_refused raised", hex,
                    member->id);
        else
            kt_log (KT_LOG_WARN, "message refused_by_member id=%s peer=%s", hex, member->id);
    } else if (accepted) {
        /*  Withdrawn after it was offered (its kind changed, it left):
         *  the node took it all the same, before the roster that tells
         *  it.  Not a delivery - its withdrawal stands on record - but
         *  the node holds the copy: noted on the row, so that a
         *  correction decided later reaches it (relay_each_case_holder,
         *  uitvoerder_passed_places), and said once, by id, for its
         *  operator to see to (docs/ROSTER.md, "A member's kind
         *  changes").  A failed note is said too: the member is then not
         *  counted as a holder, as for a receipt that never came. */
        int taken =
            relay_taken_late (u->relay, r->message_id.data, member->id, kt_now_ms (), &reason);
        if (taken < 0)
            kt_log (KT_LOG_ERROR, "relay taken_note_failed id=%s peer=%s reason=\"%s\"", hex,
                    member->id, reason.text);
        else if (taken > 0)
            kt_log (KT_LOG_WARN,
                    "relay receipt_after_withdrawal id=%s peer=%s: the member took a copy "
                    "withdrawn from it; its operator checks what the node holds",
                    hex, member->id);
    }
}
