/*  partner_receipt: the uitvoerder's receipts for what this node sent.  A
 *  drain's receipts are settled together, in one commit: each outbox row
 *  marked delivered or refused with the signed envelope it came in as
 *  proof, the receipt's log proof handed to the witness, then the
 *  callers that wait answered.  A RECEIPT carries one receipt; RECEIPTS
 *  several (docs/PROTOCOL.md, "Receipts"), whose envelope is kept once.
 */
#include "partner.h"

#include "merkle.h"

#include <string.h>

/*  A message of this drain that brought receipts: its body (owned), and
 *  its signed envelope (owned), kept as proof of delivery. */
struct _received_t {
    ProtobufCMessage *body; /* Keten__Receipt or Keten__Receipts */
    uint8_t *envelope;
    size_t envelope_len;
    uint8_t id[KT_ID_LEN]; /* the message's own id */
    bool several;          /* RECEIPTS: the envelope is kept once, under id */
    bool kept;             /* settled something: its envelope goes in the commit */
    /*  RECEIPTS whose paths share hashes (Receipt.inclusion_shared): each
     *  receipt's whole path is made from its own hashes and the one
     *  before it, in order, as they are settled (s_path). */
    bool shared;
};

/*  One receipt of this drain, waiting to be settled. */
struct _settled_t {
    const Keten__Receipt *receipt; /* borrowed from its message's body */
    size_t from;                   /* the message that brought it, in received */
};

/*  The whole inclusion path of the receipt before, in its message, while
 *  a drain's receipts are settled in order. */
