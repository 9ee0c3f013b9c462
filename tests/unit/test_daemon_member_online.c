/*  A member is online while heard from within the uitvoerder's own
 *  heartbeat-timeout-ms or, when its heartbeat said its own interval
 *  (an optional field), within three of them if that is longer
 *  (docs/PROTOCOL.md, "Heartbeats"): a member that chose to beat less
 *  often than the uitvoerder's timeout does not flap offline between two
 *  beats, and an older member that says nothing is judged as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node_core.h"
#include "uitvoerder.h"

#include <string.h>

static bool
s_online (uint64_t own_timeout_ms, uint64_t its_interval_ms, uint64_t silent_ms)
{
    static node_t node;
    member_link_t link;
    memset (&node, 0, sizeof node);
    memset (&link, 0, sizeof link);
    node.config.heartbeat_timeout_ms = (uint32_t) own_timeout_ms;
    link.heartbeat_ms = its_interval_ms;
    link.last_seen_ms = 1000000;
    return uitvoerder_member_online (&node, &link, 1000000 + silent_ms);
}

static void
test_a_member_is_judged_by_its_own_interval (void **state)
{
    (void) state;
    /*  An older member (no interval said): our timeout, as before. */
    assert_true (s_online (2000, 0, 2000));
    assert_false (s_online (2000, 0, 2001));
    /*  Every 3 s under our 2 s: online until three of its beats. */
    assert_true (s_online (2000, 3000, 8999));
    assert_true (s_online (2000, 3000, 9000));
    assert_false (s_online (2000, 3000, 9001));
    /*  Every 6 s under the default 5 s timeout. */
    assert_true (s_online (5000, 6000, 12000));
    /*  A short interval does not shorten our own timeout. */
    assert_true (s_online (5000, 100, 5000));
    assert_false (s_online (5000, 100, 5001));
    /*  Never heard from: offline. */
    member_link_t link;
    memset (&link, 0, sizeof link);
    static node_t node;
    node.config.heartbeat_timeout_ms = 5000;
    link.heartbeat_ms = 60000;
    assert_false (uitvoerder_member_online (&node, &link, 1000));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_member_is_judged_by_its_own_interval),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
