/*  dispatch: the one place a received message is opened and its body
 *  decoded (docs/ARCHITECTURE.md, "Conventions", rule 4).  A drain of the
 *  transport's socket goes message by message: the role names the peer,
 *  envelope_open checks signature, policy and age, the policy row's
 *  descriptor decodes the body and its checker bounds it, and only then
 *  does the role's handler for that type see it - as a decoded, checked
 *  struct.  Anything else is refused through the role, with a reason.
 */
#include "node_core.h"

#include "policy.h"

#include <string.h>

static const node_handler_t *
s_handler (const node_role_t *role, Keten__MessageType type)
{
    for (size_t i = 0; i < role->n_handlers; i++)
        if (role->handlers[i].type == type)
            return &role->handlers[i];
    return NULL;
}

/*  The most bytes of fields this release does not know that a body may
 *  carry (docs/PROTOCOL.md, "Fields a later release adds"). */
#define S_UNKNOWN_MAX 4096
/*  Deeper than any body nests (proto/keten.proto). */
#define S_NESTING_MAX 16

/*  The bytes of fields this release does not know in m and in every
 *  message inside it: what no checker looks at. */
static size_t
s_unknown_bytes (const ProtobufCMessage *m, int depth)
{
    size_t n = 0;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        n += m->unknown_fields[i].len;
    if (depth >= S_NESTING_MAX)
        return n;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *) m;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *) (const void *) (base + fd->quantifier_offset) != fd->id)
            continue;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) (const void *) (base + fd->quantifier_offset);
            ProtobufCMessage *const *items =
                *(ProtobufCMessage *const *const *) (const void *) (base + fd->offset);
            for (size_t k = 0; k < count; k++)
                n += s_unknown_bytes (items[k], depth + 1);
        } else {
            const ProtobufCMessage *sub =
                *(const ProtobufCMessage *const *) (const void *) (base + fd->offset);
            if (sub)
                n += s_unknown_bytes (sub, depth + 1);
        }
    }
    return n;
}

/*  An opened message: to its handler, decoded and checked, or refused. */
static void
s_deliver (node_t *self, node_message_t *m)
{
    const node_role_t *role = self->role;
    Keten__MessageType type = m->opened.header->type;
    /*  envelope_open checked the type against the policy table. */
    const policy_body_t *b = policy_body (type);
    m->receipted = b && b->receipted;
    if (role->heard)
        role->heard (self, m);
    const node_handler_t *h = s_handler (role, type);
    if (!h || !b) {
        char why[96];
        snprintf (why, sizeof why, "message type not handled by this %s", role->name);
        role->refuse (self, m, NULL, why);
        return;
    }
    m->body = protobuf_c_message_unpack (b->descriptor, kt_arena_allocator (self->arena),
                                         m->opened.body_len, m->opened.body);
    kt_reason_t reason;
    if (!m->body) {
        snprintf (reason.text, sizeof reason.text, "%s body does not decode", h->what);
        role->refuse (self, m, h->what, reason.text);
        return;
    }
    /*  A later release's fields are read past, but not a megabyte of
     *  them: a valid body padded to max-message would pass every check. */
    size_t unknown = s_unknown_bytes (m->body, 0);
    if (unknown > S_UNKNOWN_MAX) {
        snprintf (reason.text, sizeof reason.text,
                  "body carries %zu bytes of fields this release does not know (at most %d)",
                  unknown, S_UNKNOWN_MAX);
        role->refuse (self, m, h->what, reason.text);
        return;
    }
    if (b->check && b->check (m->body, &reason) != 0) {
        role->refuse (self, m, h->what, reason.text);
        return;
    }
    h->handler (self, m);
}

/*  One envelope (raw, raw_len) of msg: opened and handed to the role,
 *  or refused through it.  The role names the peer for each envelope,
 *  not once per message: an envelope before it in a bundle may have
 *  changed the roster, and with it the peer's record.  False: the peer
 *  is not (or no longer) one to read, and the rest of msg is dropped. */
static bool
s_take (node_t *self, const transport_msg_t *msg, const uint8_t *raw, size_t raw_len)
{
    const node_role_t *role = self->role;
    node_message_t m = {0};
    m.peer = role->peer (self, msg, &m.link);
    if (!m.peer)
        return false;
    envelope_open_opts_t opts;
    node_open_opts (self, &opts);
    opts.transport_peer = m.peer;
    if (role->open_opts)
        role->open_opts (self, &opts);
    m.raw = raw;
    m.raw_len = raw_len;
    kt_reason_t reason;
    int open_rc = envelope_open (self->keyring, m.raw, m.raw_len, &opts, &m.opened, &reason);
    snprintf (m.hex, sizeof m.hex, "-");
    if (m.opened.have_id)
        kt_hex (m.hex, m.opened.id, KT_ID_LEN);
    /*  Before the role: a heartbeat refused for its age measures the
     *  clocks too (node_clock.c). */
    if (open_rc == ENVELOPE_OK || m.opened.window_refused)
        node_clock_heard (self, &m);
    if (open_rc == ENVELOPE_OK)
        s_deliver (self, &m);
    else if (open_rc == ENVELOPE_DUPLICATE && role->duplicate)
        role->duplicate (self, &m);
    else
        role->refused (self, &m, open_rc == ENVELOPE_DUPLICATE ? "duplicate" : reason.text);
    node_body_free (self, m.body);
    envelope_opened_clear (&m.opened);
    return true;
}

