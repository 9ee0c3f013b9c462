/*  The rate limit for repeating log lines (ratelog.h), on an injected
 *  clock: a pair (event, key) gets one line a minute, with the lines left
 *  out counted in its next one; all pairs together get RATELOG_BUDGET
 *  lines a window, the rest counted as suppressed; and a new pair, with
 *  every slot taken, forgets the pair written least recently.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelog.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*  Any start well past 0, as a monotonic clock is. */
#define T0 (1000ULL * 1000 * 1000)
#define SEC (1000ULL * 1000)

static void
test_a_pair_is_written_once_a_minute_with_the_lines_left_out_counted (void **state)
{
    (void) state;
    ratelog_t *r = ratelog_new ();
    assert_non_null (r);
    assert_true (ratelog_due (r, "read_retry", 42, T0));
    assert_string_equal (ratelog_note (r), "");
    assert_false (ratelog_due (r, "read_retry", 42, T0 + 1 * SEC));
    assert_false (ratelog_due (r, "read_retry", 42, T0 + RATELOG_INTERVAL_US - 1));
    assert_true (ratelog_due (r, "read_retry", 42, T0 + RATELOG_INTERVAL_US));
    assert_string_equal (ratelog_note (r), " repeated=2");
    /*  The count starts again after each line. */
    assert_true (ratelog_due (r, "read_retry", 42, T0 + 2 * RATELOG_INTERVAL_US));
    assert_string_equal (ratelog_note (r), "");
    ratelog_destroy (&r);
    assert_null (r);
    ratelog_destroy (&r);
}

static void
test_other_events_and_other_keys_are_limited_apart (void **state)
{
    (void) state;
    ratelog_t *r = ratelog_new ();
    assert_non_null (r);
    assert_true (ratelog_due (r, "claim_retry", 1, T0));
    assert_true (ratelog_due (r, "claim_retry", 2, T0 + 1));
    assert_true (ratelog_due (r, "claim_failed", 1, T0 + 2));
    assert_false (ratelog_due (r, "claim_retry", 1, T0 + 3));
    assert_false (ratelog_due (r, "claim_retry", 2, T0 + 4));
    /*  An event is its word, not its pointer. */
    char same[] = "claim_failed";
    assert_false (ratelog_due (r, same, 1, T0 + 5));
    assert_true (ratelog_due (r, "claim_failed", 1, T0 + 2 + RATELOG_INTERVAL_US));
    assert_string_equal (ratelog_note (r), " repeated=1");
    ratelog_destroy (&r);
}

static void
test_at_most_the_budget_is_written_a_window_and_the_rest_is_counted (void **state)
{
    (void) state;
    ratelog_t *r = ratelog_new ();
    assert_non_null (r);
    assert_true (ratelog_due (r, "e", 0, T0));
    /*  A new window: a budget's worth of new pairs, then no more. */
    uint64_t t1 = T0 + RATELOG_INTERVAL_US;
    for (uint64_t k = 1; k <= RATELOG_BUDGET; k++)
        assert_true (ratelog_due (r, "e", k, t1));
    assert_false (ratelog_due (r, "e", 100, t1 + SEC));
    assert_false (ratelog_due (r, "e", 101, t1 + SEC));
    /*  Pair 0 is due again, but the budget is spent: counted as its own. */
    assert_false (ratelog_due (r, "e", 0, t1 + SEC));
    /*  The next window: pair 0 reports its line and the two without a
     *  slot; the next line reports nothing again. */
    uint64_t t2 = t1 + RATELOG_INTERVAL_US;
    assert_true (ratelog_due (r, "e", 0, t2));
    assert_string_equal (ratelog_note (r), " repeated=1 suppressed=2");
    assert_true (ratelog_due (r, "e", 100, t2));
    assert_string_equal (ratelog_note (r), "");
    ratelog_destroy (&r);
}

static void
test_a_new_pair_with_every_slot_taken_forgets_the_least_recent (void **state)
{
    (void) state;
    ratelog_t *r = ratelog_new ();
    assert_non_null (r);
    /*  Fill every slot, a budget per window, pair 0 first; pairs 0 and 1
     *  each with a line left out. */
    uint64_t t = T0;
    for (uint64_t k = 0; k < RATELOG_SLOTS; k++) {
        if (k > 0 && k % RATELOG_BUDGET == 0)
            t += RATELOG_INTERVAL_US;
        assert_true (ratelog_due (r, "e", k, t + k));
        if (k == 1) {
            assert_false (ratelog_due (r, "e", 0, t + SEC));
            assert_false (ratelog_due (r, "e", 1, t + SEC));
        }
    }
    /*  A new pair takes pair 0's slot: pair 1, the next least recent,
     *  keeps its count, and pair 0 comes back without one. */
    t += RATELOG_SLOTS + RATELOG_INTERVAL_US; /* past the window begun at t + 32 */
    assert_true (ratelog_due (r, "e", 1000, t));
    assert_true (ratelog_due (r, "e", 1, t + 1));
    assert_string_equal (ratelog_note (r), " repeated=1");
    assert_true (ratelog_due (r, "e", 0, t + 2));
    assert_string_equal (ratelog_note (r), "");
    ratelog_destroy (&r);
}

