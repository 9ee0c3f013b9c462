/*  The local API server's test fixture (apiserver_fixture.h).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apiserver_fixture.h"
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/*  Busy for about us microseconds (a request that costs the loop). */
static void
s_busy (int us)
{
    for (int64_t end = (int64_t) kt_mono_us () + us; (int64_t) kt_mono_us () < end;)
        ;
}

/*  The answer to a "big" with a small integer id counted. */
static void
s_answered (apifix_t *f, const api_caller_t *caller)
{
    json_int_t id = json_is_integer (caller->req_id) ? json_integer_value (caller->req_id) : -1;
    if (id >= 0 && id < APIFIX_COUNTED)
        __atomic_add_fetch (&f->answered[id], 1, __ATOMIC_SEQ_CST);
}

/*  caller kept, unanswered; false when there is no room. */
static bool
s_hold (apifix_t *f, const api_caller_t *caller)
{
    if (f->n_held == f->cap_held) {
        size_t cap = f->cap_held ? 2 * f->cap_held : 64;
        api_caller_t *grown = realloc (f->held, cap * sizeof *grown);
        if (!grown)
            return false;
        f->held = grown;
        f->cap_held = cap;
    }
    api_caller_copy (&f->held[f->n_held], caller);
    __atomic_add_fetch (&f->n_held, 1, __ATOMIC_SEQ_CST);
    return true;
}

/*  An answer of more than 16 MiB. */
static void
s_huge (apifix_t *f, const api_caller_t *caller)
{
    enum { HUGE = 17 * 1024 * 1024 };
    char *x = malloc (HUGE + 1);
    if (!x) {
        apiserver_reply_error (f->server, caller, "out of memory");
        return;
    }
    memset (x, 'x', HUGE);
    x[HUGE] = '\0';
    apiserver_reply_ok (f->server, caller, json_pack ("{s:s}", "x", x));
    free (x);
}

static void
s_handler (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    apifix_t *f = arg;
    (void) args;
    if (strcmp (cmd, "big") == 0) {
        apiserver_reply_ok (f->server, caller, json_pack ("{s:s}", "x", f->big));
        s_answered (f, caller);
    } else if (strcmp (cmd, "mid") == 0)
        apiserver_reply_ok (f->server, caller,
                            json_pack ("{s:s%}", "x", f->big, (size_t) APIFIX_MID));
    else if (strcmp (cmd, "huge") == 0)
        s_huge (f, caller);
    else if (strcmp (cmd, "work") == 0) {
        s_busy (100);
        __atomic_add_fetch (&f->worked, 1, __ATOMIC_SEQ_CST);
        apiserver_reply_ok (f->server, caller, NULL);
    } else if (strcmp (cmd, "sleep") == 0) {
        /*  The loop busy while a test makes a client's bytes arrive
         *  together. */
        __atomic_store_n (&f->sleeping, 1, __ATOMIC_SEQ_CST);
        usleep (300 * 1000);
        __atomic_store_n (&f->sleeping, 0, __ATOMIC_SEQ_CST);
        apiserver_reply_ok (f->server, caller, NULL);
    } else if (strcmp (cmd, "hold") == 0 || caller->binary) {
        if (!s_hold (f, caller))
            apiserver_reply_error (f->server, caller, "the fixture holds no more");
    } else if (strcmp (cmd, "later") == 0 && f->n_later < 64)
        api_caller_copy (&f->later[f->n_later++], caller);
    else if (strcmp (cmd, "count") == 0)
        apiserver_reply_ok (f->server, caller,
                            json_pack ("{s:I, s:I, s:I}", "memory",
                                       (json_int_t) apiserver_memory (f->server), "connections",
                                       (json_int_t) apiserver_connections (f->server), "waits",
                                       (json_int_t) apiserver_waits (f->server)));
    else if (strcmp (cmd, "admin-group") == 0) {
        json_t *gid = json_object_get (args, "gid");
        gid_t g = (gid_t) json_integer_value (gid);
        apiserver_set_admin_group (f->server, json_is_integer (gid) ? &g : NULL);
        apiserver_reply_ok (f->server, caller, NULL);
    } else if (f->hook && f->hook (f, caller, cmd, args))
        ;
    else
        apiserver_reply_ok (f->server, caller, NULL);
}

/*  The node's group commit, played: "later" is answered here. */
static void
s_flush (void *arg)
{
    apifix_t *f = arg;
    for (size_t i = 0; i < f->n_later; i++) {
        apiserver_reply_ok (f->server, &f->later[i], json_pack ("{s:b}", "committed", 1));
        api_caller_clear (&f->later[i]);
    }
    f->n_later = 0;
}

