/*  uitvoerder_receipts: the receipts the uitvoerder answers members'
 *  messages with (docs/PROTOCOL.md, "Receipts").
 *
 *  A member whose heartbeat says it reads RECEIPTS (Heartbeat.receipts_max)
 *  gets the receipts of one outgoing batch in one envelope instead of one
 *  envelope each: one seal, one signature leaf and one open at the member
 *  for all of them, and their checkpoint note once (issue #17: sealing
 *  and opening a receipt per signal was about a third of the politie
 *  node's loop).  Each receipt is packed when it is made, without its
 *  checkpoint, and held here until the node sends its batch: then
 *  node_send_batch calls uitvoerder_receipts_send, which queues them per
 *  member, in chunks that stay well under what the member takes.  One
 *  receipt held for a member goes as a RECEIPT, as every receipt goes to
 *  a member that did not say it reads RECEIPTS (an older release).
 *  To a member that says it reads Receipt.inclusion_shared, a receipt's
 *  inclusion path leaves out the hashes it ends with that the receipt
 *  before it ends with too (neighbouring leaves share their upper
 *  levels): a drain's receipts then carry about two hashes each instead
 *  of a whole path, to seal, sign, hash and open.
 *
 *  Nothing here is durable: held receipts are what node_queue would have
 *  queued in memory; lost in a crash, the member's outbox offers the
 *  messages again and they are answered again.
 */
#include "uitvoerder.h"

#include "merkle.h"
#include "policy.h"

#include <string.h>

typedef struct {
    uint8_t *packed; /* the Receipt, packed without its checkpoint */
    size_t len;
    size_t cp; /* 1 + its checkpoint's index in cps; 0: unproven, none */
    /*  To a member that reads inclusion_shared: its whole inclusion path
     *  (heap), and how many hashes at its end the packed receipt leaves
     *  out as the one before it ends with them. */
    uint8_t (*path)[MERKLE_HASH_LEN];
    size_t n_path, shared;
} held_receipt_t;

/*  One member's held receipts, in the order they were made. */
typedef struct {
    char *member;
    node_route_t route;
    uint64_t max; /* its receipts_max when the first was held */
    bool shared;  /* it reads inclusion_shared (the first one held says) */
    held_receipt_t *items;
    size_t n, cap;
} held_member_t;

struct _held_receipts_t {
    held_member_t *members;
    size_t n, cap;
    /*  The checkpoints the held receipts are proven against, each once
     *  (the receipts of one drain share one). */
    ProtobufCBinaryData *cps;
    size_t n_cps, cap_cps;
};
typedef struct _held_receipts_t held_receipts_t;

uint64_t
uitvoerder_receipts_max (uint64_t said)
{
    if (said < UITVOERDER_RECEIPTS_MIN)
        return 0;
    return said > 64u * 1024 * 1024 ? 64u * 1024 * 1024 : said;
}

/*  Room for one more of size in *items (cap doubled). */
static int
s_grow (void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t more = *cap ? *cap * 2 : 16;
    void *grown = realloc (*items, more * size);
    if (!grown)
        return -1;
    *items = grown;
    *cap = more;
    return 0;
}

static held_member_t *
s_member (held_receipts_t *h, const member_link_t *link, const char *member)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp (h->members[i].member, member) == 0) {
            /*  Reconnected since (a new routing id): all of them go there. */
            h->members[i].route = link->route;
            return &h->members[i];
        }
    if (s_grow ((void **) &h->members, &h->cap, h->n, sizeof *h->members) != 0)
        return NULL;
    held_member_t *m = &h->members[h->n];
    memset (m, 0, sizeof *m);
    if (!(m->member = strdup (member)))
        return NULL;
    m->route = link->route;
    m->max = link->receipts_max;
    m->shared = link->receipts_shared;
    h->n++;
    return m;
}

/*  1 + the index of checkpoint cp in h->cps, added when new; 0: out of
 *  memory. */
