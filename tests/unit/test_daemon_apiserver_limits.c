/*  apiserver: no one local client can take the node's loop or the
 *  operator's way in from the others - a flood of requests sent at once,
 *  a half-closed connection, all slots taken, a journal flood - and what
 *  the server refuses it says why.  A real Unix socket, a real zloop in
 *  its own thread, clients in this one (and a child process).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apiserver.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/*  How long a client waits for what must come: generous (a loaded
 *  machine, valgrind); what never comes still fails the test after it. */
#define WAIT_MS 60000
#define HELD_MAX (API_MAX_CONNS + 64)

typedef struct {
    char dir[64];
    char path[96];
    zloop_t *loop;
    apiserver_t *server;
    pthread_t thread;
    bool running;
    int stop;                    /* atomic: the loop thread returns */
    api_caller_t held[HELD_MAX]; /* "hold": answered at the end (never) */
    size_t n_held;               /* atomic */
    api_caller_t later[64];      /* "later": answered at the flush */
    size_t n_later;              /* loop thread only */
    long worked;                 /* atomic: "work" requests handled */
    int sleeping;                /* atomic: in "sleep" */
    int fds[API_MAX_CONNS + 64];
    size_t n_fds;
    pid_t child; /* a client in a child process, killed at the teardown */
} fixture_t;

/*  Busy for about us microseconds (a request that costs the loop). */
static void
s_busy (int us)
{
    for (int64_t end = (int64_t) kt_mono_us () + us; (int64_t) kt_mono_us () < end;)
        ;
}

static void
s_handler (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    fixture_t *f = arg;
    (void) args;
    if (strcmp (cmd, "work") == 0) {
        s_busy (100);
        __atomic_add_fetch (&f->worked, 1, __ATOMIC_SEQ_CST);
        apiserver_reply_ok (f->server, caller, NULL);
    } else if (strcmp (cmd, "huge") == 0) {
        /*  An answer of more than 16 MiB. */
        enum { HUGE = 17 * 1024 * 1024 };
        char *x = malloc (HUGE + 1);
        memset (x, 'x', HUGE);
        x[HUGE] = '\0';
        apiserver_reply_ok (f->server, caller, json_pack ("{s:s}", "x", x));
        free (x);
    } else if (strcmp (cmd, "sleep") == 0) {
        /*  The loop busy while a test makes a client's bytes arrive
         *  together. */
        __atomic_store_n (&f->sleeping, 1, __ATOMIC_SEQ_CST);
        usleep (300 * 1000);
        __atomic_store_n (&f->sleeping, 0, __ATOMIC_SEQ_CST);
        apiserver_reply_ok (f->server, caller, NULL);
    } else if (strcmp (cmd, "hold") == 0 && f->n_held < HELD_MAX) {
        api_caller_copy (&f->held[f->n_held], caller);
        __atomic_add_fetch (&f->n_held, 1, __ATOMIC_SEQ_CST);
    } else if (strcmp (cmd, "later") == 0 && f->n_later < 64)
        api_caller_copy (&f->later[f->n_later++], caller);
    else
        apiserver_reply_ok (f->server, caller, NULL);
}

