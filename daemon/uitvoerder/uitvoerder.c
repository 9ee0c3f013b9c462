/*  uitvoerder: the hub's policy layer.  It admits only roster members'
 *  transport keys, attributes every message to a member by its CURVE key,
 *  stores signals in the weegploeg file (art. 8.1) after logging their
 *  arrival in the provenance log, and answers every message with a signed
 *  receipt only after both are durable (DESIGN section 5).
 */
#include "node_internal.h"
#include "render.h"
#include "uitvoerder_json.h"

#include "intake.h"
#include "policy.h"

#include <string.h>

#define DRAIN_MAX 4096

int
uitvoerder_start (node_t *self, kt_reason_t *reason)
{
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/weegploeg.db", self->config.state_dir);
    self->weegploeg = weegploeg_open (path, self->keystore, self->keys->storage_key, reason);
    if (!self->weegploeg)
        return -1;
    snprintf (path, sizeof path, "%s/log.db", self->config.state_dir);
    self->log = provlog_open (path, reason);
    if (!self->log)
        return -1;
    if (!(self->meeting = meeting_new (self->weegploeg, reason)) ||
        !(self->relay = relay_new (self->db, reason)) ||
        !(self->incident = incident_new (self->db, reason)) ||
        uitvoerder_decision_start (self, reason) != 0 || uitvoerder_log_start (self, reason) != 0)
        return -1;
    const roster_t *roster = keyring_roster (self->keyring);
    self->rebind_timer = -1;
    self->links = calloc (roster->member_count, sizeof *self->links);
    if (!self->links)
        return kt_fail (reason, "out of memory");
    snprintf (path, sizeof path, "%s/allow", self->config.state_dir);
    self->transport = transport_bind (&self->config, self->keys, roster, path, reason);
    if (!self->transport)
        return -1;
    zloop_reader (self->loop, transport_sock (self->transport), uitvoerder_on_transport, self);
    zloop_reader_set_tolerant (self->loop, transport_sock (self->transport));
    /*  The endpoint actually bound (the port, when configured as "*"),
     *  for operators and for tests that bind tcp://127.0.0.1:*. */
    const char *endpoint = zsock_endpoint (transport_sock (self->transport));
    snprintf (path, sizeof path, "%s/endpoint", self->config.state_dir);
    char line[CONFIG_ENDPOINT_MAX + 2];
    snprintf (line, sizeof line, "%s\n", endpoint ? endpoint : self->config.bind);
    if (kt_write_file (path, line, strlen (line), 0644, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "uitvoerder listening endpoint=%s members=%zu",
            endpoint ? endpoint : self->config.bind, roster->member_count);
    uitvoerder_roster_start (self);
    if (uitvoerder_resume_meetings (self, reason) != 0 ||
        uitvoerder_resume_decisions (self, reason) != 0)
        return -1;
    uitvoerder_resume_closures (self);
    return 0;
}

void
uitvoerder_stop (node_t *self)
{
    meeting_destroy (&self->meeting);
    uitvoerder_decision_stop (self);
    uitvoerder_log_stop (self);
    incident_destroy (&self->incident);
    relay_destroy (&self->relay);
    weegploeg_destroy (&self->weegploeg);
    provlog_destroy (&self->log);
    free (self->links);
    self->links = NULL;
}

static member_link_t *
s_link (node_t *self, const keyring_peer_t *peer)
{
    return &self->links[peer->member - keyring_roster (self->keyring)->members];
}

typedef struct {
    node_t *node;
    zhashx_t *batch_ids; /* ids already taken in this drain */
} seen_ctx_t;

static bool
s_seen (void *arg, const uint8_t id[KT_ID_LEN])
{
    seen_ctx_t *ctx = arg;
    char key[KT_ID_HEX];
    if (zhashx_lookup (ctx->batch_ids, kt_hex (key, id, KT_ID_LEN)))
        return true;
    return weegploeg_has_signal (ctx->node->weegploeg, id, NULL, NULL, NULL);
}

void
uitvoerder_receipt (node_t *self, member_link_t *link, const char *member,
                    const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                    const char *refusal)
{
    Keten__Receipt r = KETEN__RECEIPT__INIT;
    r.message_id.data = (uint8_t *) id;
    r.message_id.len = KT_ID_LEN;
    r.status = accepted ? KETEN__RECEIPT_STATUS__ACCEPTED : KETEN__RECEIPT_STATUS__REFUSED;
    r.reason = (char *) (refusal ? refusal : "");
    r.log_index = log_index;
    r.stored_ms = kt_now_ms ();
    /*  DESIGN 7: the sender can check that its message is in the log. */
    logproof_receipt_t proof;
    logproof_message_t consistency = {0};
    if (accepted)
        uitvoerder_prove_receipt (self, link, log_index, &r, &proof, &consistency);
    kt_reason_t reason;
    if (node_queue (self, link, KETEN__MESSAGE_TYPE__RECEIPT, member, &r.base, &reason) != 0)
        kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"%s\"", reason.text);
    logproof_message_clear (&consistency);
}

