/*  apiserver: framed JSON over a Unix socket.  */
#include "apiserver.h"

#include "hourbudget.h"
#include "intake.h"
#include "peercred.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS API_MAX_CONNS
#define MAX_OUT API_MAX_ANSWER
/*  Answers queued for one connection while held (apiserver_hold). */
#define API_HELD_MAX (64 * 1024)
/*  What all connections' buffers may hold together.  Without it 256
 *  connections could hold 256 x (2 MiB in + 16 MiB out), 4.6 GB. */
#define MAX_MEMORY API_MAX_MEMORY
/*  Requests of one connection handled in one turn; the rest wait for its
 *  next turn, after every other connection's (a client that sends 50,000
 *  requests at once must not hold the node's loop for seconds). */
#define FRAMES_PER_TURN 64
/*  Of the MAX_CONNS slots, the last RESERVED_CONNS take only the
 *  operator (root, the daemon's own user, or a member of the admin
 *  group): a local client that opens connections without end cannot
 *  keep `keten status` out. */
#define RESERVED_CONNS 16
/*  A connection younger than this is not closed as idle to make room
 *  for a caller other than the operator: it has not had the time to send
 *  its request (a client opening connections without end closed the
 *  operator's before its request was read). */
#define IDLE_GRACE_MS 2000
/*  Connections taken in one event of the listener. */
#define ACCEPTS_PER_EVENT 64
/*  The warnings about connections logged one by one in an hour; the
 *  rest are counted (S_WARN).  A client opening connections without end
 *  made 7,600 lines a second, and journald drops a service's lines past
 *  10,000 in 30 s, real alarms with them. */
#define WARNINGS_LOGGED 100
/*  When accept fails for want of descriptors or memory, the connection
 *  stays queued and the level-triggered poll would report the listener
 *  again at once (the loop spun at 55-80 % CPU): the listener is taken
 *  out of the poll set this long instead, as the metrics server's is
 *  (daemon/core/httpd.c). */
#define ACCEPT_PAUSE_MS 1000
/*  A connection refused for want of a slot is kept open this long after
 *  its answer, at most REFUSED_KEPT of them: closed at once, a caller
 *  that sends its request after the refusal was answered (the CLI
 *  connects, then sends) sees the send fail, not the answer. */
#define REFUSED_KEEP_MS 1000
#define REFUSED_KEPT 16

typedef struct {
    apiserver_t *server;
    uint64_t id;
    int fd;
    /*  Who it is (uid, pid, groups), from the kernel at the accept: the
     *  rights of its requests are decided from it (peercred.h). */
    peercred_t *cred;
    uint8_t *in;
    size_t in_pos, in_len, in_cap; /* in[in_pos..in_len): read, not handled */
    uint8_t *out;
    size_t out_len, out_cap;
    short events;     /* what the poller watches (0: no poller) */
    bool backlog;     /* a whole request waits for its turn (s_turns) */
    bool eof;         /* the peer sent all it will (shut its writing side) */
    bool gone;        /* ... and closed: nothing it is sent is read */
    bool held;        /* answers queued while the server holds them */
    size_t pending;   /* requests read and not answered yet */
    size_t waits;     /* answers waited for among them (API_MAX_WAITS) */
    int64_t active_ms; /* last request read or answer sent (monotonic) */
} conn_t;

struct _apiserver_t {
    zloop_t *loop;
    int listen_fd;
    char path[108];
    api_handler_fn *handler;
    api_flush_fn *flush;
    void *arg;
    zhashx_t *conns; /* "%llu" id -> conn_t */
    int turn_timer;  /* the next round of turns (s_turns), or -1 */
    uint64_t next_id;
    size_t memory; /* every connection's in_cap + out_cap */
    /*  apiserver_hold: how deep, and the connections with answers queued
     *  meanwhile (by id: one may close before the release). */
    int holding;
    uint64_t *held;
    size_t n_held, cap_held;
    hour_budget_t warnings; /* S_WARN */
    int resume_timer;       /* the listener paused until it fires, or -1 */
    int refused[REFUSED_KEPT]; /* connections refused, answered, kept (or -1) */
    int64_t refused_until[REFUSED_KEPT];
    int refused_timer;      /* closes them (s_refused_close), or -1 */
    bool accept_failing;    /* no accept succeeded since the last pause */
    size_t waits;           /* every connection's waits */
    /*  Told of the connections closed with waits (s_closed_tell), by
     *  id, at the loop's next pass. */
    api_closed_fn *closed;
    uint64_t *closed_ids;
    size_t n_closed, cap_closed;
    int closed_timer; /* or -1 */
    bool groups_unknown_said; /* the kernel gave no caller's groups: said once */
    bool admin_set;   /* access/admin-group's members are operators too, */
    gid_t admin_gid;  /* ... its gid, resolved at the start */
};

static int s_conn_event (zloop_t *loop, zmq_pollitem_t *item, void *arg);
static int s_closed_tell (zloop_t *loop, int timer_id, void *arg);
static int s_next_frame (const conn_t *c, size_t *len);
static int s_conn_read (zloop_t *loop, zmq_pollitem_t *item, void *arg);

/*  Whether a warning about a connection is to be logged: the first
 *  WARNINGS_LOGGED of an hour are, the rest counted (said once when the
 *  budget runs out, and the count when its hour is over). */
static bool
s_warning_logged (apiserver_t *self)
{
    uint64_t now = kt_now_ms ();
    if (hour_budget_over (&self->warnings, now)) {
        if (self->warnings.counted > 0)
            kt_log (KT_LOG_WARN,
                    "api warnings_counted count=%llu: warnings about connections past the hour's "
                    "budget, not logged one by one",
                    (unsigned long long) self->warnings.counted);
        hour_budget_start (&self->warnings, now);
    }
    hour_budget_use_t use = hour_budget_take (&self->warnings, WARNINGS_LOGGED);
    if (use == HOUR_BUDGET_FIRST_COUNTED)
        kt_log (KT_LOG_WARN,
                "api warning_flood: over %d warnings about connections this hour; further ones "
                "are counted, not logged one by one",
                WARNINGS_LOGGED);
    return use == HOUR_BUDGET_TAKEN;
}

