/*  envelope: seal and open keten messages (docs/PROTOCOL.md, "Envelope").
 *
 *  Sealing encrypts salt || body once under a fresh content key
 *  (XChaCha20-Poly1305, header fields as associated data), wraps that key
 *  for each recipient under the cached shared key of the peer pair, and
 *  commits to the body with BLAKE2b-256(salt || body).  Signing is a
 *  separate step so that a sender with several headers ready signs them
 *  once, over the RFC 9162 Merkle root of their leaf hashes; each envelope
 *  then carries the root, its inclusion path and the one signature, and
 *  stays individually verifiable.
 *
 *  Opening runs every check of docs/PROTOCOL.md,
 *  "Checks on receipt, in order", in that order - size, decode, version,
 *  sender in roster and active, signature, recipients allowed (policy),
 *  duplicate id, clock-skew window - and only then decrypts.  Nothing about
 *  a message is trusted before envelope_open has returned ENVELOPE_OK.
 */
#ifndef KETEN_ENVELOPE_H
#define KETEN_ENVELOPE_H

#include "keten.pb-c.h"
#include "keyring.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_VERSION 1
#define ENVELOPE_SALT_LEN 32
#define ENVELOPE_BATCH_MAX 4096
#define ENVELOPE_CASE_REF_MAX 64

typedef struct {
    Keten__MessageType type;
    char *const *recipients;  /* member ids */
    size_t n_recipients;
    const char *case_ref;     /* NULL or a pseudonym */
    const uint8_t *body;      /* packed body message */
    size_t body_len;
    uint64_t created_ms;
    const uint8_t *id;        /* NULL: a fresh time-ordered id
                               * (kt_ordered_id); else this id (a held
                               * signal's 16 random bytes, given when it
                               * is stored and kept at its release) */
    const uint8_t *content_key; /* NULL: a fresh random one; else a key
                                 * never used before (a data key from the
                                 * keystore's pool, ENVELOPE_KEY_LEN), so
                                 * that the sent copy is the sealer's
                                 * record at rest too (envelope_open_own) */
} envelope_draft_t;

#define ENVELOPE_KEY_LEN 32

/*  Encrypt and build the header for draft.  On success *header_p is a heap
 *  buffer (free()) and id holds the new message id.  Does not sign. */
int envelope_seal (const keyring_t *keyring, const envelope_draft_t *draft, uint8_t id[KT_ID_LEN],
                   uint8_t **header_p, size_t *header_len_p, kt_reason_t *reason);

/*  The body of header, which this node sealed as message id with
 *  draft.content_key = key, opened with that key (no key wrap is used):
 *  *body_p (heap; the caller wipes and frees it) and *body_len_p.  -1
 *  with reason when the header does not decode, is another message's, or
 *  does not decrypt under key or match its commitment. */
int envelope_open_own (const uint8_t *header, size_t header_len, const uint8_t id[KT_ID_LEN],
                       const uint8_t key[ENVELOPE_KEY_LEN], uint8_t **body_p, size_t *body_len_p,
                       kt_reason_t *reason);

/*  Sign n (1..ENVELOPE_BATCH_MAX) headers with one signature: n == 1 signs
 *  "keten/v1" || header, n > 1 signs "keten/v1/batch" || Merkle root.  On
 *  success envs[i] / env_lens[i] hold packed envelopes (free() each). */
int envelope_sign (const keyring_t *keyring, uint8_t *const *headers, const size_t *header_lens,
                   size_t n, uint8_t **envs, size_t *env_lens, kt_reason_t *reason);
/*  envelope_sign, and each header's leaf hash (SHA-256(0x00 || header),
 *  what the uitvoerder's log entry of its arrival names as header_hash)
 *  into leaves[i], room for n (the batch tree's own; hashed for n == 1). */
int envelope_sign_leaves (const keyring_t *keyring, uint8_t *const *headers,
                          const size_t *header_lens, size_t n, uint8_t **envs, size_t *env_lens,
                          uint8_t (*leaves)[32], kt_reason_t *reason);