/*  A round trip longer than this is not believed. */
#define RTT_MAX_US (60 * 1000000ull)

static uint64_t
s_clamp (uint64_t v, uint64_t max)
{
    return v > max ? max : v;
}

static void
s_heartbeat (node_t *self, member_link_t *link, const keyring_peer_t *peer, const uint8_t *body,
             size_t len)
{
    Keten__Heartbeat *hb = keten__heartbeat__unpack (NULL, len, body);
    if (!hb) {
        kt_log (KT_LOG_WARN, "heartbeat undecodable peer=%s", peer->member->id);
        return;
    }
    uint64_t now = kt_now_ms ();
    /*  What a member says of itself is shown in JSON and metrics as signed
     *  64-bit numbers: clamped, so a hostile value cannot turn negative. */
    link->outbox_depth = s_clamp (hb->outbox_depth, INT64_MAX);
    link->rtt_us = s_clamp (hb->rtt_us, RTT_MAX_US);
    link->roster_version = s_clamp (hb->roster_version, INT64_MAX);
    link->uptime_s = s_clamp (hb->uptime_s, INT64_MAX);
    link->oldest_undelivered_ms = s_clamp (hb->oldest_undelivered_ms, INT64_MAX);
    link->checkpoint_size = s_clamp (hb->checkpoint_size, INT64_MAX);
    link->key_age_s = s_clamp (hb->key_age_s, INT64_MAX);
    link->log_alarm = hb->log_alarm;
    /*  Its clock at the moment we read this, less ours: the heartbeat was
     *  on its way about half the round trip it last measured (at most a
     *  minute, so a made-up round trip cannot hide a skew).  A time that is
     *  missing or absurd is not skipped, which would keep the last value:
     *  it shows as the largest skew, and so as an alarm. */
    if (hb->sent_ms > 0 && hb->sent_ms < (uint64_t) INT64_MAX / 2 && now < (uint64_t) INT64_MAX / 2)
        link->clock_skew_ms = (int64_t) (hb->sent_ms + link->rtt_us / 2000) - (int64_t) now;
    else
        link->clock_skew_ms = INT64_MAX;
    /*  Shown in status and JSON: printable ASCII only, else "?". */
    const char *v = hb->software_version;
    bool printable = strlen (v) < sizeof link->software_version;
    for (const char *p = v; printable && *p; p++)
        printable = *p >= 0x20 && *p < 0x7f;
    snprintf (link->software_version, sizeof link->software_version, "%s", printable ? v : "?");
    Keten__Heartbeat reply = KETEN__HEARTBEAT__INIT;
    reply.software_version = (char *) KETEN_VERSION;
    reply.uptime_s = (kt_now_ms () - self->started_ms) / 1000;
    reply.roster_version = keyring_roster (self->keyring)->version;
    reply.sent_ms = kt_now_ms ();
    reply.reply = true;
    reply.echo_sent_ms = hb->sent_ms;
    reply.echo_mono_us = hb->sent_mono_us;
    keten__heartbeat__free_unpacked (hb, NULL);
    kt_reason_t reason;
    if (node_queue (self, link, KETEN__MESSAGE_TYPE__HEARTBEAT, peer->member->id, &reply.base,
                    &reason) != 0)
        kt_log (KT_LOG_ERROR, "heartbeat seal_failed reason=\"%s\"", reason.text);
    /*  The member is there: offer what it has not confirmed yet, and the
     *  roster if its version is behind. */
    uitvoerder_roster_offer (self, link, peer->member, link->roster_version);
    uitvoerder_relay_pump (self, peer->member);
}

