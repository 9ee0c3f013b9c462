/*  uitvoerder_request: the request desk (convenant art. 12).  The
 *  uitvoerder registers a person's request, finds the subject it is about
 *  through the blind indexes (archived subjects too; an uncertain match is
 *  shown as such and never linked by itself), tracks the four weeks of
 *  12.3 on the Europe/Amsterdam calendar, and writes the overview (12.3)
 *  or the motivated refusal (12.4) as the newest decision of a kernpartij
 *  says (art. 4: the kernpartijen decide, uitvoerder_rights.c records
 *  it; `request show` shows it).  Every lookup and every read for a
 *  request is recorded as an access with the request as its purpose
 *  ("request r-..."), before anything is shown (Crash reasoning 10).
 *  docs/RIGHTS.md explains the desk.
 */
#include "uitvoerder.h"
#include "transfer.h"
#include "render.h"
#include "rights_doc.h"

#include "intake.h"
#include "intake_rules.h"
#include "logfile.h"
#include "policy.h"
#include "request.h"

#include <czmq.h>
#include <string.h>

static request_t *
s_reg (node_t *self)
{
    return uitvoerder_of (self)->requests;
}

static const char *
s_str (json_t *args, const char *key)
{
    return args ? json_string_value (json_object_get (args, key)) : NULL;
}

/*  The purpose recorded with every access for request id. */
static void
s_purpose (char out[40], const char *id)
{
    snprintf (out, 40, "request %.20s", id);
}

/* ---- the register as JSON ------------------------------------------------ */

static json_t *
s_row_json (const request_row_t *row, uint64_t now_ms)
{
    uint64_t due_ms;
    char due[11] = "";
    kt_reason_t why;
    if (request_due (row->received, &due_ms, due, &why) != 0)
        snprintf (due, sizeof due, "?");
    json_t *o = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "id",
        row->id, "kind", row->kind, "received", row->received, "from", row->from, "representation",
        row->representation, "identity_by", row->identity_by, "identity_how", row->identity_how,
        "opened_ms", (json_int_t) row->opened_ms, "opened_uid", (json_int_t) row->opened_uid, "due",
        due, "due_ms", (json_int_t) row->due_ms, "case_ref", row->case_ref, "state", row->state,
        "closed_ms", (json_int_t) row->closed_ms, "ground", row->ground, "motivation",
        row->motivation);
    if (o && *row->decided_by)
        json_object_set_new (o, "decided_by", json_string (row->decided_by));
    if (o && strcmp (row->state, "open") == 0)
        json_object_set_new (o, "deadline",
                             json_string (request_deadline_state (row->due_ms, now_ms)));
    return o;
}

typedef struct {
    json_t *list;
    uint64_t now_ms;
} list_t;

static int
s_list_row (void *arg, const request_row_t *row, kt_reason_t *reason)
{
    list_t *l = arg;
    json_t *o = s_row_json (row, l->now_ms);
    if (!o || json_array_append_new (l->list, o) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  The request id, as a request.* command's args name it; NULL after
 *  replying with the error. */
static const char *
s_id (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    const char *id = s_str (args, "request_id");
    if (!id || strlen (id) != REQUEST_ID_LEN - 1 || strncmp (id, "r-", 2) != 0) {
        char msg[96];
        snprintf (msg, sizeof msg, "%s needs request_id (r- and 16 hex digits)", cmd);
        apiserver_reply_error (self->api, caller, msg);
        return NULL;
    }
    return id;
}

/*  Read request id into *row_json; 0, or -1 after replying. */
static int
s_get (node_t *self, const api_caller_t *caller, const char *id, json_t **row_json)
{
    kt_reason_t reason;
    list_t l = {json_array (), kt_now_ms ()};
    int found = request_get (s_reg (self), id, s_list_row, &l, &reason);
    if (found <= 0) {
        if (found == 0)
            kt_fail (&reason, "no request %s", id);
        apiserver_reply_error (self->api, caller, reason.text);
        json_decref (l.list);
        return -1;
    }
    *row_json = json_incref (json_array_get (l.list, 0));
    json_decref (l.list);
    return 0;
}

void
uitvoerder_request_open (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    request_new_t r = {s_str (args, "kind"),        s_str (args, "received"),
                       s_str (args, "from"),        s_str (args, "representation"),
                       s_str (args, "identity_by"), s_str (args, "identity_how")};
    char id[REQUEST_ID_LEN], due[11];
    uint64_t due_ms;
    kt_reason_t reason;
    if (request_register (s_reg (self), &r, (uint32_t) caller->uid, kt_now_ms (), id, &reason) !=
            0 ||
        request_due (r.received, &due_ms, due, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "request opened id=%s kind=%s due=%s uid=%u", id, r.kind, due,
            (unsigned) caller->uid);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:s, s:I}", "request_id", id, "kind", r.kind, "due",
                                   due, "due_ms", (json_int_t) due_ms));
}

