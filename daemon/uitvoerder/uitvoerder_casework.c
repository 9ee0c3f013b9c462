/*  uitvoerder_casework: the convenant parties decide their casework
 *  themselves (art. 4: the kernpartijen are jointly the controller; the
 *  uitvoerder keeps the files "onder verantwoordelijkheid en in naam van"
 *  them).  Each decision comes as a CASE_DECISION signed at the deciding
 *  party's own node; the uitvoerder checks it against its files, keeps it,
 *  and acts on it:
 *
 *  - consent (art. 10.5): the party that supplied items to a case (its
 *    own signal or contribution) consents to pass them to a named externe
 *    casuspartner, with the necessity and the kinds of data.  `case.disclose`
 *    (uitvoerder_disclose.c) then passes only items that have the consent
 *    of the party they came from, taken from the uitvoerder's own files as
 *    supplied.
 *  - share (art. 9.2, 10.4): a participant shares items it supplied
 *    itself with named participants of the case; the uitvoerder checks
 *    and passes them on as supplied (uitvoerder_disclose.c, the way of a
 *    disclosure).  A consent may name any participant too: the
 *    uitvoerder's own share (`case.share`) passes only consented items.
 *  - closure (art. 9.4): the uitvoerder records the casusoverleg's advice
 *    (`case.advise`) and sends it to the kernpartijen involved; each
 *    decides close or continue at its own node; the case closes when each
 *    of them decided close on the current advice.
 *
 *  "Involved" is defined once, in s_involved: the participants of the case
 *  (as the casusoverleg file holds them) that are kernpartijen in the
 *  roster in force and active members now.
 */
#include "uitvoerder.h"

#include "casework.h"
#include "intake.h"
#include "intake_rules.h"
#include "itemref.h"
#include "items.h"
#include "plan.h"
#include "policy.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- who decides ------------------------------------------------------------ */

/*  art. 9.4: the kernpartijen involved in a case: its participants that
 *  are kernpartijen of the roster in force and active members now (one
 *  that left cannot decide any more).  Borrowed from info. */
static size_t
s_involved (node_t *self, const casus_info_t *info, const char **out)
{
    const roster_t *roster = keyring_roster (self->keyring);
    size_t n = 0;
    for (size_t i = 0; i < info->n_participants; i++) {
        const roster_member_t *m = roster_find (roster, info->participants[i]);
        if (m && m->role == ROLE_KERNPARTIJ && roster_member_active (m, kt_now_ms ()))
            out[n++] = info->participants[i];
    }
    return n;
}

static bool
s_listed (const char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (list[i], id) == 0)
            return true;
    return false;
}

/*  The decisions on one advice, collected. */
typedef struct {
    const char *who[CASUS_MAX_PARTICIPANTS];
    char ids[CASUS_MAX_PARTICIPANTS][65];
    bool close[CASUS_MAX_PARTICIPANTS];
    size_t n;
} votes_t;

static int
s_vote_row (void *arg, const casework_vote_t *vote, kt_reason_t *reason)
{
    (void) reason;
    votes_t *v = arg;
    if (v->n == CASUS_MAX_PARTICIPANTS)
        return 1;
    snprintf (v->ids[v->n], sizeof v->ids[0], "%s", vote->sender);
    v->who[v->n] = v->ids[v->n];
    v->close[v->n] = vote->close;
    v->n++;
    return 0;
}

/*  1 when each of the n_involved kernpartijen decided close in votes. */
static bool
s_all_close (const votes_t *v, const char *const *involved, size_t n_involved)
{
    if (n_involved == 0)
        return false;
    for (size_t i = 0; i < n_involved; i++) {
        bool closes = false;
        for (size_t j = 0; j < v->n; j++)
            if (strcmp (v->ids[j], involved[i]) == 0)
                closes = v->close[j];
        if (!closes)
            return false;
    }
    return true;
}

