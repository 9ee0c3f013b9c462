/*  service: ketend's side of the systemd service protocol
 *  (docs/OPERATIONS.md, "Readiness, status and watchdog").
 *
 *  Readiness, status text, the watchdog and shutdown are reported through
 *  sd_notify(3) to the socket named by NOTIFY_SOCKET.  Outside systemd
 *  (NOTIFY_SOCKET unset: a terminal, the tests, the demo) every function is
 *  a no-op that returns 0, so callers never need to know how they run.
 *
 *  Return convention: 1 when the notification was sent, 0 when not under
 *  systemd, -1 when sending failed (logged; the daemon carries on - a lost
 *  status line is no reason to stop, and a lost watchdog ping is what the
 *  watchdog is for).
 *
 *  Status texts are shown by `systemctl status` to anyone on the host:
 *  ids and counts only, never personal data.
 */
#ifndef KETEN_SERVICE_H
#define KETEN_SERVICE_H

#include <czmq.h>
#include <stdint.h>

/*  READY=1, with STATUS=status in the same datagram when status is not
 *  NULL.  Call once, when the node's sockets are bound. */
int service_ready (const char *status);

/*  STATUS=... (printf format).  A newline would start another assignment,
 *  so newlines are sent as spaces. */
int service_status (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/*  STOPPING=1: the node is shutting down. */
int service_stopping (void);

/*  The watchdog interval systemd asked for (WatchdogSec=), in microseconds,
 *  from WATCHDOG_USEC when WATCHDOG_PID is unset or this process; 0 when
 *  there is no watchdog. */
uint64_t service_watchdog_usec (void);

/*  WATCHDOG=1: the event loop is alive. */
int service_watchdog_kick (void);

/*  When the watchdog is enabled, register a timer on loop that kicks it at
 *  half the interval.  The kick runs from the loop itself, so a loop that
 *  hangs stops kicking and systemd kills and restarts the daemon.  Returns
 *  the timer id, 0 when there is no watchdog, -1 when the timer cannot be
 *  registered. */
int service_watchdog_attach (zloop_t *loop);

#endif
