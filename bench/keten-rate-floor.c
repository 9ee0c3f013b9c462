/*  keten-rate-floor: the least CPU a signal can cost on this stack with
 *  keten's guarantees kept, at 1,000 in flight (issue #17: "a measured
 *  floor", for the rate as keten-floor is for one signal's path).
 *
 *  Every step a signal needs is done once per signal in its cheapest
 *  form, with every fixed cost shared by a batch of RATE_BATCH, in one
 *  process (both nodes and the caller), and timed as the process's CPU:
 *  every thread counts (ZeroMQ's I/O threads do the CurveZMQ work), and
 *  so does the kernel's share of the writes and fdatasyncs.  Waiting for
 *  the disk costs no CPU: with 1,000 in flight the batches overlap it.
 *  What it leaves out is what any real implementation adds: two
 *  processes and their wake-ups, a queue for redelivery, lookups for
 *  duplicates, retries.  So on N cores no implementation of keten's
 *  guarantees can go faster than N seconds of CPU divided by the sum.
 *
 *  The steps, per signal:
 *  - the caller's request and its answer over a local stream socket,
 *    framed as keten's local API frames them, written in chunks of 50;
 *  - JSON as keten's local API speaks it: the caller's request made and
 *    the answer read, the node's request parsed and its fields checked
 *    and packed, the answer made (a binary frame would not need it: the
 *    sum is also printed without it);
 *  - at rest, on each node: a data key of its own (art. 13: destroying
 *    it destroys every copy), wrapped under the node's storage key, and
 *    the signal sealed under it;
 *  - end to end: the signal sealed to the uitvoerder;
 *  - the politie node's batch signature: each envelope's leaf hash, the
 *    batch's hash tree, one Ed25519 signature; the uitvoerder checks it;
 *  - durable at both ends: one row for the signal and one for its key at
 *    the politie node; the weegploeg row, its key and the log entry at
 *    the uitvoerder; each file committed once per batch (WAL,
 *    synchronous=FULL, keten's store.c);
 *  - the CurveZMQ hop, each envelope a message of its own;
 *  - the log: each entry's leaf into the tree, one signed checkpoint;
 *  - one receipt per batch (keten sends one per signal today): the
 *    checkpoint, the batch's first index and its signals' ids, sealed,
 *    signed, sent back; the politie node checks both signatures, rebuilds
 *    the batch's subtree from its own envelopes and the tree's new root
 *    from the one before, and records the receipt.
 *
 *  usage: keten-rate-floor DIR   (DIR on the disk the state directories use)
 */
#include "floor.h"
#include "merkle.h"
#include "store.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <jansson.h>
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/*  Anything failing stops the bench: a floor measured on a step that
 *  failed would be no floor. */
static void
s_fail (const char *what)
{
    fprintf (stderr, "keten-rate-floor: %s\n", what);
    exit (1);
}

#define RATE_BATCH 1000
#define RATE_BATCHES 20

typedef enum {
    RATE_API,       /* the caller's requests and answers over the local socket */
    RATE_CALLER,    /* the caller's JSON: requests made, answers read */
    RATE_JSON,      /* the node's JSON: requests parsed and checked, answers made */
    RATE_AT_REST_P, /* politie: a data key, wrapped; the signal sealed under it */
    RATE_E2E,       /* politie: the signal sealed to the uitvoerder */
    RATE_SIGN,      /* politie: the batch's hash tree and one signature */
    RATE_STORE_P,   /* politie: the signal's row and its key's row, committed */
    RATE_HOP,       /* the envelopes over CurveZMQ */
    RATE_VERIFY,    /* uitvoerder: the batch's hash tree and signature checked */
    RATE_OPEN,      /* uitvoerder: the signal opened */
    RATE_AT_REST_U, /* uitvoerder: a subject's data key, wrapped; the signal sealed */
    RATE_LOG,       /* uitvoerder: the log entry hashed into the tree, a checkpoint signed */
    RATE_STORE_U,   /* uitvoerder: weegploeg, key and log rows, committed */
    RATE_RECEIPT,   /* one receipt per batch: sealed, signed, sent, opened, checked, recorded */
    RATE_STEPS
} rate_step_t;

