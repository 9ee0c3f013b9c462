/*  partner: the role of every node but the uitvoerder - a kernpartij, a
 *  casuspartij or an externe casuspartner.  Its state and the functions
 *  its files share; the core knows only partner_role.
 */
#ifndef KETEN_PARTNER_H
#define KETEN_PARTNER_H

#include "node_core.h"

#include "agendabox.h"
#include "casebox.h"
#include "decisionbox.h"
#include "hook.h"
#include "incidentbox.h"
#include "outbox.h"
#include "ratelog.h"
#include "retainbox.h"
#include "signalbox.h"
#include "spool.h"
#include "spool_retain.h"
#include "witness.h"

/*  The partner's role row, for node_new (daemon/ketend.c). */
extern const node_role_t partner_role;

/*  A binary submission's signals (docs/API.md, "Binary submissions"),
 *  answered in one frame once each has its outcome (partner_signal.c). */
/*  The length of Heartbeat.instance_id. */
#define PARTNER_INSTANCE_LEN 16

typedef struct _submit_batch_t submit_batch_t;

/*  A signal waiting for the next group commit: from the local API (answer
 *  caller) or from the spool directory (move the file when committed). */
typedef struct {
    api_caller_t caller;
    submit_batch_t *batch; /* a binary submission's, at index; else NULL */
    size_t index;
    Keten__Signal *signal;
    bool wait;
    bool from_spool;
    spool_file_t file; /* from_spool: name, hash, owner (file.signal unused) */
    size_t bytes;      /* from the local API: the signal's packed size */
    /*  Its sealed header once stored and queued, for the outbox's first
     *  send (outbox_enqueue_sealed); NULL: none. */
    uint8_t *header;
    size_t header_len;
} pending_submit_t;

/*  A group of submissions committed and sent, whose log sync runs on the
 *  helper thread (partner_signal.c); n 0: none. */
typedef struct {
    pending_submit_t *pending;
    size_t n;
    uint8_t (*ids)[KT_ID_LEN];
    bool *held;
    uint64_t now;
} committing_t;

/*  A receipt of this drain, waiting to be settled, and the message that
 *  brought it (partner_receipt.c). */
typedef struct _settled_t settled_t;

/*  A caller waiting for a message's receipt: answered in JSON, or its
 *  signal's outcome in a binary submission's batch. */
typedef struct {
    api_caller_t caller;
    submit_batch_t *batch;
    size_t index;
} waiter_t;
typedef struct _received_t received_t;

/*  The "signal accepted" lines of the present second (partner_signal.c):
 *  one per signal up to PARTNER_ACCEPTED_LINES a second, the rest counted
 *  and said in one line when the second is over. */
typedef struct {
    uint64_t since_us; /* when the present second began (kt_mono_us); 0: none begun */
    unsigned written;  /* lines of their own in it */
    /*  Signals past those, by state and by where they came from. */
    unsigned counted, queued, held, awaiting, spool;
} accepted_lines_t;
#define PARTNER_ACCEPTED_LINES 20

