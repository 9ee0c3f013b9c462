/*  uitvoerder_agenda: the uitvoerder plans weegploeg meetings and sends
 *  each kernpartij its own copy of the agenda (art. 8.2-8.4), logged in
 *  the provenance log and kept in the relay until the member's receipt.
 *
 *  Order of a send, so that a crash never leaves a delivery the log does
 *  not show: (1) the new version in the weegploeg file, (2) one
 *  MESSAGE_SENT log entry per copy, (3) the sealed copies in the relay,
 *  (4) the version marked as handed over.  A restart between (1) and (4)
 *  composes the version again (fresh ids; a member keeps the newest
 *  sequence and ignores what it already has).
 */
#include "node_internal.h"

#include "policy.h"
#include "store.h"

#include <sodium.h>
#include <string.h>

#define RELAY_BATCH 64

typedef struct {
    const roster_member_t *to;
    uint8_t id[KT_ID_LEN];
    uint8_t *header;
    size_t header_len;
    char **case_refs;
    size_t n_case_refs;
    bool cancelled;
} copy_t;

typedef struct {
    node_t *node;
    copy_t *copies;
    size_t n;
} send_ctx_t;

static void
s_copies_free (send_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->n; i++) {
        free (ctx->copies[i].header);
        for (size_t j = 0; j < ctx->copies[i].n_case_refs; j++)
            free (ctx->copies[i].case_refs[j]);
        free (ctx->copies[i].case_refs);
    }
    free (ctx->copies);
    ctx->copies = NULL;
    ctx->n = 0;
}

/*  meeting_send_fn: seal one recipient's copy and keep it in memory. */
static int
s_seal_copy (void *arg, const roster_member_t *to, const Keten__WeegploegAgenda *agenda,
             kt_reason_t *reason)
{
    send_ctx_t *ctx = arg;
    copy_t *grown = realloc (ctx->copies, (ctx->n + 1) * sizeof *grown);
    if (!grown)
        return kt_fail (reason, "out of memory");
    ctx->copies = grown;
    copy_t *c = &ctx->copies[ctx->n];
    memset (c, 0, sizeof *c);
    if (node_seal (ctx->node, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, to->id, &agenda->base, c->id,
                   &c->header, &c->header_len, reason) != 0)
        return -1;
    ctx->n++;
    c->to = to;
    c->cancelled = agenda->cancelled;
    c->case_refs = calloc (agenda->n_items ? agenda->n_items : 1, sizeof *c->case_refs);
    if (!c->case_refs)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < agenda->n_items; i++) {
        if (!(c->case_refs[i] = strdup (agenda->items[i]->case_ref)))
            return kt_fail (reason, "out of memory");
        c->n_case_refs++;
    }
    return 0;
}

/*  The provenance log's view of a message: the hash of its exact header
 *  bytes, as the receiving side computes it (SHA-256(0x00 || header)). */
static void
s_header_hash (uint8_t out[32], const uint8_t *header, size_t len)
{
    crypto_hash_sha256_state st;
    const uint8_t zero = 0;
    crypto_hash_sha256_init (&st);
    crypto_hash_sha256_update (&st, &zero, 1);
    crypto_hash_sha256_update (&st, header, len);
    crypto_hash_sha256_final (&st, out);
}

static int
s_log_sent (node_t *self, const send_ctx_t *ctx, const char *os_user, kt_reason_t *reason)
{
    if (provlog_begin (self->log, reason) != 0)
        return -1;
    const roster_member_t *me = keyring_self_member (self->keyring);
    for (size_t i = 0; i < ctx->n; i++) {
        const copy_t *c = &ctx->copies[i];
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        uint8_t hash[32];
        char *recipient = (char *) c->to->id;
        s_header_hash (hash, c->header, c->header_len);
        e.event = KETEN__LOG_EVENT__MESSAGE_SENT;
        e.time_ms = kt_now_ms ();
        e.message_id.data = (uint8_t *) c->id;
        e.message_id.len = KT_ID_LEN;
        e.message_type = KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA;
        e.node = (char *) me->id;
        e.os_user = (char *) os_user;
        e.recipients = &recipient;
        e.n_recipients = 1;
        e.case_refs = c->case_refs;
        e.n_case_refs = c->n_case_refs;
        e.header_hash.data = hash;
        e.header_hash.len = 32;
        uint64_t index;
        if (provlog_append (self->log, &e, &index, reason) != 0) {
            provlog_rollback (self->log);
            return -1;
        }
    }
    return provlog_commit (self->log, reason);
}

