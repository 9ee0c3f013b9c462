/*  partner_casus: a participant's side of the casusoverleg (art. 9-10).  It
 *  keeps every plan version it receives, marks its cases closed, keeps what
 *  was disclosed to it (externe casuspartner, art. 10.5) or shared with it
 *  (art. 9.2, 10.4), and sends its
 *  contributions and progress reports through the outbox, so they survive
 *  crashes and outages like signals do.
 */
#include "partner.h"
#include "partner_json.h"
#include "render.h"

#include "intake.h"
#include "itemref.h"
#include "items.h"
#include "plan.h"
#include "policy.h"
#include "store.h"
#include "weegploeg.h"

#include <sodium.h>
#include <string.h>

/*  The kernpartijen of one case that decide on its closure: at most its
 *  participants (CASUS_MAX_PARTICIPANTS at the uitvoerder). */
#define CASUS_MAX_DECIDING 32
/*  A disclosure's necessity: each consenting party's statement on a line
 *  of its own (at most 16 of 2000 bytes, with the party's id). */
#define DISCLOSURE_NECESSITY_MAX (16 * (POLICY_MAX_NECESSITY + 80))

int
partner_casus_start (node_t *self, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    p->casebox = casebox_new (self->db, self->keystore, self->config.id, reason);
    return p->casebox ? 0 : -1;
}

void
partner_casus_stop (node_t *self)
{
    casebox_destroy (&partner_of (self)->casebox);
}

/*  art. 10.5: an externe casuspartner's copy comes without the
 *  casusoverleg's advice; every other participant's carries it.  An
 *  advice (closed_ms 0, art. 9.4) goes to the kernpartijen involved only,
 *  and names them. */
static int
s_check_closure (const Keten__CaseClosure *c, bool is_extern, kt_reason_t *reason)
{
    if (!weegploeg_case_ref_ok (c->case_ref))
        return kt_fail (reason, "closure: case_ref is not k-<16 hex digits>");
    bool advice = c->closed_ms == 0;
    if (advice && is_extern)
        return kt_fail (reason, "art. 9.4: the casusoverleg advises the kernpartijen, not an "
                                "externe casuspartner");
    if (!intake_text_ok (c->advice, is_extern ? 0 : 1, 2000, true))
        return kt_fail (reason, "closure: the advice is missing or longer than 2000 bytes");
    if (advice ? c->n_decided_by != 0 || c->n_to_decide < 1 || c->advised_ms == 0
               : c->n_decided_by < 1)
        return kt_fail (reason, advice ? "advice: it names no kernpartij to decide, or no time"
                                       : "closure: it names no deciding kernpartij");
    if (c->n_decided_by > CASUS_MAX_DECIDING || c->n_to_decide > CASUS_MAX_DECIDING)
        return kt_fail (reason, "closure: more than %d kernpartijen", CASUS_MAX_DECIDING);
    for (size_t i = 0; i < c->n_decided_by; i++)
        if (!kt_valid_node_id (c->decided_by[i]))
            return kt_fail (reason, "closure: deciding party %zu is not a member id", i + 1);
    for (size_t i = 0; i < c->n_to_decide; i++)
        if (!kt_valid_node_id (c->to_decide[i]))
            return kt_fail (reason, "advice: party %zu is not a member id", i + 1);
    return 0;
}

static int
s_check_disclosure (const Keten__DisclosureConsent *d, kt_reason_t *reason)
{
    if (!weegploeg_case_ref_ok (d->case_ref))
        return kt_fail (reason, "disclosure: case_ref is not k-<16 hex digits>");
    /*  art. 10.5: nothing without the consent, the necessity, the kinds. */
    if (d->n_consenting < 1 || d->n_data_kinds < 1 ||
        !intake_text_ok (d->necessity, 1, DISCLOSURE_NECESSITY_MAX, true))
        return kt_fail (reason, "disclosure without consent, necessity or kinds of data");
    Keten__Signal as_signal = KETEN__SIGNAL__INIT;
    as_signal.legal_basis = "avg-6-1-e";
    as_signal.special_category = true;
    as_signal.criminal_data = true;
    as_signal.items = d->items;
    as_signal.n_items = d->n_items;
    if (items_check (&as_signal, reason) != 0)
        return -1;
    /*  art. 9.2, 10.4: a share names the party that supplied (and,
     *  sharing or consenting, agreed to pass) the items, and only it. */
    if (d->shared && (!kt_valid_node_id (d->source) || d->n_consenting != 1 ||
                      strcmp (d->consenting[0], d->source) != 0))
        return kt_fail (reason, "share: it names no source, or a source other than the consenting "
                                "party");
    return 0;
}

