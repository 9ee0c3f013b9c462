/*  partner: the policy layer of every node but the uitvoerder.  It keeps
 *  its own data, queues what it sends in the outbox in the same
 *  transaction as the business change, sends in signed batches, and
 *  settles a message only when the uitvoerder's signed receipt arrives.
 */
#include "node_internal.h"
#include "partner_json.h"

#include "intake.h"
#include "policy.h"
#include "store.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#define DRAIN_MAX 4096
#define PUMP_MS 10

int
partner_start (node_t *self, kt_reason_t *reason)
{
    const roster_t *roster = keyring_roster (self->keyring);
    const roster_member_t *hub = roster_uitvoerder (roster);
    if (!hub)
        return kt_fail (reason, "the roster names no uitvoerder");
    self->hub = keyring_peer (self->keyring, hub->id);
    outbox_limits_t limits = {self->config.retry_min_ms, self->config.retry_max_ms,
                              self->config.max_inflight};
    self->outbox = outbox_new (self->db, &limits, reason);
    if (!self->outbox)
        return -1;
    self->signalbox = signalbox_new (self->db, self->keystore, reason);
    if (!self->signalbox)
        return -1;
    if (partner_agenda_start (self, reason) != 0 || partner_casus_start (self, reason) != 0
        || partner_log_start (self, reason) != 0)
        return -1;
    if (*self->config.spool_dir) {
        /*  art. 7.1: only a kernpartij's node may forward signals. */
        char *to[1] = {(char *) hub->id};
        if (policy_check (roster, KETEN__MESSAGE_TYPE__SIGNAL, keyring_self_member (self->keyring),
                          to, 1, kt_now_ms (), reason)
            != 0)
            return kt_fail (reason, "intake/spool-dir is set, but %s may not send signals",
                            self->config.id);
        self->spool = spool_new (self->db, self->config.spool_dir, reason);
        if (!self->spool)
            return -1;
        zloop_timer (self->loop, self->config.spool_poll_ms, 0, partner_on_spool, self);
    }
    /*  The last receipt survives restarts: status shows it from the file. */
    outbox_receipt_t last;
    int found = outbox_last_delivered (self->outbox, &last, reason);
    if (found < 0)
        return -1;
    if (found) {
        kt_hex (self->last_receipt_id, last.id, KT_ID_LEN);
        self->last_receipt_ms = last.settled_ms;
        self->last_receipt_index = last.log_index;
    }
    self->transport = transport_connect (&self->config, self->keys, hub->transport_pk, reason);
    if (!self->transport)
        return -1;
    zloop_reader (self->loop, transport_sock (self->transport), partner_on_transport, self);
    zloop_reader_set_tolerant (self->loop, transport_sock (self->transport));
    zloop_timer (self->loop, self->config.heartbeat_ms, 0, partner_on_heartbeat, self);
    zloop_timer (self->loop, PUMP_MS, 0, partner_on_pump, self);
    partner_on_heartbeat (self->loop, 0, self);
    kt_log (KT_LOG_INFO, "partner connecting endpoint=%s uitvoerder=%s pending=%zu",
            self->config.connect, hub->id, outbox_pending (self->outbox));
    return 0;
}

void
partner_stop (node_t *self)
{
    for (size_t i = 0; i < self->n_pending; i++) {
        api_caller_clear (&self->pending[i].caller);
        intake_signal_destroy (&self->pending[i].signal);
    }
    free (self->pending);
    self->pending = NULL;
    self->n_pending = 0;
    spool_destroy (&self->spool);
    partner_agenda_stop (self);
    partner_casus_stop (self);
    partner_log_stop (self);
    signalbox_destroy (&self->signalbox);
    outbox_destroy (&self->outbox);
}

/*  Whether this node's key file is still accepted: the overlap of a key
 *  rotation may end before the node switched key files, and then nothing
 *  it signs is accepted any more. */
