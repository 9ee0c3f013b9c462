/*  node_core: the core's own state, shared by the core's files and by the
 *  role layers above it (daemon/uitvoerder/, daemon/partner/).  The core
 *  knows a role only through the node_role_t it was handed: it never
 *  names a role function, includes a role header or branches on the
 *  role.  Not for other modules.
 */
#ifndef KETEN_NODE_CORE_H
#define KETEN_NODE_CORE_H

#include "access.h"
#include "apiserver.h"
#include "arena.h"
#include "config.h"
#include "envelope.h"
#include "forget.h"
#include "keyring.h"
#include "keys.h"
#include "keystore.h"
#include "metrics.h"
#include "node.h"
#include "ratelog.h"
#include "transport.h"

#include <czmq.h>
#include <jansson.h>
#include <sqlite3.h>

/*  Where a message goes on the transport: the routing id of one
 *  connection at the uitvoerder's ROUTER.  A partner's DEALER has one
 *  peer and passes NULL instead. */
typedef struct {
    uint8_t id[TRANSPORT_RID_MAX];
    size_t len;
} node_route_t;

/*  A message to send, sealed but not yet signed: signed together with the
 *  rest of its batch in node_send_batch.  The route is copied, not
 *  pointed to: a role may replace its link table (a new roster) before
 *  the batch goes out. */
typedef struct {
    node_route_t to;
    bool routed; /* false: the DEALER's one peer */
    uint8_t id[KT_ID_LEN];
    uint8_t *header;
    size_t header_len;
} outgoing_t;

/* ---- the role table ------------------------------------------------------ */

/*  At most this many messages per wakeup of the transport's socket (a
 *  drain): other sockets and timers get their turn, and a group commit
 *  stays a bounded transaction.  Small enough that under load a drain's
 *  answers (receipts) leave while the sender already stores its next
 *  group, instead of the whole window moving in one group from node to
 *  node (docs/PERFORMANCE.md, 2026-12-05, fourth session). */
#define NODE_DRAIN_MAX 256
/*  The most envelopes one drain holds: it reads messages while it has
 *  taken fewer than NODE_DRAIN_MAX, and the last may be a bundle
 *  (docs/PROTOCOL.md, "Bundles"). */
#define NODE_DRAIN_ENVELOPES (NODE_DRAIN_MAX - 1 + TRANSPORT_BUNDLE_MAX)

/*  A message as the dispatcher hands it to a role: opened (signature,
 *  policy and freshness checked by envelope_open), its body decoded with
 *  the policy row's descriptor and checked by the row's checker. */
typedef struct {
    envelope_opened_t opened;   /* a handler that keeps it copies it and zeroes this */
    const keyring_peer_t *peer; /* the sender's keys; peer->member its roster entry */
    void *link;                 /* the role's state of that peer (see node_role_t.peer) */
    const uint8_t *raw;         /* the envelope as received (proof of a receipt) */
    size_t raw_len;
    char hex[KT_ID_HEX];    /* the message id, "-" when it has none */
    bool receipted;         /* its type is answered with a receipt */
    ProtobufCMessage *body; /* a handler that keeps it sets this NULL */
} node_message_t;

typedef void (node_handler_fn) (node_t *node, node_message_t *m);
/*  A row of a role's message table: what it does with a type it
 *  receives; what names the message in log lines ("signal"). */
typedef struct {
    Keten__MessageType type;
    const char *what;
    node_handler_fn *handler;
} node_handler_t;

/*  What a local API command asks of its caller (docs/API.md, "Who may do
 *  what"): each right but NONE is a local Unix group the config names;
 *  node_right_group says which. */
