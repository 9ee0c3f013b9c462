/*  uitvoerder_peer: federations that know each other (docs/FEDERATIONS.md).
 *
 *  For every peering its roster holds, in force now, the uitvoerder keeps
 *  one link to the other federation's uitvoerder:
 *  - a keyring of two: itself and the peer's uitvoerder, so that every
 *    message between them is sealed, signed and opened by the same code
 *    and checks as inside a federation (common/envelope.c);
 *  - a connection: the federation whose name sorts first dials the
 *    other's listening socket, as a member would; the other side's zauth
 *    admits the peer's transport key only while its own roster pins it
 *    (transport_allow).  A peering on one side only connects nowhere;
 *  - a witness of the peer's log (daemon/store/witness.c, as politie and
 *    OM run one of this log), in a file of its own, peer-FEDERATION.db;
 *    this log's checkpoints go to the peer every CHECKPOINT_PUSH_MS and
 *    its cosignatures are merged like a member's.
 *
 *  A transfer (TRANSFER) carries one subject to the peer.  Crash
 *  reasoning: the transfer is recorded (PREPARED) before anything else;
 *  TRANSFER_SENT is logged once per transfer id, and the body, which
 *  names that entry's index, is sealed and kept (PENDING) before it goes
 *  out; it is offered again until the peer answers.  The answer is logged
 *  once (TRANSFER_ANSWERED) before the row records it.  The receiving
 *  side logs TRANSFER_RECEIVED once per id and header, stores the signals
 *  (skipped when a crash stored them already), records the transfer, and
 *  only then answers: a replay of the same envelope gets the same answer
 *  and stores nothing.
 */
#include "uitvoerder.h"

#include "intake.h"
#include "policy.h"
#include "store.h"
#include "transfer.h"
#include "witness.h"

#include <sodium.h>
#include <string.h>

/*  A pending transfer is offered again this often while the link is up. */
#define TRANSFER_RETRY_MS 5000
/*  Room for a transfer's header, key wrap and signature around its body. */
#define S_ENVELOPE_OVERHEAD 4096

struct _peer_link_t {
    roster_peering_t peering;
    keyring_t *keyring; /* this uitvoerder and the peer's */
    transport_t *dial;  /* this side dials; NULL: the peer dials us */
    node_route_t route; /* its connection on our ROUTER (it dials) */
    sqlite3 *db;        /* peer-FEDERATION.db */
    witness_t *witness; /* of the peer's log */
    uint64_t last_seen_ms;
    /*  On the monotonic clock (a wall clock stepped back would make the
     *  redial and the link's timeout wait or rush): when it was last
     *  heard, and when the dialled socket was made. */
    uint64_t seen_mono_ms;
    uint64_t dialled_ms;
    uint64_t cp_size;    /* this log's size last pushed to it */
    uint64_t retry_ms;   /* pending transfers offered last */
};

/*  Durations and timers: the monotonic clock, in ms. */
static uint64_t
s_mono_ms (void)
{
    return kt_mono_us () / 1000;
}

static void s_on_message (node_t *self, peer_link_t *p, const uint8_t *data, size_t len);

/* ---- the links ------------------------------------------------------------- */

/*  The roster of a link: this uitvoerder first (policy's "the uitvoerder"
 *  is the first of its role: the receiving side), then the peer's. */
