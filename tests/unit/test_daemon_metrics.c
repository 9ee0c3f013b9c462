/*  The metrics responder (docs/OPERATIONS.md, "Prometheus metrics") on a
 *  real loopback socket: it answers GET and HEAD /metrics and nothing
 *  else, renders at most once a second, writes a body larger than the
 *  socket buffer without blocking its loop, refuses an oversized request,
 *  drops a connection that never sends one, lets no crowd of idle clients
 *  lock a scraper out, rests instead of spinning when it runs out of
 *  descriptors, and listens only where the configuration allows.  A
 *  client thread talks to it while the test's zloop drives the server.
 *  The federation's metrics are checked from a status answer: every
 *  alarm, and label values escaped.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*  Twice a socket buffer, even an autotuned one (4 MiB at most by
 *  default): the answer cannot be written at once.  Not more: the server
 *  gives an answer 5 s to be taken (WRITE_TIMEOUT_MS), and on a busy
 *  machine under ASan a client took close to that for two answers of
 *  16 MiB, so that the first one was cut short. */
#define BIG_LEN (8 * 1024 * 1024)

static int s_port;
static atomic_bool s_done;
static atomic_int s_renders;

static char *
s_render_small (void *arg)
{
    (void) arg;
    atomic_fetch_add (&s_renders, 1);
    return strdup ("# TYPE t_up gauge\nt_up 1\n");
}

/*  Says which render it is: "t_render N". */
static char *
s_render_counted (void *arg)
{
    (void) arg;
    char body[64];
    snprintf (body, sizeof body, "# TYPE t_render gauge\nt_render %d\n",
              atomic_fetch_add (&s_renders, 1) + 1);
    return strdup (body);
}

static uint64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/*  More than any socket buffer: the answer needs POLLOUT to finish. */
static char *
s_render_big (void *arg)
{
    (void) arg;
    char *body = malloc (BIG_LEN + 1);
    if (!body)
        return NULL;
    for (size_t i = 0; i < BIG_LEN; i += 8)
        memcpy (body + i, "t_x 1\n##", 8);
    body[BIG_LEN] = 0;
    return body;
}

static int
s_connect (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) s_port)};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || connect (fd, (struct sockaddr *) &a, sizeof a) != 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/*  Read until the server closes; heap, *len_p bytes (NUL-terminated). */
static char *
s_read_all (int fd, size_t *len_p)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc (cap + 1);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc (buf, cap + 1);
        }
        ssize_t n = recv (fd, buf + len, cap - len, 0);
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    buf[len] = 0;
    *len_p = len;
    return buf;
}

/*  One request (sent whole), the whole answer. */
static char *
s_request (const char *req, size_t *len_p)
{
    int fd = s_connect ();
    if (fd < 0)
        return strdup ("");
    ssize_t sent = send (fd, req, strlen (req), MSG_NOSIGNAL);
    (void) sent;
    char *answer = s_read_all (fd, len_p);
    close (fd);
    return answer;
}

typedef void (s_client_fn) (void);

static void *
s_client_main (void *arg)
{
    ((s_client_fn *) arg) ();
    atomic_store (&s_done, true);
    return NULL;
}

static int
s_check_done (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    return atomic_load (&s_done) ? -1 : 0;
}

/*  Serve with render while client runs in its own thread. */
static void
s_serve (metrics_render_fn *render, s_client_fn *client)
{
    zloop_t *loop = zloop_new ();
    kt_reason_t reason;
    metrics_t *m = metrics_new (loop, "127.0.0.1:*", render, NULL, &reason);
    assert_non_null (m);
    const char *ep = metrics_endpoint (m);
    assert_true (strncmp (ep, "127.0.0.1:", 10) == 0);
    s_port = atoi (ep + 10);
    assert_true (s_port > 0);
    atomic_store (&s_done, false);
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_client_main, (void *) client), 0);
    zloop_timer (loop, 20, 0, s_check_done, NULL);
    zloop_start (loop);
    pthread_join (t, NULL);
    metrics_destroy (&m);
    assert_null (m);
    zloop_destroy (&loop);
}

/* ---- GET /metrics and nothing else ---------------------------------------- */

static char *s_answers[8];
static int s_renders_refused; /* renders after the refused requests only */