typedef enum {
    NODE_RIGHT_NONE = 0, /* any local user the socket admits: no personal data */
    NODE_RIGHT_READ,     /* access/read-group: reads personal data */
    NODE_RIGHT_SUBMIT,  /* access/submit-group: signals, contributions, progress, own corrections */
    NODE_RIGHT_RELEASE, /* intake/release-group: releases held Wpg signals */
    NODE_RIGHT_REPRESENTATIVE, /* intake/representative-group: the police representative (art. 7.2a)
                                */
    NODE_RIGHT_WEEGPLOEG,  /* access/weegploeg-group: agendas, decisions, matches, plans, closure */
    NODE_RIGHT_DISCLOSURE, /* access/disclosure-group: consent and disclosure (art. 10.5) */
    NODE_RIGHT_RIGHTS, /* access/rights-group: requests, informatieplicht, corrections, review */
    NODE_RIGHT_AUDIT,  /* access/audit-group: the access log, its review, grants, export */
    NODE_RIGHT_ADMIN,  /* access/admin-group: roster, membership, incidents, retention */
    NODE_RIGHT_COUNT
} node_right_t;

/*  A local API command: name (a name ending in ".*" matches every command
 *  with that prefix that no exact row names), the right a caller needs,
 *  and the handler.  A row with no handler is a command this role does
 *  not serve: refusal is the answer.
 *
 *  args declares the argument keys the handler reads, as "key:t" words
 *  separated by spaces, t the type a value must have: s a string, b true
 *  or false, i an integer, l a row limit (an integer 1..NODE_LIMIT_MAX),
 *  o an object, a an array, * any (the handler checks it).  The
 *  dispatcher refuses a request with any other key, or a value of the
 *  wrong type, before the handler runs (docs/API.md, "Arguments"): a
 *  misspelt flag must not turn a dry run into a real one.  NULL or ""
 *  takes no arguments; "*" is for a handler that answers every call with
 *  the same refusal and reads none. */
typedef void (node_command_fn) (node_t *node, const api_caller_t *caller, const char *cmd,
                                json_t *args);
typedef struct {
    const char *name;
    node_right_t right;
    node_command_fn *handler;
    const char *refusal;
    const char *args;
} node_command_t;

/*  One role of a node (the uitvoerder, a partner): what the core calls
 *  instead of naming the role's functions.  daemon/ketend.c hands the
 *  roles to node_new, which runs the one that serves the node's roster
 *  role. */
struct _node_role_t {
    const char *name;
    unsigned serves; /* bit set of roster_role_t */
    /*  The config this role needs, checked before anything is opened. */
    int (*check) (const config_t *config, kt_reason_t *reason);
    /*  Open the role's stores, bind or connect the transport, arm its
     *  timers; node->role_state is the role's from here.  On failure stop
     *  is still called. */
    int (*start) (node_t *node, kt_reason_t *reason);
    void (*stop) (node_t *node);
    /*  The role's part of `keten status`. */
    void (*status) (node_t *node, json_t *result);
    /*  What metrics render beyond the node's own lines (new reference):
     *  the status with, at the uitvoerder, "incidents", at a partner
     *  "checkpoint_size". */
    json_t *(*metrics) (node_t *node, uint64_t now_ms);
    /*  After the local API's batch of requests (group commit); NULL: none. */
    void (*api_flush) (node_t *node);
    /*  The local API is about to close (ketend stops): answer the callers
     *  still waiting, while they can be answered; NULL: none. */
    void (*api_closing) (node_t *node);
    /*  Local API connection conn_id closed while callers of it waited
     *  for answers (apiserver_on_closed): let them go, as nothing can
     *  answer them now (their requests still take effect); NULL: none. */
    void (*api_closed) (node_t *node, const uint64_t *conn_ids, size_t n);
    /*  node.db's COMMIT may run on the helper thread while the loop goes
     *  on (store_open_shared): a partner's group commit of submissions. */
    bool commits_beside;
    /*  A new keyring is in use (old is the roster before it); -1 puts the
     *  old keyring back. */
    int (*roster_changed) (node_t *node, const roster_t *old, kt_reason_t *reason);
    /*  Put a read of personal data by user on its way to the provenance
     *  log (art. 15.2e) inside the transaction on node.db that records it
     *  in the access table: what it writes there (a partner's
     *  ACCESS_NOTICE outbox row) commits with the read or not at all.
     *  NULL: the role writes nothing to node.db for it. */
    int (*access_notice) (node_t *node, const char *user, const char *what,
                          const char *const *case_refs, size_t n, kt_reason_t *reason);
    /*  After that commit: put the read in the provenance log (the
     *  uitvoerder), or send the notice on its way (a partner). */
    int (*log_access) (node_t *node, const char *user, const char *what,
                       const char *const *case_refs, size_t n, kt_reason_t *reason);
    const node_command_t *commands;
    size_t n_commands;

