/*  uitvoerder_retention: the convenant's retention periods (art. 13) at the
 *  uitvoerder, which keeps the files and so knows every subject's last
 *  processing (daemon/store/lifecycle.h has the definition).
 *
 *  The schedule (common/retention.c) runs at start, after the stores are
 *  open and before anything is served (first completing a destruction a
 *  crash cut off), every hour, and on `retention.run`.  Each due step:
 *
 *  - archive (13.2): ARCHIVED logged under archived/CASE_REF/LAST_MS
 *    first, then the state (lifecycle_archive): a crash between finds the
 *    same step due, and the entry under its key;
 *  - destroy (13.1, 13.3): the state destroying recorded, the
 *    destruction noted in the journal (forget.db), the keys shredded,
 *    the rows deleted and the files checkpointed, DESTROYED logged under
 *    destroyed/CASE_REF, then the tombstone; every start and every run
 *    completes what is still destroying (docs/ARCHITECTURE.md, Crash
 *    reasoning), and tries again an art. 7.2a withdrawal's destruction
 *    that did not reach the state destroying (owed since the
 *    withdrawal's own commit).
 *
 *  Then RETENTION_NOTICE goes to every member that received data about
 *  the subject, one sealed copy each through the relay, named
 *  retention/CASE_REF/ACTION/GEN so that a resumed send finds them; a
 *  member's receipt is its confirmation.
 *
 *  art. 13.4: a kernpartij's RETENTION_ORDER brings archived data back
 *  (lifecycle_reopen), logged as REOPENED in the ordering kernpartij's
 *  name, and the kernpartijen that kept an archived copy are told.  The
 *  uitvoerder neither reopens by itself nor reads the archive.
 */
#include "uitvoerder.h"
#include "render.h"

#include "policy.h"
#include "retention.h"

#include <string.h>

#define RETENTION_RUN_MS (3600 * 1000)
/*  At most this many steps per turn of the loop: a step is several
 *  commits and checkpoints with fsyncs, and thousands due at once (the
 *  first start after an upgrade, a roster with shorter periods) must not
 *  hold the loop past the watchdog.  The rest follows a moment later. */
#define RETENTION_BATCH 50
#define RETENTION_NEXT_MS 100
/*  A notice not confirmed after this long is shown in `keten status`. */
#define RETENTION_CONFIRM_MS (24 * 3600 * 1000ULL)
/*  While the schedule waits for a clock the federation confirms, how
 *  often it looks again: it runs within a heartbeat or so of one. */
#define RETENTION_CLOCK_RETRY_MS 1000

static const char *
s_me (node_t *self)
{
    return keyring_self_member (self->keyring)->id;
}

/* ---- notices ---------------------------------------------------------------- */

/*  The notices of one (case_ref, action, gen), gathered from the table. */
typedef struct {
    node_t *node;
    json_t *groups; /* [{case_ref, action, gen, due_ms, members: [{member, ids}]}] */
} gather_t;