/*  The clear advised_ms of case_ref's current advice (0: none). */
static int
s_advised_ms_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(uint64_t *) arg = (uint64_t) sqlite3_column_int64 (q, 0);
    return 0;
}

static int
s_advised_ms (sqlite3 *db, const char *case_ref, uint64_t *ms, kt_reason_t *reason)
{
    *ms = 0;
    return store_one (db, "SELECT advised_ms FROM closure_advice WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)), s_advised_ms_row, ms, "read the advice",
                      reason) < 0
               ? -1
               : 0;
}

int
uitvoerder_casework_status (node_t *self, const casus_info_t *info, json_t *c, kt_reason_t *reason)
{
    sqlite3 *db = casusoverleg_db (uitvoerder_of (self)->casus);
    uint64_t advised_ms;
    if (s_advised_ms (db, info->case_ref, &advised_ms, reason) != 0)
        return -1;
    if (!advised_ms)
        return 0;
    votes_t v = {0};
    if (casework_each_vote (db, info->case_ref, advised_ms, s_vote_row, &v, reason) != 0)
        return -1;
    const char *involved[CASUS_MAX_PARTICIPANTS];
    size_t n = s_involved (self, info, involved);
    json_t *decided = json_array (), *still_to = json_array ();
    for (size_t i = 0; i < v.n; i++)
        json_array_append_new (decided, json_pack ("{s:s, s:s}", "party", v.ids[i], "decision",
                                                   v.close[i] ? "close" : "continue"));
    for (size_t i = 0; i < n; i++)
        if (!s_listed (v.who, v.n, involved[i]))
            json_array_append_new (still_to, json_string (involved[i]));
    json_object_set_new (c, "closure_advice",
                         json_pack ("{s:I, s:o, s:o}", "advised_ms", (json_int_t) advised_ms,
                                    "decided", decided, "still_to_decide", still_to));
    return 0;
}

/* ---- receiving a decision ----------------------------------------------------- */

/*  What a recipient of role is, in a reason: "an externe casuspartner". */
static const char *
s_role_words (roster_role_t role)
{
    return role == ROLE_EXTERN        ? "an externe casuspartner"
           : role == ROLE_CASUSPARTIJ ? "a casuspartij"
                                      : "a kernpartij";
}

/*  An item of a supplied message, taken out for to: the index, or the
 *  message's effective legal basis, and whether it may go to a recipient
 *  of to's role at all.  Reasons name ids, indexes and the recipient,
 *  never the data. */
int
uitvoerder_casework_item_ok (const casusoverleg_supplied_t *s, const uint8_t id[KT_ID_LEN],
                             uint32_t index, const roster_member_t *to, kt_reason_t *reason)
{
    char name[KT_ID_HEX + 8];
    itemref_format (name, sizeof name, id, (long) index);
    Keten__SignalItem **items = s->signal ? s->signal->items : s->contribution->items;
    size_t n = s->signal ? s->signal->n_items : s->contribution->n_items;
    const char *basis = s->signal ? s->signal->legal_basis : s->contribution->legal_basis;
    if (index >= n)
        return kt_fail (reason, "item %s: the message has %zu items (0..%zu)", name, n,
                        n ? n - 1 : 0);
    const Keten__SignalItem *it = items[index];
    /*  art. 12.5: a blocked or deleted item goes nowhere. */
    if (it->blocked || it->deleted)
        return kt_fail (reason, "item %s is blocked or deleted (art. 12.5)", name);
    /*  art. 6b, Wpg art. 16 and 18.2: art. 9/10 Wpg data goes to the
     *  college of the gemeente concerned and to the OM only (and stays
     *  the police's own); never to a casuspartij, an externe
     *  casuspartner or another gemeente.  Its basis is the Wpg
     *  machtigingsbesluit, so the table below is not asked. */
    if (s->signal && s->signal->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10) {
        const char *municipality = s->signal->subject ? s->signal->subject->municipality : "";
        if (!weegploeg_kernpartij_sees (to, municipality))
            return kt_fail (reason,
                            "item %s is art. 9/10 Wpg data, which goes to the gemeente concerned "
                            "and the OM only, never to %s, %s (art. 6b)",
                            name, to->id,
                            to->role == ROLE_KERNPARTIJ ? "another gemeente"
                                                        : s_role_words (to->role));
        return 0;
    }
    /*  The legal basis's own reach (common/intake_rules.c): whatever is
     *  passed on here is passed on inside the casusoverleg (art. 9.2,
     *  10.4-10.5), to a kernpartij as much as to a casuspartij - so art.
     *  18.2 Wpg data (the weegploeg's only) never, and police and judicial
     *  data never to an externe casuspartner. */
    intake_purpose_t purpose =
        to->role == ROLE_EXTERN ? INTAKE_PURPOSE_EXTERN : INTAKE_PURPOSE_CASUSOVERLEG;
    const char *b = *it->legal_basis ? it->legal_basis : basis;
    if (!intake_basis_allows (b, purpose))
        return kt_fail (reason,
                        "item %s is held under %s, which does not allow sharing with %s (%s) in "
                        "the casusoverleg",
                        name, b, s_role_words (to->role), to->id);
    return 0;
}

