/*  uitvoerder: the hub's policy layer.  It admits only roster members'
 *  transport keys, attributes every message to a member by its CURVE key,
 *  stores signals in the weegploeg file (art. 8.1) after logging their
 *  arrival in the provenance log, and answers every message with a signed
 *  receipt only after both are durable
 *  (docs/ARCHITECTURE.md, "Crash reasoning").
 */
#include "uitvoerder.h"

#include "items.h"
#include "render.h"
#include "uitvoerder_json.h"

#include "intake.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "logowed.h"
#include "policy.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int
s_check (const config_t *config, kt_reason_t *reason)
{
    if (!*config->bind)
        return kt_fail (reason, "%s is the uitvoerder: its config needs transport/bind",
                        config->id);
    return 0;
}

static int
s_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = calloc (1, sizeof *u);
    if (!u)
        return kt_fail (reason, "out of memory");
    self->role_state = u;
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/weegploeg.db", self->config.state_dir);
    u->weegploeg = weegploeg_open (path, self->keystore, self->keys->storage_key, reason);
    if (!u->weegploeg || weegploeg_key_pool (u->weegploeg, reason) != 0)
        return -1;
    snprintf (path, sizeof path, "%s/log.db", self->config.state_dir);
    u->log = provlog_open (path, reason);
    if (!u->log)
        return -1;
    /*  Before anything is logged: entries a crash left owed to stored
     *  signals take the indices those signals hold (logowed.h). */
    if (uitvoerder_signals_log (self, reason) != 0)
        return -1;
    /*  art. 12: the request register, a file of its own (request.h). */
    snprintf (path, sizeof path, "%s/requests.db", self->config.state_dir);
    if (!(u->requests = request_open (path, reason)))
        return -1;
    if (!(u->meeting = meeting_new (u->weegploeg, reason)) ||
        !(u->relay = relay_new (self->db, reason)) ||
        !(u->incident = incident_new (self->db, reason)) ||
        uitvoerder_decision_start (self, reason) != 0 ||
        uitvoerder_infoplicht_start (self, reason) != 0 || uitvoerder_log_start (self, reason) != 0)
        return -1;
    const roster_t *roster = keyring_roster (self->keyring);
    u->rebind_timer = -1;
    u->links = calloc (roster->member_count, sizeof *u->links);
    if (!u->links)
        return kt_fail (reason, "out of memory");
    snprintf (path, sizeof path, "%s/allow", self->config.state_dir);
    self->transport = transport_bind (&self->config, self->keys, roster, path, reason);
    if (!self->transport)
        return -1;
    node_listen (self);
    /*  The endpoint actually bound (the port, when configured as "*"),
     *  for operators and for tests that bind tcp://127.0.0.1:*. */
    const char *endpoint = transport_endpoint (self->transport);
    snprintf (path, sizeof path, "%s/endpoint", self->config.state_dir);
    char line[CONFIG_ENDPOINT_MAX + 2];
    snprintf (line, sizeof line, "%s\n", endpoint ? endpoint : self->config.bind);
    if (kt_write_file (path, line, strlen (line), 0644, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "uitvoerder listening endpoint=%s members=%zu",
            endpoint ? endpoint : self->config.bind, roster->member_count);
    /*  Entries a crash or a failed append left owed, before anything is
     *  rewrapped or resumed: held copies are logged and released, settled
     *  ones get their MESSAGE_DELIVERED (Crash reasoning 12).  A log that
     *  cannot be written now is tried again by the log timer. */
    kt_reason_t why;
    if (uitvoerder_relay_log (self, &why) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=owed reason=\"%s\"", why.text);
    uitvoerder_roster_start (self);
    /*  art. 13: a destruction a crash cut off is completed before any
     *  send is resumed - a resumed meeting, decision or plan must not
     *  need a key already shredded, nor send the subject out again. */
    if (uitvoerder_retention_start (self, reason) != 0)
        return -1;
    /*  After a restore: what was destroyed or corrected after the backup
     *  is done again now, before any send the backup left owed is
     *  resumed, so none of them seals a destroyed subject's data anew
     *  (whose newer time would lift a member's tombstone).  The
     *  corrections it decides are carried out with the others, below. */
    if (!(u->correction = correction_new (u->weegploeg, reason)) ||
        node_replay_forgotten (self, reason) != 0)
        return -1;
    if (uitvoerder_resume_meetings (self, reason) != 0 ||
        uitvoerder_resume_decisions (self, reason) != 0)
        return -1;
    /*  art. 7.4 sub 1: subjects an answer made due that a crash kept off
     *  the next planned meeting. */
    if (uitvoerder_agenda_place_due (self, "ketend", &why) < 0)
        kt_log (KT_LOG_ERROR, "agenda due_failed reason=\"%s\"", why.text);
    /*  Plan versions and disclosures before closures: a participant
     *  learns what the case got before it learns that it is closed. */
    uitvoerder_resume_plans (self);
    uitvoerder_resume_disclosures (self);
    uitvoerder_resume_advices (self);
    uitvoerder_resume_closures (self);
    /*  art. 12.5-12.6: corrections a crash cut off are carried out. */
    if (uitvoerder_correction_start (self, reason) != 0)
        return -1;
    /*  art. 15.2g: every kernpartij has each change of the incident
     *  register (what a crash cut off, a kernpartij new on the roster). */
    uitvoerder_incident_start (self);
    /*  art. 13, after everything above is resumed and before anything is
     *  served: what is due, the notices. */
    uitvoerder_retention_run_start (self);
    /*  Peered federations last: a transfer reads what is resumed above. */
    return uitvoerder_peer_start (self, reason);
}

static void
s_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u)
        return;
    /*  Refusals only counted so far are on record before the log closes. */
    const roster_t *roster = keyring_roster (self->keyring);
    for (size_t i = 0; u->links && u->log && roster && i < roster->member_count; i++)
        if (u->links[i].refusals.counted)
            uitvoerder_refusal_roll (self, &u->links[i], roster->members[i].id, kt_now_ms (), true);
    uitvoerder_peer_stop (self);
    uitvoerder_receipts_stop (self);
    uitvoerder_retention_stop (self);
    uitvoerder_correction_stop (self);
    meeting_destroy (&u->meeting);
    uitvoerder_infoplicht_stop (self);
    uitvoerder_decision_stop (self);
    uitvoerder_log_stop (self);
    incident_destroy (&u->incident);
    request_destroy (&u->requests);
    relay_destroy (&u->relay);
    weegploeg_destroy (&u->weegploeg);
    provlog_destroy (&u->log);
    free (u->links);
    free (u->arrivals);
    zhashx_destroy (&u->batch_ids);
    free (u);
    self->role_state = NULL;
}

static member_link_t *
s_link (node_t *self, const keyring_peer_t *peer)
{
    return &uitvoerder_of (self)->links[peer->member - keyring_roster (self->keyring)->members];
}

/*  envelope_open's seen: an id already taken in this drain, or stored. */
static bool
s_seen (void *arg, const uint8_t id[KT_ID_LEN])
{
    uitvoerder_t *u = uitvoerder_of (arg);
    char key[KT_ID_HEX];
    if (zhashx_lookup (u->batch_ids, kt_hex (key, id, KT_ID_LEN)))
        return true;
    return weegploeg_has_signal (u->weegploeg, id, NULL, NULL, NULL);
}

/*  A round trip longer than this is not believed. */
#define RTT_MAX_US (60 * 1000000ull)

static uint64_t
s_clamp (uint64_t v, uint64_t max)
{
    return v > max ? max : v;
}

uint64_t
uitvoerder_online_window_ms (const node_t *self, const member_link_t *link)
{
    /*  A member is judged by its own interval, not by ours alone: one that
     *  beats every 6 s is not offline after our 5 s. */
    uint64_t window = self->config.heartbeat_timeout_ms;
    uint64_t its = link->heartbeat_ms * UITVOERDER_HEARTBEATS_MISSED;
    return its > window ? its : window;
}

bool
uitvoerder_member_online (const node_t *self, const member_link_t *link, uint64_t now_ms)
{
    return link->last_seen_ms && now_ms >= link->last_seen_ms &&
           now_ms - link->last_seen_ms <= uitvoerder_online_window_ms (self, link);
}

/*  The run of the member's ketend this heartbeat came from: a copy of
 *  the node beside the original raises duplicate_instance (the journal
 *  says it once, with both runs' first bytes, which each copy's journal
 *  names at its start).  A member that never named its run (an older
 *  release) is not judged; once it has, a heartbeat naming none is a run
 *  of its own (shown as 00000000).  On the monotonic clock. */