static void
s_client_methods (void)
{
    size_t len;
    s_answers[3] = s_request ("GET / HTTP/1.0\r\n\r\n", &len);
    s_answers[4] = s_request ("GET /metricsx HTTP/1.0\r\n\r\n", &len);
    s_answers[5] = s_request ("POST /metrics HTTP/1.0\r\n\r\n", &len);
    s_answers[6] = s_request ("GET /metrics\r\n\r\n", &len);
    s_answers[7] = s_request ("GET /metrics HTTP/2.0\r\n\r\n", &len);
    s_renders_refused = atomic_load (&s_renders);
    s_answers[0] = s_request ("GET /metrics HTTP/1.0\r\n\r\n", &len);
    s_answers[1] = s_request ("GET /metrics?name[]=x HTTP/1.1\r\nHost: x\r\n\r\n", &len);
    s_answers[2] = s_request ("HEAD /metrics HTTP/1.0\n\n", &len);
}

static void
test_metrics_answers_get_metrics_and_refuses_the_rest (void **state)
{
    (void) state;
    atomic_store (&s_renders, 0);
    s_serve (s_render_small, s_client_methods);
    assert_non_null (strstr (s_answers[0], "HTTP/1.0 200 OK\r\n"));
    assert_non_null (strstr (s_answers[0], "Content-Type: text/plain; version=0.0.4"));
    assert_non_null (strstr (s_answers[0], "\r\n\r\n# TYPE t_up gauge\nt_up 1\n"));
    assert_non_null (strstr (s_answers[1], "HTTP/1.0 200 OK\r\n"));
    assert_non_null (strstr (s_answers[2], "HTTP/1.0 200 OK\r\n"));
    assert_null (strstr (s_answers[2], "t_up"));
    assert_true (strncmp (s_answers[3], "HTTP/1.0 404 ", 13) == 0);
    assert_true (strncmp (s_answers[4], "HTTP/1.0 404 ", 13) == 0);
    assert_true (strncmp (s_answers[5], "HTTP/1.0 405 ", 13) == 0);
    assert_true (strncmp (s_answers[6], "HTTP/1.0 400 ", 13) == 0);
    assert_true (strncmp (s_answers[7], "HTTP/1.0 400 ", 13) == 0);
    /*  Rendered only for what is answered with the metrics. */
    assert_int_equal (s_renders_refused, 0);
    assert_true (atomic_load (&s_renders) >= 1);
    for (size_t i = 0; i < 8; i++)
        free (s_answers[i]);
}

/* ---- a client looping on GET ------------------------------------------------ */

#define LOOPED 50

static int s_first_render, s_loop_renders, s_changed_to;
static uint64_t s_loop_ms, s_change_ms;

/*  The N of "t_render N" in an answer, 0 when there is none. */
static int
s_render_number (const char *answer)
{
    const char *p = strstr (answer, "\nt_render ");
    return p ? atoi (p + strlen ("\nt_render ")) : 0;
}

static void
s_client_looping (void)
{
    uint64_t t0 = s_mono_ms ();
    size_t len;
    for (int i = 0; i < LOOPED; i++) {
        char *a = s_request ("GET /metrics HTTP/1.0\r\n\r\n", &len);
        if (i == 0)
            s_first_render = s_render_number (a);
        free (a);
    }
    s_loop_ms = s_mono_ms () - t0;
    s_loop_renders = atomic_load (&s_renders);
    /*  The body is refreshed once its second is over (polled every 20 ms). */
    s_changed_to = 0;
    while (s_mono_ms () - t0 < 5000 && s_changed_to <= 1) {
        char *a = s_request ("GET /metrics HTTP/1.0\r\n\r\n", &len);
        s_changed_to = s_render_number (a);
        free (a);
        if (s_changed_to <= 1)
            usleep (20 * 1000);
    }
    s_change_ms = s_mono_ms () - t0;
}

static void
test_metrics_renders_at_most_once_a_second (void **state)
{
    (void) state;
    atomic_store (&s_renders, 0);
    s_serve (s_render_counted, s_client_looping);
    assert_int_equal (s_first_render, 1);
    /*  LOOPED requests in s_loop_ms: renders a second or more apart, so
     *  at most one more than the whole seconds that passed (uncached,
     *  there would be LOOPED). */
    assert_true ((uint64_t) s_loop_renders <= (s_loop_ms + 1) / 1000 + 1);
    /*  The second render came, and not before the first was a second old
     *  (the first was made after t0). */
    assert_true (s_changed_to >= 2);
    assert_true (s_change_ms >= 1000);
}

