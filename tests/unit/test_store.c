/*  store: the one query loop every store runs its SQL through.  A failed
 *  prepare, bind or step is an error whose reason names what the query
 *  was for, never an empty result; a row callback may stop the loop or
 *  fail it; and no source file but common/store.c prepares a statement
 *  itself (the rule that keeps it the one loop).  The statements it keeps
 *  prepared take new values each time, are left reset, may run inside
 *  their own row loop, and are bounded in number.  store_rows inserts
 *  many rows in few statements: in order, each value as it was added,
 *  for any count, and a failure names what and keeps nothing.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store.h"
#include "store_wal.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static sqlite3 *
s_db (void)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    kt_reason_t reason;
    assert_int_equal (store_exec (db,
                                  "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                                  "INSERT INTO t (name) VALUES ('a'), ('b'), ('c');",
                                  &reason),
                      0);
    return db;
}

static int
s_count (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) row;
    (void) reason;
    (*(int *) arg)++;
    return 0;
}

/*  A file whose write failed for want of storage stays failing until a
 *  commit on it changed rows: a commit of nothing, a write that changed
 *  nothing, or changes rolled back prove nothing of the disk (a retention
 *  run with nothing due ended the alarm on a disk still full). */
static void
test_storage_failing_ends_only_with_a_change_committed (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    kt_reason_t reason;
    const char *what = NULL, *file = NULL;
    uint64_t since = 0;
    store_health_note (db, SQLITE_FULL);
    assert_true (store_health_failing_file (&what, &file, &since));
    assert_string_equal (what, "database or disk is full");
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_commit (db, &reason), 0);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (store_run (db, "DELETE FROM t WHERE id = 99", NULL, "drop", &reason), 0);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('x')", NULL, "add", &reason), 1);
    store_rollback (db);
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_commit (db, &reason), 0);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('y')", NULL, "add", &reason), 1);
    assert_int_equal (store_commit (db, &reason), 0);
    assert_false (store_health_failing (&what, &since));
    /*  A write outside a transaction that changed a row ends it too. */
    store_health_note (db, SQLITE_FULL);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (store_run (db, "DELETE FROM t WHERE name = 'y'", NULL, "drop", &reason), 1);
    assert_false (store_health_failing (&what, &since));
    /*  A lock held too long is gone with any commit: no page need be
     *  written to show it (a rarely written file would keep it for days). */
    store_health_note (db, SQLITE_BUSY);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_commit (db, &reason), 0);
    assert_false (store_health_failing (&what, &since));
    store_close (&db);
}

static void
test_each_takes_every_row (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    int n = 0;
    kt_reason_t reason;
    assert_int_equal (
        store_each (db, "SELECT name FROM t", NULL, NULL, s_count, &n, "count", &reason), 0);
    assert_int_equal (n, 3);
    sqlite3_close (db);
}

static void
test_failed_prepare_is_an_error_naming_the_query (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    int n = 0;
    kt_reason_t reason = {""};
    assert_int_equal (store_each (db, "SELECT name FROM no_such_table", NULL, NULL, s_count, &n,
                                  "list the names", &reason),
                      -1);
    assert_int_equal (n, 0);
    assert_non_null (strstr (reason.text, "cannot list the names"));
    assert_non_null (strstr (reason.text, "no_such_table"));
    sqlite3_close (db);
}

static void
test_failed_step_is_an_error_not_an_empty_result (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    kt_reason_t reason = {""};
    /*  A constraint fails at the step, after a clean prepare. */
    assert_int_equal (store_run (db, "INSERT INTO t (id, name) VALUES (?, ?)",
                                 STORE_VALUES (STORE_INT (1), STORE_TEXT ("again")), "store a name",
                                 &reason),
                      -1);
    assert_non_null (strstr (reason.text, "cannot store a name"));
    sqlite3_close (db);
}

static void
test_bind_out_of_range_is_an_error (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    kt_reason_t reason = {""};
    assert_int_equal (store_one (db, "SELECT name FROM t WHERE id=?",
                                 STORE_VALUES (STORE_INT (1), STORE_INT (2)), NULL, NULL,
                                 "find a name", &reason),
                      -1);
    assert_non_null (strstr (reason.text, "cannot find a name"));
    sqlite3_close (db);
}

static int
s_stop_at_second (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    (*(int *) arg)++;
    return sqlite3_column_int64 (row, 0) == 2 ? 1 : 0;
}

static int
s_refuse (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) row;
    (void) arg;
    return kt_fail (reason, "refused by the row");
}

