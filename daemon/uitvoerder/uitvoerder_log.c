/*  uitvoerder_log: the uitvoerder's side of the log's proofs on the wire
 *  (docs/PROTOCOL.md, "Checkpoints, proofs and witnesses") - every
 *  accepted receipt carries an inclusion proof against a signed
 *  checkpoint, each new checkpoint is pushed to the members online with a
 *  consistency proof from the previous push, members' requests for a
 *  proof between two sizes are answered (with the checkpoint stored for
 *  the newer size, or the current one: a request never makes the log sign
 *  a note for an older size), and witness cosignatures are merged into
 *  the stored checkpoints.
 */
#include "uitvoerder.h"

#include "render.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int
s_on_push (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    if (!kt_timer_due (&uitvoerder_of (self)->push_fired_ms, CHECKPOINT_PUSH_MS))
        return 0;
    kt_reason_t reason;
    /*  New subjects' key pool topped up here, between drains. */
    if (keystore_pool_refill (self->keystore, &reason) != 0)
        kt_log (KT_LOG_WARN, "keystore pool_refill_failed reason=\"%s\"", reason.text);
    /*  Log entries the relay still owes (an append that failed). */
    uitvoerder_t *u = uitvoerder_of (self);
    if (u->log_owed && kt_now_ms () >= u->owed_retry_ms &&
        uitvoerder_relay_log (self, &reason) != 0)
        kt_log (KT_LOG_WARN, "log append_failed event=owed reason=\"%s\"", reason.text);
    /*  Entries stored signals owe (a log commit that failed). */
    if (provlog_owed (u->log) && uitvoerder_signals_log (self, &reason) != 0)
        return 0;
    uint64_t size = provlog_size (uitvoerder_of (self)->log);
    if (size == 0)
        return 0;
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < roster->member_count; i++) {
        member_link_t *l = &uitvoerder_of (self)->links[i];
        if (roster->members[i].role == ROLE_UITVOERDER || !l->route.len ||
            !uitvoerder_member_online (self, l, now) || l->cp_size > size || l->cp_pushed == size)
            continue;
        /*  Each member gets the proof from the last checkpoint it got (an
         *  empty one when a receipt brought it already: the push is what
         *  witnesses cosign).
         *  Not kept for retry: a member that misses one asks for the proof
         *  it needs when the next checkpoint reaches it. */
        Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
        logproof_message_t store;
        if (logproof_message (uitvoerder_of (self)->proof, l->cp_size, size, &m, &store, &reason) !=
            0) {
            kt_log (KT_LOG_ERROR, "checkpoint push_failed reason=\"%s\"", reason.text);
            return 0;
        }
        if (node_queue (self, &l->route, KETEN__MESSAGE_TYPE__CHECKPOINT, roster->members[i].id,
                        &m.base, &reason) != 0)
            kt_log (KT_LOG_ERROR, "checkpoint seal_failed reason=\"%s\"", reason.text);
        else
            l->cp_size = l->cp_pushed = size;
        logproof_message_clear (&store);
    }
    node_send_batch (self);
    return 0;
}

int
uitvoerder_log_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    u->proof = logproof_new (self->db, u->log, self->keys,
                             keyring_roster (self->keyring)->federation, reason);
    if (!u->proof)
        return -1;
    zloop_timer (self->loop, CHECKPOINT_PUSH_MS, 0, s_on_push, self);
    return 0;
}

/*  Checkpoints log.verify checks per turn of the loop: at about 0.25 ms
 *  each (an Ed25519 check and a tree root), some 15 ms, so heartbeats
 *  and other callers are served between batches however long the log
 *  has grown (a log of 200,000 entries once held the loop 45 s). */
#define VERIFY_BATCH 64
/*  Callers one verification answers; more are told to ask again. */
#define VERIFY_CALLERS_MAX 64

/*  The log.verify run in progress and the callers it answers.  A caller
 *  who asks while a run is under way waits for the next run: rows the
 *  present one checked before it asked are checked again for it. */
struct _log_verify_t {
    api_caller_t running[VERIFY_CALLERS_MAX];
    size_t n_running;
    api_caller_t next[VERIFY_CALLERS_MAX];
    size_t n_next;
    logproof_check_t check;
    uint64_t after; /* the last checkpoint size checked */
    int timer;      /* the next batch's, or -1: no run under way */
};

static int s_on_verify (zloop_t *loop, int timer_id, void *arg);

/*  The next batch, after the loop's other work. */
static int
s_verify_arm (node_t *self, struct _log_verify_t *v)
{
    v->timer = zloop_timer (self->loop, 1, 1, s_on_verify, self);
    return v->timer >= 0 ? 0 : -1;
}

/*  Every caller of the run answered (result stolen; NULL: error). */
static void
s_verify_answer (node_t *self, struct _log_verify_t *v, json_t *result, const char *error)
{
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/log.db", self->config.state_dir);
    for (size_t i = 0; i < v->n_running; i++) {
        json_t *r = result ? json_pack ("{s:s, s:s, s:O}", "role", "uitvoerder", "log_path", path,
                                        "checkpoints", result)
                           : NULL;
        if (r)
            apiserver_reply_ok (self->api, &v->running[i], r);
        else
            apiserver_reply_error (self->api, &v->running[i], error ? error : "out of memory");
        api_caller_clear (&v->running[i]);
    }
    json_decref (result);
    v->n_running = 0;
}