typedef struct {
    size_t from; /* its message, in received (SIZE_MAX: none yet) */
    uint8_t path[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    size_t n;
} whole_path_t;

static void s_notify_waiter (node_t *self, const uint8_t id[KT_ID_LEN], bool accepted,
                             uint64_t log_index, const char *refusal);

/*  A waiter answered: let go of it. */
static void
s_waiter_done (partner_t *p, waiter_t *w, const char *hex)
{
    api_caller_clear (&w->caller);
    free (w);
    zhashx_delete (p->waiters, hex);
}

bool
partner_waiter_add (node_t *self, const uint8_t id[KT_ID_LEN], const api_caller_t *caller,
                    submit_batch_t *batch, size_t index)
{
    partner_t *p = partner_of (self);
    /*  Kept for nobody, it would stay until the receipt (hours, while
     *  the uitvoerder is away). */
    if (!apiserver_caller_open (self->api, caller))
        return false;
    waiter_t *w = malloc (sizeof *w);
    if (!w)
        return false;
    api_caller_copy (&w->caller, caller);
    w->batch = batch;
    w->index = index;
    char hex[KT_ID_HEX];
    if (zhashx_insert (p->waiters, kt_hex (hex, id, KT_ID_LEN), w) != 0) {
        api_caller_clear (&w->caller);
        free (w);
        return false;
    }
    /*  Its receipt may have been settled before the wait began: a signal
     *  is sent while its record's log is still being made durable, and
     *  its caller waits only once that is done. */
    if (!outbox_awaits_receipt (p->outbox, id)) {
        outbox_status_t st;
        kt_reason_t reason;
        int found = outbox_status (p->outbox, id, &st, &reason);
        if (found < 0)
            /*  The caller waits on; signal.list shows the delivery. */
            kt_log (KT_LOG_ERROR, "waiter status_unreadable id=%s reason=\"%s\"", hex, reason.text);
        else if (found && st.state != OUTBOX_PENDING)
            s_notify_waiter (self, id, st.state == OUTBOX_DELIVERED, st.log_index,
                             st.refusal ? st.refusal : "");
        outbox_status_clear (&st);
    }
    return true;
}

void
partner_waiters_closing (node_t *self)
{
    partner_t *p = partner_of (self);
    if (!p || !p->waiters)
        return;
    /*  Stored and on its way, its receipt not yet here: the caller learns
     *  the message id (signal.list shows the delivery after the restart)
     *  instead of an end of stream that invites a duplicate. */
    waiter_t *w;
    while ((w = zhashx_first (p->waiters))) {
        char hex[KT_ID_HEX];
        snprintf (hex, sizeof hex, "%s", (const char *) zhashx_cursor (p->waiters));
        if (w->batch)
            partner_batch_outcome (self, w->batch, w->index, KETEN__API_STATE__API_QUEUED, 0, NULL);
        else
            apiserver_reply_ok (self->api, &w->caller,
                                json_pack ("{s:s, s:s}", "message_id", hex, "state", "queued"));
        s_waiter_done (p, w, hex);
    }
}

/*  Whether w's connection is one of ids (n, ascending). */
static bool
s_conn_closed (const waiter_t *w, const uint64_t *ids, size_t n)
{
    return bsearch (&w->caller.conn_id, ids, n, sizeof *ids, apiserver_conn_id_cmp) != NULL;
}

void
partner_waiters_closed (node_t *self, const uint64_t *conn_ids, size_t n_ids)
{
    partner_t *p = partner_of (self);
    if (!p || !p->waiters || n_ids == 0)
        return;
    /*  Their keys first: the table is not changed while it is walked.
     *  One walk for all the connections closed in a pass (conn_ids in
     *  ascending order), however many. */
    size_t n = 0;
    for (waiter_t *w = zhashx_first (p->waiters); w; w = zhashx_next (p->waiters))
        n += s_conn_closed (w, conn_ids, n_ids);
    char (*gone)[KT_ID_HEX] = n ? malloc (n * sizeof *gone) : NULL;
    if (!gone)
        return; /* none, or out of memory: kept until their receipts */
    size_t k = 0;
    for (waiter_t *w = zhashx_first (p->waiters); w && k < n; w = zhashx_next (p->waiters))
        if (s_conn_closed (w, conn_ids, n_ids))
            snprintf (gone[k++], KT_ID_HEX, "%s", (const char *) zhashx_cursor (p->waiters));
    for (size_t i = 0; i < k; i++) {
        waiter_t *w = zhashx_lookup (p->waiters, gone[i]);
        if (w && w->batch)
            partner_batch_drop (w->batch);
        if (w)
            s_waiter_done (p, w, gone[i]);
    }
    free (gone);
}

static void
s_notify_waiter (node_t *self, const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                 const char *refusal)
{
    partner_t *p = partner_of (self);
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    waiter_t *w = zhashx_lookup (p->waiters, hex);
    if (!w)
        return;
    if (w->batch)
        partner_batch_outcome (self, w->batch, w->index,
                               accepted ? KETEN__API_STATE__API_DELIVERED
                                        : KETEN__API_STATE__API_REFUSED,
                               log_index, refusal);
    else {
        json_t *r = json_pack ("{s:s, s:s}", "message_id", hex, "state",
                               accepted ? "delivered" : "refused");
        if (accepted)
            json_object_set_new (r, "log_index", json_integer ((json_int_t) log_index));
        else
            json_object_set_new (r, "reason", json_string (refusal));
        apiserver_reply_ok (self->api, &w->caller, r);
    }
    s_waiter_done (p, w, hex);
}

/*  A receipt of a RECEIPTS message with a proof but no checkpoint of its
 *  own is proven against the message's one: the witness is handed a copy
 *  that carries it (the body keeps its own fields, so it frees as
 *  unpacked). */
static void
s_log_receipt (node_t *self, const settled_t *st, const received_t *from, const whole_path_t *whole,
               const uint8_t *header_leaf)
{
    const Keten__Receipt *r = st->receipt;
    Keten__Receipt with = *r;
    if (from->several && r->checkpoint.len == 0 && r->leaf_hash.len == 32)
        with.checkpoint = ((const Keten__Receipts *) from->body)->checkpoint;
    ProtobufCBinaryData path[MERKLE_MAX_PATH];
    if (whole && whole->n) {
        for (size_t i = 0; i < whole->n; i++)
            path[i] = (ProtobufCBinaryData){MERKLE_HASH_LEN, (uint8_t *) whole->path[i]};
        with.inclusion = path;
        with.n_inclusion = whole->n;
        with.inclusion_shared = 0;
    }
    partner_log_receipt (self, &with, header_leaf);
}

/*  The whole inclusion path of st, a receipt of a RECEIPTS whose paths
 *  share hashes, into whole, which held the one of the receipt before it
 *  (docs/PROTOCOL.md, "Receipts"): its own hashes, then the last
 *  inclusion_shared of the one before.  Made as the receipts are settled,
 *  in order, one path at a time: a message cannot make this node hold
 *  more than the one path.  A receipt that claims more than the one
 *  before it has, or whose hashes are malformed, keeps the path it came
 *  with (whole->n 0): the witness finds that it does not prove the entry
 *  and raises the alarm. */
static void
s_path (const settled_t *st, whole_path_t *whole)
{
    const Keten__Receipt *r = st->receipt;
    if (whole->from != st->from) {
        whole->from = st->from;
        whole->n = 0;
    }
    size_t own = r->n_inclusion, shared = r->inclusion_shared, n = own + shared;
    bool ok = shared <= whole->n && n <= MERKLE_MAX_PATH;
    for (size_t j = 0; ok && j < own; j++)
        ok = r->inclusion[j].len == MERKLE_HASH_LEN;
    if (!ok) {
        whole->n = 0;
        return;
    }
    /*  The shared hashes end the path before; they end this one too. */
    memmove (whole->path[own], whole->path[whole->n - shared], shared * MERKLE_HASH_LEN);
    for (size_t j = 0; j < own; j++)
        memcpy (whole->path[j], r->inclusion[j].data, MERKLE_HASH_LEN);
    whole->n = n;
}

/*  Each receipt's row settled and its proof handed to the witness;
 *  changed[i] as outbox_settle returned for the i-th.  0, or -1 with
 *  reason. */
static int
s_settle_each (node_t *self, int *changed, uint64_t now, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    whole_path_t whole = {.from = SIZE_MAX};
    for (size_t i = 0; i < p->n_settled; i++) {
        const Keten__Receipt *r = p->settled[i].receipt;
        received_t *from = &p->received[p->settled[i].from];
        if (from->shared)
            s_path (&p->settled[i], &whole);
        outbox_proof_t proof = {from->envelope, from->envelope_len,
                                from->several ? from->id : NULL};
        /*  The header it was sent with, which the receipt's log entry must
         *  name; read before the row is settled. */
        uint8_t leaf[MERKLE_HASH_LEN];
        bool known = r->status == KETEN__RECEIPT_STATUS__ACCEPTED &&
                     outbox_leaf (p->outbox, r->message_id.data, leaf) == 1;
        changed[i] = outbox_settle (p->outbox, r->message_id.data,
                                    r->status == KETEN__RECEIPT_STATUS__ACCEPTED, r->log_index,
                                    r->reason, &proof, now, reason);
        if (changed[i] < 0)
            return -1;
        /*  The receipt's log proof, kept in the same commit (docs/PROTOCOL.md,
         *  "Checkpoints, proofs and witnesses"). */
        if (changed[i] > 0) {
            s_log_receipt (self, &p->settled[i], from, from->shared ? &whole : NULL,
                           known ? leaf : NULL);
            from->kept = true;
        }
    }
    return 0;
}

/*  A drain's receipts settled inside the caller's transaction: the rows,
 *  the proofs (one batch of the witness's: a checkpoint shared by the
 *  receipts of a RECEIPTS is offered once), and each RECEIPTS envelope
 *  that settled something, kept once.  0, or -1 with reason. */
static int
s_settle_rows (node_t *self, int *changed, uint64_t now, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    witness_batch_begin (p->witness);
    int rc = s_settle_each (self, changed, now, reason);
    witness_batch_end (p->witness);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < p->n_received; i++) {
        const received_t *from = &p->received[i];
        if (from->several && from->kept &&
            outbox_keep_receipts (p->outbox, from->id, from->envelope, from->envelope_len,
                                  reason) != 0)
            return -1;
    }
    return 0;
}