    /*  Receiving (dispatch.c): the message table, and what differs in how
     *  the two ends of a link take a drain of messages. */
    const node_handler_t *handlers;
    size_t n_handlers;
    /*  Before a drain; -1 skips it (out of memory: the socket stays
     *  readable and the next wakeup tries again). */
    int (*drain_begin) (node_t *node);
    /*  After a drain: commit what it collected, send the batch. */
    void (*drain_end) (node_t *node);
    /*  node_send_batch is about to sign and send: queue what the role
     *  held back to send together (the uitvoerder's RECEIPTS); NULL:
     *  nothing. */
    void (*send_held) (node_t *node);
    /*  The largest bundle (docs/PROTOCOL.md, "Bundles") the peer at
     *  route (NULL: the DEALER's one peer) takes; 0: one envelope per
     *  message. */
    size_t (*bundle_max) (node_t *node, const node_route_t *route);
    /*  The peer a message came from (and *link_p, the role's state of
     *  it), or NULL: dropped unopened. */
    const keyring_peer_t *(*peer) (node_t *node, const transport_msg_t *msg, void **link_p);
    /*  Adjust the options of envelope_open (e.g. seen); NULL: none. */
    void (*open_opts) (node_t *node, envelope_open_opts_t *opts);
    /*  The envelope did not open (signature, policy, age): why. */
    void (*refused) (node_t *node, node_message_t *m, const char *why);
    /*  envelope_open found its id seen (only with opts.seen); NULL: none. */
    void (*duplicate) (node_t *node, node_message_t *m);
    /*  A message opened: its sender is there; NULL: nothing to note. */
    void (*heard) (node_t *node, node_message_t *m);
    /*  The body is refused (what names it) or, what NULL, its type is not
     *  in the role's message table.  why is keten's own words. */
    void (*refuse) (node_t *node, node_message_t *m, const char *what, const char *why);
    /*  After a restore (node_backup.c): do again what forget.db noted
     *  since the backup, a destruction or a correction; a destruction
     *  done already is nothing to do. */
    int (*redo) (node_t *node, const forget_entry_t *entry, kt_reason_t *reason);
};

struct _node_t {
    config_t config;
    keys_secret_t *keys;
    keyring_t *keyring;
    uint64_t started_ms;
    zloop_t *loop;
    transport_t *transport; /* bound or connected by the role's start */
    apiserver_t *api;
    sqlite3 *db; /* node.db */
    keystore_t *keystore;
    forget_t *forget; /* forget.db: what this node forgot, for a restore */
    bool expelled;    /* the roster dropped this node: send nothing */
    /*  Set by a role's start that refuses what the operator configured
     *  (a file that does not match the roster): ketend exits EX_CONFIG. */
    bool config_refused;
    access_t *access; /* reads of personal data (art. 15.2e) */
    /*  Each right's group as a gid, resolved once at the start
     *  (node_rights_resolve): a caller's groups are compared with these,
     *  so no command asks the name service on the loop.  right_known
     *  false: the group is unset, or the host had no such group then. */
    gid_t right_gid[NODE_RIGHT_COUNT];
    bool right_known[NODE_RIGHT_COUNT];
    /*  The messages of a drain, decoded: given back at its end (arena.h;
     *  node_body_free). */
    kt_arena_t *arena;
    const node_role_t *role;
    void *role_state; /* the role's own, owned by it */
    /* outgoing batch */
    outgoing_t *out;
    size_t n_out, cap_out;
    /* operations */
    metrics_t *metrics;      /* Prometheus endpoint, if metrics/listen is set */
    uint64_t key_created_ms; /* mtime of the secret key file at startup */
    int lock_fd;             /* STATE/ketend.lock, held (flock) while running */
    /*  The peers' word on our wall clock (node_clock.c), and since when
     *  (monotonic, 0: not) retention waits for it. */
    struct clockcheck_t *clock;
    uint64_t clock_waiting_mono_ms;
    uint64_t started_mono_ms; /* for the uptime: a clock set back does not shorten it */
    /*  The lines a peer's messages cause one by one, rate-limited per
     *  peer and event (node_peer_line); their counts said each second. */
    ratelog_peer_t *peer_lines;
};

