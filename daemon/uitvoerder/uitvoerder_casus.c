/*  uitvoerder_casus: the casusoverleg at the uitvoerder (art. 9-10).
 *
 *  The uitvoerder records the integraal plan van aanpak on behalf of the
 *  casusoverleg and sends every version to every participant; participants
 *  contribute what they hold (art. 9.2) and report progress on their own
 *  measures; personal data other than the plan reaches an externe
 *  casuspartner only with a recorded consent (art. 10.5); the kernpartijen
 *  close the case on the casusoverleg's advice (art. 9.4).  Whether a node
 *  takes part in a case is checked here against the casusoverleg file:
 *  the policy table only knows roles.
 */
#include "uitvoerder.h"
#include "uitvoerder_json.h"
#include "render.h"

#include "intake.h"
#include "items.h"
#include "plan.h"
#include "store.h"

#include <sodium.h>
#include <string.h>

/* ---- log helpers --------------------------------------------------------- */

/*  Log one event in a batch of its own.  once (may be NULL) is the key
 *  that makes it once-only: a step whose record did not commit after its
 *  entry did is repeated at start, and then finds the entry under its key
 *  (docs/ARCHITECTURE.md, Crash reasoning 7 and 12). */
static int
s_log (node_t *self, Keten__LogEvent event, Keten__MessageType message_type, const char *node,
       const char *os_user, const char *case_ref, const char *what, char *const *recipients,
       size_t n_recipients, const uint8_t *message_id, const char *once, uint64_t *index_p,
       kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = event;
    e.time_ms = kt_now_ms ();
    e.node = (char *) node;
    e.os_user = (char *) (os_user ? os_user : "");
    e.case_ref = (char *) case_ref;
    e.what = (char *) (what ? what : "");
    e.recipients = (char **) recipients;
    e.n_recipients = n_recipients;
    e.message_type = message_type;
    if (message_id) {
        e.message_id.data = (uint8_t *) message_id;
        e.message_id.len = KT_ID_LEN;
    }
    return provlog_append_one (uitvoerder_of (self)->log, once, &e, index_p, reason);
}

static const char *
s_me (node_t *self)
{
    return keyring_self_member (self->keyring)->id;
}

/* ---- sending a plan version ---------------------------------------------- */

/*  Send body to every participant that is an active member; an externe
 *  casuspartner gets extern_body instead when that is not NULL.  origin
 *  (may be NULL) names what the copies are of, for a resumed send. */
static int
s_send_to_participants (node_t *self, Keten__MessageType type, const ProtobufCMessage *body,
                        const ProtobufCMessage *extern_body, const casus_info_t *info,
                        const char *case_ref, const char *origin, const char *os_user, json_t *json,
                        kt_reason_t *reason)
{
    const roster_t *roster = keyring_roster (self->keyring);
    copies_t copies = {self, type, NULL, 0, ""};
    if (origin)
        snprintf (copies.origin, sizeof copies.origin, "%s", origin);
    char *refs[1] = {(char *) case_ref};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < info->n_participants; i++) {
        const roster_member_t *to = roster_find (roster, info->participants[i]);
        if (!to || !roster_member_active (to, kt_now_ms ()))
            continue; /* left the federation: its node is gone */
        rc = uitvoerder_copy_add (self, &copies, to,
                                  extern_body && to->role == ROLE_EXTERN ? extern_body : body, refs,
                                  1, false, reason);
    }
    if (rc == 0)
        rc = uitvoerder_copies_send (self, &copies, os_user, json, reason);
    uitvoerder_copies_free (&copies);
    return rc;
}

/*  A progress report that caused a plan version, recorded with it. */
typedef struct {
    const uint8_t *message_id;
    const char *sender;
    uint64_t log_index;
} progress_ref_t;

/*  Send plan, a version recorded in the casusoverleg file and marked
 *  unsent there, to the participants; then mark it sent.  The copies'
 *  MESSAGE_SENT entries are the version's log entries: a plan has no
 *  event of its own.  Run again after a crash (uitvoerder_resume_plans),
 *  it sends the version once more; a participant keeps one row per
 *  version, so a copy taken twice is taken once. */
static int
s_send_plan (node_t *self, const Keten__CasePlan *plan, const casus_info_t *info,
             const char *os_user, json_t *json, kt_reason_t *reason)
{
    /*  The origin names the version: a resumed send offers the copies
     *  kept before instead of logging new ones. */
    char origin[96];
    snprintf (origin, sizeof origin, "plan/%s/%u", plan->case_ref, (unsigned) plan->version);
    if (s_send_to_participants (self, KETEN__MESSAGE_TYPE__PLAN, &plan->base, NULL, info,
                                plan->case_ref, origin, os_user, json, reason) != 0)
        return -1;
    return casusoverleg_plan_sent (uitvoerder_of (self)->casus, plan->case_ref, plan->version,
                                   reason);
}

/*  Store plan as the next version of its case, issued now, marked unsent,
 *  with its figure and the progress report that caused it, if any: inside
 *  the caller's transaction on the casusoverleg file. */
