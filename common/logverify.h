/*  logverify: auditing a provenance log file from outside the daemon,
 *  read-only and in one snapshot, as `keten log verify` does (the daemon
 *  may be running and appending meanwhile).
 *
 *  Three steps: load what is stored (logfile.c), recompute the tree from
 *  the entries (merkle.c, numbered as the writer numbers it), and compare
 *  every stored interior hash, the arrival index and the stored head with
 *  the recomputation, naming the first index that disagrees.
 */
#ifndef KETEN_LOGVERIFY_H
#define KETEN_LOGVERIFY_H

#include "merkle.h"
#include "util.h"

#include <sqlite3.h>
#include <stdint.h>

/*  Recompute the whole tree of the log file at path, read-only (the
 *  daemon may be running; everything is read in one snapshot): indexes
 *  must run 0..n-1 without gaps, every stored leaf hash must be
 *  SHA-256(0x00 || entry), every entry must decode, arrivals must sit where
 *  the arrival index says, every stored interior hash must be the one
 *  recomputed, nothing may be indexed beyond the last entry, and the
 *  stored tree head (compact range) must equal the one recomputed.  On
 *  success *size_p and root hold the verified tree; on failure
 *  *bad_index_p names the first bad index (the first index of the
 *  smallest subtree that disagrees, or the size when only data beyond
 *  the entries or the stored head disagrees) and the reason says what is
 *  wrong.  A log cut back consistently to an earlier size (entries,
 *  interior hashes, arrival index and head) is a valid smaller log: only
 *  a checkpoint kept by someone else shows that it once was larger. */
int logverify_file (const char *path, uint64_t *size_p, uint8_t root[MERKLE_HASH_LEN],
                    uint64_t *bad_index_p, kt_reason_t *reason);
/*  logverify_file on an open connection to a log file (name for reasons).
 *  If db is in a read transaction already, verifies that transaction's
 *  snapshot; otherwise runs in a read transaction of its own. */
int logverify_db (sqlite3 *db, const char *name, uint64_t *size_p, uint8_t root[MERKLE_HASH_LEN],
                  uint64_t *bad_index_p, kt_reason_t *reason);

#endif