/*  Whether a line that a peer's message caused (a refusal, a malformed
 *  bundle), of event (the line's start, e.g. "message refused"), is to be
 *  written now: the first RATELOG_PEER_LINES of each (event, peer) a
 *  minute are, those past them are counted and said in one
 *  "EVENT_counted peer=PEER count=N" line when the minute is over
 *  (docs/OPERATIONS.md, "Journal").  peer: the member id, or "-" when
 *  the sender is not known. */
bool node_peer_line (node_t *self, const char *event, const char *peer);

/*  Seal body for one recipient and add it to the outgoing batch; to is
 *  copied (NULL: the DEALER's one peer). */
int node_queue (node_t *self, const node_route_t *to, Keten__MessageType type,
                const char *recipient, const ProtobufCMessage *body, kt_reason_t *reason);
/*  Seal body for one recipient without queueing it (to keep it in a
 *  delivery table first); *header_p is heap, free(). */
int node_seal (node_t *self, Keten__MessageType type, const char *recipient,
               const ProtobufCMessage *body, uint8_t id[KT_ID_LEN], uint8_t **header_p,
               size_t *header_len_p, kt_reason_t *reason);
/*  node_seal under the message id given in id, not a fresh one: a copy
 *  sealed again after a crash keeps the id already on record. */
int node_seal_as (node_t *self, Keten__MessageType type, const char *recipient,
                  const ProtobufCMessage *body, const uint8_t id[KT_ID_LEN], uint8_t **header_p,
                  size_t *header_len_p, kt_reason_t *reason);
/*  Add a sealed header to the outgoing batch; takes ownership of header. */
int node_queue_header (node_t *self, const node_route_t *to, const uint8_t id[KT_ID_LEN],
                       uint8_t *header, size_t header_len, kt_reason_t *reason);
/*  Sign the outgoing batch once and send every message in it. */
void node_send_batch (node_t *self);
/*  Options for envelope_open at this moment. */
void node_open_opts (node_t *self, envelope_open_opts_t *opts);
/*  A received message's body, decoded by the dispatcher in the drain's
 *  arena, let go (its memory goes at the drain's end). */
void node_body_free (node_t *self, ProtobufCMessage *body);
/*  Read the transport's socket in the loop: every message goes through
 *  the dispatcher to the role's message table (again after a rebind). */
void node_listen (node_t *self);

/*  node.db's meta table: small counters the node keeps across restarts. */
int64_t node_meta_get (node_t *self, const char *key, int64_t missing);
int node_meta_set (node_t *self, const char *key, uint64_t value, kt_reason_t *reason);

/*  The row that answers cmd at a node running role: the core's own
 *  commands first, then the role's exact names, then its "prefix.*"
 *  rows; NULL: an unknown command. */
const node_command_t *node_command_find (const node_role_t *role, const char *cmd);
/*  The core's own commands (every role serves them), *n_p of them. */
const node_command_t *node_core_commands (size_t *n_p);
/*  Whether args (an object or NULL) fits c's declared arguments
 *  (node_command_t.args); if not, why, naming the key. */
bool node_args_valid (const node_command_t *c, const char *cmd, json_t *args, char *why,
                      size_t why_len);
/*  A command that fills result or fails with reason: args must be an
 *  object; the caller is answered with result, or with the reason. */
typedef int (node_api_fn) (node_t *node, const api_caller_t *caller, json_t *args, json_t *result,
                           kt_reason_t *reason);
void node_api_run (node_t *self, const api_caller_t *caller, json_t *args, node_api_fn *fn);
/*  The setting ("access/read-group") and the group ("" when unset) of a
 *  right; NULL for NODE_RIGHT_NONE. */
