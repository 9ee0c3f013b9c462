/*  relay: the uitvoerder's own messages to members - weegploeg agendas and
 *  decisions, plans, closures, disclosure consents and rosters, everything
 *  uitvoerder_copies_send sends (receipts, heartbeats and checkpoints go
 *  out directly and are not kept) - kept in node.db until the member's
 *  signed receipt arrives: the uitvoerder's side of delivery
 *  (docs/PROTOCOL.md, "Delivery"; docs/ARCHITECTURE.md, "Crash reasoning").
 *  A member is offered its pending messages whenever it is heard from (its
 *  heartbeat), with backoff between tries, so a node that was down for an
 *  hour gets everything it missed when it comes back.
 *
 *  Each stored header is sealed for exactly one recipient; a retry sends
 *  the same bytes again (same id), and the member deduplicates by id.
 */
#ifndef KETEN_RELAY_H
#define KETEN_RELAY_H

#include "keten.pb-c.h"
#include "store.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _relay_t relay_t;

/*  The longest made_for: "gemeente/" and a municipality (roster.h). */
#define RELAY_MADE_FOR_MAX 160

/*  db is borrowed (node.db). */
relay_t *relay_new (sqlite3 *db, kt_reason_t *reason);
void relay_destroy (relay_t **self_p);

/*  Keep a sealed message for recipient, inside the caller's transaction,
 *  held (not offered) until its MESSAGE_SENT entry is logged and
 *  relay_owed_paid releases it.  origin (may be NULL) names what it is a
 *  copy of; case_refs (comma-separated) and os_user are for that entry;
 *  made_for (may be NULL) is the recipient as the copy was composed for
 *  it (its kind, a gemeente's municipality: uitvoerder_made_for), so that
 *  a copy composed for a kind the member no longer has is not delivered. */
int relay_insert (relay_t *self, const uint8_t id[KT_ID_LEN], const char *recipient,
                  Keten__MessageType type, const uint8_t *header, size_t header_len,
                  uint64_t now_ms, const char *origin, const char *case_refs, const char *os_user,
                  const char *made_for, kt_reason_t *reason);

/*  1 when copies of origin were kept (in any state), 0 when none, -1. */
int relay_has_origin (relay_t *self, const char *origin, kt_reason_t *reason);
/*  As relay_has_origin, counting only copies that reached or may still
 *  reach their member: not withdrawn (RELAY_IS_WITHDRAWN), not refused. */
int relay_has_origin_kept (relay_t *self, const char *origin, kt_reason_t *reason);

/*  A kept message whose provenance log entry is owed: its MESSAGE_SENT
 *  (sent) or, once settled, its MESSAGE_DELIVERED. */
typedef struct {
    uint8_t id[KT_ID_LEN];
    char *recipient;
    Keten__MessageType type;
    uint8_t *header;
    size_t header_len;
    bool sent;
    bool refused; /* settled: the member refused it */
    bool expired; /* settled: not receipted within delivery/max-age-s */
    bool withdrawn; /* settled: withdrawn (relay_withdraw, relay_withdraw_if) */
    char *refusal;  /* settled as refused, expired or withdrawn: why; else "" */
    uint64_t created_ms, settled_ms;
    char *case_refs; /* comma-separated (store_join) */
    char *os_user;
} relay_owed_t;

/*  Every message whose log entry is owed, oldest first, into *rows_p
 *  (free with relay_owed_free). */
int relay_owed (relay_t *self, relay_owed_t **rows_p, size_t *n_p, kt_reason_t *reason);
void relay_owed_free (relay_owed_t *rows, size_t n);
/*  The entry owed for id is in the log: a held message is released to be
 *  offered, a settled one owes nothing more.  Inside the caller's
 *  transaction. */
int relay_owed_paid (relay_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);

typedef struct {
    uint8_t id[KT_ID_LEN];
    uint8_t *header; /* heap; the caller takes it */
    size_t header_len;
    Keten__MessageType type;
    char made_for[RELAY_MADE_FOR_MAX + 1]; /* as relay_insert kept it; "" unknown */
} relay_item_t;

/*  made_for of a copy composed for a kind the member had before a kind
 *  change, which one not known (relay_fill_made_for): it follows no
 *  kind the member can have, so the kind rule withdraws it. */
#define RELAY_MADE_FOR_FORMER "?former"

/*  What a copy kept before relay_insert recorded made_for was composed
 *  for: fn writes it into out (len bytes) and returns out, or returns
 *  NULL to leave the copy as it is.  created_ms is when it was kept. */
