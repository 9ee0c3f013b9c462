/*  uitvoerder_incident: incidents reported by any node (art. 15.2g) are
 *  logged (INCIDENT_REGISTERED: reporter and ids, never the description)
 *  and registered; the uitvoerder records whether the persons concerned
 *  were informed (AVG art. 34), how the incident was handled
 *  (INCIDENT_UPDATED) and the outcome for the Autoriteit Persoonsgegevens
 *  (AVG art. 33); status shows what is still open.  The kernpartijen,
 *  jointly the controller (art. 4), get each change of the register as
 *  an INCIDENT_REGISTER copy through the relay: one sealed copy per
 *  kernpartij, kept until its receipt, offered again when it is next
 *  heard, so a node that was down gets every change when it is back.
 *
 *  Order of a change: the register's commit, then INCIDENT_UPDATED once
 *  under "incident/ID/vN", then the copies under the origin
 *  "i/ID/N/MEMBER" (a copy made again after the member refused each one
 *  before: "i/ID/N/MEMBER+K", s_origin).  A crash between them is made
 *  good at the next start (uitvoerder_incident_start), which also sends
 *  a kernpartij new on the roster the register it has not had.  A member that becomes a
 *  kernpartij again (`keten member kind`) dropped the register when it
 *  stopped being one: its copies go under "i/ID/N/MEMBER/V" from then on,
 *  V the roster version that made it one again, and it is sent the whole
 *  register at once (uitvoerder_incident_rejoin).
 */
#include "uitvoerder.h"
#include "uitvoerder_json.h"
#include "render.h"

#include "relay.h"

#include <string.h>

static Keten__PersonsInformed
s_informed (const char *v)
{
    return !strcmp (v, "yes")            ? KETEN__PERSONS_INFORMED__PERSONS_INFORMED_YES
           : !strcmp (v, "no")           ? KETEN__PERSONS_INFORMED__PERSONS_INFORMED_NO
           : !strcmp (v, "not-required") ? KETEN__PERSONS_INFORMED__PERSONS_INFORMED_NOT_REQUIRED
                                         : KETEN__PERSONS_INFORMED__PERSONS_INFORMED_UNSPECIFIED;
}

/*  art. 15.2g: the register's change of one incident, once per version:
 *  ids, the version and codes, no text. */
static int
s_log_updated (node_t *self, const incident_row_t *row, const char *os_user, kt_reason_t *reason)
{
    char what[128], once[64];
    snprintf (what, sizeof what, "incident %s v%u persons-informed:%s%s%s%s", row->id, row->version,
              *row->persons_informed ? row->persons_informed : "not-recorded",
              *row->handling ? " handled" : "",
              row->notified          ? " ap:notified"
              : row->ap_not_required ? " ap:not-required"
                                     : "",
              row->closed ? " closed" : "");
    snprintf (once, sizeof once, "incident/%s/v%u", row->id, row->version);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__INCIDENT_UPDATED;
    e.time_ms = kt_now_ms ();
    e.node = (char *) keyring_self_member (self->keyring)->id;
    e.os_user = (char *) (os_user ? os_user : "");
    e.message_type = KETEN__MESSAGE_TYPE__INCIDENT_REGISTER;
    e.what = what;
    return provlog_append_one (uitvoerder_of (self)->log, once, &e, NULL, reason);
}

/*  node.db meta key: the roster version from which member is a
 *  kernpartij again (node ids are at most 64 bytes). */
static void
s_since_key (char *out, size_t len, const char *member)
{
    snprintf (out, len, "incident_since/%s", member);
}

/*  Whether a register copy goes under origin (its base, "i/ID/N/MEMBER"
 *  or ".../V", on entry): not when a copy under it, or under one made
 *  again, reached the member or is on its way (*send false).  When each
 *  copy kept under it was refused (one that overtook the roster making
 *  the node a kernpartij) or withdrawn, the copy is made again under the
 *  first of base+2, base+3, ... none is kept under (*send true, origin
 *  that one): uitvoerder_copies_send takes any copy kept under its origin
 *  for a resumed send and keeps nothing new, so the base would never go
 *  again.  A crash after such a copy is kept finds it under that origin
 *  at the next start, pending or held, and sends nothing twice.  0, or
 *  -1 with reason. */
