/*  backup: a backup directory is outside input to `keten restore`.  Its
 *  manifest is checked before anything is touched: the format, every file
 *  named once with a valid name, present, a regular file, and of the size
 *  and SHA-256 the manifest names.  A backup taken here from real SQLite
 *  files passes; every way of spoiling it fails with a reason that names
 *  the problem.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backup.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char root[64], state[96], dir[96];
} s_fix_t;

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

/*  A state directory with two real databases, and a backup of it. */
static int
s_setup (void **state)
{
    s_fix_t *f = calloc (1, sizeof *f);
    snprintf (f->root, sizeof f->root, "/tmp/keten-backup-test.XXXXXX");
    assert_non_null (mkdtemp (f->root));
    snprintf (f->state, sizeof f->state, "%s/state", f->root);
    snprintf (f->dir, sizeof f->dir, "%s/bk", f->root);
    assert_int_equal (mkdir (f->state, 0700), 0);
    kt_reason_t reason;
    const char *names[] = {"node.db", "keystore.db"};
    for (size_t i = 0; i < 2; i++) {
        char path[160];
        snprintf (path, sizeof path, "%s/%s", f->state, names[i]);
        sqlite3 *db = store_open (path, &reason);
        assert_non_null (db);
        assert_int_equal (
            store_exec (db, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x');", &reason), 0);
        store_close (&db);
    }
    assert_int_equal (backup_make_dir (f->dir, &reason), 0);
    json_t *about = json_pack ("{s:s, s:s, s:s, s:s}", "node", "politie-test", "kind", "politie",
                               "role", "kernpartij", "purpose", "backup");
    assert_int_equal (backup_take (f->state, f->dir, about, NULL, &reason), 0);
    json_decref (about);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fix_t *f = *state;
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", f->root);
    assert_int_equal (system (cmd), 0);
    free (f);
    return 0;
}

static void
s_refused (s_fix_t *f, const char *why)
{
    kt_reason_t reason;
    json_t *m = backup_verify (f->dir, &reason);
    if (m)
        fail_msg ("a spoilt backup passed (want '%s')", why);
    if (!strstr (reason.text, why))
        fail_msg ("reason '%s' does not say '%s'", reason.text, why);
}

static void
s_manifest (s_fix_t *f, const char *text)
{
    char path[160];
    snprintf (path, sizeof path, "%s/%s", f->dir, BACKUP_MANIFEST);
    s_write (path, text);
}

static void
test_a_backup_taken_here_passes (void **state)
{
    s_fix_t *f = *state;
    kt_reason_t reason;
    json_t *m = backup_verify (f->dir, &reason);
    assert_non_null (m);
    assert_string_equal (json_string_value (json_object_get (m, "node")), "politie-test");
    assert_int_equal (json_array_size (json_object_get (m, "files")), 2);
    json_decref (m);
    /*  A directory holding anything is not a new one. */
    assert_int_equal (backup_make_dir (f->dir, &reason), -1);
    assert_non_null (strstr (reason.text, "is not empty"));
    assert_int_equal (backup_make_dir ("relative/dir", &reason), -1);
    assert_non_null (strstr (reason.text, "absolute path"));
}

static void
test_names (void **state)
{
    (void) state;
    assert_true (backup_name_ok ("node.db"));
    assert_true (backup_name_ok ("casus_overleg.db"));
    const char *bad[] = {"",        ".db",    "../x.db",  "Node.db",  "node.db-wal",
                         "node.sq", "a/b.db", "node .db", "node.db.", "x\n.db"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (backup_name_ok (bad[i]))
            fail_msg ("'%s' taken as a database name", bad[i]);
}

static void
test_damaged_file (void **state)
{
    s_fix_t *f = *state;
    char path[160];
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    FILE *fp = fopen (path, "r+");
    assert_non_null (fp);
    fseek (fp, 100, SEEK_SET);
    fputc ('!', fp);
    fclose (fp);
    s_refused (f, "node.db does not match the manifest");
}

static void
test_missing_file (void **state)
{
    s_fix_t *f = *state;
    char path[160];
    snprintf (path, sizeof path, "%s/keystore.db", f->dir);
    assert_int_equal (unlink (path), 0);
    s_refused (f, "keystore.db");
}

static void
test_not_a_regular_file (void **state)
{
    s_fix_t *f = *state;
    char path[160];
    snprintf (path, sizeof path, "%s/keystore.db", f->dir);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (mkfifo (path, 0600), 0); /* would hang a plain open */
    s_refused (f, "not a regular file");
}

static void
test_hostile_manifests (void **state)
{
    s_fix_t *f = *state;
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "not a keten backup manifest"},
        {"{", "not a keten backup manifest"},
        {"[]", "not a keten backup manifest"},
        {"{\"format\": \"keten-backup-2\", \"node\": \"n\", \"taken_ms\": 1, \"files\": [{}]}",
         "not a keten backup manifest"},
        {"{\"format\": \"keten-backup-1\", \"node\": \"n\", \"taken_ms\": 1, \"files\": []}",
         "not a keten backup manifest"},
        {"{\"format\": \"keten-backup-1\", \"taken_ms\": 1, \"files\": [{}]}",
         "not a keten backup manifest"},
        {"{\"format\": \"keten-backup-1\", \"node\": \"n\", \"taken_ms\": 1, \"files\": "
         "[{\"name\": \"../../etc/x.db\", \"bytes\": 1, \"sha256\": "
         "\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
         "is not named FILE.db"},
        {"{\"format\": \"keten-backup-1\", \"node\": \"n\", \"taken_ms\": 1, \"files\": "
         "[{\"name\": \"node.db\", \"bytes\": 1, \"sha256\": \"00\"}]}",
         "is not named FILE.db"},
        {"{\"format\": \"keten-backup-1\", \"node\": \"n\", \"taken_ms\": 1, \"files\": "
         "[{\"name\": \"node.db\", \"bytes\": 1, \"sha256\": "
         "\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
         "does not match the manifest"},
    };
    /*  The real manifest with its first file named twice. */
    kt_reason_t reason;
    json_t *m = backup_verify (f->dir, &reason);
    assert_non_null (m);
    json_t *files = json_object_get (m, "files");
    json_array_append (files, json_array_get (files, 0));
    char *twice = json_dumps (m, 0);
    json_decref (m);
    s_manifest (f, twice);
    free (twice);
    s_refused (f, "names keystore.db twice"); /* files are listed sorted */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_manifest (f, cases[i].text);
        s_refused (f, cases[i].why);
    }
    char path[160];
    snprintf (path, sizeof path, "%s/%s", f->dir, BACKUP_MANIFEST);
    assert_int_equal (unlink (path), 0);
    s_refused (f, "an unfinished backup");
    /*  A FIFO as the manifest would hang a plain open. */
    assert_int_equal (mkfifo (path, 0600), 0);
    s_refused (f, "not a regular file");
}