static void
test_row_may_stop_or_fail_the_loop (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    int n = 0;
    kt_reason_t reason = {""};
    assert_int_equal (store_each (db, "SELECT id FROM t ORDER BY id", NULL, NULL, s_stop_at_second,
                                  &n, "walk", &reason),
                      0);
    assert_int_equal (n, 2);
    assert_int_equal (
        store_each (db, "SELECT id FROM t", NULL, NULL, s_refuse, NULL, "walk", &reason), -1);
    assert_string_equal (reason.text, "refused by the row");
    sqlite3_close (db);
}

static void
test_one_and_run_tell_found_and_changed (void **state)
{
    (void) state;
    sqlite3 *db = s_db ();
    kt_reason_t reason;
    assert_int_equal (store_one (db, "SELECT 1 FROM t WHERE name=?",
                                 STORE_VALUES (STORE_TEXT ("b")), NULL, NULL, "find", &reason),
                      1);
    assert_int_equal (store_one (db, "SELECT 1 FROM t WHERE name=?",
                                 STORE_VALUES (STORE_TEXT ("z")), NULL, NULL, "find", &reason),
                      0);
    assert_int_equal (store_run (db, "UPDATE t SET name='x' WHERE id > ?",
                                 STORE_VALUES (STORE_INT (1)), "rename", &reason),
                      2);
    char buf[16];
    store_join (buf, sizeof buf, (const char *const[]){"a", "b", "c"}, 3);
    assert_string_equal (buf, "a,b,c");
    sqlite3_close (db);
}

/*  Whether path (a C file) calls sqlite3_prepare itself. */
static bool
s_prepares (const char *path)
{
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char line[4096];
    bool found = false;
    while (!found && fgets (line, sizeof line, f))
        found = strstr (line, "sqlite3_prepare") != NULL;
    fclose (f);
    return found;
}

static void
s_scan (const char *dir, const char *rel, char *offenders, size_t len)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t n = strlen (e->d_name);
        if (n < 3 || strcmp (e->d_name + n - 2, ".c") != 0)
            continue;
        /*  The one loop itself. */
        if (strcmp (rel, "common") == 0 && strcmp (e->d_name, "store.c") == 0)
            continue;
        char path[8192];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        if (s_prepares (path)) {
            size_t o = strlen (offenders);
            snprintf (offenders + o, len - o, " %s/%s", rel, e->d_name);
        }
    }
    closedir (d);
}

static void
test_only_store_c_prepares_statements (void **state)
{
    (void) state;
    static const char *const dirs[] = {"common",      "daemon",         "daemon/store",
                                       "daemon/core", "daemon/partner", "daemon/uitvoerder"};
    char offenders[2048] = "";
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char dir[4096];
        snprintf (dir, sizeof dir, "%s/%s", KETEN_SOURCE_DIR, dirs[i]);
        s_scan (dir, dirs[i], offenders, sizeof offenders);
    }
    if (*offenders)
        fail_msg ("sqlite3_prepare outside common/store.c:%s", offenders);
}

