/*  store_vfs: a commit's write-ahead log frames reach the file in two
 *  write calls, not two per page; what a commit wrote is in the file
 *  before another connection can see the commit, whether the commit
 *  waited for the disk or not; a transaction that spilled frames and
 *  rolled back leaves nothing behind; held frames read back whole; a
 *  failed write of held frames fails the transaction even where SQLite
 *  would have gone on after a statement's error; and a process that dies
 *  in the middle of a transaction, or right after a commit without
 *  closing, leaves a file whose commits are all there and whole; and one
 *  whose commit failed at its sync leaves that commit out.  Real files, a
 *  second connection through SQLite's own layer, a real child process.
 *  The write calls are counted by the kernel (/proc/self/io, syscw); a
 *  write is failed by a layer over SQLite's "unix" put in its place
 *  before the first file is opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store.h"
#include "store_vfs.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_dir[64];
static char s_path[128];

/*  SQLite's "unix" with a write into a write-ahead log that fails when
 *  asked: the next one longer than a frame (only store_vfs writes those:
 *  held frames), with SQLITE_FULL, as a full disk would. */
static sqlite3_vfs *s_unix;
static sqlite3_vfs s_fault_vfs;
static sqlite3_io_methods s_fault_methods;
static const sqlite3_io_methods *s_unix_methods;
static bool s_fail_next_run;
static int s_failed_runs;
/*  The next sync of a write-ahead log fails, as an I/O error would. */
static bool s_fail_next_sync;
/*  The syncs of a write-ahead log asked of SQLite's layer so far. */
static int s_syncs;

static int
s_fault_sync (sqlite3_file *f, int flags)
{
    s_syncs++;
    if (s_fail_next_sync) {
        s_fail_next_sync = false;
        return SQLITE_IOERR_FSYNC;
    }
    return s_unix_methods->xSync (f, flags);
}

static int
s_fault_write (sqlite3_file *f, const void *buf, int amt, sqlite3_int64 at)
{
    if (s_fail_next_run && amt > 4096 + 24) {
        s_fail_next_run = false;
        s_failed_runs++;
        return SQLITE_FULL;
    }
    return s_unix_methods->xWrite (f, buf, amt, at);
}

static int
s_fault_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void) vfs;
    int rc = s_unix->xOpen (s_unix, name, f, flags, out);
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && f->pMethods) {
        if (!s_unix_methods) {
            s_unix_methods = f->pMethods;
            s_fault_methods = *f->pMethods;
            s_fault_methods.xWrite = s_fault_write;
            s_fault_methods.xSync = s_fault_sync;
        }
        f->pMethods = &s_fault_methods;
    }
    return rc;
}

static void
s_fault_install (void)
{
    s_unix = sqlite3_vfs_find ("unix");
    assert_non_null (s_unix);
    s_fault_vfs = *s_unix;
    s_fault_vfs.pNext = NULL;
    s_fault_vfs.xOpen = s_fault_open;
    assert_int_equal (sqlite3_vfs_register (&s_fault_vfs, 1), SQLITE_OK);
    assert_ptr_equal (sqlite3_vfs_find ("unix"), &s_fault_vfs);
}

static int
s_setup (void **state)
{
    (void) state;
    if (testutil_tmpdir (s_dir, sizeof s_dir, "store-vfs") != 0)
        return -1;
    snprintf (s_path, sizeof s_path, "%s/t.db", s_dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

/*  The write calls this process has made so far (all its threads). */
static long long
s_writes (void)
{
    FILE *f = fopen ("/proc/self/io", "r");
    assert_non_null (f);
    char line[128];
    long long n = -1;
    while (fgets (line, sizeof line, f))
        if (sscanf (line, "syscw: %lld", &n) == 1)
            break;
    fclose (f);
    assert_true (n >= 0);
    return n;
}

static void
s_exec (sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg ("%s: %s", sql, err ? err : sqlite3_errstr (rc));
}

/*  rows rows of about a page each, added in the transaction open; each
 *  row's body is its number repeated, so a reader can check it whole. */
static void
s_add (sqlite3 *db, int from, int rows)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
              " INSERT INTO t (id, body) SELECT i, printf('%%.3000c', char(65 + i %% 26))"
              " FROM n",
              from, from + rows - 1);
    s_exec (db, sql);
}

