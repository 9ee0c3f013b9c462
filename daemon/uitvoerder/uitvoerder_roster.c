/*  uitvoerder_roster: membership changes at the uitvoerder (art. 15.2c,
 *  18.2) and key rotations.  Each change is the next signed roster
 *  version: kept durably first, logged (ROSTER_CHANGED), pushed to every
 *  member of the previous version - the one that leaves included, so that
 *  its node knows to stop - then applied here (keyring, zauth allow-list),
 *  and the listening socket is rebound, so a revoked member's open
 *  connection drops and its next one is refused.  A member whose heartbeat
 *  shows an older roster is offered the current one again, and the
 *  allow-list follows the calendar: a leaves-at day or the end of a key
 *  rotation's overlap takes effect without anyone acting.  Peerings with
 *  other federations are roster changes too: a peer uitvoerder pinned or
 *  its peering ended, its transport key admitted or dropped the same way.
 */
#include "uitvoerder.h"

#include "envelope.h"
#include "logproof.h"
#include "note.h"
#include "rosterchange.h"
#include "store.h"

#include <sodium.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*  A change that takes access from a member rebinds the socket this long
 *  after it: time for the pushed roster to reach that member over the
 *  connection it still has (its messages are refused from the change on;
 *  the rebind drops the connection itself). */
#define REBIND_DELAY_MS 3000
/*  How often the allow-list is checked against the calendar. */
#define EXPIRY_CHECK_MS 10000

/*  The messages kept for members that left (their leaves-at day came):
 *  they can never be delivered, so they are settled as withdrawn, on
 *  record, and lose their sealed bytes (relay_withdraw).  A held one
 *  (its MESSAGE_SENT owed) is withdrawn once the log timer has released
 *  it.  Run at every start, at a rebind and at each calendar check, so a
 *  crash, a failure or a clock not yet confirmed is made good within
 *  seconds; a log that cannot be
 *  written now is written by the log timer, which forgets the bytes
 *  then. */
static void
s_withdraw_left (node_t *self)
{
    const roster_t *roster = keyring_roster (self->keyring);
    relay_t *relay = uitvoerder_of (self)->relay;
    kt_reason_t reason;
    int64_t withdrawn = 0;
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        if (m->role == ROLE_UITVOERDER || roster_member_active (m, kt_now_ms ()))
            continue;
        /*  Its leaves-at day come by this node's wall clock alone: not
         *  before the federation confirms it (made up at the next check). */
        if (!uitvoerder_relay_clock_ok (self))
            break;
        int64_t n = relay_withdraw (relay, m->id, kt_now_ms (), &reason);
        if (n < 0)
            kt_log (KT_LOG_ERROR, "relay withdraw_failed member=%s reason=\"%s\"", m->id,
                    reason.text);
        else if (n > 0) {
            kt_log (KT_LOG_INFO, "relay withdrawn member=%s count=%lld", m->id, (long long) n);
            withdrawn += n;
        }
    }
    if (withdrawn && uitvoerder_relay_log (self, &reason) != 0)
        kt_log (KT_LOG_WARN, "log append_failed event=owed reason=\"%s\"", reason.text);
}

/*  The loop's reader stays: transport_sock is the same socket across a
 *  rebind. */
static int
s_rebind (node_t *self)
{
    kt_reason_t reason;
    if (transport_rebind (self->transport, &self->config, self->keys, &reason) != 0) {
        /*  Without a socket the uitvoerder serves nobody: stop loudly and
         *  let the service manager restart it. */
        kt_log (KT_LOG_ERROR, "transport rebind_failed reason=\"%s\"", reason.text);
        return -1;
    }
    for (size_t i = 0; i < keyring_roster (self->keyring)->member_count; i++)
        uitvoerder_of (self)->links[i].route.len = 0; /* routing ids are per connection */
    kt_log (KT_LOG_INFO, "transport rebound: members reconnect through the new allow-list");
    s_withdraw_left (self);
    return 0;
}

static int
s_on_rebind (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    uitvoerder_of (self)->rebind_timer = -1;
    return s_rebind (self);
}

/*  Push next to every member active in the roster in force, through the
 *  relay. */
static int
s_push (node_t *self, const roster_t *next, const char *os_user, json_t *json, kt_reason_t *reason)
{
    const roster_t *roster = keyring_roster (self->keyring);
    Keten__RosterUpdate u = KETEN__ROSTER_UPDATE__INIT;
    u.note.data = (uint8_t *) next->note;
    u.note.len = next->note_len;
    copies_t copies = {self, KETEN__MESSAGE_TYPE__ROSTER, NULL, 0, ""};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < roster->member_count; i++) {
        const roster_member_t *to = &roster->members[i];
        if (to->role == ROLE_UITVOERDER || !roster_member_active (to, kt_now_ms ()))
            continue;
        rc = uitvoerder_copy_add (self, &copies, to, &u.base, NULL, 0, false, reason);
        uitvoerder_of (self)->links[i].roster_offered = next->version;
    }
    if (rc == 0)
        rc = uitvoerder_copies_send (self, &copies, os_user, json, reason);
    uitvoerder_copies_free (&copies);
    return rc;
}

