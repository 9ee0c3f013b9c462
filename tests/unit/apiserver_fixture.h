/*  The fixture of the local API server's tests (test_daemon_apiserver.c,
 *  test_daemon_apiserver_limits.c): a real Unix socket, a real zloop in
 *  its own thread, clients in the test's thread (and a child process).
 *
 *  A server is made in a test's setup and stopped in its teardown, which
 *  cmocka runs also after a failed assertion: no server thread outlives
 *  its test, and the clients a test opened are closed there too.
 *
 *  What its handler does, by cmd:
 *    "big"    an answer of APIFIX_BIG bytes (one with an integer "id"
 *             under APIFIX_COUNTED is counted in answered[id])
 *    "mid"    an answer of 300 KiB (under a frame: its buffer is kept)
 *    "huge"   an answer of more than 16 MiB
 *    "work"   about 100 us of the loop's time, counted in worked
 *    "sleep"  the loop asleep for 300 ms (sleeping is 1 meanwhile)
 *    "hold"   never answered (till the teardown), as a "wait" whose
 *             receipt does not come; so is a binary submission
 *    "later"  answered at the next flush (the node's group commit)
 *    "count"  { memory, connections, waits } of the server
 *    "admin-group"  args.gid made the admin group's gid (none without)
 *    else     what hook does, when it is set and says it answered;
 *             else answered ok at once
 *  Held callers whose connection closed are let go when the server says
 *  so (api_closed_fn), as a node's waiters for receipts are.  With
 *  answer_at_stop the loop's thread, once stopped, does what a stopping
 *  node does: answers every held caller (as the "queued" of a wait, with
 *  an answer of APIFIX_BIG), gives the answers finish_ms to go out
 *  (apiserver_finish), and closes the server.
 */
#ifndef KETEN_APISERVER_FIXTURE_H
#define KETEN_APISERVER_FIXTURE_H

#include "apiserver.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*  How long a client waits for what must come: generous, so that a
 *  loaded machine or valgrind, which run the server's loop far slower,
 *  fail no test that waits for what must come; what never comes still
 *  fails the test, after this. */
#define APIFIX_WAIT_MS 60000
/*  "big": an answer just under a frame. */
#define APIFIX_BIG (API_MAX_FRAME - 1024)
#define APIFIX_MID (300 * 1024)
/*  "big" requests with an "id" under this are counted when answered. */
#define APIFIX_COUNTED 16
#define APIFIX_FDS (API_MAX_CONNS + 64)

typedef struct apifix_s {
    char dir[64];
    char path[96];
    zloop_t *loop;
    apiserver_t *server;
    pthread_t thread;
    bool running;
    int stop;                     /* atomic: the loop thread returns */
    char *big;                    /* APIFIX_BIG 'x's */
    api_caller_t *held;           /* "hold": answered at the end (never) */
    size_t n_held;                /* atomic */
    size_t cap_held;              /* loop thread only */
    size_t dropped;               /* atomic: held callers let go, their connection closed */
    size_t closed_unsorted;       /* atomic: closed connections told out of order */
    bool answer_at_stop;          /* set before apifix_stop_begin */
    int finish_ms;
    api_caller_t later[64];       /* "later": answered at the flush */
    size_t n_later;               /* loop thread only */
    long worked;                  /* atomic: "work" requests handled */
    int sleeping;                 /* atomic: in "sleep" */
    int answered[APIFIX_COUNTED]; /* atomic: "big" answered, by request id */
    int fds[APIFIX_FDS];
    size_t n_fds;
    pid_t child; /* a client in a child process, killed at the teardown */
    /*  Set before the first request: answers cmd (true) or leaves it to
     *  the fixture (false); runs on the loop's thread. */
    bool (*hook) (struct apifix_s *f, const api_caller_t *caller, const char *cmd, json_t *args);
} apifix_t;

/*  cmocka's setup and teardown: *state is the apifix_t. */
int apifix_setup (void **state);
int apifix_teardown (void **state);

/*  The server's loop told to stop, and (end) its thread joined. */
void apifix_stop_begin (apifix_t *f);
void apifix_stop_end (apifix_t *f);

/*  A client connected (closed at the teardown if not before). */
int apifix_connect (apifix_t *f);
void apifix_close (apifix_t *f, int fd);

/*  body as a frame at buf (room for 4 + its length); the frame's length. */
size_t apifix_frame_of (uint8_t *buf, const char *body, size_t len);
/*  A request for cmd with id (none when negative) at buf (room for
 *  128); its length. */
size_t apifix_frame (uint8_t *buf, long id, const char *cmd);
/*  The same with args (JSON text, at most 96 bytes), room for 256. */
size_t apifix_frame_args (uint8_t *buf, long id, const char *cmd, const char *args);
/*  A binary submission of n signals of one byte each, with id and wait,
 *  at *buf (malloc'd); its length. */
size_t apifix_binary (uint8_t **buf, uint64_t id, size_t n, bool wait);
void apifix_send_all (int fd, const void *data, size_t len);
/*  Whether all of the request went (the server may have closed fd). */
bool apifix_try_ask (int fd, long id, const char *cmd);
void apifix_ask (int fd, long id, const char *cmd);

/*  Read len bytes, waiting at most APIFIX_WAIT_MS for each part; false
 *  when the connection closed or nothing came in time. */
bool apifix_read_all (int fd, void *buf, size_t len);
/*  The next answer on fd (new reference); NULL when the connection
 *  closed or nothing came. */
json_t *apifix_answer (int fd);
/*  The answer to cmd on fd (new reference), NULL when none came. */
json_t *apifix_call (int fd, long id, const char *cmd);
/*  j's error ("" when ok; NULL when j is NULL), kept in buf; j is
 *  released. */
const char *apifix_error_of (json_t *j, char *buf, size_t size);

/*  Whether the server closed fd, once all it sent is read (waits). */
bool apifix_eof (int fd);
/*  Whether the server closed fd, read or not (does not wait). */
bool apifix_closed_by_server (int fd);
/*  Whether cond (f, arg) comes true within APIFIX_WAIT_MS, asked every
 *  10 ms. */
bool apifix_eventually (bool (*cond) (apifix_t *, const void *), apifix_t *f, const void *arg);
/*  Whether at least n callers are held, within APIFIX_WAIT_MS. */
bool apifix_held (apifix_t *f, size_t n);
/*  What "count" answers for what ("memory", "connections", "waits"),
 *  asked on a connection of its own. */
long long apifix_count (apifix_t *f, const char *what);

#endif
