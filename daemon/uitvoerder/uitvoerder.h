/*  uitvoerder: the role of the node that coordinates the federation - it
 *  keeps the weegploeg and casusoverleg files, the provenance log and the
 *  incident register, and relays to the members.  Its state and the
 *  functions its files share; the core knows only uitvoerder_role.
 */
#ifndef KETEN_UITVOERDER_H
#define KETEN_UITVOERDER_H

#include "node_core.h"

#include "casusoverleg.h"
#include "correction.h"
#include "decision.h"
#include "figures.h"
#include "hourbudget.h"
#include "incident.h"
#include "infoplicht.h"
#include "lifecycle.h"
#include "logproof.h"
#include "meeting.h"
#include "provlog.h"
#include "ratelog.h"
#include "referentiekader.h"
#include "relay.h"
#include "rkhistory.h"
#include "rosterchange.h"
#include "request.h"
#include "review.h"
#include "weegploeg.h"

/*  The uitvoerder's role row, for node_new (daemon/ketend.c). */
extern const node_role_t uitvoerder_role;

/*  The length of a member's instance id (Heartbeat.instance_id). */
#define UITVOERDER_INSTANCE_LEN 16

/*  How many runs taken over from while alive are remembered: three or
 *  more copies whose heartbeats arrive in turn are still seen. */
#define UITVOERDER_INSTANCE_TAKEN 4

/*  The runs of a member's ketend its heartbeats named (instance_id), to
 *  tell a copy of the node running beside the original from a restart
 *  (docs/OPERATIONS.md, duplicate_instance).  In memory only.  The
 *  decision runs on the monotonic clock (mono: ms, kt_mono_us () / 1000),
 *  so that a wall clock set back or forth changes nothing. */
typedef struct {
    bool named;                           /* it sent an id this run of ours */
    uint8_t cur[UITVOERDER_INSTANCE_LEN]; /* the run heard from last */
    uint64_t cur_seen;                    /* when (mono); 0: none heard */
    /*  The runs another took over from while they were still alive
     *  (heard within the online window), the oldest first. */
    uint8_t taken[UITVOERDER_INSTANCE_TAKEN][UITVOERDER_INSTANCE_LEN];
    size_t n_taken;
    uint64_t duplicate_since;   /* the alarm raised at (mono); 0: not raised */
    uint64_t duplicate_last;    /* two runs last seen alive at once (mono) */
    uint64_t duplicate_last_ms; /* the same by the wall clock, to show */
} member_instances_t;

/*  How long duplicate_instance stays raised after two runs were last
 *  seen alive at once: an hour, so that a copy that ran for a minute is
 *  still seen by a person, and the alarm ends by itself once only one
 *  copy is left. */
#define UITVOERDER_DUPLICATE_HOLD_MS 3600000ull

typedef enum {
    INSTANCE_UNJUDGED,  /* no id, from a member that never sent one */
    INSTANCE_SAME,      /* the run heard from before (or the first) */
    INSTANCE_NEW,       /* another run: a restart, as far as is known */
    INSTANCE_DUPLICATE, /* a run heard again after another took over while it was
                         * alive: two at once, the alarm raised now */
    INSTANCE_AGAIN,     /* the same, while the alarm is raised */
} instance_heard_t;

/*  A heartbeat naming run id (len bytes; anything but
 *  UITVOERDER_INSTANCE_LEN is no id) at mono (ms, monotonic) and wall_ms;
 *  window_ms: how long a run counts as alive after it was heard (the
 *  member's online window).  No id from a member that sent one during
 *  this run of ours is a run of its own (an older release beside it). */
instance_heard_t uitvoerder_instance_heard (member_instances_t *w, const uint8_t *id, size_t len,
                                            uint64_t mono, uint64_t wall_ms, uint64_t window_ms);
/*  Whether duplicate_instance is raised at mono: two runs were seen
 *  alive at once within the last UITVOERDER_DUPLICATE_HOLD_MS. */
bool uitvoerder_instance_duplicate (const member_instances_t *w, uint64_t mono);
/*  Whether a raised alarm's hour is over at mono: true once, and w is
 *  then as if none had been raised (the next alternation raises anew). */
bool uitvoerder_instance_ended (member_instances_t *w, uint64_t mono);

/*  What the uitvoerder knows of each member's link. */
typedef struct {
    node_route_t route; /* len 0: not connected this run */
    uint64_t last_seen_ms;
    uint64_t rtt_us;
    uint64_t outbox_depth;
    uint64_t roster_version;
    char software_version[32];
    uint64_t cp_size; /* size of the last checkpoint sent to it */
    /*  As its last heartbeat said (the federation at a glance). */
    uint64_t uptime_s;
    uint64_t oldest_undelivered_ms; /* age of its oldest unsettled message */
    uint64_t checkpoint_size;       /* newest checkpoint it verified, 0: none */
    uint64_t key_age_s;
    bool log_alarm;          /* its witness raised an alarm */
    uint64_t receipts_max;   /* the largest RECEIPTS it takes; 0: a RECEIPT each */
    bool receipts_shared;    /* it reads Receipt.inclusion_shared */
    uint64_t bundle_max;     /* the largest bundle it takes; 0: none */
    /*  Its "link bundles" line: at most once a minute (two copies of the
     *  member take turns on the link, each turn a change). */
    ratelog_one_t bundles_said;
    uint64_t max_message;    /* the largest message it said it takes, kept; 0: not heard */
    int64_t clock_skew_ms;   /* its clock minus ours, less half the round trip */
    uint64_t roster_offered; /* newest roster version pushed to it this run */
    uint64_t cp_pushed;      /* log size of the last checkpoint pushed to it */
    /*  Its refusals by rule: each logged up to UITVOERDER_REFUSALS_LOGGED
     *  an hour; past that counted, and the count logged once when the
     *  hour is over (uitvoerder_refusal_logged). */
    hour_budget_t refusals;
    uint64_t refusal_flood_until_ms; /* the refusal_flood alarm lasts until (monotonic) */
    /*  Its INCIDENT reports and ACCESS_NOTICEs handled this hour: up to
     *  their budgets (UITVOERDER_INCIDENTS_HOUR, ..._NOTICES_HOUR), the
     *  rest refused (uitvoerder_budget_take); the incident_flood and
     *  access_notice_flood alarms last until (monotonic). */
    hour_budget_t incidents;
    uint64_t incident_flood_until_ms;
    hour_budget_t notices;
    uint64_t notice_flood_until_ms;
    bool storage_failing;            /* its own storage alarm, as its heartbeat said */
    bool log_witness_unreadable;     /* its witness cannot be read, as its heartbeat said */
    uint64_t heartbeat_ms;           /* its heartbeat interval, as it said; 0: not said */
    uint64_t online_since_ms;        /* online without a break since (0: not online) */
    member_instances_t instances;    /* the runs of its ketend (duplicate_instance) */
} member_link_t;