/*  A drain's receipts that could not be recorded because node.db takes
 *  no writes until a restart (a failed sync of its log that could not be
 *  healed, docs/ARCHITECTURE.md rule 19): their waiting callers are told
 *  so now, instead of waiting until they give up.  The signals are on
 *  their way and stored as before; after the restart the outbox offers
 *  them again and the uitvoerder's repeated receipts are recorded.
 *  Otherwise (a passing failure) they wait on: the outbox offers the
 *  message again and the repeated receipt settles it. */
static void
s_settle_stopped (node_t *self)
{
    partner_t *p = partner_of (self);
    const char *what = NULL;
    if (!store_writes_stopped (self->db, &what))
        return;
    for (size_t i = 0; i < p->n_settled; i++) {
        const Keten__Receipt *r = p->settled[i].receipt;
        char hex[KT_ID_HEX];
        kt_hex (hex, r->message_id.data, KT_ID_LEN);
        waiter_t *w = zhashx_lookup (p->waiters, hex);
        if (!w)
            continue;
        if (w->batch)
            /*  Stored and on its way, its delivery not confirmed here. */
            partner_batch_outcome (self, w->batch, w->index, KETEN__API_STATE__API_QUEUED, 0,
                                   NULL);
        else {
            char error[KT_REASON_MAX + 256];
            snprintf (error, sizeof error,
                      "the uitvoerder's receipt for %s came, but this node cannot record it or "
                      "check its proof: node.db takes no writes until the node is restarted (%s); "
                      "the signal is stored and on its way, not to be submitted again, and after "
                      "the restart its receipt is asked for again",
                      hex, what);
            apiserver_reply_error (self->api, &w->caller, error);
        }
        s_waiter_done (p, w, hex);
    }
}

