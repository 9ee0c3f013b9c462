/*  logproof: the uitvoerder's side of trusting the provenance log without
 *  trusting the uitvoerder (docs/PROTOCOL.md,
 *  "Checkpoints, proofs and witnesses").  It signs checkpoints (C2SP
 *  tlog-checkpoint) over the log's tree as it grows, keeps every one it
 *  signed in node.db with the witness cosignatures members send back, and
 *  makes the proofs: an inclusion proof for each receipt and a consistency
 *  proof between any two sizes a member asks about.
 */
#ifndef KETEN_LOGPROOF_H
#define KETEN_LOGPROOF_H

#include "keten.pb-c.h"
#include "keys.h"
#include "provlog.h"
#include "roster.h"
#include "util.h"

#include <stdbool.h>
#include <sqlite3.h>

typedef struct _logproof_t logproof_t;

/*  The checkpoint origin of a federation's log: "FEDERATION/log". */
void logproof_origin (char *out, size_t len, const char *federation);

/*  db (node.db), log and keys are borrowed. */
logproof_t *logproof_new (sqlite3 *db, provlog_t *log, const keys_secret_t *keys,
                          const char *federation, kt_reason_t *reason);
void logproof_destroy (logproof_t **self_p);

/*  The log's verifier key (C2SP signed-note vkey; its name is the
 *  checkpoint origin), for those who check the log from outside. */
int logproof_vkey (logproof_t *self, char *out, size_t len);
/*  The verifier key of federation's log when pk signs it: a peer
 *  uitvoerder's log key follows from the signing key and federation name
 *  its roster peering holds. */
int logproof_vkey_of (const char *federation, const uint8_t pk[32], char *out, size_t len);

/*  The signed checkpoint of the committed tree, signed now if the tree
 *  grew since the last one.  Borrowed; valid until the next call. */
const char *logproof_current (logproof_t *self, kt_reason_t *reason);

/*  A new checkpoint's row in node.db (a cache) is written when it is
 *  signed, unless the caller defers it: after logproof_defer, the next
 *  note signed is written by logproof_keep (or by anything that reads
 *  the table first), so the receipts carrying it can leave before its
 *  row is written.  logproof_keep also ends the deferral. */
void logproof_defer (logproof_t *self);
int logproof_keep (logproof_t *self, kt_reason_t *reason);

/*  A receipt's proof for entry index against the current checkpoint:
 *  fills r->checkpoint, r->leaf_hash and r->inclusion; storage is in
 *  proof (valid while it lives). */
typedef struct {
    uint8_t leaf[32];
    uint8_t path[64][32];
    ProtobufCBinaryData items[64];
} logproof_receipt_t;
int logproof_prove (logproof_t *self, uint64_t index, Keten__Receipt *r, logproof_receipt_t *proof,
                    kt_reason_t *reason);

/*  A checkpoint message for a member: the checkpoint of new_size with a
 *  consistency proof from old_size.  new_size must be the current size
 *  (signed now if not yet) or the size of a checkpoint signed before: an
 *  older size is never signed on demand, so requests cannot make the log
 *  sign arbitrarily many notes.  Fields point into store (valid while it
 *  lives; free note with logproof_message_clear; a failure leaves nothing). */
typedef struct {
    char *note;
    uint8_t proof[64][32];
    ProtobufCBinaryData items[64];
} logproof_message_t;
int logproof_message (logproof_t *self, uint64_t old_size, uint64_t new_size,
                      Keten__CheckpointMessage *msg, logproof_message_t *store,
                      kt_reason_t *reason);
void logproof_message_clear (logproof_message_t *store);

/*  A member's witness cosignature (the checkpoint note with its line
 *  appended): verified against the roster's politie and OM members'
 *  signing keys and merged into the stored checkpoint.  Only lines that
 *  are cosignatures of the stored checkpoint by those witnesses are
 *  merged; any other signature line is dropped.  witness receives who
 *  cosigned. */
int logproof_add_cosignature (logproof_t *self, const roster_t *roster, const char *note,
                              size_t len, char witness[65], kt_reason_t *reason);

/*  What logproof_check found. */
typedef struct {
    uint64_t checkpoints;    /* stored */
    uint64_t bad;            /* not signed by this log, or not over the tree as it is */
    uint64_t first_bad_size; /* when bad > 0 */
} logproof_check_t;
/*  Every stored checkpoint: signed by this log, and its root the root of
 *  the log's first size entries as they are now.  0, or -1 with reason
 *  when the checkpoints cannot be read. */
int logproof_check (logproof_t *self, logproof_check_t *check, kt_reason_t *reason);
/*  logproof_check in batches, so that a long log never holds the caller's
 *  loop: the next at most rows checkpoints above size *after_p (start
 *  with 0 and check zeroed), added to check; *after_p moves to the last
 *  size checked, and more says whether rows may remain.  Every row is
 *  checked as it is when its batch reads it. */
int logproof_check_batch (logproof_t *self, logproof_check_t *check, uint64_t *after_p, int rows,
                          bool *more_p, kt_reason_t *reason);

/*  One signed checkpoint; cosigners borrowed for the callback. */
typedef struct {
    uint64_t size;
    bool has_root;
    uint8_t root[32];
    uint64_t signed_ms;
    const char *cosigners; /* "a,b" */
} logproof_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (logproof_row_fn) (void *arg, const logproof_row_t *row, kt_reason_t *reason);
/*  The checkpoints signed, newest first, at most limit, each to fn. */
int logproof_each (logproof_t *self, int limit, logproof_row_fn *fn, void *arg,
                   kt_reason_t *reason);

#endif