static void
s_instance_heard (node_t *self, member_link_t *link, const char *member,
                  const ProtobufCBinaryData *id, uint64_t now)
{
    member_instances_t *w = &link->instances;
    uint64_t mono = kt_mono_us () / 1000;
    if (uitvoerder_instance_ended (w, mono))
        kt_log (KT_LOG_INFO, "member duplicate_instance ended peer=%s", member);
    char was_hex[KT_ID_HEX], now_hex[KT_ID_HEX];
    kt_hex (was_hex, w->cur, 4);
    if (uitvoerder_instance_heard (w, id->data, id->len, mono, now,
                                   uitvoerder_online_window_ms (self, link)) == INSTANCE_DUPLICATE)
        kt_log (KT_LOG_ERROR,
                "member duplicate_instance peer=%s instances=%s,%s: two copies of the node run "
                "with its keys at once (docs/OPERATIONS.md, duplicate_instance)",
                member, was_hex, kt_hex (now_hex, w->cur, 4));
}

/*  The journal line of a peer's bundle limit (docs/PROTOCOL.md,
 *  "Bundles"), with the lines left out since the last one. */
static void
s_bundles_line (const char *peer, uint64_t max, unsigned repeated)
{
    if (repeated)
        kt_log (KT_LOG_INFO, "link bundles peer=%s max=%llu repeated=%u", peer,
                (unsigned long long) max, repeated);
    else
        kt_log (KT_LOG_INFO, "link bundles peer=%s max=%llu", peer, (unsigned long long) max);
}

static void
s_on_heartbeat (node_t *self, node_message_t *m)
{
    member_link_t *link = m->link;
    const keyring_peer_t *peer = m->peer;
    const Keten__Heartbeat *hb = (const Keten__Heartbeat *) m->body;
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
    /*  Optional fields (docs/PROTOCOL.md, "Heartbeats"): an older member
     *  sends none, read as no storage alarm, no interval of its own and a
     *  witness it can read. */
    link->storage_failing = hb->storage_failing;
    link->log_witness_unreadable = hb->log_witness_unreadable;
    link->heartbeat_ms = s_clamp (hb->heartbeat_ms, UITVOERDER_HEARTBEAT_MAX_MS);
    s_instance_heard (self, link, peer->member->id, &hb->instance_id, now);
    link->receipts_max = uitvoerder_receipts_max (hb->receipts_max);
    link->receipts_shared = hb->receipts_shared;
    /*  Said when it changes (a new connection starts at 0), at most once
     *  a minute: two copies of the member change it at each turn. */
    unsigned repeated;
    if (ratelog_one_due (&link->bundles_said, link->bundle_max != hb->bundle_max, kt_mono_us (),
                         &repeated))
        s_bundles_line (peer->member->id, hb->bundle_max, repeated);
    link->bundle_max = hb->bundle_max;
    if (hb->bundle_max)
        link->max_message = hb->bundle_max;
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
    reply.uptime_s = node_uptime_s (self);
    reply.roster_version = keyring_roster (self->keyring)->version;
    reply.sent_ms = kt_now_ms ();
    reply.reply = true;
    reply.echo_sent_ms = hb->sent_ms;
    reply.echo_mono_us = hb->sent_mono_us;
    reply.bundle_max = self->config.max_message;
    /*  Each copy hears it in the reply to its own heartbeat. */
    reply.duplicate_instance =
        uitvoerder_instance_duplicate (&link->instances, kt_mono_us () / 1000);
    kt_reason_t reason;
    if (node_queue (self, &link->route, KETEN__MESSAGE_TYPE__HEARTBEAT, peer->member->id,
                    &reply.base, &reason) != 0)
        kt_log (KT_LOG_ERROR, "heartbeat seal_failed reason=\"%s\"", reason.text);
    /*  The member is there: offer what it has not confirmed yet, and the
     *  roster if its version is behind. */
    uitvoerder_roster_offer (self, link, peer->member, link->roster_version);
    uitvoerder_relay_pump (self, peer->member);
    uitvoerder_refusal_roll (self, link, peer->member->id, kt_now_ms (), false);
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
    if (provlog_append_one (uitvoerder_of (self)->log, NULL, &e, &index, &reason) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=refused reason=\"%s\"", reason.text);
}

/*  A message whose id an earlier, different message has: refused on the
 *  record like any refusal (within the member's budget), then answered. */
static void
s_refuse_reused (node_t *self, member_link_t *link, const char *member,
                 const envelope_opened_t *opened)
{
    uitvoerder_refuse_by_rule (self, link, member, opened,
                               "this message id is already used for a different message");
}

void
uitvoerder_refuse_by_rule (node_t *self, member_link_t *link, const char *member,
                           const envelope_opened_t *opened, const char *why)
{
    if (uitvoerder_refusal_logged (self, link, member))
        s_log_refusal (self, member, opened, why);
    uitvoerder_receipt (self, link, member, opened->id, false, 0, why);
}

bool
uitvoerder_budget_take (const char *member, hour_budget_t *b, uint64_t max, uint64_t *flood_until,
                        const char *alarm)
{
    uint64_t now = kt_now_ms ();
    if (hour_budget_over (b, now)) {
        if (b->counted > 0)
            kt_log (KT_LOG_WARN, "%s ended peer=%s refused=%llu", alarm, member,
                    (unsigned long long) b->counted);
        hour_budget_start (b, now);
    }
    hour_budget_use_t use = hour_budget_take (b, max);
    if (use == HOUR_BUDGET_TAKEN)
        return true;
    if (use == HOUR_BUDGET_FIRST_COUNTED)
        kt_log (KT_LOG_WARN, "%s peer=%s: over %llu this hour; further ones are refused", alarm,
                member, (unsigned long long) max);
    /*  Monotonic, as refusal_flood's. */
    *flood_until = kt_mono_us () / 1000 + HOUR_BUDGET_MS;
    return false;
}

bool
uitvoerder_budget_or_refuse (node_t *self, member_link_t *link, const char *member,
                             const envelope_opened_t *opened, hour_budget_t *b, uint64_t max,
                             uint64_t *flood_until, const char *alarm, const char *why_fmt, ...)
{
    /*  The log first: a retry must not pay twice. */
    uint64_t logged;
    kt_reason_t lwhy;
    if (provlog_received_index (uitvoerder_of (self)->log, opened->id, &logged, &lwhy) == 1)
        return true;
    if (uitvoerder_budget_take (member, b, max, flood_until, alarm))
        return true;
    char why[160];
    va_list ap;
    va_start (ap, why_fmt);
    vsnprintf (why, sizeof why, why_fmt, ap);
    va_end (ap);
    uitvoerder_refuse_by_rule (self, link, member, opened, why);
    return false;
}

void
uitvoerder_refusal_roll (node_t *self, member_link_t *link, const char *member, uint64_t now_ms,
                         bool force)
{
    if (!force && !hour_budget_over (&link->refusals, now_ms))
        return;
    if (link->refusals.counted > 0) {
        /*  One entry for the hour's excess: who, and how many. */
        char what[160];
        snprintf (what, sizeof what,
                  "refusal budget: %llu further refusals in the hour were counted, not logged "
                  "one by one",
                  (unsigned long long) link->refusals.counted);
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        e.event = KETEN__LOG_EVENT__MESSAGE_REFUSED;
        e.time_ms = now_ms;
        e.node = (char *) member;
        e.what = what;
        kt_reason_t reason;
        if (provlog_append_one (uitvoerder_of (self)->log, NULL, &e, NULL, &reason) != 0)
            kt_log (KT_LOG_ERROR, "log append_failed event=refused reason=\"%s\"", reason.text);
        kt_log (KT_LOG_WARN, "refusals counted peer=%s count=%llu", member,
                (unsigned long long) link->refusals.counted);
    }
    hour_budget_start (&link->refusals, now_ms);
}

bool
uitvoerder_refusal_logged (node_t *self, member_link_t *link, const char *member)
{
    uint64_t now = kt_now_ms ();
    uitvoerder_refusal_roll (self, link, member, now, false);
    hour_budget_use_t use = hour_budget_take (&link->refusals, UITVOERDER_REFUSALS_LOGGED);
    if (use == HOUR_BUDGET_TAKEN)
        return true;
    if (use == HOUR_BUDGET_FIRST_COUNTED)
        kt_log (KT_LOG_WARN,
                "refusal_flood peer=%s: over %d refusals this hour; further ones are answered "
                "and counted, not logged one by one",
                member, UITVOERDER_REFUSALS_LOGGED);
    /*  Monotonic: a wall clock stepped back would make it last longer. */
    link->refusal_flood_until_ms = kt_mono_us () / 1000 + HOUR_BUDGET_MS;
    return false;
}

