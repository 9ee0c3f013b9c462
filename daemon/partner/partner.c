/*  partner: the policy layer of every node but the uitvoerder.  It keeps
 *  its own data, queues what it sends in the outbox in the same
 *  transaction as the business change, sends in signed batches, and
 *  settles a message only when the uitvoerder's signed receipt arrives.
 */
#include "partner.h"
#include "partner_json.h"

#include "intake.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "policy.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUMP_MS 10
static int s_on_pump_timer (zloop_t *loop, int timer_id, void *arg);

static int
s_check (const config_t *config, kt_reason_t *reason)
{
    if (!*config->connect)
        return kt_fail (reason, "%s is a partner: its config needs transport/connect", config->id);
    /*  Where ketend's own spool directories go (not into the spool, and
     *  where a rename from the spool reaches): a spool that cannot be
     *  looked at now (an I/O error) is the start's to say - a failure
     *  there exits 1 and is restarted, where a refusal here (78) is not;
     *  one that is not there at all is the setup's mistake, refused
     *  here.  ketend's user is node/state-dir's
     *  owner, for ketend --check run as root; before the node's first
     *  start (ketend@NODE makes /var/lib/keten/NODE) the owner of the
     *  directory it is made in (/var/lib/keten, keten's), else this
     *  process's. */
    struct stat st;
    char parent[PATH_MAX];
    snprintf (parent, sizeof parent, "%s", config->state_dir);
    char *slash = strrchr (parent, '/');
    if (slash)
        slash[slash == parent] = '\0';
    else
        snprintf (parent, sizeof parent, ".");
    uid_t user = stat (config->state_dir, &st) == 0 ? st.st_uid
                 : stat (parent, &st) == 0          ? st.st_uid
                                                    : geteuid ();
    int rc = *config->spool_dir
                 ? spool_check (config->spool_dir, config->spool_state_dir, user, reason)
                 : 0;
    if (rc < 0)
        return -1;
    if (rc > 0)
        kt_log (KT_LOG_WARN, "spool check_deferred reason=\"%s\"", reason->text);
    return partner_agenda_check (config, user, reason);
}

static int
s_start (node_t *self, kt_reason_t *reason)
{
    partner_t *p = calloc (1, sizeof *p);
    if (!p)
        return kt_fail (reason, "out of memory");
    self->role_state = p;
    p->commit_fd = -1;
    p->waiters = zhashx_new ();
    /*  A partner stays under 20 MiB resident (docs/PERFORMANCE.md,
     *  "Targets"): SQLite's page cache of its two busy files at 1 MiB
     *  each, not the default 2 MiB ("2026-12-05, second session"). */
    if (store_exec (self->db, "PRAGMA cache_size=-1000", reason) != 0 ||
        store_exec (keystore_db (self->keystore), "PRAGMA cache_size=-1000", reason) != 0)
        return -1;
    const roster_t *roster = keyring_roster (self->keyring);
    const roster_member_t *hub = roster_uitvoerder (roster);
    if (!hub)
        return kt_fail (reason, "the roster names no uitvoerder");
    p->hub = keyring_peer (self->keyring, hub->id);
    outbox_limits_t limits = {self->config.retry_min_ms, self->config.retry_max_ms,
                              self->config.max_inflight};
    p->outbox = outbox_new (self->db, &limits, reason);
    if (!p->outbox)
        return -1;
    p->signalbox = signalbox_new (self->db, self->keystore, reason);
    if (!p->signalbox || signalbox_key_pool (p->signalbox, reason) != 0)
        return -1;
    outbox_header_source (p->outbox, KETEN__MESSAGE_TYPE__SIGNAL, partner_signal_envelope, self);
    signalbox_hand_to (p->signalbox, p->outbox);
    if (partner_agenda_start (self, reason) != 0 || partner_casus_start (self, reason) != 0 ||
        partner_log_start (self, reason) != 0 || partner_incident_start (self, reason) != 0)
        return -1;
    if (*self->config.spool_dir) {
        /*  art. 7.1: only a kernpartij's node may forward signals. */
        char *to[1] = {(char *) hub->id};
        if (policy_check (roster, KETEN__MESSAGE_TYPE__SIGNAL, keyring_self_member (self->keyring),
                          to, 1, kt_now_ms (), reason) != 0)
            return kt_fail (reason, "intake/spool-dir is set, but %s may not send signals",
                            self->config.id);
        p->spool =
            spool_new (self->db, self->config.spool_dir, self->config.spool_state_dir, reason);
        if (!p->spool)
            return -1;
        p->retain = spool_retain_new (p->spool, self->config.rejected_keep_days,
                                      partner_signal_settled, self, reason);
        if (!p->retain)
            return -1;
        zloop_timer (self->loop, self->config.spool_poll_ms, 0, partner_on_spool, self);
    }
    /*  art. 13: after the stores are open, before anything is served. */
    if (partner_retention_start (self, reason) != 0 || partner_correction_start (self, reason) != 0)
        return -1;
    /*  After a restore: what was destroyed or corrected after the backup
     *  is done again with the stores open and before the node connects. */
    if (node_replay_forgotten (self, reason) != 0)
        return -1;
    /*  The last receipt survives restarts: status shows it from the file. */
    outbox_receipt_t last;
    int found = outbox_last_delivered (p->outbox, &last, reason);
    if (found < 0)
        return -1;
    if (found) {
        kt_hex (p->last_receipt_id, last.id, KT_ID_LEN);
        p->last_receipt_ms = last.settled_ms;
        p->last_receipt_index = last.log_index;
    }
    self->transport = transport_connect (&self->config, self->keys, hub->transport_pk, reason);
    if (!self->transport)
        return -1;
    node_listen (self);
    /*  A group of submissions' log sync beside the loop has ended
     *  (partner_flush). */
    p->commit_fd = store_commit_fd (reason);
    p->syncs_beside = store_syncs_beside (self->db);
    zmq_pollitem_t ended = {NULL, p->commit_fd, ZMQ_POLLIN, 0};
    if (p->commit_fd < 0)
        return -1;
    if (zloop_poller (self->loop, &ended, partner_on_committed, self) != 0)
        return kt_fail (reason, "cannot watch the commit thread's event");
    randombytes_buf (p->instance_id, sizeof p->instance_id);
    zloop_timer (self->loop, self->config.heartbeat_ms, 0, partner_on_heartbeat, self);
    zloop_timer (self->loop, PUMP_MS, 0, s_on_pump_timer, self);
    partner_on_heartbeat (self->loop, 0, self);
    /*  The instance's first bytes, as the uitvoerder's duplicate_instance
     *  line names them: which copy is which. */
    char instance[KT_ID_HEX];
    kt_log (KT_LOG_INFO, "partner connecting endpoint=%s uitvoerder=%s pending=%zu instance=%s",
            self->config.connect, hub->id, outbox_pending (p->outbox),
            kt_hex (instance, p->instance_id, 4));
    return 0;
}

