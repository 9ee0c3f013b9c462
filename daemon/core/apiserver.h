/*  apiserver: the local API (docs/API.md) on a Unix stream socket, driven
 *  by the node's zloop.  The caller's uid and pid come from the kernel
 *  (SO_PEERCRED), never from the request.  Every request is answered
 *  exactly once, possibly later (a submission answers after its group
 *  commit, a "wait" after its receipt).
 */
#ifndef KETEN_APISERVER_H
#define KETEN_APISERVER_H

#include "keten.pb-c.h"
#include "peercred.h"
#include "util.h"

#include <czmq.h>
#include <jansson.h>
#include <sys/types.h>

#define API_MAX_FRAME (1024 * 1024)
/*  Limits (apiserver.c): 256 connections, the last 16 of them for the
 *  operator only (root, the daemon's own user, the admin group), a frame
 *  of API_MAX_FRAME in, 16 MiB of answers waiting per connection, 64 MiB
 *  of buffers in all.  When the slots are full the connection idle
 *  longest (no request waiting for its answer) is closed for a new one -
 *  for a caller other than the operator only one idle for 2 s at least - and
 *  when none is, the new one is answered why and closed; when the memory
 *  is full, the connections holding the most unsent answers are closed,
 *  then those holding the most of a request they have not finished
 *  sending. */
#define API_MAX_CONNS 256
/*  A request's "id", as compact JSON, is at most this many bytes (it is
 *  kept until the answer, which may take long). */
#define API_MAX_ID 256
#define API_MAX_MEMORY (64 * 1024 * 1024)
/*  The largest answer frame, its 4-byte length included (the 16 MiB
 *  above).  A handler that must know before it acts whether its answer
 *  will go (request.answer closes a request) counts the envelope around
 *  its result too: {"id":ID,"ok":true,"result":...}, the id at most
 *  API_MAX_ID bytes. */
#define API_MAX_ANSWER (16 * 1024 * 1024)
/*  Answers waited for: a request whose args say "wait": true counts one,
 *  a binary submission with wait one per signal (the node keeps a caller
 *  for each until its receipt, which may take hours while the uitvoerder
 *  is away).  Counted from the request until its answer, or until its
 *  connection closes: at most API_MAX_WAITS_CONN on one connection and
 *  API_MAX_WAITS in all.  A request past either is refused with why,
 *  and nothing of it is done. */
#define API_MAX_WAITS_CONN 16384
#define API_MAX_WAITS 65536
/*  How long a stop gives the answers not sent yet (apiserver_finish). */
#define API_STOP_FLUSH_MS 2000

typedef struct _apiserver_t apiserver_t;

/*  A frame whose first byte is API_BINARY holds a Keten__ApiSubmit
 *  (docs/API.md, "Binary submissions"); it reaches the handler as the
 *  command "signal.submit" without args, and every answer to it is a
 *  frame of API_BINARY and a Keten__ApiSubmitted.  A JSON frame never
 *  starts with this byte. */
#define API_BINARY 0x00

/*  Who asked, and how to answer: copyable; release with api_caller_clear. */
typedef struct {
    uint64_t conn_id;
    json_t *req_id; /* owned reference */
    uid_t uid;
    pid_t pid;
    /*  The connection's credentials, groups included, as the kernel gave
     *  them at the accept (one reference, let go by api_caller_clear):
     *  a right is peercred_in_group of these, never a name service
     *  lookup.  NULL in a caller made by hand: in no group. */
    peercred_t *cred;
    bool binary;     /* answered with Keten__ApiSubmitted frames */
    uint64_t bin_id; /* binary: the request's id */
    /*  binary: the request, decoded; borrowed for the handler's call
     *  only (a copy has NULL). */
    const Keten__ApiSubmit *submit;
    /*  The answers waited for that this request counts (API_MAX_WAITS),
     *  given back with its answer. */
    uint32_t waits;
} api_caller_t;

/*  Handle one request; must lead to exactly one apiserver_reply_* for
 *  this caller (now or later).  caller is borrowed: copy it to answer
 *  later.  args is borrowed (may be NULL). */
typedef void (api_handler_fn) (void *arg, const api_caller_t *caller, const char *cmd,
                               json_t *args);
/*  Called after every batch of requests read from a connection, so the
 *  node can commit them together (group commit). */
typedef void (api_flush_fn) (void *arg);

/*  The connections conn_ids (n of them, in ascending order) closed while
 *  requests of them waited for answers: nothing can answer them now,
 *  and the callers kept for them can be let go (their requests still
 *  take effect).  Called from the loop after the closes, once for all
 *  those of a pass, never from inside an apiserver_reply_*. */
typedef void (api_closed_fn) (void *arg, const uint64_t *conn_ids, size_t n);
/*  The order of those ids (qsort, bsearch over uint64_t). */
int apiserver_conn_id_cmp (const void *a, const void *b);

apiserver_t *apiserver_new (zloop_t *loop, const char *path, api_handler_fn *handler,
                            api_flush_fn *flush, void *arg, kt_reason_t *reason);
/*  ketend stops: the answers not sent yet (the "queued" of the callers
 *  that waited) go out while their callers read them, for at most
 *  timeout_ms; apiserver_destroy then closes what is left. */
void apiserver_finish (apiserver_t *self, int timeout_ms);
void apiserver_destroy (apiserver_t **self_p);

/*  closed is told of connections closed with answers waited for (arg:
 *  apiserver_new's); NULL: nobody is. */
void apiserver_on_closed (apiserver_t *self, api_closed_fn *closed);
/*  The callers in group gid (access/admin-group, resolved at the start;
 *  NULL: none) get the reserved slots too, as root and the daemon's own
 *  user do.  Their groups are those of their connection (peercred.h). */
void apiserver_set_admin_group (apiserver_t *self, const gid_t *gid);
/*  Whether caller's connection is open: whether to keep it for a later
 *  answer at all. */
bool apiserver_caller_open (apiserver_t *self, const api_caller_t *caller);

/*  Bytes of buffers held by all connections, how many there are, and
 *  the answers waited for in all (API_MAX_WAITS). */
size_t apiserver_memory (apiserver_t *self);
size_t apiserver_connections (apiserver_t *self);
size_t apiserver_waits (apiserver_t *self);

/*  Between apiserver_hold and apiserver_release (nested: the outermost
 *  release counts) answers are queued and each connection's go out in
 *  one send at the release, not one send per answer (issue #17: a drain
 *  of receipts answers up to 256 callers).  Without a hold an answer
 *  goes out at once. */
void apiserver_hold (apiserver_t *self);
void apiserver_release (apiserver_t *self);

/*  Answer a request: result is stolen.  To a binary caller an error goes
 *  as a Keten__ApiSubmitted with only its error set; its outcomes go with
 *  apiserver_reply_submitted (answer borrowed; its id is set here). */
void apiserver_reply_ok (apiserver_t *self, const api_caller_t *caller, json_t *result);
void apiserver_reply_error (apiserver_t *self, const api_caller_t *caller, const char *error);
void apiserver_reply_submitted (apiserver_t *self, const api_caller_t *caller,
                                Keten__ApiSubmitted *answer);

void api_caller_copy (api_caller_t *dst, const api_caller_t *src);
void api_caller_clear (api_caller_t *caller);

#endif