/*  art. 10.5: the recipient of a disclosure: an externe casuspartner
 *  taking part in the case and still an active member. */
int
uitvoerder_casework_extern_of (node_t *self, const casus_info_t *info, const char *to_id,
                               const roster_member_t **to_p, kt_reason_t *reason)
{
    const roster_member_t *to = roster_find (keyring_roster (self->keyring), to_id);
    if (!to || to->role != ROLE_EXTERN || !casus_info_has (info, to_id))
        return kt_fail (reason,
                        "%.64s is not an externe casuspartner of case %s (a participant gets "
                        "items by keten case share)",
                        to_id, info->case_ref);
    /*  art. 15.2c, 18.2: a member that left (or was revoked) gets nothing. */
    if (!roster_member_active (to, kt_now_ms ()))
        return kt_fail (reason, "%s is no longer an active member of the federation (left %s)",
                        to->id, to->leaves_at);
    *to_p = to;
    return 0;
}

int
uitvoerder_casework_recipient_of (const roster_t *roster, const casus_info_t *info,
                                  const char *from, const char *to_id, bool externs,
                                  uint64_t now_ms, const roster_member_t **to_p,
                                  kt_reason_t *reason)
{
    const roster_member_t *to = roster_find (roster, to_id);
    /*  art. 9.2, 10.4: the participants of the case, as its file holds
     *  them; the uitvoerder keeps the file and is no participant. */
    if (!to || to->role == ROLE_UITVOERDER || !casus_info_has (info, to_id))
        return kt_fail (reason, "%.64s is not a participant of case %s", to_id, info->case_ref);
    if (strcmp (to->id, from) == 0)
        return kt_fail (reason, "%s supplied the items itself; name another participant", to->id);
    /*  art. 10.5: an externe casuspartner has the plan, and other data
     *  only through a disclosure on its source's consent. */
    if (to->role == ROLE_EXTERN && !externs)
        return kt_fail (reason,
                        "%s is an externe casuspartner: it gets data other than the plan by a "
                        "disclosure (art. 10.5: keten case consent at the supplying party's node, "
                        "then keten case disclose), not by a share",
                        to->id);
    /*  art. 15.2c, 18.2: a member that left (or was revoked) gets nothing. */
    if (!roster_member_active (to, now_ms))
        return kt_fail (reason, "%s is no longer an active member of the federation (left %s)",
                        to->id, to->leaves_at);
    *to_p = to;
    return 0;
}