static const char *const s_rate_names[RATE_STEPS] = {
    "local API socket, both ends",
    "caller's JSON: requests made, answers read",
    "politie: JSON requests parsed and checked, answers made",
    "politie: data key wrapped, signal sealed at rest",
    "politie: signal sealed to the uitvoerder",
    "politie: batch hash tree and signature",
    "politie: signal and key rows committed",
    "CurveZMQ hop",
    "uitvoerder: batch hash tree and signature checked",
    "uitvoerder: signal opened",
    "uitvoerder: data key wrapped, signal sealed at rest",
    "uitvoerder: log entry into the hash tree, checkpoint signed",
    "uitvoerder: weegploeg, key and log rows committed",
    "one receipt per batch, both ends",
};

static double s_rate_cpu[RATE_STEPS]; /* us of process CPU, summed over batches */

static double
s_cpu_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

#define RATE_STEP(step, ...)                                                                       \
    do {                                                                                           \
        double t0_ = s_cpu_us ();                                                                  \
        __VA_ARGS__;                                                                               \
        s_rate_cpu[step] += s_cpu_us () - t0_;                                                     \
    } while (0)

/*  The signal every request carries (the one `make bench` sends). */
static const char s_rate_signal[] =
    "{\"subject\":{\"name\":\"Test Persoon\",\"birth_date\":\"2001-04-12\",\"address\":"
    "\"Teststraat 1, 6211 AA\",\"municipality\":\"Maastricht\"},\"description\":\"Fictional "
    "test signal.\",\"category\":\"uitingen\",\"observed_on\":\"2026-11-01\",\"melder\":{\"name\":"
    "\"Agent Test\",\"contact\":\"test@politie.invalid\"},\"source\":{\"kind\":\"eigen\"},"
    "\"wpg_basis\":\"art-8-13\",\"legal_basis\":\"wpg-16\",\"local_ref\":\"BENCH\"}";

#define RATE_MAX 2048 /* a frame, a sealed signal, an envelope: at most */
#define RATE_SEALED                                                                                \
    (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)

typedef struct {
    uint8_t id[16];
    uint8_t plain[RATE_MAX]; /* the signal's fields as the node keeps them */
    size_t plain_len;
    uint8_t key_id[16], wrapped[32 + RATE_SEALED];
    uint8_t rest[RATE_MAX + RATE_SEALED]; /* sealed at rest */
    uint8_t env[RATE_MAX + RATE_SEALED];  /* sealed to the uitvoerder */
    size_t env_len;
    uint8_t leaf[MERKLE_HASH_LEN];
} rate_signal_t;

/*  AEAD with a random nonce in front: out = nonce || ciphertext. */
static void
s_seal (uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32])
{
    kt_random_buf (out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt (out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                NULL, in, len, NULL, 0, NULL, out, key);
}

static void
s_open (uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[32])
{
    if (crypto_aead_xchacha20poly1305_ietf_decrypt (
            out, NULL, NULL, in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, 0, in, key) != 0) {
        fprintf (stderr, "keten-rate-floor: a sealed signal does not open\n");
        exit (1);
    }
}

/*  The root of a hash tree over n leaves (n - 1 node hashes; an odd one
 *  out is carried up). */
static void
s_tree_root (uint8_t (*level)[MERKLE_HASH_LEN], size_t n, uint8_t root[MERKLE_HASH_LEN])
{
    while (n > 1) {
        size_t up = 0;
        for (size_t i = 0; i + 1 < n; i += 2)
            merkle_node_hash (level[up++], level[i], level[i + 1]);
        if (n % 2)
            memcpy (level[up++], level[n - 1], MERKLE_HASH_LEN);
        n = up;
    }
    memcpy (root, level[0], MERKLE_HASH_LEN);
}

static void
s_rate_tree (rate_signal_t *sig, uint8_t (*level)[MERKLE_HASH_LEN], uint8_t root[MERKLE_HASH_LEN])
{
    for (size_t i = 0; i < RATE_BATCH; i++)
        memcpy (level[i], sig[i].leaf, MERKLE_HASH_LEN);
    s_tree_root (level, RATE_BATCH, root);
}

/*  All of a socket's n bytes, or the bench stops. */
static void
s_write_all (int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write (fd, p, n);
        if (w <= 0) {
            perror ("keten-rate-floor: write");
            exit (1);
        }
        p += w;
        n -= (size_t) w;
    }
}