typedef struct {
    agendabox_t *agendabox;     /* agendas received (weegploeg: kernpartij; casusoverleg) */
    hook_t *hook;               /* agenda/hook, if configured */
    decisionbox_t *decisionbox; /* weegploeg decisions received (kernpartij) */
    casebox_t *casebox;         /* cases this partner takes part in */
    retainbox_t *retainbox;     /* art. 13: archived and destroyed subjects */
    incidentbox_t *incidentbox; /* art. 15.2g: the incident register (kernpartij) */
    bool retain_batching;       /* the schedule's next batch is armed */
    bool retain_clock_armed;    /* the schedule waits for a confirmed clock: its check is armed */
    witness_t *witness;         /* checks the uitvoerder's log */
    outbox_t *outbox;
    /*  The ACCESS_NOTICE partner_access_notice put in the outbox, made due
     *  by partner_log_access once the read's transaction has committed. */
    uint8_t notice_id[KT_ID_LEN];
    uint64_t notice_ms;
    signalbox_t *signalbox;
    spool_t *spool;            /* police intake directory, if configured */
    spool_retain_t *retain;    /* what the spool keeps, and how long (art. 13) */
    const keyring_peer_t *hub; /* the uitvoerder */
    bool link_up;
    uint64_t hub_last_seen_ms;
    uint64_t hub_last_seen_mono_ms; /* the same on the monotonic clock: the link's timeout */
    /*  When the heartbeat last said why the witness cannot be read (at
     *  most once a minute in the journal). */
    uint64_t witness_unreadable_logged_ms;
    uint64_t hub_rtt_us;
    uint64_t hub_bundle_max; /* the largest bundle the uitvoerder takes; 0: none */
    ratelog_one_t hub_bundles_said; /* its "link bundles" line, at most once a minute */
    /*  The repeating timers' last firings acted on (kt_timer_due). */
    uint64_t heartbeat_fired_ms, pump_fired_ms, spool_fired_ms;
    /*  The largest message the uitvoerder said it takes, kept across a
     *  link's loss (0: not heard yet): what is larger is not sent. */
    uint64_t hub_max_message;
    /*  This run of ketend: drawn at the start, never stored, sent in each
     *  heartbeat, so the uitvoerder tells a copy of this node running
     *  beside it from a restart (Heartbeat.instance_id). */
    uint8_t instance_id[PARTNER_INSTANCE_LEN];
    bool hub_duplicate; /* the uitvoerder's last reply: two copies of us run */
    pending_submit_t *pending;
    size_t n_pending, cap_pending;
    size_t pending_bytes;    /* the bytes of those from the local API */
    uint64_t busy_logged_us; /* s_busy's last journal line (monotonic) */
    uint64_t busy_unlogged;  /* submissions refused as busy since */
    accepted_lines_t accepted;
    committing_t committing;
    int commit_fd;     /* store_commit_fd, or -1 */
    bool syncs_beside; /* node.db can be synced beside the loop (store_syncs_beside) */
    zhashx_t *waiters; /* hex message id -> waiter_t* */
    char last_receipt_id[KT_ID_HEX];
    uint64_t last_receipt_ms, last_receipt_index;
    uint64_t cp_verified, cp_verified_ms; /* partner_checkpoint_size's cache */
    /*  The drain in progress: the messages with receipts it brought and
     *  their receipts, settled together, and whether the link came up in
     *  it. */
    received_t *received;
    size_t n_received;
    settled_t *settled;
    size_t n_settled, cap_settled;
    bool came_up;
} partner_t;

/*  The partner's state of a node that runs this role. */
static inline partner_t *
partner_of (node_t *node)
{
    return (partner_t *) node->role_state;
}

/*  Receipts (partner_receipt.c): the role's drain_begin and drain_end,
 *  the RECEIPT and RECEIPTS handlers, and what a stop lets go. */
int partner_drain_begin (node_t *self);
void partner_drain_end (node_t *self);
void partner_on_receipt (node_t *self, node_message_t *m);
void partner_on_receipts (node_t *self, node_message_t *m);
void partner_receipts_free (node_t *self);
/*  The role's open_opts: a receipt's checkpoint note is verified while
 *  the verifier checks its envelope's signature (envelope.h, overlap). */
void partner_open_opts (node_t *self, envelope_open_opts_t *opts);

int partner_on_heartbeat (zloop_t *loop, int timer_id, void *arg);
int partner_on_pump (zloop_t *loop, int timer_id, void *arg);
/*  The signals accepted past the second's own lines, said in one line
 *  once the second is over at now_us (kt_mono_us), or at once with
 *  ended (the node stops). */