static void
s_stop (node_t *self)
{
    partner_t *p = partner_of (self);
    if (!p)
        return;
    partner_flush_stop (self);
    partner_accepted_lines_end (p, kt_mono_us (), true);
    spool_retain_destroy (&p->retain);
    spool_destroy (&p->spool);
    partner_retention_stop (self);
    partner_agenda_stop (self);
    partner_casus_stop (self);
    partner_log_stop (self);
    partner_incident_stop (self);
    signalbox_destroy (&p->signalbox);
    outbox_destroy (&p->outbox);
    /*  Callers still waiting for a receipt (the API server is gone). */
    if (p->waiters) {
        waiter_t *w;
        for (w = zhashx_first (p->waiters); w; w = zhashx_next (p->waiters)) {
            if (w->batch)
                partner_batch_drop (w->batch);
            api_caller_clear (&w->caller);
            free (w);
        }
        zhashx_destroy (&p->waiters);
    }
    partner_receipts_free (self);
    free (p);
    self->role_state = NULL;
}

/*  Whether this node's key file is still accepted: the overlap of a key
 *  rotation may end before the node switched key files, and then nothing
 *  it signs is accepted any more. */
static bool
s_keys_accepted (node_t *self, uint64_t now)
{
    /*  Its leaves-at day may come while it runs. */
    if (!node_check_membership (self))
        return false;
    if (!keyring_self_previous (self->keyring) ||
        roster_member_previous_active (keyring_self_member (self->keyring), now))
        return true;
    self->expelled = true;
    kt_log (KT_LOG_ERROR,
            "keys rotated and the overlap ended on %s: sending stopped; "
            "install the new key file and restart",
            keyring_self_member (self->keyring)->previous_until);
    return false;
}

void
partner_pump (node_t *self)
{
    partner_t *p = partner_of (self);
    /*  A node the roster dropped sends nothing (art. 15.2c, 18.2). */
    if (!p->link_up || self->expelled || !s_keys_accepted (self, kt_now_ms ()))
        return;
    size_t max = self->config.batch_max;
    outbox_item_t *items = malloc (max * sizeof *items);
    uint8_t **headers = malloc (max * sizeof *headers);
    size_t *lens = malloc (max * sizeof *lens);
    uint8_t **envs = malloc (max * sizeof *envs);
    size_t *env_lens = malloc (max * sizeof *env_lens);
    uint8_t (*leaves)[32] = malloc (max * sizeof *leaves);
    if (!items || !headers || !lens || !envs || !env_lens || !leaves)
        goto done;
    uint64_t now = kt_now_ms ();
    bool blocked = false;
    while (!blocked) {
        size_t n = outbox_due (p->outbox, now, items, max);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            headers[i] = items[i].header;
            lens[i] = items[i].header_len;
        }
        kt_reason_t reason;
        if (envelope_sign_leaves (self->keyring, headers, lens, n, envs, env_lens, leaves,
                                  &reason) != 0) {
            kt_log (KT_LOG_ERROR, "outbox sign_failed reason=\"%s\"", reason.text);
            for (size_t i = 0; i < n; i++)
                free (items[i].header);
            break;
        }
        /*  A message larger than the uitvoerder takes in one (its
         *  transport/max-message, told in its heartbeat) is not sent:
         *  libzmq would drop the link for it, on every retry, and the
         *  messages behind it with it.  It waits for its next retry, said
         *  in the journal, in case the uitvoerder's limit is raised, and
         *  meanwhile does not count in flight. */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (p->hub_max_message && env_lens[i] > p->hub_max_message) {
                char hex[KT_ID_HEX];
                kt_log (KT_LOG_ERROR,
                        "outbox too_large id=%s bytes=%zu uitvoerder_max=%llu: not sent; the "
                        "uitvoerder's transport/max-message is below this message",
                        kt_hex (hex, items[i].id, KT_ID_LEN), env_lens[i],
                        (unsigned long long) p->hub_max_message);
                outbox_not_sent (p->outbox, items[i].id);
                free (envs[i]);
                free (items[i].header);
                continue;
            }
            envs[m] = envs[i];
            env_lens[m] = env_lens[i];
            memmove (leaves[m], leaves[i], sizeof leaves[m]);
            items[m++] = items[i];
        }
        size_t sent =
            transport_send_all (self->transport, NULL, 0, envs, env_lens, m, p->hub_bundle_max);
        /*  Queue full or peer gone: the rest waits. */
        blocked = sent < m;
        for (size_t i = 0; i < m; i++) {
            /*  What its receipt's log entry must name (partner_receipt.c). */
            if (i < sent)
                outbox_sent_leaf (p->outbox, items[i].id, leaves[i]);
            else
                outbox_retry_soon (p->outbox, items[i].id, now);
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
    free (leaves);
}

