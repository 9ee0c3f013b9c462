/*  logfile: reading the uitvoerder's provenance log file (the SQLite file
 *  daemon/store/provlog.c appends to) without writing it.  The daemon's
 *  writer and the `keten` client load the file through the same code, so
 *  that what the client checks is what the daemon wrote, read the same way.
 *
 *  The file (provlog.c owns its tables and migrations):
 *  - entry (idx, leaf, entry): the packed LogEntry messages and their
 *    leaf hashes, idx 0..size-1;
 *  - range (size, hashes): the stored tree head, the compact range of the
 *    committed size (one hash per set bit of the size, largest first);
 *  - node (id, hash): every complete interior subtree, numbered by
 *    logfile_node_id in the order appends complete them;
 *  - received (message_id, idx, header_hash, sender): the arrival index.
 *
 *  Nothing here trusts the file: loaders hand back what is stored, and the
 *  callers (provlog.c on open, logverify.c) compare it with what the
 *  entries give.
 */
#ifndef KETEN_LOGFILE_H
#define KETEN_LOGFILE_H

#include "keten.pb-c.h"
#include "merkle.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Open the log file at path read-only (never following a symlink), with
 *  the busy timeout the daemon's files use: the daemon may be appending.
 *  Close with sqlite3_close. */
sqlite3 *logfile_open (const char *path, kt_reason_t *reason);

/*  The row id in the node table of interior node (level >= 1, index),
 *  which covers entries [index << level, (index + 1) << level). */
int64_t logfile_node_id (int level, uint64_t index);

/*  Called for an interior node (level >= 1, index) that an append
 *  completes, with its row id in the node table and its hash; nonzero
 *  stops the append. */
typedef int (logfile_emit_fn) (void *arg, int64_t id, const uint8_t hash[MERKLE_HASH_LEN],
                               int level, uint64_t index);

/*  Append leaf to range; for every interior node the append completes,
 *  call emit (when not NULL) with its id and hash, lowest level first -
 *  the order in which their ids are numbered.  The writer stores what is
 *  emitted, the verifier compares it: one numbering for both.  -1 when
 *  emit fails (range is then left unchanged), else 0. */
int logfile_range_append (merkle_range_t *range, const uint8_t leaf[MERKLE_HASH_LEN],
                          logfile_emit_fn *emit, void *arg);

/*  The stored tree head as it is in the file.  range is filled only when
 *  the head is well formed (size >= 0 and one hash per set bit). */
typedef struct {
    bool present;
    bool well_formed;
    int64_t size;
    merkle_range_t range;
} logfile_head_t;

/*  Read the stored tree head of the file open at db (name for reasons). */
int logfile_head_load (sqlite3 *db, const char *name, logfile_head_t *head, kt_reason_t *reason);

/*  One stored entry as read: borrowed for the call of a logfile_entry_fn. */
typedef struct {
    int64_t idx;
    const uint8_t *leaf;
    size_t leaf_len;
    const uint8_t *entry;
    size_t len;
} logfile_entry_t;

/*  Called per entry; nonzero (with a reason) stops the walk. */
typedef int (logfile_entry_fn) (void *arg, const logfile_entry_t *entry);

/*  Call fn for every stored entry, in index order, as stored (gaps and
 *  damage included: the caller decides what is wrong).  Returns 0 after
 *  the last entry, fn's nonzero value when fn stops the walk, or -1 with a
 *  reason when the entries cannot be read. */
int logfile_each_entry (sqlite3 *db, const char *name, logfile_entry_fn *fn, void *arg,
                        kt_reason_t *reason);

/*  Call fn for every entry of the log file at path, decoded, in order,
 *  read-only (the daemon may be running); entry is borrowed for the call.
 *  An entry that does not decode stops the scan with a reason. */
typedef void (logfile_scan_fn) (void *arg, uint64_t index, const Keten__LogEntry *entry);
int logfile_scan (const char *path, logfile_scan_fn *fn, void *arg, kt_reason_t *reason);

/*  The LogEvent named name, case-insensitively ("message_refused"):
 *  0 and *event, or -1 and a reason.  The unspecified value is not a
 *  name. */
int logfile_event_parse (const char *name, Keten__LogEvent *event, kt_reason_t *reason);
/*  Every event name, ", "-separated, into buf (cut at len); returns the
 *  length the whole list needs. */
size_t logfile_event_names (char *buf, size_t len);
/*  The name of event ("MESSAGE_REFUSED"), "UNKNOWN" for a value this
 *  build does not know. */
const char *logfile_event_name (Keten__LogEvent event);

/*  The stored interior hashes, read in id order alongside a recomputation
 *  (the order in which appends write them). */
typedef struct _logfile_nodes_t logfile_nodes_t;
/*  NULL when the file has none to compare yet: a log from before interior
 *  hashes (schema 3), or one the daemon has not opened since, whose hashes
 *  are computed at that open (node_backfill). */
logfile_nodes_t *logfile_nodes_new (sqlite3 *db);
void logfile_nodes_destroy (logfile_nodes_t **self_p);
/*  The next stored interior hash: true with its id and hash (borrowed
 *  until the next call; *len its length as stored), false when none is
 *  left or it cannot be read. */
bool logfile_nodes_next (logfile_nodes_t *self, int64_t *id, const uint8_t **hash, size_t *len);

/*  The arrival index: which entry records a message's arrival. */
typedef struct _logfile_arrivals_t logfile_arrivals_t;
/*  NULL when the file has no arrival index (made before it existed). */
logfile_arrivals_t *logfile_arrivals_new (sqlite3 *db);
void logfile_arrivals_destroy (logfile_arrivals_t **self_p);
/*  The arrival recorded for a message id.  header_hash and sender are
 *  NULL for rows from before schema 3 (and borrowed until the next call). */
typedef struct {
    uint64_t idx;
    bool has_sender_hash; /* false: a row from before schema 3 */
    const uint8_t *header_hash;
    size_t header_hash_len;
    const char *sender; /* NULL when not stored as text */
} logfile_arrival_t;
/*  true and *arrival filled when the message id is in the index. */
bool logfile_arrivals_find (logfile_arrivals_t *self, const uint8_t *message_id, size_t len,
                            logfile_arrival_t *arrival);
/*  The smallest index at or beyond size that the arrival index names:
 *  true and *idx filled when there is one. */
bool logfile_arrivals_beyond (logfile_arrivals_t *self, uint64_t size, int64_t *idx);

#endif