typedef const char *(relay_fill_fn) (void *arg, const char *recipient, Keten__MessageType type,
                                     uint64_t created_ms, char *out, size_t len);
/*  Every copy kept before made_for was recorded ("", the upgrade to
 *  schema 6) and still pending or held, each noted as fn says, inside
 *  the caller's transaction: one pass over the relay.  Returns how many
 *  were noted, or -1 with reason. */
int64_t relay_fill_made_for (relay_t *self, relay_fill_fn *fn, void *arg, kt_reason_t *reason);
/*  Every pending or held copy of type for recipient, whatever made_for
 *  says, noted as RELAY_MADE_FOR_FORMER, inside the caller's
 *  transaction (the upgrade: what a release before composed for a
 *  member whose kind changed).  How many, or -1 with reason. */
int64_t relay_note_former (relay_t *self, const char *recipient, Keten__MessageType type,
                           kt_reason_t *reason);

/*  Whether a message with id is kept (settled or not): 1, 0, or -1 with
 *  reason.  A send resumed after a crash skips a copy kept already. */
int relay_has (relay_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);
/*  The state of the copy with id (as relay_copy_t's: 0 pending, 1
 *  accepted, 2 refused, 3 held, 4 expired or withdrawn) in *state_p: 1,
 *  0 when none is kept, or -1 with reason. */
int relay_state (relay_t *self, const uint8_t id[KT_ID_LEN], int *state_p, kt_reason_t *reason);

/*  Up to max of recipient's pending messages that are due at now_ms, in
 *  the order they were kept (copies kept in the same millisecond too: a
 *  roster push goes before what it makes the member take); each is
 *  rescheduled with backoff as if sent.  One scheduled further ahead
 *  than the backoff's most (a minute) is due too: the wall clock stepped
 *  back since, and its retry is not put off by the step.  Returns the
 *  count. */
size_t relay_due (relay_t *self, const char *recipient, uint64_t now_ms, relay_item_t *items,
                  size_t max);

/*  recipient's pending messages made before before_ms - older than the
 *  age past which the member refuses a message unread (delivery/max-age-s)
 *  - are settled as expired, each owing its log entry (a MESSAGE_REFUSED
 *  naming the member).  Retrying them could never succeed.  Returns how
 *  many, or -1 with reason. */
int64_t relay_expire (relay_t *self, const char *recipient, uint64_t before_ms, uint64_t now_ms,
                      kt_reason_t *reason);
/*  What a withdrawn message's row and its MESSAGE_REFUSED entry say:
 *  every withdrawal's text starts with RELAY_WITHDRAWN_PREFIX, and
 *  RELAY_IS_WITHDRAWN is that test in SQL (on the row's refusal). */
#define RELAY_WITHDRAWN_PREFIX "withdrawn:"
#define RELAY_IS_WITHDRAWN "refusal GLOB '" RELAY_WITHDRAWN_PREFIX "*'"
#define RELAY_WITHDRAWN RELAY_WITHDRAWN_PREFIX " the member left the federation"
/*  A copy composed for a kind the member no longer has (docs/ROSTER.md,
 *  "A member's kind changes"): a correction notice withdrawn so is made
 *  again for the member as it is (relay_each_expired_family). */
#define RELAY_WITHDRAWN_KIND RELAY_WITHDRAWN_PREFIX " composed for the member's former kind"
/*  Whether refusal (may be NULL) is a withdrawal's. */
bool relay_is_withdrawn (const char *refusal);
/*  The refusal a member gives a copy about a subject it destroyed since
 *  (art. 13): it holds nothing the copy could change. */
#define RELAY_DESTROYED_HERE "case_ref destroyed here (art. 13)"
/*  recipient left the federation (its leaves-at day came, docs/ROSTER.md):
 *  its pending messages can never be delivered, and are settled as
 *  withdrawn (state 4, as expired ones), each owing its log entry (a
 *  MESSAGE_REFUSED naming the member).  Once that entry is written
 *  (relay_owed_paid) the row keeps no sealed bytes.  Held messages must
 *  be released first (their MESSAGE_SENT logged).  Returns how many, or
 *  -1 with reason. */
int64_t relay_withdraw (relay_t *self, const char *recipient, uint64_t now_ms, kt_reason_t *reason);
/*  Decide for one pending message of an active member whether it may
 *  still be delivered: NULL keeps it, a text (RELAY_WITHDRAWN_PREFIX ...,
 *  no personal data: it is the row's refusal and its log entry's what)
 *  withdraws it. */
