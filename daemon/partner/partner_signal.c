/*  partner_signal: a kernpartij's signals on their way to the weegploeg
 *  (art. 7.1-7.2).  Submissions from the local API and the police intake
 *  directory wait for one group commit, are stored and queued in the
 *  outbox in the same transaction, and art. 9/10 Wpg data wait for an
 *  authorised release (Wpg machtigingsbesluit).  Spool signals go through
 *  the police representative (art. 7.2a): in the representative's name
 *  at once, or once a member of the representative group confirmed them.
 */
#include "partner.h"

#include "access.h"
#include "intake.h"
#include "policy.h"
#include "store.h"

#include <sodium.h>
#include <string.h>
#include <unistd.h>

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

/*  Backpressure: whether n more signals of bytes packed would take the
 *  submissions waiting for a group commit past their bound (a caller
 *  that sends faster than the disk takes them, or a disk that stalls);
 *  if so the caller is told, and nothing of the submission is taken. */
static bool
s_busy (node_t *self, const api_caller_t *caller, size_t n, size_t bytes)
{
    partner_t *ps = partner_of (self);
    if (ps->n_pending + n <= PARTNER_PENDING_MAX &&
        ps->pending_bytes + bytes <= PARTNER_PENDING_BYTES)
        return false;
    char msg[200];
    snprintf (msg, sizeof msg,
              "the node is busy: %zu signals (%zu KiB) wait to be stored, at most %d (%d MiB); "
              "nothing of this submission was stored, send it again shortly",
              ps->n_pending, ps->pending_bytes / 1024, PARTNER_PENDING_MAX,
              PARTNER_PENDING_BYTES / (1024 * 1024));
    apiserver_reply_error (self->api, caller, msg);
    /*  A flood refused request by request: one journal line a minute. */
    ps->busy_unlogged++;
    uint64_t now = kt_mono_us ();
    if (!ps->busy_logged_us || now - ps->busy_logged_us >= 60ULL * 1000 * 1000) {
        kt_log (KT_LOG_WARN, "submit busy waiting=%zu bytes=%zu refused=%llu", ps->n_pending,
                ps->pending_bytes, (unsigned long long) ps->busy_unlogged);
        ps->busy_logged_us = now;
        ps->busy_unlogged = 0;
    }
    return true;
}

/*  The first n pending submissions leave the list: their bytes with them. */
static void
s_pending_leave (partner_t *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ps->pending_bytes -= ps->pending[i].bytes;
}

struct _submit_batch_t {
    api_caller_t caller;
    size_t n, left; /* signals, and those without an outcome yet */
    bool refused;   /* answered with an error already */
    Keten__ApiOutcome *outcomes;
    Keten__ApiOutcome **ptrs;
    uint8_t (*ids)[KT_ID_LEN];
};

static void
s_batch_free (submit_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->outcomes[i].reason != protobuf_c_empty_string)
            free (b->outcomes[i].reason);
    api_caller_clear (&b->caller);
    free (b->outcomes);
    free (b->ptrs);
    free (b->ids);
    free (b);
}

static submit_batch_t *
s_batch_new (const api_caller_t *caller, size_t n)
{
    submit_batch_t *b = calloc (1, sizeof *b);
    if (!b)
        return NULL;
    b->outcomes = calloc (n, sizeof *b->outcomes);
    b->ptrs = calloc (n, sizeof *b->ptrs);
    b->ids = calloc (n, sizeof *b->ids);
    b->n = b->left = n;
    for (size_t i = 0; b->outcomes && b->ptrs && i < n; i++) {
        keten__api_outcome__init (&b->outcomes[i]);
        b->ptrs[i] = &b->outcomes[i];
    }
    api_caller_copy (&b->caller, caller);
    if (!b->outcomes || !b->ptrs || !b->ids) {
        b->n = 0;
        s_batch_free (b);
        return NULL;
    }
    return b;
}

/*  One of b's signals is done with; the last answers (unless the batch
 *  was refused or answer is false) and frees it. */
static void
s_batch_settle (node_t *self, submit_batch_t *b, bool answer)
{
    if (--b->left > 0)
        return;
    if (answer && !b->refused) {
        Keten__ApiSubmitted a = KETEN__API_SUBMITTED__INIT;
        a.n_outcomes = b->n;
        a.outcomes = b->ptrs;
        apiserver_reply_submitted (self->api, &b->caller, &a);
    }
    s_batch_free (b);
}

void
partner_batch_outcome (node_t *self, submit_batch_t *b, size_t i, Keten__ApiState state,
                       uint64_t log_index, const char *reason)
{
    b->outcomes[i].state = state;
    b->outcomes[i].log_index = log_index;
    if (reason && *reason) {
        char *copy = strdup (reason);
        if (copy)
            b->outcomes[i].reason = copy;
    }
    s_batch_settle (self, b, true);
}