static keyring_t *
s_keyring (node_t *self, const roster_peering_t *peering, kt_reason_t *reason)
{
    const roster_t *own = keyring_roster (self->keyring);
    roster_t *r = calloc (1, sizeof *r);
    if (!r || !(r->members = calloc (2, sizeof *r->members))) {
        free (r);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    snprintf (r->federation, sizeof r->federation, "%s", own->federation);
    r->version = own->version;
    r->member_count = 2;
    r->members[0] = *keyring_self_member (self->keyring);
    roster_member_t *m = &r->members[1];
    snprintf (m->id, sizeof m->id, "%s", peering->uitvoerder);
    snprintf (m->name, sizeof m->name, "%s", peering->name);
    snprintf (m->kind, sizeof m->kind, "uitvoerder");
    m->role = ROLE_UITVOERDER;
    memcpy (m->transport_pk, peering->transport_pk, 32);
    memcpy (m->signing_pk, peering->signing_pk, 32);
    memcpy (m->encryption_pk, peering->encryption_pk, 32);
    snprintf (m->joined, sizeof m->joined, "%s", peering->since);
    snprintf (m->leaves_at, sizeof m->leaves_at, "%s", peering->ended);
    return keyring_new (self->keys, &r, reason);
}

static void
s_link_free (peer_link_t *p)
{
    witness_destroy (&p->witness);
    store_close (&p->db);
    transport_destroy (&p->dial);
    keyring_destroy (&p->keyring);
}

/*  The dialled socket's messages: read here, since zloop hands a reader
 *  one argument; the node comes with it. */
typedef struct {
    node_t *node;
    peer_link_t *link;
} dial_arg_t;

static int
s_on_dial_sock (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    dial_arg_t *d = arg;
    /*  zloop may still hand over a socket of this round's poll set that a
     *  redial replaced: only the link's current socket is read. */
    if (!d->link->dial || sock != transport_sock (d->link->dial))
        return 0;
    for (int count = 0; count < NODE_DRAIN_MAX; count++) {
        transport_msg_t msg;
        int rc = transport_recv (d->link->dial, &msg);
        if (rc == 0)
            break;
        if (rc < 0)
            continue;
        s_on_message (d->node, d->link, zframe_data (msg.data), zframe_size (msg.data));
        zframe_destroy (&msg.data);
    }
    return 0;
}

static int
s_link_open (node_t *self, peer_link_t *p, const roster_peering_t *peering, kt_reason_t *reason)
{
    memset (p, 0, sizeof *p);
    p->peering = *peering;
    if (!(p->keyring = s_keyring (self, peering, reason)))
        return -1;
    char path[PATH_MAX + 96];
    snprintf (path, sizeof path, "%s/peer-%s.db", self->config.state_dir, peering->federation);
    if (!(p->db = store_open (path, reason)) ||
        !(p->witness = witness_new (p->db, self->keys, peering->federation, peering->signing_pk,
                                    true, reason)))
        return -1;
    const char *own = keyring_roster (self->keyring)->federation;
    if (strcmp (own, peering->federation) < 0) {
        p->dial = transport_connect_to (&self->config, self->keys, peering->transport_pk,
                                        peering->endpoint, reason);
        if (!p->dial)
            return -1;
        p->dialled_ms = s_mono_ms ();
    }
    return 0;
}

/*  zloop readers of the dialled sockets, by link: registered after the
 *  link table is final (a realloc would move the links). */
static void
s_readers (node_t *self, bool on)
{
    uitvoerder_t *u = uitvoerder_of (self);
    for (size_t i = 0; i < u->n_peers; i++) {
        peer_link_t *p = &u->peers[i];
        if (!p->dial)
            continue;
        if (on) {
            dial_arg_t *arg = &((dial_arg_t *) u->peer_dial_args)[i];
            *arg = (dial_arg_t){self, p};
            zloop_reader (self->loop, transport_sock (p->dial), s_on_dial_sock, arg);
            zloop_reader_set_tolerant (self->loop, transport_sock (p->dial));
        } else
            zloop_reader_end (self->loop, transport_sock (p->dial));
    }
}

/*  A dialled link silent for REDIAL_MS gets a new socket.  libzmq does
 *  not always try again after the other side's ZAP handler refused it
 *  (zeromq/libzmq#3519): a peering agreed on one side first, then on the
 *  other, would otherwise never connect. */
#define REDIAL_MS 6000

static void
s_redial (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    uint64_t now = s_mono_ms ();
    for (size_t i = 0; i < u->n_peers; i++) {
        peer_link_t *p = &u->peers[i];
        uint64_t since = p->seen_mono_ms > p->dialled_ms ? p->seen_mono_ms : p->dialled_ms;
        if (!p->dial || now - since < REDIAL_MS)
            continue;
        kt_reason_t reason;
        transport_t *fresh = transport_connect_to (
            &self->config, self->keys, p->peering.transport_pk, p->peering.endpoint, &reason);
        if (!fresh) {
            kt_log (KT_LOG_WARN, "peering redial_failed federation=%s reason=\"%s\"",
                    p->peering.federation, reason.text);
            p->dialled_ms = now;
            continue;
        }
        zloop_reader_end (self->loop, transport_sock (p->dial));
        transport_destroy (&p->dial);
        p->dial = fresh;
        p->dialled_ms = now;
        p->cp_size = 0;
        dial_arg_t *arg = &((dial_arg_t *) u->peer_dial_args)[i];
        zloop_reader (self->loop, transport_sock (p->dial), s_on_dial_sock, arg);
        zloop_reader_set_tolerant (self->loop, transport_sock (p->dial));
        kt_log (KT_LOG_DEBUG, "peering redial federation=%s", p->peering.federation);
    }
}

static void
s_links_free (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    s_readers (self, false);
    for (size_t i = 0; i < u->n_peers; i++)
        s_link_free (&u->peers[i]);
    free (u->peers);
    free (u->peer_dial_args);
    u->peers = NULL;
    u->peer_dial_args = NULL;
    u->n_peers = 0;
}

void
uitvoerder_peers_apply (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    /*  Each link is built again from the roster in force: a peering's
     *  keys or endpoint may have changed, and one ended is dropped.  What
     *  a link holds beyond its sockets is in peer-FEDERATION.db. */
    peer_link_t *old = u->peers;
    size_t n_old = u->n_peers;
    s_readers (self, false);
    u->peers = NULL;
    u->n_peers = 0;
    free (u->peer_dial_args);
    u->peer_dial_args = NULL;
    peer_link_t *links = calloc (roster->peering_count ? roster->peering_count : 1, sizeof *links);
    dial_arg_t *args = calloc (roster->peering_count ? roster->peering_count : 1, sizeof *args);
    size_t n = 0;
    for (size_t i = 0; links && args && i < roster->peering_count; i++) {
        const roster_peering_t *peering = &roster->peerings[i];
        if (!roster_peering_active (peering, now))
            continue;
        /*  The old link's routing id and pushes stay with it. */
        peer_link_t *was = NULL;
        for (size_t j = 0; j < n_old; j++)
            if (strcmp (old[j].peering.federation, peering->federation) == 0)
                was = &old[j];
        kt_reason_t reason;
        if (was) {
            s_link_free (was);
            memset (was->peering.federation, 0, sizeof was->peering.federation);
        }
        if (s_link_open (self, &links[n], peering, &reason) != 0) {
            kt_log (KT_LOG_ERROR, "peering link_failed federation=%s reason=\"%s\"",
                    peering->federation, reason.text);
            s_link_free (&links[n]);
            continue;
        }
        if (was) {
            links[n].route = was->route;
            links[n].last_seen_ms = was->last_seen_ms;
            links[n].seen_mono_ms = was->seen_mono_ms;
        }
        kt_log (KT_LOG_INFO, "peering in force federation=%s uitvoerder=%s %s", peering->federation,
                peering->uitvoerder, links[n].dial ? "dials" : "listens");
        n++;
    }
    for (size_t j = 0; j < n_old; j++)
        if (*old[j].peering.federation) {
            kt_log (KT_LOG_INFO, "peering ended federation=%s", old[j].peering.federation);
            s_link_free (&old[j]);
        }
    free (old);
    if (!links || !args) {
        free (links);
        free (args);
        kt_log (KT_LOG_ERROR, "peering links_failed reason=\"out of memory\"");
        return;
    }
    u->peers = links;
    u->peer_dial_args = args;
    u->n_peers = n;
    s_readers (self, true);
}

static peer_link_t *
s_find (node_t *self, const char *federation)
{
    uitvoerder_t *u = uitvoerder_of (self);
    /*  A peering whose ended day has begun is over, even before the
     *  next roster change rebuilds the links. */
    for (size_t i = 0; federation && i < u->n_peers; i++)
        if (strcmp (u->peers[i].peering.federation, federation) == 0 &&
            roster_peering_active (&u->peers[i].peering, kt_now_ms ()))
            return &u->peers[i];
    return NULL;
}

/*  A peer is heard at least at each of its checkpoint pushes, every
 *  CHECKPOINT_PUSH_MS: a silence shorter than two of them is not a link
 *  down, whatever the members' heartbeat-timeout-ms (as short as 200 ms). */
static bool
s_up (node_t *self, const peer_link_t *p)
{
    uint64_t timeout = self->config.heartbeat_timeout_ms;
    if (timeout < 2 * CHECKPOINT_PUSH_MS)
        timeout = 2 * CHECKPOINT_PUSH_MS;
    return p->seen_mono_ms && s_mono_ms () - p->seen_mono_ms <= timeout &&
           (p->dial || p->route.len);
}

/* ---- sending --------------------------------------------------------------- */

static int
s_write (node_t *self, peer_link_t *p, const uint8_t *env, size_t len, kt_reason_t *reason)
{
    int rc;
    if (p->dial)
        rc = transport_send (p->dial, NULL, 0, env, len);
    else if (p->route.len)
        rc = transport_send (self->transport, p->route.id, p->route.len, env, len);
    else
        return kt_fail (reason, "federation %s has not connected yet", p->peering.federation);
    return rc == 0 ? 0
                   : kt_fail (reason, "not sent to %s: %s", p->peering.federation,
                              zmq_strerror (errno));
}

/*  Seal, sign and (send) body to the peer.  With env_p the signed
 *  envelope is handed back instead of sent. */
static int
s_seal (node_t *self, peer_link_t *p, Keten__MessageType type, const ProtobufCMessage *body,
        const uint8_t *given_id, uint8_t **env_p, size_t *env_len_p, kt_reason_t *reason)
{
    size_t len = protobuf_c_message_get_packed_size (body);
    if (len > self->config.max_message)
        return kt_fail (reason, "message of %zu bytes exceeds the largest allowed (%zu)", len,
                        (size_t) self->config.max_message);
    uint8_t *packed = malloc (len ? len : 1);
    if (!packed)
        return kt_fail (reason, "out of memory");
    protobuf_c_message_pack (body, packed);
    char *to[1] = {p->peering.uitvoerder};
    envelope_draft_t draft = {type, to, 1, NULL, packed, len, kt_now_ms (), given_id, NULL};
    uint8_t id[KT_ID_LEN];
    uint8_t *header = NULL;
    size_t header_len = 0;
    int rc = envelope_seal (p->keyring, &draft, id, &header, &header_len, reason);
    sodium_memzero (packed, len);
    free (packed);
    if (rc != 0)
        return -1;
    rc = envelope_sign (p->keyring, &header, &header_len, 1, env_p, env_len_p, reason);
    free (header);
    return rc;
}

static int
s_send (node_t *self, peer_link_t *p, Keten__MessageType type, const ProtobufCMessage *body,
        kt_reason_t *reason)
{
    uint8_t *env = NULL;
    size_t len = 0;
    if (s_seal (self, p, type, body, NULL, &env, &len, reason) != 0)
        return -1;
    int rc = s_write (self, p, env, len, reason);
    free (env);
    return rc;
}

/*  A transfer refused by rule: in the log as a member's refusal is
 *  (MESSAGE_REFUSED, keten's own words), then answered. */
static void
s_refuse_transfer (node_t *self, peer_link_t *p, const uint8_t id[KT_ID_LEN], const char *why)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_REFUSED;
    e.time_ms = kt_now_ms ();
    e.message_id.data = (uint8_t *) id;
    e.message_id.len = KT_ID_LEN;
    e.message_type = KETEN__MESSAGE_TYPE__TRANSFER;
    e.node = p->peering.uitvoerder;
    e.what = (char *) why;
    kt_reason_t reason;
    if (provlog_append_one (uitvoerder_of (self)->log, NULL, &e, NULL, &reason) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=refused reason=\"%s\"", reason.text);
}