/* ---- a body larger than the socket buffer ---------------------------------- */

static size_t s_big_len, s_second_len;
static char *s_big, *s_second;
static bool s_first_started;

static void
s_client_big (void)
{
    /*  A small receive window: the first answer stalls after a few KiB. */
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) s_port)};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &a, sizeof a) != 0)
        return;
    struct timeval tv = {10, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t sent = send (fd, "GET /metrics HTTP/1.0\r\n\r\n", 25, MSG_NOSIGNAL);
    (void) sent;
    /*  Its answer has begun: the server is now writing it... */
    struct pollfd pfd = {fd, POLLIN, 0};
    s_first_started = poll (&pfd, 1, 10000) == 1;
    /*  ...and, the first answer unread, must still answer a second
     *  client: a loop blocked in send() would never get to it. */
    s_second = s_request ("GET /metrics HTTP/1.0\r\n\r\n", &s_second_len);
    /*  That asked, the rest of the first is taken at full speed, not
     *  through a 4 KiB window (thousands of round trips, seconds of the
     *  server's 5 s on a busy machine). */
    int wide = 4 * 1024 * 1024;
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &wide, sizeof wide);
    s_big = s_read_all (fd, &s_big_len);
    close (fd);
}

/*  The answer is whole: its Content-Length, then exactly that many bytes. */
static void
s_assert_big (const char *answer, size_t len)
{
    char want[64];
    snprintf (want, sizeof want, "Content-Length: %d\r\n", BIG_LEN);
    assert_non_null (strstr (answer, want));
    const char *body = strstr (answer, "\r\n\r\n");
    assert_non_null (body);
    assert_int_equal (len - (size_t) (body + 4 - answer), BIG_LEN);
}

static void
test_metrics_writes_a_large_answer_without_blocking (void **state)
{
    (void) state;
    s_big = s_second = NULL;
    s_serve (s_render_big, s_client_big);
    assert_true (s_first_started);
    assert_non_null (s_second);
    assert_non_null (s_big);
    s_assert_big (s_second, s_second_len);
    s_assert_big (s_big, s_big_len);
    free (s_second);
    free (s_big);
}

/* ---- oversized and idle clients ------------------------------------------- */

static char *s_after;
static bool s_idle_closed;
static uint64_t s_idle_ms;
static char s_oversized_status[16];

