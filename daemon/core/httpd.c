/*  httpd: a minimal HTTP/1.0 responder on a non-blocking TCP socket driven
 *  by the node's zloop; it serves the metrics (docs/OPERATIONS.md,
 *  "Prometheus metrics").
 *
 *  The responder is deliberately small: one request per connection, read
 *  into a fixed 4 KiB buffer, answered once, written without blocking
 *  (POLLOUT for what the kernel did not take at once), closed.  Whatever a
 *  client does, the loop it shares with the heartbeats must stay free:
 *
 *  - rendering may be costly (the metrics ask SQLite for counts and the
 *    log root), so the body is kept for CACHE_MS and every request in that
 *    time gets the same copy: a client looping on GET costs a render a
 *    second, not one per request;
 *  - a connection has HEAD_TIMEOUT_MS to send its request and then
 *    WRITE_TIMEOUT_MS to take the answer; a sweep drops the late ones;
 *  - with all MAX_CONNS slots taken, a newcomer evicts the oldest
 *    connection still reading its request (an idle client, most likely),
 *    so idle clients cannot lock the scraper out; it is refused only when
 *    every slot is busy writing an answer;
 *  - when accept fails for want of descriptors or memory, the pending
 *    connection stays queued and the level-triggered poll would report
 *    the listener again at once: it is taken out of the poll set for
 *    ACCEPT_PAUSE_MS instead of spinning.
 */
#include "httpd.h"

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQUEST_MAX 4096
#define MAX_CONNS 16
#define HEAD_TIMEOUT_MS 1000  /* from accept to a complete request head */
#define WRITE_TIMEOUT_MS 5000 /* from the answer made to the answer taken */
#define CACHE_MS 1000         /* a rendered body serves this long */
#define ACCEPT_PAUSE_MS 1000  /* the listener rests this long after EMFILE & co */
#define SWEEP_MS 250          /* deadlines and the pause are checked this often */
#define ENDPOINT_MAX 64

typedef struct {
    httpd_t *server;
    int fd;
    uint64_t started_us;  /* monotonic: accepted at (the eviction order) */
    uint64_t deadline_us; /* monotonic: dropped after this */
    char in[REQUEST_MAX];
    size_t in_len;
    char *out; /* the whole answer, once made; NULL while reading */
    size_t out_len, out_pos;
} conn_t;