/*  A message refused by rule (the policy table, a signature, a body that
 *  fails its checks) is on record: who sent what, and which rule refused
 *  it - art. 7.1-7.2 asks that a casuspartij's signal attempt be logged.
 *  The reasons are keten's own words, never the message's content. */
static void
s_log_refusal (node_t *self, const char *sender, const envelope_opened_t *opened, const char *why)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_REFUSED;
    e.time_ms = kt_now_ms ();
    e.message_id.data = (uint8_t *) opened->id;
    e.message_id.len = KT_ID_LEN;
    e.message_type = opened->header ? opened->header->type : 0;
    e.node = (char *) sender;
    e.what = (char *) why;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    kt_reason_t reason;
    uint64_t index;
    if (provlog_append_one (self->log, &e, &index, &reason) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=refused reason=\"%s\"", reason.text);
}

/*  Wpg besluit, enforced at the receiving side too (a sender's hold is not
 *  to be trusted): police data only from the police, and art. 9/10 data
 *  only with its release recorded. */
static int
s_check_wpg (const Keten__Signal *s, const roster_member_t *sender, kt_reason_t *reason)
{
    if (s->wpg_basis != KETEN__WPG_BASIS__WPG_NONE && strcmp (sender->kind, "politie") != 0)
        return kt_fail (reason, "a Wpg basis is only for police data; %s is not the police",
                        sender->id);
    if (s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10 &&
        !(s->released_ms && s->opsporingsbelang_checked && s->om_consulted))
        return kt_fail (reason, "Wpg machtigingsbesluit: art. 9/10 Wpg data only after the "
                                "investigation-interest check and OM consultation are recorded");
    return 0;
}

/*  A signal that decrypted from an authenticated kernpartij is still
 *  untrusted input: its body is checked like any intake. */
typedef struct {
    weegploeg_signal_t w;
    Keten__Signal *signal;
    member_link_t *link;
    const char *member;
    envelope_opened_t opened;
} arrival_t;

