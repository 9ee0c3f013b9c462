/*  clockcheck: the federation's word on this node's clock (clockcheck.h).
 *  Confirmed while, of the peers measured within the hour, more agree
 *  than disagree (a tie is not enough), once the start's window is over;
 *  a measurement older than the hour counts for nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clockcheck.h"

#include <string.h>

#define TOL 300000 /* clock-skew-ms */
#define DAY_MS (86400 * 1000LL)
/*  Our wall clock at monotonic m, with no step between. */
#define WALL(m) (1800000000000ULL + (m))

static void
test_nothing_measured_is_not_confirmed (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    assert_non_null (c);
    clockcheck_verdict_t v = clockcheck_verdict (c, 1000, WALL (1000), TOL);
    assert_false (v.confirmed);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    assert_non_null (strstr (words, "no peer has measured"));
    clockcheck_destroy (&c);
    assert_null (c);
}

static void
test_one_peer_agreeing_confirms_for_an_hour (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    assert_int_equal (clockcheck_heard (c, "politie", -40, 5000, WALL (5000), TOL),
                      CLOCKCHECK_HEARD_AGREES);
    assert_int_equal (clockcheck_heard (c, "politie", 20, 6000, WALL (6000), TOL),
                      CLOCKCHECK_HEARD_SAME);
    assert_true (
        clockcheck_verdict (c, 6000 + CLOCKCHECK_FRESH_MS, WALL (6000 + CLOCKCHECK_FRESH_MS), TOL)
            .confirmed);
    /*  An hour on, unheard: no longer. */
    assert_false (
        clockcheck_verdict (c, 6001 + CLOCKCHECK_FRESH_MS, WALL (6001 + CLOCKCHECK_FRESH_MS), TOL)
            .confirmed);
    clockcheck_destroy (&c);
}

static void
test_every_peer_disagreeing_names_the_cause (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    /*  Our clock 200 days ahead: theirs read 200 days less. */
    assert_int_equal (clockcheck_heard (c, "politie", -200 * DAY_MS, 1000, WALL (1000), TOL),
                      CLOCKCHECK_HEARD_DISAGREES);
    assert_int_equal (clockcheck_heard (c, "om", -200 * DAY_MS - 5, 1000, WALL (1000), TOL),
                      CLOCKCHECK_HEARD_DISAGREES);
    clockcheck_verdict_t v = clockcheck_verdict (c, 2000, WALL (2000), TOL);
    assert_false (v.confirmed);
    assert_int_equal (v.disagree, 2);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    assert_non_null (strstr (words, "17280000 s ahead of the federation's (om's clock"));
    clockcheck_destroy (&c);
}

static void
test_one_wrong_member_does_not_outvote_the_others (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_heard (c, "politie", 10, 1000, WALL (1000), TOL);
    clockcheck_heard (c, "om", 12, 1000, WALL (1000), TOL);
    clockcheck_heard (c, "gemeente", 30 * DAY_MS, 1000, WALL (1000), TOL);
    assert_true (clockcheck_verdict (c, 2000, WALL (2000), TOL).confirmed);
    /*  A peer's step ends its agreement: more disagree than agree. */
    assert_int_equal (clockcheck_heard (c, "om", 30 * DAY_MS, 3000, WALL (3000), TOL),
                      CLOCKCHECK_HEARD_DISAGREES);
    assert_false (clockcheck_verdict (c, 3000, WALL (3000), TOL).confirmed);
    clockcheck_destroy (&c);
}

/*  The uitvoerder's clock 200 days ahead: the honest police node
 *  disagrees, a lying member dates its heartbeat by the uitvoerder's own
 *  clock (read off its replies) and agrees.  A tie confirms nothing. */
