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
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BIG (API_MAX_FRAME - 1024)
#define MID (300 * 1024)
/*  How long a client waits for the server: generous, so that a loaded
 *  machine or valgrind, which run the server's loop far slower, fail no
 *  test that waits for what must come; an answer that never comes still
 *  fails it, after this. */
#define WAIT_MS 60000
/*  Requests with an "id" under this are counted when answered. */
#define COUNTED 16

static char *s_big;

/*  A server in its own thread, made in a test's setup and stopped in its
 *  teardown, which cmocka runs also after a failed assertion: no server
 *  thread outlives its test.  The clients a test opens are closed there
 *  too. */
typedef struct {
    char dir[64];
    char path[96];
    zloop_t *loop;
    apiserver_t *server;
    pthread_t thread;
    bool running;
    int stop;              /* atomic: the loop thread returns */
    api_caller_t held[8];  /* "hold": answered at the end (never) */
    size_t n_held;         /* atomic */
    int answered[COUNTED]; /* atomic: "big" answered, by request id */
    int fds[API_MAX_CONNS + 64];
    size_t n_fds;
} fixture_t;

/*  The answer to a "big" with a small integer id counted. */
static void
s_answered (fixture_t *f, const api_caller_t *caller)
{
    json_int_t id = json_is_integer (caller->req_id) ? json_integer_value (caller->req_id) : -1;
    if (id >= 0 && id < COUNTED)
        __atomic_add_fetch (&f->answered[id], 1, __ATOMIC_SEQ_CST);
}

static void
s_handler (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    fixture_t *f = arg;
    (void) args;
    if (strcmp (cmd, "big") == 0) {
        apiserver_reply_ok (f->server, caller, json_pack ("{s:s}", "x", s_big));
        s_answered (f, caller);
    } else if (strcmp (cmd, "mid") == 0) /* an answer under a frame: its buffer is kept */
        apiserver_reply_ok (f->server, caller, json_pack ("{s:s%}", "x", s_big, (size_t) MID));
    else if (strcmp (cmd, "hold") == 0 && f->n_held < 8) {
        api_caller_copy (&f->held[f->n_held], caller); /* answered at the end */
        __atomic_add_fetch (&f->n_held, 1, __ATOMIC_SEQ_CST);
    } else if (strcmp (cmd, "count") == 0)
        apiserver_reply_ok (f->server, caller,
                            json_pack ("{s:I, s:I}", "memory",
                                       (json_int_t) apiserver_memory (f->server), "connections",
                                       (json_int_t) apiserver_connections (f->server)));
    else
        apiserver_reply_ok (f->server, caller, NULL);
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
    fixture_t *f = arg;
    return __atomic_load_n (&f->stop, __ATOMIC_SEQ_CST) ? -1 : 0;
}

static void *
s_run (void *arg)
{
    fixture_t *f = arg;
    zloop_start (f->loop);
    return NULL;
}

/*  Everything the fixture holds let go: its clients closed, its server
 *  thread stopped and joined, then the server and its directory. */
static void
s_fixture_free (fixture_t *f)
{
    for (size_t i = 0; i < f->n_fds; i++)
        close (f->fds[i]);
    if (f->running) {
        __atomic_store_n (&f->stop, 1, __ATOMIC_SEQ_CST);
        pthread_join (f->thread, NULL);
    }
    for (size_t i = 0; i < f->n_held; i++)
        api_caller_clear (&f->held[i]);
    apiserver_destroy (&f->server);
    zloop_destroy (&f->loop);
    if (f->dir[0])
        testutil_rmtree (f->dir);
    free (f);
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f)
        return -1;
    if (testutil_tmpdir (f->dir, sizeof f->dir, "api") != 0) {
        fprintf (stderr, "setup: cannot make a scratch directory: %s\n", strerror (errno));
        f->dir[0] = '\0';
        s_fixture_free (f);
        return -1;
    }
    snprintf (f->path, sizeof f->path, "%s/api.sock", f->dir);
    f->loop = zloop_new ();
    kt_reason_t r;
    f->server = f->loop ? apiserver_new (f->loop, f->path, s_handler, s_flush, f, &r) : NULL;
    if (!f->server) {
        fprintf (stderr, "setup: no server: %s\n", f->loop ? r.text : "no zloop");
        s_fixture_free (f);
        return -1;
    }
    zloop_timer (f->loop, 10, 0, s_tick, f);
    if (pthread_create (&f->thread, NULL, s_run, f) != 0) {
        fprintf (stderr, "setup: cannot start the server's thread\n");
        s_fixture_free (f);
        return -1;
    }
    f->running = true;
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_free (*state);
    return 0;
}

static int
s_connect (fixture_t *f)
{
    assert_true (f->n_fds < sizeof f->fds / sizeof f->fds[0]);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    f->fds[f->n_fds++] = fd; /* closed at the teardown if not before */
    assert_int_equal (connect (fd, (struct sockaddr *) &a, sizeof a), 0);
    return fd;
}

static void
s_close (fixture_t *f, int fd)
{
    for (size_t i = 0; i < f->n_fds; i++)
        if (f->fds[i] == fd) {
            f->fds[i] = f->fds[--f->n_fds];
            break;
        }
    close (fd);
}

