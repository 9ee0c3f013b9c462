/*  uitvoerder_roster: membership changes at the uitvoerder (art. 15.2c,
 *  18.2).  Each change is the next signed roster version: kept and applied
 *  here at once (keyring, zauth allow-list), logged (ROSTER_CHANGED),
 *  pushed to every member of the previous version - the one that leaves
 *  included, so that its node knows to stop - and then the listening
 *  socket is rebound, so a revoked member's open connection drops and its
 *  next one is refused.
 */
#include "node_internal.h"

#include "rosterchange.h"

#include <string.h>

/*  Long enough for the pushed roster to leave before the rebind. */
#define REBIND_DELAY_MS 500

static int
s_on_rebind (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    node_t *self = arg;
    kt_reason_t reason;
    zloop_reader_end (loop, transport_sock (self->transport));
    if (transport_rebind (self->transport, &self->config, self->keys, &reason) != 0) {
        /*  Without a socket the uitvoerder serves nobody: stop loudly and
         *  let the service manager restart it. */
        kt_log (KT_LOG_ERROR, "transport rebind_failed reason=\"%s\"", reason.text);
        return -1;
    }
    zloop_reader (loop, transport_sock (self->transport), uitvoerder_on_transport, self);
    zloop_reader_set_tolerant (loop, transport_sock (self->transport));
    for (size_t i = 0; i < keyring_roster (self->keyring)->member_count; i++)
        self->links[i].rid_len = 0; /* routing ids are per connection */
    kt_log (KT_LOG_INFO, "transport rebound: members reconnect through the new allow-list");
    return 0;
}

/*  Push note to every active member of roster, through the relay. */
static int
s_push (node_t *self, const roster_t *roster, const char *note, size_t len, const char *os_user,
        json_t *json, kt_reason_t *reason)
{
    Keten__RosterUpdate u = KETEN__ROSTER_UPDATE__INIT;
    u.note.data = (uint8_t *) note;
    u.note.len = len;
    copies_t copies = {self, KETEN__MESSAGE_TYPE__ROSTER, NULL, 0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < roster->member_count; i++) {
        const roster_member_t *to = &roster->members[i];
        if (to->role == ROLE_UITVOERDER || !roster_member_active (to, kt_now_ms ()))
            continue;
        rc = uitvoerder_copy_add (self, &copies, to, &u.base, NULL, 0, false, reason);
    }
    if (rc == 0)
        rc = uitvoerder_copies_send (self, &copies, os_user, json, reason);
    uitvoerder_copies_free (&copies);
    return rc;
}

void
uitvoerder_roster_change (node_t *self, const api_caller_t *caller, json_t *args)
{
    kt_reason_t reason;
    const char *op = json_string_value (json_object_get (args, "op"));
    const char *pub_text = json_string_value (json_object_get (args, "pub"));
    roster_change_t change = {0};
    keys_public_t pub;
    change.id = json_string_value (json_object_get (args, "id"));
    change.kind = json_string_value (json_object_get (args, "kind"));
    change.date = json_string_value (json_object_get (args, "date"));
    int rc = 0;
    if (!op)
        rc = kt_fail (&reason, "roster.change needs op");
    else if (strcmp (op, "add") == 0) {
        change.op = ROSTER_CHANGE_ADD;
        if (!pub_text ||
            keys_parse_public (pub_text, strlen (pub_text), "the .pub file", &pub, &reason) != 0)
            rc = pub_text ? -1 : kt_fail (&reason, "adding a member needs its .pub file");
        change.pub = &pub;
        change.id = pub.id;
    } else if (strcmp (op, "kind") == 0)
        change.op = ROSTER_CHANGE_KIND;
    else if (strcmp (op, "revoke") == 0)
        change.op = ROSTER_CHANGE_REVOKE;
    else if (strcmp (op, "opzegging") == 0)
        change.op = ROSTER_CHANGE_OPZEGGING;
    else
        rc = kt_fail (&reason, "op must be add, kind, revoke or opzegging");
    char *note = NULL;
    if (rc == 0)
        rc = roster_change (keyring_roster (self->keyring), &change, self->keys, &note, &reason);
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    uint64_t version = keyring_roster (self->keyring)->version + 1;
    if (rc == 0) {
        char what[160];
        snprintf (what, sizeof what, "%s %s -> version %llu", op, change.id ? change.id : "",
                  (unsigned long long) version);
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        e.event = KETEN__LOG_EVENT__ROSTER_CHANGED;
        e.time_ms = kt_now_ms ();
        e.node = (char *) keyring_self_member (self->keyring)->id;
        e.os_user = user;
        e.what = what;
        uint64_t index;
        if (provlog_begin (self->log, &reason) != 0 ||
            provlog_append (self->log, &e, &index, &reason) != 0 ||
            provlog_commit (self->log, &reason) != 0) {
            provlog_rollback (self->log);
            rc = -1;
        }
    }
    /*  Pushed under the current version, to every member active in it -
     *  the one that leaves included - before the new version applies. */
    json_t *sent = json_array ();
    if (rc == 0)
        rc =
            s_push (self, keyring_roster (self->keyring), note, strlen (note), user, sent, &reason);
    if (rc == 0)
        rc = node_apply_roster (self, note, strlen (note), &reason);
    if (rc == 0)
        rc = transport_allow (self->transport, keyring_roster (self->keyring), &reason);
    if (rc == 0 && zloop_timer (self->loop, REBIND_DELAY_MS, 1, s_on_rebind, self) < 0)
        rc = kt_fail (&reason, "cannot schedule the rebind");
    free (note);
    if (rc != 0) {
        json_decref (sent);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    const roster_t *now = keyring_roster (self->keyring);
    kt_log (KT_LOG_INFO, "roster changed op=%s member=%s version=%llu user=%s", op,
            change.id ? change.id : "-", (unsigned long long) now->version, user);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:I, s:s, s:o}", "version", (json_int_t) now->version,
                                   "member", change.id ? change.id : "", "sent_to", sent));
}