static int
s_keep_copies (node_t *self, const send_ctx_t *ctx, kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < ctx->n; i++) {
        const copy_t *c = &ctx->copies[i];
        if (relay_insert (self->relay, c->id, c->to->id, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA,
                          c->header, c->header_len, now, reason) != 0) {
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

static member_link_t *
s_link_of (node_t *self, const roster_member_t *member)
{
    return &self->links[member - keyring_roster (self->keyring)->members];
}

static bool
s_online (node_t *self, const member_link_t *link)
{
    return link->rid_len > 0 && link->last_seen_ms &&
           kt_now_ms () - link->last_seen_ms <= self->config.heartbeat_timeout_ms;
}

void
uitvoerder_relay_pump (node_t *self, const roster_member_t *member)
{
    member_link_t *link = s_link_of (self, member);
    if (!s_online (self, link))
        return;
    relay_item_t items[RELAY_BATCH];
    size_t n = relay_due (self->relay, member->id, kt_now_ms (), items, RELAY_BATCH);
    for (size_t i = 0; i < n; i++) {
        kt_reason_t reason;
        if (node_queue_header (self, link, items[i].id, items[i].header, items[i].header_len,
                               &reason) != 0)
            kt_log (KT_LOG_ERROR, "relay queue_failed reason=\"%s\"", reason.text);
    }
}

/*  Send the newest version of meeting_id to everyone it is due to.  json
 *  (may be NULL) receives the recipients. */
static int
s_send_meeting (node_t *self, const char *meeting_id, const char *os_user, json_t *json,
                kt_reason_t *reason)
{
    send_ctx_t ctx = {self, NULL, 0};
    const roster_t *roster = keyring_roster (self->keyring);
    int rc = meeting_compose (self->meeting, roster, meeting_id, kt_now_ms (), s_seal_copy, &ctx,
                              reason);
    if (rc == 0)
        rc = s_log_sent (self, &ctx, os_user, reason);
    if (rc == 0)
        rc = s_keep_copies (self, &ctx, reason);
    if (rc == 0)
        rc = meeting_mark_sent (self->meeting, meeting_id, reason);
    for (size_t i = 0; rc == 0 && i < ctx.n; i++) {
        const copy_t *c = &ctx.copies[i];
        char hex[KT_ID_HEX];
        kt_log (KT_LOG_INFO, "agenda queued meeting=%s to=%s id=%s items=%zu%s", meeting_id,
                c->to->id, kt_hex (hex, c->id, KT_ID_LEN), c->n_case_refs,
                c->cancelled ? " cancelled=yes" : "");
        if (json)
            json_array_append_new (
                json, json_pack ("{s:s, s:s, s:I, s:b}", "member", c->to->id, "message_id", hex,
                                 "items", (json_int_t) c->n_case_refs, "cancelled", c->cancelled));
        uitvoerder_relay_pump (self, c->to);
    }
    s_copies_free (&ctx);
    node_send_batch (self);
    return rc;
}

int
uitvoerder_resume_meetings (node_t *self, kt_reason_t *reason)
{
    json_t *unsent = meeting_unsent (self->meeting);
    size_t i;
    json_t *id;
    int rc = 0;
    json_array_foreach (unsent, i, id)
    {
        kt_log (KT_LOG_INFO, "agenda resume meeting=%s", json_string_value (id));
        if (s_send_meeting (self, json_string_value (id), "ketend", NULL, reason) != 0) {
            rc = -1;
            break;
        }
    }
    json_decref (unsent);
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

void
uitvoerder_agenda (node_t *self, const api_caller_t *caller, json_t *args)
{
    meeting_change_t c = {0};
    const char *refs[MEETING_MAX_ITEMS];
    char meeting_id[MEETING_ID_LEN], user[65];
    uint32_t sequence = 0;
    kt_reason_t reason;
    c.uid = caller->uid;
    if (!json_is_object (args) || s_change_from_args (args, &c, refs, &reason) != 0 ||
        meeting_change (self->meeting, &c, meeting_id, &sequence, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    access_user_name (caller->uid, user, sizeof user);
    kt_log (KT_LOG_INFO, "agenda %s meeting=%s sequence=%u user=%s",
            c.cancel       ? "cancelled"
            : c.meeting_id ? "changed"
                           : "planned",
            meeting_id, (unsigned) sequence, user);
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
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:I, s:o}", "meeting_id", meeting_id, "sequence",
                                   (json_int_t) sequence, "sent_to", sent));
}

json_t *
uitvoerder_meetings (node_t *self, int limit)
{
    return meeting_list (self->meeting, limit);
}

void
uitvoerder_on_member_receipt (node_t *self, const roster_member_t *member, const uint8_t *body,
                              size_t len)
{
    Keten__Receipt *r = keten__receipt__unpack (NULL, len, body);
    if (!r || r->message_id.len != KT_ID_LEN) {
        kt_log (KT_LOG_WARN, "receipt malformed peer=%s", member->id);
        if (r)
            keten__receipt__free_unpacked (r, NULL);
        return;
    }
    bool accepted = r->status == KETEN__RECEIPT_STATUS__ACCEPTED;
    kt_reason_t reason;
    char hex[KT_ID_HEX];
    kt_hex (hex, r->message_id.data, KT_ID_LEN);
    int settled = relay_settle (self->relay, r->message_id.data, member->id, accepted, r->reason,
                                kt_now_ms (), &reason);
    if (settled < 0)
        kt_log (KT_LOG_ERROR, "receipt store_failed peer=%s reason=\"%s\"", member->id,
                reason.text);
    else if (settled > 0) {
        /*  The log shows who confirmed what; a refusal names no data. */
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        e.event = KETEN__LOG_EVENT__MESSAGE_DELIVERED;
        e.time_ms = kt_now_ms ();
        e.message_id = r->message_id;
        e.node = (char *) member->id;
        uint64_t index;
        if (provlog_begin (self->log, &reason) != 0 ||
            provlog_append (self->log, &e, &index, &reason) != 0 ||
            provlog_commit (self->log, &reason) != 0) {
            provlog_rollback (self->log);
            kt_log (KT_LOG_ERROR, "log append_failed event=delivered reason=\"%s\"", reason.text);
        }
        if (accepted)
            kt_log (KT_LOG_INFO, "message delivered id=%s to=%s", hex, member->id);
        else
            kt_log (KT_LOG_WARN, "message refused_by_member id=%s peer=%s", hex, member->id);
    }
    keten__receipt__free_unpacked (r, NULL);
}
