/*  partner_retention: art. 13 at a partner node (docs/RETENTION.md).  The
 *  uitvoerder, which knows the whole federation's last processing, tells
 *  each node that received data about a subject to archive, destroy or
 *  reopen it (RETENTION_NOTICE); the node applies the notice durably and
 *  only then answers with its receipt, which is its confirmation.  As a
 *  safety net the node runs the same schedule over what it holds, a day
 *  later (RETENTION_GRACE_MS), at start, hourly and on retention.run.  A
 *  kernpartij may read its archived copies on record (retention.read) and
 *  order them back (retention.reopen, art. 13.4).
 */
#include "partner.h"
#include "partner_json.h"
#include "render.h"

#include "policy.h"
#include "relay.h"
#include "retention.h"
#include "weegploeg.h"

#include <string.h>

#define RETENTION_TIMER_MS (3600 * 1000)
/*  Between two batches of a long run: the loop serves in between. */
#define RETENTION_BATCH_MS 100
/*  While the safety net waits for a clock the federation confirms, how
 *  often it looks again. */
#define RETENTION_CLOCK_RETRY_MS 1000

static bool
s_kernpartij (node_t *self)
{
    return keyring_self_member (self->keyring)->role == ROLE_KERNPARTIJ;
}

/*  A destroyed signal's spool record goes with it, and its file in done/
 *  if it is still there (a signal destroyed before its receipt). */
static int
s_forget_spool_file (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    partner_t *p = arg;
    return spool_forget (p->spool, id, reason);
}

retain_boxes_t
partner_retention_boxes (node_t *self)
{
    partner_t *p = partner_of (self);
    return (retain_boxes_t){.agendabox = p->agendabox,
                            .decisionbox = p->decisionbox,
                            .casebox = p->casebox,
                            .signalbox = p->signalbox,
                            .outbox = p->outbox,
                            .forget_file = p->spool ? s_forget_spool_file : NULL,
                            .forget_file_arg = p};
}

bool
partner_retention_late (node_t *self, const node_message_t *m, const char *what,
                        const char *case_ref)
{
    partner_t *p = partner_of (self);
    kt_reason_t reason;
    int late = p->retainbox ? retainbox_late_copy (p->retainbox, case_ref,
                                                   m->opened.header->created_ms, &reason)
                            : 0;
    if (late == 0)
        return false;
    if (late < 0) {
        /*  Crash reasoning, rule 3: no receipt, the uitvoerder offers it
         *  again. */
        kt_log (KT_LOG_ERROR, "retention state_failed what=%s id=%s case_ref=%.24s reason=\"%s\"",
                what, m->hex, case_ref, reason.text);
        return true;
    }
    kt_log (KT_LOG_INFO, "retention dropped_late what=%s id=%s case_ref=%s", what, m->hex,
            case_ref);
    /*  art. 13: refused, not accepted, so the uitvoerder's log does not
     *  say "delivered" for a copy that was dropped; a refusal is final,
     *  so it is not offered again either. */
    partner_receipt (self, m->opened.id, false, RELAY_DESTROYED_HERE);
    return true;
}

/*  retainbox's calendar writer: a meeting lost a destroyed subject. */
static int
s_publish (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    return partner_agenda_publish (arg, meeting_id, reason);
}

/*  Run the schedule as a dry run; fn hears each step due. */
static int
s_dry_run (node_t *self, retain_action_fn *fn, void *arg, kt_reason_t *reason)
{
    retain_boxes_t boxes = partner_retention_boxes (self);
    return retainbox_run (partner_of (self)->retainbox, &boxes, keyring_roster (self->keyring),
                          kt_now_ms (), true, fn, arg, reason);
}

static int
s_log_step (void *arg, const char *case_ref, const char *action, uint64_t due_ms,
            kt_reason_t *reason)
{
    (void) arg;
    (void) reason;
    kt_log (KT_LOG_INFO, "retention due case_ref=%s action=%s due_ms=%llu", case_ref, action,
            (unsigned long long) due_ms);
    return 0;
}

static int s_on_batch (zloop_t *loop, int timer_id, void *arg);

/*  Run one batch of the schedule (at most RETAIN_BATCH steps); fn (may be
 *  NULL) hears each step.  While more remain, the next batch follows in
 *  RETENTION_BATCH_MS, so a run of thousands of subjects never holds the
 *  loop past the watchdog.  A batch in which every step failed arms
 *  nothing: the hourly run tries again, rather than a busy loop over a
 *  subject that cannot be completed now. */