#define S_WARN(self, ...)                                                                          \
    do {                                                                                           \
        if (s_warning_logged (self))                                                               \
            kt_log (KT_LOG_WARN, __VA_ARGS__);                                                     \
    } while (0)

/*  Connection id closed with answers waited for: whoever keeps callers
 *  for them is told at the loop's next pass (s_closed_tell), not now -
 *  a close comes from inside an answer, while the caller's keeper may
 *  be going through its callers. */
static void
s_closed_note (apiserver_t *self, uint64_t id)
{
    if (!self->closed)
        return;
    if (self->n_closed == self->cap_closed) {
        size_t cap = self->cap_closed ? 2 * self->cap_closed : 16;
        uint64_t *grown = realloc (self->closed_ids, cap * sizeof *grown);
        if (!grown) {
            /*  Its callers stay kept until their answers come. */
            kt_log (KT_LOG_ERROR, "api closed_untold reason=\"out of memory\"");
            return;
        }
        self->closed_ids = grown;
        self->cap_closed = cap;
    }
    self->closed_ids[self->n_closed++] = id;
    if (self->closed_timer < 0)
        self->closed_timer = zloop_timer (self->loop, 0, 1, s_closed_tell, self);
}

static void
s_conn_close (conn_t *c)
{
    apiserver_t *self = c->server;
    if (c->waits > 0) {
        self->waits -= c->waits;
        s_closed_note (self, c->id);
    }
    zmq_pollitem_t item = {NULL, c->fd, 0, 0};
    zloop_poller_end (self->loop, &item);
    close (c->fd);
    self->memory -= c->in_cap + c->out_cap;
    free (c->in);
    free (c->out);
    peercred_unref (&c->cred);
    char key[24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) c->id);
    zhashx_delete (self->conns, key);
    free (c);
}

/*  Watch c for its requests, and for room for its answers while some
 *  are unsent or its requests wait for their turn (s_turns).  zloop
 *  passes over the pollers after the one whose handler changed any, so a
 *  change at each turn would keep the loop from the other connections:
 *  a connection waiting for its turn is watched for more requests (its
 *  event leaves them until its turn comes) and for room, for as long as
 *  it waits. */
static void
s_conn_arm (conn_t *c)
{
    /*  After the end of its requests nothing more is read (the poll would
     *  report the end again and again), but its hang-up is still watched:
     *  a client that shut its writing side and then closes altogether
     *  lets its waits go (s_conn_read). */
    short events =
        (short) ((c->eof ? 0 : ZMQ_POLLIN) | (c->out_len > 0 || c->backlog ? ZMQ_POLLOUT : 0) |
                 (c->eof && !c->gone ? ZMQ_POLLERR : 0));
    if (c->events == events)
        return;
    zmq_pollitem_t item = {NULL, c->fd, events, 0};
    zloop_poller_end (c->server->loop, &item);
    if (events)
        zloop_poller (c->server->loop, &item, s_conn_event, c);
    c->events = events;
}

/*  Whether c is done with: its peer sent all it will and every whole
 *  request in it was handled, and either every answer went out or the
 *  peer is gone and reads none.  A client that shuts down its writing
 *  side after its requests (socat, `nc -N`) still gets their answers. */
static bool
s_conn_done (const conn_t *c)
{
    size_t len;
    if (!c->eof || s_next_frame (c, &len) == 1)
        return false;
    return c->gone || (c->pending == 0 && c->out_len == 0 && c->in_pos == c->in_len);
}

/*  Make room for want more bytes of buffers, for the connection keep:
 *  empty buffers are let go first; then the connections holding the most
 *  unsent output (clients that do not read their answers) are closed;
 *  then those holding the largest
 *  part of a request they have not finished sending and waiting for no
 *  answer (else a few clients that each send most of a large frame and
 *  stop would keep every other caller out); keep never.  Whether there
 *  is room now. */
static bool
s_make_room (apiserver_t *self, const conn_t *keep, size_t want)
{
    /*  First the buffers of connections that hold nothing in them (idle
     *  ones keep a buffer of up to 128 KiB in and 1 MiB out between
     *  requests, made again at their next one): many such connections
     *  must not keep a new caller out either. */
    for (conn_t *c = zhashx_first (self->conns); c && self->memory + want > MAX_MEMORY;
         c = zhashx_next (self->conns)) {
        if (c == keep)
            continue;
        if (c->in_len == 0 && c->in_cap > 0) {
            self->memory -= c->in_cap;
            free (c->in);
            c->in = NULL;
            c->in_cap = 0;
        }
        if (c->out_len == 0 && c->out_cap > 0) {
            self->memory -= c->out_cap;
            free (c->out);
            c->out = NULL;
            c->out_cap = 0;
        }
    }
    while (self->memory + want > MAX_MEMORY) {
        conn_t *worst = NULL;
        for (conn_t *c = zhashx_first (self->conns); c; c = zhashx_next (self->conns))
            if (c != keep && c->out_len > 0 && (!worst || c->out_len > worst->out_len))
                worst = c;
        if (worst) {
            S_WARN (self, "api evicted reason=not_reading uid=%u unsent=%zu",
                    (unsigned) worst->cred->uid, worst->out_len);
            s_conn_close (worst);
            continue;
        }
        for (conn_t *c = zhashx_first (self->conns); c; c = zhashx_next (self->conns))
            if (c != keep && c->pending == 0 && !c->backlog && c->in_len > 0 &&
                (!worst || c->in_cap > worst->in_cap))
                worst = c;
        if (!worst)
            return false;
        S_WARN (self, "api evicted reason=request_unfinished uid=%u held=%zu",
                (unsigned) worst->cred->uid, worst->in_len);
        s_conn_close (worst);
    }
    return true;
}