/*  A fresh name for a database file, nothing there yet. */
static void
s_temp_path (char path[64])
{
    snprintf (path, 64, "/tmp/keten-test-store-XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    unlink (path);
}

/*  A file opened by store_open, with t as in s_db; *path to unlink. */
static sqlite3 *
s_kept_db (char path[64])
{
    s_temp_path (path);
    kt_reason_t reason;
    sqlite3 *db = store_open (path, &reason);
    assert_non_null (db);
    assert_int_equal (store_exec (db,
                                  "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                                  "INSERT INTO t (name) VALUES ('a'), ('b'), ('c');",
                                  &reason),
                      0);
    return db;
}

static void
s_kept_done (sqlite3 **db, const char *path)
{
    store_close (db);
    testutil_remove_db (path);
}

/*  statvfs as store.c sees it (linked with --wrap=statvfs): the real
 *  answer, its room for the unprivileged set to s_room bytes when
 *  s_room_faked, and each call counted. */
static bool s_room_faked;
static uint64_t s_room;
static int s_statvfs_calls;

int __real_statvfs (const char *path, struct statvfs *fs);
int __wrap_statvfs (const char *path, struct statvfs *fs);

int
__wrap_statvfs (const char *path, struct statvfs *fs)
{
    s_statvfs_calls++;
    int rc = __real_statvfs (path, fs);
    if (rc == 0 && s_room_faked) {
        fs->f_frsize = 4096;
        fs->f_bavail = s_room / 4096;
    }
    return rc;
}

/*  One row added to t in a transaction of its own, committed. */
static void
s_add_row (sqlite3 *db)
{
    kt_reason_t reason;
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('r')", NULL, "add", &reason), 1);
    assert_int_equal (store_commit (db, &reason), 0);
}

/*  On a disk still full a small commit can succeed (it fits in space the
 *  log already holds) while the next signal fails: a full disk's failure
 *  ends only with a commit of rows once the file system has room again
 *  (twice the pages a log takes before its checkpoint: 8 MB), looked at
 *  at most once a second while the failure lasts and never otherwise.  An
 *  I/O error still ends with the first commit of rows. */
static void
test_full_disk_ends_only_with_room_again (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    const char *what = NULL;
    uint64_t since = 0;
    s_room_faked = true;
    s_room = 0;
    s_statvfs_calls = 0;
    s_add_row (db);
    assert_int_equal (s_statvfs_calls, 0);
    store_health_note (db, SQLITE_FULL);
    /*  8 MB less a page: the disk is still as good as full. */
    s_room = 2 * 1000 * 4096 - 4096;
    s_add_row (db);
    assert_true (store_health_failing (&what, &since));
    assert_string_equal (what, "database or disk is full");
    assert_int_equal (s_statvfs_calls, 1);
    /*  A lock held too long meanwhile does not replace the full disk:
     *  the next commit of rows would end that failure at once. */
    store_health_note (db, SQLITE_BUSY);
    s_add_row (db);
    assert_true (store_health_failing (&what, &since));
    assert_string_equal (what, "database or disk is full");
    /*  Within the second the file system is not asked again. */
    s_add_row (db);
    s_add_row (db);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (s_statvfs_calls, 1);
    usleep (1100 * 1000);
    s_add_row (db);
    assert_true (store_health_failing (&what, &since));
    assert_int_equal (s_statvfs_calls, 2);
    /*  Space freed: the next commit of rows a second later ends it. */
    s_room = 2 * 1000 * 4096;
    usleep (1100 * 1000);
    s_add_row (db);
    assert_false (store_health_failing (&what, &since));
    assert_int_equal (s_statvfs_calls, 3);
    /*  Healthy again: commits do not ask. */
    s_add_row (db);
    s_add_row (db);
    assert_int_equal (s_statvfs_calls, 3);
    /*  An I/O error (or a read-only file) needs no room: it ends with the
     *  first commit of rows, the disk not asked. */
    s_room = 0;
    store_health_note (db, SQLITE_IOERR);
    s_add_row (db);
    assert_false (store_health_failing (&what, &since));
    assert_int_equal (s_statvfs_calls, 3);
    s_room_faked = false;
    s_kept_done (&db, path);
}

static size_t
s_statements (sqlite3 *db, size_t *running)
{
    size_t n = 0;
    *running = 0;
    for (sqlite3_stmt *q = sqlite3_next_stmt (db, NULL); q; q = sqlite3_next_stmt (db, q)) {
        n++;
        *running += sqlite3_stmt_busy (q) ? 1 : 0;
    }
    return n;
}

static int
s_name_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, 8, "%s", store_text (row, 0));
    return 0;
}

/*  The same text again on the same file: the kept statement, with the
 *  new values bound, left reset (no reader holds the file). */
static void
test_kept_statement_binds_anew_and_is_left_reset (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    kt_reason_t reason;
    const char *sql = "SELECT name FROM t WHERE id = ?";
    for (int id = 1; id <= 3; id++) {
        char name[8] = "";
        assert_int_equal (
            store_one (db, sql, STORE_VALUES (STORE_INT (id)), s_name_row, name, "read", &reason),
            1);
        assert_int_equal (name[0], 'a' + id - 1);
    }
    size_t running, kept = s_statements (db, &running);
    assert_int_equal (running, 0);
    assert_true (kept >= 1);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES (?)",
                                 STORE_VALUES (STORE_TEXT ("d")), "add", &reason),
                      1);
    /*  Nothing kept stands in the way of a truncating checkpoint. */
    assert_int_equal (store_checkpoint (db, "the test file", &reason), 0);
    s_kept_done (&db, path);
}

typedef struct {
    sqlite3 *db;
    int depth, rows;
} nested_t;

