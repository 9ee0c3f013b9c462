/*  store_vfs: SQLite's own file layer with a write-ahead log's frames
 *  handed to the kernel in two writes per commit instead of two per page
 *  (docs/PERFORMANCE.md, "2026-12-06, sixth session"; the crash reasoning
 *  is in store_vfs.c).
 */
#ifndef KETEN_STORE_VFS_H
#define KETEN_STORE_VFS_H

#include <sqlite3.h>
#include <stdbool.h>

/*  The name to pass to sqlite3_open_v2, registered at the first call;
 *  NULL (SQLite's default) if it could not be. */
const char *store_vfs_name (void);

/*  Whether the commits of the connection whose database file is db_file
 *  (SQLITE_FCNTL_FILE_POINTER) wait for the disk: lazy, each commit's
 *  frames are written but its log is not synced, exactly as under
 *  synchronous=NORMAL, without a PRAGMA parsed at every change (issue
 *  #17; see s_log_sync).  0, or -1 when this layer did not open db_file
 *  (then the PRAGMA does it). */
int store_vfs_lazy (sqlite3_file *db_file, bool lazy);
/*  1 when lazy, 0 when not, -1 when this layer did not open db_file. */
int store_vfs_is_lazy (sqlite3_file *db_file);

/*  A descriptor of the write-ahead log log (SQLITE_FCNTL_JOURNAL_POINTER)
 *  of its own, for a sync on another thread that must not take the
 *  connection's mutex; -1 when there is none.  Opened at the first call,
 *  on the thread that uses log's connection; open as long as log is. */
int store_vfs_log_fd (sqlite3_file *log);
/*  gate is asked before every sync of a log this layer opened makes (on
 *  the thread that syncs, under its connection's mutex); what it returns
 *  other than SQLITE_OK fails that sync without making it. */
void store_vfs_sync_gate (int (*gate) (sqlite3_file *log));

#endif
