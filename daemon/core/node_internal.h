/*  node_internal: the node's state, shared by node.c and the role layers
 *  uitvoerder.c and partner.c.  Not for other modules.
 */
#ifndef KETEN_NODE_INTERNAL_H
#define KETEN_NODE_INTERNAL_H

#include "access.h"
#include "agendabox.h"
#include "apiserver.h"
#include "casebox.h"
#include "casusoverleg.h"
#include "config.h"
#include "decision.h"
#include "decisionbox.h"
#include "envelope.h"
#include "hook.h"
#include "incident.h"
#include "keyring.h"
#include "keys.h"
#include "keystore.h"
#include "logproof.h"
#include "meeting.h"
#include "metrics.h"
#include "node.h"
#include "outbox.h"
#include "provlog.h"
#include "referentiekader.h"
#include "relay.h"
#include "signalbox.h"
#include "spool.h"
#include "transport.h"
#include "weegploeg.h"
#include "witness.h"

#include <czmq.h>
#include <sqlite3.h>

/*  What the uitvoerder knows of each member's link. */
typedef struct {
    uint8_t rid[TRANSPORT_RID_MAX];
    size_t rid_len;
    uint64_t last_seen_ms;
    uint64_t rtt_us;
    uint64_t outbox_depth;
    uint64_t roster_version;
    char software_version[32];
    uint64_t cp_size;         /* size of the last checkpoint sent to it */
    /*  As its last heartbeat said (DESIGN 8: the federation at a glance). */
    uint64_t uptime_s;
    uint64_t oldest_undelivered_ms; /* age of its oldest unsettled message */
    uint64_t checkpoint_size;       /* newest checkpoint it verified, 0: none */
    uint64_t key_age_s;
    bool log_alarm;                 /* its witness raised an alarm */
    int64_t clock_skew_ms;          /* its clock minus ours, less half the round trip */
    uint64_t roster_offered;        /* newest roster version pushed to it this run */
    uint64_t cp_pushed;             /* log size of the last checkpoint pushed to it */
} member_link_t;

/*  A message to send, sealed but not yet signed: signed together with the
 *  rest of its batch in node_send_batch. */
typedef struct {
    const member_link_t *to;  /* uitvoerder side: which member's link */
    uint8_t id[KT_ID_LEN];
    uint8_t *header;
    size_t header_len;
} outgoing_t;

/*  A signal waiting for the next group commit: from the local API (answer
 *  caller) or from the spool directory (move the file when committed). */
typedef struct {
    api_caller_t caller;
    Keten__Signal *signal;
    bool wait;
    bool from_spool;
    spool_file_t file;   /* from_spool: name, hash, owner (file.signal unused) */
} pending_submit_t;

struct _node_t {
    config_t config;
    keys_secret_t *keys;
    keyring_t *keyring;
    bool uitvoerder;
    uint64_t started_ms;
    zloop_t *loop;
    transport_t *transport;
    apiserver_t *api;
    sqlite3 *db;              /* node.db */
    keystore_t *keystore;
    bool expelled;            /* the roster dropped this node: send nothing */
    size_t admitted_keys;     /* uitvoerder: transport keys the allow-list admits */
    int rebind_timer;         /* uitvoerder: the scheduled rebind's zloop timer, or -1 */
    access_t *access;         /* reads of personal data (art. 15.2e) */
    /* partner */
    agendabox_t *agendabox;   /* agendas received (weegploeg: kernpartij; casusoverleg) */
    hook_t *hook;             /* agenda/hook, if configured */
    decisionbox_t *decisionbox; /* weegploeg decisions received (kernpartij) */
    casebox_t *casebox;       /* cases this partner takes part in */
    witness_t *witness;       /* checks the uitvoerder's log (DESIGN 7) */
    outbox_t *outbox;
    signalbox_t *signalbox;
    spool_t *spool;           /* police intake directory, if configured */
    const keyring_peer_t *hub;   /* the uitvoerder */
    bool link_up;
    uint64_t hub_last_seen_ms;
    uint64_t hub_rtt_us;
    pending_submit_t *pending;
    size_t n_pending, cap_pending;
    zhashx_t *waiters;        /* hex message id -> api_caller_t* */
    char last_receipt_id[KT_ID_HEX];
    uint64_t last_receipt_ms, last_receipt_index;
    /* uitvoerder */
    weegploeg_t *weegploeg;
    provlog_t *log;
    meeting_t *meeting;       /* weegploeg meetings planned */
    decision_t *decision;     /* weegploeg decisions */
    incident_t *incident;     /* the incident register (art. 15.2g) */
    logproof_t *proof;        /* checkpoints and proofs of the log */
    casusoverleg_t *casus;    /* the casusoverleg file (art. 10.1) */
    referentiekader_t *rk;    /* weegploeg/referentiekader, if configured */
    relay_t *relay;           /* own messages to members, until receipted */
    member_link_t *links;     /* one per roster member, roster order */
    /* outgoing batch */
    outgoing_t *out;
    size_t n_out, cap_out;
    /* operations */
    metrics_t *metrics;       /* Prometheus endpoint, if metrics/listen is set */
    uint64_t key_created_ms;  /* mtime of the secret key file at startup */
    uint64_t cp_verified, cp_verified_ms; /* metrics_checkpoint_size's cache */
};