typedef const char *(relay_judge_fn) (void *arg, Keten__MessageType type, const char *made_for);
/*  Each of recipient's pending messages (state 0) judged by fn, and
 *  those it withdraws settled as withdrawn with its text, in one commit,
 *  each owing its MESSAGE_REFUSED entry as relay_withdraw's do (its
 *  sealed bytes go once that is written).  Held messages are judged when
 *  they are offered (relay_withdraw_one).  Returns how many, or -1. */
int64_t relay_withdraw_if (relay_t *self, const char *recipient, relay_judge_fn *fn, void *arg,
                           uint64_t now_ms, kt_reason_t *reason);
/*  Withdraw the pending message id with the text why (as relay_withdraw_if):
 *  1, 0 when it is not pending, -1 with reason. */
int relay_withdraw_one (relay_t *self, const uint8_t id[KT_ID_LEN], const char *why,
                        uint64_t now_ms, kt_reason_t *reason);
/*  How many of recipient's messages expired (withdrawn ones not counted),
 *  (last_ms, may be NULL) when the newest of them did, and (since_p, may
 *  be NULL) how many of them expired at or after since_ms; -1 with
 *  reason. */
int64_t relay_expired (relay_t *self, const char *recipient, uint64_t since_ms, uint64_t *last_ms,
                       int64_t *since_p, kt_reason_t *reason);
/*  The copies still waiting for recipient's receipt (pending or held):
 *  how many (*count_p) and when the oldest was kept (*oldest_ms_p, 0:
 *  none).  Read from the index relay_waiting alone.  0, or -1 with
 *  reason. */
int relay_waiting (relay_t *self, const char *recipient, int64_t *count_p, uint64_t *oldest_ms_p,
                   kt_reason_t *reason);

/*  A receipt from sender for id: settle the message if it was sent to that
 *  sender and is pending - or expired: a receipt that comes after all
 *  (the member accepted it just in time) is what happened, logged as a
 *  delivery besides the expiry.  Returns 1 when settled now, 0 when not pending
 *  (a duplicate receipt, or not ours), -1 on error. */
int relay_settle (relay_t *self, const uint8_t id[KT_ID_LEN], const char *sender, bool accepted,
                  const char *refusal, uint64_t now_ms, kt_reason_t *reason);

/*  A receipt relay_settle did not take, accepted by sender for id: when
 *  id is a copy kept for sender and withdrawn after it was offered (its
 *  kind changed, it left), the node took it all the same, and the row
 *  notes when (taken_ms; still withdrawn, not delivered), so that the
 *  member counts as holding what it carries (relay_each_case_holder,
 *  relay_holds).  1 when noted now, 0 when it is no such copy or was
 *  noted before (a repeated receipt), -1 with reason.  A crash before
 *  the note loses it as a lost receipt would: docs/ARCHITECTURE.md,
 *  gaps. */
int relay_taken_late (relay_t *self, const uint8_t id[KT_ID_LEN], const char *sender,
                      uint64_t now_ms, kt_reason_t *reason);
/*  Whether the copy with id reached its member or still may, and so
 *  makes it a holder of what it carries (*holds_p): pending, held or
 *  accepted, or withdrawn and taken all the same (relay_taken_late); not
 *  refused, expired or withdrawn untaken.  1 when kept, 0 when no copy
 *  with id is, -1 with reason. */
int relay_holds (relay_t *self, const uint8_t id[KT_ID_LEN], bool *holds_p, kt_reason_t *reason);

/*  fn may replace a kept header (returns 1, *header_p now its own heap
 *  buffer), leave it (0) or fail (-1). */
typedef int (relay_rewrite_fn) (void *arg, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
                                uint8_t **header_p, size_t *header_len_p, kt_reason_t *reason);
/*  Runs after every row, before the commit; failing rolls all back. */
typedef int (relay_commit_fn) (void *arg, int64_t replaced, kt_reason_t *reason);

/*  Pass each of recipient's pending messages to fn; the headers it
 *  replaces are written in one transaction, all or none, and
 *  before_commit (may be NULL) runs just before it commits.  Returns how
 *  many were replaced, or -1. */
int64_t relay_rewrite (relay_t *self, const char *recipient, relay_rewrite_fn *fn,
                       relay_commit_fn *before_commit, void *arg, kt_reason_t *reason);

/*  The member's last answer to a message of type: 1 accepted, 2 refused,
 *  0 none yet, -1 with reason; *settled_ms (may be NULL) when it came. */