/*  The node's group commit, played: "later" is answered here. */
static void
s_flush (void *arg)
{
    fixture_t *f = arg;
    for (size_t i = 0; i < f->n_later; i++) {
        apiserver_reply_ok (f->server, &f->later[i], json_pack ("{s:b}", "committed", 1));
        api_caller_clear (&f->later[i]);
    }
    f->n_later = 0;
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

static void
s_fixture_free (fixture_t *f)
{
    if (f->child > 0) {
        kill (f->child, SIGKILL);
        waitpid (f->child, NULL, 0);
    }
    for (size_t i = 0; i < f->n_fds; i++)
        close (f->fds[i]);
    if (f->running) {
        __atomic_store_n (&f->stop, 1, __ATOMIC_SEQ_CST);
        pthread_join (f->thread, NULL);
    }
    for (size_t i = 0; i < f->n_held; i++)
        api_caller_clear (&f->held[i]);
    for (size_t i = 0; i < f->n_later; i++)
        api_caller_clear (&f->later[i]);
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
    if (testutil_tmpdir (f->dir, sizeof f->dir, "apilim") != 0) {
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
    f->fds[f->n_fds++] = fd;
    assert_int_equal (connect (fd, (struct sockaddr *) &a, sizeof a), 0);
    return fd;
}

/*  body as a frame at buf (room for 4 + its length); the frame's length. */
static size_t
s_frame_of (uint8_t *buf, const char *body, size_t len)
{
    buf[0] = (uint8_t) (len >> 24);
    buf[1] = (uint8_t) (len >> 16);
    buf[2] = (uint8_t) (len >> 8);
    buf[3] = (uint8_t) len;
    memcpy (buf + 4, body, len);
    return len + 4;
}

/*  A request for cmd with id (none when negative) at buf (room for 128). */
static size_t
s_frame (uint8_t *buf, long id, const char *cmd)
{
    char body[124];
    int n = id < 0 ? snprintf (body, sizeof body, "{\"cmd\":\"%s\"}", cmd)
                   : snprintf (body, sizeof body, "{\"id\":%ld,\"cmd\":\"%s\"}", id, cmd);
    return s_frame_of (buf, body, (size_t) n);
}

static void
s_send_all (int fd, const void *data, size_t len)
{
    assert_int_equal (send (fd, data, len, MSG_NOSIGNAL), (ssize_t) len);
}

/*  Whether all of the request went (the server may have closed fd). */
static bool
s_try_ask (int fd, long id, const char *cmd)
{
    uint8_t req[128];
    size_t n = s_frame (req, id, cmd);
    return send (fd, req, n, MSG_NOSIGNAL) == (ssize_t) n;
}

static void
s_ask (int fd, long id, const char *cmd)
{
    uint8_t req[128];
    s_send_all (fd, req, s_frame (req, id, cmd));
}

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

/*  The next answer on fd (new reference); NULL when the connection closed
 *  or nothing came. */
static json_t *
s_answer (int fd)
{
    uint8_t h[4];
    if (!s_read_all (fd, h, 4))
        return NULL;
    size_t len = (size_t) h[0] << 24 | (size_t) h[1] << 16 | (size_t) h[2] << 8 | h[3];
    char *text = malloc (len ? len : 1);
    assert_non_null (text);
    json_t *j = s_read_all (fd, text, len) ? json_loadb (text, len, 0, NULL) : NULL;
    free (text);
    return j;
}

/*  The answer's error ("" when ok; NULL when none came), kept in buf. */
static const char *
s_error_of (json_t *j, char *buf, size_t size)
{
    if (!j)
        return NULL;
    json_t *e = json_object_get (j, "error");
    snprintf (buf, size, "%s", json_is_string (e) ? json_string_value (e) : "");
    json_decref (j);
    return buf;
}

/*  Whether the server closed fd, once all it sent is read. */
static bool
s_eof (int fd)
{
    char b;
    struct pollfd p = {fd, POLLIN, 0};
    return poll (&p, 1, WAIT_MS) == 1 && recv (fd, &b, 1, MSG_DONTWAIT) == 0;
}

/* ---- 1. A flood of requests sent at once ---------------------------- */

enum { FLOOD_BYTES = 1024 * 1024 };

typedef struct {
    int fd;
    const uint8_t *data;
    size_t len;
} sender_t;

static void *
s_sender (void *arg)
{
    sender_t *s = arg;
    for (size_t done = 0; done < s->len;) {
        ssize_t n = send (s->fd, s->data + done, s->len - done, MSG_NOSIGNAL);
        if (n <= 0 && errno != EINTR)
            break;
        if (n > 0)
            done += (size_t) n;
    }
    return NULL;
}

/*  One client sends a MiB of requests (36,000) at once, each costing the
 *  loop 100 us: another caller is still answered within a second, not
 *  after the whole flood (3.6 s), and the flooding client gets every
 *  answer, in order. */
static void
test_a_flood_of_requests_does_not_hold_the_loop (void **state)
{
    fixture_t *f = *state;
    uint8_t *flood = malloc (FLOOD_BYTES + 128);
    assert_non_null (flood);
    size_t len = 0;
    long n = 0;
    while (len < FLOOD_BYTES)
        len += s_frame (flood + len, n++, "work");
    int flooder = s_connect (f);
    sender_t sender = {flooder, flood, len};
    pthread_t th;
    assert_int_equal (pthread_create (&th, NULL, s_sender, &sender), 0);
    /*  Once the server is busy with the flood. */
    for (int64_t end = zclock_mono () + WAIT_MS;
         __atomic_load_n (&f->worked, __ATOMIC_SEQ_CST) < 500 && zclock_mono () < end;)
        usleep (1000);
    int other = s_connect (f);
    int64_t t0 = zclock_mono ();
    s_ask (other, 1, "ping");
    json_t *j = s_answer (other);
    int64_t waited = zclock_mono () - t0;
    long worked = __atomic_load_n (&f->worked, __ATOMIC_SEQ_CST);
    assert_non_null (j);
    json_decref (j);
    fprintf (stderr, "the other caller waited %lld ms; %ld of %ld requests of the flood handled\n",
             (long long) waited, worked, n);
    assert_true (worked < n); /* answered in the middle of the flood */
    assert_true (waited < 1000);
    for (long i = 0; i < n; i++) {
        j = s_answer (flooder);
        assert_non_null (j);
        json_int_t id = json_integer_value (json_object_get (j, "id"));
        json_decref (j);
        if (id != i)
            fail_msg ("answer %ld has id %lld", i, (long long) id);
    }
    pthread_join (th, NULL);
    free (flood);
}

/* ---- 2. A client that shuts down its writing side ------------------ */

/*  The server's loop kept busy (a "sleep" on another connection) while
 *  the caller's requests and the end of them arrive: they are read in
 *  one event.  The connection asking it is returned. */
static int
s_pause_server (fixture_t *f)
{
    int sleeper = s_connect (f);
    s_ask (sleeper, -1, "sleep");
    for (int64_t end = zclock_mono () + WAIT_MS;
         !__atomic_load_n (&f->sleeping, __ATOMIC_SEQ_CST) && zclock_mono () < end;)
        usleep (1000);
    return sleeper;
}

/*  100 requests sent at once and then the end of them (shutdown of the
 *  writing side, as socat and `nc -N` do): every one is answered, in
 *  order, and then the server closes. */
static void
test_requests_before_a_half_close_are_answered (void **state)
{
    fixture_t *f = *state;
    enum { N = 100 };
    uint8_t batch[N * 128];
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += s_frame (batch + len, i, "ping");
    int fd = s_connect (f);
    int sleeper = s_pause_server (f);
    s_send_all (fd, batch, len);
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    for (int i = 0; i < N; i++) {
        json_t *j = s_answer (fd);
        if (!j)
            fail_msg ("request %d of %d was not answered", i, N);
        json_int_t id = json_integer_value (json_object_get (j, "id"));
        json_decref (j);
        assert_int_equal (id, i);
    }
    assert_true (s_eof (fd));
    json_decref (s_answer (sleeper));
}

/*  A request answered only after the batch is committed (the node's group
 *  commit, as for signal.submit), sent with the end of the requests: its
 *  answer still arrives.  Without it a client resends and duplicates. */
static void
test_a_later_answer_after_a_half_close_arrives (void **state)
{
    fixture_t *f = *state;
    int fd = s_connect (f);
    int sleeper = s_pause_server (f);
    s_ask (fd, 7, "later");
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    json_t *j = s_answer (fd);
    assert_non_null (j);
    assert_int_equal (json_integer_value (json_object_get (j, "id")), 7);
    assert_true (json_is_true (json_object_get (json_object_get (j, "result"), "committed")));
    json_decref (j);
    assert_true (s_eof (fd));
    json_decref (s_answer (sleeper));
}

/*  A whole request and part of another, then the end: the whole one is
 *  answered, the part dropped, and the server closes. */
static void
test_an_unfinished_request_at_a_half_close_is_dropped (void **state)
{
    fixture_t *f = *state;
    uint8_t batch[256];
    size_t len = s_frame (batch, 1, "ping");
    len += s_frame (batch + len, 2, "ping") - 5; /* its last 5 bytes never sent */
    int fd = s_connect (f);
    int sleeper = s_pause_server (f);
    s_send_all (fd, batch, len);
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    json_t *j = s_answer (fd);
    assert_non_null (j);
    assert_int_equal (json_integer_value (json_object_get (j, "id")), 1);
    json_decref (j);
    assert_true (s_eof (fd));
    json_decref (s_answer (sleeper));
}

/* ---- 3. All slots taken -------------------------------------------- */

static bool
s_held (fixture_t *f, size_t n)
{
    for (int64_t end = zclock_mono () + WAIT_MS; zclock_mono () < end; usleep (10000))
        if (__atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST) >= n)
            return true;
    return false;
}

/*  Every slot holds a request waiting for its answer (a "wait"
 *  submission while the uitvoerder is down): a new caller is told so in
 *  an answer, not closed without a word. */
static void
test_a_full_table_is_refused_with_a_reason (void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < API_MAX_CONNS; i++)
        s_ask (s_connect (f), i, "hold");
    assert_true (s_held (f, API_MAX_CONNS));
    /*  The caller sends its request after the server refused it (as
     *  the CLI may: it connects, then sends): the send still goes, and
     *  the answer is there to read. */
    int fd = s_connect (f);
    usleep (300 * 1000);
    assert_true (s_try_ask (fd, 1, "ping"));
    char error[512];
    const char *why = s_error_of (s_answer (fd), error, sizeof error);
    assert_non_null (why); /* an answer, not a silent close */
    fprintf (stderr, "refused: %s\n", why);
    assert_non_null (strstr (why, "local API is full"));
    assert_non_null (strstr (why, "256"));
    assert_true (s_eof (fd));
}

