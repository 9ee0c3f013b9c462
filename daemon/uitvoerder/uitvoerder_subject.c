/*  uitvoerder_subject: the uitvoerder looks at a subject in the weegploeg
 *  file and decides possible matches (issue #3: a match that is not
 *  certain is never merged silently).  Every look at personal data is
 *  recorded in the node's access table and in the provenance log
 *  (PERSONAL_DATA_ACCESSED, art. 15.2e) before anything is shown.
 */
#include "uitvoerder.h"
#include "uitvoerder_json.h"
#include "render.h"

#include "intake.h"
#include "items.h"

#include <string.h>

/*  art. 7.4 sub 1: the subject's open question (its newest decision is
 *  meer informatie: who is asked) and the answers kept, into result. */
static int
s_add_question (node_t *self, const char *ref, json_t *result, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    char id[DECISION_ID_LEN], asked[65];
    int open = decision_open_question (u->decision, ref, id, asked, reason);
    if (open < 0)
        return -1;
    if (open > 0)
        json_object_set_new (result, "open_question",
                             json_pack ("{s:s, s:s}", "decision_id", id, "asked", asked));
    decision_answer_t *answers = NULL;
    size_t n = 0;
    if (decision_answers_read (u->weegploeg, ref, &answers, &n, reason) != 0)
        return -1;
    json_t *list = json_array ();
    for (size_t i = 0; i < n; i++) {
        char hex[KT_ID_HEX];
        json_t *items = items_to_json (answers[i].answer->items, answers[i].answer->n_items);
        json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:I, s:s, s:o*}", "message_id",
                                                kt_hex (hex, answers[i].message_id, KT_ID_LEN),
                                                "sender", answers[i].sender, "decision_id",
                                                answers[i].decision_id, "received_ms",
                                                (json_int_t) answers[i].received_ms, "legal_basis",
                                                answers[i].answer->legal_basis, "items", items));
    }
    decision_answers_free (answers, n);
    json_object_set_new (result, "answers", list);
    return 0;
}

void
uitvoerder_subject_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    const char *ref = args ? json_string_value (json_object_get (args, "case_ref")) : NULL;
    kt_reason_t reason;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    if (!ref) {
        apiserver_reply_error (self->api, caller, "weegploeg.subject needs case_ref");
        return;
    }
    if (weegploeg_read_case (uitvoerder_of (self)->weegploeg, ref, &signals, &n, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char *refs[1] = {(char *) ref};
    /*  Recorded in the access table and the provenance log first. */
    if (node_record_access (self, caller, "weegploeg.subject", (const char *const *) refs, 1,
                            &reason) != 0) {
        weegploeg_case_free (signals, n);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *list = json_array ();
    for (size_t i = 0; i < n; i++) {
        json_t *sig = intake_signal_to_object (signals[i].signal);
        char hex[KT_ID_HEX];
        json_object_set_new (sig, "message_id",
                             json_string (kt_hex (hex, signals[i].message_id, KT_ID_LEN)));
        /*  Each shown item's number in the signal, as a correction names
         *  it (blocked and deleted items are not shown, art. 12.5). */
        json_t *items = json_object_get (sig, "items");
        const Keten__Signal *s = signals[i].signal;
        for (size_t k = 0, shown = 0; json_is_array (items) && k < s->n_items; k++)
            if (!s->items[k]->blocked && !s->items[k]->deleted)
                json_object_set_new (json_array_get (items, shown++), "item",
                                     json_integer ((json_int_t) k));
        json_object_set_new (sig, "sender", json_string (signals[i].sender));
        /*  art. 7.2a: the police representative it came through, and who
         *  confirmed it (confirm mode). */
        if (*s->representative)
            json_object_set_new (sig, "representative", json_string (s->representative));
        if (*s->confirmed_by)
            json_object_set_new (sig, "confirmed_by", json_string (s->confirmed_by));
        json_object_set_new (sig, "received_ms",
                             json_integer ((json_int_t) signals[i].received_ms));
        json_array_append_new (list, sig);
    }
    weegploeg_case_free (signals, n);
    json_t *result = json_pack ("{s:s, s:o}", "case_ref", ref, "signals", list);
    if (s_add_question (self, ref, result, &reason) != 0) {
        json_decref (result);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (self->api, caller, result);
}

void
uitvoerder_matches (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    bool all = args && json_is_true (json_object_get (args, "all"));
    kt_reason_t reason;
    render_reply (self->api, caller, "matches",
                  uitvoerder_json_matches (uitvoerder_of (self)->weegploeg, !all, &reason),
                  &reason);
}

void
uitvoerder_match (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    const char *keep = args ? json_string_value (json_object_get (args, "keep")) : NULL;
    const char *other = args ? json_string_value (json_object_get (args, "other")) : NULL;
    json_t *same = args ? json_object_get (args, "same") : NULL;
    kt_reason_t reason;
    if (!keep || !other || !json_is_boolean (same)) {
        apiserver_reply_error (self->api, caller,
                               "weegploeg.match needs keep, other and same (true or false)");
        return;
    }
    if (weegploeg_decide_match (uitvoerder_of (self)->weegploeg, keep, other, json_is_true (same),
                                (uint32_t) caller->uid, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    /*  In the journal once made (a destruction of keep forgets what was
     *  noted of other, a restore merges them again), and other's open
     *  requests follow it.  A crash before this is made good at the next
     *  start (uitvoerder_retention_start). */
    if (json_is_true (same) && uitvoerder_merged (self, keep, other, &reason) != 0)
        kt_log (KT_LOG_ERROR, "subject merge_note_failed keep=%s other=%s reason=\"%s\"", keep,
                other, reason.text);
    char *refs[2] = {(char *) keep, (char *) other};
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    /*  A merge under its once-key, so a restore's replay logs it only
     *  when the restored log lacks it. */
    if ((json_is_true (same)
             ? uitvoerder_log_merge (self, keep, other, user, "subjects merged", &reason)
             : uitvoerder_log_event (self, KETEN__LOG_EVENT__CORRECTED, user, "subjects distinct",
                                     refs, 2, &reason)) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=corrected reason=\"%s\"", reason.text);
    kt_log (KT_LOG_INFO, "subject match keep=%s other=%s same=%s uid=%u", keep, other,
            json_is_true (same) ? "yes" : "no", (unsigned) caller->uid);
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:s, s:s, s:b}", "keep", keep, "other", other, "same", json_is_true (same)));
}