/*  A step of a change that is in force failed: logged at once, and told
 *  to the caller. */
static void s_warn (json_t *warnings, uint64_t version, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_warn (json_t *warnings, uint64_t version, const char *format, ...)
{
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    kt_log (KT_LOG_ERROR, "roster change_incomplete version=%llu what=\"%s\"",
            (unsigned long long) version, text);
    json_array_append_new (warnings, json_string (text));
}

/*  Every change that takes access gets the full delay for its roster to
 *  reach the member: a rebind already pending is moved to now + delay. */
static void
s_schedule_rebind (node_t *self, json_t *warnings, uint64_t version)
{
    uitvoerder_t *u = uitvoerder_of (self);
    int timer = zloop_timer (self->loop, REBIND_DELAY_MS, 1, s_on_rebind, self);
    if (timer < 0) {
        /*  A rebind already pending still comes, a little early. */
        if (u->rebind_timer < 0)
            s_warn (warnings, version, "%s",
                    "the socket was not rebound: open connections stay until they drop");
        return;
    }
    if (u->rebind_timer >= 0)
        zloop_timer_end (self->loop, u->rebind_timer);
    u->rebind_timer = timer;
}

/*  A rotated member's messages still waiting in the relay, sealed for
 *  the keys it had: wrapped again for the keys it has now, so the node
 *  reads them after it switches key files instead of refusing them.
 *  Each new header is in the provenance log (MESSAGE_SENT again, with
 *  its new hash and why), committed before the relay keeps it. */
typedef struct {
    node_t *self;
    const char *member;
    const uint8_t *old_shared; /* with the member's encryption key before */
    const char *os_user;
    bool logged; /* the log's batch is committed */
} rewrap_t;

static int
s_rewrap_one (void *arg, const uint8_t id[KT_ID_LEN], Keten__MessageType type, uint8_t **header_p,
              size_t *header_len_p, kt_reason_t *reason)
{
    rewrap_t *r = arg;
    /*  A roster is no secret, and a node still on its old key file must
     *  read the one that tells it to stop: rosters keep the old wrap. */
    int rc = envelope_rewrap (r->self->keyring, r->member, r->old_shared,
                              type == KETEN__MESSAGE_TYPE__ROSTER, header_p, header_len_p, reason);
    if (rc != 1)
        return rc;
    return uitvoerder_log_sent (r->self, id, type, r->member, NULL, 0, *header_p, *header_len_p,
                                r->os_user, "wrapped again for the recipient's rotated keys",
                                reason) == 0
               ? 1
               : -1;
}

static int
s_rewrap_commit (void *arg, int64_t replaced, kt_reason_t *reason)
{
    (void) replaced;
    rewrap_t *r = arg;
    if (provlog_commit (uitvoerder_of (r->self)->log, reason) != 0)
        return -1;
    r->logged = true;
    return 0;
}

/*  Returns how many were wrapped again, or -1 (nothing changed). */
static int64_t
s_rewrap (node_t *self, const char *member, const uint8_t *old_shared, const char *os_user,
          kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (relay_pending (u->relay, member) == 0)
        return 0; /* nothing waits: no log batch to open */
    /*  A held copy's own MESSAGE_SENT (with its case_refs) is paid first:
     *  the rewrap's entry for the new header would otherwise stand in for
     *  it under the same key (docs/ARCHITECTURE.md, Crash reasoning 12). */
    if (uitvoerder_relay_log (self, reason) != 0)
        return -1;
    if (provlog_begin (u->log, reason) != 0)
        return -1;
    rewrap_t r = {self, member, old_shared, os_user, false};
    int64_t n = relay_rewrite (u->relay, member, s_rewrap_one, s_rewrap_commit, &r, reason);
    if (n < 0 && !r.logged)
        provlog_rollback (u->log);
    else if (n > 0)
        kt_log (KT_LOG_INFO, "relay rewrapped member=%s messages=%lld", member, (long long) n);
    return n;
}

/*  Note in node.db that roster version is in the provenance log. */
static int
s_mark_logged (node_t *self, uint64_t version, kt_reason_t *reason)
{
    return node_meta_set (self, "roster_logged", version, reason);
}

/*  The ROSTER_CHANGED entry for version, and the note in node.db that it
 *  is logged (so a version kept but not logged - a crash between the two -
 *  is logged on the next start). */
static int
s_log_change (node_t *self, uint64_t version, const char *user, const char *what,
              kt_reason_t *reason)
{
    if (uitvoerder_log_event (self, KETEN__LOG_EVENT__ROSTER_CHANGED, user, what, NULL, 0,
                              reason) != 0)
        return -1;
    return s_mark_logged (self, version, reason);
}

/*  Per-member link state follows its member id into the new roster. */
int
uitvoerder_roster_changed (node_t *self, const roster_t *old, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *new_roster = keyring_roster (self->keyring);
    member_link_t *links = calloc (new_roster->member_count, sizeof *links);
    if (!links)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < new_roster->member_count; i++)
        for (size_t j = 0; j < old->member_count; j++)
            if (strcmp (new_roster->members[i].id, old->members[j].id) == 0)
                links[i] = u->links[j];
    free (u->links);
    u->links = links;
    /*  Peerings begun, changed or ended with this version. */
    uitvoerder_peers_apply (self);
    /*  art. 7.3: decisions from now on are weighed against the
     *  referentiekader this roster names. */
    return uitvoerder_referentiekader_follow (self, old, reason);
}