static void
s_settle (node_t *self)
{
    partner_t *p = partner_of (self);
    size_t n = p->n_settled;
    if (n == 0)
        return;
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    int *changed = calloc (n, sizeof *changed);
    /*  Committed without waiting for the disk (issue #17: it was one of
     *  the six durable waits of a signal, and it held up the next one):
     *  what a receipt records is this node's bookkeeping of a message the
     *  uitvoerder has on its disk, as its signed receipt says.  Lost in a
     *  power failure, it is made again: the outbox offers the message
     *  again, and the uitvoerder answers the repeat with the same receipt.
     *  The next commit that waits (the next submission's) makes it
     *  durable too. */
    if (!changed || store_sync (self->db, false, &reason) != 0 ||
        store_begin (self->db, &reason) != 0) {
        free (changed);
        store_sync (self->db, true, &reason);
        s_settle_stopped (self);
        return;
    }
    if (s_settle_rows (self, changed, now, &reason) != 0) {
        store_rollback (self->db);
        store_sync (self->db, true, &reason);
        kt_log (KT_LOG_ERROR, "receipt store_failed reason=\"%s\"", reason.text);
        free (changed);
        s_settle_stopped (self);
        return;
    }
    int committed = store_commit (self->db, &reason);
    if (committed != 0)
        store_rollback (self->db);
    kt_reason_t why;
    if (store_sync (self->db, true, &why) != 0)
        kt_log (KT_LOG_ERROR, "receipt synchronous_restore_failed reason=\"%s\"", why.text);
    if (committed != 0) {
        kt_log (KT_LOG_ERROR, "receipt commit_failed reason=\"%s\"", reason.text);
        free (changed);
        s_settle_stopped (self);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const Keten__Receipt *r = p->settled[i].receipt;
        if (!changed[i])
            continue; /* a second receipt for a settled message */
        bool ok = r->status == KETEN__RECEIPT_STATUS__ACCEPTED;
        outbox_forget (p->outbox, r->message_id.data);
        kt_hex (p->last_receipt_id, r->message_id.data, KT_ID_LEN);
        p->last_receipt_ms = now;
        p->last_receipt_index = r->log_index;
        if (!ok)
            kt_log (KT_LOG_WARN, "message refused_by_uitvoerder id=%s reason=\"%s\"",
                    p->last_receipt_id, r->reason);
        s_notify_waiter (self, r->message_id.data, ok, r->log_index, r->reason);
        /*  art. 13: the receipt is durable, so a spool file sent as this
         *  message may leave done/ on the next spool pass. */
        if (p->retain)
            spool_retain_wake (p->retain);
    }
    free (changed);
}

