/*  apiclient: framed JSON client for ketend's local API (docs/API.md).
 *
 *  The socket is non-blocking and every wait is a poll() with a deadline on
 *  the monotonic clock, so no call blocks longer than its caller allows,
 *  whatever the daemon does.  Receiving is incremental (header, then body)
 *  and its state lives in the client, so a timeout never loses bytes.
 */
#include "apiclient.h"

#include "intake.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct _apiclient_t {
    int fd;
    char path[sizeof ((struct sockaddr_un *) 0)->sun_path];
    json_int_t next_id;
    /*  Set once the stream is out of step or closed; every call then
     *  repeats this reason instead of reading garbage. */
    bool broken;
    kt_reason_t broken_reason;
    /*  The last call's request went out in full and no answer to it came
     *  back: the daemon may or may not have acted on it. */
    bool unanswered;
    /*  Frame being received. */
    uint8_t header[4];
    size_t header_got;
    char *body;
    size_t body_len;
    size_t body_got;
};

/*  Mark the connection unusable, remember why, and fill reason. */
static int __attribute__ ((format (printf, 3, 4)))
s_break (apiclient_t *self, kt_reason_t *reason, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->broken_reason.text, sizeof self->broken_reason.text, fmt, ap);
    va_end (ap);
    self->broken = true;
    free (self->body);
    self->body = NULL;
    self->header_got = self->body_len = self->body_got = 0;
    return kt_fail (reason, "%s", self->broken_reason.text);
}

/*  Milliseconds left until deadline_us (0 = no deadline: -1, forever). */
static int
s_remaining_ms (uint64_t deadline_us)
{
    if (deadline_us == 0)
        return -1;
    uint64_t now = kt_mono_us ();
    if (now >= deadline_us)
        return 0;
    uint64_t ms = (deadline_us - now + 999) / 1000;
    return ms > INT32_MAX ? INT32_MAX : (int) ms;
}

static uint64_t
s_deadline (int timeout_ms)
{
    return timeout_ms < 0 ? 0 : kt_mono_us () + (uint64_t) timeout_ms * 1000 + 1;
}

/*  Wait for events on the socket until the deadline.  Returns 1 when
 *  ready, 0 on timeout, -1 on error (errno set). */
static int
s_wait (apiclient_t *self, short events, uint64_t deadline_us)
{
    for (;;) {
        int ms = s_remaining_ms (deadline_us);
        if (ms == 0)
            return 0;
        struct pollfd pfd = {.fd = self->fd, .events = events};
        int rc = poll (&pfd, 1, ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return -1;
        if (rc > 0)
            return 1;
        /*  rc == 0: poll's own rounding; loop re-checks the clock. */
    }
}

/*  Copy daemon text into reason: bounded, control characters replaced (it
 *  goes to a terminal), never cut in the middle of a UTF-8 sequence. */
static void
s_copy_text (kt_reason_t *reason, const char *prefix, const char *text)
{
    if (!reason)
        return;
    size_t pos = (size_t) snprintf (reason->text, sizeof reason->text, "%s", prefix);
    if (pos >= sizeof reason->text)
        return;
    size_t len = strlen (text);
    if (len > sizeof reason->text - 1 - pos) {
        len = sizeof reason->text - 1 - pos;
        while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        reason->text[pos++] = c < 0x20 || c == 0x7F ? '?' : (char) c;
    }
    reason->text[pos] = '\0';
}

apiclient_t *
apiclient_connect (const char *socket_path, kt_reason_t *reason)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!socket_path || !*socket_path) {
        kt_fail (reason, "no ketend socket path given");
        return NULL;
    }
    if (strlen (socket_path) >= sizeof addr.sun_path) {
        kt_fail (reason, "socket path is longer than %zu bytes", sizeof addr.sun_path - 1);
        return NULL;
    }
    memcpy (addr.sun_path, socket_path, strlen (socket_path) + 1);

    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        kt_fail (reason, "cannot create a socket: %s", strerror (errno));
        return NULL;
    }
    int rc;
    do
        rc = connect (fd, (struct sockaddr *) &addr, sizeof addr);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        int err = errno;
        const char *hint = "";
        if (err == ENOENT || err == ECONNREFUSED)
            hint = " (is ketend running?)";
        else if (err == EACCES || err == EPERM)
            hint = " (the socket is mode 0660: is this user in ketend's group?)";
        kt_fail (reason, "cannot connect to ketend at %s: %s%s", socket_path, strerror (err), hint);
        close (fd);
        return NULL;
    }
    int flags = fcntl (fd, F_GETFL);
    if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        kt_fail (reason, "cannot make the socket non-blocking: %s", strerror (errno));
        close (fd);
        return NULL;
    }
    apiclient_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        close (fd);
        return NULL;
    }
    self->fd = fd;
    memcpy (self->path, addr.sun_path, sizeof self->path);
    return self;
}