static int
s_nested_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) row;
    nested_t *n = arg;
    n->rows++;
    if (n->depth++ > 0)
        return 0;
    /*  The same text while the outer one is still stepping. */
    return store_each (n->db, "SELECT id FROM t ORDER BY id", NULL, NULL, s_nested_row, n, "inner",
                       reason);
}

static void
test_the_same_statement_inside_its_own_loop (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    kt_reason_t reason;
    nested_t n = {db, 0, 0};
    assert_int_equal (store_each (db, "SELECT id FROM t ORDER BY id", NULL, NULL, s_nested_row, &n,
                                  "outer", &reason),
                      0);
    /*  3 outer rows, and the 3 inner ones of the first. */
    assert_int_equal (n.rows, 6);
    size_t running;
    s_statements (db, &running);
    assert_int_equal (running, 0);
    s_kept_done (&db, path);
}

/*  Some PRAGMAs act when prepared: run twice, one must act twice. */
static void
test_a_pragma_acts_every_time (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    kt_reason_t reason;
    for (int i = 0; i < 2; i++) {
        assert_int_equal (store_exec (db, "PRAGMA synchronous=FULL", &reason), 0);
        assert_int_equal (store_int (db, "PRAGMA synchronous", -1), 2);
        assert_true (store_run (db, "PRAGMA synchronous=NORMAL", NULL, "relax", &reason) >= 0);
        assert_int_equal (store_int (db, "PRAGMA synchronous", -1), 1);
    }
    s_kept_done (&db, path);
}

/*  Many different texts keep a bounded number of statements. */
static void
test_kept_statements_are_bounded (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    kt_reason_t reason;
    for (int i = 0; i < 1000; i++) {
        char sql[64];
        snprintf (sql, sizeof sql, "SELECT %d FROM t", i);
        assert_int_equal (store_each (db, sql, NULL, NULL, NULL, NULL, "read", &reason), 0);
    }
    size_t running, kept = s_statements (db, &running);
    assert_true (kept <= 128);
    assert_int_equal (running, 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 3);
    s_kept_done (&db, path);
}

/*  A commit on the helper thread: durable once waited for, one at a time,
 *  and waited for only on its own file. */
static void
test_a_commit_on_the_helper_thread (void **state)
{
    (void) state;
    char path[64], other_path[64];
    sqlite3 *db = s_kept_db (path), *other = s_kept_db (other_path);
    kt_reason_t reason;
    for (int round = 0; round < 3; round++) {
        assert_int_equal (store_begin (db, &reason), 0);
        assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES (?)",
                                     STORE_VALUES (STORE_TEXT ("x")), "add", &reason),
                          1);
        assert_int_equal (store_commit_start (db, &reason), 0);
        /*  The other file meanwhile, as the uitvoerder's weegploeg file. */
        assert_int_equal (store_commit_start (other, &reason), -1);
        assert_int_equal (store_commit_wait (other, &reason), -1);
        assert_int_equal (store_begin (other, &reason), 0);
        assert_int_equal (store_run (other, "DELETE FROM t WHERE id = 1", NULL, "drop", &reason),
                          round == 0 ? 1 : 0);
        assert_int_equal (store_commit (other, &reason), 0);
        assert_int_equal (store_commit_wait (db, &reason), 0);
        assert_true (sqlite3_get_autocommit (db));
    }
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 6);
    assert_int_equal (store_int (other, "SELECT count(*) FROM t", -1), 2);
    /*  Nothing to commit: the failure comes back from the thread. */
    assert_int_equal (store_commit_start (db, &reason), 0);
    assert_int_equal (store_commit_wait (db, &reason), -1);
    assert_non_null (strstr (reason.text, "database error"));
    s_kept_done (&other, other_path);
    s_kept_done (&db, path);
}

/*  A file's bytes (the caller frees them). */
static uint8_t *
s_slurp (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    uint8_t *buf = NULL;
    *len = 0;
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0) {
        buf = realloc (buf, *len + n);
        assert_non_null (buf);
        memcpy (buf + *len, chunk, n);
        *len += n;
    }
    fclose (f);
    return buf;
}

/*  A commit that does not wait for the disk, then its log synced on the
 *  helper thread: readers see it at once, the file waits for the disk
 *  again afterwards (and after a rollback), and only a connection with a
 *  mutex may have its log synced beside its user. */