/*  Seal body for one recipient and add it to the outgoing batch. */
int node_queue (node_t *self, const member_link_t *to, Keten__MessageType type,
                const char *recipient, const ProtobufCMessage *body, kt_reason_t *reason);
/*  Seal body for one recipient without queueing it (to keep it in a
 *  delivery table first); *header_p is heap, free(). */
int node_seal (node_t *self, Keten__MessageType type, const char *recipient,
               const ProtobufCMessage *body, uint8_t id[KT_ID_LEN], uint8_t **header_p,
               size_t *header_len_p, kt_reason_t *reason);
/*  Add a sealed header to the outgoing batch; takes ownership of header. */
int node_queue_header (node_t *self, const member_link_t *to, const uint8_t id[KT_ID_LEN],
                       uint8_t *header, size_t header_len, kt_reason_t *reason);
/*  Sign the outgoing batch once and send every message in it. */
void node_send_batch (node_t *self);
/*  Options for envelope_open at this moment. */
void node_open_opts (node_t *self, envelope_open_opts_t *opts);

/*  The roster over time (node_roster.c). */
int node_accept_roster (node_t *self, const roster_t *roster, kt_reason_t *reason);
/*  Accept a verified roster as the newest and keep its note in the state
 *  directory (the configured roster file may be read-only). */
int node_keep_roster (node_t *self, const roster_t *roster, kt_reason_t *reason);
/*  Run on a kept roster from now on (a new keyring; takes ownership);
 *  one that drops this node, or no longer accepts its keys, sets expelled. */
int node_use_roster (node_t *self, roster_t **roster_p, kt_reason_t *reason);
/*  Verify a signed roster against the pinned key and, when newer, keep
 *  and use it. */
int node_apply_roster (node_t *self, const char *note, size_t len, kt_reason_t *reason);

/*  Record a read of personal data by caller (art. 15.2e): in the node's
 *  access table, then in the provenance log (at a partner through an
 *  ACCESS_NOTICE to the uitvoerder).  When it cannot be recorded the
 *  caller shows nothing. */
int node_record_access (node_t *self, const api_caller_t *caller, const char *what,
                        const char *const *case_refs, size_t n, kt_reason_t *reason);
void uitvoerder_on_access (node_t *self, member_link_t *link, const roster_member_t *sender,
                           const envelope_opened_t *opened);

/*  Role layers. */
int uitvoerder_start (node_t *self, kt_reason_t *reason);
void uitvoerder_stop (node_t *self);
int uitvoerder_on_transport (zloop_t *loop, zsock_t *sock, void *arg);
void uitvoerder_status (node_t *self, json_t *result);
json_t *uitvoerder_list_signals (node_t *self, int limit);
/*  Weegploeg agendas (uitvoerder_agenda.c). */
void uitvoerder_agenda (node_t *self, const api_caller_t *caller, json_t *args);
json_t *uitvoerder_meetings (node_t *self, int limit);
int uitvoerder_resume_meetings (node_t *self, kt_reason_t *reason);
/*  Casusoverleg agendas, to the participants of the cases on them. */
void uitvoerder_casus_agenda (node_t *self, const api_caller_t *caller, json_t *args);
json_t *uitvoerder_casus_meetings (node_t *self, int limit);
/*  Weegploeg decisions (uitvoerder_decision.c). */
int uitvoerder_decision_start (node_t *self, kt_reason_t *reason);
void uitvoerder_decision_stop (node_t *self);
int uitvoerder_resume_decisions (node_t *self, kt_reason_t *reason);
void uitvoerder_decide (node_t *self, const api_caller_t *caller, json_t *args);
json_t *uitvoerder_decisions (node_t *self, int limit);

/*  A signed receipt for id to member, in the outgoing batch. */
void uitvoerder_receipt (node_t *self, member_link_t *link, const char *member,
                         const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                         const char *refusal);

/*  The log on the wire (uitvoerder_log.c, partner_log.c). */
int uitvoerder_log_start (node_t *self, kt_reason_t *reason);
void uitvoerder_log_stop (node_t *self);
void uitvoerder_prove_receipt (node_t *self, member_link_t *link, uint64_t index,
                               Keten__Receipt *r, logproof_receipt_t *proof,
                               logproof_message_t *consistency);
void uitvoerder_on_checkpoint (node_t *self, member_link_t *link, const roster_member_t *sender,
                               const envelope_opened_t *opened);
int partner_log_start (node_t *self, kt_reason_t *reason);
void partner_log_stop (node_t *self);
void partner_log_receipt (node_t *self, const Keten__Receipt *r);
void partner_on_checkpoint (node_t *self, const envelope_opened_t *opened);

/*  Membership changes (uitvoerder_roster.c). */
void uitvoerder_roster_change (node_t *self, const api_caller_t *caller, json_t *args);
void uitvoerder_roster_start (node_t *self);
/*  A member's heartbeat showed roster version its_version: offer it the
 *  current one if it is behind (once per version per run). */