static void
s_receipt (node_t *self, peer_link_t *p, const uint8_t id[KT_ID_LEN], bool accepted, uint64_t index,
           const char *why)
{
    Keten__Receipt r = KETEN__RECEIPT__INIT;
    r.message_id.data = (uint8_t *) id;
    r.message_id.len = KT_ID_LEN;
    r.status = accepted ? KETEN__RECEIPT_STATUS__ACCEPTED : KETEN__RECEIPT_STATUS__REFUSED;
    r.log_index = index;
    r.stored_ms = kt_now_ms ();
    r.reason = (char *) (why ? why : "");
    kt_reason_t reason;
    if (s_send (self, p, KETEN__MESSAGE_TYPE__RECEIPT, &r.base, &reason) != 0)
        kt_log (KT_LOG_WARN, "transfer receipt_unsent federation=%s reason=\"%s\"",
                p->peering.federation, reason.text);
}

/* ---- witnessing ------------------------------------------------------------ */

static void
s_witness_out (node_t *self, peer_link_t *p, witness_out_t *out)
{
    kt_reason_t reason;
    Keten__CheckpointMessage m;
    if (witness_out_message (out, &m)) {
        if (s_send (self, p, KETEN__MESSAGE_TYPE__CHECKPOINT, &m.base, &reason) != 0)
            kt_log (KT_LOG_DEBUG, "peer checkpoint_unsent federation=%s reason=\"%s\"",
                    p->peering.federation, reason.text);
    }
    witness_out_clear (out);
}

static void
s_on_checkpoint (node_t *self, peer_link_t *p, const Keten__CheckpointMessage *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t reason;
    /*  Its log: verified, kept, cosigned; an alarm on a fork or rollback. */
    if (m->note.len) {
        witness_out_t out = {0};
        witness_on_checkpoint (p->witness, m, &out);
        s_witness_out (self, p, &out);
    }
    /*  This log: a proof it asks for, a cosignature it made. */
    if (m->request_new_size) {
        Keten__CheckpointMessage reply = KETEN__CHECKPOINT_MESSAGE__INIT;
        logproof_message_t store;
        if (logproof_message (u->proof, m->request_old_size, m->request_new_size, &reply, &store,
                              &reason) != 0)
            kt_log (KT_LOG_WARN, "checkpoint request_refused federation=%s reason=\"%s\"",
                    p->peering.federation, reason.text);
        else {
            if (s_send (self, p, KETEN__MESSAGE_TYPE__CHECKPOINT, &reply.base, &reason) != 0)
                kt_log (KT_LOG_DEBUG, "peer checkpoint_unsent federation=%s reason=\"%s\"",
                        p->peering.federation, reason.text);
            logproof_message_clear (&store);
        }
    }
    if (m->cosigned.len && m->cosigned.len < 65536) {
        char *note = malloc (m->cosigned.len + 1);
        char witness[65] = "";
        if (note) {
            memcpy (note, m->cosigned.data, m->cosigned.len);
            note[m->cosigned.len] = '\0';
        }
        if (!note || logproof_add_cosignature (u->proof, keyring_roster (self->keyring), note,
                                               m->cosigned.len, witness, &reason) != 0)
            kt_log (KT_LOG_WARN, "cosignature refused federation=%s reason=\"%s\"",
                    p->peering.federation, note ? reason.text : "out of memory");
        free (note);
    }
}

/*  This log's newest checkpoint to every peer, with the proof from the
 *  last one it got; also what keeps a dialled link known to be up. */
static void
s_push (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    uint64_t size = provlog_size (u->log);
    for (size_t i = 0; size && i < u->n_peers; i++) {
        peer_link_t *p = &u->peers[i];
        if ((!p->dial && !p->route.len) || !roster_peering_active (&p->peering, kt_now_ms ()))
            continue;
        Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
        logproof_message_t store;
        kt_reason_t reason;
        uint64_t from = p->cp_size <= size ? p->cp_size : 0;
        if (logproof_message (u->proof, from, size, &m, &store, &reason) != 0) {
            kt_log (KT_LOG_ERROR, "checkpoint push_failed federation=%s reason=\"%s\"",
                    p->peering.federation, reason.text);
            continue;
        }
        if (s_send (self, p, KETEN__MESSAGE_TYPE__CHECKPOINT, &m.base, &reason) == 0)
            p->cp_size = size;
        logproof_message_clear (&store);
    }
}

/* ---- transfer: sending ----------------------------------------------------- */

typedef struct {
    Keten__Transfer t;
    Keten__TransferSignal *ts;
    Keten__TransferSignal **tsp;
    Keten__Signal *sigs;
    Keten__SignalItem ***items;
    Keten__Melder melder;
    unsigned taken_in; /* signals taken in from another region: left out */
    weegploeg_case_signal_t *read;
    size_t n_read;
    char *decided[POLICY_MAX_SHARE_TO];
    char decided_buf[1200];
} built_t;

static void
s_built_free (built_t *b)
{
    for (size_t i = 0; b->items && i < b->n_read; i++)
        free (b->items[i]);
    free (b->items);
    free (b->ts);
    free (b->tsp);
    free (b->sigs);
    weegploeg_case_free (b->read, b->n_read);
    memset (b, 0, sizeof *b);
}

/*  The minimal set of a subject for the receiving region (docs/
 *  FEDERATIONS.md): each signal's subject, facts, category, dates,
 *  source kind, bases and live items; not the melder (the sending
 *  uitvoerder stands in), not the source's detail, the police's
 *  representatives or officers, or the sender's own reference.  Art.
 *  9/10 Wpg signals only over a peering that allows them. */