/*  Whether id is one of ids (n). */
static bool
s_one_of (uint64_t id, const uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/*  The held callers of connections conn_ids let go (api_closed_fn). */
static void
s_closed (void *arg, const uint64_t *conn_ids, size_t n_ids)
{
    apifix_t *f = arg;
    for (size_t i = 1; i < n_ids; i++)
        if (conn_ids[i - 1] >= conn_ids[i])
            __atomic_add_fetch (&f->closed_unsorted, 1, __ATOMIC_SEQ_CST);
    size_t kept = 0, n = __atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST);
    for (size_t i = 0; i < n; i++)
        if (s_one_of (f->held[i].conn_id, conn_ids, n_ids)) {
            api_caller_clear (&f->held[i]);
            __atomic_add_fetch (&f->dropped, 1, __ATOMIC_SEQ_CST);
        } else
            f->held[kept++] = f->held[i];
    __atomic_store_n (&f->n_held, kept, __ATOMIC_SEQ_CST);
}

/*  A node's stop, played (apifix_t.answer_at_stop). */
static void
s_stop_as_a_node (apifix_t *f)
{
    for (size_t i = 0; i < f->n_held; i++) {
        apiserver_reply_ok (f->server, &f->held[i],
                            json_pack ("{s:s, s:s}", "state", "queued", "x", f->big));
        api_caller_clear (&f->held[i]);
    }
    __atomic_store_n (&f->n_held, 0, __ATOMIC_SEQ_CST);
    apiserver_finish (f->server, f->finish_ms);
    apiserver_destroy (&f->server);
}

static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    apifix_t *f = arg;
    return __atomic_load_n (&f->stop, __ATOMIC_SEQ_CST) ? -1 : 0;
}

static void *
s_run (void *arg)
{
    apifix_t *f = arg;
    zloop_start (f->loop);
    if (f->answer_at_stop)
        s_stop_as_a_node (f);
    return NULL;
}

/*  Everything the fixture holds let go: its child killed, its clients
 *  closed, its server thread stopped and joined, then the server and its
 *  directory. */
static void
s_fixture_free (apifix_t *f)
{
    if (f->child > 0) {
        kill (f->child, SIGKILL);
        waitpid (f->child, NULL, 0);
    }
    for (size_t i = 0; i < f->n_fds; i++)
        close (f->fds[i]);
    apifix_stop_begin (f);
    apifix_stop_end (f);
    for (size_t i = 0; i < f->n_held; i++)
        api_caller_clear (&f->held[i]);
    free (f->held);
    for (size_t i = 0; i < f->n_later; i++)
        api_caller_clear (&f->later[i]);
    apiserver_destroy (&f->server);
    zloop_destroy (&f->loop);
    if (f->dir[0])
        testutil_rmtree (f->dir);
    free (f->big);
    free (f);
}