void
apiclient_destroy (apiclient_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    apiclient_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);
    free (self->body);
    free (self);
    *self_p = NULL;
}

/*  Send one frame: marker (0x00 for a binary one; -1 none), then len
 *  bytes of data. */
static int
s_send_frame (apiclient_t *self, int marker, const void *data, size_t len, kt_reason_t *reason)
{
    if (self->broken)
        return kt_fail (reason, "%s", self->broken_reason.text);
    size_t frame = len + (marker >= 0 ? 1 : 0);
    if (frame > APICLIENT_MAX_FRAME)
        return kt_fail (reason, "request of %zu bytes is larger than the %d byte frame limit",
                        frame, APICLIENT_MAX_FRAME);
    uint8_t header[5] = {(uint8_t) (frame >> 24), (uint8_t) (frame >> 16), (uint8_t) (frame >> 8),
                         (uint8_t) frame, (uint8_t) marker};
    size_t head = marker >= 0 ? 5 : 4;
    uint64_t deadline = s_deadline (APICLIENT_SEND_TIMEOUT_MS);
    size_t sent = 0, total = head + len;
    while (sent < total) {
        const void *p = sent < head ? (const void *) (header + sent)
                                    : (const void *) ((const char *) data + sent - head);
        size_t n = sent < head ? head - sent : total - sent;
        ssize_t w = send (self->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t) w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int ready = s_wait (self, POLLOUT, deadline);
            if (ready > 0)
                continue;
            /*  Part of a frame may be out: the stream is no longer in step. */
            if (ready == 0)
                return s_break (self, reason, "ketend at %s did not take the request within %d ms",
                                self->path, APICLIENT_SEND_TIMEOUT_MS);
            return s_break (self, reason, "cannot send to ketend at %s: %s", self->path,
                            strerror (errno));
        }
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
            return s_break (self, reason, "ketend at %s closed the connection", self->path);
        return s_break (self, reason, "cannot send to ketend at %s: %s", self->path,
                        w < 0 ? strerror (errno) : "no progress");
    }
    return 0;
}

int
apiclient_send (apiclient_t *self, json_t *request, kt_reason_t *reason)
{
    if (!self || !json_is_object (request))
        return kt_fail (reason, "a request must be a JSON object");
    char *text = json_dumps (request, JSON_COMPACT);
    if (!text)
        return kt_fail (reason, "cannot encode the request");
    int rc = s_send_frame (self, -1, text, strlen (text), reason);
    free (text);
    return rc;
}

int
apiclient_send_binary (apiclient_t *self, const uint8_t *msg, size_t len, kt_reason_t *reason)
{
    if (!self || (!msg && len))
        return kt_fail (reason, "no request to send");
    return s_send_frame (self, 0x00, msg, len, reason);
}

/*  The whole frame in self->body, taken (*len_p its size); the client
 *  is ready for the next one. */
static char *
s_take_body (apiclient_t *self, size_t *len_p)
{
    char *body = self->body;
    *len_p = self->body_len;
    self->body = NULL;
    self->header_got = self->body_len = self->body_got = 0;
    return body;
}