void
uitvoerder_roster_offer (node_t *self, member_link_t *link, const roster_member_t *member,
                         uint64_t its_version)
{
    const roster_t *roster = keyring_roster (self->keyring);
    if (its_version >= roster->version || link->roster_offered >= roster->version)
        return;
    /*  Once per version and run: the relay keeps it until receipted. */
    link->roster_offered = roster->version;
    Keten__RosterUpdate u = KETEN__ROSTER_UPDATE__INIT;
    u.note.data = (uint8_t *) roster->note;
    u.note.len = roster->note_len;
    copies_t copies = {self, KETEN__MESSAGE_TYPE__ROSTER, NULL, 0, ""};
    kt_reason_t reason;
    if (uitvoerder_copy_add (self, &copies, member, &u.base, NULL, 0, false, &reason) != 0 ||
        uitvoerder_copies_send (self, &copies, "ketend", NULL, &reason) != 0)
        kt_log (KT_LOG_WARN, "roster offer_failed peer=%s reason=\"%s\"", member->id, reason.text);
    else
        kt_log (KT_LOG_INFO, "roster offered peer=%s version=%llu had=%llu", member->id,
                (unsigned long long) roster->version, (unsigned long long) its_version);
    uitvoerder_copies_free (&copies);
}

/*  node.db meta key: the time of member's roster refusal an operator
 *  cleared (node ids are at most 64 bytes). */
static void
s_ack_key (char *out, size_t len, const char *member)
{
    snprintf (out, len, "roster_refused_cleared/%s", member);
}

int
uitvoerder_roster_refused (node_t *self, const char *member, kt_reason_t *reason)
{
    uint64_t at = 0;
    int last = relay_last_answer (uitvoerder_of (self)->relay, member, KETEN__MESSAGE_TYPE__ROSTER,
                                  &at, reason);
    if (last < 0)
        return -1; /* not known: not "no alarm" */
    if (last != 2)
        return 0;
    char key[96];
    s_ack_key (key, sizeof key, member);
    return (int64_t) at > node_meta_get (self, key, 0);
}

/*  After the operator has seen to the cause (docs/ROSTER.md, "A replayed
 *  roster"): the alarm ends until the member refuses a roster again.  On
 *  record first (ROSTER_ALARM_CLEARED, with the OS user), then cleared:
 *  an alarm is never cleared without a trace. */
static int
s_clear_alarm (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    const char *id =
        json_is_object (args) ? json_string_value (json_object_get (args, "member")) : NULL;
    const roster_member_t *m =
        id && strlen (id) <= 64 ? roster_find (keyring_roster (self->keyring), id) : NULL;
    if (!m || m->role == ROLE_UITVOERDER)
        return kt_fail (reason, "roster.clear-alarm needs a member of the roster");
    uint64_t at = 0;
    int last = relay_last_answer (uitvoerder_of (self)->relay, m->id, KETEN__MESSAGE_TYPE__ROSTER,
                                  &at, reason);
    if (last < 0)
        return -1;
    char key[96];
    s_ack_key (key, sizeof key, m->id);
    if (last != 2 || (int64_t) at <= node_meta_get (self, key, 0))
        return kt_fail (reason, "no roster_refused alarm is raised for %s", m->id);
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__ROSTER_ALARM_CLEARED;
    e.time_ms = kt_now_ms ();
    e.message_type = KETEN__MESSAGE_TYPE__ROSTER;
    e.node = (char *) m->id;
    e.os_user = user;
    e.what = (char *) "roster_refused cleared by an operator";
    uint64_t index;
    if (provlog_append_one (uitvoerder_of (self)->log, NULL, &e, &index, reason) != 0 ||
        node_meta_set (self, key, at, reason) != 0)
        return -1;
    kt_log (KT_LOG_WARN, "roster alarm_cleared peer=%s user=%s log_index=%llu", m->id, user,
            (unsigned long long) index);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:I}", "cleared", "roster_refused", "member", m->id,
                                   "log_index", (json_int_t) index));
    return 0;
}