static bool
s_keys_accepted (node_t *self, uint64_t now)
{
    if (!keyring_self_previous (self->keyring)
        || roster_member_previous_active (keyring_self_member (self->keyring), now))
        return true;
    self->expelled = true;
    kt_log (KT_LOG_ERROR, "keys rotated and the overlap ended on %s: sending stopped; "
                          "install the new key file and restart",
            keyring_self_member (self->keyring)->previous_until);
    return false;
}

/*  Send what is due, in signed batches, while the link is up. */
static void
s_pump (node_t *self)
{
    /*  A node the roster dropped sends nothing (art. 15.2c, 18.2). */
    if (!self->link_up || self->expelled || !s_keys_accepted (self, kt_now_ms ()))
        return;
    size_t max = self->config.batch_max;
    outbox_item_t *items = malloc (max * sizeof *items);
    uint8_t **headers = malloc (max * sizeof *headers);
    size_t *lens = malloc (max * sizeof *lens);
    uint8_t **envs = malloc (max * sizeof *envs);
    size_t *env_lens = malloc (max * sizeof *env_lens);
    if (!items || !headers || !lens || !envs || !env_lens)
        goto done;
    uint64_t now = kt_now_ms ();
    bool blocked = false;
    while (!blocked) {
        size_t n = outbox_due (self->outbox, now, items, max);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            headers[i] = items[i].header;
            lens[i] = items[i].header_len;
        }
        kt_reason_t reason;
        if (envelope_sign (self->keyring, headers, lens, n, envs, env_lens, &reason) != 0) {
            kt_log (KT_LOG_ERROR, "outbox sign_failed reason=\"%s\"", reason.text);
            for (size_t i = 0; i < n; i++)
                free (items[i].header);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (!blocked && transport_send (self->transport, NULL, 0, envs[i], env_lens[i]) != 0)
                blocked = true; /* queue full or peer gone: the rest waits */
            if (blocked)
                outbox_retry_soon (self->outbox, items[i].id, now);
            free (envs[i]);
            free (items[i].header);
        }
    }
done:
    free (items);
    free (headers);
    free (lens);
    free (envs);
    free (env_lens);
}

int
partner_on_pump (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_pump (arg);
    return 0;
}

int
partner_on_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    uint64_t now = kt_now_ms ();
    if (self->hook)
        hook_reap (self->hook);
    if (self->expelled || !s_keys_accepted (self, now))
        return 0;
    if (self->link_up && now - self->hub_last_seen_ms > self->config.heartbeat_timeout_ms) {
        self->link_up = false;
        kt_log (KT_LOG_WARN, "link down peer=%s silent_ms=%llu", self->hub->member->id,
                (unsigned long long) (now - self->hub_last_seen_ms));
    }
    Keten__Heartbeat hb = KETEN__HEARTBEAT__INIT;
    hb.software_version = (char *) KETEN_VERSION;
    hb.uptime_s = (now - self->started_ms) / 1000;
    hb.outbox_depth = outbox_pending (self->outbox);
    int64_t oldest = outbox_oldest_ms (self->outbox);
    hb.oldest_undelivered_ms = oldest > 0 && (uint64_t) oldest < now ? now - (uint64_t) oldest : 0;
    hb.roster_version = keyring_roster (self->keyring)->version;
    /*  DESIGN 8: what the uitvoerder shows of us at a glance. */
    hb.checkpoint_size = metrics_checkpoint_size (self);
    hb.log_alarm = self->witness && witness_alarm (self->witness);
    hb.key_age_s = metrics_key_age_ms (self, now) / 1000;
    hb.sent_ms = now;
    hb.sent_mono_us = kt_mono_us ();
    hb.rtt_us = self->hub_rtt_us;
    /*  sent_ms is wall-clock for the peer; the echo gives the round trip. */
    kt_reason_t reason;
    if (node_queue (self, NULL, KETEN__MESSAGE_TYPE__HEARTBEAT, self->hub->member->id, &hb.base,
                    &reason)
        != 0)
        kt_log (KT_LOG_ERROR, "heartbeat seal_failed reason=\"%s\"", reason.text);
    node_send_batch (self);
    return 0;
}