static int
s_record_plan (node_t *self, Keten__CasePlan *plan, const uint8_t key[KEYSTORE_KEY_LEN],
               const progress_ref_t *progress, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    sqlite3 *db = casusoverleg_db (u->casus);
    plan->issued_ms = kt_now_ms ();
    if (plan_store (db, plan, key, true, reason) != 0 ||
        casusoverleg_plan_unsent (u->casus, plan->case_ref, plan->version, reason) != 0 ||
        uitvoerder_figure (self, db, FIGURE_PLAN, plan->case_ref, "", 0, reason) != 0 ||
        (progress && casusoverleg_record_progress (u->casus, progress->message_id, progress->sender,
                                                   plan->case_ref, plan->version,
                                                   progress->log_index, reason) != 0))
        return -1;
    return 0;
}

/*  Store plan as the next version of its case, marked unsent (one
 *  transaction, with the progress report that caused it, if any), then
 *  send it to the participants.  *recorded_p says whether the version is
 *  on record: when it is and the send failed, the next start sends it.
 *
 *  Crash reasoning: the version and its unsent mark commit together, so
 *  no version is on record without the mark that gets it sent; the mark
 *  goes only after the copies are logged and kept in the relay. */
static int
s_publish_plan (node_t *self, Keten__CasePlan *plan, const casus_info_t *info,
                const uint8_t key[KEYSTORE_KEY_LEN], const progress_ref_t *progress,
                const char *os_user, json_t *json, bool *recorded_p, kt_reason_t *reason)
{
    sqlite3 *db = casusoverleg_db (uitvoerder_of (self)->casus);
    *recorded_p = false;
    if (store_begin (db, reason) != 0)
        return -1;
    if (s_record_plan (self, plan, key, progress, reason) != 0 || store_commit (db, reason) != 0) {
        store_rollback (db);
        return -1;
    }
    *recorded_p = true;
    return s_send_plan (self, plan, info, os_user, json, reason);
}

/*  Collect the unsent plan versions: the sends write to the file the
 *  query reads. */