static size_t
s_checkpoint (held_receipts_t *h, const ProtobufCBinaryData *cp)
{
    if (h->n_cps > 0 && h->cps[h->n_cps - 1].len == cp->len &&
        memcmp (h->cps[h->n_cps - 1].data, cp->data, cp->len) == 0)
        return h->n_cps;
    if (s_grow ((void **) &h->cps, &h->cap_cps, h->n_cps, sizeof *h->cps) != 0)
        return 0;
    uint8_t *copy = malloc (cp->len);
    if (!copy)
        return 0;
    memcpy (copy, cp->data, cp->len);
    h->cps[h->n_cps].data = copy;
    h->cps[h->n_cps].len = cp->len;
    return ++h->n_cps;
}

/*  r held for member, packed without its checkpoint.  -1 (r as it was)
 *  when out of memory: the caller queues it as a RECEIPT. */
static int
s_hold (node_t *self, const member_link_t *link, const char *member, Keten__Receipt *r)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->held && !(u->held = calloc (1, sizeof *u->held)))
        return -1;
    held_receipts_t *h = u->held;
    held_member_t *m = s_member (h, link, member);
    if (!m || s_grow ((void **) &m->items, &m->cap, m->n, sizeof *m->items) != 0)
        return -1;
    /*  Proven against its checkpoint, or unproven altogether: a leaf
     *  hash without a checkpoint would be read as proven against the
     *  message's (docs/PROTOCOL.md, "Receipts"). */
    size_t cp = 0;
    if (r->checkpoint.len && r->leaf_hash.len && !(cp = s_checkpoint (h, &r->checkpoint)))
        return -1;
    /*  The hashes its path shares with the receipt held before it. */
    size_t n_path = cp && m->shared ? r->n_inclusion : 0, shared = 0;
    uint8_t (*path)[MERKLE_HASH_LEN] = NULL;
    if (n_path) {
        if (!(path = malloc (n_path * sizeof *path)))
            return -1;
        for (size_t i = 0; i < n_path; i++)
            memcpy (path[i], r->inclusion[i].data, MERKLE_HASH_LEN);
        const held_receipt_t *before = m->n ? &m->items[m->n - 1] : NULL;
        if (before && before->cp == cp && before->path)
            shared = merkle_path_shared_end ((const uint8_t (*)[MERKLE_HASH_LEN]) path, n_path,
                                             (const uint8_t (*)[MERKLE_HASH_LEN]) before->path,
                                             before->n_path);
    }
    ProtobufCBinaryData checkpoint = r->checkpoint, leaf = r->leaf_hash;
    size_t n_inclusion = r->n_inclusion;
    r->checkpoint = (ProtobufCBinaryData){0, NULL};
    if (!cp)
        r->leaf_hash = (ProtobufCBinaryData){0, NULL};
    r->n_inclusion -= shared;
    r->inclusion_shared = (uint32_t) shared;
    size_t len = keten__receipt__get_packed_size (r);
    uint8_t *packed = malloc (len ? len : 1);
    if (packed)
        keten__receipt__pack (r, packed);
    r->checkpoint = checkpoint;
    r->leaf_hash = leaf;
    r->n_inclusion = n_inclusion;
    r->inclusion_shared = 0;
    if (!packed) {
        free (path);
        return -1;
    }
    m->items[m->n++] = (held_receipt_t){packed, len, cp, path, n_path, shared};
    return 0;
}

/*  The receipt, with entry (entry_len bytes: the packed log entry at
 *  log_index, when the caller has it; NULL: read from the log). */