static int
s_build (node_t *self, const peer_link_t *p, const transfer_out_t *row, built_t *b,
         kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    memset (b, 0, sizeof *b);
    if (weegploeg_read_case (u->weegploeg, row->case_ref, &b->read, &b->n_read, reason) != 0)
        return -1;
    size_t n = b->n_read;
    b->ts = calloc (n ? n : 1, sizeof *b->ts);
    b->tsp = calloc (n ? n : 1, sizeof *b->tsp);
    b->sigs = calloc (n ? n : 1, sizeof *b->sigs);
    b->items = calloc (n ? n : 1, sizeof *b->items);
    if (!b->ts || !b->tsp || !b->sigs || !b->items)
        return kt_fail (reason, "out of memory");
    keten__melder__init (&b->melder);
    b->melder.name = (char *) keyring_self_member (self->keyring)->name;
    b->melder.contact = (char *) keyring_roster (self->keyring)->federation;
    keten__transfer__init (&b->t);
    size_t k = 0;
    const roster_t *roster = keyring_roster (self->keyring);
    for (size_t i = 0; i < n; i++) {
        const Keten__Signal *s = b->read[i].signal;
        /*  Only what this region's kernpartijen brought in: a signal taken
         *  in from another region is that region's to pass on (no trust
         *  carried further). */
        const roster_member_t *from = roster_find (roster, b->read[i].sender);
        if (!from || from->role != ROLE_KERNPARTIJ) {
            b->taken_in++;
            continue;
        }
        if (s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10 && !p->peering.wpg_entitled) {
            b->t.withheld++;
            continue;
        }
        Keten__Signal *c = &b->sigs[k];
        keten__signal__init (c);
        c->subject = s->subject;
        c->description = s->description;
        c->category = s->category;
        c->observed_on = s->observed_on;
        c->melder = &b->melder;
        c->source_kind = s->source_kind;
        c->wpg_basis = s->wpg_basis;
        c->legal_basis = s->legal_basis;
        c->special_category = s->special_category;
        c->criminal_data = s->criminal_data;
        c->released_ms = s->released_ms;
        c->opsporingsbelang_checked = s->opsporingsbelang_checked;
        c->om_consulted = s->om_consulted;
        b->items[i] = calloc (s->n_items ? s->n_items : 1, sizeof *b->items[i]);
        if (!b->items[i])
            return kt_fail (reason, "out of memory");
        for (size_t j = 0; j < s->n_items; j++)
            if (!s->items[j]->blocked && !s->items[j]->deleted)
                b->items[i][c->n_items++] = s->items[j];
        c->items = b->items[i];
        keten__transfer_signal__init (&b->ts[k]);
        b->ts[k].signal = c;
        b->ts[k].origin = b->read[i].sender;
        b->ts[k].received_ms = b->read[i].received_ms;
        b->tsp[k] = &b->ts[k];
        k++;
    }
    if (k == 0)
        return kt_fail (reason,
                        "nothing to transfer: of the %zu signals of %s, %u are art. 9/10 Wpg data "
                        "the peering with %s does not allow and %u were taken in from another "
                        "region",
                        n, row->case_ref, b->t.withheld, p->peering.federation, b->taken_in);
    if (k > POLICY_MAX_TRANSFER_SIGNALS)
        return kt_fail (reason, "%s has %zu signals; a transfer carries at most %d", row->case_ref,
                        k, POLICY_MAX_TRANSFER_SIGNALS);
    b->t.signals = b->tsp;
    b->t.n_signals = k;
    b->t.from_federation = (char *) keyring_roster (self->keyring)->federation;
    b->t.from_case_ref = (char *) row->case_ref;
    b->t.basis = (char *) row->basis;
    b->t.decided_ms = row->decided_ms;
    snprintf (b->decided_buf, sizeof b->decided_buf, "%s", row->decided_by);
    char *save = NULL;
    for (char *tok = strtok_r (b->decided_buf, ",", &save);
         tok && b->t.n_decided_by < POLICY_MAX_SHARE_TO; tok = strtok_r (NULL, ",", &save))
        b->decided[b->t.n_decided_by++] = tok;
    b->t.decided_by = b->decided;
    casus_info_t info;
    int known = casusoverleg_case_known (u->casus, row->case_ref);
    if (known < 0)
        return kt_fail (reason, "the casusoverleg file cannot say whether %s has a case",
                        row->case_ref);
    if (known == 1 && casusoverleg_case (u->casus, row->case_ref, &info, NULL, reason) != 0)
        return -1;
    b->t.plan_status = (char *) (known == 0 ? "none" : info.closed ? "closed" : "open");
    return 0;
}

/*  A recorded transfer logged (once) and sealed; kept as PENDING. */
static int
s_complete (node_t *self, const transfer_out_t *row, uint8_t **env_p, size_t *env_len_p,
            uint64_t *index_p, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    peer_link_t *p = s_find (self, row->federation);
    if (!p)
        return kt_fail (reason, "no peering with %s in force", row->federation);
    built_t b;
    int rc = s_build (self, p, row, &b, reason);
    char hex[KT_ID_HEX], what[1500], key[64];
    kt_hex (hex, row->id, KT_ID_LEN);
    uint64_t index = 0;
    if (rc == 0) {
        char *to[1] = {p->peering.uitvoerder};
        snprintf (what, sizeof what,
                  "to %s (%s); decided by %s; %zu signals, %u withheld, %u taken in left out",
                  row->federation, p->peering.uitvoerder, row->decided_by, b.t.n_signals,
                  b.t.withheld, b.taken_in);
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        e.event = KETEN__LOG_EVENT__TRANSFER_SENT;
        e.time_ms = kt_now_ms ();
        e.message_id.data = (uint8_t *) row->id;
        e.message_id.len = KT_ID_LEN;
        e.message_type = KETEN__MESSAGE_TYPE__TRANSFER;
        e.node = (char *) keyring_self_member (self->keyring)->id;
        e.os_user = (char *) row->os_user;
        e.recipients = to;
        e.n_recipients = 1;
        e.case_ref = (char *) row->case_ref;
        e.what = what;
        snprintf (key, sizeof key, "transfer-sent/%s", hex);
        rc = provlog_append_one (u->log, key, &e, &index, reason) < 0 ? -1 : 0;
    }
    if (rc == 0) {
        *index_p = index;
        b.t.sent_log_index = index;
        rc = s_seal (self, p, KETEN__MESSAGE_TYPE__TRANSFER, &b.t.base, row->id, env_p, env_len_p,
                     reason);
    }
    if (rc == 0 && transfer_out_sealed (u->transfer, row->id, index, (unsigned) b.t.n_signals,
                                        b.t.withheld, *env_p, *env_len_p, reason) != 0) {
        free (*env_p);
        *env_p = NULL;
        rc = -1;
    }
    s_built_free (&b);
    return rc;
}

static int
s_offer (void *arg, const transfer_out_t *t, kt_reason_t *reason)
{
    node_t *self = arg;
    peer_link_t *p = s_find (self, t->federation);
    if (!p || !s_up (self, p) || !t->envelope_len)
        return 0;
    kt_reason_t why;
    if (s_write (self, p, t->envelope, t->envelope_len, &why) != 0)
        kt_log (KT_LOG_DEBUG, "transfer offer_failed federation=%s reason=\"%s\"", t->federation,
                why.text);
    (void) reason;
    return 0;
}

static int
s_resume (void *arg, const transfer_out_t *t, kt_reason_t *reason)
{
    (void) reason;
    node_t *self = arg;
    uint8_t *env = NULL;
    size_t len = 0;
    kt_reason_t why;
    char hex[KT_ID_HEX];
    uint64_t index;
    if (s_complete (self, t, &env, &len, &index, &why) != 0)
        kt_log (KT_LOG_WARN, "transfer resume_failed id=%s reason=\"%s\"",
                kt_hex (hex, t->id, KT_ID_LEN), why.text);
    free (env);
    return 0;
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->n_peers || !kt_timer_due (&u->peer_fired_ms, CHECKPOINT_PUSH_MS))
        return 0;
    s_redial (self);
    s_push (self);
    uint64_t now = s_mono_ms ();
    if (now - u->transfer_retry_ms < TRANSFER_RETRY_MS)
        return 0;
    u->transfer_retry_ms = now;
    kt_reason_t reason;
    if (transfer_out_each (u->transfer, TRANSFER_PREPARED, s_resume, self, &reason) != 0 ||
        transfer_out_each (u->transfer, TRANSFER_PENDING, s_offer, self, &reason) != 0)
        kt_log (KT_LOG_ERROR, "transfer retry_failed reason=\"%s\"", reason.text);
    return 0;
}