/*  A spool file handled frees its inode, which the next file may get at
 *  once: that file's first line is written, not counted as a repeat. */
static void
test_a_forgotten_key_gets_its_next_line_at_once (void **state)
{
    (void) state;
    ratelog_t *r = ratelog_new ();
    assert_non_null (r);
    assert_true (ratelog_due (r, "read_retry", 42, T0));
    assert_true (ratelog_due (r, "claim_retry", 42, T0));
    assert_true (ratelog_due (r, "read_retry", 7, T0));
    assert_false (ratelog_due (r, "read_retry", 42, T0 + SEC));
    ratelog_forget (r, 42);
    assert_true (ratelog_due (r, "read_retry", 42, T0 + 2 * SEC));
    assert_string_equal (ratelog_note (r), "");
    assert_true (ratelog_due (r, "claim_retry", 42, T0 + 2 * SEC));
    /*  Other keys keep their limit. */
    assert_false (ratelog_due (r, "read_retry", 7, T0 + 2 * SEC));
    ratelog_forget (r, 99); /* nothing of it: nothing changes */
    assert_false (ratelog_due (r, "read_retry", 42, T0 + 3 * SEC));
    ratelog_destroy (&r);
}

/*  One thing's line of a changing value: the first change at once, the
 *  changes of the next minute counted, and said - the value as it then
 *  stands - by the first call a minute on, change or not; nothing more
 *  while nothing changes, and a change after a quiet minute at once. */
static void
test_one_line_a_minute_for_a_value_that_keeps_changing (void **state)
{
    (void) state;
    ratelog_one_t one = {0};
    unsigned repeated = 99;
    assert_true (ratelog_one_due (&one, true, T0, &repeated));
    assert_int_equal (repeated, 0);
    for (uint64_t t = T0 + SEC / 10; t < T0 + RATELOG_INTERVAL_US; t += SEC / 10)
        assert_false (ratelog_one_due (&one, t % (SEC / 5) == 0, t, &repeated));
    assert_int_equal (one.left_out, 299);
    assert_true (ratelog_one_due (&one, false, T0 + RATELOG_INTERVAL_US, &repeated));
    assert_int_equal (repeated, 299);
    assert_false (ratelog_one_due (&one, false, T0 + 3 * RATELOG_INTERVAL_US, &repeated));
    assert_true (ratelog_one_due (&one, true, T0 + 3 * RATELOG_INTERVAL_US, &repeated));
    assert_int_equal (repeated, 0);
    /*  A change within the minute, then none: said a minute on. */
    assert_false (ratelog_one_due (&one, true, T0 + 3 * RATELOG_INTERVAL_US + SEC, &repeated));
    assert_false (ratelog_one_due (&one, false, T0 + 4 * RATELOG_INTERVAL_US - 1, &repeated));
    assert_true (ratelog_one_due (&one, false, T0 + 4 * RATELOG_INTERVAL_US, &repeated));
    assert_int_equal (repeated, 1);
}

/*  What kt_log wrote to stderr while flush ran ratelog_peer_flush (self,
 *  now_us, all); free it. */
static char *
s_flushed (ratelog_peer_t *self, uint64_t now_us, bool all)
{
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    assert_true (saved >= 0);
    FILE *out = tmpfile ();
    assert_non_null (out);
    assert_true (dup2 (fileno (out), STDERR_FILENO) >= 0);
    ratelog_peer_flush (self, now_us, all);
    fflush (stderr);
    assert_true (dup2 (saved, STDERR_FILENO) >= 0);
    close (saved);
    char *text = calloc (1, 65536);
    assert_non_null (text);
    rewind (out);
    size_t got = fread (text, 1, 65535, out);
    text[got] = '\0';
    fclose (out);
    return text;
}

static size_t
s_lines (const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '\n';
    return n;
}

