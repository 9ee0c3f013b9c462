/*  The keystore's pool of keys made ahead (issue #17), on real SQLite
 *  files: a key is handed out at most once - within a run, and across a
 *  restart while its refill's list still names it, when the table that
 *  used it says so; a pooled key shredded with its data is never handed
 *  out; the pool refills in a commit of its own, its lists do not pile
 *  up, an older release's key_pool is taken over, and an empty pool still
 *  gives keys.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "keystore.h"
#include "signalbox.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_dir[64];
static uint8_t s_storage_key[32];
/*  The caller's keys in use, as keystore_pool_open asks for them. */
static const char *const s_used_sql[] = {"SELECT key_id FROM used", NULL};

static int
s_setup (void **state)
{
    (void) state;
    randombytes_buf (s_storage_key, sizeof s_storage_key);
    return testutil_tmpdir (s_dir, sizeof s_dir, "keypool") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

/*  The caller's table of keys in use, as a list. */
typedef struct {
    uint8_t ids[64][KEYSTORE_ID_LEN];
    size_t n;
} used_t;

static bool
s_used (const used_t *u, const uint8_t key_id[KEYSTORE_ID_LEN])
{
    for (size_t i = 0; i < u->n; i++)
        if (memcmp (u->ids[i], key_id, KEYSTORE_ID_LEN) == 0)
            return true;
    return false;
}

/*  The keystore, its pool opened against the caller's table of keys in
 *  use: a real table in a file of its own, holding used's ids. */
static keystore_t *
s_open (used_t *used)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/caller.db", s_dir);
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    assert_int_equal (store_exec (db,
                                  "CREATE TABLE IF NOT EXISTS used (key_id BLOB NOT NULL);"
                                  "DELETE FROM used;",
                                  &r),
                      0);
    for (size_t i = 0; i < used->n; i++)
        assert_int_equal (store_run (db, "INSERT INTO used (key_id) VALUES (?)",
                                     STORE_VALUES (STORE_BLOB (used->ids[i], KEYSTORE_ID_LEN)),
                                     "record a key in use", &r),
                          1);
    snprintf (path, sizeof path, "%s/keystore.db", s_dir);
    keystore_t *ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    assert_int_equal (keystore_pool_open (ks, db, s_used_sql, &r), 0);
    store_close (&db);
    return ks;
}

static void
test_a_key_is_handed_out_once_even_across_a_crash (void **state)
{
    (void) state;
    used_t used = {0};
    keystore_t *ks = s_open (&used);
    assert_int_equal (keystore_pool_size (ks), 1024);
    kt_reason_t r;
    uint8_t key[KEYSTORE_KEY_LEN], again[KEYSTORE_KEY_LEN];
    /*  Ten keys taken and "used"; the pool is not refilled (a crash
     *  before the next refill): its list still names them. */
    for (int i = 0; i < 10; i++) {
        assert_int_equal (keystore_take (ks, used.ids[used.n], key, &r), 0);
        for (size_t j = 0; j < used.n; j++)
            assert_memory_not_equal (used.ids[j], used.ids[used.n], KEYSTORE_ID_LEN);
        used.n++;
    }
    /*  One more taken but never used (its transaction rolled back). */
    uint8_t unused[KEYSTORE_ID_LEN];
    assert_int_equal (keystore_take (ks, unused, key, &r), 0);
    assert_int_equal (keystore_pool_size (ks), 1024 - 11);
    keystore_destroy (&ks);
    sqlite3 *db = NULL;
    char path[128];
    snprintf (path, sizeof path, "%s/keystore.db", s_dir);
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (store_int (db, "SELECT count(*) FROM key_pool_list", -1), 1);
    assert_int_equal (store_int (db, "SELECT length(key_ids) FROM key_pool_list", -1),
                      1024 * KEYSTORE_ID_LEN);
    sqlite3_close (db);

    /*  After the "crash": the ten in use are kept out, for good.  Every
     *  key handed out (from memory: read at the start, made by a refill)
     *  is the one stored under its id. */
    ks = s_open (&used);
    for (int i = 0; i < 2000; i++) {
        uint8_t id[KEYSTORE_ID_LEN];
        assert_int_equal (keystore_take (ks, id, key, &r), 0);
        assert_false (s_used (&used, id));
        assert_int_equal (keystore_get (ks, id, again, &r), 0);
        assert_memory_equal (key, again, KEYSTORE_KEY_LEN);
        if (i % 100 == 0)
            assert_int_equal (keystore_pool_refill (ks, &r), 0);
    }
    /*  A used key still opens what it sealed. */
    assert_int_equal (keystore_get (ks, used.ids[0], again, &r), 0);
    /*  Refills delete the lists whose keys have all left the pool: after
     *  2,000 keys handed out, the lists still there each name a pooled
     *  key. */
    int64_t lists = store_int (keystore_db (ks), "SELECT count(*) FROM key_pool_list", -1);
    assert_in_range (lists, 1, 3);
    keystore_destroy (&ks);
}