static void
s_store_arrivals (node_t *self, arrival_t *a, size_t n)
{
    if (n == 0)
        return;
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    bool *refused = calloc (n, sizeof *refused);
    weegploeg_signal_t *w = malloc (n * sizeof *w);
    size_t n_w = 0;
    if (!refused || !w) {
        snprintf (reason.text, sizeof reason.text, "out of memory");
        goto fail;
    }
    /*  1. the provenance log: what arrived, from whom, with which
     *  commitment - no personal data.  2. the weegploeg file.  A crash (or
     *  a failing weegploeg file) between the two leaves a logged arrival
     *  without its signal; the sender's retry is stored under that same
     *  log entry, not logged again.  A different message under an id
     *  logged before is refused on its own; the rest of the batch goes on. */
    if (provlog_begin (self->log, &reason) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        const Keten__Header *h = a[i].opened.header;
        e.event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
        e.time_ms = now;
        e.message_id = h->id;
        e.message_type = h->type;
        e.node = h->sender;
        e.recipients = h->recipients;
        e.n_recipients = h->n_recipients;
        e.body_commitment = h->body_commitment;
        e.header_hash.data = a[i].opened.leaf_hash;
        e.header_hash.len = 32;
        int rc = provlog_append_received (self->log, &e, &a[i].w.log_index, &reason);
        if (rc < 0) {
            provlog_rollback (self->log);
            goto fail;
        }
        if (rc > 0) {
            refused[i] = true;
            char hex[KT_ID_HEX];
            kt_log (KT_LOG_WARN, "signal refused id=%s peer=%s reason=\"id reused\"",
                    kt_hex (hex, a[i].opened.id, KT_ID_LEN), a[i].member);
            uitvoerder_receipt (self, a[i].link, a[i].member, a[i].opened.id, false, 0,
                                "this message id is already used for a different message");
        }
    }
    if (provlog_commit (self->log, &reason) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (!refused[i]) {
            a[i].w.received_ms = now;
            w[n_w++] = a[i].w;
        }
    int rc = weegploeg_store_signals (self->weegploeg, w, n_w, &reason);
    if (rc != 0)
        goto fail;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (refused[i])
            continue;
        memcpy (a[i].w.case_ref, w[k++].case_ref, sizeof a[i].w.case_ref);
        char hex[KT_ID_HEX];
        kt_log (KT_LOG_DEBUG, "signal stored id=%s sender=%s case_ref=%s log_index=%llu",
                kt_hex (hex, a[i].opened.id, KT_ID_LEN), a[i].member, a[i].w.case_ref,
                (unsigned long long) a[i].w.log_index);
        uitvoerder_receipt (self, a[i].link, a[i].member, a[i].opened.id, true, a[i].w.log_index,
                            NULL);
    }
    free (refused);
    free (w);
    return;
fail:
    /*  No receipt: every sender retries, nothing is half-stored. */
    kt_log (KT_LOG_ERROR, "signal store_failed count=%zu reason=\"%s\"", n, reason.text);
    free (refused);
    free (w);
}

