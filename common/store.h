/*  store: open a node's SQLite file with the pragmas keten relies on (WAL,
 *  synchronous=FULL so a commit is on disk before a receipt leaves, secure
 *  deletes) and bring its schema up to date with numbered migrations kept
 *  in code next to the module that owns the tables (docs/ARCHITECTURE.md,
 *  "Conventions", rule 7).
 */
#ifndef KETEN_STORE_H
#define KETEN_STORE_H

#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  How long a write waits for a lock another process holds on the file. */
#define STORE_BUSY_TIMEOUT_MS 250

/*  Before SQLite's first use in a process (ketend's main): settings that
 *  SQLite takes only then. */
void store_setup (void);

sqlite3 *store_open (const char *path, kt_reason_t *reason);
/*  store_open for a file whose COMMIT or log sync may run on the helper
 *  thread while the loop goes on (store_commit_start, store_sync_start):
 *  its connection serialises its users, so any use of it while the
 *  thread runs a COMMIT (or syncs a log that has no descriptor of its
 *  own) waits for the thread instead of racing it.  A little slower per
 *  call, so only where it pays. */
sqlite3 *store_open_shared (const char *path, kt_reason_t *reason);
/*  An existing file opened to read only (ketend --check): no pragma, no
 *  migration, nothing written to it, and no checkpoint at its close.
 *  SQLite may make its -wal and -shm files when they are missing (a
 *  stopped node's), as any reader of a WAL file does; they hold nothing. */
sqlite3 *store_open_readonly (const char *path, kt_reason_t *reason);
/*  Bring module's tables up to date: migrations[i] takes them from version
 *  i to i + 1, each in its own transaction, recorded per module in the
 *  schema_version table (several modules may share a file, as the outbox
 *  and the business tables must, to change them in one transaction).  A
 *  schema newer than the code is refused. */
int store_migrate (sqlite3 *db, const char *module, const char *const *migrations,
                   size_t n_migrations, kt_reason_t *reason);
/*  The schema version this build brings module's tables to (0: a module
 *  it does not know). */
size_t store_schema_known (const char *module);
/*  Whether a file's schema versions, opened read only, are all ones this
 *  build knows: -1 and a reason naming the file, the module, its version
 *  and the way back (the newest pre-migration copy, else a backup) when
 *  a newer release migrated it (or, for _file, when it cannot be read).
 *  A file without schema versions passes.  _dir: every *.db file
 *  directly in dir (none, or no dir: 0); one that cannot be read is
 *  logged and passes (the start that opens it says why). */
int store_schema_check_file (const char *path, kt_reason_t *reason);
int store_schema_check_dir (const char *dir, kt_reason_t *reason);
/*  Whether store_migrate or a check above refused a newer schema in this
 *  process: a configuration refusal (ketend exits 78), as restarting the
 *  same ketend meets it again. */
bool store_schema_newer_seen (void);
/*  The object of a module that owns tables in db: size bytes, zeroed
 *  (the caller frees it, or its _destroy does), returned once db holds
 *  the module's tables at their newest version (store_migrate).  NULL and
 *  reason when memory or a migration fails; nothing is left to free. */
void *store_module_new (size_t size, sqlite3 *db, const char *module, const char *const *migrations,
                        size_t n_migrations, kt_reason_t *reason);
/*  A static array of migrations as store_module_new's two arguments. */
#define STORE_MIGRATIONS(m) (m), (sizeof (m) / sizeof (m)[0])
void store_close (sqlite3 **db_p);

/*  Storage health, for the node's status: a database file whose last
 *  write met a failure about storage (a full disk, an I/O error, a file
 *  locked by another process past the busy timeout, a read-only or
 *  damaged file) is failing until a commit on it succeeds; after a
 *  failure to write pages (full, I/O error, read-only) only a commit or
 *  a write outside a transaction that changed rows counts (a commit of
 *  nothing writes no page and proves nothing), and after a full disk
 *  only once its file system has room again besides (statvfs: twice the
 *  pages a log takes before its checkpoint free, 8 MB; asked only then,
 *  at most once a second, so such a failure ends with the first commit
 *  that finds the room, once one that changed rows succeeded); the store
 *  functions note every failure they see.  Whether any file is failing:
 *  then *what (SQLite's generic text for the error, never a path or
 *  data) and *since_ms (the earliest such file's first failure) are set. */
