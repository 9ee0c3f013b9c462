/*  uitvoerder_decision: the weegploeg's decision on a subject (art.
 *  7.3-7.4, 8.2), recorded in the weegploeg file, logged, copied to the
 *  casusoverleg file on agenderen (art. 8.5, 10.1), and sent to the
 *  kernpartijen involved: politie, OM and the gemeente of residence.
 */
#include "uitvoerder.h"
#include "uitvoerder_json.h"
#include "render.h"

#include <string.h>

int
uitvoerder_decision_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    /*  art. 7.3: the referentiekader the roster puts in force. */
    if (uitvoerder_referentiekader_start (self, reason) != 0)
        return -1;
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/casusoverleg.db", self->config.state_dir);
    if (!(u->decision = decision_new (u->weegploeg, reason)) ||
        !(u->casus = casusoverleg_open (path, self->keystore, reason)))
        return -1;
    return 0;
}

void
uitvoerder_decision_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    decision_destroy (&u->decision);
    casusoverleg_destroy (&u->casus);
    uitvoerder_referentiekader_stop (self);
}

static int
s_log_decided (node_t *self, const char *id, const Keten__WeegploegDecision *d, const char *os_user,
               kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__WEEGPLOEG_DECIDED;
    e.time_ms = kt_now_ms ();
    e.node = (char *) keyring_self_member (self->keyring)->id;
    e.os_user = (char *) os_user;
    e.case_ref = d->case_ref;
    e.what = d->outcome == KETEN__DECISION_OUTCOME__AGENDEREN ? "agenderen" : "niet-agenderen";
    e.recipients = d->parties;
    e.n_recipients = d->n_parties;
    /*  art. 7.4 sub 1: who is asked for more information (the question
     *  itself is personal data: not in the log). */
    char *asked[1] = {d->asked};
    if (d->outcome == KETEN__DECISION_OUTCOME__MEER_INFORMATIE) {
        e.what = "meer-informatie";
        e.recipients = asked;
        e.n_recipients = 1;
    }
    /*  Once per decision: a resumed send finds it under its key
     *  (docs/ARCHITECTURE.md, Crash reasoning 12). */
    char key[DECISION_ID_LEN + 16];
    snprintf (key, sizeof key, "decided/%s", id);
    return provlog_append_one (uitvoerder_of (self)->log, key, &e, NULL, reason);
}

/*  Copy, log and send decision id.  json (may be NULL) gets the copies. */
static int
s_send_decision (node_t *self, const char *id, const char *os_user, json_t *json,
                 kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    Keten__WeegploegDecision *d = NULL;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    copies_t copies = {self, KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, NULL, 0, ""};
    snprintf (copies.origin, sizeof copies.origin, "decision/%s", id);
    int rc = decision_get (u->decision, id, &d, reason);
    if (rc == 0)
        rc = weegploeg_read_case (u->weegploeg, d->case_ref, &signals, &n, reason);
    /*  art. 8.5: on agenderen the relevant weegploeg data goes to the
     *  casusoverleg file, before anyone is told.  A closed case opens
     *  again, with a plan version that tells its participants, in one
     *  commit; a closure whose entry and copies are still owed is
     *  finished before (its record goes with the reopening).  Crash
     *  reasoning: the decision stays unsent until its copies are kept,
     *  so a crash before the reopening commits does it at the next start
     *  (decision resume), and one after finds the case open and does not
     *  do it twice; the plan version is unsent until its copies are kept
     *  (plan resume). */
    uitvoerder_reopen_t reopen = {self, 0};
    bool reopened = false;
    if (rc == 0 && d->outcome == KETEN__DECISION_OUTCOME__AGENDEREN) {
        int owed = casusoverleg_closure_owed (u->casus, d->case_ref, reason);
        rc = owed < 0 ? -1
             : owed   ? uitvoerder_casus_send_closure (self, d->case_ref, "ketend", NULL, reason)
                      : 0;
        /*  The gemeente its opening counts under in the figures: where
         *  the subject lives, as the decision is routed below. */
        char gemeente[KEYS_ID_MAX + 1] = "";
        if (rc == 0 && n > 0)
            uitvoerder_figure_gemeente (self, signals[n - 1].signal->subject, gemeente);
        if (rc == 0)
            rc = casusoverleg_open_case (u->casus, d, signals, n, kt_now_ms (), gemeente,
                                         uitvoerder_casus_reopen_plan, &reopen, &reopened, reason);
        if (rc == 0 && reopened)
            kt_log (KT_LOG_INFO, "case reopened case_ref=%s decision_id=%s plan_version=%u",
                    d->case_ref, id, (unsigned) reopen.plan_version);
    }
    if (rc == 0)
        rc = s_log_decided (self, id, d, os_user, reason);
    const roster_t *roster = keyring_roster (self->keyring);
    const char *municipality = rc == 0 ? signals[n - 1].signal->subject->municipality : "";
    for (size_t i = 0; rc == 0 && i < roster->member_count; i++) {
        const roster_member_t *to = &roster->members[i];
        /*  art. 7.4 sub 1: the kernpartij asked gets the question even
         *  when the subject lives elsewhere (a gemeente of an earlier
         *  address): it cannot answer what it is not asked. */
        bool asked = d->outcome == KETEN__DECISION_OUTCOME__MEER_INFORMATIE &&
                     strcmp (to->id, d->asked) == 0 && to->role == ROLE_KERNPARTIJ;
        if (roster_member_active (to, kt_now_ms ()) &&
            (weegploeg_kernpartij_sees (to, municipality) || asked))
            rc = uitvoerder_copy_add (self, &copies, to, &d->base, &d->case_ref, 1, false, reason);
    }
    if (rc == 0)
        rc = uitvoerder_copies_send (self, &copies, os_user, json, reason);
    if (rc == 0)
        rc = decision_mark_sent (u->decision, id, reason);
    if (rc == 0 && reopen.plan_version) {
        /*  The decision is out; the version that reopens the case at the
         *  participants follows; what cannot go now goes at the next
         *  start (plan resume). */
        kt_reason_t why;
        if (uitvoerder_casus_send_plan (self, d->case_ref, reopen.plan_version, os_user, &why) != 0)
            kt_log (KT_LOG_ERROR, "plan send_failed case_ref=%s version=%u reason=\"%s\"",
                    d->case_ref, (unsigned) reopen.plan_version, why.text);
    }
    uitvoerder_copies_free (&copies);
    weegploeg_case_free (signals, n);
    if (d)
        keten__weegploeg_decision__free_unpacked (d, NULL);
    return rc;
}

