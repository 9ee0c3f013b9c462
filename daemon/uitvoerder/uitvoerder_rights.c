/*  uitvoerder_rights: a kernpartij's decision on the person's rights
 *  (RIGHTS_DECISION).  The kernpartijen are jointly the controller (art.
 *  4); the uitvoerder keeps the files in their name.  So whether a person
 *  can be informed now or only later (art. 11.3-11.5), and whether a
 *  request is granted, partly refused or refused (art. 12.3-12.4), is
 *  decided at a kernpartij's node and arrives here signed by it: it is
 *  recorded as that node's decision (the signer, never a name typed in),
 *  in the provenance log (RIGHTS_DECIDED: ids, the node, its OS user, the
 *  outcome and ground code - no text) and in the register it concerns.
 *  The desk carries it out: `informatieplicht inform` and `request
 *  answer` follow the newest decision and refuse without one.
 *
 *  Order (docs/ARCHITECTURE.md, Crash reasoning 2): every rule first, so
 *  a refused decision is never logged; then the log entry, once per
 *  message (a retry after a crash finds it and gets the same index); then
 *  the register, one commit; then the receipt.  A retry of a recorded
 *  decision is answered with its index, whatever happened since.
 */
#include "uitvoerder.h"

#include "policy.h"

#include <string.h>

static const char *
s_outcome_name (Keten__RightsOutcome o)
{
    switch (o) {
    case KETEN__RIGHTS_OUTCOME__RIGHTS_INFORM:
        return "inform";
    case KETEN__RIGHTS_OUTCOME__RIGHTS_DEFER:
        return "defer";
    case KETEN__RIGHTS_OUTCOME__RIGHTS_GRANT:
        return "grant";
    case KETEN__RIGHTS_OUTCOME__RIGHTS_PARTIAL:
        return "partial";
    case KETEN__RIGHTS_OUTCOME__RIGHTS_REFUSE:
        return "refuse";
    default:
        return "unknown";
    }
}

static int
s_task_ref (void *arg, const infoplicht_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, 40, "%s", row->case_ref);
    return 0;
}

static int
s_request_ref (void *arg, const request_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, 40, "%s", row->case_ref);
    return 0;
}

/*  The decision's entry, once per message; *index_p its index.  1 when
 *  the id is logged for another message. */
static int
s_log (node_t *self, const node_message_t *m, const Keten__RightsDecision *d, const char *case_ref,
       uint64_t *index_p, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const Keten__Header *h = m->opened.header;
    char what[96];
    snprintf (what, sizeof what, "%s %s %s%s%s", *d->task_id ? "informatieplicht" : "request",
              *d->task_id ? d->task_id : d->request_id, s_outcome_name (d->outcome),
              *d->ground ? " " : "", d->ground);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__RIGHTS_DECIDED;
    e.time_ms = kt_now_ms ();
    e.message_id = h->id;
    e.message_type = h->type;
    /*  art. 4: in the name of the kernpartij that signed it. */
    e.node = (char *) m->peer->member->id;
    e.os_user = d->os_user;
    e.case_ref = (char *) case_ref;
    e.what = what;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) m->opened.leaf_hash;
    e.header_hash.len = 32;
    return provlog_log_received (u->log, &e, index_p, reason);
}