/*  A consent, checked against the casusoverleg file: every item the
 *  sender's own (art. 10.5: only the party the data came from consents to
 *  its disclosure), in the case, and fit to go to an externe
 *  casuspartner.  *items_p (heap, caller frees) lists each item covered.
 *  0, 1 refused (reason), -1 storage error. */
static int
s_check_consent (node_t *self, const roster_member_t *sender, const Keten__CaseDecision *d,
                 const casus_info_t *info, const uint8_t key[KEYSTORE_KEY_LEN],
                 casework_item_t **items_p, size_t *n_p, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const Keten__ConsentDecision *c = d->consent;
    *items_p = NULL;
    *n_p = 0;
    /*  art. 10.5 (an externe casuspartner) and 9.2, 10.4 (a participant,
     *  for the casusoverleg's share, uitvoerder_disclose.c). */
    const roster_member_t *to;
    if (uitvoerder_casework_recipient_of (keyring_roster (self->keyring), info, sender->id, c->to,
                                          true, kt_now_ms (), &to, reason) != 0)
        return 1;
    size_t cap = c->n_items * POLICY_MAX_ITEMS;
    casework_item_t *items = calloc (cap, sizeof *items);
    if (!items)
        return kt_fail (reason, "out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->n_items; i++) {
        const Keten__ItemRef *r = c->items[i];
        const uint8_t *id = r->message_id.data;
        char name[KT_ID_HEX + 8];
        itemref_format (name, sizeof name, id, r->all_items ? -1 : (long) r->index);
        casusoverleg_supplied_t s;
        int found = casusoverleg_supplied (u->casus, d->case_ref, id, key, &s, reason);
        if (found < 0) {
            rc = -1;
            break;
        }
        if (found == 0) {
            kt_fail (reason, "item %s is not a signal or contribution of case %s", name,
                     d->case_ref);
            rc = 1;
            break;
        }
        if (strcmp (s.sender, sender->id) != 0) {
            kt_fail (reason,
                     "art. 10.5: item %s came from %s; only the party that supplied it consents "
                     "to its disclosure, not %s",
                     name, s.sender, sender->id);
            rc = 1;
        }
        size_t count = s.signal ? s.signal->n_items : s.contribution->n_items;
        for (uint32_t k = r->all_items ? 0 : r->index;
             rc == 0 && k < (r->all_items ? count : r->index + 1); k++) {
            /*  A whole message passes its disclosable items; a blocked or
             *  deleted one is left out, any other refusal counts. */
            const Keten__SignalItem *it = (s.signal ? s.signal->items : s.contribution->items)[k];
            if (r->all_items && (it->deleted || it->blocked))
                continue;
            if (uitvoerder_casework_item_ok (&s, id, k, to, reason) != 0)
                rc = 1;
            else if (n == cap) {
                /*  A message grown by corrections past the bounds. */
                kt_fail (reason, "a consent covers at most %zu items", cap);
                rc = 1;
            } else {
                memcpy (items[n].source_id, id, KT_ID_LEN);
                items[n++].index = k;
            }
        }
        casusoverleg_supplied_free (&s);
    }
    if (rc == 0 && n == 0) {
        kt_fail (reason, "the consent covers no item that can be disclosed");
        rc = 1;
    }
    if (rc != 0) {
        free (items);
        return rc;
    }
    *items_p = items;
    *n_p = n;
    return 0;
}

/*  A closure decision, checked: art. 9.4, a kernpartij involved in the
 *  case, answering the advice now on record.  0, 1 refused, -1. */