int
uitvoerder_resume_decisions (node_t *self, kt_reason_t *reason)
{
    json_t *unsent = uitvoerder_json_decisions_unsent (uitvoerder_of (self)->decision, reason);
    if (!unsent)
        return -1;
    size_t i;
    json_t *id;
    int rc = 0;
    json_array_foreach (unsent, i, id)
    {
        kt_log (KT_LOG_INFO, "decision resume id=%s", json_string_value (id));
        /*  One decision that cannot go (its subject's signals all
         *  withdrawn since) must not keep the node from starting: said,
         *  kept, tried again at the next start. */
        kt_reason_t why;
        if (s_send_decision (self, json_string_value (id), "ketend", NULL, &why) != 0)
            kt_log (KT_LOG_ERROR, "decision resume_failed id=%s reason=\"%s\"",
                    json_string_value (id), why.text);
    }
    json_decref (unsent);
    return rc;
}

/*  A JSON array of at most max strings into out; -1 when it is not one. */
static int
s_strings (json_t *v, const char **out, size_t max, size_t *n_p)
{
    *n_p = 0;
    if (!v)
        return 0;
    if (!json_is_array (v) || json_array_size (v) > max)
        return -1;
    for (size_t i = 0; i < json_array_size (v); i++)
        if (!(out[(*n_p)++] = json_string_value (json_array_get (v, i))))
            return -1;
    return 0;
}

