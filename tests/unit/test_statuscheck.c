/*  What `keten status --check`, the metrics' keten_check and the text of
 *  `keten status` judge (statuscheck.h): each check by its name, once; a
 *  part of the status the node could not read is a critical check of its
 *  own, status_incomplete, naming the part - never a part left out that
 *  reads as nothing raised (docs/OPERATIONS.md, "keten status --check").  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "statuscheck.h"

#include <stdio.h>
#include <string.h>

/*  What one run raised: each check's count, and the verdict's words. */
typedef struct {
    uint64_t count[64];
    char summary[64][200];
    int level; /* 0, or the gravest level raised */
    size_t seen;
} s_run_t;

static const statuscheck_t *
s_find (const char *name, size_t *index)
{
    size_t n;
    const statuscheck_t *all = statuscheck_all (&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp (all[i].name, name) == 0) {
            *index = i;
            return &all[i];
        }
    fail_msg ("no check %s", name);
    return NULL;
}

static void
s_note (void *arg, const statuscheck_t *check, uint64_t count, const char *summary)
{
    s_run_t *r = arg;
    size_t n;
    const statuscheck_t *all = statuscheck_all (&n);
    size_t i = (size_t) (check - all);
    assert_true (i < n && i < 64);
    r->seen++;
    r->count[i] = count;
    if (count) {
        assert_non_null (summary);
        snprintf (r->summary[i], sizeof r->summary[i], "%s", summary);
        if ((int) check->level > r->level)
            r->level = (int) check->level;
    } else
        assert_null (summary);
}

static s_run_t
s_run (const char *status_json)
{
    json_error_t e;
    json_t *status = json_loads (status_json, 0, &e);
    if (!status)
        fail_msg ("bad JSON in the test: %s", e.text);
    s_run_t r;
    memset (&r, 0, sizeof r);
    statuscheck_run (status, s_note, &r);
    json_decref (status);
    return r;
}

static void
test_every_check_has_one_name_and_is_run_every_time (void **state)
{
    (void) state;
    size_t n;
    const statuscheck_t *all = statuscheck_all (&n);
    assert_true (n > 0 && n <= 64);
    for (size_t i = 0; i < n; i++) {
        assert_true (all[i].level == STATUSCHECK_WARNING || all[i].level == STATUSCHECK_CRITICAL);
        assert_true (*all[i].what);
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal (all[i].name, all[j].name);
    }
    s_run_t r = s_run ("{}");
    assert_int_equal (r.seen, n);
    assert_int_equal (r.level, 0);
}

/*  An overdue incident is critical; once the register cannot be read the
 *  verdict stays critical, now for the part it could not read. */
static void
test_a_part_that_cannot_be_read_is_critical_and_named (void **state)
{
    (void) state;
    size_t overdue, incomplete;
    s_find ("incident_overdue", &overdue);
    const statuscheck_t *c = s_find ("status_incomplete", &incomplete);
    assert_int_equal (c->level, STATUSCHECK_CRITICAL);

    s_run_t r = s_run ("{\"incidents\": {\"open\": 1, \"ap_pending\": "
                       "[{\"id\": \"i-1\", \"ap_deadline_ms\": 1, \"overdue\": true}]}}");
    assert_int_equal (r.count[overdue], 1);
    assert_int_equal (r.count[incomplete], 0);
    assert_int_equal (r.level, STATUSCHECK_CRITICAL);

    r = s_run ("{\"unreadable\": [{\"section\": \"incidents\", \"error\": \"no such table\"}]}");
    assert_int_equal (r.count[overdue], 0);
    assert_int_equal (r.count[incomplete], 1);
    assert_int_equal (r.level, STATUSCHECK_CRITICAL);
    assert_string_equal (r.summary[incomplete], "status incomplete, cannot read: incidents");

    r = s_run ("{\"unreadable\": [{\"section\": \"retention\", \"error\": \"x\"},"
               " {\"section\": \"rights\", \"error\": \"y\"}],"
               " \"retention\": {\"error\": \"x\"}}");
    assert_int_equal (r.count[incomplete], 2);
    assert_string_equal (r.summary[incomplete],
                         "status incomplete, cannot read: retention, rights");
}

/*  Copies to a member that expired undelivered: a warning while the
 *  last week's are there (expired_recent), not forever for old ones, and
 *  none for a member that has left. */
static void
test_messages_expired_this_week_are_a_warning (void **state)
{
    (void) state;
    size_t i;
    const statuscheck_t *c = s_find ("expired_messages", &i);
    assert_int_equal (c->level, STATUSCHECK_WARNING);
    s_run_t r = s_run ("{\"members\": [{\"id\": \"a\", \"expired_messages\": 5, "
                       "\"expired_recent\": 0}]}");
    assert_int_equal (r.count[i], 0);
    r = s_run ("{\"members\": [{\"id\": \"a\", \"expired_messages\": 5, \"expired_recent\": 2},"
               " {\"id\": \"b\", \"expired_recent\": 1},"
               " {\"id\": \"c\", \"expired_recent\": 7, \"left\": true}]}");
    assert_int_equal (r.count[i], 3);
    assert_int_equal (r.level, STATUSCHECK_WARNING);
    assert_string_equal (r.summary[i], "3 message(s) to members expired undelivered within 7 days");
}

