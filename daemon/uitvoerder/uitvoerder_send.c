/*  uitvoerder_send: the uitvoerder's own messages to members (weegploeg
 *  agendas and decisions, plans, closures, disclosure consents, rosters),
 *  each sealed for one recipient.  Order of a send, so that a crash never
 *  leaves a delivery the provenance log does not show, nor an entry
 *  written twice (docs/ARCHITECTURE.md, Crash reasoning 5 and 12):
 *  (1) the sealed copies kept in the relay (node.db), held: not offered;
 *  (2) one MESSAGE_SENT log entry per copy (ids, case_refs, actor - no
 *  personal data), each once under its id and header hash; (3) the copies
 *  released, and offered at once to members that are online; the rest
 *  when they are next heard.  A crash after (1) leaves held copies that
 *  the next start (or the log timer) logs and releases; one after (2)
 *  finds the entries under their keys and only releases.  A member's
 *  receipt goes the same way: the row settled and marked as owing its
 *  MESSAGE_DELIVERED, then the entry once under the id, then the mark
 *  cleared.
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
    char key[160], id_hex[KT_ID_HEX], hash_hex[65];
    snprintf (key, sizeof key, "sent/%s/%s", kt_hex (id_hex, id, KT_ID_LEN),
              kt_hex (hash_hex, hash, sizeof hash));
    return provlog_append_once (uitvoerder_of (self)->log, key, &e, NULL, reason) < 0 ? -1 : 0;
}

/*  Keep the copies, held, in one commit.  Returns 1, keeping nothing,
 *  when copies of their origin were kept before (a resumed send: those
 *  are sent instead). */
static int
s_keep (node_t *self, const copies_t *copies, const char *os_user, kt_reason_t *reason)
{
    relay_t *relay = uitvoerder_of (self)->relay;
    const char *origin = *copies->origin ? copies->origin : NULL;
    if (origin) {
        int kept = relay_has_origin (relay, origin, reason);
        if (kept != 0)
            return kept;
    }
    if (store_begin (self->db, reason) != 0)
        return -1;
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < copies->n; i++) {
        const copy_t *c = &copies->items[i];
        char refs[4096], made_for[RELAY_MADE_FOR_MAX + 1];
        store_join (refs, sizeof refs, (const char *const *) c->case_refs, c->n_case_refs);
        uitvoerder_made_for (c->to, made_for, sizeof made_for);
        if (relay_insert (relay, c->id, c->to->id, copies->type, c->header, c->header_len, now,
                          origin, refs, os_user, made_for, reason) != 0) {
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

/*  The entry owed for one relay row, appended once to the open batch. */
static int
s_log_owed (node_t *self, const relay_owed_t *o, kt_reason_t *reason)
{
    if (o->sent) {
        char *refs[64], *save = NULL;
        size_t n = 0;
        for (char *r = strtok_r (o->case_refs, ",", &save); r && n < 64;
             r = strtok_r (NULL, ",", &save))
            refs[n++] = r;
        return uitvoerder_log_sent (self, o->id, o->type, o->recipient, refs, n, o->header,
                                    o->header_len, *o->os_user ? o->os_user : NULL, NULL, reason);
    }
    /*  The log shows who confirmed what; a refusal names no data. */
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_DELIVERED;
    char key[64], hex[KT_ID_HEX];
    if (o->expired) {
        /*  Never delivered: on record as refused by rule, under its own
         *  key, with the member it was for and its type. */
        e.event = KETEN__LOG_EVENT__MESSAGE_REFUSED;
        e.time_ms = o->settled_ms;
        e.message_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) o->id};
        e.message_type = o->type;
        e.recipients = (char **) &o->recipient;
        e.n_recipients = 1;
        e.node = (char *) keyring_self_member (self->keyring)->id;
        e.what =
            o->withdrawn ? o->refusal : (char *) "expired: not receipted within delivery/max-age-s";
        snprintf (key, sizeof key, "%s/%s", o->withdrawn ? "withdrawn" : "expired",
                  kt_hex (hex, o->id, KT_ID_LEN));
        return provlog_append_once (uitvoerder_of (self)->log, key, &e, NULL, reason) < 0 ? -1 : 0;
    }
    e.time_ms = o->settled_ms;
    e.message_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) o->id};
    e.node = o->recipient;
    snprintf (key, sizeof key, "delivered/%s", kt_hex (hex, o->id, KT_ID_LEN));
    if (provlog_append_once (uitvoerder_of (self)->log, key, &e, NULL, reason) < 0)
        return -1;
    if (!o->refused || o->type != KETEN__MESSAGE_TYPE__ROSTER)
        return 0;
    /*  A member refused a roster we pushed: it holds a newer one, or other
     *  bytes under that version - this node's roster history went back (a
     *  restored backup) or forked (docs/ROSTER.md, "A replayed roster").
     *  On record in the same batch, in keten's own words: the member's
     *  reason is its text, not ours. */
    e.event = KETEN__LOG_EVENT__ROSTER_REFUSED;
    e.message_type = KETEN__MESSAGE_TYPE__ROSTER;
    e.what = (char *) "the member holds a newer roster, or another under that version";
    snprintf (key, sizeof key, "roster-refused/%s", hex);
    return provlog_append_once (uitvoerder_of (self)->log, key, &e, NULL, reason) < 0 ? -1 : 0;
}

