/*  transport: CurveZMQ ROUTER/DEALER with ZAP.  */
#include "transport.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
/*  Draft-only in Debian's zmq.h, but accepted by libzmq 4.3.4; CZMQ's
 *  setter is compiled as a no-op there (docs/ARCHITECTURE.md, "Transport"). */
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif
#define ZAP_DOMAIN "keten"

/*  What the relay thread and the loop share: counters only (the relay
 *  writes no log line: kt_log is the loop's). */
typedef struct {
    _Atomic uint64_t dropped[TRANSPORT_DROP_REASONS];
    _Atomic uint64_t queued_bytes, queued_msgs; /* kept by the relay */
    _Atomic uint64_t sent_bytes;                /* handed to the loop */
    _Atomic uint64_t taken_bytes;               /* taken by the loop */
    pthread_mutex_t lock;                       /* guards drop_key */
    uint8_t drop_key[32];                       /* the sender of the last message dropped */
    bool drop_have_key;
} relay_shared_t;

struct _transport_t {
    zsock_t *sock; /* the DEALER; the uitvoerder's: its end of the PAIR to the relay */
    zactor_t *auth;
    zactor_t *relay; /* the uitvoerder's: owns the ROUTER */
    relay_shared_t *shared;
    char endpoint[CONFIG_ENDPOINT_MAX + 1]; /* the ROUTER's, as bound */
    char allow_dir[PATH_MAX];
    bool router;
    uint64_t malformed_seen;               /* the relay's malformed count transport_recv said */
    uint64_t said[TRANSPORT_DROP_REASONS]; /* the counts transport_drops_news said */
};

static void
s_common_options (zsock_t *sock, const config_t *config)
{
    /*  Bounded everything: a slow or hostile peer cannot exhaust memory. */
    zsock_set_maxmsgsize (sock, (int64_t) config->max_message);
    zsock_set_sndhwm (sock, (int) config->hwm);
    zsock_set_rcvhwm (sock, (int) config->hwm);
    zsock_set_heartbeat_ivl (sock, (int) config->heartbeat_ms);
    zsock_set_heartbeat_timeout (sock, (int) config->heartbeat_timeout_ms);
    zsock_set_heartbeat_ttl (sock, (int) config->heartbeat_timeout_ms);
    zsock_set_handshake_ivl (sock, 5000);
    zsock_set_linger (sock, 0);
    /*  transport_recv takes what is there and never waits: a receive
     *  with nothing waiting returns at once, so it need not ask first
     *  (ZMQ_EVENTS costs a system call per message). */
    zsock_set_rcvtimeo (sock, 0);
}

static int
s_check_libzmq (kt_reason_t *reason)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    /*  CURVE CVE-2019-13132 and CVE-2020-15166 are fixed in 4.3.3. */
    if (major < 4 || (major == 4 && (minor < 3 || (minor == 3 && patch < 3))))
        return kt_fail (reason, "libzmq %d.%d.%d is too old; keten needs 4.3.3 or newer", major,
                        minor, patch);
    if (!zsys_has_curve ())
        return kt_fail (reason, "libzmq was built without CURVE support");
    return 0;
}

static zcert_t *
s_cert (const keys_secret_t *keys)
{
    return zcert_new_from (keys->pub.transport_pk, keys->transport_sk);
}

int
transport_allow (transport_t *self, const roster_t *roster, kt_reason_t *reason)
{
    if (!self->router)
        return kt_fail (reason, "only the uitvoerder keeps an allow-list");
    if (mkdir (self->allow_dir, 0700) != 0 && errno != EEXIST)
        return kt_fail (reason, "cannot create %s: %s", self->allow_dir, strerror (errno));
    /*  Start from an empty directory: a stale certificate would admit a
     *  revoked key, and two files with one key make zcertstore abort. */
    DIR *dir = opendir (self->allow_dir);
    if (!dir)
        return kt_fail (reason, "cannot read %s: %s", self->allow_dir, strerror (errno));
    struct dirent *de;
    while ((de = readdir (dir)))
        if (de->d_name[0] != '.')
            unlinkat (dirfd (dir), de->d_name, 0);
    closedir (dir);
    uint64_t now = kt_now_ms ();
    uint8_t no_secret[32] = {0};
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        if (m->role == ROLE_UITVOERDER || !roster_member_active (m, now))
            continue;
        /*  During a key rotation overlap the previous key is admitted too. */
        for (int k = 0; k < (roster_member_previous_active (m, now) ? 2 : 1); k++) {
            zcert_t *cert =
                zcert_new_from (k ? m->previous_transport_pk : m->transport_pk, no_secret);
            char path[PATH_MAX + 80];
            snprintf (path, sizeof path, "%s/%s%s.key", self->allow_dir, m->id,
                      k ? ".previous" : "");
            int rc = cert ? zcert_save_public (cert, path) : -1;
            zcert_destroy (&cert);
            if (rc != 0)
                return kt_fail (reason, "cannot write allow-list entry %s", path);
        }
    }
    /*  A peer federation's uitvoerder while its peering is in force
     *  (docs/ROSTER.md; roster.c keeps its key apart from every
     *  member's, so no two files hold one key). */
    for (size_t i = 0; i < roster->peering_count; i++) {
        const roster_peering_t *p = &roster->peerings[i];
        if (!roster_peering_active (p, now))
            continue;
        zcert_t *cert = zcert_new_from (p->transport_pk, no_secret);
        char path[PATH_MAX + 80];
        /*  A member id has no '.': the name is never a member's. */
        snprintf (path, sizeof path, "%s/peering.%s.key", self->allow_dir, p->federation);
        int rc = cert ? zcert_save_public (cert, path) : -1;
        zcert_destroy (&cert);
        if (rc != 0)
            return kt_fail (reason, "cannot write allow-list entry %s", path);
    }
    /*  zauth's change detection misses rewrites: send CURVE again. */
    zstr_sendx (self->auth, "CURVE", self->allow_dir, NULL);
    zsock_wait (self->auth);
    return 0;
}

