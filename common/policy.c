/*  policy: who may send what to whom.  */
#include "policy.h"

#include "intake.h"
#include "intake_rules.h"
#include "items.h"
#include "merkle.h"

#include <string.h>

#define R_KERN (1u << ROLE_KERNPARTIJ)
#define R_CASUS (1u << ROLE_CASUSPARTIJ)
#define R_EXTERN (1u << ROLE_EXTERN)
#define R_UITV (1u << ROLE_UITVOERDER)
#define R_PARTNER (R_KERN | R_CASUS | R_EXTERN)

typedef enum {
    TO_UITVOERDER, /* exactly one recipient: the uitvoerder */
    TO_ONE_MEMBER, /* exactly one recipient: any other member */
    TO_ONE_KERN    /* exactly one recipient: a kernpartij */
} recipient_rule_t;

typedef struct {
    Keten__MessageType type;
    unsigned senders; /* bit set of roster_role_t */
    recipient_rule_t to;
    const char *why; /* the rule, quoted in refusals */
    policy_body_t body;
} policy_row_t;

/* ---- body checkers: bounds beyond what decoding proves ------------------- */

/*  art. 7.1-7.2: a signal from an authenticated kernpartij is still
 *  untrusted input: its body is checked like any intake. */
static int
s_check_signal (const ProtobufCMessage *body, kt_reason_t *reason)
{
    /*  A signal arriving is new data: art. 9/10 Wpg data only held. */
    const Keten__Signal *s = (const Keten__Signal *) body;
    return intake_signal_check (s, reason) == 0 && intake_signal_new (s, reason) == 0 ? 0 : -1;
}

