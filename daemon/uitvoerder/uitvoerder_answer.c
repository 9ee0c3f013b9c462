/*  uitvoerder_answer: "eventueel na het inwinnen van additionele
 *  informatie" (art. 7.4 sub 1).  The weegploeg decided meer informatie
 *  and asked one kernpartij a question; that kernpartij answers with a
 *  CASE_CONTRIBUTION whose answers names the decision.  The answer is
 *  weegploeg data, not casusoverleg data: it is kept in the weegploeg
 *  file under the subject's key, goes on the subject's agenda copies next
 *  to its signals, and makes the subject due on the next weegploeg
 *  agenda.
 *
 *  Crash reasoning (as for contributions, uitvoerder_casus.c): every rule
 *  is checked first; INFORMATION_ANSWERED is logged once per message id
 *  (a redelivery finds its index); the answer and the subject's due mark
 *  commit together; only then the receipt.  Putting the subject on the
 *  next planned meeting is a new meeting version of its own commit,
 *  which clears the due mark; one recorded and not sent is resumed by
 *  the meeting resume, and a due mark a crash left is placed at start
 *  (uitvoerder_agenda_place_due).
 */
#include "uitvoerder.h"

#include "items.h"
#include "render.h"

#include "store.h"

#include <string.h>

/*  INFORMATION_ANSWERED, once per message id: 0 (index_p), 1 when the id
 *  is logged for another message, -1. */
static int
s_log_answered (node_t *self, const roster_member_t *sender, const envelope_opened_t *opened,
                const Keten__CaseContribution *c, uint64_t *index_p, kt_reason_t *reason)
{
    const Keten__Header *h = opened->header;
    char *to[1] = {(char *) keyring_self_member (self->keyring)->id};
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__INFORMATION_ANSWERED;
    e.time_ms = kt_now_ms ();
    e.message_id = h->id;
    e.message_type = h->type;
    e.node = (char *) sender->id;
    e.case_ref = c->case_ref;
    e.what = c->answers; /* the decision answered: an id, no content */
    e.recipients = to;
    e.n_recipients = 1;
    e.body_commitment = h->body_commitment;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    return provlog_log_received (uitvoerder_of (self)->log, &e, index_p, reason);
}

/*  The answer and the due mark, in one commit on the weegploeg file. */
static int
s_store (node_t *self, const roster_member_t *sender, const envelope_opened_t *opened,
         const Keten__CaseContribution *c, uint64_t index, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    sqlite3 *db = weegploeg_db (u->weegploeg);
    uint64_t now = kt_now_ms ();
    if (store_begin (db, reason) != 0)
        return -1;
    if (decision_answer_store (u->decision, opened->id, c->answers, sender->id, c, now, index,
                               reason) != 0 ||
        meeting_mark_due (u->meeting, c->case_ref, now, reason) != 0 ||
        store_commit (db, reason) != 0) {
        store_rollback (db);
        return -1;
    }
    return 0;
}

void
uitvoerder_on_answer (node_t *self, node_message_t *m)
{
    uitvoerder_t *u = uitvoerder_of (self);
    member_link_t *link = m->link;
    const roster_member_t *sender = m->peer->member;
    const envelope_opened_t *opened = &m->opened;
    const Keten__CaseContribution *c = (const Keten__CaseContribution *) m->body;
    kt_reason_t reason;
    char hex[KT_ID_HEX];
    kt_hex (hex, opened->id, KT_ID_LEN);
    uint64_t index = 0;
    int seen = decision_answer_seen (u->decision, opened->id, sender->id, &index);
    if (seen != 0) {
        /*  A retry: answer again; an id reused by someone else: refuse. */
        uitvoerder_receipt (self, link, sender->id, opened->id, seen > 0, seen > 0 ? index : 0,
                            seen > 0 ? NULL : "this message id is already used");
        node_send_batch (self);
        return;
    }
    int verdict = decision_answer_check (u->decision, sender->id, c, &reason);
    if (verdict == 0 && items_wpg_from (sender, c->legal_basis, c->items, c->n_items, &reason) != 0)
        verdict = 1;
    if (verdict > 0)
        uitvoerder_casus_refuse (self, link, sender, opened, c->case_ref, reason.text);
    if (verdict == 0) {
        verdict = s_log_answered (self, sender, opened, c, &index, &reason);
        if (verdict > 0) {
            if (node_peer_line (self, "answer refused", sender->id))
                kt_log (KT_LOG_WARN, "answer refused id=%s peer=%s reason=\"id reused\"", hex,
                        sender->id);
            uitvoerder_receipt (self, link, sender->id, opened->id, false, 0,
                                "this message id is already used for a different message");
        }
    }
    if (verdict == 0)
        verdict = s_store (self, sender, opened, c, index, &reason);
    if (verdict == 0) {
        kt_log (KT_LOG_INFO,
                "answer stored id=%s peer=%s case_ref=%s decision=%s log_index=%llu: due on the "
                "next weegploeg agenda",
                hex, sender->id, c->case_ref, c->answers, (unsigned long long) index);
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
        /*  Kept and receipted whatever happens next: a meeting version
         *  recorded but not sent is resumed, a due mark not placed is
         *  placed at the next start or the next planning. */
        if (uitvoerder_agenda_place_due (self, "ketend", &reason) < 0)
            kt_log (KT_LOG_ERROR, "agenda due_failed case_ref=%s reason=\"%s\"", c->case_ref,
                    reason.text);
    } else if (verdict < 0)
        /*  No receipt: the sender retries, and finds its log entry. */
        kt_log (KT_LOG_ERROR, "answer store_failed id=%s reason=\"%s\"", hex, reason.text);
    node_send_batch (self);
}

static int
s_string (void *arg, const char *text, kt_reason_t *reason)
{
    return render_append (arg, json_string (text), reason);
}

json_t *
uitvoerder_json_due (node_t *self, kt_reason_t *reason)
{
    json_t *list = json_array ();
    return render_done (list,
                        meeting_each_due (uitvoerder_of (self)->meeting, s_string, list, reason));
}