static void
s_read_all (int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read (fd, p, n);
        if (r <= 0) {
            perror ("keten-rate-floor: read");
            exit (1);
        }
        p += r;
        n -= (size_t) r;
    }
}

/*  The caller's requests: framed (4-byte length, JSON), written in
 *  chunks of RATE_CHUNK as a caller with many in flight writes them, read
 *  by the node.  Each frame's text into frames/len. */
#define RATE_CHUNK 50

typedef struct {
    char *text[RATE_BATCH];
    size_t len[RATE_BATCH];
} rate_frames_t;

static void
s_rate_frames_free (rate_frames_t *f)
{
    for (size_t i = 0; i < RATE_BATCH; i++) {
        free (f->text[i]);
        f->text[i] = NULL;
    }
}

/*  n frames (texts and lengths) over fd[0] to fd[1], read back into in. */
static void
s_rate_pass (int fd[2], char *const *text, const size_t *len, size_t n, char **in, size_t *in_len)
{
    static char buf[RATE_CHUNK * (RATE_MAX + 4)];
    for (size_t c = 0; c < n; c += RATE_CHUNK) {
        size_t m = n - c < RATE_CHUNK ? n - c : RATE_CHUNK, at = 0;
        for (size_t i = c; i < c + m; i++) {
            uint32_t be = htonl ((uint32_t) len[i]);
            memcpy (buf + at, &be, 4);
            memcpy (buf + at + 4, text[i], len[i]);
            at += 4 + len[i];
        }
        s_write_all (fd[0], buf, at);
        s_read_all (fd[1], buf, at);
        at = 0;
        for (size_t i = c; i < c + m; i++) {
            uint32_t be;
            memcpy (&be, buf + at, 4);
            in_len[i] = ntohl (be);
            in[i] = malloc (in_len[i] + 1);
            if (!in[i])
                s_fail ("out of memory");
            memcpy (in[i], buf + at + 4, in_len[i]);
            at += 4 + in_len[i];
        }
    }
}

/*  The node's check of one request: a signal.submit whose signal has its
 *  fields as text; the fields packed into sig->plain. */
static void
s_rate_request (const char *text, size_t len, rate_signal_t *sig)
{
    json_error_t jerr;
    json_t *req = json_loadb (text, len, 0, &jerr);
    json_t *signal = json_object_get (json_object_get (req, "args"), "signal");
    const char *cmd = json_string_value (json_object_get (req, "cmd"));
    if (!req || !json_is_integer (json_object_get (req, "id")) || !cmd ||
        strcmp (cmd, "signal.submit") != 0 || !json_is_object (signal)) {
        fprintf (stderr, "keten-rate-floor: a request does not parse\n");
        exit (1);
    }
    static const char *const fields[] = {"description", "category",    "observed_on",
                                         "wpg_basis",   "legal_basis", "local_ref"};
    static const char *const nested[][2] = {{"subject", "name"},    {"subject", "birth_date"},
                                            {"subject", "address"}, {"subject", "municipality"},
                                            {"melder", "name"},     {"melder", "contact"},
                                            {"source", "kind"}};
    size_t at = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0] + sizeof nested / sizeof nested[0];
         i++) {
        json_t *v =
            i < sizeof fields / sizeof fields[0]
                ? json_object_get (signal, fields[i])
                : json_object_get (
                      json_object_get (signal, nested[i - sizeof fields / sizeof fields[0]][0]),
                      nested[i - sizeof fields / sizeof fields[0]][1]);
        const char *s = json_string_value (v);
        size_t n = s ? json_string_length (v) : 0;
        if (!s || n == 0 || n > 255 || at + 1 + n > sizeof sig->plain) {
            fprintf (stderr, "keten-rate-floor: a request's field is missing\n");
            exit (1);
        }
        sig->plain[at++] = (uint8_t) n;
        memcpy (sig->plain + at, s, n);
        at += n;
    }
    sig->plain_len = at;
    json_decref (req);
}