int
apifix_setup (void **state)
{
    apifix_t *f = calloc (1, sizeof *f);
    if (!f)
        return -1;
    f->big = malloc (APIFIX_BIG + 1);
    if (!f->big || testutil_tmpdir (f->dir, sizeof f->dir, "api") != 0) {
        fprintf (stderr, "setup: cannot make a scratch directory: %s\n", strerror (errno));
        f->dir[0] = '\0';
        s_fixture_free (f);
        return -1;
    }
    memset (f->big, 'x', APIFIX_BIG);
    f->big[APIFIX_BIG] = '\0';
    snprintf (f->path, sizeof f->path, "%s/api.sock", f->dir);
    f->loop = zloop_new ();
    kt_reason_t r;
    f->server = f->loop ? apiserver_new (f->loop, f->path, s_handler, s_flush, f, &r) : NULL;
    if (!f->server) {
        fprintf (stderr, "setup: no server: %s\n", f->loop ? r.text : "no zloop");
        s_fixture_free (f);
        return -1;
    }
    apiserver_on_closed (f->server, s_closed);
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

int
apifix_teardown (void **state)
{
    s_fixture_free (*state);
    return 0;
}

void
apifix_stop_begin (apifix_t *f)
{
    __atomic_store_n (&f->stop, 1, __ATOMIC_SEQ_CST);
}

void
apifix_stop_end (apifix_t *f)
{
    if (f->running)
        pthread_join (f->thread, NULL);
    f->running = false;
}

int
apifix_connect (apifix_t *f)
{
    assert_true (f->n_fds < APIFIX_FDS);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    f->fds[f->n_fds++] = fd; /* closed at the teardown if not before */
    assert_int_equal (connect (fd, (struct sockaddr *) &a, sizeof a), 0);
    return fd;
}

void
apifix_close (apifix_t *f, int fd)
{
    for (size_t i = 0; i < f->n_fds; i++)
        if (f->fds[i] == fd) {
            f->fds[i] = f->fds[--f->n_fds];
            break;
        }
    close (fd);
}

size_t
apifix_frame_of (uint8_t *buf, const char *body, size_t len)
{
    buf[0] = (uint8_t) (len >> 24);
    buf[1] = (uint8_t) (len >> 16);
    buf[2] = (uint8_t) (len >> 8);
    buf[3] = (uint8_t) len;
    memcpy (buf + 4, body, len);
    return len + 4;
}

size_t
apifix_frame (uint8_t *buf, long id, const char *cmd)
{
    char body[124];
    int n = id < 0 ? snprintf (body, sizeof body, "{\"cmd\":\"%s\"}", cmd)
                   : snprintf (body, sizeof body, "{\"id\":%ld,\"cmd\":\"%s\"}", id, cmd);
    return apifix_frame_of (buf, body, (size_t) n);
}

size_t
apifix_frame_args (uint8_t *buf, long id, const char *cmd, const char *args)
{
    char body[252];
    int n = snprintf (body, sizeof body, "{\"id\":%ld,\"cmd\":\"%s\",\"args\":%s}", id, cmd, args);
    return apifix_frame_of (buf, body, (size_t) n);
}

size_t
apifix_binary (uint8_t **buf, uint64_t id, size_t n, bool wait)
{
    Keten__ApiSubmit submit = KETEN__API_SUBMIT__INIT;
    ProtobufCBinaryData *signals = calloc (n, sizeof *signals);
    assert_non_null (signals);
    for (size_t i = 0; i < n; i++)
        signals[i] = (ProtobufCBinaryData){1, (uint8_t *) "x"};
    submit.id = id;
    submit.signals = signals;
    submit.n_signals = n;
    submit.wait = wait;
    size_t len = keten__api_submit__get_packed_size (&submit) + 1;
    *buf = malloc (len + 4);
    assert_non_null (*buf);
    (*buf)[0] = (uint8_t) (len >> 24);
    (*buf)[1] = (uint8_t) (len >> 16);
    (*buf)[2] = (uint8_t) (len >> 8);
    (*buf)[3] = (uint8_t) len;
    (*buf)[4] = API_BINARY;
    keten__api_submit__pack (&submit, *buf + 5);
    free (signals);
    return len + 4;
}

void
apifix_send_all (int fd, const void *data, size_t len)
{
    assert_int_equal (send (fd, data, len, MSG_NOSIGNAL), (ssize_t) len);
}

bool
apifix_try_ask (int fd, long id, const char *cmd)
{
    uint8_t req[128];
    size_t n = apifix_frame (req, id, cmd);
    return send (fd, req, n, MSG_NOSIGNAL) == (ssize_t) n;
}

void
apifix_ask (int fd, long id, const char *cmd)
{
    assert_true (apifix_try_ask (fd, id, cmd));
}

bool
apifix_read_all (int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll (&p, 1, APIFIX_WAIT_MS) != 1) {
            fprintf (stderr, "no answer within %d ms\n", APIFIX_WAIT_MS);
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

json_t *
apifix_answer (int fd)
{
    uint8_t h[4];
    if (!apifix_read_all (fd, h, 4))
        return NULL;
    size_t len = (size_t) h[0] << 24 | (size_t) h[1] << 16 | (size_t) h[2] << 8 | h[3];
    char *text = malloc (len ? len : 1);
    assert_non_null (text);
    json_t *j = apifix_read_all (fd, text, len) ? json_loadb (text, len, 0, NULL) : NULL;
    free (text);
    return j;
}

json_t *
apifix_call (int fd, long id, const char *cmd)
{
    apifix_ask (fd, id, cmd);
    return apifix_answer (fd);
}

const char *
apifix_error_of (json_t *j, char *buf, size_t size)
{
    if (!j)
        return NULL;
    json_t *e = json_object_get (j, "error");
    snprintf (buf, size, "%s", json_is_string (e) ? json_string_value (e) : "");
    json_decref (j);
    return buf;
}

bool
apifix_eof (int fd)
{
    char b;
    struct pollfd p = {fd, POLLIN, 0};
    return poll (&p, 1, APIFIX_WAIT_MS) == 1 && recv (fd, &b, 1, MSG_DONTWAIT) == 0;
}

bool
apifix_closed_by_server (int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll (&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

bool
apifix_eventually (bool (*cond) (apifix_t *, const void *), apifix_t *f, const void *arg)
{
    for (int64_t end = zclock_mono () + APIFIX_WAIT_MS; !cond (f, arg);) {
        if (zclock_mono () >= end)
            return false;
        usleep (10000);
    }
    return true;
}

static bool
s_at_least_held (apifix_t *f, const void *arg)
{
    return __atomic_load_n (&f->n_held, __ATOMIC_SEQ_CST) >= *(const size_t *) arg;
}

bool
apifix_held (apifix_t *f, size_t n)
{
    return apifix_eventually (s_at_least_held, f, &n);
}

long long
apifix_count (apifix_t *f, const char *what)
{
    int fd = apifix_connect (f);
    json_t *j = apifix_call (fd, -1, "count");
    assert_non_null (j);
    json_t *v = json_object_get (json_object_get (j, "result"), what);
    assert_true (json_is_integer (v));
    long long n = (long long) json_integer_value (v);
    json_decref (j);
    apifix_close (f, fd);
    return n;
}