/*  A key_pool_list row whose ids do not come in whole ids is refused by
 *  name, not read as keys. */
static void
test_a_malformed_list_is_refused (void **state)
{
    (void) state;
    used_t used = {0};
    keystore_t *ks = s_open (&used);
    kt_reason_t r;
    assert_int_equal (store_exec (keystore_db (ks),
                                  "INSERT INTO key_pool_list (id, key_ids) VALUES (999, x'0102')",
                                  &r),
                      0);
    keystore_destroy (&ks);
    char path[128];
    snprintf (path, sizeof path, "%s/keystore.db", s_dir);
    ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    sqlite3 *db = store_open (":memory:", &r);
    assert_non_null (db);
    assert_int_equal (store_exec (db, "CREATE TABLE used (key_id BLOB)", &r), 0);
    assert_int_not_equal (keystore_pool_open (ks, db, s_used_sql, &r), 0);
    assert_non_null (strstr (r.text, "key_pool_list row 999 is malformed"));
    store_close (&db);
    keystore_destroy (&ks);
    assert_int_equal (testutil_rmtree (s_dir), 0);
    assert_int_equal (testutil_tmpdir (s_dir, sizeof s_dir, "keypool"), 0);
}

/*  An older release kept a key_pool row per pooled key: the keys it
 *  lists that are not in use are handed out, the ones in use never, and
 *  the rows become one list. */