int relay_last_answer (relay_t *self, const char *recipient, Keten__MessageType type,
                       uint64_t *settled_ms, kt_reason_t *reason);

/*  Messages not yet receipted for recipient (NULL: all), held ones too. */
int64_t relay_pending (relay_t *self, const char *recipient);

/* ---- retention (art. 13) ------------------------------------------------- */

/*  Blank the kept bytes of every settled copy that names case_ref (a
 *  destroyed subject) and owes no log entry; pending ones stay to be
 *  delivered.  Returns how
 *  many were blanked, or -1. */
int relay_forget_case (relay_t *self, const char *case_ref, kt_reason_t *reason);
/*  Each member a copy naming case_ref was kept for (with origin_prefix:
 *  copies whose origin starts with it only), once, to fn. */
int relay_each_case_recipient (relay_t *self, const char *case_ref, const char *origin_prefix,
                               store_text_fn *fn, void *arg, kt_reason_t *reason);
/*  Each member that holds, or is still to get, a copy naming case_ref
 *  whose origin starts with origin_prefix, once, to fn: one it accepted,
 *  one pending or held, or one withdrawn that it took all the same
 *  (relay_taken_late).  Any other withdrawn (RELAY_IS_WITHDRAWN) or
 *  expired copy is taken not to have reached the member, and one it
 *  refused it does not keep: those make no holder. */
int relay_each_case_holder (relay_t *self, const char *case_ref, const char *origin_prefix,
                            store_text_fn *fn, void *arg, kt_reason_t *reason);
/*  Each pending copy (state 0) of type naming case_ref, oldest first, to
 *  fn with its id and origin ("" when none); fn returns 0 to go on, -1
 *  (reason) to stop.  Held copies (state 3) are being sent now and are
 *  not listed. */
typedef int (relay_pending_fn) (void *arg, const uint8_t id[KT_ID_LEN], const char *origin,
                                kt_reason_t *reason);
int relay_each_pending_case (relay_t *self, const char *case_ref, Keten__MessageType type,
                             relay_pending_fn *fn, void *arg, kt_reason_t *reason);
/*  A message of one type not accepted (pending, held or refused);
 *  strings borrowed for the callback. */
typedef struct {
    const char *recipient;
    const char *origin;
    const char *case_refs;
    uint64_t created_ms;
    int state; /* 0 pending, 3 held, 4 expired */
} relay_unsettled_t;
typedef int (relay_unsettled_fn) (void *arg, const relay_unsettled_t *row, kt_reason_t *reason);
/*  Messages of type kept at or before before_ms and not accepted: not
 *  settled yet, or expired unanswered; oldest first (one its member
 *  refused is settled: it answered). */
int relay_each_unsettled (relay_t *self, Keten__MessageType type, uint64_t before_ms,
                          relay_unsettled_fn *fn, void *arg, kt_reason_t *reason);

/* ---- correction (art. 12.5-12.6) ---------------------------------------- */

/*  One kept copy and what became of it; strings borrowed for the
 *  callback. */
typedef struct {
    const char *recipient;
    uint64_t created_ms;
    int state;           /* 0 pending, 1 accepted, 2 refused, 3 held, 4 expired */
    uint64_t settled_ms; /* the member's receipt: its confirmation; 0 none */
    const char *refusal;
} relay_copy_t;
typedef int (relay_copy_fn) (void *arg, const relay_copy_t *row, kt_reason_t *reason);
/*  The copies kept under origin and those made again under origin/...
 *  (relay_each_expired_family), by recipient and oldest first, each to
 *  fn. */
int relay_each_origin (relay_t *self, const char *origin, relay_copy_fn *fn, void *arg,
                       kt_reason_t *reason);
/*  The message families (origins cut to base_len bytes) under prefix
 *  that recipient was sent and never got: each of its copies there
 *  expired (relay_expire) or was withdrawn as composed for its former
 *  kind (RELAY_WITHDRAWN_KIND), and none is pending, delivered or
 *  refused.  Each family once, with how many of its copies so ended, to
 *  fn (0 go on, -1 error with reason).  A copy made again goes under
 *  BASE/..., so that relay_has_origin does not take it for the first. */
typedef int (relay_family_fn) (void *arg, const char *base, int64_t expired, kt_reason_t *reason);
int relay_each_expired_family (relay_t *self, const char *recipient, const char *prefix,
                               size_t base_len, relay_family_fn *fn, void *arg,
                               kt_reason_t *reason);

#endif
