/*  outbox: messages this node must deliver, kept in node.db until a signed
 *  receipt arrives (docs/ARCHITECTURE.md, "Crash reasoning").  A row is
 *  written in the same transaction as the business change that causes it;
 *  after that commit the caller enqueues it.  The retry schedule lives in
 *  memory only: after a restart every undelivered message is due at once.
 */
#ifndef KETEN_OUTBOX_H
#define KETEN_OUTBOX_H

#include "keten.pb-c.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _outbox_t outbox_t;

typedef struct {
    uint32_t retry_min_ms;
    uint32_t retry_max_ms;
    uint32_t max_inflight;
} outbox_limits_t;

/*  db is borrowed (node.db).  Loads every undelivered message. */
outbox_t *outbox_new (sqlite3 *db, const outbox_limits_t *limits, kt_reason_t *reason);
void outbox_destroy (outbox_t **self_p);

/*  Insert a message inside the caller's open transaction.  header_len 0
 *  (header NULL): the caller keeps the sealed header in a record of its
 *  own, which the type's header source reads when the row must be sent
 *  from the file (outbox_header_source). */
int outbox_insert (outbox_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
                   const uint8_t *header, size_t header_len, uint64_t now_ms, kt_reason_t *reason);

/*  outbox_insert with no header, of a group (issue #17): the row is
 *  inserted by outbox_flush, with the group's others in a few statements
 *  (store_rows_new).  -1 with reason when out of memory. */
int outbox_add (outbox_t *self, const uint8_t id[KT_ID_LEN], Keten__MessageType type,
                uint64_t now_ms, kt_reason_t *reason);
/*  The rows outbox_add took, inserted in the caller's transaction (then
 *  none is left): 0, or -1 with reason (roll back). */
int outbox_flush (outbox_t *self, kt_reason_t *reason);
/*  Those rows let go instead (the transaction is rolled back). */
void outbox_flush_drop (outbox_t *self);

/*  The sealed header of message id from the caller's own record: 0 with
 *  *header_p (heap) and *len_p; -1 with reason when it cannot be read
 *  (logged; the message stays undelivered and is tried again later). */
typedef int (outbox_header_fn) (void *arg, const uint8_t id[KT_ID_LEN], uint8_t **header_p,
                                size_t *len_p, kt_reason_t *reason);
/*  Where the rows of type stored without a header keep it (one type per
 *  outbox). */
void outbox_header_source (outbox_t *self, Keten__MessageType type, outbox_header_fn *fn,
                           void *arg);
/*  Inside the caller's transaction, before the record that holds the
 *  header of a row stored without one goes or changes: that row, while it
 *  is still undelivered, keeps header itself.  Otherwise nothing. */
int outbox_keep_header (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t *header,
                        size_t header_len, kt_reason_t *reason);
/*  After the caller's commit: make the message due now. */
int outbox_enqueue (outbox_t *self, const uint8_t id[KT_ID_LEN], uint64_t created_ms);
/*  outbox_enqueue of a message whose sealed header (*header_p, heap,
 *  exactly as outbox_insert or the header source stored it) the caller
 *  just committed: taken
 *  (*header_p set to NULL) and used for its first send instead of being
 *  read back, while the headers kept stay under a bound (1 MiB); freed
 *  otherwise. */
int outbox_enqueue_sealed (outbox_t *self, const uint8_t id[KT_ID_LEN], uint64_t created_ms,
                           uint8_t **header_p, size_t header_len);

/*  After message id was sent: the leaf hash of its header as sent
 *  (envelope_sign_leaves), kept while it awaits its receipt. */
void outbox_sent_leaf (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t leaf[32]);
/*  The leaf hash of message id's header: as last sent, or hashed from
 *  the stored header (whatever the row's state).  1 found, 0 not (no
 *  such row, its header blanked, or it cannot be read). */
int outbox_leaf (outbox_t *self, const uint8_t id[KT_ID_LEN], uint8_t leaf[32]);

typedef struct {
    uint8_t id[KT_ID_LEN];
    uint8_t *header; /* heap; the caller frees */
    size_t header_len;
} outbox_item_t;

/*  Up to max messages due at now_ms (within the in-flight limit), each
 *  rescheduled with backoff as if sent.  One scheduled further ahead
 *  than the longest backoff is due too: the wall clock stepped back
 *  since, and its retry is not put off by the step.  Returns the count. */
