/*  partner_log: a member checks the uitvoerder's log (docs/PROTOCOL.md,
 *  "Checkpoints, proofs and witnesses") through its witness (witness.c):
 *  receipts' inclusion proofs, checkpoints and consistency proofs, and - at
 *  politie and OM - witness cosignatures.
 */
#include "partner.h"

#include "arena.h"

#include <string.h>

int
partner_log_start (node_t *self, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    const roster_member_t *me = keyring_self_member (self->keyring);
    bool witness = strcmp (me->kind, "politie") == 0 || strcmp (me->kind, "om") == 0;
    p->witness = witness_new (self->db, self->keys, keyring_roster (self->keyring)->federation,
                              p->hub->member->signing_pk, witness, reason);
    /*  Receipts reach the witness only while a drain is settled, before
     *  its arena is reset (dispatch.c). */
    if (p->witness)
        witness_decode_with (p->witness, kt_arena_allocator (self->arena));
    return p->witness ? 0 : -1;
}

void
partner_log_stop (node_t *self)
{
    witness_destroy (&partner_of (self)->witness);
}

/*  Send what the witness asks for (not kept for retry: the next
 *  checkpoint asks again). */
static void
s_send (node_t *self, witness_out_t *out)
{
    Keten__CheckpointMessage m;
    if (!witness_out_message (out, &m))
        return;
    kt_reason_t reason;
    if (node_queue (self, NULL, KETEN__MESSAGE_TYPE__CHECKPOINT, partner_of (self)->hub->member->id,
                    &m.base, &reason) != 0)
        kt_log (KT_LOG_ERROR, "checkpoint seal_failed reason=\"%s\"", reason.text);
    witness_out_clear (out);
}

void
partner_log_receipt (node_t *self, const Keten__Receipt *r, const uint8_t *header_leaf)
{
    witness_out_t out = {0};
    witness_on_receipt (partner_of (self)->witness, r->message_id.data, r, self->config.id,
                        header_leaf, &out);
    s_send (self, &out);
}

void
partner_log_heartbeat (node_t *self)
{
    partner_t *p = partner_of (self);
    /*  Only while the uitvoerder hears us: an outage is no unanswered
     *  request. */
    if (!p->witness || !p->link_up)
        return;
    witness_out_t out = {0};
    witness_on_heartbeat (p->witness, kt_now_ms (), &out);
    s_send (self, &out);
}

void
partner_on_checkpoint (node_t *self, node_message_t *msg)
{
    const Keten__CheckpointMessage *m = (const Keten__CheckpointMessage *) msg->body;
    /*  From the uitvoerder a checkpoint always carries its note (requests
     *  and cosignatures go the other way). */
    if (m->note.len == 0) {
        kt_log (KT_LOG_WARN, "checkpoint undecodable");
        return;
    }
    /*  The receipts before it in this drain were proven against the
     *  checkpoints the uitvoerder held when it made them, which this push
     *  may be newer than: settled first, so that the witness meets them in
     *  the order they were sent.  Kept after the push, they would read as
     *  a log that went back. */
    partner_receipts_settle_now (self);
    witness_out_t out = {0};
    witness_on_checkpoint (partner_of (self)->witness, m, &out);
    s_send (self, &out);
}