void
uitvoerder_request_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    bool open_only = args && json_is_true (json_object_get (args, "open"));
    kt_reason_t reason;
    list_t l = {json_array (), kt_now_ms ()};
    if (request_each (s_reg (self), open_only, s_list_row, &l, &reason) != 0) {
        json_decref (l.list);
        l.list = NULL;
    }
    render_reply (self->api, caller, "requests", l.list, &reason);
}

/* ---- finding the subject ------------------------------------------------- */

typedef struct {
    json_t *matches;
    const char *refs[64]; /* two indexes, up to 32 subjects each */
    size_t n;
} found_t;

static int
s_found (void *arg, const weegploeg_found_t *f, kt_reason_t *reason)
{
    found_t *l = arg;
    json_t *o = json_pack ("{s:s, s:b, s:b, s:s, s:s}", "case_ref", f->case_ref, "certain",
                           f->certain, "archived", f->archived, "by", f->by, "why", f->why);
    if (!o || json_array_append_new (l->matches, o) != 0)
        return kt_fail (reason, "out of memory");
    if (l->n < 64)
        l->refs[l->n++] = json_string_value (json_object_get (o, "case_ref"));
    return 0;
}

void
uitvoerder_request_find (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    const char *id = s_id (self, caller, cmd, args);
    json_t *row;
    if (!id || s_get (self, caller, id, &row) != 0)
        return;
    const char *state = json_string_value (json_object_get (row, "state"));
    bool open = state && strcmp (state, "open") == 0;
    json_decref (row);
    if (!open) {
        apiserver_reply_error (self->api, caller,
                               "the request is closed; a lookup needs an open "
                               "request as its purpose");
        return;
    }
    const char *bsn = s_str (args, "bsn"), *name = s_str (args, "name"),
               *birth = s_str (args, "birth_date");
    kt_reason_t reason;
    if (bsn && !intake_valid_bsn (bsn)) {
        apiserver_reply_error (self->api, caller, "the BSN is not 9 digits passing the elfproef");
        return;
    }
    if (!bsn == !(name && birth) || (!!name != !!birth)) {
        apiserver_reply_error (self->api, caller,
                               "request.find needs bsn, or name and birth_date (not both)");
        return;
    }
    if (name && (!intake_text_ok (name, 1, 200, false) || !intake_valid_date (birth))) {
        apiserver_reply_error (self->api, caller,
                               "name must be 1..200 bytes of text, birth_date YYYY-MM-DD");
        return;
    }
    found_t l = {json_array (), {0}, 0};
    if (weegploeg_find_person (uitvoerder_of (self)->weegploeg, bsn, name, birth, s_found, &l,
                               &reason) != 0) {
        json_decref (l.matches);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    /*  art. 15.2e: the lookup is on record, with the request as its
     *  purpose, before its outcome is shown; a lookup that found nobody
     *  is recorded under "-" (no subject). */
    char purpose[40];
    s_purpose (purpose, id);
    static const char *const none[1] = {"-"};
    if (node_record_access (self, caller, purpose, l.n ? l.refs : none, l.n ? l.n : 1, &reason) !=
        0) {
        json_decref (l.matches);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:o}", "request_id", id, "by",
                                   bsn ? "bsn" : "name+birth", "matches", l.matches));
}

void
uitvoerder_request_link (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    const char *id = s_id (self, caller, cmd, args);
    const char *ref = s_str (args, "case_ref");
    if (!id)
        return;
    kt_reason_t reason;
    int state = ref && weegploeg_case_ref_ok (ref)
                    ? weegploeg_subject_state (uitvoerder_of (self)->weegploeg, ref, &reason)
                    : kt_fail (&reason, "request.link needs a case_ref (k- and 16 hex digits)");
    if (state == 0)
        kt_fail (&reason, "no subject %s in the weegploeg file", ref);
    if (state <= 0 ||
        request_link (s_reg (self), id, ref, (uint32_t) caller->uid, kt_now_ms (), &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "request linked id=%s case_ref=%s uid=%u", id, ref,
            (unsigned) caller->uid);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:b}", "request_id", id, "case_ref", ref, "archived",
                                   state == WEEGPLOEG_SUBJECT_ARCHIVED));
}

/* ---- the documents -------------------------------------------------------- */

/*  Everything gathered for one request's documents. */
typedef struct {
    node_t *node;
    const char *case_ref;
    rights_doc_t doc;
    weegploeg_case_signal_t *signals;
    size_t n_signals;
    rights_item_t *items;
    zlist_t *strings; /* owned strings the doc borrows */
    json_t *withhold; /* hex message ids left out (partial refusal) */
    /*  From the log. */
    rights_recipient_t *recipients;
    size_t n_recipients, cap_recipients;
    zhashx_t *sent; /* hex id -> index + 1 in recipients */
    /*  From the casusoverleg file. */
    casusoverleg_contribution_t *read_contributions;
    rights_contribution_t *contributions;
    size_t n_contributions;
    /*  From the weegploeg file: answers to the weegploeg's questions. */
    decision_answer_t *read_answers;
    rights_contribution_t *answers;
    size_t n_answers;
    const char *parties[CASUS_MAX_PARTICIPANTS];
    bool failed;
} gather_t;