void
uitvoerder_roster_clear_alarm (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    if (s_clear_alarm (self, caller, args, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
}

/*  How many keys the allow-list admits at now_ms: the members' and the
 *  peer uitvoerders'. */
static size_t
s_admitted (const roster_t *roster, uint64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        if (m->role != ROLE_UITVOERDER && roster_member_active (m, now_ms))
            n += roster_member_previous_active (m, now_ms) ? 2 : 1;
    }
    for (size_t i = 0; i < roster->peering_count; i++)
        n += roster_peering_active (&roster->peerings[i], now_ms);
    return n;
}

/*  The calendar moved past a leaves-at day or the end of an overlap:
 *  rewrite the allow-list and drop the connections it no longer admits. */
static int
s_on_expiry_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    if (!kt_timer_due (&uitvoerder_of (self)->expiry_fired_ms, EXPIRY_CHECK_MS))
        return 0;
    s_withdraw_left (self);
    const roster_t *roster = keyring_roster (self->keyring);
    size_t admitted = s_admitted (roster, kt_now_ms ());
    if (admitted == uitvoerder_of (self)->admitted_keys)
        return 0;
    kt_reason_t reason;
    if (transport_allow (self->transport, roster, &reason) != 0) {
        /*  Tried again on the next check; meanwhile every message from a
         *  key past its day is refused on arrival (uitvoerder.c). */
        kt_log (KT_LOG_ERROR, "transport allow_failed reason=\"%s\"", reason.text);
        return 0;
    }
    uitvoerder_of (self)->admitted_keys = admitted;
    kt_log (KT_LOG_INFO, "roster calendar: %zu key(s) admitted now", admitted);
    return s_rebind (self);
}

/*  node.db meta key: the copies kept before made_for have been noted
 *  (s_fill_made_for), so no start reads the relay for them again. */
#define S_MADE_FOR_NOTED "relay_made_for_noted"

/*  The newest kind change of each member, as `keten member kind` logged
 *  it ("kind ID -> version N", ROSTER_CHANGED), for s_fill_made_for. */
typedef struct {
    char id[65];
    uint64_t at_ms;
} kind_change_t;

typedef struct {
    const roster_t *roster;
    kind_change_t *changes;
    size_t n, cap;
    int64_t former; /* noted as composed for a former kind */
} fill_t;

static int
s_kind_change_entry (void *arg, uint64_t index, const Keten__LogEntry *e, kt_reason_t *reason)
{
    (void) index;
    fill_t *f = arg;
    const char *what = e->what ? e->what : "";
    const char *end = strstr (what, " -> version ");
    if (strncmp (what, "kind ", 5) != 0 || !end)
        return 0;
    char id[65];
    snprintf (id, sizeof id, "%.*s", (int) (end - what - 5), what + 5);
    for (size_t i = 0; i < f->n; i++)
        if (strcmp (f->changes[i].id, id) == 0) {
            if (e->time_ms > f->changes[i].at_ms)
                f->changes[i].at_ms = e->time_ms;
            return 0;
        }
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        kind_change_t *grown = realloc (f->changes, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        f->changes = grown;
        f->cap = cap;
    }
    snprintf (f->changes[f->n].id, sizeof f->changes[f->n].id, "%s", id);
    f->changes[f->n++].at_ms = e->time_ms;
    return 0;
}

static const char *
s_fill_one (void *arg, const char *recipient, Keten__MessageType type, uint64_t created_ms,
            char *out, size_t len)
{
    fill_t *f = arg;
    const roster_member_t *m = roster_find (f->roster, recipient);
    /*  A member that left is withdrawn from whatever its copies say. */
    if (!m || m->role == ROLE_UITVOERDER)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp (f->changes[i].id, recipient) == 0 &&
            (created_ms <= f->changes[i].at_ms || type == KETEN__MESSAGE_TYPE__CORRECTION_NOTICE)) {
            f->former++;
            return RELAY_MADE_FOR_FORMER;
        }
    uitvoerder_made_for (m, out, len);
    return out;
}