/*  A member that says its heartbeat interval (an optional field) is
 *  online while heard from within this many of them, if that is longer
 *  than this node's own heartbeat-timeout-ms: two heartbeats may be lost
 *  (docs/PROTOCOL.md, "Heartbeats"). */
#define UITVOERDER_HEARTBEATS_MISSED 3
/*  The longest interval believed: transport/heartbeat-ms's own bound
 *  (docs/CONFIG.md), so a member cannot say it is online for a day. */
#define UITVOERDER_HEARTBEAT_MAX_MS 60000

/*  How long messages that expired undelivered to a member raise the
 *  expired_messages warning: a week, time to send by hand what it still
 *  needs (docs/OPERATIONS.md, "A member away for long"). */
#define UITVOERDER_EXPIRED_RECENT_MS (7 * 86400000ull)

/*  Whether the member of link is online at now_ms: heard from within
 *  max(heartbeat-timeout-ms, UITVOERDER_HEARTBEATS_MISSED x its own
 *  interval).  One test for the status, the relay and the checkpoints. */
bool uitvoerder_member_online (const node_t *self, const member_link_t *link, uint64_t now_ms);
/*  That window in ms. */
uint64_t uitvoerder_online_window_ms (const node_t *self, const member_link_t *link);

/*  Refusals by rule logged one by one per member and hour: enough for any
 *  honest mistake, a bound on what a hostile member can make the log and
 *  the disk do (docs/OPERATIONS.md, "A member that floods refusals"). */
#define UITVOERDER_REFUSALS_LOGGED 100

/*  Whether a refusal of a message from link's member gets its own log
 *  entry (true) or only counts (false, past the hour's budget: the
 *  refusal_flood alarm is raised for an hour).  Either way the member
 *  gets its refusal receipt, so its outbox stops retrying. */
bool uitvoerder_refusal_logged (node_t *self, member_link_t *link, const char *member);
/*  An hour over (or force: ketend stops): log how many refusals were
 *  only counted in it.  The count is kept in memory: a crash loses the
 *  present hour's, whose start the journal's refusal_flood line shows. */
void uitvoerder_refusal_roll (node_t *self, member_link_t *link, const char *member,
                              uint64_t now_ms, bool force);

/*  A message from link's member refused by rule: on record within the
 *  member's refusal budget (uitvoerder_refusal_logged), and answered with
 *  a refusal receipt saying why. */
void uitvoerder_refuse_by_rule (node_t *self, member_link_t *link, const char *member,
                                const envelope_opened_t *opened, const char *why);

/*  Incidents (INCIDENT) registered per member and hour.  An incident is a
 *  data breach or security incident (art. 15.2g, AVG art. 33): a member
 *  reports a handful a year, a few at once when one event touches several
 *  registers.  Past 20 in an hour it is a member out of order, whose
 *  reports would stall the uitvoerder and fill every kernpartij's
 *  register copy; they are refused with the reason (docs/OPERATIONS.md,
 *  "A member that floods incidents or access notices"). */
#define UITVOERDER_INCIDENTS_HOUR 20
/*  ACCESS_NOTICEs logged per member and hour.  One is sent for each read
 *  of case data by a user at the member (case, agenda, decision and
 *  retention reads): a busy member's staff make a few hundred in a working
 *  hour, and an outbox that held them through a day's outage sends them
 *  at once.  Past 2000 in an hour it is not reads by people: the rest
 *  is refused, the reads stay in the member's own access table. */
#define UITVOERDER_NOTICES_HOUR 2000

/*  One more message of a budgeted kind (b, max an hour) from member: true when within the hour's
 * budget.  Past it false: the first time in the hour the journal says so (alarm, e.g.
 * "incident_flood") and *flood_until (monotonic) keeps the alarm raised for an hour after the last
 * one refused; when the hour is over the count refused in it is said. */
bool uitvoerder_budget_take (const char *member, hour_budget_t *b, uint64_t max,
                             uint64_t *flood_until, const char *alarm);

/*  The budget check of a budgeted message (opened) from link's member:
 *  true when it may be stored.  One whose message id the log holds
 *  already (a retry whose receipt was lost, or a crash came between its
 *  entry and its row) takes nothing of the budget and passes, so a
 *  backlog resent cannot use it up.  Otherwise it takes one
 *  (uitvoerder_budget_take: b, max, flood_until, alarm); past the budget
 *  it is refused by rule with the reason why_fmt says, and false. */
bool uitvoerder_budget_or_refuse (node_t *self, member_link_t *link, const char *member,
                                  const envelope_opened_t *opened, hour_budget_t *b, uint64_t max,
                                  uint64_t *flood_until, const char *alarm, const char *why_fmt,
                                  ...) __attribute__ ((format (printf, 9, 10)));

/*  A signal of this drain, waiting for its group commit (uitvoerder.c). */
/*  "At least every few seconds while entries arrive" (issue #4): the
 *  checkpoint's push to the members, and the timer that also tops up the
 *  key pool. */
#define CHECKPOINT_PUSH_MS 2000

typedef struct _arrival_t arrival_t;

/*  A peered federation's uitvoerder (uitvoerder_peer.c). */
typedef struct _peer_link_t peer_link_t;