/*  A caller other than root and the daemon's user (nobody, in a child
 *  process) opens 300 connections at once and says nothing.  A connection
 *  the operator opened just before is not closed for them before it asks
 *  (it is younger than the grace), and a new one of the operator's gets
 *  in (the reserved slots); the child's last ones are refused with a
 *  reason.  Root only (the child becomes nobody). */
static void
test_a_client_opening_connections_keeps_the_operator_in (void **state)
{
    fixture_t *f = *state;
    if (geteuid () != 0)
        skip ();
    assert_int_equal (chmod (f->dir, 0755), 0);
    assert_int_equal (chmod (f->path, 0666), 0);
    int early = s_connect (f); /* the operator's, its request not sent yet */
    int done[2];
    assert_int_equal (pipe (done), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (done[0]);
        if (setgid (65534) != 0 || setuid (65534) != 0)
            _exit (2);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
        for (int i = 0; i < 300; i++) {
            /*  Held open until the child is killed. */
            int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0 || connect (fd, (struct sockaddr *) &a, sizeof a) != 0)
                _exit (3);
        }
        (void) !write (done[1], "x", 1);
        for (;;)
            pause ();
    }
    f->child = child;
    close (done[1]);
    char b;
    ssize_t got = read (done[0], &b, 1);
    close (done[0]);
    if (got != 1)
        fail_msg ("the child could not open its connections");
    usleep (200 * 1000); /* the server took what it could of them */
    char error[512];
    const char *why = NULL;
    if (s_try_ask (early, 1, "ping"))
        why = s_error_of (s_answer (early), error, sizeof error);
    assert_non_null (why); /* not closed before its request */
    assert_string_equal (why, "");
    int fd = s_connect (f); /* while the child's are open */
    why = s_try_ask (fd, 2, "ping") ? s_error_of (s_answer (fd), error, sizeof error) : NULL;
    assert_non_null (why);
    assert_string_equal (why, "");
}