int
uitvoerder_relay_log (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    relay_owed_t *rows = NULL;
    size_t n = 0;
    u->log_owed = true;
    if (relay_owed (u->relay, &rows, &n, reason) != 0)
        return -1;
    /*  Log first, in one commit; then clear the marks in one commit.  A
     *  crash between the two finds the entries under their keys next
     *  time, and only clears. */
    int rc = n ? provlog_begin (u->log, reason) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if ((rc = s_log_owed (self, &rows[i], reason)) != 0)
            provlog_rollback (u->log);
    if (rc == 0 && n)
        rc = provlog_commit (u->log, reason);
    if (rc == 0 && n) {
        rc = store_begin (self->db, reason);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = relay_owed_paid (u->relay, rows[i].id, reason);
        if (rc == 0)
            rc = store_commit (self->db, reason);
        if (rc != 0)
            store_rollback (self->db);
    }
    relay_owed_free (rows, n);
    if (rc == 0) {
        u->log_owed = false;
        u->owed_backoff_ms = 0;
    } else {
        /*  A log that cannot be written (locked, a disk that stalls)
         *  holds the loop for the busy timeout at each try: the log
         *  timer backs off, from 10 s up to 5 minutes, while receipts,
         *  sends and the next start still try at once. */
        u->owed_backoff_ms = u->owed_backoff_ms ? u->owed_backoff_ms * 2 : 10000;
        if (u->owed_backoff_ms > 300000)
            u->owed_backoff_ms = 300000;
        u->owed_retry_ms = kt_now_ms () + u->owed_backoff_ms;
    }
    return rc;
}

void
uitvoerder_made_for (const roster_member_t *m, char *out, size_t len)
{
    /*  What a copy's content follows besides the member's id: its kind
     *  (and so its role: meeting.c, uitvoerder_casework.c) and a
     *  gemeente's municipality (art. 6b, 8.4: its residents only). */
    if (*m->municipality)
        snprintf (out, len, "%s/%s", m->kind, m->municipality);
    else
        snprintf (out, len, "%s", m->kind);
}