/*  A header this node sealed, still unsent, for recipient whose keys were
 *  rotated since: the content key is unwrapped with old_shared (this
 *  node's shared key with the recipient's encryption key at sealing time)
 *  and wrapped again for the recipient's keys in the keyring now - its
 *  current key, plus its previous key while its rotation overlap lasts or
 *  when keep_old says so (a message the node on its old key file must
 *  still read).  The ciphertext and everything the AEAD covers stay as
 *  they are.  Returns 1 when *header_p was replaced (the old buffer
 *  freed); 0 when there is nothing to do: the wrap already opens under
 *  the current key, does not open under old_shared (sealed for other
 *  keys), or the header does not decode; -1 on error. */
int envelope_rewrap (const keyring_t *keyring, const char *recipient, const uint8_t *old_shared,
                     bool keep_old, uint8_t **header_p, size_t *header_len_p,
                     kt_reason_t *reason);

typedef struct {
    Keten__Header *header;        /* owned; valid after decode */
    ProtobufCAllocator *allocator; /* the header's (opts.allocator) */
    bool have_id;                 /* id is known (decode succeeded) */
    uint8_t id[KT_ID_LEN];
    uint8_t leaf_hash[32];        /* SHA-256(0x00 || header bytes) */
    const keyring_peer_t *sender; /* set after the sender check */
    bool sender_previous_keys;    /* sealed with the keys of its rotation overlap */
    bool sender_overlap;          /* the sender's rotation overlap lasts: either
                                   * of its key sets may have sealed or signed */
    uint8_t *plain;               /* salt || body, wiped and freed on clear */
    size_t plain_len;
    const uint8_t *body;          /* points into plain */
    size_t body_len;
    bool transient;               /* refused for a passing condition (clock
                                   * skew, memory): the sender should retry,
                                   * so no final refusal is sent */
    bool window_refused;          /* refused by the clock-skew window alone,
                                   * its sender and signature checked: the
                                   * header's created_ms is the sender's
                                   * clock (clockcheck.h) */
} envelope_opened_t;

typedef bool (envelope_seen_fn) (void *arg, const uint8_t id[KT_ID_LEN]);

typedef struct {
    size_t max_bytes; /* largest envelope accepted */
    uint64_t now_ms;
    uint64_t clock_skew_ms; /* how far created_ms may lie in the future */
    uint64_t max_age_ms;    /* how far in the past (outbox retries are old) */
    envelope_seen_fn *seen; /* duplicate-id check; NULL: none */
    void *seen_arg;
    /*  The member the transport authenticated (CURVE User-Id).  A message
     *  from a partner must name that partner as sender; only the
     *  uitvoerder relays other members' messages.  NULL: not checked. */
    const keyring_peer_t *transport_peer;
    /*  Where the envelope and its header are decoded (arena.h); NULL:
     *  malloc. */
    ProtobufCAllocator *allocator;
    /*  Work of the caller's that can run while the signature is verified
     *  on a thread of its own (verifier.h; issue #17): for a message of a
     *  type whose bit (1 << type) overlap_types has, called with the
     *  opened message once every other check has passed and the body is
     *  decrypted, before the signature is known good.  It may only do
     *  checks of its own and remember what they found true (the witness's
     *  note verified); it must not act on the message.  envelope_open
     *  still returns ENVELOPE_OK only once the signature is good.  NULL:
     *  none, the signature checked in its place in the order. */
    void (*overlap) (void *arg, const envelope_opened_t *opened);
    void *overlap_arg;
    uint32_t overlap_types;
} envelope_open_opts_t;

#define ENVELOPE_OK 0
#define ENVELOPE_REFUSED -1
#define ENVELOPE_DUPLICATE 1

/*  Open data.  Returns ENVELOPE_OK (all checks passed, body decrypted),
 *  ENVELOPE_DUPLICATE (authentic, allowed, but id already stored: the
 *  caller re-sends its receipt and stores nothing), or ENVELOPE_REFUSED
 *  with the reason.  out->have_id tells whether the refusal can name the
 *  message.  Always call envelope_opened_clear afterwards. */
int envelope_open (keyring_t *keyring, const uint8_t *data, size_t len,
                   const envelope_open_opts_t *opts, envelope_opened_t *out, kt_reason_t *reason);
void envelope_opened_clear (envelope_opened_t *opened);

#endif
