/*  apiserver: the local API stays usable for the operator when other
 *  local clients misbehave - all slots taken by idle connections, or
 *  clients that ask for large answers and never read them.  A real Unix
 *  socket, a real zloop in its own thread, clients in this one.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apiserver.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BIG (API_MAX_FRAME - 1024)
#define MID (300 * 1024)

static apiserver_t *s_server;
static volatile int s_stop;
static api_caller_t s_held[8];
static size_t s_n_held;
static char *s_big;

static void
s_handler (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) arg;
    (void) args;
    if (strcmp (cmd, "big") == 0)
        apiserver_reply_ok (s_server, caller, json_pack ("{s:s}", "x", s_big));
    else if (strcmp (cmd, "mid") == 0) /* an answer under a frame: its buffer is kept */
        apiserver_reply_ok (s_server, caller, json_pack ("{s:s%}", "x", s_big, (size_t) MID));
    else if (strcmp (cmd, "hold") == 0 && s_n_held < 8) {
        api_caller_copy (&s_held[s_n_held], caller); /* answered at the end */
        __atomic_add_fetch (&s_n_held, 1, __ATOMIC_SEQ_CST);
    }
    else if (strcmp (cmd, "count") == 0)
        apiserver_reply_ok (s_server, caller,
                            json_pack ("{s:I, s:I}", "memory",
                                       (json_int_t) apiserver_memory (s_server), "connections",
                                       (json_int_t) apiserver_connections (s_server)));
    else
        apiserver_reply_ok (s_server, caller, NULL);
}

static void
s_flush (void *arg)
{
    (void) arg;
}

static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    return s_stop ? -1 : 0;
}

typedef struct {
    char dir[64];
    char path[96];
    zloop_t *loop;
    pthread_t thread;
} fixture_t;

static void *
s_run (void *arg)
{
    fixture_t *f = arg;
    zloop_start (f->loop);
    return NULL;
}

static void
s_start (fixture_t *f)
{
    testutil_tmpdir (f->dir, sizeof f->dir, "api");
    snprintf (f->path, sizeof f->path, "%s/api.sock", f->dir);
    f->loop = zloop_new ();
    zloop_timer (f->loop, 10, 0, s_tick, NULL);
    kt_reason_t r;
    s_server = apiserver_new (f->loop, f->path, s_handler, s_flush, NULL, &r);
    assert_non_null (s_server);
    s_stop = 0;
    s_n_held = 0;
    assert_int_equal (pthread_create (&f->thread, NULL, s_run, f), 0);
}

static void
s_stop_server (fixture_t *f)
{
    s_stop = 1;
    pthread_join (f->thread, NULL);
    for (size_t i = 0; i < s_n_held; i++)
        api_caller_clear (&s_held[i]);
    apiserver_destroy (&s_server);
    zloop_destroy (&f->loop);
    testutil_rmtree (f->dir);
}

static int
s_connect (fixture_t *f)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    assert_int_equal (connect (fd, (struct sockaddr *) &a, sizeof a), 0);
    struct timeval tv = {10, 0}; /* a lost answer fails the test, not hangs it */
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/*  Send cmd on fd; whether all of it went. */
static bool
s_try_ask (int fd, const char *cmd)
{
    char req[128];
    int n = snprintf (req + 4, sizeof req - 4, "{\"cmd\":\"%s\"}", cmd);
    req[0] = req[1] = 0;
    req[2] = (char) (n >> 8);
    req[3] = (char) n;
    return send (fd, req, (size_t) n + 4, MSG_NOSIGNAL) == n + 4;
}

static void
s_ask (int fd, const char *cmd)
{
    assert_true (s_try_ask (fd, cmd));
}

static bool
s_read_all (int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = recv (fd, (char *) buf + got, len - got, 0);
        if (n <= 0)
            return false;
        got += (size_t) n;
    }
    return true;
}

/*  The answer to cmd on fd (new reference), NULL when the connection
 *  closed or nothing came. */