static int
s_plan_unsent_row (void *arg, const char *case_ref, uint32_t version, kt_reason_t *reason)
{
    json_t *list = arg;
    if (json_array_append_new (list, json_pack ("{s:s, s:I}", "case_ref", case_ref, "version",
                                                (json_int_t) version)) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  One unsent plan version, sent. */
static int
s_resume_plan (node_t *self, const char *case_ref, uint32_t version, const char *os_user,
               kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    Keten__CasePlan *plan = NULL;
    if (casusoverleg_case (u->casus, case_ref, &info, key, reason) != 0)
        return -1;
    int rc = plan_load (casusoverleg_db (u->casus), case_ref, version, key, &plan, reason);
    sodium_memzero (key, sizeof key);
    if (rc == 0 && !plan)
        rc = kt_fail (reason, "plan version %u of %s is gone", (unsigned) version, case_ref);
    if (rc == 0)
        rc = s_send_plan (self, plan, &info, os_user, NULL, reason);
    if (plan)
        keten__case_plan__free_unpacked (plan, NULL);
    return rc;
}

int
uitvoerder_casus_send_plan (node_t *self, const char *case_ref, uint32_t version,
                            const char *os_user, kt_reason_t *reason)
{
    return s_resume_plan (self, case_ref, version, os_user, reason);
}

void
uitvoerder_resume_plans (node_t *self)
{
    kt_reason_t why;
    json_t *list = json_array (), *item;
    if (!list || casusoverleg_each_plan_unsent (uitvoerder_of (self)->casus, s_plan_unsent_row,
                                                list, &why) != 0)
        kt_log (KT_LOG_ERROR, "plan resume_failed reason=\"%s\"",
                list ? why.text : "out of memory");
    size_t i;
    json_array_foreach (list, i, item)
    {
        const char *case_ref = json_string_value (json_object_get (item, "case_ref"));
        uint32_t version = (uint32_t) json_integer_value (json_object_get (item, "version"));
        kt_reason_t reason;
        kt_log (KT_LOG_INFO, "plan resume case_ref=%s version=%u", case_ref, (unsigned) version);
        /*  It stays unsent, for the next start; the others go on. */
        if (s_resume_plan (self, case_ref, version, "ketend", &reason) != 0)
            kt_log (KT_LOG_ERROR, "plan resume_failed case_ref=%s version=%u reason=\"%s\"",
                    case_ref, (unsigned) version, reason.text);
    }
    json_decref (list);
}

/*  Replace the strings of a freshly unpacked message field. */
static int
s_set_string (char **field, const char *value)
{
    char *copy = strdup (value);
    if (!copy)
        return -1;
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = copy;
    return 0;
}

static int
s_plan_set (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
            kt_reason_t *reason)
{
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    json_t *plan_json = json_object_get (args, "plan");
    if (!case_ref || !json_is_object (plan_json))
        return kt_fail (reason, "case.plan needs case_ref and plan");
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (uitvoerder_of (self)->casus, case_ref, &info, key, reason) != 0)
        return -1;
    int rc = 0;
    Keten__CasePlan *plan = NULL, *prev = NULL;
    const char *parts[CASUS_MAX_PARTICIPANTS];
    for (size_t i = 0; i < info.n_participants; i++)
        parts[i] = info.participants[i];
    if (info.closed)
        rc = kt_fail (reason, "case %s is closed", case_ref);
    if (rc == 0)
        rc = plan_from_json (plan_json, parts, info.n_participants, &plan, reason);
    if (rc == 0)
        rc = plan_load (casusoverleg_db (uitvoerder_of (self)->casus), case_ref, 0, key, &prev,
                        reason);
    /*  A measure named by id is one of the previous version; it keeps
     *  its owner's last report. */
    for (size_t i = 0; rc == 0 && i < plan->n_measures; i++) {
        Keten__PlanMeasure *m = plan->measures[i];
        bool fresh = json_object_get (json_array_get (json_object_get (plan_json, "measures"), i),
                                      "measure_id") == NULL;
        const Keten__PlanMeasure *old = NULL;
        for (size_t j = 0; prev && j < prev->n_measures; j++)
            if (strcmp (prev->measures[j]->measure_id, m->measure_id) == 0)
                old = prev->measures[j];
        if (!fresh && !old)
            rc = kt_fail (reason, "measure %s is not in the current plan", m->measure_id);
        else if (old && s_set_string (&m->progress_note, old->progress_note) != 0)
            rc = kt_fail (reason, "out of memory");
        m->updated_ms = old ? old->updated_ms : kt_now_ms ();
    }
    if (rc == 0 && s_set_string (&plan->case_ref, case_ref) != 0)
        rc = kt_fail (reason, "out of memory");
    if (rc == 0) {
        plan->version = prev ? prev->version + 1 : 1;
        char user[65];
        access_user_name (caller->uid, user, sizeof user);
        json_t *sent = json_array ();
        bool recorded;
        rc = s_publish_plan (self, plan, &info, key, NULL, user, sent, &recorded, reason);
        json_object_set_new (result, "case_ref", json_string (case_ref));
        json_object_set_new (result, "version", json_integer (plan->version));
        json_object_set_new (result, "sent_to", sent);
        if (recorded)
            kt_log (KT_LOG_INFO, "plan recorded case_ref=%s version=%u user=%s", case_ref,
                    (unsigned) plan->version, user);
        if (rc != 0 && recorded) {
            kt_reason_t why = *reason;
            kt_log (KT_LOG_ERROR, "plan send_failed case_ref=%s version=%u reason=\"%s\"", case_ref,
                    (unsigned) plan->version, why.text);
            kt_fail (reason,
                     "plan version %u of %s is recorded, but not sent to the participants yet "
                     "(done when ketend next starts): %s",
                     (unsigned) plan->version, case_ref, why.text);
        }
    }
    sodium_memzero (key, sizeof key);
    if (plan)
        keten__case_plan__free_unpacked (plan, NULL);
    if (prev)
        keten__case_plan__free_unpacked (prev, NULL);
    return rc;
}

/* ---- receiving from participants ----------------------------------------- */

/*  The next plan version from an owner's progress report, not stored yet.
 *  Returns 0 (*next_p set), 1 when refused by rule (reason says which, in
 *  keten's own words: nothing the sender chose), -1 on a storage error. */
static int
s_progress_plan (node_t *self, const roster_member_t *sender, const Keten__PlanProgress *p,
                 const uint8_t key[KEYSTORE_KEY_LEN], Keten__CasePlan **next_p, kt_reason_t *reason)
{
    *next_p = NULL;
    Keten__CasePlan *plan = NULL;
    if (plan_load (casusoverleg_db (uitvoerder_of (self)->casus), p->case_ref, 0, key, &plan,
                   reason) != 0)
        return -1;
    if (!plan) {
        kt_fail (reason, "case %s has no plan yet", p->case_ref);
        return 1;
    }
    Keten__PlanMeasure *m = NULL;
    for (size_t i = 0; i < plan->n_measures; i++)
        if (strcmp (plan->measures[i]->measure_id, p->measure_id) == 0)
            m = plan->measures[i];
    int rc = 1;
    if (!m)
        kt_fail (reason, "measure %s is not in the plan of %s",
                 plan_measure_id_ok (p->measure_id) ? p->measure_id : "(not a measure id)",
                 p->case_ref);
    /*  A participant reports on its own measures only. */
    else if (strcmp (m->owner, sender->id) != 0)
        kt_fail (reason, "measure %s belongs to %s; %s cannot change it", m->measure_id, m->owner,
                 sender->id);
    else if (!plan_status_name (p->status) || !intake_text_ok (p->note, 0, PLAN_TEXT_MAX, true))
        kt_fail (reason, "progress report: unknown status or note too long");
    else if (s_set_string (&m->progress_note, p->note) != 0)
        rc = kt_fail (reason, "out of memory");
    else {
        m->status = p->status;
        m->updated_ms = kt_now_ms ();
        plan->version++;
        *next_p = plan;
        return 0;
    }
    keten__case_plan__free_unpacked (plan, NULL);
    return rc;
}

/*  The case's participants as they are now, into plan (a version made
 *  from the one before must not carry that one's list: a party added
 *  since would refuse the copy sent to it, one dropped would stay
 *  named). */
static int
s_plan_participants (Keten__CasePlan *plan, const casus_info_t *info, kt_reason_t *reason)
{
    char **list = calloc (info->n_participants + 1, sizeof *list);
    if (!list)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < info->n_participants; i++)
        if (!(list[i] = strdup (info->participants[i]))) {
            for (size_t j = 0; j < i; j++)
                free (list[j]);
            free (list);
            return kt_fail (reason, "out of memory");
        }
    for (size_t i = 0; i < plan->n_participants; i++)
        free (plan->participants[i]);
    free (plan->participants);
    plan->participants = list;
    plan->n_participants = info->n_participants;
    return 0;
}