static int
s_check_vote (node_t *self, const roster_member_t *sender, const Keten__CaseDecision *d,
              const casus_info_t *info, kt_reason_t *reason)
{
    if (sender->role != ROLE_KERNPARTIJ) {
        kt_fail (reason, "art. 9.4: the kernpartijen decide on closure; %s is not a kernpartij",
                 sender->id);
        return 1;
    }
    uint64_t advised_ms;
    if (s_advised_ms (casusoverleg_db (uitvoerder_of (self)->casus), d->case_ref, &advised_ms,
                      reason) != 0)
        return -1;
    if (!advised_ms) {
        kt_fail (reason, "art. 9.4: the casusoverleg has not advised on closing case %s",
                 info->case_ref);
        return 1;
    }
    if (d->closure->advised_ms != advised_ms) {
        kt_fail (reason,
                 "the decision answers an advice on case %s that is no longer the current one; "
                 "decide on the current advice",
                 info->case_ref);
        return 1;
    }
    return 0;
}

/*  Keep what was received and logged at index, in one transaction; a
 *  closure decision that completes the kernpartijen's decisions records
 *  the closure in the same commit (*closed_p), so the case is never
 *  closed without the decision that closed it, nor the reverse. */
static int
s_take (node_t *self, const roster_member_t *sender, const uint8_t id[KT_ID_LEN],
        const Keten__CaseDecision *d, const casus_info_t *info, const uint8_t key[KEYSTORE_KEY_LEN],
        const casework_item_t *items, size_t n_items, uitvoerder_share_t *share, uint64_t index,
        bool *closed_p, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    sqlite3 *db = casusoverleg_db (u->casus);
    *closed_p = false;
    if (store_begin (db, reason) != 0)
        return -1;
    int rc = 0;
    if (d->consent)
        rc = casework_store_consent (db, key, id, sender->id, d, items, n_items, index, reason);
    else if (d->share) {
        /*  The share decision with what goes to each recipient, in one
         *  commit: from here on its sending is resumed on start until it
         *  is done (the disclosure's way). */
        rc = casework_store_share (db, key, id, sender->id, d, index, reason);
        if (rc == 0)
            rc = uitvoerder_share_record (self, share, (uint32_t) getuid (), reason);
    } else
        rc = casework_store_vote (db, key, id, sender->id, d, index, reason);
    Keten__CaseClosure *advice = NULL;
    if (rc == 0 && d->closure && d->closure->choice == KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE) {
        votes_t v = {0};
        const char *involved[CASUS_MAX_PARTICIPANTS];
        size_t n = s_involved (self, info, involved);
        rc = casework_each_vote (db, d->case_ref, d->closure->advised_ms, s_vote_row, &v, reason);
        if (rc == 0 && s_all_close (&v, involved, n)) {
            rc = casework_advice (db, key, d->case_ref, &advice, NULL, reason) == 1 ? 0 : -1;
            if (rc == 0) {
                /*  art. 9.4, 10.2h: closed on the advice, by each
                 *  kernpartij involved. */
                Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
                c.case_ref = d->case_ref;
                c.advice = advice->advice;
                c.decided_by = (char **) involved;
                c.n_decided_by = n;
                c.closed_ms = kt_now_ms ();
                c.advised_ms = advice->advised_ms;
                rc = casusoverleg_close (u->casus, &c, reason);
                rc = rc ? rc : uitvoerder_figure_closed (self, d->case_ref, c.closed_ms, reason);
                *closed_p = rc == 0;
            }
        }
    }
    if (advice)
        keten__case_closure__free_unpacked (advice, NULL);
    if (rc != 0 || store_commit (db, reason) != 0) {
        store_rollback (db);
        *closed_p = false;
        return -1;
    }
    return 0;
}