static json_t *
s_call (int fd, const char *cmd)
{
    s_ask (fd, cmd);
    uint8_t h[4];
    if (!s_read_all (fd, h, 4))
        return NULL;
    size_t len = (size_t) h[0] << 24 | (size_t) h[1] << 16 | (size_t) h[2] << 8 | h[3];
    char *text = malloc (len);
    assert_non_null (text);
    json_t *j = s_read_all (fd, text, len) ? json_loadb (text, len, 0, NULL) : NULL;
    free (text);
    return j;
}

static json_int_t
s_count (fixture_t *f, const char *what)
{
    int fd = s_connect (f);
    json_t *j = s_call (fd, "count");
    assert_non_null (j);
    json_int_t v = json_integer_value (json_object_get (json_object_get (j, "result"), what));
    json_decref (j);
    close (fd);
    return v;
}

/*  Five new callers, one after the other: each gets in and is answered. */
static void
s_new_callers_get_in (fixture_t *f)
{
    for (int i = 0; i < 5; i++) {
        int fd = s_connect (f);
        json_t *j = s_call (fd, "ping");
        assert_non_null (j);
        assert_true (json_is_true (json_object_get (j, "ok")));
        json_decref (j);
        close (fd);
    }
}

/*  256 connections that say nothing do not keep the operator out; one
 *  that waits for an answer is never the one closed. */
static void
test_idle_connections_make_way_for_a_new_caller (void **state)
{
    (void) state;
    fixture_t f;
    s_start (&f);
    int waiting = s_connect (&f);
    s_ask (waiting, "hold");
    /*  The server has read it (the loop thread counts it): from here on
     *  the connection waits for an answer. */
    for (int i = 0; i < 500 && __atomic_load_n (&s_n_held, __ATOMIC_SEQ_CST) == 0; i++)
        usleep (10000);
    assert_int_equal (__atomic_load_n (&s_n_held, __ATOMIC_SEQ_CST), 1);
    int idle[API_MAX_CONNS];
    for (int i = 0; i < API_MAX_CONNS; i++)
        idle[i] = s_connect (&f);
    int fd = s_connect (&f);
    json_t *j = s_call (fd, "ping");
    assert_non_null (j); /* the new caller got in */
    assert_true (json_is_true (json_object_get (j, "ok")));
    json_decref (j);
    close (fd);
    /*  The waiting connection is still open: nothing to read, not EOF. */
    char b;
    assert_int_equal (recv (waiting, &b, 1, MSG_DONTWAIT), -1);
    assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true (s_count (&f, "connections") <= API_MAX_CONNS);
    for (int i = 0; i < API_MAX_CONNS; i++)
        close (idle[i]);
    close (waiting);
    s_stop_server (&f);
}

/*  Clients that ask for large answers and never read them hold at most
 *  API_MAX_MEMORY in all, and a caller that reads still gets its whole
 *  answer. */