/*  Each envelope of a bundle (docs/PROTOCOL.md, "Bundles"), in order;
 *  how many were taken.  A malformed rest is dropped. */
static size_t
s_take_bundle (node_t *self, const transport_msg_t *msg, const uint8_t *data, size_t len)
{
    size_t at = TRANSPORT_BUNDLE_HEAD, n = 0;
    const uint8_t *env;
    size_t env_len;
    int rc;
    while (n < TRANSPORT_BUNDLE_MAX &&
           (rc = transport_bundle_next (data, len, &at, &env, &env_len)) == 1) {
        n++;
        if (!s_take (self, msg, env, env_len))
            return n;
    }
    if (n == TRANSPORT_BUNDLE_MAX && at < len)
        rc = -1; /* more than a bundle holds */
    /*  Who sent it, as the role knows it now. */
    void *link;
    const keyring_peer_t *peer = self->role->peer (self, msg, &link);
    const char *who = peer ? peer->member->id : "?";
    if (rc < 0 || n == 0) {
        if (node_peer_line (self, "transport malformed_bundle", who))
            kt_log (KT_LOG_WARN, "transport malformed_bundle peer=%s taken=%zu", who, n);
    } else
        kt_log (KT_LOG_DEBUG, "transport bundle peer=%s envelopes=%zu", who, n);
    return n;
}

/*  What the uitvoerder's transport dropped since the last drain (its
 *  thread writes no log line of its own), each reason in one line, one
 *  received naming the member whose message was dropped last
 *  (keten_transport_dropped_total counts them all). */
static void
s_say_drops (node_t *self)
{
    uint64_t delta[TRANSPORT_DROP_REASONS];
    uint8_t key[32];
    bool have_key = false;
    if (!transport_drops_news (self->transport, delta, key, &have_key))
        return;
    const keyring_peer_t *peer =
        have_key ? keyring_peer_by_transport (self->keyring, key, kt_now_ms ()) : NULL;
    const char *who = peer ? peer->member->id : "-";
    for (int i = 0; i < TRANSPORT_DROP_REASONS; i++) {
        /*  A malformed message is said by the drain as before. */
        if (!delta[i] || i == TRANSPORT_DROP_MALFORMED)
            continue;
        /*  A send to a connection gone is as common as a member's
         *  restart, and said at debug level as it always was. */
        bool theirs = i == TRANSPORT_DROP_CONNECTION_FULL || i == TRANSPORT_DROP_ALL_FULL ||
                      i == TRANSPORT_DROP_MEMBER_FULL;
        /*  Each reason its own share of the lines: one that comes first
         *  in every drain must not leave the others unsaid. */
        char event[48];
        snprintf (event, sizeof event, "transport dropped %s",
                  transport_drop_name ((transport_drop_t) i));
        if (node_peer_line (self, event, theirs ? who : "-"))
            kt_log (theirs ? KT_LOG_WARN : KT_LOG_DEBUG,
                    "transport dropped reason=%s count=%llu%s%s",
                    transport_drop_name ((transport_drop_t) i), (unsigned long long) delta[i],
                    theirs ? " peer=" : "", theirs ? who : "");
    }
}

static int
s_on_transport (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    node_t *self = arg;
    const node_role_t *role = self->role;
    if (role->drain_begin && role->drain_begin (self) != 0)
        return 0;
    /*  The callers the drain answers, answered together at its end. */
    apiserver_hold (self->api);
    for (size_t count = 0; count < NODE_DRAIN_MAX;) {
        transport_msg_t msg;
        int rc = transport_recv (self->transport, &msg);
        if (rc == 0)
            break;
        count++;
        if (rc < 0) {
            if (node_peer_line (self, "transport malformed_frames", NULL))
                kt_log (KT_LOG_WARN, "transport malformed_frames dropped");
            continue;
        }
        const uint8_t *data = zframe_data (msg.data);
        size_t len = zframe_size (msg.data);
        if (transport_is_bundle (data, len)) {
            size_t n = s_take_bundle (self, &msg, data, len);
            count += n > 1 ? n - 1 : 0;
        } else
            s_take (self, &msg, data, len);
        zframe_destroy (&msg.data);
    }
    role->drain_end (self);
    s_say_drops (self);
    /*  Every message of the drain is let go by now (the role's too, in
     *  drain_end): their decoded memory goes at once. */
    kt_arena_reset (self->arena);
    apiserver_release (self->api);
    return 0;
}

void
node_listen (node_t *self)
{
    zloop_reader (self->loop, transport_sock (self->transport), s_on_transport, self);
    zloop_reader_set_tolerant (self->loop, transport_sock (self->transport));
}
