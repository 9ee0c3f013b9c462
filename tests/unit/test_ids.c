/*  kt_ordered_id (common/util.h): the 16-byte ids a process makes increase
 *  in the order it makes them, many in one millisecond too, carry the
 *  millisecond they were made in, and an id that would not be greater
 *  than the one before is the one before plus a random step (past the
 *  millisecond's last id: the next millisecond).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <string.h>

static uint64_t
s_ms (const uint8_t id[KT_ID_LEN])
{
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | id[i];
    return ms;
}

static void
test_ids_increase_in_the_order_they_are_made (void **state)
{
    (void) state;
    uint64_t t0 = kt_now_ms ();
    uint8_t prev[KT_ID_LEN], id[KT_ID_LEN];
    kt_ordered_id (prev, sizeof prev);
    size_t same_ms = 0;
    for (int i = 0; i < 50000; i++) {
        kt_ordered_id (id, sizeof id);
        assert_true (memcmp (id, prev, KT_ID_LEN) > 0);
        same_ms += s_ms (id) == s_ms (prev);
        memcpy (prev, id, KT_ID_LEN);
    }
    uint64_t t1 = kt_now_ms ();
    /*  Many in one millisecond: the case the order is for.  Ids run
     *  ahead of the clock only when a millisecond's run of steps passes
     *  its last id, rare even at this pace. */
    assert_true (same_ms > 1000);
    assert_true (s_ms (prev) >= t0 && s_ms (prev) <= t1 + 3);
}

/*  Wait (a few milliseconds at most) until the clock is past id's. */
static void
s_past (const uint8_t id[KT_ID_LEN])
{
    for (long spin = 0; kt_now_ms () <= s_ms (id) && spin < 1000000000L; spin++)
        ;
    assert_true (kt_now_ms () > s_ms (id));
}

static void
test_an_id_past_its_millisecond_takes_the_next (void **state)
{
    (void) state;
    uint8_t ff[KT_ID_LEN - 6], zero[KT_ID_LEN - 6], five[KT_ID_LEN - 6];
    memset (ff, 0xff, sizeof ff);
    memset (zero, 0, sizeof zero);
    memset (five, 0, sizeof five);
    five[0] = 5;
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN], c[KT_ID_LEN], d[KT_ID_LEN], e[KT_ID_LEN];
    /*  Past the last id made (which may be a millisecond ahead of the
     *  clock, after many in one): a is then the clock's, as drawn. */
    kt_ordered_id (a, KT_ID_LEN);
    s_past (a);
    kt_ordered_id_from (a, KT_ID_LEN, ff);
    assert_memory_equal (a + 6, ff, sizeof ff);
    /*  The greatest id of a's millisecond, or a later one's: b is in a
     *  later millisecond, with its own random bytes. */
    kt_ordered_id_from (b, KT_ID_LEN, ff);
    assert_true (s_ms (b) > s_ms (a));
    assert_memory_equal (b + 6, ff, sizeof ff);
    /*  Below b: the millisecond after b's (its last id again). */
    kt_ordered_id_from (c, KT_ID_LEN, zero);
    assert_true (s_ms (c) > s_ms (b));
    assert_memory_equal (c + 6, zero, sizeof zero);
    /*  c may be ahead of the clock: past it, d is as drawn. */
    s_past (c);
    kt_ordered_id_from (d, KT_ID_LEN, five);
    assert_true (memcmp (d, c, KT_ID_LEN) > 0);
    assert_memory_equal (d + 6, five, sizeof five);
    /*  Below d in d's millisecond: d plus 1 plus the 56-bit number in the
     *  first 7 random bytes (0 here). */
    kt_ordered_id_from (e, KT_ID_LEN, zero);
    assert_true (memcmp (e, d, KT_ID_LEN) > 0);
    if (s_ms (e) == s_ms (d)) {
        uint8_t want[KT_ID_LEN - 6];
        memcpy (want, five, sizeof want);
        want[sizeof want - 1] = 1;
        assert_memory_equal (e + 6, want, sizeof want);
    } else
        assert_memory_equal (e + 6, zero, sizeof zero);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ids_increase_in_the_order_they_are_made),
        cmocka_unit_test (test_an_id_past_its_millisecond_takes_the_next),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