/*  A frame's text as a JSON object; body is freed. */
static json_t *
s_decode_body (apiclient_t *self, char *body, size_t len, kt_reason_t *reason)
{
    json_error_t err;
    json_t *obj = json_loadb (body, len, JSON_REJECT_DUPLICATES, &err);
    free (body);
    if (!obj) {
        /*  Never err.text: it quotes the frame near the error, and an
         *  answer may hold personal data. */
        s_break (self, reason, "ketend at %s sent a broken frame (%s at column %d)", self->path,
                 intake_json_error (&err), err.column);
        return NULL;
    }
    if (!json_is_object (obj)) {
        json_decref (obj);
        s_break (self, reason, "ketend at %s sent a frame that is not a JSON object", self->path);
        return NULL;
    }
    return obj;
}

/*  Receive one whole frame (heap, *len_p bytes), as apiclient_recv. */
static char *
s_recv_frame (apiclient_t *self, int timeout_ms, size_t *len_p, kt_reason_t *reason)
{
    if (!self) {
        kt_fail (reason, "not connected");
        return NULL;
    }
    if (self->broken) {
        kt_fail (reason, "%s", self->broken_reason.text);
        return NULL;
    }
    uint64_t deadline = s_deadline (timeout_ms);
    for (;;) {
        bool in_header = self->header_got < 4;
        void *dst = in_header ? (void *) (self->header + self->header_got)
                              : (void *) (self->body + self->body_got);
        size_t want = in_header ? 4 - self->header_got : self->body_len - self->body_got;
        ssize_t n = recv (self->fd, dst, want, MSG_DONTWAIT);
        if (n > 0) {
            if (!in_header) {
                self->body_got += (size_t) n;
                if (self->body_got == self->body_len)
                    return s_take_body (self, len_p);
                continue;
            }
            self->header_got += (size_t) n;
            if (self->header_got < 4)
                continue;
            size_t len = (size_t) self->header[0] << 24 | (size_t) self->header[1] << 16 |
                         (size_t) self->header[2] << 8 | (size_t) self->header[3];
            /*  Checked before allocating: the length is not trusted. */
            if (len > APICLIENT_MAX_ANSWER) {
                s_break (self, reason,
                         "ketend at %s sent a frame of %zu bytes, more than the %d byte limit",
                         self->path, len, APICLIENT_MAX_ANSWER);
                return NULL;
            }
            if (len == 0) {
                s_break (self, reason, "ketend at %s sent an empty frame", self->path);
                return NULL;
            }
            self->body = malloc (len);
            if (!self->body) {
                s_break (self, reason, "out of memory for a %zu byte frame", len);
                return NULL;
            }
            self->body_len = len;
            self->body_got = 0;
            continue;
        }
        if (n == 0) {
            if (self->header_got == 0)
                s_break (self, reason, "ketend at %s closed the connection", self->path);
            else
                s_break (self, reason,
                         "ketend at %s closed the connection in the middle of a frame "
                         "(%zu of %zu bytes)",
                         self->path, self->header_got < 4 ? self->header_got : 4 + self->body_got,
                         self->header_got < 4 ? (size_t) 4 : 4 + self->body_len);
            return NULL;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int ready = s_wait (self, POLLIN, deadline);
            if (ready > 0)
                continue;
            if (ready == 0) {
                /*  Not broken: what was read so far is kept for the next call. */
                kt_fail (reason, "no answer from ketend at %s within %d ms", self->path,
                         timeout_ms);
                return NULL;
            }
        }
        s_break (self, reason, "cannot read from ketend at %s: %s", self->path, strerror (errno));
        return NULL;
    }
}

json_t *
apiclient_recv (apiclient_t *self, int timeout_ms, kt_reason_t *reason)
{
    size_t len;
    char *body = s_recv_frame (self, timeout_ms, &len, reason);
    return body ? s_decode_body (self, body, len, reason) : NULL;
}