/*  Write what we can; keep the rest for POLLOUT.  -1: the connection is
 *  dead or done with (s_conn_done): to be closed. */
static int
s_conn_flush (conn_t *c)
{
    size_t done = 0;
    while (done < c->out_len) {
        ssize_t n = send (c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return -1;
        done += (size_t) n;
    }
    if (done > 0) {
        memmove (c->out, c->out + done, c->out_len - done);
        c->out_len -= done;
    }
    if (c->out_len == 0 && c->out_cap > API_MAX_FRAME) {
        /*  A large answer went out: give its buffer back. */
        c->server->memory -= c->out_cap;
        free (c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    s_conn_arm (c);
    return s_conn_done (c) ? -1 : 0;
}

/*  The caller's connection; NULL when it has gone away. */
static conn_t *
s_caller_conn (apiserver_t *self, const api_caller_t *caller)
{
    char key[24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) caller->conn_id);
    return zhashx_lookup (self->conns, key);
}

/*  Queue one frame for caller, marked binary or not, and send what the
 *  socket takes. */
static void
s_send_frame (apiserver_t *self, const api_caller_t *caller, const void *data, size_t len)
{
    conn_t *c = s_caller_conn (self, caller);
    if (!c)
        return; /* the caller went away: nothing to answer */
    size_t frame = len + (caller->binary ? 1 : 0);
    if (frame + 4 > MAX_OUT) {
        /*  No client is to take more in one answer (docs/API.md): it is
         *  told so in place of the answer.  Once: that answer is small. */
        char error[96];
        snprintf (error, sizeof error, "answer too large (%zu bytes, limit %d MiB)", frame + 4,
                  MAX_OUT / (1024 * 1024));
        S_WARN (self, "api answer_too_large bytes=%zu uid=%u", frame + 4, (unsigned) c->cred->uid);
        apiserver_reply_error (self, caller, error);
        return;
    }
    if (c->pending)
        c->pending--;
    /*  Its waits end with its answer (at most once: a copy of the caller
     *  answered twice would be a bug). */
    size_t waits = caller->waits < c->waits ? caller->waits : c->waits;
    c->waits -= waits;
    self->waits -= waits;
    c->active_ms = zclock_mono ();
    if (c->gone)
        return; /* nobody reads it; its other requests are still handled */
    if (c->out_len + frame + 4 > MAX_OUT) {
        S_WARN (self, "api client_too_slow uid=%u", (unsigned) c->cred->uid);
        s_conn_close (c);
        return;
    }
    if (c->out_cap < c->out_len + frame + 4) {
        size_t cap = (c->out_len + frame + 4) * 2;
        if (cap > MAX_OUT + 4)
            cap = MAX_OUT + 4;
        uint8_t *o = s_make_room (self, c, cap - c->out_cap) ? realloc (c->out, cap) : NULL;
        if (!o) {
            S_WARN (self, "api memory_full uid=%u", (unsigned) c->cred->uid);
            s_conn_close (c);
            return;
        }
        self->memory += cap - c->out_cap;
        c->out = o;
        c->out_cap = cap;
    }
    uint8_t *p = c->out + c->out_len;
    p[0] = (uint8_t) (frame >> 24);
    p[1] = (uint8_t) (frame >> 16);
    p[2] = (uint8_t) (frame >> 8);
    p[3] = (uint8_t) frame;
    if (caller->binary)
        p[4] = API_BINARY;
    memcpy (p + 4 + (frame - len), data, len);
    c->out_len += frame + 4;
    /*  Held: small answers, to go in one send.  A connection with more
     *  queued sends now, as without a hold, so that a caller reading a
     *  row of large answers never needs them all queued at once. */
    if (self->holding && !c->held && c->out_len <= API_HELD_MAX) {
        if (self->n_held == self->cap_held) {
            size_t cap = self->cap_held ? 2 * self->cap_held : 16;
            uint64_t *grown = realloc (self->held, cap * sizeof *grown);
            if (grown) {
                self->held = grown;
                self->cap_held = cap;
            }
        }
        if (self->n_held < self->cap_held) {
            self->held[self->n_held++] = c->id;
            c->held = true;
        }
    }
    if ((!c->held || c->out_len > API_HELD_MAX) && s_conn_flush (c) != 0)
        s_conn_close (c);
}

void
apiserver_hold (apiserver_t *self)
{
    self->holding++;
}

void
apiserver_release (apiserver_t *self)
{
    if (self->holding == 0 || --self->holding > 0)
        return;
    for (size_t i = 0; i < self->n_held; i++) {
        char key[24];
        snprintf (key, sizeof key, "%llu", (unsigned long long) self->held[i]);
        conn_t *c = zhashx_lookup (self->conns, key);
        if (!c)
            continue; /* closed meanwhile */
        c->held = false;
        if (s_conn_flush (c) != 0)
            s_conn_close (c);
    }
    self->n_held = 0;
}

/*  An answer that could not be made (out of memory): the connection is
 *  closed, so that its caller learns at once instead of waiting for an
 *  answer that will not come. */
static void
s_answer_lost (apiserver_t *self, const api_caller_t *caller)
{
    conn_t *c = s_caller_conn (self, caller);
    kt_log (KT_LOG_ERROR, "api answer_lost reason=\"out of memory\" uid=%u",
            (unsigned) caller->uid);
    if (c)
        s_conn_close (c);
}

static void
s_send (apiserver_t *self, const api_caller_t *caller, json_t *response)
{
    char *text = json_dumps (response, JSON_COMPACT);
    json_decref (response);
    if (text)
        s_send_frame (self, caller, text, strlen (text));
    else
        s_answer_lost (self, caller);
    free (text);
}

void
apiserver_reply_submitted (apiserver_t *self, const api_caller_t *caller,
                           Keten__ApiSubmitted *answer)
{
    answer->id = caller->bin_id;
    size_t len = keten__api_submitted__get_packed_size (answer);
    uint8_t *buf = malloc (len ? len : 1);
    if (!buf) {
        s_answer_lost (self, caller);
        return;
    }
    keten__api_submitted__pack (answer, buf);
    s_send_frame (self, caller, buf, len);
    free (buf);
}

void
apiserver_reply_ok (apiserver_t *self, const api_caller_t *caller, json_t *result)
{
    if (caller->binary) {
        /*  Every handler a binary request reaches answers with
         *  apiserver_reply_submitted; this would be a bug of ours. */
        json_decref (result);
        kt_log (KT_LOG_ERROR, "api binary_answer_missing uid=%u", (unsigned) caller->uid);
        apiserver_reply_error (self, caller, "internal error: no binary form of this answer");
        return;
    }
    json_t *r = json_pack ("{s:O?, s:b, s:o}", "id", caller->req_id, "ok", 1, "result",
                           result ? result : json_object ());
    s_send (self, caller, r);
}

void
apiserver_reply_error (apiserver_t *self, const api_caller_t *caller, const char *error)
{
    if (caller->binary) {
        Keten__ApiSubmitted answer = KETEN__API_SUBMITTED__INIT;
        answer.error = (char *) error;
        apiserver_reply_submitted (self, caller, &answer);
        return;
    }
    json_t *r = json_pack ("{s:O?, s:b, s:s}", "id", caller->req_id, "ok", 0, "error", error);
    s_send (self, caller, r);
}

void
api_caller_copy (api_caller_t *dst, const api_caller_t *src)
{
    *dst = *src;
    dst->submit = NULL;
    if (dst->req_id)
        json_incref (dst->req_id);
    peercred_ref (dst->cred);
}

void
api_caller_clear (api_caller_t *caller)
{
    json_decref (caller->req_id);
    caller->req_id = NULL;
    peercred_unref (&caller->cred);
}

/*  The n answers caller waits for counted on c (n 0: none): whether
 *  they are within API_MAX_WAITS_CONN and API_MAX_WAITS; if not, the
 *  caller is answered why, and its request is not to be handled. */
static bool
s_waits_take (apiserver_t *self, conn_t *c, api_caller_t *caller, size_t n)
{
    char error[320];
    if (n == 0)
        return true;
    if (c->waits + n > API_MAX_WAITS_CONN)
        snprintf (error, sizeof error,
                  "this connection already waits for %zu answers (a request with wait one, a "
                  "binary submission with wait one per signal), and this request would make "
                  "%zu: at most %d on one connection; nothing of it was done: send it without "
                  "wait, or once earlier answers have come",
                  c->waits, c->waits + n, API_MAX_WAITS_CONN);
    else if (self->waits + n > API_MAX_WAITS)
        snprintf (error, sizeof error,
                  "ketend's local API already holds %zu answers waited for by all its callers, "
                  "and this request would make %zu: at most %d; nothing of it was done: send it "
                  "without wait, or again later",
                  self->waits, self->waits + n, API_MAX_WAITS);
    else {
        c->waits += n;
        self->waits += n;
        caller->waits = (uint32_t) n;
        return true;
    }
    S_WARN (self, "api waits_refused uid=%u connection_waits=%zu waits=%zu asked=%zu",
            (unsigned) c->cred->uid, c->waits, self->waits, n);
    apiserver_reply_error (self, caller, error);
    return false;
}

/*  A binary frame (API_BINARY, then a Keten__ApiSubmit): its shape
 *  checked here, its signals by the handler (intake). */
static void
s_request_binary (apiserver_t *self, conn_t *c, api_caller_t *caller, const uint8_t *data,
                  size_t len)
{
    caller->binary = true;
    Keten__ApiSubmit *submit = keten__api_submit__unpack (NULL, len, data);
    if (!submit) {
        apiserver_reply_error (self, caller, "the binary request is not an ApiSubmit message");
        return;
    }
    caller->bin_id = submit->id;
    caller->submit = submit;
    if (submit->base.n_unknown_fields)
        apiserver_reply_error (self, caller, "the binary request has fields ApiSubmit does not");
    else if (s_waits_take (self, c, caller, submit->wait ? submit->n_signals : 0))
        self->handler (self->arg, caller, "signal.submit", NULL);
    caller->submit = NULL;
    keten__api_submit__free_unpacked (submit, NULL);
}

static void s_request_json (apiserver_t *self, api_caller_t *caller, const uint8_t *data,
                            size_t len, conn_t *c);

/*  Decode one frame: the one place API input is checked for shape. */
static void
s_request (apiserver_t *self, conn_t *c, const uint8_t *data, size_t len)
{
    /*  The caller holds the connection's credentials for as long as it
     *  lives: a handler may answer (and so close the connection) before
     *  it is done with them. */
    api_caller_t caller = {
        .conn_id = c->id, .uid = c->cred->uid, .pid = c->cred->pid, .cred = peercred_ref (c->cred)};
    c->pending++;
    c->active_ms = zclock_mono ();
    if (data[0] == API_BINARY)
        s_request_binary (self, c, &caller, data + 1, len - 1);
    else
        s_request_json (self, &caller, data, len, c);
    api_caller_clear (&caller);
}

/*  A JSON frame, for caller (cleared by s_request). */
static void
s_request_json (apiserver_t *self, api_caller_t *caller, const uint8_t *data, size_t len, conn_t *c)
{
    json_error_t err;
    json_t *req = json_loadb ((const char *) data, len, JSON_REJECT_DUPLICATES, &err);
    if (!req) {
        /*  What is wrong and where, in words of ours: jansson's own text
         *  quotes the request near the error. */
        const char *what = json_error_code (&err) == json_error_invalid_syntax
                               ? "a syntax error"
                               : intake_json_error (&err);
        char error[160];
        snprintf (error, sizeof error, "request is not valid JSON: %s at line %d, column %d", what,
                  err.line, err.column);
        apiserver_reply_error (self, caller, error);
        return;
    }
    if (!json_is_object (req)) {
        apiserver_reply_error (self, caller, "request is not a JSON object");
        json_decref (req);
        return;
    }
    /*  The id is kept for as long as the answer takes (a "wait", until
     *  its receipt): bounded, or 300 ids of 900 KiB took 270 MiB. */
    json_t *id = json_object_get (req, "id");
    size_t id_len = id ? json_dumpb (id, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    if (id_len > API_MAX_ID) {
        char error[96];
        snprintf (error, sizeof error, "the request's id is %zu bytes of JSON; at most %d", id_len,
                  API_MAX_ID);
        apiserver_reply_error (self, caller, error);
        json_decref (req);
        return;
    }
    caller->req_id = id;
    if (caller->req_id)
        json_incref (caller->req_id);
    json_t *cmd = json_object_get (req, "cmd");
    json_t *args = json_object_get (req, "args");
    if (!json_is_string (cmd))
        apiserver_reply_error (self, caller, "request has no cmd string");
    else if (json_string_length (cmd) > 64) {
        char error[64];
        snprintf (error, sizeof error, "cmd is %zu bytes; at most 64", json_string_length (cmd));
        apiserver_reply_error (self, caller, error);
    } else if (args && !json_is_object (args))
        apiserver_reply_error (self, caller, "args must be an object");
    else if (s_waits_take (self, c, caller, json_is_true (json_object_get (args, "wait"))))
        self->handler (self->arg, caller, json_string_value (cmd), args);
    json_decref (req);
}

/*  The request at c's read position: 1 when it is all there (its length
 *  in *len), 0 when not yet, -1 when its length is one no frame has. */
static int
s_next_frame (const conn_t *c, size_t *len)
{
    if (c->in_len - c->in_pos < 4)
        return 0;
    const uint8_t *p = c->in + c->in_pos;
    *len = (size_t) p[0] << 24 | (size_t) p[1] << 16 | (size_t) p[2] << 8 | p[3];
    if (*len == 0 || *len > API_MAX_FRAME)
        return -1;
    return c->in_len - c->in_pos - 4 >= *len ? 1 : 0;
}

/*  One turn of c: at most FRAMES_PER_TURN of the requests it sent
 *  handled, the rest left for its next turn (c->backlog).  false when c
 *  was closed. */
static bool
s_conn_turn (conn_t *c)
{
    apiserver_t *self = c->server;
    char key[24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) c->id);
    size_t len = 0;
    int next = s_next_frame (c, &len);
    for (int i = 0; i < FRAMES_PER_TURN && next == 1; i++) {
        const uint8_t *p = c->in + c->in_pos + 4;
        c->in_pos += 4 + len;
        s_request (self, c, p, len);
        /*  A reply may have closed the connection. */
        if (!zhashx_lookup (self->conns, key))
            return false;
        next = s_next_frame (c, &len);
    }
    if (next < 0) {
        S_WARN (self, "api frame_refused bytes=%zu uid=%u", len, (unsigned) c->cred->uid);
        s_conn_close (c);
        return false;
    }
    c->backlog = next == 1;
    if (c->eof && !c->backlog && c->in_pos < c->in_len) {
        S_WARN (self,
                "api request_unfinished uid=%u bytes=%zu: the client ended its requests in the "
                "middle of one; that part is dropped",
                (unsigned) c->cred->uid, c->in_len - c->in_pos);
        c->in_pos = c->in_len;
    }
    if (c->in_pos == c->in_len) {
        c->in_pos = c->in_len = 0;
        if (c->in_cap > 131072) {
            /*  A large request was read: give its buffer back. */
            self->memory -= c->in_cap;
            free (c->in);
            c->in = NULL;
            c->in_cap = 0;
        }
    }
    return true;
}

static int s_turns (zloop_t *loop, int timer_id, void *arg);

/*  After an event or a turn of c, its answers sent: closed when done
 *  with, else watched for what it needs. */
static void
s_conn_settle (conn_t *c)
{
    if (s_conn_done (c))
        s_conn_close (c);
    else
        s_conn_arm (c);
}

/*  A round of turns at the loop's next pass when a connection has
 *  requests waiting: the loop polls the other connections in between. */
static void
s_turns_schedule (apiserver_t *self)
{
    if (self->turn_timer >= 0)
        return;
    for (conn_t *c = zhashx_first (self->conns); c; c = zhashx_next (self->conns))
        if (c->backlog) {
            self->turn_timer = zloop_timer (self->loop, 0, 1, s_turns, self);
            return;
        }
}

/*  Every connection with requests waiting gets one turn, then the node
 *  commits what they submitted (group commit). */
static void
s_turns_run (apiserver_t *self)
{
    uint64_t ids[MAX_CONNS];
    size_t n = 0;
    for (conn_t *c = zhashx_first (self->conns); c && n < MAX_CONNS; c = zhashx_next (self->conns))
        if (c->backlog)
            ids[n++] = c->id;
    apiserver_hold (self);
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf (key, sizeof key, "%llu", (unsigned long long) ids[i]);
        conn_t *c = zhashx_lookup (self->conns, key);
        if (c && c->backlog)
            s_conn_turn (c); /* the connections are looked up by id: one may close */
    }
    self->flush (self->arg);
    apiserver_release (self);
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf (key, sizeof key, "%llu", (unsigned long long) ids[i]);
        conn_t *c = zhashx_lookup (self->conns, key);
        if (c)
            s_conn_settle (c);
    }
}

