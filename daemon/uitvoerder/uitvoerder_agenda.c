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

/*  What a withdrawn agenda copy's row and MESSAGE_REFUSED entry say (no
 *  personal data). */
#define S_WITHDRAWN_EMPTIED                                                                        \
    RELAY_WITHDRAWN_PREFIX " a subject on it has no signal left (art. 7.2a, 12.5); a version "     \
                           "without it follows"

/*  The waiting copies of one subject's agendas, and their meetings. */
typedef struct {
    uint8_t (*ids)[KT_ID_LEN];
    char (*meetings)[MEETING_ID_LEN];
    size_t n, n_meetings, cap;
} queued_t;

static int
s_queued_row (void *arg, const uint8_t id[KT_ID_LEN], const char *origin, kt_reason_t *reason)
{
    queued_t *q = arg;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 8;
        uint8_t (*ids)[KT_ID_LEN] = realloc (q->ids, cap * sizeof *ids);
        if (ids)
            q->ids = ids;
        char (*meetings)[MEETING_ID_LEN] = realloc (q->meetings, cap * sizeof *meetings);
        if (meetings)
            q->meetings = meetings;
        if (!ids || !meetings)
            return kt_fail (reason, "out of memory");
        q->cap = cap;
    }
    memcpy (q->ids[q->n++], id, KT_ID_LEN);
    /*  origin "meeting/ID/SEQ" (s_seal_copy): each meeting once. */
    char meeting_id[MEETING_ID_LEN] = "";
    if (strncmp (origin, "meeting/", 8) == 0 && strlen (origin + 8) > MEETING_ID_LEN - 1 &&
        origin[8 + MEETING_ID_LEN - 1] == '/')
        snprintf (meeting_id, sizeof meeting_id, "%.*s", MEETING_ID_LEN - 1, origin + 8);
    if (!*meeting_id)
        return 0;
    for (size_t i = 0; i < q->n_meetings; i++)
        if (strcmp (q->meetings[i], meeting_id) == 0)
            return 0;
    snprintf (q->meetings[q->n_meetings++], MEETING_ID_LEN, "%s", meeting_id);
    return 0;
}

int
uitvoerder_agenda_withdraw_emptied (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    int left = weegploeg_case_has_signals (u->weegploeg, case_ref, reason);
    if (left != 0)
        return left < 0 ? -1 : 0;
    queued_t q = {0};
    int rc = relay_each_pending_case (u->relay, case_ref, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA,
                                      s_queued_row, &q, reason);
    /*  The new versions are recorded first: a crash after them and before
     *  the withdrawal finds the copies still waiting and renews again (a
     *  version too many, harmless); one after the withdrawal leaves the
     *  versions recorded and not sent, which every start resumes. */
    bool *renewed = rc == 0 ? calloc (q.n_meetings ? q.n_meetings : 1, sizeof *renewed) : NULL;
    if (rc == 0 && !renewed)
        rc = kt_fail (reason, "out of memory");
    for (size_t i = 0; rc == 0 && i < q.n_meetings; i++) {
        uint32_t sequence = 0;
        int r = meeting_renew (u->meeting, q.meetings[i], (uint32_t) getuid (), &sequence, reason);
        if (r < 0)
            rc = -1;
        renewed[i] = r > 0;
        if (r > 0)
            kt_log (KT_LOG_INFO,
                    "agenda renewed kind=weegploeg meeting=%s sequence=%u case_ref=%s "
                    "reason=\"a subject on it has no signal left\"",
                    q.meetings[i], (unsigned) sequence, case_ref);
    }
    int64_t withdrawn = 0;
    for (size_t i = 0; rc == 0 && i < q.n; i++) {
        int r = relay_withdraw_one (u->relay, q.ids[i], S_WITHDRAWN_EMPTIED, kt_now_ms (), reason);
        if (r < 0)
            rc = -1;
        withdrawn += r > 0;
    }
    if (withdrawn > 0) {
        kt_reason_t why;
        kt_log (KT_LOG_INFO, "relay withdrawn case_ref=%s count=%lld cause=no_signal_left",
                case_ref, (long long) withdrawn);
        /*  Their MESSAGE_REFUSED entries; the sealed bytes go once those
         *  are written (owed, and written later, when the log cannot be
         *  now). */
        if (uitvoerder_relay_log (self, &why) != 0)
            kt_log (KT_LOG_WARN, "relay log_failed reason=\"%s\"", why.text);
    }
    for (size_t i = 0; rc == 0 && i < q.n_meetings; i++) {
        kt_reason_t why;
        if (renewed[i] && s_send_meeting (self, q.meetings[i], "ketend", NULL, &why) != 0)
            kt_log (KT_LOG_ERROR,
                    "agenda send_failed meeting=%s reason=\"%s\" (resumed at the "
                    "next start)",
                    q.meetings[i], why.text);
    }
    free (renewed);
    free (q.ids);
    free (q.meetings);
    return rc;
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