const char *node_right_setting (node_right_t right);
const char *node_right_group (const config_t *config, node_right_t right);
/*  Each right's group resolved to its gid (node_t.right_gid), asking the
 *  name service once, at the start.  A group the host does not have, or
 *  that the name service cannot say, is warned about by its setting, and
 *  nobody holds its right until ketend is started again: as before, its
 *  commands are refused.  Never fails. */
void node_rights_resolve (node_t *self);
/*  Whether caller holds right (NODE_RIGHT_NONE: anyone), by the groups
 *  of its connection (api_caller_t.cred); nothing logged or recorded. */
bool node_caller_holds (const node_t *self, const api_caller_t *caller, node_right_t right);
/*  Whether caller holds right (NODE_RIGHT_NONE: anyone); when not, why
 *  is the refusal to answer, naming the group or the unset setting, and
 *  the refusal is logged and recorded in the access table with the OS
 *  user (node_record_refusal). */
bool node_caller_may (node_t *self, const api_caller_t *caller, const char *cmd, node_right_t right,
                      char *why, size_t why_len);

/*  The most rows a list command returns (the "limit" argument's bound). */
#define NODE_LIMIT_MAX 10000
/*  The limit argument of a list command: 100 when absent, else as given
 *  (the dispatcher refused any value outside 1..NODE_LIMIT_MAX). */
int node_limit (json_t *args);
/*  The `status` command's answer (NULL out of memory): what the node
 *  reports of itself and its role; the metrics judge it too. */
json_t *node_status (node_t *self);
/*  A part of the status that could not be read (its store failed): named
 *  in status's "unreadable" list with why, so that `keten status` shows
 *  it and `--check` and the metrics raise status_incomplete, instead of
 *  the part being left out and read as "nothing due" (fails closed). */
void node_status_unreadable (json_t *status, const char *section, const char *reason);

/*  Backup and restore (node_backup.c): the `backup` command, and after a
 *  restore the destructions forget.db noted since the backup, done again
 *  before the node serves anything. */