static int
s_turns (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    apiserver_t *self = arg;
    self->turn_timer = -1;
    s_turns_run (self);
    s_turns_schedule (self);
    return 0;
}

static int
s_conn_event (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    conn_t *c = arg;
    apiserver_t *self = c->server;
    char key[24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) c->id);
    apiserver_hold (self);
    int rc = s_conn_read (loop, item, c);
    apiserver_release (self);
    if ((c = zhashx_lookup (self->conns, key)))
        s_conn_settle (c);
    s_turns_schedule (self);
    return rc;
}

/*  Room in c's buffer for more bytes; false when c was closed. */
static bool
s_conn_grow (conn_t *c)
{
    apiserver_t *self = c->server;
    if (c->in_pos > 0) {
        /*  What is left of a request not all read yet, to the front. */
        memmove (c->in, c->in + c->in_pos, c->in_len - c->in_pos);
        c->in_len -= c->in_pos;
        c->in_pos = 0;
    }
    if (c->in_cap - c->in_len >= 65536)
        return true;
    size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
    /*  Doubling from 128 KiB reaches 2 MiB: room for one whole
     *  frame of API_MAX_FRAME plus the start of the next. */
    if (cap > 2 * (size_t) (API_MAX_FRAME + 4)) {
        s_conn_close (c);
        return false;
    }
    uint8_t *in = s_make_room (self, c, cap - c->in_cap) ? realloc (c->in, cap) : NULL;
    if (!in) {
        S_WARN (self, "api memory_full uid=%u", (unsigned) c->cred->uid);
        s_conn_close (c);
        return false;
    }
    self->memory += cap - c->in_cap;
    c->in = in;
    c->in_cap = cap;
    return true;
}