void store_health_note (sqlite3 *db, int code);
bool store_health_failing (const char **what, uint64_t *since_ms);
/*  The same, and *file the name of that earliest failing file in its
 *  directory ("weegploeg.db": never the path), so the status can say
 *  which one it is ("" when SQLite does not know it). */
bool store_health_failing_file (const char **what, const char **file, uint64_t *since_ms);
/*  Whether db takes no writes until the process ends: a failed sync of
 *  its committed log could not be healed (docs/ARCHITECTURE.md, rule 19).
 *  Then *what is SQLite's text for the disk's error. */
bool store_writes_stopped (sqlite3 *db, const char **what);

/*  BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Return 0 or -1 with reason. */
int store_begin (sqlite3 *db, kt_reason_t *reason);
int store_commit (sqlite3 *db, kt_reason_t *reason);
void store_rollback (sqlite3 *db);
/*  store_commit in two halves, the COMMIT (and its fdatasync) running on a
 *  thread of its own in between, so that the caller can commit another
 *  file meanwhile: two durable waits overlap.  Nothing may use db between
 *  the two calls; one such commit at a time in the process.  After a
 *  failed store_commit_wait the transaction may still be open: roll it
 *  back. */
int store_commit_start (sqlite3 *db, kt_reason_t *reason);
int store_commit_wait (sqlite3 *db, kt_reason_t *reason);
/*  store_begin and store_commit of another kind, for a file of
 *  store_open_shared's: store_commit_written commits a transaction begun
 *  by store_begin_written without waiting for the disk (its pages are in
 *  the file's write-ahead log, seen by every reader, and survive the
 *  process but not the machine); store_sync_start then makes the log
 *  durable on the helper thread, and store_commit_wait waits for that.
 *  In between the caller may act on what it committed (send it) but must
 *  answer no one for whom it has to be on disk.  It may go on using db
 *  meanwhile (the sync runs on the log's own descriptor, without db's
 *  mutex): what it commits without waiting lies behind the synced commit
 *  in the log, and a commit that waits for the disk waits for that sync
 *  and fails with it until the log is healed.
 *  Such a transaction that fails is ended with store_rollback_written; a failed
 *  store_commit_written was rolled back; a failed store_commit_wait
 *  leaves the commit in place but not known durable. */
int store_begin_written (sqlite3 *db, kt_reason_t *reason);
int store_commit_written (sqlite3 *db, kt_reason_t *reason);
void store_rollback_written (sqlite3 *db);
/*  Every byte of db's write-ahead log written anew and synced: what a
 *  failed sync of an earlier run may have left unwritten (the kernel
 *  keeps such pages marked clean) reaches the disk before anything is
 *  chained to it.  0, or -1 with reason. */
int store_log_rewrite (sqlite3 *db, kt_reason_t *reason);
/*  Whether db can be committed by store_commit_written and synced by
 *  store_sync_start: a connection with a mutex, in WAL mode. */
bool store_syncs_beside (sqlite3 *db);
/*  0: syncing beside; 1: the helper thread could not take it, and the
 *  log was synced on the caller's thread; -1: that sync failed.  A sync
 *  that fails (here or at store_commit_wait) is healed by writing the
 *  whole log anew and syncing it (store_log_rewrite), which makes the
 *  commit durable after all (success, storage_failing until the next
 *  good commit); if that fails too, the file takes no more writes until
 *  the process restarts (-1, storage_failing meanwhile). */
int store_sync_start (sqlite3 *db, kt_reason_t *reason);
/*  An eventfd that becomes readable whenever a commit on the helper
 *  thread has ended (for the event loop to wait on; the caller reads it
 *  empty), or -1 with a reason.  Kept until exit. */
int store_commit_fd (kt_reason_t *reason);
/*  Whether the commit started on db has ended: store_commit_wait will
 *  not wait. */
bool store_commit_ended (sqlite3 *db);

/*  Run one statement without results. */
int store_exec (sqlite3 *db, const char *sql, kt_reason_t *reason);

/*  PRAGMA wal_checkpoint(TRUNCATE): every page in the file, the -wal cut
 *  to nothing.  A checkpoint a reader (an operator's sqlite3, a backup)
 *  kept from finishing is a failure naming what (the file), so a caller
 *  that relies on the old pages being gone does not go on. */