static const char *
s_keep (gather_t *g, char *s)
{
    if (!s) {
        g->failed = true;
        return "";
    }
    zlist_append (g->strings, s);
    return s;
}

/*  A member as the documents name it: "Name (id)", or the id. */
static const char *
s_party (gather_t *g, const char *id)
{
    const roster_member_t *m = roster_find (keyring_roster (g->node->keyring), id);
    if (!m || !*m->name || strcmp (m->name, id) == 0)
        return s_keep (g, strdup (id));
    char *s = NULL;
    return s_keep (g, asprintf (&s, "%s (%s)", m->name, id) < 0 ? NULL : s);
}

static const char *
s_what (Keten__MessageType t)
{
    switch (t) {
    case KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA:
        return "agenda van de weegploeg, met uw gegevens";
    case KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION:
        return "besluit van de weegploeg over u";
    case KETEN__MESSAGE_TYPE__CASUS_AGENDA:
        return "agenda van het casusoverleg, met uw gegevens";
    case KETEN__MESSAGE_TYPE__PLAN:
        return "plan van aanpak";
    case KETEN__MESSAGE_TYPE__CLOSURE:
        return "besluit tot afsluiting van de casus";
    case KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT:
        return "gegevens verstrekt met toestemming (art. 10.5)";
    case KETEN__MESSAGE_TYPE__CORRECTION_NOTICE:
        return "correctie van uw gegevens";
    case KETEN__MESSAGE_TYPE__RETENTION_NOTICE:
        return "bericht over bewaren of vernietigen (art. 13)";
    default:
        return "bericht";
    }
}

static bool
s_concerns (const Keten__LogEntry *e, const char *ref)
{
    if (e->case_ref && strcmp (e->case_ref, ref) == 0)
        return true;
    for (size_t i = 0; i < e->n_case_refs; i++)
        if (strcmp (e->case_refs[i], ref) == 0)
            return true;
    return false;
}

/*  One more row of "Aan wie uw gegevens zijn verstrekt"; its number
 *  (1-based), 0 when out of memory. */
static size_t
s_add_recipient (gather_t *g, uint64_t at_ms, const char *what, const char *party,
                 uint64_t delivered_ms)
{
    if (g->n_recipients == g->cap_recipients) {
        size_t cap = g->cap_recipients ? g->cap_recipients * 2 : 16;
        rights_recipient_t *grown = realloc (g->recipients, cap * sizeof *grown);
        if (!grown) {
            g->failed = true;
            return 0;
        }
        g->recipients = grown;
        g->cap_recipients = cap;
    }
    g->recipients[g->n_recipients++] = (rights_recipient_t){at_ms, what, party, delivered_ms};
    return g->n_recipients;
}

static void
s_on_entry (void *arg, uint64_t index, const Keten__LogEntry *e)
{
    (void) index;
    gather_t *g = arg;
    char hex[KT_ID_HEX] = "";
    if (e->message_id.len == KT_ID_LEN)
        kt_hex (hex, e->message_id.data, KT_ID_LEN);
    if (e->event == KETEN__LOG_EVENT__MESSAGE_SENT && s_concerns (e, g->case_ref)) {
        for (size_t i = 0; i < e->n_recipients; i++) {
            size_t at = s_add_recipient (g, e->time_ms, s_what (e->message_type),
                                         s_party (g, e->recipients[i]), 0);
            if (at && *hex)
                zhashx_update (g->sent, hex, (void *) (uintptr_t) at);
        }
    } else if (e->event == KETEN__LOG_EVENT__TRANSFER_SENT && s_concerns (e, g->case_ref) &&
               e->n_recipients == 1) {
        /*  docs/FEDERATIONS.md: handed over to another region. */
        char *party = NULL;
        if (asprintf (&party, "de uitvoerder van een andere regio (%s)", e->recipients[0]) < 0)
            party = NULL;
        size_t at = s_keep (g, party)
                        ? s_add_recipient (g, e->time_ms,
                                           "overdracht naar een andere regio: uw gegevens, de "
                                           "feiten uit de signalen en de stand van het plan",
                                           party, 0)
                        : 0;
        if (at && *hex)
            zhashx_update (g->sent, hex, (void *) (uintptr_t) at);
    } else if ((e->event == KETEN__LOG_EVENT__MESSAGE_DELIVERED ||
                (e->event == KETEN__LOG_EVENT__TRANSFER_ANSWERED &&
                 strncmp (e->what, "accepted", 8) == 0)) &&
               *hex) {
        uintptr_t at = (uintptr_t) zhashx_lookup (g->sent, hex);
        if (at && !g->recipients[at - 1].delivered_ms)
            g->recipients[at - 1].delivered_ms = e->time_ms;
    }
}