static int
s_origin (relay_t *relay, char *origin, size_t len, bool *send, kt_reason_t *reason)
{
    char base[sizeof ((copies_t *) 0)->origin];
    snprintf (base, sizeof base, "%s", origin);
    for (unsigned k = 1;; k++) {
        int n = k == 1 ? 0 : snprintf (origin, len, "%s+%u", base, k);
        if (n < 0 || (size_t) n >= len)
            return kt_fail (reason, "an incident register copy's origin is too long");
        int has = relay_has_origin (relay, origin, reason);
        if (has < 0)
            return -1;
        if (!has) {
            *send = true;
            return 0;
        }
        int kept = relay_has_origin_kept (relay, origin, reason);
        if (kept < 0)
            return -1;
        if (kept) {
            *send = false;
            return 0;
        }
    }
}

typedef struct {
    node_t *node;
    const char *os_user; /* NULL at start */
    bool log;            /* a change (version > 1) is logged first */
    size_t sent;
} push_t;

/*  Send row, as it is now, to every active kernpartij not sent this
 *  version yet. */
static int
s_push_row (void *arg, const incident_row_t *row, kt_reason_t *reason)
{
    push_t *p = arg;
    node_t *self = p->node;
    uitvoerder_t *u = uitvoerder_of (self);
    if (p->log && row->version > 1 && s_log_updated (self, row, p->os_user, reason) < 0)
        return -1;
    char kinds[16 * 66], *kind[16];
    size_t n_kinds = 0;
    snprintf (kinds, sizeof kinds, "%s", row->data_kinds);
    for (char *save = NULL, *k = strtok_r (kinds, ",", &save); k && n_kinds < 16;
         k = strtok_r (NULL, ",", &save))
        kind[n_kinds++] = k;
    Keten__IncidentRegisterEntry e = KETEN__INCIDENT_REGISTER_ENTRY__INIT;
    e.incident_id = (char *) row->id;
    e.version = row->version;
    e.reporter = (char *) row->reporter;
    e.found_ms = row->found_ms;
    e.registered_ms = row->reported_ms;
    e.what = (char *) row->what;
    e.data_kinds = kind;
    e.n_data_kinds = n_kinds;
    e.subjects = (uint32_t) row->subjects;
    e.ap_deadline_ms = row->ap_deadline_ms;
    e.closed = row->closed;
    e.ap_notified_ms = row->notified ? row->ap_notified_ms : 0;
    e.ap_not_required = (char *) (row->ap_not_required ? row->ap_not_required : "");
    e.persons_informed = s_informed (row->persons_informed);
    e.persons_informed_note = (char *) row->persons_informed_note;
    e.handling = (char *) row->handling;
    e.updated_ms = row->updated_ms;
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        /*  art. 4, 15.2g: the kernpartijen, the joint controllers. */
        if (m->role != ROLE_KERNPARTIJ || !roster_member_active (m, now))
            continue;
        copies_t c = {self, KETEN__MESSAGE_TYPE__INCIDENT_REGISTER, NULL, 0, ""};
        char key[96];
        s_since_key (key, sizeof key, m->id);
        int64_t since = node_meta_get (self, key, 0);
        int len =
            snprintf (c.origin, sizeof c.origin, "i/%s/%u/%.60s", row->id, row->version, m->id);
        if (since > 0)
            snprintf (c.origin + len, sizeof c.origin - (size_t) len, "/%lld", (long long) since);
        /*  Sent unless each copy was withdrawn or refused: one the node
         *  refused (a roster it had not applied yet) is sent again at the
         *  next start, under an origin of its own. */
        bool send = false;
        if (s_origin (u->relay, c.origin, sizeof c.origin, &send, reason) != 0)
            return -1;
        if (!send)
            continue;
        int rc = uitvoerder_copy_add (self, &c, m, &e.base, NULL, 0, false, reason);
        if (rc == 0)
            rc = uitvoerder_copies_send (self, &c, p->os_user, NULL, reason);
        uitvoerder_copies_free (&c);
        if (rc != 0)
            return -1;
        p->sent++;
    }
    return 0;
}