static void
test_a_peer_gets_its_first_lines_of_a_window_and_one_count (void **state)
{
    (void) state;
    ratelog_peer_t *r = ratelog_peer_new ();
    assert_non_null (r);
    for (unsigned i = 0; i < RATELOG_PEER_LINES; i++)
        assert_true (ratelog_peer_due (r, "message refused", "gemeente-a", T0 + i));
    for (unsigned i = 0; i < 1000; i++)
        assert_false (ratelog_peer_due (r, "message refused", "gemeente-a", T0 + 30 * SEC));
    /*  Others are limited apart: another event, another peer. */
    assert_true (ratelog_peer_due (r, "cosignature refused", "gemeente-a", T0 + 30 * SEC));
    assert_true (ratelog_peer_due (r, "message refused", "politie-b", T0 + 30 * SEC));
    /*  Nothing to say while the window is open. */
    char *text = s_flushed (r, T0 + RATELOG_INTERVAL_US - 1, false);
    assert_string_equal (text, "");
    free (text);
    text = s_flushed (r, T0 + RATELOG_INTERVAL_US, false);
    assert_non_null (strstr (text, "message refused_counted peer=gemeente-a count=1000\n"));
    assert_int_equal (s_lines (text), 1);
    free (text);
    /*  A new window: the first lines again, nothing counted twice. */
    assert_true (ratelog_peer_due (r, "message refused", "gemeente-a", T0 + 61 * SEC));
    text = s_flushed (r, T0 + 200 * SEC, false);
    assert_string_equal (text, "");
    free (text);
    ratelog_peer_destroy (&r);
    assert_null (r);
}

static void
test_a_window_over_says_its_count_at_the_next_line (void **state)
{
    (void) state;
    ratelog_peer_t *r = ratelog_peer_new ();
    assert_non_null (r);
    for (unsigned i = 0; i < RATELOG_PEER_LINES + 5; i++)
        ratelog_peer_due (r, "transport malformed_bundle", "gemeente-a", T0);
    /*  Not flushed: the next window's first line says the old count first. */
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    FILE *out = tmpfile ();
    assert_true (dup2 (fileno (out), STDERR_FILENO) >= 0);
    assert_true (
        ratelog_peer_due (r, "transport malformed_bundle", "gemeente-a", T0 + RATELOG_INTERVAL_US));
    fflush (stderr);
    assert_true (dup2 (saved, STDERR_FILENO) >= 0);
    close (saved);
    char text[512] = "";
    rewind (out);
    text[fread (text, 1, sizeof text - 1, out)] = '\0';
    fclose (out);
    assert_non_null (strstr (text, "transport malformed_bundle_counted peer=gemeente-a count=5\n"));
    ratelog_peer_destroy (&r);
}

static void
test_every_slot_taken_a_new_pair_says_the_oldest_count (void **state)
{
    (void) state;
    ratelog_peer_t *r = ratelog_peer_new ();
    assert_non_null (r);
    char peer[32];
    for (unsigned p = 0; p < RATELOG_PEER_SLOTS; p++) {
        snprintf (peer, sizeof peer, "m%u", p);
        for (unsigned i = 0; i <= RATELOG_PEER_LINES; i++)
            ratelog_peer_due (r, "message refused", peer, T0 + p);
    }
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    FILE *out = tmpfile ();
    assert_true (dup2 (fileno (out), STDERR_FILENO) >= 0);
    assert_true (ratelog_peer_due (r, "message refused", "late", T0 + 1000));
    fflush (stderr);
    assert_true (dup2 (saved, STDERR_FILENO) >= 0);
    close (saved);
    char text[512] = "";
    rewind (out);
    text[fread (text, 1, sizeof text - 1, out)] = '\0';
    fclose (out);
    assert_non_null (strstr (text, "message refused_counted peer=m0 count=1\n"));
    /*  The others' counts are said when the node stops. */
    char *rest = s_flushed (r, T0 + 2000, true);
    assert_int_equal (s_lines (rest), RATELOG_PEER_SLOTS - 1);
    free (rest);
    ratelog_peer_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_pair_is_written_once_a_minute_with_the_lines_left_out_counted),
        cmocka_unit_test (test_other_events_and_other_keys_are_limited_apart),
        cmocka_unit_test (test_at_most_the_budget_is_written_a_window_and_the_rest_is_counted),
        cmocka_unit_test (test_a_new_pair_with_every_slot_taken_forgets_the_least_recent),
        cmocka_unit_test (test_a_forgotten_key_gets_its_next_line_at_once),
        cmocka_unit_test (test_one_line_a_minute_for_a_value_that_keeps_changing),
        cmocka_unit_test (test_a_peer_gets_its_first_lines_of_a_window_and_one_count),
        cmocka_unit_test (test_a_window_over_says_its_count_at_the_next_line),
        cmocka_unit_test (test_every_slot_taken_a_new_pair_says_the_oldest_count),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
