/*  libFuzzer harness: the local API's input side (daemon/core/apiserver.c)
 *  as a connected client drives it - bytes cut into length-prefixed
 *  frames, each parsed as a JSON request (or a binary ApiSubmit) and
 *  checked for its shape, the answers written back - through the server's own connection handler on
 *  a socketpair, so framing, limits, replies and closing all run as in
 *  ketend.  The handler answers every request (an error for one command,
 *  so both reply paths run) after walking its arguments.  apiserver.c is
 *  included to reach its connection handler, which is static. */
#include "../../daemon/core/apiserver.c"

#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static apiserver_t *s_server;
static zloop_t *s_loop;

static void
s_handler (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) arg;
    const char *key;
    json_t *value;
    size_t n = 0;
    json_object_foreach (args, key, value) n += strlen (key) + (json_is_string (value) ? 1 : 0);
    if (caller->binary) {
        /*  A binary request: its signals counted back as outcomes. */
        Keten__ApiSubmitted answer = KETEN__API_SUBMITTED__INIT;
        Keten__ApiOutcome outcome = KETEN__API_OUTCOME__INIT;
        Keten__ApiOutcome *list[1] = {&outcome};
        outcome.log_index = caller->submit->n_signals;
        answer.outcomes = list;
        answer.n_outcomes = 1;
        if (caller->submit->n_signals)
            apiserver_reply_submitted (s_server, caller, &answer);
        else
            apiserver_reply_error (s_server, caller, "no signals");
    } else if (strcmp (cmd, "refuse") == 0)
        apiserver_reply_error (s_server, caller, "refused");
    else
        apiserver_reply_ok (s_server, caller,
                            json_pack ("{s:s, s:I}", "cmd", cmd, "n", (json_int_t) n));
}

static void
s_flush (void *arg)
{
    (void) arg;
}

static char s_dir[] = "/tmp/keten-fuzz-api.XXXXXX";

/*  At exit: the server's socket and its directory go. */
static void
s_cleanup (void)
{
    char sock[64];
    snprintf (sock, sizeof sock, "%s/s", s_dir);
    unlink (sock);
    rmdir (s_dir);
}

static void
s_init (void)
{
    if (!mkdtemp (s_dir))
        abort ();
    atexit (s_cleanup);
    char sock[64];
    snprintf (sock, sizeof sock, "%s/s", s_dir);
    s_loop = zloop_new ();
    kt_reason_t r;
    s_server = apiserver_new (s_loop, sock, s_handler, s_flush, NULL, &r);
    if (!s_server)
        abort ();
    /*  The loop never runs here: no round of turns is scheduled on it,
     *  s_event runs them. */
    s_server->turn_timer = 0;
    kt_log_set_level (KT_LOG_ERROR);
}

/*  Read and drop what the server answered, so it never waits on us. */
static void
s_drain (int fd)
{
    uint8_t buf[65536];
    while (read (fd, buf, sizeof buf) > 0) {
    }
}

/*  An event of c, then the turns its requests wait for (s_turns, which
 *  the loop would run), its answers read as they come.  Whether c is
 *  still open. */
static bool
s_event (conn_t *c, zmq_pollitem_t *item, int peer, const char *key)
{
    s_conn_event (s_loop, item, c);
    s_drain (peer);
    while ((c = zhashx_lookup (s_server->conns, key)) && c->backlog) {
        s_turns_run (s_server);
        s_drain (peer);
    }
    return c != NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_server)
        s_init ();
    int sv[2];
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    /*  A connection as s_accept makes one. */
    conn_t *c = calloc (1, sizeof *c);
    if (!c) {
        close (sv[0]);
        close (sv[1]);
        return 0;
    }
    c->server = s_server;
    c->id = ++s_server->next_id;
    c->fd = sv[0];
    kt_reason_t why;
    if (!(c->cred = peercred_read (sv[0], &why))) {
        free (c);
        close (sv[0]);
        close (sv[1]);
        return 0;
    }
    c->active_ms = zclock_mono ();
    char key[24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) c->id);
    zhashx_insert (s_server->conns, key, c);
    zmq_pollitem_t pi = {NULL, sv[0], ZMQ_POLLIN, 0};
    zloop_poller (s_loop, &pi, s_conn_event, c);
    /*  The input in pieces as the socket takes them, each handled as it
     *  arrives; then the end of it (shutdown of the writing side): what
     *  was sent whole is answered, and the server closes. */
    zmq_pollitem_t item = {NULL, sv[0], 0, ZMQ_POLLIN | ZMQ_POLLOUT};
    size_t off = 0;
    bool open = true;
    while (open && off < size) {
        ssize_t n = write (sv[1], data + off, size - off);
        if (n > 0)
            off += (size_t) n;
        open = s_event (c, &item, sv[1], key);
        if (n <= 0 && open) {
            /*  The server took nothing more: it waits for us to read. */
            s_conn_close (c);
            open = false;
        }
    }
    if (open) {
        shutdown (sv[1], SHUT_WR);
        if (s_event (c, &item, sv[1], key))
            s_conn_close (c); /* an answer the socket did not take yet */
    }
    close (sv[1]);
    return 0;
}