/*  Wpg besluit, enforced at the receiving side too (a sender's hold is not
 *  to be trusted): police data only from the police, and art. 9/10 data
 *  only with its release recorded. */
static int
s_check_wpg (const Keten__Signal *s, const roster_member_t *sender, kt_reason_t *reason)
{
    if ((s->wpg_basis != KETEN__WPG_BASIS__WPG_NONE && strcmp (sender->kind, "politie") != 0) ||
        items_wpg_from (sender, s->legal_basis, s->items, s->n_items, reason) != 0)
        return kt_fail (reason, "a Wpg basis is only for police data; %s is not the police",
                        sender->id);
    if (s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10 &&
        !(s->released_ms && s->opsporingsbelang_checked && s->om_consulted))
        return kt_fail (reason, "Wpg machtigingsbesluit: art. 9/10 Wpg data only after the "
                                "investigation-interest check and OM consultation are recorded");
    /*  art. 2c: the OM and the bevoegd functionaris (art. 2:10 Bpg) were
     *  consulted, and a person released it (the intake checked the
     *  names' form). */
    if (s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10 &&
        !(*s->om_officer && *s->bevoegd_functionaris && *s->released_by))
        return kt_fail (reason, "Wpg machtigingsbesluit art. 2c: art. 9/10 Wpg data only with "
                                "the OM officer and the bevoegd functionaris consulted and the "
                                "releasing user recorded");
    /*  art. 7.2a: only the police forwards through its representative. */
    if ((*s->representative || *s->confirmed_by) && strcmp (sender->kind, "politie") != 0)
        return kt_fail (reason,
                        "art. 7.2a: the police representative is the police's; %s is "
                        "not the police",
                        sender->id);
    return 0;
}

typedef enum { ARRIVAL_STORED, ARRIVAL_REUSED, ARRIVAL_DELETED } arrival_fate_t;

/*  A signal of this drain that passed every check, waiting for the group
 *  commit; it owns its opened envelope and its decoded body. */
struct _arrival_t {
    weegploeg_signal_t w;
    Keten__Signal *signal;
    member_link_t *link;
    const char *member;
    envelope_opened_t opened;
    uint8_t *entry; /* its MESSAGE_RECEIVED entry, packed, for the signal row */
};

int
uitvoerder_signals_log (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    bool after_failure = provlog_owed (u->log); /* else at start */
    _Static_assert(NODE_DRAIN_ENVELOPES <= LOGOWED_MAX, "a drain's signals must fit a catch-up");
    int n = logowed_catch_up (u->log, u->weegploeg, LOGOWED_MAX, reason);
    if (n == -2 && !after_failure) {
        /*  At start: no crash's remainder, the log was restored or
         *  replaced behind the weegploeg file.  It goes on as it is; the
         *  witnesses see the log go back and raise their alarm. */
        kt_log (KT_LOG_ERROR, "log behind_weegploeg reason=\"%s\"", reason->text);
        return 0;
    }
    if (n == -2)
        /*  After a failed log commit the drain's signals must get their
         *  entries, and the rows beyond the log's end are more than
         *  theirs: the log is held (nothing else appended, no receipt for
         *  them) until an operator restores a consistent pair of files. */
        provlog_owe (u->log, true);
    if (n < 0) {
        kt_log (KT_LOG_ERROR, "log owed_failed reason=\"%s\"", reason->text);
        return -1;
    }
    if (n > 0)
        kt_log (KT_LOG_WARN,
                "log owed_logged entries=%d: signals stored without their log entries (a crash "
                "or a failed log commit) have them now, at the indices they hold",
                n);
    return 0;
}

int
uitvoerder_log_caught_up (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t why = {""};
    if (!provlog_owed (u->log) ||
        (uitvoerder_signals_log (self, &why) == 0 && !provlog_owed (u->log)))
        return 0;
    return kt_fail (reason,
                    "the provenance log owes the entries of signals stored without them%s%s%s; no "
                    "signal is changed or deleted until they are written",
                    *why.text ? " (" : "", why.text, *why.text ? ")" : "");
}

static void
s_store_arrivals (node_t *self, arrival_t *a, size_t n)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (n == 0)
        return;
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    /*  What becomes of each: stored, refused (a reused id), or answered
     *  without being stored (deleted since its arrival was logged). */
    arrival_fate_t *fate = calloc (n, sizeof *fate);
    weegploeg_signal_t *w = malloc (n * sizeof *w);
    size_t n_w = 0;
    if (!fate || !w) {
        snprintf (reason.text, sizeof reason.text, "out of memory");
        goto fail;
    }
    /*  1. the provenance log: what arrived, from whom, with which
     *  commitment - no personal data.  2. the weegploeg file.  The two
     *  commits run at once (the log's on a thread of its own), so a
     *  signal waits for one fdatasync here, not two in a row; the
     *  receipts wait for both (docs/ARCHITECTURE.md, Crash reasoning 2).
     *  A crash (or a failing weegploeg file) that keeps the log's commit
     *  and loses the signals leaves a logged arrival without its signal:
     *  the sender's retry is stored under that same log entry, not logged
     *  again.  One that keeps the signals and loses the log's commit
     *  leaves signals owing their entries: each row holds its entry, and
     *  it is appended at the index the row holds before anything else is
     *  logged (logowed.h).  A different message under an id logged before
     *  is refused on its own; the rest of the batch goes on. */
    if (provlog_owed (u->log) && uitvoerder_signals_log (self, &reason) != 0)
        goto fail;
    if (provlog_begin (u->log, &reason) != 0)
        goto fail;
    uint64_t log_end = provlog_size (u->log); /* indices from here are this batch's */
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
        /*  Who at the police gave it: the OS user who released an art.
         *  9/10 Wpg signal (Wpg machtigingsbesluit art. 2), or the
         *  representative-group member who confirmed a spool signal (art.
         *  7.2a).  Never the officers' names: they stay in the sealed
         *  body. */
        const Keten__Signal *sig = a[i].signal;
        if (sig->released_ms && *sig->released_by) {
            e.os_user = sig->released_by;
            e.what = *sig->confirmed_by ? "wpg-release,representative-confirmed" : "wpg-release";
        } else if (*sig->confirmed_by) {
            e.os_user = sig->confirmed_by;
            e.what = "representative-confirmed";
        } else if (*sig->representative)
            e.what = "representative-auto";
        size_t len = keten__log_entry__get_packed_size (&e);
        free (a[i].entry);
        if (!(a[i].entry = malloc (len ? len : 1))) {
            provlog_rollback (u->log);
            snprintf (reason.text, sizeof reason.text, "out of memory");
            goto fail;
        }
        keten__log_entry__pack (&e, a[i].entry);
        a[i].w.log_entry = a[i].entry;
        a[i].w.log_entry_len = len;
        int rc = provlog_append_received (u->log, &e, &a[i].w.log_index, &reason);
        if (rc < 0) {
            provlog_rollback (u->log);
            goto fail;
        }
        if (rc == 0 && a[i].w.log_index < log_end) {
            /*  Logged before (a retry): the row's entry is that one, not
             *  owed; none is kept with it. */
            a[i].w.log_entry = NULL;
            a[i].w.log_entry_len = 0;
            /*  And deleted since (its sender withdrew it, a correction, a
             *  destruction: the id is in the trail): a retry whose receipt
             *  was lost is answered with that entry, never stored again. */
            int gone = weegploeg_signal_deleted (u->weegploeg, a[i].opened.id, &reason);
            if (gone < 0) {
                provlog_rollback (u->log);
                goto fail;
            }
            if (gone)
                fate[i] = ARRIVAL_DELETED;
        }
        if (rc > 0) {
            /*  Refused on the record and answered once the drain's
             *  entries have committed (s_refuse_reused): not in this
             *  transaction, whose entries are the signals' own
             *  (logowed.h). */
            fate[i] = ARRIVAL_REUSED;
            char hex[KT_ID_HEX];
            if (node_peer_line (self, "signal refused", a[i].member))
                kt_log (KT_LOG_WARN, "signal refused id=%s peer=%s reason=\"id reused\"",
                        kt_hex (hex, a[i].opened.id, KT_ID_LEN), a[i].member);
        }
    }
    if (provlog_commit_start (u->log, &reason) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (fate[i] == ARRIVAL_STORED) {
            a[i].w.received_ms = now;
            w[n_w++] = a[i].w;
        }
    int rc = weegploeg_store_signals (u->weegploeg, w, n_w, &reason);
    kt_reason_t log_why;
    int log_rc = provlog_commit_wait (u->log, &log_why);
    if (rc != 0)
        goto fail; /* logged or not, no signal stored: the senders retry */
    if (log_rc != 0) {
        /*  Stored, but not logged: owed, and logged before anything else. */
        kt_log (KT_LOG_ERROR, "log commit_failed count=%zu reason=\"%s\"", n_w, log_why.text);
        provlog_owe (u->log, true);
        if (uitvoerder_signals_log (self, &reason) != 0)
            goto fail;
    }
    for (size_t i = 0, k = 0; i < n; i++) {
        if (fate[i] == ARRIVAL_REUSED) {
            s_refuse_reused (self, a[i].link, a[i].member, &a[i].opened);
            continue;
        }
        if (fate[i] == ARRIVAL_DELETED) {
            char hex[KT_ID_HEX];
            kt_log (KT_LOG_INFO,
                    "signal repeated id=%s sender=%s log_index=%llu: deleted since, answered and "
                    "not stored again",
                    kt_hex (hex, a[i].opened.id, KT_ID_LEN), a[i].member,
                    (unsigned long long) a[i].w.log_index);
            uitvoerder_receipt (self, a[i].link, a[i].member, a[i].opened.id, true,
                                a[i].w.log_index, NULL);
            continue;
        }
        memcpy (a[i].w.case_ref, w[k++].case_ref, sizeof a[i].w.case_ref);
        char hex[KT_ID_HEX];
        kt_log (KT_LOG_DEBUG, "signal stored id=%s sender=%s case_ref=%s log_index=%llu",
                kt_hex (hex, a[i].opened.id, KT_ID_LEN), a[i].member, a[i].w.case_ref,
                (unsigned long long) a[i].w.log_index);
        uitvoerder_receipt_logged (self, a[i].link, a[i].member, a[i].opened.id, a[i].w.log_index,
                                   a[i].w.log_entry, a[i].w.log_entry_len);
    }
    free (fate);
    free (w);
    return;
fail:
    /*  No receipt: every sender retries, nothing is half-stored. */
    kt_log (KT_LOG_ERROR, "signal store_failed count=%zu reason=\"%s\"", n, reason.text);
    free (fate);
    free (w);
}