/*  The drain's messages and receipts let go. */
static void
s_clear (node_t *self)
{
    partner_t *p = partner_of (self);
    for (size_t i = 0; i < p->n_received; i++) {
        node_body_free (self, p->received[i].body);
        free (p->received[i].envelope);
    }
    p->n_received = 0;
    p->n_settled = 0;
}

/*  The checkpoint note of an opened RECEIPT or RECEIPTS, verified by the
 *  witness ahead while its envelope's signature is verified on the
 *  verifier's thread: two Ed25519 verifications on two cores instead of
 *  one after the other (issue #17).  The witness only remembers a note
 *  that verified; the receipts are settled as before, once the envelope
 *  has opened.  Read here as ReceiptsPacked, whose receipts stay bytes:
 *  only the note is wanted. */
static void
s_overlap (void *arg, const envelope_opened_t *opened)
{
    partner_t *p = partner_of ((node_t *) arg);
    if (opened->header->type == KETEN__MESSAGE_TYPE__RECEIPT) {
        Keten__Receipt *r = keten__receipt__unpack (NULL, opened->body_len, opened->body);
        if (r && r->checkpoint.len)
            witness_preverify (p->witness, r->checkpoint.data, r->checkpoint.len);
        if (r)
            keten__receipt__free_unpacked (r, NULL);
    } else {
        Keten__ReceiptsPacked *r =
            keten__receipts_packed__unpack (NULL, opened->body_len, opened->body);
        if (r && r->checkpoint.len)
            witness_preverify (p->witness, r->checkpoint.data, r->checkpoint.len);
        if (r)
            keten__receipts_packed__free_unpacked (r, NULL);
    }
}

void
partner_open_opts (node_t *self, envelope_open_opts_t *opts)
{
    opts->overlap = s_overlap;
    opts->overlap_arg = self;
    opts->overlap_types = (UINT32_C (1) << KETEN__MESSAGE_TYPE__RECEIPT) |
                          (UINT32_C (1) << KETEN__MESSAGE_TYPE__RECEIPTS);
}

int
partner_drain_begin (node_t *self)
{
    partner_t *p = partner_of (self);
    /*  Made once and kept (issue #17): no zeroed room for NODE_DRAIN_ENVELOPES
     *  receipts per message; each entry is set when it is taken. */
    if (!p->received)
        p->received = malloc (NODE_DRAIN_ENVELOPES * sizeof *p->received);
    if (!p->settled) {
        p->settled = malloc (NODE_DRAIN_ENVELOPES * sizeof *p->settled);
        p->cap_settled = p->settled ? NODE_DRAIN_ENVELOPES : 0;
    }
    p->n_received = p->n_settled = 0;
    p->came_up = false;
    return p->received && p->settled ? 0 : -1;
}

void
partner_receipts_settle_now (node_t *self)
{
    s_settle (self);
    s_clear (self);
}

/*  The drain's receipts settled in one commit, then what arrived is
 *  answered and what is due is sent. */
void
partner_drain_end (node_t *self)
{
    partner_t *p = partner_of (self);
    s_settle (self);
    s_clear (self);
    if (p->came_up)
        outbox_link_up (p->outbox, kt_now_ms ());
    node_send_batch (self); /* receipts for what arrived */
    partner_pump (self);
}