int
uitvoerder_incident_rejoin (node_t *self, const char *member, uint64_t version, kt_reason_t *reason)
{
    char key[96];
    s_since_key (key, sizeof key, member);
    return node_meta_set (self, key, version, reason);
}

/*  After a change of incident id: logged (a change) and sent. */
static void
s_push (node_t *self, const char *id, const char *os_user)
{
    push_t p = {self, os_user, true, 0};
    kt_reason_t reason;
    int found = incident_one (uitvoerder_of (self)->incident, id, s_push_row, &p, &reason);
    if (found <= 0)
        /*  The next start makes it good. */
        kt_log (KT_LOG_ERROR, "incident push_failed id=%s reason=\"%s\"", id,
                found == 0 ? "not found" : reason.text);
}

void
uitvoerder_incident_start (node_t *self)
{
    push_t p = {self, NULL, true, 0};
    kt_reason_t reason;
    if (incident_each (uitvoerder_of (self)->incident, false, s_push_row, &p, &reason) != 0)
        kt_log (KT_LOG_ERROR, "incident push_failed reason=\"%s\"", reason.text);
    else if (p.sent)
        kt_log (KT_LOG_INFO, "incident register_sent copies=%zu", p.sent);
}

/*  Log, then register; *id and *index receive the incident's.  A report
 *  that arrived as a message (message_id, leaf_hash) is logged once: when
 *  a crash (or a failing register) came between the entry and the
 *  register, the retry finds the entry and registers under it.  Returns
 *  1 (reason says why) when the id is logged for another message. */
static int
s_register (node_t *self, const Keten__Incident *in, const char *reporter, uint32_t uid,
            const envelope_opened_t *opened, char id[19], uint64_t *index, kt_reason_t *reason)
{
    const uint8_t *message_id = opened ? opened->id : NULL;
    const uint8_t *leaf_hash = opened ? opened->leaf_hash : NULL;
    const uint8_t *commitment = opened && opened->header->body_commitment.len == 32
                                    ? opened->header->body_commitment.data
                                    : NULL;
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
    if (incident_register (u->incident, in, reporter, uid, message_id, commitment, *index, id,
                           reason) != 0)
        return -1;
    kt_log (KT_LOG_WARN, "incident registered id=%s reporter=%s log_index=%llu", id, reporter,
            (unsigned long long) *index);
    s_push (self, id, *user ? user : NULL);
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
    const ProtobufCBinaryData *commitment = &opened->header->body_commitment;
    int known = incident_find_message (uitvoerder_of (self)->incident, opened->id, sender->id,
                                       commitment->len == 32 ? commitment->data : NULL, id, &index);
    /*  Already registered: answered again (the first receipt was lost),
     *  but only to its own reporter and for the same body, as a signal
     *  is (s_duplicate): an id is no secret, and a receipt must prove
     *  what was stored. */
    if (known == 1) {
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
        return;
    }
    if (known == 2) {
        if (node_peer_line (self, "incident refused", sender->id))
            kt_log (KT_LOG_WARN, "incident refused peer=%s reason=\"id reused\"", sender->id);
        uitvoerder_refuse_by_rule (self, link, sender->id, opened,
                                   "this message id is already used for a different message");
        return;
    }
    if (incident_check (in, kt_now_ms (), &reason) != 0) {
        if (node_peer_line (self, "incident refused", sender->id))
            kt_log (KT_LOG_WARN, "incident refused peer=%s reason=\"%s\"", sender->id, reason.text);
        uitvoerder_receipt (self, link, sender->id, opened->id, false, 0, reason.text);
        return;
    }
    /*  A handful a year is honest; past the hour's budget it is refused,
     *  before it costs a commit, a log entry and a copy per kernpartij -
     *  unless its entry is logged already (a crash came before its
     *  register): that one is registered under it, as before, and takes
     *  nothing of the budget. */
    if (known == 0 &&
        !uitvoerder_budget_or_refuse (
            self, link, sender->id, opened, &link->incidents, UITVOERDER_INCIDENTS_HOUR,
            &link->incident_flood_until_ms, "incident_flood",
            "incident budget: more than %d incidents from this member within an hour; "
            "report this one again later, or ask the uitvoerder's operator",
            UITVOERDER_INCIDENTS_HOUR))
        return;
    int rc = known < 0 ? kt_fail (&reason, "lookup failed")
                       : s_register (self, in, sender->id, 0, opened, id, &index, &reason);
    if (rc == 0)
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
    else if (rc > 0) {
        if (node_peer_line (self, "incident refused", sender->id))
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
                    NULL, id, &index, &reason) != 0)
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
    kt_reason_t reason;
    /*  A page, newest first (or the one asked for): the answer, built on
     *  the event loop, does not grow with the register. */
    int limit = node_limit (args);
    const char *only = json_string_value (json_object_get (args, "incident_id"));
    node_reply_incidents (self, caller,
                          uitvoerder_json_incidents (uitvoerder_of (self)->incident, only,
                                                     (size_t) limit + 1, kt_now_ms (), &reason),
                          limit, &reason);
}