int
partner_on_pump (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    partner_pump (arg);
    partner_accepted_lines_end (partner_of (arg), kt_mono_us (), false);
    /*  The signals' key pool topped up here, between submissions, not
     *  in a submission's own commit. */
    node_t *self = arg;
    kt_reason_t reason;
    if (keystore_pool_refill (self->keystore, &reason) != 0)
        kt_log (KT_LOG_WARN, "keystore pool_refill_failed reason=\"%s\"", reason.text);
    return 0;
}

/*  The pump's timer: not once for every 10 ms the loop was held. */
static int
s_on_pump_timer (zloop_t *loop, int timer_id, void *arg)
{
    if (!kt_timer_due (&partner_of (arg)->pump_fired_ms, PUMP_MS))
        return 0;
    return partner_on_pump (loop, timer_id, arg);
}

/*  How long the uitvoerder has been silent, on the monotonic clock: a
 *  wall clock set back (NTP) does not fake a link down. */
static uint64_t
s_hub_silent_ms (const partner_t *p)
{
    return kt_mono_us () / 1000 - p->hub_last_seen_mono_ms;
}

int
partner_on_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    partner_t *p = partner_of (self);
    if (!kt_timer_due (&p->heartbeat_fired_ms, self->config.heartbeat_ms))
        return 0;
    uint64_t now = kt_now_ms ();
    if (p->hook)
        hook_reap (p->hook);
    if (self->expelled || !s_keys_accepted (self, now))
        return 0;
    uint64_t silent_ms = s_hub_silent_ms (p);
    if (p->link_up && silent_ms > self->config.heartbeat_timeout_ms) {
        p->link_up = false;
        /*  It may come back as an older release: bundles again only once
         *  its reply says it reads them. */
        p->hub_bundle_max = 0;
        kt_log (KT_LOG_WARN, "link down peer=%s silent_ms=%llu", p->hub->member->id,
                (unsigned long long) silent_ms);
    }
    Keten__Heartbeat hb = KETEN__HEARTBEAT__INIT;
    hb.software_version = (char *) KETEN_VERSION;
    hb.uptime_s = node_uptime_s (self);
    hb.outbox_depth = outbox_pending (p->outbox);
    int64_t oldest = outbox_oldest_ms (p->outbox);
    hb.oldest_undelivered_ms = oldest > 0 && (uint64_t) oldest < now ? now - (uint64_t) oldest : 0;
    hb.roster_version = keyring_roster (self->keyring)->version;
    /*  What the uitvoerder shows of us at a glance (docs/OPERATIONS.md,
     *  "Monitoring the federation"). */
    hb.checkpoint_size = partner_checkpoint_size (self);
    if (p->witness) {
        /*  An alarm not known is said as such, not as none: the
         *  uitvoerder shows it (log_witness_unreadable); our own status
         *  names log_witness unreadable and its journal line says why. */
        kt_reason_t why;
        int alarm = witness_alarm_read (p->witness, &why);
        hb.log_alarm = alarm == 1;
        hb.log_witness_unreadable = alarm < 0;
        if (alarm < 0 && now - p->witness_unreadable_logged_ms >= 60000) {
            p->witness_unreadable_logged_ms = now;
            kt_log (KT_LOG_ERROR,
                    "witness alarms_unreadable reason=\"%s\": the uitvoerder is told "
                    "log_witness_unreadable",
                    why.text);
        }
    }
    hb.key_age_s = metrics_key_age_ms (self, now) / 1000;
    /*  Our own storage alarm, so that the uitvoerder, which watches the
     *  federation, sees it too; and our interval, by which it judges us
     *  online (docs/PROTOCOL.md, "Heartbeats"). */
    const char *failing_what;
    uint64_t failing_since;
    hb.storage_failing = store_health_failing (&failing_what, &failing_since);
    hb.heartbeat_ms = self->config.heartbeat_ms;
    hb.instance_id.data = p->instance_id;
    hb.instance_id.len = sizeof p->instance_id;
    hb.sent_ms = now;
    hb.sent_mono_us = kt_mono_us ();
    hb.rtt_us = p->hub_rtt_us;
    /*  The uitvoerder may answer with RECEIPTS up to our own limit. */
    hb.receipts_max = self->config.max_message;
    /*  ... with the paths that neighbouring receipts share sent once. */
    hb.receipts_shared = true;
    hb.bundle_max = self->config.max_message;
    /*  sent_ms is wall-clock for the peer; the echo gives the round trip. */
    kt_reason_t reason;
    if (node_queue (self, NULL, KETEN__MESSAGE_TYPE__HEARTBEAT, p->hub->member->id, &hb.base,
                    &reason) != 0)
        kt_log (KT_LOG_ERROR, "heartbeat seal_failed reason=\"%s\"", reason.text);
    /*  With it, what the witness asks again (witness_on_heartbeat). */
    partner_log_heartbeat (self);
    node_send_batch (self);
    return 0;
}

/* ---- receiving (the dispatcher calls these) ----------------------------- */

/*  The DEALER talks only to the server key pinned from the roster:
 *  whatever arrives came through the uitvoerder. */
