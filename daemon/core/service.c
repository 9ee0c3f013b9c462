/*  service: sd_notify readiness, status, watchdog and stopping.  */
#include "service.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/*  sd_notify's result in our convention; the failure is logged with the
 *  first word of what was sent (READY, STATUS, ...), never the status text. */
static int
s_notify (const char *state)
{
    int rc = sd_notify (0, state);
    if (rc > 0)
        return 1;
    if (rc == 0)
        return 0;
    int len = (int) strcspn (state, "=");
    kt_log (KT_LOG_WARN, "service notify_failed what=%.*s error=\"%s\"", len, state,
            strerror (-rc));
    return -1;
}

int
service_ready (const char *status)
{
    if (!status)
        return s_notify ("READY=1");
    char state[512];
    snprintf (state, sizeof state, "READY=1\nSTATUS=%s", status);
    /*  Everything after READY=1\n is the status: one line. */
    for (char *p = state + strlen ("READY=1\n"); *p; p++)
        if (*p == '\n')
            *p = ' ';
    return s_notify (state);
}

int
service_status (const char *fmt, ...)
{
    char state[512] = "STATUS=";
    size_t off = strlen (state);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (state + off, sizeof state - off, fmt, ap);
    va_end (ap);
    for (char *p = state + off; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return s_notify (state);
}

int
service_stopping (void)
{
    return s_notify ("STOPPING=1");
}

uint64_t
service_watchdog_usec (void)
{
    uint64_t usec = 0;
    /*  > 0 only when WATCHDOG_USEC is set and valid and WATCHDOG_PID is
     *  unset or names this process (a child must not inherit the duty). */
    if (sd_watchdog_enabled (0, &usec) <= 0)
        return 0;
    return usec;
}

int
service_watchdog_kick (void)
{
    return s_notify ("WATCHDOG=1");
}

static int
s_watchdog_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    /*  Never end the loop over a failed ping: systemd acts on its absence. */
    service_watchdog_kick ();
    return 0;
}

int
service_watchdog_attach (zloop_t *loop)
{
    uint64_t usec = service_watchdog_usec ();
    if (usec == 0)
        return 0;
    /*  Half the interval, as sd_watchdog_enabled(3) recommends: one late
     *  tick is not yet a missed deadline. */
    uint64_t ms = usec / 2000u;
    if (ms < 1)
        ms = 1;
    if (ms > (uint64_t) INT32_MAX)
        ms = (uint64_t) INT32_MAX;
    int id = zloop_timer (loop, (size_t) ms, 0, s_watchdog_timer, NULL);
    if (id < 0) {
        kt_log (KT_LOG_ERROR, "service watchdog_failed interval_ms=%llu", (unsigned long long) ms);
        return -1;
    }
    kt_log (KT_LOG_INFO, "service watchdog interval_ms=%llu", (unsigned long long) ms);
    /*  The first tick is ms away: tell systemd now that the loop is up. */
    service_watchdog_kick ();
    return id;
}