/*  Copies kept before the relay recorded whom each was composed for
 *  (made_for "": an upgrade) were judged by their type's rule only.  At
 *  the first start of this version each one still waiting is noted: one
 *  kept before the member's latest kind change (its ROSTER_CHANGED entry
 *  "kind ID -> version N", which an older release's `keten member kind`
 *  wrote as this one does) was composed for a kind the member no longer
 *  has, RELAY_MADE_FOR_FORMER, and is withdrawn by the kind rule right
 *  after (uitvoerder_copy_unfit: a type whose content follows the kind);
 *  any other as composed for the kind the member has now - what it was
 *  composed for, since its kind has not changed since, and what it would
 *  have been delivered as anyway - so that a later change judges it too.
 *  A copy kept in the same millisecond as the change counts as before it.
 *  A correction notice for such a member counts as composed for its
 *  former kind whenever it was kept, and whatever made_for says: a
 *  release before this one gave a kernpartij that held the subject's
 *  agenda the new text even where its kind no longer sees the subject
 *  (an OM that became a gemeente elsewhere); withdrawn, each is made
 *  again as it is now (uitvoerder_correction_again), a deletion there.
 *
 *  Once: the notes and S_MADE_FOR_NOTED commit together, and a start
 *  that finds S_MADE_FOR_NOTED reads nothing (the pass reads the whole
 *  relay: no index serves made_for, and new copies always carry it).  A
 *  crash or failure before the commit leaves neither, and the next start
 *  does it all again (Crash reasoning: one commit, repeated whole). */
static void
s_fill_made_for (node_t *self)
{
    if (node_meta_get (self, S_MADE_FOR_NOTED, 0) > 0)
        return;
    fill_t f = {keyring_roster (self->keyring), NULL, 0, 0, 0};
    kt_reason_t reason;
    int64_t filled = -1;
    if (provlog_each_event (uitvoerder_of (self)->log, KETEN__LOG_EVENT__ROSTER_CHANGED, 0,
                            UINT64_MAX, false, SIZE_MAX, s_kind_change_entry, &f, &reason) == 0 &&
        store_begin (self->db, &reason) == 0) {
        filled = relay_fill_made_for (uitvoerder_of (self)->relay, s_fill_one, &f, &reason);
        for (size_t i = 0; filled >= 0 && i < f.n; i++) {
            int64_t n = relay_note_former (uitvoerder_of (self)->relay, f.changes[i].id,
                                           KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, &reason);
            filled = n < 0 ? -1 : filled + n;
            f.former += n > 0 ? n : 0;
        }
        if (filled < 0 || node_meta_set (self, S_MADE_FOR_NOTED, 1, &reason) != 0 ||
            store_commit (self->db, &reason) != 0) {
            store_rollback (self->db);
            filled = -1;
        }
    }
    free (f.changes);
    if (filled < 0)
        kt_log (KT_LOG_ERROR, "relay made_for_failed reason=\"%s\"", reason.text);
    else if (filled > 0)
        kt_log (KT_LOG_INFO, "relay made_for_noted copies=%lld former_kind=%lld",
                (long long) filled, (long long) f.former);
}

void
uitvoerder_roster_start (node_t *self)
{
    /*  Every roster version in force is in the provenance log: one kept
     *  but not logged (a crash, or a failed append), or installed by hand,
     *  is logged now.  A first start records the version it began with. */
    uint64_t version = keyring_roster (self->keyring)->version;
    int64_t logged = node_meta_get (self, "roster_logged", -1);
    kt_reason_t reason;
    char what[96];
    snprintf (what, sizeof what, "version %llu in force (kept before a restart)",
              (unsigned long long) version);
    if (logged < 0) {
        if (s_mark_logged (self, version, &reason) != 0)
            kt_log (KT_LOG_ERROR, "roster logged_mark_failed reason=\"%s\"", reason.text);
    } else if ((uint64_t) logged < version &&
               s_log_change (self, version, "ketend", what, &reason) != 0)
        kt_log (KT_LOG_ERROR, "roster log_failed version=%llu reason=\"%s\"",
                (unsigned long long) version, reason.text);
    /*  A rotation whose rewrap did not happen (a crash after the roster
     *  was kept, a failed write): during the overlap the old key is still
     *  known, and what waits for the member is wrapped again now. */
    const roster_t *roster = keyring_roster (self->keyring);
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        const keyring_peer_t *peer = keyring_peer (self->keyring, m->id);
        if (peer && peer->previous_shared_key && roster_member_previous_active (m, kt_now_ms ()) &&
            s_rewrap (self, m->id, peer->previous_shared_key, "ketend", &reason) < 0)
            kt_log (KT_LOG_ERROR, "relay rewrap_failed member=%s reason=\"%s\"", m->id,
                    reason.text);
    }
    uitvoerder_of (self)->admitted_keys = s_admitted (keyring_roster (self->keyring), kt_now_ms ());
    s_withdraw_left (self);
    s_fill_made_for (self);
    /*  A kind change applied before a crash cut its withdrawal off (or a
     *  roster installed by hand): what waits for each member is judged
     *  against the member as it is. */
    for (size_t i = 0; i < roster->member_count; i++)
        if (roster->members[i].role != ROLE_UITVOERDER)
            uitvoerder_relay_withdraw_unfit (self, roster, &roster->members[i], NULL);
    zloop_timer (self->loop, EXPIRY_CHECK_MS, 0, s_on_expiry_check, self);
}