static void
s_receipt (node_t *self, member_link_t *link, const char *member, const uint8_t id[KT_ID_LEN],
           bool accepted, uint64_t log_index, const char *refusal, const uint8_t *entry,
           size_t entry_len)
{
    Keten__Receipt r = KETEN__RECEIPT__INIT;
    r.message_id.data = (uint8_t *) id;
    r.message_id.len = KT_ID_LEN;
    r.status = accepted ? KETEN__RECEIPT_STATUS__ACCEPTED : KETEN__RECEIPT_STATUS__REFUSED;
    r.reason = (char *) (refusal ? refusal : "");
    r.log_index = log_index;
    r.stored_ms = kt_now_ms ();
    /*  The sender can check that its message is in the log (docs/PROTOCOL.md,
     *  "Checkpoints, proofs and witnesses"): the proof, and the entry it is
     *  of, which records the message's arrival. */
    logproof_receipt_t proof;
    logproof_message_t consistency = {0};
    uint8_t *read = NULL;
    kt_reason_t reason;
    if (accepted)
        uitvoerder_prove_receipt (self, link, log_index, &r, &proof, &consistency);
    if (r.leaf_hash.len && !entry) {
        if (provlog_entry_bytes (uitvoerder_of (self)->log, log_index, &read, &entry_len,
                                 &reason) == 0)
            entry = read;
        else
            /*  The receipt still goes; the member counts it as unproven. */
            kt_log (KT_LOG_WARN, "receipt entry_unreadable index=%llu reason=\"%s\"",
                    (unsigned long long) log_index, reason.text);
    }
    if (r.leaf_hash.len && entry) {
        r.entry.data = (uint8_t *) entry;
        r.entry.len = entry_len;
    }
    if (!(link->receipts_max && s_hold (self, link, member, &r) == 0) &&
        node_queue (self, &link->route, KETEN__MESSAGE_TYPE__RECEIPT, member, &r.base, &reason) !=
            0)
        kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"%s\"", reason.text);
    logproof_message_clear (&consistency);
    free (read);
}

void
uitvoerder_receipt (node_t *self, member_link_t *link, const char *member,
                    const uint8_t id[KT_ID_LEN], bool accepted, uint64_t log_index,
                    const char *refusal)
{
    s_receipt (self, link, member, id, accepted, log_index, refusal, NULL, 0);
}

void
uitvoerder_receipt_logged (node_t *self, member_link_t *link, const char *member,
                           const uint8_t id[KT_ID_LEN], uint64_t log_index, const uint8_t *entry,
                           size_t entry_len)
{
    s_receipt (self, link, member, id, true, log_index, NULL, entry, entry_len);
}

/*  A held receipt packed with its whole path, for a message it is the
 *  first of (heap; NULL when out of memory). */
static uint8_t *
s_whole (const held_receipt_t *it, size_t *len_p)
{
    Keten__Receipt *r = keten__receipt__unpack (NULL, it->len, it->packed);
    if (!r)
        return NULL;
    ProtobufCBinaryData whole[MERKLE_MAX_PATH];
    size_t n = it->n_path < MERKLE_MAX_PATH ? it->n_path : MERKLE_MAX_PATH;
    for (size_t k = 0; k < n; k++)
        whole[k] = (ProtobufCBinaryData){MERKLE_HASH_LEN, it->path[k]};
    ProtobufCBinaryData *own = r->inclusion;
    size_t n_own = r->n_inclusion;
    r->inclusion = whole;
    r->n_inclusion = n;
    r->inclusion_shared = 0;
    *len_p = keten__receipt__get_packed_size (r);
    uint8_t *out = malloc (*len_p ? *len_p : 1);
    if (out)
        keten__receipt__pack (r, out);
    r->inclusion = own; /* its own, freed with it */
    r->n_inclusion = n_own;
    keten__receipt__free_unpacked (r, NULL);
    return out;
}

/*  A member's only held receipt, as a RECEIPT with its checkpoint. */
static void
s_send_one (node_t *self, const held_receipts_t *h, const held_member_t *m)
{
    const held_receipt_t *it = &m->items[0];
    /*  The first held shares nothing: it has no receipt before it. */
    Keten__Receipt *r = keten__receipt__unpack (NULL, it->len, it->packed);
    kt_reason_t reason;
    if (!r) {
        kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"out of memory\"");
        return;
    }
    if (it->cp)
        r->checkpoint = h->cps[it->cp - 1]; /* borrowed: cleared before the free */
    if (node_queue (self, &m->route, KETEN__MESSAGE_TYPE__RECEIPT, m->member, &r->base, &reason) !=
        0)
        kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"%s\"", reason.text);
    r->checkpoint = (ProtobufCBinaryData){0, NULL};
    keten__receipt__free_unpacked (r, NULL);
}