/* ---- receiving (the dispatcher calls these) ----------------------------- */

/*  The drain's table of arrivals is made once and kept: a drain of one
 *  message (one signal in flight) must not pay for zeroing room for
 *  NODE_DRAIN_ENVELOPES of them (issue #17: a megabyte calloc'd per message).
 *  Each entry is cleared when it is taken. */
static int
s_drain_begin (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->arrivals)
        u->arrivals = malloc (NODE_DRAIN_ENVELOPES * sizeof *u->arrivals);
    if (!u->batch_ids)
        u->batch_ids = zhashx_new ();
    u->n_arrivals = 0;
    if (!u->arrivals || !u->batch_ids)
        return -1;
    /*  The checkpoint the drain's receipts carry is written to node.db
     *  after they have left (s_drain_end). */
    logproof_defer (u->proof);
    return 0;
}

/*  The drain's signals in one group commit, then every answer at once. */
static void
s_drain_end (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    s_store_arrivals (self, u->arrivals, u->n_arrivals);
    node_send_batch (self);
    /*  The receipts' new checkpoint into its table once they have left. */
    kt_reason_t reason;
    if (logproof_keep (u->proof, &reason) != 0)
        kt_log (KT_LOG_ERROR, "checkpoint keep_failed reason=\"%s\"", reason.text);
    for (size_t i = 0; i < u->n_arrivals; i++) {
        node_body_free (self, u->arrivals[i].signal ? &u->arrivals[i].signal->base : NULL);
        envelope_opened_clear (&u->arrivals[i].opened);
        free (u->arrivals[i].entry);
        u->arrivals[i].entry = NULL;
    }
    u->n_arrivals = 0;
    zhashx_purge (u->batch_ids);
    /*  New subjects' keys topped up between drains, not only every 2 s
     *  (issue #17): a burst of new subjects emptied the pool at once, and
     *  each drain then made its keys in a keystore.db commit of its own,
     *  waited for on the loop before the weegploeg file's.  Below half
     *  full only; otherwise nothing.  After a failure (a full disk) not
     *  again per drain: the push timer tries every 2 s. */
    uint64_t now = kt_now_ms ();
    if (now >= u->refill_after_ms && keystore_pool_refill (self->keystore, &reason) != 0) {
        kt_log (KT_LOG_WARN, "keystore pool_refill_failed reason=\"%s\"", reason.text);
        u->refill_after_ms = now + CHECKPOINT_PUSH_MS;
    }
}

/*  The member whose transport key the message came with; its link learns
 *  the connection's routing id. */
static const keyring_peer_t *
s_peer (node_t *self, const transport_msg_t *msg, void **link_p)
{
    const keyring_peer_t *peer =
        msg->have_peer_key ? keyring_peer_by_transport (self->keyring, msg->peer_key, kt_now_ms ())
                           : NULL;
    /*  A peered federation's uitvoerder is no member: its messages go to
     *  the peer link, which takes them at once. */
    if (!peer && uitvoerder_peer_on_router (self, msg))
        return NULL;
    if (!peer || !roster_member_active (peer->member, kt_now_ms ())) {
        /*  zauth admitted a key that is no longer allowed (revoked
         *  after the handshake): our own check on every message. */
        if (node_peer_line (self, "transport unknown_peer", NULL))
            kt_log (KT_LOG_WARN, "transport unknown_peer dropped");
        return NULL;
    }
    member_link_t *link = s_link (self, peer);
    /*  Another connection (the member restarted, perhaps as an older
     *  release): a RECEIPT each until its heartbeat says otherwise. */
    if (link->route.len != msg->rid_len || memcmp (link->route.id, msg->rid, msg->rid_len) != 0) {
        link->receipts_max = 0;
        link->receipts_shared = false;
        link->bundle_max = 0;
    }
    memcpy (link->route.id, msg->rid, msg->rid_len);
    link->route.len = msg->rid_len;
    uint64_t now = kt_now_ms ();
    /*  Back after a silence: what waits for it in the relay is offered
     *  now, and only from now on counts as waiting for an online member
     *  (the relay_backlog alarm). */
    if (!uitvoerder_member_online (self, link, now))
        link->online_since_ms = now;
    link->last_seen_ms = now;
    *link_p = link;
    return peer;
}

/*  The member connected at route, if its heartbeat said it reads
 *  bundles: the largest it takes. */
static size_t
s_bundle_max (node_t *self, const node_route_t *route)
{
    uitvoerder_t *u = uitvoerder_of (self);
    size_t n = keyring_roster (self->keyring)->member_count;
    for (size_t i = 0; route && i < n; i++)
        if (u->links[i].route.len == route->len &&
            memcmp (u->links[i].route.id, route->id, route->len) == 0)
            return u->links[i].bundle_max;
    return 0; /* a peered federation's uitvoerder, or gone */
}

static void
s_open_opts (node_t *self, envelope_open_opts_t *opts)
{
    opts->seen = s_seen;
    opts->seen_arg = self;
}

/*  A member's heartbeat the acceptance window refused still says what
 *  its clock read (signed): its clock_skew alarm shows it, as an
 *  accepted one's would (s_on_heartbeat).  It is answered with our clock
 *  (a reply without the echo of its body, which was not opened), so the
 *  member measures the difference too and its own status names it
 *  (node_clock.c) - its safety net must not destroy on that clock. */
static void
s_refused_skew (node_t *self, node_message_t *m)
{
    member_link_t *link = m->link;
    const Keten__Header *h = m->opened.header;
    if (!link || !m->opened.window_refused || h->type != KETEN__MESSAGE_TYPE__HEARTBEAT)
        return;
    uint64_t now = kt_now_ms ();
    if (h->created_ms < (uint64_t) INT64_MAX / 2 && now < (uint64_t) INT64_MAX / 2)
        link->clock_skew_ms = (int64_t) h->created_ms - (int64_t) now;
    else
        link->clock_skew_ms = INT64_MAX;
    Keten__Heartbeat reply = KETEN__HEARTBEAT__INIT;
    reply.software_version = (char *) KETEN_VERSION;
    reply.uptime_s = node_uptime_s (self);
    reply.roster_version = keyring_roster (self->keyring)->version;
    reply.sent_ms = now;
    reply.reply = true;
    reply.bundle_max = self->config.max_message;
    reply.duplicate_instance =
        uitvoerder_instance_duplicate (&link->instances, kt_mono_us () / 1000);
    kt_reason_t reason;
    if (node_queue (self, &link->route, KETEN__MESSAGE_TYPE__HEARTBEAT, m->peer->member->id,
                    &reply.base, &reason) != 0)
        kt_log (KT_LOG_ERROR, "heartbeat seal_failed reason=\"%s\"", reason.text);
}