/*  peering-add { pub, federation, endpoint, wpg_entitled? } and
 *  peering-end { federation }: the peer uitvoerder's .pub text is parsed
 *  into *pub. */
static int
s_peering_from_args (json_t *args, const char *op, roster_change_t *change, keys_public_t *pub,
                     kt_reason_t *reason)
{
    const char *pub_text = json_string_value (json_object_get (args, "pub"));
    json_t *wpg = json_object_get (args, "wpg_entitled");
    change->id = NULL; /* no member is changed */
    change->federation = json_string_value (json_object_get (args, "federation"));
    if (strcmp (op, "peering-end") == 0) {
        change->op = ROSTER_CHANGE_PEER_END;
        return 0;
    }
    change->op = ROSTER_CHANGE_PEER_ADD;
    change->endpoint = json_string_value (json_object_get (args, "endpoint"));
    change->wpg_entitled = json_is_true (wpg);
    if (wpg && !json_is_boolean (wpg))
        return kt_fail (reason, "wpg_entitled must be true or false");
    if (!pub_text)
        return kt_fail (reason, "a peering needs the peer uitvoerder's .pub file");
    if (keys_parse_public (pub_text, strlen (pub_text), "the .pub file", pub, reason) != 0)
        return -1;
    change->pub = pub;
    return 0;
}

/*  The change roster.change asks for, from its arguments: *change (its
 *  pub, for add, rotate and peering-add, parsed into *pub). */
static int
s_change_from_args (json_t *args, roster_change_t *change, keys_public_t *pub, kt_reason_t *reason)
{
    const char *op = json_string_value (json_object_get (args, "op"));
    const char *pub_text = json_string_value (json_object_get (args, "pub"));
    change->id = json_string_value (json_object_get (args, "id"));
    change->kind = json_string_value (json_object_get (args, "kind"));
    change->date = json_string_value (json_object_get (args, "date"));
    json_t *overlap = json_object_get (args, "overlap_days");
    int rc = 0;
    if (!op)
        rc = kt_fail (reason, "roster.change needs op");
    else if (strcmp (op, "add") == 0) {
        change->op = ROSTER_CHANGE_ADD;
        if (!pub_text ||
            keys_parse_public (pub_text, strlen (pub_text), "the .pub file", pub, reason) != 0)
            rc = pub_text ? -1 : kt_fail (reason, "adding a member needs its .pub file");
        change->pub = pub;
        change->id = pub->id;
    } else if (strcmp (op, "kind") == 0)
        change->op = ROSTER_CHANGE_KIND;
    else if (strcmp (op, "revoke") == 0)
        change->op = ROSTER_CHANGE_REVOKE;
    else if (strcmp (op, "opzegging") == 0)
        change->op = ROSTER_CHANGE_OPZEGGING;
    else if (strcmp (op, "rotate") == 0) {
        change->op = ROSTER_CHANGE_ROTATE;
        json_int_t days = overlap ? json_integer_value (overlap) : ROSTER_OVERLAP_DEFAULT_DAYS;
        if (overlap && (!json_is_integer (overlap) || days < 0 || days > ROSTER_OVERLAP_MAX_DAYS))
            rc = kt_fail (reason, "overlap_days must be 0..%d", ROSTER_OVERLAP_MAX_DAYS);
        else if (!pub_text ||
                 keys_parse_public (pub_text, strlen (pub_text), "the .pub file", pub, reason) != 0)
            rc = pub_text ? -1 : kt_fail (reason, "rotating keys needs the new .pub file");
        change->overlap_days = (unsigned) days;
        change->pub = pub;
        change->id = pub->id;
    } else if (strcmp (op, "end-overlap") == 0)
        change->op = ROSTER_CHANGE_END_OVERLAP;
    else if (strcmp (op, "peering-add") == 0 || strcmp (op, "peering-end") == 0)
        rc = s_peering_from_args (args, op, change, pub, reason);
    else
        rc = kt_fail (reason, "op must be add, kind, revoke, opzegging, rotate, end-overlap, "
                              "peering-add or peering-end");
    return rc;
}

/*  The next roster version with change made, signed and checked the way
 *  every node will check it; not kept yet.  NULL, and the reason, when it
 *  cannot be. */
roster_t *
uitvoerder_roster_sign (node_t *self, const roster_change_t *change, kt_reason_t *reason)
{
    char *note = NULL;
    if (roster_change (keyring_roster (self->keyring), change, self->keys, &note, reason) != 0)
        return NULL;
    roster_t *next = roster_parse (note, strlen (note), self->config.uitvoerder_key, reason);
    free (note);
    return next;
}

