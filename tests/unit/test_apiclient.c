/*  apiclient: the local API client keeps to the framing of docs/API.md
 *  whatever the other end does.  Each test starts a small scripted server
 *  in a forked child on a Unix socket in a temp dir; the child checks what
 *  it receives and its exit status tells the parent.  Waits are bounded by
 *  the client's own timeouts and an alarm in the child; there are no
 *  sleeps.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*  cmocka.h needs the headers above first. */
#include <cmocka.h>

#include "apiclient.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024 * 1024)

typedef struct {
    char dir[64];
    char path[100];
    pid_t child;
    int go[2]; /* parent -> child: "carry on" for ordered scripts */
    apiclient_t *client;
} fixture_t;

/*  A server script runs in the child on the accepted connection; returns 0
 *  when everything it saw was as expected. */
typedef int (server_fn) (int fd, int go_fd);

/* ---- child side: blocking helpers ---------------------------------------- */

static int
s_read_full (int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read (fd, (char *) buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    return 0;
}

static int
s_write_all (int fd, const void *buf, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send (fd, (const char *) buf + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        sent += (size_t) n;
    }
    return 0;
}

static void
s_put_header (uint8_t header[4], size_t len)
{
    header[0] = (uint8_t) (len >> 24);
    header[1] = (uint8_t) (len >> 16);
    header[2] = (uint8_t) (len >> 8);
    header[3] = (uint8_t) len;
}

/*  Read one request frame as the daemon would. */
static json_t *
s_read_frame (int fd)
{
    uint8_t header[4];
    if (s_read_full (fd, header, 4) != 0)
        return NULL;
    size_t len =
        (size_t) header[0] << 24 | (size_t) header[1] << 16 | (size_t) header[2] << 8 | header[3];
    if (len == 0 || len > MIB)
        return NULL;
    char *body = malloc (len);
    if (!body || s_read_full (fd, body, len) != 0) {
        free (body);
        return NULL;
    }
    json_t *obj = json_loadb (body, len, 0, NULL);
    free (body);
    return obj;
}

static int
s_write_text_frame (int fd, const char *text, size_t len)
{
    uint8_t header[4];
    s_put_header (header, len);
    return s_write_all (fd, header, 4) == 0 && s_write_all (fd, text, len) == 0 ? 0 : -1;
}

/*  Send obj (stolen) as one frame, one byte per write when slowly: the
 *  client must put a frame together from partial reads. */
static int
s_write_frame (int fd, json_t *obj, bool slowly)
{
    char *text = json_dumps (obj, JSON_COMPACT);
    json_decref (obj);
    if (!text)
        return -1;
    size_t len = strlen (text);
    int rc = 0;
    if (slowly) {
        uint8_t header[4];
        s_put_header (header, len);
        for (size_t i = 0; i < 4 && rc == 0; i++)
            rc = s_write_all (fd, header + i, 1);
        for (size_t i = 0; i < len && rc == 0; i++)
            rc = s_write_all (fd, text + i, 1);
    } else
        rc = s_write_text_frame (fd, text, len);
    free (text);
    return rc;
}

/*  Wait until the client closes its end (bounded by the child's alarm).
 *  A client that closes with our bytes still unread shows as a reset. */
static int
s_wait_eof (int fd)
{
    char c;
    for (;;) {
        ssize_t n = read (fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        return n == 0 || (n < 0 && errno == ECONNRESET) ? 0 : -1;
    }
}

static json_int_t
s_request_id (json_t *request)
{
    return json_integer_value (json_object_get (request, "id"));
}

/* ---- fixture ------------------------------------------------------------- */

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    assert_non_null (f);
    snprintf (f->dir, sizeof f->dir, "/tmp/keten-apiclient.XXXXXX");
    assert_non_null (mkdtemp (f->dir));
    snprintf (f->path, sizeof f->path, "%s/ketend.sock", f->dir);
    f->child = -1;
    f->go[0] = f->go[1] = -1;
    *state = f;
    return 0;
}

/*  Listen before forking, so the client can connect at once. */
static void
s_server_start (fixture_t *f, server_fn *script)
{
    int lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (lfd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", f->path);
    assert_int_equal (bind (lfd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (listen (lfd, 1), 0);
    assert_int_equal (pipe (f->go), 0);
    fflush (NULL);
    f->child = fork ();
    assert_true (f->child >= 0);
    if (f->child == 0) {
        /*  A script that hangs must not hang the test run. */
        alarm (10);
        close (f->go[1]);
        int fd = accept (lfd, NULL, NULL);
        int rc = fd >= 0 ? script (fd, f->go[0]) : -1;
        if (fd >= 0)
            close (fd);
        _exit (rc == 0 ? 0 : 3);
    }
    close (lfd);
    close (f->go[0]);
    f->go[0] = -1;
}

/*  The child's verdict: 0 when its script saw what it expected. */
static int
s_server_wait (fixture_t *f)
{
    apiclient_destroy (&f->client);
    if (f->go[1] >= 0) {
        close (f->go[1]);
        f->go[1] = -1;
    }
    if (f->child <= 0)
        return 0;
    int status = 0;
    pid_t pid;
    do
        pid = waitpid (f->child, &status, 0);
    while (pid < 0 && errno == EINTR);
    f->child = -1;
    return pid > 0 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_server_wait (f);
    unlink (f->path);
    rmdir (f->dir);
    free (f);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

/*  Answers an earlier (abandoned) id first, slowly, then the real one,
 *  echoing what it got. */
static int
s_script_echo (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req || !json_is_string (json_object_get (req, "cmd")))
        return -1;
    json_int_t id = s_request_id (req);
    json_t *stale =
        json_pack ("{s:I, s:b, s:{s:b}}", "id", id + 1000, "ok", 1, "result", "stale", 1);
    json_t *echo = json_pack ("{s:I, s:b, s:{s:O, s:O*}}", "id", id, "ok", 1, "result", "cmd",
                              json_object_get (req, "cmd"), "args", json_object_get (req, "args"));
    json_decref (req);
    if (s_write_frame (fd, stale, true) != 0 || s_write_frame (fd, echo, false) != 0)
        return -1;
    return s_wait_eof (fd);
}

static void
test_call_returns_the_result_with_the_matching_id (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_echo);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    json_t *result =
        apiclient_call (f->client, "signal.list", json_pack ("{s:i}", "limit", 5), 2000, &r);
    assert_non_null (result);
    assert_null (json_object_get (result, "stale"));
    assert_string_equal (json_string_value (json_object_get (result, "cmd")), "signal.list");
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (result, "args"), "limit")), 5);
    json_decref (result);
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_refuse (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    json_t *resp = json_pack ("{s:I, s:b, s:s}", "id", s_request_id (req), "ok", 0, "error",
                              "only kernpartijen submit signals (art. 7.1)\x1b[2J");
    json_decref (req);
    if (s_write_frame (fd, resp, false) != 0)
        return -1;
    return s_wait_eof (fd);
}

static void
test_daemon_error_becomes_the_reason_without_control_characters (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_refuse);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_null (apiclient_call (f->client, "signal.submit", NULL, 2000, &r));
    assert_string_equal (r.text, "only kernpartijen submit signals (art. 7.1)?[2J");
    assert_false (apiclient_call_unanswered (f->client));
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_oversize (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    json_decref (req);
    /*  Claims one byte more than an answer may have (16 MiB) and sends a
     *  little of it, in one write: the client may close as soon as it has
     *  the header. */
    uint8_t frame[11];
    s_put_header (frame, 16 * MIB + 1);
    memcpy (frame + 4, "{\"id\":1", 7);
    if (s_write_all (fd, frame, sizeof frame) != 0)
        return -1;
    return s_wait_eof (fd);
}

static void
test_answer_over_sixteen_mib_is_refused_and_the_connection_closed (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_oversize);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_null (apiclient_call (f->client, "status", NULL, 2000, &r));
    assert_non_null (strstr (r.text, "16777217 bytes"));
    assert_non_null (strstr (r.text, "limit"));
    /*  The stream is out of step: nothing more is read from it. */
    json_t *req = json_pack ("{s:i, s:s}", "id", 9, "cmd", "status");
    assert_int_equal (apiclient_send (f->client, req, &r), -1);
    json_decref (req);
    assert_null (apiclient_recv (f->client, 100, &r));
    assert_non_null (strstr (r.text, "limit"));
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_exactly_one_mib (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    char head[64];
    int n = snprintf (head, sizeof head, "{\"id\":%lld,\"ok\":true,\"result\":{\"pad\":\"",
                      (long long) s_request_id (req));
    json_decref (req);
    const char *tail = "\"}}";
    char *text = malloc (MIB);
    if (!text)
        return -1;
    memcpy (text, head, (size_t) n);
    memset (text + n, 'x', MIB - (size_t) n - strlen (tail));
    memcpy (text + MIB - strlen (tail), tail, strlen (tail));
    int rc = s_write_text_frame (fd, text, MIB);
    free (text);
    return rc == 0 ? s_wait_eof (fd) : -1;
}

static void
test_frame_of_exactly_one_mib_is_accepted (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_exactly_one_mib);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    json_t *result = apiclient_call (f->client, "status", NULL, 5000, &r);
    assert_non_null (result);
    assert_true (json_string_length (json_object_get (result, "pad")) > MIB - 64);
    json_decref (result);
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_answer_each (int fd, int go_fd)
{
    (void) go_fd;
    int answered = 0;
    json_t *req;
    while ((req = s_read_frame (fd))) {
        json_t *resp = json_pack ("{s:I, s:b, s:{}}", "id", s_request_id (req), "ok", 1, "result");
        json_decref (req);
        if (s_write_frame (fd, resp, false) != 0)
            return -1;
        answered++;
    }
    /*  Only the request that fits reached the server. */
    return answered == 1 ? 0 : -1;
}

static void
test_request_over_one_mib_is_refused_before_sending (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_answer_each);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    char *big = malloc (MIB + 1);
    assert_non_null (big);
    memset (big, 'x', MIB);
    big[MIB] = '\0';
    assert_null (
        apiclient_call (f->client, "signal.submit", json_pack ("{s:s}", "pad", big), 2000, &r));
    free (big);
    assert_non_null (strstr (r.text, "frame limit"));
    /*  Nothing was sent, so the connection is still good. */
    json_t *result = apiclient_call (f->client, "status", NULL, 2000, &r);
    assert_non_null (result);
    json_decref (result);
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_truncated (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    json_decref (req);
    uint8_t header[4];
    s_put_header (header, 100);
    /*  Closing (on return) after 10 of the 100 promised bytes. */
    return s_write_all (fd, header, 4) == 0 && s_write_all (fd, "{\"id\":1,\"o", 10) == 0 ? 0 : -1;
}

static void
test_server_closing_in_the_middle_of_a_frame_is_an_error (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_truncated);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_null (apiclient_call (f->client, "status", NULL, 2000, &r));
    assert_non_null (strstr (r.text, "middle of a frame"));
    assert_non_null (strstr (r.text, "14 of 104"));
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_close_without_answer (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    json_decref (req);
    return req ? 0 : -1;
}

static void
test_server_closing_before_answering_is_an_error (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_close_without_answer);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_null (apiclient_call (f->client, "status", NULL, 2000, &r));
    assert_non_null (strstr (r.text, "closed the connection"));
    assert_true (apiclient_call_unanswered (f->client));
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_silent (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    json_decref (req);
    return s_wait_eof (fd);
}

static void
test_call_gives_up_after_its_timeout (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_silent);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    uint64_t start = kt_mono_us ();
    assert_null (apiclient_call (f->client, "status", NULL, 200, &r));
    uint64_t elapsed_ms = (kt_mono_us () - start) / 1000;
    assert_true (elapsed_ms >= 200);
    assert_true (elapsed_ms < 2000);
    assert_non_null (strstr (r.text, "within 200 ms"));
    /*  The request went out: the caller must not assume nothing happened. */
    assert_true (apiclient_call_unanswered (f->client));
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_split_frame (int fd, int go_fd)
{
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    char text[128];
    int n = snprintf (text, sizeof text, "{\"id\":%lld,\"ok\":true,\"result\":{\"n\":42}}",
                      (long long) s_request_id (req));
    json_decref (req);
    uint8_t header[4];
    s_put_header (header, (size_t) n);
    size_t half = (size_t) n / 2;
    char go;
    /*  Half a frame, then wait for the client to time out on it. */
    if (s_write_all (fd, header, 4) != 0 || s_write_all (fd, text, half) != 0 ||
        s_read_full (go_fd, &go, 1) != 0 || s_write_all (fd, text + half, (size_t) n - half))
        return -1;
    return s_wait_eof (fd);
}

static void
test_timeout_inside_a_frame_keeps_the_bytes_already_read (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_split_frame);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    json_t *req = json_pack ("{s:i, s:s}", "id", 7, "cmd", "status");
    assert_int_equal (apiclient_send (f->client, req, &r), 0);
    json_decref (req);
    assert_null (apiclient_recv (f->client, 200, &r));
    assert_non_null (strstr (r.text, "within 200 ms"));
    assert_int_equal (write (f->go[1], "g", 1), 1);
    json_t *resp = apiclient_recv (f->client, 2000, &r);
    assert_non_null (resp);
    assert_int_equal (json_integer_value (json_object_get (resp, "id")), 7);
    assert_int_equal (json_integer_value (json_object_get (json_object_get (resp, "result"), "n")),
                      42);
    json_decref (resp);
    assert_int_equal (s_server_wait (f), 0);
}