/* ---- 4. The journal ------------------------------------------------- */

/*  The lines of path that hold what (or all, with NULL). */
static int
s_lines (const char *path, const char *what)
{
    FILE *fp = fopen (path, "r");
    assert_non_null (fp);
    char line[1100];
    int n = 0;
    while (fgets (line, sizeof line, fp))
        n += !what || strstr (line, what) != NULL;
    fclose (fp);
    return n;
}

/*  Whether the server has closed up to n connections since (it counts
 *  them), asked every 10 ms. */
static bool
s_connections_below (fixture_t *f, size_t n)
{
    for (int64_t end = zclock_mono () + WAIT_MS; zclock_mono () < end; usleep (10000))
        if (apiserver_connections (f->server) <= n)
            return true;
    return false;
}

/*  600 connections opened and left idle (each past the 256th evicts an
 *  idle one) and 200 that send a frame no request has: 544 warnings
 *  about connections, of which the journal gets the first 100 of the
 *  hour and one line saying the rest are counted. */
static void
test_warnings_about_connections_are_budgeted (void **state)
{
    fixture_t *f = *state;
    char log[96];
    snprintf (log, sizeof log, "%s/stderr.log", f->dir);
    fflush (stderr);
    int saved = dup (2);
    int out = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (saved >= 0 && out >= 0);
    dup2 (out, 2);
    close (out);
    kt_log_set_level (KT_LOG_WARN);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++)
            s_connect (f);
        assert_true (s_connections_below (f, API_MAX_CONNS));
        while (f->n_fds > 0)
            close (f->fds[--f->n_fds]);
    }
    for (int i = 0; i < 200; i++) {
        int fd = s_connect (f);
        s_send_all (fd, "\xff\xff\xff\xff", 4);
        assert_true (s_eof (fd));
        close (f->fds[--f->n_fds]);
    }
    kt_log_set_level (KT_LOG_ERROR);
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    int evicted = s_lines (log, "api evicted"), refused = s_lines (log, "api frame_refused");
    fprintf (stderr, "%d lines: %d 'api evicted', %d 'api frame_refused'\n", s_lines (log, NULL),
             evicted, refused);
    assert_int_equal (evicted + refused, 100);
    assert_int_equal (s_lines (log, "api warning_flood"), 1);
}