void
partner_receipts_free (node_t *self)
{
    partner_t *p = partner_of (self);
    s_clear (self);
    free (p->received);
    free (p->settled);
    p->received = NULL;
    p->settled = NULL;
}

/*  m's body and envelope taken into the drain (one message per drain
 *  entry: NODE_DRAIN_ENVELOPES), its n receipts made room for.  NULL when out of
 *  memory: not settled, the uitvoerder answers the retry. */
static received_t *
s_take (partner_t *p, node_message_t *m, size_t n, bool several)
{
    if (p->n_received == NODE_DRAIN_ENVELOPES) /* the dispatcher's bound: not reached */
        return NULL;
    if (p->n_settled + n > p->cap_settled) {
        size_t cap = p->cap_settled;
        while (cap < p->n_settled + n)
            cap *= 2;
        settled_t *grown = realloc (p->settled, cap * sizeof *grown);
        if (!grown)
            return NULL;
        p->settled = grown;
        p->cap_settled = cap;
    }
    received_t *from = &p->received[p->n_received];
    from->envelope = malloc (m->raw_len);
    if (!from->envelope)
        return NULL;
    memcpy (from->envelope, m->raw, m->raw_len);
    from->envelope_len = m->raw_len;
    memcpy (from->id, m->opened.id, KT_ID_LEN);
    from->several = several;
    from->kept = false;
    from->shared = false;
    from->body = m->body;
    m->body = NULL;
    p->n_received++;
    return from;
}

static void
s_add (partner_t *p, const Keten__Receipt *r)
{
    p->settled[p->n_settled] = (settled_t){r, p->n_received - 1};
    p->n_settled++;
}

/*  A receipt for one of ours: kept, with its signed envelope as proof,
 *  until the drain settles them together. */
void
partner_on_receipt (node_t *self, node_message_t *m)
{
    partner_t *p = partner_of (self);
    if (s_take (p, m, 1, false))
        s_add (p, (const Keten__Receipt *) p->received[p->n_received - 1].body);
}

/*  Receipts for several of ours in one message: the same, their envelope
 *  kept once. */
/*  Whether a RECEIPTS message's id names another one kept before or met
 *  earlier in this drain (an uitvoerder that reused an id): its rows would
 *  name as their proof an envelope that does not prove them.  Such a
 *  message is dropped before its receipts reach the witness, so that
 *  nothing the witness found in the drain's other messages (an alarm
 *  among it) is rolled back with it; its rows stay pending and are
 *  offered again. */
static bool
s_receipts_id_reused (node_t *self, const node_message_t *m)
{
    partner_t *p = partner_of (self);
    for (size_t i = 0; i < p->n_received; i++) {
        const received_t *r = &p->received[i];
        if (r->several && memcmp (r->id, m->opened.id, KT_ID_LEN) == 0)
            return r->envelope_len != m->raw_len || memcmp (r->envelope, m->raw, m->raw_len) != 0;
    }
    kt_reason_t reason;
    int other = outbox_receipts_other (p->outbox, m->opened.id, m->raw, m->raw_len, &reason);
    if (other < 0)
        kt_log (KT_LOG_ERROR, "receipts lookup_failed reason=\"%s\"", reason.text);
    return other != 0;
}

void
partner_on_receipts (node_t *self, node_message_t *m)
{
    partner_t *p = partner_of (self);
    const Keten__Receipts *rs = (const Keten__Receipts *) m->body;
    if (s_receipts_id_reused (self, m)) {
        char hex[KT_ID_HEX];
        kt_log (KT_LOG_WARN,
                "receipts refused id=%s reason=\"another RECEIPTS message under an id met "
                "before\"",
                kt_hex (hex, m->opened.id, KT_ID_LEN));
        return;
    }
    received_t *from = s_take (p, m, rs->n_receipts, true);
    if (!from)
        return;
    for (size_t i = 0; i < rs->n_receipts; i++) {
        s_add (p, rs->receipts[i]);
        from->shared |= rs->receipts[i]->inclusion_shared > 0;
    }
}