static void
test_a_commit_written_then_synced_beside (void **state)
{
    (void) state;
    char path[64];
    s_temp_path (path);
    kt_reason_t reason;
    sqlite3 *db = store_open_shared (path, &reason), *reader = NULL;
    assert_non_null (db);
    assert_int_equal (
        store_exec (db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)", &reason), 0);
    assert_int_equal (sqlite3_open (path, &reader), SQLITE_OK);
    for (int round = 0; round < 3; round++) {
        assert_int_equal (store_begin_written (db, &reason), 0);
        assert_false (store_commits_wait (db));
        assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES (?)",
                                     STORE_VALUES (STORE_TEXT ("x")), "add", &reason),
                          1);
        assert_int_equal (store_commit_written (db, &reason), 0);
        assert_true (store_commits_wait (db));
        assert_int_equal (store_int (reader, "SELECT count(*) FROM t", -1), round + 1);
        assert_int_equal (store_sync_start (db, &reason), 0);
        assert_false (store_sync_start (db, &reason) == 0); /* one at a time */
        assert_int_equal (store_commit_wait (db, &reason), 0);
        assert_false (store_commit_ended (db));
    }
    /*  The log written anew and synced (what a failed sync's heal and a
     *  start do): every commit still there, the file whole. */
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('z')", NULL, "add", &reason), 1);
    assert_int_equal (store_commit (db, &reason), 0);
    char wal[80];
    snprintf (wal, sizeof wal, "%s-wal", path);
    size_t before_len = 0, after_len = 0;
    uint8_t *before = s_slurp (wal, &before_len);
    assert_true (before_len > 0);
    assert_int_equal (store_log_rewrite (db, &reason), 0);
    uint8_t *after = s_slurp (wal, &after_len);
    assert_int_equal (after_len, before_len);
    assert_memory_equal (after, before, before_len);
    free (before);
    free (after);
    assert_int_equal (store_int (reader, "SELECT count(*) FROM t WHERE name = 'z'", -1), 1);
    assert_int_equal (store_run (db, "DELETE FROM t WHERE name = 'z'", NULL, "drop", &reason), 1);
    /*  Rolled back: nothing stored, and waiting for the disk again. */
    assert_int_equal (store_begin_written (db, &reason), 0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('y')", NULL, "add", &reason), 1);
    store_rollback_written (db);
    assert_true (sqlite3_get_autocommit (db));
    assert_true (store_commits_wait (db));
    assert_int_equal (store_int (reader, "SELECT count(*) FROM t", -1), 3);
    sqlite3_close (reader);
    store_close (&db);
    testutil_remove_db (path);
    /*  A connection of one thread has no mutex to sync under. */
    char kept_path[64];
    sqlite3 *kept = s_kept_db (kept_path);
    assert_int_equal (store_sync_start (kept, &reason), -1);
    assert_non_null (strstr (reason.text, "no log to sync"));
    s_kept_done (&kept, kept_path);
}

/*  While a file commits on the helper thread, the loop's use of other
 *  files never finalizes one of its kept statements: the connection has
 *  no mutex, so that would race with the COMMIT. */
static void
test_a_committing_file_keeps_its_statements (void **state)
{
    (void) state;
    char path[64], other_path[64];
    sqlite3 *db = s_kept_db (path), *other = s_kept_db (other_path);
    kt_reason_t reason;
    for (int i = 0; i < 3; i++) {
        char sql[64];
        snprintf (sql, sizeof sql, "SELECT name FROM t WHERE id = %d", i);
        assert_int_equal (store_each (db, sql, NULL, NULL, NULL, NULL, "read", &reason), 0);
    }
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('y')", NULL, "add", &reason), 1);
    size_t running, before = s_statements (db, &running);
    assert_int_equal (store_commit_start (db, &reason), 0);
    /*  Enough new texts on the other file to cycle the whole cache. */
    for (int i = 0; i < 300; i++) {
        char sql[64];
        snprintf (sql, sizeof sql, "SELECT %d FROM t", i);
        assert_int_equal (store_each (other, sql, NULL, NULL, NULL, NULL, "read", &reason), 0);
    }
    assert_int_equal (store_commit_wait (db, &reason), 0);
    assert_int_equal (s_statements (db, &running), before);
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 4);
    s_kept_done (&other, other_path);
    s_kept_done (&db, path);
}

/*  Size in bytes of path, or of its -wal with suffix "-wal"; -1 when
 *  there is none. */
static long long
s_size (const char *path, const char *suffix)
{
    char name[128];
    snprintf (name, sizeof name, "%s%s", path, suffix);
    struct stat st;
    return stat (name, &st) == 0 ? (long long) st.st_size : -1;
}

