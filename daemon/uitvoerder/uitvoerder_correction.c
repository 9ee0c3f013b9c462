/*  uitvoerder_correction: correction of the weegploeg file (art. 12.5-12.6,
 *  docs/RIGHTS.md, "Correctie").  A decision to correct, add to, delete or
 *  block (afschermen) an item of a signal - or to delete a whole signal -
 *  is carried out in these steps, each recorded, so a start finishes what
 *  a crash cut off (docs/ARCHITECTURE.md, Crash reasoning):
 *
 *  1. the decision and the change to the sealed signal commit together
 *     in the weegploeg file (correction_decide), whose WAL is then
 *     truncated;
 *  2. the relay's delivered copies of what was sent about the subject are
 *     blanked, and the casusoverleg file's copy of the signal (art. 8.5)
 *     follows, with its records of the items shared or disclosed;
 *  3. CORRECTED is logged under corrected/ID (the case_ref, no data);
 *  4. a CORRECTION_NOTICE goes to every party that holds the signal -
 *     its sender and the kernpartijen the subject's weegploeg agendas
 *     went to, as the relay recorded them, and every participant an item
 *     of it was shared with or disclosed to in the casusoverleg, told
 *     where (uitvoerder_passed.c) - one sealed copy each, named
 *     correction/ID.  A member applies it to its copies and answers with
 *     a receipt: its confirmation, kept with its time by the relay.
 *
 *  art. 12.6: carried out within 4 weeks of the decision; `keten status`
 *  shows the notices not confirmed and raises an alarm for a decision
 *  past its 4 weeks.  A signal's own sender corrects or withdraws it with
 *  a CORRECTION_NOTICE of its own; the uitvoerder checks that the signal
 *  is that member's and decides it in its name.
 */
#include "uitvoerder.h"
#include "render.h"

#include "access.h"
#include "intake_rules.h"
#include "items.h"
#include "policy.h"

#include <string.h>

static const char *
s_me (node_t *self)
{
    return keyring_self_member (self->keyring)->id;
}

/* ---- carrying a decision out ---------------------------------------------- */

/*  A decision with a step still to do, copied out of the table. */
typedef struct {
    char id[24];
    char case_ref[40];
    char sender[65];
    char decided_by[65];
    char sender_user[65]; /* by_sender: its OS user who asked */
    uint8_t signal_id[KT_ID_LEN];
    Keten__CorrectionAction action;
    bool whole_signal, by_sender;
    uint32_t item_index;
    uint64_t decided_ms, casus_ms, logged_ms, sent_ms;
} owed_t;

typedef struct {
    owed_t *rows;
    size_t n, cap;
} owing_t;

static int
s_owed_row (void *arg, const correction_row_t *row, kt_reason_t *reason)
{
    owing_t *o = arg;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        owed_t *grown = realloc (o->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        o->rows = grown;
        o->cap = cap;
    }
    owed_t *w = &o->rows[o->n++];
    memset (w, 0, sizeof *w);
    snprintf (w->id, sizeof w->id, "%s", row->correction_id);
    snprintf (w->case_ref, sizeof w->case_ref, "%s", row->case_ref);
    snprintf (w->sender, sizeof w->sender, "%s", row->signal_sender);
    snprintf (w->decided_by, sizeof w->decided_by, "%s", row->decided_by);
    snprintf (w->sender_user, sizeof w->sender_user, "%s", row->sender_user);
    memcpy (w->signal_id, row->signal_id, KT_ID_LEN);
    w->action = row->action_code;
    w->whole_signal = row->whole_signal;
    w->by_sender = row->by_sender;
    w->item_index = row->item_index;
    w->decided_ms = row->decided_ms;
    w->casus_ms = row->casus_ms;
    w->logged_ms = row->logged_ms;
    w->sent_ms = row->sent_ms;
    return 0;
}

/*  Step 2: the relay's delivered copies of the subject are blanked, and
 *  the casusoverleg's copy reads as the weegploeg file now does (blocked
 *  items blanked), or goes with the signal. */
static int
s_casus (node_t *self, const owed_t *o, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    /*  The copies this node kept of what it sent about the subject, once
     *  delivered, can still be opened with its own key; they go too
     *  (their pages overwritten, node.db's WAL truncated), as for a
     *  destruction.  Pending ones reach their member before the notice. */
    /*  So do the envelopes of its transfers to a peered federation still
     *  waiting for an answer: sealed again from the corrected file. */
    /*  A whole signal deleted that was the subject's last: the agenda
     *  copies naming it that still wait for a member away are withdrawn,
     *  and their meetings sent again without it (art. 7.2a, 12.5). */
    bool emptied = o->whole_signal && o->action == KETEN__CORRECTION_ACTION__DELETE;
    if (relay_forget_case (u->relay, o->case_ref, reason) < 0 ||
        (emptied && uitvoerder_agenda_withdraw_emptied (self, o->case_ref, reason) != 0) ||
        uitvoerder_transfer_corrected (self, o->case_ref, reason) != 0 ||
        store_wal_truncate (self->db, NULL, "truncate node.db's WAL", reason) != 0)
        return -1;
    Keten__Signal *s = NULL;
    int found = weegploeg_signal_raw (u->weegploeg, o->signal_id, &s, reason);
    if (found < 0)
        return -1;
    /*  The records of what was shared or disclosed of it (art. 9.2,
     *  10.4-10.5) follow too: read from the signal as it is kept, since a
     *  blocked item's place is emptied there, not shown. */
    int rc = o->action == KETEN__CORRECTION_ACTION__ADD
                 ? 0
                 : uitvoerder_passed_correct (self, o->case_ref, o->signal_id, o->whole_signal,
                                              o->item_index, s, reason);
    weegploeg_hide_blocked (s);
    if (rc == 0)
        rc = casusoverleg_correct_signal (u->casus, o->case_ref, o->signal_id, s, reason);
    if (s)
        keten__signal__free_unpacked (s, NULL);
    return rc < 0 ? -1 : 0;
}

/*  Step 3: CORRECTED, once, in the name of who decided: the uitvoerder's
 *  operator, or the member that corrected its own signal. */
static int
s_log (node_t *self, const owed_t *o, kt_reason_t *reason)
{
    char once[64], what[32];
    snprintf (once, sizeof once, "corrected/%s", o->id);
    snprintf (what, sizeof what, "correction:%s%s", correction_action_name (o->action),
              o->whole_signal ? "-signal" : "");
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__CORRECTED;
    e.time_ms = o->decided_ms;
    e.node = o->by_sender ? (char *) o->decided_by : (char *) s_me (self);
    e.os_user = o->by_sender ? (char *) o->sender_user : (char *) o->decided_by;
    e.case_ref = (char *) o->case_ref;
    e.what = what;
    e.message_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) o->signal_id};
    e.message_type = KETEN__MESSAGE_TYPE__SIGNAL;
    return provlog_append_one (uitvoerder_of (self)->log, once, &e, NULL, reason);
}

static bool
s_listed (zlist_t *list, const char *id)
{
    for (const char *m = zlist_first (list); m; m = zlist_next (list))
        if (strcmp (m, id) == 0)
            return true;
    return false;
}

static int
s_add_recipient (void *arg, const char *text, kt_reason_t *reason)
{
    zlist_t *list = arg;
    for (const char *m = zlist_first (list); m; m = zlist_next (list))
        if (strcmp (m, text) == 0)
            return 0;
    return zlist_append (list, (void *) text) == 0 ? 0 : kt_fail (reason, "out of memory");
}

/*  The places among all that recipient holds, as the notice names them
 *  (borrowing the places' ids); *n_p how many. */
static void
s_places_of (const uitvoerder_places_t *places, const char *recipient, Keten__DisclosedItem *at,
             Keten__DisclosedItem **list, size_t *n_p)
{
    size_t n = 0;
    for (size_t i = 0; i < places->n; i++) {
        if (strcmp (places->rows[i].recipient, recipient) != 0)
            continue;
        keten__disclosed_item__init (&at[n]);
        at[n].disclosure_id =
            (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) places->rows[i].message_id};
        at[n].position = places->rows[i].position;
        list[n] = &at[n];
        n++;
    }
    *n_p = n;
}