void
uitvoerder_on_rights_decision (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_member_t *sender = m->peer->member;
    const Keten__RightsDecision *d = (const Keten__RightsDecision *) m->body;
    const uint8_t *id = m->opened.id;
    bool task = *d->task_id != '\0';
    kt_reason_t reason;
    uint64_t index = 0;
    uint64_t now = kt_now_ms ();

    /*  A retry of a decision recorded: answered as it was. */
    int known = task ? infoplicht_decision_find (u->infoplicht, id, &index, &reason)
                     : request_decision_find (u->requests, id, &index, &reason);
    if (known > 0) {
        uitvoerder_receipt (self, m->link, sender->id, id, true, index, NULL);
        node_send_batch (self);
        return;
    }
    char case_ref[40] = "";
    char withhold[POLICY_MAX_WITHHOLD * (KT_ID_HEX + 1) + 1] = "";
    for (size_t i = 0; i < d->n_withhold; i++) {
        char hex[KT_ID_HEX];
        kt_hex (hex, d->withhold[i].data, KT_ID_LEN);
        size_t at = strlen (withhold);
        snprintf (withhold + at, sizeof withhold - at, "%s%s", i ? "," : "", hex);
    }
    infoplicht_decision_t td = {d->task_id,   d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_DEFER,
                                d->ground,    d->motivation,
                                d->review_on, sender->id,
                                d->os_user};
    request_decision_t rd = {
        d->request_id, s_outcome_name (d->outcome), d->ground, d->motivation, withhold, sender->id,
        d->os_user};
    /*  Every rule first: art. 4 (a kernpartij: the policy row says so
     *  too), then the register's. */
    int verdict = known < 0 ? -1 : 0;
    if (verdict == 0 && sender->role != ROLE_KERNPARTIJ)
        verdict =
            (kt_fail (&reason, "art. 4: only a kernpartij decides on the person's rights"), 1);
    if (verdict == 0) {
        int found =
            task ? infoplicht_one (u->infoplicht, d->task_id, now, s_task_ref, case_ref, &reason)
                 : request_get (u->requests, d->request_id, s_request_ref, case_ref, &reason);
        if (found == 0)
            verdict = (kt_fail (&reason, "no %s %.24s at the uitvoerder",
                                task ? "informatieplicht task" : "request",
                                task ? d->task_id : d->request_id),
                       1);
        else if (found < 0)
            verdict = -1;
    }
    if (verdict == 0 && (task ? infoplicht_decision_check (u->infoplicht, &td, now, &reason)
                              : request_decision_check (u->requests, &rd, &reason)) != 0)
        verdict = 1;
    /*  A partial refusal withholds signals of the subject the request is
     *  linked to: an id that is not one would make the answer fail later,
     *  after the kernpartij was told its decision was taken. */
    for (size_t i = 0; verdict == 0 && i < d->n_withhold; i++) {
        char of[40] = "", by[65];
        int owned = weegploeg_signal_owner (u->weegploeg, d->withhold[i].data, of, by, &reason);
        if (owned < 0)
            verdict = -1;
        else if (!*case_ref)
            verdict = (kt_fail (&reason,
                                "request %.24s is not linked to a subject yet: nothing "
                                "to withhold",
                                d->request_id),
                       1);
        else if (owned == 0 || strcmp (of, case_ref) != 0)
            verdict =
                (kt_fail (&reason, "withheld id %zu is not a signal of %s", i + 1, case_ref), 1);
    }
    if (verdict > 0) {
        self->role->refuse (self, m, "rights decision", reason.text);
        node_send_batch (self);
        return;
    }
    if (verdict == 0) {
        verdict = s_log (self, m, d, case_ref, &index, &reason);
        if (verdict > 0) {
            if (node_peer_line (self, "rights decision refused", sender->id))
                kt_log (KT_LOG_WARN, "rights decision refused id=%s peer=%s reason=\"id reused\"",
                        m->hex, sender->id);
            uitvoerder_receipt (self, m->link, sender->id, id, false, 0,
                                "this message id is already used for a different message");
            node_send_batch (self);
            return;
        }
    }
    if (verdict == 0)
        verdict = task ? infoplicht_decide (u->infoplicht, &td, id, index, now, &reason)
                       : request_decide (u->requests, &rd, id, index, now, &reason);
    /*  A decision on a request whose subject was destroyed meanwhile
     *  (art. 13 does not wait for it): its motivation goes at once, as
     *  the destruction took the request's other texts. */
    if (verdict == 0 && !task && *case_ref &&
        (verdict = uitvoerder_destroyed (self, case_ref, &reason)) > 0)
        verdict = request_forget_case (u->requests, case_ref, &reason) == 0 ? 0 : -1;
    if (verdict == 0) {
        kt_log (KT_LOG_INFO, "rights decided %s=%s outcome=%s by=%s log_index=%llu",
                task ? "task" : "request", task ? d->task_id : d->request_id,
                s_outcome_name (d->outcome), sender->id, (unsigned long long) index);
        uitvoerder_receipt (self, m->link, sender->id, id, true, index, NULL);
    } else
        /*  No receipt: the kernpartij's outbox retries, and the retry
         *  finds the log entry. */
        kt_log (KT_LOG_ERROR, "rights decision_failed id=%s reason=\"%s\"", m->hex, reason.text);
    node_send_batch (self);
}