typedef struct {
    size_t admitted_keys; /* transport keys the allow-list admits */
    int rebind_timer;     /* the scheduled rebind's zloop timer, or -1 */
    weegploeg_t *weegploeg;
    provlog_t *log;
    meeting_t *meeting;       /* weegploeg meetings planned */
    decision_t *decision;     /* weegploeg decisions */
    incident_t *incident;     /* the incident register (art. 15.2g) */
    logproof_t *proof;        /* checkpoints and proofs of the log */
    casusoverleg_t *casus;    /* the casusoverleg file (art. 10.1) */
    referentiekader_t *rk;    /* the one in force (art. 7.3); NULL: none known */
    char *rk_text;            /* its file's exact text */
    rkhistory_t *rkhistory;   /* every referentiekader put in force */
    relay_t *relay;           /* own messages to members, until receipted */
    lifecycle_t *lifecycle;   /* retention state per subject (art. 13) */
    bool retention_clock_armed; /* retention waits for a confirmed clock: its check is armed */
    request_t *requests;      /* the person's requests (art. 12), requests.db */
    infoplicht_t *infoplicht; /* informatieplicht tasks (art. 11.2-11.5) */
    review_t *review;         /* the accuracy reviews (art. 8.3, 10.3) */
    correction_t *correction; /* correction decisions (art. 12.5-12.6) */
    bool log_owed;            /* relay rows may owe log entries: retry them */
    /*  A roster change being issued (uitvoerder_roster_issue): pushed
     *  before it applies here, so what the relay offers meanwhile is
     *  judged against it, not against the roster still in force. */
    const roster_t *issuing;
    bool issuing_kind;        /* meanwhile a copy was withdrawn as composed for a former kind */
    bool relay_clock_waiting; /* expiry and a leaver's withdrawal wait for the clock */
    uint64_t owed_retry_ms;   /* the log timer's next try, after a failure */
    uint64_t refill_after_ms; /* a drain's key pool refill failed: not before */
    uint64_t owed_backoff_ms; /* its wait, doubled per failure (0: none) */
    member_link_t *links;     /* one per roster member, roster order */
    /*  Federations that know each other (docs/FEDERATIONS.md). */
    peer_link_t *peers; /* one per peering in force */
    size_t n_peers;
    void *peer_dial_args; /* the zloop readers' arguments, one per link */
    struct _transfer_t *transfer;
    uint64_t transfer_retry_ms; /* monotonic */
    /*  The drain in progress: its signals and their ids. */
    arrival_t *arrivals;
    size_t n_arrivals;
    zhashx_t *batch_ids;
    /*  Receipts held for RECEIPTS until the node sends its batch. */
    struct _held_receipts_t *held;
    /*  log.verify runs in progress (uitvoerder_log.c); NULL: none. */
    struct _log_verify_t *verify;
    /*  The repeating timers' last firings acted on (kt_timer_due). */
    uint64_t peer_fired_ms, push_fired_ms, expiry_fired_ms;
} uitvoerder_t;

/*  The uitvoerder's state of a node that runs this role. */
static inline uitvoerder_t *
uitvoerder_of (node_t *node)
{
    return (uitvoerder_t *) node->role_state;
}

/*  Peered federations (uitvoerder_peer.c, docs/FEDERATIONS.md): a link
 *  per peering in force (again after every roster change), the witness
 *  of each peer's log, transfers both ways. */
int uitvoerder_peer_start (node_t *self, kt_reason_t *reason);
void uitvoerder_peer_stop (node_t *self);
void uitvoerder_peers_apply (node_t *self);
/*  A message on the ROUTER from a peered uitvoerder's key: handled here
 *  (true), or not a peer's (false). */
bool uitvoerder_peer_on_router (node_t *self, const transport_msg_t *msg);
/*  The status's "peerings" (new reference); a witness that cannot be read
 *  is named in status's "unreadable" (node_status_unreadable). */
json_t *uitvoerder_peer_status (node_t *self, json_t *status);
/*  log.reanchor { peer, size, root, reason }: the witness of that peered
 *  federation's log follows it again from the tree its operator named. */