/*  A word of the log: 1..max letters, digits and ".-_:". */
static bool
s_token (const char *s, size_t max)
{
    size_t len = strlen (s);
    if (len < 1 || len > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_' || *p == ':'))
            return false;
    return true;
}

/*  art. 15.2e: what goes into the log of a read is bounded - 1..64 case
 *  refs in keten's form (k-<16 hex>), a command name, an OS user name. */
static int
s_check_access_notice (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__AccessNotice *a = (const Keten__AccessNotice *) body;
    bool ok = a->n_case_refs >= 1 && a->n_case_refs <= 64 && s_token (a->what, 32) &&
              s_token (a->os_user, 64);
    for (size_t i = 0; ok && i < a->n_case_refs; i++)
        ok = strlen (a->case_refs[i]) == 18 && strncmp (a->case_refs[i], "k-", 2) == 0 &&
             s_token (a->case_refs[i], 18);
    return ok ? 0 : kt_fail (reason, "access notice malformed");
}

/*  A case_ref in keten's form: k-<16 hex>. */
static bool
s_case_ref (const char *s)
{
    if (strlen (s) != 18 || strncmp (s, "k-", 2) != 0)
        return false;
    for (const char *p = s + 2; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/*  art. 13: one subject, a known action, at most POLICY_MAX_RETAINED ids
 *  of the recipient's own messages. */
static int
s_check_retention_notice (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__RetentionNotice *n = (const Keten__RetentionNotice *) body;
    if (!s_case_ref (n->case_ref))
        return kt_fail (reason, "retention notice: case_ref is not k-<16 hex digits>");
    if (n->action != KETEN__RETENTION_ACTION__ARCHIVE &&
        n->action != KETEN__RETENTION_ACTION__DESTROY &&
        n->action != KETEN__RETENTION_ACTION__REOPEN)
        return kt_fail (reason, "retention notice: unknown action");
    if (n->n_message_ids > POLICY_MAX_RETAINED)
        return kt_fail (reason, "retention notice: more than %d message ids", POLICY_MAX_RETAINED);
    for (size_t i = 0; i < n->n_message_ids; i++)
        if (n->message_ids[i].len != KT_ID_LEN)
            return kt_fail (reason, "retention notice: a message id is not %d bytes", KT_ID_LEN);
    return 0;
}

/*  art. 13.4: one subject, a reason of 1..POLICY_MAX_REASON bytes of
 *  text (line breaks allowed), the OS user who ordered it. */
static int
s_check_retention_order (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__RetentionOrder *o = (const Keten__RetentionOrder *) body;
    if (!s_case_ref (o->case_ref))
        return kt_fail (reason, "retention order: case_ref is not k-<16 hex digits>");
    size_t len = strlen (o->reason);
    if (len < 1 || len > POLICY_MAX_REASON)
        return kt_fail (reason, "retention order: the reason must be 1..%d bytes",
                        POLICY_MAX_REASON);
    for (const unsigned char *p = (const unsigned char *) o->reason; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return kt_fail (reason, "retention order: the reason holds a control character");
    if (!s_token (o->os_user, 64))
        return kt_fail (reason, "retention order: os_user malformed");
    return 0;
}

/*  art. 12.5-12.6: one signal, a known action, an item for correct, add
 *  and unblock (and only for those), one that is neither blocked nor
 *  deleted; the whole signal only for a deletion.  Whether the item fits
 *  the signal it joins (its legal basis, its flags) is checked where the
 *  signal is: at the uitvoerder. */
static int
s_check_correction (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__CorrectionNotice *n = (const Keten__CorrectionNotice *) body;
    if (*n->case_ref && !s_case_ref (n->case_ref))
        return kt_fail (reason, "correction notice: case_ref is not k-<16 hex digits>");
    if (*n->correction_id) {
        bool ok = strlen (n->correction_id) == 18 && strncmp (n->correction_id, "c-", 2) == 0;
        for (const char *p = n->correction_id + 2; ok && *p; p++)
            ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
        if (!ok)
            return kt_fail (reason, "correction notice: correction_id is not c-<16 hex digits>");
    }
    if (n->signal_id.len != KT_ID_LEN)
        return kt_fail (reason, "correction notice: signal_id is not %d bytes", KT_ID_LEN);
    bool with_item;
    switch (n->action) {
    case KETEN__CORRECTION_ACTION__CORRECT:
    case KETEN__CORRECTION_ACTION__ADD:
    case KETEN__CORRECTION_ACTION__UNBLOCK:
        with_item = true;
        break;
    case KETEN__CORRECTION_ACTION__DELETE:
    case KETEN__CORRECTION_ACTION__BLOCK:
        with_item = false;
        break;
    default:
        return kt_fail (reason, "correction notice: unknown action");
    }
    if (n->whole_signal && n->action != KETEN__CORRECTION_ACTION__DELETE)
        return kt_fail (reason, "correction notice: only a deletion names the whole signal");
    if (n->item_index >= POLICY_MAX_ITEMS)
        return kt_fail (reason, "correction notice: item_index beyond %d", POLICY_MAX_ITEMS);
    /*  art. 9.2, 10.4-10.5: the places of the signal's items in the
     *  recipient's shared or disclosed copies; only in the uitvoerder's
     *  notice of a decision, never for an item added (no copy holds it). */
    if (n->n_disclosed > 0 && (!*n->case_ref || !*n->correction_id))
        return kt_fail (reason, "correction notice: only the uitvoerder's names disclosed copies");
    if (n->n_disclosed > POLICY_MAX_DISCLOSED)
        return kt_fail (reason, "correction notice: more than %d disclosed copies",
                        POLICY_MAX_DISCLOSED);
    /*  Who asked, and an art. 9/10 text's release: a sender's own
     *  notice only (no correction_id), names of bounded text. */
    bool own = !*n->correction_id;
    if (*n->os_user && (!own || !s_token (n->os_user, 64)))
        return kt_fail (reason, "correction notice: os_user malformed, or not a sender's");
    if ((n->opsporingsbelang_checked || *n->om_officer || *n->bevoegd_functionaris) &&
        (!own || n->action != KETEN__CORRECTION_ACTION__CORRECT ||
         (*n->om_officer && !intake_name_ok (n->om_officer)) ||
         (*n->bevoegd_functionaris && !intake_name_ok (n->bevoegd_functionaris))))
        return kt_fail (reason, "correction notice: a Wpg release malformed, or not a sender's "
                                "correction");
    if (n->n_disclosed > 0 && n->action == KETEN__CORRECTION_ACTION__ADD)
        return kt_fail (reason, "correction notice: an added item is in no disclosed copy");
    for (size_t i = 0; i < n->n_disclosed; i++)
        if (!n->disclosed[i] || n->disclosed[i]->disclosure_id.len != KT_ID_LEN ||
            n->disclosed[i]->position >= POLICY_MAX_ITEMS)
            return kt_fail (reason, "correction notice: disclosed copy %zu malformed", i + 1);
    if (!with_item)
        return n->item ? kt_fail (reason, "correction notice: this action carries no item") : 0;
    const Keten__SignalItem *it = n->item;
    if (!it)
        return kt_fail (reason, "correction notice: this action carries the item");
    if (it->blocked || it->deleted)
        return kt_fail (reason, "correction notice: the item is marked blocked or deleted");
    if (it->kind < KETEN__ITEM_KIND__FACT || it->kind > KETEN__ITEM_KIND__DIAGNOSIS)
        return kt_fail (reason, "correction notice: the item's kind is unknown");
    if (!intake_text_ok (it->text, 1, POLICY_MAX_ITEM_TEXT, true) ||
        !intake_text_ok (it->opinion_of, 0, 100, false) ||
        !intake_text_ok (it->legal_basis, 0, 64, false))
        return kt_fail (reason, "correction notice: the item's text is out of bounds");
    if (strlen (n->reason) > POLICY_MAX_REASON)
        return kt_fail (reason, "correction notice: the reason is over %d bytes",
                        POLICY_MAX_REASON);
    return 0;
}

/*  An id of the uitvoerder's registers: prefix and 16 hex digits. */
static bool
s_reg_id (const char *s, char prefix)
{
    if (strlen (s) != 18 || s[0] != prefix || s[1] != '-')
        return false;
    for (const char *p = s + 2; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/*  A ground of art. 41 lid 1 UAVG, sub a-j, written prefix + letter. */
static bool
s_ground (const char *s, const char *prefix)
{
    size_t n = strlen (prefix);
    return strlen (s) == n + 1 && strncmp (s, prefix, n) == 0 && s[n] >= 'a' && s[n] <= 'j';
}

/*  art. 11.3-11.5, 12.3-12.4: a task's decision names a task, a
 *  request's a request; a deferral and a refusal name their ground in
 *  the form the desk keeps (uavg-41-1-x for the informatieplicht, 41-1-x
 *  for a request) and carry their note or motivation; only a deferral a
 *  review date, only a partial refusal the signals it withholds.
 *  Whether the task or request exists, is open and what a withheld id is
 *  is checked at the uitvoerder, which keeps them. */
static int
s_check_rights_decision (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__RightsDecision *d = (const Keten__RightsDecision *) body;
    bool task = d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_INFORM ||
                d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_DEFER;
    bool request = d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_GRANT ||
                   d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_PARTIAL ||
                   d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_REFUSE;
    if (!task && !request)
        return kt_fail (reason, "rights decision: unknown outcome");
    if (task ? !s_reg_id (d->task_id, 't') || *d->request_id
             : !s_reg_id (d->request_id, 'r') || *d->task_id)
        return kt_fail (reason, "rights decision: %s",
                        task ? "an informatieplicht decision names one task_id (t-<16 hex>)"
                             : "a request decision names one request_id (r-<16 hex>)");
    bool defer = d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_DEFER;
    bool refusal = d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_PARTIAL ||
                   d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_REFUSE;
    if (defer || refusal) {
        if (!s_ground (d->ground, defer ? "uavg-41-1-" : "41-1-"))
            return kt_fail (reason, "rights decision: the ground must be %s",
                            defer ? "uavg-41-1-a .. uavg-41-1-j" : "41-1-a .. 41-1-j");
        if (!intake_text_ok (d->motivation, 1, POLICY_MAX_MOTIVATION, true))
            return kt_fail (reason, "rights decision: the %s must be 1..%d bytes of text",
                            defer ? "note" : "motivation", POLICY_MAX_MOTIVATION);
    } else if (*d->ground || *d->motivation)
        return kt_fail (reason, "rights decision: only a deferral or a refusal has a ground");
    if (defer ? !intake_valid_date (d->review_on) : *d->review_on != '\0')
        return kt_fail (reason, "rights decision: %s",
                        defer ? "a deferral has a review date YYYY-MM-DD"
                              : "only a deferral has a review date");
    if (d->outcome == KETEN__RIGHTS_OUTCOME__RIGHTS_PARTIAL
            ? d->n_withhold < 1 || d->n_withhold > POLICY_MAX_WITHHOLD
            : d->n_withhold != 0)
        return kt_fail (reason,
                        "rights decision: a partial refusal names 1..%d signals it "
                        "withholds, nothing else does",
                        POLICY_MAX_WITHHOLD);
    for (size_t i = 0; i < d->n_withhold; i++) {
        if (d->withhold[i].len != KT_ID_LEN)
            return kt_fail (reason, "rights decision: a withheld id is not %d bytes", KT_ID_LEN);
        for (size_t j = 0; j < i; j++)
            if (memcmp (d->withhold[i].data, d->withhold[j].data, KT_ID_LEN) == 0)
                return kt_fail (reason, "rights decision: withheld id %zu is named twice", i + 1);
    }
    if (!s_token (d->os_user, 64))
        return kt_fail (reason, "rights decision: os_user malformed");
    return 0;
}

/*  art. 15.2g: an entry of the register holds ids, times, counts, kinds
 *  of data and bounded texts, never more. */
static int
s_check_incident_entry (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__IncidentRegisterEntry *e = (const Keten__IncidentRegisterEntry *) body;
    if (!s_reg_id (e->incident_id, 'i') || e->version < 1)
        return kt_fail (reason, "incident register: incident_id or version malformed");
    if (!s_token (e->reporter, 64) || e->found_ms == 0 || e->registered_ms == 0)
        return kt_fail (reason, "incident register: reporter or times malformed");
    if (!intake_text_ok (e->what, 1, POLICY_MAX_INCIDENT_TEXT, true) ||
        !intake_text_ok (e->ap_not_required, 0, POLICY_MAX_INCIDENT_TEXT, true) ||
        !intake_text_ok (e->persons_informed_note, 0, POLICY_MAX_INCIDENT_TEXT, true) ||
        !intake_text_ok (e->handling, 0, POLICY_MAX_INCIDENT_TEXT, true))
        return kt_fail (reason, "incident register: a text is out of bounds");
    if (e->n_data_kinds < 1 || e->n_data_kinds > 16)
        return kt_fail (reason, "incident register: 1..16 kinds of data");
    /*  Not intake_data_kind_ok: every version of every incident is
     *  sent again, and one reported before that rule must still reach
     *  the kernpartijen (the rule is the register's, for new reports). */
    for (size_t i = 0; i < e->n_data_kinds; i++)
        if (!intake_text_ok (e->data_kinds[i], 1, 64, false))
            return kt_fail (reason, "incident register: a kind of data is out of bounds");
    if (e->subjects > 10000000 ||
        e->persons_informed < KETEN__PERSONS_INFORMED__PERSONS_INFORMED_UNSPECIFIED ||
        e->persons_informed > KETEN__PERSONS_INFORMED__PERSONS_INFORMED_NOT_REQUIRED)
        return kt_fail (reason, "incident register: count or persons_informed out of range");
    return 0;
}

/*  The items, necessity and kinds of data of a consent or share (what):
 *  1..POLICY_MAX_CONSENT_ITEMS items by message id and index, the
 *  necessity as text, 1..16 kinds of data, each a word. */
static int
s_check_passing (const char *what, Keten__ItemRef *const *items, size_t n_items,
                 const char *necessity, char *const *kinds, size_t n_kinds, kt_reason_t *reason)
{
    if (n_items < 1 || n_items > POLICY_MAX_CONSENT_ITEMS)
        return kt_fail (reason, "%s: 1..%d items", what, POLICY_MAX_CONSENT_ITEMS);
    for (size_t i = 0; i < n_items; i++) {
        const Keten__ItemRef *r = items[i];
        if (r->message_id.len != KT_ID_LEN)
            return kt_fail (reason, "%s: item %zu's message id is not %d bytes", what, i + 1,
                            KT_ID_LEN);
        if (r->all_items ? r->index != 0 : r->index >= POLICY_MAX_ITEMS)
            return kt_fail (reason, "%s: item %zu's index is out of bounds", what, i + 1);
    }
    if (!intake_text_ok (necessity, 1, POLICY_MAX_NECESSITY, true))
        return kt_fail (reason, "%s: the necessity must be 1..%d bytes of text", what,
                        POLICY_MAX_NECESSITY);
    if (n_kinds < 1 || n_kinds > 16)
        return kt_fail (reason, "%s: 1..16 kinds of data", what);
    for (size_t i = 0; i < n_kinds; i++)
        /*  A kind is named in the provenance log (DISCLOSED), which
         *  keeps it for good: a word of letters, never text that could
         *  carry a BSN, a date or a name.  A decision is new data: this
         *  checker sees one as it is made and as it arrives, never a
         *  stored one. */
        if (!intake_data_kind_ok (kinds[i]))
            return kt_fail (reason,
                            "%s: data kind %zu must be a word of 1..%d letters, - and _ "
                            "(no digits, dots or spaces)",
                            what, i + 1, INTAKE_DATA_KIND_MAX);
    return 0;
}

/*  art. 4, 9.2, 9.4, 10.4, 10.5: a party's own casework decision, every
 *  field bounded.  Exactly one of a consent (one recipient), a share
 *  (1..POLICY_MAX_SHARE_TO recipients, each once) and a closure decision
 *  (close, or continue with a reason, answering a recorded advice).
 *  Whether the items are the sender's own, the recipients take part in
 *  the case and the sender may decide on closure (a kernpartij taking
 *  part) depends on the files: the uitvoerder's handler checks that. */
static int
s_check_case_decision (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__CaseDecision *d = (const Keten__CaseDecision *) body;
    if (!s_case_ref (d->case_ref))
        return kt_fail (reason, "case decision: case_ref is not k-<16 hex digits>");
    if ((d->consent != NULL) + (d->closure != NULL) + (d->share != NULL) != 1)
        return kt_fail (reason, "case decision: exactly one of consent, closure and share");
    if (d->consent) {
        const Keten__ConsentDecision *c = d->consent;
        if (!kt_valid_node_id (c->to))
            return kt_fail (reason, "consent: the recipient is not a member id");
        return s_check_passing ("consent", c->items, c->n_items, c->necessity, c->data_kinds,
                                c->n_data_kinds, reason);
    }
    if (d->share) {
        const Keten__ShareDecision *s = d->share;
        if (s->n_to < 1 || s->n_to > POLICY_MAX_SHARE_TO)
            return kt_fail (reason, "share: 1..%d recipients", POLICY_MAX_SHARE_TO);
        for (size_t i = 0; i < s->n_to; i++) {
            if (!kt_valid_node_id (s->to[i]))
                return kt_fail (reason, "share: recipient %zu is not a member id", i + 1);
            for (size_t j = 0; j < i; j++)
                if (strcmp (s->to[i], s->to[j]) == 0)
                    return kt_fail (reason, "share: %s is named twice", s->to[i]);
        }
        return s_check_passing ("share", s->items, s->n_items, s->necessity, s->data_kinds,
                                s->n_data_kinds, reason);
    }
    const Keten__ClosureDecision *c = d->closure;
    if (c->choice != KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE &&
        c->choice != KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE)
        return kt_fail (reason, "closure decision: neither close nor continue");
    if (!intake_text_ok (c->reason, c->choice == KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE ? 1 : 0,
                         POLICY_MAX_REASON, true))
        return kt_fail (reason, "closure decision: the reason must be %s..%d bytes of text",
                        c->choice == KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE ? "1" : "0",
                        POLICY_MAX_REASON);
    if (c->advised_ms == 0)
        return kt_fail (reason, "closure decision: it names no advice");
    return 0;
}

/*  A receipt names the message it settles. */
/*  docs/FEDERATIONS.md: a transfer between regions.  Each signal is
 *  checked as a signal is at intake; the rest is names, counts and a
 *  basis of bounded text. */
static int
s_check_transfer (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__Transfer *t = (const Keten__Transfer *) body;
    if (!kt_valid_node_id (t->from_federation) || !s_case_ref (t->from_case_ref))
        return kt_fail (reason, "transfer: from_federation or from_case_ref malformed");
    size_t basis = strlen (t->basis);
    if (basis < 1 || basis > POLICY_MAX_BASIS ||
        intake_text_check (t->basis, basis, false) != INTAKE_TEXT_OK)
        return kt_fail (reason, "transfer: basis must be 1..%d bytes of text", POLICY_MAX_BASIS);
    if (t->n_decided_by < 1 || t->n_decided_by > POLICY_MAX_SHARE_TO)
        return kt_fail (reason, "transfer: 1..%d kernpartijen decide", POLICY_MAX_SHARE_TO);
    for (size_t i = 0; i < t->n_decided_by; i++)
        if (!kt_valid_node_id (t->decided_by[i]))
            return kt_fail (reason, "transfer: decided_by %zu malformed", i);
    if (t->n_signals < 1 || t->n_signals > POLICY_MAX_TRANSFER_SIGNALS)
        return kt_fail (reason, "transfer: 1..%d signals", POLICY_MAX_TRANSFER_SIGNALS);
    if (strcmp (t->plan_status, "none") != 0 && strcmp (t->plan_status, "open") != 0 &&
        strcmp (t->plan_status, "closed") != 0)
        return kt_fail (reason, "transfer: plan_status must be none, open or closed");
    if (t->withheld > POLICY_MAX_TRANSFER_SIGNALS || t->decided_ms == 0)
        return kt_fail (reason, "transfer: withheld or decided_ms out of range");
    for (size_t i = 0; i < t->n_signals; i++) {
        const Keten__TransferSignal *ts = t->signals[i];
        kt_reason_t why;
        if (!ts->signal || !kt_valid_node_id (ts->origin) || ts->received_ms == 0)
            return kt_fail (reason, "transfer: signal %zu: origin or time malformed", i);
        if (intake_signal_check (ts->signal, &why) != 0)
            return kt_fail (reason, "transfer: signal %zu: %s", i, why.text);
    }
    return 0;
}

/*  art. 4: a kernpartij's decision that a subject moves to a peered
 *  federation. */
static int
s_check_transfer_decision (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__TransferDecision *d = (const Keten__TransferDecision *) body;
    if (!s_case_ref (d->case_ref) || !kt_valid_node_id (d->to_federation))
        return kt_fail (reason, "transfer decision: case_ref or to_federation malformed");
    size_t basis = strlen (d->basis);
    if (basis < 1 || basis > POLICY_MAX_BASIS ||
        intake_text_check (d->basis, basis, false) != INTAKE_TEXT_OK)
        return kt_fail (reason, "transfer decision: basis must be 1..%d bytes of text, one line",
                        POLICY_MAX_BASIS);
    if (!s_token (d->os_user, 64) || d->decided_ms == 0)
        return kt_fail (reason, "transfer decision: os_user or decided_ms malformed");
    return 0;
}

/*  A receipt's id, and its inclusion path no longer than any tree's,
 *  the hashes it shares with the receipt before it (at most shared_max)
 *  counted in. */
static int
s_check_one_receipt (const Keten__Receipt *r, uint32_t shared_max, kt_reason_t *reason)
{
    if (r->message_id.len != KT_ID_LEN)
        return kt_fail (reason, "receipt malformed");
    if (r->inclusion_shared > shared_max || r->n_inclusion + r->inclusion_shared > MERKLE_MAX_PATH)
        return kt_fail (reason, "receipt: inclusion path malformed");
    return 0;
}

static int
s_check_receipt (const ProtobufCMessage *body, kt_reason_t *reason)
{
    return s_check_one_receipt ((const Keten__Receipt *) body, 0, reason);
}

/*  Several receipts in one message: each as a RECEIPT's, at most
 *  POLICY_MAX_RECEIPTS of them, and a path shares hashes only with the
 *  receipt before it. */
static int
s_check_receipts (const ProtobufCMessage *body, kt_reason_t *reason)
{
    const Keten__Receipts *r = (const Keten__Receipts *) body;
    if (r->n_receipts == 0 || r->n_receipts > POLICY_MAX_RECEIPTS)
        return kt_fail (reason, "receipts: 1..%d receipts, has %zu", POLICY_MAX_RECEIPTS,
                        r->n_receipts);
    if (r->checkpoint.len > POLICY_MAX_RECEIPTS_NOTE)
        return kt_fail (reason, "receipts: checkpoint longer than %d bytes",
                        POLICY_MAX_RECEIPTS_NOTE);
    for (size_t i = 0; i < r->n_receipts; i++)
        if (s_check_one_receipt (r->receipts[i], i ? MERKLE_MAX_PATH : 0, reason) != 0)
            return -1;
    return 0;
}

/*  Bodies: the descriptor, the checker, and whether the recipient answers
 *  with a receipt (a receipt, heartbeat or checkpoint is not answered: a
 *  lost one is followed by the next). */
#define B_SIGNAL                                                                                   \
    {                                                                                              \
        &keten__signal__descriptor, s_check_signal, true                                           \
    }
#define B_RECEIPT                                                                                  \
    {                                                                                              \
        &keten__receipt__descriptor, s_check_receipt, false                                        \
    }
#define B_RECEIPTS                                                                                 \
    {                                                                                              \
        &keten__receipts__descriptor, s_check_receipts, false                                      \
    }
#define B_HEARTBEAT                                                                                \
    {                                                                                              \
        &keten__heartbeat__descriptor, NULL, false                                                 \
    }
#define B_AGENDA                                                                                   \
    {                                                                                              \
        &keten__weegploeg_agenda__descriptor, NULL, true                                           \
    }
#define B_DECISION                                                                                 \
    {                                                                                              \
        &keten__weegploeg_decision__descriptor, NULL, true                                         \
    }
#define B_PLAN                                                                                     \
    {                                                                                              \
        &keten__case_plan__descriptor, NULL, true                                                  \
    }
#define B_CLOSURE                                                                                  \
    {                                                                                              \
        &keten__case_closure__descriptor, NULL, true                                               \
    }
#define B_DISCLOSURE                                                                               \
    {                                                                                              \
        &keten__disclosure_consent__descriptor, NULL, true                                         \
    }
#define B_CONTRIBUTION                                                                             \
    {                                                                                              \
        &keten__case_contribution__descriptor, NULL, true                                          \
    }
#define B_PROGRESS                                                                                 \
    {                                                                                              \
        &keten__plan_progress__descriptor, NULL, true                                              \
    }
#define B_TRANSFER                                                                                 \
    {                                                                                              \
        &keten__transfer__descriptor, s_check_transfer, true                                       \
    }
#define B_TRANSFER_DECISION                                                                        \
    {                                                                                              \
        &keten__transfer_decision__descriptor, s_check_transfer_decision, true                     \
    }
#define B_CHECKPOINT                                                                               \
    {                                                                                              \
        &keten__checkpoint_message__descriptor, NULL, false                                        \
    }
#define B_ROSTER                                                                                   \
    {                                                                                              \
        &keten__roster_update__descriptor, NULL, true                                              \
    }
#define B_ACCESS                                                                                   \
    {                                                                                              \
        &keten__access_notice__descriptor, s_check_access_notice, true                             \
    }
#define B_INCIDENT                                                                                 \
    {                                                                                              \
        &keten__incident__descriptor, NULL, true                                                   \
    }

#define B_RIGHTS_DECISION                                                                          \
    {                                                                                              \
        &keten__rights_decision__descriptor, s_check_rights_decision, true                         \
    }
#define B_INCIDENT_ENTRY                                                                           \
    {                                                                                              \
        &keten__incident_register_entry__descriptor, s_check_incident_entry, true                  \
    }

#define B_RETENTION_NOTICE                                                                         \
    {                                                                                              \
        &keten__retention_notice__descriptor, s_check_retention_notice, true                       \
    }
#define B_RETENTION_ORDER                                                                          \
    {                                                                                              \
        &keten__retention_order__descriptor, s_check_retention_order, true                         \
    }
#define B_CASE_DECISION                                                                            \
    {                                                                                              \
        &keten__case_decision__descriptor, s_check_case_decision, true                             \
    }
#define B_CORRECTION                                                                               \
    {                                                                                              \
        &keten__correction_notice__descriptor, s_check_correction, true                            \
    }

/*  The table.  Order does not matter; the first row matching type and
 *  sender role decides the recipient rule. */
static const policy_row_t s_table[] = {
    /* art. 7.1-7.2: signals enter the weegploeg only through a kernpartij */
    {KETEN__MESSAGE_TYPE__SIGNAL, R_KERN, TO_UITVOERDER,
     "art. 7.1-7.2: a signal enters the weegploeg only through a kernpartij (politie, OM, "
     "gemeente)",
     B_SIGNAL},
    {KETEN__MESSAGE_TYPE__RECEIPT, R_UITV, TO_ONE_MEMBER, "receipts go to the message's sender",
     B_RECEIPT},
    {KETEN__MESSAGE_TYPE__RECEIPT, R_PARTNER, TO_UITVOERDER, "receipts go to the message's sender",
     B_RECEIPT},
    {KETEN__MESSAGE_TYPE__RECEIPTS, R_UITV, TO_ONE_MEMBER, "receipts go to the messages' sender",
     B_RECEIPTS},
    {KETEN__MESSAGE_TYPE__HEARTBEAT, R_PARTNER, TO_UITVOERDER, "heartbeats go to the uitvoerder",
     B_HEARTBEAT},
    {KETEN__MESSAGE_TYPE__HEARTBEAT, R_UITV, TO_ONE_MEMBER, "heartbeat replies go to one member",
     B_HEARTBEAT},
    /* art. 8.2-8.4: the weegploeg is the kernpartijen's; each gets its own
     * minimised copy of the agenda, so one recipient per message */
    {KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, R_UITV, TO_ONE_KERN,
     "art. 8.4: weegploeg agendas come from the uitvoerder and go to kernpartijen only", B_AGENDA},
    {KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, R_UITV, TO_ONE_KERN,
     "art. 8.2-8.4: weegploeg decisions come from the uitvoerder and go to kernpartijen only",
     B_DECISION},
    /* art. 9-10: the casusoverleg.  Whether the recipient or sender takes
     * part in the case is checked against the casusoverleg file. */
    {KETEN__MESSAGE_TYPE__CASUS_AGENDA, R_UITV, TO_ONE_MEMBER,
     "casusoverleg agendas come from the uitvoerder", B_AGENDA},
    {KETEN__MESSAGE_TYPE__PLAN, R_UITV, TO_ONE_MEMBER,
     "art. 10.5: the plan van aanpak comes from the uitvoerder", B_PLAN},
    {KETEN__MESSAGE_TYPE__CLOSURE, R_UITV, TO_ONE_MEMBER,
     "art. 9.4: closures come from the uitvoerder", B_CLOSURE},
    {KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, R_UITV, TO_ONE_MEMBER,
     "art. 10.5: disclosures come from the uitvoerder", B_DISCLOSURE},
    {KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION, R_PARTNER, TO_UITVOERDER,
     "art. 9.2: contributions go to the casusoverleg at the uitvoerder", B_CONTRIBUTION},
    {KETEN__MESSAGE_TYPE__PLAN_PROGRESS, R_PARTNER, TO_UITVOERDER,
     "progress on the plan goes to the uitvoerder", B_PROGRESS},
    /* art. 4, 10.5, 9.4: the convenant parties decide their casework at their
     * own node, signed: consent to disclose what they supplied (kernpartij or
     * casuspartij); closure (kernpartijen only: the handler checks the kind) */
    {KETEN__MESSAGE_TYPE__CASE_DECISION, R_KERN | R_CASUS, TO_UITVOERDER,
     "art. 4, 10.5: only a convenant party decides on its casework, and only to the uitvoerder",
     B_CASE_DECISION},
    /* checkpoints to every member; requests and witness cosignatures back to
     * the uitvoerder (docs/PROTOCOL.md, "Checkpoints, proofs and witnesses") */
    {KETEN__MESSAGE_TYPE__CHECKPOINT, R_UITV, TO_ONE_MEMBER, "checkpoints come from the log",
     B_CHECKPOINT},
    {KETEN__MESSAGE_TYPE__CHECKPOINT, R_PARTNER, TO_UITVOERDER,
     "checkpoint requests and cosignatures go to the uitvoerder", B_CHECKPOINT},
    /* docs/FEDERATIONS.md: between the uitvoerders of two peered
     * federations only; a member never receives one */
    {KETEN__MESSAGE_TYPE__TRANSFER, R_UITV, TO_UITVOERDER,
     "a subject moves between the uitvoerders of peered federations", B_TRANSFER},
    /* art. 4: the kernpartijen decide it, each at its own node */
    {KETEN__MESSAGE_TYPE__TRANSFER_DECISION, R_KERN, TO_UITVOERDER,
     "art. 4: a transfer to another region is decided by the kernpartijen whose data it is",
     B_TRANSFER_DECISION},
    {KETEN__MESSAGE_TYPE__ROSTER, R_UITV, TO_ONE_MEMBER,
     "art. 15.2c: roster versions come from the uitvoerder", B_ROSTER},
    {KETEN__MESSAGE_TYPE__ACCESS_NOTICE, R_PARTNER, TO_UITVOERDER,
     "art. 15.2e: reads of personal data are logged by the uitvoerder", B_ACCESS},
    {KETEN__MESSAGE_TYPE__INCIDENT, R_PARTNER, TO_UITVOERDER,
     "art. 15.2g: incidents are registered by the uitvoerder", B_INCIDENT},
    /* art. 13: the uitvoerder tells the nodes holding a subject's data to
     * archive, destroy or reopen it; only a kernpartij, a joint controller
     * (art. 4), orders archived data back (art. 13.4) */
    {KETEN__MESSAGE_TYPE__RETENTION_NOTICE, R_UITV, TO_ONE_MEMBER,
     "art. 13: retention notices come from the uitvoerder", B_RETENTION_NOTICE},
    {KETEN__MESSAGE_TYPE__RETENTION_ORDER, R_KERN, TO_UITVOERDER,
     "art. 13.4: archived data comes back only on the order of a kernpartij, to the uitvoerder",
     B_RETENTION_ORDER},
    /* art. 12.5-12.6: the uitvoerder tells each kernpartij holding a
     * signal (weegploeg data, art. 8.4) to correct, complete, delete or
     * block it; a signal's own sender corrects or withdraws it through the
     * uitvoerder, which checks that the signal is the sender's */
    /* art. 12.6: "Zij doet hiervan een kennisgeving aan partijen": to each
     * party holding the signal - kernpartijen (weegploeg data, art. 8.4),
     * and any participant an item of it was shared with or disclosed to
     * (art. 9.2, 10.4-10.5); the uitvoerder names only what each holds */
    {KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, R_UITV, TO_ONE_MEMBER,
     "art. 12.5-12.6: correction notices come from the uitvoerder, to the parties that hold "
     "the signal",
     B_CORRECTION},
    {KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, R_KERN, TO_UITVOERDER,
     "art. 12.5: a signal's own sender (a kernpartij) corrects or withdraws it through the "
     "uitvoerder",
     B_CORRECTION},
    /* art. 4, 11.3, 12: the kernpartijen are jointly the controller; each
     * decision on the informatieplicht or on a person's request is one
     * kernpartij's, sent from its node to the uitvoerder, whose desk
     * carries it out */
    {KETEN__MESSAGE_TYPE__RIGHTS_DECISION, R_KERN, TO_UITVOERDER,
     "art. 4, 11.3, 12.4: the informatieplicht and a person's requests are decided by a "
     "kernpartij (a joint controller), sent to the uitvoerder",
     B_RIGHTS_DECISION},
    /* art. 4, 15.2g: the kernpartijen, jointly the controller, see the
     * incident register the uitvoerder keeps in their name */
    {KETEN__MESSAGE_TYPE__INCIDENT_REGISTER, R_UITV, TO_ONE_KERN,
     "art. 15.2g: the incident register comes from the uitvoerder and goes to kernpartijen only",
     B_INCIDENT_ENTRY},
};

const policy_body_t *
policy_body (Keten__MessageType type)
{
    for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++)
        if (s_table[i].type == type)
            return &s_table[i].body;
    return NULL;
}

int
policy_rule (size_t i, policy_rule_t *out)
{
    static const char *const to[] = {"the uitvoerder", "one member", "one kernpartij"};
    if (i >= sizeof s_table / sizeof s_table[0])
        return -1;
    out->type = s_table[i].type;
    out->senders = s_table[i].senders;
    out->to = to[s_table[i].to];
    out->why = s_table[i].why;
    return 0;
}

const char *
policy_type_name (Keten__MessageType type)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&keten__message_type__descriptor, (int) type);
    return v ? v->name : "UNKNOWN";
}

int
policy_check (const roster_t *roster, Keten__MessageType type, const roster_member_t *sender,
              char *const *recipients, size_t n_recipients, uint64_t now_ms, kt_reason_t *reason)
{
    const policy_row_t *row = NULL;
    bool type_known = false;
    for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++) {
        if (s_table[i].type != type)
            continue;
        type_known = true;
        if (s_table[i].senders & (1u << sender->role)) {
            row = &s_table[i];
            break;
        }
    }
    if (!type_known)
        return kt_fail (reason, "message type %s is not accepted by this federation",
                        policy_type_name (type));
    if (!row) {
        /*  Quote the rule that the sender broke. */
        for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++)
            if (s_table[i].type == type)
                return kt_fail (reason, "%s from %s (%s) refused: %s", policy_type_name (type),
                                sender->id, roster_role_name (sender->role), s_table[i].why);
    }
    if (n_recipients == 0 || n_recipients > POLICY_MAX_RECIPIENTS)
        return kt_fail (reason, "%s must have 1..%d recipients, has %zu", policy_type_name (type),
                        POLICY_MAX_RECIPIENTS, n_recipients);
    for (size_t i = 0; i < n_recipients; i++) {
        const roster_member_t *to = roster_find (roster, recipients[i]);
        if (!to)
            return kt_fail (reason, "recipient %zu is not a roster member", i);
        if (!roster_member_active (to, now_ms))
            return kt_fail (reason, "recipient %s is no longer an active member", to->id);
        if (strcmp (to->id, sender->id) == 0)
            return kt_fail (reason, "a node cannot send %s to itself", policy_type_name (type));
        for (size_t j = 0; j < i; j++)
            if (strcmp (recipients[j], recipients[i]) == 0)
                return kt_fail (reason, "recipient %s is listed twice", to->id);
        if ((row->to == TO_UITVOERDER && to->role != ROLE_UITVOERDER) ||
            (row->to == TO_ONE_KERN && to->role != ROLE_KERNPARTIJ))
            return kt_fail (reason, "%s to %s refused: %s", policy_type_name (type), to->id,
                            row->why);
    }
    if (n_recipients != 1)
        return kt_fail (reason, "%s refused: exactly one recipient allowed (%s)",
                        policy_type_name (type), row->why);
    return 0;
}