int
uitvoerder_casus_reopen_plan (void *arg, const char *case_ref, const uint8_t key[KEYSTORE_KEY_LEN],
                              kt_reason_t *reason)
{
    uitvoerder_reopen_t *r = arg;
    uitvoerder_t *u = uitvoerder_of (r->node);
    casus_info_t info;
    Keten__CasePlan *plan = NULL;
    r->plan_version = 0;
    /*  The case row is open again in this transaction: its participants
     *  are the new decision's. */
    if (casusoverleg_case (u->casus, case_ref, &info, NULL, reason) != 0 ||
        plan_load (casusoverleg_db (u->casus), case_ref, 0, key, &plan, reason) != 0)
        return -1;
    if (!plan)
        return 0; /* no participant was told of the case: none is to be told now */
    int rc = s_plan_participants (plan, &info, reason);
    if (rc == 0) {
        plan->version++;
        kt_reason_t why;
        /*  A measure of a party the new decision left out makes no valid
         *  plan: the casusoverleg's next version gives it an owner, and
         *  tells the participants (as does the next advice, the
         *  kernpartijen involved). */
        if (plan_check (plan, &why) != 0)
            kt_log (KT_LOG_WARN, "plan reopen_skipped case_ref=%s reason=\"%s\"", case_ref,
                    why.text);
        else if ((rc = s_record_plan (r->node, plan, key, NULL, reason)) == 0)
            r->plan_version = plan->version;
    }
    keten__case_plan__free_unpacked (plan, NULL);
    return rc;
}

/*  A contribution's body, checked: kind, items under the intake's rules. */
static int
s_check_contribution (const Keten__CaseContribution *c, kt_reason_t *reason)
{
    static const char *const kinds[] = {"informatie", "achterblijver", "netwerk"};
    bool kind_ok = false;
    for (size_t i = 0; i < 3; i++)
        kind_ok |= strcmp (c->kind, kinds[i]) == 0;
    if (!kind_ok)
        return kt_fail (reason, "contribution kind must be informatie, achterblijver or netwerk");
    return items_check_contribution (c->items, c->n_items, c->legal_basis, "a contribution",
                                     reason);
}

/*  A message refused by rule: in the journal, in the provenance log
 *  (MESSAGE_REFUSED) and in a receipt.  The case_ref is the sender's text
 *  until it is known to have keten's form: only then is it logged. */
void
uitvoerder_casus_refuse (node_t *self, member_link_t *link, const roster_member_t *sender,
                         const envelope_opened_t *opened, const char *case_ref, const char *why)
{
    Keten__MessageType type = opened->header->type;
    char hex[KT_ID_HEX];
    kt_hex (hex, opened->id, KT_ID_LEN);
    const char *what = type == KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION ? "contribution"
                       : type == KETEN__MESSAGE_TYPE__PLAN_PROGRESS   ? "progress"
                                                                      : "case_decision";
    char event[RATELOG_PEER_EVENT];
    snprintf (event, sizeof event, "%s refused", what);
    if (node_peer_line (self, event, sender->id))
        kt_log (KT_LOG_WARN, "%s refused id=%s peer=%s reason=\"%s\"", what, hex, sender->id, why);
    char *to[1] = {(char *) s_me (self)};
    kt_reason_t reason;
    if (uitvoerder_refusal_logged (self, link, sender->id) &&
        s_log (self, KETEN__LOG_EVENT__MESSAGE_REFUSED, type, sender->id, NULL,
               weegploeg_case_ref_ok (case_ref) ? case_ref : "", why, to, 1, opened->id, NULL, NULL,
               &reason) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed reason=\"%s\"", reason.text);
    uitvoerder_receipt (self, link, sender->id, opened->id, false, 0, why);
}

/*  Log the arrival of a message that passed every check, once per message:
 *  a redelivery after a crash between this entry and the store finds it
 *  (same id, header hash and sender) and gets its index.  Returns 0, 1
 *  when the id is logged for another message (reason says so), -1. */
int
uitvoerder_casus_log_received (node_t *self, const roster_member_t *sender,
                               const envelope_opened_t *opened, const char *case_ref,
                               const char *what, uint64_t *index_p, kt_reason_t *reason)
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
    e.what = (char *) what;
    e.recipients = to;
    e.n_recipients = 1;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    return provlog_log_received (u->log, &e, index_p, reason);
}

/*  Keep what was received and logged at index: a contribution, or the
 *  plan version a progress report made (with the report, one transaction),
 *  then sent to the participants. */