static int
s_batch (node_t *self, retain_action_fn *fn, void *arg, bool *more_p, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    retain_boxes_t boxes = partner_retention_boxes (self);
    retain_batch_t batch = {false, 0};
    int rc = retainbox_run_batch (p->retainbox, &boxes, keyring_roster (self->keyring),
                                  kt_now_ms (), RETAIN_BATCH, fn, arg, &batch, reason);
    if (more_p)
        *more_p = batch.more;
    if (batch.more && batch.done > 0 && !p->retain_batching) {
        if (zloop_timer (self->loop, RETENTION_BATCH_MS, 1, s_on_batch, self) >= 0)
            p->retain_batching = true;
        else
            kt_log (KT_LOG_ERROR, "retention batch_timer_failed (the hourly run goes on)");
    }
    return rc;
}

static int s_on_clock_retry (zloop_t *loop, int timer_id, void *arg);

/*  The safety net archives and destroys by this node's wall clock: only
 *  on one the uitvoerder's heartbeat replies confirm (node_clock_guard;
 *  docs/RETENTION.md, "A clock the federation confirms").  While it
 *  waits, it looks again every RETENTION_CLOCK_RETRY_MS. */
static bool
s_clock_confirmed (node_t *self)
{
    partner_t *p = partner_of (self);
    kt_reason_t why;
    if (node_clock_guard (self, "retention", &why) == 0)
        return true;
    if (!p->retain_clock_armed &&
        zloop_timer (self->loop, RETENTION_CLOCK_RETRY_MS, 1, s_on_clock_retry, self) >= 0)
        p->retain_clock_armed = true;
    return false;
}

/*  One batch of the schedule from the loop, once the clock is confirmed. */
static void
s_scheduled (node_t *self)
{
    if (!partner_of (self)->retainbox || !s_clock_confirmed (self))
        return;
    kt_reason_t reason;
    if (s_batch (self, s_log_step, NULL, NULL, &reason) != 0)
        kt_log (KT_LOG_ERROR, "retention run_failed reason=\"%s\"", reason.text);
}

static int
s_on_batch (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    partner_of (arg)->retain_batching = false;
    s_scheduled (arg);
    return 0;
}

static int
s_on_clock_retry (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    partner_of (arg)->retain_clock_armed = false;
    s_scheduled (arg);
    return 0;
}

/*  What this node kept as a kernpartij and may no longer keep (its kind
 *  changed): dropped, or tried again at the next run. */
static void
s_follow_role (node_t *self)
{
    kt_reason_t reason;
    if (partner_agenda_follow_role (self, &reason) != 0)
        kt_log (KT_LOG_ERROR, "roster role_data_failed role=%s reason=\"%s\"",
                roster_role_name (keyring_self_member (self->keyring)->role), reason.text);
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_follow_role (arg);
    s_scheduled (arg);
    return 0;
}

/*  A destruction is noted in forget.db first: a restore of an older
 *  backup does it again (node_backup.c). */
static int
s_journal (void *arg, const char *case_ref, const ProtobufCBinaryData *ids, size_t n_ids,
           kt_reason_t *reason)
{
    node_t *self = arg;
    uint8_t *flat = n_ids ? malloc (n_ids * KT_ID_LEN) : NULL;
    if (n_ids && !flat)
        return kt_fail (reason, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < n_ids; i++)
        if (ids[i].len == KT_ID_LEN)
            memcpy (flat + KT_ID_LEN * n++, ids[i].data, KT_ID_LEN);
    int rc = forget_note_destroy (self->forget, case_ref, flat, n, false, reason);
    free (flat);
    return rc;
}

int
partner_redo (node_t *self, const forget_entry_t *entry, kt_reason_t *reason)
{
    /*  Merges are the uitvoerder's (its weegploeg file): none here. */
    if (strcmp (entry->kind, "merge") == 0)
        return 0;
    if (strcmp (entry->kind, "correct") == 0)
        return entry->notice ? partner_correction_redo (self, entry->notice, reason) : 0;
    size_t n_ids = entry->n_ids;
    ProtobufCBinaryData *list = n_ids ? calloc (n_ids, sizeof *list) : NULL;
    if (n_ids && !list)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < n_ids; i++)
        list[i] = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) entry->ids + i * KT_ID_LEN};
    retain_boxes_t boxes = partner_retention_boxes (self);
    /*  No case_ref: own signals the schedule forgot, no notice having
     *  tied them to a subject (retainbox.c, s_expire_signals). */
    int rc = *entry->case_ref
                 ? retainbox_destroy_case (partner_of (self)->retainbox, &boxes, entry->case_ref,
                                           list, n_ids, kt_now_ms (), reason)
                 : retainbox_forget_own (partner_of (self)->retainbox, &boxes, list, n_ids, reason);
    free (list);
    return rc;
}

