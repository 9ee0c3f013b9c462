/*  witness: a member's check on the uitvoerder's provenance log
 *  (docs/PROTOCOL.md, "Checkpoints, proofs and witnesses").  It keeps the
 *  newest checkpoint it has verified (a newer one only with a consistency
 *  proof from exactly that one), checks every receipt's inclusion proof,
 *  asks for a consistency proof whenever a checkpoint of another size
 *  appears, and raises an alarm - kept in node.db, shown in
 *  `keten status`, logged - if the uitvoerder ever shows two different
 *  histories.  Politie and OM nodes cosign each checkpoint they verified
 *  (witness cosignatures).
 */
#ifndef KETEN_WITNESS_H
#define KETEN_WITNESS_H

#include "keten.pb-c.h"
#include "keys.h"
#include "util.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

typedef struct _witness_t witness_t;

/*  What the witness wants sent to the uitvoerder (a CHECKPOINT message):
 *  a request for a consistency proof, and/or a cosigned checkpoint. */
typedef struct {
    bool request;
    uint64_t old_size, new_size;
    char *cosigned; /* heap or NULL */
} witness_out_t;

/*  db (node.db) and keys are borrowed; log_pk is the uitvoerder's signing
 *  key; cosign: this node is a witness (politie, OM). */
witness_t *witness_new (sqlite3 *db, const keys_secret_t *keys, const char *federation,
                        const uint8_t log_pk[32], bool cosign, kt_reason_t *reason);
void witness_destroy (witness_t **self_p);
/*  The receipts' log entries decoded with allocator (borrowed; NULL:
 *  malloc's), such as a drain's arena: the witness keeps nothing decoded
 *  past the call that decodes it. */
void witness_decode_with (witness_t *self, ProtobufCAllocator *allocator);

/*  A receipt for one of our messages (sent by sender, this node, with a
 *  header whose leaf hash is header_leaf; NULL: not known): check that
 *  the log entry it carries records that arrival and is the leaf its
 *  proof is of, verify its checkpoint and inclusion proof (an alarm when
 *  any of it fails), keep the proof, and offer the checkpoint.  A
 *  receipt without a proof, without its entry (an older uitvoerder), or
 *  whose header is not known here is kept as unproven (its checkpoint
 *  still checked and offered when it has one). */
void witness_on_receipt (witness_t *self, const uint8_t message_id[KT_ID_LEN],
                         const Keten__Receipt *r, const char *sender, const uint8_t *header_leaf,
                         witness_out_t *out);
/*  A checkpoint note about to come with a receipt, checked ahead (while
 *  the receipt's envelope signature is verified on another thread,
 *  envelope_open_opts_t.overlap): when its signature verifies it is held
 *  (up to 16 such notes), so that witness_on_receipt takes it without
 *  verifying it again; what the receipts settled at the next
 *  witness_batch_end did not take is let go then.  Nothing else
 *  changes; a note that does not verify is left for witness_on_receipt
 *  to find (and alarm about). */
void witness_preverify (witness_t *self, const uint8_t *note, size_t len);
/*  Around the receipts of one drain, with nothing else of the witness's
 *  in between: a receipt whose checkpoint is the one the receipt before
 *  it was checked against and offered is not checked against the kept
 *  checkpoint and offered again (each proof is still verified and
 *  kept). */
void witness_batch_begin (witness_t *self);
void witness_batch_end (witness_t *self);
/*  A CHECKPOINT message from the uitvoerder (a push or an answer). */
void witness_on_checkpoint (witness_t *self, const Keten__CheckpointMessage *m, witness_out_t *out);
/*  Once a heartbeat while the link is up, at now_ms: a checkpoint seen
 *  that no answer has joined to the chain yet is asked about again (from
 *  its size to the kept one's, or from the kept one to it); one left
 *  unjoined for 10 minutes of asking raises the alarm. */
void witness_on_heartbeat (witness_t *self, uint64_t now_ms, witness_out_t *out);
/*  The CHECKPOINT message that says out (borrowing its note); false when
 *  there is nothing to send. */
bool witness_out_message (const witness_out_t *out, Keten__CheckpointMessage *m);
void witness_out_clear (witness_out_t *out);

/*  Status: newest verified checkpoint, pending, alarm (NULL, logged, when
 *  the witness tables cannot be read). */
json_t *witness_status (witness_t *self);
/*  `keten log verify` at a partner: every kept receipt's proof against its
 *  checkpoint, and every such checkpoint against the newest verified one,
 *  and whether it raised an alarm (NULL, logged, with reason when the
 *  receipts or the alarms cannot be read). */
json_t *witness_verify (witness_t *self, kt_reason_t *reason);
/*  Whether the witness raised an alarm: 1 yes, 0 no, -1 and reason when
 *  its alarms cannot be read (not known: never to be read as "none";
 *  a status names the witness unreadable, and nothing is asked). */
int witness_alarm_read (witness_t *self, kt_reason_t *reason);

/*  After an alarm the operator has looked into (a restored uitvoerder,
 *  docs/OPERATIONS.md, "A restored uitvoerder and the witnesses"): keep
 *  the tree of size and root, as the uitvoerder's operator named it out
 *  of band, as if verified, so that the next checkpoint must be proven to
 *  extend it.  The alarms, every receipt proof and every checkpoint seen
 *  before are set aside with the decision (who, why, what it replaced),
 *  so that nothing of the history given up is verified again and nothing
 *  of it is lost; refused when there is no alarm or the alarms cannot
 *  be read.  *result says what was done. */
int witness_reanchor (witness_t *self, uint64_t size, const uint8_t root[32], uint32_t uid,
                      const char *user, const char *why, json_t **result, kt_reason_t *reason);

#endif
