/*  partner_json: rows of a partner node's stores as API JSON.  */
#include "partner_json.h"

#include "items.h"
#include "render.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    outbox_t *outbox;
    retainbox_t *hide;
    json_t *list;
} signals_t;

static int
s_signal (void *arg, const signalbox_row_t *row, kt_reason_t *reason)
{
    signals_t *s = arg;
    if (s->hide && row->has_id && retainbox_message_hidden (s->hide, row->message_id))
        return 0;
    char hex[KT_ID_HEX] = "";
    outbox_status_t st = {0};
    int queued = 0;
    if (row->has_id) {
        kt_hex (hex, row->message_id, KT_ID_LEN);
        if ((queued = outbox_status (s->outbox, row->message_id, &st, reason)) < 0)
            return -1;
    }
    /*  Not in the outbox: waiting for the representative (art. 7.2a,
     *  confirm mode), or held back (art. 9/10 Wpg) until released. */
    const char *state = !queued && row->awaiting       ? "awaiting-confirmation"
                        : !queued                      ? "held"
                        : st.state == OUTBOX_DELIVERED ? "delivered"
                        : st.state == OUTBOX_REFUSED   ? "refused"
                                                       : "queued";
    json_t *o = json_pack ("{s:s, s:s, s:s, s:s, s:I}", "message_id", hex, "local_ref",
                           row->local_ref, "category", row->category, "state", state, "created_ms",
                           (json_int_t) row->created_ms);
    if (o && st.settled)
        json_object_set_new (o, "delivered_ms", json_integer ((json_int_t) st.settled_ms));
    if (o && st.logged)
        json_object_set_new (o, "log_index", json_integer ((json_int_t) st.log_index));
    if (o && row->released)
        json_object_set_new (o, "released_ms", json_integer ((json_int_t) row->released_ms));
    if (o && row->via_spool)
        json_object_set_new (o, "via", json_string ("spool"));
    if (o && row->representative)
        json_object_set_new (o, "representative", json_string (row->representative));
    if (o && row->confirmed_by) {
        json_object_set_new (o, "confirmed_by", json_string (row->confirmed_by));
        json_object_set_new (o, "confirmed_ms", json_integer ((json_int_t) row->confirmed_ms));
    }
    if (o && st.refusal)
        json_object_set_new (o, "reason", json_string (st.refusal));
    outbox_status_clear (&st);
    return render_append (s->list, o, reason);
}

json_t *
partner_json_signals (signalbox_t *signalbox, outbox_t *outbox, retainbox_t *hide, int limit,
                      kt_reason_t *reason)
{
    signals_t s = {outbox, hide, json_array ()};
    return render_done (s.list, signalbox_each (signalbox, limit, s_signal, &s, reason));
}

/*  "a,b,c" as ["a", "b", "c"], without what hide hides. */
static json_t *
s_split (const char *joined, retainbox_t *hide)
{
    json_t *list = json_array ();
    char *buf = strdup (joined);
    if (!list || !buf) {
        free (buf);
        json_decref (list);
        return NULL;
    }
    for (char *save = NULL, *t = strtok_r (buf, ",", &save); t; t = strtok_r (NULL, ",", &save))
        if (!hide || !retainbox_hidden (hide, t))
            json_array_append_new (list, json_string (t));
    free (buf);
    return list;
}

typedef struct {
    retainbox_t *hide;
    json_t *list;
    bool casus_only; /* weegploeg meetings left out */
} visit_t;

static int
s_agenda (void *arg, const agendabox_row_t *row, kt_reason_t *reason)
{
    visit_t *v = arg;
    if (v->casus_only && strcmp (row->kind, "casusoverleg") != 0)
        return 0;
    json_t *refs = s_split (row->case_refs, v->hide);
    return render_append (
        v->list,
        refs
            ? json_pack ("{s:s, s:s, s:I, s:b, s:s, s:i, s:s, s:o, s:I}", "meeting_id",
                         row->meeting_id, "kind", row->kind, "sequence", (json_int_t) row->sequence,
                         "cancelled", row->cancelled, "starts_at", row->starts_at, "duration_min",
                         row->duration_min, "location", row->location, "case_refs", refs,
                         "received_ms", (json_int_t) row->received_ms)
            : NULL,
        reason);
}

json_t *
partner_json_agendas (agendabox_t *agendabox, retainbox_t *hide, bool weegploeg, int limit,
                      kt_reason_t *reason)
{
    visit_t v = {hide, json_array (), !weegploeg};
    return render_done (v.list, agendabox_each (agendabox, limit, s_agenda, &v, reason));
}