int
partner_retention_start (node_t *self, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    /*  art. 13.2: only the kernpartijen keep archived data. */
    p->retainbox = retainbox_new (self->db, self->keystore, !s_kernpartij (self), reason);
    if (!p->retainbox)
        return -1;
    retainbox_set_publish (p->retainbox, s_publish, self);
    retainbox_set_journal (p->retainbox, s_journal, self);
    /*  A kind changed while the node was down, a drop a crash cut off:
     *  before the schedule reads the boxes. */
    s_follow_role (self);
    /*  A destruction a crash interrupted is completed first, then what is
     *  due: one batch before serving, the rest in batches from the loop.
     *  A failure (a calendar directory not writable) does not keep the
     *  node from serving: the hourly run tries again, and the uitvoerder
     *  sees no receipt. */
    s_scheduled (self);
    zloop_timer (self->loop, RETENTION_TIMER_MS, 0, s_on_timer, self);
    return 0;
}

void
partner_retention_follow_role (node_t *self)
{
    s_follow_role (self);
}

void
partner_retention_stop (node_t *self)
{
    retainbox_destroy (&partner_of (self)->retainbox);
}

/* ---- the uitvoerder's notice ------------------------------------------ */

void
partner_on_retention (node_t *self, node_message_t *m)
{
    partner_t *p = partner_of (self);
    const Keten__RetentionNotice *n = (const Keten__RetentionNotice *) m->body;
    retain_boxes_t boxes = partner_retention_boxes (self);
    uint64_t now = kt_now_ms ();
    kt_reason_t reason;
    int rc = retainbox_notice_stale (p->retainbox, n->case_ref, n->sequence, &reason);
    if (rc < 0) {
        kt_log (KT_LOG_ERROR, "retention notice failed id=%s case_ref=%s action=%s reason=\"%s\"",
                m->hex, n->case_ref, retention_action_name (n->action), reason.text);
        return; /* no receipt: offered again */
    }
    if (rc == 1) {
        /*  A later notice about the subject was applied already: this one
         *  is stale (a retried archive must not undo a later reopen).
         *  Nothing to do, and nothing the uitvoerder should send again. */
        kt_log (KT_LOG_INFO, "retention notice stale id=%s case_ref=%s action=%s sequence=%u",
                m->hex, n->case_ref, retention_action_name (n->action), (unsigned) n->sequence);
        partner_receipt (self, m->opened.id, true, NULL);
        return;
    }
    switch (n->action) {
    case KETEN__RETENTION_ACTION__ARCHIVE: {
        /*  due_ms is the archive's due time: archive-days after the
         *  subject's last processing in the federation. */
        uint64_t period = keyring_roster (self->keyring)->retention_archive_days * RETENTION_DAY_MS;
        uint64_t last = n->due_ms > period && n->due_ms - period <= now ? n->due_ms - period : 0;
        rc = retainbox_archive (p->retainbox, &boxes, n->case_ref, n->message_ids, n->n_message_ids,
                                last, now, &reason);
        break;
    }
    case KETEN__RETENTION_ACTION__DESTROY:
        rc = retainbox_destroy_case (p->retainbox, &boxes, n->case_ref, n->message_ids,
                                     n->n_message_ids, now, &reason);
        break;
    case KETEN__RETENTION_ACTION__REOPEN: {
        retain_state_t state;
        rc = retainbox_state (p->retainbox, n->case_ref, &state, &reason);
        if (rc == 0 && (state == RETAIN_DESTROYING || state == RETAIN_DESTROYED)) {
            /*  Nothing comes back from a destruction: the uitvoerder
             *  should know, and the refusal settles its copy. */
            snprintf (reason.text, sizeof reason.text,
                      "%.24s is destroyed at this node; nothing can come back", n->case_ref);
            kt_log (KT_LOG_WARN, "retention notice refused id=%s case_ref=%s reason=\"%s\"", m->hex,
                    n->case_ref, reason.text);
            partner_receipt (self, m->opened.id, false, reason.text);
            return;
        }
        if (rc == 0)
            rc = retainbox_reopen (p->retainbox, &boxes, n->case_ref, now, &reason);
        break;
    }
    default: /* the policy's checker lets no other action through */
        partner_receipt (self, m->opened.id, false, "retention notice: unknown action");
        return;
    }
    /*  Its number, after what it did: a crash between repeats the same
     *  notice, which is applied again harmlessly. */
    if (rc == 0)
        rc = retainbox_notice_applied (p->retainbox, n->case_ref, n->sequence, &reason);
    if (rc != 0) {
        /*  Crash reasoning, rule 3: no receipt, so the uitvoerder offers
         *  it again; what was done is repeated harmlessly. */
        kt_log (KT_LOG_ERROR, "retention notice failed id=%s case_ref=%s action=%s reason=\"%s\"",
                m->hex, n->case_ref, retention_action_name (n->action), reason.text);
        return;
    }
    kt_log (KT_LOG_INFO,
            "retention notice applied id=%s case_ref=%s action=%s sequence=%u own_messages=%zu",
            m->hex, n->case_ref,
            n->action == KETEN__RETENTION_ACTION__ARCHIVE && !s_kernpartij (self)
                ? "archive-as-destroy"
                : retention_action_name (n->action),
            (unsigned) n->sequence, n->n_message_ids);
    /*  Applied durably: now the receipt, the node's confirmation. */
    partner_receipt (self, m->opened.id, true, NULL);
}