static int
s_script_not_an_object (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    json_decref (req);
    if (s_write_text_frame (fd, "[1,2]", 5) != 0)
        return -1;
    return s_wait_eof (fd);
}

static void
test_frame_that_is_not_a_json_object_is_an_error (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_not_an_object);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_null (apiclient_call (f->client, "status", NULL, 2000, &r));
    assert_non_null (strstr (r.text, "not a JSON object"));
    assert_int_equal (s_server_wait (f), 0);
}

/*  Answers with a frame that is not valid JSON, a name just before the
 *  error. */
static int
s_script_broken_json (int fd, int go_fd)
{
    (void) go_fd;
    json_t *req = s_read_frame (fd);
    if (!req)
        return -1;
    json_decref (req);
    static const char text[] = "{\"id\": 1, \"name\": \"Qzxv de Vries\\q\"}";
    if (s_write_text_frame (fd, text, sizeof text - 1) != 0)
        return -1;
    return s_wait_eof (fd);
}

/*  An answer may hold personal data: the reason says what is wrong and
 *  where, never the text near the error (jansson's "near '...'"). */
static void
test_frame_that_is_not_json_is_an_error_that_quotes_nothing (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_broken_json);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_null (apiclient_call (f->client, "status", NULL, 2000, &r));
    assert_non_null (strstr (r.text, "sent a broken frame (not valid JSON at column "));
    assert_null (strstr (r.text, "Vries"));
    assert_null (strstr (r.text, "near"));
    assert_int_equal (s_server_wait (f), 0);
}

