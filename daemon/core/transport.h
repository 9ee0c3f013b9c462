/*  transport: the CurveZMQ sockets (docs/ARCHITECTURE.md, "Transport": hub
 *  and spoke, and the traps of libzmq and CZMQ on Debian).  The uitvoerder
 *  binds a ROUTER as CURVE server behind a zauth ZAP handler that admits
 *  exactly the roster's transport keys and fails closed
 *  (ZMQ_ZAP_ENFORCE_DOMAIN); partners connect a DEALER.
 *  Every received message is attributed to a member by the CURVE User-Id
 *  property (the client's public key), never by a routing id or a claim.
 */
#ifndef KETEN_TRANSPORT_H
#define KETEN_TRANSPORT_H

#include "config.h"
#include "keys.h"
#include "roster.h"
#include "util.h"

#include <czmq.h>
#include <stdbool.h>

typedef struct _transport_t transport_t;

/*  Uitvoerder side.  allow_dir is where the allow-list certificates for
 *  zauth are written from the roster. */
transport_t *transport_bind (const config_t *config, const keys_secret_t *keys,
                             const roster_t *roster, const char *allow_dir, kt_reason_t *reason);
/*  Partner side: connect to server_pk (the uitvoerder's transport key). */
transport_t *transport_connect (const config_t *config, const keys_secret_t *keys,
                                const uint8_t server_pk[32], kt_reason_t *reason);
/*  The same to endpoint: an uitvoerder dialling a peered federation's
 *  uitvoerder (docs/FEDERATIONS.md). */
transport_t *transport_connect_to (const config_t *config, const keys_secret_t *keys,
                                   const uint8_t server_pk[32], const char *endpoint,
                                   kt_reason_t *reason);
void transport_destroy (transport_t **self_p);

/*  The socket the loop reads (zloop_reader) for transport_recv: the
 *  DEALER, or at the uitvoerder its end of the PAIR to the relay thread
 *  that owns the ROUTER (docs/ARCHITECTURE.md, "Transport").  The same
 *  socket for the transport's life, across transport_rebind. */
zsock_t *transport_sock (transport_t *self);
/*  The endpoint bound (the port, when configured as "*"), or the DEALER's
 *  last. */
const char *transport_endpoint (transport_t *self);
/*  The ROUTER's integer socket option (tests): 0 and *value, or -1. */
int transport_router_option (transport_t *self, int option, int *value);
/*  Rewrite the allow-list from roster (active members, and the peer
 *  uitvoerders of the peerings in force) and reload zauth.  Uitvoerder
 *  only. */
int transport_allow (transport_t *self, const roster_t *roster, kt_reason_t *reason);

/*  Close the ROUTER and bind a new one on the same endpoint: every open
 *  connection drops (a revoked member's with it) and members reconnect
 *  through the ZAP handler, which admits only the current allow-list.
 *  What was received on the old ROUTER and not yet read is let go.
 *  transport_sock stays the same socket.  Uitvoerder only. */
int transport_rebind (transport_t *self, const config_t *config, const keys_secret_t *keys,
                      kt_reason_t *reason);

#define TRANSPORT_RID_MAX 256

/*  The relay's bounds on what it keeps for the loop (besides
 *  transport/hwm messages per connection, and as many for all of one
 *  sender's connections together): bytes per connection (and per sender),
 *  bytes
 *  over all of them (with what the loop has been handed and not taken
 *  yet), and bytes handed to the loop not taken yet.  Each at least what
 *  one or two of the largest messages (transport/max-message) need. */
#define TRANSPORT_CONNECTION_BYTES ((size_t) 64 << 20)
#define TRANSPORT_ALL_BYTES ((size_t) 256 << 20)
#define TRANSPORT_FLIGHT_BYTES ((size_t) 16 << 20)
/*  Messages in the PAIR from the relay to the loop, at each end. */
#define TRANSPORT_RELAY_HWM 512