const char *
uitvoerder_copy_unfit (node_t *self, const roster_t *roster, const roster_member_t *m,
                       Keten__MessageType type, const char *made_for, char *buf, size_t len)
{
    uint64_t now = kt_now_ms ();
    /*  A roster push goes whatever the member is now: it is what tells
     *  the node.  A retention notice names ids only, and what the node
     *  holds must still be archived or destroyed (art. 13).  A member
     *  that left is withdrawn from on its own day (s_withdraw_left). */
    if (type == KETEN__MESSAGE_TYPE__ROSTER || type == KETEN__MESSAGE_TYPE__RETENTION_NOTICE ||
        !roster_member_active (m, now))
        return NULL;
    /*  art. 8.4, 15.2g: the table's rule for the member's role now, not
     *  the one it had when the copy was made. */
    kt_reason_t why;
    char *to = (char *) m->id;
    if (policy_check (roster, type, keyring_self_member (self->keyring), &to, 1, now, &why) != 0) {
        snprintf (buf, len, "%s the member's role no longer receives %s", RELAY_WITHDRAWN_PREFIX,
                  policy_type_name (type));
        return buf;
    }
    /*  Composed for another kind: a kernpartij's casusoverleg item with
     *  art. 9/10 Wpg data, every subject for the OM where a gemeente
     *  sees its residents only (art. 6b, 8.4, 10.5), a decision or a
     *  disclosure chosen by what the kind may see.  Only what a copy's
     *  content follows counts: the incident register is the same for
     *  every kernpartij (kinds and counts, never who) and a plan the same
     *  for every participant, so the rule above is all they follow; a
     *  closure and the casusoverleg's advice differ only for an externe
     *  casuspartner, which gets no advice (art. 10.5). */
    if (type == KETEN__MESSAGE_TYPE__INCIDENT_REGISTER || type == KETEN__MESSAGE_TYPE__PLAN ||
        !*made_for)
        return NULL;
    if (type == KETEN__MESSAGE_TYPE__CLOSURE) {
        /*  Composed for a former kind, which one not known (kept before
         *  made_for, s_fill_made_for): with or without the advice, it
         *  cannot be told, so it does not go. */
        if (strcmp (made_for, RELAY_MADE_FOR_FORMER) == 0)
            return RELAY_WITHDRAWN_KIND;
        char kind[RELAY_MADE_FOR_MAX + 1];
        snprintf (kind, sizeof kind, "%.*s", (int) strcspn (made_for, "/"), made_for);
        bool was_extern = roster_role_for_kind (kind) == ROLE_EXTERN;
        return was_extern != (m->role == ROLE_EXTERN) ? RELAY_WITHDRAWN_KIND : NULL;
    }
    char now_for[RELAY_MADE_FOR_MAX + 1];
    uitvoerder_made_for (m, now_for, sizeof now_for);
    return strcmp (made_for, now_for) != 0 ? RELAY_WITHDRAWN_KIND : NULL;
}

/*  After copies of member were withdrawn: their MESSAGE_REFUSED entries
 *  (the sealed bytes go once they are written), and, when the roster that
 *  judged them is in force (again), a correction notice composed for its
 *  former kind made again for it as it is (art. 12.6). */
static void
s_withdrawn (node_t *self, const roster_member_t *member, int64_t n, bool kind, bool again)
{
    kt_reason_t why;
    kt_log (KT_LOG_INFO, "relay withdrawn member=%s count=%lld cause=%s", member->id, (long long) n,
            kind ? "kind" : "role");
    if (uitvoerder_relay_log (self, &why) != 0)
        kt_log (KT_LOG_WARN, "relay log_failed reason=\"%s\"", why.text);
    if (kind && again && uitvoerder_correction_again (self, member, &why) != 0)
        kt_log (KT_LOG_WARN, "correction again_failed peer=%s reason=\"%s\"", member->id, why.text);
}

typedef struct {
    node_t *self;
    const roster_t *roster;
    const roster_member_t *member;
    char buf[128];
    bool kind; /* a copy was withdrawn as composed for its former kind */
} judge_t;

static const char *
s_judge (void *arg, Keten__MessageType type, const char *made_for)
{
    judge_t *j = arg;
    const char *why = uitvoerder_copy_unfit (j->self, j->roster, j->member, type, made_for, j->buf,
                                             sizeof j->buf);
    j->kind |= why && strcmp (why, RELAY_WITHDRAWN_KIND) == 0;
    return why;
}