/*  A member's held receipts as RECEIPTS: in order, each chunk at most
 *  POLICY_MAX_RECEIPTS receipts, proven against one checkpoint (an
 *  unproven receipt goes with any), and with that checkpoint at most half
 *  of the smaller of what the member takes and what this node seals
 *  (transport/max-message at either end; the rest is room for the
 *  envelope).  One receipt larger than that still goes, alone: no larger
 *  than it would be as a RECEIPT. */
static void
s_send_chunks (node_t *self, const held_receipts_t *h, const held_member_t *m)
{
    uint64_t limit = m->max < self->config.max_message ? m->max : self->config.max_message;
    size_t budget = (size_t) (limit / 2);
    ProtobufCBinaryData *list = malloc (m->n * sizeof *list);
    if (!list) {
        kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"out of memory\"");
        return;
    }
    for (size_t i = 0; i < m->n;) {
        size_t cp = 0, bytes = 0, j = i;
        for (; j < m->n && j - i < POLICY_MAX_RECEIPTS; j++) {
            const held_receipt_t *it = &m->items[j];
            if (it->cp && cp && it->cp != cp)
                break;
            /*  Its checkpoint comes with the first receipt that has one;
             *  the first of a message goes with its whole path. */
            size_t more = it->len + 8 + (it->cp && !cp ? h->cps[it->cp - 1].len + 8 : 0) +
                          (j == i ? it->shared * (MERKLE_HASH_LEN + 2) : 0);
            if (j > i && bytes + more > budget)
                break;
            if (it->cp)
                cp = it->cp;
            bytes += more; /* tags and lengths: at most 8 bytes each */
            list[j - i] = (ProtobufCBinaryData){it->len, it->packed};
        }
        uint8_t *first = NULL;
        if (m->items[i].shared) {
            if (!(first = s_whole (&m->items[i], &list[0].len))) {
                kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"out of memory\"");
                i = j; /* the member's outbox offers these again */
                continue;
            }
            list[0].data = first;
        }
        Keten__ReceiptsPacked rp = KETEN__RECEIPTS_PACKED__INIT;
        rp.receipts = list;
        rp.n_receipts = j - i;
        if (cp)
            rp.checkpoint = h->cps[cp - 1];
        kt_reason_t reason;
        if (node_queue (self, &m->route, KETEN__MESSAGE_TYPE__RECEIPTS, m->member, &rp.base,
                        &reason) != 0)
            kt_log (KT_LOG_ERROR, "receipt seal_failed reason=\"%s\"", reason.text);
        free (first);
        i = j;
    }
    free (list);
}

/*  Everything held let go. */
static void
s_clear (held_receipts_t *h)
{
    for (size_t i = 0; i < h->n; i++) {
        for (size_t k = 0; k < h->members[i].n; k++) {
            free (h->members[i].items[k].packed);
            free (h->members[i].items[k].path);
        }
        free (h->members[i].items);
        free (h->members[i].member);
    }
    for (size_t i = 0; i < h->n_cps; i++)
        free (h->cps[i].data);
    h->n = h->n_cps = 0;
}

void
uitvoerder_receipts_send (node_t *self)
{
    held_receipts_t *h = uitvoerder_of (self)->held;
    if (!h || h->n == 0)
        return;
    for (size_t i = 0; i < h->n; i++) {
        if (h->members[i].n == 1)
            s_send_one (self, h, &h->members[i]);
        else if (h->members[i].n > 1)
            s_send_chunks (self, h, &h->members[i]);
        /*  0: out of memory while holding its first; it went as a RECEIPT */
    }
    s_clear (h);
}

void
uitvoerder_receipts_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!u->held)
        return;
    s_clear (u->held);
    free (u->held->members);
    free (u->held->cps);
    free (u->held);
    u->held = NULL;
}