static void
s_refused (node_t *self, node_message_t *m, const char *why)
{
    const char *peer = m->peer->member->id;
    if (node_peer_line (self, "message refused", peer))
        kt_log (KT_LOG_WARN, "message refused id=%s peer=%s reason=\"%s\"%s", m->hex, peer, why,
                m->opened.transient ? " retry=yes" : "");
    s_refused_skew (self, m);
    /*  A passing condition gets no final refusal: the sender's outbox
     *  retries and the message gets in once it has passed. */
    if (m->opened.have_id && !m->opened.transient) {
        if (uitvoerder_refusal_logged (self, m->link, peer))
            s_log_refusal (self, peer, &m->opened, why);
        uitvoerder_receipt (self, m->link, peer, m->opened.id, false, 0, why);
    }
}

static void
s_duplicate (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *peer = m->peer->member->id;
    uint64_t index;
    /*  Already stored: answer again (the first receipt was lost), but only
     *  to its own sender and for the same body - an id is no secret, and a
     *  receipt must prove what was stored.  A duplicate of a message in
     *  this drain is not stored yet and gets no answer of its own: the
     *  original's receipt answers the same id. */
    if (weegploeg_has_signal (u->weegploeg, m->opened.id, peer,
                              m->opened.header->body_commitment.data, &index)) {
        /*  Only when the log holds its arrival at that index: not while
         *  its entry is owed (the sender asks again), nor when a log
         *  restored from an older copy has another entry there. */
        uint64_t logged = 0;
        kt_reason_t why;
        if (provlog_received_index (u->log, m->opened.id, &logged, &why) == 1 && logged == index)
            uitvoerder_receipt (self, m->link, peer, m->opened.id, true, index, NULL);
        else if (node_peer_line (self, "receipt withheld", peer))
            kt_log (KT_LOG_WARN, "receipt withheld id=%s peer=%s reason=\"not logged at %llu\"",
                    m->hex, peer, (unsigned long long) index);
    } else if (weegploeg_has_signal (u->weegploeg, m->opened.id, NULL, NULL, NULL)) {
        if (node_peer_line (self, "message refused", peer))
            kt_log (KT_LOG_WARN, "message refused id=%s peer=%s reason=\"id reused\"", m->hex,
                    peer);
        s_refuse_reused (self, m->link, peer, &m->opened);
    }
}

/*  A body refused by rule is on record - who sent what, and which rule
 *  refused it - and answered with a refusal receipt; a receipt, heartbeat
 *  or checkpoint is not answered, only noted. */
static void
s_refuse (node_t *self, node_message_t *m, const char *what, const char *why)
{
    const char *peer = m->peer->member->id;
    if (!what) {
        if (node_peer_line (self, "message unhandled", peer))
            kt_log (KT_LOG_WARN, "message unhandled id=%s type=%s", m->hex,
                    policy_type_name (m->opened.header->type));
        uitvoerder_receipt (self, m->link, peer, m->opened.id, false, 0, why);
        return;
    }
    char event[RATELOG_PEER_EVENT];
    snprintf (event, sizeof event, "%s refused", what);
    if (node_peer_line (self, event, peer))
        kt_log (KT_LOG_WARN, "%s refused id=%s peer=%s reason=\"%s\"", what, m->hex, peer, why);
    if (!m->receipted)
        return;
    if (uitvoerder_refusal_logged (self, m->link, peer))
        s_log_refusal (self, peer, &m->opened, why);
    uitvoerder_receipt (self, m->link, peer, m->opened.id, false, 0, why);
}

/*  A signal that passed intake's checks (the dispatcher ran them) and the
 *  Wpg rules joins the drain's group commit. */
static void
s_on_signal (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_member_t *sender = m->peer->member;
    kt_reason_t reason;
    if (s_check_wpg ((const Keten__Signal *) m->body, sender, &reason) != 0) {
        s_refuse (self, m, "signal", reason.text);
        return;
    }
    assert (u->n_arrivals < NODE_DRAIN_ENVELOPES); /* one arrival per envelope of a drain */
    arrival_t *a = &u->arrivals[u->n_arrivals++];
    memset (a, 0, sizeof *a);
    a->opened = m->opened;
    memset (&m->opened, 0, sizeof m->opened);
    a->signal = (Keten__Signal *) m->body;
    m->body = NULL;
    const Keten__Header *h = a->opened.header;
    a->link = m->link;
    a->member = sender->id;
    a->w.message_id = a->opened.id;
    a->w.sender = sender->id;
    a->w.created_ms = h->created_ms;
    a->w.body_commitment = h->body_commitment.data;
    a->w.signal = a->signal;
    uitvoerder_figure_gemeente (self, a->signal->subject, a->w.gemeente);
    zhashx_insert (u->batch_ids, m->hex, (void *) 1);
}