static void
test_a_tie_is_not_confirmed (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_heard (c, "politie", -200 * DAY_MS, 1000, WALL (1000), TOL);
    assert_int_equal (clockcheck_heard (c, "gemeente", 15, 1500, WALL (1500), TOL),
                      CLOCKCHECK_HEARD_AGREES);
    clockcheck_verdict_t v = clockcheck_verdict (c, 2000, WALL (2000), TOL);
    assert_false (v.confirmed);
    assert_int_equal (v.agree, 1);
    assert_int_equal (v.disagree, 1);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    assert_non_null (strstr (words, "17280000 s ahead of politie's clock and no majority"));
    /*  Two that agree against the one: a strict majority confirms. */
    clockcheck_heard (c, "om", -20, 2500, WALL (2500), TOL);
    assert_true (clockcheck_verdict (c, 3000, WALL (3000), TOL).confirmed);
    clockcheck_destroy (&c);
}

/*  More agree than disagree, or nothing: with two or more peers
 *  measured that takes two that agree. */
static void
test_the_majority_decides (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_heard (c, "politie", 10, 1000, WALL (1000), TOL);
    clockcheck_heard (c, "om", 30 * DAY_MS, 1000, WALL (1000), TOL);
    clockcheck_heard (c, "gemeente", 30 * DAY_MS, 1000, WALL (1000), TOL);
    clockcheck_verdict_t v = clockcheck_verdict (c, 2000, WALL (2000), TOL);
    assert_false (v.confirmed);
    assert_int_equal (v.agree, 1);
    assert_int_equal (v.disagree, 2);
    clockcheck_heard (c, "om", -10, 3000, WALL (3000), TOL);
    v = clockcheck_verdict (c, 3000, WALL (3000), TOL);
    assert_true (v.confirmed);
    assert_int_equal (v.agree, 2);
    /*  The one that disagreed is an hour old: the two alone decide. */
    uint64_t later = 1001 + CLOCKCHECK_FRESH_MS;
    clockcheck_heard (c, "politie", 10, later, WALL (later), TOL);
    clockcheck_heard (c, "om", -10, later, WALL (later), TOL);
    v = clockcheck_verdict (c, later, WALL (later), TOL);
    assert_true (v.confirmed);
    assert_int_equal (v.disagree, 0);
    clockcheck_destroy (&c);
}

/*  After a start the first peer heard does not confirm alone: its word,
 *  and every other's, counts only once each had a heartbeat timeout to
 *  be heard.  The operator's word counts within it. */
static void
test_the_start_window (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_start (c, 1000, 2000);
    /*  The lying member is heard first. */
    clockcheck_heard (c, "gemeente", 0, 1100, WALL (1100), TOL);
    clockcheck_verdict_t v = clockcheck_verdict (c, 1200, WALL (1200), TOL);
    assert_false (v.confirmed);
    assert_int_equal (v.agree, 1);
    assert_int_equal (v.settling_ms, 1800);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    assert_non_null (strstr (words, "this node started: its peers are heard for 2 s more"));
    assert_false (clockcheck_verdict (c, 2999, WALL (2999), TOL).confirmed);
    /*  The honest one within the window: after it, a tie. */
    clockcheck_heard (c, "politie", -200 * DAY_MS, 2500, WALL (2500), TOL);
    v = clockcheck_verdict (c, 3000, WALL (3000), TOL);
    assert_false (v.confirmed);
    assert_int_equal (v.settling_ms, 0);
    /*  The operator's word is not held up by the window. */
    clockcheck_t *o = clockcheck_new ();
    clockcheck_start (o, 1000, 2000);
    clockcheck_operator_confirm (o, 1100, WALL (1100), DAY_MS);
    v = clockcheck_verdict (o, 1200, WALL (1200), TOL);
    assert_true (v.confirmed && v.by_operator);
    clockcheck_destroy (&o);
    /*  A federation with one member online: confirmed by it after the
     *  window, not never. */
    clockcheck_t *one = clockcheck_new ();
    clockcheck_start (one, 1000, 2000);
    clockcheck_heard (one, "politie", 5, 1100, WALL (1100), TOL);
    assert_false (clockcheck_verdict (one, 2999, WALL (2999), TOL).confirmed);
    assert_true (clockcheck_verdict (one, 3000, WALL (3000), TOL).confirmed);
    clockcheck_destroy (&one);
    clockcheck_destroy (&c);
}