static const keyring_peer_t *
s_peer (node_t *self, const transport_msg_t *msg, void **link_p)
{
    (void) msg;
    *link_p = NULL;
    return partner_of (self)->hub;
}

static void
s_refused (node_t *self, node_message_t *m, const char *why)
{
    (void) self;
    (void) m;
    kt_log (KT_LOG_WARN, "message refused reason=\"%s\"", why);
}

/*  Anything that opens is the uitvoerder: the link is up. */
static void
s_heard (node_t *self, node_message_t *m)
{
    (void) m;
    partner_t *p = partner_of (self);
    p->hub_last_seen_ms = kt_now_ms ();
    p->hub_last_seen_mono_ms = kt_mono_us () / 1000;
    if (!p->link_up) {
        p->link_up = p->came_up = true;
        kt_log (KT_LOG_INFO, "link up peer=%s", p->hub->member->id);
    }
}

static void
s_refuse (node_t *self, node_message_t *m, const char *what, const char *why)
{
    if (!what) {
        kt_log (KT_LOG_WARN, "message unhandled type=%s",
                policy_type_name (m->opened.header->type));
        return;
    }
    kt_log (KT_LOG_WARN, "%s refused id=%s reason=\"%s\"", what, m->hex, why);
    if (m->receipted)
        partner_receipt (self, m->opened.id, false, why);
}

/*  The uitvoerder's reply to our heartbeat: the round trip. */
static void
s_on_heartbeat_reply (node_t *self, node_message_t *m)
{
    const Keten__Heartbeat *hb = (const Keten__Heartbeat *) m->body;
    partner_t *p = partner_of (self);
    uint64_t mono = kt_mono_us ();
    if (hb->reply && hb->echo_mono_us && hb->echo_mono_us <= mono)
        p->hub_rtt_us = mono - hb->echo_mono_us;
    /*  Said when it changes (0 after a silence), at most once a minute. */
    unsigned repeated;
    if (hb->reply && ratelog_one_due (&p->hub_bundles_said, p->hub_bundle_max != hb->bundle_max,
                                      kt_mono_us (), &repeated)) {
        if (repeated)
            kt_log (KT_LOG_INFO, "link bundles peer=%s max=%llu repeated=%u", p->hub->member->id,
                    (unsigned long long) hb->bundle_max, repeated);
        else
            kt_log (KT_LOG_INFO, "link bundles peer=%s max=%llu", p->hub->member->id,
                    (unsigned long long) hb->bundle_max);
    }
    if (hb->reply)
        p->hub_bundle_max = hb->bundle_max;
    if (hb->reply && hb->bundle_max)
        p->hub_max_message = hb->bundle_max;
    /*  The uitvoerder sees another copy of this node, with our keys. */
    if (hb->reply && p->hub_duplicate != hb->duplicate_instance) {
        char instance[KT_ID_HEX];
        if (hb->duplicate_instance)
            kt_log (
                KT_LOG_ERROR,
                "link duplicate_instance peer=%s instance=%s: the uitvoerder hears another copy "
                "of this node with its keys (docs/OPERATIONS.md, duplicate_instance)",
                p->hub->member->id, kt_hex (instance, p->instance_id, 4));
        else
            kt_log (KT_LOG_INFO, "link duplicate_instance ended peer=%s", p->hub->member->id);
        p->hub_duplicate = hb->duplicate_instance;
    }
}

static size_t
s_bundle_max (node_t *self, const node_route_t *route)
{
    (void) route; /* the DEALER's one peer */
    return partner_of (self)->hub_bundle_max;
}

/*  Whether this member's witness raised an alarm: witness_alarm_read's
 *  1, 0 or -1 with reason (0 without a witness). */
static int
s_witness_alarm (partner_t *p, kt_reason_t *reason)
{
    return p->witness ? witness_alarm_read (p->witness, reason) : 0;
}

/*  The link, the outbox and the alarms into result; log_alarm is
 *  s_witness_alarm's answer (-1: not known, which the caller names). */
static void
s_link_status (node_t *self, json_t *result, int log_alarm)
{
    partner_t *p = partner_of (self);
    uint64_t now = kt_now_ms ();
    bool up = p->link_up && s_hub_silent_ms (p) <= self->config.heartbeat_timeout_ms;
    json_object_set_new (result, "link",
                         json_pack ("{s:s, s:b, s:I, s:I}", "peer", p->hub->member->id, "up", up,
                                    "last_seen_ms", (json_int_t) p->hub_last_seen_ms, "rtt_us",
                                    (json_int_t) p->hub_rtt_us));
    size_t depth = outbox_pending (p->outbox);
    int64_t oldest = outbox_oldest_ms (p->outbox);
    uint64_t age = oldest > 0 && (uint64_t) oldest < now ? now - (uint64_t) oldest : 0;
    json_object_set_new (
        result, "outbox",
        json_pack ("{s:I, s:I, s:I, s:I, s:I}", "depth", (json_int_t) depth, "oldest_ms",
                   (json_int_t) oldest, "oldest_undelivered_ms", (json_int_t) age, "delivered",
                   (json_int_t) outbox_count_state (p->outbox, OUTBOX_DELIVERED), "refused",
                   (json_int_t) outbox_count_state (p->outbox, OUTBOX_REFUSED)));
    /*  Submissions taken from the local API and not yet stored: those
     *  waiting for a group commit (bounded, partner.h) and those of the
     *  group being committed; and the callers waiting for receipts. */
    json_object_set_new (result, "submissions",
                         json_pack ("{s:I, s:I, s:I, s:I}", "waiting", (json_int_t) p->n_pending,
                                    "waiting_bytes", (json_int_t) p->pending_bytes, "committing",
                                    (json_int_t) p->committing.n, "receipt_waiters",
                                    (json_int_t) zhashx_size (p->waiters)));
    /*  What needs a person's attention at this node (docs/OPERATIONS.md,
     *  "Monitoring the federation"). */
    metrics_alarm_input_t in = {.online = up,
                                .outbox_depth = (uint64_t) depth,
                                .oldest_undelivered_ms = (uint64_t) age,
                                .log_alarm = log_alarm == 1,
                                .duplicate_instance = p->hub_duplicate};
    uint64_t conflict_ms;
    uint64_t conflict = node_roster_conflict (self, &conflict_ms);
    in.roster_conflict = conflict > 0;
    json_object_set_new (result, "alarms", metrics_alarms (&in));
    json_object_set_new (result, "roster_conflict",
                         conflict ? json_pack ("{s:I, s:I}", "version", (json_int_t) conflict,
                                               "at_ms", (json_int_t) conflict_ms)
                                  : json_null ());
    metrics_status (self, result);
    /*  This run's instance, as the uitvoerder's duplicate_instance line
     *  names it: which copy of the node this is. */
    char instance[KT_ID_HEX];
    json_object_set_new (result, "instance", json_string (kt_hex (instance, p->instance_id, 4)));
    if (*p->last_receipt_id)
        json_object_set_new (result, "last_receipt",
                             json_pack ("{s:s, s:I, s:I}", "message_id", p->last_receipt_id,
                                        "at_ms", (json_int_t) p->last_receipt_ms, "log_index",
                                        (json_int_t) p->last_receipt_index));
    else
        json_object_set_new (result, "last_receipt", json_null ());
}

