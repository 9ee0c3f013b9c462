/*  statuscheck: the alarms and warnings of a node's status, named once. */
#include "statuscheck.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum {
    C_EXPELLED,
    C_KEYS_OVERLAP_ENDED,
    C_KEYS_OVERLAP_ENDING,
    C_STATUS_INCOMPLETE,
    C_MEMBER_ALARMS,
    C_NODE_ALARMS,
    C_WITNESS_ALARMS,
    C_INCIDENT_OVERDUE,
    C_INCIDENT_TO_NOTIFY,
    C_REQUESTS_OVERDUE,
    C_REQUESTS_DUE,
    C_CORRECTIONS_OVERDUE,
    C_CORRECTIONS_UNCONFIRMED,
    C_ACCESS_REVIEW_DUE,
    C_RETENTION_UNCONFIRMED,
    C_RETENTION_UNWEIGHED,
    C_RETENTION_CLOCK_OVERDUE,
    C_RETENTION_CLOCK_WAITING,
    C_CLOCK_BY_OPERATOR,
    C_INFORMATIEPLICHT_REVIEW,
    C_INFORMATIEPLICHT_RETENTION,
    C_SPOOL_UNREADABLE,
    C_SPOOL_REJECTED_EXPIRING,
    C_SPOOL_FILE_STUCK,
    C_PEER_LOG_ALARMS,
    C_PEER_DOWN,
    C_EXPIRED_MESSAGES,
    C_COUNT
};

static const statuscheck_t s_checks[C_COUNT] = {
    [C_EXPELLED] = {"expelled", STATUSCHECK_CRITICAL,
                    "this node is no longer accepted by the federation"},
    [C_KEYS_OVERLAP_ENDED] = {"keys_overlap_ended", STATUSCHECK_CRITICAL,
                              "this node's keys were rotated and the overlap is over: its key "
                              "file is no longer accepted"},
    [C_KEYS_OVERLAP_ENDING] = {"keys_overlap_ending", STATUSCHECK_WARNING,
                               "this node's keys were rotated: the key file in use stops "
                               "working within 7 days"},
    [C_STATUS_INCOMPLETE] = {"status_incomplete", STATUSCHECK_CRITICAL,
                             "parts of the status cannot be read: their checks cannot be made"},
    [C_MEMBER_ALARMS] = {"member_alarms", STATUSCHECK_CRITICAL,
                         "alarms raised for members (uitvoerder)"},
    [C_NODE_ALARMS] = {"node_alarms", STATUSCHECK_CRITICAL, "alarms raised at this node"},
    [C_WITNESS_ALARMS] = {"witness_alarms", STATUSCHECK_CRITICAL,
                          "the log witness saw a fork or a rollback"},
    [C_INCIDENT_OVERDUE] = {"incident_overdue", STATUSCHECK_CRITICAL,
                            "incidents past the 72 hours of AVG art. 33"},
    [C_INCIDENT_TO_NOTIFY] = {"incident_to_notify", STATUSCHECK_WARNING,
                              "incidents to notify to the AP within 72 hours"},
    [C_REQUESTS_OVERDUE] = {"requests_overdue", STATUSCHECK_CRITICAL,
                            "requests of a person past their deadline (art. 12)"},
    [C_REQUESTS_DUE] = {"requests_due", STATUSCHECK_WARNING,
                        "requests of a person due within a week"},
    [C_CORRECTIONS_OVERDUE] = {"corrections_overdue", STATUSCHECK_CRITICAL,
                               "corrections past 4 weeks (art. 12.6)"},
    [C_CORRECTIONS_UNCONFIRMED] = {"corrections_unconfirmed", STATUSCHECK_WARNING,
                                   "correction notices a member has not confirmed"},
    [C_ACCESS_REVIEW_DUE] = {"access_review_due", STATUSCHECK_WARNING,
                             "the periodic access log review is due (art. 15.2e)"},
    [C_RETENTION_UNCONFIRMED] = {"retention_unconfirmed", STATUSCHECK_WARNING,
                                 "retention notices unconfirmed for a day"},
    [C_RETENTION_UNWEIGHED] = {"retention_unweighed", STATUSCHECK_WARNING,
                               "subjects never weighed, destroyed within 4 weeks"},
    [C_RETENTION_CLOCK_OVERDUE] = {"retention_clock_overdue", STATUSCHECK_CRITICAL,
                                   "retention has waited over a day for a clock the federation "
                                   "confirms: nothing due is archived or destroyed"},
    [C_RETENTION_CLOCK_WAITING] = {"retention_clock_waiting", STATUSCHECK_WARNING,
                                   "retention waits for a clock the federation confirms: nothing "
                                   "due is archived or destroyed meanwhile"},
    [C_CLOCK_BY_OPERATOR] = {"clock_confirmed_by_operator", STATUSCHECK_WARNING,
                             "no peer confirms this node's clock: retention runs on the "
                             "operator's word (keten clock confirm) until it ends"},
    [C_INFORMATIEPLICHT_REVIEW] = {"informatieplicht_review_due", STATUSCHECK_WARNING,
                                   "informatieplicht deferrals due for review (art. 11.4)"},
    [C_INFORMATIEPLICHT_RETENTION] = {"informatieplicht_before_retention", STATUSCHECK_WARNING,
                                      "persons not informed whose data is archived or destroyed "
                                      "within 4 weeks (art. 11.5, 13)"},
    [C_SPOOL_UNREADABLE] = {"spool_unreadable", STATUSCHECK_CRITICAL,
                            "the intake spool cannot be read or used: nothing new is forwarded"},
    [C_SPOOL_REJECTED_EXPIRING] = {"spool_rejected_expiring", STATUSCHECK_WARNING,
                                   "rejected spool files are removed within 2 days"},
    [C_SPOOL_FILE_STUCK] = {"spool_file_stuck", STATUSCHECK_WARNING,
                            "a spool file waits over 15 minutes, neither forwarded nor rejected"},
    [C_PEER_LOG_ALARMS] = {"peer_log_alarms", STATUSCHECK_CRITICAL,
                           "a peered federation's log showed a fork or a rollback"},
    [C_PEER_DOWN] = {"peer_down", STATUSCHECK_WARNING,
                     "peered federations not connected (uitvoerder)"},
    [C_EXPIRED_MESSAGES] = {"expired_messages", STATUSCHECK_WARNING,
                            "messages to members expired undelivered within 7 days: send again "
                            "by hand what they still need (uitvoerder)"},
};