/* ---- the API -------------------------------------------------------------- */

typedef struct {
    json_t *list;
    json_t *warnings;
    size_t due;
} listing_t;

static int
s_case_json (void *arg, const retain_case_t *c, kt_reason_t *reason)
{
    listing_t *l = arg;
    if (c->plan.warn && render_append (l->warnings, json_string (c->case_ref), reason) != 0)
        return -1;
    if (c->plan.step != RETENTION_KEEP || c->state == RETAIN_DESTROYING)
        l->due++;
    if (!l->list)
        return 0;
    return render_append (l->list,
                          json_pack ("{s:s, s:s, s:s, s:I, s:I, s:b}", "case_ref", c->case_ref,
                                     "state", retain_state_name (c->state), "rule", c->plan.rule,
                                     "last_processing_ms", (json_int_t) c->last_ms, "due_ms",
                                     (json_int_t) c->plan.due_ms, "warning", c->plan.warn),
                          reason);
}

static int
s_listing (node_t *self, listing_t *l, kt_reason_t *reason)
{
    retain_boxes_t boxes = partner_retention_boxes (self);
    return retainbox_each (partner_of (self)->retainbox, &boxes, keyring_roster (self->keyring),
                           kt_now_ms (), s_case_json, l, reason);
}

void
partner_retention_status (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    const roster_t *roster = keyring_roster (self->keyring);
    listing_t l = {json_array (), json_array (), 0};
    kt_reason_t reason;
    if (s_listing (self, &l, &reason) != 0) {
        json_decref (l.list);
        json_decref (l.warnings);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_decref (l.warnings);
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:I, s:{s:I, s:I, s:I}, s:o, s:I, s:[]}", "now_ms", (json_int_t) kt_now_ms (),
                   "periods", "not_agendered_days",
                   (json_int_t) roster->retention_not_agendered_days, "archive_days",
                   (json_int_t) roster->retention_archive_days, "destroy_days",
                   (json_int_t) roster->retention_destroy_days, "cases", l.list, "destroyed",
                   (json_int_t) retainbox_destroyed (partner_of (self)->retainbox), "unconfirmed"));
}

json_t *
partner_retention_summary (node_t *self)
{
    listing_t l = {NULL, json_array (), 0};
    kt_reason_t reason;
    if (s_listing (self, &l, &reason) != 0) {
        json_decref (l.warnings);
        return json_pack ("{s:s}", "error", reason.text);
    }
    /*  Confirmations are the uitvoerder's to count: none owed here. */
    return json_pack ("{s:o, s:I, s:[]}", "warnings", l.warnings, "due", (json_int_t) l.due,
                      "unconfirmed");
}

static int
s_action_json (void *arg, const char *case_ref, const char *action, uint64_t due_ms,
               kt_reason_t *reason)
{
    return render_append (arg,
                          json_pack ("{s:s, s:s, s:I}", "case_ref", case_ref, "action", action,
                                     "due_ms", (json_int_t) due_ms),
                          reason);
}