/*  Where the subject lives now, as its agendas are composed for it (the
 *  newest signal's municipality, meeting.c), into out: a gemeente sees
 *  its own residents only (art. 6b, 8.4, weegploeg_kernpartij_sees).
 *  When the case cannot be read (an archived subject, no signal left)
 *  the corrected signal's own (s, may be NULL: then "", which no
 *  gemeente sees). */
static void
s_lives_in (node_t *self, const char *case_ref, const Keten__Signal *s, char *out, size_t len)
{
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    kt_reason_t why;
    const char *at = s && s->subject ? s->subject->municipality : "";
    if (weegploeg_read_case (uitvoerder_of (self)->weegploeg, case_ref, &signals, &n, &why) == 0 &&
        n > 0 && signals[n - 1].signal->subject)
        at = signals[n - 1].signal->subject->municipality;
    snprintf (out, len, "%s", at ? at : "");
    weegploeg_case_free (signals, n);
}

/*  Step 4: the notices, one per party holding the signal: a kernpartij
 *  as its sender or an agenda's recipient, and any participant that
 *  holds an item of it in a share or disclosure it received (art. 9.2,
 *  10.4-10.5), told where. */
static int
s_notices (node_t *self, const owed_t *o, const char *only, const char *origin, size_t *made,
           kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    zlist_t *to = zlist_new (), *all = zlist_new ();
    if (!to || !all) {
        zlist_destroy (&to);
        zlist_destroy (&all);
        return kt_fail (reason, "out of memory");
    }
    zlist_autofree (to);
    zlist_autofree (all);
    /*  Who holds it: its sender, and whoever a weegploeg agenda naming the
     *  subject went to (the relay keeps each copy's recipient) - not a
     *  member whose copy was withdrawn (its kind changed: it may not have
     *  the subject) or expired, which never got it, unless it took the
     *  withdrawn copy all the same, nor one that refused it
     *  (relay_each_case_holder). */
    int rc = s_add_recipient (to, o->sender, reason);
    if (rc == 0)
        rc =
            relay_each_case_holder (u->relay, o->case_ref, "meeting/", s_add_recipient, to, reason);
    /*  And whoever an item of it was passed on to in the casusoverleg,
     *  where it holds it; an added item is in no copy passed on. */
    uitvoerder_places_t places = {0};
    if (rc == 0 && o->action != KETEN__CORRECTION_ACTION__ADD)
        rc = uitvoerder_passed_places (self, o->case_ref, o->signal_id, o->whole_signal,
                                       o->item_index, true, &places, reason);
    for (const char *id = zlist_first (to); rc == 0 && id; id = zlist_next (to))
        rc = s_add_recipient (all, id, reason);
    for (size_t i = 0; rc == 0 && i < places.n; i++)
        rc = s_add_recipient (all, places.rows[i].recipient, reason);
    Keten__Signal *s = NULL;
    if (rc == 0 && weegploeg_signal_raw (u->weegploeg, o->signal_id, &s, reason) < 0)
        rc = -1;
    /*  The item as it reads now, for those that take one. */
    const Keten__SignalItem *item = NULL;
    const char *basis = "";
    bool with_item = o->action == KETEN__CORRECTION_ACTION__CORRECT ||
                     o->action == KETEN__CORRECTION_ACTION__ADD ||
                     o->action == KETEN__CORRECTION_ACTION__UNBLOCK;
    if (s && with_item && o->item_index < s->n_items && !s->items[o->item_index]->deleted &&
        !s->items[o->item_index]->blocked) {
        item = s->items[o->item_index];
        basis = *item->legal_basis ? item->legal_basis : s->legal_basis;
    }
    char lives_in[256] = "";
    if (rc == 0)
        s_lives_in (self, o->case_ref, s, lives_in, sizeof lives_in);
    Keten__DisclosedItem *at = calloc (places.n ? places.n : 1, sizeof *at);
    Keten__DisclosedItem **at_list = calloc (places.n ? places.n : 1, sizeof *at_list);
    if (rc == 0 && (!at || !at_list))
        rc = kt_fail (reason, "out of memory");
    copies_t copies = {self, KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, NULL, 0, ""};
    if (made)
        *made = 0;
    /*  The origin names the copies, so that a resumed send keeps them
     *  once: never cut short. */
    int len = origin ? snprintf (copies.origin, sizeof copies.origin, "%s", origin)
                     : snprintf (copies.origin, sizeof copies.origin, "correction/%s", o->id);
    if (rc == 0 && (len < 0 || (size_t) len >= sizeof copies.origin))
        rc = kt_fail (reason, "a correction notice's origin is too long");
    char *refs[1] = {(char *) o->case_ref};
    for (const char *id = zlist_first (all); rc == 0 && id; id = zlist_next (all)) {
        if (only && strcmp (id, only) != 0)
            continue;
        const roster_member_t *m = roster_find (roster, id);
        /*  A member that left has nothing to apply it to. */
        if (!m || !roster_member_active (m, kt_now_ms ()))
            continue;
        /*  Weegploeg data went to kernpartijen only (art. 8.4); a
         *  participant's share or disclosure to any role. */
        bool holds_signal = m->role == ROLE_KERNPARTIJ && s_listed (to, id);
        size_t n_at = 0;
        s_places_of (&places, id, at, at_list, &n_at);
        if (!holds_signal && n_at == 0)
            continue;
        if (n_at > POLICY_MAX_DISCLOSED) {
            rc = kt_fail (reason, "%s holds items of the signal at more than %d places", id,
                          POLICY_MAX_DISCLOSED);
            break;
        }
        Keten__CorrectionNotice n = KETEN__CORRECTION_NOTICE__INIT;
        n.case_ref = (char *) o->case_ref;
        n.correction_id = (char *) o->id;
        n.action = o->action;
        n.signal_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) o->signal_id};
        n.whole_signal = o->whole_signal;
        n.item_index = o->item_index;
        n.decided_ms = o->decided_ms;
        n.item = (Keten__SignalItem *) item;
        n.disclosed = at_list;
        n.n_disclosed = n_at;
        Keten__SignalItem passed, empty;
        bool other = holds_signal && strcmp (id, o->sender) != 0;
        if (with_item && !item) {
            /*  Changed again since (withdrawn, blocked): whatever a copy
             *  holds of it goes; the later decision's notice follows. */
            n.action = KETEN__CORRECTION_ACTION__DELETE;
        } else if (other && !weegploeg_kernpartij_sees (m, lives_in)) {
            /*  art. 6b, 8.4: an agenda's holder that may not see the
             *  subject now - its kind changed after it took the copy (an
             *  OM that became a gemeente elsewhere), or the subject moved
             *  - only loses the old value: never a new text, nor a
             *  blocked item kept. */
            n.action = KETEN__CORRECTION_ACTION__DELETE;
        } else if (item && other && !intake_basis_allows (basis, INTAKE_PURPOSE_WEEGPLOEG)) {
            /*  An item the weegploeg may not see reaches no agenda: the
             *  agendas' holders only lose the old value. */
            n.action = KETEN__CORRECTION_ACTION__DELETE;
        } else if (item && n_at > 0) {
            /*  art. 10.5: the new text goes only to a party that holds the
             *  item (every place named holds it), and only while it may
             *  still go to that party; else its copies lose the old value
             *  and get nothing new.  As passed on: the basis explicit. */
            const Keten__SignalItem *now =
                uitvoerder_passed_now (s, o->signal_id, o->item_index, m, &passed, &empty);
            if (now == &passed)
                n.item = &passed;
            else
                n.action = KETEN__CORRECTION_ACTION__DELETE;
        }
        if (n.action == KETEN__CORRECTION_ACTION__DELETE)
            n.item = NULL;
        rc = uitvoerder_copy_add (self, &copies, m, &n.base, refs, 1, false, reason);
    }
    if (rc == 0 && copies.n > 0)
        rc = uitvoerder_copies_send (self, &copies, o->by_sender ? o->decided_by : "ketend", NULL,
                                     reason);
    if (rc == 0 && made)
        *made = copies.n;
    if (rc == 0)
        kt_log (KT_LOG_INFO, "correction notices id=%s case_ref=%s copies=%zu passed_places=%zu",
                o->id, o->case_ref, copies.n, places.n);
    uitvoerder_copies_free (&copies);
    if (s)
        keten__signal__free_unpacked (s, NULL);
    free (at);
    free (at_list);
    uitvoerder_places_free (&places);
    zlist_destroy (&to);
    zlist_destroy (&all);
    return rc;
}

