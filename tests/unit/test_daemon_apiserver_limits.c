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

#include "apiserver_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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
    apifix_t *f = *state;
    uint8_t *flood = malloc (FLOOD_BYTES + 128);
    assert_non_null (flood);
    size_t len = 0;
    long n = 0;
    while (len < FLOOD_BYTES)
        len += apifix_frame (flood + len, n++, "work");
    int flooder = apifix_connect (f);
    sender_t sender = {flooder, flood, len};
    pthread_t th;
    assert_int_equal (pthread_create (&th, NULL, s_sender, &sender), 0);
    /*  Once the server is busy with the flood. */
    for (int64_t end = zclock_mono () + APIFIX_WAIT_MS;
         __atomic_load_n (&f->worked, __ATOMIC_SEQ_CST) < 500 && zclock_mono () < end;)
        usleep (1000);
    int other = apifix_connect (f);
    int64_t t0 = zclock_mono ();
    apifix_ask (other, 1, "ping");
    json_t *j = apifix_answer (other);
    int64_t waited = zclock_mono () - t0;
    long worked = __atomic_load_n (&f->worked, __ATOMIC_SEQ_CST);
    assert_non_null (j);
    json_decref (j);
    fprintf (stderr, "the other caller waited %lld ms; %ld of %ld requests of the flood handled\n",
             (long long) waited, worked, n);
    assert_true (worked < n); /* answered in the middle of the flood */
    assert_true (waited < 1000);
    for (long i = 0; i < n; i++) {
        j = apifix_answer (flooder);
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
s_pause_server (apifix_t *f)
{
    int sleeper = apifix_connect (f);
    apifix_ask (sleeper, -1, "sleep");
    for (int64_t end = zclock_mono () + APIFIX_WAIT_MS;
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
    apifix_t *f = *state;
    enum { N = 100 };
    uint8_t batch[N * 128];
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += apifix_frame (batch + len, i, "ping");
    int fd = apifix_connect (f);
    int sleeper = s_pause_server (f);
    apifix_send_all (fd, batch, len);
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    for (int i = 0; i < N; i++) {
        json_t *j = apifix_answer (fd);
        if (!j)
            fail_msg ("request %d of %d was not answered", i, N);
        json_int_t id = json_integer_value (json_object_get (j, "id"));
        json_decref (j);
        assert_int_equal (id, i);
    }
    assert_true (apifix_eof (fd));
    json_decref (apifix_answer (sleeper));
}

/*  A request answered only after the batch is committed (the node's group
 *  commit, as for signal.submit), sent with the end of the requests: its
 *  answer still arrives.  Without it a client resends and duplicates. */
static void
test_a_later_answer_after_a_half_close_arrives (void **state)
{
    apifix_t *f = *state;
    int fd = apifix_connect (f);
    int sleeper = s_pause_server (f);
    apifix_ask (fd, 7, "later");
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    json_t *j = apifix_answer (fd);
    assert_non_null (j);
    assert_int_equal (json_integer_value (json_object_get (j, "id")), 7);
    assert_true (json_is_true (json_object_get (json_object_get (j, "result"), "committed")));
    json_decref (j);
    assert_true (apifix_eof (fd));
    json_decref (apifix_answer (sleeper));
}

/*  A whole request and part of another, then the end: the whole one is
 *  answered, the part dropped, and the server closes. */
static void
test_an_unfinished_request_at_a_half_close_is_dropped (void **state)
{
    apifix_t *f = *state;
    uint8_t batch[256];
    size_t len = apifix_frame (batch, 1, "ping");
    len += apifix_frame (batch + len, 2, "ping") - 5; /* its last 5 bytes never sent */
    int fd = apifix_connect (f);
    int sleeper = s_pause_server (f);
    apifix_send_all (fd, batch, len);
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    json_t *j = apifix_answer (fd);
    assert_non_null (j);
    assert_int_equal (json_integer_value (json_object_get (j, "id")), 1);
    json_decref (j);
    assert_true (apifix_eof (fd));
    json_decref (apifix_answer (sleeper));
}

/* ---- 3. All slots taken -------------------------------------------- */

/*  Every slot holds a request waiting for its answer (a "wait"
 *  submission while the uitvoerder is down): a new caller is told so in
 *  an answer, not closed without a word. */
static void
test_a_full_table_is_refused_with_a_reason (void **state)
{
    apifix_t *f = *state;
    for (int i = 0; i < API_MAX_CONNS; i++)
        apifix_ask (apifix_connect (f), i, "hold");
    assert_true (apifix_held (f, API_MAX_CONNS));
    /*  The caller sends its request after the server refused it (as
     *  the CLI may: it connects, then sends): the send still goes, and
     *  the answer is there to read. */
    int fd = apifix_connect (f);
    usleep (300 * 1000);
    assert_true (apifix_try_ask (fd, 1, "ping"));
    char error[512];
    const char *why = apifix_error_of (apifix_answer (fd), error, sizeof error);
    assert_non_null (why); /* an answer, not a silent close */
    fprintf (stderr, "refused: %s\n", why);
    assert_non_null (strstr (why, "local API is full"));
    assert_non_null (strstr (why, "256"));
    assert_true (apifix_eof (fd));
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
    apifix_t *f = *state;
    if (geteuid () != 0)
        skip ();
    assert_int_equal (chmod (f->dir, 0755), 0);
    assert_int_equal (chmod (f->path, 0666), 0);
    int early = apifix_connect (f); /* the operator's, its request not sent yet */
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
    if (apifix_try_ask (early, 1, "ping"))
        why = apifix_error_of (apifix_answer (early), error, sizeof error);
    assert_non_null (why); /* not closed before its request */
    assert_string_equal (why, "");
    int fd = apifix_connect (f); /* while the child's are open */
    why = apifix_try_ask (fd, 2, "ping") ? apifix_error_of (apifix_answer (fd), error, sizeof error)
                                         : NULL;
    assert_non_null (why);
    assert_string_equal (why, "");
}

/*  What a caller of uid 65534 (nobody), in a child process, is answered
 *  to a ping on a new connection: 0 ok, 1 refused as full, 2 else.  Said
 *  through a pipe, not the exit status (valgrind's is its own). */
static int
s_ping_as_nobody (apifix_t *f)
{
    int said[2];
    assert_int_equal (pipe (said), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (said[0]);
        char what = '2';
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
        int fd = -1;
        json_t *j = NULL;
        if (setgroups (0, NULL) == 0 && setgid (65534) == 0 && setuid (65534) == 0 &&
            (fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
            connect (fd, (struct sockaddr *) &a, sizeof a) == 0 && apifix_try_ask (fd, 1, "ping"))
            j = apifix_answer (fd);
        const char *e = j ? json_string_value (json_object_get (j, "error")) : NULL;
        if (j && json_is_true (json_object_get (j, "ok")))
            what = '0';
        else if (e && strstr (e, "local API is full"))
            what = '1';
        (void) !write (said[1], &what, 1);
        _exit (0);
    }
    f->child = child;
    close (said[1]);
    char what = 0;
    ssize_t got = read (said[0], &what, 1);
    close (said[0]);
    waitpid (child, NULL, 0);
    f->child = 0;
    assert_int_equal (got, 1);
    return what - '0';
}

/*  The slots for callers other than the operator all wait for answers:
 *  a member of access/admin-group (here the child as uid 65534, by the
 *  primary gid 65534 its connection has) gets a reserved slot as root
 *  and the daemon's user do, and is answered; without the setting it is
 *  refused.  Root only. */
static void
test_the_admin_group_gets_the_reserved_slots (void **state)
{
    apifix_t *f = *state;
    if (geteuid () != 0)
        skip ();
    assert_int_equal (chmod (f->dir, 0755), 0);
    assert_int_equal (chmod (f->path, 0666), 0);
    for (int i = 0; i < API_MAX_CONNS - 16; i++)
        apifix_ask (apifix_connect (f), i, "hold");
    assert_true (apifix_held (f, API_MAX_CONNS - 16));
    assert_int_equal (s_ping_as_nobody (f), 1);
    char args[96];
    snprintf (args, sizeof args, "{\"gid\":%u}", 65534u);
    uint8_t req[256];
    int fd = apifix_connect (f); /* root's: a reserved slot */
    apifix_send_all (fd, req, apifix_frame_args (req, 1, "admin-group", args));
    char error[512];
    const char *why = apifix_error_of (apifix_answer (fd), error, sizeof error);
    assert_non_null (why);
    assert_string_equal (why, "");
    apifix_close (f, fd);
    assert_int_equal (s_ping_as_nobody (f), 0);
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
s_connections_below (apifix_t *f, size_t n)
{
    for (int64_t end = zclock_mono () + APIFIX_WAIT_MS; zclock_mono () < end; usleep (10000))
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
    apifix_t *f = *state;
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
            apifix_connect (f);
        assert_true (s_connections_below (f, API_MAX_CONNS));
        while (f->n_fds > 0)
            close (f->fds[--f->n_fds]);
    }
    for (int i = 0; i < 200; i++) {
        int fd = apifix_connect (f);
        apifix_send_all (fd, "\xff\xff\xff\xff", 4);
        assert_true (apifix_eof (fd));
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
s_answer_to (apifix_t *f, const char *body)
{
    size_t len = strlen (body);
    uint8_t *frame = malloc (len + 4);
    assert_non_null (frame);
    int fd = apifix_connect (f);
    apifix_send_all (fd, frame, apifix_frame_of (frame, body, len));
    free (frame);
    return apifix_answer (fd);
}

/*  An id longer than API_MAX_ID bytes (kept until the answer, which a
 *  "wait" may hold for long) is refused with an error naming it; one of
 *  API_MAX_ID is taken. */
static void
test_a_long_request_id_is_refused (void **state)
{
    apifix_t *f = *state;
    char body[API_MAX_ID + 64], error[256];
    snprintf (body, sizeof body, "{\"id\":\"%0*d\",\"cmd\":\"hold\"}", API_MAX_ID - 1, 0);
    json_t *j = s_answer_to (f, body);
    const char *why = apifix_error_of (j, error, sizeof error);
    assert_non_null (why);
    fprintf (stderr, "%s\n", why);
    assert_non_null (strstr (why, "id is 257 bytes"));
    assert_int_equal (__atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST), 0);
    snprintf (body, sizeof body, "{\"id\":\"%0*d\",\"cmd\":\"ping\"}", API_MAX_ID - 2, 0);
    why = apifix_error_of (s_answer_to (f, body), error, sizeof error);
    assert_non_null (why);
    assert_string_equal (why, "");
}

/*  An answer larger than a client must take (16 MiB) is replaced by an
 *  error that says so; the connection stays open and usable. */
static void
test_an_answer_too_large_is_an_error (void **state)
{
    apifix_t *f = *state;
    int fd = apifix_connect (f);
    apifix_ask (fd, 1, "huge");
    char error[256];
    const char *why = apifix_error_of (apifix_answer (fd), error, sizeof error);
    assert_non_null (why);
    fprintf (stderr, "%s\n", why);
    assert_non_null (strstr (why, "answer too large ("));
    assert_non_null (strstr (why, "limit 16 MiB"));
    apifix_ask (fd, 2, "ping");
    why = apifix_error_of (apifix_answer (fd), error, sizeof error);
    assert_non_null (why);
    assert_string_equal (why, "");
}

/*  What is wrong with a request is named: jansson's reason and where, a
 *  cmd too long, not "not a JSON object" or "no cmd string" for all. */
static void
test_a_malformed_request_is_told_what_is_wrong (void **state)
{
    apifix_t *f = *state;
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
        const char *why = apifix_error_of (s_answer_to (f, cases[i].body), error, sizeof error);
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
    apifix_t *f = *state;
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
        apifix_ask (fd[i], i, "ping");
        json_t *j = apifix_answer (fd[i]);
        assert_non_null (j);
        json_decref (j);
    }
}

/* ---- 6. Answers waited for ------------------------------------------- */

static bool
s_dropped (apifix_t *f, const void *arg)
{
    return __atomic_load_n (&f->dropped, __ATOMIC_SEQ_CST) >= *(const size_t *) arg;
}

/*  Requests with wait, each held for its receipt (never: the uitvoerder
 *  is away), then the client closes: the callers kept for them are let
 *  go, and they count no more. */
static void
test_the_waits_of_a_closed_connection_are_let_go (void **state)
{
    apifix_t *f = *state;
    enum { N = 100 };
    int fd = apifix_connect (f);
    uint8_t req[256];
    for (int i = 0; i < N; i++)
        apifix_send_all (fd, req, apifix_frame_args (req, i, "hold", "{\"wait\":true}"));
    int other = apifix_connect (f); /* waits too, and stays */
    apifix_send_all (other, req, apifix_frame_args (req, 0, "hold", "{\"wait\":true}"));
    assert_true (apifix_held (f, N + 1));
    assert_int_equal (apifix_count (f, "waits"), N + 1);
    apifix_close (f, fd);
    size_t n = N;
    assert_true (apifix_eventually (s_dropped, f, &n));
    assert_int_equal (__atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST), 1);
    assert_int_equal (apifix_count (f, "waits"), 1);
    /*  The other's wait is still answered in time (it is still held). */
    assert_false (apifix_closed_by_server (other));
}

/*  The same after a half-close first (socat, `nc -N`): the client shuts
 *  its writing side, waits a while, then closes altogether; its waits
 *  are let go too, and the server holds no connection for it. */
static void
test_the_waits_of_a_half_closed_then_closed_connection_are_let_go (void **state)
{
    apifix_t *f = *state;
    enum { N = 10 };
    int fd = apifix_connect (f);
    uint8_t req[256];
    for (int i = 0; i < N; i++)
        apifix_send_all (fd, req, apifix_frame_args (req, i, "hold", "{\"wait\":true}"));
    assert_true (apifix_held (f, N));
    assert_int_equal (shutdown (fd, SHUT_WR), 0);
    assert_int_equal (apifix_count (f, "waits"), N);
    apifix_close (f, fd);
    size_t n = N;
    assert_true (apifix_eventually (s_dropped, f, &n));
    assert_int_equal (apifix_count (f, "waits"), 0);
    assert_int_equal (apifix_count (f, "connections"), 1); /* the count's own */
}

/*  Several connections with waits closed at once: all their callers are
 *  let go (the keeper told of them together, in ascending order), and
 *  the others' stay. */
static void
test_the_waits_of_many_closed_connections_are_let_go (void **state)
{
    apifix_t *f = *state;
    enum { CONNS = 8, EACH = 3 };
    int fds[CONNS];
    uint8_t req[256];
    for (int i = 0; i < CONNS; i++) {
        fds[i] = apifix_connect (f);
        for (int k = 0; k < EACH; k++)
            apifix_send_all (fds[i], req, apifix_frame_args (req, k, "hold", "{\"wait\":true}"));
    }
    int other = apifix_connect (f);
    apifix_send_all (other, req, apifix_frame_args (req, 0, "hold", "{\"wait\":true}"));
    assert_true (apifix_held (f, CONNS * EACH + 1));
    for (int i = CONNS - 1; i >= 0; i--)
        apifix_close (f, fds[i]);
    size_t n = CONNS * EACH;
    assert_true (apifix_eventually (s_dropped, f, &n));
    assert_int_equal (__atomic_load_n (&f->dropped, __ATOMIC_SEQ_CST), CONNS * EACH);
    assert_int_equal (__atomic_load_n (&f->closed_unsorted, __ATOMIC_SEQ_CST), 0);
    assert_int_equal (apifix_count (f, "waits"), 1);
    assert_false (apifix_closed_by_server (other));
}

/*  Binary submissions of 1,024 signals with wait count one per signal:
 *  16 of them fill one connection's API_MAX_WAITS_CONN, and a further
 *  wait on it is refused with why; without wait it is served, and
 *  another connection may still wait. */
static void
test_the_waits_of_one_connection_are_capped (void **state)
{
    apifix_t *f = *state;
    enum { SIGNALS = 1024 };
    assert_int_equal (API_MAX_WAITS_CONN % SIGNALS, 0);
    int fd = apifix_connect (f);
    uint8_t *bin;
    size_t len = apifix_binary (&bin, 1, SIGNALS, true);
    for (int i = 0; i < API_MAX_WAITS_CONN / SIGNALS; i++)
        if (send (fd, bin, len, MSG_NOSIGNAL) != (ssize_t) len) {
            free (bin);
            fail_msg ("submission %d not sent", i);
        }
    free (bin);
    assert_true (apifix_held (f, API_MAX_WAITS_CONN / SIGNALS));
    assert_int_equal (apifix_count (f, "waits"), API_MAX_WAITS_CONN);
    uint8_t req[256];
    apifix_send_all (fd, req, apifix_frame_args (req, 7, "hold", "{\"wait\":true}"));
    char error[512];
    const char *why = apifix_error_of (apifix_answer (fd), error, sizeof error);
    assert_non_null (why);
    fprintf (stderr, "%s\n", why);
    assert_non_null (strstr (why, "this connection already waits for 16384 answers"));
    assert_non_null (strstr (why, "at most 16384 on one connection; nothing of it was done"));
    why = apifix_error_of (apifix_call (fd, 8, "ping"), error, sizeof error);
    assert_non_null (why);
    assert_string_equal (why, "");
    int other = apifix_connect (f);
    apifix_send_all (other, req, apifix_frame_args (req, 9, "hold", "{\"wait\":true}"));
    assert_true (apifix_held (f, API_MAX_WAITS_CONN / SIGNALS + 1));
    assert_int_equal (apifix_count (f, "waits"), API_MAX_WAITS_CONN + 1);
}

/*  Four connections fill API_MAX_WAITS: a wait on a fifth is refused
 *  with why; once one of the four closes, it is taken. */
static void
test_the_waits_of_all_connections_are_capped (void **state)
{
    apifix_t *f = *state;
    enum { SIGNALS = 1024, FULL = API_MAX_WAITS / API_MAX_WAITS_CONN };
    uint8_t *bin;
    size_t len = apifix_binary (&bin, 1, SIGNALS, true);
    int fd[FULL];
    for (int k = 0; k < FULL; k++) {
        fd[k] = apifix_connect (f);
        for (int i = 0; i < API_MAX_WAITS_CONN / SIGNALS; i++)
            if (send (fd[k], bin, len, MSG_NOSIGNAL) != (ssize_t) len) {
                free (bin);
                fail_msg ("submission %d of connection %d not sent", i, k);
            }
    }
    free (bin);
    assert_true (apifix_held (f, FULL * (API_MAX_WAITS_CONN / SIGNALS)));
    assert_int_equal (apifix_count (f, "waits"), API_MAX_WAITS);
    int late = apifix_connect (f);
    uint8_t req[256];
    apifix_send_all (late, req, apifix_frame_args (req, 1, "hold", "{\"wait\":true}"));
    char error[512];
    const char *why = apifix_error_of (apifix_answer (late), error, sizeof error);
    assert_non_null (why);
    fprintf (stderr, "%s\n", why);
    assert_non_null (strstr (why, "already holds 65536 answers waited for by all its callers"));
    assert_non_null (strstr (why, "at most 65536; nothing of it was done"));
    apifix_close (f, fd[0]);
    size_t n = API_MAX_WAITS_CONN / SIGNALS;
    assert_true (apifix_eventually (s_dropped, f, &n));
    apifix_send_all (late, req, apifix_frame_args (req, 2, "hold", "{\"wait\":true}"));
    assert_true (apifix_held (f, (FULL - 1) * (API_MAX_WAITS_CONN / SIGNALS) + 1));
    assert_int_equal (apifix_count (f, "waits"), API_MAX_WAITS - API_MAX_WAITS_CONN + 1);
}

/* ---- 7. A stop ------------------------------------------------------- */

/*  The server stops while a caller waits for eight answers: each is
 *  answered then (a node's "queued"), 8 MiB together, far more than the
 *  socket holds, and all of it arrives before the close - not the first
 *  few hundred KiB of it. */
static void
test_the_answers_at_a_stop_all_arrive (void **state)
{
    apifix_t *f = *state;
    enum { N = 8 };
    int fd = apifix_connect (f);
    for (int i = 0; i < N; i++)
        apifix_ask (fd, i, "hold");
    assert_true (apifix_held (f, N));
    f->answer_at_stop = true;
    f->finish_ms = APIFIX_WAIT_MS;
    apifix_stop_begin (f);
    for (int i = 0; i < N; i++) {
        json_t *j = apifix_answer (fd);
        if (!j)
            fail_msg ("answer %d of %d cut off", i, N);
        json_t *r = json_object_get (j, "result");
        assert_string_equal (json_string_value (json_object_get (r, "state")), "queued");
        assert_int_equal (json_string_length (json_object_get (r, "x")), APIFIX_BIG);
        json_decref (j);
    }
    assert_true (apifix_eof (fd));
    apifix_stop_end (f);
}

/*  A caller that does not read keeps a stop no longer than its bound. */
static void
test_a_stop_waits_for_no_caller_that_does_not_read (void **state)
{
    apifix_t *f = *state;
    int fd = apifix_connect (f);
    apifix_ask (fd, 1, "hold");
    assert_true (apifix_held (f, 1));
    f->answer_at_stop = true;
    f->finish_ms = 300;
    int64_t t0 = zclock_mono ();
    apifix_stop_begin (f);
    apifix_stop_end (f);
    int64_t took = zclock_mono () - t0;
    fprintf (stderr, "the stop took %lld ms\n", (long long) took);
    assert_true (took >= 250);
    assert_true (took < APIFIX_WAIT_MS);
    assert_true (apifix_closed_by_server (fd));
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_flood_of_requests_does_not_hold_the_loop,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_requests_before_a_half_close_are_answered,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_a_later_answer_after_a_half_close_arrives,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_an_unfinished_request_at_a_half_close_is_dropped,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_a_full_table_is_refused_with_a_reason, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_a_client_opening_connections_keeps_the_operator_in,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_the_admin_group_gets_the_reserved_slots, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_warnings_about_connections_are_budgeted, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_a_long_request_id_is_refused, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_an_answer_too_large_is_an_error, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_a_malformed_request_is_told_what_is_wrong,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_accept_without_descriptors_does_not_spin,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_the_waits_of_a_closed_connection_are_let_go,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_waits_of_a_half_closed_then_closed_connection_are_let_go, apifix_setup,
            apifix_teardown),
        cmocka_unit_test_setup_teardown (test_the_waits_of_many_closed_connections_are_let_go,
                                         apifix_setup, apifix_teardown),
        cmocka_unit_test_setup_teardown (test_the_waits_of_one_connection_are_capped, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_the_waits_of_all_connections_are_capped, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_the_answers_at_a_stop_all_arrive, apifix_setup,
                                         apifix_teardown),
        cmocka_unit_test_setup_teardown (test_a_stop_waits_for_no_caller_that_does_not_read,
                                         apifix_setup, apifix_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
