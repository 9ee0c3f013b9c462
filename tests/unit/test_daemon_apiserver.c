/*  apiserver: the local API stays usable for the operator when other
 *  local clients misbehave - all slots taken by idle connections, or
 *  clients that ask for large answers and never read them.  A real Unix
 *  socket, a real zloop in its own thread, clients in this one.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apiserver_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*  Five new callers, one after the other: each gets in and is answered. */
static void
s_new_callers_get_in (apifix_t *f)
{
    for (int i = 0; i < 5; i++) {
        int fd = apifix_connect (f);
        json_t *j = apifix_call (fd, -1, "ping");
        assert_non_null (j);
        assert_true (json_is_true (json_object_get (j, "ok")));
        json_decref (j);
        apifix_close (f, fd);
    }
}

/*  256 connections that say nothing do not keep the operator out; one
 *  that waits for an answer is never the one closed. */
static void
test_idle_connections_make_way_for_a_new_caller (void **state)
{
    apifix_t *f = *state;
    int waiting = apifix_connect (f);
    apifix_ask (waiting, -1, "hold");
    /*  The server has read it (the loop thread counts it): from here on
     *  the connection waits for an answer. */
    assert_true (apifix_held (f, 1));
    assert_int_equal (__atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST), 1);
    for (int i = 0; i < API_MAX_CONNS; i++)
        apifix_connect (f); /* idle: closed at the teardown */
    int fd = apifix_connect (f);
    json_t *j = apifix_call (fd, -1, "ping");
    assert_non_null (j); /* the new caller got in */
    assert_true (json_is_true (json_object_get (j, "ok")));
    json_decref (j);
    apifix_close (f, fd);
    /*  The waiting connection is still open: nothing to read, not EOF. */
    char b;
    assert_int_equal (recv (waiting, &b, 1, MSG_DONTWAIT), -1);
    assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true (apifix_count (f, "connections") <= API_MAX_CONNS);
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
s_all_handled (apifix_t *f, const void *arg)
{
    const askers_t *a = arg;
    for (int i = 0; i < a->n; i++)
        if (__atomic_load_n (&f->answered[a->first + i], __ATOMIC_SEQ_CST) < a->asks &&
            !apifix_closed_by_server (a->fd[i]))
            return false;
    return true;
}

/*  Clients that ask for large answers and never read them hold at most
 *  API_MAX_MEMORY in all, and a caller that reads still gets its whole
 *  answers: hogs are closed to make room for them. */
static void
test_clients_that_do_not_read_are_bounded (void **state)
{
    apifix_t *f = *state;
    int hog[HOGS];
    for (int i = 0; i < HOGS; i++) {
        hog[i] = apifix_connect (f);
        for (int k = 0; k < ASKS; k++)
            /*  A hog may be closed already, to stay within the limit
             *  (a slow run, under valgrind, gets there sooner). */
            (void) apifix_try_ask (hog[i], i, "big");
    }
    /*  However slowly the server gets through them. */
    askers_t hogs = {0, HOGS, ASKS, hog};
    assert_true (apifix_eventually (s_all_handled, f, &hogs));
    assert_true (apifix_count (f, "memory") <= API_MAX_MEMORY);
    /*  Some of the hogs were closed to stay within it. */
    int closed = 0;
    for (int i = 0; i < HOGS; i++)
        closed += apifix_closed_by_server (hog[i]);
    assert_true (closed > 0);
    /*  A caller asks for READS large answers in one batch and reads
     *  them once all are made: more than the hogs left room for, so
     *  they make room for it, not it for them.  Every answer arrives
     *  whole. */
    int fd = apifix_connect (f);
    uint8_t batch[READS * 128];
    size_t len = 0;
    for (int k = 0; k < READS; k++)
        len += apifix_frame (batch + len, HOGS, "big");
    assert_int_equal (send (fd, batch, len, MSG_NOSIGNAL), (ssize_t) len);
    askers_t reader = {HOGS, 1, READS, &fd};
    assert_true (apifix_eventually (s_all_handled, f, &reader));
    for (int k = 0; k < READS; k++) {
        json_t *j = apifix_answer (fd);
        assert_non_null (j);
        assert_int_equal (
            strlen (json_string_value (json_object_get (json_object_get (j, "result"), "x"))),
            APIFIX_BIG);
        json_decref (j);
    }
    apifix_close (f, fd);
    assert_true (apifix_count (f, "memory") <= API_MAX_MEMORY);
}

/*  Clients that each send most of a large frame and stop hold at most
 *  API_MAX_MEMORY, and never keep a new caller out: the largest of them
 *  are closed to make room. */
static void
test_unfinished_requests_make_way_for_a_new_caller (void **state)
{
    apifix_t *f = *state;
    enum { SLOW = 40 };
    size_t part = API_MAX_FRAME - 4096;
    uint8_t *frame = calloc (1, part + 4);
    assert_non_null (frame);
    frame[1] = (uint8_t) (API_MAX_FRAME >> 16); /* a frame of API_MAX_FRAME, never finished */
    for (int i = 0; i < SLOW; i++) {
        int slow = apifix_connect (f); /* closed at the teardown */
        ssize_t sent = send (slow, frame, part + 4, MSG_NOSIGNAL);
        if (sent != (ssize_t) (part + 4))
            free (frame);
        assert_int_equal (sent, (ssize_t) (part + 4));
    }
    free (frame);
    s_new_callers_get_in (f);
    assert_true (apifix_count (f, "memory") <= API_MAX_MEMORY);
}

/*  Clients that read an answer of 300 KiB each (under a frame, so its
 *  buffer stays for the next one) and then stay connected, idle, keep no
 *  memory from a new caller: their empty buffers are let go. */
static void
test_idle_connections_after_large_answers_keep_no_one_out (void **state)
{
    apifix_t *f = *state;
    enum { IDLE = 120 };
    for (int i = 0; i < IDLE; i++) {
        int idle = apifix_connect (f); /* closed at the teardown */
        json_t *j = apifix_call (idle, -1, "mid");
        assert_non_null (j); /* each got its whole answer */
        json_decref (j);
    }
    s_new_callers_get_in (f);
    assert_true (apifix_count (f, "memory") <= API_MAX_MEMORY);
}

/*  The answers to requests read together go out together (held until
 *  the batch is handled, apiserver_hold): every one arrives, in order,
 *  small ones and large ones mixed, to a caller that reads as it goes. */
static void
test_answers_to_a_batch_all_arrive_in_order (void **state)
{
    apifix_t *f = *state;
    int fd = apifix_connect (f);
    enum { N = 40 };
    size_t len = 0;
    uint8_t batch[N * 128];
    for (int i = 0; i < N; i++)
        len += apifix_frame (batch + len, i, i % 10 == 9 ? "big" : "x");
    assert_int_equal (send (fd, batch, len, MSG_NOSIGNAL), (ssize_t) len);
    for (int i = 0; i < N; i++) {
        json_t *j = apifix_answer (fd);
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_idle_connections_make_way_for_a_new_caller,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_clients_that_do_not_read_are_bounded, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_unfinished_requests_make_way_for_a_new_caller,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_idle_connections_after_large_answers_keep_no_one_out,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_answers_to_a_batch_all_arrive_in_order, apifix_setup,
                                         apifix_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