static void
s_notify_waiter (node_t *self, const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                 const char *refusal)
{
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    api_caller_t *w = zhashx_lookup (self->waiters, hex);
    if (!w)
        return;
    json_t *r = json_pack ("{s:s, s:s}", "message_id", hex, "state",
                           accepted ? "delivered" : "refused");
    if (accepted)
        json_object_set_new (r, "log_index", json_integer ((json_int_t) log_index));
    else
        json_object_set_new (r, "reason", json_string (refusal));
    apiserver_reply_ok (self->api, w, r);
    api_caller_clear (w);
    free (w);
    zhashx_delete (self->waiters, hex);
}

typedef struct {
    Keten__Receipt *receipt;
    uint8_t *envelope;   /* the signed receipt, kept as proof of delivery */
    size_t envelope_len;
} settled_t;

static void
s_settle (node_t *self, settled_t *s, size_t n)
{
    if (n == 0)
        return;
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    int *changed = calloc (n, sizeof *changed);
    if (!changed || store_begin (self->db, &reason) != 0) {
        free (changed);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const Keten__Receipt *r = s[i].receipt;
        changed[i] = outbox_settle (self->outbox, r->message_id.data,
                                    r->status == KETEN__RECEIPT_STATUS__ACCEPTED, r->log_index,
                                    r->reason, s[i].envelope, s[i].envelope_len, now, &reason);
        /*  The receipt's log proof, kept in the same commit (DESIGN 7). */
        if (changed[i] > 0)
            partner_log_receipt (self, r);
        if (changed[i] < 0) {
            store_rollback (self->db);
            kt_log (KT_LOG_ERROR, "receipt store_failed reason=\"%s\"", reason.text);
            free (changed);
            return;
        }
    }
    if (store_commit (self->db, &reason) != 0) {
        store_rollback (self->db);
        kt_log (KT_LOG_ERROR, "receipt commit_failed reason=\"%s\"", reason.text);
        free (changed);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const Keten__Receipt *r = s[i].receipt;
        if (!changed[i])
            continue; /* a second receipt for a settled message */
        bool ok = r->status == KETEN__RECEIPT_STATUS__ACCEPTED;
        outbox_forget (self->outbox, r->message_id.data);
        kt_hex (self->last_receipt_id, r->message_id.data, KT_ID_LEN);
        self->last_receipt_ms = now;
        self->last_receipt_index = r->log_index;
        if (!ok)
            kt_log (KT_LOG_WARN, "message refused_by_uitvoerder id=%s reason=\"%s\"",
                    self->last_receipt_id, r->reason);
        s_notify_waiter (self, r->message_id.data, ok, r->log_index, r->reason);
    }
    free (changed);
}