static int
s_take (node_t *self, const roster_member_t *sender, const envelope_opened_t *opened,
        const Keten__CaseContribution *c, Keten__CasePlan *next, const casus_info_t *info,
        const uint8_t key[KEYSTORE_KEY_LEN], uint64_t index, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (next) {
        progress_ref_t ref = {opened->id, sender->id, index};
        bool recorded;
        kt_reason_t why;
        if (s_publish_plan (self, next, info, key, &ref, NULL, NULL, &recorded, &why) == 0)
            return 0;
        if (!recorded) {
            *reason = why;
            return -1;
        }
        /*  The report is kept (rule 3: it may be receipted); the version
         *  it made goes out when ketend next starts. */
        kt_log (KT_LOG_ERROR, "plan send_failed case_ref=%s version=%u reason=\"%s\"",
                next->case_ref, (unsigned) next->version, why.text);
        return 0;
    }
    sqlite3 *db = casusoverleg_db (u->casus);
    if (store_begin (db, reason) != 0)
        return -1;
    if (casusoverleg_store_contribution (u->casus, opened->id, sender->id, c, index, reason) != 0 ||
        store_commit (db, reason) != 0) {
        store_rollback (db);
        return -1;
    }
    return 0;
}

void
uitvoerder_on_casus (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    member_link_t *link = m->link;
    const roster_member_t *sender = m->peer->member;
    const envelope_opened_t *opened = &m->opened;
    Keten__MessageType type = opened->header->type;
    kt_reason_t reason;
    char hex[KT_ID_HEX];
    kt_hex (hex, opened->id, KT_ID_LEN);
    /*  art. 7.4 sub 1: an answer to the weegploeg's question is weegploeg
     *  data, not the casusoverleg's. */
    if (type == KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION &&
        *((const Keten__CaseContribution *) m->body)->answers) {
        uitvoerder_on_answer (self, m);
        return;
    }
    uint64_t index = 0;
    int seen = casusoverleg_seen (u->casus, opened->id, sender->id, &index);
    if (seen == CASUS_SEEN_UNSURE) {
        /*  The file cannot say: no receipt, so the sender retries (a
         *  refusal would be final, and the message lost). */
        node_send_batch (self);
        return;
    }
    if (seen != 0) {
        /*  A retry: answer again; an id reused by someone else: refuse. */
        uitvoerder_receipt (self, link, sender->id, opened->id, seen > 0, seen > 0 ? index : 0,
                            seen > 0 ? NULL : "this message id is already used");
        node_send_batch (self);
        return;
    }
    const Keten__CaseContribution *c = type == KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION
                                           ? (const Keten__CaseContribution *) m->body
                                           : NULL;
    const Keten__PlanProgress *p =
        type == KETEN__MESSAGE_TYPE__PLAN_PROGRESS ? (const Keten__PlanProgress *) m->body : NULL;
    const char *case_ref = c ? c->case_ref : p->case_ref;
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    bool have_key = false;
    Keten__CasePlan *next = NULL;
    /*  Every rule first (0: take it, 1: refused, -1: storage error); only
     *  what passes them all is logged as received. */
    int verdict = 1;
    if (casusoverleg_case (u->casus, case_ref, &info, key, &reason) != 0) {
        /*  No case (or an archived one) is a refusal, in words of our own
         *  (the case_ref may be the sender's text); a file that cannot say
         *  (a storage or key error) is not. */
        verdict = casusoverleg_case_known (u->casus, case_ref) == 0 ? 1 : -1;
        if (verdict > 0)
            kt_fail (&reason, "no such case");
    } else {
        have_key = true;
        /*  art. 9.2 / 10: only the case's participants take part. */
        if (!casus_info_has (&info, sender->id))
            kt_fail (&reason, "%s is not a participant of case %s", sender->id, case_ref);
        else if (info.closed)
            kt_fail (&reason, "case %s is closed", case_ref);
        else if (c)
            verdict =
                s_check_contribution (c, &reason) == 0 &&
                        items_wpg_from (sender, c->legal_basis, c->items, c->n_items, &reason) == 0
                    ? 0
                    : 1;
        else {
            /*  Another party's measure, an unknown one: refused for good. */
            verdict = s_progress_plan (self, sender, p, key, &next, &reason);
            if (verdict == 0 && s_plan_participants (next, &info, &reason) != 0)
                verdict = -1;
        }
    }
    if (verdict > 0)
        uitvoerder_casus_refuse (self, link, sender, opened, case_ref, reason.text);
    if (verdict == 0) {
        verdict = uitvoerder_casus_log_received (self, sender, opened, case_ref,
                                                 c ? c->kind : "progress", &index, &reason);
        if (verdict > 0) {
            if (node_peer_line (self, "casus refused", sender->id))
                kt_log (KT_LOG_WARN, "casus refused id=%s peer=%s reason=\"id reused\"", hex,
                        sender->id);
            uitvoerder_receipt (self, link, sender->id, opened->id, false, 0,
                                "this message id is already used for a different message");
        }
    }
    if (verdict == 0)
        verdict = s_take (self, sender, opened, c, next, &info, key, index, &reason);
    if (verdict == 0) {
        kt_log (KT_LOG_INFO, "%s stored id=%s peer=%s case_ref=%s log_index=%llu",
                c ? "contribution" : "progress", hex, sender->id, case_ref,
                (unsigned long long) index);
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
    } else if (verdict < 0)
        /*  No receipt: the sender retries, and finds its log entry. */
        kt_log (KT_LOG_ERROR, "casus store_failed id=%s reason=\"%s\"", hex, reason.text);
    if (have_key)
        sodium_memzero (key, sizeof key);
    if (next)
        keten__case_plan__free_unpacked (next, NULL);
    node_send_batch (self);
}