static int
s_carry_out (node_t *self, const owed_t *o, kt_reason_t *reason)
{
    correction_t *c = uitvoerder_of (self)->correction;
    uint64_t now = kt_now_ms ();
    if (!o->casus_ms && (s_casus (self, o, reason) != 0 ||
                         correction_done (c, o->id, CORRECTION_CASUS, now, reason) != 0))
        return -1;
    if (!o->logged_ms && (s_log (self, o, reason) != 0 ||
                          correction_done (c, o->id, CORRECTION_LOGGED, now, reason) != 0))
        return -1;
    if (!o->sent_ms && (s_notices (self, o, NULL, NULL, NULL, reason) != 0 ||
                        correction_done (c, o->id, CORRECTION_SENT, now, reason) != 0))
        return -1;
    return 0;
}

/*  Every decision with a step left; one failing is logged and left for
 *  the next start or decision, the others go on. */
static int
s_resume (node_t *self, kt_reason_t *reason)
{
    owing_t o = {0};
    int rc = correction_each (uitvoerder_of (self)->correction, true, s_owed_row, &o, reason);
    int failed = 0;
    for (size_t i = 0; rc == 0 && i < o.n; i++) {
        kt_reason_t why;
        if (s_carry_out (self, &o.rows[i], &why) != 0) {
            kt_log (KT_LOG_ERROR, "correction carry_out_failed id=%s reason=\"%s\"", o.rows[i].id,
                    why.text);
            if (!failed++)
                *reason = why;
        }
    }
    free (o.rows);
    return rc != 0 || failed ? -1 : 0;
}

int
uitvoerder_correction_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    /*  Opened already when a restore's replay decided corrections. */
    if (!u->correction && !(u->correction = correction_new (u->weegploeg, reason)))
        return -1;
    kt_reason_t why;
    if (s_resume (self, &why) != 0)
        kt_log (KT_LOG_ERROR, "correction resume_failed reason=\"%s\"", why.text);
    /*  A notice that expired before a crash, made again now. */
    const roster_t *roster = keyring_roster (self->keyring);
    for (size_t i = 0; i < roster->member_count; i++)
        if (uitvoerder_correction_again (self, &roster->members[i], &why) != 0)
            kt_log (KT_LOG_ERROR, "correction again_failed peer=%s reason=\"%s\"",
                    roster->members[i].id, why.text);
    return 0;
}

void
uitvoerder_correction_stop (node_t *self)
{
    correction_destroy (&uitvoerder_of (self)->correction);
}

/* ---- a notice that expired on its way ------------------------------------ */

#define S_ORIGIN_PREFIX "correction/"
/*  "correction/" + "c-" + 16 hex */
#define S_ORIGIN_LEN (sizeof S_ORIGIN_PREFIX - 1 + 18)

typedef struct {
    node_t *self;
    const roster_member_t *member;
    owing_t all; /* every decision, read once when a family needs it */
    bool read;
    size_t made;
} again_t;

static int
s_again_family (void *arg, const char *base, int64_t expired, kt_reason_t *reason)
{
    again_t *a = arg;
    if (!a->read) {
        a->read = true;
        if (correction_each (uitvoerder_of (a->self)->correction, false, s_owed_row, &a->all,
                             reason) != 0)
            return -1;
    }
    const char *id = base + sizeof S_ORIGIN_PREFIX - 1;
    for (size_t i = 0; i < a->all.n; i++) {
        const owed_t *o = &a->all.rows[i];
        /*  Not sent yet: its own send reaches the member. */
        if (strcmp (o->id, id) != 0 || !o->sent_ms)
            continue;
        /*  Under a name of its own per round, so that each round is kept
         *  once (relay_has_origin) and a crash before it resumes it. */
        char origin[160];
        snprintf (origin, sizeof origin, "%s/again/%s/%lld", base, a->member->id,
                  (long long) expired);
        size_t made = 0;
        if (s_notices (a->self, o, a->member->id, origin, &made, reason) != 0)
            return -1;
        /*  None for a member that holds nothing of it any more (it left,
         *  or the subject is gone). */
        a->made += made;
        if (made)
            kt_log (KT_LOG_INFO, "correction notice_made_again id=%s peer=%s round=%lld", o->id,
                    a->member->id, (long long) expired);
    }
    return 0;
}

int
uitvoerder_correction_again (node_t *self, const roster_member_t *member, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->correction)
        return 0;
    again_t a = {self, member, {0}, false, 0};
    int rc = relay_each_expired_family (u->relay, member->id, S_ORIGIN_PREFIX, S_ORIGIN_LEN,
                                        s_again_family, &a, reason);
    free (a.all.rows);
    return rc;
}

/*  d in the node's journal (forget.h): the change as a CorrectionNotice
 *  (sealed there), the ids of who decided and in answer to what beside
 *  it. */
static int
s_journal (node_t *self, const correction_decision_t *d, kt_reason_t *reason)
{
    Keten__CorrectionNotice n = KETEN__CORRECTION_NOTICE__INIT;
    n.case_ref = (char *) d->change.case_ref;
    n.correction_id = (char *) "";
    n.action = d->change.action;
    n.signal_id.data = (uint8_t *) d->change.signal_id;
    n.signal_id.len = KT_ID_LEN;
    n.whole_signal = d->change.whole_signal;
    n.item_index = d->change.item_index;
    n.item = (Keten__SignalItem *) d->change.item;
    n.decided_ms = d->decided_ms;
    n.reason = (char *) (d->reason ? d->reason : "");
    /*  Who asked, and an art. 9/10 text's release: decided again as it
     *  was after a restore. */
    n.os_user = (char *) (d->sender_user ? d->sender_user : "");
    n.opsporingsbelang_checked = d->om_officer && *d->om_officer;
    n.om_officer = (char *) (d->om_officer ? d->om_officer : "");
    n.bevoegd_functionaris = (char *) (d->bevoegd_functionaris ? d->bevoegd_functionaris : "");
    char what[96], hex[KT_ID_HEX], msg[KT_ID_HEX] = "";
    snprintf (what, sizeof what, "signal %s %s", kt_hex (hex, d->change.signal_id, KT_ID_LEN),
              correction_action_name (d->change.action));
    if (d->message_id)
        kt_hex (msg, d->message_id, KT_ID_LEN);
    /*  destroy_owed: the police representative's withdrawal (art. 7.2a),
     *  whose subject's destruction a restore's replay must owe again. */
    json_t *detail = json_pack (
        "{s:s, s:s, s:s, s:b}", "request_id", d->request_id ? d->request_id : "", "decided_by",
        d->decided_by ? d->decided_by : "", "message_id", msg, "destroy_owed", d->destroy_owed);
    char *text = detail ? json_dumps (detail, JSON_COMPACT) : NULL;
    json_decref (detail);
    if (!text)
        return kt_fail (reason, "out of memory");
    int rc = forget_note_correct (self->forget, d->change.case_ref, what, text, &n, false, reason);
    free (text);
    return rc;
}

/*  Decide d (its rules checked by correction_decide), then carry it out
 *  unless carry_out is false (a restore's replay: what it decided is
 *  carried out by uitvoerder_correction_start once the whole journal is
 *  replayed, so that a subject a later entry destroys is not sent out
 *  again first). */