void node_backup (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  Before any file of the state directory is opened: hold its lock (one
 *  ketend, and no `keten restore`, at a time) and refuse a restore that
 *  was cut off half-way. */
int node_lock_state (node_t *self, kt_reason_t *reason);
int node_replay_forgotten (node_t *self, kt_reason_t *reason);
/*  Whether the roster still has this node as an active member; when not
 *  (revoked, or its leaves-at day came), the node is expelled: it sends
 *  nothing more, and says so once. */
bool node_check_membership (node_t *self);
/*  Answer a signal.list with list (taken), its read on record; list NULL:
 *  the error in reason. */
void node_reply_signals (node_t *self, const api_caller_t *caller, json_t *list,
                         const kt_reason_t *reason);

/*  The roster over time (node_roster.c). */
/*  At start: accept a verified roster read from a file and record its
 *  version in node.db; -1 for a downgrade or a different roster under a
 *  version seen. */
int node_accept_roster (node_t *self, const roster_t *roster, kt_reason_t *reason);
/*  Accept a verified roster as the newest: keep its note in the state
 *  directory (the configured roster file may be read-only), durably, and
 *  only then record its version in node.db.  On -1 *refused says that the
 *  roster itself is refused (a downgrade, a different roster under a
 *  version seen), not that it could not be kept. */
int node_keep_roster (node_t *self, const roster_t *roster, bool *refused, kt_reason_t *reason);
/*  Run on a kept roster from now on (a new keyring; takes ownership);
 *  one that drops this node, or no longer accepts its keys, sets expelled. */
int node_use_roster (node_t *self, roster_t **roster_p, kt_reason_t *reason);
/*  peering.list: the roster's peerings with other federations, ended ones
 *  too, each with its peer's log key (docs/API.md). */
node_command_fn node_peering_list;
/*  Verify a signed roster against the pinned key and, when newer, keep
 *  and use it; one accepted before (the same bytes) changes nothing.  An
 *  older version never accepted here, or other bytes under a version
 *  accepted, is refused and raises the roster_conflict alarm.  On -1
 *  *refused as for node_keep_roster: false when it could not be kept or
 *  used, which a later offer may make good. */
int node_apply_roster (node_t *self, const char *note, size_t len, bool *refused,
                       kt_reason_t *reason);
/*  The roster version whose push raised the roster_conflict alarm (0:
 *  none) and, in *at_ms (may be NULL), when.  Kept in node.db; ended by
 *  a strictly newer roster accepted. */
uint64_t node_roster_conflict (node_t *self, uint64_t *at_ms);
/*  End the roster_conflict alarm (an operator saw to its cause); *version
 *  receives the version it was raised for.  -1 with reason when none is
 *  raised or node.db cannot be written. */
int node_roster_conflict_clear (node_t *self, uint64_t *version, kt_reason_t *reason);

/*  Record a read of personal data by caller (art. 15.2e): in the node's
 *  access table, with (at a partner) the ACCESS_NOTICE to the uitvoerder
 *  in the same commit, then in the provenance log (through the role).
 *  When it cannot be recorded the caller shows nothing. */
int node_record_access (node_t *self, const api_caller_t *caller, const char *what,
                        const char *const *case_refs, size_t n, kt_reason_t *reason);

/*  Record in the access table that caller was refused cmd ("refused:CMD",
 *  with the OS user), so the periodic review sees it (art. 15.2e); a
 *  failure to record is logged, and the caller is refused all the same. */
/*  Whether the refusal was recorded on its own (else counted, or not
 *  recorded at all): the journal line goes with it. */
bool node_record_refusal (node_t *self, const api_caller_t *caller, const char *cmd);
/*  An operator's act that reads no personal data but must stay on
 *  record (keten clock confirm): a row of its own in the access table,
 *  case_ref "", what naming it.  -1 with the reason if it cannot be. */
int node_record_act (node_t *self, const api_caller_t *caller, const char *what,
                     kt_reason_t *reason);

/*  The core's audit commands (node_audit.c): the access review (art.
 *  15.2e-f) and who holds which right. */
node_command_fn node_audit_review, node_audit_reviews, node_audit_grants;
/*  For status: access_review_due, access_review_days and, when one was
 *  recorded, access_review_last_ms. */
void node_audit_status (node_t *self, json_t *status);

/*  node_clock.c: an authenticated heartbeat (accepted, or refused by the
 *  acceptance window alone) measures our clock against its sender's. */
void node_clock_heard (node_t *self, const node_message_t *m);
/*  0 when the federation confirms this node's clock; else -1 with the
 *  reason, what ("retention") waiting, said once in the journal. */
int node_clock_guard (node_t *self, const char *what, kt_reason_t *reason);
/*  Whether the federation (or the operator) confirms this node's clock,
 *  without a word in the journal; if not, why into why. */
bool node_clock_confirmed (node_t *self, char *why, size_t len);
/*  The status's "clock" section. */
void node_clock_status (node_t *self, json_t *status);
/*  clock.confirm: the operator's word on this node's clock (node_clock.c). */
void node_clock_confirm (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args);
/*  Seconds since the start, on the monotonic clock. */
uint64_t node_uptime_s (const node_t *self);
/*  Remember when this node first started (meta first_start_ms), so a new
 *  node is not overdue for its first access review. */
int node_audit_first_start (node_t *self, kt_reason_t *reason);

/*  An incident report from the API arguments (what, found_ms, data_kinds,
 *  subjects), checked; kinds (16 slots) holds the borrowed strings. */
int node_incident_from_args (json_t *args, Keten__Incident *in, const char **kinds,
                             kt_reason_t *reason);
/*  One incident of the register as the API shows it, at the uitvoerder
 *  and at a kernpartij (node_incident.c); row is an incident_row_t
 *  (incident.h).  NULL when out of memory. */
json_t *node_incident_json (const void *row, uint64_t now_ms);
/*  incident.list's answer: list (NULL: reason says why it could not be
 *  read) holds at most limit + 1 rows, newest first; the answer holds
 *  limit of them and says whether there were more (truncated). */
void node_reply_incidents (node_t *self, const api_caller_t *caller, json_t *list, int limit,
                           const kt_reason_t *reason);

#endif