/*  rows rows of about a page each added to t, in the transaction open. */
static void
s_add_rows (sqlite3 *db, int rows)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
              " WHERE i < %d) INSERT INTO t (name) SELECT hex(randomblob(1800)) FROM n",
              rows);
    kt_reason_t reason;
    assert_int_equal (store_exec (db, sql, &reason), 0);
}

/*  One commit of rows rows of about a page each (1,100: past the size at
 *  which the log is checkpointed). */
static void
s_commit_rows (sqlite3 *db, int rows)
{
    kt_reason_t reason;
    assert_int_equal (store_begin (db, &reason), 0);
    s_add_rows (db, rows);
    assert_int_equal (store_commit (db, &reason), 0);
}

static void
s_big_commit (sqlite3 *db)
{
    s_commit_rows (db, 1100);
}

/*  The log's pages reach the file on the checkpoint thread, not in the
 *  commit that took it past 1,000 pages, and the log then starts again
 *  from its beginning instead of growing. */
static void
test_the_log_is_checkpointed_off_the_committing_thread (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    long long file0 = s_size (path, "");
    /*  Held off: the commit alone copies nothing into the file. */
    store_wal_hold (db);
    s_big_commit (db);
    assert_int_equal (s_size (path, ""), file0);
    long long wal = s_size (path, "-wal");
    assert_true (wal > 1000 * 4096);
    /*  Released, the thread copies them (a bounded wait). */
    store_wal_release (db);
    for (int i = 0; i < 1000 && s_size (path, "") < file0 + 1000 * 4096; i++)
        usleep (10 * 1000);
    assert_true (s_size (path, "") >= file0 + 1000 * 4096);
    /*  Until the thread's checkpoint has ended, the next commit may find
     *  part of the log not copied yet: wait for it. */
    store_wal_hold (db);
    store_wal_release (db);
    kt_reason_t reason;
    for (int i = 0; i < 20; i++)
        assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('z')", NULL, "add", &reason),
                          1);
    assert_int_equal (s_size (path, "-wal"), wal);
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 3 + 1100 + 20);
    s_kept_done (&db, path);
}

/*  A log ten times past that size, the thread held off: the committing
 *  thread checkpoints it itself, so that it can start again. */
static void
test_a_log_far_behind_is_checkpointed_by_the_committer (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    long long file0 = s_size (path, "");
    store_wal_hold (db);
    s_commit_rows (db, 5000);
    assert_int_equal (s_size (path, ""), file0); /* past 1,000 pages, held off */
    s_commit_rows (db, 5500);                    /* past 10,000 */
    assert_true (s_size (path, "") >= file0 + 10000 * 4096);
    store_wal_release (db);
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 3 + 10500);
    s_kept_done (&db, path);
}

/*  ...but not by a commit that does not wait for the disk, until its
 *  sync beside the loop has ended: that checkpoint's sync, on the same
 *  descriptor, could take an error the sync must see (docs/ARCHITECTURE.md,
 *  crash reasoning rule 19).  The next commit that waits checkpoints. */
static void
test_a_log_far_behind_is_left_while_a_commit_is_synced_beside (void **state)
{
    (void) state;
    char path[64];
    s_temp_path (path);
    kt_reason_t reason;
    sqlite3 *db = store_open_shared (path, &reason);
    assert_non_null (db);
    assert_int_equal (
        store_exec (db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)", &reason), 0);
    long long file0 = s_size (path, "");
    store_wal_hold (db);
    s_commit_rows (db, 5000);
    assert_int_equal (store_begin_written (db, &reason), 0);
    s_add_rows (db, 5500);
    assert_int_equal (store_commit_written (db, &reason), 0);
    assert_int_equal (s_size (path, ""), file0); /* past 10,000 pages, left */
    int synced = store_sync_start (db, &reason);
    assert_true (synced == 0 || synced == 1);
    if (synced == 0)
        assert_int_equal (store_commit_wait (db, &reason), 0);
    assert_int_equal (s_size (path, ""), file0);
    assert_int_equal (store_run (db, "INSERT INTO t (name) VALUES ('z')", NULL, "add", &reason), 1);
    assert_true (s_size (path, "") >= file0 + 10000 * 4096);
    store_wal_release (db);
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 10501);
    s_kept_done (&db, path);
}

/*  A truncating checkpoint on the loop's own connection empties the log
 *  even with one asked of the thread, and a file closed meanwhile leaves
 *  nothing running on it. */