void uitvoerder_peer_reanchor (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
/*  The status's "transfers" (new reference); NULL and reason when they
 *  cannot be read. */
json_t *uitvoerder_transfer_counts (node_t *self, kt_reason_t *reason);
/*  art. 13: a destroyed subject's transfers and transfer decisions go. */
int uitvoerder_transfer_forget (node_t *self, const char *case_ref, kt_reason_t *reason);
/*  case_ref was corrected: its unanswered transfers are sealed again from
 *  the corrected file before they are offered again (transfer.h). */
int uitvoerder_transfer_corrected (node_t *self, const char *case_ref, kt_reason_t *reason);
void uitvoerder_transfer (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  art. 4: a kernpartij's TRANSFER_DECISION, recorded as its decision. */
void uitvoerder_on_transfer_decision (node_t *self, node_message_t *m);
void uitvoerder_transfer_list (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
/*  Weegploeg agendas (uitvoerder_agenda.c). */
void uitvoerder_agenda (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
int uitvoerder_resume_meetings (node_t *self, kt_reason_t *reason);
/*  Casusoverleg agendas, to the participants of the cases on them. */
void uitvoerder_casus_agenda (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
/*  The referentiekader in force (uitvoerder_referentiekader.c, art. 7.3):
 *  at start the roster's, from the kept ones or weegploeg/referentiekader
 *  (a mismatch sets config_refused); after a roster change the new
 *  roster's, from the kept ones; adopt and show. */
int uitvoerder_referentiekader_start (node_t *self, kt_reason_t *reason);
void uitvoerder_referentiekader_stop (node_t *self);
int uitvoerder_referentiekader_follow (node_t *self, const roster_t *old, kt_reason_t *reason);
void uitvoerder_referentiekader_adopt (node_t *self, const api_caller_t *caller, const char *cmd,
                                       json_t *args);
void uitvoerder_referentiekader_show (node_t *self, const api_caller_t *caller, const char *cmd,
                                      json_t *args);
/*  Weegploeg decisions (uitvoerder_decision.c). */
int uitvoerder_decision_start (node_t *self, kt_reason_t *reason);
void uitvoerder_decision_stop (node_t *self);
int uitvoerder_resume_decisions (node_t *self, kt_reason_t *reason);
void uitvoerder_decide (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  {decisions, cases}; NULL and reason when either cannot be read. */
json_t *uitvoerder_decisions (node_t *self, int limit, kt_reason_t *reason);

/*  A case_ref into a JSON array (arg): a list read before it is acted
 *  on, as the action writes the files it is read from
 *  (uitvoerder_retention.c). */
int uitvoerder_ref_row (void *arg, const char *case_ref, kt_reason_t *reason);

/*  Receipts (uitvoerder_receipts.c).  A signed receipt for id to member,
 *  in the outgoing batch: to a member that reads RECEIPTS held and sent
 *  with the others of the batch (uitvoerder_receipts_send, which
 *  node_send_batch calls first). */
void uitvoerder_receipt (node_t *self, member_link_t *link, const char *member,
                         const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                         const char *refusal);
/*  An accepted receipt whose log entry (entry_len bytes, the packed entry
 *  at log_index) the caller holds: not read back from the log; NULL:
 *  read, as uitvoerder_receipt does. */
void uitvoerder_receipt_logged (node_t *self, member_link_t *link, const char *member,
                                const uint8_t id[KT_ID_LEN], uint64_t log_index,
                                const uint8_t *entry, size_t entry_len);
void uitvoerder_receipts_send (node_t *self);
void uitvoerder_receipts_stop (node_t *self);
/*  What a member's heartbeat says it takes (Heartbeat.receipts_max) as
 *  the uitvoerder uses it: 0 below UITVOERDER_RECEIPTS_MIN, at most
 *  64 MiB. */
#define UITVOERDER_RECEIPTS_MIN (16 * 1024)
uint64_t uitvoerder_receipts_max (uint64_t said);

/*  The log on the wire (uitvoerder_log.c). */
int uitvoerder_log_start (node_t *self, kt_reason_t *reason);
void uitvoerder_log_stop (node_t *self);
/*  log.verify: every stored checkpoint checked (logproof_check), in
 *  batches between the loop's other work; the answer when all are. */
void uitvoerder_log_verify (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
void uitvoerder_prove_receipt (node_t *self, member_link_t *link, uint64_t index, Keten__Receipt *r,
                               logproof_receipt_t *proof, logproof_message_t *consistency);
void uitvoerder_on_checkpoint (node_t *self, node_message_t *m);
/*  log.events: the log's entries of one event type in a time window
 *  (uitvoerder_events.c). */
void uitvoerder_log_events (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);

/*  Reads of personal data on record (uitvoerder_access.c): the
 *  uitvoerder's own, and those its members report. */
int uitvoerder_log_access (node_t *self, const char *user, const char *what,
                           const char *const *case_refs, size_t n, kt_reason_t *reason);
void uitvoerder_on_access (node_t *self, node_message_t *m);

/*  Membership changes (uitvoerder_roster.c). */
/*  The next roster version with change made, signed and checked as every
 *  node will; not kept.  NULL with reason. */
roster_t *uitvoerder_roster_sign (node_t *self, const roster_change_t *change, kt_reason_t *reason);
/*  Called once next is kept, before it is logged and pushed; a failure is
 *  a warning of the change (reason says what is owed). */
typedef int (uitvoerder_roster_kept_fn) (node_t *self, const roster_t *next, void *arg,
                                         kt_reason_t *reason);
/*  Issue next (taken), the change made: kept durably, kept called (may be
 *  NULL), logged (ROSTER_CHANGED, what), pushed to every member active in
 *  the roster in force, then applied here.  NULL with reason when it
 *  could not be kept (nothing issued); else {version, sent_to, warnings}
 *  for the reply - from keeping on the change rolls forward, and a step
 *  that failed is a warning made good later. */
json_t *uitvoerder_roster_issue (node_t *self, roster_t *next, const roster_change_t *change,
                                 const char *user, const char *what,
                                 uitvoerder_roster_kept_fn *kept, void *kept_arg,
                                 kt_reason_t *reason);
void uitvoerder_roster_change (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
void uitvoerder_roster_start (node_t *self);
/*  The link table follows its member ids into the roster now in use. */
int uitvoerder_roster_changed (node_t *self, const roster_t *old, kt_reason_t *reason);
/*  A member's heartbeat showed roster version its_version: offer it the
 *  current one if it is behind (once per version per run). */
void uitvoerder_roster_offer (node_t *self, member_link_t *link, const roster_member_t *member,
                              uint64_t its_version);
/*  The roster_refused alarm for member: its last answer to a roster push
 *  was a refusal, not cleared by an operator since (docs/ROSTER.md, "A
 *  replayed roster").  1 raised, 0 not, -1 and reason when the relay
 *  cannot be read (then it is not known). */
int uitvoerder_roster_refused (node_t *self, const char *member, kt_reason_t *reason);
/*  roster.clear-alarm { member }: an operator clears it, on record. */
void uitvoerder_roster_clear_alarm (node_t *self, const api_caller_t *caller, const char *cmd,
                                    json_t *args);

/*  Incidents (uitvoerder_incident.c): any node reports, the uitvoerder
 *  registers. */
/*  At start: log what a crash left unlogged of the register's changes
 *  and send every kernpartij each change it has not been sent. */
void uitvoerder_incident_start (node_t *self);
/*  member becomes a kernpartij again with roster version (a kind change):
 *  noted in node.db before that version is kept.  A node that stopped
 *  being one dropped the register it had, so the copies it was sent then
 *  count for nothing: from here on its copies go under origins of this
 *  version, and uitvoerder_incident_start sends it the whole register. */
int uitvoerder_incident_rejoin (node_t *self, const char *member, uint64_t version,
                                kt_reason_t *reason);
void uitvoerder_on_incident (node_t *self, node_message_t *m);
void uitvoerder_incident_report (node_t *self, const api_caller_t *caller, const char *cmd,
                                 json_t *args);
void uitvoerder_incident_list (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
/*  incident.close and incident.update. */
void uitvoerder_incident_close (node_t *self, const api_caller_t *caller, const char *cmd,
                                json_t *args);

/*  The casusoverleg (uitvoerder_casus.c). */
void uitvoerder_on_casus (node_t *self, node_message_t *m);
/*  art. 7.4 sub 1: a CASE_CONTRIBUTION with answers set - the asked
 *  kernpartij's answer for the weegploeg file (uitvoerder_answer.c). */
void uitvoerder_on_answer (node_t *self, node_message_t *m);
/*  The subjects due on the next weegploeg agenda, as case_refs. */
json_t *uitvoerder_json_due (node_t *self, kt_reason_t *reason);
/*  Put the subjects due on the earliest weegploeg meeting still to come
 *  and send its new version (uitvoerder_agenda.c): 1 placed, 0 nothing
 *  to place, -1 with reason (a version recorded is resumed). */
int uitvoerder_agenda_place_due (node_t *self, const char *os_user, kt_reason_t *reason);
/*  art. 7.2a, 12.5: case_ref's last signal was deleted (withdrawn).  The
 *  weegploeg agenda copies naming it that still wait in the relay for a
 *  member away are withdrawn (on record, their sealed bytes blanked),
 *  and each of their meetings gets a new version without it, sent to
 *  all (uitvoerder_agenda.c).  Nothing when the subject has a signal
 *  left.  0, or -1 with reason (a version recorded is resumed at start;
 *  a second call finds no copy left to withdraw). */
int uitvoerder_agenda_withdraw_emptied (node_t *self, const char *case_ref, kt_reason_t *reason);
void uitvoerder_case_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void uitvoerder_case_plan (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void uitvoerder_case_disclose (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
void uitvoerder_plan_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  Send the closures a crash left unsent (on start; a failure is logged
 *  and tried again on the next start). */
void uitvoerder_resume_closures (node_t *self);
/*  Log and send the plan versions and disclosures a crash left unsent (on
 *  start, as closures). */
void uitvoerder_resume_plans (node_t *self);
void uitvoerder_resume_disclosures (node_t *self);
/*  Retention (uitvoerder_retention.c, art. 13): at start, a destruction a
 *  crash cut off is completed (uitvoerder_retention_start, before any
 *  send is resumed), then the schedule runs (uitvoerder_retention_run_start,
 *  before serving), hourly and on retention.run; a kernpartij's reopen
 *  order. */
int uitvoerder_retention_start (node_t *self, kt_reason_t *reason);
void uitvoerder_retention_run_start (node_t *self);
void uitvoerder_retention_stop (node_t *self);
/*  art. 7.2a: destroy case_ref now, as art. 13 would (its last signal was
 *  withdrawn before the weegploeg weighed it); the notices follow. */
int uitvoerder_retention_destroy_now (node_t *self, const char *case_ref, kt_reason_t *reason);
/*  The "retention" object of `keten status` into result. */
void uitvoerder_retention_role_status (node_t *self, json_t *result);
void uitvoerder_retention_status (node_t *self, const api_caller_t *caller, const char *cmd,
                                  json_t *args);
void uitvoerder_retention_run (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
void uitvoerder_on_retention_order (node_t *self, node_message_t *m);

/*  The request desk (uitvoerder_request.c, art. 12): register, find the
 *  subject, the overview and the refusal; the "rights" object of status. */
void uitvoerder_request_open (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void uitvoerder_request_find (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void uitvoerder_request_link (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void uitvoerder_request_list (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void uitvoerder_request_show (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void uitvoerder_request_answer (node_t *self, const api_caller_t *caller, const char *cmd,
                                json_t *args);
void uitvoerder_request_grounds (node_t *self, const api_caller_t *caller, const char *cmd,
                                 json_t *args);
void uitvoerder_rights_status (node_t *self, json_t *result);
/*  The informatieplicht and the accuracy review (uitvoerder_infoplicht.c,
 *  art. 11.2-11.5, 8.3, 10.3); start after uitvoerder_decision_start. */
int uitvoerder_infoplicht_start (node_t *self, kt_reason_t *reason);
void uitvoerder_infoplicht_stop (node_t *self);
/*  The "informatieplicht" and "review" objects of `keten status`. */
void uitvoerder_infoplicht_status (node_t *self, json_t *result);
void uitvoerder_infoplicht_list (node_t *self, const api_caller_t *caller, const char *cmd,
                                 json_t *args);
/*  informatieplicht.consult and .inform (the desk's steps; the decision
 *  to inform or defer is a kernpartij's, uitvoerder_rights.c). */
void uitvoerder_infoplicht_step (node_t *self, const api_caller_t *caller, const char *cmd,
                                 json_t *args);
void uitvoerder_infoplicht_letter (node_t *self, const api_caller_t *caller, const char *cmd,
                                   json_t *args);
/*  A kernpartij's decision on an informatieplicht task or a request
 *  (RIGHTS_DECISION, art. 4, 11, 12; uitvoerder_rights.c). */
void uitvoerder_on_rights_decision (node_t *self, node_message_t *m);
void uitvoerder_review_list (node_t *self, const api_caller_t *caller, const char *cmd,
                             json_t *args);
void uitvoerder_review_record (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
/*  Correction (uitvoerder_correction.c, art. 12.5-12.6): decisions,
 *  their notices and the parties' confirmations; a start carries out
 *  what a crash cut off. */
int uitvoerder_correction_start (node_t *self, kt_reason_t *reason);
void uitvoerder_correction_stop (node_t *self);
/*  art. 12.6: each correction notice that expired on its way to member
 *  (away past delivery/max-age-s, docs/OPERATIONS.md) is made again,
 *  fresh, for it: 0, or -1 with reason. */
int uitvoerder_correction_again (node_t *self, const roster_member_t *member, kt_reason_t *reason);
/*  Each correction decided on request_id (art. 12.5), oldest first, with
 *  whether it is carried out (every step done, every party confirmed),
 *  to fn (0 go on, -1 error with reason). */
typedef int (uitvoerder_request_change_fn) (void *arg, const correction_row_t *row,
                                            bool carried_out, kt_reason_t *reason);
int uitvoerder_corrections_of_request (node_t *self, const char *request_id,
                                       uitvoerder_request_change_fn *fn, void *arg,
                                       kt_reason_t *reason);
/*  node_role_t.redo: a destruction or correction noted in forget.db,
 *  after a restore (uitvoerder_retention.c), and the correction's part
 *  (uitvoerder_correction.c): decided again as it was, by whom it was. */
int uitvoerder_redo (node_t *self, const forget_entry_t *entry, kt_reason_t *reason);
/*  Whether case_ref's subject is destroyed, or being destroyed (art. 13):
 *  1, 0 (alive, archived, or unknown here), -1 with reason. */
int uitvoerder_destroyed (node_t *self, const char *case_ref, kt_reason_t *reason);
/*  Subject gone was merged into keep: noted in the journal (forget.h),
 *  and gone's open requests linked to keep.  Idempotent. */
int uitvoerder_merged (node_t *self, const char *keep, const char *gone, kt_reason_t *reason);
/*  The merge of gone into keep in the provenance log (CORRECTED), once:
 *  under the key merged/KEEP/GONE. */
int uitvoerder_log_merge (node_t *self, const char *keep, const char *gone, const char *os_user,
                          const char *what, kt_reason_t *reason);
int uitvoerder_correction_redo (node_t *self, const Keten__CorrectionNotice *n, const char *detail,
                                kt_reason_t *reason);
void uitvoerder_correction_decide (node_t *self, const api_caller_t *caller, const char *cmd,
                                   json_t *args);
void uitvoerder_correction_list (node_t *self, const api_caller_t *caller, const char *cmd,
                                 json_t *args);
/*  The "corrections" object of `keten status` into result. */
void uitvoerder_correction_role_status (node_t *self, json_t *result);
/*  A signal's own sender corrects or withdraws it (art. 12.5). */
void uitvoerder_on_correction (node_t *self, node_message_t *m);
/*  art. 7.2a: the destructions the police representative's withdrawals
 *  recorded as owed and that did not begin (a crash, the log owing
 *  entries, a file that could not be written, a correction step owed),
 *  tried again: at every start and retention run.  0, or -1 with the
 *  reason of the first still owed. */
int uitvoerder_correction_destroy_owed (node_t *self, kt_reason_t *reason);

/*  A correction of a signal whose items were shared or disclosed in the
 *  casusoverleg (uitvoerder_passed.c, art. 9.2, 10.4-10.5, 12.5-12.6).
 *  One place an item of a signal was passed on at: the disclosure (or
 *  share) copy's message id, the place in its items, its recipient, and
 *  the item's index in the signal. */
typedef struct {
    char recipient[65];
    uint8_t message_id[KT_ID_LEN];
    uint32_t position;
    uint32_t item_index;
} uitvoerder_place_t;
typedef struct {
    uitvoerder_place_t *rows;
    size_t n, cap;
} uitvoerder_places_t;
/*  Every place item item_index (whole: every item) of signal_id of
 *  case_ref was passed on at, into *out (free with
 *  uitvoerder_places_free); held_only: not the copies their recipient
 *  refused (it holds nothing there). */
int uitvoerder_passed_places (node_t *self, const char *case_ref,
                              const uint8_t signal_id[KT_ID_LEN], bool whole, uint32_t item_index,
                              bool held_only, uitvoerder_places_t *out, kt_reason_t *reason);
void uitvoerder_places_free (uitvoerder_places_t *p);
/*  What a copy of item k of signal s (as the weegploeg file holds it,
 *  blocked items' data included; NULL: the signal is gone) passed on to
 *  `to` reads as now: the item, its legal basis made explicit, in *copy
 *  (borrowing from s), while it may still go to `to`
 *  (uitvoerder_casework_item_ok; `to` NULL: a member that left); else an
 *  empty item marked deleted or blocked, in *empty. */
const Keten__SignalItem *uitvoerder_passed_now (const Keten__Signal *s, const uint8_t id[KT_ID_LEN],
                                                uint32_t k, const roster_member_t *to,
                                                Keten__SignalItem *copy, Keten__SignalItem *empty);
/*  The casusoverleg file's records of what was passed on follow signal
 *  s (NULL: gone), each place as uitvoerder_passed_now says; the file's
 *  WAL is truncated after.  Idempotent. */
int uitvoerder_passed_correct (node_t *self, const char *case_ref,
                               const uint8_t signal_id[KT_ID_LEN], bool whole, uint32_t item_index,
                               const Keten__Signal *s, kt_reason_t *reason);

/*  Subjects and possible matches (uitvoerder_subject.c). */
void uitvoerder_subject_show (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void uitvoerder_matches (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void uitvoerder_match (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);

/*  The uitvoerder's own messages, one sealed copy per recipient
 *  (uitvoerder_send.c). */
typedef struct {
    const roster_member_t *to;
    uint8_t id[KT_ID_LEN];
    uint8_t *header;
    size_t header_len;
    char **case_refs;
    size_t n_case_refs;
    bool cancelled;
} copy_t;

typedef struct {
    node_t *node;
    Keten__MessageType type;
    copy_t *items;
    size_t n;
    /*  What the copies are of ("meeting/ID/SEQ", "decision/ID"; "" for
     *  none): a resumed send finds the copies it kept under it. */
    char origin[160]; /* the longest: correction/ID/again/MEMBER/N */
} copies_t;

/*  Seal body for to and add it to copies (case_refs are copied). */
int uitvoerder_copy_add (node_t *self, copies_t *copies, const roster_member_t *to,
                         const ProtobufCMessage *body, char *const *case_refs, size_t n_case_refs,
                         bool cancelled, kt_reason_t *reason);
/*  uitvoerder_copy_add under the message id given, one already on record
 *  (a copy sealed again when its send is resumed). */
int uitvoerder_copy_add_as (node_t *self, copies_t *copies, const roster_member_t *to,
                            const ProtobufCMessage *body, char *const *case_refs,
                            size_t n_case_refs, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);
/*  Keep every copy until receipted (held), log it as sent, offer it to
 *  the members online now.  When copies of the same origin were kept
 *  before (a resumed send), those are the ones sent and these are
 *  dropped.  json (may be NULL) receives one object each. */
int uitvoerder_copies_send (node_t *self, const copies_t *copies, const char *os_user, json_t *json,
                            kt_reason_t *reason);
void uitvoerder_copies_free (copies_t *copies);
/*  Append, to the log's open batch, that the copy id of type went to
 *  recipient (its exact header bytes hashed); what says why when it is
 *  not the first send (NULL).  Once per id and header: a repeat finds
 *  the entry and appends nothing. */
int uitvoerder_log_sent (node_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
                         const char *recipient, char *const *case_refs, size_t n_case_refs,
                         const uint8_t *header, size_t header_len, const char *os_user,
                         const char *what, kt_reason_t *reason);
/*  Log one event by this node, acted by os_user, about case_refs (n may
 *  be 0), in a batch of its own. */
int uitvoerder_log_event (node_t *self, Keten__LogEvent event, const char *os_user,
                          const char *what, char *const *case_refs, size_t n, kt_reason_t *reason);
/*  The same under once (provlog_append_once): appended only when no
 *  entry under that key is in the log. */
int uitvoerder_log_event_once (node_t *self, const char *once, Keten__LogEvent event,
                               const char *os_user, const char *what, char *const *case_refs,
                               size_t n, kt_reason_t *reason);
/*  Write the log entries the relay owes (MESSAGE_SENT of held copies,
 *  MESSAGE_DELIVERED of settled ones), each once, then release the held
 *  copies.  On failure they stay owed and u->log_owed makes the log
 *  timer try again, backing off (u->owed_retry_ms). */
int uitvoerder_relay_log (node_t *self, kt_reason_t *reason);
/*  The log entries stored signals owe (logowed.h), appended now: 0 (also
 *  when none were owed), or -1 with reason, the log then owed
 *  (provlog_owed) and refusing other appends; the next drain and the log
 *  timer try again (at start, the start fails and systemd starts it
 *  again).  Rows
 *  beyond the log's end that no lost commit left are let be at start
 *  (a restored log: the witnesses' alarm), but hold the log when they
 *  stand in the way of a drain's owed entries. */
int uitvoerder_signals_log (node_t *self, kt_reason_t *reason);
/*  Before a signal row is deleted (a correction's deletion, a
 *  destruction): the entries the log owes for signals stored without
 *  them written first (uitvoerder_signals_log), since they go at the
 *  indices the rows hold and a row gone would leave a gap the log cannot
 *  close (logowed.h).  0, or -1 with reason while they cannot be. */
int uitvoerder_log_caught_up (node_t *self, kt_reason_t *reason);
/*  Offer member its pending messages (it was just heard from); one its
 *  kind or role no longer takes (uitvoerder_copy_unfit) is withdrawn
 *  instead. */
void uitvoerder_relay_pump (node_t *self, const roster_member_t *member);
/*  What a copy kept for m is composed for: m's kind, and a gemeente's
 *  municipality ("gemeente/Maastricht"): relay_insert's made_for. */
void uitvoerder_made_for (const roster_member_t *m, char *out, size_t len);
/*  Whether a copy of type composed for made_for ("" unknown) may still
 *  go to m, a member of roster: NULL, or why not (a withdrawal's text, in
 *  buf or RELAY_WITHDRAWN_KIND).  Rosters and retention notices always
 *  may; a member that left is not judged here (its copies are withdrawn
 *  on its day). */
const char *uitvoerder_copy_unfit (node_t *self, const roster_t *roster, const roster_member_t *m,
                                   Keten__MessageType type, const char *made_for, char *buf,
                                   size_t len);
/*  Withdraw every pending copy kept for member (of roster) that it may
 *  not receive as roster has it, on record (MESSAGE_REFUSED, then the
 *  sealed bytes go: Crash reasoning 12).  kind_p NULL: roster is in
 *  force, and a correction notice among them is made again for the
 *  member as it is; else *kind_p says whether one composed for its
 *  former kind was withdrawn, for the caller to make again
 *  (uitvoerder_correction_again) once roster is in force.  Returns how
 *  many, or -1 (logged). */
int64_t uitvoerder_relay_withdraw_unfit (node_t *self, const roster_t *roster,
                                         const roster_member_t *member, bool *kind_p);
/*  Whether the relay's clock-decided steps - a copy's expiry for its age,
 *  the withdrawal of a member's copies once its leaves-at day seems come -
 *  may run: only on a clock the federation (or the operator) confirms,
 *  as retention; a late step is made up at the next pump or calendar
 *  check, an early one cannot be.  The wait and its end are said once. */
bool uitvoerder_relay_clock_ok (node_t *self);
void uitvoerder_on_member_receipt (node_t *self, node_message_t *m);

/*  Shared by the casusoverleg's message handlers (uitvoerder_casus.c):
 *  refuse a message by rule (journal, MESSAGE_REFUSED, receipt); log the
 *  arrival of one that passed every rule, once per message (0, 1 when the
 *  id is logged for another message, -1). */
void uitvoerder_casus_refuse (node_t *self, member_link_t *link, const roster_member_t *sender,
                              const envelope_opened_t *opened, const char *case_ref,
                              const char *why);
int uitvoerder_casus_log_received (node_t *self, const roster_member_t *sender,
                                   const envelope_opened_t *opened, const char *case_ref,
                                   const char *what, uint64_t *index_p, kt_reason_t *reason);
/*  Log and send a disclosure recorded at step (sealed: its copy, or NULL
 *  to seal it again); tell the participants of a closed case, from the
 *  step its closure got to.  docs/ARCHITECTURE.md, Crash reasoning 7. */
int uitvoerder_casus_send_disclosure (node_t *self, const Keten__DisclosureConsent *d,
                                      const roster_member_t *to, const uint8_t id[KT_ID_LEN],
                                      casus_step_t step, copies_t *sealed, const char *user,
                                      json_t *json, kt_reason_t *reason);
/*  art. 8.5, 10.5: a closed case the weegploeg put on the agenda again.
 *  As casusoverleg_reopen_fn (arg a uitvoerder_reopen_t), inside the
 *  transaction that reopens it: the plan in force becomes the next
 *  version, naming the participants as the new decision named them,
 *  recorded unsent (its number in plan_version; 0 when none was made).
 *  Its copies tell every participant that the case is open again (a
 *  participant opens a closed case on a version issued after the
 *  closure), and a party the decision added gets the plan. */
typedef struct {
    node_t *node;
    uint32_t plan_version;
} uitvoerder_reopen_t;
int uitvoerder_casus_reopen_plan (void *arg, const char *case_ref,
                                  const uint8_t key[KEYSTORE_KEY_LEN], kt_reason_t *reason);
/*  Send plan version of case_ref, recorded and not sent yet, and mark it
 *  sent; what fails stays for plan resume at the next start. */
int uitvoerder_casus_send_plan (node_t *self, const char *case_ref, uint32_t version,
                                const char *os_user, kt_reason_t *reason);
int uitvoerder_casus_send_closure (node_t *self, const char *case_ref, const char *os_user,
                                   json_t *json, kt_reason_t *reason);

/*  The parties' own casework decisions (uitvoerder_casework.c, art. 4,
 *  9.2, 9.4, 10.4, 10.5): a CASE_DECISION from a party's node (consent,
 *  share, closure decision); the casusoverleg's advice to close (case.advise).  A
 *  disclosure of consented items only: case.disclose
 *  (uitvoerder_disclose.c, declared with the casusoverleg above). */
void uitvoerder_on_case_decision (node_t *self, node_message_t *m);
void uitvoerder_case_advise (node_t *self, const api_caller_t *caller, const char *cmd,
                             json_t *args);
/*  Shared with uitvoerder_disclose.c: whether item index of a supplied
 *  message may go to to at all (not blocked or deleted; art. 9/10 Wpg
 *  data to a kernpartij only; a legal basis that reaches to's role), with
 *  a reason naming the item and the recipient, never its data; the
 *  recipient of a disclosure, an active externe casuspartner of the case;
 *  the recipient of a consent (externs true) or share (externs false), an
 *  active participant of the case other than from. */
int uitvoerder_casework_item_ok (const casusoverleg_supplied_t *s, const uint8_t id[KT_ID_LEN],
                                 uint32_t index, const roster_member_t *to, kt_reason_t *reason);
int uitvoerder_casework_extern_of (node_t *self, const casus_info_t *info, const char *to_id,
                                   const roster_member_t **to_p, kt_reason_t *reason);
int uitvoerder_casework_recipient_of (const roster_t *roster, const casus_info_t *info,
                                      const char *from, const char *to_id, bool externs,
                                      uint64_t now_ms, const roster_member_t **to_p,
                                      kt_reason_t *reason);

/*  A share (art. 9.2, 10.4, uitvoerder_disclose.c) on its way: items of
 *  one source party, picked from the casusoverleg file as supplied and
 *  checked for every recipient, and a DISCLOSURE_CONSENT with shared set
 *  sealed for each recipient under an id of its own (a recipient's record,
 *  SHARED entry and copy share that id). */
typedef struct _uitvoerder_share_t uitvoerder_share_t;
/*  Check and prepare a share of the open case info (key: its key) with
 *  the participants to: from a participant (from: its id), only items it
 *  supplied itself; from the uitvoerder (from NULL), only items whose
 *  source consented to each recipient, as for a disclosure.  The bounds
 *  are the policy's (checked before).  0 and *share_p (the caller
 *  destroys it), 1 refused (reason), -1 storage error. */
int uitvoerder_share_prepare (node_t *self, const casus_info_t *info,
                              const uint8_t key[KEYSTORE_KEY_LEN], const char *from,
                              char *const *to, size_t n_to, Keten__ItemRef *const *refs,
                              size_t n_refs, const char *necessity, char *const *kinds,
                              size_t n_kinds, uitvoerder_share_t **share_p, kt_reason_t *reason);
/*  Record it, one disclosure row per recipient (inside the caller's
 *  transaction on the casusoverleg file). */
int uitvoerder_share_record (node_t *self, uitvoerder_share_t *share, uint32_t uid,
                             kt_reason_t *reason);
/*  Log (SHARED) and send it once recorded; what fails here is finished on
 *  start (uitvoerder_resume_disclosures).  json (may be NULL) receives
 *  the copies. */
int uitvoerder_share_send (node_t *self, uitvoerder_share_t *share, const char *user, json_t *json,
                           kt_reason_t *reason);
void uitvoerder_share_destroy (uitvoerder_share_t **share_p);
/*  case.share: the casusoverleg's share of consented items (uitvoerder). */
void uitvoerder_case_share (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
/*  Send the advices a crash left unsent (on start, before closures). */
void uitvoerder_resume_advices (node_t *self);
/*  Into a case's JSON (c): the current advice's "closure_advice" object,
 *  who of the kernpartijen involved decided what and who is still to;
 *  nothing when no advice is recorded.  Ids only. */
int uitvoerder_casework_status (node_t *self, const casus_info_t *info, json_t *c,
                                kt_reason_t *reason);

/*  Figures without persons (uitvoerder_report.c, docs/REPORT.md): the
 *  rows each counted fact leaves in the figure table of its file, in its
 *  own commit, and report.figures; register.show (uitvoerder_register.c). */
/*  The gemeente (roster id, or "") where subject lives. */
void uitvoerder_figure_gemeente (node_t *self, const Keten__Subject *subject,
                                 char out[KEYS_ID_MAX + 1]);
/*  One fact of kind in db's open transaction, counted for the gemeente of
 *  case_ref's subject (NULL: none); case_ref itself is not kept. */
int uitvoerder_figure (node_t *self, sqlite3 *db, const char *kind, const char *case_ref,
                       const char *label, int64_t value, kt_reason_t *reason);
/*  A decision just recorded (in the weegploeg file's open transaction):
 *  its outcome.  The case an agenderen opens counts when it opens
 *  (casusoverleg_open_case). */
int uitvoerder_figure_decision (node_t *self, const char *decision_id, kt_reason_t *reason);
/*  Measures overdue now in the newest plans of the open cases, and how
 *  many cases have one (the report's snapshot; no personal data). */
int uitvoerder_casus_overdue_now (node_t *self, int64_t *measures, int64_t *cases,
                                  kt_reason_t *reason);
/*  log.proof: one entry with its inclusion proof in the signed checkpoint
 *  and the log's verifier key (uitvoerder_events.c). */
void uitvoerder_log_proof (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  A case closed at closed_ms (casusoverleg file's open transaction),
 *  with the days it was open. */
int uitvoerder_figure_closed (node_t *self, const char *case_ref, uint64_t closed_ms,
                              kt_reason_t *reason);
void uitvoerder_report_figures (node_t *self, const api_caller_t *caller, const char *cmd,
                                json_t *args);
void uitvoerder_register_show (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);

#endif