/*  Transfers taken in from another region about this subject. */
static void
s_received_transfers (node_t *self, gather_t *g)
{
    kt_reason_t reason;
    json_t *list = transfer_list (uitvoerder_of (self)->transfer, g->case_ref, 100, &reason);
    if (!list) {
        g->failed = true;
        return;
    }
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get (list, "received"), i, row)
    {
        char *party = NULL;
        const char *from = json_string_value (json_object_get (row, "federation"));
        if (asprintf (&party, "deze regio, van de uitvoerder van %s", from ? from : "?") < 0)
            party = NULL;
        uint64_t at = (uint64_t) json_integer_value (json_object_get (row, "received_ms"));
        if (s_keep (g, party))
            s_add_recipient (g, at,
                             "overdracht uit een andere regio: uw gegevens zijn hier ontvangen",
                             party, at);
    }
    json_decref (list);
}

typedef struct {
    const char *case_ref;
    bool found, archived;
} casus_last_t;

static int
s_casus_last (void *arg, const char *case_ref, uint64_t last_ms, bool archived, kt_reason_t *reason)
{
    (void) last_ms;
    (void) reason;
    casus_last_t *c = arg;
    if (strcmp (case_ref, c->case_ref) == 0) {
        c->found = true;
        c->archived = archived;
    }
    return 0;
}

static int
s_casus_row (void *arg, const casusoverleg_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    gather_t *g = arg;
    if (strcmp (row->case_ref, g->case_ref) != 0)
        return 0;
    g->doc.casus_opened_ms = row->opened_ms;
    char *list = strdup (row->participants);
    if (!s_keep (g, list) || !list)
        return 0;
    size_t n = 0;
    for (char *save = NULL, *p = strtok_r (list, ",", &save); p && n < CASUS_MAX_PARTICIPANTS;
         p = strtok_r (NULL, ",", &save))
        g->parties[n++] = s_party (g, p);
    g->doc.casus_parties = g->parties;
    g->doc.n_casus_parties = n;
    return 1;
}

static bool
s_withheld (json_t *withhold, const char *hex)
{
    json_t *v;
    size_t i;
    json_array_foreach (withhold, i, v)
    {
        if (json_is_string (v) && strcmp (json_string_value (v), hex) == 0)
            return true;
    }
    return false;
}

static void
s_gather_free (gather_t *g)
{
    weegploeg_case_free (g->signals, g->n_signals);
    free (g->items);
    free (g->recipients);
    free (g->contributions);
    casusoverleg_contributions_free (g->read_contributions, g->n_contributions);
    free (g->answers);
    decision_answers_free (g->read_answers, g->n_answers);
    zhashx_destroy (&g->sent);
    if (g->strings)
        for (char *s = zlist_first (g->strings); s; s = zlist_next (g->strings))
            free (s);
    zlist_destroy (&g->strings);
}

/*  Gather what the documents of request row (linked to case_ref, or ""
 *  when nothing was found) say.  The caller has recorded the read. */
/*  The request's own fields of a document (no data about the person). */
static void
s_doc_fields (node_t *self, json_t *row, rights_doc_t *d)
{
    d->request_id = json_string_value (json_object_get (row, "id"));
    d->kind = json_string_value (json_object_get (row, "kind"));
    d->received = json_string_value (json_object_get (row, "received"));
    d->from = json_string_value (json_object_get (row, "from"));
    d->representation = json_string_value (json_object_get (row, "representation"));
    d->controller = keyring_self_member (self->keyring)->name;
    d->now_ms = kt_now_ms ();
}