/*  A connection's event: what it sends read, and its first turn taken
 *  (the answers held and sent together, s_conn_event). */
static int
s_conn_read (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    conn_t *c = arg;
    apiserver_t *self = c->server;
    if (item->revents & ZMQ_POLLOUT && s_conn_flush (c) != 0) {
        s_conn_close (c);
        return 0;
    }
    if (c->eof && !c->gone && (item->revents & ZMQ_POLLERR)) {
        /*  Hung up (or failed) after its end of requests: nobody reads
         *  the answers left, so it is done with (s_conn_done). */
        c->gone = true;
        return 0;
    }
    if (!(item->revents & (ZMQ_POLLIN | ZMQ_POLLERR)) || c->backlog || c->eof)
        return 0;
    for (;;) {
        if (!s_conn_grow (c))
            return 0;
        ssize_t n = recv (c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            s_conn_close (c);
            self->flush (self->arg);
            return 0;
        }
        if (n == 0) {
            /*  The end of its requests: those read are still handled and
             *  answered (s_conn_done), unless it closed altogether. */
            struct pollfd p = {c->fd, 0, 0};
            c->eof = true;
            c->gone = poll (&p, 1, 0) == 1 && (p.revents & POLLHUP);
            break;
        }
        c->in_len += (size_t) n;
        if (c->in_len >= API_MAX_FRAME)
            break;
    }
    (void) s_conn_turn (c);
    self->flush (self->arg);
    return 0;
}

