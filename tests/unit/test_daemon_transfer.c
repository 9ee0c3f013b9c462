/*  The transfer table (docs/FEDERATIONS.md) on a real SQLite file: a
 *  transfer is recorded, sealed and answered once; a replay is known by
 *  its id and header; a kernpartij's newest decision counts; and a
 *  destroyed subject's transfers and decisions go (art. 13), another's
 *  stay; the status's counts fail, with a reason, when they cannot be
 *  read, never read as 0.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "store.h"
#include "transfer.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static char s_dir[64];

static int
s_setup (void **state)
{
    (void) state;
    return testutil_tmpdir (s_dir, sizeof s_dir, "transfer") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

static void
s_send (transfer_t *t, const char *case_ref, uint8_t id[KT_ID_LEN])
{
    kt_reason_t r;
    transfer_out_t row;
    memset (&row, 0, sizeof row);
    randombytes_buf (id, KT_ID_LEN);
    memcpy (row.id, id, KT_ID_LEN);
    snprintf (row.federation, sizeof row.federation, "pga-zeeland");
    snprintf (row.case_ref, sizeof row.case_ref, "%s", case_ref);
    snprintf (row.basis, sizeof row.basis, "art. 6 lid 1 sub e AVG");
    snprintf (row.decided_by, sizeof row.decided_by, "politie-limburg");
    snprintf (row.os_user, sizeof row.os_user, "jan");
    row.decided_ms = 1;
    assert_int_equal (transfer_out_prepare (t, &row, &r), 0);
    const uint8_t env[4] = {1, 2, 3, 4};
    assert_int_equal (transfer_out_sealed (t, id, 20, 1, 0, env, sizeof env, &r), 0);
}

static int
s_count (sqlite3 *db, const char *table, const char *case_ref)
{
    char sql[128];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM %s WHERE case_ref='%s'", table, case_ref);
    return (int) store_int (db, sql, -1);
}

static void
test_a_transfer_is_answered_once_and_a_replay_is_known (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/node.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    transfer_t *t = transfer_new (db, &r);
    assert_non_null (t);
    uint8_t id[KT_ID_LEN];
    s_send (t, "k-0000000000000001", id);
    assert_int_equal (transfer_out_answered (t, id, true, 7, NULL, &r), 0);
    /*  A second answer changes nothing: the row is no longer pending. */
    assert_int_equal (transfer_out_answered (t, id, false, 0, "late", &r), 0);
    assert_int_equal (store_int (db, "SELECT state * 100 + peer_log_index FROM transfer_out", -1),
                      207);
    assert_int_equal (
        store_int (db, "SELECT count(*) FROM transfer_out WHERE envelope IS NULL", -1), 1);
    /*  Taken in: the same id and header is the same transfer. */
    uint8_t in_id[KT_ID_LEN], hash[32], other[32];
    randombytes_buf (in_id, sizeof in_id);
    randombytes_buf (hash, sizeof hash);
    randombytes_buf (other, sizeof other);
    transfer_in_t in = {in_id,
                        "pga-limburg",
                        "k-00000000000000aa",
                        "k-0000000000000002",
                        "art. 6",
                        "politie-limburg",
                        20,
                        7,
                        1,
                        1,
                        0,
                        "none",
                        hash};
    assert_int_equal (transfer_in_record (t, &in, &r), 0);
    bool same = false;
    uint64_t index = 0;
    char case_ref[40];
    assert_int_equal (transfer_in_find (t, in_id, hash, &same, &index, case_ref, &r), 1);
    assert_true (same);
    assert_int_equal (index, 7);
    assert_string_equal (case_ref, "k-0000000000000002");
    assert_int_equal (transfer_in_find (t, in_id, other, &same, &index, case_ref, &r), 1);
    assert_false (same);
    transfer_destroy (&t);
    store_close (&db);
}