static int
s_gather (node_t *self, json_t *row, json_t *withhold, gather_t *g, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    memset (g, 0, sizeof *g);
    g->node = self;
    g->case_ref = json_string_value (json_object_get (row, "case_ref"));
    g->withhold = withhold;
    g->strings = zlist_new ();
    g->sent = zhashx_new ();
    if (!g->strings || !g->sent)
        return kt_fail (reason, "out of memory");
    rights_doc_t *d = &g->doc;
    s_doc_fields (self, row, d);
    if (!*g->case_ref)
        return 0; /* nothing found: the overview says so */

    int state = weegploeg_subject_state (u->weegploeg, g->case_ref, reason);
    if (state < 0)
        return -1;
    /*  art. 13.2: the person's inzage covers the archive too; the read is
     *  on record with the request as its purpose (s_documents).  A
     *  subject destroyed since it was linked has nothing left to show. */
    d->archived = state == WEEGPLOEG_SUBJECT_ARCHIVED;
    if (state != 0 && weegploeg_read_case_archived (u->weegploeg, g->case_ref, true, &g->signals,
                                                    &g->n_signals, reason) != 0)
        return -1;
    g->items = calloc (g->n_signals + 1, sizeof *g->items);
    if (!g->items)
        return kt_fail (reason, "out of memory");
    size_t matched = 0;
    for (size_t i = 0; i < g->n_signals; i++) {
        char hex[KT_ID_HEX];
        kt_hex (hex, g->signals[i].message_id, KT_ID_LEN);
        if (s_withheld (withhold, hex)) {
            d->n_withheld++;
            matched++;
            continue;
        }
        rights_item_t *it = &g->items[d->n_items++];
        it->signal = g->signals[i].signal;
        it->party = s_party (g, g->signals[i].sender);
        it->received_ms = g->signals[i].received_ms;
        /*  The random end of the id: its start is a time, the same for
         *  signals of one moment. */
        snprintf (it->ref, sizeof it->ref, "%.8s", hex + 24);
    }
    if (matched != json_array_size (withhold))
        return kt_fail (reason, "a message id to withhold is not a signal of %s", g->case_ref);
    d->items = g->items;

    /*  art. 12.3: everything kept about the person, the answers a
     *  kernpartij gave the weegploeg too. */
    if (decision_answers_read (u->weegploeg, g->case_ref, &g->read_answers, &g->n_answers,
                               reason) != 0)
        return -1;
    g->answers = calloc (g->n_answers + 1, sizeof *g->answers);
    if (!g->answers)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < g->n_answers; i++)
        g->answers[i] =
            (rights_contribution_t){s_party (g, g->read_answers[i].sender),
                                    g->read_answers[i].received_ms, g->read_answers[i].answer};
    d->answers = g->answers;
    d->n_answers = g->n_answers;

    casus_last_t c = {g->case_ref, false, false};
    if (u->casus) {
        if (casusoverleg_each_last (u->casus, g->case_ref, s_casus_last, &c, reason) != 0)
            return -1;
        d->in_casus = c.found;
        d->casus_archived = c.archived;
        if (c.found &&
            (casusoverleg_case_row (u->casus, g->case_ref, s_casus_row, g, reason) < 0 ||
             casusoverleg_read_contributions (u->casus, g->case_ref, &g->read_contributions,
                                              &g->n_contributions, reason) != 0))
            return -1;
        g->contributions = calloc (g->n_contributions + 1, sizeof *g->contributions);
        if (!g->contributions)
            return kt_fail (reason, "out of memory");
        for (size_t i = 0; i < g->n_contributions; i++) {
            const casusoverleg_contribution_t *k = &g->read_contributions[i];
            g->contributions[i] =
                (rights_contribution_t){s_party (g, k->sender), k->received_ms, k->contribution};
        }
    }
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/log.db", self->config.state_dir);
    if (logfile_scan (path, s_on_entry, g, reason) != 0)
        return -1;
    s_received_transfers (self, g);
    d->recipients = g->recipients;
    d->n_recipients = g->n_recipients;
    d->contributions = g->contributions;
    d->n_contributions = g->contributions ? g->n_contributions : 0;
    return g->failed ? kt_fail (reason, "out of memory") : 0;
}

/*  The newest kernpartij decision on a request, copied out of the row. */
typedef struct {
    bool found;
    char outcome[16];
    char ground[16];
    char node[65];
    char os_user[65];
    char *motivation;
    json_t *withhold; /* hex message ids */
    uint64_t decided_ms, log_index;
} kdecision_t;

static int
s_decision_row (void *arg, const request_decision_t *d, uint64_t decided_ms, uint64_t log_index,
                kt_reason_t *reason)
{
    kdecision_t *x = arg;
    x->found = true;
    snprintf (x->outcome, sizeof x->outcome, "%s", d->outcome);
    snprintf (x->ground, sizeof x->ground, "%s", d->ground);
    snprintf (x->node, sizeof x->node, "%s", d->node);
    snprintf (x->os_user, sizeof x->os_user, "%s", d->os_user);
    x->decided_ms = decided_ms;
    x->log_index = log_index;
    x->motivation = strdup (d->motivation);
    x->withhold = json_array ();
    if (!x->motivation || !x->withhold)
        return kt_fail (reason, "out of memory");
    char list[POLICY_MAX_WITHHOLD * (KT_ID_HEX + 1) + 1];
    snprintf (list, sizeof list, "%s", d->withhold);
    for (char *save = NULL, *p = strtok_r (list, ",", &save); p; p = strtok_r (NULL, ",", &save))
        json_array_append_new (x->withhold, json_string (p));
    return 0;
}

static void
s_decision_clear (kdecision_t *x)
{
    free (x->motivation);
    json_decref (x->withhold);
    memset (x, 0, sizeof *x);
}

/*  The newest decision on request id into *x (x->found false when none);
 *  0, or -1 with reason. */
static int
s_decision (node_t *self, const char *id, kdecision_t *x, kt_reason_t *reason)
{
    memset (x, 0, sizeof *x);
    if (request_decision_latest (s_reg (self), id, s_decision_row, x, reason) < 0) {
        s_decision_clear (x);
        return -1;
    }
    return 0;
}