static void
s_client_abuse (void)
{
    /*  5 KiB without an end of head: refused, the rest of it unread. */
    int fd = s_connect ();
    char junk[5 * 1024];
    memset (junk, 'A', sizeof junk);
    ssize_t sent = send (fd, junk, sizeof junk, MSG_NOSIGNAL);
    (void) sent;
    ssize_t n = recv (fd, s_oversized_status, 12, MSG_WAITALL);
    if (n > 0)
        s_oversized_status[n] = 0;
    close (fd);
    /*  An idle client does not stop others, and is dropped once its
     *  second to send a request is over. */
    uint64_t t0 = s_mono_ms ();
    int idle = s_connect ();
    size_t len;
    s_after = s_request ("GET /metrics HTTP/1.0\r\n\r\n", &len);
    char byte;
    struct timeval tv = {8, 0};
    setsockopt (idle, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s_idle_closed = recv (idle, &byte, 1, 0) == 0;
    s_idle_ms = s_mono_ms () - t0;
    close (idle);
}

static void
test_metrics_refuses_oversized_and_drops_idle_clients (void **state)
{
    (void) state;
    s_serve (s_render_small, s_client_abuse);
    /*  The answer may be lost to a reset (the server closes with unread
     *  bytes); when it arrives it is a 400. */
    if (*s_oversized_status)
        assert_string_equal (s_oversized_status, "HTTP/1.0 400");
    assert_non_null (strstr (s_after, "t_up 1"));
    assert_true (s_idle_closed);
    /*  Not before its second was over; well before the 5 s an answer
     *  may take (the sweep runs four times a second). */
    assert_true (s_idle_ms >= 1000);
    assert_true (s_idle_ms < 4000);
    free (s_after);
}

/* ---- every slot held by an idle client -------------------------------------- */

#define SLOTS 16 /* MAX_CONNS */

static char *s_scrape;
static bool s_oldest_evicted;

static void
s_client_crowd (void)
{
    int idle[SLOTS];
    for (size_t i = 0; i < SLOTS; i++)
        idle[i] = s_connect ();
    /*  A 17th client, the scraper, is answered: the oldest idle one goes. */
    size_t len;
    s_scrape = s_request ("GET /metrics HTTP/1.0\r\n\r\n", &len);
    struct pollfd pfd = {idle[0], POLLIN, 0};
    char byte;
    s_oldest_evicted = poll (&pfd, 1, 10000) == 1 && recv (idle[0], &byte, 1, 0) == 0;
    for (size_t i = 0; i < SLOTS; i++)
        if (idle[i] >= 0)
            close (idle[i]);
}

static void
test_metrics_idle_clients_cannot_lock_out_a_scraper (void **state)
{
    (void) state;
    s_serve (s_render_small, s_client_crowd);
    /*  Refused, it would have been closed without an answer. */
    assert_non_null (strstr (s_scrape, "HTTP/1.0 200 OK\r\n"));
    assert_non_null (strstr (s_scrape, "t_up 1"));
    assert_true (s_oldest_evicted);
    free (s_scrape);
}

/* ---- out of descriptors ----------------------------------------------------- */

static double s_busy_s;
static char *s_late;

static double
s_cpu_s (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
s_client_no_fds (void)
{
    s_late = NULL;
    /*  The client's socket first; then no descriptor is left for the
     *  server to accept it with. */
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    int probe = dup (fd);
    close (probe);
    struct rlimit was;
    getrlimit (RLIMIT_NOFILE, &was);
    struct rlimit low = {(rlim_t) probe, was.rlim_max};
    setrlimit (RLIMIT_NOFILE, &low);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) s_port)};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int connected = connect (fd, (struct sockaddr *) &a, sizeof a);
    /*  A second of EMFILE: a listener left in the poll set would be
     *  reported readable, fail to accept and spin for all of it. */
    double cpu0 = s_cpu_s ();
    usleep (1000 * 1000);
    s_busy_s = s_cpu_s () - cpu0;
    setrlimit (RLIMIT_NOFILE, &was);
    if (connected != 0)
        return;
    /*  With descriptors again, the queued connection is served. */
    struct timeval tv = {10, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t sent = send (fd, "GET /metrics HTTP/1.0\r\n\r\n", 25, MSG_NOSIGNAL);
    (void) sent;
    size_t len;
    s_late = s_read_all (fd, &len);
    close (fd);
}

static void
test_metrics_rests_instead_of_spinning_without_descriptors (void **state)
{
    (void) state;
    s_serve (s_render_small, s_client_no_fds);
    assert_true (s_busy_s < 0.3);
    assert_non_null (s_late);
    assert_non_null (strstr (s_late, "t_up 1"));
    free (s_late);
}

/* ---- the federation's metrics ----------------------------------------------- */

/*  A member row as uitvoerder_status makes it, heard from at 1000000. */
static json_t *
s_member_row (const char *id, const char *kind, int depth, int oldest_ms, bool stale,
              const char *version, json_t *alarms)
{
    json_t *row = json_pack ("{s:s, s:s, s:s, s:b, s:I, s:i, s:i, s:i, s:i, s:b, s:s}", "id", id,
                             "kind", kind, "role", "kernpartij", "online", 1, "last_seen_ms",
                             (json_int_t) 1000000, "rtt_us", 400, "outbox_depth", depth,
                             "oldest_undelivered_ms", oldest_ms, "roster_version", stale ? 6 : 7,
                             "roster_stale", stale, "software_version", version);
    json_object_set_new (row, "alarms", alarms);
    return row;
}

/*  A status answer: one quiet member, and one with every alarm but
 *  offline and a software version that needs escaping. */