static void
test_a_name_too_long_is_not_kept (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    char name[KEYS_ID_MAX + 2];
    memset (name, 'a', sizeof name - 1);
    name[sizeof name - 1] = 0;
    assert_int_equal (clockcheck_heard (c, name, 0, 1000, WALL (1000), TOL), CLOCKCHECK_HEARD_SAME);
    assert_false (clockcheck_verdict (c, 1000, WALL (1000), TOL).confirmed);
    clockcheck_destroy (&c);
}

/*  Our wall clock stepped ahead while the peers were silent: what they
 *  said of it before the step no longer confirms it. */
static void
test_a_step_since_the_measurement_is_judged (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    assert_int_equal (clockcheck_heard (c, "politie", 20, 1000, WALL (1000), TOL),
                      CLOCKCHECK_HEARD_AGREES);
    /*  A minute later, the wall clock 200 days ahead of where it ran. */
    clockcheck_verdict_t v = clockcheck_verdict (c, 61000, WALL (61000) + 200 * DAY_MS, TOL);
    assert_false (v.confirmed);
    assert_int_equal (v.disagree, 1);
    assert_true (v.skew_ms < -199 * DAY_MS);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    assert_non_null (strstr (words, "ahead"));
    /*  A step inside the tolerance (NTP slewing a little) still agrees. */
    assert_true (clockcheck_verdict (c, 61000, WALL (61000) + TOL / 2, TOL).confirmed);
    /*  A step back to where it was: confirmed again. */
    assert_true (clockcheck_verdict (c, 62000, WALL (62000), TOL).confirmed);
    clockcheck_destroy (&c);
}

/*  The operator's word (keten clock confirm): confirmed without a peer,
 *  and over one that disagrees, for as long as it was given (at most a
 *  day), and only while the wall clock does not step. */
static void
test_the_operators_confirmation_lasts_its_time (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    assert_int_equal (clockcheck_operator (c, 1000, WALL (1000), NULL), CLOCKCHECK_OPERATOR_NONE);
    clockcheck_operator_confirm (c, 1000, WALL (1000), 3 * DAY_MS);
    clockcheck_verdict_t v = clockcheck_verdict (c, 2000, WALL (2000), TOL);
    assert_true (v.confirmed);
    assert_true (v.by_operator);
    assert_int_equal (v.operator_left_ms, 24 * 3600 * 1000LL - 1000);
    char words[200];
    clockcheck_words (&v, words, sizeof words);
    assert_non_null (strstr (words, "by its operator"));
    /*  The uitvoerder's clock is the one that is wrong. */
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS, 3000, WALL (3000), TOL);
    v = clockcheck_verdict (c, 4000, WALL (4000), TOL);
    assert_true (v.confirmed && v.by_operator);
    assert_int_equal (v.disagree, 1);
    /*  A peer that agrees against the one that does not, a tie: still
     *  the operator's word alone. */
    clockcheck_heard (c, "politie", 10, 5000, WALL (5000), TOL);
    v = clockcheck_verdict (c, 5000, WALL (5000), TOL);
    assert_true (v.confirmed && v.by_operator);
    /*  Two that agree: confirmed by them, the operator's word still in force. */
    clockcheck_heard (c, "om", -10, 5500, WALL (5500), TOL);
    v = clockcheck_verdict (c, 6000, WALL (6000), TOL);
    assert_true (v.confirmed);
    assert_false (v.by_operator);
    assert_true (v.operator_left_ms > 0);
    /*  A day on: over, and forgotten. */
    uint64_t day = 1000 + 24 * 3600 * 1000ULL;
    assert_int_equal (clockcheck_operator (c, day - 1, WALL (day - 1), NULL),
                      CLOCKCHECK_OPERATOR_IN_FORCE);
    assert_int_equal (clockcheck_operator (c, day, WALL (day), NULL), CLOCKCHECK_OPERATOR_ENDED);
    assert_int_equal (clockcheck_operator (c, day, WALL (day), NULL), CLOCKCHECK_OPERATOR_NONE);
    assert_false (clockcheck_verdict (c, day, WALL (day), TOL).confirmed);
    clockcheck_destroy (&c);
}