static void
s_federation_status (node_t *self, json_t *result)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    uint64_t mono = kt_mono_us () / 1000; /* duplicate_instance */
    json_t *members = json_array ();
    size_t n_members = 0, n_online = 0, n_alarms = 0;
    bool relay_unreadable = false, refused_unreadable = false;
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        if (m->role == ROLE_UITVOERDER)
            continue;
        const member_link_t *l = &u->links[i];
        /*  A member that has left (revoked, or past the leaves-at of its
         *  opzegging: art. 18.2) stays in the roster as the record of how
         *  and when it left, and in this list as "left": it is no longer
         *  expected online, so it raises no alarm and is not counted in
         *  the federation's summary (the metrics leave it out). */
        bool left = !roster_member_active (m, now);
        bool online = !left && uitvoerder_member_online (self, l, now);
        /*  Our own copies still waiting for its receipt: the other half
         *  of the member's backlog (its heartbeat tells its own). */
        int64_t relay_pending = 0;
        uint64_t relay_oldest = 0, relay_oldest_ms = 0;
        kt_reason_t rwhy;
        if (relay_waiting (u->relay, m->id, &relay_pending, &relay_oldest, &rwhy) != 0) {
            /*  Not read as "nothing waits": status_incomplete says so. */
            kt_log (KT_LOG_ERROR, "status relay_unreadable member=%s reason=\"%s\"", m->id,
                    rwhy.text);
            if (!relay_unreadable)
                node_status_unreadable (result, "relay", rwhy.text);
            relay_unreadable = true;
        } else if (relay_oldest && now > relay_oldest)
            relay_oldest_ms = now - relay_oldest;
        /*  What the member said in its last heartbeat stays shown while it
         *  is offline: its backlog then is the best guess there is. */
        bool heard = l->last_seen_ms != 0;
        bool stale = !left && heard && l->roster_version < roster->version;
        json_t *alarms;
        if (left)
            alarms = json_array ();
        else {
            metrics_alarm_input_t in = {.uitvoerder_view = true,
                                        .online = online,
                                        .heard = heard,
                                        .roster_stale = stale,
                                        .clock_skew_ms = l->clock_skew_ms,
                                        .outbox_depth = l->outbox_depth,
                                        .oldest_undelivered_ms = l->oldest_undelivered_ms,
                                        .log_alarm = l->log_alarm};
            /*  Its last answer to a roster push was a refusal: kept in the
             *  relay, so it outlasts a restart and ends when the member
             *  accepts a later push (docs/ROSTER.md, "A replayed roster"). */
            int refused = uitvoerder_roster_refused (self, m->id, &rwhy);
            if (refused < 0) {
                /*  Not known: status_incomplete says so, not "no alarm". */
                kt_log (KT_LOG_ERROR, "status roster_refused_unreadable member=%s reason=\"%s\"",
                        m->id, rwhy.text);
                if (!refused_unreadable)
                    node_status_unreadable (result, "roster_refused", rwhy.text);
                refused_unreadable = true;
            }
            in.roster_refused = refused == 1;
            in.refusal_flood = l->refusal_flood_until_ms > mono;
            in.incident_flood = l->incident_flood_until_ms > mono;
            in.access_notice_flood = l->notice_flood_until_ms > mono;
            in.storage_failing = l->storage_failing;
            in.log_witness_unreadable = l->log_witness_unreadable;
            in.duplicate_instance = uitvoerder_instance_duplicate (&l->instances, mono);
            in.relay_oldest_ms = relay_oldest_ms;
            in.online_for_ms = online && now > l->online_since_ms ? now - l->online_since_ms : 0;
            alarms = metrics_alarms (&in);
            n_members++;
            n_online += online;
            n_alarms += json_array_size (alarms);
        }
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
        json_object_set_new (row, "key_age_s", json_integer ((json_int_t) l->key_age_s));
        json_object_set_new (row, "clock_skew_ms", json_integer ((json_int_t) l->clock_skew_ms));
        json_object_set_new (row, "relay_pending", json_integer ((json_int_t) relay_pending));
        json_object_set_new (row, "relay_oldest_ms", json_integer ((json_int_t) relay_oldest_ms));
        json_object_set_new (row, "storage_failing", json_boolean (l->storage_failing));
        json_object_set_new (row, "log_witness_unreadable",
                             json_boolean (l->log_witness_unreadable));
        /*  Two copies of its node seen alive at once, and when last
         *  (duplicate_instance, held an hour after that; none for a
         *  member that has left, as its alarms). */
        json_object_set_new (
            row, "duplicate_instance",
            json_boolean (!left && uitvoerder_instance_duplicate (&l->instances, mono)));
        json_object_set_new (row, "duplicate_last_ms",
                             json_integer ((json_int_t) l->instances.duplicate_last_ms));
        json_object_set_new (row, "heartbeat_ms", json_integer ((json_int_t) l->heartbeat_ms));
        json_object_set_new (row, "alarms", alarms);
        json_object_set_new (row, "left", json_boolean (left));
        if (*m->leaves_at)
            json_object_set_new (row, "leaves_at", json_string (m->leaves_at));
        /*  Messages that expired undelivered (relay_expire). */
        uint64_t expired_ms = 0;
        kt_reason_t why;
        int64_t recent = 0;
        uint64_t since =
            now > UITVOERDER_EXPIRED_RECENT_MS ? now - UITVOERDER_EXPIRED_RECENT_MS : 0;
        int64_t expired = relay_expired (u->relay, m->id, since, &expired_ms, &recent, &why);
        if (expired < 0) {
            kt_log (KT_LOG_ERROR, "status relay_unreadable member=%s reason=\"%s\"", m->id,
                    why.text);
            if (!relay_unreadable)
                node_status_unreadable (result, "relay", why.text);
            relay_unreadable = true;
        }
        json_object_set_new (row, "expired_messages", json_integer (expired > 0 ? expired : 0));
        /*  Those of the last week: the expired_messages check
         *  (common/statuscheck.c) warns of them, not of old ones forever. */
        json_object_set_new (row, "expired_recent",
                             json_integer (expired > 0 && !left ? recent : 0));
        json_object_set_new (row, "expired_last_ms", json_integer ((json_int_t) expired_ms));
        json_array_append_new (members, row);
    }
    json_object_set_new (result, "members", members);
    json_object_set_new (result, "federation",
                         json_pack ("{s:I, s:I, s:I}", "members", (json_int_t) n_members, "online",
                                    (json_int_t) n_online, "alarms", (json_int_t) n_alarms));
    metrics_status (self, result);
    uint8_t root[32];
    char hex[65];
    provlog_root (u->log, root);
    json_object_set_new (result, "stored",
                         json_pack ("{s:I, s:I}", "signals",
                                    (json_int_t) weegploeg_count_signals (u->weegploeg), "subjects",
                                    (json_int_t) weegploeg_count_subjects (u->weegploeg)));
    /*  The log's verifier key, for those who check it from outside
     *  (docs/PROTOCOL.md, "Checking the log from outside"). */
    char vkey[256] = "";
    if (logproof_vkey (u->proof, vkey, sizeof vkey) != 0)
        *vkey = '\0';
    json_object_set_new (result, "log",
                         json_pack ("{s:I, s:s, s:s}", "size", (json_int_t) provlog_size (u->log),
                                    "root", kt_hex (hex, root, 32), "vkey", vkey));
}

/*  The open incidents in r; a register that cannot be read is logged and
 *  named unreadable, and the key is left out rather than shown as "none
 *  open". */
static void
s_incidents (uitvoerder_t *u, json_t *r, uint64_t now_ms)
{
    kt_reason_t reason;
    json_t *incidents = render_incident_summary (u->incident, now_ms, &reason);
    if (!incidents) {
        kt_log (KT_LOG_ERROR, "status incidents_unreadable reason=\"%s\"", reason.text);
        node_status_unreadable (r, "incidents", reason.text);
    } else
        json_object_set_new (r, "incidents", incidents);
}

/*  status: the newest checkpoint (and its witnesses), the federation, and
 *  the incidents still open with their deadline at the AP. */
static void
s_status (node_t *self, json_t *r)
{
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t reason;
    json_t *newest = render_checkpoints (u->proof, 1, &reason);
    if (!newest) {
        kt_log (KT_LOG_ERROR, "status checkpoint_unreadable reason=\"%s\"", reason.text);
        node_status_unreadable (r, "checkpoint", reason.text);
    }
    json_object_set_new (r, "checkpoint",
                         json_array_size (newest) ? json_incref (json_array_get (newest, 0))
                                                  : json_null ());
    json_decref (newest);
    s_federation_status (self, r);
    /*  art. 15.2g, AVG art. 33: open incidents and the AP deadline. */
    s_incidents (u, r, kt_now_ms ());
    /*  art. 13: subjects near a 13.3 destruction, steps due, notices not
     *  confirmed within a day. */
    if (u->lifecycle)
        uitvoerder_retention_role_status (self, r);
    /*  art. 12.3: open requests and their four weeks. */
    uitvoerder_rights_status (self, r);
    /*  art. 11.4-11.5: open tasks, deferrals due for review; art. 8.3,
     *  10.3: records due for their accuracy review. */
    uitvoerder_infoplicht_status (self, r);
    /*  art. 12.6: notices not confirmed; decisions past their 4 weeks. */
    if (u->correction)
        uitvoerder_correction_role_status (self, r);
    /*  docs/FEDERATIONS.md: each peered federation, its link and the
     *  witness of its log; the transfers both ways. */
    if (u->transfer) {
        json_object_set_new (r, "peerings", uitvoerder_peer_status (self, r));
        json_t *transfers = uitvoerder_transfer_counts (self, &reason);
        if (transfers)
            json_object_set_new (r, "transfers", transfers);
        else {
            /*  Left out, not shown as none pending. */
            kt_log (KT_LOG_ERROR, "status transfers_unreadable reason=\"%s\"", reason.text);
            node_status_unreadable (r, "transfers", reason.text);
        }
    }
}

static json_t *
s_metrics (node_t *self, uint64_t now_ms)
{
    json_t *r = json_object ();
    s_federation_status (self, r);
    s_incidents (uitvoerder_of (self), r, now_ms);
    return r;
}

/* ---- local API ---------------------------------------------------------- */

static void
s_signal_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    node_reply_signals (
        self, caller,
        uitvoerder_json_signals (uitvoerder_of (self)->weegploeg, node_limit (args), &reason),
        &reason);
}

static void
s_weegploeg_decisions (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    render_reply (self->api, caller, NULL, uitvoerder_decisions (self, node_limit (args), &reason),
                  &reason);
}

/*  The meetings of one kind, newest first. */
static void
s_meetings (node_t *self, const api_caller_t *caller, json_t *args, meeting_kind_t kind)
{
    kt_reason_t reason;
    render_reply (
        self->api, caller, "meetings",
        uitvoerder_json_meetings (uitvoerder_of (self)->meeting, kind, node_limit (args), &reason),
        &reason);
}

static void
s_weegploeg_meetings (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    /*  With the subjects due on the next agenda (art. 7.4 sub 1). */
    kt_reason_t reason;
    json_t *meetings = uitvoerder_json_meetings (uitvoerder_of (self)->meeting, MEETING_WEEGPLOEG,
                                                 node_limit (args), &reason);
    json_t *due = meetings ? uitvoerder_json_due (self, &reason) : NULL;
    if (!due) {
        json_decref (meetings);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:o, s:o}", "meetings", meetings, "due", due));
}

static void
s_casus_meetings (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_meetings (self, caller, args, MEETING_CASUSOVERLEG);
}

static void
s_log_path (node_t *self, char *path, size_t len)
{
    snprintf (path, len, "%s/log.db", self->config.state_dir);
}

static void
s_log_trail (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    const char *ref = args ? json_string_value (json_object_get (args, "case_ref")) : NULL;
    char path[PATH_MAX + 32];
    s_log_path (self, path, sizeof path);
    if (!ref || strlen (ref) > 32) {
        apiserver_reply_error (self->api, caller, "log.trail needs case_ref");
        return;
    }
    /*  The entries are read by the client, from the file. */
    kt_reason_t reason;
    json_t *ids = render_case_messages (uitvoerder_of (self)->weegploeg, ref, &reason);
    render_reply (
        self->api, caller, NULL,
        ids ? json_pack ("{s:s, s:s, s:o}", "log_path", path, "case_ref", ref, "signal_ids", ids)
            : NULL,
        &reason);
}