static void
test_an_older_key_pool_is_taken_over (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/old.db", s_dir);
    kt_reason_t r;
    keystore_t *ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    sqlite3 *kdb = keystore_db (ks);
    uint8_t ids[5][KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    for (int i = 0; i < 5; i++) {
        assert_int_equal (keystore_create (ks, ids[i], key, &r), 0);
        assert_int_equal (store_run (kdb, "INSERT INTO key_pool (key_id) VALUES (?)",
                                     STORE_VALUES (STORE_BLOB (ids[i], KEYSTORE_ID_LEN)),
                                     "pool a key as an older release did", &r),
                          1);
    }
    keystore_destroy (&ks);
    /*  The first two are in use. */
    sqlite3 *db = store_open (":memory:", &r);
    assert_non_null (db);
    assert_int_equal (store_exec (db, "CREATE TABLE used (key_id BLOB)", &r), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal (store_run (db, "INSERT INTO used (key_id) VALUES (?)",
                                     STORE_VALUES (STORE_BLOB (ids[i], KEYSTORE_ID_LEN)),
                                     "record a key in use", &r),
                          1);
    ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    assert_int_equal (keystore_pool_open (ks, db, s_used_sql, &r), 0);
    kdb = keystore_db (ks);
    assert_int_equal (store_int (kdb, "SELECT count(*) FROM key_pool", -1), 0);
    /*  The three free ones, and a refill's 1,021 new ones. */
    assert_int_equal (keystore_pool_size (ks), 1024);
    bool seen[5] = {false};
    for (int n = 0; n < 1024; n++) {
        uint8_t id[KEYSTORE_ID_LEN];
        assert_int_equal (keystore_take (ks, id, key, &r), 0);
        for (int i = 0; i < 5; i++)
            seen[i] |= memcmp (id, ids[i], KEYSTORE_ID_LEN) == 0;
    }
    assert_false (seen[0] || seen[1]);
    assert_true (seen[2] && seen[3] && seen[4]);
    store_close (&db);
    keystore_destroy (&ks);
}

static void
test_a_shredded_pooled_key_is_never_handed_out (void **state)
{
    (void) state;
    used_t used = {0};
    keystore_t *ks = s_open (&used);
    kt_reason_t r;
    uint8_t key[KEYSTORE_KEY_LEN];
    /*  Taken, used, then destroyed with its data (art. 13) before the
     *  refill dropped it from key_pool; the caller's row went with it. */
    uint8_t id[KEYSTORE_ID_LEN];
    assert_int_equal (keystore_take (ks, id, key, &r), 0);
    assert_int_equal (keystore_shred (ks, id, &r), 0);
    keystore_destroy (&ks);
    ks = s_open (&used);
    for (int i = 0; i < 1500; i++) {
        uint8_t other[KEYSTORE_ID_LEN];
        assert_int_equal (keystore_take (ks, other, key, &r), 0);
        assert_memory_not_equal (other, id, KEYSTORE_ID_LEN);
        if (i % 100 == 0)
            assert_int_equal (keystore_pool_refill (ks, &r), 0);
    }
    keystore_destroy (&ks);
}

/*  Every key id the key_pool_list rows name. */
typedef struct {
    uint8_t (*ids)[KEYSTORE_ID_LEN];
    size_t n;
} listed_ids_t;

static int
s_listed_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    listed_ids_t *l = arg;
    size_t n = (size_t) sqlite3_column_bytes (q, 0) / KEYSTORE_ID_LEN;
    l->ids = realloc (l->ids, (l->n + n) * sizeof *l->ids);
    assert_non_null (l->ids);
    memcpy (l->ids + l->n, sqlite3_column_blob (q, 0), n * KEYSTORE_ID_LEN);
    l->n += n;
    return 0;
}

/*  Every query the caller names counts (its table of keys in use, the
 *  keys it owes the shredder); one that fails leaves every listed key
 *  out, never hands one out that may be in use. */
static void
test_every_table_that_uses_keys_counts (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/counts.db", s_dir);
    kt_reason_t r;
    keystore_t *ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    sqlite3 *db = store_open (":memory:", &r);
    assert_non_null (db);
    assert_int_equal (
        store_exec (db, "CREATE TABLE used (key_id BLOB); CREATE TABLE owed (key_id BLOB)", &r), 0);
    static const char *const none[] = {NULL};
    assert_int_equal (keystore_pool_open (ks, db, none, &r), 0);
    uint8_t in_use[KEYSTORE_ID_LEN], owed[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    assert_int_equal (keystore_take (ks, in_use, key, &r), 0);
    assert_int_equal (keystore_take (ks, owed, key, &r), 0);
    keystore_destroy (&ks);
    assert_int_equal (store_run (db, "INSERT INTO used (key_id) VALUES (?)",
                                 STORE_VALUES (STORE_BLOB (in_use, KEYSTORE_ID_LEN)), "use", &r),
                      1);
    assert_int_equal (store_run (db, "INSERT INTO owed (key_id) VALUES (?)",
                                 STORE_VALUES (STORE_BLOB (owed, KEYSTORE_ID_LEN)), "owe", &r),
                      1);
    static const char *const both[] = {"SELECT key_id FROM used", "SELECT key_id FROM owed", NULL};
    ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    assert_int_equal (keystore_pool_open (ks, db, both, &r), 0);
    assert_int_equal (keystore_pool_size (ks), 1022); /* the list's other keys */
    for (int i = 0; i < 1022; i++) {
        uint8_t id[KEYSTORE_ID_LEN];
        assert_int_equal (keystore_take (ks, id, key, &r), 0);
        assert_memory_not_equal (id, in_use, KEYSTORE_ID_LEN);
        assert_memory_not_equal (id, owed, KEYSTORE_ID_LEN);
    }
    keystore_destroy (&ks);
    /*  A table that is not there: none of the listed keys is trusted;
     *  the pool is made anew. */
    static const char *const missing[] = {"SELECT key_id FROM used", "SELECT key_id FROM gone",
                                          NULL};
    ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    listed_ids_t before = {0};
    assert_int_equal (store_each (keystore_db (ks), "SELECT key_ids FROM key_pool_list", NULL, NULL,
                                  s_listed_row, &before, "read the lists", &r),
                      0);
    assert_true (before.n > 0);
    assert_int_equal (keystore_pool_open (ks, db, missing, &r), 0);
    assert_int_equal (keystore_pool_size (ks), 1024);
    for (int i = 0; i < 1024; i++) {
        uint8_t id[KEYSTORE_ID_LEN];
        assert_int_equal (keystore_take (ks, id, key, &r), 0);
        for (size_t k = 0; k < before.n; k++)
            assert_memory_not_equal (id, before.ids[k], KEYSTORE_ID_LEN);
    }
    free (before.ids);
    keystore_destroy (&ks);
    store_close (&db);
}

/*  The signal table's pool (signalbox_key_pool) at a node whose start
 *  stopped after the pool was made and before the retainbox made
 *  retain_shred (a start refused half-way): the next start hands out the
 *  listed keys, it does not count them all as in use for the table that
 *  is not there yet. */
static void
test_a_signalbox_without_retain_shred_keeps_its_pool (void **state)
{
    (void) state;
    char node_path[128], ks_path[128];
    snprintf (node_path, sizeof node_path, "%s/half-node.db", s_dir);
    snprintf (ks_path, sizeof ks_path, "%s/half-keystore.db", s_dir);
    kt_reason_t r;
    for (int start = 0; start < 2; start++) {
        sqlite3 *db = store_open (node_path, &r);
        assert_non_null (db);
        keystore_t *ks = keystore_open (ks_path, s_storage_key, &r);
        assert_non_null (ks);
        signalbox_t *box = signalbox_new (db, ks, &r);
        assert_non_null (box);
        listed_ids_t before = {0};
        assert_int_equal (store_each (keystore_db (ks), "SELECT key_ids FROM key_pool_list", NULL,
                                      NULL, s_listed_row, &before, "read the lists", &r),
                          0);
        assert_int_equal (store_has_table (db, "retain_shred", &r), 0);
        assert_int_equal (signalbox_key_pool (box, &r), 0);
        assert_int_equal (keystore_pool_size (ks), 1024);
        if (start == 1) {
            /*  The first start's list, handed out: no key made anew. */
            assert_int_equal (before.n, 1024);
            uint8_t id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
            assert_int_equal (keystore_take (ks, id, key, &r), 0);
            bool listed = false;
            for (size_t k = 0; k < before.n; k++)
                listed = listed || memcmp (id, before.ids[k], KEYSTORE_ID_LEN) == 0;
            assert_true (listed);
        }
        free (before.ids);
        signalbox_destroy (&box);
        keystore_destroy (&ks);
        store_close (&db);
    }
}

static void
test_without_a_pool_keys_are_made_in_the_callers_transaction (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/plain.db", s_dir);
    kt_reason_t r;
    keystore_t *ks = keystore_open (path, s_storage_key, &r);
    assert_non_null (ks);
    uint8_t id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN], back[KEYSTORE_KEY_LEN];
    assert_int_equal (store_begin (keystore_db (ks), &r), 0);
    assert_int_equal (keystore_take (ks, id, key, &r), 0);
    assert_int_equal (store_commit (keystore_db (ks), &r), 0);
    assert_int_equal (keystore_get (ks, id, back, &r), 0);
    assert_memory_equal (key, back, KEYSTORE_KEY_LEN);
    assert_int_equal (keystore_pool_size (ks), 0);
    keystore_destroy (&ks);
}

static void
test_a_replaced_storage_key_is_refused (void **state)
{
    (void) state;
    used_t used = {0};
    keystore_t *ks = s_open (&used); /* keys, under s_storage_key */
    keystore_destroy (&ks);
    /*  A key file made anew: its storage key would leave every data key
     *  unreadable, so the keystore does not open on it. */
    uint8_t other[32];
    randombytes_buf (other, sizeof other);
    char path[128];
    snprintf (path, sizeof path, "%s/keystore.db", s_dir);
    kt_reason_t r;
    ks = keystore_open (path, other, &r);
    assert_non_null (ks);
    assert_int_equal (keystore_check_storage (ks, &r), KEYSTORE_OTHER_STORAGE_KEY);
    assert_non_null (strstr (r.text, "wrapped under another storage key"));
    keystore_destroy (&ks);
    /*  The right one passes, again and again. */
    for (int i = 0; i < 2; i++) {
        ks = keystore_open (path, s_storage_key, &r);
        assert_non_null (ks);
        assert_int_equal (keystore_check_storage (ks, &r), 0);
        keystore_destroy (&ks);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_key_is_handed_out_once_even_across_a_crash),
        cmocka_unit_test (test_a_shredded_pooled_key_is_never_handed_out),
        cmocka_unit_test (test_a_malformed_list_is_refused),
        cmocka_unit_test (test_an_older_key_pool_is_taken_over),
        cmocka_unit_test (test_every_table_that_uses_keys_counts),
        cmocka_unit_test (test_a_signalbox_without_retain_shred_keeps_its_pool),
        cmocka_unit_test (test_without_a_pool_keys_are_made_in_the_callers_transaction),
        cmocka_unit_test (test_a_replaced_storage_key_is_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