/*  Whether cred is the operator's: root, the daemon's own user, or a
 *  member of the admin group (its primary group or a supplementary one,
 *  as the rights of commands are checked), from the connection's own
 *  credentials: no name service is asked on the loop.  The last
 *  RESERVED_CONNS slots are theirs alone. */
static bool
s_operator (apiserver_t *self, const peercred_t *cred)
{
    return cred->uid == 0 || cred->uid == geteuid () ||
           (self->admin_set && peercred_in_group (cred, self->admin_gid));
}

/*  Close the connection idle longest (no request waiting for its turn or
 *  an answer) that has been idle for at least grace_ms.  Whether one
 *  was. */
static bool
s_evict_idle (apiserver_t *self, int64_t grace_ms)
{
    int64_t now = zclock_mono ();
    conn_t *idle = NULL;
    for (conn_t *c = zhashx_first (self->conns); c; c = zhashx_next (self->conns))
        if (c->pending == 0 && !c->backlog && !c->eof && now - c->active_ms >= grace_ms &&
            (!idle || c->active_ms < idle->active_ms))
            idle = c;
    if (!idle)
        return false;
    S_WARN (self, "api evicted reason=idle uid=%u", (unsigned) idle->cred->uid);
    s_conn_close (idle);
    return true;
}

/*  A slot for a new connection of uid, made if need be: the operator's
 *  CLI always gets in unless every slot waits for an answer; another
 *  caller gets one of the slots not reserved, at the cost of a
 *  connection idle for IDLE_GRACE_MS at least.  Whether there is one. */
static bool
s_slot (apiserver_t *self, const peercred_t *cred, bool *op_p)
{
    if (zhashx_size (self->conns) < MAX_CONNS - RESERVED_CONNS)
        return true;
    bool op = *op_p = s_operator (self, cred);
    size_t limit = op ? MAX_CONNS : MAX_CONNS - RESERVED_CONNS;
    while (zhashx_size (self->conns) >= limit)
        if (!s_evict_idle (self, op ? 0 : IDLE_GRACE_MS))
            return false;
    return true;
}

/*  Close refused connection i (what it sent since read and dropped
 *  first: one closed with bytes unread is reset). */
static void
s_refused_end (apiserver_t *self, int i)
{
    char sink[4096];
    for (int k = 0; k < 16 && recv (self->refused[i], sink, sizeof sink, MSG_DONTWAIT) > 0; k++)
        ;
    close (self->refused[i]);
    self->refused[i] = -1;
}

static int
s_refused_close (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    apiserver_t *self = arg;
    self->refused_timer = -1;
    int64_t now = zclock_mono ();
    bool kept = false;
    for (int i = 0; i < REFUSED_KEPT; i++)
        if (self->refused[i] >= 0 && now >= self->refused_until[i])
            s_refused_end (self, i);
        else if (self->refused[i] >= 0)
            kept = true;
    if (kept)
        self->refused_timer = zloop_timer (loop, REFUSED_KEEP_MS / 4, 1, s_refused_close, self);
    return 0;
}

/*  fd, refused and answered, kept open for REFUSED_KEEP_MS (the one
 *  kept longest closed for it when all places are taken). */