/*  A node on its old key file: a warning in the overlap's last week, a
 *  critical once it is over, each naming the day; spool files that waited
 *  15 minutes: a warning counting them.  Nothing without the fields. */
static void
test_old_keys_and_stuck_spool_files (void **state)
{
    (void) state;
    size_t ending, ended, stuck;
    assert_int_equal (s_find ("keys_overlap_ending", &ending)->level, STATUSCHECK_WARNING);
    assert_int_equal (s_find ("keys_overlap_ended", &ended)->level, STATUSCHECK_CRITICAL);
    assert_int_equal (s_find ("spool_file_stuck", &stuck)->level, STATUSCHECK_WARNING);
    s_run_t r = s_run ("{\"old_keys_until\": \"2027-01-07\", \"spool\": {\"waiting\": 3}}");
    assert_int_equal (r.count[ending] + r.count[ended] + r.count[stuck], 0);
    r = s_run ("{\"old_keys_until\": \"2027-01-07\", \"old_keys_ending\": true,"
               " \"spool\": {\"waiting\": 3, \"waiting_stuck\": 2}}");
    assert_int_equal (r.count[ending], 1);
    assert_int_equal (r.count[ended], 0);
    assert_string_equal (r.summary[ending],
                         "the key file in use stops working at 00:00 Dutch time on "
                         "2027-01-07: install the new one and restart");
    assert_int_equal (r.count[stuck], 2);
    assert_string_equal (r.summary[stuck],
                         "2 spool file(s) waiting over 15 minutes, neither forwarded nor rejected");
    assert_int_equal (r.level, STATUSCHECK_WARNING);
    r = s_run ("{\"old_keys_until\": \"2027-01-07\", \"old_keys_ended\": true}");
    assert_int_equal (r.count[ended], 1);
    assert_string_equal (r.summary[ended],
                         "the key file in use stopped working at 00:00 Dutch time on "
                         "2027-01-07: install the new one and restart");
    assert_int_equal (r.level, STATUSCHECK_CRITICAL);
}

/*  Retention waiting for a clock the federation confirms (node_clock.c):
 *  a warning, critical after a day, each naming why; nothing while the
 *  clock is only unconfirmed (a start, before the first heartbeat). */
static void
test_retention_waiting_for_the_clock (void **state)
{
    (void) state;
    size_t waiting, overdue;
    assert_int_equal (s_find ("retention_clock_waiting", &waiting)->level, STATUSCHECK_WARNING);
    assert_int_equal (s_find ("retention_clock_overdue", &overdue)->level, STATUSCHECK_CRITICAL);
    s_run_t r = s_run ("{\"clock\": {\"confirmed\": false, \"retention_waiting_s\": 2,"
                       " \"why\": \"no peer has measured this node's clock within the hour\"}}");
    assert_int_equal (r.count[waiting] + r.count[overdue], 0);
    r = s_run ("{\"clock\": {\"confirmed\": false, \"retention_waiting_s\": 60,"
               " \"retention_waiting\": true, \"why\": \"this node's clock is 9 s ahead\"}}");
    assert_int_equal (r.count[waiting], 1);
    assert_int_equal (r.level, STATUSCHECK_WARNING);
    assert_string_equal (r.summary[waiting], "retention waits for a confirmed clock (60 s): this "
                                             "node's clock is 9 s ahead");
    r = s_run ("{\"clock\": {\"retention_waiting_s\": 86400, \"retention_overdue\": true}}");
    assert_int_equal (r.count[overdue], 1);
    assert_int_equal (r.level, STATUSCHECK_CRITICAL);
}

/*  The guard resting on the operator's word (keten clock confirm): a
 *  warning naming why; nothing while a peer confirms the clock too. */
static void
test_a_clock_confirmed_by_the_operator_alone (void **state)
{
    (void) state;
    size_t by;
    assert_int_equal (s_find ("clock_confirmed_by_operator", &by)->level, STATUSCHECK_WARNING);
    s_run_t r = s_run ("{\"clock\": {\"confirmed\": true, \"operator_left_s\": 80,"
                       " \"by_operator\": false}}");
    assert_int_equal (r.count[by], 0);
    r = s_run ("{\"clock\": {\"confirmed\": true, \"operator_left_s\": 80, \"by_operator\": true,"
               " \"why\": \"this node's clock is confirmed by its operator\"}}");
    assert_int_equal (r.count[by], 1);
    assert_int_equal (r.level, STATUSCHECK_WARNING);
    assert_string_equal (r.summary[by], "this node's clock is confirmed by its operator");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_check_has_one_name_and_is_run_every_time),
        cmocka_unit_test (test_a_part_that_cannot_be_read_is_critical_and_named),
        cmocka_unit_test (test_messages_expired_this_week_are_a_warning),
        cmocka_unit_test (test_old_keys_and_stuck_spool_files),
        cmocka_unit_test (test_retention_waiting_for_the_clock),
        cmocka_unit_test (test_a_clock_confirmed_by_the_operator_alone),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