/* ---- disclosure and closure ---------------------------------------------- */

/*  Log and send a disclosure recorded in the casusoverleg file at step:
 *  DISCLOSED in the provenance log, naming the kinds of data and never the
 *  data (a share: SHARED, naming its source), unless the step says it is
 *  logged; then its copy under the
 *  message id on record (sealed is that copy, or NULL to seal it again),
 *  unless the relay keeps it already.
 *
 *  Crash reasoning: each step commits before the next begins, and the
 *  casusoverleg file records each one done, so a resume
 *  (uitvoerder_resume_disclosures) repeats only what is not recorded.
 *  DISCLOSED is logged once: a crash after it and before its step is
 *  recorded finds it under its key ("disclosed/ID") at the resume, as
 *  CASE_CLOSED does under "closed/CASE_REF/CLOSED_MS".  A copy sent twice has one
 *  id, and the externe casuspartner's node keeps one row per id. */
int
uitvoerder_casus_send_disclosure (node_t *self, const Keten__DisclosureConsent *d,
                                  const roster_member_t *to, const uint8_t id[KT_ID_LEN],
                                  casus_step_t step, copies_t *sealed, const char *user,
                                  json_t *json, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (step == CASUS_STEP_RECORDED) {
        char what[256] = "";
        size_t o = 0;
        /*  Only words of letters (intake_data_kind_ok) are named: a
         *  disclosure recorded before that rule and logged only now (a
         *  resume) may hold a kind that is not one. */
        for (size_t i = 0; i < d->n_data_kinds && o < sizeof what; i++)
            o += (size_t) snprintf (what + o, sizeof what - o, "%s%s", i ? "," : "",
                                    intake_data_kind_ok (d->data_kinds[i]) ? d->data_kinds[i]
                                                                           : "(withheld)");
        char *rcpt[1] = {(char *) to->id};
        char once[16 + KT_ID_HEX];
        snprintf (once, sizeof once, d->shared ? "shared/" : "disclosed/");
        kt_hex (once + strlen (once), id, KT_ID_LEN);
        /*  art. 9.2, 10.4: a share is logged as the source's, to exactly
         *  this recipient, without free text; the necessity stays in the
         *  casusoverleg file, sealed. */
        if (s_log (self, d->shared ? KETEN__LOG_EVENT__SHARED : KETEN__LOG_EVENT__DISCLOSED,
                   KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, d->shared ? d->source : s_me (self),
                   user, d->case_ref, d->shared ? "" : what, rcpt, 1, id, once, NULL,
                   reason) != 0 ||
            casusoverleg_disclosure_done (u->casus, id, CASUS_STEP_LOGGED, reason) != 0)
            return -1;
    }
    /*  Kept already: a crash came after the relay's commit. */
    int kept = relay_has (u->relay, id, reason);
    if (kept < 0)
        return -1;
    if (kept == 0) {
        copies_t again = {self, KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, NULL, 0, ""};
        char *refs[1] = {d->case_ref};
        copies_t *copies = sealed ? sealed : &again;
        int rc =
            sealed ? 0 : uitvoerder_copy_add_as (self, &again, to, &d->base, refs, 1, id, reason);
        if (rc == 0)
            rc = uitvoerder_copies_send (self, copies, user, json, reason);
        uitvoerder_copies_free (&again);
        if (rc != 0)
            return -1;
    }
    return casusoverleg_disclosure_done (u->casus, id, CASUS_STEP_SENT, reason);
}

/*  Collect the unsent disclosures: the sends write to the file the query
 *  reads. */