/*  art. 4: each kernpartij whose signal the subject holds decided, at its
 *  own node, that it moves to federation on basis (TRANSFER_DECISION);
 *  decided_by receives them as "a,b".  Refused, naming them, when one did
 *  not or decided on another basis. */
static int
s_deciders (node_t *self, const char *case_ref, const char *federation, const char *basis,
            char *decided_by, size_t len, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    weegploeg_case_signal_t *read = NULL;
    size_t n = 0;
    if (weegploeg_read_case (u->weegploeg, case_ref, &read, &n, reason) != 0)
        return -1;
    const roster_t *roster = keyring_roster (self->keyring);
    char missing[600] = "", other[600] = "";
    size_t o = 0, om = 0, oo = 0;
    int rc = 0;
    decided_by[0] = '\0';
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const roster_member_t *m = roster_find (roster, read[i].sender);
        bool before = false;
        for (size_t j = 0; j < i; j++)
            before |= strcmp (read[j].sender, read[i].sender) == 0;
        if (!m || m->role != ROLE_KERNPARTIJ || before)
            continue;
        char theirs[POLICY_MAX_BASIS + 1];
        int found = transfer_decision_newest (u->transfer, case_ref, federation, m->id, theirs,
                                              sizeof theirs, reason);
        if (found < 0)
            rc = -1;
        else if (found == 0)
            om += (size_t) snprintf (missing + om, om < sizeof missing ? sizeof missing - om : 0,
                                     "%s%s", om ? ", " : "", m->id);
        else if (strcmp (theirs, basis) != 0)
            oo += (size_t) snprintf (other + oo, oo < sizeof other ? sizeof other - oo : 0, "%s%s",
                                     oo ? ", " : "", m->id);
        else
            o += (size_t) snprintf (decided_by + o, o < len ? len - o : 0, "%s%s", o ? "," : "",
                                    m->id);
    }
    weegploeg_case_free (read, n);
    if (rc != 0)
        return -1;
    if (*missing)
        return kt_fail (reason,
                        "art. 4: the kernpartijen whose signals %s holds decide its transfer, each "
                        "at its own node (keten decision transfer); %s did not decide it moves "
                        "to %s",
                        case_ref, missing, federation);
    if (*other)
        return kt_fail (reason, "%s decided that %s moves to %s on another basis than this one",
                        other, case_ref, federation);
    if (!*decided_by)
        return kt_fail (reason,
                        "nothing to transfer: no kernpartij of this region brought in a "
                        "signal of %s",
                        case_ref);
    return 0;
}

static int
s_transfer (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
            kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *to = json_string_value (json_object_get (args, "to"));
    const char *basis = json_string_value (json_object_get (args, "basis"));
    if (!case_ref || !weegploeg_case_ref_ok (case_ref))
        return kt_fail (reason, "transfer needs case_ref, a subject's k-... pseudonym");
    if (!to || !kt_valid_node_id (to))
        return kt_fail (reason, "transfer needs to, the name of a peered federation");
    peer_link_t *p = s_find (self, to);
    if (!p)
        return kt_fail (reason,
                        "no peering with federation %s in force (keten peering list); a "
                        "transfer goes only to a federation both rosters pin",
                        to);
    size_t basis_len = basis ? strlen (basis) : 0;
    if (basis_len < 1 || basis_len > POLICY_MAX_BASIS ||
        intake_text_check (basis, basis_len, false) != INTAKE_TEXT_OK)
        return kt_fail (reason, "transfer needs basis: 1..%d bytes of text, one line",
                        POLICY_MAX_BASIS);
    transfer_out_t row;
    memset (&row, 0, sizeof row);
    if (s_deciders (self, case_ref, to, basis, row.decided_by, sizeof row.decided_by, reason) != 0)
        return -1;
    kt_ordered_id (row.id, KT_ID_LEN);
    snprintf (row.federation, sizeof row.federation, "%s", to);
    snprintf (row.case_ref, sizeof row.case_ref, "%s", case_ref);
    snprintf (row.basis, sizeof row.basis, "%s", basis);
    access_user_name (caller->uid, row.os_user, sizeof row.os_user);
    row.decided_ms = kt_now_ms ();
    /*  What would be refused is refused before anything is recorded,
     *  its size too: the sealed envelope must stay under the largest
     *  message both sides take. */
    built_t b;
    int built = s_build (self, p, &row, &b, reason);
    size_t packed = built == 0 ? protobuf_c_message_get_packed_size (&b.t.base) : 0;
    s_built_free (&b);
    if (built != 0)
        return -1;
    if (packed + S_ENVELOPE_OVERHEAD > self->config.max_message)
        return kt_fail (reason,
                        "%s is %zu bytes as a transfer; a message may be at most %zu "
                        "(transport/max-message, at both uitvoerders)",
                        case_ref, packed + S_ENVELOPE_OVERHEAD, (size_t) self->config.max_message);
    if (transfer_out_prepare (u->transfer, &row, reason) != 0)
        return -1;
    uint8_t *env = NULL;
    size_t len = 0;
    uint64_t index = 0;
    char hex[KT_ID_HEX];
    kt_hex (hex, row.id, KT_ID_LEN);
    /*  Recorded: the transfer is decided and will go.  A failure from
     *  here (a storage error) is the timer's to finish; the caller is
     *  told it is recorded, not that it failed, so it is not entered
     *  twice. */
    kt_reason_t why;
    if (s_complete (self, &row, &env, &len, &index, &why) != 0) {
        kt_log (KT_LOG_WARN, "transfer unfinished id=%s federation=%s reason=\"%s\"", hex, to,
                why.text);
        json_object_set_new (result, "id", json_string (hex));
        json_object_set_new (result, "federation", json_string (to));
        json_object_set_new (result, "case_ref", json_string (case_ref));
        json_object_set_new (result, "log_index", json_integer (0));
        json_object_set_new (result, "state", json_string ("prepared"));
        json_object_set_new (result, "sent", json_false ());
        json_object_set_new (result, "warning", json_string (why.text));
        return 0;
    }
    bool sent = s_up (self, p) && s_write (self, p, env, len, &why) == 0;
    free (env);
    kt_log (KT_LOG_INFO, "transfer sent id=%s federation=%s log_index=%llu", hex, to,
            (unsigned long long) index);
    json_object_set_new (result, "id", json_string (hex));
    json_object_set_new (result, "federation", json_string (to));
    json_object_set_new (result, "case_ref", json_string (case_ref));
    json_object_set_new (result, "log_index", json_integer ((json_int_t) index));
    json_object_set_new (result, "state", json_string ("pending"));
    json_object_set_new (result, "sent", json_boolean (sent));
    return 0;
}

void
uitvoerder_transfer (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_transfer);
}

