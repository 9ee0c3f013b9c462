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
    m->body = protobuf_c_message_unpack (b->descriptor, NULL, m->opened.body_len, m->opened.body);
    kt_reason_t reason;
    if (!m->body) {
        snprintf (reason.text, sizeof reason.text, "%s body does not decode", h->what);
        role->refuse (self, m, h->what, reason.text);
        return;
    }
    if (b->check && b->check (m->body, &reason) != 0) {
        role->refuse (self, m, h->what, reason.text);
        return;
    }
    h->handler (self, m);
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
    for (size_t count = 0; count < NODE_DRAIN_MAX; count++) {
        transport_msg_t msg;
        int rc = transport_recv (self->transport, &msg);
        if (rc == 0)
            break;
        if (rc < 0) {
            kt_log (KT_LOG_WARN, "transport malformed_frames dropped");
            continue;
        }
        node_message_t m = {0};
        m.peer = role->peer (self, &msg, &m.link);
        if (!m.peer) {
            zframe_destroy (&msg.data);
            continue;
        }
        envelope_open_opts_t opts;
        node_open_opts (self, &opts);
        opts.transport_peer = m.peer;
        if (role->open_opts)
            role->open_opts (self, &opts);
        m.raw = zframe_data (msg.data);
        m.raw_len = zframe_size (msg.data);
        kt_reason_t reason;
        int open_rc = envelope_open (self->keyring, m.raw, m.raw_len, &opts, &m.opened, &reason);
        snprintf (m.hex, sizeof m.hex, "-");
        if (m.opened.have_id)
            kt_hex (m.hex, m.opened.id, KT_ID_LEN);
        if (open_rc == ENVELOPE_OK)
            s_deliver (self, &m);
        else if (open_rc == ENVELOPE_DUPLICATE && role->duplicate)
            role->duplicate (self, &m);
        else
            role->refused (self, &m, open_rc == ENVELOPE_DUPLICATE ? "duplicate" : reason.text);
        if (m.body)
            protobuf_c_message_free_unpacked (m.body, NULL);
        envelope_opened_clear (&m.opened);
        zframe_destroy (&msg.data);
    }
    role->drain_end (self);
    apiserver_release (self->api);
    return 0;
}

void
node_listen (node_t *self)
{
    zloop_reader (self->loop, transport_sock (self->transport), s_on_transport, self);
    zloop_reader_set_tolerant (self->loop, transport_sock (self->transport));
}