static void
s_log_checkpoints (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    render_reply (self->api, caller, "checkpoints",
                  render_checkpoints (uitvoerder_of (self)->proof, node_limit (args), &reason),
                  &reason);
}

/*  The uitvoerder's commands.  The rows without a handler are a partner's
 *  commands: the refusal says where the caller should go instead. */
static const node_command_t s_commands[] = {
    {"signal.list", NODE_RIGHT_READ, s_signal_list, NULL, "limit:l"},
    {"signal.submit", NODE_RIGHT_NONE, NULL,
     "the uitvoerder does not submit signals; a kernpartij does (art. 7.1)", NULL},
    {"signal.release", NODE_RIGHT_NONE, NULL, "only the node that holds a signal releases it",
     NULL},
    {"signal.confirm", NODE_RIGHT_NONE, NULL,
     "the police representative confirms spool signals at the police node (art. 7.2a)", NULL},
    {"weegploeg.agenda", NODE_RIGHT_WEEGPLOEG, uitvoerder_agenda, NULL,
     "cancel:b case_refs:* duration_min:* location:* meeting_id:s starts_at:*"},
    {"weegploeg.subject", NODE_RIGHT_READ, uitvoerder_subject_show, NULL, "case_ref:s"},
    {"weegploeg.matches", NODE_RIGHT_READ, uitvoerder_matches, NULL, "all:b"},
    {"weegploeg.match", NODE_RIGHT_WEEGPLOEG, uitvoerder_match, NULL, "keep:s other:s same:b"},
    {"weegploeg.decide", NODE_RIGHT_WEEGPLOEG, uitvoerder_decide, NULL,
     "analysis:s asked:s case_ref:s criteria:* meeting_id:s outcome:s parties:* question:s"},
    {"weegploeg.decisions", NODE_RIGHT_READ, s_weegploeg_decisions, NULL, "limit:l"},
    {"weegploeg.meetings", NODE_RIGHT_READ, s_weegploeg_meetings, NULL, "limit:l"},
    {"weegploeg.*", NODE_RIGHT_NONE, NULL, "unknown weegploeg command", NULL},
    {"casusoverleg.agenda", NODE_RIGHT_WEEGPLOEG, uitvoerder_casus_agenda, NULL,
     "cancel:b case_refs:* duration_min:* location:* meeting_id:s starts_at:*"},
    {"casusoverleg.meetings", NODE_RIGHT_READ, s_casus_meetings, NULL, "limit:l"},
    {"casusoverleg.*", NODE_RIGHT_NONE, NULL, "unknown casusoverleg command", NULL},
    {"agenda.list", NODE_RIGHT_NONE, NULL,
     "the uitvoerder sends agendas; `keten weegploeg meetings` and `keten casusoverleg "
     "meetings` list them",
     NULL},
    {"agenda.show", NODE_RIGHT_NONE, NULL,
     "the uitvoerder sends agendas; `keten weegploeg meetings` and `keten casusoverleg "
     "meetings` list them",
     NULL},
    /*  art. 8.4: decisions go to the kernpartijen; the uitvoerder keeps its
     *  own as weegploeg.decisions. */
    {"decision.list", NODE_RIGHT_NONE, NULL,
     "only kernpartij nodes receive weegploeg decisions (art. 8.4)", NULL},
    {"decision.show", NODE_RIGHT_NONE, NULL,
     "only kernpartij nodes receive weegploeg decisions (art. 8.4)", NULL},
    {"decision.answer", NODE_RIGHT_NONE, NULL,
     "the kernpartij asked answers the weegploeg's question at its own node (art. 7.4 sub 1)",
     NULL},
    {"case.list", NODE_RIGHT_READ, uitvoerder_case_list, NULL, ""},
    {"case.plan", NODE_RIGHT_WEEGPLOEG, uitvoerder_case_plan, NULL, "case_ref:s plan:o"},
    /*  art. 4, 9.4, 10.5: the parties decide their casework at their own
     *  node; the uitvoerder records the casusoverleg's advice and
     *  discloses what the supplying parties consented to.  consenting,
     *  items, legal_basis, necessity and data_kinds are let through for
     *  the command to refuse, saying where they come from (art. 10.5). */
    {"case.disclose", NODE_RIGHT_DISCLOSURE, uitvoerder_case_disclose, NULL,
     "case_ref:s item_refs:a to:* consenting:* items:* legal_basis:* necessity:* data_kinds:*"},
    /*  art. 9.2, 10.4: the casusoverleg shares consented items with
     *  participants (a participant shares its own at its node).  wait
     *  (keten case share --wait, as at a member) is taken: what the
     *  uitvoerder records is recorded before it answers. */
    {"case.share", NODE_RIGHT_DISCLOSURE, uitvoerder_case_share, NULL,
     "case_ref:s data_kinds:a item_refs:a necessity:s to:* wait:b"},
    {"case.advise", NODE_RIGHT_WEEGPLOEG, uitvoerder_case_advise, NULL, "advice:s case_ref:s"},
    {"case.close", NODE_RIGHT_NONE, NULL,
     "art. 9.4: each kernpartij involved decides on closure at its own node (keten case close "
     "CASE_REF --decision close|continue there); the uitvoerder records the casusoverleg's "
     "advice with keten case advise",
     NULL},
    {"case.consent", NODE_RIGHT_NONE, NULL,
     "art. 10.5: the party that supplied the items consents at its own node (keten case "
     "consent there); the uitvoerder discloses only what it consented to",
     NULL},
    {"plan.show", NODE_RIGHT_READ, uitvoerder_plan_show, NULL, "case_ref:s version:*"},
    {"case.*", NODE_RIGHT_NONE, NULL, "unknown case command", NULL},
    {"plan.*", NODE_RIGHT_NONE, NULL, "unknown case command", NULL},
    {"log.trail", NODE_RIGHT_READ, s_log_trail, NULL, "case_ref:s"},
    {"log.events", NODE_RIGHT_AUDIT, uitvoerder_log_events, NULL,
     "event:s limit:l order:s since_ms:i until_ms:i"},
    {"log.verify", NODE_RIGHT_NONE, uitvoerder_log_verify, NULL, ""},
    {"log.checkpoints", NODE_RIGHT_NONE, s_log_checkpoints, NULL, "limit:l"},
    /*  The witness of a peered federation's log, after an alarm whose
     *  cause its operators know (docs/FEDERATIONS.md). */
    {"log.reanchor", NODE_RIGHT_ADMIN, uitvoerder_peer_reanchor, NULL,
     "peer:s reason:s root:s size:i"},
    {"log.proof", NODE_RIGHT_AUDIT, uitvoerder_log_proof, NULL, "index:i message_id:*"},
    {"roster.change", NODE_RIGHT_ADMIN, uitvoerder_roster_change, NULL,
     "date:s endpoint:s federation:s id:s kind:s op:s overlap_days:i pub:s wpg_entitled:b"},
    /*  docs/FEDERATIONS.md: a subject moves to a peered federation on the
     *  decision of the kernpartijen whose data it is (art. 4). */
    {"transfer.send", NODE_RIGHT_DISCLOSURE, uitvoerder_transfer, NULL, "basis:s case_ref:s to:*"},
    {"transfer.decide", NODE_RIGHT_NONE, NULL,
     "art. 4: a kernpartij decides a transfer at its own node (keten decision transfer there); "
     "the uitvoerder records it and carries it out with keten transfer",
     NULL},
    {"transfer.list", NODE_RIGHT_READ, uitvoerder_transfer_list, NULL, "case_ref:s limit:l"},
    {"transfer.*", NODE_RIGHT_NONE, NULL, "unknown transfer command", NULL},
    {"roster.clear-alarm", NODE_RIGHT_ADMIN, uitvoerder_roster_clear_alarm, NULL, "member:s"},
    /*  art. 7.3: the region's referentiekader, put in force as the next
     *  roster version. */
    {"referentiekader.adopt", NODE_RIGHT_ADMIN, uitvoerder_referentiekader_adopt, NULL, "text:s"},
    {"referentiekader.show", NODE_RIGHT_READ, uitvoerder_referentiekader_show, NULL, ""},
    {"referentiekader.*", NODE_RIGHT_NONE, NULL, "unknown referentiekader command", NULL},
    /*  wait as for case.share. */
    {"incident.report", NODE_RIGHT_ADMIN, uitvoerder_incident_report, NULL,
     "data_kinds:a found_ms:i subjects:* what:s wait:b"},
    {"report.figures", NODE_RIGHT_AUDIT, uitvoerder_report_figures, NULL, "period:s"},
    {"register.show", NODE_RIGHT_AUDIT, uitvoerder_register_show, NULL, ""},
    {"incident.list", NODE_RIGHT_AUDIT, uitvoerder_incident_list, NULL, "incident_id:s limit:l"},
    {"incident.close", NODE_RIGHT_ADMIN, uitvoerder_incident_close, NULL,
     "ap_not_required:s ap_notified_ms:i handling:s incident_id:s persons_informed:s "
     "persons_informed_note:s"},
    {"incident.update", NODE_RIGHT_ADMIN, uitvoerder_incident_close, NULL,
     "ap_not_required:s ap_notified_ms:i handling:s incident_id:s persons_informed:s "
     "persons_informed_note:s"},
    {"incident.*", NODE_RIGHT_NONE, NULL, "unknown incident command", NULL},
    {"informatieplicht.list", NODE_RIGHT_RIGHTS, uitvoerder_infoplicht_list, NULL, ""},
    {"informatieplicht.consult", NODE_RIGHT_RIGHTS, uitvoerder_infoplicht_step, NULL,
     "by:s how:s on:s party:s task_id:s"},
    {"informatieplicht.inform", NODE_RIGHT_RIGHTS, uitvoerder_infoplicht_step, NULL,
     "by:s how:s on:s party:s task_id:s"},
    {"informatieplicht.defer", NODE_RIGHT_NONE, NULL,
     "a deferral is a kernpartij's decision (art. 4, 11.3-11.4): keten informatieplicht decide "
     "TASK --defer GROUND at its node",
     NULL},
    {"informatieplicht.decide", NODE_RIGHT_NONE, NULL,
     "a kernpartij decides at its own node (art. 4, 11.3); the uitvoerder records it", NULL},
    {"informatieplicht.letter", NODE_RIGHT_RIGHTS, uitvoerder_infoplicht_letter, NULL, "task_id:s"},
    {"informatieplicht.*", NODE_RIGHT_NONE, NULL, "unknown informatieplicht command", NULL},
    {"review.list", NODE_RIGHT_RIGHTS, uitvoerder_review_list, NULL, ""},
    {"review.record", NODE_RIGHT_RIGHTS, uitvoerder_review_record, NULL,
     "case_ref:s note:s result:s"},
    {"review.*", NODE_RIGHT_NONE, NULL, "unknown review command", NULL},
    {"retention.status", NODE_RIGHT_READ, uitvoerder_retention_status, NULL, ""},
    {"retention.run", NODE_RIGHT_ADMIN, uitvoerder_retention_run, NULL, "dry_run:b"},
    /*  art. 13.4, art. 4: the kernpartijen, the joint controllers, decide
     *  to bring archived data back; art. 13.2: only they consult it. */
    {"retention.reopen", NODE_RIGHT_NONE, NULL,
     "a reopen is ordered by a kernpartij at its own node (art. 13.4); the uitvoerder does not "
     "reopen archived data by itself",
     NULL},
    {"retention.read", NODE_RIGHT_NONE, NULL,
     "archived data is read only by the kernpartijen, at their own node (art. 13.2); the "
     "uitvoerder keeps the archive for them",
     NULL},
    {"retention.*", NODE_RIGHT_NONE, NULL, "unknown retention command", NULL},
    /*  art. 12: the person's requests, at the uitvoerder's desk. */
    {"request.open", NODE_RIGHT_RIGHTS, uitvoerder_request_open, NULL,
     "from:s identity_by:s identity_how:s kind:s received:s representation:s"},
    {"request.find", NODE_RIGHT_RIGHTS, uitvoerder_request_find, NULL,
     "birth_date:s bsn:s name:s request_id:s"},
    {"request.link", NODE_RIGHT_RIGHTS, uitvoerder_request_link, NULL, "case_ref:s request_id:s"},
    {"request.list", NODE_RIGHT_RIGHTS, uitvoerder_request_list, NULL, "open:b"},
    {"request.show", NODE_RIGHT_RIGHTS, uitvoerder_request_show, NULL, "request_id:s"},
    {"request.answer", NODE_RIGHT_RIGHTS, uitvoerder_request_answer, NULL,
     "nothing_found:b request_id:s"},
    {"request.refuse", NODE_RIGHT_NONE, NULL,
     "a refusal is a kernpartij's decision (art. 4, 12.4): keten request decide REQUEST --refuse "
     "GROUND at its node; then keten request answer writes the letter",
     NULL},
    {"request.decide", NODE_RIGHT_NONE, NULL,
     "a kernpartij decides at its own node (art. 4, 12.3-12.4); the uitvoerder records it", NULL},
    {"request.grounds", NODE_RIGHT_RIGHTS, uitvoerder_request_grounds, NULL, ""},
    {"request.*", NODE_RIGHT_NONE, NULL, "unknown request command", NULL},
    /*  art. 12.5-12.6: the uitvoerder decides; a signal's own sender
     *  corrects or withdraws it at its own node. */
    {"correction.decide", NODE_RIGHT_RIGHTS, uitvoerder_correction_decide, NULL,
     "action:s case_ref:s item:o item_index:i reason:s request_id:s signal_id:s"},
    {"correction.list", NODE_RIGHT_RIGHTS, uitvoerder_correction_list, NULL, ""},
    {"correction.*", NODE_RIGHT_NONE, NULL, "unknown correction command", NULL},
    {"signal.withdraw", NODE_RIGHT_NONE, NULL,
     "a signal's sender withdraws it at its own node; the uitvoerder decides with keten "
     "correction decide",
     NULL},
    {"signal.correct", NODE_RIGHT_NONE, NULL,
     "a signal's sender corrects it at its own node; the uitvoerder decides with keten "
     "correction decide",
     NULL},
};