/*  The wall clock stepped after the operator checked it: void at once,
 *  and for good, even when it steps back. */
static void
test_a_step_voids_the_operators_confirmation (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_operator_confirm (c, 1000, WALL (1000), 3600 * 1000);
    /*  A little slewing and jitter is no step. */
    assert_true (clockcheck_verdict (c, 2000, WALL (2000) + 5000, TOL).confirmed);
    assert_false (clockcheck_verdict (c, 2000, WALL (2000) - 200 * DAY_MS, TOL).confirmed);
    int64_t step = 0;
    assert_int_equal (clockcheck_operator (c, 2000, WALL (2000) - 60000, &step),
                      CLOCKCHECK_OPERATOR_STEPPED);
    assert_int_equal (step, -60000);
    assert_false (clockcheck_verdict (c, 3000, WALL (3000), TOL).confirmed);
    assert_int_equal (clockcheck_operator (c, 3000, WALL (3000), NULL), CLOCKCHECK_OPERATOR_NONE);
    clockcheck_destroy (&c);
}

/*  A time source that slews moves the wall and the monotonic clock
 *  alike, which the step check does not see; a peer's skew moving away
 *  from what it was when the operator confirmed does.  A peer that
 *  disagreed already then (its own clock wrong) voids nothing while it
 *  stays where it was; one first heard after is held to its first
 *  measurement. */
static void
test_a_peer_whose_skew_moves_voids_the_operators_confirmation (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    /*  Measured before: the uitvoerder's clock 200 days off. */
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS, 500, WALL (500), TOL);
    clockcheck_operator_confirm (c, 1000, WALL (1000), DAY_MS);
    /*  It stays there, within the tolerance: still in force. */
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS + TOL, 2000, WALL (2000), TOL);
    assert_int_equal (clockcheck_operator (c, 2000, WALL (2000), NULL),
                      CLOCKCHECK_OPERATOR_IN_FORCE);
    /*  A peer first heard now: held to what it says now. */
    clockcheck_heard (c, "politie", -200 * DAY_MS, 3000, WALL (3000), TOL);
    clockcheck_heard (c, "politie", -200 * DAY_MS - TOL, 4000, WALL (4000), TOL);
    clockcheck_verdict_t v = clockcheck_verdict (c, 4000, WALL (4000), TOL);
    assert_true (v.confirmed && v.by_operator);
    /*  Our clock slewed 10 minutes away from the uitvoerder's, no step
     *  against the monotonic clock: one measurement may be a heartbeat
     *  handled late; the second in a row voids it, for good. */
    uint64_t later = 4000 + 7200 * 1000ULL;
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS + 600000, later - 1000, WALL (later - 1000),
                      TOL);
    assert_int_equal (clockcheck_operator (c, later - 1000, WALL (later - 1000), NULL),
                      CLOCKCHECK_OPERATOR_IN_FORCE);
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS + 600000, later, WALL (later), TOL);
    assert_false (clockcheck_verdict (c, later, WALL (later), TOL).confirmed);
    int64_t moved = 0;
    assert_int_equal (clockcheck_operator (c, later, WALL (later), &moved),
                      CLOCKCHECK_OPERATOR_PEER_MOVED);
    assert_int_equal (moved, 600000);
    assert_string_equal (clockcheck_operator_moved_peer (c), "uitvoerder");
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS, later + 1, WALL (later + 1), TOL);
    assert_false (clockcheck_verdict (c, later + 1, WALL (later + 1), TOL).confirmed);
    assert_int_equal (clockcheck_operator (c, later + 1, WALL (later + 1), NULL),
                      CLOCKCHECK_OPERATOR_NONE);
    /*  A new confirmation holds against what the peers say now. */
    clockcheck_operator_confirm (c, later + 2, WALL (later + 2), DAY_MS);
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS, later + 3, WALL (later + 3), TOL);
    assert_int_equal (clockcheck_operator (c, later + 3, WALL (later + 3), NULL),
                      CLOCKCHECK_OPERATOR_IN_FORCE);
    clockcheck_destroy (&c);
}