void
partner_retention_run (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    json_t *dry = json_is_object (args) ? json_object_get (args, "dry_run") : NULL;
    if (dry && !json_is_boolean (dry)) {
        apiserver_reply_error (self->api, caller, "retention.run: dry_run must be true or false");
        return;
    }
    bool dry_run = json_is_true (dry);
    json_t *actions = json_array ();
    kt_reason_t reason;
    /*  Not a dry run: one batch now, the rest follows from the loop
     *  (more: true). */
    bool more = false;
    /*  By hand too: a dry run only lists. */
    if (!dry_run && node_clock_guard (self, "retention", &reason) != 0) {
        json_decref (actions);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    if ((dry_run ? s_dry_run (self, s_action_json, actions, &reason)
                 : s_batch (self, s_action_json, actions, &more, &reason)) != 0) {
        json_decref (actions);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:b, s:o, s:b}", "dry_run", dry_run, "actions", actions, "more", more));
}

/*  art. 13.4, art. 4: only a kernpartij's node may order archived data
 *  back or read it; true when this one is not (the caller has its
 *  answer). */
static bool
s_refuse_not_kern (node_t *self, const api_caller_t *caller, const char *cmd)
{
    if (s_kernpartij (self))
        return false;
    apiserver_reply_error (self->api, caller,
                           strcmp (cmd, "retention.reopen") == 0
                               ? "art. 13.4: only a kernpartij orders archived data back"
                               : "art. 13.2: only a kernpartij reads archived data");
    return true;
}

/*  The reason of an order as the policy's checker takes it. */
static bool
s_reason_ok (const char *text)
{
    size_t len = text ? strlen (text) : 0;
    if (len < 1 || len > POLICY_MAX_REASON)
        return false;
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if ((*c < 0x20 && *c != '\n') || *c == 0x7f)
            return false;
    return true;
}

void
partner_retention_reopen (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    if (s_refuse_not_kern (self, caller, cmd))
        return;
    const char *case_ref =
        json_is_object (args) ? json_string_value (json_object_get (args, "case_ref")) : NULL;
    const char *why =
        json_is_object (args) ? json_string_value (json_object_get (args, "reason")) : NULL;
    if (!case_ref || !weegploeg_case_ref_ok (case_ref)) {
        apiserver_reply_error (self->api, caller,
                               "retention.reopen: case_ref must be k-<16 hex digits>");
        return;
    }
    if (!s_reason_ok (why)) {
        char msg[160];
        snprintf (msg, sizeof msg,
                  "retention.reopen: the reason must be 1..%d bytes of text (line breaks allowed,"
                  " no other control characters)",
                  POLICY_MAX_REASON);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    Keten__RetentionOrder o = KETEN__RETENTION_ORDER__INIT;
    o.case_ref = (char *) case_ref;
    o.reason = (char *) why;
    o.os_user = user;
    o.ordered_ms = kt_now_ms ();
    kt_log (KT_LOG_INFO, "retention reopen_ordered case_ref=%s", case_ref);
    /*  The uitvoerder decides (it knows whether the subject is archived)
     *  and answers with its receipt; the REOPEN notice that follows makes
     *  this node's copies active again. */
    partner_send (self, caller, KETEN__MESSAGE_TYPE__RETENTION_ORDER, &o.base, true);
}

/* ---- the archive read (art. 13.2) --------------------------------------- */

typedef struct {
    node_t *self;
    const char *case_ref;
    json_t *list;
} read_t;

static int
s_read_agenda (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    read_t *r = arg;
    Keten__WeegploegAgenda *a = NULL;
    if (agendabox_get (partner_of (r->self)->agendabox, meeting_id, &a, reason) != 0)
        return -1;
    json_t *items = json_array ();
    for (size_t i = 0; i < a->n_items; i++)
        if (strcmp (a->items[i]->case_ref, r->case_ref) == 0)
            json_array_append_new (items, partner_json_agenda_item (a->items[i]));
    int rc = render_append (
        r->list,
        json_pack ("{s:s, s:s, s:I, s:b, s:s, s:i, s:s, s:o}", "meeting_id", a->meeting_id, "kind",
                   a->kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG ? "casusoverleg"
                                                                          : "weegploeg",
                   "sequence", (json_int_t) a->sequence, "cancelled", a->cancelled, "starts_at",
                   a->starts_at, "duration_min", (int) a->duration_min, "location", a->location,
                   "items", items),
        reason);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    return rc;
}

static int
s_read_decision (void *arg, const decisionbox_row_t *row, kt_reason_t *reason)
{
    read_t *r = arg;
    if (strcmp (row->case_ref, r->case_ref) != 0)
        return 0;
    Keten__WeegploegDecision *d = NULL;
    if (decisionbox_get (partner_of (r->self)->decisionbox, row->decision_id, &d, reason) != 0)
        return -1;
    int rc = render_append (r->list, partner_json_decision (d), reason);
    keten__weegploeg_decision__free_unpacked (d, NULL);
    return rc;
}

/*  The case as case.show shows it, and every plan version. */
static int
s_read_case (node_t *self, const char *case_ref, json_t *cases, json_t *plans, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    json_t *row = partner_json_case (p->casebox, case_ref, reason);
    if (!row)
        return -1;
    if (json_is_null (row)) {
        json_decref (row);
        return 0;
    }
    json_int_t versions = json_integer_value (json_object_get (row, "plan_version"));
    json_t *disclosures = partner_json_disclosures (p->casebox, case_ref, false, reason);
    json_t *closure = NULL;
    int rc =
        disclosures && partner_json_closure (p->casebox, case_ref, &closure, reason) == 0 ? 0 : -1;
    json_object_set_new (row, "disclosures", disclosures ? disclosures : json_array ());
    /*  art. 9.2, 10.4: what other participants shared with this one. */
    json_t *shared = rc == 0 ? partner_json_disclosures (p->casebox, case_ref, true, reason) : NULL;
    if (rc == 0 && !shared)
        rc = -1;
    json_object_set_new (row, "shared", shared ? shared : json_array ());
    if (closure)
        json_object_set_new (row, "closure", closure);
    if (rc == 0)
        rc = render_append (cases, json_incref (row), reason);
    json_decref (row);
    for (json_int_t v = 1; rc == 0 && v <= versions && v <= UINT32_MAX; v++) {
        Keten__CasePlan *plan = NULL;
        rc = casebox_plan (p->casebox, case_ref, (uint32_t) v, &plan, reason);
        if (rc == 0 && plan)
            rc = render_append (plans, render_plan (plan), reason);
        if (plan)
            keten__case_plan__free_unpacked (plan, NULL);
    }
    return rc;
}

static int
s_read (node_t *self, const api_caller_t *caller, const char *case_ref, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    retain_state_t state;
    if (retainbox_state (p->retainbox, case_ref, &state, reason) != 0)
        return -1;
    if (state != RETAIN_ARCHIVED)
        return kt_fail (reason,
                        "%s is %s at this node: the archive read is for archived subjects only"
                        " (art. 13.2)",
                        case_ref, retain_state_name (state));
    json_t *agendas = json_array (), *decisions = json_array (), *cases = json_array (),
           *plans = json_array ();
    read_t r = {self, case_ref, agendas};
    int rc = p->agendabox
                 ? agendabox_meetings_of (p->agendabox, case_ref, s_read_agenda, &r, reason)
                 : 0;
    r.list = decisions;
    if (rc == 0 && p->decisionbox)
        rc = decisionbox_each (p->decisionbox, INT32_MAX, s_read_decision, &r, reason);
    if (rc == 0)
        rc = s_read_case (self, case_ref, cases, plans, reason);
    /*  art. 15.2e: on record before anything is shown; nothing is shown
     *  when it cannot be. */
    if (rc == 0)
        rc = node_record_access (self, caller, "retention.read", &case_ref, 1, reason);
    if (rc != 0) {
        json_decref (agendas);
        json_decref (decisions);
        json_decref (cases);
        json_decref (plans);
        return -1;
    }
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:o, s:o, s:o, s:o}", "case_ref", case_ref, "state",
                                   "archived", "agendas", agendas, "decisions", decisions, "cases",
                                   cases, "plans", plans));
    return 0;
}

void
partner_retention_read (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    if (s_refuse_not_kern (self, caller, cmd))
        return;
    const char *case_ref =
        json_is_object (args) ? json_string_value (json_object_get (args, "case_ref")) : NULL;
    kt_reason_t reason;
    if (!case_ref || !weegploeg_case_ref_ok (case_ref))
        apiserver_reply_error (self->api, caller,
                               "retention.read: case_ref must be k-<16 hex digits>");
    else if (s_read (self, caller, case_ref, &reason) != 0)
        apiserver_reply_error (self->api, caller, reason.text);
}