static void
s_rate_run (sqlite3 *db, const char *sql, const store_value_t *values)
{
    kt_reason_t reason;
    if (store_run (db, sql, values, "add a row", &reason) != 1) {
        fprintf (stderr, "keten-rate-floor: %s\n", reason.text);
        exit (1);
    }
}

/*  One batch through both nodes. */
typedef struct {
    int api[2], answers[2];
    floor_curve_t pair;
    sqlite3 *p_node, *p_keys, *u_weeg, *u_keys, *u_log;
    uint8_t storage_p[32], storage_u[32], e2e[32], receipt_key[32];
    uint8_t pk_p[crypto_sign_PUBLICKEYBYTES], sk_p[crypto_sign_SECRETKEYBYTES];
    uint8_t pk_u[crypto_sign_PUBLICKEYBYTES], sk_u[crypto_sign_SECRETKEYBYTES];
    uint8_t log_root[MERKLE_HASH_LEN],
        p_root[MERKLE_HASH_LEN]; /* the uitvoerder's; the politie node's copy */
    int64_t log_size;
    zframe_t *route; /* the politie node's, at the uitvoerder */
    rate_signal_t sig[RATE_BATCH], got[RATE_BATCH];
    uint8_t level[RATE_BATCH][MERKLE_HASH_LEN];
    uint8_t entry_leaf[RATE_BATCH][MERKLE_HASH_LEN];
} rate_t;