static int
s_decide_as (node_t *self, correction_decision_t *d, bool carry_out, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    /*  Noted (forget.db) once its rules hold and before it is decided: a
     *  restore of an older backup decides it again. */
    if (correction_check (u->correction, d, reason) != 0 ||
        uitvoerder_log_caught_up (self, reason) != 0 || s_journal (self, d, reason) != 0 ||
        correction_decide (u->correction, d, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "correction decided id=%s case_ref=%s action=%s", d->correction_id,
            d->change.case_ref, correction_action_name (d->change.action));
    if (!carry_out)
        return 0;
    kt_reason_t why;
    /*  Decided: the rest is resumed at the next start when it fails now. */
    if (s_resume (self, &why) != 0)
        kt_log (KT_LOG_ERROR, "correction carry_out_deferred id=%s reason=\"%s\"", d->correction_id,
                why.text);
    return 0;
}

static int
s_decide (node_t *self, correction_decision_t *d, kt_reason_t *reason)
{
    return s_decide_as (self, d, true, reason);
}

/* ---- the parties' confirmations ------------------------------------------- */

typedef struct {
    json_t *parties;
    size_t unconfirmed;
    char last[65];     /* the recipient of the row before */
    bool last_counted; /* and whether it counted as unconfirmed */
} parties_t;

static int
s_party_row (void *arg, const relay_copy_t *row, kt_reason_t *reason)
{
    parties_t *p = arg;
    bool withdrawn = row->state == 4 && relay_is_withdrawn (row->refusal);
    bool destroyed =
        row->state == 2 && row->refusal && strcmp (row->refusal, RELAY_DESTROYED_HERE) == 0;
    const char *state = row->state == 1   ? "confirmed"
                        : destroyed       ? "destroyed"
                        : row->state == 2 ? "refused"
                        : withdrawn       ? "withdrawn"
                        : row->state == 4 ? "expired"
                                          : "pending";
    /*  A notice made again after one expired (rows by recipient, oldest
     *  first) stands for the member instead of the one before. */
    if (strcmp (row->recipient, p->last) == 0) {
        json_array_remove (p->parties, json_array_size (p->parties) - 1);
        if (p->last_counted)
            p->unconfirmed--;
    }
    snprintf (p->last, sizeof p->last, "%s", row->recipient);
    /*  A member that left can confirm nothing any more, nor one whose
     *  notice was withdrawn as composed for its former kind, unless it is
     *  made again for its kind now (that copy then stands); one that
     *  destroyed the subject since (art. 13) holds nothing to correct. */
    p->last_counted = row->state != 1 && !withdrawn && !destroyed;
    if (p->last_counted)
        p->unconfirmed++;
    json_t *o = json_pack ("{s:s, s:s, s:I}", "node", row->recipient, "state", state, "sent_ms",
                           (json_int_t) row->created_ms);
    if (o && row->state == 1)
        json_object_set_new (o, "confirmed_ms", json_integer ((json_int_t) row->settled_ms));
    if (o && row->state == 2)
        json_object_set_new (o, "refusal", json_string (row->refusal));
    return render_append (p->parties, o, reason);
}

typedef struct {
    node_t *self;
    json_t *list;        /* correction.list rows, or NULL */
    json_t *unconfirmed; /* [{correction_id, case_ref, node, sent_ms}], or NULL */
    json_t *overdue;     /* [{correction_id, case_ref, due_ms}], or NULL */
    uint64_t now_ms;
} listing_t;

/*  The parties of decision row (each once, by its newest copy) into
 *  p->parties (the caller frees it), and whether it is carried out (art.
 *  12.6: the file changed and every party that holds something
 *  confirmed).  0, or -1 with reason. */
static int
s_parties (node_t *self, const correction_row_t *row, parties_t *p, bool *done, kt_reason_t *reason)
{
    char origin[64];
    snprintf (origin, sizeof origin, "correction/%s", row->correction_id);
    *p = (parties_t){json_array (), 0, "", false};
    if (!p->parties)
        return kt_fail (reason, "out of memory");
    if (relay_each_origin (uitvoerder_of (self)->relay, origin, s_party_row, p, reason) != 0)
        return -1;
    *done = row->casus_ms && row->logged_ms && row->sent_ms && p->unconfirmed == 0;
    return 0;
}

/*  Both deadlines a decision's due_ms is the earlier of: its own (art.
 *  12.6) and, on a request, the request's (art. 12.5). */
static void
s_set_dues (json_t *o, const correction_row_t *row)
{
    json_object_set_new (o, "decision_due_ms", json_integer ((json_int_t) row->decision_due_ms));
    if (row->request_due_ms)
        json_object_set_new (o, "request_due_ms", json_integer ((json_int_t) row->request_due_ms));
}

static int
s_list_row (void *arg, const correction_row_t *row, kt_reason_t *reason)
{
    listing_t *l = arg;
    char hex[KT_ID_HEX];
    parties_t p;
    bool done;
    if (s_parties (l->self, row, &p, &done, reason) != 0) {
        json_decref (p.parties);
        return -1;
    }
    /*  Past its 4 weeks and not carried out: overdue. */
    bool overdue = !done && l->now_ms > row->due_ms;
    int rc = 0;
    if (l->unconfirmed) {
        size_t i;
        json_t *party;
        json_array_foreach (p.parties, i, party)
        {
            const char *state = json_string_value (json_object_get (party, "state"));
            if (rc == 0 && strcmp (state, "confirmed") != 0 && strcmp (state, "withdrawn") != 0 &&
                strcmp (state, "destroyed") != 0)
                rc = render_append (l->unconfirmed,
                                    json_pack ("{s:s, s:s, s:O, s:O}", "correction_id",
                                               row->correction_id, "case_ref", row->case_ref,
                                               "node", json_object_get (party, "node"), "sent_ms",
                                               json_object_get (party, "sent_ms")),
                                    reason);
        }
    }
    if (rc == 0 && l->overdue && overdue) {
        json_t *o = json_pack ("{s:s, s:s, s:I}", "correction_id", row->correction_id, "case_ref",
                               row->case_ref, "due_ms", (json_int_t) row->due_ms);
        if (o)
            s_set_dues (o, row);
        rc = render_append (l->overdue, o, reason);
    }
    if (rc == 0 && l->list) {
        json_t *o = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:b, s:b, s:O}",
                               "correction_id", row->correction_id, "case_ref", row->case_ref,
                               "signal_id", kt_hex (hex, row->signal_id, KT_ID_LEN), "action",
                               row->action, "request_id", row->request_id, "decided_by",
                               row->decided_by, "by_sender", row->by_sender, "decided_ms",
                               (json_int_t) row->decided_ms, "due_ms", (json_int_t) row->due_ms,
                               "carried_out", done, "overdue", overdue, "parties", p.parties);
        if (o) {
            json_object_set_new (o, "item",
                                 row->whole_signal ? json_null ()
                                                   : json_integer ((json_int_t) row->item_index));
            s_set_dues (o, row);
        }
        rc = render_append (l->list, o, reason);
    }
    json_decref (p.parties);
    return rc;
}

typedef struct {
    node_t *self;
    const char *request_id;
    uitvoerder_request_change_fn *fn;
    void *arg;
} of_request_t;

static int
s_of_request_row (void *arg, const correction_row_t *row, kt_reason_t *reason)
{
    of_request_t *r = arg;
    if (strcmp (row->request_id, r->request_id) != 0)
        return 0;
    parties_t p;
    bool done;
    int rc = s_parties (r->self, row, &p, &done, reason);
    json_decref (p.parties);
    return rc != 0 ? -1 : r->fn (r->arg, row, done, reason);
}

int
uitvoerder_corrections_of_request (node_t *self, const char *request_id,
                                   uitvoerder_request_change_fn *fn, void *arg, kt_reason_t *reason)
{
    of_request_t r = {self, request_id, fn, arg};
    return correction_each (uitvoerder_of (self)->correction, false, s_of_request_row, &r, reason);
}

void
uitvoerder_correction_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    listing_t l = {self, json_array (), NULL, NULL, kt_now_ms ()};
    kt_reason_t reason;
    int rc =
        l.list ? correction_each (uitvoerder_of (self)->correction, false, s_list_row, &l, &reason)
               : kt_fail (&reason, "out of memory");
    render_reply (self->api, caller, "corrections", render_done (l.list, rc), &reason);
}

void
uitvoerder_correction_role_status (node_t *self, json_t *result)
{
    listing_t l = {self, NULL, json_array (), json_array (), kt_now_ms ()};
    kt_reason_t reason;
    int rc = l.unconfirmed && l.overdue ? correction_each (uitvoerder_of (self)->correction, false,
                                                           s_list_row, &l, &reason)
                                        : kt_fail (&reason, "out of memory");
    if (rc != 0) {
        /*  Left out rather than shown as "all confirmed". */
        kt_log (KT_LOG_ERROR, "status corrections_unreadable reason=\"%s\"", reason.text);
        node_status_unreadable (result, "corrections", reason.text);
        json_decref (l.unconfirmed);
        json_decref (l.overdue);
        return;
    }
    json_object_set_new (
        result, "corrections",
        json_pack ("{s:o, s:o}", "unconfirmed", l.unconfirmed, "overdue", l.overdue));
}

