/*  uitvoerder_send: the uitvoerder's own messages to members (weegploeg
 *  agendas and decisions, plans, closures, disclosure consents, rosters),
 *  each sealed for one recipient.  Order of a send, so that a crash never
 *  leaves a delivery the provenance log does not show: (1) one MESSAGE_SENT
 *  log entry per copy (ids, case_refs, actor - no personal data), (2) the
 *  sealed copies in the relay (node.db), (3) offered at once to members
 *  that are online; the rest when they are next heard.
 */
#include "uitvoerder.h"

#include "merkle.h"
#include "policy.h"
#include "store.h"

#include <string.h>

#define RELAY_BATCH 64

void
uitvoerder_copies_free (copies_t *copies)
{
    for (size_t i = 0; i < copies->n; i++) {
        free (copies->items[i].header);
        for (size_t j = 0; j < copies->items[i].n_case_refs; j++)
            free (copies->items[i].case_refs[j]);
        free (copies->items[i].case_refs);
    }
    free (copies->items);
    copies->items = NULL;
    copies->n = 0;
}

static int
s_copy_add (node_t *self, copies_t *copies, const roster_member_t *to, const ProtobufCMessage *body,
            char *const *case_refs, size_t n_case_refs, bool cancelled, const uint8_t *id,
            kt_reason_t *reason)
{
    copy_t *grown = realloc (copies->items, (copies->n + 1) * sizeof *grown);
    if (!grown)
        return kt_fail (reason, "out of memory");
    copies->items = grown;
    copy_t *c = &copies->items[copies->n];
    memset (c, 0, sizeof *c);
    if ((id ? node_seal_as (self, copies->type, to->id, body, id, &c->header, &c->header_len,
                            reason)
            : node_seal (self, copies->type, to->id, body, c->id, &c->header, &c->header_len,
                         reason)) != 0)
        return -1;
    if (id)
        memcpy (c->id, id, KT_ID_LEN);
    copies->n++;
    c->to = to;
    c->cancelled = cancelled;
    c->case_refs = calloc (n_case_refs ? n_case_refs : 1, sizeof *c->case_refs);
    if (!c->case_refs)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < n_case_refs; i++) {
        if (!(c->case_refs[i] = strdup (case_refs[i])))
            return kt_fail (reason, "out of memory");
        c->n_case_refs++;
    }
    return 0;
}

int
uitvoerder_copy_add (node_t *self, copies_t *copies, const roster_member_t *to,
                     const ProtobufCMessage *body, char *const *case_refs, size_t n_case_refs,
                     bool cancelled, kt_reason_t *reason)
{
    return s_copy_add (self, copies, to, body, case_refs, n_case_refs, cancelled, NULL, reason);
}

int
uitvoerder_copy_add_as (node_t *self, copies_t *copies, const roster_member_t *to,
                        const ProtobufCMessage *body, char *const *case_refs, size_t n_case_refs,
                        const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    return s_copy_add (self, copies, to, body, case_refs, n_case_refs, false, id, reason);
}

int
uitvoerder_log_sent (node_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
                     const char *recipient, char *const *case_refs, size_t n_case_refs,
                     const uint8_t *header, size_t header_len, const char *os_user,
                     const char *what, kt_reason_t *reason)
{
    /*  The provenance log's view of a message: the hash of its exact
     *  header bytes, as the receiving side computes it. */
    uint8_t hash[32];
    merkle_leaf_hash (hash, header, header_len);
    char *to = (char *) recipient;
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_SENT;
    e.time_ms = kt_now_ms ();
    e.message_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) id};
    e.message_type = type;
    e.node = (char *) keyring_self_member (self->keyring)->id;
    e.os_user = (char *) os_user;
    e.recipients = &to;
    e.n_recipients = 1;
    e.case_refs = (char **) case_refs;
    e.n_case_refs = n_case_refs;
    e.header_hash = (ProtobufCBinaryData){sizeof hash, hash};
    if (what)
        e.what = (char *) what;
    uint64_t index;
    return provlog_append (uitvoerder_of (self)->log, &e, &index, reason);
}

static int
s_log_sent (node_t *self, const copies_t *copies, const char *os_user, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (provlog_begin (u->log, reason) != 0)
        return -1;
    for (size_t i = 0; i < copies->n; i++) {
        const copy_t *c = &copies->items[i];
        if (uitvoerder_log_sent (self, c->id, copies->type, c->to->id, c->case_refs, c->n_case_refs,
                                 c->header, c->header_len, os_user, NULL, reason) != 0) {
            provlog_rollback (u->log);
            return -1;
        }
    }
    return provlog_commit (u->log, reason);
}

static int
s_keep (node_t *self, const copies_t *copies, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < copies->n; i++) {
        const copy_t *c = &copies->items[i];
        if (relay_insert (uitvoerder_of (self)->relay, c->id, c->to->id, copies->type, c->header,
                          c->header_len, now, reason) != 0) {
            store_rollback (self->db);
            return -1;
        }
    }
    if (store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

static bool
s_online (node_t *self, const member_link_t *link)
{
    return link->route.len > 0 && link->last_seen_ms &&
           kt_now_ms () - link->last_seen_ms <= self->config.heartbeat_timeout_ms;
}

void
uitvoerder_relay_pump (node_t *self, const roster_member_t *member)
{
    uitvoerder_t *u = uitvoerder_of (self);
    member_link_t *link = &u->links[member - keyring_roster (self->keyring)->members];
    if (!s_online (self, link))
        return;
    relay_item_t items[RELAY_BATCH];
    size_t n = relay_due (u->relay, member->id, kt_now_ms (), items, RELAY_BATCH);
    for (size_t i = 0; i < n; i++) {
        kt_reason_t reason;
        if (node_queue_header (self, &link->route, items[i].id, items[i].header,
                               items[i].header_len, &reason) != 0)
            kt_log (KT_LOG_ERROR, "relay queue_failed reason=\"%s\"", reason.text);
    }
}

int
uitvoerder_copies_send (node_t *self, const copies_t *copies, const char *os_user, json_t *json,
                        kt_reason_t *reason)
{
    if (s_log_sent (self, copies, os_user, reason) != 0 || s_keep (self, copies, reason) != 0)
        return -1;
    for (size_t i = 0; i < copies->n; i++) {
        const copy_t *c = &copies->items[i];
        char hex[KT_ID_HEX];
        kt_log (KT_LOG_INFO, "message queued type=%s to=%s id=%s case_refs=%zu%s",
                policy_type_name (copies->type), c->to->id, kt_hex (hex, c->id, KT_ID_LEN),
                c->n_case_refs, c->cancelled ? " cancelled=yes" : "");
        if (json)
            json_array_append_new (
                json, json_pack ("{s:s, s:s, s:I, s:b}", "member", c->to->id, "message_id", hex,
                                 "items", (json_int_t) c->n_case_refs, "cancelled", c->cancelled));
        uitvoerder_relay_pump (self, c->to);
    }
    node_send_batch (self);
    return 0;
}

int
uitvoerder_log_event (node_t *self, Keten__LogEvent event, const char *os_user, const char *what,
                      char *const *case_refs, size_t n, kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = event;
    e.time_ms = kt_now_ms ();
    e.node = (char *) keyring_self_member (self->keyring)->id;
    e.os_user = (char *) os_user;
    e.what = (char *) what;
    e.case_refs = (char **) case_refs;
    e.n_case_refs = n;
    return provlog_append_one (uitvoerder_of (self)->log, &e, NULL, reason);
}