static json_t *
s_federation_status (void)
{
    json_t *loud = json_pack ("[s, s, s, s, s, s, s, s, s]", "stale_roster", "clock_skew",
                              "backlog", "undelivered_age", "log_alarm", "relay_backlog",
                              "storage_failing", "log_witness_unreadable", "duplicate_instance");
    json_t *om = s_member_row ("om-t", "om", 1500, 90000, true, "0.2\"x\\y\nz", loud);
    /*  The uitvoerder's own copies for it, waiting and expired. */
    json_object_set_new (om, "relay_pending", json_integer (4));
    json_object_set_new (om, "relay_oldest_ms", json_integer (75000));
    json_object_set_new (om, "expired_messages", json_integer (2));
    json_t *members = json_pack (
        "[o, o]", s_member_row ("politie-t", "politie", 0, 0, false, "0.1.0", json_array ()), om);
    return json_pack ("{s:{s:i, s:i, s:i}, s:o, s:{s:i}, s:{s:i, s:i}}", "federation", "members", 2,
                      "online", 2, "alarms", 5, "members", members, "log", "size", 12, "stored",
                      "signals", 3, "subjects", 2);
}

static void
test_metrics_show_every_member_alarm (void **state)
{
    (void) state;
    json_t *st = s_federation_status ();
    assert_non_null (st);
    char *text = metrics_render_federation (st, 1000500);
    assert_non_null (text);
    const char *has[] = {
        "\nketen_alarms 5\n",
        "\nketen_member_outbox_depth{member=\"om-t\",kind=\"om\",role=\"kernpartij\"} 1500\n",
        "\nketen_member_oldest_undelivered_seconds{member=\"om-t\",kind=\"om\",role=\"kernpartij\"}"
        " "
        "90.000\n",
        "\nketen_member_roster_stale{member=\"om-t\",kind=\"om\",role=\"kernpartij\"} 1\n",
        "\nketen_member_last_seen_seconds{member=\"om-t\",kind=\"om\",role=\"kernpartij\"} 0.500\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"offline\"} "
        "0\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"stale_"
        "roster\"} "
        "1\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"clock_skew\"}"
        " 1\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"backlog\"} "
        "1\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"undelivered_"
        "age\"} 1\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"log_alarm\"} "
        "1\n",
        "\nketen_member_alarm{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\",alarm="
        "\"backlog\"} 0\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"relay_"
        "backlog\"} 1\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"storage_"
        "failing\"} 1\n",
        "\nketen_member_alarm{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\",alarm="
        "\"relay_backlog\"} 0\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"log_"
        "witness_unreadable\"} 1\n",
        "\nketen_member_alarm{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\",alarm="
        "\"log_witness_unreadable\"} 0\n",
        "\nketen_member_alarm{member=\"om-t\",kind=\"om\",role=\"kernpartij\",alarm=\"duplicate_"
        "instance\"} 1\n",
        "\nketen_member_alarm{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\",alarm="
        "\"duplicate_instance\"} 0\n",
        "\nketen_member_relay_pending{member=\"om-t\",kind=\"om\",role=\"kernpartij\"} 4\n",
        "\nketen_member_relay_oldest_seconds{member=\"om-t\",kind=\"om\",role=\"kernpartij\"} "
        "75.000\n",
        "\nketen_member_relay_pending{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\"} "
        "0\n",
        "\nketen_member_expired_messages{member=\"om-t\",kind=\"om\",role=\"kernpartij\"} 2\n",
        "\nketen_member_alarm{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\",alarm="
        "\"undelivered_age\"} 0\n",
        "\nketen_log_size 12\n",
        "\nketen_signals_stored 3\n",
    };
    for (size_t i = 0; i < sizeof has / sizeof has[0]; i++)
        if (!strstr (text, has[i]))
            fail_msg ("no %s in:\n%s", has[i], text);
    free (text);
    json_decref (st);
}

/*  A member that has left the federation (revoked, or past its
 *  leaves-at) is in the status as "left", without alarms; the metrics
 *  serve no series for it, so no rule pages for a member that is gone
 *  (docs/OPERATIONS.md, "Monitoring the federation"). */
static void
test_metrics_leave_out_a_member_that_left (void **state)
{
    (void) state;
    json_t *st = s_federation_status ();
    json_t *gone = s_member_row ("gemeente-t", "gemeente", 0, 0, false, "0.1.0", json_array ());
    json_object_set_new (gone, "online", json_false ());
    json_object_set_new (gone, "left", json_true ());
    json_array_append_new (json_object_get (st, "members"), gone);
    char *text = metrics_render_federation (st, 1000500);
    assert_non_null (text);
    if (strstr (text, "gemeente-t"))
        fail_msg ("a member that left has series:\n%s", text);
    /*  The members still in the federation keep theirs. */
    assert_non_null (strstr (
        text,
        "\nketen_member_online{member=\"politie-t\",kind=\"politie\",role=\"kernpartij\"} 1\n"));
    assert_non_null (strstr (text, "\nketen_members 2\n"));
    free (text);
    json_decref (st);
}