struct _httpd_t {
    zloop_t *loop;
    httpd_site_t site;
    int listen_fd;
    bool listening;           /* the listener is in the poll set */
    uint64_t paused_until_us; /* monotonic: taken out until then */
    bool accept_failing;      /* no accept succeeded since the last pause */
    int sweep_timer;
    char *body;       /* the last body rendered, or NULL */
    uint64_t body_us; /* monotonic: when it was rendered */
    char endpoint[ENDPOINT_MAX];
    conn_t *conns[MAX_CONNS];
};
static int s_conn_event (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void
s_conn_close (conn_t *c)
{
    httpd_t *self = c->server;
    zmq_pollitem_t item = {NULL, c->fd, 0, 0};
    zloop_poller_end (self->loop, &item);
    close (c->fd);
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (self->conns[i] == c)
            self->conns[i] = NULL;
    free (c->out);
    free (c);
}

/*  Write what the kernel takes; 1: all written, 0: more to write, -1: dead. */
static int
s_conn_write (conn_t *c)
{
    while (c->out_pos < c->out_len) {
        ssize_t n =
            send (c->fd, c->out + c->out_pos, c->out_len - c->out_pos, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_pos += (size_t) n;
    }
    return 1;
}

/*  Make the answer: status line, headers and (unless head) body. */
static int
s_conn_answer (conn_t *c, int code, const char *body, bool head)
{
    httpd_t *self = c->server;
    const char *text = code == 200   ? "OK"
                       : code == 400 ? "Bad Request"
                       : code == 404 ? "Not Found"
                       : code == 405 ? "Method Not Allowed"
                                     : "Internal Server Error";
    const char *type = code == 200 ? self->site.content_type : "text/plain; charset=utf-8";
    char fallback[64];
    if (!body) {
        snprintf (fallback, sizeof fallback, "%d %s\n", code, text);
        body = fallback;
    }
    size_t body_len = strlen (body);
    char head_text[256];
    int n = snprintf (head_text, sizeof head_text,
                      "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                      code, text, type, body_len);
    if (n < 0 || (size_t) n >= sizeof head_text)
        return -1;
    size_t len = (size_t) n + (head ? 0 : body_len);
    c->out = malloc (len);
    if (!c->out)
        return -1;
    memcpy (c->out, head_text, (size_t) n);
    if (!head)
        memcpy (c->out + n, body, body_len);
    c->out_len = len;
    return 0;
}

/*  The request line of a complete request head: the one place the
 *  untrusted bytes are read.  Returns the HTTP status to answer. */
static int
s_parse_request (const char *in, size_t len, const char *path, bool *head)
{
    const char *eol = memchr (in, '\n', len);
    if (!eol)
        return 400;
    size_t line = (size_t) (eol - in);
    if (line > 0 && in[line - 1] == '\r')
        line--;
    /*  METHOD SP TARGET SP HTTP/x.y, nothing else. */
    const char *sp1 = memchr (in, ' ', line);
    if (!sp1)
        return 400;
    const char *target = sp1 + 1;
    const char *sp2 = memchr (target, ' ', line - (size_t) (target - in));
    if (!sp2 || sp2 == target)
        return 400;
    const char *version = sp2 + 1;
    size_t vlen = line - (size_t) (version - in);
    if (vlen != 8 || memcmp (version, "HTTP/1.", 7) != 0 ||
        (version[7] != '0' && version[7] != '1'))
        return 400;
    size_t mlen = (size_t) (sp1 - in);
    *head = mlen == 4 && memcmp (in, "HEAD", 4) == 0;
    if (!*head && !(mlen == 3 && memcmp (in, "GET", 3) == 0))
        return 405;
    size_t tlen = (size_t) (sp2 - target);
    const char *query = memchr (target, '?', tlen);
    if (query)
        tlen = (size_t) (query - target);
    if (tlen != strlen (path) || memcmp (target, path, tlen) != 0)
        return 404;
    return 200;
}

/*  A complete request head, or one that can no longer become one. */
static bool
s_request_done (const conn_t *c)
{
    if (c->in_len >= REQUEST_MAX)
        return true;
    for (size_t i = 1; i < c->in_len; i++)
        if (c->in[i] == '\n' &&
            (c->in[i - 1] == '\n' || (i >= 2 && c->in[i - 1] == '\r' && c->in[i - 2] == '\n')))
            return true;
    return false;
}

/*  The body to answer with, borrowed: the cached one while younger than
 *  CACHE_MS, else a fresh render.  NULL when it cannot be made (not
 *  cached: the next request tries again). */
static const char *
s_body (httpd_t *self)
{
    uint64_t now = kt_mono_us ();
    if (self->body && now - self->body_us < CACHE_MS * 1000ull)
        return self->body;
    free (self->body);
    self->body = self->site.render (self->site.arg);
    self->body_us = now;
    return self->body;
}

static void
s_conn_respond (conn_t *c)
{
    httpd_t *self = c->server;
    bool head = false;
    int code =
        c->in_len >= REQUEST_MAX ? 400 : s_parse_request (c->in, c->in_len, self->site.path, &head);
    const char *body = NULL;
    if (code == 200) {
        body = s_body (self);
        if (!body)
            code = 500;
    }
    int rc = s_conn_answer (c, code, body, head);
    c->deadline_us = kt_mono_us () + WRITE_TIMEOUT_MS * 1000ull;
    if (rc != 0) {
        s_conn_close (c);
        return;
    }
    int w = s_conn_write (c);
    if (w != 0) {
        s_conn_close (c);
        return;
    }
    /*  The rest when the socket can take it; no more reading. */
    zmq_pollitem_t item = {NULL, c->fd, ZMQ_POLLOUT, 0};
    zloop_poller_end (self->loop, &item);
    if (zloop_poller (self->loop, &item, s_conn_event, c) != 0)
        s_conn_close (c);
}

static int
s_conn_event (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    conn_t *c = arg;
    if (c->out) {
        if (s_conn_write (c) != 0)
            s_conn_close (c);
        return 0;
    }
    if (!(item->revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
        return 0;
    for (;;) {
        ssize_t n = recv (c->fd, c->in + c->in_len, REQUEST_MAX - c->in_len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            s_conn_close (c);
            return 0;
        }
        c->in_len += (size_t) n;
        if (s_request_done (c)) {
            s_conn_respond (c);
            return 0;
        }
    }
}

/*  Take the listener out of the poll set until the sweep puts it back:
 *  the connection that could not be accepted stays queued, and a
 *  level-triggered poll would report it again at once. */
static void
s_listen_pause (httpd_t *self, int err)
{
    zmq_pollitem_t pi = {NULL, self->listen_fd, 0, 0};
    zloop_poller_end (self->loop, &pi);
    self->listening = false;
    self->paused_until_us = kt_mono_us () + ACCEPT_PAUSE_MS * 1000ull;
    /*  Once per run of failures, not once per pause. */
    if (!self->accept_failing)
        kt_log (KT_LOG_WARN, "%s accept_failed reason=\"%s\" pause_ms=%d", self->site.name,
                strerror (err), ACCEPT_PAUSE_MS);
    self->accept_failing = true;
}

static int s_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void
s_listen_resume (httpd_t *self)
{
    zmq_pollitem_t pi = {NULL, self->listen_fd, ZMQ_POLLIN, 0};
    /*  On failure (out of memory) the next sweep tries again. */
    self->listening = zloop_poller (self->loop, &pi, s_accept, self) == 0;
}

/*  A free slot for a new connection: an empty one, else the one of the
 *  oldest connection still reading its request, closed for it.  MAX_CONNS
 *  when every connection is writing an answer. */
static size_t
s_free_slot (httpd_t *self)
{
    size_t oldest = MAX_CONNS;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        conn_t *c = self->conns[i];
        if (!c)
            return i;
        if (!c->out && (oldest == MAX_CONNS || c->started_us < self->conns[oldest]->started_us))
            oldest = i;
    }
    if (oldest < MAX_CONNS)
        s_conn_close (self->conns[oldest]);
    return oldest;
}

static int
s_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) item;
    httpd_t *self = arg;
    for (;;) {
        int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (fd < 0) {
            /*  EMFILE, ENFILE, ENOBUFS, ENOMEM, or worse: nothing a retry
             *  now would change. */
            s_listen_pause (self, errno);
            return 0;
        }
        self->accept_failing = false;
        size_t slot = s_free_slot (self);
        conn_t *c = slot < MAX_CONNS ? calloc (1, sizeof *c) : NULL;
        if (!c) {
            close (fd);
            continue;
        }
        c->server = self;
        c->fd = fd;
        c->started_us = kt_mono_us ();
        c->deadline_us = c->started_us + HEAD_TIMEOUT_MS * 1000ull;
        zmq_pollitem_t pi = {NULL, fd, ZMQ_POLLIN, 0};
        if (zloop_poller (loop, &pi, s_conn_event, c) != 0) {
            close (fd);
            free (c);
            continue;
        }
        self->conns[slot] = c;
    }
}

static int
s_sweep (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    httpd_t *self = arg;
    uint64_t now = kt_mono_us ();
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (self->conns[i] && now > self->conns[i]->deadline_us)
            s_conn_close (self->conns[i]);
    if (!self->listening && now >= self->paused_until_us)
        s_listen_resume (self);
    return 0;
}

httpd_t *
httpd_new (zloop_t *loop, const char *listen_on, const httpd_site_t *site, kt_reason_t *reason)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    bool loopback;
    if (config_parse_listen (listen_on, &addr, &addr_len, &loopback, reason) != 0)
        return NULL;
    httpd_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->site = *site;
    self->listen_fd = socket (addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (self->listen_fd < 0 ||
        setsockopt (self->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind (self->listen_fd, (struct sockaddr *) &addr, addr_len) != 0 ||
        listen (self->listen_fd, MAX_CONNS) != 0) {
        kt_fail (reason, "%s cannot listen on %s: %s", site->name, listen_on, strerror (errno));
        goto fail;
    }
    /*  Read the port back: "*" asked for any free one. */
    char host[INET6_ADDRSTRLEN];
    addr_len = sizeof addr;
    if (getsockname (self->listen_fd, (struct sockaddr *) &addr, &addr_len) != 0) {
        kt_fail (reason, "%s: getsockname: %s", site->name, strerror (errno));
        goto fail;
    }
    if (addr.ss_family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) &addr;
        inet_ntop (AF_INET6, &a6->sin6_addr, host, sizeof host);
        snprintf (self->endpoint, sizeof self->endpoint, "[%s]:%u", host, ntohs (a6->sin6_port));
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *) &addr;
        inet_ntop (AF_INET, &a4->sin_addr, host, sizeof host);
        snprintf (self->endpoint, sizeof self->endpoint, "%s:%u", host, ntohs (a4->sin_port));
    }
    zmq_pollitem_t pi = {NULL, self->listen_fd, ZMQ_POLLIN, 0};
    if (zloop_poller (loop, &pi, s_accept, self) != 0) {
        kt_fail (reason, "%s: cannot watch the listening socket", site->name);
        goto fail;
    }
    self->listening = true;
    self->sweep_timer = zloop_timer (loop, SWEEP_MS, 0, s_sweep, self);
    if (self->sweep_timer < 0) {
        zloop_poller_end (loop, &pi);
        kt_fail (reason, "%s: cannot start the timeout sweep", site->name);
        goto fail;
    }
    return self;
fail:
    if (self->listen_fd >= 0)
        close (self->listen_fd);
    free (self);
    return NULL;
}

void
httpd_destroy (httpd_t **self_p)
{
    httpd_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (self->conns[i])
            s_conn_close (self->conns[i]);
    zmq_pollitem_t pi = {NULL, self->listen_fd, 0, 0};
    zloop_poller_end (self->loop, &pi);
    zloop_timer_end (self->loop, self->sweep_timer);
    close (self->listen_fd);
    free (self->body);
    free (self);
    *self_p = NULL;
}

const char *
httpd_endpoint (const httpd_t *self)
{
    return self->endpoint;
}