static void
test_the_newest_decision_counts_and_a_destroyed_subject_leaves_nothing (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/forget.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    transfer_t *t = transfer_new (db, &r);
    assert_non_null (t);
    const char *gone = "k-00000000000000a1", *kept = "k-00000000000000b2";
    uint8_t d1[KT_ID_LEN], d2[KT_ID_LEN], d3[KT_ID_LEN], id[KT_ID_LEN];
    randombytes_buf (d1, sizeof d1);
    randombytes_buf (d2, sizeof d2);
    randombytes_buf (d3, sizeof d3);
    assert_int_equal (transfer_decision_record (t, d1, gone, "pga-zeeland", "politie-limburg",
                                                "een eerste grondslag", "jan", 100, 3, &r),
                      0);
    assert_int_equal (transfer_decision_record (t, d2, gone, "pga-zeeland", "politie-limburg",
                                                "de grondslag", "jan", 200, 4, &r),
                      0);
    assert_int_equal (transfer_decision_record (t, d3, kept, "pga-zeeland", "politie-limburg",
                                                "de grondslag", "jan", 300, 5, &r),
                      0);
    char basis[501];
    assert_int_equal (transfer_decision_newest (t, gone, "pga-zeeland", "politie-limburg", basis,
                                                sizeof basis, &r),
                      1);
    assert_string_equal (basis, "de grondslag");
    assert_int_equal (transfer_decision_newest (t, gone, "pga-brabant", "politie-limburg", basis,
                                                sizeof basis, &r),
                      0);
    s_send (t, gone, id);
    s_send (t, kept, id);
    uint8_t in_id[KT_ID_LEN], hash[32];
    randombytes_buf (in_id, sizeof in_id);
    randombytes_buf (hash, sizeof hash);
    transfer_in_t in = {in_id,
                        "pga-zeeland",
                        "k-00000000000000cc",
                        gone,
                        "art. 6",
                        "politie-zeeland",
                        9,
                        10,
                        1,
                        1,
                        0,
                        "none",
                        hash};
    assert_int_equal (transfer_in_record (t, &in, &r), 0);

    assert_int_equal (transfer_forget_case (t, gone, &r), 0);
    assert_int_equal (transfer_forget_case (t, gone, &r), 0); /* again: nothing to do */
    assert_int_equal (s_count (db, "transfer_decision", gone), 0);
    assert_int_equal (s_count (db, "transfer_out", gone), 0);
    assert_int_equal (s_count (db, "transfer_in", gone), 0);
    assert_int_equal (s_count (db, "transfer_decision", kept), 1);
    assert_int_equal (s_count (db, "transfer_out", kept), 1);
    transfer_destroy (&t);
    store_close (&db);
}

/*  sql on path through a connection of its own, as another process
 *  (sqlite3, an operator) would change the file. */
static void
s_exec_aside (const char *path, const char *sql)
{
    sqlite3 *other = NULL;
    assert_int_equal (sqlite3_open (path, &other), SQLITE_OK);
    assert_int_equal (sqlite3_exec (other, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (other);
}

static void
test_counts_that_cannot_be_read_are_a_failure_not_zero (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/counts.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    transfer_t *t = transfer_new (db, &r);
    assert_non_null (t);
    uint8_t id[KT_ID_LEN];
    s_send (t, "k-0000000000000011", id);
    s_send (t, "k-0000000000000012", id);
    assert_int_equal (transfer_out_answered (t, id, true, 7, NULL, &r), 0);
    json_t *counts = transfer_counts (t, &r);
    assert_non_null (counts);
    assert_int_equal (json_integer_value (json_object_get (counts, "pending")), 1);
    assert_int_equal (json_integer_value (json_object_get (counts, "accepted")), 1);
    assert_int_equal (json_integer_value (json_object_get (counts, "refused")), 0);
    assert_int_equal (json_integer_value (json_object_get (counts, "received")), 0);
    json_decref (counts);
    /*  A table that cannot be read (renamed away: a read of it fails as
     *  one of a damaged page would): NULL with the reason, not 0s. */
    const char *tables[] = {"transfer_in", "transfer_out"};
    for (size_t i = 0; i < 2; i++) {
        char sql[128];
        snprintf (sql, sizeof sql, "ALTER TABLE %s RENAME TO %s_away", tables[i], tables[i]);
        s_exec_aside (path, sql);
        memset (&r, 0, sizeof r);
        assert_null (transfer_counts (t, &r));
        assert_non_null (strstr (r.text, "count the transfers"));
        assert_non_null (strstr (r.text, tables[i]));
        snprintf (sql, sizeof sql, "ALTER TABLE %s_away RENAME TO %s", tables[i], tables[i]);
        s_exec_aside (path, sql);
        counts = transfer_counts (t, &r);
        assert_non_null (counts);
        assert_int_equal (json_integer_value (json_object_get (counts, "pending")), 1);
        json_decref (counts);
    }
    transfer_destroy (&t);
    store_close (&db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_transfer_is_answered_once_and_a_replay_is_known),
        cmocka_unit_test (test_the_newest_decision_counts_and_a_destroyed_subject_leaves_nothing),
        cmocka_unit_test (test_counts_that_cannot_be_read_are_a_failure_not_zero),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