void
uitvoerder_on_case_decision (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    member_link_t *link = m->link;
    const roster_member_t *sender = m->peer->member;
    const envelope_opened_t *opened = &m->opened;
    const Keten__CaseDecision *d = (const Keten__CaseDecision *) m->body;
    kt_reason_t reason;
    char hex[KT_ID_HEX];
    kt_hex (hex, opened->id, KT_ID_LEN);
    uint64_t index = 0;
    int seen = casework_seen (casusoverleg_db (u->casus), opened->id, sender->id, &index);
    if (seen < 0) {
        /*  The file cannot say: no receipt, the sender retries. */
        kt_log (KT_LOG_ERROR, "case_decision lookup_failed id=%s", hex);
        return;
    }
    if (seen != 0) {
        /*  A retry: answer again; an id reused by someone else: refuse. */
        uitvoerder_receipt (self, link, sender->id, opened->id, seen == 1, seen == 1 ? index : 0,
                            seen == 1 ? NULL : "this message id is already used");
        node_send_batch (self);
        return;
    }
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    bool have_key = false, closed = false;
    casework_item_t *items = NULL;
    size_t n_items = 0;
    uitvoerder_share_t *share = NULL;
    /*  Every rule first (0: take it, 1: refused, -1: storage error); only
     *  what passes them all is logged as received. */
    int verdict = 1;
    if (casusoverleg_case (u->casus, d->case_ref, &info, key, &reason) != 0) {
        /*  No case (or an archived one) is a refusal, in words of our own
         *  (the case_ref may be the sender's text); a file that cannot say
         *  (a storage or key error) is not. */
        verdict = casusoverleg_case_known (u->casus, d->case_ref) == 0 ? 1 : -1;
        if (verdict > 0)
            kt_fail (&reason, "no such case");
    } else {
        have_key = true;
        if (!casus_info_has (&info, sender->id))
            kt_fail (&reason, "%s is not a participant of case %s", sender->id, d->case_ref);
        else if (info.closed)
            kt_fail (&reason, "case %s is closed", d->case_ref);
        else if (d->consent)
            verdict = s_check_consent (self, sender, d, &info, key, &items, &n_items, &reason);
        else if (d->share)
            /*  art. 9.2, 10.4: the sender's own items, to participants. */
            verdict = uitvoerder_share_prepare (self, &info, key, sender->id, d->share->to,
                                                d->share->n_to, d->share->items, d->share->n_items,
                                                d->share->necessity, d->share->data_kinds,
                                                d->share->n_data_kinds, &share, &reason);
        else
            verdict = s_check_vote (self, sender, d, &info, &reason);
    }
    const char *what = d->consent ? "consent"
                       : d->share ? "share"
                       : d->closure->choice == KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE
                           ? "closure: close"
                           : "closure: continue";
    if (verdict > 0)
        uitvoerder_casus_refuse (self, link, sender, opened, d->case_ref, reason.text);
    if (verdict == 0) {
        verdict = uitvoerder_casus_log_received (self, sender, opened, d->case_ref, what, &index,
                                                 &reason);
        if (verdict > 0) {
            if (node_peer_line (self, "case_decision refused", sender->id))
                kt_log (KT_LOG_WARN, "case_decision refused id=%s peer=%s reason=\"id reused\"",
                        hex, sender->id);
            uitvoerder_receipt (self, link, sender->id, opened->id, false, 0,
                                "this message id is already used for a different message");
        }
    }
    if (verdict == 0)
        verdict = s_take (self, sender, opened->id, d, &info, key, items, n_items, share, index,
                          &closed, &reason);
    if (verdict == 0) {
        kt_log (KT_LOG_INFO,
                "case_decision stored id=%s peer=%s case_ref=%s what=\"%s\" log_index=%llu", hex,
                sender->id, d->case_ref, what, (unsigned long long) index);
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
    } else if (verdict < 0)
        /*  No receipt: the sender retries, and finds its log entry. */
        kt_log (KT_LOG_ERROR, "case_decision store_failed id=%s reason=\"%s\"", hex, reason.text);
    if (have_key)
        sodium_memzero (key, sizeof key);
    free (items);
    node_send_batch (self);
    if (share && verdict == 0) {
        /*  Stored and receipted: now logged (SHARED) and sent to each
         *  recipient; what fails is finished on start (disclosure
         *  resume). */
        char user[65];
        access_user_name (getuid (), user, sizeof user);
        if (uitvoerder_share_send (self, share, user, NULL, &reason) != 0)
            kt_log (KT_LOG_ERROR, "share send_failed id=%s reason=\"%s\"", hex, reason.text);
        node_send_batch (self);
    }
    uitvoerder_share_destroy (&share);
    if (closed) {
        /*  Recorded with the last decision: from here on the rest is
         *  resumed on start until it is done (Crash reasoning 7). */
        kt_log (KT_LOG_INFO, "case closed case_ref=%s by=kernpartijen", d->case_ref);
        if (uitvoerder_casus_send_closure (self, d->case_ref, "ketend", NULL, &reason) != 0)
            kt_log (KT_LOG_ERROR, "closure send_failed case_ref=%s reason=\"%s\"", d->case_ref,
                    reason.text);
    }
}