int64_t
uitvoerder_relay_withdraw_unfit (node_t *self, const roster_t *roster,
                                 const roster_member_t *member, bool *kind_p)
{
    judge_t j = {self, roster, member, "", false};
    kt_reason_t reason;
    int64_t n = relay_withdraw_if (uitvoerder_of (self)->relay, member->id, s_judge, &j,
                                   kt_now_ms (), &reason);
    if (n < 0)
        kt_log (KT_LOG_ERROR, "relay withdraw_failed member=%s reason=\"%s\"", member->id,
                reason.text);
    else if (n > 0)
        s_withdrawn (self, member, n, j.kind, !kind_p);
    if (kind_p)
        *kind_p = n > 0 && j.kind;
    return n;
}

bool
uitvoerder_relay_clock_ok (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    char why[200];
    bool ok = node_clock_confirmed (self, why, sizeof why);
    if (!ok && !u->relay_clock_waiting)
        kt_log (KT_LOG_INFO,
                "relay expiry deferred: %s; no copy expires for its age and no leaving "
                "member's copies are withdrawn until its peers confirm this node's clock "
                "(docs/OPERATIONS.md, \"Clocks\")",
                why);
    else if (ok && u->relay_clock_waiting)
        kt_log (KT_LOG_INFO, "relay expiry resumed: %s", why);
    u->relay_clock_waiting = !ok;
    return ok;
}

static bool
s_online (node_t *self, const member_link_t *link)
{
    return link->route.len > 0 && uitvoerder_member_online (self, link, kt_now_ms ());
}