static int
s_transfer_list (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
                 kt_reason_t *reason)
{
    (void) caller;
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    if (case_ref && !weegploeg_case_ref_ok (case_ref))
        return kt_fail (reason, "case_ref must be a subject's k-... pseudonym");
    json_t *list =
        transfer_list (uitvoerder_of (self)->transfer, case_ref, node_limit (args), reason);
    if (!list)
        return -1;
    json_object_update (result, list);
    json_decref (list);
    return 0;
}

void
uitvoerder_transfer_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_transfer_list);
}

/* ---- transfer: the kernpartijen's decisions --------------------------------- */

/*  TRANSFER_DECISION from a kernpartij (policy: kernpartijen only): every
 *  rule first, then logged once per message id, recorded, answered. */
void
uitvoerder_on_transfer_decision (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_member_t *sender = m->peer->member;
    const envelope_opened_t *opened = &m->opened;
    const Keten__TransferDecision *d = (const Keten__TransferDecision *) m->body;
    kt_reason_t reason;
    uint64_t index = 0;
    int seen = transfer_decision_seen (u->transfer, opened->id, sender->id, &index, &reason);
    if (seen < 0) {
        kt_log (KT_LOG_ERROR, "transfer decision lookup_failed id=%s reason=\"%s\"", m->hex,
                reason.text);
        return; /* no receipt: the sender retries */
    }
    if (seen == 1) {
        uitvoerder_receipt (self, m->link, sender->id, opened->id, true, index, NULL);
        return;
    }
    int known = weegploeg_has_subject (u->weegploeg, d->case_ref, &reason);
    if (known < 0) {
        kt_log (KT_LOG_ERROR, "transfer decision lookup_failed id=%s reason=\"%s\"", m->hex,
                reason.text);
        return;
    }
    const char *refused = NULL;
    if (known == 0)
        refused = "no such subject in the weegploeg file";
    else if (!s_find (self, d->to_federation))
        refused = "no peering with that federation in force";
    if (refused) {
        kt_log (KT_LOG_WARN, "transfer decision refused id=%s peer=%s reason=\"%s\"", m->hex,
                sender->id, refused);
        uitvoerder_receipt (self, m->link, sender->id, opened->id, false, 0, refused);
        return;
    }
    char what[120], *to[1] = {(char *) keyring_self_member (self->keyring)->id};
    snprintf (what, sizeof what, "transfer decision: to %s", d->to_federation);
    const Keten__Header *h = opened->header;
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    e.time_ms = kt_now_ms ();
    e.message_id = h->id;
    e.message_type = h->type;
    e.node = (char *) sender->id;
    e.os_user = d->os_user;
    e.recipients = to;
    e.n_recipients = 1;
    e.case_ref = d->case_ref;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    e.what = what;
    int rc = provlog_log_received (u->log, &e, &index, &reason);
    if (rc > 0) {
        uitvoerder_receipt (self, m->link, sender->id, opened->id, false, 0,
                            "this message id is already used for a different message");
        return;
    }
    if (rc < 0 || transfer_decision_record (u->transfer, opened->id, d->case_ref, d->to_federation,
                                            sender->id, d->basis, d->os_user, d->decided_ms, index,
                                            &reason) != 0) {
        kt_log (KT_LOG_ERROR, "transfer decision store_failed id=%s reason=\"%s\"", m->hex,
                reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "transfer decision recorded id=%s peer=%s case_ref=%s federation=%s",
            m->hex, sender->id, d->case_ref, d->to_federation);
    uitvoerder_receipt (self, m->link, sender->id, opened->id, true, index, NULL);
}

/* ---- transfer: the answer -------------------------------------------------- */

typedef struct {
    bool found;
    int state;
    char case_ref[40];
    char federation[65];
} out_state_t;

static int
s_out_state (void *arg, const transfer_out_t *t, kt_reason_t *reason)
{
    (void) reason;
    out_state_t *s = arg;
    s->found = true;
    s->state = t->state;
    snprintf (s->case_ref, sizeof s->case_ref, "%s", t->case_ref);
    snprintf (s->federation, sizeof s->federation, "%s", t->federation);
    return 0;
}

static void
s_on_receipt (node_t *self, peer_link_t *p, const Keten__Receipt *r)
{
    uitvoerder_t *u = uitvoerder_of (self);
    out_state_t s = {0};
    kt_reason_t reason;
    char hex[KT_ID_HEX];
    kt_hex (hex, r->message_id.data, KT_ID_LEN);
    if (transfer_out_find (u->transfer, r->message_id.data, s_out_state, &s, &reason) < 0 ||
        !s.found || s.state != TRANSFER_PENDING ||
        strcmp (s.federation, p->peering.federation) != 0)
        return; /* answered before, or not ours to it */
    bool accepted = r->status == KETEN__RECEIPT_STATUS__ACCEPTED;
    /*  The peer's reason is its text, not keten's: it goes into the
     *  table (keten transfers), bounded and checked, never into the log
     *  or the journal. */
    char why[POLICY_MAX_BASIS + 1];
    size_t why_len = strlen (r->reason);
    if (why_len > POLICY_MAX_BASIS ||
        intake_text_check (r->reason, why_len, false) != INTAKE_TEXT_OK)
        snprintf (why, sizeof why, "(the reason is not shown: not one line of plain text)");
    else
        snprintf (why, sizeof why, "%s", r->reason);
    char what[200], key[64];
    if (accepted)
        snprintf (what, sizeof what, "accepted by %s at its log index %llu", p->peering.federation,
                  (unsigned long long) r->log_index);
    else
        snprintf (what, sizeof what, "refused by %s (its reason: keten transfers)",
                  p->peering.federation);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__TRANSFER_ANSWERED;
    e.time_ms = kt_now_ms ();
    e.message_id = r->message_id;
    e.message_type = KETEN__MESSAGE_TYPE__TRANSFER;
    e.node = p->peering.uitvoerder;
    e.case_ref = s.case_ref;
    e.what = what;
    snprintf (key, sizeof key, "transfer-answered/%s", hex);
    /*  Logged first: a crash before the row records it leaves the row
     *  pending, the offer goes again, the peer answers the same, and the
     *  entry is not logged twice. */
    if (provlog_append_one (u->log, key, &e, NULL, &reason) < 0 ||
        transfer_out_answered (u->transfer, r->message_id.data, accepted, r->log_index, why,
                               &reason) != 0) {
        kt_log (KT_LOG_ERROR, "transfer answer_unrecorded id=%s reason=\"%s\"", hex, reason.text);
        return;
    }
    kt_log (accepted ? KT_LOG_INFO : KT_LOG_WARN, "transfer %s id=%s federation=%s",
            accepted ? "accepted" : "refused", hex, p->peering.federation);
}

/* ---- transfer: receiving --------------------------------------------------- */

/*  The message id of the i-th signal a transfer brings: derived, so a
 *  crash-retried transfer finds the signals it stored before. */
static void
s_signal_id (const uint8_t transfer_id[KT_ID_LEN], size_t i, uint8_t out[KT_ID_LEN])
{
    uint8_t in[KT_ID_LEN + 8];
    memcpy (in, transfer_id, KT_ID_LEN);
    for (int b = 0; b < 8; b++)
        in[KT_ID_LEN + b] = (uint8_t) (i >> (8 * b));
    crypto_generichash (out, KT_ID_LEN, in, sizeof in, (const uint8_t *) "keten/transfer", 14);
}

/*  Two signals are about one person as the weegploeg file joins them:
 *  the same BSN, or the same name (normalised) and birth date. */
static bool
s_same_subject (const Keten__Subject *a, const Keten__Subject *b)
{
    if (*a->bsn && *b->bsn)
        return strcmp (a->bsn, b->bsn) == 0;
    char na[512], nb[512];
    weegploeg_normalise (na, sizeof na, a->name);
    weegploeg_normalise (nb, sizeof nb, b->name);
    return strcmp (na, nb) == 0 && strcmp (a->birth_date, b->birth_date) == 0;
}

static int
s_take_in (node_t *self, peer_link_t *p, const envelope_opened_t *opened, const Keten__Transfer *t,
           uint64_t *index_p, char case_ref[40], kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const Keten__Header *h = opened->header;
    if (strcmp (t->from_federation, p->peering.federation) != 0)
        return kt_fail (reason, "a transfer over the peering with %s must come from it, not %s",
                        p->peering.federation, t->from_federation);
    for (size_t i = 1; i < t->n_signals; i++)
        if (!s_same_subject (t->signals[0]->signal->subject, t->signals[i]->signal->subject))
            return kt_fail (reason,
                            "a transfer carries one subject; signal %zu is about another "
                            "person than signal 0",
                            i);
    for (size_t i = 0; i < t->n_signals; i++)
        if (t->signals[i]->signal->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10 &&
            !p->peering.wpg_entitled)
            return kt_fail (reason,
                            "art. 9/10 Wpg data: the peering with %s does not allow it here "
                            "(wpg-entitled = 0)",
                            p->peering.federation);
    char what[300], *to[1] = {(char *) keyring_self_member (self->keyring)->id};
    snprintf (what, sizeof what, "from %s, its %s at its log index %llu; %zu signals, %u withheld",
              t->from_federation, t->from_case_ref, (unsigned long long) t->sent_log_index,
              t->n_signals, t->withheld);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__TRANSFER_RECEIVED;
    e.time_ms = kt_now_ms ();
    e.message_id = h->id;
    e.message_type = h->type;
    e.node = h->sender;
    e.recipients = to;
    e.n_recipients = 1;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    e.what = what;
    int rc = provlog_log_received (u->log, &e, index_p, reason);
    if (rc != 0)
        return rc < 0 ? -1 : 1;
    /*  The signals, unless a crash after storing them cut this short. */
    uint8_t first[KT_ID_LEN];
    s_signal_id (opened->id, 0, first);
    char sender[65];
    int stored = weegploeg_signal_owner (u->weegploeg, first, case_ref, sender, reason);
    if (stored < 0)
        return -1;
    if (stored == 0) {
        weegploeg_signal_t *w = calloc (t->n_signals, sizeof *w);
        uint8_t (*ids)[KT_ID_LEN] = calloc (t->n_signals, KT_ID_LEN);
        if (!w || !ids) {
            free (w);
            free (ids);
            return kt_fail (reason, "out of memory");
        }
        uint64_t now = kt_now_ms ();
        for (size_t i = 0; i < t->n_signals; i++) {
            s_signal_id (opened->id, i, ids[i]);
            w[i].message_id = ids[i];
            w[i].sender = to[0];
            w[i].created_ms = h->created_ms;
            w[i].received_ms = now;
            w[i].log_index = *index_p;
            w[i].body_commitment = h->body_commitment.data;
            w[i].signal = t->signals[i]->signal;
        }
        rc = weegploeg_store_signals (u->weegploeg, w, t->n_signals, reason);
        if (rc == 0)
            snprintf (case_ref, 40, "%s", w[0].case_ref);
        free (w);
        free (ids);
        if (rc != 0)
            return -1;
    }
    char decided[1200];
    store_join (decided, sizeof decided, (const char *const *) t->decided_by, t->n_decided_by);
    transfer_in_t in = {
        opened->id,  t->from_federation, t->from_case_ref, case_ref,     t->basis,
        decided,     t->sent_log_index,  *index_p,         kt_now_ms (), (unsigned) t->n_signals,
        t->withheld, t->plan_status,     opened->leaf_hash};
    return transfer_in_record (u->transfer, &in, reason);
}

static void
s_on_transfer (node_t *self, peer_link_t *p, const envelope_opened_t *opened,
               const Keten__Transfer *t)
{
    uint64_t index = 0;
    char case_ref[40] = "", hex[KT_ID_HEX];
    kt_hex (hex, opened->id, KT_ID_LEN);
    kt_reason_t reason;
    int rc = s_take_in (self, p, opened, t, &index, case_ref, &reason);
    if (rc < 0) {
        /*  A storage error: no answer, the sender offers it again. */
        kt_log (KT_LOG_ERROR, "transfer store_failed id=%s federation=%s reason=\"%s\"", hex,
                p->peering.federation, reason.text);
        return;
    }
    if (rc > 0) {
        kt_log (KT_LOG_WARN, "transfer refused id=%s federation=%s reason=\"%s\"", hex,
                p->peering.federation, reason.text);
        s_refuse_transfer (self, p, opened->id, reason.text);
        s_receipt (self, p, opened->id, false, 0, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "transfer received id=%s federation=%s case_ref=%s log_index=%llu", hex,
            p->peering.federation, case_ref, (unsigned long long) index);
    s_receipt (self, p, opened->id, true, index, NULL);
}

/* ---- receiving ------------------------------------------------------------- */

static bool
s_seen (void *arg, const uint8_t id[KT_ID_LEN])
{
    node_t *self = arg;
    bool same;
    uint64_t index;
    char case_ref[40];
    kt_reason_t reason;
    uint8_t none[32] = {0};
    return transfer_in_find (uitvoerder_of (self)->transfer, id, none, &same, &index, case_ref,
                             &reason) == 1;
}

/*  A transfer taken in before: the same answer to the same message (its
 *  first receipt was lost, or it is replayed), a refusal to another one
 *  under its id.  Nothing is stored again. */
static void
s_duplicate (node_t *self, peer_link_t *p, const envelope_opened_t *opened)
{
    bool same = false;
    uint64_t index = 0;
    char case_ref[40], hex[KT_ID_HEX];
    kt_reason_t reason;
    kt_hex (hex, opened->id, KT_ID_LEN);
    if (transfer_in_find (uitvoerder_of (self)->transfer, opened->id, opened->leaf_hash, &same,
                          &index, case_ref, &reason) != 1)
        return;
    kt_log (KT_LOG_WARN, "transfer duplicate id=%s federation=%s same=%s", hex,
            p->peering.federation, same ? "yes" : "no");
    if (same)
        s_receipt (self, p, opened->id, true, index, NULL);
    else
        s_receipt (self, p, opened->id, false, 0,
                   "this transfer id is already used for a different transfer");
}

static void
s_on_message (node_t *self, peer_link_t *p, const uint8_t *data, size_t len)
{
    envelope_open_opts_t opts;
    node_open_opts (self, &opts);
    opts.allocator = NULL; /* not in a drain of the node's socket: no arena reset follows */
    opts.transport_peer = keyring_peer (p->keyring, p->peering.uitvoerder);
    opts.seen = s_seen;
    opts.seen_arg = self;
    envelope_opened_t opened;
    memset (&opened, 0, sizeof opened);
    kt_reason_t reason;
    int rc = envelope_open (p->keyring, data, len, &opts, &opened, &reason);
    p->last_seen_ms = kt_now_ms ();
    p->seen_mono_ms = s_mono_ms ();
    if (rc == ENVELOPE_DUPLICATE) {
        if (opened.header->type == KETEN__MESSAGE_TYPE__TRANSFER)
            s_duplicate (self, p, &opened);
        envelope_opened_clear (&opened);
        return;
    }
    if (rc != ENVELOPE_OK) {
        char hex[KT_ID_HEX] = "-";
        if (opened.have_id)
            kt_hex (hex, opened.id, KT_ID_LEN);
        /*  No answer: an envelope that fails its checks may not be the
         *  peer's at all (a forgery, an altered copy of a transfer taken
         *  in already), and a refusal would make the sender stop
         *  offering it.  The journal says why. */
        kt_log (KT_LOG_WARN, "peer message refused id=%s federation=%s reason=\"%s\"", hex,
                p->peering.federation, reason.text);
        envelope_opened_clear (&opened);
        return;
    }
    Keten__MessageType type = opened.header->type;
    const policy_body_t *b = policy_body (type);
    ProtobufCMessage *body =
        b ? protobuf_c_message_unpack (b->descriptor, NULL, opened.body_len, opened.body) : NULL;
    if (!body || (b->check && b->check (body, &reason) != 0)) {
        if (!body)
            snprintf (reason.text, sizeof reason.text, "body does not decode");
        kt_log (KT_LOG_WARN, "peer message refused federation=%s reason=\"%s\"",
                p->peering.federation, reason.text);
        if (type == KETEN__MESSAGE_TYPE__TRANSFER) {
            s_refuse_transfer (self, p, opened.id, reason.text);
            s_receipt (self, p, opened.id, false, 0, reason.text);
        }
    } else if (type == KETEN__MESSAGE_TYPE__CHECKPOINT)
        s_on_checkpoint (self, p, (const Keten__CheckpointMessage *) body);
    else if (type == KETEN__MESSAGE_TYPE__TRANSFER)
        s_on_transfer (self, p, &opened, (const Keten__Transfer *) body);
    else if (type == KETEN__MESSAGE_TYPE__RECEIPT)
        s_on_receipt (self, p, (const Keten__Receipt *) body);
    else
        kt_log (KT_LOG_WARN,
                "peer message refused federation=%s reason=\"%s is not exchanged "
                "between federations\"",
                p->peering.federation, policy_type_name (type));
    if (body)
        protobuf_c_message_free_unpacked (body, NULL);
    envelope_opened_clear (&opened);
}

bool
uitvoerder_peer_on_router (node_t *self, const transport_msg_t *msg)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!msg->have_peer_key)
        return false;
    for (size_t i = 0; i < u->n_peers; i++) {
        peer_link_t *p = &u->peers[i];
        if (p->dial || memcmp (p->peering.transport_pk, msg->peer_key, 32) != 0 ||
            !roster_peering_active (&p->peering, kt_now_ms ()))
            continue;
        memcpy (p->route.id, msg->rid, msg->rid_len);
        p->route.len = msg->rid_len;
        s_on_message (self, p, zframe_data (msg->data), zframe_size (msg->data));
        return true;
    }
    return false;
}

