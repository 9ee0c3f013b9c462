/*  metrics: Prometheus text exposition of the node's status (DESIGN 8).
 *
 *  Two halves: a minimal HTTP/1.0 responder on a non-blocking TCP socket
 *  driven by the node's zloop, and the node's metrics, rendered from the
 *  same JSON that `keten status` shows, so that both always agree.
 *
 *  The responder is deliberately small: one request per connection, read
 *  into a fixed 4 KiB buffer, answered once, written without blocking
 *  (POLLOUT for what the kernel did not take at once), closed.  Whatever a
 *  client does, the loop it shares with the heartbeats must stay free:
 *
 *  - rendering asks SQLite for counts and the log root, so the body is
 *    kept for CACHE_MS and every request in that time gets the same copy:
 *    a client looping on GET costs a render a second, not one per request;
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
#include "node_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
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
    metrics_t *server;
    int fd;
    uint64_t started_us;  /* monotonic: accepted at (the eviction order) */
    uint64_t deadline_us; /* monotonic: dropped after this */
    char in[REQUEST_MAX];
    size_t in_len;
    char *out; /* the whole answer, once made; NULL while reading */
    size_t out_len, out_pos;
} conn_t;

struct _metrics_t {
    zloop_t *loop;
    int listen_fd;
    bool listening;           /* the listener is in the poll set */
    uint64_t paused_until_us; /* monotonic: taken out until then */
    bool accept_failing;      /* no accept succeeded since the last pause */
    int sweep_timer;
    metrics_render_fn *render;
    void *arg;
    char *body;       /* the last body rendered, or NULL */
    uint64_t body_us; /* monotonic: when it was rendered */
    char endpoint[ENDPOINT_MAX];
    conn_t *conns[MAX_CONNS];
};