/*  Reads a binary frame (0x00, then the bytes "abc"), answers it in
 *  binary (0x00, then "xyz", one byte per write), then answers the next
 *  one as a ketend without binary frames would: a JSON error. */
static int
s_script_binary (int fd, int go_fd)
{
    (void) go_fd;
    for (int round = 0; round < 2; round++) {
        uint8_t header[4], body[4];
        if (s_read_full (fd, header, 4) != 0 || header[3] != 4 || header[0] || header[1] ||
            header[2] || s_read_full (fd, body, 4) != 0 || memcmp (body, "\0abc", 4) != 0)
            return -1;
        if (round == 0) {
            uint8_t answer[8] = {0, 0, 0, 4, 0, 'x', 'y', 'z'};
            for (size_t i = 0; i < sizeof answer; i++)
                if (s_write_all (fd, answer + i, 1) != 0)
                    return -1;
        } else if (s_write_frame (fd,
                                  json_pack ("{s:n, s:b, s:s}", "id", "ok", 0, "error",
                                             "request is not a JSON object"),
                                  false) != 0)
            return -1;
    }
    return s_wait_eof (fd);
}

static void
test_binary_frames_go_out_marked_and_come_back_without_the_mark (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_binary);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    assert_int_equal (apiclient_send_binary (f->client, (const uint8_t *) "abc", 3, &r), 0);
    size_t len = 0;
    uint8_t *answer = apiclient_recv_binary (f->client, 2000, &len, &r);
    assert_non_null (answer);
    assert_int_equal (len, 3);
    assert_memory_equal (answer, "xyz", 3);
    free (answer);
    /*  An older ketend answers a binary frame in JSON: its words. */
    assert_int_equal (apiclient_send_binary (f->client, (const uint8_t *) "abc", 3, &r), 0);
    assert_null (apiclient_recv_binary (f->client, 2000, &len, &r));
    assert_string_equal (r.text, "ketend refused the binary request: request is not a JSON object");
    assert_int_equal (s_server_wait (f), 0);
}