static void
test_a_truncate_and_a_close_with_a_checkpoint_asked (void **state)
{
    (void) state;
    char path[64];
    sqlite3 *db = s_kept_db (path);
    kt_reason_t reason;
    store_wal_hold (db);
    s_big_commit (db); /* asked, held off */
    bool busy = true;
    assert_int_equal (store_wal_truncate (db, &busy, "the test file", &reason), 0);
    assert_false (busy);
    assert_int_equal (s_size (path, "-wal"), 0);
    s_big_commit (db); /* asked again, still held off */
    store_close (&db);
    store_wal_release (db); /* closed: nothing of it is left to release */
    db = store_open (path, &reason);
    assert_non_null (db);
    assert_int_equal (store_int (db, "SELECT count(*) FROM t", -1), 3 + 2 * 1100);
    s_kept_done (&db, path);
}

/*  ---- store_rows: many rows in few statements ---------------------- */

static sqlite3 *
s_rows_db (void)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    kt_reason_t reason;
    assert_int_equal (
        store_exec (db, "CREATE TABLE r (k INTEGER PRIMARY KEY, t TEXT, b BLOB, n INTEGER);",
                    &reason),
        0);
    return db;
}

typedef struct {
    int next;
    int bad;
} rows_seen_t;

/*  Row k as added by test_rows_go_in_in_order_with_their_values. */
static int
s_rows_check (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    rows_seen_t *seen = arg;
    int k = sqlite3_column_int (q, 0);
    char want[32];
    snprintf (want, sizeof want, "row-%d", k);
    bool text_ok = k % 7 == 3 ? sqlite3_column_type (q, 1) == SQLITE_NULL
                              : sqlite3_column_type (q, 1) == SQLITE_TEXT &&
                                    strcmp ((const char *) sqlite3_column_text (q, 1), want) == 0;
    bool blob_ok;
    if (k % 5 == 0)
        blob_ok = sqlite3_column_type (q, 2) == SQLITE_BLOB && sqlite3_column_bytes (q, 2) == 0;
    else if (k % 5 == 1)
        blob_ok = sqlite3_column_type (q, 2) == SQLITE_NULL;
    else {
        uint8_t b[3] = {(uint8_t) k, (uint8_t) (k >> 8), 0xa5};
        blob_ok =
            sqlite3_column_bytes (q, 2) == 3 && memcmp (sqlite3_column_blob (q, 2), b, 3) == 0;
    }
    if (k != seen->next || !text_ok || !blob_ok || sqlite3_column_int (q, 3) != 2 * k)
        seen->bad++;
    seen->next++;
    return 0;
}

static void
test_rows_go_in_in_order_with_their_values (void **state)
{
    (void) state;
    sqlite3 *db = s_rows_db ();
    kt_reason_t reason = {""};
    store_rows_t *rows = store_rows_new (db, "INSERT INTO r (k, t, b, n)", 4, &reason);
    assert_non_null (rows);
    /*  Counts that need every statement size, and none. */
    static const int counts[] = {0, 1, 3, 4, 5, 16, 21, 64, 85, 150};
    int first = 0;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        for (int i = 0; i < counts[c]; i++) {
            int k = first + i;
            /*  Every value copied when added: the caller's buffers are
             *  overwritten before the flush. */
            char text[32];
            int len = snprintf (text, sizeof text, "row-%d", k);
            uint8_t b[3] = {(uint8_t) k, (uint8_t) (k >> 8), 0xa5};
            store_value_t t = k % 7 == 3   ? STORE_TEXT (NULL)
                              : k % 2 == 0 ? STORE_TEXT (text)
                                           : STORE_TEXT_N (text, (size_t) len);
            store_value_t blob = k % 5 == 0   ? STORE_BLOB ("", 0)
                                 : k % 5 == 1 ? STORE_BLOB (NULL, 0)
                                              : STORE_BLOB (b, sizeof b);
            assert_int_equal (
                store_rows_add (rows, STORE_VALUES (STORE_INT (k), t, blob, STORE_INT (2 * k)),
                                &reason),
                0);
            memset (text, 'x', sizeof text);
            memset (b, 0, sizeof b);
        }
        assert_int_equal (store_rows_count (rows), (size_t) counts[c]);
        assert_int_equal (store_rows_flush (rows, "store the rows", &reason), 0);
        assert_int_equal (store_rows_count (rows), 0);
        first += counts[c];
        rows_seen_t seen = {0, 0};
        assert_int_equal (store_each (db, "SELECT k, t, b, n FROM r ORDER BY rowid", NULL, NULL,
                                      s_rows_check, &seen, "read the rows", &reason),
                          0);
        assert_int_equal (seen.next, first);
        assert_int_equal (seen.bad, 0);
    }
    store_rows_destroy (&rows);
    assert_null (rows);
    sqlite3_close (db);
}

