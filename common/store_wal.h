/*  store_wal: the write-ahead log of each file store_open opened is
 *  checkpointed on a thread of its own, not inside the commit that takes
 *  it past 1,000 pages (docs/ARCHITECTURE.md, "Crash reasoning", rule 18).
 */
#ifndef KETEN_STORE_WAL_H
#define KETEN_STORE_WAL_H

#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>

/*  A log this many pages long is checkpointed (SQLite's own default size
 *  for its automatic checkpoint). */
#define STORE_WAL_PAGES 1000

/*  From now on db's commits ask the thread for a checkpoint instead of
 *  running SQLite's own (store_open). */
void store_wal_watch (sqlite3 *db);
/*  No more checkpoints of db: a running one is waited for, the thread's
 *  connection closed (store_close, before db itself is closed). */
void store_wal_unwatch (sqlite3 *db);
/*  Around a checkpoint on db's own connection that must run to its end
 *  (TRUNCATE): waits for a running one on the thread and keeps new ones
 *  off until released.  Calls nest. */
void store_wal_hold (sqlite3 *db);
void store_wal_release (sqlite3 *db);
/*  While on, a commit on db never checkpoints on the committing thread
 *  (the log far behind): a commit that does not wait for the disk is
 *  synced afterwards (store_sync_start), and a checkpoint's sync in
 *  between, on the loop's descriptor, could take a write-back error's
 *  report before the heal that must follow it.  The checkpoint thread,
 *  on its own descriptor, goes on. */
void store_wal_beside (sqlite3 *db, bool on);

#endif