int
uitvoerder_on_transport (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    node_t *self = arg;
    arrival_t *arrivals = calloc (DRAIN_MAX, sizeof *arrivals);
    seen_ctx_t ctx = {self, zhashx_new ()};
    size_t n_arrivals = 0;
    if (!arrivals)
        return 0;
    for (size_t count = 0; count < DRAIN_MAX; count++) {
        transport_msg_t msg;
        int rc = transport_recv (self->transport, &msg);
        if (rc == 0)
            break;
        if (rc < 0) {
            kt_log (KT_LOG_WARN, "transport malformed_frames dropped");
            continue;
        }
        const keyring_peer_t *peer =
            msg.have_peer_key
                ? keyring_peer_by_transport (self->keyring, msg.peer_key, kt_now_ms ())
                : NULL;
        if (!peer || !roster_member_active (peer->member, kt_now_ms ())) {
            /*  zauth admitted a key that is no longer allowed (revoked
             *  after the handshake): our own check on every message. */
            kt_log (KT_LOG_WARN, "transport unknown_peer dropped");
            zframe_destroy (&msg.data);
            continue;
        }
        member_link_t *link = s_link (self, peer);
        memcpy (link->rid, msg.rid, msg.rid_len);
        link->rid_len = msg.rid_len;
        link->last_seen_ms = kt_now_ms ();

        envelope_open_opts_t opts;
        node_open_opts (self, &opts);
        opts.seen = s_seen;
        opts.seen_arg = &ctx;
        opts.transport_peer = peer;
        arrival_t *a = &arrivals[n_arrivals];
        kt_reason_t reason;
        int open_rc = envelope_open (self->keyring, zframe_data (msg.data), zframe_size (msg.data),
                                     &opts, &a->opened, &reason);
        zframe_destroy (&msg.data);
        char hex[KT_ID_HEX] = "-";
        if (a->opened.have_id)
            kt_hex (hex, a->opened.id, KT_ID_LEN);
        if (open_rc == ENVELOPE_REFUSED) {
            kt_log (KT_LOG_WARN, "message refused id=%s peer=%s reason=\"%s\"%s", hex,
                    peer->member->id, reason.text, a->opened.transient ? " retry=yes" : "");
            /*  A passing condition gets no final refusal: the sender's
             *  outbox retries and the message gets in once it has passed. */
            if (a->opened.have_id && !a->opened.transient) {
                s_log_refusal (self, peer->member->id, &a->opened, reason.text);
                uitvoerder_receipt (self, link, peer->member->id, a->opened.id, false, 0,
                                    reason.text);
            }
            envelope_opened_clear (&a->opened);
            continue;
        }
        const Keten__Header *h = a->opened.header;
        if (open_rc == ENVELOPE_DUPLICATE) {
            uint64_t index;
            /*  Already stored: answer again (the first receipt was lost),
             *  but only to its own sender and for the same body - an id is
             *  no secret, and a receipt must prove what was stored.  A
             *  duplicate within this drain is answered with the original. */
            if (weegploeg_has_signal (self->weegploeg, a->opened.id, peer->member->id,
                                      h->body_commitment.data, &index))
                uitvoerder_receipt (self, link, peer->member->id, a->opened.id, true, index, NULL);
            else if (weegploeg_has_signal (self->weegploeg, a->opened.id, NULL, NULL, NULL)) {
                kt_log (KT_LOG_WARN, "message refused id=%s peer=%s reason=\"id reused\"", hex,
                        peer->member->id);
                uitvoerder_receipt (self, link, peer->member->id, a->opened.id, false, 0,
                                    "this message id is already used for a different message");
            }
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type == KETEN__MESSAGE_TYPE__HEARTBEAT) {
            s_heartbeat (self, link, peer, a->opened.body, a->opened.body_len);
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type == KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION ||
            h->type == KETEN__MESSAGE_TYPE__PLAN_PROGRESS) {
            uitvoerder_on_casus (self, link, peer->member, &a->opened);
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type == KETEN__MESSAGE_TYPE__ACCESS_NOTICE) {
            uitvoerder_on_access (self, link, peer->member, &a->opened);
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type == KETEN__MESSAGE_TYPE__CHECKPOINT) {
            uitvoerder_on_checkpoint (self, link, peer->member, &a->opened);
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type == KETEN__MESSAGE_TYPE__INCIDENT) {
            uitvoerder_on_incident (self, link, peer->member, &a->opened);
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type == KETEN__MESSAGE_TYPE__RECEIPT) {
            uitvoerder_on_member_receipt (self, peer->member, a->opened.body, a->opened.body_len);
            envelope_opened_clear (&a->opened);
            continue;
        }
        if (h->type != KETEN__MESSAGE_TYPE__SIGNAL) {
            kt_log (KT_LOG_WARN, "message unhandled id=%s type=%s", hex,
                    policy_type_name (h->type));
            uitvoerder_receipt (self, link, peer->member->id, a->opened.id, false, 0,
                                "message type not handled by this uitvoerder");
            envelope_opened_clear (&a->opened);
            continue;
        }
        a->signal = keten__signal__unpack (NULL, a->opened.body_len, a->opened.body);
        if (!a->signal || intake_signal_check (a->signal, &reason) != 0 ||
            s_check_wpg (a->signal, peer->member, &reason) != 0) {
            if (!a->signal)
                snprintf (reason.text, sizeof reason.text, "signal body does not decode");
            kt_log (KT_LOG_WARN, "signal refused id=%s peer=%s reason=\"%s\"", hex,
                    peer->member->id, reason.text);
            s_log_refusal (self, peer->member->id, &a->opened, reason.text);
            uitvoerder_receipt (self, link, peer->member->id, a->opened.id, false, 0, reason.text);
            if (a->signal)
                keten__signal__free_unpacked (a->signal, NULL);
            a->signal = NULL;
            envelope_opened_clear (&a->opened);
            continue;
        }
        a->link = link;
        a->member = peer->member->id;
        a->w.message_id = a->opened.id;
        a->w.sender = peer->member->id;
        a->w.created_ms = h->created_ms;
        a->w.body_commitment = h->body_commitment.data;
        a->w.signal = a->signal;
        zhashx_insert (ctx.batch_ids, hex, (void *) 1);
        n_arrivals++;
    }
    s_store_arrivals (self, arrivals, n_arrivals);
    node_send_batch (self);
    for (size_t i = 0; i < n_arrivals; i++) {
        keten__signal__free_unpacked (arrivals[i].signal, NULL);
        envelope_opened_clear (&arrivals[i].opened);
    }
    free (arrivals);
    zhashx_destroy (&ctx.batch_ids);
    return 0;
}