uint64_t
partner_checkpoint_size (node_t *self)
{
    partner_t *p = partner_of (self);
    if (!p->witness)
        return 0;
    /*  witness_status counts every kept receipt: ask it every tenth
     *  heartbeat, not on each one. */
    uint64_t now = kt_now_ms ();
    if (p->cp_verified_ms && now - p->cp_verified_ms < 10ull * self->config.heartbeat_ms)
        return p->cp_verified;
    json_t *w = witness_status (p->witness);
    json_t *size = json_object_get (w, "checkpoint_size");
    p->cp_verified = json_is_integer (size) && json_integer_value (size) > 0
                         ? (uint64_t) json_integer_value (size)
                         : 0;
    p->cp_verified_ms = now;
    json_decref (w);
    return p->cp_verified;
}

/*  The police spool's rejected files, waiting for their removal (art. 13,
 *  intake/rejected-keep-days), with a warning while an operator can still
 *  look at the first of them; and what the last scan could not do (the
 *  spool's path gone, replaced by a directory that cannot be used, not
 *  readable), which is the spool's error: nothing new is forwarded while
 *  it lasts. */
static json_t *
s_spool_status (spool_t *spool, spool_retain_t *retain, const char *state_dir)
{
    spool_retain_status_t st;
    kt_reason_t reason;
    if (spool_health (spool, &reason) != 0 ||
        spool_retain_status (retain, kt_now_ms (), &st, &reason) != 0)
        return json_pack ("{s:s}", "error", reason.text);
    json_t *o = json_pack ("{s:I, s:I, s:I}", "rejected_waiting", (json_int_t) st.waiting,
                           "rejected_keep_days", (json_int_t) st.keep_days,
                           "rejected_removed_within_2_days", (json_int_t) st.within_warning);
    json_object_set_new (o, "next_removal_ms",
                         st.next_removal_ms ? json_integer ((json_int_t) st.next_removal_ms)
                                            : json_null ());
    if (st.within_warning) {
        char text[PATH_MAX + 160];
        snprintf (text, sizeof text,
                  "%llu rejected spool file%s will be removed within 2 days: look at"
                  " %s/rejected/ now if needed",
                  (unsigned long long) st.within_warning, st.within_warning == 1 ? "" : "s",
                  state_dir);
        json_object_set_new (o, "warning", json_string (text));
    }
    return o;
}

/*  The spool's files that wait, neither forwarded nor rejected, into its
 *  status o: how many, since when the oldest, and how many for over
 *  SPOOL_STUCK_MS (the warning spool_file_stuck).  Not with the spool's
 *  error (nothing is looked at then); a look that fails now is named in r
 *  (status_incomplete), not shown as none. */
static void
s_spool_waiting (spool_t *spool, json_t *o, json_t *r)
{
    if (!json_is_object (o) || json_object_get (o, "error"))
        return;
    spool_waiting_t w;
    kt_reason_t reason;
    if (spool_waiting (spool, kt_now_ms (), &w, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "status spool_waiting_unreadable reason=\"%s\"", reason.text);
        node_status_unreadable (r, "spool.waiting", reason.text);
        return;
    }
    json_object_set_new (o, "waiting", json_integer ((json_int_t) w.waiting));
    json_object_set_new (o, "waiting_stuck", json_integer ((json_int_t) w.stuck));
    json_object_set_new (o, "oldest_waiting_ms",
                         w.oldest_ms ? json_integer ((json_int_t) w.oldest_ms) : json_null ());
}

/*  status: what this member verified of the uitvoerder's log (and any
 *  alarm), its link and its outbox, and on the police node its spool. */