static int
s_reanchor (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
            kt_reason_t *reason)
{
    const char *peer = json_string_value (json_object_get (args, "peer"));
    json_t *size = json_object_get (args, "size");
    const char *root_hex = json_string_value (json_object_get (args, "root"));
    const char *why = json_string_value (json_object_get (args, "reason"));
    uint8_t root[32];
    if (!peer)
        return kt_fail (reason, "the uitvoerder keeps this log; log.reanchor at the uitvoerder "
                                "needs peer, the federation whose log its witness follows");
    peer_link_t *p = s_find (self, peer);
    if (!p)
        return kt_fail (reason, "no peering with federation %.64s in force", peer);
    if (!json_is_integer (size) || json_integer_value (size) < 1 || !root_hex ||
        strlen (root_hex) != 64 || kt_unhex (root, sizeof root, root_hex) != 0)
        return kt_fail (reason, "log.reanchor needs size (a tree size, from 1) and root (64 hex "
                                "digits), as the peer's keten status shows them");
    if (!why || !*why || strlen (why) > 500 || strpbrk (why, "\r\n"))
        return kt_fail (reason, "log.reanchor needs reason: one line of at most 500 bytes");
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    json_t *r = NULL;
    if (witness_reanchor (p->witness, (uint64_t) json_integer_value (size), root,
                          (uint32_t) caller->uid, user, why, &r, reason) != 0)
        return -1;
    json_object_update (result, r);
    json_decref (r);
    json_object_set_new (result, "peer", json_string (peer));
    kt_log (KT_LOG_WARN, "peering reanchored federation=%s size=%lld user=%s", peer,
            (long long) json_integer_value (size), user);
    return 0;
}