/*  The answer to a casus message: a receipt once it is stored or refused
 *  for good; nothing when storing failed (the uitvoerder offers it again). */
static void
s_answer (node_t *self, const node_message_t *m, const char *what, int rc, bool refused,
          const char *why)
{
    if (rc == 0)
        partner_receipt (self, m->opened.id, true, NULL);
    else if (refused) {
        kt_log (KT_LOG_WARN, "%s refused id=%s reason=\"%s\"", what, m->hex, why);
        partner_receipt (self, m->opened.id, false, why);
    } else
        kt_log (KT_LOG_ERROR, "%s store_failed id=%s reason=\"%s\"", what, m->hex, why);
}

/*  art. 10.5: every version of the plan van aanpak of a case it takes
 *  part in. */
void
partner_on_plan (node_t *self, node_message_t *m)
{
    const Keten__CasePlan *p = (const Keten__CasePlan *) m->body;
    kt_reason_t reason;
    int rc = -1;
    bool refused = true;
    if (plan_check (p, &reason) == 0) {
        if (partner_retention_late (self, m, "plan", p->case_ref))
            return;
        refused = false;
        rc = casebox_store_plan (partner_of (self)->casebox, p, &reason);
        if (rc == 0)
            kt_log (KT_LOG_INFO, "plan received id=%s case_ref=%s version=%u", m->hex, p->case_ref,
                    (unsigned) p->version);
        else if (strstr (reason.text, "not a participant"))
            refused = true;
    }
    s_answer (self, m, "plan", rc, refused, reason.text);
}

/*  art. 9.4: the casusoverleg's advice to close (closed_ms 0), to decide
 *  on here with keten case close; or a case closed. */
void
partner_on_closure (node_t *self, node_message_t *m)
{
    Keten__CaseClosure *c = (Keten__CaseClosure *) m->body;
    bool is_extern = keyring_self_member (self->keyring)->role == ROLE_EXTERN;
    kt_reason_t reason;
    if (s_check_closure (c, is_extern, &reason) != 0) {
        s_answer (self, m, "closure", -1, true, reason.text);
        return;
    }
    bool advice = c->closed_ms == 0;
    if (partner_retention_late (self, m, advice ? "advice" : "closure", c->case_ref))
        return;
    int rc;
    if (advice) {
        /*  A case no plan brought here yet: no receipt, so the uitvoerder
         *  offers the advice again. */
        rc = casebox_advise (partner_of (self)->casebox, c, &reason);
        if (rc == 0)
            kt_log (KT_LOG_INFO, "closure advice received id=%s case_ref=%s", m->hex, c->case_ref);
    } else {
        /*  art. 10.5, at the receiving side too: an externe casuspartner
         *  keeps no advice, whatever was sent. */
        if (is_extern && *c->advice) {
            kt_log (KT_LOG_WARN,
                    "closure id=%s case_ref=%s advice_dropped (art. 10.5: not "
                    "for an externe casuspartner)",
                    m->hex, c->case_ref);
            sodium_memzero (c->advice, strlen (c->advice));
        }
        rc = casebox_close (partner_of (self)->casebox, c, &reason);
        if (rc == 0)
            kt_log (KT_LOG_INFO, "case closed id=%s case_ref=%s", m->hex, c->case_ref);
    }
    s_answer (self, m, advice ? "advice" : "closure", rc, false, reason.text);
}

/*  art. 10.5: what was disclosed to an externe casuspartner; art. 9.2,
 *  10.4: what another participant shared with this one.  Both kept
 *  sealed, by message id. */
void
partner_on_disclosure (node_t *self, node_message_t *m)
{
    const Keten__DisclosureConsent *d = (const Keten__DisclosureConsent *) m->body;
    kt_reason_t reason;
    int rc = -1;
    bool refused = true;
    if (s_check_disclosure (d, &reason) == 0 && d->shared &&
        keyring_self_member (self->keyring)->role == ROLE_EXTERN)
        /*  art. 10.5: an externe casuspartner gets disclosures only. */
        kt_fail (&reason, "art. 10.5: a share is for participants in the casusoverleg, not an "
                          "externe casuspartner");
    else if (s_check_disclosure (d, &reason) == 0) {
        if (partner_retention_late (self, m, "disclosure", d->case_ref))
            return;
        refused = false;
        rc = casebox_store_disclosure (partner_of (self)->casebox, m->opened.id, d, &reason);
        if (rc == 0)
            kt_log (KT_LOG_INFO, "%s received id=%s case_ref=%s",
                    d->shared ? "share" : "disclosure", m->hex, d->case_ref);
    }
    s_answer (self, m, "disclosure", rc, refused, reason.text);
}