/*  Run on next from now on (takes it): a rotated member's waiting
 *  messages wrapped again, the allow-list rewritten and, when the change
 *  takes access from a member that has it now, a rebind scheduled.  What
 *  fails is a warning: made good on the next start or within 10 s. */
static void
s_apply (node_t *self, roster_t **next_p, const roster_change_t *change, const char *user,
         uint64_t version, bool kind_withdrawn, json_t *warnings)
{
    kt_reason_t reason;
    /*  The shared key with a rotated member's old encryption key, for
     *  the messages waiting for it (the keyring forgets it on apply). */
    uint8_t old_shared[crypto_box_BEFORENMBYTES];
    const keyring_peer_t *peer = keyring_peer (self->keyring, change->id ? change->id : "");
    bool rotated = change->op == ROSTER_CHANGE_ROTATE && peer;
    if (rotated)
        memcpy (old_shared, peer->shared_key, sizeof old_shared);
    bool applied = node_use_roster (self, next_p, &reason) == 0;
    kt_reason_t why;
    /*  A correction notice withdrawn as composed for the member's former
     *  kind (uitvoerder_roster_issue), made again for it as it is now. */
    const roster_member_t *changed = applied && change->op == ROSTER_CHANGE_KIND && kind_withdrawn
                                         ? roster_find (keyring_roster (self->keyring), change->id)
                                         : NULL;
    if (changed && uitvoerder_correction_again (self, changed, &why) != 0)
        s_warn (warnings, version,
                "a correction notice for %s is not made again yet (%s); it is at the next start",
                change->id, why.text);
    if (applied && rotated && s_rewrap (self, change->id, old_shared, user, &why) < 0)
        s_warn (warnings, version,
                "messages waiting for %s are still sealed for its old keys (%s): it reads them "
                "only on its old key file",
                change->id, why.text);
    sodium_memzero (old_shared, sizeof old_shared);
    if (!applied) {
        s_warn (warnings, version, "not applied (%s); applied on the next start%s", reason.text,
                rotated ? " (messages waiting for the member are wrapped for its new keys then "
                          "only while an overlap lasts)"
                        : "");
        return;
    }
    if (transport_allow (self->transport, keyring_roster (self->keyring), &reason) != 0) {
        /*  No count of keys matches this: the calendar check writes the
         *  allow-list again (s_on_expiry_check), whether or not the
         *  change moved the count. */
        uitvoerder_of (self)->admitted_keys = SIZE_MAX;
        s_warn (warnings, version, "allow-list not rewritten (%s); retried within 10 s",
                reason.text);
    } else {
        uitvoerder_of (self)->admitted_keys =
            s_admitted (keyring_roster (self->keyring), kt_now_ms ());
        /*  Only these take access from a member or a peer that has it
         *  now; the others need no rebind (zauth reads the new
         *  allow-list). */
        bool takes_access = change->op == ROSTER_CHANGE_REVOKE ||
                            change->op == ROSTER_CHANGE_END_OVERLAP ||
                            change->op == ROSTER_CHANGE_PEER_END ||
                            (change->op == ROSTER_CHANGE_ROTATE && change->overlap_days == 0);
        if (takes_access)
            s_schedule_rebind (self, warnings, version);
    }
}