static int
s_decision (void *arg, const decisionbox_row_t *row, kt_reason_t *reason)
{
    visit_t *v = arg;
    if (v->hide && retainbox_hidden (v->hide, row->case_ref))
        return 0;
    json_t *d = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "decision_id",
                           row->decision_id, "case_ref", row->case_ref, "outcome",
                           row->agenderen         ? "agenderen"
                           : row->meer_informatie ? "meer-informatie"
                                                  : "niet-agenderen",
                           "referentiekader", row->referentiekader, "criteria", row->criteria,
                           "parties", row->parties, "decided_ms", (json_int_t) row->decided_ms,
                           "received_ms", (json_int_t) row->received_ms);
    /*  art. 7.4 sub 1: who is asked and the question's state: open until
     *  this node (the one asked) answered it or a later decision closed
     *  it. */
    if (d && row->meer_informatie) {
        json_object_set_new (d, "asked", json_string (row->asked));
        json_object_set_new (d, "question",
                             json_string (row->answered_ms ? "answered"
                                          : row->open      ? "open"
                                                           : "closed"));
        if (row->answered_ms)
            json_object_set_new (d, "answered_ms", json_integer ((json_int_t) row->answered_ms));
    }
    /*  art. 7.3: the referentiekader it was weighed against, to the byte. */
    if (d)
        json_object_set_new (d, "referentiekader_sha256",
                             json_string (row->referentiekader_sha256));
    return render_append (v->list, d, reason);
}

json_t *
partner_json_decisions (decisionbox_t *decisionbox, retainbox_t *hide, int limit,
                        kt_reason_t *reason)
{
    visit_t v = {hide, json_array (), false};
    return render_done (v.list, decisionbox_each (decisionbox, limit, s_decision, &v, reason));
}

static int
s_case (void *arg, const casebox_row_t *row, kt_reason_t *reason)
{
    visit_t *v = arg;
    if (v->hide && retainbox_hidden (v->hide, row->case_ref))
        return 0;
    return render_append (
        v->list,
        json_pack ("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I}", "case_ref", row->case_ref, "state",
                   row->state, "plan_version", (json_int_t) row->plan_version, "participants",
                   row->participants, "opened_ms", (json_int_t) row->opened_ms, "closed_ms",
                   (json_int_t) row->closed_ms, "overdue_own", (json_int_t) row->overdue_own,
                   "disclosures", (json_int_t) row->disclosures),
        reason);
}

json_t *
partner_json_cases (casebox_t *casebox, retainbox_t *hide, kt_reason_t *reason)
{
    visit_t v = {hide, json_array (), false};
    return render_done (v.list, casebox_each (casebox, s_case, &v, reason));
}

typedef struct {
    const char *case_ref;
    json_t *found;
} one_case_t;

static int
s_one_case (void *arg, const casebox_row_t *row, kt_reason_t *reason)
{
    one_case_t *o = arg;
    if (strcmp (row->case_ref, o->case_ref) != 0)
        return 0;
    json_t *list = json_array ();
    visit_t v = {NULL, list, false};
    int rc = s_case (&v, row, reason);
    if (rc == 0)
        o->found = json_incref (json_array_get (list, 0));
    json_decref (list);
    return rc < 0 ? -1 : 1;
}

json_t *
partner_json_case (casebox_t *casebox, const char *case_ref, kt_reason_t *reason)
{
    one_case_t o = {case_ref, NULL};
    if (casebox_each (casebox, s_one_case, &o, reason) != 0) {
        json_decref (o.found);
        return NULL;
    }
    return o.found ? o.found : json_null ();
}

json_t *
partner_json_agenda_item (const Keten__AgendaItem *it)
{
    json_t *signals = json_array ();
    for (size_t j = 0; j < it->n_signals; j++) {
        const Keten__AgendaSignal *g = it->signals[j];
        json_t *items = items_to_json (g->items, g->n_items);
        /*  items_to_json leaves out blocked items (art. 12.5): the k-th
         *  shown is the next one that is not.  Each says its index in the
         *  signal, which a correction names. */
        for (size_t k = 0, shown = 0; items && k < g->n_items; k++) {
            if (g->items[k]->blocked || g->items[k]->deleted)
                continue;
            char label[128];
            json_t *o = json_array_get (items, shown++);
            json_object_set_new (o, "label",
                                 json_string (items_label (g->items[k], label, sizeof label)));
            json_object_set_new (o, "item",
                                 json_integer (k < g->n_item_index ? (json_int_t) g->item_index[k]
                                                                   : (json_int_t) k));
        }
        json_array_append_new (
            signals,
            json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o*}", "sender", g->sender,
                       "category", g->category, "observed_on", g->observed_on, "source_kind",
                       g->source_kind, "description", g->description, "wpg_basis",
                       g->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10   ? "art-9-10"
                       : g->wpg_basis == KETEN__WPG_BASIS__WPG_ART_8_13 ? "art-8-13"
                                                                        : "",
                       "special_category", g->special_category, "criminal_data", g->criminal_data,
                       "items", items));
    }
    const Keten__Subject *s = it->subject;
    if (!s) /* a casusoverleg item for an externe casuspartner (art. 10.5) */
        return json_pack ("{s:s, s:o}", "case_ref", it->case_ref, "signals", signals);
    return json_pack ("{s:s, s:{s:s, s:s, s:s, s:s}, s:o}", "case_ref", it->case_ref, "subject",
                      "name", s->name, "birth_date", s->birth_date, "address", s->address,
                      "municipality", s->municipality, "signals", signals);
}