/* ---- the casusoverleg's advice (art. 9.4) ------------------------------------- */

/*  Send the advice of case_ref, recorded and not sent yet, to the
 *  kernpartijen it names, then mark it sent.  Its copies' MESSAGE_SENT
 *  entries are its log, as for a plan version; a resumed send finds the
 *  copies kept before under "advice/CASE_REF/ADVISED_MS". */
static int
s_send_advice (node_t *self, const char *case_ref, const char *os_user, json_t *json,
               kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    sqlite3 *db = casusoverleg_db (u->casus);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    Keten__CaseClosure *a = NULL;
    casus_step_t step = CASUS_STEP_SENT;
    if (casusoverleg_case (u->casus, case_ref, &info, key, reason) != 0)
        return -1;
    int rc = casework_advice (db, key, case_ref, &a, &step, reason) == 1
                 ? 0
                 : kt_fail (reason, "no advice on %s", case_ref);
    sodium_memzero (key, sizeof key);
    if (rc == 0 && step != CASUS_STEP_SENT) {
        copies_t copies = {self, KETEN__MESSAGE_TYPE__CLOSURE, NULL, 0, ""};
        snprintf (copies.origin, sizeof copies.origin, "advice/%s/%llu", case_ref,
                  (unsigned long long) a->advised_ms);
        char *refs[1] = {(char *) case_ref};
        const roster_t *roster = keyring_roster (self->keyring);
        for (size_t i = 0; rc == 0 && i < a->n_to_decide; i++) {
            const roster_member_t *to = roster_find (roster, a->to_decide[i]);
            if (!to || !roster_member_active (to, kt_now_ms ()))
                continue; /* left the federation: it decides nothing any more */
            rc = uitvoerder_copy_add (self, &copies, to, &a->base, refs, 1, false, reason);
        }
        if (rc == 0)
            rc = uitvoerder_copies_send (self, &copies, os_user, json, reason);
        uitvoerder_copies_free (&copies);
        if (rc == 0)
            rc = casework_advice_done (db, case_ref, CASUS_STEP_SENT, reason);
    }
    if (a)
        keten__case_closure__free_unpacked (a, NULL);
    return rc;
}