int
partner_on_transport (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    node_t *self = arg;
    settled_t *settled = calloc (DRAIN_MAX, sizeof *settled);
    size_t n_settled = 0;
    if (!settled)
        return 0;
    bool came_up = false;
    for (size_t count = 0; count < DRAIN_MAX; count++) {
        transport_msg_t msg;
        int rc = transport_recv (self->transport, &msg);
        if (rc == 0)
            break;
        if (rc < 0)
            continue;
        envelope_open_opts_t opts;
        node_open_opts (self, &opts);
        /*  The DEALER talks only to the server key pinned from the
         *  roster: whatever arrives came through the uitvoerder. */
        opts.transport_peer = self->hub;
        envelope_opened_t opened;
        kt_reason_t reason;
        int open_rc = envelope_open (self->keyring, zframe_data (msg.data), zframe_size (msg.data),
                                     &opts, &opened, &reason);
        if (open_rc != ENVELOPE_OK) {
            kt_log (KT_LOG_WARN, "message refused reason=\"%s\"", reason.text);
            envelope_opened_clear (&opened);
            zframe_destroy (&msg.data);
            continue;
        }
        uint64_t now = kt_now_ms ();
        self->hub_last_seen_ms = now;
        if (!self->link_up) {
            self->link_up = came_up = true;
            kt_log (KT_LOG_INFO, "link up peer=%s", self->hub->member->id);
        }
        Keten__MessageType type = opened.header->type;
        if (type == KETEN__MESSAGE_TYPE__RECEIPT) {
            Keten__Receipt *r = keten__receipt__unpack (NULL, opened.body_len, opened.body);
            if (r && r->message_id.len == KT_ID_LEN) {
                settled[n_settled].receipt = r;
                settled[n_settled].envelope_len = zframe_size (msg.data);
                settled[n_settled].envelope = malloc (zframe_size (msg.data));
                if (settled[n_settled].envelope) {
                    memcpy (settled[n_settled].envelope, zframe_data (msg.data),
                            zframe_size (msg.data));
                    n_settled++;
                } else
                    keten__receipt__free_unpacked (r, NULL);
            } else {
                kt_log (KT_LOG_WARN, "receipt malformed");
                if (r)
                    keten__receipt__free_unpacked (r, NULL);
            }
        } else if (type == KETEN__MESSAGE_TYPE__HEARTBEAT) {
            Keten__Heartbeat *hb = keten__heartbeat__unpack (NULL, opened.body_len, opened.body);
            uint64_t mono = kt_mono_us ();
            if (hb && hb->reply && hb->echo_mono_us && hb->echo_mono_us <= mono)
                self->hub_rtt_us = mono - hb->echo_mono_us;
            if (hb)
                keten__heartbeat__free_unpacked (hb, NULL);
        } else if (type == KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA
                   || type == KETEN__MESSAGE_TYPE__CASUS_AGENDA)
            partner_on_agenda (self, &opened);
        else if (type == KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION)
            partner_on_decision (self, &opened);
        else if (type == KETEN__MESSAGE_TYPE__CHECKPOINT)
            partner_on_checkpoint (self, &opened);
        else if (type == KETEN__MESSAGE_TYPE__ROSTER)
            partner_on_roster (self, &opened);
        else if (type == KETEN__MESSAGE_TYPE__PLAN || type == KETEN__MESSAGE_TYPE__CLOSURE
                 || type == KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT)
            partner_on_casus (self, &opened);
        else
            kt_log (KT_LOG_WARN, "message unhandled type=%s", policy_type_name (type));
        envelope_opened_clear (&opened);
        zframe_destroy (&msg.data);
    }
    s_settle (self, settled, n_settled);
    for (size_t i = 0; i < n_settled; i++) {
        keten__receipt__free_unpacked (settled[i].receipt, NULL);
        free (settled[i].envelope);
    }
    free (settled);
    if (came_up)
        outbox_link_up (self->outbox, kt_now_ms ());
    node_send_batch (self); /* receipts for what arrived */
    s_pump (self);
    return 0;
}

/* ---- submissions (group commit) ----------------------------------------- */

static pending_submit_t *
s_pending_slot (node_t *self)
{
    if (self->n_pending == self->cap_pending) {
        size_t cap = self->cap_pending ? self->cap_pending * 2 : 256;
        pending_submit_t *p = realloc (self->pending, cap * sizeof *p);
        if (!p)
            return NULL;
        self->pending = p;
        self->cap_pending = cap;
    }
    pending_submit_t *p = &self->pending[self->n_pending++];
    memset (p, 0, sizeof *p);
    return p;
}

/*  Police intake: forward what was dropped in the spool directory. */
int
partner_on_spool (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    enum { SPOOL_BATCH = 256 };
    spool_file_t *files = calloc (SPOOL_BATCH, sizeof *files);
    if (!files)
        return 0;
    size_t n = spool_scan (self->spool, files, SPOOL_BATCH);
    for (size_t i = 0; i < n; i++) {
        pending_submit_t *p = s_pending_slot (self);
        if (!p) {
            intake_signal_destroy (&files[i].signal);
            continue; /* stays in the spool's work/ for the next pass */
        }
        p->signal = files[i].signal;
        files[i].signal = NULL;
        p->from_spool = true;
        p->file = files[i];
        p->caller.uid = files[i].owner;
    }
    free (files);
    partner_flush (self);
    return 0;
}