void
uitvoerder_peer_reanchor (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_reanchor);
}

/* ---- status and life ------------------------------------------------------- */

json_t *
uitvoerder_peer_status (node_t *self, json_t *status)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *list = json_array ();
    for (size_t i = 0; i < u->n_peers; i++) {
        peer_link_t *p = &u->peers[i];
        kt_reason_t why;
        int alarm = witness_alarm_read (p->witness, &why);
        json_t *w = witness_status (p->witness);
        if (!w || alarm < 0) {
            /*  Its alarms unknown: named, not read as none (log_alarm
             *  below is then null, not false). */
            char section[96];
            snprintf (section, sizeof section, "peerings.%s.witness", p->peering.federation);
            node_status_unreadable (status, section,
                                    alarm < 0 ? why.text : "the witness of its log cannot be read");
        }
        json_array_append_new (
            list, json_pack ("{s:s, s:s, s:s, s:s, s:b, s:I, s:o, s:o}", "federation",
                             p->peering.federation, "uitvoerder", p->peering.uitvoerder, "endpoint",
                             p->peering.endpoint, "connection", p->dial ? "dials" : "listens",
                             "connected", s_up (self, p), "last_seen_ms",
                             (json_int_t) p->last_seen_ms, "witness", w ? w : json_null (),
                             "log_alarm", alarm < 0 ? json_null () : json_boolean (alarm == 1)));
    }
    return list;
}

int
uitvoerder_transfer_forget (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    transfer_t *t = uitvoerder_of (self)->transfer;
    /*  At a start's completion of a destruction the peer links may not
     *  be up yet; the table is opened here if need be. */
    if (!t && !(t = uitvoerder_of (self)->transfer = transfer_new (self->db, reason)))
        return -1;
    return transfer_forget_case (t, case_ref, reason);
}

int
uitvoerder_transfer_corrected (node_t *self, const char *case_ref, kt_reason_t *reason)
{
    transfer_t *t = uitvoerder_of (self)->transfer;
    if (!t && !(t = uitvoerder_of (self)->transfer = transfer_new (self->db, reason)))
        return -1;
    int n = transfer_out_reprepare (t, case_ref, reason);
    if (n > 0)
        kt_log (KT_LOG_INFO, "transfer reseal case_ref=%s transfers=%d", case_ref, n);
    return n < 0 ? -1 : 0;
}

json_t *
uitvoerder_transfer_counts (node_t *self, kt_reason_t *reason)
{
    return transfer_counts (uitvoerder_of (self)->transfer, reason);
}

int
uitvoerder_peer_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->transfer && !(u->transfer = transfer_new (self->db, reason)))
        return -1;
    uitvoerder_peers_apply (self);
    zloop_timer (self->loop, CHECKPOINT_PUSH_MS, 0, s_on_timer, self);
    return 0;
}

void
uitvoerder_peer_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    s_links_free (self);
    transfer_destroy (&u->transfer);
}