static void
s_status (node_t *self, json_t *r)
{
    partner_t *p = partner_of (self);
    /*  A part that cannot be read is named (node_status_unreadable), not
     *  left to read as "no alarm" or "nothing due". */
    kt_reason_t why;
    int alarm = s_witness_alarm (p, &why);
    json_t *witness = witness_status (p->witness);
    if (witness)
        json_object_set_new (r, "log_witness", witness);
    if (!witness || alarm < 0)
        node_status_unreadable (r, "log_witness",
                                alarm < 0 ? why.text : "the witness's alarms cannot be read");
    s_link_status (self, r, alarm);
    if (p->retain) {
        json_t *spool = s_spool_status (p->spool, p->retain, self->config.spool_state_dir);
        s_spool_waiting (p->spool, spool, r);
        json_object_set_new (r, "spool", spool);
    }
    json_t *retention = partner_retention_summary (self);
    if (json_is_string (json_object_get (retention, "error")))
        node_status_unreadable (r, "retention",
                                json_string_value (json_object_get (retention, "error")));
    json_object_set_new (r, "retention", retention);
}

static json_t *
s_metrics (node_t *self, uint64_t now_ms)
{
    (void) now_ms;
    json_t *r = json_object ();
    /*  An alarm not known is not raised here: the status these metrics
     *  also show names the witness unreadable (status_incomplete). */
    kt_reason_t why;
    s_link_status (self, r, s_witness_alarm (partner_of (self), &why));
    json_object_set_new (r, "checkpoint_size",
                         json_integer ((json_int_t) partner_checkpoint_size (self)));
    return r;
}

/*  The uitvoerder is the one peer: a new roster may name new keys for it.
 *  And a new kind for this node: the weegploeg's data follows its role. */
static int
s_roster_changed (node_t *self, const roster_t *old, kt_reason_t *reason)
{
    (void) old;
    (void) reason;
    partner_of (self)->hub =
        keyring_peer (self->keyring, roster_uitvoerder (keyring_roster (self->keyring))->id);
    partner_retention_follow_role (self);
    return 0;
}

/* ---- local API ---------------------------------------------------------- */

static void
s_signal_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    partner_t *p = partner_of (self);
    kt_reason_t reason;
    node_reply_signals (
        self, caller,
        partner_json_signals (p->signalbox, p->outbox, p->retainbox, node_limit (args), &reason),
        &reason);
}

/*  log.verify and log.checkpoints: what this member's witness verified. */
static void
s_log_witness (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    /*  A witness that cannot be read verified nothing: said so (witness
     *  null, and why), not an empty report that would read as "all
     *  well". */
    kt_reason_t reason;
    json_t *w = witness_verify (partner_of (self)->witness, &reason);
    json_t *r = json_pack ("{s:s, s:o}", "role", "partner", "witness", w ? w : json_null ());
    if (!w && r) {
        char error[KT_REASON_MAX + 64];
        snprintf (error, sizeof error, "this node's log witness cannot be read: %s", reason.text);
        json_object_set_new (r, "error", json_string (error));
    }
    apiserver_reply_ok (self->api, caller, r);
}

/*  log.reanchor: after a log alarm the operator looked into, follow the
 *  uitvoerder's log from the tree its operator named (witness.h). */
static void
s_log_reanchor (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    if (json_object_get (args, "peer")) {
        apiserver_reply_error (self->api, caller,
                               "only an uitvoerder witnesses a peered federation's log");
        return;
    }
    json_t *size = json_object_get (args, "size");
    const char *root_hex = json_string_value (json_object_get (args, "root"));
    const char *why = json_string_value (json_object_get (args, "reason"));
    uint8_t root[32];
    if (!json_is_integer (size) || json_integer_value (size) < 1 || !root_hex ||
        kt_unhex (root, sizeof root, root_hex) != 0) {
        apiserver_reply_error (self->api, caller,
                               "log.reanchor needs size (a tree size, from 1) and root (64 hex "
                               "digits), as the uitvoerder's keten status shows them");
        return;
    }
    if (!why || !*why || strlen (why) > 500 || strpbrk (why, "\r\n")) {
        apiserver_reply_error (self->api, caller,
                               "log.reanchor needs reason: one line of at most 500 bytes (the "
                               "incident, who named the tree)");
        return;
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    kt_reason_t reason;
    json_t *r = NULL;
    if (witness_reanchor (partner_of (self)->witness, (uint64_t) json_integer_value (size), root,
                          (uint32_t) caller->uid, user, why, &r, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    /*  The heartbeat reports the tree verified now, not a cached one. */
    partner_of (self)->cp_verified_ms = 0;
    apiserver_reply_ok (self->api, caller, r);
}

/*  roster.clear-alarm: an operator ends roster_conflict after seeing to
 *  its cause (docs/ROSTER.md, "A replayed roster"); said in the journal
 *  with the OS user, as the uitvoerder keeps the provenance log. */
static void
s_roster_clear_alarm (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    uint64_t version;
    if (json_is_object (args) && json_object_get (args, "member")) {
        apiserver_reply_error (self->api, caller,
                               "a member's roster_refused alarm is cleared at the uitvoerder");
        return;
    }
    if (node_roster_conflict_clear (self, &version, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    kt_log (KT_LOG_WARN, "roster conflict_cleared version=%llu user=%s",
            (unsigned long long) version, user);
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:s, s:I}", "cleared", "roster_conflict", "version", (json_int_t) version));
}

/*  referentiekader.show: art. 7.3, the one this node's roster names; the
 *  criteria themselves are kept at the uitvoerder. */
static void
s_referentiekader_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    const roster_t *roster = keyring_roster (self->keyring);
    char sha[65];
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:s, s:b, s:I}", "role", "partner", "version",
                                   roster->referentiekader, "referentiekader_sha256",
                                   kt_hex (sha, roster->referentiekader_sha256, 32), "example",
                                   roster->referentiekader_example, "roster_version",
                                   (json_int_t) roster->version));
}

/*  A partner's commands.  The rows without a handler are the uitvoerder's
 *  commands: the refusal says where the caller should go instead. */