/*  Expects nothing at all before the client closes. */
static int
s_script_nothing (int fd, int go_fd)
{
    (void) go_fd;
    char c;
    ssize_t n;
    do
        n = read (fd, &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 0 ? 0 : -1;
}

static void
test_binary_request_over_one_mib_is_refused_before_sending (void **state)
{
    fixture_t *f = *state;
    s_server_start (f, s_script_nothing);
    kt_reason_t r;
    f->client = apiclient_connect (f->path, &r);
    assert_non_null (f->client);
    /*  The mark takes one byte of the frame. */
    uint8_t *big = calloc (1, MIB);
    assert_non_null (big);
    assert_int_equal (apiclient_send_binary (f->client, big, MIB, &r), -1);
    assert_non_null (strstr (r.text, "larger than"));
    /*  Nothing of it went out: the server sees the close only. */
    free (big);
    assert_int_equal (s_server_wait (f), 0);
}

static void
test_connect_failure_names_the_socket_and_suggests_ketend_is_down (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    assert_null (apiclient_connect (f->path, &r));
    char want[KT_REASON_MAX];
    snprintf (want, sizeof want,
              "cannot connect to ketend at %s: No such file or directory (is ketend running?)",
              f->path);
    assert_string_equal (r.text, want);
}

static void
test_socket_path_too_long_is_refused (void **state)
{
    (void) state;
    char path[200];
    memset (path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    kt_reason_t r;
    assert_null (apiclient_connect (path, &r));
    assert_non_null (strstr (r.text, "longer than"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_call_returns_the_result_with_the_matching_id, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_daemon_error_becomes_the_reason_without_control_characters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_answer_over_sixteen_mib_is_refused_and_the_connection_closed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_frame_of_exactly_one_mib_is_accepted, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_request_over_one_mib_is_refused_before_sending,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_server_closing_in_the_middle_of_a_frame_is_an_error,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_server_closing_before_answering_is_an_error, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_call_gives_up_after_its_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_timeout_inside_a_frame_keeps_the_bytes_already_read,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_frame_that_is_not_a_json_object_is_an_error, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_frame_that_is_not_json_is_an_error_that_quotes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_connect_failure_names_the_socket_and_suggests_ketend_is_down, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_socket_path_too_long_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_binary_frames_go_out_marked_and_come_back_without_the_mark, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_binary_request_over_one_mib_is_refused_before_sending,
                                         s_setup, s_teardown),
    };
    /*  A child's write to a client that already gave up must not kill it. */
    signal (SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