/* ---- 5. Smaller ------------------------------------------------------ */

/*  The answer to the frame body (new reference; NULL when none came). */
static json_t *
s_answer_to (fixture_t *f, const char *body)
{
    size_t len = strlen (body);
    uint8_t *frame = malloc (len + 4);
    assert_non_null (frame);
    int fd = s_connect (f);
    s_send_all (fd, frame, s_frame_of (frame, body, len));
    free (frame);
    return s_answer (fd);
}

/*  An id longer than API_MAX_ID bytes (kept until the answer, which a
 *  "wait" may hold for long) is refused with an error naming it; one of
 *  API_MAX_ID is taken. */
static void
test_a_long_request_id_is_refused (void **state)
{
    fixture_t *f = *state;
    char body[API_MAX_ID + 64], error[256];
    snprintf (body, sizeof body, "{\"id\":\"%0*d\",\"cmd\":\"hold\"}", API_MAX_ID - 1, 0);
    json_t *j = s_answer_to (f, body);
    const char *why = s_error_of (j, error, sizeof error);
    assert_non_null (why);
    fprintf (stderr, "%s\n", why);
    assert_non_null (strstr (why, "id is 257 bytes"));
    assert_int_equal (__atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST), 0);
    snprintf (body, sizeof body, "{\"id\":\"%0*d\",\"cmd\":\"ping\"}", API_MAX_ID - 2, 0);
    why = s_error_of (s_answer_to (f, body), error, sizeof error);
    assert_non_null (why);
    assert_string_equal (why, "");
}

/*  An answer larger than a client must take (16 MiB) is replaced by an
 *  error that says so; the connection stays open and usable. */
static void
test_an_answer_too_large_is_an_error (void **state)
{
    fixture_t *f = *state;
    int fd = s_connect (f);
    s_ask (fd, 1, "huge");
    char error[256];
    const char *why = s_error_of (s_answer (fd), error, sizeof error);
    assert_non_null (why);
    fprintf (stderr, "%s\n", why);
    assert_non_null (strstr (why, "answer too large ("));
    assert_non_null (strstr (why, "limit 16 MiB"));
    s_ask (fd, 2, "ping");
    why = s_error_of (s_answer (fd), error, sizeof error);
    assert_non_null (why);
    assert_string_equal (why, "");
}