static int
s_collect (void *arg, const char *text, kt_reason_t *reason)
{
    if (json_array_append_new (arg, json_string (text)) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

void
uitvoerder_resume_advices (node_t *self)
{
    kt_reason_t why;
    json_t *refs = json_array (), *ref;
    if (!refs || casework_each_advice_unsent (casusoverleg_db (uitvoerder_of (self)->casus),
                                              s_collect, refs, &why) != 0)
        kt_log (KT_LOG_ERROR, "advice resume_failed reason=\"%s\"",
                refs ? why.text : "out of memory");
    size_t i;
    json_array_foreach (refs, i, ref)
    {
        const char *case_ref = json_string_value (ref);
        kt_reason_t reason;
        kt_log (KT_LOG_INFO, "advice resume case_ref=%s", case_ref);
        /*  It stays unsent, for the next start; the other cases go on. */
        if (s_send_advice (self, case_ref, "ketend", NULL, &reason) != 0)
            kt_log (KT_LOG_ERROR, "advice resume_failed case_ref=%s reason=\"%s\"", case_ref,
                    reason.text);
    }
    json_decref (refs);
}

/*  case.advise { case_ref, advice }: record the casusoverleg's advice to
 *  close (art. 9.4) and send it to the kernpartijen involved. */
static int
s_advise (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
          kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    sqlite3 *db = casusoverleg_db (u->casus);
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *advice = json_string_value (json_object_get (args, "advice"));
    if (!case_ref)
        return kt_fail (reason, "case.advise needs case_ref");
    if (!advice || !intake_text_ok (advice, 1, 2000, true))
        return kt_fail (reason, "art. 9.4: record the casusoverleg's advice (1..2000 bytes)");
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (u->casus, case_ref, &info, key, reason) != 0)
        return -1;
    int rc = 0;
    Keten__CasePlan *plan = NULL;
    const char *involved[CASUS_MAX_PARTICIPANTS];
    size_t n = s_involved (self, &info, involved);
    if (info.closed)
        rc = kt_fail (reason, "case %s is closed already", case_ref);
    /*  art. 9.4: the casusoverleg advises on the progress of the plan. */
    else if (plan_load (db, case_ref, 0, key, &plan, reason) != 0)
        rc = -1;
    else if (!plan)
        rc = kt_fail (reason,
                      "art. 9.4: the casusoverleg advises on the plan's progress; case %s "
                      "has no plan yet",
                      case_ref);
    else if (n == 0)
        rc = kt_fail (reason, "art. 9.4: no kernpartij takes part in case %s; nobody can decide",
                      case_ref);
    if (plan)
        keten__case_plan__free_unpacked (plan, NULL);
    /*  Later than every advice named before, the closed rounds' of a case
     *  opened again too, also when the clock went back: a decision on an
     *  earlier advice never counts for this one (casework_reopen keeps
     *  them), and a kernpartij keeps only a newer advice. */
    uint64_t last = 0, now = kt_now_ms ();
    if (rc == 0 && casework_advised_last (db, case_ref, &last, reason) != 0)
        rc = -1;
    Keten__CaseClosure a = KETEN__CASE_CLOSURE__INIT;
    a.case_ref = (char *) case_ref;
    a.advice = (char *) advice;
    a.advised_ms = now > last ? now : last + 1;
    a.to_decide = (char **) involved;
    a.n_to_decide = n;
    /*  Recorded first, with its step, in one commit: a crash before the
     *  copies are kept is resumed on start (advice resume). */
    if (rc == 0 && (rc = store_begin (db, reason)) == 0) {
        if (casework_record_advice (db, key, &a, (uint32_t) caller->uid, reason) != 0 ||
            store_commit (db, reason) != 0) {
            store_rollback (db);
            rc = -1;
        }
    }
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return -1;
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    kt_log (KT_LOG_INFO, "advice recorded case_ref=%s user=%s", case_ref, user);
    json_t *sent = json_array (), *to = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (to, json_string (involved[i]));
    json_object_set_new (result, "case_ref", json_string (case_ref));
    json_object_set_new (result, "advised_ms", json_integer ((json_int_t) a.advised_ms));
    json_object_set_new (result, "to_decide", to);
    json_object_set_new (result, "sent_to", sent);
    if (s_send_advice (self, case_ref, user, sent, reason) != 0) {
        kt_reason_t why = *reason;
        kt_log (KT_LOG_ERROR, "advice send_failed case_ref=%s reason=\"%s\"", case_ref, why.text);
        return kt_fail (reason,
                        "the advice on %s is recorded, but not sent to the kernpartijen yet (done "
                        "when ketend next starts): %s",
                        case_ref, why.text);
    }
    return 0;
}

/* ---- the local API -------------------------------------------------------------- */

void
uitvoerder_case_advise (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_advise);
}
