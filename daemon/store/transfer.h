/*  transfer: the subjects an uitvoerder handed over to a peered federation
 *  and took in from one (docs/FEDERATIONS.md), in node.db.  Ids, case_refs,
 *  federation names, the basis and log indexes: no personal data (the
 *  subject's data is in the sealed envelope, which only the receiving
 *  uitvoerder can open, and which is dropped once it is answered).
 */
#ifndef KETEN_TRANSFER_H
#define KETEN_TRANSFER_H

#include "util.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _transfer_t transfer_t;

transfer_t *transfer_new (sqlite3 *db, kt_reason_t *reason);
void transfer_destroy (transfer_t **self_p);

#define TRANSFER_PREPARED 0 /* recorded; not yet logged and sealed */
#define TRANSFER_PENDING 1  /* logged and sealed: offered until answered */
#define TRANSFER_ACCEPTED 2
#define TRANSFER_REFUSED 3

typedef struct {
    uint8_t id[KT_ID_LEN];
    char federation[65];
    char case_ref[40];
    char basis[501];
    char decided_by[1200]; /* "a,b" */
    char os_user[65];
    uint64_t decided_ms;
    int state;
    uint64_t log_index;      /* TRANSFER_SENT */
    uint64_t peer_log_index; /* the receiving log's TRANSFER_RECEIVED */
    const uint8_t *envelope; /* while pending */
    size_t envelope_len;
} transfer_out_t;

/*  A transfer decided: recorded before anything is logged or sent. */
int transfer_out_prepare (transfer_t *self, const transfer_out_t *t, kt_reason_t *reason);
/*  Logged at log_index and sealed: envelope offered until answered. */
int transfer_out_sealed (transfer_t *self, const uint8_t id[KT_ID_LEN], uint64_t log_index,
                         unsigned signals, unsigned withheld, const uint8_t *envelope,
                         size_t envelope_len, kt_reason_t *reason);
/*  The receiving uitvoerder answered: accepted at peer_log_index, or
 *  refused with why.  The envelope is dropped. */
int transfer_out_answered (transfer_t *self, const uint8_t id[KT_ID_LEN], bool accepted,
                           uint64_t peer_log_index, const char *why, kt_reason_t *reason);

/*  case_ref was corrected (art. 12.5-12.6): its transfers still waiting
 *  for an answer drop the envelope sealed before and go back to PREPARED,
 *  to be sealed again from the corrected file under the same id (their
 *  TRANSFER_SENT is logged already, once).  The number of them, or -1. */
int transfer_out_reprepare (transfer_t *self, const char *case_ref, kt_reason_t *reason);

typedef int (transfer_out_fn) (void *arg, const transfer_out_t *t, kt_reason_t *reason);
/*  The transfers in state (PREPARED or PENDING), oldest first. */
int transfer_out_each (transfer_t *self, int state, transfer_out_fn *fn, void *arg,
                       kt_reason_t *reason);
/*  The transfer with this id: 1 found (fn called), 0 none, -1. */
int transfer_out_find (transfer_t *self, const uint8_t id[KT_ID_LEN], transfer_out_fn *fn,
                       void *arg, kt_reason_t *reason);

typedef struct {
    const uint8_t *id;
    const char *federation;
    const char *from_case_ref;
    const char *case_ref;
    const char *basis;
    const char *decided_by;
    uint64_t sent_log_index;
    uint64_t log_index;
    uint64_t received_ms;
    unsigned signals, withheld;
    const char *plan_status;
    const uint8_t *header_hash; /* 32 bytes: a replay must be the same message */
} transfer_in_t;

int transfer_in_record (transfer_t *self, const transfer_in_t *t, kt_reason_t *reason);
/*  1 when a transfer with this id was taken in (its log index and case_ref
 *  out, and whether header_hash is the one recorded), 0 when not, -1. */
int transfer_in_find (transfer_t *self, const uint8_t id[KT_ID_LEN], const uint8_t header_hash[32],
                      bool *same, uint64_t *log_index, char case_ref[40], kt_reason_t *reason);

/*  art. 4: a kernpartij's decision that case_ref moves to federation,
 *  received as message id (logged at log_index).  A repeat of the same
 *  message changes nothing. */
int transfer_decision_record (transfer_t *self, const uint8_t id[KT_ID_LEN], const char *case_ref,
                              const char *federation, const char *member, const char *basis,
                              const char *os_user, uint64_t decided_ms, uint64_t log_index,
                              kt_reason_t *reason);
/*  1 when member's decision message id is recorded (its log index out),
 *  0 when not, -1. */
int transfer_decision_seen (transfer_t *self, const uint8_t id[KT_ID_LEN], const char *member,
                            uint64_t *log_index, kt_reason_t *reason);
/*  member's newest decision that case_ref moves to federation: 1 (its
 *  basis out), 0 none, -1. */
int transfer_decision_newest (transfer_t *self, const char *case_ref, const char *federation,
                              const char *member, char *basis, size_t len, kt_reason_t *reason);

/*  art. 13: the subject case_ref is destroyed here: its transfers both
 *  ways and the kernpartijen's decisions go (the bases are free text; a
 *  sealed copy still offered goes with its row, and is not sent after
 *  the data is gone).  The log keeps its pseudonymous trail.  Idempotent;
 *  one commit. */
int transfer_forget_case (transfer_t *self, const char *case_ref, kt_reason_t *reason);

/*  {sent: [...], received: [...]}, newest first, at most limit each; only
 *  case_ref's when it is not NULL.  NULL and reason on failure. */
json_t *transfer_list (transfer_t *self, const char *case_ref, int limit, kt_reason_t *reason);
/*  Counts for status: {pending, accepted, refused, received}.  NULL and
 *  reason when they cannot be read. */
json_t *transfer_counts (transfer_t *self, kt_reason_t *reason);

#endif
