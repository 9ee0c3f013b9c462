/*  logowed: provenance-log entries owed to signals the weegploeg file
 *  holds without them.
 *
 *  The uitvoerder commits a drain's MESSAGE_RECEIVED entries (log.db) and
 *  its signals (weegploeg.db) at the same time, so that a signal waits
 *  for one fdatasync there, not two in a row (docs/ARCHITECTURE.md,
 *  "Crash reasoning" 2).  A crash, or a log commit that fails, can then
 *  keep the signals and lose their entries.  Each signal row holds its
 *  entry as the log was to append it, and the index it was to get.  No
 *  receipt has gone out for them (receipts wait for both commits), and
 *  nothing else is appended before them (provlog_owe), so appended again
 *  in index order they land at exactly those indices, with the same leaf
 *  hashes.
 */
#ifndef KETEN_LOGOWED_H
#define KETEN_LOGOWED_H

#include "provlog.h"
#include "weegploeg.h"

/*  The most signals one lost log commit can leave: the largest drain any
 *  release made (4096 messages until NODE_DRAIN_MAX became 256), so that
 *  what an older release left is still put back after an upgrade. */
#define LOGOWED_MAX 4096

/*  Append every entry owed, in one commit: the number appended (0 when
 *  none was owed), or -1 with reason, the log then left owed (its
 *  provlog_begin refuses until a later call succeeds).  Only what a lost
 *  log commit leaves is owed: at most max signals of one drain (one
 *  arrival time), each holding its own entry, at the indices from the
 *  log's end on without a gap, each landing there.  Signals beyond the
 *  log's end that are anything else (a log restored from an older copy
 *  or replaced: the witnesses' alarm is the answer to that, not this)
 *  are not logged again: -2, reason naming the first such signal, and
 *  the log is not held. */
int logowed_catch_up (provlog_t *log, weegploeg_t *weegploeg, size_t max, kt_reason_t *reason);

#endif
