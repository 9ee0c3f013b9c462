/*  provlog: the uitvoerder's append-only provenance log (DESIGN section 7),
 *  a Merkle tree with RFC 9162 hashing whose leaves are packed LogEntry
 *  messages (ids, pseudonyms, commitments, actors, times - never personal
 *  data).  Entries live in a SQLite file of their own; the compact range
 *  (one hash per set bit of the size) is stored beside them after every
 *  append, so a restart reads one row instead of replaying the log.
 */
#ifndef KETEN_PROVLOG_H
#define KETEN_PROVLOG_H

#include "keten.pb-c.h"
#include "util.h"

#include <sqlite3.h>
#include <stdint.h>

typedef struct _provlog_t provlog_t;

provlog_t *provlog_open (const char *path, kt_reason_t *reason);
void provlog_destroy (provlog_t **self_p);

/*  Start a batch of appends; entries become durable together at commit. */
int provlog_begin (provlog_t *self, kt_reason_t *reason);
/*  Append one entry; *index_p receives its log index. */
int provlog_append (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                    kt_reason_t *reason);
/*  Append a MESSAGE_RECEIVED entry once per message id: when the id was
 *  logged before (its business commit did not happen), *index_p receives
 *  that entry's index and nothing is appended. */
int provlog_append_received (provlog_t *self, const Keten__LogEntry *entry, uint64_t *index_p,
                             kt_reason_t *reason);
int provlog_commit (provlog_t *self, kt_reason_t *reason);
void provlog_rollback (provlog_t *self);

/*  Recompute the whole tree of the log file at path, read-only (the
 *  daemon may be running): indexes must run 0..n-1 without gaps, every
 *  stored leaf hash must be SHA-256(0x00 || entry), every entry must
 *  decode, and the stored tree head (compact range) must equal the one
 *  recomputed.  On success *size_p and root hold the verified tree; on
 *  failure *bad_index_p names the first bad index (or the size, when only
 *  the stored head disagrees) and the reason says what is wrong. */
int provlog_verify (const char *path, uint64_t *size_p, uint8_t root[32], uint64_t *bad_index_p,
                    kt_reason_t *reason);

uint64_t provlog_size (const provlog_t *self);
void provlog_root (const provlog_t *self, uint8_t root[32]);

#endif
