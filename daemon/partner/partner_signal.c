/*  partner_signal: a kernpartij's signals on their way to the weegploeg
 *  (art. 7.1-7.2).  Submissions from the local API and the police intake
 *  directory wait for one group commit, are stored and queued in the
 *  outbox in the same transaction, and art. 9/10 Wpg data wait for an
 *  authorised release (Wpg machtigingsbesluit).
 */
#include "partner.h"

#include "intake.h"
#include "policy.h"
#include "store.h"

#include <sodium.h>
#include <string.h>

static pending_submit_t *
s_pending_slot (node_t *self)
{
    partner_t *ps = partner_of (self);
    if (ps->n_pending == ps->cap_pending) {
        size_t cap = ps->cap_pending ? ps->cap_pending * 2 : 256;
        pending_submit_t *grown = realloc (ps->pending, cap * sizeof *grown);
        if (!grown)
            return NULL;
        ps->pending = grown;
        ps->cap_pending = cap;
    }
    pending_submit_t *p = &ps->pending[ps->n_pending++];
    memset (p, 0, sizeof *p);
    return p;
}

/*  Police intake: forward what was dropped in the spool directory. */
int
partner_on_spool (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    enum { SPOOL_BATCH = 256 };
    spool_file_t *files = calloc (SPOOL_BATCH, sizeof *files);
    if (!files)
        return 0;
    size_t n = spool_scan (partner_of (self)->spool, files, SPOOL_BATCH);
    for (size_t i = 0; i < n; i++) {
        pending_submit_t *p = s_pending_slot (self);
        if (!p) {
            intake_signal_destroy (&files[i].signal);
            continue; /* stays in the spool's work/ for the next pass */
        }
        p->signal = files[i].signal;
        files[i].signal = NULL;
        p->from_spool = true;
        p->file = files[i];
        p->caller.uid = files[i].owner;
    }
    free (files);
    partner_flush (self);
    /*  art. 13: after the scan, so a file it moved to done/ whose signal
     *  was settled before a crash is forgotten in the same pass. */
    spool_retain_pass (partner_of (self)->retain, kt_now_ms ());
    return 0;
}

int
partner_signal_settled (void *arg, const uint8_t id[KT_ID_LEN])
{
    node_t *self = arg;
    outbox_status_t st;
    kt_reason_t reason;
    int rc = outbox_status (partner_of (self)->outbox, id, &st, &reason);
    if (rc < 0) {
        /*  The file stays (unsettled is the safe answer), but not in
         *  silence. */
        char hex[KT_ID_HEX];
        kt_log (KT_LOG_ERROR, "spool settled_unreadable id=%s reason=\"%s\"",
                kt_hex (hex, id, KT_ID_LEN), reason.text);
        return -1;
    }
    if (rc == 0)
        return 0; /* never queued: a held art. 9/10 Wpg signal not yet released */
    bool settled = st.settled;
    outbox_status_clear (&st);
    return settled ? 1 : 0;
}