/*  A connection through SQLite's own layer, not this one. */
static sqlite3 *
s_plain (void)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (s_path, &db, SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
    return db;
}

static long long
s_int (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    long long v = sqlite3_column_int64 (q, 0);
    sqlite3_finalize (q);
    return v;
}

/*  db (or a second connection) holds exactly the rows 1..rows, each whole,
 *  and the file is sound. */
static void
s_check (sqlite3 *db, int rows)
{
    assert_int_equal (s_int (db, "SELECT count(*) FROM t"), rows);
    assert_int_equal (s_int (db, "SELECT count(*) FROM t WHERE length(body) = 3000 AND"
                                 " body = printf('%.3000c', char(65 + id % 26))"),
                      rows);
    if (rows > 0)
        assert_int_equal (s_int (db, "SELECT min(id) + max(id) FROM t"), 1 + rows);
    sqlite3_stmt *q = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    assert_string_equal ((const char *) sqlite3_column_text (q, 0), "ok");
    sqlite3_finalize (q);
}

static sqlite3 *
s_open (void)
{
    kt_reason_t reason;
    sqlite3 *db = store_open (s_path, &reason);
    assert_non_null (db);
    s_exec (db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    return db;
}

/*  The writes one commit of ten pages makes, on db. */
static long long
s_commit_writes (sqlite3 *db, int from)
{
    s_exec (db, "BEGIN");
    s_add (db, from, 10);
    long long before = s_writes ();
    s_exec (db, "COMMIT");
    return s_writes () - before;
}

static void
test_a_commit_is_written_in_two_calls (void **state)
{
    (void) state;
    assert_string_equal (store_vfs_name (), "keten");
    sqlite3 *db = s_open ();
    (void) s_commit_writes (db, 1); /* the log's own header written */
    long long held = s_commit_writes (db, 11);
    store_close (&db);

    /*  The same commit through SQLite's own layer: two calls per page.
     *  The count is the whole process's, so anything that writes for
     *  itself meanwhile (valgrind does) adds to both alike. */
    sqlite3 *plain = NULL;
    assert_int_equal (sqlite3_open_v2 (s_path, &plain, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
    s_exec (plain, "PRAGMA synchronous=FULL");
    long long own = s_commit_writes (plain, 21);
    s_check (plain, 30);
    sqlite3_close (plain);
    /*  Ten pages and the table's interior page: 22 calls, against the held
     *  frames with the commit frame's header, then its page. */
    assert_true (own >= 22);
    assert_true (held <= own - 20);
}

static void
test_a_commit_is_in_the_file_before_it_is_seen (void **state)
{
    (void) state;
    sqlite3 *db = s_open ();
    sqlite3 *plain = s_plain ();
    kt_reason_t reason;
    /*  Waiting for the disk, and not (synced beside the loop later). */
    for (int wait = 1, at = 1; wait >= 0; wait--, at += 10) {
        assert_int_equal (store_sync (db, wait == 1, &reason), 0);
        (void) s_commit_writes (db, at);
        s_check (plain, at + 9);
    }
    sqlite3_close (plain);
    store_close (&db);
}

static void
test_spilled_frames_rolled_back_leave_nothing (void **state)
{
    (void) state;
    sqlite3 *db = s_open ();
    s_exec (db, "BEGIN");
    s_add (db, 1, 5);
    s_exec (db, "COMMIT");
    /*  A page cache of 20 pages: 200 rows spill to the log mid-transaction,
     *  more than the layer holds at once. */
    s_exec (db, "PRAGMA cache_size=20");
    s_exec (db, "BEGIN");
    s_add (db, 6, 200);
    s_check (db, 205); /* the held frames read back whole */
    s_exec (db, "ROLLBACK");
    s_check (db, 5);
    /*  The next transaction spills too and commits, over the frames the
     *  rolled-back one left. */
    s_exec (db, "BEGIN");
    s_add (db, 6, 150);
    s_exec (db, "COMMIT");
    s_check (db, 155);
    sqlite3 *plain = s_plain ();
    s_check (plain, 155);
    sqlite3_close (plain);
    store_close (&db);
    /*  Opened again (the log replayed): the same. */
    plain = s_plain ();
    s_check (plain, 155);
    sqlite3_close (plain);
}

/*  u sound, with rows rows. */
static void
s_check_u (sqlite3 *db, int rows)
{
    assert_int_equal (s_int (db, "SELECT count(*) FROM u"), rows);
    sqlite3_stmt *q = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    assert_string_equal ((const char *) sqlite3_column_text (q, 0), "ok");
    sqlite3_finalize (q);
}

static void
test_held_frames_read_back_and_a_failed_write_fails_the_transaction (void **state)
{
    (void) state;
    sqlite3 *db = s_open ();
    s_exec (db, "CREATE TABLE u (id INTEGER PRIMARY KEY, n INTEGER UNIQUE, v BLOB)");
    /*  A transaction larger than the page cache: its pages spill to the
     *  log as it goes, the last of them held. */
    s_exec (db, "PRAGMA cache_size=20");
    s_exec (db, "BEGIN");
    s_exec (db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400)"
                " INSERT INTO u SELECT i, i, zeroblob(1500) FROM c");
    /*  The held frames' write fails, met by an UPDATE that may abort
     *  halfway and first reads the last rows, on held pages: SQLite would
     *  roll back only that statement and go on.  Whatever follows, the transaction must not commit
     *  without the frames that were lost. */
    s_fail_next_run = true;
    int failed = s_failed_runs;
    int rc = sqlite3_exec (db,
                           "UPDATE u SET n = n + 100000 WHERE id IN"
                           " (SELECT id FROM u ORDER BY id DESC LIMIT 100)",
                           NULL, NULL, NULL);
    for (int from = 401; rc == SQLITE_OK && from < 2000; from += 100) {
        char sql[256];
        snprintf (sql, sizeof sql,
                  "WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM c WHERE i < %d)"
                  " INSERT INTO u SELECT i, i, zeroblob(1500) FROM c",
                  from, from + 99);
        rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    }
    assert_int_equal (s_failed_runs, failed + 1);
    assert_int_not_equal (rc, SQLITE_OK);
    if (!sqlite3_get_autocommit (db)) {
        /*  Still in the transaction: it goes on, and tries to commit. */
        (void) sqlite3_exec (db, "INSERT INTO u VALUES (5000, 5000, x'00')", NULL, NULL, NULL);
        if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            (void) sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    }
    assert_true (sqlite3_get_autocommit (db));
    s_check_u (db, 0);
    sqlite3 *plain = s_plain ();
    s_check_u (plain, 0);
    sqlite3_close (plain);
    /*  And the file takes the next transaction as ever. */
    s_exec (db, "INSERT INTO u VALUES (1, 1, x'01')");
    store_close (&db);
    plain = s_plain ();
    s_check_u (plain, 1);
    sqlite3_close (plain);
}

/*  In a child process: the file opened, rows 1..rows committed, with a
 *  cache of 20 pages (so a larger transaction spills frames to the log
 *  before its commit); the connection, or the child exits. */
static sqlite3 *
s_child_committed (int rows)
{
    kt_reason_t reason;
    sqlite3 *db = store_open (s_path, &reason);
    if (!db || sqlite3_exec (db,
                             "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY,"
                             " body TEXT NOT NULL); PRAGMA cache_size=20",
                             NULL, NULL, NULL) != SQLITE_OK)
        _exit (2);
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    s_add (db, 1, rows);
    if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        _exit (3);
    return db;
}

/*  What a child does before it is killed: with rows and how, then a byte
 *  written to ready; it exits with the number of a step that failed. */
typedef void (child_fn) (int rows, int how, int ready);

/*  A child runs body and is killed where it says it is ready (SIGKILL,
 *  from this process: nothing closed). */
static void
s_killed_child (child_fn *body, int rows, int how)
{
    int ready[2];
    assert_int_equal (pipe (ready), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (ready[0]);
        body (rows, how, ready[1]);
        _exit (1);
    }
    close (ready[1]);
    char got = 0;
    ssize_t n = read (ready[0], &got, 1);
    close (ready[0]);
    assert_int_equal (kill (pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    if (n != 1 && WIFEXITED (status))
        fail_msg ("the child stopped at step %d", WEXITSTATUS (status));
    assert_int_equal (n, 1);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);
}

/*  Ready, then waiting to be killed. */
static void
s_child_ready (int ready)
{
    char one = 1;
    if (write (ready, &one, 1) != 1)
        _exit (9);
    for (;;)
        pause ();
}

/*  A child commits rows 1..rows, then begins another transaction that
 *  spills frames and is killed there; with commit, right after
 *  committing. */
static void
s_child_dies (int rows, int commit, int ready)
{
    sqlite3 *db = s_child_committed (rows);
    if (!commit) {
        sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
        s_add (db, rows + 1, 100);
    }
    s_child_ready (ready);
}

/*  Where the log's sync fails, in a child that commits rows 1..rows and
 *  then 100 rows more (a transaction of about 75 pages, spilled to the
 *  log before its commit with a cache of 20 pages). */
typedef enum {
    SYNC_FAILS_IN_COMMIT,       /* the commit's own sync (synchronous=FULL) */
    SYNC_FAILS_AFTER_RESTART,   /* the same, the log begun again just before */
    SYNC_FAILS_MID_TRANSACTION, /* a sync from outside, before the commit */
    SYNC_FAILS_AFTER_COMMIT,    /* the log's sync after a commit that did
                                   not wait (rule 19's helper thread) */
    SYNC_FAILS_AFTER_LAZY,      /* the same, the commit told not to wait
                                   through this layer (store_sync), the
                                   log begun again before it */
} sync_fails_t;

/*  The log's own methods, as a helper thread syncs it. */
static int
s_log_sync (sqlite3 *db)
{
    sqlite3_file *log = NULL;
    if (sqlite3_file_control (db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK ||
        !log || !log->pMethods)
        return -1;
    s_fail_next_sync = true;
    return log->pMethods->xSync (log, SQLITE_SYNC_NORMAL);
}

/*  The child of s_sync_fails. */
static void
s_sync_fails_child (int rows, int how, int ready)
{
    sync_fails_t where = (sync_fails_t) how;
    sqlite3 *db = s_child_committed (rows);
    if (where == SYNC_FAILS_AFTER_RESTART &&
        sqlite3_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
        _exit (4);
    if (where == SYNC_FAILS_AFTER_COMMIT &&
        sqlite3_exec (db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
        _exit (5);
    kt_reason_t reason;
    if (where == SYNC_FAILS_AFTER_LAZY &&
        (sqlite3_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK ||
         store_sync (db, false, &reason) != 0))
        _exit (5);
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    s_add (db, rows + 1, 50);
    if (where == SYNC_FAILS_MID_TRANSACTION && s_log_sync (db) != SQLITE_IOERR_FSYNC)
        _exit (6);
    s_add (db, rows + 51, 50);
    bool fails = where == SYNC_FAILS_IN_COMMIT || where == SYNC_FAILS_AFTER_RESTART;
    s_fail_next_sync = fails;
    int rc = sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    if (rc != (fails ? SQLITE_IOERR_FSYNC : SQLITE_OK) || s_fail_next_sync)
        _exit (7);
    if ((where == SYNC_FAILS_AFTER_COMMIT || where == SYNC_FAILS_AFTER_LAZY) &&
        s_log_sync (db) != SQLITE_IOERR_FSYNC)
        _exit (8);
    s_child_ready (ready);
}

/*  A child as above killed (-9) without closing anything: the rows the
 *  next open finds. */
static long long
s_sync_fails (int rows, sync_fails_t where)
{
    s_killed_child (s_sync_fails_child, rows, (int) where);
    sqlite3 *plain = s_plain ();
    long long found = s_int (plain, "SELECT count(*) FROM t");
    s_check (plain, (int) found);
    sqlite3_close (plain);
    testutil_remove_db (s_path);
    return found;
}

/*  A commit that failed at its sync stays failed after the process dies:
 *  its frames, in the log but past the last commit in this process, must
 *  not be replayed by the next open; also when the log began again just
 *  before it.  A commit that succeeded stays, whatever a sync of its log
 *  said before it (nothing SQLite itself does; a sync from outside the
 *  transaction) or after it (rule 19 heals that). */
static void
test_a_commit_whose_sync_failed_does_not_come_back (void **state)
{
    (void) state;
    assert_int_equal (s_sync_fails (40, SYNC_FAILS_IN_COMMIT), 40);
    assert_int_equal (s_sync_fails (40, SYNC_FAILS_AFTER_RESTART), 40);
    assert_int_equal (s_sync_fails (40, SYNC_FAILS_MID_TRANSACTION), 140);
    assert_int_equal (s_sync_fails (40, SYNC_FAILS_AFTER_COMMIT), 140);
    assert_int_equal (s_sync_fails (40, SYNC_FAILS_AFTER_LAZY), 140);
}

/*  One transaction of rows rows from from, committed; the syncs of the
 *  log it made. */
static int
s_commit_syncs (sqlite3 *db, int from, int rows)
{
    int before = s_syncs;
    s_exec (db, "BEGIN");
    s_add (db, from, rows);
    s_exec (db, "COMMIT");
    return s_syncs - before;
}

/*  A connection told not to wait for the disk through this layer
 *  (store_sync; no PRAGMA, whose parse cost 5-6 µs at each change): its
 *  commits make no sync of the log, but every other sync SQLite makes
 *  under either setting is made: a checkpoint's, the header's of a log
 *  begun again (so that no frame of the log before can pass for one of
 *  the new).  A sync of the log after such a commit (store_sync_start's)
 *  is made.  Told to wait again, each commit syncs once. */
static void
test_a_commit_that_does_not_wait_makes_no_sync (void **state)
{
    (void) state;
    kt_reason_t reason;
    sqlite3 *db = s_open ();
    (void) s_commit_syncs (db, 1, 2); /* the log's own header written */
    assert_true (store_commits_wait (db));
    assert_int_equal (s_commit_syncs (db, 3, 2), 1);
    assert_int_equal (store_sync (db, false, &reason), 0);
    assert_false (store_commits_wait (db));
    assert_int_equal (s_int (db, "PRAGMA synchronous"), 2); /* not changed */
    for (int i = 0; i < 3; i++)
        assert_int_equal (s_commit_syncs (db, 5 + 2 * i, 2), 0);
    /*  A checkpoint syncs the log before it copies frames into the
     *  database file, under either setting (it holds the write lock). */
    int before = s_syncs;
    s_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_true (s_syncs - before >= 1);
    assert_int_equal (s_commit_syncs (db, 11, 2), 1); /* the new header's */
    assert_int_equal (s_commit_syncs (db, 13, 2), 0);
    sqlite3_file *log = NULL;
    assert_int_equal (sqlite3_file_control (db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log),
                      SQLITE_OK);
    before = s_syncs;
    assert_int_equal (log->pMethods->xSync (log, SQLITE_SYNC_NORMAL), SQLITE_OK);
    assert_int_equal (s_syncs - before, 1);
    assert_int_equal (store_sync (db, true, &reason), 0);
    assert_true (store_commits_wait (db));
    assert_int_equal (s_commit_syncs (db, 15, 2), 1);
    s_check (db, 16);
    store_close (&db);
}

static void
test_a_process_that_dies_leaves_its_commits_whole (void **state)
{
    (void) state;
    s_killed_child (s_child_dies, 40, false);
    sqlite3 *plain = s_plain ();
    s_check (plain, 40);
    sqlite3_close (plain);
    testutil_remove_db (s_path);
    s_killed_child (s_child_dies, 60, true);
    plain = s_plain ();
    s_check (plain, 60);
    sqlite3_close (plain);
}

int
main (void)
{
    s_fault_install ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_commit_is_written_in_two_calls, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_commit_is_in_the_file_before_it_is_seen, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_spilled_frames_rolled_back_leave_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_held_frames_read_back_and_a_failed_write_fails_the_transaction, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_process_that_dies_leaves_its_commits_whole, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_commit_whose_sync_failed_does_not_come_back,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_commit_that_does_not_wait_makes_no_sync, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