static json_t *
s_decision_json (const kdecision_t *x)
{
    json_t *o = json_pack ("{s:s, s:s, s:s, s:I, s:I}", "outcome", x->outcome, "decided_by",
                           x->node, "os_user", x->os_user, "decided_ms", (json_int_t) x->decided_ms,
                           "log_index", (json_int_t) x->log_index);
    if (o && *x->ground) {
        json_object_set_new (o, "ground", json_string (x->ground));
        json_object_set_new (o, "motivation", json_string (x->motivation));
    }
    if (o && json_array_size (x->withhold))
        json_object_set (o, "withhold", x->withhold);
    return o;
}

/*  The corrections decided on a request (art. 12.5), as its letter
 *  names them. */
typedef struct {
    rights_change_t *rows;
    size_t n, cap;
    char pending[24]; /* the first not carried out yet, "" when none */
} changes_t;

static int
s_change_row (void *arg, const correction_row_t *row, bool carried_out, kt_reason_t *reason)
{
    changes_t *c = arg;
    if (!carried_out && !*c->pending)
        snprintf (c->pending, sizeof c->pending, "%s", row->correction_id);
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        rights_change_t *grown = realloc (c->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        c->rows = grown;
        c->cap = cap;
    }
    rights_change_t *w = &c->rows[c->n++];
    memset (w, 0, sizeof *w);
    char hex[KT_ID_HEX];
    snprintf (w->ref, sizeof w->ref, "%.8s", kt_hex (hex, row->signal_id, KT_ID_LEN) + 24);
    w->action = correction_action_name (row->action_code); /* static: row is borrowed */
    w->whole_signal = row->whole_signal;
    w->item_index = row->item_index;
    w->decided_ms = row->decided_ms;
    return 0;
}

/*  The documents go to the desk in one answer of the local API, its
 *  envelope and the caller's id (at most API_MAX_ID bytes) around them:
 *  the request is closed only when they fit, so they never come short. */
#define S_MAX_DOCUMENTS ((size_t) API_MAX_ANSWER - API_MAX_ID - 64)
/*  The subject's signals as stored that are read for an overview at
 *  most.  Each signal is at least about as large in the overview (its
 *  HTML and its text each show what it holds but the melder and the
 *  source detail, 900 bytes at most, under more than that of labels), so
 *  past twice the answer's size the overview cannot fit: refused before
 *  anything is read, it bounds the memory of a subject with very many. */
#define S_MAX_READ ((uint64_t) 2 * API_MAX_ANSWER)

static int
s_too_large (kt_reason_t *reason, const char *what)
{
    return kt_fail (reason,
                    "%s: the documents do not fit in one answer of the local API (at most %d "
                    "MiB); nothing was closed",
                    what, API_MAX_ANSWER / (1024 * 1024));
}

/*  Whether the overview of case_ref can be made at all, by the size of
 *  its signals as stored (S_MAX_READ): 0, or -1 with reason. */
static int
s_readable (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    uint64_t bytes;
    if (weegploeg_case_bytes (uitvoerder_of (self)->weegploeg, case_ref, &bytes, reason) != 0)
        return -1;
    if (bytes <= S_MAX_READ)
        return 0;
    char what[160];
    snprintf (what, sizeof what, "the signals of %.40s are %llu MiB as stored, more than %llu MiB",
              case_ref, (unsigned long long) (bytes >> 20),
              (unsigned long long) (S_MAX_READ >> 20));
    return s_too_large (reason, what);
}

/*  answer: carry out the newest kernpartij decision (art. 4, 12.3-12.4):
 *  record the read, gather, write the overview and/or the letter, close,
 *  reply. */