int store_checkpoint (sqlite3 *db, const char *what, kt_reason_t *reason);
/*  PRAGMA wal_checkpoint(TRUNCATE) on db's own connection, waiting as the
 *  connection's busy timeout says, with the checkpoint thread held off
 *  (store_wal.h): *busy (when not NULL) says whether a reader kept it from
 *  finishing.  Every TRUNCATE that must empty the -wal runs through here:
 *  run with store_exec, it would find the thread's checkpoint in its way
 *  now and then and silently do nothing. */
int store_wal_truncate (sqlite3 *db, bool *busy, const char *what, kt_reason_t *reason);
/*  Prepare with a reason on failure (a failure here is a programming
 *  error in our SQL or a broken file). */
sqlite3_stmt *store_prepare (sqlite3 *db, const char *sql, kt_reason_t *reason);
/*  First column of a one-row query as an integer; fallback when no row
 *  (and when the query fails, which is logged: counts for status). */
int64_t store_int (sqlite3 *db, const char *sql, int64_t fallback);

/*  ---- One way to run a query ----------------------------------------
 *  Every store runs its SQL through these, in the shape of sqlite3_exec:
 *  the caller binds, a callback takes each row.  A failed prepare, bind
 *  or step is -1 with a reason that names what the statement was for
 *  (`what`, e.g. "list the decisions"), never an empty result. */

/*  Fill a statement's parameters; 0 or -1 with reason. */
typedef int (store_bind_fn) (sqlite3_stmt *stmt, void *arg, kt_reason_t *reason);
/*  Take one row: 0 go on, 1 stop (not an error), -1 error with reason. */
typedef int (store_row_fn) (sqlite3_stmt *row, void *arg, kt_reason_t *reason);

/*  A parameter value for store_bind_values; a list of them ends with
 *  STORE_END.  Text and blobs are borrowed for the call; a NULL text
 *  binds SQL NULL. */
typedef struct {
    int type; /* SQLITE_INTEGER, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL; 0 ends */
    int64_t num;
    const void *ptr;
    size_t len;
} store_value_t;

#define STORE_INT(v) ((store_value_t){.type = SQLITE_INTEGER, .num = (int64_t) (v)})
#define STORE_TEXT(s) ((store_value_t){.type = SQLITE_TEXT, .ptr = (s)})
/*  n bytes of text, not NUL-terminated. */
#define STORE_TEXT_N(s, n) ((store_value_t){.type = SQLITE_TEXT, .ptr = (s), .num = 1, .len = (n)})
#define STORE_BLOB(p, n) ((store_value_t){.type = SQLITE_BLOB, .ptr = (p), .len = (size_t) (n)})
#define STORE_NULL ((store_value_t){.type = SQLITE_NULL})
#define STORE_END ((store_value_t){.type = 0})
/*  The parameter list of a call, e.g. STORE_VALUES (STORE_TEXT (ref), STORE_INT (n)). */
#define STORE_VALUES(...) ((const store_value_t[]){__VA_ARGS__, STORE_END})

/*  A store_bind_fn binding arg, a STORE_END-terminated store_value_t
 *  array, to parameters 1, 2, ... */
int store_bind_values (sqlite3_stmt *stmt, void *arg, kt_reason_t *reason);
/*  The same for the first n values of v (no STORE_END needed). */
int store_bind_n (sqlite3_stmt *stmt, const store_value_t *v, size_t n, kt_reason_t *reason);

/*  Prepare sql, bind it (bind may be NULL), call row for each row (row
 *  may be NULL: a statement without results).  On a file from store_open
 *  the prepared statement is kept for the next call with the same text.  Returns 0 when every row
 *  was taken or row stopped, -1 with reason on any failure. */
int store_each (sqlite3 *db, const char *sql, store_bind_fn *bind, void *bind_arg,
                store_row_fn *row, void *row_arg, const char *what, kt_reason_t *reason);
/*  The same on a statement prepared once (store_prepare), reset before
 *  and after, so a store may keep its hot statements. */
int store_each_stmt (sqlite3_stmt *stmt, store_bind_fn *bind, void *bind_arg, store_row_fn *row,
                     void *row_arg, const char *what, kt_reason_t *reason);

/*  store_each with values: a one-row lookup.  Returns 1 when a row was
 *  found (row called on it; it may return -1 to refuse it), 0 when none,
 *  -1 with reason on failure. */