static void
s_refused_keep (apiserver_t *self, int fd)
{
    int slot = 0;
    for (int i = 0; i < REFUSED_KEPT; i++) {
        if (self->refused[i] < 0) {
            slot = i;
            break;
        }
        if (self->refused_until[i] < self->refused_until[slot])
            slot = i;
    }
    if (self->refused[slot] >= 0)
        s_refused_end (self, slot);
    self->refused[slot] = fd;
    self->refused_until[slot] = zclock_mono () + REFUSED_KEEP_MS;
    if (self->refused_timer < 0)
        self->refused_timer =
            zloop_timer (self->loop, REFUSED_KEEP_MS / 4, 1, s_refused_close, self);
}

/*  No slot for a new connection of uid (the operator's with op): it is
 *  told why in an answer (with no id: its request is not read), then
 *  closed (s_refused_keep). */
static void
s_refuse (apiserver_t *self, int fd, uid_t uid, bool op)
{
    size_t waiting = 0;
    for (conn_t *c = zhashx_first (self->conns); c; c = zhashx_next (self->conns))
        waiting += c->pending > 0 || c->backlog;
    char error[256];
    if (op)
        snprintf (error, sizeof error,
                  "ketend's local API is full: all its %d connections wait for answers; "
                  "try again later",
                  MAX_CONNS);
    else
        snprintf (error, sizeof error,
                  "ketend's local API is full: its %d connections for callers other than root, "
                  "the daemon's user and the admin group are in use, %zu of its %zu connections "
                  "wait for answers and the others are younger than %d s; try again later",
                  MAX_CONNS - RESERVED_CONNS, waiting, zhashx_size (self->conns),
                  IDLE_GRACE_MS / 1000);
    S_WARN (self, "api connection_refused uid=%u connections=%zu waiting=%zu", (unsigned) uid,
            zhashx_size (self->conns), waiting);
    json_t *answer = json_pack ("{s:n, s:b, s:s}", "id", "ok", 0, "error", error);
    char *text = answer ? json_dumps (answer, JSON_COMPACT) : NULL;
    json_decref (answer);
    if (text) {
        size_t len = strlen (text);
        uint8_t frame[512];
        if (len + 4 <= sizeof frame) {
            frame[0] = (uint8_t) (len >> 24);
            frame[1] = (uint8_t) (len >> 16);
            frame[2] = (uint8_t) (len >> 8);
            frame[3] = (uint8_t) len;
            memcpy (frame + 4, text, len);
            (void) !send (fd, frame, len + 4, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
    }
    free (text);
    shutdown (fd, SHUT_WR); /* the answer is all: the caller reads its end */
    s_refused_keep (self, fd);
}

static int s_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg);

static int
s_listen_resume (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    apiserver_t *self = arg;
    self->resume_timer = -1;
    zmq_pollitem_t pi = {NULL, self->listen_fd, ZMQ_POLLIN, 0};
    if (zloop_poller (loop, &pi, s_accept, self) != 0)
        /*  Out of memory: try again after another pause. */
        self->resume_timer = zloop_timer (loop, ACCEPT_PAUSE_MS, 1, s_listen_resume, self);
    return 0;
}

/*  accept failed with err (EMFILE, ENFILE, ENOBUFS, ENOMEM...), which a
 *  retry now would not change: the listener rests ACCEPT_PAUSE_MS.  Said
 *  once per run of failures, not once per pause. */
static void
s_listen_pause (apiserver_t *self, int err)
{
    zmq_pollitem_t pi = {NULL, self->listen_fd, 0, 0};
    zloop_poller_end (self->loop, &pi);
    self->resume_timer = zloop_timer (self->loop, ACCEPT_PAUSE_MS, 1, s_listen_resume, self);
    if (!self->accept_failing)
        S_WARN (self, "api accept_failed reason=\"%s\" pause_ms=%d", strerror (err),
                ACCEPT_PAUSE_MS);
    self->accept_failing = true;
}

static int
s_accept (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    apiserver_t *self = arg;
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (fd < 0) {
            s_listen_pause (self, errno);
            return 0;
        }
        self->accept_failing = false;
        /*  Who it is, once for all its requests: uid, gid and groups
         *  from the kernel (peercred.h). */
        kt_reason_t why;
        peercred_t *cred = peercred_read (fd, &why);
        if (!cred) {
            S_WARN (self, "api connection_dropped reason=\"%s\"", why.text);
            close (fd);
            continue;
        }
        if (!cred->groups_known && !self->groups_unknown_said) {
            self->groups_unknown_said = true;
            kt_log (KT_LOG_WARN, "api peer_groups_unknown: the kernel does not give a caller's "
                                 "supplementary groups (SO_PEERGROUPS, Linux 4.13 and later); "
                                 "only a caller's primary group counts for its rights");
        }
        bool op = false;
        if (!s_slot (self, cred, &op)) {
            s_refuse (self, fd, cred->uid, op);
            peercred_unref (&cred);
            continue;
        }
        conn_t *c = calloc (1, sizeof *c);
        if (!c) {
            peercred_unref (&cred);
            close (fd);
            continue;
        }
        c->server = self;
        c->id = ++self->next_id;
        c->fd = fd;
        c->cred = cred;
        c->active_ms = zclock_mono ();
        char key[24];
        snprintf (key, sizeof key, "%llu", (unsigned long long) c->id);
        zhashx_insert (self->conns, key, c);
        zmq_pollitem_t pi = {NULL, fd, ZMQ_POLLIN, 0};
        zloop_poller (self->loop, &pi, s_conn_event, c);
        c->events = ZMQ_POLLIN;
    }
    return 0;
}