uint8_t *
apiclient_recv_binary (apiclient_t *self, int timeout_ms, size_t *len_p, kt_reason_t *reason)
{
    size_t len;
    char *body = s_recv_frame (self, timeout_ms, &len, reason);
    if (!body)
        return NULL;
    if ((uint8_t) body[0] == 0x00) {
        memmove (body, body + 1, len - 1);
        *len_p = len - 1;
        return (uint8_t *) body;
    }
    json_t *obj = s_decode_body (self, body, len, reason);
    if (obj) {
        json_t *error = json_object_get (obj, "error");
        s_copy_text (reason, "ketend refused the binary request: ",
                     json_is_string (error) ? json_string_value (error) : "no reason given");
        json_decref (obj);
    }
    return NULL;
}

/*  Turn a response to our request into the result or the daemon's error. */
static json_t *
s_response_result (apiclient_t *self, json_t *response, kt_reason_t *reason)
{
    json_t *ok = json_object_get (response, "ok");
    if (json_is_true (ok)) {
        json_t *result = json_object_get (response, "result");
        if (!json_is_object (result)) {
            kt_fail (reason, "ketend at %s answered without a result object", self->path);
            return NULL;
        }
        return json_incref (result);
    }
    if (json_is_false (ok)) {
        json_t *error = json_object_get (response, "error");
        s_copy_text (reason, "",
                     json_is_string (error) ? json_string_value (error)
                                            : "ketend refused the request without a reason");
        return NULL;
    }
    kt_fail (reason, "ketend at %s answered without an \"ok\" flag", self->path);
    return NULL;
}

json_t *
apiclient_call (apiclient_t *self, const char *cmd, json_t *args, int timeout_ms,
                kt_reason_t *reason)
{
    if (!self || !cmd || (args && !json_is_object (args))) {
        json_decref (args);
        kt_fail (reason, "a call needs a command and an object of args");
        return NULL;
    }
    self->unanswered = false;
    json_int_t id = ++self->next_id;
    json_t *request = json_pack ("{s:I, s:s}", "id", id, "cmd", cmd);
    if (!request || (args && json_object_set_new (request, "args", args) != 0)) {
        if (!request)
            json_decref (args);
        json_decref (request);
        kt_fail (reason, "cannot build the request");
        return NULL;
    }
    int rc = apiclient_send (self, request, reason);
    json_decref (request);
    if (rc != 0)
        return NULL;
    self->unanswered = true;

    uint64_t deadline = s_deadline (timeout_ms);
    for (;;) {
        int ms = s_remaining_ms (deadline);
        if (ms == 0) {
            kt_fail (reason, "no answer from ketend at %s within %d ms", self->path, timeout_ms);
            return NULL;
        }
        json_t *response = apiclient_recv (self, ms, reason);
        if (!response) {
            /*  Report the caller's timeout, not the remainder we waited. */
            if (!self->broken)
                kt_fail (reason, "no answer from ketend at %s within %d ms", self->path,
                         timeout_ms);
            return NULL;
        }
        json_t *rid = json_object_get (response, "id");
        if (json_is_integer (rid) && json_integer_value (rid) == id) {
            self->unanswered = false;
            json_t *result = s_response_result (self, response, reason);
            json_decref (response);
            return result;
        }
        if (json_is_null (rid) || !rid) {
            /*  The daemon could not read an id from a request; with one
             *  request outstanding it can only be ours. */
            self->unanswered = false;
            json_t *error = json_object_get (response, "error");
            s_copy_text (reason, "ketend refused the request: ",
                         json_is_string (error) ? json_string_value (error) : "no reason given");
            json_decref (response);
            return NULL;
        }
        /*  An answer to an earlier request whose caller gave up. */
        json_decref (response);
    }
}

bool
apiclient_call_unanswered (const apiclient_t *self)
{
    return self && self->unanswered;
}