static void
test_a_row_of_the_wrong_shape_is_refused (void **state)
{
    (void) state;
    sqlite3 *db = s_rows_db ();
    kt_reason_t reason = {""};
    store_rows_t *rows = store_rows_new (db, "INSERT INTO r (k, t, b, n)", 4, &reason);
    assert_non_null (rows);
    assert_int_equal (
        store_rows_add (rows, STORE_VALUES (STORE_INT (1), STORE_TEXT ("a")), &reason), -1);
    assert_non_null (strstr (reason.text, "2 values for 4 columns"));
    assert_int_equal (store_rows_count (rows), 0);
    store_rows_destroy (&rows);
    sqlite3_close (db);
}

static void
test_a_failed_flush_names_what_and_keeps_no_rows (void **state)
{
    (void) state;
    sqlite3 *db = s_rows_db ();
    kt_reason_t reason = {""};
    store_rows_t *rows = store_rows_new (db, "INSERT INTO r (k, t, b, n)", 4, &reason);
    assert_non_null (rows);
    assert_int_equal (store_begin (db, &reason), 0);
    /*  The 70th row repeats a key: the statement of 4 rows that holds it
     *  fails, after 64 went in; the caller rolls the whole group back. */
    for (int i = 0; i < 80; i++)
        assert_int_equal (store_rows_add (rows,
                                          STORE_VALUES (STORE_INT (i == 69 ? 3 : i), STORE_NULL,
                                                        STORE_NULL, STORE_INT (0)),
                                          &reason),
                          0);
    assert_int_equal (store_rows_flush (rows, "store the rows", &reason), -1);
    assert_non_null (strstr (reason.text, "cannot store the rows"));
    assert_non_null (strstr (reason.text, "UNIQUE"));
    assert_int_equal (store_rows_count (rows), 0);
    store_rollback (db);
    assert_int_equal (store_int (db, "SELECT count(*) FROM r", -1), 0);
    /*  Rows added and let go are not inserted by the next flush. */
    assert_int_equal (
        store_rows_add (rows, STORE_VALUES (STORE_INT (1), STORE_NULL, STORE_NULL, STORE_INT (0)),
                        &reason),
        0);
    store_rows_clear (rows);
    assert_int_equal (store_rows_flush (rows, "store the rows", &reason), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM r", -1), 0);
    store_rows_destroy (&rows);
    sqlite3_close (db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_takes_every_row),
        cmocka_unit_test (test_storage_failing_ends_only_with_a_change_committed),
        cmocka_unit_test (test_full_disk_ends_only_with_room_again),
        cmocka_unit_test (test_rows_go_in_in_order_with_their_values),
        cmocka_unit_test (test_a_row_of_the_wrong_shape_is_refused),
        cmocka_unit_test (test_a_failed_flush_names_what_and_keeps_no_rows),
        cmocka_unit_test (test_failed_prepare_is_an_error_naming_the_query),
        cmocka_unit_test (test_failed_step_is_an_error_not_an_empty_result),
        cmocka_unit_test (test_bind_out_of_range_is_an_error),
        cmocka_unit_test (test_row_may_stop_or_fail_the_loop),
        cmocka_unit_test (test_one_and_run_tell_found_and_changed),
        cmocka_unit_test (test_only_store_c_prepares_statements),
        cmocka_unit_test (test_kept_statement_binds_anew_and_is_left_reset),
        cmocka_unit_test (test_the_same_statement_inside_its_own_loop),
        cmocka_unit_test (test_a_pragma_acts_every_time),
        cmocka_unit_test (test_kept_statements_are_bounded),
        cmocka_unit_test (test_a_commit_written_then_synced_beside),
        cmocka_unit_test (test_a_commit_on_the_helper_thread),
        cmocka_unit_test (test_a_committing_file_keeps_its_statements),
        cmocka_unit_test (test_the_log_is_checkpointed_off_the_committing_thread),
        cmocka_unit_test (test_a_log_far_behind_is_checkpointed_by_the_committer),
        cmocka_unit_test (test_a_log_far_behind_is_left_while_a_commit_is_synced_beside),
        cmocka_unit_test (test_a_truncate_and_a_close_with_a_checkpoint_asked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
