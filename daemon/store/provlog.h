/*  provlog: the uitvoerder's append-only provenance log (docs/PROTOCOL.md,
 *  "Provenance log file"), a Merkle tree with RFC 9162 hashing whose
 *  leaves are packed LogEntry messages (ids, pseudonyms, commitments,
 *  actors, times - never personal data).  Entries live in a SQLite file of
 *  their own, beside:
 *  - the compact range (one hash per set bit of the size), so a restart
 *    reads one row instead of replaying the log;
 *  - the hash of every complete interior subtree, written in the append's
 *    transaction, so that an inclusion or consistency proof reads
 *    O(log n) rows instead of O(n) leaves.
 *  Opening refuses a file whose stored head does not fit its entries; it
 *  never repairs one (`keten log verify` says what is wrong).  Reading the
 *  file without writing it (the loaders, logverify_file, logfile_scan)
 *  lives in common/logfile.h and common/logverify.h, so that the client
 *  needs none of the daemon.
 */
#ifndef KETEN_PROVLOG_H
#define KETEN_PROVLOG_H

#include "keten.pb-c.h"
#include "merkle.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _provlog_t provlog_t;

/*  Open (or create) the log at path.  Refuses, with a reason naming the
 *  file and the problem, a log whose stored tree head (size, compact
 *  range, interior hashes) does not match its entries. */
provlog_t *provlog_open (const char *path, kt_reason_t *reason);
void provlog_destroy (provlog_t **self_p);

/*  Start a batch of appends; entries become durable together at commit. */
int provlog_begin (provlog_t *self, kt_reason_t *reason);
/*  Append one entry; *index_p receives its log index. */
int provlog_append (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                    kt_reason_t *reason);
/*  Append a MESSAGE_RECEIVED entry once per message: when the same
 *  message (same id, header hash and sender) was logged before (its
 *  business commit did not happen), *index_p receives that entry's index
 *  and nothing is appended.  A different message under an id already
 *  logged is refused: returns 1 with a reason, nothing appended, and the
 *  batch may go on.  -1 on a storage error. */
int provlog_append_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                             kt_reason_t *reason);
/*  provlog_append_received in a batch of its own: begun, appended and
 *  committed, or rolled back.  0 (with *index_p), 1 when refused as
 *  provlog_append_received says, -1 on a storage error. */
int provlog_log_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                          kt_reason_t *reason);
/*  Append entry once under key (a string naming what it records, e.g.
 *  "delivered/ID/member"): when an entry was appended under key before,
 *  in any committed batch, nothing is appended.  Returns 0 when appended
 *  now, 1 when found, -1 on error; *index_p (may be NULL) receives the
 *  entry's index either way. */
int provlog_append_once (provlog_t *self, const char *key, const Keten__LogEntry *entry,
                         uint64_t *index_p, kt_reason_t *reason);
int provlog_commit (provlog_t *self, kt_reason_t *reason);
/*  provlog_commit in two halves (store_commit_start): between them the
 *  COMMIT and its fdatasync run on a thread of their own, and nothing
 *  may use the log.  Failed, the batch is rolled back. */
int provlog_commit_start (provlog_t *self, kt_reason_t *reason);
int provlog_commit_wait (provlog_t *self, kt_reason_t *reason);
void provlog_rollback (provlog_t *self);
/*  While owed, provlog_begin refuses: entries are owed for signals stored
 *  without them (logowed.h), and they must get the very indices they
 *  were stored under, so nothing else may be appended before them. */
void provlog_owe (provlog_t *self, bool owed);
bool provlog_owed (const provlog_t *self);
/*  One entry in a batch of its own: begin, append, commit (rolled back
 *  on failure).  once (may be NULL) appends it under that key, once, as
 *  provlog_append_once does.  index_p may be NULL. */
int provlog_append_one (provlog_t *self, const char *once, const Keten__LogEntry *entry,
                        uint64_t *index_p, kt_reason_t *reason);

/*  One entry found by provlog_each_event: borrowed for the call; 0 go
 *  on, 1 stop, -1 error with reason. */
typedef int (provlog_event_fn) (void *arg, uint64_t index, const Keten__LogEntry *entry,
                                kt_reason_t *reason);
/*  The committed entries of event with since_ms <= time_ms < until_ms,
 *  at most limit, newest first (or oldest first), ties by index; each to
 *  fn.  Uses an index on (event, time): a limited answer from a log of
 *  millions of entries reads only the rows it returns.  0, or -1 with
 *  reason (an entry that does not decode is an error). */
int provlog_each_event (provlog_t *self, Keten__LogEvent event, uint64_t since_ms,
                        uint64_t until_ms, bool newest_first, size_t limit, provlog_event_fn *fn,
                        void *arg, kt_reason_t *reason);

/*  Committed size and root. */
/*  The index of the entry that logged the arrival of message id: 1 (in
 *  *index_p), 0 when none did, -1 with reason. */
int provlog_received_index (provlog_t *self, const uint8_t id[KT_ID_LEN], uint64_t *index_p,
                            kt_reason_t *reason);
/*  The stored bytes of entry index (heap, free()), as its leaf hashes them. */
int provlog_entry_bytes (provlog_t *self, uint64_t index, uint8_t **data_p, size_t *len_p,
                         kt_reason_t *reason);

uint64_t provlog_size (const provlog_t *self);
void provlog_root (const provlog_t *self, uint8_t root[32]);

/*  Root of the tree of the first size entries (size <= provlog_size). */
int provlog_checkpoint_root (provlog_t *self, uint64_t size, uint8_t root[32], kt_reason_t *reason);
/*  RFC 9162 inclusion proof of entry index in the tree of the first size
 *  entries (index < size <= provlog_size).  path needs room for
 *  MERKLE_MAX_PATH hashes; *n_path receives the count, leaf side first. */
int provlog_inclusion_proof (provlog_t *self, uint64_t index, uint64_t size,
                             uint8_t (*path)[MERKLE_HASH_LEN], size_t *n_path, kt_reason_t *reason);
/*  RFC 9162 consistency proof from the tree of old_size entries to that of
 *  new_size (old_size <= new_size <= provlog_size; empty when old_size is
 *  0 or equal to new_size).  proof needs room for MERKLE_MAX_PATH hashes. */
int provlog_consistency_proof (provlog_t *self, uint64_t old_size, uint64_t new_size,
                               uint8_t (*proof)[MERKLE_HASH_LEN], size_t *n_proof,
                               kt_reason_t *reason);
/*  Leaf hash of entry index (index < provlog_size). */
int provlog_leaf (provlog_t *self, uint64_t index, uint8_t leaf[MERKLE_HASH_LEN],
                  kt_reason_t *reason);

#endif
