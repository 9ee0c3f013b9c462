/*  transport: CurveZMQ ROUTER/DEALER with ZAP.  */
#include "transport.h"

#include <dirent.h>
#include <errno.h>
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

struct _transport_t {
    zsock_t *sock;
    zactor_t *auth;
    char allow_dir[PATH_MAX];
    bool router;
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
    /*  No ZMTP pings of our own: libzmq 4.3.4 aborts the process when the
     *  ping timer fires on a connection whose peer went away while its
     *  receive queue was full (stream_engine_base.cpp, "!_io_error").  A
     *  dead peer's connection still ends: every node's DEALER pings us and
     *  asks for it to be dropped after heartbeat-timeout-ms of silence
     *  (ZMQ_HEARTBEAT_TTL), and answering its pings needs no timer.  This
     *  does not close the abort to a member that wants it: a PING left in
     *  a full queue's unread bytes when its connection is reset is
     *  answered once the loop has read half the queue, and that answer
     *  meets the same assertion (docs/OPERATIONS.md, "What one member can
     *  make the uitvoerder hold"). */
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
    self->sock = s_router (config, keys, config->bind, reason);
    if (!self->sock) {
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
    zsock_destroy (&self->sock);
    zactor_destroy (&self->auth);
    free (self);
    *self_p = NULL;
}

zsock_t *
transport_sock (transport_t *self)
{
    return self->sock;
}

static void
s_drain (zsock_t *sock)
{
    while (zsock_rcvmore (sock)) {
        zframe_t *f = zframe_recv (sock);
        zframe_destroy (&f);
    }
}

int
transport_recv (transport_t *self, transport_msg_t *msg)
{
    memset (msg, 0, sizeof *msg);
    if (self->router) {
        zframe_t *rid = zframe_recv (self->sock); /* NULL: nothing waiting */
        if (!rid)
            return 0;
        size_t rid_len = zframe_size (rid);
        if (!zframe_more (rid) || rid_len == 0 || rid_len > TRANSPORT_RID_MAX) {
            zframe_destroy (&rid);
            s_drain (self->sock);
            return -1;
        }
        memcpy (msg->rid, zframe_data (rid), rid_len);
        msg->rid_len = rid_len;
        zframe_destroy (&rid);
    }
    /*  After a routing id the rest of the message is there already. */
    msg->data = zframe_recv (self->sock);
    if (!msg->data)
        return self->router ? -1 : 0;
    if (zframe_more (msg->data)) {
        /*  keten messages are one frame; anything else is dropped whole. */
        s_drain (self->sock);
        zframe_destroy (&msg->data);
        return -1;
    }
    if (self->router) {
        const char *user = zframe_meta (msg->data, "User-Id");
        if (user && strlen (user) == 40 && zmq_z85_decode (msg->peer_key, user))
            msg->have_peer_key = true;
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
    if (!self->router)
        return kt_fail (reason, "only the uitvoerder rebinds");
    char endpoint[CONFIG_ENDPOINT_MAX + 1];
    const char *bound = zsock_endpoint (self->sock);
    snprintf (endpoint, sizeof endpoint, "%s", bound ? bound : config->bind);
    zsock_unbind (self->sock, "%s", endpoint);
    zsock_destroy (&self->sock);
    self->sock = s_router (config, keys, endpoint, reason);
    return self->sock ? 0 : -1;
}