void
uitvoerder_relay_pump (node_t *self, const roster_member_t *member)
{
    uitvoerder_t *u = uitvoerder_of (self);
    member_link_t *link = &u->links[member - keyring_roster (self->keyring)->members];
    if (!s_online (self, link))
        return;
    /*  What the member would refuse unread for its age is not offered
     *  again and again: it expires here, on record, and the status says
     *  what the member missed (docs/OPERATIONS.md, "A member away for
     *  long"). */
    /*  The member's own clock may run behind by up to clock-skew-ms: only
     *  past both is a copy surely too old for it.  An age is read off this
     *  node's wall clock: only one the federation confirms expires a copy
     *  (uitvoerder_relay_clock_ok). */
    uint64_t now = kt_now_ms (),
             max_age = (uint64_t) self->config.max_age_s * 1000u + self->config.clock_skew_ms;
    kt_reason_t why;
    int64_t expired = now > max_age && uitvoerder_relay_clock_ok (self)
                          ? relay_expire (u->relay, member->id, now - max_age, now, &why)
                          : 0;
    if (expired < 0)
        kt_log (KT_LOG_WARN, "relay expire_failed peer=%s reason=\"%s\"", member->id, why.text);
    else if (expired > 0) {
        kt_log (KT_LOG_WARN, "relay expired peer=%s messages=%lld max_age_s=%u", member->id,
                (long long) expired, (unsigned) self->config.max_age_s);
        /*  A roster push among them is made again, fresh, at the next
         *  heartbeat if the member is still behind. */
        link->roster_offered = 0;
        if (uitvoerder_relay_log (self, &why) != 0)
            kt_log (KT_LOG_WARN, "relay log_failed reason=\"%s\"", why.text);
        /*  And a correction notice: the correction must still reach it
         *  (art. 12.6). */
        if (uitvoerder_correction_again (self, member, &why) != 0)
            kt_log (KT_LOG_WARN, "correction again_failed peer=%s reason=\"%s\"", member->id,
                    why.text);
    }
    /*  While a roster change is issued its push goes out before it
     *  applies here, and may release copies held at the change (their
     *  MESSAGE_SENT logged at last): they are judged against the member
     *  as the new version has it, which the node takes before them. */
    const roster_t *roster = u->issuing ? u->issuing : keyring_roster (self->keyring);
    const roster_member_t *as = u->issuing ? roster_find (u->issuing, member->id) : member;
    if (!as)
        as = member;
    relay_item_t items[RELAY_BATCH];
    size_t n = relay_due (u->relay, member->id, now, items, RELAY_BATCH);
    int64_t withdrawn = 0;
    bool kind = false;
    for (size_t i = 0; i < n; i++) {
        kt_reason_t reason;
        /*  Judged against the member as it is now, not as it was when
         *  the copy was made: one its kind or role no longer takes is
         *  withdrawn on record, never sent (docs/ROSTER.md, "A member's
         *  kind changes").  One that cannot be withdrawn now is not sent
         *  either, and judged again at its next offer. */
        char buf[128];
        const char *unfit = uitvoerder_copy_unfit (self, roster, as, items[i].type,
                                                   items[i].made_for, buf, sizeof buf);
        if (unfit) {
            int rc = relay_withdraw_one (u->relay, items[i].id, unfit, now, &reason);
            if (rc < 0)
                kt_log (KT_LOG_ERROR, "relay withdraw_failed member=%s reason=\"%s\"", member->id,
                        reason.text);
            withdrawn += rc > 0;
            kind |= rc > 0 && strcmp (unfit, RELAY_WITHDRAWN_KIND) == 0;
            free (items[i].header);
            continue;
        }
        /*  Larger than the member takes (its transport/max-message, told in
         *  its heartbeat; the signature adds under 512 bytes): libzmq at
         *  the member would drop the link for it on every retry.  It waits
         *  for its next retry, said in the journal. */
        if (link->max_message && items[i].header_len + 512 > link->max_message) {
            char hex[KT_ID_HEX];
            kt_log (KT_LOG_ERROR,
                    "relay too_large id=%s peer=%s bytes=%zu member_max=%llu: not sent; the "
                    "member's transport/max-message is below this message",
                    kt_hex (hex, items[i].id, KT_ID_LEN), member->id, items[i].header_len,
                    (unsigned long long) link->max_message);
            free (items[i].header);
            continue;
        }
        if (node_queue_header (self, &link->route, items[i].id, items[i].header,
                               items[i].header_len, &reason) != 0)
            kt_log (KT_LOG_ERROR, "relay queue_failed reason=\"%s\"", reason.text);
    }
    /*  A correction notice among them is made again for the member as it
     *  is: for the one the change is about, once the change applies here
     *  (uitvoerder_roster_issue). */
    char was[RELAY_MADE_FOR_MAX + 1], is[RELAY_MADE_FOR_MAX + 1];
    uitvoerder_made_for (member, was, sizeof was);
    uitvoerder_made_for (as, is, sizeof is);
    bool changing = strcmp (was, is) != 0;
    if (changing)
        u->issuing_kind |= kind;
    if (withdrawn > 0)
        s_withdrawn (self, as, withdrawn, kind, !changing);
}

int
uitvoerder_copies_send (node_t *self, const copies_t *copies, const char *os_user, json_t *json,
                        kt_reason_t *reason)
{
    int kept = s_keep (self, copies, os_user, reason);
    if (kept < 0 || uitvoerder_relay_log (self, reason) != 0)
        return -1;
    if (kept == 1) {
        /*  These copies were never kept: the ones sent are those kept
         *  under the origin before, offered below to the same members. */
        kt_log (KT_LOG_INFO, "message resumed type=%s origin=%s", policy_type_name (copies->type),
                copies->origin);
        for (size_t i = 0; i < copies->n; i++)
            uitvoerder_relay_pump (self, copies->items[i].to);
        node_send_batch (self);
        return 0;
    }
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
    return uitvoerder_log_event_once (self, NULL, event, os_user, what, case_refs, n, reason);
}

int
uitvoerder_log_event_once (node_t *self, const char *once, Keten__LogEvent event,
                           const char *os_user, const char *what, char *const *case_refs, size_t n,
                           kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = event;
    e.time_ms = kt_now_ms ();
    e.node = (char *) keyring_self_member (self->keyring)->id;
    e.os_user = (char *) os_user;
    e.what = (char *) what;
    e.case_refs = (char **) case_refs;
    e.n_case_refs = n;
    return provlog_append_one (uitvoerder_of (self)->log, once, &e, NULL, reason);
}