static int
s_contribute (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *kind = json_string_value (json_object_get (args, "kind"));
    const char *basis = json_string_value (json_object_get (args, "legal_basis"));
    if (!case_ref || strlen (case_ref) > 32 || !kind || !basis)
        return kt_fail (reason, "case.contribute needs case_ref, kind and legal_basis");
    if (retainbox_hidden (partner_of (self)->retainbox, case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    Keten__SignalItem **items = NULL;
    size_t n = 0;
    if (items_decode (json_object_get (args, "items"), &items, &n, reason) != 0)
        return -1;
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = (char *) case_ref;
    c.kind = (char *) kind;
    c.legal_basis = (char *) basis;
    c.items = items;
    c.n_items = n;
    int rc = items_check_contribution (items, n, basis, "a contribution", reason);
    if (rc == 0)
        partner_send (self, caller, KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION, &c.base,
                      json_is_true (json_object_get (args, "wait")));
    items_free (items, n);
    return rc;
}

static int
s_progress (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *measure = json_string_value (json_object_get (args, "measure_id"));
    const char *status = json_string_value (json_object_get (args, "status"));
    const char *note = json_string_value (json_object_get (args, "note"));
    Keten__PlanProgress p = KETEN__PLAN_PROGRESS__INIT;
    if (!case_ref || strlen (case_ref) > 32 || !measure || strlen (measure) > 16)
        return kt_fail (reason, "plan.progress needs case_ref and measure_id");
    if (retainbox_hidden (partner_of (self)->retainbox, case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    if (!plan_status_from_name (status, &p.status))
        return kt_fail (reason, "status must be open, in-progress, done or cancelled");
    if (note && !intake_text_ok (note, 0, PLAN_TEXT_MAX, true))
        return kt_fail (reason, "note: at most %d bytes of text", PLAN_TEXT_MAX);
    /*  Refuse here already what the uitvoerder would refuse: another
     *  party's measure (it checks again). */
    Keten__CasePlan *plan = NULL;
    if (casebox_plan (partner_of (self)->casebox, case_ref, 0, &plan, reason) != 0)
        return -1;
    const Keten__PlanMeasure *m = NULL;
    for (size_t i = 0; plan && i < plan->n_measures; i++)
        if (strcmp (plan->measures[i]->measure_id, measure) == 0)
            m = plan->measures[i];
    int rc = 0;
    if (!m)
        rc = kt_fail (reason, "measure %s is not in the plan of %s", measure, case_ref);
    else if (strcmp (m->owner, self->config.id) != 0)
        rc = kt_fail (reason, "measure %s belongs to %s; %s reports on its own measures only",
                      measure, m->owner, self->config.id);
    if (plan)
        keten__case_plan__free_unpacked (plan, NULL);
    if (rc != 0)
        return -1;
    p.case_ref = (char *) case_ref;
    p.measure_id = (char *) measure;
    p.note = (char *) (note ? note : "");
    partner_send (self, caller, KETEN__MESSAGE_TYPE__PLAN_PROGRESS, &p.base,
                  json_is_true (json_object_get (args, "wait")));
    return 0;
}

/*  Strings of a JSON array (at most max, borrowed from v) into out. */
static int
s_strings (json_t *v, const char **out, size_t max, size_t *n_p)
{
    *n_p = 0;
    if (!json_is_array (v) || json_array_size (v) > max)
        return -1;
    for (size_t i = 0; i < json_array_size (v); i++)
        if (!(out[(*n_p)++] = json_string_value (json_array_get (v, i))))
            return -1;
    return 0;
}

/*  The items (1..POLICY_MAX_CONSENT_ITEMS, "MSGID[:INDEX]") and kinds of
 *  data (1..16) of a consent or share, parsed.  The arrays are heap. */
typedef struct {
    Keten__ItemRef *r;
    Keten__ItemRef **rp;
    uint8_t (*ids)[KT_ID_LEN];
    size_t n;
    const char *kinds[16];
    size_t n_kinds;
} passing_t;

static void
s_passing_free (passing_t *g)
{
    free (g->r);
    free (g->rp);
    free (g->ids);
}

static int
s_passing (const char *cmd, json_t *args, passing_t *g, kt_reason_t *reason)
{
    json_t *refs = json_object_get (args, "item_refs");
    if (!json_is_array (refs) || json_array_size (refs) < 1 ||
        json_array_size (refs) > POLICY_MAX_CONSENT_ITEMS)
        return kt_fail (reason, "%s needs 1..%d items (MSGID or MSGID:INDEX)", cmd,
                        POLICY_MAX_CONSENT_ITEMS);
    if (s_strings (json_object_get (args, "data_kinds"), g->kinds, 16, &g->n_kinds) != 0 ||
        g->n_kinds == 0)
        return kt_fail (reason, "art. 10.5: name the kinds of data (1..16)");
    size_t n = json_array_size (refs);
    g->r = calloc (n, sizeof *g->r);
    g->rp = calloc (n, sizeof *g->rp);
    g->ids = calloc (n, KT_ID_LEN);
    if (!g->r || !g->rp || !g->ids)
        return kt_fail (reason, "out of memory");
    for (g->n = 0; g->n < n; g->n++) {
        if (itemref_parse (json_string_value (json_array_get (refs, g->n)), &g->r[g->n],
                           g->ids[g->n], reason) != 0)
            return -1;
        g->rp[g->n] = &g->r[g->n];
    }
    return 0;
}

/*  case.consent { case_ref, to, item_refs: ["MSGID[:INDEX]"], necessity,
 *  data_kinds: [], wait }: art. 10.5, this party's consent to pass items
 *  it supplied to the case to an externe casuspartner, or (art. 9.2,
 *  10.4) for the casusoverleg to share them with another participant.
 *  The uitvoerder checks that each item is this node's own; the
 *  message's bounds are checked here first, with the policy's own
 *  checker. */
static int
s_consent (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *to = json_string_value (json_object_get (args, "to"));
    const char *necessity = json_string_value (json_object_get (args, "necessity"));
    roster_role_t role = keyring_self_member (self->keyring)->role;
    if (role != ROLE_KERNPARTIJ && role != ROLE_CASUSPARTIJ)
        return kt_fail (reason, "art. 10.5: a convenant party consents to passing on what it "
                                "supplied; this node is not one");
    if (!case_ref || strlen (case_ref) > 32 || !to || !necessity)
        return kt_fail (reason, "case.consent needs case_ref, to and necessity");
    if (retainbox_hidden (partner_of (self)->retainbox, case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    passing_t g = {0};
    int rc = s_passing ("case.consent", args, &g, reason);
    Keten__ConsentDecision c = KETEN__CONSENT_DECISION__INIT;
    c.to = (char *) to;
    c.items = g.rp;
    c.n_items = g.n;
    c.necessity = (char *) necessity;
    c.data_kinds = (char **) g.kinds;
    c.n_data_kinds = g.n_kinds;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = (char *) case_ref;
    d.consent = &c;
    d.decided_ms = kt_now_ms ();
    if (rc == 0)
        rc = policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION)->check (&d.base, reason);
    if (rc == 0)
        partner_send (self, caller, KETEN__MESSAGE_TYPE__CASE_DECISION, &d.base,
                      json_is_true (json_object_get (args, "wait")));
    s_passing_free (&g);
    return rc;
}

/*  case.share { case_ref, to: [...], item_refs: ["MSGID[:INDEX]"],
 *  necessity, data_kinds: [], wait }: art. 9.2, 10.4, this party shares
 *  items it supplied to the case with named participants, as far as
 *  necessary.  The uitvoerder checks the items and the recipients
 *  against its files and passes the items on as it holds them. */
static int
s_share (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *necessity = json_string_value (json_object_get (args, "necessity"));
    roster_role_t role = keyring_self_member (self->keyring)->role;
    /*  art. 9.2: "de deelnemers verstrekken elkaar": the convenant
     *  parties in the casusoverleg; an externe casuspartner supplies
     *  nothing to share. */
    if (role != ROLE_KERNPARTIJ && role != ROLE_CASUSPARTIJ)
        return kt_fail (reason, "art. 9.2: a participant shares what it supplied itself; this "
                                "node is not a kernpartij or casuspartij");
    if (!case_ref || strlen (case_ref) > 32 || !necessity)
        return kt_fail (reason, "case.share needs case_ref, to and necessity (art. 9.2: as far "
                                "as necessary)");
    const char *to[POLICY_MAX_SHARE_TO];
    size_t n_to = 0;
    if (s_strings (json_object_get (args, "to"), to, POLICY_MAX_SHARE_TO, &n_to) != 0 || n_to == 0)
        return kt_fail (reason, "case.share needs to: 1..%d participants of the case",
                        POLICY_MAX_SHARE_TO);
    if (retainbox_hidden (partner_of (self)->retainbox, case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    passing_t g = {0};
    int rc = s_passing ("case.share", args, &g, reason);
    Keten__ShareDecision sd = KETEN__SHARE_DECISION__INIT;
    sd.to = (char **) to;
    sd.n_to = n_to;
    sd.items = g.rp;
    sd.n_items = g.n;
    sd.necessity = (char *) necessity;
    sd.data_kinds = (char **) g.kinds;
    sd.n_data_kinds = g.n_kinds;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = (char *) case_ref;
    d.share = &sd;
    d.decided_ms = kt_now_ms ();
    if (rc == 0)
        rc = policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION)->check (&d.base, reason);
    if (rc == 0)
        partner_send (self, caller, KETEN__MESSAGE_TYPE__CASE_DECISION, &d.base,
                      json_is_true (json_object_get (args, "wait")));
    s_passing_free (&g);
    return rc;
}

/*  case.close { case_ref, decision: close|continue, reason, wait }: art.
 *  9.4, this kernpartij's decision on the casusoverleg's advice to close,
 *  the newest that reached this node. */
static int
s_close (node_t *self, const api_caller_t *caller, json_t *args, kt_reason_t *reason)
{
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *decision = json_string_value (json_object_get (args, "decision"));
    const char *why = json_string_value (json_object_get (args, "reason"));
    /*  art. 9.4: the kernpartijen decide; a casuspartij or externe
     *  casuspartner is advised nothing and decides nothing. */
    if (keyring_self_member (self->keyring)->role != ROLE_KERNPARTIJ)
        return kt_fail (reason, "art. 9.4: the kernpartijen decide on closing a case; this node "
                                "is not a kernpartij");
    if (!case_ref || strlen (case_ref) > 32)
        return kt_fail (reason, "case.close needs case_ref");
    Keten__ClosureDecision c = KETEN__CLOSURE_DECISION__INIT;
    if (decision && strcmp (decision, "close") == 0)
        c.choice = KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE;
    else if (decision && strcmp (decision, "continue") == 0)
        c.choice = KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE;
    else
        return kt_fail (reason, "case.close needs decision close or continue");
    if (c.choice == KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE && (!why || !*why))
        return kt_fail (reason, "art. 9.4: say why the case continues (reason)");
    if (retainbox_hidden (partner_of (self)->retainbox, case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    Keten__CaseClosure *advice = NULL;
    int found = casebox_advice (partner_of (self)->casebox, case_ref, &advice, reason);
    if (found < 0)
        return -1;
    if (found == 0)
        return kt_fail (reason,
                        "no advice of the casusoverleg to close %s has reached this node "
                        "(art. 9.4: the kernpartijen decide on its advice)",
                        case_ref);
    c.advised_ms = advice->advised_ms;
    c.reason = (char *) (why ? why : "");
    keten__case_closure__free_unpacked (advice, NULL);
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = (char *) case_ref;
    d.closure = &c;
    d.decided_ms = kt_now_ms ();
    if (policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION)->check (&d.base, reason) != 0)
        return -1;
    partner_send (self, caller, KETEN__MESSAGE_TYPE__CASE_DECISION, &d.base,
                  json_is_true (json_object_get (args, "wait")));
    return 0;
}

void
partner_case_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    kt_reason_t reason;
    render_reply (
        self->api, caller, "cases",
        partner_json_cases (partner_of (self)->casebox, partner_of (self)->retainbox, &reason),
        &reason);
}

/*  The case commands that take arguments: an object, or the refusal. */
typedef int (s_case_fn) (node_t *self, const api_caller_t *caller, json_t *args,
                         kt_reason_t *reason);

static void
s_case_run (node_t *self, const api_caller_t *caller, json_t *args, s_case_fn *fn)
{
    kt_reason_t reason;
    if (!json_is_object (args))
        apiserver_reply_error (self->api, caller, "arguments must be an object");
    else if (fn (self, caller, args, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
}

void
partner_case_contribute (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_case_run (self, caller, args, s_contribute);
}

void
partner_plan_progress (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_case_run (self, caller, args, s_progress);
}

void
partner_case_consent (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_case_run (self, caller, args, s_consent);
}

void
partner_case_share (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_case_run (self, caller, args, s_share);
}

void
partner_case_close (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    s_case_run (self, caller, args, s_close);
}

/*  case.show: the newest plan, the disclosures, what was shared with
 *  this node and the closure;
 *  plan.show: one version of the plan.  Either read is on record
 *  (art. 15.2e: the plan and disclosures concern a person). */
static int
s_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args,
        kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    json_t *v = json_object_get (args, "version");
    Keten__CasePlan *plan = NULL;
    /*  art. 13.2: an archived case is read with retention.read only. */
    if (case_ref && retainbox_hidden (p->retainbox, case_ref))
        return kt_fail (reason, "%s", PARTNER_ARCHIVED);
    int rc = case_ref ? casebox_plan (p->casebox, case_ref,
                                      json_is_integer (v) ? (uint32_t) json_integer_value (v) : 0,
                                      &plan, reason)
                      : kt_fail (reason, "%s needs case_ref", cmd);
    const char *refs[1] = {case_ref};
    if (rc == 0)
        rc = node_record_access (self, caller, cmd, refs, 1, reason);
    json_t *r = NULL;
    if (rc == 0)
        r = json_pack ("{s:o*, s:b}", "plan", plan ? render_plan (plan) : NULL, "closed",
                       casebox_closed (p->casebox, case_ref));
    if (r && strcmp (cmd, "case.show") == 0) {
        json_t *disclosures = partner_json_disclosures (p->casebox, case_ref, false, reason);
        /*  art. 9.2, 10.4: what other participants shared with this one. */
        json_t *shared =
            disclosures ? partner_json_disclosures (p->casebox, case_ref, true, reason) : NULL;
        json_t *closure = NULL;
        if (!disclosures || !shared ||
            partner_json_closure (p->casebox, case_ref, &closure, reason) != 0)
            rc = -1;
        json_object_set_new (r, "disclosures", disclosures);
        json_object_set_new (r, "shared", shared);
        if (closure)
            json_object_set_new (r, "closure", closure);
        /*  art. 9.4: the advice this kernpartij is to decide on. */
        Keten__CaseClosure *a = NULL;
        if (rc == 0 && casebox_advice (p->casebox, case_ref, &a, reason) < 0)
            rc = -1;
        if (a) {
            json_t *to = json_array ();
            for (size_t i = 0; i < a->n_to_decide; i++)
                json_array_append_new (to, json_string (a->to_decide[i]));
            json_object_set_new (r, "closure_advice",
                                 json_pack ("{s:s, s:I, s:o}", "advice", a->advice, "advised_ms",
                                            (json_int_t) a->advised_ms, "to_decide", to));
            keten__case_closure__free_unpacked (a, NULL);
        }
    }
    if (plan)
        keten__case_plan__free_unpacked (plan, NULL);
    if (rc == 0)
        apiserver_reply_ok (self->api, caller, r);
    else
        json_decref (r);
    return rc;
}

void
partner_case_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    kt_reason_t reason;
    if (!json_is_object (args))
        apiserver_reply_error (self->api, caller, "arguments must be an object");
    else if (s_show (self, caller, cmd, args, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
}

/*  A case command this node does not serve (case.plan, case.close, ...). */
void
partner_case_elsewhere (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) args;
    char msg[64];
    snprintf (msg, sizeof msg, "%.32s is for the uitvoerder", cmd);
    apiserver_reply_error (self->api, caller, msg);
}

void
partner_on_roster (node_t *self, node_message_t *m)
{
    kt_reason_t reason;
    const Keten__RosterUpdate *u = (const Keten__RosterUpdate *) m->body;
    bool refused;
    int rc = node_apply_roster (self, (const char *) u->note.data, u->note.len, &refused, &reason);
    if (rc != 0 && !refused) {
        /*  Rule 3 (docs/ARCHITECTURE.md, Crash reasoning): a roster this
         *  node could not keep is not answered, so the uitvoerder's relay
         *  offers it again; a refusal here would settle it for good. */
        kt_log (KT_LOG_ERROR, "roster keep_failed reason=\"%s\"", reason.text);
        return;
    }
    if (rc != 0)
        kt_log (KT_LOG_WARN, "roster refused reason=\"%s\"", reason.text);
    /*  The receipt goes out even when the roster dropped this node: the
     *  uitvoerder learns that it knows. */
    partner_receipt (self, m->opened.id, rc == 0, rc == 0 ? NULL : reason.text);
    if (self->expelled)
        node_send_batch (self);
}