static void
test_metrics_label_values_are_escaped (void **state)
{
    (void) state;
    json_t *st = s_federation_status ();
    char *text = metrics_render_federation (st, 1000500);
    assert_non_null (text);
    /*  Text format 0.0.4: backslash, double quote and line feed in a label
     *  value as \\, \" and \n; the sample stays on one line. */
    const char *want = "\nketen_member_info{member=\"om-t\",kind=\"om\",role=\"kernpartij\","
                       "version=\"0.2\\\"x\\\\y\\nz\"} 1\n";
    if (!strstr (text, want))
        fail_msg ("no %s in:\n%s", want, text);
    for (const char *line = text; *line; line = strchr (line, '\n') + 1) {
        assert_true (*line == '#' || strncmp (line, "keten_", 6) == 0);
        if (!strchr (line, '\n'))
            break;
    }
    free (text);
    json_decref (st);
}

/* ---- where it may listen ---------------------------------------------------- */

static void
test_metrics_listen_address_is_checked (void **state)
{
    (void) state;
    struct sockaddr_storage a;
    socklen_t len;
    bool loopback;
    kt_reason_t r;
    assert_int_equal (config_parse_listen ("127.0.0.1:9464", &a, &len, &loopback, &r), 0);
    assert_true (loopback);
    assert_int_equal (config_parse_listen ("[::1]:*", &a, &len, &loopback, &r), 0);
    assert_true (loopback);
    assert_int_equal (config_parse_listen ("0.0.0.0:9464", &a, &len, &loopback, &r), 0);
    assert_false (loopback);
    assert_int_equal (config_parse_listen ("10.1.2.3:9464", &a, &len, &loopback, &r), 0);
    assert_false (loopback);
    const char *bad[] = {"",
                         "9464",
                         ":9464",
                         "localhost:9464",
                         "127.0.0.1:",
                         "127.0.0.1:0",
                         "127.0.0.1:65536",
                         "127.0.0.1:-1",
                         "127.0.0.1:94a",
                         "[::1:9464",
                         "[127.0.0.1]:9464",
                         "1.2.3.4.5:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal (config_parse_listen (bad[i], &a, &len, &loopback, &r), -1);
    zloop_t *loop = zloop_new ();
    assert_null (metrics_new (loop, "localhost:9464", s_render_small, NULL, &r));
    assert_non_null (strstr (r.text, "IPv4"));
    zloop_destroy (&loop);
}

/*  The alarms as one comma-separated string. */
static void
s_alarms (const metrics_alarm_input_t *in, char *out, size_t len)
{
    json_t *a = metrics_alarms (in);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size (a) && o < len; i++)
        o += (size_t) snprintf (out + o, len - o, "%s%s", i ? "," : "",
                                json_string_value (json_array_get (a, i)));
    json_decref (a);
}

#define ALARMS_ARE(in, expected)                                                                   \
    do {                                                                                           \
        char got_[160];                                                                            \
        s_alarms (&(in), got_, sizeof got_);                                                       \
        if (strcmp (got_, (expected)) != 0)                                                        \
            fail_msg ("alarms '%s', expected '%s'", got_, (expected));                             \
    } while (0)

/*  Each alarm at its threshold, not one below, for status and metrics
 *  alike (both use metrics_alarms; docs/OPERATIONS.md,
 *  "Monitoring the federation"). */
