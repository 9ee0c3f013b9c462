/*  freshids (common/freshids.h): a time-ordered id past every one counted
 *  is new without asking the file; an id counted is not; a fully random
 *  id (a held signal's) is kept apart and does not stop that for the
 *  time-ordered ids after it, even with more of them than the list holds;
 *  the count is made again from a real table,
 *  and a table whose bound is no id as keten makes them sends every
 *  lookup to the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "freshids.h"
#include "store.h"

#include <sodium.h>
#include <string.h>

static void
s_exec (sqlite3 *db, const char *sql)
{
    kt_reason_t reason;
    if (store_exec (db, sql, &reason) != 0)
        fail_msg ("%s: %s", sql, reason.text);
}

static void
s_insert (sqlite3 *db, const uint8_t *id, size_t len)
{
    kt_reason_t reason;
    assert_int_equal (store_run (db, "INSERT INTO t (id) VALUES (?)",
                                 STORE_VALUES (STORE_BLOB (id, len)), "add an id", &reason),
                      1);
}

static void
test_time_ordered_ids_stay_new_after_a_random_one (void **state)
{
    (void) state;
    fresh_ids_t f = {0};
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN], random[KT_ID_LEN], c[KT_ID_LEN];
    kt_ordered_id (a, sizeof a);
    assert_true (fresh_ids_new (&f, a));
    fresh_ids_note (&f, a, kt_now_ms ());
    assert_false (fresh_ids_new (&f, a));
    kt_ordered_id (b, sizeof b);
    assert_true (fresh_ids_new (&f, b));
    fresh_ids_note (&f, b, kt_now_ms ());
    /*  A held signal's id: fully random, almost always far past the clock. */
    memset (random, 0xf0, sizeof random);
    assert_true (fresh_ids_new (&f, random));
    fresh_ids_note (&f, random, kt_now_ms ());
    assert_false (fresh_ids_new (&f, random));
    kt_ordered_id (c, sizeof c);
    assert_true (fresh_ids_new (&f, c));
    assert_false (fresh_ids_new (&f, a));
    assert_false (fresh_ids_new (&f, b));
    fresh_ids_free (&f);
}

/*  A far id: 0xf0, then n in its last four bytes. */
static void
s_far (uint8_t id[KT_ID_LEN], uint32_t n)
{
    memset (id, 0xf0, KT_ID_LEN);
    for (int i = 0; i < 4; i++)
        id[KT_ID_LEN - 1 - i] = (uint8_t) (n >> (8 * i));
}

/*  More ids past the clock than the list holds (65,536): the lowest stay
 *  listed, the others count as the ceiling, and an id made now is still
 *  new without asking the file. */
static void
test_more_far_ids_than_listed (void **state)
{
    (void) state;
    fresh_ids_t f = {0};
    uint8_t far[KT_ID_LEN], a[KT_ID_LEN];
    kt_ordered_id (a, sizeof a);
    fresh_ids_note (&f, a, kt_now_ms ());
    for (uint32_t n = 2; n < 2 + 65536; n++) {
        s_far (far, 2 * n);
        fresh_ids_note (&f, far, kt_now_ms ());
    }
    /*  One more, above them all: listed no more, but not new. */
    s_far (far, 4 * 65536);
    fresh_ids_note (&f, far, kt_now_ms ());
    assert_false (fresh_ids_new (&f, far));
    /*  One more, below them all: listed, and the highest listed leaves
     *  for the ceiling. */
    uint8_t low[KT_ID_LEN], highest[KT_ID_LEN];
    s_far (low, 1);
    fresh_ids_note (&f, low, kt_now_ms ());
    assert_false (fresh_ids_new (&f, low));
    s_far (highest, 2 * (2 + 65535));
    assert_false (fresh_ids_new (&f, highest));
    s_far (far, 2 * 2);
    assert_false (fresh_ids_new (&f, far));
    s_far (far, 2 * 2 + 1); /* between listed ones: never stored */
    assert_true (fresh_ids_new (&f, far));
    /*  Ids made now: past the last counted, new without a lookup. */
    assert_false (fresh_ids_new (&f, a));
    uint8_t b[KT_ID_LEN];
    kt_ordered_id (b, sizeof b);
    assert_true (fresh_ids_new (&f, b));
    fresh_ids_free (&f);
}

/*  Far ids in random order (held signals' ids): each takes its place in
 *  the sorted list, whatever the order they come in. */
static void
test_far_ids_in_random_order_are_listed_in_order (void **state)
{
    (void) state;
    enum { N = 5000 };
    static uint8_t ids[N][KT_ID_LEN];
    fresh_ids_t f = {0};
    for (size_t i = 0; i < N; i++) {
        randombytes_buf (ids[i], KT_ID_LEN);
        ids[i][0] |= 0xf0; /* past the clock for thousands of years */
        assert_true (fresh_ids_new (&f, ids[i]));
        fresh_ids_note (&f, ids[i], kt_now_ms ());
        fresh_ids_note (&f, ids[i], kt_now_ms ()); /* again: listed once */
    }
    assert_int_equal (f.n_above, N);
    for (size_t i = 1; i < N; i++)
        assert_true (memcmp (f.above[i - 1], f.above[i], KT_ID_LEN) < 0);
    for (size_t i = 0; i < N; i++)
        assert_false (fresh_ids_new (&f, ids[i]));
    uint8_t other[KT_ID_LEN];
    memcpy (other, ids[0], KT_ID_LEN);
    other[KT_ID_LEN - 1] ^= 1;
    assert_true (fresh_ids_new (&f, other));
    fresh_ids_free (&f);
}

static void
test_the_count_is_made_again_from_the_table (void **state)
{
    (void) state;
    kt_reason_t reason;
    sqlite3 *db = store_open (":memory:", &reason);
    assert_non_null (db);
    s_exec (db, "CREATE TABLE t (id BLOB PRIMARY KEY)");
    uint8_t a[KT_ID_LEN], random[KT_ID_LEN], b[KT_ID_LEN];
    kt_ordered_id (a, sizeof a);
    memset (random, 0xf0, sizeof random);
    s_insert (db, a, sizeof a);
    s_insert (db, random, sizeof random);
    fresh_ids_t f = {0};
    assert_int_equal (fresh_ids_load (&f, db, "t", "id", &reason), 0);
    kt_ordered_id (b, sizeof b);
    assert_true (fresh_ids_new (&f, b));
    assert_false (fresh_ids_new (&f, a));
    assert_false (fresh_ids_new (&f, random));
    fresh_ids_free (&f);

    /*  A bound of another length (a's bytes and one more, just above
     *  it): nothing is known, every id asks. */
    uint8_t longer[KT_ID_LEN + 1] = {0};
    memcpy (longer, a, KT_ID_LEN);
    s_insert (db, longer, sizeof longer);
    assert_int_equal (fresh_ids_load (&f, db, "t", "id", &reason), 0);
    kt_ordered_id (b, sizeof b);
    assert_false (fresh_ids_new (&f, b));
    fresh_ids_free (&f);
    store_close (&db);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_time_ordered_ids_stay_new_after_a_random_one),
        cmocka_unit_test (test_more_far_ids_than_listed),
        cmocka_unit_test (test_far_ids_in_random_order_are_listed_in_order),
        cmocka_unit_test (test_the_count_is_made_again_from_the_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