/*  What is wrong with a request is named: jansson's reason and where, a
 *  cmd too long, not "not a JSON object" or "no cmd string" for all. */
static void
test_a_malformed_request_is_told_what_is_wrong (void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *body, *error;
    } cases[] = {
        {"{\"id\":3,\"cmd\":\"ping\",\"cmd\":\"ping\"}",
         "request is not valid JSON: duplicate key at line 1, column"},
        {"{\"id\":5,\"cmd\":\"ping\"} x",
         "request is not valid JSON: text after the JSON value at line 1, column"},
        {"{\"id\":5,\"cmd\":", "request is not valid JSON: JSON ends too early at line 1"},
        {"{\"id\" 5}", "request is not valid JSON: a syntax error at line 1, column"},
        {"[1]", "request is not a JSON object"},
        {"{\"id\":9,\"cmd\":\"sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\"}",
         "cmd is 65 bytes; at most 64"},
        {"{\"id\":10,\"cmd\":5}", "request has no cmd string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char error[256];
        const char *why = s_error_of (s_answer_to (f, cases[i].body), error, sizeof error);
        assert_non_null (why);
        if (strncmp (why, cases[i].error, strlen (cases[i].error)) != 0)
            fail_msg ("%s: answered \"%s\", not \"%s...\"", cases[i].body, why, cases[i].error);
    }
}

/*  CPU time this process (every thread) used so far, in ms. */
static int64_t
s_cpu_ms (void)
{
    struct rusage ru;
    assert_int_equal (getrusage (RUSAGE_SELF, &ru), 0);
    return (int64_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/*  No descriptor left for accept (EMFILE): the listener rests instead of
 *  spinning (the loop took 55-80 % of a core), and once descriptors are
 *  free again the connections queued meanwhile are taken and answered. */
static void
test_accept_without_descriptors_does_not_spin (void **state)
{
    fixture_t *f = *state;
    enum { QUEUED = 5 };
    int fd[QUEUED];
    for (int i = 0; i < QUEUED; i++) {
        fd[i] = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true (fd[i] >= 0);
        f->fds[f->n_fds++] = fd[i];
    }
    struct rlimit was;
    assert_int_equal (getrlimit (RLIMIT_NOFILE, &was), 0);
    /*  The lowest free descriptor becomes the limit: none is left. */
    int lowest = dup (0);
    assert_true (lowest >= 0);
    close (lowest);
    struct rlimit none = {(rlim_t) lowest, was.rlim_max};
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &none), 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
    for (int i = 0; i < QUEUED; i++)
        if (connect (fd[i], (struct sockaddr *) &a, sizeof a) != 0) {
            setrlimit (RLIMIT_NOFILE, &was);
            fail_msg ("connect: %s", strerror (errno));
        }
    usleep (200 * 1000); /* the server tried */
    int64_t cpu = s_cpu_ms ();
    usleep (1000 * 1000);
    cpu = s_cpu_ms () - cpu;
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &was), 0);
    fprintf (stderr, "%lld ms of CPU in the second without descriptors\n", (long long) cpu);
    assert_true (cpu < 100); /* spinning, it took a third of a core or more */
    for (int i = 0; i < QUEUED; i++) {
        s_ask (fd[i], i, "ping");
        json_t *j = s_answer (fd[i]);
        assert_non_null (j);
        json_decref (j);
    }
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_flood_of_requests_does_not_hold_the_loop, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_requests_before_a_half_close_are_answered, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_later_answer_after_a_half_close_arrives, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_an_unfinished_request_at_a_half_close_is_dropped,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_full_table_is_refused_with_a_reason, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_client_opening_connections_keeps_the_operator_in,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_warnings_about_connections_are_budgeted, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_long_request_id_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_answer_too_large_is_an_error, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_malformed_request_is_told_what_is_wrong, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_accept_without_descriptors_does_not_spin, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