apiserver_t *
apiserver_new (zloop_t *loop, const char *path, api_handler_fn *handler, api_flush_fn *flush,
               void *arg, kt_reason_t *reason)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen (path) >= sizeof addr.sun_path) {
        kt_fail (reason, "socket path %s is too long", path);
        return NULL;
    }
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
    /*  Remove a stale socket from an earlier run, but never another file. */
    struct stat st;
    if (lstat (path, &st) == 0) {
        if (!S_ISSOCK (st.st_mode)) {
            kt_fail (reason, "%s exists and is not a socket", path);
            return NULL;
        }
        int probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect (probe, (struct sockaddr *) &addr, sizeof addr) == 0) {
            close (probe);
            kt_fail (reason, "another ketend is already listening on %s", path);
            return NULL;
        }
        if (probe >= 0)
            close (probe);
        unlink (path);
    }
    apiserver_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->handler = handler;
    self->flush = flush;
    self->arg = arg;
    snprintf (self->path, sizeof self->path, "%s", path);
    self->conns = zhashx_new ();
    self->turn_timer = -1;
    self->resume_timer = -1;
    self->refused_timer = -1;
    self->closed_timer = -1;
    for (int i = 0; i < REFUSED_KEPT; i++)
        self->refused[i] = -1;
    self->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old = umask (0117); /* socket file 0660 */
    int rc =
        self->listen_fd < 0 ? -1 : bind (self->listen_fd, (struct sockaddr *) &addr, sizeof addr);
    umask (old);
    if (rc != 0 || listen (self->listen_fd, 64) != 0) {
        kt_fail (reason, "cannot listen on %s: %s", path, strerror (errno));
        if (self->listen_fd >= 0)
            close (self->listen_fd);
        zhashx_destroy (&self->conns);
        free (self);
        return NULL;
    }
    zmq_pollitem_t pi = {NULL, self->listen_fd, ZMQ_POLLIN, 0};
    zloop_poller (loop, &pi, s_accept, self);
    return self;
}

size_t
apiserver_memory (apiserver_t *self)
{
    return self->memory;
}

size_t
apiserver_connections (apiserver_t *self)
{
    return zhashx_size (self->conns);
}

size_t
apiserver_waits (apiserver_t *self)
{
    return self->waits;
}

void
apiserver_on_closed (apiserver_t *self, api_closed_fn *closed)
{
    self->closed = closed;
}

void
apiserver_set_admin_group (apiserver_t *self, const gid_t *gid)
{
    self->admin_set = gid != NULL;
    self->admin_gid = gid ? *gid : 0;
}

bool
apiserver_caller_open (apiserver_t *self, const api_caller_t *caller)
{
    return s_caller_conn (self, caller) != NULL;
}

/*  Tell the keeper of callers of the connections closed with waits
 *  since the last time (s_closed_note). */
int
apiserver_conn_id_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

static int
s_closed_tell (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    apiserver_t *self = arg;
    self->closed_timer = -1;
    /*  Taken out first: letting a caller go may close another. */
    uint64_t *ids = self->closed_ids;
    size_t n = self->n_closed;
    self->closed_ids = NULL;
    self->n_closed = self->cap_closed = 0;
    /*  One call for all: the keeper goes through its callers once. */
    qsort (ids, n, sizeof *ids, apiserver_conn_id_cmp);
    self->closed (self->arg, ids, n);
    free (ids);
    return 0;
}

/*  The connections with answers not sent yet, and their pollfds (POLLOUT),
 *  at most MAX_CONNS; how many. */
static size_t
s_unsent (apiserver_t *self, conn_t **conns, struct pollfd *fds)
{
    size_t n = 0;
    for (conn_t *c = zhashx_first (self->conns); c && n < MAX_CONNS; c = zhashx_next (self->conns))
        if (c->out_len > 0 && !c->gone) {
            conns[n] = c;
            fds[n] = (struct pollfd){c->fd, POLLOUT, 0};
            n++;
        }
    return n;
}

void
apiserver_finish (apiserver_t *self, int timeout_ms)
{
    if (self->holding > 0) {
        self->holding = 1;
        apiserver_release (self);
    }
    int64_t end = zclock_mono () + timeout_ms;
    conn_t *conns[MAX_CONNS];
    struct pollfd fds[MAX_CONNS];
    size_t n;
    while ((n = s_unsent (self, conns, fds)) > 0) {
        int64_t left = end - zclock_mono ();
        if (left <= 0) {
            S_WARN (self, "api answers_unsent connections=%zu: ketend stops without them", n);
            return;
        }
        int rc = poll (fds, n, (int) left);
        if (rc < 0 && errno != EINTR)
            return;
        for (size_t i = 0; rc > 0 && i < n; i++)
            if (fds[i].revents && s_conn_flush (conns[i]) != 0)
                s_conn_close (conns[i]);
    }
}

void
apiserver_destroy (apiserver_t **self_p)
{
    apiserver_t *self = *self_p;
    if (!self)
        return;
    conn_t *c;
    while ((c = zhashx_first (self->conns)))
        s_conn_close (c);
    if (self->warnings.counted > 0)
        kt_log (KT_LOG_WARN,
                "api warnings_counted count=%llu: warnings about connections past the hour's "
                "budget, not logged one by one",
                (unsigned long long) self->warnings.counted);
    zmq_pollitem_t pi = {NULL, self->listen_fd, 0, 0};
    zloop_poller_end (self->loop, &pi);
    if (self->turn_timer >= 0)
        zloop_timer_end (self->loop, self->turn_timer);
    if (self->resume_timer >= 0)
        zloop_timer_end (self->loop, self->resume_timer);
    if (self->refused_timer >= 0)
        zloop_timer_end (self->loop, self->refused_timer);
    if (self->closed_timer >= 0)
        zloop_timer_end (self->loop, self->closed_timer);
    for (int i = 0; i < REFUSED_KEPT; i++)
        if (self->refused[i] >= 0)
            s_refused_end (self, i);
    close (self->listen_fd);
    unlink (self->path);
    zhashx_destroy (&self->conns);
    free (self->held);
    free (self->closed_ids);
    free (self);
    *self_p = NULL;
}