void
partner_batch_drop (submit_batch_t *b)
{
    if (--b->left == 0)
        s_batch_free (b);
}

/*  Storing b's signals failed: its caller hears why, once. */
static void
s_batch_refuse (node_t *self, submit_batch_t *b, const char *error)
{
    if (!b->refused)
        apiserver_reply_error (self->api, &b->caller, error);
    b->refused = true;
    s_batch_settle (self, b, false);
}

/*  Police intake: forward what was dropped in the spool directory. */
int
partner_on_spool (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    if (!kt_timer_due (&partner_of (self)->spool_fired_ms, self->config.spool_poll_ms))
        return 0;
    /*  Not while files an earlier scan claimed wait to be stored: this
     *  scan would find them in work/ once more.  (Their groups wait for
     *  the disk on the loop, s_flush_group; a group of API submissions
     *  synced beside it does not hold the spool up: what this scan claims
     *  waits in the pending list and is stored with the next group.) */
    partner_t *ps = partner_of (self);
    for (size_t i = 0; i < ps->n_pending; i++)
        if (ps->pending[i].from_spool)
            return 0;
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
    kt_reason_t why;
    spool_retain_pass (partner_of (self)->retain, kt_now_ms (),
                       node_clock_guard (self, "retention", &why) == 0);
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
    if (rc == 0) {
        /*  Never queued: a held art. 9/10 Wpg signal not yet released, or
         *  a spool signal awaiting the representative (art. 7.2a) - unless
         *  the signal itself is gone (art. 13 destroyed it unsent): then
         *  nothing will ever send it, and its file must not outlive it. */
        int has = signalbox_has (partner_of (self)->signalbox, id, &reason);
        if (has < 0) {
            char hex[KT_ID_HEX];
            kt_log (KT_LOG_ERROR, "spool settled_unreadable id=%s reason=\"%s\"",
                    kt_hex (hex, id, KT_ID_LEN), reason.text);
            return -1;
        }
        return has ? 0 : 1;
    }
    bool settled = st.settled;
    outbox_status_clear (&st);
    return settled ? 1 : 0;
}

/*  A binary submission: every signal checked before any is taken, then
 *  all of them pending for the same group commit (docs/API.md, "Binary
 *  submissions"). */