void uitvoerder_roster_offer (node_t *self, member_link_t *link, const roster_member_t *member,
                              uint64_t its_version);

/*  Incidents (uitvoerder_incident.c): any node reports, the uitvoerder
 *  registers. */
void uitvoerder_on_incident (node_t *self, member_link_t *link, const roster_member_t *sender,
                             const envelope_opened_t *opened);
void node_incident_api (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);

/*  The casusoverleg (uitvoerder_casus.c). */
void uitvoerder_on_casus (node_t *self, member_link_t *link, const roster_member_t *sender,
                          const envelope_opened_t *opened);
void uitvoerder_case_api (node_t *self, const api_caller_t *caller, const char *cmd,
                          json_t *args);
/*  Send the closures a crash left unsent (on start; a failure is logged
 *  and tried again on the next start). */
void uitvoerder_resume_closures (node_t *self);

/*  Subjects and possible matches (uitvoerder_subject.c). */
void uitvoerder_subject_show (node_t *self, const api_caller_t *caller, json_t *args);
void uitvoerder_matches (node_t *self, const api_caller_t *caller, json_t *args);
void uitvoerder_match (node_t *self, const api_caller_t *caller, json_t *args);

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
} copies_t;

/*  Seal body for to and add it to copies (case_refs are copied). */
int uitvoerder_copy_add (node_t *self, copies_t *copies, const roster_member_t *to,
                         const ProtobufCMessage *body, char *const *case_refs,
                         size_t n_case_refs, bool cancelled, kt_reason_t *reason);
/*  Log every copy as sent, keep them until receipted, offer them to the
 *  members online now.  json (may be NULL) receives one object each. */
int uitvoerder_copies_send (node_t *self, const copies_t *copies, const char *os_user,
                            json_t *json, kt_reason_t *reason);
void uitvoerder_copies_free (copies_t *copies);
/*  Append, to the log's open batch, that the copy id of type went to
 *  recipient (its exact header bytes hashed); what says why when it is
 *  not the first send (NULL). */
int uitvoerder_log_sent (node_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
                         const char *recipient, char *const *case_refs, size_t n_case_refs,
                         const uint8_t *header, size_t header_len, const char *os_user,
                         const char *what, kt_reason_t *reason);
/*  Log one event by this node, acted by os_user, about case_refs (n may
 *  be 0), in a batch of its own. */
int uitvoerder_log_event (node_t *self, Keten__LogEvent event, const char *os_user,
                          const char *what, char *const *case_refs, size_t n, kt_reason_t *reason);
/*  Offer member its pending messages (it was just heard from). */
void uitvoerder_relay_pump (node_t *self, const roster_member_t *member);
void uitvoerder_on_member_receipt (node_t *self, const roster_member_t *member,
                                   const uint8_t *body, size_t len);

int partner_start (node_t *self, kt_reason_t *reason);
void partner_stop (node_t *self);
int partner_on_transport (zloop_t *loop, zsock_t *sock, void *arg);
int partner_on_heartbeat (zloop_t *loop, int timer_id, void *arg);
int partner_on_pump (zloop_t *loop, int timer_id, void *arg);
int partner_on_spool (zloop_t *loop, int timer_id, void *arg);
void partner_status (node_t *self, json_t *result);
void partner_submit (node_t *self, const api_caller_t *caller, json_t *args);
void partner_flush (node_t *self);
void partner_release (node_t *self, const api_caller_t *caller, json_t *args);
json_t *partner_list_signals (node_t *self, int limit);
/*  Weegploeg and casusoverleg agendas received (partner_agenda.c). */
int partner_agenda_start (node_t *self, kt_reason_t *reason);
void partner_agenda_stop (node_t *self);
void partner_on_agenda (node_t *self, const envelope_opened_t *opened);
void partner_agenda_list (node_t *self, const api_caller_t *caller, json_t *args);
void partner_agenda_show (node_t *self, const api_caller_t *caller, json_t *args);
void partner_on_decision (node_t *self, const envelope_opened_t *opened);
/*  The casusoverleg at a participant (partner_casus.c). */
int partner_casus_start (node_t *self, kt_reason_t *reason);
void partner_casus_stop (node_t *self);
void partner_on_casus (node_t *self, const envelope_opened_t *opened);
void partner_on_roster (node_t *self, const envelope_opened_t *opened);
void partner_case_api (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  Queue body for the uitvoerder through the outbox; id receives its id. */
int partner_queue (node_t *self, Keten__MessageType type, const ProtobufCMessage *body,
                   uint8_t id[KT_ID_LEN], kt_reason_t *reason);
/*  Queue body for the uitvoerder through the outbox (survives crashes and
 *  outages); answer caller now ("queued") or, with wait, on the receipt. */
void partner_send (node_t *self, const api_caller_t *caller, Keten__MessageType type,
                   const ProtobufCMessage *body, bool wait);
void partner_decision_list (node_t *self, const api_caller_t *caller, json_t *args);
void partner_decision_show (node_t *self, const api_caller_t *caller, json_t *args);

#endif