/* ---- the uitvoerder's decision (the local API) ---------------------------- */

/*  A reason or request id as the API takes it. */
static bool
s_text_ok (const char *s, size_t max, bool lines)
{
    size_t len = strlen (s);
    if (len > max)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p < 0x20 && !(lines && *p == '\n')) || *p == 0x7f)
            return false;
    return true;
}

typedef struct {
    char kind[16], state[16], case_ref[40];
    uint64_t due_ms;
} request_info_t;

static int
s_request_row (void *arg, const request_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    request_info_t *i = arg;
    snprintf (i->kind, sizeof i->kind, "%s", row->kind);
    snprintf (i->state, sizeof i->state, "%s", row->state);
    snprintf (i->case_ref, sizeof i->case_ref, "%s", row->case_ref);
    i->due_ms = row->due_ms;
    return 0;
}

/*  art. 12.5: a correction decided on a person's request names one in
 *  the register: open, asking for a change (not inzage), linked to the
 *  subject the correction changes.  0 (*due_ms: the request's due time,
 *  which the correction must meet too), or -1 with reason. */
static int
s_request_ok (node_t *self, const char *id, const char *case_ref, uint64_t *due_ms,
              kt_reason_t *reason)
{
    request_info_t i = {"", "", "", 0};
    int found = request_get (uitvoerder_of (self)->requests, id, s_request_row, &i, reason);
    if (found < 0)
        return -1;
    if (!found)
        return kt_fail (reason,
                        "correction.decide: no request %.64s in the register (keten "
                        "request list)",
                        id);
    if (strcmp (i.kind, "inzage") == 0)
        return kt_fail (reason,
                        "correction.decide: request %s asks for inzage; it is answered with the "
                        "overview (keten request answer), not by a correction",
                        id);
    if (strcmp (i.state, "open") != 0)
        return kt_fail (reason, "correction.decide: request %s is %s already", id, i.state);
    if (strcmp (i.case_ref, case_ref) != 0)
        return *i.case_ref ? kt_fail (reason, "correction.decide: request %s is about %s, not %s",
                                      id, i.case_ref, case_ref)
                           : kt_fail (reason,
                                      "correction.decide: link request %s to its subject first "
                                      "(keten request link %s %s)",
                                      id, id, case_ref);
    *due_ms = i.due_ms;
    return 0;
}

/*  One item from the API's JSON (as in a signal file); *items_p holds
 *  it, to be freed with items_free. */
static int
s_item_from_json (json_t *value, Keten__SignalItem ***items_p, size_t *n_p, kt_reason_t *reason)
{
    if (!json_is_object (value))
        return kt_fail (reason, "item must be an object as in a signal's \"items\"");
    json_t *one = json_array ();
    if (!one || json_array_append (one, value) != 0) {
        json_decref (one);
        return kt_fail (reason, "out of memory");
    }
    int rc = items_decode (one, items_p, n_p, reason);
    json_decref (one); /* the strings point into value, which the caller keeps */
    return rc;
}