/*  The verdict's words for a raised check: before, the count, after; a
 *  check without a count (after NULL) says before, else its what. */
typedef struct {
    const char *before, *after;
} s_summary_t;

static const s_summary_t s_summaries[C_COUNT] = {
    [C_MEMBER_ALARMS] = {NULL, "member alarm(s)"},
    [C_NODE_ALARMS] = {NULL, "alarm(s) at this node"},
    [C_WITNESS_ALARMS] = {"the log witness raised ", "alarm(s)"},
    [C_INCIDENT_OVERDUE] = {NULL, "incident(s) past the 72 hours of AVG art. 33"},
    [C_INCIDENT_TO_NOTIFY] = {NULL, "incident(s) to notify to the AP"},
    [C_REQUESTS_OVERDUE] = {NULL, "request(s) overdue (art. 12)"},
    [C_REQUESTS_DUE] = {NULL, "request(s) due within a week"},
    [C_CORRECTIONS_OVERDUE] = {NULL, "correction(s) past 4 weeks (art. 12.6)"},
    [C_CORRECTIONS_UNCONFIRMED] = {NULL, "correction notice(s) unconfirmed"},
    [C_ACCESS_REVIEW_DUE] = {"the access log review is due (art. 15.2e)", NULL},
    [C_RETENTION_UNCONFIRMED] = {NULL, "retention notice(s) unconfirmed for a day"},
    [C_RETENTION_UNWEIGHED] = {NULL, "subject(s) not weighed, destroyed within 4 weeks"},
    [C_INFORMATIEPLICHT_REVIEW] = {NULL, "informatieplicht deferral(s) due for review"},
    [C_INFORMATIEPLICHT_RETENTION] = {NULL, "person(s) not informed, archived or destroyed within "
                                            "4 weeks"},
    [C_SPOOL_FILE_STUCK] = {NULL, "spool file(s) waiting over 15 minutes, neither forwarded nor "
                                  "rejected"},
    [C_PEER_LOG_ALARMS] = {NULL, "peered federation(s) whose log showed a fork or rollback"},
    [C_PEER_DOWN] = {NULL, "peered federation(s) not connected"},
    [C_EXPIRED_MESSAGES] = {NULL, "message(s) to members expired undelivered within 7 days"},
};