static void
test_clients_that_do_not_read_are_bounded (void **state)
{
    (void) state;
    fixture_t f;
    s_start (&f);
    enum { HOGS = 8, ASKS = 20 };
    int hog[HOGS];
    for (int i = 0; i < HOGS; i++) {
        hog[i] = s_connect (&f);
        for (int k = 0; k < ASKS; k++)
            /*  A hog may be closed already, to stay within the limit
             *  (a slow run, under valgrind, gets there sooner). */
            (void) s_try_ask (hog[i], "big");
    }
    /*  A reading caller: its answer arrives whole. */
    int fd = s_connect (&f);
    json_t *j = s_call (fd, "big");
    assert_non_null (j);
    assert_int_equal (strlen (json_string_value (json_object_get (json_object_get (j, "result"), "x"))),
                      BIG);
    json_decref (j);
    close (fd);
    assert_true (s_count (&f, "memory") <= API_MAX_MEMORY);
    /*  Some of the hogs were closed to stay within it. */
    int closed = 0;
    for (int i = 0; i < HOGS; i++) {
        struct timeval tv = {0, 200000};
        setsockopt (hog[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[65536];
        ssize_t n;
        while ((n = recv (hog[i], buf, sizeof buf, 0)) > 0)
            ;
        closed += n == 0;
        close (hog[i]);
    }
    assert_true (closed > 0);
    s_stop_server (&f);
}

/*  Clients that each send most of a large frame and stop hold at most
 *  API_MAX_MEMORY, and never keep a new caller out: the largest of them
 *  are closed to make room. */
static void
test_unfinished_requests_make_way_for_a_new_caller (void **state)
{
    (void) state;
    fixture_t f;
    s_start (&f);
    enum { SLOW = 40 };
    size_t part = API_MAX_FRAME - 4096;
    uint8_t *frame = calloc (1, part + 4);
    assert_non_null (frame);
    frame[1] = (uint8_t) (API_MAX_FRAME >> 16); /* a frame of API_MAX_FRAME, never finished */
    int slow[SLOW];
    for (int i = 0; i < SLOW; i++) {
        slow[i] = s_connect (&f);
        assert_int_equal (send (slow[i], frame, part + 4, MSG_NOSIGNAL), (ssize_t) (part + 4));
    }
    free (frame);
    s_new_callers_get_in (&f);
    assert_true (s_count (&f, "memory") <= API_MAX_MEMORY);
    for (int i = 0; i < SLOW; i++)
        close (slow[i]);
    s_stop_server (&f);
}

/*  Clients that read an answer of 300 KiB each (under a frame, so its
 *  buffer stays for the next one) and then stay connected, idle, keep no
 *  memory from a new caller: their empty buffers are let go. */
static void
test_idle_connections_after_large_answers_keep_no_one_out (void **state)
{
    (void) state;
    fixture_t f;
    s_start (&f);
    enum { IDLE = 120 };
    int idle[IDLE];
    for (int i = 0; i < IDLE; i++) {
        idle[i] = s_connect (&f);
        json_t *j = s_call (idle[i], "mid");
        assert_non_null (j); /* each got its whole answer */
        json_decref (j);
    }
    s_new_callers_get_in (&f);
    assert_true (s_count (&f, "memory") <= API_MAX_MEMORY);
    for (int i = 0; i < IDLE; i++)
        close (idle[i]);
    s_stop_server (&f);
}

/*  The answers to requests read together go out together (held until
 *  the batch is handled, apiserver_hold): every one arrives, in order,
 *  small ones and large ones mixed, to a caller that reads as it goes. */
static void
test_answers_to_a_batch_all_arrive_in_order (void **state)
{
    (void) state;
    fixture_t f;
    s_start (&f);
    int fd = s_connect (&f);
    enum { N = 40 };
    size_t len = 0;
    char *batch = malloc (N * 64);
    assert_non_null (batch);
    for (int i = 0; i < N; i++) {
        char *p = batch + len;
        int n = snprintf (p + 4, 60, "{\"id\":%d,\"cmd\":\"%s\"}", i, i % 10 == 9 ? "big" : "x");
        p[0] = p[1] = 0;
        p[2] = (char) (n >> 8);
        p[3] = (char) n;
        len += (size_t) n + 4;
    }
    assert_int_equal (send (fd, batch, len, MSG_NOSIGNAL), (ssize_t) len);
    free (batch);
    for (int i = 0; i < N; i++) {
        uint8_t h[4];
        assert_true (s_read_all (fd, h, 4));
        size_t n = (size_t) h[0] << 24 | (size_t) h[1] << 16 | (size_t) h[2] << 8 | h[3];
        char *text = malloc (n);
        assert_non_null (text);
        assert_true (s_read_all (fd, text, n));
        json_t *j = json_loadb (text, n, 0, NULL);
        free (text);
        assert_non_null (j);
        assert_int_equal (json_integer_value (json_object_get (j, "id")), i);
        json_decref (j);
    }
    close (fd);
    s_stop_server (&f);
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    s_big = malloc (BIG + 1);
    memset (s_big, 'x', BIG);
    s_big[BIG] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_idle_connections_make_way_for_a_new_caller),
        cmocka_unit_test (test_clients_that_do_not_read_are_bounded),
        cmocka_unit_test (test_unfinished_requests_make_way_for_a_new_caller),
        cmocka_unit_test (test_idle_connections_after_large_answers_keep_no_one_out),
        cmocka_unit_test (test_answers_to_a_batch_all_arrive_in_order),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    free (s_big);
    return rc;
}