void
uitvoerder_status (node_t *self, json_t *result)
{
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    json_t *members = json_array ();
    size_t n_members = 0, n_online = 0, n_alarms = 0;
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        if (m->role == ROLE_UITVOERDER)
            continue;
        const member_link_t *l = &self->links[i];
        bool online = l->last_seen_ms && now - l->last_seen_ms <= self->config.heartbeat_timeout_ms;
        /*  What the member said in its last heartbeat stays shown while it
         *  is offline: its backlog then is the best guess there is. */
        bool heard = l->last_seen_ms != 0;
        bool stale = heard && l->roster_version < roster->version;
        metrics_alarm_input_t in = {.uitvoerder_view = true,
                                    .online = online,
                                    .heard = heard,
                                    .roster_stale = stale,
                                    .clock_skew_ms = l->clock_skew_ms,
                                    .outbox_depth = l->outbox_depth,
                                    .oldest_undelivered_ms = l->oldest_undelivered_ms,
                                    .log_alarm = l->log_alarm};
        json_t *alarms = metrics_alarms (&in);
        n_members++;
        n_online += online;
        n_alarms += json_array_size (alarms);
        json_t *row = json_pack (
            "{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:b, s:s}", "id", m->id, "name",
            m->name, "kind", m->kind, "role", roster_role_name (m->role), "online", online,
            "last_seen_ms", (json_int_t) l->last_seen_ms, "rtt_us", (json_int_t) l->rtt_us,
            "outbox_depth", (json_int_t) l->outbox_depth, "oldest_undelivered_ms",
            (json_int_t) l->oldest_undelivered_ms, "roster_version", (json_int_t) l->roster_version,
            "roster_stale", stale, "software_version", l->software_version);
        json_object_set_new (row, "uptime_s", json_integer ((json_int_t) l->uptime_s));
        json_object_set_new (row, "checkpoint_size",
                             json_integer ((json_int_t) l->checkpoint_size));
        json_object_set_new (row, "key_age_days",
                             json_integer ((json_int_t) (l->key_age_s / 86400)));
        json_object_set_new (row, "clock_skew_ms", json_integer ((json_int_t) l->clock_skew_ms));
        json_object_set_new (row, "alarms", alarms);
        json_array_append_new (members, row);
    }
    json_object_set_new (result, "members", members);
    json_object_set_new (result, "federation",
                         json_pack ("{s:I, s:I, s:I}", "members", (json_int_t) n_members, "online",
                                    (json_int_t) n_online, "alarms", (json_int_t) n_alarms));
    metrics_status (self, result);
    uint8_t root[32];
    char hex[65];
    provlog_root (self->log, root);
    json_object_set_new (
        result, "stored",
        json_pack ("{s:I, s:I}", "signals", (json_int_t) weegploeg_count_signals (self->weegploeg),
                   "subjects", (json_int_t) weegploeg_count_subjects (self->weegploeg)));
    json_object_set_new (result, "log",
                         json_pack ("{s:I, s:s}", "size", (json_int_t) provlog_size (self->log),
                                    "root", kt_hex (hex, root, 32)));
}

json_t *
uitvoerder_list_signals (node_t *self, int limit)
{
    return uitvoerder_json_signals (self->weegploeg, limit, NULL);
}