json_t *
partner_json_decision (const Keten__WeegploegDecision *d)
{
    json_t *criteria = json_array (), *parties = json_array ();
    for (size_t i = 0; i < d->n_criteria; i++)
        json_array_append_new (criteria, json_string (d->criteria[i]));
    for (size_t i = 0; i < d->n_parties; i++)
        json_array_append_new (parties, json_string (d->parties[i]));
    bool question = d->outcome == KETEN__DECISION_OUTCOME__MEER_INFORMATIE;
    json_t *r =
        json_pack ("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:I}", "decision_id", d->decision_id,
                   "case_ref", d->case_ref, "outcome",
                   d->outcome == KETEN__DECISION_OUTCOME__AGENDEREN ? "agenderen"
                   : question                                       ? "meer-informatie"
                                                                    : "niet-agenderen",
                   "referentiekader", d->referentiekader, "criteria", criteria, "analysis",
                   d->analysis, "parties", parties, "decided_ms", (json_int_t) d->decided_ms);
    /*  art. 7.4 sub 1: the kernpartij asked and the question. */
    if (r && question) {
        json_object_set_new (r, "asked", json_string (d->asked));
        json_object_set_new (r, "question", json_string (d->question));
    }
    /*  art. 7.3: the referentiekader it was weighed against, to the byte. */
    char sha[65] = "";
    if (d->referentiekader_sha256.len == 32)
        kt_hex (sha, d->referentiekader_sha256.data, 32);
    if (r)
        json_object_set_new (r, "referentiekader_sha256", json_string (sha));
    return r;
}

/*  n strings as a JSON array. */
static json_t *
s_strings (char *const *items, size_t n)
{
    json_t *list = json_array ();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new (list, json_string (items[i]));
    return list;
}

/*  Disclosures (art. 10.5) or shares (art. 9.2, 10.4) into a list. */
typedef struct {
    json_t *list;
    bool shared;
} disclosures_t;

static int
s_disclosure (void *arg, const Keten__DisclosureConsent *d, uint64_t received_ms,
              kt_reason_t *reason)
{
    disclosures_t *w = arg;
    if (d->shared != w->shared)
        return 0;
    json_t *items = items_to_json (d->items, d->n_items);
    json_t *o = json_pack ("{s:s, s:o, s:o, s:o*, s:I}", "necessity", d->necessity, "data_kinds",
                           s_strings (d->data_kinds, d->n_data_kinds), "consenting",
                           s_strings (d->consenting, d->n_consenting), "items", items,
                           "received_ms", (json_int_t) received_ms);
    if (o && d->shared)
        json_object_set_new (o, "source", json_string (d->source));
    return render_append (w->list, o, reason);
}

json_t *
partner_json_disclosures (casebox_t *casebox, const char *case_ref, bool shared,
                          kt_reason_t *reason)
{
    disclosures_t w = {json_array (), shared};
    return render_done (w.list,
                        casebox_each_disclosure (casebox, case_ref, s_disclosure, &w, reason));
}

int
partner_json_closure (casebox_t *casebox, const char *case_ref, json_t **out_p, kt_reason_t *reason)
{
    *out_p = NULL;
    Keten__CaseClosure *c = NULL;
    int found = casebox_get_closure (casebox, case_ref, &c, reason);
    if (found <= 0)
        return found;
    json_t *out = json_pack ("{s:o, s:I}", "decided_by", s_strings (c->decided_by, c->n_decided_by),
                             "closed_ms", (json_int_t) c->closed_ms);
    /*  An externe casuspartner gets none (art. 10.5). */
    if (out && *c->advice)
        json_object_set_new (out, "advice", json_string (c->advice));
    keten__case_closure__free_unpacked (c, NULL);
    *out_p = out;
    return out ? 0 : kt_fail (reason, "out of memory");
}