/*  Whether db has a table of this name (a module that may not have made
 *  its tables in this file): 1, 0, or -1 with reason. */
int store_has_table (sqlite3 *db, const char *name, kt_reason_t *reason);
int store_one (sqlite3 *db, const char *sql, const store_value_t *values, store_row_fn *row,
               void *row_arg, const char *what, kt_reason_t *reason);
/*  Run a statement without results with values bound.  Returns the
 *  number of rows it changed, or -1 with reason. */
int store_run (sqlite3 *db, const char *sql, const store_value_t *values, const char *what,
               kt_reason_t *reason);
/*  store_run of each of n statements with the same values, in order (a
 *  destruction's DELETEs, inside the caller's transaction): 0, or -1 at
 *  the first that fails. */
int store_run_all (sqlite3 *db, const char *const *sql, size_t n, const store_value_t *values,
                   const char *what, kt_reason_t *reason);
/*  Whether commits on db wait for the disk (synchronous=FULL, every
 *  file's default) or not (NORMAL: durable with the next commit that
 *  waits).  Set back to waiting right after the commit that did not. */
int store_sync (sqlite3 *db, bool wait, kt_reason_t *reason);
/*  Whether a commit on db waits for the disk now (store_sync). */
bool store_commits_wait (sqlite3 *db);
/*  store_run for a row that is a cache, whose loss in a power failure
 *  is harmless because it can be made again from what is durable (a
 *  signed checkpoint of a log that is on disk): committed without waiting
 *  for the disk, durable with the next commit on db that waits.  Only
 *  outside a transaction. */
int store_run_cached (sqlite3 *db, const char *sql, const store_value_t *values, const char *what,
                      kt_reason_t *reason);
/*  The same on a statement prepared once. */
int store_run_stmt (sqlite3_stmt *stmt, const store_value_t *values, const char *what,
                    kt_reason_t *reason);

/*  ---- Many rows of one shape in few statements ----------------------
 *  A group commit's rows of one table, added one at a time and inserted
 *  together (store_rows.c): "INSERT ... VALUES (...), (...), ..." of 64,
 *  16, 4 or 1 rows, each size prepared once and kept.  SQLite's cost per
 *  statement is paid a few times per group, not once per row (issue #17).
 *  insert is the statement without its VALUES ("INSERT INTO t (a, b)"),
 *  n_cols its columns. */
typedef struct _store_rows_t store_rows_t;
store_rows_t *store_rows_new (sqlite3 *db, const char *insert, int n_cols, kt_reason_t *reason);
void store_rows_destroy (store_rows_t **self_p);
/*  One row: n_cols values, STORE_END-terminated as for store_run; text
 *  and blobs are copied.  -1 with reason when out of memory or when the
 *  count is wrong (nothing added). */
int store_rows_add (store_rows_t *self, const store_value_t *values, kt_reason_t *reason);
size_t store_rows_count (const store_rows_t *self);
/*  Every row added, inserted in the caller's transaction in the order
 *  added; then none is left, whatever the outcome.  -1 with a reason
 *  naming what (as store_run's) when a statement fails: the caller rolls
 *  its transaction back, as after a failed single INSERT. */
int store_rows_flush (store_rows_t *self, const char *what, kt_reason_t *reason);
/*  The rows added and not flushed let go (after a rollback). */
void store_rows_clear (store_rows_t *self);

/*  "a,b,c" of n strings into buf (cut at len): the clear list columns
 *  (participants, criteria, kinds of data) that stores keep beside a
 *  sealed body. */
void store_join (char *buf, size_t len, const char *const *items, size_t n);

/*  Take column 0 of a row as text: 0 go on, 1 stop, -1 error with reason. */
typedef int (store_text_fn) (void *arg, const char *text, kt_reason_t *reason);
/*  store_each over a one-column query (ids, case_refs), each to fn. */
int store_each_text (sqlite3 *db, const char *sql, const store_value_t *values, store_text_fn *fn,
                     void *arg, const char *what, kt_reason_t *reason);

/*  Row helpers for the columns every store reads: a column's text ("" for
 *  NULL), and whether a blob column holds exactly len bytes. */
const char *store_text (sqlite3_stmt *row, int col);
bool store_blob_is (sqlite3_stmt *row, int col, size_t len);

#endif