static int
s_disclosure_unsent_row (void *arg, const casusoverleg_disclosure_t *row, kt_reason_t *reason)
{
    json_t *list = arg;
    char hex[KT_ID_HEX];
    kt_hex (hex, row->message_id, KT_ID_LEN);
    if (json_array_append_new (list,
                               json_pack ("{s:s, s:s, s:s, s:I, s:i}", "case_ref", row->case_ref,
                                          "id", hex, "to", row->recipient, "uid",
                                          (json_int_t) row->uid, "step", (int) row->step)) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  One unsent disclosure (an item of s_disclosure_unsent_row), logged and
 *  sent from its step. */
static int
s_resume_disclosure (node_t *self, json_t *item, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *case_ref = json_string_value (json_object_get (item, "case_ref"));
    const char *to_id = json_string_value (json_object_get (item, "to"));
    uint8_t id[KT_ID_LEN];
    if (kt_unhex (id, KT_ID_LEN, json_string_value (json_object_get (item, "id"))) != 0)
        return kt_fail (reason, "a disclosure's id does not read back");
    const roster_member_t *to = roster_find (keyring_roster (self->keyring), to_id);
    /*  art. 15.2c, 18.2: a member that left since gets nothing; the
     *  record stays as the attempt it was. */
    if (!to || !roster_member_active (to, kt_now_ms ())) {
        kt_log (KT_LOG_WARN, "disclosure dropped case_ref=%s to=%s reason=\"no longer a member\"",
                case_ref, to_id);
        return casusoverleg_disclosure_done (u->casus, id, CASUS_STEP_SENT, reason);
    }
    Keten__DisclosureConsent *d = NULL;
    char user[65];
    access_user_name ((uid_t) json_integer_value (json_object_get (item, "uid")), user,
                      sizeof user);
    int rc = casusoverleg_disclosure (u->casus, case_ref, id, &d, reason);
    if (rc == 0)
        rc = uitvoerder_casus_send_disclosure (
            self, d, to, id, (casus_step_t) json_integer_value (json_object_get (item, "step")),
            NULL, user, NULL, reason);
    if (d)
        keten__disclosure_consent__free_unpacked (d, NULL);
    return rc;
}

void
uitvoerder_resume_disclosures (node_t *self)
{
    kt_reason_t why;
    json_t *list = json_array (), *item;
    if (!list || casusoverleg_each_disclosure_unsent (uitvoerder_of (self)->casus,
                                                      s_disclosure_unsent_row, list, &why) != 0)
        kt_log (KT_LOG_ERROR, "disclosure resume_failed reason=\"%s\"",
                list ? why.text : "out of memory");
    size_t i;
    json_array_foreach (list, i, item)
    {
        const char *case_ref = json_string_value (json_object_get (item, "case_ref"));
        kt_reason_t reason;
        kt_log (KT_LOG_INFO, "disclosure resume case_ref=%s id=%s", case_ref,
                json_string_value (json_object_get (item, "id")));
        /*  It stays unsent, for the next start; the others go on. */
        if (s_resume_disclosure (self, item, &reason) != 0)
            kt_log (KT_LOG_ERROR, "disclosure resume_failed case_ref=%s reason=\"%s\"", case_ref,
                    reason.text);
    }
    json_decref (list);
}

/*  Tell the participants of case_ref that it is closed, from the step
 *  the casusoverleg file says the closure got to: the weegploeg file (art.
 *  8.2f) and the log, then a copy to every participant.  Run again after a
 *  crash (uitvoerder_resume_closures), it repeats only the steps not
 *  recorded as done; a step done but not recorded is done again (the
 *  weegploeg file keeps one row per closure; copies kept before under
 *  "closure/CASE_REF/CLOSED_MS" are sent instead of new ones, so each is logged
 *  once). */
int
uitvoerder_casus_send_closure (node_t *self, const char *case_ref, const char *os_user,
                               json_t *json, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    casus_info_t info;
    Keten__CaseClosure *c = NULL;
    casus_step_t step = CASUS_STEP_SENT;
    int rc = casusoverleg_case (u->casus, case_ref, &info, NULL, reason);
    if (rc == 0)
        rc = casusoverleg_closure (u->casus, case_ref, &c, &step, reason);
    if (rc == 0 && step == CASUS_STEP_RECORDED) {
        rc = weegploeg_record_closure (u->weegploeg, case_ref, c->closed_ms, reason);
        /*  A case agendered again after its closure is closed again: the
         *  closure's time tells the two apart, in the key and the origin. */
        char once[80];
        snprintf (once, sizeof once, "closed/%s/%llu", case_ref, (unsigned long long) c->closed_ms);
        if (rc == 0)
            rc = s_log (self, KETEN__LOG_EVENT__CASE_CLOSED, KETEN__MESSAGE_TYPE__CLOSURE,
                        s_me (self), os_user, case_ref, "closed", c->decided_by, c->n_decided_by,
                        NULL, once, NULL, reason);
        if (rc == 0)
            rc = casusoverleg_closure_done (u->casus, case_ref, CASUS_STEP_LOGGED, reason);
    }
    if (rc == 0) {
        /*  art. 10.5: an externe casuspartner has access to the plan; the
         *  casusoverleg's advice is not for it.  (bare borrows c's strings.) */
        Keten__CaseClosure bare = *c;
        bare.advice = (char *) "";
        char origin[80];
        snprintf (origin, sizeof origin, "closure/%s/%llu", case_ref,
                  (unsigned long long) c->closed_ms);
        rc = s_send_to_participants (self, KETEN__MESSAGE_TYPE__CLOSURE, &c->base, &bare.base,
                                     &info, case_ref, origin, os_user, json, reason);
    }
    if (rc == 0)
        rc = casusoverleg_closure_done (u->casus, case_ref, CASUS_STEP_SENT, reason);
    if (c)
        keten__case_closure__free_unpacked (c, NULL);
    return rc;
}

void
uitvoerder_resume_closures (node_t *self)
{
    kt_reason_t why;
    json_t *refs = uitvoerder_json_closures_unsent (uitvoerder_of (self)->casus, &why), *ref;
    if (!refs)
        kt_log (KT_LOG_ERROR, "closure resume_failed reason=\"%s\"", why.text);
    size_t i;
    json_array_foreach (refs, i, ref)
    {
        const char *case_ref = json_string_value (ref);
        kt_reason_t reason;
        kt_log (KT_LOG_INFO, "closure resume case_ref=%s", case_ref);
        /*  It stays unsent, for the next start; the other cases go on. */
        if (uitvoerder_casus_send_closure (self, case_ref, "ketend", NULL, &reason) != 0)
            kt_log (KT_LOG_ERROR, "closure resume_failed case_ref=%s reason=\"%s\"", case_ref,
                    reason.text);
    }
    json_decref (refs);
}

/* ---- the local API -------------------------------------------------------- */

static json_t *
s_case_json (node_t *self, json_t *c)
{
    uitvoerder_t *u = uitvoerder_of (self);
    /*  Overdue measures, from the newest plan. */
    const char *case_ref = json_string_value (json_object_get (c, "case_ref"));
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t reason;
    Keten__CasePlan *plan = NULL;
    size_t overdue = 0;
    if (case_ref && casusoverleg_case (u->casus, case_ref, &info, key, &reason) == 0) {
        if (plan_load (casusoverleg_db (u->casus), case_ref, 0, key, &plan, &reason) == 0 && plan) {
            overdue = plan_overdue (plan, NULL);
            keten__case_plan__free_unpacked (plan, NULL);
        }
        sodium_memzero (key, sizeof key);
        /*  art. 9.4: who decided on the advice to close, who is still to. */
        if (!info.closed && uitvoerder_casework_status (self, &info, c, &reason) != 0)
            json_object_set_new (c, "closure_advice_error", json_string (reason.text));
    }
    json_object_set_new (c, "overdue", json_integer ((json_int_t) overdue));
    return c;
}

/*  The open cases that have a plan, by case_ref. */
typedef struct {
    char (*refs)[32];
    size_t n, cap;
} s_open_t;

static int
s_open_row (void *arg, const casusoverleg_row_t *row, kt_reason_t *reason)
{
    s_open_t *o = arg;
    if (strcmp (row->state, "open") != 0 || row->plan_version < 1)
        return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        char (*refs)[32] = realloc (o->refs, cap * sizeof *refs);
        if (!refs)
            return kt_fail (reason, "out of memory");
        o->refs = refs;
        o->cap = cap;
    }
    snprintf (o->refs[o->n++], sizeof o->refs[0], "%s", row->case_ref);
    return 0;
}

int
uitvoerder_casus_overdue_now (node_t *self, int64_t *measures, int64_t *cases,
                              kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    s_open_t o = {NULL, 0, 0};
    *measures = *cases = 0;
    int rc = casusoverleg_each (u->casus, INT32_MAX, s_open_row, &o, reason);
    for (size_t i = 0; rc == 0 && i < o.n; i++) {
        casus_info_t info;
        uint8_t key[KEYSTORE_KEY_LEN];
        Keten__CasePlan *plan = NULL;
        if ((rc = casusoverleg_case (u->casus, o.refs[i], &info, key, reason)) != 0)
            break;
        rc = plan_load (casusoverleg_db (u->casus), o.refs[i], 0, key, &plan, reason);
        sodium_memzero (key, sizeof key);
        if (rc == 0 && plan) {
            size_t n = plan_overdue (plan, NULL);
            *measures += (int64_t) n;
            *cases += n > 0;
            keten__case_plan__free_unpacked (plan, NULL);
        }
    }
    free (o.refs);
    return rc;
}

/*  plan.show: one version of a case's plan (0: the newest), its read on
 *  record (art. 15.2e). */
static int
s_plan_show (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
             kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    json_t *v = json_object_get (args, "version");
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    Keten__CasePlan *plan = NULL;
    int rc = case_ref ? casusoverleg_case (u->casus, case_ref, &info, key, reason)
                      : kt_fail (reason, "plan.show needs case_ref");
    if (rc == 0) {
        rc = plan_load (casusoverleg_db (u->casus), case_ref,
                        json_is_integer (v) ? (uint32_t) json_integer_value (v) : 0, key, &plan,
                        reason);
        sodium_memzero (key, sizeof key);
    }
    const char *refs[1] = {case_ref};
    if (rc == 0 && !plan)
        rc = kt_fail (reason, "case %s has no plan yet", case_ref);
    if (rc == 0)
        rc = node_record_access (self, caller, "plan.show", refs, 1, reason);
    if (rc == 0)
        json_object_set_new (result, "plan", render_plan (plan));
    if (plan)
        keten__case_plan__free_unpacked (plan, NULL);
    return rc;
}

/*  The one shape of the case commands that take arguments: an object in,
 *  a result object out, or the reason. */
void
uitvoerder_case_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    kt_reason_t reason;
    json_t *list = uitvoerder_json_cases (uitvoerder_of (self)->casus, 1000, &reason), *c;
    size_t i;
    json_array_foreach (list, i, c) s_case_json (self, c);
    render_reply (self->api, caller, "cases", list, &reason);
}

void
uitvoerder_case_plan (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_plan_set);
}

void
uitvoerder_plan_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_plan_show);
}