/*  A CURVE-server ROUTER behind the ZAP handler, bound to endpoint. */
static zsock_t *
s_router (const config_t *config, const keys_secret_t *keys, const char *endpoint,
          kt_reason_t *reason)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    zcert_t *cert = s_cert (keys);
    if (!sock || !cert) {
        zcert_destroy (&cert);
        zsock_destroy (&sock);
        kt_fail (reason, "cannot create the ROUTER socket");
        return NULL;
    }
    s_common_options (sock, config);
    /*  No receive high-water mark: libzmq 4.3.4 aborts the process
     *  (stream_engine_base.cpp, "!_io_error") when it starts reading a
     *  connection again that it had stopped reading at the mark, and the
     *  connection failed meanwhile (a ZMTP PING left among the unread
     *  bytes is answered on the dead connection; or a heartbeat timeout
     *  ends a connection whose reading is stopped).  Any member could
     *  arrange that.  With no mark libzmq never stops reading, so that
     *  code never runs; the relay thread reads the socket at once and
     *  bounds what it keeps per connection, in messages and bytes
     *  (s_keep).  The send queue keeps its mark: what the uitvoerder
     *  sends is its own. */
    zsock_set_rcvhwm (sock, 0);
    /*  No ZMTP pings of our own (they are not needed, and would be one
     *  more write on a connection that may have failed): every node's
     *  DEALER pings us and asks for its connection to be dropped after
     *  heartbeat-timeout-ms of silence (ZMQ_HEARTBEAT_TTL), and answering
     *  its pings needs no timer. */
    zsock_set_heartbeat_ivl (sock, 0);
    /*  A peer that never pings, or asks for no TTL, and then vanishes
     *  without closing (power, network) would keep its connection for
     *  good: TCP keepalive ends it after about twice heartbeat-timeout-ms
     *  of silence. */
    int idle_s =
        config->heartbeat_timeout_ms / 1000 > 0 ? (int) (config->heartbeat_timeout_ms / 1000) : 1;
    zsock_set_tcp_keepalive (sock, 1);
    zsock_set_tcp_keepalive_idle (sock, idle_s);
    zsock_set_tcp_keepalive_intvl (sock, idle_s / 3 > 0 ? idle_s / 3 : 1);
    zsock_set_tcp_keepalive_cnt (sock, 3);
    zsock_set_zap_domain (sock, ZAP_DOMAIN);
    int one = 1;
    if (zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0) {
        zcert_destroy (&cert);
        zsock_destroy (&sock);
        kt_fail (reason, "libzmq refuses ZMQ_ZAP_ENFORCE_DOMAIN: %s", zmq_strerror (errno));
        return NULL;
    }
    zcert_apply (cert, sock);
    zcert_destroy (&cert);
    zsock_set_curve_server (sock, 1);
    /*  Unroutable sends fail loudly instead of vanishing. */
    zsock_set_router_mandatory (sock, 1);
    /*  A rebind follows the unbind of the same port, which libzmq's I/O
     *  thread completes asynchronously: try for up to a second. */
    int rc = -1;
    for (int tries = 0; tries < 50 && rc < 0; tries++) {
        rc = zsock_bind (sock, "%s", endpoint);
        if (rc < 0 && errno == EADDRINUSE && tries < 49)
            zclock_sleep (20);
        else
            break;
    }
    if (rc < 0) {
        kt_fail (reason, "cannot bind %s: %s", endpoint, zmq_strerror (errno));
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

/* ---- the relay (uitvoerder side) --------------------------------------------
 *
 *  libzmq 4.3.4 aborts the process (stream_engine_base.cpp, "!_io_error")
 *  when it starts reading a connection again after it had stopped at the
 *  receive high-water mark, and that connection failed meanwhile: a member
 *  can arrange that at will.  So the ROUTER has no receive high-water mark
 *  (ZMQ_RCVHWM 0: libzmq never stops reading a connection) and a thread of
 *  the transport's own owns it: it reads every message as soon as it
 *  arrives, and hands it to the loop over an inproc PAIR, or, while the
 *  loop is behind, keeps it in a queue of the connection's own, bounded in
 *  messages and bytes, the same bounds for all of one sender's
 *  connections together (a member may open many), and in bytes over all
 *  connections.  Past a bound a
 *  message is dropped and counted: a member's outbox sends it again until
 *  its receipt comes.  The queues are handed on in turn, one message of
 *  each connection at a time, so one member's flood does not hold up the
 *  others'.  What the loop sends goes the other way, over the same PAIR. */

/*  What one sender (a CURVE key; unknown keys together as the zero key)
 *  has kept over all its connections: a member may open many. */
typedef struct {
    size_t bytes, count;
    char hex[65]; /* its key in the table */
} relay_member_t;

/*  One message kept for the loop. */
typedef struct {
    zmq_msg_t data;
    size_t size; /* its bytes as counted (with libzmq's header) */
    relay_member_t *member;
    uint8_t key[32];
    bool have_key;
} relay_entry_t;

/*  A connection with messages kept, in the relay's turn list.  Its
 *  record and ring are counted to the member that made it. */
typedef struct _relay_conn_t {
    struct _relay_conn_t *next;
    relay_member_t *member;
    relay_entry_t *ring;
    size_t cap, head, count, bytes;
    char hex[TRANSPORT_RID_MAX * 2 + 1]; /* its key in the table */
    uint8_t rid[TRANSPORT_RID_MAX];
    size_t rid_len;
} relay_conn_t;

typedef struct {
    zsock_t *pipe;   /* the actor's: commands */
    zsock_t *router; /* NULL between CLOSE and BIND */
    zsock_t *pair;   /* to the loop */
    relay_shared_t *shared;
    zhashx_t *conns;            /* hex of a routing id -> relay_conn_t */
    zhashx_t *members;          /* hex of a key -> relay_member_t */
    relay_conn_t *first, *last; /* the connections with messages kept, in turn */
    size_t queued_bytes, queued_msgs;
    uint64_t sent_bytes; /* handed to the loop (data bytes) */
    size_t hwm, conn_bytes, all_bytes, flight_bytes;
    bool flight_full; /* the loop holds flight_bytes: wait for it to take some */
    bool stop;
} relay_t;

/*  The arguments of the actor: what it owns from its start. */
typedef struct {
    zsock_t *router, *pair;
    relay_shared_t *shared;
    zhashx_t *conns, *members;
    size_t hwm, conn_bytes, all_bytes, flight_bytes;
} relay_args_t;

/*  At most this many messages read from one side before the other's turn. */
#define RELAY_BATCH 256
/*  What libzmq allocates beside a message's bytes (its header, when the
 *  data is larger than it keeps inline), counted with each kept message. */
#define RELAY_MSG_OVERHEAD 64

static void
s_drop (relay_t *r, transport_drop_t why, const uint8_t *key)
{
    atomic_fetch_add_explicit (&r->shared->dropped[why], 1, memory_order_relaxed);
    if (key) {
        pthread_mutex_lock (&r->shared->lock);
        memcpy (r->shared->drop_key, key, 32);
        r->shared->drop_have_key = true;
        pthread_mutex_unlock (&r->shared->lock);
    }
}

static void
s_member_free (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_conn_free (void **item)
{
    relay_conn_t *c = *item;
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        zmq_msg_close (&c->ring[(c->head + i) % c->cap].data);
    free (c->ring);
    free (c);
    *item = NULL;
}

/*  bytes and count less for member m, which goes when it keeps nothing. */
static void
s_member_less (relay_t *r, relay_member_t *m, size_t bytes, size_t count)
{
    m->bytes -= bytes;
    m->count -= count;
    if (m->bytes == 0)
        zhashx_delete (r->members, m->hex);
}

/*  A connection's queue gone empty: its record and ring go, and their
 *  count with them. */
static void
s_conn_forget (relay_t *r, relay_conn_t *c)
{
    r->queued_bytes -= c->bytes;
    s_member_less (r, c->member, c->bytes, 0);
    zhashx_delete (r->conns, c->hex);
}

/*  c's turn comes after every other connection's with messages kept. */
static void
s_turn_last (relay_t *r, relay_conn_t *c)
{
    c->next = NULL;
    if (r->last)
        r->last->next = c;
    else
        r->first = c;
    r->last = c;
}

/*  The header the loop reads before the data: flags (bit 0: the key is
 *  known), the sender's CURVE key, its routing id. */
#define RELAY_HEAD 33

/*  Hand one message to the loop, without waiting: 0 (data taken), or -1
 *  when the PAIR is full or the loop already holds flight_bytes (data
 *  left as it was).  The caller closes data either way. */
static int
s_forward (relay_t *r, const uint8_t *rid, size_t rid_len, const uint8_t key[32], bool have_key,
           zmq_msg_t *data)
{
    size_t size = zmq_msg_size (data);
    uint64_t taken = atomic_load_explicit (&r->shared->taken_bytes, memory_order_relaxed);
    uint64_t flight = r->sent_bytes - taken;
    if (flight > 0 && flight + size > r->flight_bytes) {
        r->flight_full = true;
        return -1;
    }
    uint8_t head[RELAY_HEAD + TRANSPORT_RID_MAX];
    head[0] = have_key ? 1 : 0;
    memcpy (head + 1, key, 32);
    memcpy (head + RELAY_HEAD, rid, rid_len);
    void *pair = zsock_resolve (r->pair);
    if (zmq_send (pair, head, RELAY_HEAD + rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    /*  The rest of a message whose first frame went is not refused for
     *  the high-water mark (libzmq checks it at a message's first frame):
     *  only a context that ends does, and then the relay ends too (the
     *  header sent alone would pair with the next message's). */
    if (zmq_msg_send (data, pair, ZMQ_DONTWAIT) < 0) {
        r->stop = true;
        return -1;
    }
    r->sent_bytes += size;
    atomic_store_explicit (&r->shared->sent_bytes, r->sent_bytes, memory_order_relaxed);
    return 0;
}

/*  Keep data for the loop in its connection's queue (data is left
 *  empty), or drop it past a bound.  The caller closes data. */
static void
s_keep (relay_t *r, const uint8_t *rid, size_t rid_len, const uint8_t key[32], bool have_key,
        zmq_msg_t *data)
{
    /*  A kept message costs its bytes and libzmq's header; a
     *  connection's queue costs its own record and its ring's every entry,
     *  used or not (so many connections of one message each are counted
     *  for what they hold too). */
    size_t cost = zmq_msg_size (data) + RELAY_MSG_OVERHEAD;
    char hex[TRANSPORT_RID_MAX * 2 + 1], key_hex[65];
    kt_hex (hex, rid, rid_len);
    kt_hex (key_hex, key, 32);
    relay_conn_t *c = zhashx_lookup (r->conns, hex);
    relay_member_t *m = zhashx_lookup (r->members, key_hex);
    uint64_t flight =
        r->sent_bytes - atomic_load_explicit (&r->shared->taken_bytes, memory_order_relaxed);
    transport_drop_t why = TRANSPORT_DROP_REASONS;
    size_t record = c ? 0 : sizeof *c;
    if (c && (c->count >= r->hwm || c->bytes + cost > r->conn_bytes))
        why = TRANSPORT_DROP_CONNECTION_FULL;
    else if (!c && sizeof *c + cost > r->conn_bytes)
        why = TRANSPORT_DROP_CONNECTION_FULL;
    else if (m && (m->count >= r->hwm || m->bytes + record + cost > r->conn_bytes))
        why = TRANSPORT_DROP_MEMBER_FULL;
    else if (r->queued_bytes + flight + cost + record > r->all_bytes)
        why = TRANSPORT_DROP_ALL_FULL;
    if (why == TRANSPORT_DROP_REASONS && !m) {
        m = calloc (1, sizeof *m);
        if (m) {
            snprintf (m->hex, sizeof m->hex, "%s", key_hex);
            zhashx_insert (r->members, m->hex, m);
        }
    }
    if (why == TRANSPORT_DROP_REASONS && !m)
        why = TRANSPORT_DROP_ALL_FULL; /* out of memory */
    if (why == TRANSPORT_DROP_REASONS && !c) {
        c = calloc (1, sizeof *c);
        if (c) {
            memcpy (c->rid, rid, rid_len);
            c->rid_len = rid_len;
            snprintf (c->hex, sizeof c->hex, "%s", hex);
            zhashx_insert (r->conns, c->hex, c);
            c->member = m;
            c->bytes = sizeof *c;
            m->bytes += sizeof *c;
            r->queued_bytes += sizeof *c;
        }
    }
    if (why == TRANSPORT_DROP_REASONS && c && c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        if (cap > r->hwm)
            cap = r->hwm;
        size_t more = (cap - c->cap) * sizeof (relay_entry_t);
        relay_entry_t *ring = NULL;
        if (c->bytes + more + cost > r->conn_bytes)
            why = TRANSPORT_DROP_CONNECTION_FULL;
        else if (c->member->bytes + more + cost > r->conn_bytes)
            why = TRANSPORT_DROP_MEMBER_FULL;
        else if (r->queued_bytes + flight + more + cost > r->all_bytes)
            why = TRANSPORT_DROP_ALL_FULL;
        else
            ring = calloc (cap, sizeof *ring);
        if (ring) {
            for (size_t i = 0; i < c->count; i++) {
                relay_entry_t *from = &c->ring[(c->head + i) % c->cap];
                ring[i] = *from;
                zmq_msg_init (&ring[i].data);
                zmq_msg_move (&ring[i].data, &from->data);
                zmq_msg_close (&from->data);
            }
            free (c->ring);
            c->ring = ring;
            c->cap = cap;
            c->head = 0;
            c->bytes += more;
            c->member->bytes += more;
            r->queued_bytes += more;
        }
    }
    if (why != TRANSPORT_DROP_REASONS || !c || c->count == c->cap) {
        /*  Out of memory counts as full too. */
        s_drop (r, why == TRANSPORT_DROP_REASONS ? TRANSPORT_DROP_ALL_FULL : why,
                have_key ? key : NULL);
        if (c && c->count == 0)
            s_conn_forget (r, c);
        else if (m && m->bytes == 0)
            zhashx_delete (r->members, m->hex);
        return;
    }
    relay_entry_t *e = &c->ring[(c->head + c->count) % c->cap];
    zmq_msg_init (&e->data);
    zmq_msg_move (&e->data, data);
    e->size = cost;
    e->member = m;
    memcpy (e->key, key, 32);
    e->have_key = have_key;
    if (c->count++ == 0)
        s_turn_last (r, c);
    c->bytes += cost;
    m->bytes += cost;
    m->count++;
    r->queued_bytes += cost;
    r->queued_msgs++;
}

/*  The kept messages to the loop, one connection's at a time in turn,
 *  until the loop takes no more. */
static void
s_flush (relay_t *r)
{
    r->flight_full = false;
    while (r->first) {
        relay_conn_t *c = r->first;
        relay_entry_t *e = &c->ring[c->head];
        if (s_forward (r, c->rid, c->rid_len, e->key, e->have_key, &e->data) != 0)
            return;
        zmq_msg_close (&e->data);
        c->head = (c->head + 1) % c->cap;
        c->count--;
        c->bytes -= e->size;
        s_member_less (r, e->member, e->size, 1);
        r->queued_bytes -= e->size;
        r->queued_msgs--;
        r->first = c->next;
        if (!r->first)
            r->last = NULL;
        if (c->count)
            s_turn_last (r, c);
        else
            s_conn_forget (r, c);
    }
}

/*  Every message kept let go (the ROUTER they came on is closed). */
static void
s_forget (relay_t *r)
{
    zhashx_purge (r->conns);
    zhashx_purge (r->members);
    r->first = r->last = NULL;
    r->queued_bytes = r->queued_msgs = 0;
}

/*  What the ROUTER has, up to RELAY_BATCH messages: each checked (a
 *  routing id and one data frame, else dropped whole), attributed to its
 *  CURVE key (User-Id: its metadata does not survive a send), and handed
 *  on or kept. */
static void
s_take_in (relay_t *r)
{
    void *router = zsock_resolve (r->router);
    for (int n = 0; n < RELAY_BATCH; n++) {
        zmq_msg_t rid, data;
        zmq_msg_init (&rid);
        if (zmq_msg_recv (&rid, router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&rid);
            return;
        }
        size_t rid_len = zmq_msg_size (&rid);
        bool more = zmq_msg_more (&rid);
        bool ok = more && rid_len > 0 && rid_len <= TRANSPORT_RID_MAX;
        zmq_msg_init (&data);
        if (more) {
            if (zmq_msg_recv (&data, router, ZMQ_DONTWAIT) < 0)
                more = ok = false;
            else {
                more = zmq_msg_more (&data);
                ok = ok && !more;
            }
        }
        if (!ok) {
            /*  keten messages are one frame: anything else whole. */
            while (more) {
                zmq_msg_t rest;
                zmq_msg_init (&rest);
                more = zmq_msg_recv (&rest, router, ZMQ_DONTWAIT) >= 0 && zmq_msg_more (&rest);
                zmq_msg_close (&rest);
            }
            zmq_msg_close (&data);
            zmq_msg_close (&rid);
            s_drop (r, TRANSPORT_DROP_MALFORMED, NULL);
            continue;
        }
        uint8_t key[32] = {0};
        const char *user = zmq_msg_gets (&data, "User-Id");
        bool have_key = user && strlen (user) == 40 && zmq_z85_decode (key, user);
        const uint8_t *id = zmq_msg_data (&rid);
        if (r->first || s_forward (r, id, rid_len, key, have_key, &data) != 0)
            s_keep (r, id, rid_len, key, have_key, &data);
        zmq_msg_close (&data);
        zmq_msg_close (&rid);
    }
}

/*  What the loop sends, up to RELAY_BATCH messages, to the ROUTER without
 *  waiting: a peer gone or a full queue drops it, as ZeroMQ would (the
 *  sender's retry or the member's covers it), counted. */
static void
s_take_out (relay_t *r)
{
    void *pair = zsock_resolve (r->pair);
    void *router = r->router ? zsock_resolve (r->router) : NULL;
    for (int n = 0; n < RELAY_BATCH; n++) {
        zmq_msg_t rid, data;
        zmq_msg_init (&rid);
        if (zmq_msg_recv (&rid, pair, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&rid);
            return;
        }
        zmq_msg_init (&data);
        bool two = zmq_msg_more (&rid) && zmq_msg_recv (&data, pair, ZMQ_DONTWAIT) >= 0;
        if (!router)
            s_drop (r, TRANSPORT_DROP_UNROUTABLE, NULL);
        else if (!two || zmq_msg_send (&rid, router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            s_drop (r, errno == EAGAIN ? TRANSPORT_DROP_SEND_FULL : TRANSPORT_DROP_UNROUTABLE,
                    NULL);
        else if (zmq_msg_send (&data, router, ZMQ_DONTWAIT) < 0)
            s_drop (r, TRANSPORT_DROP_SEND_FULL, NULL);
        zmq_msg_close (&data);
        zmq_msg_close (&rid);
    }
}

/*  A command from the loop: CLOSE (the ROUTER and what was kept from it
 *  go), BIND config keys endpoint (a new ROUTER: "rc reason"), OPT option
 *  (the ROUTER's integer option: "rc value"), $TERM. */
static void
s_command (relay_t *r)
{
    zmsg_t *m = zmsg_recv (r->pipe);
    char *cmd = m ? zmsg_popstr (m) : NULL;
    if (!cmd || streq (cmd, "$TERM"))
        r->stop = true;
    else if (streq (cmd, "CLOSE")) {
        s_forget (r);
        zsock_destroy (&r->router);
        zsock_signal (r->pipe, 0);
    } else if (streq (cmd, "BIND")) {
        zframe_t *fc = zmsg_pop (m), *fk = zmsg_pop (m);
        char *endpoint = zmsg_popstr (m);
        const config_t *config = NULL;
        const keys_secret_t *keys = NULL;
        if (fc && zframe_size (fc) == sizeof config)
            memcpy (&config, zframe_data (fc), sizeof config);
        if (fk && zframe_size (fk) == sizeof keys)
            memcpy (&keys, zframe_data (fk), sizeof keys);
        kt_reason_t reason = {""};
        if (config && keys && endpoint && !r->router)
            r->router = s_router (config, keys, endpoint, &reason);
        else
            kt_fail (&reason, "the relay was not asked to bind as it should be");
        zsock_send (r->pipe, "is", r->router ? 0 : -1, reason.text);
        zframe_destroy (&fc);
        zframe_destroy (&fk);
        free (endpoint);
    } else if (streq (cmd, "OPT")) {
        char *opt = zmsg_popstr (m);
        int value = 0;
        size_t size = sizeof value;
        int rc = r->router && opt
                     ? zmq_getsockopt (zsock_resolve (r->router), atoi (opt), &value, &size)
                     : -1;
        zsock_send (r->pipe, "ii", rc, value);
        free (opt);
    }
    free (cmd);
    zmsg_destroy (&m);
}

static void
s_relay_actor (zsock_t *pipe, void *arg)
{
    relay_args_t *a = arg;
    relay_t r = {.pipe = pipe,
                 .router = a->router,
                 .pair = a->pair,
                 .shared = a->shared,
                 .hwm = a->hwm,
                 .conn_bytes = a->conn_bytes,
                 .all_bytes = a->all_bytes,
                 .flight_bytes = a->flight_bytes,
                 .conns = a->conns,
                 .members = a->members};
    zsock_signal (pipe, 0);
    while (!r.stop) {
        zmq_pollitem_t items[3] = {
            {zsock_resolve (pipe), 0, ZMQ_POLLIN, 0},
            {zsock_resolve (r.pair), 0,
             (short) (ZMQ_POLLIN | (r.first && !r.flight_full ? ZMQ_POLLOUT : 0)), 0},
            {r.router ? zsock_resolve (r.router) : NULL, 0, ZMQ_POLLIN, 0}};
        /*  While the loop holds its share, look again each millisecond. */
        long timeout = r.first && r.flight_full ? 1 : -1;
        if (zmq_poll (items, r.router ? 3 : 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (r.router && (items[2].revents & ZMQ_POLLIN))
            s_take_in (&r);
        if (items[1].revents & ZMQ_POLLIN)
            s_take_out (&r);
        if (r.first)
            s_flush (&r);
        atomic_store_explicit (&r.shared->queued_bytes, r.queued_bytes, memory_order_relaxed);
        atomic_store_explicit (&r.shared->queued_msgs, r.queued_msgs, memory_order_relaxed);
        if (items[0].revents & ZMQ_POLLIN)
            s_command (&r);
    }
    zhashx_destroy (&r.conns);
    zhashx_destroy (&r.members);
    zsock_destroy (&r.router);
    zsock_destroy (&r.pair);
}

/*  The relay's bounds: config's hwm messages per connection, and bytes as
 *  TRANSPORT_*_BYTES say, never below what one or two of the largest
 *  messages need. */
static void
s_relay_bounds (const config_t *config, relay_args_t *a)
{
    size_t one = (size_t) config->max_message + sizeof (relay_entry_t);
    a->hwm = config->hwm;
    a->conn_bytes = TRANSPORT_CONNECTION_BYTES > 2 * one ? TRANSPORT_CONNECTION_BYTES : 2 * one;
    a->all_bytes =
        TRANSPORT_ALL_BYTES > 4 * a->conn_bytes ? TRANSPORT_ALL_BYTES : 4 * a->conn_bytes;
    a->flight_bytes = TRANSPORT_FLIGHT_BYTES > one ? TRANSPORT_FLIGHT_BYTES : one;
}

/*  The PAIR between the loop and the relay (the relay's end in *relay_p),
 *  and the relay thread that owns router from now on. */
static int
s_relay_start (transport_t *self, const config_t *config, zsock_t **router_p, kt_reason_t *reason)
{
    self->shared = calloc (1, sizeof *self->shared);
    if (!self->shared || pthread_mutex_init (&self->shared->lock, NULL) != 0) {
        free (self->shared);
        self->shared = NULL;
        return kt_fail (reason, "out of memory");
    }
    /*  A name never used before in this process: libzmq lets a closed
     *  socket's inproc name go asynchronously. */
    static atomic_uint s_relays;
    char inproc[64];
    snprintf (inproc, sizeof inproc, "inproc://keten-relay-%u", atomic_fetch_add (&s_relays, 1));
    zsock_t *pair = zsock_new (ZMQ_PAIR);
    self->sock = zsock_new (ZMQ_PAIR);
    if (!pair || !self->sock) {
        zsock_destroy (&pair);
        return kt_fail (reason, "cannot create the relay's sockets");
    }
    /*  Toward the loop: a few drains' worth (the relay keeps the rest,
     *  counted); toward the relay: as a ROUTER's send queue. */
    zsock_set_sndhwm (pair, TRANSPORT_RELAY_HWM);
    zsock_set_rcvhwm (self->sock, TRANSPORT_RELAY_HWM);
    zsock_set_sndhwm (self->sock, (int) config->hwm);
    zsock_set_rcvhwm (pair, (int) config->hwm);
    zsock_set_linger (pair, 0);
    zsock_set_linger (self->sock, 0);
    zsock_set_rcvtimeo (self->sock, 0);
    if (zsock_bind (self->sock, "%s", inproc) < 0 || zsock_connect (pair, "%s", inproc) < 0) {
        zsock_destroy (&pair);
        return kt_fail (reason, "cannot connect the relay's sockets: %s", zmq_strerror (errno));
    }
    relay_args_t args = {.router = *router_p,
                         .pair = pair,
                         .shared = self->shared,
                         .conns = zhashx_new (),
                         .members = zhashx_new ()};
    if (!args.conns || !args.members) {
        zhashx_destroy (&args.conns);
        zhashx_destroy (&args.members);
        zsock_destroy (&pair);
        return kt_fail (reason, "out of memory");
    }
    zhashx_set_destructor (args.conns, s_conn_free);
    zhashx_set_destructor (args.members, s_member_free);
    s_relay_bounds (config, &args);
    /*  The actor owns all three from its start (zactor_new waits for it). */
    self->relay = zactor_new (s_relay_actor, &args);
    if (!self->relay) {
        zhashx_destroy (&args.conns);
        zhashx_destroy (&args.members);
        zsock_destroy (&pair);
        return kt_fail (reason, "cannot start the transport's relay thread");
    }
    *router_p = NULL;
    return 0;
}

transport_t *
transport_bind (const config_t *config, const keys_secret_t *keys, const roster_t *roster,
                const char *allow_dir, kt_reason_t *reason)
{
    if (s_check_libzmq (reason) != 0)
        return NULL;
    transport_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->router = true;
    snprintf (self->allow_dir, sizeof self->allow_dir, "%s", allow_dir);
    /*  No ZAP handler means no authentication: zauth first, then bind. */
    self->auth = zactor_new (zauth, NULL);
    if (!self->auth)
        kt_fail (reason, "cannot start the zauth ZAP handler");
    if (!self->auth || transport_allow (self, roster, reason) != 0) {
        transport_destroy (&self);
        return NULL;
    }
    zsock_t *router = s_router (config, keys, config->bind, reason);
    if (!router) {
        transport_destroy (&self);
        return NULL;
    }
    /*  The endpoint actually bound (the port, when configured as "*"). */
    const char *bound = zsock_endpoint (router);
    snprintf (self->endpoint, sizeof self->endpoint, "%s", bound ? bound : config->bind);
    if (s_relay_start (self, config, &router, reason) != 0) {
        zsock_destroy (&router);
        transport_destroy (&self);
        return NULL;
    }
    return self;
}

transport_t *
transport_connect (const config_t *config, const keys_secret_t *keys, const uint8_t server_pk[32],
                   kt_reason_t *reason)
{
    return transport_connect_to (config, keys, server_pk, config->connect, reason);
}

transport_t *
transport_connect_to (const config_t *config, const keys_secret_t *keys,
                      const uint8_t server_pk[32], const char *endpoint, kt_reason_t *reason)
{
    if (s_check_libzmq (reason) != 0)
        return NULL;
    transport_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->sock = zsock_new (ZMQ_DEALER);
    zcert_t *cert = s_cert (keys);
    if (!self->sock || !cert) {
        zcert_destroy (&cert);
        kt_fail (reason, "cannot create the DEALER socket");
        transport_destroy (&self);
        return NULL;
    }
    s_common_options (self->sock, config);
    zcert_apply (cert, self->sock);
    zcert_destroy (&cert);
    zsock_set_curve_serverkey_bin (self->sock, server_pk);
    /*  Queue nothing for a peer that is not there: the outbox retries. */
    zsock_set_immediate (self->sock, 1);
    zsock_set_reconnect_ivl (self->sock, 100);
    zsock_set_reconnect_ivl_max (self->sock, 2000);
    if (zsock_connect (self->sock, "%s", endpoint) < 0) {
        kt_fail (reason, "cannot connect to %s: %s", endpoint, zmq_strerror (errno));
        transport_destroy (&self);
        return NULL;
    }
    return self;
}

void
transport_destroy (transport_t **self_p)
{
    transport_t *self = *self_p;
    if (!self)
        return;
    /*  The relay first: it closes the ROUTER and its end of the PAIR. */
    zactor_destroy (&self->relay);
    zsock_destroy (&self->sock);
    zactor_destroy (&self->auth);
    if (self->shared) {
        pthread_mutex_destroy (&self->shared->lock);
        free (self->shared);
    }
    free (self);
    *self_p = NULL;
}

zsock_t *
transport_sock (transport_t *self)
{
    return self->sock;
}

const char *
transport_endpoint (transport_t *self)
{
    return self->router ? self->endpoint : zsock_endpoint (self->sock);
}

int
transport_router_option (transport_t *self, int option, int *value)
{
    if (!self->relay)
        return -1;
    char opt[16];
    snprintf (opt, sizeof opt, "%d", option);
    int rc = -1;
    if (zstr_sendx (self->relay, "OPT", opt, NULL) != 0 ||
        zsock_recv (self->relay, "ii", &rc, value) != 0)
        return -1;
    return rc;
}

static const char *const s_drop_names[TRANSPORT_DROP_REASONS] = {
    "connection_full", "all_full", "member_full", "malformed", "unroutable", "send_full"};

const char *
transport_drop_name (transport_drop_t why)
{
    return why < TRANSPORT_DROP_REASONS ? s_drop_names[why] : "?";
}

bool
transport_stats (transport_t *self, transport_stats_t *out)
{
    memset (out, 0, sizeof *out);
    if (!self || !self->shared)
        return false;
    relay_shared_t *sh = self->shared;
    for (int i = 0; i < TRANSPORT_DROP_REASONS; i++)
        out->dropped[i] = atomic_load_explicit (&sh->dropped[i], memory_order_relaxed);
    uint64_t sent = atomic_load_explicit (&sh->sent_bytes, memory_order_relaxed);
    uint64_t taken = atomic_load_explicit (&sh->taken_bytes, memory_order_relaxed);
    out->held_bytes = atomic_load_explicit (&sh->queued_bytes, memory_order_relaxed) +
                      (sent > taken ? sent - taken : 0);
    out->queued_messages = atomic_load_explicit (&sh->queued_msgs, memory_order_relaxed);
    return true;
}

bool
transport_drops_news (transport_t *self, uint64_t delta[TRANSPORT_DROP_REASONS], uint8_t key[32],
                      bool *have_key)
{
    transport_stats_t st;
    if (!transport_stats (self, &st))
        return false;
    bool news = false;
    for (int i = 0; i < TRANSPORT_DROP_REASONS; i++) {
        delta[i] = st.dropped[i] - self->said[i];
        self->said[i] = st.dropped[i];
        news = news || delta[i];
    }
    if (news) {
        pthread_mutex_lock (&self->shared->lock);
        memcpy (key, self->shared->drop_key, 32);
        *have_key = self->shared->drop_have_key;
        self->shared->drop_have_key = false;
        pthread_mutex_unlock (&self->shared->lock);
    }
    return news;
}

static void
s_drain (zsock_t *sock)
{
    while (zsock_rcvmore (sock)) {
        zframe_t *f = zframe_recv (sock);
        zframe_destroy (&f);
    }
}

/*  One message from the relay: its header (flags, CURVE key, routing id:
 *  the relay checked the message as transport_recv says), then its
 *  data. */
static int
s_recv_relayed (transport_t *self, transport_msg_t *msg)
{
    /*  What the relay dropped as malformed since, said as one. */
    uint64_t bad = atomic_load_explicit (&self->shared->dropped[TRANSPORT_DROP_MALFORMED],
                                         memory_order_relaxed);
    if (bad != self->malformed_seen) {
        self->malformed_seen = bad;
        return -1;
    }
    zmq_msg_t head;
    zmq_msg_init (&head);
    if (zmq_msg_recv (&head, zsock_resolve (self->sock), ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&head);
        return 0;
    }
    size_t len = zmq_msg_size (&head);
    const uint8_t *h = zmq_msg_data (&head);
    bool ok = zmq_msg_more (&head) && len > RELAY_HEAD && len <= RELAY_HEAD + TRANSPORT_RID_MAX;
    if (ok) {
        msg->have_peer_key = h[0] & 1;
        memcpy (msg->peer_key, h + 1, 32);
        msg->rid_len = len - RELAY_HEAD;
        memcpy (msg->rid, h + RELAY_HEAD, msg->rid_len);
    }
    bool more = zmq_msg_more (&head);
    zmq_msg_close (&head);
    if (more)
        msg->data = zframe_recv (self->sock);
    if (msg->data)
        atomic_fetch_add_explicit (&self->shared->taken_bytes, zframe_size (msg->data),
                                   memory_order_relaxed);
    if (!ok || !msg->data) {
        zframe_destroy (&msg->data);
        memset (msg, 0, sizeof *msg);
        return -1;
    }
    return 1;
}

int
transport_recv (transport_t *self, transport_msg_t *msg)
{
    memset (msg, 0, sizeof *msg);
    if (self->router)
        return s_recv_relayed (self, msg);
    msg->data = zframe_recv (self->sock); /* NULL: nothing waiting */
    if (!msg->data)
        return 0;
    if (zframe_more (msg->data)) {
        /*  keten messages are one frame; anything else is dropped whole. */
        s_drain (self->sock);
        zframe_destroy (&msg->data);
        return -1;
    }
    return 1;
}

int
transport_send (transport_t *self, const uint8_t *rid, size_t rid_len, const void *data, size_t len)
{
    void *handle = zsock_resolve (self->sock);
    if (rid && zmq_send (handle, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send (handle, data, len, ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

bool
transport_is_bundle (const uint8_t *data, size_t len)
{
    return len > 0 && data[0] == TRANSPORT_BUNDLE_MARK;
}

int
transport_bundle_next (const uint8_t *data, size_t len, size_t *at, const uint8_t **env,
                       size_t *env_len)
{
    if (*at == len)
        return 0;
    if (len - *at < TRANSPORT_BUNDLE_ENTRY)
        return -1;
    const uint8_t *p = data + *at;
    size_t n = (size_t) p[0] << 24 | (size_t) p[1] << 16 | (size_t) p[2] << 8 | p[3];
    if (n == 0 || n > len - *at - TRANSPORT_BUNDLE_ENTRY)
        return -1;
    *env = p + TRANSPORT_BUNDLE_ENTRY;
    *env_len = n;
    *at += TRANSPORT_BUNDLE_ENTRY + n;
    return 1;
}

/*  Send envs[0..n) (n >= 2) in one bundle of size bytes.  As
 *  transport_send. */
static int
s_send_bundle (transport_t *self, const uint8_t *rid, size_t rid_len, uint8_t *const *envs,
               const size_t *lens, size_t n, size_t size)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, size) != 0)
        return -1;
    uint8_t *p = zmq_msg_data (&msg);
    *p++ = TRANSPORT_BUNDLE_MARK;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t) lens[i];
        p[0] = (uint8_t) (len >> 24);
        p[1] = (uint8_t) (len >> 16);
        p[2] = (uint8_t) (len >> 8);
        p[3] = (uint8_t) len;
        memcpy (p + TRANSPORT_BUNDLE_ENTRY, envs[i], lens[i]);
        p += TRANSPORT_BUNDLE_ENTRY + lens[i];
    }
    void *handle = zsock_resolve (self->sock);
    if ((rid && zmq_send (handle, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) ||
        zmq_msg_send (&msg, handle, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        return -1;
    }
    return 0;
}

size_t
transport_send_all (transport_t *self, const uint8_t *rid, size_t rid_len, uint8_t *const *envs,
                    const size_t *lens, size_t n, size_t bundle_max)
{
    bundle_max = bundle_max > TRANSPORT_BUNDLE_SLACK ? bundle_max - TRANSPORT_BUNDLE_SLACK : 0;
    if (bundle_max > TRANSPORT_BUNDLE_BYTES)
        bundle_max = TRANSPORT_BUNDLE_BYTES;
    size_t i = 0;
    while (i < n) {
        /*  As many as fit, up to TRANSPORT_BUNDLE_MAX; an envelope too
         *  large for a bundle goes alone. */
        size_t k = 0, size = TRANSPORT_BUNDLE_HEAD;
        while (i + k < n && k < TRANSPORT_BUNDLE_MAX &&
               size + TRANSPORT_BUNDLE_ENTRY + lens[i + k] <= bundle_max) {
            size += TRANSPORT_BUNDLE_ENTRY + lens[i + k];
            k++;
        }
        int rc;
        if (k > 1)
            rc = s_send_bundle (self, rid, rid_len, &envs[i], &lens[i], k, size);
        else {
            k = 1;
            rc = transport_send (self, rid, rid_len, envs[i], lens[i]);
        }
        if (rc != 0)
            return i;
        i += k;
    }
    return n;
}

int
transport_rebind (transport_t *self, const config_t *config, const keys_secret_t *keys,
                  kt_reason_t *reason)
{
    if (!self->router || !self->relay)
        return kt_fail (reason, "only the uitvoerder rebinds");
    /*  The relay closes the ROUTER and lets go what it kept from it; what
     *  it had handed on already is let go here, as the old ROUTER's queue
     *  was with it (a routing id of it routes nowhere now).  Then the new
     *  ROUTER, on the relay's thread. */
    if (zstr_send (self->relay, "CLOSE") != 0 || zsock_wait (self->relay) != 0)
        return kt_fail (reason, "the transport's relay thread does not answer");
    transport_msg_t msg;
    int rc;
    while ((rc = s_recv_relayed (self, &msg)) != 0)
        if (rc == 1)
            zframe_destroy (&msg.data);
    char *text = NULL;
    rc = -1;
    if (zsock_send (self->relay, "spps", "BIND", config, keys, self->endpoint) != 0 ||
        zsock_recv (self->relay, "is", &rc, &text) != 0)
        return kt_fail (reason, "the transport's relay thread does not answer");
    if (rc != 0)
        kt_fail (reason, "%s", text ? text : "cannot bind");
    free (text);
    return rc;
}