/*  A request frame for cmd at buf (room for 128 bytes), with id when it
 *  is not negative; its length. */
static size_t
s_frame (char *buf, int id, const char *cmd)
{
    int n = id < 0 ? snprintf (buf + 4, 124, "{\"cmd\":\"%s\"}", cmd)
                   : snprintf (buf + 4, 124, "{\"id\":%d,\"cmd\":\"%s\"}", id, cmd);
    buf[0] = buf[1] = 0;
    buf[2] = (char) (n >> 8);
    buf[3] = (char) n;
    return (size_t) n + 4;
}

/*  Send cmd (with id, when not negative) on fd; whether all of it went. */
static bool
s_try_ask (int fd, int id, const char *cmd)
{
    char req[128];
    size_t n = s_frame (req, id, cmd);
    return send (fd, req, n, MSG_NOSIGNAL) == (ssize_t) n;
}

static void
s_ask (int fd, const char *cmd)
{
    assert_true (s_try_ask (fd, -1, cmd));
}

/*  Read len bytes, waiting at most WAIT_MS for each part; false when the
 *  connection closed or nothing came in time. */
static bool
s_read_all (int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll (&p, 1, WAIT_MS) != 1) {
            fprintf (stderr, "no answer within %d ms\n", WAIT_MS);
            return false;
        }
        ssize_t n = recv (fd, (char *) buf + got, len - got, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return false;
        got += (size_t) n;
    }
    return true;
}

/*  The next answer on fd (new reference), NULL when the connection
 *  closed or nothing came. */
static json_t *
s_answer (int fd)
{
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

/*  The answer to cmd on fd (new reference), NULL when the connection
 *  closed or nothing came. */
static json_t *
s_call (int fd, const char *cmd)
{
    s_ask (fd, cmd);
    return s_answer (fd);
}

static json_int_t
s_count (fixture_t *f, const char *what)
{
    int fd = s_connect (f);
    json_t *j = s_call (fd, "count");
    assert_non_null (j);
    json_int_t v = json_integer_value (json_object_get (json_object_get (j, "result"), what));
    json_decref (j);
    s_close (f, fd);
    return v;
}

/*  Whether the server closed fd (read or not: nothing is taken from it). */
static bool
s_closed_by_server (int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll (&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/*  Whether cond (f, arg) comes true within WAIT_MS, asked every 20 ms. */
static bool
s_eventually (bool (*cond) (fixture_t *, const void *), fixture_t *f, const void *arg)
{
    for (int64_t end = zclock_mono () + WAIT_MS; !cond (f, arg);) {
        if (zclock_mono () >= end)
            return false;
        usleep (20000);
    }
    return true;
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
        s_close (f, fd);
    }
}

static bool
s_one_held (fixture_t *f, const void *arg)
{
    (void) arg;
    return __atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST) > 0;
}

/*  256 connections that say nothing do not keep the operator out; one
 *  that waits for an answer is never the one closed. */
static void
test_idle_connections_make_way_for_a_new_caller (void **state)
{
    fixture_t *f = *state;
    int waiting = s_connect (f);
    s_ask (waiting, "hold");
    /*  The server has read it (the loop thread counts it): from here on
     *  the connection waits for an answer. */
    assert_true (s_eventually (s_one_held, f, NULL));
    assert_int_equal (__atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST), 1);
    for (int i = 0; i < API_MAX_CONNS; i++)
        s_connect (f); /* idle: closed at the teardown */
    int fd = s_connect (f);
    json_t *j = s_call (fd, "ping");
    assert_non_null (j); /* the new caller got in */
    assert_true (json_is_true (json_object_get (j, "ok")));
    json_decref (j);
    s_close (f, fd);
    /*  The waiting connection is still open: nothing to read, not EOF. */
    char b;
    assert_int_equal (recv (waiting, &b, 1, MSG_DONTWAIT), -1);
    assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true (s_count (f, "connections") <= API_MAX_CONNS);
}

/*  Clients that ask for large answers and never read them: HOGS x ASKS
 *  answers of a frame each, more than API_MAX_MEMORY together, yet
 *  fewer on each than the 16 MiB one connection may hold unsent, so
 *  only the limit on all of them together can close one.  A caller
 *  asks for READS in one batch. */
enum { HOGS = 9, ASKS = 8, READS = 8 };

/*  Clients that ask with the ids first .. first + n - 1 (the i-th with
 *  first + i, on fd[i]), asks requests each. */
typedef struct {
    int first, n, asks;
    const int *fd;
} askers_t;

/*  Every asker's requests handled: answered asks times, or closed by
 *  the server. */
static bool
s_all_handled (fixture_t *f, const void *arg)
{
    const askers_t *a = arg;
    for (int i = 0; i < a->n; i++)
        if (__atomic_load_n (&f->answered[a->first + i], __ATOMIC_SEQ_CST) < a->asks &&
            !s_closed_by_server (a->fd[i]))
            return false;
    return true;
}