static void
s_documents (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    const char *id = s_id (self, caller, cmd, args);
    json_t *row = NULL;
    if (!id || s_get (self, caller, id, &row) != 0)
        return;
    kt_reason_t reason;
    const char *case_ref = json_string_value (json_object_get (row, "case_ref"));
    const char *state = json_string_value (json_object_get (row, "state"));
    /*  art. 12.5: a request for a change is answered by the corrections
     *  decided on it, once they are carried out (or refused by a
     *  kernpartij, as any request). */
    bool change = strcmp (json_string_value (json_object_get (row, "kind")), "inzage") != 0;
    bool nothing = args && json_is_true (json_object_get (args, "nothing_found"));
    changes_t ch;
    memset (&ch, 0, sizeof ch);
    kdecision_t dec;
    memset (&dec, 0, sizeof dec);
    json_t *result = NULL;
    gather_t g;
    memset (&g, 0, sizeof g);
    int rc = 0;
    /*  A subject destroyed while its request was open (art. 13 does not
     *  wait for it): nothing is held any more, and that is the answer. */
    int destroyed = *case_ref ? uitvoerder_destroyed (self, case_ref, &reason) : 0;
    if (destroyed < 0)
        rc = -1;
    else if (strcmp (state, "open") != 0)
        rc = kt_fail (&reason, "request %s is %s already", id, state);
    else if (destroyed && !nothing)
        rc = kt_fail (&reason,
                      "the subject %s of request %s is destroyed (art. 13): nothing is held any "
                      "more, whatever was decided; answer that nothing was found (nothing_found)",
                      case_ref, id);
    else if (s_decision (self, id, &dec, &reason) != 0)
        rc = -1;
    else if (!dec.found && !change)
        rc = kt_fail (&reason,
                      "no kernpartij has decided on request %s yet (art. 4, 12.3-12.4): a "
                      "kernpartij decides at its node with keten request decide %s --grant | "
                      "--partial GROUND | --refuse GROUND",
                      id, id);
    else if (!*case_ref && !nothing)
        rc = kt_fail (&reason, "link the request to its subject first (request.link), or say that "
                               "nothing was found (nothing_found)");
    else if (*case_ref && nothing && !destroyed)
        rc = kt_fail (&reason, "the request is linked to %s; nothing_found does not apply",
                      case_ref);
    /*  From here on the destroyed subject is nothing found. */
    char linked[40];
    snprintf (linked, sizeof linked, "%s", case_ref);
    if (rc == 0 && destroyed) {
        json_object_set_new (row, "case_ref", json_string (""));
        case_ref = "";
    }
    /*  A destroyed subject: nothing is held, whatever the decision (a
     *  refusal would have nothing left to withhold). */
    bool refuse = rc == 0 && !destroyed && dec.found && strcmp (dec.outcome, "grant") != 0;
    /*  A request for a change, not refused and about a subject held:
     *  its corrections, each carried out. */
    bool carried = rc == 0 && change && !refuse && !destroyed && !nothing;
    if (carried && uitvoerder_corrections_of_request (self, id, s_change_row, &ch, &reason) != 0)
        rc = -1;
    else if (carried && ch.n == 0)
        rc = kt_fail (&reason,
                      "no correction names request %s yet (art. 12.5): the desk decides one with "
                      "keten correction decide %s ... --request %s, or a kernpartij refuses the "
                      "request (keten request decide %s --refuse GROUND)",
                      id, case_ref, id, id);
    else if (carried && *ch.pending)
        rc = kt_fail (&reason,
                      "correction %s on request %s is not carried out yet: not every party has "
                      "confirmed it (keten correction list)",
                      ch.pending, id);
    bool partial = rc == 0 && !destroyed && strcmp (dec.outcome, "partial") == 0;
    const rights_ground_t *ground = refuse ? rights_ground_find (dec.ground) : NULL;
    if (rc == 0 && refuse && !ground)
        rc = kt_fail (&reason, "the decision names no ground the desk knows (%s)", dec.ground);
    if (rc == 0 && partial && !*case_ref)
        rc = kt_fail (&reason, "a partial refusal withholds signals of a subject; nothing was "
                               "found for this request");
    /*  Nothing read, so nothing on record, for an overview that cannot
     *  be given. */
    if (rc == 0 && !carried && (!refuse || partial) && *case_ref)
        rc = s_readable (self, case_ref, &reason);
    if (rc == 0 && (!refuse || partial) && *case_ref) {
        /*  art. 15.2e, Crash reasoning 10: on record before it is read
         *  into a document the caller receives. */
        char purpose[40];
        const char *refs[1] = {case_ref};
        s_purpose (purpose, id);
        rc = node_record_access (self, caller, purpose, refs, 1, &reason);
    }
    char *html = NULL, *txt = NULL, *lhtml = NULL, *ltxt = NULL, *chtml = NULL, *ctxt = NULL;
    if (rc == 0 && carried) {
        /*  What was changed, by kenmerk: nothing of the data itself. */
        rights_doc_t doc;
        memset (&doc, 0, sizeof doc);
        s_doc_fields (self, row, &doc);
        rc = rights_carried_out (&doc, ch.rows, ch.n, &chtml, &ctxt, &reason);
    } else if (rc == 0)
        rc = s_gather (self, row, partial ? dec.withhold : NULL, &g, &reason);
    if (rc == 0 && !carried && (!refuse || partial)) {
        g.doc.max_bytes = S_MAX_DOCUMENTS;
        rc = rights_overview (&g.doc, &html, &txt, &reason);
        if (rc == RIGHTS_TOO_LARGE) {
            char what[sizeof reason.text];
            snprintf (what, sizeof what, "%s", reason.text);
            rc = s_too_large (&reason, what);
        }
    }
    if (rc == 0 && refuse)
        rc = rights_refusal (&g.doc, ground, dec.motivation, partial, &lhtml, &ltxt, &reason);
    uint64_t now = kt_now_ms ();
    if (rc == 0) {
        result = json_pack ("{s:s, s:s, s:I, s:o}", "request_id", id, "state",
                            !refuse   ? "answered"
                            : partial ? "partly-refused"
                                      : "refused",
                            "closed_ms", (json_int_t) now, "decision",
                            dec.found ? s_decision_json (&dec) : json_null ());
        if (result && chtml) {
            json_object_set_new (result, "decision_html", json_string (chtml));
            json_object_set_new (result, "decision_txt", json_string (ctxt));
        }
        if (result && html) {
            json_object_set_new (result, "overview_html", json_string (html));
            json_object_set_new (result, "overview_txt", json_string (txt));
        }
        if (result && lhtml) {
            json_object_set_new (result, "letter_html", json_string (lhtml));
            json_object_set_new (result, "letter_txt", json_string (ltxt));
        }
        /*  The documents come once: the request closes only when the
         *  answer fits in one frame the client takes. */
        size_t size = result ? json_dumpb (result, NULL, 0, JSON_COMPACT) : 0;
        char what[64];
        snprintf (what, sizeof what, "the answer is %zu bytes", size);
        if (!result)
            rc = kt_fail (&reason, "out of memory");
        else if (size > S_MAX_DOCUMENTS)
            rc = s_too_large (&reason, what);
    }
    if (rc == 0)
        rc = request_close (s_reg (self), id, refuse ? ground->code : NULL, dec.motivation, partial,
                            destroyed ? REQUEST_DESTROYED
                            : nothing ? REQUEST_NOTHING_FOUND
                                      : REQUEST_HELD,
                            carried     ? keyring_self_member (self->keyring)->id
                            : dec.found ? dec.node
                                        : "",
                            (uint32_t) caller->uid, now, &reason);
    /*  The motivation just kept goes with the subject's other texts. */
    if (rc == 0 && destroyed && request_forget_case (s_reg (self), linked, &reason) != 0)
        kt_log (KT_LOG_ERROR, "request forget_failed id=%s reason=\"%s\"", id, reason.text);
    if (rc == 0)
        kt_log (KT_LOG_INFO, "request %s id=%s decided_by=%s uid=%u",
                refuse ? "refused" : "answered", id,
                carried     ? "uitvoerder"
                : dec.found ? dec.node
                            : "-",
                (unsigned) caller->uid);
    free (html);
    free (chtml);
    free (ctxt);
    free (ch.rows);
    free (txt);
    free (lhtml);
    free (ltxt);
    s_gather_free (&g);
    s_decision_clear (&dec);
    json_decref (row);
    if (rc == 0)
        apiserver_reply_ok (self->api, caller, result);
    else {
        json_decref (result);
        apiserver_reply_error (self->api, caller, reason.text);
    }
}