/*  Why the uitvoerder's transport dropped a message. */
typedef enum {
    TRANSPORT_DROP_CONNECTION_FULL, /* its connection's queue is full */
    TRANSPORT_DROP_ALL_FULL,        /* every connection's together are */
    TRANSPORT_DROP_MEMBER_FULL,     /* its sender's connections' together are */
    TRANSPORT_DROP_MALFORMED,       /* not a routing id and one frame */
    TRANSPORT_DROP_UNROUTABLE,      /* sent: the peer's connection is gone */
    TRANSPORT_DROP_SEND_FULL,       /* sent: the peer's send queue is full */
    TRANSPORT_DROP_REASONS
} transport_drop_t;

const char *transport_drop_name (transport_drop_t why);

typedef struct {
    uint64_t dropped[TRANSPORT_DROP_REASONS]; /* since the start */
    uint64_t held_bytes;      /* received, kept or handed to the loop, not taken yet */
    uint64_t queued_messages; /* kept by the relay */
} transport_stats_t;

/*  The uitvoerder's counters: true, or false on a DEALER. */
bool transport_stats (transport_t *self, transport_stats_t *out);
/*  The drops since the last call (delta), and the CURVE key of the last
 *  sender whose message was dropped (when *have_key).  True when any. */
bool transport_drops_news (transport_t *self, uint64_t delta[TRANSPORT_DROP_REASONS],
                           uint8_t key[32], bool *have_key);

typedef struct {
    zframe_t *data;       /* owned; destroy after use */
    uint8_t peer_key[32]; /* CURVE key of the sender (ROUTER side) */
    bool have_peer_key;
    uint8_t rid[TRANSPORT_RID_MAX]; /* routing id (ROUTER side) */
    size_t rid_len;
} transport_msg_t;

/*  Receive one message without blocking.  Returns 1 and fills msg, 0 when
 *  nothing is waiting, -1 for a malformed multipart (dropped). */
int transport_recv (transport_t *self, transport_msg_t *msg);
/*  Send without blocking; rid NULL on a DEALER.  -1 with errno EAGAIN
 *  (queue full) or EHOSTUNREACH (peer gone): the outbox retries.  At the
 *  uitvoerder the message goes to the relay thread, which sends it on
 *  without blocking; there -1 (EAGAIN) only when the relay is that far
 *  behind, and a peer gone or its full queue drops the message later,
 *  counted (transport_stats), as a connection lost with the message in
 *  its queue always did. */
int transport_send (transport_t *self, const uint8_t *rid, size_t rid_len, const void *data,
                    size_t len);

/*  A bundle: several envelopes in one transport message, to a peer that
 *  says it reads them (docs/PROTOCOL.md, "Bundles").  Its first byte is
 *  TRANSPORT_BUNDLE_MARK, which no envelope starts with (a protobuf
 *  field number is never 0); then each envelope as a 4-byte big-endian
 *  length and its bytes. */
#define TRANSPORT_BUNDLE_MARK 0x00
#define TRANSPORT_BUNDLE_HEAD 1
#define TRANSPORT_BUNDLE_ENTRY 4
/*  At most this many envelopes in a bundle, and at most this many bytes
 *  (less when the peer takes less). */
#define TRANSPORT_BUNDLE_MAX 64
#define TRANSPORT_BUNDLE_BYTES (64 * 1024)
/*  What a bundle leaves of the peer's largest message: libzmq checks that
 *  limit on the frame as it travels, which CurveZMQ makes 33 bytes
 *  longer than the bundle. */
#define TRANSPORT_BUNDLE_SLACK 64

/*  True when data (len bytes) is a bundle. */
bool transport_is_bundle (const uint8_t *data, size_t len);
/*  The next envelope of a bundle: *at is where it starts (give
 *  TRANSPORT_BUNDLE_HEAD first), moved past it.  1 and env / env_len; 0
 *  at the bundle's end; -1 when the rest is malformed (an empty
 *  envelope, or one longer than what is left). */
int transport_bundle_next (const uint8_t *data, size_t len, size_t *at, const uint8_t **env,
                           size_t *env_len);
/*  Send envs[0..n) to one peer: in bundles, bundle_max being the largest
 *  message the peer takes (0: it reads none, so one message each).  How many were handed
 *  to ZeroMQ before a send failed as transport_send fails (n: all). */
size_t transport_send_all (transport_t *self, const uint8_t *rid, size_t rid_len,
                           uint8_t *const *envs, const size_t *lens, size_t n, size_t bundle_max);

#endif