/*  What the copy's mode was while VACUUM INTO wrote it: looked at from
 *  the source connection's progress handler, as another user could. */
static struct {
    const char *path;
    mode_t widest;
    int looks;
} s_watch;

static int
s_look (void *arg)
{
    (void) arg;
    struct stat st;
    if (lstat (s_watch.path, &st) == 0) {
        s_watch.widest |= st.st_mode & 0777;
        s_watch.looks++;
    }
    return 0;
}

static void
test_copy_private_while_written (void **state)
{
    s_fix_t *f = *state;
    char src[160], dst[160], link[160], target[160];
    snprintf (src, sizeof src, "%s/node.db", f->state);
    snprintf (dst, sizeof dst, "%s/copy.db", f->root);
    kt_reason_t reason;
    sqlite3 *db = store_open (src, &reason);
    assert_non_null (db);
    /*  Enough rows that the copy takes many steps. */
    assert_int_equal (
        store_exec (db,
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 5000) INSERT INTO t SELECT hex(randomblob(64)) FROM n;",
                    &reason),
        0);
    s_watch.path = dst;
    s_watch.widest = 0;
    s_watch.looks = 0;
    sqlite3_progress_handler (db, 100, s_look, NULL);
    mode_t old = umask (022); /* ketend outside the packaged unit */
    int rc = backup_copy_db (db, dst, &reason);
    umask (old);
    sqlite3_progress_handler (db, 0, NULL, NULL);
    assert_int_equal (rc, 0);
    if (s_watch.looks == 0)
        fail_msg ("the check cannot fail: the copy was never seen while written");
    if (s_watch.widest & 077)
        fail_msg ("the copy was mode %03o while written: readable by others", s_watch.widest);
    /*  A link planted where the copy goes is not followed. */
    snprintf (link, sizeof link, "%s/planted.db", f->root);
    snprintf (target, sizeof target, "%s/elsewhere.db", f->root);
    assert_int_equal (symlink (target, link), 0);
    assert_int_equal (backup_copy_db (db, link, &reason), -1);
    assert_non_null (strstr (reason.text, "exists already"));
    struct stat st;
    assert_int_equal (lstat (target, &st), -1);
    store_close (&db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_backup_taken_here_passes, s_setup, s_teardown),
        cmocka_unit_test (test_names),
        cmocka_unit_test_setup_teardown (test_damaged_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_missing_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_not_a_regular_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_manifests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_copy_private_while_written, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