void
uitvoerder_request_answer (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    s_documents (self, caller, cmd, args);
}

void
uitvoerder_request_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    const char *id = s_id (self, caller, cmd, args);
    json_t *row;
    if (!id || s_get (self, caller, id, &row) != 0)
        return;
    /*  The kernpartij's newest decision, which the answer will follow. */
    kdecision_t dec;
    kt_reason_t reason;
    if (s_decision (self, id, &dec, &reason) != 0) {
        json_decref (row);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_object_set_new (row, "decision", dec.found ? s_decision_json (&dec) : json_null ());
    s_decision_clear (&dec);
    apiserver_reply_ok (self->api, caller, json_pack ("{s:o}", "request", row));
}

void
uitvoerder_request_grounds (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    json_t *list = json_array ();
    for (size_t i = 0; i < rights_n_grounds; i++)
        json_array_append_new (list, json_pack ("{s:s, s:s}", "code", rights_grounds[i].code,
                                                "text", rights_grounds[i].text));
    apiserver_reply_ok (self->api, caller, json_pack ("{s:o}", "grounds", list));
}

/* ---- status ---------------------------------------------------------------- */

typedef struct {
    json_t *open;
    int warnings, alarms;
    uint64_t now_ms;
} status_t;

static int
s_status_row (void *arg, const request_row_t *row, kt_reason_t *reason)
{
    status_t *s = arg;
    uint64_t due_ms;
    char due[11];
    if (request_due (row->received, &due_ms, due, reason) != 0)
        return -1;
    const char *state = request_deadline_state (row->due_ms, s->now_ms);
    s->warnings += strcmp (state, "warning") == 0;
    s->alarms += strcmp (state, "overdue") == 0;
    json_t *o = json_pack ("{s:s, s:s, s:s, s:I, s:s, s:b}", "id", row->id, "kind", row->kind,
                           "due", due, "due_ms", (json_int_t) row->due_ms, "state", state, "linked",
                           *row->case_ref != '\0');
    if (!o || json_array_append_new (s->open, o) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

void
uitvoerder_rights_status (node_t *self, json_t *result)
{
    status_t s = {json_array (), 0, 0, kt_now_ms ()};
    kt_reason_t reason;
    if (!s_reg (self) || request_each (s_reg (self), true, s_status_row, &s, &reason) != 0) {
        /*  Left out rather than shown as "nothing open", and named. */
        const char *why = s_reg (self) ? reason.text : "no register";
        kt_log (KT_LOG_ERROR, "status rights_unreadable reason=\"%s\"", why);
        node_status_unreadable (result, "rights", why);
    } else
        json_object_set_new (result, "rights",
                             json_pack ("{s:O, s:i, s:i}", "open", s.open, "warnings", s.warnings,
                                        "alarms", s.alarms));
    json_decref (s.open);
}