static void
s_rate_batch (rate_t *r, int64_t first)
{
    kt_reason_t reason;
    rate_frames_t req = {.text = {NULL}}, in = {.text = {NULL}}, ans = {.text = {NULL}},
                  ans_in = {.text = {NULL}};
    for (size_t i = 0; i < RATE_BATCH; i++) {
        json_t *signal = json_loads (s_rate_signal, 0, NULL);
        json_t *one =
            json_pack ("{s:I, s:s, s:{s:o, s:b}}", "id", (json_int_t) (first + (int64_t) i), "cmd",
                       "signal.submit", "args", "signal", signal, "wait", 1);
        RATE_STEP (RATE_CALLER, req.text[i] = json_dumps (one, JSON_COMPACT));
        req.len[i] = strlen (req.text[i]);
        json_decref (one);
    }
    RATE_STEP (RATE_API, s_rate_pass (r->api, req.text, req.len, RATE_BATCH, in.text, in.len));
    RATE_STEP (RATE_JSON, for (size_t i = 0; i < RATE_BATCH; i++)
                              s_rate_request (in.text[i], in.len[i], &r->sig[i]));
    /*  politie */
    RATE_STEP (
        RATE_AT_REST_P, for (size_t i = 0; i < RATE_BATCH; i++) {
            rate_signal_t *s = &r->sig[i];
            uint8_t key[32];
            kt_random_buf (s->id, sizeof s->id);
            kt_random_buf (s->key_id, sizeof s->key_id);
            kt_random_buf (key, sizeof key);
            s_seal (s->wrapped, key, sizeof key, r->storage_p);
            s_seal (s->rest, s->plain, s->plain_len, key);
            sodium_memzero (key, sizeof key);
        });
    RATE_STEP (
        RATE_E2E, for (size_t i = 0; i < RATE_BATCH; i++) {
            rate_signal_t *s = &r->sig[i];
            s_seal (s->env, s->plain, s->plain_len, r->e2e);
            s->env_len = s->plain_len + RATE_SEALED;
        });
    uint8_t root[MERKLE_HASH_LEN], sig_p[crypto_sign_BYTES];
    RATE_STEP (RATE_SIGN, {
        for (size_t i = 0; i < RATE_BATCH; i++)
            merkle_leaf_hash (r->sig[i].leaf, r->sig[i].env, r->sig[i].env_len);
        s_rate_tree (r->sig, r->level, root);
        crypto_sign_detached (sig_p, NULL, root, sizeof root, r->sk_p);
    });
    RATE_STEP (RATE_STORE_P, {
        floor_check (store_begin (r->p_keys, &reason), &reason);
        for (size_t i = 0; i < RATE_BATCH; i++)
            s_rate_run (r->p_keys, "INSERT INTO k (id, wrapped) VALUES (?, ?)",
                        STORE_VALUES (STORE_BLOB (r->sig[i].key_id, 16),
                                      STORE_BLOB (r->sig[i].wrapped, sizeof r->sig[i].wrapped)));
        floor_check (store_commit (r->p_keys, &reason), &reason);
        floor_check (store_begin (r->p_node, &reason), &reason);
        for (size_t i = 0; i < RATE_BATCH; i++)
            s_rate_run (
                r->p_node, "INSERT INTO s (id, key_id, body, state) VALUES (?, ?, ?, 0)",
                STORE_VALUES (STORE_BLOB (r->sig[i].id, 16), STORE_BLOB (r->sig[i].key_id, 16),
                              STORE_BLOB (r->sig[i].rest, r->sig[i].plain_len + RATE_SEALED)));
        floor_check (store_commit (r->p_node, &reason), &reason);
    });
    /*  the hop: each envelope its own message, as keten sends them */
    RATE_STEP (
        RATE_HOP, for (size_t c = 0; c < RATE_BATCH; c += RATE_CHUNK) {
            for (size_t i = c; i < c + RATE_CHUNK; i++) {
                zframe_t *f = zframe_new (r->sig[i].env, r->sig[i].env_len);
                zframe_send (&f, r->pair.client, 0);
            }
            for (size_t i = c; i < c + RATE_CHUNK; i++) {
                zmsg_t *m = zmsg_recv (r->pair.server);
                zframe_t *route = zmsg_pop (m);
                zframe_t *body = zmsg_pop (m);
                if (!body || zframe_size (body) > sizeof r->got[i].env)
                    s_fail ("an envelope did not arrive whole");
                r->got[i].env_len = zframe_size (body);
                memcpy (r->got[i].env, zframe_data (body), r->got[i].env_len);
                zframe_destroy (&body);
                if (!r->route)
                    r->route = zframe_dup (route);
                zframe_destroy (&route);
                zmsg_destroy (&m);
            }
        });
    /*  uitvoerder */
    RATE_STEP (RATE_VERIFY, {
        uint8_t check[MERKLE_HASH_LEN];
        for (size_t i = 0; i < RATE_BATCH; i++)
            merkle_leaf_hash (r->got[i].leaf, r->got[i].env, r->got[i].env_len);
        s_rate_tree (r->got, r->level, check);
        if (crypto_sign_verify_detached (sig_p, check, sizeof check, r->pk_p) != 0)
            s_fail ("the batch signature does not verify");
    });
    RATE_STEP (
        RATE_OPEN, for (size_t i = 0; i < RATE_BATCH; i++) {
            rate_signal_t *g = &r->got[i];
            g->plain_len = g->env_len - RATE_SEALED;
            s_open (g->plain, g->env, g->env_len, r->e2e);
        });
    RATE_STEP (
        RATE_AT_REST_U, for (size_t i = 0; i < RATE_BATCH; i++) {
            rate_signal_t *g = &r->got[i];
            uint8_t key[32];
            memcpy (g->id, r->sig[i].id, sizeof g->id);
            kt_random_buf (g->key_id, sizeof g->key_id);
            kt_random_buf (key, sizeof key);
            s_seal (g->wrapped, key, sizeof key, r->storage_u);
            s_seal (g->rest, g->plain, g->plain_len, key);
            sodium_memzero (key, sizeof key);
        });
    /*  The log entry: the signal's id, the envelope's hash, sender, type
     *  and time (no personal data); its leaf into the tree. */
    uint8_t entry[RATE_BATCH][16 + MERKLE_HASH_LEN + 16];
    uint8_t note[MERKLE_HASH_LEN + 8], sig_cp[crypto_sign_BYTES];
    RATE_STEP (RATE_LOG, {
        for (size_t i = 0; i < RATE_BATCH; i++) {
            memcpy (entry[i], r->got[i].id, 16);
            memcpy (entry[i] + 16, r->got[i].leaf, MERKLE_HASH_LEN);
            memset (entry[i] + 16 + MERKLE_HASH_LEN, 'p', 16);
            merkle_leaf_hash (r->entry_leaf[i], entry[i], sizeof entry[i]);
            memcpy (r->level[i], r->entry_leaf[i], MERKLE_HASH_LEN);
        }
        uint8_t sub[MERKLE_HASH_LEN];
        s_tree_root (r->level, RATE_BATCH, sub);
        merkle_node_hash (r->log_root, r->log_root, sub);
        r->log_size += RATE_BATCH;
        memcpy (note, r->log_root, MERKLE_HASH_LEN);
        memcpy (note + MERKLE_HASH_LEN, &r->log_size, 8);
        crypto_sign_detached (sig_cp, NULL, note, sizeof note, r->sk_u);
    });
    RATE_STEP (RATE_STORE_U, {
        floor_check (store_begin (r->u_keys, &reason), &reason);
        for (size_t i = 0; i < RATE_BATCH; i++)
            s_rate_run (r->u_keys, "INSERT INTO k (id, wrapped) VALUES (?, ?)",
                        STORE_VALUES (STORE_BLOB (r->got[i].key_id, 16),
                                      STORE_BLOB (r->got[i].wrapped, sizeof r->got[i].wrapped)));
        floor_check (store_commit (r->u_keys, &reason), &reason);
        floor_check (store_begin (r->u_log, &reason), &reason);
        for (size_t i = 0; i < RATE_BATCH; i++)
            s_rate_run (r->u_log, "INSERT INTO e (idx, entry) VALUES (?, ?)",
                        STORE_VALUES (STORE_INT (r->log_size - RATE_BATCH + (int64_t) i),
                                      STORE_BLOB (entry[i], sizeof entry[i])));
        floor_check (store_commit_start (r->u_log, &reason), &reason);
        floor_check (store_begin (r->u_weeg, &reason), &reason);
        for (size_t i = 0; i < RATE_BATCH; i++)
            s_rate_run (
                r->u_weeg, "INSERT INTO s (id, key_id, body, state) VALUES (?, ?, ?, 0)",
                STORE_VALUES (STORE_BLOB (r->got[i].id, 16), STORE_BLOB (r->got[i].key_id, 16),
                              STORE_BLOB (r->got[i].rest, r->got[i].plain_len + RATE_SEALED)));
        floor_check (store_commit (r->u_weeg, &reason), &reason);
        floor_check (store_commit_wait (r->u_log, &reason), &reason);
    });
    /*  One receipt for the batch: the checkpoint and its signature, the
     *  batch's first log index and its signals' ids, sealed and signed;
     *  the politie node opens it, checks both signatures, rebuilds the
     *  batch's subtree from its own entries and the tree's root from the
     *  root before (kept from the last receipt), and records it. */
    RATE_STEP (RATE_RECEIPT, {
        static uint8_t plain[sizeof note + crypto_sign_BYTES + 8 + RATE_BATCH * 16];
        static uint8_t sealed[sizeof plain + RATE_SEALED], opened[sizeof plain];
        uint8_t sig_r[crypto_sign_BYTES];
        size_t at = 0;
        memcpy (plain, note, sizeof note);
        memcpy (plain + sizeof note, sig_cp, sizeof sig_cp);
        at = sizeof note + sizeof sig_cp;
        int64_t from = r->log_size - RATE_BATCH;
        memcpy (plain + at, &from, 8);
        at += 8;
        for (size_t i = 0; i < RATE_BATCH; i++, at += 16)
            memcpy (plain + at, r->got[i].id, 16);
        s_seal (sealed, plain, sizeof plain, r->receipt_key);
        crypto_sign_detached (sig_r, NULL, sealed, sizeof sealed, r->sk_u);
        zframe_t *route = zframe_dup (r->route);
        zframe_t *f = zframe_new (sealed, sizeof sealed);
        zframe_t *s = zframe_new (sig_r, sizeof sig_r);
        zframe_send (&route, r->pair.server, ZFRAME_MORE);
        zframe_send (&f, r->pair.server, ZFRAME_MORE);
        zframe_send (&s, r->pair.server, 0);
        f = zframe_recv (r->pair.client);
        s = zframe_recv (r->pair.client);
        if (!f || !s ||
            crypto_sign_verify_detached (zframe_data (s), zframe_data (f), zframe_size (f),
                                         r->pk_u) != 0)
            s_fail ("the receipt's signature does not verify");
        s_open (opened, zframe_data (f), zframe_size (f), r->receipt_key);
        zframe_destroy (&f);
        zframe_destroy (&s);
        if (crypto_sign_verify_detached (opened + sizeof note, opened, sizeof note, r->pk_u) != 0)
            s_fail ("the checkpoint's signature does not verify");
        uint8_t sub[MERKLE_HASH_LEN], root_check[MERKLE_HASH_LEN];
        for (size_t i = 0; i < RATE_BATCH; i++) {
            memcpy (entry[i], opened + sizeof note + crypto_sign_BYTES + 8 + i * 16, 16);
            memcpy (entry[i] + 16, r->sig[i].leaf, MERKLE_HASH_LEN);
            memset (entry[i] + 16 + MERKLE_HASH_LEN, 'p', 16);
            merkle_leaf_hash (r->level[i], entry[i], sizeof entry[i]);
        }
        s_tree_root (r->level, RATE_BATCH, sub);
        merkle_node_hash (root_check, r->p_root, sub);
        if (memcmp (root_check, opened, MERKLE_HASH_LEN) != 0) {
            fprintf (stderr, "keten-rate-floor: a receipt's checkpoint does not hold the batch\n");
            exit (1);
        }
        memcpy (r->p_root, root_check, MERKLE_HASH_LEN);
        floor_check (store_begin (r->p_node, &reason), &reason);
        s_rate_run (r->p_node, "INSERT INTO receipt (first, body) VALUES (?, ?)",
                    STORE_VALUES (STORE_INT (from), STORE_BLOB (sealed, sizeof sealed)));
        floor_check (store_commit (r->p_node, &reason), &reason);
    });
    /*  the answers */
    for (size_t i = 0; i < RATE_BATCH; i++) {
        char hex[33];
        sodium_bin2hex (hex, sizeof hex, r->sig[i].id, 16);
        RATE_STEP (RATE_JSON, {
            json_t *a = json_pack ("{s:I, s:{s:s, s:s}}", "id", (json_int_t) (first + (int64_t) i),
                                   "result", "message_id", hex, "state", "delivered");
            ans.text[i] = json_dumps (a, JSON_COMPACT);
            json_decref (a);
        });
        ans.len[i] = strlen (ans.text[i]);
    }
    RATE_STEP (RATE_API,
               s_rate_pass (r->answers, ans.text, ans.len, RATE_BATCH, ans_in.text, ans_in.len));
    RATE_STEP (
        RATE_CALLER, for (size_t i = 0; i < RATE_BATCH; i++) {
            json_t *a = json_loadb (ans_in.text[i], ans_in.len[i], 0, NULL);
            if (!a || !json_is_object (json_object_get (a, "result")))
                s_fail ("an answer does not parse");
            json_decref (a);
        });
    s_rate_frames_free (&req);
    s_rate_frames_free (&in);
    s_rate_frames_free (&ans);
    s_rate_frames_free (&ans_in);
}