/*  Clients that ask for large answers and never read them hold at most
 *  API_MAX_MEMORY in all, and a caller that reads still gets its whole
 *  answers: hogs are closed to make room for them. */
static void
test_clients_that_do_not_read_are_bounded (void **state)
{
    fixture_t *f = *state;
    int hog[HOGS];
    for (int i = 0; i < HOGS; i++) {
        hog[i] = s_connect (f);
        for (int k = 0; k < ASKS; k++)
            /*  A hog may be closed already, to stay within the limit
             *  (a slow run, under valgrind, gets there sooner). */
            (void) s_try_ask (hog[i], i, "big");
    }
    /*  However slowly the server gets through them. */
    askers_t hogs = {0, HOGS, ASKS, hog};
    assert_true (s_eventually (s_all_handled, f, &hogs));
    assert_true (s_count (f, "memory") <= API_MAX_MEMORY);
    /*  Some of the hogs were closed to stay within it. */
    int closed = 0;
    for (int i = 0; i < HOGS; i++)
        closed += s_closed_by_server (hog[i]);
    assert_true (closed > 0);
    /*  A caller asks for READS large answers in one batch and reads
     *  them once all are made: more than the hogs left room for, so
     *  they make room for it, not it for them.  Every answer arrives
     *  whole. */
    int fd = s_connect (f);
    char batch[READS * 128];
    size_t len = 0;
    for (int k = 0; k < READS; k++)
        len += s_frame (batch + len, HOGS, "big");
    assert_int_equal (send (fd, batch, len, MSG_NOSIGNAL), (ssize_t) len);
    askers_t reader = {HOGS, 1, READS, &fd};
    assert_true (s_eventually (s_all_handled, f, &reader));
    for (int k = 0; k < READS; k++) {
        json_t *j = s_answer (fd);
        assert_non_null (j);
        assert_int_equal (
            strlen (json_string_value (json_object_get (json_object_get (j, "result"), "x"))), BIG);
        json_decref (j);
    }
    s_close (f, fd);
    assert_true (s_count (f, "memory") <= API_MAX_MEMORY);
}

/*  Clients that each send most of a large frame and stop hold at most
 *  API_MAX_MEMORY, and never keep a new caller out: the largest of them
 *  are closed to make room. */
static void
test_unfinished_requests_make_way_for_a_new_caller (void **state)
{
    fixture_t *f = *state;
    enum { SLOW = 40 };
    size_t part = API_MAX_FRAME - 4096;
    uint8_t *frame = calloc (1, part + 4);
    assert_non_null (frame);
    frame[1] = (uint8_t) (API_MAX_FRAME >> 16); /* a frame of API_MAX_FRAME, never finished */
    for (int i = 0; i < SLOW; i++) {
        int slow = s_connect (f); /* closed at the teardown */
        ssize_t sent = send (slow, frame, part + 4, MSG_NOSIGNAL);
        if (sent != (ssize_t) (part + 4))
            free (frame);
        assert_int_equal (sent, (ssize_t) (part + 4));
    }
    free (frame);
    s_new_callers_get_in (f);
    assert_true (s_count (f, "memory") <= API_MAX_MEMORY);
}

/*  Clients that read an answer of 300 KiB each (under a frame, so its
 *  buffer stays for the next one) and then stay connected, idle, keep no
 *  memory from a new caller: their empty buffers are let go. */
static void
test_idle_connections_after_large_answers_keep_no_one_out (void **state)
{
    fixture_t *f = *state;
    enum { IDLE = 120 };
    for (int i = 0; i < IDLE; i++) {
        int idle = s_connect (f); /* closed at the teardown */
        json_t *j = s_call (idle, "mid");
        assert_non_null (j); /* each got its whole answer */
        json_decref (j);
    }
    s_new_callers_get_in (f);
    assert_true (s_count (f, "memory") <= API_MAX_MEMORY);
}

/*  The answers to requests read together go out together (held until
 *  the batch is handled, apiserver_hold): every one arrives, in order,
 *  small ones and large ones mixed, to a caller that reads as it goes. */
static void
test_answers_to_a_batch_all_arrive_in_order (void **state)
{
    fixture_t *f = *state;
    int fd = s_connect (f);
    enum { N = 40 };
    size_t len = 0;
    char batch[N * 128];
    for (int i = 0; i < N; i++)
        len += s_frame (batch + len, i, i % 10 == 9 ? "big" : "x");
    assert_int_equal (send (fd, batch, len, MSG_NOSIGNAL), (ssize_t) len);
    for (int i = 0; i < N; i++) {
        json_t *j = s_answer (fd);
        assert_non_null (j);
        json_int_t id = json_integer_value (json_object_get (j, "id"));
        json_decref (j);
        assert_int_equal (id, i);
    }
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    s_big = malloc (BIG + 1);
    memset (s_big, 'x', BIG);
    s_big[BIG] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_idle_connections_make_way_for_a_new_caller, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_clients_that_do_not_read_are_bounded, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_unfinished_requests_make_way_for_a_new_caller,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_idle_connections_after_large_answers_keep_no_one_out,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_answers_to_a_batch_all_arrive_in_order, s_setup,
                                         s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    free (s_big);
    return rc;
}