void
partner_submit (node_t *self, const api_caller_t *caller, json_t *args)
{
    kt_reason_t reason;
    if (self->expelled) {
        apiserver_reply_error (self->api, caller,
                               "this node is no longer a member of the federation: the roster "
                               "dropped it, so it sends nothing");
        return;
    }
    const roster_member_t *me = keyring_self_member (self->keyring);
    char *to[1] = {(char *) self->hub->member->id};
    /*  art. 7.1-7.2: refuse here already, with the rule, rather than
     *  queue a message the uitvoerder must refuse. */
    if (policy_check (keyring_roster (self->keyring), KETEN__MESSAGE_TYPE__SIGNAL, me, to, 1,
                      kt_now_ms (), &reason)
        != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *obj = args ? json_object_get (args, "signal") : NULL;
    json_t *wait = args ? json_object_get (args, "wait") : NULL;
    if (!json_is_object (obj)) {
        apiserver_reply_error (self->api, caller, "args.signal must be a signal object");
        return;
    }
    if (wait && !json_is_boolean (wait)) {
        apiserver_reply_error (self->api, caller, "args.wait must be true or false");
        return;
    }
    Keten__Signal *signal = NULL;
    if (intake_signal_from_object (obj, &signal, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    pending_submit_t *p = s_pending_slot (self);
    if (!p) {
        intake_signal_destroy (&signal);
        apiserver_reply_error (self->api, caller, "out of memory");
        return;
    }
    api_caller_copy (&p->caller, caller);
    p->signal = signal;
    p->wait = wait && json_is_true (wait);
}

/*  Store and queue every pending submission in one transaction per file
 *  (keys first), then answer.  Nothing is half-stored: on any failure all
 *  of them are rolled back and refused. */
void
partner_flush (node_t *self)
{
    size_t n = self->n_pending;
    if (n == 0)
        return;
    kt_reason_t reason = {""};
    uint64_t now = kt_now_ms ();
    uint8_t (*ids)[KT_ID_LEN] = calloc (n, sizeof *ids);
    bool *held = calloc (n, sizeof *held);
    sqlite3 *ks = keystore_db (self->keystore);
    bool ok = ids && held && store_begin (ks, &reason) == 0;
    if (ok && store_begin (self->db, &reason) != 0) {
        store_rollback (ks);
        ok = false;
    }
    char *to[1] = {(char *) self->hub->member->id};
    for (size_t i = 0; ok && i < n; i++) {
        Keten__Signal *s = self->pending[i].signal;
        /*  Wpg machtigingsbesluit: art. 9/10 data wait for release. */
        held[i] = s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10;
        uint8_t *header = NULL;
        size_t header_len = 0;
        size_t body_len = keten__signal__get_packed_size (s);
        uint8_t *body = malloc (body_len ? body_len : 1);
        if (!body) {
            ok = false;
            snprintf (reason.text, sizeof reason.text, "out of memory");
            break;
        }
        keten__signal__pack (s, body);
        /*  A held signal gets a wholly random id: a time-ordered one
         *  would tell the uitvoerder how long the police held it. */
        uint8_t random_id[KT_ID_LEN];
        randombytes_buf (random_id, sizeof random_id);
        envelope_draft_t draft = {KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now,
                                  held[i] ? random_id : NULL};
        if (envelope_seal (self->keyring, &draft, ids[i], &header, &header_len, &reason) != 0
            || signalbox_insert (self->signalbox, ids[i], s, held[i], (uint32_t) self->pending[i].caller.uid,
                                 now, &reason)
                   != 0
            || (!held[i]
                && outbox_insert (self->outbox, ids[i], KETEN__MESSAGE_TYPE__SIGNAL, header,
                                  header_len, now, &reason)
                       != 0)
            || (self->pending[i].from_spool
                && spool_record (self->spool, &self->pending[i].file, ids[i], &reason) != 0))
            ok = false;
        sodium_memzero (body, body_len);
        free (body);
        free (header);
    }
    if (ok && store_commit (ks, &reason) != 0)
        ok = false;
    if (ok && store_commit (self->db, &reason) != 0)
        ok = false;
    if (!ok) {
        store_rollback (self->db);
        store_rollback (ks);
        kt_log (KT_LOG_ERROR, "submit store_failed count=%zu reason=\"%s\"", n, reason.text);
    }
    for (size_t i = 0; i < n; i++) {
        pending_submit_t *p = &self->pending[i];
        char hex[KT_ID_HEX];
        if (!ok) {
            /*  A spool file stays where it is and is tried again. */
            if (!p->from_spool)
                apiserver_reply_error (self->api, &p->caller,
                                       "could not store the signal; nothing was stored");
        } else {
            kt_hex (hex, ids[i], KT_ID_LEN);
            kt_log (KT_LOG_INFO, "signal accepted id=%s uid=%u state=%s via=%s", hex,
                    (unsigned) p->caller.uid, held[i] ? "held" : "queued",
                    p->from_spool ? "spool" : "api");
            if (!held[i])
                outbox_enqueue (self->outbox, ids[i], now);
            if (p->from_spool)
                spool_done (self->spool, &p->file);
            else if (p->wait && !held[i]) {
                api_caller_t *w = malloc (sizeof *w);
                if (w) {
                    api_caller_copy (w, &p->caller);
                    zhashx_insert (self->waiters, hex, w);
                }
            } else
                apiserver_reply_ok (self->api, &p->caller,
                                    json_pack ("{s:s, s:s}", "message_id", hex, "state",
                                               held[i] ? "held" : "queued"));
        }
        api_caller_clear (&p->caller);
        intake_signal_destroy (&p->signal);
    }
    self->n_pending = 0;
    free (ids);
    free (held);
    if (ok)
        s_pump (self);
}

/*  Wpg machtigingsbesluit: an art. 9/10 Wpg signal leaves the police node
 *  only after an authorised user records that the investigation interest
 *  does not object and names the OM officer consulted.  The release, the
 *  user who made it (kernel credentials) and the outbox row are one
 *  transaction. */
void
partner_release (node_t *self, const api_caller_t *caller, json_t *args)
{
    json_t *id_j = args ? json_object_get (args, "message_id") : NULL;
    json_t *checked = args ? json_object_get (args, "opsporingsbelang_checked") : NULL;
    json_t *om = args ? json_object_get (args, "om_consulted") : NULL;
    uint8_t id[KT_ID_LEN];
    if (!json_is_string (id_j) || kt_unhex (id, KT_ID_LEN, json_string_value (id_j)) != 0) {
        apiserver_reply_error (self->api, caller, "args.message_id must be 32 hex digits");
        return;
    }
    if (!json_is_true (checked)) {
        apiserver_reply_error (self->api, caller,
                               "record that the investigation interest (opsporingsbelang) does "
                               "not object: args.opsporingsbelang_checked must be true");
        return;
    }
    const char *om_name = json_string_value (om);
    size_t om_len = om_name ? strlen (om_name) : 0;
    bool om_ok = om_len >= 1 && om_len <= 200;
    for (size_t i = 0; om_ok && i < om_len; i++)
        if ((unsigned char) om_name[i] < 0x20 || om_name[i] == 0x7f)
            om_ok = false;
    if (!om_ok) {
        apiserver_reply_error (self->api, caller,
                               "args.om_consulted must name the OM officer consulted (1..200 "
                               "bytes, no control characters)");
        return;
    }
    kt_reason_t reason;
    /*  Wpg machtigingsbesluit: only an authorised police user releases;
     *  the node knows them as members of intake/release-group. */
    if (!*self->config.release_group) {
        apiserver_reply_error (self->api, caller,
                               "no one is authorised to release held signals on this node: set "
                               "intake/release-group to the group of authorised police users");
        return;
    }
    if (!access_uid_in_group (caller->uid, self->config.release_group)) {
        char user[65];
        access_user_name (caller->uid, user, sizeof user);
        kt_log (KT_LOG_WARN, "signal release_refused uid=%u user=%s reason=not_authorised",
                (unsigned) caller->uid, user);
        char msg[256];
        snprintf (msg, sizeof msg,
                  "%s is not authorised to release held signals (not in group %s)", user,
                  self->config.release_group);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    uint64_t now = kt_now_ms ();
    Keten__Signal *signal = NULL;
    uint8_t *body = NULL, *header = NULL;
    size_t body_len = 0, header_len = 0;
    char *to[1] = {(char *) self->hub->member->id};
    int rc = store_begin (self->db, &reason);
    if (rc == 0)
        rc = signalbox_release (self->signalbox, id, (uint32_t) caller->uid, om_name, now, &signal,
                                &reason);
    if (rc == 0) {
        /*  The release travels with the signal, so the uitvoerder can see
         *  that the Wpg conditions were recorded (not who the officer was). */
        signal->released_ms = now;
        signal->opsporingsbelang_checked = true;
        signal->om_consulted = true;
        body_len = keten__signal__get_packed_size (signal);
        body = malloc (body_len ? body_len : 1);
        if (!body)
            rc = kt_fail (&reason, "out of memory");
    }
    if (rc == 0) {
        keten__signal__pack (signal, body);
        uint8_t same_id[KT_ID_LEN];
        envelope_draft_t draft = {KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now, id};
        rc = envelope_seal (self->keyring, &draft, same_id, &header, &header_len, &reason);
    }
    if (rc == 0)
        rc = outbox_insert (self->outbox, id, KETEN__MESSAGE_TYPE__SIGNAL, header, header_len, now,
                            &reason);
    if (rc == 0)
        rc = store_commit (self->db, &reason);
    if (rc != 0)
        store_rollback (self->db);
    if (body) {
        sodium_memzero (body, body_len);
        free (body);
    }
    free (header);
    if (signal)
        keten__signal__free_unpacked (signal, NULL);
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    if (rc != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "signal released id=%s uid=%u opsporingsbelang_checked=yes", hex,
            (unsigned) caller->uid);
    outbox_enqueue (self->outbox, id, now);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s}", "message_id", hex, "state", "queued"));
    s_pump (self);
}

void
partner_status (node_t *self, json_t *result)
{
    uint64_t now = kt_now_ms ();
    bool up = self->link_up && now - self->hub_last_seen_ms <= self->config.heartbeat_timeout_ms;
    json_object_set_new (result, "link",
                         json_pack ("{s:s, s:b, s:I, s:I}", "peer", self->hub->member->id, "up",
                                    up, "last_seen_ms", (json_int_t) self->hub_last_seen_ms,
                                    "rtt_us", (json_int_t) self->hub_rtt_us));
    size_t depth = outbox_pending (self->outbox);
    int64_t oldest = outbox_oldest_ms (self->outbox);
    uint64_t age = oldest > 0 && (uint64_t) oldest < now ? now - (uint64_t) oldest : 0;
    json_object_set_new (
        result, "outbox",
        json_pack ("{s:I, s:I, s:I, s:I, s:I}", "depth", (json_int_t) depth, "oldest_ms",
                   (json_int_t) oldest, "oldest_undelivered_ms", (json_int_t) age, "delivered",
                   (json_int_t) outbox_count_state (self->outbox, OUTBOX_DELIVERED), "refused",
                   (json_int_t) outbox_count_state (self->outbox, OUTBOX_REFUSED)));
    /*  DESIGN 8: what needs a person's attention at this node. */
    metrics_alarm_input_t in = {.online = up,
                                .outbox_depth = (uint64_t) depth,
                                .oldest_undelivered_ms = (uint64_t) age,
                                .log_alarm = self->witness && witness_alarm (self->witness)};
    json_object_set_new (result, "alarms", metrics_alarms (&in));
    metrics_status (self, result);
    if (*self->last_receipt_id)
        json_object_set_new (result, "last_receipt",
                             json_pack ("{s:s, s:I, s:I}", "message_id", self->last_receipt_id,
                                        "at_ms", (json_int_t) self->last_receipt_ms, "log_index",
                                        (json_int_t) self->last_receipt_index));
    else
        json_object_set_new (result, "last_receipt", json_null ());
}

json_t *
partner_list_signals (node_t *self, int limit)
{
    return partner_json_signals (self->signalbox, self->outbox, limit, NULL);
}
