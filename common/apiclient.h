/*  apiclient: the client side of the local API (docs/API.md) - framed JSON
 *  over ketend's Unix stream socket.  Each frame is a 4-byte big-endian
 *  length and that many bytes of one JSON object, at most 1 MiB.
 *
 *  The daemon is trusted to be ketend, but its bytes are still checked
 *  here, in one place: a frame that is too large, empty, truncated or not
 *  a JSON object is an error, never a crash or an unbounded allocation.
 *  After such an error the connection is unusable (the stream can no
 *  longer be trusted to be in step) and every further call fails.
 */
#ifndef KETEN_APICLIENT_H
#define KETEN_APICLIENT_H

#include "util.h"

#include <jansson.h>
#include <stdbool.h>

/*  A request is at most 1 MiB (the daemon's limit); an answer at most 16
 *  MiB (what the daemon queues for one connection: a page of 10,000
 *  access records is more than 1 MiB). */
#define APICLIENT_MAX_FRAME      (1024 * 1024)
#define APICLIENT_MAX_ANSWER (16 * 1024 * 1024)
#define APICLIENT_DEFAULT_SOCKET "/run/keten/ketend.sock"

typedef struct _apiclient_t apiclient_t;

/*  Connect to ketend at socket_path.  On failure the reason names the
 *  socket and hints at the likely cause (daemon not running, no access). */
apiclient_t *apiclient_connect (const char *socket_path, kt_reason_t *reason);

/*  Close the connection, free the client and NULL the caller's pointer. */
void apiclient_destroy (apiclient_t **self_p);

/*  Send one request frame.  request is borrowed and sent as is (the caller
 *  sets "id").  Waits at most APICLIENT_SEND_TIMEOUT_MS for the daemon to
 *  take the bytes. */
#define APICLIENT_SEND_TIMEOUT_MS 10000
int apiclient_send (apiclient_t *self, json_t *request, kt_reason_t *reason);

/*  Receive one response object (new reference), waiting at most timeout_ms
 *  (< 0: forever).  NULL with a reason on error or timeout.  A timeout in
 *  the middle of a frame keeps the part already read, so a later call
 *  continues where this one stopped. */
json_t *apiclient_recv (apiclient_t *self, int timeout_ms, kt_reason_t *reason);

/*  The binary submission (docs/API.md, "Binary submissions"): send one
 *  frame of the marker byte 0x00 and msg (a packed Keten__ApiSubmit, at
 *  most APICLIENT_MAX_FRAME - 1 bytes). */
int apiclient_send_binary (apiclient_t *self, const uint8_t *msg, size_t len, kt_reason_t *reason);

/*  Receive the answer to a binary submission: the packed
 *  Keten__ApiSubmitted after the marker (heap, free(); *len_p its size),
 *  waiting at most timeout_ms as apiclient_recv.  A JSON frame in its
 *  place (a ketend that does not know binary frames) is an error with
 *  the daemon's words. */
uint8_t *apiclient_recv_binary (apiclient_t *self, int timeout_ms, size_t *len_p,
                                kt_reason_t *reason);

/*  Send {"id": N, "cmd": cmd, "args": args} with a fresh id and wait at
 *  most timeout_ms for the response carrying that id; responses to other
 *  ids (answers to earlier requests whose caller gave up) are dropped.
 *  args is stolen (may be NULL: no "args" member).  Returns the "result"
 *  object (new reference) when ok, or NULL with reason = the daemon's
 *  "error" text, or the local failure. */
json_t *apiclient_call (apiclient_t *self, const char *cmd, json_t *args, int timeout_ms,
                        kt_reason_t *reason);

/*  True when the last apiclient_call sent its request in full and then
 *  failed without an answer to it (timeout, connection closed, a broken
 *  frame): the daemon may have acted on the request all the same. */
bool apiclient_call_unanswered (const apiclient_t *self);

#endif