static void
test_alarm_thresholds (void **state)
{
    (void) state;
    metrics_alarm_input_t m = {.uitvoerder_view = true, .online = true, .heard = true};
    ALARMS_ARE (m, "");
    m.clock_skew_ms = METRICS_SKEW_ALARM_MS;
    ALARMS_ARE (m, "");
    m.clock_skew_ms = METRICS_SKEW_ALARM_MS + 1;
    ALARMS_ARE (m, "clock_skew");
    m.clock_skew_ms = -METRICS_SKEW_ALARM_MS - 1;
    ALARMS_ARE (m, "clock_skew");
    m.clock_skew_ms = INT64_MIN; /* no overflow in the absolute value */
    ALARMS_ARE (m, "clock_skew");
    m.heard = false; /* never heard: no clock to compare */
    ALARMS_ARE (m, "");
    m.heard = true;
    m.clock_skew_ms = 0;
    m.outbox_depth = METRICS_BACKLOG_ALARM - 1;
    ALARMS_ARE (m, "");
    m.outbox_depth = METRICS_BACKLOG_ALARM;
    ALARMS_ARE (m, "backlog");
    m.outbox_depth = 0;
    m.oldest_undelivered_ms = METRICS_UNDELIVERED_ALARM_MS - 1;
    ALARMS_ARE (m, "");
    m.oldest_undelivered_ms = METRICS_UNDELIVERED_ALARM_MS;
    ALARMS_ARE (m, "undelivered_age");
    m.oldest_undelivered_ms = 0;
    /*  The uitvoerder's own copy for an online member, not receipted a
     *  minute on: relay_backlog - counted from when it came online, so
     *  one that is back from an outage has its backlog delivered first. */
    m.relay_oldest_ms = METRICS_RELAY_ALARM_MS;
    m.online_for_ms = METRICS_RELAY_ALARM_MS - 1;
    ALARMS_ARE (m, "");
    m.online_for_ms = METRICS_RELAY_ALARM_MS;
    ALARMS_ARE (m, "relay_backlog");
    m.relay_oldest_ms = METRICS_RELAY_ALARM_MS - 1;
    ALARMS_ARE (m, "");
    m.relay_oldest_ms = 10 * METRICS_RELAY_ALARM_MS;
    m.online = false; /* offline says it already */
    ALARMS_ARE (m, "offline");
    m.online = true;
    m.relay_oldest_ms = 0;
    /*  The member's own storage alarm, from its heartbeat. */
    m.storage_failing = true;
    ALARMS_ARE (m, "storage_failing");
    m.storage_failing = false;
    /*  Its witness cannot be read: its log_alarm is not known, which is
     *  an alarm of its own, not "no alarm". */
    m.log_witness_unreadable = true;
    ALARMS_ARE (m, "log_witness_unreadable");
    m.log_witness_unreadable = false;
    /*  Two copies of the member's node heard alive at once. */
    m.duplicate_instance = true;
    ALARMS_ARE (m, "duplicate_instance");
    m.duplicate_instance = false;
    metrics_alarm_input_t all = {.uitvoerder_view = true, .online = false, .heard = true,
                                 .roster_stale = true, .clock_skew_ms = 5000,
                                 .outbox_depth = 5000, .oldest_undelivered_ms = 120000,
                                 .log_alarm = true};
    all.roster_refused = all.roster_conflict = true;
    ALARMS_ARE (all, "offline,stale_roster,clock_skew,backlog,undelivered_age,log_alarm,"
                     "roster_refused");
    /*  A partner's own view: its link, backlog, age, log and a roster it
     *  refused; it has no roster or clock comparison of its own. */
    all.uitvoerder_view = false;
    ALARMS_ARE (all, "link_down,backlog,undelivered_age,log_alarm,roster_conflict");
    /*  ... and the uitvoerder's word that another copy of it runs. */
    all.duplicate_instance = true;
    ALARMS_ARE (all, "link_down,backlog,undelivered_age,log_alarm,roster_conflict,"
                     "duplicate_instance");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_metrics_answers_get_metrics_and_refuses_the_rest),
        cmocka_unit_test (test_metrics_renders_at_most_once_a_second),
        cmocka_unit_test (test_metrics_writes_a_large_answer_without_blocking),
        cmocka_unit_test (test_metrics_refuses_oversized_and_drops_idle_clients),
        cmocka_unit_test (test_metrics_idle_clients_cannot_lock_out_a_scraper),
        cmocka_unit_test (test_metrics_rests_instead_of_spinning_without_descriptors),
        cmocka_unit_test (test_metrics_show_every_member_alarm),
        cmocka_unit_test (test_metrics_leave_out_a_member_that_left),
        cmocka_unit_test (test_metrics_label_values_are_escaped),
        cmocka_unit_test (test_metrics_listen_address_is_checked),
        cmocka_unit_test (test_alarm_thresholds),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