void
uitvoerder_decide (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    uitvoerder_t *u = uitvoerder_of (self);
    decision_input_t in = {0};
    const char *criteria[DECISION_MAX_CRITERIA], *parties[DECISION_MAX_PARTIES];
    char id[DECISION_ID_LEN], user[65];
    kt_reason_t reason;
    const char *outcome = json_string_value (json_object_get (args, "outcome"));
    in.case_ref = json_string_value (json_object_get (args, "case_ref"));
    in.analysis = json_string_value (json_object_get (args, "analysis"));
    in.meeting_id = json_string_value (json_object_get (args, "meeting_id"));
    in.asked = json_string_value (json_object_get (args, "asked"));
    in.question = json_string_value (json_object_get (args, "question"));
    in.uid = caller->uid;
    in.criteria = criteria;
    in.parties = parties;
    const char *error = NULL;
    if (!in.case_ref)
        error = "weegploeg.decide needs case_ref";
    else if (!outcome || (strcmp (outcome, "agenderen") && strcmp (outcome, "niet-agenderen") &&
                          strcmp (outcome, "meer-informatie")))
        error = "outcome must be agenderen, niet-agenderen or meer-informatie";
    else if (s_strings (json_object_get (args, "criteria"), criteria, DECISION_MAX_CRITERIA,
                        &in.n_criteria) != 0)
        error = "criteria must be an array of at most 32 codes";
    else if (s_strings (json_object_get (args, "parties"), parties, DECISION_MAX_PARTIES,
                        &in.n_parties) != 0)
        error = "parties must be an array of at most 32 member ids";
    if (error) {
        apiserver_reply_error (self->api, caller, error);
        return;
    }
    in.agenderen = strcmp (outcome, "agenderen") == 0;
    in.meer_informatie = strcmp (outcome, "meer-informatie") == 0;
    /*  art. 6b, 8.4: the party asked receives the decision, its analysis
     *  included, and every later one on the subject: a gemeente only for
     *  its own residents, as every weegploeg copy. */
    const roster_member_t *asked = in.meer_informatie && in.asked
                                       ? roster_find (keyring_roster (self->keyring), in.asked)
                                       : NULL;
    if (asked && strcmp (asked->kind, "gemeente") == 0) {
        weegploeg_case_signal_t *signals = NULL;
        size_t n = 0;
        if (weegploeg_read_case (u->weegploeg, in.case_ref, &signals, &n, &reason) != 0) {
            apiserver_reply_error (self->api, caller, reason.text);
            return;
        }
        bool sees = n > 0 && signals[n - 1].signal->subject &&
                    weegploeg_kernpartij_sees (asked, signals[n - 1].signal->subject->municipality);
        weegploeg_case_free (signals, n);
        if (!sees) {
            char msg[256];
            snprintf (msg, sizeof msg,
                      "art. 8.4: %.64s sees only its own residents and this subject lives "
                      "elsewhere; ask the gemeente of residence, the politie or the OM",
                      in.asked);
            apiserver_reply_error (self->api, caller, msg);
            return;
        }
    }
    /*  art. 11.2: every decision, agenderen or not, opens its
     *  informatieplicht task, in the commit that records the decision: a
     *  crash leaves both or neither, never a decision nobody must inform
     *  about (docs/RIGHTS.md, "Informatieplicht").  Meer informatie is
     *  not that decision (art. 7.4 sub 1: the weegploeg has not weighed
     *  yet) and opens none; the decision that follows it does. */
    /*  Every signal about the subject withdrawn or deleted (art. 7.2a,
     *  12.5): nothing is left to weigh, and no copy could be made. */
    int known = weegploeg_subject_state (u->weegploeg, in.case_ref, &reason);
    int has = known > 0 ? weegploeg_case_has_signals (u->weegploeg, in.case_ref, &reason) : 1;
    if (known < 0 || has <= 0) {
        if (has == 0)
            snprintf (reason.text, sizeof reason.text,
                      "%.24s has no signals left (each was withdrawn or deleted): nothing to "
                      "weigh",
                      in.case_ref);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    sqlite3 *db = weegploeg_db (u->weegploeg);
    uint64_t now = kt_now_ms ();
    if (store_begin (db, &reason) != 0 ||
        decision_record (u->decision, u->rk, keyring_roster (self->keyring), &in, now, id,
                         &reason) != 0 ||
        (!in.meer_informatie &&
         infoplicht_open (u->infoplicht, id, in.case_ref, in.agenderen, now, NULL, &reason) != 0) ||
        uitvoerder_figure_decision (self, id, &reason) != 0 ||
        store_commit (db, &reason) != 0) {
        store_rollback (db);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    access_user_name (caller->uid, user, sizeof user);
    kt_log (KT_LOG_INFO, "decision recorded id=%s case_ref=%s outcome=%s user=%s", id, in.case_ref,
            outcome, user);
    json_t *sent = json_array ();
    if (s_send_decision (self, id, user, sent, &reason) != 0) {
        json_decref (sent);
        char msg[KT_REASON_MAX + 64];
        snprintf (msg, sizeof msg, "decision %s recorded but not sent yet: %s", id, reason.text);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    json_t *result =
        json_pack ("{s:s, s:s, s:s, s:b, s:o}", "decision_id", id, "case_ref", in.case_ref,
                   "outcome", outcome, "case_opened", in.agenderen, "sent_to", sent);
    if (in.meer_informatie)
        json_object_set_new (result, "asked", json_string (in.asked));
    apiserver_reply_ok (self->api, caller, result);
}

json_t *
uitvoerder_decisions (node_t *self, int limit, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *decisions = uitvoerder_json_decisions (u->decision, limit, reason);
    json_t *cases = decisions ? uitvoerder_json_cases (u->casus, limit, reason) : NULL;
    if (!cases) {
        json_decref (decisions);
        return NULL;
    }
    return json_pack ("{s:o, s:o}", "decisions", decisions, "cases", cases);
}