const statuscheck_t *
statuscheck_all (size_t *count_p)
{
    *count_p = C_COUNT;
    return s_checks;
}

const char *
statuscheck_level_name (statuscheck_level_t level)
{
    return level == STATUSCHECK_CRITICAL ? "critical" : "warning";
}

static uint64_t
s_uint (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_integer (v) && json_integer_value (v) > 0 ? (uint64_t) json_integer_value (v)
                                                             : 0;
}

static uint64_t
s_count (json_t *obj, const char *array)
{
    return json_array_size (json_object_get (obj, array));
}

void
statuscheck_run (json_t *r, statuscheck_fn *fn, void *arg)
{
    uint64_t n[C_COUNT] = {0};
    json_t *fed = json_object_get (r, "federation");
    json_t *incidents = json_object_get (r, "incidents");
    json_t *rights = json_object_get (r, "rights");
    json_t *corrections = json_object_get (r, "corrections");
    json_t *retention = json_object_get (r, "retention");
    json_t *spool = json_object_get (r, "spool");
    n[C_EXPELLED] = json_is_true (json_object_get (r, "expelled"));
    n[C_KEYS_OVERLAP_ENDED] = json_is_true (json_object_get (r, "old_keys_ended"));
    n[C_KEYS_OVERLAP_ENDING] = json_is_true (json_object_get (r, "old_keys_ending"));
    /*  A part the node could not read (node_status_unreadable): its own
     *  checks below count it as nothing raised, so this one is critical. */
    n[C_STATUS_INCOMPLETE] = s_count (r, "unreadable");
    n[C_MEMBER_ALARMS] = s_uint (fed, "alarms");
    n[C_NODE_ALARMS] = s_count (r, "alarms");
    n[C_WITNESS_ALARMS] = s_count (json_object_get (r, "log_witness"), "alarms");
    size_t i;
    json_t *x;
    /*  Counted at the node (the list holds the soonest few only); a node
     *  from before the counts lists them all. */
    if (json_is_integer (json_object_get (incidents, "ap_pending_count"))) {
        n[C_INCIDENT_OVERDUE] = s_uint (incidents, "ap_overdue_count");
        uint64_t pending = s_uint (incidents, "ap_pending_count");
        n[C_INCIDENT_TO_NOTIFY] =
            pending > n[C_INCIDENT_OVERDUE] ? pending - n[C_INCIDENT_OVERDUE] : 0;
    } else
        json_array_foreach (json_object_get (incidents, "ap_pending"), i, x)
        {
            if (json_is_true (json_object_get (x, "overdue")))
                n[C_INCIDENT_OVERDUE]++;
            else
                n[C_INCIDENT_TO_NOTIFY]++;
        }
    n[C_REQUESTS_OVERDUE] = s_uint (rights, "alarms");
    n[C_REQUESTS_DUE] = s_uint (rights, "warnings");
    n[C_CORRECTIONS_OVERDUE] = s_count (corrections, "overdue");
    n[C_CORRECTIONS_UNCONFIRMED] = s_count (corrections, "unconfirmed");
    n[C_ACCESS_REVIEW_DUE] = json_is_true (json_object_get (r, "access_review_due"));
    n[C_RETENTION_UNCONFIRMED] = s_count (retention, "unconfirmed");
    n[C_RETENTION_UNWEIGHED] = s_count (retention, "warnings");
    json_t *clock = json_object_get (r, "clock");
    n[C_RETENTION_CLOCK_OVERDUE] = json_is_true (json_object_get (clock, "retention_overdue"));
    n[C_RETENTION_CLOCK_WAITING] = json_is_true (json_object_get (clock, "retention_waiting"));
    n[C_CLOCK_BY_OPERATOR] = json_is_true (json_object_get (clock, "by_operator"));
    n[C_INFORMATIEPLICHT_REVIEW] = s_count (json_object_get (r, "informatieplicht"), "review_due");
    n[C_INFORMATIEPLICHT_RETENTION] =
        s_count (json_object_get (r, "informatieplicht"), "before_retention");
    n[C_SPOOL_UNREADABLE] = json_is_string (json_object_get (spool, "error"));
    n[C_SPOOL_REJECTED_EXPIRING] =
        !n[C_SPOOL_UNREADABLE] && json_is_string (json_object_get (spool, "warning"));
    n[C_SPOOL_FILE_STUCK] = s_uint (spool, "waiting_stuck");

    json_array_foreach (json_object_get (r, "peerings"), i, x)
    {
        n[C_PEER_LOG_ALARMS] += json_is_true (json_object_get (x, "log_alarm"));
        n[C_PEER_DOWN] += json_is_false (json_object_get (x, "connected"));
    }

    /*  What the uitvoerder's copies missed, of the last week (a member
     *  that has left: none; its rows say 0). */
    json_array_foreach (json_object_get (r, "members"), i, x)
    {
        if (!json_is_true (json_object_get (x, "left")))
            n[C_EXPIRED_MESSAGES] += s_uint (x, "expired_recent");
    }

    for (int c = 0; c < C_COUNT; c++) {
        char text[256] = "";
        const s_summary_t *w = &s_summaries[c];
        if (!w->after)
            snprintf (text, sizeof text, "%s", w->before ? w->before : s_checks[c].what);
        else
            snprintf (text, sizeof text, "%s%llu %s", w->before ? w->before : "",
                      (unsigned long long) n[c], w->after);
        /*  Which parts could not be read. */
        if (c == C_STATUS_INCOMPLETE && n[c]) {
            snprintf (text, sizeof text, "status incomplete, cannot read:");
            json_array_foreach (json_object_get (r, "unreadable"), i, x)
            {
                const char *section = json_string_value (json_object_get (x, "section"));
                size_t used = strlen (text);
                snprintf (text + used, sizeof text - used, "%s %s", i ? "," : "",
                          section ? section : "?");
            }
        }
        /*  When the key file in use stops (or stopped) working. */
        if ((c == C_KEYS_OVERLAP_ENDED || c == C_KEYS_OVERLAP_ENDING) && n[c]) {
            const char *until = json_string_value (json_object_get (r, "old_keys_until"));
            snprintf (text, sizeof text,
                      "the key file in use %s at 00:00 Dutch time on %s: install the new one and "
                      "restart",
                      c == C_KEYS_OVERLAP_ENDED ? "stopped working" : "stops working",
                      until ? until : "?");
        }
        /*  Why the clock is not confirmed (node_clock.c). */
        if ((c == C_RETENTION_CLOCK_OVERDUE || c == C_RETENTION_CLOCK_WAITING) && n[c]) {
            const char *why = json_string_value (json_object_get (clock, "why"));
            snprintf (text, sizeof text, "retention waits for a confirmed clock (%llu s): %s",
                      (unsigned long long) s_uint (clock, "retention_waiting_s"), why ? why : "?");
        }
        /*  Until when the operator's word holds, and what the peers say. */
        if (c == C_CLOCK_BY_OPERATOR && n[c]) {
            const char *why = json_string_value (json_object_get (clock, "why"));
            snprintf (text, sizeof text, "%s", why ? why : s_checks[c].what);
        }
        /*  How many members there are, beside their alarms. */
        if (c == C_MEMBER_ALARMS)
            snprintf (text + strlen (text), sizeof text - strlen (text), ", %llu of %llu online",
                      (unsigned long long) s_uint (fed, "online"),
                      (unsigned long long) s_uint (fed, "members"));
        fn (arg, &s_checks[c], n[c], n[c] ? text : NULL);
    }
}
