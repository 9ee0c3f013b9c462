/*  What the uitvoerder's status shows of its own copies for a member
 *  (docs/OPERATIONS.md, "Monitoring the federation"): how many wait for
 *  its receipt - pending or held, not settled ones - and when the oldest
 *  was kept, read from an index rather than the whole relay, as the
 *  status renders them for every member once a second; and how many
 *  expired undelivered, those of the last week apart (the
 *  expired_messages check).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "relay.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char dir[64];
    sqlite3 *db;
    relay_t *relay;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    kt_reason_t r;
    char path[128];
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "relaywait") != 0)
        return -1;
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    if (!(f->db = store_open (path, &r)) || !(f->relay = relay_new (f->db, &r))) {
        fprintf (stderr, "open: %s\n", r.text);
        return -1;
    }
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    relay_destroy (&f->relay);
    store_close (&f->db);
    testutil_rmtree (f->dir);
    free (f);
    return 0;
}

/*  A copy kept for recipient at at_ms, held (its MESSAGE_SENT owed) or,
 *  paid, pending. */
static void
s_keep (fixture_t *f, uint8_t id[KT_ID_LEN], const char *recipient, uint64_t at_ms, bool paid)
{
    kt_reason_t r;
    randombytes_buf (id, KT_ID_LEN);
    if (relay_insert (f->relay, id, recipient, KETEN__MESSAGE_TYPE__PLAN,
                      (const uint8_t *) "sealed", 6, at_ms, NULL, "", "test", "", &r) != 0 ||
        (paid && relay_owed_paid (f->relay, id, &r) != 0))
        fail_msg ("relay: %s", r.text);
}

static void
s_waiting (fixture_t *f, const char *recipient, int64_t count, uint64_t oldest_ms)
{
    kt_reason_t r;
    int64_t n = -1;
    uint64_t oldest = 1;
    if (relay_waiting (f->relay, recipient, &n, &oldest, &r) != 0)
        fail_msg ("relay_waiting: %s", r.text);
    assert_int_equal (n, count);
    assert_int_equal (oldest, oldest_ms);
}

static void
test_copies_waiting_for_a_receipt_are_counted_with_the_oldest (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN], c[KT_ID_LEN], d[KT_ID_LEN];
    s_waiting (f, "politie-x", 0, 0);
    s_keep (f, a, "politie-x", 1000, true);
    s_keep (f, b, "politie-x", 2000, false); /* held: waits all the same */
    s_keep (f, c, "politie-x", 3000, true);
    s_keep (f, d, "om-x", 500, true); /* another member's */
    s_waiting (f, "politie-x", 3, 1000);
    s_waiting (f, "om-x", 1, 500);
    /*  The oldest receipted: the next one is the oldest. */
    assert_int_equal (relay_settle (f->relay, a, "politie-x", true, NULL, 4000, &r), 1);
    s_waiting (f, "politie-x", 2, 2000);
    /*  Refused, or expired: settled, no longer waiting. */
    assert_int_equal (relay_owed_paid (f->relay, b, &r), 0);
    assert_int_equal (relay_settle (f->relay, b, "politie-x", false, "no", 5000, &r), 1);
    assert_int_equal (relay_expire (f->relay, "politie-x", 3500, 6000, &r), 1);
    s_waiting (f, "politie-x", 0, 0);
    s_waiting (f, "om-x", 1, 500);
}

/*  EXPLAIN QUERY PLAN's detail lines, joined. */
static int
s_plan_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    char *plan = arg;
    size_t used = strlen (plan);
    snprintf (plan + used, 512 - used, "%s;", (const char *) sqlite3_column_text (q, 3));
    return 0;
}

/*  The status asks per member, per render: from the index relay_waiting
 *  alone (a covering index: no row of the relay read), never by scanning
 *  a relay that may hold every copy ever sent. */
static void
test_the_count_reads_the_index_not_the_relay (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char plan[512] = "";
    if (store_each (f->db,
                    "EXPLAIN QUERY PLAN SELECT count(*), coalesce(min(created_ms), 0), 0"
                    " FROM relay WHERE state IN (0, 3) AND recipient=?",
                    store_bind_values, (void *) STORE_VALUES (STORE_TEXT ("politie-x")), s_plan_row,
                    plan, "plan", &r) != 0)
        fail_msg ("plan: %s", r.text);
    if (!strstr (plan, "USING COVERING INDEX relay_waiting (recipient=?)"))
        fail_msg ("not from the index: %s", plan);
}

static void
test_expired_copies_of_the_last_days_are_told_apart (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN];
    s_keep (f, a, "politie-x", 1000, true);
    assert_int_equal (relay_expire (f->relay, "politie-x", 1500, 10000, &r), 1);
    s_keep (f, b, "politie-x", 2000, true);
    assert_int_equal (relay_expire (f->relay, "politie-x", 2500, 20000, &r), 1);
    uint64_t last = 0;
    int64_t since = -1;
    assert_int_equal (relay_expired (f->relay, "politie-x", 15000, &last, &since, &r), 2);
    assert_int_equal (last, 20000);
    assert_int_equal (since, 1);
    assert_int_equal (relay_expired (f->relay, "politie-x", 30000, NULL, &since, &r), 2);
    assert_int_equal (since, 0);
    assert_int_equal (relay_expired (f->relay, "om-x", 0, NULL, &since, &r), 0);
    assert_int_equal (since, 0);
}

/*  The retry schedule is kept as wall-clock dates: after the clock
 *  stepped back an hour, a copy offered just before is due again within
 *  the backoff, not an hour later (docs/OPERATIONS.md, "Clocks"). */
static void
test_a_step_back_does_not_delay_a_retry (void **state)
{
    fixture_t *f = *state;
    uint8_t a[KT_ID_LEN];
    relay_item_t items[4];
    s_keep (f, a, "politie-x", 1000, true);
    uint64_t now = 10000000;
    assert_int_equal (relay_due (f->relay, "politie-x", now, items, 4), 1);
    free (items[0].header);
    /*  Within its backoff (a second after the first offer): not yet. */
    assert_int_equal (relay_due (f->relay, "politie-x", now + 500, items, 4), 0);
    /*  The clock an hour back: due at once, and rescheduled from there. */
    uint64_t back = now - 3600 * 1000;
    assert_int_equal (relay_due (f->relay, "politie-x", back, items, 4), 1);
    free (items[0].header);
    assert_int_equal (relay_due (f->relay, "politie-x", back + 500, items, 4), 0);
    assert_int_equal (relay_due (f->relay, "politie-x", back + 60000, items, 4), 1);
    free (items[0].header);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_copies_waiting_for_a_receipt_are_counted_with_the_oldest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_count_reads_the_index_not_the_relay, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_expired_copies_of_the_last_days_are_told_apart,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_step_back_does_not_delay_a_retry, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