size_t outbox_due (outbox_t *self, uint64_t now_ms, outbox_item_t *items, size_t max);
/*  The transport could not take it now: try again soon. */
void outbox_retry_soon (outbox_t *self, const uint8_t id[KT_ID_LEN], uint64_t now_ms);
/*  Taken by outbox_due but not sent, and not to be sent soon (too large
 *  for the peer): it keeps its backoff, but no longer counts in flight,
 *  so that such messages cannot fill delivery/max-inflight. */
void outbox_not_sent (outbox_t *self, const uint8_t id[KT_ID_LEN]);
/*  Milliseconds until the next message is due (-1: none pending), a
 *  step back of the clock taken as outbox_due takes it. */
int64_t outbox_next_due_in (outbox_t *self, uint64_t now_ms);
/*  The link came (back) up: everything pending is due now. */
void outbox_link_up (outbox_t *self, uint64_t now_ms);

/*  The signed envelope a receipt came in, kept as proof of delivery: a
 *  RECEIPT's own (envelope), or a RECEIPTS message's, kept once with
 *  outbox_keep_receipts under its id (receipts_id; envelope unused). */
typedef struct {
    const uint8_t *envelope;
    size_t envelope_len;
    const uint8_t *receipts_id; /* KT_ID_LEN bytes, or NULL */
} outbox_proof_t;

/*  Record a receipt inside the caller's transaction.  Returns 1 when the
 *  message was pending (now delivered or refused), 0 when it was not
 *  (duplicate receipt), -1 on error.  A RETENTION_ORDER's header is
 *  blanked with it (art. 13: its reason is needed by no one here once
 *  answered). */
int outbox_settle (outbox_t *self, const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                   const char *refusal, const outbox_proof_t *proof, uint64_t now_ms,
                   kt_reason_t *reason);
/*  Whether a RECEIPTS envelope other than this one is kept under id (an
 *  uitvoerder that reused an id): 1, 0, or -1 with reason. */
int outbox_receipts_other (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t *envelope,
                           size_t len, kt_reason_t *reason);
/*  Keep a RECEIPTS message's signed envelope (inside the caller's
 *  transaction, once per id: the same envelope again is ignored, another
 *  one under an id kept before fails).  0, or -1 with reason. */
int outbox_keep_receipts (outbox_t *self, const uint8_t id[KT_ID_LEN], const uint8_t *envelope,
                          size_t len, kt_reason_t *reason);
/*  After the caller's commit: drop settled messages from the schedule. */
void outbox_forget (outbox_t *self, const uint8_t id[KT_ID_LEN]);
/*  Whether id is on the schedule and its receipt not settled yet. */
bool outbox_awaits_receipt (outbox_t *self, const uint8_t id[KT_ID_LEN]);

size_t outbox_pending (const outbox_t *self);
int64_t outbox_oldest_ms (outbox_t *self);
int64_t outbox_count_state (outbox_t *self, int state);

/*  Where one message is: its state and, once settled, the receipt's
 *  time, log index (accepted) or refusal (refused).  For the partner's
 *  own view of its signals. */
typedef struct {
    int state; /* OUTBOX_PENDING, OUTBOX_DELIVERED or OUTBOX_REFUSED */
    bool settled;
    uint64_t settled_ms;
    bool logged;
    uint64_t log_index;
    char *refusal; /* heap or NULL; free with outbox_status_clear */
} outbox_status_t;
/*  1 with *st filled, 0 when id was never queued, -1 with reason. */
int outbox_status (outbox_t *self, const uint8_t id[KT_ID_LEN], outbox_status_t *st,
                   kt_reason_t *reason);
void outbox_status_clear (outbox_status_t *st);

/*  The newest receipt that accepted a message. */
typedef struct {
    bool found;
    uint8_t id[KT_ID_LEN];
    uint64_t settled_ms;
    uint64_t log_index;
} outbox_receipt_t;
/*  1 with *r filled, 0 when nothing was delivered yet, -1 with reason. */
int outbox_last_delivered (outbox_t *self, outbox_receipt_t *r, kt_reason_t *reason);

/*  art. 13 destruction of a subject this node sent id about, or a
 *  correction of it, inside the caller's transaction: the message's
 *  sealed header is blanked (its id, state and receipt stay).  1 when
 *  blanked or not there, 0 while it still waits for its receipt: it is
 *  blanked by the receipt's commit (outbox_settle).  -1 with reason. */
int outbox_blank (outbox_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);

#define OUTBOX_PENDING 0
#define OUTBOX_DELIVERED 1
#define OUTBOX_REFUSED 2

#endif