void partner_accepted_lines_end (partner_t *p, uint64_t now_us, bool ended);
int partner_on_spool (zloop_t *loop, int timer_id, void *arg);
/*  spool_settled_fn: whether the signal sent as id has its receipt kept. */
int partner_signal_settled (void *arg, const uint8_t id[KT_ID_LEN]);
void partner_submit (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  A binary submission holds at most this many signals. */
#define PARTNER_MAX_BATCH 1000
/*  What the local API's submissions waiting for a group commit may hold
 *  together, in signals and in their packed bytes: a submission that
 *  would pass either is refused as busy (backpressure; docs/API.md). */
#define PARTNER_PENDING_MAX 4096
#define PARTNER_PENDING_BYTES (16 * 1024 * 1024)
/*  Signal index of batch has its outcome (state, and log_index or
 *  reason); the last of them answers the batch's caller. */
void partner_batch_outcome (node_t *self, submit_batch_t *batch, size_t index,
                            Keten__ApiState state, uint64_t log_index, const char *reason);
/*  Stopping: one of batch's signals goes unanswered; the last frees it. */
void partner_batch_drop (submit_batch_t *batch);
/*  Wait for the receipt of message id (partner_receipt.c): caller is
 *  answered in JSON then, or batch's signal index gets its outcome; at
 *  once when the receipt has come already (a signal sent before its
 *  record was durable, partner_signal.c).  Whether the wait is
 *  registered (false: out of memory, or the caller's connection closed
 *  and nobody reads the answer: it is to be answered at once, in vain). */
bool partner_waiter_add (node_t *self, const uint8_t id[KT_ID_LEN], const api_caller_t *caller,
                         submit_batch_t *batch, size_t index);
/*  ketend stops: every caller still waiting for a receipt answered
 *  "queued" with its message id (node_role_t.api_closing). */
void partner_waiters_closing (node_t *self);
/*  Local API connection conn_id closed: its callers waiting for receipts
 *  are let go, unanswered (node_role_t.api_closed); the messages go on. */
void partner_waiters_closed (node_t *self, const uint64_t *conn_ids, size_t n);
void partner_flush (node_t *self);
/*  outbox_header_fn (arg: the node) of the signals queued with their
 *  envelope in the signal row (signalbox_insert_queued). */
int partner_signal_envelope (void *arg, const uint8_t id[KT_ID_LEN], uint8_t **header_p,
                             size_t *len_p, kt_reason_t *reason);
/*  store_commit_fd became readable: a group's log sync has ended. */
int partner_on_committed (zloop_t *loop, zmq_pollitem_t *item, void *arg);
/*  At stop: the group's log sync waited for, and it and the submissions
 *  not stored yet dropped (their callers are gone). */
void partner_flush_stop (node_t *self);
void partner_release (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  art. 7.2a: signal.confirm {message_ids: [...]} or {all: true}. */
void partner_confirm (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  Send what is due, in signed batches, while the link is up. */
void partner_pump (node_t *self);
/*  Tree size of the newest checkpoint this partner verified, 0: none (at
 *  most ten heartbeats old). */
uint64_t partner_checkpoint_size (node_t *self);

/*  Weegploeg and casusoverleg agendas received (partner_agenda.c). */
/*  The agenda section's settings (ketend --check, and every start before
 *  any file is opened): agenda/ics-dir a directory user (ketend's user)
 *  can write, agenda/hook a hook hook_check takes.  0, or -1 with reason
 *  (a configuration error: exit 78). */
int partner_agenda_check (const config_t *config, uid_t user, kt_reason_t *reason);
int partner_agenda_start (node_t *self, kt_reason_t *reason);
void partner_agenda_stop (node_t *self);
/*  The weegploeg's data follows the node's role in the roster in force
 *  (docs/ROSTER.md, "A member's kind changes"): a kernpartij takes
 *  weegploeg agendas, decisions and the incident register; a node that
 *  is none drops what it kept of them (its calendar entries cancelled,
 *  the rows deleted, their keys shredded).  Run after the retainbox is
 *  open: at start, on each roster applied, and hourly.
 *  0, or -1 with reason: the next run tries again. */
int partner_agenda_follow_role (node_t *self, kt_reason_t *reason);
void partner_on_agenda (node_t *self, node_message_t *m);
void partner_agenda_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void partner_agenda_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void partner_on_decision (node_t *self, node_message_t *m);
void partner_decision_list (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
void partner_decision_show (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);

/*  The casusoverleg at a participant (partner_casus.c). */
int partner_casus_start (node_t *self, kt_reason_t *reason);
void partner_casus_stop (node_t *self);
void partner_on_plan (node_t *self, node_message_t *m);
void partner_on_closure (node_t *self, node_message_t *m);
void partner_on_disclosure (node_t *self, node_message_t *m);
void partner_on_roster (node_t *self, node_message_t *m);
void partner_case_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void partner_case_contribute (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
void partner_plan_progress (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
/*  case.show and plan.show. */
void partner_case_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  art. 10.5, 9.4: this party's own casework decisions, signed here and
 *  sent to the uitvoerder (CASE_DECISION): consent to pass items it
 *  supplied to an externe casuspartner; a kernpartij's decision on the
 *  casusoverleg's advice to close. */
void partner_case_consent (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  art. 9.2, 10.4: this party shares items it supplied with participants. */
void partner_case_share (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void partner_case_close (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
void partner_case_elsewhere (node_t *self, const api_caller_t *caller, const char *cmd,
                             json_t *args);

/*  The answer to a read of weegploeg data at a node that is no kernpartij. */
#define PARTNER_NOT_KERNPARTIJ "only kernpartij nodes keep weegploeg data (art. 8.4)"

/*  The answer to a list or show of an archived subject (art. 13.2). */
#define PARTNER_ARCHIVED                                                                           \
    "archived (art. 13.2): a kernpartij reads it with keten retention read, or orders it back "    \
    "with keten retention reopen"

/*  Retention, art. 13 (partner_retention.c): the node's own schedule at
 *  start and hourly, the uitvoerder's notices, the API. */
int partner_retention_start (node_t *self, kt_reason_t *reason);
/*  partner_agenda_follow_role, a failure logged (a roster applied). */
void partner_retention_follow_role (node_t *self);
void partner_retention_stop (node_t *self);
/*  The stores as retainbox takes them. */
retain_boxes_t partner_retention_boxes (node_t *self);
/*  node_role_t.redo: a destruction or a correction notice noted in
 *  forget.db, after a restore (partner_retention.c), and the notice's
 *  part (partner_correction.c): applied again as it came. */
int partner_redo (node_t *self, const forget_entry_t *entry, kt_reason_t *reason);
int partner_correction_redo (node_t *self, const Keten__CorrectionNotice *n, kt_reason_t *reason);
/*  art. 13: whether m, a copy about case_ref (what: "decision", "plan",
 *  ...), is answered already: made before case_ref was destroyed here,
 *  it is dropped and refused with RELAY_DESTROYED_HERE; when the state
 *  cannot be read it gets no receipt (offered again).  False: store it
 *  (a copy made after the destruction lifts the tombstone,
 *  retainbox_late_copy). */
bool partner_retention_late (node_t *self, const node_message_t *m, const char *what,
                             const char *case_ref);
void partner_on_retention (node_t *self, node_message_t *m);
void partner_retention_status (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
void partner_retention_run (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
void partner_retention_reopen (node_t *self, const api_caller_t *caller, const char *cmd,
                               json_t *args);
void partner_retention_read (node_t *self, const api_caller_t *caller, const char *cmd,
                             json_t *args);
/*  The role status's "retention": {warnings, due, unconfirmed}, or
 *  {error} when it cannot be read (the status names it unreadable). */
json_t *partner_retention_summary (node_t *self);
/*  Write a meeting's calendar file again from its stored agenda, and run
 *  the hook (partner_agenda.c): 0, or -1 with reason. */
int partner_agenda_publish (node_t *self, const char *meeting_id, kt_reason_t *reason);

/*  Correction, art. 12.5-12.6 (partner_correction.c): the uitvoerder's
 *  notices applied to this node's copies; a signal's own sender corrects
 *  or withdraws it (signal.correct, signal.withdraw). */
int partner_correction_start (node_t *self, kt_reason_t *reason);
void partner_on_correction (node_t *self, node_message_t *m);
void partner_signal_correct (node_t *self, const api_caller_t *caller, const char *cmd,
                             json_t *args);

/*  The log on the wire (partner_log.c). */
int partner_log_start (node_t *self, kt_reason_t *reason);
void partner_log_stop (node_t *self);
/*  A receipt for one of ours to the witness; header_leaf: the leaf hash
 *  of the header it was sent with (NULL: not known). */
void partner_log_receipt (node_t *self, const Keten__Receipt *r, const uint8_t *header_leaf);
/*  The receipts this drain took so far settled now, before what comes
 *  after them in the drain (partner_receipt.c). */
void partner_receipts_settle_now (node_t *self);
/*  Once a heartbeat: what the witness asks about again. */
void partner_log_heartbeat (node_t *self);
void partner_on_checkpoint (node_t *self, node_message_t *m);

/*  Sending to the uitvoerder (partner_send.c). */
/*  A signed receipt for the uitvoerder's message id, in the outgoing batch. */
void partner_receipt (node_t *self, const uint8_t id[KT_ID_LEN], bool accepted,
                      const char *refusal);
/*  Queue body for the uitvoerder through the outbox; id receives its id. */
int partner_queue (node_t *self, Keten__MessageType type, const ProtobufCMessage *body,
                   uint8_t id[KT_ID_LEN], kt_reason_t *reason);
/*  Queue body for the uitvoerder through the outbox (survives crashes and
 *  outages); answer caller now ("queued") or, with wait, on the receipt. */
void partner_send (node_t *self, const api_caller_t *caller, Keten__MessageType type,
                   const ProtobufCMessage *body, bool wait);
/*  What must commit with a message queued: called inside the transaction
 *  that puts it in the outbox, with its id; -1 (reason) rolls both back. */
typedef int (partner_also_fn) (node_t *self, void *arg, const uint8_t id[KT_ID_LEN],
                               kt_reason_t *reason);
/*  partner_send, with also (may be NULL) in the outbox's transaction. */
void partner_send_also (node_t *self, const api_caller_t *caller, Keten__MessageType type,
                        const ProtobufCMessage *body, bool wait, partner_also_fn *also, void *arg);
/*  art. 4: transfer.decide, this kernpartij's decision that a subject
 *  moves to a peered federation (partner_transfer.c). */
void partner_transfer_decide (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
/*  art. 7.4 sub 1: decision.answer, this kernpartij's answer to the
 *  weegploeg's question (partner_answer.c). */
void partner_decision_answer (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);
/*  A read of personal data on its way to the uitvoerder: an ACCESS_NOTICE
 *  in the outbox, inside the transaction that records the read. */
int partner_access_notice (node_t *self, const char *user, const char *what,
                           const char *const *case_refs, size_t n, kt_reason_t *reason);
/*  After that commit: the pump sends the notice. */
int partner_log_access (node_t *self, const char *user, const char *what,
                        const char *const *case_refs, size_t n, kt_reason_t *reason);
/*  incident.report: to the uitvoerder's register (art. 15.2g). */
/*  informatieplicht.decide, request.decide: a kernpartij's decision on
 *  the person's rights, sent to the uitvoerder (partner_rights.c). */
void partner_rights_decide (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
/*  The incident register at a kernpartij node (partner_incident.c). */
int partner_incident_start (node_t *self, kt_reason_t *reason);
void partner_incident_stop (node_t *self);
void partner_on_incident_register (node_t *self, node_message_t *m);
void partner_incident_list (node_t *self, const api_caller_t *caller, const char *cmd,
                            json_t *args);
void partner_incident_report (node_t *self, const api_caller_t *caller, const char *cmd,
                              json_t *args);

#endif