static int
s_gather_row (void *arg, const lifecycle_notice_t *n, kt_reason_t *reason)
{
    gather_t *g = arg;
    size_t last = json_array_size (g->groups);
    json_t *group = last ? json_array_get (g->groups, last - 1) : NULL;
    if (!group ||
        strcmp (json_string_value (json_object_get (group, "case_ref")), n->case_ref) != 0 ||
        json_integer_value (json_object_get (group, "action")) != n->action ||
        json_integer_value (json_object_get (group, "gen")) != n->gen) {
        group =
            json_pack ("{s:s, s:i, s:I, s:I, s:[]}", "case_ref", n->case_ref, "action", n->action,
                       "gen", (json_int_t) n->gen, "due_ms", (json_int_t) n->due_ms, "members");
        if (!group || json_array_append_new (g->groups, group) != 0)
            return kt_fail (reason, "out of memory");
    }
    char hex[KT_ID_HEX];
    json_t *ids = json_array ();
    for (size_t i = 0; ids && i < n->n_ids; i++)
        json_array_append_new (ids, json_string (kt_hex (hex, n->ids + i * KT_ID_LEN, KT_ID_LEN)));
    if (!ids ||
        json_array_append_new (json_object_get (group, "members"),
                               json_pack ("{s:s, s:o}", "member", n->member, "ids", ids)) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  Seal and send the notices of one group, then clear them. */
static int
s_send_group (node_t *self, json_t *group, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    const char *case_ref = json_string_value (json_object_get (group, "case_ref"));
    int action = (int) json_integer_value (json_object_get (group, "action"));
    int64_t gen = json_integer_value (json_object_get (group, "gen"));
    copies_t copies = {self, KETEN__MESSAGE_TYPE__RETENTION_NOTICE, NULL, 0, ""};
    snprintf (copies.origin, sizeof copies.origin, "retention/%s/%s/%lld", case_ref,
              retention_action_name (action), (long long) gen);
    char *refs[1] = {(char *) case_ref};
    int rc = 0;
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get (group, "members"), i, m)
    {
        const char *id = json_string_value (json_object_get (m, "member"));
        const roster_member_t *to = roster_find (roster, id);
        /*  A member that left has no node to tell; a reopen goes to the
         *  kernpartijen only: elsewhere an archive was a destruction
         *  (art. 13.2: only they may still consult it). */
        if (!to || to->role == ROLE_UITVOERDER || !roster_member_active (to, kt_now_ms ()) ||
            (action == KETEN__RETENTION_ACTION__REOPEN && to->role != ROLE_KERNPARTIJ))
            continue;
        json_t *ids = json_object_get (m, "ids");
        size_t n_ids = json_array_size (ids);
        ProtobufCBinaryData *bins = calloc (n_ids ? n_ids : 1, sizeof *bins);
        uint8_t *raw = calloc (n_ids ? n_ids : 1, KT_ID_LEN);
        if (!bins || !raw) {
            free (bins);
            free (raw);
            rc = kt_fail (reason, "out of memory");
            break;
        }
        for (size_t k = 0; k < n_ids; k++) {
            kt_unhex (raw + k * KT_ID_LEN, KT_ID_LEN, json_string_value (json_array_get (ids, k)));
            bins[k] = (ProtobufCBinaryData){KT_ID_LEN, raw + k * KT_ID_LEN};
        }
        Keten__RetentionNotice n = KETEN__RETENTION_NOTICE__INIT;
        n.case_ref = (char *) case_ref;
        n.action = (Keten__RetentionAction) action;
        n.message_ids = bins;
        n.n_message_ids = n_ids;
        n.due_ms = (uint64_t) json_integer_value (json_object_get (group, "due_ms"));
        /*  Each reopen starts a generation; within one, archive comes
         *  before destroy. */
        n.sequence = (uint32_t) (gen * 4 + (action == KETEN__RETENTION_ACTION__REOPEN    ? 0
                                            : action == KETEN__RETENTION_ACTION__ARCHIVE ? 1
                                                                                         : 2));
        rc = uitvoerder_copy_add (self, &copies, to, &n.base, refs, 1, false, reason);
        free (bins);
        free (raw);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = uitvoerder_copies_send (self, &copies, "ketend", NULL, reason);
    if (rc == 0)
        rc = lifecycle_notices_sent (u->lifecycle, case_ref, action, gen, reason);
    if (rc == 0)
        kt_log (KT_LOG_INFO, "retention notice case_ref=%s action=%s copies=%zu", case_ref,
                retention_action_name (action), copies.n);
    uitvoerder_copies_free (&copies);
    return rc;
}

/*  Send every notice still owed; one group failing leaves it for the
 *  next run or start, the others go. */
static int
s_send_notices (node_t *self, kt_reason_t *reason)
{
    gather_t g = {self, json_array ()};
    if (!g.groups)
        return kt_fail (reason, "out of memory");
    int rc = lifecycle_each_notice (uitvoerder_of (self)->lifecycle, s_gather_row, &g, reason);
    size_t i;
    json_t *group;
    json_array_foreach (g.groups, i, group)
    {
        kt_reason_t why;
        if (rc == 0 && s_send_group (self, group, &why) != 0) {
            kt_log (KT_LOG_ERROR, "retention notice_failed case_ref=%s reason=\"%s\"",
                    json_string_value (json_object_get (group, "case_ref")), why.text);
            *reason = why;
            rc = -1;
        }
    }
    json_decref (g.groups);
    return rc;
}

/* ---- archive and destroy -------------------------------------------------- */

static int
s_log_step (node_t *self, Keten__LogEvent event, const char *case_ref, const char *what,
            const char *once, kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = event;
    e.time_ms = kt_now_ms ();
    e.node = (char *) s_me (self);
    e.os_user = "ketend";
    e.case_ref = (char *) case_ref;
    e.what = (char *) what;
    return provlog_append_one (uitvoerder_of (self)->log, once, &e, NULL, reason);
}

static int
s_archive (node_t *self, const char *case_ref, uint64_t last_ms, uint64_t due_ms,
           kt_reason_t *reason)
{
    char once[96];
    snprintf (once, sizeof once, "archived/%s/%llu", case_ref, (unsigned long long) last_ms);
    if (s_log_step (self, KETEN__LOG_EVENT__ARCHIVED, case_ref, "archive", once, reason) != 0 ||
        lifecycle_archive (uitvoerder_of (self)->lifecycle, case_ref, due_ms, kt_now_ms (),
                           reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "retention archived case_ref=%s", case_ref);
    return 0;
}

/*  A case_ref into a JSON array (arg): the lists read before they are
 *  acted on, as the action writes the files they are read from. */
int
uitvoerder_ref_row (void *arg, const char *case_ref, kt_reason_t *reason)
{
    return json_array_append_new (arg, json_string (case_ref)) == 0
               ? 0
               : kt_fail (reason, "out of memory");
}

/*  What was kept under the case_refs of subjects merged into case_ref
 *  (the journal's merges): their requests' texts, and the sealed bytes
 *  of the copies sent about them (a correction's notices). */
static int
s_forget_merged (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *refs = json_array ();
    if (!refs)
        return kt_fail (reason, "out of memory");
    int rc = forget_each_merged (self->forget, case_ref, uitvoerder_ref_row, refs, reason);
    size_t i;
    json_t *ref;
    json_array_foreach (refs, i, ref)
    {
        if (rc != 0)
            break;
        if (request_forget_case (u->requests, json_string_value (ref), reason) != 0 ||
            relay_forget_case (u->relay, json_string_value (ref), reason) < 0)
            rc = -1;
    }
    json_decref (refs);
    return rc;
}

/*  From the state destroying on: idempotent, so every start and every
 *  retention run repeats it until it is complete. */
static int
s_destroy_rest (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    lifecycle_t *lc = uitvoerder_of (self)->lifecycle;
    char once[64];
    snprintf (once, sizeof once, "destroyed/%s", case_ref);
    /*  Noted in the journal before anything is deleted: a restore of an
     *  older backup does it again.  Here, after the state destroying, so
     *  a note that fails (forget.db unwritable, its checkpoint held up)
     *  or a crash before it leaves the destruction owed, not forgotten;
     *  once, as a resumed destruction may find its note made already. */
    if (forget_note_destroy (self->forget, case_ref, NULL, 0, true, reason) != 0)
        return -1;
    /*  The relay's owed entries first, so its settled copies of the
     *  subject can be blanked (relay_forget_case); if the log cannot be
     *  written now, those few keep their sealed bytes. */
    kt_reason_t why;
    if (uitvoerder_relay_log (self, &why) != 0)
        kt_log (KT_LOG_WARN, "log append_failed event=owed reason=\"%s\"", why.text);
    /*  Its transfers' rows in node.db before the destruction's
     *  checkpoint of node.db, so their pages leave the -wal with it. */
    if (uitvoerder_transfer_forget (self, case_ref, reason) != 0 ||
        request_forget_case (uitvoerder_of (self)->requests, case_ref, reason) != 0 ||
        s_forget_merged (self, case_ref, reason) != 0 ||
        lifecycle_destroy_data (lc, case_ref, reason) != 0 ||
        s_log_step (self, KETEN__LOG_EVENT__DESTROYED, case_ref, "destroy", once, reason) != 0 ||
        lifecycle_destroy_end (lc, case_ref, kt_now_ms (), reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "retention destroyed case_ref=%s", case_ref);
    return 0;
}

static int
s_destroy (node_t *self, const char *case_ref, uint64_t due_ms, kt_reason_t *reason)
{
    /*  Not while the log owes entries of stored signals (it is tried
     *  again).  Then the state destroying, in its own commit, before the
     *  journal's note (s_destroy_rest): from here on the destruction is
     *  owed, and completed by the next start or retention run if what
     *  follows fails.  An art. 7.2a withdrawal's destruction, which the
     *  schedule would otherwise leave for 183 days, is owed before that
     *  already: from the withdrawal's own commit on (its mark, tried
     *  again by uitvoerder_correction_destroy_owed), so a refusal here
     *  is tried again too. */
    if (uitvoerder_log_caught_up (self, reason) != 0 ||
        lifecycle_destroy_begin (uitvoerder_of (self)->lifecycle, case_ref, due_ms, kt_now_ms (),
                                 reason) != 0)
        return -1;
    return s_destroy_rest (self, case_ref, reason);
}

int
uitvoerder_destroyed (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    lifecycle_state_t state;
    int known = lifecycle_state (uitvoerder_of (self)->lifecycle, case_ref, &state, reason);
    if (known <= 0)
        return known;
    return state == LIFECYCLE_DESTROYING || state == LIFECYCLE_DESTROYED;
}

int
uitvoerder_merged (node_t *self, const char *keep, const char *gone, kt_reason_t *reason)
{
    return forget_note_merge (self->forget, keep, gone, reason) != 0 ||
                   request_relink (uitvoerder_of (self)->requests, gone, keep, reason) != 0
               ? -1
               : 0;
}

int
uitvoerder_log_merge (node_t *self, const char *keep, const char *gone, const char *os_user,
                      const char *what, kt_reason_t *reason)
{
    char *refs[2] = {(char *) keep, (char *) gone};
    char once[64];
    snprintf (once, sizeof once, "merged/%.24s/%.24s", keep, gone);
    return uitvoerder_log_event_once (self, once, KETEN__LOG_EVENT__CORRECTED, os_user, what, refs,
                                      2, reason);
}

/*  A merge noted after the backup was taken: made again when both
 *  subjects are in the restored files (the pair still open there). */
static int
s_redo_merge (node_t *self, const forget_entry_t *entry, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *j = json_loads (entry->detail, 0, NULL);
    const char *gone = json_string_value (json_object_get (j, "gone"));
    int rc = 0;
    if (!gone)
        rc = kt_fail (reason, "forget.db: merge entry %lld names no subject merged away",
                      (long long) entry->seq);
    int here = rc == 0 ? weegploeg_subject_state (u->weegploeg, gone, reason) : -1;
    int kept = here > 0 ? weegploeg_subject_state (u->weegploeg, entry->case_ref, reason) : 0;
    /*  Merged in the restored files already: by this replay, before a
     *  crash cut it off. */
    int done = here == 0 ? weegploeg_merged_pair (u->weegploeg, entry->case_ref, gone, reason) : 0;
    kt_reason_t why;
    bool merged = false;
    if (here < 0 || kept < 0 || done < 0)
        rc = -1;
    else if (done)
        merged = true;
    else if (here == 0 || kept == 0)
        /*  One of them came after the backup: nothing to merge. */
        kt_log (KT_LOG_INFO, "restore merge_skipped keep=%s other=%s", entry->case_ref, gone);
    else if (weegploeg_decide_match (u->weegploeg, entry->case_ref, gone, true, 0, &why) != 0)
        /*  Its rules refuse it on the restored files; said, not a reason
         *  to stay down. */
        kt_log (KT_LOG_ERROR, "restore merge_refused keep=%s other=%s reason=\"%s\"",
                entry->case_ref, gone, why.text);
    else
        merged = true;
    /*  The restored log does not hold the merge: logged once, under its
     *  key, even when a crash came between the merge and its entry. */
    if (merged && uitvoerder_log_merge (self, entry->case_ref, gone, "ketend",
                                        "subjects merged (restore)", &why) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=corrected reason=\"%s\"", why.text);
    if (merged)
        rc = request_relink (u->requests, gone, entry->case_ref, reason);
    json_decref (j);
    return rc;
}

int
uitvoerder_redo (node_t *self, const forget_entry_t *entry, kt_reason_t *reason)
{
    if (strcmp (entry->kind, "merge") == 0)
        return s_redo_merge (self, entry, reason);
    if (strcmp (entry->kind, "correct") == 0)
        return entry->notice
                   ? uitvoerder_correction_redo (self, entry->notice, entry->detail, reason)
                   : 0;
    const char *case_ref = entry->case_ref;
    lifecycle_state_t state;
    int known = lifecycle_state (uitvoerder_of (self)->lifecycle, case_ref, &state, reason);
    if (known < 0)
        return -1;
    /*  Not in the restored files (it came after the backup), or destroyed
     *  there already: nothing to do. */
    if (known == 0 || state == LIFECYCLE_DESTROYED)
        return 0;
    if (state == LIFECYCLE_DESTROYING)
        return s_destroy_rest (self, case_ref, reason);
    return s_destroy (self, case_ref, kt_now_ms (), reason);
}

/*  The requests' free texts about subjects destroyed before the
 *  destruction forgot them too (a file from an earlier version of keten):
 *  forgotten now. */
static int
s_forget_requests (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *refs = json_array ();
    if (!refs)
        return kt_fail (reason, "out of memory");
    int rc = request_each_kept_case (u->requests, uitvoerder_ref_row, refs, reason);
    size_t i;
    json_t *ref;
    json_array_foreach (refs, i, ref)
    {
        lifecycle_state_t state;
        if (rc != 0)
            break;
        int known = lifecycle_state (u->lifecycle, json_string_value (ref), &state, reason);
        if (known < 0)
            rc = -1;
        else if (known && state == LIFECYCLE_DESTROYED)
            rc = request_forget_case (u->requests, json_string_value (ref), reason);
    }
    json_decref (refs);
    return rc;
}

/*  Destructions a crash cut off, completed. */
static int
s_complete_destroying (node_t *self, kt_reason_t *reason)
{
    json_t *refs = json_array ();
    if (!refs)
        return kt_fail (reason, "out of memory");
    int rc = lifecycle_each_destroying (uitvoerder_of (self)->lifecycle, uitvoerder_ref_row, refs,
                                        reason);
    size_t i;
    json_t *ref;
    json_array_foreach (refs, i, ref)
    {
        if (rc != 0)
            break;
        kt_log (KT_LOG_INFO, "retention resume case_ref=%s", json_string_value (ref));
        rc = s_destroy_rest (self, json_string_value (ref), reason);
    }
    json_decref (refs);
    return rc;
}

/* ---- the schedule ------------------------------------------------------------ */

typedef struct {
    const roster_t *roster;
    uint64_t now_ms;
    json_t *due;      /* [{case_ref, action, due_ms, last_ms}] */
    json_t *cases;    /* retention.status rows, or NULL */
    json_t *warnings; /* case_refs, or NULL */
} plan_walk_t;

static int
s_plan_row (void *arg, const lifecycle_subject_t *s, kt_reason_t *reason)
{
    plan_walk_t *w = arg;
    retention_plan_t plan;
    retention_plan (w->roster, &s->facts, 0, w->now_ms, &plan);
    if (plan.step != RETENTION_KEEP &&
        json_array_append_new (w->due,
                               json_pack ("{s:s, s:s, s:I, s:I}", "case_ref", s->case_ref, "action",
                                          plan.step == RETENTION_ARCHIVE ? "archive" : "destroy",
                                          "due_ms", (json_int_t) plan.due_ms, "last_ms",
                                          (json_int_t) s->facts.last_ms)) != 0)
        return kt_fail (reason, "out of memory");
    if (w->cases &&
        json_array_append_new (
            w->cases, json_pack ("{s:s, s:s, s:s, s:I, s:I, s:b}", "case_ref", s->case_ref, "state",
                                 lifecycle_state_name (s->state), "rule", plan.rule,
                                 "last_processing_ms", (json_int_t) s->facts.last_ms, "due_ms",
                                 (json_int_t) plan.due_ms, "warning", plan.warn)) != 0)
        return kt_fail (reason, "out of memory");
    if (w->warnings && plan.warn && json_array_append_new (w->warnings, json_string (s->case_ref)))
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  Walk every subject through the schedule. */
static int
s_walk (node_t *self, plan_walk_t *w, kt_reason_t *reason)
{
    w->roster = keyring_roster (self->keyring);
    w->now_ms = kt_now_ms ();
    w->due = json_array ();
    if (!w->due)
        return kt_fail (reason, "out of memory");
    return lifecycle_each (uitvoerder_of (self)->lifecycle, s_plan_row, w, reason);
}

/*  Run the schedule: actions receives what is due ({case_ref, action,
 *  due_ms}); unless dry_run it is done, and the notices sent.  A step
 *  that fails is logged and left for the next run; the others go on.
 *  Without schedule (the clock is not confirmed: s_clock_confirmed) only
 *  what no clock decides: a destruction begun, one a withdrawal owes, the
 *  requests' texts, the notices; without owed, none of those but the
 *  notices (the run once the clock is confirmed: they were tried at the
 *  start or the hour, and are tried at the next). */
static int s_on_hour (zloop_t *loop, int timer_id, void *arg);

static int
s_run (node_t *self, bool dry_run, bool owed, bool schedule, json_t *actions, bool *more,
       kt_reason_t *reason)
{
    if (more)
        *more = false;
    if (!dry_run && owed && s_complete_destroying (self, reason) != 0)
        return -1;
    /*  art. 7.2a: a withdrawal's destruction that could not begin (owed
     *  since the withdrawal's commit), after the corrections a start
     *  carries out; one still owed makes the run incomplete, the
     *  schedule goes on. */
    kt_reason_t why_owed;
    int owed_failed =
        !dry_run && owed && uitvoerder_correction_destroy_owed (self, &why_owed) != 0 ? 1 : 0;
    /*  A request's texts that came after its subject's destruction. */
    kt_reason_t why_requests;
    if (!dry_run && owed && s_forget_requests (self, &why_requests) != 0)
        kt_log (KT_LOG_ERROR, "retention requests_failed reason=\"%s\"", why_requests.text);
    plan_walk_t w = {0};
    if (!schedule && !(w.due = json_array ()))
        return kt_fail (reason, "out of memory");
    if (schedule && s_walk (self, &w, reason) != 0) {
        json_decref (w.due);
        return -1;
    }
    size_t i;
    json_t *d;
    int failed = owed_failed;
    if (owed_failed)
        *reason = why_owed;
    json_array_foreach (w.due, i, d)
    {
        const char *case_ref = json_string_value (json_object_get (d, "case_ref"));
        const char *action = json_string_value (json_object_get (d, "action"));
        uint64_t due_ms = (uint64_t) json_integer_value (json_object_get (d, "due_ms"));
        uint64_t last_ms = (uint64_t) json_integer_value (json_object_get (d, "last_ms"));
        json_array_append_new (actions,
                               json_pack ("{s:s, s:s, s:I}", "case_ref", case_ref, "action", action,
                                          "due_ms", (json_int_t) due_ms));
        if (dry_run)
            continue;
        if (i == RETENTION_BATCH) {
            /*  The rest in the next turn, the loop serving in between -
             *  unless every step of this batch failed (a file held by a
             *  reader): then the hourly run tries again. */
            json_array_remove (actions, json_array_size (actions) - 1);
            if (more)
                *more = true;
            if (failed < RETENTION_BATCH)
                zloop_timer (self->loop, RETENTION_NEXT_MS, 1, s_on_hour, self);
            kt_log (KT_LOG_INFO, "retention batch done=%d remaining=%zu", RETENTION_BATCH,
                    json_array_size (w.due) - i);
            break;
        }
        kt_reason_t why;
        int rc = strcmp (action, "archive") == 0 ? s_archive (self, case_ref, last_ms, due_ms, &why)
                                                 : s_destroy (self, case_ref, due_ms, &why);
        if (rc != 0) {
            kt_log (KT_LOG_ERROR, "retention %s_failed case_ref=%s reason=\"%s\"", action, case_ref,
                    why.text);
            if (!failed++)
                *reason = why;
        }
    }
    json_decref (w.due);
    kt_reason_t why;
    if (!dry_run && s_send_notices (self, &why) != 0 && !failed++)
        *reason = why;
    return failed ? -1 : 0;
}

static int s_on_clock_retry (zloop_t *loop, int timer_id, void *arg);

/*  The schedule archives and destroys by this node's wall clock: only on
 *  one the federation confirms (node_clock_guard; docs/RETENTION.md, "A
 *  clock the federation confirms").  A late deletion can be made up, an
 *  early one cannot.  While it waits, it looks again every
 *  RETENTION_CLOCK_RETRY_MS and runs as soon as a peer confirms. */
static bool
s_clock_confirmed (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t why;
    if (node_clock_guard (self, "retention", &why) == 0)
        return true;
    if (!u->retention_clock_armed &&
        zloop_timer (self->loop, RETENTION_CLOCK_RETRY_MS, 1, s_on_clock_retry, self) >= 0)
        u->retention_clock_armed = true;
    return false;
}

static int
s_on_hour (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u || !u->lifecycle)
        return 0;
    /*  What no clock decides runs all the same. */
    bool schedule = s_clock_confirmed (self);
    json_t *actions = json_array ();
    kt_reason_t reason;
    if (actions && s_run (self, false, true, schedule, actions, NULL, &reason) != 0)
        kt_log (KT_LOG_ERROR, "retention run_failed reason=\"%s\"", reason.text);
    json_decref (actions);
    return 0;
}

static int
s_on_clock_retry (zloop_t *loop, int timer_id, void *arg)
{
    uitvoerder_t *u = uitvoerder_of (arg);
    if (u)
        u->retention_clock_armed = false;
    /*  Only once confirmed, and the schedule only: the rest ran at the
     *  start or the hour. */
    (void) loop;
    (void) timer_id;
    if (!u || !u->lifecycle || !s_clock_confirmed (arg))
        return 0;
    json_t *actions = json_array ();
    kt_reason_t reason;
    if (actions && s_run (arg, false, false, true, actions, NULL, &reason) != 0)
        kt_log (KT_LOG_ERROR, "retention run_failed reason=\"%s\"", reason.text);
    json_decref (actions);
    return 0;
}

static int
s_merged_row (void *arg, const char *keep, const char *gone, kt_reason_t *reason)
{
    return uitvoerder_merged (arg, keep, gone, reason);
}

int
uitvoerder_retention_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    u->lifecycle =
        lifecycle_new (u->weegploeg, u->casus, self->keystore, self->db, u->relay, reason);
    if (!u->lifecycle)
        return -1;
    /*  A destruction under way first; one that cannot be completed now
     *  (a reader holding a file) is logged and completed by the next
     *  run: its subject is out of every list already. */
    kt_reason_t why;
    /*  Merges the journal lacks (made by an earlier version of keten, or
     *  a crash right after one), before any destruction reads them. */
    if (weegploeg_each_merged (u->weegploeg, s_merged_row, self, &why) != 0)
        kt_log (KT_LOG_ERROR, "retention merges_failed reason=\"%s\"", why.text);
    if (s_complete_destroying (self, &why) != 0)
        kt_log (KT_LOG_ERROR, "retention resume_failed reason=\"%s\"", why.text);
    if (s_forget_requests (self, &why) != 0)
        kt_log (KT_LOG_ERROR, "retention requests_failed reason=\"%s\"", why.text);
    return 0;
}

void
uitvoerder_retention_run_start (node_t *self)
{
    /*  Before serving: one batch of what is due, then the notices a crash
     *  left unsent; the rest follows in batches from the loop.  A step
     *  that fails is logged and tried again within the hour. */
    zloop_timer (self->loop, RETENTION_RUN_MS, 0, s_on_hour, self);
    /*  At a start no peer has measured our clock yet: the schedule runs
     *  from the loop once the peers confirm it; what no clock
     *  decides (a withdrawal's owed destruction, the notices) runs now. */
    bool schedule = s_clock_confirmed (self);
    json_t *actions = json_array ();
    kt_reason_t why;
    if (actions && s_run (self, false, true, schedule, actions, NULL, &why) != 0)
        kt_log (KT_LOG_ERROR, "retention run_failed reason=\"%s\"", why.text);
    json_decref (actions);
}

void
uitvoerder_retention_stop (node_t *self)
{
    lifecycle_destroy (&uitvoerder_of (self)->lifecycle);
}

/* ---- status ------------------------------------------------------------------ */

typedef struct {
    const roster_t *roster;
    json_t *list;
} unconfirmed_t;

static int
s_unconfirmed_row (void *arg, const relay_unsettled_t *row, kt_reason_t *reason)
{
    unconfirmed_t *u = arg;
    /*  A member that left has no node left to confirm. */
    const roster_member_t *m = roster_find (u->roster, row->recipient);
    if (!m || !roster_member_active (m, kt_now_ms ()))
        return 0;
    /*  origin: retention/CASE_REF/ACTION/GEN */
    char case_ref[24] = "", action[16] = "";
    const char *p = strncmp (row->origin, "retention/", 10) == 0 ? row->origin + 10 : NULL;
    const char *slash = p ? strchr (p, '/') : NULL;
    const char *slash2 = slash ? strchr (slash + 1, '/') : NULL;
    if (slash && slash2 && slash - p < (long) sizeof case_ref &&
        slash2 - slash - 1 < (long) sizeof action) {
        memcpy (case_ref, p, (size_t) (slash - p));
        memcpy (action, slash + 1, (size_t) (slash2 - slash - 1));
    } else
        snprintf (case_ref, sizeof case_ref, "%.18s", row->case_refs);
    /*  expired: never delivered (the member was away longer than
     *  delivery/max-age-s); it must be told again, by hand. */
    if (json_array_append_new (u->list, json_pack ("{s:s, s:s, s:s, s:I, s:b}", "case_ref",
                                                   case_ref, "node", row->recipient, "action",
                                                   action, "sent_ms", (json_int_t) row->created_ms,
                                                   "expired", row->state == 4)) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  Notices not confirmed within a day. */
static json_t *
s_unconfirmed (node_t *self, kt_reason_t *reason)
{
    json_t *list = json_array ();
    if (!list) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    unconfirmed_t u = {keyring_roster (self->keyring), list};
    if (relay_each_unsettled (uitvoerder_of (self)->relay, KETEN__MESSAGE_TYPE__RETENTION_NOTICE,
                              kt_now_ms () - RETENTION_CONFIRM_MS, s_unconfirmed_row, &u,
                              reason) != 0) {
        json_decref (list);
        return NULL;
    }
    return list;
}

static int
s_destroying_case (void *arg, const char *case_ref, kt_reason_t *reason)
{
    return json_array_append_new (arg, json_pack ("{s:s, s:s, s:s, s:I, s:I, s:b}", "case_ref",
                                                  case_ref, "state", "destroying", "rule",
                                                  "destroy", "last_processing_ms", (json_int_t) 0,
                                                  "due_ms", (json_int_t) 0, "warning", false)) == 0
               ? 0
               : kt_fail (reason, "out of memory");
}

typedef struct {
    json_t *list;
    uint64_t now_ms;
} owed_walk_t;

static int
s_owed_case (void *arg, const char *case_ref, uint64_t since_ms, kt_reason_t *reason)
{
    owed_walk_t *o = arg;
    uint64_t owed_s = o->now_ms > since_ms ? (o->now_ms - since_ms) / 1000 : 0;
    return json_array_append_new (o->list, json_pack ("{s:s, s:I, s:I}", "case_ref", case_ref,
                                                      "withdrawn_ms", (json_int_t) since_ms,
                                                      "owed_s", (json_int_t) owed_s)) == 0
               ? 0
               : kt_fail (reason, "out of memory");
}

static json_t *
s_status_json (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    plan_walk_t w = {0};
    w.cases = json_array ();
    json_t *unconfirmed = NULL;
    /*  art. 7.2a: the subjects a representative's withdrawal owes the
     *  destruction of, done at once unless something holds it up (the
     *  journal says what: withdrawal destroy_failed, destroy_waits). */
    owed_walk_t owed = {json_array (), 0};
    int rc = w.cases && owed.list ? s_walk (self, &w, reason) : kt_fail (reason, "out of memory");
    if (rc == 0)
        rc = lifecycle_each_destroying (u->lifecycle, s_destroying_case, w.cases, reason);
    if (rc == 0 && !(unconfirmed = s_unconfirmed (self, reason)))
        rc = -1;
    owed.now_ms = w.now_ms;
    if (rc == 0 && u->correction)
        rc = correction_each_owed (u->correction, s_owed_case, &owed, reason);
    json_decref (w.due);
    if (rc != 0) {
        json_decref (w.cases);
        json_decref (unconfirmed);
        json_decref (owed.list);
        return NULL;
    }
    return json_pack ("{s:I, s:{s:I, s:I, s:I}, s:o, s:I, s:o, s:o}", "now_ms",
                      (json_int_t) w.now_ms, "periods", "not_agendered_days",
                      (json_int_t) roster->retention_not_agendered_days, "archive_days",
                      (json_int_t) roster->retention_archive_days, "destroy_days",
                      (json_int_t) roster->retention_destroy_days, "cases", w.cases, "destroyed",
                      (json_int_t) lifecycle_count_destroyed (u->lifecycle), "unconfirmed",
                      unconfirmed, "withdrawals_owed", owed.list);
}

void
uitvoerder_retention_role_status (node_t *self, json_t *result)
{
    plan_walk_t w = {0};
    w.warnings = json_array ();
    kt_reason_t reason;
    json_t *unconfirmed = NULL;
    int rc = w.warnings ? s_walk (self, &w, &reason) : kt_fail (&reason, "out of memory");
    if (rc == 0 && !(unconfirmed = s_unconfirmed (self, &reason)))
        rc = -1;
    if (rc != 0) {
        /*  Left out rather than shown as "nothing due", and named. */
        kt_log (KT_LOG_ERROR, "status retention_unreadable reason=\"%s\"", reason.text);
        node_status_unreadable (result, "retention", reason.text);
    } else
        json_object_set_new (result, "retention",
                             json_pack ("{s:O, s:I, s:O}", "warnings", w.warnings, "due",
                                        (json_int_t) json_array_size (w.due), "unconfirmed",
                                        unconfirmed));
    json_decref (w.warnings);
    json_decref (w.due);
    json_decref (unconfirmed);
}

/* ---- local API ------------------------------------------------------------------ */

void
uitvoerder_retention_status (node_t *self, const api_caller_t *caller, const char *cmd,
                             json_t *args)
{
    (void) cmd;
    (void) args;
    kt_reason_t reason;
    render_reply (self->api, caller, NULL, s_status_json (self, &reason), &reason);
}

void
uitvoerder_retention_run (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    json_t *dry = args ? json_object_get (args, "dry_run") : NULL;
    if (dry && !json_is_boolean (dry)) {
        apiserver_reply_error (self->api, caller, "dry_run must be true or false");
        return;
    }
    bool dry_run = dry && json_is_true (dry);
    json_t *actions = json_array ();
    kt_reason_t reason;
    if (!actions) {
        apiserver_reply_error (self->api, caller, "out of memory");
        return;
    }
    /*  By hand too: a dry run only lists. */
    if (!dry_run && node_clock_guard (self, "retention", &reason) != 0) {
        json_decref (actions);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    bool more = false;
    if (s_run (self, dry_run, true, true, actions, &more, &reason) != 0) {
        json_decref (actions);
        char msg[KT_REASON_MAX + 64];
        snprintf (msg, sizeof msg, "retention run incomplete (tried again within the hour): %s",
                  reason.text);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:b, s:o, s:b}", "dry_run", dry_run, "actions", actions, "more", more));
}

/* ---- a kernpartij's order (art. 13.4) -------------------------------------------- */

static int
s_log_received (node_t *self, const roster_member_t *sender, const envelope_opened_t *opened,
                const char *case_ref, uint64_t *index_p, kt_reason_t *reason)
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
    e.what = "reopen order";
    e.recipients = to;
    e.n_recipients = 1;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    return provlog_log_received (u->log, &e, index_p, reason);
}

static int
s_log_reopened (node_t *self, const roster_member_t *sender, const Keten__RetentionOrder *o,
                const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__REOPENED;
    e.time_ms = kt_now_ms ();
    e.message_id = (ProtobufCBinaryData){KT_ID_LEN, (uint8_t *) id};
    e.message_type = KETEN__MESSAGE_TYPE__RETENTION_ORDER;
    /*  In the name of the kernpartij that ordered it, never the
     *  uitvoerder's own decision; the reason stays sealed. */
    e.node = (char *) sender->id;
    e.os_user = o->os_user;
    e.case_ref = o->case_ref;
    e.what = "reopen";
    char once[64], hex[KT_ID_HEX];
    snprintf (once, sizeof once, "reopened/%s", kt_hex (hex, id, KT_ID_LEN));
    return provlog_append_one (uitvoerder_of (self)->log, once, &e, NULL, reason);
}

void
uitvoerder_on_retention_order (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_member_t *sender = m->peer->member;
    const Keten__RetentionOrder *o = (const Keten__RetentionOrder *) m->body;
    const uint8_t *id = m->opened.id;
    kt_reason_t reason;
    uint64_t index = 0;
    /*  Every rule first; only an order that passes is logged as received
     *  (docs/ARCHITECTURE.md, Crash reasoning 2). */
    int verdict = sender->role == ROLE_KERNPARTIJ
                      ? lifecycle_reopen_check (u->lifecycle, o->case_ref, id, &reason)
                      : (kt_fail (&reason, "only a kernpartij orders a reopen (art. 13.4)"), 1);
    if (verdict > 0) {
        self->role->refuse (self, m, "retention order", reason.text);
        node_send_batch (self);
        return;
    }
    if (verdict == 0) {
        verdict = s_log_received (self, sender, &m->opened, o->case_ref, &index, &reason);
        if (verdict > 0) {
            if (node_peer_line (self, "retention order refused", sender->id))
                kt_log (KT_LOG_WARN, "retention order refused id=%s peer=%s reason=\"id reused\"",
                        m->hex, sender->id);
            uitvoerder_receipt (self, m->link, sender->id, id, false, 0,
                                "this message id is already used for a different message");
            node_send_batch (self);
            return;
        }
    }
    if (verdict == 0) {
        verdict =
            lifecycle_reopen (u->lifecycle, o->case_ref, id, o->reason, kt_now_ms (), &reason);
        if (verdict > 0) {
            /*  Changed between the check and now: cannot happen in one
             *  loop, but never answered as accepted. */
            uitvoerder_receipt (self, m->link, sender->id, id, false, 0, reason.text);
            node_send_batch (self);
            return;
        }
    }
    if (verdict == 0)
        verdict = s_log_reopened (self, sender, o, id, &reason);
    if (verdict == 0) {
        kt_log (KT_LOG_INFO, "retention reopened case_ref=%s by=%s log_index=%llu", o->case_ref,
                sender->id, (unsigned long long) index);
        /*  Accepted: reopened and logged; the notices follow, or go at
         *  the next run when they cannot now. */
        kt_reason_t why;
        if (s_send_notices (self, &why) != 0)
            kt_log (KT_LOG_ERROR, "retention notice_failed reason=\"%s\"", why.text);
        uitvoerder_receipt (self, m->link, sender->id, id, true, index, NULL);
    } else
        /*  No receipt: the kernpartij retries, and finds its log entry. */
        kt_log (KT_LOG_ERROR, "retention order_failed id=%s reason=\"%s\"", m->hex, reason.text);
    node_send_batch (self);
}

/*  art. 7.2a: a subject whose only signal the police representative took
 *  back before the weegploeg weighed it is destroyed at once, in the
 *  steps of an art. 13 destruction (keys shredded, rows deleted, files
 *  checkpointed, DESTROYED logged, members told); a crash or a failure
 *  after the state destroying is completed at the next start or
 *  retention run like any destruction under way, and one before it is
 *  tried again there from the withdrawal's mark
 *  (uitvoerder_correction_destroy_owed). */
int
uitvoerder_retention_destroy_now (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    if (s_destroy (self, case_ref, kt_now_ms (), reason) != 0)
        return -1;
    return s_send_notices (self, reason);
}