json_t *
uitvoerder_roster_issue (node_t *self, roster_t *next, const roster_change_t *change,
                         const char *user, const char *what, uitvoerder_roster_kept_fn *kept,
                         void *kept_arg, kt_reason_t *reason)
{
    /*  A member that becomes a kernpartij again dropped the incident
     *  register when it stopped being one: noted before the version is
     *  kept, so that no crash leaves it a kernpartij whose copies sent
     *  before count as had.  (Noted for a version never kept, it changes
     *  nothing: the member is no kernpartij.) */
    const roster_member_t *was = change->op == ROSTER_CHANGE_KIND
                                     ? roster_find (keyring_roster (self->keyring), change->id)
                                     : NULL;
    const roster_member_t *is = was ? roster_find (next, change->id) : NULL;
    bool rejoins = is && was->role != ROLE_KERNPARTIJ && is->role == ROLE_KERNPARTIJ;
    if (rejoins && uitvoerder_incident_rejoin (self, change->id, next->version, reason) != 0) {
        roster_destroy (&next);
        return NULL;
    }
    /*  Kept (durably, as the newest accepted version) before anyone sees
     *  it: a crash after the push must not let this node sign a different
     *  roster under the same version. */
    bool refused;
    if (node_keep_roster (self, next, &refused, reason) != 0) {
        roster_destroy (&next);
        return NULL;
    }
    uint64_t version = next->version;
    json_t *warnings = json_array ();
    kt_reason_t why;
    if (kept && kept (self, next, kept_arg, &why) != 0)
        s_warn (warnings, version, "%s", why.text);
    if (s_log_change (self, version, user, what, &why) != 0)
        s_warn (warnings, version, "not yet in the provenance log (%s); logged on the next start",
                why.text);
    /*  A new kind, and so maybe a new role (art. 1): what waits for the
     *  member was composed for the kind it had, and the relay would offer
     *  it before this roster (in the order made), to a node that judges it
     *  by the roster it still holds.  Withdrawn before the push, on
     *  record, as next has the member.  A copy still held (its
     *  MESSAGE_SENT owed: a log that could not be written) is released
     *  first, so that it is judged here too; one the log still holds is
     *  judged when it is released and offered - by the push below against
     *  next, after it against the roster in force - and every start
     *  judges again. */
    bool kind_withdrawn = false;
    const roster_member_t *changed =
        change->op == ROSTER_CHANGE_KIND ? roster_find (next, change->id) : NULL;
    if (changed && uitvoerder_relay_log (self, &why) != 0)
        kt_log (KT_LOG_WARN, "relay log_failed reason=\"%s\"", why.text);
    if (changed && uitvoerder_relay_withdraw_unfit (self, next, changed, &kind_withdrawn) < 0)
        s_warn (warnings, version,
                "what waits for %s was not withdrawn; it is when it is offered, or at the next "
                "start",
                change->id);
    /*  Pushed under the current version, to every member active in it -
     *  the one that leaves included, sealed for the keys it runs now -
     *  before the new version applies here.  What the push offers besides
     *  is judged against next (uitvoerder_relay_pump). */
    uitvoerder_t *u = uitvoerder_of (self);
    u->issuing = next;
    u->issuing_kind = false;
    json_t *sent = json_array ();
    if (s_push (self, next, user, sent, &why) != 0)
        s_warn (warnings, version, "not pushed (%s); offered to each member at its next heartbeat",
                why.text);
    u->issuing = NULL;
    kind_withdrawn |= u->issuing_kind;
    s_apply (self, &next, change, user, version, kind_withdrawn, warnings);
    /*  art. 15.2g: a new kernpartij gets the register as it stands, after
     *  the roster that makes it one (the relay offers in the order made);
     *  what fails here is sent at the next start. */
    if (rejoins && keyring_roster (self->keyring)->version == version)
        uitvoerder_incident_start (self);
    return json_pack ("{s:I, s:o, s:o}", "version", (json_int_t) version, "sent_to", sent,
                      "warnings", warnings);
}

/*  The verifier key of the log of federation's peer uitvoerder in
 *  roster (C2SP vkey), made as this node's own log key is. */
static int
s_peer_log_key (const roster_t *roster, const char *federation, char *out, size_t len)
{
    const roster_peering_t *p = roster_peering (roster, federation);
    return p ? logproof_vkey_of (p->federation, p->signing_pk, out, len) : -1;
}

/*  art. 15.2c: the uitvoerder changes the membership.  The new version is
 *  kept, logged, pushed (under the current version, to every member
 *  active in it) and only then applied here.  From keeping on the change
 *  rolls forward: a step that fails is reported, and made good on the
 *  next start (log entry) or the member's next heartbeat (push). */
void
uitvoerder_roster_change (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "arguments must be an object");
        return;
    }
    kt_reason_t reason;
    roster_change_t change = {0};
    keys_public_t pub;
    const char *op = json_string_value (json_object_get (args, "op"));
    roster_t *next = s_change_from_args (args, &change, &pub, &reason) == 0
                         ? uitvoerder_roster_sign (self, &change, &reason)
                         : NULL;
    if (!next) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    uint64_t version = next->version;
    bool peering = change.op == ROSTER_CHANGE_PEER_ADD || change.op == ROSTER_CHANGE_PEER_END;
    /*  A peering names a federation, every other change a member. */
    const char *whom = peering ? change.federation : change.id ? change.id : "";
    char what[160];
    snprintf (what, sizeof what, "%s %s -> version %llu", op, whom, (unsigned long long) version);
    /*  The peer's log key, before next is handed on: what its operator
     *  compares out of band. */
    char log_key[NOTE_NAME_MAX + 64] = "";
    if (change.op == ROSTER_CHANGE_PEER_ADD &&
        s_peer_log_key (next, change.federation, log_key, sizeof log_key) != 0)
        *log_key = '\0';
    json_t *result = uitvoerder_roster_issue (self, next, &change, user, what, NULL, NULL, &reason);
    if (!result) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "roster changed op=%s %s=%s version=%llu user=%s", op,
            peering ? "federation" : "member", *whom ? whom : "-", (unsigned long long) version,
            user);
    json_object_set_new (result, peering ? "federation" : "member", json_string (whom));
    if (*log_key)
        json_object_set_new (result, "log_key", json_string (log_key));
    apiserver_reply_ok (self->api, caller, result);
}