static int s_conn_event (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void
s_conn_close (conn_t *c)
{
    metrics_t *self = c->server;
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
    const char *text = code == 200   ? "OK"
                       : code == 400 ? "Bad Request"
                       : code == 404 ? "Not Found"
                       : code == 405 ? "Method Not Allowed"
                                     : "Internal Server Error";
    const char *type =
        code == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8";
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
s_parse_request (const char *in, size_t len, bool *head)
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
    if (tlen != 8 || memcmp (target, "/metrics", 8) != 0)
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
s_body (metrics_t *self)
{
    uint64_t now = kt_mono_us ();
    if (self->body && now - self->body_us < CACHE_MS * 1000ull)
        return self->body;
    free (self->body);
    self->body = self->render (self->arg);
    self->body_us = now;
    return self->body;
}

static void
s_conn_respond (conn_t *c)
{
    metrics_t *self = c->server;
    bool head = false;
    int code = c->in_len >= REQUEST_MAX ? 400 : s_parse_request (c->in, c->in_len, &head);
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
s_listen_pause (metrics_t *self, int err)
{
    zmq_pollitem_t pi = {NULL, self->listen_fd, 0, 0};
    zloop_poller_end (self->loop, &pi);
    self->listening = false;
    self->paused_until_us = kt_mono_us () + ACCEPT_PAUSE_MS * 1000ull;
    /*  Once per run of failures, not once per pause. */
    if (!self->accept_failing)
        kt_log (KT_LOG_WARN, "metrics accept_failed reason=\"%s\" pause_ms=%d", strerror (err),
                ACCEPT_PAUSE_MS);
    self->accept_failing = true;
}

static int s_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static void
s_listen_resume (metrics_t *self)
{
    zmq_pollitem_t pi = {NULL, self->listen_fd, ZMQ_POLLIN, 0};
    /*  On failure (out of memory) the next sweep tries again. */
    self->listening = zloop_poller (self->loop, &pi, s_accept, self) == 0;
}

/*  A free slot for a new connection: an empty one, else the one of the
 *  oldest connection still reading its request, closed for it.  MAX_CONNS
 *  when every connection is writing an answer. */
static size_t
s_free_slot (metrics_t *self)
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
    metrics_t *self = arg;
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
    metrics_t *self = arg;
    uint64_t now = kt_mono_us ();
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (self->conns[i] && now > self->conns[i]->deadline_us)
            s_conn_close (self->conns[i]);
    if (!self->listening && now >= self->paused_until_us)
        s_listen_resume (self);
    return 0;
}

metrics_t *
metrics_new (zloop_t *loop, const char *listen_on, metrics_render_fn *render, void *arg,
             kt_reason_t *reason)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    bool loopback;
    if (config_parse_listen (listen_on, &addr, &addr_len, &loopback, reason) != 0)
        return NULL;
    metrics_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->render = render;
    self->arg = arg;
    self->listen_fd = socket (addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (self->listen_fd < 0 ||
        setsockopt (self->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind (self->listen_fd, (struct sockaddr *) &addr, addr_len) != 0 ||
        listen (self->listen_fd, MAX_CONNS) != 0) {
        kt_fail (reason, "metrics cannot listen on %s: %s", listen_on, strerror (errno));
        goto fail;
    }
    /*  Read the port back: "*" asked for any free one. */
    char host[INET6_ADDRSTRLEN];
    addr_len = sizeof addr;
    if (getsockname (self->listen_fd, (struct sockaddr *) &addr, &addr_len) != 0) {
        kt_fail (reason, "metrics: getsockname: %s", strerror (errno));
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
        kt_fail (reason, "metrics: cannot watch the listening socket");
        goto fail;
    }
    self->listening = true;
    self->sweep_timer = zloop_timer (loop, SWEEP_MS, 0, s_sweep, self);
    if (self->sweep_timer < 0) {
        zloop_poller_end (loop, &pi);
        kt_fail (reason, "metrics: cannot start the timeout sweep");
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
metrics_destroy (metrics_t **self_p)
{
    metrics_t *self = *self_p;
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
metrics_endpoint (const metrics_t *self)
{
    return self->endpoint;
}

/* ---- exposition text ---------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed; /* out of memory: the whole text is dropped */
} text_t;

static void s_put (text_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_put (text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start (ap, fmt);
        int n = vsnprintf (t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end (ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->buf && t->len + (size_t) n < t->cap) {
            t->len += (size_t) n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 16384;
        while (cap < t->len + (size_t) n + 1)
            cap *= 2;
        char *buf = realloc (t->buf, cap);
        if (!buf) {
            t->failed = true;
            return;
        }
        t->buf = buf;
        t->cap = cap;
    }
}

static void
s_family (text_t *t, const char *name, const char *type, const char *help)
{
    s_put (t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*  A label value as the format wants it: backslash, quote and newline
 *  escaped.  Values are ids, kinds, roles: short; longer is cut. */
static const char *
s_label (char *out, size_t len, const char *value)
{
    size_t o = 0;
    for (const char *p = value ? value : ""; *p && o + 3 < len; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n') {
            out[o++] = '\\';
            out[o++] = *p == '\n' ? 'n' : *p;
        } else
            out[o++] = *p;
    }
    out[o] = 0;
    return out;
}

static uint64_t
s_uint (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_integer (v) && json_integer_value (v) > 0 ? (uint64_t) json_integer_value (v)
                                                             : 0;
}

static int64_t
s_int (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_integer (v) ? (int64_t) json_integer_value (v) : 0;
}

static bool
s_has_alarm (json_t *alarms, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (alarms, i, a)
    {
        if (json_is_string (a) && streq (json_string_value (a), name))
            return true;
    }
    return false;
}

/*  Seconds since a wall-clock time in ms; +Inf for never. */
static void
s_put_age (text_t *t, uint64_t at_ms, uint64_t now_ms)
{
    if (at_ms == 0)
        s_put (t, "+Inf\n");
    else
        s_put (t, "%.3f\n", now_ms > at_ms ? (double) (now_ms - at_ms) / 1000.0 : 0.0);
}

/*  One gauge per member, from a field of its status object. */
typedef enum { V_INT, V_MS, V_US, V_BOOL, V_AGE } s_value_t;

typedef struct {
    const char *name;
    const char *field;
    s_value_t value;
    const char *help;
} s_member_gauge_t;

static const s_member_gauge_t s_member_gauges[] = {
    {"keten_member_online", "online", V_BOOL,
     "1 when the member was heard from within the heartbeat timeout"},
    {"keten_member_last_seen_seconds", "last_seen_ms", V_AGE,
     "Seconds since the member was last heard from (+Inf: never)"},
    {"keten_member_rtt_seconds", "rtt_us", V_US,
     "Round trip the member last measured to the uitvoerder"},
    {"keten_member_outbox_depth", "outbox_depth", V_INT,
     "Messages in the member's outbox not yet settled"},
    {"keten_member_oldest_undelivered_seconds", "oldest_undelivered_ms", V_MS,
     "Age of the oldest message in the member's outbox not yet settled"},
    {"keten_member_roster_version", "roster_version", V_INT, "Roster version the member runs"},
    {"keten_member_roster_stale", "roster_stale", V_BOOL,
     "1 when the member's roster is older than the uitvoerder's"},
    {"keten_member_checkpoint_size", "checkpoint_size", V_INT,
     "Tree size of the newest log checkpoint the member verified"},
    {"keten_member_key_age_days", "key_age_days", V_INT,
     "Days since the member's secret key file was made"},
    {"keten_member_clock_skew_seconds", "clock_skew_ms", V_MS,
     "The member's clock minus the uitvoerder's"},
    {"keten_member_uptime_seconds", "uptime_s", V_INT,
     "Seconds the member's ketend has been running"},
};

/*  Every alarm a member row can carry (uitvoerder_status). */
static const char *const s_member_alarms[] = {"offline", "stale_roster",    "clock_skew",
                                              "backlog", "undelivered_age", "log_alarm"};
/*  Every alarm a partner's own status can carry (partner_status). */
static const char *const s_partner_alarms[] = {"link_down", "backlog", "undelivered_age",
                                               "log_alarm"};

/*  member="ID",kind="KIND",role="ROLE": the only labels a member gets. */
static const char *
s_member_labels (char *out, size_t len, json_t *m)
{
    char id[80], kind[80], role[80];
    snprintf (out, len, "member=\"%s\",kind=\"%s\",role=\"%s\"",
              s_label (id, sizeof id, json_string_value (json_object_get (m, "id"))),
              s_label (kind, sizeof kind, json_string_value (json_object_get (m, "kind"))),
              s_label (role, sizeof role, json_string_value (json_object_get (m, "role"))));
    return out;
}

static void
s_render_members (text_t *t, json_t *members, uint64_t now)
{
    char labels[320], version[80];
    size_t i;
    json_t *m;
    for (size_t g = 0; g < sizeof s_member_gauges / sizeof s_member_gauges[0]; g++) {
        const s_member_gauge_t *mg = &s_member_gauges[g];
        s_family (t, mg->name, "gauge", mg->help);
        json_array_foreach (members, i, m)
        {
            s_put (t, "%s{%s} ", mg->name, s_member_labels (labels, sizeof labels, m));
            if (mg->value == V_BOOL)
                s_put (t, "%d\n", json_is_true (json_object_get (m, mg->field)) ? 1 : 0);
            else if (mg->value == V_AGE)
                s_put_age (t, s_uint (m, mg->field), now);
            else if (mg->value == V_MS)
                s_put (t, "%.3f\n", (double) s_int (m, mg->field) / 1000.0);
            else if (mg->value == V_US)
                s_put (t, "%.6f\n", (double) s_int (m, mg->field) / 1e6);
            else
                s_put (t, "%lld\n", (long long) s_int (m, mg->field));
        }
    }
    s_family (t, "keten_member_info", "gauge", "The member's software version, as a label");
    json_array_foreach (members, i, m)
    {
        const char *v = json_string_value (json_object_get (m, "software_version"));
        s_put (t, "keten_member_info{%s,version=\"%s\"} 1\n",
               s_member_labels (labels, sizeof labels, m), s_label (version, sizeof version, v));
    }
    s_family (t, "keten_member_alarm", "gauge", "1 while the alarm is raised for the member");
    json_array_foreach (members, i, m)
    {
        json_t *alarms = json_object_get (m, "alarms");
        s_member_labels (labels, sizeof labels, m);
        for (size_t a = 0; a < sizeof s_member_alarms / sizeof s_member_alarms[0]; a++)
            s_put (t, "keten_member_alarm{%s,alarm=\"%s\"} %d\n", labels, s_member_alarms[a],
                   s_has_alarm (alarms, s_member_alarms[a]) ? 1 : 0);
    }
}

/*  The uitvoerder's view of the federation, from its status answer. */
static void
s_render_federation (text_t *t, json_t *r, uint64_t now)
{
    json_t *fed = json_object_get (r, "federation");
    s_family (t, "keten_members", "gauge", "Members in the roster, the uitvoerder not counted");
    s_put (t, "keten_members %llu\n", (unsigned long long) s_uint (fed, "members"));
    s_family (t, "keten_members_online", "gauge",
              "Members heard from within the heartbeat timeout");
    s_put (t, "keten_members_online %llu\n", (unsigned long long) s_uint (fed, "online"));
    s_family (t, "keten_alarms", "gauge", "Alarms raised over all members");
    s_put (t, "keten_alarms %llu\n", (unsigned long long) s_uint (fed, "alarms"));
    s_render_members (t, json_object_get (r, "members"), now);
    json_t *log = json_object_get (r, "log");
    s_family (t, "keten_log_size", "gauge", "Entries in the provenance log");
    s_put (t, "keten_log_size %llu\n", (unsigned long long) s_uint (log, "size"));
    json_t *stored = json_object_get (r, "stored");
    s_family (t, "keten_signals_stored", "gauge", "Signals in the weegploeg file");
    s_put (t, "keten_signals_stored %llu\n", (unsigned long long) s_uint (stored, "signals"));
    s_family (t, "keten_subjects_stored", "gauge", "Subjects in the weegploeg file");
    s_put (t, "keten_subjects_stored %llu\n", (unsigned long long) s_uint (stored, "subjects"));
}

char *
metrics_render_federation (json_t *status, uint64_t now_ms)
{
    text_t t = {0};
    s_render_federation (&t, status, now_ms);
    if (t.failed) {
        free (t.buf);
        return NULL;
    }
    return t.buf;
}

static void
s_render_uitvoerder (node_t *self, text_t *t, uint64_t now)
{
    json_t *r = json_object ();
    uitvoerder_status (self, r);
    s_render_federation (t, r, now);
    json_decref (r);
    json_t *incidents = incident_summary (self->incident, now);
    s_family (t, "keten_incidents_open", "gauge", "Incidents registered and not closed");
    s_put (t, "keten_incidents_open %llu\n", (unsigned long long) s_uint (incidents, "open"));
    json_decref (incidents);
}

static void
s_render_partner (node_t *self, text_t *t, uint64_t now)
{
    json_t *r = json_object ();
    partner_status (self, r);
    json_t *link = json_object_get (r, "link");
    json_t *outbox = json_object_get (r, "outbox");
    s_family (t, "keten_link_up", "gauge",
              "1 when the uitvoerder was heard from within the timeout");
    s_put (t, "keten_link_up %d\n", json_is_true (json_object_get (link, "up")) ? 1 : 0);
    s_family (t, "keten_link_last_seen_seconds", "gauge",
              "Seconds since the uitvoerder was last heard from (+Inf: never)");
    s_put (t, "keten_link_last_seen_seconds ");
    s_put_age (t, s_uint (link, "last_seen_ms"), now);
    s_family (t, "keten_link_rtt_seconds", "gauge", "Round trip to the uitvoerder, last measured");
    s_put (t, "keten_link_rtt_seconds %.6f\n", (double) s_uint (link, "rtt_us") / 1e6);
    s_family (t, "keten_outbox_pending", "gauge", "Messages in the outbox not yet settled");
    s_put (t, "keten_outbox_pending %llu\n", (unsigned long long) s_uint (outbox, "depth"));
    s_family (t, "keten_oldest_undelivered_seconds", "gauge",
              "Age of the oldest message in the outbox not yet settled");
    s_put (t, "keten_oldest_undelivered_seconds %.3f\n",
           (double) s_uint (outbox, "oldest_undelivered_ms") / 1000.0);
    s_family (t, "keten_outbox_delivered", "gauge", "Messages kept as delivered");
    s_put (t, "keten_outbox_delivered %llu\n", (unsigned long long) s_uint (outbox, "delivered"));
    s_family (t, "keten_outbox_refused", "gauge", "Messages kept as refused by the uitvoerder");
    s_put (t, "keten_outbox_refused %llu\n", (unsigned long long) s_uint (outbox, "refused"));
    s_family (t, "keten_checkpoint_size", "gauge",
              "Tree size of the newest log checkpoint verified (0: none)");
    s_put (t, "keten_checkpoint_size %llu\n", (unsigned long long) metrics_checkpoint_size (self));
    json_t *alarms = json_object_get (r, "alarms");
    s_family (t, "keten_alarm", "gauge", "1 while the alarm is raised at this node");
    for (size_t a = 0; a < sizeof s_partner_alarms / sizeof s_partner_alarms[0]; a++)
        s_put (t, "keten_alarm{alarm=\"%s\"} %d\n", s_partner_alarms[a],
               s_has_alarm (alarms, s_partner_alarms[a]) ? 1 : 0);
    json_decref (r);
}

char *
metrics_node_render (void *arg)
{
    node_t *self = arg;
    uint64_t now = kt_now_ms ();
    const roster_member_t *me = keyring_self_member (self->keyring);
    text_t t = {0};
    char id[80], kind[80], role[80];
    s_family (&t, "keten_up", "gauge", "1: ketend answers");
    s_put (&t, "keten_up 1\n");
    s_family (&t, "keten_info", "gauge", "This node, its kind, role and software version");
    s_put (&t, "keten_info{node=\"%s\",kind=\"%s\",role=\"%s\",version=\"%s\"} 1\n",
           s_label (id, sizeof id, me->id), s_label (kind, sizeof kind, me->kind),
           s_label (role, sizeof role, roster_role_name (me->role)), KETEN_VERSION);
    s_family (&t, "keten_uptime_seconds", "gauge", "Seconds since ketend started");
    s_put (&t, "keten_uptime_seconds %llu\n",
           (unsigned long long) ((now - self->started_ms) / 1000));
    s_family (&t, "keten_roster_version", "gauge", "Roster version this node runs");
    s_put (&t, "keten_roster_version %llu\n",
           (unsigned long long) keyring_roster (self->keyring)->version);
    s_family (&t, "keten_key_age_days", "gauge", "Days since this node's secret key file was made");
    s_put (&t, "keten_key_age_days %llu\n",
           (unsigned long long) (metrics_key_age_ms (self, now) / 86400000));
    if (self->uitvoerder)
        s_render_uitvoerder (self, &t, now);
    else
        s_render_partner (self, &t, now);
    if (t.failed) {
        free (t.buf);
        return NULL;
    }
    return t.buf;
}

/* ---- the node's status -------------------------------------------------- */

int
metrics_node_start (node_t *node, kt_reason_t *reason)
{
    if (!*node->config.metrics_listen)
        return 0;
    node->metrics =
        metrics_new (node->loop, node->config.metrics_listen, metrics_node_render, node, reason);
    if (!node->metrics)
        return -1;
    kt_log (KT_LOG_INFO, "metrics listening endpoint=%s", metrics_endpoint (node->metrics));
    return 0;
}

void
metrics_status (node_t *node, json_t *result)
{
    json_object_set_new (
        result, "key_age_days",
        json_integer ((json_int_t) (metrics_key_age_ms (node, kt_now_ms ()) / 86400000)));
    if (node->metrics)
        json_object_set_new (result, "metrics_listen",
                             json_string (metrics_endpoint (node->metrics)));
}

uint64_t
metrics_key_age_ms (const node_t *node, uint64_t now_ms)
{
    return node->key_created_ms && node->key_created_ms < now_ms ? now_ms - node->key_created_ms
                                                                 : 0;
}

uint64_t
metrics_checkpoint_size (node_t *node)
{
    if (!node->witness)
        return 0;
    /*  witness_status counts every kept receipt: ask it every tenth
     *  heartbeat, not on each one. */
    uint64_t now = kt_now_ms ();
    if (node->cp_verified_ms && now - node->cp_verified_ms < 10ull * node->config.heartbeat_ms)
        return node->cp_verified;
    json_t *w = witness_status (node->witness);
    node->cp_verified = s_uint (w, "checkpoint_size");
    node->cp_verified_ms = now;
    json_decref (w);
    return node->cp_verified;
}