static const node_command_t s_commands[] = {
    {"signal.list", NODE_RIGHT_READ, s_signal_list, NULL, "limit:l"},
    {"signal.submit", NODE_RIGHT_SUBMIT, partner_submit, NULL, "signal:o wait:b"},
    {"signal.release", NODE_RIGHT_RELEASE, partner_release, NULL,
     "bevoegd_functionaris:s message_id:* om_consulted:s opsporingsbelang_checked:b"},
    /*  art. 7.2a: the police representative confirms spool signals
     *  (confirm mode).  A withdrawal needs the representative's right for
     *  a spool signal and submit's for any other: the handler checks
     *  which, once it knows the signal. */
    {"signal.confirm", NODE_RIGHT_REPRESENTATIVE, partner_confirm, NULL, "all:b message_ids:a"},
    {"signal.withdraw", NODE_RIGHT_NONE, partner_signal_correct, NULL,
     "bevoegd_functionaris:s item:o item_index:i message_id:* om_consulted:s "
     "opsporingsbelang_checked:b reason:s wait:b"},
    {"signal.correct", NODE_RIGHT_NONE, partner_signal_correct, NULL,
     "bevoegd_functionaris:s item:o item_index:i message_id:* om_consulted:s "
     "opsporingsbelang_checked:b reason:s wait:b"},
    {"correction.*", NODE_RIGHT_NONE, NULL,
     "the uitvoerder decides corrections (art. 12.5-12.6); a signal's sender corrects its own "
     "with keten signal correct or keten signal withdraw",
     NULL},
    {"weegploeg.*", NODE_RIGHT_NONE, NULL,
     "the uitvoerder keeps the weegploeg file; this node is a partner", NULL},
    {"casusoverleg.*", NODE_RIGHT_NONE, NULL,
     "the uitvoerder keeps the casusoverleg file; this node is a partner", NULL},
    /*  Every partner may take part in a casusoverleg (art. 9-10). */
    {"agenda.list", NODE_RIGHT_READ, partner_agenda_list, NULL, "limit:l"},
    {"agenda.show", NODE_RIGHT_READ, partner_agenda_show, NULL, "meeting_id:s"},
    {"decision.list", NODE_RIGHT_READ, partner_decision_list, NULL, ""},
    {"decision.show", NODE_RIGHT_READ, partner_decision_show, NULL, "decision_id:s"},
    /*  art. 7.4 sub 1: the kernpartij asked answers the weegploeg. */
    {"decision.answer", NODE_RIGHT_SUBMIT, partner_decision_answer, NULL,
     "decision_id:s items:* legal_basis:s wait:b"},
    {"case.list", NODE_RIGHT_READ, partner_case_list, NULL, ""},
    {"case.contribute", NODE_RIGHT_SUBMIT, partner_case_contribute, NULL,
     "case_ref:s items:* kind:s legal_basis:s wait:b"},
    {"plan.progress", NODE_RIGHT_SUBMIT, partner_plan_progress, NULL,
     "case_ref:s measure_id:s note:s status:s wait:b"},
    /*  art. 4, 10.5, 9.4: this party's own casework decisions. */
    {"case.consent", NODE_RIGHT_DISCLOSURE, partner_case_consent, NULL,
     "case_ref:s data_kinds:a item_refs:a necessity:s to:* wait:b"},
    {"case.share", NODE_RIGHT_DISCLOSURE, partner_case_share, NULL,
     "case_ref:s data_kinds:a item_refs:a necessity:s to:* wait:b"},
    {"case.close", NODE_RIGHT_WEEGPLOEG, partner_case_close, NULL,
     "case_ref:s decision:s reason:s wait:b"},
    {"case.show", NODE_RIGHT_READ, partner_case_show, NULL, "case_ref:s version:*"},
    {"plan.show", NODE_RIGHT_READ, partner_case_show, NULL, "case_ref:s version:*"},
    {"case.*", NODE_RIGHT_NONE, partner_case_elsewhere, NULL, "*"},
    {"plan.*", NODE_RIGHT_NONE, partner_case_elsewhere, NULL, "*"},
    {"log.trail", NODE_RIGHT_NONE, NULL, "the provenance log is kept by the uitvoerder", NULL},
    {"log.events", NODE_RIGHT_NONE, NULL, "the provenance log is kept by the uitvoerder", NULL},
    {"log.proof", NODE_RIGHT_NONE, NULL, "the provenance log is kept by the uitvoerder", NULL},
    {"log.verify", NODE_RIGHT_NONE, s_log_witness, NULL, ""},
    {"log.checkpoints", NODE_RIGHT_NONE, s_log_witness, NULL, ""},
    {"log.reanchor", NODE_RIGHT_ADMIN, s_log_reanchor, NULL, "peer:s reason:s root:s size:i"},
    {"roster.change", NODE_RIGHT_NONE, NULL, "the uitvoerder changes the roster (art. 15.2c)",
     NULL},
    {"transfer.decide", NODE_RIGHT_DISCLOSURE, partner_transfer_decide, NULL,
     "basis:s case_ref:s to:* wait:b"},
    {"transfer.*", NODE_RIGHT_NONE, NULL,
     "the uitvoerder hands a subject over to a peered federation (docs/FEDERATIONS.md)", NULL},
    {"report.figures", NODE_RIGHT_NONE, NULL,
     "the figures are kept by the uitvoerder (art. 15.3, 18.4): run keten report there", NULL},
    {"register.show", NODE_RIGHT_NONE, NULL,
     "the federation's register entry is built by the uitvoerder (AVG art. 30): run keten "
     "register there",
     NULL},
    {"roster.clear-alarm", NODE_RIGHT_ADMIN, s_roster_clear_alarm, NULL, "member:s"},
    {"referentiekader.adopt", NODE_RIGHT_NONE, NULL,
     "the uitvoerder puts a referentiekader in force (art. 7.3)", NULL},
    {"referentiekader.show", NODE_RIGHT_READ, s_referentiekader_show, NULL, ""},
    {"referentiekader.*", NODE_RIGHT_NONE, NULL, "unknown referentiekader command", NULL},
    {"incident.report", NODE_RIGHT_ADMIN, partner_incident_report, NULL,
     "data_kinds:a found_ms:i subjects:* wait:b what:s"},
    /*  art. 13: the node's own schedule; reopen and the archive read at a
     *  kernpartij (the handlers refuse them elsewhere). */
    {"retention.status", NODE_RIGHT_READ, partner_retention_status, NULL, ""},
    {"retention.run", NODE_RIGHT_ADMIN, partner_retention_run, NULL, "dry_run:b"},
    {"retention.reopen", NODE_RIGHT_ADMIN, partner_retention_reopen, NULL, "case_ref:s reason:s"},
    {"retention.read", NODE_RIGHT_READ, partner_retention_read, NULL, "case_ref:s"},
    {"retention.*", NODE_RIGHT_NONE, NULL, "unknown retention command", NULL},
    /*  art. 4, 15.2g: the register is kept by the uitvoerder and shown at
     *  the kernpartijen (the handler refuses it elsewhere). */
    {"incident.list", NODE_RIGHT_AUDIT, partner_incident_list, NULL, "incident_id:s limit:l"},
    {"incident.*", NODE_RIGHT_NONE, NULL,
     "the incident register is kept by the uitvoerder (art. 15.2g); a kernpartij node shows it "
     "with keten incident list",
     NULL},
    /*  art. 4, 11, 12: a kernpartij decides (the handler refuses it
     *  elsewhere); the uitvoerder keeps the files, so its desk registers,
     *  finds and answers. */
    {"request.decide", NODE_RIGHT_RIGHTS, partner_rights_decide, NULL,
     "ground:s motivation:s note:s outcome:s request_id:s review_on:s task_id:s wait:b withhold:a"},
    {"informatieplicht.decide", NODE_RIGHT_RIGHTS, partner_rights_decide, NULL,
     "ground:s motivation:s note:s outcome:s request_id:s review_on:s task_id:s wait:b withhold:a"},
    {"request.*", NODE_RIGHT_NONE, NULL,
     "a person's requests (art. 12) are registered and answered at the uitvoerder's desk; a "
     "kernpartij decides them at its node with keten request decide",
     NULL},
    {"informatieplicht.*", NODE_RIGHT_NONE, NULL,
     "the informatieplicht tasks are kept by the uitvoerder (art. 11.2); a kernpartij decides "
     "them at its node with keten informatieplicht decide",
     NULL},
    {"review.*", NODE_RIGHT_NONE, NULL,
     "the accuracy review is of the uitvoerder's files (art. 8.3, 10.3)", NULL},
};

