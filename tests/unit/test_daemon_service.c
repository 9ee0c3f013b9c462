/*  The systemd service protocol (daemon/core/service.c) against a real
 *  NOTIFY_SOCKET: readiness, status, watchdog and stopping arrive as the
 *  datagrams systemd expects, the watchdog is kicked from the event loop,
 *  everything is a no-op outside systemd, and the shipped units stay
 *  hardened (docs/OPERATIONS.md, "Hardening").  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char s_dir[64];
static char s_path[96];
static int s_fd = -1;

/*  A datagram socket standing in for systemd's notify socket. */
static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/keten-service.XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_path, sizeof s_path, "%s/notify", s_dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", s_path);
    s_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s_fd < 0 || bind (s_fd, (struct sockaddr *) &addr, sizeof addr) != 0)
        return -1;
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    return setenv ("NOTIFY_SOCKET", s_path, 1);
}

static int
s_teardown (void **state)
{
    (void) state;
    close (s_fd);
    s_fd = -1;
    unlink (s_path);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    return rmdir (s_dir);
}

/*  The next datagram as a string, waiting at most timeout_ms; "" if none. */
static const char *
s_receive (int timeout_ms)
{
    static char buf[1024];
    buf[0] = '\0';
    struct pollfd p = {s_fd, POLLIN, 0};
    if (poll (&p, 1, timeout_ms) != 1)
        return buf;
    ssize_t n = recv (s_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void
test_ready_carries_the_status_in_the_same_datagram (void **state)
{
    (void) state;
    assert_int_equal (service_ready ("node politie-limburg serving"), 1);
    assert_string_equal (s_receive (1000), "READY=1\nSTATUS=node politie-limburg serving");
    assert_int_equal (service_ready (NULL), 1);
    assert_string_equal (s_receive (1000), "READY=1");
}

static void
test_status_watchdog_and_stopping_are_sent (void **state)
{
    (void) state;
    assert_int_equal (service_status ("outbox backlog=%d", 7), 1);
    assert_string_equal (s_receive (1000), "STATUS=outbox backlog=7");
    assert_int_equal (service_watchdog_kick (), 1);
    assert_string_equal (s_receive (1000), "WATCHDOG=1");
    assert_int_equal (service_stopping (), 1);
    assert_string_equal (s_receive (1000), "STOPPING=1");
}

/*  A newline would let a status text set another variable (READY=1,
 *  MAINPID=...): it is sent as a space. */
static void
test_status_text_cannot_inject_assignments (void **state)
{
    (void) state;
    assert_int_equal (service_status ("bad\nMAINPID=%d", 1), 1);
    assert_string_equal (s_receive (1000), "STATUS=bad MAINPID=1");
    assert_int_equal (service_ready ("x\nWATCHDOG=trigger"), 1);
    assert_string_equal (s_receive (1000), "READY=1\nSTATUS=x WATCHDOG=trigger");
}

static void
test_without_notify_socket_every_call_is_a_no_op (void **state)
{
    (void) state;
    unsetenv ("NOTIFY_SOCKET");
    setenv ("WATCHDOG_USEC", "2000000", 1);
    assert_int_equal (service_ready ("running"), 0);
    assert_int_equal (service_status ("status %d", 1), 0);
    assert_int_equal (service_watchdog_kick (), 0);
    assert_int_equal (service_stopping (), 0);
    assert_string_equal (s_receive (50), "");
}

static void
test_watchdog_interval_comes_from_watchdog_usec_and_pid (void **state)
{
    (void) state;
    char pid[32];
    assert_int_equal (service_watchdog_usec (), 0);

    setenv ("WATCHDOG_USEC", "30000000", 1);
    assert_int_equal (service_watchdog_usec (), 30000000);
    snprintf (pid, sizeof pid, "%d", (int) getpid ());
    setenv ("WATCHDOG_PID", pid, 1);
    assert_int_equal (service_watchdog_usec (), 30000000);

    /*  The watchdog belongs to another process (our parent): not ours. */
    snprintf (pid, sizeof pid, "%d", (int) getppid ());
    setenv ("WATCHDOG_PID", pid, 1);
    assert_int_equal (service_watchdog_usec (), 0);

    unsetenv ("WATCHDOG_PID");
    setenv ("WATCHDOG_USEC", "soon", 1);
    assert_int_equal (service_watchdog_usec (), 0);
    setenv ("WATCHDOG_USEC", "0", 1);
    assert_int_equal (service_watchdog_usec (), 0);
}

static int s_kicks;

static int
s_on_notify (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    (void) arg;
    if (streq (s_receive (0), "WATCHDOG=1"))
        s_kicks++;
    return s_kicks >= 3 ? -1 : 0;
}

static int
s_give_up (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    return -1;
}

/*  The kicks come from a timer on the node's loop: while the loop runs,
 *  systemd keeps hearing WATCHDOG=1. */
static void
test_watchdog_is_kicked_by_the_event_loop (void **state)
{
    (void) state;
    zloop_t *loop = zloop_new ();
    assert_non_null (loop);
    assert_int_equal (service_watchdog_attach (loop), 0); /* no WatchdogSec: no timer */

    setenv ("WATCHDOG_USEC", "20000", 1); /* 20 ms: a kick every 10 ms */
    s_kicks = 0;
    zmq_pollitem_t item = {NULL, s_fd, ZMQ_POLLIN, 0};
    assert_int_equal (zloop_poller (loop, &item, s_on_notify, NULL), 0);
    assert_true (zloop_timer (loop, 10000, 1, s_give_up, NULL) >= 0);
    assert_true (service_watchdog_attach (loop) > 0);
    zloop_start (loop);
    assert_int_equal (s_kicks, 3);
    zloop_destroy (&loop);
}

/*  `systemd-analyze security` rates both shipped units at most 2.0
 *  (docs/OPERATIONS.md, "Hardening").  --threshold is on the 0..100 scale. */
static void
test_shipped_units_stay_hardened (void **state)
{
    (void) state;
    if (system ("command -v systemd-analyze >/dev/null 2>&1") != 0)
        skip ();
    static const char *units[] = {"ketend.service", "ketend@.service"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        char cmd[PATH_MAX + 128];
        snprintf (cmd, sizeof cmd,
                  "systemd-analyze security --offline=true --threshold=20 %s/systemd/%s "
                  ">/dev/null 2>&1",
                  KETEN_SOURCE_DIR, units[i]);
        int rc = system (cmd);
        if (rc != 0)
            fprintf (stderr, "exposure above 2.0 (or analysis failed): %s\n", units[i]);
        assert_int_equal (rc, 0);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_ready_carries_the_status_in_the_same_datagram,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_watchdog_and_stopping_are_sent, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_status_text_cannot_inject_assignments, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_without_notify_socket_every_call_is_a_no_op, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_watchdog_interval_comes_from_watchdog_usec_and_pid,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_watchdog_is_kicked_by_the_event_loop, s_setup,
                                         s_teardown),
        cmocka_unit_test (test_shipped_units_stay_hardened),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