void
partner_submit (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    if (self->expelled) {
        apiserver_reply_error (self->api, caller,
                               "this node is no longer a member of the federation: the roster "
                               "dropped it, so it sends nothing");
        return;
    }
    const roster_member_t *me = keyring_self_member (self->keyring);
    char *to[1] = {(char *) partner_of (self)->hub->member->id};
    /*  art. 7.1-7.2: refuse here already, with the rule, rather than
     *  queue a message the uitvoerder must refuse. */
    if (policy_check (keyring_roster (self->keyring), KETEN__MESSAGE_TYPE__SIGNAL, me, to, 1,
                      kt_now_ms (), &reason) != 0) {
        node_record_refusal (self, caller, cmd); /* art. 15.2e: the refusal leaves a trace */
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *obj = args ? json_object_get (args, "signal") : NULL;
    json_t *wait = args ? json_object_get (args, "wait") : NULL;
    if (!json_is_object (obj)) {
        apiserver_reply_error (self->api, caller, "args.signal must be a signal object");
        return;
    }
    if (wait && !json_is_boolean (wait)) {
        apiserver_reply_error (self->api, caller, "args.wait must be true or false");
        return;
    }
    Keten__Signal *signal = NULL;
    if (intake_signal_from_object (obj, &signal, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    pending_submit_t *p = s_pending_slot (self);
    if (!p) {
        intake_signal_destroy (&signal);
        apiserver_reply_error (self->api, caller, "out of memory");
        return;
    }
    api_caller_copy (&p->caller, caller);
    p->signal = signal;
    p->wait = wait && json_is_true (wait);
}

/*  Seal one pending signal and add it, in the open transactions, to the
 *  signal box, the outbox (unless held) and the spool's record; ids[i]
 *  and held[i] receive its id and whether it waits for release. */
static int
s_flush_one (node_t *self, size_t i, uint8_t id[KT_ID_LEN], bool *held, uint64_t now,
             kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    pending_submit_t *pending = &p->pending[i];
    Keten__Signal *s = pending->signal;
    char *to[1] = {(char *) p->hub->member->id};
    /*  Wpg machtigingsbesluit: art. 9/10 data wait for release. */
    *held = s->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10;
    uint8_t *header = NULL;
    size_t header_len = 0;
    size_t body_len = keten__signal__get_packed_size (s);
    uint8_t *body = malloc (body_len ? body_len : 1);
    if (!body)
        return kt_fail (reason, "out of memory");
    keten__signal__pack (s, body);
    /*  A held signal gets a wholly random id: a time-ordered one would
     *  tell the uitvoerder how long the police held it. */
    uint8_t random_id[KT_ID_LEN];
    randombytes_buf (random_id, sizeof random_id);
    envelope_draft_t draft = {KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now,
                              *held ? random_id : NULL};
    int rc = 0;
    if (envelope_seal (self->keyring, &draft, id, &header, &header_len, reason) != 0 ||
        signalbox_insert (p->signalbox, id, s, *held, (uint32_t) pending->caller.uid, now,
                          reason) != 0 ||
        (!*held && outbox_insert (p->outbox, id, KETEN__MESSAGE_TYPE__SIGNAL, header, header_len,
                                  now, reason) != 0) ||
        (pending->from_spool && spool_record (p->spool, &pending->file, id, reason) != 0))
        rc = -1;
    sodium_memzero (body, body_len);
    free (body);
    free (header);
    return rc;
}

/*  Every pending signal in one transaction per file, keys first: all of
 *  them are stored, or none. */
static int
s_flush_store (node_t *self, uint8_t (*ids)[KT_ID_LEN], bool *held, uint64_t now,
               kt_reason_t *reason)
{
    sqlite3 *ks = keystore_db (self->keystore);
    if (store_begin (ks, reason) != 0)
        return -1;
    if (store_begin (self->db, reason) != 0) {
        store_rollback (ks);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < partner_of (self)->n_pending; i++)
        rc = s_flush_one (self, i, ids[i], &held[i], now, reason);
    if (rc == 0 && store_commit (ks, reason) != 0)
        rc = -1;
    if (rc == 0 && store_commit (self->db, reason) != 0)
        rc = -1;
    if (rc != 0) {
        store_rollback (self->db);
        store_rollback (ks);
    }
    return rc;
}

/*  A stored signal: on its way (or held), its spool file done, its caller
 *  answered now or - with wait - on the uitvoerder's receipt. */
static void
s_flush_answer (node_t *self, pending_submit_t *pending, const uint8_t id[KT_ID_LEN], bool held,
                uint64_t now)
{
    partner_t *p = partner_of (self);
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    kt_log (KT_LOG_INFO, "signal accepted id=%s uid=%u state=%s via=%s", hex,
            (unsigned) pending->caller.uid, held ? "held" : "queued",
            pending->from_spool ? "spool" : "api");
    if (!held)
        outbox_enqueue (p->outbox, id, now);
    if (pending->from_spool)
        spool_done (p->spool, &pending->file);
    else if (pending->wait && !held) {
        api_caller_t *w = malloc (sizeof *w);
        if (w) {
            api_caller_copy (w, &pending->caller);
            zhashx_insert (p->waiters, hex, w);
        }
    } else
        apiserver_reply_ok (
            self->api, &pending->caller,
            json_pack ("{s:s, s:s}", "message_id", hex, "state", held ? "held" : "queued"));
}

/*  Store and queue every pending submission in one transaction per file
 *  (keys first), then answer.  Nothing is half-stored: on any failure all
 *  of them are rolled back and refused. */
void
partner_flush (node_t *self)
{
    partner_t *p = partner_of (self);
    size_t n = p->n_pending;
    if (n == 0)
        return;
    kt_reason_t reason = {""};
    uint64_t now = kt_now_ms ();
    uint8_t (*ids)[KT_ID_LEN] = calloc (n, sizeof *ids);
    bool *held = calloc (n, sizeof *held);
    bool ok = ids && held && s_flush_store (self, ids, held, now, &reason) == 0;
    if (!ok)
        kt_log (KT_LOG_ERROR, "submit store_failed count=%zu reason=\"%s\"", n, reason.text);
    for (size_t i = 0; i < n; i++) {
        pending_submit_t *pending = &p->pending[i];
        if (ok)
            s_flush_answer (self, pending, ids[i], held[i], now);
        else if (!pending->from_spool)
            /*  A spool file stays where it is and is tried again. */
            apiserver_reply_error (self->api, &pending->caller,
                                   "could not store the signal; nothing was stored");
        api_caller_clear (&pending->caller);
        intake_signal_destroy (&pending->signal);
    }
    p->n_pending = 0;
    free (ids);
    free (held);
    if (ok)
        partner_pump (self);
}

/*  The release's arguments: the signal's id, the investigation-interest
 *  check, and the OM officer consulted (*om_p, borrowed from args). */
static int
s_release_args (json_t *args, uint8_t id[KT_ID_LEN], const char **om_p, kt_reason_t *reason)
{
    json_t *id_j = args ? json_object_get (args, "message_id") : NULL;
    json_t *checked = args ? json_object_get (args, "opsporingsbelang_checked") : NULL;
    json_t *om = args ? json_object_get (args, "om_consulted") : NULL;
    if (!json_is_string (id_j) || kt_unhex (id, KT_ID_LEN, json_string_value (id_j)) != 0)
        return kt_fail (reason, "args.message_id must be 32 hex digits");
    if (!json_is_true (checked))
        return kt_fail (reason, "record that the investigation interest (opsporingsbelang) does "
                                "not object: args.opsporingsbelang_checked must be true");
    const char *om_name = json_string_value (om);
    size_t om_len = om_name ? strlen (om_name) : 0;
    bool om_ok = om_len >= 1 && om_len <= 200;
    for (size_t i = 0; om_ok && i < om_len; i++)
        if ((unsigned char) om_name[i] < 0x20 || om_name[i] == 0x7f)
            om_ok = false;
    if (!om_ok)
        return kt_fail (reason, "args.om_consulted must name the OM officer consulted (1..200 "
                                "bytes, no control characters)");
    *om_p = om_name;
    return 0;
}

/*  The release, the user who made it and the outbox row, in one
 *  transaction: the signal is sealed again under its own id, now carrying
 *  that the Wpg conditions were recorded (not who the officer was). */
static int
s_release_store (node_t *self, const api_caller_t *caller, const uint8_t id[KT_ID_LEN],
                 const char *om_name, uint64_t now, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    Keten__Signal *signal = NULL;
    uint8_t *body = NULL, *header = NULL;
    size_t body_len = 0, header_len = 0;
    char *to[1] = {(char *) p->hub->member->id};
    int rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = signalbox_release (p->signalbox, id, (uint32_t) caller->uid, om_name, now, &signal,
                                reason);
    if (rc == 0) {
        signal->released_ms = now;
        signal->opsporingsbelang_checked = true;
        signal->om_consulted = true;
        body_len = keten__signal__get_packed_size (signal);
        body = malloc (body_len ? body_len : 1);
        if (!body)
            rc = kt_fail (reason, "out of memory");
    }
    if (rc == 0) {
        keten__signal__pack (signal, body);
        uint8_t same_id[KT_ID_LEN];
        envelope_draft_t draft = {
            KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now, id};
        rc = envelope_seal (self->keyring, &draft, same_id, &header, &header_len, reason);
    }
    if (rc == 0)
        rc = outbox_insert (p->outbox, id, KETEN__MESSAGE_TYPE__SIGNAL, header, header_len, now,
                            reason);
    if (rc == 0)
        rc = store_commit (self->db, reason);
    if (rc != 0)
        store_rollback (self->db);
    if (body) {
        sodium_memzero (body, body_len);
        free (body);
    }
    free (header);
    if (signal)
        keten__signal__free_unpacked (signal, NULL);
    return rc;
}

/*  Wpg machtigingsbesluit: an art. 9/10 Wpg signal leaves the police node
 *  only after an authorised user records that the investigation interest
 *  does not object and names the OM officer consulted.  The release, the
 *  user who made it (kernel credentials) and the outbox row are one
 *  transaction. */
void
partner_release (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    uint8_t id[KT_ID_LEN];
    const char *om_name = NULL;
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    if (s_release_args (args, id, &om_name, &reason) != 0 ||
        s_release_store (self, caller, id, om_name, now, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    kt_log (KT_LOG_INFO, "signal released id=%s uid=%u opsporingsbelang_checked=yes", hex,
            (unsigned) caller->uid);
    outbox_enqueue (partner_of (self)->outbox, id, now);
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s}", "message_id", hex, "state", "queued"));
    partner_pump (self);
}