/*  What the uitvoerder does with each message type a member may send it
 *  (the policy table says which). */
static const node_handler_t s_handlers[] = {
    {KETEN__MESSAGE_TYPE__SIGNAL, "signal", s_on_signal},
    {KETEN__MESSAGE_TYPE__HEARTBEAT, "heartbeat", s_on_heartbeat},
    {KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION, "contribution", uitvoerder_on_casus},
    {KETEN__MESSAGE_TYPE__PLAN_PROGRESS, "progress", uitvoerder_on_casus},
    {KETEN__MESSAGE_TYPE__CASE_DECISION, "case decision", uitvoerder_on_case_decision},
    {KETEN__MESSAGE_TYPE__ACCESS_NOTICE, "access notice", uitvoerder_on_access},
    {KETEN__MESSAGE_TYPE__CHECKPOINT, "checkpoint", uitvoerder_on_checkpoint},
    {KETEN__MESSAGE_TYPE__INCIDENT, "incident", uitvoerder_on_incident},
    {KETEN__MESSAGE_TYPE__RECEIPT, "receipt", uitvoerder_on_member_receipt},
    {KETEN__MESSAGE_TYPE__RETENTION_ORDER, "retention order", uitvoerder_on_retention_order},
    {KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, "correction", uitvoerder_on_correction},
    {KETEN__MESSAGE_TYPE__RIGHTS_DECISION, "rights decision", uitvoerder_on_rights_decision},
    {KETEN__MESSAGE_TYPE__TRANSFER_DECISION, "transfer decision", uitvoerder_on_transfer_decision},
};

const node_role_t uitvoerder_role = {
    .name = "uitvoerder",
    .serves = 1u << ROLE_UITVOERDER,
    .check = s_check,
    .start = s_start,
    .stop = s_stop,
    .status = s_status,
    .metrics = s_metrics,
    .api_flush = NULL,
    .roster_changed = uitvoerder_roster_changed,
    .access_notice = NULL,
    .log_access = uitvoerder_log_access,
    .commands = s_commands,
    .n_commands = sizeof s_commands / sizeof s_commands[0],
    .handlers = s_handlers,
    .n_handlers = sizeof s_handlers / sizeof s_handlers[0],
    .drain_begin = s_drain_begin,
    .drain_end = s_drain_end,
    .send_held = uitvoerder_receipts_send,
    .bundle_max = s_bundle_max,
    .peer = s_peer,
    .open_opts = s_open_opts,
    .refused = s_refused,
    .duplicate = s_duplicate,
    .heard = NULL,
    .refuse = s_refuse,
    .redo = uitvoerder_redo,
};