/*  One heartbeat handled late (its delay counts as skew) between two
 *  on time does not void the operator's confirmation. */
static void
test_one_late_heartbeat_leaves_the_operators_confirmation (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_heard (c, "uitvoerder", -50, 500, WALL (500), 1000);
    clockcheck_operator_confirm (c, 1000, WALL (1000), DAY_MS);
    clockcheck_heard (c, "uitvoerder", -1250, 2000, WALL (2000), 1000);
    clockcheck_heard (c, "uitvoerder", -50, 3000, WALL (3000), 1000);
    clockcheck_heard (c, "uitvoerder", -1250, 4000, WALL (4000), 1000);
    clockcheck_heard (c, "uitvoerder", -50, 5000, WALL (5000), 1000);
    assert_int_equal (clockcheck_operator (c, 5000, WALL (5000), NULL),
                      CLOCKCHECK_OPERATOR_IN_FORCE);
    clockcheck_destroy (&c);
}

/*  The operator set this node's clock right (a step of 10 minutes),
 *  then confirmed it while the only peer is still wrong: the peer's
 *  measurement from before the step is not what the confirmation holds
 *  against, and its next ones (10 minutes apart from it) do not void it. */
static void
test_a_measurement_before_the_operators_step_is_not_remembered (void **state)
{
    (void) state;
    clockcheck_t *c = clockcheck_new ();
    clockcheck_heard (c, "uitvoerder", 200 * DAY_MS, 500, WALL (500), TOL);
    uint64_t stepped = WALL (1000) + 600000;
    clockcheck_operator_confirm (c, 1000, stepped, DAY_MS);
    for (uint64_t t = 2000; t <= 4000; t += 1000)
        clockcheck_heard (c, "uitvoerder", 200 * DAY_MS - 600000, t, stepped + (t - 1000), TOL);
    assert_int_equal (clockcheck_operator (c, 4000, stepped + 3000, NULL),
                      CLOCKCHECK_OPERATOR_IN_FORCE);
    clockcheck_destroy (&c);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_nothing_measured_is_not_confirmed),
        cmocka_unit_test (test_one_peer_agreeing_confirms_for_an_hour),
        cmocka_unit_test (test_every_peer_disagreeing_names_the_cause),
        cmocka_unit_test (test_one_wrong_member_does_not_outvote_the_others),
        cmocka_unit_test (test_a_tie_is_not_confirmed),
        cmocka_unit_test (test_the_majority_decides),
        cmocka_unit_test (test_the_start_window),
        cmocka_unit_test (test_a_name_too_long_is_not_kept),
        cmocka_unit_test (test_a_step_since_the_measurement_is_judged),
        cmocka_unit_test (test_the_operators_confirmation_lasts_its_time),
        cmocka_unit_test (test_a_step_voids_the_operators_confirmation),
        cmocka_unit_test (test_a_peer_whose_skew_moves_voids_the_operators_confirmation),
        cmocka_unit_test (test_one_late_heartbeat_leaves_the_operators_confirmation),
        cmocka_unit_test (test_a_measurement_before_the_operators_step_is_not_remembered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