static void
s_submit_binary (node_t *self, const api_caller_t *caller)
{
    const Keten__ApiSubmit *req = caller->submit;
    size_t n = req->n_signals;
    if (n == 0 || n > PARTNER_MAX_BATCH) {
        char msg[96];
        snprintf (msg, sizeof msg, "a binary submission holds 1 to %d signals, not %zu",
                  PARTNER_MAX_BATCH, n);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += req->signals[i].len;
    if (s_busy (self, caller, n, bytes))
        return;
    Keten__Signal **signals = calloc (n, sizeof *signals);
    submit_batch_t *b = signals ? s_batch_new (caller, n) : NULL;
    if (!b) {
        free (signals);
        apiserver_reply_error (self->api, caller, "out of memory");
        return;
    }
    kt_reason_t reason;
    char msg[sizeof reason.text + 32];
    *msg = '\0';
    for (size_t i = 0; i < n && !*msg; i++)
        if (intake_signal_from_packed (req->signals[i].data, req->signals[i].len, &signals[i],
                                       &reason) != 0)
            snprintf (msg, sizeof msg, "signals[%zu]: %s", i, reason.text);
    partner_t *ps = partner_of (self);
    size_t first = ps->n_pending;
    for (size_t i = 0; i < n && !*msg; i++) {
        pending_submit_t *p = s_pending_slot (self);
        if (!p) {
            snprintf (msg, sizeof msg, "out of memory");
            break;
        }
        api_caller_copy (&p->caller, caller);
        p->signal = signals[i];
        signals[i] = NULL;
        p->wait = req->wait;
        p->batch = b;
        p->index = i;
        p->bytes = req->signals[i].len;
        ps->pending_bytes += p->bytes;
    }
    if (*msg) {
        /*  Nothing of it is taken: what was made pending goes again. */
        for (size_t i = first; i < ps->n_pending; i++) {
            ps->pending_bytes -= ps->pending[i].bytes;
            api_caller_clear (&ps->pending[i].caller);
            intake_signal_destroy (&ps->pending[i].signal);
        }
        ps->n_pending = first;
        for (size_t i = 0; i < n; i++)
            intake_signal_destroy (&signals[i]);
        b->n = 0;
        s_batch_free (b);
        apiserver_reply_error (self->api, caller, msg);
    }
    free (signals);
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
    if (caller->submit) {
        s_submit_binary (self, caller);
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
    size_t bytes = keten__signal__get_packed_size (signal);
    if (s_busy (self, caller, 1, bytes)) {
        intake_signal_destroy (&signal);
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
    p->bytes = bytes;
    partner_of (self)->pending_bytes += bytes;
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
    /*  art. 7.2a: a spool signal reaches the weegploeg through the police
     *  representative - in whose name it goes at once (auto), or once a
     *  member of the representative group confirmed it (confirm). */
    bool awaiting = pending->from_spool && self->config.representative_confirm;
    if (pending->from_spool && *self->config.representative && !*s->representative) {
        if (!(s->representative = strdup (self->config.representative)))
            return kt_fail (reason, "out of memory");
    }
    bool wpg_held = *held;
    *held = wpg_held || awaiting; /* not queued now */
    uint8_t *header = NULL;
    size_t header_len = 0;
    size_t body_len = keten__signal__get_packed_size (s);
    uint8_t *body = malloc (body_len ? body_len : 1);
    if (!body)
        return kt_fail (reason, "out of memory");
    keten__signal__pack (s, body);
    /*  A held (or awaiting) signal gets a wholly random id: a time-ordered
     *  one would tell the uitvoerder how long the police held it. */
    uint8_t random_id[KT_ID_LEN];
    if (*held)
        kt_random_buf (random_id, sizeof random_id);
    /*  Queued now: sealed once (issue #17).  The envelope's content key is
     *  the signal's data key, from the pool, and the envelope, kept in the
     *  signal row, is both its record at rest and what the outbox sends
     *  (signalbox_insert_queued); destroying that key destroys it as any.
     *  Held or awaiting: sealed at rest on its own, as its release or
     *  confirmation seals what goes anew. */
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    bool queued = !*held;
    _Static_assert(KEYSTORE_KEY_LEN == ENVELOPE_KEY_LEN, "a data key is a content key");
    if (queued && keystore_take (self->keystore, key_id, key, reason) != 0) {
        sodium_memzero (body, body_len);
        free (body);
        return -1;
    }
    envelope_draft_t draft = {
        KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now, *held ? random_id : NULL,
        queued ? key : NULL};
    int rc = 0;
    if (envelope_seal (self->keyring, &draft, id, &header, &header_len, reason) != 0 ||
        (queued ? signalbox_insert_queued (p->signalbox, id, s, key_id, header, header_len,
                                           (uint32_t) pending->caller.uid, now, pending->from_spool,
                                           reason)
                : signalbox_insert (p->signalbox, id, s, body, body_len, wpg_held,
                                    (uint32_t) pending->caller.uid, now, reason)) != 0 ||
        (!queued && pending->from_spool &&
         signalbox_mark_spool (p->signalbox, id, awaiting, s->representative, reason) != 0) ||
        (queued && outbox_add (p->outbox, id, KETEN__MESSAGE_TYPE__SIGNAL, now, reason) != 0) ||
        (pending->from_spool && spool_record (p->spool, &pending->file, id, reason) != 0))
        rc = -1;
    sodium_memzero (key, sizeof key);
    sodium_memzero (body, body_len);
    free (body);
    if (rc == 0 && !*held) {
        pending->header = header; /* for its first send, once committed */
        pending->header_len = header_len;
    } else
        free (header);
    return rc;
}

int
partner_signal_envelope (void *arg, const uint8_t id[KT_ID_LEN], uint8_t **header_p, size_t *len_p,
                         kt_reason_t *reason)
{
    node_t *self = arg;
    int found = signalbox_envelope (partner_of (self)->signalbox, id, header_p, len_p, reason);
    return found > 0    ? 0
           : found == 0 ? kt_fail (reason, "its record here is gone, and no copy was kept to send")
                        : -1;
}

/*  Every pending signal in one transaction per file, keys first: all of
 *  them are stored, or none.  beside: node.db is committed without
 *  waiting for the disk (store_commit_written); s_flush_group has its log
 *  made durable beside the loop. */
static int
s_flush_store (node_t *self, size_t n, uint8_t (*ids)[KT_ID_LEN], bool *held, uint64_t now,
               bool beside, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    sqlite3 *ks = keystore_db (self->keystore);
    if (store_begin (ks, reason) != 0)
        return -1;
    if ((beside ? store_begin_written (self->db, reason) : store_begin (self->db, reason)) != 0) {
        store_rollback (ks);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_flush_one (self, i, ids[i], &held[i], now, reason);
    /*  The queued signals' rows and their outbox rows, a few statements
     *  for the whole group (issue #17). */
    if (rc == 0 &&
        (signalbox_flush (p->signalbox, reason) != 0 || outbox_flush (p->outbox, reason) != 0))
        rc = -1;
    signalbox_flush_drop (p->signalbox);
    outbox_flush_drop (p->outbox);
    if (rc == 0 && store_commit (ks, reason) != 0)
        rc = -1;
    if (rc == 0 &&
        (beside ? store_commit_written (self->db, reason) : store_commit (self->db, reason)) != 0)
        rc = -1;
    if (rc != 0) {
        if (beside)
            store_rollback_written (self->db);
        else
            store_rollback (self->db);
        store_rollback (ks);
    }
    return rc;
}

/*  A group's committed signals on their way: each not held handed to the
 *  outbox with its sealed header (partner_pump sends it), and a binary
 *  submission's outcome given its id. */
static void
s_flush_send (node_t *self, pending_submit_t *pending, size_t n, uint8_t (*ids)[KT_ID_LEN],
              const bool *held, uint64_t now)
{
    partner_t *p = partner_of (self);
    for (size_t i = 0; i < n; i++) {
        if (!held[i])
            outbox_enqueue_sealed (p->outbox, ids[i], now, &pending[i].header,
                                   pending[i].header_len);
        submit_batch_t *b = pending[i].batch;
        if (b) {
            memcpy (b->ids[pending[i].index], ids[i], KT_ID_LEN);
            b->outcomes[pending[i].index].message_id =
                (ProtobufCBinaryData){KT_ID_LEN, b->ids[pending[i].index]};
        }
    }
}

void
partner_accepted_lines_end (partner_t *p, uint64_t now_us, bool ended)
{
    accepted_lines_t *a = &p->accepted;
    if (!a->since_us || (!ended && now_us - a->since_us < 1000000))
        return;
    if (a->counted)
        kt_log (KT_LOG_INFO,
                "signal accepted_counted count=%u queued=%u held=%u awaiting-confirmation=%u "
                "spool=%u api=%u",
                a->counted, a->queued, a->held, a->awaiting, a->spool, a->counted - a->spool);
    *a = (accepted_lines_t){0};
}

/*  A stored signal's journal line.  Under systemd each line is a datagram
 *  to journald, which drops a service's lines past 10,000 in 30 s by
 *  default - its warnings too - so a burst (a spool full after an outage,
 *  a bulk submission) gets PARTNER_ACCEPTED_LINES lines of its own a
 *  second and one line that counts the rest (docs/OPERATIONS.md,
 *  "Journal").  Each signal's row keeps who submitted it. */
static void
s_accepted_line (partner_t *p, const char *hex, uid_t uid, bool awaiting, bool held, bool spool)
{
    accepted_lines_t *a = &p->accepted;
    uint64_t now = kt_mono_us ();
    partner_accepted_lines_end (p, now, false);
    if (!a->since_us)
        a->since_us = now ? now : 1;
    const char *state = awaiting ? "awaiting-confirmation" : held ? "held" : "queued";
    if (a->written < PARTNER_ACCEPTED_LINES) {
        a->written++;
        kt_log (KT_LOG_INFO, "signal accepted id=%s uid=%u state=%s via=%s", hex, (unsigned) uid,
                state, spool ? "spool" : "api");
        return;
    }
    a->counted++;
    a->awaiting += awaiting;
    a->held += !awaiting && held;
    a->queued += !awaiting && !held;
    a->spool += spool;
}

/*  Every signal a group commit stored is said (answered, or stored with
 *  a sync that failed, or stored while the node stops). */
static void
s_stored_said (node_t *self, const pending_submit_t *pending, const char *hex, bool held)
{
    bool awaiting = pending->from_spool && self->config.representative_confirm;
    s_accepted_line (partner_of (self), hex, pending->caller.uid, awaiting, held,
                     pending->from_spool);
}

/*  A stored signal, durable here: its spool file done, its caller
 *  answered now or - with wait - on the uitvoerder's receipt. */
static void
s_flush_answer (node_t *self, pending_submit_t *pending, const uint8_t id[KT_ID_LEN], bool held)
{
    partner_t *p = partner_of (self);
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    s_stored_said (self, pending, hex, held);
    submit_batch_t *b = pending->batch;
    if (pending->from_spool)
        spool_done (p->spool, &pending->file);
    else if (pending->wait && !held &&
             partner_waiter_add (self, id, &pending->caller, b, pending->index))
        ; /* answered on its receipt */
    else if (b)
        partner_batch_outcome (self, b, pending->index,
                               held ? KETEN__API_STATE__API_HELD : KETEN__API_STATE__API_QUEUED, 0,
                               NULL);
    else
        apiserver_reply_ok (
            self->api, &pending->caller,
            json_pack ("{s:s, s:s}", "message_id", hex, "state", held ? "held" : "queued"));
}

/*  A group commit takes at most this many submissions (more rather than
 *  cut a binary submission in two), so that under load the first group
 *  is on its way to the uitvoerder while the next is stored, instead of
 *  every signal in flight moving as one group (as NODE_DRAIN_MAX). */
#define FLUSH_MAX 256

/*  How a group's storing ended: durable; rolled back, nothing stored;
 *  or committed but its log's sync failed, so that the disk did not
 *  confirm it (its signals are sent all the same, as a restart would). */
typedef enum { FLUSH_STORED, FLUSH_REFUSED, FLUSH_UNCONFIRMED } flush_outcome_t;

/*  The stored batch's callers answered (stored) or told why not, its
 *  submissions cleared, and what is due sent (sent: handed to the outbox
 *  already). */
static void
s_flush_end (node_t *self, pending_submit_t *pending, size_t n, uint8_t (*ids)[KT_ID_LEN],
             bool *held, uint64_t now, flush_outcome_t outcome, bool sent,
             const kt_reason_t *reason)
{
    /*  The caller hears why when storage itself fails (a full disk, a
     *  locked file): SQLite's generic words, never a path or data. */
    char refusal[KT_REASON_MAX + 160] = "could not store the signal; nothing was stored";
    const char *what = NULL;
    uint64_t since;
    if (outcome != FLUSH_STORED) {
        kt_log (KT_LOG_ERROR, "submit %s count=%zu reason=\"%s\"",
                outcome == FLUSH_REFUSED ? "store_failed" : "sync_failed", n, reason->text);
        if (!store_health_failing (&what, &since))
            what = NULL;
        if (outcome == FLUSH_REFUSED && what)
            snprintf (refusal, sizeof refusal,
                      "could not store the signal (%s); nothing was stored", what);
    }
    /*  The sync's own failure, in SQLite's words. */
    const char *cause = reason->text;
    if (strncmp (cause, "database error: ", 16) == 0)
        cause += 16;
    if (outcome != FLUSH_REFUSED && !sent)
        s_flush_send (self, pending, n, ids, held, now);
    for (size_t i = 0; i < n; i++) {
        char hex[KT_ID_HEX];
        if (outcome == FLUSH_UNCONFIRMED) {
            kt_hex (hex, ids[i], KT_ID_LEN);
            s_stored_said (self, &pending[i], hex, held[i]);
            /*  Stored and on its way: the caller must not send it again. */
            snprintf (refusal, sizeof refusal,
                      "the signal was stored as %s and is %s, but the disk did not confirm its "
                      "record (%s)",
                      hex, held[i] ? "held" : "on its way", cause);
        }
        if (outcome == FLUSH_STORED)
            s_flush_answer (self, &pending[i], ids[i], held[i]);
        else if (pending[i].batch)
            s_batch_refuse (self, pending[i].batch,
                            outcome == FLUSH_REFUSED
                                ? refusal
                                : "the signals were stored and are on their way, but the "
                                  "disk did not confirm their records");
        else if (!pending[i].from_spool)
            /*  A spool file stays where it is and is tried again. */
            apiserver_reply_error (self->api, &pending[i].caller, refusal);
        api_caller_clear (&pending[i].caller);
        intake_signal_destroy (&pending[i].signal);
        free (pending[i].header);
    }
    free (ids);
    free (held);
    if (outcome != FLUSH_REFUSED)
        partner_pump (self);
}

/*  How many of the pending submissions the next group commit takes: at
 *  most FLUSH_MAX, but never part of a binary submission. */
static size_t
s_flush_count (const partner_t *p)
{
    size_t n = p->n_pending < FLUSH_MAX ? p->n_pending : FLUSH_MAX;
    while (n > 0 && n < p->n_pending && p->pending[n].batch &&
           p->pending[n].batch == p->pending[n - 1].batch)
        n++;
    return n;
}

/*  Store and answer one group of the pending submissions; whether its
 *  log is being made durable beside the loop (issue #17).  Then the
 *  group is committed without waiting for the disk and its signals are
 *  sent at once, while the helper thread syncs node.db's write-ahead
 *  log: the signal is on its way during the politie node's fdatasync
 *  instead of after it.  Its caller is answered, as ever, only once that
 *  sync has ended (s_committed) and, with wait, the uitvoerder's receipt
 *  has come; a receipt settled before cannot be lost (partner_waiter_add
 *  looks).  Crash reasoning: docs/ARCHITECTURE.md, crash reasoning rule
 *  19. */
static bool
s_flush_group (node_t *self)
{
    partner_t *p = partner_of (self);
    size_t n = s_flush_count (p);
    kt_reason_t reason = {""};
    uint64_t now = kt_now_ms ();
    uint8_t (*ids)[KT_ID_LEN] = calloc (n, sizeof *ids);
    bool *held = calloc (n, sizeof *held);
    /*  Spool files only with a commit that waits: a scan must not find a
     *  file in work/ whose record is committed but not yet durable. */
    bool beside = p->commit_fd >= 0 && p->syncs_beside;
    for (size_t i = 0; beside && i < n; i++)
        beside = !p->pending[i].from_spool;
    /*  The group is the loop's until s_committed: in an array of its
     *  own when submissions stay behind. */
    pending_submit_t *group = NULL;
    if (beside && n < p->n_pending && !(group = malloc (n * sizeof *group)))
        beside = false;
    bool ok = ids && held && s_flush_store (self, n, ids, held, now, beside, &reason) == 0;
    flush_outcome_t outcome = ok ? FLUSH_STORED : FLUSH_REFUSED;
    int synced = ok && beside ? store_sync_start (self->db, &reason) : 0;
    if (synced != 0) {
        /*  Synced on the loop (the thread could not take it), or that
         *  sync failed: the group is answered and sent here. */
        outcome = synced > 0 ? FLUSH_STORED : FLUSH_UNCONFIRMED;
        beside = false;
    }
    if (ok && beside) {
        s_pending_leave (p, n);
        if (group) {
            memcpy (group, p->pending, n * sizeof *group);
            memmove (p->pending, p->pending + n, (p->n_pending - n) * sizeof *p->pending);
            p->n_pending -= n;
        } else {
            group = p->pending;
            p->pending = NULL;
            p->n_pending = p->cap_pending = 0;
        }
        p->committing = (committing_t){group, n, ids, held, now};
        s_flush_send (self, group, n, ids, held, now);
        partner_pump (self);
        return true;
    }
    free (group);
    s_flush_end (self, p->pending, n, ids, held, now, outcome, false, &reason);
    s_pending_leave (p, n);
    memmove (p->pending, p->pending + n, (p->n_pending - n) * sizeof *p->pending);
    p->n_pending -= n;
    return false;
}

/*  Store and queue the pending submissions in groups, each in one
 *  transaction per file (keys first), then answer.  Nothing is
 *  half-stored: on any failure all of a group are rolled back and
 *  refused, and a binary submission is never split between groups.
 *  While a group commits beside the loop, the rest wait for it
 *  (s_committed flushes them). */
void
partner_flush (node_t *self)
{
    partner_t *p = partner_of (self);
    while (p->n_pending && !p->committing.n)
        if (s_flush_group (self))
            return;
}

/*  The group whose log was synced beside the loop: answered now, and
 *  what gathered meanwhile stored. */
static void
s_committed (node_t *self)
{
    partner_t *p = partner_of (self);
    committing_t c = p->committing;
    p->committing = (committing_t){0};
    kt_reason_t reason = {""};
    bool ok = store_commit_wait (self->db, &reason) == 0;
    s_flush_end (self, c.pending, c.n, c.ids, c.held, c.now, ok ? FLUSH_STORED : FLUSH_UNCONFIRMED,
                 true, &reason);
    free (c.pending);
    partner_flush (self);
}

int
partner_on_committed (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    uint64_t count;
    ssize_t got = read (item->fd, &count, sizeof count); /* empty it */
    (void) got;
    node_t *self = arg;
    if (partner_of (self)->committing.n && store_commit_ended (self->db)) {
        apiserver_hold (self->api);
        s_committed (self);
        apiserver_release (self->api);
    }
    return 0;
}

/*  n submissions and their array freed, unanswered. */
static void
s_drop (pending_submit_t *pending, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pending[i].batch)
            partner_batch_drop (pending[i].batch);
        api_caller_clear (&pending[i].caller);
        intake_signal_destroy (&pending[i].signal);
        free (pending[i].header);
    }
    free (pending);
}

void
partner_flush_stop (node_t *self)
{
    partner_t *p = partner_of (self);
    /*  Stopping: the callers are gone with the API server; the group
     *  whose log is being synced was sent already, and what is not
     *  settled is sent again after the restart (the outbox reads its
     *  rows). */
    if (p->committing.n) {
        kt_reason_t reason;
        (void) store_commit_wait (self->db, &reason);
        /*  Stored (committed, its sync ended either way) though never
         *  answered: said all the same. */
        for (size_t i = 0; i < p->committing.n; i++) {
            char hex[KT_ID_HEX];
            kt_hex (hex, p->committing.ids[i], KT_ID_LEN);
            s_stored_said (self, &p->committing.pending[i], hex, p->committing.held[i]);
        }
        s_drop (p->committing.pending, p->committing.n);
        free (p->committing.ids);
        free (p->committing.held);
        p->committing = (committing_t){0};
    }
    s_drop (p->pending, p->n_pending);
    p->pending = NULL;
    p->n_pending = p->cap_pending = 0;
    p->pending_bytes = 0;
}

/*  The release's arguments: the signal's id, the investigation-interest
 *  check, the OM officer and the bevoegd functionaris consulted (*om_p,
 *  *fn_p, borrowed from args). */
static int
s_release_args (json_t *args, uint8_t id[KT_ID_LEN], const char **om_p, const char **fn_p,
                kt_reason_t *reason)
{
    json_t *id_j = args ? json_object_get (args, "message_id") : NULL;
    json_t *checked = args ? json_object_get (args, "opsporingsbelang_checked") : NULL;
    json_t *om = args ? json_object_get (args, "om_consulted") : NULL;
    json_t *fn = args ? json_object_get (args, "bevoegd_functionaris") : NULL;
    if (!json_is_string (id_j) || kt_unhex (id, KT_ID_LEN, json_string_value (id_j)) != 0)
        return kt_fail (reason, "args.message_id must be 32 hex digits");
    if (!json_is_true (checked))
        return kt_fail (reason, "record that the investigation interest (opsporingsbelang) does "
                                "not object: args.opsporingsbelang_checked must be true");
    /*  Wpg machtigingsbesluit art. 2(c): consulted are the OM and the
     *  bevoegd functionaris of art. 2:10 Bpg; a blank name records
     *  neither. */
    const char *om_name = json_string_value (om);
    if (!intake_name_ok (om_name))
        return kt_fail (reason,
                        "args.om_consulted must name the OM officer consulted (1..%d "
                        "bytes of text on one line, not blank)",
                        INTAKE_NAME_MAX);
    const char *fn_name = json_string_value (fn);
    if (!intake_name_ok (fn_name))
        return kt_fail (reason,
                        "args.bevoegd_functionaris must name the bevoegd functionaris of "
                        "art. 2:10 Bpg consulted (Wpg machtigingsbesluit art. 2c; 1..%d "
                        "bytes of text on one line, not blank)",
                        INTAKE_NAME_MAX);
    *om_p = om_name;
    *fn_p = fn_name;
    return 0;
}

/*  The release, the user who made it and the outbox row, in one
 *  transaction: the signal is sealed again under its own id, now carrying
 *  that the Wpg conditions were recorded, the officers consulted and the
 *  releasing OS user (all inside the sealed body, never in the header). */
static int
s_release_store (node_t *self, const api_caller_t *caller, const uint8_t id[KT_ID_LEN],
                 const char *om_name, const char *fn_name, uint64_t now, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    Keten__Signal *signal = NULL;
    uint8_t *body = NULL, *header = NULL;
    size_t body_len = 0, header_len = 0;
    char *to[1] = {(char *) p->hub->member->id};
    int rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = signalbox_release (p->signalbox, id, (uint32_t) caller->uid, om_name, fn_name, now,
                                &signal, reason);
    /*  The names and the releasing OS user travel sealed in the body (the
     *  uitvoerder logs only the OS user); borrowed for the pack. */
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    char *was[3] = {NULL, NULL, NULL};
    if (rc == 0) {
        signal->released_ms = now;
        signal->opsporingsbelang_checked = true;
        signal->om_consulted = true;
        was[0] = signal->om_officer;
        was[1] = signal->bevoegd_functionaris;
        was[2] = signal->released_by;
        signal->om_officer = (char *) om_name;
        signal->bevoegd_functionaris = (char *) fn_name;
        signal->released_by = user;
        body_len = keten__signal__get_packed_size (signal);
        body = malloc (body_len ? body_len : 1);
        if (body)
            keten__signal__pack (signal, body);
        signal->om_officer = was[0];
        signal->bevoegd_functionaris = was[1];
        signal->released_by = was[2];
        if (!body)
            rc = kt_fail (reason, "out of memory");
    }
    if (rc == 0) {
        uint8_t same_id[KT_ID_LEN];
        envelope_draft_t draft = {
            KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now, id, NULL};
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
 *  does not object and names the OM officer and the bevoegd functionaris
 *  consulted (art. 2a and 2c).  The release, the
 *  user who made it (kernel credentials) and the outbox row are one
 *  transaction. */
void
partner_release (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    uint8_t id[KT_ID_LEN];
    const char *om_name = NULL, *fn_name = NULL;
    kt_reason_t reason;
    uint64_t now = kt_now_ms ();
    if (s_release_args (args, id, &om_name, &fn_name, &reason) != 0 ||
        s_release_store (self, caller, id, om_name, fn_name, now, &reason) != 0) {
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

/* ---- the police representative's confirmation (art. 7.2a) ---------------- */

typedef struct {
    uint8_t (*ids)[KT_ID_LEN];
    size_t n, cap;
} idlist_t;

static int
s_idlist_add (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    idlist_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        uint8_t (*grown)[KT_ID_LEN] = realloc (l->ids, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        l->ids = grown;
        l->cap = cap;
    }
    memcpy (l->ids[l->n++], id, KT_ID_LEN);
    return 0;
}

/*  The ids to confirm: args.message_ids (1..PARTNER_CONFIRM_MAX ids) or
 *  args.all true (every waiting signal), never both. */
#define PARTNER_CONFIRM_MAX 10000
static int
s_confirm_args (partner_t *p, json_t *args, idlist_t *l, bool *all, kt_reason_t *reason)
{
    json_t *ids = args ? json_object_get (args, "message_ids") : NULL;
    json_t *all_j = args ? json_object_get (args, "all") : NULL;
    if (all_j && !json_is_boolean (all_j))
        return kt_fail (reason, "args.all must be true or false");
    *all = json_is_true (all_j);
    if (*all == (ids != NULL))
        return kt_fail (reason, "give either args.message_ids (the signals to confirm) or "
                                "args.all true (every signal awaiting confirmation)");
    if (*all)
        return signalbox_each_awaiting (p->signalbox, s_idlist_add, l, reason);
    if (!json_is_array (ids) || json_array_size (ids) == 0 ||
        json_array_size (ids) > PARTNER_CONFIRM_MAX)
        return kt_fail (reason, "args.message_ids must be a list of 1..%d message ids",
                        PARTNER_CONFIRM_MAX);
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v)
    {
        uint8_t id[KT_ID_LEN];
        const char *hex = json_string_value (v);
        if (!hex || strlen (hex) != 2 * KT_ID_LEN || kt_unhex (id, KT_ID_LEN, hex) != 0)
            return kt_fail (reason, "args.message_ids[%zu] must be 32 hex digits", i);
        for (size_t k = 0; k < l->n; k++)
            if (memcmp (l->ids[k], id, KT_ID_LEN) == 0)
                return kt_fail (reason, "args.message_ids[%zu]: %s is named twice", i, hex);
        if (s_idlist_add (l, id, reason) != 0)
            return -1;
    }
    return 0;
}

/*  Confirm one waiting signal inside the open transaction: recorded with
 *  the OS user and sealed again; unless it is art. 9/10 Wpg data (then
 *  it waits for its release), sealed as a message under its own id and
 *  put in the outbox. */
static int
s_confirm_one (node_t *self, const uint8_t id[KT_ID_LEN], uint32_t uid, const char *user,
               uint64_t now, bool *queued, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    Keten__Signal *signal = NULL;
    bool held = false;
    if (signalbox_confirm (p->signalbox, id, uid, user, now, &signal, &held, reason) != 0)
        return -1;
    *queued = !held;
    int rc = 0;
    if (!held) {
        char *to[1] = {(char *) p->hub->member->id};
        size_t body_len = keten__signal__get_packed_size (signal);
        uint8_t *body = malloc (body_len ? body_len : 1), *header = NULL;
        size_t header_len = 0;
        uint8_t same_id[KT_ID_LEN];
        if (!body)
            rc = kt_fail (reason, "out of memory");
        if (rc == 0) {
            keten__signal__pack (signal, body);
            envelope_draft_t draft = {
                KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, now, id, NULL};
            rc = envelope_seal (self->keyring, &draft, same_id, &header, &header_len, reason);
        }
        if (rc == 0)
            rc = outbox_insert (p->outbox, id, KETEN__MESSAGE_TYPE__SIGNAL, header, header_len, now,
                                reason);
        if (body) {
            sodium_memzero (body, body_len);
            free (body);
        }
        free (header);
    }
    keten__signal__free_unpacked (signal, NULL);
    return rc;
}

/*  art. 7.2a, intake/representative-mode = confirm: a member of the
 *  representative group gives the waiting spool signals to the weegploeg,
 *  named or all; every one in one transaction, so a refusal of one (an
 *  unknown id, one sent already) confirms none. */
void
partner_confirm (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    partner_t *p = partner_of (self);
    kt_reason_t reason;
    idlist_t l = {NULL, 0, 0};
    bool all = false;
    uint64_t now = kt_now_ms ();
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    bool *queued = NULL;
    int rc = store_begin (self->db, &reason);
    if (rc == 0)
        rc = s_confirm_args (p, args, &l, &all, &reason);
    if (rc == 0 && l.n && !(queued = calloc (l.n, sizeof *queued)))
        rc = kt_fail (&reason, "out of memory");
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        rc = s_confirm_one (self, l.ids[i], (uint32_t) caller->uid, user, now, &queued[i], &reason);
    if (rc == 0)
        rc = store_commit (self->db, &reason);
    if (rc != 0) {
        store_rollback (self->db);
        apiserver_reply_error (self->api, caller, reason.text);
        free (l.ids);
        free (queued);
        return;
    }
    json_t *list = json_array ();
    for (size_t i = 0; i < l.n; i++) {
        char hex[KT_ID_HEX];
        kt_hex (hex, l.ids[i], KT_ID_LEN);
        kt_log (KT_LOG_INFO, "signal confirmed id=%s uid=%u state=%s", hex, (unsigned) caller->uid,
                queued[i] ? "queued" : "held");
        if (queued[i])
            outbox_enqueue (p->outbox, l.ids[i], now);
        json_array_append_new (list, json_pack ("{s:s, s:s}", "message_id", hex, "state",
                                                queued[i] ? "queued" : "held"));
    }
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:o, s:s}", "confirmed", list, "confirmed_by", user));
    free (l.ids);
    free (queued);
    partner_pump (self);
}