/*  What a partner does with each message type the uitvoerder may send it
 *  (the policy table says which). */
static const node_handler_t s_handlers[] = {
    {KETEN__MESSAGE_TYPE__RECEIPT, "receipt", partner_on_receipt},
    {KETEN__MESSAGE_TYPE__RECEIPTS, "receipts", partner_on_receipts},
    {KETEN__MESSAGE_TYPE__HEARTBEAT, "heartbeat", s_on_heartbeat_reply},
    {KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, "agenda", partner_on_agenda},
    {KETEN__MESSAGE_TYPE__CASUS_AGENDA, "agenda", partner_on_agenda},
    {KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, "decision", partner_on_decision},
    {KETEN__MESSAGE_TYPE__CHECKPOINT, "checkpoint", partner_on_checkpoint},
    {KETEN__MESSAGE_TYPE__ROSTER, "roster", partner_on_roster},
    {KETEN__MESSAGE_TYPE__PLAN, "plan", partner_on_plan},
    {KETEN__MESSAGE_TYPE__CLOSURE, "closure", partner_on_closure},
    {KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, "disclosure", partner_on_disclosure},
    {KETEN__MESSAGE_TYPE__RETENTION_NOTICE, "retention notice", partner_on_retention},
    {KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, "correction notice", partner_on_correction},
    {KETEN__MESSAGE_TYPE__INCIDENT_REGISTER, "incident register", partner_on_incident_register},
};

const node_role_t partner_role = {
    .name = "partner",
    .serves = (1u << ROLE_KERNPARTIJ) | (1u << ROLE_CASUSPARTIJ) | (1u << ROLE_EXTERN),
    .check = s_check,
    .start = s_start,
    .stop = s_stop,
    .status = s_status,
    .metrics = s_metrics,
    .api_flush = partner_flush,
    .api_closing = partner_waiters_closing,
    .api_closed = partner_waiters_closed,
    .commits_beside = true,
    .roster_changed = s_roster_changed,
    .access_notice = partner_access_notice,
    .log_access = partner_log_access,
    .commands = s_commands,
    .n_commands = sizeof s_commands / sizeof s_commands[0],
    .handlers = s_handlers,
    .n_handlers = sizeof s_handlers / sizeof s_handlers[0],
    .drain_begin = partner_drain_begin,
    .drain_end = partner_drain_end,
    .bundle_max = s_bundle_max,
    .peer = s_peer,
    .open_opts = partner_open_opts,
    .refused = s_refused,
    .duplicate = NULL,
    .heard = s_heard,
    .refuse = s_refuse,
    .redo = partner_redo,
};