void
uitvoerder_correction_decide (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *signal = json_string_value (json_object_get (args, "signal_id"));
    const char *action = json_string_value (json_object_get (args, "action"));
    json_t *index = json_object_get (args, "item_index");
    json_t *item = json_object_get (args, "item");
    const char *request = json_string_value (json_object_get (args, "request_id"));
    const char *why = json_string_value (json_object_get (args, "reason"));
    correction_decision_t d = {0};
    d.change.action = correction_action_code (action);
    const char *err = NULL;
    if (!case_ref || !weegploeg_case_ref_ok (case_ref))
        err = "correction.decide: case_ref must be k-<16 hex digits>";
    else if (!signal || strlen (signal) != 2 * KT_ID_LEN ||
             kt_unhex (d.change.signal_id, KT_ID_LEN, signal) != 0)
        err = "correction.decide: signal_id must be a message id (32 hex digits)";
    else if (!d.change.action)
        err = "correction.decide: action must be correct, add, delete, block or unblock";
    else if (index && (!json_is_integer (index) || json_integer_value (index) < 0 ||
                       json_integer_value (index) >= POLICY_MAX_ITEMS))
        err = "correction.decide: item_index must be an item's number, from 0";
    else if (d.change.action == KETEN__CORRECTION_ACTION__ADD      ? index != NULL
             : d.change.action == KETEN__CORRECTION_ACTION__DELETE ? false
                                                                   : index == NULL)
        err = d.change.action == KETEN__CORRECTION_ACTION__ADD
                  ? "correction.decide: an added item goes after the others; give no item_index"
                  : "correction.decide: this action names an item (item_index)";
    else if ((d.change.action == KETEN__CORRECTION_ACTION__CORRECT ||
              d.change.action == KETEN__CORRECTION_ACTION__ADD) != (item != NULL))
        err = item ? "correction.decide: only correct and add take an item"
                   : "correction.decide: correct and add take the item (as in a signal file)";
    else if (request && (!*request || !s_text_ok (request, 64, false)))
        err = "correction.decide: request_id must be 1..64 bytes of text";
    else if (why && !s_text_ok (why, POLICY_MAX_REASON, true))
        err = "correction.decide: the reason must be at most 1000 bytes of text";
    if (err) {
        apiserver_reply_error (self->api, caller, err);
        return;
    }
    if (request && s_request_ok (self, request, case_ref, &d.request_due_ms, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    Keten__SignalItem **items = NULL;
    size_t n_items = 0;
    if (item && s_item_from_json (item, &items, &n_items, &reason) != 0) {
        char msg[KT_REASON_MAX + 32];
        snprintf (msg, sizeof msg, "correction.decide: %s", reason.text);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    snprintf (d.change.case_ref, sizeof d.change.case_ref, "%s", case_ref);
    d.change.whole_signal = d.change.action == KETEN__CORRECTION_ACTION__DELETE && !index;
    d.change.item_index = index ? (uint32_t) json_integer_value (index) : 0;
    d.change.item = n_items ? items[0] : NULL;
    d.request_id = request ? request : "";
    d.reason = why ? why : "";
    d.decided_by = user;
    d.decided_ms = kt_now_ms ();
    int rc = s_decide (self, &d, &reason);
    items_free (items, n_items);
    if (rc != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *o = json_pack (
        "{s:s, s:s, s:s, s:o, s:I, s:I, s:I}", "correction_id", d.correction_id, "case_ref",
        d.change.case_ref, "action", correction_action_name (d.change.action), "item",
        d.change.whole_signal ? json_null () : json_integer ((json_int_t) d.change.item_index),
        "decided_ms", (json_int_t) d.decided_ms, "due_ms",
        (json_int_t) correction_due_for (d.decided_ms, d.request_due_ms), "decision_due_ms",
        (json_int_t) correction_due_ms (d.decided_ms));
    if (o && d.request_due_ms)
        json_object_set_new (o, "request_due_ms", json_integer ((json_int_t) d.request_due_ms));
    apiserver_reply_ok (self->api, caller, o);
}

/* ---- a signal's own sender (art. 12.5) ------------------------------------ */

static int
s_log_received (node_t *self, const roster_member_t *sender, const envelope_opened_t *opened,
                const char *case_ref, const char *os_user, uint64_t *index_p, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const Keten__Header *h = opened->header;
    char *to[1] = {(char *) s_me (self)};
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    e.time_ms = kt_now_ms ();
    e.message_id = h->id;
    e.message_type = h->type;
    e.node = (char *) sender->id;
    e.case_ref = (char *) case_ref;
    e.what = "own correction";
    e.os_user = (char *) os_user;
    e.recipients = to;
    e.n_recipients = 1;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    return provlog_log_received (u->log, &e, index_p, reason);
}

/*  art. 7.2a: a signal forwarded from the police spool went to the
 *  weegploeg through the police representative, who may take it back
 *  until the weegploeg weighed it: then it is deleted from the file like
 *  any withdrawal (and its copies with it).  Once weighed, the file and
 *  the decision rest on it, so it changes only by a correction decision
 *  (art. 12.5-12.6).  0: go on (*representative: it is such a signal),
 *  1: refused with reason, -1: failure. */
static int
s_representative_check (node_t *self, const uint8_t signal_id[KT_ID_LEN], bool *representative,
                        kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    Keten__Signal *s = NULL;
    int found = weegploeg_signal_raw (u->weegploeg, signal_id, &s, reason);
    if (found < 0)
        return -1;
    *representative =
        s && ((s->representative && *s->representative) || (s->confirmed_by && *s->confirmed_by));
    if (s)
        keten__signal__free_unpacked (s, NULL);
    if (!*representative)
        return 0;
    char decision_id[DECISION_ID_LEN];
    int weighed = decision_weighed (u->decision, signal_id, decision_id, reason);
    if (weighed < 0)
        return -1;
    if (weighed)
        return kt_fail (reason,
                        "art. 7.2a: the weegploeg weighed this signal (decision %s), so the "
                        "police representative can no longer withdraw it; the correction route "
                        "remains: correct an item with keten signal correct, or ask the "
                        "uitvoerder for a correction decision (art. 12.5-12.6, keten correction "
                        "decide)",
                        decision_id),
               1;
    return 0;
}

/*  Wpg machtigingsbesluit art. 2: a new text for an art. 9/10 Wpg signal
 *  is art. 9/10 data, taken only with its release recorded as a
 *  signal's is (a sender's hold is not to be trusted).  0, 1 refused
 *  with reason, -1. */
static int
s_wpg_release_check (node_t *self, const Keten__CorrectionNotice *n, kt_reason_t *reason)
{
    Keten__Signal *s = NULL;
    int found =
        weegploeg_signal_raw (uitvoerder_of (self)->weegploeg, n->signal_id.data, &s, reason);
    if (found < 0)
        return -1;
    bool nine_ten = s && s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10;
    if (s)
        keten__signal__free_unpacked (s, NULL);
    if (!nine_ten || (n->opsporingsbelang_checked && intake_name_ok (n->om_officer) &&
                      intake_name_ok (n->bevoegd_functionaris) && *n->os_user))
        return 0;
    return kt_fail (reason, "Wpg machtigingsbesluit art. 2: a new text for an art. 9/10 Wpg "
                            "signal is art. 9/10 data, taken only with its release recorded (the "
                            "investigation-interest check, the OM officer and the bevoegd "
                            "functionaris consulted, the releasing user)"),
           1;
}

/*  SIGNAL_WITHDRAWN, once per signal: the police representative took a
 *  spool signal back before the weegploeg weighed it (no data: the
 *  member, the case_ref, the signal's id).  Appended before the
 *  withdrawal is decided, as every arrival is logged before it is stored
 *  (Crash reasoning 2): a crash between the two is retried by the member,
 *  which finds the entry under its key.  0, or -1 (no receipt: retried). */
static int
s_log_withdrawn (node_t *self, const roster_member_t *sender, const uint8_t signal_id[KT_ID_LEN],
                 const char *case_ref, const char *os_user)
{
    char once[64], hex[KT_ID_HEX];
    kt_hex (hex, signal_id, KT_ID_LEN);
    snprintf (once, sizeof once, "withdrawn/%s", hex);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__SIGNAL_WITHDRAWN;
    e.time_ms = kt_now_ms ();
    e.node = (char *) sender->id;
    e.case_ref = (char *) case_ref;
    e.what = "art-7.2a:before-weighing";
    e.os_user = (char *) os_user;
    e.message_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) signal_id};
    e.message_type = KETEN__MESSAGE_TYPE__SIGNAL;
    kt_reason_t reason;
    if (provlog_append_one (uitvoerder_of (self)->log, once, &e, NULL, &reason) != 0) {
        kt_log (KT_LOG_ERROR, "log append_failed event=withdrawn reason=\"%s\"", reason.text);
        return -1;
    }
    kt_log (KT_LOG_INFO, "signal withdrawn id=%s by=%s case_ref=%s", hex, sender->id, case_ref);
    return 0;
}

typedef struct {
    const char *case_ref;
    bool owed; /* a correction of case_ref has a step left */
} owed_of_t;

static int
s_owed_of_case (void *arg, const correction_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    owed_of_t *o = arg;
    if (strcmp (row->case_ref, o->case_ref) != 0)
        return 0;
    o->owed = true;
    return 1;
}

/*  art. 7.2a: a withdrawal before the weegploeg weighed the signal takes
 *  it out of the file; when it was the subject's last signal, and nothing
 *  else rests on the subject (no decision), the subject goes too - its
 *  key shredded and its rows deleted, as an art. 13 destruction, once no
 *  correction step of the subject is owed (the withdrawal's own notices
 *  go first).  The withdrawal's own commit records the destruction as
 *  owed (correction_decision_t.destroy_owed), so whatever comes between
 *  that commit and the state destroying - a crash, the log owing entries
 *  (no deletion then), a file that cannot be written, a correction step
 *  still owed - leaves it owed: the next start or retention run tries it
 *  again (uitvoerder_correction_destroy_owed).  From the state destroying
 *  on, the destruction under way is completed there as any is.  The mark
 *  goes with the subject's rows (weegploeg_forget_subject), or is cleared
 *  when something else rests on the subject (art. 13 takes it then).
 *  0: settled (destroyed, or kept), 1: waits for a correction step, -1:
 *  failed (reason), still owed. */
static int
s_destroy_if_empty (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    int left = 0, decided = 0;
    owed_of_t owed = {case_ref, false};
    if ((left = weegploeg_case_has_signals (u->weegploeg, case_ref, reason)) < 0 ||
        (!left && (decided = decision_on_case (u->decision, case_ref, reason)) < 0) ||
        (!left && !decided &&
         correction_each (u->correction, true, s_owed_of_case, &owed, reason) != 0))
        return -1;
    if (left || decided) {
        if (correction_destroy_settled (u->correction, case_ref, reason) != 0)
            return -1;
        kt_log (KT_LOG_INFO, "withdrawal subject_kept case_ref=%s signals_left=%d decided=%d",
                case_ref, left > 0, decided > 0);
        return 0;
    }
    if (owed.owed) {
        kt_log (KT_LOG_INFO,
                "withdrawal destroy_waits case_ref=%s reason=\"a correction step of the "
                "subject is still owed\"",
                case_ref);
        return 1;
    }
    if (uitvoerder_retention_destroy_now (self, case_ref, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "withdrawal subject_destroyed case_ref=%s", case_ref);
    return 0;
}

/*  The representative's withdrawals in the provenance log, each as
 *  "SIGNAL_ID_HEX/CASE_REF" in a set. */
static int
s_withdrawn_entry (void *arg, uint64_t index, const Keten__LogEntry *e, kt_reason_t *reason)
{
    (void) index;
    char hex[KT_ID_HEX], key[KT_ID_HEX + 48];
    if (e->message_id.len != KT_ID_LEN || !e->case_ref)
        return 0;
    snprintf (key, sizeof key, "%s/%.40s", kt_hex (hex, e->message_id.data, KT_ID_LEN),
              e->case_ref);
    return json_object_set_new (arg, key, json_true ()) == 0 ? 0
                                                             : kt_fail (reason, "out of memory");
}

static int
s_last_withdrawal (void *arg, const correction_withdrawal_t *w, kt_reason_t *reason)
{
    char hex[KT_ID_HEX];
    json_t *row = json_pack ("{s:s, s:s, s:s, s:I}", "id", w->correction_id, "case_ref",
                             w->case_ref, "signal", kt_hex (hex, w->signal_id, KT_ID_LEN),
                             "decided_ms", (json_int_t) w->decided_ms);
    return row && json_array_append_new (arg, row) == 0 ? 0 : kt_fail (reason, "out of memory");
}

/*  Whether the withdrawal w ({id, case_ref, signal, decided_ms}) left a
 *  destruction owed that nothing marked: the representative withdrew
 *  the signal (SIGNAL_WITHDRAWN logged it, withdrawn holds those), it
 *  was the subject's newest deletion of a whole signal (its caller's
 *  list), and the subject is still there, active, with no signal, no
 *  decision and no case: what s_destroy_if_empty would destroy.  1, 0,
 *  -1. */
static int
s_owed_unmarked (node_t *self, json_t *withdrawn, json_t *w, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *case_ref = json_string_value (json_object_get (w, "case_ref"));
    char key[KT_ID_HEX + 48];
    snprintf (key, sizeof key, "%s/%.40s", json_string_value (json_object_get (w, "signal")),
              case_ref);
    if (!json_object_get (withdrawn, key))
        return 0;
    lifecycle_subject_t subject;
    int found = lifecycle_subject (u->lifecycle, case_ref, &subject, reason);
    if (found <= 0 || subject.state != LIFECYCLE_ACTIVE || subject.facts.agendered ||
        subject.facts.decided)
        return found < 0 ? -1 : 0;
    int left = weegploeg_case_has_signals (u->weegploeg, case_ref, reason);
    int decided = left == 0 ? decision_on_case (u->decision, case_ref, reason) : 0;
    return left < 0 || decided < 0 ? -1 : !left && !decided;
}

/*  art. 7.2a, once after an upgrade: a withdrawal decided before the
 *  withdrawal's commit recorded its subject's destruction as owed
 *  (correction migration 3), whose destruction could not begin then (a
 *  crash, a failed write, a correction step owed), was left to art.
 *  13.3's six months.  Marked now as its commit would have marked it,
 *  so the caller destroys the subject as any owed one.  The correction
 *  rows do not say whose a withdrawal was - the signal, which did, is
 *  deleted - so the provenance log does: SIGNAL_WITHDRAWN is logged for
 *  the representative's withdrawal only, before it is decided.  Nothing
 *  else is marked: a subject with a signal left, a decision or a case
 *  (art. 13 takes it), or whose last signal went by the police's own
 *  withdrawal or the uitvoerder's correction, also after a
 *  representative's withdrawal that left a signal. */
static int
s_mark_unmarked (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    int pending = correction_backfill_pending (u->correction, reason);
    if (pending <= 0)
        return pending;
    json_t *rows = json_array (), *withdrawn = json_object (), *marked = json_array ();
    int rc = rows && withdrawn && marked ? 0 : kt_fail (reason, "out of memory");
    if (rc == 0)
        rc = correction_each_last_withdrawal (u->correction, s_last_withdrawal, rows, reason);
    if (rc == 0 && json_array_size (rows))
        rc = provlog_each_event (u->log, KETEN__LOG_EVENT__SIGNAL_WITHDRAWN, 0, UINT64_MAX, false,
                                 (size_t) INT64_MAX, s_withdrawn_entry, withdrawn, reason);
    size_t i;
    json_t *w;
    json_array_foreach (rows, i, w)
    {
        int owed = rc == 0 ? s_owed_unmarked (self, withdrawn, w, reason) : 0;
        if (owed < 0)
            rc = -1;
        else if (owed && json_array_append (marked, w) != 0)
            rc = kt_fail (reason, "out of memory");
    }
    const char **ids = rc == 0 ? calloc (json_array_size (marked) + 1, sizeof *ids) : NULL;
    if (rc == 0 && !ids)
        rc = kt_fail (reason, "out of memory");
    json_array_foreach (marked, i, w)
    {
        if (ids)
            ids[i] = json_string_value (json_object_get (w, "id"));
    }
    if (rc == 0)
        rc = correction_backfill_done (u->correction, ids, json_array_size (marked), reason);
    json_array_foreach (marked, i, w)
    {
        if (rc == 0)
            kt_log (KT_LOG_INFO,
                    "withdrawal destroy_owed_marked case_ref=%s withdrawn_ms=%lld "
                    "reason=\"withdrawn before its commit marked the destruction\"",
                    json_string_value (json_object_get (w, "case_ref")),
                    (long long) json_integer_value (json_object_get (w, "decided_ms")));
    }
    if (rc == 0)
        kt_log (KT_LOG_INFO, "withdrawal destroy_owed_looked withdrawals=%zu marked=%zu",
                json_array_size (rows), json_array_size (marked));
    free (ids);
    json_decref (rows);
    json_decref (withdrawn);
    json_decref (marked);
    return rc;
}

int
uitvoerder_correction_destroy_owed (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->correction || !u->lifecycle)
        return 0;
    /*  Marked once, at the first start that can: then they are owed as
     *  any.  One that fails is tried again by the next run. */
    kt_reason_t why_marked;
    int unmarked = s_mark_unmarked (self, &why_marked);
    if (unmarked != 0)
        kt_log (KT_LOG_ERROR, "withdrawal destroy_owed_unmarked reason=\"%s\"", why_marked.text);
    json_t *refs = json_array ();
    if (!refs)
        return kt_fail (reason, "out of memory");
    int rc = correction_each_destroy_owed (u->correction, uitvoerder_ref_row, refs, reason);
    /*  The withdrawals' own steps first (a notice that could not be kept,
     *  a step's record that failed): the destruction waits for them. */
    kt_reason_t why;
    if (rc == 0 && json_array_size (refs) && s_resume (self, &why) != 0)
        kt_log (KT_LOG_ERROR, "correction resume_failed reason=\"%s\"", why.text);
    int failed = 0;
    size_t i;
    json_t *ref;
    json_array_foreach (refs, i, ref)
    {
        if (rc != 0)
            break;
        const char *case_ref = json_string_value (ref);
        lifecycle_state_t state;
        int known = lifecycle_state (u->lifecycle, case_ref, &state, &why);
        int done = 0;
        if (known == 0 || (known > 0 && state == LIFECYCLE_DESTROYED))
            /*  Merged away into another subject, or destroyed: nothing of
             *  this case_ref is left to destroy. */
            done = correction_destroy_settled (u->correction, case_ref, &why);
        else if (known > 0 && state == LIFECYCLE_DESTROYING)
            /*  Under way: completed with every destruction under way. */
            continue;
        else if (known > 0)
            done = s_destroy_if_empty (self, case_ref, &why);
        else
            done = -1;
        if (done < 0)
            kt_log (KT_LOG_ERROR, "withdrawal destroy_failed case_ref=%s reason=\"%s\"", case_ref,
                    why.text);
        else if (done > 0)
            snprintf (why.text, sizeof why.text,
                      "the destruction of %.24s waits for a correction step of its subject",
                      case_ref);
        if (done != 0 && !failed++)
            *reason = why;
    }
    json_decref (refs);
    if (rc == 0 && !failed && unmarked != 0) {
        *reason = why_marked;
        return -1;
    }
    return rc != 0 || failed ? -1 : 0;
}

/*  uitvoerder_on_correction's verdict for a correction whose signal is
 *  not stored yet: no receipt, so that its sender sends it again. */
#define S_WAIT 2

void
uitvoerder_on_correction (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_member_t *sender = m->peer->member;
    const Keten__CorrectionNotice *n = (const Keten__CorrectionNotice *) m->body;
    const uint8_t *id = m->opened.id;
    kt_reason_t reason, why;
    uint64_t index = 0;
    char done_id[24], case_ref[40] = "", owner[65] = "";
    bool representative = false; /* a spool signal's withdrawal (art. 7.2a) */
    /*  A retry of a correction already decided (its receipt was lost):
     *  answered again with its first log index. */
    int seen = correction_of_message (u->correction, id, done_id, &reason);
    correction_decision_t d = {0};
    int verdict = seen < 0 ? -1 : 0;
    if (verdict == 0 && !seen) {
        /*  art. 12.5: only the signal's own sender; a correction or a
         *  withdrawal (a deletion) of an item or of the whole signal. */
        int found =
            weegploeg_signal_owner (u->weegploeg, n->signal_id.data, case_ref, owner, &reason);
        /*  Not stored (yet): a signal deleted since is refused for good;
         *  any other may still be on its way - a withdrawal sent while
         *  its signal waited for a receipt can overtake it (in one drain,
         *  whose arrivals are stored at its end, or past a retry of the
         *  signal after a lost link or a restart) - so it gets no receipt
         *  and its sender sends it again (WAIT). */
        int gone =
            found == 0 ? weegploeg_signal_deleted (u->weegploeg, n->signal_id.data, &reason) : 0;
        if (found < 0 || gone < 0)
            verdict = -1;
        else if (gone)
            verdict = (kt_fail (&reason, "art. 12.5: the signal is deleted already (withdrawn, "
                                         "corrected away or destroyed)"),
                       1);
        else if (!found)
            verdict = S_WAIT;
        else if (strcmp (owner, sender->id) != 0)
            verdict = (kt_fail (&reason,
                                "art. 12.5: %s corrects only the signals it sent; this is not one",
                                sender->id),
                       1);
        else if (n->action != KETEN__CORRECTION_ACTION__CORRECT &&
                 n->action != KETEN__CORRECTION_ACTION__DELETE)
            verdict = (kt_fail (&reason, "a signal's sender corrects or withdraws it; blocking "
                                         "and adding are the uitvoerder's decisions"),
                       1);
        else if (*n->case_ref && strcmp (n->case_ref, case_ref) != 0)
            verdict = (kt_fail (&reason, "the signal is not one of that case_ref"), 1);
        if (verdict == 0 && n->whole_signal)
            verdict = s_representative_check (self, n->signal_id.data, &representative, &reason);
        if (verdict == 0 && n->action == KETEN__CORRECTION_ACTION__CORRECT)
            verdict = s_wpg_release_check (self, n, &reason);
        if (verdict == 0) {
            snprintf (d.change.case_ref, sizeof d.change.case_ref, "%s", case_ref);
            memcpy (d.change.signal_id, n->signal_id.data, KT_ID_LEN);
            d.change.action = n->action;
            d.change.whole_signal = n->whole_signal;
            d.change.item_index = n->item_index;
            d.change.item = n->item;
            d.request_id = "";
            d.reason = n->reason;
            d.decided_by = sender->id;
            d.message_id = id;
            d.sender_user = n->os_user;
            d.om_officer = n->om_officer;
            d.bevoegd_functionaris = n->bevoegd_functionaris;
            d.decided_ms = kt_now_ms ();
            /*  art. 7.2a: the subject's destruction is owed from the
             *  withdrawal's own commit on (correction_decide: one commit
             *  on the weegploeg file, the signal's deletion and the mark
             *  together).  A crash before that commit leaves neither,
             *  and the police node's retry decides both; a crash after
             *  it leaves the mark, whatever became of the destruction
             *  (the retry is then answered as seen), and the next start
             *  or retention run destroys the subject
             *  (s_destroy_if_empty, uitvoerder_correction_destroy_owed). */
            d.destroy_owed = representative;
            /*  Every rule first; only a correction that passes is logged
             *  as received (docs/ARCHITECTURE.md, Crash reasoning 2). */
            if (correction_check (u->correction, &d, &reason) != 0)
                verdict = 1;
        }
    }
    if (verdict == S_WAIT) {
        kt_log (KT_LOG_INFO,
                "correction waits id=%s from=%s: its signal is not stored here yet; the sender "
                "sends it again",
                m->hex, sender->id);
        return;
    }
    if (verdict > 0) {
        self->role->refuse (self, m, "correction", reason.text);
        node_send_batch (self);
        return;
    }
    if (verdict == 0) {
        verdict = s_log_received (self, sender, &m->opened, case_ref, n->os_user, &index, &reason);
        if (verdict > 0) {
            uitvoerder_receipt (self, m->link, sender->id, id, false, 0,
                                "this message id is already used for a different message");
            node_send_batch (self);
            return;
        }
    }
    if (verdict == 0 && !seen && representative &&
        s_log_withdrawn (self, sender, n->signal_id.data, case_ref, n->os_user) != 0)
        verdict = kt_fail (&reason, "the withdrawal could not be logged");
    if (verdict == 0 && !seen)
        verdict = s_decide (self, &d, &reason);
    if (verdict == 0 && !seen && representative && s_destroy_if_empty (self, case_ref, &why) < 0)
        /*  Owed since the withdrawal's commit: tried again at the next
         *  start or retention run.  The withdrawal itself is done. */
        kt_log (KT_LOG_ERROR, "withdrawal destroy_failed case_ref=%s reason=\"%s\"", case_ref,
                why.text);
    if (verdict == 0) {
        kt_log (KT_LOG_INFO, "correction by_sender id=%s from=%s log_index=%llu", m->hex,
                sender->id, (unsigned long long) index);
        uitvoerder_receipt (self, m->link, sender->id, id, true, index, NULL);
    } else
        /*  No receipt: the sender retries, and finds its log entry. */
        kt_log (KT_LOG_ERROR, "correction failed id=%s reason=\"%s\"", m->hex, reason.text);
    node_send_batch (self);
}

int
uitvoerder_correction_redo (node_t *self, const Keten__CorrectionNotice *n, const char *detail,
                            kt_reason_t *reason)
{
    json_t *j = json_loads (detail, 0, NULL);
    const char *request = json_string_value (json_object_get (j, "request_id"));
    const char *by = json_string_value (json_object_get (j, "decided_by"));
    const char *msg = json_string_value (json_object_get (j, "message_id"));
    uint8_t message_id[KT_ID_LEN];
    correction_decision_t d = {0};
    snprintf (d.change.case_ref, sizeof d.change.case_ref, "%s", n->case_ref);
    if (n->signal_id.len == KT_ID_LEN)
        memcpy (d.change.signal_id, n->signal_id.data, KT_ID_LEN);
    d.change.action = n->action;
    d.change.whole_signal = n->whole_signal;
    d.change.item_index = n->item_index;
    d.change.item = n->item;
    d.request_id = request ? request : "";
    d.reason = n->reason;
    d.decided_by = by && *by ? by : "restore";
    d.message_id = msg && kt_unhex (message_id, KT_ID_LEN, msg) == 0 ? message_id : NULL;
    d.decided_ms = n->decided_ms;
    d.sender_user = n->os_user;
    d.om_officer = n->om_officer;
    d.bevoegd_functionaris = n->bevoegd_functionaris;
    /*  art. 7.2a: the representative's withdrawal owes its subject's
     *  destruction from its commit on, decided again as much as the first
     *  time: the start's retention run carries it out
     *  (uitvoerder_correction_destroy_owed), where the backup may hold the
     *  subject from before the withdrawal.  A journal entry from before
     *  keten noted it says nothing: the rule is asked again, on the
     *  signal as the restored files hold it. */
    json_t *owed = json_object_get (j, "destroy_owed");
    d.destroy_owed = json_is_true (owed);
    /*  A signal that came after the backup is not in the restored files:
     *  there is nothing of it to correct.  Any other failure stops the
     *  start (the replay goes on from here at the next one). */
    char owner_ref[40], owner[65];
    int found = n->signal_id.len == KT_ID_LEN
                    ? weegploeg_signal_owner (uitvoerder_of (self)->weegploeg, n->signal_id.data,
                                              owner_ref, owner, reason)
                    : 0;
    /*  Decided already: the replay was cut off after this decision's
     *  commit and before its progress was recorded. */
    int recorded =
        found > 0 ? correction_recorded (uitvoerder_of (self)->correction, &d, reason) : 0;
    if (recorded != 0) {
        json_decref (j);
        return recorded < 0 ? -1 : 0;
    }
    int rc = found < 0 ? -1 : 0;
    kt_reason_t why;
    if (found == 0)
        kt_log (KT_LOG_WARN,
                "restore correction_skipped case_ref=%s reason=\"the signal is not "
                "in the restored files\"",
                n->case_ref);
    else if (found > 0 && correction_check (uitvoerder_of (self)->correction, &d, &why) != 0)
        /*  Its rules refuse it on the restored files (deterministic: a
         *  retry would too); said, not a reason to stay down. */
        kt_log (KT_LOG_ERROR, "restore correction_refused case_ref=%s reason=\"%s\"", n->case_ref,
                why.text);
    else if (found > 0) {
        bool representative = false;
        if (!owed && d.message_id && d.change.whole_signal &&
            d.change.action == KETEN__CORRECTION_ACTION__DELETE &&
            s_representative_check (self, d.change.signal_id, &representative, &why) == 0)
            d.destroy_owed = representative;
        rc = s_decide_as (self, &d, false, reason);
    }
    json_decref (j);
    return rc;
}