static void
s_rate (const char *dir)
{
    static rate_t r; /* about 10 MiB: not on the stack */
    static const char *const signal_schema =
        "CREATE TABLE s (id BLOB PRIMARY KEY, key_id BLOB NOT NULL, body BLOB NOT NULL, state "
        "INTEGER NOT NULL); CREATE TABLE receipt (first INTEGER PRIMARY KEY, body BLOB NOT NULL)";
    static const char *const key_schema =
        "CREATE TABLE k (id BLOB PRIMARY KEY, wrapped BLOB NOT NULL) WITHOUT ROWID";
    r.p_node = floor_db (dir, "rate-p.db", signal_schema);
    r.p_keys = floor_db (dir, "rate-pk.db", key_schema);
    r.u_weeg = floor_db (dir, "rate-u.db", signal_schema);
    r.u_keys = floor_db (dir, "rate-uk.db", key_schema);
    r.u_log = floor_db (dir, "rate-ul.db",
                        "CREATE TABLE e (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL)");
    if (socketpair (AF_UNIX, SOCK_STREAM, 0, r.api) != 0 ||
        socketpair (AF_UNIX, SOCK_STREAM, 0, r.answers) != 0) {
        perror ("keten-rate-floor: socketpair");
        exit (1);
    }
    floor_curve_new (&r.pair);
    randombytes_buf (r.storage_p, sizeof r.storage_p);
    randombytes_buf (r.storage_u, sizeof r.storage_u);
    randombytes_buf (r.e2e, sizeof r.e2e);
    randombytes_buf (r.receipt_key, sizeof r.receipt_key);
    crypto_sign_keypair (r.pk_p, r.sk_p);
    crypto_sign_keypair (r.pk_u, r.sk_u);
    /*  Two batches to warm up (the pages, the handshake), then the run. */
    for (int b = 0; b < 2 + RATE_BATCHES; b++) {
        if (b == 2)
            memset (s_rate_cpu, 0, sizeof s_rate_cpu);
        s_rate_batch (&r, (int64_t) b * RATE_BATCH);
    }
    zframe_destroy (&r.route);
    floor_curve_destroy (&r.pair);
    for (int i = 0; i < 2; i++) {
        close (r.api[i]);
        close (r.answers[i]);
    }
    sqlite3 **dbs[] = {&r.p_node, &r.p_keys, &r.u_weeg, &r.u_keys, &r.u_log};
    static const char *const names[] = {"rate-p.db", "rate-pk.db", "rate-u.db", "rate-uk.db",
                                        "rate-ul.db"};
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++)
        floor_db_drop (dbs[i], dir, names[i]);
    double n = (double) RATE_BATCH * RATE_BATCHES, sum = 0;
    printf ("rate floor, CPU per signal in batches of %d (both nodes and the caller, every "
            "thread):\n",
            RATE_BATCH);
    for (int i = 0; i < RATE_STEPS; i++) {
        printf ("  %-62s %6.2f us\n", s_rate_names[i], s_rate_cpu[i] / n);
        sum += s_rate_cpu[i] / n;
    }
    cpu_set_t allowed;
    int cores = sched_getaffinity (0, sizeof allowed, &allowed) == 0 ? CPU_COUNT (&allowed) : 1;
    double binary = sum - (s_rate_cpu[RATE_JSON] + s_rate_cpu[RATE_CALLER]) / n;
    printf ("rate floor: %.1f us of CPU per signal, at most %.0f signals/s on %d cores; with a "
            "binary local API instead of JSON %.1f us, %.0f /s\n",
            sum, cores * 1e6 / sum, cores, binary, cores * 1e6 / binary);
}

int
main (int argc, char **argv)
{
    if (argc != 2 || sodium_init () < 0) {
        fprintf (stderr, "usage: keten-rate-floor DIR\n");
        return 2;
    }
    s_rate (argv[1]);
    return 0;
}