/*  A new run for the callers waiting for one, if any. */
static void
s_verify_start (node_t *self, struct _log_verify_t *v)
{
    memcpy (v->running, v->next, v->n_next * sizeof v->next[0]);
    v->n_running = v->n_next;
    v->n_next = 0;
    memset (&v->check, 0, sizeof v->check);
    v->after = 0;
    if (v->n_running && s_verify_arm (self, v) != 0)
        s_verify_answer (self, v, NULL, "log.verify cannot be scheduled; ask again");
}

static int
s_on_verify (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    struct _log_verify_t *v = uitvoerder_of (self)->verify;
    v->timer = -1;
    kt_reason_t reason;
    bool more = false;
    if (logproof_check_batch (uitvoerder_of (self)->proof, &v->check, &v->after, VERIFY_BATCH,
                              &more, &reason) != 0)
        s_verify_answer (self, v, NULL, reason.text);
    else if (!more)
        s_verify_answer (self, v, render_checkpoint_result (&v->check), NULL);
    else if (s_verify_arm (self, v) != 0)
        s_verify_answer (self, v, NULL, "log.verify cannot be scheduled; ask again");
    if (v->timer < 0)
        s_verify_start (self, v);
    return 0;
}

void
uitvoerder_log_verify (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->verify) {
        u->verify = calloc (1, sizeof *u->verify);
        if (!u->verify) {
            apiserver_reply_error (self->api, caller, "out of memory");
            return;
        }
        u->verify->timer = -1;
    }
    struct _log_verify_t *v = u->verify;
    if (v->n_next == VERIFY_CALLERS_MAX) {
        apiserver_reply_error (self->api, caller,
                               "log.verify: too many callers are waiting for a verification; "
                               "ask again when it has answered them");
        return;
    }
    api_caller_copy (&v->next[v->n_next++], caller);
    if (v->timer < 0)
        s_verify_start (self, v);
}

void
uitvoerder_log_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    struct _log_verify_t *v = u->verify;
    if (v) {
        /*  The local API is closed by now: the callers' connections are
         *  gone with it. */
        if (v->timer >= 0)
            zloop_timer_end (self->loop, v->timer);
        for (size_t i = 0; i < v->n_running; i++)
            api_caller_clear (&v->running[i]);
        for (size_t i = 0; i < v->n_next; i++)
            api_caller_clear (&v->next[i]);
        free (v);
        u->verify = NULL;
    }
    logproof_destroy (&u->proof);
}

void
uitvoerder_prove_receipt (node_t *self, member_link_t *link, uint64_t index, Keten__Receipt *r,
                          logproof_receipt_t *proof, logproof_message_t *consistency)
{
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t reason;
    if (logproof_prove (u->proof, index, r, proof, &reason) != 0) {
        /*  The receipt still goes, unproven; the member asks later. */
        kt_log (KT_LOG_WARN, "receipt proof_failed index=%llu reason=\"%s\"",
                (unsigned long long) index, reason.text);
        return;
    }
    /*  A checkpoint newer than the last this member got comes with the
     *  proof that it extends that one: the member keeps it at once. */
    uint64_t size = provlog_size (u->log);
    if (!link || link->cp_size >= size)
        return;
    Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
    if (logproof_message (u->proof, link->cp_size, size, &m, consistency, &reason) != 0)
        return;
    r->cp_old_size = link->cp_size;
    r->cp_consistency = m.consistency;
    r->n_cp_consistency = m.n_consistency;
    link->cp_size = size;
}

void
uitvoerder_on_checkpoint (node_t *self, node_message_t *msg)
{
    uitvoerder_t *u = uitvoerder_of (self);
    member_link_t *link = msg->link;
    const roster_member_t *sender = msg->peer->member;
    const Keten__CheckpointMessage *m = (const Keten__CheckpointMessage *) msg->body;
    kt_reason_t reason;
    if (m->request_new_size) {
        Keten__CheckpointMessage reply = KETEN__CHECKPOINT_MESSAGE__INIT;
        logproof_message_t store;
        if (logproof_message (u->proof, m->request_old_size, m->request_new_size, &reply, &store,
                              &reason) != 0) {
            if (node_peer_line (self, "checkpoint request_refused", sender->id))
                kt_log (KT_LOG_WARN, "checkpoint request_refused peer=%s reason=\"%s\"", sender->id,
                        reason.text);
        } else {
            if (node_queue (self, &link->route, KETEN__MESSAGE_TYPE__CHECKPOINT, sender->id,
                            &reply.base, &reason) != 0)
                kt_log (KT_LOG_ERROR, "checkpoint seal_failed reason=\"%s\"", reason.text);
            logproof_message_clear (&store);
        }
    }
    if (m->cosigned.len) {
        char witness[65] = "";
        /*  The note as a string: bytes from the wire carry no NUL. */
        char *note = m->cosigned.len < 65536 ? malloc (m->cosigned.len + 1) : NULL;
        if (note) {
            memcpy (note, m->cosigned.data, m->cosigned.len);
            note[m->cosigned.len] = '\0';
        }
        if (!note || logproof_add_cosignature (u->proof, keyring_roster (self->keyring), note,
                                               m->cosigned.len, witness, &reason) != 0) {
            if (node_peer_line (self, "cosignature refused", sender->id))
                kt_log (KT_LOG_WARN, "cosignature refused peer=%s reason=\"%s\"", sender->id,
                        reason.text);
        } else
            kt_log (KT_LOG_DEBUG, "cosignature stored peer=%s", sender->id);
        free (note);
    }
}