/*  incident.update: persons informed (AVG art. 34), handling and the AP
 *  outcome (art. 33), any of them; incident.close: the same, may be,
 *  then closed, with the AP outcome given or recorded before - in one
 *  commit.  Either way every kernpartij gets the change. */
void
uitvoerder_incident_close (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "arguments must be an object");
        return;
    }
    bool close = strcmp (cmd, "incident.close") == 0;
    kt_reason_t reason;
    const char *id = json_string_value (json_object_get (args, "incident_id"));
    json_t *notified = json_object_get (args, "ap_notified_ms");
    const char *not_required = json_string_value (json_object_get (args, "ap_not_required"));
    const char *informed = json_string_value (json_object_get (args, "persons_informed"));
    const char *note = json_string_value (json_object_get (args, "persons_informed_note"));
    const char *handling = json_string_value (json_object_get (args, "handling"));
    uint64_t when = json_is_integer (notified) && json_integer_value (notified) > 0
                        ? (uint64_t) json_integer_value (notified)
                        : 0;
    incident_t *reg = uitvoerder_of (self)->incident;
    int rc = 0;
    if (!id)
        rc = kt_fail (&reason, "%s needs incident_id", cmd);
    else if (notified && !when)
        rc = kt_fail (&reason, "ap_notified_ms must be a time in ms since the epoch");
    else if (!close && !informed && !handling && !note && !when && !not_required)
        rc = kt_fail (&reason, "record persons_informed (yes, no, not-required), handling or the "
                               "AP outcome (ap_notified_ms or ap_not_required)");
    else if (store_begin (self->db, &reason) != 0)
        rc = -1;
    else {
        if ((informed || handling || note) &&
            incident_update (reg, id, informed, note, handling, (uint32_t) caller->uid,
                             kt_now_ms (), &reason) != 0)
            rc = -1;
        if (rc == 0 && !close && (when || not_required) &&
            incident_record_ap (reg, id, when, not_required, kt_now_ms (), &reason) != 0)
            rc = -1;
        if (rc == 0 && close &&
            incident_close (reg, id, when, not_required, (uint32_t) caller->uid, &reason) != 0)
            rc = -1;
        if (rc == 0 && store_commit (self->db, &reason) != 0)
            rc = -1;
        if (rc != 0)
            store_rollback (self->db);
    }
    if (rc != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    bool ap = close || when || not_required;
    kt_log (KT_LOG_INFO, "incident %s id=%s%s%s uid=%u", close ? "closed" : "updated", id,
            ap ? " ap=" : "",
            !ap            ? ""
            : when         ? "notified"
            : not_required ? "not-required"
                           : "as-recorded",
            (unsigned) caller->uid);
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    s_push (self, id, user);
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:s, s:s}", "incident_id", id, "state", close ? "closed" : "updated"));
}
